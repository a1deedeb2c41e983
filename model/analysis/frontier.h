/* netsave: the cost-effectiveness frontier over all strategies.
 *
 * Incremental analysis as published tables do it (dampack's
 * calculate_icers, which this follows step for step, ties included):
 * strategies are sorted by cost, then by effect from the highest (equal
 * cost and effect keep their input order); a strategy is strongly
 * dominated (D) when a strategy before it in that order has an effect at
 * least as high; among the rest, a strategy whose ICER against the one
 * before it exceeds the ICER of the one after it is extendedly dominated
 * (ED), all such found in one pass at once, passes repeating until none is
 * found. The rest are the frontier (ND); each one's ICER is against the
 * frontier strategy before it, the cheapest having none.
 *
 * Pure arithmetic over arrays, so it can be checked against published
 * tables. */
#ifndef NS_ANALYSIS_FRONTIER_H
#define NS_ANALYSIS_FRONTIER_H

#include <stdbool.h>
#include <stddef.h>

#include "model/model.h"
#include "model/netsave.h"
#include "model/results.h"

enum ns_frontier_status {
    NS_FRONTIER_ND = 0, /* on the frontier (not dominated) */
    NS_FRONTIER_ED,     /* extendedly dominated */
    NS_FRONTIER_D       /* strongly dominated */
};

struct ns_frontier_row {
    size_t strategy;       /* index into the caller's arrays */
    double cost, effect;
    bool has_previous;     /* a frontier strategy other than the first */
    size_t previous;       /* the frontier strategy it is compared with */
    double delta_cost;     /* cost minus the previous one's; NaN unless
                              has_previous */
    double delta_effect;   /* same for effect */
    double icer;           /* delta_cost / delta_effect; NaN unless
                              has_previous */
    enum ns_frontier_status status;
};

/* Fills rows[0 .. n) in dampack's order: the frontier by increasing cost,
 * then the extendedly dominated, then the strongly dominated, each by
 * cost, then effect from the highest. Returns NS_OK, NS_EPARAM when a cost
 * or an effect is not finite (rows untouched), or NS_ENOMEM. */
enum ns_status ns_frontier_compute(const double *cost, const double *effect,
                                   size_t n, struct ns_frontier_row *rows);

/* The frontier of a model's strategies on the discounted totals of its
 * cost outcome and health outcome ([model] cost_outcome and
 * health_outcome), rows[0 .. m->n_strategies). NS_EPARAM when the model
 * names no cost or no health outcome or a total is not finite. */
enum ns_status ns_frontier_of_results(const struct ns_model *m,
                                      const struct ns_results *r,
                                      struct ns_frontier_row *rows);

/* Strategy k's discounted cost and health outcome totals. false when the
 * model names no cost or no health outcome. */
bool ns_frontier_outcomes(const struct ns_model *m,
                          const struct ns_results *r, size_t k, double *cost,
                          double *effect);

/* "ND", "ED" or "D". */
const char *ns_frontier_status_name(enum ns_frontier_status s);

/* Net monetary benefit wtp * effect - cost and net health benefit
 * effect - cost / wtp, at willingness to pay wtp (above 0). */
double ns_net_monetary_benefit(double cost, double effect, double wtp);
double ns_net_health_benefit(double cost, double effect, double wtp);

#endif

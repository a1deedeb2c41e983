/* netsave: who pays and who saves, from the tags on value streams.
 *
 * Cost streams (streams of the model's cost outcome) carry a payer tag
 * ("payer:police") and the cost of the intervention itself carries the
 * tag "intervention". Against its comparator, a strategy's
 *   treatment cost = the increase in intervention streams,
 *   savings        = the decrease in every other cost stream,
 *   net savings    = savings - treatment cost,
 *   benefit-cost ratio = savings / treatment cost (savings per GBP 1 of
 *                        extra treatment spend),
 * each counted over the payers of a perspective (a named set of payers)
 * or over every payer. Cost streams without a payer tag count only in the
 * all-payers view. Nothing here knows what a payer is: any model can use
 * it by tagging its streams. */
#ifndef NS_MODEL_LEDGER_H
#define NS_MODEL_LEDGER_H

#include <stdbool.h>
#include <stddef.h>

#include "model/model.h"
#include "model/results.h"

/* All payers, tagged or not: pass as the perspective. */
#define NS_ALL_PAYERS (-1L)

struct ns_ledger {
    bool valid;            /* the strategy has a comparator and the model a
                              cost outcome; otherwise the rest is NaN */
    size_t comparator;
    double treatment_cost; /* extra intervention cost */
    double savings;        /* fall in all other costs */
    double net_savings;    /* savings - treatment_cost */
    double benefit_cost_ratio; /* savings / treatment_cost; NaN when the
                                  treatment cost is not above 0 */
    double payback_year;   /* the first year (1, 2, ...) from whose end the
                              cumulative net savings stay above 0 to the
                              horizon, as in ns_ledger_by_year; NaN when
                              they are not above 0 at the horizon */
};

/* Net savings of strategy k against its comparator, over the payers of
 * perspective (an index into model->perspectives, or NS_ALL_PAYERS),
 * discounted or not. by_payer, when not NULL, receives the savings borne
 * by each payer ([model->n_payers]; the intervention's extra cost counts
 * as a negative saving of whoever pays it). */
void ns_ledger_compute(const struct ns_model *model,
                       const struct ns_results *results, size_t k,
                       long perspective, bool discounted,
                       struct ns_ledger *out, double *by_payer);

/* ns_ledger_compute without the payback year (left NaN), which costs
 * more than the rest: for analyses that run the model many times. */
void ns_ledger_totals(const struct ns_model *model,
                      const struct ns_results *results, size_t k,
                      long perspective, bool discounted,
                      struct ns_ledger *out, double *by_payer);

/* ns_ledger_totals over any set of payers rather than a perspective's:
 * has_payer ([model->n_payers]) marks the payers counted, NULL every
 * payer (tagged or not, as NS_ALL_PAYERS). For comparisons with studies
 * that count a set of payers no perspective names (crime costs only, say). */
void ns_ledger_totals_payers(const struct ns_model *model,
                             const struct ns_results *results, size_t k,
                             const bool *has_payer, bool discounted,
                             struct ns_ledger *out, double *by_payer);

/* ns_ledger_totals for n results at once (a PSA's lanes): out[l] and
 * by_payer[l] (each may be NULL) from results[l], each the same as alone;
 * the results' sums are interleaved, which is quicker than one by one. */
void ns_ledger_totals_lanes(const struct ns_model *model,
                            const struct ns_results *const *results,
                            size_t n, size_t k, long perspective,
                            bool discounted, struct ns_ledger *out,
                            double *const *by_payer);

/* The payback year of a ledger as a year number (1, 2, ...), 0 when
 * there is none: no payback within the horizon, no comparator, or a
 * ledger from ns_ledger_totals (which leaves the payback year out). */
size_t ns_ledger_payback(const struct ns_ledger *ledger);

/* Net savings per extra place-year of strategy k, whose ledger is given:
 * a place-year is a year of one treatment place filled, counted by the
 * model's place outcome (undiscounted), so this is what funding one more
 * place for a year saves. NaN when the ledger is not valid, the model has
 * no place outcome, or the strategy adds no places (a ratio over zero or
 * fewer extra places would be meaningless). */
double ns_ledger_per_place_year(const struct ns_model *model,
                                const struct ns_results *results, size_t k,
                                const struct ns_ledger *ledger);

/* Number of years (whole or part) the model's horizon covers. */
size_t ns_ledger_n_years(const struct ns_model *model);

/* Net savings of strategy k by year of the horizon ([ns_ledger_n_years]):
 * values counted at time point t belong to year ceil(t * cycle length),
 * point 0 to year 1. */
void ns_ledger_by_year(const struct ns_model *model,
                       const struct ns_results *results, size_t k,
                       long perspective, bool discounted, double *net);

/* The ledger of strategy k year by year: years[ns_ledger_n_years(m)]
 * receive the treatment cost, savings and net savings counted in each
 * year (years as in ns_ledger_by_year; the benefit-cost ratio and payback
 * are left NaN); by_payer, when not NULL, [n_years * m->n_payers] each
 * payer's savings in each year ([y * n_payers + q]). Everything is NaN
 * (valid false) when k has no comparator or m no cost outcome. */
void ns_ledger_years(const struct ns_model *m, const struct ns_results *r,
                     size_t k, long perspective, bool discounted,
                     struct ns_ledger *years, double *by_payer);

#endif

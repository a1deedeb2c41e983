/* netsave: what the clients lost to follow-up might have done.
 *
 * A study's value at a follow-up comes from the share f of its sample it
 * reached (NTORS at five years: 63%). If the lost clients did otherwise,
 * the value for everyone is f * observed + (1 - f) * lost, where lost is,
 * by assumption: the observed value itself (they did as those reached);
 * their intake level (no lasting change); or the observed value made
 * worse by delta (in the direction the target calls worse, kept within
 * [0, 1] for a share). Calibrating the model to the reweighted targets
 * shows how much the answer depends on the assumption. */
#ifndef NS_ANALYSIS_ATTRITION_H
#define NS_ANALYSIS_ATTRITION_H

#include <stdbool.h>
#include <stddef.h>

#include "model/diag.h"
#include "model/model.h"
#include "model/netsave.h"
#include "model/results.h"

enum ns_lost {
    NS_LOST_AS_OBSERVED, /* the lost did as those followed up */
    NS_LOST_AT_INTAKE,   /* the lost stayed at their intake level */
    NS_LOST_WORSE        /* the lost did worse by delta */
};

/* Name of an assumption: "as observed", "back at intake", "worse by
 * delta". */
const char *ns_lost_name(enum ns_lost a);

struct ns_population;

/* Writes into observed[n_targets] every target's value for the whole
 * sample under assumption a (delta for NS_LOST_WORSE). Intake levels are
 * the model's own, at time point 0 of the population's results for the
 * target's arms (and subgroup). Targets followed up in full, or with no
 * direction of worse, keep their value. Returns NS_OK, or NS_EMODEL with
 * a diagnostic when an intake level cannot be computed. */
enum ns_status ns_attrition_observed(const struct ns_population *pop,
                                     enum ns_lost a, double delta,
                                     double *observed,
                                     struct ns_diags *diags);
struct ns_calibration_options;

/* Net savings (discounted, over perspective) of every strategy after
 * calibrating the population to targets reweighted under assumption a:
 * net[n_strategies], NaN for strategies without a comparator. The
 * population is left at that fit; fitted[n_free_params] receives it. */
enum ns_status ns_attrition_net_savings(struct ns_population *pop,
                                        const struct ns_calibration_options
                                            *copt,
                                        enum ns_lost a, double delta,
                                        long perspective, double *net,
                                        double *fitted,
                                        struct ns_diags *diags);

/* The delta at which strategy k's net savings, after recalibration, reach
 * zero, searched in [0, max_delta] with GSL's Brent solver. *found is
 * false when they keep one sign over the range. */
enum ns_status ns_attrition_tipping(struct ns_population *pop,
                                    const struct ns_calibration_options *copt,
                                    size_t k, long perspective,
                                    double max_delta, double *delta,
                                    bool *found, struct ns_diags *diags);

/* The assumption "worse by delta" by default: a tenth of the way. */
#define NS_ATTRITION_DELTA_DEFAULT 0.1
/* Each assumption needs a fit, a tipping point a fit per step: quick fits
 * (one start, a looser simplex) than netsave calibrate's, as what is
 * compared is how the answer moves between assumptions. */
#define NS_ATTRITION_MAX_ITERATIONS 500
#define NS_ATTRITION_SIZE_TOLERANCE 1e-3
/* The largest delta a tipping point is sought up to. */
#define NS_ATTRITION_MAX_DELTA 1.0

struct ns_attrition_options {
    long perspective;  /* of the net savings, or NS_ALL_PAYERS */
    double delta;      /* of the "worse by delta" assumption */
    bool tipping;      /* also seek each strategy's tipping point */
};

/* Net savings under the three assumptions about clients lost to
 * follow-up (netsave attrition; the Attrition sheet and attrition.csv).
 * Owns its arrays. */
struct ns_attrition_table {
    long perspective;  /* of the net savings, or NS_ALL_PAYERS */
    double delta;      /* of the "worse by delta" assumption */
    size_t n_strategies;
    double *net;       /* [3 * n_strategies]: as observed, back at intake,
                          worse by delta; NaN without comparator */
    double *tipping;   /* [n_strategies] delta at which net savings reach
                          zero, NaN for none; NULL: not sought */
};

/* Refits the population under each assumption (and, with opt->tipping,
 * seeks each strategy's tipping point in [0, NS_ATTRITION_MAX_DELTA]).
 * Returns NS_OK with *out set (free with ns_attrition_table_free),
 * NS_EPARAM when the model has no targets or free parameters to refit
 * (with a diagnostic), or what a fit returned. The population is left
 * run as written. */
enum ns_status ns_attrition_run(struct ns_population *pop,
                                const struct ns_attrition_options *opt,
                                struct ns_attrition_table **out,
                                struct ns_diags *diags);

void ns_attrition_table_free(struct ns_attrition_table *t);

#endif

/* netsave: thresholds and tipping points by root finding.
 *
 * The value of one parameter at which a strategy's net savings against
 * its comparator reach zero, searched with GSL's Brent solver within a
 * range. The parameter is overridden in every strategy and subgroup (run
 * options), so the answer is "if this parameter were x for everyone". */
#ifndef NS_ANALYSIS_THRESHOLD_H
#define NS_ANALYSIS_THRESHOLD_H

#include <stdbool.h>
#include <stddef.h>

#include "model/diag.h"
#include "model/netsave.h"
#include "model/population.h"

struct ns_threshold {
    bool found;        /* net savings change sign within the range */
    double value;      /* the parameter value where they are zero */
    double at_low;     /* net savings at the two ends of the range */
    double at_high;
    size_t n_evaluations;
};

/* Finds where the discounted net savings of strategy k (over perspective,
 * or NS_ALL_PAYERS) cross zero as parameter param goes from low to high.
 * Returns NS_OK (out->found false when they keep one sign), NS_EMODEL
 * when the model cannot be run at some value (diagnostics say why),
 * NS_EGSL or NS_ENOMEM. Leaves the population run as written. */
enum ns_status ns_threshold_net_savings(struct ns_population *pop,
                                        size_t param, double low,
                                        double high, size_t k,
                                        long perspective,
                                        struct ns_threshold *out,
                                        struct ns_diags *diags);

struct ns_best_switch {
    bool found;        /* the best strategy changes within the range */
    double value;      /* where it changes */
    size_t from, to;   /* best below and above the value */
};

/* Where the strategy with the highest net savings (among those with a
 * comparator) changes as parameter param goes from low to high: a scan of
 * n_grid points finds the first change, then Brent's method the value
 * where the two strategies' net savings are equal. */
enum ns_status ns_threshold_best(struct ns_population *pop, size_t param,
                                 double low, double high, long perspective,
                                 size_t n_grid, struct ns_best_switch *out,
                                 struct ns_diags *diags);

/* --target best_modality: points scanned before Brent's method refines
 * the first change (a switch between two scan points is found; two
 * switches closer than a step may be missed). */
#define NS_THRESHOLD_SCAN_POINTS 21

enum ns_threshold_target {
    NS_THRESHOLD_NET_SAVINGS,  /* where each strategy's net savings are 0 */
    NS_THRESHOLD_BEST          /* where the best strategy changes */
};

struct ns_threshold_options {
    size_t param;          /* index into model->params */
    double low, high;      /* the range searched */
    long perspective;      /* or NS_ALL_PAYERS */
    enum ns_threshold_target target;
};

/* A threshold analysis, owning its arrays. */
struct ns_threshold_table {
    struct ns_threshold_options options;
    size_t n_strategies;
    struct ns_threshold *by_strategy; /* [n_strategies], NS_THRESHOLD_NET_
                                         SAVINGS only; found false and NaN
                                         for strategies without comparator */
    struct ns_best_switch best;       /* NS_THRESHOLD_BEST only */
};

/* Runs the analysis opt names. Returns NS_OK with *out set (free with
 * ns_threshold_table_free), or what the search returned; when a strategy
 * fails, *failed (if not NULL) is its index (else -1). The population is
 * left run as written. */
enum ns_status ns_threshold_run(struct ns_population *pop,
                                const struct ns_threshold_options *opt,
                                struct ns_threshold_table **out,
                                long *failed, struct ns_diags *diags);

void ns_threshold_table_free(struct ns_threshold_table *t);

#endif

/* netsave: deterministic sensitivity analysis.
 *
 * One-way: each uncertain parameter (model/uncertainty.h) set to the low
 * and then the high end of its range, everything else as written; the
 * net savings of every strategy at each end make a tornado, widest swing
 * first. Two-way: a grid over the ranges of two parameters. Parameters
 * are set for every strategy and subgroup (run options). */
#ifndef NS_ANALYSIS_DSA_H
#define NS_ANALYSIS_DSA_H

#include <stddef.h>

#include "model/diag.h"
#include "model/netsave.h"
#include "model/population.h"

struct ns_tornado_bar {
    size_t uncertain;     /* index into model->uncertain */
    double low, high;     /* the parameter's values */
    double net_low, net_high; /* net savings at each end */
    double bcr_low, bcr_high; /* savings per GBP 1 at each end */
    double width;         /* |net_high - net_low| */
    size_t row;           /* the bar's place before sorting: its slot in
                             the by_payer output of ns_dsa_one_way */
};

/* One-way analysis of every uncertain parameter (or only those whose
 * index is in only[0..n_only), when n_only > 0). by_payer, when not NULL,
 * receives what each payer saves (net of any treatment cost it pays) at
 * each end, [((k * n_bars + bar.row) * 2 + end) * n_payers + p], end 0
 * low and 1 high; it must hold n_strategies * (n_only or n_uncertain) *
 * 2 * n_payers doubles. bars receives
 * n_strategies * n_bars entries, [k * n_bars + i], each strategy's bars
 * sorted widest first (NaN for strategies without a comparator). base
 * receives every strategy's net savings as written. Returns NS_OK,
 * NS_EMODEL (a run failed at some end: diagnostics say which) or
 * NS_ENOMEM. The population is left run as written. */
enum ns_status ns_dsa_one_way(struct ns_population *pop, long perspective,
                              const size_t *only, size_t n_only,
                              struct ns_tornado_bar *bars, size_t *n_bars,
                              double *base, double *by_payer,
                              struct ns_diags *diags);

/* Two-way grid: parameters a and b (indices into model->uncertain), each
 * over n points from its low to its high end. net receives
 * [(i * n + j) * n_strategies + k]. */
enum ns_status ns_dsa_two_way(struct ns_population *pop, long perspective,
                              size_t a, size_t b, size_t n, double *net,
                              struct ns_diags *diags);

#endif

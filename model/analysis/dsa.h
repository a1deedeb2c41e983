/* netsave: deterministic sensitivity analysis.
 *
 * One-way: each uncertain parameter (model/uncertainty.h) set to the low
 * and then the high end of its range, everything else as written; the
 * net savings of every strategy at each end make a tornado, widest swing
 * first. Two-way: a grid over the ranges of two parameters. Parameters
 * are set for every strategy and subgroup (run options). */
#ifndef NS_ANALYSIS_DSA_H
#define NS_ANALYSIS_DSA_H

#include <stdbool.h>
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

/* --grid: values per parameter of a two-way grid; 101 x 101 runs is
 * already minutes on a large model. */
#define NS_DSA_GRID_DEFAULT 5
#define NS_DSA_GRID_MIN 2
#define NS_DSA_GRID_MAX 101
/* Bars printed per strategy (all are in tornado.csv). */
#define NS_DSA_BARS_SHOWN 10

struct ns_dsa_options {
    long perspective;     /* or NS_ALL_PAYERS */
    const size_t *only;   /* indices into model->uncertain; none: all */
    size_t n_only;
    bool two_way;         /* also the grid over a and b */
    size_t a, b;          /* indices into model->uncertain */
    size_t grid;          /* values per parameter of the grid */
};

/* A one-way (and optionally two-way) analysis, owning its arrays, laid
 * out as ns_dsa_one_way and ns_dsa_two_way fill them. */
struct ns_dsa {
    struct ns_dsa_options options; /* only is not kept (NULL) */
    size_t n_bars;                 /* per strategy */
    struct ns_tornado_bar *bars;   /* [n_strategies * n_bars] */
    double *base;                  /* [n_strategies] */
    double *by_payer;              /* see ns_dsa_one_way */
    double *grid;                  /* [grid * grid * n_strategies], or
                                      NULL without two_way */
};

/* Returns NS_OK with *out set (free with ns_dsa_free), NS_EPARAM when the
 * model has no uncertain parameter (with a diagnostic), or what a run
 * returned. The population is left run as written. */
enum ns_status ns_dsa_run(struct ns_population *pop,
                          const struct ns_dsa_options *opt,
                          struct ns_dsa **out, struct ns_diags *diags);

void ns_dsa_free(struct ns_dsa *d);

#endif

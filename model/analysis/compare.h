/* netsave: scenarios against a base (netsave compare).
 *
 * Each scenario is the base model with an overlay applied, built by the
 * caller (the overlay is a file: params/ reads it and says what it
 * changes); here each is run and its net savings set beside the base's,
 * strategy by strategy. */
#ifndef NS_ANALYSIS_COMPARE_H
#define NS_ANALYSIS_COMPARE_H

#include <stddef.h>

#include "model/diag.h"
#include "model/model.h"
#include "model/netsave.h"
#include "model/population.h"
#include "model/results.h"

/* One scenario to compare, the base first. */
struct ns_scenario_spec {
    const char *file;        /* the scenario file, or NULL for the base */
    const char *name;        /* [scenario] name, or the file; "base" */
    const char *description; /* [scenario] description, or NULL */
    struct ns_population *pop; /* built, not yet run; borrowed */
    char **changes;          /* "name: old -> new" lines; the comparison
                                takes them (ns_params_changes) */
    size_t n_changes;
};

/* One scenario's results. Strings and the population are borrowed from
 * the spec; changes are owned by the comparison. */
struct ns_scenario_result {
    const char *file;
    const char *name;
    const char *description;
    const struct ns_model *model;
    const struct ns_results *results; /* pooled */
    const char *const *changes;
    size_t n_changes;
};

struct ns_comparison {
    long perspective;   /* the base model's first, or NS_ALL_PAYERS */
    size_t n;           /* scenarios, the base first */
    size_t n_strategies;
    struct ns_scenario_result *scenarios; /* [n] */
    double *net_savings; /* [n * n_strategies] per client, discounted,
                            over perspective; NaN without comparator */
};

/* Independent runs shared by several processes, whatever carries the
 * results between them (cli/mpi.c does it over MPI): run i is made by the
 * process of rank i % n_ranks, and rank 0 takes every other rank's runs,
 * in input order, into its own populations, every subgroup's results and
 * the pooled ones, so what it writes is the same bytes as one process.
 * Other ranks' comparisons hold only their own runs: ignore them. */
struct ns_run_share {
    size_t rank, n_ranks;
    /* Rank > 0, after each of its runs (run i, status st; diags say why
     * it failed). Anything but NS_OK stops this rank. */
    enum ns_status (*send)(void *ctx, size_t i,
                           const struct ns_population *pop,
                           enum ns_status st, const struct ns_diags *diags);
    /* Rank 0: fills pop's results with run i, made by rank `from`;
     * returns its status, with its diagnostics added to diags. */
    enum ns_status (*receive)(void *ctx, size_t i, size_t from,
                              struct ns_population *pop,
                              struct ns_diags *diags);
    void *ctx;
};

/* Runs the populations pops[0..n) (all, or with share this rank's,
 * rank 0 taking the others'). Returns NS_OK, or the first failure in
 * input order with *failed its index. */
enum ns_status ns_runs_shared(struct ns_population *const *pops, size_t n,
                              const struct ns_run_share *share,
                              size_t *failed, struct ns_diags *diags);

/* Runs every scenario's population and tabulates net savings. Takes the
 * specs' changes in every case. Returns NS_OK with *out set (free with
 * ns_comparison_free), or what a run returned, with *failed (when not
 * NULL) the index of the scenario that failed. */
enum ns_status ns_compare_run(const struct ns_scenario_spec *specs, size_t n,
                              struct ns_comparison **out, size_t *failed,
                              struct ns_diags *diags);

/* The same, with the runs shared (share may be NULL). */
enum ns_status ns_compare_run_shared(const struct ns_scenario_spec *specs,
                                     size_t n,
                                     const struct ns_run_share *share,
                                     struct ns_comparison **out,
                                     size_t *failed, struct ns_diags *diags);

void ns_comparison_free(struct ns_comparison *c);

#endif

/* netsave: a population of weighted subgroups, run and pooled.
 *
 * A subgroup is the same model (same states, strategies and streams) with
 * its own parameters, for example heroin users with and without crack.
 * Each subgroup is compiled and run on its own; the pooled result is the
 * weighted sum of the subgroups' results (trace, values and totals are
 * all linear in the cohort), with weights that sum to 1. A model without
 * subgroups is a population of one subgroup, "all", of weight 1, whose
 * pooled results are its own. */
#ifndef NS_MODEL_POPULATION_H
#define NS_MODEL_POPULATION_H

#include <stddef.h>

#include "model/diag.h"
#include "model/model.h"
#include "model/netsave.h"
#include "model/results.h"

struct ns_population {
    size_t n_groups;
    char **names;                 /* owned; [n_groups] */
    double *weights;              /* [n_groups], summing to 1 */
    struct ns_model **models;     /* owned; [n_groups] */
    struct ns_results **results;  /* owned; [n_groups] */
    struct ns_results *pooled;    /* owned; the weighted sum */
};

/* Takes ownership of models[0..n) (all compiled; freed on failure too) and
 * copies names and weights. Checks the subgroups share one structure
 * (states, strategies, streams, outcomes, cycles). Returns NS_OK with
 * *out set, NS_EPARAM with a diagnostic, or NS_ENOMEM. */
enum ns_status ns_population_alloc(struct ns_model **models,
                                   const char *const *names,
                                   const double *weights, size_t n,
                                   struct ns_population **out,
                                   struct ns_diags *diags);
void ns_population_free(struct ns_population *pop);

/* Runs every subgroup and pools. Returns NS_OK, NS_EMODEL with
 * diagnostics (each naming its subgroup when there are several), or
 * NS_ENOMEM. */
enum ns_status ns_population_run(struct ns_population *pop,
                                 struct ns_diags *diags);

struct ns_run_options;

/* ns_population_run with run options applied to every subgroup (their
 * param_override is indexed like every subgroup's parameters, which share
 * one structure). */
enum ns_status ns_population_run_opt(struct ns_population *pop,
                                     const struct ns_run_options *opt,
                                     struct ns_diags *diags);

/* Results and workspaces of one run of a population, so that several
 * threads can run the same (read-only) population at once. */
struct ns_workspace;
struct ns_population_scratch {
    size_t n_groups;
    struct ns_results **results; /* [n_groups] */
    struct ns_results *pooled;
    struct ns_workspace **ws;    /* [n_groups] */
};
struct ns_population_scratch *
ns_population_scratch_alloc(const struct ns_population *pop);
void ns_population_scratch_free(struct ns_population_scratch *s);

/* Runs every subgroup into s and pools there; pop is not written. */
enum ns_status ns_population_run_scratch(const struct ns_population *pop,
                                         struct ns_population_scratch *s,
                                         const struct ns_run_options *opt,
                                         struct ns_diags *diags);

/* Several runs of a population at once, one per lane (a PSA's draws;
 * see ns_model_run_lanes): lane l's pooled results are pooled[l]. */
struct ns_population_lanes {
    size_t n_groups, lanes;
    struct ns_results **results; /* [g * lanes + l] */
    struct ns_results **pooled;  /* [lanes] */
    struct ns_workspace **ws;    /* [n_groups], each with 'lanes' lanes */
};
struct ns_population_lanes *
ns_population_lanes_alloc(const struct ns_population *pop, size_t lanes);
void ns_population_lanes_free(struct ns_population_lanes *s);

/* Runs every subgroup in every lane, lane l with param_override[l], and
 * pools each lane's discounted values and totals (values_disc, total_disc,
 * outcome_total_disc: what a PSA reads) as ns_population_run_scratch
 * would, bit-identical; the rest of pooled[l] is left as it was, and the
 * subgroups' traces are not written. NS_EMODEL without diagnostics when
 * any lane fails. */
enum ns_status ns_population_run_lanes(const struct ns_population *pop,
                                       struct ns_population_lanes *s,
                                       const double *const *param_override);

/* Checks what the writers of a population's results rely on and
 * ns_population_alloc() does not: that every subgroup's results belong to
 * its model (ns_results_match), and that subgroups agree on what the
 * ledger reads (comparators, cost and place outcomes, cycle length, payers
 * and perspectives), so that one model's positions index them all.
 * Returns a reason, or NULL. */
const char *ns_population_check(const struct ns_population *pop);

/* Rows of a population's reports: subgroup g for g < n_groups, the pooled
 * population for g == n_groups. Subgroups get rows of their own only when
 * there are several (a single subgroup is the pooled population), so rows
 * run from ns_group_first(pop) to pop->n_groups. The pooled rows are
 * named "all" and read the first subgroup's model (ns_population_check
 * makes sure the subgroups agree). */
size_t ns_group_first(const struct ns_population *pop);
const char *ns_group_name(const struct ns_population *pop, size_t g);
const struct ns_model *ns_group_model(const struct ns_population *pop,
                                      size_t g);
const struct ns_results *ns_group_results(const struct ns_population *pop,
                                          size_t g);

/* Adds weight * from into to (same model structure). */
void ns_results_accumulate(struct ns_results *to,
                           const struct ns_results *from, double weight);

#endif

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

/* Runs every scenario's population and tabulates net savings. Takes the
 * specs' changes in every case. Returns NS_OK with *out set (free with
 * ns_comparison_free), or what a run returned, with *failed (when not
 * NULL) the index of the scenario that failed. */
enum ns_status ns_compare_run(const struct ns_scenario_spec *specs, size_t n,
                              struct ns_comparison **out, size_t *failed,
                              struct ns_diags *diags);

void ns_comparison_free(struct ns_comparison *c);

#endif

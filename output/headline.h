/* netsave: the cost-benefit figures both population writers report.
 *
 * Internal to output/: the CSV files and the workbook must show the same
 * payback year and the same net savings per place-year, so both take them
 * from here. Everything is for the cohort as the model defines it ([initial]
 * summed over states); the workbook divides money by headline.cohort to
 * show it per client. */
#ifndef NS_OUTPUT_HEADLINE_H
#define NS_OUTPUT_HEADLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "model/ledger.h"
#include "model/model.h"
#include "model/population.h"
#include "model/results.h"

struct ns_headline {
    struct ns_ledger ledger;  /* from ns_ledger_compute */
    size_t payback_year;      /* first year (1, 2, ...) whose cumulative net
                                 savings are above 0; 0 when none is */
    double extra_place_years; /* place outcome, strategy minus comparator,
                                 undiscounted; NaN without a place outcome */
    double per_place_year;    /* net_savings / extra_place_years; NaN without
                                 a place outcome or when no places are added */
    double cohort;            /* clients at time 0 (the trace summed) */
};

/* Computes the headline of strategy k (which must have a comparator for
 * the ledger to be valid) over a perspective (or NS_ALL_PAYERS). years
 * must hold ns_ledger_n_years(m) doubles; it receives the net savings of
 * each year (ns_ledger_by_year), from which payback_year is taken. */
void ns_headline_compute(const struct ns_model *m, const struct ns_results *r,
                         size_t k, long perspective, bool discounted,
                         double *years, struct ns_headline *out);

/* Clients at time 0 in strategy k: the start of the trace summed. */
double ns_headline_cohort(const struct ns_results *r, size_t k);

/* Rows of the population files and sheets: subgroup g for g < n_groups,
 * the pooled population for g == n_groups. Subgroups get rows of their
 * own only when there are several (a single subgroup is the pooled
 * population), so rows run from ns_group_first(pop) to pop->n_groups. */
size_t ns_group_first(const struct ns_population *pop);
const char *ns_group_name(const struct ns_population *pop, size_t g);
const struct ns_model *ns_group_model(const struct ns_population *pop,
                                      size_t g);
const struct ns_results *ns_group_results(const struct ns_population *pop,
                                          size_t g);

/* Checks what the writers rely on and ns_population_alloc() does not: that
 * every subgroup's results are sized for its model, and that subgroups
 * agree on what the ledger reads (comparators, cost and place outcomes,
 * cycle length, payers and perspectives). Returns a reason, or NULL. */
const char *ns_population_check(const struct ns_population *pop);

#endif

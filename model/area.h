/* netsave: an area: clients starting treatment year by year, and what
 * they cost and save together.
 *
 * A model's results are per cohort: the clients [initial] starts at time
 * 0. An area (the [area] section, docs/model-format.md) says how many
 * clients start each treated strategy (a strategy with a comparator) in
 * each of its years 1..Y. The model is linear in its cohort, so the
 * clients starting strategy k in area year s (1-based) cost and save what
 * the model's cohort of k does per client, times their number, shifted by
 * s - 1 years. Conventions:
 *
 *   - A year's starts all enter at the start of that year: the cohort of
 *     year s starts at area time s - 1 (years).
 *   - Each cohort is followed for the model's horizon, H years
 *     (ns_ledger_n_years, the last one possibly part of a year), so the
 *     area's years run 1..Y + H - 1: area year a holds year a - s + 1 of
 *     the cohort of year s, for every s with 1 <= a - s + 1 <= H. Values
 *     go to years as in ns_ledger_by_year (time point t to year
 *     ceil(t x cycle length), point 0 to year 1).
 *   - Discounted to the start of the area's year 1: the cohort of year s
 *     is discounted as the model discounts it (its own time since it
 *     started, with the model's discount origin), times an additional
 *     (1 + r)^-(s - 1), r the cost outcome's annual discount rate. With
 *     discount_origin = start this is discounting by calendar time.
 *     Undiscounted totals have no such factor.
 *   - Per client is per member of the strategy's cohort as [initial]
 *     defines it (ns_results_cohort): the model's totals divided by it.
 *
 * So an area's total net savings are sum over k, s of starts(k, s) x
 * (1 + r)^-(s - 1) x (k's net savings per client), and its treatment
 * cost, savings and each payer's savings likewise: the sums over area
 * years equal those products, year by year they are convolutions. */
#ifndef NS_MODEL_AREA_H
#define NS_MODEL_AREA_H

#include <stdbool.h>
#include <stddef.h>

#include "model/def.h"
#include "model/diag.h"
#include "model/model.h"
#include "model/netsave.h"
#include "model/results.h"

/* The [area] section, compiled: ns_model.area, or NULL without one. */
struct ns_area {
    char *name;          /* owned; e.g. "Anytown" */
    size_t n_years;      /* Y: the years in which clients start */
    size_t n_strategies; /* the model's */
    double *starts;      /* owned; [k * n_years + s]: clients starting
                            strategy k in area year s + 1; finite and >= 0;
                            0 for strategies not listed and for every
                            strategy without a comparator */
    struct ns_origin at; /* where [area] name is */
};

/* Clients starting strategy k in area year s + 1 (s from 0). */
static inline double
ns_area_starts(const struct ns_area *a, size_t k, size_t s)
{
    return a->starts[k * a->n_years + s];
}

/* Number of years of the area's totals: Y + H - 1 (above). */
size_t ns_area_n_years(const struct ns_model *m);

/* Totals over the area, per area year: discounted or not as asked. */
struct ns_area_year {
    double starts;         /* clients starting in the year */
    double treatment_cost; /* extra intervention cost (ns_ledger) */
    double savings;        /* fall in every other cost counted */
    double net_savings;    /* savings - treatment_cost */
    double cumulative_net_savings; /* net savings of years 1..this */
};

/* Area strategy "all": every treated strategy summed. */
#define NS_AREA_ALL ((size_t)-1)

/* Area totals of strategy k (or NS_AREA_ALL) over the payers of
 * perspective (an index into m->perspectives, or NS_ALL_PAYERS), from r
 * (results of m, or pooled results of a population whose first model is
 * m): years[ns_area_n_years(m)]; by_payer, when not NULL,
 * [ns_area_n_years(m) * m->n_payers] each payer's savings in each year
 * ([y * n_payers + q]; as ns_ledger_compute's by_payer). A strategy
 * without a comparator has 0 starts, and its rows are all 0. Returns
 * NS_OK, NS_EPARAM when m has no area or no cost outcome, or NS_ENOMEM. */
enum ns_status ns_area_totals(const struct ns_model *m,
                              const struct ns_results *r, size_t k,
                              long perspective, bool discounted,
                              struct ns_area_year *years, double *by_payer);

/* The area's totals over all its years, as ns_area_totals gives them
 * year by year: starts, treatment cost, savings and net savings summed,
 * cumulative net savings those of the last year. Same statuses. */
enum ns_status ns_area_sum(const struct ns_model *m,
                           const struct ns_results *r, size_t k,
                           long perspective, bool discounted,
                           struct ns_area_year *sum);

/* Reads def's [area] entries into m->area (called by ns_model_compile
 * once strategies, comparators and the cost outcome are known). Every
 * problem is recorded in diags at the entry's origin, naming the key,
 * what was expected and what was found, and sets *failed. NS_ENOMEM when
 * memory runs out, else NS_OK. */
enum ns_status ns_area_compile(const struct ns_model_def *def,
                               struct ns_model *m, struct ns_diags *diags,
                               bool *failed);

void ns_area_free(struct ns_area *a);

#endif

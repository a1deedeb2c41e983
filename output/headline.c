/* netsave: payback year, net savings per place-year and the cohort size,
 * shared by the population writers (see headline.h).
 *
 * The payback year is the ledger's: the first year from whose end the
 * cumulative net savings, as the Year by year sheet shows them, stay above
 * 0 to the horizon. A
 * place-year is a year of one treatment place filled; the model counts
 * them in its place outcome, undiscounted, so net savings per extra
 * place-year is what one more funded place saves a year. */
#include "output/headline.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "output/output.h"

double
ns_headline_cohort(const struct ns_results *r, size_t k)
{
    double n = 0.0;
    for (size_t s = 0; s < r->n_states; s++)
        n += ns_results_trace(r, k, 0, s);
    return n;
}

void
ns_headline_compute(const struct ns_model *m, const struct ns_results *r,
                    size_t k, long perspective, bool discounted, double *years,
                    struct ns_headline *out)
{
    ns_ledger_compute(m, r, k, perspective, discounted, &out->ledger, NULL);
    ns_ledger_by_year(m, r, k, perspective, discounted, years);
    out->payback_year = 0;
    out->cohort = ns_headline_cohort(r, k);
    out->extra_place_years = NS_NAN;
    out->per_place_year = NS_NAN;
    if (!out->ledger.valid)
        return;

    if (!isnan(out->ledger.payback_year))
        out->payback_year = (size_t)out->ledger.payback_year;
    if (m->place_outcome >= 0) {
        size_t o = (size_t)m->place_outcome;
        out->extra_place_years =
            ns_results_outcome(r, k, o, false) -
            ns_results_outcome(r, out->ledger.comparator, o, false);
        /* No extra places (or fewer): a ratio would be meaningless. */
        if (out->extra_place_years > 0.0)
            out->per_place_year =
                out->ledger.net_savings / out->extra_place_years;
    }
}

size_t
ns_group_first(const struct ns_population *pop)
{
    return pop->n_groups > 1 ? 0 : pop->n_groups;
}

const char *
ns_group_name(const struct ns_population *pop, size_t g)
{
    return g < pop->n_groups ? pop->names[g] : "all";
}

const struct ns_model *
ns_group_model(const struct ns_population *pop, size_t g)
{
    return pop->models[g < pop->n_groups ? g : 0];
}

const struct ns_results *
ns_group_results(const struct ns_population *pop, size_t g)
{
    return g < pop->n_groups ? pop->results[g] : pop->pooled;
}

static bool
results_match(const struct ns_model *m, const struct ns_results *r)
{
    return r && r->n_strategies == m->n_strategies &&
           r->n_points == m->n_cycles + 1 && r->n_states == m->n_states &&
           r->n_streams == m->n_streams && r->n_outcomes == m->n_outcomes &&
           r->n_params == m->n_params;
}

/* Whether b's ledger reads the same as a's: the writers index b's
 * perspectives and payers with a's positions and pool across them. */
static bool
same_ledger(const struct ns_model *a, const struct ns_model *b)
{
    if (a->cost_outcome != b->cost_outcome ||
        a->place_outcome != b->place_outcome ||
        a->cycle_length_years < b->cycle_length_years ||
        a->cycle_length_years > b->cycle_length_years ||
        a->n_payers != b->n_payers || a->n_perspectives != b->n_perspectives)
        return false;
    for (size_t k = 0; k < a->n_strategies; k++)
        if (a->comparator[k] != b->comparator[k])
            return false;
    for (size_t j = 0; j < a->n_streams; j++)
        if (a->streams[j].outcome != b->streams[j].outcome ||
            a->streams[j].payer != b->streams[j].payer ||
            a->streams[j].is_intervention != b->streams[j].is_intervention)
            return false;
    for (size_t p = 0; p < a->n_payers; p++)
        if (strcmp(a->payers[p], b->payers[p]) != 0)
            return false;
    for (size_t i = 0; i < a->n_perspectives; i++) {
        if (strcmp(a->perspectives[i].name, b->perspectives[i].name) != 0)
            return false;
        for (size_t p = 0; p < a->n_payers; p++)
            if (a->perspectives[i].has_payer[p] !=
                b->perspectives[i].has_payer[p])
                return false;
    }
    return true;
}

const char *
ns_population_check(const struct ns_population *pop)
{
    if (pop->n_groups == 0 || !pop->models || !pop->results)
        return "the population has no subgroups";
    const struct ns_model *m = pop->models[0];
    if (!results_match(m, pop->pooled))
        return "results do not match the model";
    for (size_t g = 0; g < pop->n_groups; g++) {
        if (!results_match(pop->models[g], pop->results[g]) ||
            !results_match(m, pop->results[g]))
            return "results do not match the model";
        if (!same_ledger(m, pop->models[g]))
            return "subgroups differ in comparators, cost or place outcome, "
                   "cycle length, payers or perspectives";
    }
    return NULL;
}

void
ns_anchor_ratio_text(const struct ns_anchor_figure *f, char *out, size_t n)
{
    if (f->status == NS_ANCHOR_COMPUTED)
        snprintf(out, n, "%.2f:1", f->ratio);
    else
        snprintf(out, n, "not computable: %s",
                 ns_anchor_status_text(f->status));
}

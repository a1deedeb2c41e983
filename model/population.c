/* netsave: subgroups, run one by one and pooled by weight. */
#include "model/population.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/engine.h"

static bool
same_names(const struct ns_named *a, const struct ns_named *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i].name, b[i].name) != 0)
            return false;
    return true;
}

/* Whether model b has the structure of model a. */
static bool
same_structure(const struct ns_model *a, const struct ns_model *b)
{
    if (a->n_states != b->n_states || a->n_strategies != b->n_strategies ||
        a->n_streams != b->n_streams || a->n_outcomes != b->n_outcomes ||
        a->n_cycles != b->n_cycles || a->n_params != b->n_params)
        return false;
    if (!same_names(a->states, b->states, a->n_states) ||
        !same_names(a->strategies, b->strategies, a->n_strategies))
        return false;
    for (size_t j = 0; j < a->n_streams; j++)
        if (strcmp(a->streams[j].name, b->streams[j].name) != 0 ||
            a->streams[j].outcome != b->streams[j].outcome ||
            a->streams[j].payer != b->streams[j].payer ||
            a->streams[j].is_intervention != b->streams[j].is_intervention)
            return false;
    for (size_t k = 0; k < a->n_strategies; k++)
        if (a->comparator[k] != b->comparator[k])
            return false;
    if (a->cost_outcome != b->cost_outcome ||
        a->health_outcome != b->health_outcome ||
        a->place_outcome != b->place_outcome ||
        a->n_payers != b->n_payers ||
        a->n_perspectives != b->n_perspectives ||
        a->discount_timing != b->discount_timing ||
        ns_model_discount_factor(a, 0, 1) > ns_model_discount_factor(b, 0, 1) ||
        ns_model_discount_factor(a, 0, 1) < ns_model_discount_factor(b, 0, 1))
        return false;
    for (size_t i = 0; i < a->n_perspectives; i++)
        for (size_t q = 0; q < a->n_payers; q++)
            if (a->perspectives[i].has_payer[q] !=
                b->perspectives[i].has_payer[q])
                return false;
    return true;
}

void
ns_population_free(struct ns_population *pop)
{
    if (!pop)
        return;
    for (size_t g = 0; g < pop->n_groups; g++) {
        if (pop->names)
            free(pop->names[g]);
        if (pop->models)
            ns_model_free(pop->models[g]);
        if (pop->results)
            ns_results_free(pop->results[g]);
    }
    free(pop->names);
    free(pop->weights);
    free(pop->models);
    free(pop->results);
    ns_results_free(pop->pooled);
    free(pop);
}

enum ns_status
ns_population_alloc(struct ns_model **models, const char *const *names,
                    const double *weights, size_t n,
                    struct ns_population **out, struct ns_diags *diags)
{
    *out = NULL;
    struct ns_population *pop = calloc(1, sizeof *pop);
    if (pop) {
        pop->names = calloc(n, sizeof *pop->names);
        pop->weights = calloc(n, sizeof *pop->weights);
        pop->models = calloc(n, sizeof *pop->models);
        pop->results = calloc(n, sizeof *pop->results);
    }
    if (!pop || !pop->names || !pop->weights || !pop->models ||
        !pop->results) {
        for (size_t g = 0; g < n; g++)
            ns_model_free(models[g]);
        ns_population_free(pop);
        return NS_ENOMEM;
    }
    pop->n_groups = n;
    enum ns_status st = NS_OK;
    for (size_t g = 0; g < n; g++) {
        pop->models[g] = models[g];
        pop->weights[g] = weights[g];
        pop->names[g] = strdup(names[g]);
        pop->results[g] = ns_results_alloc(models[g]);
        if (!pop->names[g] || !pop->results[g])
            st = NS_ENOMEM;
        else if (n > 1 && strcmp(names[g], "all") == 0) {
            ns_diags_addf(diags, NULL, 0,
                          "a subgroup cannot be called 'all': that name "
                          "is the pooled population's");
            st = NS_EPARAM;
        } else if (!same_structure(models[0], models[g])) {
            ns_diags_addf(diags, NULL, 0,
                          "subgroup %s changes the model's structure "
                          "(states, strategies, comparators, streams and "
                          "their tags, outcomes, perspectives, cycles); a "
                          "subgroup may only change values",
                          names[g]);
            st = NS_EPARAM;
        }
    }
    if (st == NS_OK) {
        pop->pooled = ns_results_alloc(models[0]);
        if (!pop->pooled)
            st = NS_ENOMEM;
    }
    if (st != NS_OK) {
        ns_population_free(pop);
        return st;
    }
    *out = pop;
    return NS_OK;
}

static void
add_scaled(double *to, const double *from, size_t n, double w)
{
    for (size_t i = 0; i < n; i++)
        to[i] += w * from[i];
}

void
ns_results_accumulate(struct ns_results *to, const struct ns_results *from,
                      double w)
{
    size_t kp = to->n_strategies * to->n_points;
    size_t ks = to->n_strategies * to->n_streams;
    size_t ko = to->n_strategies * to->n_outcomes;
    add_scaled(to->trace, from->trace, kp * to->n_states, w);
    add_scaled(to->values, from->values, kp * to->n_streams, w);
    add_scaled(to->values_disc, from->values_disc, kp * to->n_streams, w);
    add_scaled(to->total, from->total, ks, w);
    add_scaled(to->total_disc, from->total_disc, ks, w);
    add_scaled(to->outcome_total, from->outcome_total, ko, w);
    add_scaled(to->outcome_total_disc, from->outcome_total_disc, ko, w);
    add_scaled(to->param_values, from->param_values,
               to->n_strategies * to->n_params, w);
}

/* to = 0 + w * from, as zeroing then adding would (0 + -0 is +0). */
static void
set_scaled(double *to, const double *from, size_t n, double w)
{
    for (size_t i = 0; i < n; i++)
        to[i] = 0.0 + w * from[i];
}

/* The part of ns_results_accumulate a PSA reads: discounted values and
 * totals (ns_ledger_totals, ns_results_incremental); the first group's
 * sets them, as if added to zeros. */
static void
accumulate_discounted(struct ns_results *to, const struct ns_results *from,
                      double w, bool first)
{
    void (*put)(double *, const double *, size_t, double) =
        first ? set_scaled : add_scaled;
    size_t kp = to->n_strategies * to->n_points;
    put(to->values_disc, from->values_disc, kp * to->n_streams, w);
    put(to->total_disc, from->total_disc, to->n_strategies * to->n_streams,
        w);
    put(to->outcome_total_disc, from->outcome_total_disc,
        to->n_strategies * to->n_outcomes, w);
}

static void
zero_results(struct ns_results *r)
{
    size_t kp = r->n_strategies * r->n_points;
    size_t ks = r->n_strategies * r->n_streams;
    size_t ko = r->n_strategies * r->n_outcomes;
    memset(r->trace, 0, kp * r->n_states * sizeof *r->trace);
    memset(r->values, 0, kp * r->n_streams * sizeof *r->values);
    memset(r->values_disc, 0, kp * r->n_streams * sizeof *r->values_disc);
    memset(r->total, 0, ks * sizeof *r->total);
    memset(r->total_disc, 0, ks * sizeof *r->total_disc);
    memset(r->outcome_total, 0, ko * sizeof *r->outcome_total);
    memset(r->outcome_total_disc, 0, ko * sizeof *r->outcome_total_disc);
    memset(r->param_values, 0,
           r->n_strategies * r->n_params * sizeof *r->param_values);
}

enum ns_status
ns_population_run(struct ns_population *pop, struct ns_diags *diags)
{
    return ns_population_run_opt(pop, NULL, diags);
}

enum ns_status
ns_population_run_opt(struct ns_population *pop,
                      const struct ns_run_options *opt, struct ns_diags *diags)
{
    enum ns_status status = NS_OK;
    zero_results(pop->pooled);
    for (size_t g = 0; g < pop->n_groups; g++) {
        struct ns_workspace *ws = ns_workspace_alloc(pop->models[g]);
        if (!ws)
            return NS_ENOMEM;
        size_t before = diags->count;
        enum ns_status st =
            ns_model_run_opt(pop->models[g], ws, pop->results[g], diags, opt);
        ns_workspace_free(ws);
        if (st != NS_OK) {
            status = st;
            /* Name the subgroup, since every subgroup shares the lines. */
            for (size_t i = before; pop->n_groups > 1 && i < diags->count;
                 i++) {
                struct ns_diag *d = &diags->items[i];
                size_t n = strlen(d->text) + strlen(pop->names[g]) + 16;
                char *text = malloc(n);
                if (text) {
                    snprintf(text, n, "%s, subgroup %s", d->text,
                             pop->names[g]);
                    free(d->text);
                    d->text = text;
                }
            }
            continue;
        }
        ns_results_accumulate(pop->pooled, pop->results[g], pop->weights[g]);
    }
    return status;
}

struct ns_population_scratch *
ns_population_scratch_alloc(const struct ns_population *pop)
{
    struct ns_population_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->n_groups = pop->n_groups;
    s->results = calloc(pop->n_groups, sizeof *s->results);
    s->ws = calloc(pop->n_groups, sizeof *s->ws);
    s->pooled = ns_results_alloc(pop->models[0]);
    bool ok = s->results && s->ws && s->pooled;
    for (size_t g = 0; ok && g < pop->n_groups; g++) {
        s->results[g] = ns_results_alloc(pop->models[g]);
        s->ws[g] = ns_workspace_alloc(pop->models[g]);
        ok = s->results[g] && s->ws[g];
    }
    if (!ok) {
        ns_population_scratch_free(s);
        return NULL;
    }
    return s;
}

void
ns_population_scratch_free(struct ns_population_scratch *s)
{
    if (!s)
        return;
    for (size_t g = 0; g < s->n_groups; g++) {
        if (s->results)
            ns_results_free(s->results[g]);
        if (s->ws)
            ns_workspace_free(s->ws[g]);
    }
    free(s->results);
    free(s->ws);
    ns_results_free(s->pooled);
    free(s);
}

enum ns_status
ns_population_run_scratch(const struct ns_population *pop,
                          struct ns_population_scratch *s,
                          const struct ns_run_options *opt,
                          struct ns_diags *diags)
{
    zero_results(s->pooled);
    for (size_t g = 0; g < pop->n_groups; g++) {
        enum ns_status st = ns_model_run_opt(pop->models[g], s->ws[g],
                                             s->results[g], diags, opt);
        if (st != NS_OK)
            return st;
        ns_results_accumulate(s->pooled, s->results[g], pop->weights[g]);
    }
    return NS_OK;
}

struct ns_population_lanes *
ns_population_lanes_alloc(const struct ns_population *pop, size_t lanes)
{
    struct ns_population_lanes *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    size_t G = s->n_groups = pop->n_groups, L = s->lanes = lanes;
    s->results = calloc(G * L + 1, sizeof *s->results);
    s->pooled = calloc(L + 1, sizeof *s->pooled);
    s->ws = calloc(G + 1, sizeof *s->ws);
    bool ok = s->results && s->pooled && s->ws;
    for (size_t g = 0; ok && g < G; g++) {
        s->ws[g] = ns_workspace_alloc_lanes(pop->models[g], L);
        ok = s->ws[g] != NULL;
        if (ok)
            ns_workspace_skip_trace(s->ws[g], true);
        for (size_t l = 0; ok && l < L; l++)
            ok = (s->results[g * L + l] = ns_results_alloc(pop->models[g]));
    }
    for (size_t l = 0; ok && l < L; l++)
        ok = (s->pooled[l] = ns_results_alloc(pop->models[0]));
    if (!ok) {
        ns_population_lanes_free(s);
        return NULL;
    }
    return s;
}

void
ns_population_lanes_free(struct ns_population_lanes *s)
{
    if (!s)
        return;
    for (size_t g = 0; s->ws && g < s->n_groups; g++)
        ns_workspace_free(s->ws[g]);
    for (size_t i = 0; s->results && i < s->n_groups * s->lanes; i++)
        ns_results_free(s->results[i]);
    for (size_t l = 0; s->pooled && l < s->lanes; l++)
        ns_results_free(s->pooled[l]);
    free(s->ws);
    free(s->results);
    free(s->pooled);
    free(s);
}

enum ns_status
ns_population_run_lanes(const struct ns_population *pop,
                        struct ns_population_lanes *s,
                        const double *const *param_override)
{
    size_t L = s->lanes;
    for (size_t g = 0; g < pop->n_groups; g++) {
        struct ns_results *const *r = &s->results[g * L];
        enum ns_status st =
            ns_model_run_lanes(pop->models[g], s->ws[g], r, param_override);
        if (st != NS_OK)
            return st;
        for (size_t l = 0; l < L; l++)
            accumulate_discounted(s->pooled[l], r[l], pop->weights[g], g == 0);
    }
    return NS_OK;
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
    if (!ns_results_match(m, pop->pooled))
        return "results do not match the model";
    for (size_t g = 0; g < pop->n_groups; g++) {
        if (!ns_results_match(pop->models[g], pop->results[g]) ||
            !ns_results_match(m, pop->results[g]))
            return "results do not match the model";
        if (!same_ledger(m, pop->models[g]))
            return "subgroups differ in comparators, cost or place outcome, "
                   "cycle length, payers or perspectives";
    }
    return NULL;
}

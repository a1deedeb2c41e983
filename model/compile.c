/* netsave: compiling a model definition into runnable form.
 *
 * Compilation checks everything that can be checked before running:
 * names (states, strategies, streams, outcomes, parameters, tables), the
 * shape of every transition row (at most one complement, no state left
 * without transitions), expressions (syntax, undefined names, circular
 * definitions), and the counting convention. It records every problem it
 * finds rather than stopping at the first, because an analyst fixing a
 * parameter file wants the whole list. Values that can only be judged
 * when computed (a probability of 1.3, a division by zero in cycle 7) are
 * checked by the engine on every run. */
#include "model/compile_priv.h"
#include "model/jit_priv.h"
#include "model/area.h"
#include "model/ledger.h"
#include "model/measures.h"
#include "model/names.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long
ns_model_find_state(const struct ns_model *m, const char *name)
{
    return nsc_find(m->priv->state_ix, name);
}

long
ns_model_find_strategy(const struct ns_model *m, const char *name)
{
    return nsc_find(m->priv->strategy_ix, name);
}

long
ns_model_find_stream(const struct ns_model *m, const char *name)
{
    return nsc_find(m->priv->stream_ix, name);
}

long
ns_model_find_outcome(const struct ns_model *m, const char *name)
{
    return nsc_find(m->priv->outcome_ix, name);
}

long
ns_model_find_param(const struct ns_model *m, const char *name)
{
    return nsc_find(m->priv->param_ix, name);
}

long
ns_model_find_uncertain(const struct ns_model *m, const char *name)
{
    long p = ns_model_find_param(m, name);
    for (size_t i = 0; p >= 0 && i < m->n_uncertain; i++)
        if (m->uncertain[i].param == (size_t)p)
            return (long)i;
    return -1;
}

long
ns_model_find_perspective(const struct ns_model *m, const char *name)
{
    if (!name)
        return m->n_perspectives ? 0 : NS_ALL_PAYERS;
    if (strcmp(name, "all_payers") == 0)
        return NS_ALL_PAYERS;
    for (size_t i = 0; i < m->n_perspectives; i++)
        if (strcmp(m->perspectives[i].name, name) == 0)
            return (long)i;
    return NS_NO_PERSPECTIVE;
}

struct ns_name_index *
nsc_index_names(struct compiler *c, const void *items, size_t n,
                size_t stride, size_t offset)
{
    struct ns_name_index *ix = ns_name_index_alloc();
    for (size_t i = 0; ix && i < n; i++) {
        const char *item = (const char *)items + i * stride;
        const char *name;
        memcpy(&name, item + offset, sizeof name);
        if (ns_name_index_add(ix, name, (long)i) != NS_OK) {
            ns_name_index_free(ix);
            ix = NULL;
        }
    }
    if (!ix)
        c->out_of_mem = true;
    return ix;
}

/* Finds name in ix (over items), reporting "context: unknown KIND 'name'"
 * with a suggestion when it is not there. */
static long
lookup_named(struct compiler *c, const struct ns_name_index *ix,
             const struct ns_named *items, size_t n, const char *kind,
             const char *name, struct ns_origin at, const char *context)
{
    long i = nsc_find(ix, name);
    if (i < 0) {
        const char *names[256];
        size_t count = n < 256 ? n : 256;
        for (size_t j = 0; j < count; j++)
            names[j] = items[j].name;
        char h[96];
        ERROR_AT(c, at, "%s: unknown %s '%s'%s", context, kind, name,
                 ns_did_you_mean(h, sizeof h, name, names, count));
    }
    return i;
}

long
nsc_lookup_state(struct compiler *c, const char *name, struct ns_origin at,
                 const char *context)
{
    return lookup_named(c, c->p->state_ix, c->m->states, c->m->n_states,
                        "state", name, at, context);
}

/* Resolves a strategy name (NULL means every strategy, returns -2). */
long
nsc_lookup_strategy(struct compiler *c, const char *name, struct ns_origin at,
                    const char *context)
{
    if (!name)
        return -2;
    return lookup_named(c, c->p->strategy_ix, c->m->strategies,
                        c->m->n_strategies, "strategy", name, at, context);
}

/* ---- names: states, strategies, outcomes, streams, comparators ---- */

/* Copies states or strategies, with an index of their names in *ix. */
static void
copy_entities(struct compiler *c, const struct ns_def_entity *src, size_t n,
              struct ns_named **dst, size_t *n_dst, const char *kind,
              struct ns_name_index **ix)
{
    *dst = alloc_array(c, n, sizeof **dst);
    if (!*dst)
        return;
    *n_dst = n;
    for (size_t i = 0; i < n; i++) {
        if (!ns_is_identifier(src[i].name))
            ERROR_AT(c, src[i].at,
                     "%s name '%s' must start with a letter or '_' and "
                     "contain only letters, digits and '_'",
                     kind, src[i].name);
        (*dst)[i].name = copy_str(c, src[i].name);
        (*dst)[i].label =
            copy_str(c, src[i].label && *src[i].label ? src[i].label
                                                      : src[i].name);
    }
    *ix = nsc_index_names(c, *dst, n, sizeof **dst,
                          offsetof(struct ns_named, name));
}

static void
compile_settings(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    m->name = copy_str(c, d->name ? d->name : "model");
    m->cycle_length_years = d->cycle_length_years;
    m->n_cycles = d->n_cycles;
    m->has_start_age = d->has_start_age;
    m->start_age_years = d->start_age_years;
    m->counting = d->counting;
    m->discount_origin = d->discount_origin;
    m->row_sum_tolerance = d->row_sum_tolerance;
    m->report_cohort = d->report_cohort;
    m->lost_toward_intake = d->lost_toward_intake;
    m->wtp_max = d->wtp_max;
    m->wtp_step = d->wtp_step;
    m->wtp = d->wtp;
    /* A setting the loader rejected was reported there already. */
    if (!(d->cycle_length_years > 0.0) && !d->settings_rejected)
        ERROR_AT(c, d->cycle_length_at,
                 "the cycle length must be a number of years above 0");
    if (d->n_cycles < 1 && !d->settings_rejected)
        ERROR_AT(c, d->n_cycles_at, "the number of cycles must be at least 1");
    /* The acceptability curve's counts are kept for every point (model/
     * psa_summary.c): a step of 1 up to 1e9 would mean 1e9 counters per
     * strategy. */
    if (d->wtp_step > 0.0 && d->wtp_max / d->wtp_step > NS_MAX_WTP_POINTS)
        ERROR_AT(c, d->wtp_step_at,
                 "wtp_step must be at least wtp_max / %d = %g, so that the "
                 "acceptability curve has at most %d points; got %g (%.0f "
                 "points)",
                 NS_MAX_WTP_POINTS, d->wtp_max / NS_MAX_WTP_POINTS,
                 NS_MAX_WTP_POINTS, d->wtp_step, d->wtp_max / d->wtp_step);
    struct ns_origin whole = {d->name_at.file, 0};
    if (d->n_states == 0)
        ERROR_AT(c, whole, "the model defines no states");
    if (d->n_states > NS_MAX_STATES)
        ERROR_AT(c, whole,
                 "the model defines %zu states; netsave takes at most %d, "
                 "as memory grows with the square of the number of states "
                 "(a cohort model has tens)",
                 d->n_states, NS_MAX_STATES);
    if (d->n_strategies == 0)
        ERROR_AT(c, whole, "the model defines no strategies");
}

static void
compile_outcomes(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    m->outcomes = alloc_array(c, d->n_outcomes, sizeof *m->outcomes);
    if (!m->outcomes)
        return;
    m->n_outcomes = d->n_outcomes;
    for (size_t i = 0; i < d->n_outcomes; i++) {
        if (!ns_is_identifier(d->outcomes[i].name))
            ERROR_AT(c, d->outcomes[i].at,
                     "outcome name '%s' must start with a letter or '_' and "
                     "contain only letters, digits and '_'",
                     d->outcomes[i].name);
        m->outcomes[i].name = copy_str(c, d->outcomes[i].name);
        m->outcomes[i].discount_rate = d->outcomes[i].discount_rate;
    }
    c->p->outcome_ix =
        nsc_index_names(c, m->outcomes, m->n_outcomes, sizeof *m->outcomes,
                        offsetof(struct ns_outcome_info, name));
}

/* Resolves an outcome name, reporting an unknown one. */
static long
lookup_outcome(struct compiler *c, const char *name, struct ns_origin at,
               const char *context)
{
    long o = ns_model_find_outcome(c->m, name);
    if (o < 0) {
        const char *names[64];
        size_t n = c->m->n_outcomes < 64 ? c->m->n_outcomes : 64;
        for (size_t i = 0; i < n; i++)
            names[i] = c->m->outcomes[i].name;
        char h[96];
        ERROR_AT(c, at,
                 "%s: unknown outcome '%s' (outcomes are the keys of the "
                 "discount rates)%s",
                 context, name, ns_did_you_mean(h, sizeof h, name, names, n));
    }
    return o;
}

static void
compile_streams(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    m->streams = alloc_array(c, d->n_streams, sizeof *m->streams);
    if (!m->streams)
        return;
    m->n_streams = d->n_streams;
    for (size_t j = 0; j < d->n_streams; j++) {
        const struct ns_def_stream *s = &d->streams[j];
        struct ns_stream_info *info = &m->streams[j];
        char ctx[160];
        snprintf(ctx, sizeof ctx, "stream %s", s->name);
        if (!ns_is_identifier(s->name))
            ERROR_AT(c, s->at,
                     "stream name '%s' must start with a letter or '_' and "
                     "contain only letters, digits and '_'",
                     s->name);
        info->name = copy_str(c, s->name);
        info->label = copy_str(c, s->label && *s->label ? s->label : s->name);
        long o = -1;
        if (!s->outcome)
            ERROR_AT(c, s->at, "%s: missing its outcome", ctx);
        else
            o = lookup_outcome(c, s->outcome, s->at, ctx);
        info->outcome = o < 0 ? 0 : (size_t)o;
        info->tags = alloc_array(c, s->n_tags, sizeof *info->tags);
        if (!info->tags)
            return;
        info->n_tags = s->n_tags;
        for (size_t i = 0; i < s->n_tags; i++)
            info->tags[i] = copy_str(c, s->tags[i]);
    }
    c->p->stream_ix =
        nsc_index_names(c, m->streams, m->n_streams, sizeof *m->streams,
                        offsetof(struct ns_stream_info, name));
    m->cost_outcome = m->health_outcome = m->place_outcome = -1;
    if (d->place_outcome)
        m->place_outcome = lookup_outcome(c, d->place_outcome,
                                          d->place_outcome_at,
                                          "place outcome");
    if (d->cost_outcome)
        m->cost_outcome = lookup_outcome(c, d->cost_outcome, d->cost_outcome_at,
                                         "cost outcome");
    if (d->health_outcome)
        m->health_outcome = lookup_outcome(
            c, d->health_outcome, d->health_outcome_at, "health outcome");
}

static void
compile_comparators(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    m->comparator = alloc_array(c, m->n_strategies, sizeof *m->comparator);
    if (!m->comparator)
        return;
    for (size_t k = 0; k < m->n_strategies; k++)
        m->comparator[k] = -1;
    /* The shared comparator first, so per-strategy entries override it. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < d->n_comparators; i++) {
            const struct ns_def_comparator *e = &d->comparators[i];
            if ((pass == 0) != (e->strategy == NULL))
                continue;
            long cmp =
                nsc_lookup_strategy(c, e->comparator, e->at, "comparator");
            long k = nsc_lookup_strategy(c, e->strategy, e->at, "comparator");
            if (cmp < 0 || k == -1)
                continue;
            if (k == -2) {
                for (size_t j = 0; j < m->n_strategies; j++)
                    m->comparator[j] = (long)j == cmp ? -1 : cmp;
            } else if (k == cmp) {
                ERROR_AT(c, e->at,
                         "strategy %s cannot be its own comparator",
                         e->strategy);
            } else {
                m->comparator[k] = cmp;
            }
        }
    }
}

/* A chain of comparators must end: a -> b -> a compares nothing. */
static void
check_comparator_loops(struct compiler *c)
{
    struct ns_model *m = c->m;
    for (size_t k = 0; k < m->n_strategies; k++) {
        long cur = m->comparator[k];
        for (size_t steps = 0; cur >= 0 && steps <= m->n_strategies; steps++) {
            if ((size_t)cur == k) {
                ERROR_AT(c, c->def->strategies[k].at,
                         "strategy %s is compared, through its comparators, "
                         "with itself; a chain of comparators must end at "
                         "a strategy without one",
                         m->strategies[k].name);
                break;
            }
            cur = m->comparator[cur];
        }
    }
}

static void
compile_tunnels(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model_priv *p = c->p;
    size_t S = c->m->n_states;
    p->n_slots = alloc_array(c, S, sizeof *p->n_slots);
    p->first_x = alloc_array(c, S, sizeof *p->first_x);
    if (!p->n_slots || !p->first_x)
        return;
    for (size_t s = 0; s < S; s++)
        p->n_slots[s] = 1;
    for (size_t i = 0; i < d->n_tunnels; i++) {
        const struct ns_def_tunnel *t = &d->tunnels[i];
        long s = nsc_lookup_state(c, t->state, t->at, "time in state");
        if (s < 0)
            continue;
        if (t->n_slots < 2)
            ERROR_AT(c, t->at,
                     "time in state %s must be tracked over at least 2 "
                     "cycles, got %zu",
                     t->state, t->n_slots);
        else
            p->n_slots[s] = t->n_slots;
    }
    size_t x = 0;
    for (size_t s = 0; s < S; s++) {
        p->first_x[s] = x;
        x += p->n_slots[s];
    }
    p->n_expanded = x;
}

static void
compile_tables(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model_priv *p = c->p;
    size_t n = d->n_tables;
    p->tables = alloc_array(c, n, sizeof *p->tables);
    p->table_names = alloc_array(c, n, sizeof *p->table_names);
    p->table_storage = alloc_array(c, 2 * n, sizeof *p->table_storage);
    if (!p->tables || !p->table_names || !p->table_storage)
        return;
    p->n_tables = n;
    for (size_t i = 0; i < n; i++) {
        const struct ns_def_table *t = &d->tables[i];
        if (!ns_is_identifier(t->name))
            ERROR_AT(c, t->at,
                     "table name '%s' must start with a letter or '_' and "
                     "contain only letters, digits and '_'",
                     t->name);
        p->table_names[i] = copy_str(c, t->name);
        double *x = alloc_array(c, t->n, sizeof *x);
        double *y = alloc_array(c, t->n, sizeof *y);
        p->table_storage[2 * i] = x;
        p->table_storage[2 * i + 1] = y;
        if (!x || !y)
            return;
        if (t->n)
            memcpy(x, t->x, t->n * sizeof *x);
        if (t->n)
            memcpy(y, t->y, t->n * sizeof *y);
        p->tables[i] = (struct ns_table){p->table_names[i], t->n, x, y,
                                          t->lookup == NS_TABLE_EXACT};
        if (t->n == 0)
            ERROR_AT(c, t->at, "table %s has no rows", t->name);
        for (size_t r = 1; r < t->n; r++) {
            if (!(x[r] > x[r - 1])) {
                ERROR_AT(c, t->at,
                         "table %s: keys must increase strictly, but row %zu "
                         "has %g after %g",
                         t->name, r + 1, x[r], x[r - 1]);
                break;
            }
        }
    }
    p->table_ix = nsc_index_names(c, p->table_names, n, sizeof *p->table_names,
                                  0);
}
static const char payer_prefix[] = "payer:";
static const char intervention_tag[] = "intervention";

static void
compile_payers(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    size_t n_tags = 0;
    for (size_t j = 0; j < m->n_streams; j++)
        n_tags += m->streams[j].n_tags;
    m->payers = alloc_array(c, n_tags, sizeof *m->payers);
    c->p->payer_ix = ns_name_index_alloc();
    if (!c->p->payer_ix)
        c->out_of_mem = true;
    if (!m->payers || !c->p->payer_ix)
        return;
    for (size_t j = 0; j < m->n_streams; j++) {
        struct ns_stream_info *s = &m->streams[j];
        s->payer = -1;
        for (size_t i = 0; i < s->n_tags; i++) {
            const char *tag = s->tags[i];
            if (strcmp(tag, intervention_tag) == 0) {
                s->is_intervention = true;
                continue;
            }
            if (strncmp(tag, payer_prefix, sizeof payer_prefix - 1) != 0)
                continue;
            const char *name = tag + sizeof payer_prefix - 1;
            if (s->payer >= 0) {
                ERROR_AT(c, d->streams[j].at,
                         "stream %s names two payers (%s and %s); split it "
                         "into one stream per payer",
                         s->name, m->payers[s->payer], name);
                continue;
            }
            long pi = nsc_find(c->p->payer_ix, name);
            if (pi < 0) {
                if (!ns_is_identifier(name)) {
                    ERROR_AT(c, d->streams[j].at,
                             "stream %s: payer name '%s' must start with a "
                             "letter or '_' and contain only letters, "
                             "digits and '_'",
                             s->name, name);
                    continue;
                }
                pi = (long)m->n_payers;
                m->payers[m->n_payers++] = copy_str(c, name);
                if (ns_name_index_add(c->p->payer_ix, m->payers[pi], pi) !=
                    NS_OK)
                    c->out_of_mem = true;
            }
            s->payer = pi;
        }
    }
}

static void
compile_perspectives(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    m->perspectives =
        alloc_array(c, d->n_perspectives, sizeof *m->perspectives);
    if (!m->perspectives)
        return;
    for (size_t i = 0; i < d->n_perspectives; i++) {
        const struct ns_def_perspective *dp = &d->perspectives[i];
        struct ns_perspective_info *pi = &m->perspectives[m->n_perspectives++];
        pi->name = copy_str(c, dp->name);
        pi->has_payer = alloc_array(c, m->n_payers, sizeof *pi->has_payer);
        if (!pi->has_payer)
            return;
        if (!ns_is_identifier(dp->name))
            ERROR_AT(c, dp->at,
                     "perspective name '%s' must start with a letter or '_' "
                     "and contain only letters, digits and '_'",
                     dp->name);
        if (dp->n_payers == 0)
            ERROR_AT(c, dp->at, "perspective %s names no payer", dp->name);
        for (size_t q = 0; q < dp->n_payers; q++) {
            long payer = nsc_find(c->p->payer_ix, dp->payers[q]);
            if (payer < 0) {
                char h[96];
                ERROR_AT(c, dp->at,
                         "perspective %s: no stream is tagged payer:%s%s",
                         dp->name, dp->payers[q],
                         ns_did_you_mean(h, sizeof h, dp->payers[q],
                              (const char *const *)m->payers, m->n_payers));
                continue;
            }
            pi->has_payer[payer] = true;
        }
    }
}

enum ns_status
ns_model_compile(const struct ns_model_def *def, struct ns_model **out,
                 struct ns_diags *diags)
{
    *out = NULL;
    struct ns_model *m = calloc(1, sizeof *m);
    struct ns_model_priv *p = calloc(1, sizeof *p);
    if (!m || !p) {
        free(m);
        free(p);
        return NS_ENOMEM;
    }
    m->priv = p;
    struct compiler c = {def, m, p, diags, false, false, -1};
    compile_settings(&c);
    copy_entities(&c, def->states, def->n_states, &m->states, &m->n_states,
                  "state", &p->state_ix);
    copy_entities(&c, def->strategies, def->n_strategies, &m->strategies,
                  &m->n_strategies, "strategy", &p->strategy_ix);
    if (!c.out_of_mem)
        compile_outcomes(&c);
    if (!c.out_of_mem)
        compile_streams(&c);
    if (!c.out_of_mem)
        compile_payers(&c);
    if (!c.out_of_mem)
        compile_perspectives(&c);
    if (!c.out_of_mem)
        compile_comparators(&c);
    if (!c.out_of_mem && !c.failed)
        check_comparator_loops(&c);
    if (!c.out_of_mem)
        compile_tunnels(&c);
    if (!c.out_of_mem)
        compile_tables(&c);
    if (!c.out_of_mem)
        nsc_collect_params(&c);
    if (!c.out_of_mem)
        nsc_compile_params(&c);
    if (!c.out_of_mem)
        nsc_compile_param_info(&c);
    if (!c.out_of_mem)
        nsc_compile_counting(&c);
    if (!c.out_of_mem)
        nsc_compile_free_params(&c);
    if (!c.out_of_mem)
        nsc_compile_uncertainty(&c);
    if (!c.out_of_mem)
        nsc_compile_expansion(&c);
    if (!c.out_of_mem)
        nsc_compile_benchmark(&c);
    if (!c.out_of_mem)
        nsc_compile_correlation(&c);
    if (!c.out_of_mem)
        nsc_compile_dirichlet(&c);
    if (!c.out_of_mem)
        nsc_compile_param_groups(&c);
    if (!c.out_of_mem)
        nsc_compile_transitions(&c);
    if (!c.out_of_mem)
        nsc_compile_initial(&c);
    if (!c.out_of_mem)
        nsc_compile_values(&c);
    if (!c.out_of_mem)
        nsc_compile_transition_values(&c);
    if (!c.out_of_mem && !c.failed)
        nsc_order_params(&c);
    if (!c.out_of_mem && !c.failed)
        nsc_expression_deps(&c);
    if (!c.out_of_mem && !c.failed)
        nsc_check_state_time(&c);
    if (!c.out_of_mem && !c.failed)
        nsc_compute_needs(&c);
    if (!c.out_of_mem && !c.failed)
        nsc_finish_counting(&c);
    if (!c.out_of_mem &&
        ns_measures_compile(def, m, diags, &c.failed) == NS_ENOMEM)
        c.out_of_mem = true;
    if (!c.out_of_mem &&
        ns_area_compile(def, m, diags, &c.failed) == NS_ENOMEM)
        c.out_of_mem = true;
    if (c.out_of_mem || c.failed) {
        ns_model_free(m);
        return c.out_of_mem ? NS_ENOMEM : NS_EPARAM;
    }
    *out = m;
    return NS_OK;
}

static void
free_named(struct ns_named *items, size_t n)
{
    for (size_t i = 0; items && i < n; i++) {
        free(items[i].name);
        free(items[i].label);
    }
    free(items);
}

static void
free_priv(struct ns_model_priv *p, size_t n_rows)
{
    ns_jit_free(p->jit);
    for (size_t i = 0; i < p->n_params; i++)
        free(p->param_names[i]);
    free(p->param_names);
    free(p->param_def);
    free(p->param_dep);
    free(p->param_need);
    free(p->order);
    for (size_t i = 0; i < p->n_exprs; i++)
        ns_expr_free(p->exprs[i].expr);
    free(p->exprs);
    for (size_t i = 0; i < p->n_whats; i++)
        free(p->whats[i]);
    free(p->whats);
    for (size_t i = 0; p->rows && i < n_rows; i++)
        free(p->rows[i].entries);
    free(p->rows);
    free(p->initial_def);
    free(p->value_def);
    free(p->tvalues);
    free(p->expr_dep);
    free(p->n_slots);
    free(p->first_x);
    for (size_t i = 0; p->table_names && i < p->n_tables; i++)
        free(p->table_names[i]);
    for (size_t i = 0; p->table_storage && i < 2 * p->n_tables; i++)
        free(p->table_storage[i]);
    free(p->tables);
    free(p->table_names);
    free(p->table_storage);
    ns_name_index_free(p->state_ix);
    ns_name_index_free(p->strategy_ix);
    ns_name_index_free(p->stream_ix);
    ns_name_index_free(p->outcome_ix);
    ns_name_index_free(p->param_ix);
    ns_name_index_free(p->table_ix);
    ns_name_index_free(p->payer_ix);
    free(p);
}

void
ns_model_free(struct ns_model *m)
{
    if (!m)
        return;
    if (m->priv)
        free_priv(m->priv, m->n_strategies * m->n_states);
    ns_measures_free(m);
    ns_area_free(m->area);
    free(m->name);
    free(m->weights);
    free(m->cycle_share);
    free_named(m->states, m->n_states);
    free_named(m->strategies, m->n_strategies);
    free(m->comparator);
    for (size_t j = 0; m->streams && j < m->n_streams; j++) {
        free(m->streams[j].name);
        free(m->streams[j].label);
        for (size_t i = 0; i < m->streams[j].n_tags; i++)
            free(m->streams[j].tags[i]);
        free(m->streams[j].tags);
    }
    free(m->streams);
    for (size_t o = 0; m->outcomes && o < m->n_outcomes; o++)
        free(m->outcomes[o].name);
    free(m->outcomes);
    for (size_t i = 0; m->params && i < m->n_params; i++) {
        struct ns_param_info *pi = &m->params[i];
        free(pi->name);
        free(pi->text);
        free(pi->unit);
        free(pi->price_year);
        free(pi->grade);
        free(pi->source);
    }
    free(m->params);
    free(m->free_params);
    free(m->uncertain);
    free(m->correlation);
    for (size_t i = 0; m->dirichlet && i < m->n_dirichlet; i++) {
        free(m->dirichlet[i].name);
        free(m->dirichlet[i].param);
        free(m->dirichlet[i].alpha);
    }
    free(m->dirichlet);
    for (size_t i = 0; m->param_groups && i < m->n_param_groups; i++) {
        free(m->param_groups[i].name);
        free(m->param_groups[i].uncertain);
    }
    free(m->param_groups);
    for (size_t i = 0; m->expansion_places && i < m->n_expansion; i++)
        free(m->expansion_places[i]);
    free(m->expansion_places);
    free(m->expansion_strategy);
    free(m->benchmark_param);
    for (size_t i = 0; m->payers && i < m->n_payers; i++)
        free(m->payers[i]);
    free(m->payers);
    for (size_t i = 0; m->perspectives && i < m->n_perspectives; i++) {
        free(m->perspectives[i].name);
        free(m->perspectives[i].has_payer);
    }
    free(m->perspectives);
    free(m);
}


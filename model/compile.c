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
#include "model/compiled.h"
#include "model/measures.h"
#include "model/names.h"

#include <ctype.h>
#include <fnmatch.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const builtin_names[NS_VAR_COUNT] = {
    [NS_VAR_CYCLE] = "cycle",
    [NS_VAR_TIME] = "time",
    [NS_VAR_AGE] = "age",
    [NS_VAR_STATE_TIME] = "state_time",
};

struct compiler {
    const struct ns_model_def *def;
    struct ns_model *m;
    struct ns_model_priv *p;
    struct ns_diags *diags;
    bool failed;      /* an input problem was recorded */
    bool out_of_mem;
};

static char *
copy_str(struct compiler *c, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (!d) {
        c->out_of_mem = true;
        return NULL;
    }
    memcpy(d, s, n);
    return d;
}

static void *
alloc_array(struct compiler *c, size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        c->out_of_mem = true;
    return p;
}

#define ERROR_AT(c, at, ...)                                                 \
    do {                                                                     \
        ns_diags_add_at((c)->diags, (at), __VA_ARGS__);                      \
        (c)->failed = true;                                                  \
    } while (0)

static long
find_named(const struct ns_named *items, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].name, name) == 0)
            return (long)i;
    return -1;
}

long
ns_model_find_state(const struct ns_model *m, const char *name)
{
    return find_named(m->states, m->n_states, name);
}

long
ns_model_find_strategy(const struct ns_model *m, const char *name)
{
    return find_named(m->strategies, m->n_strategies, name);
}

long
ns_model_find_stream(const struct ns_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_streams; i++)
        if (strcmp(m->streams[i].name, name) == 0)
            return (long)i;
    return -1;
}

long
ns_model_find_outcome(const struct ns_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_outcomes; i++)
        if (strcmp(m->outcomes[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* Finds name among items, reporting "context: unknown KIND 'name'" with a
 * suggestion when it is not there. */
static long
lookup_named(struct compiler *c, const struct ns_named *items, size_t n,
             const char *kind, const char *name, struct ns_origin at,
             const char *context)
{
    long i = find_named(items, n, name);
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

static long
lookup_state(struct compiler *c, const char *name, struct ns_origin at,
             const char *context)
{
    return lookup_named(c, c->m->states, c->m->n_states, "state", name, at,
                        context);
}

/* Resolves a strategy name (NULL means every strategy, returns -2). */
static long
lookup_strategy(struct compiler *c, const char *name, struct ns_origin at,
                const char *context)
{
    if (!name)
        return -2;
    return lookup_named(c, c->m->strategies, c->m->n_strategies, "strategy",
                        name, at, context);
}

/* ---- names: states, strategies, outcomes, streams, comparators ---- */

static void
copy_entities(struct compiler *c, const struct ns_def_entity *src, size_t n,
              struct ns_named **dst, size_t *n_dst, const char *kind)
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
    if (d->n_strategies == 0)
        ERROR_AT(c, whole, "the model defines no strategies");
}

/* Only cycle (the time point) is known to a weight expression. */
static long
resolve_cycle_only(void *ctx, const char *name, size_t len)
{
    (void)ctx;
    return len == 5 && memcmp(name, "cycle", 5) == 0 ? NS_VAR_CYCLE : -1;
}

/* Weights from an expression of the time point, e.g. DARTH's Simpson
 * weights for an odd number of cycles. */
static void
weights_from_expression(struct compiler *c, double *w, size_t T)
{
    const struct ns_model_def *d = c->def;
    struct ns_expr_resolver r = {c, resolve_cycle_only, NULL, NULL};
    struct ns_expr *e = NULL;
    char err[256];
    enum ns_status st = ns_expr_compile(d->weight_text, &r, &e, err,
                                        sizeof err);
    if (st == NS_ENOMEM) {
        c->out_of_mem = true;
        return;
    }
    if (st != NS_OK) {
        ERROR_AT(c, d->counting_at, "counting weight: %s", err);
        return;
    }
    double vars[NS_VAR_COUNT] = {0};
    for (size_t t = 0; t <= T; t++) {
        vars[NS_VAR_CYCLE] = (double)t;
        struct ns_expr_fault fault;
        if (ns_expr_eval(e, vars, NULL, &w[t], &fault) != NS_OK) {
            ERROR_AT(c, d->counting_at,
                     "counting weight: %s at column %zu, at time point %zu",
                     fault.detail, fault.column, t);
            break;
        }
        if (!(w[t] >= 0.0)) {
            ERROR_AT(c, d->counting_at,
                     "counting weight must be at least 0, got %g at time "
                     "point %zu",
                     w[t], t);
            break;
        }
    }
    ns_expr_free(e);
}

/* Counting weights over time points 0..T, with the time-0 rule applied. */
static void
compile_weights(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    size_t T = d->n_cycles;
    m->weights = alloc_array(c, T + 1, sizeof *m->weights);
    if (!m->weights || T < 1)
        return;
    for (size_t t = 0; t <= T; t++) {
        double w = 1.0;
        switch (d->counting) {
        case NS_COUNT_START:
            w = t < T ? 1.0 : 0.0;
            break;
        case NS_COUNT_END:
            w = t > 0 ? 1.0 : 0.0;
            break;
        case NS_COUNT_LIFE_TABLE:
            w = (t == 0 || t == T) ? 0.5 : 1.0;
            break;
        case NS_COUNT_SIMPSON:
            w = (t == 0 || t == T) ? 1.0 / 3.0
                                   : (t % 2 ? 4.0 / 3.0 : 2.0 / 3.0);
            break;
        case NS_COUNT_WEIGHTS:
            w = t < d->n_weights ? d->weights[t] : 0.0;
            break;
        }
        m->weights[t] = w;
    }
    if (d->counting == NS_COUNT_SIMPSON && T % 2 != 0)
        ERROR_AT(c, d->counting_at,
                 "Simpson's 1/3 rule needs an even number of cycles, got %zu",
                 T);
    if (d->counting == NS_COUNT_WEIGHTS && d->weight_text)
        weights_from_expression(c, m->weights, T);
    else if (d->counting == NS_COUNT_WEIGHTS && d->n_weights != T + 1)
        ERROR_AT(c, d->counting_at,
                 "the counting weights must list one weight per time point "
                 "0..%zu (%zu weights), got %zu",
                 T, T + 1, d->n_weights);
    if (!d->count_time_zero)
        m->weights[0] = 0.0;
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
            long cmp = lookup_strategy(c, e->comparator, e->at, "comparator");
            long k = lookup_strategy(c, e->strategy, e->at, "comparator");
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
        long s = lookup_state(c, t->state, t->at, "time in state");
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
}

/* ---- parameters and expressions ---- */

static long
resolve_variable(void *ctx, const char *name, size_t len)
{
    struct compiler *c = ctx;
    for (size_t i = 0; i < NS_VAR_COUNT; i++) {
        if (i == NS_VAR_AGE && !c->m->has_start_age)
            continue;
        if (strlen(builtin_names[i]) == len &&
            memcmp(builtin_names[i], name, len) == 0)
            return (long)i;
    }
    for (size_t i = 0; i < c->p->n_params; i++) {
        const char *pn = c->p->param_names[i];
        if (strlen(pn) == len && memcmp(pn, name, len) == 0)
            return (long)(NS_VAR_COUNT + i);
    }
    return -1;
}

static long
resolve_table(void *ctx, const char *name, size_t len)
{
    struct compiler *c = ctx;
    for (size_t i = 0; i < c->p->n_tables; i++) {
        const char *tn = c->p->table_names[i];
        if (tn && strlen(tn) == len && memcmp(tn, name, len) == 0)
            return (long)i;
    }
    return -1;
}

static const char *
suggest_name(void *ctx, const char *name, size_t len)
{
    struct compiler *c = ctx;
    const char *best = ns_nearest_name(name, len, builtin_names, NS_VAR_COUNT);
    if (best)
        return best;
    return ns_nearest_name(name, len, (const char *const *)c->p->param_names,
                   c->p->n_params);
}

/* Records a description such as "transition a -> b" for messages, with
 * " (strategy s)" appended when strategy is not NULL. */
static const char *describe(struct compiler *c, const char *strategy,
                            const char *fmt, ...) NS_PRINTF(3, 4);

static const char *
describe(struct compiler *c, const char *strategy, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (strategy && n >= 0 && (size_t)n < sizeof buf)
        snprintf(buf + n, sizeof buf - (size_t)n, " (strategy %s)", strategy);
    char *copy = copy_str(c, buf);
    if (!copy)
        return "";
    char **whats = realloc(c->p->whats, (c->p->n_whats + 1) * sizeof *whats);
    if (!whats) {
        free(copy);
        c->out_of_mem = true;
        return "";
    }
    c->p->whats = whats;
    whats[c->p->n_whats++] = copy;
    return copy;
}

/* Compiles text into a new entry of priv->exprs and returns its index
 * (programs that fail to compile are stored as NULL and reported). */
static size_t
add_expr(struct compiler *c, const char *text, struct ns_origin at,
         const char *what, bool is_complement)
{
    struct ns_model_priv *p = c->p;
    struct ns_compiled_expr *e =
        realloc(p->exprs, (p->n_exprs + 1) * sizeof *e);
    if (!e) {
        c->out_of_mem = true;
        return 0;
    }
    p->exprs = e;
    size_t i = p->n_exprs++;
    p->exprs[i] = (struct ns_compiled_expr){NULL, at, what, is_complement};
    if (is_complement)
        return i;
    struct ns_expr_resolver r = {c, resolve_variable, resolve_table,
                                 suggest_name};
    char err[256];
    enum ns_status st = ns_expr_compile(text, &r, &p->exprs[i].expr, err,
                                        sizeof err);
    if (st == NS_ENOMEM) {
        c->out_of_mem = true;
    } else if (st != NS_OK) {
        const char *age_hint =
            !c->m->has_start_age && strstr(err, "undefined name 'age'")
                ? "; set a start age in the model settings to use age"
                : "";
        ERROR_AT(c, at, "%s: %s%s", what, err, age_hint);
    }
    return i;
}

static long
find_param(const struct ns_model_priv *p, const char *name)
{
    for (size_t i = 0; i < p->n_params; i++)
        if (strcmp(p->param_names[i], name) == 0)
            return (long)i;
    return -1;
}

static bool
is_reserved(const char *name)
{
    for (size_t i = 0; i < NS_VAR_COUNT; i++)
        if (strcmp(builtin_names[i], name) == 0)
            return true;
    return strcmp(name, NS_COMPLEMENT) == 0;
}

/* Collects parameter names from the shared definitions. */
static void
collect_params(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model_priv *p = c->p;
    p->param_names = alloc_array(c, d->n_params, sizeof *p->param_names);
    if (!p->param_names)
        return;
    for (size_t i = 0; i < d->n_params; i++) {
        const struct ns_def_expr *e = &d->params[i];
        if (e->strategy)
            continue;
        if (!ns_is_identifier(e->name)) {
            ERROR_AT(c, e->at,
                     "parameter name '%s' must start with a letter or '_' "
                     "and contain only letters, digits and '_'",
                     e->name);
            continue;
        }
        if (is_reserved(e->name)) {
            ERROR_AT(c, e->at,
                     "parameter name '%s' is reserved for a built-in name",
                     e->name);
            continue;
        }
        if (resolve_table(c, e->name, strlen(e->name)) >= 0) {
            ERROR_AT(c, e->at, "parameter %s has the name of a table",
                     e->name);
            continue;
        }
        p->param_names[p->n_params++] = copy_str(c, e->name);
        if (c->out_of_mem)
            return;
    }
    p->n_vars = NS_VAR_COUNT + p->n_params;
}

static void
compile_params(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model_priv *p = c->p;
    size_t K = c->m->n_strategies, P = p->n_params;
    p->param_def = alloc_array(c, K * P, sizeof *p->param_def);
    p->param_dep = alloc_array(c, K * P, sizeof *p->param_dep);
    p->order = alloc_array(c, K * P, sizeof *p->order);
    if (!p->param_def || !p->param_dep || !p->order)
        return;
    /* Shared definitions first, then overrides replace them. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < d->n_params; i++) {
            const struct ns_def_expr *e = &d->params[i];
            if ((pass == 0) != (e->strategy == NULL))
                continue;
            char ctx[160];
            snprintf(ctx, sizeof ctx, "parameter %s", e->name);
            long k = lookup_strategy(c, e->strategy, e->at, ctx);
            if (k == -1)
                continue;
            long pi = find_param(p, e->name);
            if (pi < 0) {
                if (e->strategy) {
                    char h[96];
                    ERROR_AT(c, e->at,
                             "parameter %s is overridden for strategy %s but "
                             "has no shared definition%s",
                             e->name, e->strategy,
                             ns_did_you_mean(h, sizeof h, e->name,
                                  (const char *const *)p->param_names, P));
                }
                continue;
            }
            const char *what =
                describe(c, e->strategy, "parameter %s", e->name);
            size_t x = add_expr(c, e->text, e->at, what, false);
            for (size_t kk = 0; kk < K; kk++)
                if (k == -2 || (size_t)k == kk)
                    p->param_def[kk * P + (size_t)pi] = x;
            if (c->out_of_mem)
                return;
        }
    }
}

/* Depth-first ordering of strategy k's parameters; reports loops. The
 * walk keeps its own stack (a chain of a = b, b = c, ... is as deep as
 * the model has parameters, far deeper than the C stack allows). */
struct order_state {
    struct compiler *c;
    size_t k;
    unsigned char *mark; /* 0 new, 1 on the stack, 2 done */
    size_t *stack;       /* [depth]: the path from the root */
    size_t *cursor;      /* [depth]: the next variable of each to follow */
    unsigned *dep;       /* [depth]: the dependencies found so far */
    size_t depth;
    size_t n_order;
};

static void
report_loop(struct order_state *o, size_t start)
{
    struct ns_model_priv *p = o->c->p;
    char buf[512] = "";
    size_t len = 0;
    size_t first = 0;
    while (o->stack[first] != start)
        first++;
    for (size_t i = first; i < o->depth && len < sizeof buf; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s -> ",
                                p->param_names[o->stack[i]]);
    if (len < sizeof buf)
        snprintf(buf + len, sizeof buf - len, "%s", p->param_names[start]);
    size_t P = p->n_params;
    struct ns_origin at = p->exprs[p->param_def[o->k * P + start]].at;
    /* The same loop would be found once per strategy; say it once. */
    for (size_t i = 0; i < o->c->diags->count; i++)
        if (strstr(o->c->diags->items[i].text, buf))
            return;
    ERROR_AT(o->c, at, "circular definition: %s", buf);
}

static void
enter(struct order_state *o, size_t pi)
{
    o->mark[pi] = 1;
    o->stack[o->depth] = pi;
    o->cursor[o->depth] = 0;
    o->dep[o->depth] = 0;
    o->depth++;
}

/* The top parameter's variables are all followed: it is ordered, and
 * what it depends on passes to the parameter that uses it. */
static void
leave(struct order_state *o)
{
    struct ns_model_priv *p = o->c->p;
    size_t top = --o->depth, pi = o->stack[top];
    p->param_dep[o->k * p->n_params + pi] = o->dep[top];
    o->mark[pi] = 2;
    p->order[o->k * p->n_params + o->n_order++] = pi;
    if (o->depth)
        o->dep[o->depth - 1] |= o->dep[top];
}

static void
visit(struct order_state *o, size_t root)
{
    struct ns_model_priv *p = o->c->p;
    size_t P = p->n_params;
    if (o->mark[root])
        return;
    enter(o, root);
    while (o->depth) {
        size_t top = o->depth - 1;
        const struct ns_expr *e =
            p->exprs[p->param_def[o->k * P + o->stack[top]]].expr;
        if (!e || o->cursor[top] == ns_expr_n_variables(e)) {
            leave(o);
            continue;
        }
        long v = ns_expr_variable(e, o->cursor[top]++);
        if (v == NS_VAR_STATE_TIME) {
            o->dep[top] |= NS_DEP_STATE_TIME;
        } else if (v == NS_VAR_CYCLE) {
            o->dep[top] |= NS_DEP_TIME | NS_DEP_CYCLE;
        } else if (v < NS_VAR_COUNT) {
            o->dep[top] |= NS_DEP_TIME;
        } else {
            size_t q = (size_t)v - NS_VAR_COUNT;
            if (o->mark[q] == 0) {
                enter(o, q);
                continue;
            }
            if (o->mark[q] == 1)
                report_loop(o, q);
            o->dep[top] |= p->param_dep[o->k * P + q];
        }
    }
}

static void
order_params(struct compiler *c)
{
    struct ns_model_priv *p = c->p;
    size_t P = p->n_params;
    unsigned char *mark = alloc_array(c, P, 1);
    size_t *stack = alloc_array(c, P, sizeof *stack);
    size_t *cursor = alloc_array(c, P, sizeof *cursor);
    unsigned *dep = alloc_array(c, P, sizeof *dep);
    for (size_t k = 0; mark && stack && cursor && dep &&
                       k < c->m->n_strategies; k++) {
        memset(mark, 0, P ? P : 1);
        struct order_state o = {c, k, mark, stack, cursor, dep, 0, 0};
        for (size_t i = 0; i < P; i++)
            visit(&o, i);
    }
    free(mark);
    free(stack);
    free(cursor);
    free(dep);
}

/* Dependency flags of every expression for every strategy. */
static void
expression_deps(struct compiler *c)
{
    struct ns_model_priv *p = c->p;
    size_t K = c->m->n_strategies, P = p->n_params, E = p->n_exprs;
    p->expr_dep = alloc_array(c, K * E, sizeof *p->expr_dep);
    if (!p->expr_dep)
        return;
    for (size_t k = 0; k < K; k++) {
        for (size_t x = 0; x < E; x++) {
            const struct ns_expr *e = p->exprs[x].expr;
            unsigned dep = 0;
            for (size_t i = 0; e && i < ns_expr_n_variables(e); i++) {
                long v = ns_expr_variable(e, i);
                if (v == NS_VAR_STATE_TIME)
                    dep |= NS_DEP_STATE_TIME;
                else if (v == NS_VAR_CYCLE)
                    dep |= NS_DEP_TIME | NS_DEP_CYCLE;
                else if (v < NS_VAR_COUNT)
                    dep |= NS_DEP_TIME;
                else
                    dep |= p->param_dep[k * P + (size_t)v - NS_VAR_COUNT];
            }
            p->expr_dep[k * E + x] = dep;
        }
    }
}

/* Marks parameter pi of strategy k, and what it reads, as needed. */
/* Adds need to parameter pi and to every parameter it uses, however
 * deep: work, [n_params], is the list still to follow (a parameter joins
 * it only when it gains the need, so once at most). */
static void
mark_need(struct ns_model_priv *p, size_t k, size_t pi, unsigned need,
          size_t *work)
{
    size_t P = p->n_params, n = 0;
    unsigned *have = &p->param_need[k * P];
    if ((have[pi] & need) == need)
        return;
    have[pi] |= need;
    work[n++] = pi;
    while (n) {
        const struct ns_expr *e = p->exprs[p->param_def[k * P + work[--n]]].expr;
        for (size_t i = 0; e && i < ns_expr_n_variables(e); i++) {
            long v = ns_expr_variable(e, i);
            if (v < NS_VAR_COUNT)
                continue;
            size_t q = (size_t)v - NS_VAR_COUNT;
            if ((have[q] & need) != need) {
                have[q] |= need;
                work[n++] = q;
            }
        }
    }
}

static void
mark_expr_need(struct ns_model_priv *p, size_t k, size_t x, unsigned need,
               size_t *work)
{
    const struct ns_expr *e = p->exprs[x].expr;
    for (size_t i = 0; e && i < ns_expr_n_variables(e); i++) {
        long v = ns_expr_variable(e, i);
        if (v >= NS_VAR_COUNT)
            mark_need(p, k, (size_t)v - NS_VAR_COUNT, need, work);
    }
}

static void
compute_needs(struct compiler *c)
{
    struct ns_model_priv *p = c->p;
    size_t K = c->m->n_strategies, S = c->m->n_states, J = c->m->n_streams;
    p->param_need = alloc_array(c, K * p->n_params, sizeof *p->param_need);
    size_t *work = alloc_array(c, p->n_params, sizeof *work);
    for (size_t k = 0; p->param_need && work && k < K; k++) {
        for (size_t s = 0; s < S; s++) {
            const struct ns_row *row = &p->rows[k * S + s];
            for (size_t i = 0; i < row->n; i++)
                mark_expr_need(p, k, row->entries[i].def, NS_NEED_TRANS,
                               work);
            if (p->initial_def[k * S + s] >= 0)
                mark_expr_need(p, k, (size_t)p->initial_def[k * S + s],
                               NS_NEED_INIT, work);
            for (size_t j = 0; j < J; j++)
                mark_expr_need(p, k, p->value_def[j * S + s], NS_NEED_VALUE,
                               work);
        }
        for (size_t i = 0; i < p->n_tvalues; i++)
            mark_expr_need(p, k, p->tvalues[i].def, NS_NEED_TRANS, work);
    }
    free(work);
}

/* ---- transitions ---- */

static void
add_row_entry(struct compiler *c, struct ns_row *row, size_t to, size_t x)
{
    for (size_t i = 0; i < row->n; i++) {
        if (row->entries[i].to == to) {
            row->entries[i].def = x;
            return;
        }
    }
    struct ns_row_entry *e =
        realloc(row->entries, (row->n + 1) * sizeof *row->entries);
    if (!e) {
        c->out_of_mem = true;
        return;
    }
    row->entries = e;
    row->entries[row->n++] = (struct ns_row_entry){to, x};
}

static void
compile_transitions(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model_priv *p = c->p;
    size_t K = c->m->n_strategies, S = c->m->n_states;
    p->rows = alloc_array(c, K * S, sizeof *p->rows);
    if (!p->rows)
        return;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < d->n_transitions; i++) {
            const struct ns_def_transition *t = &d->transitions[i];
            if ((pass == 0) != (t->strategy == NULL))
                continue;
            char ctx[256];
            snprintf(ctx, sizeof ctx, "transition %s -> %s", t->from, t->to);
            long k = lookup_strategy(c, t->strategy, t->at, ctx);
            long from = lookup_state(c, t->from, t->at, ctx);
            long to = lookup_state(c, t->to, t->at, ctx);
            if (k == -1 || from < 0 || to < 0)
                continue;
            bool is_c = strcmp(t->text, NS_COMPLEMENT) == 0;
            const char *what = describe(c, t->strategy, "transition %s -> %s",
                                        t->from, t->to);
            size_t x = add_expr(c, t->text, t->at, what, is_c);
            for (size_t kk = 0; kk < K; kk++)
                if (k == -2 || (size_t)k == kk)
                    add_row_entry(c, &p->rows[kk * S + (size_t)from],
                                  (size_t)to, x);
            if (c->out_of_mem)
                return;
        }
    }
    bool *reported = alloc_array(c, p->n_exprs, sizeof *reported);
    if (!reported)
        return;
    for (size_t s = 0; s < S; s++) {
        size_t empty = 0;
        for (size_t k = 0; k < K; k++)
            empty += p->rows[k * S + s].n == 0;
        for (size_t k = 0; k < K; k++) {
            struct ns_row *row = &p->rows[k * S + s];
            row->complement = -1;
            /* One message for a state no strategy gives transitions. */
            if (row->n == 0 && (empty < K || k == 0))
                ERROR_AT(c, d->states[s].at,
                         "state %s has no transitions%s%s; an absorbing "
                         "state needs %s -> %s = 1",
                         c->m->states[s].name,
                         empty < K ? " in strategy " : "",
                         empty < K ? c->m->strategies[k].name : "",
                         c->m->states[s].name, c->m->states[s].name);
            for (size_t i = 0; i < row->n; i++) {
                size_t x = row->entries[i].def;
                const struct ns_compiled_expr *e = &p->exprs[x];
                if (!e->is_complement)
                    continue;
                if (row->complement < 0) {
                    row->complement = (long)i;
                    continue;
                }
                if (!reported[x])
                    ERROR_AT(c, e->at,
                             "%s: a second complement (%s) from state %s; a "
                             "row may have only one",
                             e->what, NS_COMPLEMENT, c->m->states[s].name);
                reported[x] = true;
            }
        }
    }
    free(reported);
}

static void
compile_initial(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model_priv *p = c->p;
    size_t K = c->m->n_strategies, S = c->m->n_states;
    p->initial_def = alloc_array(c, K * S, sizeof *p->initial_def);
    if (!p->initial_def)
        return;
    for (size_t i = 0; i < K * S; i++)
        p->initial_def[i] = -1;
    bool any = false;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < d->n_initial; i++) {
            const struct ns_def_expr *e = &d->initial[i];
            if ((pass == 0) != (e->strategy == NULL))
                continue;
            char ctx[160];
            snprintf(ctx, sizeof ctx, "initial state %s", e->name);
            any = true;
            long k = lookup_strategy(c, e->strategy, e->at, ctx);
            long s = lookup_state(c, e->name, e->at, "initial state");
            if (k == -1 || s < 0)
                continue;
            const char *what =
                describe(c, e->strategy, "initial value of %s", e->name);
            size_t x = add_expr(c, e->text, e->at, what, false);
            for (size_t kk = 0; kk < K; kk++)
                if (k == -2 || (size_t)k == kk)
                    p->initial_def[kk * S + (size_t)s] = (long)x;
        }
    }
    if (!any && S > 0)
        ERROR_AT(c, ((struct ns_origin){d->name_at.file, 0}),
                 "the model gives no initial state: say where the cohort "
                 "starts");
}

static bool
is_pattern(const char *name)
{
    return name && strchr(name, '*');
}

/* States a pattern such as "in_*" names: '*' stands for any text. */
static bool
matches(const char *pattern, const char *name)
{
    return fnmatch(pattern, name, 0) == 0;
}

/* Sets stream j's value for state s from definition i, unless a name or
 * an earlier pattern already did (a name beats a pattern; two patterns
 * for one state are an error). owner holds the defining entry + 1. */
static void
set_state_value(struct compiler *c, size_t j, size_t s, size_t i, size_t x,
                size_t *owner, bool by_pattern)
{
    const struct ns_model_def *d = c->def;
    size_t S = c->m->n_states, slot = j * S + s;
    if (owner[slot] && by_pattern) {
        const struct ns_def_state_value *o = &d->state_values[owner[slot] - 1];
        if (is_pattern(o->state))
            ERROR_AT(c, d->state_values[i].at,
                     "stream %s: state %s matches both '%s' (line %d) and "
                     "'%s'; name it to say which applies",
                     c->m->streams[j].name, c->m->states[s].name, o->state,
                     o->at.line, d->state_values[i].state);
        return;
    }
    c->p->value_def[slot] = x;
    owner[slot] = i + 1;
}

static void
compile_values(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model_priv *p = c->p;
    size_t J = c->m->n_streams, S = c->m->n_states;
    p->value_def = alloc_array(c, J * S, sizeof *p->value_def);
    size_t *owner = alloc_array(c, J * S, sizeof *owner);
    long *fallback = alloc_array(c, J, sizeof *fallback);
    if (!p->value_def || !owner || !fallback) {
        free(owner);
        free(fallback);
        return;
    }
    for (size_t j = 0; j < J; j++)
        fallback[j] = -1;
    /* Names first, then patterns, then defaults: the most specific wins. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < d->n_state_values; i++) {
            const struct ns_def_state_value *v = &d->state_values[i];
            bool pattern = is_pattern(v->state);
            if (pattern != (pass == 1) || (pass == 1 && !v->state))
                continue;
            long j = ns_model_find_stream(c->m, v->stream);
            if (j < 0) {
                ERROR_AT(c, v->at, "value of unknown stream '%s'", v->stream);
                continue;
            }
            char ctx[256];
            snprintf(ctx, sizeof ctx, "stream %s", v->stream);
            long st = !v->state ? -2
                      : pattern ? -3
                                : lookup_state(c, v->state, v->at, ctx);
            if (st == -1)
                continue;
            const char *what = describe(c, NULL, "stream %s, state %s",
                                        v->stream,
                                        v->state ? v->state : "(default)");
            size_t x = add_expr(c, v->text, v->at, what, false);
            if (st == -2) {
                fallback[j] = (long)x;
                continue;
            }
            size_t n_matched = 0;
            for (size_t s = 0; s < S; s++) {
                if (st >= 0 ? (size_t)st != s
                            : !matches(v->state, c->m->states[s].name))
                    continue;
                n_matched++;
                set_state_value(c, (size_t)j, s, i, x, owner, pattern);
            }
            if (pattern && n_matched == 0)
                ERROR_AT(c, v->at, "%s: pattern '%s' matches no state", ctx,
                         v->state);
        }
    }
    for (size_t j = 0; j < J; j++) {
        for (size_t s = 0; s < S; s++) {
            if (owner[j * S + s])
                continue;
            if (fallback[j] >= 0)
                p->value_def[j * S + s] = (size_t)fallback[j];
            else
                ERROR_AT(c, d->streams[j].at,
                         "stream %s has no value for state %s; give one, or "
                         "a default for every state not named",
                         c->m->streams[j].name, c->m->states[s].name);
        }
    }
    free(owner);
    free(fallback);
}

static bool
transition_exists(const struct compiler *c, size_t from, size_t to)
{
    const struct ns_model_priv *p = c->p;
    size_t S = c->m->n_states;
    for (size_t k = 0; k < c->m->n_strategies; k++) {
        const struct ns_row *row = &p->rows[k * S + from];
        for (size_t i = 0; i < row->n; i++)
            if (row->entries[i].to == to)
                return true;
    }
    return false;
}

/* Books definition i (program x) on transition from -> to of stream j,
 * unless a name or an earlier pattern already did; owner holds the
 * defining entry + 1 for each (stream, from, to). */
static void
book_transition_value(struct compiler *c, size_t j, size_t from, size_t to,
                      size_t i, size_t x, size_t *owner)
{
    const struct ns_model_def *d = c->def;
    struct ns_model_priv *p = c->p;
    size_t S = c->m->n_states, slot = (j * S + from) * S + to;
    const struct ns_def_transition_value *v = &d->transition_values[i];
    if (owner[slot]) {
        const struct ns_def_transition_value *o =
            &d->transition_values[owner[slot] - 1];
        if (is_pattern(o->from) || is_pattern(o->to))
            ERROR_AT(c, v->at,
                     "stream %s: transition %s -> %s matches both '%s -> %s' "
                     "(line %d) and '%s -> %s'; name it to say which applies",
                     c->m->streams[j].name, c->m->states[from].name,
                     c->m->states[to].name, o->from, o->to, o->at.line,
                     v->from, v->to);
        return;
    }
    struct ns_transition_value *tv =
        realloc(p->tvalues, (p->n_tvalues + 1) * sizeof *tv);
    if (!tv) {
        c->out_of_mem = true;
        return;
    }
    p->tvalues = tv;
    tv[p->n_tvalues++] = (struct ns_transition_value){j, from, to, x};
    owner[slot] = i + 1;
}

/* One transition value definition: a named pair or patterns of states. */
static void
compile_transition_value(struct compiler *c, size_t i, size_t *owner)
{
    const struct ns_model_def *d = c->def;
    const struct ns_def_transition_value *v = &d->transition_values[i];
    size_t S = c->m->n_states;
    long j = ns_model_find_stream(c->m, v->stream);
    char ctx[256];
    snprintf(ctx, sizeof ctx, "stream %s, transition %s -> %s", v->stream,
             v->from, v->to);
    if (j < 0) {
        ERROR_AT(c, v->at, "value of unknown stream '%s'", v->stream);
        return;
    }
    bool pf = is_pattern(v->from), pt = is_pattern(v->to);
    long from = pf ? -3 : lookup_state(c, v->from, v->at, ctx);
    long to = pt ? -3 : lookup_state(c, v->to, v->at, ctx);
    if (from == -1 || to == -1)
        return;
    const char *what = describe(c, NULL, "%s", ctx);
    size_t x = add_expr(c, v->text, v->at, what, false);
    size_t n_matched = 0;
    for (size_t a = 0; a < S; a++) {
        if (pf ? !matches(v->from, c->m->states[a].name) : (long)a != from)
            continue;
        for (size_t b = 0; b < S; b++) {
            if (pt ? !matches(v->to, c->m->states[b].name) : (long)b != to)
                continue;
            if (!transition_exists(c, a, b))
                continue;
            n_matched++;
            book_transition_value(c, (size_t)j, a, b, i, x, owner);
        }
    }
    if (n_matched == 0)
        ERROR_AT(c, v->at,
                 "%s: no strategy has a transition %s -> %s to book it on",
                 ctx, v->from, v->to);
}

static void
compile_transition_values(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    size_t S = c->m->n_states, J = c->m->n_streams;
    if (!c->p->rows)
        return;
    size_t *owner = alloc_array(c, J * S * S, sizeof *owner);
    if (!owner)
        return;
    /* Named pairs first, so that they beat patterns. */
    for (int pass = 0; pass < 2 && !c->out_of_mem; pass++) {
        for (size_t i = 0; i < d->n_transition_values; i++) {
            const struct ns_def_transition_value *v = &d->transition_values[i];
            bool pattern = is_pattern(v->from) || is_pattern(v->to);
            if (pattern == (pass == 1))
                compile_transition_value(c, i, owner);
        }
    }
    free(owner);
}

/* Reports expression x if it reads state_time for an untracked state. */
static void
flag_state_time(struct compiler *c, size_t k, size_t s, size_t x,
                bool *flagged)
{
    struct ns_model_priv *p = c->p;
    if (flagged[x] || !(p->expr_dep[k * p->n_exprs + x] & NS_DEP_STATE_TIME))
        return;
    flagged[x] = true;
    ERROR_AT(c, p->exprs[x].at,
             "%s depends on state_time, but time in state %s is not "
             "tracked; add %s = N (cycles to track) to [time_in_state]",
             p->exprs[x].what, c->m->states[s].name, c->m->states[s].name);
}

/* state_time only means something where time in state is tracked. */
static void
check_state_time(struct compiler *c)
{
    struct ns_model_priv *p = c->p;
    size_t K = c->m->n_strategies, S = c->m->n_states, J = c->m->n_streams;
    bool *flagged = alloc_array(c, p->n_exprs, sizeof *flagged);
    if (!flagged)
        return;
    for (size_t k = 0; k < K; k++) {
        for (size_t s = 0; s < S; s++) {
            if (p->n_slots[s] > 1)
                continue;
            const struct ns_row *row = &p->rows[k * S + s];
            for (size_t i = 0; i < row->n; i++)
                flag_state_time(c, k, s, row->entries[i].def, flagged);
            for (size_t j = 0; j < J; j++)
                flag_state_time(c, k, s, p->value_def[j * S + s], flagged);
            for (size_t i = 0; i < p->n_tvalues; i++)
                if (p->tvalues[i].from == s)
                    flag_state_time(c, k, s, p->tvalues[i].def, flagged);
        }
    }
    free(flagged);
}

/* ---- provenance, payers and perspectives ---- */

static void
compile_free_params(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    m->free_params = alloc_array(c, d->n_free_params, sizeof *m->free_params);
    if (!m->free_params)
        return;
    for (size_t i = 0; i < d->n_free_params; i++) {
        const struct ns_def_free_param *f = &d->free_params[i];
        long pi = find_param(c->p, f->param);
        if (pi < 0) {
            char h[96];
            ERROR_AT(c, f->at, "calibrate: unknown parameter '%s'%s",
                     f->param,
                     ns_did_you_mean(h, sizeof h, f->param,
                                     (const char *const *)c->p->param_names,
                                     c->p->n_params));
            continue;
        }
        if (!(f->low < f->high)) {
            ERROR_AT(c, f->at,
                     "calibrate: parameter %s needs bounds low < high, got "
                     "%g and %g",
                     f->param, f->low, f->high);
            continue;
        }
        m->free_params[m->n_free_params++] =
            (struct ns_free_param){(size_t)pi, f->low, f->high, f->at};
    }
}

/* The uncertain parameter entry for pi, created if new. */
static struct ns_uncertain_param *
uncertain_entry(struct compiler *c, size_t pi, struct ns_origin at)
{
    struct ns_model *m = c->m;
    for (size_t i = 0; i < m->n_uncertain; i++)
        if (m->uncertain[i].param == pi)
            return &m->uncertain[i];
    struct ns_uncertain_param *u = &m->uncertain[m->n_uncertain++];
    *u = (struct ns_uncertain_param){pi, false, {0}, NS_NAN, NS_NAN, at};
    return u;
}

/* [correlation]: "a ~ b = rho" between parameters with distributions; the
 * model keeps the Cholesky factor of the correlation matrix, which must be
 * positive definite. */
static void
compile_correlation(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    size_t U = m->n_uncertain;
    if (d->n_correlations == 0 || U == 0)
        return;
    gsl_matrix *r = gsl_matrix_alloc(U, U);
    if (!r) {
        c->out_of_mem = true;
        return;
    }
    gsl_matrix_set_identity(r);
    for (size_t i = 0; i < d->n_correlations; i++) {
        const struct ns_def_expr *e = &d->correlations[i];
        char a[128] = "", b[128] = "";
        const char *tilde = strchr(e->name, '~');
        long ua = -1, ub = -1;
        if (tilde && sscanf(e->name, " %127[A-Za-z0-9_] ", a) == 1 &&
            sscanf(tilde + 1, " %127[A-Za-z0-9_] ", b) == 1) {
            for (size_t u = 0; u < U; u++) {
                const char *name = m->params[m->uncertain[u].param].name;
                if (m->uncertain[u].has_dist && strcmp(name, a) == 0)
                    ua = (long)u;
                if (m->uncertain[u].has_dist && strcmp(name, b) == 0)
                    ub = (long)u;
            }
        }
        char *end;
        double rho = strtod(e->text, &end);
        while (*end == ' ')
            end++;
        if (ua < 0 || ub < 0 || ua == ub) {
            ERROR_AT(c, e->at,
                     "correlation: '%s' must name two different parameters "
                     "with distributions, as a ~ b",
                     e->name);
            continue;
        }
        if (end == e->text || *end || !(rho > -1.0 && rho < 1.0)) {
            ERROR_AT(c, e->at,
                     "correlation %s must be a number between -1 and 1, got "
                     "'%s'",
                     e->name, e->text);
            continue;
        }
        gsl_matrix_set(r, (size_t)ua, (size_t)ub, rho);
        gsl_matrix_set(r, (size_t)ub, (size_t)ua, rho);
    }
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int status = gsl_linalg_cholesky_decomp1(r);
    gsl_set_error_handler(old);
    if (status != GSL_SUCCESS) {
        ERROR_AT(c, d->correlations[0].at,
                 "the correlations together are impossible (the matrix is "
                 "not positive definite)");
    } else if (!c->failed) {
        m->correlation = alloc_array(c, U * U, sizeof *m->correlation);
        for (size_t i = 0; m->correlation && i < U; i++)
            for (size_t j = 0; j <= i; j++)
                m->correlation[i * U + j] = gsl_matrix_get(r, i, j);
    }
    gsl_matrix_free(r);
}

/* [dirichlet.GROUP]: param = alpha, drawn together. */
static void
compile_dirichlet(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    if (d->n_dirichlet == 0)
        return;
    m->dirichlet = alloc_array(c, d->n_dirichlet, sizeof *m->dirichlet);
    if (!m->dirichlet)
        return;
    for (size_t i = 0; i < d->n_dirichlet; i++) {
        const struct ns_def_expr *e = &d->dirichlet[i];
        struct ns_dirichlet_group *g = NULL;
        for (size_t j = 0; j < m->n_dirichlet; j++)
            if (strcmp(m->dirichlet[j].name, e->strategy) == 0)
                g = &m->dirichlet[j];
        if (!g) {
            g = &m->dirichlet[m->n_dirichlet++];
            g->name = copy_str(c, e->strategy);
            g->param = alloc_array(c, d->n_dirichlet, sizeof *g->param);
            g->alpha = alloc_array(c, d->n_dirichlet, sizeof *g->alpha);
            if (c->out_of_mem)
                return;
        }
        long pi = find_param(c->p, e->name);
        char *end;
        double alpha = strtod(e->text, &end);
        while (*end == ' ')
            end++;
        if (pi < 0) {
            ERROR_AT(c, e->at, "dirichlet.%s: unknown parameter '%s'",
                     e->strategy, e->name);
            continue;
        }
        if (end == e->text || *end || !(alpha > 0.0) || !isfinite(alpha)) {
            ERROR_AT(c, e->at,
                     "dirichlet.%s: %s must be a count above 0, got '%s'",
                     e->strategy, e->name, e->text);
            continue;
        }
        for (size_t u = 0; u < m->n_uncertain; u++)
            if (m->uncertain[u].param == (size_t)pi &&
                m->uncertain[u].has_dist)
                ERROR_AT(c, e->at,
                         "dirichlet.%s: %s also has a distribution in "
                         "[uncertainty]; a parameter is drawn one way",
                         e->strategy, e->name);
        g->param[g->n] = (size_t)pi;
        g->alpha[g->n++] = alpha;
    }
}

static void
compile_expansion(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    m->expansion_strategy =
        alloc_array(c, d->n_expansion, sizeof *m->expansion_strategy);
    m->expansion_places =
        alloc_array(c, d->n_expansion, sizeof *m->expansion_places);
    if (!m->expansion_strategy || !m->expansion_places)
        return;
    for (size_t i = 0; i < d->n_expansion; i++) {
        const struct ns_def_expr *e = &d->expansion[i];
        long k = lookup_strategy(c, e->name, e->at, "expansion");
        if (k < 0)
            continue;
        m->expansion_strategy[m->n_expansion] = (size_t)k;
        m->expansion_places[m->n_expansion++] = copy_str(c, e->text);
    }
}

static void
compile_uncertainty(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    m->uncertain = alloc_array(c, d->n_uncertain + d->n_ranges,
                               sizeof *m->uncertain);
    if (!m->uncertain)
        return;
    for (size_t i = 0; i < d->n_uncertain; i++) {
        const struct ns_def_uncertain *e = &d->uncertain[i];
        long pi = find_param(c->p, e->param);
        char h[96], err[256];
        if (pi < 0) {
            ERROR_AT(c, e->at, "uncertainty: unknown parameter '%s'%s",
                     e->param,
                     ns_did_you_mean(h, sizeof h, e->param,
                                     (const char *const *)c->p->param_names,
                                     c->p->n_params));
            continue;
        }
        struct ns_dist dist;
        if (!ns_dist_parse(e->text, &dist, err, sizeof err)) {
            ERROR_AT(c, e->at, "uncertainty of parameter %s: %s", e->param,
                     err);
            continue;
        }
        struct ns_uncertain_param *u = uncertain_entry(c, (size_t)pi, e->at);
        u->has_dist = dist.kind != NS_DIST_FIXED;
        u->dist = dist;
        if (u->has_dist) {
            u->low = ns_dist_quantile(&dist, 0.025);
            u->high = ns_dist_quantile(&dist, 0.975);
        }
    }
    for (size_t i = 0; i < d->n_ranges; i++) {
        const struct ns_def_free_param *r = &d->ranges[i];
        long pi = find_param(c->p, r->param);
        char h[96];
        if (pi < 0) {
            ERROR_AT(c, r->at, "ranges: unknown parameter '%s'%s", r->param,
                     ns_did_you_mean(h, sizeof h, r->param,
                                     (const char *const *)c->p->param_names,
                                     c->p->n_params));
            continue;
        }
        if (!(r->low < r->high)) {
            ERROR_AT(c, r->at,
                     "ranges: parameter %s needs low < high, got %g and %g",
                     r->param, r->low, r->high);
            continue;
        }
        struct ns_uncertain_param *u = uncertain_entry(c, (size_t)pi, r->at);
        u->low = r->low;
        u->high = r->high;
    }
    /* A fixed parameter without a range has nothing to vary. */
    size_t kept = 0;
    for (size_t i = 0; i < m->n_uncertain; i++)
        if (!isnan(m->uncertain[i].low))
            m->uncertain[kept++] = m->uncertain[i];
    m->n_uncertain = kept;
}

static void
compile_param_info(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model_priv *p = c->p;
    struct ns_model *m = c->m;
    m->params = alloc_array(c, p->n_params, sizeof *m->params);
    if (!m->params)
        return;
    m->n_params = p->n_params;
    for (size_t i = 0; i < d->n_params; i++) {
        const struct ns_def_expr *e = &d->params[i];
        long pi = find_param(p, e->name);
        if (pi < 0)
            continue;
        struct ns_param_info *info = &m->params[pi];
        if (e->strategy) {
            info->is_overridden = true;
            continue;
        }
        info->name = copy_str(c, e->name);
        info->text = copy_str(c, e->text);
        info->at = e->at;
    }
    for (size_t i = 0; i < d->n_sources; i++) {
        const struct ns_def_source *src = &d->sources[i];
        long pi = find_param(p, src->param);
        if (pi < 0) {
            char h[96];
            ERROR_AT(c, src->at, "source of unknown parameter '%s'%s",
                     src->param,
                     ns_did_you_mean(h, sizeof h, src->param,
                          (const char *const *)p->param_names, p->n_params));
            continue;
        }
        if (!src->grade || strlen(src->grade) != 1 ||
            !strchr("ABCU", src->grade[0])) {
            ERROR_AT(c, src->at,
                     "source of parameter %s: the grade must be A, B, C or U, "
                     "got '%s'",
                     src->param, src->grade ? src->grade : "");
            continue;
        }
        struct ns_param_info *info = &m->params[pi];
        info->unit = copy_str(c, src->unit ? src->unit : "");
        info->price_year = copy_str(c, src->price_year ? src->price_year : "");
        info->grade = copy_str(c, src->grade);
        info->source = copy_str(c, src->source ? src->source : "");
        info->source_at = src->at;
    }
}

static const char payer_prefix[] = "payer:";
static const char intervention_tag[] = "intervention";

static long
find_payer(const struct ns_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_payers; i++)
        if (strcmp(m->payers[i], name) == 0)
            return (long)i;
    return -1;
}

static void
compile_payers(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    size_t n_tags = 0;
    for (size_t j = 0; j < m->n_streams; j++)
        n_tags += m->streams[j].n_tags;
    m->payers = alloc_array(c, n_tags, sizeof *m->payers);
    if (!m->payers)
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
            long pi = find_payer(m, name);
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
            long payer = find_payer(m, dp->payers[q]);
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
    struct compiler c = {def, m, p, diags, false, false};
    compile_settings(&c);
    compile_weights(&c);
    copy_entities(&c, def->states, def->n_states, &m->states, &m->n_states,
                  "state");
    copy_entities(&c, def->strategies, def->n_strategies, &m->strategies,
                  &m->n_strategies, "strategy");
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
        collect_params(&c);
    if (!c.out_of_mem)
        compile_params(&c);
    if (!c.out_of_mem)
        compile_param_info(&c);
    if (!c.out_of_mem)
        compile_free_params(&c);
    if (!c.out_of_mem)
        compile_uncertainty(&c);
    if (!c.out_of_mem)
        compile_expansion(&c);
    if (!c.out_of_mem)
        compile_correlation(&c);
    if (!c.out_of_mem)
        compile_dirichlet(&c);
    if (!c.out_of_mem)
        compile_transitions(&c);
    if (!c.out_of_mem)
        compile_initial(&c);
    if (!c.out_of_mem)
        compile_values(&c);
    if (!c.out_of_mem)
        compile_transition_values(&c);
    if (!c.out_of_mem && !c.failed)
        order_params(&c);
    if (!c.out_of_mem && !c.failed)
        expression_deps(&c);
    if (!c.out_of_mem && !c.failed)
        check_state_time(&c);
    if (!c.out_of_mem && !c.failed)
        compute_needs(&c);
    if (!c.out_of_mem &&
        ns_measures_compile(def, m, diags, &c.failed) == NS_ENOMEM)
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
    free(m->name);
    free(m->weights);
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
    for (size_t i = 0; m->expansion_places && i < m->n_expansion; i++)
        free(m->expansion_places[i]);
    free(m->expansion_places);
    free(m->expansion_strategy);
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

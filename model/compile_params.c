/* netsave: compiling parameters and the expressions that read them.
 *
 * Every expression of the model (parameters, transitions, values) is
 * compiled here against one variable array: the built-in names, then the
 * parameters. Parameters are then ordered so each is computed after what it
 * reads (a loop is an error), and each expression learns what it depends
 * on (time, time in state) and where it is needed, so that the engine
 * computes constant ones once and unread ones never. */
#include "model/compile_priv.h"
#include "model/names.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const builtin_names[NS_VAR_COUNT] = {
    [NS_VAR_CYCLE] = "cycle",
    [NS_VAR_TIME] = "time",
    [NS_VAR_AGE] = "age",
    [NS_VAR_STATE_TIME] = "state_time",
};

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
    long pi = ns_name_index_find(c->p->param_ix, name, len);
    return pi < 0 ? -1 : NS_VAR_COUNT + pi;
}

static long
resolve_table(void *ctx, const char *name, size_t len)
{
    struct compiler *c = ctx;
    return ns_name_index_find(c->p->table_ix, name, len);
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

const char *
nsc_describe(struct compiler *c, const char *strategy, const char *fmt, ...)
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
size_t
nsc_add_expr(struct compiler *c, const char *text, struct ns_origin at,
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

long
nsc_find_param(const struct ns_model_priv *p, const char *name)
{
    return nsc_find(p->param_ix, name);
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
void
nsc_collect_params(struct compiler *c)
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
    p->param_ix = nsc_index_names(c, p->param_names, p->n_params,
                                  sizeof *p->param_names, 0);
}

void
nsc_compile_params(struct compiler *c)
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
            long k = nsc_lookup_strategy(c, e->strategy, e->at, ctx);
            if (k == -1)
                continue;
            long pi = nsc_find_param(p, e->name);
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
                nsc_describe(c, e->strategy, "parameter %s", e->name);
            size_t x = nsc_add_expr(c, e->text, e->at, what, false);
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

void
nsc_order_params(struct compiler *c)
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

unsigned
ns_expr_deps(const struct ns_expr *e, const unsigned *param_dep)
{
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
            dep |= param_dep[(size_t)v - NS_VAR_COUNT];
    }
    return dep;
}

/* Dependency flags of every expression for every strategy. */
void
nsc_expression_deps(struct compiler *c)
{
    struct ns_model_priv *p = c->p;
    size_t K = c->m->n_strategies, P = p->n_params, E = p->n_exprs;
    p->expr_dep = alloc_array(c, K * E, sizeof *p->expr_dep);
    if (!p->expr_dep)
        return;
    for (size_t k = 0; k < K; k++) {
        for (size_t x = 0; x < E; x++) {
            p->expr_dep[k * E + x] =
                ns_expr_deps(p->exprs[x].expr, &p->param_dep[k * P]);
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

void
nsc_compute_needs(struct compiler *c)
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

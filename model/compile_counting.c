/* netsave: compiling the counting and discounting conventions.
 *
 * The counting weights of time points 0..T come from a fixed rule, a list
 * or an expression; the settings that choose them must not contradict
 * each other (docs/model-format.md, "Counting"). A weight expression may
 * read parameters, so it is compiled with them and evaluated once they are
 * ordered (nsc_finish_counting); everything else is done at once
 * (nsc_compile_counting), so that its problems are reported even when a
 * parameter is in error. */
#include "model/compile_priv.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const counting_names[] = {
    [NS_COUNT_START] = "start",
    [NS_COUNT_END] = "end",
    [NS_COUNT_LIFE_TABLE] = "life_table",
    [NS_COUNT_SIMPSON] = "simpson",
    [NS_COUNT_WEIGHTS] = "weights",
};

/* "line 7" (or "file:7") where counting was set, or "the default". */
static const char *
counting_source(char *buf, size_t n, const struct ns_model_def *d,
                struct ns_origin here)
{
    if (!d->counting_at.file)
        return "the default";
    return ns_origin_beside(buf, n, d->counting_at, here);
}

/* weights and weight say one thing; either says that counting is
 * weights. */
static void
check_weight_keys(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    char buf[512];
    if (d->weight_at.file && d->weights_at.file)
        ERROR_AT(c, d->weight_at,
                 "[model] keys weight and weights both give the counting "
                 "weights (weights on %s): expected one of them, found both",
                 ns_origin_beside(buf, sizeof buf, d->weights_at,
                                  d->weight_at));
    const struct ns_origin given[2] = {d->weights_at, d->weight_at};
    const char *key[2] = {"weights", "weight"};
    for (int i = 0; i < 2; i++)
        if (given[i].file && d->counting != NS_COUNT_WEIGHTS)
            ERROR_AT(c, given[i],
                     "[model] key %s gives counting weights, but counting is "
                     "%s (%s): expected counting = weights, found counting = "
                     "%s",
                     key[i], counting_names[d->counting],
                     counting_source(buf, sizeof buf, d, given[i]),
                     counting_names[d->counting]);
}

/* Per-cycle discounting averages the occupancy at a cycle's start and
 * end; the other rules have no such reading, and it discounts each cycle
 * from its own start, which an origin at the end of the first cycle would
 * shift a second time. */
static void
check_discount_timing(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    if (d->discount_timing != NS_DISCOUNT_CYCLES)
        return;
    char buf[512];
    if (d->counting == NS_COUNT_SIMPSON || d->counting == NS_COUNT_WEIGHTS)
        ERROR_AT(c, d->discount_timing_at,
                 "[model] key discount_timing = cycle averages each cycle's "
                 "occupancy from its start and end: expected counting = "
                 "start, end or life_table, found counting = %s (%s)",
                 counting_names[d->counting],
                 counting_source(buf, sizeof buf, d, d->discount_timing_at));
    if (d->discount_origin == NS_DISCOUNT_FROM_FIRST_CYCLE_END)
        ERROR_AT(c, d->discount_origin_at,
                 "[model] key discount_origin = end_of_first_cycle moves "
                 "time points, but discount_timing = cycle (%s) discounts "
                 "each cycle from its own start: expected discount_origin = "
                 "start (or no key), found end_of_first_cycle",
                 ns_origin_beside(buf, sizeof buf, d->discount_timing_at,
                                  d->discount_origin_at));
}

/* The weights of the fixed rules and of a list. */
static void
rule_weights(struct compiler *c, double *w, size_t T)
{
    const struct ns_model_def *d = c->def;
    for (size_t t = 0; t <= T; t++) {
        switch (d->counting) {
        case NS_COUNT_START:
            w[t] = t < T ? 1.0 : 0.0;
            break;
        case NS_COUNT_END:
            w[t] = t > 0 ? 1.0 : 0.0;
            break;
        case NS_COUNT_LIFE_TABLE:
            w[t] = (t == 0 || t == T) ? 0.5 : 1.0;
            break;
        case NS_COUNT_SIMPSON:
            w[t] = (t == 0 || t == T) ? 1.0 / 3.0
                                      : (t % 2 ? 4.0 / 3.0 : 2.0 / 3.0);
            break;
        case NS_COUNT_WEIGHTS:
            w[t] = t < d->n_weights ? d->weights[t] : 0.0;
            break;
        }
    }
    if (d->counting == NS_COUNT_SIMPSON && T % 2 != 0)
        ERROR_AT(c, d->counting_at,
                 "Simpson's 1/3 rule needs an even number of cycles, got %zu",
                 T);
    if (d->counting == NS_COUNT_WEIGHTS && !d->weight_at.file &&
        d->n_weights != T + 1)
        ERROR_AT(c, d->weights_at.file ? d->weights_at : d->counting_at,
                 "the counting weights must list one weight per time point "
                 "0..%zu (%zu weights), got %zu",
                 T, T + 1, d->n_weights);
}

/* The time-0 rule, the contradiction of asking to count a point the
 * counting leaves out, and the shares of cycle-averaged counting. */
static void
finish_weights(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    size_t T = m->n_cycles;
    if (d->count_time_zero_at.file && d->count_time_zero &&
        !(m->weights[0] > 0.0))
        ERROR_AT(c, d->count_time_zero_at,
                 "[model] key count_time_zero = yes, but counting = %s "
                 "gives time point 0 a weight of 0: expected count_time_zero "
                 "= no (or no key), found yes",
                 counting_names[d->counting]);
    if (!d->count_time_zero)
        m->weights[0] = 0.0;
    if (d->discount_timing != NS_DISCOUNT_CYCLES)
        return;
    m->cycle_share = alloc_array(c, 2 * (T + 1), sizeof *m->cycle_share);
    if (!m->cycle_share)
        return;
    double at_start = d->counting == NS_COUNT_START ? 1.0
                      : d->counting == NS_COUNT_END ? 0.0
                                                    : 0.5;
    for (size_t k = 1; k <= T; k++) {
        m->cycle_share[2 * k] = at_start;
        m->cycle_share[2 * k + 1] = 1.0 - at_start;
    }
    if (!d->count_time_zero)
        m->cycle_share[2] = 0.0;
}

void
nsc_compile_counting(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    size_t T = d->n_cycles;
    c->weight_expr = -1;
    check_weight_keys(c);
    check_discount_timing(c);
    m->discount_timing = d->discount_timing;
    m->transition_weight = d->transition_weight;
    m->weights = alloc_array(c, T + 1, sizeof *m->weights);
    if (!m->weights || T < 1)
        return;
    rule_weights(c, m->weights, T);
    if (d->counting == NS_COUNT_WEIGHTS && d->weight_at.file) {
        /* Compiled with the parameters, evaluated once they are ordered;
         * until then (and if they cannot be) every weight is 1, so that
         * nothing judges a weight that is not known yet. */
        for (size_t t = 0; t <= T; t++)
            m->weights[t] = 1.0;
        c->weight_expr = (long)nsc_add_expr(c, d->weight_text, d->weight_at,
                                            "counting weight", false);
        return;
    }
    finish_weights(c);
}

/* Marks in need[] the parameters strategy 0's expression x reads, however
 * deep; work, [n_params], is the list still to follow. */
static void
mark_read(const struct ns_model_priv *p, size_t x, bool *need, size_t *work)
{
    size_t n = 0;
    for (;;) {
        const struct ns_expr *e = p->exprs[x].expr;
        for (size_t i = 0; e && i < ns_expr_n_variables(e); i++) {
            long v = ns_expr_variable(e, i);
            if (v < NS_VAR_COUNT || need[v - NS_VAR_COUNT])
                continue;
            need[v - NS_VAR_COUNT] = true;
            work[n++] = (size_t)v - NS_VAR_COUNT;
        }
        if (n == 0)
            return;
        size_t q = work[--n];
        assert(q < p->n_params);
        x = p->param_def[q];
    }
}

/* What, if anything, changes parameter q between runs or strategies, so
 * that weights computed once would be wrong: NULL when nothing does. */
static const char *
varied_by(const struct compiler *c, size_t q, char *buf, size_t n)
{
    const struct ns_model *m = c->m;
    const struct ns_model_priv *p = c->p;
    size_t P = p->n_params;
    for (size_t k = 1; k < m->n_strategies; k++)
        if (p->param_def[k * P + q] != p->param_def[q]) {
            snprintf(buf, n, "[parameters.%s] redefines",
                     m->strategies[k].name);
            return buf;
        }
    for (size_t i = 0; i < m->n_uncertain; i++)
        if (m->uncertain[i].param == q)
            return "[uncertainty] or [ranges] varies";
    for (size_t i = 0; i < m->n_free_params; i++)
        if (m->free_params[i].param == q)
            return "[calibrate] fits";
    for (size_t g = 0; g < m->n_dirichlet; g++)
        for (size_t i = 0; i < m->dirichlet[g].n; i++)
            if (m->dirichlet[g].param[i] == q)
                return "a Dirichlet group draws";
    for (size_t k = 0; m->benchmark_param && k < m->n_strategies; k++)
        if (m->benchmark_param[k] == (long)q)
            return "[benchmark] sets";
    return NULL;
}

/* Whether the parameters the weight reads are fixed for the whole model;
 * each one that is not is reported. */
static bool
weight_params_fixed(struct compiler *c, const bool *need)
{
    const struct ns_model_priv *p = c->p;
    bool fixed = true;
    char buf[256];
    for (size_t q = 0; q < p->n_params; q++) {
        const char *why = need[q] ? varied_by(c, q, buf, sizeof buf) : NULL;
        if (!why)
            continue;
        ERROR_AT(c, c->def->weight_at,
                 "[model] key weight reads parameter %s, which %s it: "
                 "expected parameters that are the same in every strategy "
                 "and run (the counting weights are computed once), found "
                 "%s",
                 p->param_names[q], why, p->param_names[q]);
        fixed = false;
    }
    if (p->expr_dep[(size_t)c->weight_expr] & NS_DEP_STATE_TIME) {
        ERROR_AT(c, c->def->weight_at,
                 "[model] key weight depends on state_time: expected an "
                 "expression of cycle, time, age and parameters, found one "
                 "that reads state_time");
        fixed = false;
    }
    return fixed;
}

/* Evaluates the weight (and the parameters it reads, in order) at every
 * time point, as a state value is evaluated: cycle = t, time = t x cycle
 * length, age = start age + time. */
static void
evaluate_weights(struct compiler *c, const bool *need, double *vars)
{
    const struct ns_model_priv *p = c->p;
    struct ns_model *m = c->m;
    size_t P = p->n_params;
    struct ns_expr_fault fault;
    for (size_t t = 0; t <= m->n_cycles; t++) {
        double years = (double)t * m->cycle_length_years;
        vars[NS_VAR_CYCLE] = (double)t;
        vars[NS_VAR_TIME] = years;
        vars[NS_VAR_AGE] = m->start_age_years + years;
        for (size_t i = 0; i < P; i++) {
            size_t q = p->order[i];
            if (!need[q])
                continue;
            const struct ns_compiled_expr *e = &p->exprs[p->param_def[q]];
            if (ns_expr_eval(e->expr, vars, p->tables, &vars[NS_VAR_COUNT + q],
                             &fault) != NS_OK) {
                ERROR_AT(c, c->def->weight_at,
                         "counting weight: %s: %s at column %zu, at time "
                         "point %zu",
                         e->what, fault.detail, fault.column, t);
                return;
            }
        }
        double *w = &m->weights[t];
        if (ns_expr_eval(p->exprs[(size_t)c->weight_expr].expr, vars, p->tables, w,
                         &fault) != NS_OK) {
            ERROR_AT(c, c->def->weight_at,
                     "counting weight: %s at column %zu, at time point %zu",
                     fault.detail, fault.column, t);
            return;
        }
        if (!(*w >= 0.0) || !(*w < HUGE_VAL)) {
            ERROR_AT(c, c->def->weight_at,
                     "counting weight must be a finite number of at least 0, "
                     "got %g at time point %zu",
                     *w, t);
            return;
        }
    }
}

void
nsc_finish_counting(struct compiler *c)
{
    const struct ns_model_priv *p = c->p;
    if (c->weight_expr < 0 || !p->exprs[(size_t)c->weight_expr].expr)
        return;
    size_t P = p->n_params;
    bool *need = alloc_array(c, P, sizeof *need);
    size_t *work = alloc_array(c, P, sizeof *work);
    double *vars = alloc_array(c, NS_VAR_COUNT + P, sizeof *vars);
    if (need && work && vars) {
        mark_read(p, (size_t)c->weight_expr, need, work);
        /* Called only on a model without errors so far (the
         * parameters are ordered): any error now is the weights'. */
        if (weight_params_fixed(c, need)) {
            evaluate_weights(c, need, vars);
            if (!c->failed)
                finish_weights(c);
        }
    }
    free(need);
    free(work);
    free(vars);
}

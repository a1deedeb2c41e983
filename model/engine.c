/* netsave: the Markov cohort engine.
 *
 * The cohort is held over expanded states (tunnel states for time in
 * state), so one step is: for every expanded state x and every transition
 * from its base state, move occupancy * probability to the destination.
 * Staying in a state whose time is tracked moves the cohort one tunnel on
 * (the last tunnel keeps it); entering any state starts at tunnel 0. The
 * cost is linear in the number of cycles and in the number of tunnels.
 *
 * Timing conventions (docs/model-format.md states them for analysts):
 * - the transition of cycle c (from time point c-1 to c) is evaluated
 *   with cycle = c and time = (c - 1) * cycle length;
 * - values counted at time point t are evaluated with cycle = t and
 *   time = t * cycle length;
 * - a value booked on a transition of cycle c counts at time point c, in
 *   full (no counting weight), discounted with the factor of point c. */
#include "model/engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/compiled.h"

struct ns_workspace {
    double *vars;    /* [n_vars] built-in names, then parameters */
    double *occ;     /* [n_expanded] occupancy at the current time point */
    double *next;    /* [n_expanded] occupancy being built */
    double *probs;   /* [n_states] probabilities of one row */
    double *state_v; /* [n_states] one stream's value per base state */
    /* Values of the expressions that depend on neither time nor time in
     * state, kept for the strategy being run: transitions and state
     * values are otherwise evaluated again every cycle although, in most
     * models, most of them cannot change. */
    double *known_value;  /* [n_exprs] */
    unsigned char *known; /* [n_exprs] 1 when known_value holds it */
    /* The parameters to recompute at every time point for the strategy
     * being run, in evaluation order: those that depend on time and are
     * not overridden. Listing them once spares a pass over every
     * parameter twice a cycle. */
    size_t *timed;        /* [n_params] */
    size_t n_timed;
    double *discount;     /* [n_outcomes * (n_cycles + 1)] the factors */
    /* The transition values of each move from -> to: tv_list[tv_start[
     * from * n_states + to] ..], in their own order, so that booking a
     * flow does not scan every transition value of the model. */
    size_t *tv_start;     /* [n_states * n_states + 1] */
    size_t *tv_list;      /* [n_tvalues] */
};

/* Fills ws->tv_start and ws->tv_list by counting sort on (from, to). */
static void
index_transition_values(const struct ns_model *model, struct ns_workspace *ws)
{
    const struct ns_model_priv *p = model->priv;
    size_t S = model->n_states;
    for (size_t i = 0; i < p->n_tvalues; i++)
        ws->tv_start[p->tvalues[i].from * S + p->tvalues[i].to + 1]++;
    for (size_t c = 0; c < S * S; c++)
        ws->tv_start[c + 1] += ws->tv_start[c];
    for (size_t i = 0; i < p->n_tvalues; i++) {
        size_t c = p->tvalues[i].from * S + p->tvalues[i].to;
        /* tv_start[c] is moved on while filling and restored below. */
        ws->tv_list[ws->tv_start[c]++] = i;
    }
    for (size_t c = S * S; c > 0; c--)
        ws->tv_start[c] = ws->tv_start[c - 1];
    ws->tv_start[0] = 0;
}

struct ns_workspace *
ns_workspace_alloc(const struct ns_model *model)
{
    const struct ns_model_priv *p = model->priv;
    struct ns_workspace *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->vars = calloc(p->n_vars + 1, sizeof *ws->vars);
    ws->occ = calloc(p->n_expanded + 1, sizeof *ws->occ);
    ws->next = calloc(p->n_expanded + 1, sizeof *ws->next);
    ws->probs = calloc(model->n_states + 1, sizeof *ws->probs);
    ws->state_v = calloc(model->n_states + 1, sizeof *ws->state_v);
    ws->known_value = calloc(p->n_exprs + 1, sizeof *ws->known_value);
    ws->known = calloc(p->n_exprs + 1, sizeof *ws->known);
    ws->timed = calloc(p->n_params + 1, sizeof *ws->timed);
    size_t n_points = model->n_cycles + 1;
    ws->discount =
        calloc(model->n_outcomes * n_points + 1, sizeof *ws->discount);
    size_t S = model->n_states;
    ws->tv_start = calloc(S * S + 2, sizeof *ws->tv_start);
    ws->tv_list = calloc(p->n_tvalues + 1, sizeof *ws->tv_list);
    if (!ws->vars || !ws->occ || !ws->next || !ws->probs || !ws->state_v ||
        !ws->known_value || !ws->known || !ws->timed || !ws->discount ||
        !ws->tv_start || !ws->tv_list) {
        ns_workspace_free(ws);
        return NULL;
    }
    index_transition_values(model, ws);
    for (size_t o = 0; o < model->n_outcomes; o++)
        for (size_t t = 0; t < n_points; t++)
            ws->discount[o * n_points + t] =
                ns_model_discount_factor(model, o, t);
    return ws;
}

void
ns_workspace_free(struct ns_workspace *ws)
{
    if (!ws)
        return;
    free(ws->vars);
    free(ws->occ);
    free(ws->next);
    free(ws->probs);
    free(ws->state_v);
    free(ws->known_value);
    free(ws->known);
    free(ws->timed);
    free(ws->discount);
    free(ws->tv_start);
    free(ws->tv_list);
    free(ws);
}

double
ns_model_discount_factor(const struct ns_model *m, size_t outcome, size_t t)
{
    size_t periods = t;
    if (m->discount_origin == NS_DISCOUNT_FROM_FIRST_CYCLE_END)
        periods = t > 0 ? t - 1 : 0;
    double years = (double)periods * m->cycle_length_years;
    return pow(1.0 + m->outcomes[outcome].discount_rate, -years);
}

/* One strategy's run: the model, where to write, and error context. */
struct run {
    const struct ns_model *m;
    const struct ns_model_priv *p;
    struct ns_workspace *ws;
    struct ns_results *r;
    struct ns_diags *diags;
    size_t k;         /* the strategy whose results these are */
    size_t d;         /* the strategy whose definitions are run: k, unless
                         the options make k run as another strategy */
    const struct ns_run_options *opt; /* never NULL */
    const char *when; /* "cycle" or "time point" */
    size_t when_n;
};

/* "cycle 3", "time point 7" or "at the start", for messages. */
static void
describe_when(const struct run *run, char *buf, size_t n)
{
    if (run->when[0] == '\0')
        snprintf(buf, n, "at the start");
    else
        snprintf(buf, n, "%s %zu", run->when, run->when_n);
}

/* Evaluates expression x, reporting a fault with strategy and time. */
static enum ns_status
eval(struct run *run, size_t x, double *out)
{
    struct ns_workspace *ws = run->ws;
    bool constant = run->p->expr_dep[run->d * run->p->n_exprs + x] == 0;
    if (constant && ws->known[x]) {
        *out = ws->known_value[x];
        return NS_OK;
    }
    const struct ns_compiled_expr *e = &run->p->exprs[x];
    struct ns_expr_fault fault;
    if (ns_expr_eval(e->expr, ws->vars, run->p->tables, out, &fault) ==
        NS_OK) {
        if (constant) {
            ws->known_value[x] = *out;
            ws->known[x] = 1;
        }
        return NS_OK;
    }
    char where[64];
    describe_when(run, where, sizeof where);
    ns_diags_add_at(run->diags, e->at, "%s: %s at column %zu, in strategy %s, "
                    "%s",
                    e->what, fault.detail, fault.column,
                    run->m->strategies[run->k].name, where);
    return NS_EMODEL;
}

/* Recomputes the parameters whose dependency flags meet dep_mask and that
 * are needed where need says. With dep_mask 0 (the start): every constant
 * parameter, and the time-dependent ones initial values need. */
static enum ns_status
eval_params(struct run *run, unsigned dep_mask, unsigned need)
{
    const struct ns_model_priv *p = run->p;
    size_t P = p->n_params, base = run->d * P;
    const double *override = run->opt->param_override;
    if (dep_mask == NS_DEP_TIME) {
        for (size_t i = 0; i < run->ws->n_timed; i++) {
            size_t q = run->ws->timed[i];
            if (!(p->param_need[base + q] & need))
                continue;
            enum ns_status st = eval(run, p->param_def[base + q],
                                     &run->ws->vars[NS_VAR_COUNT + q]);
            if (st != NS_OK)
                return st;
        }
        return NS_OK;
    }
    for (size_t i = 0; i < P; i++) {
        size_t q = p->order[base + i];
        if (override && !isnan(override[q])) {
            run->ws->vars[NS_VAR_COUNT + q] = override[q];
            continue;
        }
        unsigned dep = p->param_dep[base + q];
        bool needed = p->param_need[base + q] & need;
        if (dep_mask == 0 ? (dep != 0 && !needed)
                          : (!(dep & dep_mask) || !needed))
            continue;
        enum ns_status st = eval(run, p->param_def[base + q],
                                 &run->ws->vars[NS_VAR_COUNT + q]);
        if (st != NS_OK)
            return st;
    }
    return NS_OK;
}

static void
set_time(struct run *run, size_t cycle, size_t point)
{
    double *v = run->ws->vars;
    double years = (double)point * run->m->cycle_length_years;
    v[NS_VAR_CYCLE] = (double)cycle;
    v[NS_VAR_TIME] = years;
    v[NS_VAR_AGE] = run->m->start_age_years + years;
    v[NS_VAR_STATE_TIME] = 0.0;
}

/* Makes the state-time-dependent parameters needed where need says
 * current for tunnel slot q. */
static enum ns_status
enter_slot(struct run *run, size_t q, unsigned need)
{
    run->ws->vars[NS_VAR_STATE_TIME] = (double)q;
    return eval_params(run, NS_DEP_STATE_TIME, need);
}

static unsigned
dep_of(const struct run *run, size_t x)
{
    return run->p->expr_dep[run->d * run->p->n_exprs + x];
}

static enum ns_status
start_cohort(struct run *run)
{
    const struct ns_model_priv *p = run->p;
    size_t S = run->m->n_states;
    double total = 0.0;
    memset(run->ws->occ, 0, p->n_expanded * sizeof *run->ws->occ);
    for (size_t s = 0; s < S; s++) {
        long x = p->initial_def[run->d * S + s];
        double v = 0.0;
        if (x >= 0) {
            if (eval(run, (size_t)x, &v) != NS_OK)
                return NS_EMODEL;
            if (!(v >= 0.0)) {
                ns_diags_add_at(run->diags, p->exprs[x].at,
                                "%s must be a fraction or count of at least "
                                "0, got %g, in strategy %s",
                                p->exprs[x].what, v,
                                run->m->strategies[run->k].name);
                return NS_EMODEL;
            }
        }
        run->ws->occ[p->first_x[s]] = v;
        total += v;
    }
    if (!(total > 0.0)) {
        ns_diags_add_at(run->diags, (struct ns_origin){0},
                        "the initial state of strategy %s is empty: every "
                        "initial value is 0",
                        run->m->strategies[run->k].name);
        return NS_EMODEL;
    }
    return NS_OK;
}

/* Adds the state values of point t to the results, with weight w. */
static enum ns_status
count_point(struct run *run, size_t t)
{
    const struct ns_model *m = run->m;
    const struct ns_model_priv *p = run->p;
    struct ns_results *r = run->r;
    size_t S = m->n_states, J = m->n_streams;
    size_t row = run->k * r->n_points + t;
    for (size_t s = 0; s < S; s++) {
        double sum = 0.0;
        for (size_t q = 0; q < p->n_slots[s]; q++)
            sum += run->ws->occ[p->first_x[s] + q];
        r->trace[row * S + s] = sum;
    }
    double w = m->weights[t];
    for (size_t j = 0; j < J; j++) {
        double acc = 0.0;
        for (size_t s = 0; s < S; s++) {
            size_t x = p->value_def[j * S + s];
            bool per_slot = dep_of(run, x) & NS_DEP_STATE_TIME;
            double v = 0.0;
            for (size_t q = 0; q < p->n_slots[s]; q++) {
                if (q == 0 || per_slot) {
                    if (per_slot &&
                        enter_slot(run, q, NS_NEED_VALUE) != NS_OK)
                        return NS_EMODEL;
                    if (eval(run, x, &v) != NS_OK)
                        return NS_EMODEL;
                }
                acc += run->ws->occ[p->first_x[s] + q] * v;
            }
        }
        double scale = run->opt->stream_scale ? run->opt->stream_scale[j] : 1.0;
        r->values[row * J + j] += w * acc * scale;
    }
    return NS_OK;
}

/* Computes the probabilities of one row into ws->probs, checking them. */
static enum ns_status
row_probabilities(struct run *run, size_t s, const struct ns_row *row)
{
    const struct ns_model_priv *p = run->p;
    double *probs = run->ws->probs, sum = 0.0;
    const char *strategy = run->m->strategies[run->k].name;
    for (size_t i = 0; i < row->n; i++) {
        if ((long)i == row->complement)
            continue;
        size_t x = row->entries[i].def;
        if (eval(run, x, &probs[i]) != NS_OK)
            return NS_EMODEL;
        double v = probs[i];
        if (!(v >= -NS_PROBABILITY_SLACK && v <= 1.0 + NS_PROBABILITY_SLACK)) {
            ns_diags_add_at(run->diags, p->exprs[x].at,
                            "%s must be a probability between 0 and 1, got "
                            "%.10g, in strategy %s, cycle %zu",
                            p->exprs[x].what, v, strategy, run->when_n);
            return NS_EMODEL;
        }
        probs[i] = v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
        sum += probs[i];
    }
    const struct ns_origin at = p->exprs[row->entries[0].def].at;
    if (row->complement >= 0) {
        double rest = 1.0 - sum;
        if (rest < -run->m->row_sum_tolerance) {
            const struct ns_compiled_expr *e =
                &p->exprs[row->entries[row->complement].def];
            ns_diags_add_at(run->diags, e->at,
                            "%s: the complement would be %.10g because the "
                            "other probabilities from state %s sum to %.10g, "
                            "in strategy %s, cycle %zu",
                            e->what, rest, run->m->states[s].name, sum,
                            strategy, run->when_n);
            return NS_EMODEL;
        }
        probs[row->complement] = rest < 0.0 ? 0.0 : rest;
        sum += probs[row->complement];
    } else if (fabs(sum - 1.0) > run->m->row_sum_tolerance) {
        ns_diags_add_at(run->diags, at,
                        "the probabilities from state %s sum to %.10g, not 1 "
                        "(tolerance %g), in strategy %s, cycle %zu",
                        run->m->states[s].name, sum,
                        run->m->row_sum_tolerance, strategy, run->when_n);
        return NS_EMODEL;
    }
    /* A row accepted within the tolerance is scaled to sum to 1, so that
     * the cohort keeps its size exactly rather than leaking or gaining up
     * to the tolerance every cycle. */
    if (fabs(sum - 1.0) > 0.0)
        for (size_t i = 0; i < row->n; i++)
            probs[i] /= sum;
    return NS_OK;
}

/* Books transition values for flow from s to 'to' at point t + 1. */
static enum ns_status
book_transition_values(struct run *run, size_t s, size_t to, double flow,
                       size_t t)
{
    const struct ns_model_priv *p = run->p;
    struct ns_results *r = run->r;
    size_t J = run->m->n_streams;
    size_t row = run->k * r->n_points + t + 1;
    size_t c = s * run->m->n_states + to;
    for (size_t l = run->ws->tv_start[c]; l < run->ws->tv_start[c + 1]; l++) {
        const struct ns_transition_value *tv = &p->tvalues[run->ws->tv_list[l]];
        double v;
        if (eval(run, tv->def, &v) != NS_OK)
            return NS_EMODEL;
        double scale = run->opt->stream_scale
                           ? run->opt->stream_scale[tv->stream]
                           : 1.0;
        r->values[row * J + tv->stream] += flow * v * scale;
    }
    return NS_OK;
}

static bool
row_uses_state_time(const struct run *run, const struct ns_row *row,
                    size_t s)
{
    if (run->p->n_slots[s] < 2)
        return false;
    for (size_t i = 0; i < row->n; i++)
        if ((long)i != row->complement &&
            (dep_of(run, row->entries[i].def) & NS_DEP_STATE_TIME))
            return true;
    for (size_t i = 0; i < run->p->n_tvalues; i++)
        if (run->p->tvalues[i].from == s &&
            (dep_of(run, run->p->tvalues[i].def) & NS_DEP_STATE_TIME))
            return true;
    return false;
}

/* Moves the cohort through the transition of cycle t + 1. */
static enum ns_status
step(struct run *run, size_t t)
{
    const struct ns_model *m = run->m;
    const struct ns_model_priv *p = run->p;
    struct ns_workspace *ws = run->ws;
    size_t S = m->n_states;
    memset(ws->next, 0, p->n_expanded * sizeof *ws->next);
    for (size_t s = 0; s < S; s++) {
        const struct ns_row *row = &p->rows[run->d * S + s];
        bool per_slot = row_uses_state_time(run, row, s);
        size_t n_slots = p->n_slots[s];
        for (size_t q = 0; q < n_slots; q++) {
            if (q == 0 || per_slot) {
                if (per_slot && enter_slot(run, q, NS_NEED_TRANS) != NS_OK)
                    return NS_EMODEL;
                if (row_probabilities(run, s, row) != NS_OK)
                    return NS_EMODEL;
            }
            double mass = ws->occ[p->first_x[s] + q];
            for (size_t i = 0; i < row->n; i++) {
                size_t to = row->entries[i].to;
                size_t dest = p->first_x[to];
                if (to == s && n_slots > 1)
                    dest += q + 1 < n_slots ? q + 1 : n_slots - 1;
                double flow = mass * ws->probs[i];
                ws->next[dest] += flow;
                if (p->n_tvalues &&
                    book_transition_values(run, s, to, flow, t) != NS_OK)
                    return NS_EMODEL;
            }
        }
    }
    double *tmp = ws->occ;
    ws->occ = ws->next;
    ws->next = tmp;
    return NS_OK;
}

static void
discount_and_total(struct run *run)
{
    const struct ns_model *m = run->m;
    struct ns_results *r = run->r;
    size_t J = m->n_streams, k = run->k;
    for (size_t j = 0; j < J; j++) {
        double total = 0.0, total_disc = 0.0;
        for (size_t t = 0; t < r->n_points; t++) {
            size_t i = (k * r->n_points + t) * J + j;
            double d = run->opt->zero_discount
                           ? 1.0
                           : run->ws->discount[m->streams[j].outcome *
                                                   r->n_points +
                                               t];
            r->values_disc[i] = r->values[i] * d;
            total += r->values[i];
            total_disc += r->values_disc[i];
        }
        r->total[k * J + j] = total;
        r->total_disc[k * J + j] = total_disc;
    }
    for (size_t o = 0; o < m->n_outcomes; o++) {
        double sum = 0.0, sum_disc = 0.0;
        for (size_t j = 0; j < J; j++) {
            if (m->streams[j].outcome != o)
                continue;
            sum += r->total[k * J + j];
            sum_disc += r->total_disc[k * J + j];
        }
        r->outcome_total[k * m->n_outcomes + o] = sum;
        r->outcome_total_disc[k * m->n_outcomes + o] = sum_disc;
    }
}

/* Fills ws->timed for the strategy being run (see struct ns_workspace). */
static void
list_timed(struct run *run)
{
    const struct ns_model_priv *p = run->p;
    size_t P = p->n_params, base = run->d * P;
    const double *override = run->opt->param_override;
    struct ns_workspace *ws = run->ws;
    ws->n_timed = 0;
    for (size_t i = 0; i < P; i++) {
        size_t q = p->order[base + i];
        if ((override && !isnan(override[q])) ||
            !(p->param_dep[base + q] & NS_DEP_TIME))
            continue;
        ws->timed[ws->n_timed++] = q;
    }
}

static enum ns_status
run_strategy(struct run *run)
{
    struct ns_results *r = run->r;
    size_t J = run->m->n_streams, T = run->m->n_cycles;
    memset(&r->values[run->k * r->n_points * J], 0,
           r->n_points * J * sizeof *r->values);
    /* Constant expressions are constant for one strategy and one set of
     * parameter values only. */
    memset(run->ws->known, 0, run->p->n_exprs * sizeof *run->ws->known);
    list_timed(run);
    run->when = "";
    run->when_n = 0;
    set_time(run, 0, 0);
    if (eval_params(run, 0, NS_NEED_INIT) != NS_OK ||
        start_cohort(run) != NS_OK)
        return NS_EMODEL;
    /* Values at the start; those that vary over time, or are not
     * computed at the start, have no single value to show. */
    for (size_t q = 0; q < r->n_params; q++) {
        size_t i = run->k * r->n_params + q;
        r->param_values[i] = run->p->param_dep[run->d * r->n_params + q] == 0
                                 ? run->ws->vars[NS_VAR_COUNT + q]
                                 : (double)NAN;
    }
    for (size_t t = 0;; t++) {
        run->when = "time point";
        run->when_n = t;
        set_time(run, t, t);
        if (eval_params(run, NS_DEP_TIME, NS_NEED_VALUE) != NS_OK)
            return NS_EMODEL;
        if (count_point(run, t) != NS_OK)
            return NS_EMODEL;
        if (t == T)
            break;
        run->when = "cycle";
        run->when_n = t + 1;
        set_time(run, t + 1, t);
        if (eval_params(run, NS_DEP_TIME, NS_NEED_TRANS) != NS_OK)
            return NS_EMODEL;
        if (step(run, t) != NS_OK)
            return NS_EMODEL;
    }
    discount_and_total(run);
    return NS_OK;
}

enum ns_status
ns_model_run(const struct ns_model *model, struct ns_workspace *ws,
             struct ns_results *results, struct ns_diags *diags)
{
    return ns_model_run_opt(model, ws, results, diags, NULL);
}

enum ns_status
ns_model_run_opt(const struct ns_model *model, struct ns_workspace *ws,
                 struct ns_results *results, struct ns_diags *diags,
                 const struct ns_run_options *opt)
{
    static const struct ns_run_options plain = {0};
    if (!opt)
        opt = &plain;
    enum ns_status status = NS_OK;
    for (size_t k = 0; k < model->n_strategies; k++) {
        size_t d = opt->definition_of ? opt->definition_of[k] : k;
        struct run run = {model, model->priv, ws, results, diags,
                          k,     d,           opt, "",      0};
        if (run_strategy(&run) != NS_OK)
            status = NS_EMODEL;
    }
    return status;
}

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
 *   full (no counting weight) unless transition_value_counting = weighted,
 *   discounted with the factor of point c;
 * - with discount_timing = cycle, entry c of the results holds cycle c:
 *   the values of the cycle (evaluated as its transitions are, cycle = c
 *   and time = (c - 1) * cycle length) times its shares of the occupancy
 *   at its start and end, plus its transition values, discounted with
 *   cycle c's factor; entry 0 holds nothing.
 *
 * Lanes. A workspace can run several sets of parameter values at once
 * (lanes: a PSA's draws), each with results of its own. Every value the
 * engine holds is stored lane by lane next to each other, and every step
 * does its arithmetic for all lanes in a loop the compiler can vectorise,
 * so the cost of interpreting the model (expressions, rows, streams) is
 * paid once for all lanes. Each lane does exactly the operations, in the
 * same order, of a run with one lane, so its results are bit-identical.
 * Problems are described only with one lane: with several, a run just
 * fails, and the caller runs those lanes one at a time to learn why. */
#include "model/engine.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/compiled.h"
#include "model/engine_priv.h"
#include "model/jit_priv.h"

enum { ROW_UNKNOWN = 0, ROW_CONSTANT, ROW_KNOWN, ROW_TIMED, ROW_PER_SLOT };
enum { SV_DYNAMIC = 0, SV_CONSTANT };

double
ns_model_discount_factor(const struct ns_model *m, size_t outcome, size_t t)
{
    size_t periods = t;
    /* Cycle c is discounted from its start, (c - 1) cycles in. */
    if (m->discount_origin == NS_DISCOUNT_FROM_FIRST_CYCLE_END ||
        m->discount_timing == NS_DISCOUNT_CYCLES)
        periods = t > 0 ? t - 1 : 0;
    double years = (double)periods * m->cycle_length_years;
    return pow(1.0 + m->outcomes[outcome].discount_rate, -years);
}

double
ns_model_entry_weight(const struct ns_model *m, size_t t)
{
    /* No shares: the model failed to compile (a counting that has no
     * per-cycle reading), and only its checks ask. */
    if (m->discount_timing != NS_DISCOUNT_CYCLES || !m->cycle_share)
        return m->weights[t];
    return t > 0 ? m->cycle_share[2 * t] + m->cycle_share[2 * t + 1] : 0.0;
}

/* Loops over lanes. The PSA's number of lanes gets loops of known
 * length, which the compiler vectorises; each lane's arithmetic is the
 * same either way. */
#define FOR_LANES(l, L, body)                                                 \
    do {                                                                      \
        if ((L) == NS_EXPR_FAST_LANES) {                                      \
            for (size_t l = 0; l < NS_EXPR_FAST_LANES; l++)                   \
                body;                                                         \
        } else {                                                              \
            for (size_t l = 0; l < (L); l++)                                  \
                body;                                                         \
        }                                                                     \
    } while (0)

/* The cohort being built becomes the current one. */
static void
swap_cohort(struct ns_workspace *ws)
{
    double *tmp = ws->occ;
    ws->occ = ws->next;
    ws->next = tmp;
}

/* sum[l] += a[l] * b[l] * scale for every lane. */
static inline void
add_products(double *restrict sum, const double *restrict a,
             const double *restrict b, double scale, size_t L)
{
    FOR_LANES(l, L, sum[l] += a[l] * b[l] * scale);
}

/* sum[l] += a[l] * b[l] for every lane. */
static inline void
add_product(double *restrict sum, const double *restrict a,
            const double *restrict b, size_t L)
{
    FOR_LANES(l, L, sum[l] += a[l] * b[l]);
}

/* One run's state: the model, where to write, and error context. */
struct run {
    const struct ns_model *m;
    const struct ns_model_priv *p;
    struct ns_workspace *ws;
    size_t L;                /* lanes */
    struct ns_results *const *r; /* [L] each lane's results */
    const double *const *override; /* [L] each lane's param_override */
    struct ns_diags *diags;  /* NULL with several lanes: fail quietly */
    size_t k;         /* the strategy whose results these are */
    size_t d;         /* the strategy whose definitions are run: k, unless
                         the options make k run as another strategy */
    const struct ns_run_options *opt; /* never NULL */
    const char *when; /* "cycle" or "time point" */
    size_t when_n;
    bool totalled;    /* native code discounted and totalled the values */
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

/* Expression x's native code for this run's lanes, or NULL. */
static const struct ns_jit_entry *
native_expr(const struct run *run, size_t x)
{
    const struct ns_jit *jit = run->p->jit;
    const struct ns_jit_entry *e = !jit                      ? NULL
                                   : run->L == NS_JIT_LANES ? &jit->lanes[x]
                                   : run->L == 1            ? &jit->one[x]
                                                            : NULL;
    return e && e->fn ? e : NULL;
}

/* Evaluates expression x into known_value[x] (every lane), marking it
 * reusable when it can be, and reports a fault with strategy and time.
 * Kept out of line: its frame (the fault's text) would otherwise burden
 * every cache hit in eval. */
static __attribute__((noinline)) enum ns_status
eval_now(struct run *run, size_t x, bool reusable)
{
    struct ns_workspace *ws = run->ws;
    const struct ns_compiled_expr *e = &run->p->exprs[x];
    double *out = &ws->known_value[x * run->L];
    const struct ns_jit_entry *native = native_expr(run, x);
    if (native &&
        native->fn(native->which, ws->vars,
                   (const char *)(const void *)run->p->tables, out) == 0) {
        if (reusable)
            ws->stamp[x] = ws->clock;
        return NS_OK;
    }
    /* A fault: with one lane, the interpreter describes it. */
    if (run->L > 1) {
        if (ns_expr_eval_lanes(e->expr, ws->vars, run->L, run->p->tables,
                               out) != NS_OK)
            return NS_EMODEL;
    } else {
        struct ns_expr_fault fault;
        if (ns_expr_eval(e->expr, ws->vars, run->p->tables, out, &fault) !=
            NS_OK) {
            char where[64];
            describe_when(run, where, sizeof where);
            ns_diags_add_at(run->diags, e->at,
                            "%s: %s at column %zu, in strategy %s, %s",
                            e->what, fault.detail, fault.column,
                            run->m->strategies[run->k].name, where);
            return NS_EMODEL;
        }
    }
    if (reusable)
        ws->stamp[x] = ws->clock;
    return NS_OK;
}

/* Points *out at the values of expression x in every lane, evaluating it
 * unless its kept values still hold (see struct ns_workspace). They stay
 * valid until x is evaluated again. */
static inline enum ns_status
eval(struct run *run, size_t x, const double **out)
{
    struct ns_workspace *ws = run->ws;
    assert(x < run->p->n_exprs);
    unsigned dep = run->p->expr_dep[run->d * run->p->n_exprs + x];
    bool reusable = !(dep & NS_DEP_STATE_TIME);
    unsigned long long since = dep == 0                ? ws->run_start
                               : (dep & NS_DEP_CYCLE) ? ws->clock
                                                      : ws->time_start;
    *out = &ws->known_value[x * run->L];
    if (reusable && ws->stamp[x] >= since)
        return NS_OK;
    return eval_now(run, x, reusable);
}

/* Sets parameter q, in every lane, to the value of its definition. With
 * several lanes, variables are checked as they are set, since
 * ns_expr_eval_lanes does not check what it loads (a run with one lane
 * reports a non-finite variable where an expression reads it). */
static enum ns_status
eval_param(struct run *run, size_t q)
{
    const double *v;
    size_t L = run->L;
    assert(q < run->p->n_params);
    if (eval(run, run->p->param_def[run->d * run->p->n_params + q], &v) !=
        NS_OK)
        return NS_EMODEL;
    if (L > 1 && !ns_all_finite(v, L))
        return NS_EMODEL;
    memcpy(&run->ws->vars[(NS_VAR_COUNT + q) * L], v, L * sizeof *v);
    return NS_OK;
}

/* Whether parameter q is overridden (the same in every lane). */
static bool
overridden(const struct run *run, size_t q)
{
    return run->override[0] && !isnan(run->override[0][q]);
}

/* Recomputes the parameters whose dependency flags meet dep_mask and that
 * are needed where need says. With dep_mask 0 (the start): every constant
 * parameter, and the time-dependent ones initial values need. */
static enum ns_status
eval_params(struct run *run, unsigned dep_mask, unsigned need)
{
    const struct ns_model_priv *p = run->p;
    size_t P = p->n_params, base = run->d * P, L = run->L;
    if (dep_mask == NS_DEP_TIME) {
        for (size_t i = 0; i < run->ws->n_timed; i++) {
            size_t q = run->ws->timed[i];
            if ((p->param_need[base + q] & need) && eval_param(run, q) != NS_OK)
                return NS_EMODEL;
        }
        return NS_OK;
    }
    for (size_t i = 0; i < P; i++) {
        size_t q = p->order[base + i];
        if (overridden(run, q)) {
            double *v = &run->ws->vars[(NS_VAR_COUNT + q) * L];
            for (size_t l = 0; l < L; l++)
                v[l] = run->override[l][q];
            if (L > 1 && !ns_all_finite(v, L))
                return NS_EMODEL;
            continue;
        }
        unsigned dep = p->param_dep[base + q];
        bool needed = p->param_need[base + q] & need;
        if (dep_mask == 0 ? (dep != 0 && !needed)
                          : (!(dep & dep_mask) || !needed))
            continue;
        if (eval_param(run, q) != NS_OK)
            return NS_EMODEL;
    }
    return NS_OK;
}

/* Sets built-in variable v to x in every lane. */
static void
set_var(struct run *run, size_t v, double x)
{
    assert(v < NS_VAR_COUNT);
    for (size_t l = 0; l < run->L; l++)
        run->ws->vars[v * run->L + l] = x;
}

static void
set_time(struct run *run, size_t cycle, size_t point)
{
    struct ns_workspace *ws = run->ws;
    if (++ws->clock == ws->run_start + 1 || point != ws->point)
        ws->time_start = ws->clock;
    ws->point = point;
    double years = (double)point * run->m->cycle_length_years;
    set_var(run, NS_VAR_CYCLE, (double)cycle);
    set_var(run, NS_VAR_TIME, years);
    set_var(run, NS_VAR_AGE, run->m->start_age_years + years);
    set_var(run, NS_VAR_STATE_TIME, 0.0);
}

/* Makes the state-time-dependent parameters needed where need says
 * current for tunnel slot q. */
static enum ns_status
enter_slot(struct run *run, size_t q, unsigned need)
{
    set_var(run, NS_VAR_STATE_TIME, (double)q);
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
    struct ns_workspace *ws = run->ws;
    size_t S = run->m->n_states, L = run->L;
    double *total = ws->sum;
    memset(ws->occ, 0, p->n_expanded * L * sizeof *ws->occ);
    memset(total, 0, L * sizeof *total);
    for (size_t s = 0; s < S; s++) {
        long x = p->initial_def[run->d * S + s];
        double *occ = &ws->occ[p->first_x[s] * L];
        if (x < 0)
            continue; /* 0 in every lane; adding it changes no total */
        const double *v;
        if (eval(run, (size_t)x, &v) != NS_OK)
            return NS_EMODEL;
        for (size_t l = 0; l < L; l++) {
            if (!(v[l] >= 0.0)) {
                if (run->diags)
                    ns_diags_add_at(run->diags, p->exprs[x].at,
                                    "%s must be a fraction or count of at "
                                    "least 0, got %g, in strategy %s",
                                    p->exprs[x].what, v[l],
                                    run->m->strategies[run->k].name);
                return NS_EMODEL;
            }
            occ[l] = v[l];
            total[l] += v[l];
        }
    }
    for (size_t l = 0; l < L; l++)
        if (!(total[l] > 0.0)) {
            if (run->diags)
                ns_diags_add_at(run->diags, (struct ns_origin){0},
                                "the initial state of strategy %s is empty: "
                                "every initial value is 0",
                                run->m->strategies[run->k].name);
            return NS_EMODEL;
        }
    return NS_OK;
}

/* Adds stream j's value in state s, over its tunnel slots, to acc[l]. */
static enum ns_status
add_state_value(struct run *run, size_t j, size_t s, double *acc)
{
    const struct ns_model_priv *p = run->p;
    struct ns_workspace *ws = run->ws;
    size_t i = j * run->m->n_states + s, L = run->L;
    const double *occ = ws->occ + p->first_x[s] * L;
    size_t n_slots = p->n_slots[s];
    if (ws->sv_kind[i] == SV_CONSTANT) {
        const double *v = &ws->sv[i * L];
        for (size_t q = 0; q < n_slots; q++)
            for (size_t l = 0; l < L; l++)
                acc[l] += occ[q * L + l] * v[l];
        return NS_OK;
    }
    size_t x = p->value_def[i];
    bool per_slot = dep_of(run, x) & NS_DEP_STATE_TIME;
    const double *v = NULL;
    for (size_t q = 0; q < n_slots; q++) {
        if (q == 0 || per_slot) {
            if (per_slot && enter_slot(run, q, NS_NEED_VALUE) != NS_OK)
                return NS_EMODEL;
            if (eval(run, x, &v) != NS_OK)
                return NS_EMODEL;
        }
        for (size_t l = 0; l < L; l++)
            acc[l] += occ[q * L + l] * v[l];
    }
    if (dep_of(run, x) == 0) {
        memcpy(&ws->sv[i * L], v, L * sizeof *v);
        ws->sv_kind[i] = SV_CONSTANT;
    }
    return NS_OK;
}

/* Whether a constant state value is exactly 0 in every lane. */
static bool
zero_in_every_lane(const double *v, size_t L)
{
    for (size_t l = 0; l < L; l++)
        if (!(fabs(v[l]) <= 0.0))
            return false;
    return true;
}

/* Lists each stream's terms (see struct ns_workspace); called once every
 * value has been evaluated (after the first time point). The terms keep
 * the order of the plain loops, and leave out only those that add exactly
 * 0, so each sum is bit-identical. */
static void
list_state_values(struct run *run)
{
    const struct ns_model_priv *p = run->p;
    struct ns_workspace *ws = run->ws;
    size_t S = run->m->n_states, J = run->m->n_streams, L = run->L, n = 0;
    for (size_t j = 0; j < J; j++) {
        ws->sv_start[j] = n;
        for (size_t s = 0; s < S; s++) {
            size_t i = j * S + s;
            if (ws->sv_kind[i] != SV_CONSTANT) {
                ws->sv_at[n] = s;
                ws->sv_dyn[n++] = 1;
                continue;
            }
            if (zero_in_every_lane(&ws->sv[i * L], L))
                continue;
            for (size_t q = 0; q < p->n_slots[s]; q++) {
                ws->sv_at[n] = p->first_x[s] + q;
                memcpy(&ws->sv_val[n * L], &ws->sv[i * L], L * sizeof(double));
                ws->sv_dyn[n++] = 0;
            }
        }
    }
    ws->sv_start[J] = n;
    ws->sv_listed = true;
}

/* Keeps the cohort at point t in the results' trace (and in ws->trace,
 * summed over tunnels for all lanes at once). */
static void
record_trace(struct run *run, size_t t)
{
    const struct ns_model_priv *p = run->p;
    struct ns_workspace *ws = run->ws;
    size_t S = run->m->n_states, L = run->L;
    size_t row = run->k * run->r[0]->n_points + t;
    double *sum = ws->trace;
    for (size_t s = 0; s < S; s++) {
        double *to = &sum[s * L];
        memset(to, 0, L * sizeof *to);
        for (size_t q = 0; q < p->n_slots[s]; q++) {
            const double *occ = &ws->occ[(p->first_x[s] + q) * L];
            for (size_t l = 0; l < L; l++)
                to[l] += occ[l];
        }
    }
    for (size_t l = 0; l < L && !ws->no_trace; l++) {
        double *trace = &run->r[l]->trace[row * S];
        for (size_t s = 0; s < S; s++)
            trace[s] = sum[s * L + l];
    }
}

/* Adds the state values of the cohort as it is now, times w, to entry t
 * of the results. */
static enum ns_status
add_state_values(struct run *run, size_t t, double w)
{
    const struct ns_model *m = run->m;
    struct ns_workspace *ws = run->ws;
    size_t S = m->n_states, J = m->n_streams, L = run->L;
    size_t row = run->k * run->r[0]->n_points + t;
    double *acc = ws->acc;
    for (size_t j = 0; j < J; j++) {
        memset(acc, 0, L * sizeof *acc);
        if (ws->sv_listed) {
            for (size_t i = ws->sv_start[j]; i < ws->sv_start[j + 1]; i++) {
                if (ws->sv_dyn[i]) {
                    if (add_state_value(run, j, ws->sv_at[i], acc) != NS_OK)
                        return NS_EMODEL;
                    continue;
                }
                add_product(acc, &ws->occ[ws->sv_at[i] * L],
                            &ws->sv_val[i * L], L);
            }
        } else {
            for (size_t s = 0; s < S; s++)
                if (add_state_value(run, j, s, acc) != NS_OK)
                    return NS_EMODEL;
        }
        double scale = run->opt->stream_scale ? run->opt->stream_scale[j] : 1.0;
        for (size_t l = 0; l < L; l++)
            run->r[l]->values[row * J + j] += w * acc[l] * scale;
    }
    return NS_OK;
}

/* Adds the state values of point t to the results, with its weight. */
static enum ns_status
count_point(struct run *run, size_t t)
{
    record_trace(run, t);
    return add_state_values(run, t, run->m->weights[t]);
}

/* Computes the probabilities of one row into probs (x L), checking them. */
static enum ns_status
row_probabilities(struct run *run, size_t s, const struct ns_row *row,
                  double *probs)
{
    const struct ns_model_priv *p = run->p;
    size_t L = run->L;
    double *sum = run->ws->sum;
    const char *strategy = run->m->strategies[run->k].name;
    memset(sum, 0, L * sizeof *sum);
    for (size_t i = 0; i < row->n; i++) {
        if ((long)i == row->complement)
            continue;
        size_t x = row->entries[i].def;
        const double *v;
        if (eval(run, x, &v) != NS_OK)
            return NS_EMODEL;
        for (size_t l = 0; l < L; l++) {
            if (!(v[l] >= -NS_PROBABILITY_SLACK &&
                  v[l] <= 1.0 + NS_PROBABILITY_SLACK)) {
                if (run->diags)
                    ns_diags_add_at(run->diags, p->exprs[x].at,
                                    "%s must be a probability between 0 and "
                                    "1, got %.10g, in strategy %s, cycle %zu",
                                    p->exprs[x].what, v[l], strategy,
                                    run->when_n);
                return NS_EMODEL;
            }
            double c = v[l] < 0.0 ? 0.0 : v[l] > 1.0 ? 1.0 : v[l];
            probs[i * L + l] = c;
            sum[l] += c;
        }
    }
    const struct ns_origin at = p->exprs[row->entries[0].def].at;
    for (size_t l = 0; l < L; l++) {
        if (row->complement >= 0) {
            double rest = 1.0 - sum[l];
            if (rest < -run->m->row_sum_tolerance) {
                const struct ns_compiled_expr *e =
                    &p->exprs[row->entries[row->complement].def];
                if (run->diags)
                    ns_diags_add_at(run->diags, e->at,
                                    "%s: the complement would be %.10g "
                                    "because the other probabilities from "
                                    "state %s sum to %.10g, in strategy %s, "
                                    "cycle %zu",
                                    e->what, rest, run->m->states[s].name,
                                    sum[l], strategy, run->when_n);
                return NS_EMODEL;
            }
            probs[row->complement * L + l] = rest < 0.0 ? 0.0 : rest;
            sum[l] += probs[row->complement * L + l];
        } else if (fabs(sum[l] - 1.0) > run->m->row_sum_tolerance) {
            if (run->diags)
                ns_diags_add_at(run->diags, at,
                                "the probabilities from state %s sum to "
                                "%.10g, not 1 (tolerance %g), in strategy "
                                "%s, cycle %zu",
                                run->m->states[s].name, sum[l],
                                run->m->row_sum_tolerance, strategy,
                                run->when_n);
            return NS_EMODEL;
        }
        /* A row accepted within the tolerance is scaled to sum to 1, so
         * that the cohort keeps its size exactly rather than leaking or
         * gaining up to the tolerance every cycle. */
        if (fabs(sum[l] - 1.0) > 0.0)
            for (size_t i = 0; i < row->n; i++)
                probs[i * L + l] /= sum[l];
    }
    return NS_OK;
}

/* Books transition values for flow (x L) from s to 'to' into tv_sum. */
static enum ns_status
book_transition_values(struct run *run, size_t s, size_t to,
                       const double *flow)
{
    const struct ns_model_priv *p = run->p;
    size_t L = run->L;
    size_t c = s * run->m->n_states + to;
    for (size_t i = run->ws->tv_start[c]; i < run->ws->tv_start[c + 1]; i++) {
        const struct ns_transition_value *tv = &p->tvalues[run->ws->tv_list[i]];
        const double *v;
        if (eval(run, tv->def, &v) != NS_OK)
            return NS_EMODEL;
        double scale = run->opt->stream_scale
                           ? run->opt->stream_scale[tv->stream]
                           : 1.0;
        add_products(&run->ws->tv_sum[tv->stream * L], flow, v, scale, L);
    }
    return NS_OK;
}

/* Adds the transition values of cycle t + 1 to each lane's results, at
 * point t + 1 (times its counting weight when they are weighted), and
 * clears the sums for the next cycle. */
static void
add_transition_values(struct run *run, size_t t)
{
    struct ns_workspace *ws = run->ws;
    size_t J = run->m->n_streams, L = run->L;
    size_t row = run->k * run->r[0]->n_points + t + 1;
    double w = run->m->transition_weight == NS_TRANSITION_WEIGHTED
                   ? run->m->weights[t + 1]
                   : 1.0;
    for (size_t i = 0; i < ws->n_tv_streams; i++) {
        size_t j = ws->tv_streams[i];
        double *sum = &ws->tv_sum[j * L];
        for (size_t l = 0; l < L; l++)
            run->r[l]->values[row * J + j] += w * sum[l];
        memset(sum, 0, L * sizeof *sum);
    }
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

/* Sorts each row of the strategy being run by what its probabilities
 * depend on (see struct ns_workspace). */
static void
classify_rows(struct run *run)
{
    size_t S = run->m->n_states;
    for (size_t s = 0; s < S; s++) {
        const struct ns_row *row = &run->p->rows[run->d * S + s];
        unsigned char kind = ROW_CONSTANT;
        if (row_uses_state_time(run, row, s))
            kind = ROW_PER_SLOT;
        else
            for (size_t i = 0; i < row->n; i++)
                if ((long)i != row->complement &&
                    dep_of(run, row->entries[i].def) != 0)
                    kind = ROW_TIMED;
        run->ws->row_kind[s] = kind;
    }
}

/* Points *probs at row s's probabilities (x L) for tunnel slot q,
 * computing them when they are not known yet. */
static enum ns_status
row_for_slot(struct run *run, size_t s, const struct ns_row *row, size_t q,
             const double **probs)
{
    struct ns_workspace *ws = run->ws;
    double *known = ws->row_probs + s * run->m->n_states * run->L;
    switch (ws->row_kind[s]) {
    case ROW_KNOWN:
        *probs = known;
        return NS_OK;
    case ROW_CONSTANT:
        if (row_probabilities(run, s, row, known) != NS_OK)
            return NS_EMODEL;
        ws->row_kind[s] = ROW_KNOWN;
        *probs = known;
        return NS_OK;
    case ROW_PER_SLOT:
        if (enter_slot(run, q, NS_NEED_TRANS) != NS_OK)
            return NS_EMODEL;
        break;
    default: /* ROW_TIMED: the same for every slot */
        if (q > 0)
            return NS_OK;
        break;
    }
    *probs = ws->probs;
    return row_probabilities(run, s, row, ws->probs);
}

/* Row s's values for each tunnel slot, into ws->slot_vals from vector
 * 'at' on (ns_jit_slot_width a slot): its probabilities, then the
 * transition values its moves book, each evaluated in its slot as step()
 * evaluates them. */
static enum ns_status
evaluate_slots(struct run *run, size_t s, const struct ns_row *row,
               size_t at)
{
    const struct ns_model_priv *p = run->p;
    struct ns_workspace *ws = run->ws;
    size_t S = run->m->n_states, L = run->L;
    size_t width = ns_jit_slot_width(p, row, s);
    const double *v;
    for (size_t q = 0; q < p->n_slots[s]; q++) {
        double *out = ws->slot_vals + (at + q * width) * L;
        if (enter_slot(run, q, NS_NEED_TRANS) != NS_OK)
            return NS_EMODEL;
        for (size_t i = 0; i < row->n; i++) {
            if ((long)i == row->complement)
                continue;
            if (eval(run, row->entries[i].def, &v) != NS_OK)
                return NS_EMODEL;
            memcpy(out + i * L, v, L * sizeof *v);
        }
        size_t n = row->n;
        for (size_t i = 0; i < row->n; i++) {
            size_t c = s * S + row->entries[i].to;
            for (size_t k = ws->tv_start[c]; k < ws->tv_start[c + 1]; k++) {
                if (eval(run, p->tvalues[ws->tv_list[k]].def, &v) != NS_OK)
                    return NS_EMODEL;
                memcpy(out + n++ * L, v, L * sizeof *v);
            }
        }
    }
    return NS_OK;
}

/* Evaluates what step() would for cycle t + 1 of a lanes run (every
 * row's probabilities or, for rows known once, the row itself; every
 * transition value a move books; per tunnel slot where the row is
 * computed so), so that a native kernel can do the rest: the same
 * values, evaluated in another order. */
static enum ns_status
evaluate_step(struct run *run)
{
    const struct ns_model_priv *p = run->p;
    struct ns_workspace *ws = run->ws;
    size_t S = run->m->n_states, L = run->L, at = 0;
    const double *v;
    for (size_t s = 0; s < S; s++) {
        const struct ns_row *row = &p->rows[run->d * S + s];
        if (ws->row_kind[s] == ROW_PER_SLOT) {
            if (evaluate_slots(run, s, row, at) != NS_OK)
                return NS_EMODEL;
            at += p->n_slots[s] * ns_jit_slot_width(p, row, s);
            continue;
        }
        if (ws->row_kind[s] == ROW_CONSTANT) {
            if (row_probabilities(run, s, row,
                                  ws->row_probs + s * S * L) != NS_OK)
                return NS_EMODEL;
            ws->row_kind[s] = ROW_KNOWN;
        } else if (ws->row_kind[s] == ROW_TIMED) {
            for (size_t i = 0; i < row->n; i++)
                if ((long)i != row->complement &&
                    eval(run, row->entries[i].def, &v) != NS_OK)
                    return NS_EMODEL;
        }
        for (size_t i = 0; p->n_tvalues && i < row->n; i++) {
            size_t c = s * S + row->entries[i].to;
            for (size_t k = ws->tv_start[c]; k < ws->tv_start[c + 1]; k++)
                if (eval(run, p->tvalues[ws->tv_list[k]].def, &v) != NS_OK)
                    return NS_EMODEL;
        }
    }
    return NS_OK;
}

/* step() with a native kernel (see ns_jit_step_fn). */
static enum ns_status
native_step(struct run *run, ns_jit_step_fn *kernel, size_t t)
{
    struct ns_workspace *ws = run->ws;
    if (evaluate_step(run) != NS_OK)
        return NS_EMODEL;
    const double *scale = run->opt->stream_scale ? run->opt->stream_scale
                                                 : ws->ones;
    if (kernel(ws->occ, ws->next, ws->known_value, ws->row_probs,
               ws->slot_vals, ws->tv_sum, scale) != 0)
        return NS_EMODEL;
    add_transition_values(run, t);
    swap_cohort(ws);
    return NS_OK;
}

/* Moves the cohort through the transition of cycle t + 1. */
static enum ns_status
step(struct run *run, size_t t)
{
    const struct ns_jit *jit = run->p->jit;
    if (jit && jit->step[run->d] && run->L == NS_JIT_LANES)
        return native_step(run, jit->step[run->d], t);
    const struct ns_model *m = run->m;
    const struct ns_model_priv *p = run->p;
    struct ns_workspace *ws = run->ws;
    size_t S = m->n_states, L = run->L;
    double *flow = ws->flow;
    memset(ws->next, 0, p->n_expanded * L * sizeof *ws->next);
    for (size_t s = 0; s < S; s++) {
        const struct ns_row *row = &p->rows[run->d * S + s];
        size_t n_slots = p->n_slots[s];
        const double *probs = NULL;
        for (size_t q = 0; q < n_slots; q++) {
            if (row_for_slot(run, s, row, q, &probs) != NS_OK)
                return NS_EMODEL;
            const double *mass = &ws->occ[(p->first_x[s] + q) * L];
            for (size_t i = 0; i < row->n; i++) {
                size_t to = row->entries[i].to;
                size_t dest = p->first_x[to];
                if (to == s && n_slots > 1)
                    dest += q + 1 < n_slots ? q + 1 : n_slots - 1;
                double *next = &ws->next[dest * L];
                for (size_t l = 0; l < L; l++) {
                    flow[l] = mass[l] * probs[i * L + l];
                    next[l] += flow[l];
                }
                if (p->n_tvalues &&
                    book_transition_values(run, s, to, flow) != NS_OK)
                    return NS_EMODEL;
            }
        }
    }
    add_transition_values(run, t);
    swap_cohort(ws);
    return NS_OK;
}

/* True when the rest of the run cannot evaluate anything: every row is
 * known, every state value is a constant, no value is booked on
 * transitions and no parameter depends on time. */
static bool
settled(const struct run *run)
{
    const struct ns_workspace *ws = run->ws;
    if (!ws->sv_listed || run->p->n_tvalues > 0 || ws->n_timed > 0)
        return false;
    for (size_t s = 0; s < run->m->n_states; s++)
        if (ws->row_kind[s] != ROW_KNOWN)
            return false;
    for (size_t i = 0; i < ws->sv_start[run->m->n_streams]; i++)
        if (ws->sv_dyn[i])
            return false;
    return true;
}

/* Lists the moves of a settled run in step()'s order. */
static void
list_moves(struct run *run)
{
    const struct ns_model_priv *p = run->p;
    struct ns_workspace *ws = run->ws;
    size_t S = run->m->n_states, L = run->L, n = 0;
    for (size_t s = 0; s < S; s++) {
        const struct ns_row *row = &p->rows[run->d * S + s];
        const double *probs = ws->row_probs + s * S * L;
        size_t n_slots = p->n_slots[s];
        for (size_t q = 0; q < n_slots; q++)
            for (size_t i = 0; i < row->n; i++) {
                size_t to = row->entries[i].to;
                size_t dest = p->first_x[to];
                if (to == s && n_slots > 1)
                    dest += q + 1 < n_slots ? q + 1 : n_slots - 1;
                ws->mv_from[n] = p->first_x[s] + q;
                ws->mv_to[n] = dest;
                memcpy(&ws->mv_prob[n++ * L], &probs[i * L],
                       L * sizeof *probs);
            }
    }
    ws->n_moves = n;
}

/* step() of a settled run: the same products, summed in the same order. */
static void
settled_step(struct run *run)
{
    struct ns_workspace *ws = run->ws;
    size_t L = run->L;
    memset(ws->next, 0, run->p->n_expanded * L * sizeof *ws->next);
    for (size_t i = 0; i < ws->n_moves; i++)
        add_product(&ws->next[ws->mv_to[i] * L], &ws->occ[ws->mv_from[i] * L],
                    &ws->mv_prob[i * L], L);
    swap_cohort(ws);
}

/* Each outcome's totals over its streams, for one lane. */
static void
outcome_totals(struct run *run, struct ns_results *r)
{
    const struct ns_model *m = run->m;
    size_t J = m->n_streams, k = run->k;
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

/* Discounts every lane's values and sums each stream's totals, point by
 * point in order for each lane (so each lane's sums are its own run's),
 * with the lanes side by side: their sums are independent chains of
 * additions rather than one long chain after another. */
static void
discount_and_total(struct run *run)
{
    const struct ns_model *m = run->m;
    size_t J = m->n_streams, k = run->k, L = run->L;
    size_t np = run->r[0]->n_points;
    /* On the stack: stores to the results cannot alias them; and each
     * lane's arrays found once, not at every value. */
    double total[NS_EXPR_MAX_LANES], total_disc[NS_EXPR_MAX_LANES];
    const double *val[NS_EXPR_MAX_LANES];
    double *disc[NS_EXPR_MAX_LANES];
    for (size_t l = 0; l < L; l++) {
        val[l] = run->r[l]->values + k * np * J;
        disc[l] = run->r[l]->values_disc + k * np * J;
    }
    const double *factor = run->ws->discount;
    for (size_t j = 0; j < J; j++) {
        for (size_t l = 0; l < L; l++)
            total[l] = total_disc[l] = 0.0;
        const double *dj = factor + m->streams[j].outcome * np;
        for (size_t t = 0; t < np; t++) {
            size_t i = t * J + j;
            double d = run->opt->zero_discount ? 1.0 : dj[t];
            for (size_t l = 0; l < L; l++) {
                double v = val[l][i];
                disc[l][i] = v * d;
                total[l] += v;
                total_disc[l] += disc[l][i];
            }
        }
        for (size_t l = 0; l < L; l++) {
            run->r[l]->total[k * J + j] = total[l];
            run->r[l]->total_disc[k * J + j] = total_disc[l];
        }
    }
    for (size_t l = 0; l < L; l++)
        outcome_totals(run, run->r[l]);
}

/* Whether strategy k's trace (when this run wrote it), values and totals
 * are all finite. A stream's total is finite only if every value summed
 * into it is (an infinity or NaN stays in a sum), so the totals stand for
 * the values. */
static bool
all_finite(const struct ns_results *r, size_t k, bool trace)
{
    size_t np = r->n_points, S = r->n_states, J = r->n_streams;
    size_t O = r->n_outcomes;
    return (!trace || ns_all_finite(&r->trace[k * np * S], np * S)) &&
           ns_all_finite(&r->total[k * J], J) &&
           ns_all_finite(&r->total_disc[k * J], J) &&
           ns_all_finite(&r->outcome_total[k * O], O) &&
           ns_all_finite(&r->outcome_total_disc[k * O], O);
}

/* Why x is not finite, for messages: overflow is the likely cause;
 * overflow is named with what exceeds the largest double. */
static const char *
nonfinite_why(double x, const char *overflow)
{
    return isnan(x) ? "it is undefined: infinity minus infinity or 0 times "
                      "infinity"
                    : overflow;
}

/* The first time point at which a running sum of n values (stride apart)
 * is not finite, or n if none. */
static size_t
first_nonfinite_sum(const double *x, size_t n, size_t stride)
{
    double sum = 0.0;
    for (size_t t = 0; t < n; t++) {
        sum += x[t * stride];
        if (!isfinite(sum))
            return t;
    }
    return n;
}

/* Names where strategy k's results first stop being finite numbers: a
 * count in the trace, a stream's value at a time point, a stream's total
 * as it adds up, or an outcome's total of its streams. Earliest time
 * point first, then states before streams. */
static void
report_nonfinite(struct run *run, const struct ns_results *r)
{
    const struct ns_model *m = run->m;
    size_t k = run->k, np = r->n_points, S = r->n_states, J = r->n_streams;
    const char *file = run->p->exprs[run->p->value_def[0]].at.file;
    const char *strategy = m->strategies[k].name;
    for (size_t t = 0; t < np; t++) {
        for (size_t s = 0; s < S; s++) {
            double x = ns_results_trace(r, k, t, s);
            if (isfinite(x))
                continue;
            ns_diags_addf(run->diags, file, 0,
                          "state %s, strategy %s, time point %zu: the count "
                          "is not a finite number (%s)",
                          m->states[s].name, strategy, t,
                          nonfinite_why(x, "it overflows: the count exceeds "
                                           "the largest double"));
            return;
        }
        for (size_t j = 0; j < J; j++)
            for (int disc = 0; disc < 2; disc++) {
                double x = ns_results_value(r, k, t, j, disc);
                if (isfinite(x))
                    continue;
                ns_diags_addf(run->diags, file, 0,
                              "stream %s, strategy %s, time point %zu: the "
                              "%svalue is not a finite number (%s)",
                              m->streams[j].name, strategy, t,
                              disc ? "discounted " : "",
                              nonfinite_why(x, "it overflows: the count "
                                               "times the value exceeds the "
                                               "largest double"));
                return;
            }
    }
    /* Every value is finite: a total overflows as it adds up. */
    size_t best_t = np, best_j = 0;
    int best_disc = 0;
    for (size_t j = 0; j < J; j++)
        for (int disc = 0; disc < 2; disc++) {
            const double *v = disc ? r->values_disc : r->values;
            size_t t = first_nonfinite_sum(&v[k * np * J + j], np, J);
            if (t < best_t) {
                best_t = t;
                best_j = j;
                best_disc = disc;
            }
        }
    if (best_t < np) {
        ns_diags_addf(run->diags, file, 0,
                      "stream %s, strategy %s, time point %zu: the %stotal is "
                      "not a finite number (it overflows: the total up to "
                      "this point exceeds the largest double)",
                      m->streams[best_j].name, strategy, best_t,
                      best_disc ? "discounted " : "");
        return;
    }
    size_t O = m->n_outcomes, o = 0;
    while (o + 1 < O && isfinite(r->outcome_total[k * O + o]) &&
           isfinite(r->outcome_total_disc[k * O + o]))
        o++;
    ns_diags_addf(run->diags, file, 0,
                  "outcome %s, strategy %s: the total of its streams is not "
                  "a finite number (it overflows: it exceeds the largest "
                  "double)",
                  m->outcomes[o].name, strategy);
}

/* Fills ws->timed for the strategy being run (see struct ns_workspace). */
static void
list_timed(struct run *run)
{
    const struct ns_model_priv *p = run->p;
    size_t P = p->n_params, base = run->d * P;
    struct ns_workspace *ws = run->ws;
    ws->n_timed = 0;
    for (size_t i = 0; i < P; i++) {
        size_t q = p->order[base + i];
        if (overridden(run, q) || !(p->param_dep[base + q] & NS_DEP_TIME))
            continue;
        ws->timed[ws->n_timed++] = q;
    }
}

/* Sets the run going: results cleared, caches emptied, parameters and
 * the cohort at the start. */
static enum ns_status
start_run(struct run *run)
{
    size_t J = run->m->n_streams, L = run->L;
    for (size_t l = 0; l < L; l++) {
        struct ns_results *r = run->r[l];
        memset(&r->values[run->k * r->n_points * J], 0,
               r->n_points * J * sizeof *r->values);
    }
    /* Constant expressions are constant for one strategy and one set of
     * parameter values only. */
    run->ws->run_start = ++run->ws->clock;
    /* A failed run may have left sums behind. */
    memset(run->ws->tv_sum, 0, J * L * sizeof *run->ws->tv_sum);
    memset(run->ws->sv_kind, SV_DYNAMIC,
           J * run->m->n_states * sizeof *run->ws->sv_kind);
    run->ws->sv_listed = false;
    list_timed(run);
    classify_rows(run);
    run->when = "";
    run->when_n = 0;
    set_time(run, 0, 0);
    if (eval_params(run, 0, NS_NEED_INIT) != NS_OK ||
        start_cohort(run) != NS_OK)
        return NS_EMODEL;
    /* Values at the start; those that vary over time, or are not
     * computed at the start, have no single value to show. */
    size_t P = run->p->n_params;
    for (size_t l = 0; l < L; l++)
        for (size_t q = 0; q < P; q++)
            run->r[l]->param_values[run->k * P + q] =
                run->p->param_dep[run->d * P + q] == 0
                    ? run->ws->vars[(NS_VAR_COUNT + q) * L + l]
                    : NS_NAN;
    return NS_OK;
}

/* Counts the points and makes the cycles left once the run is settled:
 * nothing is evaluated or checked any more. */
/* The settled cycles from point 'from' in native code (see
 * ns_jit_settled_fn), which also discounts and totals every point from
 * 'from' on; the points before it are discounted and totalled here, as
 * discount_and_total would. */
static void
run_settled_native(struct run *run, ns_jit_settled_fn *kernel, size_t from)
{
    struct ns_workspace *ws = run->ws;
    const struct ns_model *m = run->m;
    size_t J = m->n_streams, L = run->L, T = m->n_cycles, np = T + 1;
    size_t k = run->k;
    const double *scale = run->opt->stream_scale ? run->opt->stream_scale
                                                 : ws->ones;
    double *val[NS_JIT_LANES], *disc[NS_JIT_LANES];
    for (size_t l = 0; l < L; l++) {
        val[l] = run->r[l]->values + k * np * J;
        disc[l] = run->r[l]->values_disc + k * np * J;
    }
    for (size_t j = 0; j < J; j++) {
        double *f = &ws->stream_disc[j * np];
        for (size_t t = 0; t < np; t++)
            f[t] = run->opt->zero_discount
                       ? 1.0
                       : ws->discount[m->streams[j].outcome * np + t];
        for (size_t l = 0; l < L; l++) {
            double total = 0.0, total_disc = 0.0;
            for (size_t t = 0; t < from; t++) {
                size_t i = t * J + j;
                disc[l][i] = val[l][i] * f[t];
                total += val[l][i];
                total_disc += disc[l][i];
            }
            ws->totals[2 * j * L + l] = total;
            ws->totals[(2 * j + 1) * L + l] = total_disc;
        }
    }
    kernel(ws->occ, ws->mv_prob, ws->sv, m->weights, scale, ws->stream_disc,
           val, disc, ws->totals, (long)from, (long)T);
    for (size_t l = 0; l < L; l++) {
        struct ns_results *r = run->r[l];
        for (size_t j = 0; j < J; j++) {
            r->total[k * J + j] = ws->totals[2 * j * L + l];
            r->total_disc[k * J + j] = ws->totals[(2 * j + 1) * L + l];
        }
        outcome_totals(run, r);
    }
    run->totalled = true;
}

/* Whether every lane's cohort is finite and far from overflowing: the
 * native settled code adds the terms of values that are 0 in every lane,
 * which the interpreter leaves out, and 0 times an infinite count would
 * be NaN where the interpreter has none. Rows sum to 1, so a cohort
 * bounded so stays bounded. */
static bool
cohort_bounded(const struct run *run)
{
    const struct ns_workspace *ws = run->ws;
    size_t L = run->L;
    for (size_t l = 0; l < L; l++) {
        double total = 0.0;
        for (size_t x = 0; x < run->p->n_expanded; x++)
            total += fabs(ws->occ[x * L + l]);
        if (!(total <= DBL_MAX / 4))
            return false;
    }
    return true;
}

static enum ns_status
run_settled(struct run *run, size_t from)
{
    list_moves(run);
    /* Native code skips the trace: only for runs that leave it alone. */
    const struct ns_jit *jit = run->p->jit;
    if (jit && jit->settled[run->d] && run->L == NS_JIT_LANES &&
        run->ws->no_trace && cohort_bounded(run)) {
        run_settled_native(run, jit->settled[run->d], from);
        return NS_OK;
    }
    for (size_t u = from;; u++) {
        if (count_point(run, u) != NS_OK)
            return NS_EMODEL;
        if (u == run->m->n_cycles)
            return NS_OK;
        settled_step(run);
    }
}

/* Counts cycle by cycle (discount_timing = cycle): the values of cycle c
 * are evaluated at its time, like its transitions, and counted on the
 * occupancy before and after it with the cycle's shares. */
static enum ns_status
run_cycles(struct run *run)
{
    const double *share = run->m->cycle_share;
    record_trace(run, 0);
    for (size_t c = 1; c <= run->m->n_cycles; c++) {
        run->when = "cycle";
        run->when_n = c;
        set_time(run, c, c - 1);
        if (eval_params(run, NS_DEP_TIME, NS_NEED_TRANS | NS_NEED_VALUE) !=
                NS_OK ||
            add_state_values(run, c, share[2 * c]) != NS_OK)
            return NS_EMODEL;
        if (c == 1)
            list_state_values(run);
        if (step(run, c - 1) != NS_OK ||
            add_state_values(run, c, share[2 * c + 1]) != NS_OK)
            return NS_EMODEL;
        record_trace(run, c);
    }
    return NS_OK;
}

/* Counts time point by time point. */
static enum ns_status
run_points(struct run *run)
{
    size_t T = run->m->n_cycles;
    for (size_t t = 0;; t++) {
        run->when = "time point";
        run->when_n = t;
        set_time(run, t, t);
        if (eval_params(run, NS_DEP_TIME, NS_NEED_VALUE) != NS_OK)
            return NS_EMODEL;
        if (count_point(run, t) != NS_OK)
            return NS_EMODEL;
        if (t == 0)
            list_state_values(run);
        if (t == T)
            break;
        run->when = "cycle";
        run->when_n = t + 1;
        set_time(run, t + 1, t);
        if (eval_params(run, NS_DEP_TIME, NS_NEED_TRANS) != NS_OK)
            return NS_EMODEL;
        if (step(run, t) != NS_OK)
            return NS_EMODEL;
        if (settled(run))
            return run_settled(run, t + 1);
    }
    return NS_OK;
}

static enum ns_status
run_strategy(struct run *run)
{
    if (start_run(run) != NS_OK)
        return NS_EMODEL;
    if ((run->m->discount_timing == NS_DISCOUNT_CYCLES ? run_cycles(run)
                                                       : run_points(run)) !=
        NS_OK)
        return NS_EMODEL;
    if (!run->totalled)
        discount_and_total(run);
    for (size_t l = 0; l < run->L; l++) {
        /* Sums of finite values can still overflow, and an Inf or NaN
         * would reach every output with nothing said. */
        if (!all_finite(run->r[l], run->k, !run->ws->no_trace)) {
            if (run->diags)
                report_nonfinite(run, run->r[l]);
            return NS_EMODEL;
        }
    }
    return NS_OK;
}

enum ns_status
ns_model_run(const struct ns_model *model, struct ns_workspace *ws,
             struct ns_results *results, struct ns_diags *diags)
{
    return ns_model_run_opt(model, ws, results, diags, NULL);
}

/* Runs every strategy; diags NULL: stop at the first failure. The
 * asserts are the callers' side of the bargain: a compiled model, a
 * workspace with a lane count the evaluator supports, and results of this
 * model's shape for every lane (the loops below index them unchecked). */
static enum ns_status
run_all(const struct ns_model *model, struct ns_workspace *ws,
        struct ns_results *const *results, const double *const *override,
        struct ns_diags *diags, const struct ns_run_options *opt)
{
    assert(model && model->priv && ws && results && override);
    assert(ws->L >= 1 && ws->L <= NS_EXPR_MAX_LANES);
    for (size_t l = 0; l < ws->L; l++)
        assert(results[l] && results[l]->n_points == model->n_cycles + 1 &&
               results[l]->n_strategies == model->n_strategies &&
               results[l]->n_states == model->n_states &&
               results[l]->n_streams == model->n_streams);
    enum ns_status status = NS_OK;
    for (size_t k = 0; k < model->n_strategies; k++) {
        size_t d = opt->definition_of ? opt->definition_of[k] : k;
        assert(d < model->n_strategies);
        struct run run = {model, model->priv, ws, ws->L, results, override,
                          diags, k, d, opt, "", 0, false};
        if (run_strategy(&run) != NS_OK) {
            status = NS_EMODEL;
            if (!diags)
                break;
        }
    }
    return status;
}

enum ns_status
ns_model_run_opt(const struct ns_model *model, struct ns_workspace *ws,
                 struct ns_results *results, struct ns_diags *diags,
                 const struct ns_run_options *opt)
{
    static const struct ns_run_options plain = {0};
    if (!opt)
        opt = &plain;
    if (ws->L != 1)
        return NS_EPARAM;
    struct ns_results *const r[] = {results};
    const double *const override[] = {opt->param_override};
    return run_all(model, ws, r, override, diags, opt);
}

enum ns_status
ns_model_run_lanes(const struct ns_model *model, struct ns_workspace *ws,
                   struct ns_results *const *results,
                   const double *const *param_override)
{
    static const struct ns_run_options plain = {0};
    if (ws->L < 2)
        return NS_EPARAM;
    /* Which parameters are overridden is decided once for all lanes (as
     * lane 0's): lanes that disagree could not be run together. */
    for (size_t q = 0; q < model->n_params; q++) {
        bool first = param_override[0] && !isnan(param_override[0][q]);
        for (size_t l = 1; l < ws->L; l++)
            if ((param_override[l] && !isnan(param_override[l][q])) != first)
                return NS_EMODEL;
    }
    return run_all(model, ws, results, param_override, NULL, &plain);
}

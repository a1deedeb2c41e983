/* netsave tests: the Markov cohort engine (model/engine.h), end to end from
 * INI text through params/, compilation and ns_model_run().
 *
 * Every expected number is computed here independently of the engine:
 * closed forms (geometric series for a two-state model with a constant
 * probability), or the cohort moved by explicit matrix multiplication with
 * plain loops over hand-written transition matrices (three states, and a
 * hand-built tunnel model for time in state). The timing conventions
 * checked are those stated in model/engine.c and model/results.h:
 * - the transition of cycle c (point c-1 to c) sees cycle = c and
 *   time = (c - 1) * L, age = start_age + time;
 * - a value counted at point t sees cycle = t and time = t * L;
 * - a transition value of cycle c is booked at point c in full (no
 *   counting weight) with the discount factor of point c;
 * - discount factor of point t is (1 + r)^-(t * L) from the start, or
 *   (1 + r)^-(max(t - 1, 0) * L) from the end of the first cycle.
 * Inputs are irregular numbers (p = 0.0731, cost 1234.5, rate 0.0347) so
 * that a wrong convention cannot give the right answer by luck.
 *
 * Diagnostics are compared as whole strings "file:line: message"; line
 * numbers are found by searching the INI text for the defining line, so
 * the texts can be edited without renumbering. Refusals (run-time faults,
 * compile errors) are in test_engine_checks.c. */
#include "tests/engine_fixture.h"

/* ---- independent arithmetic ---- */

/* Life-table (trapezoid) weight of point t of 0..T. */
static double
w_life_table(size_t t, size_t T)
{
    return (t == 0 || t == T) ? 0.5 : 1.0;
}

/* Moves a cohort through a constant matrix P (S x S, row-major: P[i*S+j]
 * is the probability from i to j) for T cycles: occ[t*S + s], t = 0..T. */
static void
markov_trace(size_t S, const double *P, const double *init, size_t T,
             double *occ)
{
    for (size_t s = 0; s < S; s++)
        occ[s] = init[s];
    for (size_t t = 1; t <= T; t++) {
        for (size_t j = 0; j < S; j++) {
            double sum = 0.0;
            for (size_t i = 0; i < S; i++)
                sum += occ[(t - 1) * S + i] * P[i * S + j];
            occ[t * S + j] = sum;
        }
    }
}

/* ---- a two-state model: alive -> dead with constant p ---- */

#define P_DIE 0.0731
#define C_ALIVE 1234.5
#define U_ALIVE 0.8731

/* Arguments: cycle length, n_cycles, extra [model] lines, discount rate
 * of costs, of qalys, initial value of alive. */
#define TWO_STATE_FMT                                                        \
    "[model]\n"                                                              \
    "name = two states\n"                                                    \
    "cycle_length = %s\n"                                                    \
    "n_cycles = %d\n"                                                        \
    "%s"                                                                     \
    "[discount]\n"                                                           \
    "costs = %s\n"                                                           \
    "qalys = %s\n"                                                           \
    "[states]\n"                                                             \
    "alive = Alive\n"                                                        \
    "dead = Dead\n"                                                          \
    "[strategies]\n"                                                         \
    "base = Base case\n"                                                     \
    "[initial]\n"                                                            \
    "alive = %s\n"                                                           \
    "[transitions]\n"                                                        \
    "alive -> dead = 0.0731\n"                                               \
    "alive -> alive = C\n"                                                   \
    "dead -> dead = 1\n"                                                     \
    "[stream.cost]\n"                                                        \
    "outcome = costs\n"                                                      \
    "alive = 1234.5\n"                                                       \
    "dead = 0\n"                                                             \
    "[stream.qaly]\n"                                                        \
    "outcome = qalys\n"                                                      \
    "alive = 0.8731\n"                                                       \
    "dead = 0\n"

static const char *
two_state(const char *cycle_length, int n_cycles, const char *model_extra,
          const char *r_costs, const char *r_qalys, const char *initial)
{
    int n = snprintf(text_buf, sizeof text_buf, TWO_STATE_FMT, cycle_length,
                     n_cycles, model_extra, r_costs, r_qalys, initial);
    assert_true(n > 0 && (size_t)n < sizeof text_buf);
    return text_buf;
}

/* Checks trace and undiscounted per-point values of the two-state model
 * against n0 (1-p)^t with the given counting weights. */
static void
check_two_state_points(const struct fx *f, const double *w, size_t T,
                       double n0)
{
    size_t alive = state_ix(f, "alive"), dead = state_ix(f, "dead");
    size_t cost = stream_ix(f, "cost"), qaly = stream_ix(f, "qaly");
    assert_int_equal(f->r->n_points, T + 1);
    for (size_t t = 0; t <= T; t++) {
        double a_t = n0 * pow(1.0 - P_DIE, (double)t);
        assert_close(ns_results_trace(f->r, 0, t, alive), a_t, TOL);
        assert_close(ns_results_trace(f->r, 0, t, dead), n0 - a_t, TOL);
        assert_close(ns_results_value(f->r, 0, t, cost, false),
                     w[t] * C_ALIVE * a_t, TOL);
        assert_close(ns_results_value(f->r, 0, t, qaly, false),
                     w[t] * U_ALIVE * a_t, TOL);
        assert_close(f->model->weights[t], w[t], 1e-15);
    }
}

/* counting = start: points 0..T-1 count, total = c (1 - a^T) / (1 - a). */
static void
test_counting_start(void **state)
{
    struct fx *f = *state;
    enum { T = 10 };
    fx_run_ok(f, two_state("1", T, "counting = start\n", "0", "0", "1"),
              NULL);
    double a = 1.0 - P_DIE, w[T + 1];
    for (size_t t = 0; t <= T; t++)
        w[t] = t < T ? 1.0 : 0.0;
    check_two_state_points(f, w, T, 1.0);
    double expect = C_ALIVE * (1.0 - pow(a, T)) / (1.0 - a);
    assert_close(ns_results_total(f->r, 0, stream_ix(f, "cost"), false),
                 expect, TOL);
    /* Discount rates are 0: discounted equals undiscounted. */
    assert_close(ns_results_total(f->r, 0, stream_ix(f, "cost"), true),
                 expect, TOL);
}

/* counting = end: points 1..T, total = c a (1 - a^T) / (1 - a). */
static void
test_counting_end(void **state)
{
    struct fx *f = *state;
    enum { T = 10 };
    fx_run_ok(f, two_state("1", T, "counting = end\n", "0", "0", "1"), NULL);
    double a = 1.0 - P_DIE, w[T + 1];
    for (size_t t = 0; t <= T; t++)
        w[t] = t > 0 ? 1.0 : 0.0;
    check_two_state_points(f, w, T, 1.0);
    assert_close(ns_results_total(f->r, 0, stream_ix(f, "cost"), false),
                 C_ALIVE * a * (1.0 - pow(a, T)) / (1.0 - a), TOL);
    assert_close(ns_results_total(f->r, 0, stream_ix(f, "qaly"), false),
                 U_ALIVE * a * (1.0 - pow(a, T)) / (1.0 - a), TOL);
}

/* counting = life_table: 1/2 at 0 and T; total = c [(1 - a^(T+1)) /
 * (1 - a) - 1/2 - a^T / 2]. It is also the default. */
static void
test_counting_life_table(void **state)
{
    struct fx *f = *state;
    enum { T = 10 };
    fx_run_ok(f, two_state("1", T, "", "0", "0", "1"), NULL);
    assert_int_equal(f->model->counting, NS_COUNT_LIFE_TABLE);
    double a = 1.0 - P_DIE, w[T + 1];
    for (size_t t = 0; t <= T; t++)
        w[t] = w_life_table(t, T);
    check_two_state_points(f, w, T, 1.0);
    double series = (1.0 - pow(a, T + 1)) / (1.0 - a) - 0.5 - 0.5 * pow(a, T);
    assert_close(ns_results_total(f->r, 0, stream_ix(f, "cost"), false),
                 C_ALIVE * series, TOL);
}

/* counting = simpson, T = 10: weights 1/3, 4/3, 2/3, ..., 4/3, 1/3.
 * total = c [ (1 + a^T)/3 + (4/3) a (1 - a^T) / (1 - a^2)
 *                         + (2/3) a^2 (1 - a^(T-2)) / (1 - a^2) ]
 * (odd points 1, 3, .., T-1 and even inner points 2, 4, .., T-2). */
static void
test_counting_simpson(void **state)
{
    struct fx *f = *state;
    enum { T = 10 };
    fx_run_ok(f, two_state("1", T, "counting = simpson\n", "0", "0", "1"),
              NULL);
    double a = 1.0 - P_DIE, w[T + 1];
    for (size_t t = 0; t <= T; t++)
        w[t] = (t == 0 || t == T) ? 1.0 / 3.0
                                  : (t % 2 ? 4.0 / 3.0 : 2.0 / 3.0);
    check_two_state_points(f, w, T, 1.0);
    double a2 = a * a;
    double series = (1.0 + pow(a, T)) / 3.0 +
                    4.0 / 3.0 * a * (1.0 - pow(a, T)) / (1.0 - a2) +
                    2.0 / 3.0 * a2 * (1.0 - pow(a, T - 2)) / (1.0 - a2);
    assert_close(ns_results_total(f->r, 0, stream_ix(f, "cost"), false),
                 C_ALIVE * series, TOL);
}

/* Simpson's rule with an odd number of cycles is refused when compiling. */
static void
test_counting_simpson_odd_rejected(void **state)
{
    struct fx *f = *state;
    const char *text = two_state("1", 9, "counting = simpson\n", "0", "0",
                                 "1");
    assert_int_equal(fx_compile(f, text, NULL), NS_EPARAM);
    assert_null(f->model);
    assert_int_equal(f->diags.count, 1);
    char expect[256];
    snprintf(expect, sizeof expect,
             "test.ini:%d: Simpson's 1/3 rule needs an even number of "
             "cycles, got 9",
             line_of(text, "counting = simpson"));
    assert_string_equal(diag_text(f, 0), expect);
}

/* counting = weights with an explicit list of T + 1 weights. */
static void
test_counting_weights(void **state)
{
    struct fx *f = *state;
    enum { T = 6 };
    static const double w[T + 1] = {0.137, 0.912, 1.043, 0.988,
                                    1.201, 0.764, 0.329};
    fx_run_ok(f,
              two_state("1", T,
                        "counting = weights\n"
                        "weights = 0.137, 0.912, 1.043, 0.988, 1.201, "
                        "0.764, 0.329\n",
                        "0", "0", "1"),
              NULL);
    check_two_state_points(f, w, T, 1.0);
    /* By hand, a = 0.9269: sum w_t a^t =
     * 0.137 + 0.912 a + 1.043 a^2 + 0.988 a^3 + 1.201 a^4 + 0.764 a^5
     * + 0.329 a^6, written out term by term (Horner form). */
    double a = 1.0 - P_DIE;
    double series =
        0.137 +
        a * (0.912 +
             a * (1.043 + a * (0.988 + a * (1.201 + a * (0.764 + a * 0.329)))));
    assert_close(ns_results_total(f->r, 0, stream_ix(f, "cost"), false),
                 C_ALIVE * series, TOL);
    assert_close(ns_results_total(f->r, 0, stream_ix(f, "qaly"), false),
                 U_ALIVE * series, TOL);
}

/* count_time_zero = no: the weight of point 0 becomes 0, whatever the
 * convention; with life-table counting the total loses c / 2. */
static void
test_count_time_zero_no(void **state)
{
    struct fx *f = *state;
    enum { T = 10 };
    fx_run_ok(f,
              two_state("1", T, "counting = life_table\ncount_time_zero = no\n",
                        "0", "0", "1"),
              NULL);
    double a = 1.0 - P_DIE, w[T + 1];
    for (size_t t = 0; t <= T; t++)
        w[t] = t == 0 ? 0.0 : w_life_table(t, T);
    check_two_state_points(f, w, T, 1.0);
    double series = (1.0 - pow(a, T + 1)) / (1.0 - a) - 1.0 - 0.5 * pow(a, T);
    assert_close(ns_results_total(f->r, 0, stream_ix(f, "cost"), false),
                 C_ALIVE * series, TOL);
    /* The trace still starts at 1: only the counting changes. */
    assert_close(ns_results_trace(f->r, 0, 0, state_ix(f, "alive")), 1.0,
                 0.0);
}

/* Discounting from the start, quarterly cycles, two outcomes with their
 * own rates. Point t is t/4 years: factor (1 + r)^(-t/4). With life-table
 * weights the discounted total is c [S(q) - 1/2 - q^T / 2], where
 * q = a (1 + r)^(-1/4) and S(q) = (1 - q^(T+1)) / (1 - q). */
static void
test_discount_from_start(void **state)
{
    struct fx *f = *state;
    enum { T = 12 };
    const double L = 0.25, rc = 0.0347, rq = 0.0153;
    fx_run_ok(f,
              two_state("0.25", T, "discount_origin = start\n", "0.0347",
                        "0.0153", "1"),
              NULL);
    size_t cost = stream_ix(f, "cost"), qaly = stream_ix(f, "qaly");
    size_t oc = outcome_ix(f, "costs"), oq = outcome_ix(f, "qalys");
    double a = 1.0 - P_DIE;
    for (size_t t = 0; t <= T; t++) {
        double dc = pow(1.0 + rc, -(double)t * L);
        double dq = pow(1.0 + rq, -(double)t * L);
        double occ = pow(a, (double)t), w = w_life_table(t, T);
        assert_close(ns_model_discount_factor(f->model, oc, t), dc, TOL);
        assert_close(ns_model_discount_factor(f->model, oq, t), dq, TOL);
        assert_close(ns_results_value(f->r, 0, t, cost, true),
                     w * C_ALIVE * occ * dc, TOL);
        assert_close(ns_results_value(f->r, 0, t, qaly, true),
                     w * U_ALIVE * occ * dq, TOL);
    }
    double qc = a * pow(1.0 + rc, -L), qq = a * pow(1.0 + rq, -L);
    double sc = (1.0 - pow(qc, T + 1)) / (1.0 - qc) - 0.5 - 0.5 * pow(qc, T);
    double sq = (1.0 - pow(qq, T + 1)) / (1.0 - qq) - 0.5 - 0.5 * pow(qq, T);
    assert_close(ns_results_total(f->r, 0, cost, true), C_ALIVE * sc, TOL);
    assert_close(ns_results_total(f->r, 0, qaly, true), U_ALIVE * sq, TOL);
    assert_close(ns_results_outcome(f->r, 0, oc, true), C_ALIVE * sc, TOL);
    assert_close(ns_results_outcome(f->r, 0, oq, true), U_ALIVE * sq, TOL);
    /* Undiscounted totals are untouched by the rates. */
    double s0 = (1.0 - pow(a, T + 1)) / (1.0 - a) - 0.5 - 0.5 * pow(a, T);
    assert_close(ns_results_outcome(f->r, 0, oc, false), C_ALIVE * s0, TOL);
}

/* Discounting from the end of the first cycle: factor of point t is
 * (1 + r)^(-max(t - 1, 0) / 4), i.e. (1 + r)^(1/4) (1 + r)^(-t/4) for
 * t >= 1 and 1 at t = 0. Life-table total:
 * c [1/2 + (1 + r)^(1/4) (S(q) - 1 - q^T / 2)]. */
static void
test_discount_from_end_of_first_cycle(void **state)
{
    struct fx *f = *state;
    enum { T = 12 };
    const double L = 0.25, rc = 0.0347, rq = 0.0153;
    fx_run_ok(f,
              two_state("0.25", T, "discount_origin = end_of_first_cycle\n",
                        "0.0347", "0.0153", "1"),
              NULL);
    size_t cost = stream_ix(f, "cost"), qaly = stream_ix(f, "qaly");
    size_t oc = outcome_ix(f, "costs"), oq = outcome_ix(f, "qalys");
    double a = 1.0 - P_DIE;
    for (size_t t = 0; t <= T; t++) {
        double years = t > 0 ? (double)(t - 1) * L : 0.0;
        double dc = pow(1.0 + rc, -years), dq = pow(1.0 + rq, -years);
        double occ = pow(a, (double)t), w = w_life_table(t, T);
        assert_close(ns_model_discount_factor(f->model, oc, t), dc, TOL);
        assert_close(ns_model_discount_factor(f->model, oq, t), dq, TOL);
        assert_close(ns_results_value(f->r, 0, t, cost, true),
                     w * C_ALIVE * occ * dc, TOL);
        assert_close(ns_results_value(f->r, 0, t, qaly, true),
                     w * U_ALIVE * occ * dq, TOL);
    }
    /* Points 0 and 1 are both undiscounted. */
    assert_close(ns_model_discount_factor(f->model, oc, 1), 1.0, 0.0);
    double qc = a * pow(1.0 + rc, -L), qq = a * pow(1.0 + rq, -L);
    double sc = 0.5 + pow(1.0 + rc, L) *
                          ((1.0 - pow(qc, T + 1)) / (1.0 - qc) - 1.0 -
                           0.5 * pow(qc, T));
    double sq = 0.5 + pow(1.0 + rq, L) *
                          ((1.0 - pow(qq, T + 1)) / (1.0 - qq) - 1.0 -
                           0.5 * pow(qq, T));
    assert_close(ns_results_total(f->r, 0, cost, true), C_ALIVE * sc, TOL);
    assert_close(ns_results_total(f->r, 0, qaly, true), U_ALIVE * sq, TOL);
    assert_close(ns_results_outcome(f->r, 0, oc, true), C_ALIVE * sc, TOL);
    assert_close(ns_results_outcome(f->r, 0, oq, true), U_ALIVE * sq, TOL);
}

/* An initial count of 1000 people (not a fraction) scales the trace and
 * every value by 1000; nothing is normalised. */
static void
test_initial_counts_scale(void **state)
{
    struct fx *f = *state;
    enum { T = 10 };
    const double n0 = 1000.0, rc = 0.0347;
    fx_run_ok(f, two_state("1", T, "counting = end\n", "0.0347", "0", "1000"),
              NULL);
    double a = 1.0 - P_DIE, w[T + 1];
    for (size_t t = 0; t <= T; t++)
        w[t] = t > 0 ? 1.0 : 0.0;
    check_two_state_points(f, w, T, n0);
    /* End counting, yearly, from the start: q = a / (1 + r), total =
     * n0 c q (1 - q^T) / (1 - q). */
    double q = a / (1.0 + rc);
    assert_close(ns_results_outcome(f->r, 0, outcome_ix(f, "costs"), true),
                 n0 * C_ALIVE * q * (1.0 - pow(q, T)) / (1.0 - q), TOL);
    assert_close(ns_results_outcome(f->r, 0, outcome_ix(f, "qalys"), true),
                 n0 * U_ALIVE * a * (1.0 - pow(a, T)) / (1.0 - a), TOL);
}

/* ---- a three-state model: healthy -> sick -> dead, no recovery ---- */

enum { H = 0, SK = 1, D = 2, NS3 = 3 };

#define P_HS 0.0731
#define P_HD 0.0214
#define P_SD 0.1537
#define C_H 1234.5
#define C_S 5678.9
#define U_H 0.873
#define U_S 0.541
#define R_COSTS 0.0347
#define R_QALYS 0.0153
#define V_DEATH 4321.7

/* Strategies: soc; trt (risk ratio 0.6173 on healthy -> sick, drug cost
 * 2345.6, starts 95.63% healthy and 4.37% sick); good (same risk ratio,
 * drug saves 311.7); bad (risk ratio 1.2345, drug 345.6); same (a copy
 * of soc). Comparator: soc. */
static const char three_state_text[] =
    "[model]\n"
    "name = three states\n"
    "cycle_length = 1\n"
    "n_cycles = 8\n"
    "counting = life_table\n"
    "comparator = soc\n"
    "cost_outcome = costs\n"
    "health_outcome = qalys\n"
    "[discount]\n"
    "costs = 0.0347\n"
    "qalys = 0.0153\n"
    "[states]\n"
    "healthy = Healthy\n"
    "sick = Sick\n"
    "dead = Dead\n"
    "[strategies]\n"
    "soc = Standard care\n"
    "trt = Treatment\n"
    "good = Cheap and effective\n"
    "bad = Costly and harmful\n"
    "same = Copy of standard care\n"
    "[initial]\n"
    "healthy = 1\n"
    "[initial.trt]\n"
    "healthy = 0.9563\n"
    "sick = 0.0437\n"
    "[parameters]\n"
    "rr = 1\n"
    "drug = 0\n"
    "p_hs = 0.0731 * rr\n"
    "[parameters.trt]\n"
    "rr = 0.6173\n"
    "drug = 2345.6\n"
    "[parameters.good]\n"
    "rr = 0.6173\n"
    "drug = -311.7\n"
    "[parameters.bad]\n"
    "rr = 1.2345\n"
    "drug = 345.6\n"
    "[transitions]\n"
    "healthy -> sick = p_hs\n"
    "healthy -> dead = 0.0214\n"
    "healthy -> healthy = C\n"
    "sick -> dead = 0.1537\n"
    "sick -> sick = C\n"
    "dead -> dead = 1\n"
    "[stream.cost]\n"
    "outcome = costs\n"
    "healthy = 1234.5 + drug\n"
    "sick = 5678.9 + drug\n"
    "dead = 0\n"
    "[stream.death_cost]\n"
    "outcome = costs\n"
    "default = 0\n"
    "sick -> dead = 4321.7\n"
    "[stream.qaly]\n"
    "outcome = qalys\n"
    "healthy = 0.873\n"
    "sick = 0.541\n"
    "dead = 0\n";

enum { T3 = 8, K3 = 5 };

struct three_state_expect {
    double occ[T3 + 1][NS3];
    double cost_disc, death_disc, qaly_disc; /* discounted totals */
    double costs_disc;                       /* cost + death_cost */
};

/* The three-state model computed by hand for one strategy. */
static void
three_state_by_hand(double rr, double drug, double init_h, double init_s,
                    struct three_state_expect *e)
{
    double phs = P_HS * rr;
    const double P[NS3 * NS3] = {
        1.0 - phs - P_HD, phs, P_HD, /* from healthy */
        0.0, 1.0 - P_SD, P_SD,       /* from sick */
        0.0, 0.0, 1.0,               /* from dead */
    };
    const double init[NS3] = {init_h, init_s, 0.0};
    markov_trace(NS3, P, init, T3, &e->occ[0][0]);
    e->cost_disc = e->death_disc = e->qaly_disc = 0.0;
    for (size_t t = 0; t <= T3; t++) {
        double w = w_life_table(t, T3);
        double dc = pow(1.0 + R_COSTS, -(double)t);
        double dq = pow(1.0 + R_QALYS, -(double)t);
        e->cost_disc +=
            w * dc * (e->occ[t][H] * (C_H + drug) + e->occ[t][SK] * (C_S + drug));
        e->qaly_disc += w * dq * (e->occ[t][H] * U_H + e->occ[t][SK] * U_S);
        /* Deaths from sick in cycle t, booked at point t in full. */
        if (t > 0)
            e->death_disc += dc * e->occ[t - 1][SK] * P_SD * V_DEATH;
    }
    e->costs_disc = e->cost_disc + e->death_disc;
}

static const struct {
    const char *name;
    double rr, drug, init_h, init_s;
} three_state_arms[K3] = {
    {"soc", 1.0, 0.0, 1.0, 0.0},
    {"trt", 0.6173, 2345.6, 0.9563, 0.0437},
    {"good", 0.6173, -311.7, 1.0, 0.0},
    {"bad", 1.2345, 345.6, 1.0, 0.0},
    {"same", 1.0, 0.0, 1.0, 0.0},
};

/* The trace of every strategy equals the hand-computed matrix product,
 * with [parameters.STRATEGY] and [initial.STRATEGY] applied per strategy;
 * totals of every stream and outcome agree. */
static void
test_three_state_overrides(void **state)
{
    struct fx *f = *state;
    fx_run_ok(f, three_state_text, NULL);
    const char *names[NS3] = {"healthy", "sick", "dead"};
    size_t cost = stream_ix(f, "cost"), qaly = stream_ix(f, "qaly");
    size_t death = stream_ix(f, "death_cost");
    for (size_t i = 0; i < K3; i++) {
        struct three_state_expect e;
        three_state_by_hand(three_state_arms[i].rr, three_state_arms[i].drug,
                            three_state_arms[i].init_h,
                            three_state_arms[i].init_s, &e);
        size_t k = strategy_ix(f, three_state_arms[i].name);
        for (size_t t = 0; t <= T3; t++)
            for (size_t s = 0; s < NS3; s++)
                assert_close(ns_results_trace(f->r, k, t, state_ix(f, names[s])),
                             e.occ[t][s], TOL);
        assert_close(ns_results_total(f->r, k, cost, true), e.cost_disc, TOL);
        assert_close(ns_results_total(f->r, k, qaly, true), e.qaly_disc, TOL);
        assert_close(ns_results_total(f->r, k, death, true), e.death_disc,
                     TOL);
        assert_close(ns_results_outcome(f->r, k, outcome_ix(f, "costs"), true),
                     e.costs_disc, TOL);
        assert_close(ns_results_outcome(f->r, k, outcome_ix(f, "qalys"), true),
                     e.qaly_disc, TOL);
    }
}

/* A value on sick -> dead is booked at point c for the deaths of cycle c:
 * occupancy(c - 1, sick) * p_sd * value, with weight 1 even under
 * life-table counting, and the discount factor of point c. */
static void
test_transition_value_booked_at_point_of_cycle(void **state)
{
    struct fx *f = *state;
    fx_run_ok(f, three_state_text, NULL);
    size_t death = stream_ix(f, "death_cost");
    for (size_t i = 0; i < K3; i++) {
        struct three_state_expect e;
        three_state_by_hand(three_state_arms[i].rr, three_state_arms[i].drug,
                            three_state_arms[i].init_h,
                            three_state_arms[i].init_s, &e);
        size_t k = strategy_ix(f, three_state_arms[i].name);
        /* Nothing is booked at point 0: no transition has happened. */
        assert_close(ns_results_value(f->r, k, 0, death, false), 0.0, 0.0);
        for (size_t c = 1; c <= T3; c++) {
            double flow = e.occ[c - 1][SK] * P_SD * V_DEATH;
            assert_close(ns_results_value(f->r, k, c, death, false), flow,
                         TOL);
            assert_close(ns_results_value(f->r, k, c, death, true),
                         flow * pow(1.0 + R_COSTS, -(double)c), TOL);
        }
    }
}

/* A transition value that reads cycle and time is evaluated with the
 * transition's clock: cycle = c, time = (c - 1) L. Quarterly cycles. */
static void
test_transition_value_clock(void **state)
{
    struct fx *f = *state;
    static const char text[] =
        "[model]\n"
        "cycle_length = 0.25\n"
        "n_cycles = 6\n"
        "counting = simpson\n"
        "[discount]\n"
        "costs = 0.0347\n"
        "[states]\n"
        "sick = Sick\n"
        "dead = Dead\n"
        "[strategies]\n"
        "base = Base\n"
        "[initial]\n"
        "sick = 1\n"
        "[transitions]\n"
        "sick -> dead = 0.1537\n"
        "sick -> sick = C\n"
        "dead -> dead = 1\n"
        "[stream.death_cost]\n"
        "outcome = costs\n"
        "default = 0\n"
        "sick -> dead = 4321.7 + 12.3 * cycle + 456.7 * time\n";
    fx_run_ok(f, text, NULL);
    size_t j = stream_ix(f, "death_cost");
    for (size_t c = 1; c <= 6; c++) {
        double occ_prev = pow(1.0 - P_SD, (double)(c - 1));
        double value = V_DEATH + 12.3 * (double)c + 456.7 * (double)(c - 1) * 0.25;
        double flow = occ_prev * P_SD * value;
        assert_close(ns_results_value(f->r, 0, c, j, false), flow, TOL);
        assert_close(ns_results_value(f->r, 0, c, j, true),
                     flow * pow(1.0 + R_COSTS, -(double)c * 0.25), TOL);
    }
}

/* ---- incremental results ---- */

/* trt against soc: a trade-off; the ICER is delta cost / delta QALYs of
 * the discounted outcome totals computed by hand. */
static void
test_incremental_icer(void **state)
{
    struct fx *f = *state;
    fx_run_ok(f, three_state_text, NULL);
    struct three_state_expect soc, trt;
    three_state_by_hand(1.0, 0.0, 1.0, 0.0, &soc);
    three_state_by_hand(0.6173, 2345.6, 0.9563, 0.0437, &trt);
    double dc = trt.costs_disc - soc.costs_disc;
    double dh = trt.qaly_disc - soc.qaly_disc;
    assert_true(dc > 0.0 && dh > 0.0); /* the inputs make a trade-off */
    struct ns_incremental inc;
    ns_results_incremental(f->model, f->r, strategy_ix(f, "trt"), true, &inc);
    assert_true(inc.has_comparator);
    assert_int_equal(inc.comparator, strategy_ix(f, "soc"));
    assert_true(inc.has_icer);
    assert_int_equal(inc.dominance, NS_DOM_NONE);
    assert_close(inc.delta_cost, dc, 1e-9);
    assert_close(inc.delta_health, dh, 1e-9);
    assert_close(inc.icer, dc / dh, 1e-9);
    assert_string_equal(ns_dominance_name(inc.dominance), "");
    /* The same model in a dozen lines of Python (a list of (h, s, d)
     * tuples moved cycle by cycle, life-table weights, 1.0347**-t and
     * 1.0153**-t, deaths from sick booked at t) gives
     * dC = 13133.243106687807 and dH = 0.13300540458422194. */
    assert_close(inc.delta_cost, 13133.243106687807, 1e-9);
    assert_close(inc.delta_health, 0.13300540458422194, 1e-9);
    assert_close(inc.icer, 13133.243106687807 / 0.13300540458422194, 1e-9);

    /* The comparator itself has none. */
    ns_results_incremental(f->model, f->r, strategy_ix(f, "soc"), true, &inc);
    assert_false(inc.has_comparator);
    assert_false(inc.has_icer);
    assert_true(isnan(inc.icer));
}

/* good costs less and gains QALYs: dominant; bad costs more and loses
 * QALYs: dominated; same changes nothing: equal. No ICER for any. */
static void
test_incremental_dominance(void **state)
{
    struct fx *f = *state;
    fx_run_ok(f, three_state_text, NULL);
    struct three_state_expect soc, good, bad;
    three_state_by_hand(1.0, 0.0, 1.0, 0.0, &soc);
    three_state_by_hand(0.6173, -311.7, 1.0, 0.0, &good);
    three_state_by_hand(1.2345, 345.6, 1.0, 0.0, &bad);
    struct ns_incremental inc;

    double dc = good.costs_disc - soc.costs_disc;
    double dh = good.qaly_disc - soc.qaly_disc;
    assert_true(dc < 0.0 && dh > 0.0);
    ns_results_incremental(f->model, f->r, strategy_ix(f, "good"), true, &inc);
    assert_int_equal(inc.dominance, NS_DOM_DOMINANT);
    assert_string_equal(ns_dominance_name(inc.dominance), "dominant");
    assert_close(inc.delta_cost, dc, 1e-9);
    assert_close(inc.delta_health, dh, 1e-9);
    assert_true(isnan(inc.icer));

    dc = bad.costs_disc - soc.costs_disc;
    dh = bad.qaly_disc - soc.qaly_disc;
    assert_true(dc > 0.0 && dh < 0.0);
    ns_results_incremental(f->model, f->r, strategy_ix(f, "bad"), true, &inc);
    assert_int_equal(inc.dominance, NS_DOM_DOMINATED);
    assert_string_equal(ns_dominance_name(inc.dominance), "dominated");
    assert_close(inc.delta_cost, dc, 1e-9);
    assert_close(inc.delta_health, dh, 1e-9);
    assert_true(isnan(inc.icer));

    ns_results_incremental(f->model, f->r, strategy_ix(f, "same"), true, &inc);
    assert_int_equal(inc.dominance, NS_DOM_EQUAL);
    assert_close(inc.delta_cost, 0.0, 0.0);
    assert_close(inc.delta_health, 0.0, 0.0);
    assert_true(isnan(inc.icer));
}

/* ---- time dependence ---- */

/* p = if(cycle <= 2, 0.0731, 0.1459): cycles 1 and 2 use a, 3.. use b.
 * A value if(cycle <= 2, ...) at point t sees cycle = t, so point 2 still
 * has the first value while the transition of cycle 3 (from point 2) has
 * the second probability. */
static void
test_probability_depends_on_cycle(void **state)
{
    struct fx *f = *state;
    static const char text[] =
        "[model]\n"
        "cycle_length = 1\n"
        "n_cycles = 6\n"
        "counting = end\n"
        "[discount]\n"
        "costs = 0\n"
        "[states]\n"
        "alive = Alive\n"
        "dead = Dead\n"
        "[strategies]\n"
        "base = Base\n"
        "[initial]\n"
        "alive = 1\n"
        "[parameters]\n"
        "p = if(cycle <= 2, 0.0731, 0.1459)\n"
        "[transitions]\n"
        "alive -> dead = p\n"
        "alive -> alive = C\n"
        "dead -> dead = 1\n"
        "[stream.cost]\n"
        "outcome = costs\n"
        "alive = if(cycle <= 2, 1234.5, 2345.6)\n"
        "dead = 0\n";
    fx_run_ok(f, text, NULL);
    size_t alive = state_ix(f, "alive"), cost = stream_ix(f, "cost");
    double total = 0.0;
    for (size_t t = 0; t <= 6; t++) {
        double n_a = t < 2 ? (double)t : 2.0, n_b = t > 2 ? (double)t - 2 : 0;
        double occ = pow(1.0 - 0.0731, n_a) * pow(1.0 - 0.1459, n_b);
        double v = (t > 0 ? 1.0 : 0.0) * occ * (t <= 2 ? 1234.5 : 2345.6);
        assert_close(ns_results_trace(f->r, 0, t, alive), occ, TOL);
        assert_close(ns_results_value(f->r, 0, t, cost, false), v, TOL);
        total += v;
    }
    assert_close(ns_results_total(f->r, 0, cost, false), total, TOL);
}

/* age = start_age + time, looked up in a CSV table (a step function: the
 * last row whose key is <= age). start_age 47.3, half-year cycles. The
 * transition of cycle c sees age 47.3 + (c - 1) / 2:
 *   c:   1    2    3    4    5    6    7    8    9
 *   age: 47.3 47.8 48.3 48.8 49.3 49.8 50.3 50.8 51.3
 *   row: 40   40   48   48   48   49.5 49.5 49.5 51
 * A value 12.34 * age at point t sees age 47.3 + t / 2. */
static void
test_probability_depends_on_age_table(void **state)
{
    struct fx *f = *state;
    fx_write_file(f, "mortality.csv",
                  "age,sex,q\n"
                  "40,m,0.0123\n"
                  "48,m,0.0234\n"
                  "49.5,m,0.0456\n"
                  "51,m,0.0789\n");
    static const char text[] =
        "[model]\n"
        "cycle_length = 0.5\n"
        "n_cycles = 9\n"
        "start_age = 47.3\n"
        "counting = end\n"
        "[discount]\n"
        "costs = 0\n"
        "[states]\n"
        "alive = Alive\n"
        "dead = Dead\n"
        "[strategies]\n"
        "base = Base\n"
        "[initial]\n"
        "alive = 1\n"
        "[table.mort]\n"
        "file = mortality.csv\n"
        "key_column = age\n"
        "value_column = q\n"
        "[transitions]\n"
        "alive -> dead = mort(age)\n"
        "alive -> alive = C\n"
        "dead -> dead = 1\n"
        "[stream.cost]\n"
        "outcome = costs\n"
        "alive = 12.34 * age\n"
        "dead = 0\n";
    fx_run_ok(f, text, f->dir);
    static const double q[10] = {0,      0.0123, 0.0123, 0.0234, 0.0234,
                                 0.0234, 0.0456, 0.0456, 0.0456, 0.0789};
    size_t alive = state_ix(f, "alive"), cost = stream_ix(f, "cost");
    double occ = 1.0;
    for (size_t t = 0; t <= 9; t++) {
        if (t > 0)
            occ *= 1.0 - q[t];
        double age = 47.3 + 0.5 * (double)t;
        assert_close(ns_results_trace(f->r, 0, t, alive), occ, TOL);
        assert_close(ns_results_value(f->r, 0, t, cost, false),
                     (t > 0 ? 1.0 : 0.0) * occ * 12.34 * age, TOL);
    }
}

/* time in a transition probability is (c - 1) L, in a value t L; cycle in
 * a value is t. Quarterly cycles, life-table counting. */
static void
test_time_in_values_and_transitions(void **state)
{
    struct fx *f = *state;
    static const char text[] =
        "[model]\n"
        "cycle_length = 0.25\n"
        "n_cycles = 12\n"
        "[discount]\n"
        "costs = 0.0347\n"
        "qalys = 0\n"
        "[states]\n"
        "alive = Alive\n"
        "dead = Dead\n"
        "[strategies]\n"
        "base = Base\n"
        "[initial]\n"
        "alive = 1\n"
        "[parameters]\n"
        "p = 0.0123 + 0.0456 * time\n"
        "[transitions]\n"
        "alive -> dead = p\n"
        "alive -> alive = C\n"
        "dead -> dead = 1\n"
        "[stream.cost]\n"
        "outcome = costs\n"
        "alive = 1234.5 + 87.6 * time\n"
        "dead = 0\n"
        "[stream.qaly]\n"
        "outcome = qalys\n"
        "alive = 0.8731 - 0.0021 * cycle\n"
        "dead = 0\n";
    enum { T = 12 };
    const double L = 0.25;
    fx_run_ok(f, text, NULL);
    size_t alive = state_ix(f, "alive");
    size_t cost = stream_ix(f, "cost"), qaly = stream_ix(f, "qaly");
    double occ = 1.0, total_disc = 0.0;
    for (size_t t = 0; t <= T; t++) {
        if (t > 0) /* the transition of cycle c = t */
            occ *= 1.0 - (0.0123 + 0.0456 * (double)(t - 1) * L);
        double w = w_life_table(t, T);
        double c = w * occ * (1234.5 + 87.6 * (double)t * L);
        assert_close(ns_results_trace(f->r, 0, t, alive), occ, TOL);
        assert_close(ns_results_value(f->r, 0, t, cost, false), c, TOL);
        assert_close(ns_results_value(f->r, 0, t, qaly, false),
                     w * occ * (0.8731 - 0.0021 * (double)t), TOL);
        total_disc += c * pow(1.0 + R_COSTS, -(double)t * L);
    }
    assert_close(ns_results_total(f->r, 0, cost, true), total_disc, TOL);
}

/* ---- time in state ---- */

/* sick is tracked over 3 cycles (slots 0, 1, 2+). Leaving sick depends on
 * state_time (directly and through a parameter), the cost of sick and a
 * transition value on sick -> dead depend on it too. Checked against a
 * tunnel model written out by hand: W, S0, S1, S2, D. */
static const char tunnel_text[] =
    "[model]\n"
    "cycle_length = 1\n"
    "n_cycles = 10\n"
    "counting = life_table\n"
    "[discount]\n"
    "costs = 0.0347\n"
    "[states]\n"
    "well = Well\n"
    "sick = Sick\n"
    "dead = Dead\n"
    "[strategies]\n"
    "base = Base\n"
    "[time_in_state]\n"
    "sick = 3\n"
    "[initial]\n"
    "well = 0.9137\n"
    "sick = 0.0863\n"
    "[parameters]\n"
    "p_late = if(state_time == 1, 0.1049, 0.0511)\n"
    "[transitions]\n"
    "well -> sick = 0.0731\n"
    "well -> dead = 0.0114\n"
    "well -> well = C\n"
    "sick -> dead = if(state_time == 0, 0.2137, p_late)\n"
    "sick -> sick = C\n"
    "dead -> dead = 1\n"
    "[stream.cost]\n"
    "outcome = costs\n"
    "well = 1234.5\n"
    "sick = if(state_time == 0, 9876.5, 2345.6)\n"
    "dead = 0\n"
    "[stream.death]\n"
    "outcome = costs\n"
    "default = 0\n"
    "sick -> dead = 1000 * (state_time + 1.37)\n";

static void
test_time_in_state_tunnel(void **state)
{
    struct fx *f = *state;
    fx_run_ok(f, tunnel_text, NULL);
    enum { T = 10 };
    const double pd[3] = {0.2137, 0.1049, 0.0511}; /* leaving, by slot */
    double W = 0.9137, S0 = 0.0863, S1 = 0.0, S2 = 0.0, Dd = 0.0;
    size_t well = state_ix(f, "well"), sick = state_ix(f, "sick"),
           dead = state_ix(f, "dead");
    size_t cost = stream_ix(f, "cost"), death = stream_ix(f, "death");
    double cost_disc = 0.0, death_disc = 0.0;
    for (size_t t = 0; t <= T; t++) {
        double booked = 0.0;
        if (t > 0) {
            /* The transition of cycle t, from the slots at point t - 1. */
            double nW = W * (1.0 - 0.0731 - 0.0114);
            double nS0 = W * 0.0731;
            double nS1 = S0 * (1.0 - pd[0]);
            double nS2 = S1 * (1.0 - pd[1]) + S2 * (1.0 - pd[2]);
            double nD = Dd + W * 0.0114 + S0 * pd[0] + S1 * pd[1] + S2 * pd[2];
            booked = 1000.0 * (S0 * pd[0] * 1.37 + S1 * pd[1] * 2.37 +
                               S2 * pd[2] * 3.37);
            W = nW, S0 = nS0, S1 = nS1, S2 = nS2, Dd = nD;
        }
        assert_close(ns_results_trace(f->r, 0, t, well), W, TOL);
        assert_close(ns_results_trace(f->r, 0, t, sick), S0 + S1 + S2, TOL);
        assert_close(ns_results_trace(f->r, 0, t, dead), Dd, TOL);
        double c = w_life_table(t, T) *
                   (W * 1234.5 + S0 * 9876.5 + (S1 + S2) * 2345.6);
        assert_close(ns_results_value(f->r, 0, t, cost, false), c, TOL);
        assert_close(ns_results_value(f->r, 0, t, death, false), booked, TOL);
        double d = pow(1.0 + R_COSTS, -(double)t);
        cost_disc += c * d;
        death_disc += booked * d;
    }
    assert_close(ns_results_total(f->r, 0, cost, true), cost_disc, TOL);
    assert_close(ns_results_total(f->r, 0, death, true), death_disc, TOL);
    assert_close(ns_results_outcome(f->r, 0, outcome_ix(f, "costs"), true),
                 cost_disc + death_disc, TOL);
}

/* state_time in a transition from a state whose time is not tracked. */
static void
test_state_time_untracked_transition_rejected(void **state)
{
    struct fx *f = *state;
    char text[sizeof tunnel_text + 64];
    /* The tunnel model with well -> dead reading state_time. */
    const char *at = strstr(tunnel_text, "well -> dead = 0.0114\n");
    assert_non_null(at);
    snprintf(text, sizeof text, "%.*swell -> dead = 0.0114 + 0.001 * "
             "state_time\n%s",
             (int)(at - tunnel_text), tunnel_text,
             at + strlen("well -> dead = 0.0114\n"));
    assert_int_equal(fx_compile(f, text, NULL), NS_EPARAM);
    assert_int_equal(f->diags.count, 1);
    char expect[512];
    snprintf(expect, sizeof expect,
             "test.ini:%d: transition well -> dead depends on state_time, "
             "but time in state well is not tracked; add well = N (cycles "
             "to track) to [time_in_state]",
             line_of(text, "well -> dead ="));
    assert_string_equal(diag_text(f, 0), expect);
}

/* state_time in a state value of an untracked state. */
static void
test_state_time_untracked_value_rejected(void **state)
{
    struct fx *f = *state;
    const char *text = two_state("1", 4, "", "0", "0", "1");
    char buf[sizeof text_buf];
    const char *at = strstr(text, "alive = 1234.5\n");
    assert_non_null(at);
    snprintf(buf, sizeof buf, "%.*salive = 1234.5 * (1 + state_time)\n%s",
             (int)(at - text), text, at + strlen("alive = 1234.5\n"));
    assert_int_equal(fx_compile(f, buf, NULL), NS_EPARAM);
    assert_int_equal(f->diags.count, 1);
    char expect[512];
    snprintf(expect, sizeof expect,
             "test.ini:%d: stream cost, state alive depends on state_time, "
             "but time in state alive is not tracked; add alive = N "
             "(cycles to track) to [time_in_state]",
             line_of(buf, "alive = 1234.5 * (1 + state_time)"));
    assert_string_equal(diag_text(f, 0), expect);
}

/* state_time in a value booked on a transition out of an untracked state
 * means nothing either, so it is refused like the others. When
 * check_state_time() in model/compile.c looked at rows and state values
 * only, it compiled and the engine read whatever time in state the
 * previous state in [states] order left behind: with well listed after a
 * tracked sick (3 slots), "well -> dead = 1000 * state_time" booked
 * 1000 * 2 per death; listed before it, 0. */
static void
test_state_time_untracked_transition_value_rejected(void **state)
{
    struct fx *f = *state;
    char text[sizeof tunnel_text + 64];
    snprintf(text, sizeof text, "%swell -> dead = 55.5 * state_time\n",
             tunnel_text);
    assert_int_equal(fx_compile(f, text, NULL), NS_EPARAM);
    assert_true(f->diags.count >= 1);
}

/* ---- parameters used only by transitions ---- */

/* p = 0.1462 / cycle is used only by a transition, which only ever sees
 * cycle = 1..T; the run must not evaluate it at cycle 0. Expected:
 * alive(t) = prod_{c=1..t} (1 - 0.1462 / c). A run that evaluated every
 * parameter at the start (cycle = 0) and at every time point, whether or
 * not anything counted there reads it, failed this with "parameter p:
 * division by zero at column 8, in strategy base, cycle 0", as it would
 * with a look-up table keyed by cycle from 1. */
static void
test_transition_parameter_not_evaluated_at_cycle_zero(void **state)
{
    struct fx *f = *state;
    static const char text[] =
        "[model]\n"
        "cycle_length = 1\n"
        "n_cycles = 5\n"
        "[discount]\n"
        "costs = 0\n"
        "[states]\n"
        "alive = Alive\n"
        "dead = Dead\n"
        "[strategies]\n"
        "base = Base\n"
        "[initial]\n"
        "alive = 1\n"
        "[parameters]\n"
        "p = 0.1462 / cycle\n"
        "[transitions]\n"
        "alive -> dead = p\n"
        "alive -> alive = C\n"
        "dead -> dead = 1\n"
        "[stream.cost]\n"
        "outcome = costs\n"
        "alive = 1234.5\n"
        "dead = 0\n";
    fx_run_ok(f, text, NULL);
    double occ = 1.0;
    for (size_t t = 0; t <= 5; t++) {
        if (t > 0)
            occ *= 1.0 - 0.1462 / (double)t;
        assert_close(ns_results_trace(f->r, 0, t, state_ix(f, "alive")), occ,
                     TOL);
    }
}

#define T_(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T_(test_counting_start),
        T_(test_counting_end),
        T_(test_counting_life_table),
        T_(test_counting_simpson),
        T_(test_counting_simpson_odd_rejected),
        T_(test_counting_weights),
        T_(test_count_time_zero_no),
        T_(test_discount_from_start),
        T_(test_discount_from_end_of_first_cycle),
        T_(test_initial_counts_scale),
        T_(test_three_state_overrides),
        T_(test_transition_value_booked_at_point_of_cycle),
        T_(test_transition_value_clock),
        T_(test_incremental_icer),
        T_(test_incremental_dominance),
        T_(test_probability_depends_on_cycle),
        T_(test_probability_depends_on_age_table),
        T_(test_time_in_values_and_transitions),
        T_(test_time_in_state_tunnel),
        T_(test_state_time_untracked_transition_rejected),
        T_(test_state_time_untracked_value_rejected),
        T_(test_state_time_untracked_transition_value_rejected),
        T_(test_transition_parameter_not_evaluated_at_cycle_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}


/* netsave tests: running several parameter sets at once (lanes,
 * ns_model_run_lanes and ns_expr_eval_lanes) gives each lane exactly what
 * a run of its own gives.
 *
 * - Expressions: every operation, both branches of if(), &&, ||, tables
 *   and faults (including an overflow that a later operation turns into
 *   a finite value), in lanes that agree and lanes that take different
 *   branches, compared bit for bit with ns_expr_eval.
 * - Models: the shipped England model (time-dependent rows, transition
 *   values, subgroups) and a model with time in state (tunnels whose rows,
 *   values and transition values read state_time), each run with as many
 *   lanes as a PSA runs, of different parameter values, and compared bit
 *   for bit, for every strategy, point, state and stream, with one run
 *   per lane.
 * - A lane that fails (a probability above 1, or an infinite value) fails
 *   the whole run, as does the same lane alone; so do lanes that do not
 *   override the same parameters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "model/engine.h"
#include "model/expr.h"
#include "model/population.h"
#include "params/params.h"

/* The PSA's number of lanes, whose loops have their own code. */
enum { L = NS_EXPR_FAST_LANES };

/* Resolves x0..x3 to variable slots 0..3, and table "t". */
static long
resolve_var(void *ctx, const char *name, size_t len)
{
    (void)ctx;
    if (len == 2 && name[0] == 'x' && name[1] >= '0' && name[1] <= '3')
        return name[1] - '0';
    return -1;
}

static long
resolve_table(void *ctx, const char *name, size_t len)
{
    (void)ctx;
    return len == 1 && name[0] == 't' ? 0 : -1;
}

static void
expressions_match_one_lane_at_a_time(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "x0 * x1 + x2 / (x3 + 10) - x0 ^ 2",
        "if(x0 > 0.5, x1 * 2, x2 - 1)",
        "if(x0 > 0.5 && x1 < 3, exp(x2), log(x3 + 20))",
        "x0 < 0.2 || x1 > 2.5",
        "min(x0, x1) + max(x2, x3) + abs(x2) + floor(x1) + ceil(x0)",
        "rate_to_prob(x0, 1) + prob_to_rate(x0 / 2, 1) + sqrt(x1)",
        "t(x1) * 2 + !(x0 > 0.5)",
        "x0 == x1 || x2 != x3 || x0 <= x1 && x2 >= x3",
        "1 / (x0 - 0.5)", /* a fault in a lane where x0 is 0.5 */
        "log(x0 - 0.5)",  /* faults where x0 <= 0.5 */
        /* exp(x1 * 200) overflows where x1 > 3.55 (about 1 lane in 9),
         * and each of these turns the infinity into a finite value: the
         * lanes must still fail where ns_expr_eval faults. */
        "1 / exp(x1 * 200)",
        "if(exp(x1 * 200) > 1, 1, 2)",
        "min(exp(x1 * 200), 5) + max(x0, exp(x1 * 200) * 0 + 1)",
        "!exp(x1 * 200) + 1",
        "exp(-exp(x1 * 200))",
        "t(exp(x1 * 200) / 1e300)",
        "exp(x1 * 200) - exp(x1 * 200) + 1",
        "0 ^ (exp(x1 * 200) * -1) + rate_to_prob(exp(x1 * 200), 1)",
    };
    double tx[] = {0, 1, 2, 3}, ty[] = {10, 20, 30, 40};
    struct ns_table table = {"t", 4, tx, ty, false};
    struct ns_expr_resolver r = {NULL, resolve_var, resolve_table, NULL};
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    double vars[4 * L], one[4], lanes_out[L];
    for (size_t e = 0; e < 2 * sizeof texts / sizeof *texts; e++) {
        /* Each expression with the fast number of lanes, then with 3. */
        size_t n_lanes = e % 2 ? 3 : L;
        struct ns_expr *expr = NULL;
        char err[256];
        assert_int_equal(ns_expr_compile(texts[e / 2], &r, &expr, err,
                                         sizeof err),
                         NS_OK);
        for (int trial = 0; trial < 200; trial++) {
            /* Lanes agree on branches in some trials, not in others. */
            bool same = trial % 3 == 0;
            size_t n = n_lanes;
            for (size_t l = 0; l < n; l++) {
                double u = gsl_rng_uniform(rng);
                vars[0 * n + l] = same ? (trial % 2 ? 0.9 : 0.1) + 0.01 * u
                                       : (l == 2 && trial % 5 == 1 ? 0.5 : u);
                vars[1 * n + l] = 4 * gsl_rng_uniform(rng);
                vars[2 * n + l] = 10 * gsl_rng_uniform(rng) - 5;
                vars[3 * n + l] = 10 * gsl_rng_uniform(rng) - 5;
            }
            enum ns_status st =
                ns_expr_eval_lanes(expr, vars, n, &table, lanes_out);
            bool any_fault = false;
            for (size_t l = 0; l < n; l++) {
                for (size_t v = 0; v < 4; v++)
                    one[v] = vars[v * n + l];
                double x;
                struct ns_expr_fault fault;
                if (ns_expr_eval(expr, one, &table, &x, &fault) != NS_OK) {
                    any_fault = true;
                    continue;
                }
                if (st == NS_OK)
                    assert_memory_equal(&x, &lanes_out[l], sizeof x);
            }
            assert_int_equal(st, any_fault ? NS_EMODEL : NS_OK);
        }
        ns_expr_free(expr);
    }
    gsl_rng_free(rng);
}

static void
assert_same_results(const struct ns_results *a, const struct ns_results *b)
{
    size_t kp = a->n_strategies * a->n_points;
    size_t ks = a->n_strategies * a->n_streams;
    assert_memory_equal(a->trace, b->trace,
                        kp * a->n_states * sizeof(double));
    assert_memory_equal(a->values, b->values,
                        kp * a->n_streams * sizeof(double));
    assert_memory_equal(a->values_disc, b->values_disc,
                        kp * a->n_streams * sizeof(double));
    assert_memory_equal(a->total_disc, b->total_disc, ks * sizeof(double));
    assert_memory_equal(a->outcome_total_disc, b->outcome_total_disc,
                        a->n_strategies * a->n_outcomes * sizeof(double));
    for (size_t i = 0; i < a->n_strategies * a->n_params; i++)
        assert_true(memcmp(&a->param_values[i], &b->param_values[i],
                           sizeof(double)) == 0 ||
                    (isnan(a->param_values[i]) && isnan(b->param_values[i])));
}

/* Runs every group of pop with lanes whose overrides scale the named
 * parameters by a different factor per lane, and compares each lane with
 * a run of its own. */
static void
lanes_match(const struct ns_population *pop, const char *const *names,
            size_t n_names, double spread)
{
    for (size_t g = 0; g < pop->n_groups; g++) {
        const struct ns_model *m = pop->models[g];
        double *ov[L];
        struct ns_results *lane_r[L];
        struct ns_workspace *ws = ns_workspace_alloc(m);
        struct ns_results *alone = ns_results_alloc(m);
        struct ns_diags diags = {0};
        /* The base values, from a run as written (strategy 0's). */
        assert_int_equal(ns_model_run(m, ws, alone, &diags), NS_OK);
        for (size_t l = 0; l < L; l++) {
            ov[l] = malloc(m->n_params * sizeof(double));
            for (size_t q = 0; q < m->n_params; q++)
                ov[l][q] = NAN;
            for (size_t i = 0; i < n_names; i++)
                for (size_t q = 0; q < m->n_params; q++)
                    if (strcmp(m->params[q].name, names[i]) == 0) {
                        double base = alone->param_values[q];
                        assert_false(isnan(base));
                        ov[l][q] = base *
                                   (1.0 + spread * ((double)l - 7.5) / 7.5);
                    }
            lane_r[l] = ns_results_alloc(m);
        }
        struct ns_workspace *lw = ns_workspace_alloc_lanes(m, L);
        assert_non_null(lw);
        assert_int_equal(ns_workspace_lanes(lw), L);
        assert_int_equal(ns_model_run_lanes(m, lw, lane_r,
                                            (const double *const *)ov),
                         NS_OK);
        for (size_t l = 0; l < L; l++) {
            struct ns_run_options opt = {.param_override = ov[l]};
            assert_int_equal(ns_model_run_opt(m, ws, alone, &diags, &opt),
                             NS_OK);
            assert_same_results(lane_r[l], alone);
        }
        /* The lanes differ from each other, or the test proves little. */
        assert_true(memcmp(lane_r[0]->total_disc, lane_r[L - 1]->total_disc,
                           m->n_strategies * m->n_streams * sizeof(double)) !=
                    0);
        ns_results_free(alone);
        ns_workspace_free(ws);
        ns_workspace_free(lw);
        for (size_t l = 0; l < L; l++) {
            free(ov[l]);
            ns_results_free(lane_r[l]);
        }
    }
}

static void
england_lanes_match_single_runs(void **state)
{
    (void)state;
    const char *files[] = {"../params/england.ini"};
    struct ns_model_source src = {files, 1, NULL, 0, NULL, 0, false};
    struct ns_params *params = NULL;
    struct ns_population *pop = ns_test_build_run(&src, &params);
    /* Unit costs, natural history, retention, mortality and utilities:
     * inputs of state values, transition values and time-dependent rows. */
    static const char *const names[] = {
        "uc_shop", "uc_dburg", "n_shop", "nh_dl_nd", "nh_nd_dl",
        "cost_week_rehab", "leave_q1_rehab", "smr_dl", "util_dl",
        "rr_worse_post_rehab"};
    lanes_match(pop, names, sizeof names / sizeof *names, 0.2);
    ns_population_free(pop);
    ns_params_free(params);
}

static const char tunnel_text[] =
    "[model]\n"
    "name = Tunnels\n"
    "cycle_length = 1\n"
    "n_cycles = 12\n"
    "start_age = 40\n"
    "counting = life_table\n"
    "comparator = usual\n"
    "[discount]\n"
    "costs = 0.035\n"
    "qalys = 0.035\n"
    "[states]\n"
    "well = Well\n"
    "sick = Sick\n"
    "dead = Dead\n"
    "[time_in_state]\n"
    "sick = 4\n"
    "[strategies]\n"
    "usual = Usual\n"
    "new = New\n"
    "[initial]\n"
    "well = 0.8\n"
    "sick = 0.2\n"
    "[parameters]\n"
    "p_sick = 0.1\n"
    "p_rec = 0.3\n"
    "decay = 0.2\n"
    "p_die = 0.01 + 0.001 * (age - 40)\n"
    "c_sick = 1000\n"
    "c_new = 0\n"
    "c_death = 5000\n"
    "u_sick = 0.7\n"
    "p_rec_now = if(state_time < 2, p_rec, p_rec * exp(-decay * state_time))\n"
    "[parameters.new]\n"
    "p_rec = 0.4\n"
    "c_new = 300\n"
    "[transitions]\n"
    "well -> sick = p_sick\n"
    "well -> dead = p_die\n"
    "well -> well = C\n"
    "sick -> well = p_rec_now\n"
    "sick -> dead = 2 * p_die\n"
    "sick -> sick = C\n"
    "dead -> dead = 1\n"
    "[stream.cost]\n"
    "outcome = costs\n"
    "well = 0\n"
    "sick = c_sick * (1 + 0.1 * state_time) + c_new\n"
    "dead = 0\n"
    "sick -> dead = c_death + 100 * state_time\n"
    "well -> dead = c_death\n"
    "[stream.qaly]\n"
    "outcome = qalys\n"
    "well = 1\n"
    "sick = u_sick\n"
    "dead = 0\n";

static void
tunnel_lanes_match_single_runs(void **state)
{
    (void)state;
    struct ns_params *params = NULL;
    struct ns_population *pop = ns_test_build_run_text("tunnels.ini", tunnel_text, &params);
    static const char *const names[] = {"p_sick", "p_rec", "decay",
                                        "c_sick", "c_death", "u_sick"};
    lanes_match(pop, names, sizeof names / sizeof *names, 0.5);
    ns_population_free(pop);
    ns_params_free(params);
}

/* One lane with p_sick = 1.5: the lanes run fails, as that lane does on
 * its own (with a diagnostic there), and the others alone succeed. */
static void
a_failing_lane_fails_the_run(void **state)
{
    (void)state;
    struct ns_params *params = NULL;
    struct ns_population *pop = ns_test_build_run_text("tunnels.ini", tunnel_text, &params);
    const struct ns_model *m = pop->models[0];
    double *ov[L];
    struct ns_results *r[L];
    size_t q_sick = m->n_params;
    for (size_t q = 0; q < m->n_params; q++)
        if (strcmp(m->params[q].name, "p_sick") == 0)
            q_sick = q;
    assert_true(q_sick < m->n_params);
    for (size_t l = 0; l < L; l++) {
        ov[l] = malloc(m->n_params * sizeof(double));
        for (size_t q = 0; q < m->n_params; q++)
            ov[l][q] = NAN;
        ov[l][q_sick] = l == 5 ? 1.5 : 0.01 * (double)(l + 1);
        r[l] = ns_results_alloc(m);
    }
    struct ns_workspace *lw = ns_workspace_alloc_lanes(m, L);
    assert_int_equal(ns_model_run_lanes(m, lw, r, (const double *const *)ov),
                     NS_EMODEL);
    struct ns_workspace *ws = ns_workspace_alloc(m);
    struct ns_diags diags = {0};
    for (size_t l = 0; l < L; l++) {
        struct ns_run_options opt = {.param_override = ov[l]};
        size_t before = diags.count;
        enum ns_status st = ns_model_run_opt(m, ws, r[l], &diags, &opt);
        assert_int_equal(st, l == 5 ? NS_EMODEL : NS_OK);
        assert_true((diags.count > before) == (l == 5));
    }
    /* An infinite value in one lane: loads are not checked with lanes,
     * so the value itself must fail the run; alone, the lane reports it
     * where an expression reads it. */
    ov[5][q_sick] = INFINITY;
    assert_int_equal(ns_model_run_lanes(m, lw, r, (const double *const *)ov),
                     NS_EMODEL);
    struct ns_run_options inf_opt = {.param_override = ov[5]};
    size_t before = diags.count;
    assert_int_equal(ns_model_run_opt(m, ws, r[5], &diags, &inf_opt),
                     NS_EMODEL);
    assert_true(diags.count > before);
    assert_non_null(strstr(diags.items[before].text, "variable is inf"));
    /* Lanes that do not override the same parameters cannot run
     * together (which are overridden is decided once): the run fails, so
     * that its lanes are run one by one, rather than run lanes 1.. with
     * lane 0's choice. */
    for (size_t l = 0; l < L; l++)
        ov[l][q_sick] = 0.01 * (double)(l + 1);
    ov[0][q_sick] = NAN;
    assert_int_equal(ns_model_run_lanes(m, lw, r, (const double *const *)ov),
                     NS_EMODEL);
    ov[0][q_sick] = 0.01;
    ov[7][q_sick] = NAN;
    assert_int_equal(ns_model_run_lanes(m, lw, r, (const double *const *)ov),
                     NS_EMODEL);
    ns_diags_clear(&diags);
    ns_workspace_free(ws);
    ns_workspace_free(lw);
    for (size_t l = 0; l < L; l++) {
        free(ov[l]);
        ns_results_free(r[l]);
    }
    ns_population_free(pop);
    ns_params_free(params);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(expressions_match_one_lane_at_a_time),
        cmocka_unit_test(england_lanes_match_single_runs),
        cmocka_unit_test(tunnel_lanes_match_single_runs),
        cmocka_unit_test(a_failing_lane_fails_the_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

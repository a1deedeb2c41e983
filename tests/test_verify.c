/* netsave tests: the verification checks (model/verify.h).
 *
 * A sound model (three states with an absorbing dead state, time in state
 * for "sick", a time-dependent probability, a transition value, three
 * strategies in a comparator chain none <- treat <- treat_plus, four
 * streams over two outcomes and three payers) must pass every check.
 * Then each check is made to fail the way a regression would show: the
 * engine refuses rows that do not sum to 1, so a leak is either one the
 * engine tolerates (a row off by less than row_sum_tolerance) or results
 * altered after the run (the trace, a total, a parameter value), which is
 * what a wrong engine would have written. Each failure's name and detail
 * (naming strategy, cycle, state or stream) are asserted exactly. The
 * shipped England model, and each of its subgroups, must pass too. */
#define _GNU_SOURCE /* feenableexcept */
#include <fenv.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"

#include "model/engine.h"
#include "model/ledger.h"
#include "model/model.h"
#include "model/population.h"
#include "model/results.h"
#include "model/verify.h"
#include "params/params.h"

static const char sound_model[] =
    "[model]\n"
    "cycle_length = 0.5\n"
    "n_cycles = 12\n"
    "counting = life_table\n"
    "cost_outcome = costs\n"
    "health_outcome = qalys\n"
    "[discount]\n"
    "costs = 0.035\n"
    "qalys = 0.015\n"
    "[states]\n"
    "well = Well\n"
    "sick = Sick\n"
    "dead = Dead\n"
    "[strategies]\n"
    "none = No treatment\n"
    "treat = Treatment\n"
    "treat_plus = Treatment plus support\n"
    "[comparators]\n"
    "treat = none\n"
    "treat_plus = treat\n"
    "[initial]\n"
    "well = 0.8\n"
    "sick = 0.2\n"
    "[initial.treat_plus]\n"
    "well = 0.85\n"
    "sick = 0.15\n"
    "[parameters]\n"
    "p_sick = 0.0731 + 0.0013 * cycle\n"
    "p_recover = 0.1127\n"
    "p_die_well = 0.0057\n"
    "p_die_sick = 0.0412\n"
    "cost_police = 1234.5\n"
    "cost_nhs = 317.25\n"
    "cost_treat = 0\n"
    "funeral = 2150.5\n"
    "u_well = 0.83\n"
    "u_sick = 0.61\n"
    "[parameters.treat]\n"
    "p_recover = 0.1519\n"
    "cost_treat = 890.75\n"
    "[parameters.treat_plus]\n"
    "p_recover = 0.1833\n"
    "cost_treat = 1290.25\n"
    "[time_in_state]\n"
    "sick = 3\n"
    "[transitions]\n"
    "well -> well = C\n"
    "well -> sick = p_sick\n"
    "well -> dead = p_die_well\n"
    "sick -> sick = C\n"
    "sick -> well = p_recover * (1 - 0.05 * state_time)\n"
    "sick -> dead = p_die_sick\n"
    "dead -> dead = 1\n"
    "[stream.police]\n"
    "outcome = costs\n"
    "tags = payer:police\n"
    "default = 0\n"
    "sick = cost_police\n"
    "[stream.nhs]\n"
    "outcome = costs\n"
    "tags = payer:nhs\n"
    "well = 120.5\n"
    "sick = cost_nhs\n"
    "dead = 0\n"
    "sick -> dead = funeral\n"
    "[stream.treatment]\n"
    "outcome = costs\n"
    "tags = payer:budget, intervention\n"
    "default = 0\n"
    "sick = cost_treat\n"
    "[stream.qalys]\n"
    "outcome = qalys\n"
    "well = u_well * 0.5\n"
    "sick = u_sick * 0.5\n"
    "dead = 0\n"
    "[perspectives]\n"
    "public = budget, police, nhs\n"
    "health = budget, nhs\n";

/* Rows that sum to 1 + 5e-10: within the default row_sum_tolerance
 * (1e-9), so the engine runs it, but the cohort grows by 5e-10 of the
 * living each cycle. No comparators; dead is absorbing as a complement. */
static const char leaky_model[] =
    "[model]\n"
    "cycle_length = 1\n"
    "n_cycles = 5\n"
    "counting = end\n"
    "[discount]\n"
    "costs = 0.035\n"
    "[states]\n"
    "alive = Alive\n"
    "dead = Dead\n"
    "[strategies]\n"
    "base = Base\n"
    "[initial]\n"
    "alive = 1\n"
    "[transitions]\n"
    "alive -> alive = 0.9269\n"
    "alive -> dead = 0.0731000005\n"
    "dead -> dead = C\n"
    "[stream.cost]\n"
    "outcome = costs\n"
    "alive = 1234.5\n"
    "dead = 0\n";

/* Indices into sound_model. */
enum { NONE, TREAT, TREAT_PLUS };
enum { WELL, SICK, DEAD };
enum { POLICE, NHS, TREATMENT, QALYS };

static const char *const check_names[] = {
    "mass conserved",
    "probabilities within [0, 1]",
    "absorbing states never shrink",
    "identical strategies give zero increments",
    "zero discounting changes nothing",
    "doubling a stream doubles it alone",
    "same results when run again",
};
#define N_CHECKS (sizeof check_names / sizeof check_names[0])

struct fx {
    struct ns_params *params;
    struct ns_model *model;
    struct ns_results *r;
    struct ns_workspace *ws;
    struct ns_diags diags;
    struct ns_checks checks;
};

static int
fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    *state = f;
    return 0;
}

static int
fx_teardown(void **state)
{
    struct fx *f = *state;
    ns_checks_clear(&f->checks);
    ns_workspace_free(f->ws);
    ns_results_free(f->r);
    ns_model_free(f->model);
    ns_params_free(f->params);
    ns_diags_clear(&f->diags);
    free(f);
    return 0;
}

static void
print_diags(const struct ns_diags *d)
{
    char buf[1024];
    for (size_t i = 0; i < d->count; i++) {
        ns_diag_format(&d->items[i], buf, sizeof buf);
        print_error("diagnostic: %s\n", buf);
    }
}

/* Loads (text, or the file path when text is NULL), compiles and runs a
 * model; every step must succeed, except the run when may_fail. */
static void
fx_build(struct fx *f, const char *text, const char *path, bool may_fail)
{
    f->params = ns_params_alloc();
    assert_non_null(f->params);
    enum ns_status st =
        text ? ns_params_load_text(f->params, "verify.ini", text,
                                   strlen(text), NULL, &f->diags)
             : ns_params_load_file(f->params, path, &f->diags);
    if (st == NS_OK)
        st = ns_params_finish(f->params, &f->diags);
    if (st == NS_OK)
        st = ns_model_compile(&f->params->def, &f->model, &f->diags);
    if (st != NS_OK) {
        print_diags(&f->diags);
        fail_msg("building the model failed: %s", ns_strerror(st));
    }
    f->r = ns_results_alloc(f->model);
    f->ws = ns_workspace_alloc(f->model);
    assert_non_null(f->r);
    assert_non_null(f->ws);
    st = ns_model_run(f->model, f->ws, f->r, &f->diags);
    if (st != NS_OK && !may_fail) {
        print_diags(&f->diags);
        fail_msg("running the model failed: %s", ns_strerror(st));
    }
}

/* Runs every check, which must all run. */
static void
fx_verify(struct fx *f)
{
    enum ns_status st =
        ns_verify_model(f->model, f->r, f->ws, &f->checks, &f->diags);
    if (st != NS_OK) {
        print_diags(&f->diags);
        fail_msg("verifying failed: %s", ns_strerror(st));
    }
    assert_int_equal(f->checks.n, N_CHECKS);
    for (size_t i = 0; i < N_CHECKS; i++)
        assert_string_equal(f->checks.items[i].name, check_names[i]);
}

/* Asserts which checks passed: passed[i] for check i + 1. */
static void
assert_passed(const struct ns_checks *checks, const bool *passed)
{
    for (size_t i = 0; i < checks->n; i++)
        if (checks->items[i].passed != passed[i])
            fail_msg("check %zu '%s' %s: %s", i + 1, checks->items[i].name,
                     checks->items[i].passed ? "passed" : "failed",
                     checks->items[i].detail);
}

static void
assert_all_passed(const struct ns_checks *checks)
{
    static const bool all[N_CHECKS] = {true, true, true, true,
                                       true, true, true};
    assert_passed(checks, all);
    assert_true(ns_checks_all_passed(checks));
}

/* Asserts that detail begins with prefix. */
static void
assert_starts_with(const char *detail, const char *prefix)
{
    if (strncmp(detail, prefix, strlen(prefix)) != 0)
        fail_msg("detail '%s' does not start with '%s'", detail, prefix);
}

static double *
trace_at(struct ns_results *r, size_t k, size_t t, size_t s)
{
    return &r->trace[(k * r->n_points + t) * r->n_states + s];
}

/* ---- a sound model passes ---- */

static void
sound_model_passes_every_check(void **state)
{
    struct fx *f = *state;
    fx_build(f, sound_model, NULL, false);
    fx_verify(f);
    assert_all_passed(&f->checks);
    assert_int_equal(f->diags.count, 0);
    const struct ns_check *c = f->checks.items;
    assert_starts_with(c[0].detail,
                       "all 3 strategies, 13 time points: largest "
                       "difference ");
    assert_string_equal(c[1].detail,
                        "checked by the engine in every cycle of every "
                        "strategy");
    assert_starts_with(c[2].detail,
                       "dead, in 3 strategies, 13 time points: largest "
                       "fall ");
    assert_string_equal(c[3].detail,
                        "2 strategies run as their comparators: every stream "
                        "total equal; savings, treatment cost and net "
                        "savings 0 for all payers and 2 perspectives");
    assert_string_equal(c[4].detail,
                        "all 3 strategies, 4 streams, 13 time points: "
                        "discounted equal to undiscounted, and to the "
                        "undiscounted results as written");
    assert_string_equal(c[5].detail,
                        "4 streams doubled in 3 runs (each stream doubled "
                        "in some runs and not in others), 3 strategies: "
                        "doubled totals exactly twice, the others and the "
                        "trace unchanged");
    assert_string_equal(c[6].detail,
                        "all 3 strategies: trace, values, totals and "
                        "parameter values identical");
    /* The model is not trivially sound: the treatments change costs. */
    struct ns_ledger l;
    ns_ledger_compute(f->model, f->r, TREAT, NS_ALL_PAYERS, true, &l, NULL);
    assert_true(l.valid);
    assert_true(fabs(l.net_savings) > 1.0);
    assert_true(l.treatment_cost > 1.0);
}

/* A comparator chain runs as its root; a cycle as its lowest member. */
static void
same_definitions_follow_chains_and_cycles(void **state)
{
    (void)state;
    long comparator[] = {1, 2, 1, -1, 0};
    struct ns_model m = {0};
    m.n_strategies = 5;
    m.comparator = comparator;
    size_t def[5];
    assert_true(ns_verify_same_definitions(&m, def));
    assert_int_equal(def[0], 1);
    assert_int_equal(def[1], 1);
    assert_int_equal(def[2], 1);
    assert_int_equal(def[3], 3);
    assert_int_equal(def[4], 1);

    long chain[] = {-1, 0, 1};
    m.n_strategies = 3;
    m.comparator = chain;
    assert_true(ns_verify_same_definitions(&m, def));
    for (size_t k = 0; k < 3; k++)
        assert_int_equal(def[k], 0);

    long none[] = {-1, -1};
    m.n_strategies = 2;
    m.comparator = none;
    assert_false(ns_verify_same_definitions(&m, def));
    assert_int_equal(def[0], 0);
    assert_int_equal(def[1], 1);
}

/* ---- check 1: mass ---- */

/* A row the engine tolerates (summing to 1 + 5e-10, within the default
 * tolerance) is scaled to sum to 1, so the cohort keeps its size: check 1
 * passes to rounding. */
static void
tolerated_leaky_row_is_renormalised(void **state)
{
    struct fx *f = *state;
    fx_build(f, leaky_model, NULL, false);
    fx_verify(f);
    assert_all_passed(&f->checks);
    const char *d = f->checks.items[0].detail;
    const char *last = strstr(d, "largest difference ");
    assert_non_null(last);
    assert_true(strtod(last + strlen("largest difference "), NULL) <= 1e-15);
    assert_string_equal(f->checks.items[3].detail,
                        "no strategy has a comparator");
}

/* The trace as a broken engine might write it: mass appears in cycle 7. */
static void
corrupt_trace_fails_mass(void **state)
{
    struct fx *f = *state;
    fx_build(f, sound_model, NULL, false);
    *trace_at(f->r, TREAT, 7, WELL) += 1e-6;
    fx_verify(f);
    /* Checks 6 and 7 compare runs with this trace too. */
    static const bool passed[N_CHECKS] = {false, true, true,  true,
                                          true,  false, false};
    assert_passed(&f->checks, passed);
    assert_starts_with(f->checks.items[0].detail,
                       "strategy treat, cycle 7: total 1.000001");
    assert_true(strstr(f->checks.items[0].detail,
                       " differs from 1 at the start by 1.0e-06 (tolerance "
                       "1e-12)") != NULL);
    assert_null(strstr(f->checks.items[0].detail, "more"));
    assert_starts_with(f->checks.items[6].detail,
                       "strategy treat, cycle 7, state well: again ");
}

/* A tiny drift within the tolerance is not a failure. */
static void
drift_within_tolerance_passes_mass(void **state)
{
    struct fx *f = *state;
    fx_build(f, sound_model, NULL, false);
    *trace_at(f->r, NONE, 4, SICK) += 0.5e-12;
    struct ns_checks checks = {0};
    assert_int_equal(ns_check_mass(f->model, f->r, &checks), NS_OK);
    assert_int_equal(checks.n, 1);
    assert_true(checks.items[0].passed);
    *trace_at(f->r, NONE, 4, SICK) += 1e-12;
    assert_int_equal(ns_check_mass(f->model, f->r, &checks), NS_OK);
    assert_int_equal(checks.n, 2);
    assert_false(checks.items[1].passed);
    assert_starts_with(checks.items[1].detail, "strategy none, cycle 4: ");
    ns_checks_clear(&checks);
    assert_null(checks.items);
    assert_int_equal(checks.n, 0);
}

/* ---- check 2: probabilities ---- */

static void
negative_occupancy_fails_probabilities(void **state)
{
    struct fx *f = *state;
    fx_build(f, sound_model, NULL, false);
    *trace_at(f->r, NONE, 3, SICK) = -0.25;
    *trace_at(f->r, TREAT_PLUS, 0, WELL) = NAN;
    fx_verify(f);
    static const bool passed[N_CHECKS] = {false, false, true, true,
                                          true,  false, false};
    assert_passed(&f->checks, passed);
    assert_string_equal(f->checks.items[1].detail,
                        "strategy none, cycle 3: state sick has occupancy "
                        "-0.25, which probabilities within [0, 1] cannot "
                        "give (and 1 more)");
}

/* ---- check 3: absorbing states ---- */

static void
shrinking_absorbing_state_fails(void **state)
{
    struct fx *f = *state;
    fx_build(f, sound_model, NULL, false);
    double before = *trace_at(f->r, TREAT_PLUS, 4, DEAD);
    *trace_at(f->r, TREAT_PLUS, 5, DEAD) = before - 0.0078125;
    fx_verify(f);
    static const bool passed[N_CHECKS] = {false, true,  false, true,
                                          true,  false, false};
    assert_passed(&f->checks, passed);
    char want[256];
    snprintf(want, sizeof want,
             "strategy treat_plus, cycle 5: absorbing state dead fell from "
             "%.15g to %.15g",
             before, before - 0.0078125);
    assert_string_equal(f->checks.items[2].detail, want);
}

/* ---- check 4: identical strategies ---- */

/* A run with every strategy as its comparator, then one value changed:
 * what a ledger or engine that treated identical arms differently would
 * give. */
static void
unequal_identical_strategies_fail(void **state)
{
    struct fx *f = *state;
    fx_build(f, sound_model, NULL, false);
    size_t def[3];
    assert_true(ns_verify_same_definitions(f->model, def));
    struct ns_run_options opt = {.definition_of = def};
    struct ns_results *same = ns_results_alloc(f->model);
    assert_non_null(same);
    assert_int_equal(ns_model_run_opt(f->model, f->ws, same, &f->diags, &opt),
                     NS_OK);
    struct ns_checks checks = {0};
    assert_int_equal(ns_check_same_as_comparator(f->model, same, &checks),
                     NS_OK);
    assert_true(checks.items[0].passed);

    /* Run as its comparator, treat_plus gives treat's numbers exactly. */
    for (size_t j = 0; j < same->n_streams; j++)
        assert_close(same->total[TREAT_PLUS * same->n_streams + j],
                     same->total[TREAT * same->n_streams + j], 0.0);

    /* Extra police cost for treat_plus at point 4, discounted only. */
    size_t J = same->n_streams, i = (TREAT_PLUS * same->n_points + 4) * J;
    same->values_disc[i + POLICE] += 10.0;
    same->total_disc[TREAT_PLUS * J + POLICE] += 10.0;
    assert_int_equal(ns_check_same_as_comparator(f->model, same, &checks),
                     NS_OK);
    assert_int_equal(checks.n, 2);
    assert_string_equal(checks.items[1].name,
                        "identical strategies give zero increments");
    assert_false(checks.items[1].passed);
    char want[256];
    snprintf(want, sizeof want,
             "strategy treat_plus against treat: discounted total of police "
             "is %.15g, the comparator's %.15g (and 2 more)",
             same->total_disc[TREAT_PLUS * J + POLICE],
             same->total_disc[TREAT * J + POLICE]);
    /* The 2 more: the ledger, discounted, for all payers and "public"
     * (police is not in "health"). */
    assert_string_equal(checks.items[1].detail, want);

    /* The ledger alone: totals equal, values not. */
    same->total_disc[TREAT_PLUS * J + POLICE] -= 10.0;
    assert_int_equal(ns_check_same_as_comparator(f->model, same, &checks),
                     NS_OK);
    assert_string_equal(checks.items[2].detail,
                        "strategy treat_plus against treat, all payers, "
                        "discounted: net savings -10, savings -10, treatment "
                        "cost 0 (and 1 more)");
    ns_checks_clear(&checks);
    ns_results_free(same);
}

/* ---- check 5: zero discounting ---- */

/* An undiscounted total that is not what the run computed. */
static void
corrupt_total_fails_zero_discount(void **state)
{
    struct fx *f = *state;
    fx_build(f, sound_model, NULL, false);
    double *total = &f->r->total[TREAT * f->r->n_streams + NHS];
    double right = *total;
    *total += 0.5;
    fx_verify(f);
    static const bool passed[N_CHECKS] = {true, true,  true, true,
                                          false, false, false};
    assert_passed(&f->checks, passed);
    char want[256];
    snprintf(want, sizeof want,
             "strategy treat, stream nhs: undiscounted total %.15g, as "
             "written %.15g",
             right, right + 0.5);
    assert_string_equal(f->checks.items[4].detail, want);
    snprintf(want, sizeof want,
             "stream nhs not doubled, strategy treat: undiscounted total "
             "%.15g, expected %.15g (and 2 more)",
             right, right + 0.5);
    /* nhs is stream 2 (binary 10): not doubled in run 0, doubled in run 1,
     * not in run 2; the corrupt total fails all three. */
    assert_string_equal(f->checks.items[5].detail, want);
}

/* An engine that ignored zero_discount: its "zero" run is discounted. */
static void
discounting_left_on_fails_zero_discount(void **state)
{
    struct fx *f = *state;
    fx_build(f, sound_model, NULL, false);
    struct ns_checks checks = {0};
    assert_int_equal(ns_check_zero_discount(f->model, f->r, f->r, &checks),
                     NS_OK);
    assert_false(checks.items[0].passed);
    char want[256];
    snprintf(want, sizeof want,
             "strategy none, stream police, time point 1: discounted %.15g, "
             "undiscounted %.15g",
             ns_results_value(f->r, NONE, 1, POLICE, true),
             ns_results_value(f->r, NONE, 1, POLICE, false));
    assert_starts_with(checks.items[0].detail, want);
    ns_checks_clear(&checks);
}

/* ---- check 6: doubling a stream ---- */

/* A discounted total that is wrong: check 5 looks at undiscounted totals
 * only, so check 6 (and 7) must catch it. */
static void
corrupt_discounted_total_fails_doubling(void **state)
{
    struct fx *f = *state;
    fx_build(f, sound_model, NULL, false);
    double *total = &f->r->total_disc[TREAT_PLUS * f->r->n_streams + QALYS];
    double right = *total;
    *total *= 1.01;
    double wrong = *total;
    fx_verify(f);
    static const bool passed[N_CHECKS] = {true, true,  true, true,
                                          true, false, false};
    assert_passed(&f->checks, passed);
    char want[256];
    snprintf(want, sizeof want,
             "stream qalys not doubled, strategy treat_plus: discounted "
             "total %.15g, expected %.15g (and 2 more)",
             right, wrong);
    assert_string_equal(f->checks.items[5].detail, want);
}

/* ---- check 7: determinism ---- */

static void
corrupt_parameter_value_fails_rerun(void **state)
{
    struct fx *f = *state;
    fx_build(f, sound_model, NULL, false);
    long q = -1;
    for (size_t i = 0; i < f->model->n_params; i++)
        if (strcmp(f->model->params[i].name, "p_recover") == 0)
            q = (long)i;
    assert_true(q >= 0);
    f->r->param_values[TREAT * f->r->n_params + (size_t)q] = 0.2;
    fx_verify(f);
    static const bool passed[N_CHECKS] = {true, true, true, true,
                                          true, true, false};
    assert_passed(&f->checks, passed);
    assert_string_equal(f->checks.items[6].detail,
                        "strategy treat, parameter p_recover: again 0.1519, "
                        "first 0.2");
}

/* ---- runs that fail ---- */

/* Results of a failed run break the contract; re-runs fail the same way,
 * and that is reported rather than hidden. */
static void
failing_rerun_is_reported(void **state)
{
    struct fx *f = *state;
    char *text = malloc(sizeof sound_model);
    assert_non_null(text);
    strcpy(text, sound_model);
    /* p_sick above 1 - p_die_well from cycle 8 in every strategy. */
    char *p = strstr(text, "0.0013 * cycle");
    assert_non_null(p);
    memcpy(p, "0.1234", 6);
    fx_build(f, text, NULL, true);
    free(text);
    size_t before = f->diags.count;
    assert_true(before > 0);
    enum ns_status st =
        ns_verify_model(f->model, f->r, f->ws, &f->checks, &f->diags);
    assert_int_equal(st, NS_EMODEL);
    assert_true(f->diags.count > before);
    assert_int_equal(f->checks.n, N_CHECKS);
    for (size_t i = 3; i < N_CHECKS; i++) {
        assert_string_equal(f->checks.items[i].name, check_names[i]);
        assert_false(f->checks.items[i].passed);
        assert_string_equal(f->checks.items[i].detail,
                            "the model failed when run again for this check: "
                            "see the diagnostics");
    }
}

/* ---- the shipped England model ---- */

static void
england_model_passes_every_check(void **state)
{
    struct fx *f = *state;
    fx_build(f, NULL, "../params/england.ini", false);
    fx_verify(f);
    for (size_t i = 0; i < f->checks.n; i++)
        print_message("  %s: %s\n", f->checks.items[i].name,
                      f->checks.items[i].detail);
    assert_all_passed(&f->checks);
    assert_int_equal(f->diags.count, 0);
}

static void
england_subgroups_pass_every_check(void **state)
{
    (void)state;
    const char *files[] = {"../params/england.ini"};
    struct ns_model_source src = {files, 1, NULL, 0, NULL, 0, false};
    struct ns_params *params = NULL;
    struct ns_population *pop = NULL;
    struct ns_diags diags = {0};
    enum ns_status st = ns_params_build(&src, &params, &pop, &diags);
    if (st == NS_OK)
        st = ns_population_run(pop, &diags);
    if (st != NS_OK) {
        print_diags(&diags);
        fail_msg("running the England model failed: %s", ns_strerror(st));
    }
    assert_true(pop->n_groups > 1);
    for (size_t g = 0; g < pop->n_groups; g++) {
        struct ns_workspace *ws = ns_workspace_alloc(pop->models[g]);
        assert_non_null(ws);
        struct ns_checks checks = {0};
        st = ns_verify_model(pop->models[g], pop->results[g], ws, &checks,
                             &diags);
        assert_int_equal(st, NS_OK);
        assert_int_equal(checks.n, N_CHECKS);
        assert_all_passed(&checks);
        ns_checks_clear(&checks);
        ns_workspace_free(ws);
    }
    assert_int_equal(diags.count, 0);
    ns_diags_clear(&diags);
    ns_population_free(pop);
    ns_params_free(params);
}

#define T_(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int
main(void)
{
    feenableexcept(FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW);
    const struct CMUnitTest tests[] = {
        T_(sound_model_passes_every_check),
        cmocka_unit_test(same_definitions_follow_chains_and_cycles),
        T_(tolerated_leaky_row_is_renormalised),
        T_(corrupt_trace_fails_mass),
        T_(drift_within_tolerance_passes_mass),
        T_(negative_occupancy_fails_probabilities),
        T_(shrinking_absorbing_state_fails),
        T_(unequal_identical_strategies_fail),
        T_(corrupt_total_fails_zero_discount),
        T_(discounting_left_on_fails_zero_discount),
        T_(corrupt_discounted_total_fails_doubling),
        T_(corrupt_parameter_value_fails_rerun),
        T_(failing_rerun_is_reported),
        T_(england_model_passes_every_check),
        T_(england_subgroups_pass_every_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

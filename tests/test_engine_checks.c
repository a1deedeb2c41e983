/* netsave tests: what the engine refuses, end to end from INI text
 * (tests/engine_fixture.h): values that break a model at run time (a
 * probability above 1, a row not summing to 1, a division by zero), each
 * reported once with strategy, cycle and the defining line, and models
 * that compilation refuses (circular definitions, two complements, a state
 * without transitions).
 *
 * Diagnostics are compared as whole strings "file:line: message"; line
 * numbers are found by searching the INI text for the defining line. */
#include "tests/engine_fixture.h"

/* ---- run-time checks ---- */

/* A model with two strategies for run-time errors; %s replaces the
 * transitions from well and %s adds lines to [parameters.trt]. */
#define ERRORS_FMT                                                           \
    "[model]\n"                                                              \
    "cycle_length = 1\n"                                                     \
    "n_cycles = 6\n"                                                         \
    "[discount]\n"                                                           \
    "costs = 0\n"                                                            \
    "[states]\n"                                                             \
    "well = Well\n"                                                          \
    "sick = Sick\n"                                                          \
    "dead = Dead\n"                                                          \
    "[strategies]\n"                                                         \
    "soc = Standard care\n"                                                  \
    "trt = Treatment\n"                                                      \
    "[initial]\n"                                                            \
    "well = 1\n"                                                             \
    "[parameters]\n"                                                         \
    "p_ws = 0.0731\n"                                                        \
    "[parameters.trt]\n"                                                     \
    "%s"                                                                     \
    "[transitions]\n"                                                        \
    "%s"                                                                     \
    "sick -> dead = 0.1537\n"                                                \
    "sick -> sick = C\n"                                                     \
    "dead -> dead = 1\n"                                                     \
    "[stream.cost]\n"                                                        \
    "outcome = costs\n"                                                      \
    "sick = 5678.9 / (7 - cycle)\n"                                          \
    "default = 0\n"

static const char *
errors_model(const char *trt_params, const char *well_rows)
{
    int n = snprintf(text_buf, sizeof text_buf, ERRORS_FMT, trt_params,
                     well_rows);
    assert_true(n > 0 && (size_t)n < sizeof text_buf);
    return text_buf;
}

/* A probability expression giving 1.3 in strategy trt from cycle 4: the
 * run fails with one diagnostic naming strategy, cycle and value; soc is
 * unaffected. */
static void
test_run_probability_above_one(void **state)
{
    struct fx *f = *state;
    const char *text = errors_model("p_ws = if(cycle < 4, 0.0731, 0.5 + 0.8)\n",
                                    "well -> sick = p_ws\n"
                                    "well -> dead = 0.0114\n"
                                    "well -> well = C\n");
    assert_int_equal(fx_run(f, text, NULL), NS_EMODEL);
    assert_int_equal(f->diags.count, 1);
    char expect[512];
    snprintf(expect, sizeof expect,
             "test.ini:%d: transition well -> sick must be a probability "
             "between 0 and 1, got 1.3, in strategy trt, cycle 4",
             line_of(text, "well -> sick ="));
    assert_string_equal(diag_text(f, 0), expect);
    /* soc ran to the end: well after 6 cycles is (1 - 0.0731 - 0.0114)^6. */
    assert_close(ns_results_trace(f->r, strategy_ix(f, "soc"), 6,
                                  state_ix(f, "well")),
                 pow(1.0 - 0.0731 - 0.0114, 6.0), TOL);
}

/* Without a complement, a row summing to 0.95 is an error. */
static void
test_run_row_sum_not_one(void **state)
{
    struct fx *f = *state;
    const char *text = errors_model("", "well -> sick = 0.4321\n"
                                        "well -> dead = 0.0179\n"
                                        "well -> well = 0.5\n");
    assert_int_equal(fx_run(f, text, NULL), NS_EMODEL);
    /* Both strategies fail in cycle 1, in order. */
    assert_int_equal(f->diags.count, 2);
    static const char *const k[2] = {"soc", "trt"};
    for (size_t i = 0; i < 2; i++) {
        char expect[512];
        snprintf(expect, sizeof expect,
                 "test.ini:%d: the probabilities from state well sum to "
                 "0.95, not 1 (tolerance 1e-09), in strategy %s, cycle 1",
                 line_of(text, "well -> sick ="), k[i]);
        assert_string_equal(diag_text(f, i), expect);
    }
}

/* A complement that would be negative: from cycle 3 the other
 * probabilities sum to 0.6121 + 0.4379 = 1.05. */
static void
test_run_negative_complement(void **state)
{
    struct fx *f = *state;
    const char *text = errors_model(
        "", "well -> sick = 0.6121\n"
            "well -> dead = if(cycle <= 2, 0.0379, 0.4379)\n"
            "well -> well = C\n");
    assert_int_equal(fx_run(f, text, NULL), NS_EMODEL);
    assert_int_equal(f->diags.count, 2);
    static const char *const k[2] = {"soc", "trt"};
    for (size_t i = 0; i < 2; i++) {
        char expect[512];
        snprintf(expect, sizeof expect,
                 "test.ini:%d: transition well -> well: the complement would "
                 "be -0.05 because the other probabilities from state well "
                 "sum to 1.05, in strategy %s, cycle 3",
                 line_of(text, "well -> well = C"), k[i]);
        assert_string_equal(diag_text(f, i), expect);
    }
}

/* 0.0114 / (4 - cycle) divides by zero in cycle 4 ('/' is column 8). */
static void
test_run_division_by_zero_in_transition(void **state)
{
    struct fx *f = *state;
    const char *text = errors_model("", "well -> sick = p_ws\n"
                                        "well -> dead = 0.0114 / (4 - cycle)\n"
                                        "well -> well = C\n");
    assert_int_equal(fx_run(f, text, NULL), NS_EMODEL);
    assert_int_equal(f->diags.count, 2);
    static const char *const k[2] = {"soc", "trt"};
    for (size_t i = 0; i < 2; i++) {
        char expect[512];
        snprintf(expect, sizeof expect,
                 "test.ini:%d: transition well -> dead: division by zero at "
                 "column 8, in strategy %s, cycle 4",
                 line_of(text, "well -> dead ="), k[i]);
        assert_string_equal(diag_text(f, i), expect);
    }
}

/* The cost of sick, 5678.9 / (7 - cycle), divides by zero at time point 7
 * once the horizon reaches it ('/' is column 8). */
static void
test_run_division_by_zero_in_value(void **state)
{
    struct fx *f = *state;
    char text[sizeof text_buf];
    const char *base = errors_model("", "well -> sick = p_ws\n"
                                        "well -> dead = 0.0114\n"
                                        "well -> well = C\n");
    const char *at = strstr(base, "n_cycles = 6");
    assert_non_null(at);
    snprintf(text, sizeof text, "%.*sn_cycles = 8%s", (int)(at - base), base,
             at + strlen("n_cycles = 6"));
    assert_int_equal(fx_run(f, text, NULL), NS_EMODEL);
    assert_int_equal(f->diags.count, 2);
    static const char *const k[2] = {"soc", "trt"};
    for (size_t i = 0; i < 2; i++) {
        char expect[512];
        snprintf(expect, sizeof expect,
                 "test.ini:%d: stream cost, state sick: division by zero at "
                 "column 8, in strategy %s, time point 7",
                 line_of(text, "sick = 5678.9"), k[i]);
        assert_string_equal(diag_text(f, i), expect);
    }
}

/* ---- compile-time checks ---- */

/* a -> b -> a is reported once (not once per strategy), naming the loop,
 * at the definition of the parameter where the search entered it. */
static void
test_compile_circular_definition(void **state)
{
    struct fx *f = *state;
    static const char text[] =
        "[model]\n"
        "cycle_length = 1\n"
        "n_cycles = 4\n"
        "[discount]\n"
        "costs = 0\n"
        "[states]\n"
        "alive = Alive\n"
        "dead = Dead\n"
        "[strategies]\n"
        "soc = Standard care\n"
        "trt = Treatment\n"
        "[initial]\n"
        "alive = 1\n"
        "[parameters]\n"
        "a = b * 0.5 + 0.0123\n"
        "b = a + 0.0456\n"
        "[transitions]\n"
        "alive -> dead = a\n"
        "alive -> alive = C\n"
        "dead -> dead = 1\n"
        "[stream.cost]\n"
        "outcome = costs\n"
        "default = 1234.5\n";
    assert_int_equal(fx_compile(f, text, NULL), NS_EPARAM);
    assert_null(f->model);
    assert_int_equal(f->diags.count, 1);
    char expect[256];
    snprintf(expect, sizeof expect,
             "test.ini:%d: circular definition: a -> b -> a",
             line_of(text, "a = b"));
    assert_string_equal(diag_text(f, 0), expect);
}

/* Two complements from one state. */
static void
test_compile_two_complements(void **state)
{
    struct fx *f = *state;
    const char *text = errors_model("", "well -> sick = 0.0731\n"
                                        "well -> well = C\n"
                                        "well -> dead = C\n");
    assert_int_equal(fx_compile(f, text, NULL), NS_EPARAM);
    assert_null(f->model);
    assert_true(f->diags.count >= 1);
    char expect[512];
    snprintf(expect, sizeof expect,
             "test.ini:%d: transition well -> dead: a second complement (C) "
             "from state well; a row may have only one",
             line_of(text, "well -> dead = C"));
    /* The row is shared by both strategies, and reported once. */
    assert_int_equal(f->diags.count, 1);
    assert_string_equal(diag_text(f, 0), expect);
}

/* A state without transitions (here sick, in a one-strategy model). */
static void
test_compile_state_without_transitions(void **state)
{
    struct fx *f = *state;
    static const char text[] =
        "[model]\n"
        "cycle_length = 1\n"
        "n_cycles = 4\n"
        "[discount]\n"
        "costs = 0\n"
        "[states]\n"
        "well = Well\n"
        "sick = Sick\n"
        "dead = Dead\n"
        "[strategies]\n"
        "base = Base\n"
        "[initial]\n"
        "well = 1\n"
        "[transitions]\n"
        "well -> sick = 0.0731\n"
        "well -> well = C\n"
        "dead -> dead = 1\n"
        "[stream.cost]\n"
        "outcome = costs\n"
        "default = 1234.5\n";
    assert_int_equal(fx_compile(f, text, NULL), NS_EPARAM);
    assert_null(f->model);
    assert_int_equal(f->diags.count, 1);
    char expect[256];
    snprintf(expect, sizeof expect,
             "test.ini:%d: state sick has no transitions; an absorbing state "
             "needs sick -> sick = 1",
             line_of(text, "sick = Sick"));
    assert_string_equal(diag_text(f, 0), expect);
}

#define T_(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T_(test_run_probability_above_one),
        T_(test_run_row_sum_not_one),
        T_(test_run_negative_complement),
        T_(test_run_division_by_zero_in_transition),
        T_(test_run_division_by_zero_in_value),
        T_(test_compile_circular_definition),
        T_(test_compile_two_complements),
        T_(test_compile_state_without_transitions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

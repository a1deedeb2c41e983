/* netsave tests: what the engine core reads of the analyst's numbers.
 * One strict number parser (model/number.h) serves every layer. Before it moved into the engine core, a correlation, a Dirichlet
 * count and a target's arm weight were read with bare strtod, so
 * "0x0.8p0" (hexadecimal 0.5) passed there while a CSV table refused it
 * ("inf" and "nan" were caught only by the range checks after strtod).
 * Correlations that cannot hold together are reported without GSL's
 * process-wide error handler being touched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"

#include <gsl/gsl_errno.h>

#include "model/model.h"
#include "model/number.h"
#include "params/csv_table.h"
#include "params/params.h"

/* Texts strtod reads as numbers and no analyst means as one. */
static const char *const not_numbers[] = {"0x0.8p0", "inf", "nan"};
#define N_NOT (sizeof not_numbers / sizeof not_numbers[0])

static const char model_text[] =
    "[model]\n"
    "cycle_length = 1\n"
    "n_cycles = 2\n"
    "[discount]\n"
    "costs = 0\n"
    "[states]\n"
    "well = Well\n"
    "dead = Dead\n"
    "[strategies]\n"
    "a = A\n"
    "b = B\n"
    "[initial]\n"
    "well = 1\n"
    "[parameters]\n"
    "p = 0.1\n"
    "c = 100\n"
    "share = 0.5\n"
    "q = 0.3\n"
    "[uncertainty]\n"
    "p = beta(0.1, 0.02)\n"
    "c = normal(100, 10)\n"
    "q = beta(0.3, 0.05)\n"
    "[transitions]\n"
    "well -> dead = p\n"
    "well -> well = C\n"
    "dead -> dead = 1\n"
    "[stream.cost]\n"
    "outcome = costs\n"
    "well = c\n"
    "dead = 0\n"
    "[measures]\n"
    "alive = well\n";

static void
test_parser_refuses_what_strtod_takes(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_NOT; i++) {
        double v = 7.0;
        assert_int_equal(ns_parse_number(not_numbers[i], &v), NS_EPARAM);
        assert_close(v, 7.0, 0.0);
    }
    double v = 0.0;
    assert_int_equal(ns_parse_number(" 2.5e-1 ", &v), NS_OK);
    assert_close(v, 0.25, 0.0);
    assert_int_equal(ns_parse_number("", &v), NS_EPARAM);
    assert_int_equal(ns_parse_number("1,5", &v), NS_EPARAM);
    assert_int_equal(ns_parse_number("1e999", &v), NS_EPARAM);
    assert_int_equal(ns_parse_number("1e-999", &v), NS_OK);
}

/* Loads the model, lets add() put one more entry into its definition,
 * compiles, and returns whether a diagnostic contains expected. */
static bool
compile_reports(void (*add)(struct ns_model_def *, const char *),
                const char *text, const char *expected)
{
    struct ns_params *params = ns_params_alloc();
    struct ns_diags diags = {0};
    assert_non_null(params);
    assert_int_equal(ns_params_load_text(params, "t.ini", model_text,
                                         strlen(model_text), NULL, &diags),
                     NS_OK);
    assert_int_equal(ns_params_finish(params, &diags), NS_OK);
    add(&params->def, text);
    struct ns_model *m = NULL;
    enum ns_status st = ns_model_compile(&params->def, &m, &diags);
    bool found = false;
    for (size_t i = 0; i < diags.count; i++)
        found |= strstr(diags.items[i].text, expected) != NULL;
    if (!found)
        for (size_t i = 0; i < diags.count; i++)
            print_error("diagnostic: %s\n", diags.items[i].text);
    assert_true(found == (st == NS_EPARAM));
    ns_model_free(m);
    ns_diags_clear(&diags);
    ns_params_free(params);
    return found;
}

static const struct ns_origin here = {"t.ini", 99};

static void
add_correlation(struct ns_model_def *def, const char *rho)
{
    assert_int_equal(ns_def_add_correlation(def, "p ~ c", rho, here), NS_OK);
}

static void
add_dirichlet(struct ns_model_def *def, const char *alpha)
{
    assert_int_equal(ns_def_add_dirichlet(def, "g", "share", alpha, here),
                     NS_OK);
}

static void
add_target(struct ns_model_def *def, const char *weight)
{
    char arms[64];
    snprintf(arms, sizeof arms, "a:%s + b:1", weight);
    struct ns_def_target t = {.time_years = 1.0, .arms = arms,
                              .measure = (char *)"alive", .observed = 0.5,
                              .tolerance = 0.1, .grade = (char *)"B",
                              .followed_up = 1.0,
                              .at = here};
    assert_int_equal(ns_def_add_target(def, &t), NS_OK);
}

/* add() with a good number compiles without a diagnostic; with each of
 * not_numbers, "PREFIX'TEXT" is reported. */
static void
refuses_every_one(void (*add)(struct ns_model_def *, const char *),
                  const char *good, const char *prefix)
{
    assert_false(compile_reports(add, good, prefix));
    for (size_t i = 0; i < N_NOT; i++) {
        char expected[160];
        snprintf(expected, sizeof expected, "%s'%s", prefix, not_numbers[i]);
        assert_true(compile_reports(add, not_numbers[i], expected));
    }
}

static void
test_correlation_refused(void **state)
{
    (void)state;
    refuses_every_one(add_correlation, "0.5",
                      "correlation p ~ c must be a number between -1 and 1, "
                      "got ");
}

static void
test_dirichlet_count_refused(void **state)
{
    (void)state;
    refuses_every_one(add_dirichlet, "20",
                      "dirichlet.g: share must be a count above 0, got ");
}

static void
test_target_weight_refused(void **state)
{
    (void)state;
    refuses_every_one(add_target, "3",
                      "target: weight of 'a' must be a number above 0, got ");
}

/* Correlations p ~ c, p ~ q and c ~ q (three entries, or none with
 * NULL texts). */
static const char *three_rho[3];

static void
add_three(struct ns_model_def *def, const char *unused)
{
    (void)unused;
    const char *pairs[3] = {"p ~ c", "p ~ q", "c ~ q"};
    for (size_t i = 0; i < 3; i++)
        if (three_rho[i])
            assert_int_equal(ns_def_add_correlation(def, pairs[i],
                                                    three_rho[i], here),
                             NS_OK);
}

static int handler_calls;

static void
counting_handler(const char *reason, const char *file, int line, int err)
{
    (void)reason;
    (void)file;
    (void)line;
    (void)err;
    handler_calls++;
}

/* Correlations that cannot hold together (p and q close, c and q
 * opposite, p and c close) are a diagnostic, with GSL's default error
 * handler in place (it aborts the test if it fires): the library checks
 * the matrix itself rather than switching the process-wide handler off. A
 * strong but possible correlation still compiles. */
static void
test_impossible_correlations_reported(void **state)
{
    (void)state;
    const char *impossible[3] = {"0.9", "0.9", "-0.9"};
    memcpy(three_rho, impossible, sizeof three_rho);
    assert_true(compile_reports(add_three, NULL,
                                "the correlations together are impossible "
                                "(the matrix is not positive definite)"));
    const char *strong[3] = {"0.99999", NULL, NULL};
    memcpy(three_rho, strong, sizeof three_rho);
    assert_false(compile_reports(add_three, NULL, "correlation"));
    /* With a handler that counts, nothing calls it and it stays set. */
    gsl_set_error_handler(counting_handler);
    memcpy(three_rho, impossible, sizeof three_rho);
    assert_true(compile_reports(add_three, NULL, "impossible"));
    assert_int_equal(handler_calls, 0);
    assert_ptr_equal(gsl_set_error_handler(NULL), counting_handler);
}

/* The same texts in a CSV table are refused by the same parser. */
static void
test_csv_cell_refused(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_NOT; i++) {
        char csv[128], expected[128];
        snprintf(csv, sizeof csv, "age,value\n0,0.25\n1,%s\n",
                 not_numbers[i]);
        snprintf(expected, sizeof expected,
                 "column 'value' must be a number, got '%s'", not_numbers[i]);
        double *x = NULL, *y = NULL;
        size_t n = 0;
        struct ns_diags diags = {0};
        assert_int_equal(ns_csv_table_parse("t.csv", csv, strlen(csv), "age",
                                            "value", &x, &y, &n, &diags),
                         NS_EPARAM);
        assert_int_equal(diags.count, 1);
        assert_string_equal(diags.items[0].text, expected);
        free(x);
        free(y);
        ns_diags_clear(&diags);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parser_refuses_what_strtod_takes),
        cmocka_unit_test(test_correlation_refused),
        cmocka_unit_test(test_dirichlet_count_refused),
        cmocka_unit_test(test_target_weight_refused),
        cmocka_unit_test(test_csv_cell_refused),
        cmocka_unit_test(test_impossible_correlations_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

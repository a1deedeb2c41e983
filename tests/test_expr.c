/* netsave tests: expression compiler and evaluator (model/expr.h).
 *
 * Unless a comment says otherwise, each expected value is the same
 * arithmetic written as a C expression next to the text being tested
 * (e.g. text "0.0731*2.385+1.7", expected 0.0731 * 2.385 + 1.7), or a
 * small value worked out by hand; both are independent of the parser.
 * Inputs are deliberately irregular numbers so that a wrong operator,
 * operand order or precedence cannot produce the right answer by luck.
 * The last test generates random expression trees, prints them as text
 * and checks the compiled program against a direct evaluation of the
 * tree. */
#include "model/expr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"

/* Variable slots are deliberately not in name order, so the sorted
 * listing from ns_expr_variable() is distinguishable from source order. */
enum {
    SLOT_P_SICK = 0,
    SLOT_Y = 2,
    SLOT_AGE = 4,
    SLOT_X = 7,
    SLOT_RR = 9,
    SLOT_A = 10,
    SLOT_B = 11,
    SLOT_C = 12,
    SLOT_D = 13,
    N_SLOTS = 14
};

enum {
    TABLE_COST = 0,
    TABLE_LIFE = 1,
    TABLE_ONE = 2,
    TABLE_WIDE = 3,
    TABLE_DEFLATOR = 4
};

static const struct {
    const char *name;
    long slot;
} variable_names[] = {
    {"p_sick", SLOT_P_SICK}, {"y", SLOT_Y}, {"age", SLOT_AGE},
    {"x", SLOT_X},           {"rr", SLOT_RR}, {"a", SLOT_A},
    {"b", SLOT_B},           {"c", SLOT_C},   {"d", SLOT_D},
};

static const struct {
    const char *name;
    long index;
} table_names[] = {
    {"cost_by_age", TABLE_COST},
    {"lifetable", TABLE_LIFE},
    {"one_row", TABLE_ONE},
    {"wide", TABLE_WIDE},
    {"deflator", TABLE_DEFLATOR},
};

/* Returns true when the counted name equals the NUL-terminated one. */
static bool
name_is(const char *name, size_t len, const char *want)
{
    return strlen(want) == len && memcmp(name, want, len) == 0;
}

/* Resolves the test variables. */
static long
test_variable(void *ctx, const char *name, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < sizeof variable_names / sizeof variable_names[0];
         i++)
        if (name_is(name, len, variable_names[i].name))
            return variable_names[i].slot;
    return -1;
}

/* Resolves the test tables. */
static long
test_table(void *ctx, const char *name, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < sizeof table_names / sizeof table_names[0]; i++)
        if (name_is(name, len, table_names[i].name))
            return table_names[i].index;
    return -1;
}

/* Suggests "p_sick" for "p_sik" and nothing for anything else; counts its
 * calls in *ctx when ctx is not NULL. */
static const char *
test_suggest(void *ctx, const char *name, size_t len)
{
    if (ctx != NULL)
        ++*(int *)ctx;
    return name_is(name, len, "p_sik") ? "p_sick" : NULL;
}

static const struct ns_expr_resolver resolver = {
    .ctx = NULL,
    .variable = test_variable,
    .table = test_table,
    .suggest = test_suggest,
};

static const struct ns_expr_resolver resolver_no_suggest = {
    .ctx = NULL,
    .variable = test_variable,
    .table = NULL,
    .suggest = NULL,
};

/* Life table: annual mortality from age 15; cost table: one row per key. */
static const double life_x[] = {15.0, 25.0, 45.0, 65.0, 85.0};
static const double life_y[] = {0.0006, 0.0011, 0.0034, 0.0121, 0.0719};
static const double cost_x[] = {0.0, 18.0, 65.0};
static const double cost_y[] = {812.5, 1234.75, 2051.25};
static const double one_x[] = {3.5};
static const double one_y[] = {-7.25};
static double wide_x[101];
static double wide_y[101];
/* A price index read exactly: a year it does not cover has no value. */
static const double defl_x[] = {2015.0, 2016.0, 2017.0};
static const double defl_y[] = {100.0, 101.9, 103.8};

static const struct ns_table tables[] = {
    [TABLE_COST] = {NULL, 3, cost_x, cost_y, false},
    [TABLE_LIFE] = {NULL, 5, life_x, life_y, false},
    [TABLE_ONE] = {NULL, 1, one_x, one_y, false},
    [TABLE_WIDE] = {NULL, 101, wide_x, wide_y, false},
    [TABLE_DEFLATOR] = {"deflator", 3, defl_x, defl_y, true},
};

/* Returns the variable values the tests evaluate with. */
static void
default_variables(double v[N_SLOTS])
{
    for (size_t i = 0; i < N_SLOTS; i++)
        v[i] = -1e6; /* unused slots: wildly wrong if read by mistake */
    v[SLOT_P_SICK] = 0.0412;
    v[SLOT_Y] = 0.0731;
    v[SLOT_AGE] = 47.3;
    v[SLOT_X] = 2.385;
    v[SLOT_RR] = 0.83;
}

/* Compiles text with the given resolver, asserting success. */
static struct ns_expr *
compile_with(const char *text, const struct ns_expr_resolver *r)
{
    struct ns_expr *e = NULL;
    char err[256] = "";
    enum ns_status st = ns_expr_compile(text, r, &e, err, sizeof err);
    if (st != NS_OK)
        fail_msg("compiling \"%s\": status %d, %s", text, (int)st, err);
    assert_non_null(e);
    return e;
}

/* Compiles and evaluates text with the given variables, asserting
 * success, and returns the value. */
static double
eval_vars(const char *text, const double *vars)
{
    struct ns_expr *e = compile_with(text, &resolver);
    struct ns_expr_fault fault;
    double v = 0.0;
    enum ns_status st = ns_expr_eval(e, vars, tables, &v, &fault);
    if (st != NS_OK)
        fail_msg("evaluating \"%s\": status %d, fault %d at column %zu: %s",
                 text, (int)st, (int)fault.kind, fault.column, fault.detail);
    ns_expr_free(e);
    return v;
}

/* eval_vars with the default variables. */
static double
eval_ok(const char *text)
{
    double vars[N_SLOTS];
    default_variables(vars);
    return eval_vars(text, vars);
}

/* Asserts that text fails to compile with exactly the given message. */
static void
expect_error_with(const char *text, const struct ns_expr_resolver *r,
                  const char *message)
{
    struct ns_expr *e = (struct ns_expr *)&e; /* must be reset to NULL */
    char err[256];
    memset(err, 'X', sizeof err);
    enum ns_status st = ns_expr_compile(text, r, &e, err, sizeof err);
    assert_int_equal(st, NS_EPARAM);
    assert_null(e);
    assert_string_equal(err, message);
}

/* expect_error_with the full test resolver. */
static void
expect_error(const char *text, const char *message)
{
    expect_error_with(text, &resolver, message);
}

/* Compiles text, which must then fail to evaluate with the default
 * variables; asserts the fault kind, column and detail. */
static void
expect_fault_vars(const char *text, const double *vars,
                  enum ns_fault_kind kind, size_t column, const char *detail)
{
    struct ns_expr *e = compile_with(text, &resolver);
    struct ns_expr_fault fault;
    double v = 12345.0;
    memset(&fault, 0, sizeof fault);
    assert_int_equal(ns_expr_eval(e, vars, tables, &v, &fault), NS_EMODEL);
    assert_int_equal(fault.kind, kind);
    assert_int_equal(fault.column, column);
    assert_string_equal(fault.detail, detail);
    ns_expr_free(e);
}

/* expect_fault_vars with the default variables. */
static void
expect_fault(const char *text, enum ns_fault_kind kind, size_t column,
             const char *detail)
{
    double vars[N_SLOTS];
    default_variables(vars);
    expect_fault_vars(text, vars, kind, column, detail);
}

/* ---- precedence and associativity ---- */

static void
test_mul_binds_tighter_than_add(void **state)
{
    (void)state;
    assert_close(eval_ok("0.0731*2.385+1.7"), 0.0731 * 2.385 + 1.7, 1e-15);
    assert_close(eval_ok("1.7+0.0731*2.385"), 1.7 + 0.0731 * 2.385, 1e-15);
    assert_close(eval_ok("1.7-0.0731/2.385"), 1.7 - 0.0731 / 2.385, 1e-15);
}

static void
test_parentheses_override_precedence(void **state)
{
    (void)state;
    assert_close(eval_ok("(1.7+0.0731)*2.385"), (1.7 + 0.0731) * 2.385,
                 1e-15);
    assert_close(eval_ok("((((2.385))))"), 2.385, 0.0);
}

static void
test_unary_minus_binds_looser_than_power(void **state)
{
    (void)state;
    assert_close(eval_ok("-2^2"), -4.0, 0.0);
    assert_close(eval_ok("-x^2"), -(2.385 * 2.385), 1e-15);
    assert_close(eval_ok("(-2)^2"), 4.0, 0.0);
}

static void
test_power_is_right_associative(void **state)
{
    (void)state;
    assert_close(eval_ok("2^3^2"), 512.0, 0.0); /* 2^9, not 8^2 = 64 */
}

static void
test_power_takes_signed_exponent(void **state)
{
    (void)state;
    assert_close(eval_ok("2^-1"), 0.5, 0.0);
    assert_close(eval_ok("2.385^-0.5"), 1.0 / sqrt(2.385), 1e-15);
    assert_close(eval_ok("2^+3"), 8.0, 0.0);
}

static void
test_power_binds_tighter_than_mul(void **state)
{
    (void)state;
    assert_close(eval_ok("3.5*2^3"), 28.0, 0.0);
    assert_close(eval_ok("2^3*3.5"), 28.0, 0.0);
    assert_close(eval_ok("1.5^2/0.25"), 9.0, 0.0);
}

static void
test_sub_and_div_are_left_associative(void **state)
{
    (void)state;
    assert_close(eval_ok("7.3-2.1-1.05"), (7.3 - 2.1) - 1.05, 1e-15);
    assert_close(eval_ok("9.6/2.4/1.6"), (9.6 / 2.4) / 1.6, 1e-15);
    assert_close(eval_ok("9.6/2.4*1.6"), (9.6 / 2.4) * 1.6, 1e-15);
}

static void
test_unary_operators(void **state)
{
    (void)state;
    assert_close(eval_ok("--2.5"), 2.5, 0.0);
    assert_close(eval_ok("+0.0731"), 0.0731, 0.0);
    assert_close(eval_ok("-(1.25-3.5)"), 2.25, 0.0);
    assert_close(eval_ok("2.385*-3"), -7.155, 1e-15);
    assert_close(eval_ok("!0"), 1.0, 0.0);
    assert_close(eval_ok("!2.385"), 0.0, 0.0);
    assert_close(eval_ok("!-0.0731"), 0.0, 0.0);
    assert_close(eval_ok("!!0.5"), 1.0, 0.0);
}

static void
test_not_binds_tighter_than_add(void **state)
{
    (void)state;
    /* (!1) + 1 = 1, whereas !(1 + 1) would be 0. */
    assert_close(eval_ok("!1 + 1"), 1.0, 0.0);
}

static void
test_comparison_binds_looser_than_sum(void **state)
{
    (void)state;
    /* (1 + 2) < (2 + 0.5) is 0; 1 + (2 < 2) + 0.5 would be 1.5. */
    assert_close(eval_ok("1 + 2 < 2 + 0.5"), 0.0, 0.0);
    assert_close(eval_ok("0.0731 * 3 > 0.2"), 1.0, 0.0);
}

static void
test_and_binds_tighter_than_or(void **state)
{
    (void)state;
    /* 1 || (0 && 0) = 1; (1 || 0) && 0 would be 0. */
    assert_close(eval_ok("1 || 0 && 0"), 1.0, 0.0);
    assert_close(eval_ok("0 && 0 || 1"), 1.0, 0.0);
}

static void
test_comparison_binds_tighter_than_and(void **state)
{
    (void)state;
    assert_close(eval_ok("1 < 2 && 3 < 2"), 0.0, 0.0);
    assert_close(eval_ok("2.385 > 2 && 0.0731 < 0.1"), 1.0, 0.0);
}

/* ---- operators ---- */

static void
test_comparisons(void **state)
{
    (void)state;
    assert_close(eval_ok("0.0731 < 2.385"), 1.0, 0.0);
    assert_close(eval_ok("2.385 < 0.0731"), 0.0, 0.0);
    assert_close(eval_ok("2.385 < 2.385"), 0.0, 0.0);
    assert_close(eval_ok("2.385 <= 2.385"), 1.0, 0.0);
    assert_close(eval_ok("2.386 <= 2.385"), 0.0, 0.0);
    assert_close(eval_ok("2.385 > 0.0731"), 1.0, 0.0);
    assert_close(eval_ok("2.385 > 2.385"), 0.0, 0.0);
    assert_close(eval_ok("2.385 >= 2.385"), 1.0, 0.0);
    assert_close(eval_ok("2.384 >= 2.385"), 0.0, 0.0);
    assert_close(eval_ok("x == 2.385"), 1.0, 0.0);
    assert_close(eval_ok("x == 2.3851"), 0.0, 0.0);
    assert_close(eval_ok("x != 2.3851"), 1.0, 0.0);
    assert_close(eval_ok("x != 2.385"), 0.0, 0.0);
    assert_close(eval_ok("-0 == 0"), 1.0, 0.0);
}

static void
test_logic_gives_zero_or_one(void **state)
{
    (void)state;
    assert_close(eval_ok("2.385 && 0.0731"), 1.0, 0.0);
    assert_close(eval_ok("2.385 && 0"), 0.0, 0.0);
    assert_close(eval_ok("0 && 2.385"), 0.0, 0.0);
    assert_close(eval_ok("0 || 0.0731"), 1.0, 0.0);
    assert_close(eval_ok("-4.5 || 0"), 1.0, 0.0);
    assert_close(eval_ok("0 || 0"), 0.0, 0.0);
    assert_close(eval_ok("1 && 1 && 0.5"), 1.0, 0.0);
    assert_close(eval_ok("0 || 0 || 0 || 7"), 1.0, 0.0);
    /* False is +0 even when the operand was -0. */
    assert_false(signbit(eval_ok("-0 && 1")));
}

static void
test_and_short_circuits(void **state)
{
    (void)state;
    assert_close(eval_ok("0 && 1/0"), 0.0, 0.0);
    /* x = 2.385, so log(-x) would fault if it were evaluated. */
    assert_close(eval_ok("x < 0 && log(-x) > 1"), 0.0, 0.0);
}

static void
test_or_short_circuits(void **state)
{
    (void)state;
    assert_close(eval_ok("1 || 1/0"), 1.0, 0.0);
    assert_close(eval_ok("x > 0 || sqrt(-x)"), 1.0, 0.0);
}

static void
test_logic_evaluates_right_side_when_needed(void **state)
{
    (void)state;
    expect_fault("1 && 1/0", NS_FAULT_DIV_ZERO, 7, "division by zero");
    expect_fault("0 || 1/0", NS_FAULT_DIV_ZERO, 7, "division by zero");
}

/* ---- functions ---- */

static void
test_exp_log_sqrt(void **state)
{
    (void)state;
    /* Expected values from libm: the point is that each name calls the
     * right function with the right argument. */
    assert_close(eval_ok("exp(0.0731)"), exp(0.0731), 1e-15);
    assert_close(eval_ok("log(2.385)"), log(2.385), 1e-15);
    assert_close(eval_ok("sqrt(2.385)"), sqrt(2.385), 1e-15);
    assert_close(eval_ok("exp(log(2.385))"), 2.385, 1e-14);
    assert_close(eval_ok("sqrt(6.25)"), 2.5, 0.0);
    assert_close(eval_ok("log(1)"), 0.0, 0.0);
}

static void
test_abs_floor_ceil(void **state)
{
    (void)state;
    assert_close(eval_ok("abs(-2.385)"), 2.385, 0.0);
    assert_close(eval_ok("abs(0.0731)"), 0.0731, 0.0);
    assert_close(eval_ok("floor(2.385)"), 2.0, 0.0);
    assert_close(eval_ok("floor(-2.385)"), -3.0, 0.0);
    assert_close(eval_ok("ceil(2.385)"), 3.0, 0.0);
    assert_close(eval_ok("ceil(-2.385)"), -2.0, 0.0);
    assert_close(eval_ok("floor(4)"), 4.0, 0.0);
}

static void
test_min_max(void **state)
{
    (void)state;
    assert_close(eval_ok("min(2.385, 0.0731)"), 0.0731, 0.0);
    assert_close(eval_ok("min(0.0731, 2.385)"), 0.0731, 0.0);
    assert_close(eval_ok("max(2.385, 0.0731)"), 2.385, 0.0);
    assert_close(eval_ok("max(-2.385, -0.0731)"), -0.0731, 0.0);
    assert_close(eval_ok("min(4.5, -1.25, 3, 0.0731)"), -1.25, 0.0);
    assert_close(eval_ok("max(4.5, -1.25, 7.75, 0.0731)"), 7.75, 0.0);
    assert_close(eval_ok("max(min(x, y), 0.01)"), 0.0731, 0.0);
}

static void
test_min_many_arguments_do_not_deepen_stack(void **state)
{
    (void)state;
    /* 200 arguments: pushing them all would need 200 stack slots. */
    char text[2048];
    size_t n = (size_t)snprintf(text, sizeof text, "min(");
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s%d",
                              i ? "," : "", 300 - i);
    snprintf(text + n, sizeof text - n, ")");
    assert_close(eval_ok(text), 101.0, 0.0);
}

static void
test_rate_to_prob(void **state)
{
    (void)state;
    assert_close(eval_ok("rate_to_prob(0.0731, 2.385)"),
                 1.0 - exp(-0.0731 * 2.385), 1e-14);
    assert_close(eval_ok("rate_to_prob(0, 2.385)"), 0.0, 0.0);
}

static void
test_prob_to_rate(void **state)
{
    (void)state;
    assert_close(eval_ok("prob_to_rate(0.0412, 2.385)"),
                 -log(1.0 - 0.0412) / 2.385, 1e-14);
    assert_close(eval_ok("rate_to_prob(prob_to_rate(p_sick, 0.5), 0.5)"),
                 0.0412, 1e-14);
}

static void
test_if_takes_branch(void **state)
{
    (void)state;
    assert_close(eval_ok("if(x > 2, 0.0731, 4.5)"), 0.0731, 0.0);
    assert_close(eval_ok("if(x > 3, 0.0731, 4.5)"), 4.5, 0.0);
    assert_close(eval_ok("if(0.0731, 3, 4)"), 3.0, 0.0); /* non-zero */
    assert_close(eval_ok("if(-1, 3, 4)"), 3.0, 0.0);
    assert_close(eval_ok("1 + if(0, 3, 4) * 2"), 9.0, 0.0);
    assert_close(eval_ok("if(x < 1, 1, if(x < 2, 2, if(x < 3, 3, 4)))"),
                 3.0, 0.0);
}

static void
test_if_is_lazy(void **state)
{
    (void)state;
    double vars[N_SLOTS];
    default_variables(vars);
    vars[SLOT_X] = -0.5;
    assert_close(eval_vars("if(x > 0, log(x), 0)", vars), 0.0, 0.0);
    vars[SLOT_X] = 2.385;
    assert_close(eval_vars("if(x > 0, log(x), 0)", vars), log(2.385), 1e-15);
    assert_close(eval_ok("if(1, 2, 1/0)"), 2.0, 0.0);
    assert_close(eval_ok("if(0, 1/0, 3)"), 3.0, 0.0);
    assert_close(eval_ok("if(age < 10, lifetable(age), 0.25)"), 0.25, 0.0);
}

/* ---- names, numbers, whitespace ---- */

static void
test_variables_read_their_slots(void **state)
{
    (void)state;
    assert_close(eval_ok("p_sick*rr + age/100 - x*y"),
                 0.0412 * 0.83 + 47.3 / 100 - 2.385 * 0.0731, 1e-15);
}

static void
test_whitespace_is_ignored(void **state)
{
    (void)state;
    assert_close(eval_ok(" \tx\r\n*  2 "), 2.385 * 2, 0.0);
    assert_close(eval_ok("exp (0.0731)"), exp(0.0731), 1e-15);
}

static void
test_number_forms(void **state)
{
    (void)state;
    assert_close(eval_ok("1.5"), 1.5, 0.0);
    assert_close(eval_ok(".5"), 0.5, 0.0);
    assert_close(eval_ok("2e-3"), 0.002, 0.0);
    assert_close(eval_ok("2.5E+2"), 250.0, 0.0);
    assert_close(eval_ok("7e2"), 700.0, 0.0);
    assert_close(eval_ok("3."), 3.0, 0.0);
    assert_close(eval_ok("0012.50"), 12.5, 0.0);
    assert_close(eval_ok("1.7976931348623157e308"), 1.7976931348623157e308,
                 0.0);
}

static void
test_number_underflow_is_accepted(void **state)
{
    (void)state;
    /* Too small to represent rounds to 0: harmless, unlike overflow. */
    assert_close(eval_ok("1e-400"), 0.0, 0.0);
}

static void
test_comma_between_arguments_is_not_a_number(void **state)
{
    (void)state;
    assert_close(eval_ok("min(1,250)"), 1.0, 0.0);
    assert_close(eval_ok("max(0,5)"), 5.0, 0.0);
}

static void
test_null_resolver_allows_constants(void **state)
{
    (void)state;
    struct ns_expr *e = compile_with("0.0731*2.385", NULL);
    double v = 0.0;
    assert_int_equal(ns_expr_eval(e, NULL, NULL, &v, NULL), NS_OK);
    assert_close(v, 0.0731 * 2.385, 1e-15);
    ns_expr_free(e);
}

/* ---- tables ---- */

static void
test_table_exact_key(void **state)
{
    (void)state;
    assert_close(eval_ok("lifetable(45)"), 0.0034, 0.0);
    assert_close(eval_ok("lifetable(15)"), 0.0006, 0.0); /* first row */
    assert_close(eval_ok("lifetable(85)"), 0.0719, 0.0); /* last row */
}

static void
test_table_between_keys(void **state)
{
    (void)state;
    assert_close(eval_ok("lifetable(age)"), 0.0034, 0.0); /* 47.3 */
    assert_close(eval_ok("lifetable(24.999)"), 0.0006, 0.0);
    assert_close(eval_ok("cost_by_age(17.5)"), 812.5, 0.0);
}

static void
test_table_after_last_key(void **state)
{
    (void)state;
    assert_close(eval_ok("lifetable(101.5)"), 0.0719, 0.0);
    assert_close(eval_ok("cost_by_age(1e9)"), 2051.25, 0.0);
}

static void
test_table_argument_is_expression(void **state)
{
    (void)state;
    /* 47.3 + 20 = 67.3 falls in the row starting at 65. */
    assert_close(eval_ok("lifetable(age + 20) * 2"), 0.0121 * 2, 0.0);
    assert_close(eval_ok("cost_by_age(lifetable(age) * 10000)"), 1234.75,
                 0.0);
}

static void
test_table_single_row(void **state)
{
    (void)state;
    assert_close(eval_ok("one_row(3.5)"), -7.25, 0.0);
    assert_close(eval_ok("one_row(1e6)"), -7.25, 0.0);
    expect_fault("one_row(3.4)", NS_FAULT_TABLE_RANGE, 1,
                 "table has no row for 3.4 (first key 3.5)");
}

static void
test_table_binary_search_every_row(void **state)
{
    (void)state;
    /* Keys 0, 1.5, 3, ... with value 10 * row + 0.25: every row, at its
     * key, just after it and just before the next. */
    char text[64];
    for (size_t i = 0; i < 101; i++) {
        wide_x[i] = 1.5 * (double)i;
        wide_y[i] = 10.0 * (double)i + 0.25;
    }
    for (size_t i = 0; i < 101; i++) {
        double want = 10.0 * (double)i + 0.25;
        snprintf(text, sizeof text, "wide(%.17g)", 1.5 * (double)i);
        assert_close(eval_ok(text), want, 0.0);
        snprintf(text, sizeof text, "wide(%.17g)", 1.5 * (double)i + 0.01);
        assert_close(eval_ok(text), want, 0.0);
        snprintf(text, sizeof text, "wide(%.17g)", 1.5 * (double)i + 1.49);
        assert_close(eval_ok(text), want, 0.0);
    }
}

static void
test_table_below_first_key_faults(void **state)
{
    (void)state;
    expect_fault("2 * lifetable(12.5)", NS_FAULT_TABLE_RANGE, 5,
                 "table has no row for 12.5 (first key 15)");
    expect_fault("lifetable(-age)", NS_FAULT_TABLE_RANGE, 1,
                 "table has no row for -47.3 (first key 15)");
}

static void
test_table_exact_only_its_keys(void **state)
{
    (void)state;
    assert_close(eval_ok("deflator(2016)"), 101.9, 0.0);
    assert_close(eval_ok("deflator(2017) / deflator(2015)"), 1.038, 1e-15);
    expect_fault("deflator(2018)", NS_FAULT_TABLE_RANGE, 1,
                 "table deflator has no row for 2018 (it covers 2015 to "
                 "2017)");
    expect_fault("deflator(2015.5)", NS_FAULT_TABLE_RANGE, 1,
                 "table deflator has no row for 2015.5 (it covers 2015 to "
                 "2017)");
    expect_fault("deflator(2014)", NS_FAULT_TABLE_RANGE, 1,
                 "table deflator has no row for 2014 (it covers 2015 to "
                 "2017)");
}

/* ---- compile errors ---- */

static void
test_error_percent(void **state)
{
    (void)state;
    expect_error("12%", "unexpected character '%' at column 3; write "
                        "percentages as fractions, e.g. 0.12");
    expect_error("12 %", "unexpected character '%' at column 4; write "
                         "percentages as fractions, e.g. 0.12");
}

static void
test_error_unexpected_character(void **state)
{
    (void)state;
    expect_error("x # 2", "unexpected character '#' at column 3");
    expect_error("x = 2",
                 "unexpected character '=' at column 3; write '==' to "
                 "compare");
    expect_error("x & y", "unexpected character '&' at column 3; write "
                          "'&&' for logical and");
    expect_error("x | y", "unexpected character '|' at column 3; write "
                          "'||' for logical or");
    expect_error("2 \xc3\x97 3", "unexpected character '\xc3\x97' at "
                                 "column 3");
    expect_error("2\x01", "unexpected byte 0x01 at column 2");
    expect_error("2 \xff", "unexpected byte 0xff at column 3");
}

static void
test_error_thousands_separator(void **state)
{
    (void)state;
    expect_error("1,250", "malformed number '1,250' at column 1: use a dot "
                          "for decimals and no thousands separators");
    expect_error("2 * 1,250,000",
                 "malformed number '1,250,000' at column 5: use a dot for "
                 "decimals and no thousands separators");
    expect_error("1,250.5 + x",
                 "malformed number '1,250.5' at column 1: use a dot for "
                 "decimals and no thousands separators");
}

static void
test_error_decimal_comma(void **state)
{
    (void)state;
    expect_error("0,5 * x", "malformed number '0,5' at column 1: use a dot "
                            "for decimals and no thousands separators");
    expect_error("(0,25)", "malformed number '0,25' at column 2: use a dot "
                           "for decimals and no thousands separators");
}

static void
test_error_malformed_number(void **state)
{
    (void)state;
    expect_error("0x1p3", "malformed number '0x1p3' at column 1");
    expect_error("1 + 0x10", "malformed number '0x10' at column 5");
    expect_error("2e", "malformed number '2e' at column 1");
    expect_error("2e+ 1", "malformed number '2e+' at column 1");
    expect_error("1.2.3", "malformed number '1.2.3' at column 1");
    expect_error("3abc", "malformed number '3abc' at column 1");
}

static void
test_error_number_out_of_range(void **state)
{
    (void)state;
    expect_error("1e999", "number out of range '1e999' at column 1");
    expect_error("x * 2.5e+400", "number out of range '2.5e+400' at column 5");
}

static void
test_error_inf_and_nan_are_names(void **state)
{
    (void)state;
    expect_error("inf", "undefined name 'inf' at column 1");
    expect_error("-nan", "undefined name 'nan' at column 2");
}

static void
test_error_undefined_name_with_suggestion(void **state)
{
    (void)state;
    expect_error("p_sik * 2",
                 "undefined name 'p_sik' at column 1; did you mean "
                 "'p_sick'?");
}

static void
test_error_undefined_name_without_suggestion(void **state)
{
    (void)state;
    expect_error("2 * q_other", "undefined name 'q_other' at column 5");
    expect_error_with("p_sik", &resolver_no_suggest,
                      "undefined name 'p_sik' at column 1");
    expect_error_with("x", NULL, "undefined name 'x' at column 1");
}

static void
test_suggest_gets_name_and_context(void **state)
{
    (void)state;
    int calls = 0;
    struct ns_expr_resolver r = resolver;
    r.ctx = &calls;
    expect_error_with("1 + p_sik", &r,
                      "undefined name 'p_sik' at column 5; did you mean "
                      "'p_sick'?");
    assert_int_equal(calls, 1);
}

static void
test_error_unknown_function(void **state)
{
    (void)state;
    expect_error("1 + foo(2)", "unknown function 'foo' at column 5");
    expect_error("pow(2, 3)", "unknown function 'pow' at column 1");
    /* Without a table resolver, table names are unknown functions. */
    expect_error_with("lifetable(40)", &resolver_no_suggest,
                      "unknown function 'lifetable' at column 1");
}

static void
test_error_variable_called(void **state)
{
    (void)state;
    expect_error("2 * x(3)", "'x' at column 5 is a variable, not a function");
}

static void
test_error_function_without_call(void **state)
{
    (void)state;
    expect_error("lifetable + 1",
                 "'lifetable' at column 1 is a function: write "
                 "lifetable(...)");
    expect_error("2 * exp", "'exp' at column 5 is a function: write exp(...)");
}

static void
test_error_arity(void **state)
{
    (void)state;
    expect_error("if(x > 0, 1)", "function if needs 3 arguments, got 2");
    expect_error("if(1, 2, 3, 4)", "function if needs 3 arguments, got 4");
    expect_error("exp(1, 2)", "function exp needs 1 argument, got 2");
    expect_error("sqrt()", "function sqrt needs 1 argument, got 0");
    expect_error("min(1)", "function min needs at least 2 arguments, got 1");
    expect_error("max()", "function max needs at least 2 arguments, got 0");
    expect_error("rate_to_prob(0.1)",
                 "function rate_to_prob needs 2 arguments, got 1");
    expect_error("prob_to_rate(0.1, 1, 2)",
                 "function prob_to_rate needs 2 arguments, got 3");
    expect_error("lifetable(40, 2)",
                 "table lifetable needs 1 argument, got 2");
    expect_error("lifetable()", "table lifetable needs 1 argument, got 0");
}

static void
test_error_missing_close_paren(void **state)
{
    (void)state;
    expect_error("(x + 1", "expected ')' at column 7, got end of expression");
    expect_error("2 * (x + 1 y",
                 "expected ')' at column 12, got 'y'");
    expect_error("min(x, 2", "expected ')' at column 9, got end of "
                             "expression");
    expect_error("min(x 2)", "expected ',' or ')' at column 7, got '2'");
}

static void
test_error_empty(void **state)
{
    (void)state;
    expect_error("", "empty expression");
    expect_error(" \t ", "empty expression");
    expect_error(NULL, "empty expression");
}

static void
test_error_missing_operand(void **state)
{
    (void)state;
    expect_error("x +", "expected a number, a name or '(' at column 4, got "
                        "end of expression");
    expect_error("x * )", "expected a number, a name or '(' at column 5, "
                          "got ')'");
    expect_error("()", "expected a number, a name or '(' at column 2, got "
                       "')'");
    expect_error("min(1, , 2)", "expected a number, a name or '(' at column "
                                "8, got ','");
    expect_error(".", "unexpected character '.' at column 1");
}

static void
test_error_trailing_tokens(void **state)
{
    (void)state;
    expect_error("x )", "unmatched ')' at column 3");
    expect_error("x y", "expected an operator at column 3, got 'y'");
    expect_error("2 3.5", "expected an operator at column 3, got '3.5'");
    expect_error("x, 2", "expected an operator at column 2, got ','");
    /* Only a comma glued to the digits reads as a separator. */
    expect_error("1 ,250", "expected an operator at column 3, got ','");
    expect_error("1, 250", "expected an operator at column 2, got ','");
}

static void
test_error_chained_comparison(void **state)
{
    (void)state;
    expect_error("1 < x < 3",
                 "comparisons cannot be chained at column 7; combine them "
                 "with && (a < b && b < c)");
}

static void
test_error_nesting_too_deep(void **state)
{
    (void)state;
    /* 200 parentheses: one stack slot, but too many parser levels. The
     * 129th '(' is the first one past the limit of 128. */
    char text[512];
    size_t n = 0;
    for (int i = 0; i < 200; i++)
        text[n++] = '(';
    text[n++] = 'x';
    for (int i = 0; i < 200; i++)
        text[n++] = ')';
    text[n] = '\0';
    expect_error(text, "expression nested too deeply at column 129 (at most "
                       "128 levels)");
}

/* Writes "1+(1+(...(1+x)...))" with 'levels' additions into buf; it needs
 * levels + 1 stack slots (levels ones pending, then x). */
static void
write_deep_sum(char *buf, size_t size, int levels)
{
    size_t n = 0;
    for (int i = 0; i < levels; i++)
        n += (size_t)snprintf(buf + n, size - n, "1+(");
    n += (size_t)snprintf(buf + n, size - n, "x");
    for (int i = 0; i < levels; i++)
        n += (size_t)snprintf(buf + n, size - n, ")");
}

static void
test_max_depth_accepted(void **state)
{
    (void)state;
    char text[512];
    write_deep_sum(text, sizeof text, NS_EXPR_MAX_DEPTH - 1);
    assert_close(eval_ok(text), (NS_EXPR_MAX_DEPTH - 1) + 2.385, 1e-15);
}

static void
test_max_depth_exceeded_rejected(void **state)
{
    (void)state;
    char text[512];
    write_deep_sum(text, sizeof text, NS_EXPR_MAX_DEPTH);
    expect_error(text, "expression nested too deeply: it needs 65 evaluation "
                       "stack slots, at most 64");
}

static void
test_power_chain_too_deep_rejected(void **state)
{
    (void)state;
    /* 2^2^...^2 is right associative: every 2 waits on the stack. */
    char text[512];
    size_t n = 0;
    for (int i = 0; i < 70; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s2", i ? "^" : "");
    expect_error(text, "expression nested too deeply: it needs 70 evaluation "
                       "stack slots, at most 64");
}

static void
test_error_message_truncated_and_terminated(void **state)
{
    (void)state;
    struct ns_expr *e = NULL;
    char err[10];
    memset(err, 'X', sizeof err);
    assert_int_equal(ns_expr_compile("12%", &resolver, &e, err, sizeof err),
                     NS_EPARAM);
    assert_null(e);
    assert_string_equal(err, "unexpecte");
    /* No buffer at all is allowed too. */
    assert_int_equal(ns_expr_compile("12%", &resolver, &e, NULL, 0),
                     NS_EPARAM);
    assert_null(e);
}

static void
test_success_clears_error(void **state)
{
    (void)state;
    struct ns_expr *e = NULL;
    char err[64] = "stale";
    assert_int_equal(ns_expr_compile("x", &resolver, &e, err, sizeof err),
                     NS_OK);
    assert_string_equal(err, "");
    ns_expr_free(e);
}

/* ---- faults ---- */

static void
test_fault_division_by_zero(void **state)
{
    (void)state;
    expect_fault("x / (y - y)", NS_FAULT_DIV_ZERO, 3, "division by zero");
    expect_fault("1 + 2.385 / -0", NS_FAULT_DIV_ZERO, 11, "division by zero");
}

static void
test_fault_log_domain(void **state)
{
    (void)state;
    /* y - 0.5 = 0.0731 - 0.5 = -0.4269 */
    expect_fault("1 + log(y - 0.5)", NS_FAULT_DOMAIN, 5, "log of -0.4269");
    expect_fault("log(0)", NS_FAULT_DOMAIN, 1, "log of 0");
}

static void
test_fault_sqrt_domain(void **state)
{
    (void)state;
    expect_fault("2 * sqrt(-x)", NS_FAULT_DOMAIN, 5, "sqrt of -2.385");
    assert_close(eval_ok("sqrt(0)"), 0.0, 0.0);
}

static void
test_fault_prob_to_rate_domain(void **state)
{
    (void)state;
    expect_fault("prob_to_rate(1, 2.385)", NS_FAULT_DOMAIN, 1,
                 "prob_to_rate of probability 1 (must be below 1)");
    expect_fault("x + prob_to_rate(1.25, 2.385)", NS_FAULT_DOMAIN, 5,
                 "prob_to_rate of probability 1.25 (must be below 1)");
    expect_fault("prob_to_rate(0.0412, 0)", NS_FAULT_DOMAIN, 1,
                 "prob_to_rate over time 0 (must be positive)");
    expect_fault("prob_to_rate(0.0412, -0.5)", NS_FAULT_DOMAIN, 1,
                 "prob_to_rate over time -0.5 (must be positive)");
}

static void
test_fault_power_negative_base(void **state)
{
    (void)state;
    expect_fault("(-8)^(1/4)", NS_FAULT_DOMAIN, 5,
                 "negative base -8 to the non-integer power 0.25");
    assert_close(eval_ok("(-2.5)^3"), -15.625, 0.0);
}

static void
test_fault_not_finite(void **state)
{
    (void)state;
    expect_fault("1 + exp(1000)", NS_FAULT_NOT_FINITE, 5,
                 "result of exp(1000) is not finite");
    expect_fault("1e300 * 1e300", NS_FAULT_NOT_FINITE, 7,
                 "result of 1e+300 * 1e+300 is not finite");
    expect_fault("-1e308 - 1e308", NS_FAULT_NOT_FINITE, 8,
                 "result of -1e+308 - 1e+308 is not finite");
    expect_fault("10^400", NS_FAULT_NOT_FINITE, 3,
                 "result of 10 ^ 400 is not finite");
    expect_fault("0^-1", NS_FAULT_NOT_FINITE, 2,
                 "result of 0 ^ -1 is not finite");
    expect_fault("1e300 / 1e-300", NS_FAULT_NOT_FINITE, 7,
                 "result of 1e+300 / 1e-300 is not finite");
}

static void
test_fault_variable_not_finite(void **state)
{
    (void)state;
    double vars[N_SLOTS];
    default_variables(vars);
    vars[SLOT_Y] = (double)NAN;
    expect_fault_vars("1 + y", vars, NS_FAULT_NOT_FINITE, 5,
                      "variable is nan");
    vars[SLOT_Y] = -(double)INFINITY;
    expect_fault_vars("1 + y", vars, NS_FAULT_NOT_FINITE, 5,
                      "variable is -inf");
    vars[SLOT_Y] = (double)INFINITY;
    expect_fault_vars("1 + y", vars, NS_FAULT_NOT_FINITE, 5,
                      "variable is inf");
}

static void
test_fault_first_in_evaluation_order(void **state)
{
    (void)state;
    expect_fault("log(-1) + 1/0", NS_FAULT_DOMAIN, 1, "log of -1");
}

static void
test_fault_of_constant_reported_at_eval(void **state)
{
    (void)state;
    /* 1/0 compiles; only evaluating it faults. */
    struct ns_expr *e = compile_with("1/0", &resolver);
    double v = 0.0;
    assert_int_equal(ns_expr_eval(e, NULL, NULL, &v, NULL), NS_EMODEL);
    ns_expr_free(e);
}

static void
test_fault_cleared_on_success(void **state)
{
    (void)state;
    struct ns_expr *e = compile_with("1/x", &resolver);
    double vars[N_SLOTS];
    struct ns_expr_fault fault;
    double v = 0.0;
    default_variables(vars);
    vars[SLOT_X] = 0.0;
    assert_int_equal(ns_expr_eval(e, vars, tables, &v, &fault), NS_EMODEL);
    assert_int_equal(fault.kind, NS_FAULT_DIV_ZERO);
    vars[SLOT_X] = 2.5;
    assert_int_equal(ns_expr_eval(e, vars, tables, &v, &fault), NS_OK);
    assert_int_equal(fault.kind, NS_FAULT_NONE);
    assert_close(v, 0.4, 0.0);
    ns_expr_free(e);
}

/* ---- dependency listing and constants ---- */

static void
test_variable_and_table_listing(void **state)
{
    (void)state;
    struct ns_expr *e = compile_with(
        "rr * x + p_sick * x + lifetable(age) + cost_by_age(age) + "
        "lifetable(y) + x",
        &resolver);
    static const long want_vars[] = {SLOT_P_SICK, SLOT_Y, SLOT_AGE, SLOT_X,
                                     SLOT_RR};
    assert_int_equal(ns_expr_n_variables(e), 5);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(ns_expr_variable(e, i), want_vars[i]);
    assert_int_equal(ns_expr_n_tables(e), 2);
    assert_int_equal(ns_expr_table(e, 0), TABLE_COST);
    assert_int_equal(ns_expr_table(e, 1), TABLE_LIFE);
    ns_expr_free(e);
}

static void
test_listing_includes_untaken_branches(void **state)
{
    (void)state;
    /* Dependencies are static: a branch not taken today may be tomorrow. */
    struct ns_expr *e = compile_with("if(1, 2, y) || 0 && lifetable(x)",
                                     &resolver);
    assert_int_equal(ns_expr_n_variables(e), 2);
    assert_int_equal(ns_expr_variable(e, 0), SLOT_Y);
    assert_int_equal(ns_expr_variable(e, 1), SLOT_X);
    assert_int_equal(ns_expr_n_tables(e), 1);
    assert_int_equal(ns_expr_table(e, 0), TABLE_LIFE);
    ns_expr_free(e);
}

static void
test_listing_empty_for_constant(void **state)
{
    (void)state;
    struct ns_expr *e = compile_with("2.385 * 4", &resolver);
    assert_int_equal(ns_expr_n_variables(e), 0);
    assert_int_equal(ns_expr_n_tables(e), 0);
    ns_expr_free(e);
}

static void
test_is_constant(void **state)
{
    (void)state;
    struct ns_expr *e = compile_with("2.385 * (1 + 0.0731)", &resolver);
    double v = 0.0;
    assert_true(ns_expr_is_constant(e, &v));
    assert_close(v, 2.385 * (1 + 0.0731), 1e-15);
    assert_true(ns_expr_is_constant(e, NULL));
    ns_expr_free(e);
}

static void
test_is_constant_false(void **state)
{
    (void)state;
    static const char *const texts[] = {"x * 0", "lifetable(20)", "1/0",
                                        "if(1, 2, y)"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct ns_expr *e = compile_with(texts[i], &resolver);
        double v = 99.0;
        if (ns_expr_is_constant(e, &v))
            fail_msg("\"%s\" reported constant", texts[i]);
        assert_close(v, 99.0, 0.0); /* untouched */
        ns_expr_free(e);
    }
}

static void
test_free_null(void **state)
{
    (void)state;
    ns_expr_free(NULL);
}

/* ---- randomized differential test ---- */

struct node {
    char op;    /* '+', '-', '*', '/', 'n' (negate), 'v' (variable), 'k' */
    int var;    /* 'v': index into diff_names */
    double value; /* 'k' */
    struct node *left, *right;
};

static const char *const diff_names[] = {"a", "b", "c", "d"};
static const long diff_slots[] = {SLOT_A, SLOT_B, SLOT_C, SLOT_D};

/* xorshift64*: a fixed seed keeps failures reproducible. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

/* Returns a pseudo-random 64-bit number. */
static uint64_t
rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1du;
}

/* Returns a pseudo-random integer in [0, n). */
static int
rng_below(int n)
{
    return (int)(rng_next() % (uint64_t)n);
}

/* Returns a pseudo-random double in [lo, hi). */
static double
rng_uniform(double lo, double hi)
{
    return lo + (hi - lo) * (double)(rng_next() >> 11) * 0x1p-53;
}

/* Builds a random tree of at most 'depth' levels (free with free_tree). */
static struct node *
random_tree(int depth)
{
    struct node *n = calloc(1, sizeof *n);
    assert_non_null(n);
    int pick = depth <= 0 ? rng_below(2) : rng_below(8);
    if (pick == 0) {
        n->op = 'v';
        n->var = rng_below(4);
    } else if (pick == 1) {
        n->op = 'k';
        /* Whole numbers now and then, so a - a and a / (b - b) happen. */
        n->value = rng_below(4) == 0 ? (double)rng_below(3)
                                     : rng_uniform(0.01, 20.0);
    } else if (pick == 2) {
        n->op = 'n';
        n->left = random_tree(depth - 1);
    } else {
        n->op = "+-*/+-*/"[pick];
        n->left = random_tree(depth - 1);
        n->right = random_tree(depth - 1);
    }
    return n;
}

/* Frees a tree from random_tree. */
static void
free_tree(struct node *n)
{
    if (n == NULL)
        return;
    free_tree(n->left);
    free_tree(n->right);
    free(n);
}

/* Returns the binding strength of a node: 1 for + -, 2 for * /, 3 for
 * a prefix minus, 4 for leaves. */
static int
strength(const struct node *n)
{
    switch (n->op) {
    case '+': case '-': return 1;
    case '*': case '/': return 2;
    case 'n': return 3;
    default: return 4;
    }
}

/* Appends printf-style text to buf at *len. */
static void
append(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    assert_true(k >= 0 && (size_t)k < size - *len);
    *len += (size_t)k;
}

/* Prints a tree with only the parentheses the grammar needs (plus some
 * random redundant ones and random spacing), so that the parser's
 * precedence and associativity are what reproduce the tree. */
static void
print_tree(const struct node *n, char *buf, size_t size, size_t *len)
{
    const char *sp = rng_below(2) ? " " : "";
    bool extra = rng_below(8) == 0;
    if (extra)
        append(buf, size, len, "(");
    if (n->op == 'v') {
        append(buf, size, len, "%s", diff_names[n->var]);
    } else if (n->op == 'k') {
        append(buf, size, len, rng_below(2) ? "%.17g" : "%.16e", n->value);
    } else if (n->op == 'n') {
        /* A leaf needs none, -x^... cannot occur, and "--" is fine, but
         * -(a+b) and -(a*b) need parentheses: -a*b is (-a)*b. */
        bool paren = strength(n->left) < 3;
        append(buf, size, len, "-%s", paren ? "(" : "");
        print_tree(n->left, buf, size, len);
        append(buf, size, len, "%s", paren ? ")" : "");
    } else {
        int s = strength(n);
        /* Left operands bind at the same strength (left associative);
         * right operands need parentheses at equal strength, even for
         * + and *, since floating point addition is not associative. */
        bool lp = strength(n->left) < s;
        bool rp = strength(n->right) <= s;
        append(buf, size, len, "%s", lp ? "(" : "");
        print_tree(n->left, buf, size, len);
        append(buf, size, len, "%s%s%c%s%s", lp ? ")" : "", sp, n->op, sp,
               rp ? "(" : "");
        print_tree(n->right, buf, size, len);
        append(buf, size, len, "%s", rp ? ")" : "");
    }
    if (extra)
        append(buf, size, len, ")");
}

/* Evaluates a tree directly, in the same order as the program would;
 * returns the fault kind that must stop it, or NS_FAULT_NONE. */
static enum ns_fault_kind
eval_tree(const struct node *n, const double *vars, double *out)
{
    double l = 0.0, r = 0.0;
    enum ns_fault_kind k;
    switch (n->op) {
    case 'v':
        *out = vars[diff_slots[n->var]];
        return NS_FAULT_NONE;
    case 'k':
        *out = n->value;
        return NS_FAULT_NONE;
    case 'n':
        k = eval_tree(n->left, vars, &l);
        *out = -l;
        return k;
    default:
        break;
    }
    if ((k = eval_tree(n->left, vars, &l)) != NS_FAULT_NONE ||
        (k = eval_tree(n->right, vars, &r)) != NS_FAULT_NONE)
        return k;
    switch (n->op) {
    case '+': *out = l + r; break;
    case '-': *out = l - r; break;
    case '*': *out = l * r; break;
    default:
        if (!(r < 0.0 || r > 0.0))
            return NS_FAULT_DIV_ZERO;
        *out = l / r;
        break;
    }
    return isfinite(*out) ? NS_FAULT_NONE : NS_FAULT_NOT_FINITE;
}

static void
test_random_expressions_match_tree(void **state)
{
    (void)state;
    char text[16384];
    double vars[N_SLOTS];
    size_t faults = 0;
    default_variables(vars);
    for (int trial = 0; trial < 2000; trial++) {
        struct node *tree = random_tree(1 + rng_below(6));
        size_t len = 0;
        print_tree(tree, text, sizeof text, &len);
        for (int i = 0; i < 4; i++)
            vars[diff_slots[i]] = rng_below(5) == 0
                                      ? (double)rng_below(3)
                                      : rng_uniform(-50.0, 50.0);

        double want = 0.0, got = 0.0;
        enum ns_fault_kind want_fault = eval_tree(tree, vars, &want);
        struct ns_expr *e = compile_with(text, &resolver);
        struct ns_expr_fault fault;
        enum ns_status st = ns_expr_eval(e, vars, tables, &got, &fault);
        if (want_fault == NS_FAULT_NONE) {
            if (st != NS_OK)
                fail_msg("\"%s\": fault %d (%s), expected %.17g", text,
                         (int)fault.kind, fault.detail, want);
            /* Same operations in the same order: identical results. */
            if (!(got <= want && got >= want))
                fail_msg("\"%s\" = %.17g, expected %.17g", text, got, want);
        } else {
            faults++;
            if (st != NS_EMODEL || fault.kind != want_fault)
                fail_msg("\"%s\": status %d fault %d, expected fault %d", text,
                         (int)st, (int)fault.kind, (int)want_fault);
        }
        ns_expr_free(e);
        free_tree(tree);
    }
    /* The generator is meant to reach division by zero sometimes. */
    assert_true(faults > 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mul_binds_tighter_than_add),
        cmocka_unit_test(test_parentheses_override_precedence),
        cmocka_unit_test(test_unary_minus_binds_looser_than_power),
        cmocka_unit_test(test_power_is_right_associative),
        cmocka_unit_test(test_power_takes_signed_exponent),
        cmocka_unit_test(test_power_binds_tighter_than_mul),
        cmocka_unit_test(test_sub_and_div_are_left_associative),
        cmocka_unit_test(test_unary_operators),
        cmocka_unit_test(test_not_binds_tighter_than_add),
        cmocka_unit_test(test_comparison_binds_looser_than_sum),
        cmocka_unit_test(test_and_binds_tighter_than_or),
        cmocka_unit_test(test_comparison_binds_tighter_than_and),
        cmocka_unit_test(test_comparisons),
        cmocka_unit_test(test_logic_gives_zero_or_one),
        cmocka_unit_test(test_and_short_circuits),
        cmocka_unit_test(test_or_short_circuits),
        cmocka_unit_test(test_logic_evaluates_right_side_when_needed),
        cmocka_unit_test(test_exp_log_sqrt),
        cmocka_unit_test(test_abs_floor_ceil),
        cmocka_unit_test(test_min_max),
        cmocka_unit_test(test_min_many_arguments_do_not_deepen_stack),
        cmocka_unit_test(test_rate_to_prob),
        cmocka_unit_test(test_prob_to_rate),
        cmocka_unit_test(test_if_takes_branch),
        cmocka_unit_test(test_if_is_lazy),
        cmocka_unit_test(test_variables_read_their_slots),
        cmocka_unit_test(test_whitespace_is_ignored),
        cmocka_unit_test(test_number_forms),
        cmocka_unit_test(test_number_underflow_is_accepted),
        cmocka_unit_test(test_comma_between_arguments_is_not_a_number),
        cmocka_unit_test(test_null_resolver_allows_constants),
        cmocka_unit_test(test_table_exact_key),
        cmocka_unit_test(test_table_between_keys),
        cmocka_unit_test(test_table_after_last_key),
        cmocka_unit_test(test_table_argument_is_expression),
        cmocka_unit_test(test_table_single_row),
        cmocka_unit_test(test_table_binary_search_every_row),
        cmocka_unit_test(test_table_below_first_key_faults),
        cmocka_unit_test(test_table_exact_only_its_keys),
        cmocka_unit_test(test_error_percent),
        cmocka_unit_test(test_error_unexpected_character),
        cmocka_unit_test(test_error_thousands_separator),
        cmocka_unit_test(test_error_decimal_comma),
        cmocka_unit_test(test_error_malformed_number),
        cmocka_unit_test(test_error_number_out_of_range),
        cmocka_unit_test(test_error_inf_and_nan_are_names),
        cmocka_unit_test(test_error_undefined_name_with_suggestion),
        cmocka_unit_test(test_error_undefined_name_without_suggestion),
        cmocka_unit_test(test_suggest_gets_name_and_context),
        cmocka_unit_test(test_error_unknown_function),
        cmocka_unit_test(test_error_variable_called),
        cmocka_unit_test(test_error_function_without_call),
        cmocka_unit_test(test_error_arity),
        cmocka_unit_test(test_error_missing_close_paren),
        cmocka_unit_test(test_error_empty),
        cmocka_unit_test(test_error_missing_operand),
        cmocka_unit_test(test_error_trailing_tokens),
        cmocka_unit_test(test_error_chained_comparison),
        cmocka_unit_test(test_error_nesting_too_deep),
        cmocka_unit_test(test_max_depth_accepted),
        cmocka_unit_test(test_max_depth_exceeded_rejected),
        cmocka_unit_test(test_power_chain_too_deep_rejected),
        cmocka_unit_test(test_error_message_truncated_and_terminated),
        cmocka_unit_test(test_success_clears_error),
        cmocka_unit_test(test_fault_division_by_zero),
        cmocka_unit_test(test_fault_log_domain),
        cmocka_unit_test(test_fault_sqrt_domain),
        cmocka_unit_test(test_fault_prob_to_rate_domain),
        cmocka_unit_test(test_fault_power_negative_base),
        cmocka_unit_test(test_fault_not_finite),
        cmocka_unit_test(test_fault_variable_not_finite),
        cmocka_unit_test(test_fault_first_in_evaluation_order),
        cmocka_unit_test(test_fault_of_constant_reported_at_eval),
        cmocka_unit_test(test_fault_cleared_on_success),
        cmocka_unit_test(test_variable_and_table_listing),
        cmocka_unit_test(test_listing_includes_untaken_branches),
        cmocka_unit_test(test_listing_empty_for_constant),
        cmocka_unit_test(test_is_constant),
        cmocka_unit_test(test_is_constant_false),
        cmocka_unit_test(test_free_null),
        cmocka_unit_test(test_random_expressions_match_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

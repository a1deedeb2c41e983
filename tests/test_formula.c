/* netsave tests: expressions as spreadsheet formulas (output/formula.h).
 *
 * Each expected formula is written by hand from Excel's grammar: where
 * Excel groups differently from netsave (unary minus before ^, ^ left
 * associative, TRUE/FALSE instead of 1/0, FLOOR's significance), the
 * expected text shows the parentheses or the IF that keep netsave's
 * meaning. That the formulas also compute netsave's values is checked by
 * LibreOffice in tests/cli/formula_lo.sh (formula_book.c writes the
 * workbook). */
#include "output/formula.h"

#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"

static const char *const names[] = {"a", "b", "c", "x", "age", "cycle"};
enum { N_NAMES = sizeof names / sizeof names[0] };

static long
resolve_variable(void *ctx, const char *name, size_t len)
{
    (void)ctx;
    for (long i = 0; i < N_NAMES; i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
            return i;
    return -1;
}

static long
resolve_table(void *ctx, const char *name, size_t len)
{
    (void)ctx;
    if (len == 9 && memcmp(name, "lifetable", 9) == 0)
        return 0;
    if (len == 5 && memcmp(name, "exact", 5) == 0)
        return 1;
    return -1;
}

/* Cells: cycle varies by row, so it is a cell; the rest are names. */
static const char *
variable_text(void *ctx, long slot, char *why, size_t size)
{
    (void)ctx;
    if (slot == 5)
        return "$A7";
    if (slot == 4) {
        snprintf(why, size, "age has no cell here");
        return NULL;
    }
    return names[slot];
}

static bool
table_text(void *ctx, long index, const char **keys, const char **values,
           bool *exact, char *why, size_t size)
{
    (void)ctx;
    (void)why;
    (void)size;
    *keys = index == 0 ? "Tables!$A$2:$A$5" : "Tables!$C$2:$C$5";
    *values = index == 0 ? "Tables!$B$2:$B$5" : "Tables!$D$2:$D$5";
    *exact = index == 1;
    return true;
}

static char *
translate(const char *text, enum ns_status *st, char *err, size_t err_size)
{
    struct ns_expr_resolver r = {NULL, resolve_variable, resolve_table, NULL};
    struct ns_formula_names fn = {NULL, variable_text, table_text};
    struct ns_expr *e = NULL;
    char cerr[200];
    assert_int_equal(ns_expr_compile(text, &r, &e, cerr, sizeof cerr), NS_OK);
    char *out = NULL;
    *st = ns_formula_translate(e, &fn, &out, err, err_size);
    ns_expr_free(e);
    return out;
}

static void
check(const char *text, const char *expected)
{
    enum ns_status st;
    char err[200];
    char *out = translate(text, &st, err, sizeof err);
    if (st != NS_OK)
        fail_msg("%s: %s", text, err);
    if (strcmp(out, expected) != 0)
        fail_msg("%s: got %s, expected %s", text, out, expected);
    free(out);
}

static void
test_arithmetic(void **state)
{
    (void)state;
    check("a", "a");
    check("1.5", "1.5");
    check("0.1", "0.1");
    check("2e-3", "0.002");
    check("1e-7", "1E-07");
    check("a + b * c", "a+b*c");
    check("(a + b) * c", "(a+b)*c");
    check("a - (b - c)", "a-(b-c)");
    check("a - b - c", "a-b-c");
    check("a + (b + c)", "a+(b+c)"); /* not regrouped */
    check("a / (b * c)", "a/(b*c)");
    check("a / b / c", "a/b/c");
    check("a * -b", "a*(-b)");
    check("-a * b", "-a*b");
    check("a - -0.5", "a-(-0.5)");
}

static void
test_power_and_sign(void **state)
{
    (void)state;
    check("-2^2", "-(2^2)");     /* Excel: -2^2 is 4 */
    check("2^-1", "2^(-1)");
    check("a^b^c", "IF(IF(c=0,1,b^c)=0,1,a^IF(c=0,1,b^c))");
    check("a^2", "a^2");
    check("2^a", "2^a");
    check("a^b", "IF(b=0,1,a^b)");
    check("(a+b)^0.5", "(a+b)^0.5");
    check("-a", "-a");
    check("-(a+b)", "-(a+b)");
}

static void
test_comparisons_and_logic(void **state)
{
    (void)state;
    check("a < b", "IF(a<b,1,0)");
    check("a + 1 >= b", "IF(a+1>=b,1,0)");
    check("a == b", "IF(a=b,1,0)");
    check("a != b", "IF(a<>b,1,0)");
    check("a <= b", "IF(a<=b,1,0)");
    check("a > b", "IF(a>b,1,0)");
    check("!a", "IF(a<>0,0,1)");
    check("a && b", "IF(a<>0,IF(b<>0,1,0),0)");
    check("a || b", "IF(a<>0,1,IF(b<>0,1,0))");
    check("a < b && b < c",
          "IF(IF(a<b,1,0)<>0,IF(IF(b<c,1,0)<>0,1,0),0)");
    check("(a < b) * 3", "IF(a<b,1,0)*3");
}

static void
test_functions(void **state)
{
    (void)state;
    check("if(a > 0, log(a), 0)", "IF(IF(a>0,1,0)<>0,LN(a),0)");
    check("if(a, b, if(c, 1, 2))", "IF(a<>0,b,IF(c<>0,1,2))");
    check("min(a, b)", "MIN(a,b)");
    check("max(a, b, c)", "MAX(a,b,c)");
    check("min(max(a, b), c)", "MIN(MAX(a,b),c)");
    check("max(min(a, b), c)", "MAX(MIN(a,b),c)");
    check("exp(-a)", "EXP(-a)");
    check("sqrt(a + b)", "SQRT(a+b)");
    check("abs(a)", "ABS(a)");
    check("floor(a)", "INT(a)");
    check("ceil(a)", "-INT(-(a))");
    check("ceil(a) * 2", "-INT(-(a))*2");
    check("rate_to_prob(a, 1)", "1-EXP(-(a*1))");
    check("prob_to_rate(a, b)", "-LN(1-a)/b");
    check("1 - rate_to_prob(a, b)", "1-(1-EXP(-(a*b)))");
    check("lifetable(cycle + 20)",
          "INDEX(Tables!$B$2:$B$5,MATCH($A7+20,Tables!$A$2:$A$5,1))");
    check("exact(x)", "INDEX(Tables!$D$2:$D$5,MATCH(x,Tables!$C$2:$C$5,0))");
}

static void
test_no_cell_is_an_error(void **state)
{
    (void)state;
    enum ns_status st;
    char err[200];
    char *out = translate("a + age * 2", &st, err, sizeof err);
    assert_int_equal(st, NS_EPARAM);
    assert_null(out);
    assert_string_equal(err, "age has no cell here");
}

static void
test_numbers_round_trip(void **state)
{
    (void)state;
    const double xs[] = {0.1, 1.0 / 3.0, 67875.0, 1e-300, 123456789012345678.0,
                         0.035, -2.5};
    char buf[40];
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        ns_formula_number(xs[i], buf, sizeof buf);
        double back = strtod(buf, NULL);
        assert_memory_equal(&back, &xs[i], sizeof back);
    }
    ns_formula_number(0.035, buf, sizeof buf);
    assert_string_equal(buf, "0.035");
    ns_formula_number(1.0 / 3.0, buf, sizeof buf);
    assert_string_equal(buf, "0.3333333333333333");
}

static void
test_defined_names(void **state)
{
    (void)state;
    const char *ok[] = {"p_relapse", "tx_rem_mod", "cost_week_meth", "rr",
                        "_x", "abcd1", "age", "cycle", "r_1", "a.b"};
    const char *bad[] = {"c", "r", "C", "R", "r2", "rc3", "R1C1", "c12", "tx1",
                         "ab12", "XFD1048576", "true", "1abc", "a-b"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!ns_formula_name_ok(ok[i]))
            fail_msg("%s should be a valid name", ok[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ns_formula_name_ok(bad[i]))
            fail_msg("%s should not be a valid name", bad[i]);
    char buf[64];
    ns_formula_name("c", buf, sizeof buf);
    assert_string_equal(buf, "c_");
    ns_formula_name("tx1", buf, sizeof buf);
    assert_string_equal(buf, "tx1_");
    ns_formula_name("p_relapse", buf, sizeof buf);
    assert_string_equal(buf, "p_relapse");
    ns_formula_name("1abc", buf, sizeof buf);
    assert_string_equal(buf, "_1abc");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arithmetic),
        cmocka_unit_test(test_power_and_sign),
        cmocka_unit_test(test_comparisons_and_logic),
        cmocka_unit_test(test_functions),
        cmocka_unit_test(test_no_cell_is_an_error),
        cmocka_unit_test(test_numbers_round_trip),
        cmocka_unit_test(test_defined_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

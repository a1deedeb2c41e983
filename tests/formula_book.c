/* netsave tests: a workbook of translated expressions for LibreOffice.
 *
 * Writes BOOK (an .xlsx) whose sheet F holds, for each of many
 * expressions (a hand-picked list, then random ones), the expression's
 * text, its formula (output/formula.h) and netsave's own value of it
 * (ns_expr_eval). The formula's cached value is written as -12345, not
 * netsave's value, so a client that did not recalculate cannot pass:
 * tests/clients/check_live.py has LibreOffice recalculate the book and
 * compares column B with column C. Variables are defined names on sheet
 * Inputs (one, c, needs mangling to c_), except cycle, a plain cell, as
 * the model sheets use; the tables live on sheet Tables.
 *
 * Usage: formula_book BOOK */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#include "output/formula.h"

static const char *const var_names[] = {"a", "b", "c", "x", "age", "cycle"};
static const double var_values[] = {0.37, 2.9, -1.3, 45.0, 52.5, 3.0};
enum { N_VARS = 6 };

static const double life_x[] = {0, 20, 40, 60};
static const double life_y[] = {0.001, 0.0035, 0.012, 0.047};
static const double exact_x[] = {1, 2, 3};
static const double exact_y[] = {10.5, 20.25, 30.125};

static long
resolve_variable(void *ctx, const char *name, size_t len)
{
    (void)ctx;
    for (long i = 0; i < N_VARS; i++)
        if (strlen(var_names[i]) == len && memcmp(var_names[i], name, len) == 0)
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

static char defined[N_VARS][32];

static const char *
variable_text(void *ctx, long slot, char *why, size_t size)
{
    (void)ctx;
    (void)why;
    (void)size;
    return slot == 5 ? "Inputs!$B$7" : defined[slot];
}

static bool
table_text(void *ctx, long index, const char **keys, const char **values,
           bool *exact, char *why, size_t size)
{
    (void)ctx;
    (void)why;
    (void)size;
    *keys = index == 0 ? "Tables!$A$2:$A$5" : "Tables!$C$2:$C$4";
    *values = index == 0 ? "Tables!$B$2:$B$5" : "Tables!$D$2:$D$4";
    *exact = index == 1;
    return true;
}

static const char *const picked[] = {
    "a + b * c", "(a + b) * c", "a - (b - c)", "a - b - c", "a / b / c",
    "a * -b", "-a * b", "a - -0.5", "-2^2", "2^-1", "b^a^0.5", "(-b)^2",
    "-b^2", "b^(a-0.37)", "0^0 + a", "(a - 0.37)^(b - 2.9)", "2^3^2",
    "a < b", "a + 1 >= b", "a == 0.37", "a != b", "c <= -1.3", "c > 0",
    "!a", "!(a - 0.37)", "a && b", "c && 0", "0 || c", "(a < b) * 3",
    "a < b && b < c", "a > b || x >= 45", "if(a > 0, log(a), 0)",
    "if(c > 0, log(c), -1)", "if(a, b, if(c, 1, 2))", "min(a, b)",
    "max(a, b, c)", "min(max(a, b), c, x)", "exp(-a)", "exp(a * 3)",
    "log(x)", "sqrt(a + b)", "abs(c)", "floor(c)", "floor(b)", "ceil(c)",
    "ceil(b) * 2", "rate_to_prob(a, 1)", "rate_to_prob(0.05, 0.25)",
    "prob_to_rate(a, b)", "prob_to_rate(0.2, 1)", "1 - rate_to_prob(a, b)",
    "lifetable(age)", "lifetable(age + cycle * 5)", "lifetable(0)",
    "lifetable(20)", "lifetable(100)", "exact(cycle)", "exact(cycle - 1)",
    "1e-7 * x", "1/3", "0.1 + 0.2", "x * 1.0000000000000002",
    "a * b / c - x", "-(a + b) * -(c - x)", "-c", "--c", "+a",
    "1 - (1 - a)^(1/12)", "-log(1 - a) * 12", "if(cycle <= 2, 100, 50)",
    "max(0, min(1, a * b))", "x - 0.5 * c", "age - x", "a^2 + b^2",
};

/* A random expression over the variables: generated from the grammar,
 * so it exercises every operator nested in every other. */
struct rng {
    unsigned long long s;
};

static unsigned
next(struct rng *r, unsigned n)
{
    r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((r->s >> 33) % n);
}

static void random_expr(struct rng *r, int depth, char *buf, size_t size);

static void
random_leaf(struct rng *r, char *buf, size_t size)
{
    static const char *const leaves[] = {"a", "b", "c", "x", "cycle", "0.25",
                                         "3", "1.5", "age"};
    snprintf(buf, size, "%s", leaves[next(r, 9)]);
}

static void
random_expr(struct rng *r, int depth, char *buf, size_t size)
{
    if (depth == 0 || next(r, 4) == 0) {
        random_leaf(r, buf, size);
        return;
    }
    char a[512], b[512], c[512];
    random_expr(r, depth - 1, a, sizeof a);
    random_expr(r, depth - 1, b, sizeof b);
    static const char *const ops[] = {"+", "-", "*", "/", "^", "<", ">=",
                                      "==", "&&", "||"};
    switch (next(r, 9)) {
    case 0: case 1: case 2: {
        unsigned op = next(r, 10);
        /* netsave refuses a chain of comparisons (a < b < c). */
        snprintf(buf, size, op >= 5 && op <= 7 ? "((%s) %s (%s))" : "%s %s %s",
                 a, ops[op], b);
        break;
    }
    case 3: snprintf(buf, size, "(%s) %s (%s)", a, ops[next(r, 5)], b); break;
    case 4: snprintf(buf, size, "-%s", a); break;
    case 5:
        random_expr(r, depth - 1, c, sizeof c);
        snprintf(buf, size, "if(%s, %s, %s)", a, b, c);
        break;
    case 6: snprintf(buf, size, "%s(%s, %s)", next(r, 2) ? "min" : "max", a, b);
        break;
    case 7: {
        static const char *const fns[] = {"exp", "log", "sqrt", "abs", "floor",
                                          "ceil"};
        snprintf(buf, size, "%s(%s)", fns[next(r, 6)], a);
        break;
    }
    default:
        snprintf(buf, size, "%s(%s / 100, %s)",
                 next(r, 2) ? "rate_to_prob" : "prob_to_rate", a, b);
    }
}

static void
write_inputs(lxw_workbook *wb)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Inputs");
    worksheet_write_string(ws, 0, 0, "name", NULL);
    worksheet_write_string(ws, 0, 1, "value", NULL);
    for (int i = 0; i < N_VARS; i++) {
        char ref[64];
        worksheet_write_string(ws, (lxw_row_t)(i + 1), 0, var_names[i], NULL);
        worksheet_write_number(ws, (lxw_row_t)(i + 1), 1, var_values[i], NULL);
        ns_formula_name(var_names[i], defined[i], sizeof defined[i]);
        snprintf(ref, sizeof ref, "=Inputs!$B$%d", i + 2);
        if (i != 5)
            workbook_define_name(wb, defined[i], ref);
    }
    lxw_worksheet *t = workbook_add_worksheet(wb, "Tables");
    for (int i = 0; i < 4; i++) {
        worksheet_write_number(t, (lxw_row_t)(i + 1), 0, life_x[i], NULL);
        worksheet_write_number(t, (lxw_row_t)(i + 1), 1, life_y[i], NULL);
    }
    for (int i = 0; i < 3; i++) {
        worksheet_write_number(t, (lxw_row_t)(i + 1), 2, exact_x[i], NULL);
        worksheet_write_number(t, (lxw_row_t)(i + 1), 3, exact_y[i], NULL);
    }
}

/* Writes one expression's row; returns 1 if it was written. */
static int
write_one(lxw_worksheet *ws, lxw_row_t row, const char *text)
{
    struct ns_expr_resolver res = {NULL, resolve_variable, resolve_table, NULL};
    struct ns_formula_names fn = {NULL, variable_text, table_text};
    const struct ns_table tables[] = {
        {"lifetable", 4, life_x, life_y, false},
        {"exact", 3, exact_x, exact_y, true}};
    struct ns_expr *e = NULL;
    char err[256];
    double v;
    if (ns_expr_compile(text, &res, &e, err, sizeof err) != NS_OK) {
        fprintf(stderr, "formula_book: %s: %s\n", text, err);
        exit(2);
    }
    /* netsave refuses what faults; so is the formula then an error. */
    if (ns_expr_eval(e, var_values, tables, &v, NULL) != NS_OK) {
        ns_expr_free(e);
        return 0;
    }
    char *f = NULL;
    if (ns_formula_translate(e, &fn, &f, err, sizeof err) != NS_OK) {
        fprintf(stderr, "formula_book: %s: %s\n", text, err);
        exit(2);
    }
    char *eq = malloc(strlen(f) + 2);
    sprintf(eq, "=%s", f);
    worksheet_write_string(ws, row, 0, text, NULL);
    worksheet_write_formula_num(ws, row, 1, eq, NULL, -12345.0);
    worksheet_write_number(ws, row, 2, v, NULL);
    free(eq);
    free(f);
    ns_expr_free(e);
    return 1;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: formula_book BOOK\n");
        return 2;
    }
    lxw_workbook *wb = workbook_new(argv[1]);
    write_inputs(wb);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "F");
    lxw_row_t row = 1;
    for (size_t i = 0; i < sizeof picked / sizeof picked[0]; i++)
        row += (lxw_row_t)write_one(ws, row, picked[i]);
    struct rng r = {20261202};
    for (int i = 0; i < 400; i++) {
        char text[4096];
        random_expr(&r, 4, text, sizeof text);
        row += (lxw_row_t)write_one(ws, row, text);
    }
    printf("%u expressions\n", (unsigned)(row - 1));
    return workbook_close(wb) == LXW_NO_ERROR ? 0 : 2;
}

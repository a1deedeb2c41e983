/* netsave fuzzing: arbitrary bytes as an expression.
 *
 * Compiles them against a few names and a look-up table, and evaluates
 * what compiles. Faults are expected; crashes, leaks and sanitizer
 * reports are not. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"a", "b", "cycle", "p_quit"};

static long
variable(void *ctx, const char *name, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
            return (long)i;
    return -1;
}

static long
table(void *ctx, const char *name, size_t len)
{
    (void)ctx;
    return len == 2 && memcmp(name, "lt", 2) == 0 ? 0 : -1;
}

static const char *
suggest(void *ctx, const char *name, size_t len)
{
    (void)ctx;
    (void)name;
    return len ? "a" : NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct ns_expr_resolver r = {NULL, variable, table, suggest};
    struct ns_expr *e = NULL;
    char err[256];
    if (ns_expr_compile(text, &r, &e, err, sizeof err) == NS_OK) {
        static const double x[] = {0.0, 15.0, 40.0};
        static const double y[] = {0.001, 0.002, 0.01};
        const struct ns_table tables[] = {{"lt", 3, x, y, false}};
        const double vars[] = {0.0731, -2.5, 3.0, 1e300};
        double v;
        struct ns_expr_fault f;
        ns_expr_eval(e, vars, tables, &v, &f);
        double c;
        ns_expr_is_constant(e, &c);
        for (size_t i = 0; i < ns_expr_n_variables(e); i++)
            (void)ns_expr_variable(e, i);
    }
    ns_expr_free(e);
    free(text);
    return 0;
}

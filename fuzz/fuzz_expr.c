/* netsave fuzzing: arbitrary bytes as an expression.
 *
 * Compiles them against a few names and a look-up table, and evaluates
 * what compiles. Faults are expected; crashes, leaks and sanitizer
 * reports are not.
 *
 * With NS_FUZZ_JIT=1 in the environment, an expression that compiles and
 * can stand as an INI value also becomes parameter e of a small model
 * (the same names and table), which, when it runs, is compiled to
 * machine code and compared with the interpreter bit for bit
 * (fuzz/fuzz_jit.h): an expression fuzzed directly reaches shapes the
 * model fuzzer seldom makes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_jit.h"
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

/* Runs model (built from params) once, and when it runs, checks the
 * compiled path. */
static void
run_and_check_jit(const struct ns_params *params, struct ns_model *model,
                  size_t size, struct ns_diags *diags)
{
    struct ns_results *r = ns_results_alloc(model);
    struct ns_workspace *ws = ns_workspace_alloc(model);
    if (r && ws && ns_model_run(model, ws, r, diags) == NS_OK)
        check_jit_sized(params, model, r, size);
    ns_workspace_free(ws);
    ns_results_free(r);
}

/* The model around expression e: a, b and p_quit as the evaluation
 * above has them, cycle from 0 to 3, and table lt. */
static const char model_head[] =
    "[model]\nname = E\ncycle_length = 1\nn_cycles = 3\n"
    "[discount]\ncosts = 0.035\n[states]\nwell = Well\n"
    "[strategies]\ns = S\n[initial]\nwell = 1\n"
    "[table.lt]\nfile = lt.csv\nkey_column = x\nvalue_column = y\n"
    "[transitions]\nwell -> well = 1\n"
    "[stream.cost]\noutcome = costs\nwell = e\n"
    "[parameters]\na = 0.0731\nb = -2.5\np_quit = 1e300\ne = ";

static void
check_expr_jit(const char *text, size_t size)
{
    static const char lt[] = "x,y\n0,0.001\n15,0.002\n40,0.01\n";
    static const struct ns_memory_file lt_file = {"lt.csv", lt,
                                                  sizeof lt - 1};
    if (strpbrk(text, "\n\r;#[]"))
        return; /* not one INI line */
    size_t n = sizeof model_head + strlen(text) + 2;
    char *ini = malloc(n);
    struct ns_params *params = ns_params_alloc();
    struct ns_diags diags = {0};
    struct ns_model *model = NULL;
    enum ns_status st = ini && params ? NS_OK : NS_ENOMEM;
    if (st == NS_OK) {
        snprintf(ini, n, "%s%s\n", model_head, text);
        params->memory_files = &lt_file;
        params->n_memory_files = 1;
        st = ns_params_load_text(params, "e.ini", ini, strlen(ini), NULL,
                                 &diags);
    }
    if (st == NS_OK)
        st = ns_params_finish(params, &diags);
    if (st == NS_OK)
        st = ns_model_compile(&params->def, &model, &diags);
    if (st == NS_OK)
        run_and_check_jit(params, model, size, &diags);
    ns_model_free(model);
    ns_params_free(params);
    ns_diags_clear(&diags);
    free(ini);
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
        bool constant = ns_expr_is_constant(e, &c);
        for (size_t i = 0; i < ns_expr_n_variables(e); i++)
            (void)ns_expr_variable(e, i);
        if (!constant && jit_wanted())
            check_expr_jit(text, size);
    }
    ns_expr_free(e);
    free(text);
    return 0;
}

/* netsave validation: runs a model file and compares its results with the
 * published values listed in a CSV file beside it.
 *
 * usage: check_case MODEL.ini EXPECTED.csv
 * EXPECTED.csv columns: strategy, measure (an outcome name, or "icer"),
 * discounted (0 or 1), expected, rel_tol, source. Prints one PASS/FAIL line
 * per value and exits 0 only when every value is within its tolerance. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/engine.h"
#include "model/results.h"
#include "params/params.h"

static int
report(const char *what, double got, double expected, double rel_tol)
{
    double err = fabs(got - expected) / fabs(expected);
    int ok = err <= rel_tol;
    printf("%s %-28s got %.10g expected %.10g (rel error %.2g, tol %g)\n",
           ok ? "PASS" : "FAIL", what, got, expected, err, rel_tol);
    return ok;
}

static int
check_row(const struct ns_model *m, const struct ns_results *r, char *line)
{
    char *fields[6];
    char *save = NULL;
    size_t n = 0;
    for (char *tok = strtok_r(line, ",", &save); tok && n < 6;
         tok = strtok_r(NULL, ",", &save))
        fields[n++] = tok;
    if (n < 5) {
        printf("FAIL malformed expectation row\n");
        return 0;
    }
    long k = ns_model_find_strategy(m, fields[0]);
    bool disc = strcmp(fields[2], "1") == 0;
    double expected = strtod(fields[3], NULL), tol = strtod(fields[4], NULL);
    char what[128];
    snprintf(what, sizeof what, "%s %s%s", fields[0], fields[1],
             disc ? " (disc.)" : "");
    if (k < 0) {
        printf("FAIL %s: no such strategy\n", what);
        return 0;
    }
    if (strcmp(fields[1], "icer") == 0) {
        struct ns_incremental inc;
        ns_results_incremental(m, r, (size_t)k, disc, &inc);
        return report(what, inc.icer, expected, tol);
    }
    long o = ns_model_find_outcome(m, fields[1]);
    if (o < 0) {
        printf("FAIL %s: no such outcome\n", what);
        return 0;
    }
    return report(what,
                  ns_results_outcome(r, (size_t)k, (size_t)o, disc), expected,
                  tol);
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: check_case MODEL.ini EXPECTED.csv\n");
        return 2;
    }
    struct ns_diags diags = {0};
    struct ns_params *params = ns_params_alloc();
    struct ns_model *model = NULL;
    struct ns_results *results = NULL;
    struct ns_workspace *ws = NULL;
    int failures = 1;
    enum ns_status st = ns_params_load_file(params, argv[1], &diags);
    if (st == NS_OK)
        st = ns_params_finish(params, &diags);
    if (st == NS_OK)
        st = ns_model_compile(&params->def, &model, &diags);
    if (st == NS_OK) {
        results = ns_results_alloc(model);
        ws = ns_workspace_alloc(model);
        st = ns_model_run(model, ws, results, &diags);
    }
    FILE *fp = st == NS_OK ? fopen(argv[2], "r") : NULL;
    if (fp) {
        char line[1024];
        failures = 0;
        size_t rows = 0;
        bool header = true;
        while (fgets(line, sizeof line, fp)) {
            if (header) {
                header = false;
                continue;
            }
            rows++;
            failures += !check_row(model, results, line);
        }
        fclose(fp);
        if (rows == 0)
            failures = 1;
        printf("%zu passed, %d failed\n", rows - (size_t)failures, failures);
    } else {
        char buf[1400];
        for (size_t i = 0; i < diags.count; i++) {
            ns_diag_format(&diags.items[i], buf, sizeof buf);
            fprintf(stderr, "%s\n", buf);
        }
        fprintf(stderr, "check_case: cannot run %s against %s\n", argv[1],
                argv[2]);
    }
    ns_workspace_free(ws);
    ns_results_free(results);
    ns_model_free(model);
    ns_params_free(params);
    ns_diags_clear(&diags);
    return failures ? 1 : 0;
}

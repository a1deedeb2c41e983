/* netsave attrition: net savings under assumptions about the clients
 * lost to follow-up. */
#include <math.h>
#include <stdio.h>

#include "cli/cli.h"
#include "model/jit.h"
#include "model/analysis/attrition.h"

static void
print_table(const struct ns_model *m, const struct ns_attrition_table *t)
{
    size_t K = t->n_strategies;
    printf("Net savings per client (discounted, %s) after refitting to "
           "the targets, by what the clients lost to follow-up did:\n",
           ns_cli_perspective_name(m, t->perspective));
    printf("%-16s %16s %16s %16s\n", "strategy", "as observed",
           "back at intake", "worse by delta");
    for (size_t k = 0; k < K; k++)
        if (m->comparator[k] >= 0)
            printf("%-16s %16.2f %16.2f %16.2f\n", m->strategies[k].name,
                   t->net[k], t->net[K + k], t->net[2 * K + k]);
    printf("(delta %g; shares followed up as in the targets file)\n",
           t->delta);
    for (size_t k = 0; t->tipping && k < K; k++) {
        if (m->comparator[k] < 0)
            continue;
        if (!isnan(t->tipping[k]))
            printf("tipping point: %s reaches zero net savings when the lost "
                   "did worse by %.4f\n",
                   m->strategies[k].name, t->tipping[k]);
        else
            printf("tipping point: %s: none for delta in [0, 1]\n",
                   m->strategies[k].name);
    }
}

static int
attrition(const struct ns_cli_args *a, struct ns_cli_model *cm)
{
    const struct ns_model *m = cm->pop->models[0];
    if (m->n_free_params == 0 || m->n_targets == 0) {
        fprintf(stderr, "netsave attrition: the model needs targets and "
                        "[calibrate] parameters to refit (see netsave "
                        "attrition --help)\n");
        return NS_EXIT_BAD_INPUT;
    }
    struct ns_attrition_options opt = {.delta = a->delta,
                                       .tipping = a->tipping};
    if (!ns_cli_perspective(a, m, &opt.perspective))
        return NS_EXIT_BAD_INPUT;
    struct ns_attrition_table *t = NULL;
    enum ns_status st = ns_attrition_run(cm->pop, &opt, &t, &cm->diags);
    if (st != NS_OK)
        return ns_cli_failed("attrition", st, &cm->diags, NS_EPARAM);
    print_table(m, t);
    int rc = NS_EXIT_OK;
    /* The outputs describe the model as written, plus the table. */
    if (a->output || a->csv_dir) {
        struct ns_checks checks = {0};
        struct ns_run_info extra = {.attrition = t};
        rc = ns_cli_verify(cm->pop, &checks, &cm->diags)
                 ? ns_cli_write_outputs(a, cm->params, cm->pop, &checks,
                                        &extra, false)
                 : NS_EXIT_FAILURE;
        ns_checks_clear(&checks);
    }
    ns_attrition_table_free(t);
    return rc;
}

int
ns_cli_attrition(const struct ns_cli_args *a)
{
    struct ns_cli_model m;
    int rc = ns_cli_model_load_native(a, &m, NS_JIT_FOR_ONE, NS_CLI_RUNS_ATTRITION);
    if (rc == NS_EXIT_OK)
        rc = attrition(a, &m);
    ns_cli_model_clear(&m);
    return rc;
}

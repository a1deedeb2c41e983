/* netsave threshold: where net savings reach zero, or where the best
 * strategy changes. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "model/jit.h"
#include "model/analysis/threshold.h"

static void
print_best(const struct ns_model *m, const char *param,
           const struct ns_threshold_table *t)
{
    const struct ns_best_switch *sw = &t->best;
    if (sw->found)
        printf("The strategy with the highest net savings changes from "
               "%s to %s at %s = %.6g\n",
               m->strategies[sw->from].name, m->strategies[sw->to].name,
               param, sw->value);
    else
        printf("The strategy with the highest net savings does not "
               "change for %s from %g to %g: none in range\n",
               param, t->options.low, t->options.high);
}

static void
print_zeros_heading(const struct ns_model *m, const char *param,
                    const struct ns_threshold_options *o)
{
    printf("Where net savings (discounted, %s) reach zero as %s goes from "
           "%g to %g:\n",
           ns_cli_perspective_name(m, o->perspective), param, o->low,
           o->high);
}

static void
print_zeros(const struct ns_model *m, const char *param,
            const struct ns_threshold_table *t)
{
    const struct ns_threshold_options *o = &t->options;
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        const struct ns_threshold *z = &t->by_strategy[k];
        printf("  %-16s vs %-16s ", m->strategies[k].name,
               m->strategies[m->comparator[k]].name);
        if (z->found)
            printf("%s = %.6g", param, z->value);
        else
            printf("none in range");
        printf("  (net savings %.2f at %g, %.2f at %g)\n", z->at_low, o->low,
               z->at_high, o->high);
    }
}

static int
threshold(const struct ns_cli_args *a, struct ns_cli_model *cm)
{
    const struct ns_model *m = cm->pop->models[0];
    const char *param = a->params.items[0];
    long pi = ns_model_find_param(m, param);
    if (pi < 0) {
        fprintf(stderr, "netsave threshold: the model has no parameter %s\n",
                param);
        return NS_EXIT_BAD_INPUT;
    }
    long view;
    if (!ns_cli_perspective(a, m, &view))
        return NS_EXIT_BAD_INPUT;
    struct ns_threshold_options opt = {
        (size_t)pi, a->range[0], a->range[1], view,
        a->target && strcmp(a->target, "best_modality") == 0
            ? NS_THRESHOLD_BEST
            : NS_THRESHOLD_NET_SAVINGS};
    /* The heading first, so that a long search shows what it is doing. */
    if (opt.target == NS_THRESHOLD_NET_SAVINGS)
        print_zeros_heading(m, param, &opt);
    fflush(stdout);
    struct ns_threshold_table *t = NULL;
    long failed;
    enum ns_status st = ns_threshold_run(cm->pop, &opt, &t, &failed,
                                         &cm->diags);
    if (st != NS_OK) {
        char what[300];
        snprintf(what, sizeof what, "threshold%s%s", failed >= 0 ? ": " : "",
                 failed >= 0 ? m->strategies[failed].name : "");
        return ns_cli_failed(what, st, &cm->diags, NS_EMODEL);
    }
    if (opt.target == NS_THRESHOLD_BEST)
        print_best(m, param, t);
    else
        print_zeros(m, param, t);
    ns_threshold_table_free(t);
    return NS_EXIT_OK;
}

int
ns_cli_threshold(const struct ns_cli_args *a)
{
    if (a->params.n > 1) {
        fprintf(stderr, "netsave threshold: --param is given twice: one "
                        "parameter at a time\n");
        return NS_EXIT_BAD_INPUT;
    }
    if (!a->params.n || !a->given[NS_OPT_RANGE]) {
        fprintf(stderr, "netsave threshold: --param NAME and --range "
                        "LOW,HIGH are required (see netsave threshold "
                        "--help)\n");
        return NS_EXIT_BAD_INPUT;
    }
    struct ns_cli_model m;
    int rc = ns_cli_model_load_native(a, &m, NS_JIT_FOR_ONE, NS_CLI_RUNS_THRESHOLD);
    if (rc == NS_EXIT_OK)
        rc = threshold(a, &m);
    ns_cli_model_clear(&m);
    return rc;
}

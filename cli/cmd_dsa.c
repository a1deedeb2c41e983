/* netsave dsa: the tornado, and a two-way grid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/jit.h"
#include "model/analysis/dsa.h"

/* The uncertain parameters --param names, into only[]; false after a
 * message. */
static bool
named_params(const struct ns_cli_args *a, const struct ns_model *m,
             size_t *only)
{
    for (size_t i = 0; i < a->params.n; i++) {
        long u = ns_model_find_uncertain(m, a->params.items[i]);
        if (u < 0) {
            fprintf(stderr,
                    "netsave dsa: parameter %s has no range or "
                    "distribution\n",
                    a->params.items[i]);
            return false;
        }
        only[i] = (size_t)u;
    }
    return true;
}

/* --two-way A,B into opt->a and opt->b; false after a message. */
static bool
two_way_params(const struct ns_cli_args *a, const struct ns_model *m,
               struct ns_dsa_options *opt)
{
    if (!a->two_way)
        return true;
    long ta = -1, tb = -1;
    const char *comma = strchr(a->two_way, ',');
    char *first = comma ? strndup(a->two_way, (size_t)(comma - a->two_way))
                        : NULL;
    if (first) {
        ta = ns_model_find_uncertain(m, first);
        tb = ns_model_find_uncertain(m, comma + 1);
    }
    free(first);
    if (ta < 0 || tb < 0 || ta == tb) {
        fprintf(stderr,
                "netsave dsa: --two-way needs two different parameters "
                "with ranges, as A,B; got '%s'\n",
                a->two_way);
        return false;
    }
    *opt = (struct ns_dsa_options){opt->perspective, opt->only, opt->n_only,
                                   true, (size_t)ta, (size_t)tb, a->grid};
    return true;
}

static void
print_tornado(const struct ns_model *m, const struct ns_dsa *d)
{
    printf("One-way sensitivity: net savings per client, discounted, %s, "
           "at the low and high end of each range (widest first)\n",
           ns_cli_perspective_name(m, d->options.perspective));
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        printf("%s (base %.2f):\n", m->strategies[k].name, d->base[k]);
        for (size_t i = 0; i < d->n_bars && i < NS_DSA_BARS_SHOWN; i++) {
            const struct ns_tornado_bar *b = &d->bars[k * d->n_bars + i];
            printf("  %-28s %12.6g .. %-12.6g %12.2f .. %-12.2f\n",
                   m->params[m->uncertain[b->uncertain].param].name, b->low,
                   b->high, b->net_low, b->net_high);
        }
    }
}

static int
write_csv(const struct ns_cli_args *a, const struct ns_model *m,
          const struct ns_dsa *d)
{
    char err[512];
    const struct ns_dsa_options *o = &d->options;
    if (!ns_cli_ensure_dir(a->csv_dir))
        return NS_EXIT_FAILURE;
    if (ns_csv_write_tornado(a->csv_dir, m, o->perspective, d->bars,
                             d->n_bars, d->base, d->by_payer, a->set, err,
                             sizeof err) != NS_OK ||
        (o->two_way &&
         ns_csv_write_two_way(a->csv_dir, m, o->perspective, o->a, o->b,
                              o->grid, d->grid, a->set,
                              err, sizeof err) != NS_OK)) {
        fprintf(stderr, "netsave: %s\n", err);
        return NS_EXIT_FAILURE;
    }
    return NS_EXIT_OK;
}

static int
dsa(const struct ns_cli_args *a, struct ns_cli_model *cm, size_t *only)
{
    const struct ns_model *m = cm->pop->models[0];
    struct ns_dsa_options opt = {.only = only, .n_only = a->params.n};
    if (!ns_cli_perspective(a, m, &opt.perspective))
        return NS_EXIT_BAD_INPUT;
    if (m->n_uncertain == 0) {
        fprintf(stderr, "netsave dsa: no parameter has a range: add "
                        "[ranges] or [uncertainty] to the model\n");
        return NS_EXIT_BAD_INPUT;
    }
    if (!named_params(a, m, only) || !two_way_params(a, m, &opt))
        return NS_EXIT_BAD_INPUT;
    struct ns_dsa *d = NULL;
    enum ns_status st = ns_dsa_run(cm->pop, &opt, &d, &cm->diags);
    if (st != NS_OK)
        return ns_cli_failed("dsa", st, &cm->diags, NS_EMODEL);
    print_tornado(m, d);
    int rc = a->csv_dir ? write_csv(a, m, d) : NS_EXIT_OK;
    if (rc == NS_EXIT_OK && a->output) {
        struct ns_run_info extra = {.tornado = d->bars,
                                    .n_tornado_bars = d->n_bars,
                                    .tornado_base = d->base,
                                    .tornado_by_payer = d->by_payer};
        rc = ns_cli_write_base_workbook(a, cm->params, cm->pop, &extra,
                                        &cm->diags);
    }
    ns_dsa_free(d);
    return rc;
}

int
ns_cli_dsa(const struct ns_cli_args *a)
{
    struct ns_cli_model m;
    size_t *only = calloc(a->params.n + 1, sizeof *only);
    int rc = only ? ns_cli_model_load_native(a, &m, NS_JIT_FOR_ONE, NS_CLI_RUNS_DSA) : NS_EXIT_FAILURE;
    if (rc == NS_EXIT_OK)
        rc = dsa(a, &m, only);
    if (only)
        ns_cli_model_clear(&m);
    free(only);
    return rc;
}

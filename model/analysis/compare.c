/* netsave: scenarios against a base (see compare.h). */
#include "model/analysis/compare.h"

#include <math.h>
#include <stdlib.h>

#include "model/ledger.h"

void
ns_comparison_free(struct ns_comparison *c)
{
    if (!c)
        return;
    for (size_t i = 0; c->scenarios && i < c->n; i++) {
        char **changes = (char **)c->scenarios[i].changes;
        for (size_t j = 0; j < c->scenarios[i].n_changes; j++)
            free(changes[j]);
        free(changes);
    }
    free(c->scenarios);
    free(c->net_savings);
    free(c);
}

/* The comparison owns every spec's changes from the start, so whatever
 * fails, they are freed once. */
static struct ns_comparison *
comparison_alloc(const struct ns_scenario_spec *specs, size_t n)
{
    struct ns_comparison *c = calloc(1, sizeof *c);
    struct ns_scenario_result *s = calloc(n + 1, sizeof *s);
    if (!c || !s) {
        free(c);
        free(s);
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < specs[i].n_changes; j++)
                free(specs[i].changes[j]);
            free(specs[i].changes);
        }
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        s[i] = (struct ns_scenario_result){
            specs[i].file, specs[i].name, specs[i].description, NULL, NULL,
            (const char *const *)specs[i].changes, specs[i].n_changes};
    c->scenarios = s;
    c->n = n;
    return c;
}

static void
tabulate(struct ns_comparison *c)
{
    size_t K = c->n_strategies;
    for (size_t i = 0; i < c->n; i++) {
        const struct ns_model *m = c->scenarios[i].model;
        for (size_t k = 0; k < K; k++) {
            struct ns_ledger l;
            ns_ledger_compute(m, c->scenarios[i].results, k, c->perspective,
                              true, &l, NULL);
            c->net_savings[i * K + k] =
                m->comparator[k] < 0 ? NS_NAN : l.net_savings;
        }
    }
}

enum ns_status
ns_compare_run(const struct ns_scenario_spec *specs, size_t n,
               struct ns_comparison **out, size_t *failed,
               struct ns_diags *diags)
{
    *out = NULL;
    struct ns_comparison *c = comparison_alloc(specs, n);
    if (!c)
        return NS_ENOMEM;
    const struct ns_model *m0 = specs[0].pop->models[0];
    c->perspective = m0->n_perspectives ? 0 : NS_ALL_PAYERS;
    c->n_strategies = m0->n_strategies;
    c->net_savings = calloc(n * c->n_strategies + 1, sizeof(double));
    enum ns_status st = c->net_savings ? NS_OK : NS_ENOMEM;
    for (size_t i = 0; st == NS_OK && i < n; i++) {
        st = ns_population_run(specs[i].pop, diags);
        if (st != NS_OK && failed)
            *failed = i;
        c->scenarios[i].model = specs[i].pop->models[0];
        c->scenarios[i].results = specs[i].pop->pooled;
    }
    if (st != NS_OK) {
        ns_comparison_free(c);
        return st;
    }
    tabulate(c);
    *out = c;
    return NS_OK;
}

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
ns_runs_shared(struct ns_population *const *pops, size_t n,
               const struct ns_run_share *share, size_t *failed,
               struct ns_diags *diags)
{
    size_t R = share ? share->n_ranks : 1, rank = share ? share->rank : 0;
    enum ns_status st = NS_OK;
    for (size_t i = 0; st == NS_OK && i < n; i++) {
        size_t owner = i % R;
        if (owner == rank)
            st = ns_population_run(pops[i], diags);
        else if (rank == 0)
            st = share->receive(share->ctx, i, owner, pops[i], diags);
        else
            continue;
        if (rank != 0) {
            enum ns_status sent = share->send(share->ctx, i, pops[i], st,
                                              diags);
            st = st == NS_OK ? sent : st;
        }
        if (st != NS_OK && failed)
            *failed = i;
    }
    return st;
}

enum ns_status
ns_compare_run(const struct ns_scenario_spec *specs, size_t n,
               struct ns_comparison **out, size_t *failed,
               struct ns_diags *diags)
{
    return ns_compare_run_shared(specs, n, NULL, out, failed, diags);
}

enum ns_status
ns_compare_run_shared(const struct ns_scenario_spec *specs, size_t n,
                      const struct ns_run_share *share,
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
    struct ns_population **pops = calloc(n + 1, sizeof *pops);
    enum ns_status st = c->net_savings && pops ? NS_OK : NS_ENOMEM;
    for (size_t i = 0; pops && i < n; i++) {
        pops[i] = specs[i].pop;
        c->scenarios[i].model = specs[i].pop->models[0];
        c->scenarios[i].results = specs[i].pop->pooled;
    }
    if (st == NS_OK)
        st = ns_runs_shared(pops, n, share, failed, diags);
    free(pops);
    if (st != NS_OK) {
        ns_comparison_free(c);
        return st;
    }
    tabulate(c);
    *out = c;
    return NS_OK;
}

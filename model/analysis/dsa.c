/* netsave: one-way and two-way sensitivity analysis (see dsa.h). */
#include "model/analysis/dsa.h"

#include <math.h>
#include <stdlib.h>

#include "model/engine.h"
#include "model/ledger.h"

/* Runs with the overrides and reads every strategy's net savings,
 * savings per GBP 1 and savings by payer ([k * n_payers + p]); bcr and
 * by_payer may be NULL. */
static enum ns_status
net_savings(struct ns_population *pop, const double *override,
            long perspective, double *net, double *bcr, double *by_payer,
            struct ns_diags *diags)
{
    struct ns_run_options opt = {.param_override = override};
    enum ns_status st = ns_population_run_opt(pop, &opt, diags);
    if (st != NS_OK)
        return st;
    const struct ns_model *m = pop->models[0];
    for (size_t k = 0; k < m->n_strategies; k++) {
        struct ns_ledger l;
        ns_ledger_totals(m, pop->pooled, k, perspective, true, &l,
                         by_payer ? &by_payer[k * m->n_payers] : NULL);
        net[k] = l.net_savings;
        if (bcr)
            bcr[k] = l.benefit_cost_ratio;
    }
    return NS_OK;
}

static int
wider_first(const void *a, const void *b)
{
    const struct ns_tornado_bar *x = a, *y = b;
    /* NaN widths (no comparator) sort last. */
    if (isnan(x->width) || isnan(y->width))
        return isnan(x->width) - isnan(y->width);
    return (x->width < y->width) - (x->width > y->width);
}

enum ns_status
ns_dsa_one_way(struct ns_population *pop, long perspective,
               const size_t *only, size_t n_only,
               struct ns_tornado_bar *bars, size_t *n_bars, double *base,
               double *by_payer, struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    size_t K = m->n_strategies, U = n_only ? n_only : m->n_uncertain;
    size_t P = m->n_payers;
    double *override = malloc((m->n_params + 1) * sizeof *override);
    double *lo = malloc((2 * K + 1) * sizeof *lo), *hi = lo + K;
    double *blo = malloc((2 * K + 1) * sizeof *blo), *bhi = blo + K;
    double *plo = malloc((2 * K * P + 1) * sizeof *plo), *phi = plo + K * P;
    if (!override || !lo || !blo || !plo) {
        free(override);
        free(lo);
        free(blo);
        free(plo);
        return NS_ENOMEM;
    }
    for (size_t i = 0; i < m->n_params; i++)
        override[i] = NS_NAN;
    enum ns_status st = net_savings(pop, override, perspective, base, NULL,
                                    NULL, diags);
    for (size_t i = 0; st == NS_OK && i < U; i++) {
        size_t ui = n_only ? only[i] : i;
        const struct ns_uncertain_param *u = &m->uncertain[ui];
        override[u->param] = u->low;
        st = net_savings(pop, override, perspective, lo, blo, plo, diags);
        override[u->param] = u->high;
        if (st == NS_OK)
            st = net_savings(pop, override, perspective, hi, bhi, phi, diags);
        override[u->param] = NS_NAN;
        for (size_t k = 0; st == NS_OK && k < K; k++) {
            bars[k * U + i] = (struct ns_tornado_bar){
                .uncertain = ui,
                .low = u->low,
                .high = u->high,
                .net_low = lo[k],
                .net_high = hi[k],
                .bcr_low = blo[k],
                .bcr_high = bhi[k],
                .width = m->comparator[k] >= 0 ? fabs(hi[k] - lo[k])
                                               : NS_NAN,
                .row = i};
            for (size_t p = 0; by_payer && p < P; p++) {
                by_payer[((k * U + i) * 2) * P + p] = plo[k * P + p];
                by_payer[((k * U + i) * 2 + 1) * P + p] = phi[k * P + p];
            }
        }
    }
    for (size_t k = 0; st == NS_OK && k < K; k++)
        qsort(&bars[k * U], U, sizeof *bars, wider_first);
    *n_bars = U;
    free(override);
    free(lo);
    free(blo);
    free(plo);
    enum ns_status back = ns_population_run(pop, diags);
    return st != NS_OK ? st : back;
}

enum ns_status
ns_dsa_two_way(struct ns_population *pop, long perspective, size_t a,
               size_t b, size_t n, double *net, struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    size_t K = m->n_strategies;
    double *override = malloc((m->n_params + 1) * sizeof *override);
    if (!override)
        return NS_ENOMEM;
    for (size_t i = 0; i < m->n_params; i++)
        override[i] = NS_NAN;
    const struct ns_uncertain_param *ua = &m->uncertain[a];
    const struct ns_uncertain_param *ub = &m->uncertain[b];
    enum ns_status st = NS_OK;
    for (size_t i = 0; st == NS_OK && i < n; i++)
        for (size_t j = 0; st == NS_OK && j < n; j++) {
            double fa = n > 1 ? (double)i / (double)(n - 1) : 0.5;
            double fb = n > 1 ? (double)j / (double)(n - 1) : 0.5;
            override[ua->param] = ua->low + fa * (ua->high - ua->low);
            override[ub->param] = ub->low + fb * (ub->high - ub->low);
            st = net_savings(pop, override, perspective,
                             &net[(i * n + j) * K], NULL, NULL, diags);
        }
    free(override);
    enum ns_status back = ns_population_run(pop, diags);
    return st != NS_OK ? st : back;
}

void
ns_dsa_free(struct ns_dsa *d)
{
    if (!d)
        return;
    free(d->bars);
    free(d->base);
    free(d->by_payer);
    free(d->grid);
    free(d);
}

enum ns_status
ns_dsa_run(struct ns_population *pop, const struct ns_dsa_options *opt,
           struct ns_dsa **out, struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    size_t K = m->n_strategies, U = m->n_uncertain;
    *out = NULL;
    if (U == 0) {
        ns_diags_addf(diags, NULL, 0,
                      "no parameter has a range: add [ranges] or "
                      "[uncertainty] to the model");
        return NS_EPARAM;
    }
    struct ns_dsa *d = calloc(1, sizeof *d);
    if (!d)
        return NS_ENOMEM;
    d->options = *opt;
    d->options.only = NULL;
    d->bars = calloc(K * (U + 1), sizeof *d->bars);
    d->base = calloc(K + 1, sizeof *d->base);
    d->by_payer = calloc(K * U * 2 * m->n_payers + 1, sizeof *d->by_payer);
    if (opt->two_way)
        d->grid = calloc(opt->grid * opt->grid * K + 1, sizeof *d->grid);
    enum ns_status st = d->bars && d->base && d->by_payer &&
                                (d->grid || !opt->two_way)
                            ? NS_OK
                            : NS_ENOMEM;
    if (st == NS_OK)
        st = ns_dsa_one_way(pop, opt->perspective, opt->only, opt->n_only,
                            d->bars, &d->n_bars, d->base, d->by_payer, diags);
    if (st == NS_OK && opt->two_way)
        st = ns_dsa_two_way(pop, opt->perspective, opt->a, opt->b, opt->grid,
                            d->grid, diags);
    if (st != NS_OK) {
        ns_dsa_free(d);
        return st;
    }
    *out = d;
    return NS_OK;
}

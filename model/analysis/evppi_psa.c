/* netsave: EVPPI of a PSA's parameters and groups (evppi.h): the draws'
 * sampled values gathered while the PSA runs, then one regression design
 * per subject, fitted to each strategy's increments. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/analysis/evppi.h"
#include "model/model.h"

struct ns_evppi_draws {
    size_t n_uncertain, cap;
    size_t n;          /* draws gathered */
    double *x;         /* [u * cap + draw] */
};

struct ns_evppi_draws *
ns_evppi_draws_alloc(const struct ns_model *m, size_t n_draws)
{
    struct ns_evppi_draws *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->n_uncertain = m->n_uncertain;
    d->cap = n_draws < NS_PSA_KEPT ? n_draws : NS_PSA_KEPT;
    d->x = malloc((d->n_uncertain * d->cap + 1) * sizeof *d->x);
    if (!d->x) {
        free(d);
        return NULL;
    }
    return d;
}

void
ns_evppi_draws_free(struct ns_evppi_draws *d)
{
    if (!d)
        return;
    free(d->x);
    free(d);
}

enum ns_status
ns_evppi_draws_add(void *ctx, const struct ns_psa *psa, size_t first,
                   size_t n, const double *params)
{
    struct ns_evppi_draws *d = ctx;
    (void)psa;
    for (size_t j = 0; j < n && first + j < d->cap; j++)
        for (size_t u = 0; u < d->n_uncertain; u++)
            d->x[u * d->cap + first + j] = params[j * d->n_uncertain + u];
    if (first + n > d->n)
        d->n = first + n < d->cap ? first + n : d->cap;
    return NS_OK;
}

void
ns_evppi_free(struct ns_evppi *e)
{
    if (!e)
        return;
    free(e->subjects);
    free(e->net);
    free(e->nmb);
    free(e->evpi_net);
    free(e->evpi_nmb);
    free(e->wtp);
    free(e);
}

/* The groups, then every parameter with a distribution. */
static struct ns_evppi *
evppi_alloc(const struct ns_model *m, size_t K, size_t W)
{
    struct ns_evppi *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    size_t S = m->n_param_groups;
    for (size_t u = 0; u < m->n_uncertain; u++)
        S += m->uncertain[u].has_dist;
    *e = (struct ns_evppi){.n_subjects = S, .n_strategies = K, .n_wtp = W};
    e->subjects = calloc(S + 1, sizeof *e->subjects);
    e->net = malloc((S * K + 1) * sizeof *e->net);
    e->nmb = malloc((S * K * W + 1) * sizeof *e->nmb);
    e->evpi_net = malloc((K + 1) * sizeof *e->evpi_net);
    e->evpi_nmb = malloc((K * W + 1) * sizeof *e->evpi_nmb);
    e->wtp = malloc((W + 1) * sizeof *e->wtp);
    if (!e->subjects || !e->net || !e->nmb || !e->evpi_net || !e->evpi_nmb ||
        !e->wtp) {
        ns_evppi_free(e);
        return NULL;
    }
    for (size_t i = 0; i < S * K; i++)
        e->net[i] = NS_NAN;
    for (size_t i = 0; i < S * K * W; i++)
        e->nmb[i] = NS_NAN;
    size_t s = 0;
    for (size_t g = 0; g < m->n_param_groups; g++, s++)
        e->subjects[s] = (struct ns_evppi_subject){
            m->param_groups[g].name, true, m->param_groups[g].n,
            ns_evppi_min_draws(m->param_groups[g].n)};
    for (size_t u = 0; u < m->n_uncertain; u++)
        if (m->uncertain[u].has_dist)
            e->subjects[s++] = (struct ns_evppi_subject){
                m->params[m->uncertain[u].param].name, false, 1,
                ns_evppi_min_draws(1)};
    return e;
}

/* Work space for one subject's fits: the increments of one strategy and
 * their fitted values. */
struct fits {
    size_t n;
    double *fit_net, *fit_dc, *fit_dh;
};

/* Strategy k's EVPPI for the subject in row s, from the design f. */
static enum ns_status
strategy_evppi(const struct ns_psa *psa, const struct ns_evppi_fit *f,
               struct fits *w, struct ns_evppi *e, size_t s, size_t k)
{
    size_t K = e->n_strategies, W = e->n_wtp, n_kept;
    const double *net = ns_psa_kept(psa, k, NS_PSA_NET, &n_kept);
    enum ns_status st = ns_evppi_fit_apply(f, net, w->fit_net);
    if (st == NS_ENOMEM)
        return st;
    const double *one[1] = {w->fit_net};
    if (st == NS_OK)
        e->net[s * K + k] = ns_evppi_value(one, 1, w->n);
    if (W == 0)
        return NS_OK;
    const double *dc = ns_psa_kept(psa, k, NS_PSA_DELTA_COST, &n_kept);
    const double *dh = ns_psa_kept(psa, k, NS_PSA_DELTA_HEALTH, &n_kept);
    st = ns_evppi_fit_apply(f, dc, w->fit_dc);
    if (st == NS_OK)
        st = ns_evppi_fit_apply(f, dh, w->fit_dh);
    if (st != NS_OK)
        return st == NS_ENOMEM ? st : NS_OK;
    for (size_t i = 0; i < W; i++)
        e->nmb[(s * K + k) * W + i] =
            ns_evppi_value_ce(w->fit_dh, w->fit_dc, e->wtp[i], w->n);
    return NS_OK;
}

/* The EVPI over the same draws, per strategy and grid point. */
static enum ns_status
evpi_same_draws(const struct ns_model *m, const struct ns_psa *psa,
                struct fits *w, struct ns_evppi *e)
{
    size_t W = e->n_wtp, n_kept;
    for (size_t k = 0; k < e->n_strategies; k++) {
        e->evpi_net[k] = NS_NAN;
        for (size_t i = 0; i < W; i++)
            e->evpi_nmb[k * W + i] = NS_NAN;
        if (m->comparator[k] < 0)
            continue;
        const double *net[1] = {ns_psa_kept(psa, k, NS_PSA_NET, &n_kept)};
        e->evpi_net[k] = ns_evppi_value(net, 1, w->n);
        const double *dc = ns_psa_kept(psa, k, NS_PSA_DELTA_COST, &n_kept);
        const double *dh = ns_psa_kept(psa, k, NS_PSA_DELTA_HEALTH, &n_kept);
        for (size_t i = 0; i < W; i++)
            e->evpi_nmb[k * W + i] =
                ns_evppi_value_ce(dh, dc, e->wtp[i], w->n);
    }
    return NS_OK;
}

/* The columns of subject s's parameters in d. */
static size_t
subject_columns(const struct ns_model *m, const struct ns_evppi_draws *d,
                size_t s, const double **cols)
{
    if (s < m->n_param_groups) {
        const struct ns_param_group *g = &m->param_groups[s];
        for (size_t j = 0; j < g->n; j++)
            cols[j] = &d->x[g->uncertain[j] * d->cap];
        return g->n;
    }
    size_t want = s - m->n_param_groups;
    for (size_t u = 0; u < m->n_uncertain; u++)
        if (m->uncertain[u].has_dist && want-- == 0) {
            cols[0] = &d->x[u * d->cap];
            break;
        }
    return 1;
}

static enum ns_status
subject_evppi(const struct ns_model *m, const struct ns_psa *psa,
              const struct ns_evppi_draws *d, struct fits *w,
              struct ns_evppi *e, size_t s, const double **cols)
{
    size_t r = subject_columns(m, d, s, cols);
    enum ns_status st;
    struct ns_evppi_fit *f = ns_evppi_fit_alloc(cols, r, w->n, &st);
    if (!f)
        return st == NS_ENOMEM ? st : NS_OK; /* too few draws: NaN */
    for (size_t k = 0; st == NS_OK && k < e->n_strategies; k++)
        if (m->comparator[k] >= 0)
            st = strategy_evppi(psa, f, w, e, s, k);
    ns_evppi_fit_free(f);
    return st;
}

/* The acceptability grid's points and the model's stated wtp, in order
 * and once each, into out (NULL: only counted); how many. */
static size_t
wtp_points(const struct ns_model *m, double *out)
{
    size_t n = 0, grid = ns_psa_ceac_points(m);
    bool stated = m->wtp > 0.0;
    for (size_t i = 0; i < grid; i++) {
        double w = m->wtp_step * (double)i;
        if (stated && m->wtp < w) {
            if (out)
                out[n] = m->wtp;
            n++;
            stated = false;
        }
        if (stated && !(m->wtp > w))
            stated = false; /* on the grid */
        if (out)
            out[n] = w;
        n++;
    }
    if (stated && out)
        out[n] = m->wtp;
    return n + stated;
}

enum ns_status
ns_evppi_compute(const struct ns_model *m, const struct ns_psa *psa,
                 const struct ns_evppi_draws *d, struct ns_evppi **out)
{
    *out = NULL;
    bool ce = m->health_outcome >= 0 && m->cost_outcome >= 0;
    size_t W = ce ? wtp_points(m, NULL) : 0;
    struct ns_evppi *e = evppi_alloc(m, psa->n_strategies, W);
    if (!e)
        return NS_ENOMEM;
    size_t n = d->n, n_cols = m->n_uncertain + 1;
    e->n_draws = n;
    if (W > 0)
        (void)wtp_points(m, e->wtp);
    struct fits w = {n, malloc((n + 1) * sizeof(double)),
                     malloc((n + 1) * sizeof(double)),
                     malloc((n + 1) * sizeof(double))};
    const double **cols = malloc(n_cols * sizeof *cols);
    enum ns_status st = w.fit_net && w.fit_dc && w.fit_dh && cols
                            ? evpi_same_draws(m, psa, &w, e)
                            : NS_ENOMEM;
    for (size_t s = 0; st == NS_OK && s < e->n_subjects; s++)
        st = subject_evppi(m, psa, d, &w, e, s, cols);
    free(w.fit_net);
    free(w.fit_dc);
    free(w.fit_dh);
    free(cols);
    if (st != NS_OK) {
        ns_evppi_free(e);
        return st;
    }
    *out = e;
    return NS_OK;
}

double
ns_evppi_at(const struct ns_evppi *e, size_t s, size_t k, size_t at)
{
    size_t K = e->n_strategies, W = e->n_wtp;
    if (s == e->n_subjects)
        return at == NS_EVPPI_NET_SAVINGS ? e->evpi_net[k]
                                          : e->evpi_nmb[k * W + at];
    return at == NS_EVPPI_NET_SAVINGS ? e->net[s * K + k]
                                      : e->nmb[(s * K + k) * W + at];
}

/* Subject s's largest EVPPI on the measure over the strategies (-1 when
 * it has none). */
static double
largest(const struct ns_evppi *e, size_t s, size_t at)
{
    double v = -1.0;
    for (size_t k = 0; k < e->n_strategies; k++)
        if (!isnan(ns_evppi_at(e, s, k, at)))
            v = fmax(v, ns_evppi_at(e, s, k, at));
    return v;
}

size_t *
ns_evppi_ranked(const struct ns_evppi *e, size_t at, size_t *n)
{
    size_t G = 0;
    while (G < e->n_subjects && e->subjects[G].group)
        G++;
    *n = e->n_subjects - G;
    size_t *r = malloc((*n + 1) * sizeof *r);
    double *v = malloc((*n + 1) * sizeof *v);
    if (!r || !v) {
        free(r);
        free(v);
        return NULL;
    }
    /* Insertion sort, stable: a model has tens of parameters. */
    for (size_t i = 0; i < *n; i++) {
        double x = largest(e, G + i, at);
        size_t j = i;
        for (; j > 0 && v[j - 1] < x; j--) {
            v[j] = v[j - 1];
            r[j] = r[j - 1];
        }
        v[j] = x;
        r[j] = G + i;
    }
    free(v);
    return r;
}

/* netsave: budget impact by convolution (see expansion.h). */
#include "model/analysis/expansion.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/expr.h"
#include "model/ledger.h"

void
ns_expansion_free(struct ns_expansion *e)
{
    if (!e)
        return;
    free(e->years);
    free(e->payer_savings);
    free(e);
}

static long
resolve_time(void *ctx, const char *name, size_t len)
{
    (void)ctx;
    return len == 4 && memcmp(name, "time", 4) == 0 ? 0 : -1;
}

/* Whether stream j is a cost the perspective counts (as the ledger). */
static bool
counted(const struct ns_model *m, size_t j, long perspective)
{
    const struct ns_stream_info *s = &m->streams[j];
    if ((long)s->outcome != m->cost_outcome)
        return false;
    if (perspective == NS_ALL_PAYERS)
        return true;
    return s->payer >= 0 && m->perspectives[perspective].has_payer[s->payer];
}

enum ns_status
ns_expansion_run(const struct ns_model *m, const struct ns_results *r,
                 size_t k, const char *places, long perspective,
                 struct ns_expansion **out, struct ns_diags *diags)
{
    *out = NULL;
    if (m->place_outcome < 0 || m->comparator[k] < 0) {
        ns_diags_addf(diags, NULL, 0,
                      m->place_outcome < 0
                          ? "expansion needs a place outcome ([model] "
                            "place_outcome) to turn places into clients"
                          : "strategy %s has no comparator to expand against",
                      m->strategies[k].name);
        return NS_EPARAM;
    }
    size_t c = (size_t)m->comparator[k], P = r->n_points;
    size_t o = (size_t)m->place_outcome;
    double cohort = 0.0;
    for (size_t s = 0; s < m->n_states; s++)
        cohort += ns_results_trace(r, k, 0, s);
    double place_years = (ns_results_outcome(r, k, o, false) -
                          ns_results_outcome(r, c, o, false)) /
                         cohort;
    if (!(place_years > 0.0)) {
        ns_diags_addf(diags, NULL, 0,
                      "strategy %s adds no treatment place-years, so places "
                      "cannot be turned into clients",
                      m->strategies[k].name);
        return NS_EPARAM;
    }
    struct ns_expr_resolver res = {NULL, resolve_time, NULL, NULL};
    struct ns_expr *expr = NULL;
    char err[256];
    enum ns_status st = ns_expr_compile(places, &res, &expr, err, sizeof err);
    if (st != NS_OK) {
        if (st == NS_EPARAM)
            ns_diags_addf(diags, NULL, 0, "places '%s': %s", places, err);
        return st;
    }
    struct ns_expansion *e = calloc(1, sizeof *e);
    double *inflow = calloc(P + 1, sizeof *inflow); /* per client entering */
    double *diff = calloc(P * (m->n_payers + 2) + 1, sizeof *diff);
    if (!e || !inflow || !diff) {
        ns_expr_free(expr);
        free(inflow);
        free(diff);
        ns_expansion_free(e);
        return NS_ENOMEM;
    }
    size_t n_years = ns_ledger_n_years(m);
    e->n_years = n_years;
    e->n_payers = m->n_payers;
    e->place_years_per_client = place_years;
    e->years = calloc(n_years, sizeof *e->years);
    e->payer_savings = calloc(n_years * m->n_payers + 1,
                              sizeof *e->payer_savings);
    if (!e->years || !e->payer_savings)
        st = NS_ENOMEM;
    double L = m->cycle_length_years;
    /* Clients entering at the start of each cycle c (time point c). */
    for (size_t t = 0; st == NS_OK && t + 1 < P; t++) {
        double vars[1] = {(double)t * L}, v;
        struct ns_expr_fault fault;
        if (ns_expr_eval(expr, vars, NULL, &v, &fault) != NS_OK ||
            !(v >= 0.0)) {
            ns_diags_addf(diags, NULL, 0,
                          "places '%s' must be 0 or more, got %s at %g years",
                          places, fault.kind ? fault.detail : "a negative value",
                          vars[0]);
            st = NS_EPARAM;
            break;
        }
        inflow[t] = v / place_years * L;
        size_t y = (size_t)floor((double)t * L + 1e-9);
        if (y < n_years) {
            e->years[y].places += v * L;
            e->years[y].starts += inflow[t];
        }
    }
    /* Per-client differences at each point, undiscounted: treatment cost,
     * savings over the perspective, and each payer's savings. */
    size_t W = m->n_payers + 2;
    for (size_t t = 0; st == NS_OK && t < P; t++)
        for (size_t j = 0; j < m->n_streams; j++) {
            double saving = (ns_results_value(r, c, t, j, false) -
                             ns_results_value(r, k, t, j, false)) /
                            cohort;
            if ((long)m->streams[j].outcome != m->cost_outcome)
                continue;
            if (counted(m, j, perspective)) {
                if (m->streams[j].is_intervention)
                    diff[t * W] -= saving;
                else
                    diff[t * W + 1] += saving;
            }
            if (m->streams[j].payer >= 0)
                diff[t * W + 2 + (size_t)m->streams[j].payer] += saving;
        }
    /* Convolution over calendar time points, then yearly sums,
     * discounted by calendar time with the cost outcome's rate. */
    for (size_t t = 0; st == NS_OK && t < P; t++) {
        double tc = 0.0, sv = 0.0;
        double d = ns_model_discount_factor(m, (size_t)m->cost_outcome, t);
        size_t y = t == 0 ? 0 : (size_t)ceil((double)t * L - 1e-9) - 1;
        if (y >= n_years)
            y = n_years - 1;
        for (size_t s = 0; s <= t; s++) {
            double n_in = inflow[s];
            if (!(n_in > 0.0))
                continue;
            tc += n_in * diff[(t - s) * W];
            sv += n_in * diff[(t - s) * W + 1];
            for (size_t q = 0; q < m->n_payers; q++)
                e->payer_savings[y * m->n_payers + q] +=
                    d * n_in * diff[(t - s) * W + 2 + q];
        }
        e->years[y].treatment_cost += d * tc;
        e->years[y].savings += d * sv;
    }
    double cumulative = 0.0;
    e->payback_year = NS_NAN;
    for (size_t y = 0; st == NS_OK && y < n_years; y++) {
        struct ns_expansion_year *yr = &e->years[y];
        yr->net_savings = yr->savings - yr->treatment_cost;
        cumulative += yr->net_savings;
        yr->cumulative = cumulative;
        /* Paid back for good: a later dip below 0 cancels it (as the
         * ledger's payback year). */
        if (!(cumulative > 0.0))
            e->payback_year = NS_NAN;
        else if (isnan(e->payback_year))
            e->payback_year = (double)(y + 1);
    }
    e->npv = cumulative;
    ns_expr_free(expr);
    free(inflow);
    free(diff);
    if (st != NS_OK) {
        ns_expansion_free(e);
        return st;
    }
    *out = e;
    return NS_OK;
}

/* netsave: thresholds by Brent's method (see threshold.h). */
#include "model/analysis/threshold.h"

#include <math.h>
#include <stdlib.h>

#include "model/engine.h"
#include "model/ledger.h"
#include "model/roots.h"

/* The parameter is known to a relative precision far finer than any
 * input deserves; more iterations would only polish noise. */
#define NS_THRESHOLD_REL_TOLERANCE 1e-8
#define NS_THRESHOLD_MAX_ITERATIONS 100

struct problem {
    struct ns_population *pop;
    double *override;
    size_t param, k;
    long perspective;
    struct ns_diags *diags;
    enum ns_status status;
    size_t n_evaluations;
};

static double
net_savings_at(double x, void *params)
{
    struct problem *pb = params;
    pb->override[pb->param] = x;
    struct ns_run_options opt = {.param_override = pb->override};
    pb->n_evaluations++;
    enum ns_status st = ns_population_run_opt(pb->pop, &opt, pb->diags);
    if (st != NS_OK) {
        pb->status = st;
        return NS_NAN;
    }
    struct ns_ledger l;
    ns_ledger_totals(pb->pop->models[0], pb->pop->pooled, pb->k,
                     pb->perspective, true, &l, NULL);
    return l.net_savings;
}

static const struct ns_root_search *
search_of(double low, double high, struct ns_root_search *s)
{
    *s = (struct ns_root_search){low, high, 0.0, NS_THRESHOLD_REL_TOLERANCE,
                                 NS_THRESHOLD_MAX_ITERATIONS};
    return s;
}

static enum ns_status
solve(struct problem *pb, double low, double high, struct ns_threshold *out)
{
    struct ns_root_search s;
    enum ns_status st = ns_root_find(net_savings_at, pb,
                                     search_of(low, high, &s), &out->value);
    return pb->status != NS_OK ? pb->status : st;
}

enum ns_status
ns_threshold_net_savings(struct ns_population *pop, size_t param, double low,
                         double high, size_t k, long perspective,
                         struct ns_threshold *out, struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    *out = (struct ns_threshold){false, NS_NAN, NS_NAN, NS_NAN, 0};
    struct problem pb = {pop, malloc((m->n_params + 1) * sizeof(double)),
                         param, k, perspective, diags, NS_OK, 0};
    if (!pb.override)
        return NS_ENOMEM;
    for (size_t i = 0; i < m->n_params; i++)
        pb.override[i] = NS_NAN;
    out->at_low = net_savings_at(low, &pb);
    out->at_high = net_savings_at(high, &pb);
    enum ns_status st = pb.status;
    if (st == NS_OK && out->at_low * out->at_high <= 0.0) {
        out->found = true;
        st = solve(&pb, low, high, out);
    }
    out->n_evaluations = pb.n_evaluations;
    free(pb.override);
    /* Leave the population as written, for whoever reads it next. */
    enum ns_status back = ns_population_run(pop, diags);
    return st != NS_OK ? st : back;
}

/* Best strategy (highest net savings) with the parameter at x. */
static enum ns_status
best_at(struct problem *pb, double x, size_t *best, double *net_of)
{
    const struct ns_model *m = pb->pop->models[0];
    double top = -HUGE_VAL;
    *best = 0;
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        pb->k = k;
        double v = net_savings_at(x, pb);
        if (pb->status != NS_OK)
            return pb->status;
        if (net_of)
            net_of[k] = v;
        if (v > top) {
            top = v;
            *best = k;
        }
    }
    return NS_OK;
}

struct pair {
    struct problem *pb;
    size_t a, b;
};

static double
difference_at(double x, void *params)
{
    struct pair *pr = params;
    pr->pb->k = pr->a;
    double va = net_savings_at(x, pr->pb);
    pr->pb->k = pr->b;
    double vb = net_savings_at(x, pr->pb);
    return va - vb;
}

enum ns_status
ns_threshold_best(struct ns_population *pop, size_t param, double low,
                  double high, long perspective, size_t n_grid,
                  struct ns_best_switch *out, struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    *out = (struct ns_best_switch){false, NS_NAN, 0, 0};
    struct problem pb = {pop, malloc((m->n_params + 1) * sizeof(double)),
                         param, 0, perspective, diags, NS_OK, 0};
    if (!pb.override)
        return NS_ENOMEM;
    for (size_t i = 0; i < m->n_params; i++)
        pb.override[i] = NS_NAN;
    size_t n = n_grid < 2 ? 2 : n_grid, prev = 0;
    double x_prev = low;
    enum ns_status st = best_at(&pb, low, &prev, NULL);
    for (size_t i = 1; st == NS_OK && i < n && !out->found; i++) {
        double x = low + (high - low) * (double)i / (double)(n - 1);
        size_t best;
        st = best_at(&pb, x, &best, NULL);
        if (st == NS_OK && best != prev) {
            struct pair pr = {&pb, prev, best};
            struct ns_root_search rs;
            double at;
            st = ns_root_find(difference_at, &pr, search_of(x_prev, x, &rs),
                              &at);
            if (st != NS_ENOMEM)
                *out = (struct ns_best_switch){true, at, prev, best};
            if (pb.status != NS_OK)
                st = pb.status;
        }
        prev = best;
        x_prev = x;
    }
    free(pb.override);
    enum ns_status back = ns_population_run(pop, diags);
    return st != NS_OK ? st : back;
}

void
ns_threshold_table_free(struct ns_threshold_table *t)
{
    if (!t)
        return;
    free(t->by_strategy);
    free(t);
}

enum ns_status
ns_threshold_run(struct ns_population *pop,
                 const struct ns_threshold_options *opt,
                 struct ns_threshold_table **out, long *failed,
                 struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    size_t K = m->n_strategies;
    *out = NULL;
    if (failed)
        *failed = -1;
    struct ns_threshold_table *t = calloc(1, sizeof *t);
    if (t)
        *t = (struct ns_threshold_table){
            *opt, K, calloc(K + 1, sizeof *t->by_strategy), {0}};
    enum ns_status st = t && t->by_strategy ? NS_OK : NS_ENOMEM;
    if (st == NS_OK && opt->target == NS_THRESHOLD_BEST)
        st = ns_threshold_best(pop, opt->param, opt->low, opt->high,
                               opt->perspective, NS_THRESHOLD_SCAN_POINTS,
                               &t->best, diags);
    for (size_t k = 0; st == NS_OK && opt->target == NS_THRESHOLD_NET_SAVINGS &&
                       k < K;
         k++) {
        t->by_strategy[k] =
            (struct ns_threshold){false, NS_NAN, NS_NAN, NS_NAN, 0};
        if (m->comparator[k] < 0)
            continue;
        st = ns_threshold_net_savings(pop, opt->param, opt->low, opt->high, k,
                                      opt->perspective, &t->by_strategy[k],
                                      diags);
        if (st != NS_OK && failed)
            *failed = (long)k;
    }
    if (st != NS_OK) {
        ns_threshold_table_free(t);
        return st;
    }
    *out = t;
    return NS_OK;
}

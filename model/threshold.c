/* netsave: thresholds by Brent's method (see threshold.h). */
#include "model/threshold.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>
#include <math.h>
#include <stdlib.h>

#include "model/engine.h"
#include "model/ledger.h"

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
        return NAN;
    }
    struct ns_ledger l;
    ns_ledger_compute(pb->pop->models[0], pb->pop->pooled, pb->k,
                      pb->perspective, true, &l, NULL);
    return l.net_savings;
}

static enum ns_status
solve(struct problem *pb, double low, double high, struct ns_threshold *out)
{
    gsl_function f = {net_savings_at, pb};
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!s)
        return NS_ENOMEM;
    if (gsl_root_fsolver_set(s, &f, low, high) != GSL_SUCCESS) {
        gsl_root_fsolver_free(s);
        return pb->status != NS_OK ? pb->status : NS_EGSL;
    }
    int status = GSL_CONTINUE;
    for (size_t i = 0;
         i < NS_THRESHOLD_MAX_ITERATIONS && status == GSL_CONTINUE; i++) {
        if (gsl_root_fsolver_iterate(s) != GSL_SUCCESS)
            break;
        status = gsl_root_test_interval(gsl_root_fsolver_x_lower(s),
                                        gsl_root_fsolver_x_upper(s), 0.0,
                                        NS_THRESHOLD_REL_TOLERANCE);
    }
    out->value = gsl_root_fsolver_root(s);
    gsl_root_fsolver_free(s);
    if (pb->status != NS_OK)
        return pb->status;
    return status == GSL_SUCCESS ? NS_OK : NS_EGSL;
}

enum ns_status
ns_threshold_net_savings(struct ns_population *pop, size_t param, double low,
                         double high, size_t k, long perspective,
                         struct ns_threshold *out, struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    *out = (struct ns_threshold){false, NAN, NAN, NAN, 0};
    struct problem pb = {pop, malloc((m->n_params + 1) * sizeof(double)),
                         param, k, perspective, diags, NS_OK, 0};
    if (!pb.override)
        return NS_ENOMEM;
    for (size_t i = 0; i < m->n_params; i++)
        pb.override[i] = NAN;
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

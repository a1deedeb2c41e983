/* netsave: Brent's method through GSL (see roots.h). */
#include "model/roots.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>
#include <math.h>
#include <stdbool.h>

/* GSL's Brent solver reports ends that do not bracket a root, and any
 * value that is not finite, through the process-wide error handler, which
 * aborts by default (model/netsave.h). The search therefore evaluates the
 * ends itself, and GSL only ever sees finite values: a value that is not
 * finite ends the search here instead. */
struct guarded {
    double (*f)(double x, void *ctx);
    void *ctx;
    double low, high, f_low, f_high; /* the ends, evaluated once */
    bool not_finite;                 /* f gave NaN or an infinity */
};

/* Exact equality, written with <= because -Wfloat-equal flags ==;
 * NaN equals nothing. */
static bool
exactly(double a, double b)
{
    return !isnan(a) && !isnan(b) && a <= b && b <= a;
}

static double
guarded_f(double x, void *params)
{
    struct guarded *g = params;
    if (exactly(x, g->low))
        return g->f_low;
    if (exactly(x, g->high))
        return g->f_high;
    double y = g->f(x, g->ctx);
    if (isfinite(y))
        return y;
    g->not_finite = true;
    return 0.0; /* a "root" that ends the search, refused below */
}

/* Whether GSL would accept the search: ordered finite ends whose values
 * are finite and bracket a root, and tolerances it allows. */
static bool
searchable(const struct guarded *g, const struct ns_root_search *s)
{
    return isfinite(g->low) && isfinite(g->high) && g->low <= g->high &&
           isfinite(g->f_low) && isfinite(g->f_high) &&
           !(g->f_low < 0.0 && g->f_high < 0.0) &&
           !(g->f_low > 0.0 && g->f_high > 0.0) &&
           s->abs_tolerance >= 0.0 && s->rel_tolerance >= 0.0;
}

enum ns_status
ns_root_find(double (*f)(double x, void *ctx), void *ctx,
             const struct ns_root_search *s, double *root)
{
    *root = NS_NAN;
    struct guarded g = {f, ctx, s->low, s->high, NS_NAN, NS_NAN, false};
    if (!(isfinite(s->low) && isfinite(s->high) && s->low <= s->high))
        return NS_EGSL;
    g.f_low = f(s->low, ctx);
    g.f_high = exactly(s->high, s->low) ? g.f_low : f(s->high, ctx);
    if (exactly(g.f_low, 0.0) && isfinite(g.f_high)) {
        *root = s->low;
        return NS_OK;
    }
    if (exactly(g.f_high, 0.0) && isfinite(g.f_low)) {
        *root = s->high;
        return NS_OK;
    }
    if (!searchable(&g, s) || exactly(s->low, s->high))
        return NS_EGSL;
    gsl_function fn = {guarded_f, &g};
    gsl_root_fsolver *solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!solver)
        return NS_ENOMEM;
    int status = gsl_root_fsolver_set(solver, &fn, s->low, s->high) ==
                         GSL_SUCCESS
                     ? GSL_CONTINUE
                     : GSL_FAILURE;
    for (size_t i = 0; i < s->max_iterations && status == GSL_CONTINUE;
         i++) {
        if (gsl_root_fsolver_iterate(solver) != GSL_SUCCESS || g.not_finite)
            break;
        *root = gsl_root_fsolver_root(solver);
        status = gsl_root_test_interval(gsl_root_fsolver_x_lower(solver),
                                        gsl_root_fsolver_x_upper(solver),
                                        s->abs_tolerance, s->rel_tolerance);
    }
    gsl_root_fsolver_free(solver);
    if (g.not_finite)
        *root = NS_NAN;
    return status == GSL_SUCCESS && !g.not_finite ? NS_OK : NS_EGSL;
}

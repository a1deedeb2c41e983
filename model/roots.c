/* netsave: Brent's method through GSL (see roots.h). */
#include "model/roots.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

enum ns_status
ns_root_find(double (*f)(double x, void *ctx), void *ctx,
             const struct ns_root_search *s, double *root)
{
    *root = NS_NAN;
    gsl_function fn = {f, ctx};
    gsl_root_fsolver *solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!solver)
        return NS_ENOMEM;
    if (gsl_root_fsolver_set(solver, &fn, s->low, s->high) != GSL_SUCCESS) {
        gsl_root_fsolver_free(solver);
        return NS_EGSL;
    }
    int status = GSL_CONTINUE;
    for (size_t i = 0; i < s->max_iterations && status == GSL_CONTINUE;
         i++) {
        if (gsl_root_fsolver_iterate(solver) != GSL_SUCCESS)
            break;
        *root = gsl_root_fsolver_root(solver);
        status = gsl_root_test_interval(gsl_root_fsolver_x_lower(solver),
                                        gsl_root_fsolver_x_upper(solver),
                                        s->abs_tolerance, s->rel_tolerance);
    }
    gsl_root_fsolver_free(solver);
    return status == GSL_SUCCESS ? NS_OK : NS_EGSL;
}

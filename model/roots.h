/* netsave: the one root finder (GSL's Brent solver), for thresholds,
 * tipping points and quantiles.
 *
 * Each caller once wrote its own GSL loop, with its own tolerances and
 * its own idea of what a failed iteration leaves behind; this is that loop
 * once. The function may fail part-way (a model run that breaks): it then
 * returns NaN and records why in its own context, which the caller reads
 * after the search. */
#ifndef NS_MODEL_ROOTS_H
#define NS_MODEL_ROOTS_H

#include <stddef.h>

#include "model/netsave.h"

struct ns_root_search {
    double low, high;      /* the bracket: f(low) and f(high) differ in
                              sign, or one is zero */
    double abs_tolerance;  /* converged when the bracket is narrower than */
    double rel_tolerance;  /*   abs_tolerance + rel_tolerance * |root| */
    size_t max_iterations;
};

/* Searches [s->low, s->high] for a root of f. Returns NS_OK when the
 * bracket converged (or an end is a root), NS_EGSL when the ends do not
 * bracket a root, f gives a value that is not finite (*root is then NaN),
 * an iteration fails or the iterations run out, NS_ENOMEM. *root is the
 * last estimate in every case (NaN when there was none). GSL is given
 * only searches it accepts and finite values, so it never reaches its
 * error handler (model/netsave.h) whatever f does. */
enum ns_status ns_root_find(double (*f)(double x, void *ctx), void *ctx,
                            const struct ns_root_search *s, double *root);

#endif

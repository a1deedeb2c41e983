/* netsave: what is uncertain about a model's parameters.
 *
 * A parameter may carry a distribution ([uncertainty] in the model file:
 * "beta(mean, se)", "gamma(mean, se)", "lognormal(mean, se)",
 * "normal(mean, sd)", "uniform(low, high)", "triangular(low, mode, high)",
 * "fixed") and a range for one-way sensitivity analysis ([ranges]:
 * "low, high"; without one, the 2.5% and 97.5% points of the
 * distribution). Beta, gamma and lognormal take the mean and standard
 * error of the parameter itself, converted to their own parameters by the
 * method of moments, as analysts usually report them. */
#ifndef NS_MODEL_UNCERTAINTY_H
#define NS_MODEL_UNCERTAINTY_H

#include <stdbool.h>
#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "model/diag.h"
#include "model/netsave.h"

enum ns_dist_kind {
    NS_DIST_FIXED = 0,
    NS_DIST_BETA,       /* mean, se */
    NS_DIST_GAMMA,      /* mean, se */
    NS_DIST_LOGNORMAL,  /* mean, se */
    NS_DIST_NORMAL,     /* mean, sd */
    NS_DIST_UNIFORM,    /* low, high */
    NS_DIST_TRIANGULAR  /* low, mode, high */
};

struct ns_dist {
    enum ns_dist_kind kind;
    double a, b, c;     /* as written (mean, se; low, high; ...) */
    double p1, p2;      /* the distribution's own parameters: beta alpha
                           and beta; gamma shape and scale; lognormal mu and
                           sigma */
};

/* Parses "beta(0.05, 0.01)" and checks it (a beta mean in (0, 1) with a
 * standard error small enough for a beta to exist, positive gamma and
 * lognormal means, low < high...). Returns NS_OK, or NS_EPARAM with a
 * one-line reason in err. */
enum ns_status ns_dist_parse(const char *text, struct ns_dist *out, char *err,
                   size_t err_size);

/* A draw from the distribution. */
double ns_dist_sample(const struct ns_dist *d, const gsl_rng *rng);

/* The quantile at probability p in (0, 1). */
double ns_dist_quantile(const struct ns_dist *d, double p);

/* The distribution's mean. */
double ns_dist_mean(const struct ns_dist *d);

#endif

/* netsave: parameter distributions (see uncertainty.h). */
#include "model/uncertainty.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/roots.h"

static const struct {
    const char *name;
    enum ns_dist_kind kind;
    int n_args;
} kinds[] = {
    {"fixed", NS_DIST_FIXED, 0},         {"beta", NS_DIST_BETA, 2},
    {"gamma", NS_DIST_GAMMA, 2},         {"lognormal", NS_DIST_LOGNORMAL, 2},
    {"normal", NS_DIST_NORMAL, 2},       {"uniform", NS_DIST_UNIFORM, 2},
    {"triangular", NS_DIST_TRIANGULAR, 3},
};

/* Converts mean and standard error into the distribution's parameters. */
static bool
moments(struct ns_dist *d, char *err, size_t n)
{
    double m = d->a, s = d->b;
    switch (d->kind) {
    case NS_DIST_BETA: {
        if (!(m > 0.0 && m < 1.0) || !(s > 0.0) || !(s * s < m * (1.0 - m))) {
            snprintf(err, n,
                     "beta needs a mean in (0, 1) and a standard error "
                     "above 0 with se^2 < mean (1 - mean), got %g and %g",
                     m, s);
            return false;
        }
        double k = m * (1.0 - m) / (s * s) - 1.0;
        d->p1 = m * k;
        d->p2 = (1.0 - m) * k;
        return true;
    }
    case NS_DIST_GAMMA:
        if (!(m > 0.0 && s > 0.0)) {
            snprintf(err, n,
                     "gamma needs a mean and a standard error above 0, got "
                     "%g and %g",
                     m, s);
            return false;
        }
        d->p1 = m * m / (s * s); /* shape */
        d->p2 = s * s / m;       /* scale */
        return true;
    case NS_DIST_LOGNORMAL:
        if (!(m > 0.0 && s > 0.0)) {
            snprintf(err, n,
                     "lognormal needs a mean and a standard error above 0, "
                     "got %g and %g",
                     m, s);
            return false;
        }
        d->p2 = sqrt(log(1.0 + s * s / (m * m))); /* sigma */
        d->p1 = log(m) - 0.5 * d->p2 * d->p2;      /* mu */
        return true;
    case NS_DIST_NORMAL:
        if (!(s > 0.0)) {
            snprintf(err, n, "normal needs a standard deviation above 0, "
                             "got %g",
                     s);
            return false;
        }
        return true;
    case NS_DIST_UNIFORM:
        if (!(d->a < d->b)) {
            snprintf(err, n, "uniform needs low < high, got %g and %g",
                     d->a, d->b);
            return false;
        }
        return true;
    case NS_DIST_TRIANGULAR:
        if (!(d->a < d->c && d->a <= d->b && d->b <= d->c)) {
            snprintf(err, n,
                     "triangular needs low <= mode <= high and low < high, "
                     "got %g, %g and %g",
                     d->a, d->b, d->c);
            return false;
        }
        return true;
    case NS_DIST_FIXED:
        break;
    }
    return true;
}

/* GSL's incomplete gamma function (behind gsl_cdf_gamma_P) reaches its
 * error handler, which aborts by default, for shapes from 1e6 up near the
 * mean, where its expansions fail to converge. A sweep of shapes from
 * 1e-300 to 1e16, each at 58 to 600 points of its range, found every
 * shape below 1e6 safe (and every beta, whose CDF falls back on the gamma
 * function only with a shape under 10); netsave keeps a tenfold margin. A
 * gamma that narrow (a standard error under 0.32% of its mean) is as
 * good as fixed. */
static const double max_gamma_shape = 1e5;

/* Whether the converted parameters are numbers GSL can work with: a
 * mean and standard error far apart in scale give a shape or scale that
 * underflows to 0 or overflows, and GSL would report a domain error. */
static bool
representable(const struct ns_dist *d, const char *text, char *err, size_t n)
{
    if (d->kind == NS_DIST_GAMMA && d->p1 > max_gamma_shape) {
        snprintf(err, n,
                 "%s converts to shape %g, above the %g netsave can work "
                 "with: give a standard error of at least %g (mean / %g), "
                 "or fix the parameter",
                 text, d->p1, max_gamma_shape,
                 d->a / sqrt(max_gamma_shape), sqrt(max_gamma_shape));
        return false;
    }
    bool positive_p1 = d->kind != NS_DIST_LOGNORMAL;
    if (isfinite(d->p1) && isfinite(d->p2) && d->p2 > 0.0 &&
        (!positive_p1 || d->p1 > 0.0))
        return true;
    snprintf(err, n,
             "%s converts to %s %g and %s %g, beyond what a double can "
             "hold: the mean and standard error are too far apart in scale",
             text, d->kind == NS_DIST_LOGNORMAL ? "mu" : "shape", d->p1,
             d->kind == NS_DIST_LOGNORMAL ? "sigma" : "scale", d->p2);
    return false;
}

enum ns_status
ns_dist_parse(const char *text, struct ns_dist *out, char *err,
              size_t err_size)
{
    *out = (struct ns_dist){0};
    while (*text == ' ' || *text == '\t')
        text++;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t len = strlen(kinds[i].name);
        if (strncmp(text, kinds[i].name, len) != 0)
            continue;
        const char *p = text + len;
        out->kind = kinds[i].kind;
        if (kinds[i].n_args == 0) {
            while (*p == ' ')
                p++;
            if (*p == '\0')
                return NS_OK;
            continue;
        }
        double v[3] = {0};
        int got = 0;
        char close;
        int used = 0;
        if (kinds[i].n_args == 2)
            got = sscanf(p, " ( %lf , %lf %c%n", &v[0], &v[1], &close, &used);
        else
            got = sscanf(p, " ( %lf , %lf , %lf %c%n", &v[0], &v[1], &v[2],
                         &close, &used);
        if (got != kinds[i].n_args + 1 || close != ')' ||
            p[used + strspn(p + used, " ")] != '\0' || !isfinite(v[0]) ||
            !isfinite(v[1]) || !isfinite(v[2])) {
            snprintf(err, err_size, "expected %s(%s), got '%s'",
                     kinds[i].name,
                     kinds[i].n_args == 3 ? "low, mode, high"
                     : out->kind == NS_DIST_UNIFORM ? "low, high"
                     : out->kind == NS_DIST_NORMAL  ? "mean, sd"
                                                    : "mean, se",
                     text);
            return NS_EPARAM;
        }
        out->a = v[0];
        out->b = v[1];
        out->c = v[2];
        if (!moments(out, err, err_size))
            return NS_EPARAM;
        bool converted = out->kind == NS_DIST_BETA ||
                         out->kind == NS_DIST_GAMMA ||
                         out->kind == NS_DIST_LOGNORMAL;
        return !converted || representable(out, text, err, err_size) ? NS_OK
                                                               : NS_EPARAM;
    }
    snprintf(err, err_size,
             "expected beta(mean, se), gamma(mean, se), lognormal(mean, se), "
             "normal(mean, sd), uniform(low, high), triangular(low, mode, "
             "high) or fixed, got '%s'",
             text);
    return NS_EPARAM;
}

double
ns_dist_sample(const struct ns_dist *d, const gsl_rng *rng)
{
    switch (d->kind) {
    case NS_DIST_BETA:
        return gsl_ran_beta(rng, d->p1, d->p2);
    case NS_DIST_GAMMA:
        return gsl_ran_gamma(rng, d->p1, d->p2);
    case NS_DIST_LOGNORMAL:
        return gsl_ran_lognormal(rng, d->p1, d->p2);
    case NS_DIST_NORMAL:
        return d->a + gsl_ran_gaussian(rng, d->b);
    case NS_DIST_UNIFORM:
        return gsl_ran_flat(rng, d->a, d->b);
    case NS_DIST_TRIANGULAR:
        /* By inversion: one uniform per draw, like the other kinds. */
        return ns_dist_quantile(d, gsl_rng_uniform_pos(rng));
    case NS_DIST_FIXED:
        break;
    }
    return NS_NAN;
}

static double quantile(const struct ns_dist *d, double p);
static double quantile_by_root(const struct ns_dist *d, double p);

double
ns_dist_quantile(const struct ns_dist *d, double p)
{
    /* GSL's CDFs raise floating-point exceptions (an underflow in a
     * series) even when the answer is right; they are not our errors, so
     * they are neither trapped nor left raised for the caller. */
    fenv_t env;
    feholdexcept(&env);
    double q = quantile(d, p);
    fesetenv(&env);
    return q;
}

/* The CDF in the distribution's standard units y: x itself for a beta,
 * x / scale for a gamma (so that the smallest y the search tries is the
 * smallest double, whatever the scale). */
static double
standard_cdf(const struct ns_dist *d, double y)
{
    if (d->kind == NS_DIST_BETA)
        return gsl_cdf_beta_P(y, d->p1, d->p2);
    return gsl_cdf_gamma_P(y, d->p1, 1.0);
}

struct root_problem {
    const struct ns_dist *d;
    double p;
};

/* CDF(e^t) - p: the search runs on t = log y, where a CDF that rises
 * like y^0.001 from 0 (a small shape) is a straight line that Brent's
 * method follows in a few steps; on y it would take a thousand halvings
 * to reach 1e-299. */
static double
cdf_minus_p(double t, void *params)
{
    const struct root_problem *rp = params;
    return standard_cdf(rp->d, exp(t)) - rp->p;
}

/* The p quantile of a beta or gamma distribution by Brent's method on
 * its CDF (GSL's root finder), or NaN. Not gsl_cdf_beta_Pinv or
 * gsl_cdf_gamma_Pinv: they fail to converge for small shapes (a gamma of
 * shape 0.001, at any p) and then call GSL's error handler, which aborts
 * by default, and no check of the parameters can tell beforehand. */
static double
quantile_by_root(const struct ns_dist *d, double p)
{
    if (!(p > 0.0 && p < 1.0))
        return NS_NAN;
    double hi = 1.0, scale = 1.0;
    if (d->kind == NS_DIST_GAMMA) {
        scale = d->p2;
        hi = d->p1; /* the standard gamma's mean */
        while (standard_cdf(d, hi) < p && hi < DBL_MAX / 2.0)
            hi *= 2.0;
    }
    struct root_problem rp = {d, p};
    /* Below the smallest double the quantile rounds to 0. */
    double t_lo = log(DBL_TRUE_MIN);
    if (cdf_minus_p(t_lo, &rp) >= 0.0)
        return 0.0;
    /* t to 1e-15 and a few ulps: y to within about 1e-15 of itself. */
    struct ns_root_search rs = {t_lo, log(hi), 1e-15, 4.0 * DBL_EPSILON,
                                400};
    double t;
    enum ns_status st = ns_root_find(cdf_minus_p, &rp, &rs, &t);
    return st == NS_OK || (st == NS_EGSL && isfinite(t)) ? scale * exp(t)
                                                         : NS_NAN;
}

static double
quantile(const struct ns_dist *d, double p)
{
    switch (d->kind) {
    case NS_DIST_BETA:
    case NS_DIST_GAMMA:
        /* The ends of the range exactly (<= and >= for ==, which
         * -Wfloat-equal flags). */
        if (p <= 0.0 && p >= 0.0)
            return 0.0;
        if (p <= 1.0 && p >= 1.0)
            return d->kind == NS_DIST_BETA ? 1.0 : (double)INFINITY;
        return quantile_by_root(d, p);
    case NS_DIST_LOGNORMAL:
        return gsl_cdf_lognormal_Pinv(p, d->p1, d->p2);
    case NS_DIST_NORMAL:
        return d->a + gsl_cdf_gaussian_Pinv(p, d->b);
    case NS_DIST_UNIFORM:
        return d->a + p * (d->b - d->a);
    case NS_DIST_TRIANGULAR: {
        double lo = d->a, mode = d->b, hi = d->c;
        double f = (mode - lo) / (hi - lo);
        if (p < f)
            return lo + sqrt(p * (hi - lo) * (mode - lo));
        return hi - sqrt((1.0 - p) * (hi - lo) * (hi - mode));
    }
    case NS_DIST_FIXED:
        break;
    }
    return NS_NAN;
}

double
ns_dist_mean(const struct ns_dist *d)
{
    switch (d->kind) {
    case NS_DIST_BETA:
    case NS_DIST_GAMMA:
    case NS_DIST_LOGNORMAL:
    case NS_DIST_NORMAL:
        return d->a;
    case NS_DIST_UNIFORM:
        return 0.5 * (d->a + d->b);
    case NS_DIST_TRIANGULAR:
        return (d->a + d->b + d->c) / 3.0;
    case NS_DIST_FIXED:
        break;
    }
    return NS_NAN;
}

/* netsave: funnel plots of proportions (see funnel.h). */
#include "model/analysis/funnel.h"

#include <limits.h>
#include <stdbool.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

/* The tail probabilities of the four limits, in struct order. */
static const double limit_probability[4] = {0.001, 0.025, 0.975, 0.999};

static bool
valid_target(double p0)
{
    return p0 > 0.0 && p0 < 1.0;
}

/* GSL's binomial takes an unsigned n. */
static bool
valid_n(double n)
{
    return n >= 1.0 && n <= (double)UINT_MAX;
}

static bool
valid_od(const struct ns_overdispersion *od)
{
    if (!od)
        return true;
    switch (od->method) {
    case NS_OD_NONE:
        return true;
    case NS_OD_MULTIPLICATIVE:
        return od->phi >= 1.0 && isfinite(od->phi);
    case NS_OD_ADDITIVE:
        return od->tau2 >= 0.0 && isfinite(od->tau2);
    }
    return false;
}

/* The smallest r with P(Y <= r) >= prob, Y ~ Bin(n, p0): GSL has the CDF
 * but no binomial quantile, so a bisection over 0..n. */
static unsigned
binomial_quantile(double prob, double p0, unsigned n)
{
    unsigned lo = 0, hi = n; /* P(Y <= n) = 1 >= prob */
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (gsl_cdf_binomial_P(mid, p0, n) >= prob)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Spiegelhalter's appendix A.1.1: with r the prob-quantile, the limit is
 * (r - a) / n where a = (P(Y <= r) - prob) / P(Y = r) in [0, 1), so it
 * moves continuously between r - 1 and r as prob crosses the step of the
 * CDF at r, instead of jumping a whole client. */
static double
interpolated_limit(double prob, double p0, unsigned n)
{
    unsigned r = binomial_quantile(prob, p0, n);
    double mass = gsl_ran_binomial_pdf(r, p0, n);
    double a = mass > 0.0 ? (gsl_cdf_binomial_P(r, p0, n) - prob) / mass
                          : 0.0;
    a = fmin(fmax(a, 0.0), 1.0); /* rounding of P near its step */
    return ((double)r - a) / (double)n;
}

/* The interpolation places the CDF's step at r over (r - 1, r], so a
 * unit at y is below a lower limit exactly when P(Y <= y) < prob: an
 * exact test. Used as it stands for an upper limit it would flag y when
 * P(Y > y) < 1 - prob, leaving y's own probability out (at p0 = 0.95 and
 * n = 10, y = 10, the likeliest outcome, would be above 99.8%). So the
 * upper limits are the lower limits of the failures, n - y ~ Bin(n, 1 -
 * p0), mirrored: y is above exactly when P(Y >= y) < 1 - prob, and the
 * funnel is symmetric under swapping successes and failures. */
static double
tail_limit(double prob, double p0, unsigned n)
{
    if (prob < 0.5)
        return interpolated_limit(prob, p0, n);
    return 1.0 - interpolated_limit(1.0 - prob, 1.0 - p0, n);
}

static double
limit_at(double prob, double p0, double n)
{
    unsigned lo = (unsigned)floor(n);
    double at_lo = tail_limit(prob, p0, lo);
    double w = n - (double)lo;
    if (!(w > 0.0))
        return at_lo;
    return (1.0 - w) * at_lo + w * tail_limit(prob, p0, lo + 1);
}

/* How much wider than the binomial's the spread of y/n is, as a factor
 * on the z scale. */
static double
widening(double p0, double n, const struct ns_overdispersion *od)
{
    if (!od)
        return 1.0;
    switch (od->method) {
    case NS_OD_MULTIPLICATIVE:
        return sqrt(od->phi);
    case NS_OD_ADDITIVE:
        return sqrt(1.0 + od->tau2 * n / (p0 * (1.0 - p0)));
    case NS_OD_NONE:
        break;
    }
    return 1.0;
}

static double
clip01(double x)
{
    return fmin(fmax(x, 0.0), 1.0);
}

enum ns_status
ns_funnel_limits(double p0, double n, const struct ns_overdispersion *od,
                 struct ns_funnel_limits *out)
{
    if (!out || !valid_target(p0) || !valid_n(n) || !valid_od(od))
        return NS_EPARAM;
    double k = widening(p0, n, od);
    double l[4];
    /* The exact limit's distance from p0 is its z times s; widening
     * multiplies z, so the distance (the paper's p0 +- z s sqrt(phi), or
     * p0 +- z sqrt(s2 + tau2), once the binomial is near normal). */
    for (size_t i = 0; i < 4; i++)
        l[i] = clip01(p0 + k * (limit_at(limit_probability[i], p0, n) - p0));
    *out = (struct ns_funnel_limits){
        .low998 = l[0], .low95 = l[1], .high95 = l[2], .high998 = l[3]};
    return NS_OK;
}

static bool
valid_unit(double y, double n)
{
    return valid_n(n) && y >= 0.0 && y <= n;
}

double
ns_funnel_z(double y, double n, double p0, const struct ns_overdispersion *od)
{
    if (!valid_target(p0) || !valid_unit(y, n) || !valid_od(od))
        return NS_NAN;
    double s = sqrt(p0 * (1.0 - p0) / n);
    return (y / n - p0) / (s * widening(p0, n, od));
}

/* Squares of the z-scores pulled in to the winsor and 1 - winsor
 * quantiles, averaged: so that the outliers the plot is to find do not
 * set the widening that would hide them. */
static enum ns_status
winsorised_phi(const double *z, size_t count, double winsor, double *phi)
{
    double *sorted = malloc(count * sizeof *sorted);
    if (!sorted)
        return NS_ENOMEM;
    memcpy(sorted, z, count * sizeof *sorted);
    gsl_sort(sorted, 1, count);
    double lo = gsl_stats_quantile_from_sorted_data(sorted, 1, count, winsor);
    double hi =
        gsl_stats_quantile_from_sorted_data(sorted, 1, count, 1.0 - winsor);
    free(sorted);
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        double w = fmin(fmax(z[i], lo), hi);
        sum += w * w;
    }
    *phi = sum / (double)count;
    return NS_OK;
}

/* The method-of-moments between-unit variance (DerSimonian and Laird's
 * form, with phi standing for Q / I), weights w = 1 / s2 = n / (p0 q0). */
static double
additive_tau2(const double *n, size_t count, double p0, double phi)
{
    double sw = 0.0, sw2 = 0.0;
    for (size_t i = 0; i < count; i++) {
        double w = n[i] / (p0 * (1.0 - p0));
        sw += w;
        sw2 += w * w;
    }
    double units = (double)count;
    double tau2 = (units * phi - (units - 1.0)) / (sw - sw2 / sw);
    return tau2 > 0.0 ? tau2 : 0.0;
}

static bool
valid_estimate_input(const double *y, const double *n, size_t count,
                     double p0, enum ns_od_method method, double winsor)
{
    if (!y || !n || count == 0 || !valid_target(p0))
        return false;
    if (method != NS_OD_NONE && method != NS_OD_MULTIPLICATIVE &&
        method != NS_OD_ADDITIVE)
        return false;
    if (!(winsor >= 0.0 && winsor < 0.5))
        return false;
    for (size_t i = 0; i < count; i++)
        if (!valid_unit(y[i], n[i]))
            return false;
    return true;
}

enum ns_status
ns_funnel_overdispersion(const double *y, const double *n, size_t n_units,
                         double p0, enum ns_od_method method, double winsor,
                         struct ns_overdispersion *out)
{
    if (!out || !valid_estimate_input(y, n, n_units, p0, method, winsor))
        return NS_EPARAM;
    double *z = malloc(n_units * sizeof *z);
    if (!z)
        return NS_ENOMEM;
    for (size_t i = 0; i < n_units; i++)
        z[i] = ns_funnel_z(y[i], n[i], p0, NULL);
    double phi = 1.0;
    enum ns_status st = winsorised_phi(z, n_units, winsor, &phi);
    free(z);
    if (st != NS_OK)
        return st;
    /* Spiegelhalter: widen only when phi > 1; one unit's spread is its own
     * sampling variance, no evidence of overdispersion. */
    bool due = phi > 1.0 && n_units > 1 && method != NS_OD_NONE;
    *out = (struct ns_overdispersion){
        .method = due ? method : NS_OD_NONE,
        .phi = phi,
        .tau2 = due && method == NS_OD_ADDITIVE
                    ? additive_tau2(n, n_units, p0, phi)
                    : 0.0,
        .n_units = n_units,
        .winsor = winsor,
    };
    return NS_OK;
}

enum ns_funnel_place
ns_funnel_classify(double y, double n, const struct ns_funnel_limits *l)
{
    double p = y / n;
    if (p < l->low998)
        return NS_FUNNEL_BELOW_998;
    if (p < l->low95)
        return NS_FUNNEL_BELOW_95;
    if (p > l->high998)
        return NS_FUNNEL_ABOVE_998;
    if (p > l->high95)
        return NS_FUNNEL_ABOVE_95;
    return NS_FUNNEL_WITHIN;
}

static const char *const place_names[NS_FUNNEL_N_PLACES] = {
    "below 99.8%", "below 95%", "within", "above 95%", "above 99.8%"};

const char *
ns_funnel_place_name(enum ns_funnel_place p)
{
    return p < NS_FUNNEL_N_PLACES ? place_names[p] : "?";
}

/* netsave: funnel plots of proportions (Spiegelhalter 2005, Stat Med
 * 24:1185; docs/benchmarking.md, "Funnel plots: the method").
 *
 * A unit (a service) reports y of n clients; its proportion y/n is set
 * against a target p0 with control limits that narrow as n grows. The
 * limits are quantiles of the exact binomial distribution, interpolated
 * so that they do not step (the paper's appendix A.1.1; the upper limits
 * from the failures' side, so that each tail is an exact test: see
 * funnel.c), and may be widened for overdispersion estimated from
 * winsorised z-scores. */
#ifndef NS_ANALYSIS_FUNNEL_H
#define NS_ANALYSIS_FUNNEL_H

#include <stddef.h>

#include "model/netsave.h"

/* How limits are widened when units vary more than the binomial allows. */
enum ns_od_method {
    NS_OD_NONE,           /* binomial limits as they are */
    NS_OD_MULTIPLICATIVE, /* variance times phi */
    NS_OD_ADDITIVE        /* variance plus tau2 (a random effect) */
};

struct ns_overdispersion {
    enum ns_od_method method; /* the one applied: NONE when none is due */
    double phi;      /* the mean winsorised z^2, reported whatever the
                        method (1: none); used by MULTIPLICATIVE, >= 1 */
    double tau2;     /* between-unit variance of the proportion (0: none),
                        used by ADDITIVE, >= 0 */
    size_t n_units;  /* units in the estimate */
    double winsor;   /* fraction winsorised in each tail, e.g. 0.1 */
};

/* Control limits, as proportions in [0, 1]: 99.8% are the 0.1% and 99.9%
 * points, 95% the 2.5% and 97.5% points. */
struct ns_funnel_limits {
    double low998, low95, high95, high998;
};

/* The limits for a unit of n clients (n >= 1, finite; between integers
 * the limits at floor(n) and ceil(n) are joined linearly, so a plotted
 * line is continuous) around p0 in (0, 1). od may be NULL (no widening);
 * otherwise its method says which of phi (>= 1) and tau2 (>= 0) widens
 * each limit's distance from p0 on the z scale: by sqrt(phi), or by
 * sqrt(1 + tau2 / s2) with s2 = p0 (1 - p0) / n. Returns NS_EPARAM for
 * any other input, and then leaves *out unchanged. */
enum ns_status ns_funnel_limits(double p0, double n,
                                const struct ns_overdispersion *od,
                                struct ns_funnel_limits *out);

/* The z-score of y of n against p0: (y/n - p0) / s with
 * s2 = p0 (1 - p0) / n, divided by sqrt(phi) (MULTIPLICATIVE) or taken
 * over sqrt(s2 + tau2) (ADDITIVE) when od says so; od may be NULL. NaN
 * when the input is not valid (as ns_funnel_limits, and 0 <= y <= n). */
double ns_funnel_z(double y, double n, double p0,
                   const struct ns_overdispersion *od);

/* Estimates overdispersion from n_units units (y[i] of n[i]) against p0:
 * z-scores winsorised at the winsor and 1 - winsor quantiles (winsor in
 * [0, 0.5); GSL's quantiles, as R's default), phi their mean square, and
 * for NS_OD_ADDITIVE tau2 = (I phi - (I - 1)) / (sum w - sum w^2 / sum w)
 * with w = 1 / s2. Overdispersion is applied only when phi > 1: otherwise
 * (and with one unit) out->method is NS_OD_NONE and tau2 0, with phi still
 * the estimate. Returns NS_EPARAM for invalid input (no units, p0, n or y
 * out of range, an unknown method), NS_ENOMEM. */
enum ns_status ns_funnel_overdispersion(const double *y, const double *n,
                                        size_t n_units, double p0,
                                        enum ns_od_method method,
                                        double winsor,
                                        struct ns_overdispersion *out);

/* Where a unit falls. */
enum ns_funnel_place {
    NS_FUNNEL_BELOW_998,
    NS_FUNNEL_BELOW_95,
    NS_FUNNEL_WITHIN,
    NS_FUNNEL_ABOVE_95,
    NS_FUNNEL_ABOVE_998,
    NS_FUNNEL_N_PLACES
};

/* Where y/n falls among the limits. A unit exactly on a limit is within
 * it: only strictly beyond a limit is outside. */
enum ns_funnel_place ns_funnel_classify(double y, double n,
                                        const struct ns_funnel_limits *l);

/* "below 99.8%", "below 95%", "within", "above 95%", "above 99.8%". */
const char *ns_funnel_place_name(enum ns_funnel_place p);

#endif

/* netsave tests: EVPPI by regression (model/analysis/evppi.h).
 *
 * - A linear-Gaussian decision: incremental net benefit X1 + X2 with X1,
 *   X2 independent normals. EVPPI of X1 has a closed form,
 *   E[max(0, X1 + mu2)] - max(0, mu1 + mu2) = s1 phi(m / s1) + m Phi(m /
 *   s1) - max(0, m) with m = mu1 + mu2; the estimator must meet it within
 *   five of its own Monte Carlo standard errors (computed from the draws).
 *   When the net benefit depends on the parameters alone (linear in them),
 *   EVPPI equals the EVPI of the same draws.
 * - A nonlinear decision (a count times a unit cost against a treatment
 *   cost, and a saturating effect) against brute-force nested Monte Carlo
 *   with its own draws, within five combined standard errors.
 * - A group's EVPPI is at least each member's; too few draws are refused;
 *   a parameter that never varies is refused. */
#include <math.h>
#include <stdlib.h>

#include "tests/test_support.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>

#include "model/analysis/evppi.h"

enum { N = 10000 };

/* EVPPI of the parameters cols[0..r) for net benefit y by the estimator. */
static double
estimate(const double *const *cols, size_t r, const double *y, size_t n,
         double *fitted)
{
    enum ns_status st;
    struct ns_evppi_fit *f = ns_evppi_fit_alloc(cols, r, n, &st);
    assert_int_equal(st, NS_OK);
    assert_int_equal(ns_evppi_fit_apply(f, y, fitted), NS_OK);
    ns_evppi_fit_free(f);
    const double *one[1] = {fitted};
    return ns_evppi_value(one, 1, n);
}

/* The standard error of mean(a - b) over n draws. */
static double
se_of_difference(const double *a, const double *b, size_t n)
{
    double *d = malloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++)
        d[i] = a[i] - b[i];
    double se = gsl_stats_sd(d, 1, n) / sqrt((double)n);
    free(d);
    return se;
}

static void
linear_gaussian_closed_form(void **state)
{
    (void)state;
    const double mu1 = 0.2, s1 = 1.0, mu2 = 0.3, s2 = 2.0;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20140311);
    double *x1 = malloc(N * sizeof *x1), *x2 = malloc(N * sizeof *x2);
    double *y = malloc(N * sizeof *y), *fit = malloc(N * sizeof *fit);
    double *pos = malloc(N * sizeof *pos);
    for (size_t i = 0; i < N; i++) {
        x1[i] = mu1 + gsl_ran_gaussian(rng, s1);
        x2[i] = mu2 + gsl_ran_gaussian(rng, s2);
        y[i] = x1[i] + x2[i];
        pos[i] = fmax(0.0, x1[i] + mu2);
    }
    double m = mu1 + mu2;
    double exact = s1 * gsl_ran_ugaussian_pdf(m / s1) +
                   m * gsl_cdf_ugaussian_P(m / s1) - fmax(0.0, m);
    const double *c1[1] = {x1};
    double est = estimate(c1, 1, y, N, fit);
    /* With m > 0 the estimator is mean(max(0, E[y | x1]) - y): its
     * standard error, with the true conditional mean. */
    double se = se_of_difference(pos, y, N);
    if (fabs(est - exact) > 5.0 * se)
        fail_msg("EVPPI(x1) %.5f, closed form %.5f, 5 SE %.5f", est, exact,
                 5 * se);
    /* Net benefit a function of the group alone: EVPPI is the EVPI. */
    const double *c12[2] = {x1, x2};
    const double *raw[1] = {y};
    double evpi = ns_evppi_value(raw, 1, N);
    assert_close(estimate(c12, 2, y, N, fit), evpi, 1e-6);
    const double *c2[1] = {x2};
    double *y1 = malloc(N * sizeof *y1);
    for (size_t i = 0; i < N; i++)
        y1[i] = 3.0 * x2[i] - 1.0;
    const double *raw1[1] = {y1};
    assert_close(estimate(c2, 1, y1, N, fit), ns_evppi_value(raw1, 1, N),
                 1e-6);
    free(y1);
    free(x1);
    free(x2);
    free(y);
    free(fit);
    free(pos);
    gsl_rng_free(rng);
}

/* The nonlinear decision: net benefit of treating, in draw terms. */
struct nonlinear {
    double count, unit_cost, effect, treatment;
};

static double
nonlinear_nb(const struct nonlinear *t)
{
    /* Offences averted saturate in the effect; each is worth the unit
     * cost; treatment costs its own uncertain amount. */
    return t->count * (1.0 - exp(-t->effect)) * t->unit_cost - t->treatment;
}

static void
draw_nonlinear(gsl_rng *rng, struct nonlinear *t)
{
    t->count = gsl_ran_gamma(rng, 16.0, 10.0 / 16.0);    /* mean 10 */
    t->unit_cost = gsl_ran_gamma(rng, 25.0, 100.0 / 25.0); /* mean 100 */
    t->effect = gsl_ran_lognormal(rng, log(0.5), 0.6);
    t->treatment = 450.0 + gsl_ran_gaussian(rng, 60.0);
}

/* Nested Monte Carlo EVPPI of the fields chosen by keep (copied from the
 * outer draw; the others drawn anew inside), with its standard error. */
static double
nested(gsl_rng *rng, bool keep_count, bool keep_effect, size_t outer,
       size_t inner, double *se)
{
    double *best = malloc(outer * sizeof *best);
    double total = 0.0;
    for (size_t o = 0; o < outer; o++) {
        struct nonlinear t0;
        draw_nonlinear(rng, &t0);
        double sum = 0.0;
        for (size_t k = 0; k < inner; k++) {
            struct nonlinear t;
            draw_nonlinear(rng, &t);
            if (keep_count)
                t.count = t0.count;
            if (keep_effect)
                t.effect = t0.effect;
            sum += nonlinear_nb(&t);
        }
        best[o] = fmax(0.0, sum / (double)inner);
        total += sum / (double)inner;
    }
    double v = gsl_stats_mean(best, 1, outer) -
               fmax(0.0, total / (double)outer);
    *se = gsl_stats_sd(best, 1, outer) / sqrt((double)outer);
    free(best);
    return v;
}

static void
nonlinear_against_nested_monte_carlo(void **state)
{
    (void)state;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 311);
    double *count = malloc(N * sizeof *count);
    double *effect = malloc(N * sizeof *effect);
    double *y = malloc(N * sizeof *y), *fit = malloc(N * sizeof *fit);
    for (size_t i = 0; i < N; i++) {
        struct nonlinear t;
        draw_nonlinear(rng, &t);
        count[i] = t.count;
        effect[i] = t.effect;
        y[i] = nonlinear_nb(&t);
    }
    const double *c_effect[1] = {effect};
    const double *c_both[2] = {count, effect};
    double e_effect = estimate(c_effect, 1, y, N, fit);
    double se_fit_effect = se_of_difference(fit, y, N);
    double e_both = estimate(c_both, 2, y, N, fit);
    double se_fit_both = se_of_difference(fit, y, N);
    /* Inner samples of 2000 leave the nested value biased up by about
     * E|inner error| times the density near 0, far below its SE here. */
    double se_effect, se_both;
    double n_effect = nested(rng, false, true, 4000, 2000, &se_effect);
    double n_both = nested(rng, true, true, 4000, 2000, &se_both);
    double tol_effect = 5.0 * hypot(se_effect, se_fit_effect);
    double tol_both = 5.0 * hypot(se_both, se_fit_both);
    if (fabs(e_effect - n_effect) > tol_effect)
        fail_msg("EVPPI(effect) %.3f, nested MC %.3f, tolerance %.3f",
                 e_effect, n_effect, tol_effect);
    if (fabs(e_both - n_both) > tol_both)
        fail_msg("EVPPI(count, effect) %.3f, nested MC %.3f, tolerance %.3f",
                 e_both, n_both, tol_both);
    /* The estimates are informative: the value is well above its error. */
    assert_true(n_effect > 4.0 * tol_effect);
    assert_true(e_both >= e_effect);
    free(count);
    free(effect);
    free(y);
    free(fit);
    gsl_rng_free(rng);
}

static void
refuses_what_it_cannot_fit(void **state)
{
    (void)state;
    enum { n = 30 };
    double x[n], flat[n], y[n], fit[n];
    for (size_t i = 0; i < n; i++) {
        x[i] = (double)i;
        flat[i] = 1.0;
        y[i] = (double)(i % 7);
    }
    const double *cx[1] = {x}, *cflat[1] = {flat}, *c2[2] = {x, x};
    enum ns_status st;
    assert_int_equal(ns_evppi_columns(1), 10);
    assert_int_equal(ns_evppi_columns(3), 10 + 2 * 9 + 3);
    assert_null(ns_evppi_fit_alloc(cx, 1, ns_evppi_min_draws(1) - 1, &st));
    assert_int_equal(st, NS_EPARAM);
    assert_null(ns_evppi_fit_alloc(cflat, 1, n, &st));
    assert_int_equal(st, NS_EPARAM);
    assert_null(ns_evppi_fit_alloc(c2, 2, n, &st)); /* too few for 2 */
    struct ns_evppi_fit *f = ns_evppi_fit_alloc(cx, 1, n, &st);
    assert_non_null(f);
    y[3] = NS_NAN;
    assert_int_equal(ns_evppi_fit_apply(f, y, fit), NS_EPARAM);
    ns_evppi_fit_free(f);
    const double *bad[1] = {y};
    assert_true(isnan(ns_evppi_value(bad, 1, n)));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linear_gaussian_closed_form),
        cmocka_unit_test(nonlinear_against_nested_monte_carlo),
        cmocka_unit_test(refuses_what_it_cannot_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

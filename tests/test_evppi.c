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
 *   a parameter that never varies is refused.
 * - Through a real PSA (several blocks of draws, three threads): net
 *   savings linear in one sampled cost, so that cost's EVPPI is the EVPI
 *   (the sampled values gathered block by block line up with the draws
 *   the PSA keeps), an unrelated input's is near 0, and the EVPI beside
 *   them is psa_summary's. */
#include <math.h>
#include <stdlib.h>

#include "tests/test_support.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>

#include "model/analysis/evppi.h"
#include "model/ledger.h"
#include "params/params.h"

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

/* Three options (a reference and two others) over four draws, by hand:
 * best increments per draw max(0, a, b) = 3, 0, 2, 4, mean 9/4; means of a
 * and b are 1 and 1/2, so EVPPI = 9/4 - 1 = 5/4. The net monetary benefit
 * form: wtp h - c = 2, -1, 1, -2 at wtp 1: mean(max(0, .)) = 3/4, mean 0. */
static void
value_by_hand(void **state)
{
    (void)state;
    const double a[4] = {3, -1, 2, 0}, b[4] = {1, -2, -1, 4};
    const double *ab[2] = {a, b};
    assert_close(ns_evppi_value(ab, 2, 4), 1.25, 1e-15);
    const double h[4] = {3, 0, 2, 1}, c[4] = {1, 1, 1, 3};
    assert_close(ns_evppi_value_ce(h, c, 1.0, 4), 0.75, 1e-15);
    /* Every draw choosing the same option: exactly 0. */
    const double pos[3] = {0.1, 1e6, 3.3};
    const double *one[1] = {pos};
    assert_false(ns_evppi_value(one, 1, 3) > 0.0);
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

/* Usual care costs cost_old a year while well; the new strategy a fixed
 * 1000: net savings are (cost_old - 1000) times the discounted years well,
 * of either sign. p_die is drawn too but moves both arms alike. */
static const char linear_model[] =
    "[model]\nname = Linear\ncycle_length = 1\nn_cycles = 5\n"
    "comparator = old\ncost_outcome = costs\n"
    "[discount]\ncosts = 0.035\n"
    "[states]\nwell = Well\ndead = Dead\n"
    "[strategies]\nold = Old\nnew = New\n"
    "[initial]\nwell = 1\n"
    "[parameters]\ncost_old = 1000\np_die = 0.1\np_other = 0.5\n"
    "cost_well = cost_old\n"
    "[parameters.new]\ncost_well = 1000\n"
    "[transitions]\nwell -> dead = p_die\nwell -> well = C\n"
    "dead -> dead = 1\n"
    "[stream.cost]\noutcome = costs\nwell = cost_well\ndead = 0\n"
    "[uncertainty]\ncost_old = normal(1000, 300)\n"
    "p_other = beta(0.5, 0.1)\n"
    "[parameter_groups]\nboth = cost_old, p_other\n";

static void
through_a_psa(void **state)
{
    (void)state;
    struct ns_params *params = NULL;
    struct ns_population *pop =
        ns_test_build_run_text("linear.ini", linear_model, &params);
    const struct ns_model *m = pop->models[0];
    struct ns_evppi_draws *d = ns_evppi_draws_alloc(m, 3000);
    assert_non_null(d);
    struct ns_psa_options opt = {.n_draws = 3000, .seed = 16,
                                 .n_threads = 3,
                                 .perspective = NS_ALL_PAYERS,
                                 .on_draws = ns_evppi_draws_add,
                                 .draws_ctx = d};
    struct ns_psa *psa = NULL;
    struct ns_diags diags = {0};
    assert_int_equal(ns_psa_run(pop, &opt, &psa, &diags), NS_OK);
    struct ns_evppi *e = NULL;
    assert_int_equal(ns_evppi_compute(m, psa, d, &e), NS_OK);
    size_t k = 1; /* new against old */
    assert_int_equal(e->n_draws, 3000);
    assert_int_equal(e->n_subjects, 3); /* both, cost_old, p_other */
    assert_string_equal(e->subjects[0].name, "both");
    assert_string_equal(e->subjects[1].name, "cost_old");
    struct ns_psa_stat st;
    assert_int_equal(ns_psa_stat(psa, k, NS_PSA_NET, &st), NS_OK);
    assert_true(st.evpi > 10.0);
    assert_close(e->evpi_net[k], st.evpi, 1e-9);
    assert_close(ns_evppi_at(e, e->n_subjects, k, NS_EVPPI_NET_SAVINGS),
                 st.evpi, 1e-9);
    size_t K = e->n_strategies;
    assert_close(e->net[0 * K + k], st.evpi, 1e-6);
    assert_close(e->net[1 * K + k], st.evpi, 1e-6);
    assert_true(e->net[2 * K + k] < 0.02 * st.evpi);
    assert_true(isnan(e->net[0 * K + 0])); /* old: no comparator */
    assert_int_equal(e->n_wtp, 0); /* no health outcome */
    size_t n_ranked;
    size_t *ranked = ns_evppi_ranked(e, NS_EVPPI_NET_SAVINGS, &n_ranked);
    assert_int_equal(n_ranked, 2);
    assert_int_equal(ranked[0], 1);
    free(ranked);
    ns_evppi_free(e);
    ns_evppi_draws_free(d);
    ns_psa_free(psa);
    ns_diags_clear(&diags);
    ns_population_free(pop);
    ns_params_free(params);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linear_gaussian_closed_form),
        cmocka_unit_test(nonlinear_against_nested_monte_carlo),
        cmocka_unit_test(value_by_hand),
        cmocka_unit_test(refuses_what_it_cannot_fit),
        cmocka_unit_test(through_a_psa),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* netsave tests: funnel plots of proportions (model/analysis/funnel.h).
 *
 * Every expected value is computed here without the library's GSL calls:
 * binomial probabilities are summed term by term from lgamma, quantiles
 * found by a linear scan, and overdispersion worked by hand below. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>

#include "tests/test_support.h"

#include "model/analysis/funnel.h"

#define TOL 1e-9

/* P(Y = k), Y ~ Bin(n, p), from logs of factorials. */
static double
bf_pmf(unsigned k, unsigned n, double p)
{
    double log_choose = lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0);
    return exp(log_choose + k * log(p) + (n - k) * log1p(-p));
}

static double
bf_cdf(unsigned k, unsigned n, double p)
{
    double sum = 0.0;
    for (unsigned j = 0; j <= k; j++)
        sum += bf_pmf(j, n, p);
    return sum;
}

static unsigned
bf_quantile(double prob, unsigned n, double p)
{
    double sum = 0.0;
    for (unsigned r = 0; r < n; r++) {
        sum += bf_pmf(r, n, p);
        if (sum >= prob)
            return r;
    }
    return n;
}

/* The paper's appendix A.1.1 as Wicklin's SAS and funnelplot's R write
 * it: (r - a) / n, a = (F(r) - prob) / (F(r) - F(r - 1)). Unclipped. */
static double
bf_paper_limit(double prob, unsigned n, double p)
{
    unsigned r = bf_quantile(prob, n, p);
    double a = (bf_cdf(r, n, p) - prob) / bf_pmf(r, n, p);
    return (r - a) / n;
}

static double
clip01(double x)
{
    return x < 0.0 ? 0.0 : x > 1.0 ? 1.0 : x;
}

/* The documented limits: lower as the paper, upper the failures' lower
 * limit mirrored. */
static struct ns_funnel_limits
bf_limits(double p0, unsigned n)
{
    return (struct ns_funnel_limits){
        .low998 = clip01(bf_paper_limit(0.001, n, p0)),
        .low95 = clip01(bf_paper_limit(0.025, n, p0)),
        .high95 = clip01(1.0 - bf_paper_limit(0.025, n, 1.0 - p0)),
        .high998 = clip01(1.0 - bf_paper_limit(0.001, n, 1.0 - p0)),
    };
}

static struct ns_funnel_limits
limits_of(double p0, double n, const struct ns_overdispersion *od)
{
    struct ns_funnel_limits l = {-1, -1, -1, -1};
    assert_int_equal(ns_funnel_limits(p0, n, od, &l), NS_OK);
    return l;
}

static const struct {
    double p0;
    unsigned n;
} cases[] = {{0.5, 1},   {0.3, 10},    {0.3, 500},  {0.02, 10},
             {0.02, 500}, {0.98, 10},  {0.98, 500}, {0.001, 500},
             {0.999, 500}, {0.7, 57},  {0.65, 1},   {0.1, 2}};
#define N_CASES (sizeof cases / sizeof cases[0])

static void
test_limits_match_brute_force(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CASES; i++) {
        struct ns_funnel_limits got = limits_of(cases[i].p0, cases[i].n, NULL);
        struct ns_funnel_limits want = bf_limits(cases[i].p0, cases[i].n);
        assert_close(got.low998, want.low998, TOL);
        assert_close(got.low95, want.low95, TOL);
        assert_close(got.high95, want.high95, TOL);
        assert_close(got.high998, want.high998, TOL);
        assert_true(got.low998 <= got.low95 && got.low95 <= got.high95 &&
                    got.high95 <= got.high998);
    }
}

/* p0 = 1/2, n = 10, by hand: F(0) = 1/1024 < 0.001 <= F(1) = 11/1024, so
 * r = 1, a = (11/1024 - 0.001) / (10/1024) = 0.9976, limit 0.00024;
 * F(1) < 0.025 <= F(2) = 56/1024, r = 2, a = (56 - 25.6) / 45, limit
 * (2 - a) / 10 = 0.1324444...; the upper limits mirror these. */
static void
test_limits_worked_by_hand(void **state)
{
    (void)state;
    struct ns_funnel_limits l = limits_of(0.5, 10, NULL);
    assert_close(l.low998, 0.00024, 1e-9);
    assert_close(l.low95, (2.0 - 30.4 / 45.0) / 10.0, 1e-12);
    assert_close(l.high95, 1.0 - (2.0 - 30.4 / 45.0) / 10.0, 1e-12);
    assert_close(l.high998, 1.0 - 0.00024, 1e-12);
    /* One client at p0 = 1/2: F(0) = 1/2 is above both lower tail
     * probabilities, r = 0, a near 1, so the limit is below 0 and clipped;
     * neither outcome of one client can be outside. */
    l = limits_of(0.5, 1, NULL);
    assert_close(l.low998, 0.0, 0.0);
    assert_close(l.low95, 0.0, 0.0);
    assert_close(l.high95, 1.0, 0.0);
    assert_close(l.high998, 1.0, 0.0);
    assert_int_equal(ns_funnel_classify(0, 1, &l), NS_FUNNEL_WITHIN);
    assert_int_equal(ns_funnel_classify(1, 1, &l), NS_FUNNEL_WITHIN);
}

/* Each tail is an exact test: y is below a lower limit exactly when
 * P(Y <= y) < the tail probability, above an upper exactly when
 * P(Y >= y) < it, for every possible y. */
static void
test_each_tail_is_exact(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CASES; i++) {
        double p0 = cases[i].p0;
        unsigned n = cases[i].n;
        struct ns_funnel_limits l = limits_of(p0, n, NULL);
        for (unsigned y = 0; y <= n; y++) {
            double lower = bf_cdf(y, n, p0);
            double upper = y == 0 ? 1.0 : 1.0 - bf_cdf(y - 1, n, p0);
            double p = (double)y / n;
            assert_int_equal(p < l.low998, lower < 0.001);
            assert_int_equal(p < l.low95, lower < 0.025);
            assert_int_equal(p > l.high95, upper < 0.025);
            assert_int_equal(p > l.high998, upper < 0.001);
        }
    }
}

/* The paper's interpolated limit lies between the step limits (r - 1)/n
 * and r/n; the upper limits here are the paper's plus one client, 1/n
 * (the same interpolation, placing the step at r over [r, r + 1)). */
static void
test_interpolation_between_steps(void **state)
{
    (void)state;
    const double p0 = 0.3;
    for (unsigned n = 20; n <= 300; n += 7) {
        struct ns_funnel_limits l = limits_of(p0, n, NULL);
        unsigned r = bf_quantile(0.025, n, p0);
        assert_true(l.low95 >= (r - 1.0) / n && l.low95 <= (double)r / n);
        r = bf_quantile(0.975, n, p0);
        double paper = l.high95 - 1.0 / n;
        assert_close(paper, bf_paper_limit(0.975, n, p0), TOL);
        assert_true(paper >= (r - 1.0) / n && paper <= (double)r / n);
    }
}

/* Smooth, not steps: the step limit r/n jumps by a whole client (1/n) as
 * p0 crosses a point where r changes; the interpolated one moves by far
 * less than that between neighbouring p0 and between neighbouring n. */
static void
test_interpolation_is_continuous(void **state)
{
    (void)state;
    const unsigned n = 100;
    double prev = limits_of(0.2, n, NULL).low95, biggest = 0.0;
    unsigned steps = 0, r_prev = bf_quantile(0.025, n, 0.2);
    for (double p0 = 0.2001; p0 < 0.4; p0 += 1e-4) {
        double now = limits_of(p0, n, NULL).low95;
        biggest = fmax(biggest, fabs(now - prev));
        prev = now;
        unsigned r = bf_quantile(0.025, n, p0);
        steps += r != r_prev;
        r_prev = r;
    }
    assert_true(steps >= 10);            /* the step limit jumped ... */
    assert_true(biggest < 0.05 / n);     /* ... the interpolated did not */

    biggest = 0.0;
    for (unsigned m = 50; m < 500; m++) {
        double a = limits_of(0.3, m, NULL).high998;
        double b = limits_of(0.3, m + 1, NULL).high998;
        biggest = fmax(biggest, fabs(b - a) * m);
    }
    assert_true(biggest < 0.25); /* under a quarter of a client */

    /* Between integers the line is joined linearly. */
    struct ns_funnel_limits a = limits_of(0.3, 100, NULL);
    struct ns_funnel_limits b = limits_of(0.3, 101, NULL);
    struct ns_funnel_limits mid = limits_of(0.3, 100.25, NULL);
    assert_close(mid.low95, 0.75 * a.low95 + 0.25 * b.low95, 1e-12);
    assert_close(mid.high998, 0.75 * a.high998 + 0.25 * b.high998, 1e-12);
}

static void
test_on_a_limit_is_within(void **state)
{
    (void)state;
    /* y/n equal to each limit (1/10 is the same double as 0.1): on the
     * 99.8% limits is within them, so only beyond the 95%; on the 95%
     * limits is within. */
    struct ns_funnel_limits l = {0.1, 0.2, 0.8, 0.9};
    assert_int_equal(ns_funnel_classify(1, 10, &l), NS_FUNNEL_BELOW_95);
    assert_int_equal(ns_funnel_classify(2, 10, &l), NS_FUNNEL_WITHIN);
    assert_int_equal(ns_funnel_classify(8, 10, &l), NS_FUNNEL_WITHIN);
    assert_int_equal(ns_funnel_classify(9, 10, &l), NS_FUNNEL_ABOVE_95);
    /* A hair inside each limit moves the unit out. */
    struct ns_funnel_limits tight = {nextafter(0.1, 1.0), nextafter(0.2, 1.0),
                                     nextafter(0.8, 0.0), nextafter(0.9, 0.0)};
    assert_int_equal(ns_funnel_classify(1, 10, &tight), NS_FUNNEL_BELOW_998);
    assert_int_equal(ns_funnel_classify(2, 10, &tight), NS_FUNNEL_BELOW_95);
    assert_int_equal(ns_funnel_classify(8, 10, &tight), NS_FUNNEL_ABOVE_95);
    assert_int_equal(ns_funnel_classify(9, 10, &tight), NS_FUNNEL_ABOVE_998);
    assert_int_equal(ns_funnel_classify(5, 10, &tight), NS_FUNNEL_WITHIN);
    /* A real limit: p0 = 0.02, n = 10, the lower limits clip to 0, and a
     * unit with none of ten sits on them. */
    l = limits_of(0.02, 10, NULL);
    assert_close(l.low998, 0.0, 0.0);
    assert_int_equal(ns_funnel_classify(0, 10, &l), NS_FUNNEL_WITHIN);
    assert_string_equal(ns_funnel_place_name(NS_FUNNEL_BELOW_998),
                        "below 99.8%");
    assert_string_equal(ns_funnel_place_name(NS_FUNNEL_ABOVE_95), "above 95%");
    assert_string_equal(ns_funnel_place_name(NS_FUNNEL_WITHIN), "within");
}

/* Units all at p0 exactly: every z is 0, phi 0, nothing to widen. */
static void
test_identical_units_no_inflation(void **state)
{
    (void)state;
    const double y[] = {1, 5, 10, 25, 100}, n[] = {4, 20, 40, 100, 400};
    for (int m = NS_OD_NONE; m <= NS_OD_ADDITIVE; m++) {
        struct ns_overdispersion od;
        assert_int_equal(ns_funnel_overdispersion(y, n, 5, 0.25, m, 0.1, &od),
                         NS_OK);
        assert_true(od.phi <= 1.0);
        assert_int_equal(od.method, NS_OD_NONE);
        assert_close(od.tau2, 0.0, 0.0);
        assert_int_equal(od.n_units, 5);
        for (size_t i = 0; i < 5; i++) {
            struct ns_funnel_limits with = limits_of(0.25, n[i], &od);
            struct ns_funnel_limits without = bf_limits(0.25, (unsigned)n[i]);
            assert_close(with.low95, without.low95, TOL);
            assert_close(with.high998, without.high998, TOL);
            assert_int_equal(ns_funnel_classify(y[i], n[i], &with),
                             NS_FUNNEL_WITHIN);
        }
    }
}

/* Ten units of 100 against p0 = 1/2: s = sqrt(0.25/100) = 0.05 and
 * z = (y - 50) / 5.
 *   y  40  45   48  50 50  52  55 60 65 75
 *   z  -2  -1 -0.4   0  0 0.4   1  2  3  5
 * Winsorised at 10%, quantiles as R's default (position 9f in the sorted
 * ten): low -2 + 0.9 (-1 - -2) = -1.1, high 3 + 0.1 (5 - 3) = 3.2, so
 *   z' -1.1 -1 -0.4 0 0 0.4 1 2 3 3.2
 *   z'^2 1.21 1 0.16 0 0 0.16 1 4 9 10.24, sum 26.77, phi = 2.677.
 * Additive: w = 100 / 0.25 = 400 each, sum w = 4000, sum w^2 / sum w =
 * 400, tau2 = (10 x 2.677 - 9) / (4000 - 400) = 17.77 / 3600. */
static const double od_y[] = {40, 45, 48, 50, 50, 52, 55, 60, 65, 75};
static const double od_n[] = {100, 100, 100, 100, 100,
                              100, 100, 100, 100, 100};

static void
test_overdispersion_worked_by_hand(void **state)
{
    (void)state;
    struct ns_overdispersion od;
    assert_int_equal(ns_funnel_overdispersion(od_y, od_n, 10, 0.5,
                                              NS_OD_MULTIPLICATIVE, 0.1, &od),
                     NS_OK);
    assert_int_equal(od.method, NS_OD_MULTIPLICATIVE);
    assert_close(od.phi, 2.677, 1e-12);
    assert_close(od.tau2, 0.0, 0.0);
    assert_int_equal(od.n_units, 10);
    assert_close(od.winsor, 0.1, 0.0);

    assert_int_equal(ns_funnel_overdispersion(od_y, od_n, 10, 0.5,
                                              NS_OD_ADDITIVE, 0.1, &od),
                     NS_OK);
    assert_int_equal(od.method, NS_OD_ADDITIVE);
    assert_close(od.phi, 2.677, 1e-12);
    assert_close(od.tau2, 17.77 / 3600.0, 1e-12);

    /* Not winsorised: z^2 sum 4 + 1 + 0.16 + 0.16 + 1 + 4 + 9 + 25. */
    assert_int_equal(ns_funnel_overdispersion(od_y, od_n, 10, 0.5,
                                              NS_OD_NONE, 0.0, &od),
                     NS_OK);
    assert_close(od.phi, 44.32 / 10.0, 1e-12);
    assert_int_equal(od.method, NS_OD_NONE);

    /* One unit is no evidence of spread between units. */
    assert_int_equal(ns_funnel_overdispersion(od_y + 9, od_n, 1, 0.5,
                                              NS_OD_ADDITIVE, 0.1, &od),
                     NS_OK);
    assert_int_equal(od.method, NS_OD_NONE);
}

static void
test_z_scores(void **state)
{
    (void)state;
    /* 65 of 100 against 1/2: (0.65 - 0.5) / 0.05 = 3. */
    assert_close(ns_funnel_z(65, 100, 0.5, NULL), 3.0, 1e-12);
    struct ns_overdispersion m = {.method = NS_OD_MULTIPLICATIVE, .phi = 4.0};
    assert_close(ns_funnel_z(65, 100, 0.5, &m), 1.5, 1e-12);
    /* Additive: 0.15 / sqrt(0.0025 + 0.0075) = 1.5. */
    struct ns_overdispersion a = {.method = NS_OD_ADDITIVE, .tau2 = 0.0075};
    assert_close(ns_funnel_z(65, 100, 0.5, &a), 1.5, 1e-12);
}

/* Multiplicative: every limit's distance from p0 (its z) times
 * sqrt(phi). */
static void
test_multiplicative_widens_by_sqrt_phi(void **state)
{
    (void)state;
    struct ns_overdispersion od = {.method = NS_OD_MULTIPLICATIVE,
                                   .phi = 2.677};
    const unsigned ns[] = {100, 400, 2000};
    for (size_t i = 0; i < 3; i++) {
        struct ns_funnel_limits w = limits_of(0.5, ns[i], &od);
        struct ns_funnel_limits b = bf_limits(0.5, ns[i]);
        double k = sqrt(2.677);
        assert_close(w.low998, 0.5 + k * (b.low998 - 0.5), TOL);
        assert_close(w.low95, 0.5 + k * (b.low95 - 0.5), TOL);
        assert_close(w.high95, 0.5 + k * (b.high95 - 0.5), TOL);
        assert_close(w.high998, 0.5 + k * (b.high998 - 0.5), TOL);
    }
    /* Wide enough to pass 1: clipped. */
    struct ns_overdispersion big = {.method = NS_OD_MULTIPLICATIVE,
                                    .phi = 100.0};
    struct ns_funnel_limits w = limits_of(0.5, 20, &big);
    assert_close(w.low998, 0.0, 0.0);
    assert_close(w.high998, 1.0, 0.0);
}

/* Additive: the paper's p0 +- z sqrt(s2 + tau2). The exact limits widened
 * by sqrt(1 + tau2 / s2) on the z scale; where the binomial is all but
 * normal (n = 10^6) that is the paper's formula with z the normal
 * quantile. */
static void
test_additive_widens_as_the_paper(void **state)
{
    (void)state;
    const double p0 = 0.3, tau2 = 1e-4;
    struct ns_overdispersion od = {.method = NS_OD_ADDITIVE, .tau2 = tau2};
    struct ns_funnel_limits w = limits_of(p0, 150, &od);
    struct ns_funnel_limits b = bf_limits(p0, 150);
    double k = sqrt(1.0 + tau2 / (p0 * (1.0 - p0) / 150.0));
    assert_close(w.low95, p0 + k * (b.low95 - p0), TOL);
    assert_close(w.high998, p0 + k * (b.high998 - p0), TOL);

    const double n = 1e6, s2 = p0 * (1.0 - p0) / n;
    w = limits_of(p0, n, &od);
    double z95 = gsl_cdf_ugaussian_Pinv(0.975);
    double z998 = gsl_cdf_ugaussian_Pinv(0.999);
    assert_close(w.high95 - p0, z95 * sqrt(s2 + tau2), 5e-3);
    assert_close(p0 - w.low95, z95 * sqrt(s2 + tau2), 5e-3);
    assert_close(w.high998 - p0, z998 * sqrt(s2 + tau2), 5e-3);
    assert_close(p0 - w.low998, z998 * sqrt(s2 + tau2), 5e-3);
}

static void
test_rejects_bad_input(void **state)
{
    (void)state;
    struct ns_funnel_limits l = {0.125, 0.25, 0.75, 0.875}, before = l;
    const double bad_p0[] = {0.0, 1.0, -0.1, 1.5, NS_NAN};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(ns_funnel_limits(bad_p0[i], 10, NULL, &l),
                         NS_EPARAM);
    assert_int_equal(ns_funnel_limits(0.5, 0.5, NULL, &l), NS_EPARAM);
    assert_int_equal(ns_funnel_limits(0.5, NS_NAN, NULL, &l), NS_EPARAM);
    assert_int_equal(ns_funnel_limits(0.5, INFINITY, NULL, &l), NS_EPARAM);
    struct ns_overdispersion od = {.method = NS_OD_MULTIPLICATIVE, .phi = 0.5};
    assert_int_equal(ns_funnel_limits(0.5, 10, &od, &l), NS_EPARAM);
    od = (struct ns_overdispersion){.method = NS_OD_ADDITIVE, .tau2 = -1e-3};
    assert_int_equal(ns_funnel_limits(0.5, 10, &od, &l), NS_EPARAM);
    assert_memory_equal(&l, &before, sizeof l);

    assert_true(isnan(ns_funnel_z(11, 10, 0.5, NULL)));
    assert_true(isnan(ns_funnel_z(-1, 10, 0.5, NULL)));
    assert_true(isnan(ns_funnel_z(1, 10, 1.0, NULL)));

    struct ns_overdispersion out;
    const double y[] = {1, 11}, n[] = {10, 10};
    assert_int_equal(
        ns_funnel_overdispersion(y, n, 2, 0.5, NS_OD_ADDITIVE, 0.1, &out),
        NS_EPARAM);
    assert_int_equal(
        ns_funnel_overdispersion(y, n, 0, 0.5, NS_OD_ADDITIVE, 0.1, &out),
        NS_EPARAM);
    assert_int_equal(
        ns_funnel_overdispersion(y, n, 1, 0.5, NS_OD_ADDITIVE, 0.5, &out),
        NS_EPARAM);
    assert_int_equal(
        ns_funnel_overdispersion(y, n, 1, 0.5, (enum ns_od_method)7, 0.1,
                                 &out),
        NS_EPARAM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_match_brute_force),
        cmocka_unit_test(test_limits_worked_by_hand),
        cmocka_unit_test(test_each_tail_is_exact),
        cmocka_unit_test(test_interpolation_between_steps),
        cmocka_unit_test(test_interpolation_is_continuous),
        cmocka_unit_test(test_on_a_limit_is_within),
        cmocka_unit_test(test_identical_units_no_inflation),
        cmocka_unit_test(test_overdispersion_worked_by_hand),
        cmocka_unit_test(test_z_scores),
        cmocka_unit_test(test_multiplicative_widens_by_sqrt_phi),
        cmocka_unit_test(test_additive_widens_as_the_paper),
        cmocka_unit_test(test_rejects_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

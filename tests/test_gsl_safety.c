/* The library under GSL's DEFAULT error handler, which aborts: each case
 * first shows (in a child process) that GSL's own routine reaches that
 * handler on the input, then runs the library's routine on the same input
 * in this process, which must come back with a number, NaN or a message,
 * never abort (issue 13 item 9). Expected values are worked by hand from
 * closed forms, independent of GSL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/roots.h"
#include "model/uncertainty.h"

/* got within rel of want, or both below 1e-300 (subnormal noise: a
 * quantile that rounds to 0 may come out as a few subnormal steps). */
static void
assert_rel(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fabs(want) + 1e-300))
        fail_msg("got %.17g, want %.17g (relative %g)", got, want, rel);
}

/* Whether GSL's inverse CDF (beta when is_beta) at p aborts a child
 * process under the default handler. */
static bool
gsl_inverse_aborts(bool is_beta, double p, double a, double b)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* GSL's message would only clutter the test log. */
        if (!freopen("/dev/null", "w", stderr))
            _exit(3);
        gsl_set_error_handler(NULL);
        volatile double q = is_beta ? gsl_cdf_beta_Pinv(p, a, b)
                                    : gsl_cdf_gamma_Pinv(p, a, b);
        (void)q;
        _exit(0);
    }
    int status = 0;
    assert_true(pid > 0 && waitpid(pid, &status, 0) == pid);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

/* A gamma of shape 0.001 (scale 1000): GSL's inverse fails to converge
 * ("inverse failed to converge") at every p. For small x its CDF is
 * x^a / Gamma(1 + a) to within a x / (a + 1) (series of the incomplete
 * gamma function), so the quantile is (p Gamma(1 + a))^(1/a), times the
 * scale: 5.7e-9 at p = 0.975, 5.2e-299 at p = 0.5, and at p = 1e-12
 * below the smallest double, 0. */
static void
gamma_quantile_of_a_tiny_shape(void **state)
{
    (void)state;
    gsl_set_error_handler(NULL);
    const double a = 0.001, scale = 1000.0;
    struct ns_dist d = {.kind = NS_DIST_GAMMA, .a = 1.0, .b = sqrt(1000.0),
                        .p1 = a, .p2 = scale};
    static const double ps[] = {0.975, 0.5, 1e-12};
    for (size_t i = 0; i < 3; i++) {
        assert_true(gsl_inverse_aborts(false, ps[i], a, scale));
        double want = scale * exp(log(ps[i] * tgamma(1.0 + a)) / a);
        assert_rel(ns_dist_quantile(&d, ps[i]), want, 1e-9);
    }
}

/* A beta(0.01, 1), whose CDF is x^0.01 exactly: the quantile is p^100,
 * 7.888609052210118e-31 at p = 0.5. GSL's inverse aborts there. */
static void
beta_quantile_of_a_tiny_shape(void **state)
{
    (void)state;
    gsl_set_error_handler(NULL);
    struct ns_dist d = {.kind = NS_DIST_BETA, .p1 = 0.01, .p2 = 1.0};
    assert_true(gsl_inverse_aborts(true, 0.5, 0.01, 1.0));
    assert_rel(ns_dist_quantile(&d, 0.5), 7.888609052210118e-31, 1e-12);
    assert_rel(ns_dist_quantile(&d, 0.9), pow(0.9, 100.0), 1e-12);
}

/* A gamma too narrow for GSL's incomplete gamma function (its CDF
 * aborts for shapes of a million near the mean) is refused when parsed,
 * with the smallest standard error that would do: mean / sqrt(1e5). */
static void
too_narrow_gamma_is_refused(void **state)
{
    (void)state;
    gsl_set_error_handler(NULL);
    struct ns_dist d;
    char err[512];
    assert_int_equal(ns_dist_parse("gamma(1000, 1)", &d, err, sizeof err),
                     NS_EPARAM);
    assert_non_null(strstr(err, "shape 1e+06"));
    assert_non_null(strstr(err, "at least 3.16228"));
    /* Shape 1e5 exactly (1000 / 3.16227766...) is the largest taken. */
    assert_int_equal(ns_dist_parse("gamma(1000, 3.2)", &d, err, sizeof err),
                     NS_OK);
}

struct calls {
    int n;
};

/* x - 1, but NaN from the third call on: a model run that breaks
 * part-way through a threshold search. */
static double
breaks_later(double x, void *ctx)
{
    struct calls *c = ctx;
    return ++c->n >= 3 ? (double)NAN : x - 1.0;
}

static double
positive(double x, void *ctx)
{
    (void)ctx;
    return x * x + 1.0;
}

/* GSL's Brent solver calls the handler on a value that is not finite and
 * on ends that do not bracket a root; ns_root_find reports both. */
static void
root_search_survives_bad_functions(void **state)
{
    (void)state;
    gsl_set_error_handler(NULL);
    struct ns_root_search s = {0.0, 3.0, 0.0, 1e-12, 100};
    struct calls c = {0};
    double x = 0.0;
    assert_int_equal(ns_root_find(breaks_later, &c, &s, &x), NS_EGSL);
    assert_true(isnan(x));
    assert_int_equal(ns_root_find(positive, NULL, &s, &x), NS_EGSL);
    struct ns_root_search backwards = {3.0, 0.0, 0.0, 1e-12, 100};
    c.n = -1000;
    assert_int_equal(ns_root_find(breaks_later, &c, &backwards, &x), NS_EGSL);
    /* And a sound search still finds x = 1. */
    c.n = -1000;
    assert_int_equal(ns_root_find(breaks_later, &c, &s, &x), NS_OK);
    assert_rel(x, 1.0, 1e-11);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gamma_quantile_of_a_tiny_shape),
        cmocka_unit_test(beta_quantile_of_a_tiny_shape),
        cmocka_unit_test(too_narrow_gamma_is_refused),
        cmocka_unit_test(root_search_survives_bad_functions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

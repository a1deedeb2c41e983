/* netsave tests: helpers shared by the cmocka test programs. */
#ifndef NS_TESTS_TEST_SUPPORT_H
#define NS_TESTS_TEST_SUPPORT_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* cmocka 1.1.5's assert_float_equal converts to float: useless for costs
 * in the millions. This compares doubles with a relative tolerance (an
 * absolute one when the expected value is 0), modelled on gsl_test_rel. */
#define assert_close(actual, expected, rel_tol)                               \
    do {                                                                      \
        double a_ = (actual), e_ = (expected);                                \
        double tol_ = (rel_tol) * (fabs(e_) > 0.0 ? fabs(e_) : 1.0);          \
        if (!(fabs(a_ - e_) <= tol_))                                         \
            fail_msg("%s = %.17g, expected %.17g (rel tol %g)", #actual, a_,  \
                     e_, (double)(rel_tol));                                  \
    } while (0)

#endif

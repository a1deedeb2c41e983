/* netsave tests: helpers shared by the cmocka test programs. */
#ifndef NS_TESTS_TEST_SUPPORT_H
#define NS_TESTS_TEST_SUPPORT_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "model/population.h"
#include "params/params.h"

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

/* Builds and runs the population of a model source, or fails the test
 * with every diagnostic printed (file:line: text). *params receives the
 * model's parameters (free with ns_params_free). */
static inline struct ns_population *
ns_test_build_run(const struct ns_model_source *src,
                  struct ns_params **params)
{
    struct ns_population *pop = NULL;
    struct ns_diags diags = {0};
    enum ns_status st = ns_params_build(src, params, &pop, &diags);
    if (st == NS_OK)
        st = ns_population_run(pop, &diags);
    for (size_t i = 0; i < diags.count; i++)
        fprintf(stderr, "%s:%d: %s\n",
                diags.items[i].file ? diags.items[i].file : "",
                diags.items[i].line, diags.items[i].text);
    ns_diags_clear(&diags);
    assert_int_equal(st, NS_OK);
    return pop;
}

/* The same for a model given as one INI text. */
static inline struct ns_population *
ns_test_build_run_text(const char *name, const char *text,
                       struct ns_params **params)
{
    struct ns_memory_file file = {name, text, strlen(text)};
    struct ns_model_source src = {NULL, 0, &file, 1, NULL, 0, false};
    return ns_test_build_run(&src, params);
}

#endif

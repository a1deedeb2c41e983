/* netsave tests: budget impact by convolution (model/expansion.h).
 *
 * A client of the treated strategy spends the first yearly cycle in
 * treatment (GBP 1000, one place-year) and then leaves; a client of the
 * comparator commits crime costing GBP 300 a year from the start. With
 * counting at the start of each cycle, the treated client's difference is
 * 1000 of treatment and 300 of savings at time point 0 and nothing after.
 * Ten places make ten starts a year (one place-year per client), so every
 * time point t < 3 carries 10 x 1000 of treatment and 10 x 300 of
 * savings, discounted by 1.035^-t; points 0 and 1 belong to year 1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"

#include "model/analysis/expansion.h"
#include "model/ledger.h"
#include "model/population.h"
#include "params/params.h"

static const char model_text[] =
    "[model]\n"
    "cycle_length = 1\n"
    "n_cycles = 3\n"
    "counting = start\n"
    "comparator = none\n"
    "cost_outcome = costs\n"
    "place_outcome = places\n"
    "[discount]\n"
    "costs = 0.035\n"
    "places = 0\n"
    "[states]\n"
    "tx = In treatment\n"
    "out = Out of treatment\n"
    "[strategies]\n"
    "none = No treatment\n"
    "treat = Treatment\n"
    "[initial]\n"
    "out = 1\n"
    "[initial.treat]\n"
    "tx = 1\n"
    "out = 0\n"
    "[transitions]\n"
    "tx -> out = 1\n"
    "out -> out = 1\n"
    "[stream.treatment]\n"
    "outcome = costs\n"
    "tags = payer:budget, intervention\n"
    "tx = 1000\n"
    "out = 0\n"
    "[stream.crime]\n"
    "outcome = costs\n"
    "tags = payer:victims\n"
    "tx = 0\n"
    "out = 300\n"
    "[stream.places]\n"
    "outcome = places\n"
    "tx = 1\n"
    "out = 0\n";

static void
constant_places(void **state)
{
    (void)state;
    struct ns_params *params = NULL;
    struct ns_population *pop =
        ns_test_build_run_text("x.ini", model_text, &params);
    struct ns_diags diags = {0};
    struct ns_expansion *e = NULL;
    assert_int_equal(ns_expansion_run(pop->models[0], pop->pooled, 1, "10",
                                      NS_ALL_PAYERS, &e, &diags),
                     NS_OK);
    assert_close(e->place_years_per_client, 1.0, 1e-15);
    assert_int_equal(e->n_years, 3);
    double d1 = 1 / 1.035, d2 = 1 / (1.035 * 1.035);
    assert_close(e->years[0].treatment_cost, 10000 * (1 + d1), 1e-12);
    assert_close(e->years[0].savings, 3000 * (1 + d1), 1e-12);
    assert_close(e->years[1].treatment_cost, 10000 * d2, 1e-12);
    assert_close(e->years[2].treatment_cost, 0.0, 0.0);
    assert_close(e->years[0].starts, 10, 1e-15);
    assert_close(e->years[0].places, 10, 1e-15);
    assert_close(e->npv, -7000 * (1 + d1 + d2), 1e-12);
    assert_true(isnan(e->payback_year));
    /* By payer: the victims save what the perspective saves. */
    assert_close(e->payer_savings[0 * e->n_payers + 1], 3000 * (1 + d1),
                 1e-12);
    ns_expansion_free(e);
    /* A time-varying expression: places only in the first year. */
    assert_int_equal(ns_expansion_run(pop->models[0], pop->pooled, 1,
                                      "if(time < 1, 10, 0)", NS_ALL_PAYERS,
                                      &e, &diags),
                     NS_OK);
    assert_close(e->years[0].treatment_cost, 10000, 1e-12);
    assert_close(e->years[1].treatment_cost, 0.0, 0.0);
    ns_expansion_free(e);
    /* Negative places are refused. */
    assert_int_equal(ns_expansion_run(pop->models[0], pop->pooled, 1, "-1",
                                      NS_ALL_PAYERS, &e, &diags),
                     NS_EPARAM);
    ns_population_free(pop);
    ns_params_free(params);
    ns_diags_clear(&diags);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(constant_places),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

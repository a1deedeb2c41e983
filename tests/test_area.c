/* netsave tests: an area's totals (model/area.h) against values worked by
 * hand from a two-state model.
 *
 * Model: alive -> dead with probability p per yearly cycle, p = 0.2
 * without treatment ("none") and 0.1 with it ("treat"); counting at the
 * end of each cycle, 2 cycles; costs discounted at 5% a year from the
 * start, so the value counted at point t is weighted by 1.05^-t. The
 * cohort is 2 clients ([initial] alive = 2), so per client is half the
 * model's totals. While alive, per cycle: police 400 without treatment
 * and 100 with it (payer:police); treatment 1000 (payer:budget,
 * intervention) with it.
 *
 * Per client, at point t, alive is 0.8^t without and 0.9^t with:
 *   treatment cost  1000 * 0.9^t          t=1: 900   t=2: 810
 *   savings (police) 400 * 0.8^t - 100 * 0.9^t
 *                                         t=1: 230   t=2: 175
 *   net savings                           t=1: -670  t=2: -635
 * Point t is model year t.
 *
 * Area: years = 2, treat = 10, 20 (10 clients start in year 1, 20 in year
 * 2). Area years run 1..2 + 2 - 1 = 3. The cohort of year 2 is shifted by
 * one year and discounted by an additional 1.05^-1. Undiscounted:
 *   year 1: 10 x year 1                    = 10 x -670           = -6700
 *   year 2: 10 x year 2 + 20 x year 1      = -6350 - 13400       = -19750
 *   year 3: 20 x year 2                    = -12700
 * Discounted:
 *   year 1: 10 x -670 / 1.05                          = -6380.9523809...
 *   year 2: 10 x -635 / 1.05^2 + 20 x -670 / 1.05^2   = -19750 / 1.1025
 *   year 3: 20 x -635 / 1.05^3                        = -12700 / 1.157625
 * Savings by payer (undiscounted): police 2300, 10 x 175 + 20 x 230 =
 * 6350, 3500; budget -9000, -(8100 + 18000) = -26100, -16200.
 * The test computes each of these from the same closed forms. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"

#include "model/area.h"
#include "model/ledger.h"

#define TOL 1e-12

static const char model_text[] =
    "[model]\n"
    "cycle_length = 1\n"
    "n_cycles = 2\n"
    "counting = end\n"
    "comparator = none\n"
    "cost_outcome = costs\n"
    "[discount]\n"
    "costs = 0.05\n"
    "[states]\n"
    "alive = Alive\n"
    "dead = Dead\n"
    "[strategies]\n"
    "none = No treatment\n"
    "treat = Treatment\n"
    "[initial]\n"
    "alive = 2\n"
    "[parameters]\n"
    "p_die = 0.2\n"
    "cost_police = 400\n"
    "cost_treatment = 0\n"
    "[parameters.treat]\n"
    "p_die = 0.1\n"
    "cost_police = 100\n"
    "cost_treatment = 1000\n"
    "[transitions]\n"
    "alive -> alive = C\n"
    "alive -> dead = p_die\n"
    "dead -> dead = 1\n"
    "[stream.police]\n"
    "outcome = costs\n"
    "tags = payer:police\n"
    "alive = cost_police\n"
    "dead = 0\n"
    "[stream.treatment]\n"
    "outcome = costs\n"
    "tags = payer:budget, intervention\n"
    "alive = cost_treatment\n"
    "dead = 0\n"
    "[perspectives]\n"
    "public = budget, police\n"
    "budget_only = budget\n";

/* Per client at model year t (1 or 2), as in the comment above. */
static double
treatment_at(int t)
{
    return 1000.0 * pow(0.9, t);
}

static double
savings_at(int t)
{
    return 400.0 * pow(0.8, t) - 100.0 * pow(0.9, t);
}

/* What the area's clients contribute to area year a (1..3): the cohort
 * starting in year s (1, 2) is in its model year a - s + 1. */
static double
area_value(int a, bool discounted, double (*per_client)(int))
{
    static const double starts[2] = {10.0, 20.0};
    double sum = 0.0;
    for (int s = 1; s <= 2; s++) {
        int t = a - s + 1;
        if (t < 1 || t > 2)
            continue;
        double d = discounted ? pow(1.05, -t) * pow(1.05, -(s - 1)) : 1.0;
        sum += starts[s - 1] * per_client(t) * d;
    }
    return sum;
}

static struct ns_population *
build(const char *area)
{
    char *text = malloc(sizeof model_text + strlen(area));
    assert_non_null(text);
    strcpy(text, model_text);
    strcat(text, area);
    struct ns_params *params = NULL;
    struct ns_population *pop =
        ns_test_build_run_text("area.ini", text, &params);
    ns_params_free(params);
    free(text);
    return pop;
}

static void
starts_as_written(void **state)
{
    (void)state;
    struct ns_population *pop =
        build("[area]\nname = Anytown\nyears = 3\ntreat = 15\n");
    const struct ns_model *m = pop->models[0];
    assert_non_null(m->area);
    assert_string_equal(m->area->name, "Anytown");
    assert_int_equal(m->area->n_years, 3);
    assert_int_equal(ns_area_n_years(m), 4);
    long treat = ns_model_find_strategy(m, "treat");
    long none = ns_model_find_strategy(m, "none");
    for (size_t s = 0; s < 3; s++) {
        assert_close(ns_area_starts(m->area, (size_t)treat, s), 15.0, 0);
        assert_close(ns_area_starts(m->area, (size_t)none, s), 0.0, 0);
    }
    ns_population_free(pop);
}

static void
totals_worked_by_hand(void **state)
{
    (void)state;
    struct ns_population *pop =
        build("[area]\nname = Anytown\nyears = 2\ntreat = 10, 20\n");
    const struct ns_model *m = pop->models[0];
    assert_int_equal(ns_area_n_years(m), 3);
    /* The hand-worked figures of the header, written out. */
    assert_close(area_value(1, false, treatment_at) -
                     area_value(1, false, savings_at),
                 6700.0, TOL);
    assert_close(area_value(2, true, savings_at) -
                     area_value(2, true, treatment_at),
                 -19750.0 / 1.1025, TOL);
    struct ns_area_year years[3];
    for (int disc = 0; disc <= 1; disc++) {
        assert_int_equal(ns_area_totals(m, pop->pooled, NS_AREA_ALL,
                                        NS_ALL_PAYERS, disc, years, NULL),
                         NS_OK);
        double cumulative = 0.0;
        for (int a = 1; a <= 3; a++) {
            const struct ns_area_year *y = &years[a - 1];
            double tc = area_value(a, disc, treatment_at);
            double sv = area_value(a, disc, savings_at);
            cumulative += sv - tc;
            assert_close(y->starts, a == 1 ? 10.0 : a == 2 ? 20.0 : 0.0, 0);
            assert_close(y->treatment_cost, tc, TOL);
            assert_close(y->savings, sv, TOL);
            assert_close(y->net_savings, sv - tc, TOL);
            assert_close(y->cumulative_net_savings, cumulative, TOL);
        }
    }
    assert_close(years[0].net_savings, -6700.0 / 1.05, TOL);
    assert_close(years[2].net_savings, -12700.0 / 1.157625, TOL);
    ns_population_free(pop);
}

/* Perspectives count their payers only, and each payer's savings add
 * up to the area's net savings. */
static void
perspectives_and_payers(void **state)
{
    (void)state;
    struct ns_population *pop =
        build("[area]\nname = Anytown\nyears = 2\ntreat = 10, 20\n");
    const struct ns_model *m = pop->models[0];
    long budget_only = ns_model_find_perspective(m, "budget_only");
    long treat = ns_model_find_strategy(m, "treat");
    struct ns_area_year years[3];
    double by_payer[3 * 2];
    assert_int_equal(ns_area_totals(m, pop->pooled, (size_t)treat,
                                    budget_only, false, years, NULL),
                     NS_OK);
    for (int a = 1; a <= 3; a++) {
        assert_close(years[a - 1].savings, 0.0, 0);
        assert_close(years[a - 1].net_savings,
                     -area_value(a, false, treatment_at), TOL);
    }
    assert_int_equal(ns_area_totals(m, pop->pooled, NS_AREA_ALL,
                                    NS_ALL_PAYERS, false, years, by_payer),
                     NS_OK);
    static const double police[3] = {2300.0, 6350.0, 3500.0};
    static const double budget[3] = {-9000.0, -26100.0, -16200.0};
    for (size_t y = 0; y < 3; y++) {
        assert_string_equal(m->payers[0], "police");
        assert_close(by_payer[y * 2 + 0], police[y], TOL);
        assert_close(by_payer[y * 2 + 1], budget[y], TOL);
        assert_close(by_payer[y * 2] + by_payer[y * 2 + 1],
                     years[y].net_savings, TOL);
    }
    ns_population_free(pop);
}

/* Over the area's years, the totals are starts x discount x per-client
 * ledger (the model's own, ns_ledger_compute), whatever the horizon. */
static void
sums_are_starts_times_per_client(void **state)
{
    (void)state;
    struct ns_population *pop = build(
        "[area]\nname = Anytown\nyears = 4\ntreat = 3, 0, 7.5, 11\n");
    const struct ns_model *m = pop->models[0];
    long treat = ns_model_find_strategy(m, "treat");
    struct ns_ledger led;
    ns_ledger_compute(m, pop->pooled, (size_t)treat, NS_ALL_PAYERS, true,
                      &led, NULL);
    double per_client = led.net_savings / 2.0;
    double expected = per_client * (3.0 + 7.5 / 1.1025 + 11.0 / 1.157625);
    struct ns_area_year years[5];
    assert_int_equal(ns_area_n_years(m), 5);
    assert_int_equal(ns_area_totals(m, pop->pooled, NS_AREA_ALL,
                                    NS_ALL_PAYERS, true, years, NULL),
                     NS_OK);
    assert_close(years[4].cumulative_net_savings, expected, TOL);
    ns_population_free(pop);
}

/* Every problem of an [area] section is found at once, at its line. */
static void
bad_area_all_at_once(void **state)
{
    (void)state;
    const char *area = "[area]\n"
                       "name = Anytown\n"
                       "years = 3\n"
                       "treat = 1, 2\n"
                       "none = 4\n"
                       "tret = 5\n";
    char *text = malloc(sizeof model_text + strlen(area));
    assert_non_null(text);
    strcpy(text, model_text);
    strcat(text, area);
    struct ns_memory_file file = {"area.ini", text, strlen(text)};
    struct ns_model_source src = {NULL, 0, &file, 1, NULL, 0, false};
    struct ns_params *params = NULL;
    struct ns_population *pop = NULL;
    struct ns_diags diags = {0};
    assert_int_equal(ns_params_build(&src, &params, &pop, &diags),
                     NS_EPARAM);
    assert_int_equal(diags.count, 3);
    assert_non_null(strstr(diags.items[0].text, "expected 1 number"));
    assert_non_null(strstr(diags.items[0].text, "found 2"));
    assert_non_null(strstr(diags.items[1].text, "none"));
    assert_non_null(strstr(diags.items[1].text, "no comparator"));
    assert_non_null(strstr(diags.items[2].text, "did you mean 'treat'"));
    ns_diags_clear(&diags);
    ns_params_free(params);
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(starts_as_written),
        cmocka_unit_test(totals_worked_by_hand),
        cmocka_unit_test(perspectives_and_payers),
        cmocka_unit_test(sums_are_starts_times_per_client),
        cmocka_unit_test(bad_area_all_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

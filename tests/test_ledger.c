/* netsave tests: who pays, who saves (model/ledger.h) and populations of
 * subgroups (model/population.h), on a two-state model with closed forms.
 *
 * Model: alive -> dead with constant probability p per yearly cycle,
 * p_none = 0.0731 without treatment and p_treat = 0.0412 with it; counting
 * at the end of each cycle; costs discounted at 3.5% from the start, so the
 * value at point t is weighted by d_t = 1.035^-t and alive_t = (1 - p)^t.
 * Streams while alive: police 1234.5 (payer:police), NHS 317.25
 * (payer:nhs), and for the treated strategy the treatment 2890.75
 * (payer:budget, intervention). Every expected number below is computed
 * from these closed forms in the test, independently of the engine. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"

#include "model/ledger.h"
#include "model/population.h"
#include "model/analysis/threshold.h"
#include "params/params.h"

#define TOL 1e-11
#define T_CYCLES 6

static const double p_none = 0.0731, p_treat = 0.0412;
static const double c_police = 1234.5, c_nhs = 317.25, c_treat = 2890.75;

static const char model_text[] =
    "[model]\n"
    "cycle_length = 1\n"
    "n_cycles = 6\n"
    "counting = end\n"
    "comparator = none\n"
    "cost_outcome = costs\n"
    "[discount]\n"
    "costs = 0.035\n"
    "[states]\n"
    "alive = Alive\n"
    "dead = Dead\n"
    "[strategies]\n"
    "none = No treatment\n"
    "treat = Treatment\n"
    "[initial]\n"
    "alive = 1\n"
    "[parameters]\n"
    "p_die = 0.0731\n"
    "cost_police = 1234.5\n"
    "cost_nhs = 317.25\n"
    "cost_treatment = 0\n"
    "[parameters.treat]\n"
    "p_die = 0.0412\n"
    "cost_treatment = 2890.75\n"
    "[transitions]\n"
    "alive -> alive = C\n"
    "alive -> dead = p_die\n"
    "dead -> dead = 1\n"
    "[stream.police]\n"
    "outcome = costs\n"
    "tags = payer:police\n"
    "alive = cost_police\n"
    "dead = 0\n"
    "[stream.nhs]\n"
    "outcome = costs\n"
    "tags = payer:nhs\n"
    "alive = cost_nhs\n"
    "dead = 0\n"
    "[stream.treatment]\n"
    "outcome = costs\n"
    "tags = payer:budget, intervention\n"
    "alive = cost_treatment\n"
    "dead = 0\n"
    "[perspectives]\n"
    "public = budget, police, nhs\n"
    "health = budget, nhs\n";

/* Discounted sum over points 1..T of (1 - p)^t * d_t. */
static double
alive_sum(double p, bool discounted)
{
    double sum = 0.0;
    for (int t = 1; t <= T_CYCLES; t++)
        sum += pow(1.0 - p, t) * (discounted ? pow(1.035, -t) : 1.0);
    return sum;
}

/* Builds and runs the model with extra --set assignments. */
static struct ns_population *
build(const char *const *sets, size_t n_sets, const char *extra)
{
    char *text = malloc(sizeof model_text + (extra ? strlen(extra) : 0));
    assert_non_null(text);
    strcpy(text, model_text);
    if (extra)
        strcat(text, extra);
    struct ns_memory_file file = {"ledger.ini", text, strlen(text)};
    struct ns_model_source src = {NULL, 0, &file, 1, sets, n_sets, false};
    struct ns_params *params = NULL;
    struct ns_population *pop = ns_test_build_run(&src, &params);
    ns_params_free(params);
    free(text);
    return pop;
}

static void
payers_and_perspectives(void **state)
{
    (void)state;
    struct ns_population *pop = build(NULL, 0, NULL);
    const struct ns_model *m = pop->models[0];
    assert_int_equal(m->n_payers, 3);
    /* Payers in order of first appearance in the streams. */
    assert_string_equal(m->payers[0], "police");
    assert_string_equal(m->payers[1], "nhs");
    assert_string_equal(m->payers[2], "budget");
    double a_none = alive_sum(p_none, true), a_treat = alive_sum(p_treat, true);
    double treatment = c_treat * a_treat;
    double police = c_police * (a_none - a_treat); /* negative: more alive */
    double nhs = c_nhs * (a_none - a_treat);

    struct ns_ledger l;
    double by_payer[3];
    ns_ledger_compute(m, pop->pooled, 1, NS_ALL_PAYERS, true, &l, by_payer);
    assert_true(l.valid);
    assert_int_equal(l.comparator, 0);
    assert_close(l.treatment_cost, treatment, TOL);
    assert_close(l.savings, police + nhs, TOL);
    assert_close(l.net_savings, police + nhs - treatment, TOL);
    assert_close(l.benefit_cost_ratio, (police + nhs) / treatment, TOL);
    assert_close(by_payer[0], police, TOL);
    assert_close(by_payer[1], nhs, TOL);
    assert_close(by_payer[2], -treatment, TOL);
    /* Net savings never turn positive: everything costs more. */
    assert_true(isnan(l.payback_year));

    /* "health" leaves the police out. */
    ns_ledger_compute(m, pop->pooled, 1, 1, true, &l, NULL);
    assert_close(l.savings, nhs, TOL);
    assert_close(l.treatment_cost, treatment, TOL);

    /* The comparator itself has no ledger. */
    ns_ledger_compute(m, pop->pooled, 0, 0, true, &l, by_payer);
    assert_false(l.valid);
    assert_true(isnan(l.net_savings));
    ns_population_free(pop);
}

/* Doubling one payer's unit cost changes that payer's savings, by exactly
 * the comparator-minus-strategy difference of the added cost, and nobody
 * else's. */
static void
doubling_a_cost_moves_only_its_payer(void **state)
{
    (void)state;
    struct ns_population *base = build(NULL, 0, NULL);
    const char *sets[] = {"parameters.cost_police=2469"};
    struct ns_population *doubled = build(sets, 1, NULL);
    double before[3], after[3];
    struct ns_ledger lb, la;
    ns_ledger_compute(base->models[0], base->pooled, 1, NS_ALL_PAYERS, true,
                      &lb, before);
    ns_ledger_compute(doubled->models[0], doubled->pooled, 1, NS_ALL_PAYERS,
                      true, &la, after);
    double added = c_police * (alive_sum(p_none, true) -
                               alive_sum(p_treat, true));
    assert_close(after[0] - before[0], added, 1e-9);
    assert_close(after[1], before[1], TOL);
    assert_close(after[2], before[2], TOL);
    assert_close(la.savings - lb.savings, added, 1e-9);
    ns_population_free(base);
    ns_population_free(doubled);
}

/* With the comparator's effect and no treatment cost, nothing is saved. */
static void
no_effect_no_savings(void **state)
{
    (void)state;
    const char *sets[] = {"parameters.treat.p_die=0.0731",
                          "parameters.treat.cost_treatment=0"};
    struct ns_population *pop = build(sets, 2, NULL);
    struct ns_ledger l;
    double by_payer[3];
    ns_ledger_compute(pop->models[0], pop->pooled, 1, NS_ALL_PAYERS, true, &l,
                      by_payer);
    assert_true(l.valid);
    /* Exactly zero: both arms compute the same numbers the same way. */
    assert_close(l.net_savings, 0.0, 0.0);
    assert_close(l.savings, 0.0, 0.0);
    assert_true(isnan(l.benefit_cost_ratio));
    for (int i = 0; i < 3; i++)
        assert_close(by_payer[i], 0.0, 0.0);
    ns_population_free(pop);
}

/* Savings that beat the treatment cost: payback and yearly figures. */
static void
payback_and_years(void **state)
{
    (void)state;
    /* Treatment prevents deaths that cost the NHS 150000 each (a
     * transition value, booked at the point of the transition), and costs
     * 9000 in its first year, 500 after: it pays back in year 3. */
    const char *extra = "[stream.deaths]\n"
                        "outcome = costs\n"
                        "tags = payer:nhs\n"
                        "default = 0\n"
                        "alive -> dead = 150000\n";
    const char *sets[] = {
        "parameters.treat.cost_treatment=if(cycle == 1, 9000, 500)"};
    struct ns_population *pop = build(sets, 1, extra);
    const struct ns_model *m = pop->models[0];
    double net[T_CYCLES], cumulative = 0.0, expect_payback = NAN;
    assert_int_equal(ns_ledger_n_years(m), T_CYCLES);
    ns_ledger_by_year(m, pop->pooled, 1, NS_ALL_PAYERS, true, net);
    double total = 0.0;
    for (int y = 1; y <= T_CYCLES; y++) {
        double d = pow(1.035, -y);
        double an = pow(1 - p_none, y), at = pow(1 - p_treat, y);
        double dn = pow(1 - p_none, y - 1) * p_none;
        double dt = pow(1 - p_treat, y - 1) * p_treat;
        double c_tx = y == 1 ? 9000.0 : 500.0;
        double expect = d * ((c_police + c_nhs) * (an - at) - c_tx * at +
                             150000.0 * (dn - dt));
        assert_close(net[y - 1], expect, 1e-10);
        total += expect;
        cumulative += expect;
        if (isnan(expect_payback) && cumulative > 0.0)
            expect_payback = y;
    }
    struct ns_ledger l;
    ns_ledger_compute(m, pop->pooled, 1, NS_ALL_PAYERS, true, &l, NULL);
    assert_close(l.net_savings, total, 1e-10);
    /* The numbers are chosen so that it pays back within the horizon,
     * but not in the first year. */
    assert_close(expect_payback, 3.0, 0.0);
    assert_close(l.payback_year, expect_payback, TOL);
    ns_population_free(pop);
}

/* The threshold: net savings are linear in the cost of a death D,
 * NS(D) = A + D B with A the savings without it and B the discounted
 * deaths averted, so they reach zero at D = -A / B. */
static void
threshold_of_death_cost(void **state)
{
    (void)state;
    const char *extra = "[parameters]\n"
                        "death_cost = 0\n"
                        "[stream.deaths]\n"
                        "outcome = costs\n"
                        "tags = payer:nhs\n"
                        "default = 0\n"
                        "alive -> dead = death_cost\n";
    char *text = malloc(sizeof model_text + strlen(extra));
    assert_non_null(text);
    /* [parameters] appears twice otherwise: put death_cost in the first. */
    strcpy(text, model_text);
    char *at = strstr(text, "p_die = 0.0731\n");
    assert_non_null(at);
    memmove(at + strlen("death_cost = 0\n"), at, strlen(at) + 1);
    memcpy(at, "death_cost = 0\n", strlen("death_cost = 0\n"));
    strcat(text, strstr(extra, "[stream.deaths]"));
    struct ns_params *params = NULL;
    struct ns_population *pop =
        ns_test_build_run_text("ledger.ini", text, &params);
    struct ns_diags diags = {0};
    double a = 0.0, b = 0.0;
    for (int y = 1; y <= T_CYCLES; y++) {
        double d = pow(1.035, -y);
        double an = pow(1 - p_none, y), at_ = pow(1 - p_treat, y);
        double dn = pow(1 - p_none, y - 1) * p_none;
        double dt = pow(1 - p_treat, y - 1) * p_treat;
        a += d * ((c_police + c_nhs) * (an - at_) - c_treat * at_);
        b += d * (dn - dt);
    }
    long param = -1;
    for (size_t i = 0; i < pop->models[0]->n_params; i++)
        if (strcmp(pop->models[0]->params[i].name, "death_cost") == 0)
            param = (long)i;
    assert_true(param >= 0);
    struct ns_threshold t;
    assert_int_equal(ns_threshold_net_savings(pop, (size_t)param, 0.0, 1e6, 1,
                                              NS_ALL_PAYERS, &t, &diags),
                     NS_OK);
    assert_true(t.found);
    assert_close(t.value, -a / b, 1e-6);
    assert_close(t.at_low, a, 1e-10);
    assert_close(t.at_high, a + 1e6 * b, 1e-10);
    /* A range that does not straddle the root: none in range. */
    assert_int_equal(ns_threshold_net_savings(pop, (size_t)param, 0.0, 1.0, 1,
                                              NS_ALL_PAYERS, &t, &diags),
                     NS_OK);
    assert_false(t.found);
    ns_population_free(pop);
    ns_params_free(params);
    ns_diags_clear(&diags);
    free(text);
}

/* Pooled results are the weighted sum of the subgroups'. */
static void
pooled_is_weighted_sum(void **state)
{
    (void)state;
    const char *extra = "[subgroups]\n"
                        "high = 0.3137\n"
                        "low = 0.6863\n"
                        "[subgroup.high]\n"
                        "parameters.cost_police = 3702.25\n"
                        "parameters.treat.p_die = 0.0388\n"
                        "[subgroup.low]\n"
                        "parameters.cost_police = 611.5\n";
    struct ns_population *pop = build(NULL, 0, extra);
    assert_int_equal(pop->n_groups, 2);
    assert_string_equal(pop->names[0], "high");
    const struct ns_results *h = pop->results[0], *lo = pop->results[1];
    const struct ns_results *all = pop->pooled;
    for (size_t k = 0; k < 2; k++)
        for (size_t j = 0; j < 3; j++)
            assert_close(ns_results_total(all, k, j, true),
                         0.3137 * ns_results_total(h, k, j, true) +
                             0.6863 * ns_results_total(lo, k, j, true),
                         TOL);
    /* The high-cost subgroup's police cost, from the closed form. */
    assert_close(ns_results_total(h, 1, 0, true),
                 3702.25 * alive_sum(0.0388, true), TOL);
    struct ns_ledger lh, ll, la;
    ns_ledger_compute(pop->models[0], h, 1, NS_ALL_PAYERS, true, &lh, NULL);
    ns_ledger_compute(pop->models[1], lo, 1, NS_ALL_PAYERS, true, &ll, NULL);
    ns_ledger_compute(pop->models[0], all, 1, NS_ALL_PAYERS, true, &la, NULL);
    assert_close(la.net_savings,
                 0.3137 * lh.net_savings + 0.6863 * ll.net_savings, TOL);
    ns_population_free(pop);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(payers_and_perspectives),
        cmocka_unit_test(doubling_a_cost_moves_only_its_payer),
        cmocka_unit_test(no_effect_no_savings),
        cmocka_unit_test(payback_and_years),
        cmocka_unit_test(pooled_is_weighted_sum),
        cmocka_unit_test(threshold_of_death_cost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

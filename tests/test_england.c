/* netsave tests: the shipped England model (params/england.ini) behaves as
 * the cost-benefit accounting says it must.
 *
 * - Doubling one unit cost of crime (domestic burglary) raises the savings
 *   of exactly the payers who bear it (victims for anticipation and
 *   consequence, police, courts/prisons/probation), each by the saving its
 *   own domestic-burglary streams showed before, and leaves every other
 *   payer's savings unchanged.
 * - Giving every treatment strategy its comparator's start (nobody starts
 *   the index treatment, so nobody gets its effects or its after-treatment
 *   dynamics) gives zero treatment cost and zero savings for every
 *   modality.
 * - The pooled result is the weighted sum of the subgroups'.
 * The expected values come from the model's own stream totals, combined
 * here independently of the ledger's code path. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"

#include "model/ledger.h"
#include "model/population.h"
#include "params/params.h"

static const char *const model_file = "../params/england.ini";

static struct ns_population *
build(const char *const *sets, size_t n_sets)
{
    const char *files[] = {model_file};
    struct ns_model_source src = {files, 1, NULL, 0, sets, n_sets, false};
    struct ns_params *params = NULL;
    struct ns_population *pop = ns_test_build_run(&src, &params);
    ns_params_free(params);
    return pop;
}

static long
payer_index(const struct ns_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_payers; i++)
        if (strcmp(m->payers[i], name) == 0)
            return (long)i;
    fail_msg("no payer %s", name);
    return -1;
}

static void
doubling_burglary_cost_moves_its_payers_only(void **state)
{
    (void)state;
    struct ns_population *base = build(NULL, 0);
    const char *sets[] = {"parameters.uc_dburg=2 * 2300"};
    struct ns_population *doubled = build(sets, 1);
    const struct ns_model *m = base->models[0];
    const struct ns_results *r = base->pooled;
    double *before = calloc(m->n_payers, sizeof *before);
    double *after = calloc(m->n_payers, sizeof *after);
    double *expect = calloc(m->n_payers, sizeof *expect);
    assert_true(before && after && expect);
    size_t n_checked = 0;
    for (size_t k = 0; k < m->n_strategies; k++) {
        struct ns_ledger lb, la;
        ns_ledger_compute(m, r, k, NS_ALL_PAYERS, true, &lb, before);
        ns_ledger_compute(doubled->models[0], doubled->pooled, k,
                          NS_ALL_PAYERS, true, &la, after);
        if (!lb.valid)
            continue;
        /* Each payer gains what its burglary streams saved before. */
        memset(expect, 0, m->n_payers * sizeof *expect);
        size_t c = lb.comparator;
        for (size_t j = 0; j < m->n_streams; j++) {
            if (strncmp(m->streams[j].name, "crime_dburg_", 12) != 0)
                continue;
            assert_true(m->streams[j].payer >= 0);
            expect[m->streams[j].payer] += ns_results_total(r, c, j, true) -
                                           ns_results_total(r, k, j, true);
        }
        for (size_t p = 0; p < m->n_payers; p++) {
            double scale = fabs(before[p]) + fabs(expect[p]) + 1.0;
            assert_true(fabs((after[p] - before[p]) - expect[p]) <=
                        1e-9 * scale);
        }
        /* The payers who bear burglary gain something; others nothing. */
        assert_true(expect[payer_index(m, "police")] > 0.0);
        assert_true(expect[payer_index(m, "victims")] > 0.0);
        assert_true(expect[payer_index(m, "cjs")] > 0.0);
        assert_close(after[payer_index(m, "nhs")],
                     before[payer_index(m, "nhs")], 1e-12);
        assert_close(after[payer_index(m, "treatment_budget")],
                     before[payer_index(m, "treatment_budget")], 1e-12);
        n_checked++;
    }
    assert_int_equal(n_checked, 4);
    free(before);
    free(after);
    free(expect);
    ns_population_free(base);
    ns_population_free(doubled);
}

static void
comparator_effects_give_zero_savings(void **state)
{
    (void)state;
    static const char *const modalities[] = {"rehab", "inpatient", "mmt",
                                             "mr"};
    char sets_buf[4][96];
    const char *sets[4];
    /* start_tx = 0: nobody starts the index treatment, and clients out of
     * treatment follow the comparator's natural history and entry into
     * other treatment, so every treatment arm is its comparator. */
    for (size_t i = 0; i < 4; i++) {
        snprintf(sets_buf[i], 96, "parameters.%s.start_tx=0", modalities[i]);
        sets[i] = sets_buf[i];
    }
    struct ns_population *pop = build(sets, 4);
    const struct ns_model *m = pop->models[0];
    size_t n_checked = 0;
    for (size_t k = 0; k < m->n_strategies; k++) {
        struct ns_ledger l;
        ns_ledger_compute(m, pop->pooled, k, NS_ALL_PAYERS, true, &l, NULL);
        if (!l.valid)
            continue;
        /* The comparator's figures, computed the same way: exactly 0. */
        assert_close(l.treatment_cost, 0.0, 0.0);
        assert_close(l.savings, 0.0, 0.0);
        assert_close(l.net_savings, 0.0, 0.0);
        n_checked++;
    }
    assert_int_equal(n_checked, 4);
    ns_population_free(pop);
}

static void
pooled_is_weighted_sum_of_subgroups(void **state)
{
    (void)state;
    struct ns_population *pop = build(NULL, 0);
    assert_true(pop->n_groups >= 2);
    double wsum = 0.0;
    for (size_t g = 0; g < pop->n_groups; g++)
        wsum += pop->weights[g];
    assert_close(wsum, 1.0, 1e-12);
    const struct ns_model *m = pop->models[0];
    for (size_t k = 0; k < m->n_strategies; k++) {
        struct ns_ledger pooled;
        ns_ledger_compute(m, pop->pooled, k, NS_ALL_PAYERS, true, &pooled,
                          NULL);
        double sum = 0.0;
        for (size_t g = 0; g < pop->n_groups; g++) {
            struct ns_ledger l;
            ns_ledger_compute(pop->models[g], pop->results[g], k,
                              NS_ALL_PAYERS, true, &l, NULL);
            if (l.valid)
                sum += pop->weights[g] * l.net_savings;
        }
        if (pooled.valid)
            assert_close(pooled.net_savings, sum, 1e-12);
        for (size_t j = 0; j < m->n_streams; j++) {
            double s = 0.0;
            for (size_t g = 0; g < pop->n_groups; g++)
                s += pop->weights[g] *
                     ns_results_total(pop->results[g], k, j, true);
            double t = ns_results_total(pop->pooled, k, j, true);
            assert_true(fabs(t - s) <= 1e-12 * (fabs(s) + 1.0));
        }
    }
    ns_population_free(pop);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(doubling_burglary_cost_moves_its_payers_only),
        cmocka_unit_test(comparator_effects_give_zero_savings),
        cmocka_unit_test(pooled_is_weighted_sum_of_subgroups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

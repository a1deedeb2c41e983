/* netsave benchmark's analysis (model/analysis/benchmark.h): the money of
 * retention against independent runs of the model, a service at the norm
 * worth nothing, the mapping from retention to a leaving probability, the
 * below-par total and its PSA, and the England model valuing retention. Runs from tests/ (paths relative to it). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"

#include "model/analysis/benchmark.h"
#include "model/analysis/psa.h"
#include "model/ledger.h"
#include "model/population.h"
#include "params/params.h"
#include "params/services.h"

static const char *const model_file = "../params/england.ini";

struct fx {
    struct ns_params *params;
    struct ns_population *pop;
    struct ns_services *services;
    struct ns_bench_norms *norms;
    struct ns_diags diags;
};

static struct ns_population *
build(const char *const *sets, size_t n_sets, struct ns_params **params)
{
    const char *files[] = {model_file};
    struct ns_model_source src = {files, 1, NULL, 0, sets, n_sets, false};
    return ns_test_build_run(&src, params);
}

static void
load(struct fx *f)
{
    f->pop = build(NULL, 0, &f->params);
    const struct ns_model *m = f->pop->models[0];
    const char **names = calloc(m->n_strategies, sizeof *names);
    assert_non_null(names);
    for (size_t k = 0; k < m->n_strategies; k++)
        names[k] = m->strategies[k].name;
    assert_int_equal(ns_services_load("../params/example-services.csv", names,
                                      m->n_strategies, &f->services,
                                      &f->diags),
                     NS_OK);
    assert_int_equal(ns_bench_norms_load("../params/benchmark-norms.csv",
                                         names, m->n_strategies, &f->norms,
                                         &f->diags),
                     NS_OK);
    free(names);
}

static void
clear(struct fx *f)
{
    ns_services_free(f->services);
    ns_bench_norms_free(f->norms);
    ns_population_free(f->pop);
    ns_params_free(f->params);
    ns_diags_clear(&f->diags);
}

static const struct ns_bench_row *
retention_row(const struct ns_benchmark *b, const struct ns_services *sv,
              const char *id)
{
    for (size_t i = 0; i < b->n_rows; i++)
        if (b->rows[i].measure == NS_BENCH_RETENTION &&
            strcmp(sv->items[b->rows[i].service].id, id) == 0)
            return &b->rows[i];
    fail_msg("no retention row for %s", id);
    return NULL;
}

static const struct ns_benchmark_options options = {
    .perspective = 0,
    .od_method = NS_OD_MULTIPLICATIVE,
    .winsor = NS_BENCH_WINSOR_DEFAULT};

/* 1 - r^(c/w) written the other way, through exp and log. */
static void
leaving_at_a_constant_rate(void **state)
{
    (void)state;
    double c = 0.25 * 365.2425 / 7.0;
    assert_close(ns_bench_leaving(0.94, 12.0, c),
                 1.0 - exp(c / 12.0 * log(0.94)), 1e-14);
    assert_close(ns_bench_leaving(1.0, 4.0, c), 0.0, 0.0);
    assert_close(ns_bench_leaving(0.5, c, c), 0.5, 1e-15);
}

/* EX12 (methadone maintenance, 269 of 350 retained): net savings at its
 * retention equal a separate build of the model with leave_q1_mmt set by
 * --set; the norm's likewise; the gain is their difference times 350. */
static void
money_matches_separate_runs(void **state)
{
    (void)state;
    struct fx f = {0};
    load(&f);
    struct ns_benchmark *b = NULL;
    assert_int_equal(ns_benchmark_run(f.pop, f.services, f.norms, &options,
                                      &b, &f.diags),
                     NS_OK);
    const struct ns_bench_row *r = retention_row(b, f.services, "EX12");
    assert_close(r->proportion, 269.0 / 350.0, 1e-15);
    double c = 0.25 * 365.2425 / 7.0;
    const double shares[2] = {269.0 / 350.0, 0.94};
    const double got[2] = {r->net_at_service, r->net_at_norm};
    for (int i = 0; i < 2; i++) {
        char set[80];
        snprintf(set, sizeof set, "parameters.leave_q1_mmt=%.17g",
                 ns_bench_leaving(shares[i], 12.0, c));
        const char *sets[] = {set};
        struct ns_params *params = NULL;
        struct ns_population *pop = build(sets, 1, &params);
        const struct ns_model *m = pop->models[0];
        struct ns_ledger l;
        ns_ledger_compute(m, pop->pooled, (size_t)ns_model_find_strategy(m, "mmt"),
                          0, true, &l, NULL);
        assert_close(got[i], l.net_savings, 1e-9);
        ns_population_free(pop);
        ns_params_free(params);
    }
    assert_close(r->gain, (r->net_at_norm - r->net_at_service) * 350.0,
                 1e-12);
    ns_benchmark_free(b);
    clear(&f);
}

/* A service exactly at the norm is worth nothing more at the norm; the
 * below-par total is the sum of the gains of the rows below the 95%
 * limit on retention. */
static void
at_the_norm_and_the_total(void **state)
{
    (void)state;
    struct fx f = {0};
    load(&f);
    /* EX18 becomes 94 of 100 retained: the mmt norm is 0.94. */
    for (size_t i = 0; i < f.services->n; i++)
        if (strcmp(f.services->items[i].id, "EX18") == 0) {
            f.services->items[i].starting = 100;
            f.services->items[i].count[NS_BENCH_RETENTION] = 94;
        }
    struct ns_benchmark *b = NULL;
    assert_int_equal(ns_benchmark_run(f.pop, f.services, f.norms, &options,
                                      &b, &f.diags),
                     NS_OK);
    const struct ns_bench_row *r = retention_row(b, f.services, "EX18");
    assert_close(r->net_at_service, r->net_at_norm, 0.0);
    assert_close(r->gain, 0.0, 0.0);
    assert_int_equal(r->place, NS_FUNNEL_WITHIN);
    double total = 0.0;
    size_t below = 0;
    for (size_t i = 0; i < b->n_rows; i++)
        if (b->rows[i].measure == NS_BENCH_RETENTION &&
            b->rows[i].place <= NS_FUNNEL_BELOW_95) {
            below++;
            total += b->rows[i].gain;
        }
    assert_int_equal(b->n_below, below);
    assert_true(below > 0);
    assert_close(b->total_gain, total, 1e-12);
    ns_benchmark_free(b);
    clear(&f);
}

/* Net savings per client of the England model's modality k with its
 * first-quarter leaving probability set through --set (and any further
 * sets), from a build of its own. */
static double
net_with_sets(const char *strategy, const char *const *sets, size_t n_sets)
{
    struct ns_params *params = NULL;
    struct ns_population *pop = build(sets, n_sets, &params);
    const struct ns_model *m = pop->models[0];
    struct ns_ledger l;
    ns_ledger_compute(m, pop->pooled,
                      (size_t)ns_model_find_strategy(m, strategy), 0, true,
                      &l, NULL);
    ns_population_free(pop);
    ns_params_free(params);
    return l.net_savings;
}

/* Retention is worth money in every modality: net savings per client
 * rise as the share retained to the threshold rises (the England model
 * used to value early leaving: docs/england-model.md, "Time in
 * treatment"). Each modality at retention 0.3, 0.6 and 0.9 to its norm's
 * threshold. */
static void
net_savings_rise_with_retention(void **state)
{
    (void)state;
    static const struct {
        const char *strategy, *param;
        double threshold_weeks;
    } mods[] = {{"rehab", "leave_q1_rehab", 12.86},
                {"inpatient", "leave_thr_inpatient", 4.0},
                {"mmt", "leave_q1_mmt", 12.0},
                {"mr", "leave_q1_mr", 4.33}};
    double c = 0.25 * 365.2425 / 7.0;
    for (size_t i = 0; i < sizeof mods / sizeof *mods; i++) {
        double before = -INFINITY;
        for (int j = 1; j <= 3; j++) {
            char set[80];
            snprintf(set, sizeof set, "parameters.%s=%.17g", mods[i].param,
                     ns_bench_leaving(0.3 * j, mods[i].threshold_weeks, c));
            const char *sets[] = {set};
            double net = net_with_sets(mods[i].strategy, sets, 1);
            if (!(net > before))
                fail_msg("%s: net savings %g at retention %.1f, not above "
                         "%g at %.1f", mods[i].strategy, net, 0.3 * j, before,
                         0.3 * (j - 1));
            before = net;
        }
    }
}

/* The sets that fix every parameter a draw samples at its sampled value,
 * plus one more. Returns how many. */
static size_t
draw_sets(const struct ns_model *m, const double *override, char **sets,
          const char *extra)
{
    size_t n = 0;
    for (size_t p = 0; p < m->n_params; p++) {
        if (isnan(override[p]))
            continue;
        sets[n] = malloc(256);
        assert_non_null(sets[n]);
        snprintf(sets[n++], 256, "parameters.%s=%.17g", m->params[p].name,
                 override[p]);
    }
    sets[n++] = (char *)extra;
    return n;
}

/* The total gain of one draw, from separate builds of the model with each
 * sampled parameter fixed by --set: an independent path from the
 * benchmark's overrides. */
static double
draw_total_by_sets(const struct ns_model *m, const struct ns_benchmark *b,
                   const struct ns_services *sv, const double *override)
{
    double c = 0.25 * 365.2425 / 7.0, total = 0.0;
    char **sets = calloc(m->n_params + 2, sizeof *sets);
    assert_non_null(sets);
    for (size_t i = 0; i < b->n_rows; i++) {
        const struct ns_bench_row *r = &b->rows[i];
        if (r->measure != NS_BENCH_RETENTION ||
            r->place > NS_FUNNEL_BELOW_95)
            continue;
        const struct ns_service *s = &sv->items[r->service];
        const char *k = m->strategies[s->strategy].name;
        double w = strcmp(k, "mr") == 0          ? 4.33
                   : strcmp(k, "inpatient") == 0 ? 4.0
                   : strcmp(k, "mmt") == 0       ? 12.0
                                                 : 12.86;
        double net[2];
        const double shares[2] = {r->proportion, r->norm};
        for (int j = 0; j < 2; j++) {
            char leave[96];
            snprintf(leave, sizeof leave, "parameters.%s=%.17g",
                     m->params[m->benchmark_param[s->strategy]].name,
                     ns_bench_leaving(shares[j], w, c));
            size_t n = draw_sets(m, override, sets, leave);
            net[j] = net_with_sets(k, (const char *const *)sets, n);
            for (size_t q = 0; q + 1 < n; q++)
                free(sets[q]);
        }
        total += (net[1] - net[0]) * (double)s->starting;
    }
    free(sets);
    return total;
}

/* The total gain over PSA draws: each draw's total equals separate builds
 * with that draw's sampled values fixed by --set; the mean, the share
 * above zero and the 2.5% point (GSL's interpolation, by hand for 3
 * draws) follow from them. */
static void
total_gain_over_draws(void **state)
{
    (void)state;
    struct fx f = {0};
    load(&f);
    struct ns_benchmark_options opt = options;
    opt.n_draws = 3;
    opt.seed = 7;
    struct ns_benchmark *b = NULL;
    assert_int_equal(
        ns_benchmark_run(f.pop, f.services, f.norms, &opt, &b, &f.diags),
        NS_OK);
    const struct ns_model *m = f.pop->models[0];
    struct ns_psa_sampler *sampler = ns_psa_sampler_alloc(m, 7);
    double *override = malloc(m->n_params * sizeof *override);
    double *sampled = malloc((m->n_uncertain + 1) * sizeof *sampled);
    assert_non_null(sampler);
    assert_non_null(override);
    assert_non_null(sampled);
    double g[3], sum = 0.0;
    size_t positive = 0;
    for (size_t d = 0; d < 3; d++) {
        for (size_t p = 0; p < m->n_params; p++)
            override[p] = NAN;
        assert_int_equal(ns_psa_sample(sampler, d, override, sampled), -1);
        g[d] = draw_total_by_sets(m, b, f.services, override);
        sum += g[d];
        positive += g[d] > 0.0;
    }
    const struct ns_bench_total_psa *t = &b->total_psa;
    assert_int_equal(t->n_draws, 3);
    assert_close(t->mean, sum / 3.0, 1e-9);
    assert_close(t->p_positive, (double)positive / 3.0, 0.0);
    double lo = fmin(g[0], fmin(g[1], g[2]));
    double hi = fmax(g[0], fmax(g[1], g[2]));
    double mid = sum - lo - hi;
    assert_close(t->low95, lo + 0.05 * (mid - lo), 1e-9);
    assert_close(t->high95, mid + 0.95 * (hi - mid), 1e-9);
    ns_psa_sampler_free(sampler);
    free(override);
    free(sampled);
    ns_benchmark_free(b);
    clear(&f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(leaving_at_a_constant_rate),
        cmocka_unit_test(money_matches_separate_runs),
        cmocka_unit_test(at_the_norm_and_the_total),
        cmocka_unit_test(net_savings_rise_with_retention),
        cmocka_unit_test(total_gain_over_draws),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

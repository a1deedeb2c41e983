/* netsave tests: distributions (model/uncertainty.h) and probabilistic
 * analysis (model/psa.h).
 *
 * - Parsing and moments: beta(m, s) has mean m and variance s^2, and so on,
 *   checked on the distributions' own parameters and on large samples.
 * - A linear model: net savings are linear in one normally distributed
 *   cost, so the PSA mean converges to the deterministic result (within
 *   4 standard errors of the mean, which the test computes).
 * - Bit-identical results for 1 and 3 threads.
 * - Summaries as draws arrive: exact up to NS_PSA_KEPT draws, streamed
 *   beyond, checked against sorting every draw. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "model/analysis/dsa.h"
#include "model/ledger.h"
#include "model/analysis/psa.h"
#include "model/uncertainty.h"
#include "params/params.h"

static void
parses_and_converts_moments(void **state)
{
    (void)state;
    struct ns_dist d;
    char err[256];
    assert_int_equal(ns_dist_parse("beta(0.0731, 0.0123)", &d, err,
                                   sizeof err),
                     NS_OK);
    double a = d.p1, b = d.p2;
    assert_close(a / (a + b), 0.0731, 1e-12);
    assert_close(a * b / ((a + b) * (a + b) * (a + b + 1)), 0.0123 * 0.0123,
                 1e-12);
    assert_int_equal(ns_dist_parse("gamma(2385, 477)", &d, err,
                                   sizeof err),
                     NS_OK);
    assert_close(d.p1 * d.p2, 2385, 1e-12);              /* mean */
    assert_close(d.p1 * d.p2 * d.p2, 477.0 * 477, 1e-12); /* variance */
    assert_int_equal(ns_dist_parse("lognormal(0.62, 0.093)", &d, err,
                                   sizeof err),
                     NS_OK);
    assert_close(exp(d.p1 + d.p2 * d.p2 / 2), 0.62, 1e-12);
    assert_int_equal(ns_dist_parse("triangular(1, 2.5, 7)", &d, err,
                                   sizeof err),
                     NS_OK);
    assert_close(ns_dist_mean(&d), (1 + 2.5 + 7) / 3.0, 1e-15);
    assert_close(ns_dist_quantile(&d, 0.25), 1 + sqrt(0.25 * 6 * 1.5), 1e-12);
    assert_int_equal(ns_dist_parse("fixed", &d, err, sizeof err), NS_OK);
    assert_int_equal(d.kind, NS_DIST_FIXED);
    assert_int_equal(ns_dist_parse("beta(0.5, 0.6)", &d, err,
                                   sizeof err),
                     NS_EPARAM);
    assert_string_equal(err, "beta needs a mean in (0, 1) and a standard "
                             "error above 0 with se^2 < mean (1 - mean), "
                             "got 0.5 and 0.6");
    assert_int_equal(ns_dist_parse("gamma(1, 2", &d, err,
                                   sizeof err),
                     NS_EPARAM);
    assert_string_equal(err, "expected gamma(mean, se), got 'gamma(1, 2'");
    assert_int_equal(ns_dist_parse("poisson(3)", &d, err,
                                   sizeof err),
                     NS_EPARAM);
}

/* Quantiles (as the Gaussian copula uses them) are numbers with the
 * right CDF even where GSL's inverse fails to converge: the tails of a
 * skewed beta and gamma. */
static void
quantiles_hold_in_skewed_tails(void **state)
{
    (void)state;
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    static const char *const texts[] = {"beta(0.01, 0.003)",
                                        "beta(0.99, 0.003)",
                                        "gamma(1, 3.1623)"};
    size_t fixed = 0;
    for (size_t t = 0; t < 3; t++) {
        struct ns_dist d;
        char err[256];
        assert_int_equal(ns_dist_parse(texts[t], &d, err, sizeof err), NS_OK);
        for (int i = 1; i < 1000; i++) {
            double p = i / 1000.0;
            double q = ns_dist_quantile(&d, p);
            assert_true(isfinite(q));
            double back = d.kind == NS_DIST_BETA
                              ? gsl_cdf_beta_P(q, d.p1, d.p2)
                              : gsl_cdf_gamma_P(q, d.p1, d.p2);
            assert_close(back, p, 1e-6);
            double direct = d.kind == NS_DIST_BETA
                                ? gsl_cdf_beta_Pinv(p, d.p1, d.p2)
                                : gsl_cdf_gamma_Pinv(p, d.p1, d.p2);
            fixed += !isfinite(direct);
        }
    }
    /* The case this is for: GSL alone gives no number for some p. */
    assert_true(fixed > 0);
    gsl_set_error_handler(old);
}

/* Distributions a double cannot hold are refused when parsed, with the
 * default GSL handler in place: no GSL call is made on such parameters
 * (the handler would abort). */
static void
unrepresentable_distributions_are_refused(void **state)
{
    (void)state;
    gsl_error_handler_t *old = gsl_set_error_handler(NULL);
    static const char *const texts[] = {"gamma(2000, 1e200)",
                                        "gamma(1e-150, 1e-300)",
                                        "lognormal(1e300, 1e300)"};
    for (size_t t = 0; t < 3; t++) {
        struct ns_dist d;
        char err[256];
        assert_int_equal(ns_dist_parse(texts[t], &d, err, sizeof err),
                         NS_EPARAM);
        assert_non_null(strstr(err, texts[t]));
    }
    /* Parsed, but with no finite quantiles: the compiler refuses it. */
    struct ns_dist d;
    char err[256];
    assert_int_equal(ns_dist_parse("normal(300, 1e308)", &d, err, sizeof err),
                     NS_OK);
    assert_false(isfinite(ns_dist_quantile(&d, 0.025)));
    gsl_set_error_handler(old);
}

/* Large samples reproduce the means and standard errors written. */
static void
samples_have_the_written_moments(void **state)
{
    (void)state;
    static const char *const specs[] = {"beta(0.0731, 0.0123)",
                                        "gamma(2385, 477)",
                                        "lognormal(0.62, 0.093)",
                                        "normal(-3.5, 1.25)",
                                        "uniform(2, 5)"};
    static const double means[] = {0.0731, 2385, 0.62, -3.5, 3.5};
    /* uniform(2, 5): sd 3 / sqrt(12) */
    const double sds[] = {0.0123, 477, 0.093, 1.25, 0.86602540378443865};
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20261126);
    const size_t n = 200000;
    for (size_t i = 0; i < 5; i++) {
        struct ns_dist d;
        char err[256];
        assert_int_equal(ns_dist_parse(specs[i], &d, err, sizeof err), NS_OK);
        double sum = 0, sum2 = 0;
        for (size_t j = 0; j < n; j++) {
            double x = ns_dist_sample(&d, rng);
            sum += x;
            sum2 += x * x;
        }
        double mean = sum / (double)n;
        double sd = sqrt(sum2 / (double)n - mean * mean);
        /* 5 standard errors of the sample mean; 2% on the sd. */
        assert_true(fabs(mean - means[i]) <= 5 * sds[i] / sqrt((double)n));
        assert_close(sd, sds[i], 0.02);
    }
    gsl_rng_free(rng);
}

static const char model_text[] =
    "[model]\n"
    "cycle_length = 1\n"
    "n_cycles = 4\n"
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
    "crime_cost = 4321.5\n"
    "crime_share = 1\n"
    "tx_cost = 0\n"
    "[parameters.treat]\n"
    "crime_share = 0.6137\n"
    "tx_cost = 1234.5\n"
    "[transitions]\n"
    "alive -> alive = C\n"
    "alive -> dead = p_die\n"
    "dead -> dead = 1\n"
    "[stream.crime]\n"
    "outcome = costs\n"
    "tags = payer:victims\n"
    "alive = crime_cost * crime_share\n"
    "dead = 0\n"
    "[stream.treatment]\n"
    "outcome = costs\n"
    "tags = payer:budget, intervention\n"
    "alive = tx_cost\n"
    "dead = 0\n"
    "[uncertainty]\n"
    "crime_cost = normal(4321.5, 864.3)\n"
    "p_die = fixed\n";

static struct ns_population *
build(struct ns_params **params)
{
    return ns_test_build_run_text("psa.ini", model_text, params);
}

/* A = sum over the 4 cycles of (1 - p_die)^t 1.035^-t, p_die = 0.0731:
 * the test model's discounted survivors, counted at the end of cycles. */
static double
discounted_survivors(void)
{
    double A = 0;
    for (int t = 1; t <= 4; t++)
        A += pow(1 - 0.0731, t) * pow(1.035, -t);
    return A;
}

/* Net savings = (1 - 0.6137) crime_cost A - 1234.5 A, with A the
 * discounted survivors sum_t (1 - p)^t 1.035^-t: linear in crime_cost, so
 * the PSA mean tends to the deterministic value at the mean cost. */
static void
mean_converges_to_deterministic(void **state)
{
    (void)state;
    struct ns_params *params;
    struct ns_population *pop = build(&params);
    double A = discounted_survivors();
    double expect = (1 - 0.6137) * 4321.5 * A - 1234.5 * A;
    double sd = (1 - 0.6137) * 864.3 * A;
    struct ns_ledger l;
    ns_ledger_compute(pop->models[0], pop->pooled, 1, NS_ALL_PAYERS, true, &l,
                      NULL);
    assert_close(l.net_savings, expect, 1e-12);
    struct ns_psa_options opt = {.n_draws = 20000,
                                 .seed = 11,
                                 .n_threads = 2,
                                 .perspective = NS_ALL_PAYERS};
    struct ns_psa *psa = NULL;
    struct ns_diags diags = {0};
    assert_int_equal(ns_psa_run(pop, &opt, &psa, &diags), NS_OK);
    struct ns_psa_stat st;
    assert_int_equal(ns_psa_stat(psa, 1, NS_PSA_NET, &st), NS_OK);
    assert_true(fabs(st.mean - expect) <= 4 * sd / sqrt(20000.0));
    /* The interval of a normal: mean -/+ 1.96 sd, to sampling error. */
    assert_close(st.high - st.low, 2 * 1.959964 * sd, 0.05);
    /* P(net > 0) = Phi(expect / sd). */
    assert_close(st.prob_positive, 0.5 * erfc(-expect / sd / sqrt(2.0)), 0.02);
    /* The comparator has no net savings of its own. */
    assert_int_equal(ns_psa_stat(psa, 0, NS_PSA_NET, &st), NS_OK);
    assert_true(isnan(st.mean) && isnan(st.low) && isnan(st.prob_positive));
    ns_psa_free(psa);
    ns_population_free(pop);
    ns_params_free(params);
}

/* Every value of every draw, gathered block by block through the PSA's
 * callback (the PSA itself keeps only summaries). */
struct all_draws {
    double *v;
    size_t per_draw;
};

static enum ns_status
keep_all(void *ctx, const struct ns_psa *psa, size_t first, size_t n,
         const double *params)
{
    struct all_draws *a = ctx;
    (void)params;
    a->per_draw = psa->n_strategies * psa->n_measures;
    memcpy(&a->v[first * a->per_draw], psa->block,
           n * a->per_draw * sizeof *a->v);
    return NS_OK;
}

static void
threads_give_identical_draws(void **state)
{
    (void)state;
    struct ns_params *params;
    struct ns_population *pop = build(&params);
    struct ns_psa *one = NULL, *three = NULL;
    struct ns_diags diags = {0};
    size_t n = 2500, per_draw = 2 * (NS_PSA_PAYER + 2);
    struct all_draws a1 = {calloc(n * per_draw, sizeof(double)), 0};
    struct all_draws a3 = {calloc(n * per_draw, sizeof(double)), 0};
    struct all_draws a6 = {calloc(n * per_draw, sizeof(double)), 0};
    /* More draws than a block, so blocks and threads both split them. */
    struct ns_psa_options opt = {.n_draws = n,
                                 .seed = 5,
                                 .n_threads = 1,
                                 .perspective = NS_ALL_PAYERS,
                                 .on_draws = keep_all,
                                 .draws_ctx = &a1};
    assert_int_equal(ns_psa_run(pop, &opt, &one, &diags), NS_OK);
    opt.n_threads = 3;
    opt.draws_ctx = &a3;
    assert_int_equal(ns_psa_run(pop, &opt, &three, &diags), NS_OK);
    assert_int_equal(a1.per_draw, per_draw);
    assert_memory_equal(a1.v, a3.v, n * per_draw * sizeof(double));
    struct ns_psa_stat s1, s3;
    assert_int_equal(ns_psa_stat(one, 1, NS_PSA_NET, &s1), NS_OK);
    assert_int_equal(ns_psa_stat(three, 1, NS_PSA_NET, &s3), NS_OK);
    assert_memory_equal(&s1, &s3, sizeof s1);
    /* Another seed gives other draws. */
    opt.seed = 6;
    opt.draws_ctx = &a6;
    struct ns_psa *other = NULL;
    assert_int_equal(ns_psa_run(pop, &opt, &other, &diags), NS_OK);
    assert_true(memcmp(a1.v, a6.v, n * per_draw * sizeof(double)) != 0);
    ns_psa_free(one);
    ns_psa_free(three);
    ns_psa_free(other);
    free(a1.v);
    free(a3.v);
    free(a6.v);
    ns_population_free(pop);
    ns_params_free(params);
}

/* One-way: net savings at each end of crime_cost's range, from the closed
 * form; the range is the normal's 2.5% and 97.5% points. */
static void
one_way_matches_closed_form(void **state)
{
    (void)state;
    struct ns_params *params;
    struct ns_population *pop = build(&params);
    double A = discounted_survivors();
    struct ns_tornado_bar bars[2];
    double base[2];
    size_t n_bars;
    double by_payer[2 * 1 * 2 * 2];
    struct ns_diags diags = {0};
    assert_int_equal(ns_dsa_one_way(pop, NS_ALL_PAYERS, NULL, 0, bars,
                                    &n_bars, base, by_payer, &diags),
                     NS_OK);
    assert_int_equal(n_bars, 1); /* p_die is fixed without a range */
    const struct ns_tornado_bar *b = &bars[1];
    double z = 1.959963984540054;
    assert_close(b->low, 4321.5 - z * 864.3, 1e-9);
    assert_close(b->high, 4321.5 + z * 864.3, 1e-9);
    assert_close(b->net_low, (1 - 0.6137) * b->low * A - 1234.5 * A, 1e-12);
    assert_close(b->net_high, (1 - 0.6137) * b->high * A - 1234.5 * A,
                 1e-12);
    assert_close(b->width, (1 - 0.6137) * 2 * z * 864.3 * A, 1e-9);
    assert_close(base[1], (1 - 0.6137) * 4321.5 * A - 1234.5 * A, 1e-12);
    assert_true(isnan(bars[0].width)); /* the comparator has no bar */
    /* By payer: the victims save the crime averted at each end; the
     * budget pays the treatment whatever crime costs. */
    const struct ns_model *m = pop->models[0];
    assert_int_equal(m->n_payers, 2);
    size_t victims = strcmp(m->payers[0], "victims") == 0 ? 0 : 1;
    size_t budget = 1 - victims;
    assert_string_equal(m->payers[budget], "budget");
    const double *lo = &by_payer[((1 * n_bars + b->row) * 2) * 2];
    const double *hi = lo + 2;
    assert_close(lo[victims], (1 - 0.6137) * b->low * A, 1e-12);
    assert_close(hi[victims], (1 - 0.6137) * b->high * A, 1e-12);
    assert_close(lo[budget], -1234.5 * A, 1e-12);
    assert_close(hi[budget], -1234.5 * A, 1e-12);
    ns_population_free(pop);
    ns_params_free(params);
}

/* Sums of two sampled parameters, gathered block by block through the
 * PSA's callback; also checks that blocks arrive in draw order. */
struct moments {
    size_t n_uncertain, x, y, next;
    double sx, sy, sxx, syy, sxy;
};

static enum ns_status
add_moments(void *ctx, const struct ns_psa *psa, size_t first, size_t n,
            const double *params)
{
    struct moments *mo = ctx;
    (void)psa;
    if (first != mo->next)
        return NS_EMODEL;
    for (size_t j = 0; j < n; j++) {
        double x = params[j * mo->n_uncertain + mo->x];
        double y = params[j * mo->n_uncertain + mo->y];
        mo->sx += x;
        mo->sy += y;
        mo->sxx += x * x;
        mo->syy += y * y;
        mo->sxy += x * y;
    }
    mo->next = first + n;
    return NS_OK;
}

/* Correlated draws (Gaussian copula) and a Dirichlet row. */
static void
correlation_and_dirichlet(void **state)
{
    (void)state;
    /* The shares go into the one [parameters] section (a section may not
     * be opened twice), the rest after the model. */
    char text[4096];
    const char *split = strstr(model_text, "[parameters]\n");
    assert_non_null(split);
    split += strlen("[parameters]\n");
    snprintf(text, sizeof text, "%.*s%s%s%s", (int)(split - model_text),
             model_text,
             "share_a = 0.2\n"
             "share_b = 0.3\n"
             "share_c = 0.5\n",
             split,
             "tx_cost = normal(1234.5, 200)\n"
             "[correlation]\n"
             "crime_cost ~ tx_cost = 0.62\n"
             "[dirichlet.row]\n"
             "share_a = 20\n"
             "share_b = 30\n"
             "share_c = 50\n");
    struct ns_params *params = NULL;
    struct ns_population *pop =
        ns_test_build_run_text("psa.ini", text, &params);
    struct ns_diags diags = {0};
    const struct ns_model *m = pop->models[0];
    assert_non_null(m->correlation);
    assert_int_equal(m->n_dirichlet, 1);
    size_t U = m->n_uncertain;
    struct moments mo = {.n_uncertain = U};
    for (size_t i = 0; i < U; i++) {
        const char *name = m->params[m->uncertain[i].param].name;
        if (strcmp(name, "crime_cost") == 0)
            mo.x = i;
        if (strcmp(name, "tx_cost") == 0)
            mo.y = i;
    }
    struct ns_psa_options opt = {.n_draws = 20000,
                                 .seed = 3,
                                 .n_threads = 2,
                                 .perspective = NS_ALL_PAYERS,
                                 .on_draws = add_moments,
                                 .draws_ctx = &mo};
    struct ns_psa *psa = NULL;
    assert_int_equal(ns_psa_run(pop, &opt, &psa, &diags), NS_OK);
    /* Every draw reached the callback once, in order. */
    assert_int_equal(mo.next, 20000);
    /* Both are normal, so the copula's correlation is theirs. */
    double sx = mo.sx, sy = mo.sy, sxx = mo.sxx, syy = mo.syy, sxy = mo.sxy;
    double n = 20000;
    double r = (sxy - sx * sy / n) /
               sqrt((sxx - sx * sx / n) * (syy - sy * sy / n));
    assert_close(r, 0.62, 0.03);
    assert_close(sy / n, 1234.5, 0.005);
    ns_psa_free(psa);
    ns_population_free(pop);
    ns_params_free(params);
    ns_diags_clear(&diags);
}

/* The acceptability curve: the share of draws with both increments in
 * which wtp * delta_health - delta_cost > 0, on the model's grid. */
static void
ceac_counts_draws_on_the_models_grid(void **state)
{
    (void)state;
    struct ns_model m = {0};
    m.wtp_max = 10000;
    m.wtp_step = 5000;
    /* Two strategies; strategy 1's increments in draws 0..3 (draw 3 has
     * no health increment and does not count). */
    long comparator[] = {-1, 0};
    m.n_strategies = 2;
    m.comparator = comparator;
    double dc[] = {NAN, 1000, NAN, 20000, NAN, -5, NAN, 6000};
    double dh[] = {NAN, 0.5, NAN, 1.0, NAN, 0.0, NAN, NAN};
    struct ns_psa *p = ns_psa_alloc(&m, 4, 4);
    assert_non_null(p);
    for (size_t d = 0; d < 4; d++)
        for (size_t k = 0; k < 2; k++)
            for (size_t j = 0; j < p->n_measures; j++)
                p->block[(d * 2 + k) * p->n_measures + j] =
                    j == NS_PSA_DELTA_COST     ? dc[d * 2 + k]
                    : j == NS_PSA_DELTA_HEALTH ? dh[d * 2 + k]
                                               : (double)NAN;
    ns_psa_add_block(p, 4);
    assert_int_equal(ns_psa_ceac_points(&m), 3);
    double wtp;
    assert_close(ns_psa_ceac(&m, p, 1, 0, &wtp), 1.0 / 3.0, 1e-15);
    assert_close(wtp, 0.0, 0.0);
    assert_close(ns_psa_ceac(&m, p, 1, 1, &wtp), 2.0 / 3.0, 1e-15);
    assert_close(wtp, 5000.0, 0.0);
    assert_close(ns_psa_ceac(&m, p, 1, 2, &wtp), 2.0 / 3.0, 1e-15);
    assert_close(wtp, 10000.0, 0.0);
    assert_true(isnan(ns_psa_ceac(&m, p, 0, 1, &wtp)));
    m.wtp_step = 0; /* no grid: no curve */
    assert_int_equal(ns_psa_ceac_points(&m), 0);
    ns_psa_free(p);
}

/* Which strategy is optimal, over all strategies, on the grid 0, 5000,
 * 10000 with the model's wtp 7500 put in order. Draws (cost, health) of
 * strategies 0, 1, 2; NMB = wtp x health - cost, ties to the first:
 *   d0: (0, 1) (1000, 1.2) (3000, 1.5): at 0 s0; 5000 s0 5000 = s1 5000
 *       > s2 4500, so s0; 7500 s2 8250 > s1 8000 > s0 7500; 10000 s2.
 *   d1: (0, 1) (500, 1.3) (4000, 1.4): 0 s0; 5000 s1 6000; 7500 s1 9250;
 *       10000 s1 12500.
 *   d2: s2 has no outcomes: not counted.
 *   d3: (100, 1) (0, 1) (200, 2): 0 s1; 5000, 7500, 10000 s2.
 * Shares of 3 draws: 0: 2/3 1/3 0; 5000: 1/3 each; 7500 and 10000: 0 1/3
 * 2/3. Means (over the draws having them): s0 cost 25, health 1; s1 375,
 * 1.125; s2 2400, 4.9/3. Expected NMB at 5000: 4975, 5250, 5766.67 (s2
 * the acceptability frontier); at 0: -25, -375, -2400 (s0). */
static void
optimal_counts_every_strategy(void **state)
{
    (void)state;
    struct ns_model m = {0};
    m.wtp_max = 10000;
    m.wtp_step = 5000;
    m.wtp = 7500;
    m.cost_outcome = 0;
    m.health_outcome = 1;
    long comparator[] = {-1, 0, 0};
    m.n_strategies = 3;
    m.comparator = comparator;
    const double c[4][3] = {
        {0, 1000, 3000}, {0, 500, 4000}, {0, 0, NAN}, {100, 0, 200}};
    const double h[4][3] = {
        {1, 1.2, 1.5}, {1, 1.3, 1.4}, {1, 1, NAN}, {1, 1, 2}};
    struct ns_psa *p = ns_psa_alloc(&m, 4, 4);
    assert_non_null(p);
    for (size_t d = 0; d < 4; d++)
        for (size_t k = 0; k < 3; k++)
            for (size_t j = 0; j < p->n_measures; j++)
                p->block[(d * 3 + k) * p->n_measures + j] =
                    j == NS_PSA_COST     ? c[d][k]
                    : j == NS_PSA_HEALTH ? h[d][k]
                                         : (double)NAN;
    ns_psa_add_block(p, 4);
    assert_int_equal(ns_psa_optimal_points(p), 4);
    const double wtps[] = {0, 5000, 7500, 10000};
    const double want[4][3] = {{2.0 / 3, 1.0 / 3, 0},
                               {1.0 / 3, 1.0 / 3, 1.0 / 3},
                               {0, 1.0 / 3, 2.0 / 3},
                               {0, 1.0 / 3, 2.0 / 3}};
    for (size_t i = 0; i < 4; i++)
        for (size_t k = 0; k < 3; k++) {
            double wtp;
            assert_close(ns_psa_optimal(p, k, i, &wtp), want[i][k], 1e-15);
            assert_close(wtp, wtps[i], 0.0);
        }
    assert_close(ns_psa_expected_nmb(p, 0, 5000), 4975, 1e-15);
    assert_close(ns_psa_expected_nmb(p, 1, 5000), 5250, 1e-15);
    assert_close(ns_psa_expected_nmb(p, 2, 5000), 5000 * 4.9 / 3 - 2400,
                 1e-14);
    assert_int_equal(ns_psa_frontier_strategy(p, 0), 0);
    assert_int_equal(ns_psa_frontier_strategy(p, 1), 2);
    ns_psa_free(p);
    /* Without a health outcome: no points. */
    m.health_outcome = -1;
    p = ns_psa_alloc(&m, 4, 4);
    assert_non_null(p);
    assert_int_equal(ns_psa_optimal_points(p), 0);
    ns_psa_free(p);
    /* A wtp beyond the grid comes last; without a grid it is alone. */
    m.health_outcome = 1;
    m.wtp = 12000;
    p = ns_psa_alloc(&m, 4, 4);
    assert_non_null(p);
    assert_int_equal(ns_psa_optimal_points(p), 4);
    double wtp;
    (void)ns_psa_optimal(p, 0, 3, &wtp);
    assert_close(wtp, 12000, 0.0);
    ns_psa_free(p);
    m.wtp_step = 0;
    p = ns_psa_alloc(&m, 4, 4);
    assert_non_null(p);
    assert_int_equal(ns_psa_optimal_points(p), 1);
    ns_psa_free(p);
}

/* Adds x[d] as net savings of strategy 1 (strategy 0 is its comparator)
 * for draws 0..n-1, in blocks of 1,000. */
static struct ns_psa *
summarise(const struct ns_model *m, const double *x, size_t n)
{
    struct ns_psa *p = ns_psa_alloc(m, n, 1000);
    assert_non_null(p);
    for (size_t first = 0; first < n; first += 1000) {
        size_t b = n - first < 1000 ? n - first : 1000;
        p->block_first = first;
        for (size_t d = 0; d < b; d++)
            for (size_t k = 0; k < 2; k++)
                for (size_t j = 0; j < p->n_measures; j++)
                    p->block[(d * 2 + k) * p->n_measures + j] =
                        k == 1 && j == NS_PSA_NET ? x[first + d] : (double)NAN;
        ns_psa_add_block(p, b);
    }
    return p;
}

/* Summaries kept as draws arrive: exact up to NS_PSA_KEPT draws (checked
 * against sorting every draw); beyond, means, shares and EVPI still exact
 * and the 2.5% and 97.5% points estimated within a small tolerance, with
 * memory that does not depend on the number of draws. */
static void
summaries_are_exact_then_streamed(void **state)
{
    (void)state;
    struct ns_model m = {0};
    long comparator[] = {-1, 0};
    m.n_strategies = 2;
    m.comparator = comparator;
    size_t sizes[] = {NS_PSA_KEPT, 20 * NS_PSA_KEPT};
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    for (int t = 0; t < 2; t++) {
        size_t n = sizes[t];
        double *x = malloc(n * sizeof *x), *sorted = malloc(n * sizeof *x);
        double sum = 0, sum_pos = 0;
        size_t positive = 0;
        for (size_t d = 0; d < n; d++) {
            x[d] = 1000.0 + 2000.0 * gsl_ran_ugaussian(rng);
            sorted[d] = x[d];
            sum += x[d];
            sum_pos += x[d] > 0 ? x[d] : 0;
            positive += x[d] > 0;
        }
        gsl_sort(sorted, 1, n);
        double lo = gsl_stats_quantile_from_sorted_data(sorted, 1, n, 0.025);
        double hi = gsl_stats_quantile_from_sorted_data(sorted, 1, n, 0.975);
        struct ns_psa *p = summarise(&m, x, n);
        struct ns_psa_stat st;
        assert_int_equal(ns_psa_stat(p, 1, NS_PSA_NET, &st), NS_OK);
        assert_close(st.mean, sum / (double)n, 0.0);
        assert_close(st.prob_positive, (double)positive / (double)n, 0.0);
        assert_close(st.evpi, sum_pos / (double)n - sum / (double)n, 1e-12);
        /* Exact while every draw is kept; P-square beyond, within 0.5% of
         * the spread (the Monte Carlo error of these points is larger). */
        double tol = n <= NS_PSA_KEPT ? 0.0 : 0.005 * (hi - lo);
        assert_true(fabs(st.low - lo) <= tol);
        assert_true(fabs(st.high - hi) <= tol);
        /* The histogram counts every draw once; its range is that of the
         * kept draws. */
        size_t counts[NS_PSA_BINS], total = 0;
        double first_bin, width;
        ns_psa_histogram(p, 1, &first_bin, &width, counts);
        for (size_t b = 0; b < NS_PSA_BINS; b++)
            total += counts[b];
        assert_int_equal(total, n);
        size_t kept;
        const double *k1 = ns_psa_kept(p, 1, NS_PSA_NET, &kept);
        assert_int_equal(kept, NS_PSA_KEPT);
        assert_memory_equal(k1, x, kept * sizeof *x);
        double kmin = gsl_stats_min(x, 1, kept);
        double kmax = gsl_stats_max(x, 1, kept);
        assert_close(first_bin, kmin, 0.0);
        assert_close(width, (kmax - kmin) / NS_PSA_BINS, 1e-15);
        ns_psa_free(p);
        free(x);
        free(sorted);
    }
    gsl_rng_free(rng);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(optimal_counts_every_strategy),
        cmocka_unit_test(ceac_counts_draws_on_the_models_grid),
        cmocka_unit_test(summaries_are_exact_then_streamed),
        cmocka_unit_test(parses_and_converts_moments),
        cmocka_unit_test(quantiles_hold_in_skewed_tails),
        cmocka_unit_test(unrepresentable_distributions_are_refused),
        cmocka_unit_test(samples_have_the_written_moments),
        cmocka_unit_test(mean_converges_to_deterministic),
        cmocka_unit_test(threads_give_identical_draws),
        cmocka_unit_test(one_way_matches_closed_form),
        cmocka_unit_test(correlation_and_dirichlet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* netsave tests: the cost-effectiveness frontier (model/analysis/
 * frontier.h) on the cases of dampack's tests and vignettes, heRoMod's
 * frontier test and hand-made ties, each worked by hand below; and the
 * net benefits. */
#include "test_support.h"

#include <stdlib.h>

#include "model/analysis/frontier.h"

/* What one row should hold: the strategy's input index, its status, and
 * for a frontier strategy after the first, its increments and ICER (NaN
 * where there are none). */
struct expect {
    size_t strategy;
    enum ns_frontier_status status;
    double delta_cost, delta_effect, icer;
};

static void
check_rows(const double *cost, const double *effect, size_t n,
           const struct expect *want, double rel_tol)
{
    struct ns_frontier_row *rows = calloc(n + 1, sizeof *rows);
    assert_non_null(rows);
    assert_int_equal(ns_frontier_compute(cost, effect, n, rows), NS_OK);
    size_t previous = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        const struct ns_frontier_row *r = &rows[i];
        if (r->strategy != want[i].strategy || r->status != want[i].status)
            fail_msg("row %zu: strategy %zu %s, expected %zu %s", i,
                     r->strategy, ns_frontier_status_name(r->status),
                     want[i].strategy,
                     ns_frontier_status_name(want[i].status));
        assert_close(r->cost, cost[r->strategy], 0.0);
        assert_close(r->effect, effect[r->strategy], 0.0);
        if (isnan(want[i].icer)) {
            assert_false(r->has_previous);
            assert_true(isnan(r->icer) && isnan(r->delta_cost) &&
                        isnan(r->delta_effect));
        } else {
            assert_true(r->has_previous);
            assert_int_equal(r->previous, previous);
            assert_close(r->delta_cost, want[i].delta_cost, rel_tol);
            assert_close(r->delta_effect, want[i].delta_effect, rel_tol);
            assert_close(r->icer, want[i].icer, rel_tol);
        }
        if (r->status == NS_FRONTIER_ND)
            previous = r->strategy;
    }
    free(rows);
}

#define NA NAN
#define ND NS_FRONTIER_ND
#define ED NS_FRONTIER_ED
#define D NS_FRONTIER_D

/* dampack tests/testthat/test_calculate_icers.R, from the VA HERC
 * example: E 55000/5, D 35000/4, C 25000/3, B 10000/2, A 12000/1.5,
 * UC 5000/1. By cost: UC, B, A, C, D, E. A (1.5) has less effect than B
 * (2), cheaper: D. ICERs of UC, B, C, D, E: B 5000/1 = 5000, C 15000/1 =
 * 15000, D 10000/1 = 10000, E 20000/1 = 20000; C's 15000 > D's 10000:
 * ED. Again over UC, B, D, E: B 5000, D 25000/2 = 12500, E 20000:
 * rising, done. dampack's expected table: UC, B, D, E (ND), C (ED), A
 * (D). */
static void
herc_example(void **state)
{
    (void)state;
    const double cost[] = {55000, 35000, 25000, 10000, 12000, 5000};
    const double effect[] = {5, 4, 3, 2, 1.5, 1};
    enum { E_, D_, C_, B_, A_, UC_ };
    const struct expect want[] = {
        {UC_, ND, NA, NA, NA},        {B_, ND, 5000, 1, 5000},
        {D_, ND, 25000, 2, 12500},    {E_, ND, 20000, 1, 20000},
        {C_, ED, NA, NA, NA},         {A_, D, NA, NA, NA}};
    check_rows(cost, effect, 6, want, 1e-15);
}

/* dampack vignette basic_cea.Rmd, example 1 (Paltiel et al. 2006, HIV
 * screening, high-risk population): costs 26000, 27000, 28020, 28440,
 * 29440; QALYs 277.25, 277.57, 277.78, 277.83, 277.76 months / 12.
 * Already in cost order. Annual (277.76) has less effect than 3yr
 * (277.83): D. ICERs: one time 1000 / (0.32/12) = 37500; 5yr 1020 /
 * (0.21/12) = 58285.714; 3yr 420 / (0.05/12) = 100800: rising, no ED. */
static void
hiv_screening(void **state)
{
    (void)state;
    const double cost[] = {26000, 27000, 28020, 28440, 29440};
    const double effect[] = {277.25 / 12, 277.57 / 12, 277.78 / 12,
                             277.83 / 12, 277.76 / 12};
    const struct expect want[] = {
        {0, ND, NA, NA, NA},
        {1, ND, 1000, 0.32 / 12, 37500},
        {2, ND, 1020, 0.21 / 12, 1020 * 12 / 0.21},
        {3, ND, 420, 0.05 / 12, 100800},
        {4, D, NA, NA, NA}};
    /* The months differ in the 2nd decimal: differences of doubles near
     * 23 keep about 12 digits. */
    check_rows(cost, effect, 5, want, 1e-9);
}

/* dampack's "default reference strategy" test: No Treat 163771.0 /
 * 6.48273, Treat all 164848.7 / 6.52861, Test & treat 163765.1 /
 * 6.52861. By cost: Test & treat, No Treat, Treat all. No Treat has less
 * effect than Test & treat: D; Treat all has EQUAL effect and costs more:
 * D too (dampack's <=). Test & treat alone is the frontier, first. */
static void
equal_effect(void **state)
{
    (void)state;
    const double cost[] = {163771.0, 164848.7, 163765.1};
    const double effect[] = {6.48273, 6.52861, 6.52861};
    const struct expect want[] = {
        {2, ND, NA, NA, NA}, {0, D, NA, NA, NA}, {1, D, NA, NA, NA}};
    check_rows(cost, effect, 3, want, 0.0);
}

/* Equal cost: A 100/1, B 100/2, C 200/3. Sorted by cost then effect from
 * the highest: B, A, C. A's effect 1 <= B's 2: D. C against B: 100/1 =
 * 100. */
static void
equal_cost(void **state)
{
    (void)state;
    const double cost[] = {100, 100, 200};
    const double effect[] = {1, 2, 3};
    const struct expect want[] = {
        {1, ND, NA, NA, NA}, {2, ND, 100, 1, 100}, {0, D, NA, NA, NA}};
    check_rows(cost, effect, 3, want, 0.0);
}

/* A tie in both cost and effect: X 100/1, Y 100/1, Z 300/2. The sort
 * keeps the input order (dplyr's arrange is stable), so Y comes after X
 * with an equal effect: D. Z against X: 200/1. Listed the other way
 * round, the other twin stays. */
static void
exact_tie(void **state)
{
    (void)state;
    const double cost[] = {100, 100, 300};
    const double effect[] = {1, 1, 2};
    const struct expect want[] = {
        {0, ND, NA, NA, NA}, {2, ND, 200, 1, 200}, {1, D, NA, NA, NA}};
    check_rows(cost, effect, 3, want, 0.0);
    const double cost2[] = {300, 100, 100};
    const double effect2[] = {2, 1, 1};
    const struct expect want2[] = {
        {1, ND, NA, NA, NA}, {0, ND, 200, 1, 200}, {2, D, NA, NA, NA}};
    check_rows(cost2, effect2, 3, want2, 0.0);
}

/* Two neighbours extendedly dominated in one pass, as dampack marks
 * every kink of a pass at once: A 0/0, B 10/1, C 15/2, D 17/3, E 37/4.
 * ICERs B 10, C 5, D 2, E 20: B (10 > 5) and C (5 > 2) are ED. Next pass
 * over A, D, E: D 17/3 = 5.667, E 20/1 = 20: rising. Equal ICERs
 * (collinear points) are no kink: F 0/0, G 1/1, H 2/2 stay ND. */
static void
extended_in_one_pass(void **state)
{
    (void)state;
    const double cost[] = {0, 10, 15, 17, 37};
    const double effect[] = {0, 1, 2, 3, 4};
    const struct expect want[] = {
        {0, ND, NA, NA, NA}, {3, ND, 17, 3, 17.0 / 3},
        {4, ND, 20, 1, 20},  {1, ED, NA, NA, NA},
        {2, ED, NA, NA, NA}};
    check_rows(cost, effect, 5, want, 1e-15);
    const double c2[] = {0, 1, 2}, e2[] = {0, 1, 2};
    const struct expect w2[] = {
        {0, ND, NA, NA, NA}, {1, ND, 1, 1, 1}, {2, ND, 1, 1, 1}};
    check_rows(c2, e2, 3, w2, 0.0);
}

/* heRoMod tests/testthat/test_efficiency_frontier.R, test 1 (expected
 * frontier S1, S5, S8; S2 weakly dominated). By cost: S1 14807/9.635,
 * S2 26041/10.2497, S5 40022/11.582, S3 49706/11.1654, S8 54651/11.6588,
 * S6 57392/11.6248, S4 64266/11.5152, S7 91744/11.6296. S3 (< S5's
 * effect), S6, S4, S7 (< S8's): D. ICERs S2 11234/0.6147 = 18275.58, S5
 * 13981/1.3323 = 10493.88, S8 14629/0.0768 = 190481.77: S2 ED. Then S5
 * against S1: 25215/1.947 = 12950.69, S8 190481.77: done. */
static void
heromod_frontier(void **state)
{
    (void)state;
    const double cost[] = {14807, 26041, 49706, 64266,
                           40022, 57392, 91744, 54651};
    const double effect[] = {9.635,  10.2497, 11.1654, 11.5152,
                             11.582, 11.6248, 11.6296, 11.6588};
    const struct expect want[] = {
        {0, ND, NA, NA, NA},
        {4, ND, 25215, 1.947, 25215 / 1.947},
        {7, ND, 14629, 0.0768, 14629 / 0.0768},
        {1, ED, NA, NA, NA},
        {2, D, NA, NA, NA},
        {5, D, NA, NA, NA},
        {3, D, NA, NA, NA},
        {6, D, NA, NA, NA}};
    check_rows(cost, effect, 8, want, 1e-9);
}

/* dampack vignette basic_cea.Rmd, example 2 (C. difficile, 11
 * strategies): the means and dampack's published table
 * (vignettes/cdiff_icers.csv). Frontier s3, s27, s33, s31, s43, s44; s39
 * ED; s4, s13, s37, s20 D. The ICERs are dampack's, to the digits it
 * printed. */
static void
cdiff_published(void **state)
{
    (void)state;
    enum { s3, s27, s33, s31, s43, s44, s39, s4, s13, s37, s20 };
    const double cost[] = {57336.0059896538, 57541.2526373815,
                           57642.2587507842, 57934.0743411241,
                           58072.1137208494, 58665.7823044647,
                           57814.6470919581, 57887.481549326,
                           58018.6252420203, 58081.7947984323,
                           58634.2026441398};
    const double effect[] = {12.9399639202408, 13.0140640696275,
                             13.0389116321918, 13.0966257932217,
                             13.11285766912,   13.1283328397025,
                             13.0462790163185, 12.9970657153765,
                             13.0650412387992, 13.1029711156978,
                             13.1100568867995};
    const struct expect want[] = {
        {s3, ND, NA, NA, NA},
        {s27, ND, 205.246647727639, 0.0741001493866911, 2769.85470915263},
        {s33, ND, 101.006113402713, 0.0248475625643216, 4065.03105249231},
        {s31, ND, 291.815590339931, 0.0577141610298533, 5056.2216470406},
        {s43, ND, 138.039379725262, 0.0162318758983169, 8504.2160616553},
        {s44, ND, 593.668583615326, 0.0154751705825014, 38362.6519947134},
        {s39, ED, NA, NA, NA},
        {s4, D, NA, NA, NA},
        {s13, D, NA, NA, NA},
        {s37, D, NA, NA, NA},
        {s20, D, NA, NA, NA}};
    check_rows(cost, effect, 11, want, 1e-10);
}

/* One strategy: the frontier, with nothing to compare it with; none:
 * nothing to do. A cost that is not a number is refused. */
static void
edge_cases(void **state)
{
    (void)state;
    const double one_c[] = {5}, one_e[] = {1};
    const struct expect want[] = {{0, ND, NA, NA, NA}};
    check_rows(one_c, one_e, 1, want, 0.0);
    struct ns_frontier_row row;
    assert_int_equal(ns_frontier_compute(one_c, one_e, 0, &row), NS_OK);
    const double bad_c[] = {1, NAN}, bad_e[] = {1, 2};
    struct ns_frontier_row rows[2];
    assert_int_equal(ns_frontier_compute(bad_c, bad_e, 2, rows), NS_EPARAM);
    assert_string_equal(ns_frontier_status_name(NS_FRONTIER_ED), "ED");
}

/* At GBP 20,000 per QALY, 1.5 QALYs for GBP 10,000: NMB 20000 x 1.5 -
 * 10000 = 20000; NHB 1.5 - 10000/20000 = 1. */
static void
net_benefits(void **state)
{
    (void)state;
    assert_close(ns_net_monetary_benefit(10000, 1.5, 20000), 20000, 0.0);
    assert_close(ns_net_health_benefit(10000, 1.5, 20000), 1.0, 0.0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(herc_example),
        cmocka_unit_test(hiv_screening),
        cmocka_unit_test(equal_effect),
        cmocka_unit_test(equal_cost),
        cmocka_unit_test(exact_tie),
        cmocka_unit_test(extended_in_one_pass),
        cmocka_unit_test(heromod_frontier),
        cmocka_unit_test(cdiff_published),
        cmocka_unit_test(edge_cases),
        cmocka_unit_test(net_benefits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

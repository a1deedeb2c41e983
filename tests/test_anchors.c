/* netsave tests: the model beside published studies (model/anchors.h,
 * params/anchors.h), on a model with closed forms.
 *
 * Model: alive -> dead with probability p per yearly cycle, three cycles,
 * counting at the end of each cycle, costs discounted at 3.5% from the
 * start, so a cost c a year while alive counts, per client starting alive,
 *   c x A(p),  A(p) = sum over t = 1..3 of (1 - p)^t x 1.035^-t.
 * 1000 clients start alive (figures are per client: the 1000 cancels).
 *   strategy  p     police  victims  nhs  treatment (payer budget)
 *   none      0.10  1200    2000     300  0
 *   treat     0.05   500     800     350  1500
 *   brief     0.08   900    1500     300   400
 *   advice    0.10  1100    2000     300  0
 * Every expected figure below is computed from these in the test,
 * independently of the engine and the ledger. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/test_support.h"

#include "model/analysis/anchors.h"
#include "model/ledger.h"
#include "model/population.h"
#include "params/anchors.h"
#include "params/params.h"

#define TOL 1e-12

static const char model_text[] =
    "[model]\n"
    "cycle_length = 1\n"
    "n_cycles = 3\n"
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
    "brief = Brief treatment\n"
    "advice = Advice only\n"
    "[comparators]\n"
    "treat = none\n"
    "brief = none\n"
    "advice = none\n"
    "[initial]\n"
    "alive = 1000\n"
    "[parameters]\n"
    "p_die = 0.1\n"
    "cost_police = 1200\n"
    "cost_victims = 2000\n"
    "cost_nhs = 300\n"
    "cost_treatment = 0\n"
    "[parameters.treat]\n"
    "p_die = 0.05\n"
    "cost_police = 500\n"
    "cost_victims = 800\n"
    "cost_nhs = 350\n"
    "cost_treatment = 1500\n"
    "[parameters.brief]\n"
    "p_die = 0.08\n"
    "cost_police = 900\n"
    "cost_victims = 1500\n"
    "cost_treatment = 400\n"
    "[parameters.advice]\n"
    "cost_police = 1100\n"
    "[transitions]\n"
    "alive -> alive = C\n"
    "alive -> dead = p_die\n"
    "dead -> dead = 1\n"
    "[stream.police]\n"
    "outcome = costs\n"
    "tags = payer:police\n"
    "alive = cost_police\n"
    "dead = 0\n"
    "[stream.victims]\n"
    "outcome = costs\n"
    "tags = payer:victims\n"
    "alive = cost_victims\n"
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
    "society = budget, police, victims, nhs\n"
    "public_sector = budget, police, nhs\n";

/* Discounted years alive per client starting alive: A(p). */
static double
alive(double p)
{
    double sum = 0.0;
    for (int t = 1; t <= 3; t++)
        sum += pow(1.0 - p, t) * pow(1.035, -t);
    return sum;
}

static struct ns_population *
build(void)
{
    struct ns_params *params = NULL;
    struct ns_population *pop =
        ns_test_build_run_text("anchors.ini", model_text, &params);
    ns_params_free(params);
    return pop;
}

static long
payer(const struct ns_model *m, const char *name)
{
    for (size_t p = 0; p < m->n_payers; p++)
        if (strcmp(m->payers[p], name) == 0)
            return (long)p;
    fail_msg("no payer %s", name);
    return -1;
}

/* Crime savings only (police and victims), over half the treatment cost
 * (a ratio to the net extra spend), for three treated clients in four
 * and one brief: the ratio of the pooled sums, not the mean of ratios. */
static void
pooled_ratio_closed_form(void **state)
{
    (void)state;
    struct ns_population *pop = build();
    const struct ns_model *m = pop->models[0];
    bool crime[4] = {false};
    crime[payer(m, "police")] = crime[payer(m, "victims")] = true;
    size_t arms[2] = {1, 2};
    double weights[2] = {0.75, 0.25};
    struct ns_anchor_spec spec = {2, arms, weights, crime, 0.5};
    struct ns_anchor_figure pooled, each[2];
    ns_anchor_compute(m, pop->pooled, &spec, &pooled, each);

    double a_none = alive(0.1), a_treat = alive(0.05), a_brief = alive(0.08);
    double s_treat = (1200.0 + 2000.0) * a_none - (500.0 + 800.0) * a_treat;
    double s_brief = (1200.0 + 2000.0) * a_none - (900.0 + 1500.0) * a_brief;
    double c_treat = 1500.0 * a_treat, c_brief = 400.0 * a_brief;
    assert_int_equal(each[0].status, NS_ANCHOR_COMPUTED);
    assert_close(each[0].savings, s_treat, TOL);
    assert_close(each[0].treatment_cost, c_treat, TOL);
    assert_close(each[0].ratio, s_treat / (0.5 * c_treat), TOL);
    assert_close(each[1].ratio, s_brief / (0.5 * c_brief), TOL);
    double s = 0.75 * s_treat + 0.25 * s_brief;
    double c = 0.75 * c_treat + 0.25 * c_brief;
    assert_int_equal(pooled.status, NS_ANCHOR_COMPUTED);
    assert_close(pooled.savings, s, TOL);
    assert_close(pooled.treatment_cost, c, TOL);
    assert_close(pooled.ratio, s / (0.5 * c), TOL);

    /* All payers (NULL): the NHS's extra cost for treated clients, who
     * live longer, is a negative saving; the treatment itself is not a
     * saving at all. */
    spec.has_payer = NULL;
    spec.cost_share = 1.0;
    ns_anchor_compute(m, pop->pooled, &spec, &pooled, each);
    double nhs_treat = 300.0 * a_none - 350.0 * a_treat;
    assert_close(each[0].savings, s_treat + nhs_treat, TOL);
    assert_close(each[0].ratio, (s_treat + nhs_treat) / c_treat, TOL);
    ns_population_free(pop);
}

/* A strategy with no extra treatment cost has no ratio: NaN with its
 * status, never a number; pooled with one that has, the pool has one. */
static void
no_extra_cost_is_not_computable(void **state)
{
    (void)state;
    struct ns_population *pop = build();
    const struct ns_model *m = pop->models[0];
    size_t arms[2] = {3, 1};
    double weights[2] = {1.0, 0.0};
    struct ns_anchor_spec spec = {1, arms, weights, NULL, 1.0};
    struct ns_anchor_figure pooled, each[2];
    ns_anchor_compute(m, pop->pooled, &spec, &pooled, each);
    assert_int_equal(pooled.status, NS_ANCHOR_NO_EXTRA_COST);
    assert_true(isnan(pooled.ratio));
    assert_close(pooled.savings, 100.0 * alive(0.1), TOL);
    assert_close(pooled.treatment_cost, 0.0, TOL);
    assert_string_equal(ns_anchor_status_text(pooled.status),
                        "the extra treatment cost counted is zero or "
                        "negative");

    spec.n_arms = 2;
    weights[0] = weights[1] = 0.5;
    ns_anchor_compute(m, pop->pooled, &spec, &pooled, each);
    assert_int_equal(each[0].status, NS_ANCHOR_NO_EXTRA_COST);
    assert_int_equal(each[1].status, NS_ANCHOR_COMPUTED);
    assert_int_equal(pooled.status, NS_ANCHOR_COMPUTED);
    assert_close(pooled.ratio,
                 (each[0].savings + each[1].savings) /
                     each[1].treatment_cost,
                 TOL);

    /* The comparator itself has no comparator: not finite. */
    arms[0] = 0;
    spec.n_arms = 1;
    ns_anchor_compute(m, pop->pooled, &spec, &pooled, each);
    assert_int_equal(pooled.status, NS_ANCHOR_NOT_FINITE);
    assert_true(isnan(pooled.ratio));
    ns_population_free(pop);
}

/* The ledger over a set of payers gives what it gives over a perspective
 * of the same payers. */
static void
payer_set_matches_perspective(void **state)
{
    (void)state;
    struct ns_population *pop = build();
    const struct ns_model *m = pop->models[0];
    struct ns_ledger by_view, by_set;
    double pv[4], ps[4];
    ns_ledger_totals(m, pop->pooled, 1, 1, true, &by_view, pv);
    ns_ledger_totals_payers(m, pop->pooled, 1, m->perspectives[1].has_payer,
                            true, &by_set, ps);
    assert_close(by_set.savings, by_view.savings, 0.0);
    assert_close(by_set.treatment_cost, by_view.treatment_cost, 0.0);
    for (size_t p = 0; p < m->n_payers; p++)
        assert_close(ps[p], pv[p], 0.0);
    ns_population_free(pop);
}

/* A temporary folder for anchors files, removed with its files. */
static char dir[] = "/tmp/ns_test_anchors_XXXXXX";

static char *
write_file(const char *name, const char *text)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    assert_non_null(path);
    snprintf(path, n, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    return path;
}

static int
make_dir(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int
remove_dir(void **state)
{
    (void)state;
    static const char *const names[] = {"good.csv", "bad.csv", "year.ini"};
    char path[256];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        remove(path);
    }
    return rmdir(dir);
}

static const char header[] =
    "anchor,study,design,scenario,arms,benefits,cost_share,published,"
    "published_text,source,explanation\n";

/* A good file: fields as written, weights normalised, the scenario
 * resolved against the file's folder, names resolved in the model. */
static void
load_and_resolve(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text,
             "%s"
             "a,Study A,Three years,,treat:3 + brief:1,society,1,4.5,4.5:1,"
             "Table 2,\n"
             "\"b\",Study B,Crime only,year.ini,treat,police  victims,0.5,12,"
             "\"12:1, crime only\",Abstract,Counts crime only\n"
             "c,Study C,All payers,,advice,all_payers,1,3,,Summary,\n",
             header);
    free(write_file("year.ini", "[scenario]\nname = One year\n"));
    char *path = write_file("good.csv", text);
    struct ns_anchor_defs *defs = NULL;
    struct ns_diags diags = {0};
    assert_int_equal(ns_anchors_load(path, &defs, &diags), NS_OK);
    assert_int_equal(diags.count, 0);
    assert_int_equal(defs->n, 3);
    const struct ns_anchor_def *a = &defs->items[0], *b = &defs->items[1];
    assert_true(a->valid && b->valid && defs->items[2].valid);
    assert_null(a->scenario);
    assert_int_equal(a->n_arms, 2);
    assert_string_equal(a->arm_names[1], "brief");
    assert_close(a->arm_weights[0], 0.75, 0.0);
    assert_close(a->arm_weights[1], 0.25, 0.0);
    assert_close(a->published, 4.5, 0.0);
    assert_string_equal(b->published_text, "12:1, crime only");
    assert_close(b->cost_share, 0.5, 0.0);
    assert_int_equal(b->n_benefits, 2);
    char expected[300];
    snprintf(expected, sizeof expected, "%s/year.ini", dir);
    assert_string_equal(b->scenario, expected);
    assert_int_equal(b->at.line, 3);

    struct ns_population *pop = build();
    const struct ns_model *m = pop->models[0];
    struct ns_anchor_spec spec;
    assert_int_equal(ns_anchor_resolve(a, m, &spec, &diags), NS_OK);
    assert_int_equal(spec.n_arms, 2);
    assert_int_equal(spec.strategy[0], 1);
    assert_int_equal(spec.strategy[1], 2);
    for (size_t p = 0; p < m->n_payers; p++)
        assert_int_equal(spec.has_payer[p], m->perspectives[0].has_payer[p]);
    ns_anchor_spec_clear(&spec);
    assert_int_equal(ns_anchor_resolve(b, m, &spec, &diags), NS_OK);
    for (size_t p = 0; p < m->n_payers; p++)
        assert_int_equal(spec.has_payer[p],
                         strcmp(m->payers[p], "police") == 0 ||
                             strcmp(m->payers[p], "victims") == 0);
    ns_anchor_spec_clear(&spec);
    assert_int_equal(ns_anchor_resolve(&defs->items[2], m, &spec, &diags),
                     NS_OK);
    assert_null(spec.has_payer);
    ns_anchor_spec_clear(&spec);
    assert_int_equal(diags.count, 0);
    ns_population_free(pop);
    ns_anchor_defs_free(defs);
    free(path);
}

/* Every problem of every row, at once, each naming its line and column. */
static void
every_problem_reported(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text,
             "%s"
             "a b,Study A,Design,,treat:0,society,1.5,2.5:1,,Source,\n"
             "c,,Design,missing.ini,treat + treat,society,1,2,,Source,\n"
             "d,Study D,Design,,treatt,polce society,1,2,,Source,\n",
             header);
    char *path = write_file("bad.csv", text);
    struct ns_anchor_defs *defs = NULL;
    struct ns_diags diags = {0};
    assert_int_equal(ns_anchors_load(path, &defs, &diags), NS_EPARAM);
    assert_non_null(defs);
    assert_int_equal(defs->n, 3);
    assert_false(defs->items[0].valid);
    assert_false(defs->items[1].valid);
    assert_true(defs->items[2].valid);
    assert_int_equal(diags.count, 7);
    assert_int_equal(diags.items[0].line, 2);
    assert_string_equal(diags.items[0].text,
                        "anchor (column 1) must be an id of letters, digits, "
                        "'_', '-' or '.', got 'a b'");
    assert_string_equal(diags.items[1].text,
                        "arms (column 5) must be strategies with weights, "
                        "such as 'rehab:286 + mmt:458', or one strategy, got "
                        "'treat:0': the weight of treat must be a number "
                        "above 0, got '0'");
    assert_int_equal(diags.items[4].line, 3);
    assert_string_equal(diags.items[6].text,
                        "arms (column 5) must be strategies with weights, "
                        "such as 'rehab:286 + mmt:458', or one strategy, got "
                        "'treat + treat': treat is listed twice");

    /* The names of a well-formed row, checked in the model. */
    struct ns_population *pop = build();
    struct ns_anchor_spec spec;
    ns_diags_clear(&diags);
    assert_int_equal(
        ns_anchor_resolve(&defs->items[2], pop->models[0], &spec, &diags),
        NS_EPARAM);
    assert_int_equal(diags.count, 3);
    assert_int_equal(diags.items[0].line, 4);
    assert_string_equal(diags.items[0].text,
                        "arms (column 5) must be strategies that have a "
                        "comparator, got 'treatt': the model has no such "
                        "strategy; those with a comparator are treat, brief, "
                        "advice");
    assert_string_equal(diags.items[2].text,
                        "benefits (column 6) must be one perspective of the "
                        "model, or payers of it, got 'society': a "
                        "perspective is a set of payers: give one "
                        "perspective alone (society, public_sector, "
                        "all_payers), or payers (police, victims, nhs, "
                        "budget)");
    ns_diags_clear(&diags);
    ns_population_free(pop);
    ns_anchor_defs_free(defs);
    free(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pooled_ratio_closed_form),
        cmocka_unit_test(no_extra_cost_is_not_computable),
        cmocka_unit_test(payer_set_matches_perspective),
        cmocka_unit_test(load_and_resolve),
        cmocka_unit_test(every_problem_reported),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}

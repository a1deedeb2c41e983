/* netsave tests: what targets and measures can express (model/measures.h)
 * and held-out validation, on a model with closed forms.
 *
 * Half-year cycles, six of them, life-table counting. Everyone starts
 * using; each cycle a user quits (to abstinent) with probability q and
 * anyone alive dies with probability d = 0.05. After t cycles:
 *   using(t) = (1 - q - d)^t, alive(t) = (1 - d)^t,
 *   abstinent(t) = alive(t) - using(t).
 * Strategy a has q = 0.2 (using 0.75^t), b has q = 0.1 (0.85^t).
 * Streams, per member per cycle: offences_shop 3 when using and 0.5 when
 * abstinent, offences_burg 1 when using (both tagged crime), cost_victims
 * 100 when using (payer victims). A stream's annual rate at a point is
 * its value per cycle over the cycle length (0.5 years): twice it. Over a
 * period, occupancy and per-cycle values are averaged by the trapezoid
 * rule over the period's points; the rate is the trapezoid sum per year.
 * Every expected value below comes from these formulas, not from the
 * program. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"

#include "model/analysis/calibrate.h"
#include "model/measures.h"
#include "model/population.h"
#include "params/params.h"

static const char model_text[] =
    "[model]\n"
    "cycle_length = 0.5\n"
    "n_cycles = 6\n"
    "counting = life_table\n"
    "[discount]\n"
    "offences = 0\n"
    "costs = 0.035\n"
    "[states]\n"
    "using = Using\n"
    "abstinent = Abstinent\n"
    "dead = Dead\n"
    "[strategies]\n"
    "a = A\n"
    "b = B\n"
    "[initial]\n"
    "using = 1\n"
    "[parameters]\n"
    "p_quit = 0.2\n"
    "p_die = 0.05\n"
    "[parameters.b]\n"
    "p_quit = 0.1\n"
    "[transitions]\n"
    "using -> abstinent = p_quit\n"
    "using -> dead = p_die\n"
    "using -> using = C\n"
    "abstinent -> dead = p_die\n"
    "abstinent -> abstinent = C\n"
    "dead -> dead = 1\n"
    "[stream.offences_shop]\n"
    "outcome = offences\n"
    "tags = crime\n"
    "using = 3\n"
    "abstinent = 0.5\n"
    "dead = 0\n"
    "[stream.offences_burg]\n"
    "outcome = offences\n"
    "tags = crime\n"
    "using = 1\n"
    "default = 0\n"
    "[stream.cost_victims]\n"
    "outcome = costs\n"
    "tags = payer:victims\n"
    "using = 100\n"
    "default = 0\n"
    "[groups]\n"
    "alive = using, abstinent\n"
    "[measures]\n"
    "shop = offences_shop / alive\n"
    "crime_rate = crime / alive\n"
    "victims_rate = victims\n"
    "convicted = 1 - exp(-crime / alive)\n"
    "using_share = using / alive\n"
    "abstinent_share = abstinent / alive\n"
    "[validation]\n"
    "targets = targets.csv\n";

/* Two subgroups; "high" quits less in strategy a (b sets its own). */
static const char subgroups_text[] = "[subgroups]\n"
                                     "high = 0.25\n"
                                     "low = 0.75\n"
                                     "[subgroup.high]\n"
                                     "parameters.p_quit = 0.05\n";

static const char header[] =
    "time_years,arms,measure,observed,tolerance,grade,source,note,"
    "followed_up,worse,role,relative_to,period_years,subgroup\n";

#define D 0.05

static double
alive(double t)
{
    return pow(1 - D, t);
}

static double
using_q(double q, double t)
{
    return pow(1 - q - D, t);
}

/* Per member per cycle, for a quitting probability q. */
static double
shop(double q, double t)
{
    return 3 * using_q(q, t) + 0.5 * (alive(t) - using_q(q, t));
}

static double
crime(double q, double t)
{
    return shop(q, t) + using_q(q, t);
}

/* The trapezoid sum of f(q, t) over the points p0..p1. */
static double
trapezoid(double (*f)(double, double), double q, int p0, int p1)
{
    double sum = 0.5 * (f(q, p0) + f(q, p1));
    for (int p = p0 + 1; p < p1; p++)
        sum += f(q, p);
    return sum;
}

static double
alive_q(double q, double t)
{
    (void)q;
    return alive(t);
}

/* Builds the model text (with subgroups when asked, then extra sections)
 * and the targets rows, held in memory; an extra line that is a --set
 * assignment (SECTION.KEY=VALUE, no newline) is applied as one. Returns
 * the build status with its diagnostics. */
static enum ns_status
build(const char *rows, bool with_subgroups, const char *extra,
      struct ns_params **params, struct ns_population **pop,
      struct ns_diags *diags)
{
    bool is_set = extra && !strchr(extra, '\n');
    static char ini[8192], csv[4096];
    snprintf(ini, sizeof ini, "%s%s%s", model_text,
             with_subgroups ? subgroups_text : "",
             extra && !is_set ? extra : "");
    snprintf(csv, sizeof csv, "%s%s", header, rows);
    struct ns_memory_file files[2] = {{"model.ini", ini, strlen(ini)},
                                      {"targets.csv", csv, strlen(csv)}};
    const char *sets[1] = {extra};
    struct ns_model_source src = {NULL, 0, files, 2, sets, is_set, false};
    enum ns_status st = ns_params_build(&src, params, pop, diags);
    if (st == NS_OK)
        st = ns_population_run(*pop, diags);
    return st;
}

struct fx {
    struct ns_params *params;
    struct ns_population *pop;
    struct ns_diags diags;
    struct ns_target_result res[16];
};

static void
print_diags(const struct ns_diags *d)
{
    for (size_t i = 0; i < d->count; i++)
        fprintf(stderr, "%s:%d: %s\n", d->items[i].file ? d->items[i].file : "",
                d->items[i].line, d->items[i].text);
}

/* Builds, runs and evaluates every target; all must succeed. */
static void
evaluate(struct fx *f, const char *rows, bool with_subgroups)
{
    enum ns_status st = build(rows, with_subgroups, NULL, &f->params, &f->pop,
                              &f->diags);
    if (st == NS_OK)
        st = ns_targets_evaluate(f->pop, NULL, f->res, &f->diags);
    print_diags(&f->diags);
    assert_int_equal(st, NS_OK);
}

static void
clear(struct fx *f)
{
    ns_population_free(f->pop);
    ns_params_free(f->params);
    ns_diags_clear(&f->diags);
}

/* The model with these targets is invalid: building it (and, if it
 * builds, evaluating its targets) must report exactly n diagnostics, the
 * first of them "file:line: text" as expected. The test passes when the
 * problems are reported. */
static void
expect_problems(const char *rows, bool with_subgroups, const char *extra,
                size_t n, const char *expected)
{
    struct fx f = {0};
    enum ns_status st =
        build(rows, with_subgroups, extra, &f.params, &f.pop, &f.diags);
    if (st == NS_OK)
        st = ns_targets_evaluate(f.pop, NULL, f.res, &f.diags);
    assert_int_not_equal(st, NS_OK);
    print_diags(&f.diags);
    assert_int_equal(f.diags.count, n);
    char line[512];
    ns_diag_format(&f.diags.items[0], line, sizeof line);
    assert_string_equal(line, expected);
    clear(&f);
}

/* As expect_problems, with exactly one diagnostic. */
static void
expect_problem(const char *rows, bool with_subgroups, const char *extra,
               const char *expected)
{
    expect_problems(rows, with_subgroups, extra, 1, expected);
}

static void
stream_rates_at_points(void **state)
{
    (void)state;
    struct fx f = {0};
    evaluate(&f,
             "1.5,a,shop,0,1,B,t,interior point (weight 1),,,,,,\n"
             "0,a,shop,0,1,B,t,point 0 (weight 1/2),,,,,,\n"
             "3,a,crime_rate,0,1,B,t,last point (weight 1/2),,,,,,\n"
             "3,a,victims_rate,0,1,B,t,a payer,,,,,,\n"
             "1.5,a:3 + b:1,crime_rate,0,1,B,t,arms pooled,,,,,,\n"
             "2,b,convicted,0,1,B,t,a function of a tag,,,,,,\n",
             false);
    /* Annual rates: twice the per-cycle values. */
    assert_close(f.res[0].predicted, 2 * shop(0.2, 3) / alive(3), 1e-13);
    assert_close(f.res[1].predicted, 2 * 3.0, 1e-13);
    assert_close(f.res[2].predicted, 2 * crime(0.2, 6) / alive(6), 1e-13);
    assert_close(f.res[3].predicted, 2 * 100 * using_q(0.2, 6), 1e-13);
    /* Arms pool their counts: 3 parts a to 1 part b, of streams and of
     * the living alike. */
    double mixed = 2 * (3 * crime(0.2, 3) + crime(0.1, 3)) / (4 * alive(3));
    assert_close(f.res[4].predicted, mixed, 1e-13);
    assert_close(f.res[5].predicted,
                 1 - exp(-2 * crime(0.1, 4) / alive(4)), 1e-13);
    clear(&f);
}

static void
stream_rates_over_periods(void **state)
{
    (void)state;
    struct fx f = {0};
    evaluate(&f,
             "2,a,shop,0,1,B,t,year 2: ends inside the horizon,,,,,1,\n"
             "1,a,crime_rate,0,1,B,t,year 1: from the start,,,,,1,\n"
             "3,b,crime_rate,0,1,B,t,year 3: to the horizon,,,,,1,\n"
             "3,a,using_share,0,1,B,t,all three years,,,,,3,\n"
             "3,a,victims_rate,0,1,B,t,a payer over 1.5 years,,,,,1.5,\n",
             false);
    /* Year 2 is points 2..4: the rate is the trapezoid sum of the
     * per-cycle values over 1 year, over the living averaged over 2
     * cycles. */
    double shop_y2 = trapezoid(shop, 0.2, 2, 4) / 1.0;
    double alive_y2 = trapezoid(alive_q, 0.2, 2, 4) / 2;
    assert_close(f.res[0].predicted, shop_y2 / alive_y2, 1e-13);
    double crime_y1 = trapezoid(crime, 0.2, 0, 2) / 1.0;
    assert_close(f.res[1].predicted,
                 crime_y1 / (trapezoid(alive_q, 0.2, 0, 2) / 2), 1e-13);
    double crime_y3 = trapezoid(crime, 0.1, 4, 6) / 1.0;
    assert_close(f.res[2].predicted,
                 crime_y3 / (trapezoid(alive_q, 0.1, 4, 6) / 2), 1e-13);
    /* Occupancy alone: a ratio of trapezoid means. */
    assert_close(f.res[3].predicted,
                 trapezoid(using_q, 0.2, 0, 6) / trapezoid(alive_q, 0.2, 0, 6),
                 1e-13);
    /* 1.5 years is points 3..6; victims' cost is 100 per cycle of use. */
    assert_close(f.res[4].predicted,
                 100 * trapezoid(using_q, 0.2, 3, 6) / 1.5, 1e-13);
    clear(&f);
}

static void
relative_to_another_time(void **state)
{
    (void)state;
    struct fx f = {0};
    evaluate(&f,
             "2,a,shop,0.5,0.1,B,t,shop offences relative to intake,,,,0,,\n"
             "3,b,using_share,0.5,0.1,B,t,use relative to year 1,,,,1,,\n"
             "2,a,crime_rate,0.5,0.1,B,t,year 2 relative to intake,,,,0,1,\n",
             false);
    double at_intake = 2 * shop(0.2, 0) / alive(0); /* 6 a year */
    assert_close(f.res[0].predicted,
                 (2 * shop(0.2, 4) / alive(4)) / at_intake, 1e-13);
    assert_close(f.res[1].predicted,
                 (using_q(0.1, 6) / alive(6)) / (using_q(0.1, 2) / alive(2)),
                 1e-13);
    /* The numerator over its period, the denominator at its point. */
    double year2 = (trapezoid(crime, 0.2, 2, 4) / 1.0) /
                   (trapezoid(alive_q, 0.2, 2, 4) / 2);
    assert_close(f.res[2].predicted, year2 / (2 * crime(0.2, 0)), 1e-13);
    clear(&f);
}

static void
subgroup_targets(void **state)
{
    (void)state;
    struct fx f = {0};
    evaluate(&f,
             "5,a,crime_rate,0.13,0.05,B,t,high: relative to intake,,,,0,,"
             "high\n"
             "2,a,using_share,0.5,0.1,B,t,low only,,,,,,low\n"
             "2,a,using_share,0.5,0.1,B,t,pooled,,,,,,\n"
             "2,b,using_share,0.5,0.1,B,t,b: same in both,,,,,,high\n",
             true);
    /* Five years is beyond the three-year horizon: not evaluated. */
    assert_false(f.pop->models[0]->targets[0].in_horizon);
    assert_true(isnan(f.res[0].predicted));
    assert_close(f.res[1].predicted, using_q(0.2, 4) / alive(4), 1e-13);
    double pooled = 0.25 * using_q(0.05, 4) + 0.75 * using_q(0.2, 4);
    assert_close(f.res[2].predicted, pooled / alive(4), 1e-13);
    assert_close(f.res[3].predicted, using_q(0.1, 4) / alive(4), 1e-13);
    clear(&f);
    /* The one in ten at a time the horizon holds, as NTORS reports it:
     * offending relative to intake. */
    evaluate(&f, "3,a,crime_rate,0.13,0.05,B,t,high,,,,0,,high\n", true);
    double high = (crime(0.05, 6) / alive(6)) / crime(0.05, 0);
    assert_close(f.res[0].predicted, high, 1e-13);
    assert_close(f.res[0].difference, high - 0.13, 1e-12);
    clear(&f);
}

static void
problems_name_the_target(void **state)
{
    (void)state;
    expect_problem("2,a,shop,0,1,B,t,x,,,,,,hihg\n", true, NULL,
                   "targets.csv:2: target: unknown subgroup 'hihg'; did you "
                   "mean 'high'?");
    expect_problem("2,a,shop,0,1,B,t,x,,,,,,high\n", false, NULL,
                   "targets.csv:2: target: unknown subgroup 'high' (the "
                   "model has no [subgroups])");
    expect_problem("1,a,shop,0,1,B,t,x,,,,,,\n"
                   "2,a,abstinent_share,0.5,1,B,t,x,,,,0,,\n",
                   false, NULL,
                   "targets.csv:3: target: measure abstinent_share: "
                   "division by zero: the measure is 0 at relative_to = 0 "
                   "years, for a at 2 years");
    expect_problem("0,a,shop,0,1,B,t,x,,,,,,\n", false,
                   "model.count_time_zero=no",
                   "targets.csv:2: target: measure shop reads streams, whose "
                   "annual rate at 0 years is unknown: that time point's "
                   "counting weight is 0 (give the target a period_years)");
    expect_problem("1,a,shop,0,1,B,t,x,,,,,2,\n", false, NULL,
                   "targets.csv:2: target: the period of 2 years before 1 "
                   "years starts before time 0");
    expect_problem("1,a,shop,0,1,B,t,x,,,,,0.25,\n", false, NULL,
                   "targets.csv:2: target: period start (time_years - "
                   "period_years) 0.75 years is not a time point of the "
                   "model (cycles of 0.5 years)");
    expect_problem("1,a,shop,0,1,B,t,x,,,,0.3,,\n", false, NULL,
                   "targets.csv:2: target: relative_to 0.3 years is not a "
                   "time point of the model (cycles of 0.5 years)");
}

static void
names_must_mean_one_thing(void **state)
{
    (void)state;
    /* A stream called like a group (five measures read alive; the first
     * is shop, on line 48 of model_text), and a tag called like a state
     * (read by using_share only, on line 52). */
    expect_problems("1,a,shop,0,1,B,t,x,,,,,,\n", false,
                    "[stream.alive]\noutcome = offences\ndefault = 0\n", 5,
                    "model.ini:48: measure shop: 'alive' is ambiguous: it "
                    "names a group and a stream; rename one");
    expect_problem("1,a,shop,0,1,B,t,x,,,,,,\n", false,
                   "[stream.x]\noutcome = offences\ntags = using\n"
                   "default = 0\n",
                   "model.ini:52: measure using_share: 'using' is "
                   "ambiguous: it names a state and a tag; rename one");
}

static void
role_column(void **state)
{
    (void)state;
    expect_problem("1,a,shop,0,1,B,t,x,,,Holdout,,,\n", false, NULL,
                   "targets.csv:2: column 'role' must be fit or holdout "
                   "(empty: fit), got 'Holdout'");
    expect_problem("1,a,shop,0,1,B,t,x,,,,soon,,\n", false, NULL,
                   "targets.csv:2: column 'relative_to' must be a time in "
                   "years (empty: none), got 'soon'");
    struct fx f = {0};
    evaluate(&f,
             "1,a,shop,0,1,B,t,x,,,fit,,,\n"
             "1,a,shop,0,1,B,t,x,,,holdout,,,\n"
             "1,a,shop,0,1,B,t,x,,,,,,\n",
             false);
    const struct ns_target_info *t = f.pop->models[0]->targets;
    assert_int_equal(t[0].role, NS_ROLE_FIT);
    assert_int_equal(t[1].role, NS_ROLE_HOLDOUT);
    assert_int_equal(t[2].role, NS_ROLE_FIT); /* empty: fit */
    clear(&f);
}

/* Fitting a's p_quit to the share of the living still using at 3 years,
 * s: ((1 - q - d) / (1 - d))^6 = s, so q = (1 - d)(1 - s^(1/6)). */
static void
calibration_leaves_holdout_targets_alone(void **state)
{
    (void)state;
    struct fx f = {0};
    const char *rows =
        "3,a,using_share,0.4,0.01,A,t,fit,,,fit,,,\n"
        /* Held out: far from the fit, and one that cannot even be
         * computed (abstinence is 0 at intake); neither may matter. */
        "1,a,using_share,0.99,0.01,A,t,held out,,,holdout,,,\n"
        "2,a,abstinent_share,1,0.01,A,t,held out,,,holdout,0,,\n"
        "2,a,using_share,0.9,0.01,C,t,fit graded C,,,fit,,,\n";
    assert_int_equal(build(rows, false, "[calibrate]\np_quit = 0.01, 0.9\n",
                           &f.params, &f.pop, &f.diags),
                     NS_OK);
    double fitted[1];
    struct ns_calibration_options opt = {.n_starts = 2,
                                         .seed = 3,
                                         .max_iterations = 500,
                                         .size_tolerance = 1e-9};
    struct ns_calibration_result cal = {.fitted = fitted};
    assert_int_equal(ns_calibrate(f.pop, &opt, &cal, &f.diags), NS_OK);
    assert_int_equal(cal.n_targets_used, 1);
    assert_int_equal(cal.n_holdout, 2);
    assert_close(fitted[0], (1 - D) * (1 - pow(0.4, 1.0 / 6)), 1e-6);
    /* All grades: the C fit target joins; the holdout ones never do. */
    opt.all_targets = true;
    assert_int_equal(ns_calibrate(f.pop, &opt, &cal, &f.diags), NS_OK);
    assert_int_equal(cal.n_targets_used, 2);
    print_diags(&f.diags);
    assert_int_equal(f.diags.count, 0);
    clear(&f);
}

static void
calibration_refuses_holdout_only(void **state)
{
    (void)state;
    struct fx f = {0};
    assert_int_equal(build("3,a,using_share,0.4,0.01,A,t,x,,,holdout,,,\n",
                           false, "[calibrate]\np_quit = 0.01, 0.9\n",
                           &f.params, &f.pop, &f.diags),
                     NS_OK);
    double fitted[1];
    struct ns_calibration_options opt = {
        .all_targets = true, .n_starts = 1, .max_iterations = 10,
        .size_tolerance = 1e-4};
    struct ns_calibration_result cal = {.fitted = fitted};
    assert_int_equal(ns_calibrate(f.pop, &opt, &cal, &f.diags), NS_EPARAM);
    assert_int_equal(f.diags.count, 1);
    assert_string_equal(f.diags.items[0].text,
                        "nothing to calibrate to: every target is a holdout "
                        "target (role holdout), which calibration never "
                        "uses");
    clear(&f);
}

/* [validation] lost_toward_intake = 0.5: a target followed up in part is
 * compared with its whole sample's value, f x observed + (1 - f) x lost,
 * lost = observed + 0.5 x (intake - observed), the intake level being the
 * model's own at time 0 (everyone using: using_share 1, abstinent 0).
 * Targets followed up in full or without a direction of worse keep their
 * value; calibration fits to the whole sample's value. */
static void
lost_toward_intake(void **state)
{
    (void)state;
    struct fx f = {0};
    const char *rows = "2,a,using_share,0.3,0.01,A,t,x,0.6,higher,,,,\n"
                       "2,a,abstinent_share,0.5,0.01,A,t,x,0.6,lower,,,,\n"
                       "2,a,using_share,0.3,0.01,A,t,x,1,higher,,,,\n"
                       "2,a,using_share,0.3,0.01,A,t,x,0.6,,,,,\n";
    enum ns_status st = build(rows, false, "lost_toward_intake = 0.5\n",
                              &f.params, &f.pop, &f.diags);
    if (st == NS_OK)
        st = ns_targets_evaluate(f.pop, NULL, f.res, &f.diags);
    print_diags(&f.diags);
    assert_int_equal(st, NS_OK);
    double using_whole = 0.6 * 0.3 + 0.4 * (0.3 + 0.5 * (1.0 - 0.3));
    double abst_whole = 0.6 * 0.5 + 0.4 * (0.5 + 0.5 * (0.0 - 0.5));
    double using4 = using_q(0.2, 4) / alive(4);
    assert_close(f.res[0].whole, using_whole, 1e-12);
    assert_close(f.res[0].difference, using4 - using_whole, 1e-12);
    assert_close(f.res[1].whole, abst_whole, 1e-12);
    assert_close(f.res[1].difference, (1 - using4) - abst_whole, 1e-12);
    assert_close(f.res[2].whole, 0.3, 0.0);
    assert_close(f.res[3].whole, 0.3, 0.0);
    clear(&f);
    /* Calibration: p_quit fitted to the one target; its whole-sample value
     * 0.44 is what using_share(a, 2 years) = ((0.95 - q) / 0.95)^4 must
     * reach, so q = 0.95 x (1 - 0.44^(1/4)). */
    assert_int_equal(build("2,a,using_share,0.3,0.001,A,t,x,0.6,higher,,,,\n",
                           false, "lost_toward_intake = 0.5\n[calibrate]\n"
                           "p_quit = 0.01, 0.9\n",
                           &f.params, &f.pop, &f.diags),
                     NS_OK);
    double fitted[1];
    struct ns_calibration_options opt = {.n_starts = 1,
                                         .max_iterations = 400,
                                         .size_tolerance = 1e-10};
    struct ns_calibration_result cal = {.fitted = fitted};
    assert_int_equal(ns_calibrate(f.pop, &opt, &cal, &f.diags), NS_OK);
    assert_close(fitted[0], 0.95 * (1 - pow(0.44, 0.25)), 1e-5);
    clear(&f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stream_rates_at_points),
        cmocka_unit_test(stream_rates_over_periods),
        cmocka_unit_test(relative_to_another_time),
        cmocka_unit_test(subgroup_targets),
        cmocka_unit_test(problems_name_the_target),
        cmocka_unit_test(names_must_mean_one_thing),
        cmocka_unit_test(role_column),
        cmocka_unit_test(calibration_leaves_holdout_targets_alone),
        cmocka_unit_test(calibration_refuses_holdout_only),
        cmocka_unit_test(lost_toward_intake),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

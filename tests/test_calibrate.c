/* netsave tests: measures, targets and calibration (model/measures.h,
 * model/calibrate.h), on models with closed forms.
 *
 * Two strategies, alive -> dead with constant yearly probabilities
 * p_a = 0.0731 and p_b = 0.1217; after t years the share alive is
 * (1 - p)^t. A target mixing "a:3 + b:1" is evaluated on the weighted
 * mean of the traces: (3 (1 - p_a)^t + (1 - p_b)^t) / 4. Calibrating p_a
 * alone to an observed share s at 5 years must find 1 - s^(1/5). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/test_support.h"

#include "model/analysis/attrition.h"
#include "model/analysis/calibrate.h"
#include "model/ledger.h"
#include "model/measures.h"
#include "model/population.h"
#include "params/params.h"

static const char model_text[] =
    "[model]\n"
    "cycle_length = 1\n"
    "n_cycles = 6\n"
    "counting = end\n"
    "[discount]\n"
    "life_years = 0\n"
    "[states]\n"
    "alive_well = Alive and well\n"
    "alive_ill = Alive and ill\n"
    "dead = Dead\n"
    "[strategies]\n"
    "a = A\n"
    "b = B\n"
    "[initial]\n"
    "alive_well = 1\n"
    "[parameters]\n"
    "p_a = 0.0731\n"
    "p_b = 0.1217\n"
    "p = p_a\n"
    "[parameters.b]\n"
    "p = p_b\n"
    "[transitions]\n"
    "alive_well -> alive_well = C\n"
    "alive_well -> dead = p\n"
    "alive_ill -> alive_ill = 1\n"
    "dead -> dead = 1\n"
    "[stream.ly]\n"
    "outcome = life_years\n"
    "alive_* = 1\n"
    "dead = 0\n"
    "[groups]\n"
    "alive = alive_*\n"
    "[measures]\n"
    "alive_share = alive / (alive + dead)\n"
    "[validation]\n"
    "targets = targets.csv\n";

struct fx {
    char dir[64];
    char ini[128], csv[128], cal[128];
    struct ns_params *params;
    struct ns_population *pop;
    struct ns_diags diags;
};

static void
write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* Writes the model and targets (and an optional overlay) and builds. */
static void
build(struct fx *f, const char *targets, const char *overlay)
{
    strcpy(f->dir, "/tmp/ns-calibrate-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->ini, sizeof f->ini, "%s/model.ini", f->dir);
    snprintf(f->csv, sizeof f->csv, "%s/targets.csv", f->dir);
    snprintf(f->cal, sizeof f->cal, "%s/calibrate.ini", f->dir);
    write_text(f->ini, model_text);
    write_text(f->csv, targets);
    write_text(f->cal, overlay ? overlay : "");
    const char *files[] = {f->ini, f->cal};
    struct ns_model_source src = {files, overlay ? 2 : 1, NULL, 0,
                                  NULL, 0, false};
    enum ns_status st = ns_params_build(&src, &f->params, &f->pop, &f->diags);
    if (st == NS_OK)
        st = ns_population_run(f->pop, &f->diags);
    for (size_t i = 0; i < f->diags.count; i++)
        fprintf(stderr, "%s:%d: %s\n", f->diags.items[i].file,
                f->diags.items[i].line, f->diags.items[i].text);
    assert_int_equal(st, NS_OK);
}

static void
clear(struct fx *f)
{
    ns_population_free(f->pop);
    ns_params_free(f->params);
    ns_diags_clear(&f->diags);
    unlink(f->ini);
    unlink(f->csv);
    unlink(f->cal);
    rmdir(f->dir);
}

static void
mixed_arms_and_groups(void **state)
{
    (void)state;
    struct fx f = {0};
    build(&f,
          "time_years,arms,measure,observed,tolerance,grade,source,note\n"
          "3,a:3 + b:1,alive_share,0.8,0.05,B,test,mixed\n"
          "5,b,alive_share,0.5,0.01,A,test,single\n",
          NULL);
    const struct ns_model *m = f.pop->models[0];
    assert_int_equal(m->n_targets, 2);
    assert_int_equal(m->targets[0].point, 3);
    assert_close(m->targets[0].arm_weight[0], 0.75, 1e-15);
    struct ns_target_result res[2];
    assert_int_equal(ns_targets_evaluate(f.pop, NULL, res, &f.diags),
                     NS_OK);
    double mixed = (3 * pow(1 - 0.0731, 3) + pow(1 - 0.1217, 3)) / 4;
    assert_close(res[0].predicted, mixed, 1e-13);
    assert_close(res[0].difference, mixed - 0.8, 1e-12);
    assert_true(res[0].within == (fabs(mixed - 0.8) <= 0.05));
    double single = pow(1 - 0.1217, 5);
    assert_close(res[1].predicted, single, 1e-13);
    assert_false(res[1].within); /* 0.522 is not within 0.01 of 0.5 */
    clear(&f);
}

static void
calibration_finds_the_closed_form(void **state)
{
    (void)state;
    struct fx f = {0};
    build(&f,
          "time_years,arms,measure,observed,tolerance,grade,source,note\n"
          "5,a,alive_share,0.6173,0.01,A,test,to fit\n"
          "5,b,alive_share,0.9,0.01,C,test,not binding\n",
          "[calibrate]\np_a = 0.001, 0.5\n");
    double fitted[1];
    struct ns_calibration_options opt = {.n_starts = 2,
                                         .seed = 7,
                                         .max_iterations = 500,
                                         .size_tolerance = 1e-8};
    struct ns_calibration_result cal = {.fitted = fitted};
    assert_int_equal(ns_calibrate(f.pop, &opt, &cal, &f.diags), NS_OK);
    assert_int_equal(cal.n_targets_used, 1); /* the C target is left out */
    double expect = 1 - pow(0.6173, 1.0 / 5);
    assert_close(fitted[0], expect, 1e-6);
    assert_true(cal.objective < 1e-8);
    /* The start was the model's 0.0731: far from the fit. */
    double d0 = (pow(1 - 0.0731, 5) - 0.6173) / 0.01;
    assert_close(cal.start_objective, d0 * d0, 1e-9);
    /* The population is left at the fit. */
    struct ns_target_result res[2];
    ns_targets_evaluate(f.pop, NULL, res, &f.diags);
    assert_close(res[0].predicted, 0.6173, 1e-6);
    clear(&f);
}

/* Attrition: half the sample followed up; lower survival is worse. */
static void
attrition_reweights_and_refits(void **state)
{
    (void)state;
    struct fx f = {0};
    build(&f,
          "time_years,arms,measure,observed,tolerance,grade,source,note,"
          "followed_up,worse\n"
          "5,a,alive_share,0.6173,0.01,A,test,to fit,0.5,lower\n"
          "5,b,alive_share,0.9,0.01,C,test,complete,1,lower\n",
          "[calibrate]\np_a = 0.001, 0.5\n");
    double obs[2];
    /* As observed: unchanged. */
    assert_int_equal(ns_attrition_observed(f.pop, NS_LOST_AS_OBSERVED, 0.1,
                                           obs, &f.diags),
                     NS_OK);
    assert_close(obs[0], 0.6173, 1e-15);
    /* Back at intake, where everyone was alive: 0.5 x 0.6173 + 0.5 x 1. */
    assert_int_equal(ns_attrition_observed(f.pop, NS_LOST_AT_INTAKE, 0.1,
                                           obs, &f.diags),
                     NS_OK);
    assert_close(obs[0], 0.5 * 0.6173 + 0.5 * 1.0, 1e-15);
    assert_close(obs[1], 0.9, 1e-15); /* followed up in full: as is */
    /* Worse by 0.1: the lost at 0.5173. */
    assert_int_equal(ns_attrition_observed(f.pop, NS_LOST_WORSE, 0.1, obs,
                                           &f.diags),
                     NS_OK);
    assert_close(obs[0], 0.5 * 0.6173 + 0.5 * 0.5173, 1e-15);
    /* Refitting to the reweighted target: p = 1 - s^(1/5). */
    struct ns_calibration_options opt = {.n_starts = 1,
                                         .max_iterations = 500,
                                         .size_tolerance = 1e-8};
    double net[2], fitted[1];
    assert_int_equal(ns_attrition_net_savings(f.pop, &opt, NS_LOST_WORSE, 0.1,
                                              NS_ALL_PAYERS, net, fitted,
                                              &f.diags),
                     NS_OK);
    assert_close(fitted[0], 1 - pow(0.5673, 1.0 / 5), 1e-6);
    clear(&f);
}

/* The value the population's results were run with for parameter name. */
static double
param_in_results(const struct fx *f, const char *name)
{
    long i = ns_model_find_param(f->pop->models[0], name);
    assert_true(i >= 0);
    return f->pop->results[0]->param_values[i];
}

/* ns_calibration_run: the fit, the value it replaces and the fit targets
 * at the fit are in the result; the population is back as written. */
static void
calibration_run_leaves_the_model_as_written(void **state)
{
    (void)state;
    struct fx f = {0};
    build(&f,
          "time_years,arms,measure,observed,tolerance,grade,source,note\n"
          "5,a,alive_share,0.6173,0.01,A,test,to fit\n",
          "[calibrate]\np_a = 0.001, 0.5\n");
    struct ns_calibration_options opt = {.n_starts = 2,
                                         .seed = 7,
                                         .max_iterations = 500,
                                         .size_tolerance = 1e-8};
    struct ns_calibration *cal = NULL;
    assert_int_equal(ns_calibration_run(f.pop, &opt, &cal, &f.diags), NS_OK);
    assert_close(cal->fit.fitted[0], 1 - pow(0.6173, 1.0 / 5), 1e-6);
    assert_close(cal->before[0], 0.0731, 0.0);
    assert_close(cal->targets[0].predicted, 0.6173, 1e-6);
    assert_close(param_in_results(&f, "p_a"), 0.0731, 0.0);
    struct ns_target_result res[1];
    ns_targets_evaluate(f.pop, NULL, res, &f.diags);
    assert_close(res[0].predicted, pow(1 - 0.0731, 5), 1e-13);
    ns_calibration_free(cal);
    clear(&f);
}

/* ns_attrition_run refits three times, and leaves the model as written. */
static void
attrition_run_leaves_the_model_as_written(void **state)
{
    (void)state;
    struct fx f = {0};
    build(&f,
          "time_years,arms,measure,observed,tolerance,grade,source,note,"
          "followed_up,worse\n"
          "5,a,alive_share,0.6173,0.01,A,test,to fit,0.5,lower\n",
          "[calibrate]\np_a = 0.001, 0.5\n");
    struct ns_attrition_options opt = {NS_ALL_PAYERS, 0.1, false};
    struct ns_attrition_table *t = NULL;
    assert_int_equal(ns_attrition_run(f.pop, &opt, &t, &f.diags), NS_OK);
    assert_int_equal(t->n_strategies, 2);
    assert_null(t->tipping);
    assert_close(t->delta, 0.1, 0.0);
    assert_close(param_in_results(&f, "p_a"), 0.0731, 0.0);
    ns_attrition_table_free(t);
    clear(&f);
}

static void
nothing_to_calibrate_is_an_error(void **state)
{
    (void)state;
    struct fx f = {0};
    build(&f,
          "time_years,arms,measure,observed,tolerance,grade,source,note\n"
          "5,a,alive_share,0.6,0.01,A,test,x\n",
          NULL);
    double fitted[1];
    struct ns_calibration_options opt = {.n_starts = 1,
                                         .max_iterations = 10,
                                         .size_tolerance = 1e-4};
    struct ns_calibration_result cal = {.fitted = fitted};
    assert_int_equal(ns_calibrate(f.pop, &opt, &cal, &f.diags), NS_EPARAM);
    assert_int_equal(f.diags.count, 1);
    assert_string_equal(f.diags.items[0].text,
                        "nothing to calibrate: no [calibrate] parameters");
    clear(&f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mixed_arms_and_groups),
        cmocka_unit_test(calibration_finds_the_closed_form),
        cmocka_unit_test(nothing_to_calibrate_is_an_error),
        cmocka_unit_test(attrition_reweights_and_refits),
        cmocka_unit_test(calibration_run_leaves_the_model_as_written),
        cmocka_unit_test(attrition_run_leaves_the_model_as_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

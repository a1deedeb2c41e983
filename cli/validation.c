/* netsave validate: the targets against the model (see validation.h). */
#include "cli/validation.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/analysis/validation.h"
#include "model/measures.h"
#include "model/model.h"

/* After a row: what the target is taken on, when not the pooled measure
 * at a time point. */
static void
print_target_scope(const struct ns_target_info *t)
{
    const char *sep = "  ";
    if (t->subgroup) {
        printf("%ssubgroup %s", sep, t->subgroup);
        sep = "; ";
    }
    if (t->has_relative_to) {
        printf("%srelative to %g years", sep, t->relative_to);
        sep = "; ";
    }
    if (t->period_years > 0.0)
        printf("%smean over %g to %g years", sep,
               t->time_years - t->period_years, t->time_years);
    printf("\n");
}

/* A target's number in a 9-wide column and a space: four decimals for
 * shares and ratios, whole units for money and counts, "-" when there is
 * none. sign is "+" to show the sign of a difference. */
static void
put_target_value(double x, const char *sign)
{
    if (!isfinite(x))
        printf("%9s ", "-");
    else if (fabs(x) >= 1000.0)
        printf(*sign ? "%+9.0f " : "%9.0f ", x);
    else
        printf(*sign ? "%+9.4f " : "%9.4f ", x);
}

/* The same number in a sentence, without the column's padding. */
static const char *
target_value_text(double x, char out[32])
{
    snprintf(out, 32, fabs(x) >= 1000.0 ? "%.0f" : "%.4f", x);
    return out;
}

static void
print_target_row(const struct ns_model *m, const struct ns_target_info *t,
                 const struct ns_target_result *r)
{
    bool whole = m->lost_toward_intake > 0.0;
    printf("%5g  %-44.44s %-18.18s ", t->time_years, t->arms,
           m->measures[t->measure].name);
    put_target_value(t->observed, "");
    if (whole)
        put_target_value(t->in_horizon ? r->whole : NS_NAN, "");
    if (!t->in_horizon)
        printf("%9s %9s ", "beyond", "horizon");
    else {
        put_target_value(r->predicted, "");
        put_target_value(r->difference, "+");
    }
    put_target_value(t->tolerance, "");
    printf(" %-6s %c", !t->in_horizon ? "-" : r->within ? "yes" : "NO",
           t->grade);
    print_target_scope(t);
}

/* The summary of one set, then of each mix of arms in it (in order of
 * first appearance). */
static void
print_set_summary(const struct ns_model *m, const struct ns_validation *v,
                  enum ns_target_role role, const char *name)
{
    const struct ns_target_tally *all =
        role == NS_ROLE_FIT ? &v->fit : &v->holdout;
    printf("%s: %zu of %zu within tolerance; %zu of %zu graded A or B\n",
           name, all->within, all->n, all->binding_within, all->binding);
    for (size_t i = 0; i < m->n_targets; i++) {
        const struct ns_target_info *t = &m->targets[i];
        bool first = t->role == role;
        for (size_t j = 0; first && j < i; j++)
            first = m->targets[j].role != role ||
                    strcmp(m->targets[j].arms, t->arms) != 0;
        if (!first)
            continue;
        struct ns_target_tally arms;
        ns_validation_tally(m, v->results, role, t->arms, &arms);
        printf("  %s: %zu of %zu within tolerance; %zu of %zu graded A or "
               "B\n",
               t->arms, arms.within, arms.n, arms.binding_within,
               arms.binding);
    }
}

/* Each computed target of the set that is not within its tolerance, in
 * words. */
static void
print_missed(const struct ns_model *m, const struct ns_target_result *res,
             enum ns_target_role role)
{
    for (size_t i = 0; i < m->n_targets; i++) {
        const struct ns_target_info *t = &m->targets[i];
        if (t->role != role || !t->in_horizon || res[i].within ||
            !isfinite(res[i].predicted))
            continue;
        char a[32], b[32];
        printf("missed: %g years, %s, %s: observed %s", t->time_years,
               t->arms, m->measures[t->measure].name,
               target_value_text(t->observed, a));
        if (res[i].whole < t->observed || res[i].whole > t->observed)
            printf(" (whole sample %s)", target_value_text(res[i].whole, a));
        printf(", predicted %s, tolerance %s, grade %c: %s\n",
               target_value_text(res[i].predicted, a),
               target_value_text(t->tolerance, b), t->grade, t->note);
        if (*t->if_missed)
            printf("  what might explain it: %s\n", t->if_missed);
    }
}

/* Prints the targets of one role as a table with its summaries. */
static void
print_target_set(const struct ns_model *m, const struct ns_validation *v,
                 enum ns_target_role role)
{
    const struct ns_target_result *res = v->results;
    bool holdout = role == NS_ROLE_HOLDOUT;
    size_t n = 0;
    for (size_t i = 0; i < m->n_targets; i++)
        n += m->targets[i].role == role;
    printf("\n%s: ", holdout ? "Holdout targets (kept out of calibration)"
                             : "Fit targets (what calibrate fits the model to)");
    if (n == 0) {
        printf("none\n");
        return;
    }
    printf("%zu\n", n);
    if (m->lost_toward_intake > 0.0)
        printf("%5s  %-44s %-18s %9s %9s %9s %9s %9s  %-6s %s\n", "years",
               "arms", "measure", "observed", "whole", "predicted", "diff.",
               "tolerance", "within", "grade");
    else
        printf("%5s  %-44s %-18s %9s %9s %9s %9s  %-6s %s\n", "years",
               "arms", "measure", "observed", "predicted", "diff.",
               "tolerance", "within", "grade");
    for (size_t i = 0; i < m->n_targets; i++)
        if (m->targets[i].role == role)
            print_target_row(m, &m->targets[i], &res[i]);
    print_set_summary(m, v, role, holdout ? "holdout" : "fit");
    if (holdout)
        print_missed(m, res, role);
}

enum ns_cli_validation
ns_cli_validation_print(const struct ns_population *pop,
                        struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    struct ns_validation *v = NULL;
    if (ns_validation_run(pop, &v, diags) != NS_OK)
        return NS_VALIDATION_ERROR;
    bool subgroups = false;
    for (size_t i = 0; i < m->n_targets; i++)
        subgroups |= m->targets[i].subgroup != NULL;
    printf("\nValidation: %zu targets, pooled over subgroups%s; %zu fit, "
           "%zu holdout\n",
           m->n_targets, subgroups ? " unless a target names one" : "",
           v->fit.n, v->holdout.n);
    if (m->lost_toward_intake > 0.0)
        printf("'whole' is a study's value for its whole sample: those it lost "
               "to follow-up taken\n%g of the way back to their intake level "
               "([validation] lost_toward_intake); the\nmodel is compared with "
               "it\n",
               m->lost_toward_intake);
    print_target_set(m, v, NS_ROLE_FIT);
    print_target_set(m, v, NS_ROLE_HOLDOUT);
    size_t missed = ns_validation_missed(v);
    if (missed)
        printf("\nTargets graded A or B not within tolerance: %zu (%zu "
               "fit, %zu holdout)\n",
               missed, v->fit.binding - v->fit.binding_within,
               v->holdout.binding - v->holdout.binding_within);
    else
        printf("\nEvery target graded A or B, fit and holdout, is within "
               "tolerance\n");
    enum ns_cli_validation found = v->evaluated != NS_OK ? NS_VALIDATION_ERROR
                                   : missed ? NS_VALIDATION_MISSED
                                            : NS_VALIDATION_MET;
    ns_validation_free(v);
    return found;
}

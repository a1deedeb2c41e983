/* netsave: targets evaluated on a population's results (see measures.h).
 *
 * A target's quantities are pooled over its arms by weight, exactly as
 * occupancy is: the weighted mean of the arms' traces and of their
 * stream values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/measures.h"
#include "model/names.h"

bool
ns_target_is_binding(const struct ns_target_info *t)
{
    return t->in_horizon && (t->grade == 'A' || t->grade == 'B');
}

bool
ns_target_is_fitted(const struct ns_target_info *t, bool all_grades)
{
    return t->role == NS_ROLE_FIT && t->in_horizon &&
           (all_grades || ns_target_is_binding(t));
}

/* The results a target is taken on: pooled, or its subgroup's; NULL for
 * a subgroup the population does not have. */
static const struct ns_results *
target_results(const struct ns_population *pop,
               const struct ns_target_info *t)
{
    if (!t->subgroup)
        return pop->pooled;
    for (size_t g = 0; g < pop->n_groups; g++)
        if (strcmp(pop->names[g], t->subgroup) == 0)
            return pop->results[g];
    return NULL;
}

enum ns_status
ns_targets_check_subgroups(const struct ns_population *pop,
                           struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    /* A model without subgroups is one subgroup, "all": the pooled
     * results, which an empty subgroup already names. */
    bool none = pop->n_groups == 1 && strcmp(pop->names[0], "all") == 0;
    enum ns_status st = NS_OK;
    for (size_t i = 0; i < m->n_targets; i++) {
        const struct ns_target_info *t = &m->targets[i];
        if (!t->subgroup || (!none && target_results(pop, t)))
            continue;
        char h[96];
        ns_diags_add_at(diags, t->at, "target: unknown subgroup '%s'%s",
                        t->subgroup,
                        none ? " (the model has no [subgroups])"
                             : ns_did_you_mean(h, sizeof h, t->subgroup,
                                               (const char *const *)pop->names,
                                               pop->n_groups));
        st = NS_EPARAM;
    }
    return st;
}

/* Adds the target's arms' occupancy at point p, times a, and their stream
 * values counted at p, times b, into the quantities q. */
static void
add_point(const struct ns_model *m, const struct ns_results *r,
          const struct ns_target_info *t, size_t p, double a, double b,
          double *q)
{
    size_t S = m->n_states, J = m->n_streams;
    for (size_t k = 0; k < t->n_arms; k++) {
        double w = t->arm_weight[k];
        size_t arm = t->arm_strategy[k];
        for (size_t s = 0; s < S; s++)
            q[s] += a * w * ns_results_trace(r, arm, p, s);
        for (size_t j = 0; j < J; j++)
            q[S + j] += b * w * ns_results_value(r, arm, p, j, false);
    }
}

static enum ns_status
fail_with(struct ns_expr_fault *fault, enum ns_fault_kind kind,
          const char *detail)
{
    fault->kind = kind;
    fault->column = 0;
    snprintf(fault->detail, sizeof fault->detail, "%s", detail);
    return NS_EMODEL;
}

/* The quantities at one time point: streams as annual rates, their value
 * at p over (p's counting weight x the cycle length). */
static enum ns_status
point_quantities(const struct ns_model *m, const struct ns_results *r,
                 const struct ns_target_info *t, size_t p, double *q,
                 struct ns_expr_fault *fault)
{
    memset(q, 0, ns_measure_n_quantities(m) * sizeof *q);
    double span = ns_model_entry_weight(m, p) * m->cycle_length_years;
    bool rates = ns_measure_reads_streams(m, t->measure);
    if (rates && !(span > 0.0))
        return fail_with(fault, NS_FAULT_DIV_ZERO,
                         "stream rates are unknown at a time point whose "
                         "counting weight is 0");
    add_point(m, r, t, p, 1.0, rates ? 1.0 / span : 0.0, q);
    return NS_OK;
}

/* The quantities averaged over the points start..end: occupancy by the
 * trapezoid rule; streams as the values counted over the period per year,
 * an end point inside the horizon counted half (the other half of its
 * weight belongs to the cycle beyond the period). */
static void
period_quantities(const struct ns_model *m, const struct ns_results *r,
                  const struct ns_target_info *t, size_t start, size_t end,
                  double *q)
{
    memset(q, 0, ns_measure_n_quantities(m) * sizeof *q);
    double span = (double)(end - start);
    double years = span * m->cycle_length_years;
    for (size_t p = start; p <= end; p++) {
        bool edge = p == start || p == end;
        bool inside = p > 0 && p < m->n_cycles;
        add_point(m, r, t, p, (edge ? 0.5 : 1.0) / span,
                  (edge && inside ? 0.5 : 1.0) / years, q);
    }
}

/* The target's measure at point end, or over start..end. */
static enum ns_status
measure_over(const struct ns_model *m, const struct ns_results *r,
             const struct ns_target_info *t, size_t start, size_t end,
             double *q, double *value, struct ns_expr_fault *fault)
{
    if (start == end) {
        enum ns_status st = point_quantities(m, r, t, end, q, fault);
        if (st != NS_OK)
            return st;
    } else {
        period_quantities(m, r, t, start, end, q);
    }
    return ns_measure_eval(m, t->measure, q, value, fault);
}

/* The target's value over start..end: its measure there, divided by its
 * measure at the relative_to point when it has one. q is scratch. */
static enum ns_status
target_value(const struct ns_population *pop, const struct ns_target_info *t,
             size_t start, size_t end, double *q, double *value,
             struct ns_expr_fault *fault)
{
    const struct ns_model *m = pop->models[0];
    const struct ns_results *r = target_results(pop, t);
    if (!r)
        return fail_with(fault, NS_FAULT_NONE, "no such subgroup");
    enum ns_status st = measure_over(m, r, t, start, end, q, value, fault);
    if (st != NS_OK || !t->has_relative_to)
        return st;
    double base;
    st = measure_over(m, r, t, t->relative_point, t->relative_point, q,
                      &base, fault);
    if (st != NS_OK)
        return st;
    if (!(fabs(base) > 0.0)) {
        char detail[96];
        snprintf(detail, sizeof detail,
                 "division by zero: the measure is 0 at relative_to = %g "
                 "years",
                 t->relative_to);
        return fail_with(fault, NS_FAULT_DIV_ZERO, detail);
    }
    *value /= base;
    return NS_OK;
}

enum ns_status
ns_target_measure_at(const struct ns_population *pop, size_t i, size_t point,
                     double *value, struct ns_expr_fault *fault)
{
    const struct ns_model *m = pop->models[0];
    double *q = calloc(ns_measure_n_quantities(m) + 1, sizeof *q);
    if (!q)
        return NS_ENOMEM;
    enum ns_status st =
        target_value(pop, &m->targets[i], point, point, q, value, fault);
    free(q);
    return st;
}

static void
report_fault(const struct ns_model *m, const struct ns_target_info *t,
             const struct ns_expr_fault *fault, struct ns_diags *diags)
{
    char column[32] = "";
    if (fault->column > 0)
        snprintf(column, sizeof column, " at column %zu", fault->column);
    ns_diags_add_at(diags, t->at, "target: measure %s: %s%s, for %s%s%s at %g years",
                    m->measures[t->measure].name, fault->detail, column,
                    t->arms, t->subgroup ? ", subgroup " : "",
                    t->subgroup ? t->subgroup : "", t->time_years);
}

/* The study's value for its whole sample: those followed up as observed,
 * the rest the model's lost_toward_intake of the way back to their intake
 * level (the model's own, at time point 0). A share stays within [0, 1]. */
static enum ns_status
whole_sample(const struct ns_population *pop, size_t i, double *whole,
             struct ns_expr_fault *fault)
{
    const struct ns_model *m = pop->models[0];
    const struct ns_target_info *t = &m->targets[i];
    double f = t->followed_up, share = m->lost_toward_intake;
    *whole = t->observed;
    if (f >= 1.0 || t->worse == 0 || !(share > 0.0))
        return NS_OK;
    double intake;
    enum ns_status st = ns_target_measure_at(pop, i, 0, &intake, fault);
    if (st != NS_OK)
        return st;
    double lost = t->observed + share * (intake - t->observed);
    *whole = f * t->observed + (1.0 - f) * lost;
    return NS_OK;
}

enum ns_status
ns_targets_evaluate(const struct ns_population *pop, const bool *use,
                    struct ns_target_result *out, struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    double *q = calloc(ns_measure_n_quantities(m) + 1, sizeof *q);
    if (!q)
        return NS_ENOMEM;
    enum ns_status status = NS_OK;
    for (size_t i = 0; i < m->n_targets; i++) {
        const struct ns_target_info *t = &m->targets[i];
        out[i] = (struct ns_target_result){NS_NAN, t->observed, NS_NAN,
                                           false};
        if (!t->in_horizon || (use && !use[i]))
            continue;
        struct ns_expr_fault fault;
        enum ns_status st = target_value(pop, t, t->start_point, t->point, q,
                                         &out[i].predicted, &fault);
        if (st == NS_ENOMEM) {
            status = st;
            break;
        }
        if (st != NS_OK) {
            report_fault(m, t, &fault, diags);
            out[i].predicted = NS_NAN;
            status = NS_EMODEL;
            continue;
        }
        st = whole_sample(pop, i, &out[i].whole, &fault);
        if (st == NS_ENOMEM) {
            status = st;
            break;
        }
        if (st != NS_OK) {
            report_fault(m, t, &fault, diags);
            status = NS_EMODEL;
            continue;
        }
        out[i].difference = out[i].predicted - out[i].whole;
        out[i].within = fabs(out[i].difference) <= t->tolerance;
    }
    free(q);
    return status;
}

/* netsave: measures of the results, and targets observed in studies.
 *
 * A group is a named sum of states ("daily = in_daily_*, out_daily_*"); a
 * measure is an expression over quantities of the results ("daily /
 * alive"): the occupancy of states and groups, and the annual rate of
 * value streams, named by stream, by a plain tag the streams carry
 * ("crime": every stream tagged crime, summed) or by payer ("victims":
 * every stream tagged payer:victims). A stream's rate at time point t is
 * its undiscounted value counted at t divided by (the counting weight of
 * t x the cycle length in years): per member of the starting cohort, per
 * year.
 *
 * A target says what a study observed for a measure, when, and in which
 * strategies: a target may mix strategies by weight (NTORS's residential
 * group is rehabilitation and inpatient clients, 286 and 122 of them), in
 * which case every quantity is the weighted mean over them, so a ratio of
 * groups is the ratio of the pooled counts. A target may also be taken on
 * one subgroup's results, averaged over a period (occupancy by the
 * trapezoid rule over the period's time points, streams as the mean
 * annual rate), and relative to the measure at another time (a value
 * "halved" is 0.5 relative to intake). Targets are either fitted to
 * (role fit) or held out for validation only (role holdout). */
#ifndef NS_MODEL_MEASURES_H
#define NS_MODEL_MEASURES_H

#include <stdbool.h>
#include <stddef.h>

#include "model/def.h"
#include "model/diag.h"
#include "model/expr.h"
#include "model/model.h"
#include "model/population.h"
#include "model/results.h"

/* Compiles the groups, measures and targets of def into m (called by
 * ns_model_compile once states, strategies, streams and counting weights
 * are known). Problems go to diags and set *failed. Returns NS_OK or
 * NS_ENOMEM. */
enum ns_status ns_measures_compile(const struct ns_model_def *def,
                                   struct ns_model *m, struct ns_diags *diags,
                                   bool *failed);
void ns_measures_free(struct ns_model *m);

/* The quantities a measure reads, in one array of n_states + n_streams:
 * the occupancy of each state, then each stream's annual rate. */
static inline size_t
ns_measure_n_quantities(const struct ns_model *m)
{
    return m->n_states + m->n_streams;
}

/* Whether measure i reads a stream, tag or payer (so needs rates). */
bool ns_measure_reads_streams(const struct ns_model *m, size_t i);

/* The value of measure i for quantities q (above). Returns NS_OK,
 * NS_EMODEL with *fault filled in (a division by zero, say), or
 * NS_ENOMEM. */
enum ns_status ns_measure_eval(const struct ns_model *m, size_t i,
                               const double *q, double *value,
                               struct ns_expr_fault *fault);

struct ns_target_result {
    double predicted;  /* the measure in the model */
    double whole;      /* the study's value for its whole sample, those lost
                          to follow-up included, under the model's
                          lost_toward_intake: the observed value when the
                          study followed everyone up, the assumption is 0,
                          or the target has no direction of worse */
    double difference; /* predicted - whole */
    bool within;       /* |difference| <= tolerance */
};

/* Checks that every subgroup a target of the population names exists
 * (with "did you mean" otherwise). Returns NS_OK or NS_EPARAM. */
enum ns_status ns_targets_check_subgroups(const struct ns_population *pop,
                                          struct ns_diags *diags);

/* Evaluates the targets of the population (those of its first model) on
 * its results: the pooled results, or a subgroup's for a target naming
 * one. Only targets with use[i] are evaluated (use NULL: all); out has
 * n_targets entries, NaN and not within for targets not evaluated or
 * beyond the horizon. Returns NS_OK, or NS_EMODEL with a diagnostic
 * (at the target's file:line) per target that could not be computed, or
 * NS_ENOMEM. */
enum ns_status ns_targets_evaluate(const struct ns_population *pop,
                                   const bool *use,
                                   struct ns_target_result *out,
                                   struct ns_diags *diags);

/* The value of target i as if it were taken at time point point, without
 * its period (its intake level at point 0, say). Relative targets stay
 * relative. Returns NS_OK, or NS_EMODEL with *fault filled in. */
enum ns_status ns_target_measure_at(const struct ns_population *pop,
                                    size_t i, size_t point, double *value,
                                    struct ns_expr_fault *fault);

/* True when the target's grade makes it binding (A or B) and it lies
 * within the model's horizon. */
bool ns_target_is_binding(const struct ns_target_info *t);

/* True when calibration may use target t: a fit target within the
 * horizon, graded A or B unless all_grades. Holdout targets never are. */
bool ns_target_is_fitted(const struct ns_target_info *t, bool all_grades);

#endif

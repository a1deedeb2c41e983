/* netsave: measures of the trace, and targets observed in studies.
 *
 * A group is a named sum of states ("daily = in_daily_*, out_daily_*"); a
 * measure is an expression over the occupancy of states and groups
 * ("daily / alive"), evaluated at a time point. A target says what a study
 * observed for a measure, when, and in which strategies: a target may mix
 * strategies by weight (NTORS's residential group is rehabilitation and
 * inpatient clients, 286 and 122 of them), in which case the measure is
 * evaluated on the weighted mean of their traces, so a ratio of groups is
 * the ratio of the pooled counts. */
#ifndef NS_MODEL_MEASURES_H
#define NS_MODEL_MEASURES_H

#include <stdbool.h>
#include <stddef.h>

#include "model/def.h"
#include "model/diag.h"
#include "model/expr.h"
#include "model/model.h"
#include "model/results.h"

/* Compiles the groups, measures and targets of def into m (called by
 * ns_model_compile once states and strategies are known). Problems go to
 * diags and set *failed. Returns NS_OK or NS_ENOMEM. */
enum ns_status ns_measures_compile(const struct ns_model_def *def,
                                   struct ns_model *m, struct ns_diags *diags,
                                   bool *failed);
void ns_measures_free(struct ns_model *m);

/* The value of measure i for an occupancy of the model's states. Returns
 * NS_OK, NS_EMODEL with *fault filled in (a division by zero, say), or
 * NS_ENOMEM. */
enum ns_status ns_measure_eval(const struct ns_model *m, size_t i,
                               const double *occupancy, double *value,
                               struct ns_expr_fault *fault);

struct ns_target_result {
    double predicted;  /* the measure in the model */
    double difference; /* predicted - observed */
    bool within;       /* |difference| <= tolerance */
};

/* Evaluates every target of the model on results (pooled over subgroups
 * when given the pooled results). out has model->n_targets entries.
 * Returns NS_OK, or NS_EMODEL with a diagnostic per target that could not
 * be computed. */
enum ns_status ns_targets_evaluate(const struct ns_model *m,
                                   const struct ns_results *r,
                                   struct ns_target_result *out,
                                   struct ns_diags *diags);

/* The measure of target i, for its arms, at another time point (its
 * intake level at point 0, say). */
enum ns_status ns_target_measure_at(const struct ns_model *m,
                                    const struct ns_results *r, size_t i,
                                    size_t point, double *value,
                                    struct ns_expr_fault *fault);

/* True when the target's grade makes it binding (A or B) and it lies
 * within the model's horizon. */
bool ns_target_is_binding(const struct ns_target_info *t);

#endif

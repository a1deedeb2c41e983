/* netsave: the model against the targets it names (netsave validate).
 *
 * Every target is evaluated (model/measures.h) and counted by role: fit
 * targets (what calibrate fits to) and holdout targets (never fitted, so
 * a test out of sample). A target graded A or B is binding: validate
 * fails when one is not within its tolerance. */
#ifndef NS_ANALYSIS_VALIDATION_H
#define NS_ANALYSIS_VALIDATION_H

#include <stddef.h>

#include "model/diag.h"
#include "model/measures.h"
#include "model/netsave.h"
#include "model/population.h"

/* How many targets are within tolerance, in all and binding. */
struct ns_target_tally {
    size_t n, within, binding, binding_within;
};

/* A validation, owning its results. */
struct ns_validation {
    size_t n_targets;
    struct ns_target_result *results; /* [n_targets] */
    enum ns_status evaluated; /* NS_OK, or why some target could not be
                                 computed (NaN in its result; the
                                 diagnostics say which) */
    struct ns_target_tally fit, holdout;
};

/* Evaluates every target of the population's model. Returns NS_OK with
 * *out set (free with ns_validation_free) even when a target cannot be
 * computed (see evaluated), or NS_ENOMEM. */
enum ns_status ns_validation_run(const struct ns_population *pop,
                                 struct ns_validation **out,
                                 struct ns_diags *diags);

/* Counts the targets of a role (and, when arms is not NULL, of that mix
 * of arms) into *t. */
void ns_validation_tally(const struct ns_model *m,
                         const struct ns_target_result *res,
                         enum ns_target_role role, const char *arms,
                         struct ns_target_tally *t);

/* Binding targets, fit and holdout, not within tolerance. */
size_t ns_validation_missed(const struct ns_validation *v);

void ns_validation_free(struct ns_validation *v);

#endif

/* netsave: calibration of free parameters to observed targets.
 *
 * The parameters a model marks as free ([calibrate]: a name and bounds)
 * are fitted to its fit targets (model/measures.h; never to those held out
 * for validation) by minimising the sum over those targets of
 * ((predicted - observed) / tolerance)^2, so that each target
 * weighs by how precisely the study measured it. The search is GSL's
 * Nelder-Mead simplex (nmsimplex2) on logit-transformed parameters, so it
 * never leaves the bounds, from several starting points: the parameters'
 * current values, then points drawn uniformly within the bounds from a
 * seeded generator, so a fit is reproducible. */
#ifndef NS_ANALYSIS_CALIBRATE_H
#define NS_ANALYSIS_CALIBRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "model/diag.h"
#include "model/measures.h"
#include "model/netsave.h"
#include "model/population.h"

struct ns_calibration_options {
    bool all_targets;      /* also fit targets graded C and U (holdout
                              targets are never used) */
    size_t n_starts;       /* starting points, at least 1 */
    unsigned long seed;    /* of the starting points after the first */
    size_t max_iterations; /* per start */
    double size_tolerance; /* stop when the simplex is this small (in the
                              transformed parameters) */
    const double *observed; /* [n_targets]: values to fit instead of the
                               targets' own (attrition analysis); NULL:
                               the targets' */
    /* Called after every iteration when not NULL. */
    void (*progress)(void *ctx, size_t start, size_t iteration,
                     double objective);
    void *progress_ctx;
};

struct ns_calibration_result {
    double *fitted;        /* [n_free_params]; caller-allocated */
    double objective;      /* at the best point */
    double start_objective; /* at the parameters' current values */
    size_t n_targets_used;
    size_t n_holdout;      /* holdout targets, left out */
    size_t n_evaluations;
    size_t best_start;     /* which start found the best point (0-based) */
    bool converged;        /* the best start met the size tolerance */
};

/* Fits the free parameters of the population's first model (all
 * subgroups share its parameter layout) and leaves the population run at
 * the best point found, so its results are the fitted model's. Returns
 * NS_OK, NS_EPARAM when there is nothing to fit (no free parameters or no
 * targets used) with a diagnostic, NS_EGSL or NS_ENOMEM. */
enum ns_status ns_calibrate(struct ns_population *pop,
                            const struct ns_calibration_options *opt,
                            struct ns_calibration_result *out,
                            struct ns_diags *diags);

/* netsave calibrate's defaults: three starts (the model's values, then two
 * random ones) from seed 1; a simplex this small no longer moves the fit
 * by anything a target's tolerance would notice. */
#define NS_CALIBRATE_STARTS_DEFAULT 3
#define NS_CALIBRATE_STARTS_MAX 100
#define NS_CALIBRATE_SEED_DEFAULT 1
#define NS_CALIBRATE_MAX_ITERATIONS 2000
#define NS_CALIBRATE_SIZE_TOLERANCE 1e-4

/* A calibration and what it found, owning its arrays. */
struct ns_calibration {
    struct ns_calibration_result fit;  /* fit.fitted is owned */
    double *before;                    /* [n_free_params] as written */
    struct ns_target_result *targets;  /* [n_targets] at the fit; fit
                                          targets only (holdout targets
                                          are never evaluated) */
};

/* Calibrates (ns_calibrate), then evaluates the fit targets at the fit,
 * then leaves the population run as written. Returns NS_OK with *out set
 * (free with ns_calibration_free), or what failed. */
enum ns_status ns_calibration_run(struct ns_population *pop,
                                  const struct ns_calibration_options *opt,
                                  struct ns_calibration **out,
                                  struct ns_diags *diags);

void ns_calibration_free(struct ns_calibration *c);

#endif

/* netsave: running a compiled model.
 *
 * For each strategy: parameters are computed (once, or again whenever the
 * model time or time-in-state they depend on changes), the cohort starts
 * in its initial distribution, and each cycle moves it along the
 * transition probabilities. Every probability is checked in every cycle
 * for every strategy: one outside [0, 1], or a row that does not sum to 1
 * within the model's tolerance, stops that strategy with a diagnostic
 * naming strategy, cycle, state and value. Values are counted at each
 * time point with the counting weights and discounted per outcome
 * (see model/results.h for exactly what is stored). */
#ifndef NS_MODEL_ENGINE_H
#define NS_MODEL_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "model/diag.h"
#include "model/model.h"
#include "model/netsave.h"
#include "model/results.h"

/* Scratch memory for runs of one model; reuse it across runs so that
 * running allocates nothing. NULL if memory runs out. */
struct ns_workspace;
struct ns_workspace *ns_workspace_alloc(const struct ns_model *model);
void ns_workspace_free(struct ns_workspace *ws);

/* A workspace for ns_model_run_lanes: 'lanes' sets of parameter values
 * (2 to NS_EXPR_MAX_LANES) run at once; NULL for more, or out of memory. */
struct ns_workspace *ns_workspace_alloc_lanes(const struct ns_model *model,
                                              size_t lanes);
size_t ns_workspace_lanes(const struct ns_workspace *ws);

/* With skip, runs in ws leave the results' traces (state occupancy) as
 * they were: for analyses that read only values and totals, such as a
 * PSA, where writing every lane's trace would cost a fifth of the run. */
void ns_workspace_skip_trace(struct ns_workspace *ws, bool skip);

/* Runs every strategy of the model into results (allocated for this
 * model). Returns NS_OK, or NS_EMODEL with one diagnostic per strategy
 * that failed (the results of failed strategies are meaningless). */
enum ns_status ns_model_run(const struct ns_model *model,
                            struct ns_workspace *ws,
                            struct ns_results *results,
                            struct ns_diags *diags);

/* Ways to run a model other than as written, for sensitivity analysis,
 * calibration and the verification checks. A zeroed struct (or NULL)
 * runs the model as written. */
struct ns_run_options {
    bool zero_discount;            /* every discount factor is 1 */
    const double *param_override;  /* [n_params]: a value that replaces the
                                      parameter's in every strategy, or NaN
                                      to keep it; NULL: none */
    const size_t *definition_of;   /* [n_strategies]: strategy k is run
                                      with the parameters, transitions and
                                      initial state of strategy
                                      definition_of[k]; NULL: its own */
    const double *stream_scale;    /* [n_streams]: each stream's values are
                                      multiplied by this; NULL: 1 */
};

/* ns_model_run with options (NULL: as written); ws has one lane. */
enum ns_status ns_model_run_opt(const struct ns_model *model,
                                struct ns_workspace *ws,
                                struct ns_results *results,
                                struct ns_diags *diags,
                                const struct ns_run_options *opt);

/* Runs the model once per lane of ws, lane l with param_override[l] (as
 * ns_run_options.param_override) into results[l]. Each lane's results are
 * bit-identical to ns_model_run_opt's with that override, and the model
 * is interpreted once for all lanes. Returns NS_OK, or NS_EMODEL without
 * diagnostics when any lane fails, or when the lanes do not override the
 * same parameters (NaN in the same places): run the lanes one by one to
 * learn which and why. */
enum ns_status ns_model_run_lanes(const struct ns_model *model,
                                  struct ns_workspace *ws,
                                  struct ns_results *const *results,
                                  const double *const *param_override);

#endif

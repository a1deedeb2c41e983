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

#include "model/diag.h"
#include "model/model.h"
#include "model/netsave.h"
#include "model/results.h"

/* Scratch memory for runs of one model; reuse it across runs so that
 * running allocates nothing. NULL if memory runs out. */
struct ns_workspace;
struct ns_workspace *ns_workspace_alloc(const struct ns_model *model);
void ns_workspace_free(struct ns_workspace *ws);

/* Runs every strategy of the model into results (allocated for this
 * model). Returns NS_OK, or NS_EMODEL with one diagnostic per strategy
 * that failed (the results of failed strategies are meaningless). */
enum ns_status ns_model_run(const struct ns_model *model,
                            struct ns_workspace *ws,
                            struct ns_results *results,
                            struct ns_diags *diags);

#endif

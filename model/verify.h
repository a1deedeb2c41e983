/* netsave: verification checks run on every result (TECH-VER black-box
 * tests).
 *
 * A run's results are checked against what any sound cohort model must
 * give, whatever its parameters:
 *   1. the cohort's mass is conserved in every cycle of every strategy;
 *   2. every probability is within [0, 1] and every row sums to 1;
 *   3. absorbing states never shrink;
 *   4. a strategy identical to its comparator gives zero incremental
 *      results;
 *   5. with zero discount rates, discounted equals undiscounted;
 *   6. doubling one stream doubles it and changes nothing else;
 *   7. running again gives the same results (determinism).
 * Checks 4 to 7 run the model again with ns_model_run_opt (model/engine.h)
 * into scratch results. Each check is one struct ns_check; a failed check
 * says what failed and where (strategy, cycle, state or stream), so that
 * a regression in the engine, the ledger or the discounting shows up as a
 * failed check in every run rather than as a wrong number in a workbook.
 * Exact comparisons are exact: the engine computes both sides of each
 * with the same operations in the same order, so any difference at all
 * is a fault. */
#ifndef NS_MODEL_VERIFY_H
#define NS_MODEL_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "model/diag.h"
#include "model/engine.h"
#include "model/model.h"
#include "model/netsave.h"
#include "model/results.h"

/* The cohort's total may drift by this much, relative to its size (or
 * absolutely, for cohorts smaller than 1), from one time point to the
 * start. A step moves each state's occupancy through a handful of
 * products and sums, each exact to half an ulp (1.1e-16), so a sound run
 * of a hundred states over a few hundred cycles drifts by 1e-13 at most;
 * a leak a modeller could notice (a probability missing a digit) is
 * 1e-4 or more. Note that the engine accepts rows that sum to 1 within
 * the model's row_sum_tolerance (1e-9 by default) without rescaling them,
 * so a row that is off by more than this, though accepted, fails here. */
#define NS_VERIFY_MASS_TOLERANCE 1e-12

/* The checks' names, as they appear in struct ns_check. */
#define NS_CHECK_MASS          "mass conserved"
#define NS_CHECK_PROBABILITIES "probabilities within [0, 1]"
#define NS_CHECK_ABSORBING     "absorbing states never shrink"
#define NS_CHECK_COMPARATOR    "identical strategies give zero increments"
#define NS_CHECK_DISCOUNT      "zero discounting changes nothing"
#define NS_CHECK_STREAMS       "doubling a stream doubles it alone"
#define NS_CHECK_RERUN         "same results when run again"

struct ns_check {
    char group[64];   /* the subgroup checked, or "" for a whole model */
    char name[64];    /* one of NS_CHECK_* */
    bool passed;
    char detail[256]; /* one line: what was checked, or the first failure
                         ("strategy mmt, cycle 7: ...") and how many more */
};

/* A caller-owned list of checks; a zeroed struct is an empty list. */
struct ns_checks {
    struct ns_check *items;
    size_t n, cap;
};

/* Frees the list and leaves it empty. */
void ns_checks_clear(struct ns_checks *checks);

/* True when every check in the list passed (and the list is not empty). */
bool ns_checks_all_passed(const struct ns_checks *checks);

/* Runs checks 1 to 7 on results r of a successful ns_model_run of m (a
 * failed run's results are meaningless and fail checks at random),
 * running m again with ws as needed, and appends one struct ns_check per
 * check to out, in the order above. Check 6 runs the model once per
 * stream. Returns NS_OK when every check ran, whether or not it passed;
 * NS_EMODEL when a run failed (its diagnostics go to diags, the check it
 * served fails, and the other checks still run); or NS_ENOMEM. */
enum ns_status ns_verify_model(const struct ns_model *m,
                               const struct ns_results *r,
                               struct ns_workspace *ws, struct ns_checks *out,
                               struct ns_diags *diags);

/* ---- The checks one at a time ----
 *
 * What ns_verify_model calls once it has the runs each check needs; a
 * caller that already has them (or a test that alters them, to see a
 * regression caught) may call them directly. Each appends one check and
 * returns NS_OK, or NS_ENOMEM. */

/* Check 1 on the trace of r. */
enum ns_status ns_check_mass(const struct ns_model *m,
                             const struct ns_results *r,
                             struct ns_checks *out);

/* Check 2: the engine checks every probability and row as it runs, so
 * here only what that guarantees of r: every occupancy is finite and not
 * negative. */
enum ns_status ns_check_probabilities(const struct ns_model *m,
                                      const struct ns_results *r,
                                      struct ns_checks *out);

/* Check 3 on the trace of r. A state is absorbing in a strategy when its
 * only transition is to itself, with probability the constant 1 (or the
 * complement of nothing). */
enum ns_status ns_check_absorbing(const struct ns_model *m,
                                  const struct ns_results *r,
                                  struct ns_checks *out);

/* Fills definition_of[n_strategies] so that every strategy runs as the
 * root of its comparator chain (the first strategy without a comparator;
 * for a cycle of comparators, its lowest-numbered member): then every
 * strategy is identical to its comparator. Returns false when no strategy
 * has a comparator. */
bool ns_verify_same_definitions(const struct ns_model *m,
                                size_t *definition_of);

/* Check 4 on results same_run of a run with ns_verify_same_definitions:
 * for every strategy with a comparator, every stream total (discounted
 * and not) equals the comparator's, and the ledger (every perspective and
 * all payers, discounted and not) has treatment cost, savings and net
 * savings all exactly 0. */
enum ns_status ns_check_same_as_comparator(const struct ns_model *m,
                                           const struct ns_results *same_run,
                                           struct ns_checks *out);

/* Check 5: 'zero' holds a run with zero_discount; its discounted values
 * and totals equal its undiscounted ones, which equal those of r. */
enum ns_status ns_check_zero_discount(const struct ns_model *m,
                                      const struct ns_results *r,
                                      const struct ns_results *zero,
                                      struct ns_checks *out);

/* Check 7: 'again' holds a second run as written; trace, values, totals
 * and parameter values equal those of r. */
enum ns_status ns_check_rerun(const struct ns_model *m,
                              const struct ns_results *r,
                              const struct ns_results *again,
                              struct ns_checks *out);

struct ns_population;

/* Runs ns_verify_model on every subgroup of a population that has been
 * run, naming the subgroup in each check's group when there are several.
 * Returns as ns_verify_model does. */
enum ns_status ns_verify_population(const struct ns_population *pop,
                                    struct ns_checks *out,
                                    struct ns_diags *diags);

#endif

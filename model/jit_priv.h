/* netsave: the native code attached to a model (model/jit.h), as the
 * engine calls it. Private to model/. */
#ifndef NS_MODEL_JIT_PRIV_H
#define NS_MODEL_JIT_PRIV_H

#include <stddef.h>

#include "model/compiled.h"
#include "model/expr.h"

/* The lanes the native code is made for: a PSA's (model/analysis/psa.c). */
#define NS_JIT_LANES NS_EXPR_FAST_LANES

/* Program 'which' of a chunk of programs, over its lanes: vars and out
 * as ns_expr_eval_lanes's (one lane: as ns_expr_eval's), tables the
 * model's tables. Nonzero when some lane faults, where ns_expr_eval
 * would. */
typedef int ns_jit_chunk_fn(int which, const double *vars,
                            const char *tables, double *out);

/* An expression's native code: fn NULL, none (it is interpreted). */
struct ns_jit_entry {
    ns_jit_chunk_fn *fn;
    int which;
};

/* The cycles of a settled run, from time point 'from' to T, over
 * NS_JIT_LANES lanes: the cohort at 'from' (occ, [n_expanded] x L), the
 * moves as the engine lists them (mv_prob), every state's constant value
 * (sv, [n_streams * n_states] x L), the counting weights [T + 1], each
 * stream's scale [n_streams] and discount factors ([n_streams * (T + 1)]).
 * Does for points from..T what add_state_values and discount_and_total
 * do: writes each stream's value, weighted and scaled, and discounted, to
 * each lane's values[l] and values_disc[l] ([(T + 1) * n_streams], the
 * strategy's part of its results, +0 from 'from' on), and adds them to
 * the running totals (totals, [2 * n_streams] x L: undiscounted and
 * discounted, each stream in turn), lanes side by side. */
typedef void ns_jit_settled_fn(const double *occ, const double *mv_prob,
                               const double *sv, const double *weights,
                               const double *scale, const double *discount,
                               double *const *values,
                               double *const *values_disc, double *totals,
                               long from, long T);

/* A cycle of a run that is not settled, over NS_JIT_LANES lanes, once
 * every probability and transition value of the cycle has been evaluated
 * (known: the engine's known values, [n_exprs] x L; row_probs: the rows
 * computed once, [n_states * n_states] x L; slot_vals: what rows computed
 * per tunnel slot read, see ns_jit_slot_width): checks and normalises the
 * rows as the engine does, moves the cohort from occ into next, and sums
 * the cycle's transition values into tv_sum ([n_streams] x L). Nonzero
 * when some lane fails a check. */
typedef int ns_jit_step_fn(const double *occ, double *next,
                           const double *known, const double *row_probs,
                           const double *slot_vals, double *tv_sum,
                           const double *scale);

/* For a row that depends on time in state (computed per tunnel slot):
 * the values of each slot, lanes side by side, as the engine lays them
 * out for a step kernel: the row's entries (the complement's unused),
 * then every transition value its moves book, in booking order. States
 * with such rows follow one another, each n_slots * width values. */
static inline size_t
ns_jit_slot_width(const struct ns_model_priv *p, const struct ns_row *row,
                  size_t s)
{
    size_t n = row->n;
    for (size_t i = 0; i < row->n; i++)
        for (size_t k = 0; k < p->n_tvalues; k++)
            n += p->tvalues[k].from == s &&
                 p->tvalues[k].to == row->entries[i].to;
    return n;
}

struct ns_jit {
    struct ns_jit_code *code;    /* the machine code, shared with the
                                    models compiled at the same time */
    struct ns_jit_entry *lanes;  /* [n_exprs] for NS_JIT_LANES lanes */
    struct ns_jit_entry *one;    /* [n_exprs] for one lane */
    ns_jit_settled_fn **settled; /* [n_strategies] or NULL entries */
    ns_jit_step_fn **step;       /* [n_strategies] or NULL entries */
};

void ns_jit_free(struct ns_jit *jit);

#endif

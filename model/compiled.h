/* netsave: the private side of a compiled model. Private to model/: used
 * by the compiler (compile*.c, which builds it), the engine (engine.c,
 * which runs it), verify.c (which reads its expressions) and measures.c
 * (its name indexes); never by another layer's code. bench/engine_bench.c
 * also reads it, as a white-box benchmark of the engine.
 *
 * Variables: every expression reads doubles from one array laid out as
 * the built-in names (NS_VAR_*) followed by the parameters. Parameter p's
 * program for strategy k is param_expr[k * n_params + p]: the strategy's
 * override if it has one, else the shared definition. Dependency flags say
 * which parameters and expressions must be recomputed when model time or
 * time-in-state changes, so constant ones are computed once per run.
 *
 * Expanded states: state s with time-in-state tracking occupies n_slots[s]
 * consecutive tunnel states starting at first_x[s]; slot q holds those who
 * have spent q cycles in s (the last slot: q or more). */
#ifndef NS_MODEL_COMPILED_H
#define NS_MODEL_COMPILED_H

#include "model/expr.h"
#include "model/model.h"
#include "model/names.h"

enum ns_var {
    NS_VAR_CYCLE = 0,  /* cycle: transitions, the cycle being made (1..T);
                          values, the time point (0..T) */
    NS_VAR_TIME,       /* years since the start at the time point where the
                          cycle starts or the value is counted */
    NS_VAR_AGE,        /* start_age + time */
    NS_VAR_STATE_TIME, /* cycles already spent in the current state */
    NS_VAR_COUNT
};

enum {
    NS_DEP_TIME = 1u,       /* reads cycle, time or age */
    NS_DEP_STATE_TIME = 2u, /* reads state_time */
    NS_DEP_CYCLE = 4u       /* reads cycle (with NS_DEP_TIME): the values
                               at time point t and in cycle t + 1 share
                               time and age, but not cycle */
};

/* Where a parameter is needed: parameters are computed only where
 * something reads them, so p = 0.1 / cycle, read only by transitions
 * (cycles 1..T), is never computed at time point 0. */
enum {
    NS_NEED_INIT = 1u,  /* by an initial value (at the start) */
    NS_NEED_VALUE = 2u, /* by a state value (at time points) */
    NS_NEED_TRANS = 4u  /* by a transition or transition value (cycles) */
};

struct ns_compiled_expr {
    struct ns_expr *expr;  /* NULL: the complement of a row */
    struct ns_origin at;
    const char *what;      /* "transition sick -> dead", owned by priv */
    bool is_complement;    /* the remainder of its row, expr is NULL */
};

struct ns_row_entry {
    size_t to;             /* base state */
    size_t def;            /* index into priv->exprs */
};

struct ns_row {
    struct ns_row_entry *entries;
    size_t n;
    long complement;       /* index into entries of the complement, or -1 */
};

struct ns_transition_value {
    size_t stream, from, to;
    size_t def;            /* index into priv->exprs */
};

struct ns_model_priv {
    size_t n_vars, n_params;
    char **param_names;              /* [n_params] */
    size_t *param_def;               /* [k * n_params + p] into exprs */
    unsigned *param_dep;             /* [k * n_params + p] */
    unsigned *param_need;            /* [k * n_params + p] NS_NEED_* */
    size_t *order;                   /* [k * n_params + i] evaluation order */

    struct ns_compiled_expr *exprs;  /* every expression, owning programs */
    size_t n_exprs;
    char **whats;                    /* owned descriptions */
    size_t n_whats;

    struct ns_row *rows;             /* [k * n_states + s] */
    long *initial_def;               /* [k * n_states + s] into exprs, -1: 0 */
    size_t *value_def;               /* [j * n_states + s] into exprs */
    struct ns_transition_value *tvalues;
    size_t n_tvalues;
    unsigned *expr_dep;              /* [k * n_exprs + e] */

    size_t *n_slots, *first_x;       /* [n_states] */
    size_t n_expanded;

    struct ns_table *tables;         /* [n_tables], storage owned below */
    char **table_names;
    double **table_storage;
    size_t n_tables;

    /* Names to indices, over the model's own copies of the names: the
     * one way to find a state, strategy, stream, outcome, parameter,
     * table or payer by name (model/names.h). */
    struct ns_name_index *state_ix, *strategy_ix, *stream_ix, *outcome_ix;
    struct ns_name_index *param_ix, *table_ix, *payer_ix;

    /* Native code for this model (model/jit.h), or NULL: interpreted. */
    struct ns_jit *jit;
};

/* The dependency flags (NS_DEP_*) of expression e for one strategy,
 * whose parameters' flags are param_dep[n_params]: what it reads of time,
 * cycle and time in state, directly or through parameters. */
unsigned ns_expr_deps(const struct ns_expr *e, const unsigned *param_dep);

#endif

/* netsave: a read-only view of a compiled model's programs.
 *
 * For code outside model/ that rebuilds the model in another form (the
 * live workbook, output/xlsx_live.c, writes it as spreadsheet formulas):
 * which expression defines each parameter, transition, initial value and
 * value, what each reads and depends on, and the look-up tables. The
 * engine's conventions (model/engine.c) say how they combine; nothing
 * here knows of any file format. Every pointer returned is owned by the
 * model and valid while it lives. */
#ifndef NS_MODEL_VIEW_H
#define NS_MODEL_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "model/expr.h"
#include "model/model.h"

/* The variables expressions read: the built-in names (cycle, time, age,
 * state_time, in that order: slots 0..3), then the parameters. */
enum { NS_VIEW_CYCLE = 0, NS_VIEW_TIME, NS_VIEW_AGE, NS_VIEW_STATE_TIME,
       NS_VIEW_BUILTINS };

/* What an expression depends on (any of these bits). */
enum {
    NS_VIEW_DEP_TIME = 1u,       /* reads cycle, time or age */
    NS_VIEW_DEP_STATE_TIME = 2u, /* reads state_time */
    NS_VIEW_DEP_CYCLE = 4u       /* reads cycle */
};

size_t ns_view_n_vars(const struct ns_model *m);
/* "cycle", "time", "age", "state_time" or the parameter's name. */
const char *ns_view_var_name(const struct ns_model *m, size_t slot);

/* Parameter p's program in strategy k (its override, or the shared one),
 * its dependency bits, and the k-th evaluation order (i-th parameter to
 * compute, each after what it reads). */
const struct ns_expr *ns_view_param(const struct ns_model *m, size_t k,
                                    size_t p);
unsigned ns_view_param_dep(const struct ns_model *m, size_t k, size_t p);
size_t ns_view_param_order(const struct ns_model *m, size_t k, size_t i);

/* Initial occupancy of state s in strategy k, or NULL for 0. */
const struct ns_expr *ns_view_initial(const struct ns_model *m, size_t k,
                                      size_t s);

/* Row s of strategy k: n entries; entry i goes to base state *to with
 * the program *expr, NULL for the row's complement. */
size_t ns_view_row_n(const struct ns_model *m, size_t k, size_t s);
void ns_view_row_entry(const struct ns_model *m, size_t k, size_t s,
                       size_t i, size_t *to, const struct ns_expr **expr);

/* Stream j's value in state s. */
const struct ns_expr *ns_view_state_value(const struct ns_model *m, size_t j,
                                          size_t s);

/* Values booked on transitions: stream, from, to and program. */
size_t ns_view_n_transition_values(const struct ns_model *m);
void ns_view_transition_value(const struct ns_model *m, size_t i,
                              size_t *stream, size_t *from, size_t *to,
                              const struct ns_expr **expr);

/* Tunnel slots of state s (1: time in s is not tracked). */
size_t ns_view_n_slots(const struct ns_model *m, size_t s);

/* Look-up tables. */
size_t ns_view_n_tables(const struct ns_model *m);
const struct ns_table *ns_view_table(const struct ns_model *m, size_t i);

/* What a program reads, as NS_VIEW_DEP_* bits, for strategy k: through
 * the parameters it reads, too. */
unsigned ns_view_expr_dep(const struct ns_model *m, size_t k,
                          const struct ns_expr *expr);

#endif

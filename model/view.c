/* netsave: a read-only view of a compiled model's programs
 * (model/view.h), over the private side model/compiled.h describes. */
#include "model/view.h"

#include "model/compiled.h"

_Static_assert((int)NS_VIEW_CYCLE == (int)NS_VAR_CYCLE &&
                   (int)NS_VIEW_STATE_TIME == (int)NS_VAR_STATE_TIME &&
                   (int)NS_VIEW_BUILTINS == (int)NS_VAR_COUNT &&
                   (int)NS_VIEW_DEP_TIME == (int)NS_DEP_TIME &&
                   (int)NS_VIEW_DEP_STATE_TIME == (int)NS_DEP_STATE_TIME &&
                   (int)NS_VIEW_DEP_CYCLE == (int)NS_DEP_CYCLE,
               "model/view.h must follow model/compiled.h");

size_t
ns_view_n_vars(const struct ns_model *m)
{
    return m->priv->n_vars;
}

const char *
ns_view_var_name(const struct ns_model *m, size_t slot)
{
    static const char *const builtin[] = {"cycle", "time", "age",
                                          "state_time"};
    if (slot < NS_VAR_COUNT)
        return builtin[slot];
    return m->priv->param_names[slot - NS_VAR_COUNT];
}

const struct ns_expr *
ns_view_param(const struct ns_model *m, size_t k, size_t p)
{
    const struct ns_model_priv *v = m->priv;
    return v->exprs[v->param_def[k * v->n_params + p]].expr;
}

unsigned
ns_view_param_dep(const struct ns_model *m, size_t k, size_t p)
{
    return m->priv->param_dep[k * m->priv->n_params + p];
}

size_t
ns_view_param_order(const struct ns_model *m, size_t k, size_t i)
{
    return m->priv->order[k * m->priv->n_params + i];
}

const struct ns_expr *
ns_view_initial(const struct ns_model *m, size_t k, size_t s)
{
    long x = m->priv->initial_def[k * m->n_states + s];
    return x < 0 ? NULL : m->priv->exprs[x].expr;
}

size_t
ns_view_row_n(const struct ns_model *m, size_t k, size_t s)
{
    return m->priv->rows[k * m->n_states + s].n;
}

void
ns_view_row_entry(const struct ns_model *m, size_t k, size_t s, size_t i,
                  size_t *to, const struct ns_expr **expr)
{
    const struct ns_row *row = &m->priv->rows[k * m->n_states + s];
    *to = row->entries[i].to;
    *expr = (long)i == row->complement
                ? NULL
                : m->priv->exprs[row->entries[i].def].expr;
}

const struct ns_expr *
ns_view_state_value(const struct ns_model *m, size_t j, size_t s)
{
    return m->priv->exprs[m->priv->value_def[j * m->n_states + s]].expr;
}

size_t
ns_view_n_transition_values(const struct ns_model *m)
{
    return m->priv->n_tvalues;
}

void
ns_view_transition_value(const struct ns_model *m, size_t i, size_t *stream,
                         size_t *from, size_t *to, const struct ns_expr **expr)
{
    const struct ns_transition_value *tv = &m->priv->tvalues[i];
    *stream = tv->stream;
    *from = tv->from;
    *to = tv->to;
    *expr = m->priv->exprs[tv->def].expr;
}

size_t
ns_view_n_slots(const struct ns_model *m, size_t s)
{
    return m->priv->n_slots[s];
}

size_t
ns_view_n_tables(const struct ns_model *m)
{
    return m->priv->n_tables;
}

const struct ns_table *
ns_view_table(const struct ns_model *m, size_t i)
{
    return &m->priv->tables[i];
}

unsigned
ns_view_expr_dep(const struct ns_model *m, size_t k, const struct ns_expr *e)
{
    return ns_expr_deps(e, &m->priv->param_dep[k * m->priv->n_params]);
}

/* netsave: the engine's workspace, allocated for a model and a number of
 * lanes (model/engine.h; its fields in model/engine_priv.h). */
#include "model/engine.h"

#include <stdlib.h>

#include "model/compiled.h"
#include "model/engine_priv.h"
#include "model/jit_priv.h"

/* Fills ws->tv_start and ws->tv_list by counting sort on (from, to). */
static void
index_transition_values(const struct ns_model *model, struct ns_workspace *ws)
{
    const struct ns_model_priv *p = model->priv;
    size_t S = model->n_states;
    for (size_t i = 0; i < p->n_tvalues; i++)
        ws->tv_start[p->tvalues[i].from * S + p->tvalues[i].to + 1]++;
    for (size_t c = 0; c < S * S; c++)
        ws->tv_start[c + 1] += ws->tv_start[c];
    for (size_t i = 0; i < p->n_tvalues; i++) {
        size_t c = p->tvalues[i].from * S + p->tvalues[i].to;
        /* tv_start[c] is moved on while filling and restored below. */
        ws->tv_list[ws->tv_start[c]++] = i;
    }
    for (size_t c = S * S; c > 0; c--)
        ws->tv_start[c] = ws->tv_start[c - 1];
    ws->tv_start[0] = 0;
    for (size_t j = 0; j < model->n_streams; j++)
        for (size_t i = 0; i < p->n_tvalues; i++)
            if (p->tvalues[i].stream == j) {
                ws->tv_streams[ws->n_tv_streams++] = j;
                break;
            }
}

/* The most values any strategy's rows computed per tunnel slot need
 * (see ns_jit_slot_width): every state with slots counted, as the
 * strategies' rows may differ. */
static size_t
slot_vals_needed(const struct ns_model *model)
{
    const struct ns_model_priv *p = model->priv;
    size_t S = model->n_states, most = 0;
    for (size_t d = 0; d < model->n_strategies; d++) {
        size_t n = 0;
        for (size_t s = 0; s < S; s++)
            if (p->n_slots[s] > 1)
                n += p->n_slots[s] *
                     ns_jit_slot_width(p, &p->rows[d * S + s], s);
        most = n > most ? n : most;
    }
    return most;
}

struct ns_workspace *
ns_workspace_alloc(const struct ns_model *model)
{
    return ns_workspace_alloc_lanes(model, 1);
}

struct ns_workspace *
ns_workspace_alloc_lanes(const struct ns_model *model, size_t lanes)
{
    const struct ns_model_priv *p = model->priv;
    struct ns_workspace *ws = calloc(1, sizeof *ws);
    if (!ws || lanes == 0 || lanes > NS_EXPR_MAX_LANES) {
        free(ws);
        return NULL;
    }
    size_t L = ws->L = lanes;
    size_t S = model->n_states, J = model->n_streams, X = p->n_expanded;
    size_t n_points = model->n_cycles + 1;
    ws->vars = calloc(p->n_vars * L + 1, sizeof *ws->vars);
    ws->occ = calloc(X * L + 1, sizeof *ws->occ);
    ws->next = calloc(X * L + 1, sizeof *ws->next);
    ws->probs = calloc(S * L + 1, sizeof *ws->probs);
    ws->acc = calloc(L + 1, sizeof *ws->acc);
    ws->sum = calloc(L + 1, sizeof *ws->sum);
    ws->flow = calloc(L + 1, sizeof *ws->flow);
    ws->trace = calloc(S * L + 1, sizeof *ws->trace);
    ws->known_value = calloc(p->n_exprs * L + 1, sizeof *ws->known_value);
    ws->stamp = calloc(p->n_exprs + 1, sizeof *ws->stamp);
    ws->timed = calloc(p->n_params + 1, sizeof *ws->timed);
    ws->discount =
        calloc(model->n_outcomes * n_points + 1, sizeof *ws->discount);
    ws->tv_start = calloc(S * S + 2, sizeof *ws->tv_start);
    ws->tv_list = calloc(p->n_tvalues + 1, sizeof *ws->tv_list);
    ws->tv_streams = calloc(J + 1, sizeof *ws->tv_streams);
    ws->tv_sum = calloc(J * L + 1, sizeof *ws->tv_sum);
    ws->row_probs = calloc(S * S * L + 1, sizeof *ws->row_probs);
    ws->row_kind = calloc(S + 1, sizeof *ws->row_kind);
    ws->sv = calloc(J * S * L + 1, sizeof *ws->sv);
    ws->sv_kind = calloc(J * S + 1, sizeof *ws->sv_kind);
    ws->sv_start = calloc(J + 2, sizeof *ws->sv_start);
    ws->sv_at = calloc(J * X + 1, sizeof *ws->sv_at);
    ws->sv_val = calloc(J * X * L + 1, sizeof *ws->sv_val);
    ws->sv_dyn = calloc(J * X + 1, sizeof *ws->sv_dyn);
    ws->mv_from = calloc(X * S + 1, sizeof *ws->mv_from);
    ws->mv_to = calloc(X * S + 1, sizeof *ws->mv_to);
    ws->mv_prob = calloc(X * S * L + 1, sizeof *ws->mv_prob);
    ws->totals = calloc(2 * J * L + 1, sizeof *ws->totals);
    ws->n_slot_vals = slot_vals_needed(model);
    ws->slot_vals = calloc(ws->n_slot_vals * L + 1, sizeof *ws->slot_vals);
    ws->stream_disc = calloc(J * n_points + 1, sizeof *ws->stream_disc);
    ws->ones = calloc(J + 1, sizeof *ws->ones);
    if (!ws->vars || !ws->occ || !ws->next || !ws->probs || !ws->acc ||
        !ws->sum || !ws->flow || !ws->trace ||
        !ws->known_value || !ws->stamp || !ws->timed || !ws->discount ||
        !ws->tv_start || !ws->tv_list || !ws->tv_streams || !ws->tv_sum ||
        !ws->row_probs || !ws->row_kind ||
        !ws->sv || !ws->sv_kind || !ws->sv_start || !ws->sv_at ||
        !ws->sv_val || !ws->sv_dyn || !ws->mv_from || !ws->mv_to ||
        !ws->mv_prob || !ws->totals || !ws->stream_disc || !ws->slot_vals ||
        !ws->ones) {
        ns_workspace_free(ws);
        return NULL;
    }
    index_transition_values(model, ws);
    for (size_t j = 0; j < J; j++)
        ws->ones[j] = 1.0;
    for (size_t o = 0; o < model->n_outcomes; o++)
        for (size_t t = 0; t < n_points; t++)
            ws->discount[o * n_points + t] =
                ns_model_discount_factor(model, o, t);
    return ws;
}

size_t
ns_workspace_lanes(const struct ns_workspace *ws)
{
    return ws->L;
}

void
ns_workspace_skip_trace(struct ns_workspace *ws, bool skip)
{
    ws->no_trace = skip;
}

void
ns_workspace_free(struct ns_workspace *ws)
{
    if (!ws)
        return;
    free(ws->vars);
    free(ws->occ);
    free(ws->next);
    free(ws->probs);
    free(ws->acc);
    free(ws->sum);
    free(ws->flow);
    free(ws->trace);
    free(ws->known_value);
    free(ws->stamp);
    free(ws->timed);
    free(ws->discount);
    free(ws->tv_start);
    free(ws->tv_list);
    free(ws->tv_streams);
    free(ws->tv_sum);
    free(ws->row_probs);
    free(ws->row_kind);
    free(ws->sv);
    free(ws->sv_kind);
    free(ws->sv_start);
    free(ws->sv_at);
    free(ws->sv_val);
    free(ws->sv_dyn);
    free(ws->mv_from);
    free(ws->mv_to);
    free(ws->mv_prob);
    free(ws->totals);
    free(ws->slot_vals);
    free(ws->stream_disc);
    free(ws->ones);
    free(ws);
}

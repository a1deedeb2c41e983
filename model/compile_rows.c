/* netsave: compiling the transitions, initial values and values of states
 * and transitions: what moves the cohort and what each state or move is
 * worth, per strategy, with names beating patterns such as "in_*". */
#include "model/compile_priv.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
add_row_entry(struct compiler *c, struct ns_row *row, size_t to, size_t x)
{
    for (size_t i = 0; i < row->n; i++) {
        if (row->entries[i].to == to) {
            row->entries[i].def = x;
            return;
        }
    }
    struct ns_row_entry *e =
        realloc(row->entries, (row->n + 1) * sizeof *row->entries);
    if (!e) {
        c->out_of_mem = true;
        return;
    }
    row->entries = e;
    row->entries[row->n++] = (struct ns_row_entry){to, x};
}

void
nsc_compile_transitions(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model_priv *p = c->p;
    size_t K = c->m->n_strategies, S = c->m->n_states;
    p->rows = alloc_array(c, K * S, sizeof *p->rows);
    if (!p->rows)
        return;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < d->n_transitions; i++) {
            const struct ns_def_transition *t = &d->transitions[i];
            if ((pass == 0) != (t->strategy == NULL))
                continue;
            char ctx[256];
            snprintf(ctx, sizeof ctx, "transition %s -> %s", t->from, t->to);
            long k = nsc_lookup_strategy(c, t->strategy, t->at, ctx);
            long from = nsc_lookup_state(c, t->from, t->at, ctx);
            long to = nsc_lookup_state(c, t->to, t->at, ctx);
            if (k == -1 || from < 0 || to < 0)
                continue;
            bool is_c = strcmp(t->text, NS_COMPLEMENT) == 0;
            const char *what = nsc_describe(
                c, t->strategy, "transition %s -> %s", t->from, t->to);
            size_t x = nsc_add_expr(c, t->text, t->at, what, is_c);
            for (size_t kk = 0; kk < K; kk++)
                if (k == -2 || (size_t)k == kk)
                    add_row_entry(c, &p->rows[kk * S + (size_t)from],
                                  (size_t)to, x);
            if (c->out_of_mem)
                return;
        }
    }
    bool *reported = alloc_array(c, p->n_exprs, sizeof *reported);
    if (!reported)
        return;
    for (size_t s = 0; s < S; s++) {
        size_t empty = 0;
        for (size_t k = 0; k < K; k++)
            empty += p->rows[k * S + s].n == 0;
        for (size_t k = 0; k < K; k++) {
            struct ns_row *row = &p->rows[k * S + s];
            row->complement = -1;
            /* One message for a state no strategy gives transitions. */
            if (row->n == 0 && (empty < K || k == 0))
                ERROR_AT(c, d->states[s].at,
                         "state %s has no transitions%s%s; an absorbing "
                         "state needs %s -> %s = 1",
                         c->m->states[s].name,
                         empty < K ? " in strategy " : "",
                         empty < K ? c->m->strategies[k].name : "",
                         c->m->states[s].name, c->m->states[s].name);
            for (size_t i = 0; i < row->n; i++) {
                size_t x = row->entries[i].def;
                const struct ns_compiled_expr *e = &p->exprs[x];
                if (!e->is_complement)
                    continue;
                if (row->complement < 0) {
                    row->complement = (long)i;
                    continue;
                }
                if (!reported[x])
                    ERROR_AT(c, e->at,
                             "%s: a second complement (%s) from state %s; a "
                             "row may have only one",
                             e->what, NS_COMPLEMENT, c->m->states[s].name);
                reported[x] = true;
            }
        }
    }
    free(reported);
}

void
nsc_compile_initial(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model_priv *p = c->p;
    size_t K = c->m->n_strategies, S = c->m->n_states;
    p->initial_def = alloc_array(c, K * S, sizeof *p->initial_def);
    if (!p->initial_def)
        return;
    for (size_t i = 0; i < K * S; i++)
        p->initial_def[i] = -1;
    bool any = false;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < d->n_initial; i++) {
            const struct ns_def_expr *e = &d->initial[i];
            if ((pass == 0) != (e->strategy == NULL))
                continue;
            char ctx[160];
            snprintf(ctx, sizeof ctx, "initial state %s", e->name);
            any = true;
            long k = nsc_lookup_strategy(c, e->strategy, e->at, ctx);
            long s = nsc_lookup_state(c, e->name, e->at, "initial state");
            if (k == -1 || s < 0)
                continue;
            const char *what =
                nsc_describe(c, e->strategy, "initial value of %s", e->name);
            size_t x = nsc_add_expr(c, e->text, e->at, what, false);
            for (size_t kk = 0; kk < K; kk++)
                if (k == -2 || (size_t)k == kk)
                    p->initial_def[kk * S + (size_t)s] = (long)x;
        }
    }
    if (!any && S > 0)
        ERROR_AT(c, ((struct ns_origin){d->name_at.file, 0}),
                 "the model gives no initial state: say where the cohort "
                 "starts");
}

static bool
is_pattern(const char *name)
{
    return name && strchr(name, '*');
}

/* States a pattern such as "in_*" names: '*' stands for any text. */
static bool
matches(const char *pattern, const char *name)
{
    return fnmatch(pattern, name, 0) == 0;
}

/* Sets stream j's value for state s from definition i, unless a name or
 * an earlier pattern already did (a name beats a pattern; two patterns
 * for one state are an error). owner holds the defining entry + 1. */
static void
set_state_value(struct compiler *c, size_t j, size_t s, size_t i, size_t x,
                size_t *owner, bool by_pattern)
{
    const struct ns_model_def *d = c->def;
    size_t S = c->m->n_states, slot = j * S + s;
    if (owner[slot] && by_pattern) {
        const struct ns_def_state_value *o = &d->state_values[owner[slot] - 1];
        if (is_pattern(o->state))
            ERROR_AT(c, d->state_values[i].at,
                     "stream %s: state %s matches both '%s' (line %d) and "
                     "'%s'; name it to say which applies",
                     c->m->streams[j].name, c->m->states[s].name, o->state,
                     o->at.line, d->state_values[i].state);
        return;
    }
    c->p->value_def[slot] = x;
    owner[slot] = i + 1;
}

void
nsc_compile_values(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model_priv *p = c->p;
    size_t J = c->m->n_streams, S = c->m->n_states;
    p->value_def = alloc_array(c, J * S, sizeof *p->value_def);
    size_t *owner = alloc_array(c, J * S, sizeof *owner);
    long *fallback = alloc_array(c, J, sizeof *fallback);
    if (!p->value_def || !owner || !fallback) {
        free(owner);
        free(fallback);
        return;
    }
    for (size_t j = 0; j < J; j++)
        fallback[j] = -1;
    /* Names first, then patterns, then defaults: the most specific wins. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < d->n_state_values; i++) {
            const struct ns_def_state_value *v = &d->state_values[i];
            bool pattern = is_pattern(v->state);
            if (pattern != (pass == 1) || (pass == 1 && !v->state))
                continue;
            long j = ns_model_find_stream(c->m, v->stream);
            if (j < 0) {
                ERROR_AT(c, v->at, "value of unknown stream '%s'", v->stream);
                continue;
            }
            char ctx[256];
            snprintf(ctx, sizeof ctx, "stream %s", v->stream);
            long st = !v->state ? -2
                      : pattern ? -3
                                : nsc_lookup_state(c, v->state, v->at, ctx);
            if (st == -1)
                continue;
            const char *what = nsc_describe(c, NULL, "stream %s, state %s",
                                            v->stream,
                                            v->state ? v->state : "(default)");
            size_t x = nsc_add_expr(c, v->text, v->at, what, false);
            if (st == -2) {
                fallback[j] = (long)x;
                continue;
            }
            size_t n_matched = 0;
            for (size_t s = 0; s < S; s++) {
                if (st >= 0 ? (size_t)st != s
                            : !matches(v->state, c->m->states[s].name))
                    continue;
                n_matched++;
                set_state_value(c, (size_t)j, s, i, x, owner, pattern);
            }
            if (pattern && n_matched == 0)
                ERROR_AT(c, v->at, "%s: pattern '%s' matches no state", ctx,
                         v->state);
        }
    }
    for (size_t j = 0; j < J; j++) {
        for (size_t s = 0; s < S; s++) {
            if (owner[j * S + s])
                continue;
            if (fallback[j] >= 0)
                p->value_def[j * S + s] = (size_t)fallback[j];
            else
                ERROR_AT(c, d->streams[j].at,
                         "stream %s has no value for state %s; give one, or "
                         "a default for every state not named",
                         c->m->streams[j].name, c->m->states[s].name);
        }
    }
    free(owner);
    free(fallback);
}

static bool
transition_exists(const struct compiler *c, size_t from, size_t to)
{
    const struct ns_model_priv *p = c->p;
    size_t S = c->m->n_states;
    for (size_t k = 0; k < c->m->n_strategies; k++) {
        const struct ns_row *row = &p->rows[k * S + from];
        for (size_t i = 0; i < row->n; i++)
            if (row->entries[i].to == to)
                return true;
    }
    return false;
}

/* Books definition i (program x) on transition from -> to of stream j,
 * unless a name or an earlier pattern already did; owner holds the
 * defining entry + 1 for each (stream, from, to). */
static void
book_transition_value(struct compiler *c, size_t j, size_t from, size_t to,
                      size_t i, size_t x, size_t *owner)
{
    const struct ns_model_def *d = c->def;
    struct ns_model_priv *p = c->p;
    size_t S = c->m->n_states, slot = (j * S + from) * S + to;
    const struct ns_def_transition_value *v = &d->transition_values[i];
    if (owner[slot]) {
        const struct ns_def_transition_value *o =
            &d->transition_values[owner[slot] - 1];
        if (is_pattern(o->from) || is_pattern(o->to))
            ERROR_AT(c, v->at,
                     "stream %s: transition %s -> %s matches both '%s -> %s' "
                     "(line %d) and '%s -> %s'; name it to say which applies",
                     c->m->streams[j].name, c->m->states[from].name,
                     c->m->states[to].name, o->from, o->to, o->at.line,
                     v->from, v->to);
        return;
    }
    struct ns_transition_value *tv =
        realloc(p->tvalues, (p->n_tvalues + 1) * sizeof *tv);
    if (!tv) {
        c->out_of_mem = true;
        return;
    }
    p->tvalues = tv;
    tv[p->n_tvalues++] = (struct ns_transition_value){j, from, to, x};
    owner[slot] = i + 1;
}

/* One transition value definition: a named pair or patterns of states. */
static void
compile_transition_value(struct compiler *c, size_t i, size_t *owner)
{
    const struct ns_model_def *d = c->def;
    const struct ns_def_transition_value *v = &d->transition_values[i];
    size_t S = c->m->n_states;
    long j = ns_model_find_stream(c->m, v->stream);
    char ctx[256];
    snprintf(ctx, sizeof ctx, "stream %s, transition %s -> %s", v->stream,
             v->from, v->to);
    if (j < 0) {
        ERROR_AT(c, v->at, "value of unknown stream '%s'", v->stream);
        return;
    }
    bool pf = is_pattern(v->from), pt = is_pattern(v->to);
    long from = pf ? -3 : nsc_lookup_state(c, v->from, v->at, ctx);
    long to = pt ? -3 : nsc_lookup_state(c, v->to, v->at, ctx);
    if (from == -1 || to == -1)
        return;
    const char *what = nsc_describe(c, NULL, "%s", ctx);
    size_t x = nsc_add_expr(c, v->text, v->at, what, false);
    size_t n_matched = 0;
    bool self_written = !(pf || pt) || strcmp(v->from, v->to) == 0;
    size_t n_stays = 0;
    for (size_t a = 0; a < S; a++) {
        if (pf ? !matches(v->from, c->m->states[a].name) : (long)a != from)
            continue;
        for (size_t b = 0; b < S; b++) {
            if (pt ? !matches(v->to, c->m->states[b].name) : (long)b != to)
                continue;
            /* "* -> dead" means entering dead: staying there is booked
             * only by a key that says so, naming the state (dead -> dead)
             * or the same pattern on both sides (in_* -> in_*). */
            if (!transition_exists(c, a, b))
                continue;
            if (a == b && !self_written) {
                n_stays++;
                continue;
            }
            n_matched++;
            book_transition_value(c, (size_t)j, a, b, i, x, owner);
        }
    }
    if (n_matched == 0 && n_stays > 0)
        ERROR_AT(c, v->at,
                 "%s: the pattern matches only states' transitions to "
                 "themselves, which a pattern books only with the same "
                 "pattern on both sides: expected a transition between two "
                 "states, found %zu staying (name it, e.g. STATE -> STATE, "
                 "to book a value on staying)",
                 ctx, n_stays);
    else if (n_matched == 0)
        ERROR_AT(c, v->at,
                 "%s: no strategy has a transition %s -> %s to book it on",
                 ctx, v->from, v->to);
}

void
nsc_compile_transition_values(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    size_t S = c->m->n_states, J = c->m->n_streams;
    if (!c->p->rows)
        return;
    size_t *owner = alloc_array(c, J * S * S, sizeof *owner);
    if (!owner)
        return;
    /* Named pairs first, so that they beat patterns. */
    for (int pass = 0; pass < 2 && !c->out_of_mem; pass++) {
        for (size_t i = 0; i < d->n_transition_values; i++) {
            const struct ns_def_transition_value *v = &d->transition_values[i];
            bool pattern = is_pattern(v->from) || is_pattern(v->to);
            if (pattern == (pass == 1))
                compile_transition_value(c, i, owner);
        }
    }
    free(owner);
}

/* Reports expression x if it reads state_time for an untracked state. */
static void
flag_state_time(struct compiler *c, size_t k, size_t s, size_t x,
                bool *flagged)
{
    struct ns_model_priv *p = c->p;
    if (flagged[x] || !(p->expr_dep[k * p->n_exprs + x] & NS_DEP_STATE_TIME))
        return;
    flagged[x] = true;
    ERROR_AT(c, p->exprs[x].at,
             "%s depends on state_time, but time in state %s is not "
             "tracked; add %s = N (cycles to track) to [time_in_state]",
             p->exprs[x].what, c->m->states[s].name, c->m->states[s].name);
}

/* state_time only means something where time in state is tracked. */
void
nsc_check_state_time(struct compiler *c)
{
    struct ns_model_priv *p = c->p;
    size_t K = c->m->n_strategies, S = c->m->n_states, J = c->m->n_streams;
    bool *flagged = alloc_array(c, p->n_exprs, sizeof *flagged);
    if (!flagged)
        return;
    for (size_t k = 0; k < K; k++) {
        for (size_t s = 0; s < S; s++) {
            if (p->n_slots[s] > 1)
                continue;
            const struct ns_row *row = &p->rows[k * S + s];
            for (size_t i = 0; i < row->n; i++)
                flag_state_time(c, k, s, row->entries[i].def, flagged);
            for (size_t j = 0; j < J; j++)
                flag_state_time(c, k, s, p->value_def[j * S + s], flagged);
            for (size_t i = 0; i < p->n_tvalues; i++)
                if (p->tvalues[i].from == s)
                    flag_state_time(c, k, s, p->tvalues[i].def, flagged);
        }
    }
    free(flagged);
}

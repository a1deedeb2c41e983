/* netsave: the live workbook's model sheets (output/live.h), one per
 * subgroup and strategy, following the engine's conventions
 * (model/engine.c) cell by cell:
 *   - time point t's row holds what is counted at t (cycle = t) and the
 *     transition of cycle t + 1 (cycle = t + 1, time = t * cycle length);
 *   - a row's probabilities are clamped to [0, 1], its complement is
 *     1 minus the others (at least 0), and each is divided by the row's
 *     sum (the engine rescales a row accepted within its tolerance);
 *   - the cohort at t + 1 is the sum of occupancy times probability, in
 *     the engine's order (state by state, entry by entry);
 *   - a stream's value at t is what transitions of cycle t booked (flow
 *     times value, in full) plus the counting weight of t times the sum
 *     of occupancy times state value; discounted, times the outcome's
 *     factor of t. */
#include "output/xlsx_live.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing string; on failure text is NULL and stays so. */
struct sbuf {
    char *text;
    size_t len, cap;
    bool failed;
};

static void sb_add(struct sbuf *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Formats into the room left, and only when it does not fit grows the
 * buffer and formats again: most appends fit, and formatting is most of
 * the time a large sheet takes. */
static void
sb_add(struct sbuf *s, const char *fmt, ...)
{
    if (s->failed)
        return;
    for (int pass = 0; pass < 2; pass++) {
        size_t room = s->cap - s->len;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(s->text ? s->text + s->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0)
            break;
        if ((size_t)n < room) {
            s->len += (size_t)n;
            return;
        }
        size_t cap = 2 * s->cap + (size_t)n + 256;
        char *t = realloc(s->text, cap);
        if (!t)
            break;
        s->text = t;
        s->cap = cap;
    }
    s->failed = true;
    free(s->text);
    s->text = NULL;
}

static const struct ns_model *
model_of(const struct live *lv, size_t g)
{
    return lv->pop->models[g];
}

static struct live_sheet *
sheet_of(struct live *lv, size_t g, size_t k)
{
    return &lv->sheet[g * lv->K + k];
}

/* Whether row s of g, k changes with time (else it is computed once). */
static bool
row_timed(const struct live *lv, size_t g, size_t k, size_t s)
{
    const struct ns_model *m = model_of(lv, g);
    for (size_t i = 0; i < ns_view_row_n(m, k, s); i++) {
        size_t to;
        const struct ns_expr *e;
        ns_view_row_entry(m, k, s, i, &to, &e);
        if (e && ns_view_expr_dep(m, k, e) != 0)
            return true;
    }
    return false;
}

/* The sheet's name: the strategy, or the subgroup and the strategy, in at
 * most 31 characters and none Excel forbids in a name. */
static void
name_sheet(struct live *lv, size_t g, size_t k)
{
    char name[64];
    const char *strategy = model_of(lv, g)->strategies[k].name;
    if (lv->G > 1)
        snprintf(name, sizeof name, "%s %s", lv->pop->names[g], strategy);
    else
        snprintf(name, sizeof name, "Model %s", strategy);
    for (char *c = name; *c; c++)
        if (strchr("[]:*?/\\'", *c))
            *c = '_';
    xl_copy_chars(sheet_of(lv, g, k)->name, 32, name, 31);
    for (size_t i = 0; i < g * lv->K + k; i++)
        if (strcasecmp(lv->sheet[i].name, sheet_of(lv, g, k)->name) == 0) {
            snprintf(sheet_of(lv, g, k)->name, 32, "M%zu.%zu", g + 1, k + 1);
            break;
        }
}

/* Gives each distinct expression of a value booked on transitions (a
 * pattern's, shared by the moves it matches) a helper column, unless it
 * reads state_time (then it is written out in each formula, for the slot
 * there): a long expression shared by many moves would otherwise be
 * repeated in one formula past Excel's 8,192 characters. */
static bool
plan_tv_helpers(struct live *lv)
{
    lv->n_tvalues = ns_view_n_transition_values(model_of(lv, 0));
    lv->tv_helper = malloc((lv->G * lv->n_tvalues + 1) * sizeof *lv->tv_helper);
    if (!lv->tv_helper)
        return false;
    for (size_t g = 0; g < lv->G; g++) {
        const struct ns_model *m = model_of(lv, g);
        size_t n = ns_view_n_transition_values(m), distinct = 0;
        size_t *h = &lv->tv_helper[g * lv->n_tvalues];
        for (size_t i = 0; i < lv->n_tvalues; i++) {
            h[i] = SIZE_MAX;
            size_t stream, from, to;
            const struct ns_expr *e;
            if (n != lv->n_tvalues)
                continue;
            ns_view_transition_value(m, i, &stream, &from, &to, &e);
            bool slot = false;
            for (size_t k = 0; k < lv->K; k++)
                slot = slot || (ns_view_expr_dep(m, k, e) &
                                NS_VIEW_DEP_STATE_TIME);
            if (slot)
                continue;
            for (size_t j = 0; j < i && h[i] == SIZE_MAX; j++) {
                size_t s2, f2, t2;
                const struct ns_expr *e2;
                ns_view_transition_value(m, j, &s2, &f2, &t2, &e2);
                if (e2 == e)
                    h[i] = h[j];
            }
            if (h[i] == SIZE_MAX)
                h[i] = distinct++;
        }
        if (distinct > lv->n_tv_helpers)
            lv->n_tv_helpers = distinct;
    }
    return true;
}

/* Lays out the columns shared by every model sheet: each state's tunnel
 * slots (and their total when it has several), then each state's row of
 * probabilities once per slot, then the row sums. */
static bool
layout(struct live *lv)
{
    struct live_cols *c = &lv->cols;
    lv->sc = calloc(lv->S + 1, sizeof *lv->sc);
    if (!lv->sc)
        return false;
    c->t = 0;
    c->cycle = 1;
    c->time = 2;
    c->age = 3;
    c->cycle_next = 4;
    c->weight = 5;
    c->discount = 6;
    c->timed = c->discount + lv->O;
    c->trace = c->timed + 2 * lv->n_timed;
    size_t col = c->trace;
    for (size_t s = 0; s < lv->S; s++) {
        struct live_state_cols *sc = &lv->sc[s];
        sc->slots = ns_view_n_slots(model_of(lv, 0), s);
        for (size_t g = 1; g < lv->G; g++)
            if (ns_view_n_slots(model_of(lv, g), s) != sc->slots) {
                snprintf(lv->err, sizeof lv->err,
                         "state %s tracks time in state for a different "
                         "number of cycles in different subgroups",
                         model_of(lv, 0)->states[s].name);
                return false;
            }
        sc->slot_col = col;
        col += sc->slots;
        sc->total_col = sc->slots > 1 ? col++ : sc->slot_col;
    }
    c->prob = col;
    for (size_t s = 0; s < lv->S; s++) {
        size_t most = 0;
        for (size_t g = 0; g < lv->G; g++)
            for (size_t k = 0; k < lv->K; k++) {
                size_t n = ns_view_row_n(model_of(lv, g), k, s);
                most = n > most ? n : most;
            }
        lv->sc[s].prob_col = col;
        lv->sc[s].width = most;
        col += most * lv->sc[s].slots;
    }
    c->rowsum = col;
    for (size_t s = 0; s < lv->S; s++) {
        lv->sc[s].sum_col = col;
        col += lv->sc[s].slots;
    }
    c->value = col;
    c->value_disc = c->value + lv->J;
    if (!plan_tv_helpers(lv))
        return false;
    c->tv = c->value_disc + lv->J;
    c->counted = c->tv + lv->n_tv_helpers;
    c->end = c->counted + model_of(lv, 0)->n_perspectives + 1;
    if (c->end > LXW_COL_MAX || lv->T + 64 + lv->P > LXW_ROW_MAX) {
        snprintf(lv->err, sizeof lv->err,
                 "the model needs %zu columns per model sheet, more than a "
                 "sheet has",
                 c->end);
        return false;
    }
    return true;
}

/* Checks that everything of g, k translates, and plans its sheet. */
bool
live_check_model(struct live *lv, size_t g, size_t k)
{
    const struct ns_model *m = model_of(lv, g);
    if (g == 0 && k == 0 && !layout(lv))
        return false;
    name_sheet(lv, g, k);
    struct live_sheet *sh = sheet_of(lv, g, k);
    size_t row = 3;
    for (size_t i = 0; i < lv->P; i++) {
        size_t p = ns_view_param_order(m, k, i);
        struct live_param *lp = &lv->param[(g * lv->K + k) * lv->P + p];
        if (lp->kind == LIVE_LOCAL)
            lp->row = row++;
    }
    sh->first_row = row + 2;
    sh->total_row = sh->first_row + lv->T + 1;
    /* Every expression once, on the first row: what cannot be written
     * anywhere fails here, before the workbook is begun. */
    char what[300];
    for (size_t s = 0; s < lv->S; s++) {
        const struct ns_expr *e = ns_view_initial(m, k, s);
        snprintf(what, sizeof what, "initial value of %s", m->states[s].name);
        char *f = e ? live_translate_slot(lv, g, k, sh->first_row, 0,
                                          LIVE_AT_POINT, e, what)
                    : NULL;
        if (e && !f)
            return false;
        free(f);
        for (size_t i = 0; i < ns_view_row_n(m, k, s); i++) {
            size_t to;
            ns_view_row_entry(m, k, s, i, &to, &e);
            snprintf(what, sizeof what, "transition %s -> %s",
                     m->states[s].name, m->states[to].name);
            f = e ? live_translate_slot(lv, g, k, sh->first_row, 0,
                                        LIVE_IN_CYCLE, e, what)
                  : NULL;
            if (e && !f)
                return false;
            free(f);
        }
        for (size_t j = 0; j < lv->J; j++) {
            snprintf(what, sizeof what, "value of stream %s in state %s",
                     m->streams[j].name, m->states[s].name);
            f = live_translate_slot(lv, g, k, sh->first_row, 0,
                                    LIVE_AT_POINT,
                                    ns_view_state_value(m, j, s), what);
            if (!f)
                return false;
            free(f);
        }
    }
    return true;
}

/* ---- writing ---- */

struct sheet_writer {
    struct live *lv;
    size_t g, k;
    lxw_worksheet *ws;
    const struct ns_model *m;
    const struct ns_results *r;
    struct live_sheet *sh;
    double *vars_point, *vars_cycle; /* [n_vars] */
    double *vars_slot;               /* [n_vars], in some tunnel slot */
    bool *timed_row;                 /* [n_states]: row_timed, once */
    lxw_format *num;
    /* The engine's arithmetic again, for the cached values of what the
     * results do not hold: occupancy by tunnel slot, and each row's
     * probabilities (as rescaled) by slot, entry at pnorm[(x * width
     * ...)]: see pnorm_at. */
    double *occ, *next;              /* [n_expanded] */
    double *pnorm;                   /* [n_expanded * max width] */
    size_t max_width, *first_x;      /* first_x: [n_states] */
};

static size_t
data_row(const struct sheet_writer *w, size_t t)
{
    return w->sh->first_row + t;
}

/* Writes text as a formula with its cached value, or notes the failure. */
static void
put(struct sheet_writer *w, size_t row, size_t col, struct sbuf *sb,
    double cached)
{
    if (sb->failed) {
        xl_note(w->lv->b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    live_formula(w->lv, w->ws, row, col, sb->text, cached, w->num);
    free(sb->text);
    *sb = (struct sbuf){0};
}

/* Writes e translated at row (when), with the engine's value. */
static void
put_expr(struct sheet_writer *w, size_t row, size_t col, size_t trow,
         size_t slot, enum live_when when, const struct ns_expr *e,
         const char *what, double cached, const char *wrap_before,
         const char *wrap_after)
{
    char *f = live_translate_slot(w->lv, w->g, w->k, trow, slot, when, e,
                                  what);
    if (!f) {
        xl_note(w->lv->b, LXW_ERROR_PARAMETER_VALIDATION);
        return;
    }
    struct sbuf sb = {0};
    sb_add(&sb, "%s%s%s", wrap_before, f, wrap_after);
    free(f);
    put(w, row, col, &sb, cached);
}

static void
write_local_params(struct sheet_writer *w)
{
    struct live *lv = w->lv;
    xl_put_text(lv->b, w->ws, 2, 0,
                "Parameters computed for this subgroup and strategy",
                lv->b->bold);
    for (size_t p = 0; p < lv->P; p++) {
        const struct live_param *lp =
            &lv->param[(w->g * lv->K + w->k) * lv->P + p];
        if (lp->kind != LIVE_LOCAL)
            continue;
        const char *name = ns_view_var_name(w->m, NS_VIEW_BUILTINS + p);
        xl_put_text(lv->b, w->ws, lp->row, 0, name, NULL);
        put_expr(w, lp->row, 1, SIZE_MAX, SIZE_MAX, LIVE_AT_POINT,
                 ns_view_param(w->m, w->k, p), name,
                 w->r->param_values[w->k * lv->P + p], "", "");
    }
}

static void
write_headings(struct sheet_writer *w)
{
    struct live *lv = w->lv;
    const struct live_cols *c = &lv->cols;
    size_t h = w->sh->first_row - 1;
    lxw_format *b = lv->b->bold;
    char text[300];
    xl_put_text(lv->b, w->ws, h, c->t, "time point", b);
    xl_put_text(lv->b, w->ws, h, c->cycle, "cycle (values)", b);
    xl_put_text(lv->b, w->ws, h, c->time, "time (years)", b);
    xl_put_text(lv->b, w->ws, h, c->age, "age", b);
    xl_put_text(lv->b, w->ws, h, c->cycle_next, "cycle (transitions)", b);
    xl_put_text(lv->b, w->ws, h, c->weight, "counting weight", b);
    for (size_t o = 0; o < lv->O; o++) {
        snprintf(text, sizeof text, "discount factor %s",
                 w->m->outcomes[o].name);
        xl_put_text(lv->b, w->ws, h, c->discount + o, text, b);
    }
    for (size_t p = 0; p < lv->P; p++)
        if (lv->timed_index[p] != SIZE_MAX) {
            const char *n = ns_view_var_name(w->m, NS_VIEW_BUILTINS + p);
            size_t col = c->timed + 2 * lv->timed_index[p];
            xl_put_text(lv->b, w->ws, h, col, n, b);
            snprintf(text, sizeof text, "%s (transitions)", n);
            xl_put_text(lv->b, w->ws, h, col + 1, text, b);
        }
    for (size_t s = 0; s < lv->S; s++) {
        const struct live_state_cols *sc = &lv->sc[s];
        const char *sn = w->m->states[s].name;
        for (size_t q = 0; q < sc->slots; q++) {
            if (sc->slots > 1)
                snprintf(text, sizeof text, "%s [%zu%s]", sn, q,
                         q + 1 == sc->slots ? "+" : "");
            else
                snprintf(text, sizeof text, "%s", sn);
            xl_put_text(lv->b, w->ws, h, sc->slot_col + q, text, b);
            if (sc->slots > 1)
                snprintf(text, sizeof text, "sum from %s [%zu]", sn, q);
            else
                snprintf(text, sizeof text, "sum from %s", sn);
            xl_put_text(lv->b, w->ws, h, sc->sum_col + q, text, b);
            for (size_t i = 0; i < ns_view_row_n(w->m, w->k, s); i++) {
                size_t to;
                const struct ns_expr *e;
                ns_view_row_entry(w->m, w->k, s, i, &to, &e);
                if (sc->slots > 1)
                    snprintf(text, sizeof text, "p %s [%zu] -> %s", sn, q,
                             w->m->states[to].name);
                else
                    snprintf(text, sizeof text, "p %s -> %s", sn,
                             w->m->states[to].name);
                xl_put_text(lv->b, w->ws, h,
                            sc->prob_col + q * sc->width + i, text, b);
            }
        }
        if (sc->slots > 1) {
            snprintf(text, sizeof text, "%s (all)", sn);
            xl_put_text(lv->b, w->ws, h, sc->total_col, text, b);
        }
    }
    for (size_t j = 0; j < lv->J; j++) {
        xl_put_text(lv->b, w->ws, h, c->value + j, w->m->streams[j].name, b);
        snprintf(text, sizeof text, "%s discounted", w->m->streams[j].name);
        xl_put_text(lv->b, w->ws, h, c->value_disc + j, text, b);
    }
    for (size_t i = 0, done = 0; i < lv->n_tvalues; i++) {
        size_t hx = lv->tv_helper[w->g * lv->n_tvalues + i];
        if (hx == SIZE_MAX || hx < done)
            continue;
        done = hx + 1;
        size_t stream, from, to;
        const struct ns_expr *e;
        ns_view_transition_value(w->m, i, &stream, &from, &to, &e);
        snprintf(text, sizeof text, "%s on %s -> %s (per move)",
                 w->m->streams[stream].name, w->m->states[from].name,
                 w->m->states[to].name);
        xl_put_text(lv->b, w->ws, h, c->tv + hx, text, b);
    }
    for (size_t i = 0; i <= w->m->n_perspectives; i++) {
        snprintf(text, sizeof text, "costs counted by %s, discounted",
                 i < w->m->n_perspectives ? w->m->perspectives[i].name
                                          : "all payers");
        xl_put_text(lv->b, w->ws, h, c->counted + i, text, b);
    }
}

/* Columns t, cycle, time, age, next cycle, weight, discount factors. */
static void
write_time(struct sheet_writer *w, size_t t)
{
    struct live *lv = w->lv;
    const struct live_cols *c = &lv->cols;
    size_t r = data_row(w, t);
    char tc[24];
    live_cell(tc, sizeof tc, r, c->t, false);
    double years = (double)t * w->m->cycle_length_years;
    struct sbuf sb = {0};
    xl_put_number(lv->b, w->ws, r, c->t, (double)t, lv->locked);
    sb_add(&sb, "%s", tc);
    put(w, r, c->cycle, &sb, (double)t);
    sb_add(&sb, "%s*%s", tc, lv->cycle_length_name);
    put(w, r, c->time, &sb, years);
    char time_cell[24];
    live_cell(time_cell, sizeof time_cell, r, c->time, false);
    sb_add(&sb, "%s+%s", lv->start_age_name, time_cell);
    put(w, r, c->age, &sb, w->m->start_age_years + years);
    sb_add(&sb, "%s+1", tc);
    put(w, r, c->cycle_next, &sb, (double)(t + 1));
    xl_put_number(lv->b, w->ws, r, c->weight, w->m->weights[t], lv->locked);
    for (size_t o = 0; o < lv->O; o++) {
        if (w->m->discount_origin == NS_DISCOUNT_FROM_FIRST_CYCLE_END)
            sb_add(&sb, "(1+%s)^(-(MAX(%s-1,0)*%s))", lv->outcome_names[o],
                   tc, lv->cycle_length_name);
        else
            sb_add(&sb, "(1+%s)^(-(%s*%s))", lv->outcome_names[o], tc,
                   lv->cycle_length_name);
        put(w, r, c->discount + o, &sb, ns_model_discount_factor(w->m, o, t));
    }
}

static void
write_timed(struct sheet_writer *w, size_t t)
{
    struct live *lv = w->lv;
    size_t r = data_row(w, t);
    for (size_t p = 0; p < lv->P; p++) {
        const struct live_param *lp =
            &lv->param[(w->g * lv->K + w->k) * lv->P + p];
        if (lp->kind != LIVE_TIMED)
            continue;
        const char *n = ns_view_var_name(w->m, NS_VIEW_BUILTINS + p);
        size_t col = lv->cols.timed + 2 * lv->timed_index[p];
        const struct ns_expr *e = ns_view_param(w->m, w->k, p);
        put_expr(w, r, col, r, SIZE_MAX, LIVE_AT_POINT, e, n,
                 w->vars_point[NS_VIEW_BUILTINS + p], "", "");
        if (t < lv->T)
            put_expr(w, r, col + 1, r, SIZE_MAX, LIVE_IN_CYCLE, e, n,
                     w->vars_cycle[NS_VIEW_BUILTINS + p], "", "");
    }
}

/* The cell of the probability of entry i of row s in slot q for cycle
 * t + 1, and of the row's sum: the first row's when the row never
 * changes. */
static void
prob_cells(struct sheet_writer *w, size_t s, size_t q, size_t i, size_t t,
           char *p, char *sum)
{
    const struct live_state_cols *sc = &w->lv->sc[s];
    bool timed = w->timed_row[s];
    size_t r = timed ? data_row(w, t) : w->sh->first_row;
    live_cell(p, 24, r, sc->prob_col + q * sc->width + i, !timed);
    live_cell(sum, 24, r, sc->sum_col + q, !timed);
}

static double *
pnorm_at(struct sheet_writer *w, size_t s, size_t q)
{
    return &w->pnorm[(w->first_x[s] + q) * w->max_width];
}

/* Row s's probabilities in slot q for cycle t + 1, clamped, the
 * complement, the sum; the engine's arithmetic for the cached values
 * (kept, rescaled, in pnorm for the trace). */
static void
write_row_probs(struct sheet_writer *w, size_t s, size_t q, size_t t)
{
    const struct live_state_cols *sc = &w->lv->sc[s];
    size_t r = data_row(w, t), n = ns_view_row_n(w->m, w->k, s);
    double *clamped = pnorm_at(w, s, q), sum = 0.0;
    long complement = -1;
    char what[300];
    live_vars(w->lv, w->g, w->k, t, LIVE_IN_CYCLE, q, w->vars_slot);
    struct sbuf others = {0};
    for (size_t i = 0; i < n; i++) {
        size_t to;
        const struct ns_expr *e;
        ns_view_row_entry(w->m, w->k, s, i, &to, &e);
        size_t col = sc->prob_col + q * sc->width + i;
        char cell[24];
        live_cell(cell, sizeof cell, r, col, false);
        if (!e) {
            complement = (long)i;
            continue;
        }
        double v = live_eval(w->lv, w->g, e, w->vars_slot);
        clamped[i] = v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
        sum += clamped[i];
        snprintf(what, sizeof what, "transition %s -> %s",
                 w->m->states[s].name, w->m->states[to].name);
        put_expr(w, r, col, r, q, LIVE_IN_CYCLE, e, what, clamped[i],
                 "MAX(0,MIN(1,", "))");
        sb_add(&others, "%s%s", others.len ? "+" : "", cell);
    }
    struct sbuf sb = {0};
    if (complement >= 0) {
        double rest = 1.0 - sum;
        size_t col = sc->prob_col + q * sc->width + (size_t)complement;
        clamped[complement] = rest < 0.0 ? 0.0 : rest;
        if (others.len)
            sb_add(&sb, "MAX(0,1-(%s))", others.text);
        else
            sb_add(&sb, "1");
        put(w, r, col, &sb, clamped[complement]);
        sum += clamped[complement];
        char cell[24];
        live_cell(cell, sizeof cell, r, col, false);
        sb_add(&others, "%s%s", others.len ? "+" : "", cell);
    }
    put(w, r, sc->sum_col + q, &others, sum);
    for (size_t i = 0; i < n; i++)
        clamped[i] /= sum;
}

/* The slot entering state 'to' from slot q of state 'from' reaches. */
static size_t
dest_slot(const struct live *lv, size_t from, size_t q, size_t to)
{
    size_t n = lv->sc[to].slots;
    if (to == from && n > 1)
        return q + 1 < n ? q + 1 : n - 1;
    return 0;
}

/* The cohort in slot q of state s at t, from t - 1 (or the initial
 * value, in slot 0). */
static void
write_slot(struct sheet_writer *w, size_t s, size_t q, size_t t)
{
    const struct live *lv = w->lv;
    size_t r = data_row(w, t), col = lv->sc[s].slot_col + q;
    double cached = w->next[w->first_x[s] + q];
    if (t == 0) {
        const struct ns_expr *e = ns_view_initial(w->m, w->k, s);
        char what[300];
        snprintf(what, sizeof what, "initial value of %s",
                 w->m->states[s].name);
        if (e && q == 0)
            put_expr(w, r, col, r, 0, LIVE_AT_POINT, e, what, cached, "", "");
        else
            xl_put_number(lv->b, w->ws, r, col, 0.0, w->num);
        return;
    }
    struct sbuf sb = {0};
    for (size_t from = 0; from < lv->S; from++)
        for (size_t fq = 0; fq < lv->sc[from].slots; fq++)
            for (size_t i = 0; i < ns_view_row_n(w->m, w->k, from); i++) {
                size_t to;
                const struct ns_expr *e;
                ns_view_row_entry(w->m, w->k, from, i, &to, &e);
                if (to != s || dest_slot(lv, from, fq, to) != q)
                    continue;
                char occ[24], p[24], sum[24];
                live_cell(occ, sizeof occ, r - 1, lv->sc[from].slot_col + fq,
                          false);
                prob_cells(w, from, fq, i, t - 1, p, sum);
                sb_add(&sb, "%s%s*(%s/%s)", sb.len ? "+" : "", occ, p, sum);
            }
    if (!sb.len)
        sb_add(&sb, "0");
    put(w, r, col, &sb, cached);
}

/* The engine's step from t - 1 to t (or its start) into w->next, in its
 * order of moves, from w->occ. */
static void
simulate(struct sheet_writer *w, size_t t)
{
    const struct live *lv = w->lv;
    size_t X = w->first_x[lv->S - 1] + lv->sc[lv->S - 1].slots;
    memset(w->next, 0, X * sizeof *w->next);
    if (t == 0) {
        for (size_t s = 0; s < lv->S; s++)
            w->next[w->first_x[s]] = ns_results_trace(w->r, w->k, 0, s);
        return;
    }
    for (size_t from = 0; from < lv->S; from++)
        for (size_t q = 0; q < lv->sc[from].slots; q++) {
            const double *p = pnorm_at(w, from, q);
            double mass = w->occ[w->first_x[from] + q];
            for (size_t i = 0; i < ns_view_row_n(w->m, w->k, from); i++) {
                size_t to;
                const struct ns_expr *e;
                ns_view_row_entry(w->m, w->k, from, i, &to, &e);
                w->next[w->first_x[to] + dest_slot(lv, from, q, to)] +=
                    mass * p[i];
            }
        }
}

/* State s at t: each slot, and the total of a state with several. */
static void
write_trace(struct sheet_writer *w, size_t s, size_t t)
{
    const struct live_state_cols *sc = &w->lv->sc[s];
    for (size_t q = 0; q < sc->slots; q++)
        write_slot(w, s, q, t);
    if (sc->slots < 2)
        return;
    size_t r = data_row(w, t);
    char a[24], b[24];
    live_cell(a, sizeof a, r, sc->slot_col, false);
    live_cell(b, sizeof b, r, sc->slot_col + sc->slots - 1, false);
    struct sbuf sb = {0};
    sb_add(&sb, "SUM(%s:%s)", a, b);
    put(w, r, sc->total_col, &sb, ns_results_trace(w->r, w->k, t, s));
}

/* Whether transition value i's expression changes with time in g, k. */
static bool
tv_timed(const struct sheet_writer *w, size_t i)
{
    size_t stream, from, to;
    const struct ns_expr *e;
    ns_view_transition_value(w->m, i, &stream, &from, &to, &e);
    return ns_view_expr_dep(w->m, w->k, e) != 0;
}

/* The cell of helper h (transition value i's expression) for cycle t + 1:
 * the first row's when it never changes. */
static void
tv_cell(const struct sheet_writer *w, size_t h, size_t i, size_t t,
        char *buf)
{
    bool timed = tv_timed(w, i);
    live_cell(buf, 24, timed ? data_row(w, t) : w->sh->first_row,
              w->lv->cols.tv + h, !timed);
}

/* The helper columns' values for cycle t + 1 (each distinct expression
 * once; one that never changes, on the first row only). */
static void
write_tv_helpers(struct sheet_writer *w, size_t t)
{
    struct live *lv = w->lv;
    size_t r = data_row(w, t), done = 0;
    char what[300];
    for (size_t i = 0; i < lv->n_tvalues; i++) {
        size_t h = lv->tv_helper[w->g * lv->n_tvalues + i];
        if (h == SIZE_MAX || h < done || (t > 0 && !tv_timed(w, i)))
            continue;
        done = h + 1;
        size_t stream, from, to;
        const struct ns_expr *e;
        ns_view_transition_value(w->m, i, &stream, &from, &to, &e);
        snprintf(what, sizeof what, "value of stream %s on %s -> %s",
                 w->m->streams[stream].name, w->m->states[from].name,
                 w->m->states[to].name);
        put_expr(w, r, lv->cols.tv + h, r, SIZE_MAX, LIVE_IN_CYCLE, e, what,
                 live_eval(lv, w->g, e, w->vars_cycle), "", "");
    }
}

/* The transition values of stream j booked in cycle t, added to sb, in
 * the engine's order: move by move (state, slot, entry), then the values
 * of that move in their own order. */
static bool
add_transition_values(struct sheet_writer *w, size_t j, size_t t,
                      struct sbuf *sb)
{
    struct live *lv = w->lv;
    size_t r = data_row(w, t), n_tv = ns_view_n_transition_values(w->m);
    size_t *mine = malloc((n_tv + 1) * sizeof *mine), n_mine = 0;
    if (!mine)
        return false;
    for (size_t i = 0; i < n_tv; i++) {
        size_t stream, from, to;
        const struct ns_expr *e;
        ns_view_transition_value(w->m, i, &stream, &from, &to, &e);
        if (stream == j)
            mine[n_mine++] = i;
    }
    char what[300];
    bool ok = true;
    for (size_t from = 0; from < lv->S && ok && n_mine; from++)
        for (size_t q = 0; q < lv->sc[from].slots && ok; q++)
            for (size_t e_i = 0;
                 e_i < ns_view_row_n(w->m, w->k, from) && ok; e_i++) {
                size_t dest;
                const struct ns_expr *pe;
                ns_view_row_entry(w->m, w->k, from, e_i, &dest, &pe);
                for (size_t m = 0; m < n_mine && ok; m++) {
                    size_t stream, tv_from, to;
                    const struct ns_expr *e;
                    ns_view_transition_value(w->m, mine[m], &stream, &tv_from,
                                             &to, &e);
                    if (tv_from != from || to != dest)
                        continue;
                    char occ[24], p[24], sum[24];
                    live_cell(occ, sizeof occ, r - 1,
                              lv->sc[from].slot_col + q, false);
                    prob_cells(w, from, q, e_i, t - 1, p, sum);
                    snprintf(what, sizeof what,
                             "value of stream %s on %s -> %s",
                             w->m->streams[j].name, w->m->states[from].name,
                             w->m->states[to].name);
                    size_t h = lv->tv_helper[w->g * lv->n_tvalues + mine[m]];
                    char *f = NULL;
                    if (h == SIZE_MAX) {
                        f = live_translate_slot(lv, w->g, w->k, r - 1, q,
                                                LIVE_IN_CYCLE, e, what);
                    } else {
                        f = malloc(24);
                        if (f)
                            tv_cell(w, h, mine[m], t - 1, f);
                    }
                    ok = f != NULL;
                    if (f)
                        sb_add(sb, "%s%s*(%s/%s)*(%s)", sb->len ? "+" : "",
                               occ, p, sum, f);
                    free(f);
                }
            }
    free(mine);
    return ok;
}

/* Stream j's value at t, undiscounted and discounted. */
static void
write_value(struct sheet_writer *w, size_t j, size_t t)
{
    struct live *lv = w->lv;
    size_t r = data_row(w, t);
    struct sbuf sb = {0}, states = {0};
    char what[300];
    if (t > 0 && !add_transition_values(w, j, t, &sb)) {
        xl_note(lv->b, LXW_ERROR_PARAMETER_VALIDATION);
        free(sb.text);
        return;
    }
    for (size_t s = 0; s < lv->S; s++) {
        const struct ns_expr *e = ns_view_state_value(w->m, j, s);
        double c;
        if (ns_expr_is_constant(e, &c) && !(c < 0.0 || c > 0.0))
            continue;
        snprintf(what, sizeof what, "value of stream %s in state %s",
                 w->m->streams[j].name, w->m->states[s].name);
        for (size_t q = 0; q < lv->sc[s].slots; q++) {
            char *f = live_translate_slot(lv, w->g, w->k, r, q, LIVE_AT_POINT,
                                          e, what);
            if (!f) {
                xl_note(lv->b, LXW_ERROR_PARAMETER_VALIDATION);
                free(sb.text);
                free(states.text);
                return;
            }
            char occ[24];
            live_cell(occ, sizeof occ, r, lv->sc[s].slot_col + q, false);
            sb_add(&states, "%s%s*(%s)", states.len ? "+" : "", occ, f);
            free(f);
        }
    }
    if (states.len) {
        char wc[24];
        live_cell(wc, sizeof wc, r, lv->cols.weight, false);
        sb_add(&sb, "%s%s*(%s)", sb.len ? "+" : "", wc, states.text);
    }
    free(states.text);
    if (!sb.len)
        sb_add(&sb, "0");
    put(w, r, lv->cols.value + j, &sb,
        ns_results_value(w->r, w->k, t, j, false));
    char v[24], d[24];
    live_cell(v, sizeof v, r, lv->cols.value + j, false);
    live_cell(d, sizeof d, r, lv->cols.discount + w->m->streams[j].outcome,
              false);
    sb_add(&sb, "%s*%s", v, d);
    put(w, r, lv->cols.value_disc + j, &sb,
        ns_results_value(w->r, w->k, t, j, true));
}

/* Each perspective's counted costs at t: the payback year's input. */
static void
write_counted(struct sheet_writer *w, size_t t)
{
    struct live *lv = w->lv;
    size_t r = data_row(w, t);
    for (size_t i = 0; i <= w->m->n_perspectives; i++) {
        struct sbuf sb = {0};
        double sum = 0.0;
        for (size_t j = 0; j < lv->J; j++) {
            if (!live_counts(w->m, j, i))
                continue;
            char v[24];
            live_cell(v, sizeof v, r, lv->cols.value_disc + j, false);
            sb_add(&sb, "%s%s", sb.len ? "+" : "", v);
            sum += ns_results_value(w->r, w->k, t, j, true);
        }
        if (!sb.len)
            sb_add(&sb, "0");
        put(w, r, lv->cols.counted + i, &sb, sum);
    }
}

static void
write_totals_row(struct sheet_writer *w)
{
    struct live *lv = w->lv;
    size_t r = w->sh->total_row;
    xl_put_text(lv->b, w->ws, r, 0, "total", lv->b->bold);
    for (size_t j = 0; j < lv->J; j++)
        for (int disc = 0; disc <= 1; disc++) {
            size_t col = (disc ? lv->cols.value_disc : lv->cols.value) + j;
            char a[24], b[24];
            live_cell(a, sizeof a, data_row(w, 0), col, false);
            live_cell(b, sizeof b, data_row(w, lv->T), col, false);
            struct sbuf sb = {0};
            sb_add(&sb, "SUM(%s:%s)", a, b);
            put(w, r, col, &sb, ns_results_total(w->r, w->k, j, disc));
        }
}

/* Allocates the writer's scratch; false when memory runs out. */
static bool
alloc_scratch(struct sheet_writer *w)
{
    const struct live *lv = w->lv;
    size_t nv = ns_view_n_vars(w->m), X = 0;
    w->first_x = calloc(lv->S + 1, sizeof *w->first_x);
    if (!w->first_x)
        return false;
    for (size_t s = 0; s < lv->S; s++) {
        w->first_x[s] = X;
        X += lv->sc[s].slots;
        w->max_width = lv->sc[s].width > w->max_width ? lv->sc[s].width
                                                        : w->max_width;
    }
    w->vars_point = calloc(nv + 1, sizeof *w->vars_point);
    w->vars_cycle = calloc(nv + 1, sizeof *w->vars_cycle);
    w->vars_slot = calloc(nv + 1, sizeof *w->vars_slot);
    w->timed_row = calloc(lv->S + 1, sizeof *w->timed_row);
    w->occ = calloc(X + 1, sizeof *w->occ);
    w->next = calloc(X + 1, sizeof *w->next);
    w->pnorm = calloc(X * (w->max_width + 1) + 1, sizeof *w->pnorm);
    return w->vars_point && w->vars_cycle && w->vars_slot && w->timed_row &&
           w->occ && w->next && w->pnorm;
}

static void
free_scratch(struct sheet_writer *w)
{
    free(w->first_x);
    free(w->vars_point);
    free(w->vars_cycle);
    free(w->vars_slot);
    free(w->timed_row);
    free(w->occ);
    free(w->next);
    free(w->pnorm);
}

void
live_write_model_sheet(struct live *lv, size_t g, size_t k)
{
    struct sheet_writer w = {.lv = lv, .g = g, .k = k,
                             .m = model_of(lv, g),
                             .r = lv->pop->results[g],
                             .sh = sheet_of(lv, g, k), .num = lv->locked};
    w.ws = xl_add_sheet(lv->b, w.sh->name);
    if (!w.ws || !alloc_scratch(&w)) {
        xl_note(lv->b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        free_scratch(&w);
        return;
    }
    for (size_t s = 0; s < lv->S; s++)
        w.timed_row[s] = row_timed(lv, g, k, s);
    char title[300];
    snprintf(title, sizeof title, "%s%s%s: the model cycle by cycle",
             lv->G > 1 ? lv->pop->names[g] : "", lv->G > 1 ? ", " : "",
             xl_label_of(&w.m->strategies[k]));
    xl_put_text(lv->b, w.ws, 0, 0, title, lv->b->title);
    write_local_params(&w);
    write_headings(&w);
    for (size_t t = 0; t <= lv->T && !lv->b->error; t++) {
        live_vars(lv, g, k, t, LIVE_AT_POINT, 0, w.vars_point);
        live_vars(lv, g, k, t, LIVE_IN_CYCLE, 0, w.vars_cycle);
        write_time(&w, t);
        write_timed(&w, t);
        /* The cohort at t and the values counted at t read the
         * probabilities of cycle t (the row above): both come before this
         * row's probabilities replace them in pnorm. */
        simulate(&w, t);
        for (size_t s = 0; s < lv->S; s++)
            write_trace(&w, s, t);
        double *tmp = w.occ;
        w.occ = w.next;
        w.next = tmp;
        for (size_t j = 0; j < lv->J; j++)
            write_value(&w, j, t);
        write_counted(&w, t);
        if (t < lv->T)
            write_tv_helpers(&w, t);
        for (size_t s = 0; s < lv->S; s++)
            for (size_t q = 0; q < lv->sc[s].slots; q++)
                if (t < lv->T && (t == 0 || w.timed_row[s]))
                    write_row_probs(&w, s, q, t);
    }
    write_totals_row(&w);
    worksheet_freeze_panes(w.ws, (lxw_row_t)w.sh->first_row, 1);
    worksheet_protect(w.ws, NULL, NULL);
    free_scratch(&w);
}

/* netsave: the live workbook (output/live.h): the plan of where each
 * parameter is computed and under which defined name, the Inputs and
 * Tables sheets, and the workbook itself.
 *
 * A parameter that is a plain number in a subgroup and strategy is an
 * input: one named, unlocked cell on Inputs. Its name is the parameter's
 * name when the number is the same in every subgroup and strategy;
 * otherwise each subgroup or strategy (or both) where it differs gets a
 * cell named name_subgroup, name_strategy or name_subgroup_strategy. A
 * parameter defined by a formula the same everywhere, reading only such
 * cells, is a named formula cell on Inputs; one that differs is computed
 * on each model sheet, in its parameter block; one that varies with time
 * is a column of each model sheet. A name Excel would read as a cell
 * (c, r, tx1) gets '_' appended, and a name already taken (names compare
 * without case) gets _2, _3, ... (docs/outputs.md). */
#include "output/xlsx_live.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/area.h"
#include "model/ledger.h"

void
live_cell(char *buf, size_t size, size_t row, size_t col, bool absolute)
{
    char letters[8];
    size_t n = 0, c = col + 1;
    char rev[8];
    while (c > 0 && n < sizeof rev) {
        rev[n++] = (char)('A' + (c - 1) % 26);
        c = (c - 1) / 26;
    }
    for (size_t i = 0; i < n; i++)
        letters[i] = rev[n - 1 - i];
    letters[n] = '\0';
    snprintf(buf, size, absolute ? "$%s$%zu" : "%s%zu", letters, row + 1);
}

void
live_ref(char *buf, size_t size, const char *sheet, size_t row, size_t col)
{
    char cell[24];
    live_cell(cell, sizeof cell, row, col, true);
    snprintf(buf, size, "'%s'!%s", sheet, cell);
}

void
live_formula(struct live *lv, lxw_worksheet *ws, size_t row, size_t col,
             const char *text, double cached, lxw_format *fmt)
{
    if (lv->b->error)
        return;
    size_t n = strlen(text);
    if (n > LIVE_FORMULA_MAX) {
        snprintf(lv->err, sizeof lv->err,
                 "a formula (%.40s...) needs %zu characters, more than "
                 "Excel's %d",
                 text, n, LIVE_FORMULA_MAX);
        xl_note(lv->b, LXW_ERROR_255_STRING_LENGTH_EXCEEDED);
        return;
    }
    char *eq = malloc(n + 2);
    if (!eq) {
        xl_note(lv->b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    eq[0] = '=';
    memcpy(eq + 1, text, n + 1);
    xl_note(lv->b, worksheet_write_formula_num(ws, (lxw_row_t)row,
                                               (lxw_col_t)col, eq,
                                               fmt ? fmt : lv->locked,
                                               cached));
    free(eq);
}

/* ---- names ---- */

/* Makes name (mangled as ns_formula_name) unique among the names made so
 * far and keeps it; returns it, or NULL when memory runs out. */
static const char *
add_name(struct live *lv, const char *name)
{
    char base[256], cand[272];
    ns_formula_name(name, base, sizeof base);
    snprintf(cand, sizeof cand, "%s", base);
    for (unsigned n = 2;; n++) {
        bool taken = false;
        for (size_t i = 0; i < lv->n_names && !taken; i++)
            taken = strcasecmp(lv->names[i], cand) == 0;
        if (!taken)
            break;
        snprintf(cand, sizeof cand, "%s_%u", base, n);
    }
    char **grown = realloc(lv->names, (lv->n_names + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    lv->names = grown;
    lv->names[lv->n_names] = strdup(cand);
    return lv->names[lv->n_names] ? lv->names[lv->n_names++] : NULL;
}

/* ---- the plan ---- */

static struct live_param *
param_at(struct live *lv, size_t g, size_t k, size_t p)
{
    return &lv->param[(g * lv->K + k) * lv->P + p];
}

static bool
same_program(const struct ns_expr *a, const struct ns_expr *b)
{
    size_t n = ns_expr_n_steps(a);
    if (n != ns_expr_n_steps(b))
        return false;
    for (size_t i = 0; i < n; i++) {
        struct ns_expr_step x = ns_expr_step(a, i), y = ns_expr_step(b, i);
        if (x.kind != y.kind || x.index != y.index ||
            memcmp(&x.value, &y.value, sizeof x.value) != 0)
            return false;
    }
    return true;
}

/* The number a constant parameter of g, k is, or false. */
static bool
constant_of(const struct live *lv, size_t g, size_t k, size_t p, double *v)
{
    const struct ns_expr *e = ns_view_param(lv->pop->models[g], k, p);
    return ns_expr_is_constant(e, v);
}

/* Whether every parameter e reads is named on Inputs for all g, k. */
static bool
reads_only_named(struct live *lv, const struct ns_expr *e)
{
    for (size_t i = 0; i < ns_expr_n_variables(e); i++) {
        long v = ns_expr_variable(e, i);
        if (v < NS_VIEW_BUILTINS)
            return false;
        for (size_t g = 0; g < lv->G; g++)
            for (size_t k = 0; k < lv->K; k++) {
                enum live_kind kind =
                    param_at(lv, g, k, (size_t)v - NS_VIEW_BUILTINS)->kind;
                if (kind != LIVE_INPUT && kind != LIVE_DERIVED)
                    return false;
            }
        /* An input that differs by subgroup or strategy has no one name. */
        const char *n0 = param_at(lv, 0, 0, (size_t)v - NS_VIEW_BUILTINS)->name;
        for (size_t g = 0; g < lv->G; g++)
            for (size_t k = 0; k < lv->K; k++)
                if (param_at(lv, g, k, (size_t)v - NS_VIEW_BUILTINS)->name != n0)
                    return false;
    }
    return true;
}

/* Names the inputs of parameter p (a number wherever it is one): by
 * subgroup (by_g) and by strategy (by_k) where the number differs. */
static void
plan_inputs(struct live *lv, size_t p)
{
    const char *pname = ns_view_var_name(lv->pop->models[0],
                                         NS_VIEW_BUILTINS + p);
    bool by_g = false, by_k = false;
    for (size_t g = 0; g < lv->G; g++)
        for (size_t k = 0; k < lv->K; k++) {
            double v;
            if (!constant_of(lv, g, k, p, &v))
                continue;
            for (size_t g2 = 0; g2 < lv->G; g2++) {
                double w;
                if (g2 != g && (!constant_of(lv, g2, k, p, &w) ||
                                memcmp(&v, &w, sizeof v) != 0))
                    by_g = true;
            }
            for (size_t k2 = 0; k2 < lv->K; k2++) {
                double w;
                if (k2 != k && (!constant_of(lv, g, k2, p, &w) ||
                                memcmp(&v, &w, sizeof v) != 0))
                    by_k = true;
            }
        }
    const char *shared = NULL;
    for (size_t g = 0; g < lv->G; g++)
        for (size_t k = 0; k < lv->K; k++) {
            double v;
            if (!constant_of(lv, g, k, p, &v))
                continue;
            struct live_param *lp = param_at(lv, g, k, p);
            lp->kind = LIVE_INPUT;
            if (!by_g && !by_k) {
                if (!shared)
                    shared = add_name(lv, pname);
                lp->name = shared;
                continue;
            }
            /* The first cell of each subgroup/strategy pair that shares
             * the number names it for the others. */
            size_t g0 = by_g ? g : 0, k0 = by_k ? k : 0;
            if (param_at(lv, g0, k0, p)->name && (g0 != g || k0 != k)) {
                lp->name = param_at(lv, g0, k0, p)->name;
                continue;
            }
            char full[512];
            snprintf(full, sizeof full, "%s%s%s%s%s", pname, by_g ? "_" : "",
                     by_g ? lv->pop->names[g] : "", by_k ? "_" : "",
                     by_k ? lv->pop->models[0]->strategies[k].name : "");
            lp->name = add_name(lv, full);
        }
}

/* Plans parameter p in every subgroup and strategy; returns false with
 * lv->err set when it has no faithful formula. */
static bool
plan_param(struct live *lv, size_t p)
{
    const struct ns_model *m0 = lv->pop->models[0];
    plan_inputs(lv, p);
    bool uniform = true;
    const struct ns_expr *e0 = ns_view_param(m0, 0, p);
    for (size_t g = 0; g < lv->G; g++)
        for (size_t k = 0; k < lv->K; k++) {
            const struct ns_model *m = lv->pop->models[g];
            if (param_at(lv, g, k, p)->kind == LIVE_INPUT)
                continue;
            if (ns_view_param_dep(m, k, p) & NS_VIEW_DEP_STATE_TIME) {
                param_at(lv, g, k, p)->kind = LIVE_SLOT;
                uniform = false;
            } else if (ns_view_param_dep(m, k, p) & NS_VIEW_DEP_TIME) {
                param_at(lv, g, k, p)->kind = LIVE_TIMED;
                uniform = false;
            } else if (!same_program(e0, ns_view_param(m, k, p))) {
                uniform = false;
            }
        }
    bool all_formula = true;
    for (size_t g = 0; g < lv->G; g++)
        for (size_t k = 0; k < lv->K; k++)
            if (param_at(lv, g, k, p)->kind == LIVE_INPUT)
                all_formula = false;
    bool derived = uniform && all_formula && reads_only_named(lv, e0);
    const char *name = derived ? add_name(lv, ns_view_var_name(m0, NS_VIEW_BUILTINS + p)) : NULL;
    for (size_t g = 0; g < lv->G; g++)
        for (size_t k = 0; k < lv->K; k++) {
            struct live_param *lp = param_at(lv, g, k, p);
            if (lp->kind == LIVE_INPUT || lp->kind == LIVE_TIMED ||
                lp->kind == LIVE_SLOT)
                continue;
            lp->kind = derived ? LIVE_DERIVED : LIVE_LOCAL;
            lp->name = name;
        }
    return true;
}

/* The order in which parameters are planned: each after what it reads. */
static bool
plan(struct live *lv)
{
    const struct ns_model *m0 = lv->pop->models[0];
    for (size_t i = 0; i < lv->P; i++)
        if (!plan_param(lv, ns_view_param_order(m0, 0, i)))
            return false;
    lv->timed_index = malloc((lv->P + 1) * sizeof *lv->timed_index);
    if (!lv->timed_index)
        return false;
    for (size_t p = 0; p < lv->P; p++) {
        lv->timed_index[p] = SIZE_MAX;
        for (size_t g = 0; g < lv->G; g++)
            for (size_t k = 0; k < lv->K; k++)
                if (param_at(lv, g, k, p)->kind == LIVE_TIMED &&
                    lv->timed_index[p] == SIZE_MAX)
                    lv->timed_index[p] = lv->n_timed++;
    }
    return true;
}

/* ---- translation ---- */

struct live_ctx {
    struct live *lv;
    size_t g, k, row, slot; /* slot: SIZE_MAX outside a tunnel */
    enum live_when when;
    char buf[64];
    char **inline_texts;    /* parameters written out in full, to free */
    size_t n_inline;
    unsigned depth;
};

static char *translate_ctx(struct live_ctx *x, const struct ns_expr *e,
                           char *why, size_t size);

static const char *
ctx_variable(void *c, long slot, char *why, size_t size)
{
    struct live_ctx *x = c;
    const struct live_cols *cols = &x->lv->cols;
    if (slot < NS_VIEW_BUILTINS) {
        size_t col = slot == NS_VIEW_TIME  ? cols->time
                     : slot == NS_VIEW_AGE ? cols->age
                     : x->when == LIVE_AT_POINT ? cols->cycle
                                                : cols->cycle_next;
        if (slot == NS_VIEW_STATE_TIME && x->slot != SIZE_MAX) {
            snprintf(x->buf, sizeof x->buf, "%zu", x->slot);
            return x->buf;
        }
        if (slot == NS_VIEW_STATE_TIME || x->row == SIZE_MAX) {
            snprintf(why, size, "%s has no cell here",
                     ns_view_var_name(x->lv->pop->models[x->g], (size_t)slot));
            return NULL;
        }
        char cell[24];
        live_cell(cell, sizeof cell, x->row, col, false);
        snprintf(x->buf, sizeof x->buf, "$%s", cell);
        return x->buf;
    }
    size_t p = (size_t)slot - NS_VIEW_BUILTINS;
    const struct live_param *lp = param_at(x->lv, x->g, x->k, p);
    switch (lp->kind) {
    case LIVE_UNPLANNED:
        break;
    case LIVE_SLOT: {
        /* Written out in full, in parentheses: the same operations as the
         * engine's, with state_time the slot's number. */
        char *text = x->depth < NS_EXPR_MAX_DEPTH
                         ? translate_ctx(x, ns_view_param(x->lv->pop->models[x->g],
                                                          x->k, p),
                                         why, size)
                         : NULL;
        if (!text)
            return NULL;
        char **grown = realloc(x->inline_texts,
                               (x->n_inline + 1) * sizeof *grown);
        size_t n = strlen(text);
        char *wrapped = malloc(n + 3);
        if (!grown || !wrapped) {
            if (grown)
                x->inline_texts = grown;
            free(text);
            free(wrapped);
            snprintf(why, size, "out of memory");
            return NULL;
        }
        x->inline_texts = grown;
        wrapped[0] = '(';
        memcpy(wrapped + 1, text, n);
        wrapped[n + 1] = ')';
        wrapped[n + 2] = '\0';
        free(text);
        x->inline_texts[x->n_inline++] = wrapped;
        return wrapped;
    }
    case LIVE_INPUT:
    case LIVE_DERIVED:
        return lp->name;
    case LIVE_LOCAL:
        live_cell(x->buf, sizeof x->buf, lp->row, 1, true);
        return x->buf;
    case LIVE_TIMED:
        if (x->row == SIZE_MAX)
            break;
        live_cell(x->buf, sizeof x->buf, x->row,
                  x->lv->cols.timed + 2 * x->lv->timed_index[p] +
                      (x->when == LIVE_IN_CYCLE),
                  false);
        return x->buf;
    }
    snprintf(why, size, "parameter %s varies with time but is read where "
             "there is no time",
             ns_view_var_name(x->lv->pop->models[x->g], (size_t)slot));
    return NULL;
}

static bool
ctx_table(void *c, long index, const char **keys, const char **values,
          bool *exact, char *why, size_t size)
{
    struct live_ctx *x = c;
    const struct ns_table *t = ns_view_table(x->lv->pop->models[x->g],
                                             (size_t)index);
    (void)why;
    (void)size;
    static _Thread_local char kbuf[64], vbuf[64];
    char a[24], b2[24];
    live_cell(a, sizeof a, 1, 2 * (size_t)index, true);
    live_cell(b2, sizeof b2, t->n, 2 * (size_t)index, true);
    snprintf(kbuf, sizeof kbuf, "Tables!%s:%s", a, b2);
    live_cell(a, sizeof a, 1, 2 * (size_t)index + 1, true);
    live_cell(b2, sizeof b2, t->n, 2 * (size_t)index + 1, true);
    snprintf(vbuf, sizeof vbuf, "Tables!%s:%s", a, b2);
    *keys = kbuf;
    *values = vbuf;
    *exact = t->exact;
    return true;
}

static char *
translate_ctx(struct live_ctx *x, const struct ns_expr *e, char *why,
              size_t size)
{
    struct ns_formula_names fn = {x, ctx_variable, ctx_table};
    char *out = NULL;
    x->depth++;
    if (ns_formula_translate(e, &fn, &out, why, size) != NS_OK)
        out = NULL;
    x->depth--;
    return out;
}

char *
live_translate_slot(struct live *lv, size_t g, size_t k, size_t row,
                    size_t slot, enum live_when when, const struct ns_expr *e,
                    const char *what)
{
    struct live_ctx x = {.lv = lv, .g = g, .k = k, .row = row, .slot = slot,
                         .when = when};
    char why[256] = "";
    char *out = translate_ctx(&x, e, why, sizeof why);
    for (size_t i = 0; i < x.n_inline; i++)
        free(x.inline_texts[i]);
    free(x.inline_texts);
    if (!out)
        snprintf(lv->err, sizeof lv->err, "%s (subgroup %s, strategy %s): %s",
                 what, lv->pop->names[g],
                 lv->pop->models[g]->strategies[k].name, why);
    return out;
}

char *
live_translate(struct live *lv, size_t g, size_t k, size_t row,
               enum live_when when, const struct ns_expr *e, const char *what)
{
    return live_translate_slot(lv, g, k, row, SIZE_MAX, when, e, what);
}

void
live_vars(const struct live *lv, size_t g, size_t k, size_t t,
          enum live_when when, size_t slot, double *vars)
{
    const struct ns_model *m = lv->pop->models[g];
    const struct ns_results *r = lv->pop->results[g];
    double years = (double)t * m->cycle_length_years;
    vars[NS_VIEW_CYCLE] = (double)(when == LIVE_AT_POINT ? t : t + 1);
    vars[NS_VIEW_TIME] = years;
    vars[NS_VIEW_AGE] = m->start_age_years + years;
    vars[NS_VIEW_STATE_TIME] = (double)slot;
    for (size_t p = 0; p < lv->P; p++)
        vars[NS_VIEW_BUILTINS + p] = r->param_values[k * lv->P + p];
    for (size_t i = 0; i < lv->P; i++) {
        size_t p = ns_view_param_order(m, k, i);
        enum live_kind kind = param_at((struct live *)lv, g, k, p)->kind;
        if (kind == LIVE_TIMED || kind == LIVE_SLOT)
            vars[NS_VIEW_BUILTINS + p] =
                live_eval(lv, g, ns_view_param(m, k, p), vars);
    }
}

double
live_eval(const struct live *lv, size_t g, const struct ns_expr *e,
          const double *vars)
{
    const struct ns_model *m = lv->pop->models[g];
    size_t n = ns_view_n_tables(m);
    struct ns_table tables[64];
    const struct ns_table *tp = tables;
    if (n > 64)
        return NS_NAN;
    for (size_t i = 0; i < n; i++)
        tables[i] = *ns_view_table(m, i);
    double v;
    if (ns_expr_eval(e, vars, tp, &v, NULL) != NS_OK)
        return NS_NAN;
    return v;
}

/* ---- Inputs and Tables ---- */

static void
define_name(struct live *lv, const char *name, size_t row, size_t col)
{
    char ref[96];
    live_cell(ref + 8, sizeof ref - 8, row, col, true);
    char full[128];
    snprintf(full, sizeof full, "=Inputs!%s", ref + 8);
    if (!lv->b->error)
        xl_note(lv->b, workbook_define_name(lv->b->wb, name, full));
}

/* A named model-wide input (a discount rate, a weight), under the name
 * name_model_inputs chose. */
static void
model_input(struct live *lv, lxw_worksheet *ws, size_t *row, const char *n,
            double value, const char *what, bool locked)
{
    xl_put_text(lv->b, ws, *row, 0, n, NULL);
    xl_put_number(lv->b, ws, *row, 1, value, locked ? lv->locked : lv->input);
    xl_put_text(lv->b, ws, *row, 6, what, NULL);
    define_name(lv, n, *row, 1);
    (*row)++;
}

/* Names the model-wide inputs, after the parameters: a parameter keeps
 * its own name, and a model input that meets one gets _2. */
static bool
name_model_inputs(struct live *lv)
{
    const struct ns_model *m = lv->pop->models[0];
    lv->cycle_length_name = add_name(lv, "cycle_length");
    lv->start_age_name = add_name(lv, "start_age");
    lv->report_cohort_name = add_name(lv, "report_cohort");
    bool ok = lv->cycle_length_name && lv->start_age_name &&
              lv->report_cohort_name;
    for (size_t o = 0; o < lv->O; o++) {
        char name[300];
        snprintf(name, sizeof name, "discount_%s", m->outcomes[o].name);
        ok = ok && (lv->outcome_names[o] = (char *)add_name(lv, name));
    }
    for (size_t g = 0; g < lv->G; g++) {
        char name[300];
        snprintf(name, sizeof name, "weight_%s", lv->pop->names[g]);
        ok = ok && (lv->weight_names[g] = (char *)add_name(lv, name));
    }
    if (!ok)
        snprintf(lv->err, sizeof lv->err, "out of memory");
    return ok;
}

static void
write_model_inputs(struct live *lv, lxw_worksheet *ws, size_t *row)
{
    const struct ns_model *m = lv->pop->models[0];
    model_input(lv, ws, row, lv->cycle_length_name, m->cycle_length_years,
                "years per cycle ([model] cycle_length; the cycle tables are "
                "laid out for it, so it is not an input)",
                true);
    model_input(lv, ws, row, lv->start_age_name, m->start_age_years,
                "age at the start, years", false);
    model_input(lv, ws, row, lv->report_cohort_name,
                m->report_cohort > 0.0 ? m->report_cohort : 1.0,
                "clients in the cohort results are also shown for", false);
    for (size_t o = 0; o < lv->O; o++) {
        char what[300];
        snprintf(what, sizeof what, "discount rate per year of %s",
                 m->outcomes[o].name);
        model_input(lv, ws, row, lv->outcome_names[o],
                    m->outcomes[o].discount_rate, what, false);
    }
    for (size_t g = 0; g < lv->G; g++) {
        char what[300];
        snprintf(what, sizeof what,
                 "share of clients in subgroup %s (the shares must sum to 1)",
                 lv->pop->names[g]);
        model_input(lv, ws, row, lv->weight_names[g], lv->pop->weights[g],
                    what, false);
    }
}

/* The provenance columns of parameter p. */
static void
put_source(struct live *lv, lxw_worksheet *ws, size_t row, size_t p,
           const char *applies)
{
    const struct ns_param_info *pi = &lv->pop->models[0]->params[p];
    xl_put_text(lv->b, ws, row, 2, pi->unit ? pi->unit : "", NULL);
    xl_put_text(lv->b, ws, row, 3, pi->price_year ? pi->price_year : "", NULL);
    xl_put_text(lv->b, ws, row, 4, pi->source ? pi->source : "", NULL);
    xl_put_text(lv->b, ws, row, 5, pi->grade ? pi->grade : "", NULL);
    xl_put_text(lv->b, ws, row, 6, pi->text ? pi->text : "", NULL);
    xl_put_text(lv->b, ws, row, 7, applies, NULL);
}

/* One row per named cell of parameter p. */
static bool
write_param_inputs(struct live *lv, lxw_worksheet *ws, size_t *row, size_t p)
{
    const char *done[256];
    size_t n_done = 0;
    for (size_t g = 0; g < lv->G; g++)
        for (size_t k = 0; k < lv->K; k++) {
            struct live_param *lp = param_at(lv, g, k, p);
            if (lp->kind != LIVE_INPUT && lp->kind != LIVE_DERIVED)
                continue;
            bool seen = false;
            for (size_t i = 0; i < n_done && !seen; i++)
                seen = done[i] == lp->name;
            if (seen || n_done == 256)
                continue;
            done[n_done++] = lp->name;
            const struct ns_model *m = lv->pop->models[g];
            const struct ns_expr *e = ns_view_param(m, k, p);
            xl_put_text(lv->b, ws, *row, 0, lp->name, NULL);
            if (lp->kind == LIVE_INPUT) {
                double v = 0.0;
                ns_expr_is_constant(e, &v);
                xl_put_number(lv->b, ws, *row, 1, v, lv->input);
            } else {
                char *f = live_translate(lv, g, k, SIZE_MAX, LIVE_AT_POINT, e,
                                         lp->name);
                if (!f)
                    return false;
                live_formula(lv, ws, *row, 1, f,
                             lv->pop->results[g]->param_values[k * lv->P + p],
                             lv->locked);
                free(f);
            }
            char applies[300] = "everywhere";
            if (strcmp(lp->name, ns_view_var_name(m, NS_VIEW_BUILTINS + p)))
                snprintf(applies, sizeof applies, "%s%s%s",
                         lv->G > 1 ? lv->pop->names[g] : "",
                         lv->G > 1 ? " " : "", m->strategies[k].name);
            put_source(lv, ws, *row, p, applies);
            define_name(lv, lp->name, *row, 1);
            (*row)++;
        }
    return true;
}

static bool
write_inputs(struct live *lv)
{
    lxw_worksheet *ws = xl_add_sheet(lv->b, "Inputs");
    if (!ws)
        return true;
    xl_put_text(lv->b, ws, 0, 0, "Inputs", lv->b->title);
    xl_put_text(lv->b, ws, 1, 0,
                "Change the shaded cells: every formula in the workbook reads "
                "them by name. Other cells are formulas (the sheets are "
                "protected without a password so that they are not typed "
                "over by mistake).",
                NULL);
    static const char *const heads[] = {"name", "value", "unit",
                                        "price year", "source", "grade",
                                        "definition", "applies to"};
    for (size_t c = 0; c < 8; c++)
        xl_put_text(lv->b, ws, 3, c, heads[c], lv->b->bold);
    size_t row = 4;
    write_model_inputs(lv, ws, &row);
    const struct ns_model *m0 = lv->pop->models[0];
    for (size_t i = 0; i < lv->P; i++)
        if (!write_param_inputs(lv, ws, &row, ns_view_param_order(m0, 0, i)))
            return false;
    xl_set_width(lv->b, ws, 0, 28.0);
    xl_set_width(lv->b, ws, 1, NUMBER_WIDTH);
    xl_set_width(lv->b, ws, 4, 40.0);
    xl_set_width(lv->b, ws, 6, 40.0);
    worksheet_protect(ws, NULL, NULL);
    return true;
}

static void
write_tables(struct live *lv)
{
    const struct ns_model *m = lv->pop->models[0];
    lxw_worksheet *ws = xl_add_sheet(lv->b, "Tables");
    if (!ws)
        return;
    for (size_t i = 0; i < ns_view_n_tables(m); i++) {
        const struct ns_table *t = ns_view_table(m, i);
        char head[300];
        snprintf(head, sizeof head, "%s key", t->name ? t->name : "table");
        xl_put_text(lv->b, ws, 0, 2 * i, head, lv->b->bold);
        snprintf(head, sizeof head, "%s value", t->name ? t->name : "table");
        xl_put_text(lv->b, ws, 0, 2 * i + 1, head, lv->b->bold);
        for (size_t r = 0; r < t->n; r++) {
            xl_put_number(lv->b, ws, r + 1, 2 * i, t->x[r], lv->input);
            xl_put_number(lv->b, ws, r + 1, 2 * i + 1, t->y[r], lv->input);
        }
    }
    worksheet_protect(ws, NULL, NULL);
}

/* Tables must be the same in every subgroup: they are one sheet. */
static bool
tables_shared(struct live *lv)
{
    const struct ns_model *m0 = lv->pop->models[0];
    for (size_t g = 1; g < lv->G; g++) {
        const struct ns_model *m = lv->pop->models[g];
        for (size_t i = 0; i < ns_view_n_tables(m0); i++) {
            const struct ns_table *a = ns_view_table(m0, i),
                                  *b = ns_view_table(m, i);
            if (a->n != b->n ||
                memcmp(a->x, b->x, a->n * sizeof *a->x) != 0 ||
                memcmp(a->y, b->y, a->n * sizeof *a->y) != 0) {
                snprintf(lv->err, sizeof lv->err,
                         "table %s differs between subgroups, and the live "
                         "workbook has one Tables sheet",
                         a->name ? a->name : "");
                return false;
            }
        }
    }
    return true;
}

/* ---- the workbook ---- */

void
ns_live_default_area(const struct ns_model *m, const struct ns_results *r,
                     double *starts, struct ns_live_area *area)
{
    if (m->area) {
        area->name = m->area->name;
        area->n_years = m->area->n_years;
        area->starts = m->area->starts;
        return;
    }
    size_t Y = ns_ledger_n_years(m);
    for (size_t k = 0; k < m->n_strategies; k++)
        for (size_t y = 0; y < Y; y++)
            starts[k * Y + y] =
                m->comparator[k] < 0  ? 0.0
                : m->report_cohort > 0 ? m->report_cohort
                                       : ns_results_cohort(r, k);
    area->name = "Example area";
    area->n_years = Y;
    area->starts = starts;
}

static void
live_free(struct live *lv)
{
    for (size_t i = 0; i < lv->n_names; i++)
        free(lv->names[i]);
    free(lv->names);
    free(lv->param);
    free(lv->sc);
    free(lv->tv_helper);
    free(lv->sheet);
    free(lv->timed_index);
    free(lv->outcome_names);
    free(lv->weight_names);
}

static void
add_live_formats(struct live *lv)
{
    lv->input = workbook_add_format(lv->b->wb);
    lv->locked = workbook_add_format(lv->b->wb);
    if (!lv->input || !lv->locked) {
        xl_note(lv->b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    format_set_unlocked(lv->input);
    format_set_bg_color(lv->input, 0xFFF2CC); /* pale yellow: inputs */
    format_set_border(lv->input, LXW_BORDER_THIN);
}

static void
fill_live(struct book *b, const struct ns_run_info *info)
{
    struct live *lv = b->live;
    xl_add_population_formats(b);
    add_live_formats(lv);
    live_write_summary(lv);
    live_write_area(lv);
    if (!write_inputs(lv)) {
        xl_note(b, LXW_ERROR_PARAMETER_VALIDATION);
        return;
    }
    write_tables(lv);
    live_write_totals(lv);
    live_write_payback(lv);
    for (size_t g = 0; g < lv->G; g++)
        for (size_t k = 0; k < lv->K; k++)
            live_write_model_sheet(lv, g, k);
    xl_write_about(b, info);
}

/* Sets up the plan, or returns false with lv->err. */
static bool
prepare(struct live *lv)
{
    const struct ns_model *m = lv->pop->models[0];
    lv->G = lv->pop->n_groups;
    lv->K = m->n_strategies;
    lv->P = m->n_params;
    lv->S = m->n_states;
    lv->J = m->n_streams;
    lv->O = m->n_outcomes;
    lv->T = m->n_cycles;
    lv->param = calloc(lv->G * lv->K * lv->P + 1, sizeof *lv->param);
    lv->sheet = calloc(lv->G * lv->K, sizeof *lv->sheet);
    lv->outcome_names = calloc(lv->O + 1, sizeof *lv->outcome_names);
    lv->weight_names = calloc(lv->G + 1, sizeof *lv->weight_names);
    if (!lv->param || !lv->sheet || !lv->outcome_names || !lv->weight_names) {
        snprintf(lv->err, sizeof lv->err, "out of memory");
        return false;
    }
    if (!tables_shared(lv) || !plan(lv) || !name_model_inputs(lv))
        return false;
    for (size_t g = 0; g < lv->G; g++)
        for (size_t k = 0; k < lv->K; k++)
            if (!live_check_model(lv, g, k))
                return false;
    return true;
}

enum ns_status
ns_xlsx_write_live(const char *path, const struct ns_population *pop,
                   const struct ns_live_area *area,
                   const struct ns_run_info *info, char *err, size_t err_size)
{
    const char *why = ns_population_check(pop);
    if (why) {
        snprintf(err, err_size, "cannot write %s: %s", path, why);
        return NS_EOUTPUT;
    }
    struct book b = {.model = pop->models[0], .results = pop->pooled,
                     .pop = pop,
                     .headline = pop->models[0]->n_perspectives > 0
                                     ? 0
                                     : NS_ALL_PAYERS};
    struct live lv = {.b = &b, .pop = pop, .area = area};
    b.live = &lv;
    if (!prepare(&lv)) {
        snprintf(err, err_size, "%s", lv.err);
        live_free(&lv);
        return NS_EPARAM;
    }
    enum ns_status st = xl_write_book(path, &b, fill_live, info, err,
                                      err_size);
    if (st != NS_OK && lv.err[0])
        snprintf(err, err_size, "%s", lv.err);
    live_free(&lv);
    return st == NS_OK ? NS_OK : lv.err[0] ? NS_EPARAM : st;
}

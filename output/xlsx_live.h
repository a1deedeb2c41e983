/* netsave: the live workbook's private side (output/live.h), shared by
 * xlsx_live.c (the plan: names, inputs, tables), xlsx_live_model.c (a
 * sheet per subgroup and strategy) and xlsx_live_summary.c (totals,
 * summary, area). Not a public header of ns_output. */
#ifndef NS_OUTPUT_XLSX_LIVE_H
#define NS_OUTPUT_XLSX_LIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "model/population.h"
#include "model/view.h"
#include "output/formula.h"
#include "output/live.h"
#include "output/xlsx_book.h"

/* Where parameter p of subgroup g and strategy k is computed. */
enum live_kind {
    LIVE_UNPLANNED = 0,
    LIVE_INPUT,   /* a number: a named input cell on Inputs */
    LIVE_DERIVED, /* a formula the same everywhere: a named cell on Inputs */
    LIVE_LOCAL,   /* a formula of this subgroup and strategy: a cell in the
                     model sheet's parameter block */
    LIVE_TIMED,   /* varies with cycle, time or age: a column of the
                     model sheet, one value per row */
    LIVE_SLOT     /* reads time in state: written out in full inside each
                     formula that reads it, for the tunnel slot there */
};

/* Which of the variables a formula on a row sees: a value counted at time
 * point t (cycle = t), or the transition of cycle t + 1. */
enum live_when { LIVE_AT_POINT, LIVE_IN_CYCLE };

struct live_param {
    enum live_kind kind;
    const char *name;     /* defined name (INPUT, DERIVED), owned by plan */
    size_t row;           /* LOCAL: row of the sheet's parameter block */
    size_t col;           /* TIMED: the at-point column (in-cycle: +1) */
};

/* Columns of a model sheet's cycle table. */
struct live_cols {
    size_t t, cycle, time, age, cycle_next, weight;
    size_t discount;      /* first of n_outcomes */
    size_t timed;         /* first of 2 per timed parameter */
    size_t trace;         /* first of the trace block */
    size_t prob;          /* first of the probability block */
    size_t rowsum;        /* first of the row sums */
    size_t value;         /* first of n_streams, undiscounted */
    size_t value_disc;    /* first of n_streams, discounted */
    size_t tv;            /* first of n_tv_helpers: values booked on
                             transitions, one column per distinct
                             expression (not reading state_time) */
    size_t counted;       /* first of n_perspectives + 1: the discounted
                             cost streams each perspective counts (the
                             last: all payers), summed */
    size_t end;
};

struct live_sheet {
    char name[32];
    size_t first_row;     /* the row of time point 0 */
    size_t total_row;     /* the row of the totals */
};

/* Where state s's columns are: tunnel slot q of the trace at
 * slot_col[s] + q, the state's total at total_col[s] (the slot itself
 * for a state without tunnels); entry i of its row in slot q at
 * prob_col[s] + q * width[s] + i; the row's sum in slot q at
 * sum_col[s] + q. */
struct live_state_cols {
    size_t slots, slot_col, total_col, prob_col, width, sum_col;
};

struct live {
    struct book *b;
    const struct ns_population *pop;
    const struct ns_live_area *area;
    size_t G, K, P, S, J, O, T;
    struct live_param *param; /* [(g * K + k) * P + p] */
    char **names;             /* every defined name made, owned */
    size_t n_names;
    struct live_sheet *sheet; /* [g * K + k] */
    struct live_cols cols;    /* the same in every model sheet */
    struct live_state_cols *sc; /* [n_states], the same in every sheet */
    size_t *tv_helper;        /* [g * n_tvalues + i]: transition value i's
                                 helper column (from cols.tv), or SIZE_MAX:
                                 written out in each formula */
    size_t n_tvalues, n_tv_helpers;
    size_t *timed_index;      /* [P]: column pair of a timed parameter, or
                                 SIZE_MAX when none anywhere */
    size_t n_timed;
    char **outcome_names;     /* [O] discount-rate names */
    char **weight_names;      /* [G] subgroup-weight names */
    const char *start_age_name, *cycle_length_name, *report_cohort_name;
    lxw_format *input;        /* unlocked, filled: what people change */
    lxw_format *locked;       /* formulas */
    char err[512];
};

/* The text of cell (row, col), 0-based, as "$C$5" (absolute) or "C5". */
void live_cell(char *buf, size_t size, size_t row, size_t col, bool absolute);
/* "'Sheet name'!$C$5". */
void live_ref(char *buf, size_t size, const char *sheet, size_t row,
              size_t col);
/* Excel's longest formula, in characters. */
#define LIVE_FORMULA_MAX 8192

/* A formula cell with its cached value; text without '='. A text longer
 * than LIVE_FORMULA_MAX sets lv->err (the workbook is then static). */
void live_formula(struct live *lv, lxw_worksheet *ws, size_t row, size_t col,
                  const char *text, double cached, lxw_format *fmt);
/* Translates e for subgroup g, strategy k on data row (SIZE_MAX: none),
 * seen at when; the text is new (free it), NULL with lv->err set. */
char *live_translate(struct live *lv, size_t g, size_t k, size_t row,
                     enum live_when when, const struct ns_expr *e,
                     const char *what);
/* live_translate in tunnel slot 'slot' (state_time = slot). */
char *live_translate_slot(struct live *lv, size_t g, size_t k, size_t row,
                          size_t slot, enum live_when when,
                          const struct ns_expr *e, const char *what);
/* The engine's values of the variables of g, k at time point t (when
 * LIVE_AT_POINT) or in cycle t + 1, in tunnel slot 'slot', into vars
 * [n_vars]. */
void live_vars(const struct live *lv, size_t g, size_t k, size_t t,
               enum live_when when, size_t slot, double *vars);
double live_eval(const struct live *lv, size_t g, const struct ns_expr *e,
                 const double *vars);

/* xlsx_live_model.c */
bool live_check_model(struct live *lv, size_t g, size_t k);
void live_write_model_sheet(struct live *lv, size_t g, size_t k);

/* Whether stream j counts for the payers of perspective i (the model's
 * perspectives, then n_perspectives: all payers), as model/ledger.c
 * counts it. */
bool live_counts(const struct ns_model *m, size_t j, size_t i);

/* xlsx_live_summary.c */
void live_write_payback(struct live *lv);
void live_write_totals(struct live *lv);
void live_write_summary(struct live *lv);
void live_write_area(struct live *lv);

#endif

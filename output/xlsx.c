/* netsave: results as an xlsx workbook for commissioners.
 *
 * Sheets, in order: "Summary" (discounted totals per strategy, incremental
 * results and a chart of the cost outcome), "Values" (each stream's totals
 * and differences from the comparator), one "Trace <strategy>" sheet per
 * strategy (the cohort over time, with a line chart) and "About" (what was
 * run, when, and from which files). The model never rounds: full doubles
 * go into the cells and number formats do the rounding on screen.
 *
 * libxlsxwriter (Debian 12 ships 1.1.4) prints warnings on stderr by
 * itself when given input Excel would reject, so everything it could
 * object to is checked here first: sheet names are made valid and unique
 * before any sheet is added, sizes are checked against Excel's grid,
 * non-finite numbers are written as text, and charts always have series.
 * Every lxw_error is checked; the first one stops the writing and becomes
 * NS_EOUTPUT. The workbook is written to a temporary file beside the
 * destination (output/atomic.h), with libxlsxwriter's own scratch files in
 * that same folder, and renamed over the destination only when complete.
 *
 * With the document's creation time taken from ns_run_info.run_time, the
 * same results and run information give a byte-identical file. */
#include "output/output.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xlsxwriter.h>

#include "model/ledger.h"
#include "model/measures.h"
#include "model/analysis/dsa.h"
#include "model/analysis/psa.h"
#include "model/verify.h"
#include "model/population.h"
#include "output/atomic.h"
#include "output/headline.h"

/* Column widths in Excel's character units, clamped to keep long labels
 * from pushing numbers off screen. */
#define MIN_WIDTH    10.0
#define MAX_WIDTH    60.0
#define NUMBER_WIDTH 16.0

/* Excel draws at most this many series in one chart. */
#define MAX_CHART_SERIES 255

/* Blank rows between the Summary table and its chart. */
#define CHART_GAP_ROWS 2

struct book {
    lxw_workbook *wb;
    const struct ns_model *model;
    const struct ns_results *results;
    lxw_format *bold;      /* headers */
    lxw_format *money;     /* totals of the cost outcome, ICERs */
    lxw_format *amount;    /* totals of other outcomes (QALYs, life years) */
    lxw_format *occupancy; /* trace cells */
    lxw_format *wrap;      /* long text on the About sheet */
    lxw_error error;       /* first failure; later calls then do nothing */

    /* For a population only (ns_xlsx_write_population); model and results
     * above are then its first model and pooled results. */
    const struct ns_population *pop;
    long headline;          /* perspective of the headline figures */
    double *years;          /* scratch, [ns_ledger_n_years(model)] */
    lxw_format *title;      /* a sheet's first line */
    lxw_format *heading;    /* bold, wrapped: long column headings */
    lxw_format *pounds;     /* money for people: whole pounds */
    lxw_format *ratio;      /* savings per GBP 1 */
    lxw_format *share;      /* a subgroup's share of clients */
    lxw_format *assumption; /* Inputs rows graded U */
};

/* Records the first failure, so a sequence of writes can be checked once
 * at the end without losing which error came first. */
static void
note(struct book *b, lxw_error e)
{
    if (b->error == LXW_NO_ERROR)
        b->error = e;
}

static void
put_text(struct book *b, lxw_worksheet *ws, size_t row, size_t col,
         const char *s, lxw_format *fmt)
{
    if (b->error || !s || !*s)
        return;
    note(b, worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, s, fmt));
}

/* Writes a number. Excel has no NaN or infinity (libxlsxwriter would write
 * XML that Excel refuses to open), so those become visible text. */
static void
put_number(struct book *b, lxw_worksheet *ws, size_t row, size_t col, double v,
           lxw_format *fmt)
{
    if (b->error)
        return;
    if (!isfinite(v)) {
        const char *text = isnan(v) ? "NaN" : v > 0 ? "Inf" : "-Inf";
        note(b, worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, text,
                                       NULL));
        return;
    }
    note(b, worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col, v, fmt));
}

static void
set_width(struct book *b, lxw_worksheet *ws, size_t col, double width)
{
    if (b->error)
        return;
    note(b,
         worksheet_set_column(ws, (lxw_col_t)col, (lxw_col_t)col, width, NULL));
}

/* Width that fits a column of text: its longest entry in characters
 * (UTF-8 sequences counted once), plus a margin. */
static double
text_width(double current, const char *s)
{
    if (!s)
        return current;
    double w = (double)lxw_utf8_strlen(s) + 2.0;
    if (w > MAX_WIDTH)
        w = MAX_WIDTH;
    return w > current ? w : current;
}

/* What people read for a named thing: its label, or its name without. */
static const char *
label_of(const struct ns_named *n)
{
    return n->label && *n->label ? n->label : n->name;
}

/* Number format for totals of outcome o: money for the cost outcome,
 * three decimals for the rest. */
static lxw_format *
outcome_format(const struct book *b, size_t o)
{
    long cost = b->model->cost_outcome;
    return cost >= 0 && (size_t)cost == o ? b->money : b->amount;
}

/* Creates the formats every sheet shares. */
static void
add_formats(struct book *b)
{
    b->bold = workbook_add_format(b->wb);
    b->money = workbook_add_format(b->wb);
    b->amount = workbook_add_format(b->wb);
    b->occupancy = workbook_add_format(b->wb);
    b->wrap = workbook_add_format(b->wb);
    if (!b->bold || !b->money || !b->amount || !b->occupancy || !b->wrap) {
        note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    format_set_bold(b->bold);
    format_set_num_format(b->money, "#,##0.00");
    format_set_num_format(b->amount, "#,##0.000");
    format_set_num_format(b->occupancy, "0.0000");
    format_set_text_wrap(b->wrap);
    format_set_align(b->wrap, LXW_ALIGN_VERTICAL_TOP);
}

/* Adds a worksheet whose name the caller has already validated. */
static lxw_worksheet *
add_sheet(struct book *b, const char *name)
{
    if (b->error)
        return NULL;
    lxw_error e = workbook_validate_sheet_name(b->wb, name);
    if (e) {
        note(b, e);
        return NULL;
    }
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, name);
    if (!ws) {
        note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return NULL;
    }
    /* Commissioners print: each sheet prints across one page wide. */
    worksheet_set_landscape(ws);
    worksheet_set_paper(ws, 9); /* A4 */
    worksheet_fit_to_pages(ws, 1, 0);
    return ws;
}

static void
insert_chart(struct book *b, lxw_worksheet *ws, size_t row, size_t col,
             lxw_chart *chart)
{
    if (b->error)
        return;
    note(b, worksheet_insert_chart(ws, (lxw_row_t)row, (lxw_col_t)col, chart));
}

/* The Summary sheet: one row per strategy with its comparator, the
 * discounted total of every outcome and, when the model names cost and
 * health outcomes, the discounted incremental results. A column chart
 * shows the discounted cost outcome per strategy. */
static void
write_summary(struct book *b)
{
    const struct ns_model *m = b->model;
    const struct ns_results *r = b->results;
    const char *sheet = "Summary";
    lxw_worksheet *ws = add_sheet(b, sheet);
    if (!ws)
        return;
    bool icer = m->cost_outcome >= 0 && m->health_outcome >= 0;
    const char *cost_name =
        m->cost_outcome >= 0 ? m->outcomes[m->cost_outcome].name : NULL;
    const char *health_name =
        m->health_outcome >= 0 ? m->outcomes[m->health_outcome].name : NULL;

    double w_name = text_width(MIN_WIDTH, "Strategy");
    double w_label = text_width(MIN_WIDTH, "Label");
    double w_cmp = text_width(MIN_WIDTH, "Comparator");
    put_text(b, ws, 0, 0, "Strategy", b->bold);
    put_text(b, ws, 0, 1, "Label", b->bold);
    put_text(b, ws, 0, 2, "Comparator", b->bold);
    size_t col = 3;
    char header[256];
    for (size_t o = 0; o < m->n_outcomes; o++, col++) {
        snprintf(header, sizeof header, "%s (discounted)", m->outcomes[o].name);
        put_text(b, ws, 0, col, header, b->bold);
        set_width(b, ws, col, text_width(NUMBER_WIDTH, header));
    }
    size_t icer_col = col;
    if (icer) {
        snprintf(header, sizeof header, "Incremental %s (discounted)",
                 cost_name);
        put_text(b, ws, 0, icer_col, header, b->bold);
        set_width(b, ws, icer_col, text_width(NUMBER_WIDTH, header));
        snprintf(header, sizeof header, "Incremental %s (discounted)",
                 health_name);
        put_text(b, ws, 0, icer_col + 1, header, b->bold);
        set_width(b, ws, icer_col + 1, text_width(NUMBER_WIDTH, header));
        snprintf(header, sizeof header, "ICER (%s per %s)", cost_name,
                 health_name);
        put_text(b, ws, 0, icer_col + 2, header, b->bold);
        set_width(b, ws, icer_col + 2, text_width(NUMBER_WIDTH, header));
    }

    for (size_t k = 0; k < r->n_strategies; k++) {
        size_t row = k + 1;
        put_text(b, ws, row, 0, m->strategies[k].name, NULL);
        put_text(b, ws, row, 1, label_of(&m->strategies[k]), NULL);
        w_name = text_width(w_name, m->strategies[k].name);
        w_label = text_width(w_label, label_of(&m->strategies[k]));
        if (m->comparator[k] >= 0) {
            const char *cmp = m->strategies[m->comparator[k]].name;
            put_text(b, ws, row, 2, cmp, NULL);
            w_cmp = text_width(w_cmp, cmp);
        }
        for (size_t o = 0; o < m->n_outcomes; o++)
            put_number(b, ws, row, 3 + o, ns_results_outcome(r, k, o, true),
                       outcome_format(b, o));
        if (!icer)
            continue;
        struct ns_incremental inc;
        ns_results_incremental(m, r, k, true, &inc);
        if (!inc.has_comparator)
            continue;
        put_number(b, ws, row, icer_col, inc.delta_cost, b->money);
        put_number(b, ws, row, icer_col + 1, inc.delta_health,
                   outcome_format(b, (size_t)m->health_outcome));
        if (inc.dominance == NS_DOM_NONE)
            put_number(b, ws, row, icer_col + 2, inc.icer, b->money);
        else
            put_text(b, ws, row, icer_col + 2, ns_dominance_name(inc.dominance),
                     NULL);
    }
    set_width(b, ws, 0, w_name);
    set_width(b, ws, 1, w_label);
    set_width(b, ws, 2, w_cmp);
    if (b->error)
        return;
    worksheet_freeze_panes(ws, 1, 0);

    if (m->cost_outcome < 0 || r->n_strategies == 0)
        return;
    lxw_chart *chart = workbook_add_chart(b->wb, LXW_CHART_COLUMN);
    if (!chart) {
        note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    lxw_chart_series *series = chart_add_series(chart, NULL, NULL);
    if (!series) {
        note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    lxw_row_t last = (lxw_row_t)r->n_strategies;
    lxw_col_t value_col = (lxw_col_t)(3 + (size_t)m->cost_outcome);
    chart_series_set_categories(series, sheet, 1, 1, last, 1);
    chart_series_set_values(series, sheet, 1, value_col, last, value_col);
    chart_series_set_name_range(series, sheet, 0, value_col);
    snprintf(header, sizeof header, "Discounted %s by strategy", cost_name);
    chart_title_set_name(chart, header);
    chart_axis_set_num_format(chart->y_axis, "#,##0");
    chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
    insert_chart(b, ws, r->n_strategies + 1 + CHART_GAP_ROWS, 0, chart);
}

/* The Values sheet: one row per strategy and stream with its totals and
 * their differences from the comparator. */
static void
write_values(struct book *b)
{
    const struct ns_model *m = b->model;
    const struct ns_results *r = b->results;
    lxw_worksheet *ws = add_sheet(b, "Values");
    if (!ws)
        return;
    static const char *const headers[] = {
        "Strategy",   "Stream",     "Label",
        "Outcome",    "Total",      "Discounted total",
        "Comparator", "Difference", "Discounted difference",
    };
    const size_t n_headers = sizeof headers / sizeof headers[0];
    double widths[sizeof headers / sizeof headers[0]];
    for (size_t i = 0; i < n_headers; i++) {
        put_text(b, ws, 0, i, headers[i], b->bold);
        widths[i] =
            text_width(i < 4 || i == 6 ? MIN_WIDTH : NUMBER_WIDTH, headers[i]);
    }

    size_t row = 1;
    for (size_t k = 0; k < r->n_strategies; k++) {
        long cmp = m->comparator[k];
        for (size_t j = 0; j < r->n_streams; j++, row++) {
            const struct ns_stream_info *st = &m->streams[j];
            const char *label = st->label && *st->label ? st->label : st->name;
            lxw_format *fmt = outcome_format(b, st->outcome);
            put_text(b, ws, row, 0, m->strategies[k].name, NULL);
            put_text(b, ws, row, 1, st->name, NULL);
            put_text(b, ws, row, 2, label, NULL);
            put_text(b, ws, row, 3, m->outcomes[st->outcome].name, NULL);
            widths[0] = text_width(widths[0], m->strategies[k].name);
            widths[1] = text_width(widths[1], st->name);
            widths[2] = text_width(widths[2], label);
            widths[3] = text_width(widths[3], m->outcomes[st->outcome].name);
            put_number(b, ws, row, 4, ns_results_total(r, k, j, false), fmt);
            put_number(b, ws, row, 5, ns_results_total(r, k, j, true), fmt);
            if (cmp < 0)
                continue;
            size_t kc = (size_t)cmp;
            put_text(b, ws, row, 6, m->strategies[kc].name, NULL);
            widths[6] = text_width(widths[6], m->strategies[kc].name);
            put_number(b, ws, row, 7,
                       ns_results_total(r, k, j, false) -
                           ns_results_total(r, kc, j, false),
                       fmt);
            put_number(b, ws, row, 8,
                       ns_results_total(r, k, j, true) -
                           ns_results_total(r, kc, j, true),
                       fmt);
        }
    }
    for (size_t i = 0; i < n_headers; i++)
        set_width(b, ws, i, widths[i]);
    if (!b->error)
        worksheet_freeze_panes(ws, 1, 0);
}

/* Copies at most max_chars UTF-8 characters of s into out (of out_size
 * bytes), never splitting a multi-byte sequence. */
static void
copy_chars(char *out, size_t out_size, const char *s, size_t max_chars)
{
    size_t i = 0, chars = 0;
    for (; s[i]; i++) {
        /* A byte that is not a continuation byte starts a character. */
        if (((unsigned char)s[i] & 0xC0) != 0x80 && chars++ == max_chars)
            break;
        if (i + 1 >= out_size) {
            /* No room: drop the character this byte belongs to. */
            while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
                i--;
            break;
        }
        out[i] = s[i];
    }
    out[i] = '\0';
}

/* Makes the name of a strategy's trace sheet in out (at least
 * LXW_MAX_SHEETNAME_LENGTH bytes): "Trace <name>" with the characters
 * Excel forbids ([]:*?/\) replaced by '_', cut to Excel's 31 characters,
 * and a " (2)"-style suffix when the name is taken (Excel compares names
 * without case). Apostrophes are replaced too: Excel forbids them only at
 * either end, but libxlsxwriter's chart ranges do not escape them. */
static lxw_error
trace_sheet_name(lxw_workbook *wb, const char *strategy, char *out,
                 size_t out_size)
{
    char clean[LXW_MAX_SHEETNAME_LENGTH];
    snprintf(clean, sizeof clean, "Trace ");
    copy_chars(clean + 6, sizeof clean - 6, strategy, LXW_SHEETNAME_MAX - 6);
    for (char *p = clean; *p; p++)
        if (strchr("[]:*?/\\'", *p))
            *p = '_';

    lxw_error e = LXW_ERROR_SHEETNAME_ALREADY_USED;
    for (unsigned n = 1; n <= 10000; n++) {
        char suffix[16] = "";
        if (n > 1)
            snprintf(suffix, sizeof suffix, " (%u)", n);
        size_t room = LXW_SHEETNAME_MAX - strlen(suffix);
        copy_chars(out, out_size, clean, room);
        strncat(out, suffix, out_size - strlen(out) - 1);
        e = workbook_validate_sheet_name(wb, out);
        if (e != LXW_ERROR_SHEETNAME_ALREADY_USED)
            return e;
    }
    return e;
}

/* A "Trace <strategy>" sheet: a row per time point, a column per state,
 * and a line chart of the occupancies. */
static void
write_trace(struct book *b, size_t k)
{
    const struct ns_model *m = b->model;
    const struct ns_results *r = b->results;
    char sheet[LXW_MAX_SHEETNAME_LENGTH];
    if (b->error)
        return;
    lxw_error e =
        trace_sheet_name(b->wb, m->strategies[k].name, sheet, sizeof sheet);
    if (e) {
        note(b, e);
        return;
    }
    lxw_worksheet *ws = add_sheet(b, sheet);
    if (!ws)
        return;

    put_text(b, ws, 0, 0, "Time point", b->bold);
    set_width(b, ws, 0, text_width(MIN_WIDTH, "Time point"));
    for (size_t s = 0; s < r->n_states; s++) {
        const char *label = label_of(&m->states[s]);
        put_text(b, ws, 0, s + 1, label, b->bold);
        set_width(b, ws, s + 1, text_width(MIN_WIDTH, label));
    }
    for (size_t t = 0; t < r->n_points; t++) {
        put_number(b, ws, t + 1, 0, (double)t, NULL);
        for (size_t s = 0; s < r->n_states; s++)
            put_number(b, ws, t + 1, s + 1, ns_results_trace(r, k, t, s),
                       b->occupancy);
    }
    if (b->error)
        return;
    worksheet_freeze_panes(ws, 1, 1);

    /* libxlsxwriter refuses (noisily) a chart without series, and Excel
     * one with too many: leave the chart out rather than show part. */
    if (r->n_states == 0 || r->n_states > MAX_CHART_SERIES)
        return;
    lxw_chart *chart = workbook_add_chart(b->wb, LXW_CHART_LINE);
    if (!chart) {
        note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    lxw_row_t last = (lxw_row_t)r->n_points;
    for (size_t s = 0; s < r->n_states; s++) {
        lxw_chart_series *series = chart_add_series(chart, NULL, NULL);
        if (!series) {
            note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
            return;
        }
        lxw_col_t col = (lxw_col_t)(s + 1);
        chart_series_set_categories(series, sheet, 1, 0, last, 0);
        chart_series_set_values(series, sheet, 1, col, last, col);
        chart_series_set_name_range(series, sheet, 0, col);
    }
    char title[160];
    char name[64];
    copy_chars(name, sizeof name, label_of(&m->strategies[k]), 40);
    snprintf(title, sizeof title, "Cohort trace: %s", name);
    chart_title_set_name(chart, title);
    chart_axis_set_name(chart->x_axis, "Time point");
    chart_axis_set_name(chart->y_axis, "Occupancy");
    insert_chart(b, ws, 1, r->n_states + 2, chart);
}

/* The About sheet: what produced the workbook, from which inputs. */
static void
write_about(struct book *b, const struct ns_run_info *info)
{
    static const struct ns_run_info none = {0};
    const char *unknown = "not recorded";
    if (!info)
        info = &none;
    lxw_worksheet *ws = add_sheet(b, "About");
    if (!ws)
        return;
    const char *version = info->version ? info->version : NS_VERSION;
    const char *items[][2] = {
        {"netsave version", version},
        {"Run date and time", info->run_time ? info->run_time : unknown},
        {"Command line", info->command_line ? info->command_line : unknown},
        {"Model", b->model->name ? b->model->name : unknown},
        {"Written with", "libxlsxwriter " LXW_VERSION},
    };
    put_text(b, ws, 0, 0, "Item", b->bold);
    put_text(b, ws, 0, 1, "Value", b->bold);
    size_t row = 1;
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++, row++) {
        put_text(b, ws, row, 0, items[i][0], NULL);
        put_text(b, ws, row, 1, items[i][1], b->wrap);
    }

    row++;
    put_text(b, ws, row, 0, "Input file", b->bold);
    put_text(b, ws, row, 1, "Hash", b->bold);
    row++;
    double w_file = text_width(20.0, "Run date and time");
    double w_value = text_width(30.0, "Value");
    for (size_t i = 0; i < info->n_inputs; i++, row++) {
        const char *file = info->input_files && info->input_files[i]
                               ? info->input_files[i]
                               : unknown;
        const char *hash = info->input_hashes && info->input_hashes[i]
                               ? info->input_hashes[i]
                               : unknown;
        put_text(b, ws, row, 0, file, NULL);
        put_text(b, ws, row, 1, hash, NULL);
        w_file = text_width(w_file, file);
        w_value = text_width(w_value, hash);
    }
    if (info->n_inputs == 0)
        put_text(b, ws, row, 0, "none recorded", NULL);
    set_width(b, ws, 0, w_file);
    /* Hashes are long and must be read whole; command lines wrap. */
    set_width(b, ws, 1, w_value < 70.0 ? 70.0 : w_value);
    if (!b->error)
        worksheet_freeze_panes(ws, 1, 0);
}

/* Reads n decimal digits at *p into *out and advances *p. */
static bool
read_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char ch = (*p)[i];
        if (ch < '0' || ch > '9')
            return false;
        v = v * 10 + (ch - '0');
    }
    *p += n;
    *out = v;
    return true;
}

/* Days from 1970-01-01 to a date of the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil), so that a time with an explicit
 * offset converts without consulting the machine's time zone. */
static long long
days_from_civil(int y, int mon, int d)
{
    y -= mon <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Converts an ISO 8601 time ("2024-05-01T14:03:22", optionally with
 * fractions of a second and "Z" or "+01:00") to a time_t. Without an
 * offset the time is local, as ns_run_info says. */
static bool
parse_run_time(const char *s, time_t *out)
{
    int y, mon, d, h, min, sec = 0;
    const char *p = s;
    if (!s || !read_digits(&p, 4, &y) || *p++ != '-')
        return false;
    if (!read_digits(&p, 2, &mon) || *p++ != '-' || !read_digits(&p, 2, &d))
        return false;
    if (*p != 'T' && *p != ' ')
        return false;
    p++;
    if (!read_digits(&p, 2, &h) || *p++ != ':' || !read_digits(&p, 2, &min))
        return false;
    if (*p == ':') {
        p++;
        if (!read_digits(&p, 2, &sec))
            return false;
        if (*p == '.' || *p == ',') {
            p++;
            while (*p >= '0' && *p <= '9')
                p++;
        }
    }
    if (mon < 1 || mon > 12 || d < 1 || d > 31 || h > 23 || min > 59 ||
        sec > 60)
        return false;

    if (*p == '\0') {
        struct tm tm = {.tm_year = y - 1900,
                        .tm_mon = mon - 1,
                        .tm_mday = d,
                        .tm_hour = h,
                        .tm_min = min,
                        .tm_sec = sec,
                        .tm_isdst = -1};
        time_t t = mktime(&tm);
        if (t == (time_t)-1)
            return false;
        *out = t;
        return true;
    }
    long long offset = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1;
        int oh, om = 0;
        if (!read_digits(&p, 2, &oh))
            return false;
        if (*p == ':')
            p++;
        if (*p != '\0' && !read_digits(&p, 2, &om))
            return false;
        offset = sign * (oh * 3600LL + om * 60LL);
    } else {
        return false;
    }
    if (*p != '\0')
        return false;
    *out = (time_t)(days_from_civil(y, mon, d) * 86400LL + h * 3600LL +
                    min * 60LL + sec - offset);
    return true;
}

/* Sets the document properties. The creation time is the run's, so that
 * the file depends only on the results and the run information. */
static void
set_properties(struct book *b, const struct ns_run_info *info)
{
    char title[] = "netsave results";
    char comments[] = "Written by netsave; see the About sheet.";
    lxw_doc_properties props = {.title = title, .comments = comments};
    time_t created;
    if (info && parse_run_time(info->run_time, &created))
        props.created = created;
    if (!b->error)
        note(b, workbook_set_properties(b->wb, &props));
}

/* Returns a malloc'd copy of the folder part of path ("." for a bare
 * name, "/" at the root), or NULL if memory runs out. */
static char *
folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (dir) {
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    return dir;
}

/* Checks that every sheet fits Excel's grid, before libxlsxwriter would
 * refuse a cell half-way. Returns a reason, or NULL. */
static const char *
check_grid(const struct ns_model *m, const struct ns_results *r)
{
    if (r->n_points + 1 > LXW_ROW_MAX)
        return "the trace has more time points than an Excel sheet has rows";
    if (r->n_strategies * r->n_streams + 1 > LXW_ROW_MAX)
        return "there are more strategies and streams than an Excel sheet "
               "has rows";
    if (r->n_states + 1 > LXW_COL_MAX || m->n_outcomes + 6 > LXW_COL_MAX)
        return "there are more states or outcomes than an Excel sheet has "
               "columns";
    return NULL;
}

/* Whether the file at path ends with a zip end-of-central-directory
 * record, as every workbook libxlsxwriter completes does (it writes no
 * archive comment). libxlsxwriter has been seen to report success on a
 * truncated workbook when its scratch files hit a full disk; a workbook
 * cut short ends elsewhere, and is refused rather than put in place. */
static bool
ends_as_a_zip(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return false;
    unsigned char eocd[22];
    bool ok = fseek(fp, -(long)sizeof eocd, SEEK_END) == 0 &&
              fread(eocd, 1, sizeof eocd, fp) == sizeof eocd &&
              memcmp(eocd, "PK\x05\x06", 4) == 0;
    fclose(fp);
    return ok;
}

/* Fills a workbook: the sheets of one model, or of a population. */
typedef void fill_fn(struct book *b, const struct ns_run_info *info);

/* Writes the workbook at path atomically with fill, from b's model and
 * results (b->wb is set here). See ns_xlsx_write_results for the rest. */
static enum ns_status
write_book(const char *path, struct book *b, fill_fn *fill,
           const struct ns_run_info *info, char *err, size_t err_size)
{
    struct ns_atomic a;
    enum ns_status st = ns_atomic_begin(&a, path, 0, err, err_size);
    if (st != NS_OK)
        return st;

    /* libxlsxwriter's scratch files go beside the destination too: the
     * destination's folder is known to be writable, /tmp may be small. */
    char *dir = folder_of(a.tmp_path);
    if (!dir) {
        ns_atomic_abort(&a);
        snprintf(err, err_size, "cannot write %s: %s", path, strerror(ENOMEM));
        return NS_EOUTPUT;
    }

    lxw_workbook_options options = {
        .constant_memory = LXW_FALSE, .tmpdir = dir, .use_zip64 = LXW_FALSE};
    b->wb = workbook_new_opt(a.tmp_path, &options);
    if (!b->wb) {
        b->error = LXW_ERROR_MEMORY_MALLOC_FAILED;
    } else {
        add_formats(b);
        set_properties(b, info);
        fill(b, info);
        if (b->error)
            /* Free without writing: a partial workbook is of no use, and
             * workbook_close() would spend time zipping it. */
            lxw_workbook_free(b->wb);
        else
            b->error = workbook_close(b->wb);
    }
    free(dir);
    if (b->error) {
        snprintf(err, err_size, "cannot write %s: %s", path,
                 lxw_strerror(b->error));
        ns_atomic_abort(&a);
        return NS_EOUTPUT;
    }
    if (!ends_as_a_zip(a.tmp_path)) {
        snprintf(err, err_size,
                 "cannot write %s: the workbook came out incomplete (is the "
                 "disk full?)",
                 path);
        ns_atomic_abort(&a);
        return NS_EOUTPUT;
    }
    return ns_atomic_commit(&a, err, err_size);
}

/* The single-model workbook's sheets. */
static void
fill_results(struct book *b, const struct ns_run_info *info)
{
    write_summary(b);
    write_values(b);
    for (size_t k = 0; k < b->results->n_strategies; k++)
        write_trace(b, k);
    write_about(b, info);
}

enum ns_status
ns_xlsx_write_results(const char *path, const struct ns_model *model,
                      const struct ns_results *results,
                      const struct ns_run_info *info, char *err,
                      size_t err_size)
{
    if (results->n_strategies != model->n_strategies ||
        results->n_points != model->n_cycles + 1 ||
        results->n_states != model->n_states ||
        results->n_streams != model->n_streams ||
        results->n_outcomes != model->n_outcomes) {
        snprintf(err, err_size,
                 "cannot write %s: results do not match the model", path);
        return NS_EOUTPUT;
    }
    const char *too_big = check_grid(model, results);
    if (too_big) {
        snprintf(err, err_size, "cannot write %s: %s", path, too_big);
        return NS_EOUTPUT;
    }
    struct book b = {.model = model, .results = results};
    return write_book(path, &b, fill_results, info, err, err_size);
}

/* ---- the population workbook: net savings for commissioners ----
 *
 * Every cost-benefit sheet has the same shape, so that a reader who has
 * understood one can read the next: a title (row 1), what the numbers are
 * and in which unit (rows 2 and 3), a wrapped heading row that stays on
 * screen (row 4), then one row per strategy. Money is per client of the
 * starting cohort (totals divided by the trace at time 0), in whole pounds
 * on screen; the headline perspective is the model's first, or every
 * payer when the model names none. */

#define TITLE_ROW    0
#define NOTE_ROW     1
#define NOTE2_ROW    2
#define HEADING_ROW  3
#define FIRST_ROW    4
#define HEADING_HIGH 48.0 /* points: three lines of wrapped heading */
#define TEXT_WIDTH   24.0 /* strategy labels and the like */
#define FIGURE_WIDTH 18.0 /* a money or ratio column under a long heading */
#define NOTE_SIZE    1024 /* bytes of a built note; longer ones are cut */

/* Creates the formats only the population workbook uses. */
static void
add_population_formats(struct book *b)
{
    if (b->error)
        return;
    b->title = workbook_add_format(b->wb);
    b->heading = workbook_add_format(b->wb);
    b->pounds = workbook_add_format(b->wb);
    b->ratio = workbook_add_format(b->wb);
    b->share = workbook_add_format(b->wb);
    b->assumption = workbook_add_format(b->wb);
    if (!b->title || !b->heading || !b->pounds || !b->ratio || !b->share ||
        !b->assumption) {
        note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    format_set_bold(b->title);
    format_set_font_size(b->title, 14.0);
    format_set_bold(b->heading);
    format_set_text_wrap(b->heading);
    format_set_align(b->heading, LXW_ALIGN_VERTICAL_TOP);
    format_set_num_format(b->pounds, "£#,##0");
    format_set_num_format(b->ratio, "0.0");
    format_set_num_format(b->share, "0%");
    format_set_italic(b->assumption);
    format_set_bg_color(b->assumption, 0xFCE4D6); /* pale orange */
}

/* Writes text with a format even when it is empty, so that a highlighted
 * row has no gaps. */
static void
put_filled(struct book *b, lxw_worksheet *ws, size_t row, size_t col,
           const char *s, lxw_format *fmt)
{
    if (b->error)
        return;
    if (s && *s)
        put_text(b, ws, row, col, s, fmt);
    else if (fmt)
        note(b, worksheet_write_blank(ws, (lxw_row_t)row, (lxw_col_t)col, fmt));
}

/* Copies name into out with '_' shown as a space ("treatment_budget" reads
 * "treatment budget"). */
static void
readable(char *out, size_t out_size, const char *name)
{
    copy_chars(out, out_size, name, out_size);
    for (char *p = out; *p; p++)
        if (*p == '_')
            *p = ' ';
}

/* Appends formatted text to buf (of NOTE_SIZE bytes), ending it with
 * "..." when it no longer fits. */
static void append(char *buf, const char *fmt, ...) NS_PRINTF(2, 3);

static void
append(char *buf, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 4 >= NOTE_SIZE)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + len, NOTE_SIZE - len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= NOTE_SIZE - len)
        memcpy(buf + NOTE_SIZE - 4, "...", 4);
}

/* "public sector (police, nhs)" or "all payers", the payers counted in the
 * headline figures. */
static void
describe_perspective(const struct ns_model *m, long perspective, char *out)
{
    char name[128];
    out[0] = '\0';
    if (perspective == NS_ALL_PAYERS) {
        append(out, "all payers");
        return;
    }
    const struct ns_perspective_info *pi = &m->perspectives[perspective];
    readable(name, sizeof name, pi->name);
    append(out, "%s (", name);
    const char *sep = "";
    for (size_t p = 0; p < m->n_payers; p++) {
        if (!pi->has_payer[p])
            continue;
        readable(name, sizeof name, m->payers[p]);
        append(out, "%s%s", sep, name);
        sep = ", ";
    }
    append(out, ")");
}

/* "costs discounted at 3.5% a year": how money is discounted. */
static void
describe_discounting(const struct ns_model *m, char *out)
{
    out[0] = '\0';
    double rate = m->outcomes[m->cost_outcome].discount_rate;
    append(out, "%s discounted at %.4g%% a year",
           m->outcomes[m->cost_outcome].name, 100.0 * rate);
}

/* Adds a cost-benefit sheet with its title and first note; tall makes
 * room for wrapped headings. */
static lxw_worksheet *
start_sheet(struct book *b, const char *name, const char *title,
            const char *note_text, bool tall)
{
    lxw_worksheet *ws = add_sheet(b, name);
    if (!ws)
        return NULL;
    put_text(b, ws, TITLE_ROW, 0, title, b->title);
    put_text(b, ws, NOTE_ROW, 0, note_text, NULL);
    if (tall && !b->error)
        note(b, worksheet_set_row(ws, HEADING_ROW, HEADING_HIGH, NULL));
    return ws;
}

/* Writes a column heading and sets the column's width. */
static void
put_heading(struct book *b, lxw_worksheet *ws, size_t col, const char *text,
            double width)
{
    put_text(b, ws, HEADING_ROW, col, text, b->heading);
    set_width(b, ws, col, width);
}

static void
freeze_headings(struct book *b, lxw_worksheet *ws, size_t cols)
{
    if (!b->error)
        worksheet_freeze_panes(ws, FIRST_ROW, (lxw_col_t)cols);
}

/* A new chart, or NULL with the failure noted. */
static lxw_chart *
new_chart(struct book *b, uint8_t type)
{
    if (b->error)
        return NULL;
    lxw_chart *chart = workbook_add_chart(b->wb, type);
    if (!chart)
        note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
    return chart;
}

/* Adds to chart the series in column col of rows first..last, named by the
 * heading above them, with categories from column cat. */
static void
add_column_series(struct book *b, lxw_chart *chart, const char *sheet,
                  size_t first, size_t last, size_t cat, size_t col)
{
    if (b->error)
        return;
    lxw_chart_series *series = chart_add_series(chart, NULL, NULL);
    if (!series) {
        note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    chart_series_set_categories(series, sheet, (lxw_row_t)first, (lxw_col_t)cat,
                                (lxw_row_t)last, (lxw_col_t)cat);
    chart_series_set_values(series, sheet, (lxw_row_t)first, (lxw_col_t)col,
                            (lxw_row_t)last, (lxw_col_t)col);
    chart_series_set_name_range(series, sheet, HEADING_ROW, (lxw_col_t)col);
}

/* Sets up a horizontal bar chart's axes. In libxlsxwriter's bar charts
 * y_axis is the category axis (vertical) and x_axis the values: pounds on
 * the values, and strategies listed top down in table order, with the
 * value axis kept at the bottom. */
static void
format_bar_axes(lxw_chart *chart)
{
    chart_axis_set_num_format(chart->x_axis, "£#,##0");
    chart_axis_set_reverse(chart->y_axis);
    chart_axis_set_crossing_max(chart->y_axis);
}

/* Per client: a cohort total divided by the clients at the start. */
static double
per_client(double total, double cohort)
{
    return cohort > 0.0 ? total / cohort : NS_NAN;
}

/* Number of strategies with a comparator when the ledger applies (the
 * model has a cost outcome), else 0. */
static size_t
n_compared(const struct ns_model *m)
{
    size_t n = 0;
    for (size_t k = 0; m->cost_outcome >= 0 && k < m->n_strategies; k++)
        n += m->comparator[k] >= 0;
    return n;
}

/* Writes the strategy's label and its comparator's in columns 0 and 1. */
static void
put_strategy(struct book *b, lxw_worksheet *ws, size_t row, size_t k)
{
    const struct ns_model *m = b->model;
    put_text(b, ws, row, 0, label_of(&m->strategies[k]), NULL);
    put_text(b, ws, row, 1, label_of(&m->strategies[m->comparator[k]]), NULL);
}

/* Width for columns 0 and 1, which hold strategy labels. */
static double
strategy_width(const struct ns_model *m)
{
    double w = TEXT_WIDTH;
    for (size_t k = 0; k < m->n_strategies; k++)
        w = text_width(w, label_of(&m->strategies[k]));
    return w;
}

/* Writes savings per GBP 1, or why there is no such number. */
static void
put_ratio(struct book *b, lxw_worksheet *ws, size_t row, size_t col,
          double ratio)
{
    if (isnan(ratio))
        put_text(b, ws, row, col, "no extra treatment spend", NULL);
    else
        put_number(b, ws, row, col, ratio, b->ratio);
}

/* Writes "year 3" or "not within 5 years". */
static void
put_payback(struct book *b, lxw_worksheet *ws, size_t row, size_t col,
            size_t year)
{
    char text[64];
    size_t n_years = ns_ledger_n_years(b->model);
    if (year > 0)
        snprintf(text, sizeof text, "year %zu", year);
    else
        snprintf(text, sizeof text, "not within %zu year%s", n_years,
                 n_years == 1 ? "" : "s");
    put_text(b, ws, row, col, text, NULL);
}

/* Writes "Population: ..." on NOTE2_ROW when there are subgroups. */
static void
note_subgroups(struct book *b, lxw_worksheet *ws)
{
    const struct ns_population *pop = b->pop;
    if (pop->n_groups < 2)
        return;
    char text[NOTE_SIZE] = "";
    append(text, "All clients together:");
    for (size_t g = 0; g < pop->n_groups; g++)
        append(text, "%s %s %.0f%%", g ? "," : "", pop->names[g],
               100.0 * pop->weights[g]);
    append(text, " of clients (see Subgroups).");
    put_text(b, ws, NOTE2_ROW, 0, text, NULL);
}

/* The Summary sheet: the headline per strategy, what each column means,
 * and a bar chart of net savings per client. */
static void
write_headline(struct book *b)
{
    const struct ns_model *m = b->model;
    const struct ns_results *r = b->results;
    const char *sheet = "Summary";
    char persp[NOTE_SIZE], disc[NOTE_SIZE], text[NOTE_SIZE];
    if (m->cost_outcome < 0) {
        start_sheet(b, sheet, "Net savings of treatment",
                    "The model names no cost outcome ([model] cost_outcome), "
                    "so there are no savings to show.",
                    false);
        return;
    }
    describe_perspective(m, b->headline, persp);
    describe_discounting(m, disc);
    size_t n_years = ns_ledger_n_years(m);
    text[0] = '\0';
    append(text,
           "£ per client of the starting cohort, over %zu year%s, %s. "
           "Savings counted for: %s.",
           n_years, n_years == 1 ? "" : "s", disc, persp);
    lxw_worksheet *ws = start_sheet(
        b, sheet, "What each kind of treatment saves, net of its cost", text,
        true);
    if (!ws)
        return;
    note_subgroups(b, ws);

    bool places = m->place_outcome >= 0;
    struct {
        const char *heading, *meaning;
    } cols[7] = {
        {"Strategy", "the kind of treatment place."},
        {"Compared with", "what would happen to the same clients without it."},
        {"Net savings per client (£, discounted)",
         "what the payers named above save per client who starts "
         "treatment, after paying for the treatment. Below zero is a net "
         "cost."},
        {NULL, NULL},
        {"Savings per £1 of extra treatment spend",
         "pounds saved elsewhere for each extra £1 spent on treatment. Above "
         "1, treatment more than pays for itself."},
        {"Payback",
         "the first year by whose end the savings so far exceed the extra "
         "treatment spending so far."},
        {NULL, NULL},
    };
    char cohort_heading[96];
    if (m->report_cohort > 0.0) {
        snprintf(cohort_heading, sizeof cohort_heading,
                 "Net savings for %.0f clients (£, discounted)",
                 m->report_cohort);
        cols[6].heading = cohort_heading;
        cols[6].meaning = "net savings per client times the number of "
                          "clients the model reports for (a year's intake, "
                          "say).";
    }
    if (places) {
        cols[3].heading = "Net savings per treatment place-year (£, "
                          "discounted)";
        cols[3].meaning = "net savings for each year of a treatment place "
                          "filled: what funding one more place for a year "
                          "saves.";
    }
    double w_label = strategy_width(m);
    size_t col = 0;
    size_t col_of[7];
    for (size_t i = 0; i < 7; i++) {
        if (!cols[i].heading)
            continue;
        col_of[i] = col;
        put_heading(b, ws, col++, cols[i].heading,
                    i < 2 ? w_label : FIGURE_WIDTH);
    }

    size_t row = FIRST_ROW;
    for (size_t k = 0; k < r->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        struct ns_headline h;
        ns_headline_compute(m, r, k, b->headline, true, b->years, &h);
        put_strategy(b, ws, row, k);
        put_number(b, ws, row, col_of[2],
                   per_client(h.ledger.net_savings, h.cohort), b->pounds);
        if (places) {
            if (isnan(h.per_place_year))
                put_text(b, ws, row, col_of[3], "no extra places", NULL);
            else
                put_number(b, ws, row, col_of[3], h.per_place_year, b->pounds);
        }
        put_ratio(b, ws, row, col_of[4], h.ledger.benefit_cost_ratio);
        put_payback(b, ws, row, col_of[5], h.payback_year);
        if (cols[6].heading)
            put_number(b, ws, row, col_of[6],
                       per_client(h.ledger.net_savings, h.cohort) *
                           m->report_cohort,
                       b->pounds);
        row++;
    }
    size_t last = row - 1;
    if (row == FIRST_ROW)
        put_text(b, ws, row++, 0,
                 "No strategy has a comparator, so there are no savings "
                 "to show.",
                 NULL);
    freeze_headings(b, ws, 0);

    row++;
    put_text(b, ws, row++, 0, "What the columns mean", b->bold);
    for (size_t i = 0; i < 7; i++) {
        if (!cols[i].heading)
            continue;
        text[0] = '\0';
        append(text, "%s: %s", cols[i].heading, cols[i].meaning);
        put_text(b, ws, row++, 0, text, NULL);
    }
    put_text(b, ws, row++, 0,
             "Discounted: money in later years counts for less, as HM "
             "Treasury's Green Book asks.",
             NULL);

    if (last < FIRST_ROW)
        return;
    lxw_chart *chart = new_chart(b, LXW_CHART_BAR);
    if (!chart)
        return;
    add_column_series(b, chart, sheet, FIRST_ROW, last, 0, col_of[2]);
    chart_title_set_name(chart, "Net savings per client (£, discounted)");
    format_bar_axes(chart);
    chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
    insert_chart(b, ws, row + 1, 0, chart);
}

/* Whether some cost stream names no payer: its savings then count in the
 * all-payers total but under no payer. */
static bool
has_untagged_costs(const struct ns_model *m)
{
    for (size_t j = 0; j < m->n_streams; j++)
        if ((long)m->streams[j].outcome == m->cost_outcome &&
            m->streams[j].payer < 0)
            return true;
    return false;
}

/* The "Who pays, who saves" sheet: savings per payer per strategy, with a
 * stacked bar chart, and the payers each perspective counts. */
static void
write_who_pays(struct book *b)
{
    const struct ns_model *m = b->model;
    const struct ns_results *r = b->results;
    const char *sheet = "Who pays, who saves";
    if (m->cost_outcome < 0)
        return;
    char disc[NOTE_SIZE], text[NOTE_SIZE] = "", name[128];
    describe_discounting(m, disc);
    append(text,
           "£ per client of the starting cohort, %s. A positive number is "
           "a saving to that payer; a negative one is extra spending, such "
           "as the treatment itself for whoever funds it.",
           disc);
    lxw_worksheet *ws =
        start_sheet(b, sheet, "Who pays and who saves, per client", text, true);
    if (!ws)
        return;
    put_text(b, ws, NOTE2_ROW, 0,
             "Every payer is shown, whatever the perspective of the Summary.",
             NULL);
    bool untagged = has_untagged_costs(m);
    double w_label = strategy_width(m);
    put_heading(b, ws, 0, "Strategy", w_label);
    put_heading(b, ws, 1, "Compared with", w_label);
    size_t col = 2;
    for (size_t p = 0; p < m->n_payers; p++, col++) {
        readable(name, sizeof name, m->payers[p]);
        put_heading(b, ws, col, name, text_width(FIGURE_WIDTH / 1.5, name));
    }
    size_t untagged_col = col;
    if (untagged)
        put_heading(b, ws, col++, "No payer named", FIGURE_WIDTH / 1.5);
    size_t total_col = col;
    put_heading(b, ws, total_col, "Net savings, all payers", FIGURE_WIDTH);

    double *by_payer = calloc(m->n_payers + 1, sizeof *by_payer);
    if (!by_payer) {
        note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    size_t row = FIRST_ROW;
    for (size_t k = 0; k < r->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        struct ns_ledger led;
        ns_ledger_compute(m, r, k, NS_ALL_PAYERS, true, &led, by_payer);
        double cohort = ns_headline_cohort(r, k);
        put_strategy(b, ws, row, k);
        double named = 0.0;
        for (size_t p = 0; p < m->n_payers; p++) {
            named += by_payer[p];
            put_number(b, ws, row, 2 + p, per_client(by_payer[p], cohort),
                       b->pounds);
        }
        if (untagged)
            put_number(b, ws, row, untagged_col,
                       per_client(led.net_savings - named, cohort), b->pounds);
        put_number(b, ws, row, total_col, per_client(led.net_savings, cohort),
                   b->pounds);
        row++;
    }
    free(by_payer);
    size_t last = row - 1;
    freeze_headings(b, ws, 0);

    row++;
    put_text(b, ws, row, 0, "Perspective", b->bold);
    put_text(b, ws, row++, 1, "Payers it counts", b->bold);
    for (size_t i = 0; i <= m->n_perspectives; i++, row++) {
        long persp = i < m->n_perspectives ? (long)i : NS_ALL_PAYERS;
        text[0] = '\0';
        describe_perspective(m, persp, text);
        put_text(b, ws, row, 0,
                 i < m->n_perspectives ? m->perspectives[i].name : "all_payers",
                 NULL);
        put_text(b, ws, row, 1, text, NULL);
    }

    size_t n_series = total_col - 2;
    if (last < FIRST_ROW || n_series == 0 || n_series > MAX_CHART_SERIES)
        return;
    lxw_chart *chart = new_chart(b, LXW_CHART_BAR_STACKED);
    if (!chart)
        return;
    for (size_t c = 2; c < total_col; c++)
        add_column_series(b, chart, sheet, FIRST_ROW, last, 0, c);
    chart_title_set_name(chart, "Savings per client by payer (£, discounted)");
    format_bar_axes(chart);
    chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
    insert_chart(b, ws, row + 1, 0, chart);
}

/* The "Year by year" sheet: cumulative net savings per client at the end
 * of each year, a column per strategy, and a line chart. */
static void
write_year_by_year(struct book *b)
{
    const struct ns_model *m = b->model;
    const struct ns_results *r = b->results;
    const char *sheet = "Year by year";
    if (m->cost_outcome < 0 || n_compared(m) == 0)
        return;
    char persp[NOTE_SIZE], disc[NOTE_SIZE], text[NOTE_SIZE] = "";
    describe_perspective(m, b->headline, persp);
    describe_discounting(m, disc);
    append(text,
           "Net savings so far, per client of the starting cohort (£, %s; "
           "savings counted for %s): savings to date minus extra treatment "
           "spending to date.",
           disc, persp);
    lxw_worksheet *ws =
        start_sheet(b, sheet, "Savings to date, year by year", text, true);
    if (!ws)
        return;
    put_text(b, ws, NOTE2_ROW, 0,
             "Where a line crosses zero, the treatment has paid for itself "
             "(the payback year).",
             NULL);
    size_t n_years = ns_ledger_n_years(m);
    put_heading(b, ws, 0, "Year", MIN_WIDTH);
    for (size_t y = 0; y < n_years; y++)
        put_number(b, ws, FIRST_ROW + y, 0, (double)(y + 1), NULL);
    size_t col = 1;
    for (size_t k = 0; k < r->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        const char *label = label_of(&m->strategies[k]);
        put_heading(b, ws, col, label, text_width(FIGURE_WIDTH, label));
        ns_ledger_by_year(m, r, k, b->headline, true, b->years);
        double cohort = ns_headline_cohort(r, k);
        double cumulative = 0.0;
        for (size_t y = 0; y < n_years; y++) {
            cumulative += b->years[y];
            put_number(b, ws, FIRST_ROW + y, col,
                       per_client(cumulative, cohort), b->pounds);
        }
        col++;
    }
    freeze_headings(b, ws, 1);

    size_t n_series = col - 1;
    if (n_series > MAX_CHART_SERIES)
        return;
    lxw_chart *chart = new_chart(b, LXW_CHART_LINE);
    if (!chart)
        return;
    for (size_t c = 1; c < col; c++)
        add_column_series(b, chart, sheet, FIRST_ROW, FIRST_ROW + n_years - 1,
                          0, c);
    chart_title_set_name(chart, "Net savings so far per client (£, "
                                "discounted)");
    chart_axis_set_name(chart->x_axis, "Year");
    chart_axis_set_num_format(chart->y_axis, "£#,##0");
    chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
    insert_chart(b, ws, FIRST_ROW, col + 1, chart);
}

/* The Outcomes sheet: every outcome in its own unit, undiscounted, per
 * client, with the comparator's and the difference. */
static void
write_outcomes_sheet(struct book *b)
{
    const struct ns_model *m = b->model;
    const struct ns_results *r = b->results;
    size_t n_years = ns_ledger_n_years(m);
    char text[NOTE_SIZE] = "";
    append(text,
           "Totals over %zu year%s per client of the starting cohort, each "
           "in its own unit (money in £, people, offences, years), not "
           "discounted.",
           n_years, n_years == 1 ? "" : "s");
    lxw_worksheet *ws = start_sheet(b, "Outcomes", "Outcomes", text, true);
    if (!ws)
        return;
    double w_label = strategy_width(m);
    double w_outcome = TEXT_WIDTH / 2;
    put_heading(b, ws, 0, "Strategy", w_label);
    put_heading(b, ws, 1, "Compared with", w_label);
    put_heading(b, ws, 3, "With the strategy", FIGURE_WIDTH);
    put_heading(b, ws, 4, "With the comparator", FIGURE_WIDTH);
    put_heading(b, ws, 5, "Difference", FIGURE_WIDTH);
    size_t row = FIRST_ROW;
    for (size_t k = 0; k < r->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        size_t kc = (size_t)m->comparator[k];
        double cohort = ns_headline_cohort(r, k);
        for (size_t o = 0; o < m->n_outcomes; o++, row++) {
            lxw_format *fmt =
                (long)o == m->cost_outcome ? b->pounds : b->amount;
            double with =
                per_client(ns_results_outcome(r, k, o, false), cohort);
            double without =
                per_client(ns_results_outcome(r, kc, o, false), cohort);
            put_strategy(b, ws, row, k);
            put_text(b, ws, row, 2, m->outcomes[o].name, NULL);
            w_outcome = text_width(w_outcome, m->outcomes[o].name);
            put_number(b, ws, row, 3, with, fmt);
            put_number(b, ws, row, 4, without, fmt);
            put_number(b, ws, row, 5, with - without, fmt);
        }
    }
    put_heading(b, ws, 2, "Outcome", w_outcome);
    if (row == FIRST_ROW)
        put_text(b, ws, row, 0, "No strategy has a comparator.", NULL);
    freeze_headings(b, ws, 0);
}

/* The columns after Source that say what a target is taken on: its role
 * (fit or holdout), subgroup (empty: pooled), the time it is relative to
 * and its period (empty: none). */
static void
put_target_scope(struct book *b, lxw_worksheet *ws, size_t row,
                 const struct ns_target_info *t)
{
    put_text(b, ws, row, 11, t->role == NS_ROLE_HOLDOUT ? "holdout" : "fit",
             NULL);
    if (t->subgroup)
        put_text(b, ws, row, 12, t->subgroup, NULL);
    if (t->has_relative_to)
        put_number(b, ws, row, 13, t->relative_to, NULL);
    if (t->period_years > 0.0)
        put_number(b, ws, row, 14, t->period_years, NULL);
}

/* The Validation sheet: each target observed in a study against the
 * model, pooled over subgroups unless it names one (model/measures.h). */
static void
write_validation_sheet(struct book *b)
{
    const struct ns_model *m = b->model;
    if (m->n_targets == 0)
        return;
    struct ns_target_result *res = calloc(m->n_targets, sizeof *res);
    struct ns_diags quiet = {0};
    if (!res) {
        note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    if (ns_targets_evaluate(b->pop, NULL, res, &quiet) == NS_ENOMEM)
        note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
    ns_diags_clear(&quiet);
    size_t n_binding = 0, n_met = 0;
    for (size_t i = 0; i < m->n_targets; i++) {
        if (!ns_target_is_binding(&m->targets[i]))
            continue;
        n_binding++;
        n_met += res[i].within;
    }
    char text[NOTE_SIZE] = "";
    append(text,
           "What the model predicts against what the study observed. A "
           "target is met when the difference is within its tolerance (the "
           "95%% confidence half-width the study's sample implies). %zu of "
           "%zu targets graded A or B are met; C and U targets are shown "
           "but do not count. Calibration fits the model to the fit targets "
           "only; holdout targets (Role) test it out of sample.",
           n_met, n_binding);
    lxw_worksheet *ws =
        start_sheet(b, "Validation", "Validation against observed outcomes",
                    text, true);
    if (!ws) {
        free(res);
        return;
    }
    static const char *const heads[] = {
        "Years",     "Clients (strategies, weights)", "Measure", "Observed",
        "Predicted", "Difference",                    "Tolerance", "Met",
        "Grade",     "What it is",                    "Source",
        "Role",      "Subgroup",                      "Relative to (years)",
        "Period (years)"};
    static const double widths[] = {8,  40, 20, 12, 12, 12, 12, 8,
                                    8,  60, 60, 10, 16, 12, 12};
    for (size_t c = 0; c < sizeof heads / sizeof heads[0]; c++)
        put_heading(b, ws, c, heads[c], widths[c]);
    for (size_t i = 0; i < m->n_targets; i++) {
        const struct ns_target_info *t = &m->targets[i];
        size_t row = FIRST_ROW + i;
        char grade[2] = {t->grade, '\0'};
        put_number(b, ws, row, 0, t->time_years, NULL);
        put_text(b, ws, row, 1, t->arms, NULL);
        put_text(b, ws, row, 2, m->measures[t->measure].name, NULL);
        put_number(b, ws, row, 3, t->observed, b->occupancy);
        put_number(b, ws, row, 4, res[i].predicted, b->occupancy);
        put_number(b, ws, row, 5, res[i].difference, b->occupancy);
        put_number(b, ws, row, 6, t->tolerance, b->occupancy);
        put_text(b, ws, row, 7, res[i].within ? "yes" : "NO", NULL);
        put_text(b, ws, row, 8, grade, NULL);
        put_text(b, ws, row, 9, t->note, NULL);
        put_text(b, ws, row, 10, t->source, NULL);
        put_target_scope(b, ws, row, t);
    }
    freeze_headings(b, ws, 0);
    free(res);
}

/* The Attrition sheet: net savings by what the clients lost to follow-up
 * did, and the tipping points. */
static void
write_attrition_sheet(struct book *b, const struct ns_run_info *info)
{
    if (!info || !info->attrition)
        return;
    const struct ns_attrition_table *t = info->attrition;
    const struct ns_model *m = b->model;
    size_t K = m->n_strategies;
    char text[NOTE_SIZE] = "";
    append(text,
           "Studies lose clients to follow-up (NTORS: 37%% at five years), "
           "and those lost probably did worse. The model is refitted to the "
           "study's values as they would be if the lost did as those "
           "followed up, were back at their intake levels, or did worse by "
           "%g; £ per client, discounted, %s. The tipping point is how much "
           "worse the lost would have to have done for net savings to reach "
           "zero.",
           t->delta,
           t->perspective == NS_ALL_PAYERS
               ? "all payers"
               : m->perspectives[t->perspective].name);
    lxw_worksheet *ws = start_sheet(b, "Attrition",
                                    "Clients lost to follow-up", text, true);
    if (!ws)
        return;
    double w = strategy_width(m);
    put_heading(b, ws, 0, "Strategy", w);
    put_heading(b, ws, 1, "Compared with", w);
    put_heading(b, ws, 2, "If the lost did as those followed up",
                FIGURE_WIDTH);
    put_heading(b, ws, 3, "If the lost were back at intake", FIGURE_WIDTH);
    put_heading(b, ws, 4, "If the lost did worse by delta", FIGURE_WIDTH);
    put_heading(b, ws, 5, "Tipping point (delta)", FIGURE_WIDTH);
    size_t row = FIRST_ROW;
    for (size_t k = 0; k < K; k++) {
        if (m->comparator[k] < 0)
            continue;
        double cohort = ns_headline_cohort(b->results, k);
        put_strategy(b, ws, row, k);
        for (size_t a = 0; a < 3; a++)
            put_number(b, ws, row, 2 + a, per_client(t->net[a * K + k], cohort),
                       b->pounds);
        if (t->tipping && !isnan(t->tipping[k]))
            put_number(b, ws, row, 5, t->tipping[k], b->occupancy);
        else
            put_text(b, ws, row, 5,
                     t->tipping ? "none up to 1" : "not sought", NULL);
        row++;
    }
    freeze_headings(b, ws, 0);
}

/* The PSA sheet: per strategy the mean and interval of net savings and
 * the chance they are positive, a histogram, the cost-effectiveness plane
 * (up to 1,000 draws) and the acceptability curve. */
enum { PSA_PLANE_DRAWS = 1000 };

static void
write_psa_sheet(struct book *b, const struct ns_run_info *info)
{
    if (!info || !info->psa)
        return;
    const struct ns_psa *p = info->psa;
    const struct ns_model *m = b->model;
    size_t K = p->n_strategies, n = p->n_draws;
    const char *sheet = "PSA";
    char text[NOTE_SIZE] = "";
    append(text,
           "%zu draws of every uncertain input. Net savings per client, "
           "discounted, %s. The chance net savings are positive is the share "
           "of draws in which they are (WSIPP's 'chance benefits exceed "
           "costs').",
           n,
           info->psa_perspective == NS_ALL_PAYERS
               ? "all payers"
               : m->perspectives[info->psa_perspective].name);
    lxw_worksheet *ws =
        start_sheet(b, sheet, "How sure are we? Probabilistic analysis", text,
                    true);
    if (!ws)
        return;
    double w = strategy_width(m);
    put_heading(b, ws, 0, "Strategy", w);
    put_heading(b, ws, 1, "Compared with", w);
    put_heading(b, ws, 2, "Mean net savings (£)", FIGURE_WIDTH);
    put_heading(b, ws, 3, "2.5% (£)", FIGURE_WIDTH);
    put_heading(b, ws, 4, "97.5% (£)", FIGURE_WIDTH);
    put_heading(b, ws, 5, "Chance net savings are positive", FIGURE_WIDTH);
    size_t row = FIRST_ROW, n_rows = 0;
    size_t *shown = calloc(K + 1, sizeof *shown);
    if (!shown) {
        note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    for (size_t k = 0; k < K; k++) {
        if (m->comparator[k] < 0)
            continue;
        struct ns_psa_stat st;
        if (ns_psa_stat(p, k, NS_PSA_NET, &st) != NS_OK)
            note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        double cohort = ns_headline_cohort(b->results, k);
        put_strategy(b, ws, row, k);
        put_number(b, ws, row, 2, per_client(st.mean, cohort), b->pounds);
        put_number(b, ws, row, 3, per_client(st.low, cohort), b->pounds);
        put_number(b, ws, row, 4, per_client(st.high, cohort), b->pounds);
        put_number(b, ws, row, 5, st.prob_positive, b->occupancy);
        shown[n_rows++] = k;
        row++;
    }
    freeze_headings(b, ws, 0);
    /* Data for the charts, to the right of the table. */
    size_t col0 = 8;
    put_text(b, ws, HEADING_ROW, col0, "Net savings (£, bin centre)", b->heading);
    for (size_t i = 0; i < n_rows; i++)
        put_text(b, ws, HEADING_ROW, col0 + 1 + i,
                 m->strategies[shown[i]].label, b->heading);
    for (size_t i = 0; i < n_rows; i++) {
        size_t counts[NS_PSA_BINS];
        double lo, width;
        ns_psa_histogram(p, shown[i], &lo, &width, counts);
        for (size_t bin = 0; i == 0 && bin < NS_PSA_BINS; bin++)
            put_number(b, ws, FIRST_ROW + bin, col0,
                       lo + ((double)bin + 0.5) * width, b->pounds);
        for (size_t bin = 0; bin < NS_PSA_BINS; bin++)
            put_number(b, ws, FIRST_ROW + bin, col0 + 1 + i,
                       (double)counts[bin], NULL);
    }
    lxw_chart *hist = new_chart(b, LXW_CHART_COLUMN);
    if (hist) {
        for (size_t i = 0; i < n_rows; i++)
            add_column_series(b, hist, sheet, FIRST_ROW,
                              FIRST_ROW + NS_PSA_BINS - 1, col0, col0 + 1 + i);
        chart_title_set_name(hist, "Net savings per client across draws");
        chart_axis_set_name(hist->y_axis, "Draws");
        insert_chart(b, ws, row + 2, 0, hist);
    }
    bool plane = m->health_outcome >= 0 && m->cost_outcome >= 0;
    if (plane && n_rows > 0) {
        size_t c1 = col0 + 2 + n_rows;
        lxw_chart *sc = new_chart(b, LXW_CHART_SCATTER);
        lxw_chart *ce =
            ns_psa_ceac_points(m) > 0 ? new_chart(b, LXW_CHART_LINE) : NULL;
        for (size_t i = 0; sc && i < n_rows; i++) {
            size_t k = shown[i], cx = c1 + 2 * i, nd;
            const double *dh = ns_psa_kept(p, k, NS_PSA_DELTA_HEALTH, &nd);
            const double *dc = ns_psa_kept(p, k, NS_PSA_DELTA_COST, &nd);
            nd = nd < PSA_PLANE_DRAWS ? nd : PSA_PLANE_DRAWS;
            put_text(b, ws, HEADING_ROW, cx, "Incremental health", b->heading);
            put_text(b, ws, HEADING_ROW, cx + 1, m->strategies[k].label,
                     b->heading);
            for (size_t d = 0; d < nd; d++) {
                put_number(b, ws, FIRST_ROW + d, cx, dh[d], b->occupancy);
                put_number(b, ws, FIRST_ROW + d, cx + 1, dc[d], b->pounds);
            }
            lxw_chart_series *s = chart_add_series(sc, NULL, NULL);
            if (s) {
                chart_series_set_categories(s, sheet, FIRST_ROW, (lxw_col_t)cx,
                                            (lxw_row_t)(FIRST_ROW + nd - 1),
                                            (lxw_col_t)cx);
                chart_series_set_values(s, sheet, FIRST_ROW,
                                        (lxw_col_t)(cx + 1),
                                        (lxw_row_t)(FIRST_ROW + nd - 1),
                                        (lxw_col_t)(cx + 1));
                chart_series_set_name_range(s, sheet, HEADING_ROW,
                                            (lxw_col_t)(cx + 1));
            }
        }
        /* The acceptability curve, after the plane's columns. */
        size_t c2 = c1 + 2 * n_rows + 1;
        put_text(b, ws, HEADING_ROW, c2, "Willingness to pay (£ per unit)",
                 b->heading);
        size_t n_wtp = ns_psa_ceac_points(m);
        for (size_t i = 0; i < n_rows && n_wtp > 0; i++) {
            size_t k = shown[i];
            put_text(b, ws, HEADING_ROW, c2 + 1 + i, m->strategies[k].label,
                     b->heading);
            for (size_t step = 0; step < n_wtp; step++) {
                double wtp, share = ns_psa_ceac(m, p, k, step, &wtp);
                if (i == 0)
                    put_number(b, ws, FIRST_ROW + step, c2, wtp, b->pounds);
                put_number(b, ws, FIRST_ROW + step, c2 + 1 + i, share,
                           b->occupancy);
            }
            if (ce)
                add_column_series(b, ce, sheet, FIRST_ROW,
                                  FIRST_ROW + n_wtp - 1, c2, c2 + 1 + i);
        }
        if (sc) {
            chart_title_set_name(sc, "Cost-effectiveness plane");
            chart_axis_set_name(sc->x_axis, "Incremental health");
            chart_axis_set_name(sc->y_axis, "Incremental cost (£)");
            insert_chart(b, ws, row + 18, 0, sc);
        }
        if (ce) {
            chart_title_set_name(ce, "Cost-effectiveness acceptability");
            chart_axis_set_name(ce->x_axis, "Willingness to pay (£)");
            chart_axis_set_name(ce->y_axis, "Chance cost-effective");
            insert_chart(b, ws, row + 34, 0, ce);
        }
    }
    free(shown);
}

/* The Tornado sheet's second table: each payer's savings per client at
 * the two ends of the five widest inputs' ranges. */
static void
write_tornado_payers(struct book *b, lxw_worksheet *ws,
                     const struct ns_run_info *info, size_t row)
{
    const double *by_payer = info->tornado_by_payer;
    if (!by_payer)
        return;
    const struct ns_model *m = b->model;
    size_t U = info->n_tornado_bars, P = m->n_payers, shown = U < 5 ? U : 5;
    put_text(b, ws, row++, 0, "By payer: the five widest inputs", b->bold);
    const char *head[] = {"Strategy", "Input", "Payer",
                          "Savings at low (£)", "Savings at high (£)",
                          "Swing (£)"};
    for (size_t c = 0; c < 6; c++)
        put_text(b, ws, row, (lxw_col_t)c, head[c], b->bold);
    row++;
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        double cohort = ns_headline_cohort(b->results, k);
        for (size_t i = 0; i < shown; i++) {
            const struct ns_tornado_bar *bar = &info->tornado[k * U + i];
            const double *lo = &by_payer[((k * U + bar->row) * 2) * P];
            for (size_t p = 0; p < P; p++, row++) {
                put_text(b, ws, row, 0, m->strategies[k].label, NULL);
                put_text(b, ws, row, 1,
                         m->params[m->uncertain[bar->uncertain].param].name,
                         NULL);
                put_text(b, ws, row, 2, m->payers[p], NULL);
                put_number(b, ws, row, 3, per_client(lo[p], cohort),
                           b->pounds);
                put_number(b, ws, row, 4, per_client(lo[P + p], cohort),
                           b->pounds);
                put_number(b, ws, row, 5,
                           per_client(fabs(lo[P + p] - lo[p]), cohort),
                           b->pounds);
            }
        }
    }
}

/* The Tornado sheet: which inputs drive net savings and savings per £1,
 * per strategy, with bar charts of the swing from the low to the high end
 * of each range, then the same swings payer by payer. */
static void
write_tornado_sheet(struct book *b, const struct ns_run_info *info)
{
    if (!info || !info->tornado)
        return;
    const struct ns_model *m = b->model;
    size_t U = info->n_tornado_bars, shown = U < 15 ? U : 15;
    char text[NOTE_SIZE] = "";
    append(text,
           "Net savings per client (£, discounted) and savings per £1 of "
           "treatment with each input at the low and at the high end of its "
           "range, everything else as written; the inputs that move the "
           "answer most come first. Below: the same swings for each payer.");
    const char *sheet = "Tornado";
    lxw_worksheet *ws =
        start_sheet(b, sheet, "Which inputs drive the answer", text, true);
    if (!ws)
        return;
    put_heading(b, ws, 0, "Strategy", strategy_width(m));
    put_heading(b, ws, 1, "Input", TEXT_WIDTH / 2);
    put_heading(b, ws, 2, "Low value", FIGURE_WIDTH);
    put_heading(b, ws, 3, "High value", FIGURE_WIDTH);
    put_heading(b, ws, 4, "Net savings at low (£)", FIGURE_WIDTH);
    put_heading(b, ws, 5, "Net savings at high (£)", FIGURE_WIDTH);
    put_heading(b, ws, 6, "Swing (£)", FIGURE_WIDTH);
    put_heading(b, ws, 7, "Savings per £1 at low", FIGURE_WIDTH);
    put_heading(b, ws, 8, "Savings per £1 at high", FIGURE_WIDTH);
    size_t row = FIRST_ROW, chart_row = 0;
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        double cohort = ns_headline_cohort(b->results, k);
        size_t first = row;
        for (size_t i = 0; i < shown; i++, row++) {
            const struct ns_tornado_bar *bar = &info->tornado[k * U + i];
            put_text(b, ws, row, 0, m->strategies[k].label, NULL);
            put_text(b, ws, row, 1,
                     m->params[m->uncertain[bar->uncertain].param].name, NULL);
            put_number(b, ws, row, 2, bar->low, NULL);
            put_number(b, ws, row, 3, bar->high, NULL);
            put_number(b, ws, row, 4, per_client(bar->net_low, cohort),
                       b->pounds);
            put_number(b, ws, row, 5, per_client(bar->net_high, cohort),
                       b->pounds);
            put_number(b, ws, row, 6, per_client(bar->width, cohort),
                       b->pounds);
            put_number(b, ws, row, 7, bar->bcr_low, b->ratio);
            put_number(b, ws, row, 8, bar->bcr_high, b->ratio);
        }
        if (shown == 0)
            continue;
        for (int c = 0; c < 2; c++) {
            lxw_chart *chart = new_chart(b, LXW_CHART_BAR);
            if (!chart)
                continue;
            add_column_series(b, chart, sheet, first, row - 1, 1, c ? 7 : 4);
            add_column_series(b, chart, sheet, first, row - 1, 1, c ? 8 : 5);
            char title[160];
            snprintf(title, sizeof title, c ? "%s: savings per £1"
                                            : "%s: net savings per client (£)",
                     m->strategies[k].label);
            chart_title_set_name(chart, title);
            format_bar_axes(chart);
            insert_chart(b, ws, chart_row + FIRST_ROW, c ? 18 : 10, chart);
        }
        chart_row += 20;
    }
    write_tornado_payers(b, ws, info, row + 1 > chart_row + FIRST_ROW
                                         ? row + 1
                                         : chart_row + FIRST_ROW + 1);
    freeze_headings(b, ws, 0);
}

/* The Scenarios sheet: each scenario's net savings per client against
 * the base, with a chart. */
static void
write_scenarios_sheet(struct book *b, const struct ns_run_info *info)
{
    if (!info || !info->scenarios || info->n_scenarios < 2)
        return;
    const struct ns_scenario_result *sc = info->scenarios;
    const struct ns_model *m = b->model;
    long view = m->n_perspectives ? 0 : NS_ALL_PAYERS;
    const char *sheet = "Scenarios";
    char text[NOTE_SIZE] = "";
    append(text,
           "Net savings per client (£, discounted, %s) in each scenario; the "
           "changes each scenario makes are listed below the table.",
           view == NS_ALL_PAYERS ? "all payers" : m->perspectives[0].name);
    lxw_worksheet *ws =
        start_sheet(b, sheet, "What if? Scenarios against the base", text,
                    true);
    if (!ws)
        return;
    put_heading(b, ws, 0, "Strategy", strategy_width(m));
    for (size_t i = 0; i < info->n_scenarios; i++)
        put_heading(b, ws, 1 + i, sc[i].name, FIGURE_WIDTH * 1.5);
    size_t row = FIRST_ROW;
    for (size_t k = 0; k < m->n_strategies; k++, row += 0) {
        if (m->comparator[k] < 0)
            continue;
        put_text(b, ws, row, 0, m->strategies[k].label, NULL);
        for (size_t i = 0; i < info->n_scenarios; i++) {
            struct ns_ledger l;
            ns_ledger_compute(sc[i].model, sc[i].results, k, view, true, &l,
                              NULL);
            double cohort = ns_headline_cohort(sc[i].results, k);
            put_number(b, ws, row, 1 + i, per_client(l.net_savings, cohort),
                       b->pounds);
        }
        row++;
    }
    size_t last = row - 1;
    freeze_headings(b, ws, 0);
    lxw_chart *chart = new_chart(b, LXW_CHART_COLUMN);
    if (chart && last >= FIRST_ROW) {
        for (size_t i = 0; i < info->n_scenarios; i++)
            add_column_series(b, chart, sheet, FIRST_ROW, last, 0, 1 + i);
        chart_title_set_name(chart, "Net savings per client by scenario (£)");
        insert_chart(b, ws, row + 1, 0, chart);
    }
    row += 18;
    put_text(b, ws, row++, 0, "What each scenario changes", b->bold);
    for (size_t i = 1; i < info->n_scenarios; i++)
        for (size_t c = 0; c < sc[i].n_changes; c++) {
            put_text(b, ws, row, 0, sc[i].name, NULL);
            put_text(b, ws, row++, 1, sc[i].changes[c], NULL);
        }
}

/* Writes a money figure of an anchor, or nothing when it is not a number
 * (the netsave column then says why). */
static void
put_anchor_figure(struct book *b, lxw_worksheet *ws, size_t row, size_t col,
                  double v, lxw_format *fmt)
{
    if (isfinite(v))
        put_number(b, ws, row, col, v, fmt);
}

/* One row of the Anchors table: a study beside the model. */
static void
write_anchor_row(struct book *b, lxw_worksheet *ws, size_t row,
                 const struct ns_anchor_report *a)
{
    char text[NOTE_SIZE];
    bool computed = a->pooled.status == NS_ANCHOR_COMPUTED;
    put_text(b, ws, row, 0, a->anchor, NULL);
    put_text(b, ws, row, 1, a->study, b->wrap);
    put_text(b, ws, row, 2, a->design, b->wrap);
    ns_anchor_ratio_text(&a->pooled, text, sizeof text);
    put_text(b, ws, row, 3, text, b->wrap);
    if (a->published_text && *a->published_text)
        put_text(b, ws, row, 4, a->published_text, NULL);
    else
        put_number(b, ws, row, 4, a->published, b->money);
    /* Blank, not a number, where there is no ratio: the chart leaves a
     * gap rather than drawing a bar at zero. */
    if (computed)
        put_number(b, ws, row, 5, a->pooled.ratio, b->money);
    put_number(b, ws, row, 6, a->published, b->money);
    if (computed)
        put_number(b, ws, row, 7, a->pooled.ratio - a->published, b->money);
    put_text(b, ws, row, 8, a->arms, NULL);
    put_text(b, ws, row, 9, a->benefits, NULL);
    put_number(b, ws, row, 10, a->cost_share, b->occupancy);
    put_anchor_figure(b, ws, row, 11, a->pooled.savings, b->pounds);
    put_anchor_figure(b, ws, row, 12, a->pooled.treatment_cost, b->pounds);
    put_text(b, ws, row, 13, a->scenario ? a->scenario : "none (the model)",
             NULL);
    put_text(b, ws, row, 14, a->source, b->wrap);
    put_text(b, ws, row, 15, a->explanation, b->wrap);
}

/* Below the chart: each anchor's arms, each against its comparator. */
static void
write_anchor_arms_table(struct book *b, lxw_worksheet *ws, size_t row,
                  const struct ns_run_info *info)
{
    static const char *const heads[] = {
        "Anchor", "Strategy", "Compared with", "Weight",
        "Savings per client (£)", "Treatment cost per client (£)",
        "Savings per £1"};
    char text[NOTE_SIZE];
    put_text(b, ws, row++, 0, "Each study's clients, strategy by strategy",
             b->bold);
    for (size_t c = 0; c < sizeof heads / sizeof heads[0]; c++)
        put_text(b, ws, row, c, heads[c], b->heading);
    row++;
    for (size_t i = 0; i < info->n_anchors; i++) {
        const struct ns_anchor_report *a = &info->anchors[i];
        const struct ns_model *m = a->model;
        for (size_t j = 0; j < a->spec->n_arms; j++, row++) {
            size_t k = a->spec->strategy[j];
            put_text(b, ws, row, 0, a->anchor, NULL);
            put_text(b, ws, row, 1, label_of(&m->strategies[k]), NULL);
            put_text(b, ws, row, 2,
                     label_of(&m->strategies[m->comparator[k]]), NULL);
            put_number(b, ws, row, 3, a->spec->weight[j], b->share);
            put_anchor_figure(b, ws, row, 4, a->arm[j].savings, b->pounds);
            put_anchor_figure(b, ws, row, 5, a->arm[j].treatment_cost,
                              b->pounds);
            ns_anchor_ratio_text(&a->arm[j], text, sizeof text);
            put_text(b, ws, row, 6, text, NULL);
        }
    }
}

/* The Anchors sheet: each published study beside the model's figure for
 * the study's design, with a clustered bar chart of the two. */
static void
write_anchors_sheet(struct book *b, const struct ns_run_info *info)
{
    if (!info || !info->anchors || info->n_anchors == 0)
        return;
    static const char *const heads[] = {
        "Anchor", "Study", "Design", "netsave", "Published (as printed)",
        "netsave: savings per £1", "Published: savings per £1",
        "Difference (netsave - published)", "Clients (strategies, weights)",
        "Savings counted (perspective or payers)",
        "Share of treatment cost counted", "Savings per client (£)",
        "Treatment cost per client (£)", "Scenario", "Source",
        "Why the figures differ"};
    static const double widths[] = {16, 30, 40, 24, 16, 14, 14, 14,
                                    36, 24, 14, 14, 14, 36, 50, 60};
    const char *sheet = "Anchors";
    lxw_worksheet *ws = start_sheet(
        b, sheet, "Side by side with the published studies",
        "Savings per £1 of treatment as the model computes them for each "
        "study's design (its scenario, its clients, the payers whose "
        "savings it counts and the share of the treatment cost it divides "
        "by), beside the published figure. £ per client, discounted, "
        "pooled over subgroups and over a study's clients by their "
        "weights. Where the model cannot form the ratio, it says why.",
        true);
    if (!ws)
        return;
    for (size_t c = 0; c < sizeof heads / sizeof heads[0]; c++)
        put_heading(b, ws, c, heads[c], widths[c]);
    for (size_t i = 0; i < info->n_anchors; i++)
        write_anchor_row(b, ws, FIRST_ROW + i, &info->anchors[i]);
    size_t last = FIRST_ROW + info->n_anchors - 1;
    freeze_headings(b, ws, 1);
    lxw_chart *chart = new_chart(b, LXW_CHART_COLUMN);
    if (chart) {
        add_column_series(b, chart, sheet, FIRST_ROW, last, 0, 5);
        add_column_series(b, chart, sheet, FIRST_ROW, last, 0, 6);
        chart_title_set_name(chart, "Savings per £1 of treatment: netsave "
                                    "and the published studies");
        insert_chart(b, ws, last + 2, 0, chart);
    }
    write_anchor_arms_table(b, ws, last + 2 + 18, info);
}

/* The Checks sheet: the verification checks the run passed (or not). */
static void
write_checks_sheet(struct book *b, const struct ns_run_info *info)
{
    if (!info || !info->checks || info->checks->n == 0)
        return;
    const struct ns_checks *checks = info->checks;
    size_t n_passed = 0;
    for (size_t i = 0; i < checks->n; i++)
        n_passed += checks->items[i].passed;
    char text[NOTE_SIZE] = "";
    append(text,
           "Black-box checks of the model run with these results (TECH-VER): "
           "%zu of %zu passed.",
           n_passed, checks->n);
    lxw_worksheet *ws =
        start_sheet(b, "Checks", "Verification checks", text, true);
    if (!ws)
        return;
    put_heading(b, ws, 0, "Subgroup", 16);
    put_heading(b, ws, 1, "Check", 40);
    put_heading(b, ws, 2, "Passed", 8);
    put_heading(b, ws, 3, "What was checked, or the first failure", 120);
    for (size_t i = 0; i < checks->n; i++) {
        const struct ns_check *k = &checks->items[i];
        size_t row = FIRST_ROW + i;
        put_text(b, ws, row, 0, k->group[0] ? k->group : "all", NULL);
        put_text(b, ws, row, 1, k->name, NULL);
        put_text(b, ws, row, 2, k->passed ? "yes" : "NO", NULL);
        put_text(b, ws, row, 3, k->detail, NULL);
    }
    freeze_headings(b, ws, 0);
}

/* The Subgroups sheet: the headline for each subgroup and for all clients
 * together. */
static void
write_subgroups(struct book *b)
{
    const struct ns_model *m = b->model;
    const struct ns_population *pop = b->pop;
    if (pop->n_groups < 2 || m->cost_outcome < 0)
        return;
    char persp[NOTE_SIZE], disc[NOTE_SIZE], text[NOTE_SIZE] = "";
    describe_perspective(m, b->headline, persp);
    describe_discounting(m, disc);
    append(text,
           "£ per client of the starting cohort, %s; savings counted for "
           "%s. All clients: the subgroups weighted by their share.",
           disc, persp);
    lxw_worksheet *ws = start_sheet(
        b, "Subgroups", "Net savings by group of clients", text, true);
    if (!ws)
        return;
    double w_label = strategy_width(m);
    double w_group = TEXT_WIDTH;
    put_heading(b, ws, 0, "Strategy", w_label);
    put_heading(b, ws, 1, "Compared with", w_label);
    put_heading(b, ws, 3, "Share of clients", MIN_WIDTH);
    put_heading(b, ws, 4, "Net savings per client (£, discounted)",
                FIGURE_WIDTH);
    put_heading(b, ws, 5, "Savings per £1 of extra treatment spend",
                FIGURE_WIDTH);
    put_heading(b, ws, 6, "Payback", FIGURE_WIDTH);
    size_t row = FIRST_ROW;
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        for (size_t g = 0; g <= pop->n_groups; g++, row++) {
            struct ns_headline h;
            bool pooled = g == pop->n_groups;
            const char *group = pooled ? "All clients" : pop->names[g];
            ns_headline_compute(ns_group_model(pop, g),
                                ns_group_results(pop, g), k, b->headline, true,
                                b->years, &h);
            put_strategy(b, ws, row, k);
            put_text(b, ws, row, 2, group, pooled ? b->bold : NULL);
            w_group = text_width(w_group, group);
            put_number(b, ws, row, 3, pooled ? 1.0 : pop->weights[g], b->share);
            put_number(b, ws, row, 4,
                       per_client(h.ledger.net_savings, h.cohort), b->pounds);
            put_ratio(b, ws, row, 5, h.ledger.benefit_cost_ratio);
            put_payback(b, ws, row, 6, h.payback_year);
        }
    }
    put_heading(b, ws, 2, "Clients", w_group);
    freeze_headings(b, ws, 0);
}

/* Whether two parameter values differ (NaN equals NaN here). */
static bool
differ(double a, double b)
{
    return a < b || a > b || isnan(a) != isnan(b);
}

/* Builds the note on where parameter p takes other values than the one
 * shown (strategy 0 of subgroup 0): other strategies, other subgroups. */
static void
value_note(const struct ns_population *pop, const struct ns_model *m, size_t p,
           char *out)
{
    const struct ns_results *r0 = pop->results[0];
    size_t np = r0->n_params;
    double shown = r0->param_values[p];
    const char *sep = "Differs for strategy ";
    out[0] = '\0';
    for (size_t k = 1; k < m->n_strategies; k++) {
        double v = r0->param_values[k * np + p];
        if (!differ(v, shown))
            continue;
        append(out, "%s%s (%.6g)", sep, m->strategies[k].name, v);
        sep = ", ";
    }
    sep = *out ? "; for subgroup " : "Differs for subgroup ";
    bool by_group = false;
    for (size_t g = 1; g < pop->n_groups; g++) {
        double v = pop->results[g]->param_values[p];
        if (!differ(v, shown))
            continue;
        append(out, "%s%s (%.6g)", sep, pop->names[g], v);
        sep = ", ";
        by_group = true;
    }
    if (by_group)
        append(out, "; the value shown is for subgroup %s", pop->names[0]);
}

/* The Inputs sheet: every parameter with its value and provenance. Rows
 * graded U (unconfirmed) are flagged as assumptions and highlighted. */
static void
write_inputs(struct book *b)
{
    const struct ns_model *m = b->model;
    const struct ns_population *pop = b->pop;
    lxw_worksheet *ws = start_sheet(
        b, "Inputs", "Inputs: every parameter the model used",
        "Values at the start of the model for the first strategy. Grade A: "
        "seen in the primary source; B: in a reputable secondary source; "
        "C: derived by arithmetic from A or B figures; U: unconfirmed, "
        "used as an assumption.",
        false);
    if (!ws)
        return;
    put_text(b, ws, NOTE2_ROW, 0,
             "Rows highlighted are assumptions: check them before relying "
             "on the results.",
             b->assumption);
    static const char *const headings[] = {
        "Parameter",  "Value",  "Unit",       "Price year", "Grade",
        "Assumption", "Source", "Defined at", "Definition", "Other values",
    };
    enum { N_COLS = sizeof headings / sizeof headings[0] };
    double widths[N_COLS];
    for (size_t i = 0; i < N_COLS; i++)
        widths[i] = text_width(MIN_WIDTH, headings[i]);

    const struct ns_results *r0 = pop->results[0];
    char at[512], other[NOTE_SIZE];
    for (size_t p = 0; p < m->n_params; p++) {
        const struct ns_param_info *pi = &m->params[p];
        size_t row = FIRST_ROW + p;
        bool assumed = pi->grade && strcmp(pi->grade, "U") == 0;
        lxw_format *fmt = assumed ? b->assumption : NULL;
        at[0] = '\0';
        if (pi->at.file)
            snprintf(at, sizeof at, "%s:%d", pi->at.file, pi->at.line);
        value_note(pop, m, p, other);
        const char *cells[N_COLS] = {
            pi->name,
            NULL,
            pi->unit,
            pi->price_year,
            pi->grade,
            assumed ? "assumption" : NULL,
            pi->source ? pi->source : "no source given",
            at,
            pi->text,
            other,
        };
        for (size_t i = 0; i < N_COLS; i++) {
            if (i == 1)
                continue;
            put_filled(b, ws, row, i, cells[i], fmt);
            widths[i] = text_width(widths[i], cells[i]);
        }
        put_number(b, ws, row, 1, r0->param_values[p], fmt);
    }
    widths[1] = NUMBER_WIDTH;
    for (size_t i = 0; i < N_COLS; i++)
        set_width(b, ws, i, widths[i]);
    for (size_t i = 0; i < N_COLS; i++)
        put_text(b, ws, HEADING_ROW, i, headings[i], b->bold);
    freeze_headings(b, ws, 1);
}

/* Checks that every population sheet fits Excel's grid. Returns a reason,
 * or NULL. */
static const char *
check_population_grid(const struct ns_population *pop)
{
    const struct ns_model *m = pop->models[0];
    const char *why = check_grid(m, pop->pooled);
    if (why)
        return why;
    size_t rows = m->n_strategies * (pop->n_groups + 1);
    if (m->n_strategies * m->n_outcomes > rows)
        rows = m->n_strategies * m->n_outcomes;
    if (m->n_params > rows)
        rows = m->n_params;
    if (ns_ledger_n_years(m) > rows)
        rows = ns_ledger_n_years(m);
    if (rows + m->n_perspectives + 2 * FIRST_ROW + 10 > LXW_ROW_MAX)
        return "there are more rows of results than an Excel sheet has";
    if (m->n_payers + 4 > LXW_COL_MAX || m->n_strategies + 1 > LXW_COL_MAX)
        return "there are more payers or strategies than an Excel sheet has "
               "columns";
    return NULL;
}

/* The population workbook's sheets. */
static void
fill_population(struct book *b, const struct ns_run_info *info)
{
    add_population_formats(b);
    write_headline(b);
    write_who_pays(b);
    write_year_by_year(b);
    write_outcomes_sheet(b);
    write_subgroups(b);
    for (size_t k = 0; k < b->results->n_strategies; k++)
        write_trace(b, k);
    write_validation_sheet(b);
    write_attrition_sheet(b, info);
    write_psa_sheet(b, info);
    write_tornado_sheet(b, info);
    write_scenarios_sheet(b, info);
    write_anchors_sheet(b, info);
    write_checks_sheet(b, info);
    write_inputs(b);
    write_about(b, info);
}

enum ns_status
ns_xlsx_write_population(const char *path, const struct ns_population *pop,
                         const struct ns_run_info *info, char *err,
                         size_t err_size)
{
    const char *why = ns_population_check(pop);
    if (!why)
        why = check_population_grid(pop);
    if (why) {
        snprintf(err, err_size, "cannot write %s: %s", path, why);
        return NS_EOUTPUT;
    }
    const struct ns_model *m = pop->models[0];
    struct book b = {
        .model = m,
        .results = pop->pooled,
        .pop = pop,
        .headline = m->n_perspectives > 0 ? 0 : NS_ALL_PAYERS,
        .years = calloc(ns_ledger_n_years(m), sizeof(double)),
    };
    if (!b.years) {
        snprintf(err, err_size, "cannot write %s: %s", path, strerror(ENOMEM));
        return NS_EOUTPUT;
    }
    enum ns_status st =
        write_book(path, &b, fill_population, info, err, err_size);
    free(b.years);
    return st;
}

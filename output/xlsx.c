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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xlsxwriter.h>

#include "model/ledger.h"
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
    long headline;           /* perspective of the headline figures */
    double *years;           /* scratch, [ns_ledger_n_years(model)] */
    lxw_format *title;       /* a sheet's first line */
    lxw_format *heading;     /* bold, wrapped: long column headings */
    lxw_format *pounds;      /* money for people: whole pounds */
    lxw_format *ratio;       /* savings per GBP 1 */
    lxw_format *share;       /* a subgroup's share of clients */
    lxw_format *assumption;  /* Inputs rows graded U */
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
    if (!ws)
        note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
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

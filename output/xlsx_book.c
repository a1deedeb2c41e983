/* netsave: the workbook's shared scaffolding (see xlsx_book.h): cell
 * writers that check every lxw_error, the formats, sheets added valid and
 * set up for printing, the cost-benefit sheets' common shape, and charts. */
#include "output/xlsx_book.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/ledger.h"

/* Records the first failure, so a sequence of writes can be checked once
 * at the end without losing which error came first. */
void
xl_note(struct book *b, lxw_error e)
{
    if (b->error == LXW_NO_ERROR)
        b->error = e;
}

/* Counts UTF-8 characters the way libxlsxwriter does when it checks a
 * cell against Excel's limit: every byte that is not a continuation
 * byte starts one. */
static size_t
utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* The byte offset at which s's character number index starts (or its
 * end), so a cut never splits a multi-byte sequence. */
static size_t
utf8_offset(const char *s, size_t index)
{
    size_t i = 0, chars = 0;
    for (; s[i]; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80 && chars++ == index)
            break;
    return i;
}

#define CUT_MARK " [... cut: %zu more characters]"

char *
xl_cut_text_alloc(const char *s, size_t max_chars)
{
    size_t total = utf8_chars(s);
    if (total <= max_chars)
        return strdup(s);
    /* The mark's length depends on how much is cut, which depends on the
     * mark's length: a mark sized for cutting everything is at least as
     * long as the real one, so what is kept plus the real mark fits. */
    char mark[64];
    size_t mark_len = (size_t)snprintf(mark, sizeof mark, CUT_MARK, total);
    size_t keep = max_chars > mark_len ? max_chars - mark_len : 0;
    size_t bytes = utf8_offset(s, keep);
    mark_len = (size_t)snprintf(mark, sizeof mark, CUT_MARK, total - keep);
    char *out = malloc(bytes + mark_len + 1);
    if (!out)
        return NULL;
    memcpy(out, s, bytes);
    memcpy(out + bytes, mark, mark_len + 1);
    return out;
}

/* Writes text. Excel refuses a cell of more than XL_CELL_MAX_CHARS
 * characters, and libxlsxwriter with it; a long --set expression or
 * command line is valid input, so such text is cut, visibly, rather than
 * failing the workbook after the CSV files were written. */
void
xl_put_text(struct book *b, lxw_worksheet *ws, size_t row, size_t col,
            const char *s, lxw_format *fmt)
{
    if (b->error || !s || !*s)
        return;
    /* Fewer bytes than the limit is fewer characters: no count needed. */
    if (strlen(s) <= XL_CELL_MAX_CHARS || utf8_chars(s) <= XL_CELL_MAX_CHARS) {
        xl_note(b, worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col,
                                          s, fmt));
        return;
    }
    char *cut = xl_cut_text_alloc(s, XL_CELL_MAX_CHARS);
    if (!cut) {
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    xl_note(b, worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, cut,
                                      fmt));
    free(cut);
}

/* Writes a number. Excel has no NaN or infinity (libxlsxwriter would write
 * XML that Excel refuses to open), so those become visible text. */
void
xl_put_number(struct book *b, lxw_worksheet *ws, size_t row, size_t col,
              double v, lxw_format *fmt)
{
    if (b->error)
        return;
    if (!isfinite(v)) {
        const char *text = isnan(v) ? "NaN" : v > 0 ? "Inf" : "-Inf";
        xl_note(b, worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col,
                                          text, NULL));
        return;
    }
    xl_note(b,
            worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col, v, fmt));
}

void
xl_set_width(struct book *b, lxw_worksheet *ws, size_t col, double width)
{
    if (b->error)
        return;
    xl_note(b, worksheet_set_column(ws, (lxw_col_t)col, (lxw_col_t)col, width,
                                    NULL));
}

/* Width that fits a column of text: its longest entry in characters
 * (UTF-8 sequences counted once), plus a margin. */
double
xl_text_width(double current, const char *s)
{
    if (!s)
        return current;
    double w = (double)lxw_utf8_strlen(s) + 2.0;
    if (w > MAX_WIDTH)
        w = MAX_WIDTH;
    return w > current ? w : current;
}

/* What people read for a named thing: its label, or its name without. */
const char *
xl_label_of(const struct ns_named *n)
{
    return n->label && *n->label ? n->label : n->name;
}

/* Creates the formats every sheet shares. */
void
xl_add_formats(struct book *b)
{
    b->bold = workbook_add_format(b->wb);
    b->money = workbook_add_format(b->wb);
    b->amount = workbook_add_format(b->wb);
    b->occupancy = workbook_add_format(b->wb);
    b->wrap = workbook_add_format(b->wb);
    if (!b->bold || !b->money || !b->amount || !b->occupancy || !b->wrap) {
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
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
lxw_worksheet *
xl_add_sheet(struct book *b, const char *name)
{
    if (b->error)
        return NULL;
    lxw_error e = workbook_validate_sheet_name(b->wb, name);
    if (e) {
        xl_note(b, e);
        return NULL;
    }
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, name);
    if (!ws) {
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return NULL;
    }
    /* Commissioners print: each sheet prints across one page wide. */
    worksheet_set_landscape(ws);
    worksheet_set_paper(ws, 9); /* A4 */
    worksheet_fit_to_pages(ws, 1, 0);
    return ws;
}

void
xl_insert_chart(struct book *b, lxw_worksheet *ws, size_t row, size_t col,
                lxw_chart *chart)
{
    if (b->error)
        return;
    xl_note(b,
            worksheet_insert_chart(ws, (lxw_row_t)row, (lxw_col_t)col, chart));
}

/* Copies at most max_chars UTF-8 characters of s into out (of out_size
 * bytes), never splitting a multi-byte sequence. */
void
xl_copy_chars(char *out, size_t out_size, const char *s, size_t max_chars)
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

/* Creates the formats only the population workbook uses. */
void
xl_add_population_formats(struct book *b)
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
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
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

/* Copies name into out with '_' shown as a space ("treatment_budget" reads
 * "treatment budget"). */
void
xl_readable(char *out, size_t out_size, const char *name)
{
    xl_copy_chars(out, out_size, name, out_size);
    for (char *p = out; *p; p++)
        if (*p == '_')
            *p = ' ';
}

void
xl_append(char *buf, const char *fmt, ...)
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
void
xl_describe_perspective(const struct ns_model *m, long perspective, char *out)
{
    char name[128];
    out[0] = '\0';
    if (perspective == NS_ALL_PAYERS) {
        xl_append(out, "all payers");
        return;
    }
    const struct ns_perspective_info *pi = &m->perspectives[perspective];
    xl_readable(name, sizeof name, pi->name);
    xl_append(out, "%s (", name);
    const char *sep = "";
    for (size_t p = 0; p < m->n_payers; p++) {
        if (!pi->has_payer[p])
            continue;
        xl_readable(name, sizeof name, m->payers[p]);
        xl_append(out, "%s%s", sep, name);
        sep = ", ";
    }
    xl_append(out, ")");
}

/* "costs discounted at 3.5% a year": how money is discounted. */
void
xl_describe_discounting(const struct ns_model *m, char *out)
{
    out[0] = '\0';
    double rate = m->outcomes[m->cost_outcome].discount_rate;
    xl_append(out, "%s discounted at %.4g%% a year",
              m->outcomes[m->cost_outcome].name, 100.0 * rate);
}

void
xl_format_time(time_t t, char *out, size_t out_size)
{
    struct tm local;
    if (!localtime_r(&t, &local) ||
        strftime(out, out_size, "%Y-%m-%dT%H:%M:%S%z", &local) == 0)
        snprintf(out, out_size, "%s", "not recorded");
}

/* Adds a cost-benefit sheet with its title and first note; tall makes
 * room for wrapped headings. */
lxw_worksheet *
xl_start_sheet(struct book *b, const char *name, const char *title,
               const char *note_text, bool tall)
{
    lxw_worksheet *ws = xl_add_sheet(b, name);
    if (!ws)
        return NULL;
    xl_put_text(b, ws, TITLE_ROW, 0, title, b->title);
    xl_put_text(b, ws, NOTE_ROW, 0, note_text, NULL);
    if (tall && !b->error)
        xl_note(b, worksheet_set_row(ws, HEADING_ROW, HEADING_HIGH, NULL));
    return ws;
}

/* Writes a column heading and sets the column's width. */
void
xl_put_heading(struct book *b, lxw_worksheet *ws, size_t col, const char *text,
               double width)
{
    xl_put_text(b, ws, HEADING_ROW, col, text, b->heading);
    xl_set_width(b, ws, col, width);
}

void
xl_freeze_headings(struct book *b, lxw_worksheet *ws, size_t cols)
{
    if (!b->error)
        worksheet_freeze_panes(ws, FIRST_ROW, (lxw_col_t)cols);
}

/* A new chart, or NULL with the failure noted. */
lxw_chart *
xl_new_chart(struct book *b, uint8_t type)
{
    if (b->error)
        return NULL;
    lxw_chart *chart = workbook_add_chart(b->wb, type);
    if (!chart)
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
    return chart;
}

/* Adds to chart the series in column col of rows first..last, named by the
 * heading above them, with categories from column cat. */
void
xl_add_column_series(struct book *b, lxw_chart *chart, const char *sheet,
                     size_t first, size_t last, size_t cat, size_t col)
{
    if (b->error)
        return;
    lxw_chart_series *series = chart_add_series(chart, NULL, NULL);
    if (!series) {
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
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
void
xl_format_bar_axes(lxw_chart *chart)
{
    chart_axis_set_num_format(chart->x_axis, "£#,##0");
    chart_axis_set_reverse(chart->y_axis);
    chart_axis_set_crossing_max(chart->y_axis);
}

/* Per client: a cohort total divided by the clients at the start. */
double
xl_per_client(double total, double cohort)
{
    return cohort > 0.0 ? total / cohort : NS_NAN;
}

/* Writes the strategy's label and its comparator's in columns 0 and 1. */
void
xl_put_strategy(struct book *b, lxw_worksheet *ws, size_t row, size_t k)
{
    const struct ns_model *m = b->model;
    xl_put_text(b, ws, row, 0, xl_label_of(&m->strategies[k]), NULL);
    xl_put_text(b, ws, row, 1, xl_label_of(&m->strategies[m->comparator[k]]),
                NULL);
}

/* Width for columns 0 and 1, which hold strategy labels. */
double
xl_strategy_width(const struct ns_model *m)
{
    double w = TEXT_WIDTH;
    for (size_t k = 0; k < m->n_strategies; k++)
        w = xl_text_width(w, xl_label_of(&m->strategies[k]));
    return w;
}

/* Writes savings per GBP 1, or why there is no such number. */
void
xl_put_ratio(struct book *b, lxw_worksheet *ws, size_t row, size_t col,
             double ratio)
{
    if (isnan(ratio))
        xl_put_text(b, ws, row, col, "no extra treatment spend", NULL);
    else
        xl_put_number(b, ws, row, col, ratio, b->ratio);
}

/* Writes "year 3" or "not within 5 years". */
void
xl_put_payback(struct book *b, lxw_worksheet *ws, size_t row, size_t col,
               size_t year)
{
    char text[64];
    size_t n_years = ns_ledger_n_years(b->model);
    if (year > 0)
        snprintf(text, sizeof text, "year %zu", year);
    else
        snprintf(text, sizeof text, "not within %zu year%s", n_years,
                 n_years == 1 ? "" : "s");
    xl_put_text(b, ws, row, col, text, NULL);
}

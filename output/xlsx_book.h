/* netsave: the workbook writer's private side, shared by xlsx.c (which
 * opens, fills and closes the workbook) and the files that write its
 * sheets: xlsx_results.c, xlsx_population.c and xlsx_analysis.c, on the
 * scaffolding of xlsx_book.c. Not a public header of ns_output.
 *
 * Every writer takes the book and does nothing once b->error is set, so a
 * sheet is written as a plain sequence of calls and checked once, at the
 * end, without losing which failure came first. */
#ifndef NS_OUTPUT_XLSX_BOOK_H
#define NS_OUTPUT_XLSX_BOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <xlsxwriter.h>

#include "model/model.h"
#include "model/netsave.h"
#include "model/population.h"
#include "model/results.h"
#include "output/output.h"

/* Column widths in Excel's character units, clamped to keep long labels
 * from pushing numbers off screen. */
#define MIN_WIDTH    10.0
#define MAX_WIDTH    60.0
#define NUMBER_WIDTH 16.0

/* Excel draws at most this many series in one chart. */
#define MAX_CHART_SERIES 255

/* Blank rows between the Summary table and its chart. */
#define CHART_GAP_ROWS 2

/* The population workbook's cost-benefit sheets.
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

struct live;

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
    const struct ns_services *bench_services; /* the Benchmark's, or NULL */
    struct live *live;      /* the live workbook's plan (xlsx_live.c), or
                               NULL */
};

/* Fills a workbook: the sheets of one model, of a population, or live. */
typedef void xl_fill_fn(struct book *b, const struct ns_run_info *info);

/* Writes the workbook at path atomically with fill (xlsx.c). */
enum ns_status xl_write_book(const char *path, struct book *b,
                             xl_fill_fn *fill,
                             const struct ns_run_info *info, char *err,
                             size_t err_size);

/* ---- xlsx_book.c: cells, formats, sheets and charts ---- */

void xl_note(struct book *b, lxw_error e);
void xl_put_text(struct book *b, lxw_worksheet *ws, size_t row, size_t col,
                 const char *s, lxw_format *fmt);
/* Excel's limit on the text of one cell, in characters. */
#define XL_CELL_MAX_CHARS 32767

/* Returns a malloc'd copy of s, or, when s has more than max_chars UTF-8
 * characters, its start cut at a character boundary and ended with
 * " [... cut: N more characters]", the whole at most max_chars
 * characters (for max_chars shorter than the mark, the mark alone).
 * NULL if memory runs out. */
char *xl_cut_text_alloc(const char *s, size_t max_chars);
void xl_put_number(struct book *b, lxw_worksheet *ws, size_t row, size_t col,
                   double v, lxw_format *fmt);
void xl_set_width(struct book *b, lxw_worksheet *ws, size_t col,
                  double width);
double xl_text_width(double current, const char *s);
const char *xl_label_of(const struct ns_named *n);
void xl_add_formats(struct book *b);
void xl_add_population_formats(struct book *b);
lxw_worksheet *xl_add_sheet(struct book *b, const char *name);
void xl_insert_chart(struct book *b, lxw_worksheet *ws, size_t row,
                     size_t col, lxw_chart *chart);
void xl_copy_chars(char *out, size_t out_size, const char *s,
                   size_t max_chars);
void xl_readable(char *out, size_t out_size, const char *name);
void xl_append(char *buf, const char *fmt, ...) NS_PRINTF(2, 3);
void xl_describe_perspective(const struct ns_model *m, long perspective,
                             char *out);
void xl_describe_discounting(const struct ns_model *m, char *out);

/* Writes t as ISO 8601 local time with its offset from UTC
 * ("2024-05-01T14:03:22+0100") into out, of at least XL_TIME_SIZE bytes. */
enum { XL_TIME_SIZE = 32 };
void xl_format_time(time_t t, char *out, size_t out_size);

/* The cost-benefit sheets' shape (TITLE_ROW ... FIRST_ROW above). */
lxw_worksheet *xl_start_sheet(struct book *b, const char *name,
                              const char *title, const char *note_text,
                              bool tall);
void xl_put_heading(struct book *b, lxw_worksheet *ws, size_t col,
                    const char *text, double width);
void xl_freeze_headings(struct book *b, lxw_worksheet *ws, size_t cols);
lxw_chart *xl_new_chart(struct book *b, uint8_t type);
void xl_add_column_series(struct book *b, lxw_chart *chart,
                          const char *sheet, size_t first, size_t last,
                          size_t cat, size_t col);
void xl_format_bar_axes(lxw_chart *chart);
double xl_per_client(double total, double cohort);
void xl_put_strategy(struct book *b, lxw_worksheet *ws, size_t row,
                     size_t k);
double xl_strategy_width(const struct ns_model *m);
void xl_put_ratio(struct book *b, lxw_worksheet *ws, size_t row, size_t col,
                  double ratio);
void xl_put_payback(struct book *b, lxw_worksheet *ws, size_t row,
                    size_t col, size_t year);

/* ---- xlsx_results.c ---- */

void xl_write_summary(struct book *b);
void xl_write_values(struct book *b);
void xl_write_trace(struct book *b, size_t k);
void xl_write_headline(struct book *b);
void xl_write_who_pays(struct book *b);
void xl_write_year_by_year(struct book *b);
void xl_write_outcomes_sheet(struct book *b);

/* ---- xlsx_frontier.c ---- */

void xl_write_frontier_sheet(struct book *b);
void xl_write_ceaf_sheet(struct book *b, const struct ns_run_info *info);
/* ---- xlsx_area.c: nothing without an area ---- */

void xl_write_area_sheet(struct book *b);
/* The Areas sheet of netsave areas: nothing without info->areas. */
void xl_write_areas_sheet(struct book *b, const struct ns_run_info *info);

/* ---- xlsx_population.c ---- */

void xl_write_subgroups(struct book *b);
void xl_write_inputs(struct book *b);
void xl_write_about(struct book *b, const struct ns_run_info *info);

/* ---- xlsx_analysis.c: each writes nothing when info lacks its part ---- */

void xl_write_validation_sheet(struct book *b);
void xl_write_attrition_sheet(struct book *b, const struct ns_run_info *info);
void xl_write_psa_sheet(struct book *b, const struct ns_run_info *info);
void xl_write_tornado_sheet(struct book *b, const struct ns_run_info *info);
void xl_write_scenarios_sheet(struct book *b, const struct ns_run_info *info);
void xl_write_anchors_sheet(struct book *b, const struct ns_run_info *info);
void xl_write_benchmark_sheets(struct book *b, const struct ns_run_info *info);
void xl_write_checks_sheet(struct book *b, const struct ns_run_info *info);

/* ---- xlsx_evppi.c ---- */

void xl_write_evppi_sheet(struct book *b, const struct ns_run_info *info);

#endif

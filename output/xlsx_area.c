/* netsave: the workbook's Area sheet: an area's clients starting each
 * year and what they cost and save together (model/area.h), with a chart
 * of net savings per year. Static numbers, as area.csv holds them for the
 * headline perspective. */
#include "output/xlsx_book.h"

#include <stdio.h>
#include <stdlib.h>

#include "model/area.h"
#include "model/ledger.h"

/* Columns of the Area sheet's table. */
enum {
    AREA_YEAR,
    AREA_STARTS,
    AREA_TREATMENT,
    AREA_SAVINGS,
    AREA_NET,
    AREA_CUMULATIVE,
    AREA_FIRST_STRATEGY /* then, per treated strategy, starts and net */
};

static void
put_area_headings(struct book *b, lxw_worksheet *ws)
{
    const struct ns_model *m = b->model;
    static const char *const headings[AREA_FIRST_STRATEGY] = {
        "Year", "Clients starting", "Extra treatment spending", "Savings",
        "Net savings", "Net savings so far"};
    for (size_t c = 0; c < AREA_FIRST_STRATEGY; c++)
        xl_put_heading(b, ws, c, headings[c],
                       c == AREA_YEAR ? MIN_WIDTH : FIGURE_WIDTH);
    size_t col = AREA_FIRST_STRATEGY;
    char text[NOTE_SIZE];
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        const char *label = xl_label_of(&m->strategies[k]);
        snprintf(text, sizeof text, "%s: clients starting", label);
        xl_put_heading(b, ws, col++, text, xl_text_width(FIGURE_WIDTH, text));
        snprintf(text, sizeof text, "%s: net savings", label);
        xl_put_heading(b, ws, col++, text, xl_text_width(FIGURE_WIDTH, text));
    }
}

/* One column of a strategy's starts and one of its net savings. */
static void
put_strategy_columns(struct book *b, lxw_worksheet *ws, size_t k, size_t col,
                     struct ns_area_year *years)
{
    const struct ns_model *m = b->model;
    if (ns_area_totals(m, b->results, k, b->headline, true, years, NULL) !=
        NS_OK) {
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    for (size_t y = 0; y < ns_area_n_years(m); y++) {
        xl_put_number(b, ws, FIRST_ROW + y, col, years[y].starts, b->amount);
        xl_put_number(b, ws, FIRST_ROW + y, col + 1, years[y].net_savings,
                      b->pounds);
    }
}

static void
put_area_rows(struct book *b, lxw_worksheet *ws, struct ns_area_year *years)
{
    const struct ns_model *m = b->model;
    if (ns_area_totals(m, b->results, NS_AREA_ALL, b->headline, true, years,
                       NULL) != NS_OK) {
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    for (size_t y = 0; y < ns_area_n_years(m); y++) {
        size_t row = FIRST_ROW + y;
        const struct ns_area_year *a = &years[y];
        xl_put_number(b, ws, row, AREA_YEAR, (double)(y + 1), NULL);
        xl_put_number(b, ws, row, AREA_STARTS, a->starts, b->amount);
        xl_put_number(b, ws, row, AREA_TREATMENT, a->treatment_cost,
                      b->pounds);
        xl_put_number(b, ws, row, AREA_SAVINGS, a->savings, b->pounds);
        xl_put_number(b, ws, row, AREA_NET, a->net_savings, b->pounds);
        xl_put_number(b, ws, row, AREA_CUMULATIVE, a->cumulative_net_savings,
                      b->pounds);
    }
    size_t col = AREA_FIRST_STRATEGY;
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        put_strategy_columns(b, ws, k, col, years);
        col += 2;
    }
}

static void
put_area_chart(struct book *b, lxw_worksheet *ws, const char *sheet,
               size_t n_years)
{
    lxw_chart *chart = xl_new_chart(b, LXW_CHART_COLUMN);
    if (!chart)
        return;
    xl_add_column_series(b, chart, sheet, FIRST_ROW, FIRST_ROW + n_years - 1,
                         AREA_YEAR, AREA_NET);
    if (b->error)
        return;
    chart_title_set_name(chart, "The area's net savings per year (£, "
                                "discounted)");
    chart_axis_set_name(chart->x_axis, "Year");
    chart_axis_set_num_format(chart->y_axis, "£#,##0");
    chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
    xl_insert_chart(b, ws, FIRST_ROW + n_years + 1, 0, chart);
}

void
xl_write_area_sheet(struct book *b)
{
    const struct ns_model *m = b->model;
    const char *sheet = "Area";
    if (!m->area || m->cost_outcome < 0)
        return;
    size_t n_years = ns_area_n_years(m);
    char persp[NOTE_SIZE], disc[NOTE_SIZE], text[NOTE_SIZE] = "";
    xl_describe_perspective(m, b->headline, persp);
    xl_describe_discounting(m, disc);
    xl_append(text,
              "Clients starting treatment in %s in years 1 to %zu, and what "
              "they cost and save together (£, %s to the start of year 1; "
              "savings counted for %s).",
              m->area->name, m->area->n_years, disc, persp);
    snprintf(persp, sizeof persp, "Area: %s", m->area->name);
    lxw_worksheet *ws = xl_start_sheet(b, sheet, persp, text, true);
    if (!ws)
        return;
    text[0] = '\0';
    xl_append(text,
              "Each year's clients start at its beginning and are followed "
              "for the model's %zu year%s, so the area's years run to %zu; "
              "each client costs and saves what the model's client does.",
              ns_ledger_n_years(m), ns_ledger_n_years(m) == 1 ? "" : "s",
              n_years);
    xl_put_text(b, ws, NOTE2_ROW, 0, text, NULL);
    struct ns_area_year *years = calloc(n_years, sizeof *years);
    if (!years) {
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    put_area_headings(b, ws);
    put_area_rows(b, ws, years);
    free(years);
    xl_freeze_headings(b, ws, 1);
    put_area_chart(b, ws, sheet, n_years);
}

/* Columns of the Areas sheet: each area's totals over all its years, then
 * each treated strategy's net savings. */
enum {
    AREAS_NAME,
    AREAS_STARTS,
    AREAS_TREATMENT,
    AREAS_SAVINGS,
    AREAS_NET,
    AREAS_FIRST_STRATEGY
};

static void
put_areas_headings(struct book *b, lxw_worksheet *ws)
{
    static const char *const headings[AREAS_FIRST_STRATEGY] = {
        "Area", "Clients starting", "Extra treatment spending", "Savings",
        "Net savings"};
    for (size_t c = 0; c < AREAS_FIRST_STRATEGY; c++)
        xl_put_heading(b, ws, c, headings[c], FIGURE_WIDTH);
    const struct ns_model *m = b->model;
    size_t col = AREAS_FIRST_STRATEGY;
    char text[NOTE_SIZE];
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        snprintf(text, sizeof text, "%s: net savings",
                 xl_label_of(&m->strategies[k]));
        xl_put_heading(b, ws, col++, text, xl_text_width(FIGURE_WIDTH, text));
    }
}

/* Area i's row: its totals, then each treated strategy's net savings. */
static void
put_areas_row(struct book *b, lxw_worksheet *ws, size_t row,
              const struct ns_scenario_result *a)
{
    const struct ns_model *m = a->model;
    long view = m->n_perspectives ? 0 : NS_ALL_PAYERS;
    struct ns_area_year sum;
    xl_put_text(b, ws, row, AREAS_NAME, m->area->name, NULL);
    if (ns_area_sum(m, a->results, NS_AREA_ALL, view, true, &sum) != NS_OK) {
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    xl_put_number(b, ws, row, AREAS_STARTS, sum.starts, b->amount);
    xl_put_number(b, ws, row, AREAS_TREATMENT, sum.treatment_cost, b->pounds);
    xl_put_number(b, ws, row, AREAS_SAVINGS, sum.savings, b->pounds);
    xl_put_number(b, ws, row, AREAS_NET, sum.net_savings, b->pounds);
    size_t col = AREAS_FIRST_STRATEGY;
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        if (ns_area_sum(m, a->results, k, view, true, &sum) != NS_OK)
            xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        xl_put_number(b, ws, row, col++, sum.net_savings, b->pounds);
    }
}

void
xl_write_areas_sheet(struct book *b, const struct ns_run_info *info)
{
    if (!info || !info->areas || info->n_areas == 0)
        return;
    const char *sheet = "Areas";
    char persp[NOTE_SIZE], disc[NOTE_SIZE], text[NOTE_SIZE] = "";
    xl_describe_perspective(b->model, b->headline, persp);
    xl_describe_discounting(b->model, disc);
    xl_append(text,
              "Each area's clients over all its years (its own Area sheet's "
              "totals): what they cost and save together (£, %s to the "
              "start of the area's year 1; savings counted for %s).",
              disc, persp);
    lxw_worksheet *ws =
        xl_start_sheet(b, sheet, "Areas side by side", text, true);
    if (!ws)
        return;
    put_areas_headings(b, ws);
    for (size_t i = 0; i < info->n_areas; i++)
        put_areas_row(b, ws, FIRST_ROW + i, &info->areas[i]);
    xl_freeze_headings(b, ws, 1);
    lxw_chart *chart = xl_new_chart(b, LXW_CHART_COLUMN);
    if (!chart)
        return;
    xl_add_column_series(b, chart, sheet, FIRST_ROW,
                         FIRST_ROW + info->n_areas - 1, AREAS_NAME, AREAS_NET);
    if (b->error)
        return;
    chart_title_set_name(chart, "Net savings by area (£, discounted)");
    chart_axis_set_num_format(chart->y_axis, "£#,##0");
    chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
    xl_insert_chart(b, ws, FIRST_ROW + info->n_areas + 1, 0, chart);
}

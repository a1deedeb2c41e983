/* netsave: the workbook's Frontier sheet (the cost-effectiveness frontier
 * over all strategies, with the plane as a chart) and the PSA's
 * Acceptability frontier sheet. Numbers are those of frontier.csv and
 * ceaf.csv. */
#include <math.h>
#include <stdlib.h>

#include "model/analysis/frontier.h"
#include "model/analysis/psa.h"
#include "output/xlsx_book.h"

static void
put_optional(struct book *b, lxw_worksheet *ws, size_t row, size_t col,
             double v, lxw_format *fmt)
{
    if (isfinite(v))
        xl_put_number(b, ws, row, col, v, fmt);
}

/* One subgroup's rows, from row on; returns the row after them. */
static size_t
put_group(struct book *b, lxw_worksheet *ws, size_t row, const char *group,
          const struct ns_frontier_row *rows)
{
    const struct ns_model *m = b->model;
    for (size_t i = 0; i < m->n_strategies; i++, row++) {
        const struct ns_frontier_row *r = &rows[i];
        xl_put_text(b, ws, row, 0, group, NULL);
        xl_put_text(b, ws, row, 1, xl_label_of(&m->strategies[r->strategy]),
                    NULL);
        xl_put_number(b, ws, row, 2, r->cost, b->money);
        xl_put_number(b, ws, row, 3, r->effect, b->amount);
        put_optional(b, ws, row, 4, r->delta_cost, b->money);
        put_optional(b, ws, row, 5, r->delta_effect, b->amount);
        put_optional(b, ws, row, 6, r->icer, b->money);
        xl_put_text(b, ws, row, 7, ns_frontier_status_name(r->status), NULL);
        if (r->has_previous)
            xl_put_text(b, ws, row, 8,
                        xl_label_of(&m->strategies[r->previous]), NULL);
        if (m->wtp > 0.0) {
            xl_put_number(b, ws, row, 9,
                          ns_net_monetary_benefit(r->cost, r->effect, m->wtp),
                          b->money);
            xl_put_number(b, ws, row, 10,
                          ns_net_health_benefit(r->cost, r->effect, m->wtp),
                          b->amount);
        }
    }
    return row;
}

/* The plane of the pooled rows first .. first + K - 1: every strategy as
 * a point, the frontier (the first n_nd rows) as a line. */
static void
insert_plane(struct book *b, lxw_worksheet *ws, size_t first, size_t n_nd,
             size_t at_row)
{
    const struct ns_model *m = b->model;
    size_t last = first + m->n_strategies - 1;
    lxw_chart *chart = xl_new_chart(b, LXW_CHART_SCATTER);
    if (!chart)
        return;
    lxw_chart_series *all = chart_add_series(chart, NULL, NULL);
    lxw_chart_series *line = chart_add_series(chart, NULL, NULL);
    if (!all || !line) {
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    chart_series_set_categories(all, "Frontier", (lxw_row_t)first, 3,
                                (lxw_row_t)last, 3);
    chart_series_set_values(all, "Frontier", (lxw_row_t)first, 2,
                            (lxw_row_t)last, 2);
    chart_series_set_name(all, "Strategies");
    chart_series_set_categories(line, "Frontier", (lxw_row_t)first, 3,
                                (lxw_row_t)(first + n_nd - 1), 3);
    chart_series_set_values(line, "Frontier", (lxw_row_t)first, 2,
                            (lxw_row_t)(first + n_nd - 1), 2);
    chart_series_set_name(line, "Frontier");
    lxw_chart_line style = {.color = LXW_COLOR_BLACK, .width = 1.5};
    chart_series_set_line(line, &style);
    chart_title_set_name(chart, "Cost-effectiveness plane");
    chart_axis_set_name(chart->x_axis, m->outcomes[m->health_outcome].name);
    chart_axis_set_name(chart->y_axis, m->outcomes[m->cost_outcome].name);
    xl_insert_chart(b, ws, at_row, 0, chart);
}

void
xl_write_frontier_sheet(struct book *b)
{
    const struct ns_model *m = b->model;
    const struct ns_population *pop = b->pop;
    if (m->cost_outcome < 0 || m->health_outcome < 0 || b->error)
        return;
    char text[NOTE_SIZE] = "";
    xl_append(text,
              "Every strategy by cost, discounted, for the cohort as the model "
              "starts it: ND on the frontier, each compared with the frontier "
              "strategy before it; ED extendedly dominated (a mix of two "
              "others does better); D strongly dominated (another costs no "
              "more and does at least as well). The whole population first, then "
              "each subgroup.");
    if (m->wtp > 0.0)
        xl_append(text, " Net benefits at a willingness to pay of %g per unit "
                        "of %s.",
                  m->wtp, m->outcomes[m->health_outcome].name);
    lxw_worksheet *ws = xl_start_sheet(
        b, "Frontier", "Which strategies are efficient", text, true);
    struct ns_frontier_row *rows = calloc(m->n_strategies + 1, sizeof *rows);
    if (!ws || !rows) {
        free(rows);
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    static const char *const head[] = {
        "Subgroup", "Strategy", "Cost", "Health", "Incremental cost",
        "Incremental health", "ICER", "Status", "Compared with",
        "Net monetary benefit", "Net health benefit"};
    for (size_t c = 0; c < 11; c++)
        xl_put_heading(b, ws, c, head[c],
                       c == 1 || c == 8 ? xl_strategy_width(m) : FIGURE_WIDTH);
    size_t row = FIRST_ROW, n_nd = 0;
    /* The pooled population first, so that the chart reads its rows. */
    for (size_t i = 0; i <= pop->n_groups - ns_group_first(pop); i++) {
        size_t g = i == 0 ? pop->n_groups : ns_group_first(pop) + i - 1;
        if (ns_frontier_of_results(m, ns_group_results(pop, g), rows) !=
            NS_OK) {
            xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
            break;
        }
        for (size_t k = 0; i == 0 && k < m->n_strategies; k++)
            n_nd += rows[k].status == NS_FRONTIER_ND;
        row = put_group(b, ws, row, ns_group_name(pop, g), rows);
    }
    free(rows);
    xl_freeze_headings(b, ws, 2);
    insert_plane(b, ws, FIRST_ROW, n_nd, row + 2);
}

/* Adds the series of column col, rows first..last, against the
 * willingness to pay in column 0, named by its heading. */
static lxw_chart_series *
add_wtp_series(struct book *b, lxw_chart *chart, size_t first, size_t last,
               size_t col)
{
    lxw_chart_series *s = chart_add_series(chart, NULL, NULL);
    if (!s) {
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return NULL;
    }
    const char *sheet = "Acceptability frontier";
    chart_series_set_categories(s, sheet, (lxw_row_t)first, 0,
                                (lxw_row_t)last, 0);
    chart_series_set_values(s, sheet, (lxw_row_t)first, (lxw_col_t)col,
                            (lxw_row_t)last, (lxw_col_t)col);
    chart_series_set_name_range(s, sheet, HEADING_ROW, (lxw_col_t)col);
    return s;
}

/* The PSA's sheet over all strategies: at each willingness to pay, the
 * chance each strategy is optimal, and the acceptability frontier (the
 * strategy with the highest expected net monetary benefit and its
 * chance), as a chart. */
void
xl_write_ceaf_sheet(struct book *b, const struct ns_run_info *info)
{
    if (!info || !info->psa || b->error)
        return;
    const struct ns_model *m = b->model;
    const struct ns_psa *p = info->psa;
    size_t n = ns_psa_optimal_points(p), K = m->n_strategies;
    /* A column per strategy and three more must fit the sheet; ceaf.csv
     * has them all in any case. */
    if (n == 0 || K + 3 > LXW_COL_MAX)
        return;
    char text[NOTE_SIZE] = "";
    xl_append(text,
              "Over all strategies, in each draw the optimal one has the "
              "highest net monetary benefit (willingness to pay x %s - %s, "
              "discounted). The acceptability frontier follows the strategy "
              "with the highest expected net monetary benefit.",
              m->outcomes[m->health_outcome].name,
              m->outcomes[m->cost_outcome].name);
    lxw_worksheet *ws = xl_start_sheet(b, "Acceptability frontier",
                                       "Which strategy is optimal", text,
                                       true);
    if (!ws)
        return;
    xl_put_heading(b, ws, 0, "Willingness to pay", FIGURE_WIDTH);
    for (size_t k = 0; k < K; k++)
        xl_put_heading(b, ws, 1 + k, xl_label_of(&m->strategies[k]),
                       FIGURE_WIDTH);
    xl_put_heading(b, ws, K + 1, "Acceptability frontier", FIGURE_WIDTH);
    xl_put_heading(b, ws, K + 2, "Strategy on the frontier",
                   xl_strategy_width(m));
    for (size_t i = 0; i < n; i++) {
        size_t row = FIRST_ROW + i, best = ns_psa_frontier_strategy(p, i);
        double wtp;
        for (size_t k = 0; k < K; k++)
            put_optional(b, ws, row, 1 + k, ns_psa_optimal(p, k, i, &wtp),
                         b->occupancy);
        xl_put_number(b, ws, row, 0, wtp, b->money);
        put_optional(b, ws, row, K + 1, ns_psa_optimal(p, best, i, &wtp),
                     b->occupancy);
        xl_put_text(b, ws, row, K + 2, xl_label_of(&m->strategies[best]),
                    NULL);
    }
    xl_freeze_headings(b, ws, 1);
    lxw_chart *chart = xl_new_chart(b, LXW_CHART_SCATTER_STRAIGHT);
    if (!chart)
        return;
    size_t last = FIRST_ROW + n - 1;
    for (size_t k = 0; k < K && k + 2 < MAX_CHART_SERIES; k++)
        add_wtp_series(b, chart, FIRST_ROW, last, 1 + k);
    lxw_chart_series *f = add_wtp_series(b, chart, FIRST_ROW, last, K + 1);
    if (f) {
        lxw_chart_line style = {.color = LXW_COLOR_BLACK, .width = 3.0,
                                .dash_type = LXW_CHART_LINE_DASH_DASH};
        chart_series_set_line(f, &style);
    }
    chart_title_set_name(chart, "Chance each strategy is optimal");
    chart_axis_set_name(chart->x_axis, "Willingness to pay");
    chart_axis_set_name(chart->y_axis, "Chance optimal");
    xl_insert_chart(b, ws, last + 3, 0, chart);
}

/* netsave: the EVPPI sheet (model/analysis/evppi.h): what knowing a group
 * of inputs, or one input, perfectly would be worth, per strategy, with a
 * bar chart of the groups and the inputs worth most. */
#include <math.h>
#include <stdlib.h>

#include "model/analysis/evppi.h"
#include "model/ledger.h"
#include "output/xlsx_book.h"

/* Inputs in the chart after the groups: the chart reads the table's rows,
 * and past this many bars their names no longer fit. */
enum { CHART_PARAMETERS = 10 };

/* One row: the subject's name and kind, then its EVPPI per strategy with
 * a comparator (or why there is none). */
static void
put_row(struct book *b, lxw_worksheet *ws, size_t row, const char *name,
        const char *kind, const double *v, const struct ns_evppi_subject *s)
{
    const struct ns_model *m = b->model;
    xl_put_text(b, ws, row, 0, name, NULL);
    xl_put_text(b, ws, row, 1, kind, NULL);
    for (size_t k = 0, col = 2; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        if (!isnan(v[k]))
            xl_put_number(b, ws, row, col, v[k], b->money);
        else if (s)
            xl_put_text(b, ws, row, col, "too few draws", NULL);
        col++;
    }
}

static void
put_headings(struct book *b, lxw_worksheet *ws)
{
    const struct ns_model *m = b->model;
    xl_put_heading(b, ws, 0, "Group or input", TEXT_WIDTH);
    xl_put_heading(b, ws, 1, "Kind", MIN_WIDTH);
    for (size_t k = 0, col = 2; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        char h[NOTE_SIZE] = "";
        xl_append(h, "%s against %s (£ per client)",
                  xl_label_of(&m->strategies[k]),
                  xl_label_of(&m->strategies[m->comparator[k]]));
        xl_put_heading(b, ws, col++, h, FIGURE_WIDTH);
    }
}

/* The bars: the groups and the first inputs of the table. */
static void
add_chart(struct book *b, lxw_worksheet *ws, const char *sheet, size_t bars,
          size_t n_columns)
{
    if (bars == 0)
        return;
    lxw_chart *chart = xl_new_chart(b, LXW_CHART_BAR);
    if (!chart)
        return;
    for (size_t c = 0; c < n_columns && c < MAX_CHART_SERIES; c++)
        xl_add_column_series(b, chart, sheet, FIRST_ROW + 1,
                             FIRST_ROW + bars, 0, 2 + c);
    chart_title_set_name(chart, "EVPPI per client: groups and the inputs "
                                "worth most");
    chart_axis_set_name(chart->x_axis, "£ per client");
    xl_format_bar_axes(chart);
    xl_insert_chart(b, ws, FIRST_ROW, 3 + n_columns, chart);
}

void
xl_write_evppi_sheet(struct book *b, const struct ns_run_info *info)
{
    if (!info || !info->evppi)
        return;
    const struct ns_evppi *e = info->evppi;
    const struct ns_model *m = b->model;
    const char *sheet = "EVPPI";
    char text[NOTE_SIZE] = "";
    xl_append(text,
              "What knowing a group of inputs, or one input, for certain "
              "would be worth per client: the expected value of partial "
              "perfect information (Strong, Oakley and Brennan 2014), from "
              "%zu draws, on net savings, discounted, %s. The first row is "
              "the EVPI, the worth of knowing every input.",
              e->n_draws,
              info->psa_perspective == NS_ALL_PAYERS
                  ? "all payers"
                  : m->perspectives[info->psa_perspective].name);
    if (m->report_cohort > 0.0)
        xl_append(text, " For the cohort of %g clients, multiply by %g.",
                  m->report_cohort, m->report_cohort);
    lxw_worksheet *ws = xl_start_sheet(
        b, sheet, "What would it be worth to know more? EVPPI", text, true);
    if (!ws)
        return;
    put_headings(b, ws);
    size_t K = e->n_strategies, row = FIRST_ROW, n_columns = 0;
    for (size_t k = 0; k < K; k++)
        n_columns += m->comparator[k] >= 0;
    put_row(b, ws, row++, "Every input (EVPI)", "all", e->evpi_net, NULL);
    size_t G = m->n_param_groups, P;
    for (size_t g = 0; g < G; g++, row++)
        put_row(b, ws, row, e->subjects[g].name, "group", &e->net[g * K],
                &e->subjects[g]);
    size_t *ranked = ns_evppi_ranked(e, NS_EVPPI_NET_SAVINGS, &P);
    if (!ranked) {
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    for (size_t i = 0; i < P; i++, row++)
        put_row(b, ws, row, e->subjects[ranked[i]].name, "input",
                &e->net[ranked[i] * K], &e->subjects[ranked[i]]);
    free(ranked);
    xl_freeze_headings(b, ws, 0);
    add_chart(b, ws, sheet, G + (P < CHART_PARAMETERS ? P : CHART_PARAMETERS),
              n_columns);
}

/* netsave: the Benchmark sheet and a funnel sheet per measure (see
 * output.h): services against their norms, for commissioners. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/analysis/benchmark.h"
#include "output/xlsx_book.h"

/* Points along each funnel's limits: enough for a smooth curve. */
#define FUNNEL_POINTS 60
/* The charts come first, one under another, in the first columns (what a
 * reader sees); the numbers they plot are to their right. */
#define CHART_ROWS 18
#define DATA_COL 10

static const char *const table_headings[] = {
    "Service", "Name", "Period", "Modality", "Clients starting",
    "Retained to the threshold", "Norm", "Lower 95% limit",
    "Upper 95% limit", "Where it falls",
    "Net savings per client at its retention (£)",
    "Net savings per client at the norm (£)",
    "Gain for its clients at the norm (£)"};
#define N_TABLE (sizeof table_headings / sizeof *table_headings)

/* Retention rows, worst first (by z: furthest below the norm first). */
static int
by_z(const void *a, const void *b)
{
    const struct ns_bench_row *x = *(const struct ns_bench_row *const *)a;
    const struct ns_bench_row *y = *(const struct ns_bench_row *const *)b;
    return (x->z > y->z) - (x->z < y->z);
}

static void
put_row(struct book *b, lxw_worksheet *ws, size_t row,
        const struct ns_services *sv, const struct ns_bench_row *r)
{
    const struct ns_service *s = &sv->items[r->service];
    const char *text[] = {s->id, s->name, s->period,
                          xl_label_of(&b->model->strategies[s->strategy])};
    for (size_t c = 0; c < 4; c++)
        xl_put_text(b, ws, row, c, text[c], NULL);
    xl_put_number(b, ws, row, 4, r->denominator, NULL);
    const double share[] = {r->proportion, r->norm, r->limits.low95,
                            r->limits.high95};
    for (size_t c = 0; c < 4; c++)
        xl_put_number(b, ws, row, 5 + c, share[c], b->share);
    xl_put_text(b, ws, row, 9, ns_funnel_place_name(r->place), NULL);
    const double money[] = {r->net_at_service, r->net_at_norm, r->gain};
    for (size_t c = 0; c < 3; c++)
        if (isfinite(money[c]))
            xl_put_number(b, ws, row, 10 + c, money[c], b->pounds);
}

static void
write_table(struct book *b, const struct ns_benchmark *bm,
            const struct ns_services *sv)
{
    char note[NOTE_SIZE] = "", persp[NOTE_SIZE];
    xl_describe_perspective(b->model, bm->options.perspective, persp);
    xl_append(note, "Each service's share of clients retained to its "
                    "modality's threshold against the norm, worst first. "
                    "Below the lower 95%% limit is below par. Money: net "
                    "savings per client (£, discounted; savings counted "
                    "for %s) with the service's retention and with the "
                    "norm's, and the difference for all its clients.",
              persp);
    lxw_worksheet *ws = xl_start_sheet(b, "Benchmark",
                                       "Services against the norm: retention",
                                       note, true);
    const struct ns_bench_row **rows =
        calloc(bm->n_rows + 1, sizeof *rows);
    if (!ws || !rows) {
        free(rows);
        if (!rows)
            xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < bm->n_rows; i++)
        if (bm->rows[i].measure == NS_BENCH_RETENTION)
            rows[n++] = &bm->rows[i];
    qsort(rows, n, sizeof *rows, by_z);
    for (size_t c = 0; c < N_TABLE; c++)
        xl_put_heading(b, ws, c, table_headings[c],
                       c < 4 ? TEXT_WIDTH : FIGURE_WIDTH);
    for (size_t i = 0; i < n; i++)
        put_row(b, ws, FIRST_ROW + i, sv, rows[i]);
    char total[NOTE_SIZE] = "";
    xl_append(total, "Below par on retention: %zu services. Bringing them "
                     "to the norm would change net savings by £%.0f for "
                     "their clients.",
              bm->n_below, bm->total_gain);
    xl_put_text(b, ws, FIRST_ROW + n + 1, 0, total, NULL);
    const struct ns_bench_total_psa *t = &bm->total_psa;
    if (t->n_draws) {
        char psa[NOTE_SIZE] = "";
        xl_append(psa, "Over %zu PSA draws (seed %lu): mean £%.0f, 95%% "
                       "interval £%.0f to £%.0f; a gain in %.1f%% of draws.",
                  t->n_draws, t->seed, t->mean, t->low95, t->high95,
                  100.0 * t->p_positive);
        xl_put_text(b, ws, FIRST_ROW + n + 2, 0, psa, NULL);
    }
    xl_freeze_headings(b, ws, 1);
    free(rows);
}

/* One modality's funnel on a measure's sheet: its services' points in
 * columns col..col+1, the norm and limits along n in col+3..col+8, and
 * the chart. Returns the next free column. */
static size_t
write_funnel(struct book *b, lxw_worksheet *ws, const char *sheet,
             size_t col, const struct ns_benchmark *bm,
             const struct ns_bench_group *g, size_t chart_row)
{
    size_t n_pts = 0;
    double max_n = 1.0;
    const char *label = xl_label_of(&b->model->strategies[g->strategy]);
    xl_put_heading(b, ws, col, "Clients", NUMBER_WIDTH);
    xl_put_heading(b, ws, col + 1, label, FIGURE_WIDTH);
    for (size_t i = 0; i < bm->n_rows; i++) {
        const struct ns_bench_row *r = &bm->rows[i];
        const struct ns_service *s = &b->bench_services->items[r->service];
        if (r->measure != g->measure || s->strategy != g->strategy)
            continue;
        xl_put_number(b, ws, FIRST_ROW + n_pts, col, r->denominator, NULL);
        xl_put_number(b, ws, FIRST_ROW + n_pts, col + 1, r->proportion,
                      b->share);
        n_pts++;
        max_n = r->denominator > max_n ? r->denominator : max_n;
    }
    static const char *const lines[] = {"Clients", "Norm", "99.8% lower",
                                        "95% lower", "95% upper",
                                        "99.8% upper"};
    for (size_t c = 0; c < 6; c++)
        xl_put_heading(b, ws, col + 3 + c, lines[c], NUMBER_WIDTH);
    for (size_t p = 0; p < FUNNEL_POINTS; p++) {
        /* Evenly spaced in sqrt(n), where the limits bend most. */
        double f = (double)p / (FUNNEL_POINTS - 1);
        double n = 1.0 + (sqrt(max_n * 1.1) - 1.0) * f;
        n *= n;
        struct ns_funnel_limits l;
        if (ns_funnel_limits(g->norm, n, &g->od, &l) != NS_OK)
            continue;
        const double v[] = {n, g->norm, l.low998, l.low95, l.high95,
                            l.high998};
        for (size_t c = 0; c < 6; c++)
            xl_put_number(b, ws, FIRST_ROW + p, col + 3 + c, v[c],
                          c ? b->share : NULL);
    }
    lxw_chart *chart = xl_new_chart(b, LXW_CHART_SCATTER_STRAIGHT);
    if (chart) {
        lxw_chart_line none = {.none = LXW_TRUE};
        lxw_chart_series *pts = chart_add_series(chart, NULL, NULL);
        for (size_t c = 1; c < 6; c++) {
            lxw_chart_series *s = chart_add_series(chart, NULL, NULL);
            if (!s)
                continue;
            chart_series_set_categories(s, sheet, FIRST_ROW,
                                        (lxw_col_t)(col + 3),
                                        FIRST_ROW + FUNNEL_POINTS - 1,
                                        (lxw_col_t)(col + 3));
            chart_series_set_values(s, sheet, FIRST_ROW,
                                    (lxw_col_t)(col + 3 + c),
                                    FIRST_ROW + FUNNEL_POINTS - 1,
                                    (lxw_col_t)(col + 3 + c));
            chart_series_set_name_range(s, sheet, HEADING_ROW,
                                        (lxw_col_t)(col + 3 + c));
            chart_series_set_marker_type(s, LXW_CHART_MARKER_NONE);
        }
        if (pts && n_pts) {
            chart_series_set_categories(pts, sheet, FIRST_ROW,
                                        (lxw_col_t)col,
                                        (lxw_row_t)(FIRST_ROW + n_pts - 1),
                                        (lxw_col_t)col);
            chart_series_set_values(pts, sheet, FIRST_ROW,
                                    (lxw_col_t)(col + 1),
                                    (lxw_row_t)(FIRST_ROW + n_pts - 1),
                                    (lxw_col_t)(col + 1));
            chart_series_set_name(pts, "Services");
            chart_series_set_line(pts, &none);
            chart_series_set_marker_type(pts, LXW_CHART_MARKER_CIRCLE);
        }
        char title[NOTE_SIZE] = "";
        xl_append(title, "%s: %s", label, ns_bench_measure_name(g->measure));
        chart_title_set_name(chart, title);
        chart_axis_set_name(chart->x_axis, "Clients");
        chart_axis_set_name(chart->y_axis, "Proportion");
        chart_axis_set_min(chart->y_axis, 0.0);
        chart_axis_set_max(chart->y_axis, 1.0);
        xl_insert_chart(b, ws, chart_row, 0, chart);
    }
    return col + 10;
}

static void
write_measure(struct book *b, const struct ns_benchmark *bm,
              enum ns_bench_measure m)
{
    size_t n_groups = 0;
    for (size_t i = 0; i < bm->n_groups; i++)
        n_groups += bm->groups[i].measure == m;
    if (!n_groups)
        return;
    char sheet[32];
    snprintf(sheet, sizeof sheet, "Funnel %s", ns_bench_measure_name(m));
    char note[NOTE_SIZE] = "";
    xl_append(note, "Funnel plots: each service's proportion (%s) against "
                    "its number of clients, with the norm and its 95%% and "
                    "99.8%% control limits (exact binomial, widened for "
                    "overdispersion; see docs/benchmarking.md). The numbers "
                    "plotted are to the right of the charts.",
              ns_bench_measure_name(m));
    lxw_worksheet *ws = xl_start_sheet(b, sheet, sheet, note, true);
    if (!ws)
        return;
    size_t col = DATA_COL, chart_row = FIRST_ROW;
    for (size_t i = 0; i < bm->n_groups; i++) {
        if (bm->groups[i].measure != m)
            continue;
        col = write_funnel(b, ws, sheet, col, bm, &bm->groups[i], chart_row);
        chart_row += CHART_ROWS;
    }
}

void
xl_write_benchmark_sheets(struct book *b, const struct ns_run_info *info)
{
    if (!info || !info->benchmark || !info->services)
        return;
    b->bench_services = info->services;
    write_table(b, info->benchmark, info->services);
    for (int m = 0; m < NS_BENCH_N_MEASURES; m++)
        write_measure(b, info->benchmark, (enum ns_bench_measure)m);
}

/* netsave: the workbook's analysis sheets: Validation, Attrition, PSA,
 * Tornado, Scenarios, Anchors and Checks, each written when the command
 * that ran the analysis passes its results in ns_run_info. */
#include "output/xlsx_book.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/ledger.h"
#include "model/measures.h"
#include "model/analysis/dsa.h"
#include "model/analysis/psa.h"
#include "model/verify.h"

/* The columns after Source that say what a target is taken on: its role
 * (fit or holdout), subgroup (empty: pooled), the time it is relative to
 * and its period (empty: none). */
static void
put_target_scope(struct book *b, lxw_worksheet *ws, size_t row,
                 const struct ns_target_info *t)
{
    xl_put_text(b, ws, row, 11, t->role == NS_ROLE_HOLDOUT ? "holdout" : "fit",
                NULL);
    if (t->subgroup)
        xl_put_text(b, ws, row, 12, t->subgroup, NULL);
    if (t->has_relative_to)
        xl_put_number(b, ws, row, 13, t->relative_to, NULL);
    if (t->period_years > 0.0)
        xl_put_number(b, ws, row, 14, t->period_years, NULL);
}

/* The Validation sheet: each target observed in a study against the
 * model, pooled over subgroups unless it names one (model/measures.h). */
void
xl_write_validation_sheet(struct book *b)
{
    const struct ns_model *m = b->model;
    if (m->n_targets == 0)
        return;
    struct ns_target_result *res = calloc(m->n_targets, sizeof *res);
    struct ns_diags quiet = {0};
    if (!res) {
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    if (ns_targets_evaluate(b->pop, NULL, res, &quiet) == NS_ENOMEM)
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
    ns_diags_clear(&quiet);
    size_t n_binding = 0, n_met = 0;
    for (size_t i = 0; i < m->n_targets; i++) {
        if (!ns_target_is_binding(&m->targets[i]))
            continue;
        n_binding++;
        n_met += res[i].within;
    }
    char text[NOTE_SIZE] = "";
    xl_append(text,
              "What the model predicts against what the study observed. A "
              "target is met when the difference is within its tolerance (the "
              "95%% confidence half-width the study's sample implies). %zu of "
              "%zu targets graded A or B are met; C and U targets are shown "
              "but do not count. Calibration fits the model to the fit targets "
              "only; holdout targets (Role) test it out of sample.",
              n_met, n_binding);
    lxw_worksheet *ws =
        xl_start_sheet(b, "Validation", "Validation against observed outcomes",
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
        xl_put_heading(b, ws, c, heads[c], widths[c]);
    for (size_t i = 0; i < m->n_targets; i++) {
        const struct ns_target_info *t = &m->targets[i];
        size_t row = FIRST_ROW + i;
        char grade[2] = {t->grade, '\0'};
        xl_put_number(b, ws, row, 0, t->time_years, NULL);
        xl_put_text(b, ws, row, 1, t->arms, NULL);
        xl_put_text(b, ws, row, 2, m->measures[t->measure].name, NULL);
        xl_put_number(b, ws, row, 3, t->observed, b->occupancy);
        xl_put_number(b, ws, row, 4, res[i].predicted, b->occupancy);
        xl_put_number(b, ws, row, 5, res[i].difference, b->occupancy);
        xl_put_number(b, ws, row, 6, t->tolerance, b->occupancy);
        xl_put_text(b, ws, row, 7, res[i].within ? "yes" : "NO", NULL);
        xl_put_text(b, ws, row, 8, grade, NULL);
        xl_put_text(b, ws, row, 9, t->note, NULL);
        xl_put_text(b, ws, row, 10, t->source, NULL);
        put_target_scope(b, ws, row, t);
    }
    xl_freeze_headings(b, ws, 0);
    free(res);
}

/* The Attrition sheet: net savings by what the clients lost to follow-up
 * did, and the tipping points. */
void
xl_write_attrition_sheet(struct book *b, const struct ns_run_info *info)
{
    if (!info || !info->attrition)
        return;
    const struct ns_attrition_table *t = info->attrition;
    const struct ns_model *m = b->model;
    size_t K = m->n_strategies;
    char text[NOTE_SIZE] = "";
    xl_append(text,
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
    lxw_worksheet *ws = xl_start_sheet(b, "Attrition",
                                       "Clients lost to follow-up", text, true);
    if (!ws)
        return;
    double w = xl_strategy_width(m);
    xl_put_heading(b, ws, 0, "Strategy", w);
    xl_put_heading(b, ws, 1, "Compared with", w);
    xl_put_heading(b, ws, 2, "If the lost did as those followed up",
                   FIGURE_WIDTH);
    xl_put_heading(b, ws, 3, "If the lost were back at intake", FIGURE_WIDTH);
    xl_put_heading(b, ws, 4, "If the lost did worse by delta", FIGURE_WIDTH);
    xl_put_heading(b, ws, 5, "Tipping point (delta)", FIGURE_WIDTH);
    size_t row = FIRST_ROW;
    for (size_t k = 0; k < K; k++) {
        if (m->comparator[k] < 0)
            continue;
        double cohort = ns_results_cohort(b->results, k);
        xl_put_strategy(b, ws, row, k);
        for (size_t a = 0; a < 3; a++)
            xl_put_number(b, ws, row, 2 + a,
                          xl_per_client(t->net[a * K + k], cohort), b->pounds);
        if (t->tipping && !isnan(t->tipping[k]))
            xl_put_number(b, ws, row, 5, t->tipping[k], b->occupancy);
        else
            xl_put_text(b, ws, row, 5,
                        t->tipping ? "none up to 1" : "not sought", NULL);
        row++;
    }
    xl_freeze_headings(b, ws, 0);
}

/* The PSA sheet: per strategy the mean and interval of net savings and
 * the chance they are positive, a histogram, the cost-effectiveness plane
 * (up to 1,000 draws) and the acceptability curve. */
enum { PSA_PLANE_DRAWS = 1000 };

void
xl_write_psa_sheet(struct book *b, const struct ns_run_info *info)
{
    if (!info || !info->psa)
        return;
    const struct ns_psa *p = info->psa;
    const struct ns_model *m = b->model;
    size_t K = p->n_strategies, n = p->n_draws;
    const char *sheet = "PSA";
    char text[NOTE_SIZE] = "";
    xl_append(
        text,
        "%zu draws of every uncertain input. Net savings per client, "
        "discounted, %s. The chance net savings are positive is the share "
        "of draws in which they are (WSIPP's 'chance benefits exceed "
        "costs').",
        n,
        info->psa_perspective == NS_ALL_PAYERS
            ? "all payers"
            : m->perspectives[info->psa_perspective].name);
    lxw_worksheet *ws = xl_start_sheet(
        b, sheet, "How sure are we? Probabilistic analysis", text, true);
    if (!ws)
        return;
    double w = xl_strategy_width(m);
    xl_put_heading(b, ws, 0, "Strategy", w);
    xl_put_heading(b, ws, 1, "Compared with", w);
    xl_put_heading(b, ws, 2, "Mean net savings (£)", FIGURE_WIDTH);
    xl_put_heading(b, ws, 3, "2.5% (£)", FIGURE_WIDTH);
    xl_put_heading(b, ws, 4, "97.5% (£)", FIGURE_WIDTH);
    xl_put_heading(b, ws, 5, "Chance net savings are positive", FIGURE_WIDTH);
    size_t row = FIRST_ROW, n_rows = 0;
    size_t *shown = calloc(K + 1, sizeof *shown);
    if (!shown) {
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    for (size_t k = 0; k < K; k++) {
        if (m->comparator[k] < 0)
            continue;
        struct ns_psa_stat st;
        if (ns_psa_stat(p, k, NS_PSA_NET, &st) != NS_OK)
            xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        double cohort = ns_results_cohort(b->results, k);
        xl_put_strategy(b, ws, row, k);
        xl_put_number(b, ws, row, 2, xl_per_client(st.mean, cohort), b->pounds);
        xl_put_number(b, ws, row, 3, xl_per_client(st.low, cohort), b->pounds);
        xl_put_number(b, ws, row, 4, xl_per_client(st.high, cohort), b->pounds);
        xl_put_number(b, ws, row, 5, st.prob_positive, b->occupancy);
        shown[n_rows++] = k;
        row++;
    }
    xl_freeze_headings(b, ws, 0);
    /* Data for the charts, to the right of the table. */
    size_t col0 = 8;
    xl_put_text(b, ws, HEADING_ROW, col0, "Net savings (£, bin centre)",
                b->heading);
    for (size_t i = 0; i < n_rows; i++)
        xl_put_text(b, ws, HEADING_ROW, col0 + 1 + i,
                    m->strategies[shown[i]].label, b->heading);
    for (size_t i = 0; i < n_rows; i++) {
        size_t counts[NS_PSA_BINS];
        double lo, width;
        ns_psa_histogram(p, shown[i], &lo, &width, counts);
        for (size_t bin = 0; i == 0 && bin < NS_PSA_BINS; bin++)
            xl_put_number(b, ws, FIRST_ROW + bin, col0,
                          lo + ((double)bin + 0.5) * width, b->pounds);
        for (size_t bin = 0; bin < NS_PSA_BINS; bin++)
            xl_put_number(b, ws, FIRST_ROW + bin, col0 + 1 + i,
                          (double)counts[bin], NULL);
    }
    lxw_chart *hist = xl_new_chart(b, LXW_CHART_COLUMN);
    if (hist) {
        for (size_t i = 0; i < n_rows; i++)
            xl_add_column_series(b, hist, sheet, FIRST_ROW,
                                 FIRST_ROW + NS_PSA_BINS - 1, col0,
                                 col0 + 1 + i);
        chart_title_set_name(hist, "Net savings per client across draws");
        chart_axis_set_name(hist->y_axis, "Draws");
        xl_insert_chart(b, ws, row + 2, 0, hist);
    }
    bool plane = m->health_outcome >= 0 && m->cost_outcome >= 0;
    if (plane && n_rows > 0) {
        size_t c1 = col0 + 2 + n_rows;
        lxw_chart *sc = xl_new_chart(b, LXW_CHART_SCATTER);
        lxw_chart *ce =
            ns_psa_ceac_points(m) > 0 ? xl_new_chart(b, LXW_CHART_LINE) : NULL;
        for (size_t i = 0; sc && i < n_rows; i++) {
            size_t k = shown[i], cx = c1 + 2 * i, nd;
            const double *dh = ns_psa_kept(p, k, NS_PSA_DELTA_HEALTH, &nd);
            const double *dc = ns_psa_kept(p, k, NS_PSA_DELTA_COST, &nd);
            nd = nd < PSA_PLANE_DRAWS ? nd : PSA_PLANE_DRAWS;
            xl_put_text(b, ws, HEADING_ROW, cx, "Incremental health",
                        b->heading);
            xl_put_text(b, ws, HEADING_ROW, cx + 1, m->strategies[k].label,
                        b->heading);
            for (size_t d = 0; d < nd; d++) {
                xl_put_number(b, ws, FIRST_ROW + d, cx, dh[d], b->occupancy);
                xl_put_number(b, ws, FIRST_ROW + d, cx + 1, dc[d], b->pounds);
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
        xl_put_text(b, ws, HEADING_ROW, c2, "Willingness to pay (£ per unit)",
                    b->heading);
        size_t n_wtp = ns_psa_ceac_points(m);
        for (size_t i = 0; i < n_rows && n_wtp > 0; i++) {
            size_t k = shown[i];
            xl_put_text(b, ws, HEADING_ROW, c2 + 1 + i, m->strategies[k].label,
                        b->heading);
            for (size_t step = 0; step < n_wtp; step++) {
                double wtp, share = ns_psa_ceac(m, p, k, step, &wtp);
                if (i == 0)
                    xl_put_number(b, ws, FIRST_ROW + step, c2, wtp, b->pounds);
                xl_put_number(b, ws, FIRST_ROW + step, c2 + 1 + i, share,
                              b->occupancy);
            }
            if (ce)
                xl_add_column_series(b, ce, sheet, FIRST_ROW,
                                     FIRST_ROW + n_wtp - 1, c2, c2 + 1 + i);
        }
        if (sc) {
            chart_title_set_name(sc, "Cost-effectiveness plane");
            chart_axis_set_name(sc->x_axis, "Incremental health");
            chart_axis_set_name(sc->y_axis, "Incremental cost (£)");
            xl_insert_chart(b, ws, row + 18, 0, sc);
        }
        if (ce) {
            chart_title_set_name(ce, "Cost-effectiveness acceptability");
            chart_axis_set_name(ce->x_axis, "Willingness to pay (£)");
            chart_axis_set_name(ce->y_axis, "Chance cost-effective");
            xl_insert_chart(b, ws, row + 34, 0, ce);
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
    xl_put_text(b, ws, row++, 0, "By payer: the five widest inputs", b->bold);
    const char *head[] = {"Strategy", "Input", "Payer",
                          "Savings at low (£)", "Savings at high (£)",
                          "Swing (£)"};
    for (size_t c = 0; c < 6; c++)
        xl_put_text(b, ws, row, (lxw_col_t)c, head[c], b->bold);
    row++;
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        double cohort = ns_results_cohort(b->results, k);
        for (size_t i = 0; i < shown; i++) {
            const struct ns_tornado_bar *bar = &info->tornado[k * U + i];
            const double *lo = &by_payer[((k * U + bar->row) * 2) * P];
            for (size_t p = 0; p < P; p++, row++) {
                xl_put_text(b, ws, row, 0, m->strategies[k].label, NULL);
                xl_put_text(b, ws, row, 1,
                            m->params[m->uncertain[bar->uncertain].param].name,
                            NULL);
                xl_put_text(b, ws, row, 2, m->payers[p], NULL);
                xl_put_number(b, ws, row, 3, xl_per_client(lo[p], cohort),
                              b->pounds);
                xl_put_number(b, ws, row, 4, xl_per_client(lo[P + p], cohort),
                              b->pounds);
                xl_put_number(b, ws, row, 5,
                              xl_per_client(fabs(lo[P + p] - lo[p]), cohort),
                              b->pounds);
            }
        }
    }
}

/* The Tornado sheet: which inputs drive net savings and savings per £1,
 * per strategy, with bar charts of the swing from the low to the high end
 * of each range, then the same swings payer by payer. */
void
xl_write_tornado_sheet(struct book *b, const struct ns_run_info *info)
{
    if (!info || !info->tornado)
        return;
    const struct ns_model *m = b->model;
    size_t U = info->n_tornado_bars, shown = U < 15 ? U : 15;
    char text[NOTE_SIZE] = "";
    xl_append(text,
              "Net savings per client (£, discounted) and savings per £1 of "
              "treatment with each input at the low and at the high end of its "
              "range, everything else as written; the inputs that move the "
              "answer most come first. Below: the same swings for each payer.");
    const char *sheet = "Tornado";
    lxw_worksheet *ws =
        xl_start_sheet(b, sheet, "Which inputs drive the answer", text, true);
    if (!ws)
        return;
    xl_put_heading(b, ws, 0, "Strategy", xl_strategy_width(m));
    xl_put_heading(b, ws, 1, "Input", TEXT_WIDTH / 2);
    xl_put_heading(b, ws, 2, "Low value", FIGURE_WIDTH);
    xl_put_heading(b, ws, 3, "High value", FIGURE_WIDTH);
    xl_put_heading(b, ws, 4, "Net savings at low (£)", FIGURE_WIDTH);
    xl_put_heading(b, ws, 5, "Net savings at high (£)", FIGURE_WIDTH);
    xl_put_heading(b, ws, 6, "Swing (£)", FIGURE_WIDTH);
    xl_put_heading(b, ws, 7, "Savings per £1 at low", FIGURE_WIDTH);
    xl_put_heading(b, ws, 8, "Savings per £1 at high", FIGURE_WIDTH);
    size_t row = FIRST_ROW, chart_row = 0;
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        double cohort = ns_results_cohort(b->results, k);
        size_t first = row;
        for (size_t i = 0; i < shown; i++, row++) {
            const struct ns_tornado_bar *bar = &info->tornado[k * U + i];
            xl_put_text(b, ws, row, 0, m->strategies[k].label, NULL);
            xl_put_text(b, ws, row, 1,
                        m->params[m->uncertain[bar->uncertain].param].name,
                        NULL);
            xl_put_number(b, ws, row, 2, bar->low, NULL);
            xl_put_number(b, ws, row, 3, bar->high, NULL);
            xl_put_number(b, ws, row, 4, xl_per_client(bar->net_low, cohort),
                          b->pounds);
            xl_put_number(b, ws, row, 5, xl_per_client(bar->net_high, cohort),
                          b->pounds);
            xl_put_number(b, ws, row, 6, xl_per_client(bar->width, cohort),
                          b->pounds);
            xl_put_number(b, ws, row, 7, bar->bcr_low, b->ratio);
            xl_put_number(b, ws, row, 8, bar->bcr_high, b->ratio);
        }
        if (shown == 0)
            continue;
        for (int c = 0; c < 2; c++) {
            lxw_chart *chart = xl_new_chart(b, LXW_CHART_BAR);
            if (!chart)
                continue;
            xl_add_column_series(b, chart, sheet, first, row - 1, 1, c ? 7 : 4);
            xl_add_column_series(b, chart, sheet, first, row - 1, 1, c ? 8 : 5);
            char title[160];
            snprintf(title, sizeof title, c ? "%s: savings per £1"
                                            : "%s: net savings per client (£)",
                     m->strategies[k].label);
            chart_title_set_name(chart, title);
            xl_format_bar_axes(chart);
            xl_insert_chart(b, ws, chart_row + FIRST_ROW, c ? 18 : 10, chart);
        }
        chart_row += 20;
    }
    write_tornado_payers(b, ws, info, row + 1 > chart_row + FIRST_ROW
                                         ? row + 1
                                         : chart_row + FIRST_ROW + 1);
    xl_freeze_headings(b, ws, 0);
}

/* The Scenarios sheet: each scenario's net savings per client against
 * the base, with a chart. */
void
xl_write_scenarios_sheet(struct book *b, const struct ns_run_info *info)
{
    if (!info || !info->scenarios || info->n_scenarios < 2)
        return;
    const struct ns_scenario_result *sc = info->scenarios;
    const struct ns_model *m = b->model;
    long view = m->n_perspectives ? 0 : NS_ALL_PAYERS;
    const char *sheet = "Scenarios";
    char text[NOTE_SIZE] = "";
    xl_append(
        text,
        "Net savings per client (£, discounted, %s) in each scenario; the "
        "changes each scenario makes are listed below the table.",
        view == NS_ALL_PAYERS ? "all payers" : m->perspectives[0].name);
    lxw_worksheet *ws =
        xl_start_sheet(b, sheet, "What if? Scenarios against the base", text,
                       true);
    if (!ws)
        return;
    xl_put_heading(b, ws, 0, "Strategy", xl_strategy_width(m));
    for (size_t i = 0; i < info->n_scenarios; i++)
        xl_put_heading(b, ws, 1 + i, sc[i].name, FIGURE_WIDTH * 1.5);
    size_t row = FIRST_ROW;
    for (size_t k = 0; k < m->n_strategies; k++, row += 0) {
        if (m->comparator[k] < 0)
            continue;
        xl_put_text(b, ws, row, 0, m->strategies[k].label, NULL);
        for (size_t i = 0; i < info->n_scenarios; i++) {
            struct ns_ledger l;
            ns_ledger_compute(sc[i].model, sc[i].results, k, view, true, &l,
                              NULL);
            double cohort = ns_results_cohort(sc[i].results, k);
            xl_put_number(b, ws, row, 1 + i,
                          xl_per_client(l.net_savings, cohort), b->pounds);
        }
        row++;
    }
    size_t last = row - 1;
    xl_freeze_headings(b, ws, 0);
    lxw_chart *chart = xl_new_chart(b, LXW_CHART_COLUMN);
    if (chart && last >= FIRST_ROW) {
        for (size_t i = 0; i < info->n_scenarios; i++)
            xl_add_column_series(b, chart, sheet, FIRST_ROW, last, 0, 1 + i);
        chart_title_set_name(chart, "Net savings per client by scenario (£)");
        xl_insert_chart(b, ws, row + 1, 0, chart);
    }
    row += 18;
    xl_put_text(b, ws, row++, 0, "What each scenario changes", b->bold);
    for (size_t i = 1; i < info->n_scenarios; i++)
        for (size_t c = 0; c < sc[i].n_changes; c++) {
            xl_put_text(b, ws, row, 0, sc[i].name, NULL);
            xl_put_text(b, ws, row++, 1, sc[i].changes[c], NULL);
        }
}

/* Writes a money figure of an anchor, or nothing when it is not a number
 * (the netsave column then says why). */
static void
put_anchor_figure(struct book *b, lxw_worksheet *ws, size_t row, size_t col,
                  double v, lxw_format *fmt)
{
    if (isfinite(v))
        xl_put_number(b, ws, row, col, v, fmt);
}

/* The same text on screen (netsave anchors) and in the workbook. */
void
ns_anchor_ratio_text(const struct ns_anchor_figure *f, char *out, size_t n)
{
    if (f->status == NS_ANCHOR_COMPUTED)
        snprintf(out, n, "%.2f:1", f->ratio);
    else
        snprintf(out, n, "not computable: %s",
                 ns_anchor_status_text(f->status));
}

/* One row of the Anchors table: a study beside the model. */
static void
write_anchor_row(struct book *b, lxw_worksheet *ws, size_t row,
                 const struct ns_anchor_report *a)
{
    char text[NOTE_SIZE];
    bool computed = a->pooled.status == NS_ANCHOR_COMPUTED;
    xl_put_text(b, ws, row, 0, a->anchor, NULL);
    xl_put_text(b, ws, row, 1, a->study, b->wrap);
    xl_put_text(b, ws, row, 2, a->design, b->wrap);
    ns_anchor_ratio_text(&a->pooled, text, sizeof text);
    xl_put_text(b, ws, row, 3, text, b->wrap);
    if (a->published_text && *a->published_text)
        xl_put_text(b, ws, row, 4, a->published_text, NULL);
    else
        xl_put_number(b, ws, row, 4, a->published, b->money);
    /* Blank, not a number, where there is no ratio: the chart leaves a
     * gap rather than drawing a bar at zero. */
    if (computed)
        xl_put_number(b, ws, row, 5, a->pooled.ratio, b->money);
    xl_put_number(b, ws, row, 6, a->published, b->money);
    if (computed)
        xl_put_number(b, ws, row, 7, a->pooled.ratio - a->published, b->money);
    xl_put_text(b, ws, row, 8, a->arms, NULL);
    xl_put_text(b, ws, row, 9, a->benefits, NULL);
    xl_put_number(b, ws, row, 10, a->cost_share, b->occupancy);
    put_anchor_figure(b, ws, row, 11, a->pooled.savings, b->pounds);
    put_anchor_figure(b, ws, row, 12, a->pooled.treatment_cost, b->pounds);
    xl_put_text(b, ws, row, 13, a->scenario ? a->scenario : "none (the model)",
                NULL);
    xl_put_text(b, ws, row, 14, a->source, b->wrap);
    xl_put_text(b, ws, row, 15, a->explanation, b->wrap);
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
    xl_put_text(b, ws, row++, 0, "Each study's clients, strategy by strategy",
                b->bold);
    for (size_t c = 0; c < sizeof heads / sizeof heads[0]; c++)
        xl_put_text(b, ws, row, c, heads[c], b->heading);
    row++;
    for (size_t i = 0; i < info->n_anchors; i++) {
        const struct ns_anchor_report *a = &info->anchors[i];
        const struct ns_model *m = a->model;
        for (size_t j = 0; j < a->spec->n_arms; j++, row++) {
            size_t k = a->spec->strategy[j];
            xl_put_text(b, ws, row, 0, a->anchor, NULL);
            xl_put_text(b, ws, row, 1, xl_label_of(&m->strategies[k]), NULL);
            xl_put_text(b, ws, row, 2,
                        xl_label_of(&m->strategies[m->comparator[k]]), NULL);
            xl_put_number(b, ws, row, 3, a->spec->weight[j], b->share);
            put_anchor_figure(b, ws, row, 4, a->arm[j].savings, b->pounds);
            put_anchor_figure(b, ws, row, 5, a->arm[j].treatment_cost,
                              b->pounds);
            ns_anchor_ratio_text(&a->arm[j], text, sizeof text);
            xl_put_text(b, ws, row, 6, text, NULL);
        }
    }
}

/* The Anchors sheet: each published study beside the model's figure for
 * the study's design, with a clustered bar chart of the two. */
void
xl_write_anchors_sheet(struct book *b, const struct ns_run_info *info)
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
    lxw_worksheet *ws = xl_start_sheet(
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
        xl_put_heading(b, ws, c, heads[c], widths[c]);
    for (size_t i = 0; i < info->n_anchors; i++)
        write_anchor_row(b, ws, FIRST_ROW + i, &info->anchors[i]);
    size_t last = FIRST_ROW + info->n_anchors - 1;
    xl_freeze_headings(b, ws, 1);
    lxw_chart *chart = xl_new_chart(b, LXW_CHART_COLUMN);
    if (chart) {
        xl_add_column_series(b, chart, sheet, FIRST_ROW, last, 0, 5);
        xl_add_column_series(b, chart, sheet, FIRST_ROW, last, 0, 6);
        chart_title_set_name(chart, "Savings per £1 of treatment: netsave "
                                    "and the published studies");
        xl_insert_chart(b, ws, last + 2, 0, chart);
    }
    write_anchor_arms_table(b, ws, last + 2 + 18, info);
}

/* The Checks sheet: the verification checks the run passed (or not). */
void
xl_write_checks_sheet(struct book *b, const struct ns_run_info *info)
{
    if (!info || !info->checks || info->checks->n == 0)
        return;
    const struct ns_checks *checks = info->checks;
    size_t n_passed = 0;
    for (size_t i = 0; i < checks->n; i++)
        n_passed += checks->items[i].passed;
    char text[NOTE_SIZE] = "";
    xl_append(
        text,
        "Black-box checks of the model run with these results (TECH-VER): "
        "%zu of %zu passed.",
        n_passed, checks->n);
    lxw_worksheet *ws =
        xl_start_sheet(b, "Checks", "Verification checks", text, true);
    if (!ws)
        return;
    xl_put_heading(b, ws, 0, "Subgroup", 16);
    xl_put_heading(b, ws, 1, "Check", 40);
    xl_put_heading(b, ws, 2, "Passed", 8);
    xl_put_heading(b, ws, 3, "What was checked, or the first failure", 120);
    for (size_t i = 0; i < checks->n; i++) {
        const struct ns_check *k = &checks->items[i];
        size_t row = FIRST_ROW + i;
        xl_put_text(b, ws, row, 0, k->group[0] ? k->group : "all", NULL);
        xl_put_text(b, ws, row, 1, k->name, NULL);
        xl_put_text(b, ws, row, 2, k->passed ? "yes" : "NO", NULL);
        xl_put_text(b, ws, row, 3, k->detail, NULL);
    }
    xl_freeze_headings(b, ws, 0);
}

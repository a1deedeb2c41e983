/* netsave: the workbook's result sheets: Summary, Values and a Trace per
 * strategy for one model; for a population the headline Summary, Who
 * pays, who saves, Year by year and Outcomes. */
#include "output/xlsx_book.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/ledger.h"

/* Number format for totals of outcome o: money for the cost outcome,
 * three decimals for the rest. */
static lxw_format *
outcome_format(const struct book *b, size_t o)
{
    long cost = b->model->cost_outcome;
    return cost >= 0 && (size_t)cost == o ? b->money : b->amount;
}

/* The Summary sheet: one row per strategy with its comparator, the
 * discounted total of every outcome and, when the model names cost and
 * health outcomes, the discounted incremental results. A column chart
 * shows the discounted cost outcome per strategy. */
void
xl_write_summary(struct book *b)
{
    const struct ns_model *m = b->model;
    const struct ns_results *r = b->results;
    const char *sheet = "Summary";
    lxw_worksheet *ws = xl_add_sheet(b, sheet);
    if (!ws)
        return;
    bool icer = m->cost_outcome >= 0 && m->health_outcome >= 0;
    const char *cost_name =
        m->cost_outcome >= 0 ? m->outcomes[m->cost_outcome].name : NULL;
    const char *health_name =
        m->health_outcome >= 0 ? m->outcomes[m->health_outcome].name : NULL;

    double w_name = xl_text_width(MIN_WIDTH, "Strategy");
    double w_label = xl_text_width(MIN_WIDTH, "Label");
    double w_cmp = xl_text_width(MIN_WIDTH, "Comparator");
    xl_put_text(b, ws, 0, 0, "Strategy", b->bold);
    xl_put_text(b, ws, 0, 1, "Label", b->bold);
    xl_put_text(b, ws, 0, 2, "Comparator", b->bold);
    size_t col = 3;
    char header[256];
    for (size_t o = 0; o < m->n_outcomes; o++, col++) {
        snprintf(header, sizeof header, "%s (discounted)", m->outcomes[o].name);
        xl_put_text(b, ws, 0, col, header, b->bold);
        xl_set_width(b, ws, col, xl_text_width(NUMBER_WIDTH, header));
    }
    size_t icer_col = col;
    if (icer) {
        snprintf(header, sizeof header, "Incremental %s (discounted)",
                 cost_name);
        xl_put_text(b, ws, 0, icer_col, header, b->bold);
        xl_set_width(b, ws, icer_col, xl_text_width(NUMBER_WIDTH, header));
        snprintf(header, sizeof header, "Incremental %s (discounted)",
                 health_name);
        xl_put_text(b, ws, 0, icer_col + 1, header, b->bold);
        xl_set_width(b, ws, icer_col + 1, xl_text_width(NUMBER_WIDTH, header));
        snprintf(header, sizeof header, "ICER (%s per %s)", cost_name,
                 health_name);
        xl_put_text(b, ws, 0, icer_col + 2, header, b->bold);
        xl_set_width(b, ws, icer_col + 2, xl_text_width(NUMBER_WIDTH, header));
    }

    for (size_t k = 0; k < r->n_strategies; k++) {
        size_t row = k + 1;
        xl_put_text(b, ws, row, 0, m->strategies[k].name, NULL);
        xl_put_text(b, ws, row, 1, xl_label_of(&m->strategies[k]), NULL);
        w_name = xl_text_width(w_name, m->strategies[k].name);
        w_label = xl_text_width(w_label, xl_label_of(&m->strategies[k]));
        if (m->comparator[k] >= 0) {
            const char *cmp = m->strategies[m->comparator[k]].name;
            xl_put_text(b, ws, row, 2, cmp, NULL);
            w_cmp = xl_text_width(w_cmp, cmp);
        }
        for (size_t o = 0; o < m->n_outcomes; o++)
            xl_put_number(b, ws, row, 3 + o, ns_results_outcome(r, k, o, true),
                          outcome_format(b, o));
        if (!icer)
            continue;
        struct ns_incremental inc;
        ns_results_incremental(m, r, k, true, &inc);
        if (!inc.has_comparator)
            continue;
        xl_put_number(b, ws, row, icer_col, inc.delta_cost, b->money);
        xl_put_number(b, ws, row, icer_col + 1, inc.delta_health,
                      outcome_format(b, (size_t)m->health_outcome));
        if (inc.dominance == NS_DOM_NONE)
            xl_put_number(b, ws, row, icer_col + 2, inc.icer, b->money);
        else
            xl_put_text(b, ws, row, icer_col + 2,
                        ns_dominance_name(inc.dominance), NULL);
    }
    xl_set_width(b, ws, 0, w_name);
    xl_set_width(b, ws, 1, w_label);
    xl_set_width(b, ws, 2, w_cmp);
    if (b->error)
        return;
    worksheet_freeze_panes(ws, 1, 0);

    if (m->cost_outcome < 0 || r->n_strategies == 0)
        return;
    lxw_chart *chart = workbook_add_chart(b->wb, LXW_CHART_COLUMN);
    if (!chart) {
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    lxw_chart_series *series = chart_add_series(chart, NULL, NULL);
    if (!series) {
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
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
    xl_insert_chart(b, ws, r->n_strategies + 1 + CHART_GAP_ROWS, 0, chart);
}

/* The Values sheet: one row per strategy and stream with its totals and
 * their differences from the comparator. */
void
xl_write_values(struct book *b)
{
    const struct ns_model *m = b->model;
    const struct ns_results *r = b->results;
    lxw_worksheet *ws = xl_add_sheet(b, "Values");
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
        xl_put_text(b, ws, 0, i, headers[i], b->bold);
        widths[i] = xl_text_width(i < 4 || i == 6 ? MIN_WIDTH : NUMBER_WIDTH,
                                  headers[i]);
    }

    size_t row = 1;
    for (size_t k = 0; k < r->n_strategies; k++) {
        long cmp = m->comparator[k];
        for (size_t j = 0; j < r->n_streams; j++, row++) {
            const struct ns_stream_info *st = &m->streams[j];
            const char *label = st->label && *st->label ? st->label : st->name;
            lxw_format *fmt = outcome_format(b, st->outcome);
            xl_put_text(b, ws, row, 0, m->strategies[k].name, NULL);
            xl_put_text(b, ws, row, 1, st->name, NULL);
            xl_put_text(b, ws, row, 2, label, NULL);
            xl_put_text(b, ws, row, 3, m->outcomes[st->outcome].name, NULL);
            widths[0] = xl_text_width(widths[0], m->strategies[k].name);
            widths[1] = xl_text_width(widths[1], st->name);
            widths[2] = xl_text_width(widths[2], label);
            widths[3] = xl_text_width(widths[3], m->outcomes[st->outcome].name);
            xl_put_number(b, ws, row, 4, ns_results_total(r, k, j, false), fmt);
            xl_put_number(b, ws, row, 5, ns_results_total(r, k, j, true), fmt);
            if (cmp < 0)
                continue;
            size_t kc = (size_t)cmp;
            xl_put_text(b, ws, row, 6, m->strategies[kc].name, NULL);
            widths[6] = xl_text_width(widths[6], m->strategies[kc].name);
            xl_put_number(b, ws, row, 7,
                          ns_results_total(r, k, j, false) -
                              ns_results_total(r, kc, j, false),
                          fmt);
            xl_put_number(b, ws, row, 8,
                          ns_results_total(r, k, j, true) -
                              ns_results_total(r, kc, j, true),
                          fmt);
        }
    }
    for (size_t i = 0; i < n_headers; i++)
        xl_set_width(b, ws, i, widths[i]);
    if (!b->error)
        worksheet_freeze_panes(ws, 1, 0);
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
    xl_copy_chars(clean + 6, sizeof clean - 6, strategy, LXW_SHEETNAME_MAX - 6);
    for (char *p = clean; *p; p++)
        if (strchr("[]:*?/\\'", *p))
            *p = '_';

    lxw_error e = LXW_ERROR_SHEETNAME_ALREADY_USED;
    for (unsigned n = 1; n <= 10000; n++) {
        char suffix[16] = "";
        if (n > 1)
            snprintf(suffix, sizeof suffix, " (%u)", n);
        size_t room = LXW_SHEETNAME_MAX - strlen(suffix);
        xl_copy_chars(out, out_size, clean, room);
        strncat(out, suffix, out_size - strlen(out) - 1);
        e = workbook_validate_sheet_name(wb, out);
        if (e != LXW_ERROR_SHEETNAME_ALREADY_USED)
            return e;
    }
    return e;
}

/* A "Trace <strategy>" sheet: a row per time point, a column per state,
 * and a line chart of the occupancies. */
void
xl_write_trace(struct book *b, size_t k)
{
    const struct ns_model *m = b->model;
    const struct ns_results *r = b->results;
    char sheet[LXW_MAX_SHEETNAME_LENGTH];
    if (b->error)
        return;
    lxw_error e =
        trace_sheet_name(b->wb, m->strategies[k].name, sheet, sizeof sheet);
    if (e) {
        xl_note(b, e);
        return;
    }
    lxw_worksheet *ws = xl_add_sheet(b, sheet);
    if (!ws)
        return;

    xl_put_text(b, ws, 0, 0, "Time point", b->bold);
    xl_set_width(b, ws, 0, xl_text_width(MIN_WIDTH, "Time point"));
    for (size_t s = 0; s < r->n_states; s++) {
        const char *label = xl_label_of(&m->states[s]);
        xl_put_text(b, ws, 0, s + 1, label, b->bold);
        xl_set_width(b, ws, s + 1, xl_text_width(MIN_WIDTH, label));
    }
    for (size_t t = 0; t < r->n_points; t++) {
        xl_put_number(b, ws, t + 1, 0, (double)t, NULL);
        for (size_t s = 0; s < r->n_states; s++)
            xl_put_number(b, ws, t + 1, s + 1, ns_results_trace(r, k, t, s),
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
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    lxw_row_t last = (lxw_row_t)r->n_points;
    for (size_t s = 0; s < r->n_states; s++) {
        lxw_chart_series *series = chart_add_series(chart, NULL, NULL);
        if (!series) {
            xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
            return;
        }
        lxw_col_t col = (lxw_col_t)(s + 1);
        chart_series_set_categories(series, sheet, 1, 0, last, 0);
        chart_series_set_values(series, sheet, 1, col, last, col);
        chart_series_set_name_range(series, sheet, 0, col);
    }
    char title[160];
    char name[64];
    xl_copy_chars(name, sizeof name, xl_label_of(&m->strategies[k]), 40);
    snprintf(title, sizeof title, "Cohort trace: %s", name);
    chart_title_set_name(chart, title);
    chart_axis_set_name(chart->x_axis, "Time point");
    chart_axis_set_name(chart->y_axis, "Occupancy");
    xl_insert_chart(b, ws, 1, r->n_states + 2, chart);
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

/* Writes "Population: ..." on NOTE2_ROW when there are subgroups. */
static void
note_subgroups(struct book *b, lxw_worksheet *ws)
{
    const struct ns_population *pop = b->pop;
    if (pop->n_groups < 2)
        return;
    char text[NOTE_SIZE] = "";
    xl_append(text, "All clients together:");
    for (size_t g = 0; g < pop->n_groups; g++)
        xl_append(text, "%s %s %.0f%%", g ? "," : "", pop->names[g],
                  100.0 * pop->weights[g]);
    xl_append(text, " of clients (see Subgroups).");
    xl_put_text(b, ws, NOTE2_ROW, 0, text, NULL);
}

/* The Summary sheet: the headline per strategy, what each column means,
 * and a bar chart of net savings per client. */
void
xl_write_headline(struct book *b)
{
    const struct ns_model *m = b->model;
    const struct ns_results *r = b->results;
    const char *sheet = "Summary";
    char persp[NOTE_SIZE], disc[NOTE_SIZE], text[NOTE_SIZE];
    if (m->cost_outcome < 0) {
        xl_start_sheet(
            b, sheet, "Net savings of treatment",
            "The model names no cost outcome ([model] cost_outcome), "
            "so there are no savings to show.",
            false);
        return;
    }
    xl_describe_perspective(m, b->headline, persp);
    xl_describe_discounting(m, disc);
    size_t n_years = ns_ledger_n_years(m);
    text[0] = '\0';
    xl_append(text,
              "£ per client of the starting cohort, over %zu year%s, %s. "
              "Savings counted for: %s.",
              n_years, n_years == 1 ? "" : "s", disc, persp);
    lxw_worksheet *ws = xl_start_sheet(
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
    double w_label = xl_strategy_width(m);
    size_t col = 0;
    size_t col_of[7];
    for (size_t i = 0; i < 7; i++) {
        if (!cols[i].heading)
            continue;
        col_of[i] = col;
        xl_put_heading(b, ws, col++, cols[i].heading,
                       i < 2 ? w_label : FIGURE_WIDTH);
    }

    size_t row = FIRST_ROW;
    for (size_t k = 0; k < r->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        struct ns_ledger led;
        ns_ledger_compute(m, r, k, b->headline, true, &led, NULL);
        double per_client =
            xl_per_client(led.net_savings, ns_results_cohort(r, k));
        double per_place = ns_ledger_per_place_year(m, r, k, &led);
        xl_put_strategy(b, ws, row, k);
        xl_put_number(b, ws, row, col_of[2], per_client, b->pounds);
        if (places) {
            if (isnan(per_place))
                xl_put_text(b, ws, row, col_of[3], "no extra places", NULL);
            else
                xl_put_number(b, ws, row, col_of[3], per_place, b->pounds);
        }
        xl_put_ratio(b, ws, row, col_of[4], led.benefit_cost_ratio);
        xl_put_payback(b, ws, row, col_of[5], ns_ledger_payback(&led));
        if (cols[6].heading)
            xl_put_number(b, ws, row, col_of[6],
                          per_client * m->report_cohort, b->pounds);
        row++;
    }
    size_t last = row - 1;
    if (row == FIRST_ROW)
        xl_put_text(b, ws, row++, 0,
                    "No strategy has a comparator, so there are no savings "
                    "to show.",
                    NULL);
    xl_freeze_headings(b, ws, 0);

    row++;
    xl_put_text(b, ws, row++, 0, "What the columns mean", b->bold);
    for (size_t i = 0; i < 7; i++) {
        if (!cols[i].heading)
            continue;
        text[0] = '\0';
        xl_append(text, "%s: %s", cols[i].heading, cols[i].meaning);
        xl_put_text(b, ws, row++, 0, text, NULL);
    }
    xl_put_text(b, ws, row++, 0,
                "Discounted: money in later years counts for less, as HM "
                "Treasury's Green Book asks.",
                NULL);

    if (last < FIRST_ROW)
        return;
    lxw_chart *chart = xl_new_chart(b, LXW_CHART_BAR);
    if (!chart)
        return;
    xl_add_column_series(b, chart, sheet, FIRST_ROW, last, 0, col_of[2]);
    chart_title_set_name(chart, "Net savings per client (£, discounted)");
    xl_format_bar_axes(chart);
    chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
    xl_insert_chart(b, ws, row + 1, 0, chart);
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
void
xl_write_who_pays(struct book *b)
{
    const struct ns_model *m = b->model;
    const struct ns_results *r = b->results;
    const char *sheet = "Who pays, who saves";
    if (m->cost_outcome < 0)
        return;
    char disc[NOTE_SIZE], text[NOTE_SIZE] = "", name[128];
    xl_describe_discounting(m, disc);
    xl_append(text,
              "£ per client of the starting cohort, %s. A positive number is "
              "a saving to that payer; a negative one is extra spending, such "
              "as the treatment itself for whoever funds it.",
              disc);
    lxw_worksheet *ws = xl_start_sheet(
        b, sheet, "Who pays and who saves, per client", text, true);
    if (!ws)
        return;
    xl_put_text(
        b, ws, NOTE2_ROW, 0,
        "Every payer is shown, whatever the perspective of the Summary.", NULL);
    bool untagged = has_untagged_costs(m);
    double w_label = xl_strategy_width(m);
    xl_put_heading(b, ws, 0, "Strategy", w_label);
    xl_put_heading(b, ws, 1, "Compared with", w_label);
    size_t col = 2;
    for (size_t p = 0; p < m->n_payers; p++, col++) {
        xl_readable(name, sizeof name, m->payers[p]);
        xl_put_heading(b, ws, col, name,
                       xl_text_width(FIGURE_WIDTH / 1.5, name));
    }
    size_t untagged_col = col;
    if (untagged)
        xl_put_heading(b, ws, col++, "No payer named", FIGURE_WIDTH / 1.5);
    size_t total_col = col;
    xl_put_heading(b, ws, total_col, "Net savings, all payers", FIGURE_WIDTH);

    double *by_payer = calloc(m->n_payers + 1, sizeof *by_payer);
    if (!by_payer) {
        xl_note(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    size_t row = FIRST_ROW;
    for (size_t k = 0; k < r->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        struct ns_ledger led;
        ns_ledger_compute(m, r, k, NS_ALL_PAYERS, true, &led, by_payer);
        double cohort = ns_results_cohort(r, k);
        xl_put_strategy(b, ws, row, k);
        double named = 0.0;
        for (size_t p = 0; p < m->n_payers; p++) {
            named += by_payer[p];
            xl_put_number(b, ws, row, 2 + p, xl_per_client(by_payer[p], cohort),
                          b->pounds);
        }
        if (untagged)
            xl_put_number(b, ws, row, untagged_col,
                          xl_per_client(led.net_savings - named, cohort),
                          b->pounds);
        xl_put_number(b, ws, row, total_col,
                      xl_per_client(led.net_savings, cohort), b->pounds);
        row++;
    }
    free(by_payer);
    size_t last = row - 1;
    xl_freeze_headings(b, ws, 0);

    row++;
    xl_put_text(b, ws, row, 0, "Perspective", b->bold);
    xl_put_text(b, ws, row++, 1, "Payers it counts", b->bold);
    for (size_t i = 0; i <= m->n_perspectives; i++, row++) {
        long persp = i < m->n_perspectives ? (long)i : NS_ALL_PAYERS;
        text[0] = '\0';
        xl_describe_perspective(m, persp, text);
        xl_put_text(b, ws, row, 0,
                    i < m->n_perspectives ? m->perspectives[i].name
                                          : "all_payers",
                    NULL);
        xl_put_text(b, ws, row, 1, text, NULL);
    }

    size_t n_series = total_col - 2;
    if (last < FIRST_ROW || n_series == 0 || n_series > MAX_CHART_SERIES)
        return;
    lxw_chart *chart = xl_new_chart(b, LXW_CHART_BAR_STACKED);
    if (!chart)
        return;
    for (size_t c = 2; c < total_col; c++)
        xl_add_column_series(b, chart, sheet, FIRST_ROW, last, 0, c);
    chart_title_set_name(chart, "Savings per client by payer (£, discounted)");
    xl_format_bar_axes(chart);
    chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
    xl_insert_chart(b, ws, row + 1, 0, chart);
}

/* The "Year by year" sheet: cumulative net savings per client at the end
 * of each year, a column per strategy, and a line chart. */
void
xl_write_year_by_year(struct book *b)
{
    const struct ns_model *m = b->model;
    const struct ns_results *r = b->results;
    const char *sheet = "Year by year";
    if (m->cost_outcome < 0 || n_compared(m) == 0)
        return;
    char persp[NOTE_SIZE], disc[NOTE_SIZE], text[NOTE_SIZE] = "";
    xl_describe_perspective(m, b->headline, persp);
    xl_describe_discounting(m, disc);
    xl_append(text,
              "Net savings so far, per client of the starting cohort (£, %s; "
              "savings counted for %s): savings to date minus extra treatment "
              "spending to date.",
              disc, persp);
    lxw_worksheet *ws =
        xl_start_sheet(b, sheet, "Savings to date, year by year", text, true);
    if (!ws)
        return;
    xl_put_text(b, ws, NOTE2_ROW, 0,
                "Where a line crosses zero, the treatment has paid for itself "
                "(the payback year).",
                NULL);
    size_t n_years = ns_ledger_n_years(m);
    xl_put_heading(b, ws, 0, "Year", MIN_WIDTH);
    for (size_t y = 0; y < n_years; y++)
        xl_put_number(b, ws, FIRST_ROW + y, 0, (double)(y + 1), NULL);
    size_t col = 1;
    for (size_t k = 0; k < r->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        const char *label = xl_label_of(&m->strategies[k]);
        xl_put_heading(b, ws, col, label, xl_text_width(FIGURE_WIDTH, label));
        ns_ledger_by_year(m, r, k, b->headline, true, b->years);
        double cohort = ns_results_cohort(r, k);
        double cumulative = 0.0;
        for (size_t y = 0; y < n_years; y++) {
            cumulative += b->years[y];
            xl_put_number(b, ws, FIRST_ROW + y, col,
                          xl_per_client(cumulative, cohort), b->pounds);
        }
        col++;
    }
    xl_freeze_headings(b, ws, 1);

    size_t n_series = col - 1;
    if (n_series > MAX_CHART_SERIES)
        return;
    lxw_chart *chart = xl_new_chart(b, LXW_CHART_LINE);
    if (!chart)
        return;
    for (size_t c = 1; c < col; c++)
        xl_add_column_series(b, chart, sheet, FIRST_ROW,
                             FIRST_ROW + n_years - 1, 0, c);
    chart_title_set_name(chart, "Net savings so far per client (£, "
                                "discounted)");
    chart_axis_set_name(chart->x_axis, "Year");
    chart_axis_set_num_format(chart->y_axis, "£#,##0");
    chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
    xl_insert_chart(b, ws, FIRST_ROW, col + 1, chart);
}

/* The Outcomes sheet: every outcome in its own unit, undiscounted, per
 * client, with the comparator's and the difference. */
void
xl_write_outcomes_sheet(struct book *b)
{
    const struct ns_model *m = b->model;
    const struct ns_results *r = b->results;
    size_t n_years = ns_ledger_n_years(m);
    char text[NOTE_SIZE] = "";
    xl_append(text,
              "Totals over %zu year%s per client of the starting cohort, each "
              "in its own unit (money in £, people, offences, years), not "
              "discounted.",
              n_years, n_years == 1 ? "" : "s");
    lxw_worksheet *ws = xl_start_sheet(b, "Outcomes", "Outcomes", text, true);
    if (!ws)
        return;
    double w_label = xl_strategy_width(m);
    double w_outcome = TEXT_WIDTH / 2;
    xl_put_heading(b, ws, 0, "Strategy", w_label);
    xl_put_heading(b, ws, 1, "Compared with", w_label);
    xl_put_heading(b, ws, 3, "With the strategy", FIGURE_WIDTH);
    xl_put_heading(b, ws, 4, "With the comparator", FIGURE_WIDTH);
    xl_put_heading(b, ws, 5, "Difference", FIGURE_WIDTH);
    size_t row = FIRST_ROW;
    for (size_t k = 0; k < r->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        size_t kc = (size_t)m->comparator[k];
        double cohort = ns_results_cohort(r, k);
        for (size_t o = 0; o < m->n_outcomes; o++, row++) {
            lxw_format *fmt =
                (long)o == m->cost_outcome ? b->pounds : b->amount;
            double with =
                xl_per_client(ns_results_outcome(r, k, o, false), cohort);
            double without =
                xl_per_client(ns_results_outcome(r, kc, o, false), cohort);
            xl_put_strategy(b, ws, row, k);
            xl_put_text(b, ws, row, 2, m->outcomes[o].name, NULL);
            w_outcome = xl_text_width(w_outcome, m->outcomes[o].name);
            xl_put_number(b, ws, row, 3, with, fmt);
            xl_put_number(b, ws, row, 4, without, fmt);
            xl_put_number(b, ws, row, 5, with - without, fmt);
        }
    }
    xl_put_heading(b, ws, 2, "Outcome", w_outcome);
    if (row == FIRST_ROW)
        xl_put_text(b, ws, row, 0, "No strategy has a comparator.", NULL);
    xl_freeze_headings(b, ws, 0);
}

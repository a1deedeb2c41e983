/* netsave: the workbook's sheets about the population and the run:
 * Subgroups, Inputs (every parameter and its provenance) and About. */
#include "output/xlsx_book.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/ledger.h"

/* The About sheet: what produced the workbook, from which inputs. */
void
xl_write_about(struct book *b, const struct ns_run_info *info)
{
    static const struct ns_run_info none = {0};
    const char *unknown = "not recorded";
    if (!info)
        info = &none;
    lxw_worksheet *ws = xl_add_sheet(b, "About");
    if (!ws)
        return;
    const char *version = info->version ? info->version : NS_VERSION;
    char when[XL_TIME_SIZE];
    if (info->run_time)
        xl_format_time(*info->run_time, when, sizeof when);
    const char *items[][2] = {
        {"netsave version", version},
        {"Run date and time", info->run_time ? when : unknown},
        {"Command line", info->command_line ? info->command_line : unknown},
        {"Model", b->model->name ? b->model->name : unknown},
        {"Written with", "libxlsxwriter " LXW_VERSION},
    };
    xl_put_text(b, ws, 0, 0, "Item", b->bold);
    xl_put_text(b, ws, 0, 1, "Value", b->bold);
    size_t row = 1;
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++, row++) {
        xl_put_text(b, ws, row, 0, items[i][0], NULL);
        xl_put_text(b, ws, row, 1, items[i][1], b->wrap);
    }

    row++;
    xl_put_text(b, ws, row, 0, "Input file", b->bold);
    xl_put_text(b, ws, row, 1, "Hash", b->bold);
    row++;
    double w_file = xl_text_width(20.0, "Run date and time");
    double w_value = xl_text_width(30.0, "Value");
    for (size_t i = 0; i < info->n_inputs; i++, row++) {
        const char *file = info->input_files && info->input_files[i]
                               ? info->input_files[i]
                               : unknown;
        const char *hash = info->input_hashes && info->input_hashes[i]
                               ? info->input_hashes[i]
                               : unknown;
        xl_put_text(b, ws, row, 0, file, NULL);
        xl_put_text(b, ws, row, 1, hash, NULL);
        w_file = xl_text_width(w_file, file);
        w_value = xl_text_width(w_value, hash);
    }
    if (info->n_inputs == 0)
        xl_put_text(b, ws, row, 0, "none recorded", NULL);
    xl_set_width(b, ws, 0, w_file);
    /* Hashes are long and must be read whole; command lines wrap. */
    xl_set_width(b, ws, 1, w_value < 70.0 ? 70.0 : w_value);
    if (!b->error)
        worksheet_freeze_panes(ws, 1, 0);
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
        xl_put_text(b, ws, row, col, s, fmt);
    else if (fmt)
        xl_note(b,
                worksheet_write_blank(ws, (lxw_row_t)row, (lxw_col_t)col, fmt));
}

/* The Subgroups sheet: the headline for each subgroup and for all clients
 * together. */
void
xl_write_subgroups(struct book *b)
{
    const struct ns_model *m = b->model;
    const struct ns_population *pop = b->pop;
    if (pop->n_groups < 2 || m->cost_outcome < 0)
        return;
    char persp[NOTE_SIZE], disc[NOTE_SIZE], text[NOTE_SIZE] = "";
    xl_describe_perspective(m, b->headline, persp);
    xl_describe_discounting(m, disc);
    xl_append(text,
              "£ per client of the starting cohort, %s; savings counted for "
              "%s. All clients: the subgroups weighted by their share.",
              disc, persp);
    lxw_worksheet *ws = xl_start_sheet(
        b, "Subgroups", "Net savings by group of clients", text, true);
    if (!ws)
        return;
    double w_label = xl_strategy_width(m);
    double w_group = TEXT_WIDTH;
    xl_put_heading(b, ws, 0, "Strategy", w_label);
    xl_put_heading(b, ws, 1, "Compared with", w_label);
    xl_put_heading(b, ws, 3, "Share of clients", MIN_WIDTH);
    xl_put_heading(b, ws, 4, "Net savings per client (£, discounted)",
                   FIGURE_WIDTH);
    xl_put_heading(b, ws, 5, "Savings per £1 of extra treatment spend",
                   FIGURE_WIDTH);
    xl_put_heading(b, ws, 6, "Payback", FIGURE_WIDTH);
    size_t row = FIRST_ROW;
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        for (size_t g = 0; g <= pop->n_groups; g++, row++) {
            struct ns_ledger led;
            bool pooled = g == pop->n_groups;
            const char *group = pooled ? "All clients" : pop->names[g];
            const struct ns_results *r = ns_group_results(pop, g);
            ns_ledger_compute(ns_group_model(pop, g), r, k, b->headline, true,
                              &led, NULL);
            xl_put_strategy(b, ws, row, k);
            xl_put_text(b, ws, row, 2, group, pooled ? b->bold : NULL);
            w_group = xl_text_width(w_group, group);
            xl_put_number(b, ws, row, 3, pooled ? 1.0 : pop->weights[g],
                          b->share);
            xl_put_number(b, ws, row, 4,
                          xl_per_client(led.net_savings,
                                        ns_results_cohort(r, k)),
                          b->pounds);
            xl_put_ratio(b, ws, row, 5, led.benefit_cost_ratio);
            xl_put_payback(b, ws, row, 6, ns_ledger_payback(&led));
        }
    }
    xl_put_heading(b, ws, 2, "Clients", w_group);
    xl_freeze_headings(b, ws, 0);
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
        xl_append(out, "%s%s (%.6g)", sep, m->strategies[k].name, v);
        sep = ", ";
    }
    sep = *out ? "; for subgroup " : "Differs for subgroup ";
    bool by_group = false;
    for (size_t g = 1; g < pop->n_groups; g++) {
        double v = pop->results[g]->param_values[p];
        if (!differ(v, shown))
            continue;
        xl_append(out, "%s%s (%.6g)", sep, pop->names[g], v);
        sep = ", ";
        by_group = true;
    }
    if (by_group)
        xl_append(out, "; the value shown is for subgroup %s", pop->names[0]);
}

/* The Inputs sheet: every parameter with its value and provenance. Rows
 * graded U (unconfirmed) are flagged as assumptions and highlighted. */
void
xl_write_inputs(struct book *b)
{
    const struct ns_model *m = b->model;
    const struct ns_population *pop = b->pop;
    lxw_worksheet *ws = xl_start_sheet(
        b, "Inputs", "Inputs: every parameter the model used",
        "Values at the start of the model for the first strategy. Grade A: "
        "seen in the primary source; B: in a reputable secondary source; "
        "C: derived by arithmetic from A or B figures; U: unconfirmed, "
        "used as an assumption.",
        false);
    if (!ws)
        return;
    xl_put_text(b, ws, NOTE2_ROW, 0,
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
        widths[i] = xl_text_width(MIN_WIDTH, headings[i]);

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
            widths[i] = xl_text_width(widths[i], cells[i]);
        }
        xl_put_number(b, ws, row, 1, r0->param_values[p], fmt);
    }
    widths[1] = NUMBER_WIDTH;
    for (size_t i = 0; i < N_COLS; i++)
        xl_set_width(b, ws, i, widths[i]);
    for (size_t i = 0; i < N_COLS; i++)
        xl_put_text(b, ws, HEADING_ROW, i, headings[i], b->bold);
    xl_freeze_headings(b, ws, 1);
}

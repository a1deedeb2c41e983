/* netsave: the live workbook's Totals, Summary and Your area sheets
 * (output/live.h). The ledger's rules (model/ledger.h) as formulas: a
 * strategy's treatment cost is the rise in its intervention streams over
 * its comparator's, its savings the fall in every other cost stream, each
 * over the payers of a perspective; per client is per member of the
 * starting cohort; the area's figures are its starts times the figures
 * per client. */
#include "output/xlsx_live.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/ledger.h"

/* Rows of the Totals sheet: a heading, then a row per strategy and
 * stream, then a row per strategy with its cohort. */
enum { TOTALS_FIRST = 2 };

static size_t
totals_row(const struct live *lv, size_t k, size_t j)
{
    return TOTALS_FIRST + k * lv->J + j;
}

static size_t
cohort_row(const struct live *lv, size_t k)
{
    return TOTALS_FIRST + lv->K * lv->J + 1 + k;
}

static void
put_sb(struct live *lv, lxw_worksheet *ws, size_t row, size_t col,
       const char *text, double cached, lxw_format *fmt)
{
    live_formula(lv, ws, row, col, text, cached, fmt);
}

void
live_write_totals(struct live *lv)
{
    const struct ns_model *m = lv->pop->models[0];
    const struct ns_results *pooled = lv->pop->pooled;
    lxw_worksheet *ws = xl_add_sheet(lv->b, "Totals");
    if (!ws)
        return;
    xl_put_text(lv->b, ws, 0, 0,
                "Totals of each stream over the horizon, pooled over "
                "subgroups (their weights on Inputs)",
                lv->b->title);
    static const char *const heads[] = {"strategy", "stream", "outcome",
                                        "payer", "total",
                                        "discounted total"};
    for (size_t c = 0; c < 6; c++)
        xl_put_text(lv->b, ws, 1, c, heads[c], lv->b->bold);
    char *f = malloc(96 * (lv->G + 1) * (lv->S + 1) + 64);
    if (!f) {
        xl_note(lv->b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    for (size_t k = 0; k < lv->K; k++)
        for (size_t j = 0; j < lv->J; j++) {
            size_t row = totals_row(lv, k, j);
            xl_put_text(lv->b, ws, row, 0, m->strategies[k].name, NULL);
            xl_put_text(lv->b, ws, row, 1, m->streams[j].name, NULL);
            xl_put_text(lv->b, ws, row, 2,
                        m->outcomes[m->streams[j].outcome].name, NULL);
            xl_put_text(lv->b, ws, row, 3,
                        m->streams[j].payer >= 0
                            ? m->payers[m->streams[j].payer]
                            : "",
                        NULL);
            for (int disc = 0; disc <= 1; disc++) {
                f[0] = '\0';
                for (size_t g = 0; g < lv->G; g++) {
                    char ref[96];
                    const struct live_sheet *sh = &lv->sheet[g * lv->K + k];
                    live_ref(ref, sizeof ref, sh->name, sh->total_row,
                             (disc ? lv->cols.value_disc : lv->cols.value) + j);
                    sprintf(f + strlen(f), "%s%s*%s", g ? "+" : "",
                            lv->weight_names[g], ref);
                }
                put_sb(lv, ws, row, 4 + (size_t)disc, f,
                       ns_results_total(pooled, k, j, disc), lv->b->money);
            }
        }
    xl_put_text(lv->b, ws, cohort_row(lv, 0) - 1, 0,
                "clients at the start (the cohort)", lv->b->bold);
    for (size_t k = 0; k < lv->K; k++) {
        size_t row = cohort_row(lv, k);
        xl_put_text(lv->b, ws, row, 0, m->strategies[k].name, NULL);
        f[0] = '\0';
        for (size_t g = 0; g < lv->G; g++) {
            const struct live_sheet *sh = &lv->sheet[g * lv->K + k];
            sprintf(f + strlen(f), "%s%s*(", g ? "+" : "", lv->weight_names[g]);
            for (size_t s = 0; s < lv->S; s++) {
                char a[96];
                live_ref(a, sizeof a, sh->name, sh->first_row,
                         lv->sc[s].total_col);
                sprintf(f + strlen(f), "%s%s", s ? "+" : "", a);
            }
            strcat(f, ")");
        }
        put_sb(lv, ws, row, 4, f, ns_results_cohort(pooled, k), NULL);
    }
    free(f);
    xl_set_width(lv->b, ws, 0, 20.0);
    xl_set_width(lv->b, ws, 1, 24.0);
    xl_set_width(lv->b, ws, 4, FIGURE_WIDTH);
    xl_set_width(lv->b, ws, 5, FIGURE_WIDTH);
    worksheet_protect(ws, NULL, NULL);
}

bool
live_counts(const struct ns_model *m, size_t j, size_t i)
{
    const struct ns_stream_info *s = &m->streams[j];
    if ((long)s->outcome != m->cost_outcome)
        return false;
    if (i >= m->n_perspectives)
        return true;
    return s->payer >= 0 && m->perspectives[i].has_payer[s->payer];
}

/* "Totals!$F$12-Totals!$F$40": stream j of a minus the same of b. */
static void
add_difference(char *f, const struct live *lv, size_t a, size_t b, size_t j,
               bool first)
{
    char ra[40], rb[40];
    live_cell(ra, sizeof ra, totals_row(lv, a, j), 5, true);
    live_cell(rb, sizeof rb, totals_row(lv, b, j), 5, true);
    sprintf(f + strlen(f), "%s(Totals!%s-Totals!%s)", first ? "" : "+", ra,
            rb);
}

/* The Your area row of each area year's discount factor to the start of
 * year 1 (model/area.h: the cohort starting in year s counts (1 + r)^-(s
 * - 1), r the cost outcome's rate), below the starts. */
static size_t
area_factor_row(const struct live *lv)
{
    return 4 + lv->K;
}

/* The engine's factor of area year y (0-based). */
static double
area_factor(const struct live *lv, size_t y)
{
    const struct ns_model *m = lv->pop->models[0];
    if (m->cost_outcome < 0)
        return 1.0;
    return pow(1.0 + m->outcomes[m->cost_outcome].discount_rate,
               -(double)y);
}

/* "SUMPRODUCT('Your area'!$B$5:$F$5,'Your area'!$B$13:$F$13)": strategy
 * k's starts, each year discounted to the start of year 1; and the same
 * in numbers into *value. */
static void
area_starts_text(const struct live *lv, size_t k, char *buf, size_t size,
                 double *value)
{
    size_t Y = lv->area->n_years, fr = area_factor_row(lv);
    char s0[24], s1[24], d0[24], d1[24];
    live_cell(s0, sizeof s0, 4 + k, 1, true);
    live_cell(s1, sizeof s1, 4 + k, Y, true);
    live_cell(d0, sizeof d0, fr, 1, true);
    live_cell(d1, sizeof d1, fr, Y, true);
    snprintf(buf, size,
             "SUMPRODUCT('Your area'!%s:%s,'Your area'!%s:%s)", s0, s1, d0,
             d1);
    *value = 0.0;
    for (size_t y = 0; y < Y; y++)
        *value += lv->area->starts[k * Y + y] * area_factor(lv, y);
}

/* The Payback sheet: per perspective, a block of a heading and a row per
 * strategy; columns: strategy, then each year's cumulative net savings per
 * client, then each year's flag (1: above 0 from then to the horizon),
 * then the payback year. */
enum { PAYBACK_FIRST = 3 };

static size_t
payback_row(const struct live *lv, size_t i, size_t k)
{
    return PAYBACK_FIRST + i * (lv->K + 2) + 1 + k;
}

static size_t
payback_col(const struct live *lv)
{
    return 1 + 2 * ns_ledger_n_years(lv->pop->models[0]);
}

/* The last time point of year y (0-based) as model/ledger.c assigns
 * points to years. */
static size_t
last_point_of_year(const struct live *lv, size_t y)
{
    size_t last = 0;
    for (size_t t = 0; t <= lv->T; t++)
        if (ns_ledger_year_of_point(lv->pop->models[0], t) <= y)
            last = t;
    return last;
}

static void
write_payback_row(struct live *lv, lxw_worksheet *ws, size_t i, size_t k,
                  double *net)
{
    const struct ns_model *m = lv->pop->models[0];
    size_t Y = ns_ledger_n_years(m), row = payback_row(lv, i, k);
    size_t c = (size_t)m->comparator[k];
    long persp = i < m->n_perspectives ? (long)i : NS_ALL_PAYERS;
    double cohort = ns_results_cohort(lv->pop->pooled, k);
    char ck[40];
    live_cell(ck, sizeof ck, cohort_row(lv, k), 4, true);
    ns_ledger_by_year(m, lv->pop->pooled, k, persp, true, net);
    char *f = malloc(256 * (lv->G + 1));
    if (!f) {
        xl_note(lv->b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    xl_put_text(lv->b, ws, row, 0, m->strategies[k].name, NULL);
    double cum = 0.0, cums[1024];
    for (size_t y = 0; y < Y && y < 1024; y++) {
        cum += net[y];
        cums[y] = cum / cohort;
        size_t last = last_point_of_year(lv, y);
        f[0] = '\0';
        strcat(f, "(");
        for (size_t g = 0; g < lv->G; g++) {
            const struct live_sheet *sk = &lv->sheet[g * lv->K + k];
            const struct live_sheet *sc = &lv->sheet[g * lv->K + c];
            char a0[96], a1[24], b0[96], b1[24];
            size_t col = lv->cols.counted + i;
            live_ref(a0, sizeof a0, sc->name, sc->first_row, col);
            live_cell(a1, sizeof a1, sc->first_row + last, col, true);
            live_ref(b0, sizeof b0, sk->name, sk->first_row, col);
            live_cell(b1, sizeof b1, sk->first_row + last, col, true);
            sprintf(f + strlen(f), "%s%s*(SUM(%s:%s)-SUM(%s:%s))",
                    g ? "+" : "", lv->weight_names[g], a0, a1, b0, b1);
        }
        sprintf(f + strlen(f), ")/Totals!%s", ck);
        live_formula(lv, ws, row, 1 + y, f, cums[y], lv->b->money);
    }
    /* Flags from the horizon back: above 0 this year and every later. */
    bool stays = true;
    for (size_t y = Y; y-- > 0 && y < 1024;) {
        char cell[24], later[24];
        live_cell(cell, sizeof cell, row, 1 + y, false);
        live_cell(later, sizeof later, row, 1 + Y + y + 1, false);
        stays = stays && cums[y] > 0.0;
        if (y + 1 == Y)
            snprintf(f, 256, "IF(%s>0,1,0)", cell);
        else
            snprintf(f, 256, "IF(%s>0,%s,0)", cell, later);
        live_formula(lv, ws, row, 1 + Y + y, f, stays ? 1.0 : 0.0, NULL);
    }
    char a[24], b[24];
    live_cell(a, sizeof a, row, 1 + Y, false);
    live_cell(b, sizeof b, row, 2 * Y, false);
    snprintf(f, 256, "IFERROR(MATCH(1,%s:%s,0),0)", a, b);
    struct ns_ledger led;
    ns_ledger_compute(m, lv->pop->pooled, k, persp, true, &led, NULL);
    live_formula(lv, ws, row, payback_col(lv), f,
                 (double)ns_ledger_payback(&led), NULL);
    free(f);
}

void
live_write_payback(struct live *lv)
{
    const struct ns_model *m = lv->pop->models[0];
    size_t Y = ns_ledger_n_years(m);
    lxw_worksheet *ws = xl_add_sheet(lv->b, "Payback");
    double *net = calloc(Y + 1, sizeof *net);
    if (!ws || !net) {
        free(net);
        return;
    }
    xl_put_text(lv->b, ws, 0, 0,
                "Cumulative net savings per client by the end of each year "
                "(discounted, pooled), and the payback year: the first year "
                "from whose end they stay above 0 to the horizon",
                lv->b->title);
    char text[300];
    for (size_t i = 0; i <= m->n_perspectives && m->cost_outcome >= 0; i++) {
        size_t head = payback_row(lv, i, 0) - 1;
        snprintf(text, sizeof text, "Perspective: %s",
                 i < m->n_perspectives ? m->perspectives[i].name
                                       : "all payers");
        xl_put_text(lv->b, ws, head, 0, text, lv->b->bold);
        for (size_t y = 0; y < Y; y++) {
            snprintf(text, sizeof text, "year %zu", y + 1);
            xl_put_text(lv->b, ws, head, 1 + y, text, lv->b->bold);
            snprintf(text, sizeof text, "above 0 from year %zu on", y + 1);
            xl_put_text(lv->b, ws, head, 1 + Y + y, text, lv->b->bold);
        }
        xl_put_text(lv->b, ws, head, payback_col(lv), "payback year",
                    lv->b->bold);
        for (size_t k = 0; k < lv->K; k++)
            if (m->comparator[k] >= 0)
                write_payback_row(lv, ws, i, k, net);
    }
    free(net);
    xl_set_width(lv->b, ws, 0, 20.0);
    worksheet_protect(ws, NULL, NULL);
}

/* Rows of Summary: per perspective, a block of a heading and a row per
 * strategy. */
enum { SUMMARY_FIRST = 4 };
enum { COL_STRATEGY, COL_COMPARATOR, COL_TREATMENT, COL_SAVINGS, COL_NET,
       COL_RATIO, COL_COHORT, COL_AREA, COL_PAYBACK, N_SUMMARY_COLS };

static size_t
summary_row(const struct live *lv, size_t i, size_t k)
{
    return SUMMARY_FIRST + i * (lv->K + 3) + 1 + k;
}

/* The Summary cell of net savings per client of k, headline view. */
static void
net_cell(const struct live *lv, size_t k, size_t col, char *buf, size_t size)
{
    char c[24];
    live_cell(c, sizeof c, summary_row(lv, 0, k), col, true);
    snprintf(buf, size, "Summary!%s", c);
}

static void
write_perspective(struct live *lv, lxw_worksheet *ws, size_t i,
                  long perspective)
{
    const struct ns_model *m = lv->pop->models[0];
    size_t head = summary_row(lv, i, 0) - 1;
    char text[300];
    snprintf(text, sizeof text, "Perspective: %s",
             perspective == NS_ALL_PAYERS
                 ? "all payers"
                 : m->perspectives[perspective].name);
    xl_put_text(lv->b, ws, head - 1, 0, text, lv->b->bold);
    static const char *const heads[] = {
        "strategy", "compared with", "treatment cost per client",
        "savings per client", "net savings per client", "savings per GBP 1",
        "net savings for the cohort", "net savings for the area",
        "payback year (0: not within the horizon)"};
    for (size_t c = 0; c < N_SUMMARY_COLS; c++)
        xl_put_text(lv->b, ws, head, c, heads[c], lv->b->heading);
    char *f = malloc(80 * (lv->J + 2) + 256);
    if (!f) {
        xl_note(lv->b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    for (size_t k = 0; k < lv->K; k++) {
        size_t row = summary_row(lv, i, k);
        xl_put_text(lv->b, ws, row, COL_STRATEGY, m->strategies[k].name, NULL);
        if (m->comparator[k] < 0 || m->cost_outcome < 0)
            continue;
        size_t c = (size_t)m->comparator[k];
        xl_put_text(lv->b, ws, row, COL_COMPARATOR, m->strategies[c].name,
                    NULL);
        struct ns_ledger led;
        ns_ledger_compute(m, lv->pop->pooled, k, perspective, true, &led,
                          NULL);
        double cohort = ns_results_cohort(lv->pop->pooled, k);
        char ck[40];
        live_cell(ck, sizeof ck, cohort_row(lv, k), 4, true);
        for (int part = 0; part < 2; part++) {
            bool any = false;
            snprintf(f, 16, "(");
            for (size_t j = 0; j < lv->J; j++)
                if (live_counts(m, j, i) &&
                    m->streams[j].is_intervention == (part == 0)) {
                    if (part == 0)
                        add_difference(f, lv, k, c, j, !any);
                    else
                        add_difference(f, lv, c, k, j, !any);
                    any = true;
                }
            if (!any)
                strcat(f, "0");
            sprintf(f + strlen(f), ")/Totals!%s", ck);
            put_sb(lv, ws, row, part ? COL_SAVINGS : COL_TREATMENT, f,
                   (part ? led.savings : led.treatment_cost) / cohort,
                   lv->b->money);
        }
        char tc[24], sc[24], nc[24];
        live_cell(tc, sizeof tc, row, COL_TREATMENT, false);
        live_cell(sc, sizeof sc, row, COL_SAVINGS, false);
        live_cell(nc, sizeof nc, row, COL_NET, false);
        snprintf(f, 200, "%s-%s", sc, tc);
        put_sb(lv, ws, row, COL_NET, f, led.net_savings / cohort,
               lv->b->money);
        if (led.treatment_cost > 0.0) {
            snprintf(f, 200, "IF(%s>0,%s/%s,\"\")", tc, sc, tc);
            put_sb(lv, ws, row, COL_RATIO, f, led.benefit_cost_ratio,
                   lv->b->money);
        }
        snprintf(f, 200, "%s*%s", nc, lv->report_cohort_name);
        double rc = m->report_cohort > 0.0 ? m->report_cohort : 1.0;
        put_sb(lv, ws, row, COL_AREA - 1, f, led.net_savings / cohort * rc,
               lv->b->money);
        /* The area's starts over every year, from Your area, each year
         * discounted to the start of its year 1. */
        double starts;
        char sp[160];
        area_starts_text(lv, k, sp, sizeof sp, &starts);
        snprintf(f, 200, "%s*%s", nc, sp);
        put_sb(lv, ws, row, COL_AREA, f, led.net_savings / cohort * starts,
               lv->b->money);
        char pb[24];
        live_cell(pb, sizeof pb, payback_row(lv, i, k), payback_col(lv), true);
        snprintf(f, 200, "Payback!%s", pb);
        put_sb(lv, ws, row, COL_PAYBACK, f, (double)ns_ledger_payback(&led),
               NULL);
    }
    free(f);
}

void
live_write_summary(struct live *lv)
{
    const struct ns_model *m = lv->pop->models[0];
    lxw_worksheet *ws = xl_add_sheet(lv->b, "Summary");
    if (!ws)
        return;
    xl_put_text(lv->b, ws, 0, 0, m->name, lv->b->title);
    xl_put_text(lv->b, ws, 1, 0,
                "Net savings, discounted, as formulas: change a shaded cell "
                "on Inputs or Your area and every figure here moves.",
                NULL);
    for (size_t i = 0; i <= m->n_perspectives; i++)
        write_perspective(lv, ws, i,
                          i < m->n_perspectives ? (long)i : NS_ALL_PAYERS);
    xl_set_width(lv->b, ws, 0, 20.0);
    xl_set_width(lv->b, ws, 1, 20.0);
    for (size_t c = 2; c < N_SUMMARY_COLS; c++)
        xl_set_width(lv->b, ws, c, FIGURE_WIDTH);
    /* The chart reads the first perspective's net savings per client. */
    lxw_chart *chart = xl_new_chart(lv->b, LXW_CHART_COLUMN);
    if (!chart)
        return;
    size_t first = summary_row(lv, 0, 0), last = summary_row(lv, 0, lv->K - 1);
    xl_add_column_series(lv->b, chart, "Summary", first, last, COL_STRATEGY,
                         COL_NET);
    chart_title_set_name(chart, "Net savings per client (first perspective)");
    xl_format_bar_axes(chart);
    xl_insert_chart(lv->b, ws,
                    summary_row(lv, m->n_perspectives, lv->K - 1) + 3, 0,
                    chart);
    worksheet_protect(ws, NULL, NULL);
}

/* Below the years: what each payer saves from all years' starters of
 * each strategy (every payer's streams counted; the treatment's extra cost
 * is a negative saving of whoever pays it). */
static void
write_area_payers(struct live *lv, lxw_worksheet *ws, size_t first)
{
    const struct ns_model *m = lv->pop->models[0];
    double *by_payer = calloc(m->n_payers + 1, sizeof *by_payer);
    char *f = malloc(80 * (lv->J + 4) + 128);
    if (!by_payer || !f || m->cost_outcome < 0) {
        free(by_payer);
        free(f);
        return;
    }
    xl_put_text(lv->b, ws, first, 0,
                "savings by payer of all years' starters (discounted)",
                lv->b->bold);
    for (size_t p = 0; p < m->n_payers; p++)
        xl_put_text(lv->b, ws, first + 1, 1 + p, m->payers[p], lv->b->bold);
    for (size_t k = 0; k < lv->K; k++) {
        size_t row = first + 2 + k;
        xl_put_text(lv->b, ws, row, 0, m->strategies[k].name, NULL);
        if (m->comparator[k] < 0)
            continue;
        size_t c = (size_t)m->comparator[k];
        struct ns_ledger led;
        ns_ledger_compute(m, lv->pop->pooled, k, NS_ALL_PAYERS, true, &led,
                          by_payer);
        double cohort = ns_results_cohort(lv->pop->pooled, k), starts;
        char sp[160], ck[24];
        area_starts_text(lv, k, sp, sizeof sp, &starts);
        live_cell(ck, sizeof ck, cohort_row(lv, k), 4, true);
        for (size_t p = 0; p < m->n_payers; p++) {
            bool any = false;
            snprintf(f, 16, "(");
            for (size_t j = 0; j < lv->J; j++)
                if ((long)m->streams[j].outcome == m->cost_outcome &&
                    m->streams[j].payer == (long)p) {
                    add_difference(f, lv, c, k, j, !any);
                    any = true;
                }
            if (!any)
                strcat(f, "0");
            sprintf(f + strlen(f), ")/Totals!%s*%s", ck, sp);
            live_formula(lv, ws, row, 1 + p, f,
                         by_payer[p] / cohort * starts, lv->b->money);
        }
    }
    free(by_payer);
    free(f);
}

void
live_write_area(struct live *lv)
{
    const struct ns_model *m = lv->pop->models[0];
    const struct ns_live_area *a = lv->area;
    lxw_worksheet *ws = xl_add_sheet(lv->b, "Your area");
    if (!ws)
        return;
    xl_put_text(lv->b, ws, 0, 0, "Your area", lv->b->title);
    xl_put_text(lv->b, ws, 1, 0, "area", lv->b->bold);
    xl_put_text(lv->b, ws, 1, 1, a->name, lv->input);
    xl_put_text(lv->b, ws, 3, 0, "clients starting, by year", lv->b->bold);
    char text[64];
    for (size_t y = 0; y < a->n_years; y++) {
        snprintf(text, sizeof text, "year %zu", y + 1);
        xl_put_text(lv->b, ws, 3, 1 + y, text, lv->b->bold);
    }
    size_t net_row = 4 + lv->K + 2, fr = area_factor_row(lv);
    xl_put_text(lv->b, ws, fr, 0,
                "discount factor to the start of year 1", lv->b->bold);
    for (size_t y = 0; y < a->n_years; y++) {
        char df[160];
        if (m->cost_outcome >= 0)
            snprintf(df, sizeof df, "(1+%s)^(-%zu)",
                     lv->outcome_names[m->cost_outcome], y);
        else
            snprintf(df, sizeof df, "1");
        live_formula(lv, ws, fr, 1 + y, df, area_factor(lv, y), NULL);
    }
    xl_put_text(lv->b, ws, net_row - 1, 0,
                "net savings of each year's starters (headline perspective, "
                "per client times starts, discounted to the start of year 1)",
                lv->b->bold);
    char f[256];
    for (size_t k = 0; k < lv->K; k++) {
        xl_put_text(lv->b, ws, 4 + k, 0, m->strategies[k].name, NULL);
        xl_put_text(lv->b, ws, net_row + k, 0, m->strategies[k].name, NULL);
        if (m->comparator[k] < 0)
            continue;
        struct ns_ledger led;
        ns_ledger_compute(m, lv->pop->pooled, k, lv->b->headline, true, &led,
                          NULL);
        double per = led.net_savings / ns_results_cohort(lv->pop->pooled, k);
        char net[64];
        net_cell(lv, k, COL_NET, net, sizeof net);
        for (size_t y = 0; y < a->n_years; y++) {
            double s = a->starts[k * a->n_years + y];
            xl_put_number(lv->b, ws, 4 + k, 1 + y, s, lv->input);
            char sc[24], dc[24];
            live_cell(sc, sizeof sc, 4 + k, 1 + y, false);
            live_cell(dc, sizeof dc, fr, 1 + y, false);
            snprintf(f, sizeof f, "%s*%s*%s", sc, dc, net);
            live_formula(lv, ws, net_row + k, 1 + y, f,
                         s * area_factor(lv, y) * per, lv->b->money);
        }
    }
    /* Each year's total over strategies. */
    size_t tot = net_row + lv->K;
    xl_put_text(lv->b, ws, tot, 0, "all strategies", lv->b->bold);
    for (size_t y = 0; y < a->n_years; y++) {
        double sum = 0.0;
        for (size_t k = 0; k < lv->K; k++) {
            if (m->comparator[k] < 0)
                continue;
            struct ns_ledger led;
            ns_ledger_compute(m, lv->pop->pooled, k, lv->b->headline, true,
                              &led, NULL);
            sum += a->starts[k * a->n_years + y] * area_factor(lv, y) *
                   (led.net_savings / ns_results_cohort(lv->pop->pooled, k));
        }
        char c0[24], c1[24];
        live_cell(c0, sizeof c0, net_row, 1 + y, false);
        live_cell(c1, sizeof c1, tot - 1, 1 + y, false);
        snprintf(f, sizeof f, "SUM(%s:%s)", c0, c1);
        live_formula(lv, ws, tot, 1 + y, f, sum, lv->b->money);
    }
    write_area_payers(lv, ws, tot + 2);
    xl_set_width(lv->b, ws, 0, 28.0);
    worksheet_protect(ws, NULL, NULL);
}

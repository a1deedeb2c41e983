/* netsave: results as CSV files for analysts' scripts.
 *
 * Four tidy files, one observation per row, each written atomically:
 * trace.csv, values.csv, summary.csv and incremental.csv. A population
 * adds the validation targets and four cost-benefit files from the ledger
 * (model/ledger.h): net_savings.csv, payers.csv, net_savings_by_year.csv
 * and outcomes.csv, with rows per subgroup (when there are several) and
 * for the pooled population ("all"); totals are for the cohort as
 * [initial] defines it, as in summary.csv, not divided per client. Their
 * column names and order are a contract with users' R and Python code
 * (docs/outputs.md): add columns at the end, never rename or reorder.
 * Identifiers (names), never labels, appear in the files, so that scripts
 * can join on them. */
#include "output/csv_write.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/area.h"
#include "model/ledger.h"
#include "model/measures.h"
#include "model/population.h"

/* trace.csv: the cohort in each state at each time point. */
static void
write_trace(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    const struct ns_results *r = src->r;
    csv_put_raw(c, "strategy,cycle,state,occupancy\n");
    for (size_t k = 0; k < r->n_strategies && !c->err; k++)
        for (size_t t = 0; t < r->n_points && !c->err; t++)
            for (size_t s = 0; s < r->n_states; s++) {
                csv_put_text(c, m->strategies[k].name);
                csv_put_sep(c);
                csv_put_count(c, t);
                csv_put_sep(c);
                csv_put_text(c, m->states[s].name);
                csv_put_sep(c);
                csv_put_number(c, ns_results_trace(r, k, t, s));
                csv_end_row(c);
            }
}

/* values.csv: what each stream counts at each time point. */
static void
write_values(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    const struct ns_results *r = src->r;
    csv_put_raw(c, "strategy,cycle,stream,undiscounted,discounted\n");
    for (size_t k = 0; k < r->n_strategies && !c->err; k++)
        for (size_t t = 0; t < r->n_points && !c->err; t++)
            for (size_t j = 0; j < r->n_streams; j++) {
                csv_put_text(c, m->strategies[k].name);
                csv_put_sep(c);
                csv_put_count(c, t);
                csv_put_sep(c);
                csv_put_text(c, m->streams[j].name);
                csv_put_sep(c);
                csv_put_number(c, ns_results_value(r, k, t, j, false));
                csv_put_sep(c);
                csv_put_number(c, ns_results_value(r, k, t, j, true));
                csv_end_row(c);
            }
}

/* summary.csv: each stream's totals, and their differences from the
 * strategy's comparator (empty when it has none). */
static void
write_summary(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    const struct ns_results *r = src->r;
    csv_put_raw(c, "strategy,stream,outcome,total,discounted_total,comparator,"
                   "difference,discounted_difference,wtp,net_monetary_benefit,"
                   "net_health_benefit\n");
    for (size_t k = 0; k < r->n_strategies && !c->err; k++) {
        long cmp = m->comparator[k];
        for (size_t j = 0; j < r->n_streams; j++) {
            csv_put_text(c, m->strategies[k].name);
            csv_put_sep(c);
            csv_put_text(c, m->streams[j].name);
            csv_put_sep(c);
            csv_put_text(c, m->outcomes[m->streams[j].outcome].name);
            csv_put_sep(c);
            csv_put_number(c, ns_results_total(r, k, j, false));
            csv_put_sep(c);
            csv_put_number(c, ns_results_total(r, k, j, true));
            csv_put_sep(c);
            if (cmp >= 0) {
                size_t kc = (size_t)cmp;
                csv_put_text(c, m->strategies[kc].name);
                csv_put_sep(c);
                csv_put_number(c, ns_results_total(r, k, j, false) -
                                      ns_results_total(r, kc, j, false));
                csv_put_sep(c);
                csv_put_number(c, ns_results_total(r, k, j, true) -
                                      ns_results_total(r, kc, j, true));
            } else {
                csv_put_raw(c, ",,");
            }
            csv_put_net_benefits(c, m, r, k);
            csv_end_row(c);
        }
    }
}

/* incremental.csv: cost and health differences against the comparator,
 * undiscounted then discounted, for each strategy that has a comparator.
 * Only the header when the model names no cost or no health outcome. */
static void
write_incremental(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    const struct ns_results *r = src->r;
    csv_put_raw(c, "strategy,comparator,delta_cost,delta_health,icer,dominance,"
                   "discounted\n");
    if (m->cost_outcome < 0 || m->health_outcome < 0)
        return;
    for (size_t k = 0; k < r->n_strategies && !c->err; k++) {
        for (int disc = 0; disc <= 1; disc++) {
            struct ns_incremental inc;
            ns_results_incremental(m, r, k, disc, &inc);
            if (!inc.has_comparator || !inc.has_icer)
                break;
            csv_put_text(c, m->strategies[k].name);
            csv_put_sep(c);
            csv_put_text(c, m->strategies[inc.comparator].name);
            csv_put_sep(c);
            csv_put_number(c, inc.delta_cost);
            csv_put_sep(c);
            csv_put_number(c, inc.delta_health);
            csv_put_sep(c);
            if (!isnan(inc.icer))
                csv_put_number(c, inc.icer);
            csv_put_sep(c);
            csv_put_text(c, ns_dominance_name(inc.dominance));
            csv_put_sep(c);
            csv_put_raw(c, disc ? "1" : "0");
            csv_end_row(c);
        }
    }
}

/* ---- the population's cost-benefit files ---- */

/* Perspective i of the rows: the model's, then every payer (i equal to
 * n_perspectives). */
static long
perspective_at(const struct ns_model *m, size_t i)
{
    return i < m->n_perspectives ? (long)i : NS_ALL_PAYERS;
}

static const char *
perspective_name(const struct ns_model *m, size_t i)
{
    return i < m->n_perspectives ? m->perspectives[i].name : "all_payers";
}

/* The columns every cost-benefit row starts with. */
static void
put_row_start(struct csv *c, const struct ns_model *m, size_t k,
              const char *group)
{
    csv_put_pair(c, m, k);
    csv_put_text(c, group);
    csv_put_sep(c);
}

/* Scratch for one year per element, or NULL with c->err set. */
static double *
alloc_years(struct csv *c, const struct ns_model *m)
{
    double *years = calloc(ns_ledger_n_years(m), sizeof *years);
    if (!years && !c->err)
        c->err = ENOMEM;
    return years;
}

/* net_savings.csv: the ledger of each strategy with a comparator, per
 * subgroup (then pooled), perspective and basis (undiscounted first). */
static void
write_net_savings(struct csv *c, const struct source *src)
{
    const struct ns_model *m0 = src->m;
    const struct ns_population *pop = src->pop;
    csv_put_raw(c, "strategy,comparator,subgroup,perspective,discounted,"
                   "treatment_cost,savings,net_savings,benefit_cost_ratio,"
                   "payback_year,net_savings_per_place_year,"
                   "net_savings_for_cohort\n");
    if (m0->cost_outcome < 0)
        return;
    for (size_t k = 0; k < m0->n_strategies && !c->err; k++) {
        if (m0->comparator[k] < 0)
            continue;
        for (size_t g = ns_group_first(pop); g <= pop->n_groups; g++) {
            const struct ns_model *m = ns_group_model(pop, g);
            const struct ns_results *r = ns_group_results(pop, g);
            double cohort = ns_results_cohort(r, k);
            for (size_t i = 0; i <= m->n_perspectives; i++)
                for (int disc = 0; disc <= 1; disc++) {
                    struct ns_ledger led;
                    ns_ledger_compute(m, r, k, perspective_at(m, i), disc,
                                      &led, NULL);
                    size_t payback = ns_ledger_payback(&led);
                    put_row_start(c, m, k, ns_group_name(pop, g));
                    csv_put_text(c, perspective_name(m, i));
                    csv_put_sep(c);
                    csv_put_raw(c, disc ? "1" : "0");
                    csv_put_sep(c);
                    csv_put_numbers(c,
                                    (const double[]){led.treatment_cost,
                                                     led.savings,
                                                     led.net_savings},
                                    3);
                    csv_put_sep(c);
                    csv_put_optional(c, led.benefit_cost_ratio);
                    csv_put_sep(c);
                    if (payback > 0)
                        csv_put_count(c, payback);
                    csv_put_sep(c);
                    csv_put_optional(
                        c, ns_ledger_per_place_year(m, r, k, &led));
                    csv_put_sep(c);
                    if (m->report_cohort > 0.0 && cohort > 0.0)
                        csv_put_number(c, led.net_savings / cohort *
                                              m->report_cohort);
                    csv_end_row(c);
                }
        }
    }
}

/* payers.csv: savings borne by each payer (all payers counted). */
static void
write_payers(struct csv *c, const struct source *src)
{
    const struct ns_model *m0 = src->m;
    const struct ns_population *pop = src->pop;
    csv_put_raw(c, "strategy,comparator,subgroup,discounted,payer,savings\n");
    if (m0->cost_outcome < 0)
        return;
    double *by_payer = calloc(m0->n_payers + 1, sizeof *by_payer);
    if (!by_payer) {
        c->err = ENOMEM;
        return;
    }
    for (size_t k = 0; k < m0->n_strategies && !c->err; k++) {
        if (m0->comparator[k] < 0)
            continue;
        for (size_t g = ns_group_first(pop); g <= pop->n_groups; g++) {
            const struct ns_model *m = ns_group_model(pop, g);
            const struct ns_results *r = ns_group_results(pop, g);
            for (int disc = 0; disc <= 1; disc++) {
                struct ns_ledger led;
                ns_ledger_compute(m, r, k, NS_ALL_PAYERS, disc, &led, by_payer);
                for (size_t p = 0; p < m->n_payers; p++) {
                    put_row_start(c, m, k, ns_group_name(pop, g));
                    csv_put_raw(c, disc ? "1" : "0");
                    csv_put_sep(c);
                    csv_put_text(c, m->payers[p]);
                    csv_put_sep(c);
                    csv_put_number(c, by_payer[p]);
                    csv_end_row(c);
                }
            }
        }
    }
    free(by_payer);
}

/* net_savings_by_year.csv: net savings in each year of the horizon and
 * their running total. */
static void
write_net_savings_by_year(struct csv *c, const struct source *src)
{
    const struct ns_model *m0 = src->m;
    const struct ns_population *pop = src->pop;
    csv_put_raw(c, "strategy,comparator,subgroup,perspective,discounted,year,"
                   "net_savings,cumulative_net_savings\n");
    if (m0->cost_outcome < 0)
        return;
    size_t n_years = ns_ledger_n_years(m0);
    double *years = alloc_years(c, m0);
    for (size_t k = 0; years && k < m0->n_strategies && !c->err; k++) {
        if (m0->comparator[k] < 0)
            continue;
        for (size_t g = ns_group_first(pop); g <= pop->n_groups; g++) {
            const struct ns_model *m = ns_group_model(pop, g);
            const struct ns_results *r = ns_group_results(pop, g);
            for (size_t i = 0; i <= m->n_perspectives; i++)
                for (int disc = 0; disc <= 1; disc++) {
                    ns_ledger_by_year(m, r, k, perspective_at(m, i), disc,
                                      years);
                    double cumulative = 0.0;
                    for (size_t y = 0; y < n_years; y++) {
                        cumulative += years[y];
                        put_row_start(c, m, k, ns_group_name(pop, g));
                        csv_put_text(c, perspective_name(m, i));
                        csv_put_sep(c);
                        csv_put_raw(c, disc ? "1" : "0");
                        csv_put_sep(c);
                        csv_put_count(c, y + 1);
                        csv_put_sep(c);
                        csv_put_number(c, years[y]);
                        csv_put_sep(c);
                        csv_put_number(c, cumulative);
                        csv_end_row(c);
                    }
                }
        }
    }
    free(years);
}

/* The columns that say what a target is taken on, added after the first
 * twelve: role, subgroup (empty: pooled), relative_to (empty: none) and
 * period_years (0: a time point). */
static void
put_target_scope(struct csv *c, const struct ns_target_info *t)
{
    csv_put_sep(c);
    csv_put_raw(c, t->role == NS_ROLE_HOLDOUT ? "holdout" : "fit");
    csv_put_sep(c);
    csv_put_text(c, t->subgroup ? t->subgroup : "");
    csv_put_sep(c);
    csv_put_optional(c, t->has_relative_to ? t->relative_to : NS_NAN);
    csv_put_sep(c);
    csv_put_number(c, t->period_years);
}

/* validation.csv: each target against the model (pooled, or its
 * subgroup). A target the model cannot compute has an empty prediction. */
static void
write_validation(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    csv_put_raw(c, "time_years,arms,measure,note,observed,predicted,difference,"
                   "tolerance,within_tolerance,grade,binding,source,role,"
                   "subgroup,relative_to,period_years");
    csv_end_row(c);
    if (m->n_targets == 0)
        return;
    struct ns_target_result *res = calloc(m->n_targets, sizeof *res);
    struct ns_diags quiet = {0};
    if (!res) {
        c->err = ENOMEM;
        return;
    }
    if (ns_targets_evaluate(src->pop, NULL, res, &quiet) == NS_ENOMEM)
        c->err = ENOMEM;
    ns_diags_clear(&quiet);
    for (size_t i = 0; i < m->n_targets; i++) {
        const struct ns_target_info *t = &m->targets[i];
        csv_put_number(c, t->time_years);
        csv_put_sep(c);
        csv_put_text(c, t->arms);
        csv_put_sep(c);
        csv_put_text(c, m->measures[t->measure].name);
        csv_put_sep(c);
        csv_put_text(c, t->note);
        csv_put_sep(c);
        csv_put_number(c, t->observed);
        csv_put_sep(c);
        csv_put_optional(c, res[i].predicted);
        csv_put_sep(c);
        csv_put_optional(c, res[i].difference);
        csv_put_sep(c);
        csv_put_number(c, t->tolerance);
        csv_put_sep(c);
        csv_put_raw(c, res[i].within ? "1" : "0");
        csv_put_sep(c);
        char grade[2] = {t->grade, '\0'};
        csv_put_raw(c, grade);
        csv_put_sep(c);
        csv_put_raw(c, ns_target_is_binding(t) ? "1" : "0");
        csv_put_sep(c);
        csv_put_text(c, t->source);
        put_target_scope(c, t);
        csv_end_row(c);
    }
    free(res);
}

/* outcomes.csv: every outcome's undiscounted total in its own unit, with
 * the comparator's and the difference. */
static void
write_outcomes(struct csv *c, const struct source *src)
{
    const struct ns_model *m0 = src->m;
    const struct ns_population *pop = src->pop;
    csv_put_raw(c,
                "strategy,comparator,subgroup,outcome,total,comparator_total,"
                "difference\n");
    for (size_t k = 0; k < m0->n_strategies && !c->err; k++) {
        if (m0->comparator[k] < 0)
            continue;
        size_t kc = (size_t)m0->comparator[k];
        for (size_t g = ns_group_first(pop); g <= pop->n_groups; g++) {
            const struct ns_results *r = ns_group_results(pop, g);
            for (size_t o = 0; o < m0->n_outcomes; o++) {
                double total = ns_results_outcome(r, k, o, false);
                double base = ns_results_outcome(r, kc, o, false);
                put_row_start(c, m0, k, ns_group_name(pop, g));
                csv_put_text(c, m0->outcomes[o].name);
                csv_put_sep(c);
                csv_put_number(c, total);
                csv_put_sep(c);
                csv_put_number(c, base);
                csv_put_sep(c);
                csv_put_number(c, total - base);
                csv_end_row(c);
            }
        }
    }
}

/* ---- the area's files ---- */

/* Strategy i of the area's rows: each treated one, then "all" (i equal
 * to n_strategies). */
static void
put_area_start(struct csv *c, const struct ns_model *m, size_t i)
{
    csv_put_text(c, m->area->name);
    csv_put_sep(c);
    csv_put_text(c, i < m->n_strategies ? m->strategies[i].name : "all");
    csv_put_sep(c);
    if (i < m->n_strategies)
        csv_put_text(c, m->strategies[m->comparator[i]].name);
    csv_put_sep(c);
}

/* Scratch for the area's years (and their payers), or NULL with c->err
 * set. */
static struct ns_area_year *
alloc_area_years(struct csv *c, const struct ns_model *m, double **by_payer)
{
    size_t n = ns_area_n_years(m);
    struct ns_area_year *years = calloc(n, sizeof *years);
    *by_payer = calloc(n * m->n_payers + 1, sizeof **by_payer);
    if (!years || !*by_payer) {
        free(years);
        free(*by_payer);
        *by_payer = NULL;
        c->err = ENOMEM;
        return NULL;
    }
    return years;
}

/* Whether a model has area rows to write: an area and a cost outcome. */
static bool
has_area(const struct ns_model *m)
{
    return m->area && m->cost_outcome >= 0;
}

/* area.csv: the area's totals per year, for each treated strategy and
 * all of them, per perspective and basis (model/area.h). */
static void
write_area_rows(struct csv *c, const struct ns_model *m,
                const struct ns_results *r)
{
    double *unused = NULL;
    struct ns_area_year *years = has_area(m) ? alloc_area_years(c, m, &unused)
                                             : NULL;
    for (size_t i = 0; years && i <= m->n_strategies && !c->err; i++) {
        if (i < m->n_strategies && m->comparator[i] < 0)
            continue;
        for (size_t v = 0; v <= m->n_perspectives; v++)
            for (int disc = 0; disc <= 1; disc++) {
                if (ns_area_totals(m, r,
                                   i < m->n_strategies ? i : NS_AREA_ALL,
                                   perspective_at(m, v), disc, years,
                                   NULL) != NS_OK)
                    c->err = ENOMEM;
                for (size_t y = 0; y < ns_area_n_years(m); y++) {
                    put_area_start(c, m, i);
                    csv_put_text(c, perspective_name(m, v));
                    csv_put_sep(c);
                    csv_put_raw(c, disc ? "1" : "0");
                    csv_put_sep(c);
                    csv_put_count(c, y + 1);
                    csv_put_sep(c);
                    const struct ns_area_year *a = &years[y];
                    csv_put_numbers(c,
                                    (const double[]){a->starts,
                                                     a->treatment_cost,
                                                     a->savings,
                                                     a->net_savings,
                                                     a->cumulative_net_savings},
                                    5);
                    csv_end_row(c);
                }
            }
    }
    free(unused);
    free(years);
}

static const char area_header[] =
    "area,strategy,comparator,perspective,discounted,year,starts,"
    "treatment_cost,savings,net_savings,cumulative_net_savings\n";

static void
write_area(struct csv *c, const struct source *src)
{
    csv_put_raw(c, area_header);
    write_area_rows(c, src->m, src->r);
}

/* area_payers.csv: each payer's savings from the area per year (all
 * payers counted, as payers.csv). */
static void
write_area_payer_rows(struct csv *c, const struct ns_model *m,
                      const struct ns_results *r)
{
    double *by_payer = NULL;
    struct ns_area_year *years =
        has_area(m) ? alloc_area_years(c, m, &by_payer) : NULL;
    size_t Q = m->n_payers;
    for (size_t i = 0; years && i <= m->n_strategies && !c->err; i++) {
        if (i < m->n_strategies && m->comparator[i] < 0)
            continue;
        for (int disc = 0; disc <= 1; disc++) {
            if (ns_area_totals(m, r,
                               i < m->n_strategies ? i : NS_AREA_ALL,
                               NS_ALL_PAYERS, disc, years, by_payer) != NS_OK)
                c->err = ENOMEM;
            for (size_t y = 0; y < ns_area_n_years(m); y++)
                for (size_t q = 0; q < Q; q++) {
                    put_area_start(c, m, i);
                    csv_put_raw(c, disc ? "1" : "0");
                    csv_put_sep(c);
                    csv_put_count(c, y + 1);
                    csv_put_sep(c);
                    csv_put_text(c, m->payers[q]);
                    csv_put_sep(c);
                    csv_put_number(c, by_payer[y * Q + q]);
                    csv_end_row(c);
                }
        }
    }
    free(by_payer);
    free(years);
}

static const char area_payers_header[] =
    "area,strategy,comparator,discounted,year,payer,savings\n";

static void
write_area_payers(struct csv *c, const struct source *src)
{
    csv_put_raw(c, area_payers_header);
    write_area_payer_rows(c, src->m, src->r);
}

/* area.csv and area_payers.csv of a sweep: every area's rows in turn. */
static void
write_areas(struct csv *c, const struct source *src)
{
    csv_put_raw(c, area_header);
    for (size_t i = 0; i < src->n_scenarios; i++)
        write_area_rows(c, src->scenarios[i].model,
                        src->scenarios[i].results);
}

static void
write_areas_payers(struct csv *c, const struct source *src)
{
    csv_put_raw(c, area_payers_header);
    for (size_t i = 0; i < src->n_scenarios; i++)
        write_area_payer_rows(c, src->scenarios[i].model,
                              src->scenarios[i].results);
}

enum ns_status
ns_csv_write_areas(const char *dir, const struct ns_scenario_result *areas,
                   size_t n, struct ns_atomic_set *set, char *err,
                   size_t err_size)
{
    const struct source src = {.set = set, .scenarios = areas,
                               .n_scenarios = n};
    enum ns_status st =
        csv_write_file(dir, "area.csv", write_areas, &src, err, err_size);
    if (st == NS_OK)
        st = csv_write_file(dir, "area_payers.csv", write_areas_payers, &src,
                            err, err_size);
    return st;
}

static const struct {
    const char *name;
    write_fn *write;
} csv_files[] = {
    {"trace.csv", write_trace},
    {"values.csv", write_values},
    {"summary.csv", write_summary},
    {"incremental.csv", write_incremental},
};

/* The population's files: the four above for the pooled results, then
 * these, in this order. */
static const struct {
    const char *name;
    write_fn *write;
} population_files[] = {
    {"validation.csv", write_validation},
    {"net_savings.csv", write_net_savings},
    {"payers.csv", write_payers},
    {"net_savings_by_year.csv", write_net_savings_by_year},
    {"outcomes.csv", write_outcomes},
    {"frontier.csv", csv_write_frontier},
    {"area.csv", write_area},
    {"area_payers.csv", write_area_payers},
};

enum ns_status
ns_csv_write_results(const char *dir, const struct ns_model *model,
                     const struct ns_results *results,
                     struct ns_atomic_set *set, char *err,
                     size_t err_size)
{
    /* Results of another model are a caller's bug that would otherwise
     * read out of bounds. */
    if (!ns_results_match(model, results)) {
        snprintf(err, err_size,
                 "cannot write CSV files in %s: results do not match the "
                 "model",
                 dir);
        return NS_EOUTPUT;
    }
    const struct source src = {.set = set,
    .m = model, .r = results, .pop = NULL};
    for (size_t i = 0; i < sizeof csv_files / sizeof csv_files[0]; i++) {
        enum ns_status st = csv_write_file(
            dir, csv_files[i].name, csv_files[i].write, &src, err, err_size);
        if (st != NS_OK)
            return st;
    }
    return NS_OK;
}

enum ns_status
ns_csv_write_population(const char *dir, const struct ns_population *pop,
                        struct ns_atomic_set *set,
                        char *err, size_t err_size)
{
    const char *why = ns_population_check(pop);
    if (why) {
        snprintf(err, err_size, "cannot write CSV files in %s: %s", dir, why);
        return NS_EOUTPUT;
    }
    enum ns_status st =
        ns_csv_write_results(dir, pop->models[0], pop->pooled, set,
                             err, err_size);
    const struct source src = {.set = set,
        .m = pop->models[0], .r = pop->pooled, .pop = pop};
    for (size_t i = 0; st == NS_OK &&
                       i < sizeof population_files / sizeof population_files[0];
         i++)
        st = csv_write_file(dir, population_files[i].name,
                            population_files[i].write, &src, err, err_size);
    return st;
}

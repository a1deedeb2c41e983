/* netsave: results as CSV files for analysts' scripts.
 *
 * Four tidy files, one observation per row, each written atomically:
 * trace.csv, values.csv, summary.csv and incremental.csv. A population
 * adds four cost-benefit files from the ledger (model/ledger.h):
 * net_savings.csv, payers.csv, net_savings_by_year.csv and outcomes.csv,
 * with rows per subgroup (when there are several) and for the pooled
 * population ("all"); totals are for the cohort as [initial] defines it,
 * as in summary.csv, not divided per client. Their column
 * names and order are a contract with users' R and Python code
 * (docs/outputs.md): add columns at the end, never rename or reorder.
 * Text fields are quoted as RFC 4180 says (only when they hold a comma, a
 * double quote or a line break); lines end with "\n". Numbers are printed
 * with 17 significant digits so that strtod() gives back the very same
 * double: the files are for further computation, and rounding is for
 * people (the workbook's number formats). Identifiers (names), never
 * labels, appear in the files, so that scripts can join on them. */
#include "output/output.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/ledger.h"
#include "model/measures.h"
#include "model/population.h"
#include "model/analysis/psa.h"
#include "model/analysis/dsa.h"
#include "model/analysis/expansion.h"
#include "model/verify.h"
#include "output/atomic.h"
#include "output/headline.h"

struct csv {
    FILE *fp;
    int err; /* errno of the first write that failed, 0 while all succeed */
};

/* What a file is written from: one model's results, or a population
 * (pop set, m and r its first model and pooled results). */
struct source {
    const struct ns_model *m;
    const struct ns_results *r;
    const struct ns_population *pop;
    const struct ns_checks *checks; /* for checks.csv only */
    const struct ns_attrition_table *attrition; /* for attrition.csv only */
    const struct ns_psa *psa;                   /* for the PSA files */
    const struct ns_tornado_bar *bars;          /* for tornado.csv */
    size_t n_bars, a, b, n_grid;
    const double *values;                       /* base, or the grid */
    const double *payer_values;                 /* tornado by payer */
    const struct ns_scenario_result *scenarios; /* for scenarios.csv */
    size_t n_scenarios;
    const struct ns_expansion *const *expansions; /* for expansion.csv */
    const size_t *expansion_strategy;
    const char *const *expansion_places;
    const struct ns_anchor_report *anchors;     /* for anchors.csv */
    size_t n_anchors;
    long perspective;
    double population;
};

/* Writes s as it is, unless an earlier write failed. */
static void
put_raw(struct csv *c, const char *s)
{
    if (c->err)
        return;
    errno = 0;
    if (fputs(s, c->fp) == EOF)
        c->err = errno ? errno : EIO;
}

/* Writes n bytes of s as they are, unless an earlier write failed. */
static void
put_bytes(struct csv *c, const char *s, size_t n)
{
    if (c->err || n == 0)
        return;
    errno = 0;
    if (fwrite(s, 1, n, c->fp) != n)
        c->err = errno ? errno : EIO;
}

/* Writes a text field, quoted when it holds a comma, a quote or a line
 * break, with quotes inside doubled (RFC 4180). NULL writes an empty
 * field. */
static void
put_text(struct csv *c, const char *s)
{
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        put_raw(c, s);
        return;
    }
    put_raw(c, "\"");
    for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
        put_bytes(c, s, (size_t)(q - s) + 1);
        put_raw(c, "\"");
    }
    put_raw(c, s);
    put_raw(c, "\"");
}

/* Writes a number that reads back exactly. Non-finite values, which an
 * honest model never produces, are spelled the way R, pandas and strtod
 * all read them. */
static void
put_number(struct csv *c, double v)
{
    char buf[40];
    if (isnan(v))
        put_raw(c, "NaN");
    else if (isinf(v))
        put_raw(c, v > 0 ? "Inf" : "-Inf");
    else {
        snprintf(buf, sizeof buf, "%.17g", v);
        put_raw(c, buf);
    }
}

static void
put_count(struct csv *c, size_t n)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%zu", n);
    put_raw(c, buf);
}

static void
put_sep(struct csv *c)
{
    put_raw(c, ",");
}

/* Writes n numbers as consecutive fields, separated by commas. */
static void
put_numbers(struct csv *c, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            put_sep(c);
        put_number(c, v[i]);
    }
}

/* Writes n text fields, separated by commas. */
static void
put_texts(struct csv *c, const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            put_sep(c);
        put_text(c, v[i]);
    }
}

static void
end_row(struct csv *c)
{
    put_raw(c, "\n");
}

/* trace.csv: the cohort in each state at each time point. */
static void
write_trace(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    const struct ns_results *r = src->r;
    put_raw(c, "strategy,cycle,state,occupancy\n");
    for (size_t k = 0; k < r->n_strategies && !c->err; k++)
        for (size_t t = 0; t < r->n_points && !c->err; t++)
            for (size_t s = 0; s < r->n_states; s++) {
                put_text(c, m->strategies[k].name);
                put_sep(c);
                put_count(c, t);
                put_sep(c);
                put_text(c, m->states[s].name);
                put_sep(c);
                put_number(c, ns_results_trace(r, k, t, s));
                end_row(c);
            }
}

/* values.csv: what each stream counts at each time point. */
static void
write_values(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    const struct ns_results *r = src->r;
    put_raw(c, "strategy,cycle,stream,undiscounted,discounted\n");
    for (size_t k = 0; k < r->n_strategies && !c->err; k++)
        for (size_t t = 0; t < r->n_points && !c->err; t++)
            for (size_t j = 0; j < r->n_streams; j++) {
                put_text(c, m->strategies[k].name);
                put_sep(c);
                put_count(c, t);
                put_sep(c);
                put_text(c, m->streams[j].name);
                put_sep(c);
                put_number(c, ns_results_value(r, k, t, j, false));
                put_sep(c);
                put_number(c, ns_results_value(r, k, t, j, true));
                end_row(c);
            }
}

/* summary.csv: each stream's totals, and their differences from the
 * strategy's comparator (empty when it has none). */
static void
write_summary(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    const struct ns_results *r = src->r;
    put_raw(c, "strategy,stream,outcome,total,discounted_total,comparator,"
               "difference,discounted_difference\n");
    for (size_t k = 0; k < r->n_strategies && !c->err; k++) {
        long cmp = m->comparator[k];
        for (size_t j = 0; j < r->n_streams; j++) {
            put_text(c, m->strategies[k].name);
            put_sep(c);
            put_text(c, m->streams[j].name);
            put_sep(c);
            put_text(c, m->outcomes[m->streams[j].outcome].name);
            put_sep(c);
            put_number(c, ns_results_total(r, k, j, false));
            put_sep(c);
            put_number(c, ns_results_total(r, k, j, true));
            put_sep(c);
            if (cmp >= 0) {
                size_t kc = (size_t)cmp;
                put_text(c, m->strategies[kc].name);
                put_sep(c);
                put_number(c, ns_results_total(r, k, j, false) -
                                  ns_results_total(r, kc, j, false));
                put_sep(c);
                put_number(c, ns_results_total(r, k, j, true) -
                                  ns_results_total(r, kc, j, true));
            } else {
                put_raw(c, ",,");
            }
            end_row(c);
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
    put_raw(c, "strategy,comparator,delta_cost,delta_health,icer,dominance,"
               "discounted\n");
    if (m->cost_outcome < 0 || m->health_outcome < 0)
        return;
    for (size_t k = 0; k < r->n_strategies && !c->err; k++) {
        for (int disc = 0; disc <= 1; disc++) {
            struct ns_incremental inc;
            ns_results_incremental(m, r, k, disc, &inc);
            if (!inc.has_comparator || !inc.has_icer)
                break;
            put_text(c, m->strategies[k].name);
            put_sep(c);
            put_text(c, m->strategies[inc.comparator].name);
            put_sep(c);
            put_number(c, inc.delta_cost);
            put_sep(c);
            put_number(c, inc.delta_health);
            put_sep(c);
            if (!isnan(inc.icer))
                put_number(c, inc.icer);
            put_sep(c);
            put_text(c, ns_dominance_name(inc.dominance));
            put_sep(c);
            put_raw(c, disc ? "1" : "0");
            end_row(c);
        }
    }
}

/* ---- the population's cost-benefit files ---- */

/* Writes a number, or an empty field ("not applicable") for one that is
 * not finite: a ratio without a denominator, a figure without a
 * comparator, an anchor figure netsave cannot compute (its
 * not_computable column says why). */
static void
put_optional(struct csv *c, double v)
{
    if (isfinite(v))
        put_number(c, v);
}

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
    put_text(c, m->strategies[k].name);
    put_sep(c);
    put_text(c, m->strategies[m->comparator[k]].name);
    put_sep(c);
    put_text(c, group);
    put_sep(c);
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
    put_raw(c, "strategy,comparator,subgroup,perspective,discounted,"
               "treatment_cost,savings,net_savings,benefit_cost_ratio,"
               "payback_year,net_savings_per_place_year,"
               "net_savings_for_cohort\n");
    if (m0->cost_outcome < 0)
        return;
    double *years = alloc_years(c, m0);
    for (size_t k = 0; years && k < m0->n_strategies && !c->err; k++) {
        if (m0->comparator[k] < 0)
            continue;
        for (size_t g = ns_group_first(pop); g <= pop->n_groups; g++) {
            const struct ns_model *m = ns_group_model(pop, g);
            const struct ns_results *r = ns_group_results(pop, g);
            for (size_t i = 0; i <= m->n_perspectives; i++)
                for (int disc = 0; disc <= 1; disc++) {
                    struct ns_headline h;
                    ns_headline_compute(m, r, k, perspective_at(m, i), disc,
                                        years, &h);
                    put_row_start(c, m, k, ns_group_name(pop, g));
                    put_text(c, perspective_name(m, i));
                    put_sep(c);
                    put_raw(c, disc ? "1" : "0");
                    put_sep(c);
                    put_numbers(c,
                                (const double[]){h.ledger.treatment_cost,
                                                 h.ledger.savings,
                                                 h.ledger.net_savings},
                                3);
                    put_sep(c);
                    put_optional(c, h.ledger.benefit_cost_ratio);
                    put_sep(c);
                    if (h.payback_year > 0)
                        put_count(c, h.payback_year);
                    put_sep(c);
                    put_optional(c, h.per_place_year);
                    put_sep(c);
                    if (m->report_cohort > 0.0 && h.cohort > 0.0)
                        put_number(c, h.ledger.net_savings / h.cohort *
                                          m->report_cohort);
                    end_row(c);
                }
        }
    }
    free(years);
}

/* payers.csv: savings borne by each payer (all payers counted). */
static void
write_payers(struct csv *c, const struct source *src)
{
    const struct ns_model *m0 = src->m;
    const struct ns_population *pop = src->pop;
    put_raw(c, "strategy,comparator,subgroup,discounted,payer,savings\n");
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
                    put_raw(c, disc ? "1" : "0");
                    put_sep(c);
                    put_text(c, m->payers[p]);
                    put_sep(c);
                    put_number(c, by_payer[p]);
                    end_row(c);
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
    put_raw(c, "strategy,comparator,subgroup,perspective,discounted,year,"
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
                        put_text(c, perspective_name(m, i));
                        put_sep(c);
                        put_raw(c, disc ? "1" : "0");
                        put_sep(c);
                        put_count(c, y + 1);
                        put_sep(c);
                        put_number(c, years[y]);
                        put_sep(c);
                        put_number(c, cumulative);
                        end_row(c);
                    }
                }
        }
    }
    free(years);
}

/* outcomes.csv: every outcome's undiscounted total in its own unit, with
 * the comparator's and the difference. */
/* The columns that say what a target is taken on, added after the first
 * twelve: role, subgroup (empty: pooled), relative_to (empty: none) and
 * period_years (0: a time point). */
static void
put_target_scope(struct csv *c, const struct ns_target_info *t)
{
    put_sep(c);
    put_raw(c, t->role == NS_ROLE_HOLDOUT ? "holdout" : "fit");
    put_sep(c);
    put_text(c, t->subgroup ? t->subgroup : "");
    put_sep(c);
    put_optional(c, t->has_relative_to ? t->relative_to : NS_NAN);
    put_sep(c);
    put_number(c, t->period_years);
}

/* validation.csv: each target against the model (pooled, or its
 * subgroup). A target the model cannot compute has an empty prediction. */
static void
write_validation(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    put_raw(c, "time_years,arms,measure,note,observed,predicted,difference,"
               "tolerance,within_tolerance,grade,binding,source,role,"
               "subgroup,relative_to,period_years");
    end_row(c);
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
        put_number(c, t->time_years);
        put_sep(c);
        put_text(c, t->arms);
        put_sep(c);
        put_text(c, m->measures[t->measure].name);
        put_sep(c);
        put_text(c, t->note);
        put_sep(c);
        put_number(c, t->observed);
        put_sep(c);
        put_optional(c, res[i].predicted);
        put_sep(c);
        put_optional(c, res[i].difference);
        put_sep(c);
        put_number(c, t->tolerance);
        put_sep(c);
        put_raw(c, res[i].within ? "1" : "0");
        put_sep(c);
        char grade[2] = {t->grade, '\0'};
        put_raw(c, grade);
        put_sep(c);
        put_raw(c, ns_target_is_binding(t) ? "1" : "0");
        put_sep(c);
        put_text(c, t->source);
        put_target_scope(c, t);
        end_row(c);
    }
    free(res);
}

static void
write_outcomes(struct csv *c, const struct source *src)
{
    const struct ns_model *m0 = src->m;
    const struct ns_population *pop = src->pop;
    put_raw(c, "strategy,comparator,subgroup,outcome,total,comparator_total,"
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
                put_text(c, m0->outcomes[o].name);
                put_sep(c);
                put_number(c, total);
                put_sep(c);
                put_number(c, base);
                put_sep(c);
                put_number(c, total - base);
                end_row(c);
            }
        }
    }
}

typedef void write_fn(struct csv *c, const struct source *src);

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
};

const char *const ns_csv_names[] = {
    "trace.csv",        "values.csv",
    "summary.csv",      "incremental.csv",
    "validation.csv",   "net_savings.csv",
    "payers.csv",       "net_savings_by_year.csv",
    "outcomes.csv",     "checks.csv",
    "attrition.csv",    "psa_summary.csv",
    "ceac.csv",         "psa_draws.csv",
    "tornado.csv",      "tornado_by_payer.csv",
    "two_way.csv",      "scenarios.csv",
    "scenario_changes.csv", "expansion.csv",
    "expansion_payers.csv", "anchors.csv",
    "anchors_arms.csv",
};
const size_t ns_csv_n_names = sizeof ns_csv_names / sizeof *ns_csv_names;

/* The commands check ns_csv_names for files they read before any work:
 * a file written that is not listed could replace an input unchecked, so
 * it is refused here, where every test that writes it would fail. */
static bool
listed(const char *name, char *err, size_t err_size)
{
    for (size_t i = 0; i < ns_csv_n_names; i++)
        if (strcmp(ns_csv_names[i], name) == 0)
            return true;
    snprintf(err, err_size, "internal error: %s is not in ns_csv_names",
             name);
    return false;
}

/* Writes one file of dir atomically. */
static enum ns_status
write_file(const char *dir, const char *name, write_fn *write,
           const struct source *src, char *err, size_t err_size)
{
    if (!listed(name, err, err_size))
        return NS_EIO;
    size_t dir_len = strlen(dir);
    bool slash = dir_len > 0 && dir[dir_len - 1] == '/';
    size_t size = dir_len + 1 + strlen(name) + 1;
    char *path = malloc(size);
    if (!path) {
        snprintf(err, err_size, "cannot write %s: %s", name, strerror(ENOMEM));
        return NS_EIO;
    }
    snprintf(path, size, "%s%s%s", dir, slash ? "" : "/", name);

    struct ns_atomic a;
    enum ns_status st = ns_atomic_begin(&a, path, 1, err, err_size);
    if (st == NS_OK) {
        struct csv c = {.fp = a.fp, .err = 0};
        write(&c, src);
        if (c.err) {
            snprintf(err, err_size, "cannot write %s: %s", path,
                     strerror(c.err));
            ns_atomic_abort(&a);
            st = NS_EIO;
        } else {
            st = ns_atomic_commit(&a, err, err_size);
        }
    }
    free(path);
    return st;
}

/* Checks that results were sized for this model: a mismatch is a caller's
 * bug that would otherwise read out of bounds. */
static bool
results_match(const struct ns_model *m, const struct ns_results *r)
{
    return r->n_strategies == m->n_strategies &&
           r->n_points == m->n_cycles + 1 && r->n_states == m->n_states &&
           r->n_streams == m->n_streams && r->n_outcomes == m->n_outcomes;
}

enum ns_status
ns_csv_write_results(const char *dir, const struct ns_model *model,
                     const struct ns_results *results, char *err,
                     size_t err_size)
{
    if (!results_match(model, results)) {
        snprintf(err, err_size,
                 "cannot write CSV files in %s: results do not match the "
                 "model",
                 dir);
        return NS_EOUTPUT;
    }
    const struct source src = {.m = model, .r = results, .pop = NULL};
    for (size_t i = 0; i < sizeof csv_files / sizeof csv_files[0]; i++) {
        enum ns_status st = write_file(dir, csv_files[i].name,
                                       csv_files[i].write, &src, err, err_size);
        if (st != NS_OK)
            return st;
    }
    return NS_OK;
}

enum ns_status
ns_csv_write_population(const char *dir, const struct ns_population *pop,
                        char *err, size_t err_size)
{
    const char *why = ns_population_check(pop);
    if (why) {
        snprintf(err, err_size, "cannot write CSV files in %s: %s", dir, why);
        return NS_EOUTPUT;
    }
    enum ns_status st =
        ns_csv_write_results(dir, pop->models[0], pop->pooled, err, err_size);
    const struct source src = {
        .m = pop->models[0], .r = pop->pooled, .pop = pop};
    for (size_t i = 0; st == NS_OK &&
                       i < sizeof population_files / sizeof population_files[0];
         i++)
        st = write_file(dir, population_files[i].name,
                        population_files[i].write, &src, err, err_size);
    return st;
}

/* checks.csv: the verification checks of the run. */
static void
write_checks(struct csv *c, const struct source *src)
{
    const struct ns_checks *checks = src->checks;
    put_raw(c, "group,check,passed,detail");
    end_row(c);
    for (size_t i = 0; checks && i < checks->n; i++) {
        const struct ns_check *k = &checks->items[i];
        put_text(c, k->group);
        put_sep(c);
        put_text(c, k->name);
        put_sep(c);
        put_raw(c, k->passed ? "1" : "0");
        put_sep(c);
        put_text(c, k->detail);
        end_row(c);
    }
}

enum ns_status
ns_csv_write_checks(const char *dir, const struct ns_checks *checks,
                    char *err, size_t err_size)
{
    const struct source src = {.checks = checks};
    return write_file(dir, "checks.csv", write_checks, &src, err, err_size);
}

/* attrition.csv: net savings by assumption about the lost, and the
 * tipping points. */
static void
write_attrition(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    const struct ns_attrition_table *t = src->attrition;
    static const char *const names[3] = {"as observed", "back at intake",
                                         "worse by delta"};
    const char *view = t->perspective == NS_ALL_PAYERS
                           ? "all_payers"
                           : m->perspectives[t->perspective].name;
    size_t K = m->n_strategies;
    put_raw(c, "strategy,comparator,perspective,assumption,delta,"
               "net_savings");
    end_row(c);
    for (size_t k = 0; k < K; k++) {
        if (m->comparator[k] < 0)
            continue;
        for (int a = 0; a < 4; a++) {
            if (a == 3 && !t->tipping)
                break;
            put_text(c, m->strategies[k].name);
            put_sep(c);
            put_text(c, m->strategies[m->comparator[k]].name);
            put_sep(c);
            put_text(c, view);
            put_sep(c);
            put_text(c, a < 3 ? names[a] : "tipping point");
            put_sep(c);
            if (a == 2)
                put_number(c, t->delta);
            else if (a == 3)
                put_optional(c, t->tipping[k]);
            put_sep(c);
            if (a < 3)
                put_optional(c, t->net[(size_t)a * K + k]);
            else if (!isnan(t->tipping[k]))
                put_raw(c, "0");
            end_row(c);
        }
    }
}

enum ns_status
ns_csv_write_attrition(const char *dir, const struct ns_model *model,
                       const struct ns_attrition_table *t, char *err,
                       size_t err_size)
{
    const struct source src = {.m = model, .attrition = t};
    return write_file(dir, "attrition.csv", write_attrition, &src, err,
                      err_size);
}

/* One psa_summary.csv row. */
static void
put_psa_row(struct csv *c, const struct ns_model *m, size_t k,
            const char *view, const char *measure,
            const struct ns_psa_stat *st, bool mean_only)
{
    put_text(c, m->strategies[k].name);
    put_sep(c);
    put_text(c, m->strategies[m->comparator[k]].name);
    put_sep(c);
    put_text(c, view);
    put_sep(c);
    put_text(c, measure);
    put_sep(c);
    put_optional(c, st->mean);
    put_sep(c);
    if (!mean_only)
        put_optional(c, st->low);
    put_sep(c);
    if (!mean_only)
        put_optional(c, st->high);
    put_sep(c);
    if (!mean_only)
        put_optional(c, st->prob_positive);
    end_row(c);
}

static void
write_psa_summary(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    const struct ns_psa *p = src->psa;
    size_t K = p->n_strategies;
    const char *view = src->perspective == NS_ALL_PAYERS
                           ? "all_payers"
                           : m->perspectives[src->perspective].name;
    put_raw(c, "strategy,comparator,perspective,measure,mean,p2_5,p97_5,"
               "prob_positive");
    end_row(c);
    for (size_t k = 0; k < K && !c->err; k++) {
        if (m->comparator[k] < 0)
            continue;
        struct ns_psa_stat st;
        static const char *const names[] = {"net_savings", "savings",
                                            "treatment_cost", "delta_cost",
                                            "delta_health"};
        /* Rows: net savings, savings, treatment, each payer's savings,
         * then the increments. */
        for (size_t r = 0; r < p->n_measures; r++) {
            size_t i = r < NS_PSA_DELTA_COST ? r
                       : r < NS_PSA_DELTA_COST + p->n_payers
                           ? r - NS_PSA_DELTA_COST + NS_PSA_PAYER
                           : r - p->n_payers;
            if (ns_psa_stat(p, k, i, &st) != NS_OK) {
                c->err = ENOMEM;
                return;
            }
            char name[96];
            if (i >= NS_PSA_PAYER)
                snprintf(name, sizeof name, "savings_%s",
                         m->payers[i - NS_PSA_PAYER]);
            /* The increments are the same from every perspective, and
             * absent without a health outcome. */
            bool increment = i == NS_PSA_DELTA_COST || i == NS_PSA_DELTA_HEALTH;
            if (increment && isnan(st.mean))
                continue;
            put_psa_row(c, m, k, i <= NS_PSA_TREATMENT ? view : "all_payers",
                        i >= NS_PSA_PAYER ? name : names[i], &st, false);
        }
        if (ns_psa_stat(p, k, NS_PSA_NET, &st) != NS_OK) {
            c->err = ENOMEM;
            return;
        }
        struct ns_psa_stat e = {st.evpi, NS_NAN, NS_NAN, NS_NAN, NS_NAN};
        put_psa_row(c, m, k, view, "evpi_per_person", &e, true);
        if (src->population > 0.0) {
            e.mean *= src->population;
            put_psa_row(c, m, k, view, "evpi_population", &e, true);
        }
    }
}

static void
write_ceac(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    const struct ns_psa *p = src->psa;
    size_t K = p->n_strategies;
    put_raw(c, "strategy,comparator,wtp,prob_cost_effective");
    end_row(c);
    if (m->health_outcome < 0 || m->cost_outcome < 0)
        return;
    for (size_t k = 0; k < K; k++) {
        if (m->comparator[k] < 0)
            continue;
        for (size_t i = 0; i < ns_psa_ceac_points(m); i++) {
            double wtp, share = ns_psa_ceac(m, p, k, i, &wtp);
            put_text(c, m->strategies[k].name);
            put_sep(c);
            put_text(c, m->strategies[m->comparator[k]].name);
            put_sep(c);
            put_number(c, wtp);
            put_sep(c);
            put_optional(c, share);
            end_row(c);
        }
    }
}

/* psa_draws.csv, written block by block while the draws run. */
struct ns_csv_draws {
    struct ns_atomic a;
    struct csv c;
    const struct ns_model *m;
    char *path; /* owned; for messages */
};

enum ns_status
ns_csv_draws_begin(const char *dir, const struct ns_model *model,
                   struct ns_csv_draws **out, char *err, size_t err_size)
{
    *out = NULL;
    if (!listed("psa_draws.csv", err, err_size))
        return NS_EIO;
    struct ns_csv_draws *d = calloc(1, sizeof *d);
    size_t dir_len = strlen(dir), size = dir_len + sizeof "/psa_draws.csv";
    char *path = malloc(size);
    if (!d || !path) {
        free(d);
        free(path);
        snprintf(err, err_size, "cannot write psa_draws.csv: %s",
                 strerror(ENOMEM));
        return NS_EIO;
    }
    bool slash = dir_len > 0 && dir[dir_len - 1] == '/';
    snprintf(path, size, "%s%spsa_draws.csv", dir, slash ? "" : "/");
    enum ns_status st = ns_atomic_begin(&d->a, path, 1, err, err_size);
    if (st != NS_OK) {
        free(d);
        free(path);
        return st;
    }
    d->c = (struct csv){.fp = d->a.fp, .err = 0};
    d->m = model;
    d->path = path;
    put_raw(&d->c, "draw,strategy,net_savings,delta_cost,delta_health");
    for (size_t i = 0; i < model->n_uncertain; i++) {
        put_sep(&d->c);
        put_text(&d->c, model->params[model->uncertain[i].param].name);
    }
    end_row(&d->c);
    *out = d;
    return NS_OK;
}

enum ns_status
ns_csv_draws_write(struct ns_csv_draws *d, const struct ns_psa *p,
                   size_t first, size_t n, const double *params)
{
    const struct ns_model *m = d->m;
    size_t K = p->n_strategies, U = m->n_uncertain;
    struct csv *c = &d->c;
    for (size_t j = 0; j < n && !c->err; j++) {
        size_t draw = first + j;
        for (size_t k = 0; k < K; k++) {
            if (m->comparator[k] < 0)
                continue;
            put_count(c, draw + 1);
            put_sep(c);
            put_text(c, m->strategies[k].name);
            put_sep(c);
            put_optional(c, ns_psa_value(p, draw, k, NS_PSA_NET));
            put_sep(c);
            put_optional(c, ns_psa_value(p, draw, k, NS_PSA_DELTA_COST));
            put_sep(c);
            put_optional(c, ns_psa_value(p, draw, k, NS_PSA_DELTA_HEALTH));
            for (size_t i = 0; i < U; i++) {
                put_sep(c);
                put_optional(c, params[j * U + i]);
            }
            end_row(c);
        }
    }
    return c->err ? NS_EIO : NS_OK;
}

static void
draws_free(struct ns_csv_draws *d)
{
    free(d->path);
    free(d);
}

enum ns_status
ns_csv_draws_commit(struct ns_csv_draws *d, char *err, size_t err_size)
{
    enum ns_status st;
    if (d->c.err) {
        snprintf(err, err_size, "cannot write %s: %s", d->path,
                 strerror(d->c.err));
        ns_atomic_abort(&d->a);
        st = NS_EIO;
    } else {
        st = ns_atomic_commit(&d->a, err, err_size);
    }
    draws_free(d);
    return st;
}

void
ns_csv_draws_abort(struct ns_csv_draws *d)
{
    if (!d)
        return;
    ns_atomic_abort(&d->a);
    draws_free(d);
}

enum ns_status
ns_csv_write_psa(const char *dir, const struct ns_model *model,
                 const struct ns_psa *psa, long perspective,
                 double population, char *err, size_t err_size)
{
    const struct source src = {.m = model,
                               .psa = psa,
                               .perspective = perspective,
                               .population = population};
    enum ns_status st = write_file(dir, "psa_summary.csv", write_psa_summary,
                                   &src, err, err_size);
    if (st == NS_OK)
        st = write_file(dir, "ceac.csv", write_ceac, &src, err, err_size);
    return st;
}

static const char *
view_name(const struct ns_model *m, long perspective)
{
    return perspective == NS_ALL_PAYERS ? "all_payers"
                                        : m->perspectives[perspective].name;
}

/* The fields that name a tornado bar: strategy, comparator, perspective,
 * rank and parameter, each followed by a separator. */
static void
put_bar_key(struct csv *c, const struct source *src, size_t k, size_t i)
{
    const struct ns_model *m = src->m;
    const struct ns_tornado_bar *bar = &src->bars[k * src->n_bars + i];
    put_text(c, m->strategies[k].name);
    put_sep(c);
    put_text(c, m->strategies[m->comparator[k]].name);
    put_sep(c);
    put_text(c, view_name(m, src->perspective));
    put_sep(c);
    put_count(c, i + 1);
    put_sep(c);
    put_text(c, m->params[m->uncertain[bar->uncertain].param].name);
    put_sep(c);
}

static void
write_tornado(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    size_t U = src->n_bars;
    put_raw(c, "strategy,comparator,perspective,rank,parameter,low,high,"
               "base_net_savings,net_savings_low,net_savings_high,width,"
               "benefit_cost_ratio_low,benefit_cost_ratio_high");
    end_row(c);
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        for (size_t i = 0; i < U; i++) {
            const struct ns_tornado_bar *bar = &src->bars[k * U + i];
            put_bar_key(c, src, k, i);
            put_numbers(c,
                        (const double[]){bar->low, bar->high, src->values[k],
                                         bar->net_low, bar->net_high,
                                         bar->width},
                        6);
            put_sep(c);
            put_optional(c, bar->bcr_low);
            put_sep(c);
            put_optional(c, bar->bcr_high);
            end_row(c);
        }
    }
}

static bool
in_view(const struct ns_model *m, long perspective, size_t p)
{
    return perspective == NS_ALL_PAYERS ||
           m->perspectives[perspective].has_payer[p];
}

static void
write_tornado_by_payer(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    size_t U = src->n_bars, P = m->n_payers;
    put_raw(c, "strategy,comparator,perspective,rank,parameter,payer,"
               "savings_low,savings_high,width");
    end_row(c);
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        for (size_t i = 0; i < U; i++) {
            const struct ns_tornado_bar *bar = &src->bars[k * U + i];
            const double *lo = &src->payer_values[((k * U + bar->row) * 2) * P];
            const double *hi = lo + P;
            for (size_t p = 0; p < P; p++) {
                if (!in_view(m, src->perspective, p))
                    continue;
                put_bar_key(c, src, k, i);
                put_text(c, m->payers[p]);
                put_sep(c);
                put_number(c, lo[p]);
                put_sep(c);
                put_number(c, hi[p]);
                put_sep(c);
                put_number(c, fabs(hi[p] - lo[p]));
                end_row(c);
            }
        }
    }
}

enum ns_status
ns_csv_write_tornado(const char *dir, const struct ns_model *model,
                     long perspective, const struct ns_tornado_bar *bars,
                     size_t n_bars, const double *base,
                     const double *by_payer, char *err, size_t err_size)
{
    const struct source src = {.m = model,
                               .perspective = perspective,
                               .bars = bars,
                               .n_bars = n_bars,
                               .values = base,
                               .payer_values = by_payer};
    enum ns_status st = write_file(dir, "tornado.csv", write_tornado, &src,
                                   err, err_size);
    if (st == NS_OK && by_payer)
        st = write_file(dir, "tornado_by_payer.csv", write_tornado_by_payer,
                        &src, err, err_size);
    return st;
}

static void
write_two_way(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    size_t n = src->n_grid, K = m->n_strategies;
    const struct ns_uncertain_param *ua = &m->uncertain[src->a];
    const struct ns_uncertain_param *ub = &m->uncertain[src->b];
    put_raw(c, "strategy,comparator,perspective,parameter_a,value_a,"
               "parameter_b,value_b,net_savings");
    end_row(c);
    for (size_t k = 0; k < K; k++) {
        if (m->comparator[k] < 0)
            continue;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                double fa = n > 1 ? (double)i / (double)(n - 1) : 0.5;
                double fb = n > 1 ? (double)j / (double)(n - 1) : 0.5;
                put_text(c, m->strategies[k].name);
                put_sep(c);
                put_text(c, m->strategies[m->comparator[k]].name);
                put_sep(c);
                put_text(c, view_name(m, src->perspective));
                put_sep(c);
                put_text(c, m->params[ua->param].name);
                put_sep(c);
                put_number(c, ua->low + fa * (ua->high - ua->low));
                put_sep(c);
                put_text(c, m->params[ub->param].name);
                put_sep(c);
                put_number(c, ub->low + fb * (ub->high - ub->low));
                put_sep(c);
                put_number(c, src->values[(i * n + j) * K + k]);
                end_row(c);
            }
    }
}

enum ns_status
ns_csv_write_two_way(const char *dir, const struct ns_model *model,
                     long perspective, size_t a, size_t b, size_t n,
                     const double *net, char *err, size_t err_size)
{
    const struct source src = {.m = model,
                               .perspective = perspective,
                               .a = a,
                               .b = b,
                               .n_grid = n,
                               .values = net};
    return write_file(dir, "two_way.csv", write_two_way, &src, err,
                      err_size);
}

static void
write_scenarios(struct csv *c, const struct source *src)
{
    const struct ns_scenario_result *sc = src->scenarios;
    const struct ns_model *m0 = sc[0].model;
    long view = m0->n_perspectives ? 0 : NS_ALL_PAYERS;
    put_raw(c, "scenario,strategy,comparator,perspective,net_savings,"
               "benefit_cost_ratio,payback_year,base_net_savings,difference");
    end_row(c);
    for (size_t i = 0; i < src->n_scenarios; i++) {
        const struct ns_model *m = sc[i].model;
        for (size_t k = 0; k < m->n_strategies; k++) {
            if (m->comparator[k] < 0)
                continue;
            struct ns_ledger l, b;
            ns_ledger_compute(m, sc[i].results, k, view, true, &l, NULL);
            ns_ledger_compute(m0, sc[0].results, k, view, true, &b, NULL);
            double cohort = ns_headline_cohort(sc[i].results, k);
            double cohort0 = ns_headline_cohort(sc[0].results, k);
            double net = cohort > 0 ? l.net_savings / cohort : NS_NAN;
            double base = cohort0 > 0 ? b.net_savings / cohort0 : NS_NAN;
            put_text(c, sc[i].name);
            put_sep(c);
            put_text(c, m->strategies[k].name);
            put_sep(c);
            put_text(c, m->strategies[m->comparator[k]].name);
            put_sep(c);
            put_text(c, view_name(m, view));
            put_sep(c);
            put_number(c, net);
            put_sep(c);
            put_optional(c, l.benefit_cost_ratio);
            put_sep(c);
            if (!isnan(l.payback_year))
                put_count(c, (size_t)l.payback_year);
            put_sep(c);
            put_number(c, base);
            put_sep(c);
            put_number(c, net - base);
            end_row(c);
        }
    }
}

static void
write_scenario_changes(struct csv *c, const struct source *src)
{
    put_raw(c, "scenario,change");
    end_row(c);
    for (size_t i = 1; i < src->n_scenarios; i++)
        for (size_t j = 0; j < src->scenarios[i].n_changes; j++) {
            put_text(c, src->scenarios[i].name);
            put_sep(c);
            put_text(c, src->scenarios[i].changes[j]);
            end_row(c);
        }
}

enum ns_status
ns_csv_write_scenarios(const char *dir, const struct ns_scenario_result *s,
                       size_t n, char *err, size_t err_size)
{
    const struct source src = {.scenarios = s, .n_scenarios = n};
    enum ns_status st = write_file(dir, "scenarios.csv", write_scenarios, &src,
                                   err, err_size);
    if (st == NS_OK)
        st = write_file(dir, "scenario_changes.csv", write_scenario_changes,
                        &src, err, err_size);
    return st;
}

static void
write_expansion(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    put_raw(c, "strategy,places_funded,perspective,year,places,starts,"
               "treatment_cost,savings,net_savings,cumulative_net_savings");
    end_row(c);
    for (size_t i = 0; i < src->n_scenarios; i++) {
        const struct ns_expansion *e = src->expansions[i];
        for (size_t y = 0; y < e->n_years; y++) {
            const struct ns_expansion_year *yr = &e->years[y];
            put_text(c, m->strategies[src->expansion_strategy[i]].name);
            put_sep(c);
            put_text(c, src->expansion_places[i]);
            put_sep(c);
            put_text(c, view_name(m, src->perspective));
            put_sep(c);
            put_count(c, y + 1);
            put_sep(c);
            put_numbers(c,
                        (const double[]){yr->places, yr->starts,
                                         yr->treatment_cost, yr->savings,
                                         yr->net_savings, yr->cumulative},
                        6);
            end_row(c);
        }
    }
}

static void
write_expansion_payers(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    put_raw(c, "strategy,year,payer,savings");
    end_row(c);
    for (size_t i = 0; i < src->n_scenarios; i++) {
        const struct ns_expansion *e = src->expansions[i];
        for (size_t y = 0; y < e->n_years; y++)
            for (size_t q = 0; q < e->n_payers; q++) {
                put_text(c, m->strategies[src->expansion_strategy[i]].name);
                put_sep(c);
                put_count(c, y + 1);
                put_sep(c);
                put_text(c, m->payers[q]);
                put_sep(c);
                put_number(c, e->payer_savings[y * e->n_payers + q]);
                end_row(c);
            }
    }
}

enum ns_status
ns_csv_write_expansion(const char *dir, const struct ns_model *model,
                       long perspective, const struct ns_expansion *const *e,
                       const size_t *strategy, const char *const *places,
                       size_t n, char *err, size_t err_size)
{
    const struct source src = {.m = model,
                               .perspective = perspective,
                               .expansions = e,
                               .expansion_strategy = strategy,
                               .expansion_places = places,
                               .n_scenarios = n};
    enum ns_status st = write_file(dir, "expansion.csv", write_expansion,
                                   &src, err, err_size);
    if (st == NS_OK)
        st = write_file(dir, "expansion_payers.csv", write_expansion_payers,
                        &src, err, err_size);
    return st;
}

/* anchors.csv: each published study beside the model. */
static void
write_anchors(struct csv *c, const struct source *src)
{
    put_raw(c, "anchor,study,arms,benefits,cost_share,netsave_ratio,"
               "published,published_text,savings,treatment_cost,source,"
               "explanation,not_computable");
    end_row(c);
    for (size_t i = 0; i < src->n_anchors; i++) {
        const struct ns_anchor_report *a = &src->anchors[i];
        put_texts(c, (const char *const[]){a->anchor, a->study, a->arms,
                                           a->benefits},
                  4);
        put_sep(c);
        put_number(c, a->cost_share);
        put_sep(c);
        put_optional(c, a->pooled.ratio);
        put_sep(c);
        put_number(c, a->published);
        put_sep(c);
        put_text(c, a->published_text);
        put_sep(c);
        put_optional(c, a->pooled.savings);
        put_sep(c);
        put_optional(c, a->pooled.treatment_cost);
        put_sep(c);
        put_texts(c, (const char *const[]){a->source, a->explanation,
                                           ns_anchor_status_text(
                                               a->pooled.status)},
                  3);
        end_row(c);
    }
}

/* anchors_arms.csv: each anchor's arms, each against its comparator. */
static void
write_anchor_arms(struct csv *c, const struct source *src)
{
    put_raw(c, "anchor,strategy,comparator,savings,treatment_cost,ratio,"
               "weight,not_computable");
    end_row(c);
    for (size_t i = 0; i < src->n_anchors; i++) {
        const struct ns_anchor_report *a = &src->anchors[i];
        const struct ns_model *m = a->model;
        for (size_t j = 0; j < a->spec->n_arms; j++) {
            size_t k = a->spec->strategy[j];
            const struct ns_anchor_figure *f = &a->arm[j];
            put_texts(c, (const char *const[]){
                             a->anchor, m->strategies[k].name,
                             m->strategies[m->comparator[k]].name},
                      3);
            put_sep(c);
            put_optional(c, f->savings);
            put_sep(c);
            put_optional(c, f->treatment_cost);
            put_sep(c);
            put_optional(c, f->ratio);
            put_sep(c);
            put_number(c, a->spec->weight[j]);
            put_sep(c);
            put_text(c, ns_anchor_status_text(f->status));
            end_row(c);
        }
    }
}

enum ns_status
ns_csv_write_anchors(const char *dir, const struct ns_anchor_report *a,
                     size_t n, char *err, size_t err_size)
{
    const struct source src = {.anchors = a, .n_anchors = n};
    enum ns_status st =
        write_file(dir, "anchors.csv", write_anchors, &src, err, err_size);
    if (st == NS_OK)
        st = write_file(dir, "anchors_arms.csv", write_anchor_arms, &src, err,
                        err_size);
    return st;
}

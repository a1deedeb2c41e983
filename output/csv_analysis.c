/* netsave: the analyses as CSV files: checks, attrition, PSA (summary,
 * acceptability curve, draws streamed as they run), one- and two-way
 * sensitivity, scenarios, expansion and anchors. Conventions as for the
 * results files (csv_results.c): names not labels, a column contract
 * kept in docs/outputs.md. */
#include "output/csv_write.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/ledger.h"
#include "model/analysis/dsa.h"
#include "model/analysis/expansion.h"
#include "model/analysis/psa.h"
#include "model/verify.h"
#include "output/atomic.h"

/* checks.csv: the verification checks of the run. */
static void
write_checks(struct csv *c, const struct source *src)
{
    const struct ns_checks *checks = src->checks;
    csv_put_raw(c, "group,check,passed,detail");
    csv_end_row(c);
    for (size_t i = 0; checks && i < checks->n; i++) {
        const struct ns_check *k = &checks->items[i];
        csv_put_text(c, k->group);
        csv_put_sep(c);
        csv_put_text(c, k->name);
        csv_put_sep(c);
        csv_put_raw(c, k->passed ? "1" : "0");
        csv_put_sep(c);
        csv_put_text(c, k->detail);
        csv_end_row(c);
    }
}

enum ns_status
ns_csv_write_checks(const char *dir, const struct ns_checks *checks,
                    struct ns_atomic_set *set,
                    char *err, size_t err_size)
{
    const struct source src = {.set = set, .checks = checks};
    return csv_write_file(dir, "checks.csv", write_checks, &src, err, err_size);
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
    const char *view = csv_view_name(m, t->perspective);
    size_t K = m->n_strategies;
    csv_put_raw(c, "strategy,comparator,perspective,assumption,delta,"
                   "net_savings");
    csv_end_row(c);
    for (size_t k = 0; k < K; k++) {
        if (m->comparator[k] < 0)
            continue;
        for (int a = 0; a < 4; a++) {
            if (a == 3 && !t->tipping)
                break;
            csv_put_pair(c, m, k);
            csv_put_text(c, view);
            csv_put_sep(c);
            csv_put_text(c, a < 3 ? names[a] : "tipping point");
            csv_put_sep(c);
            if (a == 2)
                csv_put_number(c, t->delta);
            else if (a == 3)
                csv_put_optional(c, t->tipping[k]);
            csv_put_sep(c);
            if (a < 3)
                csv_put_optional(c, t->net[(size_t)a * K + k]);
            else if (!isnan(t->tipping[k]))
                csv_put_raw(c, "0");
            csv_end_row(c);
        }
    }
}

enum ns_status
ns_csv_write_attrition(const char *dir, const struct ns_model *model,
                       const struct ns_attrition_table *t,
                       struct ns_atomic_set *set, char *err,
                       size_t err_size)
{
    const struct source src = {.set = set, .m = model, .attrition = t};
    return csv_write_file(dir, "attrition.csv", write_attrition, &src, err,
                          err_size);
}

/* One psa_summary.csv row. */
static void
put_psa_row(struct csv *c, const struct ns_model *m, size_t k,
            const char *view, const char *measure,
            const struct ns_psa_stat *st, bool mean_only)
{
    csv_put_pair(c, m, k);
    csv_put_text(c, view);
    csv_put_sep(c);
    csv_put_text(c, measure);
    csv_put_sep(c);
    csv_put_optional(c, st->mean);
    csv_put_sep(c);
    if (!mean_only)
        csv_put_optional(c, st->low);
    csv_put_sep(c);
    if (!mean_only)
        csv_put_optional(c, st->high);
    csv_put_sep(c);
    if (!mean_only)
        csv_put_optional(c, st->prob_positive);
    csv_end_row(c);
}

static void
write_psa_summary(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    const struct ns_psa *p = src->psa;
    size_t K = p->n_strategies;
    const char *view = csv_view_name(m, src->perspective);
    csv_put_raw(c, "strategy,comparator,perspective,measure,mean,p2_5,p97_5,"
                   "prob_positive");
    csv_end_row(c);
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
            /* Every strategy's own outcomes are for ceaf.csv. */
            if (i == NS_PSA_COST || i == NS_PSA_HEALTH)
                continue;
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
    csv_put_raw(c, "strategy,comparator,wtp,prob_cost_effective");
    csv_end_row(c);
    if (m->health_outcome < 0 || m->cost_outcome < 0)
        return;
    for (size_t k = 0; k < K; k++) {
        if (m->comparator[k] < 0)
            continue;
        for (size_t i = 0; i < ns_psa_ceac_points(m); i++) {
            double wtp, share = ns_psa_ceac(m, p, k, i, &wtp);
            csv_put_pair(c, m, k);
            csv_put_number(c, wtp);
            csv_put_sep(c);
            csv_put_optional(c, share);
            csv_end_row(c);
        }
    }
}

/* psa_draws.csv, written block by block while the draws run. */
struct ns_csv_draws {
    struct ns_atomic own;
    struct ns_atomic *a; /* &own, or a file of set */
    struct ns_atomic_set *set;
    struct csv c;
    const struct ns_model *m;
    char *path; /* owned; for messages */
};

enum ns_status
ns_csv_draws_begin(const char *dir, const struct ns_model *model,
                   struct ns_csv_draws **out, struct ns_atomic_set *set,
                   char *err, size_t err_size)
{
    *out = NULL;
    if (!csv_listed("psa_draws.csv", err, err_size))
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
    d->a = &d->own;
    d->set = set;
    enum ns_status st =
        set ? ns_atomic_set_begin(set, path, 1, &d->a, err, err_size)
            : ns_atomic_begin(&d->own, path, 1, err, err_size);
    if (st != NS_OK) {
        free(d);
        free(path);
        return st;
    }
    d->c = (struct csv){.fp = d->a->fp, .err = 0};
    d->m = model;
    d->path = path;
    csv_put_raw(&d->c, "draw,strategy,net_savings,delta_cost,delta_health");
    for (size_t i = 0; i < model->n_uncertain; i++) {
        csv_put_sep(&d->c);
        csv_put_text(&d->c, model->params[model->uncertain[i].param].name);
    }
    csv_end_row(&d->c);
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
            csv_put_count(c, draw + 1);
            csv_put_sep(c);
            csv_put_text(c, m->strategies[k].name);
            csv_put_sep(c);
            csv_put_optional(c, ns_psa_value(p, draw, k, NS_PSA_NET));
            csv_put_sep(c);
            csv_put_optional(c, ns_psa_value(p, draw, k, NS_PSA_DELTA_COST));
            csv_put_sep(c);
            csv_put_optional(c, ns_psa_value(p, draw, k, NS_PSA_DELTA_HEALTH));
            for (size_t i = 0; i < U; i++) {
                csv_put_sep(c);
                csv_put_optional(c, params[j * U + i]);
            }
            csv_end_row(c);
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
        if (!d->set)
            ns_atomic_abort(&d->own);
        st = NS_EIO;
    } else {
        /* In a set, the set renames it with the rest. */
        st = d->set ? NS_OK : ns_atomic_commit(&d->own, err, err_size);
    }
    draws_free(d);
    return st;
}

void
ns_csv_draws_abort(struct ns_csv_draws *d)
{
    if (!d)
        return;
    /* A file of a set is removed by the set's abort. */
    if (!d->set)
        ns_atomic_abort(&d->own);
    draws_free(d);
}

enum ns_status
ns_csv_write_psa(const char *dir, const struct ns_model *model,
                 const struct ns_psa *psa, long perspective,
                 double population, struct ns_atomic_set *set,
                 char *err, size_t err_size)
{
    const struct source src = {.set = set, .m = model,
                               .psa = psa,
                               .perspective = perspective,
                               .population = population};
    enum ns_status st = csv_write_file(dir, "psa_summary.csv",
                                       write_psa_summary, &src, err, err_size);
    if (st == NS_OK)
        st = csv_write_file(dir, "ceac.csv", write_ceac, &src, err, err_size);
    if (st == NS_OK)
        st = csv_write_file(dir, "ceaf.csv", csv_write_ceaf, &src, err,
                            err_size);
    return st;
}

/* The fields that name a tornado bar: strategy, comparator, perspective,
 * rank and parameter, each followed by a separator. */
static void
put_bar_key(struct csv *c, const struct source *src, size_t k, size_t i)
{
    const struct ns_model *m = src->m;
    const struct ns_tornado_bar *bar = &src->bars[k * src->n_bars + i];
    csv_put_pair(c, m, k);
    csv_put_text(c, csv_view_name(m, src->perspective));
    csv_put_sep(c);
    csv_put_count(c, i + 1);
    csv_put_sep(c);
    csv_put_text(c, m->params[m->uncertain[bar->uncertain].param].name);
    csv_put_sep(c);
}

static void
write_tornado(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    size_t U = src->n_bars;
    csv_put_raw(c, "strategy,comparator,perspective,rank,parameter,low,high,"
                   "base_net_savings,net_savings_low,net_savings_high,width,"
                   "benefit_cost_ratio_low,benefit_cost_ratio_high");
    csv_end_row(c);
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        for (size_t i = 0; i < U; i++) {
            const struct ns_tornado_bar *bar = &src->bars[k * U + i];
            put_bar_key(c, src, k, i);
            csv_put_numbers(c,
                            (const double[]){bar->low, bar->high,
                                             src->values[k], bar->net_low,
                                             bar->net_high, bar->width},
                            6);
            csv_put_sep(c);
            csv_put_optional(c, bar->bcr_low);
            csv_put_sep(c);
            csv_put_optional(c, bar->bcr_high);
            csv_end_row(c);
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
    csv_put_raw(c, "strategy,comparator,perspective,rank,parameter,payer,"
                   "savings_low,savings_high,width");
    csv_end_row(c);
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
                csv_put_text(c, m->payers[p]);
                csv_put_sep(c);
                csv_put_number(c, lo[p]);
                csv_put_sep(c);
                csv_put_number(c, hi[p]);
                csv_put_sep(c);
                csv_put_number(c, fabs(hi[p] - lo[p]));
                csv_end_row(c);
            }
        }
    }
}

enum ns_status
ns_csv_write_tornado(const char *dir, const struct ns_model *model,
                     long perspective, const struct ns_tornado_bar *bars,
                     size_t n_bars, const double *base,
                     const double *by_payer, struct ns_atomic_set *set,
                     char *err, size_t err_size)
{
    const struct source src = {.set = set, .m = model,
                               .perspective = perspective,
                               .bars = bars,
                               .n_bars = n_bars,
                               .values = base,
                               .payer_values = by_payer};
    enum ns_status st = csv_write_file(dir, "tornado.csv", write_tornado, &src,
                                       err, err_size);
    if (st == NS_OK && by_payer)
        st = csv_write_file(dir, "tornado_by_payer.csv", write_tornado_by_payer,
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
    csv_put_raw(c, "strategy,comparator,perspective,parameter_a,value_a,"
                   "parameter_b,value_b,net_savings");
    csv_end_row(c);
    for (size_t k = 0; k < K; k++) {
        if (m->comparator[k] < 0)
            continue;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                double fa = n > 1 ? (double)i / (double)(n - 1) : 0.5;
                double fb = n > 1 ? (double)j / (double)(n - 1) : 0.5;
                csv_put_pair(c, m, k);
                csv_put_text(c, csv_view_name(m, src->perspective));
                csv_put_sep(c);
                csv_put_text(c, m->params[ua->param].name);
                csv_put_sep(c);
                csv_put_number(c, ua->low + fa * (ua->high - ua->low));
                csv_put_sep(c);
                csv_put_text(c, m->params[ub->param].name);
                csv_put_sep(c);
                csv_put_number(c, ub->low + fb * (ub->high - ub->low));
                csv_put_sep(c);
                csv_put_number(c, src->values[(i * n + j) * K + k]);
                csv_end_row(c);
            }
    }
}

enum ns_status
ns_csv_write_two_way(const char *dir, const struct ns_model *model,
                     long perspective, size_t a, size_t b, size_t n,
                     const double *net, struct ns_atomic_set *set,
                     char *err, size_t err_size)
{
    const struct source src = {.set = set, .m = model,
                               .perspective = perspective,
                               .a = a,
                               .b = b,
                               .n_grid = n,
                               .values = net};
    return csv_write_file(dir, "two_way.csv", write_two_way, &src, err,
                          err_size);
}

static void
write_scenarios(struct csv *c, const struct source *src)
{
    const struct ns_scenario_result *sc = src->scenarios;
    const struct ns_model *m0 = sc[0].model;
    long view = m0->n_perspectives ? 0 : NS_ALL_PAYERS;
    csv_put_raw(c,
                "scenario,strategy,comparator,perspective,net_savings,"
                "benefit_cost_ratio,payback_year,base_net_savings,difference");
    csv_end_row(c);
    for (size_t i = 0; i < src->n_scenarios; i++) {
        const struct ns_model *m = sc[i].model;
        for (size_t k = 0; k < m->n_strategies; k++) {
            if (m->comparator[k] < 0)
                continue;
            struct ns_ledger l, b;
            ns_ledger_compute(m, sc[i].results, k, view, true, &l, NULL);
            ns_ledger_compute(m0, sc[0].results, k, view, true, &b, NULL);
            double cohort = ns_results_cohort(sc[i].results, k);
            double cohort0 = ns_results_cohort(sc[0].results, k);
            double net = cohort > 0 ? l.net_savings / cohort : NS_NAN;
            double base = cohort0 > 0 ? b.net_savings / cohort0 : NS_NAN;
            csv_put_text(c, sc[i].name);
            csv_put_sep(c);
            csv_put_pair(c, m, k);
            csv_put_text(c, csv_view_name(m, view));
            csv_put_sep(c);
            csv_put_number(c, net);
            csv_put_sep(c);
            csv_put_optional(c, l.benefit_cost_ratio);
            csv_put_sep(c);
            if (ns_ledger_payback(&l) > 0)
                csv_put_count(c, ns_ledger_payback(&l));
            csv_put_sep(c);
            csv_put_number(c, base);
            csv_put_sep(c);
            csv_put_number(c, net - base);
            csv_end_row(c);
        }
    }
}

static void
write_scenario_changes(struct csv *c, const struct source *src)
{
    csv_put_raw(c, "scenario,change");
    csv_end_row(c);
    for (size_t i = 1; i < src->n_scenarios; i++)
        for (size_t j = 0; j < src->scenarios[i].n_changes; j++) {
            csv_put_text(c, src->scenarios[i].name);
            csv_put_sep(c);
            csv_put_text(c, src->scenarios[i].changes[j]);
            csv_end_row(c);
        }
}

enum ns_status
ns_csv_write_scenarios(const char *dir, const struct ns_scenario_result *s,
                       size_t n, struct ns_atomic_set *set,
                       char *err, size_t err_size)
{
    const struct source src = {.set = set, .scenarios = s, .n_scenarios = n};
    enum ns_status st = csv_write_file(dir, "scenarios.csv", write_scenarios,
                                       &src, err, err_size);
    if (st == NS_OK)
        st = csv_write_file(dir, "scenario_changes.csv", write_scenario_changes,
                            &src, err, err_size);
    return st;
}

static void
write_expansion(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    csv_put_raw(c, "strategy,places_funded,perspective,year,places,starts,"
                   "treatment_cost,savings,net_savings,cumulative_net_savings");
    csv_end_row(c);
    for (size_t i = 0; i < src->n_scenarios; i++) {
        const struct ns_expansion *e = src->expansions[i];
        for (size_t y = 0; y < e->n_years; y++) {
            const struct ns_expansion_year *yr = &e->years[y];
            csv_put_text(c, m->strategies[src->expansion_strategy[i]].name);
            csv_put_sep(c);
            csv_put_text(c, src->expansion_places[i]);
            csv_put_sep(c);
            csv_put_text(c, csv_view_name(m, src->perspective));
            csv_put_sep(c);
            csv_put_count(c, y + 1);
            csv_put_sep(c);
            csv_put_numbers(c,
                            (const double[]){yr->places, yr->starts,
                                             yr->treatment_cost, yr->savings,
                                             yr->net_savings, yr->cumulative},
                            6);
            csv_end_row(c);
        }
    }
}

static void
write_expansion_payers(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    csv_put_raw(c, "strategy,year,payer,savings");
    csv_end_row(c);
    for (size_t i = 0; i < src->n_scenarios; i++) {
        const struct ns_expansion *e = src->expansions[i];
        for (size_t y = 0; y < e->n_years; y++)
            for (size_t q = 0; q < e->n_payers; q++) {
                csv_put_text(c, m->strategies[src->expansion_strategy[i]].name);
                csv_put_sep(c);
                csv_put_count(c, y + 1);
                csv_put_sep(c);
                csv_put_text(c, m->payers[q]);
                csv_put_sep(c);
                csv_put_number(c, e->payer_savings[y * e->n_payers + q]);
                csv_end_row(c);
            }
    }
}

enum ns_status
ns_csv_write_expansion(const char *dir, const struct ns_model *model,
                       long perspective, const struct ns_expansion *const *e,
                       const size_t *strategy, const char *const *places,
                       size_t n, struct ns_atomic_set *set,
                       char *err, size_t err_size)
{
    const struct source src = {.set = set, .m = model,
                               .perspective = perspective,
                               .expansions = e,
                               .expansion_strategy = strategy,
                               .expansion_places = places,
                               .n_scenarios = n};
    enum ns_status st = csv_write_file(dir, "expansion.csv", write_expansion,
                                       &src, err, err_size);
    if (st == NS_OK)
        st = csv_write_file(dir, "expansion_payers.csv", write_expansion_payers,
                            &src, err, err_size);
    return st;
}

/* anchors.csv: each published study beside the model. */
static void
write_anchors(struct csv *c, const struct source *src)
{
    csv_put_raw(c, "anchor,study,arms,benefits,cost_share,netsave_ratio,"
                   "published,published_text,savings,treatment_cost,source,"
                   "explanation,not_computable");
    csv_end_row(c);
    for (size_t i = 0; i < src->n_anchors; i++) {
        const struct ns_anchor_report *a = &src->anchors[i];
        csv_put_texts(c, (const char *const[]){a->anchor, a->study, a->arms,
                                               a->benefits},
                      4);
        csv_put_sep(c);
        csv_put_number(c, a->cost_share);
        csv_put_sep(c);
        csv_put_optional(c, a->pooled.ratio);
        csv_put_sep(c);
        csv_put_number(c, a->published);
        csv_put_sep(c);
        csv_put_text(c, a->published_text);
        csv_put_sep(c);
        csv_put_optional(c, a->pooled.savings);
        csv_put_sep(c);
        csv_put_optional(c, a->pooled.treatment_cost);
        csv_put_sep(c);
        csv_put_texts(c, (const char *const[]){a->source, a->explanation,
                                               ns_anchor_status_text(
                                               a->pooled.status)},
                      3);
        csv_end_row(c);
    }
}

/* anchors_arms.csv: each anchor's arms, each against its comparator. */
static void
write_anchor_arms(struct csv *c, const struct source *src)
{
    csv_put_raw(c, "anchor,strategy,comparator,savings,treatment_cost,ratio,"
                   "weight,not_computable");
    csv_end_row(c);
    for (size_t i = 0; i < src->n_anchors; i++) {
        const struct ns_anchor_report *a = &src->anchors[i];
        const struct ns_model *m = a->model;
        for (size_t j = 0; j < a->spec->n_arms; j++) {
            size_t k = a->spec->strategy[j];
            const struct ns_anchor_figure *f = &a->arm[j];
            csv_put_texts(c, (const char *const[]){
                                 a->anchor, m->strategies[k].name,
                                 m->strategies[m->comparator[k]].name},
                          3);
            csv_put_sep(c);
            csv_put_optional(c, f->savings);
            csv_put_sep(c);
            csv_put_optional(c, f->treatment_cost);
            csv_put_sep(c);
            csv_put_optional(c, f->ratio);
            csv_put_sep(c);
            csv_put_number(c, a->spec->weight[j]);
            csv_put_sep(c);
            csv_put_text(c, ns_anchor_status_text(f->status));
            csv_end_row(c);
        }
    }
}

enum ns_status
ns_csv_write_anchors(const char *dir, const struct ns_anchor_report *a,
                     size_t n, struct ns_atomic_set *set,
                     char *err, size_t err_size)
{
    const struct source src = {.set = set, .anchors = a, .n_anchors = n};
    enum ns_status st =
        csv_write_file(dir, "anchors.csv", write_anchors, &src, err, err_size);
    if (st == NS_OK)
        st = csv_write_file(dir, "anchors_arms.csv", write_anchor_arms, &src,
                            err, err_size);
    return st;
}

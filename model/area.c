/* netsave: an area's starts and totals (see area.h). */
#include "model/area.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/ledger.h"
#include "model/names.h"
#include "model/number.h"

/* The most years of starts an area may have: far beyond any plan, yet
 * small enough that Y + H - 1 years of totals stay a small table. */
#define NS_AREA_MAX_YEARS 1000

void
ns_area_free(struct ns_area *a)
{
    if (!a)
        return;
    free(a->name);
    free(a->starts);
    free(a);
}

size_t
ns_area_n_years(const struct ns_model *m)
{
    return m->area ? m->area->n_years + ns_ledger_n_years(m) - 1 : 0;
}

/* ---- compiling [area] ---- */

struct area_reader {
    const struct ns_model_def *def;
    struct ns_model *m;
    struct ns_diags *diags;
    bool *failed;
    const char **treated; /* [n_treated] names of strategies with a
                             comparator, for messages */
    size_t n_treated;
    char treated_list[512];
};

#define AREA_ERROR(rd, at, ...)                                              \
    do {                                                                     \
        ns_diags_add_at((rd)->diags, (at), __VA_ARGS__);                     \
        *(rd)->failed = true;                                                \
    } while (0)

static void
list_treated(struct area_reader *rd)
{
    size_t len = 0, n = sizeof rd->treated_list;
    rd->treated_list[0] = '\0';
    for (size_t i = 0; i < rd->n_treated && len < n; i++)
        len += (size_t)snprintf(rd->treated_list + len, n - len, "%s%s",
                                i ? ", " : "", rd->treated[i]);
}

/* The entry of [area] with key, or NULL. */
static const struct ns_def_expr *
area_entry(const struct ns_model_def *def, const char *key)
{
    for (size_t i = 0; i < def->n_area; i++)
        if (strcmp(def->area[i].name, key) == 0)
            return &def->area[i];
    return NULL;
}

/* years = a whole number from 1 to NS_AREA_MAX_YEARS; 0 when it is not. */
static size_t
read_years(struct area_reader *rd)
{
    const struct ns_def_expr *e = area_entry(rd->def, "years");
    double v;
    if (!e) {
        AREA_ERROR(rd, rd->def->area[0].at,
                   "[area] key years: expected the number of years in which "
                   "clients start (a whole number from 1 to %d), found none",
                   NS_AREA_MAX_YEARS);
        return 0;
    }
    if (ns_parse_number(e->text, &v) != NS_OK || !(v >= 1.0) ||
        v > NS_AREA_MAX_YEARS || floor(v) < v) {
        AREA_ERROR(rd, e->at,
                   "[area] key years: expected a whole number of years from "
                   "1 to %d, found '%s'",
                   NS_AREA_MAX_YEARS, e->text);
        return 0;
    }
    return (size_t)v;
}

/* Returns false when memory runs out. */
static bool
read_name(struct area_reader *rd, struct ns_area *a)
{
    const struct ns_def_expr *e = area_entry(rd->def, "name");
    if (!e || !*e->text) {
        AREA_ERROR(rd, e ? e->at : rd->def->area[0].at,
                   "[area] key name: expected the area's name (e.g. name = "
                   "Anytown), found %s",
                   e ? "an empty value" : "none");
        return true;
    }
    a->name = malloc(strlen(e->text) + 1);
    if (!a->name)
        return false;
    strcpy(a->name, e->text);
    a->at = e->at;
    return true;
}

/* The strategy an [area] key names, if it is a treated one; -1 (and a
 * message) if not. */
static long
treated_strategy(struct area_reader *rd, const struct ns_def_expr *e)
{
    long k = ns_model_find_strategy(rd->m, e->name);
    char hint[128];
    if (k < 0) {
        AREA_ERROR(rd, e->at,
                   "[area] key %s: expected name, years or a treated "
                   "strategy (%s), found '%s', which is none of them%s",
                   e->name, rd->treated_list, e->name,
                   ns_did_you_mean(hint, sizeof hint, e->name, rd->treated,
                                   rd->n_treated));
        return -1;
    }
    if (rd->m->comparator[k] < 0) {
        AREA_ERROR(rd, e->at,
                   "[area] key %s: expected a treated strategy (%s), found "
                   "%s, which has no comparator: clients start treated "
                   "strategies only, comparators take none",
                   e->name, rd->treated_list, e->name);
        return -1;
    }
    return k;
}

/* Splits a copy of text at commas into trimmed fields; returns how many
 * (0 when memory runs out, *copy then NULL). */
static size_t
split_starts(const char *text, char **copy, char ***fields)
{
    size_t max = 1;
    for (const char *q = text; *q; q++)
        max += *q == ',';
    *copy = malloc(strlen(text) + 1);
    *fields = malloc(max * sizeof **fields);
    if (!*copy || !*fields) {
        free(*copy);
        free(*fields);
        *copy = NULL;
        return 0;
    }
    strcpy(*copy, text);
    size_t n = 0;
    for (char *s = *copy, *next; s; s = next) {
        next = strchr(s, ',');
        if (next)
            *next++ = '\0';
        while (*s == ' ' || *s == '\t')
            s++;
        size_t len = strlen(s);
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            s[--len] = '\0';
        (*fields)[n++] = s;
    }
    return n;
}

/* A strategy's starts: one number for every year, or one per year.
 * Returns false when memory runs out. */
static bool
read_starts(struct area_reader *rd, const struct ns_def_expr *e, size_t k,
            struct ns_area *a)
{
    char *copy, **f;
    size_t n = split_starts(e->text, &copy, &f);
    if (!copy)
        return false;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        double v;
        if (ns_parse_number(f[i], &v) != NS_OK || !(v >= 0.0)) {
            AREA_ERROR(rd, e->at,
                       "[area] key %s: expected a number of clients of at "
                       "least 0 (no thousands separators), found '%s' as "
                       "year %zu",
                       e->name, f[i], i + 1);
            ok = false;
        } else if (a->n_years && i < a->n_years) {
            a->starts[k * a->n_years + i] = v;
        }
    }
    if (a->n_years && n != 1 && n != a->n_years) {
        AREA_ERROR(rd, e->at,
                   "[area] key %s: expected 1 number (the same every year) "
                   "or %zu (one per year: years = %zu), separated by "
                   "commas, found %zu",
                   e->name, a->n_years, a->n_years, n);
        ok = false;
    }
    for (size_t s = 1; ok && n == 1 && s < a->n_years; s++)
        a->starts[k * a->n_years + s] = a->starts[k * a->n_years];
    free(f);
    free(copy);
    return true;
}

static enum ns_status
read_area(struct area_reader *rd, struct ns_area *a)
{
    struct ns_model *m = rd->m;
    if (!read_name(rd, a))
        return NS_ENOMEM;
    a->n_years = read_years(rd);
    a->n_strategies = m->n_strategies;
    a->starts = calloc(m->n_strategies * (a->n_years ? a->n_years : 1) + 1,
                       sizeof *a->starts);
    if (!a->starts)
        return NS_ENOMEM;
    if (m->cost_outcome < 0)
        AREA_ERROR(rd, rd->def->area[0].at,
                   "[area] needs a cost outcome ([model] cost_outcome) to "
                   "count what the area's clients cost and save");
    for (size_t i = 0; i < rd->def->n_area; i++) {
        const struct ns_def_expr *e = &rd->def->area[i];
        if (strcmp(e->name, "name") == 0 || strcmp(e->name, "years") == 0)
            continue;
        long k = treated_strategy(rd, e);
        if (k >= 0 && !read_starts(rd, e, (size_t)k, a))
            return NS_ENOMEM;
    }
    return NS_OK;
}

enum ns_status
ns_area_compile(const struct ns_model_def *def, struct ns_model *m,
                struct ns_diags *diags, bool *failed)
{
    if (def->n_area == 0)
        return NS_OK;
    struct area_reader rd = {def, m, diags, failed, NULL, 0, ""};
    rd.treated = malloc((m->n_strategies + 1) * sizeof *rd.treated);
    struct ns_area *a = calloc(1, sizeof *a);
    if (!rd.treated || !a) {
        free(rd.treated);
        free(a);
        return NS_ENOMEM;
    }
    for (size_t k = 0; k < m->n_strategies; k++)
        if (m->comparator[k] >= 0)
            rd.treated[rd.n_treated++] = m->strategies[k].name;
    list_treated(&rd);
    enum ns_status st = read_area(&rd, a);
    free(rd.treated);
    if (st != NS_OK || *failed) {
        ns_area_free(a);
        return st;
    }
    m->area = a;
    return NS_OK;
}

/* ---- totals ---- */

/* Adds strategy k's per-client ledger, year by year, for each year's
 * starts, shifted and discounted (area.h). */
static void
add_strategy(const struct ns_model *m, size_t k, bool discounted,
             const struct ns_ledger *per, const double *per_payer,
             double cohort, struct ns_area_year *years, double *by_payer)
{
    const struct ns_area *a = m->area;
    size_t H = ns_ledger_n_years(m), Q = m->n_payers;
    double rate = m->outcomes[m->cost_outcome].discount_rate;
    for (size_t s = 0; s < a->n_years; s++) {
        double n = ns_area_starts(a, k, s);
        years[s].starts += n;
        if (!(n > 0.0))
            continue;
        double f = n / cohort * (discounted ? pow(1.0 + rate, -(double)s)
                                            : 1.0);
        for (size_t y = 0; y < H; y++) {
            years[s + y].treatment_cost += f * per[y].treatment_cost;
            years[s + y].savings += f * per[y].savings;
            for (size_t q = 0; by_payer && q < Q; q++)
                by_payer[(s + y) * Q + q] += f * per_payer[y * Q + q];
        }
    }
}

enum ns_status
ns_area_totals(const struct ns_model *m, const struct ns_results *r,
               size_t k, long perspective, bool discounted,
               struct ns_area_year *years, double *by_payer)
{
    if (!m->area || m->cost_outcome < 0)
        return NS_EPARAM;
    size_t A = ns_area_n_years(m), H = ns_ledger_n_years(m);
    size_t Q = m->n_payers;
    struct ns_ledger *per = malloc(H * sizeof *per);
    double *per_payer = malloc((H * Q + 1) * sizeof *per_payer);
    if (!per || !per_payer) {
        free(per);
        free(per_payer);
        return NS_ENOMEM;
    }
    for (size_t y = 0; y < A; y++)
        years[y] = (struct ns_area_year){0};
    for (size_t i = 0; by_payer && i < A * Q; i++)
        by_payer[i] = 0.0;
    for (size_t kk = 0; kk < m->n_strategies; kk++) {
        if ((k != NS_AREA_ALL && kk != k) || m->comparator[kk] < 0)
            continue;
        ns_ledger_years(m, r, kk, perspective, discounted, per,
                        by_payer ? per_payer : NULL);
        add_strategy(m, kk, discounted, per, per_payer,
                     ns_results_cohort(r, kk), years, by_payer);
    }
    double cumulative = 0.0;
    for (size_t y = 0; y < A; y++) {
        years[y].net_savings = years[y].savings - years[y].treatment_cost;
        cumulative += years[y].net_savings;
        years[y].cumulative_net_savings = cumulative;
    }
    free(per);
    free(per_payer);
    return NS_OK;
}

enum ns_status
ns_area_sum(const struct ns_model *m, const struct ns_results *r, size_t k,
            long perspective, bool discounted, struct ns_area_year *sum)
{
    *sum = (struct ns_area_year){0};
    if (!m->area || m->cost_outcome < 0)
        return NS_EPARAM;
    size_t n = ns_area_n_years(m);
    struct ns_area_year *years = calloc(n, sizeof *years);
    if (!years)
        return NS_ENOMEM;
    enum ns_status st =
        ns_area_totals(m, r, k, perspective, discounted, years, NULL);
    for (size_t y = 0; st == NS_OK && y < n; y++) {
        sum->starts += years[y].starts;
        sum->treatment_cost += years[y].treatment_cost;
        sum->savings += years[y].savings;
        sum->net_savings += years[y].net_savings;
        sum->cumulative_net_savings = years[y].cumulative_net_savings;
    }
    free(years);
    return st;
}

/* netsave: verification checks on the results of a run (see verify.h).
 *
 * Each check walks the results it needs in full and records the first
 * failure it meets (the earliest strategy, then cycle, then state or
 * stream) and how many more there were, so the message points at where a
 * fault starts rather than at its consequences. Checks 1 to 3 read the
 * trace of the run being verified; checks 4 to 7 compare it with runs of
 * the same model under ns_run_options, made into one scratch results
 * struct reused for every run. Equality is exact unless a tolerance is
 * named: see verify.h for why. */
#include "model/verify.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/compiled.h"
#include "model/ledger.h"
#include "model/population.h"

void
ns_checks_clear(struct ns_checks *checks)
{
    free(checks->items);
    checks->items = NULL;
    checks->n = checks->cap = 0;
}

bool
ns_checks_all_passed(const struct ns_checks *checks)
{
    for (size_t i = 0; i < checks->n; i++)
        if (!checks->items[i].passed)
            return false;
    return checks->n > 0;
}

/* Appends a check with a formatted detail. Returns NS_OK or NS_ENOMEM. */
static enum ns_status add_check(struct ns_checks *out, const char *name,
                                bool passed, const char *fmt, ...)
    NS_PRINTF(4, 5);

static enum ns_status
add_check(struct ns_checks *out, const char *name, bool passed,
          const char *fmt, ...)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? 2 * out->cap : 8;
        struct ns_check *items = realloc(out->items, cap * sizeof *items);
        if (!items)
            return NS_ENOMEM;
        out->items = items;
        out->cap = cap;
    }
    struct ns_check *c = &out->items[out->n++];
    c->group[0] = '\0';
    snprintf(c->name, sizeof c->name, "%s", name);
    c->passed = passed;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof c->detail, fmt, ap);
    va_end(ap);
    return NS_OK;
}

/* Exact equality, written with <= because -Wfloat-equal flags == on
 * doubles; 0 equals -0, and NaN equals nothing. NaN is tested first
 * because <= on NaN raises FE_INVALID, which tests trap. */
static bool
same(double a, double b)
{
    return !isnan(a) && !isnan(b) && a <= b && b <= a;
}

/* As same(), but NaN equals NaN: for parameter values, where NaN marks a
 * parameter without a single value. */
static bool
same_or_both_nan(double a, double b)
{
    return (isnan(a) && isnan(b)) || same(a, b);
}

/* " (and N more)" when more than one failure was found, else "". */
static const char *
and_more(size_t n_failed, char *buf, size_t n)
{
    if (n_failed > 1)
        snprintf(buf, n, " (and %zu more)", n_failed - 1);
    else
        buf[0] = '\0';
    return buf;
}

/* "cycle t", or "at the start" for point 0, for messages about the trace:
 * the occupancy at point t is what cycle t left. */
static const char *
cycle_name(size_t t, char *buf, size_t n)
{
    if (t == 0)
        snprintf(buf, n, "at the start");
    else
        snprintf(buf, n, "cycle %zu", t);
    return buf;
}

/* Sum of strategy k's occupancy at point t. */
static double
cohort_at(const struct ns_results *r, size_t k, size_t t)
{
    double sum = 0.0;
    for (size_t s = 0; s < r->n_states; s++)
        sum += ns_results_trace(r, k, t, s);
    return sum;
}

/* What the trace of strategy k may drift by: NS_VERIFY_MASS_TOLERANCE
 * relative to the cohort at the start, absolute below a cohort of 1. */
static double
mass_tolerance(const struct ns_results *r, size_t k)
{
    return NS_VERIFY_MASS_TOLERANCE * fmax(1.0, fabs(cohort_at(r, k, 0)));
}

enum ns_status
ns_check_mass(const struct ns_model *m, const struct ns_results *r,
              struct ns_checks *out)
{
    size_t n_failed = 0, fk = 0, ft = 0;
    double largest = 0.0, f_sum = 0.0, f_start = 0.0, f_diff = 0.0;
    for (size_t k = 0; k < r->n_strategies; k++) {
        double start = cohort_at(r, k, 0), tol = mass_tolerance(r, k);
        for (size_t t = 1; t < r->n_points; t++) {
            double sum = cohort_at(r, k, t), diff = fabs(sum - start);
            if (!isnan(diff) && diff <= tol) {
                largest = fmax(largest, diff);
                continue;
            }
            if (n_failed++ == 0) {
                fk = k;
                ft = t;
                f_sum = sum;
                f_start = start;
                f_diff = diff;
            }
        }
    }
    if (n_failed == 0)
        return add_check(out, NS_CHECK_MASS, true,
                         "all %zu strategies, %zu time points: largest "
                         "difference %.1e",
                         r->n_strategies, r->n_points, largest);
    char more[48];
    return add_check(out, NS_CHECK_MASS, false,
                     "strategy %s, cycle %zu: total %.15g differs from %.15g "
                     "at the start by %.1e (tolerance %.0e)%s",
                     m->strategies[fk].name, ft, f_sum, f_start, f_diff,
                     NS_VERIFY_MASS_TOLERANCE,
                     and_more(n_failed, more, sizeof more));
}

enum ns_status
ns_check_probabilities(const struct ns_model *m, const struct ns_results *r,
                       struct ns_checks *out)
{
    size_t n_failed = 0, fk = 0, ft = 0, fs = 0;
    double f_v = 0.0;
    for (size_t k = 0; k < r->n_strategies; k++)
        for (size_t t = 0; t < r->n_points; t++)
            for (size_t s = 0; s < r->n_states; s++) {
                double v = ns_results_trace(r, k, t, s);
                if (isfinite(v) && v >= 0.0)
                    continue;
                if (n_failed++ == 0) {
                    fk = k;
                    ft = t;
                    fs = s;
                    f_v = v;
                }
            }
    if (n_failed == 0)
        return add_check(out, NS_CHECK_PROBABILITIES, true,
                         "checked by the engine in every cycle of every "
                         "strategy");
    char when[32], more[48];
    return add_check(out, NS_CHECK_PROBABILITIES, false,
                     "strategy %s, %s: state %s has occupancy %.15g, which "
                     "probabilities within [0, 1] cannot give%s",
                     m->strategies[fk].name, cycle_name(ft, when, sizeof when),
                     m->states[fs].name, f_v,
                     and_more(n_failed, more, sizeof more));
}

/* Whether state s is absorbing in strategy k: one transition, to itself,
 * with the constant probability 1 or as the complement of nothing. */
static bool
is_absorbing(const struct ns_model *m, size_t k, size_t s)
{
    const struct ns_model_priv *p = m->priv;
    const struct ns_row *row = &p->rows[k * m->n_states + s];
    if (row->n != 1 || row->entries[0].to != s)
        return false;
    if (row->complement == 0)
        return true;
    double v;
    return ns_expr_is_constant(p->exprs[row->entries[0].def].expr, &v) &&
           same(v, 1.0);
}

/* Appends name to the comma-separated list in buf if it fits, else "..."
 * once. */
static void
append_name(char *buf, size_t n, const char *name)
{
    size_t used = strlen(buf);
    if (used >= 3 && strcmp(buf + used - 3, "...") == 0)
        return;
    const char *sep = used ? ", " : "";
    if (used + strlen(sep) + strlen(name) + 4 < n)
        snprintf(buf + used, n - used, "%s%s", sep, name);
    else
        snprintf(buf + used, n - used, "%s...", sep);
}

enum ns_status
ns_check_absorbing(const struct ns_model *m, const struct ns_results *r,
                   struct ns_checks *out)
{
    size_t n_strategies = 0, n_failed = 0, fk = 0, ft = 0, fs = 0;
    double largest = 0.0, f_before = 0.0, f_after = 0.0;
    char names[160] = "";
    for (size_t s = 0; s < m->n_states; s++)
        for (size_t k = 0; k < m->n_strategies; k++)
            if (is_absorbing(m, k, s)) {
                append_name(names, sizeof names, m->states[s].name);
                break;
            }
    for (size_t k = 0; k < m->n_strategies; k++) {
        bool any = false;
        double tol = mass_tolerance(r, k);
        for (size_t t = 1; t < r->n_points; t++)
            for (size_t s = 0; s < m->n_states; s++) {
                if (!is_absorbing(m, k, s))
                    continue;
                any = true;
                double before = ns_results_trace(r, k, t - 1, s);
                double after = ns_results_trace(r, k, t, s);
                double fall = before - after;
                if (!isnan(fall) && fall <= tol) {
                    largest = fmax(largest, fall);
                    continue;
                }
                if (n_failed++ == 0) {
                    fk = k;
                    ft = t;
                    fs = s;
                    f_before = before;
                    f_after = after;
                }
            }
        if (any)
            n_strategies++;
    }
    if (n_strategies == 0)
        return add_check(out, NS_CHECK_ABSORBING, true,
                         "no state is absorbing");
    if (n_failed == 0)
        return add_check(out, NS_CHECK_ABSORBING, true,
                         "%s, in %zu strategies, %zu time points: largest "
                         "fall %.1e",
                         names, n_strategies, r->n_points, largest);
    char more[48];
    return add_check(out, NS_CHECK_ABSORBING, false,
                     "strategy %s, cycle %zu: absorbing state %s fell from "
                     "%.15g to %.15g%s",
                     m->strategies[fk].name, ft, m->states[fs].name, f_before,
                     f_after, and_more(n_failed, more, sizeof more));
}

bool
ns_verify_same_definitions(const struct ns_model *m, size_t *definition_of)
{
    size_t n = m->n_strategies;
    bool any = false;
    for (size_t k = 0; k < n; k++) {
        any = any || m->comparator[k] >= 0;
        size_t x = k;
        for (size_t i = 0; i < n && m->comparator[x] >= 0; i++)
            x = (size_t)m->comparator[x];
        if (m->comparator[x] >= 0) {
            /* n steps without reaching a root: x is on a cycle. */
            size_t lowest = x, y = x;
            do {
                y = (size_t)m->comparator[y];
                if (y < lowest)
                    lowest = y;
            } while (y != x);
            x = lowest;
        }
        definition_of[k] = x;
    }
    return any;
}

/* Whether treatment cost, savings and net savings are all exactly 0. */
static bool
ledger_is_zero(const struct ns_ledger *l)
{
    return same(l->net_savings, 0.0) && same(l->savings, 0.0) &&
           same(l->treatment_cost, 0.0);
}

enum ns_status
ns_check_same_as_comparator(const struct ns_model *m,
                            const struct ns_results *same_run,
                            struct ns_checks *out)
{
    const struct ns_results *r = same_run;
    size_t n_pairs = 0, n_failed = 0;
    char first[200] = "";
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        size_t c = (size_t)m->comparator[k];
        const char *sk = m->strategies[k].name, *sc = m->strategies[c].name;
        n_pairs++;
        for (size_t j = 0; j < m->n_streams; j++)
            for (int d = 0; d < 2; d++) {
                bool disc = d == 1;
                double a = ns_results_total(r, k, j, disc);
                double b = ns_results_total(r, c, j, disc);
                if (same(a, b))
                    continue;
                if (n_failed++ == 0)
                    snprintf(first, sizeof first,
                             "strategy %s against %s: %s total of %s is "
                             "%.15g, the comparator's %.15g",
                             sk, sc, disc ? "discounted" : "undiscounted",
                             m->streams[j].name, a, b);
            }
        for (long v = NS_ALL_PAYERS; v < (long)m->n_perspectives; v++)
            for (int d = 0; d < 2; d++) {
                bool disc = d == 1;
                struct ns_ledger l;
                ns_ledger_compute(m, r, k, v, disc, &l, NULL);
                if (!l.valid || ledger_is_zero(&l))
                    continue;
                if (n_failed++ == 0)
                    snprintf(first, sizeof first,
                             "strategy %s against %s, %s, %s: net savings "
                             "%.3g, savings %.3g, treatment cost %.3g",
                             sk, sc,
                             v == NS_ALL_PAYERS ? "all payers"
                                                : m->perspectives[v].name,
                             disc ? "discounted" : "undiscounted",
                             l.net_savings, l.savings, l.treatment_cost);
            }
    }
    if (n_pairs == 0)
        return add_check(out, NS_CHECK_COMPARATOR, true,
                         "no strategy has a comparator");
    if (n_failed == 0) {
        if (m->cost_outcome < 0)
            return add_check(out, NS_CHECK_COMPARATOR, true,
                             "%zu strategies run as their comparators: every "
                             "stream total equal (no cost outcome, so no "
                             "savings to check)",
                             n_pairs);
        return add_check(out, NS_CHECK_COMPARATOR, true,
                         "%zu strategies run as their comparators: every "
                         "stream total equal; savings, treatment cost and "
                         "net savings 0 for all payers and %zu perspectives",
                         n_pairs, m->n_perspectives);
    }
    char more[48];
    return add_check(out, NS_CHECK_COMPARATOR, false, "%s%s", first,
                     and_more(n_failed, more, sizeof more));
}

/* Number of i < n with a[i] != b[i]; the first such i in *first. */
static size_t
count_diff(const double *a, const double *b, size_t n, size_t *first)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (!same(a[i], b[i]) && count++ == 0)
            *first = i;
    return count;
}

/* Compares per-point stream values: a[i] against b[i]; on the first
 * difference, describes it in first (when empty). Returns the number of
 * differences. */
static size_t
diff_values(const struct ns_model *m, const struct ns_results *r,
            const double *a, const char *a_name, const double *b,
            const char *b_name, char *first, size_t n)
{
    size_t i = 0, J = r->n_streams, P = r->n_points;
    size_t count = count_diff(a, b, r->n_strategies * P * J, &i);
    if (count && first[0] == '\0')
        snprintf(first, n,
                 "strategy %s, stream %s, time point %zu: %s %.15g, %s %.15g",
                 m->strategies[i / (P * J)].name, m->streams[i % J].name,
                 (i / J) % P, a_name, a[i], b_name, b[i]);
    return count;
}

/* The same for stream totals. */
static size_t
diff_totals(const struct ns_model *m, const struct ns_results *r,
            const double *a, const char *a_name, const double *b,
            const char *b_name, char *first, size_t n)
{
    size_t i = 0, J = r->n_streams;
    size_t count = count_diff(a, b, r->n_strategies * J, &i);
    if (count && first[0] == '\0')
        snprintf(first, n, "strategy %s, stream %s: %s total %.15g, %s %.15g",
                 m->strategies[i / J].name, m->streams[i % J].name, a_name,
                 a[i], b_name, b[i]);
    return count;
}

/* The same for outcome totals. */
static size_t
diff_outcomes(const struct ns_model *m, const struct ns_results *r,
              const double *a, const char *a_name, const double *b,
              const char *b_name, char *first, size_t n)
{
    size_t i = 0, O = r->n_outcomes;
    size_t count = count_diff(a, b, r->n_strategies * O, &i);
    if (count && first[0] == '\0')
        snprintf(first, n, "strategy %s, outcome %s: %s total %.15g, %s %.15g",
                 m->strategies[i / O].name, m->outcomes[i % O].name, a_name,
                 a[i], b_name, b[i]);
    return count;
}

/* The same for the trace. */
static size_t
diff_trace(const struct ns_model *m, const struct ns_results *r,
           const double *a, const char *a_name, const double *b,
           const char *b_name, char *first, size_t n)
{
    size_t i = 0, S = r->n_states, P = r->n_points;
    size_t count = count_diff(a, b, r->n_strategies * P * S, &i);
    if (count && first[0] == '\0') {
        char when[32];
        snprintf(first, n, "strategy %s, %s, state %s: %s %.15g, %s %.15g",
                 m->strategies[i / (P * S)].name,
                 cycle_name((i / S) % P, when, sizeof when),
                 m->states[i % S].name, a_name, a[i], b_name, b[i]);
    }
    return count;
}

enum ns_status
ns_check_zero_discount(const struct ns_model *m, const struct ns_results *r,
                       const struct ns_results *zero, struct ns_checks *out)
{
    char first[200] = "";
    size_t n = sizeof first, count = 0;
    const struct ns_results *z = zero;
    count += diff_values(m, z, z->values_disc, "discounted", z->values,
                         "undiscounted", first, n);
    count += diff_totals(m, z, z->total_disc, "discounted", z->total,
                         "undiscounted", first, n);
    count += diff_outcomes(m, z, z->outcome_total_disc, "discounted",
                           z->outcome_total, "undiscounted", first, n);
    count += diff_values(m, z, z->values, "undiscounted", r->values,
                         "as written", first, n);
    count += diff_totals(m, z, z->total, "undiscounted", r->total,
                         "as written", first, n);
    count += diff_outcomes(m, z, z->outcome_total, "undiscounted",
                           r->outcome_total, "as written", first, n);
    if (count == 0)
        return add_check(out, NS_CHECK_DISCOUNT, true,
                         "all %zu strategies, %zu streams, %zu time points: "
                         "discounted equal to undiscounted, and to the "
                         "undiscounted results as written",
                         r->n_strategies, r->n_streams, r->n_points);
    char more[48];
    return add_check(out, NS_CHECK_DISCOUNT, false, "%s%s", first,
                     and_more(count, more, sizeof more));
}

enum ns_status
ns_check_rerun(const struct ns_model *m, const struct ns_results *r,
               const struct ns_results *again, struct ns_checks *out)
{
    char first[200] = "";
    size_t n = sizeof first, count = 0;
    const struct ns_results *a = again;
    count += diff_trace(m, r, a->trace, "again", r->trace, "first", first, n);
    count += diff_values(m, r, a->values, "again", r->values, "first", first,
                         n);
    count += diff_values(m, r, a->values_disc, "discounted again",
                         r->values_disc, "first", first, n);
    count += diff_totals(m, r, a->total, "again", r->total, "first", first, n);
    count += diff_totals(m, r, a->total_disc, "discounted again",
                         r->total_disc, "first", first, n);
    count += diff_outcomes(m, r, a->outcome_total, "again", r->outcome_total,
                           "first", first, n);
    count += diff_outcomes(m, r, a->outcome_total_disc, "discounted again",
                           r->outcome_total_disc, "first", first, n);
    size_t NP = r->n_params;
    for (size_t i = 0; i < r->n_strategies * NP; i++) {
        if (same_or_both_nan(a->param_values[i], r->param_values[i]))
            continue;
        if (count++ == 0)
            snprintf(first, n, "strategy %s, parameter %s: again %.15g, "
                     "first %.15g",
                     m->strategies[i / NP].name, m->params[i % NP].name,
                     a->param_values[i], r->param_values[i]);
    }
    if (count == 0)
        return add_check(out, NS_CHECK_RERUN, true,
                         "all %zu strategies: trace, values, totals and "
                         "parameter values identical",
                         r->n_strategies);
    char more[48];
    return add_check(out, NS_CHECK_RERUN, false, "%s%s", first,
                     and_more(count, more, sizeof more));
}

/* Check 6 for one run: compares 'doubled' (a run in which stream i was
 * doubled when scale[i] is 2) with r, adding to *n_failed and describing
 * the first failure in first (when empty). Doubling is exact in binary
 * floating point, and the engine applies the scale to each term before
 * summing, so each total must be exactly its factor times r's. */
static void
compare_doubled(const struct ns_model *m, const struct ns_results *r,
                const double *scale, const struct ns_results *doubled,
                size_t *n_failed, char *first, size_t n)
{
    for (size_t k = 0; k < r->n_strategies; k++)
        for (size_t i = 0; i < r->n_streams; i++)
            for (int d = 0; d < 2; d++) {
                bool disc = d == 1;
                double want = scale[i] * ns_results_total(r, k, i, disc);
                double got = ns_results_total(doubled, k, i, disc);
                if (same(got, want))
                    continue;
                if ((*n_failed)++ == 0)
                    snprintf(first, n,
                             "stream %s %s, strategy %s: %s total %.15g, "
                             "expected %.15g",
                             m->streams[i].name,
                             scale[i] > 1.0 ? "doubled" : "not doubled",
                             m->strategies[k].name,
                             disc ? "discounted" : "undiscounted", got, want);
            }
    *n_failed += diff_trace(m, r, doubled->trace, "with streams doubled",
                            r->trace, "as written", first, n);
}

/* Runs m with opt into scratch. On failure appends check 'name' as
 * failed and sets *status to NS_EMODEL (the engine's diagnostics are in
 * diags). Returns NS_OK when the run succeeded, NS_EMODEL when it failed
 * and was recorded, NS_ENOMEM. */
static enum ns_status
rerun(const struct ns_model *m, struct ns_workspace *ws,
      struct ns_results *scratch, struct ns_diags *diags,
      const struct ns_run_options *opt, const char *name,
      struct ns_checks *out, enum ns_status *status)
{
    if (ns_model_run_opt(m, ws, scratch, diags, opt) == NS_OK)
        return NS_OK;
    *status = NS_EMODEL;
    if (add_check(out, name, false,
                  "the model failed when run again for this check: see the "
                  "diagnostics") != NS_OK)
        return NS_ENOMEM;
    return NS_EMODEL;
}

/* Check 6. Rather than one run per stream, run b doubles every stream j
 * whose number j + 1 has bit b set: about log2(streams) runs. Any two
 * streams differ in some bit, so in some run one is doubled and the other
 * not, and a value of one counted in the other shows there. */
static enum ns_status
check_streams(const struct ns_model *m, const struct ns_results *r,
              struct ns_workspace *ws, struct ns_results *scratch,
              struct ns_checks *out, struct ns_diags *diags,
              enum ns_status *status)
{
    size_t J = m->n_streams;
    if (J == 0)
        return add_check(out, NS_CHECK_STREAMS, true,
                         "the model has no streams");
    double *scale = malloc(J * sizeof *scale);
    if (!scale)
        return NS_ENOMEM;
    struct ns_run_options opt = {.stream_scale = scale};
    size_t n_failed = 0, n_runs = 0;
    char first[200] = "";
    enum ns_status st = NS_OK;
    for (size_t bit = 0; ((size_t)1 << bit) <= J && st == NS_OK; bit++) {
        for (size_t j = 0; j < J; j++)
            scale[j] = ((j + 1) >> bit) & 1 ? 2.0 : 1.0;
        n_runs++;
        st = rerun(m, ws, scratch, diags, &opt, NS_CHECK_STREAMS, out,
                   status);
        if (st == NS_OK)
            compare_doubled(m, r, scale, scratch, &n_failed, first,
                            sizeof first);
    }
    free(scale);
    if (st == NS_EMODEL)
        return NS_OK; /* recorded as a failed check by rerun() */
    if (st != NS_OK)
        return st;
    if (n_failed == 0)
        return add_check(out, NS_CHECK_STREAMS, true,
                         "%zu streams doubled in %zu runs (each stream "
                         "doubled in some runs and not in others), %zu "
                         "strategies: doubled totals exactly twice, the "
                         "others and the trace unchanged",
                         J, n_runs, m->n_strategies);
    char more[48];
    return add_check(out, NS_CHECK_STREAMS, false, "%s%s", first,
                     and_more(n_failed, more, sizeof more));
}

/* Checks 4 to 7, each on its own run into scratch. */
static enum ns_status
verify_by_running(const struct ns_model *m, const struct ns_results *r,
                  struct ns_workspace *ws, struct ns_results *scratch,
                  size_t *definition_of, struct ns_checks *out,
                  struct ns_diags *diags, enum ns_status *status)
{
    enum ns_status st;
    if (!ns_verify_same_definitions(m, definition_of)) {
        st = add_check(out, NS_CHECK_COMPARATOR, true,
                       "no strategy has a comparator");
    } else {
        struct ns_run_options opt = {.definition_of = definition_of};
        st = rerun(m, ws, scratch, diags, &opt, NS_CHECK_COMPARATOR, out,
                   status);
        if (st == NS_OK)
            st = ns_check_same_as_comparator(m, scratch, out);
    }
    if (st == NS_ENOMEM)
        return st;

    struct ns_run_options zero = {.zero_discount = true};
    st = rerun(m, ws, scratch, diags, &zero, NS_CHECK_DISCOUNT, out, status);
    if (st == NS_OK)
        st = ns_check_zero_discount(m, r, scratch, out);
    if (st == NS_ENOMEM)
        return st;

    if (check_streams(m, r, ws, scratch, out, diags, status) == NS_ENOMEM)
        return NS_ENOMEM;

    st = rerun(m, ws, scratch, diags, NULL, NS_CHECK_RERUN, out, status);
    if (st == NS_OK)
        st = ns_check_rerun(m, r, scratch, out);
    return st == NS_ENOMEM ? st : NS_OK;
}

enum ns_status
ns_verify_model(const struct ns_model *m, const struct ns_results *r,
                struct ns_workspace *ws, struct ns_checks *out,
                struct ns_diags *diags)
{
    if (r->n_strategies != m->n_strategies || r->n_states != m->n_states ||
        r->n_streams != m->n_streams || r->n_outcomes != m->n_outcomes ||
        r->n_points != m->n_cycles + 1 || r->n_params != m->n_params) {
        ns_diags_add_at(diags, (struct ns_origin){0},
                        "the results to verify were not made for model %s",
                        m->name);
        return NS_EMODEL;
    }
    if (ns_check_mass(m, r, out) != NS_OK ||
        ns_check_probabilities(m, r, out) != NS_OK ||
        ns_check_absorbing(m, r, out) != NS_OK)
        return NS_ENOMEM;

    struct ns_results *scratch = ns_results_alloc(m);
    size_t *definition_of =
        malloc((m->n_strategies + 1) * sizeof *definition_of);
    enum ns_status status = NS_OK;
    if (!scratch || !definition_of)
        status = NS_ENOMEM;
    else if (verify_by_running(m, r, ws, scratch, definition_of, out, diags,
                               &status) == NS_ENOMEM)
        status = NS_ENOMEM;
    free(definition_of);
    ns_results_free(scratch);
    return status;
}

enum ns_status
ns_verify_population(const struct ns_population *pop, struct ns_checks *out,
                     struct ns_diags *diags)
{
    enum ns_status status = NS_OK;
    for (size_t g = 0; g < pop->n_groups; g++) {
        struct ns_workspace *ws = ns_workspace_alloc(pop->models[g]);
        if (!ws)
            return NS_ENOMEM;
        size_t first = out->n;
        enum ns_status st = ns_verify_model(pop->models[g], pop->results[g],
                                            ws, out, diags);
        ns_workspace_free(ws);
        for (size_t i = first; pop->n_groups > 1 && i < out->n; i++)
            snprintf(out->items[i].group, sizeof out->items[i].group, "%s",
                     pop->names[g]);
        if (st == NS_ENOMEM)
            return st;
        if (st != NS_OK)
            status = st;
    }
    return status;
}

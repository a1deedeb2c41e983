/* netsave run, check and validate: one run of the model, printed,
 * verified, compared with its targets, written. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/anchors.h"
#include "cli/cli.h"
#include "cli/validation.h"
#include "model/analysis/frontier.h"
#include "model/area.h"
#include "model/ledger.h"

/* Width of the strategy column: the longest strategy name. */
static int
name_width(const struct ns_model *m)
{
    size_t w = strlen("strategy");
    for (size_t k = 0; k < m->n_strategies; k++)
        if (strlen(m->strategies[k].name) > w)
            w = strlen(m->strategies[k].name);
    return (int)w;
}

/* "s" unless x is exactly 1 ("1 year", "0.25 years", "2 years"). */
static const char *
plural_years(double x)
{
    return x < 1.0 || x > 1.0 ? "s" : "";
}

static void
print_ledger_row(const struct ns_model *m, int w, size_t k,
                 const struct ns_ledger *l)
{
    printf("%-*s %-*s %14.2f %14.2f %14.2f ", w, m->strategies[k].name, w,
           m->strategies[l->comparator].name, l->treatment_cost, l->savings,
           l->net_savings);
    /* No extra treatment spend: a ratio would mean nothing. */
    if (isnan(l->benefit_cost_ratio))
        printf("%10s  ", "n/a");
    else
        printf("%10.2f  ", l->benefit_cost_ratio);
    if (isnan(l->payback_year)) {
        double years = (double)m->n_cycles * m->cycle_length_years;
        printf("not within %g year%s\n", years, plural_years(years));
    }
    else
        printf("year %.0f\n", l->payback_year);
}

/* Whom the printed totals are for: they are the cohort's, which is one
 * member only when the initial values sum to 1. */
static void
cohort_phrase(const struct ns_model *m, const struct ns_results *r,
              const char *one, char *buf, size_t n)
{
    double first = ns_results_cohort(r, 0);
    bool same = true;
    for (size_t k = 1; k < m->n_strategies; k++)
        same &= fabs(ns_results_cohort(r, k) - first) <= 1e-9 * first;
    if (!same)
        snprintf(buf, n, "for each strategy's starting cohort (of "
                         "different sizes)");
    else if (fabs(first - 1.0) <= 1e-9)
        snprintf(buf, n, "%s", one);
    else
        snprintf(buf, n, "for the starting cohort of %g", first);
}

/* Net savings per strategy and perspective, for models whose cost
 * streams name payers. */
static void
print_net_savings(const struct ns_model *m, const struct ns_results *r)
{
    if (m->n_payers == 0 || m->cost_outcome < 0)
        return;
    int w = name_width(m);
    size_t n_views = m->n_perspectives ? m->n_perspectives : 1;
    char whom[128];
    cohort_phrase(m, r, "per client", whom, sizeof whom);
    for (size_t v = 0; v < n_views; v++) {
        long view = m->n_perspectives ? (long)v : NS_ALL_PAYERS;
        printf("\nNet savings %s, discounted, perspective: %s\n", whom,
               ns_cli_perspective_name(m, view));
        printf("%-*s %-*s %14s %14s %14s %10s  %s\n", w, "strategy", w,
               "compared with", "treatment cost", "savings", "net savings",
               "per GBP 1", "payback");
        for (size_t k = 0; k < m->n_strategies; k++) {
            struct ns_ledger l;
            ns_ledger_compute(m, r, k, view, true, &l, NULL);
            if (l.valid)
                print_ledger_row(m, w, k, &l);
        }
    }
}

static void
print_incremental(const struct ns_model *m, const struct ns_results *r,
                  size_t k)
{
    struct ns_incremental inc;
    ns_results_incremental(m, r, k, true, &inc);
    if (!inc.has_comparator) {
        printf(" %14s %14s  %s", "", "", "(comparator)");
        return;
    }
    printf(" %14.4f %14.6f  ", inc.delta_cost, inc.delta_health);
    if (inc.dominance == NS_DOM_NONE)
        printf("%.4f", inc.icer);
    else
        printf("%s", ns_dominance_name(inc.dominance));
    printf(" (vs %s)", m->strategies[inc.comparator].name);
}

static void
print_frontier_row(const struct ns_model *m, int w,
                   const struct ns_frontier_row *row)
{
    printf("%-*s %14.4f %14.6f ", w, m->strategies[row->strategy].name,
           row->cost, row->effect);
    if (row->has_previous)
        printf("%14.4f %14.6f %14.4f", row->delta_cost, row->delta_effect,
               row->icer);
    else
        printf("%14s %14s %14s", "", "", "");
    printf("  %-6s %-*s", ns_frontier_status_name(row->status), w,
           row->has_previous ? m->strategies[row->previous].name : "");
    if (m->wtp > 0.0)
        printf(" %14.4f %14.6f",
               ns_net_monetary_benefit(row->cost, row->effect, m->wtp),
               ns_net_health_benefit(row->cost, row->effect, m->wtp));
    printf("\n");
}

/* The frontier over all strategies (model/analysis/frontier.h), per
 * subgroup when there are several, then for the whole population, with
 * the net benefits at the model's wtp. */
static int
print_frontier(const struct ns_population *pop)
{
    const struct ns_model *m = pop->models[0];
    if (m->cost_outcome < 0 || m->health_outcome < 0)
        return NS_EXIT_OK;
    struct ns_frontier_row *rows = calloc(m->n_strategies + 1, sizeof *rows);
    if (!rows) {
        fprintf(stderr, "netsave: out of memory\n");
        return NS_EXIT_FAILURE;
    }
    int w = name_width(m);
    for (size_t g = ns_group_first(pop); g <= pop->n_groups; g++) {
        if (ns_frontier_of_results(m, ns_group_results(pop, g), rows) !=
            NS_OK) {
            fprintf(stderr, "netsave: out of memory\n");
            free(rows);
            return NS_EXIT_FAILURE;
        }
        printf("\nFrontier over all strategies, discounted, subgroup: %s "
               "(ND on the frontier, ED extendedly, D strongly dominated)\n",
               ns_group_name(pop, g));
        printf("%-*s %14s %14s %14s %14s %14s  %-6s %-*s", w, "strategy",
               m->outcomes[m->cost_outcome].name,
               m->outcomes[m->health_outcome].name, "incr. cost",
               "incr. health", "ICER", "status", w, "vs");
        if (m->wtp > 0.0)
            printf(" %14s %14s", "NMB", "NHB");
        printf("\n");
        for (size_t i = 0; i < m->n_strategies; i++)
            print_frontier_row(m, w, &rows[i]);
        if (m->wtp > 0.0 && g == pop->n_groups)
            printf("NMB = %g x %s - %s; NHB = %s - %s / %g\n", m->wtp,
                   m->outcomes[m->health_outcome].name,
                   m->outcomes[m->cost_outcome].name,
                   m->outcomes[m->health_outcome].name,
                   m->outcomes[m->cost_outcome].name, m->wtp);
    }
    free(rows);
    return NS_EXIT_OK;
}

static void
print_area_row(const char *label, const struct ns_area_year *y)
{
    printf("%-10s %12.2f %16.2f %16.2f %16.2f", label, y->starts,
           y->treatment_cost, y->savings, y->net_savings);
}

/* The area's totals for one perspective: every year, then each treated
 * strategy's and the area's totals over all years. */
static bool
print_area_view(const struct ns_model *m, const struct ns_results *r,
                long view, struct ns_area_year *years)
{
    size_t n_years = ns_area_n_years(m);
    printf("\nArea %s, discounted, perspective: %s\n", m->area->name,
           ns_cli_perspective_name(m, view));
    printf("%-10s %12s %16s %16s %16s %16s\n", "year", "starts",
           "treatment cost", "savings", "net savings", "cumulative");
    if (ns_area_totals(m, r, NS_AREA_ALL, view, true, years, NULL) != NS_OK)
        return false;
    struct ns_area_year total = {0};
    for (size_t y = 0; y < n_years; y++) {
        char label[32];
        snprintf(label, sizeof label, "%zu", y + 1);
        print_area_row(label, &years[y]);
        printf(" %16.2f\n", years[y].cumulative_net_savings);
        total.starts += years[y].starts;
        total.treatment_cost += years[y].treatment_cost;
        total.savings += years[y].savings;
    }
    printf("totals, years 1 to %zu:\n", n_years);
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        if (ns_area_totals(m, r, k, view, true, years, NULL) != NS_OK)
            return false;
        struct ns_area_year sum = {0};
        for (size_t y = 0; y < n_years; y++) {
            sum.starts += years[y].starts;
            sum.treatment_cost += years[y].treatment_cost;
            sum.savings += years[y].savings;
        }
        sum.net_savings = sum.savings - sum.treatment_cost;
        print_area_row(m->strategies[k].name, &sum);
        printf("\n");
    }
    total.net_savings = total.savings - total.treatment_cost;
    print_area_row("all", &total);
    printf("\n");
    return true;
}

/* An area's totals per year and perspective (model/area.h). */
static bool
print_area(const struct ns_model *m, const struct ns_results *r)
{
    if (!m->area || m->cost_outcome < 0)
        return true;
    size_t n_years = ns_area_n_years(m);
    struct ns_area_year *years = calloc(n_years, sizeof *years);
    if (!years)
        return false;
    printf("\nArea %s: clients start in years 1 to %zu, each at the start of "
           "its year, and are\nfollowed for the model's %g years; totals "
           "discounted to the start of year 1\n",
           m->area->name, m->area->n_years,
           (double)m->n_cycles * m->cycle_length_years);
    size_t n_views = m->n_perspectives ? m->n_perspectives : 1;
    bool ok = true;
    for (size_t v = 0; ok && v < n_views; v++)
        ok = print_area_view(m, r, m->n_perspectives ? (long)v : NS_ALL_PAYERS,
                             years);
    free(years);
    return ok;
}

/* Prints the outcomes the model puts in its ICER, or all of them when it
 * names none, for every strategy, then the comparison and net savings. */
static void
print_summary(const struct ns_model *m, const struct ns_results *r)
{
    bool icer = m->cost_outcome >= 0 && m->health_outcome >= 0;
    size_t shown[2] = {(size_t)m->cost_outcome, (size_t)m->health_outcome};
    size_t n_shown = icer ? 2 : m->n_outcomes;
    int w = name_width(m);
    char whom[128];
    cohort_phrase(m, r, "per member of the starting cohort", whom,
                  sizeof whom);
    printf("%s\n", m->name);
    printf("%zu cycle%s of %g year%s; discounted totals %s\n\n", m->n_cycles,
           m->n_cycles == 1 ? "" : "s", m->cycle_length_years,
           plural_years(m->cycle_length_years), whom);
    printf("%-*s", w, "strategy");
    for (size_t i = 0; i < n_shown; i++)
        printf(" %14s", m->outcomes[icer ? shown[i] : i].name);
    if (icer)
        printf(" %14s %14s  %s", "incr. cost", "incr. health", "ICER");
    printf("\n");
    for (size_t k = 0; k < m->n_strategies; k++) {
        printf("%-*s", w, m->strategies[k].name);
        for (size_t i = 0; i < n_shown; i++)
            printf(" %14.4f",
                   ns_results_outcome(r, k, icer ? shown[i] : i, true));
        if (icer)
            print_incremental(m, r, k);
        printf("\n");
    }
    print_net_savings(m, r);
}

/* The Anchors sheet of run's and validate's workbook: when the anchors
 * file netsave anchors would read exists (params/anchors.csv next to the
 * England model), the workbook puts netsave beside the published studies
 * for commissioners too. A file that exists but is bad is bad input. */
static bool
workbook_anchors(const struct ns_cli_args *a, struct ns_cli_anchors **out,
                 struct ns_diags *diags)
{
    struct ns_cli_anchors_request req = {a->files.items, a->files.n,
                                         a->sets.items, a->sets.n, NULL};
    char *path = ns_cli_anchors_default_path(&req);
    bool present = path && access(path, R_OK) == 0;
    free(path);
    *out = NULL;
    if (!present)
        return true;
    if (ns_cli_anchors_prepare(&req, out, diags) != NS_OK)
        return false;
    if (ns_cli_anchor_runs_spared(a, *out))
        return true;
    ns_cli_anchors_free(*out);
    *out = NULL;
    return false;
}

/* Compares the model with its targets, printing the tables. */
static enum ns_cli_validation
validation(const struct ns_population *pop)
{
    struct ns_diags problems = {0};
    enum ns_cli_validation found = ns_cli_validation_print(pop, &problems);
    ns_diags_sort(&problems);
    ns_cli_print_diags(&problems);
    /* An error with nothing to say is memory running out. */
    if (found == NS_VALIDATION_ERROR && problems.count == 0)
        fprintf(stderr, "netsave: out of memory\n");
    ns_diags_clear(&problems);
    return found;
}

static int
write_run_outputs(const struct ns_cli_args *a, struct ns_cli_model *m,
                  const struct ns_checks *checks)
{
    struct ns_cli_anchors *anchors = NULL;
    if (a->output && !workbook_anchors(a, &anchors, &m->diags)) {
        ns_diags_sort(&m->diags);
        ns_cli_print_diags(&m->diags);
        return NS_EXIT_BAD_INPUT;
    }
    struct ns_run_info extra = {0};
    if (anchors)
        extra = (struct ns_run_info){.anchors = anchors->reports,
                                     .n_anchors = anchors->defs->n};
    int rc = ns_cli_write_outputs(a, m->params, m->pop, checks,
                                  anchors ? &extra : NULL, false);
    ns_cli_anchors_free(anchors);
    return rc;
}

/* run and validate: validating, a model without targets is bad input, a
 * target that cannot be computed writes nothing, and a missed target
 * fails the run. */
static int
run_or_validate(const struct ns_cli_args *a, bool validating)
{
    struct ns_cli_model m;
    struct ns_checks checks = {0};
    int rc = ns_cli_model_load(a, &m);
    const struct ns_model *model = rc == NS_EXIT_OK ? m.pop->models[0] : NULL;
    if (model && validating && model->n_targets == 0) {
        fprintf(stderr, "netsave validate: the model names no targets; add "
                        "[validation] targets = FILE.csv\n");
        rc = NS_EXIT_BAD_INPUT;
    }
    if (rc == NS_EXIT_OK && !ns_cli_verify(m.pop, &checks, &m.diags))
        rc = NS_EXIT_FAILURE;
    enum ns_cli_validation found = NS_VALIDATION_MET;
    if (rc == NS_EXIT_OK) {
        print_summary(model, m.pop->pooled);
        rc = print_frontier(m.pop);
    }
    if (rc == NS_EXIT_OK) {
        if (!print_area(model, m.pop->pooled)) {
            fprintf(stderr, "netsave: out of memory\n");
            rc = NS_EXIT_FAILURE;
        }
        printf("\nVerification: %zu of %zu checks passed%s\n", checks.n,
               checks.n, m.pop->n_groups > 1 ? " (all subgroups)" : "");
        if (model->n_targets)
            found = validation(m.pop);
        /* A target that cannot be computed is bad input to validate,
         * which then writes nothing; run only reports it. */
        if (validating && found == NS_VALIDATION_ERROR)
            rc = NS_EXIT_BAD_INPUT;
    }
    if (rc == NS_EXIT_OK)
        rc = write_run_outputs(a, &m, &checks);
    if (validating && rc == NS_EXIT_OK && found != NS_VALIDATION_MET)
        rc = NS_EXIT_FAILURE;
    ns_checks_clear(&checks);
    ns_cli_model_clear(&m);
    return rc;
}

int
ns_cli_run(const struct ns_cli_args *a)
{
    return run_or_validate(a, false);
}

int
ns_cli_validate(const struct ns_cli_args *a)
{
    return run_or_validate(a, true);
}

int
ns_cli_check(const struct ns_cli_args *a)
{
    struct ns_cli_model m;
    struct ns_checks checks = {0};
    int rc = ns_cli_model_load(a, &m);
    if (rc == NS_EXIT_OK && a->verify &&
        !ns_cli_verify(m.pop, &checks, &m.diags))
        rc = NS_EXIT_FAILURE;
    if (rc == NS_EXIT_OK) {
        const struct ns_model *model = m.pop->models[0];
        printf("%s: valid (%zu states, %zu strategies, %zu cycles",
               model->name, model->n_states, model->n_strategies,
               model->n_cycles);
        if (m.pop->n_groups > 1)
            printf(", %zu subgroups", m.pop->n_groups);
        printf(")\n");
        if (a->verify)
            printf("verification: %zu of %zu checks passed\n", checks.n,
                   checks.n);
    }
    ns_checks_clear(&checks);
    ns_cli_model_clear(&m);
    return rc;
}

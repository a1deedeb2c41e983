/* netsave compare: scenario overlays against a base model; netsave areas:
 * area overlays on a base model, one run each, gathered. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/mpi.h"
#include "model/analysis/compare.h"
#include "model/area.h"
#include "model/ledger.h"

/* The models of a comparison: the base, then each scenario on it. */
struct models {
    size_t n;
    struct ns_params **params;
    struct ns_population **pops;
    struct ns_scenario_spec *specs;
};

static void
models_free(struct models *s)
{
    for (size_t i = 0; i < s->n; i++) {
        ns_population_free(s->pops ? s->pops[i] : NULL);
        ns_params_free(s->params ? s->params[i] : NULL);
    }
    free(s->params);
    free(s->pops);
    free(s->specs);
}

/* Builds the base (the --base files, or the built-in model) and, for
 * each scenario file, the base with it on top, with what it changes. */
static int
build(const struct ns_cli_args *a, struct models *s, struct ns_diags *diags)
{
    s->n = a->files.n + 1;
    s->params = calloc(s->n, sizeof *s->params);
    s->pops = calloc(s->n, sizeof *s->pops);
    s->specs = calloc(s->n, sizeof *s->specs);
    const char **files = calloc(a->bases.n + 2, sizeof *files);
    int rc = s->params && s->pops && s->specs && files ? NS_EXIT_OK
                                                       : NS_EXIT_FAILURE;
    for (size_t b = 0; files && b < a->bases.n; b++)
        files[b] = a->bases.items[b];
    for (size_t i = 0; rc == NS_EXIT_OK && i < s->n; i++) {
        const char *file = i ? a->files.items[i - 1] : NULL;
        files[a->bases.n] = file;
        rc = ns_cli_model_build(a, files, a->bases.n + (i > 0),
                                a->bases.n == 0, &s->params[i], &s->pops[i],
                                diags);
        if (rc != NS_EXIT_OK)
            break;
        const struct ns_model_def *def = &s->params[i]->def;
        s->specs[i] = (struct ns_scenario_spec){
            file, i ? (def->scenario_name ? def->scenario_name : file) : "base",
            i ? def->scenario_description : NULL, s->pops[i], NULL, 0};
        if (i && ns_params_changes(s->params[0], s->params[i],
                                   &s->specs[i].changes,
                                   &s->specs[i].n_changes) != NS_OK)
            rc = NS_EXIT_FAILURE;
    }
    free(files);
    if (rc == NS_EXIT_FAILURE)
        fprintf(stderr, "netsave: out of memory\n");
    return rc;
}

static void
print_comparison(const struct ns_comparison *c)
{
    const struct ns_model *m0 = c->scenarios[0].model;
    size_t K = c->n_strategies;
    printf("Net savings per client, discounted, %s: each scenario against "
           "the base\n",
           ns_cli_perspective_name(m0, c->perspective));
    for (size_t i = 0; i < c->n; i++) {
        const struct ns_scenario_result *s = &c->scenarios[i];
        printf("\n%s%s%s\n", s->name, i ? "" : " model",
               s->description ? ":" : "");
        if (s->description)
            printf("  %s\n", s->description);
        for (size_t j = 0; j < s->n_changes; j++)
            printf("  changes %s\n", s->changes[j]);
        for (size_t k = 0; k < K; k++) {
            if (s->model->comparator[k] < 0)
                continue;
            double net = c->net_savings[i * K + k];
            printf("  %-16s %14.2f", s->model->strategies[k].name, net);
            if (i)
                printf("  (%+.2f)", net - c->net_savings[k]);
            printf("\n");
        }
    }
}

static int
write_files(const struct ns_cli_args *a, const struct models *s,
            const struct ns_comparison *c, struct ns_diags *diags)
{
    char err[512];
    if (a->csv_dir) {
        if (!ns_cli_ensure_dir(a->csv_dir))
            return NS_EXIT_FAILURE;
        if (ns_csv_write_scenarios(a->csv_dir, c->scenarios, c->n, a->set, err,
                                   sizeof err) != NS_OK) {
            fprintf(stderr, "netsave: %s\n", err);
            return NS_EXIT_FAILURE;
        }
    }
    /* The workbook: the base model, plus the Scenarios sheet. */
    if (!a->output)
        return NS_EXIT_OK;
    struct ns_run_info extra = {.scenarios = c->scenarios,
                                .n_scenarios = c->n};
    return ns_cli_write_base_workbook(a, s->params[0], s->pops[0], &extra,
                                      diags);
}

int
ns_cli_compare(const struct ns_cli_args *a)
{
    if (a->files.n == 0) {
        ns_cli_print_help(a->command, stderr);
        return NS_EXIT_BAD_INPUT;
    }
    struct models s = {0};
    struct ns_diags diags = {0};
    struct ns_comparison *c = NULL;
    int rc = build(a, &s, &diags);
    /* Every MPI rank meets here, its models built, or fails. */
    if (rc == NS_EXIT_OK && !ns_cli_mpi_begin(a->mpi))
        rc = NS_EXIT_FAILURE;
    if (rc == NS_EXIT_OK) {
        enum ns_status st =
            ns_compare_run_shared(s.specs, s.n, ns_cli_mpi_run_share(a->mpi),
                                  &c, NULL, &diags);
        (void)ns_cli_mpi_end(a->mpi, st == NS_OK);
        if (st != NS_OK) {
            ns_diags_sort(&diags);
            ns_cli_print_diags(&diags);
            rc = st == NS_ENOMEM ? NS_EXIT_FAILURE : NS_EXIT_BAD_INPUT;
        }
    } else {
        /* The specs built so far were never handed to a comparison. */
        for (size_t i = 0; s.specs && i < s.n; i++)
            ns_params_changes_free(s.specs[i].changes, s.specs[i].n_changes);
    }
    if (rc == NS_EXIT_OK && ns_cli_mpi_root(a->mpi)) {
        print_comparison(c);
        rc = write_files(a, &s, c, &diags);
    }
    ns_comparison_free(c);
    models_free(&s);
    ns_diags_clear(&diags);
    return rc;
}

/* ---- netsave areas ---- */

/* Every operand must be an area: refused before anything runs. */
static bool
all_areas(const struct ns_cli_args *a, const struct models *s)
{
    for (size_t i = 1; i < s->n; i++)
        if (!s->pops[i]->models[0]->area) {
            fprintf(stderr,
                    "netsave areas: %s has no [area] section (netsave init "
                    "DIR --area NAME writes one)\n",
                    a->files.items[i - 1]);
            return false;
        }
    return true;
}

static void
print_areas(const struct ns_scenario_result *areas, size_t n)
{
    const struct ns_model *m0 = areas[0].model;
    long view = m0->n_perspectives ? 0 : NS_ALL_PAYERS;
    printf("Areas: all clients over all years, discounted, perspective: "
           "%s\n",
           ns_cli_perspective_name(m0, view));
    printf("%-20s %14s %16s %16s %16s\n", "area", "clients", "treatment cost",
           "savings", "net savings");
    for (size_t i = 0; i < n; i++) {
        const struct ns_model *m = areas[i].model;
        struct ns_area_year sum;
        (void)ns_area_sum(m, areas[i].results, NS_AREA_ALL,
                          m->n_perspectives ? 0 : NS_ALL_PAYERS, true, &sum);
        printf("%-20s %14.2f %16.2f %16.2f %16.2f\n", m->area->name,
               sum.starts, sum.treatment_cost, sum.savings, sum.net_savings);
    }
}

static int
write_area_files(const struct ns_cli_args *a, const struct models *s,
                 const struct ns_scenario_result *areas,
                 struct ns_diags *diags)
{
    char err[512];
    if (a->csv_dir) {
        if (!ns_cli_ensure_dir(a->csv_dir))
            return NS_EXIT_FAILURE;
        if (ns_csv_write_areas(a->csv_dir, areas, s->n - 1, a->set, err,
                               sizeof err) != NS_OK) {
            fprintf(stderr, "netsave: %s\n", err);
            return NS_EXIT_FAILURE;
        }
    }
    if (!a->output)
        return NS_EXIT_OK;
    struct ns_run_info extra = {.areas = areas, .n_areas = s->n - 1};
    return ns_cli_write_base_workbook(a, s->params[0], s->pops[0], &extra,
                                      diags);
}

/* The areas' results, in input order, for the writers. */
static int
report_areas(const struct ns_cli_args *a, const struct models *s,
             struct ns_diags *diags)
{
    struct ns_scenario_result *areas = calloc(s->n, sizeof *areas);
    if (!areas) {
        fprintf(stderr, "netsave: out of memory\n");
        return NS_EXIT_FAILURE;
    }
    for (size_t i = 1; i < s->n; i++)
        areas[i - 1] = (struct ns_scenario_result){
            .file = s->specs[i].file,
            .name = s->pops[i]->models[0]->area->name,
            .model = s->pops[i]->models[0],
            .results = s->pops[i]->pooled};
    print_areas(areas, s->n - 1);
    int rc = write_area_files(a, s, areas, diags);
    free(areas);
    return rc;
}

/* Runs the base and every area, shared between MPI ranks. */
static int
run_areas(const struct ns_cli_args *a, struct models *s,
          struct ns_diags *diags)
{
    if (!ns_cli_mpi_begin(a->mpi))
        return NS_EXIT_FAILURE;
    size_t failed = 0;
    enum ns_status st = ns_runs_shared(s->pops, s->n,
                                       ns_cli_mpi_run_share(a->mpi), &failed,
                                       diags);
    (void)ns_cli_mpi_end(a->mpi, st == NS_OK);
    if (st != NS_OK) {
        ns_diags_sort(diags);
        ns_cli_print_diags(diags);
        if (failed > 0)
            fprintf(stderr, "netsave areas: %s could not be run\n",
                    a->files.items[failed - 1]);
        return st == NS_ENOMEM ? NS_EXIT_FAILURE : NS_EXIT_BAD_INPUT;
    }
    return ns_cli_mpi_root(a->mpi) ? report_areas(a, s, diags) : NS_EXIT_OK;
}

int
ns_cli_areas(const struct ns_cli_args *a)
{
    if (a->files.n == 0) {
        ns_cli_print_help(a->command, stderr);
        return NS_EXIT_BAD_INPUT;
    }
    struct models s = {0};
    struct ns_diags diags = {0};
    int rc = build(a, &s, &diags);
    /* areas lists no changes: the specs' are freed here. */
    for (size_t i = 0; s.specs && i < s.n; i++)
        ns_params_changes_free(s.specs[i].changes, s.specs[i].n_changes);
    if (rc == NS_EXIT_OK && !all_areas(a, &s))
        rc = NS_EXIT_BAD_INPUT;
    if (rc == NS_EXIT_OK)
        rc = run_areas(a, &s, &diags);
    models_free(&s);
    ns_diags_clear(&diags);
    return rc;
}

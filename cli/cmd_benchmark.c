/* netsave benchmark: services against norms, on funnel plots, and what
 * bringing those below par up to the norm would be worth. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/jit.h"
#include "cli/outputs.h"
#include "model/analysis/benchmark.h"
#include "params/services.h"

/* The inputs of a benchmark beyond the model. */
struct inputs {
    char *norms_path;
    struct ns_services *services;
    struct ns_bench_norms *norms;
};

static void
inputs_clear(struct inputs *in)
{
    free(in->norms_path);
    ns_services_free(in->services);
    ns_bench_norms_free(in->norms);
}

/* The default norms: benchmark-norms.csv beside the first model file, or
 * params/benchmark-norms.csv for the built-in model. */
static char *
norms_path(const struct ns_cli_args *a)
{
    if (a->norms_file)
        return strdup(a->norms_file);
    /* The model files follow SERVICES.csv. */
    return ns_cli_beside_model(a->files.items + 1, a->files.n - 1,
                               "benchmark-norms.csv",
                               "params/benchmark-norms.csv");
}

static int
load_inputs(const struct ns_cli_args *a, const struct ns_model *m,
            struct inputs *in, struct ns_diags *diags)
{
    const char **names = calloc(m->n_strategies + 1, sizeof *names);
    in->norms_path = norms_path(a);
    if (!names || !in->norms_path) {
        free(names);
        fprintf(stderr, "netsave: out of memory\n");
        return NS_EXIT_FAILURE;
    }
    for (size_t k = 0; k < m->n_strategies; k++)
        names[k] = m->strategies[k].name;
    struct ns_cli_outputs out = {a->output, a->csv_dir};
    const char *norms = in->norms_path;
    if (!ns_cli_outputs_spare(&out, &norms, NULL, 1)) {
        free(names);
        return NS_EXIT_BAD_INPUT;
    }
    enum ns_status st = ns_services_load(a->files.items[0], names,
                                         m->n_strategies, &in->services,
                                         diags);
    enum ns_status sn = ns_bench_norms_load(in->norms_path, names,
                                            m->n_strategies, &in->norms, diags);
    free(names);
    if (st == NS_OK && sn == NS_OK)
        return NS_EXIT_OK;
    ns_diags_sort(diags);
    ns_cli_print_diags(diags);
    return st == NS_ENOMEM || sn == NS_ENOMEM ? NS_EXIT_FAILURE
                                              : NS_EXIT_BAD_INPUT;
}

static enum ns_od_method
od_method(const struct ns_cli_args *a)
{
    if (a->overdispersion && strcmp(a->overdispersion, "none") == 0)
        return NS_OD_NONE;
    if (a->overdispersion && strcmp(a->overdispersion, "additive") == 0)
        return NS_OD_ADDITIVE;
    return NS_OD_MULTIPLICATIVE;
}

static void
print_groups(const struct ns_model *m, const struct ns_benchmark *b)
{
    printf("%-12s %-18s %8s %8s  %s\n", "modality", "measure", "norm",
           "services", "overdispersion");
    for (size_t i = 0; i < b->n_groups; i++) {
        const struct ns_bench_group *g = &b->groups[i];
        printf("%-12s %-18s %8.3f %8zu  %s", m->strategies[g->strategy].name,
               ns_bench_measure_name(g->measure), g->norm, g->n_services,
               ns_od_method_name(g->od.method));
        if (g->od.method == NS_OD_ADDITIVE)
            printf(" (tau2 %.4g)", g->od.tau2);
        else
            printf(" (phi %.3g)", g->od.phi);
        printf("\n");
    }
}

static void
print_retention(const struct ns_model *m, const struct ns_services *sv,
                const struct ns_benchmark *b)
{
    printf("\nRetention to the threshold, by service (net savings per "
           "client, discounted, %s):\n",
           ns_cli_perspective_name(m, b->options.perspective));
    printf("%-8s %-10s %5s %8s %8s %17s  %-12s %10s %10s %12s\n", "service",
           "modality", "n", "retained", "norm", "95% limits", "place",
           "at service", "at norm", "gain");
    for (size_t i = 0; i < b->n_rows; i++) {
        const struct ns_bench_row *r = &b->rows[i];
        if (r->measure != NS_BENCH_RETENTION)
            continue;
        const struct ns_service *s = &sv->items[r->service];
        printf("%-8s %-10s %5.0f %8.3f %8.3f %8.3f..%-7.3f  %-12s %10.0f "
               "%10.0f %12.0f\n",
               s->id, m->strategies[s->strategy].name, r->denominator,
               r->proportion, r->norm, r->limits.low95, r->limits.high95,
               ns_funnel_place_name(r->place), r->net_at_service,
               r->net_at_norm, r->gain);
    }
}

static void
print_outcomes(const struct ns_services *sv, const struct ns_benchmark *b)
{
    size_t outside = 0;
    for (size_t i = 0; i < b->n_rows; i++) {
        const struct ns_bench_row *r = &b->rows[i];
        if (r->measure == NS_BENCH_RETENTION || r->place == NS_FUNNEL_WITHIN)
            continue;
        if (!outside++)
            printf("\nOutcomes at follow-up outside the 95%% limits:\n");
        printf("  %-8s %-18s %6.3f of %4.0f (norm %.3f): %s\n",
               sv->items[r->service].id, ns_bench_measure_name(r->measure),
               r->proportion, r->denominator, r->norm,
               ns_funnel_place_name(r->place));
    }
    if (!outside)
        printf("\nEvery outcome at follow-up is within its 95%% limits.\n");
}

static void
print_benchmark(const struct ns_model *m, const struct inputs *in,
                const struct ns_benchmark *b)
{
    printf("Benchmark: %zu services of %s against %s\n", in->services->n,
           in->services->file, in->norms_path);
    print_groups(m, b);
    print_retention(m, in->services, b);
    print_outcomes(in->services, b);
    printf("\nBelow par on retention (below the 95%% limit): %zu services; "
           "bringing them to the norm would gain %.0f in net savings "
           "(discounted, %s) for their clients.\n",
           b->n_below, b->total_gain,
           ns_cli_perspective_name(m, b->options.perspective));
    const struct ns_bench_total_psa *t = &b->total_psa;
    if (t->n_draws)
        printf("Over %zu PSA draws (seed %lu): mean %.0f, 95%% interval %.0f "
               "to %.0f; a gain in %.1f%% of draws.\n",
               t->n_draws, t->seed, t->mean, t->low95, t->high95,
               100.0 * t->p_positive);
    else if (b->n_below && (m->n_uncertain || m->n_dirichlet))
        printf("Its uncertainty: add -n DRAWS (e.g. -n 1000) for a PSA of the "
               "total.\n");
}

static int
write_files(const struct ns_cli_args *a, struct ns_cli_model *cm,
            const struct inputs *in, const struct ns_benchmark *b)
{
    char err[512];
    if (a->csv_dir) {
        if (!ns_cli_ensure_dir(a->csv_dir))
            return NS_EXIT_FAILURE;
        if (ns_csv_write_benchmark(a->csv_dir, cm->pop->models[0],
                                   in->services, b, a->set, err,
                                   sizeof err) != NS_OK) {
            fprintf(stderr, "netsave: %s\n", err);
            return NS_EXIT_FAILURE;
        }
    }
    if (!a->output)
        return NS_EXIT_OK;
    struct ns_run_info extra = {.benchmark = b, .services = in->services};
    return ns_cli_write_base_workbook(a, cm->params, cm->pop, &extra,
                                      &cm->diags);
}

static int
benchmark(const struct ns_cli_args *a, struct ns_cli_model *cm)
{
    const struct ns_model *m = cm->pop->models[0];
    struct ns_benchmark_options opt = {.od_method = od_method(a),
                                       .winsor = NS_BENCH_WINSOR_DEFAULT,
                                       .n_draws = a->given[NS_OPT_DRAWS]
                                                      ? a->n_draws
                                                      : 0,
                                       .seed = a->seed};
    if (!ns_cli_perspective(a, m, &opt.perspective))
        return NS_EXIT_BAD_INPUT;
    struct inputs in = {0};
    int rc = load_inputs(a, m, &in, &cm->diags);
    struct ns_benchmark *b = NULL;
    if (rc == NS_EXIT_OK) {
        enum ns_status st = ns_benchmark_run(cm->pop, in.services, in.norms,
                                             &opt, &b, &cm->diags);
        if (st != NS_OK)
            rc = ns_cli_failed("benchmark", st, &cm->diags, NS_EMODEL);
    }
    if (rc == NS_EXIT_OK) {
        print_benchmark(m, &in, b);
        rc = write_files(a, cm, &in, b);
    }
    ns_benchmark_free(b);
    inputs_clear(&in);
    return rc;
}

int
ns_cli_benchmark(const struct ns_cli_args *a)
{
    if (a->files.n == 0) {
        fprintf(stderr, "netsave benchmark: name the services file, "
                        "SERVICES.csv (see netsave benchmark --help)\n");
        return NS_EXIT_BAD_INPUT;
    }
    struct ns_cli_model m = {0};
    int rc = ns_cli_model_build(a, a->files.items + 1, a->files.n - 1, false,
                                &m.params, &m.pop, &m.diags);
    if (rc == NS_EXIT_OK) {
        enum ns_status st = ns_population_run(m.pop, &m.diags);
        if (st != NS_OK)
            rc = ns_cli_failed("benchmark", st, &m.diags, NS_EMODEL);
        else if (a->given[NS_OPT_DRAWS])
            ns_cli_compile_native(m.pop, NS_JIT_FOR_ONE, (double)a->n_draws * NS_CLI_RUNS_BENCHMARK_DRAW, NULL); /* the total's draws */
    }
    if (rc == NS_EXIT_OK)
        rc = benchmark(a, &m);
    ns_cli_model_clear(&m);
    return rc;
}

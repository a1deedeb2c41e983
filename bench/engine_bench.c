/* netsave benchmark probes, in process (no start-up, loading or output
 * in the timings), for bench/run:
 *
 *   ns_bench base MODEL.ini [KEY=VALUE...]
 *       the base case: median wall time of one run of the whole
 *       population (every subgroup and strategy), in milliseconds;
 *   ns_bench cycles MODEL.ini H1 H2 ...
 *       the fastest run for each horizon (model.horizon=H), with the
 *       number of cycles and expanded states, to show time linear in
 *       cycles;
 *   ns_bench flops MODEL.ini
 *       floating-point operations of one run's cohort propagation and
 *       value accounting (counted from the compiled model) and the rate
 *       netsave reaches on them in its fastest run, in GFLOP/s, on one
 *       core: run alone, and in lanes as a PSA runs its draws;
 *   ns_bench peak [THREADS]
 *       this machine's measured peak: independent fused multiply-adds on
 *       registers (a kernel built for the host's widest vectors), GFLOP/s.
 *
 * Every figure is printed as "key value" lines for bench/run to parse. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/compiled.h"
#include "model/engine.h"
#include "model/expr.h"
#include "model/population.h"
#include "params/params.h"

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static struct ns_population *
load(const char *file, const char *const *sets, size_t n_sets,
     struct ns_params **params)
{
    const char *files[] = {file};
    struct ns_model_source src = {files, 1, NULL, 0, sets, n_sets, false};
    struct ns_population *pop = NULL;
    struct ns_diags diags = {0};
    if (ns_params_build(&src, params, &pop, &diags) != NS_OK) {
        for (size_t i = 0; i < diags.count; i++)
            fprintf(stderr, "%s:%d: %s\n", diags.items[i].file,
                    diags.items[i].line, diags.items[i].text);
        ns_diags_clear(&diags);
        return NULL;
    }
    ns_diags_clear(&diags);
    return pop;
}

/* Seconds of one population run over repeats lasting about 'budget'
 * seconds in all (at least 5 runs): the median, or with 'fastest' the
 * quickest run (the least disturbed by the rest of the machine, for
 * comparing runs of different lengths). */
static double
time_runs(struct ns_population *pop, double budget, bool fastest,
          size_t *n_runs)
{
    struct ns_population_scratch *s = ns_population_scratch_alloc(pop);
    struct ns_diags diags = {0};
    size_t cap = 100000, n = 0;
    double *t = malloc(cap * sizeof *t), start = now();
    if (!s || !t) {
        free(t);
        ns_population_scratch_free(s);
        return NAN;
    }
    while (n < cap && (n < 5 || now() - start < budget)) {
        double t0 = now();
        if (ns_population_run_scratch(pop, s, NULL, &diags) != NS_OK) {
            n = 0;
            break;
        }
        t[n++] = now() - t0;
    }
    qsort(t, n, sizeof *t, cmp_double);
    double pick = n == 0 ? (double)NAN : fastest ? t[0] : t[n / 2];
    *n_runs = n;
    free(t);
    ns_diags_clear(&diags);
    ns_population_scratch_free(s);
    return pick;
}

static int
base(int argc, char **argv)
{
    struct ns_params *params = NULL;
    struct ns_population *pop =
        load(argv[2], (const char *const *)argv + 3, (size_t)argc - 3, &params);
    if (!pop)
        return 2;
    size_t n;
    double t = time_runs(pop, 2.0, false, &n);
    printf("base_ms %.4f\nbase_runs %zu\n", 1e3 * t, n);
    ns_population_free(pop);
    ns_params_free(params);
    return 0;
}

static int
cycles(int argc, char **argv)
{
    for (int i = 3; i < argc; i++) {
        char set[64];
        snprintf(set, sizeof set, "model.horizon=%s", argv[i]);
        const char *sets[] = {set};
        struct ns_params *params = NULL;
        struct ns_population *pop = load(argv[2], sets, 1, &params);
        if (!pop)
            return 2;
        const struct ns_model *m = pop->models[0];
        size_t n;
        double t = time_runs(pop, 1.0, true, &n);
        printf("cycles %s %zu %zu %.4f\n", argv[i], m->n_cycles,
               m->priv->n_expanded, 1e3 * t);
        ns_population_free(pop);
        ns_params_free(params);
    }
    return 0;
}

/* Multiply-adds of one run of m: every move of every cycle (occupancy
 * times probability, added to the destination), and every state value
 * that is not a constant zero, at every time point (value times
 * occupancy, added to the stream). The values listed are those of the
 * first strategy's definitions at the base case. */
static double
count_flops(const struct ns_population *pop)
{
    double total = 0.0;
    for (size_t g = 0; g < pop->n_groups; g++) {
        const struct ns_model *m = pop->models[g];
        const struct ns_model_priv *p = m->priv;
        size_t S = m->n_states;
        for (size_t k = 0; k < m->n_strategies; k++) {
            double moves = 0.0, values = 0.0;
            for (size_t s = 0; s < S; s++)
                moves += (double)(p->rows[k * S + s].n * p->n_slots[s]);
            for (size_t j = 0; j < m->n_streams; j++)
                for (size_t s = 0; s < S; s++) {
                    const struct ns_compiled_expr *e =
                        &p->exprs[p->value_def[j * S + s]];
                    /* A value written as the constant 0 adds nothing. */
                    double v;
                    bool zero = e->expr && ns_expr_is_constant(e->expr, &v) &&
                                !(fabs(v) > 0.0);
                    values += zero ? 0.0 : (double)p->n_slots[s];
                }
            total += 2.0 * (moves * (double)m->n_cycles +
                            values * (double)(m->n_cycles + 1));
        }
    }
    return total;
}

/* The fastest of repeated runs of the population in lanes (as a PSA
 * runs its draws), in seconds per lane. */
static double
time_lanes(struct ns_population *pop, double budget)
{
    size_t L = NS_EXPR_FAST_LANES;
    struct ns_population_lanes *s = ns_population_lanes_alloc(pop, L);
    const double *none[NS_EXPR_FAST_LANES] = {NULL};
    double best = INFINITY, start = now();
    for (size_t n = 0; s && (n < 5 || now() - start < budget); n++) {
        double t0 = now();
        if (ns_population_run_lanes(pop, s, none) != NS_OK)
            break;
        double t = now() - t0;
        best = t < best ? t : best;
    }
    ns_population_lanes_free(s);
    return best / (double)L;
}

static int
flops(int argc, char **argv)
{
    (void)argc;
    struct ns_params *params = NULL;
    struct ns_population *pop = load(argv[2], NULL, 0, &params);
    if (!pop)
        return 2;
    size_t n;
    double t = time_runs(pop, 2.0, true, &n);
    double tl = time_lanes(pop, 2.0);
    double f = count_flops(pop);
    printf("flops_per_run %.0f\nrun_us %.4f\ngflops %.4f\n"
           "lanes %d\nlane_run_us %.4f\nlane_gflops %.4f\n",
           f, 1e6 * t, f / t * 1e-9, NS_EXPR_FAST_LANES, 1e6 * tl,
           f / tl * 1e-9);
    ns_population_free(pop);
    ns_params_free(params);
    return 0;
}

/* The peak kernel: ACC independent chains of fused multiply-adds on
 * vectors of the host's widest width (built with -march=native), enough
 * chains to cover the FMA latency on two ports. */
typedef double vec __attribute__((vector_size(64)));
enum { ACC = 12, LANES = sizeof(vec) / sizeof(double) };

struct peak_job {
    long iterations;
    double seconds, sink;
};

static void *
peak_kernel(void *arg)
{
    struct peak_job *job = arg;
    vec acc[ACC], a, b;
    for (int l = 0; l < (int)LANES; l++) {
        a[l] = 0.999999;
        b[l] = 1e-7;
    }
    for (int i = 0; i < ACC; i++)
        acc[i] = a * (double)i;
    double t0 = now();
    for (long it = 0; it < job->iterations; it++) {
        for (int i = 0; i < ACC; i++)
            acc[i] = acc[i] * a + b;
        __asm__ volatile("" : "+x"(a));
    }
    job->seconds = now() - t0;
    double s = 0.0;
    for (int i = 0; i < ACC; i++)
        for (int l = 0; l < (int)LANES; l++)
            s += acc[i][l];
    job->sink = s;
    return NULL;
}

static int
peak(int argc, char **argv)
{
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    if (threads < 1 || threads > 64)
        threads = 1;
    struct peak_job jobs[64];
    pthread_t tid[64];
    long iterations = 200000000L / LANES;
    for (int t = 0; t < threads; t++) {
        jobs[t] = (struct peak_job){iterations, 0, 0};
        pthread_create(&tid[t], NULL, peak_kernel, &jobs[t]);
    }
    double worst = 0.0, sink = 0.0;
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        worst = jobs[t].seconds > worst ? jobs[t].seconds : worst;
        sink += jobs[t].sink;
    }
    double f = 2.0 * ACC * LANES * (double)iterations * threads;
    printf("peak_gflops %.3f\npeak_threads %d\npeak_lanes %d\n"
           "peak_sink %g\n", f / worst * 1e-9, threads, (int)LANES, sink);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "base") == 0)
        return base(argc, argv);
    if (argc >= 4 && strcmp(argv[1], "cycles") == 0)
        return cycles(argc, argv);
    if (argc >= 3 && strcmp(argv[1], "flops") == 0)
        return flops(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "peak") == 0)
        return peak(argc, argv);
    fputs("usage: ns_bench base MODEL.ini [KEY=VALUE...] | cycles MODEL.ini "
          "H... | flops MODEL.ini | peak [THREADS]\n",
          stderr);
    return 2;
}

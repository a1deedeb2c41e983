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
 *       core: run alone, and in lanes as a PSA runs its draws; and the
 *       model's shape (subgroups, strategies, cycles, states);
 *   ns_bench peak [THREADS]
 *       this machine's measured peak: independent multiply-adds on
 *       registers, in GFLOP/s, with the widest vectors this CPU has
 *       (AVX-512, AVX2 with FMA, or SSE2), chosen at run time, or those
 *       that NS_BENCH_ISA names (avx512, avx2 or sse2);
 *   ns_bench cpu
 *       the CPU (CPUID's vendor, brand, family and model), the
 *       instruction sets the peak probe can use on it and the one it
 *       takes.
 *
 * Every figure is printed as "key value" lines for bench/run to parse. */
#define _POSIX_C_SOURCE 200809L
#include <cpuid.h>
#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/compiled.h"
#include "model/engine.h"
#include "model/expr.h"
#include "model/jit.h"
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
    const struct ns_model *m = pop->models[0];
    printf("flops_per_run %.0f\nrun_us %.4f\ngflops %.4f\n"
           "lanes %d\nlane_run_us %.4f\nlane_gflops %.4f\n"
           "shape %zu %zu %zu %zu\n",
           f, 1e6 * t, f / t * 1e-9, NS_EXPR_FAST_LANES, 1e6 * tl,
           f / tl * 1e-9, pop->n_groups, m->n_strategies, m->n_cycles,
           m->n_states);
    /* The same runs in lanes compiled to machine code (compilation not
     * timed: this is the propagation's rate, the whole PSA's time is
     * bench/run's table). */
    struct ns_jit_options opt = {NS_JIT_FOR_LANES, NULL, NULL};
    struct ns_jit_report rep;
    char why[256];
    if (ns_jit_built() && ns_models_jit(pop->models, pop->n_groups, &opt,
                                        &rep, why, sizeof why) == NS_OK) {
        double tc = time_lanes(pop, 2.0);
        printf("compiled_lane_run_us %.4f\ncompiled_lane_gflops %.4f\n"
               "compiled_isa %s\ncompile_s %.3f\n",
               1e6 * tc, f / tc * 1e-9, rep.isa, rep.seconds);
    }
    ns_population_free(pop);
    ns_params_free(params);
    return 0;
}

/* The peak kernels: ACC independent chains of multiply-adds on one
 * instruction set's vectors, enough chains to cover the FMA latency on
 * two ports. Each is compiled for its own instruction set (a target
 * attribute), not for the build host, and one is chosen at run time
 * (peak_isa_pick), so that the same binary measures the peak of any
 * x86-64 it runs on. The multiply-adds are intrinsics because, built as
 * ISO C (-std=c11), GCC does not contract a * b + c into an FMA: a kernel
 * of separate multiplies and adds measures half the peak of a CPU whose
 * multiplies and adds share its FMA units. */
enum { ACC = 12 };

struct peak_job {
    long iterations;
    double seconds, sink;
};

/* The sum of a kernel's accumulators, so that its work is kept. */
static double
peak_sum(const double *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return s;
}

/* The empty asm claims to change 'a' every iteration, so that nothing
 * can be hoisted out of the loop or folded. */
#define PEAK_KERNEL(NAME, ISA, T, SET1, MADD)                                 \
    __attribute__((target(ISA))) static void *NAME(void *arg)                 \
    {                                                                         \
        struct peak_job *job = arg;                                           \
        T acc[ACC], a = SET1(0.999999), b = SET1(1e-7);                       \
        for (int i = 0; i < ACC; i++)                                         \
            acc[i] = SET1((double)i);                                         \
        double t0 = now();                                                    \
        for (long it = 0; it < job->iterations; it++) {                       \
            for (int i = 0; i < ACC; i++)                                     \
                acc[i] = MADD(acc[i], a, b);                                  \
            __asm__ volatile("" : "+x"(a));                                   \
        }                                                                     \
        job->seconds = now() - t0;                                            \
        double out[ACC * (sizeof(T) / sizeof(double))];                      \
        memcpy(out, acc, sizeof acc);                                         \
        job->sink = peak_sum(out, sizeof out / sizeof out[0]);                \
        return NULL;                                                          \
    }

/* SSE2, the x86-64 baseline, has no FMA: a multiply then an add, the
 * same two flops. */
#define SSE2_MADD(x, a, b) _mm_add_pd(_mm_mul_pd((x), (a)), (b))

PEAK_KERNEL(peak_avx512, "avx512f", __m512d, _mm512_set1_pd, _mm512_fmadd_pd)
PEAK_KERNEL(peak_avx2, "avx2,fma", __m256d, _mm256_set1_pd, _mm256_fmadd_pd)
PEAK_KERNEL(peak_sse2, "sse2", __m128d, _mm_set1_pd, SSE2_MADD)

static bool
has_avx512(void)
{
    return __builtin_cpu_supports("avx512f");
}

static bool
has_avx2_fma(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static bool
has_sse2(void)
{
    return true; /* part of x86-64 */
}

/* Widest first: the probe takes the first the CPU (and its OS) has. */
static const struct peak_isa {
    const char *name; /* as NS_BENCH_ISA spells it */
    int lanes;        /* doubles a vector */
    bool fma;
    bool (*supported)(void);
    void *(*kernel)(void *);
} peak_isas[] = {
    {"avx512", 8, true, has_avx512, peak_avx512},
    {"avx2", 4, true, has_avx2_fma, peak_avx2},
    {"sse2", 2, false, has_sse2, peak_sse2},
};
enum { N_ISAS = sizeof peak_isas / sizeof peak_isas[0] };

/* The instruction set the peak is measured with: the widest this CPU
 * has, or the one NS_BENCH_ISA names (to measure an AVX2 host's peak on
 * an AVX-512 one, say); NULL, with a message, for a name unknown or one
 * this CPU lacks. */
static const struct peak_isa *
peak_isa_pick(void)
{
    __builtin_cpu_init();
    const char *want = getenv("NS_BENCH_ISA");
    bool any = !want || !*want;
    for (size_t i = 0; i < N_ISAS; i++) {
        const struct peak_isa *isa = &peak_isas[i];
        if (!any && strcmp(want, isa->name) != 0)
            continue;
        if (isa->supported())
            return isa;
        if (!any) {
            fprintf(stderr, "ns_bench: NS_BENCH_ISA=%s: this CPU lacks it\n",
                    want);
            return NULL;
        }
    }
    fprintf(stderr, "ns_bench: NS_BENCH_ISA=%s: not one of avx512, avx2, "
                    "sse2\n", want);
    return NULL;
}

static int
peak(int argc, char **argv)
{
    const struct peak_isa *isa = peak_isa_pick();
    if (!isa)
        return 2;
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    if (threads < 1 || threads > 64)
        threads = 1;
    struct peak_job jobs[64];
    pthread_t tid[64];
    long iterations = 200000000L / isa->lanes;
    for (int t = 0; t < threads; t++) {
        jobs[t] = (struct peak_job){iterations, 0, 0};
        if (pthread_create(&tid[t], NULL, isa->kernel, &jobs[t]) != 0) {
            fprintf(stderr, "ns_bench: cannot start thread %d\n", t + 1);
            threads = t;
            break;
        }
    }
    double worst = 0.0, sink = 0.0;
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        worst = jobs[t].seconds > worst ? jobs[t].seconds : worst;
        sink += jobs[t].sink;
    }
    if (threads == 0)
        return 2;
    double f = 2.0 * ACC * isa->lanes * (double)iterations * threads;
    printf("peak_gflops %.3f\npeak_threads %d\npeak_isa %s\npeak_lanes %d\n"
           "peak_fma %d\npeak_sink %g\n",
           f / worst * 1e-9, threads, isa->name, isa->lanes, isa->fma, sink);
    return 0;
}

/* CPUID's vendor, brand string, family and model, the instruction sets
 * the peak probe could use here and the one it takes. */
static int
cpu(void)
{
    unsigned r[12] = {0};
    char vendor[13] = {0}, brand[49] = {0};
    if (__get_cpuid(0, &r[0], &r[1], &r[2], &r[3])) {
        memcpy(vendor, &r[1], 4); /* ebx, edx, ecx */
        memcpy(vendor + 4, &r[3], 4);
        memcpy(vendor + 8, &r[2], 4);
    }
    for (unsigned leaf = 0; leaf < 3; leaf++) {
        unsigned *q = r;
        if (!__get_cpuid(0x80000002u + leaf, &q[0], &q[1], &q[2], &q[3]))
            break;
        memcpy(brand + 16 * leaf, q, 16);
    }
    unsigned family = 0, model = 0;
    if (__get_cpuid(1, &r[0], &r[1], &r[2], &r[3])) {
        family = (r[0] >> 8) & 0xf;
        model = (r[0] >> 4) & 0xf;
        /* The extended fields count only for these families. */
        if (family == 0xf)
            family += (r[0] >> 20) & 0xff;
        if (family == 0x6 || family >= 0xf)
            model += ((r[0] >> 16) & 0xf) << 4;
    }
    const char *b = brand;
    while (*b == ' ')
        b++;
    printf("cpu_vendor %s\ncpu_brand %s\ncpu_family %u\ncpu_model %u\n"
           "cpu_isas",
           *vendor ? vendor : "unknown", *b ? b : "unknown", family, model);
    __builtin_cpu_init();
    for (size_t i = 0; i < N_ISAS; i++)
        if (peak_isas[i].supported())
            printf(" %s", peak_isas[i].name);
    const struct peak_isa *isa = peak_isa_pick();
    if (!isa)
        return 2;
    printf("\ncpu_peak_isa %s %d\n", isa->name, isa->lanes);
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
    if (argc == 2 && strcmp(argv[1], "cpu") == 0)
        return cpu();
    fputs("usage: ns_bench base MODEL.ini [KEY=VALUE...] | cycles MODEL.ini "
          "H... | flops MODEL.ini | peak [THREADS] | cpu\n",
          stderr);
    return 2;
}

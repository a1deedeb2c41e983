/* netsave: a model's expressions and cycles as native code, built with
 * libgccjit (see model/jit.h for what is compiled and why the results are
 * bit-identical to the interpreter's). This file is the driver: what to
 * compile (distinct expression programs, kernels shared between
 * strategies), compiled by child processes at once, each a shared object
 * loaded here. Arrays are laid out as the engine's, element by element
 * with lanes side by side (a[i * L + l]); the kernels (jit_kernel.c) work
 * on vectors of all the lanes. */
/* nftw, for removing what a stopped compilation left. */
#define _XOPEN_SOURCE 700
#include "model/jit.h"

#include <float.h>
#include <libgccjit.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <ftw.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/compiled.h"
#include "model/expr_code.h"
#include "model/jit_priv.h"
#include "model/jit_gen.h"

bool
ns_jit_built(void)
{
    return true;
}

const char *
ns_jit_host_isa(void)
{
    /* By features rather than GCC's "x86-64-v4" names, which clang (the
     * fuzzers' compiler) does not know. AVX2 hosts with FMA and BMI2 have
     * the rest of x86-64-v3 (MOVBE, LZCNT, F16C) too: Haswell and Zen on. */
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl"))
        return "x86-64-v4";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("bmi2"))
        return "x86-64-v3";
    if (__builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt") &&
        __builtin_cpu_supports("ssse3"))
        return "x86-64-v2";
    return "x86-64";
}

static double
now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Processor time of the waited-for children (the compilation runs in
 * one, and it waits for its assembler and linker). */
static double
children_cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_CHILDREN, &ru) != 0)
        return 0.0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

static bool
valid_isa(const char *isa)
{
    static const char *const known[] = {"x86-64", "x86-64-v2", "x86-64-v3",
                                        "x86-64-v4"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcmp(isa, known[i]) == 0)
            return true;
    return false;
}

static void
set_options(gcc_jit_context *c, const char *isa)
{
    char march[32];
    snprintf(march, sizeof march, "-march=%s", isa);
    /* -O1 with the vectoriser: -O3 vectorises no better here, and takes
     * five times as long to compile the England model's expressions. */
    gcc_jit_context_set_int_option(c, GCC_JIT_INT_OPTION_OPTIMIZATION_LEVEL, 1);
    gcc_jit_context_add_command_line_option(c, "-ftree-vectorize");
    gcc_jit_context_add_command_line_option(c, "-fvect-cost-model=dynamic");
    /* A step kernel's parts are functions of their own to be compiled
     * apart (jit_kernel.c, tstate_fn): not to be put back together. */
    gcc_jit_context_add_command_line_option(c,
                                            "-fno-inline-functions-called-once");
    /* Errors are returned to the caller, who says what to do. */
    gcc_jit_context_set_bool_print_errors_to_stderr(c, 0);
    gcc_jit_context_add_command_line_option(c, march);
    /* Bit-identical results: no fused multiply-add, even where the ISA
     * has it; and (GCC's default, stated) no fast-math reassociation. */
    gcc_jit_context_add_command_line_option(c, "-ffp-contract=off");
    gcc_jit_context_add_command_line_option(c, "-fno-fast-math");
    /* errno is never read; without it sqrt vectorises. */
    gcc_jit_context_add_command_line_option(c, "-fno-math-errno");
    if (strcmp(isa, "x86-64-v4") == 0)
        gcc_jit_context_add_command_line_option(c,
                                                "-mprefer-vector-width=512");
}

/* The compiled code, shared by the models compiled together: shared
 * objects, one from each child process that compiled, loaded here. */
enum { NS_JIT_MAX_PARTS = 4 };
struct ns_jit_code {
    void *handle[NS_JIT_MAX_PARTS]; /* dlopen's */
    size_t n_parts;
    size_t refs;
};

static void
code_close(struct ns_jit_code *code)
{
    for (size_t i = 0; i < code->n_parts; i++)
        if (code->handle[i])
            dlclose(code->handle[i]);
    free(code);
}

void
ns_jit_free(struct ns_jit *jit)
{
    if (!jit)
        return;
    if (jit->code && --jit->code->refs == 0)
        code_close(jit->code);
    free(jit->lanes);
    free(jit->one);
    free(jit->settled);
    free(jit->step);
    free(jit);
}

/* What to compile: the distinct programs of the models' expressions
 * (worth compiling: more than one instruction), and for each model's
 * expression which program it is. */
struct plan {
    const struct ns_expr **progs;
    unsigned long long *hash;
    size_t n_progs;
    size_t **prog_of; /* [model][expr]: a program, or SIZE_MAX */
    bool *prog_ok;    /* [prog] the translation takes it */
};

static void
plan_free(struct plan *pl, size_t n_models)
{
    for (size_t i = 0; pl->prog_of && i < n_models; i++)
        free(pl->prog_of[i]);
    free(pl->prog_of);
    free(pl->progs);
    free(pl->hash);
    free(pl->prog_ok);
}

static size_t
find_or_add(struct plan *pl, const struct ns_expr *e)
{
    unsigned long long h = nsj_program_hash(e);
    for (size_t i = 0; i < pl->n_progs; i++)
        if (pl->hash[i] == h && nsj_same_program(pl->progs[i], e))
            return i;
    pl->progs[pl->n_progs] = e;
    pl->hash[pl->n_progs] = h;
    pl->prog_ok[pl->n_progs] = nsj_program_ok(e);
    return pl->n_progs++;
}

static bool
plan_build(struct plan *pl, struct ns_model *const *models, size_t n_models)
{
    size_t total = 0;
    for (size_t i = 0; i < n_models; i++)
        total += models[i]->priv->n_exprs;
    pl->progs = calloc(total + 1, sizeof *pl->progs);
    pl->hash = calloc(total + 1, sizeof *pl->hash);
    pl->prog_of = calloc(n_models, sizeof *pl->prog_of);
    pl->prog_ok = calloc(total + 1, sizeof *pl->prog_ok);
    if (!pl->progs || !pl->hash || !pl->prog_of || !pl->prog_ok)
        return false;
    for (size_t i = 0; i < n_models; i++) {
        const struct ns_model_priv *p = models[i]->priv;
        pl->prog_of[i] = calloc(p->n_exprs + 1, sizeof *pl->prog_of[i]);
        if (!pl->prog_of[i])
            return false;
        for (size_t x = 0; x < p->n_exprs; x++) {
            const struct ns_expr *e = p->exprs[x].expr;
            pl->prog_of[i][x] =
                e && e->n_code > 1 ? find_or_add(pl, e) : SIZE_MAX;
        }
    }
    return true;
}

/* Chunk 'chunk' of the programs (NS_JIT_CHUNK to a function) for L
 * lanes, as a function called prefix<chunk>. */
static void
gen_programs(struct gen *g, const struct plan *pl, size_t chunk, size_t L,
             const char *prefix)
{
    char name[48];
    bool ok[NS_JIT_CHUNK];
    size_t first = chunk * NS_JIT_CHUNK;
    size_t n = pl->n_progs - first < NS_JIT_CHUNK ? pl->n_progs - first
                                                  : NS_JIT_CHUNK;
    snprintf(name, sizeof name, "%s%zu", prefix, chunk);
    nsj_gen_chunk(g, &pl->progs[first], n, L, name, ok);
}

static bool
entries_alloc(struct ns_jit *jit, const struct ns_model *m)
{
    jit->lanes = calloc(m->priv->n_exprs + 1, sizeof *jit->lanes);
    jit->one = calloc(m->priv->n_exprs + 1, sizeof *jit->one);
    jit->settled = calloc(m->n_strategies + 1, sizeof *jit->settled);
    jit->step = calloc(m->n_strategies + 1, sizeof *jit->step);
    return jit->lanes && jit->one && jit->settled && jit->step;
}

/* The function called name in the loaded code, or NULL. */
static void *
symbol(const struct ns_jit_code *code, const char *name)
{
    for (size_t i = 0; i < code->n_parts; i++) {
        void *fn = dlsym(code->handle[i], name);
        if (fn)
            return fn;
    }
    return NULL;
}

static ns_jit_chunk_fn *
chunk_code(const struct ns_jit_code *handle, const char *prefix, size_t prog)
{
    char name[48];
    snprintf(name, sizeof name, "%s%zu", prefix, prog / NS_JIT_CHUNK);
    void *code = symbol(handle, name);
    ns_jit_chunk_fn *fn = NULL;
    memcpy(&fn, &code, sizeof fn);
    return fn;
}

enum { KERNEL_SETTLED = 1, KERNEL_STEP = 2, KERNEL_STEP_NEW = 4 };

/* Fills model i's native entries from the loaded code. */
static void
attach(struct ns_jit *jit, const struct ns_jit_code *handle,
       const struct plan *pl, size_t i,
       const struct ns_model *m, unsigned uses, const unsigned char *kernels,
       char (*step_name)[48])
{
    const struct ns_model_priv *p = m->priv;
    for (size_t x = 0; x < p->n_exprs; x++) {
        size_t prog = pl->prog_of[i][x];
        if (prog == SIZE_MAX || !pl->prog_ok[prog])
            continue;
        int which = (int)(prog % NS_JIT_CHUNK);
        if (uses & NS_JIT_FOR_LANES)
            jit->lanes[x] = (struct ns_jit_entry){
                chunk_code(handle, "lanes", prog), which};
        if (uses & NS_JIT_FOR_ONE)
            jit->one[x] = (struct ns_jit_entry){
                chunk_code(handle, "one", prog), which};
    }
    char name[48];
    for (size_t d = 0; d < m->n_strategies; d++) {
        if (kernels[d] & KERNEL_SETTLED) {
            snprintf(name, sizeof name, "m%zu_s%zu", i, d);
            void *code = symbol(handle, name);
            memcpy(&jit->settled[d], &code, sizeof code);
        }
        if (kernels[d] & KERNEL_STEP) {
            void *code = symbol(handle, step_name[d]);
            memcpy(&jit->step[d], &code, sizeof code);
        }
    }
}

/* What a step kernel's code depends on, as numbers: two strategies (of
 * the same or another model) with the same signature share one kernel. */
static size_t *
step_signature(const struct ns_model *m, size_t d, size_t *n_out)
{
    const struct ns_model_priv *p = m->priv;
    size_t S = m->n_states, E = p->n_exprs, n = 0, cap = 8 + 2 * S;
    for (size_t s = 0; s < S; s++)
        cap += 5 + 3 * p->rows[d * S + s].n;
    cap += 4 * p->n_tvalues;
    size_t *sig = malloc(cap * sizeof *sig);
    unsigned char *kind = calloc(S + 1, 1);
    if (!sig || !kind || !nsj_step_rows(m, d, kind)) {
        free(sig);
        free(kind);
        return NULL;
    }
    double tol = m->row_sum_tolerance;
    sig[n] = 0;
    memcpy(&sig[n++], &tol, sizeof tol < sizeof *sig ? sizeof tol
                                                     : sizeof *sig);
    sig[n++] = S;
    sig[n++] = m->n_streams;
    sig[n++] = p->n_expanded;
    for (size_t s = 0; s < S; s++) {
        const struct ns_row *row = &p->rows[d * S + s];
        sig[n++] = p->n_slots[s];
        sig[n++] = p->first_x[s];
        sig[n++] = row->n;
        sig[n++] = (size_t)row->complement;
        sig[n++] = kind[s];
        for (size_t i = 0; i < row->n; i++) {
            sig[n++] = row->entries[i].to;
            sig[n++] = row->entries[i].def;
            sig[n++] = p->expr_dep[d * E + row->entries[i].def] != 0;
        }
    }
    sig[n++] = p->n_tvalues;
    for (size_t i = 0; i < p->n_tvalues; i++) {
        sig[n++] = p->tvalues[i].from;
        sig[n++] = p->tvalues[i].to;
        sig[n++] = p->tvalues[i].stream;
        sig[n++] = p->tvalues[i].def;
    }
    free(kind);
    *n_out = n;
    return sig;
}

/* The step kernels decided on so far, by signature. */
struct steps_made {
    size_t **sig, *n_sig;
    const char **name;
    size_t n;
};

static void
steps_made_free(struct steps_made *sm)
{
    for (size_t i = 0; i < sm->n; i++)
        free(sm->sig[i]);
    free(sm->sig);
    free(sm->n_sig);
    free(sm->name);
}

/* The name of a kernel already decided on with this signature, or NULL. */
static const char *
step_made(const struct steps_made *sm, const size_t *sig, size_t n)
{
    for (size_t i = 0; i < sm->n; i++)
        if (sm->n_sig[i] == n && memcmp(sm->sig[i], sig, n * sizeof *sig) == 0)
            return sm->name[i];
    return NULL;
}

/* Whether strategy d's step can have a kernel: one of bounded size. */
static bool
step_possible(const struct ns_model *m, size_t d)
{
    return nsj_step_fits(m, d);
}

/* A function to make: a chunk of programs for 16 lanes or one, or a
 * strategy's kernel; with its estimated compilation time (seconds of one
 * core of an AMD EPYC, measured in 2026) and the process that makes it. */
enum unit_kind { UNIT_LANES, UNIT_ONE, UNIT_SETTLED, UNIT_STEP };
struct unit {
    enum unit_kind kind;
    size_t a, b; /* the chunk; or the model and strategy */
    double cost;
    size_t part;
};

/* Everything of ns_models_jit that allocates, in one place to free. */
struct job {
    struct plan plan;
    struct ns_jit **jits;
    unsigned char **kernels;   /* [model][strategy] KERNEL_* */
    char (**step_name)[48];    /* [model][strategy] */
    struct steps_made steps;
    struct ns_jit_code *code;
    size_t n_models;
    struct unit *units;        /* every function to make */
    size_t n_units, n_parts;   /* compiled by n_parts processes */
    double estimate;           /* seconds, of the longest process */
};

/* Decides which kernels model i gets, sharing step kernels between
 * strategies with the same signature. */
static bool
decide_kernels(struct job *jb, struct ns_model *const *models, size_t i)
{
    const struct ns_model *m = models[i];
    struct steps_made *sm = &jb->steps;
    for (size_t d = 0; d < m->n_strategies; d++) {
        unsigned char *k = &jb->kernels[i][d];
        char *name = jb->step_name[i][d];
        *k = nsj_settled_fits(m, d) ? KERNEL_SETTLED : 0;
        if (!step_possible(m, d))
            continue;
        size_t n_sig = 0;
        size_t *sig = step_signature(m, d, &n_sig);
        if (!sig)
            return false;
        const char *made = step_made(sm, sig, n_sig);
        if (made) {
            snprintf(name, 48, "%s", made);
            *k |= KERNEL_STEP;
            free(sig);
            continue;
        }
        snprintf(name, 48, "m%zu_t%zu", i, d);
        *k |= KERNEL_STEP | KERNEL_STEP_NEW;
        sm->sig[sm->n] = sig;
        sm->n_sig[sm->n] = n_sig;
        sm->name[sm->n++] = name;
    }
    return true;
}

static void
job_free(struct job *jb)
{
    size_t n = jb->n_models;
    plan_free(&jb->plan, n);
    for (size_t i = 0; jb->jits && i < n; i++)
        ns_jit_free(jb->jits[i]);
    free(jb->jits);
    for (size_t i = 0; jb->kernels && i < n; i++)
        free(jb->kernels[i]);
    free(jb->kernels);
    steps_made_free(&jb->steps);
    for (size_t i = 0; jb->step_name && i < n; i++)
        free(jb->step_name[i]);
    free(jb->step_name);
    free(jb->units);
    if (jb->code)
        code_close(jb->code);
}

/* Estimated compilation costs, in seconds of one core of the AMD EPYC
 * these were timed on (NS_JIT_VERBOSE, the shipped models, 2026): per
 * program in a chunk for 16 lanes (vector code, for a program without
 * jumps; else a loop over lanes) or for one, per settled kernel, per
 * move or transition value of a step kernel. */
#define COST_VECTOR_PROGRAM 0.0015
#define COST_LANES_PROGRAM 0.007
#define COST_ONE_PROGRAM 0.0012
#define COST_SETTLED 0.1
#define COST_STEP_OP 0.002
/* Below this much compilation, one process: each costs its own start,
 * assembler and linker. */
#define SPLIT_SECONDS 1.0

static void
add_unit(struct job *jb, enum unit_kind kind, size_t a, size_t b,
         double cost)
{
    jb->units[jb->n_units++] = (struct unit){kind, a, b, cost, 0};
}

static int
by_cost_down(const void *x, const void *y)
{
    const struct unit *a = *(const struct unit *const *)x;
    const struct unit *b = *(const struct unit *const *)y;
    return (a->cost < b->cost) - (a->cost > b->cost);
}

/* Shares the units among the processes, longest first to the least
 * loaded; returns the estimated time of the longest. */
static double
assign_parts(struct job *jb)
{
    double total = 0.0, load[NS_JIT_MAX_PARTS] = {0};
    for (size_t u = 0; u < jb->n_units; u++)
        total += jb->units[u].cost;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t n = cpus > 0 ? (size_t)cpus : 1;
    if (n > NS_JIT_MAX_PARTS)
        n = NS_JIT_MAX_PARTS;
    if (n > jb->n_units)
        n = jb->n_units;
    jb->n_parts = total < SPLIT_SECONDS || n == 0 ? 1 : n;
    const struct unit **order = calloc(jb->n_units + 1, sizeof *order);
    if (!order)
        return total; /* everything in part 0, as set by add_unit */
    for (size_t u = 0; u < jb->n_units; u++)
        order[u] = &jb->units[u];
    qsort(order, jb->n_units, sizeof *order, by_cost_down);
    for (size_t i = 0; i < jb->n_units; i++) {
        size_t best = 0;
        for (size_t q = 1; q < jb->n_parts; q++)
            if (load[q] < load[best])
                best = q;
        jb->units[order[i] - jb->units].part = best;
        load[best] += order[i]->cost;
    }
    free(order);
    double longest = 0.0;
    for (size_t q = 0; q < jb->n_parts; q++)
        longest = load[q] > longest ? load[q] : longest;
    return longest;
}

/* Lists every function to make, with its cost, and shares them among
 * the processes. */
static bool
plan_units(struct job *jb, struct ns_model *const *models, unsigned uses)
{
    const struct plan *pl = &jb->plan;
    size_t chunks = (pl->n_progs + NS_JIT_CHUNK - 1) / NS_JIT_CHUNK;
    size_t cap = 2 * chunks + 1;
    for (size_t i = 0; i < jb->n_models; i++)
        cap += 2 * models[i]->n_strategies;
    jb->units = calloc(cap, sizeof *jb->units);
    if (!jb->units)
        return false;
    for (size_t k = 0; k < 2; k++) {
        unsigned use = k == 0 ? NS_JIT_FOR_LANES : NS_JIT_FOR_ONE;
        if (!(uses & use))
            continue;
        for (size_t c = 0; c < chunks; c++) {
            double cost = 0.0;
            for (size_t i = c * NS_JIT_CHUNK;
                 i < pl->n_progs && i < (c + 1) * NS_JIT_CHUNK; i++)
                cost += k == 1 ? COST_ONE_PROGRAM
                        : nsj_program_vector(pl->progs[i])
                            ? COST_VECTOR_PROGRAM
                            : COST_LANES_PROGRAM;
            add_unit(jb, k == 0 ? UNIT_LANES : UNIT_ONE, c, 0, cost);
        }
    }
    for (size_t i = 0; i < jb->n_models; i++)
        for (size_t d = 0; d < models[i]->n_strategies; d++) {
            unsigned char k = jb->kernels[i][d];
            if (k & KERNEL_SETTLED)
                add_unit(jb, UNIT_SETTLED, i, d, COST_SETTLED);
            if (k & KERNEL_STEP_NEW)
                add_unit(jb, UNIT_STEP, i, d,
                         COST_STEP_OP * (double)nsj_step_ops(models[i], d));
        }
    jb->estimate = assign_parts(jb);
    return true;
}

static bool
job_alloc(struct job *jb, struct ns_model *const *models, size_t n_models,
          unsigned uses)
{
    size_t n_strategies = 0;
    for (size_t i = 0; i < n_models; i++)
        n_strategies += models[i]->n_strategies;
    jb->n_models = n_models;
    jb->jits = calloc(n_models, sizeof *jb->jits);
    jb->kernels = calloc(n_models, sizeof *jb->kernels);
    jb->step_name = calloc(n_models, sizeof *jb->step_name);
    jb->steps.sig = calloc(n_strategies + 1, sizeof *jb->steps.sig);
    jb->steps.n_sig = calloc(n_strategies + 1, sizeof *jb->steps.n_sig);
    jb->steps.name = calloc(n_strategies + 1, sizeof *jb->steps.name);
    jb->code = calloc(1, sizeof *jb->code);
    if (!jb->jits || !jb->kernels || !jb->step_name || !jb->steps.sig ||
        !jb->steps.n_sig || !jb->steps.name || !jb->code ||
        !plan_build(&jb->plan, models, n_models))
        return false;
    for (size_t i = 0; i < n_models; i++) {
        jb->jits[i] = calloc(1, sizeof *jb->jits[i]);
        jb->kernels[i] = calloc(models[i]->n_strategies + 1, 1);
        jb->step_name[i] = calloc(models[i]->n_strategies + 1,
                                  sizeof *jb->step_name[i]);
        if (!jb->jits[i] || !jb->kernels[i] || !jb->step_name[i] ||
            !entries_alloc(jb->jits[i], models[i]))
            return false;
        if ((uses & NS_JIT_FOR_LANES) && !decide_kernels(jb, models, i))
            return false;
    }
    return plan_units(jb, models, uses);
}

/* Emits the units of process 'part' into c. */
static void
emit_part(gcc_jit_context *c, const struct job *jb,
          struct ns_model *const *models, size_t part)
{
    struct gen g;
    nsj_gen_init(&g, c);
    char name[48];
    for (size_t u = 0; u < jb->n_units; u++) {
        const struct unit *un = &jb->units[u];
        if (un->part != part)
            continue;
        switch (un->kind) {
        case UNIT_LANES:
            gen_programs(&g, &jb->plan, un->a, NS_JIT_LANES, "lanes");
            break;
        case UNIT_ONE:
            gen_programs(&g, &jb->plan, un->a, 1, "one");
            break;
        case UNIT_SETTLED:
            snprintf(name, sizeof name, "m%zu_s%zu", un->a, un->b);
            nsj_gen_settled(&g, models[un->a], un->b, name);
            break;
        case UNIT_STEP:
            nsj_gen_step(&g, models[un->a], un->b,
                         jb->step_name[un->a][un->b]);
            break;
        }
    }
}

/* In the child: builds and compiles process part's functions into the
 * shared object at path; never returns. libgccjit runs GCC inside the
 * process, and GCC ends the process on a fatal error (a full disk, a
 * file-size limit): in a child, that ends only the compilation, and its
 * memory goes with it. */
static _Noreturn void
compile_child(const struct job *jb, struct ns_model *const *models,
              const char *isa, const char *path, size_t part)
{
    gcc_jit_context *c = gcc_jit_context_acquire();
    if (!c)
        _exit(3);
    set_options(c, isa);
    emit_part(c, jb, models, part);
    gcc_jit_context_compile_to_file(c, GCC_JIT_OUTPUT_KIND_DYNAMIC_LIBRARY,
                                    path);
    const char *err = gcc_jit_context_get_first_error(c);
    if (err)
        fprintf(stderr, "%s\n", err);
    _exit(err ? 2 : 0);
}

/* A compiling child: its process and the read end of its stderr. */
struct child {
    pid_t pid;
    int fd;
};

/* Starts compile_child for process 'part'; false with why filled. The
 * child closes the read ends of the children started before it (open),
 * so that each pipe has one reader and one writer. */
static bool
start_child(const struct job *jb, struct ns_model *const *models,
            const char *isa, const char *dir, const char *path, size_t part,
            const struct child *open, struct child *ch, char *why,
            size_t why_size)
{
    int fd[2];
    if (pipe(fd) != 0) {
        snprintf(why, why_size, "cannot start the code generator: %s",
                 strerror(errno));
        return false;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* A compilation nobody waits for any more stops; GCC's own
         * temporary files go in our folder, which the parent removes
         * however the child ends. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        setenv("TMPDIR", dir, 1);
        for (size_t k = 0; k < part; k++)
            close(open[k].fd);
        close(fd[0]);
        dup2(fd[1], STDERR_FILENO);
        close(fd[1]);
        compile_child(jb, models, isa, path, part);
    }
    close(fd[1]);
    if (pid < 0) {
        close(fd[0]);
        snprintf(why, why_size, "cannot start the code generator: %s",
                 strerror(errno));
        return false;
    }
    *ch = (struct child){pid, fd[0]};
    return true;
}

/* Once cancel is set: stops every child not yet waited for (pid 0). */
static void
stop_children(struct child *all, size_t n, const atomic_int *cancel,
              bool *stopped)
{
    if (!cancel || !atomic_load(cancel) || *stopped)
        return;
    for (size_t k = 0; k < n; k++)
        if (all[k].pid > 0)
            kill(all[k].pid, SIGKILL);
    *stopped = true;
}

/* Reads child i's stderr to its end (keeping the first line's worth) and
 * waits for it; once cancel is set, stops every child. 0, or -1 with why
 * filled. */
static int
finish_child(struct child *all, size_t n, size_t i, const atomic_int *cancel,
             bool *stopped, char *why, size_t why_size)
{
    char text[512], rest[512];
    size_t got = 0;
    ssize_t r;
    /* Read to the end, so that a child with more to say is not stopped
     * by a full pipe (or SIGPIPE) before it exits. */
    while ((r = got < sizeof text - 1
                    ? read(all[i].fd, text + got, sizeof text - 1 - got)
                    : read(all[i].fd, rest, sizeof rest)) > 0 ||
           (r < 0 && errno == EINTR)) {
        if (r > 0 && got < sizeof text - 1)
            got += (size_t)r;
        stop_children(all, n, cancel, stopped);
    }
    text[got] = '\0';
    close(all[i].fd);
    int status = 0;
    pid_t waited;
    while ((waited = waitpid(all[i].pid, &status, 0)) < 0 && errno == EINTR)
        stop_children(all, n, cancel, stopped);
    all[i].pid = 0; /* waited for: its number may be another's now */
    if (waited < 0) {
        snprintf(why, why_size, "cannot start the code generator");
        return -1;
    }
    stop_children(all, n, cancel, stopped);
    text[strcspn(text, "\n")] = '\0';
    if (*stopped) {
        snprintf(why, why_size, "stopped");
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        snprintf(why, why_size, "the code generator was stopped by signal "
                 "%d%s%s", WTERMSIG(status), text[0] ? ": " : "", text);
    else
        snprintf(why, why_size, "the code generator failed%s%s",
                 text[0] ? ": " : "", text[0] ? text : "");
    return -1;
}

/* Compiles in jb->n_parts children at once, each its own shared object
 * in dir; false with why filled (the first failure's, or "stopped" when
 * cancel was set at any point). */
static bool
compile_in_children(const struct job *jb, struct ns_model *const *models,
                    const char *isa, const char *dir,
                    const atomic_int *cancel, char *why, size_t why_size)
{
    struct child ch[NS_JIT_MAX_PARTS];
    size_t started = 0;
    bool ok = true, stopped = false;
    char path[600], first[1024] = "";
    for (; started < jb->n_parts; started++) {
        snprintf(path, sizeof path, "%s/part%zu.so", dir, started);
        stop_children(ch, started, cancel, &stopped);
        if (stopped ||
            !start_child(jb, models, isa, dir, path, started, ch,
                         &ch[started], why, why_size)) {
            ok = false;
            for (size_t k = 0; k < started; k++)
                kill(ch[k].pid, SIGKILL);
            break;
        }
    }
    for (size_t i = 0; i < started; i++)
        if (finish_child(ch, started, i, cancel, &stopped, first,
                         sizeof first) != 0 && ok) {
            ok = false;
            snprintf(why, why_size, "%s", first);
        }
    if (stopped || (cancel && atomic_load(cancel))) {
        snprintf(why, why_size, "stopped");
        return false;
    }
    return ok;
}

static int
remove_entry(const char *path, const struct stat *st, int flag,
             struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Removes dir and everything in it (what a stopped compilation left). */
static void
remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A folder of our own for the shared object: TMPDIR or /tmp. */
static bool
make_folder(char *dir, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, size, "%s/netsave-jit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(dir) != NULL;
}

/* Compiles and loads; false with why filled. */
static bool
compile_and_load(struct job *jb, struct ns_model *const *models,
                 const char *isa, const atomic_int *cancel, char *why,
                 size_t why_size)
{
    char dir[512], path[600];
    if (!make_folder(dir, sizeof dir)) {
        snprintf(why, why_size, "cannot make a temporary folder: %s",
                 strerror(errno));
        return false;
    }
    bool ok = compile_in_children(jb, models, isa, dir, cancel, why,
                                  why_size);
    for (size_t i = 0; ok && i < jb->n_parts; i++) {
        snprintf(path, sizeof path, "%s/part%zu.so", dir, i);
        jb->code->handle[i] = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        jb->code->n_parts = i + 1;
        if (!jb->code->handle[i]) {
            const char *e = dlerror();
            snprintf(why, why_size, "cannot load the compiled code: %s",
                     e ? e : "unknown error");
            ok = false;
        }
    }
    remove_tree(dir);
    return ok;
}

enum ns_status
ns_models_jit(struct ns_model *const *models, size_t n_models,
              const struct ns_jit_options *opt, struct ns_jit_report *report,
              char *why, size_t why_size)
{
    const char *isa = opt && opt->isa ? opt->isa : ns_jit_host_isa();
    unsigned uses = opt && opt->uses ? opt->uses
                                     : NS_JIT_FOR_LANES | NS_JIT_FOR_ONE;
    if (!valid_isa(isa)) {
        snprintf(why, why_size, "unknown instruction set '%s' (x86-64, "
                 "x86-64-v2, x86-64-v3 or x86-64-v4)", isa);
        return NS_EMODEL;
    }
    double t0 = now_seconds(), c0 = children_cpu_seconds();
    struct job jb = {0};
    if (!job_alloc(&jb, models, n_models, uses)) {
        job_free(&jb);
        return NS_ENOMEM;
    }
    if (!compile_and_load(&jb, models, isa, opt ? opt->cancel : NULL, why,
                          why_size)) {
        job_free(&jb);
        return NS_EMODEL;
    }
    for (size_t i = 0; i < n_models; i++) {
        attach(jb.jits[i], jb.code, &jb.plan, i, models[i], uses,
               jb.kernels[i], jb.step_name[i]);
        jb.jits[i]->code = jb.code;
        jb.code->refs++;
        ns_jit_free(models[i]->priv->jit);
        models[i]->priv->jit = jb.jits[i];
        jb.jits[i] = NULL;
    }
    if (report) {
        report->seconds = now_seconds() - t0;
        report->cpu_seconds = children_cpu_seconds() - c0;
        report->n_functions = jb.n_units;
        report->n_processes = jb.n_parts;
        report->n_programs = jb.plan.n_progs;
        snprintf(report->isa, sizeof report->isa, "%s", isa);
    }
    jb.code = NULL; /* owned by the models now */
    job_free(&jb);
    return NS_OK;
}

double
ns_jit_estimate_seconds(struct ns_model *const *models, size_t n,
                        unsigned uses)
{
    struct job jb = {0};
    double seconds = 0.2; /* the assembler and linker, whatever the size */
    if (n > 0 && job_alloc(&jb, models, n, uses))
        seconds += jb.estimate;
    job_free(&jb);
    return seconds;
}

enum ns_status
ns_model_jit(struct ns_model *m, const struct ns_jit_options *opt,
             struct ns_jit_report *report, char *why, size_t why_size)
{
    return ns_models_jit(&m, 1, opt, report, why, why_size);
}

bool
ns_model_is_jit(const struct ns_model *m)
{
    return m->priv->jit != NULL;
}

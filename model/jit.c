/* netsave: a model's expressions and settled cycles as native code, built
 * with libgccjit (see model/jit.h for what is compiled and why the
 * results are bit-identical to the interpreter's).
 *
 * Every function loops over lanes, and a lane's body is the scalar code
 * of one run: the vectoriser turns the loop into vector code where the
 * body has no calls (most expressions, every settled cycle), and a lane
 * that branches differently from its neighbours simply takes its own
 * branch. Arrays are laid out as the engine's, element by element with
 * lanes side by side (a[i * L + l]). */
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

/* The compiled code, shared by the models compiled together: a shared
 * object made by a child process and loaded here. */
struct ns_jit_code {
    void *handle; /* dlopen's */
    size_t refs;
};

void
ns_jit_free(struct ns_jit *jit)
{
    if (!jit)
        return;
    if (jit->code && --jit->code->refs == 0) {
        dlclose(jit->code->handle);
        free(jit->code);
    }
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

/* Emits every program, NS_JIT_CHUNK to a function, for L lanes, as
 * functions called prefix0, prefix1, ... */
static size_t
gen_programs(struct gen *g, const struct plan *pl, size_t L,
             const char *prefix)
{
    size_t n_fns = 0;
    char name[48];
    bool ok[NS_JIT_CHUNK];
    for (size_t first = 0; first < pl->n_progs; first += NS_JIT_CHUNK) {
        size_t n = pl->n_progs - first < NS_JIT_CHUNK ? pl->n_progs - first
                                                      : NS_JIT_CHUNK;
        snprintf(name, sizeof name, "%s%zu", prefix, first / NS_JIT_CHUNK);
        nsj_gen_chunk(g, &pl->progs[first], n, L, name, ok);
        n_fns++;
    }
    return n_fns;
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
symbol(void *handle, const char *name)
{
    return dlsym(handle, name);
}

static ns_jit_chunk_fn *
chunk_code(void *handle, const char *prefix, size_t prog)
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
attach(struct ns_jit *jit, void *handle, const struct plan *pl, size_t i,
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
        cap += 4 + 3 * p->rows[d * S + s].n;
    cap += 4 * p->n_tvalues;
    size_t *sig = malloc(cap * sizeof *sig);
    if (!sig)
        return NULL;
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

/* Whether strategy d's step can have a kernel (no row per tunnel slot). */
static bool
step_possible(const struct ns_model *m, size_t d)
{
    unsigned char *timed = calloc(m->n_states + 1, 1);
    bool ok = timed && nsj_step_fits(m, d) && nsj_step_rows(m, d, timed);
    free(timed);
    return ok;
}

/* Everything of ns_models_jit that allocates, in one place to free. */
struct job {
    struct plan plan;
    struct ns_jit **jits;
    unsigned char **kernels;   /* [model][strategy] KERNEL_* */
    char (**step_name)[48];    /* [model][strategy] */
    struct steps_made steps;
    struct ns_jit_code *code;
    size_t n_models;
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
    if (jb->code) {
        if (jb->code->handle)
            dlclose(jb->code->handle);
        free(jb->code);
    }
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
    return true;
}

/* Emits everything the job decided on into c; returns the number of
 * functions. */
static size_t
emit_all(gcc_jit_context *c, const struct job *jb,
         struct ns_model *const *models, unsigned uses)
{
    struct gen g;
    nsj_gen_init(&g, c);
    size_t n = 0;
    if (uses & NS_JIT_FOR_LANES)
        n += gen_programs(&g, &jb->plan, NS_JIT_LANES, "lanes");
    if (uses & NS_JIT_FOR_ONE)
        n += gen_programs(&g, &jb->plan, 1, "one");
    char name[48];
    for (size_t i = 0; i < jb->n_models; i++)
        for (size_t d = 0; d < models[i]->n_strategies; d++) {
            unsigned char k = jb->kernels[i][d];
            if (k & KERNEL_SETTLED) {
                snprintf(name, sizeof name, "m%zu_s%zu", i, d);
                nsj_gen_settled(&g, models[i], d, name);
                n++;
            }
            if (k & KERNEL_STEP_NEW) {
                nsj_gen_step(&g, models[i], d, jb->step_name[i][d]);
                n++;
            }
        }
    return n;
}

/* In the child: builds and compiles the code into the shared object at
 * path; never returns. libgccjit runs GCC inside the process, and GCC
 * ends the process on a fatal error (a full disk, a file-size limit):
 * in a child, that ends only the compilation, and its memory goes with
 * it. */
static _Noreturn void
compile_child(const struct job *jb, struct ns_model *const *models,
              unsigned uses, const char *isa, const char *path)
{
    gcc_jit_context *c = gcc_jit_context_acquire();
    if (!c)
        _exit(3);
    set_options(c, isa);
    emit_all(c, jb, models, uses);
    gcc_jit_context_compile_to_file(c, GCC_JIT_OUTPUT_KIND_DYNAMIC_LIBRARY,
                                    path);
    const char *err = gcc_jit_context_get_first_error(c);
    if (err)
        fprintf(stderr, "%s\n", err);
    _exit(err ? 2 : 0);
}

/* Runs compile_child in a child process; returns its status, and fills
 * why with the first line it wrote to stderr (if any). */
static int
compile_in_child(const struct job *jb, struct ns_model *const *models,
                 unsigned uses, const char *isa, const char *dir,
                 const char *path, const atomic_int *cancel, char *why,
                 size_t why_size)
{
    int fd[2];
    if (pipe(fd) != 0) {
        snprintf(why, why_size, "cannot start the code generator: %s",
                 strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* A compilation nobody waits for any more stops; GCC's own
         * temporary files go in our folder, which the parent removes
         * however the child ends. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        setenv("TMPDIR", dir, 1);
        close(fd[0]);
        dup2(fd[1], STDERR_FILENO);
        close(fd[1]);
        compile_child(jb, models, uses, isa, path);
    }
    close(fd[1]);
    char text[512];
    size_t got = 0;
    ssize_t r;
    bool stopped = false;
    while ((r = read(fd[0], text + got, sizeof text - 1 - got)) > 0 ||
           (r < 0 && errno == EINTR)) {
        got += r > 0 ? (size_t)r : 0;
        if (cancel && atomic_load(cancel) && pid > 0 && !stopped) {
            kill(pid, SIGKILL);
            stopped = true;
        }
    }
    text[got] = '\0';
    close(fd[0]);
    int status = 0;
    pid_t waited = pid;
    while (pid > 0 && (waited = waitpid(pid, &status, 0)) < 0 &&
           errno == EINTR)
        ;
    if (pid < 0 || waited < 0) {
        snprintf(why, why_size, "cannot start the code generator");
        return -1;
    }
    text[strcspn(text, "\n")] = '\0';
    if (stopped) {
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
                 unsigned uses, const char *isa, const atomic_int *cancel,
                 char *why, size_t why_size)
{
    char dir[512], path[600];
    if (!make_folder(dir, sizeof dir)) {
        snprintf(why, why_size, "cannot make a temporary folder: %s",
                 strerror(errno));
        return false;
    }
    snprintf(path, sizeof path, "%s/models.so", dir);
    bool ok = compile_in_child(jb, models, uses, isa, dir, path, cancel, why,
                               why_size) == 0;
    if (ok) {
        jb->code->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!jb->code->handle) {
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
    if (!compile_and_load(&jb, models, uses, isa, opt ? opt->cancel : NULL,
                          why, why_size)) {
        job_free(&jb);
        return NS_EMODEL;
    }
    for (size_t i = 0; i < n_models; i++) {
        attach(jb.jits[i], jb.code->handle, &jb.plan, i, models[i], uses,
               jb.kernels[i], jb.step_name[i]);
        jb.jits[i]->code = jb.code;
        jb.code->refs++;
        ns_jit_free(models[i]->priv->jit);
        models[i]->priv->jit = jb.jits[i];
        jb.jits[i] = NULL;
    }
    size_t n_fns = 0;
    for (size_t i = 0; i < n_models; i++)
        for (size_t d = 0; d < models[i]->n_strategies; d++)
            n_fns += ((jb.kernels[i][d] & KERNEL_SETTLED) != 0) +
                     ((jb.kernels[i][d] & KERNEL_STEP_NEW) != 0);
    size_t chunks = (jb.plan.n_progs + NS_JIT_CHUNK - 1) / NS_JIT_CHUNK;
    n_fns += chunks * (((uses & NS_JIT_FOR_LANES) != 0) +
                       ((uses & NS_JIT_FOR_ONE) != 0));
    if (report) {
        report->seconds = now_seconds() - t0;
        report->cpu_seconds = children_cpu_seconds() - c0;
        report->n_functions = n_fns;
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
    if (n > 0 && job_alloc(&jb, models, n, uses)) {
        double progs = (double)jb.plan.n_progs, vector = 0.0;
        for (size_t i = 0; i < jb.plan.n_progs; i++)
            vector += nsj_program_vector(jb.plan.progs[i]) ? 1.0 : 0.0;
        /* For lanes: vector code (a program without jumps), or a loop
         * over lanes. */
        if (uses & NS_JIT_FOR_LANES)
            seconds += 0.0015 * vector + 0.007 * (progs - vector);
        seconds += (uses & NS_JIT_FOR_ONE ? 0.0012 : 0.0) * progs;
        for (size_t i = 0; i < n; i++)
            for (size_t d = 0; d < models[i]->n_strategies; d++) {
                unsigned char k = jb.kernels[i][d];
                if (k & KERNEL_SETTLED)
                    seconds += 0.1;
                if (k & KERNEL_STEP_NEW)
                    seconds += 0.005 * (double)nsj_step_ops(models[i], d);
            }
    }
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

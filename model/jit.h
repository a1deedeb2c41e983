/* netsave: compiling a model to machine code (libgccjit).
 *
 * The interpreter in engine.c and expr_eval.c is the reference. A model
 * can also be translated, once it is compiled and checked, into native
 * functions for this host: every expression (one function for a single
 * run and one for a PSA's lanes, with the lanes in vector registers), and
 * for each strategy the cycles of a settled run (model/engine.c) as
 * straight-line code. The engine then calls them where it would have
 * interpreted, and every result is bit-identical: the code does the same
 * operations in the same order, with no contraction to fused multiply-add
 * and no reassociation, and calls the same libm functions through
 * pointers, so nothing is folded at compile time either. A fault is
 * detected by the native code; its description still comes from the
 * interpreter, which runs the expression again.
 *
 * Without libgccjit (the build option NS_JIT=OFF, or the library not
 * found), ns_model_jit says why and the model runs interpreted. */
#ifndef NS_MODEL_JIT_H
#define NS_MODEL_JIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "model/model.h"
#include "model/netsave.h"

/* Which runs to compile for (ns_jit_options.uses). */
enum {
    NS_JIT_FOR_LANES = 1u, /* a PSA's lanes (ns_model_run_lanes) */
    NS_JIT_FOR_ONE = 2u    /* single runs (DSA, threshold, calibration) */
};

struct ns_jit_options {
    unsigned uses;         /* NS_JIT_FOR_*; 0: both */
    /* The instruction set to compile for, as GCC's -march= (x86-64,
     * x86-64-v2, x86-64-v3, x86-64-v4), or NULL: the widest this host
     * runs. */
    const char *isa;
    /* Set to nonzero (from a signal handler) to stop a compilation under
     * way: ns_models_jit then returns NS_EMODEL, "stopped". */
    const atomic_int *cancel;
};

/* What a compilation did, for messages and benchmarks. */
struct ns_jit_report {
    double seconds;        /* wall time of the translation */
    double cpu_seconds;    /* its processor time (this process's) */
    size_t n_functions;    /* native functions made */
    size_t n_programs;     /* distinct expression programs among them */
    size_t n_processes;    /* compiling at once, one per core (up to 4)
                              when there is enough to compile */
    char isa[16];          /* the -march= it compiled for */
};

/* Whether this build has the code generator. */
bool ns_jit_built(void);

/* The widest instruction set this host runs, as -march= (x86-64-v4 on a
 * host with AVX-512, x86-64-v3 with AVX2 and FMA, ...). */
const char *ns_jit_host_isa(void);

/* Compiles model m to native code and attaches it: later runs of m use
 * it. Not thread-safe: call before runs start. Returns NS_OK (report, if
 * not NULL, filled in), or NS_EMODEL with why[] saying why (a build
 * without the code generator, or the code generator's error) and m
 * unchanged, or NS_ENOMEM. */
enum ns_status ns_model_jit(struct ns_model *m,
                            const struct ns_jit_options *opt,
                            struct ns_jit_report *report, char *why,
                            size_t why_size);

/* ns_model_jit for several models at once (a population's subgroups):
 * one compilation, an expression's program compiled once however many
 * models have it. */
enum ns_status ns_models_jit(struct ns_model *const *models, size_t n,
                             const struct ns_jit_options *opt,
                             struct ns_jit_report *report, char *why,
                             size_t why_size);

/* About how long ns_models_jit would take for these models, in seconds
 * of wall time on this machine's cores at the speed of the one it was
 * measured on (an AMD EPYC, 2026): for deciding whether compiling pays. */
double ns_jit_estimate_seconds(struct ns_model *const *models, size_t n,
                               unsigned uses);

/* Whether m has native code attached. */
bool ns_model_is_jit(const struct ns_model *m);

#endif

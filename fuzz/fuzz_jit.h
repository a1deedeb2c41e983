/* netsave fuzzing: what the fuzzers share (included by fuzz_model.c and
 * fuzz_expr.c): comparing results, and the compiled path (model/jit.h)
 * checked against the interpreter when NS_FUZZ_JIT=1 is in the
 * environment.
 *
 * check_jit builds a second copy of a model that runs, compiles it to
 * machine code (for the host's widest instruction set, x86-64-v3 or
 * x86-64, as the caller chooses), and runs both copies the same ways: as
 * written and with overridden parameters, scaled streams and no
 * discounting (one lane: the same status, diagnostics' text and results,
 * bit for bit), and in 16 lanes with and without the trace (the same
 * status and results). Any difference aborts, which the fuzzer reports
 * as a crash; so does the code generator rejecting a model that runs.
 * Compiling takes 50 to 300 ms a model, hence the switch. */
#ifndef NS_FUZZ_FUZZ_JIT_H
#define NS_FUZZ_FUZZ_JIT_H

#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/engine.h"
#include "model/expr.h"
#include "model/jit.h"
#include "model/model.h"
#include "params/params.h"

/* Whether a and b are the same, bit for bit, or (unless bits) both NaN
 * where they differ. */
static bool
same(const double *a, const double *b, size_t n, bool bits)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof a[i]) != 0 &&
            (bits || !(isnan(a[i]) && isnan(b[i]))))
            return false;
    return true;
}

static bool
same_results(const struct ns_results *a, const struct ns_results *b,
             bool bits)
{
    size_t kp = a->n_strategies * a->n_points;
    size_t ks = a->n_strategies * a->n_streams;
    size_t ko = a->n_strategies * a->n_outcomes;
    return same(a->trace, b->trace, kp * a->n_states, bits) &&
           same(a->values, b->values, kp * a->n_streams, bits) &&
           same(a->values_disc, b->values_disc, kp * a->n_streams, bits) &&
           same(a->total, b->total, ks, bits) &&
           same(a->total_disc, b->total_disc, ks, bits) &&
           same(a->outcome_total, b->outcome_total, ko, bits) &&
           same(a->outcome_total_disc, b->outcome_total_disc, ko, bits) &&
           same(a->param_values, b->param_values,
                a->n_strategies * a->n_params, bits);
}

/* How many models were compiled and compared, said at exit: the
 * fuzzer's own count is of inputs, most of which do not load. */
static size_t jit_checked;

static bool
same_diags(const struct ns_diags *a, const struct ns_diags *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++) {
        char ta[1400], tb[1400];
        ns_diag_format(&a->items[i], ta, sizeof ta);
        ns_diag_format(&b->items[i], tb, sizeof tb);
        if (strcmp(ta, tb) != 0)
            return false;
    }
    return true;
}

/* Both copies run once with opt (one lane); aborts on any difference. */
static void
jit_run_one(struct ns_model *const m[2], struct ns_workspace *const ws[2],
            struct ns_results *const r[2], const struct ns_run_options *opt)
{
    struct ns_diags d[2] = {{0}, {0}};
    enum ns_status st[2];
    for (int s = 0; s < 2; s++)
        st[s] = ns_model_run_opt(m[s], ws[s], r[s], &d[s], opt);
    if (st[0] != st[1] || !same_diags(&d[0], &d[1]) ||
        (st[0] == NS_OK && !same_results(r[0], r[1], true)))
        abort();
    ns_diags_clear(&d[0]);
    ns_diags_clear(&d[1]);
}

/* Both copies run in L lanes, with and without the trace; aborts on any
 * difference. */
static void
jit_run_lanes(struct ns_model *const m[2], double *const *ov,
              struct ns_results *(*lane)[NS_EXPR_FAST_LANES])
{
    enum { L = NS_EXPR_FAST_LANES };
    for (int skip = 0; skip < 2; skip++) {
        enum ns_status st[2] = {NS_ENOMEM, NS_ENOMEM};
        for (int s = 0; s < 2; s++) {
            struct ns_workspace *lw = ns_workspace_alloc_lanes(m[s], L);
            if (!lw)
                return;
            ns_workspace_skip_trace(lw, skip);
            st[s] = ns_model_run_lanes(m[s], lw, lane[s],
                                       (const double *const *)ov);
            ns_workspace_free(lw);
        }
        if (st[0] != st[1])
            abort();
        for (size_t l = 0; st[0] == NS_OK && l < L; l++)
            if (!same_results(lane[0][l], lane[1][l], true))
                abort();
    }
}

/* Whether parameter q is defined by a number alone: an input, such as a
 * PSA draws. Only inputs are overridden, so that the expressions of the
 * others still run, natively in the compiled copy. */
static bool
is_input(const struct ns_model *m, size_t q)
{
    const char *t = m->params[q].text;
    char *end;
    if (!t)
        return false;
    strtod(t, &end);
    return end != t && *end == '\0';
}

/* The runs of check_jit, over workspaces and results of both copies. */
static void
jit_runs(struct ns_model *const m[2], const struct ns_results *base,
         double *const *ov, struct ns_results *(*lane)[NS_EXPR_FAST_LANES])
{
    size_t P = m[0]->n_params, J = m[0]->n_streams;
    struct ns_workspace *ws[2] = {ns_workspace_alloc(m[0]),
                                  ns_workspace_alloc(m[1])};
    struct ns_results *r[2] = {ns_results_alloc(m[0]),
                               ns_results_alloc(m[1])};
    double *scale = malloc((J + 1) * sizeof *scale);
    if (ws[0] && ws[1] && r[0] && r[1] && scale) {
        for (size_t j = 0; j < J; j++)
            scale[j] = j % 2 ? -0.5 : 3.0;
        for (size_t l = 0; l < NS_EXPR_FAST_LANES; l++)
            for (size_t q = 0; q < P; q++)
                ov[l][q] = is_input(m[0], q)
                               ? base->param_values[q] *
                                     (1.0 + ((double)l - 1.0) / 64.0)
                               : (double)NAN;
        struct ns_run_options plain = {0};
        struct ns_run_options all = {true, ov[NS_EXPR_FAST_LANES - 1], NULL,
                                     scale};
        jit_run_one(m, ws, r, &plain);
        jit_run_one(m, ws, r, &all);
        jit_run_lanes(m, ov, lane);
    }
    free(scale);
    for (int s = 0; s < 2; s++) {
        ns_results_free(r[s]);
        ns_workspace_free(ws[s]);
    }
}

/* libFuzzer's -timeout is a SIGALRM every few seconds, its handler
 * installed without SA_RESTART. The code generator runs in a child
 * process (model/jit.c), and the parent's waitpid does not retry on
 * EINTR: a signal there fails the compilation ("cannot start the code
 * generator"), which this harness takes for a finding. (Before the
 * child, libgccjit itself waited for the assembler and called exit() on
 * EINTR.) With SA_RESTART the wait resumes, and the timeout still fires.
 * Done at the first compilation, once libFuzzer has installed its
 * handlers. */
static void
restart_waits_after_alarms(void)
{
    static bool done;
    struct sigaction sa;
    if (done)
        return;
    done = true;
    if (sigaction(SIGALRM, NULL, &sa) == 0 && !(sa.sa_flags & SA_RESTART)) {
        sa.sa_flags |= SA_RESTART;
        sigaction(SIGALRM, &sa, NULL);
    }
}

/* The model compiled anew and to machine code for isa, compared with the
 * interpreted model (see the top of this file). */
static void
check_jit(const struct ns_params *params, struct ns_model *model,
          const struct ns_results *base, const char *isa)
{
    enum { L = NS_EXPR_FAST_LANES };
    struct ns_diags diags = {0};
    struct ns_model *m[2] = {model, NULL};
    if (ns_model_compile(&params->def, &m[1], &diags) != NS_OK)
        abort(); /* it compiled a moment ago */
    struct ns_jit_options opt = {.isa = isa};
    char why[512];
    restart_waits_after_alarms();
    enum ns_status st = ns_model_jit(m[1], &opt, NULL, why, sizeof why);
    if (st == NS_EMODEL)
        abort(); /* the code generator rejected a model that runs */
    double *ov[L] = {NULL};
    struct ns_results *lane[2][L] = {{NULL}};
    bool ok = st == NS_OK;
    for (size_t l = 0; ok && l < L; l++) {
        ov[l] = malloc((model->n_params + 1) * sizeof(double));
        lane[0][l] = ns_results_alloc(m[0]);
        lane[1][l] = ns_results_alloc(m[1]);
        ok = ov[l] && lane[0][l] && lane[1][l];
    }
    if (ok) {
        jit_runs(m, base, ov, lane);
        jit_checked++;
    }
    for (size_t l = 0; l < L; l++) {
        free(ov[l]);
        ns_results_free(lane[0][l]);
        ns_results_free(lane[1][l]);
    }
    ns_model_free(m[1]);
    ns_diags_clear(&diags);
}

static void
say_jit_checked(void)
{
    fprintf(stderr, "NS_FUZZ_JIT: %zu compilations compared\n",
            jit_checked);
}

/* NS_FUZZ_JIT=1: the compiled path is checked too; read once. */
static bool
jit_wanted(void)
{
    static int wanted = -1;
    if (wanted < 0) {
        const char *v = getenv("NS_FUZZ_JIT");
        wanted = v && strcmp(v, "1") == 0 && ns_jit_built();
        if (wanted)
            atexit(say_jit_checked);
    }
    return wanted;
}

/* check_jit for the host's widest instruction set, x86-64-v3 or x86-64,
 * as the input's size chooses: each path of the vector code is fuzzed. */
static void
check_jit_sized(const struct ns_params *params, struct ns_model *model,
                const struct ns_results *base, size_t size)
{
    static const char *const isas[] = {NULL, "x86-64-v3", "x86-64"};
    check_jit(params, model, base, isas[size % 3]);
}

#endif

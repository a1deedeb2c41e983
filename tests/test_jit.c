/* netsave tests: the compiled path (model/jit.h) gives the interpreter's
 * results bit for bit.
 *
 * Each model is built twice; one copy is compiled (ns_models_jit over all
 * its subgroups, and over all the models of a test at once, one
 * compilation per test and instruction set) and both are run the same
 * ways: as written; with
 * ns_run_options (overridden parameters, scaled streams, no discounting,
 * strategies run with another's definition); with parameters pushed to
 * values that fault; and in 16 lanes (a PSA's) of different parameter
 * values, with and without the trace (without it, a settled run ends in
 * a native kernel). Every array of the results is compared with memcmp,
 * the status always, and with one lane the diagnostics' text.
 *
 * - Models: every tests/ and validation/models/ INI file that loads on its
 *   own, the England model, and bench/'s Sick-Sicker PSA and tunnel model.
 * - Faults: a model whose expressions divide by zero, take the log of a
 *   negative, look a table up out of range (step and exact), raise a
 *   negative base to a fraction, take prob_to_rate(1) and make a
 *   probability out of range, at the start and later in the run.
 * - Expressions: 128 random expressions over every operation and
 *   function, each a parameter of a small model of its own (so that one
 *   fault does not hide the others), run with inputs chosen for signed
 *   zeros, overflow, NaN-producing arguments and boundaries; half of them
 *   without jumps (compiled to vector code for L lanes), often dividing.
 *   Each one's native code is also called directly with NaN and
 *   infinities among its variables, against ns_expr_eval lane by lane:
 *   a fault exactly where some lane faults, else the same bits.
 *
 * Each is compiled for the host's widest instruction set and for
 * x86-64-v3 and x86-64 (AVX2 and SSE2), so every vector path this host
 * can run is checked. Skipped in a build without the code generator. */
#include <float.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"

#include "model/compiled.h"
#include "model/engine.h"
#include "model/expr.h"
#include "model/jit.h"
#include "model/jit_priv.h"
#include "model/population.h"
#include "model/results.h"
#include "params/params.h"

enum { L = NS_EXPR_FAST_LANES, MAX_CHOSEN = 4 };

static const char *const isas[] = {NULL, "x86-64-v3", "x86-64"};
enum { N_ISAS = sizeof isas / sizeof *isas };

/* What was compared, so that a test that compared nothing fails. */
struct tally {
    size_t runs_ok, runs_failed, lanes_ok, lanes_failed;
    /* Native code attached: expressions for one lane and for L lanes,
     * settled-cycle kernels and step kernels (for the cycles before a
     * run settles) (white-box: model/jit_priv.h). */
    size_t native_one, native_lanes, kernels, steps;
    /* Expressions' native code called directly (expr_direct): programs
     * without jumps (as vector code), of them those that divide and
     * those with an instruction done lane by lane (a call, a look-up, a
     * comparison...); the calls for L lanes that faulted and did not. */
    size_t straight, straight_div, straight_lanewise;
    size_t direct_faulted, direct_ok;
};

/* ---- building ---- */

static struct ns_population *
build(const struct ns_model_source *src, struct ns_params **params)
{
    struct ns_population *pop = NULL;
    struct ns_diags diags = {0};
    *params = NULL;
    if (ns_params_build(src, params, &pop, &diags) != NS_OK)
        pop = NULL;
    ns_diags_clear(&diags);
    return pop;
}

/* ---- comparing ---- */

static void
same_array(const char *name, const double *a, const double *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof a[i]) != 0)
            fail_msg("%s[%zu]: interpreted %a (%.17g), compiled %a (%.17g)",
                     name, i, a[i], a[i], b[i], b[i]);
}

static void
same_results(const struct ns_results *a, const struct ns_results *b)
{
    size_t kp = a->n_strategies * a->n_points;
    size_t ks = a->n_strategies * a->n_streams;
    size_t ko = a->n_strategies * a->n_outcomes;
    same_array("trace", a->trace, b->trace, kp * a->n_states);
    same_array("values", a->values, b->values, kp * a->n_streams);
    same_array("values_disc", a->values_disc, b->values_disc,
               kp * a->n_streams);
    same_array("total", a->total, b->total, ks);
    same_array("total_disc", a->total_disc, b->total_disc, ks);
    same_array("outcome_total", a->outcome_total, b->outcome_total, ko);
    same_array("outcome_total_disc", a->outcome_total_disc,
               b->outcome_total_disc, ko);
    same_array("param_values", a->param_values, b->param_values,
               a->n_strategies * a->n_params);
}

static void
same_diags(const struct ns_diags *a, const struct ns_diags *b)
{
    char ta[1400], tb[1400];
    for (size_t i = 0; i < a->count && i < b->count; i++) {
        ns_diag_format(&a->items[i], ta, sizeof ta);
        ns_diag_format(&b->items[i], tb, sizeof tb);
        if (strcmp(ta, tb) != 0)
            fail_msg("diagnostic %zu: interpreted '%s', compiled '%s'", i,
                     ta, tb);
    }
    if (a->count != b->count)
        fail_msg("%zu diagnostics interpreted, %zu compiled", a->count,
                 b->count);
}

/* One model run both ways: the interpreted copy (side 0) and the
 * compiled one (side 1), each with workspaces reused across runs as an
 * analysis reuses them. */
struct duo {
    const struct ns_model *m[2];
    struct ns_workspace *ws[2], *lw[2];
    struct ns_results *r[2], *lr[2][L];
    struct tally *tally;
};

static void
duo_init(struct duo *d, const struct ns_model *interp,
         const struct ns_model *comp, struct tally *tally)
{
    memset(d, 0, sizeof *d);
    d->m[0] = interp;
    d->m[1] = comp;
    d->tally = tally;
    for (int s = 0; s < 2; s++) {
        d->ws[s] = ns_workspace_alloc(d->m[s]);
        d->lw[s] = ns_workspace_alloc_lanes(d->m[s], L);
        d->r[s] = ns_results_alloc(d->m[s]);
        assert_non_null(d->ws[s]);
        assert_non_null(d->lw[s]);
        assert_non_null(d->r[s]);
        for (size_t l = 0; l < L; l++) {
            d->lr[s][l] = ns_results_alloc(d->m[s]);
            assert_non_null(d->lr[s][l]);
        }
    }
}

static void
duo_free(struct duo *d)
{
    for (int s = 0; s < 2; s++) {
        ns_workspace_free(d->ws[s]);
        ns_workspace_free(d->lw[s]);
        ns_results_free(d->r[s]);
        for (size_t l = 0; l < L; l++)
            ns_results_free(d->lr[s][l]);
    }
}

/* One lane, both ways: the same status, diagnostics and results. */
static enum ns_status
duo_run(struct duo *d, const struct ns_run_options *opt)
{
    struct ns_diags diags[2] = {{0}, {0}};
    enum ns_status st[2];
    for (int s = 0; s < 2; s++)
        st[s] = ns_model_run_opt(d->m[s], d->ws[s], d->r[s], &diags[s], opt);
    assert_int_equal(st[0], st[1]);
    same_diags(&diags[0], &diags[1]);
    if (st[0] == NS_OK)
        same_results(d->r[0], d->r[1]);
    ns_diags_clear(&diags[0]);
    ns_diags_clear(&diags[1]);
    if (st[0] == NS_OK)
        d->tally->runs_ok++;
    else
        d->tally->runs_failed++;
    return st[0];
}

/* L lanes, both ways, with and without the trace. */
static void
duo_lanes(struct duo *d, double *const *ov)
{
    for (int skip = 0; skip < 2; skip++) {
        enum ns_status st[2];
        for (int s = 0; s < 2; s++) {
            ns_workspace_skip_trace(d->lw[s], skip);
            st[s] = ns_model_run_lanes(d->m[s], d->lw[s], d->lr[s],
                                       (const double *const *)ov);
        }
        assert_int_equal(st[0], st[1]);
        for (size_t l = 0; st[0] == NS_OK && l < L; l++)
            same_results(d->lr[0][l], d->lr[1][l]);
        if (st[0] == NS_OK)
            d->tally->lanes_ok++;
        else
            d->tally->lanes_failed++;
    }
}

/* ---- the runs of one model ---- */

/* The parameter named name, or m->n_params. */
static size_t
param_ix(const struct ns_model *m, const char *name)
{
    for (size_t q = 0; q < m->n_params; q++)
        if (strcmp(m->params[q].name, name) == 0)
            return q;
    return m->n_params;
}

/* Whether parameter q is constant as strategy 0 defines it: an input,
 * such as a PSA draws. Overriding an input leaves the expressions that
 * use it to run (natively, in the compiled copy). */
static bool
is_input(const struct ns_model *m, size_t q)
{
    double c;
    size_t x = m->priv->param_def[q];
    return ns_expr_is_constant(m->priv->exprs[x].expr, &c);
}

/* Up to MAX_CHOSEN parameters with a finite, nonzero value at the start
 * (in strategy 0): those named (names NULL-terminated), or else inputs
 * spread over the list; their values in base. Returns how many. */
static size_t
choose_params(const struct ns_model *m, const struct ns_results *base,
              const char *const *names, size_t *q_out, double *v_out)
{
    size_t n = 0, P = m->n_params;
    for (size_t i = 0; i < P && n < MAX_CHOSEN; i++) {
        size_t q = (i * 7919) % P; /* 7919 is prime: q visits every slot */
        if (names) {
            if (!names[i])
                break;
            q = param_ix(m, names[i]);
            assert_true(q < P);
        } else if (!is_input(m, q)) {
            continue;
        }
        double v = base->param_values[q];
        if (isfinite(v) && fabs(v) > 0) {
            q_out[n] = q;
            v_out[n++] = v;
        }
    }
    return n;
}

static double *
nan_override(size_t P)
{
    double *ov = malloc((P + 1) * sizeof *ov);
    assert_non_null(ov);
    for (size_t q = 0; q <= P; q++)
        ov[q] = NAN;
    return ov;
}

/* The runs with ns_run_options, one option at a time and all together. */
static void
run_options(struct duo *d, const size_t *q, const double *v, size_t n)
{
    const struct ns_model *m = d->m[0];
    double *ov = nan_override(m->n_params);
    double *scale = malloc((m->n_streams + 1) * sizeof *scale);
    size_t *def = malloc((m->n_strategies + 1) * sizeof *def);
    assert_non_null(scale);
    assert_non_null(def);
    for (size_t i = 0; i < n; i++)
        ov[q[i]] = v[i] * (i % 2 ? 0.97 : 1.03);
    for (size_t j = 0; j < m->n_streams; j++)
        scale[j] = j % 3 == 0 ? 0.5 : j % 3 == 1 ? -2.0 : 1e-3;
    for (size_t k = 0; k < m->n_strategies; k++)
        def[k] = m->n_strategies - 1 - k;
    struct ns_run_options opts[] = {
        {.param_override = ov},
        {.stream_scale = scale},
        {.zero_discount = true},
        {.definition_of = def},
        {true, ov, def, scale},
    };
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
        duo_run(d, &opts[i]);
    free(ov);
    free(scale);
    free(def);
}

/* Each chosen parameter set to values that may well fault (a
 * probability of 2, a rate of -1, a divisor of 0, an overflow). */
static void
run_extremes(struct duo *d, const size_t *q, size_t n)
{
    static const double bad[] = {-1.0, 0.0, 2.0, 1e300, -0.0, 1.0};
    double *ov = nan_override(d->m[0]->n_params);
    for (size_t i = 0; i < n; i++) {
        for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
            ov[q[i]] = bad[b];
            struct ns_run_options opt = {.param_override = ov};
            duo_run(d, &opt);
        }
        ov[q[i]] = NAN;
    }
    free(ov);
}

/* Lanes of the chosen parameters spread by +-spread around their values;
 * with bad_lane < L, that lane's first parameter set to 'bad'. */
static void
run_spread(struct duo *d, const size_t *q, const double *v, size_t n,
           double spread, size_t bad_lane, double bad)
{
    double *ov[L];
    for (size_t l = 0; l < L; l++) {
        ov[l] = nan_override(d->m[0]->n_params);
        for (size_t i = 0; i < n; i++)
            ov[l][q[i]] = v[i] * (1.0 + spread * ((double)l - 7.5) / 7.5 *
                                            (i % 2 ? -1.0 : 1.0));
    }
    if (bad_lane < L && n > 0)
        ov[bad_lane][q[0]] = bad;
    duo_lanes(d, ov);
    for (size_t l = 0; l < L; l++)
        free(ov[l]);
}

static void
compare_model(const struct ns_model *interp, const struct ns_model *comp,
              const char *const *names, struct tally *tally)
{
    struct duo d;
    duo_init(&d, interp, comp, tally);
    size_t q[MAX_CHOSEN] = {0}, n = 0;
    double v[MAX_CHOSEN] = {0};
    if (duo_run(&d, NULL) == NS_OK)
        n = choose_params(interp, d.r[0], names, q, v);
    run_options(&d, q, v, n);
    run_extremes(&d, q, n);
    run_spread(&d, q, v, n, 0.04, L, 0);
    run_spread(&d, q, v, n, 0.3, L, 0);
    run_spread(&d, q, v, n, 0.04, 5, 2.0);
    run_spread(&d, q, v, n, 0.04, 11, -1.0);
    duo_free(&d);
}

/* ---- batches of models, compiled together ---- */

/* Models each loaded twice, interpreted (copy 0) and compiled (copy 1). */
enum { MAX_BATCH = 400 };
struct batch {
    size_t n;
    const char *path[MAX_BATCH];  /* a file, or NULL for text */
    struct ns_memory_file text[MAX_BATCH][3]; /* INI text, then tables */
    struct ns_params *params[2][MAX_BATCH];
    struct ns_population *pop[2][MAX_BATCH];
};

static struct ns_population *
batch_build(struct batch *b, size_t i, int copy)
{
    struct ns_model_source src = {&b->path[i], 1, b->text[i], 3, NULL, 0,
                                  false};
    if (!b->path[i])
        src.n_files = 0;
    b->pop[copy][i] = build(&src, &b->params[copy][i]);
    return b->pop[copy][i];
}

/* Adds a model file (text NULL) or INI text (with the expression tests'
 * tables), unless it does not load on its own: a bad input, or an
 * overlay that needs its base. Returns whether it loaded. */
static bool
batch_add(struct batch *b, const char *path, const char *text)
{
    static const char ts[] = "k,v\n0,10\n1,20\n2,30\n3,40\n";
    static const char te[] = "k,v\n0,-1\n1,-0\n2,0.5\n3,2\n";
    assert_true(b->n < MAX_BATCH);
    size_t i = b->n;
    b->path[i] = path;
    b->text[i][0] = (struct ns_memory_file){"expr.ini", text,
                                            text ? strlen(text) : 0};
    b->text[i][1] = (struct ns_memory_file){"ts.csv", ts, strlen(ts)};
    b->text[i][2] = (struct ns_memory_file){"te.csv", te, strlen(te)};
    if (!batch_build(b, i, 0))
        return false;
    assert_non_null(batch_build(b, i, 1));
    b->n++;
    return true;
}

static void
batch_free_copy(struct batch *b, int copy)
{
    for (size_t i = 0; i < b->n; i++) {
        ns_population_free(b->pop[copy][i]);
        ns_params_free(b->params[copy][i]);
        b->pop[copy][i] = NULL;
        b->params[copy][i] = NULL;
    }
}

/* Counts m's native code into t; m must have some. */
static void
count_native(const struct ns_model *m, struct tally *t)
{
    assert_true(ns_model_is_jit(m));
    const struct ns_jit *jit = m->priv->jit;
    for (size_t x = 0; x < m->priv->n_exprs; x++) {
        t->native_one += jit->one[x].fn != NULL;
        t->native_lanes += jit->lanes[x].fn != NULL;
    }
    for (size_t k = 0; k < m->n_strategies; k++) {
        t->kernels += jit->settled[k] != NULL;
        t->steps += jit->step[k] != NULL;
    }
}

/* Compiles the second copy of every model of the batch in one
 * compilation, as the program compiles a population's subgroups. */
static void
batch_jit(struct batch *b, const char *isa, struct tally *t)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        n += b->pop[1][i]->n_groups;
    struct ns_model **models = malloc(n * sizeof *models);
    assert_non_null(models);
    n = 0;
    for (size_t i = 0; i < b->n; i++)
        for (size_t g = 0; g < b->pop[1][i]->n_groups; g++)
            models[n++] = b->pop[1][i]->models[g];
    struct ns_jit_options opt = {.isa = isa};
    char why[512];
    struct ns_jit_report rep;
    enum ns_status st = ns_models_jit(models, n, &opt, &rep, why, sizeof why);
    if (st != NS_OK)
        fail_msg("compiling %zu models for %s failed: %s", n,
                 isa ? isa : "the host", why);
    for (size_t i = 0; i < n; i++)
        count_native(models[i], t);
    print_message("%zu models compiled for %s in %.2f s: %zu functions\n",
                  n, rep.isa, rep.seconds, rep.n_functions);
    free(models);
}

/* For each instruction set: the compiled copies built anew, compiled,
 * and every subgroup compared with its interpreted copy, varying the
 * named parameters (NULL: some chosen) and then calling extra, if any. */
typedef void extra_fn(struct duo *d, size_t model_ix);

static void
batch_compare(struct batch *b, const char *const *names, extra_fn *extra,
              struct tally *t)
{
    for (size_t k = 0; k < N_ISAS; k++) {
        if (k > 0) {
            batch_free_copy(b, 1);
            for (size_t i = 0; i < b->n; i++)
                assert_non_null(batch_build(b, i, 1));
        }
        batch_jit(b, isas[k], t);
        for (size_t i = 0; i < b->n; i++)
            for (size_t g = 0; g < b->pop[0][i]->n_groups; g++) {
                const struct ns_model *mi = b->pop[0][i]->models[g];
                const struct ns_model *mc = b->pop[1][i]->models[g];
                compare_model(mi, mc, names, t);
                if (extra) {
                    struct duo d;
                    duo_init(&d, mi, mc, t);
                    extra(&d, i);
                    duo_free(&d);
                }
            }
    }
    batch_free_copy(b, 1);
    batch_free_copy(b, 0);
}

/* Whether the runs compared include successes and failures of both
 * kinds, and native code of each kind was there to compare (settled
 * kernels where need_kernels: a model with transition values has none,
 * as its settled cycles still book them; step kernels always). */
static void
assert_compared(const struct tally *t, bool need_kernels)
{
    print_message("runs: %zu succeeded, %zu failed; lanes runs: %zu "
                  "succeeded, %zu failed (each both ways)\n",
                  t->runs_ok, t->runs_failed, t->lanes_ok, t->lanes_failed);
    assert_true(t->runs_ok > 0);
    assert_true(t->runs_failed > 0);
    assert_true(t->lanes_ok > 0);
    assert_true(t->lanes_failed > 0);
    print_message("native code: %zu expressions for one lane, %zu for "
                  "lanes, %zu settled kernels, %zu step kernels\n",
                  t->native_one, t->native_lanes, t->kernels, t->steps);
    assert_true(t->native_one > 0);
    assert_true(t->native_lanes > 0);
    assert_true(t->kernels > 0 || !need_kernels);
    assert_true(t->steps > 0);
}

/* The batch a test fills (static: it is large), empty; the test is
 * skipped in a build without the code generator. */
static struct batch *
batch_start(void)
{
    static struct batch b;
    if (!ns_jit_built())
        skip();
    memset(&b, 0, sizeof b);
    return &b;
}

/* ---- the models ---- */

static void
england_matches(void **state)
{
    (void)state;
    struct batch *b = batch_start();
    /* Retention (a probability first: the faulting lanes set it to 2 and
     * -1), unit costs and a utility: inputs of time-dependent rows,
     * transition values and state values. */
    static const char *const names[] = {"leave_q1_rehab", "uc_shop",
                                        "cost_week_rehab", "util_dl", NULL};
    struct tally t = {0};
    assert_true(batch_add(b, "../params/england.ini", NULL));
    batch_compare(b, names, NULL, &t);
    assert_compared(&t, false);
}

static void
bench_models_match(void **state)
{
    (void)state;
    struct batch *b = batch_start();
    struct tally t = {0};
    assert_true(batch_add(b, "../bench/sick_sicker_psa.ini", NULL));
    assert_true(batch_add(b, "../bench/tunnel_model.ini", NULL));
    batch_compare(b, NULL, NULL, &t);
    assert_compared(&t, true);
}

/* Every INI file under tests/ and validation/models/ that loads alone. */
static void
test_and_validation_models_match(void **state)
{
    (void)state;
    struct batch *b = batch_start();
    static const char *const patterns[] = {
        "*.ini", "*/*.ini", "*/*/*.ini", "*/*/*/*.ini",
        "../validation/models/*.ini"};
    glob_t g;
    memset(&g, 0, sizeof g);
    for (size_t i = 0; i < sizeof patterns / sizeof *patterns; i++)
        glob(patterns[i], i ? GLOB_APPEND : 0, NULL, &g);
    struct tally t = {0};
    for (size_t i = 0; i < g.gl_pathc; i++)
        batch_add(b, g.gl_pathv[i], NULL);
    print_message("%zu of %zu files loaded on their own\n", b->n,
                  g.gl_pathc);
    /* Both validation models and the CLI cases at least. */
    assert_true(b->n >= 15);
    batch_compare(b, NULL, NULL, &t);
    globfree(&g);
    assert_compared(&t, true);
}

/* ---- faults ---- */

/* Each input of a fault has a twin read only from cycle 3 on, so that
 * each fault is met at the start and in the middle of a run. */
static const char fault_text[] =
    "[model]\n"
    "name = Faults\n"
    "cycle_length = 1\n"
    "n_cycles = 8\n"
    "comparator = a\n"
    "[discount]\n"
    "costs = 0.035\n"
    "[states]\n"
    "well = Well\n"
    "sick = Sick\n"
    "dead = Dead\n"
    "[strategies]\n"
    "a = A\n"
    "b = B\n"
    "[initial]\n"
    "well = 1\n"
    "[table.ts]\n"
    "file = ts.csv\n"
    "key_column = k\n"
    "value_column = v\n"
    "[table.te]\n"
    "file = te.csv\n"
    "key_column = k\n"
    "value_column = v\n"
    "lookup = exact\n"
    "[parameters]\n"
    "p = 0.1\n"
    "p2 = 0.2\n"
    "dz = 1\n"
    "dz2 = 1\n"
    "lg = 2\n"
    "lg2 = 2\n"
    "tk = 1.5\n"
    "tk2 = 1.5\n"
    "tx = 2\n"
    "tx2 = 2\n"
    "pw = 2\n"
    "pw2 = 2\n"
    "pr = 0.5\n"
    "pr2 = 0.5\n"
    "c_start = log(lg) + ts(tk) + te(tx) + pw ^ 0.5 + prob_to_rate(pr, 1)"
    " + 1 / dz\n"
    "c_late = if(cycle >= 3, log(lg2) + ts(tk2) + te(tx2) + pw2 ^ 0.5"
    " + prob_to_rate(pr2, 1) + 1 / dz2, 0)\n"
    "p_sick = if(cycle >= 3, p2, p)\n"
    "[parameters.b]\n"
    "p = 0.05\n"
    "[transitions]\n"
    "well -> sick = p_sick\n"
    "well -> dead = 0.01\n"
    "well -> well = C\n"
    "sick -> dead = 0.1\n"
    "sick -> sick = C\n"
    "dead -> dead = 1\n"
    "[stream.cost]\n"
    "outcome = costs\n"
    "well = c_start + c_late\n"
    "sick = 100 * c_start\n"
    "dead = 0\n";

/* A cohort that overflows to infinity in a state whose values are 0 in
 * every lane: the interpreter leaves that state's terms out and
 * succeeds; the settled kernel, which adds them, would make 0 times
 * infinity a NaN, so it must not run (engine.c, cohort_bounded). */
static const char overflow_text[] =
    "[model]\n"
    "name = Overflow\n"
    "cycle_length = 1\n"
    "n_cycles = 6\n"
    "comparator = a\n"
    "[discount]\n"
    "costs = 0.035\n"
    "[states]\n"
    "h = H\n"
    "s = S\n"
    "d = D\n"
    "[strategies]\n"
    "a = A\n"
    "b = B\n"
    "[initial]\n"
    "h = n0\n"
    "s = n0\n"
    "[parameters]\n"
    "n0 = 1\n"
    "[transitions]\n"
    "h -> d = 1\n"
    "s -> d = 1\n"
    "d -> d = 1\n"
    "[stream.cost]\n"
    "outcome = costs\n"
    "h = 1e-10\n"
    "s = 2e-10\n"
    "d = 0\n";

/* The overflowing cohort in lane 5 (1e308 in both living states: 2e308
 * dead). Without the trace (which holds the infinity, and fails) the
 * run succeeds, interpreted and compiled alike. */
static void
overflow_extra(struct duo *d)
{
    const struct ns_model *m = d->m[0];
    size_t q = param_ix(m, "n0");
    assert_true(q < m->n_params);
    double *ov[L];
    for (size_t l = 0; l < L; l++) {
        ov[l] = nan_override(m->n_params);
        ov[l][q] = l == 5 ? 1e308 : 1.0 + (double)l;
    }
    size_t ok = d->tally->lanes_ok;
    duo_lanes(d, ov);
    assert_true(d->tally->lanes_ok > ok);
    for (size_t l = 0; l < L; l++)
        free(ov[l]);
}

/* Each fault, alone and in lane 5 of lanes that are otherwise fine
 * (then the same lanes with lane 5 fine too). */
static void
faults_extra(struct duo *d, size_t model_ix)
{
    if (model_ix == 1) {
        overflow_extra(d);
        return;
    }
    static const struct {
        const char *name;
        double value;
    } faults[] = {
        {"p", 1.5},    {"p2", 1.5},   {"p", -0.25}, {"dz", 0},
        {"dz2", -0.0}, {"lg", -1},    {"lg2", -1},  {"lg", 0},
        {"tk", -1},    {"tk2", -0.5}, {"tx", 2.5},  {"tx2", 4},
        {"pw", -2},    {"pw2", -2},   {"pr", 1},    {"pr2", 1},
        {"pr", 1.5},   {"dz", 1e-320},
    };
    const struct ns_model *m = d->m[0];
    for (size_t f = 0; f < sizeof faults / sizeof *faults; f++) {
        size_t q = param_ix(m, faults[f].name);
        assert_true(q < m->n_params);
        double *ov[L];
        for (size_t l = 0; l < L; l++) {
            ov[l] = nan_override(m->n_params);
            ov[l][q] = l == 5 ? faults[f].value : 0.1 + 0.05 * (double)l;
        }
        struct ns_run_options opt = {.param_override = ov[5]};
        duo_run(d, &opt);
        duo_lanes(d, ov);
        ov[5][q] = 0.4; /* and without the fault */
        duo_lanes(d, ov);
        for (size_t l = 0; l < L; l++)
            free(ov[l]);
    }
}

static void
faults_match(void **state)
{
    (void)state;
    struct batch *b = batch_start();
    struct tally t = {0};
    assert_true(batch_add(b, NULL, fault_text));
    assert_true(batch_add(b, NULL, overflow_text));
    batch_compare(b, NULL, faults_extra, &t);
    assert_compared(&t, true);
}


/* ---- random expressions ---- */

/* A small deterministic generator (xorshift64), so that a failure can be
 * reproduced and nothing depends on the C library's rand(). */
static unsigned
rnd(unsigned long long *s, unsigned n)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (unsigned)(*s % n);
}

static void
gen_expr(unsigned long long *s, int depth, bool straight, char *buf,
         size_t n);

/* Forms with A, B and C for subexpressions: every operation, function
 * and look-up the language has. */
static const char *const forms[] = {
    "(A + B)", "(A - B)", "(A * B)", "(A / B)", "(A ^ B)", "(A < B)",
    "(A <= B)", "(A > B)", "(A >= B)", "(A == B)", "(A != B)", "(A && B)",
    "(A || B)", "(-A)", "(!A)", "if(A, B, C)", "min(A, B)", "max(A, B, C)",
    "exp(A)", "log(A)", "sqrt(A)", "abs(A)", "floor(A)", "ceil(A)",
    "rate_to_prob(A, B)", "prob_to_rate(A, B)", "ts(A)", "te(A)",
    "min(A, B, C)", "max(A, B)", "(A ^ 2)", "(A ^ 0.5)",
};

static const char *const leaves[] = {
    "x0", "x1", "x2", "x3", "x0", "x1", "x2", "x3", "0", "1", "2", "0.5",
    "3", "1e308", "1e-308", "710", "-0", "0.25",
};

/* Whether expression text e compiles to a jump. */
static bool
has_jump(const char *e)
{
    return strstr(e, "if(") || strstr(e, "&&") || strstr(e, "||");
}

/* The forms that the vector code does on vectors (jit_expr.c). */
static const char *const vector_forms[] = {
    "(A + B)", "(A - B)", "(A * B)", "(A / B)", "(-A)", "abs(A)",
};

/* A form; with straight, none that compiles to a jump, and one of
 * vector_forms half the time, so that programs without jumps are often
 * all vector code and often divide. */
static void
gen_form(unsigned long long *s, int depth, bool straight, char *buf,
         size_t n)
{
    const char *f = forms[rnd(s, sizeof forms / sizeof *forms)];
    if (straight && (rnd(s, 2) || has_jump(f)))
        f = vector_forms[rnd(s, sizeof vector_forms / sizeof *vector_forms)];
    size_t used = 0;
    buf[0] = '\0';
    for (const char *c = f; *c && used + 1 < n; c++) {
        if (*c >= 'A' && *c <= 'C') {
            gen_expr(s, depth - 1, straight, buf + used, n - used);
            used += strlen(buf + used);
        } else {
            buf[used++] = *c;
            buf[used] = '\0';
        }
    }
}

static void
gen_expr(unsigned long long *s, int depth, bool straight, char *buf,
         size_t n)
{
    if (depth <= 0 || rnd(s, 4) == 0)
        snprintf(buf, n, "%s", leaves[rnd(s, sizeof leaves / sizeof *leaves)]);
    else
        gen_form(s, depth, straight, buf, n);
}

enum { N_EXPRS = 128, EXPR_TEXT = 2048 };

static char expr_texts[N_EXPRS][EXPR_TEXT + 512];

/* A model whose stream counts expression e of x0..x3 (and whose
 * parameter values show e itself, signed zeros and all). */
static void
expr_model(char *out, size_t n, const char *e)
{
    snprintf(out, n,
             "[model]\nname = E\ncycle_length = 1\nn_cycles = 2\n"
             "[discount]\ncosts = 0\n[states]\nwell = Well\n"
             "[strategies]\ns = S\n[initial]\nwell = 1\n"
             "[table.ts]\nfile = ts.csv\nkey_column = k\nvalue_column = v\n"
             "[table.te]\nfile = te.csv\nkey_column = k\nvalue_column = v\n"
             "lookup = exact\n"
             "[parameters]\nx0 = 0.5\nx1 = 1.5\nx2 = 2\nx3 = -1\ne = %s\n"
             "[transitions]\nwell -> well = 1\n"
             "[stream.cost]\noutcome = costs\nwell = e\n",
             e);
}

/* Inputs that make signed zeros, overflow, NaN-producing arguments and
 * table keys at and between rows. */
static const double specials[] = {
    0.0,  -0.0, 1.0,  -1.0,  0.5,   2.0,  3.0,     1e308,    -1e308,
    4.9e-324, 1e-300, 709.0, 710.0, -745.0, 0.9999999999999999, 1.5, 2.5,
    -2.0, 0.25, 4.0,
};
enum { N_SPECIALS = sizeof specials / sizeof *specials };

static void
set_specials(unsigned long long *s, double *ov)
{
    for (size_t v = 0; v < 4; v++)
        ov[v] = specials[rnd(s, N_SPECIALS)];
}

/* Values the engine never passes as variables (NaN, infinities), and
 * extremes, for expr_direct. */
static const double direct_values[] = {
    NAN, -NAN, INFINITY, -INFINITY, DBL_MAX, -DBL_MAX, DBL_MIN, -4.9e-324,
};
enum { N_DIRECT = sizeof direct_values / sizeof *direct_values };

/* A value for a variable: a special, or (with any) one of direct_values
 * now and then. */
static double
direct_value(unsigned long long *s, bool any)
{
    unsigned n = N_SPECIALS + (any ? N_DIRECT : 0);
    unsigned i = rnd(s, n);
    return i < N_SPECIALS ? specials[i] : direct_values[i - N_SPECIALS];
}

/* What ns_expr_eval makes of each lane of vars (laid out as the
 * engine's, [slot * L + lane]) into r; whether some lane faulted. Each
 * lane also through the one-lane native code (one), which must agree. */
static bool
interpret_lanes(const struct ns_model_priv *p, const struct ns_expr *e,
                const struct ns_jit_entry *one, const double *vars,
                double *r)
{
    double v1[64];
    assert_true(p->n_vars <= sizeof v1 / sizeof *v1);
    const char *tables = (const char *)(const void *)p->tables;
    bool faulted = false;
    for (size_t l = 0; l < L; l++) {
        for (size_t v = 0; v < p->n_vars; v++)
            v1[v] = vars[v * L + l];
        bool bad = ns_expr_eval(e, v1, p->tables, &r[l], NULL) != NS_OK;
        double o = 0;
        bool obad = one->fn(one->which, v1, tables, &o) != 0;
        if (bad != obad)
            fail_msg("one lane: interpreted %s, compiled %s",
                     bad ? "fault" : "ok", obad ? "fault" : "ok");
        if (!bad)
            same_array("one lane", &r[l], &o, 1);
        faulted |= bad;
    }
    return faulted;
}

/* Counts program e's kind into t: straight-line, dividing, with an
 * instruction the vector code does lane by lane. */
static void
count_program(const struct ns_expr *e, struct tally *t)
{
    bool jumps = false, div = false, lanewise = false;
    for (size_t i = 0; i < ns_expr_n_steps(e); i++) {
        enum ns_expr_step_kind k = ns_expr_step(e, i).kind;
        jumps |= k >= NS_STEP_JUMP;
        div |= k == NS_STEP_DIV;
        lanewise |= k == NS_STEP_TABLE || k == NS_STEP_NOT ||
                    k == NS_STEP_BOOL ||
                    (k >= NS_STEP_POW && k <= NS_STEP_MAX) ||
                    (k >= NS_STEP_EXP && k <= NS_STEP_PROB_TO_RATE &&
                     k != NS_STEP_ABS);
    }
    t->straight += !jumps;
    t->straight_div += !jumps && div;
    t->straight_lanewise += !jumps && lanewise;
}

/* White-box: the native code of expression e (the parameter of an
 * expression model), called directly for L lanes and for one, on
 * variables that include NaN and infinities (which the engine's never
 * are), against ns_expr_eval lane by lane: a fault exactly when some
 * lane faults, and else the same bits in every lane. */
static void
expr_direct(const struct ns_model *mc, size_t model_ix, struct tally *t)
{
    const struct ns_model_priv *p = mc->priv;
    size_t x = p->param_def[param_ix(mc, "e")];
    const struct ns_jit_entry *lanes = &p->jit->lanes[x];
    const struct ns_jit_entry *one = &p->jit->one[x];
    if (!lanes->fn)
        return; /* one instruction: interpreted */
    assert_non_null(one->fn);
    count_program(p->exprs[x].expr, t);
    unsigned long long s = 0x2545f4914f6cdd1dull + model_ix;
    size_t qx = NS_VAR_COUNT + param_ix(mc, "x0");
    double *vars = calloc(p->n_vars * L, sizeof *vars);
    double out[L], r[L];
    assert_non_null(vars);
    for (int trial = 0; trial < 48; trial++) {
        /* Finite lanes that differ; lanes that differ, one of them with
         * any value; all lanes alike, with any value. */
        size_t odd_lane = rnd(&s, L);
        for (size_t v = 0; v < 4; v++)
            for (size_t l = 0; l < L; l++)
                vars[(qx + v) * L + l] =
                    trial % 3 == 2 && l > 0
                        ? vars[(qx + v) * L]
                        : direct_value(&s, trial % 3 == 2 ||
                                               (trial % 3 == 1 &&
                                                l == odd_lane));
        bool bad = lanes->fn(lanes->which, vars,
                             (const char *)(const void *)p->tables, out) != 0;
        bool want = interpret_lanes(p, p->exprs[x].expr, one, vars, r);
        if (bad != want)
            fail_msg("%zu lanes: interpreted %s, compiled %s", (size_t)L,
                     want ? "fault" : "ok", bad ? "fault" : "ok");
        if (!want)
            same_array("lanes", r, out, L);
        t->direct_faulted += want;
        t->direct_ok += !want;
    }
    free(vars);
}

/* One-lane runs and lanes runs of x0..x3 from the specials: lanes that
 * differ (any fault fails them all), and lanes that agree. */
static void
expr_extra(struct duo *d, size_t model_ix)
{
    unsigned long long s = 0x9e3779b97f4a7c15ull + model_ix;
    const struct ns_model *m = d->m[0];
    size_t qx = param_ix(m, "x0");
    assert_int_equal(qx, param_ix(m, "x1") - 1); /* x0..x3 in order */
    double *ov[L];
    for (size_t l = 0; l < L; l++)
        ov[l] = nan_override(m->n_params);
    for (int trial = 0; trial < 24; trial++) {
        set_specials(&s, &ov[0][qx]);
        struct ns_run_options opt = {.param_override = ov[0]};
        duo_run(d, &opt);
        for (size_t l = 1; l < L; l++) {
            if (trial % 2)
                set_specials(&s, &ov[l][qx]);
            else
                memcpy(&ov[l][qx], &ov[0][qx], 4 * sizeof(double));
        }
        if (trial % 4 < 2)
            duo_lanes(d, ov);
    }
    for (size_t l = 0; l < L; l++)
        free(ov[l]);
    expr_direct(d->m[1], model_ix, d->tally);
}

static void
random_expressions_match(void **state)
{
    (void)state;
    struct batch *b = batch_start();
    struct tally t = {0};
    unsigned long long s = 88172645463325252ull;
    for (size_t i = 0; i < N_EXPRS; i++) {
        char e[EXPR_TEXT];
        /* Of the inputs, and more than a leaf (which is not compiled);
         * half of them with jumps, half without. */
        do
            gen_expr(&s, 1 + (int)(i % 5), i % 2, e, sizeof e);
        while (!strchr(e, 'x') || !strchr(e, '(') ||
               (i % 2 == 0 && !has_jump(e)));
        expr_model(expr_texts[i], sizeof expr_texts[i], e);
        batch_add(b, NULL, expr_texts[i]);
    }
    print_message("%zu of %d random expressions loaded\n", b->n, N_EXPRS);
    assert_true(b->n >= N_EXPRS * 3 / 4);
    batch_compare(b, NULL, expr_extra, &t);
    assert_compared(&t, true);
    print_message("called directly: %zu programs without jumps (%zu that "
                  "divide, %zu with an instruction done lane by lane); "
                  "%zu calls for %d lanes faulted, %zu did not\n",
                  t.straight / N_ISAS, t.straight_div / N_ISAS,
                  t.straight_lanewise / N_ISAS,
                  t.direct_faulted, L, t.direct_ok);
    assert_true(t.straight_div > 0 && t.straight_lanewise > 0);
    assert_true(t.direct_faulted > 0 && t.direct_ok > 0);
}

/* An argument runs the tests whose names match it (cmocka's filter,
 * with * and ?), e.g. test_jit 'fault*'. */
int
main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(england_matches),
        cmocka_unit_test(bench_models_match),
        cmocka_unit_test(test_and_validation_models_match),
        cmocka_unit_test(faults_match),
        cmocka_unit_test(random_expressions_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

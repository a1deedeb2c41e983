/* netsave fuzzing: arbitrary bytes as a model file.
 *
 * Loads them as INI text (as the built-in model is loaded), checks and
 * compiles them, and runs what compiles when it is small enough to run
 * quickly. Anything may be rejected; nothing may crash, leak or trip the
 * sanitizers.
 *
 * A model that runs is also run in lanes (as a PSA runs its draws), each
 * lane with its constant parameters scaled a little differently, and each
 * lane is compared with a run of its own: the results must be
 * bit-identical, and the lanes must fail exactly when some lane alone
 * fails. A difference aborts, which the fuzzer reports as a crash.
 *
 * With NS_FUZZ_JIT=1 in the environment, a model that runs is also
 * compiled to machine code and compared with the interpreter, for the
 * host's widest instruction set, x86-64-v3 or x86-64 by the input's
 * length (fuzz/fuzz_jit.h).
 *
 * GSL's error handler is left as GSL's default, which aborts, on
 * purpose: the library promises never to reach it (model/netsave.h), so
 * any input that does is a finding, where a handler turned off would hide
 * it. Only GSL running out of memory would reach it, and libFuzzer's
 * -rss_limit_mb reports that first. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_jit.h"
#include "model/engine.h"
#include "model/expr.h"
#include "model/model.h"
#include "params/params.h"

/* Runs are skipped for models this large: the fuzzer wants many inputs a
 * second, not a faithful run of a 100,000-cycle model. */
enum { MAX_RUN_CELLS = 200000 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs model in L lanes, lane l with the constant parameters of run 'base'
 * scaled by 1 + (l - 1) / 64, and each lane alone; aborts on any
 * difference. */
static void
check_lanes(const struct ns_model *model, const struct ns_results *base,
            size_t L)
{
    size_t P = model->n_params;
    double *ov[NS_EXPR_MAX_LANES] = {NULL};
    struct ns_results *lane[NS_EXPR_MAX_LANES] = {NULL};
    struct ns_workspace *lw = ns_workspace_alloc_lanes(model, L);
    struct ns_workspace *ws = ns_workspace_alloc(model);
    struct ns_results *alone = ns_results_alloc(model);
    bool ok = lw && ws && alone;
    for (size_t l = 0; ok && l < L; l++) {
        ov[l] = malloc((P + 1) * sizeof(double));
        lane[l] = ns_results_alloc(model);
        ok = ov[l] && lane[l];
        for (size_t q = 0; ok && q < P; q++)
            ov[l][q] = base->param_values[q] *
                       (1.0 + ((double)l - 1.0) / 64.0);
    }
    if (ok) {
        struct ns_diags diags = {0};
        enum ns_status together = ns_model_run_lanes(
            model, lw, lane, (const double *const *)ov);
        bool any_failed = false;
        for (size_t l = 0; l < L; l++) {
            struct ns_run_options opt = {.param_override = ov[l]};
            if (ns_model_run_opt(model, ws, alone, &diags, &opt) != NS_OK)
                any_failed = true;
            else if (together == NS_OK && !same_results(lane[l], alone, false))
                abort();
        }
        if ((together != NS_OK) != any_failed)
            abort();
        ns_diags_clear(&diags);
    }
    for (size_t l = 0; l < L; l++) {
        free(ov[l]);
        ns_results_free(lane[l]);
    }
    ns_results_free(alone);
    ns_workspace_free(ws);
    ns_workspace_free(lw);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ns_params *params = ns_params_alloc();
    struct ns_diags diags = {0};
    if (!params)
        return 0;
    enum ns_status st = ns_params_load_text(params, "fuzz.ini",
                                            (const char *)data, size, NULL,
                                            &diags);
    if (st == NS_OK)
        st = ns_params_finish(params, &diags);
    struct ns_model *model = NULL;
    if (st == NS_OK)
        st = ns_model_compile(&params->def, &model, &diags);
    if (st == NS_OK && model->n_cycles * model->n_states *
                               model->n_strategies <=
                           MAX_RUN_CELLS) {
        struct ns_results *r = ns_results_alloc(model);
        struct ns_workspace *ws = ns_workspace_alloc(model);
        if (r && ws && ns_model_run(model, ws, r, &diags) == NS_OK) {
            check_lanes(model, r, size % 2 ? 3 : NS_EXPR_FAST_LANES);
            if (jit_wanted())
                check_jit_sized(params, model, r, size);
        }
        ns_workspace_free(ws);
        ns_results_free(r);
    }
    for (size_t i = 0; i < diags.count; i++) {
        char buf[1400];
        ns_diag_format(&diags.items[i], buf, sizeof buf);
    }
    ns_model_free(model);
    ns_params_free(params);
    ns_diags_clear(&diags);
    return 0;
}

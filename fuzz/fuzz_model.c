/* netsave fuzzing: arbitrary bytes as a model file.
 *
 * Loads them as INI text (as the built-in model is loaded), checks and
 * compiles them, and runs what compiles when it is small enough to run
 * quickly. Anything may be rejected; nothing may crash, leak or trip the
 * sanitizers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/engine.h"
#include "model/model.h"
#include "params/params.h"

/* Runs are skipped for models this large: the fuzzer wants many inputs a
 * second, not a faithful run of a 100,000-cycle model. */
enum { MAX_RUN_CELLS = 200000 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
        if (r && ws)
            ns_model_run(model, ws, r, &diags);
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

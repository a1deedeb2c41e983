/* netsave: model/jit.h in a build without libgccjit (NS_JIT=OFF, or the
 * library not found): every model runs interpreted. */
#include "model/jit.h"

#include <stdio.h>

#include "model/compiled.h"
#include "model/jit_priv.h"

bool
ns_jit_built(void)
{
    return false;
}

const char *
ns_jit_host_isa(void)
{
    return "x86-64";
}

enum ns_status
ns_models_jit(struct ns_model *const *models, size_t n,
              const struct ns_jit_options *opt, struct ns_jit_report *report,
              char *why, size_t why_size)
{
    (void)models;
    (void)n;
    return ns_model_jit(NULL, opt, report, why, why_size);
}

enum ns_status
ns_model_jit(struct ns_model *m, const struct ns_jit_options *opt,
             struct ns_jit_report *report, char *why, size_t why_size)
{
    (void)m;
    (void)opt;
    (void)report;
    snprintf(why, why_size, "this build has no code generator (libgccjit)");
    return NS_EMODEL;
}

double
ns_jit_estimate_seconds(struct ns_model *const *models, size_t n,
                        unsigned uses)
{
    (void)models;
    (void)n;
    (void)uses;
    return 0.0;
}

bool
ns_model_is_jit(const struct ns_model *m)
{
    (void)m;
    return false;
}

void
ns_jit_free(struct ns_jit *jit)
{
    (void)jit;
}

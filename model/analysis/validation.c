/* netsave: the model against its targets (see validation.h). */
#include "model/analysis/validation.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

void
ns_validation_tally(const struct ns_model *m,
                    const struct ns_target_result *res,
                    enum ns_target_role role, const char *arms,
                    struct ns_target_tally *t)
{
    *t = (struct ns_target_tally){0};
    for (size_t i = 0; i < m->n_targets; i++) {
        const struct ns_target_info *ti = &m->targets[i];
        if (ti->role != role || (arms && strcmp(ti->arms, arms) != 0))
            continue;
        bool binding = ns_target_is_binding(ti);
        t->n++;
        t->within += res[i].within;
        t->binding += binding;
        t->binding_within += binding && res[i].within;
    }
}

size_t
ns_validation_missed(const struct ns_validation *v)
{
    return v->fit.binding - v->fit.binding_within + v->holdout.binding -
           v->holdout.binding_within;
}

void
ns_validation_free(struct ns_validation *v)
{
    if (!v)
        return;
    free(v->results);
    free(v);
}

enum ns_status
ns_validation_run(const struct ns_population *pop, struct ns_validation **out,
                  struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    *out = NULL;
    struct ns_validation *v = calloc(1, sizeof *v);
    struct ns_target_result *res = calloc(m->n_targets + 1, sizeof *res);
    if (!v || !res) {
        free(v);
        free(res);
        return NS_ENOMEM;
    }
    v->n_targets = m->n_targets;
    v->results = res;
    v->evaluated = ns_targets_evaluate(pop, NULL, res, diags);
    if (v->evaluated == NS_ENOMEM) {
        ns_validation_free(v);
        return NS_ENOMEM;
    }
    ns_validation_tally(m, res, NS_ROLE_FIT, NULL, &v->fit);
    ns_validation_tally(m, res, NS_ROLE_HOLDOUT, NULL, &v->holdout);
    *out = v;
    return NS_OK;
}

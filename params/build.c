/* netsave: from model files to a compiled, ready-to-run population.
 *
 * The base model is loaded and checked first, with every problem
 * reported. Only when it is sound is each subgroup built, by loading the
 * same files again, applying the subgroup's overrides, then the --set
 * assignments: loading is cheap, and building each subgroup from scratch
 * keeps overlays simple (a definition is never copied or undone). */
#include <stdlib.h>
#include <string.h>

#include "model/measures.h"
#include "model/population.h"
#include "params/params.h"

/* Loads the files and (for subgroup g, unless g is SIZE_MAX) the
 * subgroup's overrides, then the --set assignments. *complete is false
 * when required settings or whole parts are missing. */
static enum ns_status
load(const struct ns_model_source *src, size_t g, struct ns_params *params,
     struct ns_diags *diags, bool *complete)
{
    enum ns_status status = NS_OK;
    *complete = false;
    if ((src->n_files == 0 || src->builtin_then_files) && src->n_builtin > 0) {
        params->memory_files = src->builtin + 1;
        params->n_memory_files = src->n_builtin - 1;
        status = ns_params_load_text(params, src->builtin[0].name,
                                     src->builtin[0].text,
                                     src->builtin[0].len, NULL, diags);
    }
    for (size_t i = 0; i < src->n_files && status != NS_ENOMEM; i++) {
        enum ns_status st = ns_params_load_file(params, src->files[i], diags);
        if (st != NS_OK)
            status = st;
    }
    /* --set beats everything: assignments to subgroups change the
     * overrides before they are applied, the others come last. */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && g != (size_t)-1 && status == NS_OK)
            status = ns_params_apply_subgroup(params, g, diags);
        for (size_t i = 0; i < src->n_sets && status != NS_ENOMEM; i++) {
            bool to_subgroup = strncmp(src->sets[i], "subgroup.", 9) == 0;
            if (to_subgroup != (pass == 0))
                continue;
            enum ns_status st =
                ns_params_set_at(params, src->sets[i], i + 1, diags);
            if (st != NS_OK)
                status = st;
        }
    }
    if (status == NS_ENOMEM)
        return status;
    enum ns_status st = ns_params_finish(params, diags);
    *complete = st == NS_OK;
    return status == NS_OK ? st : status;
}

/* Loads and compiles; compiles even after problems with single entries
 * so that one run lists every problem. */
static enum ns_status
load_and_compile(const struct ns_model_source *src, size_t g,
                 struct ns_params *params, struct ns_model **model,
                 struct ns_diags *diags)
{
    bool complete;
    *model = NULL;
    enum ns_status st = load(src, g, params, diags, &complete);
    if (st == NS_ENOMEM || (st != NS_OK && !complete))
        return st;
    enum ns_status cst = ns_model_compile(&params->def, model, diags);
    if (st == NS_OK || cst == NS_ENOMEM)
        st = cst;
    if (st != NS_OK) {
        ns_model_free(*model);
        *model = NULL;
    }
    return st;
}

/* Hands p to base, to be freed with it. */
static bool
keep(struct ns_params *base, struct ns_params *p)
{
    struct ns_params **kept =
        realloc(base->kept, (base->n_kept + 1) * sizeof *kept);
    if (!kept)
        return false;
    base->kept = kept;
    kept[base->n_kept++] = p;
    return true;
}

enum ns_status
ns_params_build(const struct ns_model_source *src,
                struct ns_params **params_out, struct ns_population **pop_out,
                struct ns_diags *diags)
{
    *params_out = NULL;
    *pop_out = NULL;
    struct ns_params *base = ns_params_alloc();
    if (!base)
        return NS_ENOMEM;
    struct ns_model *model;
    enum ns_status st = load_and_compile(src, (size_t)-1, base, &model, diags);
    if (st != NS_OK) {
        ns_params_free(base);
        return st;
    }
    size_t n = base->n_subgroups ? base->n_subgroups : 1;
    struct ns_model **models = calloc(n, sizeof *models);
    const char **names = calloc(n, sizeof *names);
    double *weights = calloc(n, sizeof *weights);
    if (!models || !names || !weights) {
        st = NS_ENOMEM;
    } else if (base->n_subgroups == 0) {
        models[0] = model;
        model = NULL;
        names[0] = "all";
        weights[0] = 1.0;
    } else {
        for (size_t g = 0; g < n && st != NS_ENOMEM; g++) {
            names[g] = base->subgroups[g].name;
            weights[g] = base->subgroups[g].weight;
            struct ns_params *p = ns_params_alloc();
            enum ns_status gst =
                p ? load_and_compile(src, g, p, &models[g], diags)
                  : NS_ENOMEM;
            /* The model's origins point at p's file names: keep p. */
            if (p && !keep(base, p)) {
                ns_params_free(p);
                gst = NS_ENOMEM;
            }
            if (gst != NS_OK)
                st = gst;
        }
    }
    ns_model_free(model);
    if (st == NS_OK)
        st = ns_population_alloc(models, names, weights, n, pop_out, diags);
    else
        for (size_t g = 0; models && g < n; g++)
            ns_model_free(models[g]);
    /* Targets may name a subgroup: only the population knows them all. */
    if (st == NS_OK && ns_targets_check_subgroups(*pop_out, diags) != NS_OK) {
        ns_population_free(*pop_out);
        *pop_out = NULL;
        st = NS_EPARAM;
    }
    free(models);
    free(names);
    free(weights);
    if (st != NS_OK) {
        ns_params_free(base);
        return st;
    }
    *params_out = base;
    return NS_OK;
}

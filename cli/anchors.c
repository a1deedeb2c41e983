/* netsave anchors: the model side by side with the published studies (see
 * anchors.h). */
#include "cli/anchors.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/default_model.h"
#include "model/population.h"

/* The default anchors file: anchors.csv in the first model file's folder,
 * params/anchors.csv (the England model's, from the source tree) for the
 * built-in model. */
char *
ns_cli_anchors_default_path(const struct ns_cli_anchors_request *req)
{
    return ns_cli_beside_model(req->files, req->n_files, "anchors.csv",
                               "params/anchors.csv");
}

/* Builds and runs the model files with scenario on top (NULL: none). */
static enum ns_status
build_run(const struct ns_cli_anchors_request *req, const char *scenario,
          struct ns_cli_anchor_run *run, struct ns_diags *diags)
{
    const char **files = calloc(req->n_files + 2, sizeof *files);
    if (!files)
        return NS_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < req->n_files; i++)
        files[n++] = req->files[i];
    if (scenario)
        files[n++] = scenario;
    struct ns_model_source src = {files,
                                  n,
                                  ns_default_model_files,
                                  ns_default_model_n_files,
                                  req->sets,
                                  req->n_sets,
                                  req->n_files == 0};
    run->scenario = scenario;
    enum ns_status st = ns_params_build(&src, &run->params, &run->pop, diags);
    if (st == NS_OK)
        st = ns_population_run(run->pop, diags);
    if (st != NS_OK) {
        ns_population_free(run->pop);
        run->pop = NULL;
    }
    free(files);
    return st;
}

/* The index of the run with scenario (NULL: the base), or n_runs. */
static size_t
find_run(const struct ns_cli_anchors *a, const char *scenario)
{
    for (size_t r = 0; r < a->n_runs; r++) {
        const char *s = a->runs[r].scenario;
        if ((!s && !scenario) || (s && scenario && strcmp(s, scenario) == 0))
            return r;
    }
    return a->n_runs;
}

/* The run of the anchor's scenario: found, or built and run now (each
 * scenario once, however many anchors use it). */
static enum ns_status
run_of(const struct ns_cli_anchors_request *req, struct ns_cli_anchors *a,
       const struct ns_anchor_def *d, size_t *index, struct ns_diags *diags)
{
    *index = find_run(a, d->scenario);
    if (*index < a->n_runs)
        return a->runs[*index].pop ? NS_OK : NS_EPARAM;
    a->n_runs++;
    return build_run(req, d->scenario, &a->runs[*index], diags);
}

/* The worse of two outcomes: out of memory first, then any failure. */
static enum ns_status
worse(enum ns_status a, enum ns_status b)
{
    if (a == NS_ENOMEM || b == NS_ENOMEM)
        return NS_ENOMEM;
    return a != NS_OK ? a : b;
}

/* Runs every anchor's model and resolves its names there, recording
 * every problem; each row's spec is filled when it resolves. */
static enum ns_status
resolve_all(const struct ns_cli_anchors_request *req,
            struct ns_cli_anchors *a, struct ns_diags *diags)
{
    const struct ns_anchor_defs *defs = a->defs;
    enum ns_status st = NS_OK;
    for (size_t i = 0; i < defs->n && st != NS_ENOMEM; i++) {
        const struct ns_anchor_def *d = &defs->items[i];
        if (!d->scenario_ok) {
            st = worse(st, NS_EPARAM);
            continue;
        }
        size_t r;
        enum ns_status rs = run_of(req, a, d, &r, diags);
        if (rs == NS_OK)
            rs = ns_anchor_resolve(d, a->runs[r].pop->models[0],
                                   &a->specs[i], diags);
        if (rs == NS_OK && !d->valid)
            rs = NS_EPARAM;
        st = worse(st, rs);
    }
    return st;
}

/* Computes every anchor and fills the reports output/ writes. */
static enum ns_status
compute_all(struct ns_cli_anchors *a)
{
    size_t n_arms = 0;
    for (size_t i = 0; i < a->defs->n; i++)
        n_arms += a->specs[i].n_arms;
    a->arms = calloc(n_arms + 1, sizeof *a->arms);
    a->reports = calloc(a->defs->n, sizeof *a->reports);
    if (!a->arms || !a->reports)
        return NS_ENOMEM;
    struct ns_anchor_figure *arm = a->arms;
    for (size_t i = 0; i < a->defs->n; i++) {
        const struct ns_anchor_def *d = &a->defs->items[i];
        const struct ns_population *pop = a->runs[find_run(a, d->scenario)].pop;
        struct ns_anchor_report *rep = &a->reports[i];
        *rep = (struct ns_anchor_report){.anchor = d->anchor,
                                         .study = d->study,
                                         .design = d->design,
                                         .arms = d->arms,
                                         .benefits = d->benefits,
                                         .published_text = d->published_text,
                                         .source = d->source,
                                         .explanation = d->explanation,
                                         .scenario = d->scenario,
                                         .cost_share = d->cost_share,
                                         .published = d->published,
                                         .model = pop->models[0],
                                         .spec = &a->specs[i],
                                         .arm = arm};
        ns_anchor_compute(pop->models[0], pop->pooled, &a->specs[i],
                          &rep->pooled, arm);
        arm += a->specs[i].n_arms;
    }
    return NS_OK;
}

enum ns_status
ns_cli_anchors_prepare(const struct ns_cli_anchors_request *req,
                       struct ns_cli_anchors **out, struct ns_diags *diags)
{
    *out = NULL;
    struct ns_cli_anchors *a = calloc(1, sizeof *a);
    if (!a)
        return NS_ENOMEM;
    a->path = req->anchors_file ? strdup(req->anchors_file)
                                : ns_cli_anchors_default_path(req);
    if (!a->path) {
        ns_cli_anchors_free(a);
        return NS_ENOMEM;
    }
    enum ns_status st = ns_anchors_load(a->path, &a->defs, diags);
    if (st == NS_EIO && !req->anchors_file)
        ns_diags_addf(diags, NULL, 0,
                      "netsave anchors: name the anchors file with "
                      "--anchors FILE.csv");
    size_t n = a->defs ? a->defs->n : 0;
    a->runs = calloc(n + 1, sizeof *a->runs);
    a->specs = calloc(n + 1, sizeof *a->specs);
    if (!a->runs || !a->specs)
        st = NS_ENOMEM;
    /* The model as it is comes first: without it nothing else can be
     * checked, and its results are the workbook's. */
    if (a->defs && st != NS_ENOMEM) {
        a->n_runs = 1;
        enum ns_status bs = build_run(req, NULL, &a->runs[0], diags);
        st = worse(st, bs == NS_OK ? resolve_all(req, a, diags) : bs);
    }
    if (st == NS_OK)
        st = compute_all(a);
    if (st != NS_OK) {
        ns_cli_anchors_free(a);
        return st;
    }
    *out = a;
    return NS_OK;
}

/* The published figure as printed, or the number when none is given. */
static const char *
published(const struct ns_anchor_report *r, char *buf, size_t n)
{
    if (*r->published_text)
        return r->published_text;
    snprintf(buf, n, "%g", r->published);
    return buf;
}

/* The widest anchor id and published figure (at least their headings'),
 * so the columns line up. */
static void
widths(const struct ns_cli_anchors *a, int *id, int *pub)
{
    char buf[40];
    size_t w = strlen("anchor"), p = strlen("published");
    for (size_t i = 0; i < a->defs->n; i++) {
        const struct ns_anchor_report *r = &a->reports[i];
        if (strlen(r->anchor) > w)
            w = strlen(r->anchor);
        if (strlen(published(r, buf, sizeof buf)) > p)
            p = strlen(published(r, buf, sizeof buf));
    }
    *id = (int)w;
    *pub = (int)p;
}

/* Money as printed: never a non-finite value shown as a number. */
static const char *
money(double v, char *buf, size_t n)
{
    if (isfinite(v))
        snprintf(buf, n, "%.2f", v);
    else
        snprintf(buf, n, "-");
    return buf;
}

static void
print_table(const struct ns_cli_anchors *a, int w, int pw)
{
    char ratio[200], number[40], difference[40];
    printf("%-*s  %-14s  %-*s  %10s  %s\n", w, "anchor", "netsave", pw,
           "published", "difference", "study: design");
    for (size_t i = 0; i < a->defs->n; i++) {
        const struct ns_anchor_report *r = &a->reports[i];
        bool computed = r->pooled.status == NS_ANCHOR_COMPUTED;
        ns_anchor_ratio_text(&r->pooled, ratio, sizeof ratio);
        snprintf(difference, sizeof difference, "%+.2f",
                 r->pooled.ratio - r->published);
        printf("%-*s  %-14s  %-*s  %10s  %s: %s\n", w, r->anchor,
               computed ? ratio : "not computable", pw,
               published(r, number, sizeof number),
               computed ? difference : "-", r->study, r->design);
    }
    for (size_t i = 0; i < a->defs->n; i++) {
        const struct ns_anchor_report *r = &a->reports[i];
        if (r->pooled.status == NS_ANCHOR_COMPUTED)
            continue;
        printf("%s: not computable: %s (savings %s, treatment cost %s per "
               "client, %g of it counted)\n",
               r->anchor, ns_anchor_status_text(r->pooled.status),
               money(r->pooled.savings, number, sizeof number),
               money(r->pooled.treatment_cost, difference,
                     sizeof difference),
               r->cost_share);
    }
}

static void
print_arms(const struct ns_cli_anchors *a, int w)
{
    char ratio[200], savings[40], cost[40];
    printf("\nEach anchor's clients, strategy by strategy (per client, "
           "discounted):\n");
    printf("%-*s  %-16s %-16s %7s %14s %14s  %s\n", w, "anchor", "strategy",
           "compared with", "weight", "savings", "treatment cost",
           "savings per GBP 1");
    for (size_t i = 0; i < a->defs->n; i++) {
        const struct ns_anchor_report *r = &a->reports[i];
        const struct ns_model *m = r->model;
        for (size_t j = 0; j < r->spec->n_arms; j++) {
            size_t k = r->spec->strategy[j];
            ns_anchor_ratio_text(&r->arm[j], ratio, sizeof ratio);
            printf("%-*s  %-16s %-16s %7.3f %14s %14s  %s\n", w,
                   r->anchor, m->strategies[k].name,
                   m->strategies[m->comparator[k]].name, r->spec->weight[j],
                   money(r->arm[j].savings, savings, sizeof savings),
                   money(r->arm[j].treatment_cost, cost, sizeof cost),
                   ratio);
        }
    }
}

void
ns_cli_anchors_print(const struct ns_cli_anchors *a)
{
    int w, pw;
    widths(a, &w, &pw);
    printf("Side by side with the published studies (%s)\n", a->path);
    printf("netsave: savings per GBP 1 of treatment cost counted, "
           "discounted, pooled over subgroups and over each anchor's "
           "clients by weight\n\n");
    print_table(a, w, pw);
    print_arms(a, w);
}

void
ns_cli_anchors_free(struct ns_cli_anchors *a)
{
    if (!a)
        return;
    for (size_t i = 0; a->specs && a->defs && i < a->defs->n; i++)
        ns_anchor_spec_clear(&a->specs[i]);
    for (size_t r = 0; a->runs && r < a->n_runs; r++) {
        ns_population_free(a->runs[r].pop);
        ns_params_free(a->runs[r].params);
    }
    free(a->specs);
    free(a->runs);
    free(a->arms);
    free(a->reports);
    ns_anchor_defs_free(a->defs);
    free(a->path);
    free(a);
}

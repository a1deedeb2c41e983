/* netsave expand: the budget impact of funding more places. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/analysis/expansion.h"

/* What to expand: "STRATEGY=PLACES" from --places, or the model's
 * [expansion] section. */
struct plan {
    size_t n;
    char **specs;        /* owned: "STRATEGY=PLACES" */
    size_t *strategy;    /* [n] */
    const char **places; /* [n] into specs */
    struct ns_expansion **e; /* [n]; the first done filled */
    size_t done;
};

static void
plan_free(struct plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->specs ? p->specs[i] : NULL);
        ns_expansion_free(p->e && i < p->done ? p->e[i] : NULL);
    }
    free(p->specs);
    free(p->strategy);
    free(p->places);
    free(p->e);
}

static char *
spec_of(const char *strategy, const char *places)
{
    size_t n = strlen(strategy) + strlen(places) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s=%s", strategy, places);
    return s;
}

/* Fills the plan; false after a message. */
static bool
plan_of(const struct ns_cli_args *a, const struct ns_model *m, struct plan *p)
{
    bool from_model = a->places.n == 0;
    p->n = from_model ? m->n_expansion : a->places.n;
    p->specs = calloc(p->n + 1, sizeof *p->specs);
    p->strategy = calloc(p->n + 1, sizeof *p->strategy);
    p->places = calloc(p->n + 1, sizeof *p->places);
    p->e = calloc(p->n + 1, sizeof *p->e);
    bool ok = p->specs && p->strategy && p->places && p->e;
    for (size_t i = 0; ok && i < p->n; i++) {
        p->specs[i] = from_model
                          ? spec_of(m->strategies[m->expansion_strategy[i]].name,
                                    m->expansion_places[i])
                          : strdup(a->places.items[i]);
        ok = p->specs[i] != NULL;
    }
    if (!ok) {
        fprintf(stderr, "netsave: out of memory\n");
        return false;
    }
    for (size_t i = 0; i < p->n; i++) {
        char *eq = strchr(p->specs[i], '=');
        *eq = '\0';
        long k = ns_model_find_strategy(m, p->specs[i]);
        *eq = '=';
        if (k < 0) {
            fprintf(stderr, "netsave expand: unknown strategy in '%s'\n",
                    p->specs[i]);
            return false;
        }
        p->strategy[i] = (size_t)k;
        p->places[i] = eq + 1;
    }
    return true;
}

static void
print_expansion(const struct ns_model *m, const struct plan *p, size_t i,
                long view)
{
    const struct ns_expansion *e = p->e[i];
    printf("%s: %s extra places (%.3g place-years per client); "
           "discounted, %s\n",
           m->strategies[p->strategy[i]].name, p->places[i],
           e->place_years_per_client, ns_cli_perspective_name(m, view));
    printf("%6s %10s %10s %16s %16s %16s %16s\n", "year", "places", "starts",
           "treatment cost", "savings", "net savings", "cumulative");
    for (size_t y = 0; y < e->n_years; y++) {
        const struct ns_expansion_year *yr = &e->years[y];
        printf("%6zu %10.1f %10.1f %16.0f %16.0f %16.0f %16.0f\n", y + 1,
               yr->places, yr->starts, yr->treatment_cost, yr->savings,
               yr->net_savings, yr->cumulative);
    }
    printf("net present value %.0f; ", e->npv);
    if (isnan(e->payback_year))
        printf("does not pay back within the horizon\n\n");
    else
        printf("pays back in year %.0f\n\n", e->payback_year);
}

static int
expand(const struct ns_cli_args *a, struct ns_cli_model *cm, struct plan *p)
{
    const struct ns_model *m = cm->pop->models[0];
    if (a->places.n == 0 && m->n_expansion == 0) {
        ns_cli_print_help(a->command, stderr);
        return NS_EXIT_BAD_INPUT;
    }
    long view;
    if (!ns_cli_perspective(a, m, &view))
        return NS_EXIT_BAD_INPUT;
    if (!plan_of(a, m, p))
        return NS_EXIT_BAD_INPUT;
    for (; p->done < p->n; p->done++) {
        size_t i = p->done;
        enum ns_status st = ns_expansion_run(m, cm->pop->pooled, p->strategy[i],
                                             p->places[i], view, &p->e[i],
                                             &cm->diags);
        if (st != NS_OK) {
            ns_cli_print_diags(&cm->diags);
            return st == NS_EPARAM ? NS_EXIT_BAD_INPUT : NS_EXIT_FAILURE;
        }
        print_expansion(m, p, i, view);
    }
    if (!a->csv_dir)
        return NS_EXIT_OK;
    char err[512];
    if (!ns_cli_ensure_dir(a->csv_dir))
        return NS_EXIT_FAILURE;
    if (ns_csv_write_expansion(a->csv_dir, m, view,
                               (const struct ns_expansion *const *)p->e,
                               p->strategy, p->places, p->done, a->set, err,
                               sizeof err) != NS_OK) {
        fprintf(stderr, "netsave: %s\n", err);
        return NS_EXIT_FAILURE;
    }
    return NS_EXIT_OK;
}

int
ns_cli_expand(const struct ns_cli_args *a)
{
    /* Accepted since the first release, so scripts that pass it keep
     * working; but a workbook the user asked for and does not get must be
     * said. */
    if (a->output)
        fprintf(stderr, "netsave expand: -o is ignored: expand writes no "
                        "workbook yet (use --csv DIR)\n");
    struct ns_cli_model m;
    struct plan p = {0};
    int rc = ns_cli_model_load(a, &m);
    if (rc == NS_EXIT_OK)
        rc = expand(a, &m, &p);
    plan_free(&p);
    ns_cli_model_clear(&m);
    return rc;
}

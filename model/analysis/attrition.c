/* netsave: reweighting targets for attrition (see attrition.h). */
#include "model/analysis/attrition.h"

#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>

#include "model/analysis/calibrate.h"
#include "model/engine.h"
#include "model/ledger.h"
#include "model/measures.h"
#include "model/roots.h"
#include "model/population.h"

/* Deltas are shares of a proportion: a thousandth of a percentage point
 * is finer than any study reports. */
#define NS_TIPPING_TOLERANCE 1e-5
#define NS_TIPPING_MAX_ITERATIONS 60

const char *
ns_lost_name(enum ns_lost a)
{
    switch (a) {
    case NS_LOST_AS_OBSERVED:
        return "as observed";
    case NS_LOST_AT_INTAKE:
        return "back at intake";
    case NS_LOST_WORSE:
        break;
    }
    return "worse by delta";
}

enum ns_status
ns_attrition_observed(const struct ns_population *pop, enum ns_lost a,
                      double delta, double *observed, struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    for (size_t i = 0; i < m->n_targets; i++) {
        const struct ns_target_info *t = &m->targets[i];
        double f = t->followed_up, lost = t->observed;
        observed[i] = t->observed;
        if (f >= 1.0 || t->worse == 0 || !t->in_horizon)
            continue;
        if (a == NS_LOST_AT_INTAKE) {
            struct ns_expr_fault fault;
            enum ns_status st =
                ns_target_measure_at(pop, i, 0, &lost, &fault);
            if (st != NS_OK) {
                if (st == NS_EMODEL)
                    ns_diags_add_at(diags, t->at,
                                    "target: intake level of %s: %s",
                                    m->measures[t->measure].name,
                                    fault.detail);
                return st;
            }
        } else if (a == NS_LOST_WORSE) {
            lost = t->observed + t->worse * delta;
            lost = lost < 0.0 ? 0.0 : lost > 1.0 ? 1.0 : lost;
        }
        observed[i] = f * t->observed + (1.0 - f) * lost;
    }
    return NS_OK;
}

enum ns_status
ns_attrition_net_savings(struct ns_population *pop,
                         const struct ns_calibration_options *copt,
                         enum ns_lost a, double delta, long perspective,
                         double *net, double *fitted, struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    double *observed = calloc(m->n_targets + 1, sizeof *observed);
    if (!observed)
        return NS_ENOMEM;
    /* Intake levels come from the model as written: run it first. */
    enum ns_status st = ns_population_run(pop, diags);
    if (st == NS_OK)
        st = ns_attrition_observed(pop, a, delta, observed, diags);
    struct ns_calibration_options o = *copt;
    o.observed = observed;
    struct ns_calibration_result cal = {.fitted = fitted};
    if (st == NS_OK)
        st = ns_calibrate(pop, &o, &cal, diags);
    for (size_t k = 0; k < m->n_strategies; k++) {
        struct ns_ledger l;
        ns_ledger_compute(m, pop->pooled, k, perspective, true, &l, NULL);
        net[k] = st == NS_OK && l.valid ? l.net_savings : NS_NAN;
    }
    free(observed);
    return st;
}

struct tipping {
    struct ns_population *pop;
    const struct ns_calibration_options *copt;
    size_t k;
    long perspective;
    double *net, *fitted;
    struct ns_diags *diags;
    enum ns_status status;
};

static double
net_at_delta(double delta, void *params)
{
    struct tipping *tp = params;
    enum ns_status st =
        ns_attrition_net_savings(tp->pop, tp->copt, NS_LOST_WORSE, delta,
                                 tp->perspective, tp->net, tp->fitted,
                                 tp->diags);
    if (st != NS_OK) {
        tp->status = st;
        return NS_NAN;
    }
    return tp->net[tp->k];
}

enum ns_status
ns_attrition_tipping(struct ns_population *pop,
                     const struct ns_calibration_options *copt, size_t k,
                     long perspective, double max_delta, double *delta,
                     bool *found, struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    struct tipping tp = {pop,
                         copt,
                         k,
                         perspective,
                         calloc(m->n_strategies + 1, sizeof(double)),
                         calloc(m->n_free_params + 1, sizeof(double)),
                         diags,
                         NS_OK};
    *found = false;
    *delta = NS_NAN;
    enum ns_status st = tp.net && tp.fitted ? NS_OK : NS_ENOMEM;
    double lo = st == NS_OK ? net_at_delta(0.0, &tp) : NS_NAN;
    double hi = st == NS_OK ? net_at_delta(max_delta, &tp) : NS_NAN;
    if (st == NS_OK)
        st = tp.status;
    if (st == NS_OK && lo * hi <= 0.0) {
        *found = true;
        struct ns_root_search rs = {0.0, max_delta, NS_TIPPING_TOLERANCE, 0.0,
                                    NS_TIPPING_MAX_ITERATIONS};
        double root;
        st = ns_root_find(net_at_delta, &tp, &rs, &root);
        if (tp.status != NS_OK)
            st = tp.status;
        if (st == NS_OK)
            *delta = root;
    }
    free(tp.net);
    free(tp.fitted);
    return st;
}

void
ns_attrition_table_free(struct ns_attrition_table *t)
{
    if (!t)
        return;
    free(t->net);
    free(t->tipping);
    free(t);
}

static enum ns_status
attrition_tipping(struct ns_population *pop,
                  const struct ns_calibration_options *copt,
                  struct ns_attrition_table *t, struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    t->tipping = malloc((t->n_strategies + 1) * sizeof *t->tipping);
    if (!t->tipping)
        return NS_ENOMEM;
    enum ns_status st = NS_OK;
    for (size_t k = 0; k < t->n_strategies; k++) {
        t->tipping[k] = NS_NAN;
        bool found;
        double delta;
        if (st == NS_OK && m->comparator[k] >= 0)
            st = ns_attrition_tipping(pop, copt, k, t->perspective,
                                      NS_ATTRITION_MAX_DELTA, &delta, &found,
                                      diags);
        if (st == NS_OK && m->comparator[k] >= 0 && found)
            t->tipping[k] = delta;
    }
    return st;
}

enum ns_status
ns_attrition_run(struct ns_population *pop,
                 const struct ns_attrition_options *opt,
                 struct ns_attrition_table **out, struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    *out = NULL;
    if (m->n_free_params == 0 || m->n_targets == 0) {
        ns_diags_addf(diags, NULL, 0,
                      "the model needs targets and [calibrate] parameters "
                      "to refit");
        return NS_EPARAM;
    }
    struct ns_calibration_options copt = {
        .n_starts = 1,
        .seed = 1,
        .max_iterations = NS_ATTRITION_MAX_ITERATIONS,
        .size_tolerance = NS_ATTRITION_SIZE_TOLERANCE};
    size_t K = m->n_strategies;
    struct ns_attrition_table *t = calloc(1, sizeof *t);
    double *fitted = calloc(m->n_free_params + 1, sizeof *fitted);
    if (t)
        *t = (struct ns_attrition_table){opt->perspective, opt->delta, K,
                                         calloc(3 * K + 1, sizeof(double)),
                                         NULL};
    enum ns_status st = t && t->net && fitted ? NS_OK : NS_ENOMEM;
    for (int a = 0; a < 3 && st == NS_OK; a++)
        st = ns_attrition_net_savings(pop, &copt, (enum ns_lost)a,
                                      opt->delta, opt->perspective,
                                      &t->net[(size_t)a * K], fitted, diags);
    if (st == NS_OK && opt->tipping)
        st = attrition_tipping(pop, &copt, t, diags);
    free(fitted);
    /* Leave the population as written, for whoever reads it next. */
    enum ns_status back = st == NS_ENOMEM ? st : ns_population_run(pop, diags);
    if (st == NS_OK)
        st = back;
    if (st != NS_OK) {
        ns_attrition_table_free(t);
        return st;
    }
    *out = t;
    return NS_OK;
}

/* netsave: calibration by Nelder-Mead on bounded parameters (see
 * calibrate.h). */
#include "model/analysis/calibrate.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/engine.h"
#include "model/measures.h"

/* What the objective returns where the model cannot be run (a parameter
 * combination that makes a probability exceed 1, say): worse than any
 * fit, but finite, because the simplex compares values. */
#define NS_CALIBRATION_INFEASIBLE 1e30

struct problem {
    struct ns_population *pop;
    const struct ns_model *m;
    const bool *use;               /* [n_targets] */
    const double *observed;        /* [n_targets], or NULL: the targets' */
    double *override;              /* [n_params], NaN except free ones */
    struct ns_target_result *res;  /* [n_targets] */
    struct ns_diags scratch;       /* diagnostics of trial runs */
    size_t n_evaluations;
    bool out_of_memory;
};

static double
to_param(const struct ns_free_param *f, double z)
{
    return f->low + (f->high - f->low) / (1.0 + exp(-z));
}

static double
to_z(const struct ns_free_param *f, double x)
{
    /* Keep starting points strictly inside the bounds. */
    double u = (x - f->low) / (f->high - f->low);
    u = u < 1e-6 ? 1e-6 : u > 1.0 - 1e-6 ? 1.0 - 1e-6 : u;
    return log(u / (1.0 - u));
}

static double
objective(const gsl_vector *z, void *params)
{
    struct problem *pb = params;
    const struct ns_model *m = pb->m;
    for (size_t i = 0; i < m->n_free_params; i++)
        pb->override[m->free_params[i].param] =
            to_param(&m->free_params[i], gsl_vector_get(z, i));
    struct ns_run_options opt = {.param_override = pb->override};
    pb->n_evaluations++;
    enum ns_status st = ns_population_run_opt(pb->pop, &opt, &pb->scratch);
    if (st == NS_OK)
        st = ns_targets_evaluate(pb->pop, pb->use, pb->res, &pb->scratch);
    ns_diags_clear(&pb->scratch);
    if (st == NS_ENOMEM)
        pb->out_of_memory = true;
    if (st != NS_OK)
        return NS_CALIBRATION_INFEASIBLE;
    double sum = 0.0;
    for (size_t t = 0; t < m->n_targets; t++) {
        if (!pb->use[t])
            continue;
        double obs = pb->observed ? pb->observed[t] : pb->res[t].whole;
        double d = (pb->res[t].predicted - obs) / m->targets[t].tolerance;
        sum += d * d;
    }
    return isfinite(sum) ? sum : NS_CALIBRATION_INFEASIBLE;
}

/* One Nelder-Mead search from z0; the best point goes into z0. */
static enum ns_status
search(struct problem *pb, gsl_vector *z0, const struct ns_calibration_options *o,
       size_t start, double *best, bool *converged)
{
    size_t n = z0->size;
    /* What GSL would report through its error handler (which aborts by
     * default, model/netsave.h); the objective is always finite, the
     * other thing it reports. */
    if (n == 0 || !(o->size_tolerance >= 0.0))
        return NS_EGSL;
    gsl_multimin_function f = {objective, n, pb};
    gsl_multimin_fminimizer *s =
        gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, n);
    gsl_vector *step = gsl_vector_alloc(n);
    if (!s || !step) {
        gsl_multimin_fminimizer_free(s);
        gsl_vector_free(step);
        return NS_ENOMEM;
    }
    gsl_vector_set_all(step, 1.0);
    if (gsl_multimin_fminimizer_set(s, &f, z0, step) != GSL_SUCCESS) {
        gsl_multimin_fminimizer_free(s);
        gsl_vector_free(step);
        return NS_EGSL;
    }
    int status = GSL_CONTINUE;
    for (size_t it = 0; it < o->max_iterations && status == GSL_CONTINUE;
         it++) {
        if (gsl_multimin_fminimizer_iterate(s) != GSL_SUCCESS)
            break; /* no further progress: keep the best point so far */
        status = gsl_multimin_test_size(gsl_multimin_fminimizer_size(s),
                                        o->size_tolerance);
        if (o->progress)
            o->progress(o->progress_ctx, start, it + 1,
                        gsl_multimin_fminimizer_minimum(s));
    }
    *converged = status == GSL_SUCCESS;
    *best = gsl_multimin_fminimizer_minimum(s);
    gsl_vector_memcpy(z0, gsl_multimin_fminimizer_x(s));
    gsl_multimin_fminimizer_free(s);
    gsl_vector_free(step);
    return NS_OK;
}

/* Starting point of start number k: current values, then random. */
static void
starting_point(const struct ns_model *m, const struct ns_results *r, size_t k,
               gsl_rng *rng, gsl_vector *z)
{
    for (size_t i = 0; i < m->n_free_params; i++) {
        const struct ns_free_param *f = &m->free_params[i];
        double x = 0.5 * (f->low + f->high);
        if (k == 0 && r->n_strategies > 0 &&
            !isnan(r->param_values[f->param]))
            x = r->param_values[f->param];
        else if (k > 0)
            x = f->low + (f->high - f->low) * gsl_rng_uniform(rng);
        gsl_vector_set(z, i, to_z(f, x));
    }
}

static enum ns_status
run_starts(struct problem *pb, const struct ns_calibration_options *o,
           struct ns_calibration_result *out)
{
    const struct ns_model *m = pb->m;
    size_t n = m->n_free_params;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_vector *z = gsl_vector_alloc(n), *best_z = gsl_vector_alloc(n);
    enum ns_status st = rng && z && best_z ? NS_OK : NS_ENOMEM;
    if (rng)
        gsl_rng_set(rng, o->seed);
    out->objective = HUGE_VAL;
    for (size_t k = 0; st == NS_OK && k < o->n_starts; k++) {
        /* The first start is the model's own values, from its results. */
        starting_point(m, pb->pop->results[0], k, rng, z);
        if (k == 0)
            out->start_objective = objective(z, pb);
        double value;
        bool converged;
        st = search(pb, z, o, k, &value, &converged);
        if (st == NS_OK && value < out->objective) {
            out->objective = value;
            out->best_start = k;
            out->converged = converged;
            gsl_vector_memcpy(best_z, z);
        }
    }
    if (st == NS_OK) {
        for (size_t i = 0; i < n; i++)
            out->fitted[i] =
                to_param(&m->free_params[i], gsl_vector_get(best_z, i));
        objective(best_z, pb); /* leave the population at the best point */
    }
    gsl_rng_free(rng);
    gsl_vector_free(z);
    gsl_vector_free(best_z);
    return st;
}

/* Marks the targets calibration uses: fit targets only, so that holdout
 * targets stay out of sample whatever the options say. */
static void
count_targets(const struct ns_model *m, bool all_grades, bool *use,
              struct ns_calibration_result *out)
{
    out->n_targets_used = out->n_holdout = 0;
    for (size_t t = 0; t < m->n_targets; t++) {
        use[t] = ns_target_is_fitted(&m->targets[t], all_grades);
        out->n_targets_used += use[t];
        out->n_holdout += m->targets[t].role == NS_ROLE_HOLDOUT;
    }
}

static void
report_nothing_to_fit(const struct ns_model *m,
                      const struct ns_calibration_result *out,
                      struct ns_diags *diags)
{
    if (m->n_free_params == 0)
        ns_diags_addf(diags, NULL, 0,
                      "nothing to calibrate: no [calibrate] parameters");
    else if (out->n_holdout == m->n_targets)
        ns_diags_addf(diags, NULL, 0,
                      "nothing to calibrate to: every target is a holdout "
                      "target (role holdout), which calibration never uses");
    else
        ns_diags_addf(diags, NULL, 0,
                      "nothing to calibrate to: no fit targets graded A or "
                      "B (use all targets to include C and U; holdout "
                      "targets are never used)");
}

enum ns_status
ns_calibrate(struct ns_population *pop,
             const struct ns_calibration_options *opt,
             struct ns_calibration_result *out, struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    struct problem pb = {.pop = pop, .m = m, .observed = opt->observed};
    bool *use = calloc(m->n_targets + 1, sizeof *use);
    pb.override = malloc((m->n_params + 1) * sizeof *pb.override);
    pb.res = calloc(m->n_targets + 1, sizeof *pb.res);
    if (!use || !pb.override || !pb.res) {
        free(use);
        free(pb.override);
        free(pb.res);
        return NS_ENOMEM;
    }
    pb.use = use;
    for (size_t i = 0; i < m->n_params; i++)
        pb.override[i] = NS_NAN;
    count_targets(m, opt->all_targets, use, out);
    out->n_evaluations = 0;
    enum ns_status st = NS_OK;
    if (m->n_free_params == 0 || out->n_targets_used == 0) {
        report_nothing_to_fit(m, out, diags);
        st = NS_EPARAM;
    } else {
        st = run_starts(&pb, opt, out);
        if (pb.out_of_memory)
            st = NS_ENOMEM;
    }
    out->n_evaluations = pb.n_evaluations;
    ns_diags_clear(&pb.scratch);
    free(use);
    free(pb.override);
    free(pb.res);
    return st;
}

void
ns_calibration_free(struct ns_calibration *c)
{
    if (!c)
        return;
    free(c->fit.fitted);
    free(c->before);
    free(c->targets);
    free(c);
}

enum ns_status
ns_calibration_run(struct ns_population *pop,
                   const struct ns_calibration_options *opt,
                   struct ns_calibration **out, struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    *out = NULL;
    struct ns_calibration *c = calloc(1, sizeof *c);
    bool *fit = calloc(m->n_targets + 1, sizeof *fit);
    if (c) {
        c->fit.fitted = calloc(m->n_free_params + 1, sizeof(double));
        c->before = calloc(m->n_free_params + 1, sizeof(double));
        c->targets = calloc(m->n_targets + 1, sizeof *c->targets);
    }
    enum ns_status st = c && fit && c->fit.fitted && c->before && c->targets
                            ? NS_OK
                            : NS_ENOMEM;
    for (size_t i = 0; st == NS_OK && i < m->n_targets; i++)
        fit[i] = m->targets[i].role == NS_ROLE_FIT;
    for (size_t i = 0; st == NS_OK && i < m->n_free_params; i++)
        c->before[i] = pop->results[0]->param_values[m->free_params[i].param];
    if (st == NS_OK)
        st = ns_calibrate(pop, opt, &c->fit, diags);
    if (st == NS_OK)
        st = ns_targets_evaluate(pop, fit, c->targets, diags);
    free(fit);
    /* Leave the population as written, for whoever reads it next. */
    enum ns_status back = st == NS_ENOMEM ? st : ns_population_run(pop, diags);
    if (st == NS_OK)
        st = back;
    if (st != NS_OK) {
        ns_calibration_free(c);
        return st;
    }
    *out = c;
    return NS_OK;
}

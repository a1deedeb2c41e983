/* netsave: compiling what the analyses vary and where numbers come from:
 * calibration bounds, distributions and ranges, correlations, Dirichlet
 * groups, expansion, and each parameter's source. */
#include "model/compile_priv.h"
#include "model/names.h"
#include "model/number.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
nsc_compile_free_params(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    m->free_params = alloc_array(c, d->n_free_params, sizeof *m->free_params);
    if (!m->free_params)
        return;
    for (size_t i = 0; i < d->n_free_params; i++) {
        const struct ns_def_free_param *f = &d->free_params[i];
        long pi = nsc_find_param(c->p, f->param);
        if (pi < 0) {
            char h[96];
            ERROR_AT(c, f->at, "calibrate: unknown parameter '%s'%s",
                     f->param,
                     ns_did_you_mean(h, sizeof h, f->param,
                                     (const char *const *)c->p->param_names,
                                     c->p->n_params));
            continue;
        }
        if (!(f->low < f->high)) {
            ERROR_AT(c, f->at,
                     "calibrate: parameter %s needs bounds low < high, got "
                     "%g and %g",
                     f->param, f->low, f->high);
            continue;
        }
        m->free_params[m->n_free_params++] =
            (struct ns_free_param){(size_t)pi, f->low, f->high, f->at};
    }
}

/* The uncertain parameter entry for pi, created if new. */
static struct ns_uncertain_param *
uncertain_entry(struct compiler *c, size_t pi, struct ns_origin at)
{
    struct ns_model *m = c->m;
    for (size_t i = 0; i < m->n_uncertain; i++)
        if (m->uncertain[i].param == pi)
            return &m->uncertain[i];
    struct ns_uncertain_param *u = &m->uncertain[m->n_uncertain++];
    *u = (struct ns_uncertain_param){pi, false, {0}, NS_NAN, NS_NAN, at};
    return u;
}

/* The entry of m->uncertain drawing each parameter from a distribution,
 * or -1: [n_params], to free; NULL when out of memory. */
static long *
drawn_entries(struct compiler *c)
{
    struct ns_model *m = c->m;
    long *u_of = alloc_array(c, c->p->n_params, sizeof *u_of);
    for (size_t i = 0; u_of && i < c->p->n_params; i++)
        u_of[i] = -1;
    for (size_t u = 0; u_of && u < m->n_uncertain; u++)
        if (m->uncertain[u].has_dist)
            u_of[m->uncertain[u].param] = (long)u;
    return u_of;
}

/* The entry drawing parameter name, or -1. */
static long
drawn_entry(struct compiler *c, const long *u_of, const char *name)
{
    long pi = nsc_find_param(c->p, name);
    return pi < 0 ? -1 : u_of[pi];
}

/* The smallest pivot a correlation matrix may have in the check below.
 * The matrix has a unit diagonal, so its pivots lie in (0, 1] and GSL's
 * Cholesky (blocked, in another order of sums) finds each within a few
 * hundred ulps of ours: a margin far above that but far below any
 * honest matrix's pivot (two parameters correlated at 0.99999 leave
 * 2e-5) means GSL can never meet the non-positive pivot ours missed. */
static const double min_pivot = 1e-10;

/* Whether the U x U matrix a (row-major, lower triangle read) is
 * positive definite with pivots above min_pivot, found by a plain
 * Cholesky on a copy. GSL's gsl_linalg_cholesky_decomp1 reports a matrix
 * that is not through the process-wide error handler, which a library
 * must not touch (model/netsave.h), so it only ever sees matrices that
 * pass this. l is U x U scratch. */
static bool
positive_definite(const double *a, double *l, size_t U)
{
    for (size_t j = 0; j < U; j++) {
        double d = a[j * U + j];
        for (size_t k = 0; k < j; k++)
            d -= l[j * U + k] * l[j * U + k];
        if (!(d > min_pivot))
            return false;
        l[j * U + j] = sqrt(d);
        for (size_t i = j + 1; i < U; i++) {
            double s = a[i * U + j];
            for (size_t k = 0; k < j; k++)
                s -= l[i * U + k] * l[j * U + k];
            l[i * U + j] = s / l[j * U + j];
        }
    }
    return true;
}

/* [correlation]: "a ~ b = rho" between parameters with distributions; the
 * model keeps the Cholesky factor of the correlation matrix, which must be
 * positive definite. */
void
nsc_compile_correlation(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    size_t U = m->n_uncertain;
    if (d->n_correlations == 0 || U == 0)
        return;
    /* Storage of our own: gsl_matrix_alloc reports running out of memory
     * through the error handler. */
    double *cells = alloc_array(c, U * U, sizeof *cells);
    double *scratch = alloc_array(c, U * U, sizeof *scratch);
    long *u_of = drawn_entries(c);
    if (!cells || !scratch || !u_of) {
        free(cells);
        free(scratch);
        free(u_of);
        return;
    }
    gsl_matrix_view view = gsl_matrix_view_array(cells, U, U);
    gsl_matrix *r = &view.matrix;
    gsl_matrix_set_identity(r);
    for (size_t i = 0; i < d->n_correlations; i++) {
        const struct ns_def_expr *e = &d->correlations[i];
        char a[128] = "", b[128] = "";
        const char *tilde = strchr(e->name, '~');
        long ua = -1, ub = -1;
        if (tilde && sscanf(e->name, " %127[A-Za-z0-9_] ", a) == 1 &&
            sscanf(tilde + 1, " %127[A-Za-z0-9_] ", b) == 1) {
            ua = drawn_entry(c, u_of, a);
            ub = drawn_entry(c, u_of, b);
        }
        double rho = 0.0;
        bool is_number = ns_parse_number(e->text, &rho) == NS_OK;
        if (ua < 0 || ub < 0 || ua == ub) {
            ERROR_AT(c, e->at,
                     "correlation: '%s' must name two different parameters "
                     "with distributions, as a ~ b",
                     e->name);
            continue;
        }
        if (!is_number || !(rho > -1.0 && rho < 1.0)) {
            ERROR_AT(c, e->at,
                     "correlation %s must be a number between -1 and 1, got "
                     "'%s'",
                     e->name, e->text);
            continue;
        }
        gsl_matrix_set(r, (size_t)ua, (size_t)ub, rho);
        gsl_matrix_set(r, (size_t)ub, (size_t)ua, rho);
    }
    if (!positive_definite(cells, scratch, U) ||
        gsl_linalg_cholesky_decomp1(r) != GSL_SUCCESS) {
        ERROR_AT(c, d->correlations[0].at,
                 "the correlations together are impossible (the matrix is "
                 "not positive definite)");
    } else if (!c->failed) {
        m->correlation = alloc_array(c, U * U, sizeof *m->correlation);
        for (size_t i = 0; m->correlation && i < U; i++)
            for (size_t j = 0; j <= i; j++)
                m->correlation[i * U + j] = gsl_matrix_get(r, i, j);
    }
    free(cells);
    free(scratch);
    free(u_of);
}

/* One "param = alpha" of [dirichlet.GROUP], into its group (made on first
 * sight, and filed in groups). */
static void
dirichlet_entry(struct compiler *c, const struct ns_def_expr *e,
                struct ns_name_index *groups, const long *u_of)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    long gi = nsc_find(groups, e->strategy);
    struct ns_dirichlet_group *g = gi < 0 ? NULL : &m->dirichlet[gi];
    if (!g) {
        g = &m->dirichlet[m->n_dirichlet++];
        g->name = copy_str(c, e->strategy);
        g->param = alloc_array(c, d->n_dirichlet, sizeof *g->param);
        g->alpha = alloc_array(c, d->n_dirichlet, sizeof *g->alpha);
        if (c->out_of_mem ||
            ns_name_index_add(groups, g->name, (long)(g - m->dirichlet)) !=
                NS_OK) {
            c->out_of_mem = true;
            return;
        }
    }
    long pi = nsc_find_param(c->p, e->name);
    double alpha = 0.0;
    bool is_number = ns_parse_number(e->text, &alpha) == NS_OK;
    if (pi < 0) {
        ERROR_AT(c, e->at, "dirichlet.%s: unknown parameter '%s'",
                 e->strategy, e->name);
        return;
    }
    if (!is_number || !(alpha > 0.0)) {
        ERROR_AT(c, e->at,
                 "dirichlet.%s: %s must be a count above 0, got '%s'",
                 e->strategy, e->name, e->text);
        return;
    }
    if (u_of[pi] >= 0)
        ERROR_AT(c, e->at,
                 "dirichlet.%s: %s also has a distribution in "
                 "[uncertainty]; a parameter is drawn one way",
                 e->strategy, e->name);
    g->param[g->n] = (size_t)pi;
    g->alpha[g->n++] = alpha;
}

/* [dirichlet.GROUP]: param = alpha, drawn together. */
void
nsc_compile_dirichlet(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    if (d->n_dirichlet == 0)
        return;
    m->dirichlet = alloc_array(c, d->n_dirichlet, sizeof *m->dirichlet);
    struct ns_name_index *groups = ns_name_index_alloc();
    long *u_of = drawn_entries(c);
    if (!groups)
        c->out_of_mem = true;
    for (size_t i = 0; !c->out_of_mem && i < d->n_dirichlet; i++)
        dirichlet_entry(c, &d->dirichlet[i], groups, u_of);
    ns_name_index_free(groups);
    free(u_of);
}

void
nsc_compile_expansion(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    m->expansion_strategy =
        alloc_array(c, d->n_expansion, sizeof *m->expansion_strategy);
    m->expansion_places =
        alloc_array(c, d->n_expansion, sizeof *m->expansion_places);
    if (!m->expansion_strategy || !m->expansion_places)
        return;
    for (size_t i = 0; i < d->n_expansion; i++) {
        const struct ns_def_expr *e = &d->expansion[i];
        long k = nsc_lookup_strategy(c, e->name, e->at, "expansion");
        if (k < 0)
            continue;
        m->expansion_strategy[m->n_expansion] = (size_t)k;
        m->expansion_places[m->n_expansion++] = copy_str(c, e->text);
    }
}

/* [benchmark] strategy = parameter: what a service's retention sets. */
void
nsc_compile_benchmark(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    m->benchmark_param = alloc_array(c, m->n_strategies,
                                     sizeof *m->benchmark_param);
    if (!m->benchmark_param)
        return;
    for (size_t k = 0; k < m->n_strategies; k++)
        m->benchmark_param[k] = -1;
    for (size_t i = 0; i < d->n_benchmark; i++) {
        const struct ns_def_expr *e = &d->benchmark[i];
        long k = nsc_lookup_strategy(c, e->name, e->at, "benchmark");
        long p = nsc_find_param(c->p, e->text);
        if (p < 0)
            ERROR_AT(c, e->at,
                     "[benchmark] %s: no parameter %s to set from a "
                     "service's retention",
                     e->name, e->text);
        if (k >= 0 && p >= 0)
            m->benchmark_param[k] = p;
    }
}

void
nsc_compile_uncertainty(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    m->uncertain = alloc_array(c, d->n_uncertain + d->n_ranges,
                               sizeof *m->uncertain);
    if (!m->uncertain)
        return;
    for (size_t i = 0; i < d->n_uncertain; i++) {
        const struct ns_def_uncertain *e = &d->uncertain[i];
        long pi = nsc_find_param(c->p, e->param);
        char h[96], err[256];
        if (pi < 0) {
            ERROR_AT(c, e->at, "uncertainty: unknown parameter '%s'%s",
                     e->param,
                     ns_did_you_mean(h, sizeof h, e->param,
                                     (const char *const *)c->p->param_names,
                                     c->p->n_params));
            continue;
        }
        struct ns_dist dist;
        if (ns_dist_parse(e->text, &dist, err, sizeof err) != NS_OK) {
            ERROR_AT(c, e->at, "uncertainty of parameter %s: %s", e->param,
                     err);
            continue;
        }
        struct ns_uncertain_param *u = uncertain_entry(c, (size_t)pi, e->at);
        u->has_dist = dist.kind != NS_DIST_FIXED;
        u->dist = dist;
        if (u->has_dist) {
            u->low = ns_dist_quantile(&dist, 0.025);
            u->high = ns_dist_quantile(&dist, 0.975);
            /* A NaN low point would read as "fixed" below and the
             * parameter would silently not vary. */
            if (!isfinite(u->low) || !isfinite(u->high))
                ERROR_AT(c, e->at,
                         "uncertainty of parameter %s: %s has no finite "
                         "2.5%% and 97.5%% points, so it cannot be sampled "
                         "or varied: it is wider than a double can hold",
                         e->param, e->text);
        }
    }
    for (size_t i = 0; i < d->n_ranges; i++) {
        const struct ns_def_free_param *r = &d->ranges[i];
        long pi = nsc_find_param(c->p, r->param);
        char h[96];
        if (pi < 0) {
            ERROR_AT(c, r->at, "ranges: unknown parameter '%s'%s", r->param,
                     ns_did_you_mean(h, sizeof h, r->param,
                                     (const char *const *)c->p->param_names,
                                     c->p->n_params));
            continue;
        }
        if (!(r->low < r->high)) {
            ERROR_AT(c, r->at,
                     "ranges: parameter %s needs low < high, got %g and %g",
                     r->param, r->low, r->high);
            continue;
        }
        struct ns_uncertain_param *u = uncertain_entry(c, (size_t)pi, r->at);
        u->low = r->low;
        u->high = r->high;
    }
    /* A fixed parameter without a range has nothing to vary. */
    size_t kept = 0;
    for (size_t i = 0; i < m->n_uncertain; i++)
        if (!isnan(m->uncertain[i].low))
            m->uncertain[kept++] = m->uncertain[i];
    m->n_uncertain = kept;
}

void
nsc_compile_param_info(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model_priv *p = c->p;
    struct ns_model *m = c->m;
    m->params = alloc_array(c, p->n_params, sizeof *m->params);
    if (!m->params)
        return;
    m->n_params = p->n_params;
    for (size_t i = 0; i < d->n_params; i++) {
        const struct ns_def_expr *e = &d->params[i];
        long pi = nsc_find_param(p, e->name);
        if (pi < 0)
            continue;
        struct ns_param_info *info = &m->params[pi];
        if (e->strategy) {
            info->is_overridden = true;
            continue;
        }
        info->name = copy_str(c, e->name);
        info->text = copy_str(c, e->text);
        info->at = e->at;
    }
    for (size_t i = 0; i < d->n_sources; i++) {
        const struct ns_def_source *src = &d->sources[i];
        long pi = nsc_find_param(p, src->param);
        if (pi < 0) {
            char h[96];
            ERROR_AT(c, src->at, "source of unknown parameter '%s'%s",
                     src->param,
                     ns_did_you_mean(h, sizeof h, src->param,
                          (const char *const *)p->param_names, p->n_params));
            continue;
        }
        if (!src->grade || strlen(src->grade) != 1 ||
            !strchr("ABCU", src->grade[0])) {
            ERROR_AT(c, src->at,
                     "source of parameter %s: the grade must be A, B, C or U, "
                     "got '%s'",
                     src->param, src->grade ? src->grade : "");
            continue;
        }
        struct ns_param_info *info = &m->params[pi];
        info->unit = copy_str(c, src->unit ? src->unit : "");
        info->price_year = copy_str(c, src->price_year ? src->price_year : "");
        info->grade = copy_str(c, src->grade);
        info->source = copy_str(c, src->source ? src->source : "");
        info->source_at = src->at;
    }
}

/* One group of [parameter_groups]: every member a parameter drawn from a
 * distribution of its own (EVPPI regresses on the sampled values the PSA
 * keeps, which a Dirichlet's shares are not among), none twice. */
static void
param_group_entry(struct compiler *c, const struct ns_def_group *dg,
                  const long *u_of, struct ns_param_group *g)
{
    g->name = copy_str(c, dg->name);
    g->uncertain = alloc_array(c, dg->n_members, sizeof *g->uncertain);
    for (size_t j = 0; g->uncertain && j < dg->n_members; j++) {
        const char *name = dg->members[j];
        long pi = nsc_find_param(c->p, name);
        char h[96];
        if (pi < 0) {
            ERROR_AT(c, dg->at, "parameter_groups: %s: unknown parameter "
                                "'%s'%s",
                     dg->name, name,
                     ns_did_you_mean(h, sizeof h, name,
                                     (const char *const *)c->p->param_names,
                                     c->p->n_params));
            continue;
        }
        if (u_of[pi] < 0) {
            ERROR_AT(c, dg->at,
                     "parameter_groups: %s: %s has no distribution in "
                     "[uncertainty]; a group lists parameters the PSA draws",
                     dg->name, name);
            continue;
        }
        bool twice = false;
        for (size_t k = 0; k < g->n; k++)
            twice |= g->uncertain[k] == (size_t)u_of[pi];
        if (twice)
            ERROR_AT(c, dg->at, "parameter_groups: %s: %s is listed twice",
                     dg->name, name);
        else
            g->uncertain[g->n++] = (size_t)u_of[pi];
    }
}

/* [parameter_groups]: name = parameters, whose EVPPI is reported
 * together. */
void
nsc_compile_param_groups(struct compiler *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    if (d->n_param_groups == 0)
        return;
    m->param_groups =
        alloc_array(c, d->n_param_groups, sizeof *m->param_groups);
    long *u_of = drawn_entries(c);
    for (size_t i = 0; m->param_groups && u_of && i < d->n_param_groups;
         i++) {
        param_group_entry(c, &d->param_groups[i], u_of,
                          &m->param_groups[i]);
        m->n_param_groups = i + 1;
    }
    free(u_of);
}

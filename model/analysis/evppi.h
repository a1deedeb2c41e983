/* netsave: expected value of partial perfect information (EVPPI) from a
 * PSA's draws, by regression (Strong, Oakley and Brennan 2014, Med Decis
 * Making 34:311-326; the same estimator as voi's evppi, which BCEA calls).
 *
 * For a decision between a reference option and others, with incremental
 * net benefit y_d (option d minus the reference) in each draw, EVPPI of a
 * set of parameters t is E_t[max(0, max_d E[y_d | t])] - max(0, max_d
 * E[y_d]). The inner expectations are the fitted values of a regression of
 * y_d on t over the draws; the outer one is the mean over the draws.
 *
 * The regression (one design for a parameter or a group of them):
 *   - each parameter enters through a cubic B-spline basis (GSL's
 *     gsl_bspline) with breakpoints at quantiles of its draws, penalised
 *     by squared second differences of the coefficients (Eilers and Marx's
 *     P-spline; its unpenalised part is a straight line);
 *   - for a group, every pair of parameters also enters as the product of
 *     their standardised values, penalised as a ridge: products are what
 *     an additive model misses (a count of offences times a unit cost);
 *   - one smoothing weight lambda, chosen by generalised cross-validation
 *     from a QR decomposition of the design and an eigendecomposition of
 *     the penalty in its frame (Demmler-Reinsch), so any number of
 *     outcomes and weights cost little once the design is decomposed.
 * A group's design contains each member's, so its fit explains at least as
 * much as any member's at the same weight.
 *
 * Pure C over arrays: nothing here knows of models or files. */
#ifndef NS_ANALYSIS_EVPPI_H
#define NS_ANALYSIS_EVPPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/analysis/psa.h"
#include "model/diag.h"
#include "model/netsave.h"

struct ns_evppi_fit;

/* The regression of outcomes on the n draws of r parameters, x[j][i]
 * being parameter j in draw i. *st is NS_OK, NS_ENOMEM, or NS_EPARAM
 * when the draws cannot carry the design (fewer than
 * ns_evppi_min_draws(r) draws, a parameter that does not vary, or a
 * singular design); NULL unless NS_OK. */
struct ns_evppi_fit *ns_evppi_fit_alloc(const double *const *x, size_t r,
                                        size_t n, enum ns_status *st);
void ns_evppi_fit_free(struct ns_evppi_fit *f);

/* Columns of the design for r parameters, and the draws it needs. */
size_t ns_evppi_columns(size_t r);
size_t ns_evppi_min_draws(size_t r);

/* fitted[i] = the fitted E[y | parameters] in draw i, with the smoothing
 * weight that minimises the GCV score for this y. NS_EPARAM when y has a
 * value that is not finite. */
enum ns_status ns_evppi_fit_apply(const struct ns_evppi_fit *f,
                                  const double *y, double *fitted);

/* EVPPI from fitted incremental net benefits: fitted[d][i] for option d
 * (of n_options besides the reference, whose increment is 0) in draw i:
 * mean_i max(0, max_d fitted[d][i]) - max(0, max_d mean_i fitted[d][i]).
 * With y itself in place of its fitted values this is the EVPI. NaN when
 * a value is not finite. */
double ns_evppi_value(const double *const *fitted, size_t n_options,
                      size_t n);

/* The same for one option besides the reference, whose increment is net
 * monetary benefit wtp * health[i] - cost[i] (fitted or raw increments in
 * health and cost). */
double ns_evppi_value_ce(const double *health, const double *cost,
                         double wtp, size_t n);

/* ---- EVPPI of a PSA ----------------------------------------------------
 * Per parameter with a distribution in [uncertainty], and per group of
 * [parameter_groups], for each strategy against its comparator (a
 * decision between the two, as the PSA's EVPI): on net savings over the
 * PSA's perspective (the EVPI's measure), and, with a cost and a health
 * outcome, on net monetary benefit wtp * delta_health - delta_cost at
 * each point of the acceptability grid and at the model's stated wtp. The
 * regressions use the draws the PSA keeps exactly, the first NS_PSA_KEPT
 * (psa.h); the EVPI beside them is over the same draws. */

/* The sampled values of the draws the PSA keeps, gathered as the draws
 * arrive: pass ns_evppi_draws_add as an ns_psa_draws_fn (psa.h) with the
 * draws as its context. */
struct ns_evppi_draws;
struct ns_evppi_draws *ns_evppi_draws_alloc(const struct ns_model *m,
                                            size_t n_draws);
enum ns_status ns_evppi_draws_add(void *draws, const struct ns_psa *psa,
                                  size_t first, size_t n,
                                  const double *params);
void ns_evppi_draws_free(struct ns_evppi_draws *d);

/* What EVPPI is of: a group, or one parameter. */
struct ns_evppi_subject {
    const char *name;   /* the group's or the parameter's (the model's) */
    bool group;
    size_t n_params;
    size_t min_draws;   /* what its regression needs */
};

struct ns_evppi {
    size_t n_subjects;  /* the groups in order, then the parameters */
    struct ns_evppi_subject *subjects;
    size_t n_strategies, n_wtp;
    size_t n_draws;     /* draws the regressions used */
    /* Per person, discounted; NaN for a strategy without a comparator or
     * a subject with too few draws for its regression. */
    double *net;        /* [s * n_strategies + k] on net savings */
    double *nmb;        /* [(s * n_strategies + k) * n_wtp + i] */
    double *evpi_net;   /* [k], over the same draws */
    double *evpi_nmb;   /* [k * n_wtp + i] */
    double *wtp;        /* [i] */
};

/* EVPPI of every subject from psa's kept draws and d (which saw every
 * block of psa). NS_OK with *out allocated, or NS_ENOMEM. */
enum ns_status ns_evppi_compute(const struct ns_model *m,
                                const struct ns_psa *psa,
                                const struct ns_evppi_draws *d,
                                struct ns_evppi **out);
void ns_evppi_free(struct ns_evppi *e);

/* A measure of e: net savings, or net monetary benefit at e->wtp[at]. */
#define NS_EVPPI_NET_SAVINGS SIZE_MAX

/* Subject s's EVPPI for strategy k on the measure at; the EVPI over the
 * same draws when s is e->n_subjects. */
double ns_evppi_at(const struct ns_evppi *e, size_t s, size_t k, size_t at);

/* The parameters' rows of e (indices into subjects, after the groups),
 * largest EVPPI on the measure at for any strategy first, ties in the
 * model's order; *n says how many. NULL when out of memory (free the
 * array). */
size_t *ns_evppi_ranked(const struct ns_evppi *e, size_t at, size_t *n);

#endif

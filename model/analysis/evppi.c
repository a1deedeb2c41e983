/* netsave: EVPPI by penalised regression on the PSA's draws (see
 * evppi.h). */
#include "model/analysis/evppi.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_bspline.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    /* Cubic B-splines on SPLINE_BREAKS breakpoints: 10 coefficients per
     * parameter, the basis dimension of mgcv's default smooth (k = 10),
     * which Strong et al. and voi use. */
    SPLINE_ORDER = 4,
    SPLINE_BREAKS = 8,
    SPLINE_COEFFS = SPLINE_BREAKS + SPLINE_ORDER - 2,
    /* Smoothing weights tried, log-spaced over the range where the
     * penalty matters (lambda * s from 1e-4 to 1e4 over the penalty's
     * eigenvalues s). */
    LAMBDA_POINTS = 161,
    /* A design needs this many draws per column: GCV with as many
     * columns as draws would fit the noise. */
    DRAWS_PER_COLUMN = 2
};

struct ns_evppi_fit {
    size_t n, p;
    gsl_matrix *qr;  /* n x p: the design's QR decomposition */
    gsl_vector *tau;
    gsl_matrix *u;   /* p x p: eigenvectors of R^-T S R^-1 */
    gsl_vector *s;   /* p: its eigenvalues, the penalty in that frame */
};

size_t
ns_evppi_columns(size_t r)
{
    if (r == 0)
        return 0;
    return SPLINE_COEFFS + (r - 1) * (SPLINE_COEFFS - 1) + r * (r - 1) / 2;
}

size_t
ns_evppi_min_draws(size_t r)
{
    return DRAWS_PER_COLUMN * ns_evppi_columns(r);
}

void
ns_evppi_fit_free(struct ns_evppi_fit *f)
{
    if (!f)
        return;
    gsl_matrix_free(f->qr);
    gsl_vector_free(f->tau);
    gsl_matrix_free(f->u);
    gsl_vector_free(f->s);
    free(f);
}

/* Breakpoints at equally spaced quantiles of x; uniform over its range
 * when ties make quantiles coincide. false when x does not vary. */
static bool
breakpoints(const double *x, size_t n, gsl_vector *bp)
{
    double *v = malloc(n * sizeof *v);
    if (!v)
        return false;
    memcpy(v, x, n * sizeof *v);
    gsl_sort(v, 1, n);
    double lo = v[0], hi = v[n - 1];
    bool distinct = hi > lo;
    for (size_t k = 0; k < SPLINE_BREAKS; k++) {
        double q = (double)k / (SPLINE_BREAKS - 1);
        double b = k == 0 ? lo : k == SPLINE_BREAKS - 1 ? hi
                 : gsl_stats_quantile_from_sorted_data(v, 1, n, q);
        gsl_vector_set(bp, k, b);
        if (k > 0 && !(b > gsl_vector_get(bp, k - 1)))
            distinct = false;
    }
    if (!distinct && hi > lo)
        for (size_t k = 0; k < SPLINE_BREAKS; k++)
            gsl_vector_set(bp, k,
                           lo + (hi - lo) * (double)k / (SPLINE_BREAKS - 1));
    free(v);
    return hi > lo;
}

/* Fills parameter j's spline columns of X from column col (the first
 * parameter keeps all SPLINE_COEFFS, whose sum is 1 and so carries the
 * intercept; the others drop their first, which the intercept absorbs),
 * and their second-difference penalty into S. */
static bool
spline_block(const double *x, size_t n, size_t j, size_t col, gsl_matrix *X,
             gsl_matrix *S)
{
    gsl_bspline_workspace *bw = gsl_bspline_alloc(SPLINE_ORDER, SPLINE_BREAKS);
    gsl_vector *bp = gsl_vector_alloc(SPLINE_BREAKS);
    gsl_vector *B = gsl_vector_alloc(SPLINE_COEFFS);
    bool ok = bw && bp && B && breakpoints(x, n, bp) &&
              gsl_bspline_knots(bp, bw) == GSL_SUCCESS;
    size_t skip = j == 0 ? 0 : 1;
    for (size_t i = 0; ok && i < n; i++) {
        ok = gsl_bspline_eval(x[i], B, bw) == GSL_SUCCESS;
        for (size_t c = skip; ok && c < SPLINE_COEFFS; c++)
            gsl_matrix_set(X, i, col + c - skip, gsl_vector_get(B, c));
    }
    /* (D^T D)[a][b] for the second-difference matrix D, rows (1, -2, 1). */
    static const double w[3] = {1.0, -2.0, 1.0};
    for (size_t r = 0; ok && r + 2 < SPLINE_COEFFS; r++)
        for (size_t a = 0; a < 3; a++)
            for (size_t b = 0; b < 3; b++) {
                if (r + a < skip || r + b < skip)
                    continue;
                size_t ia = col + r + a - skip, ib = col + r + b - skip;
                gsl_matrix_set(S, ia, ib,
                               gsl_matrix_get(S, ia, ib) + w[a] * w[b]);
            }
    gsl_bspline_free(bw);
    gsl_vector_free(bp);
    gsl_vector_free(B);
    return ok;
}

/* The products of every pair of standardised parameters, from column col,
 * each penalised as a ridge. */
static void
product_columns(const double *const *x, size_t r, size_t n, size_t col,
                gsl_matrix *X, gsl_matrix *S)
{
    for (size_t a = 0; a < r; a++)
        for (size_t b = a + 1; b < r; b++, col++) {
            double ma = gsl_stats_mean(x[a], 1, n);
            double mb = gsl_stats_mean(x[b], 1, n);
            double sa = gsl_stats_sd_m(x[a], 1, n, ma);
            double sb = gsl_stats_sd_m(x[b], 1, n, mb);
            for (size_t i = 0; i < n; i++)
                gsl_matrix_set(X, i, col,
                               (x[a][i] - ma) / sa * (x[b][i] - mb) / sb);
            gsl_matrix_set(S, col, col, 1.0);
        }
}

/* The penalty in the frame of the design's QR: R^-T S R^-1 = U diag(s)
 * U^T. false when R is singular. */
static bool
penalty_frame(struct ns_evppi_fit *f, gsl_matrix *S)
{
    size_t p = f->p;
    gsl_matrix_const_view R = gsl_matrix_const_submatrix(f->qr, 0, 0, p, p);
    double big = 0.0;
    for (size_t i = 0; i < p; i++)
        big = fmax(big, fabs(gsl_matrix_get(f->qr, i, i)));
    for (size_t i = 0; i < p; i++)
        if (!(fabs(gsl_matrix_get(f->qr, i, i)) > 1e-10 * big))
            return false;
    gsl_blas_dtrsm(CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, 1.0,
                   &R.matrix, S);
    gsl_blas_dtrsm(CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, 1.0,
                   &R.matrix, S);
    for (size_t a = 0; a < p; a++)
        for (size_t b = a + 1; b < p; b++) {
            double m = 0.5 * (gsl_matrix_get(S, a, b) + gsl_matrix_get(S, b, a));
            gsl_matrix_set(S, a, b, m);
            gsl_matrix_set(S, b, a, m);
        }
    gsl_eigen_symmv_workspace *ew = gsl_eigen_symmv_alloc(p);
    bool ok = ew && gsl_eigen_symmv(S, f->s, f->u, ew) == GSL_SUCCESS;
    gsl_eigen_symmv_free(ew);
    for (size_t i = 0; ok && i < p; i++)
        if (gsl_vector_get(f->s, i) < 0.0)
            gsl_vector_set(f->s, i, 0.0);
    return ok;
}

struct ns_evppi_fit *
ns_evppi_fit_alloc(const double *const *x, size_t r, size_t n,
                   enum ns_status *st)
{
    size_t p = ns_evppi_columns(r);
    *st = NS_EPARAM;
    if (r == 0 || n < ns_evppi_min_draws(r))
        return NULL;
    *st = NS_ENOMEM;
    struct ns_evppi_fit *f = calloc(1, sizeof *f);
    gsl_matrix *S = gsl_matrix_calloc(p, p);
    if (!f || !S) {
        free(f);
        gsl_matrix_free(S);
        return NULL;
    }
    *f = (struct ns_evppi_fit){n, p, gsl_matrix_calloc(n, p),
                               gsl_vector_alloc(p), gsl_matrix_alloc(p, p),
                               gsl_vector_alloc(p)};
    bool ok = f->qr && f->tau && f->u && f->s;
    if (ok) {
        *st = NS_EPARAM;
        for (size_t j = 0, col = 0; ok && j < r; j++) {
            ok = spline_block(x[j], n, j, col, f->qr, S);
            col += j == 0 ? SPLINE_COEFFS : SPLINE_COEFFS - 1;
        }
        if (ok)
            product_columns(x, r, n, ns_evppi_columns(r) - r * (r - 1) / 2,
                            f->qr, S);
        ok = ok && gsl_linalg_QR_decomp(f->qr, f->tau) == GSL_SUCCESS &&
             penalty_frame(f, S);
    }
    gsl_matrix_free(S);
    if (!ok) {
        ns_evppi_fit_free(f);
        return NULL;
    }
    *st = NS_OK;
    return f;
}

/* The GCV score n * RSS / (n - tr H)^2 at lambda, from b = U^T Q1^T y
 * and the residual sum of squares of the unpenalised fit. */
static double
gcv_score(const struct ns_evppi_fit *f, const double *b, double rss0,
          double lambda)
{
    double rss = rss0, tr = 0.0;
    for (size_t i = 0; i < f->p; i++) {
        double ls = lambda * gsl_vector_get(f->s, i);
        double shrink = b[i] * ls / (1.0 + ls);
        rss += shrink * shrink;
        tr += 1.0 / (1.0 + ls);
    }
    double dof = (double)f->n - tr;
    return (double)f->n * rss / (dof * dof);
}

/* The weight with the least GCV score over a log-spaced grid spanning the
 * penalty's positive eigenvalues. */
static double
best_lambda(const struct ns_evppi_fit *f, const double *b, double rss0)
{
    double smax = gsl_vector_max(f->s), smin = smax;
    for (size_t i = 0; i < f->p; i++) {
        double s = gsl_vector_get(f->s, i);
        if (s > 1e-12 * smax && s < smin)
            smin = s;
    }
    if (!(smax > 0.0))
        return 0.0;
    double lo = log(1e-4 / smax), hi = log(1e4 / smin);
    double best = 0.0, best_score = gcv_score(f, b, rss0, 0.0);
    for (size_t k = 0; k < LAMBDA_POINTS; k++) {
        double lambda = exp(lo + (hi - lo) * (double)k / (LAMBDA_POINTS - 1));
        double g = gcv_score(f, b, rss0, lambda);
        if (g < best_score) {
            best_score = g;
            best = lambda;
        }
    }
    return best;
}

enum ns_status
ns_evppi_fit_apply(const struct ns_evppi_fit *f, const double *y,
                   double *fitted)
{
    size_t n = f->n, p = f->p;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(y[i]))
            return NS_EPARAM;
    gsl_vector *v = gsl_vector_alloc(n);
    double *b = malloc(p * sizeof *b);
    if (!v || !b) {
        gsl_vector_free(v);
        free(b);
        return NS_ENOMEM;
    }
    memcpy(v->data, y, n * sizeof *y);
    gsl_linalg_QR_QTvec(f->qr, f->tau, v);
    double rss0 = 0.0;
    for (size_t i = p; i < n; i++)
        rss0 += gsl_vector_get(v, i) * gsl_vector_get(v, i);
    for (size_t i = 0; i < p; i++) {
        double t = 0.0;
        for (size_t k = 0; k < p; k++)
            t += gsl_matrix_get(f->u, k, i) * gsl_vector_get(v, k);
        b[i] = t;
    }
    double lambda = best_lambda(f, b, rss0);
    for (size_t i = 0; i < p; i++)
        b[i] /= 1.0 + lambda * gsl_vector_get(f->s, i);
    gsl_vector_set_zero(v);
    for (size_t k = 0; k < p; k++) {
        double t = 0.0;
        for (size_t i = 0; i < p; i++)
            t += gsl_matrix_get(f->u, k, i) * b[i];
        gsl_vector_set(v, k, t);
    }
    gsl_linalg_QR_Qvec(f->qr, f->tau, v);
    memcpy(fitted, v->data, n * sizeof *fitted);
    gsl_vector_free(v);
    free(b);
    return NS_OK;
}

/* Sums in a different order can leave a hair below 0 where the value is
 * 0 (every draw choosing the same option). */
static double
clip_zero(double v)
{
    return v > 0.0 ? v : 0.0;
}

double
ns_evppi_value(const double *const *fitted, size_t n_options, size_t n)
{
    if (n == 0)
        return NS_NAN;
    double sum_max = 0.0, best_mean = 0.0, check = 0.0;
    for (size_t i = 0; i < n; i++) {
        double m = 0.0;
        for (size_t d = 0; d < n_options; d++) {
            double v = fitted[d][i];
            check += v; /* NaN or infinite once any value is */
            m = v > m ? v : m;
        }
        sum_max += m;
    }
    if (!isfinite(check))
        return NS_NAN;
    /* Plain sums in draw order, as sum_max's: where one option is best in
     * every draw the two are the same sum, and EVPPI is exactly 0 rather
     * than rounding noise. */
    for (size_t d = 0; d < n_options; d++) {
        double sum = 0.0;
        for (size_t i = 0; i < n; i++)
            sum += fitted[d][i];
        best_mean = fmax(best_mean, sum / (double)n);
    }
    return clip_zero(sum_max / (double)n - best_mean);
}

double
ns_evppi_value_ce(const double *health, const double *cost, double wtp,
                  size_t n)
{
    if (n == 0)
        return NS_NAN;
    double sum_max = 0.0, sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double v = wtp * health[i] - cost[i];
        sum += v;
        sum_max += v > 0.0 ? v : 0.0;
    }
    if (!isfinite(sum))
        return NS_NAN;
    double mean = sum / (double)n;
    return clip_zero(sum_max / (double)n - (mean > 0.0 ? mean : 0.0));
}

/* netsave: summaries of a PSA's draws, updated as draws arrive (psa.h).
 *
 * Memory is fixed when the PSA starts: running sums and counts per
 * strategy and measure, the first NS_PSA_KEPT draws of each, two P-square
 * quantile estimators per series when there are more draws than that, the
 * acceptability curve's counts and the histogram's counts. Every update
 * happens in draw order, so summaries do not depend on the threads. */
#include <gsl/gsl_rstat.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/analysis/frontier.h"
#include "model/analysis/psa.h"

struct series {
    size_t n, positive;  /* non-NaN draws, those above 0 */
    double sum, sum_pos; /* of x and of max(0, x), in draw order */
    gsl_rstat_quantile_workspace *low, *high; /* NULL up to NS_PSA_KEPT */
};

struct ns_psa_summary {
    const struct ns_model *m;
    size_t cap;          /* draws kept per series: min(n_draws, KEPT) */
    struct series *series; /* [k * n_measures + m] */
    double *kept;        /* [(k * n_measures + m) * cap + draw] */
    size_t n_wtp;
    size_t *ceac_yes;    /* [k * n_wtp + i] */
    size_t *ceac_valid;  /* [k] */
    /* Which strategy is optimal (ns_psa_optimal): at n_opt points. */
    size_t n_opt;
    double *opt_wtp;     /* [n_opt], increasing */
    size_t *opt_yes;     /* [k * n_opt + i] */
    size_t opt_valid;    /* draws counted */
    /* The histogram, once the kept draws are full and more are coming. */
    bool hist_fixed;
    double hist_lo, hist_width;
    size_t *hist;        /* [k * NS_PSA_BINS + bin] */
};

void
ns_psa_free(struct ns_psa *psa)
{
    if (!psa)
        return;
    struct ns_psa_summary *s = psa->sum;
    if (s) {
        size_t n = psa->n_strategies * psa->n_measures;
        for (size_t i = 0; s->series && i < n; i++) {
            gsl_rstat_quantile_free(s->series[i].low);
            gsl_rstat_quantile_free(s->series[i].high);
        }
        free(s->series);
        free(s->kept);
        free(s->ceac_yes);
        free(s->ceac_valid);
        free(s->opt_wtp);
        free(s->opt_yes);
        free(s->hist);
        free(s);
    }
    free(psa->block);
    free(psa);
}

/* The points of ns_psa_optimal: the curve's grid and the model's wtp,
 * in order. Returns how many, into wtp (room for the grid and one more). */
static size_t
optimal_points(const struct ns_model *m, size_t n_grid, double *wtp)
{
    if (m->cost_outcome < 0 || m->health_outcome < 0)
        return 0;
    size_t n = 0;
    bool added = !(m->wtp > 0.0);
    for (size_t i = 0; i < n_grid; i++) {
        double x = m->wtp_step * (double)i;
        if (!added && m->wtp <= x) {
            if (m->wtp < x)
                wtp[n++] = m->wtp;
            added = true;
        }
        wtp[n++] = x;
    }
    if (!added)
        wtp[n++] = m->wtp;
    return n;
}

struct ns_psa *
ns_psa_alloc(const struct ns_model *m, size_t n_draws, size_t block_size)
{
    struct ns_psa *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    size_t K = m->n_strategies, M = NS_PSA_PAYER + m->n_payers;
    *p = (struct ns_psa){.n_draws = n_draws, .n_strategies = K,
                         .n_payers = m->n_payers,
                         .n_uncertain = m->n_uncertain, .n_measures = M,
                         .block_size = block_size};
    p->block = malloc((block_size * K * M + 1) * sizeof *p->block);
    struct ns_psa_summary *s = p->sum = calloc(1, sizeof *s);
    if (!p->block || !s) {
        ns_psa_free(p);
        return NULL;
    }
    s->m = m;
    s->cap = n_draws < NS_PSA_KEPT ? n_draws : NS_PSA_KEPT;
    s->n_wtp = ns_psa_ceac_points(m);
    s->series = calloc(K * M + 1, sizeof *s->series);
    s->kept = malloc((K * M * s->cap + 1) * sizeof *s->kept);
    s->ceac_yes = calloc(K * s->n_wtp + 1, sizeof *s->ceac_yes);
    s->ceac_valid = calloc(K + 1, sizeof *s->ceac_valid);
    s->hist = calloc(K * NS_PSA_BINS + 1, sizeof *s->hist);
    s->opt_wtp = malloc((s->n_wtp + 2) * sizeof *s->opt_wtp);
    if (s->opt_wtp)
        s->n_opt = optimal_points(m, s->n_wtp, s->opt_wtp);
    s->opt_yes = calloc(K * s->n_opt + 1, sizeof *s->opt_yes);
    if (!s->series || !s->kept || !s->ceac_yes || !s->ceac_valid ||
        !s->hist || !s->opt_wtp || !s->opt_yes) {
        ns_psa_free(p);
        return NULL;
    }
    for (size_t i = 0; n_draws > s->cap && i < K * M; i++) {
        s->series[i].low = gsl_rstat_quantile_alloc(0.025);
        s->series[i].high = gsl_rstat_quantile_alloc(0.975);
        if (!s->series[i].low || !s->series[i].high) {
            ns_psa_free(p);
            return NULL;
        }
    }
    return p;
}

/* The bin of x in a histogram from lo with bins of width w; values
 * outside the range count in the end bins. */
static size_t
bin_of(double x, double lo, double w)
{
    double f = w > 0 ? (x - lo) / w : 0.0;
    if (!(f > 0.0))
        return 0;
    return f < NS_PSA_BINS ? (size_t)f : NS_PSA_BINS - 1;
}

/* The range of the kept net savings of every strategy with a comparator,
 * cut into NS_PSA_BINS. */
static void
kept_range(const struct ns_psa *psa, size_t n, double *lo, double *width)
{
    const struct ns_psa_summary *s = psa->sum;
    double a = HUGE_VAL, b = -HUGE_VAL;
    for (size_t k = 0; k < psa->n_strategies; k++) {
        if (s->m->comparator[k] < 0)
            continue;
        const double *x = &s->kept[(k * psa->n_measures + NS_PSA_NET) * s->cap];
        for (size_t d = 0; d < n; d++) {
            if (x[d] < a)
                a = x[d];
            if (x[d] > b)
                b = x[d];
        }
    }
    *lo = a;
    *width = b > a ? (b - a) / NS_PSA_BINS : 1.0;
}

/* Fixes the histogram's range from the kept draws and counts them; from
 * then on each draw is counted as it arrives. */
static void
fix_histogram(struct ns_psa *psa)
{
    struct ns_psa_summary *s = psa->sum;
    kept_range(psa, s->cap, &s->hist_lo, &s->hist_width);
    for (size_t k = 0; k < psa->n_strategies; k++) {
        if (s->m->comparator[k] < 0)
            continue;
        const double *x = &s->kept[(k * psa->n_measures + NS_PSA_NET) * s->cap];
        for (size_t d = 0; d < s->cap; d++)
            if (!isnan(x[d]))
                s->hist[k * NS_PSA_BINS +
                        bin_of(x[d], s->hist_lo, s->hist_width)]++;
    }
    s->hist_fixed = true;
}

static void
add_value(struct ns_psa_summary *s, size_t i, size_t draw, double x)
{
    struct series *se = &s->series[i];
    if (draw < s->cap)
        s->kept[i * s->cap + draw] = x;
    if (isnan(x))
        return;
    se->n++;
    se->sum += x;
    se->sum_pos += x > 0.0 ? x : 0.0;
    se->positive += x > 0.0;
    /* GSL's running quantile reports a value it cannot place (NaN, or
     * an infinity once its markers hold one) through the error handler,
     * which aborts by default (model/netsave.h): it sees finite values
     * only. */
    if (se->low && isfinite(x)) {
        gsl_rstat_quantile_add(x, se->low);
        gsl_rstat_quantile_add(x, se->high);
    }
}

/* Counts, at each point, the strategy with the highest net monetary
 * benefit in this draw, when every strategy has both outcomes. */
static void
add_optimal(struct ns_psa *psa, size_t draw)
{
    struct ns_psa_summary *s = psa->sum;
    size_t K = psa->n_strategies;
    if (s->n_opt == 0)
        return;
    for (size_t k = 0; k < K; k++)
        if (isnan(ns_psa_value(psa, draw, k, NS_PSA_COST)) ||
            isnan(ns_psa_value(psa, draw, k, NS_PSA_HEALTH)))
            return;
    s->opt_valid++;
    for (size_t i = 0; i < s->n_opt; i++) {
        size_t best = 0;
        double best_nmb = -HUGE_VAL;
        for (size_t k = 0; k < K; k++) {
            double nmb = ns_net_monetary_benefit(
                ns_psa_value(psa, draw, k, NS_PSA_COST),
                ns_psa_value(psa, draw, k, NS_PSA_HEALTH), s->opt_wtp[i]);
            if (nmb > best_nmb) {
                best = k;
                best_nmb = nmb;
            }
        }
        s->opt_yes[best * s->n_opt + i]++;
    }
}

static void
add_draw(struct ns_psa *psa, size_t draw)
{
    struct ns_psa_summary *s = psa->sum;
    const struct ns_model *m = s->m;
    size_t K = psa->n_strategies, M = psa->n_measures;
    for (size_t k = 0; k < K; k++) {
        for (size_t j = 0; j < M; j++)
            add_value(s, k * M + j, draw, ns_psa_value(psa, draw, k, j));
        double dc = ns_psa_value(psa, draw, k, NS_PSA_DELTA_COST);
        double dh = ns_psa_value(psa, draw, k, NS_PSA_DELTA_HEALTH);
        if (!isnan(dc) && !isnan(dh)) {
            s->ceac_valid[k]++;
            for (size_t i = 0; i < s->n_wtp; i++)
                s->ceac_yes[k * s->n_wtp + i] +=
                    m->wtp_step * (double)i * dh - dc > 0.0;
        }
        double net = ns_psa_value(psa, draw, k, NS_PSA_NET);
        if (s->hist_fixed && m->comparator[k] >= 0 && !isnan(net))
            s->hist[k * NS_PSA_BINS +
                    bin_of(net, s->hist_lo, s->hist_width)]++;
    }
    add_optimal(psa, draw);
    if (draw + 1 == s->cap && psa->n_draws > s->cap)
        fix_histogram(psa);
}

void
ns_psa_add_block(struct ns_psa *psa, size_t n)
{
    for (size_t j = 0; j < n; j++)
        add_draw(psa, psa->block_first + j);
    psa->n_added = psa->block_first + n;
}

enum ns_status
ns_psa_stat(const struct ns_psa *psa, size_t k, size_t m,
            struct ns_psa_stat *out)
{
    const struct ns_psa_summary *s = psa->sum;
    const struct series *se = &s->series[k * psa->n_measures + m];
    *out = (struct ns_psa_stat){NS_NAN, NS_NAN, NS_NAN, NS_NAN, NS_NAN};
    if (se->n == 0)
        return NS_OK;
    double n = (double)se->n;
    out->mean = se->sum / n;
    out->prob_positive = (double)se->positive / n;
    out->evpi = se->sum_pos / n - (out->mean > 0.0 ? out->mean : 0.0);
    if (se->low) {
        out->low = gsl_rstat_quantile_get(se->low);
        out->high = gsl_rstat_quantile_get(se->high);
        return NS_OK;
    }
    size_t n_kept;
    const double *x = ns_psa_kept(psa, k, m, &n_kept);
    double *v = malloc((n_kept + 1) * sizeof *v);
    if (!v)
        return NS_ENOMEM;
    size_t c = 0;
    for (size_t i = 0; i < n_kept; i++)
        if (!isnan(x[i]))
            v[c++] = x[i];
    gsl_sort(v, 1, c);
    out->low = gsl_stats_quantile_from_sorted_data(v, 1, c, 0.025);
    out->high = gsl_stats_quantile_from_sorted_data(v, 1, c, 0.975);
    free(v);
    return NS_OK;
}

const double *
ns_psa_kept(const struct ns_psa *psa, size_t k, size_t m, size_t *n)
{
    const struct ns_psa_summary *s = psa->sum;
    *n = psa->n_added < s->cap ? psa->n_added : s->cap;
    return &s->kept[(k * psa->n_measures + m) * s->cap];
}

void
ns_psa_histogram(const struct ns_psa *psa, size_t k, double *lo,
                 double *width, size_t counts[NS_PSA_BINS])
{
    const struct ns_psa_summary *s = psa->sum;
    if (s->hist_fixed) {
        *lo = s->hist_lo;
        *width = s->hist_width;
        memcpy(counts, &s->hist[k * NS_PSA_BINS],
               NS_PSA_BINS * sizeof *counts);
        return;
    }
    size_t n;
    const double *x = ns_psa_kept(psa, k, NS_PSA_NET, &n);
    kept_range(psa, n, lo, width);
    memset(counts, 0, NS_PSA_BINS * sizeof *counts);
    for (size_t d = 0; d < n; d++)
        if (!isnan(x[d]))
            counts[bin_of(x[d], *lo, *width)]++;
}

double
ns_psa_ceac(const struct ns_model *m, const struct ns_psa *psa, size_t k,
            size_t i, double *wtp)
{
    const struct ns_psa_summary *s = psa->sum;
    *wtp = m->wtp_step * (double)i;
    size_t valid = s->ceac_valid[k];
    if (!valid || i >= s->n_wtp)
        return NS_NAN;
    return (double)s->ceac_yes[k * s->n_wtp + i] / (double)valid;
}

size_t
ns_psa_optimal_points(const struct ns_psa *psa)
{
    return psa->sum->n_opt;
}

double
ns_psa_optimal(const struct ns_psa *psa, size_t k, size_t i, double *wtp)
{
    const struct ns_psa_summary *s = psa->sum;
    *wtp = i < s->n_opt ? s->opt_wtp[i] : NS_NAN;
    if (!s->opt_valid || i >= s->n_opt)
        return NS_NAN;
    return (double)s->opt_yes[k * s->n_opt + i] / (double)s->opt_valid;
}

static double
series_mean(const struct ns_psa *psa, size_t k, size_t m)
{
    const struct series *se = &psa->sum->series[k * psa->n_measures + m];
    return se->n ? se->sum / (double)se->n : NS_NAN;
}

double
ns_psa_expected_nmb(const struct ns_psa *psa, size_t k, double wtp)
{
    return ns_net_monetary_benefit(series_mean(psa, k, NS_PSA_COST),
                                   series_mean(psa, k, NS_PSA_HEALTH), wtp);
}

size_t
ns_psa_frontier_strategy(const struct ns_psa *psa, size_t i)
{
    const struct ns_psa_summary *s = psa->sum;
    size_t best = 0;
    double best_nmb = -HUGE_VAL;
    for (size_t k = 0; i < s->n_opt && k < psa->n_strategies; k++) {
        double nmb = ns_psa_expected_nmb(psa, k, s->opt_wtp[i]);
        if (nmb > best_nmb) {
            best = k;
            best_nmb = nmb;
        }
    }
    return best;
}

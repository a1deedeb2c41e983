/* netsave: net savings by payer and perspective (see ledger.h). */
#include "model/ledger.h"

#include <math.h>

/* Cycle lengths such as 1/12 year do not add up to whole years exactly
 * in floating point: 12 * (1/12) may be 1 + 2e-16, which must still be
 * year 1, not year 2. */
#define NS_YEAR_ROUNDING 1e-9

/* The payers a perspective counts ([n_payers]), or NULL for all payers,
 * tagged or not. */
static const bool *
payers_of(const struct ns_model *m, long perspective)
{
    return perspective == NS_ALL_PAYERS ? NULL
                                        : m->perspectives[perspective].has_payer;
}

/* Whether stream j is a cost borne by the payers counted (NULL: all). */
static bool
counts(const struct ns_model *m, size_t j, const bool *payers)
{
    const struct ns_stream_info *s = &m->streams[j];
    if ((long)s->outcome != m->cost_outcome)
        return false;
    if (!payers)
        return true;
    return s->payer >= 0 && payers[s->payer];
}

/* Net saving of stream j at point t: minus the change in cost, where the
 * intervention's extra cost counts against it in the same way. */
static double
saving_at(const struct ns_results *r, size_t k, size_t c, size_t t, size_t j,
          bool discounted)
{
    return ns_results_value(r, c, t, j, discounted) -
           ns_results_value(r, k, t, j, discounted);
}

/* Year of point t: point 0 and (0, 1] years are year 1, and so on. */
/* Books saving s of stream j as treatment cost or savings, and to its
 * payer. */
static inline void
add_saving(const struct ns_model *m, struct ns_ledger *out, double *by_payer,
           size_t j, double s)
{
    if (m->streams[j].is_intervention)
        out->treatment_cost -= s;
    else
        out->savings += s;
    if (by_payer && m->streams[j].payer >= 0)
        by_payer[m->streams[j].payer] += s;
}

static size_t
year_of(const struct ns_model *m, size_t t, size_t n_years)
{
    double years = (double)t * m->cycle_length_years;
    size_t y = t == 0 ? 0 : (size_t)ceil(years - NS_YEAR_ROUNDING) - 1;
    return y < n_years ? y : n_years - 1;
}

/* Payback as in ns_ledger.payback_year: NaN when never. */
static double
payback_year(const struct ns_model *m, const struct ns_results *r, size_t k,
             long perspective, bool discounted)
{
    size_t n_years = ns_ledger_n_years(m);
    const bool *payers = payers_of(m, perspective);
    double cumulative = 0.0, payback = NS_NAN;
    size_t t = 0;
    /* Payback is when the treatment has paid for itself for good: savings
     * that turn positive in year 1 and negative again by year 5 never paid
     * back, so a later dip below 0 cancels an earlier year. */
    for (size_t y = 0; y < n_years; y++) {
        for (; t < r->n_points && year_of(m, t, n_years) == y; t++)
            for (size_t j = 0; j < m->n_streams; j++)
                if (counts(m, j, payers))
                    cumulative += saving_at(r, k, (size_t)m->comparator[k], t,
                                            j, discounted);
        if (!(cumulative > 0.0))
            payback = NS_NAN;
        else if (isnan(payback))
            payback = (double)(y + 1);
    }
    return payback;
}

void
ns_ledger_compute(const struct ns_model *m, const struct ns_results *r,
                  size_t k, long perspective, bool discounted,
                  struct ns_ledger *out, double *by_payer)
{
    ns_ledger_totals(m, r, k, perspective, discounted, out, by_payer);
    if (out->valid)
        out->payback_year = payback_year(m, r, k, perspective, discounted);
}

void
ns_ledger_totals(const struct ns_model *m, const struct ns_results *r,
                 size_t k, long perspective, bool discounted,
                 struct ns_ledger *out, double *by_payer)
{
    ns_ledger_totals_lanes(m, &r, 1, k, perspective, discounted, out,
                           &by_payer);
}

/* ns_ledger_totals_lanes for at most LEDGER_LANES results. */
enum { LEDGER_LANES = 16 };

static void
totals_lanes(const struct ns_model *m, const struct ns_results *const *r,
             size_t n, size_t k, const bool *payers, bool discounted,
             struct ns_ledger *out, double *const *by_payer)
{
    long c = m->comparator[k];
    for (size_t l = 0; l < n; l++) {
        out[l] = (struct ns_ledger){false, 0, NS_NAN, NS_NAN, NS_NAN, NS_NAN, NS_NAN};
        for (size_t p = 0; by_payer[l] && p < m->n_payers; p++)
            by_payer[l][p] = c < 0 || m->cost_outcome < 0 ? NS_NAN : 0.0;
        if (c < 0 || m->cost_outcome < 0)
            continue;
        out[l].valid = true;
        out[l].comparator = (size_t)c;
        out[l].treatment_cost = out[l].savings = 0.0;
    }
    if (c < 0 || m->cost_outcome < 0)
        return;
    /* The sums keep their order (point by point, stream by stream), as
     * for one result; lanes are interleaved, each with its own sums, so
     * the check of which streams count is made once for all of them. */
    size_t J = m->n_streams;
    const double *vk[LEDGER_LANES], *vc[LEDGER_LANES];
    for (size_t l = 0; l < n; l++) {
        const double *v = discounted ? r[l]->values_disc : r[l]->values;
        vk[l] = v + k * r[l]->n_points * J;
        vc[l] = v + (size_t)c * r[l]->n_points * J;
    }
    for (size_t t = 0; t < r[0]->n_points; t++)
        for (size_t j = 0; j < J; j++) {
            if (!counts(m, j, payers))
                continue;
            for (size_t l = 0; l < n; l++)
                add_saving(m, &out[l], by_payer[l], j,
                           vc[l][t * J + j] - vk[l][t * J + j]);
        }
    for (size_t l = 0; l < n; l++) {
        out[l].net_savings = out[l].savings - out[l].treatment_cost;
        if (out[l].treatment_cost > 0.0)
            out[l].benefit_cost_ratio = out[l].savings / out[l].treatment_cost;
    }
}

void
ns_ledger_totals_lanes(const struct ns_model *m,
                       const struct ns_results *const *r, size_t n, size_t k,
                       long perspective, bool discounted,
                       struct ns_ledger *out, double *const *by_payer)
{
    for (size_t first = 0; first < n; first += LEDGER_LANES)
        totals_lanes(m, r + first,
                     n - first < LEDGER_LANES ? n - first : LEDGER_LANES, k,
                     payers_of(m, perspective), discounted, out + first,
                     by_payer + first);
}

void
ns_ledger_totals_payers(const struct ns_model *m, const struct ns_results *r,
                        size_t k, const bool *has_payer, bool discounted,
                        struct ns_ledger *out, double *by_payer)
{
    totals_lanes(m, &r, 1, k, has_payer, discounted, out, &by_payer);
}

size_t
ns_ledger_payback(const struct ns_ledger *l)
{
    return l->valid && !isnan(l->payback_year) ? (size_t)l->payback_year : 0;
}

double
ns_ledger_per_place_year(const struct ns_model *m, const struct ns_results *r,
                         size_t k, const struct ns_ledger *l)
{
    if (!l->valid || m->place_outcome < 0)
        return NS_NAN;
    size_t o = (size_t)m->place_outcome;
    double extra = ns_results_outcome(r, k, o, false) -
                   ns_results_outcome(r, l->comparator, o, false);
    return extra > 0.0 ? l->net_savings / extra : NS_NAN;
}

size_t
ns_ledger_n_years(const struct ns_model *m)
{
    double years = (double)m->n_cycles * m->cycle_length_years;
    size_t n = (size_t)ceil(years - NS_YEAR_ROUNDING);
    return n ? n : 1;
}

void
ns_ledger_by_year(const struct ns_model *m, const struct ns_results *r,
                  size_t k, long perspective, bool discounted, double *net)
{
    size_t n_years = ns_ledger_n_years(m);
    for (size_t y = 0; y < n_years; y++)
        net[y] = NS_NAN;
    long c = m->comparator[k];
    if (c < 0 || m->cost_outcome < 0)
        return;
    for (size_t y = 0; y < n_years; y++)
        net[y] = 0.0;
    const bool *payers = payers_of(m, perspective);
    for (size_t t = 0; t < r->n_points; t++) {
        size_t y = year_of(m, t, n_years);
        for (size_t j = 0; j < m->n_streams; j++)
            if (counts(m, j, payers))
                net[y] += saving_at(r, k, (size_t)c, t, j, discounted);
    }
}

void
ns_ledger_years(const struct ns_model *m, const struct ns_results *r,
                size_t k, long perspective, bool discounted,
                struct ns_ledger *years, double *by_payer)
{
    size_t n_years = ns_ledger_n_years(m);
    long c = m->comparator[k];
    bool valid = c >= 0 && m->cost_outcome >= 0;
    double start = valid ? 0.0 : NS_NAN;
    for (size_t y = 0; y < n_years; y++) {
        years[y] = (struct ns_ledger){valid, valid ? (size_t)c : 0, start,
                                      start, start, NS_NAN, NS_NAN};
        for (size_t q = 0; by_payer && q < m->n_payers; q++)
            by_payer[y * m->n_payers + q] = start;
    }
    if (!valid)
        return;
    const bool *payers = payers_of(m, perspective);
    for (size_t t = 0; t < r->n_points; t++) {
        size_t y = year_of(m, t, n_years);
        for (size_t j = 0; j < m->n_streams; j++)
            if (counts(m, j, payers))
                add_saving(m, &years[y],
                           by_payer ? by_payer + y * m->n_payers : NULL, j,
                           saving_at(r, k, (size_t)c, t, j, discounted));
    }
    for (size_t y = 0; y < n_years; y++)
        years[y].net_savings = years[y].savings - years[y].treatment_cost;
}

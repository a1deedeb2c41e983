/* netsave: the cost-effectiveness frontier (frontier.h), following
 * dampack's calculate_icers (R/icers.R) so that the same costs and effects
 * give the same statuses and ICERs, ties and equal costs included. */
#include "model/analysis/frontier.h"

#include <math.h>
#include <stdlib.h>

/* Whether strategy a comes before b: cheaper, or as cheap and more
 * effective. Equal ones keep their order (the sort below is stable, as
 * dplyr's arrange is). */
static bool
before(const double *cost, const double *effect, size_t a, size_t b)
{
    if (cost[a] < cost[b] || cost[a] > cost[b])
        return cost[a] < cost[b];
    return effect[a] > effect[b];
}

/* Insertion sort: stable, and the strategies of a model are few. */
static void
sort_order(const double *cost, const double *effect, size_t n, size_t *order)
{
    for (size_t i = 0; i < n; i++) {
        size_t x = i, j = i;
        for (; j > 0 && before(cost, effect, x, order[j - 1]); j--)
            order[j] = order[j - 1];
        order[j] = x;
    }
}

/* Strong dominance: a strategy with an effect no higher than that of a
 * strategy before it (which costs no more). */
static void
mark_dominated(const double *effect, const size_t *order, size_t n,
               enum ns_frontier_status *status)
{
    for (size_t i = 0; i + 1 < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (effect[order[j]] <= effect[order[i]])
                status[order[j]] = NS_FRONTIER_D;
}

/* The strategies still on the frontier, in sorted order; returns how
 * many. */
static size_t
frontier_of(const size_t *order, size_t n,
            const enum ns_frontier_status *status, size_t *nd)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (status[order[i]] == NS_FRONTIER_ND)
            nd[m++] = order[i];
    return m;
}

static double
icer_between(const double *cost, const double *effect, size_t from, size_t to)
{
    return (cost[to] - cost[from]) / (effect[to] - effect[from]);
}

/* Extended dominance: passes over the frontier, each marking at once
 * every strategy whose ICER exceeds the next one's, until a pass marks
 * none or two strategies are left. */
static void
mark_extended(const double *cost, const double *effect, const size_t *order,
              size_t n, enum ns_frontier_status *status, size_t *nd)
{
    for (;;) {
        size_t m = frontier_of(order, n, status, nd);
        if (m <= 2)
            return;
        size_t found = 0;
        for (size_t i = 1; i + 1 < m; i++)
            if (icer_between(cost, effect, nd[i - 1], nd[i]) >
                icer_between(cost, effect, nd[i], nd[i + 1])) {
                status[nd[i]] = NS_FRONTIER_ED;
                found++;
            }
        if (found == 0)
            return;
    }
}

static void
fill_rows(const double *cost, const double *effect, const size_t *order,
          size_t n, const enum ns_frontier_status *status,
          struct ns_frontier_row *rows)
{
    static const enum ns_frontier_status groups[] = {
        NS_FRONTIER_ND, NS_FRONTIER_ED, NS_FRONTIER_D};
    size_t r = 0;
    for (size_t g = 0; g < 3; g++) {
        bool has_previous = false;
        size_t previous = 0;
        for (size_t i = 0; i < n; i++) {
            size_t k = order[i];
            if (status[k] != groups[g])
                continue;
            struct ns_frontier_row *row = &rows[r++];
            *row = (struct ns_frontier_row){
                .strategy = k, .cost = cost[k], .effect = effect[k],
                .delta_cost = NS_NAN, .delta_effect = NS_NAN, .icer = NS_NAN,
                .status = status[k]};
            if (groups[g] != NS_FRONTIER_ND)
                continue;
            if (has_previous) {
                row->has_previous = true;
                row->previous = previous;
                row->delta_cost = cost[k] - cost[previous];
                row->delta_effect = effect[k] - effect[previous];
                row->icer = row->delta_cost / row->delta_effect;
            }
            has_previous = true;
            previous = k;
        }
    }
}

enum ns_status
ns_frontier_compute(const double *cost, const double *effect, size_t n,
                    struct ns_frontier_row *rows)
{
    for (size_t k = 0; k < n; k++)
        if (!isfinite(cost[k]) || !isfinite(effect[k]))
            return NS_EPARAM;
    size_t *order = malloc((2 * n + 1) * sizeof *order);
    enum ns_frontier_status *status = calloc(n + 1, sizeof *status);
    if (!order || !status) {
        free(order);
        free(status);
        return NS_ENOMEM;
    }
    sort_order(cost, effect, n, order);
    mark_dominated(effect, order, n, status);
    mark_extended(cost, effect, order, n, status, order + n);
    fill_rows(cost, effect, order, n, status, rows);
    free(order);
    free(status);
    return NS_OK;
}

bool
ns_frontier_outcomes(const struct ns_model *m, const struct ns_results *r,
                     size_t k, double *cost, double *effect)
{
    if (m->cost_outcome < 0 || m->health_outcome < 0)
        return false;
    *cost = ns_results_outcome(r, k, (size_t)m->cost_outcome, true);
    *effect = ns_results_outcome(r, k, (size_t)m->health_outcome, true);
    return true;
}

enum ns_status
ns_frontier_of_results(const struct ns_model *m, const struct ns_results *r,
                       struct ns_frontier_row *rows)
{
    size_t K = m->n_strategies;
    double *v = malloc((2 * K + 1) * sizeof *v);
    if (!v)
        return NS_ENOMEM;
    enum ns_status st = NS_OK;
    for (size_t k = 0; k < K && st == NS_OK; k++)
        if (!ns_frontier_outcomes(m, r, k, &v[k], &v[K + k]))
            st = NS_EPARAM;
    if (st == NS_OK)
        st = ns_frontier_compute(v, v + K, K, rows);
    free(v);
    return st;
}

const char *
ns_frontier_status_name(enum ns_frontier_status s)
{
    switch (s) {
    case NS_FRONTIER_ND:
        return "ND";
    case NS_FRONTIER_ED:
        return "ED";
    case NS_FRONTIER_D:
        return "D";
    }
    return "";
}

double
ns_net_monetary_benefit(double cost, double effect, double wtp)
{
    return wtp * effect - cost;
}

double
ns_net_health_benefit(double cost, double effect, double wtp)
{
    return effect - cost / wtp;
}

/* netsave: results storage and incremental analysis.
 *
 * Incremental results compare a strategy with its own comparator on the
 * model's cost and health outcomes. Dominance is decided on exact signs:
 * the totals are computed identically for both arms, so a strategy that
 * changes nothing gives differences of exactly zero. */
#include "model/results.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ns_results *
ns_results_alloc(const struct ns_model *model)
{
    struct ns_results *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->n_strategies = model->n_strategies;
    r->n_points = model->n_cycles + 1;
    r->n_states = model->n_states;
    r->n_streams = model->n_streams;
    r->n_outcomes = model->n_outcomes;
    r->n_params = model->n_params;
    r->param_values =
        calloc(r->n_strategies * r->n_params + 1, sizeof *r->param_values);
    size_t kp = r->n_strategies * r->n_points;
    r->trace = calloc(kp * r->n_states + 1, sizeof *r->trace);
    r->values = calloc(kp * r->n_streams + 1, sizeof *r->values);
    r->values_disc = calloc(kp * r->n_streams + 1, sizeof *r->values_disc);
    r->total = calloc(r->n_strategies * r->n_streams + 1, sizeof *r->total);
    r->total_disc =
        calloc(r->n_strategies * r->n_streams + 1, sizeof *r->total_disc);
    r->outcome_total =
        calloc(r->n_strategies * r->n_outcomes + 1, sizeof *r->outcome_total);
    r->outcome_total_disc = calloc(r->n_strategies * r->n_outcomes + 1,
                                   sizeof *r->outcome_total_disc);
    if (!r->param_values || !r->trace || !r->values || !r->values_disc || !r->total ||
        !r->total_disc || !r->outcome_total || !r->outcome_total_disc) {
        ns_results_free(r);
        return NULL;
    }
    return r;
}

/* Each array of r and its length, in the packed order. */
static size_t
results_arrays(const struct ns_results *r, double *arrays[8], size_t n[8])
{
    size_t kp = r->n_strategies * r->n_points;
    double *a[8] = {r->trace,         r->values,        r->values_disc,
                    r->total,         r->total_disc,    r->outcome_total,
                    r->outcome_total_disc, r->param_values};
    size_t len[8] = {kp * r->n_states,
                     kp * r->n_streams,
                     kp * r->n_streams,
                     r->n_strategies * r->n_streams,
                     r->n_strategies * r->n_streams,
                     r->n_strategies * r->n_outcomes,
                     r->n_strategies * r->n_outcomes,
                     r->n_strategies * r->n_params};
    for (size_t i = 0; i < 8; i++) {
        arrays[i] = a[i];
        n[i] = len[i];
    }
    return 8;
}

size_t
ns_results_packed_size(const struct ns_results *r)
{
    double *a[8];
    size_t n[8], total = 0;
    for (size_t i = 0, count = results_arrays(r, a, n); i < count; i++)
        total += n[i];
    return total;
}

void
ns_results_pack(const struct ns_results *r, double *out)
{
    double *a[8];
    size_t n[8];
    for (size_t i = 0, count = results_arrays(r, a, n); i < count; i++) {
        memcpy(out, a[i], n[i] * sizeof *out);
        out += n[i];
    }
}

void
ns_results_unpack(struct ns_results *r, const double *in)
{
    double *a[8];
    size_t n[8];
    for (size_t i = 0, count = results_arrays(r, a, n); i < count; i++) {
        memcpy(a[i], in, n[i] * sizeof *in);
        in += n[i];
    }
}

void
ns_results_free(struct ns_results *r)
{
    if (!r)
        return;
    free(r->param_values);
    free(r->trace);
    free(r->values);
    free(r->values_disc);
    free(r->total);
    free(r->total_disc);
    free(r->outcome_total);
    free(r->outcome_total_disc);
    free(r);
}

bool
ns_results_match(const struct ns_model *m, const struct ns_results *r)
{
    return r && r->n_strategies == m->n_strategies &&
           r->n_points == m->n_cycles + 1 && r->n_states == m->n_states &&
           r->n_streams == m->n_streams && r->n_outcomes == m->n_outcomes &&
           r->n_params == m->n_params;
}

double
ns_results_cohort(const struct ns_results *r, size_t k)
{
    double n = 0.0;
    for (size_t s = 0; s < r->n_states; s++)
        n += ns_results_trace(r, k, 0, s);
    return n;
}

static enum ns_dominance
classify(double d_cost, double d_health)
{
    if (d_cost <= 0.0 && d_health >= 0.0) {
        if (d_cost < 0.0 || d_health > 0.0)
            return NS_DOM_DOMINANT;
        return NS_DOM_EQUAL;
    }
    if (d_cost >= 0.0 && d_health <= 0.0)
        return NS_DOM_DOMINATED;
    return NS_DOM_NONE;
}

void
ns_results_incremental(const struct ns_model *model,
                       const struct ns_results *results, size_t k,
                       bool discounted, struct ns_incremental *out)
{
    *out = (struct ns_incremental){.icer = NS_NAN, .delta_cost = NS_NAN,
                                   .delta_health = NS_NAN};
    long c = model->comparator[k];
    if (c < 0)
        return;
    out->has_comparator = true;
    out->comparator = (size_t)c;
    if (model->cost_outcome < 0 || model->health_outcome < 0)
        return;
    size_t oc = (size_t)model->cost_outcome;
    size_t oh = (size_t)model->health_outcome;
    out->has_icer = true;
    out->delta_cost = ns_results_outcome(results, k, oc, discounted) -
                      ns_results_outcome(results, (size_t)c, oc, discounted);
    out->delta_health = ns_results_outcome(results, k, oh, discounted) -
                        ns_results_outcome(results, (size_t)c, oh, discounted);
    out->dominance = classify(out->delta_cost, out->delta_health);
    if (out->dominance == NS_DOM_NONE)
        out->icer = out->delta_cost / out->delta_health;
}

const char *
ns_dominance_name(enum ns_dominance d)
{
    switch (d) {
    case NS_DOM_DOMINANT:
        return "dominant";
    case NS_DOM_DOMINATED:
        return "dominated";
    case NS_DOM_EQUAL:
        return "equal";
    case NS_DOM_NONE:
        break;
    }
    return "";
}

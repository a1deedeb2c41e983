/* netsave: what one run of a model produces.
 *
 * Time points run from 0 (the start) to T = n_cycles. The trace holds the
 * cohort at each time point, tunnel states summed into the state they
 * expand. A value stream's entry at time point t is what is counted at
 * that point: the state values times the occupancy times the counting
 * weight of t, plus transition values booked at t (for transitions made in
 * cycle t, from point t-1 to t). Discounted entries multiply that by the
 * outcome's discount factor for t. Totals are the sums over t. */
#ifndef NS_MODEL_RESULTS_H
#define NS_MODEL_RESULTS_H

#include <stdbool.h>
#include <stddef.h>

#include "model/model.h"

struct ns_results {
    size_t n_strategies, n_points, n_states, n_streams, n_outcomes;
    double *trace;       /* [(k * n_points + t) * n_states + s] */
    double *values;      /* [(k * n_points + t) * n_streams + j] undiscounted */
    double *values_disc; /* same layout, discounted */
    double *total;       /* [k * n_streams + j] sum over t of values */
    double *total_disc;  /* [k * n_streams + j] sum over t of values_disc */
    double *outcome_total;      /* [k * n_outcomes + o]: streams summed by outcome */
    double *outcome_total_disc; /* same, discounted */
    size_t n_params;
    double *param_values;       /* [k * n_params + p] value of a constant
                                   parameter; NaN for one that varies with
                                   time or time in state */
};

/* Allocates results sized for a model. NULL if memory runs out. Reuse it
 * for every run of the same model. */
struct ns_results *ns_results_alloc(const struct ns_model *model);
void ns_results_free(struct ns_results *results);

/* Whether results belong to model: sized for its strategies, time points,
 * states, streams, outcomes and parameters (as ns_results_alloc(model)
 * sizes them). A writer given results of another model would read out of
 * bounds, so it checks this first. False for NULL results. */
bool ns_results_match(const struct ns_model *model,
                      const struct ns_results *results);

/* The results as one array of ns_results_packed_size(r) doubles, to hand
 * them between processes (netsave under MPI, cli/mpi.c): ns_results_pack
 * writes them to out, ns_results_unpack reads them back into results of
 * the same model. */
size_t ns_results_packed_size(const struct ns_results *r);
void ns_results_pack(const struct ns_results *r, double *out);
void ns_results_unpack(struct ns_results *r, const double *in);

/* Clients at time 0 in strategy k: the start of the trace summed over
 * states, the cohort as the model's [initial] defines it. */
double ns_results_cohort(const struct ns_results *results, size_t k);

static inline double
ns_results_trace(const struct ns_results *r, size_t k, size_t t, size_t s)
{
    return r->trace[(k * r->n_points + t) * r->n_states + s];
}

static inline double
ns_results_value(const struct ns_results *r, size_t k, size_t t, size_t j,
                 bool discounted)
{
    const double *v = discounted ? r->values_disc : r->values;
    return v[(k * r->n_points + t) * r->n_streams + j];
}

static inline double
ns_results_total(const struct ns_results *r, size_t k, size_t j,
                 bool discounted)
{
    return (discounted ? r->total_disc : r->total)[k * r->n_streams + j];
}

static inline double
ns_results_outcome(const struct ns_results *r, size_t k, size_t o,
                   bool discounted)
{
    const double *v = discounted ? r->outcome_total_disc : r->outcome_total;
    return v[k * r->n_outcomes + o];
}

enum ns_dominance {
    NS_DOM_NONE = 0,  /* a trade-off: the ICER is meaningful */
    NS_DOM_DOMINANT,  /* no more costly and no less effective, one strictly */
    NS_DOM_DOMINATED, /* no less costly and no more effective, one strictly */
    NS_DOM_EQUAL      /* same cost and same effect */
};

struct ns_incremental {
    bool has_comparator;
    size_t comparator;        /* index of the comparator strategy */
    bool has_icer;            /* the model names a cost and a health outcome */
    double delta_cost;        /* cost outcome, strategy minus comparator */
    double delta_health;      /* health outcome, strategy minus comparator */
    double icer;              /* delta_cost / delta_health when
                                 dominance == NS_DOM_NONE, else NaN */
    enum ns_dominance dominance;
};

/* Incremental results of strategy k against its comparator. */
void ns_results_incremental(const struct ns_model *model,
                            const struct ns_results *results, size_t k,
                            bool discounted, struct ns_incremental *out);

/* Text for a dominance value: "", "dominant", "dominated", "equal". */
const char *ns_dominance_name(enum ns_dominance d);

#endif

/* netsave: the model's figure beside a published study's.
 *
 * A published benefit-cost ratio divides some payers' savings by some
 * share of the treatment cost, for some mix of clients, over the study's
 * own design (its horizon, its comparison). To set the model beside it,
 * the model is run with the study's design (a scenario overlay; not done
 * here) and then, from the pooled results, through the ledger
 * (model/ledger.h), each arm (a strategy, against its comparator) gives
 *   savings        = the fall in the non-intervention costs of the payers
 *                    the study counts, per client,
 *   treatment cost = the extra cost of the intervention streams, whoever
 *                    pays it, per client (a study's denominator is the
 *                    treatment's cost, even when it counts only, say,
 *                    crime savings),
 * and the anchor pools its arms by weight (shares of clients):
 *   ratio = sum w savings / (cost_share x sum w treatment cost),
 * cost_share being the part of the treatment cost the study's denominator
 * counts (1: the gross cost; less for a ratio to the net extra spend
 * beyond what clients received anyway). Everything is discounted, as the
 * model discounts costs. A ratio that cannot be formed (no extra cost
 * counted, or a figure that is not finite) is NaN with a status saying
 * why: it must never be shown as a number. */
#ifndef NS_ANALYSIS_ANCHORS_H
#define NS_ANALYSIS_ANCHORS_H

#include <stdbool.h>
#include <stddef.h>

#include "model/model.h"
#include "model/results.h"

/* What an anchor counts, resolved against one model. */
struct ns_anchor_spec {
    size_t n_arms;
    size_t *strategy;  /* owned; [n_arms], each with a comparator */
    double *weight;    /* owned; [n_arms], summing to 1 */
    bool *has_payer;   /* owned; [model->n_payers] the payers whose savings
                          count, or NULL for every cost stream, with a
                          payer or not (the ledger's all payers) */
    double cost_share; /* in (0, 1] */
};

/* Frees what spec owns and leaves it empty; accepts an empty spec. */
void ns_anchor_spec_clear(struct ns_anchor_spec *spec);

enum ns_anchor_status {
    NS_ANCHOR_COMPUTED,
    NS_ANCHOR_NO_EXTRA_COST, /* cost_share x treatment cost is not above 0 */
    NS_ANCHOR_NOT_FINITE     /* savings or treatment cost is not finite */
};

struct ns_anchor_figure {
    double savings;        /* per client, discounted */
    double treatment_cost; /* per client, discounted, the whole extra cost
                              (before cost_share) */
    double ratio;          /* savings / (cost_share x treatment_cost); NaN
                              unless status is NS_ANCHOR_COMPUTED */
    enum ns_anchor_status status;
};

/* Computes the anchor's pooled figure and, when arms is not NULL, each
 * arm's own ([spec->n_arms], each with the same cost_share), from the
 * results r of model m (pooled over subgroups, for a population). Arms
 * whose strategy has no comparator, or a model without a cost outcome,
 * give NS_ANCHOR_NOT_FINITE (a resolved spec has neither). */
void ns_anchor_compute(const struct ns_model *m, const struct ns_results *r,
                       const struct ns_anchor_spec *spec,
                       struct ns_anchor_figure *pooled,
                       struct ns_anchor_figure *arms);

/* Why a ratio is not computable, for people ("the extra treatment cost
 * counted is zero or negative"); "" for a computed one. */
const char *ns_anchor_status_text(enum ns_anchor_status status);

/* One published study beside the model (netsave anchors), for
 * anchors.csv, anchors_arms.csv and the Anchors sheet. Strings and arrays
 * are borrowed. */
struct ns_anchor_report {
    const char *anchor, *study, *design, *arms, *benefits;
    const char *published_text, *source, *explanation;
    const char *scenario;               /* the overlay's path, or NULL */
    double cost_share, published;
    const struct ns_model *model;       /* the model the anchor ran */
    const struct ns_anchor_spec *spec;  /* its arms, resolved in model */
    struct ns_anchor_figure pooled;     /* as above */
    const struct ns_anchor_figure *arm; /* [spec->n_arms] */
};

#endif

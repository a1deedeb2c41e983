/* netsave: the model's figure beside a published study's (see anchors.h). */
#include "model/analysis/anchors.h"

#include <math.h>
#include <stdlib.h>

#include "model/ledger.h"

void
ns_anchor_spec_clear(struct ns_anchor_spec *spec)
{
    free(spec->strategy);
    free(spec->weight);
    free(spec->has_payer);
    *spec = (struct ns_anchor_spec){0};
}

/* Clients at time 0 in strategy k: the start of the trace summed. Arms
 * are pooled per client, as their weights are shares of clients. */
static double
cohort_of(const struct ns_results *r, size_t k)
{
    double n = 0.0;
    for (size_t s = 0; s < r->n_states; s++)
        n += ns_results_trace(r, k, 0, s);
    return n;
}

/* Forms the ratio from savings and treatment cost, or says why not. */
static void
finish(struct ns_anchor_figure *f, double cost_share)
{
    f->ratio = NS_NAN;
    double denominator = cost_share * f->treatment_cost;
    if (!isfinite(f->savings) || !isfinite(denominator)) {
        f->status = NS_ANCHOR_NOT_FINITE;
        return;
    }
    /* No extra cost, or less than the comparator's: a ratio would have a
     * meaningless size or the wrong sign. */
    if (!(denominator > 0.0)) {
        f->status = NS_ANCHOR_NO_EXTRA_COST;
        return;
    }
    double ratio = f->savings / denominator;
    f->status = isfinite(ratio) ? NS_ANCHOR_COMPUTED : NS_ANCHOR_NOT_FINITE;
    if (f->status == NS_ANCHOR_COMPUTED)
        f->ratio = ratio;
}

/* One arm: strategy k against its comparator, per client. */
static void
arm_figure(const struct ns_model *m, const struct ns_results *r,
           const struct ns_anchor_spec *spec, size_t k,
           struct ns_anchor_figure *f)
{
    struct ns_ledger saved, spent;
    ns_ledger_totals_payers(m, r, k, spec->has_payer, true, &saved, NULL);
    /* The whole extra treatment cost, whichever payers the savings count. */
    ns_ledger_totals(m, r, k, NS_ALL_PAYERS, true, &spent, NULL);
    double cohort = cohort_of(r, k);
    bool ok = saved.valid && cohort > 0.0;
    f->savings = ok ? saved.savings / cohort : NS_NAN;
    f->treatment_cost = ok ? spent.treatment_cost / cohort : NS_NAN;
    finish(f, spec->cost_share);
}

void
ns_anchor_compute(const struct ns_model *m, const struct ns_results *r,
                  const struct ns_anchor_spec *spec,
                  struct ns_anchor_figure *pooled,
                  struct ns_anchor_figure *arms)
{
    struct ns_anchor_figure sum = {0.0, 0.0, NS_NAN, NS_ANCHOR_COMPUTED};
    for (size_t i = 0; i < spec->n_arms; i++) {
        struct ns_anchor_figure f;
        arm_figure(m, r, spec, spec->strategy[i], &f);
        if (arms)
            arms[i] = f;
        sum.savings += spec->weight[i] * f.savings;
        sum.treatment_cost += spec->weight[i] * f.treatment_cost;
    }
    finish(&sum, spec->cost_share);
    *pooled = sum;
}

const char *
ns_anchor_status_text(enum ns_anchor_status status)
{
    switch (status) {
    case NS_ANCHOR_COMPUTED:
        return "";
    case NS_ANCHOR_NO_EXTRA_COST:
        return "the extra treatment cost counted is zero or negative";
    case NS_ANCHOR_NOT_FINITE:
        return "savings or treatment cost is not a finite number";
    }
    return "unknown status";
}

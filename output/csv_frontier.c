/* netsave: the frontier and net benefit files (docs/outputs.md):
 * frontier.csv, the net benefit columns of summary.csv and frontier.csv,
 * and the PSA's ceaf.csv. Costs and effects are the discounted totals of
 * the model's cost outcome and health outcome, for the cohort as
 * [initial] defines it, as in summary.csv. */
#include "output/csv_write.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "model/analysis/frontier.h"
#include "model/analysis/psa.h"
#include "model/population.h"

void
csv_put_net_benefits(struct csv *c, const struct ns_model *m,
                     const struct ns_results *r, size_t k)
{
    double cost, effect;
    csv_put_sep(c);
    if (!(m->wtp > 0.0) || !ns_frontier_outcomes(m, r, k, &cost, &effect)) {
        csv_put_raw(c, ",,");
        return;
    }
    csv_put_number(c, m->wtp);
    csv_put_sep(c);
    csv_put_optional(c, ns_net_monetary_benefit(cost, effect, m->wtp));
    csv_put_sep(c);
    csv_put_optional(c, ns_net_health_benefit(cost, effect, m->wtp));
}

static void
put_frontier_row(struct csv *c, const struct ns_model *m,
                 const struct ns_results *r, const char *group,
                 const struct ns_frontier_row *row)
{
    csv_put_text(c, group);
    csv_put_sep(c);
    csv_put_text(c, m->strategies[row->strategy].name);
    csv_put_sep(c);
    csv_put_number(c, row->cost);
    csv_put_sep(c);
    csv_put_number(c, row->effect);
    csv_put_sep(c);
    csv_put_optional(c, row->delta_cost);
    csv_put_sep(c);
    csv_put_optional(c, row->delta_effect);
    csv_put_sep(c);
    csv_put_optional(c, row->icer);
    csv_put_sep(c);
    csv_put_raw(c, ns_frontier_status_name(row->status));
    csv_put_sep(c);
    if (row->has_previous)
        csv_put_text(c, m->strategies[row->previous].name);
    csv_put_net_benefits(c, m, r, row->strategy);
    csv_end_row(c);
}

/* frontier.csv: per subgroup (when there are several), then for the
 * pooled population, the strategies in dampack's order. Header only
 * without a cost and a health outcome. */
void
csv_write_frontier(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    const struct ns_population *pop = src->pop;
    csv_put_raw(c, "subgroup,strategy,cost,health,delta_cost,delta_health,"
                   "icer,status,previous_on_frontier,wtp,"
                   "net_monetary_benefit,net_health_benefit");
    csv_end_row(c);
    if (m->cost_outcome < 0 || m->health_outcome < 0)
        return;
    struct ns_frontier_row *rows = calloc(m->n_strategies + 1, sizeof *rows);
    if (!rows) {
        c->err = ENOMEM;
        return;
    }
    for (size_t g = ns_group_first(pop); g <= pop->n_groups && !c->err; g++) {
        const struct ns_results *r = ns_group_results(pop, g);
        /* Totals of a run are finite (the engine checks them), so only
         * memory can fail here. */
        if (ns_frontier_of_results(m, r, rows) != NS_OK) {
            c->err = ENOMEM;
            break;
        }
        for (size_t i = 0; i < m->n_strategies; i++)
            put_frontier_row(c, m, r, ns_group_name(pop, g), &rows[i]);
    }
    free(rows);
}

/* ceaf.csv: at each point of ns_psa_optimal, every strategy's chance of
 * being optimal and expected net monetary benefit, and which one the
 * acceptability frontier takes (the highest expected net monetary
 * benefit). Header only without points. */
void
csv_write_ceaf(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    const struct ns_psa *p = src->psa;
    csv_put_raw(c, "wtp,strategy,prob_optimal,expected_net_monetary_benefit,"
                   "on_acceptability_frontier");
    csv_end_row(c);
    for (size_t i = 0; i < ns_psa_optimal_points(p) && !c->err; i++) {
        size_t best = ns_psa_frontier_strategy(p, i);
        for (size_t k = 0; k < p->n_strategies; k++) {
            double wtp, share = ns_psa_optimal(p, k, i, &wtp);
            csv_put_number(c, wtp);
            csv_put_sep(c);
            csv_put_text(c, m->strategies[k].name);
            csv_put_sep(c);
            csv_put_optional(c, share);
            csv_put_sep(c);
            csv_put_optional(c, ns_psa_expected_nmb(p, k, wtp));
            csv_put_sep(c);
            csv_put_raw(c, k == best ? "1" : "0");
            csv_end_row(c);
        }
    }
}

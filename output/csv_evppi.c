/* netsave: evppi.csv, the expected value of partial perfect information
 * of each parameter group and parameter (model/analysis/evppi.h). */
#include <math.h>

#include "model/analysis/evppi.h"
#include "model/ledger.h"
#include "output/csv_write.h"

/* One row: subject s of strategy k on a measure (wtp NaN for net
 * savings). */
static void
put_evppi_row(struct csv *c, const struct source *src, size_t k, size_t s,
              const char *view, const char *measure, double wtp,
              double value, double evpi)
{
    const struct ns_model *m = src->m;
    const struct ns_evppi *e = src->evppi;
    const struct ns_evppi_subject *sub = &e->subjects[s];
    csv_put_pair(c, m, k);
    csv_put_text(c, view);
    csv_put_sep(c);
    csv_put_text(c, measure);
    csv_put_sep(c);
    csv_put_optional(c, wtp);
    csv_put_sep(c);
    csv_put_text(c, sub->group ? "group" : "parameter");
    csv_put_sep(c);
    csv_put_text(c, sub->name);
    csv_put_sep(c);
    csv_put_count(c, sub->n_params);
    csv_put_sep(c);
    csv_put_count(c, e->n_draws);
    csv_put_sep(c);
    csv_put_optional(c, value);
    csv_put_sep(c);
    if (src->population > 0.0)
        csv_put_optional(c, value * src->population);
    csv_put_sep(c);
    csv_put_optional(c, evpi);
    csv_end_row(c);
}

static void
write_evppi(struct csv *c, const struct source *src)
{
    const struct ns_model *m = src->m;
    const struct ns_evppi *e = src->evppi;
    size_t K = e->n_strategies, W = e->n_wtp;
    const char *view = src->perspective == NS_ALL_PAYERS
                           ? "all_payers"
                           : m->perspectives[src->perspective].name;
    csv_put_raw(c, "strategy,comparator,perspective,measure,wtp,kind,name,"
                   "n_parameters,draws,evppi_per_person,evppi_population,"
                   "evpi_per_person");
    csv_end_row(c);
    for (size_t k = 0; k < K && !c->err; k++) {
        if (m->comparator[k] < 0)
            continue;
        for (size_t s = 0; s < e->n_subjects; s++)
            put_evppi_row(c, src, k, s, view, "net_savings", NS_NAN,
                          e->net[s * K + k], e->evpi_net[k]);
        /* Net monetary benefit reads the increments, which are the same
         * from every perspective (as delta_cost in psa_summary.csv). */
        for (size_t i = 0; i < W; i++)
            for (size_t s = 0; s < e->n_subjects; s++)
                put_evppi_row(c, src, k, s, "all_payers",
                              "net_monetary_benefit", e->wtp[i],
                              e->nmb[(s * K + k) * W + i],
                              e->evpi_nmb[k * W + i]);
    }
}

enum ns_status
ns_csv_write_evppi(const char *dir, const struct ns_model *model,
                   const struct ns_evppi *evppi, long perspective,
                   double population, struct ns_atomic_set *set,
                   char *err, size_t err_size)
{
    const struct source src = {.set = set, .m = model, .evppi = evppi,
                               .perspective = perspective,
                               .population = population};
    return csv_write_file(dir, "evppi.csv", write_evppi, &src, err,
                          err_size);
}

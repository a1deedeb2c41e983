/* netsave: benchmark.csv, benchmark_groups.csv and benchmark_total.csv
 * (see output.h). */
#include "output/csv_write.h"

#include "model/analysis/benchmark.h"
#include "model/ledger.h"

const char *
ns_od_method_name(enum ns_od_method m)
{
    return m == NS_OD_MULTIPLICATIVE ? "multiplicative"
           : m == NS_OD_ADDITIVE     ? "additive"
                                     : "none";
}

static void
put_service(struct csv *c, const struct ns_model *m,
            const struct ns_service *s)
{
    const char *fields[] = {s->id, s->name, s->period,
                            m->strategies[s->strategy].name};
    csv_put_texts(c, fields, 4);
    csv_put_sep(c);
}

static void
write_benchmark(struct csv *c, const struct source *src)
{
    const struct ns_benchmark *b = src->benchmark;
    const struct ns_model *m = src->m;
    csv_put_raw(c, "service_id,service_name,period,modality,measure,count,"
                   "denominator,proportion,norm,limit_low_99_8,"
                   "limit_low_95,limit_high_95,limit_high_99_8,z,place,"
                   "perspective,net_savings_at_service,net_savings_at_norm,"
                   "gain");
    csv_end_row(c);
    for (size_t i = 0; i < b->n_rows; i++) {
        const struct ns_bench_row *r = &b->rows[i];
        put_service(c, m, &src->services->items[r->service]);
        csv_put_text(c, ns_bench_measure_name(r->measure));
        csv_put_sep(c);
        const double v[] = {r->count,         r->denominator,
                            r->proportion,    r->norm,
                            r->limits.low998, r->limits.low95,
                            r->limits.high95, r->limits.high998,
                            r->z};
        csv_put_numbers(c, v, sizeof v / sizeof *v);
        csv_put_sep(c);
        csv_put_text(c, ns_funnel_place_name(r->place));
        csv_put_sep(c);
        csv_put_text(c, csv_view_name(m, b->options.perspective));
        csv_put_sep(c);
        csv_put_optional(c, r->net_at_service);
        csv_put_sep(c);
        csv_put_optional(c, r->net_at_norm);
        csv_put_sep(c);
        csv_put_optional(c, r->gain);
        csv_end_row(c);
    }
}

static void
write_groups(struct csv *c, const struct source *src)
{
    const struct ns_benchmark *b = src->benchmark;
    const struct ns_model *m = src->m;
    csv_put_raw(c, "modality,measure,norm,threshold_weeks,services,"
                   "overdispersion,phi,tau2,winsor");
    csv_end_row(c);
    for (size_t i = 0; i < b->n_groups; i++) {
        const struct ns_bench_group *g = &b->groups[i];
        csv_put_text(c, m->strategies[g->strategy].name);
        csv_put_sep(c);
        csv_put_text(c, ns_bench_measure_name(g->measure));
        csv_put_sep(c);
        csv_put_number(c, g->norm);
        csv_put_sep(c);
        if (g->measure == NS_BENCH_RETENTION)
            csv_put_number(c, g->threshold_weeks);
        csv_put_sep(c);
        csv_put_count(c, g->n_services);
        csv_put_sep(c);
        csv_put_text(c, ns_od_method_name(g->od.method));
        csv_put_sep(c);
        const double v[] = {g->od.phi, g->od.tau2, g->od.winsor};
        csv_put_numbers(c, v, 3);
        csv_end_row(c);
    }
}

/* The total gain, and its PSA when there was one: empty cells without. */
static void
write_total(struct csv *c, const struct source *src)
{
    const struct ns_benchmark *b = src->benchmark;
    const struct ns_bench_total_psa *t = &b->total_psa;
    csv_put_raw(c, "perspective,services_below,total_gain,draws,seed,mean,"
                   "p2_5,p97_5,prob_positive");
    csv_end_row(c);
    csv_put_text(c, csv_view_name(src->m, b->options.perspective));
    csv_put_sep(c);
    csv_put_count(c, b->n_below);
    csv_put_sep(c);
    csv_put_number(c, b->total_gain);
    csv_put_sep(c);
    if (t->n_draws) {
        csv_put_count(c, t->n_draws);
        csv_put_sep(c);
        csv_put_count(c, t->seed);
        csv_put_sep(c);
        const double v[] = {t->mean, t->low95, t->high95, t->p_positive};
        csv_put_numbers(c, v, 4);
    } else {
        csv_put_raw(c, ",,,,,");
    }
    csv_end_row(c);
}

enum ns_status
ns_csv_write_benchmark(const char *dir, const struct ns_model *model,
                       const struct ns_services *services,
                       const struct ns_benchmark *b, struct ns_atomic_set *set,
                       char *err,
                       size_t err_size)
{
    struct source src = {.set = set,
    .m = model, .services = services, .benchmark = b};
    enum ns_status st = csv_write_file(dir, "benchmark.csv", write_benchmark,
                                       &src, err, err_size);
    if (st == NS_OK)
        st = csv_write_file(dir, "benchmark_groups.csv", write_groups, &src,
                            err, err_size);
    if (st == NS_OK)
        st = csv_write_file(dir, "benchmark_total.csv", write_total, &src,
                            err, err_size);
    return st;
}

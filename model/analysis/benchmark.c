/* netsave: services against norms (see benchmark.h). */
#include "model/analysis/benchmark.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/analysis/psa.h"
#include "model/engine.h"
#include "model/ledger.h"
#include "model/model.h"

static const char *const measure_names[NS_BENCH_N_MEASURES] = {
    "retention", "abstinent", "daily_opiate_use",
    "injecting", "sharing",   "acquisitive_crime"};

const char *
ns_bench_measure_name(enum ns_bench_measure m)
{
    return m < NS_BENCH_N_MEASURES ? measure_names[m] : "?";
}

bool
ns_bench_higher_is_better(enum ns_bench_measure m)
{
    return m == NS_BENCH_RETENTION || m == NS_BENCH_ABSTINENT;
}

void
ns_services_free(struct ns_services *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->items[i].id);
        free(s->items[i].name);
        free(s->items[i].period);
    }
    free(s->items);
    free(s->file);
    free(s);
}

void
ns_bench_norms_free(struct ns_bench_norms *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        free(n->items[i].source);
    free(n->items);
    free(n->file);
    free(n);
}

/* ---- the analysis ---- */

void
ns_benchmark_free(struct ns_benchmark *b)
{
    if (!b)
        return;
    free(b->rows);
    free(b->groups);
    free(b);
}

static const struct ns_bench_norm *
norm_of(const struct ns_bench_norms *norms, size_t k,
        enum ns_bench_measure m)
{
    for (size_t i = 0; i < norms->n; i++)
        if (norms->items[i].strategy == k && norms->items[i].measure == m)
            return &norms->items[i];
    return NULL;
}

static double
denominator_of(const struct ns_service *s, enum ns_bench_measure m)
{
    return (double)(m == NS_BENCH_RETENTION ? s->starting : s->followed_up);
}

/* The services of modality k reporting measure m, as (y, n) pairs. */
static size_t
group_data(const struct ns_services *sv, size_t k, enum ns_bench_measure m,
           double *y, double *n)
{
    size_t c = 0;
    for (size_t i = 0; i < sv->n; i++) {
        const struct ns_service *s = &sv->items[i];
        if (s->strategy != k || s->count[m] == NS_BENCH_NONE ||
            denominator_of(s, m) < 1.0)
            continue;
        y[c] = (double)s->count[m];
        n[c++] = denominator_of(s, m);
    }
    return c;
}

/* One group per modality and measure with a norm and some data. */
static enum ns_status
estimate_groups(const struct ns_model *m, const struct ns_services *sv,
                const struct ns_bench_norms *norms,
                const struct ns_benchmark_options *opt, struct ns_benchmark *b)
{
    double *y = calloc(sv->n + 1, sizeof *y), *n = calloc(sv->n + 1, sizeof *n);
    b->groups = calloc(m->n_strategies * NS_BENCH_N_MEASURES + 1,
                       sizeof *b->groups);
    enum ns_status st = y && n && b->groups ? NS_OK : NS_ENOMEM;
    for (size_t k = 0; st == NS_OK && k < m->n_strategies; k++)
        for (int mi = 0; st == NS_OK && mi < NS_BENCH_N_MEASURES; mi++) {
            const struct ns_bench_norm *nm = norm_of(norms, k, mi);
            size_t c = nm ? group_data(sv, k, mi, y, n) : 0;
            if (!c)
                continue;
            struct ns_bench_group *g = &b->groups[b->n_groups++];
            *g = (struct ns_bench_group){k, mi, nm->norm, nm->threshold_weeks,
                                         {0}, c};
            st = ns_funnel_overdispersion(y, n, c, nm->norm, opt->od_method,
                                          opt->winsor, &g->od);
        }
    free(y);
    free(n);
    return st;
}

static const struct ns_bench_group *
group_of(const struct ns_benchmark *b, size_t k, enum ns_bench_measure m)
{
    for (size_t i = 0; i < b->n_groups; i++)
        if (b->groups[i].strategy == k && b->groups[i].measure == m)
            return &b->groups[i];
    return NULL;
}

/* Net savings per client of strategy k with parameter param set to
 * value (every other parameter as written). */
static enum ns_status
net_with(struct ns_population *pop, double *override, size_t param,
         double value, size_t k, long perspective, double *net,
         struct ns_diags *diags)
{
    override[param] = value;
    struct ns_run_options ro = {.param_override = override};
    enum ns_status st = ns_population_run_opt(pop, &ro, diags);
    override[param] = NS_NAN;
    if (st != NS_OK)
        return st;
    struct ns_ledger l;
    ns_ledger_totals(pop->models[0], pop->pooled, k, perspective, true, &l,
                     NULL);
    *net = l.valid ? l.net_savings : NS_NAN;
    return NS_OK;
}

double
ns_bench_leaving(double retained, double threshold_weeks, double cycle_weeks)
{
    return 1.0 - pow(retained, cycle_weeks / threshold_weeks);
}

/* Net savings per client of modality k with its [benchmark] parameter
 * set from a share retained to threshold_weeks. */
static enum ns_status
net_at_retention(struct ns_population *pop, double *override, size_t k,
                 double retained, double threshold_weeks, long perspective,
                 double *net, struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    double cycle_weeks = m->cycle_length_years * NS_WEEKS_PER_YEAR;
    return net_with(pop, override, (size_t)m->benchmark_param[k],
                    ns_bench_leaving(retained, threshold_weeks, cycle_weeks),
                    k, perspective, net, diags);
}

/* Whether a row's retention can be priced: its modality names a
 * [benchmark] parameter and its norm a threshold. */
static bool
priced(const struct ns_model *m, const struct ns_service *s,
       const struct ns_bench_group *g)
{
    return m->benchmark_param[s->strategy] >= 0 && g->threshold_weeks > 0.0;
}

/* The money of a retention row: the modality's leaving probability set
 * from the service's retention and from the norm's. */
static enum ns_status
price_retention(struct ns_population *pop, double *override,
                const struct ns_service *s, const struct ns_bench_group *g,
                struct ns_bench_row *r, long perspective,
                struct ns_diags *diags)
{
    if (!priced(pop->models[0], s, g))
        return NS_OK;
    enum ns_status st =
        net_at_retention(pop, override, s->strategy, r->proportion,
                         g->threshold_weeks, perspective, &r->net_at_service,
                         diags);
    if (st == NS_OK)
        st = net_at_retention(pop, override, s->strategy, r->norm,
                              g->threshold_weeks, perspective,
                              &r->net_at_norm, diags);
    r->gain = (r->net_at_norm - r->net_at_service) * (double)s->starting;
    return st;
}

static enum ns_status
fill_row(struct ns_bench_row *r, const struct ns_service *s, size_t i,
         enum ns_bench_measure mi, const struct ns_bench_group *g)
{
    double n = denominator_of(s, mi), y = (double)s->count[mi];
    *r = (struct ns_bench_row){.service = i,
                               .measure = mi,
                               .count = y,
                               .denominator = n,
                               .proportion = y / n,
                               .norm = g->norm,
                               .net_at_service = NS_NAN,
                               .net_at_norm = NS_NAN,
                               .gain = NS_NAN};
    enum ns_status st = ns_funnel_limits(g->norm, n, &g->od, &r->limits);
    r->z = ns_funnel_z(y, n, g->norm, &g->od);
    r->place = ns_funnel_classify(y, n, &r->limits);
    return st;
}

static bool
below_par(const struct ns_bench_row *r)
{
    bool higher = ns_bench_higher_is_better(r->measure);
    return higher ? r->place <= NS_FUNNEL_BELOW_95
                  : r->place >= NS_FUNNEL_ABOVE_95;
}

static enum ns_status
fill_rows(struct ns_population *pop, const struct ns_services *sv,
          const struct ns_benchmark_options *opt, struct ns_benchmark *b,
          struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    double *override = malloc((m->n_params + 1) * sizeof *override);
    b->rows = calloc(sv->n * NS_BENCH_N_MEASURES + 1, sizeof *b->rows);
    if (!override || !b->rows) {
        free(override);
        return NS_ENOMEM;
    }
    for (size_t p = 0; p < m->n_params; p++)
        override[p] = NS_NAN;
    enum ns_status st = NS_OK;
    for (size_t i = 0; st == NS_OK && i < sv->n; i++)
        for (int mi = 0; st == NS_OK && mi < NS_BENCH_N_MEASURES; mi++) {
            const struct ns_service *s = &sv->items[i];
            const struct ns_bench_group *g = group_of(b, s->strategy, mi);
            if (!g || s->count[mi] == NS_BENCH_NONE)
                continue;
            struct ns_bench_row *r = &b->rows[b->n_rows++];
            st = fill_row(r, s, i, mi, g);
            if (st == NS_OK && mi == NS_BENCH_RETENTION)
                st = price_retention(pop, override, s, g, r,
                                     opt->perspective, diags);
            if (st == NS_OK && mi == NS_BENCH_RETENTION && below_par(r)) {
                b->n_below++;
                if (isfinite(r->gain))
                    b->total_gain += r->gain;
            }
        }
    free(override);
    return st;
}

/* Draw's total gain: every below-par service priced, as the point
 * estimate is, with the draw's parameter values in override. */
static enum ns_status
draw_gain(struct ns_population *pop, const struct ns_services *sv,
          const struct ns_benchmark *b, double *override, double *gain,
          struct ns_diags *diags)
{
    *gain = 0.0;
    for (size_t i = 0; i < b->n_rows; i++) {
        const struct ns_bench_row *r = &b->rows[i];
        if (r->measure != NS_BENCH_RETENTION || !below_par(r) ||
            !isfinite(r->gain))
            continue;
        const struct ns_service *s = &sv->items[r->service];
        const struct ns_bench_group *g =
            group_of(b, s->strategy, NS_BENCH_RETENTION);
        /* net_with leaves the [benchmark] parameter unset: set it anew,
         * as the draw may sample it too. */
        double at_service, at_norm;
        enum ns_status st = net_at_retention(
            pop, override, s->strategy, r->proportion, g->threshold_weeks,
            b->options.perspective, &at_service, diags);
        if (st == NS_OK)
            st = net_at_retention(pop, override, s->strategy, r->norm,
                                  g->threshold_weeks, b->options.perspective,
                                  &at_norm, diags);
        if (st != NS_OK)
            return st;
        *gain += (at_norm - at_service) * (double)s->starting;
    }
    return NS_OK;
}

/* Mean, 95% interval and share above zero of the draws' gains (sorted
 * here). */
static void
summarise_gains(double *gains, size_t n, struct ns_bench_total_psa *t)
{
    size_t positive = 0;
    for (size_t d = 0; d < n; d++)
        positive += gains[d] > 0.0;
    gsl_sort(gains, 1, n);
    t->mean = gsl_stats_mean(gains, 1, n);
    t->low95 = gsl_stats_quantile_from_sorted_data(gains, 1, n, 0.025);
    t->high95 = gsl_stats_quantile_from_sorted_data(gains, 1, n, 0.975);
    t->p_positive = (double)positive / (double)n;
}

static enum ns_status
run_gain_draws(struct ns_population *pop, const struct ns_services *sv,
               struct ns_benchmark *b, struct ns_psa_sampler *sampler,
               double *override, double *sampled, double *gains,
               struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    const struct ns_benchmark_options *opt = &b->options;
    for (size_t d = 0; d < opt->n_draws; d++) {
        if (opt->cancel && atomic_load(opt->cancel)) {
            ns_diags_addf(diags, NULL, 0, "benchmark: stopped after %zu of %zu draws",
                         d, opt->n_draws);
            return NS_EMODEL;
        }
        for (size_t p = 0; p < m->n_params; p++)
            override[p] = NS_NAN;
        long bad = ns_psa_sample(sampler, d, override, sampled);
        if (bad >= 0) {
            ns_diags_add_at(diags, m->uncertain[bad].at,
                            "sampling %s gave no number, in draw %zu",
                            m->params[m->uncertain[bad].param].name, d + 1);
            return NS_EMODEL;
        }
        enum ns_status st = draw_gain(pop, sv, b, override, &gains[d], diags);
        if (st == NS_OK && !isfinite(gains[d])) {
            ns_diags_addf(diags, NULL, 0, "benchmark: draw %zu gave a total gain of %g",
                         d + 1, gains[d]);
            st = NS_EMODEL;
        }
        if (st != NS_OK)
            return st;
    }
    summarise_gains(gains, opt->n_draws, &b->total_psa);
    return NS_OK;
}

/* The total gain's uncertainty over the model's PSA draws. */
static enum ns_status
total_gain_psa(struct ns_population *pop, const struct ns_services *sv,
               struct ns_benchmark *b, struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    const struct ns_benchmark_options *opt = &b->options;
    if (opt->n_draws == 0)
        return NS_OK;
    if (m->n_uncertain == 0 && m->n_dirichlet == 0) {
        ns_diags_addf(diags, NULL, 0, "benchmark: -n asks for draws of the model's "
                            "uncertainty, but the model has no [uncertainty] "
                            "section");
        return NS_EPARAM;
    }
    struct ns_psa_sampler *sampler = ns_psa_sampler_alloc(m, opt->seed);
    double *override = malloc((m->n_params + 1) * sizeof *override);
    double *sampled = malloc((m->n_uncertain + 1) * sizeof *sampled);
    double *gains = malloc(opt->n_draws * sizeof *gains);
    enum ns_status st = NS_ENOMEM;
    if (sampler && override && sampled && gains)
        st = run_gain_draws(pop, sv, b, sampler, override, sampled, gains,
                            diags);
    if (st == NS_OK) {
        b->total_psa.n_draws = opt->n_draws;
        b->total_psa.seed = opt->seed;
    }
    ns_psa_sampler_free(sampler);
    free(override);
    free(sampled);
    free(gains);
    return st;
}

/* Every service's modality needs a retention norm: retention is what
 * every service reports. */
static bool
norms_cover(const struct ns_model *m, const struct ns_services *sv,
            const struct ns_bench_norms *norms, struct ns_diags *diags)
{
    bool ok = true;
    for (size_t i = 0; i < sv->n; i++) {
        const struct ns_service *s = &sv->items[i];
        bool first = true;
        for (size_t j = 0; j < i && first; j++)
            first = sv->items[j].strategy != s->strategy;
        if (first && !norm_of(norms, s->strategy, NS_BENCH_RETENTION)) {
            ns_diags_add_at(diags, s->at,
                            "modality %s has no retention norm in %s",
                            m->strategies[s->strategy].name,
                            norms->file ? norms->file : "the norms");
            ok = false;
        }
    }
    return ok;
}

enum ns_status
ns_benchmark_run(struct ns_population *pop, const struct ns_services *services,
                 const struct ns_bench_norms *norms,
                 const struct ns_benchmark_options *opt,
                 struct ns_benchmark **out, struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    *out = NULL;
    if (!norms_cover(m, services, norms, diags))
        return NS_EPARAM;
    struct ns_benchmark *b = calloc(1, sizeof *b);
    if (!b)
        return NS_ENOMEM;
    b->options = *opt;
    enum ns_status st = estimate_groups(m, services, norms, opt, b);
    if (st == NS_OK)
        st = fill_rows(pop, services, opt, b, diags);
    if (st == NS_OK)
        st = total_gain_psa(pop, services, b, diags);
    /* Leave the population as written, for whoever reads it next. */
    enum ns_status back = st == NS_ENOMEM ? st : ns_population_run(pop, diags);
    if (st == NS_OK)
        st = back;
    if (st != NS_OK) {
        ns_benchmark_free(b);
        return st;
    }
    *out = b;
    return NS_OK;
}

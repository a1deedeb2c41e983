/* netsave: probabilistic sensitivity analysis (see psa.h).
 *
 * Draws run in blocks of BLOCK, and a block in chunks of LANES draws that
 * run together (model/engine.h's lanes), taken by the threads in turn.
 * Each draw seeds its own generator from (seed, draw) and writes its
 * results at its own index, so no two threads write the same memory and
 * neither the order of finishing nor which thread ran a chunk matters.
 * While a block runs, the calling thread hands the one before to the
 * summaries and the caller's callback. */
#include "model/analysis/psa.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/analysis/frontier.h"
#include "model/engine.h"
#include "model/expr.h"
#include "model/ledger.h"

/* Draws per block: enough that starting threads costs nothing next to
 * running the draws, few enough that the sampled values of a block (kept
 * for the callback) stay small. */
enum { BLOCK = NS_PSA_BLOCK };

/* Each draw seeds its own generator, so seeding must be cheap: taus2
 * (L'Ecuyer's maximally equidistributed Tausworthe generator, period
 * 2^88) seeds from three words, where mt19937 fills and twists 624. */
#define NS_PSA_RNG gsl_rng_taus2

/* splitmix64's finaliser: a bijection of 64-bit words. */
static unsigned long long
mix64(unsigned long long z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* murmur3's finaliser: a bijection of 32-bit words. */
static unsigned long
mix32(unsigned long h)
{
    h &= 0xFFFFFFFFUL;
    h ^= h >> 16;
    h = (h * 0x85EBCA6BUL) & 0xFFFFFFFFUL;
    h ^= h >> 13;
    h = (h * 0xC2B2AE35UL) & 0xFFFFFFFFUL;
    return h ^ (h >> 16);
}

unsigned long
ns_psa_draw_seed(unsigned long seed, size_t draw)
{
    /* GSL's generators take 32 bits of a seed, so seeds drawn at random
     * would repeat (a million draws would share about a hundred pairs of
     * streams). A bijection of (an offset from the seed + the draw) gives
     * every draw below 2^32 its own 32-bit seed instead. */
    unsigned long long offset = mix64((unsigned long long)seed +
                                      0x9E3779B97F4A7C15ULL);
    return mix32((unsigned long)(offset + (unsigned long long)draw));
}

/* Draws run LANES at a time (model/engine.h): interpreting the model
 * once for 16 draws costs little more than for one. 16 was the fastest
 * of 8, 16 and 32 for both bench/ models (docs/performance.md). */
enum { LANES = NS_EXPR_FAST_LANES };

/* A block of draws being run: threads take its chunks of LANES draws in
 * turn (next is the next chunk to take), so a thread that starts late, as
 * the calling thread does while it hands on the block before, just takes
 * fewer. Which thread runs a chunk changes nothing in its results. */
struct job {
    size_t first, end;           /* draws first .. end - 1 */
    double *out;                 /* their results, as ns_psa's block */
    double *params;              /* their sampled values */
    atomic_size_t next;
};

struct worker {
    const struct ns_population *pop;
    const struct ns_psa_options *opt;
    struct ns_psa *psa;
    struct job *job;             /* the block being run */
    bool reports_progress;       /* the calling thread's worker */
    bool polls;                  /* the calling thread's, with a share */
    struct ns_diags diags;       /* this thread's problems */
    struct ns_psa_sampler *sampler;
    double *override[LANES];     /* [n_params] NaN but for sampled values */
    struct ns_population_scratch *scratch; /* for one draw alone */
    struct ns_population_lanes *lanes;
    enum ns_status status;
    size_t failed;               /* the draw that failed, or SIZE_MAX */
};

/* What samples draws: the generator and scratch for normals and Dirichlet
 * draws, for one thread. */
struct ns_psa_sampler {
    const struct ns_model *m;
    unsigned long seed;
    gsl_rng *rng;
    double *z;
};

struct ns_psa_sampler *
ns_psa_sampler_alloc(const struct ns_model *m, unsigned long seed)
{
    struct ns_psa_sampler *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    size_t nz = m->n_uncertain + 1;
    for (size_t g = 0; g < m->n_dirichlet; g++)
        if (m->dirichlet[g].n + 1 > nz)
            nz = m->dirichlet[g].n + 1;
    s->m = m;
    s->seed = seed;
    s->rng = gsl_rng_alloc(NS_PSA_RNG);
    s->z = malloc(nz * sizeof *s->z);
    if (!s->rng || !s->z) {
        ns_psa_sampler_free(s);
        return NULL;
    }
    return s;
}

void
ns_psa_sampler_free(struct ns_psa_sampler *s)
{
    if (!s)
        return;
    gsl_rng_free(s->rng);
    free(s->z);
    free(s);
}

/* Each parameter's value from the normals of a Gaussian copula:
 * correlated normals, through the normal CDF to uniforms, through each
 * parameter's quantile function. */
static void
sample_correlated(struct ns_psa_sampler *s, double *override, double *sampled)
{
    const struct ns_model *m = s->m;
    size_t U = m->n_uncertain;
    for (size_t i = 0; i < U; i++)
        s->z[i] = gsl_ran_gaussian(s->rng, 1.0);
    for (size_t i = 0; i < U; i++) {
        double x = 0.0;
        for (size_t j = 0; j <= i; j++)
            x += m->correlation[i * U + j] * s->z[j];
        const struct ns_uncertain_param *u = &m->uncertain[i];
        double v = u->has_dist
                       ? ns_dist_quantile(&u->dist, gsl_cdf_ugaussian_P(x))
                       : NS_NAN;
        override[u->param] = v;
        sampled[i] = v;
    }
}

long
ns_psa_sample(struct ns_psa_sampler *s, size_t draw, double *override,
              double *sampled)
{
    const struct ns_model *m = s->m;
    gsl_rng *rng = s->rng;
    gsl_rng_set(rng, ns_psa_draw_seed(s->seed, draw));
    size_t U = m->n_uncertain;
    if (m->correlation) {
        sample_correlated(s, override, sampled);
    } else {
        for (size_t i = 0; i < U; i++) {
            const struct ns_uncertain_param *u = &m->uncertain[i];
            double v =
                u->has_dist ? ns_dist_sample(&u->dist, rng) : NS_NAN;
            override[u->param] = v;
            sampled[i] = v;
        }
    }
    for (size_t g = 0; g < m->n_dirichlet; g++) {
        const struct ns_dirichlet_group *dg = &m->dirichlet[g];
        gsl_ran_dirichlet(rng, dg->n, dg->alpha, s->z);
        for (size_t i = 0; i < dg->n; i++)
            override[dg->param[i]] = s->z[i];
    }
    for (size_t i = 0; i < U; i++)
        if (m->uncertain[i].has_dist && !isfinite(sampled[i]))
            return (long)i;
    return -1;
}

/* Samples draw's parameter values into override and into the block's
 * sampled values. */
static long
sample_draw(struct worker *w, size_t draw, double *override)
{
    size_t U = w->pop->models[0]->n_uncertain;
    double *sampled = &w->job->params[(draw - w->job->first) * U];
    return ns_psa_sample(w->sampler, draw, override, sampled);
}

/* Writes the results of draws first .. first + n - 1 (n <= LANES), from
 * their pooled runs, into their slots of psa. */
static void
record_draws(struct worker *w, size_t first, size_t n,
             const struct ns_results *const *pooled)
{
    const struct ns_model *m = w->pop->models[0];
    size_t K = m->n_strategies, M = w->psa->n_measures;
    struct ns_ledger view[LANES], all[LANES];
    double *out[LANES], *payers[LANES], *none[LANES] = {NULL};
    for (size_t k = 0; k < K; k++) {
        for (size_t l = 0; l < n; l++) {
            out[l] = &w->job->out[((first + l - w->job->first) * K + k) * M];
            payers[l] = out[l] + NS_PSA_PAYER;
        }
        ns_ledger_totals_lanes(m, pooled, n, k, w->opt->perspective, true,
                               view, none);
        ns_ledger_totals_lanes(m, pooled, n, k, NS_ALL_PAYERS, true, all,
                               payers);
        for (size_t l = 0; l < n; l++) {
            out[l][NS_PSA_NET] = view[l].net_savings;
            out[l][NS_PSA_SAVINGS] = view[l].savings;
            out[l][NS_PSA_TREATMENT] = view[l].treatment_cost;
            struct ns_incremental inc;
            ns_results_incremental(m, pooled[l], k, true, &inc);
            out[l][NS_PSA_DELTA_COST] = inc.delta_cost;
            out[l][NS_PSA_DELTA_HEALTH] = inc.delta_health;
            double cost = NS_NAN, health = NS_NAN;
            ns_frontier_outcomes(m, pooled[l], k, &cost, &health);
            out[l][NS_PSA_COST] = cost;
            out[l][NS_PSA_HEALTH] = health;
        }
    }
}

/* Runs one draw on its own, describing any problem with the draw's
 * number. */
static enum ns_status
one_draw(struct worker *w, size_t draw)
{
    struct ns_population_scratch *s = w->scratch;
    long bad = sample_draw(w, draw, w->override[0]);
    if (bad >= 0) {
        const struct ns_model *m = w->pop->models[0];
        const struct ns_uncertain_param *u = &m->uncertain[bad];
        w->failed = draw;
        ns_diags_add_at(&w->diags, u->at,
                        "sampling %s gave %g, not a number it can take, in "
                        "draw %zu",
                        m->params[u->param].name,
                        w->job->params[(draw - w->job->first) *
                                           m->n_uncertain +
                                       (size_t)bad],
                        draw + 1);
        return NS_EMODEL;
    }
    struct ns_run_options ro = {.param_override = w->override[0]};
    size_t before = w->diags.count;
    enum ns_status st = ns_population_run_scratch(w->pop, s, &ro, &w->diags);
    if (st != NS_OK) {
        w->failed = draw;
        for (size_t i = before; i < w->diags.count; i++) {
            char *t = w->diags.items[i].text;
            size_t n = strlen(t) + 48;
            char *nt = malloc(n);
            if (nt) {
                snprintf(nt, n, "%s, in draw %zu", t, draw + 1);
                free(t);
                w->diags.items[i].text = nt;
            }
        }
        return st;
    }
    const struct ns_results *pooled = s->pooled;
    record_draws(w, draw, 1, &pooled);
    return NS_OK;
}

/* Runs draws first .. first + n - 1 (n <= LANES) together; when any of
 * them fails, runs them one by one to find which and why. Spare lanes
 * repeat the last draw. */
static enum ns_status
run_chunk(struct worker *w, size_t first, size_t n)
{
    size_t P = w->pop->models[0]->n_params;
    bool sampled = true;
    for (size_t l = 0; l < n; l++)
        sampled &= sample_draw(w, first + l, w->override[l]) < 0;
    for (size_t l = n; l < LANES; l++)
        memcpy(w->override[l], w->override[n - 1], P * sizeof(double));
    if (sampled &&
        ns_population_run_lanes(w->pop, w->lanes,
                                (const double *const *)w->override) ==
        NS_OK) {
        record_draws(w, first, n,
                     (const struct ns_results *const *)w->lanes->pooled);
        return NS_OK;
    }
    for (size_t l = 0; l < n; l++) {
        enum ns_status st = one_draw(w, first + l);
        if (st != NS_OK)
            return st;
    }
    return NS_OK;
}

/* Allocates a worker's generator and scratch; false when out of memory
 * (worker_free cleans up either way). */
static bool
worker_init(struct worker *w)
{
    const struct ns_model *m = w->pop->models[0];
    w->sampler = ns_psa_sampler_alloc(m, w->opt->seed);
    for (size_t l = 0; l < LANES; l++) {
        w->override[l] = malloc((m->n_params + 1) * sizeof(double));
        if (!w->override[l])
            return false;
        for (size_t i = 0; i < m->n_params; i++)
            w->override[l][i] = NS_NAN;
    }
    w->scratch = ns_population_scratch_alloc(w->pop);
    w->lanes = ns_population_lanes_alloc(w->pop, LANES);
    return w->sampler && w->scratch && w->lanes;
}

static void
worker_free(struct worker *w)
{
    ns_psa_sampler_free(w->sampler);
    for (size_t l = 0; l < LANES; l++)
        free(w->override[l]);
    ns_population_lanes_free(w->lanes);
    ns_population_scratch_free(w->scratch);
    ns_diags_clear(&w->diags);
}

/* Runs chunks of the current block until none is left. */
static void *
work(void *arg)
{
    struct worker *w = arg;
    struct job *job = w->job;
    for (;;) {
        if (w->opt->cancel && atomic_load(w->opt->cancel)) {
            w->status = NS_EMODEL;
            break;
        }
        size_t d = job->first + atomic_fetch_add(&job->next, 1) * LANES;
        if (d >= job->end)
            break;
        size_t n = job->end - d < LANES ? job->end - d : LANES;
        w->status = run_chunk(w, d, n);
        if (w->status != NS_OK)
            break;
        if (w->reports_progress && w->opt->progress)
            w->opt->progress(w->opt->progress_ctx, d + n, w->opt->n_draws);
        if (w->polls)
            w->opt->share->poll(w->opt->share->ctx);
    }
    return NULL;
}

/* Starts the other threads on job; returns how many started. */
static size_t
start_threads(struct worker *w, pthread_t *threads, size_t T)
{
    for (size_t t = 1; t < T; t++)
        if (pthread_create(&threads[t], NULL, work, &w[t]) != 0)
            return t - 1;
    return T - 1;
}

/* The first failure of the block's workers. */
static enum ns_status
block_status(const struct worker *w, size_t T)
{
    for (size_t t = 0; t < T; t++)
        if (w[t].status != NS_OK)
            return w[t].status;
    return NS_OK;
}

/* Moves the diagnostics of the earliest draw that failed into diags.
 * Chunks are taken in draw order and a thread stops at its first failing
 * draw, so that draw is the first failing one of the whole run, whatever
 * the number of threads: the report does not depend on -j. */
static void
gather_diags(struct worker *w, size_t T, struct ns_diags *diags)
{
    size_t first = T;
    for (size_t t = 0; t < T; t++)
        if (w[t].failed != SIZE_MAX &&
            (first == T || w[t].failed < w[first].failed))
            first = t;
    for (size_t t = 0; t < T; t++) {
        for (size_t i = 0; t == first && i < w[t].diags.count; i++)
            ns_diags_addf(diags, w[t].diags.items[i].file,
                          w[t].diags.items[i].line, "%s",
                          w[t].diags.items[i].text);
        ns_diags_clear(&w[t].diags);
    }
}

/* Summarises the block in job and hands it to the caller's callback. */
static enum ns_status
hand_on(struct ns_psa *psa, const struct ns_psa_options *opt,
        const struct job *job)
{
    psa->block = job->out;
    psa->block_first = job->first;
    ns_psa_add_block(psa, job->end - job->first);
    if (!opt->on_draws)
        return NS_OK;
    return opt->on_draws(opt->draws_ctx, psa, job->first,
                         job->end - job->first, job->params);
}

/* The block of job, as a share (psa.h) hands it on. */
static struct ns_psa_block
job_block(const struct ns_psa *psa, const struct job *job)
{
    size_t n = job->end - job->first;
    return (struct ns_psa_block){job->first, n, job->out,
                                 n * psa->n_strategies * psa->n_measures,
                                 job->params, n * psa->n_uncertain};
}

/* Runs job's block on the T workers. While the other threads start it,
 * the calling thread first hands on the block before (done: summaries,
 * the draws file), then joins them: summarising costs no running time on
 * two or more cores. */
static enum ns_status
run_block(struct worker *w, pthread_t *threads, size_t T,
          struct ns_psa *psa, const struct ns_psa_options *opt,
          struct job *job, const struct job *done)
{
    for (size_t t = 0; t < T; t++) {
        w[t].job = job;
        w[t].status = NS_OK;
    }
    size_t started = start_threads(w, threads, T);
    enum ns_status before = done ? hand_on(psa, opt, done) : NS_OK;
    work(&w[0]);
    for (size_t t = 1; t <= started; t++)
        pthread_join(threads[t], NULL);
    enum ns_status st = started < T - 1 ? NS_ENOMEM : block_status(w, T);
    return st == NS_OK ? before : st;
}

/* Rank 0 of a share: takes the block another rank ran, after handing on
 * the one before. */
static enum ns_status
receive_block(struct ns_psa *psa, const struct ns_psa_options *opt,
              size_t owner, struct job *job, const struct job *done,
              struct ns_diags *diags)
{
    enum ns_status st = done ? hand_on(psa, opt, done) : NS_OK;
    struct ns_psa_block b = job_block(psa, job);
    if (st == NS_OK)
        st = opt->share->receive(opt->share->ctx, owner, &b, diags);
    if (st == NS_OK && opt->progress)
        opt->progress(opt->progress_ctx, job->end, opt->n_draws);
    return st;
}

/* A rank above 0 of a share: hands its block on to rank 0, with the
 * diagnostics of the failing draw when it failed. */
static enum ns_status
send_block(struct worker *w, size_t T, const struct ns_psa *psa,
           const struct ns_psa_options *opt, const struct job *job,
           enum ns_status st, struct ns_diags *diags)
{
    struct ns_diags failed = {0};
    if (st != NS_OK)
        gather_diags(w, T, &failed);
    struct ns_psa_block b = job_block(psa, job);
    enum ns_status sent = opt->share->send(opt->share->ctx, &b, st, &failed);
    for (size_t i = 0; i < failed.count; i++)
        ns_diags_addf(diags, failed.items[i].file, failed.items[i].line,
                      "%s", failed.items[i].text);
    ns_diags_clear(&failed);
    return st == NS_OK ? sent : st;
}

/* Runs the blocks in turn on T threads; with a share, this rank's blocks
 * only, rank 0 taking the others' in draw order. Two sets of block
 * buffers take turns. */
static enum ns_status
run_draws(struct ns_population *pop, const struct ns_psa_options *opt,
          struct ns_psa *psa, struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    size_t T = opt->n_threads ? opt->n_threads : 1;
    size_t per_block = BLOCK * psa->n_strategies * psa->n_measures;
    size_t R = opt->share ? opt->share->n_ranks : 1;
    size_t rank = opt->share ? opt->share->rank : 0;
    struct worker *w = calloc(T, sizeof *w);
    pthread_t *threads = calloc(T, sizeof *threads);
    struct job jobs[2] = {{0}, {0}};
    jobs[0].out = psa->block;
    jobs[1].out = malloc((per_block + 1) * sizeof(double));
    for (int i = 0; i < 2; i++)
        jobs[i].params = malloc((BLOCK * m->n_uncertain + 1) * sizeof(double));
    enum ns_status st = w && threads && jobs[1].out && jobs[0].params &&
                                jobs[1].params
                            ? NS_OK
                            : NS_ENOMEM;
    for (size_t t = 0; w && t < T; t++) {
        w[t] = (struct worker){.pop = pop, .opt = opt, .psa = psa,
                               .reports_progress = t == 0 && rank == 0,
                               .polls = t == 0 && opt->share &&
                                        opt->share->poll,
                               .failed = SIZE_MAX};
        if (st == NS_OK && !worker_init(&w[t]))
            st = NS_ENOMEM;
    }
    struct job *done = NULL;
    for (size_t b = 0, first = 0; st == NS_OK && first < opt->n_draws;
         b++, first += BLOCK) {
        size_t owner = b % R;
        if (owner != rank && rank != 0)
            continue;
        struct job *job = &jobs[b % 2];
        job->first = first;
        job->end = first + BLOCK < opt->n_draws ? first + BLOCK
                                                : opt->n_draws;
        atomic_store(&job->next, 0);
        if (owner != rank)
            st = receive_block(psa, opt, owner, job, done, diags);
        else
            st = run_block(w, threads, T, psa, opt, job, done);
        if (rank != 0)
            st = send_block(w, T, psa, opt, job, st, diags);
        else
            done = job;
    }
    if (st == NS_OK && done)
        st = hand_on(psa, opt, done);
    if (w)
        gather_diags(w, T, diags);
    for (size_t t = 0; w && t < T; t++)
        worker_free(&w[t]);
    /* psa keeps (and frees) whichever buffer it holds now. */
    free(psa->block == jobs[0].out ? jobs[1].out : jobs[0].out);
    for (int i = 0; i < 2; i++)
        free(jobs[i].params);
    free(w);
    free(threads);
    return st;
}

enum ns_status
ns_psa_run(struct ns_population *pop, const struct ns_psa_options *opt,
           struct ns_psa **out, struct ns_diags *diags)
{
    *out = NULL;
    const struct ns_model *m = pop->models[0];
    size_t n_dist = 0;
    for (size_t i = 0; i < m->n_uncertain; i++)
        n_dist += m->uncertain[i].has_dist;
    n_dist += m->n_dirichlet;
    if (n_dist == 0) {
        ns_diags_addf(diags, NULL, 0,
                      "no parameter has a distribution: add [uncertainty] "
                      "to the model");
        return NS_EPARAM;
    }
    struct ns_psa *psa = ns_psa_alloc(m, opt->n_draws, BLOCK);
    if (!psa)
        return NS_ENOMEM;
    enum ns_status st = run_draws(pop, opt, psa, diags);
    if (st == NS_EMODEL && opt->cancel && atomic_load(opt->cancel))
        ns_diags_addf(diags, NULL, 0, "stopped before all draws were run");
    if (st != NS_OK) {
        ns_psa_free(psa);
        return st;
    }
    *out = psa;
    return NS_OK;
}

size_t
ns_psa_ceac_points(const struct ns_model *m)
{
    if (!(m->wtp_step > 0.0) || !(m->wtp_max > 0.0))
        return 0;
    /* The small allowance keeps wtp_max itself when the division is a
     * hair below a whole number. */
    return (size_t)floor(m->wtp_max / m->wtp_step + 1e-9) + 1;
}

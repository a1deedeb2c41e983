/* netsave: probabilistic sensitivity analysis.
 *
 * Each draw samples every parameter that has a distribution
 * (model/uncertainty.h) and runs the whole population with those values.
 * The random numbers of draw i come from a generator seeded from (seed, i)
 * alone, and every draw's results are stored at index i of its block, so
 * the results are bit-identical whatever the number of threads and the
 * order in which threads finish. Summaries are updated block by block, in
 * draw order, so memory stays flat however many draws are run.
 *
 * Draws run in blocks; after each block a callback sees that block's
 * draws in order, with the sampled parameter values, which are kept for
 * one block only: a caller writing draw-level files streams them, and
 * memory does not grow with the sampled values of every draw. */
#ifndef NS_ANALYSIS_PSA_H
#define NS_ANALYSIS_PSA_H

#include <stdbool.h>
#include <stdatomic.h>
#include <stddef.h>

#include "model/diag.h"
#include "model/netsave.h"
#include "model/population.h"

struct ns_psa;

/* Called from the calling thread, in draw order, after each block: draws
 * [first, first + n) are in psa, and params holds their sampled values,
 * [(draw - first) * psa->n_uncertain + i] (NaN for a parameter with a
 * range but no distribution). Anything but NS_OK stops the run, and
 * ns_psa_run returns it. */
typedef enum ns_status ns_psa_draws_fn(void *ctx, const struct ns_psa *psa,
                                       size_t first, size_t n,
                                       const double *params);

/* netsave psa's limits: -n up to a hundred million draws (a long night on
 * a large model; the summaries hold every draw's values), -j up to 256
 * threads. */
#define NS_PSA_MAX_DRAWS 100000000
#define NS_PSA_MAX_THREADS 256

/* Samples PSA draws as ns_psa_run does: draw i of seed s has the same
 * values here as in a psa run with seed s, so another analysis (netsave
 * benchmark's total) can run over the same draws. One per thread. */
struct ns_psa_sampler;
struct ns_psa_sampler *ns_psa_sampler_alloc(const struct ns_model *m,
                                            unsigned long seed);
void ns_psa_sampler_free(struct ns_psa_sampler *s);
/* Fills override ([n_params]: sets each sampled parameter, leaves the rest)
 * and sampled ([n_uncertain]: NaN for a parameter with no distribution)
 * with draw's values. Returns -1, or the index into the model's uncertain
 * parameters of one whose distribution gave no number. */
long ns_psa_sample(struct ns_psa_sampler *s, size_t draw, double *override,
                   double *sampled);

/* A block of draws handed between processes: draws [first, first + n),
 * their results laid out as ns_psa's block (n_values doubles) and their
 * sampled values as ns_psa_draws_fn's params (n_params doubles). */
struct ns_psa_block {
    size_t first, n;
    double *values;
    size_t n_values;
    double *params;
    size_t n_params;
};

/* A PSA shared by several processes, whatever carries the blocks between
 * them (cli/mpi.c does it over MPI; the library knows nothing of it).
 * Block b (draws b * NS_PSA_BLOCK onwards) is run by the process of rank
 * b % n_ranks. Rank 0 takes every block in draw order, its own as it runs
 * them and the others' from receive, and summarises them exactly as one
 * process does, so every figure is the same bytes for any n_ranks and any
 * number of threads. Other ranks summarise nothing: their ns_psa_run
 * returns NS_OK with an empty result, to be ignored. */
struct ns_psa_share {
    size_t rank, n_ranks;
    /* Rank > 0, after each of its blocks, with the block's status (on a
     * failure, diags name the failing draw, the block's first). Anything
     * but NS_OK returned stops this rank (rank 0 has stopped). */
    enum ns_status (*send)(void *ctx, const struct ns_psa_block *b,
                           enum ns_status st, const struct ns_diags *diags);
    /* Rank 0: fills b's values and params with the block that rank `from`
     * ran; returns its status, with the failing draw's diagnostics added
     * to diags. */
    enum ns_status (*receive)(void *ctx, size_t from, struct ns_psa_block *b,
                              struct ns_diags *diags);
    /* Or NULL. Called from the calling thread between its chunks of
     * draws, so a transport without a progress thread of its own can move
     * a block sent while the next one runs. */
    void (*poll)(void *ctx);
    void *ctx;
};

/* Draws per block (the unit shared between processes). */
#define NS_PSA_BLOCK 1024

struct ns_psa_options {
    size_t n_draws;
    unsigned long seed;
    size_t n_threads;         /* at least 1 */
    long perspective;         /* of net savings, or NS_ALL_PAYERS */
    /* Set to nonzero (from a signal handler, or another thread) to stop
     * early: the run then returns NS_EMODEL with a "stopped" diagnostic.
     * Atomic, as the worker threads read it while it may be set; a
     * lock-free atomic may be stored from a signal handler. */
    const atomic_int *cancel;
    /* Called now and then from one thread with the draws done so far. */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *progress_ctx;
    ns_psa_draws_fn *on_draws; /* or NULL */
    void *draws_ctx;
    const struct ns_psa_share *share; /* NULL: this process runs all */
};

/* What a draw gives for each strategy with a comparator (NaN for the
 * others): measure m of strategy k. The payers' savings follow the fixed
 * measures, NS_PSA_PAYER + payer. */
enum ns_psa_measure {
    NS_PSA_NET = 0,      /* net savings, discounted, over the perspective */
    NS_PSA_SAVINGS,      /* savings, same basis */
    NS_PSA_TREATMENT,    /* treatment cost, same basis */
    NS_PSA_DELTA_COST,   /* cost outcome, strategy minus comparator, disc. */
    NS_PSA_DELTA_HEALTH, /* health outcome, same (NaN without one) */
    NS_PSA_COST,         /* cost outcome, discounted: every strategy's own,
                            comparator or not (NaN without one) */
    NS_PSA_HEALTH,       /* health outcome, same */
    NS_PSA_PAYER         /* + p: what payer p saves, all payers' view */
};

enum {
    /* Draws kept exactly, per strategy and measure: up to this many the
     * 2.5% and 97.5% points are exact and the histogram's range is that of
     * every draw; beyond, the points are P-square estimates (GSL's
     * gsl_rstat_quantile), the histogram keeps the range of the kept
     * draws (later draws outside it count in the end bins), and memory no
     * longer grows with the number of draws. Means, shares, EVPI and the
     * acceptability curve are exact sums over every draw. */
    NS_PSA_KEPT = 10000,
    NS_PSA_BINS = 20     /* histogram bins of net savings */
};

struct ns_psa_summary;

/* The draws' results, summarised as they arrive in draw order. */
struct ns_psa {
    size_t n_draws, n_strategies, n_payers, n_uncertain;
    size_t n_measures;    /* NS_PSA_PAYER + n_payers */
    size_t n_added;       /* draws summarised so far */
    /* The block of draws being run, and handed to on_draws:
     * block[((draw - block_first) * n_strategies + k) * n_measures + m]. */
    double *block;
    size_t block_first, block_size;
    struct ns_psa_summary *sum; /* private (model/psa_summary.c) */
};

/* Measure m of strategy k in draw (of the current block). */
static inline double
ns_psa_value(const struct ns_psa *psa, size_t draw, size_t k, size_t m)
{
    return psa->block[((draw - psa->block_first) * psa->n_strategies + k) *
                          psa->n_measures +
                      m];
}

/* A PSA of n_draws for model m, summarised as draws are added; block_size
 * draws can be held at once. NULL when out of memory. */
struct ns_psa *ns_psa_alloc(const struct ns_model *m, size_t n_draws,
                            size_t block_size);

/* Adds the draws of the current block in order to the summaries. */
void ns_psa_add_block(struct ns_psa *psa, size_t n);

/* Runs the draws. Safe under any GSL error handler (model/netsave.h);
 * the quantiles [correlation] needs are solved on the CDF, as GSL's
 * inverse CDFs fail to converge in the tails of skewed distributions. A
 * sampled value that is still not a number fails that draw, named.
 * Returns NS_OK with *out allocated (free with ns_psa_free), NS_EPARAM
 * when the model has no distributions, NS_EMODEL when a draw could not be
 * run (its diagnostics say which draw and why) or the run was cancelled,
 * or NS_ENOMEM. */
enum ns_status ns_psa_run(struct ns_population *pop,
                          const struct ns_psa_options *opt,
                          struct ns_psa **out, struct ns_diags *diags);
void ns_psa_free(struct ns_psa *psa);

/* The seed of draw i's generator: a bijection of (a mix of seed) + i, so
 * that draws below 2^32 never share a generator's 32-bit seed and
 * neighbouring draws and seeds give unrelated streams. */
unsigned long ns_psa_draw_seed(unsigned long seed, size_t draw);

/* Summary of one measure over the draws (NaN draws are skipped). */
struct ns_psa_stat {
    double mean, low, high; /* mean and the 2.5% and 97.5% points */
    double prob_positive;   /* share of draws above 0 */
    double evpi;            /* E[max(0, x)] - max(0, E[x]): for net
                               savings, the expected value of perfect
                               information about treating or not */
};
/* Strategy k's summary of measure m; NaN throughout when no draw has it.
 * NS_ENOMEM when the exact points could not be sorted. */
enum ns_status ns_psa_stat(const struct ns_psa *psa, size_t k, size_t m,
                           struct ns_psa_stat *out);

/* The first draws of measure m of strategy k, in draw order (at most
 * NS_PSA_KEPT); *n says how many. */
const double *ns_psa_kept(const struct ns_psa *psa, size_t k, size_t m,
                          size_t *n);

/* The histogram of net savings of strategy k: NS_PSA_BINS bins of equal
 * width from *lo, one range for every strategy with a comparator. */
void ns_psa_histogram(const struct ns_psa *psa, size_t k, double *lo,
                      double *width, size_t counts[NS_PSA_BINS]);

/* The acceptability curve's points: the model's wtp_step up to wtp_max
 * (0 when the model sets no grid). */
size_t ns_psa_ceac_points(const struct ns_model *m);

/* The share of draws in which strategy k is cost-effective against its
 * comparator at point i of the curve (willingness to pay *wtp): NaN when
 * no draw has both increments. */
double ns_psa_ceac(const struct ns_model *m, const struct ns_psa *psa,
                   size_t k, size_t i, double *wtp);

/* Which strategy is optimal, over all strategies (the frontier's view,
 * model/analysis/frontier.h): in each draw, the strategy with the highest
 * net monetary benefit wtp * health - cost, ties going to the strategy
 * first in the model, at each point: the acceptability curve's grid, with
 * the model's wtp added in order when it is set and not on the grid. No
 * points without a cost and a health outcome. A draw counts when every
 * strategy has both outcomes. */
size_t ns_psa_optimal_points(const struct ns_psa *psa);

/* The share of draws in which strategy k is optimal at point i
 * (willingness to pay *wtp); NaN when no draw counted. */
double ns_psa_optimal(const struct ns_psa *psa, size_t k, size_t i,
                      double *wtp);

/* Strategy k's expected net monetary benefit at wtp: wtp times its mean
 * health outcome minus its mean cost outcome over the draws. */
double ns_psa_expected_nmb(const struct ns_psa *psa, size_t k, double wtp);

/* The acceptability frontier at point i: the strategy with the highest
 * expected net monetary benefit (ties: the first in the model). */
size_t ns_psa_frontier_strategy(const struct ns_psa *psa, size_t i);

#endif

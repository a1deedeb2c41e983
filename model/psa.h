/* netsave: probabilistic sensitivity analysis.
 *
 * Each draw samples every parameter that has a distribution
 * (model/uncertainty.h) and runs the whole population with those values.
 * The random numbers of draw i come from a generator seeded from (seed, i)
 * alone, and every draw's results are stored at index i, so the results
 * are bit-identical whatever the number of threads and the order in which
 * threads finish. Summaries are computed afterwards in draw order.
 *
 * Draws run in blocks; after each block a callback sees that block's
 * draws in order, with the sampled parameter values, which are kept for
 * one block only: a caller writing draw-level files streams them, and
 * memory does not grow with the sampled values of every draw. */
#ifndef NS_MODEL_PSA_H
#define NS_MODEL_PSA_H

#include <signal.h>
#include <stdbool.h>
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

struct ns_psa_options {
    size_t n_draws;
    unsigned long seed;
    size_t n_threads;         /* at least 1 */
    long perspective;         /* of net savings, or NS_ALL_PAYERS */
    /* Set to nonzero (from a signal handler) to stop early: the run then
     * returns NS_EIO-free NS_EMODEL with a "stopped" diagnostic. */
    const volatile sig_atomic_t *cancel;
    /* Called now and then from one thread with the draws done so far. */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *progress_ctx;
    ns_psa_draws_fn *on_draws; /* or NULL */
    void *draws_ctx;
};

/* What every draw gave, for the strategies with a comparator (others are
 * NaN). Arrays are [draw * n_strategies + k]. */
struct ns_psa {
    size_t n_draws, n_strategies, n_payers, n_uncertain;
    double *net;          /* net savings, discounted, over the perspective */
    double *savings;      /* savings, same basis */
    double *treatment;    /* treatment cost, same basis */
    double *delta_cost;   /* cost outcome, strategy minus comparator, disc. */
    double *delta_health; /* health outcome, same (NaN without one) */
    double *by_payer;     /* [(draw * n_strategies + k) * n_payers + p] */
};

/* Runs the draws. Returns NS_OK with *out allocated (free with
 * ns_psa_free), NS_EPARAM when the model has no distributions, NS_EMODEL
 * when a draw could not be run (its diagnostics say which draw and why)
 * or the run was cancelled, or NS_ENOMEM. */
enum ns_status ns_psa_run(struct ns_population *pop,
                          const struct ns_psa_options *opt,
                          struct ns_psa **out, struct ns_diags *diags);
void ns_psa_free(struct ns_psa *psa);

/* The seed of draw i's generator: a mix of seed and i (splitmix64), so
 * neighbouring draws and seeds give unrelated streams. */
unsigned long ns_psa_draw_seed(unsigned long seed, size_t draw);

/* Summary of one quantity over the draws (NaN draws are skipped). */
struct ns_psa_stat {
    double mean, low, high; /* mean and the 2.5% and 97.5% points */
    double prob_positive;   /* share of draws above 0 */
};
/* The acceptability curve's points: the model's wtp_step up to wtp_max
 * (0 when the model sets no grid). */
size_t ns_psa_ceac_points(const struct ns_model *m);

/* The share of draws in which strategy k is cost-effective against its
 * comparator at point i of the curve (willingness to pay *wtp): NaN when
 * no draw has both increments. */
double ns_psa_ceac(const struct ns_model *m, const struct ns_psa *psa,
                   size_t k, size_t i, double *wtp);

enum ns_status ns_psa_summarise(const double *values, size_t n,
                                size_t stride, struct ns_psa_stat *out);

#endif

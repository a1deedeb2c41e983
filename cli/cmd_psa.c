/* netsave psa: draws, summaries, files; Ctrl-C or SIGTERM stops cleanly. */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "model/jit.h"
#include "cli/mpi.h"
#include "model/analysis/evppi.h"
#include "model/analysis/psa.h"

/* Set by the SIGINT and SIGTERM handler: the PSA stops at the next draw.
 * SIGTERM is what `timeout` and batch schedulers send, so it stops as
 * cleanly as Ctrl-C rather than leave the draws' temporary file. A signal
 * handler can only reach a file-scope object; a lock-free atomic may be
 * stored from one, and the worker threads read it without a race. */
static atomic_int interrupted;

static void
on_interrupt(int sig)
{
    (void)sig;
    atomic_store(&interrupted, 1);
}

/* The previous dispositions, restored once the draws are done. */
struct stop_signals {
    struct sigaction old_int, old_term;
};

static void
stop_signals_catch(struct stop_signals *s)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &s->old_int);
    sigaction(SIGTERM, &sa, &s->old_term);
}

static void
stop_signals_restore(const struct stop_signals *s)
{
    sigaction(SIGINT, &s->old_int, NULL);
    sigaction(SIGTERM, &s->old_term, NULL);
}

struct progress {
    time_t start;
};

static void
show_progress(void *ctx, size_t done, size_t total)
{
    const struct progress *p = ctx;
    double elapsed = difftime(time(NULL), p->start);
    double left = done ? elapsed * (double)(total - done) / (double)done : 0;
    int width = 30, filled = (int)((double)width * (double)done /
                                   (double)total);
    fprintf(stderr, "\r[%.*s%*s] %zu/%zu draws, %.0f s left   ", filled,
            "##############################", width - filled, "", done, total,
            left);
}

/* The draws file being streamed, and whether a write to it failed: the
 * PSA then stops with NS_EIO, which alone would not name the file. */
struct draws_sink {
    struct ns_csv_draws *draws;
    bool failed;
};

/* ns_psa_draws_fn: streams a block of draws into psa_draws.csv. */
static enum ns_status
write_draws(void *ctx, const struct ns_psa *psa, size_t first, size_t n,
            const double *params)
{
    struct draws_sink *sink = ctx;
    enum ns_status st = ns_csv_draws_write(sink->draws, psa, first, n, params);
    if (st != NS_OK)
        sink->failed = true;
    return st;
}

/* What each block of draws goes to: the draws file, and the sampled
 * values EVPPI regresses on. */
struct block_sinks {
    struct draws_sink draws;
    struct ns_evppi_draws *evppi; /* or NULL */
};

/* ns_psa_draws_fn: hands a block to each sink. */
static enum ns_status
take_block(void *ctx, const struct ns_psa *psa, size_t first, size_t n,
           const double *params)
{
    struct block_sinks *s = ctx;
    if (s->evppi)
        (void)ns_evppi_draws_add(s->evppi, psa, first, n, params);
    if (!s->draws.draws)
        return NS_OK;
    return write_draws(&s->draws, psa, first, n, params);
}

/* Drops the draws file after a failed PSA. After a failed write (a full
 * disk, ulimit -f), ns_csv_draws_commit refuses to commit and says which
 * file and why; returns whether it said so. */
static bool
drop_draws(struct draws_sink *sink)
{
    if (!sink->failed) {
        ns_csv_draws_abort(sink->draws);
        return false;
    }
    char err[512];
    if (ns_csv_draws_commit(sink->draws, err, sizeof err) == NS_OK)
        return false; /* not reached: a failed write is never committed */
    fprintf(stderr, "netsave psa: %s\n", err);
    return true;
}

static void
print_psa(const struct ns_cli_args *a, const struct ns_model *m,
          const struct ns_psa *result, long view)
{
    printf("Probabilistic analysis: %lu draws, seed %lu; net savings per "
           "client, discounted, %s\n",
           a->n_draws, a->seed, ns_cli_perspective_name(m, view));
    printf("%-16s %14s %14s %14s %12s\n", "strategy", "mean", "2.5%",
           "97.5%", "P(net > 0)");
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        struct ns_psa_stat stat;
        /* Out of memory leaves only the interval NaN, which prints. */
        (void)ns_psa_stat(result, k, NS_PSA_NET, &stat);
        printf("%-16s %14.2f %14.2f %14.2f %12.4f\n", m->strategies[k].name,
               stat.mean, stat.low, stat.high, stat.prob_positive);
    }
}

/* The rows of the printed EVPPI table: the groups, then this many of
 * the parameters, those with the largest EVPPI for any strategy. */
enum { TOP_PARAMETERS = 10 };

static void
print_evppi_row(const struct ns_model *m, const struct ns_evppi *e,
                size_t s, size_t at)
{
    printf("%-28s %-9s",
           s == e->n_subjects ? "(all parameters: EVPI)" : e->subjects[s].name,
           s == e->n_subjects    ? ""
           : e->subjects[s].group ? "group"
                                  : "parameter");
    for (size_t k = 0; k < m->n_strategies; k++) {
        double v = ns_evppi_at(e, s, k, at);
        if (m->comparator[k] < 0)
            continue;
        if (isnan(v))
            printf(" %12s", "-");
        else
            printf(" %12.2f", v);
    }
    printf("\n");
}

/* Whether subject s's EVPPI on the measure is 0 for every strategy that
 * has one. */
static bool
worth_nothing(const struct ns_evppi *e, size_t s, size_t at)
{
    for (size_t k = 0; k < e->n_strategies; k++)
        if (ns_evppi_at(e, s, k, at) > 0.0)
            return false;
    return true;
}

/* The parameters of the table: the TOP_PARAMETERS worth most on the
 * measure, leaving out those worth nothing. */
static void
print_evppi_parameters(const struct ns_model *m, const struct ns_evppi *e,
                       size_t at)
{
    size_t P, shown = 0, zero = 0;
    size_t *ranked = ns_evppi_ranked(e, at, &P);
    for (size_t i = 0; ranked && i < P; i++) {
        if (worth_nothing(e, ranked[i], at))
            zero++;
        else if (shown++ < TOP_PARAMETERS)
            print_evppi_row(m, e, ranked[i], at);
    }
    free(ranked);
    if (shown > TOP_PARAMETERS)
        printf("(%zu more parameters worth less, in evppi.csv)\n",
               shown - TOP_PARAMETERS);
    if (zero > 0)
        printf("(%zu parameters worth nothing on their own for any "
               "strategy)\n",
               zero);
}

static void
print_evppi_table(const struct ns_model *m, const struct ns_evppi *e,
                  size_t at)
{
    if (at == NS_EVPPI_NET_SAVINGS)
        printf("\nEVPPI on net savings per client, discounted (%zu draws; "
               "see evppi.csv)\n",
               e->n_draws);
    else
        printf("\nEVPPI on net monetary benefit per client at a "
               "willingness to pay of %g per unit of %s, discounted\n",
               e->wtp[at], m->outcomes[m->health_outcome].name);
    printf("%-28s %-9s", "subject", "kind");
    for (size_t k = 0; k < m->n_strategies; k++)
        if (m->comparator[k] >= 0)
            printf(" %12.12s", m->strategies[k].name);
    printf("\n");
    print_evppi_row(m, e, e->n_subjects, at);
    for (size_t g = 0; g < m->n_param_groups; g++)
        print_evppi_row(m, e, g, at);
    print_evppi_parameters(m, e, at);
}

/* On net savings, and at the model's stated wtp when it has one. */
static void
print_evppi(const struct ns_model *m, const struct ns_evppi *e)
{
    print_evppi_table(m, e, NS_EVPPI_NET_SAVINGS);
    for (size_t i = 0; m->wtp > 0.0 && i < e->n_wtp; i++)
        if (!(e->wtp[i] < m->wtp) && !(e->wtp[i] > m->wtp))
            print_evppi_table(m, e, i);
    for (size_t s = 0; s < e->n_subjects; s++)
        if (e->n_draws < e->subjects[s].min_draws)
            printf("%s: needs %zu draws for its regression (-n), so is "
                   "left out\n",
                   e->subjects[s].name, e->subjects[s].min_draws);
}

/* The point of ns_psa_optimal at the model's wtp, or SIZE_MAX. */
static size_t
wtp_point(const struct ns_model *m, const struct ns_psa *result)
{
    for (size_t i = 0; m->wtp > 0.0 && i < ns_psa_optimal_points(result);
         i++) {
        double wtp;
        (void)ns_psa_optimal(result, 0, i, &wtp);
        if (!(wtp < m->wtp) && !(wtp > m->wtp))
            return i;
    }
    return SIZE_MAX;
}

/* Over all strategies at the model's wtp: expected outcomes and net
 * monetary benefit, and the chance each is optimal; the acceptability
 * frontier's strategy marked. */
static void
print_optimal(const struct ns_model *m, const struct ns_psa *result)
{
    size_t i = wtp_point(m, result);
    if (i == SIZE_MAX)
        return;
    const char *cost = m->outcomes[m->cost_outcome].name;
    const char *health = m->outcomes[m->health_outcome].name;
    printf("\nAll strategies at a willingness to pay of %g per unit of %s, "
           "discounted: net monetary benefit = %g x %s - %s; * the "
           "acceptability frontier (highest expected net monetary benefit)\n",
           m->wtp, health, m->wtp, health, cost);
    printf("%-16s %14s %14s %14s %12s\n", "strategy", cost, health,
           "expected NMB", "P(optimal)");
    size_t best = ns_psa_frontier_strategy(result, i);
    for (size_t k = 0; k < m->n_strategies; k++) {
        struct ns_psa_stat c, h;
        (void)ns_psa_stat(result, k, NS_PSA_COST, &c);
        (void)ns_psa_stat(result, k, NS_PSA_HEALTH, &h);
        double wtp, share = ns_psa_optimal(result, k, i, &wtp);
        printf("%-16s %14.2f %14.6f %14.2f %12.4f%s\n",
               m->strategies[k].name, c.mean, h.mean,
               ns_psa_expected_nmb(result, k, wtp), share,
               k == best ? " *" : "");
    }
}

/* psa_summary.csv and ceac.csv (and evppi.csv), then the draws file
 * committed last, so a failure leaves no draws file. Frees draws. */
static int
write_csv(const struct ns_cli_args *a, const struct ns_model *m,
          const struct ns_psa *result, const struct ns_evppi *evppi,
          long view, struct ns_csv_draws *draws)
{
    char err[512];
    int rc = NS_EXIT_OK;
    if (!ns_cli_ensure_dir(a->csv_dir)) {
        rc = NS_EXIT_FAILURE;
    } else if (ns_csv_write_psa(a->csv_dir, m, result, view, m->report_cohort,
                                a->set, err, sizeof err) != NS_OK ||
               (evppi && ns_csv_write_evppi(a->csv_dir, m, evppi, view,
                                            m->report_cohort, a->set, err,
                                            sizeof err) != NS_OK)) {
        fprintf(stderr, "netsave: %s\n", err);
        rc = NS_EXIT_FAILURE;
    }
    if (draws && rc == NS_EXIT_OK &&
        ns_csv_draws_commit(draws, err, sizeof err) != NS_OK) {
        fprintf(stderr, "netsave: %s\n", err);
        rc = NS_EXIT_FAILURE;
    } else if (draws && rc != NS_EXIT_OK) {
        ns_csv_draws_abort(draws);
    }
    return rc;
}

/* Under mpirun, standard error is a pipe to mpirun whatever the terminal
 * is, so NETSAVE_PROGRESS=1 asks for the bar there (rank 0's). */
static bool
wants_progress(const struct ns_cli_args *a)
{
    const char *env = getenv("NETSAVE_PROGRESS");
    return isatty(STDERR_FILENO) ||
           (a->mpi && env && strcmp(env, "1") == 0);
}

static int
run_draws(const struct ns_cli_args *a, struct ns_cli_model *cm, long view,
          struct ns_psa **result, struct ns_csv_draws **draws,
          struct ns_evppi_draws *evppi)
{
    const struct ns_model *m = cm->pop->models[0];
    struct progress prog = {time(NULL)};
    /* Ctrl-C and SIGTERM are caught from before the draws file is
     * created, so an interrupt can never leave its temporary file behind. */
    struct stop_signals sigs;
    stop_signals_catch(&sigs);
    if (a->csv_dir && a->write_draws) {
        char err[512] = ""; /* ns_cli_ensure_dir says what went wrong */
        if (!ns_cli_ensure_dir(a->csv_dir) ||
            ns_csv_draws_begin(a->csv_dir, m, draws, a->set,
                               err, sizeof err) !=
                NS_OK) {
            if (err[0])
                fprintf(stderr, "netsave: %s\n", err);
            stop_signals_restore(&sigs);
            return NS_EXIT_FAILURE;
        }
    }
    /* Every MPI rank meets here, the draws file begun, or fails. */
    if (!ns_cli_mpi_begin(a->mpi)) {
        if (*draws)
            ns_csv_draws_abort(*draws);
        *draws = NULL;
        stop_signals_restore(&sigs);
        return NS_EXIT_FAILURE;
    }
    struct block_sinks sinks = {{*draws, false}, evppi};
    struct ns_psa_options opt = {
        .n_draws = a->n_draws,
        .seed = a->seed,
        .n_threads = a->threads,
        .perspective = view,
        .cancel = &interrupted,
        .progress = wants_progress(a) ? show_progress : NULL,
        .progress_ctx = &prog,
        .on_draws = *draws || evppi ? take_block : NULL,
        .draws_ctx = &sinks,
        .share = ns_cli_mpi_psa_share(a->mpi),
    };
    enum ns_status st = ns_psa_run(cm->pop, &opt, result, &cm->diags);
    (void)ns_cli_mpi_end(a->mpi, st == NS_OK);
    stop_signals_restore(&sigs);
    if (opt.progress)
        fputc('\n', stderr);
    if (st == NS_OK)
        return NS_EXIT_OK;
    bool said = *draws && drop_draws(&sinks.draws);
    *draws = NULL;
    ns_cli_print_diags(&cm->diags);
    if (st == NS_EPARAM)
        return NS_EXIT_BAD_INPUT;
    if (!said)
        fprintf(stderr, "netsave psa: %s\n",
                atomic_load(&interrupted) ? "stopped: nothing written"
                                          : ns_strerror(st));
    return NS_EXIT_FAILURE;
}

static int
psa(const struct ns_cli_args *a, struct ns_cli_model *cm)
{
    const struct ns_model *m = cm->pop->models[0];
    long view;
    if (!ns_cli_perspective(a, m, &view))
        return NS_EXIT_BAD_INPUT;
    struct ns_psa *result = NULL;
    struct ns_csv_draws *draws = NULL;
    struct ns_evppi_draws *ev_draws =
        a->evppi ? ns_evppi_draws_alloc(m, a->n_draws) : NULL;
    if (a->evppi && !ev_draws) {
        fprintf(stderr, "netsave psa: %s\n", ns_strerror(NS_ENOMEM));
        return NS_EXIT_FAILURE;
    }
    int rc = run_draws(a, cm, view, &result, &draws, ev_draws);
    if (rc != NS_EXIT_OK || !ns_cli_mpi_root(a->mpi)) {
        ns_psa_free(result);
        ns_evppi_draws_free(ev_draws);
        return rc;
    }
    print_psa(a, m, result, view);
    print_optimal(m, result);
    struct ns_evppi *evppi = NULL;
    enum ns_status est =
        ev_draws ? ns_evppi_compute(m, result, ev_draws, &evppi) : NS_OK;
    ns_evppi_draws_free(ev_draws);
    if (est != NS_OK) {
        fprintf(stderr, "netsave psa: EVPPI: %s\n", ns_strerror(est));
        ns_psa_free(result);
        ns_csv_draws_abort(draws);
        return NS_EXIT_FAILURE;
    }
    if (evppi)
        print_evppi(m, evppi);
    if (a->csv_dir)
        rc = write_csv(a, m, result, evppi, view, draws);
    else
        ns_csv_draws_abort(draws);
    /* The workbook: the model as written, plus the PSA sheet. */
    if (rc == NS_EXIT_OK && a->output) {
        struct ns_run_info extra = {.psa = result, .psa_perspective = view,
                                    .evppi = evppi};
        rc = ns_cli_write_base_workbook(a, cm->params, cm->pop, &extra,
                                        &cm->diags);
    }
    ns_psa_free(result);
    ns_evppi_free(evppi);
    return rc;
}

int
ns_cli_psa(const struct ns_cli_args *a)
{
    if (!a->given[NS_OPT_DRAWS] || !a->given[NS_OPT_SEED]) {
        fprintf(stderr,
                "netsave psa: %s required (see netsave psa --help)\n",
                !a->given[NS_OPT_DRAWS] && !a->given[NS_OPT_SEED]
                    ? "-n DRAWS and --seed S are"
                : !a->given[NS_OPT_SEED] ? "--seed S is"
                                         : "-n DRAWS is");
        return NS_EXIT_BAD_INPUT;
    }
    struct ns_cli_model m;
    int rc = ns_cli_model_load(a, &m);
    if (rc == NS_EXIT_OK) {
        /* Ctrl-C while the model compiles stops the run as it would
         * during the draws. */
        struct stop_signals sigs;
        stop_signals_catch(&sigs);
        ns_cli_compile_native(m.pop, NS_JIT_FOR_LANES, (double)a->n_draws,
                              &interrupted);
        stop_signals_restore(&sigs);
        if (atomic_load(&interrupted)) {
            fprintf(stderr, "netsave psa: stopped: nothing written\n");
            rc = NS_EXIT_FAILURE;
        }
    }
    if (rc == NS_EXIT_OK)
        rc = psa(a, &m);
    ns_cli_model_clear(&m);
    return rc;
}

/* netsave under MPI (cli/mpi.h; docs/distributed.md).
 *
 * Messages from a rank above 0 to rank 0 come in the order of its work:
 * TAG_WORK (a block of draws, or a run's results, as doubles), and last
 * TAG_FAIL (a failure, with its diagnostics) or TAG_DONE. MPI keeps the
 * messages of one sender in order, so rank 0 reads each rank's in turn.
 * Rank 0 sends each other rank exactly one TAG_VERDICT, which that rank
 * has been waiting for since ns_cli_mpi_begin (a posted receive it tests
 * before each piece of work): a rank stops early when rank 0 has stopped,
 * and rank 0 reads what each rank still sends until its last message, so
 * no send is left unmatched and no rank waits for ever.
 *
 * Only the calling thread of each process calls MPI (MPI_THREAD_FUNNELED):
 * the PSA's threads never do. */
#include "cli/mpi.h"

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TAG_WORK = 1, TAG_FAIL, TAG_DONE, TAG_VERDICT };

struct ns_cli_mpi {
    int rank, size;
    bool met;          /* has been to the ranks' meeting */
    bool shared;       /* began a shared analysis not yet ended */
    bool failed_alone; /* this rank could not begin (ranks above 0) */
    /* Ranks above 0: */
    bool last_sent;    /* TAG_FAIL or TAG_DONE is sent */
    int verdict;       /* rank 0's: 0 went on, 1 stopped */
    MPI_Request verdict_req;
    MPI_Request send_req; /* the piece of work in flight, or NULL */
    double *send_buf;
    size_t send_cap;
    /* Rank 0: which ranks' last message has come. */
    bool *last_seen;
    struct ns_psa_share psa;
    struct ns_run_share runs;
};

static bool
launched_by_mpi(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") ||
           getenv("PMI_RANK");
}

bool
ns_cli_mpi_start(int *argc, char ***argv, struct ns_cli_mpi **out)
{
    *out = NULL;
    if (!launched_by_mpi())
        return true;
    int provided;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) !=
        MPI_SUCCESS) {
        fprintf(stderr, "netsave: MPI would not start\n");
        return false;
    }
    struct ns_cli_mpi *mpi = calloc(1, sizeof *mpi);
    if (!mpi) {
        fprintf(stderr, "netsave: out of memory\n");
        MPI_Finalize();
        return false;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &mpi->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &mpi->size);
    mpi->verdict_req = MPI_REQUEST_NULL;
    mpi->send_req = MPI_REQUEST_NULL;
    /* Rank 0 reports for all: the same messages R times would bury it. */
    if (mpi->rank > 0 && (!freopen("/dev/null", "w", stdout) ||
                          !freopen("/dev/null", "w", stderr)))
        mpi->failed_alone = true;
    *out = mpi;
    return true;
}

/* The ranks' one meeting: returns the lowest rank that could not come
 * (ok false), or size when all could. */
static int
meet(struct ns_cli_mpi *mpi, bool ok)
{
    mpi->met = true;
    int mine = ok ? mpi->size : mpi->rank, lowest = 0;
    MPI_Allreduce(&mine, &lowest, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return lowest;
}

int
ns_cli_mpi_finish(struct ns_cli_mpi *mpi, int rc)
{
    if (!mpi)
        return rc;
    /* A rank that never began meets the others here. Rank 0 comes failed
     * whatever rc says: a rank waiting in ns_cli_mpi_begin must not start
     * work that rank 0 will never take. */
    if (!mpi->met) {
        int lowest = meet(mpi, mpi->rank != 0 && rc == 0);
        mpi->failed_alone |= mpi->rank != 0 && lowest == mpi->rank;
    }
    if (mpi->shared)
        (void)ns_cli_mpi_end(mpi, false);
    bool alone = mpi->failed_alone;
    int rank = mpi->rank;
    free(mpi->send_buf);
    free(mpi->last_seen);
    free(mpi);
    MPI_Finalize();
    if (rank == 0)
        return rc;
    return alone ? 1 : 0;
}

bool
ns_cli_mpi_root(const struct ns_cli_mpi *mpi)
{
    return !mpi || mpi->rank == 0;
}

bool
ns_cli_mpi_begin(struct ns_cli_mpi *mpi)
{
    if (!mpi)
        return true;
    int lowest = meet(mpi, !mpi->failed_alone);
    if (lowest < mpi->size) {
        if (mpi->rank == 0)
            fprintf(stderr,
                    "netsave: MPI rank %d could not begin the analysis "
                    "(run it there alone to see why)\n",
                    lowest);
        /* Rank 0's own failures are its exit status; another's, this. */
        mpi->failed_alone = mpi->rank != 0 && lowest == mpi->rank;
        return false;
    }
    mpi->shared = true;
    if (mpi->rank > 0)
        MPI_Irecv(&mpi->verdict, 1, MPI_INT, 0, TAG_VERDICT, MPI_COMM_WORLD,
                  &mpi->verdict_req);
    else if (!(mpi->last_seen = calloc((size_t)mpi->size, sizeof(bool))))
        return false;
    return true;
}

/* Ranks above 0: whether rank 0 has stopped (its verdict came early). */
static bool
stopped(struct ns_cli_mpi *mpi)
{
    int came = 0;
    MPI_Test(&mpi->verdict_req, &came, MPI_STATUS_IGNORE);
    return came && mpi->verdict != 0;
}

/* Waits for rank `from`'s next message. MPI_Probe would spin a core
 * while waiting, taking it from the threads of a rank beside it (or, on a
 * shared node, anyone's); a block of draws takes far longer to run than
 * the fifth of a millisecond this sleeps between looks. */
static void
probe(int from, MPI_Status *status)
{
    int arrived = 0;
    struct timespec nap = {0, 200000};
    for (;;) {
        MPI_Iprobe(from, MPI_ANY_TAG, MPI_COMM_WORLD, &arrived, status);
        if (arrived)
            return;
        nanosleep(&nap, NULL);
    }
}

/* The same for a request: a rank's block in flight, or its verdict. */
static void
wait_quietly(MPI_Request *req)
{
    int done = 0;
    struct timespec nap = {0, 200000};
    for (;;) {
        MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (done)
            return;
        nanosleep(&nap, NULL);
    }
}

/* Ranks above 0: sends n doubles from the parts as one TAG_WORK, after
 * the one before has gone (one piece of work in flight while the next is
 * made). */
static enum ns_status
send_work(struct ns_cli_mpi *mpi, const double *a, size_t na,
          const double *b, size_t nb)
{
    if (stopped(mpi))
        return NS_EMODEL;
    wait_quietly(&mpi->send_req);
    if (na + nb > INT32_MAX)
        return NS_ENOMEM;
    if (na + nb > mpi->send_cap) {
        double *buf = realloc(mpi->send_buf, (na + nb) * sizeof *buf);
        if (!buf)
            return NS_ENOMEM;
        mpi->send_buf = buf;
        mpi->send_cap = na + nb;
    }
    memcpy(mpi->send_buf, a, na * sizeof *a);
    if (nb)
        memcpy(mpi->send_buf + na, b, nb * sizeof *b);
    MPI_Isend(mpi->send_buf, (int)(na + nb), MPI_DOUBLE, 0, TAG_WORK,
              MPI_COMM_WORLD, &mpi->send_req);
    return NS_OK;
}

/* Appends s and its terminating NUL to buf at *at (grown as needed). */
static bool
put_text(char **buf, size_t *at, size_t *cap, const char *s)
{
    size_t n = strlen(s) + 1;
    if (*at + n > *cap) {
        size_t c = 2 * (*at + n);
        char *b = realloc(*buf, c);
        if (!b)
            return false;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *at, s, n);
    *at += n;
    return true;
}

/* Ranks above 0: the failure st and its diagnostics as TAG_FAIL: the
 * status, then each diagnostic's file, line and text, each ending in
 * NUL. */
static enum ns_status
send_failure(struct ns_cli_mpi *mpi, enum ns_status st,
             const struct ns_diags *diags)
{
    char *buf = NULL, num[32];
    size_t at = 0, cap = 0;
    snprintf(num, sizeof num, "%d", (int)st);
    bool ok = put_text(&buf, &at, &cap, num);
    for (size_t i = 0; ok && i < diags->count; i++) {
        const struct ns_diag *d = &diags->items[i];
        snprintf(num, sizeof num, "%d", d->line);
        ok = put_text(&buf, &at, &cap, d->file ? d->file : "") &&
             put_text(&buf, &at, &cap, num) &&
             put_text(&buf, &at, &cap, d->text);
    }
    wait_quietly(&mpi->send_req);
    MPI_Send(ok ? buf : num, ok ? (int)at : 0, MPI_CHAR, 0, TAG_FAIL,
             MPI_COMM_WORLD);
    free(buf);
    mpi->last_sent = true;
    return st;
}

/* Rank 0: a TAG_FAIL's diagnostics, added to diags; its status. */
static enum ns_status
read_failure(const char *buf, size_t n, struct ns_diags *diags)
{
    if (n == 0 || buf[n - 1] != '\0')
        return NS_EMODEL;
    enum ns_status st = (enum ns_status)atoi(buf);
    const char *p = buf + strlen(buf) + 1, *end = buf + n;
    while (p < end) {
        const char *file = p, *line = file + strlen(file) + 1;
        if (line >= end)
            break;
        const char *text = line + strlen(line) + 1;
        if (text >= end)
            break;
        ns_diags_addf(diags, file[0] ? file : NULL, atoi(line), "%s", text);
        p = text + strlen(text) + 1;
    }
    return st == NS_OK ? NS_EMODEL : st;
}

/* Rank 0: takes the next message of rank `from`: n doubles of work into
 * a and b (na + nb), or its failure. what names the work for a rank that
 * ended early. */
static enum ns_status
receive_work(struct ns_cli_mpi *mpi, int from, double *a, size_t na,
             double *b, size_t nb, const char *what, struct ns_diags *diags)
{
    MPI_Status status;
    probe(from, &status);
    int count = 0;
    MPI_Get_count(&status, status.MPI_TAG == TAG_WORK ? MPI_DOUBLE : MPI_CHAR,
                  &count);
    if (status.MPI_TAG == TAG_WORK && (size_t)count == na + nb) {
        double *buf = malloc((na + nb + 1) * sizeof *buf);
        MPI_Recv(buf ? buf : a, buf ? count : 0, MPI_DOUBLE, from, TAG_WORK,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (!buf)
            return NS_ENOMEM;
        memcpy(a, buf, na * sizeof *a);
        if (nb)
            memcpy(b, buf + na, nb * sizeof *b);
        free(buf);
        return NS_OK;
    }
    /* Work of the wrong size is read (as doubles) and refused. */
    char *text = malloc(((size_t)count + 1) * sizeof(double));
    MPI_Recv(text, text ? count : 0, status.MPI_TAG == TAG_WORK ? MPI_DOUBLE
                                                               : MPI_CHAR,
             from, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    mpi->last_seen[from] = status.MPI_TAG != TAG_WORK;
    enum ns_status st = NS_EMODEL;
    if (status.MPI_TAG == TAG_FAIL && text)
        st = read_failure(text, (size_t)count, diags);
    else
        ns_diags_addf(diags, NULL, 0, "MPI rank %d ended before %s", from,
                      what);
    free(text);
    return st;
}

static enum ns_status
psa_send(void *ctx, const struct ns_psa_block *b, enum ns_status st,
         const struct ns_diags *diags)
{
    struct ns_cli_mpi *mpi = ctx;
    if (st != NS_OK)
        return send_failure(mpi, st, diags);
    return send_work(mpi, b->values, b->n_values, b->params, b->n_params);
}

static enum ns_status
psa_receive(void *ctx, size_t from, struct ns_psa_block *b,
            struct ns_diags *diags)
{
    char what[96];
    snprintf(what, sizeof what, "sending draws %zu to %zu", b->first + 1,
             b->first + b->n);
    return receive_work(ctx, (int)from, b->values, b->n_values, b->params,
                        b->n_params, what, diags);
}

/* Open MPI has no progress thread: a large block is sent in steps (the
 * rendezvous protocol) that move only while the sender is in MPI, so a
 * rank that sent one and went on to run the next would hold rank 0 up
 * until its next send. Testing the send between chunks moves it on. */
static void
psa_poll(void *ctx)
{
    struct ns_cli_mpi *mpi = ctx;
    int done = 0;
    if (mpi->send_req != MPI_REQUEST_NULL)
        MPI_Test(&mpi->send_req, &done, MPI_STATUS_IGNORE);
}

const struct ns_psa_share *
ns_cli_mpi_psa_share(struct ns_cli_mpi *mpi)
{
    if (!mpi || mpi->size < 2)
        return NULL;
    mpi->psa = (struct ns_psa_share){(size_t)mpi->rank, (size_t)mpi->size,
                                     psa_send, psa_receive,
                                     mpi->rank > 0 ? psa_poll : NULL, mpi};
    return &mpi->psa;
}

/* Every subgroup's results, then the pooled ones, packed in turn. */
static size_t
population_packed_size(const struct ns_population *pop)
{
    size_t n = ns_results_packed_size(pop->pooled);
    for (size_t g = 0; g < pop->n_groups; g++)
        n += ns_results_packed_size(pop->results[g]);
    return n;
}

static enum ns_status
runs_send(void *ctx, size_t i, const struct ns_population *pop,
          enum ns_status st, const struct ns_diags *diags)
{
    (void)i;
    struct ns_cli_mpi *mpi = ctx;
    if (st != NS_OK)
        return send_failure(mpi, st, diags);
    size_t n = population_packed_size(pop);
    double *buf = malloc((n + 1) * sizeof *buf), *at = buf;
    if (!buf)
        return send_failure(mpi, NS_ENOMEM, diags);
    for (size_t g = 0; g < pop->n_groups; g++) {
        ns_results_pack(pop->results[g], at);
        at += ns_results_packed_size(pop->results[g]);
    }
    ns_results_pack(pop->pooled, at);
    st = send_work(mpi, buf, n, NULL, 0);
    free(buf);
    return st;
}

static enum ns_status
runs_receive(void *ctx, size_t i, size_t from, struct ns_population *pop,
             struct ns_diags *diags)
{
    size_t n = population_packed_size(pop);
    double *buf = malloc((n + 1) * sizeof *buf);
    if (!buf)
        return NS_ENOMEM;
    char what[64];
    snprintf(what, sizeof what, "sending run %zu", i + 1);
    enum ns_status st =
        receive_work(ctx, (int)from, buf, n, NULL, 0, what, diags);
    const double *at = buf;
    for (size_t g = 0; st == NS_OK && g < pop->n_groups; g++) {
        ns_results_unpack(pop->results[g], at);
        at += ns_results_packed_size(pop->results[g]);
    }
    if (st == NS_OK)
        ns_results_unpack(pop->pooled, at);
    free(buf);
    return st;
}

const struct ns_run_share *
ns_cli_mpi_run_share(struct ns_cli_mpi *mpi)
{
    if (!mpi || mpi->size < 2)
        return NULL;
    mpi->runs = (struct ns_run_share){(size_t)mpi->rank, (size_t)mpi->size,
                                      runs_send, runs_receive, mpi};
    return &mpi->runs;
}

/* Rank 0: reads what rank r still sends, up to its last message. */
static void
drain(struct ns_cli_mpi *mpi, int r)
{
    while (!mpi->last_seen[r]) {
        MPI_Status status;
        probe(r, &status);
        MPI_Datatype type = status.MPI_TAG == TAG_WORK ? MPI_DOUBLE : MPI_CHAR;
        int count = 0;
        MPI_Get_count(&status, type, &count);
        void *buf = malloc(((size_t)count + 1) * sizeof(double));
        MPI_Recv(buf, buf ? count : 0, type, r, status.MPI_TAG,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        free(buf);
        mpi->last_seen[r] = status.MPI_TAG != TAG_WORK;
    }
}

bool
ns_cli_mpi_end(struct ns_cli_mpi *mpi, bool ok)
{
    if (!mpi || !mpi->shared)
        return ok;
    mpi->shared = false;
    if (mpi->rank == 0) {
        int verdict = ok ? 0 : 1;
        for (int r = 1; r < mpi->size; r++)
            MPI_Send(&verdict, 1, MPI_INT, r, TAG_VERDICT, MPI_COMM_WORLD);
        for (int r = 1; r < mpi->size; r++)
            drain(mpi, r);
        return ok;
    }
    if (!mpi->last_sent) {
        wait_quietly(&mpi->send_req);
        MPI_Send(NULL, 0, MPI_CHAR, 0, TAG_DONE, MPI_COMM_WORLD);
        mpi->last_sent = true;
    }
    wait_quietly(&mpi->verdict_req);
    return mpi->verdict == 0;
}

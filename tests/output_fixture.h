/* netsave tests: the fixture shared by test_output.c and test_atomic.c (a
 * hand-built model and its results, a scratch folder, files read back).
 *
 * The model is built by hand (public fields only, no compiled programs) and
 * the results are filled with high-entropy numbers that need all 17
 * significant digits, so that any rounding on the way out shows up as an
 * inequality. CSV files are parsed back with a small RFC 4180 reader and
 * every value is compared exactly. Workbooks are checked as files (a zip,
 * reproducible, no leftovers); their cells are checked by hand in Excel
 * and LibreOffice, as libxlsxwriter's own tests do with saved files.
 *
 * Atomicity is checked by making writes fail: a destination that is a
 * folder or a FIFO, a folder that does not exist, and a file-size limit
 * (setrlimit RLIMIT_FSIZE, in a child process) that makes the commit fail
 * with EFBIG half-way through a big file. */
#ifndef NS_TESTS_OUTPUT_FIXTURE_H
#define NS_TESTS_OUTPUT_FIXTURE_H

#define _GNU_SOURCE /* feenableexcept, nftw */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fenv.h>
#include <float.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/test_support.h"

#include "model/model.h"
#include "model/results.h"
#include "output/atomic.h"
#include "output/csv_write.h"
#include "output/output.h"
#include "output/xlsx_book.h"

/* Compares doubles bit for bit: a CSV number must read back as the very
 * double that was written. */
#define assert_exact(actual, expected)                                         \
    do {                                                                       \
        double a_ = (actual), e_ = (expected);                                 \
        if (memcmp(&a_, &e_, sizeof a_) != 0)                                  \
            fail_msg("%s = %.17g, expected exactly %.17g", #actual, a_, e_);   \
    } while (0)

/* ---- a hand-built model and its results ---- */

static char s_model[] = "test model";
static char s_well[] = "well", s_well_l[] = "Well";
static char s_sick[] = "sick", s_sick_l[] = "Sick, treated";
static char s_dead[] = "dead", s_dead_l[] = "Dead";
static char s_soc[] = "soc", s_soc_l[] = "Standard care";
static char s_new[] = "new", s_new_l[] = "New drug";
static char s_drug[] = "drug_costs", s_drug_l[] = "Drug costs";
static char s_qaly[] = "qalys", s_qaly_l[] = "QALYs";
static char s_costs[] = "costs";

#define N_STATES     3
#define N_STRATEGIES 2
#define N_STREAMS    2
#define N_OUTCOMES   2

struct fixture {
    struct ns_model model;
    struct ns_named states[N_STATES];
    struct ns_named strategies[N_STRATEGIES];
    long comparator[N_STRATEGIES];
    struct ns_stream_info streams[N_STREAMS];
    struct ns_outcome_info outcomes[N_OUTCOMES];
    struct ns_results *results;
    char dir[64]; /* a fresh folder for the files */
};

/* xorshift64*: a fixed sequence of doubles in [0, 1) with 53 random bits,
 * so each needs 17 significant digits to print exactly. */
static inline double
entropy(unsigned long long *state)
{
    unsigned long long x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return (double)((x * 2685821657736338717ULL) >> 11) * 0x1.0p-53;
}

/* Fills the results: a trace that sums to 1 at each time point, costs of
 * a few thousand and QALYs below one per point, the new strategy dearer
 * and better than standard care (a trade-off, so ICERs are numbers), and
 * totals that are the sums of the entries. */
static inline void
fill_results(struct fixture *f)
{
    struct ns_results *r = f->results;
    unsigned long long seed = 0x9E3779B97F4A7C15ULL;
    for (size_t k = 0; k < r->n_strategies; k++) {
        for (size_t j = 0; j < r->n_streams; j++) {
            r->total[k * r->n_streams + j] = 0.0;
            r->total_disc[k * r->n_streams + j] = 0.0;
        }
        for (size_t t = 0; t < r->n_points; t++) {
            double w[N_STATES], sum = 0.0;
            for (size_t s = 0; s < r->n_states; s++) {
                w[s] = 0.0731 + entropy(&seed);
                sum += w[s];
            }
            for (size_t s = 0; s < r->n_states; s++)
                r->trace[(k * r->n_points + t) * r->n_states + s] = w[s] / sum;
            double discount = 1.0 / pow(1.035, (double)t);
            for (size_t j = 0; j < r->n_streams; j++) {
                double base = j == 0 ? 1234.5678 + 987.654321 * (double)k
                                     : 0.61803 + 0.1414 * (double)k;
                double scale = j == 0 ? 777.777 : 0.0271828;
                double v = base + scale * entropy(&seed);
                size_t i = (k * r->n_points + t) * r->n_streams + j;
                r->values[i] = v;
                r->values_disc[i] = v * discount;
                r->total[k * r->n_streams + j] += v;
                r->total_disc[k * r->n_streams + j] += v * discount;
            }
        }
        for (size_t o = 0; o < r->n_outcomes; o++) {
            /* Stream j counts towards outcome j. */
            r->outcome_total[k * r->n_outcomes + o] =
                r->total[k * r->n_streams + o];
            r->outcome_total_disc[k * r->n_outcomes + o] =
                r->total_disc[k * r->n_streams + o];
        }
    }
}

static inline struct fixture *
make_fixture(size_t n_cycles)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->states[0] = (struct ns_named){s_well, s_well_l};
    f->states[1] = (struct ns_named){s_sick, s_sick_l};
    f->states[2] = (struct ns_named){s_dead, s_dead_l};
    f->strategies[0] = (struct ns_named){s_soc, s_soc_l};
    f->strategies[1] = (struct ns_named){s_new, s_new_l};
    f->comparator[0] = -1;
    f->comparator[1] = 0;
    f->streams[0] = (struct ns_stream_info){
        .name = s_drug, .label = s_drug_l, .outcome = 0};
    f->streams[1] = (struct ns_stream_info){
        .name = s_qaly, .label = s_qaly_l, .outcome = 1};
    f->outcomes[0] = (struct ns_outcome_info){s_costs, 0.035};
    f->outcomes[1] = (struct ns_outcome_info){s_qaly, 0.015};
    f->model = (struct ns_model){
        .name = s_model,
        .cycle_length_years = 0.25,
        .n_cycles = n_cycles,
        .counting = NS_COUNT_START,
        .discount_origin = NS_DISCOUNT_FROM_START,
        .row_sum_tolerance = NS_DEFAULT_ROW_SUM_TOLERANCE,
        .states = f->states,
        .n_states = N_STATES,
        .strategies = f->strategies,
        .n_strategies = N_STRATEGIES,
        .comparator = f->comparator,
        .streams = f->streams,
        .n_streams = N_STREAMS,
        .outcomes = f->outcomes,
        .n_outcomes = N_OUTCOMES,
        .cost_outcome = 0,
        .health_outcome = 1,
        .priv = NULL,
    };
    f->results = ns_results_alloc(&f->model);
    snprintf(f->dir, sizeof f->dir, "/tmp/ns_test_output.XXXXXX");
    if (!f->results || !mkdtemp(f->dir)) {
        ns_results_free(f->results);
        free(f);
        return NULL;
    }
    fill_results(f);
    return f;
}

static inline int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline int
setup(void **state)
{
    struct fixture *f = make_fixture(3);
    *state = f;
    return f ? 0 : -1;
}

static inline int
teardown(void **state)
{
    struct fixture *f = *state;
    nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    ns_results_free(f->results);
    free(f);
    return 0;
}

/* ---- reading files back ---- */

static char *
path_in(const struct fixture *f, const char *name)
{
    static char buf[4][256];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", f->dir, name);
    return p;
}

/* Returns the whole file (NUL-terminated, length in *len), or NULL. */
static char *
slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, fp)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(fp);
    if (!buf)
        return NULL;
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static inline void
spit(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

struct csv_row {
    char **fields;
    size_t n;
};

struct csv_table {
    struct csv_row *rows;
    size_t n_rows;
};

/* Parses RFC 4180 text: fields separated by commas, rows by "\n" (or
 * "\r\n"), quoted fields may hold commas, line breaks and doubled quotes. */
static inline struct csv_table
parse_csv(const char *text)
{
    struct csv_table t = {0};
    size_t cap_rows = 0;
    const char *p = text;
    while (*p) {
        struct csv_row row = {0};
        size_t cap_fields = 0;
        for (;;) {
            size_t cap = 16, n = 0;
            char *field = malloc(cap);
            assert_non_null(field);
            if (*p == '"') {
                for (p++;; p++) {
                    assert_true(*p != '\0'); /* unterminated quote */
                    if (*p == '"' && p[1] != '"')
                        break;
                    if (*p == '"')
                        p++;
                    if (n + 2 > cap)
                        field = realloc(field, cap *= 2);
                    assert_non_null(field);
                    field[n++] = *p;
                }
                p++;
            } else {
                for (; *p && *p != ',' && *p != '\n' && *p != '\r'; p++) {
                    if (n + 2 > cap)
                        field = realloc(field, cap *= 2);
                    assert_non_null(field);
                    field[n++] = *p;
                }
            }
            field[n] = '\0';
            if (row.n == cap_fields) {
                cap_fields = cap_fields ? cap_fields * 2 : 8;
                row.fields =
                    realloc(row.fields, cap_fields * sizeof *row.fields);
                assert_non_null(row.fields);
            }
            row.fields[row.n++] = field;
            if (*p == ',') {
                p++;
                continue;
            }
            if (*p == '\r')
                p++;
            assert_true(*p == '\n' || *p == '\0');
            if (*p == '\n')
                p++;
            break;
        }
        if (t.n_rows == cap_rows) {
            cap_rows = cap_rows ? cap_rows * 2 : 64;
            t.rows = realloc(t.rows, cap_rows * sizeof *t.rows);
            assert_non_null(t.rows);
        }
        t.rows[t.n_rows++] = row;
    }
    return t;
}

static inline void
free_csv(struct csv_table *t)
{
    for (size_t i = 0; i < t->n_rows; i++) {
        for (size_t j = 0; j < t->rows[i].n; j++)
            free(t->rows[i].fields[j]);
        free(t->rows[i].fields);
    }
    free(t->rows);
    *t = (struct csv_table){0};
}

static inline struct csv_table
read_csv(const struct fixture *f, const char *name)
{
    char *text = slurp(path_in(f, name), NULL);
    if (!text)
        fail_msg("cannot read %s", name);
    struct csv_table t = parse_csv(text);
    free(text);
    return t;
}

/* Asserts the header row, and that every row has as many fields. */
static inline void
assert_header(const struct csv_table *t, const char *const *names, size_t n)
{
    assert_true(t->n_rows >= 1);
    assert_int_equal(t->rows[0].n, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(t->rows[0].fields[i], names[i]);
    for (size_t i = 1; i < t->n_rows; i++)
        if (t->rows[i].n != n)
            fail_msg("row %zu has %zu fields, expected %zu", i, t->rows[i].n,
                     n);
}

/* Reads a number field, which must be a whole number in the C locale. */
static inline double
number(const char *field)
{
    char *end;
    errno = 0;
    double v = strtod(field, &end);
    if (*field == '\0' || *end != '\0' || errno != 0)
        fail_msg("'%s' is not a number", field);
    return v;
}

static inline size_t
count(const char *field)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(field, &end, 10);
    if (*field == '\0' || *end != '\0' || errno != 0)
        fail_msg("'%s' is not a count", field);
    return (size_t)v;
}

/* Fails when the folder holds anything but the named entries: no
 * temporary file may survive a write, successful or not. */
static inline void
assert_folder_holds(const struct fixture *f, const char *const *names, size_t n)
{
    DIR *d = opendir(f->dir);
    assert_non_null(d);
    size_t seen = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        bool expected = false;
        for (size_t i = 0; i < n; i++)
            expected = expected || strcmp(e->d_name, names[i]) == 0;
        if (!expected) {
            closedir(d);
            fail_msg("unexpected file %s left in %s", e->d_name, f->dir);
        }
        seen++;
    }
    closedir(d);
    assert_int_equal(seen, n);
}

static inline mode_t
current_umask(void)
{
    mode_t mask = umask(022);
    umask(mask);
    return mask;
}

#endif

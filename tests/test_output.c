/* netsave tests: CSV and xlsx writers, and atomic replacement of files.
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
static double
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
static void
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

static struct fixture *
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

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int
setup(void **state)
{
    struct fixture *f = make_fixture(3);
    *state = f;
    return f ? 0 : -1;
}

static int
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

static void
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
static struct csv_table
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

static void
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

static struct csv_table
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
static void
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
static double
number(const char *field)
{
    char *end;
    errno = 0;
    double v = strtod(field, &end);
    if (*field == '\0' || *end != '\0' || errno != 0)
        fail_msg("'%s' is not a number", field);
    return v;
}

static size_t
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
static void
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

static mode_t
current_umask(void)
{
    mode_t mask = umask(022);
    umask(mask);
    return mask;
}

/* ---- CSV ---- */

static void
csv_trace_reads_back_exactly(void **state)
{
    struct fixture *f = *state;
    char err[256] = "";
    assert_int_equal(
        ns_csv_write_results(f->dir, &f->model, f->results, err, sizeof err),
        NS_OK);
    assert_string_equal(err, "");

    struct csv_table t = read_csv(f, "trace.csv");
    static const char *const header[] = {"strategy", "cycle", "state",
                                         "occupancy"};
    assert_header(&t, header, 4);
    /* 2 strategies x 4 time points (0..3) x 3 states. */
    assert_int_equal(t.n_rows, 1 + 2 * 4 * 3);
    size_t row = 1;
    for (size_t k = 0; k < 2; k++)
        for (size_t tp = 0; tp <= 3; tp++)
            for (size_t s = 0; s < 3; s++, row++) {
                char **fl = t.rows[row].fields;
                assert_string_equal(fl[0], f->strategies[k].name);
                assert_int_equal(count(fl[1]), tp);
                assert_string_equal(fl[2], f->states[s].name);
                assert_exact(number(fl[3]),
                             ns_results_trace(f->results, k, tp, s));
            }
    free_csv(&t);

    static const char *const files[] = {"trace.csv", "values.csv",
                                        "summary.csv", "incremental.csv"};
    assert_folder_holds(f, files, 4);
}

/* Whether text reads back as exactly the bits of v. */
static bool
reads_back(const char *text, double v)
{
    /* Held: a spelling of a number near DBL_MAX may overflow, which this
     * program traps (main). */
    fenv_t env;
    feholdexcept(&env);
    char *end;
    double back = strtod(text, &end);
    fesetenv(&env);
    return *end == '\0' && memcmp(&back, &v, sizeof v) == 0;
}

/* csv_format_number(v) reads back bit for bit, and uses 16 or 17
 * significant digits only where fewer would not read back. */
static void
assert_shortest_round_trip(double v)
{
    char out[CSV_NUMBER_SIZE], fewer[CSV_NUMBER_SIZE];
    csv_format_number(v, out, sizeof out);
    if (!reads_back(out, v))
        fail_msg("%a written as \"%s\" reads back otherwise", v, out);
    for (int digits = 15; digits < 17; digits++) {
        snprintf(fewer, sizeof fewer, "%.*g", digits, v);
        if (strcmp(fewer, out) == 0)
            return;
        if (reads_back(fewer, v))
            fail_msg("%a written as \"%s\", but \"%s\" reads back too", v,
                     out, fewer);
    }
    snprintf(fewer, sizeof fewer, "%.17g", v);
    assert_string_equal(out, fewer);
}

static void
csv_numbers_are_the_shortest_that_read_back(void **state)
{
    (void)state;
    const double special[] = {
        0.1, 0.51, 1.0 / 3.0, 2.0 / 3.0, 1e-300, -1e-300, 1e300, 1e308,
        DBL_MAX, -DBL_MAX, DBL_MIN, DBL_TRUE_MIN, -DBL_TRUE_MIN,
        DBL_MIN - DBL_TRUE_MIN, /* the largest denormal */
        3.0 * DBL_TRUE_MIN, 0.0, -0.0, 1.0, -1.0, 1234.5678, 9007199254740993.0,
        123456789012345678.0, 0.1 + 0.2, 1e15, 1e16, 1e17, 1e21, 1e-5,
        5e-324, nextafter(1.0, 2.0), nextafter(1.0, 0.0), 46921.491093240737,
    };
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        assert_shortest_round_trip(special[i]);

    char out[CSV_NUMBER_SIZE];
    static const struct {
        double v;
        const char *text;
    } spelled[] = {
        {0.51, "0.51"},   {0.1, "0.1"},         {-0.0, "-0"},
        {0.0, "0"},       {1e-300, "1e-300"},   {1.0 / 3.0, "0.3333333333333333"},
        {0.1 + 0.2, "0.30000000000000004"},     {DBL_TRUE_MIN, "4.94065645841247e-324"},
        {1e21, "1e+21"},  {100.0, "100"},
    };
    for (size_t i = 0; i < sizeof spelled / sizeof spelled[0]; i++) {
        csv_format_number(spelled[i].v, out, sizeof out);
        assert_string_equal(out, spelled[i].text);
    }

    /* Random bit patterns (every finite double is as likely as its bits,
     * so denormals, huge and tiny values all come up), and values with a
     * few decimal digits, as model inputs are. */
    unsigned long long x = 0x2545F4914F6CDD1DULL;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v;
        memcpy(&v, &x, sizeof v);
        /* Not isfinite(v): a signalling NaN would trap in the test. */
        if (((x >> 52) & 0x7FF) != 0x7FF)
            assert_shortest_round_trip(v);
        assert_shortest_round_trip((double)(x % 100000) / 1000.0);
        assert_shortest_round_trip((double)(x % 1000) * 1e-7);
    }
}

/* A value of 0.51 in a results file is spelled 0.51. */
static void
csv_writes_0_51_as_0_51(void **state)
{
    struct fixture *f = *state;
    f->results->trace[0] = 0.51;
    char err[256] = "";
    assert_int_equal(
        ns_csv_write_results(f->dir, &f->model, f->results, err, sizeof err),
        NS_OK);
    struct csv_table t = read_csv(f, "trace.csv");
    assert_string_equal(t.rows[1].fields[3], "0.51");
    free_csv(&t);
}

static void
csv_values_read_back_exactly(void **state)
{
    struct fixture *f = *state;
    char err[256];
    assert_int_equal(
        ns_csv_write_results(f->dir, &f->model, f->results, err, sizeof err),
        NS_OK);
    struct csv_table t = read_csv(f, "values.csv");
    static const char *const header[] = {"strategy", "cycle", "stream",
                                         "undiscounted", "discounted"};
    assert_header(&t, header, 5);
    assert_int_equal(t.n_rows, 1 + 2 * 4 * 2);
    size_t row = 1;
    for (size_t k = 0; k < 2; k++)
        for (size_t tp = 0; tp <= 3; tp++)
            for (size_t j = 0; j < 2; j++, row++) {
                char **fl = t.rows[row].fields;
                assert_string_equal(fl[0], f->strategies[k].name);
                assert_int_equal(count(fl[1]), tp);
                assert_string_equal(fl[2], f->streams[j].name);
                assert_exact(number(fl[3]),
                             ns_results_value(f->results, k, tp, j, false));
                assert_exact(number(fl[4]),
                             ns_results_value(f->results, k, tp, j, true));
            }
    free_csv(&t);
}

static void
csv_summary_has_differences_only_with_a_comparator(void **state)
{
    struct fixture *f = *state;
    const struct ns_results *r = f->results;
    char err[256];
    assert_int_equal(
        ns_csv_write_results(f->dir, &f->model, r, err, sizeof err), NS_OK);
    struct csv_table t = read_csv(f, "summary.csv");
    static const char *const header[] = {
        "strategy",         "stream",
        "outcome",          "total",
        "discounted_total", "comparator",
        "difference",       "discounted_difference"};
    assert_header(&t, header, 8);
    assert_int_equal(t.n_rows, 1 + 2 * 2);

    static const char *const outcome[] = {"costs", "qalys"};
    for (size_t j = 0; j < 2; j++) {
        char **soc = t.rows[1 + j].fields;
        assert_string_equal(soc[0], "soc");
        assert_string_equal(soc[1], f->streams[j].name);
        assert_string_equal(soc[2], outcome[j]);
        assert_exact(number(soc[3]), ns_results_total(r, 0, j, false));
        assert_exact(number(soc[4]), ns_results_total(r, 0, j, true));
        assert_string_equal(soc[5], "");
        assert_string_equal(soc[6], "");
        assert_string_equal(soc[7], "");

        char **nw = t.rows[3 + j].fields;
        assert_string_equal(nw[0], "new");
        assert_string_equal(nw[1], f->streams[j].name);
        assert_string_equal(nw[2], outcome[j]);
        assert_exact(number(nw[3]), ns_results_total(r, 1, j, false));
        assert_exact(number(nw[4]), ns_results_total(r, 1, j, true));
        assert_string_equal(nw[5], "soc");
        assert_exact(number(nw[6]), ns_results_total(r, 1, j, false) -
                                        ns_results_total(r, 0, j, false));
        assert_exact(number(nw[7]), ns_results_total(r, 1, j, true) -
                                        ns_results_total(r, 0, j, true));
        /* By construction the new drug costs more and gains QALYs. */
        assert_true(number(nw[7]) > 0.0);
    }
    free_csv(&t);
}

static const char *const incremental_header[] = {
    "strategy", "comparator", "delta_cost", "delta_health",
    "icer",     "dominance",  "discounted"};

static void
csv_incremental_gives_icers_for_a_trade_off(void **state)
{
    struct fixture *f = *state;
    const struct ns_results *r = f->results;
    char err[256];
    assert_int_equal(
        ns_csv_write_results(f->dir, &f->model, r, err, sizeof err), NS_OK);
    struct csv_table t = read_csv(f, "incremental.csv");
    assert_header(&t, incremental_header, 7);
    /* Only "new" has a comparator: undiscounted, then discounted. */
    assert_int_equal(t.n_rows, 1 + 2);
    for (int disc = 0; disc <= 1; disc++) {
        char **fl = t.rows[1 + disc].fields;
        /* By hand: cost and QALY differences and their ratio. */
        double dc = ns_results_outcome(r, 1, 0, disc) -
                    ns_results_outcome(r, 0, 0, disc);
        double dh = ns_results_outcome(r, 1, 1, disc) -
                    ns_results_outcome(r, 0, 1, disc);
        assert_string_equal(fl[0], "new");
        assert_string_equal(fl[1], "soc");
        assert_exact(number(fl[2]), dc);
        assert_exact(number(fl[3]), dh);
        assert_exact(number(fl[4]), dc / dh);
        assert_close(number(fl[4]), dc / dh, 1e-15);
        assert_string_equal(fl[5], "");
        assert_string_equal(fl[6], disc ? "1" : "0");
    }
    free_csv(&t);
}

static void
csv_incremental_leaves_icer_empty_when_dominant(void **state)
{
    struct fixture *f = *state;
    struct ns_results *r = f->results;
    /* New becomes cheaper than standard care, and is still better. */
    r->outcome_total[1 * r->n_outcomes + 0] =
        r->outcome_total[0 * r->n_outcomes + 0] - 123.456789;
    r->outcome_total_disc[1 * r->n_outcomes + 0] =
        r->outcome_total_disc[0 * r->n_outcomes + 0] - 98.7654321;
    char err[256];
    assert_int_equal(
        ns_csv_write_results(f->dir, &f->model, r, err, sizeof err), NS_OK);
    struct csv_table t = read_csv(f, "incremental.csv");
    assert_header(&t, incremental_header, 7);
    assert_int_equal(t.n_rows, 3);
    for (int disc = 0; disc <= 1; disc++) {
        char **fl = t.rows[1 + disc].fields;
        assert_true(number(fl[2]) < 0.0);
        assert_true(number(fl[3]) > 0.0);
        assert_string_equal(fl[4], "");
        assert_string_equal(fl[5], "dominant");
    }
    free_csv(&t);
}

static void
csv_incremental_is_header_only_without_cost_outcome(void **state)
{
    struct fixture *f = *state;
    f->model.cost_outcome = -1;
    char err[256];
    assert_int_equal(
        ns_csv_write_results(f->dir, &f->model, f->results, err, sizeof err),
        NS_OK);
    char *text = slurp(path_in(f, "incremental.csv"), NULL);
    assert_non_null(text);
    assert_string_equal(text, "strategy,comparator,delta_cost,delta_health,"
                              "icer,dominance,discounted\n");
    free(text);
}

static void
csv_quotes_text_with_commas_quotes_and_newlines(void **state)
{
    struct fixture *f = *state;
    char odd[] = "sick, \"very\"\nill";
    f->states[1].name = odd;
    char err[256];
    assert_int_equal(
        ns_csv_write_results(f->dir, &f->model, f->results, err, sizeof err),
        NS_OK);
    char *text = slurp(path_in(f, "trace.csv"), NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "\nsoc,0,\"sick, \"\"very\"\"\nill\","));
    free(text);

    struct csv_table t = read_csv(f, "trace.csv");
    assert_int_equal(t.n_rows, 1 + 2 * 4 * 3);
    assert_string_equal(t.rows[2].fields[2], odd);
    assert_exact(number(t.rows[2].fields[3]),
                 ns_results_trace(f->results, 0, 0, 1));
    free_csv(&t);
}

static void
csv_files_get_the_usual_permissions(void **state)
{
    struct fixture *f = *state;
    char err[256];
    assert_int_equal(
        ns_csv_write_results(f->dir, &f->model, f->results, err, sizeof err),
        NS_OK);
    struct stat st;
    assert_int_equal(stat(path_in(f, "summary.csv"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0666 & ~current_umask());
}

/* ---- atomic replacement ---- */

static void
csv_leaves_later_files_alone_when_one_is_a_directory(void **state)
{
    struct fixture *f = *state;
    const char *old = "strategy,stream\nold,contents\n";
    spit(path_in(f, "summary.csv"), old);
    assert_int_equal(mkdir(path_in(f, "values.csv"), 0755), 0);

    char err[256];
    assert_int_equal(
        ns_csv_write_results(f->dir, &f->model, f->results, err, sizeof err),
        NS_EIO);
    char expected[256];
    snprintf(expected, sizeof expected, "%s/values.csv is a directory", f->dir);
    assert_string_equal(err, expected);

    /* trace.csv was completed before the failure and stays; summary.csv
     * was never reached and is byte for byte what it was. */
    char *text = slurp(path_in(f, "summary.csv"), NULL);
    assert_non_null(text);
    assert_string_equal(text, old);
    free(text);
    struct stat st;
    assert_int_equal(stat(path_in(f, "values.csv"), &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    static const char *const files[] = {"trace.csv", "values.csv",
                                        "summary.csv"};
    assert_folder_holds(f, files, 3);
}

static void
csv_into_a_missing_folder_fails_cleanly(void **state)
{
    struct fixture *f = *state;
    char err[256];
    const char *missing = path_in(f, "missing");
    assert_int_equal(
        ns_csv_write_results(missing, &f->model, f->results, err, sizeof err),
        NS_EIO);
    char expected[256];
    snprintf(expected, sizeof expected,
             "cannot create a file in %s: No such file or directory", missing);
    assert_string_equal(err, expected);
    assert_folder_holds(f, NULL, 0);
}

static void
fifo_destination_is_refused_and_stays_a_fifo(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(mkfifo(path_in(f, "trace.csv"), 0644), 0);
    assert_int_equal(mkfifo(path_in(f, "results.xlsx"), 0644), 0);

    char err[256];
    assert_int_equal(
        ns_csv_write_results(f->dir, &f->model, f->results, err, sizeof err),
        NS_EIO);
    char expected[256];
    snprintf(expected, sizeof expected, "%s exists and is not a regular file",
             path_in(f, "trace.csv"));
    assert_string_equal(err, expected);

    assert_int_equal(ns_xlsx_write_results(path_in(f, "results.xlsx"),
                                           &f->model, f->results, NULL, err,
                                           sizeof err),
                     NS_EIO);
    snprintf(expected, sizeof expected, "%s exists and is not a regular file",
             path_in(f, "results.xlsx"));
    assert_string_equal(err, expected);

    struct stat st;
    assert_int_equal(lstat(path_in(f, "trace.csv"), &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(lstat(path_in(f, "results.xlsx"), &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    static const char *const files[] = {"trace.csv", "results.xlsx"};
    assert_folder_holds(f, files, 2);
}

/* Exit codes of the child in the file-size test, so a failure says what
 * went wrong. */
enum child_result {
    CHILD_OK = 0,
    CHILD_SETUP,
    CHILD_WRONG_STATUS,
    CHILD_WRONG_MESSAGE,
};

/* Writes f's CSV files in a child process whose files may not grow past
 * limit bytes, and checks there that the write failed with EFBIG, naming
 * trace.csv (the first file). */
static void
write_csv_under_file_size_limit(const struct fixture *f, rlim_t limit)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* With SIGXFSZ ignored, a write past the limit fails with EFBIG
         * instead of killing the process. */
        struct rlimit lim = {.rlim_cur = limit, .rlim_max = limit};
        if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR ||
            setrlimit(RLIMIT_FSIZE, &lim) != 0)
            _exit(CHILD_SETUP);
        char err[256] = "";
        enum ns_status st = ns_csv_write_results(f->dir, &f->model, f->results,
                                                 err, sizeof err);
        if (st != NS_EIO)
            _exit(CHILD_WRONG_STATUS);
        char expected[256];
        snprintf(expected, sizeof expected, "cannot write %s: %s",
                 path_in(f, "trace.csv"), strerror(EFBIG));
        if (strcmp(err, expected) != 0) {
            fprintf(stderr, "child: got '%s', expected '%s'\n", err, expected);
            _exit(CHILD_WRONG_MESSAGE);
        }
        _exit(CHILD_OK);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), CHILD_OK);
}

static const char old_trace[] =
    "strategy,cycle,state,occupancy\nsoc,0,well,1\n";

/* A big file: the limit is hit while rows are still being written. */
static void
write_failing_under_a_file_size_limit_keeps_the_old_file(void **state)
{
    (void)state; /* this test needs a bigger model than setup's */
    /* 2 strategies x 2001 time points x 3 states: about 300 kB of trace. */
    struct fixture *f = make_fixture(2000);
    assert_non_null(f);
    spit(path_in(f, "trace.csv"), old_trace);

    write_csv_under_file_size_limit(f, 4000);

    char *text = slurp(path_in(f, "trace.csv"), NULL);
    assert_non_null(text);
    assert_string_equal(text, old_trace);
    free(text);
    static const char *const files[] = {"trace.csv"};
    assert_folder_holds(f, files, 1);

    /* Without the limit the same write succeeds and replaces the file. */
    char err[256];
    assert_int_equal(
        ns_csv_write_results(f->dir, &f->model, f->results, err, sizeof err),
        NS_OK);
    size_t len;
    text = slurp(path_in(f, "trace.csv"), &len);
    assert_non_null(text);
    assert_true(len > 100000);
    free(text);

    void *mine = f;
    teardown(&mine);
}

/* A small file: every row fits in the stdio buffer, so the limit is only
 * hit by the commit's flush. */
static void
commit_failing_under_a_file_size_limit_keeps_the_old_file(void **state)
{
    struct fixture *f = *state;
    spit(path_in(f, "trace.csv"), old_trace);
    size_t len;
    char *text;

    write_csv_under_file_size_limit(f, 300);

    text = slurp(path_in(f, "trace.csv"), &len);
    assert_non_null(text);
    assert_string_equal(text, old_trace);
    free(text);
    static const char *const files[] = {"trace.csv"};
    assert_folder_holds(f, files, 1);
}

/* Creates an empty file name in f's folder. */
static void
touch_in(const struct fixture *f, const char *name)
{
    FILE *fp = fopen(path_in(f, name), "w");
    assert_non_null(fp);
    fclose(fp);
}

/* A pid that names no process: a child that has exited and been reaped. */
static pid_t
dead_pid(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return pid;
}

static void
atomic_removes_temporaries_of_killed_runs_only(void **state)
{
    struct fixture *f = *state;
    char dead[96], live[96], other[96], foreign[96];
    /* Left by a killed run writing note.txt: removed. */
    snprintf(dead, sizeof dead, ".note.txt.tmp-%ld-abcdef", (long)dead_pid());
    /* Being written by a live process (our parent): kept. */
    snprintf(live, sizeof live, ".note.txt.tmp-%ld-ghijkl", (long)getppid());
    /* A killed run's temporary for another file: not ours to judge now. */
    snprintf(other, sizeof other, ".other.txt.tmp-%ld-mnopqr",
             (long)dead_pid());
    /* A name that only looks similar: kept. */
    snprintf(foreign, sizeof foreign, ".note.txt.tmp-backup");
    const char *made[] = {dead, live, other, foreign};
    for (size_t i = 0; i < 4; i++)
        touch_in(f, made[i]);

    struct ns_atomic a;
    char err[256];
    assert_int_equal(ns_atomic_begin(&a, path_in(f, "note.txt"), 1, err,
                                     sizeof err),
                     NS_OK);
    assert_int_equal(fputs("1\n", a.fp) >= 0, 1);
    assert_int_equal(ns_atomic_commit(&a, err, sizeof err), NS_OK);
    const char *const files[] = {"note.txt", live, other, foreign};
    assert_folder_holds(f, files, 4);
}

static void
atomic_abort_is_safe_on_a_zeroed_struct_and_after_commit(void **state)
{
    struct fixture *f = *state;
    struct ns_atomic a = {0};
    ns_atomic_abort(&a);

    char err[256];
    const char *path = path_in(f, "note.txt");
    assert_int_equal(ns_atomic_begin(&a, path, 1, err, sizeof err), NS_OK);
    assert_non_null(a.fp);
    assert_non_null(strstr(a.tmp_path, "/.note.txt.tmp-"));
    assert_int_equal(fputs("2.718281828459045\n", a.fp) >= 0, 1);
    assert_int_equal(ns_atomic_commit(&a, err, sizeof err), NS_OK);
    assert_null(a.path);
    assert_null(a.tmp_path);
    assert_null(a.fp);
    ns_atomic_abort(&a);

    char *text = slurp(path, NULL);
    assert_non_null(text);
    assert_string_equal(text, "2.718281828459045\n");
    free(text);

    /* An abandoned write leaves the destination as it was. */
    assert_int_equal(ns_atomic_begin(&a, path, 1, err, sizeof err), NS_OK);
    assert_int_equal(fputs("half", a.fp) >= 0, 1);
    ns_atomic_abort(&a);
    text = slurp(path, NULL);
    assert_non_null(text);
    assert_string_equal(text, "2.718281828459045\n");
    free(text);
    static const char *const files[] = {"note.txt"};
    assert_folder_holds(f, files, 1);
}

/* ---- xlsx ---- */

static const char *const run_inputs[] = {"params/base_case.ini",
                                         "params/costs, 2024.csv"};
static const char *const run_hashes[] = {
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"};
/* 2024-05-01T14:03:22+01:00 */
static const time_t run_time = 1714568602;
static const struct ns_run_info run_info = {
    .version = NS_VERSION,
    .command_line = "netsave --xlsx results.xlsx params/base_case.ini",
    .run_time = &run_time,
    .input_files = run_inputs,
    .input_hashes = run_hashes,
    .n_inputs = 2,
};

/* Runs the xlsx writer with stderr sent to a file, and returns whether
 * libxlsxwriter printed anything: it warns there about input it would
 * reject, and the writer must have prevented every case. */
static enum ns_status
write_xlsx_quietly(const struct fixture *f, const char *name,
                   const struct ns_run_info *info, char *err, size_t err_size,
                   bool *printed)
{
    char log[256];
    snprintf(log, sizeof log, "%s.stderr", f->dir);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    enum ns_status st = ns_xlsx_write_results(path_in(f, name), &f->model,
                                              f->results, info, err, err_size);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    struct stat sb;
    assert_int_equal(stat(log, &sb), 0);
    *printed = sb.st_size > 0;
    if (*printed) {
        char *text = slurp(log, NULL);
        fprintf(stderr, "libxlsxwriter said: %s", text ? text : "?");
        free(text);
    }
    unlink(log);
    return st;
}

static void
xlsx_is_a_zip_and_leaves_no_temporary_files(void **state)
{
    struct fixture *f = *state;
    char err[256] = "";
    bool printed;
    assert_int_equal(write_xlsx_quietly(f, "results.xlsx", &run_info, err,
                                        sizeof err, &printed),
                     NS_OK);
    assert_string_equal(err, "");
    assert_false(printed);
    size_t len;
    char *data = slurp(path_in(f, "results.xlsx"), &len);
    assert_non_null(data);
    assert_true(len > 1000);
    assert_memory_equal(data, "PK\x03\x04", 4);
    free(data);
    struct stat st;
    assert_int_equal(stat(path_in(f, "results.xlsx"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0666 & ~current_umask());
    static const char *const files[] = {"results.xlsx"};
    assert_folder_holds(f, files, 1);
}

static void
xlsx_is_reproducible_for_the_same_run(void **state)
{
    struct fixture *f = *state;
    char err[256];
    bool printed;
    assert_int_equal(
        write_xlsx_quietly(f, "a.xlsx", &run_info, err, sizeof err, &printed),
        NS_OK);
    /* Let the clock pass a second, so that a creation time taken from the
     * clock rather than from the run would show. */
    time_t start = time(NULL);
    while (time(NULL) == start) {
        struct timespec nap = {.tv_sec = 0, .tv_nsec = 50000000};
        nanosleep(&nap, NULL);
    }
    assert_int_equal(
        write_xlsx_quietly(f, "b.xlsx", &run_info, err, sizeof err, &printed),
        NS_OK);
    size_t la, lb;
    char *a = slurp(path_in(f, "a.xlsx"), &la);
    char *b = slurp(path_in(f, "b.xlsx"), &lb);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    free(a);
    free(b);
}

static void
xlsx_replaces_an_existing_workbook(void **state)
{
    struct fixture *f = *state;
    spit(path_in(f, "results.xlsx"), "an older workbook");
    char err[256];
    bool printed;
    assert_int_equal(write_xlsx_quietly(f, "results.xlsx", &run_info, err,
                                        sizeof err, &printed),
                     NS_OK);
    char *data = slurp(path_in(f, "results.xlsx"), NULL);
    assert_non_null(data);
    assert_memory_equal(data, "PK\x03\x04", 4);
    free(data);
    static const char *const files[] = {"results.xlsx"};
    assert_folder_holds(f, files, 1);
}

static void
xlsx_onto_a_directory_or_missing_folder_fails_cleanly(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(mkdir(path_in(f, "results.xlsx"), 0755), 0);
    spit(path_in(f, "results.xlsx/keep.txt"), "keep me");
    char err[256];
    assert_int_equal(ns_xlsx_write_results(path_in(f, "results.xlsx"),
                                           &f->model, f->results, &run_info,
                                           err, sizeof err),
                     NS_EIO);
    char expected[256];
    snprintf(expected, sizeof expected, "%s is a directory",
             path_in(f, "results.xlsx"));
    assert_string_equal(err, expected);
    char *text = slurp(path_in(f, "results.xlsx/keep.txt"), NULL);
    assert_non_null(text);
    assert_string_equal(text, "keep me");
    free(text);

    assert_int_equal(ns_xlsx_write_results(path_in(f, "none/results.xlsx"),
                                           &f->model, f->results, &run_info,
                                           err, sizeof err),
                     NS_EIO);
    snprintf(expected, sizeof expected,
             "cannot create a file in %s: No such file or directory",
             path_in(f, "none"));
    assert_string_equal(err, expected);
    static const char *const files[] = {"results.xlsx"};
    assert_folder_holds(f, files, 1);
}

static void
xlsx_makes_awkward_names_valid_without_warnings(void **state)
{
    struct fixture *f = *state;
    /* Forbidden characters, apostrophes at the ends, names that collide
     * once cut to Excel's 31 characters or compared without case, and a
     * multi-byte character across the cut. */
    char a[] = "'a/b:c*d?e[f]g\\h' and a long tail one";
    char b[] = "'A/B:C*D?E[F]G\\H' and a long tail two";
    f->strategies[0].name = a;
    f->strategies[1].name = b;
    char label[] = "Caf\xc3\xa9 \xe2\x82\xac 12345678901234567890123";
    f->strategies[1].label = label;
    char state_name[] = "\xc3\xa9t\xc3\xa9";
    f->states[0].label = state_name;
    /* Excel has no NaN: it must arrive as text, not break the file. */
    f->results->trace[1] = NAN;
    f->results->outcome_total_disc[0] = INFINITY;

    char err[256] = "";
    bool printed;
    assert_int_equal(
        write_xlsx_quietly(f, "odd.xlsx", NULL, err, sizeof err, &printed),
        NS_OK);
    assert_string_equal(err, "");
    assert_false(printed);
    static const char *const files[] = {"odd.xlsx"};
    assert_folder_holds(f, files, 1);
}

static void
xlsx_without_cost_outcome_and_empty_run_info(void **state)
{
    struct fixture *f = *state;
    f->model.cost_outcome = -1;
    f->model.comparator[1] = -1;
    struct ns_run_info info = {.n_inputs = 1};
    char err[256] = "";
    bool printed;
    assert_int_equal(
        write_xlsx_quietly(f, "plain.xlsx", &info, err, sizeof err, &printed),
        NS_OK);
    assert_false(printed);
}

/* Runs python3 to print the named parts of a workbook, one after the
 * other, into a malloc'd string; NULL where python3 cannot be run. */
static char *
workbook_parts(const char *path, const char *parts)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import sys, zipfile\n"
             "z = zipfile.ZipFile(sys.argv[1])\n"
             "for p in sys.argv[2].split(): print(z.read(p).decode())' "
             "'%s' '%s' 2>/dev/null",
             path, parts);
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (size_t n; (n = fread(text + len, 1, cap - len - 1, p)) > 0;) {
        len += n;
        if (len + 1 == cap) {
            cap *= 2;
            text = realloc(text, cap);
            assert_non_null(text);
        }
    }
    text[len] = '\0';
    if (pclose(p) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* The run's time, given as a time_t, is shown on the About sheet in local
 * time with its offset, and is the document's creation time (in UTC). */
static void
xlsx_records_the_run_time(void **state)
{
    struct fixture *f = *state;
    char when[XL_TIME_SIZE];
    assert_int_equal(setenv("TZ", "UTC0", 1), 0);
    tzset();
    xl_format_time(run_time, when, sizeof when);
    assert_string_equal(when, "2024-05-01T13:03:22+0000");
    assert_int_equal(setenv("TZ", "XXX-1", 1), 0); /* one hour east */
    tzset();
    xl_format_time(run_time, when, sizeof when);
    assert_string_equal(when, "2024-05-01T14:03:22+0100");

    char err[256] = "";
    bool printed;
    assert_int_equal(write_xlsx_quietly(f, "timed.xlsx", &run_info, err,
                                        sizeof err, &printed),
                     NS_OK);
    unsetenv("TZ");
    tzset();
    char *xml = workbook_parts(path_in(f, "timed.xlsx"),
                               "docProps/core.xml xl/sharedStrings.xml");
    if (!xml) {
        print_message("python3 cannot be run: the workbook's parts were "
                      "not read\n");
        return;
    }
    assert_non_null(strstr(xml, ">2024-05-01T13:03:22Z</dcterms:created>"));
    assert_non_null(strstr(xml, ">2024-05-01T14:03:22+0100<"));
    assert_non_null(strstr(xml, ">Run date and time<"));
    free(xml);
}

/* ---- a set of files replaced together ---- */

/* Writes text to name in f's folder, directly. */
static void
put_file(const struct fixture *f, const char *name, const char *text)
{
    FILE *fp = fopen(path_in(f, name), "w");
    assert_non_null(fp);
    assert_true(fputs(text, fp) >= 0);
    assert_int_equal(fclose(fp), 0);
}

static void
assert_file_holds(const struct fixture *f, const char *name, const char *text)
{
    size_t len;
    char *got = slurp(path_in(f, name), &len);
    assert_non_null(got);
    assert_string_equal(got, text);
    free(got);
}

/* Begins name into set and writes text to it. */
static void
set_write(const struct fixture *f, struct ns_atomic_set *set,
          const char *name, const char *text)
{
    char err[256];
    struct ns_atomic *a;
    assert_int_equal(
        ns_atomic_set_begin(set, path_in(f, name), 1, &a, err, sizeof err),
        NS_OK);
    assert_true(fputs(text, a->fp) >= 0);
}

static void
set_replaces_files_only_at_commit(void **state)
{
    struct fixture *f = *state;
    put_file(f, "a.csv", "old a\n");
    put_file(f, "b.csv", "old b\n");
    struct ns_atomic_set set = {0};
    set_write(f, &set, "a.csv", "new a\n");
    set_write(f, &set, "b.csv", "new b\n");
    set_write(f, &set, "c.csv", "new c\n");
    /* All written, none committed: the old files are still there. */
    assert_file_holds(f, "a.csv", "old a\n");
    assert_file_holds(f, "b.csv", "old b\n");
    char err[256];
    struct ns_atomic *dup;
    assert_int_equal(ns_atomic_set_begin(&set, path_in(f, "a.csv"), 1, &dup,
                                         err, sizeof err),
                     NS_EIO);
    assert_non_null(strstr(err, "a.csv twice in one run"));
    assert_int_equal(ns_atomic_set_commit(&set, err, sizeof err), NS_OK);
    static const char *const files[] = {"a.csv", "b.csv", "c.csv"};
    assert_folder_holds(f, files, 3);
    assert_file_holds(f, "a.csv", "new a\n");
    assert_file_holds(f, "b.csv", "new b\n");
    assert_file_holds(f, "c.csv", "new c\n");
    ns_atomic_set_abort(&set); /* safe after commit */

    set_write(f, &set, "a.csv", "newer a\n");
    ns_atomic_set_abort(&set);
    assert_folder_holds(f, files, 3);
    assert_file_holds(f, "a.csv", "new a\n");
}

/* Under a file-size limit (in a child) the second, big file cannot be
 * completed: the commit fails and the first, small one, complete, is not
 * put in place either. */
static void
set_failing_on_one_file_replaces_none(void **state)
{
    struct fixture *f = *state;
    put_file(f, "a.csv", "old a\n");
    put_file(f, "b.csv", "old b\n");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit lim = {.rlim_cur = 4096, .rlim_max = 4096};
        if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR ||
            setrlimit(RLIMIT_FSIZE, &lim) != 0)
            _exit(2);
        struct ns_atomic_set set = {0};
        char err[256];
        struct ns_atomic *a, *b;
        if (ns_atomic_set_begin(&set, path_in(f, "a.csv"), 1, &a, err,
                                sizeof err) != NS_OK ||
            ns_atomic_set_begin(&set, path_in(f, "b.csv"), 1, &b, err,
                                sizeof err) != NS_OK)
            _exit(3);
        fputs("new a\n", a->fp);
        for (int i = 0; i < 10000; i++)
            fputs("0.12345678901234567\n", b->fp);
        if (ns_atomic_set_commit(&set, err, sizeof err) != NS_EIO ||
            !strstr(err, "b.csv"))
            _exit(4);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    static const char *const files[] = {"a.csv", "b.csv"};
    assert_folder_holds(f, files, 2);
    assert_file_holds(f, "a.csv", "old a\n");
    assert_file_holds(f, "b.csv", "old b\n");
}

/* ---- the destination lock ---- */

/* Tries to lock dir in a child process, and unlocks it: flock locks belong to open files,
 * so a second open in this process already competes, but a separate
 * process is what two runs are. Returns the child's err text, "" when it
 * got the lock (and released it on exit). */
static void
lock_in_child(const char *dir, char *err, size_t err_size)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        char msg[256] = "";
        struct ns_atomic_lock *l = NULL;
        (void)ns_atomic_lock(dir, &l, msg, sizeof msg);
        ns_atomic_unlock(l);
        ssize_t n = write(fds[1], msg, strlen(msg));
        _exit(n == (ssize_t)strlen(msg) ? 0 : 1);
    }
    close(fds[1]);
    ssize_t n = read(fds[0], err, err_size - 1);
    close(fds[0]);
    err[n > 0 ? n : 0] = '\0';
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
lock_keeps_out_a_second_run_until_unlocked(void **state)
{
    struct fixture *f = *state;
    /* A CSV folder that does not exist yet: the lock sits beside it. */
    const char *out = path_in(f, "out");
    char err[256] = "", want[256];
    snprintf(want, sizeof want,
             "another netsave run is writing to %s; try again when it has "
             "finished",
             out);
    struct ns_atomic_lock *held = NULL, *other = NULL;
    assert_int_equal(ns_atomic_lock(out, &held, err, sizeof err), NS_OK);
    static const char *const lock_file[] = {".out.netsave.lock"};
    assert_folder_holds(f, lock_file, 1);

    /* Another process, and another lock set in this one: refused. */
    lock_in_child(out, err, sizeof err);
    assert_string_equal(err, want);
    err[0] = '\0';
    assert_int_equal(ns_atomic_lock(out, &other, err, sizeof err), NS_EIO);
    assert_string_equal(err, want);
    assert_null(other);

    /* The same destination under another name joins the set it is
     * already in, rather than refusing itself; another destination in
     * the same folder is free. */
    char again[128];
    snprintf(again, sizeof again, "%s/./out/", f->dir);
    assert_int_equal(ns_atomic_lock(again, &held, err, sizeof err), NS_OK);
    assert_int_equal(ns_atomic_lock(path_in(f, "book.xlsx"), &other, err,
                                    sizeof err),
                     NS_OK);
    lock_in_child(path_in(f, "out2"), err, sizeof err);
    assert_string_equal(err, "");

    ns_atomic_unlock(held);
    ns_atomic_unlock(other);
    assert_folder_holds(f, NULL, 0);
    lock_in_child(out, err, sizeof err);
    assert_string_equal(err, "");
    other = NULL;
    assert_int_equal(ns_atomic_lock(out, &other, err, sizeof err), NS_OK);
    ns_atomic_unlock(other);
    ns_atomic_unlock(NULL);
}

/* A lock file left by a killed run (it exists, but no process holds it)
 * does not keep the next run out; a folder that cannot hold one is
 * reported. */
static void
lock_survives_a_killed_run_and_climbs_to_an_existing_folder(void **state)
{
    struct fixture *f = *state;
    touch_in(f, ".book.xlsx.netsave.lock");
    char err[256] = "";
    struct ns_atomic_lock *l = NULL;
    assert_int_equal(
        ns_atomic_lock(path_in(f, "book.xlsx"), &l, err, sizeof err), NS_OK);
    ns_atomic_unlock(l);
    assert_folder_holds(f, NULL, 0);
    l = NULL;
    /* A CSV folder to be made with its parents: locked beside the deepest
     * folder that exists, named after the rest of its path, creating no
     * folder; another new folder under the same missing parent is a
     * different destination, not refused. */
    assert_int_equal(
        ns_atomic_lock(path_in(f, "missing/deeper/out"), &l, err, sizeof err),
        NS_OK);
    static const char *const lock_file[] = {".missing% deeper% out.netsave.lock"};
    assert_folder_holds(f, lock_file, 1);
    struct ns_atomic_lock *other = NULL;
    assert_int_equal(ns_atomic_lock(path_in(f, "missing/deeper/other"), &other,
                                    err, sizeof err),
                     NS_OK);
    ns_atomic_unlock(other);
    struct ns_atomic_lock *same = NULL;
    assert_int_equal(ns_atomic_lock(path_in(f, "missing/deeper/out"), &same,
                                    err, sizeof err),
                     NS_EIO);
    assert_non_null(strstr(err, "another netsave run is writing to"));
    ns_atomic_unlock(l);
    l = NULL;
    touch_in(f, "file");
    assert_int_equal(
        ns_atomic_lock(path_in(f, "file/out"), &l, err, sizeof err), NS_EIO);
    assert_null(l);
    assert_non_null(strstr(err, "cannot lock "));
    assert_non_null(strstr(err, "file/out: Not a directory"));
}

/* ---- text over Excel's cell limit ---- */

/* Counts UTF-8 characters, and fails on a sequence cut short. */
static size_t
checked_utf8_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t len = *p < 0x80 ? 1 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : 2;
        for (size_t i = 1; i < len; i++)
            if ((p[i] & 0xC0) != 0x80)
                fail_msg("a multi-byte character was split at byte %zu",
                         (size_t)(p - (const unsigned char *)s));
        p += len;
        n++;
    }
    return n;
}

/* A malloc'd string of n copies of the UTF-8 character c. */
static char *
repeated_alloc(const char *c, size_t n)
{
    size_t len = strlen(c);
    char *s = malloc(n * len + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * len, c, len);
    s[n * len] = '\0';
    return s;
}

static void
cut_text_keeps_text_at_the_limit_and_cuts_one_over(void **state)
{
    (void)state;
    /* Exactly the limit: unchanged. */
    char *s = repeated_alloc("\xc3\xa9", 40); /* é, two bytes */
    char *out = xl_cut_text_alloc(s, 40);
    assert_non_null(out);
    assert_string_equal(out, s);
    free(out);

    /* One over: cut, marked, and the whole exactly at the limit. */
    const char *mark = " [... cut: 31 more characters]"; /* 30 characters */
    out = xl_cut_text_alloc(s, 39);
    assert_non_null(out);
    assert_int_equal(checked_utf8_chars(out), 39);
    assert_int_equal(strlen(out), 9 * 2 + strlen(mark));
    assert_memory_equal(out, s, 9 * 2);
    assert_string_equal(out + 9 * 2, mark);
    free(out);
    free(s);
}

static void
cut_text_never_splits_a_multi_byte_character(void **state)
{
    (void)state;
    /* "a" then euros (three bytes) and a four-byte emoji: every cut point
     * from 30 to 60 characters lands on each kind of boundary. */
    char *euros = repeated_alloc("\xe2\x82\xac\xf0\x9f\x98\x80", 40);
    size_t size = strlen(euros) + 2;
    char *s = malloc(size);
    assert_non_null(s);
    snprintf(s, size, "a%s", euros);
    for (size_t max = 30; max <= 60; max++) {
        char *out = xl_cut_text_alloc(s, max);
        assert_non_null(out);
        size_t chars = checked_utf8_chars(out);
        assert_true(chars <= max);
        assert_true(chars + 1 >= max); /* at most one short: digits */
        char *m = strstr(out, " [... cut: ");
        assert_non_null(m);
        *m = '\0';
        size_t kept = checked_utf8_chars(out);
        assert_memory_equal(out, s, strlen(out));
        unsigned long more = strtoul(m + strlen(" [... cut: "), NULL, 10);
        assert_int_equal(kept + more, 81);
        free(out);
    }
    free(s);
    free(euros);
}

static void
cut_text_fits_excels_limit(void **state)
{
    (void)state;
    char *s = repeated_alloc("\xe2\x82\xac", 40000);
    char *out = xl_cut_text_alloc(s, XL_CELL_MAX_CHARS);
    assert_non_null(out);
    size_t chars = checked_utf8_chars(out);
    assert_true(chars <= XL_CELL_MAX_CHARS);
    assert_true(chars >= XL_CELL_MAX_CHARS - 1);
    const char *m = strstr(out, " [... cut: ");
    assert_non_null(m);
    size_t kept = (size_t)(m - out) / 3;
    char want[64];
    snprintf(want, sizeof want, " [... cut: %zu more characters]",
             40000 - kept);
    assert_string_equal(m, want);
    free(out);
    free(s);
}

/* A command line longer than a cell holds is cut on the About sheet, and
 * the workbook is written (libxlsxwriter refused the cell before). */
static void
xlsx_cuts_a_command_line_over_the_cell_limit(void **state)
{
    struct fixture *f = *state;
    char *line = repeated_alloc("\xc3\xa9", 40000);
    struct ns_run_info info = run_info;
    info.command_line = line;
    char err[256] = "";
    bool printed;
    assert_int_equal(
        write_xlsx_quietly(f, "long.xlsx", &info, err, sizeof err, &printed),
        NS_OK);
    assert_string_equal(err, "");
    assert_false(printed);
    free(line);
    char *xml = workbook_parts(path_in(f, "long.xlsx"),
                               "xl/sharedStrings.xml");
    if (!xml) {
        print_message("python3 cannot be run: the workbook's parts were "
                      "not read\n");
        return;
    }
    assert_non_null(strstr(xml, " [... cut: "));
    free(xml);
}

int
main(void)
{
    feenableexcept(FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(csv_trace_reads_back_exactly, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(csv_values_read_back_exactly, setup,
                                        teardown),
        cmocka_unit_test(csv_numbers_are_the_shortest_that_read_back),
        cmocka_unit_test_setup_teardown(csv_writes_0_51_as_0_51, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            csv_summary_has_differences_only_with_a_comparator, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            csv_incremental_gives_icers_for_a_trade_off, setup, teardown),
        cmocka_unit_test_setup_teardown(
            csv_incremental_leaves_icer_empty_when_dominant, setup, teardown),
        cmocka_unit_test_setup_teardown(
            csv_incremental_is_header_only_without_cost_outcome, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            csv_quotes_text_with_commas_quotes_and_newlines, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_files_get_the_usual_permissions,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            csv_leaves_later_files_alone_when_one_is_a_directory, setup,
            teardown),
        cmocka_unit_test_setup_teardown(csv_into_a_missing_folder_fails_cleanly,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            fifo_destination_is_refused_and_stays_a_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(
            write_failing_under_a_file_size_limit_keeps_the_old_file, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            commit_failing_under_a_file_size_limit_keeps_the_old_file, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            atomic_abort_is_safe_on_a_zeroed_struct_and_after_commit, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            atomic_removes_temporaries_of_killed_runs_only, setup, teardown),
        cmocka_unit_test_setup_teardown(
            xlsx_is_a_zip_and_leaves_no_temporary_files, setup, teardown),
        cmocka_unit_test_setup_teardown(xlsx_is_reproducible_for_the_same_run,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(xlsx_replaces_an_existing_workbook,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            xlsx_onto_a_directory_or_missing_folder_fails_cleanly, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            xlsx_makes_awkward_names_valid_without_warnings, setup, teardown),
        cmocka_unit_test_setup_teardown(
            xlsx_without_cost_outcome_and_empty_run_info, setup, teardown),
        cmocka_unit_test_setup_teardown(set_replaces_files_only_at_commit,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            set_failing_on_one_file_replaces_none, setup, teardown),
        cmocka_unit_test_setup_teardown(
            lock_keeps_out_a_second_run_until_unlocked, setup, teardown),
        cmocka_unit_test_setup_teardown(
            lock_survives_a_killed_run_and_climbs_to_an_existing_folder, setup,
            teardown),
        cmocka_unit_test(cut_text_keeps_text_at_the_limit_and_cuts_one_over),
        cmocka_unit_test(cut_text_never_splits_a_multi_byte_character),
        cmocka_unit_test(cut_text_fits_excels_limit),
        cmocka_unit_test_setup_teardown(
            xlsx_cuts_a_command_line_over_the_cell_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(xlsx_records_the_run_time, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

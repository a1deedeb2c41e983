/* netsave tests: the CSV and xlsx writers (the atomic replacement of files
 * and the destination lock are in test_atomic.c). */
#include "tests/output_fixture.h"

/* ---- CSV ---- */

static void
csv_trace_reads_back_exactly(void **state)
{
    struct fixture *f = *state;
    char err[256] = "";
    assert_int_equal(
        ns_csv_write_results(f->dir, &f->model, f->results, NULL,
                             err, sizeof err),
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

/* Writers given a set only begin and write their files: nothing is in
 * place until the set is committed, and an abort leaves the folder as it
 * was (issue 13 item 8). Then the committed files are the ones a write
 * on its own gives. */
static void
writers_in_a_set_replace_nothing_until_commit(void **state)
{
    struct fixture *f = *state;
    char err[256] = "";
    struct ns_atomic_set set = {0};
    struct ns_run_info info = {.set = &set};
    for (int round = 0; round < 2; round++) {
        assert_int_equal(ns_csv_write_results(f->dir, &f->model, f->results,
                                              &set, err, sizeof err),
                         NS_OK);
        assert_int_equal(ns_xlsx_write_results(path_in(f, "book.xlsx"),
                                               &f->model, f->results, &info,
                                               err, sizeof err),
                         NS_OK);
        /* Five files begun, none in place: only hidden temporaries. */
        assert_int_equal(set.n, 5);
        DIR *d = opendir(f->dir);
        assert_non_null(d);
        for (struct dirent *e; (e = readdir(d)) != NULL;)
            assert_true(e->d_name[0] == '.');
        closedir(d);
        if (round == 0) {
            ns_atomic_set_abort(&set);
            assert_folder_holds(f, NULL, 0);
        }
    }
    assert_int_equal(ns_atomic_set_commit(&set, err, sizeof err), NS_OK);
    static const char *const files[] = {"trace.csv", "values.csv",
                                        "summary.csv", "incremental.csv",
                                        "book.xlsx"};
    assert_folder_holds(f, files, 5);
    size_t len_set, len_alone;
    char *in_set = slurp(path_in(f, "summary.csv"), &len_set);
    assert_int_equal(ns_csv_write_results(f->dir, &f->model, f->results,
                                          NULL, err, sizeof err),
                     NS_OK);
    char *alone = slurp(path_in(f, "summary.csv"), &len_alone);
    assert_non_null(in_set);
    assert_non_null(alone);
    assert_int_equal(len_set, len_alone);
    assert_memory_equal(in_set, alone, len_set);
    free(in_set);
    free(alone);
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
        ns_csv_write_results(f->dir, &f->model, f->results, NULL,
                             err, sizeof err),
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
        ns_csv_write_results(f->dir, &f->model, f->results, NULL,
                             err, sizeof err),
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
        ns_csv_write_results(f->dir, &f->model, r, NULL,
                             err, sizeof err), NS_OK);
    struct csv_table t = read_csv(f, "summary.csv");
    static const char *const header[] = {
        "strategy",         "stream",
        "outcome",          "total",
        "discounted_total", "comparator",
        "difference",       "discounted_difference",
        "wtp",              "net_monetary_benefit",
        "net_health_benefit"};
    assert_header(&t, header, 11);
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
        /* No [model] wtp: no net benefits. */
        for (size_t c = 8; c < 11; c++)
            assert_string_equal(nw[c], "");
    }
    free_csv(&t);
}

/* With a wtp, every row of a strategy carries its net benefits from its
 * discounted totals: stream 0 is the cost, stream 1 the health outcome,
 * one stream each, so NMB = wtp x health - cost, NHB = health - cost /
 * wtp. */
static void
csv_summary_gives_net_benefits_at_the_wtp(void **state)
{
    struct fixture *f = *state;
    const struct ns_results *r = f->results;
    char err[256];
    f->model.wtp = 20000;
    assert_int_equal(
        ns_csv_write_results(f->dir, &f->model, r, NULL,
                             err, sizeof err), NS_OK);
    struct csv_table t = read_csv(f, "summary.csv");
    for (size_t row = 1; row < t.n_rows; row++) {
        char **x = t.rows[row].fields;
        size_t k = strcmp(x[0], "soc") == 0 ? 0 : 1;
        double cost = ns_results_total(r, k, 0, true);
        double qalys = ns_results_total(r, k, 1, true);
        assert_exact(number(x[8]), 20000.0);
        assert_close(number(x[9]), 20000.0 * qalys - cost, 1e-15);
        assert_close(number(x[10]), qalys - cost / 20000.0, 1e-15);
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
        ns_csv_write_results(f->dir, &f->model, r, NULL,
                             err, sizeof err), NS_OK);
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
        ns_csv_write_results(f->dir, &f->model, r, NULL,
                             err, sizeof err), NS_OK);
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
        ns_csv_write_results(f->dir, &f->model, f->results, NULL,
                             err, sizeof err),
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
        ns_csv_write_results(f->dir, &f->model, f->results, NULL,
                             err, sizeof err),
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
        ns_csv_write_results(f->dir, &f->model, f->results, NULL,
                             err, sizeof err),
        NS_OK);
    struct stat st;
    assert_int_equal(stat(path_in(f, "summary.csv"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0666 & ~current_umask());
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
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(csv_trace_reads_back_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_values_read_back_exactly, setup, teardown),
        cmocka_unit_test(csv_numbers_are_the_shortest_that_read_back),
        cmocka_unit_test_setup_teardown(csv_writes_0_51_as_0_51, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_summary_has_differences_only_with_a_comparator, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_summary_gives_net_benefits_at_the_wtp, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_incremental_gives_icers_for_a_trade_off, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_incremental_leaves_icer_empty_when_dominant, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_incremental_is_header_only_without_cost_outcome, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_quotes_text_with_commas_quotes_and_newlines, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_files_get_the_usual_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(xlsx_is_a_zip_and_leaves_no_temporary_files, setup, teardown),
        cmocka_unit_test_setup_teardown(xlsx_is_reproducible_for_the_same_run, setup, teardown),
        cmocka_unit_test_setup_teardown(xlsx_replaces_an_existing_workbook, setup, teardown),
        cmocka_unit_test_setup_teardown(xlsx_onto_a_directory_or_missing_folder_fails_cleanly, setup, teardown),
        cmocka_unit_test_setup_teardown(xlsx_makes_awkward_names_valid_without_warnings, setup, teardown),
        cmocka_unit_test_setup_teardown(xlsx_without_cost_outcome_and_empty_run_info, setup, teardown),
        cmocka_unit_test(cut_text_keeps_text_at_the_limit_and_cuts_one_over),
        cmocka_unit_test(cut_text_never_splits_a_multi_byte_character),
        cmocka_unit_test(cut_text_fits_excels_limit),
        cmocka_unit_test_setup_teardown(xlsx_cuts_a_command_line_over_the_cell_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(xlsx_records_the_run_time, setup, teardown),
        cmocka_unit_test_setup_teardown(writers_in_a_set_replace_nothing_until_commit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* netsave tests: the services and norms files of netsave benchmark
 * (params/services.h): the shipped files load and say what they hold;
 * each kind of problem is reported against its line and column; every
 * problem of a file is reported in one run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/test_support.h"

#include "params/services.h"

/* The strategies of the England model (params/england.ini) that a
 * service can be. */
static const char *const strategies[] = {"rehab", "inpatient", "mmt", "mr"};
#define N_STRATEGIES 4

#define HEADER                                                                \
    "service_id,service_name,period,modality,clients_starting,"              \
    "clients_retained,followed_up,abstinent,daily_opiate_use,injecting,"     \
    "sharing,acquisitive_crime\n"
#define NORMS_HEADER "modality,measure,norm,threshold_weeks,grade,source\n"

/* A temporary folder for the files, removed with them. */
static char dir[] = "/tmp/ns_test_services_XXXXXX";
static char path[sizeof dir + 32];

static const char *
write_file(const char *text)
{
    snprintf(path, sizeof path, "%s/in.csv", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    return path;
}

static int
make_dir(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int
remove_dir(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "%s/in.csv", dir);
    unlink(path);
    return rmdir(dir);
}

static void
print_diags(const struct ns_diags *d)
{
    for (size_t i = 0; i < d->count; i++)
        fprintf(stderr, "  %s:%d: %s\n", d->items[i].file ? d->items[i].file : "",
                d->items[i].line, d->items[i].text);
}

/* Asserts diagnostic i is on line and contains fragment. */
static void
assert_diag(const struct ns_diags *d, size_t i, int line, const char *fragment)
{
    if (i >= d->count || d->items[i].line != line ||
        !strstr(d->items[i].text, fragment)) {
        print_diags(d);
        fail_msg("diagnostic %zu: expected line %d with \"%s\"", i, line,
                 fragment);
    }
}

/* Loads text as a services file expecting it refused with one problem,
 * on line and containing fragment. */
static void
expect_one(const char *text, int line, const char *fragment)
{
    struct ns_diags d = {0};
    struct ns_services *s = (struct ns_services *)1;
    enum ns_status st = ns_services_load(write_file(text), strategies,
                                         N_STRATEGIES, &s, &d);
    if (st != NS_EPARAM || d.count != 1)
        print_diags(&d);
    assert_int_equal(st, NS_EPARAM);
    assert_null(s);
    assert_int_equal(d.count, 1);
    assert_diag(&d, 0, line, fragment);
    assert_string_equal(d.items[0].file, path);
    ns_diags_clear(&d);
}

/* A count read back from the shipped file's text: NS_BENCH_NONE when
 * empty. */
static long
count_of(const char *field)
{
    return *field ? strtol(field, NULL, 10) : NS_BENCH_NONE;
}

/* The example loads, and every count in it is the one in its text, read
 * here with a parser of its own (the example has no quoted fields). */
static void
example_loads(void **state)
{
    (void)state;
    const char *file = "../params/example-services.csv";
    struct ns_diags d = {0};
    struct ns_services *s = NULL;
    enum ns_status st =
        ns_services_load(file, strategies, N_STRATEGIES, &s, &d);
    print_diags(&d);
    assert_int_equal(st, NS_OK);
    assert_int_equal(d.count, 0);
    FILE *fp = fopen(file, "r");
    assert_non_null(fp);
    char line[512];
    assert_non_null(fgets(line, sizeof line, fp));
    assert_string_equal(line, HEADER);
    size_t row = 0, per_modality[N_STRATEGIES] = {0};
    const enum ns_bench_measure outcome[] = {
        NS_BENCH_ABSTINENT, NS_BENCH_DAILY_OPIATE, NS_BENCH_INJECTING,
        NS_BENCH_SHARING, NS_BENCH_CRIME};
    while (fgets(line, sizeof line, fp)) {
        assert_null(strchr(line, '"'));
        line[strcspn(line, "\r\n")] = '\0';
        char *f[12], *p = line;
        for (int i = 0; i < 12; i++) {
            f[i] = p;
            p += strcspn(p, ",");
            if (*p)
                *p++ = '\0';
        }
        assert_true(row < s->n);
        const struct ns_service *sv = &s->items[row];
        assert_string_equal(sv->id, f[0]);
        assert_string_equal(sv->name, f[1]);
        assert_non_null(strstr(sv->name, "(illustrative)"));
        assert_string_equal(sv->period, f[2]);
        assert_string_equal(strategies[sv->strategy], f[3]);
        per_modality[sv->strategy]++;
        assert_int_equal(sv->starting, count_of(f[4]));
        assert_int_equal(sv->count[NS_BENCH_RETENTION], count_of(f[5]));
        assert_int_equal(sv->followed_up, count_of(f[6]));
        for (int m = 0; m < 5; m++)
            assert_int_equal(sv->count[outcome[m]], count_of(f[7 + m]));
        assert_int_equal(sv->at.line, (int)row + 2);
        assert_ptr_equal(sv->at.file, s->file);
        row++;
    }
    fclose(fp);
    assert_int_equal(row, s->n);
    assert_true(s->n >= 20 && s->n <= 30);
    for (int k = 0; k < N_STRATEGIES; k++)
        assert_true(per_modality[k] >= 3);
    assert_string_equal(s->file, file);
    ns_services_free(s);
}

static void
header_problems(void **state)
{
    (void)state;
    expect_one("service_id,service_name,perod,modality,clients_starting,"
               "clients_retained,followed_up,abstinent,daily_opiate_use,"
               "injecting,sharing,acquisitive_crime\n"
               "S1,One,2024,mmt,10,5,,,,,,\n",
               1, "column 3 (period): expected 'period', found 'perod'");
    expect_one("service_id,service_name,period,modality,clients_starting,"
               "clients_retained,followed_up,abstinent,daily_opiate_use,"
               "injecting,sharing\n",
               1, "column 12 (acquisitive_crime): missing");
    /* A header in another order is refused column by column. */
    struct ns_diags d = {0};
    struct ns_services *s = NULL;
    enum ns_status st = ns_services_load(
        write_file("service_name,service_id,period,modality,"
                   "clients_starting,clients_retained,followed_up,abstinent,"
                   "daily_opiate_use,injecting,sharing,acquisitive_crime\n"
                   "One,S1,2024,mmt,10,5,,,,,,\n"),
        strategies, N_STRATEGIES, &s, &d);
    assert_int_equal(st, NS_EPARAM);
    assert_int_equal(d.count, 2);
    assert_diag(&d, 0, 1, "column 1 (service_id): expected 'service_id', "
                          "found 'service_name'");
    assert_diag(&d, 1, 1, "column 2 (service_name)");
    ns_diags_clear(&d);
}

static void
count_problems(void **state)
{
    (void)state;
    expect_one(HEADER "S1,One,2024,mmt,-3,0,,,,,,\n", 2,
               "column 5 (clients_starting): must not be negative, got '-3'");
    expect_one(HEADER "S1,One,2024,mmt,10,2.5,,,,,,\n", 2,
               "column 6 (clients_retained): must be a whole number, got "
               "'2.5'");
    expect_one(HEADER "S1,One,2024,mmt,ten,2,,,,,,\n", 2,
               "column 5 (clients_starting): must be a whole number of "
               "clients, got 'ten'");
    expect_one(HEADER "S1,One,2024,mmt,10,,,,,,,\n", 2,
               "column 6 (clients_retained): empty");
    expect_one(HEADER "S1,One,2024,mmt,0,0,,,,,,\n", 2,
               "column 5 (clients_starting): must be at least 1");
}

static void
denominator_problems(void **state)
{
    (void)state;
    expect_one(HEADER "S1,One,2024,mmt,10,11,,,,,,\n", 2,
               "column 6 (clients_retained): 11 retained is more than the "
               "10 clients starting");
    expect_one(HEADER "S1,One,2024,mmt,10,5,12,,,,,\n", 2,
               "column 7 (followed_up): 12 followed up is more than the 10 "
               "clients starting");
    expect_one(HEADER "S1,One,2024,mmt,10,5,4,5,,,,\n", 2,
               "column 8 (abstinent): 5 is more than the 4 clients followed "
               "up");
    expect_one(HEADER "S1,One,2024,mmt,10,5,,,,,,3\n", 2,
               "column 12 (acquisitive_crime): 3 given, but followed_up "
               "(column 7) is empty");
    /* Equal to the denominator is allowed. */
    struct ns_diags d = {0};
    struct ns_services *s = NULL;
    assert_int_equal(ns_services_load(
                         write_file(HEADER "S1,One,2024,mmt,10,10,10,10,0,,"
                                           "10,\n"),
                         strategies, N_STRATEGIES, &s, &d),
                     NS_OK);
    assert_int_equal(s->items[0].count[NS_BENCH_SHARING], 10);
    assert_int_equal(s->items[0].count[NS_BENCH_DAILY_OPIATE], 0);
    assert_int_equal(s->items[0].count[NS_BENCH_INJECTING], NS_BENCH_NONE);
    assert_int_equal(s->items[0].count[NS_BENCH_CRIME], NS_BENCH_NONE);
    ns_services_free(s);
}

static void
row_problems(void **state)
{
    (void)state;
    expect_one(HEADER "S1,One,2024,mmtt,10,5,,,,,,\n", 2,
               "column 4 (modality): 'mmtt' is not a strategy of the "
               "model (rehab, inpatient, mmt, mr); did you mean 'mmt'?");
    expect_one(HEADER "S1,One,2024,mmt,10,5,,,,,,\n"
                      "S2,Two,2024,mr,10,5,,,,,,\n"
                      "S1,One,2024,mmt,12,6,,,,,,\n",
               4, "column 1 (service_id): service 'S1' in period '2024' is "
                  "also on line 2");
    expect_one(HEADER "S1,One,2024,mmt,10,5,,,,,\n", 2,
               "row has 11 fields, the header has 12");
    expect_one(HEADER ",One,2024,mmt,10,5,,,,,,\n", 2,
               "column 1 (service_id): empty");
    expect_one("", 0, "the file is empty");
    expect_one("\n\n", 0, "the file is empty");
    expect_one(HEADER, 0, "the file has a header but no rows");
}

/* A file with three problems on three lines gives three diagnostics, in
 * line order, and the same service in two periods is not a duplicate. */
static void
all_problems_at_once(void **state)
{
    (void)state;
    struct ns_diags d = {0};
    struct ns_services *s = NULL;
    enum ns_status st = ns_services_load(
        write_file(HEADER "S1,One,2024,rehab,20,21,,,,,,\n"
                          "S1,One,2025,inpatient,20,-1,,,,,,\n"
                          "S2,Two,2025,mmt,300,200,150,10,20,30,40,151\n"
                          "S3,Three,2025,mr,30,20,,,,,,\n"),
        strategies, N_STRATEGIES, &s, &d);
    assert_int_equal(st, NS_EPARAM);
    assert_null(s);
    if (d.count != 3)
        print_diags(&d);
    assert_int_equal(d.count, 3);
    assert_diag(&d, 0, 2, "column 6 (clients_retained)");
    assert_diag(&d, 1, 3, "column 6 (clients_retained)");
    assert_diag(&d, 2, 4, "column 12 (acquisitive_crime)");
    ns_diags_clear(&d);
}

/* Excel's "CSV UTF-8" starts with a byte order mark; a quoted name may
 * hold a comma; CRLF line ends. */
static void
spreadsheet_csv(void **state)
{
    (void)state;
    struct ns_diags d = {0};
    struct ns_services *s = NULL;
    enum ns_status st = ns_services_load(
        write_file("\xEF\xBB\xBF" HEADER "S1,\"Hope House, Leeds\",2024-25,"
                   "rehab,12,7,,,,,,\r\n"),
        strategies, N_STRATEGIES, &s, &d);
    print_diags(&d);
    assert_int_equal(st, NS_OK);
    assert_int_equal(s->n, 1);
    assert_string_equal(s->items[0].id, "S1");
    assert_string_equal(s->items[0].name, "Hope House, Leeds");
    assert_int_equal(s->items[0].strategy, 0);
    assert_int_equal(s->items[0].starting, 12);
    assert_int_equal(s->items[0].count[NS_BENCH_RETENTION], 7);
    assert_int_equal(s->items[0].followed_up, NS_BENCH_NONE);
    ns_services_free(s);
}

static void
missing_file(void **state)
{
    (void)state;
    struct ns_diags d = {0};
    struct ns_services *s = NULL;
    assert_int_equal(ns_services_load("no-such-services.csv", strategies,
                                      N_STRATEGIES, &s, &d),
                     NS_EIO);
    assert_null(s);
    assert_int_equal(d.count, 1);
    assert_string_equal(d.items[0].file, "no-such-services.csv");
    ns_diags_clear(&d);
}

/* The shipped norms: every row read, every modality with a retention
 * norm and its threshold, every grade and source there. */
static void
shipped_norms(void **state)
{
    (void)state;
    const char *file = "../params/benchmark-norms.csv";
    struct ns_diags d = {0};
    struct ns_bench_norms *n = NULL;
    enum ns_status st =
        ns_bench_norms_load(file, strategies, N_STRATEGIES, &n, &d);
    print_diags(&d);
    assert_int_equal(st, NS_OK);
    FILE *fp = fopen(file, "r");
    assert_non_null(fp);
    size_t lines = 0;
    for (int c; (c = fgetc(fp)) != EOF;)
        lines += c == '\n';
    fclose(fp);
    assert_int_equal(n->n, lines - 1);
    size_t retention[N_STRATEGIES] = {0};
    for (size_t i = 0; i < n->n; i++) {
        const struct ns_bench_norm *nm = &n->items[i];
        assert_true(nm->norm >= 0.0 && nm->norm <= 1.0);
        assert_non_null(strchr("ABCU", nm->grade));
        assert_true(strlen(nm->source) > 20);
        assert_int_equal(nm->at.line, (int)i + 2);
        if (nm->measure == NS_BENCH_RETENTION) {
            retention[nm->strategy]++;
            assert_true(nm->threshold_weeks > 0.0);
        } else {
            assert_false(nm->threshold_weeks > 0.0 || nm->threshold_weeks < 0.0);
        }
    }
    for (int k = 0; k < N_STRATEGIES; k++)
        assert_int_equal(retention[k], 1);
    ns_bench_norms_free(n);
}

/* Every kind of problem of a norms file, one a line, all reported. */
static void
norms_problems(void **state)
{
    (void)state;
    struct ns_diags d = {0};
    struct ns_bench_norms *n = NULL;
    enum ns_status st = ns_bench_norms_load(
        write_file(NORMS_HEADER
                   "mmt,retension,0.9,12,B,a page\n"         /* 2 */
                   "mmt,retention,1.5,12,B,a page\n"         /* 3 */
                   "mr,retention,0.8,,B,a page\n"            /* 4 */
                   "mr,abstinent,0.3,52,B,a page\n"          /* 5 */
                   "rehab,abstinent,0.5,,D,a page\n"         /* 6 */
                   "rehab,sharing,0.07,,B,\n"                /* 7 */
                   "rehab,abstinent,0.4,,B,another page\n"   /* 8 */
                   "rehabb,sharing,0.07,,B,a page\n"),       /* 9 */
        strategies, N_STRATEGIES, &n, &d);
    assert_int_equal(st, NS_EPARAM);
    assert_null(n);
    if (d.count != 8)
        print_diags(&d);
    assert_int_equal(d.count, 8);
    assert_diag(&d, 0, 2, "column 2 (measure): 'retension' is not a measure "
                          "(retention, abstinent, daily_opiate_use, "
                          "injecting, sharing, acquisitive_crime); did you "
                          "mean 'retention'?");
    assert_diag(&d, 1, 3, "column 3 (norm): must be a proportion from 0 to "
                          "1, got '1.5'");
    assert_diag(&d, 2, 4, "column 4 (threshold_weeks): empty");
    assert_diag(&d, 3, 5, "column 4 (threshold_weeks): must be empty for "
                          "abstinent");
    assert_diag(&d, 4, 6, "column 5 (grade): must be A, B, C or U, got 'D'");
    assert_diag(&d, 5, 7, "column 6 (source): empty");
    assert_diag(&d, 6, 8, "a norm for rehab abstinent is also on line 6");
    assert_diag(&d, 7, 9, "column 1 (modality): 'rehabb' is not a strategy "
                          "of the model (rehab, inpatient, mmt, mr); did you "
                          "mean 'rehab'?");
    ns_diags_clear(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(example_loads),
        cmocka_unit_test(header_problems),
        cmocka_unit_test(count_problems),
        cmocka_unit_test(denominator_problems),
        cmocka_unit_test(row_problems),
        cmocka_unit_test(all_problems_at_once),
        cmocka_unit_test(spreadsheet_csv),
        cmocka_unit_test(missing_file),
        cmocka_unit_test(shipped_norms),
        cmocka_unit_test(norms_problems),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}

/* netsave: services and norms files (see services.h).
 *
 * A commissioner fills these in a spreadsheet, so every message names the
 * line and the column as the spreadsheet shows them, and all problems are
 * reported in one run: fixing one cell at a time through repeated runs is
 * what a commissioner would otherwise face every quarter. */
#include "params/services.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/names.h"
#include "params/csv_table.h"
#include "params/ini_read.h"

/* Larger counts are typing errors (a service does not start a billion
 * clients), and this keeps every count well inside a long. */
#define MAX_COUNT 1000000000.0

/* What the two readers share: the file, its fixed columns, the model's
 * strategies, and how reading went. */
struct reader {
    const char *file;  /* owned by the result */
    const char *kind;  /* "a services file", for messages */
    const char *const *columns;
    int n_columns;
    const char *const *strategies;
    size_t n_strategies;
    struct ns_diags *diags;
    bool header_seen, header_ok, failed, oom;
    size_t cap;        /* items allocated by the caller's reader */
};

/* Records "column N (name): TEXT" against line. */
static void problem(struct reader *rd, int line, int col, const char *fmt,
                    ...) NS_PRINTF(4, 5);

static void
problem(struct reader *rd, int line, int col, const char *fmt, ...)
{
    char text[1500];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    ns_diags_addf(rd->diags, rd->file, line, "column %d (%s): %s", col + 1,
                  rd->columns[col], text);
    rd->failed = true;
}

/* Joins names[0..n) with ", " into buf. */
static const char *
join(char *buf, size_t size, const char *const *names, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "",
                                names[i]);
    return buf;
}

/* Checks the header names the columns exactly, in order; records each
 * column that differs. False when rows cannot be read. */
static bool
check_header(struct reader *rd, int line, char **f, int n)
{
    char list[600], why[800];
    snprintf(why, sizeof why, "; %s has the columns %s, in this order",
             rd->kind,
             join(list, sizeof list, rd->columns, (size_t)rd->n_columns));
    bool ok = true;
    int most = n > rd->n_columns ? n : rd->n_columns;
    for (int i = 0; i < most; i++) {
        if (i < n && i < rd->n_columns && strcmp(f[i], rd->columns[i]) == 0)
            continue;
        /* The list of columns is said once, with the first problem. */
        const char *tail = ok ? why : "";
        if (i >= n) {
            problem(rd, line, i, "missing: the header ends after column %d%s",
                    n, tail);
        } else if (i >= rd->n_columns) {
            ns_diags_addf(rd->diags, rd->file, line,
                          "column %d: '%s' is not a column of %s: the last "
                          "is column %d (%s)%s",
                          i + 1, f[i], rd->kind, rd->n_columns,
                          rd->columns[rd->n_columns - 1], tail);
            rd->failed = true;
        } else {
            problem(rd, line, i, "expected '%s', found '%s'%s",
                    rd->columns[i], f[i], tail);
        }
        ok = false;
    }
    return ok;
}

/* The first call is the header; later ones are rows of the header's
 * width (a ragged row is recorded and false returned). */
static bool
row_is_data(struct reader *rd, int line, char **f, int n)
{
    if (!rd->header_seen) {
        rd->header_seen = true;
        rd->header_ok = check_header(rd, line, f, n);
        return false;
    }
    if (n == rd->n_columns)
        return true;
    ns_diags_addf(rd->diags, rd->file, line,
                  "row has %d fields, the header has %d", n, rd->n_columns);
    rd->failed = true;
    return false;
}

/* A required text field: false (recorded) when empty. */
static bool
present(struct reader *rd, int line, int col, const char *v, const char *what)
{
    if (*v)
        return true;
    problem(rd, line, col, "empty; %s", what);
    return false;
}

/* The modality: the index of one of the model's strategies, or false
 * (recorded) with the nearest name and the list. */
static bool
find_strategy(struct reader *rd, int line, int col, const char *v,
              size_t *out)
{
    for (size_t i = 0; i < rd->n_strategies; i++)
        if (strcmp(rd->strategies[i], v) == 0) {
            *out = i;
            return true;
        }
    char list[600], near[200];
    join(list, sizeof list, rd->strategies, rd->n_strategies);
    if (!*v)
        problem(rd, line, col, "empty; name one of the model's strategies: %s",
                list);
    else
        problem(rd, line, col,
                "'%s' is not a strategy of the model (%s)%s", v, list,
                ns_did_you_mean(near, sizeof near, v, rd->strategies,
                                rd->n_strategies));
    return false;
}

/* A count of clients: *out is the count, or NS_BENCH_NONE when empty and
 * that is allowed. False (recorded) when it is not a whole number from 0
 * to MAX_COUNT. */
static bool
read_count(struct reader *rd, int line, int col, const char *v,
           bool may_be_empty, long *out)
{
    *out = NS_BENCH_NONE;
    if (!*v && may_be_empty)
        return true;
    double x;
    if (!*v)
        problem(rd, line, col, "empty; a number of clients is required");
    else if (ns_parse_number(v, &x) != NS_OK)
        problem(rd, line, col, "must be a whole number of clients, got '%s'",
                v);
    else if (x < 0.0)
        problem(rd, line, col, "must not be negative, got '%s'", v);
    else if (x > floor(x))
        problem(rd, line, col, "must be a whole number, got '%s'", v);
    else if (x > MAX_COUNT)
        problem(rd, line, col, "must be at most %.0f, got '%s'", MAX_COUNT, v);
    else {
        *out = (long)x;
        return true;
    }
    return false;
}

/* items (n of size bytes) with room for one more, or NULL (out of
 * memory, recorded; items is still valid). */
static void *
grow(struct reader *rd, void *items, size_t n, size_t size)
{
    if (n < rd->cap)
        return items;
    size_t cap = rd->cap ? 2 * rd->cap : 16;
    void *more = realloc(items, cap * size);
    if (!more) {
        rd->oom = true;
        return NULL;
    }
    rd->cap = cap;
    return more;
}

/* Reads path, strips a byte order mark (spreadsheets' "CSV UTF-8" writes
 * one, which would otherwise become part of the first column's name) and
 * calls on_row for every record. */
static enum ns_status
read_csv(const char *path, struct reader *rd,
         bool (*on_row)(void *ctx, int line, char **f, int n), void *ctx)
{
    char *text = NULL, why[600];
    size_t len = 0;
    enum ns_status st = ns_read_file(path, &text, &len, why, sizeof why);
    if (st == NS_EIO)
        ns_diags_addf(rd->diags, path, 0, "%s", why);
    if (st != NS_OK)
        return st;
    const char *start = text;
    if (len >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0) {
        start += 3;
        len -= 3;
    }
    st = ns_csv_each_row(rd->file, start, len, on_row, ctx, rd->diags);
    free(text);
    if (st == NS_ENOMEM || rd->oom || rd->diags->lost_some)
        return NS_ENOMEM;
    return st == NS_OK && !rd->failed ? NS_OK : NS_EPARAM;
}

/* The status of a read that produced n items of what ("services"),
 * recording an empty file or one with only a header. */
static enum ns_status
finish(struct reader *rd, enum ns_status st, size_t n, const char *what)
{
    if (st == NS_OK && !rd->header_seen) {
        char list[600];
        ns_diags_addf(rd->diags, rd->file, 0,
                      "the file is empty; %s has a header row (%s), then one "
                      "row per %s",
                      rd->kind,
                      join(list, sizeof list, rd->columns,
                           (size_t)rd->n_columns),
                      what);
        return NS_EPARAM;
    }
    if (st == NS_OK && n == 0) {
        ns_diags_addf(rd->diags, rd->file, 0,
                      "the file has a header but no rows: no %s to read",
                      what);
        return NS_EPARAM;
    }
    return st;
}

/* ---- Services ---- */

enum service_column {
    S_ID, S_NAME, S_PERIOD, S_MODALITY, S_STARTING, S_RETAINED,
    S_FOLLOWED_UP, S_ABSTINENT, S_DAILY, S_INJECTING, S_SHARING, S_CRIME,
    N_SERVICE_COLUMNS
};

static const char *const service_columns[N_SERVICE_COLUMNS] = {
    "service_id",        "service_name",     "period",
    "modality",          "clients_starting", "clients_retained",
    "followed_up",       "abstinent",        "daily_opiate_use",
    "injecting",         "sharing",          "acquisitive_crime"};

/* The measure each outcome column counts. */
static const enum ns_bench_measure outcome_measure[] = {
    [S_ABSTINENT] = NS_BENCH_ABSTINENT, [S_DAILY] = NS_BENCH_DAILY_OPIATE,
    [S_INJECTING] = NS_BENCH_INJECTING, [S_SHARING] = NS_BENCH_SHARING,
    [S_CRIME] = NS_BENCH_CRIME};

struct services_reader {
    struct reader rd;
    struct ns_services *s;
};

/* Records a duplicate of an earlier row's (service_id, period). */
static void
check_unique_service(struct services_reader *sr, const struct ns_service *sv)
{
    for (size_t i = 0; i + 1 < sr->s->n; i++) {
        const struct ns_service *o = &sr->s->items[i];
        if (strcmp(o->id, sv->id) == 0 && strcmp(o->period, sv->period) == 0)
            problem(&sr->rd, sv->at.line, S_ID,
                    "service '%s' in period '%s' is also on line %d; each "
                    "service has one row per period",
                    sv->id, sv->period, o->at.line);
    }
}

/* Checks each count against its denominator: retained and followed up
 * against those starting, outcomes against those followed up. Counts
 * that did not read (NS_BENCH_NONE with ok false) are not compared. */
static void
check_denominators(struct reader *rd, int line, struct ns_service *sv,
                   const bool *ok)
{
    if (ok[S_STARTING] && sv->starting == 0)
        problem(rd, line, S_STARTING,
                "must be at least 1: with no clients starting there is no "
                "proportion to set against a norm (leave the row out)");
    if (ok[S_STARTING] && ok[S_RETAINED] &&
        sv->count[NS_BENCH_RETENTION] > sv->starting)
        problem(rd, line, S_RETAINED,
                "%ld retained is more than the %ld clients starting "
                "(column %d)",
                sv->count[NS_BENCH_RETENTION], sv->starting, S_STARTING + 1);
    if (ok[S_STARTING] && ok[S_FOLLOWED_UP] &&
        sv->followed_up > sv->starting)
        problem(rd, line, S_FOLLOWED_UP,
                "%ld followed up is more than the %ld clients starting "
                "(column %d)",
                sv->followed_up, sv->starting, S_STARTING + 1);
    for (int c = S_ABSTINENT; c <= S_CRIME; c++) {
        long k = sv->count[outcome_measure[c]];
        if (!ok[c] || k == NS_BENCH_NONE || !ok[S_FOLLOWED_UP])
            continue;
        if (sv->followed_up == NS_BENCH_NONE)
            problem(rd, line, c,
                    "%ld given, but followed_up (column %d) is empty: "
                    "outcomes are counted among the clients followed up",
                    k, S_FOLLOWED_UP + 1);
        else if (k > sv->followed_up)
            problem(rd, line, c,
                    "%ld is more than the %ld clients followed up (column "
                    "%d)",
                    k, sv->followed_up, S_FOLLOWED_UP + 1);
    }
}

/* Reads the counts of a row into sv; ok[c] says which read. */
static void
read_service_counts(struct reader *rd, int line, char **f,
                    struct ns_service *sv, bool *ok)
{
    ok[S_STARTING] = read_count(rd, line, S_STARTING, f[S_STARTING], false,
                                &sv->starting);
    ok[S_RETAINED] = read_count(rd, line, S_RETAINED, f[S_RETAINED], false,
                                &sv->count[NS_BENCH_RETENTION]);
    ok[S_FOLLOWED_UP] = read_count(rd, line, S_FOLLOWED_UP, f[S_FOLLOWED_UP],
                                   true, &sv->followed_up);
    for (int c = S_ABSTINENT; c <= S_CRIME; c++)
        ok[c] = read_count(rd, line, c, f[c], true,
                           &sv->count[outcome_measure[c]]);
    check_denominators(rd, line, sv, ok);
}

static bool
service_row(void *ctx, int line, char **f, int n)
{
    struct services_reader *sr = ctx;
    struct reader *rd = &sr->rd;
    if (!row_is_data(rd, line, f, n))
        return rd->header_ok;
    struct ns_services *s = sr->s;
    struct ns_service *items = grow(rd, s->items, s->n, sizeof *items);
    if (!items)
        return false;
    s->items = items;
    struct ns_service *sv = &s->items[s->n++];
    *sv = (struct ns_service){.at = {s->file, line}};
    sv->id = strdup(f[S_ID]);
    sv->name = strdup(f[S_NAME]);
    sv->period = strdup(f[S_PERIOD]);
    if (!sv->id || !sv->name || !sv->period) {
        rd->oom = true;
        return false;
    }
    bool id_ok = present(rd, line, S_ID, f[S_ID], "every row needs a "
                                                  "service id");
    present(rd, line, S_NAME, f[S_NAME], "name the service");
    bool period_ok = present(rd, line, S_PERIOD, f[S_PERIOD],
                             "name the period the counts are for");
    find_strategy(rd, line, S_MODALITY, f[S_MODALITY], &sv->strategy);
    bool ok[N_SERVICE_COLUMNS] = {false};
    read_service_counts(rd, line, f, sv, ok);
    if (id_ok && period_ok)
        check_unique_service(sr, sv);
    return true;
}

enum ns_status
ns_services_load(const char *path, const char *const *strategies,
                 size_t n_strategies, struct ns_services **out,
                 struct ns_diags *diags)
{
    *out = NULL;
    struct ns_services *s = calloc(1, sizeof *s);
    if (!s || !(s->file = strdup(path))) {
        free(s);
        return NS_ENOMEM;
    }
    struct services_reader sr = {
        .rd = {.file = s->file, .kind = "a services file",
               .columns = service_columns, .n_columns = N_SERVICE_COLUMNS,
               .strategies = strategies, .n_strategies = n_strategies,
               .diags = diags},
        .s = s};
    enum ns_status st = read_csv(path, &sr.rd, service_row, &sr);
    st = finish(&sr.rd, st, s->n, "service and period");
    if (st != NS_OK) {
        ns_services_free(s);
        return st;
    }
    *out = s;
    return NS_OK;
}

/* ---- Norms ---- */

enum norm_column {
    N_MODALITY, N_MEASURE, N_NORM, N_THRESHOLD, N_GRADE, N_SOURCE,
    N_NORM_COLUMNS
};

static const char *const norm_columns[N_NORM_COLUMNS] = {
    "modality", "measure", "norm", "threshold_weeks", "grade", "source"};

struct norms_reader {
    struct reader rd;
    struct ns_bench_norms *norms;
};

/* The measure named v, or false (recorded) with the nearest name. */
static bool
find_measure(struct reader *rd, int line, const char *v,
             enum ns_bench_measure *out)
{
    const char *names[NS_BENCH_N_MEASURES];
    for (int m = 0; m < NS_BENCH_N_MEASURES; m++) {
        names[m] = ns_bench_measure_name((enum ns_bench_measure)m);
        if (strcmp(names[m], v) == 0) {
            *out = (enum ns_bench_measure)m;
            return true;
        }
    }
    char list[300], near[200];
    join(list, sizeof list, names, NS_BENCH_N_MEASURES);
    problem(rd, line, N_MEASURE, "'%s' is not a measure (%s)%s", v, list,
            ns_did_you_mean(near, sizeof near, v, names,
                            NS_BENCH_N_MEASURES));
    return false;
}

static void
read_norm_value(struct reader *rd, int line, const char *v, double *out)
{
    if (ns_parse_number(v, out) == NS_OK && *out >= 0.0 && *out <= 1.0)
        return;
    problem(rd, line, N_NORM, "must be a proportion from 0 to 1, got '%s'%s",
            v,
            *out > 1.0 && *out <= 100.0 ? " (a percentage? 45% is 0.45)" : "");
}

/* Retention needs the weeks it counts; the other measures have none. */
static void
read_threshold(struct reader *rd, int line, const char *v,
               struct ns_bench_norm *nm, bool measure_ok)
{
    if (!measure_ok)
        return;
    if (nm->measure != NS_BENCH_RETENTION) {
        if (*v)
            problem(rd, line, N_THRESHOLD,
                    "must be empty for %s: only retention has a threshold, "
                    "got '%s'",
                    ns_bench_measure_name(nm->measure), v);
        return;
    }
    if (!*v)
        problem(rd, line, N_THRESHOLD,
                "empty; a retention norm needs the weeks retained it counts "
                "(12 for NDTMS's 12-week retention)");
    else if (ns_parse_number(v, &nm->threshold_weeks) != NS_OK ||
             !(nm->threshold_weeks > 0.0))
        problem(rd, line, N_THRESHOLD,
                "must be a number of weeks above 0, got '%s'", v);
}

/* Records a duplicate of an earlier row's (modality, measure). */
static void
check_unique_norm(struct norms_reader *nr, const struct ns_bench_norm *nm)
{
    for (size_t i = 0; i + 1 < nr->norms->n; i++) {
        const struct ns_bench_norm *o = &nr->norms->items[i];
        if (o->strategy == nm->strategy && o->measure == nm->measure)
            problem(&nr->rd, nm->at.line, N_MEASURE,
                    "a norm for %s %s is also on line %d; one norm per "
                    "modality and measure",
                    nr->rd.strategies[nm->strategy],
                    ns_bench_measure_name(nm->measure), o->at.line);
    }
}

static bool
norm_row(void *ctx, int line, char **f, int n)
{
    struct norms_reader *nr = ctx;
    struct reader *rd = &nr->rd;
    if (!row_is_data(rd, line, f, n))
        return rd->header_ok;
    struct ns_bench_norms *norms = nr->norms;
    struct ns_bench_norm *items = grow(rd, norms->items, norms->n,
                                       sizeof *items);
    if (!items)
        return false;
    norms->items = items;
    struct ns_bench_norm *nm = &norms->items[norms->n++];
    /* A modality or measure that does not read stays out of range, so
     * that no later row is taken for its duplicate. */
    *nm = (struct ns_bench_norm){.strategy = (size_t)-1,
                                 .measure = NS_BENCH_N_MEASURES,
                                 .at = {norms->file, line}};
    if (!(nm->source = strdup(f[N_SOURCE]))) {
        rd->oom = true;
        return false;
    }
    bool strategy_ok =
        find_strategy(rd, line, N_MODALITY, f[N_MODALITY], &nm->strategy);
    bool measure_ok = find_measure(rd, line, f[N_MEASURE], &nm->measure);
    read_norm_value(rd, line, f[N_NORM], &nm->norm);
    read_threshold(rd, line, f[N_THRESHOLD], nm, measure_ok);
    const char *g = f[N_GRADE];
    if (strlen(g) == 1 && strchr("ABCU", g[0]))
        nm->grade = g[0];
    else
        problem(rd, line, N_GRADE, "must be A, B, C or U, got '%s'", g);
    present(rd, line, N_SOURCE, f[N_SOURCE],
            "say where the norm was read (or, graded U, what was searched "
            "for)");
    if (strategy_ok && measure_ok)
        check_unique_norm(nr, nm);
    return true;
}

enum ns_status
ns_bench_norms_load(const char *path, const char *const *strategies,
                    size_t n_strategies, struct ns_bench_norms **out,
                    struct ns_diags *diags)
{
    *out = NULL;
    struct ns_bench_norms *norms = calloc(1, sizeof *norms);
    if (!norms || !(norms->file = strdup(path))) {
        free(norms);
        return NS_ENOMEM;
    }
    struct norms_reader nr = {
        .rd = {.file = norms->file, .kind = "a norms file",
               .columns = norm_columns, .n_columns = N_NORM_COLUMNS,
               .strategies = strategies, .n_strategies = n_strategies,
               .diags = diags},
        .norms = norms};
    enum ns_status st = read_csv(path, &nr.rd, norm_row, &nr);
    st = finish(&nr.rd, st, norms->n, "modality and measure");
    if (st != NS_OK) {
        ns_bench_norms_free(norms);
        return st;
    }
    *out = norms;
    return NS_OK;
}

/* netsave: what every CSV file shares (see csv_write.h): RFC 4180 text
 * fields, numbers that read back exactly, the list of file names, and
 * each file written atomically.
 *
 * Text fields are quoted as RFC 4180 says (only when they hold a comma, a
 * double quote or a line break); lines end with "\n". Numbers are printed
 * so that strtod() gives back the very same double, in the fewest
 * significant digits that do (0.51, not 0.51000000000000001): the files
 * are for further computation, and rounding is for people (the
 * workbook's number formats). */
#include "output/csv_write.h"

#include "model/ledger.h"

#include <errno.h>
#include <fenv.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/atomic.h"

/* Writes s as it is, unless an earlier write failed. */
void
csv_put_raw(struct csv *c, const char *s)
{
    if (c->err)
        return;
    errno = 0;
    if (fputs(s, c->fp) == EOF)
        c->err = errno ? errno : EIO;
}

/* Writes n bytes of s as they are, unless an earlier write failed. */
static void
put_bytes(struct csv *c, const char *s, size_t n)
{
    if (c->err || n == 0)
        return;
    errno = 0;
    if (fwrite(s, 1, n, c->fp) != n)
        c->err = errno ? errno : EIO;
}

/* Writes a text field, quoted when it holds a comma, a quote or a line
 * break, with quotes inside doubled (RFC 4180). NULL writes an empty
 * field. */
void
csv_put_text(struct csv *c, const char *s)
{
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        csv_put_raw(c, s);
        return;
    }
    csv_put_raw(c, "\"");
    for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
        put_bytes(c, s, (size_t)(q - s) + 1);
        csv_put_raw(c, "\"");
    }
    csv_put_raw(c, s);
    csv_put_raw(c, "\"");
}

void
csv_format_number(double v, char *out, size_t out_size)
{
    /* 17 significant digits always read back (IEEE 754 binary64); most
     * doubles written from decimal inputs need only 15. Bits are compared,
     * not values, so that -0 stays -0. A shorter spelling of a number near
     * DBL_MAX may read back as infinity: the overflow that raises is
     * held, so that a caller trapping floating-point exceptions never
     * sees it and its flags are as they were. */
    fenv_t env;
    feholdexcept(&env);
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(out, out_size, "%.*g", digits, v);
        double back = strtod(out, NULL);
        if (memcmp(&back, &v, sizeof v) == 0)
            break;
    }
    fesetenv(&env);
}

/* Writes a number that reads back exactly. Non-finite values, which an
 * honest model never produces, are spelled the way R, pandas and strtod
 * all read them. */
void
csv_put_number(struct csv *c, double v)
{
    char buf[CSV_NUMBER_SIZE];
    if (isnan(v))
        csv_put_raw(c, "NaN");
    else if (isinf(v))
        csv_put_raw(c, v > 0 ? "Inf" : "-Inf");
    else {
        csv_format_number(v, buf, sizeof buf);
        csv_put_raw(c, buf);
    }
}

void
csv_put_count(struct csv *c, size_t n)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%zu", n);
    csv_put_raw(c, buf);
}

void
csv_put_sep(struct csv *c)
{
    csv_put_raw(c, ",");
}

/* Writes n numbers as consecutive fields, separated by commas. */
void
csv_put_numbers(struct csv *c, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            csv_put_sep(c);
        csv_put_number(c, v[i]);
    }
}

/* Writes n text fields, separated by commas. */
void
csv_put_texts(struct csv *c, const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            csv_put_sep(c);
        csv_put_text(c, v[i]);
    }
}

void
csv_end_row(struct csv *c)
{
    csv_put_raw(c, "\n");
}

/* Writes a number, or an empty field ("not applicable") for one that is
 * not finite: a ratio without a denominator, a figure without a
 * comparator, an anchor figure netsave cannot compute (its
 * not_computable column says why). */
void
csv_put_optional(struct csv *c, double v)
{
    if (isfinite(v))
        csv_put_number(c, v);
}

const char *const ns_csv_names[] = {
    "trace.csv",        "values.csv",
    "summary.csv",      "incremental.csv",
    "validation.csv",   "net_savings.csv",
    "payers.csv",       "net_savings_by_year.csv",
    "outcomes.csv",     "checks.csv",
    "attrition.csv",    "psa_summary.csv",
    "ceac.csv",         "psa_draws.csv",
    "tornado.csv",      "tornado_by_payer.csv",
    "two_way.csv",      "scenarios.csv",
    "scenario_changes.csv", "expansion.csv",
    "expansion_payers.csv", "anchors.csv",
    "anchors_arms.csv", "benchmark.csv",
    "benchmark_groups.csv", "benchmark_total.csv",
    "frontier.csv",     "ceaf.csv",
    "area.csv",         "area_payers.csv",
    "evppi.csv",
};
const size_t ns_csv_n_names = sizeof ns_csv_names / sizeof *ns_csv_names;

/* The commands check ns_csv_names for files they read before any work:
 * a file written that is not listed could replace an input unchecked, so
 * it is refused here, where every test that writes it would fail. */
bool
csv_listed(const char *name, char *err, size_t err_size)
{
    for (size_t i = 0; i < ns_csv_n_names; i++)
        if (strcmp(ns_csv_names[i], name) == 0)
            return true;
    snprintf(err, err_size, "internal error: %s is not in ns_csv_names",
             name);
    return false;
}

/* Writes one file of dir atomically. */
enum ns_status
csv_write_file(const char *dir, const char *name, write_fn *write,
               const struct source *src, char *err, size_t err_size)
{
    if (!csv_listed(name, err, err_size))
        return NS_EIO;
    size_t dir_len = strlen(dir);
    bool slash = dir_len > 0 && dir[dir_len - 1] == '/';
    size_t size = dir_len + 1 + strlen(name) + 1;
    char *path = malloc(size);
    if (!path) {
        snprintf(err, err_size, "cannot write %s: %s", name, strerror(ENOMEM));
        return NS_EIO;
    }
    snprintf(path, size, "%s%s%s", dir, slash ? "" : "/", name);

    /* In a set, the file is only begun and written here: the set renames
     * it with the rest of the run's files, or removes it. */
    struct ns_atomic own, *a = &own;
    enum ns_status st =
        src->set ? ns_atomic_set_begin(src->set, path, 1, &a, err, err_size)
                 : ns_atomic_begin(&own, path, 1, err, err_size);
    if (st == NS_OK) {
        struct csv c = {.fp = a->fp, .err = 0};
        write(&c, src);
        if (c.err) {
            snprintf(err, err_size, "cannot write %s: %s", path,
                     strerror(c.err));
            st = NS_EIO;
        }
        if (!src->set && st == NS_OK)
            st = ns_atomic_commit(&own, err, err_size);
        else if (!src->set)
            ns_atomic_abort(&own);
    }
    free(path);
    return st;
}

const char *
csv_view_name(const struct ns_model *m, long perspective)
{
    return perspective == NS_ALL_PAYERS ? "all_payers"
                                        : m->perspectives[perspective].name;
}

void
csv_put_pair(struct csv *c, const struct ns_model *m, size_t k)
{
    csv_put_text(c, m->strategies[k].name);
    csv_put_sep(c);
    csv_put_text(c, m->strategies[m->comparator[k]].name);
    csv_put_sep(c);
}

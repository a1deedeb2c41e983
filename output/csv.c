/* netsave: results as CSV files for analysts' scripts.
 *
 * Four tidy files, one observation per row, each written atomically:
 * trace.csv, values.csv, summary.csv and incremental.csv. Their column
 * names and order are a contract with users' R and Python code
 * (docs/outputs.md): add columns at the end, never rename or reorder.
 * Text fields are quoted as RFC 4180 says (only when they hold a comma, a
 * double quote or a line break); lines end with "\n". Numbers are printed
 * with 17 significant digits so that strtod() gives back the very same
 * double: the files are for further computation, and rounding is for
 * people (the workbook's number formats). Identifiers (names), never
 * labels, appear in the files, so that scripts can join on them. */
#include "output/output.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/atomic.h"

struct csv {
    FILE *fp;
    int err; /* errno of the first write that failed, 0 while all succeed */
};

/* Writes s as it is, unless an earlier write failed. */
static void
put_raw(struct csv *c, const char *s)
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
static void
put_text(struct csv *c, const char *s)
{
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        put_raw(c, s);
        return;
    }
    put_raw(c, "\"");
    for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
        put_bytes(c, s, (size_t)(q - s) + 1);
        put_raw(c, "\"");
    }
    put_raw(c, s);
    put_raw(c, "\"");
}

/* Writes a number that reads back exactly. Non-finite values, which an
 * honest model never produces, are spelled the way R, pandas and strtod
 * all read them. */
static void
put_number(struct csv *c, double v)
{
    char buf[40];
    if (isnan(v))
        put_raw(c, "NaN");
    else if (isinf(v))
        put_raw(c, v > 0 ? "Inf" : "-Inf");
    else {
        snprintf(buf, sizeof buf, "%.17g", v);
        put_raw(c, buf);
    }
}

static void
put_count(struct csv *c, size_t n)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%zu", n);
    put_raw(c, buf);
}

static void
put_sep(struct csv *c)
{
    put_raw(c, ",");
}

static void
end_row(struct csv *c)
{
    put_raw(c, "\n");
}

/* trace.csv: the cohort in each state at each time point. */
static void
write_trace(struct csv *c, const struct ns_model *m, const struct ns_results *r)
{
    put_raw(c, "strategy,cycle,state,occupancy\n");
    for (size_t k = 0; k < r->n_strategies && !c->err; k++)
        for (size_t t = 0; t < r->n_points && !c->err; t++)
            for (size_t s = 0; s < r->n_states; s++) {
                put_text(c, m->strategies[k].name);
                put_sep(c);
                put_count(c, t);
                put_sep(c);
                put_text(c, m->states[s].name);
                put_sep(c);
                put_number(c, ns_results_trace(r, k, t, s));
                end_row(c);
            }
}

/* values.csv: what each stream counts at each time point. */
static void
write_values(struct csv *c, const struct ns_model *m,
             const struct ns_results *r)
{
    put_raw(c, "strategy,cycle,stream,undiscounted,discounted\n");
    for (size_t k = 0; k < r->n_strategies && !c->err; k++)
        for (size_t t = 0; t < r->n_points && !c->err; t++)
            for (size_t j = 0; j < r->n_streams; j++) {
                put_text(c, m->strategies[k].name);
                put_sep(c);
                put_count(c, t);
                put_sep(c);
                put_text(c, m->streams[j].name);
                put_sep(c);
                put_number(c, ns_results_value(r, k, t, j, false));
                put_sep(c);
                put_number(c, ns_results_value(r, k, t, j, true));
                end_row(c);
            }
}

/* summary.csv: each stream's totals, and their differences from the
 * strategy's comparator (empty when it has none). */
static void
write_summary(struct csv *c, const struct ns_model *m,
              const struct ns_results *r)
{
    put_raw(c, "strategy,stream,outcome,total,discounted_total,comparator,"
               "difference,discounted_difference\n");
    for (size_t k = 0; k < r->n_strategies && !c->err; k++) {
        long cmp = m->comparator[k];
        for (size_t j = 0; j < r->n_streams; j++) {
            put_text(c, m->strategies[k].name);
            put_sep(c);
            put_text(c, m->streams[j].name);
            put_sep(c);
            put_text(c, m->outcomes[m->streams[j].outcome].name);
            put_sep(c);
            put_number(c, ns_results_total(r, k, j, false));
            put_sep(c);
            put_number(c, ns_results_total(r, k, j, true));
            put_sep(c);
            if (cmp >= 0) {
                size_t kc = (size_t)cmp;
                put_text(c, m->strategies[kc].name);
                put_sep(c);
                put_number(c, ns_results_total(r, k, j, false) -
                                  ns_results_total(r, kc, j, false));
                put_sep(c);
                put_number(c, ns_results_total(r, k, j, true) -
                                  ns_results_total(r, kc, j, true));
            } else {
                put_raw(c, ",,");
            }
            end_row(c);
        }
    }
}

/* incremental.csv: cost and health differences against the comparator,
 * undiscounted then discounted, for each strategy that has a comparator.
 * Only the header when the model names no cost or no health outcome. */
static void
write_incremental(struct csv *c, const struct ns_model *m,
                  const struct ns_results *r)
{
    put_raw(c, "strategy,comparator,delta_cost,delta_health,icer,dominance,"
               "discounted\n");
    if (m->cost_outcome < 0 || m->health_outcome < 0)
        return;
    for (size_t k = 0; k < r->n_strategies && !c->err; k++) {
        for (int disc = 0; disc <= 1; disc++) {
            struct ns_incremental inc;
            ns_results_incremental(m, r, k, disc, &inc);
            if (!inc.has_comparator || !inc.has_icer)
                break;
            put_text(c, m->strategies[k].name);
            put_sep(c);
            put_text(c, m->strategies[inc.comparator].name);
            put_sep(c);
            put_number(c, inc.delta_cost);
            put_sep(c);
            put_number(c, inc.delta_health);
            put_sep(c);
            if (!isnan(inc.icer))
                put_number(c, inc.icer);
            put_sep(c);
            put_text(c, ns_dominance_name(inc.dominance));
            put_sep(c);
            put_raw(c, disc ? "1" : "0");
            end_row(c);
        }
    }
}

typedef void write_fn(struct csv *c, const struct ns_model *m,
                      const struct ns_results *r);

static const struct {
    const char *name;
    write_fn *write;
} csv_files[] = {
    {"trace.csv", write_trace},
    {"values.csv", write_values},
    {"summary.csv", write_summary},
    {"incremental.csv", write_incremental},
};

/* Writes one file of dir atomically. */
static enum ns_status
write_file(const char *dir, const char *name, write_fn *write,
           const struct ns_model *m, const struct ns_results *r, char *err,
           size_t err_size)
{
    size_t dir_len = strlen(dir);
    bool slash = dir_len > 0 && dir[dir_len - 1] == '/';
    size_t size = dir_len + 1 + strlen(name) + 1;
    char *path = malloc(size);
    if (!path) {
        snprintf(err, err_size, "cannot write %s: %s", name, strerror(ENOMEM));
        return NS_EIO;
    }
    snprintf(path, size, "%s%s%s", dir, slash ? "" : "/", name);

    struct ns_atomic a;
    enum ns_status st = ns_atomic_begin(&a, path, 1, err, err_size);
    if (st == NS_OK) {
        struct csv c = {.fp = a.fp, .err = 0};
        write(&c, m, r);
        if (c.err) {
            snprintf(err, err_size, "cannot write %s: %s", path,
                     strerror(c.err));
            ns_atomic_abort(&a);
            st = NS_EIO;
        } else {
            st = ns_atomic_commit(&a, err, err_size);
        }
    }
    free(path);
    return st;
}

/* Checks that results were sized for this model: a mismatch is a caller's
 * bug that would otherwise read out of bounds. */
static bool
results_match(const struct ns_model *m, const struct ns_results *r)
{
    return r->n_strategies == m->n_strategies &&
           r->n_points == m->n_cycles + 1 && r->n_states == m->n_states &&
           r->n_streams == m->n_streams && r->n_outcomes == m->n_outcomes;
}

enum ns_status
ns_csv_write_results(const char *dir, const struct ns_model *model,
                     const struct ns_results *results, char *err,
                     size_t err_size)
{
    if (!results_match(model, results)) {
        snprintf(err, err_size,
                 "cannot write CSV files in %s: results do not match the "
                 "model",
                 dir);
        return NS_EOUTPUT;
    }
    for (size_t i = 0; i < sizeof csv_files / sizeof csv_files[0]; i++) {
        enum ns_status st =
            write_file(dir, csv_files[i].name, csv_files[i].write, model,
                       results, err, err_size);
        if (st != NS_OK)
            return st;
    }
    return NS_OK;
}

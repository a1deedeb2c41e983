/* netsave: CSV look-up tables.
 *
 * Tables are small (a life table has about a hundred rows), so the parser
 * favours exact messages over speed: every field is checked, and every
 * problem names the file, the line and the column. */
#include "params/csv_table.h"
#include "params/text.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Splits one CSV record in place into fields; returns the field count or
 * -1 for an unterminated quote. Fields point into line. */
static int
split_fields(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return n + 1;
        char *out = p, *start = p;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '\0')
                    return -1;
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *out++ = *p++;
                }
            }
            while (*p && *p != ',')
                p++;
        } else {
            while (*p && *p != ',')
                *out++ = *p++;
        }
        char sep = *p;
        *out = '\0';
        fields[n++] = start;
        if (sep != ',')
            return n;
        p++;
    }
}

char *
ns_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

enum { MAX_FIELDS = 256 };

/* A copy of the text to cut in place, NUL-terminated, without the byte
 * order mark spreadsheets' "CSV UTF-8" writes (as INI files, which the
 * reader accepts it in; it would otherwise become part of the first
 * column's name). A NUL byte would end a record early and surface as a
 * wrong field count, so it is refused by line. NULL with *st set to
 * NS_ENOMEM or NS_EPARAM (recorded) when there is no copy. */
static char *
text_copy(const char *file, const char *text, size_t len,
          struct ns_diags *diags, enum ns_status *st)
{
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        int line = 1;
        for (const char *p = text; p < nul; p++)
            line += *p == '\n';
        ns_diags_addf(diags, file, line, "a NUL byte (the file is not text)");
        *st = NS_EPARAM;
        return NULL;
    }
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    char *copy = malloc(len + 1);
    if (!copy) {
        *st = NS_ENOMEM;
        return NULL;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    return copy;
}

/* A header naming a column twice would be read from the first of the two
 * silently; empty names (trailing commas) may repeat. Records the first
 * repeat against file:line; returns false then. */
static bool
header_names_distinct(const char *file, int line, char **names, int n,
                      struct ns_diags *diags)
{
    for (int j = 1; j < n; j++)
        for (int i = 0; i < j && names[j][0]; i++)
            if (strcmp(names[i], names[j]) == 0) {
                ns_diags_addf(diags, file, line,
                              "column %d, '%s', has the name of column %d; "
                              "each column needs its own name",
                              j + 1, names[j], i + 1);
                return false;
            }
    return true;
}

/* The next line of text at *save that is not blank, cut out in place and
 * without its CR; *line counts every line read. NULL at the end. */
static char *
next_record(char **save, int *line)
{
    while (*save) {
        char *rec = *save, *nl = strchr(rec, '\n');
        *save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        ++*line;
        size_t rl = strlen(rec);
        if (rl > 0 && rec[rl - 1] == '\r')
            rec[rl - 1] = '\0';
        if (*ns_trim(rec) != '\0')
            return rec;
    }
    return NULL;
}

enum ns_status
ns_csv_each_row(const char *file, const char *text, size_t len,
                bool (*row)(void *ctx, int line, char **fields, int n),
                void *ctx, struct ns_diags *diags)
{
    enum ns_status st = NS_OK;
    char *copy = text_copy(file, text, len, diags, &st);
    if (!copy)
        return st;
    char **fields = malloc(MAX_FIELDS * sizeof *fields);
    if (!fields) {
        free(copy);
        return NS_ENOMEM;
    }
    int line = 0;
    bool header = true;
    char *rec, *save = copy;
    while ((rec = next_record(&save, &line)) != NULL) {
        if (!ns_text_check_line(file, line, rec, strlen(rec), diags)) {
            st = NS_EPARAM;
            continue;
        }
        int nf = split_fields(rec, fields, MAX_FIELDS);
        if (nf < 0 || nf > MAX_FIELDS) {
            ns_diags_addf(diags, file, line,
                          nf < 0 ? "unterminated quoted field"
                                 : "too many columns");
            st = NS_EPARAM;
            continue;
        }
        for (int i = 0; i < nf; i++)
            fields[i] = ns_trim(fields[i]);
        if (header && !header_names_distinct(file, line, fields, nf, diags)) {
            st = NS_EPARAM;
            break;
        }
        header = false;
        if (!row(ctx, line, fields, nf))
            break;
    }
    free(copy);
    free(fields);
    return st;
}

/* Finds a column by name in the header; records a problem if absent. */
static int
find_column(const char *file, char **header, int n, const char *name,
            struct ns_diags *diags)
{
    for (int i = 0; i < n; i++)
        if (strcmp(header[i], name) == 0)
            return i;
    char cols[512] = "";
    size_t len = 0;
    for (int i = 0; i < n && len < sizeof cols; i++)
        len += (size_t)snprintf(cols + len, sizeof cols - len, "%s%s",
                                i ? ", " : "", header[i]);
    ns_diags_addf(diags, file, 1, "no column named '%s'; the header has: %s",
                  name, cols);
    return -1;
}

enum ns_status
ns_csv_table_parse(const char *file, const char *text, size_t len,
                   const char *key_column, const char *value_column,
                   double **x, double **y, size_t *n, struct ns_diags *diags)
{
    *x = *y = NULL;
    *n = 0;
    enum ns_status st = NS_OK;
    char *copy = text_copy(file, text, len, diags, &st);
    if (!copy)
        return st;
    char **fields = malloc(MAX_FIELDS * sizeof *fields);
    char **header = malloc(MAX_FIELDS * sizeof *header);
    size_t cap = 64;
    double *xs = malloc(cap * sizeof *xs), *ys = malloc(cap * sizeof *ys);
    if (!fields || !header || !xs || !ys) {
        free(copy);
        free(fields);
        free(header);
        free(xs);
        free(ys);
        return NS_ENOMEM;
    }
    bool failed = false, oom = false;
    int n_header = 0, kcol = -1, vcol = -1, line = 0;
    char *save = copy, *rec;
    size_t rows = 0;
    while (!oom && (rec = next_record(&save, &line)) != NULL) {
        char **target = n_header ? fields : header;
        bool text_ok = ns_text_check_line(file, line, rec, strlen(rec), diags);
        int nf = text_ok ? split_fields(rec, target, MAX_FIELDS) : 0;
        if (!text_ok) {
            failed = true;
            if (!n_header)
                break;
            continue;
        }
        if (nf < 0 || nf > MAX_FIELDS) {
            ns_diags_addf(diags, file, line,
                          nf < 0 ? "unterminated quoted field"
                                 : "too many columns");
            failed = true;
            if (!n_header)
                break;
            continue;
        }
        for (int i = 0; i < nf; i++)
            target[i] = ns_trim(target[i]);
        if (!n_header) {
            n_header = nf;
            if (!header_names_distinct(file, line, header, nf, diags)) {
                failed = true;
                break;
            }
            kcol = find_column(file, header, nf, key_column, diags);
            vcol = find_column(file, header, nf, value_column, diags);
            if (kcol < 0 || vcol < 0) {
                failed = true;
                break;
            }
            continue;
        }
        if (nf != n_header) {
            ns_diags_addf(diags, file, line,
                          "row has %d fields, the header has %d", nf,
                          n_header);
            failed = true;
            continue;
        }
        double kv = 0.0, vv = 0.0;
        int cols[2] = {kcol, vcol};
        double *outs[2] = {&kv, &vv};
        bool row_ok = true;
        for (int c = 0; c < 2; c++) {
            if (ns_parse_number(fields[cols[c]], outs[c]) != 0) {
                ns_diags_addf(diags, file, line,
                              "column '%s' must be a number, got '%s'",
                              header[cols[c]], fields[cols[c]]);
                failed = true;
                row_ok = false;
            }
        }
        if (!row_ok)
            continue;
        if (rows > 0 && !(kv > xs[rows - 1])) {
            ns_diags_addf(diags, file, line,
                          "column '%s' must increase from row to row, got %g "
                          "after %g",
                          key_column, kv, xs[rows - 1]);
            failed = true;
            continue;
        }
        if (rows == cap) {
            cap *= 2;
            double *nx = realloc(xs, cap * sizeof *xs);
            if (nx)
                xs = nx;
            double *ny = nx ? realloc(ys, cap * sizeof *ys) : NULL;
            if (ny)
                ys = ny;
            if (!nx || !ny) {
                oom = true;
                break;
            }
        }
        xs[rows] = kv;
        ys[rows] = vv;
        rows++;
    }
    if (!oom && !failed && n_header == 0) {
        ns_diags_addf(diags, file, 0, "is empty: expected a header row");
        failed = true;
    } else if (!oom && !failed && rows == 0) {
        ns_diags_addf(diags, file, 0, "has a header but no rows");
        failed = true;
    }
    free(copy);
    free(fields);
    free(header);
    if (oom || failed) {
        free(xs);
        free(ys);
        return oom ? NS_ENOMEM : NS_EPARAM;
    }
    *x = xs;
    *y = ys;
    *n = rows;
    return NS_OK;
}

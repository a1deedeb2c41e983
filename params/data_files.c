/* netsave: the files a model names (CSV tables, validation targets),
 * read relative to the model's folder or from the built-in files, and
 * the list of every file read, with its SHA-256 hash. */
#include "params/loader.h"

#include <nettle/sha2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params/csv_table.h"
#include "params/paths.h"

/* Lists the file read, with its hash and, when on_disk, its identity. */
const char *
ns_loader_remember_file(struct loader *ld, const char *path, const char *text,
              size_t len, bool on_disk)
{
    struct ns_params *p = ld->params;
    char **files = realloc(p->files, (p->n_files + 1) * sizeof *files);
    if (!files)
        return NULL;
    p->files = files;
    unsigned char(*hashes)[32] =
        realloc(p->hashes, (p->n_files + 1) * sizeof *hashes);
    if (!hashes)
        return NULL;
    p->hashes = hashes;
    struct ns_file_id *ids =
        realloc(p->file_ids, (p->n_files + 1) * sizeof *ids);
    if (!ids)
        return NULL;
    p->file_ids = ids;
    ids[p->n_files] = (struct ns_file_id){0};
    if (on_disk)
        ns_file_id_of(path, &ids[p->n_files]);
    char *copy = strdup(path);
    if (!copy)
        return NULL;
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, len, (const uint8_t *)text);
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, hashes[p->n_files]);
    files[p->n_files++] = copy;
    return copy;
}

/* Reads a data file named by key (where, for messages, at line) relative
 * to the model's folder, or from the built-in files; returns its stable
 * path (hashed and listed among the inputs) and its text (free it), or
 * NULL with the problem recorded. */
static const char *
read_data_file(struct loader *ld, const char *name, int line,
               const char *where, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    char *path = ns_path_resolve(ld->base_dir, name);
    if (!path) {
        ld->out_of_mem = true;
        return NULL;
    }
    char why[256];
    enum ns_status st = NS_EIO;
    const struct ns_memory_file *mem = NULL;
    for (size_t m = 0; m < ld->params->n_memory_files; m++)
        if (strcmp(ld->params->memory_files[m].name, name) == 0)
            mem = &ld->params->memory_files[m];
    if (mem) {
        *text = malloc(mem->len + 1);
        st = *text ? NS_OK : NS_ENOMEM;
        if (*text) {
            memcpy(*text, mem->text, mem->len);
            (*text)[mem->len] = '\0';
            *len = mem->len;
        }
    } else {
        st = ns_read_file(path, text, len, why, sizeof why);
    }
    const char *stable = NULL;
    if (st == NS_EIO) {
        FAIL(ld, line, "%s: %s", where, why);
        ld->params->is_partial = true;
    } else if (st == NS_ENOMEM) {
        ld->out_of_mem = true;
    } else {
        stable = ns_loader_remember_file(ld, path, *text, *len, !mem);
        if (!stable)
            ld->out_of_mem = true;
    }
    if (!stable) {
        free(*text);
        *text = NULL;
    }
    free(path);
    return stable;
}

/* Reads targets: a CSV file with one observed value per row. The first
 * seven columns are required; the others are optional, so that older
 * targets files keep working (docs/model-format.md). */
enum target_column {
    TC_TIME, TC_ARMS, TC_MEASURE, TC_OBSERVED, TC_TOLERANCE, TC_GRADE,
    TC_SOURCE, TC_NOTE, TC_FOLLOWED_UP, TC_WORSE, TC_ROLE, TC_RELATIVE_TO,
    TC_PERIOD, TC_SUBGROUP, TC_IF_MISSED, TC_COUNT
};
#define TC_REQUIRED TC_NOTE

static const char *const target_columns[TC_COUNT] = {
    "time_years", "arms",        "measure",     "observed",
    "tolerance",  "grade",       "source",      "note",
    "followed_up", "worse",      "role",        "relative_to",
    "period_years", "subgroup", "if_missed"};

struct target_reader {
    struct loader *ld;
    const char *file;
    int col[TC_COUNT]; /* field index of each column, -1 when absent */
    bool header_seen;
};

/* Finds the columns in the header row; false (stop reading) when a
 * required one is missing. */
static bool
target_header(struct target_reader *tr, int line, char **f, int n)
{
    for (int c = 0; c < TC_COUNT; c++) {
        tr->col[c] = -1;
        for (int i = 0; i < n; i++)
            if (strcmp(f[i], target_columns[c]) == 0)
                tr->col[c] = i;
        if (tr->col[c] < 0 && c < TC_REQUIRED) {
            ns_diags_addf(tr->ld->diags, tr->file, line,
                          "no column named '%s'; a targets file has "
                          "columns time_years, arms, measure, observed, "
                          "tolerance, grade, source and note",
                          target_columns[c]);
            tr->ld->failed = true;
            return false;
        }
    }
    return true;
}

/* The text of column c in a row, "" when the file has no such column. */
static char *
target_field(const struct target_reader *tr, char **f, enum target_column c)
{
    static char empty[1] = "";
    return tr->col[c] >= 0 ? f[tr->col[c]] : empty;
}

/* Reports a field of column c that is not what it must be; returns
 * false. */
static bool
target_field_problem(struct target_reader *tr, int line, enum target_column c,
                     const char *expected, const char *found)
{
    ns_diags_addf(tr->ld->diags, tr->file, line,
                  "column '%s' must be %s, got '%s'", target_columns[c],
                  expected, found);
    tr->ld->failed = true;
    return false;
}

/* Parses column c as a number into *value, leaving it as it is when the
 * column is absent or empty and empty is allowed; false with a message
 * otherwise. */
static bool
target_number(struct target_reader *tr, int line, char **f,
              enum target_column c, bool may_be_empty, const char *what,
              double *value)
{
    const char *v = target_field(tr, f, c);
    if ((may_be_empty && !*v) || ns_parse_number(v, value) == 0)
        return true;
    return target_field_problem(tr, line, c, what, v);
}

/* Reads the role column: fit (also when empty or absent) or holdout. */
static bool
target_role(struct target_reader *tr, int line, char **f,
            enum ns_target_role *role)
{
    const char *v = target_field(tr, f, TC_ROLE);
    *role = strcmp(v, "holdout") == 0 ? NS_ROLE_HOLDOUT : NS_ROLE_FIT;
    if (!*v || strcmp(v, "fit") == 0 || *role == NS_ROLE_HOLDOUT)
        return true;
    return target_field_problem(tr, line, TC_ROLE,
                                "fit or holdout (empty: fit)", v);
}

/* The optional columns of a row after followed_up. */
static bool
target_options(struct target_reader *tr, int line, char **f,
               struct ns_def_target *t)
{
    bool ok = target_role(tr, line, f, &t->role);
    t->has_relative_to = *target_field(tr, f, TC_RELATIVE_TO) != '\0';
    ok &= target_number(tr, line, f, TC_RELATIVE_TO, true,
                        "a time in years (empty: none)", &t->relative_to);
    ok &= target_number(tr, line, f, TC_PERIOD, true,
                        "a number of years (empty or 0: a time point)",
                        &t->period_years);
    t->subgroup = target_field(tr, f, TC_SUBGROUP);
    return ok;
}

static bool
target_row(void *ctx, int line, char **f, int n)
{
    struct target_reader *tr = ctx;
    struct loader *ld = tr->ld;
    if (!tr->header_seen) {
        tr->header_seen = true;
        return target_header(tr, line, f, n);
    }
    int needed = 0;
    for (int c = 0; c < TC_COUNT; c++)
        if (tr->col[c] + 1 > needed)
            needed = tr->col[c] + 1;
    if (n < needed) {
        ns_diags_addf(ld->diags, tr->file, line,
                      "row has %d fields, the header has at least %d", n,
                      needed);
        ld->failed = true;
        return true;
    }
    struct ns_def_target t = {.followed_up = 1.0};
    if (!target_number(tr, line, f, TC_TIME, false, "a number",
                       &t.time_years) ||
        !target_number(tr, line, f, TC_OBSERVED, false, "a number",
                       &t.observed) ||
        !target_number(tr, line, f, TC_TOLERANCE, false, "a number",
                       &t.tolerance) ||
        !target_number(tr, line, f, TC_FOLLOWED_UP, true, "a number",
                       &t.followed_up) ||
        !target_options(tr, line, f, &t))
        return true;
    t.arms = f[tr->col[TC_ARMS]];
    t.measure = f[tr->col[TC_MEASURE]];
    t.grade = f[tr->col[TC_GRADE]];
    t.source = f[tr->col[TC_SOURCE]];
    t.note = target_field(tr, f, TC_NOTE);
    t.if_missed = target_field(tr, f, TC_IF_MISSED);
    t.worse = target_field(tr, f, TC_WORSE);
    t.at = (struct ns_origin){tr->file, line};
    check(ld, ns_def_add_target(&ld->params->def, &t));
    return !ld->out_of_mem;
}

void
ns_loader_load_targets(struct loader *ld, const struct ns_ini_entry *e)
{
    char *text;
    size_t len;
    const char *file = read_data_file(ld, e->value, e->line,
                                      "[validation] key targets", &text, &len);
    if (!file)
        return;
    struct target_reader tr = {.ld = ld, .file = file};
    enum ns_status st =
        ns_csv_each_row(file, text, len, target_row, &tr, ld->diags);
    if (st == NS_ENOMEM)
        ld->out_of_mem = true;
    else if (st != NS_OK)
        ld->failed = true;
    free(text);
}

void
ns_loader_load_tables(struct loader *ld, struct pending_tables *pt)
{
    for (size_t i = 0; i < pt->n && !ld->out_of_mem; i++) {
        struct table_spec *t = &pt->items[i];
        const char *missing = !t->file         ? "file"
                              : !t->key_column ? "key_column"
                              : !t->value_column ? "value_column"
                                                 : NULL;
        if (missing) {
            FAIL(ld, t->line, "[table.%s] is missing key %s", t->name,
                 missing);
            continue;
        }
        char *text = NULL;
        size_t len = 0;
        char where[160];
        snprintf(where, sizeof where, "[table.%s] key file", t->name);
        const char *stable =
            read_data_file(ld, t->file, t->file_line, where, &text, &len);
        enum ns_status st = stable ? NS_OK : NS_EIO;
        double *x, *y;
        size_t n;
        if (stable) {
            st = ns_csv_table_parse(stable, text, len, t->key_column,
                                    t->value_column, &x, &y, &n, ld->diags);
            if (st == NS_OK)
                check(ld, ns_def_add_table(
                              &ld->params->def, t->name, x, y, n,
                              t->lookup && strcmp(t->lookup, "exact") == 0
                                  ? NS_TABLE_EXACT
                                  : NS_TABLE_STEP,
                              (struct ns_origin){ld->file, t->line}));
        }
        if (st == NS_ENOMEM)
            ld->out_of_mem = true;
        else if (st != NS_OK)
            ld->failed = ld->params->is_partial = true;
        free(text);
    }
    for (size_t i = 0; i < pt->n; i++) {
        free(pt->items[i].name);
        free(pt->items[i].file);
        free(pt->items[i].key_column);
        free(pt->items[i].value_column);
        free(pt->items[i].lookup);
    }
    free(pt->items);
}


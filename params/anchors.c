/* netsave: anchors files (see anchors.h). */
#include "params/anchors.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/ledger.h"
#include "params/csv_table.h"
#include "params/paths.h"
#include "params/ini_read.h"

/* Excel refuses longer text in a cell, and the workbook shows every
 * field: refused here, with the row named, rather than there. */
#define MAX_TEXT 32767

enum column {
    C_ANCHOR,
    C_STUDY,
    C_DESIGN,
    C_SCENARIO,
    C_ARMS,
    C_BENEFITS,
    C_COST_SHARE,
    C_PUBLISHED,
    C_PUBLISHED_TEXT,
    C_SOURCE,
    C_EXPLANATION,
    N_COLUMNS
};

/* Each column's name and what its fields must be; NULL: any text, empty
 * or not. */
static const struct {
    const char *name, *expected;
} columns[N_COLUMNS] = {
    {"anchor", "an id of letters, digits, '_', '-' or '.'"},
    {"study", "the study, as cited"},
    {"design", "what the study did"},
    {"scenario", "an overlay INI file, relative to the anchors file, or empty"},
    {"arms", "strategies with weights, such as 'rehab:286 + mmt:458', or one "
             "strategy"},
    {"benefits", "one perspective, such as 'society', or payers separated by "
                 "spaces, such as 'victims police cjs nhs'"},
    {"cost_share", "a share of the treatment cost above 0 and at most 1 (1: "
                   "the gross cost)"},
    {"published", "a number (2.5 for a ratio of 2.5:1)"},
    {"published_text", NULL},
    {"source", "where the figure was read"},
    {"explanation", NULL},
};

struct reader {
    struct ns_anchor_defs *defs;
    struct ns_diags *diags;
    const char *dir;      /* the anchors file's folder, NULL for none */
    int col[N_COLUMNS];   /* each column's position in the file */
    int n_header;
    size_t cap;
    bool header_seen, failed, oom;
};

/* Records "NAME (column N) must be EXPECTED, got 'VALUE'[: DETAIL]"
 * against at, column c being at position (1-based) in the file; expected
 * NULL is the column's usual expectation, an empty detail none. */
static void report(struct ns_diags *diags, struct ns_origin at, enum column c,
                   int position, const char *expected, const char *value,
                   const char *detail_fmt, ...) NS_PRINTF(7, 8);

static void
report(struct ns_diags *diags, struct ns_origin at, enum column c,
       int position, const char *expected, const char *value,
       const char *detail_fmt, ...)
{
    char detail[900];
    va_list ap;
    va_start(ap, detail_fmt);
    vsnprintf(detail, sizeof detail, detail_fmt, ap);
    va_end(ap);
    ns_diags_add_at(diags, at, "%s (column %d) must be %s, got '%s'%s%s",
                    columns[c].name, position,
                    expected ? expected : columns[c].expected, value,
                    *detail ? ": " : "", detail);
}

/* report() for a row being read, with the column's usual expectation. */
static void
problem(struct reader *rd, int line, enum column c, const char *value,
        const char *detail)
{
    report(rd->diags, (struct ns_origin){rd->defs->file, line}, c,
           rd->col[c] + 1, NULL, value, "%s", detail ? detail : "");
    rd->failed = true;
}

static bool
is_name_char(char c, const char *extra)
{
    return isalnum((unsigned char)c) || c == '_' || (c && strchr(extra, c));
}

/* Whether s is a non-empty run of letters, digits, '_' and extra. */
static bool
is_name(const char *s, const char *extra)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!is_name_char(*s, extra))
            return false;
    return true;
}

static void
free_names(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

/* Splits arms ("a:286 + b:122" or "a") into d's names and normalised
 * weights. On a malformed term, writes what is wrong into why and leaves
 * n_arms 0. Returns false only when memory runs out. */
static bool
parse_arms(struct ns_anchor_def *d, char *why, size_t why_size)
{
    char *copy = strdup(d->arms);
    size_t n = 1;
    for (const char *q = d->arms; *q; q++)
        n += *q == '+';
    char **names = calloc(n, sizeof *names);
    double *weights = calloc(n, sizeof *weights);
    bool oom = !copy || !names || !weights;
    size_t got = 0;
    double total = 0.0;
    for (char *term = copy, *next; !oom && !*why && term; term = next) {
        next = strchr(term, '+');
        if (next)
            *next++ = '\0';
        char *colon = strchr(term, ':');
        if (colon)
            *colon = '\0';
        char *name = ns_trim(term);
        double w = 1.0;
        if (!*name)
            snprintf(why, why_size, "a term names no strategy");
        else if (!is_name(name, ""))
            snprintf(why, why_size,
                     "'%s' is not a strategy name (letters, digits, '_')",
                     name);
        else if (colon && (ns_parse_number(colon + 1, &w) != 0 || !(w > 0.0)))
            snprintf(why, why_size, "the weight of %s must be a number above "
                                    "0, got '%s'",
                     name, ns_trim(colon + 1));
        for (size_t i = 0; !*why && i < got; i++)
            if (strcmp(names[i], name) == 0)
                snprintf(why, why_size, "%s is listed twice", name);
        if (*why)
            break;
        names[got] = strdup(name);
        oom = !names[got];
        weights[got++] = w;
        total += w;
    }
    free(copy);
    if (!oom && !*why && !isfinite(total))
        snprintf(why, why_size, "the weights add up to more than a number "
                                "can hold");
    if (oom || *why) {
        free_names(names, got);
        free(weights);
        return !oom;
    }
    for (size_t i = 0; i < got; i++)
        weights[i] /= total;
    d->arm_names = names;
    d->arm_weights = weights;
    d->n_arms = got;
    return true;
}

/* Splits benefits into words (names of payers or one perspective). On a
 * malformed word, writes what is wrong into why and leaves n_benefits 0.
 * Returns false only when memory runs out. */
static bool
parse_benefits(struct ns_anchor_def *d, char *why, size_t why_size)
{
    size_t n = 1;
    for (const char *q = d->benefits; *q; q++)
        n += *q == ' ';
    char *copy = strdup(d->benefits);
    char **words = calloc(n, sizeof *words);
    bool oom = !copy || !words;
    size_t got = 0;
    char *save = NULL;
    for (char *w = copy ? strtok_r(copy, " \t", &save) : NULL;
         !oom && w && !*why; w = strtok_r(NULL, " \t", &save)) {
        if (!is_name(w, ""))
            snprintf(why, why_size,
                     "'%s' is not a name (letters, digits, '_')", w);
        for (size_t i = 0; !*why && i < got; i++)
            if (strcmp(words[i], w) == 0)
                snprintf(why, why_size, "%s is listed twice", w);
        if (*why)
            break;
        words[got] = strdup(w);
        oom = !words[got++];
    }
    free(copy);
    if (oom || *why) {
        free_names(words, got);
        return !oom;
    }
    d->benefit_names = words;
    d->n_benefits = got;
    return true;
}

/* Checks the scenario names a file that can be read; the model builder
 * reads it later. */
static void
check_scenario(struct reader *rd, struct ns_anchor_def *d, const char *value,
               int line)
{
    d->scenario_ok = true;
    if (!*value)
        return;
    d->scenario = ns_path_resolve(rd->dir, value);
    if (!d->scenario) {
        rd->oom = true;
        return;
    }
    char *text = NULL, why[600];
    size_t len;
    enum ns_status st = ns_read_file(d->scenario, &text, &len, why,
                                     sizeof why);
    free(text);
    if (st == NS_ENOMEM)
        rd->oom = true;
    else if (st != NS_OK) {
        problem(rd, line, C_SCENARIO, value, why);
        d->scenario_ok = false;
    }
}

static void
check_number(struct reader *rd, int line, enum column c, const char *value,
             double *out)
{
    if (ns_parse_number(value, out) != 0)
        problem(rd, line, c, value, NULL);
    else if (c == C_COST_SHARE && !(*out > 0.0 && *out <= 1.0))
        problem(rd, line, c, value, NULL);
}

/* Checks the id is well formed and not used by an earlier row. */
static void
check_id(struct reader *rd, int line, const char *id)
{
    if (!is_name(id, "-.")) {
        problem(rd, line, C_ANCHOR, id, NULL);
        return;
    }
    char why[120];
    for (size_t i = 0; i + 1 < rd->defs->n; i++) {
        if (strcmp(rd->defs->items[i].anchor, id) != 0)
            continue;
        snprintf(why, sizeof why,
                 "the anchor on line %d has that id; ids must be unique",
                 rd->defs->items[i].at.line);
        problem(rd, line, C_ANCHOR, id, why);
    }
}

/* Copies the text fields; checks required ones are there and that none is
 * too long for a workbook cell. */
static void
copy_texts(struct reader *rd, struct ns_anchor_def *d, char **f, int line)
{
    char **slot[N_COLUMNS] = {
        [C_ANCHOR] = &d->anchor,   [C_STUDY] = &d->study,
        [C_DESIGN] = &d->design,   [C_ARMS] = &d->arms,
        [C_BENEFITS] = &d->benefits,
        [C_PUBLISHED_TEXT] = &d->published_text,
        [C_SOURCE] = &d->source,   [C_EXPLANATION] = &d->explanation};
    for (int c = 0; c < N_COLUMNS; c++) {
        const char *v = f[rd->col[c]];
        size_t len = strlen(v);
        if (len > MAX_TEXT) {
            ns_diags_addf(rd->diags, rd->defs->file, line,
                          "%s (column %d) must be at most %d characters "
                          "(Excel's limit for a cell), got %zu",
                          columns[c].name, rd->col[c] + 1, MAX_TEXT, len);
            rd->failed = true;
        } else if (!*v && columns[c].expected && c != C_SCENARIO) {
            problem(rd, line, (enum column)c, v, "the field is empty");
        }
        if (slot[c] && !(*slot[c] = strdup(v)))
            rd->oom = true;
        if (c == C_ANCHOR && *v && len <= MAX_TEXT)
            check_id(rd, line, v);
    }
}

/* Checks one row into a new item of defs. */
static void
read_row(struct reader *rd, int line, char **f)
{
    struct ns_anchor_defs *defs = rd->defs;
    if (defs->n == rd->cap) {
        size_t cap = rd->cap ? 2 * rd->cap : 8;
        struct ns_anchor_def *items =
            realloc(defs->items, cap * sizeof *items);
        if (!items) {
            rd->oom = true;
            return;
        }
        defs->items = items;
        rd->cap = cap;
    }
    struct ns_anchor_def *d = &defs->items[defs->n++];
    *d = (struct ns_anchor_def){.at = {defs->file, line},
                                .arms_column = rd->col[C_ARMS] + 1,
                                .benefits_column = rd->col[C_BENEFITS] + 1};
    size_t before = rd->diags->count;
    copy_texts(rd, d, f, line);
    if (rd->oom)
        return;
    check_scenario(rd, d, f[rd->col[C_SCENARIO]], line);
    char why[600] = "";
    if (*d->arms && !parse_arms(d, why, sizeof why))
        rd->oom = true;
    if (*why)
        problem(rd, line, C_ARMS, d->arms, why);
    why[0] = '\0';
    if (*d->benefits && !parse_benefits(d, why, sizeof why))
        rd->oom = true;
    if (*why || (*d->benefits && d->n_benefits == 0 && !rd->oom))
        problem(rd, line, C_BENEFITS, d->benefits,
                *why ? why : "it names nothing");
    if (*f[rd->col[C_COST_SHARE]])
        check_number(rd, line, C_COST_SHARE, f[rd->col[C_COST_SHARE]],
                     &d->cost_share);
    if (*f[rd->col[C_PUBLISHED]])
        check_number(rd, line, C_PUBLISHED, f[rd->col[C_PUBLISHED]],
                     &d->published);
    d->valid = rd->diags->count == before && !rd->diags->lost_some;
}

/* Finds every column in the header; false (with every missing or repeated
 * column recorded) when rows cannot be read. */
static bool
read_header(struct reader *rd, int line, char **f, int n)
{
    bool ok = true;
    rd->n_header = n;
    for (int c = 0; c < N_COLUMNS; c++) {
        rd->col[c] = -1;
        for (int i = 0; i < n; i++) {
            if (strcmp(f[i], columns[c].name) != 0)
                continue;
            if (rd->col[c] >= 0) {
                ns_diags_addf(rd->diags, rd->defs->file, line,
                              "column '%s' appears twice (columns %d and %d)",
                              columns[c].name, rd->col[c] + 1, i + 1);
                ok = false;
            }
            rd->col[c] = i;
        }
        if (rd->col[c] < 0) {
            ns_diags_addf(rd->diags, rd->defs->file, line,
                          "no column named '%s'; an anchors file has columns "
                          "anchor, study, design, scenario, arms, benefits, "
                          "cost_share, published, published_text, source and "
                          "explanation",
                          columns[c].name);
            ok = false;
        }
    }
    rd->failed |= !ok;
    return ok;
}

static bool
on_row(void *ctx, int line, char **f, int n)
{
    struct reader *rd = ctx;
    if (!rd->header_seen) {
        rd->header_seen = true;
        return read_header(rd, line, f, n);
    }
    if (n != rd->n_header) {
        ns_diags_addf(rd->diags, rd->defs->file, line,
                      "row has %d fields, the header has %d", n,
                      rd->n_header);
        rd->failed = true;
        return true;
    }
    read_row(rd, line, f);
    return !rd->oom;
}

static enum ns_status
parse(struct ns_anchor_defs *defs, const char *path, const char *text,
      size_t len, struct ns_diags *diags)
{
    char *dir;
    bool oom = !ns_path_folder(path, &dir);
    struct reader rd = {.defs = defs, .diags = diags, .dir = dir};
    /* Spreadsheets often save CSV with a byte order mark, which would
     * otherwise be part of the first column's name. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    enum ns_status st =
        oom ? NS_ENOMEM : ns_csv_each_row(defs->file, text, len, on_row, &rd,
                                          diags);
    free(dir);
    if (st == NS_OK && (rd.oom || diags->lost_some))
        st = NS_ENOMEM;
    if (st == NS_OK && !rd.header_seen)
        ns_diags_addf(diags, defs->file, 0,
                      "the file is empty; an anchors file has a header row, "
                      "then one published study a row");
    else if (st == NS_OK && !rd.failed && defs->n == 0)
        ns_diags_addf(diags, defs->file, 0,
                      "the file has a header but no anchors");
    if (st == NS_OK && (rd.failed || defs->n == 0))
        st = NS_EPARAM;
    return st;
}

enum ns_status
ns_anchors_load(const char *path, struct ns_anchor_defs **out,
                struct ns_diags *diags)
{
    *out = NULL;
    char *text = NULL, why[600];
    size_t len = 0;
    enum ns_status st = ns_read_file(path, &text, &len, why, sizeof why);
    if (st == NS_EIO) {
        ns_diags_addf(diags, NULL, 0, "anchors file: %s", why);
        return st;
    }
    struct ns_anchor_defs *defs = calloc(1, sizeof *defs);
    if (st != NS_OK || !defs || !(defs->file = strdup(path))) {
        free(text);
        ns_anchor_defs_free(defs);
        return NS_ENOMEM;
    }
    st = parse(defs, path, text, len, diags);
    free(text);
    if (st == NS_ENOMEM) {
        ns_anchor_defs_free(defs);
        return st;
    }
    *out = defs;
    return st;
}

void
ns_anchor_defs_free(struct ns_anchor_defs *defs)
{
    if (!defs)
        return;
    for (size_t i = 0; i < defs->n; i++) {
        struct ns_anchor_def *d = &defs->items[i];
        free(d->anchor);
        free(d->study);
        free(d->design);
        free(d->arms);
        free(d->benefits);
        free(d->published_text);
        free(d->source);
        free(d->explanation);
        free(d->scenario);
        free_names(d->arm_names, d->n_arms);
        free(d->arm_weights);
        free_names(d->benefit_names, d->n_benefits);
    }
    free(defs->items);
    free(defs->file);
    free(defs);
}

/* Appends name to the list "a, b" in buf (of size n), cut when full. */
static void
list_name(char *buf, size_t n, const char *name)
{
    size_t len = strlen(buf);
    if (len + 1 < n)
        snprintf(buf + len, n - len, "%s%s", len ? ", " : "", name);
}

static bool
resolve_arms(const struct ns_anchor_def *d, const struct ns_model *m,
             struct ns_anchor_spec *spec, struct ns_diags *diags)
{
    char known[600] = "";
    for (size_t k = 0; k < m->n_strategies; k++)
        if (m->comparator[k] >= 0)
            list_name(known, sizeof known, m->strategies[k].name);
    bool ok = true;
    for (size_t i = 0; i < d->n_arms; i++) {
        long k = ns_model_find_strategy(m, d->arm_names[i]);
        if (k >= 0 && m->comparator[k] >= 0) {
            spec->strategy[i] = (size_t)k;
            spec->weight[i] = d->arm_weights[i];
            continue;
        }
        report(diags, d->at, C_ARMS, d->arms_column,
               "strategies that have a comparator", d->arm_names[i],
               k < 0 ? "the model has no such strategy; those with a "
                       "comparator are %s"
                     : "it has no comparator; the strategies with one are %s",
               known);
        ok = false;
    }
    return ok;
}

/* Index of the perspective called name ("all_payers" is NS_ALL_PAYERS), or
 * -2 for none. */
static long
find_perspective(const struct ns_model *m, const char *name)
{
    if (strcmp(name, "all_payers") == 0)
        return NS_ALL_PAYERS;
    for (size_t i = 0; i < m->n_perspectives; i++)
        if (strcmp(m->perspectives[i].name, name) == 0)
            return (long)i;
    return -2;
}

static long
find_payer(const struct ns_model *m, const char *name)
{
    for (size_t p = 0; p < m->n_payers; p++)
        if (strcmp(m->payers[p], name) == 0)
            return (long)p;
    return -1;
}

/* One perspective, or payers: marks the payers whose savings count
 * (leaving has_payer NULL for all payers). */
static enum ns_status
resolve_benefits(const struct ns_anchor_def *d, const struct ns_model *m,
                 struct ns_anchor_spec *spec, struct ns_diags *diags)
{
    long view = d->n_benefits == 1 ? find_perspective(m, d->benefit_names[0])
                                   : -2;
    if (view == NS_ALL_PAYERS)
        return NS_OK;
    spec->has_payer = calloc(m->n_payers + 1, sizeof *spec->has_payer);
    if (!spec->has_payer)
        return NS_ENOMEM;
    if (view >= 0) {
        for (size_t p = 0; p < m->n_payers; p++)
            spec->has_payer[p] = m->perspectives[view].has_payer[p];
        return NS_OK;
    }
    char views[600] = "", payers[600] = "";
    for (size_t i = 0; i < m->n_perspectives; i++)
        list_name(views, sizeof views, m->perspectives[i].name);
    list_name(views, sizeof views, "all_payers");
    for (size_t p = 0; p < m->n_payers; p++)
        list_name(payers, sizeof payers, m->payers[p]);
    enum ns_status st = NS_OK;
    for (size_t i = 0; i < d->n_benefits; i++) {
        const char *w = d->benefit_names[i];
        long p = find_payer(m, w);
        if (p >= 0) {
            spec->has_payer[p] = true;
            continue;
        }
        report(diags, d->at, C_BENEFITS, d->benefits_column,
               "one perspective of the model, or payers of it", w,
               find_perspective(m, w) != -2
                   ? "a perspective is a set of payers: give one "
                     "perspective alone (%s), or payers (%s)"
                   : "the model has no such perspective or payer; its "
                     "perspectives are %s, its payers %s",
               views, payers);
        st = NS_EPARAM;
    }
    return st;
}

enum ns_status
ns_anchor_resolve(const struct ns_anchor_def *def, const struct ns_model *m,
                  struct ns_anchor_spec *spec, struct ns_diags *diags)
{
    *spec = (struct ns_anchor_spec){.cost_share = def->cost_share};
    if (m->cost_outcome < 0) {
        ns_diags_add_at(diags, def->at,
                        "the model has no cost outcome ([model] "
                        "cost_outcome), so there are no savings to count");
        return NS_EPARAM;
    }
    spec->strategy = calloc(def->n_arms + 1, sizeof *spec->strategy);
    spec->weight = calloc(def->n_arms + 1, sizeof *spec->weight);
    if (!spec->strategy || !spec->weight) {
        ns_anchor_spec_clear(spec);
        return NS_ENOMEM;
    }
    spec->n_arms = def->n_arms;
    bool arms_ok = resolve_arms(def, m, spec, diags);
    enum ns_status st = resolve_benefits(def, m, spec, diags);
    if (st == NS_OK && !arms_ok)
        st = NS_EPARAM;
    if (st != NS_OK)
        ns_anchor_spec_clear(spec);
    return st;
}

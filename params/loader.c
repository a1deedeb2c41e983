/* netsave: interpreting model files.
 *
 * Each INI entry is dispatched on its section to the definition builder
 * (model/def.h). Sections and the keys of [model] are known in advance, so
 * a misspelt one is reported with the nearest known name. Expressions are
 * kept as text: model/ checks them when compiling, with the file and line
 * recorded here. Numbers that are settings rather than expressions
 * (cycle length, discount rates) are parsed strictly: no thousands
 * separators, no percentages, nothing that is not finite. */
#include "params/params.h"
#include "params/paths.h"
#include "params/text.h"

#include <ctype.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/names.h"
#include "params/csv_table.h"
#include "params/ini_read.h"

/* Where --set assignments come from in messages. */
static const char set_origin[] = "--set";

struct loader {
    struct ns_params *params;
    struct ns_diags *diags;
    const char *file;     /* stable copy owned by params->files */
    const char *base_dir; /* for CSV tables; NULL: current folder */
    bool failed, out_of_mem;
};

#define FAIL(ld, line, ...)                                                  \
    do {                                                                     \
        ns_diags_addf((ld)->diags, (ld)->file, (line), __VA_ARGS__);         \
        (ld)->failed = true;                                                 \
    } while (0)

static void
check(struct loader *ld, enum ns_status st)
{
    if (st == NS_ENOMEM)
        ld->out_of_mem = true;
}

/* "; did you mean 'x'?" for the nearest of names, or "". */
static const char *
suggestion(char *buf, size_t n, const char *word, const char *const *names,
           size_t count)
{
    return ns_did_you_mean(buf, n, word, names, count);
}

/* ---- [model] ---- */

static const char *const model_keys[] = {
    "name",           "cycle_length",    "n_cycles",     "horizon",
    "start_age",      "counting",        "weights",      "count_time_zero",
    "discount_origin", "row_sum_tolerance", "comparator", "cost_outcome",
    "health_outcome", "place_outcome", "weight", "report_cohort",
    "wtp_max",        "wtp_step",
};
#define N_MODEL_KEYS (sizeof model_keys / sizeof model_keys[0])

static bool
parse_number_at(struct loader *ld, const struct ns_ini_entry *e,
                const char *expected, double min, double max, double *out)
{
    double v;
    int rc = ns_parse_number(e->value, &v);
    if (rc == 0 && v >= min && v <= max) {
        *out = v;
        return true;
    }
    const char *advice = "";
    if (strchr(e->value, ','))
        advice = "; use a dot for decimals and no thousands separators";
    else if (strchr(e->value, '%') && max <= 1.0)
        advice = "; write percentages as fractions, e.g. 0.035";
    if (strcmp(e->section, "model") == 0)
        ld->params->def.settings_rejected = true;
    FAIL(ld, e->line, "[%s] key %s must be %s, got '%s'%s", e->section, e->key,
         expected, e->value, advice);
    return false;
}

static bool
parse_choice(struct loader *ld, const struct ns_ini_entry *e,
             const char *const *choices, size_t n, size_t *out)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(e->value, choices[i]) == 0) {
            *out = i;
            return true;
        }
    }
    char list[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < n && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                i ? (i + 1 == n ? " or " : ", ") : "",
                                choices[i]);
    FAIL(ld, e->line, "[%s] key %s must be %s, got '%s'", e->section, e->key,
         list, e->value);
    return false;
}

static void
parse_weights(struct loader *ld, const struct ns_ini_entry *e)
{
    struct ns_model_def *def = &ld->params->def;
    size_t n = 1;
    for (const char *c = e->value; *c; c++)
        n += *c == ',';
    double *w = malloc(n * sizeof *w);
    char *copy = strdup(e->value);
    if (!w || !copy) {
        free(w);
        free(copy);
        ld->out_of_mem = true;
        return;
    }
    size_t i = 0;
    bool ok = true;
    for (char *tok = copy, *next; tok && ok; tok = next) {
        next = strchr(tok, ',');
        if (next)
            *next++ = '\0';
        double v;
        if (ns_parse_number(tok, &v) != 0 || !(v >= 0.0)) {
            FAIL(ld, e->line,
                 "[model] key weights must be a comma-separated list of "
                 "numbers of at least 0, got '%s' as weight %zu",
                 tok, i + 1);
            ok = false;
        }
        w[i++] = v;
    }
    free(copy);
    if (!ok) {
        free(w);
        return;
    }
    free(def->weights);
    def->weights = w;
    def->n_weights = n;
}

static void
model_key(struct loader *ld, const struct ns_ini_entry *e)
{
    struct ns_params *p = ld->params;
    struct ns_model_def *def = &p->def;
    struct ns_origin at = {ld->file, e->line};
    const char *k = e->key;
    double v;
    size_t c;
    if (strcmp(k, "name") == 0) {
        check(ld, ns_def_set_string(&def->name, e->value));
        def->name_at = at;
    } else if (strcmp(k, "cycle_length") == 0) {
        if (parse_number_at(ld, e, "a number of years above 0", 1e-9, 1e3,
                            &v))
            def->cycle_length_years = v;
        def->cycle_length_at = at;
    } else if (strcmp(k, "n_cycles") == 0 || strcmp(k, "horizon") == 0) {
        bool cycles = k[0] == 'n';
        if (parse_number_at(ld, e,
                            cycles ? "a whole number of cycles from 1 to "
                                     "100000"
                                   : "a number of years above 0",
                            cycles ? 1.0 : 1e-9, 1e5, &v)) {
            if (cycles && floor(v) < v) {
                FAIL(ld, e->line,
                     "[model] key n_cycles must be a whole number of "
                     "cycles from 1 to 100000, got '%s'",
                     e->value);
                def->settings_rejected = true;
            } else {
                p->horizon_years = cycles ? -1.0 : v;
                def->n_cycles = cycles ? (size_t)v : 0;
            }
        }
        def->n_cycles_at = at;
    } else if (strcmp(k, "start_age") == 0) {
        if (parse_number_at(ld, e, "an age in years from 0 to 150", 0.0,
                            150.0, &v)) {
            def->start_age_years = v;
            def->has_start_age = true;
        }
    } else if (strcmp(k, "counting") == 0) {
        static const char *const names[] = {"start", "end", "life_table",
                                            "simpson", "weights"};
        if (parse_choice(ld, e, names, 5, &c))
            def->counting = (enum ns_counting)c;
        def->counting_at = at;
    } else if (strcmp(k, "weights") == 0) {
        parse_weights(ld, e);
    } else if (strcmp(k, "weight") == 0) {
        check(ld, ns_def_set_string(&def->weight_text, e->value));
        def->counting_at = at;
    } else if (strcmp(k, "count_time_zero") == 0) {
        static const char *const names[] = {"no", "yes"};
        if (parse_choice(ld, e, names, 2, &c))
            def->count_time_zero = c == 1;
    } else if (strcmp(k, "discount_origin") == 0) {
        static const char *const names[] = {"start", "end_of_first_cycle"};
        if (parse_choice(ld, e, names, 2, &c))
            def->discount_origin = (enum ns_discount_origin)c;
    } else if (strcmp(k, "row_sum_tolerance") == 0) {
        if (parse_number_at(ld, e, "a number above 0 and at most 0.01",
                            1e-300, 0.01, &v))
            def->row_sum_tolerance = v;
    } else if (strcmp(k, "comparator") == 0) {
        check(ld, ns_def_add_comparator(def, NULL, e->value, at));
    } else if (strcmp(k, "cost_outcome") == 0) {
        check(ld, ns_def_set_string(&def->cost_outcome, e->value));
        def->cost_outcome_at = at;
    } else if (strcmp(k, "health_outcome") == 0) {
        check(ld, ns_def_set_string(&def->health_outcome, e->value));
        def->health_outcome_at = at;
    } else if (strcmp(k, "report_cohort") == 0) {
        if (parse_number_at(ld, e, "a number of clients from 1 to 10000000",
                            1.0, 1e7, &v))
            def->report_cohort = v;
    } else if (strcmp(k, "wtp_max") == 0) {
        if (parse_number_at(ld, e, "a willingness to pay from 1 to 1e9",
                            1.0, 1e9, &v))
            def->wtp_max = v;
    } else if (strcmp(k, "wtp_step") == 0) {
        if (parse_number_at(ld, e, "a step of willingness to pay from 1 to 1e9",
                            1.0, 1e9, &v)) {
            def->wtp_step = v;
            def->wtp_step_at = at;
        }
    } else if (strcmp(k, "place_outcome") == 0) {
        check(ld, ns_def_set_string(&def->place_outcome, e->value));
        def->place_outcome_at = at;
    } else {
        char h[96];
        FAIL(ld, e->line, "unknown key %s in [model]%s", k,
             suggestion(h, sizeof h, k, model_keys, N_MODEL_KEYS));
    }
}

/* ---- other sections ---- */

/* Splits "from -> to" into trimmed parts (written into buf). */
static bool
split_arrow(const char *key, char *buf, size_t n, const char **from,
            const char **to)
{
    const char *arrow = strstr(key, "->");
    if (!arrow || strlen(key) >= n)
        return false;
    memcpy(buf, key, strlen(key) + 1);
    char *a = buf, *b = buf + (arrow - key) + 2;
    buf[arrow - key] = '\0';
    while (isspace((unsigned char)*a))
        a++;
    while (isspace((unsigned char)*b))
        b++;
    for (char *s = a + strlen(a); s > a && isspace((unsigned char)s[-1]);)
        *--s = '\0';
    for (char *s = b + strlen(b); s > b && isspace((unsigned char)s[-1]);)
        *--s = '\0';
    *from = a;
    *to = b;
    return *a && *b && !strstr(b, "->");
}

static void
stream_key(struct loader *ld, const struct ns_ini_entry *e, const char *name)
{
    struct ns_model_def *def = &ld->params->def;
    struct ns_origin at = {ld->file, e->line};
    const char *k = e->key;
    char buf[256];
    const char *from, *to;
    /* The stream's own settings are gathered into its definition entry. */
    struct ns_def_stream *s = NULL;
    for (size_t i = 0; i < def->n_streams; i++)
        if (strcmp(def->streams[i].name, name) == 0)
            s = &def->streams[i];
    if (!s) {
        check(ld, ns_def_add_stream(def, name, NULL, NULL, NULL, 0, at));
        if (ld->out_of_mem)
            return;
        s = &def->streams[def->n_streams - 1];
    }
    if (strcmp(k, "outcome") == 0) {
        check(ld, ns_def_set_string(&s->outcome, e->value));
        s->at = at;
    } else if (strcmp(k, "label") == 0) {
        check(ld, ns_def_set_string(&s->label, e->value));
    } else if (strcmp(k, "tags") == 0) {
        const char *tags[64];
        char *copy = strdup(e->value);
        size_t n = 0;
        if (!copy) {
            ld->out_of_mem = true;
            return;
        }
        for (char *tok = strtok(copy, ","); tok && n < 64;
             tok = strtok(NULL, ",")) {
            while (isspace((unsigned char)*tok))
                tok++;
            for (char *t = tok + strlen(tok);
                 t > tok && isspace((unsigned char)t[-1]);)
                *--t = '\0';
            if (*tok)
                tags[n++] = tok;
        }
        char *label = s->label ? strdup(s->label) : NULL;
        char *outcome = s->outcome ? strdup(s->outcome) : NULL;
        struct ns_origin keep = s->at;
        check(ld, ns_def_add_stream(def, name, label, outcome, tags, n, keep));
        free(label);
        free(outcome);
        free(copy);
    } else if (strcmp(k, "default") == 0) {
        check(ld, ns_def_add_state_value(def, name, NULL, e->value, at));
    } else if (strstr(k, "->")) {
        if (split_arrow(k, buf, sizeof buf, &from, &to))
            check(ld, ns_def_add_transition_value(def, name, from, to,
                                                  e->value, at));
        else
            FAIL(ld, e->line,
                 "[%s] key '%s' must be 'from -> to' naming two states",
                 e->section, k);
    } else {
        check(ld, ns_def_add_state_value(def, name, k, e->value, at));
    }
}

struct table_spec {
    char *name, *file, *key_column, *value_column, *lookup;
    int line;      /* the section's first key */
    int file_line; /* the file key */
};

struct pending_tables {
    struct table_spec *items;
    size_t n;
};

static struct table_spec *
pending_table(struct loader *ld, struct pending_tables *pt, const char *name,
              int line)
{
    for (size_t i = 0; i < pt->n; i++)
        if (strcmp(pt->items[i].name, name) == 0)
            return &pt->items[i];
    struct table_spec *items =
        realloc(pt->items, (pt->n + 1) * sizeof *items);
    if (!items) {
        ld->out_of_mem = true;
        return NULL;
    }
    pt->items = items;
    struct table_spec *t = &items[pt->n++];
    *t = (struct table_spec){strdup(name), NULL, NULL, NULL, NULL, line, line};
    if (!t->name)
        ld->out_of_mem = true;
    return t;
}

static void
table_key(struct loader *ld, struct pending_tables *pt,
          const struct ns_ini_entry *e, const char *name)
{
    static const char *const keys[] = {"file", "key_column", "value_column",
                                       "lookup"};
    struct table_spec *t = pending_table(ld, pt, name, e->line);
    if (!t)
        return;
    char **field = NULL;
    if (strcmp(e->key, "file") == 0) {
        field = &t->file;
        t->file_line = e->line;
    }
    else if (strcmp(e->key, "key_column") == 0)
        field = &t->key_column;
    else if (strcmp(e->key, "value_column") == 0)
        field = &t->value_column;
    else if (strcmp(e->key, "lookup") == 0) {
        field = &t->lookup;
        if (strcmp(e->value, "step") != 0 && strcmp(e->value, "exact") != 0) {
            FAIL(ld, e->line,
                 "[%s] key lookup must be step or exact, got '%s'",
                 e->section, e->value);
            return;
        }
    }
    if (!field) {
        char h[96];
        FAIL(ld, e->line, "unknown key %s in [%s]%s", e->key, e->section,
             suggestion(h, sizeof h, e->key, keys, 4));
        return;
    }
    free(*field);
    *field = strdup(e->value);
    if (!*field)
        ld->out_of_mem = true;
}

/* Splits s in place at each sep into at most max trimmed fields. */
static size_t
split_trimmed(char *s, char sep, char **fields, size_t max)
{
    size_t n = 0;
    while (n < max) {
        char *next = n + 1 < max ? strchr(s, sep) : NULL;
        if (next)
            *next++ = '\0';
        while (isspace((unsigned char)*s))
            s++;
        for (char *t = s + strlen(s); t > s && isspace((unsigned char)t[-1]);)
            *--t = '\0';
        fields[n++] = s;
        if (!next)
            break;
        s = next;
    }
    return n;
}

static void
source_key(struct loader *ld, const struct ns_ini_entry *e)
{
    char *copy = strdup(e->value);
    if (!copy) {
        ld->out_of_mem = true;
        return;
    }
    char *f[4];
    size_t n = split_trimmed(copy, '|', f, 4);
    if (n < 4 || !*f[0] || !*f[1] || !*f[2] || !*f[3])
        FAIL(ld, e->line,
             "[sources] key %s must be 'unit | price year (or -) | grade | "
             "source', got '%s'",
             e->key, e->value);
    else
        check(ld, ns_def_add_source(&ld->params->def, e->key, f[0], f[1],
                                    f[2], f[3],
                                    (struct ns_origin){ld->file, e->line}));
    free(copy);
}

/* Splits e's value, a comma-separated list, into *fields (pointing into
 * *copy; the caller frees both), dropping empty entries. The list may be
 * as long as the line allows. Returns how many were kept; 0 with *copy
 * and *fields NULL when memory runs out. */
static size_t
split_list(struct loader *ld, const struct ns_ini_entry *e, char **copy,
           char ***fields)
{
    size_t max = 1;
    for (const char *q = e->value; *q; q++)
        max += *q == ',';
    *copy = strdup(e->value);
    *fields = malloc(max * sizeof **fields);
    if (!*copy || !*fields) {
        free(*copy);
        free(*fields);
        *copy = NULL;
        *fields = NULL;
        ld->out_of_mem = true;
        return 0;
    }
    size_t n = split_trimmed(*copy, ',', *fields, max), kept = 0;
    for (size_t i = 0; i < n; i++)
        if (*(*fields)[i])
            (*fields)[kept++] = (*fields)[i];
    return kept;
}

static void
perspective_key(struct loader *ld, const struct ns_ini_entry *e)
{
    char *copy, **f;
    size_t kept = split_list(ld, e, &copy, &f);
    if (!copy)
        return;
    if (kept == 0)
        FAIL(ld, e->line,
             "[perspectives] key %s must list payers separated by commas, "
             "got '%s'",
             e->key, e->value);
    else
        check(ld, ns_def_add_perspective(
                      &ld->params->def, e->key, (const char *const *)f, kept,
                      (struct ns_origin){ld->file, e->line}));
    free(f);
    free(copy);
}

/* The subgroup called name, created if new; NULL if memory runs out. */
static struct ns_subgroup *
subgroup_named(struct loader *ld, const char *name, struct ns_origin at)
{
    struct ns_params *p = ld->params;
    for (size_t g = 0; g < p->n_subgroups; g++)
        if (strcmp(p->subgroups[g].name, name) == 0)
            return &p->subgroups[g];
    struct ns_subgroup *sg =
        realloc(p->subgroups, (p->n_subgroups + 1) * sizeof *sg);
    if (!sg) {
        ld->out_of_mem = true;
        return NULL;
    }
    p->subgroups = sg;
    sg = &p->subgroups[p->n_subgroups];
    *sg = (struct ns_subgroup){strdup(name), 0.0, at, false, NULL, 0};
    if (!sg->name) {
        ld->out_of_mem = true;
        return NULL;
    }
    p->n_subgroups++;
    return sg;
}

static void
subgroup_weight(struct loader *ld, const struct ns_ini_entry *e)
{
    struct ns_origin at = {ld->file, e->line};
    double w = NS_NAN;
    parse_number_at(ld, e, "a share of the population above 0 and at most 1",
                    1e-12, 1.0, &w);
    struct ns_subgroup *sg = subgroup_named(ld, e->key, at);
    if (!sg)
        return;
    sg->weight = w;
    sg->has_weight = true;
    sg->at = at;
}

/* Records "SECTION.KEY = value" for a subgroup, replacing the same key. */
static void
subgroup_entry(struct loader *ld, const char *name,
               const struct ns_ini_entry *e)
{
    struct ns_origin at = {ld->file, e->line};
    const char *dot = strrchr(e->key, '.');
    if (!dot || dot == e->key || !dot[1]) {
        FAIL(ld, e->line,
             "[subgroup.%s] key '%s' must be SECTION.KEY, e.g. "
             "parameters.p_relapse",
             name, e->key);
        return;
    }
    struct ns_subgroup *sg = subgroup_named(ld, name, at);
    if (!sg)
        return;
    char *section = strndup(e->key, (size_t)(dot - e->key));
    char *key = strdup(dot + 1), *value = strdup(e->value);
    struct ns_subgroup_entry *slot = NULL;
    for (size_t i = 0; section && key && i < sg->n_entries; i++)
        if (strcmp(sg->entries[i].section, section) == 0 &&
            strcmp(sg->entries[i].key, key) == 0)
            slot = &sg->entries[i];
    if (section && key && value && !slot) {
        struct ns_subgroup_entry *items =
            realloc(sg->entries, (sg->n_entries + 1) * sizeof *items);
        if (items) {
            sg->entries = items;
            slot = &items[sg->n_entries++];
            *slot = (struct ns_subgroup_entry){NULL, NULL, NULL, at};
        }
    }
    if (!slot || !section || !key || !value) {
        free(section);
        free(key);
        free(value);
        ld->out_of_mem = true;
        return;
    }
    free(slot->section);
    free(slot->key);
    free(slot->value);
    *slot = (struct ns_subgroup_entry){section, key, value, at};
}

static void load_targets(struct loader *ld, const struct ns_ini_entry *e);

static void
group_key(struct loader *ld, const struct ns_ini_entry *e)
{
    char *copy, **f;
    size_t kept = split_list(ld, e, &copy, &f);
    if (!copy)
        return;
    if (kept == 0)
        FAIL(ld, e->line,
             "[groups] key %s must list states (or patterns such as in_*) "
             "separated by commas, got '%s'",
             e->key, e->value);
    else
        check(ld, ns_def_add_group(&ld->params->def, e->key,
                                   (const char *const *)f, kept,
                                   (struct ns_origin){ld->file, e->line}));
    free(f);
    free(copy);
}

/* Parses "low, high" of [calibrate] and [ranges]; false with a message
 * when malformed. */
static bool
low_high(struct loader *ld, const struct ns_ini_entry *e, const char *what,
         double *low, double *high)
{
    char *copy = strdup(e->value);
    if (!copy) {
        ld->out_of_mem = true;
        return false;
    }
    char *f[3];
    size_t n = split_trimmed(copy, ',', f, 3);
    bool ok = n == 2 && ns_parse_number(f[0], low) == 0 &&
              ns_parse_number(f[1], high) == 0;
    if (!ok)
        FAIL(ld, e->line,
             "[%s] key %s must be two numbers 'low, high' %s, got '%s'",
             e->section, e->key, what, e->value);
    free(copy);
    return ok;
}

static void
range_key(struct loader *ld, const struct ns_ini_entry *e)
{
    double low, high;
    if (low_high(ld, e, "for one-way sensitivity analysis", &low, &high))
        check(ld, ns_def_add_range(&ld->params->def, e->key, low, high,
                                   (struct ns_origin){ld->file, e->line}));
}

/* [calibrate] param = low, high */
static void
free_param_key(struct loader *ld, const struct ns_ini_entry *e)
{
    char *copy = strdup(e->value);
    if (!copy) {
        ld->out_of_mem = true;
        return;
    }
    char *f[3];
    size_t n = split_trimmed(copy, ',', f, 3);
    double low, high;
    if (n != 2 || ns_parse_number(f[0], &low) != 0 ||
        ns_parse_number(f[1], &high) != 0)
        FAIL(ld, e->line,
             "[calibrate] key %s must be two numbers 'low, high' bounding "
             "the parameter, got '%s'",
             e->key, e->value);
    else
        check(ld, ns_def_add_free_param(&ld->params->def, e->key, low, high,
                                        (struct ns_origin){ld->file,
                                                           e->line}));
    free(copy);
}

static const char *const section_names[] = {
    "uncertainty", "ranges", "expansion", "correlation", "dirichlet.NAME",
    "calibrate", "scenario",
    "groups", "measures", "validation",
    "subgroups", "subgroup.NAME",
    "sources",      "perspectives",
    "model",        "discount",    "states",      "strategies",
    "comparators",  "time_in_state", "initial",   "parameters",
    "transitions",  "stream.NAME", "table.NAME",  "initial.STRATEGY",
    "parameters.STRATEGY", "transitions.STRATEGY",
};
#define N_SECTION_NAMES (sizeof section_names / sizeof section_names[0])

/* Splits "prefix.rest"; returns rest if section starts with prefix + '.'. */
static const char *
suffix_of(const char *section, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(section, prefix, n) == 0 && section[n] == '.' &&
        section[n + 1] != '\0')
        return section + n + 1;
    return NULL;
}

static bool
known_section(const char *s)
{
    static const char *const plain[] = {
        "model", "discount", "states", "strategies", "comparators",
        "time_in_state", "initial", "parameters", "transitions", "sources",
        "perspectives", "subgroups", "groups", "measures", "validation",
        "calibrate", "scenario", "uncertainty", "ranges", "expansion",
        "correlation"};
    static const char *const prefixed[] = {"stream", "table", "initial",
                                           "parameters", "transitions",
                                           "subgroup", "dirichlet"};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (strcmp(s, plain[i]) == 0)
            return true;
    for (size_t i = 0; i < sizeof prefixed / sizeof prefixed[0]; i++)
        if (suffix_of(s, prefixed[i]))
            return true;
    return false;
}

static void
apply_entry(struct loader *ld, struct pending_tables *pt,
            const struct ns_ini_entry *e)
{
    struct ns_model_def *def = &ld->params->def;
    struct ns_origin at = {ld->file, e->line};
    const char *s = e->section, *k = e->key, *v = e->value, *rest;
    char buf[256];
    const char *from, *to;
    if (strcmp(s, "model") == 0) {
        model_key(ld, e);
    } else if (strcmp(s, "discount") == 0) {
        /* A rejected rate still names an outcome, so that streams using
         * it are not reported as well. */
        double rate = NS_NAN;
        parse_number_at(ld, e, "an annual discount rate from 0 to 1", 0.0,
                        1.0, &rate);
        check(ld, ns_def_add_outcome(def, k, rate, at));
    } else if (strcmp(s, "states") == 0) {
        check(ld, ns_def_add_state(def, k, v, at));
    } else if (strcmp(s, "strategies") == 0) {
        check(ld, ns_def_add_strategy(def, k, v, at));
    } else if (strcmp(s, "comparators") == 0) {
        check(ld, ns_def_add_comparator(def, k, v, at));
    } else if (strcmp(s, "time_in_state") == 0) {
        /* A rejected count still tracks the state, so that uses of
         * state_time are not reported as well. */
        double n = 2.0;
        if (parse_number_at(ld, e, "a whole number of cycles from 2 to 10000",
                            2.0, 1e4, &n) &&
            floor(n) < n) {
            FAIL(ld, e->line,
                 "[time_in_state] key %s must be a whole number of cycles "
                 "from 2 to 10000, got '%s'",
                 k, v);
            n = 2.0;
        }
        check(ld, ns_def_add_tunnel(def, k, (size_t)n, at));
    } else if (strcmp(s, "initial") == 0 || (rest = suffix_of(s, "initial"))) {
        const char *strategy = strcmp(s, "initial") == 0 ? NULL : rest;
        check(ld, ns_def_add_initial(def, strategy, k, v, at));
    } else if (strcmp(s, "parameters") == 0 ||
               (rest = suffix_of(s, "parameters"))) {
        const char *strategy = strcmp(s, "parameters") == 0 ? NULL : rest;
        check(ld, ns_def_add_param(def, strategy, k, v, at));
    } else if (strcmp(s, "transitions") == 0 ||
               (rest = suffix_of(s, "transitions"))) {
        const char *strategy = strcmp(s, "transitions") == 0 ? NULL : rest;
        if (split_arrow(k, buf, sizeof buf, &from, &to))
            check(ld,
                  ns_def_add_transition(def, strategy, from, to, v, at));
        else
            FAIL(ld, e->line,
                 "[%s] key '%s' must be 'from -> to' naming two states", s, k);
    } else if (strcmp(s, "correlation") == 0) {
        check(ld, ns_def_add_correlation(def, k, v, at));
    } else if ((rest = suffix_of(s, "dirichlet"))) {
        check(ld, ns_def_add_dirichlet(def, rest, k, v, at));
    } else if (strcmp(s, "expansion") == 0) {
        check(ld, ns_def_add_expansion(def, k, v, at));
    } else if (strcmp(s, "uncertainty") == 0) {
        check(ld, ns_def_add_uncertain(def, k, v, at));
    } else if (strcmp(s, "ranges") == 0) {
        range_key(ld, e);
    } else if (strcmp(s, "scenario") == 0) {
        if (strcmp(k, "name") == 0)
            check(ld, ns_def_set_string(&def->scenario_name, v));
        else if (strcmp(k, "description") == 0)
            check(ld, ns_def_set_string(&def->scenario_description, v));
        else
            FAIL(ld, e->line,
                 "unknown key %s in [scenario]; the keys are name and "
                 "description",
                 k);
    } else if (strcmp(s, "calibrate") == 0) {
        free_param_key(ld, e);
    } else if (strcmp(s, "groups") == 0) {
        group_key(ld, e);
    } else if (strcmp(s, "measures") == 0) {
        check(ld, ns_def_add_measure(def, k, v, at));
    } else if (strcmp(s, "validation") == 0) {
        double share;
        if (strcmp(k, "targets") == 0)
            load_targets(ld, e);
        else if (strcmp(k, "lost_toward_intake") == 0) {
            if (parse_number_at(ld, e, "a share from 0 to 1", 0.0, 1.0,
                                &share))
                def->lost_toward_intake = share;
        } else
            FAIL(ld, e->line, "unknown key %s in [validation]; the keys are "
                              "targets and lost_toward_intake",
                 k);
    } else if (strcmp(s, "subgroups") == 0) {
        subgroup_weight(ld, e);
    } else if ((rest = suffix_of(s, "subgroup"))) {
        subgroup_entry(ld, rest, e);
    } else if (strcmp(s, "sources") == 0) {
        source_key(ld, e);
    } else if (strcmp(s, "perspectives") == 0) {
        perspective_key(ld, e);
    } else if ((rest = suffix_of(s, "stream"))) {
        stream_key(ld, e, rest);
    } else if ((rest = suffix_of(s, "table"))) {
        table_key(ld, pt, e, rest);
    }
}

/* Lists the file read, with its hash and, when on_disk, its identity. */
static const char *
remember_file(struct loader *ld, const char *path, const char *text,
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
        stable = remember_file(ld, path, *text, *len, !mem);
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

static void
load_targets(struct loader *ld, const struct ns_ini_entry *e)
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

static void
load_tables(struct loader *ld, struct pending_tables *pt)
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

static bool check_override(struct loader *ld, int line, const char *section,
                           const char *key);

static enum ns_status
load_ini(struct loader *ld, const char *text, size_t len)
{
    struct ns_ini ini = {0};
    enum ns_status st = ns_ini_parse(ld->file, text, len, &ini, ld->diags);
    if (st == NS_ENOMEM) {
        ns_ini_clear(&ini);
        return NS_ENOMEM;
    }
    if (st != NS_OK)
        ld->failed = true;
    if (ini.is_partial)
        ld->params->is_partial = true;
    for (size_t i = 0; i < ini.n_sections; i++) {
        if (!known_section(ini.sections[i])) {
            ld->params->is_partial = true;
            char h[96];
            FAIL(ld, ini.section_lines[i], "unknown section [%s]%s",
                 ini.sections[i],
                 suggestion(h, sizeof h, ini.sections[i], section_names,
                            N_SECTION_NAMES));
        }
    }
    /* A scenario overlays a model: every key it sets must exist already,
     * so that a misspelt key is an error, not a silent new parameter. */
    bool is_scenario = false;
    for (size_t i = 0; i < ini.n_sections; i++)
        is_scenario |= strcmp(ini.sections[i], "scenario") == 0;
    bool has_base = ld->params->def.n_states > 0;
    struct pending_tables pt = {0};
    for (size_t i = 0; i < ini.n && !ld->out_of_mem; i++) {
        const struct ns_ini_entry *e = &ini.entries[i];
        if (!known_section(e->section))
            continue;
        if (is_scenario && has_base && strcmp(e->section, "scenario") != 0 &&
            !check_override(ld, e->line, e->section, e->key))
            continue;
        apply_entry(ld, &pt, e);
    }
    load_tables(ld, &pt);
    ns_ini_clear(&ini);
    if (ld->out_of_mem)
        return NS_ENOMEM;
    return ld->failed ? NS_EPARAM : NS_OK;
}

struct ns_params *
ns_params_alloc(void)
{
    struct ns_params *p = calloc(1, sizeof *p);
    if (p) {
        ns_model_def_init(&p->def);
        p->horizon_years = -1.0;
    }
    return p;
}

void
ns_params_free(struct ns_params *p)
{
    if (!p)
        return;
    ns_model_def_clear(&p->def);
    for (size_t g = 0; g < p->n_subgroups; g++) {
        struct ns_subgroup *sg = &p->subgroups[g];
        for (size_t i = 0; i < sg->n_entries; i++) {
            free(sg->entries[i].section);
            free(sg->entries[i].key);
            free(sg->entries[i].value);
        }
        free(sg->entries);
        free(sg->name);
    }
    free(p->subgroups);
    for (size_t i = 0; i < p->n_kept; i++)
        ns_params_free(p->kept[i]);
    free(p->kept);
    for (size_t i = 0; i < p->n_files; i++)
        free(p->files[i]);
    free(p->files);
    free(p->hashes);
    free(p->file_ids);
    free(p);
}

static enum ns_status
load_text(struct ns_params *params, const char *name, const char *text,
          size_t len, const char *base_dir, bool on_disk,
          struct ns_diags *diags)
{
    struct loader ld = {params, diags, NULL, base_dir, false, false};
    ld.file = remember_file(&ld, name, text, len, on_disk);
    if (!ld.file)
        return NS_ENOMEM;
    if (!params->def.name_at.file)
        params->def.name_at = (struct ns_origin){ld.file, 0};
    return load_ini(&ld, text, len);
}

enum ns_status
ns_params_load_text(struct ns_params *params, const char *name,
                    const char *text, size_t len, const char *base_dir,
                    struct ns_diags *diags)
{
    return load_text(params, name, text, len, base_dir, false, diags);
}

enum ns_status
ns_params_load_file(struct ns_params *params, const char *path,
                    struct ns_diags *diags)
{
    char *text;
    size_t len;
    char why[256];
    enum ns_status st = ns_read_file(path, &text, &len, why, sizeof why);
    if (st == NS_EIO) {
        /* The path leads the message already ("x.ini: cannot open: ..."),
         * so it is dropped from the reason. */
        char reason[256];
        size_t n = strlen(path);
        if (strncmp(why, path, n) == 0 && why[n] == ' ')
            snprintf(reason, sizeof reason, "%s", why + n + 1);
        else if (strncmp(why, "cannot ", 7) == 0 &&
                 strncmp(why + 12, path, n) == 0)
            snprintf(reason, sizeof reason, "%.11s%s", why, why + 12 + n);
        else
            snprintf(reason, sizeof reason, "%s", why);
        ns_diags_addf(diags, path, 0, "%s", reason);
        params->is_partial = true;
        return NS_EPARAM;
    }
    if (st != NS_OK)
        return st;
    char *dir = strdup(path);
    if (!dir) {
        free(text);
        return NS_ENOMEM;
    }
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    st = load_text(params, path, text, len, slash ? dir : NULL, true, diags);
    free(dir);
    free(text);
    return st;
}

/* Names of one kind in the definition, for "did you mean". */
struct name_list {
    const char *items[512];
    size_t n;
};

static void
add_name(struct name_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], name) == 0)
            return;
    if (l->n < sizeof l->items / sizeof l->items[0])
        l->items[l->n++] = name;
}

/* What an assignment to section/key would override, as a kind of thing
 * and the names that exist; returns false when nothing is to be checked. */
static bool
override_target(const struct ns_model_def *d, const char *section,
                const char *key, const char **kind, const char **name,
                struct name_list *known)
{
    const char *rest;
    char buf[256];
    const char *from, *to;
    *name = key;
    if (strcmp(section, "parameters") == 0 ||
        strcmp(section, "sources") == 0) {
        *kind = "parameter";
        for (size_t i = 0; i < d->n_params; i++)
            if (!d->params[i].strategy)
                add_name(known, d->params[i].name);
    } else if (strcmp(section, "discount") == 0) {
        *kind = "outcome";
        for (size_t i = 0; i < d->n_outcomes; i++)
            add_name(known, d->outcomes[i].name);
    } else if (strcmp(section, "initial") == 0 ||
               suffix_of(section, "initial") ||
               strcmp(section, "states") == 0 ||
               strcmp(section, "time_in_state") == 0) {
        *kind = "state";
        for (size_t i = 0; i < d->n_states; i++)
            add_name(known, d->states[i].name);
    } else if (strcmp(section, "strategies") == 0 ||
               strcmp(section, "comparators") == 0) {
        *kind = "strategy";
        for (size_t i = 0; i < d->n_strategies; i++)
            add_name(known, d->strategies[i].name);
    } else if (strcmp(section, "perspectives") == 0) {
        *kind = "perspective";
        for (size_t i = 0; i < d->n_perspectives; i++)
            add_name(known, d->perspectives[i].name);
    } else if ((rest = suffix_of(section, "stream"))) {
        *kind = "stream";
        *name = rest;
        for (size_t i = 0; i < d->n_streams; i++)
            add_name(known, d->streams[i].name);
    } else if ((rest = suffix_of(section, "table"))) {
        *kind = "table";
        *name = rest;
        for (size_t i = 0; i < d->n_tables; i++)
            add_name(known, d->tables[i].name);
    } else if ((strcmp(section, "transitions") == 0 ||
                suffix_of(section, "transitions")) &&
               split_arrow(key, buf, sizeof buf, &from, &to)) {
        *kind = "transition";
        for (size_t i = 0; i < d->n_transitions; i++) {
            const struct ns_def_transition *t = &d->transitions[i];
            if (strcmp(t->from, from) == 0 && strcmp(t->to, to) == 0)
                add_name(known, key);
        }
        if (known->n)
            known->items[0] = key;
    } else {
        return false;
    }
    return true;
}

/* --set only overrides what the files define, so a typo is an error
 * rather than a silent no-op. Returns true when the target exists. */
static bool
check_override(struct loader *ld, int line, const char *section,
               const char *key)
{
    struct name_list known = {.n = 0};
    const char *kind, *name;
    if (!override_target(&ld->params->def, section, key, &kind, &name,
                         &known))
        return true;
    for (size_t i = 0; i < known.n; i++)
        if (strcmp(known.items[i], name) == 0)
            return true;
    char h[96];
    FAIL(ld, line, "[%s] key %s: there is no %s %s to override%s", section,
         key, kind, name,
         strcmp(kind, "transition") == 0
             ? ""
             : suggestion(h, sizeof h, name, known.items, known.n));
    return false;
}

enum ns_status
ns_params_set(struct ns_params *params, const char *assignment,
              struct ns_diags *diags)
{
    return ns_params_set_at(params, assignment, ++params->n_sets, diags);
}

enum ns_status
ns_params_set_at(struct ns_params *params, const char *assignment,
                 size_t index, struct ns_diags *diags)
{
    int line = (int)index;
    if (!ns_text_check_line(set_origin, line, assignment, strlen(assignment),
                            diags))
        return NS_EPARAM;
    const char *eq = strchr(assignment, '=');
    const char *dot = NULL;
    for (const char *c = assignment; eq && c < eq; c++)
        if (*c == '.')
            dot = c;
    /* subgroup.NAME.SECTION.KEY: the section is subgroup.NAME. */
    if (eq && strncmp(assignment, "subgroup.", 9) == 0) {
        dot = strchr(assignment + 9, '.');
        if (dot && dot > eq)
            dot = NULL;
    }
    if (!eq || !dot || dot == assignment || dot + 1 == eq) {
        ns_diags_addf(diags, set_origin, line,
                      "expected section.key=value, got '%s'", assignment);
        return NS_EPARAM;
    }
    char *section = strndup(assignment, (size_t)(dot - assignment));
    char *key = strndup(dot + 1, (size_t)(eq - dot - 1));
    char *value = strdup(eq + 1);
    enum ns_status st = NS_ENOMEM;
    if (section && key && value) {
        /* Trim the way the INI reader would. */
        char *parts[3] = {section, key, value};
        for (int i = 0; i < 3; i++) {
            char *s = parts[i];
            size_t n = strlen(s), lead = 0;
            while (lead < n && isspace((unsigned char)s[lead]))
                lead++;
            memmove(s, s + lead, n - lead + 1);
            n -= lead;
            while (n > 0 && isspace((unsigned char)s[n - 1]))
                s[--n] = '\0';
        }
        struct loader ld = {params, diags, set_origin, NULL, false, false};
        struct ns_ini_entry e = {section, key, value, line};
        struct pending_tables pt = {0};
        if (!known_section(section)) {
            char h[96];
            FAIL(&ld, line, "unknown section [%s]%s", section,
                 suggestion(h, sizeof h, section, section_names,
                            N_SECTION_NAMES));
            params->is_partial = true;
        } else if (check_override(&ld, line, section, key)) {
            apply_entry(&ld, &pt, &e);
            load_tables(&ld, &pt);
        }
        st = ld.out_of_mem ? NS_ENOMEM : ld.failed ? NS_EPARAM : NS_OK;
    }
    free(section);
    free(key);
    free(value);
    return st;
}

enum ns_status
ns_params_apply_subgroup(struct ns_params *params, size_t g,
                         struct ns_diags *diags)
{
    const struct ns_subgroup *sg = &params->subgroups[g];
    struct loader ld = {params, diags, NULL, NULL, false, false};
    for (size_t i = 0; i < sg->n_entries && !ld.out_of_mem; i++) {
        const struct ns_subgroup_entry *e = &sg->entries[i];
        ld.file = e->at.file;
        if (strcmp(e->section, "subgroups") == 0 ||
            suffix_of(e->section, "subgroup")) {
            FAIL(&ld, e->at.line,
                 "[subgroup.%s] key %s.%s: a subgroup cannot change "
                 "subgroups",
                 sg->name, e->section, e->key);
            continue;
        }
        if (!known_section(e->section)) {
            char h[96];
            FAIL(&ld, e->at.line, "[subgroup.%s] unknown section [%s]%s",
                 sg->name, e->section,
                 suggestion(h, sizeof h, e->section, section_names,
                            N_SECTION_NAMES));
            continue;
        }
        if (!check_override(&ld, e->at.line, e->section, e->key))
            continue;
        struct ns_ini_entry entry = {e->section, e->key, e->value,
                                     e->at.line};
        struct pending_tables pt = {0};
        apply_entry(&ld, &pt, &entry);
        load_tables(&ld, &pt);
    }
    return ld.out_of_mem ? NS_ENOMEM : ld.failed ? NS_EPARAM : NS_OK;
}

/* Subgroups must be listed with weights that make up the population. */
static bool
check_subgroups(const struct ns_params *params, struct ns_diags *diags)
{
    bool ok = true;
    double sum = 0.0;
    for (size_t g = 0; g < params->n_subgroups; g++) {
        const struct ns_subgroup *sg = &params->subgroups[g];
        if (!sg->has_weight) {
            ns_diags_add_at(diags, sg->at,
                            "[subgroup.%s] is not listed in [subgroups] "
                            "with its weight",
                            sg->name);
            ok = false;
        }
        sum += sg->weight;
    }
    if (ok && params->n_subgroups > 0 && !(fabs(sum - 1.0) <= 1e-9)) {
        ns_diags_add_at(diags, params->subgroups[0].at,
                        "[subgroups] weights must sum to 1 (the whole "
                        "population), got %.10g",
                        sum);
        ok = false;
    }
    return ok;
}

enum ns_status
ns_params_finish(struct ns_params *params, struct ns_diags *diags)
{
    struct ns_model_def *def = &params->def;
    const char *file = params->n_files ? params->files[0] : NULL;
    bool failed = false;
    if (params->is_partial)
        return NS_EPARAM;
    if (!def->cycle_length_at.file) {
        ns_diags_addf(diags, file, 0, "missing key cycle_length in [model]");
        failed = true;
    }
    if (!def->n_cycles_at.file) {
        ns_diags_addf(diags, file, 0,
                      "missing key n_cycles (or horizon) in [model]");
        failed = true;
    } else if (params->horizon_years > 0.0 && def->cycle_length_years > 0.0) {
        double n = params->horizon_years / def->cycle_length_years;
        double whole = floor(n + 0.5);
        if (fabs(n - whole) > 1e-9 * n || whole < 1.0) {
            ns_diags_add_at(diags, def->n_cycles_at,
                            "[model] key horizon must be a whole number of "
                            "cycles: %g years is %.6g cycles of %g years",
                            params->horizon_years, n,
                            def->cycle_length_years);
            failed = true;
        } else {
            def->n_cycles = (size_t)whole;
        }
    }
    if (!check_subgroups(params, diags))
        failed = true;
    if (def->n_outcomes == 0) {
        ns_diags_addf(diags, file, 0,
                      "missing section [discount]: give each outcome's "
                      "annual discount rate, e.g. costs = 0.035");
        failed = true;
    }
    return failed ? NS_EPARAM : NS_OK;
}

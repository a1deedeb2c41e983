/* netsave: one INI entry to the model definition, by section.
 *
 * Each INI entry is dispatched on its section to the definition builder
 * (model/def.h). Sections and the keys of [model] are known in advance, so
 * a misspelt one is reported with the nearest known name. Expressions are
 * kept as text: model/ checks them when compiling, with the file and line
 * recorded here. Numbers that are settings rather than expressions
 * (cycle length, discount rates) are parsed strictly: no thousands
 * separators, no percentages, nothing that is not finite. */
#include "params/loader.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/names.h"
#include "params/csv_table.h"

/* ---- [model] ---- */

static const char *const model_keys[] = {
    "name",           "cycle_length",    "n_cycles",     "horizon",
    "start_age",      "counting",        "weights",      "count_time_zero",
    "discount_origin", "row_sum_tolerance", "comparator", "cost_outcome",
    "health_outcome", "place_outcome", "weight", "report_cohort",
    "wtp_max",        "wtp_step",      "wtp",     "discount_timing",
    "transition_value_counting",
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

/* Two keys that say one thing (n_cycles and horizon; weights and
 * weight): a file that gives one replaces what an earlier file gave with
 * the other, as an overlay replaces any key; given both in one file, they
 * must agree (checked once everything is read). */
static void
set_spelling(struct loader *ld, int line, struct ns_origin *mine,
             struct ns_origin *other)
{
    *mine = (struct ns_origin){ld->file, line};
    if (other->file && other->file != ld->file)
        *other = (struct ns_origin){0};
}

/* A file that sets a counting other than weights drops the weights an
 * earlier file gave (an overlay cannot remove a key, and it changes the
 * within-cycle correction as a whole). Weights given in the same file,
 * or later, stay, and contradict any counting other than weights. */
static void
counting_set(struct loader *ld, struct ns_origin at)
{
    struct ns_model_def *def = &ld->params->def;
    def->counting_at = at;
    if (def->counting == NS_COUNT_WEIGHTS)
        return;
    if (def->weights_at.file && def->weights_at.file != ld->file)
        def->weights_at = (struct ns_origin){0};
    if (def->weight_at.file && def->weight_at.file != ld->file)
        def->weight_at = (struct ns_origin){0};
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
        /* The bounds keep the times the engine computes (cycle x length)
         * finite and distinct; they are stated so nobody has to guess. */
        if (parse_number_at(ld, e, "a number of years from 1e-9 to 1000",
                            1e-9, 1e3, &v))
            def->cycle_length_years = v;
        def->cycle_length_at = at;
    } else if (strcmp(k, "n_cycles") == 0 || strcmp(k, "horizon") == 0) {
        bool cycles = k[0] == 'n';
        if (parse_number_at(ld, e,
                            cycles ? "a whole number of cycles from 1 to "
                                     "100000"
                                   : "a number of years from 1e-9 to "
                                     "100000",
                            cycles ? 1.0 : 1e-9, 1e5, &v)) {
            if (cycles && floor(v) < v) {
                FAIL(ld, e->line,
                     "[model] key n_cycles must be a whole number of "
                     "cycles from 1 to 100000, got '%s'",
                     e->value);
                def->settings_rejected = true;
            } else if (cycles) {
                def->n_cycles = (size_t)v;
            } else {
                p->horizon_years = v;
            }
        }
        set_spelling(ld, e->line, cycles ? &p->n_cycles_key_at : &p->horizon_at,
                     cycles ? &p->horizon_at : &p->n_cycles_key_at);
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
        counting_set(ld, at);
    } else if (strcmp(k, "weights") == 0) {
        parse_weights(ld, e);
        set_spelling(ld, e->line, &def->weights_at, &def->weight_at);
    } else if (strcmp(k, "weight") == 0) {
        check(ld, ns_def_set_string(&def->weight_text, e->value));
        set_spelling(ld, e->line, &def->weight_at, &def->weights_at);
    } else if (strcmp(k, "count_time_zero") == 0) {
        static const char *const names[] = {"no", "yes"};
        if (parse_choice(ld, e, names, 2, &c))
            def->count_time_zero = c == 1;
        def->count_time_zero_at = at;
    } else if (strcmp(k, "discount_origin") == 0) {
        static const char *const names[] = {"start", "end_of_first_cycle"};
        if (parse_choice(ld, e, names, 2, &c))
            def->discount_origin = (enum ns_discount_origin)c;
        def->discount_origin_at = at;
    } else if (strcmp(k, "discount_timing") == 0) {
        static const char *const names[] = {"point", "cycle"};
        if (parse_choice(ld, e, names, 2, &c))
            def->discount_timing = (enum ns_discount_timing)c;
        def->discount_timing_at = at;
    } else if (strcmp(k, "transition_value_counting") == 0) {
        static const char *const names[] = {"in_full", "weighted"};
        if (parse_choice(ld, e, names, 2, &c))
            def->transition_weight = (enum ns_transition_weight)c;
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
    } else if (strcmp(k, "wtp") == 0) {
        if (parse_number_at(ld, e, "a willingness to pay from 1 to 1e9",
                            1.0, 1e9, &v))
            def->wtp = v;
    } else if (strcmp(k, "place_outcome") == 0) {
        check(ld, ns_def_set_string(&def->place_outcome, e->value));
        def->place_outcome_at = at;
    } else {
        char h[96];
        FAIL(ld, e->line, "unknown key %s in [model]%s", k,
             ns_did_you_mean(h, sizeof h, k, model_keys, N_MODEL_KEYS));
    }
}

/* ---- other sections ---- */

/* Splits "from -> to" into trimmed parts (written into buf). */
bool
ns_split_arrow(const char *key, char *buf, size_t n, const char **from,
            const char **to)
{
    const char *arrow = strstr(key, "->");
    if (!arrow || strlen(key) >= n)
        return false;
    memcpy(buf, key, strlen(key) + 1);
    buf[arrow - key] = '\0';
    char *a = ns_trim(buf), *b = ns_trim(buf + (arrow - key) + 2);
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
            tok = ns_trim(tok);
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
        if (ns_split_arrow(k, buf, sizeof buf, &from, &to))
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
             ns_did_you_mean(h, sizeof h, e->key, keys, 4));
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
        fields[n++] = ns_trim(s);
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

/* A key whose value lists names ([perspectives], [groups]), added with
 * add; an empty list is reported as not being what must be listed. */
static void
list_key(struct loader *ld, const struct ns_ini_entry *e, const char *what,
         enum ns_status (*add)(struct ns_model_def *, const char *,
                               const char *const *, size_t,
                               struct ns_origin))
{
    char *copy, **f;
    size_t kept = split_list(ld, e, &copy, &f);
    if (!copy)
        return;
    if (kept == 0)
        FAIL(ld, e->line, "[%s] key %s must list %s separated by commas, "
                          "got '%s'",
             e->section, e->key, what, e->value);
    else
        check(ld, add(&ld->params->def, e->key, (const char *const *)f, kept,
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
    /* The area's clients are the whole population's: its totals are
     * taken from the pooled results with one [area]. */
    if (strncmp(e->key, "area.", 5) == 0) {
        FAIL(ld, e->line,
             "[subgroup.%s] key '%s': expected a key subgroups may change, "
             "found an [area] key; an area's clients are the whole "
             "population's, so set [area] itself",
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
    double low, high;
    if (low_high(ld, e, "bounding the parameter", &low, &high))
        check(ld, ns_def_add_free_param(&ld->params->def, e->key, low, high,
                                        (struct ns_origin){ld->file,
                                                           e->line}));
}

static const char *const section_names[] = {
    "uncertainty", "ranges", "expansion", "benchmark", "correlation",
    "dirichlet.NAME", "parameter_groups", "area",
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
const char *
ns_section_suffix(const char *section, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(section, prefix, n) == 0 && section[n] == '.' &&
        section[n + 1] != '\0')
        return section + n + 1;
    return NULL;
}

bool
ns_section_known(const char *s)
{
    static const char *const plain[] = {
        "model", "discount", "states", "strategies", "comparators",
        "time_in_state", "initial", "parameters", "transitions", "sources",
        "perspectives", "subgroups", "groups", "measures", "validation",
        "calibrate", "scenario", "uncertainty", "ranges", "expansion",
        "benchmark", "correlation", "parameter_groups", "area"};
    static const char *const prefixed[] = {"stream", "table", "initial",
                                           "parameters", "transitions",
                                           "subgroup", "dirichlet"};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (strcmp(s, plain[i]) == 0)
            return true;
    for (size_t i = 0; i < sizeof prefixed / sizeof prefixed[0]; i++)
        if (ns_section_suffix(s, prefixed[i]))
            return true;
    return false;
}

const char *
ns_section_hint(char *buf, size_t n, const char *section)
{
    return ns_did_you_mean(buf, n, section, section_names, N_SECTION_NAMES);
}

/* A [stream.*] section reads these keys as its own settings, so a state
 * with one of the names could never be given a value there. The state is
 * still added, so that its transitions are not reported as well. */
static void
state_name_free(struct loader *ld, const struct ns_ini_entry *e)
{
    static const char *const reserved[] = {"outcome", "label", "tags",
                                           "default"};
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
        if (strcmp(e->key, reserved[i]) == 0)
            FAIL(ld, e->line,
                 "[states] '%s' is a reserved word (a stream section's "
                 "outcome, label, tags and default are its settings); "
                 "rename the state",
                 e->key);
}

void
ns_loader_apply_entry(struct loader *ld, struct pending_tables *pt,
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
        state_name_free(ld, e);
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
    } else if (strcmp(s, "initial") == 0 || (rest = ns_section_suffix(s, "initial"))) {
        const char *strategy = strcmp(s, "initial") == 0 ? NULL : rest;
        check(ld, ns_def_add_initial(def, strategy, k, v, at));
    } else if (strcmp(s, "parameters") == 0 ||
               (rest = ns_section_suffix(s, "parameters"))) {
        const char *strategy = strcmp(s, "parameters") == 0 ? NULL : rest;
        check(ld, ns_def_add_param(def, strategy, k, v, at));
    } else if (strcmp(s, "transitions") == 0 ||
               (rest = ns_section_suffix(s, "transitions"))) {
        const char *strategy = strcmp(s, "transitions") == 0 ? NULL : rest;
        if (ns_split_arrow(k, buf, sizeof buf, &from, &to))
            check(ld,
                  ns_def_add_transition(def, strategy, from, to, v, at));
        else
            FAIL(ld, e->line,
                 "[%s] key '%s' must be 'from -> to' naming two states", s, k);
    } else if (strcmp(s, "correlation") == 0) {
        check(ld, ns_def_add_correlation(def, k, v, at));
    } else if ((rest = ns_section_suffix(s, "dirichlet"))) {
        check(ld, ns_def_add_dirichlet(def, rest, k, v, at));
    } else if (strcmp(s, "expansion") == 0) {
        check(ld, ns_def_add_expansion(def, k, v, at));
    } else if (strcmp(s, "benchmark") == 0) {
        check(ld, ns_def_add_benchmark(def, k, v, at));
    } else if (strcmp(s, "area") == 0) {
        check(ld, ns_def_add_area(def, k, v, at));
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
        list_key(ld, e, "states (or patterns such as in_*)",
                 ns_def_add_group);
    } else if (strcmp(s, "measures") == 0) {
        check(ld, ns_def_add_measure(def, k, v, at));
    } else if (strcmp(s, "validation") == 0) {
        double share;
        if (strcmp(k, "targets") == 0)
            ns_loader_load_targets(ld, e);
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
    } else if ((rest = ns_section_suffix(s, "subgroup"))) {
        subgroup_entry(ld, rest, e);
    } else if (strcmp(s, "sources") == 0) {
        source_key(ld, e);
    } else if (strcmp(s, "perspectives") == 0) {
        list_key(ld, e, "payers", ns_def_add_perspective);
    } else if (strcmp(s, "parameter_groups") == 0) {
        list_key(ld, e, "parameters", ns_def_add_param_group);
    } else if ((rest = ns_section_suffix(s, "stream"))) {
        stream_key(ld, e, rest);
    } else if ((rest = ns_section_suffix(s, "table"))) {
        table_key(ld, pt, e, rest);
    }
}


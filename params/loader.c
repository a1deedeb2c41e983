/* netsave: loading model files, overlays, --set and subgroups
 * (params.h). sections.c interprets the entries, data_files.c reads the
 * files they name; here the loads are run, and overrides checked. */
#include "params/params.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/names.h"
#include "params/csv_table.h"
#include "params/ini_read.h"
#include "params/loader.h"
#include "params/paths.h"
#include "params/text.h"

/* Where --set assignments come from in messages. */
static const char set_origin[] = "--set";

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
        if (!ns_section_known(ini.sections[i])) {
            ld->params->is_partial = true;
            char h[96];
            FAIL(ld, ini.section_lines[i], "unknown section [%s]%s",
                 ini.sections[i],
                 ns_section_hint(h, sizeof h, ini.sections[i]));
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
        if (!ns_section_known(e->section))
            continue;
        if (is_scenario && has_base && strcmp(e->section, "scenario") != 0 &&
            !check_override(ld, e->line, e->section, e->key))
            continue;
        ns_loader_apply_entry(ld, &pt, e);
    }
    ns_loader_load_tables(ld, &pt);
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
    ld.file = ns_loader_remember_file(&ld, name, text, len, on_disk);
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
    char *dir;
    if (!ns_path_folder(path, &dir)) {
        free(text);
        return NS_ENOMEM;
    }
    st = load_text(params, path, text, len, dir, true, diags);
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
               ns_section_suffix(section, "initial") ||
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
    } else if ((rest = ns_section_suffix(section, "stream"))) {
        *kind = "stream";
        *name = rest;
        for (size_t i = 0; i < d->n_streams; i++)
            add_name(known, d->streams[i].name);
    } else if ((rest = ns_section_suffix(section, "table"))) {
        *kind = "table";
        *name = rest;
        for (size_t i = 0; i < d->n_tables; i++)
            add_name(known, d->tables[i].name);
    } else if ((strcmp(section, "transitions") == 0 ||
                ns_section_suffix(section, "transitions")) &&
               ns_split_arrow(key, buf, sizeof buf, &from, &to)) {
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
             : ns_did_you_mean(h, sizeof h, name, known.items, known.n));
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
        /* Trimmed the way the INI reader would. */
        struct ns_ini_entry e = {ns_trim(section), ns_trim(key),
                                 ns_trim(value), line};
        struct loader ld = {params, diags, set_origin, NULL, false, false};
        struct pending_tables pt = {0};
        if (!ns_section_known(e.section)) {
            char h[96];
            FAIL(&ld, line, "unknown section [%s]%s", e.section,
                 ns_section_hint(h, sizeof h, e.section));
            params->is_partial = true;
        } else if (check_override(&ld, line, e.section, e.key)) {
            ns_loader_apply_entry(&ld, &pt, &e);
            ns_loader_load_tables(&ld, &pt);
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
            ns_section_suffix(e->section, "subgroup")) {
            FAIL(&ld, e->at.line,
                 "[subgroup.%s] key %s.%s: a subgroup cannot change "
                 "subgroups",
                 sg->name, e->section, e->key);
            continue;
        }
        if (!ns_section_known(e->section)) {
            char h[96];
            FAIL(&ld, e->at.line, "[subgroup.%s] unknown section [%s]%s",
                 sg->name, e->section,
                 ns_section_hint(h, sizeof h, e->section));
            continue;
        }
        if (!check_override(&ld, e->at.line, e->section, e->key))
            continue;
        struct ns_ini_entry entry = {e->section, e->key, e->value,
                                     e->at.line};
        struct pending_tables pt = {0};
        ns_loader_apply_entry(&ld, &pt, &entry);
        ns_loader_load_tables(&ld, &pt);
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

/* The number of cycles a horizon makes; false (reported) when it is not a
 * whole number of cycles, or disagrees with n_cycles given beside it. */
static bool
horizon_cycles(struct ns_params *params, struct ns_diags *diags)
{
    struct ns_model_def *def = &params->def;
    double len = def->cycle_length_years;
    double n = params->horizon_years / len;
    double whole = floor(n + 0.5);
    if (fabs(n - whole) > 1e-9 * n || whole < 1.0) {
        ns_diags_add_at(diags, params->horizon_at,
                        "[model] key horizon must be a whole number of "
                        "cycles: %g years is %.6g cycles of %g years",
                        params->horizon_years, n, len);
        return false;
    }
    if (params->n_cycles_key_at.file && def->n_cycles != (size_t)whole) {
        char buf[512];
        ns_diags_add_at(diags, params->horizon_at,
                        "[model] keys horizon and n_cycles disagree: "
                        "expected horizon = n_cycles x cycle_length = %zu x "
                        "%g = %g years (n_cycles on %s), found horizon = %g "
                        "years (%g cycles); give one of them",
                        def->n_cycles, len, (double)def->n_cycles * len,
                        ns_origin_beside(buf, sizeof buf, params->n_cycles_key_at,
                                   params->horizon_at),
                        params->horizon_years, whole);
        return false;
    }
    def->n_cycles = (size_t)whole;
    return true;
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
    } else if (params->horizon_at.file && params->horizon_years > 0.0 &&
               def->cycle_length_years > 0.0 &&
               !horizon_cycles(params, diags)) {
        failed = true;
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

/* netsave: what a scenario overlay changes (see params.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params/params.h"

/* A growing list of owned lines. */
struct lines {
    char **items;
    size_t n;
    bool ok;
};

static void add_line(struct lines *l, const char *fmt, ...) NS_PRINTF(2, 3);

static void
add_line(struct lines *l, const char *fmt, ...)
{
    if (!l->ok)
        return;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = len >= 0 ? malloc((size_t)len + 1) : NULL;
    char **items = s ? realloc(l->items, (l->n + 1) * sizeof *items) : NULL;
    if (!items) {
        free(s);
        l->ok = false;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    va_end(ap);
    l->items = items;
    l->items[l->n++] = s;
}

/* Every definition of parameter name, shared and per strategy, as "text"
 * or "strategy: text" joined by "; ", however long (NULL: no memory). */
static char *
describe_param(const struct ns_model_def *d, const char *name)
{
    char *text = NULL;
    size_t size = 0;
    FILE *fp = open_memstream(&text, &size);
    if (!fp)
        return NULL;
    bool first = true;
    for (size_t i = 0; i < d->n_params; i++) {
        const struct ns_def_expr *e = &d->params[i];
        if (strcmp(e->name, name) != 0)
            continue;
        fprintf(fp, "%s%s%s%s", first ? "" : "; ",
                e->strategy ? e->strategy : "", e->strategy ? ": " : "",
                e->text);
        first = false;
    }
    if (fclose(fp) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static void
param_changes(const struct ns_model_def *b, const struct ns_model_def *s,
              struct lines *l)
{
    for (size_t i = 0; l->ok && i < s->n_params; i++) {
        const char *name = s->params[i].name;
        bool first = true;
        for (size_t j = 0; j < i && first; j++)
            first = strcmp(s->params[j].name, name) != 0;
        if (!first)
            continue;
        char *was = describe_param(b, name), *now = describe_param(s, name);
        if (!was || !now)
            l->ok = false;
        else if (strcmp(was, now) != 0)
            add_line(l, "parameter %s: %s -> %s", name,
                     *was ? was : "(none)", now);
        free(was);
        free(now);
    }
}

static const struct ns_subgroup *
subgroup_named(const struct ns_params *p, const char *name)
{
    for (size_t h = 0; h < p->n_subgroups; h++)
        if (strcmp(p->subgroups[h].name, name) == 0)
            return &p->subgroups[h];
    return NULL;
}

static void
subgroup_changes(const struct ns_subgroup *was, const struct ns_subgroup *now,
                 struct lines *l)
{
    if (!was)
        add_line(l, "subgroup %s weight: (none) -> %g", now->name,
                 now->weight);
    else if (!(fabs(was->weight - now->weight) <= 0.0))
        add_line(l, "subgroup %s weight: %g -> %g", now->name, was->weight,
                 now->weight);
    for (size_t e = 0; l->ok && e < now->n_entries; e++) {
        const struct ns_subgroup_entry *se = &now->entries[e];
        const char *old = "(none)";
        for (size_t q = 0; was && q < was->n_entries; q++)
            if (strcmp(was->entries[q].section, se->section) == 0 &&
                strcmp(was->entries[q].key, se->key) == 0)
                old = was->entries[q].value;
        if (strcmp(old, se->value) != 0)
            add_line(l, "subgroup %s %s.%s: %s -> %s", now->name, se->section,
                     se->key, old, se->value);
    }
}

enum ns_status
ns_params_changes(const struct ns_params *base,
                  const struct ns_params *scenario, char ***changes,
                  size_t *n)
{
    struct lines l = {NULL, 0, true};
    param_changes(&base->def, &scenario->def, &l);
    if (base->def.n_cycles != scenario->def.n_cycles)
        add_line(&l, "[model] cycles: %zu -> %zu", base->def.n_cycles,
                 scenario->def.n_cycles);
    for (size_t g = 0; l.ok && g < scenario->n_subgroups; g++)
        subgroup_changes(subgroup_named(base, scenario->subgroups[g].name),
                         &scenario->subgroups[g], &l);
    if (!l.ok) {
        ns_params_changes_free(l.items, l.n);
        return NS_ENOMEM;
    }
    *changes = l.items;
    *n = l.n;
    return NS_OK;
}

void
ns_params_changes_free(char **changes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(changes[i]);
    free(changes);
}

/* netsave: building a model definition.
 *
 * Overlays are applied by replacement: adding an entry whose key matches
 * an existing one overwrites it in place, so the position (and therefore
 * the order states and strategies appear in outputs) is that of the first
 * definition, while the text and origin are the latest. Every list is
 * described once (struct list_kind: its key and what an entry owns), and
 * one find-or-replace (put) adds to any of them. */
#include "model/def.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "model/names.h"

static char *
dup_or_null(const char *s, bool *failed)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (!c) {
        *failed = true;
        return NULL;
    }
    memcpy(c, s, n);
    return c;
}

/* A copy of strings[0..n), or NULL (failed set) when memory runs out;
 * *n_out counts the copies made, so the partial list can be freed. */
static char **
dup_list(const char *const *strings, size_t n, size_t *n_out, bool *failed)
{
    *n_out = 0;
    if (!n)
        return NULL;
    char **list = calloc(n, sizeof *list);
    if (!list) {
        *failed = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        list[i] = dup_or_null(strings[i], failed);
        *n_out = i + 1;
    }
    return list;
}

/* Makes room for one more element in an array of elem_size-byte items. */
static bool
grow(void **items, size_t count, size_t *cap, size_t elem_size)
{
    if (count < *cap)
        return true;
    size_t new_cap = *cap ? 2 * *cap : 8;
    void *p = realloc(*items, new_cap * elem_size);
    if (!p)
        return false;
    *items = p;
    *cap = new_cap;
    return true;
}

/* One list of the definition: how big an entry is, which of its strings
 * identify it (none: every entry is new), and which pointers it owns,
 * with at most one owned list of strings and its count. */
struct list_kind {
    size_t size;
    size_t n_keys, key[3];
    size_t n_owned, owned[8];
    bool has_list;
    size_t list, list_count;
};

static const char *
string_at(const void *item, size_t offset)
{
    const char *s;
    memcpy(&s, (const char *)item + offset, sizeof s);
    return s;
}

static void
free_item(const struct list_kind *k, void *item)
{
    char *base = item;
    for (size_t i = 0; i < k->n_owned; i++) {
        void *p;
        memcpy(&p, base + k->owned[i], sizeof p);
        free(p);
    }
    if (k->has_list) {
        char **list;
        size_t n;
        memcpy(&list, base + k->list, sizeof list);
        memcpy(&n, base + k->list_count, sizeof n);
        for (size_t i = 0; i < n; i++)
            free(list[i]);
        free(list);
    }
}

/* The keys of one list: its entries' positions under their joined key
 * strings, which the index owns (the entries' own strings are replaced
 * when an entry is). */
struct list_index {
    const void *list;            /* &def->field: which list */
    struct ns_name_index *names;
    char **keys;
    size_t n_keys, cap_keys;
};

struct ns_def_index {
    struct list_index *lists;
    size_t n;
};

static void
index_free(struct ns_def_index *ix)
{
    for (size_t i = 0; ix && i < ix->n; i++) {
        ns_name_index_free(ix->lists[i].names);
        for (size_t j = 0; j < ix->lists[i].n_keys; j++)
            free(ix->lists[i].keys[j]);
        free(ix->lists[i].keys);
    }
    if (ix)
        free(ix->lists);
    free(ix);
}

/* The index of the list at items, made on first use; NULL without
 * memory. */
static struct list_index *
index_of(struct ns_model_def *def, const void *items)
{
    if (!def->index && !(def->index = calloc(1, sizeof *def->index)))
        return NULL;
    struct ns_def_index *ix = def->index;
    for (size_t i = 0; i < ix->n; i++)
        if (ix->lists[i].list == items)
            return &ix->lists[i];
    struct list_index *l = realloc(ix->lists, (ix->n + 1) * sizeof *l);
    if (!l)
        return NULL;
    ix->lists = l;
    l[ix->n] = (struct list_index){items, ns_name_index_alloc(), NULL, 0, 0};
    return l[ix->n].names ? &l[ix->n++] : NULL;
}

/* The item's key strings joined by a unit separator ("\x1e" for NULL),
 * which no name holds. */
static char *
joined_key(const struct list_kind *k, const void *item)
{
    size_t len = 1;
    for (size_t i = 0; i < k->n_keys; i++) {
        const char *s = string_at(item, k->key[i]);
        len += (s ? strlen(s) : 1) + 1;
    }
    char *key = malloc(len);
    if (!key)
        return NULL;
    key[0] = '\0';
    for (size_t i = 0; i < k->n_keys; i++) {
        const char *s = string_at(item, k->key[i]);
        strcat(key, s ? s : "\x1e");
        strcat(key, "\x1f");
    }
    return key;
}

static bool
remember(struct list_index *l, char *key, size_t position)
{
    if (l->n_keys == l->cap_keys) {
        size_t cap = l->cap_keys ? 2 * l->cap_keys : 16;
        char **keys = realloc(l->keys, cap * sizeof *keys);
        if (!keys) {
            free(key);
            return false;
        }
        l->keys = keys;
        l->cap_keys = cap;
    }
    l->keys[l->n_keys++] = key;
    return ns_name_index_add(l->names, key, (long)position) == NS_OK;
}

/* Adds item, whose storage was just copied (failed: a copy could not be
 * made), to the list *items of *n: over the entry with the same key, else
 * at the end. The list takes what item owns; on failure it is freed. */
static enum ns_status
put(struct ns_model_def *def, const struct list_kind *k, void **items,
    size_t *n, size_t *cap, void *item, bool failed)
{
    struct list_index *l = failed || !k->n_keys ? NULL : index_of(def, items);
    char *key = l ? joined_key(k, item) : NULL;
    if (failed || (k->n_keys && !key)) {
        free(key);
        free_item(k, item);
        return NS_ENOMEM;
    }
    long at = key ? ns_name_index_find(l->names, key, strlen(key)) : -1;
    if (at >= 0) {
        char *old = (char *)*items + (size_t)at * k->size;
        free(key);
        free_item(k, old);
        memcpy(old, item, k->size);
        return NS_OK;
    }
    if (!grow(items, *n, cap, k->size) || (key && !remember(l, key, *n))) {
        free_item(k, item);
        return NS_ENOMEM;
    }
    memcpy((char *)*items + (*n)++ * k->size, item, k->size);
    return NS_OK;
}

#define PUT(kind, def, field, item, failed)                                  \
    put((def), &(kind), (void **)&(def)->field, &(def)->n_##field,           \
        &(def)->cap_##field, &(item), (failed))

static void
clear_list(const struct list_kind *k, void *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free_item(k, (char *)items + i * k->size);
    free(items);
}

#define AT(type, field) offsetof(struct ns_def_##type, field)

static const struct list_kind entity_kind = {
    sizeof(struct ns_def_entity), 1, {AT(entity, name)},
    2, {AT(entity, name), AT(entity, label)}, false, 0, 0};
static const struct list_kind tunnel_kind = {
    sizeof(struct ns_def_tunnel), 1, {AT(tunnel, state)},
    1, {AT(tunnel, state)}, false, 0, 0};
static const struct list_kind expr_kind = {
    sizeof(struct ns_def_expr), 2, {AT(expr, strategy), AT(expr, name)},
    3, {AT(expr, strategy), AT(expr, name), AT(expr, text)}, false, 0, 0};
static const struct list_kind transition_kind = {
    sizeof(struct ns_def_transition), 3,
    {AT(transition, strategy), AT(transition, from), AT(transition, to)},
    4, {AT(transition, strategy), AT(transition, from), AT(transition, to),
        AT(transition, text)}, false, 0, 0};
static const struct list_kind stream_kind = {
    sizeof(struct ns_def_stream), 1, {AT(stream, name)},
    3, {AT(stream, name), AT(stream, label), AT(stream, outcome)},
    true, AT(stream, tags), AT(stream, n_tags)};
static const struct list_kind state_value_kind = {
    sizeof(struct ns_def_state_value), 2,
    {AT(state_value, stream), AT(state_value, state)},
    3, {AT(state_value, stream), AT(state_value, state),
        AT(state_value, text)}, false, 0, 0};
static const struct list_kind transition_value_kind = {
    sizeof(struct ns_def_transition_value), 3,
    {AT(transition_value, stream), AT(transition_value, from),
     AT(transition_value, to)},
    4, {AT(transition_value, stream), AT(transition_value, from),
        AT(transition_value, to), AT(transition_value, text)}, false, 0, 0};
static const struct list_kind table_kind = {
    sizeof(struct ns_def_table), 1, {AT(table, name)},
    3, {AT(table, name), AT(table, x), AT(table, y)}, false, 0, 0};
static const struct list_kind outcome_kind = {
    sizeof(struct ns_def_outcome), 1, {AT(outcome, name)},
    1, {AT(outcome, name)}, false, 0, 0};
static const struct list_kind comparator_kind = {
    sizeof(struct ns_def_comparator), 1, {AT(comparator, strategy)},
    2, {AT(comparator, strategy), AT(comparator, comparator)}, false, 0, 0};
static const struct list_kind source_kind = {
    sizeof(struct ns_def_source), 1, {AT(source, param)},
    5, {AT(source, param), AT(source, unit), AT(source, price_year),
        AT(source, grade), AT(source, source)}, false, 0, 0};
static const struct list_kind perspective_kind = {
    sizeof(struct ns_def_perspective), 1, {AT(perspective, name)},
    1, {AT(perspective, name)},
    true, AT(perspective, payers), AT(perspective, n_payers)};
static const struct list_kind group_kind = {
    sizeof(struct ns_def_group), 1, {AT(group, name)},
    1, {AT(group, name)}, true, AT(group, members), AT(group, n_members)};
static const struct list_kind measure_kind = {
    sizeof(struct ns_def_measure), 1, {AT(measure, name)},
    2, {AT(measure, name), AT(measure, text)}, false, 0, 0};
/* Targets have no key: two targets may well measure the same thing. */
static const struct list_kind target_kind = {
    sizeof(struct ns_def_target), 0, {0},
    8, {AT(target, arms), AT(target, measure), AT(target, grade),
        AT(target, source), AT(target, note), AT(target, if_missed),
        AT(target, worse), AT(target, subgroup)}, false, 0, 0};
static const struct list_kind free_param_kind = {
    sizeof(struct ns_def_free_param), 1, {AT(free_param, param)},
    1, {AT(free_param, param)}, false, 0, 0};
static const struct list_kind uncertain_kind = {
    sizeof(struct ns_def_uncertain), 1, {AT(uncertain, param)},
    2, {AT(uncertain, param), AT(uncertain, text)}, false, 0, 0};

void
ns_model_def_init(struct ns_model_def *def)
{
    *def = (struct ns_model_def){0};
    def->counting = NS_COUNT_LIFE_TABLE;
    def->count_time_zero = true;
    def->discount_origin = NS_DISCOUNT_FROM_START;
    def->row_sum_tolerance = NS_DEFAULT_ROW_SUM_TOLERANCE;
}

void
ns_model_def_clear(struct ns_model_def *def)
{
    index_free(def->index);
    def->index = NULL;
    free(def->name);
    free(def->weights);
    free(def->weight_text);
    free(def->cost_outcome);
    free(def->health_outcome);
    free(def->place_outcome);
    free(def->scenario_name);
    free(def->scenario_description);
    clear_list(&entity_kind, def->states, def->n_states);
    clear_list(&entity_kind, def->strategies, def->n_strategies);
    clear_list(&tunnel_kind, def->tunnels, def->n_tunnels);
    clear_list(&expr_kind, def->params, def->n_params);
    clear_list(&expr_kind, def->initial, def->n_initial);
    clear_list(&transition_kind, def->transitions, def->n_transitions);
    clear_list(&stream_kind, def->streams, def->n_streams);
    clear_list(&state_value_kind, def->state_values, def->n_state_values);
    clear_list(&transition_value_kind, def->transition_values,
               def->n_transition_values);
    clear_list(&table_kind, def->tables, def->n_tables);
    clear_list(&outcome_kind, def->outcomes, def->n_outcomes);
    clear_list(&comparator_kind, def->comparators, def->n_comparators);
    clear_list(&source_kind, def->sources, def->n_sources);
    clear_list(&perspective_kind, def->perspectives, def->n_perspectives);
    clear_list(&group_kind, def->groups, def->n_groups);
    clear_list(&group_kind, def->param_groups, def->n_param_groups);
    clear_list(&measure_kind, def->measures, def->n_measures);
    clear_list(&target_kind, def->targets, def->n_targets);
    clear_list(&free_param_kind, def->free_params, def->n_free_params);
    clear_list(&uncertain_kind, def->uncertain, def->n_uncertain);
    clear_list(&free_param_kind, def->ranges, def->n_ranges);
    clear_list(&expr_kind, def->correlations, def->n_correlations);
    clear_list(&expr_kind, def->dirichlet, def->n_dirichlet);
    clear_list(&expr_kind, def->expansion, def->n_expansion);
    clear_list(&expr_kind, def->benchmark, def->n_benchmark);
    clear_list(&expr_kind, def->area, def->n_area);
    *def = (struct ns_model_def){0};
}

enum ns_status
ns_def_set_string(char **field, const char *value)
{
    bool failed = false;
    char *copy = dup_or_null(value, &failed);
    if (failed)
        return NS_ENOMEM;
    free(*field);
    *field = copy;
    return NS_OK;
}

enum ns_status
ns_def_add_state(struct ns_model_def *def, const char *name, const char *label,
                 struct ns_origin at)
{
    bool failed = false;
    struct ns_def_entity e = {dup_or_null(name, &failed),
                              dup_or_null(label, &failed), at};
    return PUT(entity_kind, def, states, e, failed);
}

enum ns_status
ns_def_add_strategy(struct ns_model_def *def, const char *name,
                    const char *label, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_entity e = {dup_or_null(name, &failed),
                              dup_or_null(label, &failed), at};
    return PUT(entity_kind, def, strategies, e, failed);
}

enum ns_status
ns_def_add_tunnel(struct ns_model_def *def, const char *state, size_t n_slots,
                  struct ns_origin at)
{
    bool failed = false;
    struct ns_def_tunnel e = {dup_or_null(state, &failed), n_slots, at};
    return PUT(tunnel_kind, def, tunnels, e, failed);
}

/* An expression entry: strategy (may be NULL), name, text. */
static struct ns_def_expr
def_expr(const char *strategy, const char *name, const char *text,
         struct ns_origin at, bool *failed)
{
    return (struct ns_def_expr){dup_or_null(strategy, failed),
                                dup_or_null(name, failed),
                                dup_or_null(text, failed), at};
}

enum ns_status
ns_def_add_param(struct ns_model_def *def, const char *strategy,
                 const char *name, const char *text, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_expr e = def_expr(strategy, name, text, at, &failed);
    return PUT(expr_kind, def, params, e, failed);
}

enum ns_status
ns_def_add_initial(struct ns_model_def *def, const char *strategy,
                   const char *state, const char *text, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_expr e = def_expr(strategy, state, text, at, &failed);
    return PUT(expr_kind, def, initial, e, failed);
}

enum ns_status
ns_def_add_transition(struct ns_model_def *def, const char *strategy,
                      const char *from, const char *to, const char *text,
                      struct ns_origin at)
{
    bool failed = false;
    struct ns_def_transition e = {
        dup_or_null(strategy, &failed), dup_or_null(from, &failed),
        dup_or_null(to, &failed), dup_or_null(text, &failed), at};
    return PUT(transition_kind, def, transitions, e, failed);
}

enum ns_status
ns_def_add_stream(struct ns_model_def *def, const char *name,
                  const char *label, const char *outcome,
                  const char *const *tags, size_t n_tags, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_stream e = {dup_or_null(name, &failed),
                              dup_or_null(label, &failed),
                              dup_or_null(outcome, &failed),
                              NULL,
                              0,
                              at};
    e.tags = dup_list(tags, n_tags, &e.n_tags, &failed);
    return PUT(stream_kind, def, streams, e, failed);
}

enum ns_status
ns_def_add_state_value(struct ns_model_def *def, const char *stream,
                       const char *state, const char *text,
                       struct ns_origin at)
{
    bool failed = false;
    struct ns_def_state_value e = {dup_or_null(stream, &failed),
                                   dup_or_null(state, &failed),
                                   dup_or_null(text, &failed), at};
    return PUT(state_value_kind, def, state_values, e, failed);
}

enum ns_status
ns_def_add_transition_value(struct ns_model_def *def, const char *stream,
                            const char *from, const char *to, const char *text,
                            struct ns_origin at)
{
    bool failed = false;
    struct ns_def_transition_value e = {
        dup_or_null(stream, &failed), dup_or_null(from, &failed),
        dup_or_null(to, &failed), dup_or_null(text, &failed), at};
    return PUT(transition_value_kind, def, transition_values, e, failed);
}

enum ns_status
ns_def_add_table(struct ns_model_def *def, const char *name, double *x,
                 double *y, size_t n, enum ns_table_lookup lookup,
                 struct ns_origin at)
{
    bool failed = false;
    struct ns_def_table e = {dup_or_null(name, &failed), x, y, n, lookup, at};
    return PUT(table_kind, def, tables, e, failed);
}

enum ns_status
ns_def_add_outcome(struct ns_model_def *def, const char *name,
                   double discount_rate, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_outcome e = {dup_or_null(name, &failed), discount_rate, at};
    return PUT(outcome_kind, def, outcomes, e, failed);
}

enum ns_status
ns_def_add_comparator(struct ns_model_def *def, const char *strategy,
                      const char *comparator, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_comparator e = {dup_or_null(strategy, &failed),
                                  dup_or_null(comparator, &failed), at};
    return PUT(comparator_kind, def, comparators, e, failed);
}

enum ns_status
ns_def_add_source(struct ns_model_def *def, const char *param,
                  const char *unit, const char *price_year, const char *grade,
                  const char *source, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_source e = {
        dup_or_null(param, &failed),      dup_or_null(unit, &failed),
        dup_or_null(price_year, &failed), dup_or_null(grade, &failed),
        dup_or_null(source, &failed),     at};
    return PUT(source_kind, def, sources, e, failed);
}

enum ns_status
ns_def_add_perspective(struct ns_model_def *def, const char *name,
                       const char *const *payers, size_t n_payers,
                       struct ns_origin at)
{
    bool failed = false;
    struct ns_def_perspective e = {dup_or_null(name, &failed), NULL, 0, at};
    e.payers = dup_list(payers, n_payers, &e.n_payers, &failed);
    return PUT(perspective_kind, def, perspectives, e, failed);
}

enum ns_status
ns_def_add_group(struct ns_model_def *def, const char *name,
                 const char *const *members, size_t n, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_group e = {dup_or_null(name, &failed), NULL, 0, at};
    e.members = dup_list(members, n, &e.n_members, &failed);
    return PUT(group_kind, def, groups, e, failed);
}

enum ns_status
ns_def_add_param_group(struct ns_model_def *def, const char *name,
                       const char *const *params, size_t n,
                       struct ns_origin at)
{
    bool failed = false;
    struct ns_def_group e = {dup_or_null(name, &failed), NULL, 0, at};
    e.members = dup_list(params, n, &e.n_members, &failed);
    return PUT(group_kind, def, param_groups, e, failed);
}

enum ns_status
ns_def_add_measure(struct ns_model_def *def, const char *name,
                   const char *text, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_measure e = {dup_or_null(name, &failed),
                               dup_or_null(text, &failed), at};
    return PUT(measure_kind, def, measures, e, failed);
}

enum ns_status
ns_def_add_target(struct ns_model_def *def, const struct ns_def_target *t)
{
    bool failed = false;
    struct ns_def_target e = *t;
    e.arms = dup_or_null(t->arms, &failed);
    e.measure = dup_or_null(t->measure, &failed);
    e.grade = dup_or_null(t->grade, &failed);
    e.source = dup_or_null(t->source, &failed);
    e.note = dup_or_null(t->note, &failed);
    e.worse = dup_or_null(t->worse, &failed);
    e.subgroup = dup_or_null(t->subgroup, &failed);
    e.if_missed = dup_or_null(t->if_missed, &failed);
    return PUT(target_kind, def, targets, e, failed);
}

enum ns_status
ns_def_add_free_param(struct ns_model_def *def, const char *param, double low,
                      double high, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_free_param e = {dup_or_null(param, &failed), low, high, at};
    return PUT(free_param_kind, def, free_params, e, failed);
}

enum ns_status
ns_def_add_uncertain(struct ns_model_def *def, const char *param,
                     const char *text, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_uncertain e = {dup_or_null(param, &failed),
                                 dup_or_null(text, &failed), at};
    return PUT(uncertain_kind, def, uncertain, e, failed);
}

enum ns_status
ns_def_add_range(struct ns_model_def *def, const char *param, double low,
                 double high, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_free_param e = {dup_or_null(param, &failed), low, high, at};
    return PUT(free_param_kind, def, ranges, e, failed);
}

enum ns_status
ns_def_add_benchmark(struct ns_model_def *def, const char *strategy,
                     const char *param, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_expr e = def_expr(NULL, strategy, param, at, &failed);
    return PUT(expr_kind, def, benchmark, e, failed);
}

enum ns_status
ns_def_add_expansion(struct ns_model_def *def, const char *strategy,
                     const char *text, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_expr e = def_expr(NULL, strategy, text, at, &failed);
    return PUT(expr_kind, def, expansion, e, failed);
}

enum ns_status
ns_def_add_area(struct ns_model_def *def, const char *key, const char *value,
                struct ns_origin at)
{
    bool failed = false;
    struct ns_def_expr e = def_expr(NULL, key, value, at, &failed);
    return PUT(expr_kind, def, area, e, failed);
}

enum ns_status
ns_def_add_correlation(struct ns_model_def *def, const char *pair,
                       const char *rho, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_expr e = def_expr(NULL, pair, rho, at, &failed);
    return PUT(expr_kind, def, correlations, e, failed);
}

enum ns_status
ns_def_add_dirichlet(struct ns_model_def *def, const char *group,
                     const char *param, const char *alpha,
                     struct ns_origin at)
{
    bool failed = false;
    struct ns_def_expr e = def_expr(group, param, alpha, at, &failed);
    return PUT(expr_kind, def, dirichlet, e, failed);
}

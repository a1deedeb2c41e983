/* netsave: building a model definition.
 *
 * Overlays are applied by replacement: adding an entry whose key matches
 * an existing one overwrites it in place, so the position (and therefore
 * the order states and strategies appear in outputs) is that of the first
 * definition, while the text and origin are the latest. */
#include "model/def.h"

#include <stdlib.h>
#include <string.h>

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

static bool
same(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
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

#define SLOT(def, field, index_out)                                          \
    (grow((void **)&(def)->field, (def)->n_##field, &(def)->cap_##field,     \
          sizeof *(def)->field)                                              \
         ? ((index_out) = (def)->n_##field, true)                            \
         : false)

void
ns_model_def_init(struct ns_model_def *def)
{
    *def = (struct ns_model_def){0};
    def->counting = NS_COUNT_LIFE_TABLE;
    def->count_time_zero = true;
    def->discount_origin = NS_DISCOUNT_FROM_START;
    def->row_sum_tolerance = NS_DEFAULT_ROW_SUM_TOLERANCE;
}

static void
free_entity(struct ns_def_entity *e)
{
    free(e->name);
    free(e->label);
}

static void
free_expr(struct ns_def_expr *e)
{
    free(e->strategy);
    free(e->name);
    free(e->text);
}

static void
free_transition(struct ns_def_transition *t)
{
    free(t->strategy);
    free(t->from);
    free(t->to);
    free(t->text);
}

static void
free_stream(struct ns_def_stream *s)
{
    free(s->name);
    free(s->label);
    free(s->outcome);
    for (size_t i = 0; i < s->n_tags; i++)
        free(s->tags[i]);
    free(s->tags);
}

static void
free_perspective(struct ns_def_perspective *p)
{
    free(p->name);
    for (size_t i = 0; i < p->n_payers; i++)
        free(p->payers[i]);
    free(p->payers);
}

static void
free_target(struct ns_def_target *t)
{
    free(t->arms);
    free(t->measure);
    free(t->grade);
    free(t->source);
    free(t->note);
    free(t->if_missed);
    free(t->worse);
    free(t->subgroup);
}

void
ns_model_def_clear(struct ns_model_def *def)
{
    free(def->name);
    free(def->weights);
    free(def->weight_text);
    free(def->cost_outcome);
    free(def->health_outcome);
    free(def->place_outcome);
    free(def->scenario_name);
    free(def->scenario_description);
    for (size_t i = 0; i < def->n_states; i++)
        free_entity(&def->states[i]);
    for (size_t i = 0; i < def->n_strategies; i++)
        free_entity(&def->strategies[i]);
    for (size_t i = 0; i < def->n_tunnels; i++)
        free(def->tunnels[i].state);
    for (size_t i = 0; i < def->n_params; i++)
        free_expr(&def->params[i]);
    for (size_t i = 0; i < def->n_initial; i++)
        free_expr(&def->initial[i]);
    for (size_t i = 0; i < def->n_transitions; i++)
        free_transition(&def->transitions[i]);
    for (size_t i = 0; i < def->n_streams; i++)
        free_stream(&def->streams[i]);
    for (size_t i = 0; i < def->n_state_values; i++) {
        free(def->state_values[i].stream);
        free(def->state_values[i].state);
        free(def->state_values[i].text);
    }
    for (size_t i = 0; i < def->n_transition_values; i++) {
        free(def->transition_values[i].stream);
        free(def->transition_values[i].from);
        free(def->transition_values[i].to);
        free(def->transition_values[i].text);
    }
    for (size_t i = 0; i < def->n_tables; i++) {
        free(def->tables[i].name);
        free(def->tables[i].x);
        free(def->tables[i].y);
    }
    for (size_t i = 0; i < def->n_outcomes; i++)
        free(def->outcomes[i].name);
    for (size_t i = 0; i < def->n_comparators; i++) {
        free(def->comparators[i].strategy);
        free(def->comparators[i].comparator);
    }
    for (size_t i = 0; i < def->n_sources; i++) {
        struct ns_def_source *src = &def->sources[i];
        free(src->param);
        free(src->unit);
        free(src->price_year);
        free(src->grade);
        free(src->source);
    }
    for (size_t i = 0; i < def->n_perspectives; i++)
        free_perspective(&def->perspectives[i]);
    for (size_t i = 0; i < def->n_groups; i++) {
        free(def->groups[i].name);
        for (size_t j = 0; j < def->groups[i].n_members; j++)
            free(def->groups[i].members[j]);
        free(def->groups[i].members);
    }
    for (size_t i = 0; i < def->n_measures; i++) {
        free(def->measures[i].name);
        free(def->measures[i].text);
    }
    for (size_t i = 0; i < def->n_targets; i++)
        free_target(&def->targets[i]);
    for (size_t i = 0; i < def->n_free_params; i++)
        free(def->free_params[i].param);
    free(def->free_params);
    for (size_t i = 0; i < def->n_ranges; i++)
        free(def->ranges[i].param);
    free(def->ranges);
    for (size_t i = 0; i < def->n_uncertain; i++) {
        free(def->uncertain[i].param);
        free(def->uncertain[i].text);
    }
    free(def->uncertain);
    for (size_t i = 0; i < def->n_expansion; i++)
        free_expr(&def->expansion[i]);
    free(def->expansion);
    for (size_t i = 0; i < def->n_correlations; i++)
        free_expr(&def->correlations[i]);
    free(def->correlations);
    for (size_t i = 0; i < def->n_dirichlet; i++)
        free_expr(&def->dirichlet[i]);
    free(def->dirichlet);
    free(def->groups);
    free(def->measures);
    free(def->targets);
    free(def->sources);
    free(def->perspectives);
    free(def->states);
    free(def->strategies);
    free(def->tunnels);
    free(def->params);
    free(def->initial);
    free(def->transitions);
    free(def->streams);
    free(def->state_values);
    free(def->transition_values);
    free(def->tables);
    free(def->outcomes);
    free(def->comparators);
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

static enum ns_status
add_entity(struct ns_def_entity **items, size_t *n, size_t *cap,
           const char *name, const char *label, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_entity e = {dup_or_null(name, &failed),
                              dup_or_null(label, &failed), at};
    if (failed) {
        free_entity(&e);
        return NS_ENOMEM;
    }
    for (size_t i = 0; i < *n; i++) {
        if (same((*items)[i].name, name)) {
            free_entity(&(*items)[i]);
            (*items)[i] = e;
            return NS_OK;
        }
    }
    if (!grow((void **)items, *n, cap, sizeof **items)) {
        free_entity(&e);
        return NS_ENOMEM;
    }
    (*items)[(*n)++] = e;
    return NS_OK;
}

enum ns_status
ns_def_add_state(struct ns_model_def *def, const char *name, const char *label,
                 struct ns_origin at)
{
    return add_entity(&def->states, &def->n_states, &def->cap_states, name,
                      label, at);
}

enum ns_status
ns_def_add_strategy(struct ns_model_def *def, const char *name,
                    const char *label, struct ns_origin at)
{
    return add_entity(&def->strategies, &def->n_strategies,
                      &def->cap_strategies, name, label, at);
}

enum ns_status
ns_def_add_tunnel(struct ns_model_def *def, const char *state, size_t n_slots,
                  struct ns_origin at)
{
    bool failed = false;
    char *s = dup_or_null(state, &failed);
    if (failed)
        return NS_ENOMEM;
    for (size_t i = 0; i < def->n_tunnels; i++) {
        if (same(def->tunnels[i].state, state)) {
            free(def->tunnels[i].state);
            def->tunnels[i] = (struct ns_def_tunnel){s, n_slots, at};
            return NS_OK;
        }
    }
    size_t i;
    if (!SLOT(def, tunnels, i)) {
        free(s);
        return NS_ENOMEM;
    }
    def->tunnels[i] = (struct ns_def_tunnel){s, n_slots, at};
    def->n_tunnels++;
    return NS_OK;
}

static enum ns_status
add_expr(struct ns_def_expr **items, size_t *n, size_t *cap,
         const char *strategy, const char *name, const char *text,
         struct ns_origin at)
{
    bool failed = false;
    struct ns_def_expr e = {dup_or_null(strategy, &failed),
                            dup_or_null(name, &failed),
                            dup_or_null(text, &failed), at};
    if (failed) {
        free_expr(&e);
        return NS_ENOMEM;
    }
    for (size_t i = 0; i < *n; i++) {
        if (same((*items)[i].strategy, strategy) &&
            same((*items)[i].name, name)) {
            free_expr(&(*items)[i]);
            (*items)[i] = e;
            return NS_OK;
        }
    }
    if (!grow((void **)items, *n, cap, sizeof **items)) {
        free_expr(&e);
        return NS_ENOMEM;
    }
    (*items)[(*n)++] = e;
    return NS_OK;
}

enum ns_status
ns_def_add_param(struct ns_model_def *def, const char *strategy,
                 const char *name, const char *text, struct ns_origin at)
{
    return add_expr(&def->params, &def->n_params, &def->cap_params, strategy,
                    name, text, at);
}

enum ns_status
ns_def_add_initial(struct ns_model_def *def, const char *strategy,
                   const char *state, const char *text, struct ns_origin at)
{
    return add_expr(&def->initial, &def->n_initial, &def->cap_initial,
                    strategy, state, text, at);
}

enum ns_status
ns_def_add_transition(struct ns_model_def *def, const char *strategy,
                      const char *from, const char *to, const char *text,
                      struct ns_origin at)
{
    bool failed = false;
    struct ns_def_transition t = {
        dup_or_null(strategy, &failed), dup_or_null(from, &failed),
        dup_or_null(to, &failed), dup_or_null(text, &failed), at};
    if (failed) {
        free_transition(&t);
        return NS_ENOMEM;
    }
    for (size_t i = 0; i < def->n_transitions; i++) {
        struct ns_def_transition *o = &def->transitions[i];
        if (same(o->strategy, strategy) && same(o->from, from) &&
            same(o->to, to)) {
            free_transition(o);
            *o = t;
            return NS_OK;
        }
    }
    size_t i;
    if (!SLOT(def, transitions, i)) {
        free_transition(&t);
        return NS_ENOMEM;
    }
    def->transitions[i] = t;
    def->n_transitions++;
    return NS_OK;
}

enum ns_status
ns_def_add_stream(struct ns_model_def *def, const char *name,
                  const char *label, const char *outcome,
                  const char *const *tags, size_t n_tags, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_stream s = {dup_or_null(name, &failed),
                              dup_or_null(label, &failed),
                              dup_or_null(outcome, &failed),
                              NULL,
                              0,
                              at};
    if (n_tags) {
        s.tags = calloc(n_tags, sizeof *s.tags);
        failed |= s.tags == NULL;
        for (size_t i = 0; s.tags && i < n_tags; i++) {
            s.tags[i] = dup_or_null(tags[i], &failed);
            s.n_tags = i + 1;
        }
    }
    if (failed) {
        free_stream(&s);
        return NS_ENOMEM;
    }
    for (size_t i = 0; i < def->n_streams; i++) {
        if (same(def->streams[i].name, name)) {
            free_stream(&def->streams[i]);
            def->streams[i] = s;
            return NS_OK;
        }
    }
    size_t i;
    if (!SLOT(def, streams, i)) {
        free_stream(&s);
        return NS_ENOMEM;
    }
    def->streams[i] = s;
    def->n_streams++;
    return NS_OK;
}

enum ns_status
ns_def_add_state_value(struct ns_model_def *def, const char *stream,
                       const char *state, const char *text,
                       struct ns_origin at)
{
    bool failed = false;
    struct ns_def_state_value v = {dup_or_null(stream, &failed),
                                   dup_or_null(state, &failed),
                                   dup_or_null(text, &failed), at};
    if (!failed) {
        for (size_t i = 0; i < def->n_state_values; i++) {
            struct ns_def_state_value *o = &def->state_values[i];
            if (same(o->stream, stream) && same(o->state, state)) {
                free(o->stream);
                free(o->state);
                free(o->text);
                *o = v;
                return NS_OK;
            }
        }
        size_t i;
        if (SLOT(def, state_values, i)) {
            def->state_values[i] = v;
            def->n_state_values++;
            return NS_OK;
        }
    }
    free(v.stream);
    free(v.state);
    free(v.text);
    return NS_ENOMEM;
}

enum ns_status
ns_def_add_transition_value(struct ns_model_def *def, const char *stream,
                            const char *from, const char *to, const char *text,
                            struct ns_origin at)
{
    bool failed = false;
    struct ns_def_transition_value v = {
        dup_or_null(stream, &failed), dup_or_null(from, &failed),
        dup_or_null(to, &failed), dup_or_null(text, &failed), at};
    if (!failed) {
        for (size_t i = 0; i < def->n_transition_values; i++) {
            struct ns_def_transition_value *o = &def->transition_values[i];
            if (same(o->stream, stream) && same(o->from, from) &&
                same(o->to, to)) {
                free(o->stream);
                free(o->from);
                free(o->to);
                free(o->text);
                *o = v;
                return NS_OK;
            }
        }
        size_t i;
        if (SLOT(def, transition_values, i)) {
            def->transition_values[i] = v;
            def->n_transition_values++;
            return NS_OK;
        }
    }
    free(v.stream);
    free(v.from);
    free(v.to);
    free(v.text);
    return NS_ENOMEM;
}

enum ns_status
ns_def_add_table(struct ns_model_def *def, const char *name, double *x,
                 double *y, size_t n, enum ns_table_lookup lookup,
                 struct ns_origin at)
{
    bool failed = false;
    char *copy = dup_or_null(name, &failed);
    size_t i = def->n_tables;
    for (size_t j = 0; j < def->n_tables; j++)
        if (same(def->tables[j].name, name))
            i = j;
    if (failed || (i == def->n_tables && !SLOT(def, tables, i))) {
        free(copy);
        free(x);
        free(y);
        return NS_ENOMEM;
    }
    if (i < def->n_tables) {
        free(def->tables[i].name);
        free(def->tables[i].x);
        free(def->tables[i].y);
    } else {
        def->n_tables++;
    }
    def->tables[i] = (struct ns_def_table){copy, x, y, n, lookup, at};
    return NS_OK;
}

enum ns_status
ns_def_add_outcome(struct ns_model_def *def, const char *name,
                   double discount_rate, struct ns_origin at)
{
    bool failed = false;
    char *copy = dup_or_null(name, &failed);
    if (failed)
        return NS_ENOMEM;
    for (size_t i = 0; i < def->n_outcomes; i++) {
        if (same(def->outcomes[i].name, name)) {
            free(def->outcomes[i].name);
            def->outcomes[i] = (struct ns_def_outcome){copy, discount_rate, at};
            return NS_OK;
        }
    }
    size_t i;
    if (!SLOT(def, outcomes, i)) {
        free(copy);
        return NS_ENOMEM;
    }
    def->outcomes[i] = (struct ns_def_outcome){copy, discount_rate, at};
    def->n_outcomes++;
    return NS_OK;
}

enum ns_status
ns_def_add_comparator(struct ns_model_def *def, const char *strategy,
                      const char *comparator, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_comparator c = {dup_or_null(strategy, &failed),
                                  dup_or_null(comparator, &failed), at};
    if (!failed) {
        for (size_t i = 0; i < def->n_comparators; i++) {
            struct ns_def_comparator *o = &def->comparators[i];
            if (same(o->strategy, strategy)) {
                free(o->strategy);
                free(o->comparator);
                *o = c;
                return NS_OK;
            }
        }
        size_t i;
        if (SLOT(def, comparators, i)) {
            def->comparators[i] = c;
            def->n_comparators++;
            return NS_OK;
        }
    }
    free(c.strategy);
    free(c.comparator);
    return NS_ENOMEM;
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
    size_t i = def->n_sources;
    for (size_t j = 0; j < def->n_sources; j++)
        if (same(def->sources[j].param, param))
            i = j;
    if (failed || (i == def->n_sources && !SLOT(def, sources, i))) {
        free(e.param);
        free(e.unit);
        free(e.price_year);
        free(e.grade);
        free(e.source);
        return NS_ENOMEM;
    }
    if (i < def->n_sources) {
        struct ns_def_source *o = &def->sources[i];
        free(o->param);
        free(o->unit);
        free(o->price_year);
        free(o->grade);
        free(o->source);
    } else {
        def->n_sources++;
    }
    def->sources[i] = e;
    return NS_OK;
}

enum ns_status
ns_def_add_perspective(struct ns_model_def *def, const char *name,
                       const char *const *payers, size_t n_payers,
                       struct ns_origin at)
{
    bool failed = false;
    struct ns_def_perspective e = {dup_or_null(name, &failed), NULL, 0, at};
    if (n_payers) {
        e.payers = calloc(n_payers, sizeof *e.payers);
        failed |= e.payers == NULL;
        for (size_t i = 0; e.payers && i < n_payers; i++) {
            e.payers[i] = dup_or_null(payers[i], &failed);
            e.n_payers = i + 1;
        }
    }
    size_t i = def->n_perspectives;
    for (size_t j = 0; j < def->n_perspectives; j++)
        if (same(def->perspectives[j].name, name))
            i = j;
    if (failed || (i == def->n_perspectives && !SLOT(def, perspectives, i))) {
        free_perspective(&e);
        return NS_ENOMEM;
    }
    if (i < def->n_perspectives)
        free_perspective(&def->perspectives[i]);
    else
        def->n_perspectives++;
    def->perspectives[i] = e;
    return NS_OK;
}

enum ns_status
ns_def_add_group(struct ns_model_def *def, const char *name,
                 const char *const *members, size_t n, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_group g = {dup_or_null(name, &failed), NULL, 0, at};
    if (n) {
        g.members = calloc(n, sizeof *g.members);
        failed |= g.members == NULL;
        for (size_t i = 0; g.members && i < n; i++) {
            g.members[i] = dup_or_null(members[i], &failed);
            g.n_members = i + 1;
        }
    }
    size_t i = def->n_groups;
    for (size_t j = 0; j < def->n_groups; j++)
        if (same(def->groups[j].name, name))
            i = j;
    if (failed || (i == def->n_groups && !SLOT(def, groups, i))) {
        free(g.name);
        for (size_t j = 0; j < g.n_members; j++)
            free(g.members[j]);
        free(g.members);
        return NS_ENOMEM;
    }
    if (i < def->n_groups) {
        struct ns_def_group *o = &def->groups[i];
        free(o->name);
        for (size_t j = 0; j < o->n_members; j++)
            free(o->members[j]);
        free(o->members);
    } else {
        def->n_groups++;
    }
    def->groups[i] = g;
    return NS_OK;
}

enum ns_status
ns_def_add_measure(struct ns_model_def *def, const char *name,
                   const char *text, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_measure e = {dup_or_null(name, &failed),
                               dup_or_null(text, &failed), at};
    size_t i = def->n_measures;
    for (size_t j = 0; j < def->n_measures; j++)
        if (same(def->measures[j].name, name))
            i = j;
    if (failed || (i == def->n_measures && !SLOT(def, measures, i))) {
        free(e.name);
        free(e.text);
        return NS_ENOMEM;
    }
    if (i < def->n_measures) {
        free(def->measures[i].name);
        free(def->measures[i].text);
    } else {
        def->n_measures++;
    }
    def->measures[i] = e;
    return NS_OK;
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
    size_t i;
    if (failed || !SLOT(def, targets, i)) {
        free_target(&e);
        return NS_ENOMEM;
    }
    def->targets[i] = e;
    def->n_targets++;
    return NS_OK;
}

enum ns_status
ns_def_add_free_param(struct ns_model_def *def, const char *param, double low,
                      double high, struct ns_origin at)
{
    bool failed = false;
    char *copy = dup_or_null(param, &failed);
    size_t i = def->n_free_params;
    for (size_t j = 0; j < def->n_free_params; j++)
        if (same(def->free_params[j].param, param))
            i = j;
    if (failed || (i == def->n_free_params && !SLOT(def, free_params, i))) {
        free(copy);
        return NS_ENOMEM;
    }
    if (i < def->n_free_params)
        free(def->free_params[i].param);
    else
        def->n_free_params++;
    def->free_params[i] = (struct ns_def_free_param){copy, low, high, at};
    return NS_OK;
}

enum ns_status
ns_def_add_uncertain(struct ns_model_def *def, const char *param,
                     const char *text, struct ns_origin at)
{
    bool failed = false;
    struct ns_def_uncertain e = {dup_or_null(param, &failed),
                                 dup_or_null(text, &failed), at};
    size_t i = def->n_uncertain;
    for (size_t j = 0; j < def->n_uncertain; j++)
        if (same(def->uncertain[j].param, param))
            i = j;
    if (failed || (i == def->n_uncertain && !SLOT(def, uncertain, i))) {
        free(e.param);
        free(e.text);
        return NS_ENOMEM;
    }
    if (i < def->n_uncertain) {
        free(def->uncertain[i].param);
        free(def->uncertain[i].text);
    } else {
        def->n_uncertain++;
    }
    def->uncertain[i] = e;
    return NS_OK;
}

enum ns_status
ns_def_add_range(struct ns_model_def *def, const char *param, double low,
                 double high, struct ns_origin at)
{
    bool failed = false;
    char *copy = dup_or_null(param, &failed);
    size_t i = def->n_ranges;
    for (size_t j = 0; j < def->n_ranges; j++)
        if (same(def->ranges[j].param, param))
            i = j;
    if (failed || (i == def->n_ranges && !SLOT(def, ranges, i))) {
        free(copy);
        return NS_ENOMEM;
    }
    if (i < def->n_ranges)
        free(def->ranges[i].param);
    else
        def->n_ranges++;
    def->ranges[i] = (struct ns_def_free_param){copy, low, high, at};
    return NS_OK;
}

enum ns_status
ns_def_add_expansion(struct ns_model_def *def, const char *strategy,
                     const char *text, struct ns_origin at)
{
    return add_expr(&def->expansion, &def->n_expansion, &def->cap_expansion,
                    NULL, strategy, text, at);
}

enum ns_status
ns_def_add_correlation(struct ns_model_def *def, const char *pair,
                       const char *rho, struct ns_origin at)
{
    return add_expr(&def->correlations, &def->n_correlations,
                    &def->cap_correlations, NULL, pair, rho, at);
}

enum ns_status
ns_def_add_dirichlet(struct ns_model_def *def, const char *group,
                     const char *param, const char *alpha,
                     struct ns_origin at)
{
    return add_expr(&def->dirichlet, &def->n_dirichlet, &def->cap_dirichlet,
                    group, param, alpha, at);
}

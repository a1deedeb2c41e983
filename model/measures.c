/* netsave: groups, measures and the compilation of targets (see
 * measures.h); targets are evaluated in targets.c.
 *
 * Variables of a measure expression, in slots: the occupancy of each
 * state (0..S-1), of each group (S..S+G-1), then the annual rate of each
 * stream (J of them), of each plain tag (the sum of the streams carrying
 * it) and of each payer (the sum of its streams). Groups, tags and payers
 * are computed from the quantities (states and streams) before the
 * expression is evaluated. */
#include "model/measures.h"
#include "model/compiled.h"

#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/names.h"
#include "model/number.h"

struct ns_measures_priv {
    size_t n_groups;
    char **group_names;     /* [n_groups] owned */
    bool *member;           /* [g * n_states + s] */
    size_t n_tags;
    char **tag_names;       /* [n_tags] owned: tags without a ':' */
    bool *tagged;           /* [i * n_streams + j] */
    struct ns_expr **exprs; /* [n_measures] */
    bool *reads_streams;    /* [n_measures] */
};

struct mc {
    const struct ns_model_def *def;
    struct ns_model *m;
    struct ns_measures_priv *p;
    struct ns_diags *diags;
    bool *failed;
    bool oom;
    char ambiguous[160]; /* why the last name could not be resolved, when
                            it names several things */
};

#define FAIL(c, at, ...)                                                     \
    do {                                                                     \
        ns_diags_add_at((c)->diags, (at), __VA_ARGS__);                      \
        *(c)->failed = true;                                                 \
    } while (0)

static char *
dup(struct mc *c, const char *s)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        c->oom = true;
    return d;
}

static void *
zalloc(struct mc *c, size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        c->oom = true;
    return p;
}

static void
compile_groups(struct mc *c)
{
    const struct ns_model_def *d = c->def;
    size_t S = c->m->n_states, G = d->n_groups;
    c->p->group_names = zalloc(c, G, sizeof *c->p->group_names);
    c->p->member = zalloc(c, G * S, sizeof *c->p->member);
    if (c->oom)
        return;
    c->p->n_groups = G;
    for (size_t g = 0; g < G; g++) {
        const struct ns_def_group *dg = &d->groups[g];
        c->p->group_names[g] = dup(c, dg->name);
        if (!ns_is_identifier(dg->name))
            FAIL(c, dg->at,
                 "group name '%s' must start with a letter or '_' and "
                 "contain only letters, digits and '_'",
                 dg->name);
        else if (ns_model_find_state(c->m, dg->name) >= 0)
            FAIL(c, dg->at, "group %s has the name of a state", dg->name);
        for (size_t i = 0; i < dg->n_members; i++) {
            size_t matched = 0;
            for (size_t s = 0; s < S; s++) {
                if (fnmatch(dg->members[i], c->m->states[s].name, 0) != 0)
                    continue;
                matched++;
                c->p->member[g * S + s] = true;
            }
            if (matched == 0)
                FAIL(c, dg->at, "group %s: '%s' matches no state", dg->name,
                     dg->members[i]);
        }
    }
}

static long
find_name(char *const *names, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] && strlen(names[i]) == len &&
            memcmp(names[i], name, len) == 0)
            return (long)i;
    return -1;
}

/* The plain tags (no ':'; "payer:x" names a payer instead) of the
 * streams, in order of first appearance, and which streams carry each. */
static void
compile_tags(struct mc *c)
{
    const struct ns_model *m = c->m;
    size_t J = m->n_streams, n = 0;
    for (size_t j = 0; j < J; j++)
        n += m->streams[j].n_tags;
    c->p->tag_names = zalloc(c, n, sizeof *c->p->tag_names);
    c->p->tagged = zalloc(c, n * J, sizeof *c->p->tagged);
    if (c->oom)
        return;
    for (size_t j = 0; j < J; j++)
        for (size_t i = 0; i < m->streams[j].n_tags; i++) {
            const char *tag = m->streams[j].tags[i];
            if (!tag || strchr(tag, ':'))
                continue;
            long k = find_name(c->p->tag_names, c->p->n_tags, tag,
                               strlen(tag));
            if (k < 0) {
                k = (long)c->p->n_tags++;
                c->p->tag_names[k] = dup(c, tag);
            }
            c->p->tagged[(size_t)k * J + j] = true;
        }
}

/* The kinds of variable, in the order of their slots. */
enum { K_STATE, K_GROUP, K_STREAM, K_TAG, K_PAYER, K_COUNT };

/* The slot of the first variable of each kind, then the total count. */
static void
kind_starts(const struct ns_model *m, const struct ns_measures_priv *p,
            size_t start[K_COUNT + 1])
{
    size_t n[K_COUNT] = {m->n_states, p->n_groups, m->n_streams, p->n_tags,
                         m->n_payers};
    start[0] = 0;
    for (size_t k = 0; k < K_COUNT; k++)
        start[k + 1] = start[k] + n[k];
}

static const char *const kind_names[K_COUNT] = {"state", "group", "stream",
                                                "tag", "payer"};

/* The names of the groups, tags or payers (states and streams keep
 * theirs in structs: NULL). */
static char *const *
kind_list(const struct mc *c, size_t kind, size_t *n)
{
    *n = kind == K_GROUP ? c->p->n_groups
         : kind == K_TAG ? c->p->n_tags
         : kind == K_PAYER ? c->m->n_payers
                           : 0;
    return kind == K_GROUP ? c->p->group_names
           : kind == K_TAG ? c->p->tag_names
           : kind == K_PAYER ? c->m->payers
                             : NULL;
}

/* The index of a name among the variables of one kind, or -1. */
static long
find_of_kind(const struct mc *c, size_t kind, const char *name, size_t len)
{
    const struct ns_model *m = c->m;
    if (kind == K_STATE || kind == K_STREAM)
        return ns_name_index_find(kind == K_STATE ? m->priv->state_ix
                                                  : m->priv->stream_ix,
                                  name, len);
    size_t n;
    char *const *names = kind_list(c, kind, &n);
    return find_name(names, n, name, len);
}

/* A name must mean one thing: a state, group, stream, tag or payer that
 * share a name would make a measure say something its author may not
 * have meant. */
static long
resolve(void *ctx, const char *name, size_t len)
{
    struct mc *c = ctx;
    size_t start[K_COUNT + 1];
    kind_starts(c->m, c->p, start);
    long slot = -1;
    size_t found = 0, first = 0;
    for (size_t k = 0; k < K_COUNT; k++) {
        long i = find_of_kind(c, k, name, len);
        if (i < 0)
            continue;
        if (found++ == 0) {
            first = k;
            slot = (long)(start[k] + (size_t)i);
            continue;
        }
        snprintf(c->ambiguous, sizeof c->ambiguous,
                 "'%.*s' is ambiguous: it names a %s and a %s; rename one",
                 (int)len, name, kind_names[first], kind_names[k]);
        return -1;
    }
    return slot;
}

static const char *
suggest(void *ctx, const char *name, size_t len)
{
    struct mc *c = ctx;
    const struct ns_model *m = c->m;
    const char *best = NULL;
    for (size_t k = K_GROUP; k < K_COUNT && !best; k++) {
        size_t n;
        char *const *names = kind_list(c, k, &n);
        best = ns_nearest_name(name, len, (const char *const *)names, n);
    }
    for (size_t j = 0; j < m->n_streams && !best; j++)
        best = ns_nearest_name(name, len,
                               (const char *const *)&m->streams[j].name, 1);
    for (size_t s = 0; s < m->n_states && !best; s++)
        best = ns_nearest_name(name, len,
                               (const char *const *)&m->states[s].name, 1);
    return best;
}

/* Whether a compiled measure reads any slot from the streams on. */
static bool
reads_streams(const struct mc *c, const struct ns_expr *e)
{
    size_t start[K_COUNT + 1];
    kind_starts(c->m, c->p, start);
    for (size_t i = 0; e && i < ns_expr_n_variables(e); i++)
        if ((size_t)ns_expr_variable(e, i) >= start[K_STREAM])
            return true;
    return false;
}

static void
compile_measures(struct mc *c)
{
    const struct ns_model_def *d = c->def;
    size_t M = d->n_measures;
    c->m->measures = zalloc(c, M, sizeof *c->m->measures);
    c->p->exprs = zalloc(c, M, sizeof *c->p->exprs);
    c->p->reads_streams = zalloc(c, M, sizeof *c->p->reads_streams);
    if (c->oom)
        return;
    c->m->n_measures = M;
    struct ns_expr_resolver r = {c, resolve, NULL, suggest};
    for (size_t i = 0; i < M; i++) {
        const struct ns_def_measure *dm = &d->measures[i];
        struct ns_measure_info *mi = &c->m->measures[i];
        mi->name = dup(c, dm->name);
        mi->text = dup(c, dm->text);
        mi->at = dm->at;
        char err[256];
        c->ambiguous[0] = '\0';
        enum ns_status st =
            ns_expr_compile(dm->text, &r, &c->p->exprs[i], err, sizeof err);
        if (st == NS_ENOMEM)
            c->oom = true;
        else if (st != NS_OK)
            FAIL(c, dm->at, "measure %s: %s", dm->name,
                 c->ambiguous[0] ? c->ambiguous : err);
        c->p->reads_streams[i] = reads_streams(c, c->p->exprs[i]);
    }
}

static long
find_measure(const struct ns_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_measures; i++)
        if (strcmp(m->measures[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* Parses "a" or "a:286 + b:122" into strategies and normalised weights. */
static bool
parse_arms(struct mc *c, const struct ns_def_target *dt,
           struct ns_target_info *t)
{
    char *copy = dup(c, dt->arms);
    if (!copy)
        return false;
    size_t n = 1;
    for (const char *q = copy; *q; q++)
        n += *q == '+';
    t->arm_strategy = zalloc(c, n, sizeof *t->arm_strategy);
    t->arm_weight = zalloc(c, n, sizeof *t->arm_weight);
    bool ok = !c->oom;
    double total = 0.0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, "+", &save); ok && tok;
         tok = strtok_r(NULL, "+", &save)) {
        char *colon = strchr(tok, ':');
        double w = 1.0;
        if (colon) {
            *colon = '\0';
            if (ns_parse_number(colon + 1, &w) != NS_OK || !(w > 0.0)) {
                FAIL(c, dt->at,
                     "target: weight of '%s' must be a number above 0, got "
                     "'%s'",
                     tok, colon + 1);
                ok = false;
                break;
            }
        }
        char name[128];
        if (sscanf(tok, " %127[A-Za-z0-9_] ", name) != 1) {
            FAIL(c, dt->at, "target: expected a strategy name, got '%s'",
                 tok);
            ok = false;
            break;
        }
        long k = ns_model_find_strategy(c->m, name);
        if (k < 0) {
            FAIL(c, dt->at, "target: unknown strategy '%s'", name);
            ok = false;
            break;
        }
        t->arm_strategy[t->n_arms] = (size_t)k;
        t->arm_weight[t->n_arms++] = w;
        total += w;
    }
    for (size_t i = 0; ok && i < t->n_arms; i++)
        t->arm_weight[i] /= total;
    free(copy);
    return ok;
}

/* The time point at years, or false when years is not one. */
static bool
time_point(const struct ns_model *m, double years, size_t *point)
{
    double points = years / m->cycle_length_years;
    double whole = floor(points + 0.5);
    if (!(fabs(points - whole) <= 1e-9 * (whole + 1.0)) || whole < 0.0)
        return false;
    *point = whole > (double)m->n_cycles ? m->n_cycles + 1 : (size_t)whole;
    return true;
}

/* Sets *point to the time point of years (what says which column, for
 * messages); a point beyond the horizon (a shortened run) takes the
 * target out of it. */
static void
target_point(struct mc *c, const struct ns_def_target *dt,
             struct ns_target_info *t, double years, const char *what,
             size_t *point)
{
    if (!time_point(c->m, years, point)) {
        FAIL(c, dt->at,
             "target: %s %g years is not a time point of the model (cycles "
             "of %g years)",
             what, years, c->m->cycle_length_years);
        *point = 0;
        return;
    }
    if (*point > c->m->n_cycles) {
        t->in_horizon = false;
        *point = 0;
    }
}

/* The time points of a target: its time, the start of its period and the
 * time it is relative to. */
static void
target_times(struct mc *c, const struct ns_def_target *dt,
             struct ns_target_info *t)
{
    t->in_horizon = true;
    target_point(c, dt, t, dt->time_years, "time", &t->point);
    t->period_years = dt->period_years;
    t->start_point = t->point;
    double start = dt->time_years - dt->period_years;
    if (!(dt->period_years >= 0.0) || !isfinite(dt->period_years))
        FAIL(c, dt->at,
             "target: period_years must be a number of years, 0 or more, "
             "got %g",
             dt->period_years);
    else if (dt->period_years > 0.0 && start < -1e-9 * dt->time_years)
        FAIL(c, dt->at,
             "target: the period of %g years before %g years starts before "
             "time 0",
             dt->period_years, dt->time_years);
    else if (dt->period_years > 0.0)
        target_point(c, dt, t, start > 0.0 ? start : 0.0,
                     "period start (time_years - period_years)",
                     &t->start_point);
    if (t->start_point == t->point)
        t->period_years = 0.0; /* a period shorter than a cycle: a point */
    t->has_relative_to = dt->has_relative_to;
    t->relative_to = dt->relative_to;
    if (dt->has_relative_to)
        target_point(c, dt, t, dt->relative_to, "relative_to",
                     &t->relative_point);
}

/* A stream's rate at a point is its value there over the point's
 * counting weight: a weight of 0 leaves it unknown. */
static void
check_stream_points(struct mc *c, const struct ns_def_target *dt,
                    const struct ns_target_info *t)
{
    const struct ns_model *m = c->m;
    if (!t->in_horizon || !m->weights || t->measure >= m->n_measures ||
        !ns_measure_reads_streams(m, t->measure))
        return;
    size_t points[2] = {t->point, t->relative_point};
    const double years[2] = {t->time_years, t->relative_to};
    bool check[2] = {t->start_point == t->point, t->has_relative_to};
    for (size_t i = 0; i < 2; i++)
        if (check[i] && !(ns_model_entry_weight(m, points[i]) > 0.0))
            FAIL(c, dt->at,
                 "target: measure %s reads streams, whose annual rate at %g "
                 "years is unknown: that time point's counting weight is 0 "
                 "(give the target a period_years)",
                 m->measures[t->measure].name, years[i]);
}

static void
target_measure(struct mc *c, const struct ns_def_target *dt,
               struct ns_target_info *t)
{
    const struct ns_model *m = c->m;
    long mi = find_measure(m, dt->measure);
    if (mi < 0) {
        const char *names[256];
        size_t n = m->n_measures < 256 ? m->n_measures : 256;
        for (size_t j = 0; j < n; j++)
            names[j] = m->measures[j].name;
        char h[96];
        FAIL(c, dt->at, "target: unknown measure '%s'%s", dt->measure,
             ns_did_you_mean(h, sizeof h, dt->measure, names, n));
    }
    t->measure = mi < 0 ? m->n_measures : (size_t)mi;
}

/* Grade, tolerance, share followed up and direction of worse. */
static void
target_grading(struct mc *c, const struct ns_def_target *dt,
               struct ns_target_info *t)
{
    t->followed_up = dt->followed_up;
    if (!(dt->followed_up > 0.0 && dt->followed_up <= 1.0))
        FAIL(c, dt->at,
             "target: followed_up must be a share above 0 and at most "
             "1, got %g",
             dt->followed_up);
    t->worse = 0;
    if (dt->worse && strcmp(dt->worse, "higher") == 0)
        t->worse = 1;
    else if (dt->worse && strcmp(dt->worse, "lower") == 0)
        t->worse = -1;
    else if (dt->worse && *dt->worse)
        FAIL(c, dt->at, "target: worse must be higher or lower, got '%s'",
             dt->worse);
    t->grade = dt->grade ? dt->grade[0] : 'U';
    if (!dt->grade || strlen(dt->grade) != 1 ||
        !strchr("ABCU", dt->grade[0]))
        FAIL(c, dt->at, "target: grade must be A, B, C or U, got '%s'",
             dt->grade ? dt->grade : "");
    if (!(dt->tolerance > 0.0))
        FAIL(c, dt->at, "target: tolerance must be above 0, got %g",
             dt->tolerance);
}

static void
compile_target(struct mc *c, const struct ns_def_target *dt,
               struct ns_target_info *t)
{
    t->time_years = dt->time_years;
    t->observed = dt->observed;
    t->tolerance = dt->tolerance;
    t->role = dt->role;
    t->arms = dup(c, dt->arms);
    t->source = dup(c, dt->source ? dt->source : "");
    t->note = dup(c, dt->note ? dt->note : "");
    t->if_missed = dup(c, dt->if_missed ? dt->if_missed : "");
    t->subgroup = dt->subgroup && *dt->subgroup ? dup(c, dt->subgroup) : NULL;
    t->at = dt->at;
    target_grading(c, dt, t);
    target_measure(c, dt, t);
    target_times(c, dt, t);
    check_stream_points(c, dt, t);
    parse_arms(c, dt, t);
}

static void
compile_targets(struct mc *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    m->targets = zalloc(c, d->n_targets, sizeof *m->targets);
    for (size_t i = 0; m->targets && i < d->n_targets && !c->oom; i++)
        compile_target(c, &d->targets[i], &m->targets[m->n_targets++]);
}

static void
free_targets(struct ns_model *m)
{
    for (size_t i = 0; m->targets && i < m->n_targets; i++) {
        struct ns_target_info *t = &m->targets[i];
        free(t->arm_strategy);
        free(t->arm_weight);
        free(t->arms);
        free(t->source);
        free(t->note);
        free(t->if_missed);
        free(t->subgroup);
    }
    free(m->targets);
    m->targets = NULL;
}

enum ns_status
ns_measures_compile(const struct ns_model_def *def, struct ns_model *m,
                    struct ns_diags *diags, bool *failed)
{
    struct ns_measures_priv *p = calloc(1, sizeof *p);
    if (!p)
        return NS_ENOMEM;
    m->measures_priv = p;
    struct mc c = {def, m, p, diags, failed, false, ""};
    compile_groups(&c);
    if (!c.oom)
        compile_tags(&c);
    if (!c.oom)
        compile_measures(&c);
    if (!c.oom)
        compile_targets(&c);
    return c.oom ? NS_ENOMEM : NS_OK;
}

static void
free_names(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

void
ns_measures_free(struct ns_model *m)
{
    struct ns_measures_priv *p = m->measures_priv;
    for (size_t i = 0; m->measures && i < m->n_measures; i++) {
        free(m->measures[i].name);
        free(m->measures[i].text);
        if (p && p->exprs)
            ns_expr_free(p->exprs[i]);
    }
    free(m->measures);
    free_targets(m);
    if (p) {
        free_names(p->group_names, p->n_groups);
        free(p->member);
        free_names(p->tag_names, p->n_tags);
        free(p->tagged);
        free(p->exprs);
        free(p->reads_streams);
        free(p);
    }
    m->measures = NULL;
    m->measures_priv = NULL;
}

bool
ns_measure_reads_streams(const struct ns_model *m, size_t i)
{
    const struct ns_measures_priv *p = m->measures_priv;
    return p && p->reads_streams && p->reads_streams[i];
}

/* Fills the variables of every kind from the quantities: states and
 * streams are copied, groups, tags and payers summed. */
static void
fill_variables(const struct ns_model *m, const struct ns_measures_priv *p,
               const double *q, double *vars)
{
    size_t S = m->n_states, J = m->n_streams, start[K_COUNT + 1];
    kind_starts(m, p, start);
    memset(vars, 0, start[K_COUNT] * sizeof *vars);
    memcpy(vars, q, S * sizeof *vars);
    memcpy(&vars[start[K_STREAM]], &q[S], J * sizeof *vars);
    for (size_t g = 0; g < p->n_groups; g++)
        for (size_t s = 0; s < S; s++)
            if (p->member[g * S + s])
                vars[start[K_GROUP] + g] += q[s];
    for (size_t i = 0; i < p->n_tags; i++)
        for (size_t j = 0; j < J; j++)
            if (p->tagged[i * J + j])
                vars[start[K_TAG] + i] += q[S + j];
    for (size_t j = 0; j < J; j++)
        if (m->streams[j].payer >= 0)
            vars[start[K_PAYER] + (size_t)m->streams[j].payer] += q[S + j];
}

enum ns_status
ns_measure_eval(const struct ns_model *m, size_t i, const double *q,
                double *value, struct ns_expr_fault *fault)
{
    const struct ns_measures_priv *p = m->measures_priv;
    size_t start[K_COUNT + 1];
    kind_starts(m, p, start);
    double *vars = calloc(start[K_COUNT] + 1, sizeof *vars);
    if (!vars)
        return NS_ENOMEM;
    fill_variables(m, p, q, vars);
    enum ns_status st = ns_expr_eval(p->exprs[i], vars, NULL, value, fault);
    free(vars);
    return st;
}

/* netsave: groups, measures and targets (see measures.h).
 *
 * Variables of a measure expression: the occupancy of each state (slots
 * 0..S-1) and of each group (slots S..S+G-1). Groups are computed from
 * the occupancy before the expression is evaluated. */
#include "model/measures.h"

#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/names.h"

struct ns_measures_priv {
    size_t n_groups;
    char **group_names;   /* [n_groups] owned */
    bool *member;         /* [g * n_states + s] */
    struct ns_expr **exprs; /* [n_measures] */
};

struct mc {
    const struct ns_model_def *def;
    struct ns_model *m;
    struct ns_measures_priv *p;
    struct ns_diags *diags;
    bool *failed;
    bool oom;
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
resolve(void *ctx, const char *name, size_t len)
{
    struct mc *c = ctx;
    size_t S = c->m->n_states;
    for (size_t s = 0; s < S; s++)
        if (strlen(c->m->states[s].name) == len &&
            memcmp(c->m->states[s].name, name, len) == 0)
            return (long)s;
    for (size_t g = 0; g < c->p->n_groups; g++)
        if (strlen(c->p->group_names[g]) == len &&
            memcmp(c->p->group_names[g], name, len) == 0)
            return (long)(S + g);
    return -1;
}

static const char *
suggest(void *ctx, const char *name, size_t len)
{
    struct mc *c = ctx;
    const char *best = ns_nearest_name(
        name, len, (const char *const *)c->p->group_names, c->p->n_groups);
    if (best)
        return best;
    for (size_t s = 0; s < c->m->n_states && !best; s++)
        best = ns_nearest_name(name, len,
                               (const char *const *)&c->m->states[s].name, 1);
    return best;
}

static void
compile_measures(struct mc *c)
{
    const struct ns_model_def *d = c->def;
    size_t M = d->n_measures;
    c->m->measures = zalloc(c, M, sizeof *c->m->measures);
    c->p->exprs = zalloc(c, M, sizeof *c->p->exprs);
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
        enum ns_status st =
            ns_expr_compile(dm->text, &r, &c->p->exprs[i], err, sizeof err);
        if (st == NS_ENOMEM)
            c->oom = true;
        else if (st != NS_OK)
            FAIL(c, dm->at, "measure %s: %s", dm->name, err);
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
            char *end;
            w = strtod(colon + 1, &end);
            while (*end == ' ')
                end++;
            if (end == colon + 1 || *end || !(w > 0.0) || !isfinite(w)) {
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

static void
compile_targets(struct mc *c)
{
    const struct ns_model_def *d = c->def;
    struct ns_model *m = c->m;
    m->targets = zalloc(c, d->n_targets, sizeof *m->targets);
    if (c->oom)
        return;
    for (size_t i = 0; i < d->n_targets && !c->oom; i++) {
        const struct ns_def_target *dt = &d->targets[i];
        struct ns_target_info *t = &m->targets[m->n_targets++];
        t->time_years = dt->time_years;
        t->observed = dt->observed;
        t->tolerance = dt->tolerance;
        t->grade = dt->grade ? dt->grade[0] : 'U';
        t->arms = dup(c, dt->arms);
        t->source = dup(c, dt->source ? dt->source : "");
        t->note = dup(c, dt->note ? dt->note : "");
        t->at = dt->at;
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
        t->measure = mi < 0 ? 0 : (size_t)mi;
        double points = dt->time_years / m->cycle_length_years;
        double whole = floor(points + 0.5);
        if (!(fabs(points - whole) <= 1e-9 * (whole + 1.0)) || whole < 0.0)
            FAIL(c, dt->at,
                 "target: time %g years is not a time point of the model "
                 "(cycles of %g years)",
                 dt->time_years, m->cycle_length_years);
        else if (whole > (double)m->n_cycles)
            t->in_horizon = false; /* a run shorter than the study */
        else {
            t->point = (size_t)whole;
            t->in_horizon = true;
        }
        if (!dt->grade || strlen(dt->grade) != 1 ||
            !strchr("ABCU", dt->grade[0]))
            FAIL(c, dt->at, "target: grade must be A, B, C or U, got '%s'",
                 dt->grade ? dt->grade : "");
        if (!(dt->tolerance > 0.0))
            FAIL(c, dt->at, "target: tolerance must be above 0, got %g",
                 dt->tolerance);
        parse_arms(c, dt, t);
    }
}

enum ns_status
ns_measures_compile(const struct ns_model_def *def, struct ns_model *m,
                    struct ns_diags *diags, bool *failed)
{
    struct ns_measures_priv *p = calloc(1, sizeof *p);
    if (!p)
        return NS_ENOMEM;
    m->measures_priv = p;
    struct mc c = {def, m, p, diags, failed, false};
    compile_groups(&c);
    if (!c.oom)
        compile_measures(&c);
    if (!c.oom)
        compile_targets(&c);
    return c.oom ? NS_ENOMEM : NS_OK;
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
    for (size_t i = 0; m->targets && i < m->n_targets; i++) {
        struct ns_target_info *t = &m->targets[i];
        free(t->arm_strategy);
        free(t->arm_weight);
        free(t->arms);
        free(t->source);
        free(t->note);
    }
    free(m->targets);
    if (p) {
        for (size_t g = 0; p->group_names && g < p->n_groups; g++)
            free(p->group_names[g]);
        free(p->group_names);
        free(p->member);
        free(p->exprs);
        free(p);
    }
    m->measures = NULL;
    m->targets = NULL;
    m->measures_priv = NULL;
}

enum ns_status
ns_measure_eval(const struct ns_model *m, size_t i, const double *occupancy,
                double *value, struct ns_expr_fault *fault)
{
    const struct ns_measures_priv *p = m->measures_priv;
    size_t S = m->n_states, G = p->n_groups;
    double *vars = calloc(S + G + 1, sizeof *vars);
    if (!vars)
        return NS_ENOMEM;
    memcpy(vars, occupancy, S * sizeof *vars);
    for (size_t g = 0; g < G; g++)
        for (size_t s = 0; s < S; s++)
            if (p->member[g * S + s])
                vars[S + g] += occupancy[s];
    enum ns_status st = ns_expr_eval(p->exprs[i], vars, NULL, value, fault);
    free(vars);
    return st;
}

bool
ns_target_is_binding(const struct ns_target_info *t)
{
    return t->in_horizon && (t->grade == 'A' || t->grade == 'B');
}

enum ns_status
ns_target_measure_at(const struct ns_model *m, const struct ns_results *r,
                     size_t i, size_t point, double *value,
                     struct ns_expr_fault *fault)
{
    const struct ns_target_info *t = &m->targets[i];
    size_t S = m->n_states;
    double *occ = calloc(S + 1, sizeof *occ);
    if (!occ)
        return NS_ENOMEM;
    for (size_t a = 0; a < t->n_arms; a++)
        for (size_t s = 0; s < S; s++)
            occ[s] += t->arm_weight[a] *
                      ns_results_trace(r, t->arm_strategy[a], point, s);
    enum ns_status st = ns_measure_eval(m, t->measure, occ, value, fault);
    free(occ);
    return st;
}

enum ns_status
ns_targets_evaluate(const struct ns_model *m, const struct ns_results *r,
                    struct ns_target_result *out, struct ns_diags *diags)
{
    size_t S = m->n_states;
    double *occ = calloc(S + 1, sizeof *occ);
    if (!occ)
        return NS_ENOMEM;
    enum ns_status status = NS_OK;
    for (size_t i = 0; i < m->n_targets; i++) {
        const struct ns_target_info *t = &m->targets[i];
        memset(occ, 0, S * sizeof *occ);
        for (size_t a = 0; a < t->n_arms; a++)
            for (size_t s = 0; s < S; s++)
                occ[s] += t->arm_weight[a] *
                          ns_results_trace(r, t->arm_strategy[a], t->point, s);
        struct ns_expr_fault fault;
        out[i] = (struct ns_target_result){NS_NAN, NS_NAN, false};
        if (!t->in_horizon)
            continue;
        enum ns_status st =
            ns_measure_eval(m, t->measure, occ, &out[i].predicted, &fault);
        if (st == NS_ENOMEM) {
            status = st;
            break;
        }
        if (st != NS_OK) {
            ns_diags_add_at(diags, t->at,
                            "target: measure %s: %s at column %zu, for %s at "
                            "%g years",
                            m->measures[t->measure].name, fault.detail,
                            fault.column, t->arms, t->time_years);
            status = NS_EMODEL;
            continue;
        }
        out[i].difference = out[i].predicted - t->observed;
        out[i].within = fabs(out[i].difference) <= t->tolerance;
    }
    free(occ);
    return status;
}

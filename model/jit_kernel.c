/* netsave: the settled and step kernels of a strategy as native code
 * (model/jit_gen.h, model/jit_priv.h for what they compute). */
#include "model/jit_gen.h"

#include <stdlib.h>
#include <string.h>

#include "model/jit_priv.h"

/* A settled kernel is straight-line code over every move and every term
 * of a cycle; past this size a model is left to the interpreter's loops,
 * whose cost does not grow with the code. */
#define NS_JIT_MAX_SETTLED_OPS 20000

/* The settled kernel of strategy d (see ns_jit_settled_fn). */
struct sgen {
    struct gen *g;
    const struct ns_model *m;
    const struct ns_model_priv *p;
    size_t d, L, X, S, J, M;
    gcc_jit_function *fn;
    gcc_jit_rvalue *occ, *mvp, *sv, *w, *scale, *vbuf, *from, *T;
    gcc_jit_lvalue *O, *P, *V; /* local copies: no aliasing with vbuf */
    gcc_jit_lvalue *u, *ub, *lane;
};

/* index * L + lane, as a long. */
static gcc_jit_rvalue *
lane_ix(struct sgen *s, size_t index)
{
    return nsj_lane_ix(s->g, s->lane, index, s->L);
}

/* dst[i] = src[i] for i < n, in a loop of its own; returns the block
 * after it. */
static gcc_jit_block *
copy_in(struct sgen *s, gcc_jit_block *b, gcc_jit_lvalue *dst,
        gcc_jit_rvalue *src, size_t n)
{
    return nsj_copy_loop(s->g, s->fn, b, rv(dst), src, n);
}

/* One lane of one time point: its values into vbuf and, with step, the
 * cohort moved on through the next cycle (in O). */
static void
lane_body(struct sgen *s, gcc_jit_block *b, bool step)
{
    struct gen *g = s->g;
    const struct ns_model_priv *p = s->p;
    gcc_jit_lvalue **o = calloc(s->X, sizeof *o);
    gcc_jit_rvalue **nx = calloc(s->X, sizeof *nx);
    if (!o || !nx) {
        free(o);
        free(nx);
        return;
    }
    for (size_t x = 0; x < s->X; x++) {
        o[x] = nsj_new_local(g, s->fn, g->t_double);
        gcc_jit_block_add_assignment(b, NULL, o[x],
                                     rv(at(g, rv(s->O), lane_ix(s, x))));
    }
    gcc_jit_rvalue *w_u = rv(at(g, s->w, rv(s->u)));
    for (size_t j = 0; j < s->J; j++) {
        /* The terms in the engine's order: states, then tunnel slots. */
        gcc_jit_rvalue *acc = g->zero;
        for (size_t st = 0; st < s->S; st++) {
            gcc_jit_rvalue *v = rv(at(g, rv(s->V), lane_ix(s, j * s->S + st)));
            for (size_t q = 0; q < p->n_slots[st]; q++)
                acc = binop(g, GCC_JIT_BINARY_OP_PLUS, g->t_double, acc,
                            binop(g, GCC_JIT_BINARY_OP_MULT, g->t_double,
                                  rv(o[p->first_x[st] + q]), v));
        }
        gcc_jit_rvalue *val = binop(
            g, GCC_JIT_BINARY_OP_MULT, g->t_double,
            binop(g, GCC_JIT_BINARY_OP_MULT, g->t_double, w_u, acc),
            rv(at(g, s->scale, integer(g, (long)j))));
        gcc_jit_rvalue *ix = binop(g, GCC_JIT_BINARY_OP_PLUS, g->t_long,
                                   rv(s->ub), lane_ix(s, j));
        gcc_jit_block_add_assignment(b, NULL, at(g, s->vbuf, ix), val);
    }
    if (step) {
        for (size_t x = 0; x < s->X; x++)
            nx[x] = g->zero;
        size_t i = 0;
        for (size_t st = 0; st < s->S; st++) {
            const struct ns_row *row = &p->rows[s->d * s->S + st];
            size_t n_slots = p->n_slots[st];
            for (size_t q = 0; q < n_slots; q++)
                for (size_t e = 0; e < row->n; e++, i++) {
                    size_t to = row->entries[e].to;
                    size_t dest = p->first_x[to];
                    if (to == st && n_slots > 1)
                        dest += q + 1 < n_slots ? q + 1 : n_slots - 1;
                    gcc_jit_rvalue *pr = rv(at(g, rv(s->P), lane_ix(s, i)));
                    nx[dest] = binop(
                        g, GCC_JIT_BINARY_OP_PLUS, g->t_double, nx[dest],
                        binop(g, GCC_JIT_BINARY_OP_MULT, g->t_double,
                              rv(o[p->first_x[st] + q]), pr));
                }
        }
        for (size_t x = 0; x < s->X; x++)
            gcc_jit_block_add_assignment(b, NULL, at(g, rv(s->O), lane_ix(s, x)),
                                         nx[x]);
    }
    free(o);
    free(nx);
}

/* A loop over lanes running lane_body; returns its first block, and ends
 * with a jump to next. */
static gcc_jit_block *
lane_loop(struct sgen *s, bool step, gcc_jit_block *next)
{
    struct gen *g = s->g;
    gcc_jit_block *b = gcc_jit_function_new_block(s->fn, NULL);
    lane_body(s, b, step);
    gcc_jit_block_add_assignment_op(b, NULL, s->lane, GCC_JIT_BINARY_OP_PLUS,
                                    gcc_jit_context_one(g->c, g->t_int));
    gcc_jit_block_end_with_conditional(
        b, NULL,
        cmp(g, GCC_JIT_COMPARISON_LT, rv(s->lane),
            gcc_jit_context_new_rvalue_from_int(g->c, g->t_int, (int)s->L)),
        b, next);
    return b;
}

static gcc_jit_lvalue *
local_array(struct sgen *s, size_t n, const char *name)
{
    gcc_jit_type *t = gcc_jit_context_new_array_type(s->g->c, NULL,
                                                     s->g->t_double, (int)n);
    return gcc_jit_function_new_local(s->fn, NULL, t, name);
}

void
nsj_gen_settled(struct gen *g, const struct ns_model *m, size_t d,
            const char *name)
{
    const struct ns_model_priv *p = m->priv;
    struct sgen s = {.g = g, .m = m, .p = p, .d = d, .L = NS_JIT_LANES,
                     .X = p->n_expanded, .S = m->n_states,
                     .J = m->n_streams};
    for (size_t st = 0; st < s.S; st++)
        s.M += p->n_slots[st] * p->rows[d * s.S + st].n;
    gcc_jit_param *params[] = {
        gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "occ"),
        gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "mv_prob"),
        gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "sv"),
        gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "weights"),
        gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "scale"),
        gcc_jit_context_new_param(g->c, NULL, g->t_dp, "vbuf"),
        gcc_jit_context_new_param(g->c, NULL, g->t_long, "from"),
        gcc_jit_context_new_param(g->c, NULL, g->t_long, "T")};
    s.fn = gcc_jit_context_new_function(g->c, NULL, GCC_JIT_FUNCTION_EXPORTED,
                                        g->t_void, name, 8, params, 0);
    gcc_jit_rvalue **slots[] = {&s.occ, &s.mvp, &s.sv, &s.w,
                                &s.scale, &s.vbuf, &s.from, &s.T};
    for (size_t i = 0; i < 8; i++)
        *slots[i] = gcc_jit_param_as_rvalue(params[i]);
    s.O = local_array(&s, s.X * s.L, "O");
    s.P = local_array(&s, s.M * s.L + 1, "P");
    s.V = local_array(&s, s.J * s.S * s.L, "V");
    s.u = gcc_jit_function_new_local(s.fn, NULL, g->t_long, "u");
    s.ub = gcc_jit_function_new_local(s.fn, NULL, g->t_long, "ub");
    s.lane = gcc_jit_function_new_local(s.fn, NULL, g->t_int, "l");
    gcc_jit_block *b = gcc_jit_function_new_block(s.fn, NULL);
    b = copy_in(&s, b, s.O, s.occ, s.X * s.L);
    if (s.M > 0)
        b = copy_in(&s, b, s.P, s.mvp, s.M * s.L);
    b = copy_in(&s, b, s.V, s.sv, s.J * s.S * s.L);
    gcc_jit_block *head = gcc_jit_function_new_block(s.fn, "point");
    gcc_jit_block *next = gcc_jit_function_new_block(s.fn, "next");
    gcc_jit_block *done = gcc_jit_function_new_block(s.fn, "done");
    gcc_jit_block_add_assignment(b, NULL, s.u, s.from);
    gcc_jit_block_end_with_jump(b, NULL, head);
    gcc_jit_block *stepping = lane_loop(&s, true, next);
    gcc_jit_block *last = lane_loop(&s, false, done);
    gcc_jit_block_add_assignment(
        head, NULL, s.ub,
        binop(g, GCC_JIT_BINARY_OP_MULT, g->t_long, rv(s.u),
              integer(g, (long)(s.J * s.L))));
    gcc_jit_block_add_assignment(head, NULL, s.lane,
                                 gcc_jit_context_zero(g->c, g->t_int));
    gcc_jit_block_end_with_conditional(
        head, NULL, cmp(g, GCC_JIT_COMPARISON_LT, rv(s.u), s.T), stepping,
        last);
    gcc_jit_block_add_assignment_op(next, NULL, s.u, GCC_JIT_BINARY_OP_PLUS,
                                    integer(g, 1));
    gcc_jit_block_end_with_jump(next, NULL, head);
    gcc_jit_block_end_with_void_return(done, NULL);
}

/* The step kernel of strategy d (see ns_jit_step_fn): a cycle of a run
 * that is not settled, with every probability and transition value
 * already evaluated. */
struct tgen {
    struct gen *g;
    const struct ns_model *m;
    const struct ns_model_priv *p;
    size_t d, L, S;
    gcc_jit_function *fn;
    gcc_jit_rvalue *occ, *next, *known, *row_probs, *tv_sum, *scale;
    gcc_jit_lvalue *lane, *bad;
    gcc_jit_block *b;
};

static gcc_jit_rvalue *
tlane_ix(struct tgen *t, size_t index)
{
    return nsj_lane_ix(t->g, t->lane, index, t->L);
}

static void
tflag(struct tgen *t, gcc_jit_rvalue *fault)
{
    struct gen *g = t->g;
    gcc_jit_block_add_assignment_op(
        t->b, NULL, t->bad, GCC_JIT_BINARY_OP_BITWISE_OR,
        gcc_jit_context_new_cast(g->c, NULL, fault, g->t_int));
}

/* x < lo ? lo : x > hi ? hi : x, with branches of its own. */
static gcc_jit_rvalue *
tclamp(struct tgen *t, gcc_jit_rvalue *x, bool upper)
{
    struct gen *g = t->g;
    gcc_jit_lvalue *r = nsj_new_local(g, t->fn, g->t_double);
    gcc_jit_block *lo = gcc_jit_function_new_block(t->fn, NULL);
    gcc_jit_block *rest = gcc_jit_function_new_block(t->fn, NULL);
    gcc_jit_block *hi = upper ? gcc_jit_function_new_block(t->fn, NULL) : NULL;
    gcc_jit_block *mid = gcc_jit_function_new_block(t->fn, NULL);
    gcc_jit_block *join = gcc_jit_function_new_block(t->fn, NULL);
    gcc_jit_block_end_with_conditional(
        t->b, NULL, cmp(g, GCC_JIT_COMPARISON_LT, x, g->zero), lo, rest);
    gcc_jit_block_add_assignment(lo, NULL, r, g->zero);
    gcc_jit_block_end_with_jump(lo, NULL, join);
    if (upper) {
        gcc_jit_block_end_with_conditional(
            rest, NULL, cmp(g, GCC_JIT_COMPARISON_GT, x, g->one), hi, mid);
        gcc_jit_block_add_assignment(hi, NULL, r, g->one);
        gcc_jit_block_end_with_jump(hi, NULL, join);
    } else {
        gcc_jit_block_end_with_jump(rest, NULL, mid);
    }
    gcc_jit_block_add_assignment(mid, NULL, r, x);
    gcc_jit_block_end_with_jump(mid, NULL, join);
    t->b = join;
    return rv(r);
}

/* Row s's probabilities for this lane into p[0..row->n), checked as
 * row_probabilities checks them. */
static void
trow(struct tgen *t, size_t s, const struct ns_row *row, bool timed,
     gcc_jit_lvalue **p)
{
    struct gen *g = t->g;
    gcc_jit_type *dt = g->t_double;
    for (size_t i = 0; i < row->n; i++)
        p[i] = nsj_new_local(g, t->fn, dt);
    if (!timed) {
        for (size_t i = 0; i < row->n; i++)
            gcc_jit_block_add_assignment(
                t->b, NULL, p[i],
                rv(at(g, t->row_probs, tlane_ix(t, s * t->S + i))));
        return;
    }
    gcc_jit_lvalue *sum = nsj_new_local(g, t->fn, dt);
    gcc_jit_block_add_assignment(t->b, NULL, sum, g->zero);
    for (size_t i = 0; i < row->n; i++) {
        if ((long)i == row->complement)
            continue;
        gcc_jit_lvalue *v = nsj_new_local(g, t->fn, dt);
        gcc_jit_block_add_assignment(
            t->b, NULL, v,
            rv(at(g, t->known, tlane_ix(t, row->entries[i].def))));
        tflag(t, not(g, binop(g, GCC_JIT_BINARY_OP_LOGICAL_AND, g->t_bool,
                              cmp(g, GCC_JIT_COMPARISON_GE, rv(v),
                                  num(g, -NS_PROBABILITY_SLACK)),
                              cmp(g, GCC_JIT_COMPARISON_LE, rv(v),
                                  num(g, 1.0 + NS_PROBABILITY_SLACK)))));
        /* tclamp ends t->b and starts another: called before t->b is
         * read (C leaves the order of arguments unspecified). */
        gcc_jit_rvalue *c = tclamp(t, rv(v), true);
        gcc_jit_block_add_assignment(t->b, NULL, p[i], c);
        gcc_jit_block_add_assignment_op(t->b, NULL, sum,
                                        GCC_JIT_BINARY_OP_PLUS, rv(p[i]));
    }
    double tol = t->m->row_sum_tolerance;
    if (row->complement >= 0) {
        gcc_jit_rvalue *rest =
            binop(g, GCC_JIT_BINARY_OP_MINUS, dt, g->one, rv(sum));
        gcc_jit_lvalue *r = nsj_new_local(g, t->fn, dt);
        gcc_jit_block_add_assignment(t->b, NULL, r, rest);
        tflag(t, cmp(g, GCC_JIT_COMPARISON_LT, rv(r), num(g, -tol)));
        gcc_jit_lvalue *pc = p[row->complement];
        gcc_jit_rvalue *c = tclamp(t, rv(r), false);
        gcc_jit_block_add_assignment(t->b, NULL, pc, c);
        gcc_jit_block_add_assignment_op(t->b, NULL, sum,
                                        GCC_JIT_BINARY_OP_PLUS, rv(pc));
    } else {
        gcc_jit_rvalue *dev = gcc_jit_context_new_unary_op(
            g->c, NULL, GCC_JIT_UNARY_OP_ABS, dt,
            binop(g, GCC_JIT_BINARY_OP_MINUS, dt, rv(sum), g->one));
        tflag(t, cmp(g, GCC_JIT_COMPARISON_GT, dev, num(g, tol)));
    }
    /* The engine divides only when the sum is not exactly 1; dividing by
     * exactly 1 changes nothing, so this always divides. */
    for (size_t i = 0; i < row->n; i++)
        gcc_jit_block_add_assignment(
            t->b, NULL, p[i],
            binop(g, GCC_JIT_BINARY_OP_DIVIDE, dt, rv(p[i]), rv(sum)));
}

/* The lane loop of state s: its row, then its moves and the transition
 * values they book, into the local arrays N and TV, in step()'s order. */
static void
tstate(struct tgen *t, size_t s, bool timed, const size_t *tv_start,
       const size_t *tv_list, gcc_jit_lvalue *O, gcc_jit_lvalue *N,
       gcc_jit_lvalue *TV)
{
    struct gen *g = t->g;
    const struct ns_model_priv *p = t->p;
    gcc_jit_type *dt = g->t_double;
    const struct ns_row *row = &p->rows[t->d * t->S + s];
    gcc_jit_lvalue **pr = calloc(row->n + 1, sizeof *pr);
    if (!pr)
        return;
    gcc_jit_block *loop = gcc_jit_function_new_block(t->fn, NULL);
    gcc_jit_block_add_assignment(t->b, NULL, t->lane,
                                 gcc_jit_context_zero(g->c, g->t_int));
    gcc_jit_block_end_with_jump(t->b, NULL, loop);
    t->b = loop;
    trow(t, s, row, timed, pr);
    size_t n_slots = p->n_slots[s];
    for (size_t q = 0; q < n_slots; q++) {
        gcc_jit_lvalue *mass = nsj_new_local(g, t->fn, dt);
        gcc_jit_block_add_assignment(
            t->b, NULL, mass, rv(at(g, rv(O), tlane_ix(t, p->first_x[s] + q))));
        for (size_t i = 0; i < row->n; i++) {
            size_t to = row->entries[i].to;
            size_t dest = p->first_x[to];
            if (to == s && n_slots > 1)
                dest += q + 1 < n_slots ? q + 1 : n_slots - 1;
            gcc_jit_lvalue *flow = nsj_new_local(g, t->fn, dt);
            gcc_jit_block_add_assignment(
                t->b, NULL, flow,
                binop(g, GCC_JIT_BINARY_OP_MULT, dt, rv(mass), rv(pr[i])));
            gcc_jit_block_add_assignment_op(
                t->b, NULL, at(g, rv(N), tlane_ix(t, dest)),
                GCC_JIT_BINARY_OP_PLUS, rv(flow));
            size_t c = s * t->S + to;
            for (size_t k = tv_start[c]; k < tv_start[c + 1]; k++) {
                const struct ns_transition_value *v = &p->tvalues[tv_list[k]];
                gcc_jit_rvalue *prod = binop(
                    g, GCC_JIT_BINARY_OP_MULT, dt,
                    binop(g, GCC_JIT_BINARY_OP_MULT, dt, rv(flow),
                          rv(at(g, t->known, tlane_ix(t, v->def)))),
                    rv(at(g, t->scale, integer(g, (long)v->stream))));
                gcc_jit_block_add_assignment_op(
                    t->b, NULL, at(g, rv(TV), tlane_ix(t, v->stream)),
                    GCC_JIT_BINARY_OP_PLUS, prod);
            }
        }
    }
    gcc_jit_block *after = gcc_jit_function_new_block(t->fn, NULL);
    gcc_jit_block_add_assignment_op(t->b, NULL, t->lane,
                                    GCC_JIT_BINARY_OP_PLUS,
                                    gcc_jit_context_one(g->c, g->t_int));
    gcc_jit_block_end_with_conditional(
        t->b, NULL,
        cmp(g, GCC_JIT_COMPARISON_LT, rv(t->lane),
            gcc_jit_context_new_rvalue_from_int(g->c, g->t_int, (int)t->L)),
        loop, after);
    t->b = after;
    free(pr);
}

/* dst[i] = src[i] for i < n (either may be a local array or a pointer);
 * returns the block after the loop. */
static gcc_jit_block *
tcopy(struct tgen *t, gcc_jit_block *b, gcc_jit_rvalue *dst,
      gcc_jit_rvalue *src, size_t n)
{
    return nsj_copy_loop(t->g, t->fn, b, dst, src, n);
}

/* The whole cycle: the cohort into a local array (so that stores cannot
 * alias it), each state's lane loop, then the new cohort and the
 * transition values out. */
static void
tcycle(struct tgen *t, const unsigned char *timed, const size_t *tv_start,
       const size_t *tv_list)
{
    struct gen *g = t->g;
    size_t X = t->p->n_expanded, J = t->m->n_streams;
    gcc_jit_type *ax = gcc_jit_context_new_array_type(g->c, NULL, g->t_double,
                                                      (int)(X * t->L));
    gcc_jit_type *aj = gcc_jit_context_new_array_type(
        g->c, NULL, g->t_double, (int)((J + 1) * t->L));
    gcc_jit_lvalue *O = gcc_jit_function_new_local(t->fn, NULL, ax, "O");
    gcc_jit_lvalue *N = gcc_jit_function_new_local(t->fn, NULL, ax, "N");
    gcc_jit_lvalue *TV = gcc_jit_function_new_local(t->fn, NULL, aj, "TV");
    t->b = tcopy(t, t->b, rv(O), t->occ, X * t->L);
    t->b = tcopy(t, t->b, rv(N), NULL, X * t->L);
    t->b = tcopy(t, t->b, rv(TV), NULL, J * t->L);
    for (size_t s = 0; s < t->S; s++)
        if (t->p->rows[t->d * t->S + s].n > 0)
            tstate(t, s, timed[s], tv_start, tv_list, O, N, TV);
    t->b = tcopy(t, t->b, t->next, rv(N), X * t->L);
    t->b = tcopy(t, t->b, t->tv_sum, rv(TV), J * t->L);
}

/* The rows of strategy d as a step kernel sees them: timed[s] when the
 * row is computed every cycle, else known (computed once). False when a
 * row depends on time in state (computed per tunnel slot): no kernel. */
bool
nsj_step_rows(const struct ns_model *m, size_t d, unsigned char *timed)
{
    const struct ns_model_priv *p = m->priv;
    size_t S = m->n_states, E = p->n_exprs;
    for (size_t s = 0; s < S; s++) {
        const struct ns_row *row = &p->rows[d * S + s];
        timed[s] = 0;
        for (size_t i = 0; i < row->n; i++) {
            if ((long)i == row->complement)
                continue;
            unsigned dep = p->expr_dep[d * E + row->entries[i].def];
            if ((dep & NS_DEP_STATE_TIME) && p->n_slots[s] > 1)
                return false;
            if (dep)
                timed[s] = 1;
        }
        for (size_t i = 0; i < p->n_tvalues; i++)
            if (p->tvalues[i].from == s && p->n_slots[s] > 1 &&
                (p->expr_dep[d * E + p->tvalues[i].def] & NS_DEP_STATE_TIME))
                return false;
    }
    return true;
}

/* Transition values indexed by (from, to), as the engine indexes them. */
static bool
index_tvalues(const struct ns_model *m, size_t **start, size_t **list)
{
    const struct ns_model_priv *p = m->priv;
    size_t S = m->n_states;
    *start = calloc(S * S + 2, sizeof **start);
    *list = calloc(p->n_tvalues + 1, sizeof **list);
    if (!*start || !*list)
        return false;
    size_t n = 0;
    for (size_t c = 0; c < S * S; c++) {
        (*start)[c] = n;
        for (size_t i = 0; i < p->n_tvalues; i++)
            if (p->tvalues[i].from * S + p->tvalues[i].to == c)
                (*list)[n++] = i;
    }
    (*start)[S * S] = n;
    return true;
}

bool
nsj_gen_step(struct gen *g, const struct ns_model *m, size_t d, const char *name)
{
    const struct ns_model_priv *p = m->priv;
    struct tgen t = {.g = g, .m = m, .p = p, .d = d, .L = NS_JIT_LANES,
                     .S = m->n_states};
    unsigned char *timed = calloc(t.S + 1, 1);
    size_t *tv_start = NULL, *tv_list = NULL;
    bool ok = timed && nsj_step_rows(m, d, timed) &&
              index_tvalues(m, &tv_start, &tv_list);
    if (ok) {
        gcc_jit_param *params[] = {
            gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "occ"),
            gcc_jit_context_new_param(g->c, NULL, g->t_dp, "next"),
            gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "known"),
            gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "row_probs"),
            gcc_jit_context_new_param(g->c, NULL, g->t_dp, "tv_sum"),
            gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "scale")};
        t.fn = gcc_jit_context_new_function(g->c, NULL,
                                            GCC_JIT_FUNCTION_EXPORTED,
                                            g->t_int, name, 6, params, 0);
        gcc_jit_rvalue **slots[] = {&t.occ, &t.next, &t.known,
                                    &t.row_probs, &t.tv_sum, &t.scale};
        for (size_t i = 0; i < 6; i++)
            *slots[i] = gcc_jit_param_as_rvalue(params[i]);
        t.lane = nsj_new_local(g, t.fn, g->t_int);
        t.bad = nsj_new_local(g, t.fn, g->t_int);
        t.b = gcc_jit_function_new_block(t.fn, NULL);
        gcc_jit_block_add_assignment(t.b, NULL, t.bad,
                                     gcc_jit_context_zero(g->c, g->t_int));
        tcycle(&t, timed, tv_start, tv_list);
        gcc_jit_block_end_with_return(t.b, NULL, rv(t.bad));
    }
    free(timed);
    free(tv_start);
    free(tv_list);
    return ok;
}

/* The moves and transition values of a cycle of strategy d. */
size_t
nsj_step_ops(const struct ns_model *m, size_t d)
{
    const struct ns_model_priv *p = m->priv;
    size_t moves = 0;
    for (size_t s = 0; s < m->n_states; s++)
        moves += p->n_slots[s] * p->rows[d * m->n_states + s].n;
    return moves + p->n_tvalues;
}

/* Whether strategy d's step fits a kernel of bounded size. */
bool
nsj_step_fits(const struct ns_model *m, size_t d)
{
    return nsj_step_ops(m, d) <= NS_JIT_MAX_SETTLED_OPS;
}

/* Whether strategy d's settled cycles fit a kernel: no transition values
 * (a settled run has none), and code and local arrays of bounded size. */
bool
nsj_settled_fits(const struct ns_model *m, size_t d)
{
    const struct ns_model_priv *p = m->priv;
    if (p->n_tvalues > 0)
        return false;
    size_t moves = 0;
    for (size_t s = 0; s < m->n_states; s++)
        moves += p->n_slots[s] * p->rows[d * m->n_states + s].n;
    size_t ops = moves + m->n_streams * p->n_expanded;
    size_t doubles = (p->n_expanded + moves + m->n_streams * m->n_states) *
                     NS_JIT_LANES;
    return ops <= NS_JIT_MAX_SETTLED_OPS && doubles <= 32768;
}

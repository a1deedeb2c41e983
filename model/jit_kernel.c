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

/* The settled kernel of strategy d (see ns_jit_settled_fn), on vectors
 * of all NS_JIT_LANES lanes: each lane's arithmetic is the interpreter's,
 * in its order; the lanes go side by side in vector registers. */
struct sgen {
    struct gen *g;
    const struct ns_model *m;
    const struct ns_model_priv *p;
    size_t d, X, S, J, M;
    gcc_jit_function *fn;
    gcc_jit_rvalue *occ, *mvp, *sv, *w, *scale, *disc, *values, *values_disc,
        *totals, *from, *T;
    /* Local vectors: the cohort, the moves' probabilities, the states'
     * values, the streams' scales and their running totals, undiscounted
     * and discounted (locals: no aliasing with the results). */
    gcc_jit_lvalue *O, *P, *V, *SC, *TOT;
    /* Each lane's results, and a point's values as doubles to store. */
    gcc_jit_lvalue *lane_v[NS_JIT_LANES], *lane_d[NS_JIT_LANES];
    gcc_jit_lvalue *out;
    gcc_jit_lvalue *u;
};

static gcc_jit_lvalue *
vlocal_array(struct sgen *s, size_t n, const char *name)
{
    gcc_jit_type *t = gcc_jit_context_new_array_type(s->g->c, NULL,
                                                     s->g->t_vec, (int)n);
    return gcc_jit_function_new_local(s->fn, NULL, t, name);
}

static gcc_jit_lvalue *
vel(struct sgen *s, gcc_jit_lvalue *array, size_t i)
{
    return at(s->g, rv(array), integer(s->g, (long)i));
}

/* dst[i] = the i-th vector of src, for i < n, straight-line. */
static void
vcopy_in(struct sgen *s, gcc_jit_block *b, gcc_jit_lvalue *dst,
         gcc_jit_rvalue *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        gcc_jit_block_add_assignment(b, NULL, vel(s, dst, i),
                                     nsj_vget(s->g, src, integer(s->g, (long)i)));
}

/* x's lanes stored to lanes[l][ix], through s->out. */
static void
store_lanes(struct sgen *s, gcc_jit_block *b, gcc_jit_lvalue *const *lanes,
            gcc_jit_rvalue *ix, gcc_jit_rvalue *x)
{
    struct gen *g = s->g;
    gcc_jit_block_add_assignment(b, NULL, s->out, x);
    gcc_jit_rvalue *d = gcc_jit_context_new_cast(
        g->c, NULL, gcc_jit_lvalue_get_address(s->out, NULL), g->t_dp);
    for (size_t l = 0; l < NS_JIT_LANES; l++)
        gcc_jit_block_add_assignment(b, NULL, at(g, rv(lanes[l]), ix),
                                     rv(at(g, d, integer(g, (long)l))));
}

/* Point u's value of each stream, weighted and scaled (o the cohort at
 * u), discounted, added to the totals and stored in each lane's results,
 * as add_state_values and discount_and_total would. */
static void
point_values(struct sgen *s, gcc_jit_block *b, gcc_jit_lvalue *const *o)
{
    struct gen *g = s->g;
    const struct ns_model_priv *p = s->p;
    gcc_jit_type *vt = g->t_vec;
    gcc_jit_lvalue *wu = nsj_new_local(g, s->fn, vt);
    gcc_jit_block_add_assignment(b, NULL, wu,
                                 nsj_vsplat(g, rv(at(g, s->w, rv(s->u)))));
    gcc_jit_rvalue *ub = binop(g, GCC_JIT_BINARY_OP_MULT, g->t_long, rv(s->u),
                               integer(g, (long)s->J));
    gcc_jit_rvalue *np = binop(g, GCC_JIT_BINARY_OP_PLUS, g->t_long, s->T,
                               integer(g, 1));
    for (size_t j = 0; j < s->J; j++) {
        /* The terms in the engine's order: states, then tunnel slots. */
        gcc_jit_rvalue *acc = nsj_vzero(g);
        for (size_t st = 0; st < s->S; st++) {
            gcc_jit_rvalue *v = rv(vel(s, s->V, j * s->S + st));
            for (size_t q = 0; q < p->n_slots[st]; q++)
                acc = binop(g, GCC_JIT_BINARY_OP_PLUS, vt, acc,
                            binop(g, GCC_JIT_BINARY_OP_MULT, vt,
                                  rv(o[p->first_x[st] + q]), v));
        }
        /* The results' value was 0 (start_run), and is added to. */
        gcc_jit_lvalue *val = nsj_new_local(g, s->fn, vt);
        gcc_jit_block_add_assignment(
            b, NULL, val,
            binop(g, GCC_JIT_BINARY_OP_PLUS, vt, nsj_vzero(g),
                  binop(g, GCC_JIT_BINARY_OP_MULT, vt,
                        binop(g, GCC_JIT_BINARY_OP_MULT, vt, rv(wu), acc),
                        rv(vel(s, s->SC, j)))));
        gcc_jit_rvalue *f = rv(at(
            g, s->disc,
            binop(g, GCC_JIT_BINARY_OP_PLUS, g->t_long,
                  binop(g, GCC_JIT_BINARY_OP_MULT, g->t_long,
                        integer(g, (long)j), np),
                  rv(s->u))));
        gcc_jit_lvalue *vd = nsj_new_local(g, s->fn, vt);
        gcc_jit_block_add_assignment(
            b, NULL, vd,
            binop(g, GCC_JIT_BINARY_OP_MULT, vt, rv(val), nsj_vsplat(g, f)));
        gcc_jit_block_add_assignment_op(b, NULL, vel(s, s->TOT, 2 * j),
                                        GCC_JIT_BINARY_OP_PLUS, rv(val));
        gcc_jit_block_add_assignment_op(b, NULL, vel(s, s->TOT, 2 * j + 1),
                                        GCC_JIT_BINARY_OP_PLUS, rv(vd));
        gcc_jit_rvalue *ix = binop(g, GCC_JIT_BINARY_OP_PLUS, g->t_long, ub,
                                   integer(g, (long)j));
        store_lanes(s, b, s->lane_v, ix, rv(val));
        store_lanes(s, b, s->lane_d, ix, rv(vd));
    }
}

/* The cohort moved through one cycle, from o into O, the moves in the
 * engine's order. */
static void
point_step(struct sgen *s, gcc_jit_block *b, gcc_jit_lvalue *const *o)
{
    struct gen *g = s->g;
    const struct ns_model_priv *p = s->p;
    gcc_jit_rvalue **nx = calloc(s->X, sizeof *nx);
    if (!nx)
        return;
    for (size_t x = 0; x < s->X; x++)
        nx[x] = nsj_vzero(g);
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
                nx[dest] = binop(g, GCC_JIT_BINARY_OP_PLUS, g->t_vec, nx[dest],
                                 binop(g, GCC_JIT_BINARY_OP_MULT, g->t_vec,
                                       rv(o[p->first_x[st] + q]),
                                       rv(vel(s, s->P, i))));
            }
    }
    for (size_t x = 0; x < s->X; x++)
        gcc_jit_block_add_assignment(b, NULL, vel(s, s->O, x), nx[x]);
    free(nx);
}

/* The function's start: its locals filled from its arguments. */
static void
settled_prologue(struct sgen *s, gcc_jit_block *b)
{
    struct gen *g = s->g;
    s->O = vlocal_array(s, s->X, "O");
    s->P = vlocal_array(s, s->M + 1, "P");
    s->V = vlocal_array(s, s->J * s->S, "V");
    s->SC = vlocal_array(s, s->J, "SC");
    s->TOT = vlocal_array(s, 2 * s->J, "TOT");
    s->out = nsj_new_local(g, s->fn, g->t_vec);
    s->u = gcc_jit_function_new_local(s->fn, NULL, g->t_long, "u");
    vcopy_in(s, b, s->O, s->occ, s->X);
    vcopy_in(s, b, s->P, s->mvp, s->M);
    vcopy_in(s, b, s->V, s->sv, s->J * s->S);
    vcopy_in(s, b, s->TOT, s->totals, 2 * s->J);
    for (size_t j = 0; j < s->J; j++)
        gcc_jit_block_add_assignment(
            b, NULL, vel(s, s->SC, j),
            nsj_vsplat(g, rv(at(g, s->scale, integer(g, (long)j)))));
    /* Each lane's pointers in locals of their own: a store through one
     * cannot change them. */
    gcc_jit_type *dpp = gcc_jit_type_get_pointer(g->t_dp);
    gcc_jit_rvalue *vp = gcc_jit_context_new_cast(g->c, NULL, s->values, dpp);
    gcc_jit_rvalue *dp =
        gcc_jit_context_new_cast(g->c, NULL, s->values_disc, dpp);
    for (size_t l = 0; l < NS_JIT_LANES; l++) {
        s->lane_v[l] = nsj_new_local(g, s->fn, g->t_dp);
        s->lane_d[l] = nsj_new_local(g, s->fn, g->t_dp);
        gcc_jit_block_add_assignment(b, NULL, s->lane_v[l],
                                     rv(at(g, vp, integer(g, (long)l))));
        gcc_jit_block_add_assignment(b, NULL, s->lane_d[l],
                                     rv(at(g, dp, integer(g, (long)l))));
    }
}

void
nsj_gen_settled(struct gen *g, const struct ns_model *m, size_t d,
                const char *name)
{
    const struct ns_model_priv *p = m->priv;
    struct sgen s = {.g = g, .m = m, .p = p, .d = d, .X = p->n_expanded,
                     .S = m->n_states, .J = m->n_streams};
    for (size_t st = 0; st < s.S; st++)
        s.M += p->n_slots[st] * p->rows[d * s.S + st].n;
    gcc_jit_type *dpp = gcc_jit_type_get_pointer(g->t_dp);
    gcc_jit_param *params[] = {
        gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "occ"),
        gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "mv_prob"),
        gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "sv"),
        gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "weights"),
        gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "scale"),
        gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "discount"),
        gcc_jit_context_new_param(g->c, NULL, dpp, "values"),
        gcc_jit_context_new_param(g->c, NULL, dpp, "values_disc"),
        gcc_jit_context_new_param(g->c, NULL, g->t_dp, "totals"),
        gcc_jit_context_new_param(g->c, NULL, g->t_long, "from"),
        gcc_jit_context_new_param(g->c, NULL, g->t_long, "T")};
    enum { N_PARAMS = sizeof params / sizeof params[0] };
    s.fn = gcc_jit_context_new_function(g->c, NULL, GCC_JIT_FUNCTION_EXPORTED,
                                        g->t_void, name, N_PARAMS, params, 0);
    gcc_jit_rvalue **slots[N_PARAMS] = {
        &s.occ, &s.mvp, &s.sv, &s.w, &s.scale, &s.disc,
        &s.values, &s.values_disc, &s.totals, &s.from, &s.T};
    for (size_t i = 0; i < N_PARAMS; i++)
        *slots[i] = gcc_jit_param_as_rvalue(params[i]);
    gcc_jit_block *b = gcc_jit_function_new_block(s.fn, NULL);
    settled_prologue(&s, b);
    gcc_jit_block *head = gcc_jit_function_new_block(s.fn, "point");
    gcc_jit_block *stepping = gcc_jit_function_new_block(s.fn, "step");
    gcc_jit_block *done = gcc_jit_function_new_block(s.fn, "done");
    gcc_jit_block_add_assignment(b, NULL, s.u, s.from);
    gcc_jit_block_end_with_jump(b, NULL, head);
    /* The cohort at u, read once: the step writes O from it. */
    gcc_jit_lvalue **o = calloc(s.X + 1, sizeof *o);
    if (!o)
        return;
    for (size_t x = 0; x < s.X; x++) {
        o[x] = nsj_new_local(g, s.fn, g->t_vec);
        gcc_jit_block_add_assignment(head, NULL, o[x], rv(vel(&s, s.O, x)));
    }
    point_values(&s, head, o);
    gcc_jit_block_end_with_conditional(
        head, NULL, cmp(g, GCC_JIT_COMPARISON_LT, rv(s.u), s.T), stepping,
        done);
    point_step(&s, stepping, o);
    gcc_jit_block_add_assignment_op(stepping, NULL, s.u,
                                    GCC_JIT_BINARY_OP_PLUS, integer(g, 1));
    gcc_jit_block_end_with_jump(stepping, NULL, head);
    for (size_t i = 0; i < 2 * s.J; i++)
        nsj_vput(g, done, s.totals, integer(g, (long)i), rv(vel(&s, s.TOT, i)));
    gcc_jit_block_end_with_void_return(done, NULL);
    free(o);
}

/* The step kernel of strategy d (see ns_jit_step_fn): a cycle of a run
 * that is not settled, with every probability and transition value
 * already evaluated. */
struct tgen {
    struct gen *g;
    const struct ns_model *m;
    const struct ns_model_priv *p;
    size_t d, S;
    gcc_jit_function *fn;
    gcc_jit_rvalue *occ, *next, *known, *row_probs, *slot_vals, *tv_sum;
    gcc_jit_block *b;
    /* A state's function's pointers: the streams' scales in every lane
     * (sc) and the lanes that fail a check (bad: sign bit set, see
     * tfault). */
    gcc_jit_rvalue *sc, *bad;
};

/* Marks the lanes where f's sign bit is set as failing a check. */
static void
tfault(struct tgen *t, gcc_jit_rvalue *f)
{
    gcc_jit_block_add_assignment_op(
        t->b, NULL, gcc_jit_rvalue_dereference(t->bad, NULL),
        GCC_JIT_BINARY_OP_BITWISE_OR, f);
}

/* Lanes where x < 0 and x is not -0 (x not NaN): all ones. */
static gcc_jit_rvalue *
below_zero(struct gen *g, gcc_jit_rvalue *x)
{
    /* 0 - |x| is negative exactly when |x| > 0: |x|'s bits are below
     * 2^63, so it cannot overflow. */
    return ibin(g, GCC_JIT_BINARY_OP_BITWISE_AND, sign_mask(g, bits(g, x)),
                sign_mask(g, ibin(g, GCC_JIT_BINARY_OP_MINUS, isplat(g, 0),
                                  magnitude(g, x))));
}

/* mask ? y : x, lane by lane, on bits. */
static gcc_jit_rvalue *
choose(struct gen *g, gcc_jit_rvalue *mask, gcc_jit_rvalue *y,
       gcc_jit_rvalue *x)
{
    gcc_jit_rvalue *keep = ibin(g, GCC_JIT_BINARY_OP_BITWISE_XOR, mask,
                                isplat(g, -1));
    return dbl(g, ibin(g, GCC_JIT_BINARY_OP_BITWISE_OR,
                       ibin(g, GCC_JIT_BINARY_OP_BITWISE_AND, bits(g, x), keep),
                       ibin(g, GCC_JIT_BINARY_OP_BITWISE_AND, bits(g, y),
                            mask)));
}

/* x < 0 ? 0 : x (then, with upper, > 1 ? 1 : ...), as the engine clamps:
 * -0 stays -0. For lanes that passed the probability check. */
static gcc_jit_rvalue *
tclamp(struct tgen *t, gcc_jit_rvalue *x, bool upper)
{
    struct gen *g = t->g;
    gcc_jit_lvalue *c = nsj_new_local(g, t->fn, g->t_vec);
    gcc_jit_block_add_assignment(t->b, NULL, c,
                                 choose(g, below_zero(g, x), nsj_vzero(g), x));
    if (!upper)
        return rv(c);
    /* 1 - c < 0 exactly when c > 1 (c finite). */
    gcc_jit_rvalue *over =
        sign_mask(g, bits(g, vbin(g, GCC_JIT_BINARY_OP_MINUS, vnum(g, 1.0),
                                  rv(c))));
    return choose(g, over, vnum(g, 1.0), rv(c));
}

/* Marks the lanes where !(v >= lo && v <= hi), NaN included. For finite
 * operands, a - b is negative exactly when a < b (and +0 when equal). */
static void
tcheck_range(struct tgen *t, gcc_jit_rvalue *v, double lo, double hi)
{
    struct gen *g = t->g;
    gcc_jit_rvalue *nan = ibin(g, GCC_JIT_BINARY_OP_MINUS,
                               isplat(g, 0x7ff0000000000000LL),
                               magnitude(g, v));
    tfault(t, ibin(g, GCC_JIT_BINARY_OP_BITWISE_OR,
                   ibin(g, GCC_JIT_BINARY_OP_BITWISE_OR,
                        bits(g, vbin(g, GCC_JIT_BINARY_OP_MINUS, v,
                                     vnum(g, lo))),
                        bits(g, vbin(g, GCC_JIT_BINARY_OP_MINUS,
                                     vnum(g, hi), v))),
                   nan));
}

/* A row computed this cycle: its probabilities in every lane into
 * p[0..row->n), checked and normalised as row_probabilities does. */
static void
trow(struct tgen *t, const struct ns_row *row, long slot_base,
     gcc_jit_lvalue **p)
{
    struct gen *g = t->g;
    gcc_jit_type *vt = g->t_vec;
    for (size_t i = 0; i < row->n; i++)
        p[i] = nsj_new_local(g, t->fn, vt);
    gcc_jit_lvalue *sum = nsj_new_local(g, t->fn, vt);
    gcc_jit_block_add_assignment(t->b, NULL, sum, nsj_vzero(g));
    for (size_t i = 0; i < row->n; i++) {
        if ((long)i == row->complement)
            continue;
        gcc_jit_lvalue *v = nsj_new_local(g, t->fn, vt);
        gcc_jit_block_add_assignment(
            t->b, NULL, v,
            slot_base < 0
                ? nsj_vget(g, t->known, integer(g, (long)row->entries[i].def))
                : nsj_vget(g, t->slot_vals, integer(g, slot_base + (long)i)));
        tcheck_range(t, rv(v), -NS_PROBABILITY_SLACK,
                     1.0 + NS_PROBABILITY_SLACK);
        gcc_jit_block_add_assignment(t->b, NULL, p[i], tclamp(t, rv(v), true));
        gcc_jit_block_add_assignment_op(t->b, NULL, sum,
                                        GCC_JIT_BINARY_OP_PLUS, rv(p[i]));
    }
    double tol = t->m->row_sum_tolerance;
    if (row->complement >= 0) {
        gcc_jit_lvalue *r = nsj_new_local(g, t->fn, vt);
        gcc_jit_block_add_assignment(
            t->b, NULL, r,
            vbin(g, GCC_JIT_BINARY_OP_MINUS, vnum(g, 1.0), rv(sum)));
        /* rest < -tol */
        tfault(t, bits(g, vbin(g, GCC_JIT_BINARY_OP_MINUS, rv(r),
                               vnum(g, -tol))));
        gcc_jit_lvalue *pc = p[row->complement];
        gcc_jit_block_add_assignment(t->b, NULL, pc, tclamp(t, rv(r), false));
        gcc_jit_block_add_assignment_op(t->b, NULL, sum,
                                        GCC_JIT_BINARY_OP_PLUS, rv(pc));
    } else {
        /* |sum - 1| > tol */
        gcc_jit_rvalue *dev = dbl(
            g, magnitude(g, vbin(g, GCC_JIT_BINARY_OP_MINUS, rv(sum),
                                 vnum(g, 1.0))));
        tfault(t, bits(g, vbin(g, GCC_JIT_BINARY_OP_MINUS, vnum(g, tol),
                               dev)));
    }
    /* The engine divides only when the sum is not exactly 1; dividing by
     * exactly 1 changes nothing, so this always divides. */
    for (size_t i = 0; i < row->n; i++)
        gcc_jit_block_add_assignment(
            t->b, NULL, p[i],
            vbin(g, GCC_JIT_BINARY_OP_DIVIDE, rv(p[i]), rv(sum)));
}

/* dst[index] += x, on vectors of lanes in memory. */
static void
vadd_to(struct tgen *t, gcc_jit_rvalue *dst, size_t index, gcc_jit_rvalue *x)
{
    struct gen *g = t->g;
    gcc_jit_rvalue *i = integer(g, (long)index);
    nsj_vput(g, t->b, dst, i,
             vbin(g, GCC_JIT_BINARY_OP_PLUS, nsj_vget(g, dst, i), x));
}

/* State s's row, its moves and the transition values they book, on
 * vectors of all lanes, into next and tv_sum in step()'s order. kind:
 * STEP_ROW_* (the row known, computed this cycle, or per tunnel slot from
 * slot_vals at vector slot_base on, ns_jit_slot_width a slot). */
static void
tmoves(struct tgen *t, size_t s, unsigned char kind, size_t slot_base,
       const size_t *tv_start, const size_t *tv_list)
{
    struct gen *g = t->g;
    const struct ns_model_priv *p = t->p;
    gcc_jit_type *vt = g->t_vec;
    const struct ns_row *row = &p->rows[t->d * t->S + s];
    size_t width = ns_jit_slot_width(p, row, s);
    gcc_jit_lvalue **pr = calloc(row->n + 1, sizeof *pr);
    if (!pr)
        return;
    if (kind == STEP_ROW_TIMED) {
        trow(t, row, -1, pr);
    } else if (kind == STEP_ROW_KNOWN) {
        for (size_t i = 0; i < row->n; i++) {
            pr[i] = nsj_new_local(g, t->fn, vt);
            gcc_jit_block_add_assignment(
                t->b, NULL, pr[i],
                nsj_vget(g, t->row_probs, integer(g, (long)(s * t->S + i))));
        }
    }
    size_t n_slots = p->n_slots[s];
    for (size_t q = 0; q < n_slots; q++) {
        size_t at_slot = slot_base + q * width, booked = row->n;
        if (kind == STEP_ROW_PER_SLOT)
            trow(t, row, (long)at_slot, pr);
        gcc_jit_lvalue *mass = nsj_new_local(g, t->fn, vt);
        gcc_jit_block_add_assignment(
            t->b, NULL, mass,
            nsj_vget(g, t->occ, integer(g, (long)(p->first_x[s] + q))));
        for (size_t i = 0; i < row->n; i++) {
            size_t to = row->entries[i].to;
            size_t dest = p->first_x[to];
            if (to == s && n_slots > 1)
                dest += q + 1 < n_slots ? q + 1 : n_slots - 1;
            gcc_jit_lvalue *flow = nsj_new_local(g, t->fn, vt);
            gcc_jit_block_add_assignment(
                t->b, NULL, flow,
                vbin(g, GCC_JIT_BINARY_OP_MULT, rv(mass), rv(pr[i])));
            vadd_to(t, t->next, dest, rv(flow));
            size_t c = s * t->S + to;
            for (size_t k = tv_start[c]; k < tv_start[c + 1]; k++) {
                const struct ns_transition_value *v = &p->tvalues[tv_list[k]];
                gcc_jit_rvalue *value =
                    kind == STEP_ROW_PER_SLOT
                        ? nsj_vget(g, t->slot_vals,
                                   integer(g, (long)(at_slot + booked++)))
                        : nsj_vget(g, t->known, integer(g, (long)v->def));
                gcc_jit_rvalue *prod = vbin(
                    g, GCC_JIT_BINARY_OP_MULT,
                    vbin(g, GCC_JIT_BINARY_OP_MULT, rv(flow), value),
                    nsj_vget(g, t->sc, integer(g, (long)v->stream)));
                vadd_to(t, t->tv_sum, v->stream, prod);
            }
        }
    }
    free(pr);
}

/* A function with a step kernel's parameters (ns_jit_step_fn's: occ,
 * next, known, row_probs, slot_vals, tv_sum and the scales; a state's
 * part also has bad, see tstate_fn), bound to u's rvalues. */
static gcc_jit_function *
step_function(struct tgen *u, enum gcc_jit_function_kind kind,
              gcc_jit_type *returns, const char *name, bool with_bad)
{
    struct gen *g = u->g;
    gcc_jit_param *params[] = {
        gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "occ"),
        gcc_jit_context_new_param(g->c, NULL, g->t_dp, "next"),
        gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "known"),
        gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "row_probs"),
        gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "slot_vals"),
        gcc_jit_context_new_param(g->c, NULL, g->t_dp, "tv_sum"),
        gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "sc"),
        gcc_jit_context_new_param(g->c, NULL,
                                  gcc_jit_type_get_pointer(g->t_ivec),
                                  "bad")};
    int n = with_bad ? 8 : 7;
    gcc_jit_function *fn = gcc_jit_context_new_function(
        g->c, NULL, kind, returns, name, n, params, 0);
    gcc_jit_rvalue **slots[] = {&u->occ,       &u->next,      &u->known,
                                &u->row_probs, &u->slot_vals, &u->tv_sum,
                                &u->sc,        &u->bad};
    for (int i = 0; i < n; i++)
        *slots[i] = gcc_jit_param_as_rvalue(params[i]);
    u->fn = fn;
    u->b = gcc_jit_function_new_block(fn, NULL);
    return fn;
}

/* State s's part of the cycle as a function of its own: GCC's register
 * allocation grows faster than the size of a function, and one function
 * for the whole of the England model's cycle took several times as long
 * to compile. */
static gcc_jit_function *
tstate_fn(struct tgen *t, size_t s, unsigned char kind, size_t slot_base,
          const size_t *tv_start, const size_t *tv_list, const char *name)
{
    char fname[80];
    snprintf(fname, sizeof fname, "%s_%zu", name, s);
    struct tgen u = *t;
    gcc_jit_function *fn = step_function(&u, GCC_JIT_FUNCTION_INTERNAL,
                                         t->g->t_void, fname, true);
    tmoves(&u, s, kind, slot_base, tv_start, tv_list);
    gcc_jit_block_end_with_void_return(u.b, NULL);
    return fn;
}

/* The whole cycle: next and the transition values cleared, then each
 * state's function (its row and moves, on vectors of all lanes, in
 * step()'s order); nonzero when a lane failed a check. */
static void
tcycle(struct tgen *t, const unsigned char *kind, const size_t *tv_start,
       const size_t *tv_list, const char *name)
{
    struct gen *g = t->g;
    size_t X = t->p->n_expanded, J = t->m->n_streams;
    gcc_jit_lvalue *sc = gcc_jit_function_new_local(
        t->fn, NULL, gcc_jit_context_new_array_type(g->c, NULL, g->t_vec,
                                                    (int)(J + 1)),
        "sc");
    gcc_jit_lvalue *bad = gcc_jit_function_new_local(t->fn, NULL, g->t_ivec,
                                                     "bad");
    gcc_jit_block_add_assignment(t->b, NULL, bad, isplat(g, 0));
    for (size_t x = 0; x < X; x++)
        nsj_vput(g, t->b, t->next, integer(g, (long)x), nsj_vzero(g));
    for (size_t j = 0; j < J; j++) {
        nsj_vput(g, t->b, t->tv_sum, integer(g, (long)j), nsj_vzero(g));
        gcc_jit_block_add_assignment(
            t->b, NULL, at(g, rv(sc), integer(g, (long)j)),
            nsj_vsplat(g, rv(at(g, t->sc, integer(g, (long)j)))));
    }
    gcc_jit_rvalue *args[] = {
        t->occ, t->next, t->known, t->row_probs, t->slot_vals, t->tv_sum,
        gcc_jit_context_new_cast(g->c, NULL,
                                 gcc_jit_lvalue_get_address(sc, NULL),
                                 g->t_cdp),
        gcc_jit_lvalue_get_address(bad, NULL)};
    size_t slot_base = 0;
    for (size_t s = 0; s < t->S; s++) {
        const struct ns_row *row = &t->p->rows[t->d * t->S + s];
        if (row->n > 0)
            gcc_jit_block_add_eval(
                t->b, NULL,
                gcc_jit_context_new_call(
                    g->c, NULL,
                    tstate_fn(t, s, kind[s], slot_base, tv_start, tv_list,
                              name),
                    8, args));
        if (kind[s] == STEP_ROW_PER_SLOT)
            slot_base += t->p->n_slots[s] * ns_jit_slot_width(t->p, row, s);
    }
    gcc_jit_rvalue *any = nsj_any_sign(g, t->fn, t->b, bad);
    gcc_jit_block_end_with_return(t->b, NULL, any);
}

/* The rows of strategy d as a step kernel sees them (kind[s], STEP_ROW_*),
 * as the engine classifies them (classify_rows): per tunnel slot when the
 * state has slots and its row or a transition value booked from it
 * depends on time in state; else computed every cycle when some
 * probability depends on anything; else known (computed once). */
bool
nsj_step_rows(const struct ns_model *m, size_t d, unsigned char *kind)
{
    const struct ns_model_priv *p = m->priv;
    size_t S = m->n_states, E = p->n_exprs;
    for (size_t s = 0; s < S; s++) {
        const struct ns_row *row = &p->rows[d * S + s];
        bool slots = p->n_slots[s] > 1, per_slot = false, timed = false;
        for (size_t i = 0; i < row->n; i++) {
            if ((long)i == row->complement)
                continue;
            unsigned dep = p->expr_dep[d * E + row->entries[i].def];
            per_slot |= slots && (dep & NS_DEP_STATE_TIME);
            timed |= dep != 0;
        }
        for (size_t i = 0; i < p->n_tvalues; i++)
            per_slot |= slots && p->tvalues[i].from == s &&
                        (p->expr_dep[d * E + p->tvalues[i].def] &
                         NS_DEP_STATE_TIME);
        kind[s] = per_slot ? STEP_ROW_PER_SLOT
                  : timed  ? STEP_ROW_TIMED
                           : STEP_ROW_KNOWN;
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
    struct tgen t = {.g = g, .m = m, .p = p, .d = d, .S = m->n_states};
    unsigned char *kind = calloc(t.S + 1, 1);
    size_t *tv_start = NULL, *tv_list = NULL;
    bool ok = kind && nsj_step_rows(m, d, kind) &&
              index_tvalues(m, &tv_start, &tv_list);
    if (ok) {
        step_function(&t, GCC_JIT_FUNCTION_EXPORTED, g->t_int, name, false);
        tcycle(&t, kind, tv_start, tv_list, name);
    }
    free(kind);
    free(tv_start);
    free(tv_list);
    return ok;
}

/* The moves and transition values of a cycle of strategy d. */
size_t
nsj_step_ops(const struct ns_model *m, size_t d)
{
    const struct ns_model_priv *p = m->priv;
    size_t ops = 0;
    for (size_t s = 0; s < m->n_states; s++)
        ops += p->n_slots[s] * p->rows[d * m->n_states + s].n;
    /* A transition value is booked once per slot of its state. */
    for (size_t i = 0; i < p->n_tvalues; i++)
        ops += p->n_slots[p->tvalues[i].from];
    return ops;
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

/* netsave: expression programs as native code (model/jit_gen.h): each
 * program's stack machine becomes locals and blocks. For NS_JIT_LANES
 * lanes, a program without jumps becomes code on vectors of all its lanes
 * (each stack slot a vector), the instructions that have no vector form
 * done lane by lane in a loop of their own; a program with jumps, and
 * every program for one lane, is a loop over lanes whose body is the
 * scalar code of one run. */
#include "model/jit_gen.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "model/expr_code.h"

/* A chunk function: int f(int which, const double *vars, const char
 * *tables, double *out), whose cases are programs (nsj_gen_chunk). */
struct chunk {
    size_t L;
    gcc_jit_function *fn;
    gcc_jit_rvalue *which, *vars, *tables, *out;
    gcc_jit_lvalue *spill[2]; /* NS_JIT_LANES lanes: see egen */
};

/* One expression, a case of a chunk function. */
struct egen {
    struct gen *g;
    const struct ns_expr *e;
    size_t L;
    gcc_jit_function *fn;
    gcc_jit_rvalue *vars, *tables, *out;
    gcc_jit_lvalue *lane, *bad;
    gcc_jit_lvalue *stack[NS_EXPR_MAX_DEPTH];
    gcc_jit_block **start; /* [n_code + 1]: a block begins here, or NULL */
    long *depth;           /* [n_code + 1] stack depth before pc, or -1 */
    gcc_jit_block *cur;
    size_t n_blocks;
    /* Vector code (straight-line programs, NS_JIT_LANES lanes): the
     * stack's slots as vectors of lanes; the lanes found faulting (sign
     * bit set, see vfault); the chunk's two vectors whose lanes an
     * instruction done lane by lane reads and writes in memory. */
    gcc_jit_lvalue *vstack[NS_EXPR_MAX_DEPTH];
    bool unchecked[NS_EXPR_MAX_DEPTH]; /* see vcheck */
    gcc_jit_lvalue *vbad;
    gcc_jit_lvalue *const *spill;
};

static bool
is_jump(enum opcode op)
{
    return op == OP_JUMP || op == OP_JUMP_IF_FALSE || op == OP_AND_JUMP ||
           op == OP_OR_JUMP;
}

/* The stack depth after in, given d before (the fall-through path). */
static long
depth_after(const struct instr *in, long d)
{
    switch (in->op) {
    case OP_CONST:
    case OP_LOAD:
        return d + 1;
    case OP_TABLE: case OP_NEG: case OP_NOT: case OP_BOOL: case OP_EXP:
    case OP_LOG: case OP_SQRT: case OP_ABS: case OP_FLOOR: case OP_CEIL:
    case OP_JUMP:
        return d;
    default: /* binary operations, and conditional jumps falling through */
        return d - 1;
    }
}

/* Finds where blocks start (target[pc]) and the stack depth at every
 * instruction (depth[pc], -1 where unreachable), for arrays of
 * n_code + 1. False for a program the translation does not expect (left
 * to the interpreter). Needs no code generator: the parent process
 * decides with it which programs the child compiles (see compile_child). */
static bool
analyse(const struct ns_expr *e, long *depth, bool *target)
{
    size_t n = e->n_code;
    for (size_t pc = 0; pc <= n; pc++) {
        depth[pc] = -1;
        target[pc] = false;
    }
    depth[0] = 0;
    target[0] = target[n] = true;
    for (size_t pc = 0; pc < n; pc++) {
        const struct instr *in = &e->code[pc];
        long d = depth[pc];
        if (d < 0)
            continue; /* unreachable */
        long after = depth_after(in, d);
        if (after < 0 || after > NS_EXPR_MAX_DEPTH || d > NS_EXPR_MAX_DEPTH)
            return false;
        if (is_jump(in->op)) {
            size_t to = in->u.index;
            long at_target = in->op == OP_JUMP_IF_FALSE ? d - 1 : d;
            if (to > n || (depth[to] >= 0 && depth[to] != at_target))
                return false;
            depth[to] = at_target;
            target[to] = true;
            target[pc + 1] = true; /* kept only if reachable */
            if (in->op == OP_JUMP)
                continue;
        }
        if (depth[pc + 1] >= 0 && depth[pc + 1] != after)
            return false;
        depth[pc + 1] = after;
    }
    return depth[n] == 1;
}

/* Whether analyse accepts e. */
bool
nsj_program_ok(const struct ns_expr *e)
{
    long *depth = calloc(e->n_code + 1, sizeof *depth);
    bool *target = calloc(e->n_code + 1, sizeof *target);
    bool ok = depth && target && analyse(e, depth, target);
    free(depth);
    free(target);
    return ok;
}

/* analyse, then a block for every reachable start. */
static bool
plan_blocks(struct egen *eg)
{
    size_t n = eg->e->n_code;
    bool *target = calloc(n + 1, sizeof *target);
    bool ok = target && analyse(eg->e, eg->depth, target);
    for (size_t pc = 0; pc <= n && ok; pc++)
        if (target[pc] && eg->depth[pc] >= 0) {
            eg->start[pc] = gcc_jit_function_new_block(eg->fn, NULL);
            eg->n_blocks++;
        }
    free(target);
    return ok;
}

static gcc_jit_rvalue *
top(struct egen *eg, long d, long from_top)
{
    return rv(eg->stack[d - 1 - from_top]);
}

static void
put(struct egen *eg, gcc_jit_lvalue *dst, gcc_jit_rvalue *x)
{
    gcc_jit_block_add_assignment(eg->cur, NULL, dst, x);
}

static void
set(struct egen *eg, long slot, gcc_jit_rvalue *x)
{
    put(eg, eg->stack[slot], x);
}

static void
or_into(struct egen *eg, gcc_jit_lvalue *dst, gcc_jit_rvalue *x)
{
    gcc_jit_block_add_assignment_op(eg->cur, NULL, dst,
                                    GCC_JIT_BINARY_OP_BITWISE_OR, x);
}

static void
flag(struct egen *eg, gcc_jit_rvalue *fault)
{
    or_into(eg, eg->bad,
            gcc_jit_context_new_cast(eg->g->c, NULL, fault, eg->g->t_int));
}

/* r := a < b ? ... selects with a branch of their own: min and max. */
static void
select_less(struct egen *eg, long slot, gcc_jit_rvalue *a, gcc_jit_rvalue *b,
            gcc_jit_rvalue *when, gcc_jit_rvalue *then, gcc_jit_rvalue *els)
{
    (void)a;
    (void)b;
    gcc_jit_block *yes = gcc_jit_function_new_block(eg->fn, NULL);
    gcc_jit_block *no = gcc_jit_function_new_block(eg->fn, NULL);
    gcc_jit_block *join = gcc_jit_function_new_block(eg->fn, NULL);
    gcc_jit_lvalue *t = nsj_new_local(eg->g, eg->fn, eg->g->t_double);
    gcc_jit_block_end_with_conditional(eg->cur, NULL, when, yes, no);
    gcc_jit_block_add_assignment(yes, NULL, t, then);
    gcc_jit_block_end_with_jump(yes, NULL, join);
    gcc_jit_block_add_assignment(no, NULL, t, els);
    gcc_jit_block_end_with_jump(no, NULL, join);
    eg->cur = join;
    set(eg, slot, rv(t));
}

/* Emits a binary operation on the two top values (depth d before). */
static void
emit_binary(struct egen *eg, const struct instr *in, long d)
{
    struct gen *g = eg->g;
    gcc_jit_rvalue *a = top(eg, d, 1), *b = top(eg, d, 0), *r = NULL;
    long slot = d - 2;
    gcc_jit_type *t = g->t_double;
    switch (in->op) {
    case OP_ADD: r = binop(g, GCC_JIT_BINARY_OP_PLUS, t, a, b); break;
    case OP_SUB: r = binop(g, GCC_JIT_BINARY_OP_MINUS, t, a, b); break;
    case OP_MUL: r = binop(g, GCC_JIT_BINARY_OP_MULT, t, a, b); break;
    case OP_DIV:
        flag(eg, not(g, truthy(g, b)));
        r = binop(g, GCC_JIT_BINARY_OP_DIVIDE, t, a, b);
        break;
    case OP_POW:
        flag(eg, binop(g, GCC_JIT_BINARY_OP_LOGICAL_AND, g->t_bool,
                       cmp(g, GCC_JIT_COMPARISON_LT, a, g->zero),
                       cmp(g, GCC_JIT_COMPARISON_LT,
                           builtin1(g, g->b_floor, b), b)));
        r = call2(g, g->f_pow, a, b);
        break;
    case OP_LT: r = bool_to_double(g, cmp(g, GCC_JIT_COMPARISON_LT, a, b)); break;
    case OP_LE: r = bool_to_double(g, cmp(g, GCC_JIT_COMPARISON_LE, a, b)); break;
    case OP_GT: r = bool_to_double(g, cmp(g, GCC_JIT_COMPARISON_GT, a, b)); break;
    case OP_GE: r = bool_to_double(g, cmp(g, GCC_JIT_COMPARISON_GE, a, b)); break;
    case OP_EQ:
        r = bool_to_double(g, not(g, or(g, cmp(g, GCC_JIT_COMPARISON_LT, a, b),
                                        cmp(g, GCC_JIT_COMPARISON_GT, a, b))));
        break;
    case OP_NE:
        r = bool_to_double(g, or(g, cmp(g, GCC_JIT_COMPARISON_LT, a, b),
                                 cmp(g, GCC_JIT_COMPARISON_GT, a, b)));
        break;
    case OP_MIN:
        select_less(eg, slot, a, b, cmp(g, GCC_JIT_COMPARISON_LT, b, a), b, a);
        return;
    case OP_MAX:
        select_less(eg, slot, a, b, cmp(g, GCC_JIT_COMPARISON_GT, b, a), b, a);
        return;
    case OP_RATE_TO_PROB: {
        gcc_jit_rvalue *na = gcc_jit_context_new_unary_op(
            g->c, NULL, GCC_JIT_UNARY_OP_MINUS, t, a);
        r = gcc_jit_context_new_unary_op(
            g->c, NULL, GCC_JIT_UNARY_OP_MINUS, t,
            call1(g, g->f_expm1, binop(g, GCC_JIT_BINARY_OP_MULT, t, na, b)));
        break;
    }
    case OP_PROB_TO_RATE: {
        flag(eg, or(g, not(g, cmp(g, GCC_JIT_COMPARISON_LT, a, g->one)),
                    not(g, cmp(g, GCC_JIT_COMPARISON_GT, b, g->zero))));
        gcc_jit_rvalue *na = gcc_jit_context_new_unary_op(
            g->c, NULL, GCC_JIT_UNARY_OP_MINUS, t, a);
        gcc_jit_rvalue *lg = gcc_jit_context_new_unary_op(
            g->c, NULL, GCC_JIT_UNARY_OP_MINUS, t, call1(g, g->f_log1p, na));
        r = binop(g, GCC_JIT_BINARY_OP_DIVIDE, t, lg, b);
        break;
    }
    default:
        r = g->zero; /* unreachable: plan_blocks saw every opcode */
        break;
    }
    set(eg, slot, r);
    /* As the interpreter: comparisons of finite values are finite too,
     * but every result that "breaks" out of its switch is checked. */
    flag(eg, not(g, finite(g, top(eg, d - 1, 0))));
}

/* Emits instruction pc (depth d before it) into eg->cur; leaves cur NULL
 * after a jump. */
static void
emit(struct egen *eg, size_t pc, long d)
{
    struct gen *g = eg->g;
    const struct instr *in = &eg->e->code[pc];
    gcc_jit_type *t = g->t_double;
    switch (in->op) {
    case OP_CONST:
        set(eg, d, num(g, in->u.value));
        return;
    case OP_LOAD: {
        gcc_jit_rvalue *ix = binop(
            g, GCC_JIT_BINARY_OP_PLUS, g->t_long,
            integer(g, (long)(in->u.index * eg->L)),
            gcc_jit_context_new_cast(g->c, NULL, rv(eg->lane), g->t_long));
        set(eg, d, rv(at(g, eg->vars, ix)));
        flag(eg, not(g, finite(g, top(eg, d + 1, 0))));
        return;
    }
    case OP_TABLE: {
        gcc_jit_rvalue *tab = gcc_jit_context_new_cast(
            g->c, NULL,
            gcc_jit_lvalue_get_address(
                at(g, eg->tables,
                   integer(g, (long)(in->u.index * sizeof(struct ns_table)))),
                NULL),
            g->t_tables);
        set(eg, d - 1, call2(g, g->f_table, tab, top(eg, d, 0)));
        flag(eg, not(g, finite(g, top(eg, d, 0))));
        return;
    }
    case OP_NEG:
        set(eg, d - 1, gcc_jit_context_new_unary_op(
                           g->c, NULL, GCC_JIT_UNARY_OP_MINUS, t, top(eg, d, 0)));
        return;
    case OP_NOT:
        set(eg, d - 1, bool_to_double(g, not(g, truthy(g, top(eg, d, 0)))));
        return;
    case OP_BOOL:
        set(eg, d - 1, bool_to_double(g, truthy(g, top(eg, d, 0))));
        return;
    case OP_ABS:
        set(eg, d - 1, gcc_jit_context_new_unary_op(
                           g->c, NULL, GCC_JIT_UNARY_OP_ABS, t, top(eg, d, 0)));
        return;
    case OP_FLOOR:
        set(eg, d - 1, builtin1(g, g->b_floor, top(eg, d, 0)));
        return;
    case OP_CEIL:
        set(eg, d - 1, builtin1(g, g->b_ceil, top(eg, d, 0)));
        return;
    case OP_EXP:
        set(eg, d - 1, call1(g, g->f_exp, top(eg, d, 0)));
        flag(eg, not(g, finite(g, top(eg, d, 0))));
        return;
    case OP_LOG:
        flag(eg, not(g, cmp(g, GCC_JIT_COMPARISON_GT, top(eg, d, 0), g->zero)));
        set(eg, d - 1, call1(g, g->f_log, top(eg, d, 0)));
        flag(eg, not(g, finite(g, top(eg, d, 0))));
        return;
    case OP_SQRT:
        flag(eg, cmp(g, GCC_JIT_COMPARISON_LT, top(eg, d, 0), g->zero));
        set(eg, d - 1, builtin1(g, g->b_sqrt, top(eg, d, 0)));
        flag(eg, not(g, finite(g, top(eg, d, 0))));
        return;
    case OP_JUMP:
        gcc_jit_block_end_with_jump(eg->cur, NULL, eg->start[in->u.index]);
        eg->cur = NULL;
        return;
    case OP_JUMP_IF_FALSE:
        gcc_jit_block_end_with_conditional(eg->cur, NULL,
                                           truthy(g, top(eg, d, 0)),
                                           eg->start[pc + 1],
                                           eg->start[in->u.index]);
        eg->cur = NULL;
        return;
    case OP_AND_JUMP:
    case OP_OR_JUMP: {
        /* Jumping keeps the top, set to 0 (and) or 1 (or). */
        bool is_or = in->op == OP_OR_JUMP;
        gcc_jit_block *keep = gcc_jit_function_new_block(eg->fn, NULL);
        gcc_jit_block_add_assignment(keep, NULL, eg->stack[d - 1],
                                     is_or ? g->one : g->zero);
        gcc_jit_block_end_with_jump(keep, NULL, eg->start[in->u.index]);
        gcc_jit_rvalue *c = truthy(g, top(eg, d, 0));
        gcc_jit_block_end_with_conditional(
            eg->cur, NULL, c, is_or ? keep : eg->start[pc + 1],
            is_or ? eg->start[pc + 1] : keep);
        eg->cur = NULL;
        return;
    }
    default:
        emit_binary(eg, in, d);
        return;
    }
}

/* ---- vectors of all lanes: programs without jumps ---- */

static bool
straight_line(const struct ns_expr *e)
{
    for (size_t pc = 0; pc < e->n_code; pc++)
        if (is_jump(e->code[pc].op))
            return false;
    return true;
}

/* Whether e for NS_JIT_LANES lanes is vector code (for the estimate of
 * compilation time: about a fifth of a lane loop's). */
bool
nsj_program_vector(const struct ns_expr *e)
{
    return straight_line(e);
}

/* Marks the lanes where f's sign bit is set as faulting: the vector
 * counterpart of flag. */
static void
vfault(struct egen *eg, gcc_jit_rvalue *f)
{
    or_into(eg, eg->vbad, f);
}

/* Sign bit set where x is infinite or NaN: |x|'s bits above DBL_MAX's
 * (they are below 2^63, so the difference cannot overflow). */
static gcc_jit_rvalue *
not_finite_bits(struct gen *g, gcc_jit_rvalue *x)
{
    return ibin(g, GCC_JIT_BINARY_OP_MINUS, isplat(g, 0x7fefffffffffffffLL),
                magnitude(g, x));
}

/* Checks the value in slot, if it is unchecked. The interpreter checks
 * every value a load or a binary operation makes (ns_expr_eval), and a
 * lane faults when any check fails, whichever it is. + - * and a dividend
 * keep a value that is not finite so (inf - inf and inf * 0 are NaN), as
 * do negation and abs; so a value a load or + - * / makes is left
 * unchecked while it only passes through them, and checked where it
 * meets what could hide it (a divisor: x / inf is 0; an instruction done
 * lane by lane) or at the end. The lanes that fault are the same, and a
 * chain of products has one check rather than one each. */
static void
vcheck(struct egen *eg, long slot)
{
    if (eg->unchecked[slot])
        vfault(eg, not_finite_bits(eg->g, rv(eg->vstack[slot])));
    eg->unchecked[slot] = false;
}

/* Sign bit set where a divisor faults, at +-0 (the interpreter's
 * !truthy: its magnitude minus 1 is negative) and where it is not finite
 * (magnitude above DBL_MAX's): NaN fails truthy too, and an infinite
 * divisor is a value the interpreter has checked (so the lane faults
 * anyway) or one vcheck would check here. */
static gcc_jit_rvalue *
bad_divisor_bits(struct egen *eg, gcc_jit_lvalue *x)
{
    struct gen *g = eg->g;
    gcc_jit_lvalue *m = nsj_new_local(g, eg->fn, g->t_ivec);
    put(eg, m, magnitude(g, rv(x)));
    return ibin(g, GCC_JIT_BINARY_OP_BITWISE_OR,
                ibin(g, GCC_JIT_BINARY_OP_MINUS, rv(m), isplat(g, 1)),
                ibin(g, GCC_JIT_BINARY_OP_MINUS,
                     isplat(g, 0x7fefffffffffffffLL), rv(m)));
}

/* + - * / on the two top vectors, as emit_binary on each lane: / faults
 * where the divisor is bad; the result is left to vcheck. */
static void
emit_varith(struct egen *eg, enum gcc_jit_binary_op op, long d)
{
    struct gen *g = eg->g;
    gcc_jit_lvalue **v = eg->vstack;
    if (op == GCC_JIT_BINARY_OP_DIVIDE)
        vfault(eg, bad_divisor_bits(eg, v[d - 1]));
    put(eg, v[d - 2], vbin(g, op, rv(v[d - 2]), rv(v[d - 1])));
    eg->unchecked[d - 2] = true;
}

/* An instruction with no vector form, lane by lane: its operands'
 * vectors, checked, go to the spill vectors in memory, emit's scalar code
 * runs on each lane of them in a loop, and the result comes back as a
 * vector. */
static void
emit_lanewise(struct egen *eg, size_t pc, long d)
{
    struct gen *g = eg->g;
    gcc_jit_type *dp = gcc_jit_type_get_pointer(g->t_double);
    long n_in = d + 1 - depth_after(&eg->e->code[pc], d);
    for (long i = 0; i < n_in; i++) {
        long slot = d - n_in + i;
        vcheck(eg, slot);
        put(eg, eg->spill[i], rv(eg->vstack[slot]));
        gcc_jit_rvalue *lanes = gcc_jit_context_new_cast(
            g->c, NULL, gcc_jit_lvalue_get_address(eg->spill[i], NULL), dp);
        eg->stack[slot] = at(g, lanes, rv(eg->lane));
    }
    gcc_jit_block *body = gcc_jit_function_new_block(eg->fn, NULL);
    gcc_jit_block *next = gcc_jit_function_new_block(eg->fn, NULL);
    gcc_jit_block_add_assignment(eg->cur, NULL, eg->lane,
                                 gcc_jit_context_zero(g->c, g->t_int));
    gcc_jit_block_end_with_jump(eg->cur, NULL, body);
    eg->cur = body;
    emit(eg, pc, d);
    gcc_jit_block_add_assignment_op(eg->cur, NULL, eg->lane,
                                    GCC_JIT_BINARY_OP_PLUS,
                                    gcc_jit_context_one(g->c, g->t_int));
    gcc_jit_block_end_with_conditional(
        eg->cur, NULL,
        cmp(g, GCC_JIT_COMPARISON_LT, rv(eg->lane),
            gcc_jit_context_new_rvalue_from_int(g->c, g->t_int,
                                                NS_JIT_LANES)),
        body, next);
    eg->cur = next;
    /* Checked by emit where the interpreter checks it; else 0 or 1, or
     * the floor or ceiling of a value just checked. */
    put(eg, eg->vstack[d - n_in], rv(eg->spill[0]));
    eg->unchecked[d - n_in] = false;
}

/* Emits instruction pc (depth d before it) on vectors of all lanes into
 * eg->cur: the same operations as emit's, lane for lane. Negation and
 * abs are the sign bit flipped and cleared, as GCC compiles -x and
 * fabs(x) on a double. */
static void
emit_vector(struct egen *eg, size_t pc, long d)
{
    struct gen *g = eg->g;
    const struct instr *in = &eg->e->code[pc];
    gcc_jit_lvalue **v = eg->vstack;
    switch (in->op) {
    case OP_CONST:
        put(eg, v[d], nsj_vsplat(g, num(g, in->u.value)));
        eg->unchecked[d] = false;
        return;
    case OP_LOAD:
        put(eg, v[d], nsj_vget(g, eg->vars, integer(g, (long)in->u.index)));
        eg->unchecked[d] = true;
        return;
    case OP_NEG:
        put(eg, v[d - 1],
            dbl(g, ibin(g, GCC_JIT_BINARY_OP_BITWISE_XOR, bits(g, rv(v[d - 1])),
                        isplat(g, LLONG_MIN))));
        return;
    case OP_ABS:
        put(eg, v[d - 1], dbl(g, magnitude(g, rv(v[d - 1]))));
        return;
    case OP_ADD: emit_varith(eg, GCC_JIT_BINARY_OP_PLUS, d); return;
    case OP_SUB: emit_varith(eg, GCC_JIT_BINARY_OP_MINUS, d); return;
    case OP_MUL: emit_varith(eg, GCC_JIT_BINARY_OP_MULT, d); return;
    case OP_DIV: emit_varith(eg, GCC_JIT_BINARY_OP_DIVIDE, d); return;
    default:
        emit_lanewise(eg, pc, d);
        return;
    }
}

/* The end of the vector code: the value checked and stored in every
 * lane; nonzero when a lane faulted, in its vector or lane by lane. */
static void
finish_vector(struct egen *eg)
{
    struct gen *g = eg->g;
    vcheck(eg, 0);
    nsj_vput(g, eg->cur, eg->out, integer(g, 0), rv(eg->vstack[0]));
    gcc_jit_rvalue *any = nsj_any_sign(g, eg->fn, eg->cur, eg->vbad);
    gcc_jit_block_end_with_return(
        eg->cur, NULL,
        binop(g, GCC_JIT_BINARY_OP_BITWISE_OR, g->t_int, rv(eg->bad), any));
}

/* ---- a program over lanes one at a time ---- */

/* The end of a lane: its value, then the next lane. */
static void
finish_lane(struct egen *eg)
{
    struct gen *g = eg->g;
    gcc_jit_block *fin = eg->cur;
    gcc_jit_block *done = gcc_jit_function_new_block(eg->fn, NULL);
    flag(eg, not(g, finite(g, rv(eg->stack[0]))));
    gcc_jit_block_add_assignment(fin, NULL, at(g, eg->out, rv(eg->lane)),
                                 rv(eg->stack[0]));
    gcc_jit_block_add_assignment_op(fin, NULL, eg->lane, GCC_JIT_BINARY_OP_PLUS,
                                    gcc_jit_context_one(g->c, g->t_int));
    gcc_jit_block_end_with_conditional(
        fin, NULL,
        cmp(g, GCC_JIT_COMPARISON_LT, rv(eg->lane),
            gcc_jit_context_new_rvalue_from_int(g->c, g->t_int, (int)eg->L)),
        eg->start[0], done);
    gcc_jit_block_end_with_return(done, NULL, rv(eg->bad));
}

/* ---- a program ---- */

/* Locals for the stack's slots (of type t), as deep as e goes. */
static void
stack_locals(struct egen *eg, gcc_jit_type *t, gcc_jit_lvalue **slots)
{
    long max_depth = 0;
    for (size_t pc = 0; pc <= eg->e->n_code; pc++)
        if (eg->depth[pc] + 1 > max_depth)
            max_depth = eg->depth[pc] + 1;
    for (long i = 0; i < max_depth && i < NS_EXPR_MAX_DEPTH; i++)
        slots[i] = nsj_new_local(eg->g, eg->fn, t);
}

/* The program's instructions, each with emit_one, block after block;
 * leaves eg->cur at the block of its end. */
static void
emit_program(struct egen *eg,
             void (*emit_one)(struct egen *, size_t, long))
{
    size_t n = eg->e->n_code;
    for (size_t pc = 0; pc < n; pc++) {
        if (eg->start[pc]) {
            if (eg->cur)
                gcc_jit_block_end_with_jump(eg->cur, NULL, eg->start[pc]);
            eg->cur = eg->start[pc];
        }
        if (!eg->cur)
            continue; /* unreachable code */
        emit_one(eg, pc, eg->depth[pc]);
    }
    if (eg->cur)
        gcc_jit_block_end_with_jump(eg->cur, NULL, eg->start[n]);
    eg->cur = eg->start[n];
}

/* Emits expression e over ch's lanes into ch's function, starting at
 * block entry and returning from the function; false when the program
 * is not one the translation expects (entry then returns 1). */
static bool
gen_expr(struct gen *g, const struct chunk *ch, gcc_jit_block *entry,
         const struct ns_expr *e)
{
    struct egen eg = {.g = g, .e = e, .L = ch->L, .fn = ch->fn,
                      .vars = ch->vars, .tables = ch->tables, .out = ch->out,
                      .spill = ch->spill};
    size_t n = e->n_code;
    eg.start = calloc(n + 1, sizeof *eg.start);
    eg.depth = calloc(n + 1, sizeof *eg.depth);
    bool ok = eg.start && eg.depth && plan_blocks(&eg);
    if (!ok) {
        gcc_jit_block_end_with_return(entry, NULL,
                                      gcc_jit_context_one(g->c, g->t_int));
        free(eg.start);
        free(eg.depth);
        return false;
    }
    bool vector = ch->L == NS_JIT_LANES && straight_line(e);
    eg.lane = nsj_new_local(g, eg.fn, g->t_int);
    eg.bad = nsj_new_local(g, eg.fn, g->t_int);
    if (vector) {
        stack_locals(&eg, g->t_vec, eg.vstack);
        eg.vbad = nsj_new_local(g, eg.fn, g->t_ivec);
        gcc_jit_block_add_assignment(entry, NULL, eg.vbad, isplat(g, 0));
    } else {
        stack_locals(&eg, g->t_double, eg.stack);
    }
    gcc_jit_block_add_assignment(entry, NULL, eg.lane,
                                 gcc_jit_context_zero(g->c, g->t_int));
    gcc_jit_block_add_assignment(entry, NULL, eg.bad,
                                 gcc_jit_context_zero(g->c, g->t_int));
    gcc_jit_block_end_with_jump(entry, NULL, eg.start[0]);
    emit_program(&eg, vector ? emit_vector : emit);
    if (vector)
        finish_vector(&eg);
    else
        finish_lane(&eg);
    free(eg.start);
    free(eg.depth);
    return true;
}

static void
chunk_function(struct gen *g, const char *name, struct chunk *ch)
{
    gcc_jit_param *params[] = {
        gcc_jit_context_new_param(g->c, NULL, g->t_int, "which"),
        gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "vars"),
        gcc_jit_context_new_param(g->c, NULL, g->t_tables, "tables"),
        gcc_jit_context_new_param(g->c, NULL, g->t_dp, "out")};
    ch->fn = gcc_jit_context_new_function(
        g->c, NULL, GCC_JIT_FUNCTION_EXPORTED, g->t_int, name, 4, params, 0);
    ch->which = gcc_jit_param_as_rvalue(params[0]);
    ch->vars = gcc_jit_param_as_rvalue(params[1]);
    ch->tables = gcc_jit_param_as_rvalue(params[2]);
    ch->out = gcc_jit_param_as_rvalue(params[3]);
    /* Shared by the chunk's programs: one pair in the stack frame. */
    if (ch->L == NS_JIT_LANES)
        for (size_t i = 0; i < 2; i++)
            ch->spill[i] = nsj_new_local(g, ch->fn, g->t_vec);
}

/* Emits the n programs progs[0..n) over L lanes as the cases of one chunk
 * function called name; ok[i] says whether program i was translated. */
void
nsj_gen_chunk(struct gen *g, const struct ns_expr *const *progs, size_t n,
          size_t L, const char *name, bool *ok)
{
    struct chunk ch = {.L = L};
    chunk_function(g, name, &ch);
    gcc_jit_block *entry = gcc_jit_function_new_block(ch.fn, NULL);
    gcc_jit_block *none = gcc_jit_function_new_block(ch.fn, NULL);
    gcc_jit_block_end_with_return(none, NULL,
                                  gcc_jit_context_one(g->c, g->t_int));
    gcc_jit_case **cases = calloc(n + 1, sizeof *cases);
    for (size_t i = 0; i < n; i++) {
        gcc_jit_block *b = gcc_jit_function_new_block(ch.fn, NULL);
        ok[i] = gen_expr(g, &ch, b, progs[i]);
        gcc_jit_rvalue *k =
            gcc_jit_context_new_rvalue_from_int(g->c, g->t_int, (int)i);
        if (cases)
            cases[i] = gcc_jit_context_new_case(g->c, k, k, b);
    }
    gcc_jit_block_end_with_switch(entry, NULL, ch.which, none,
                                  cases ? (int)n : 0, cases);
    free(cases);
}

/* Two programs are the same code when their instructions are (columns,
 * which only name where a fault is, aside). */
bool
nsj_same_program(const struct ns_expr *a, const struct ns_expr *b)
{
    if (a->n_code != b->n_code)
        return false;
    for (size_t i = 0; i < a->n_code; i++) {
        const struct instr *x = &a->code[i], *y = &b->code[i];
        if (x->op != y->op)
            return false;
        if (x->op == OP_CONST
                ? memcmp(&x->u.value, &y->u.value, sizeof x->u.value) != 0
                : x->u.index != y->u.index)
            return false;
    }
    return true;
}

unsigned long long
nsj_program_hash(const struct ns_expr *e)
{
    unsigned long long h = 1469598103934665603ull;
    for (size_t i = 0; i < e->n_code; i++) {
        const struct instr *in = &e->code[i];
        unsigned long long v = 0;
        if (in->op == OP_CONST)
            memcpy(&v, &in->u.value, sizeof v);
        else
            v = in->u.index;
        h = (h ^ (unsigned long long)in->op) * 1099511628211ull;
        h = (h ^ v) * 1099511628211ull;
    }
    return h;
}

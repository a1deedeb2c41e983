/* netsave: a model's expressions and settled cycles as native code, built
 * with libgccjit (see model/jit.h for what is compiled and why the
 * results are bit-identical to the interpreter's).
 *
 * Every function loops over lanes, and a lane's body is the scalar code
 * of one run: the vectoriser turns the loop into vector code where the
 * body has no calls (most expressions, every settled cycle), and a lane
 * that branches differently from its neighbours simply takes its own
 * branch. Arrays are laid out as the engine's, element by element with
 * lanes side by side (a[i * L + l]). */
/* nftw, for removing what a stopped compilation left. */
#define _XOPEN_SOURCE 700
#include "model/jit.h"

#include <float.h>
#include <libgccjit.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <ftw.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/compiled.h"
#include "model/expr_code.h"
#include "model/jit_priv.h"

/* A settled kernel is straight-line code over every move and every term
 * of a cycle; past this size a model is left to the interpreter's loops,
 * whose cost does not grow with the code. */
#define NS_JIT_MAX_SETTLED_OPS 20000

struct gen {
    gcc_jit_context *c;
    gcc_jit_type *t_double, *t_int, *t_long, *t_bool, *t_void;
    gcc_jit_type *t_dp, *t_cdp, *t_tables;
    /* libm's functions, called through pointers to the very functions the
     * interpreter calls, so that GCC can neither fold nor replace them. */
    gcc_jit_rvalue *f_exp, *f_log, *f_pow, *f_expm1, *f_log1p, *f_table;
    gcc_jit_function *b_floor, *b_ceil, *b_sqrt;
    gcc_jit_rvalue *dbl_max, *zero, *one;
    unsigned long n_locals; /* for local names, which libgccjit requires */
};

/* A local variable with a name of its own. */
static gcc_jit_lvalue *
new_local(struct gen *g, gcc_jit_function *fn, gcc_jit_type *t)
{
    char name[32];
    snprintf(name, sizeof name, "v%lu", g->n_locals++);
    return gcc_jit_function_new_local(fn, NULL, t, name);
}

/* A function's address as a pointer rvalue (ISO C has no cast from a
 * function pointer to void *; the bytes are the address). */
static gcc_jit_rvalue *
fn_pointer(struct gen *g, gcc_jit_type *type, const void *fn_bytes,
           size_t size)
{
    void *p = NULL;
    memcpy(&p, fn_bytes, size < sizeof p ? size : sizeof p);
    return gcc_jit_context_new_rvalue_from_ptr(g->c, type, p);
}

static void
gen_init(struct gen *g, gcc_jit_context *c)
{
    g->c = c;
    g->n_locals = 0;
    g->t_double = gcc_jit_context_get_type(c, GCC_JIT_TYPE_DOUBLE);
    g->t_int = gcc_jit_context_get_type(c, GCC_JIT_TYPE_INT);
    g->t_long = gcc_jit_context_get_type(c, GCC_JIT_TYPE_LONG);
    g->t_bool = gcc_jit_context_get_type(c, GCC_JIT_TYPE_BOOL);
    g->t_void = gcc_jit_context_get_type(c, GCC_JIT_TYPE_VOID);
    g->t_dp = gcc_jit_type_get_pointer(g->t_double);
    g->t_cdp = gcc_jit_type_get_pointer(gcc_jit_type_get_const(g->t_double));
    g->t_tables = gcc_jit_context_get_type(c, GCC_JIT_TYPE_CONST_CHAR_PTR);
    gcc_jit_type *d1[] = {g->t_double};
    gcc_jit_type *d2[] = {g->t_double, g->t_double};
    gcc_jit_type *tab[] = {g->t_tables, g->t_double};
    gcc_jit_type *fn1 =
        gcc_jit_context_new_function_ptr_type(c, NULL, g->t_double, 1, d1, 0);
    gcc_jit_type *fn2 =
        gcc_jit_context_new_function_ptr_type(c, NULL, g->t_double, 2, d2, 0);
    gcc_jit_type *fnt =
        gcc_jit_context_new_function_ptr_type(c, NULL, g->t_double, 2, tab, 0);
    double (*p_exp)(double) = exp, (*p_log)(double) = log;
    double (*p_expm1)(double) = expm1, (*p_log1p)(double) = log1p;
    double (*p_pow)(double, double) = pow;
    double (*p_table)(const char *, double) = ns_expr_table_value_at;
    g->f_exp = fn_pointer(g, fn1, &p_exp, sizeof p_exp);
    g->f_log = fn_pointer(g, fn1, &p_log, sizeof p_log);
    g->f_expm1 = fn_pointer(g, fn1, &p_expm1, sizeof p_expm1);
    g->f_log1p = fn_pointer(g, fn1, &p_log1p, sizeof p_log1p);
    g->f_pow = fn_pointer(g, fn2, &p_pow, sizeof p_pow);
    g->f_table = fn_pointer(g, fnt, &p_table, sizeof p_table);
    g->b_floor = gcc_jit_context_get_builtin_function(c, "__builtin_floor");
    g->b_ceil = gcc_jit_context_get_builtin_function(c, "__builtin_ceil");
    g->b_sqrt = gcc_jit_context_get_builtin_function(c, "__builtin_sqrt");
    g->dbl_max = gcc_jit_context_new_rvalue_from_double(c, g->t_double,
                                                        DBL_MAX);
    g->zero = gcc_jit_context_zero(c, g->t_double);
    g->one = gcc_jit_context_one(c, g->t_double);
}

static gcc_jit_rvalue *
rv(gcc_jit_lvalue *lv)
{
    return gcc_jit_lvalue_as_rvalue(lv);
}

static gcc_jit_rvalue *
num(struct gen *g, double x)
{
    return gcc_jit_context_new_rvalue_from_double(g->c, g->t_double, x);
}

static gcc_jit_rvalue *
integer(struct gen *g, long x)
{
    return gcc_jit_context_new_rvalue_from_long(g->c, g->t_long, x);
}

static gcc_jit_rvalue *
binop(struct gen *g, enum gcc_jit_binary_op op, gcc_jit_type *t,
      gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
    return gcc_jit_context_new_binary_op(g->c, NULL, op, t, a, b);
}

static gcc_jit_rvalue *
cmp(struct gen *g, enum gcc_jit_comparison op, gcc_jit_rvalue *a,
    gcc_jit_rvalue *b)
{
    return gcc_jit_context_new_comparison(g->c, NULL, op, a, b);
}

static gcc_jit_rvalue *
not(struct gen *g, gcc_jit_rvalue *b)
{
    return gcc_jit_context_new_unary_op(g->c, NULL,
                                        GCC_JIT_UNARY_OP_LOGICAL_NEGATE,
                                        g->t_bool, b);
}

static gcc_jit_rvalue *
or(struct gen *g, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
    return binop(g, GCC_JIT_BINARY_OP_LOGICAL_OR, g->t_bool, a, b);
}

/* 1.0 or 0.0 from a truth value. */
static gcc_jit_rvalue *
bool_to_double(struct gen *g, gcc_jit_rvalue *b)
{
    return gcc_jit_context_new_cast(
        g->c, NULL, gcc_jit_context_new_cast(g->c, NULL, b, g->t_int),
        g->t_double);
}

/* x < 0 || x > 0: the interpreter's truth of a value. */
static gcc_jit_rvalue *
truthy(struct gen *g, gcc_jit_rvalue *x)
{
    return or(g, cmp(g, GCC_JIT_COMPARISON_LT, x, g->zero),
              cmp(g, GCC_JIT_COMPARISON_GT, x, g->zero));
}

static gcc_jit_rvalue *
finite(struct gen *g, gcc_jit_rvalue *x)
{
    gcc_jit_rvalue *a = gcc_jit_context_new_unary_op(
        g->c, NULL, GCC_JIT_UNARY_OP_ABS, g->t_double, x);
    return cmp(g, GCC_JIT_COMPARISON_LE, a, g->dbl_max);
}

static gcc_jit_rvalue *
call1(struct gen *g, gcc_jit_rvalue *fp, gcc_jit_rvalue *a)
{
    return gcc_jit_context_new_call_through_ptr(g->c, NULL, fp, 1, &a);
}

static gcc_jit_rvalue *
call2(struct gen *g, gcc_jit_rvalue *fp, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
    gcc_jit_rvalue *args[] = {a, b};
    return gcc_jit_context_new_call_through_ptr(g->c, NULL, fp, 2, args);
}

static gcc_jit_rvalue *
builtin1(struct gen *g, gcc_jit_function *f, gcc_jit_rvalue *a)
{
    return gcc_jit_context_new_call(g->c, NULL, f, 1, &a);
}

static gcc_jit_lvalue *
at(struct gen *g, gcc_jit_rvalue *base, gcc_jit_rvalue *index)
{
    return gcc_jit_context_new_array_access(g->c, NULL, base, index);
}

/* One expression's function: int f(const double *vars, const char
 * *tables, double *out), nonzero when some lane faults. */
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
static bool
program_ok(const struct ns_expr *e)
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
set(struct egen *eg, long slot, gcc_jit_rvalue *x)
{
    gcc_jit_block_add_assignment(eg->cur, NULL, eg->stack[slot], x);
}

static void
flag(struct egen *eg, gcc_jit_rvalue *fault)
{
    struct gen *g = eg->g;
    gcc_jit_block_add_assignment_op(
        eg->cur, NULL, eg->bad, GCC_JIT_BINARY_OP_BITWISE_OR,
        gcc_jit_context_new_cast(g->c, NULL, fault, g->t_int));
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
    gcc_jit_lvalue *t = new_local(eg->g, eg->fn, eg->g->t_double);
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

/* Emits expression e over L lanes into fn (parameters vars, tables,
 * out), starting at block entry and returning from fn; false when the
 * program is not one the translation expects (entry then returns 1). */
static bool
gen_expr(struct gen *g, gcc_jit_function *fn, gcc_jit_rvalue *const *args,
         gcc_jit_block *entry, const struct ns_expr *e, size_t L)
{
    struct egen eg = {.g = g, .e = e, .L = L, .fn = fn, .vars = args[0],
                      .tables = args[1], .out = args[2]};
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
    eg.lane = new_local(g, fn, g->t_int);
    eg.bad = new_local(g, fn, g->t_int);
    long max_depth = 0;
    for (size_t pc = 0; pc <= n; pc++)
        if (eg.depth[pc] + 1 > max_depth)
            max_depth = eg.depth[pc] + 1;
    for (long i = 0; i < max_depth && i < NS_EXPR_MAX_DEPTH; i++)
        eg.stack[i] = new_local(g, fn, g->t_double);
    gcc_jit_block_add_assignment(entry, NULL, eg.lane,
                                 gcc_jit_context_zero(g->c, g->t_int));
    gcc_jit_block_add_assignment(entry, NULL, eg.bad,
                                 gcc_jit_context_zero(g->c, g->t_int));
    gcc_jit_block_end_with_jump(entry, NULL, eg.start[0]);
    for (size_t pc = 0; pc < n; pc++) {
        if (eg.start[pc]) {
            if (eg.cur)
                gcc_jit_block_end_with_jump(eg.cur, NULL, eg.start[pc]);
            eg.cur = eg.start[pc];
        }
        if (!eg.cur)
            continue; /* unreachable code */
        emit(&eg, pc, eg.depth[pc]);
    }
    if (eg.cur)
        gcc_jit_block_end_with_jump(eg.cur, NULL, eg.start[n]);
    /* The end of a lane: its value, then the next lane. */
    gcc_jit_block *fin = eg.start[n];
    gcc_jit_block *done = gcc_jit_function_new_block(fn, NULL);
    eg.cur = fin;
    flag(&eg, not(g, finite(g, rv(eg.stack[0]))));
    gcc_jit_block_add_assignment(fin, NULL, at(g, eg.out, rv(eg.lane)),
                                 rv(eg.stack[0]));
    gcc_jit_block_add_assignment_op(fin, NULL, eg.lane, GCC_JIT_BINARY_OP_PLUS,
                                    gcc_jit_context_one(g->c, g->t_int));
    gcc_jit_block_end_with_conditional(
        fin, NULL,
        cmp(g, GCC_JIT_COMPARISON_LT, rv(eg.lane),
            gcc_jit_context_new_rvalue_from_int(g->c, g->t_int, (int)L)),
        eg.start[0], done);
    gcc_jit_block_end_with_return(done, NULL, rv(eg.bad));
    free(eg.start);
    free(eg.depth);
    return true;
}

/* A function holding up to NS_JIT_CHUNK expressions, one per case of a
 * switch on its first argument: libgccjit's cost is mostly per function,
 * so a model's hundreds of small expressions are compiled in a few. */
#define NS_JIT_CHUNK 64

static gcc_jit_function *
chunk_function(struct gen *g, const char *name, gcc_jit_rvalue **args,
               gcc_jit_rvalue **which)
{
    gcc_jit_param *params[] = {
        gcc_jit_context_new_param(g->c, NULL, g->t_int, "which"),
        gcc_jit_context_new_param(g->c, NULL, g->t_cdp, "vars"),
        gcc_jit_context_new_param(g->c, NULL, g->t_tables, "tables"),
        gcc_jit_context_new_param(g->c, NULL, g->t_dp, "out")};
    gcc_jit_function *fn = gcc_jit_context_new_function(
        g->c, NULL, GCC_JIT_FUNCTION_EXPORTED, g->t_int, name, 4, params, 0);
    *which = gcc_jit_param_as_rvalue(params[0]);
    for (size_t i = 0; i < 3; i++)
        args[i] = gcc_jit_param_as_rvalue(params[i + 1]);
    return fn;
}

/* Emits the n programs progs[0..n) over L lanes as the cases of one chunk
 * function called name; ok[i] says whether program i was translated. */
static void
gen_chunk(struct gen *g, const struct ns_expr *const *progs, size_t n,
          size_t L, const char *name, bool *ok)
{
    gcc_jit_rvalue *args[3], *which;
    gcc_jit_function *fn = chunk_function(g, name, args, &which);
    gcc_jit_block *entry = gcc_jit_function_new_block(fn, NULL);
    gcc_jit_block *none = gcc_jit_function_new_block(fn, NULL);
    gcc_jit_block_end_with_return(none, NULL,
                                  gcc_jit_context_one(g->c, g->t_int));
    gcc_jit_case **cases = calloc(n + 1, sizeof *cases);
    for (size_t i = 0; i < n; i++) {
        gcc_jit_block *b = gcc_jit_function_new_block(fn, NULL);
        ok[i] = gen_expr(g, fn, args, b, progs[i], L);
        gcc_jit_rvalue *k =
            gcc_jit_context_new_rvalue_from_int(g->c, g->t_int, (int)i);
        if (cases)
            cases[i] = gcc_jit_context_new_case(g->c, k, k, b);
    }
    gcc_jit_block_end_with_switch(entry, NULL, which, none, cases ? (int)n : 0,
                                  cases);
    free(cases);
}

/* Two programs are the same code when their instructions are (columns,
 * which only name where a fault is, aside). */
static bool
same_program(const struct ns_expr *a, const struct ns_expr *b)
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

static unsigned long long
program_hash(const struct ns_expr *e)
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
    struct gen *g = s->g;
    return binop(g, GCC_JIT_BINARY_OP_PLUS, g->t_long,
                 integer(g, (long)(index * s->L)),
                 gcc_jit_context_new_cast(g->c, NULL, rv(s->lane), g->t_long));
}

/* dst[i] = src[i] for i < n, in a loop of its own; returns the block
 * after it. */
static gcc_jit_block *
copy_in(struct sgen *s, gcc_jit_block *b, gcc_jit_lvalue *dst,
        gcc_jit_rvalue *src, size_t n)
{
    struct gen *g = s->g;
    gcc_jit_lvalue *i = new_local(g, s->fn, g->t_long);
    gcc_jit_block *loop = gcc_jit_function_new_block(s->fn, NULL);
    gcc_jit_block *after = gcc_jit_function_new_block(s->fn, NULL);
    gcc_jit_block_add_assignment(b, NULL, i, integer(g, 0));
    gcc_jit_block_end_with_jump(b, NULL, loop);
    gcc_jit_block_add_assignment(loop, NULL, at(g, rv(dst), rv(i)),
                                 rv(at(g, src, rv(i))));
    gcc_jit_block_add_assignment_op(loop, NULL, i, GCC_JIT_BINARY_OP_PLUS,
                                    integer(g, 1));
    gcc_jit_block_end_with_conditional(
        loop, NULL, cmp(g, GCC_JIT_COMPARISON_LT, rv(i), integer(g, (long)n)),
        loop, after);
    return after;
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
        o[x] = new_local(g, s->fn, g->t_double);
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

static void
gen_settled(struct gen *g, const struct ns_model *m, size_t d,
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
    struct gen *g = t->g;
    return binop(g, GCC_JIT_BINARY_OP_PLUS, g->t_long,
                 integer(g, (long)(index * t->L)),
                 gcc_jit_context_new_cast(g->c, NULL, rv(t->lane), g->t_long));
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
    gcc_jit_lvalue *r = new_local(g, t->fn, g->t_double);
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
        p[i] = new_local(g, t->fn, dt);
    if (!timed) {
        for (size_t i = 0; i < row->n; i++)
            gcc_jit_block_add_assignment(
                t->b, NULL, p[i],
                rv(at(g, t->row_probs, tlane_ix(t, s * t->S + i))));
        return;
    }
    gcc_jit_lvalue *sum = new_local(g, t->fn, dt);
    gcc_jit_block_add_assignment(t->b, NULL, sum, g->zero);
    for (size_t i = 0; i < row->n; i++) {
        if ((long)i == row->complement)
            continue;
        gcc_jit_lvalue *v = new_local(g, t->fn, dt);
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
        gcc_jit_lvalue *r = new_local(g, t->fn, dt);
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
        gcc_jit_lvalue *mass = new_local(g, t->fn, dt);
        gcc_jit_block_add_assignment(
            t->b, NULL, mass, rv(at(g, rv(O), tlane_ix(t, p->first_x[s] + q))));
        for (size_t i = 0; i < row->n; i++) {
            size_t to = row->entries[i].to;
            size_t dest = p->first_x[to];
            if (to == s && n_slots > 1)
                dest += q + 1 < n_slots ? q + 1 : n_slots - 1;
            gcc_jit_lvalue *flow = new_local(g, t->fn, dt);
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
    struct gen *g = t->g;
    gcc_jit_lvalue *i = new_local(g, t->fn, g->t_long);
    gcc_jit_block *loop = gcc_jit_function_new_block(t->fn, NULL);
    gcc_jit_block *after = gcc_jit_function_new_block(t->fn, NULL);
    gcc_jit_block_add_assignment(b, NULL, i, integer(g, 0));
    gcc_jit_block_end_with_jump(b, NULL, loop);
    gcc_jit_block_add_assignment(loop, NULL, at(g, dst, rv(i)),
                                 src ? rv(at(g, src, rv(i))) : g->zero);
    gcc_jit_block_add_assignment_op(loop, NULL, i, GCC_JIT_BINARY_OP_PLUS,
                                    integer(g, 1));
    gcc_jit_block_end_with_conditional(
        loop, NULL, cmp(g, GCC_JIT_COMPARISON_LT, rv(i), integer(g, (long)n)),
        loop, after);
    return after;
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
static bool
step_rows(const struct ns_model *m, size_t d, unsigned char *timed)
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

static bool
gen_step(struct gen *g, const struct ns_model *m, size_t d, const char *name)
{
    const struct ns_model_priv *p = m->priv;
    struct tgen t = {.g = g, .m = m, .p = p, .d = d, .L = NS_JIT_LANES,
                     .S = m->n_states};
    unsigned char *timed = calloc(t.S + 1, 1);
    size_t *tv_start = NULL, *tv_list = NULL;
    bool ok = timed && step_rows(m, d, timed) &&
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
        t.lane = new_local(g, t.fn, g->t_int);
        t.bad = new_local(g, t.fn, g->t_int);
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
static size_t
step_ops(const struct ns_model *m, size_t d)
{
    const struct ns_model_priv *p = m->priv;
    size_t moves = 0;
    for (size_t s = 0; s < m->n_states; s++)
        moves += p->n_slots[s] * p->rows[d * m->n_states + s].n;
    return moves + p->n_tvalues;
}

/* Whether strategy d's step fits a kernel of bounded size. */
static bool
step_fits(const struct ns_model *m, size_t d)
{
    return step_ops(m, d) <= NS_JIT_MAX_SETTLED_OPS;
}

/* Whether strategy d's settled cycles fit a kernel: no transition values
 * (a settled run has none), and code and local arrays of bounded size. */
static bool
settled_fits(const struct ns_model *m, size_t d)
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

bool
ns_jit_built(void)
{
    return true;
}

const char *
ns_jit_host_isa(void)
{
    /* By features rather than GCC's "x86-64-v4" names, which clang (the
     * fuzzers' compiler) does not know. AVX2 hosts with FMA and BMI2 have
     * the rest of x86-64-v3 (MOVBE, LZCNT, F16C) too: Haswell and Zen on. */
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl"))
        return "x86-64-v4";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("bmi2"))
        return "x86-64-v3";
    if (__builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt") &&
        __builtin_cpu_supports("ssse3"))
        return "x86-64-v2";
    return "x86-64";
}

static double
now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Processor time of the waited-for children (the compilation runs in
 * one, and it waits for its assembler and linker). */
static double
children_cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_CHILDREN, &ru) != 0)
        return 0.0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

static bool
valid_isa(const char *isa)
{
    static const char *const known[] = {"x86-64", "x86-64-v2", "x86-64-v3",
                                        "x86-64-v4"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcmp(isa, known[i]) == 0)
            return true;
    return false;
}

static void
set_options(gcc_jit_context *c, const char *isa)
{
    char march[32];
    snprintf(march, sizeof march, "-march=%s", isa);
    /* -O1 with the vectoriser: -O3 vectorises no better here, and takes
     * five times as long to compile the England model's expressions. */
    gcc_jit_context_set_int_option(c, GCC_JIT_INT_OPTION_OPTIMIZATION_LEVEL, 1);
    gcc_jit_context_add_command_line_option(c, "-ftree-vectorize");
    gcc_jit_context_add_command_line_option(c, "-fvect-cost-model=dynamic");
    /* Errors are returned to the caller, who says what to do. */
    gcc_jit_context_set_bool_print_errors_to_stderr(c, 0);
    gcc_jit_context_add_command_line_option(c, march);
    /* Bit-identical results: no fused multiply-add, even where the ISA
     * has it; and (GCC's default, stated) no fast-math reassociation. */
    gcc_jit_context_add_command_line_option(c, "-ffp-contract=off");
    gcc_jit_context_add_command_line_option(c, "-fno-fast-math");
    /* errno is never read; without it sqrt vectorises. */
    gcc_jit_context_add_command_line_option(c, "-fno-math-errno");
    if (strcmp(isa, "x86-64-v4") == 0)
        gcc_jit_context_add_command_line_option(c,
                                                "-mprefer-vector-width=512");
}

/* The compiled code, shared by the models compiled together: a shared
 * object made by a child process and loaded here. */
struct ns_jit_code {
    void *handle; /* dlopen's */
    size_t refs;
};

void
ns_jit_free(struct ns_jit *jit)
{
    if (!jit)
        return;
    if (jit->code && --jit->code->refs == 0) {
        dlclose(jit->code->handle);
        free(jit->code);
    }
    free(jit->lanes);
    free(jit->one);
    free(jit->settled);
    free(jit->step);
    free(jit);
}

/* What to compile: the distinct programs of the models' expressions
 * (worth compiling: more than one instruction), and for each model's
 * expression which program it is. */
struct plan {
    const struct ns_expr **progs;
    unsigned long long *hash;
    size_t n_progs;
    size_t **prog_of; /* [model][expr]: a program, or SIZE_MAX */
    bool *prog_ok;    /* [prog] the translation takes it */
};

static void
plan_free(struct plan *pl, size_t n_models)
{
    for (size_t i = 0; pl->prog_of && i < n_models; i++)
        free(pl->prog_of[i]);
    free(pl->prog_of);
    free(pl->progs);
    free(pl->hash);
    free(pl->prog_ok);
}

static size_t
find_or_add(struct plan *pl, const struct ns_expr *e)
{
    unsigned long long h = program_hash(e);
    for (size_t i = 0; i < pl->n_progs; i++)
        if (pl->hash[i] == h && same_program(pl->progs[i], e))
            return i;
    pl->progs[pl->n_progs] = e;
    pl->hash[pl->n_progs] = h;
    pl->prog_ok[pl->n_progs] = program_ok(e);
    return pl->n_progs++;
}

static bool
plan_build(struct plan *pl, struct ns_model *const *models, size_t n_models)
{
    size_t total = 0;
    for (size_t i = 0; i < n_models; i++)
        total += models[i]->priv->n_exprs;
    pl->progs = calloc(total + 1, sizeof *pl->progs);
    pl->hash = calloc(total + 1, sizeof *pl->hash);
    pl->prog_of = calloc(n_models, sizeof *pl->prog_of);
    pl->prog_ok = calloc(total + 1, sizeof *pl->prog_ok);
    if (!pl->progs || !pl->hash || !pl->prog_of || !pl->prog_ok)
        return false;
    for (size_t i = 0; i < n_models; i++) {
        const struct ns_model_priv *p = models[i]->priv;
        pl->prog_of[i] = calloc(p->n_exprs + 1, sizeof *pl->prog_of[i]);
        if (!pl->prog_of[i])
            return false;
        for (size_t x = 0; x < p->n_exprs; x++) {
            const struct ns_expr *e = p->exprs[x].expr;
            pl->prog_of[i][x] =
                e && e->n_code > 1 ? find_or_add(pl, e) : SIZE_MAX;
        }
    }
    return true;
}

/* Emits every program, NS_JIT_CHUNK to a function, for L lanes, as
 * functions called prefix0, prefix1, ... */
static size_t
gen_programs(struct gen *g, const struct plan *pl, size_t L,
             const char *prefix)
{
    size_t n_fns = 0;
    char name[48];
    bool ok[NS_JIT_CHUNK];
    for (size_t first = 0; first < pl->n_progs; first += NS_JIT_CHUNK) {
        size_t n = pl->n_progs - first < NS_JIT_CHUNK ? pl->n_progs - first
                                                      : NS_JIT_CHUNK;
        snprintf(name, sizeof name, "%s%zu", prefix, first / NS_JIT_CHUNK);
        gen_chunk(g, &pl->progs[first], n, L, name, ok);
        n_fns++;
    }
    return n_fns;
}

static bool
entries_alloc(struct ns_jit *jit, const struct ns_model *m)
{
    jit->lanes = calloc(m->priv->n_exprs + 1, sizeof *jit->lanes);
    jit->one = calloc(m->priv->n_exprs + 1, sizeof *jit->one);
    jit->settled = calloc(m->n_strategies + 1, sizeof *jit->settled);
    jit->step = calloc(m->n_strategies + 1, sizeof *jit->step);
    return jit->lanes && jit->one && jit->settled && jit->step;
}

/* The function called name in the loaded code, or NULL. */
static void *
symbol(void *handle, const char *name)
{
    return dlsym(handle, name);
}

static ns_jit_chunk_fn *
chunk_code(void *handle, const char *prefix, size_t prog)
{
    char name[48];
    snprintf(name, sizeof name, "%s%zu", prefix, prog / NS_JIT_CHUNK);
    void *code = symbol(handle, name);
    ns_jit_chunk_fn *fn = NULL;
    memcpy(&fn, &code, sizeof fn);
    return fn;
}

enum { KERNEL_SETTLED = 1, KERNEL_STEP = 2, KERNEL_STEP_NEW = 4 };

/* Fills model i's native entries from the loaded code. */
static void
attach(struct ns_jit *jit, void *handle, const struct plan *pl, size_t i,
       const struct ns_model *m, unsigned uses, const unsigned char *kernels,
       char (*step_name)[48])
{
    const struct ns_model_priv *p = m->priv;
    for (size_t x = 0; x < p->n_exprs; x++) {
        size_t prog = pl->prog_of[i][x];
        if (prog == SIZE_MAX || !pl->prog_ok[prog])
            continue;
        int which = (int)(prog % NS_JIT_CHUNK);
        if (uses & NS_JIT_FOR_LANES)
            jit->lanes[x] = (struct ns_jit_entry){
                chunk_code(handle, "lanes", prog), which};
        if (uses & NS_JIT_FOR_ONE)
            jit->one[x] = (struct ns_jit_entry){
                chunk_code(handle, "one", prog), which};
    }
    char name[48];
    for (size_t d = 0; d < m->n_strategies; d++) {
        if (kernels[d] & KERNEL_SETTLED) {
            snprintf(name, sizeof name, "m%zu_s%zu", i, d);
            void *code = symbol(handle, name);
            memcpy(&jit->settled[d], &code, sizeof code);
        }
        if (kernels[d] & KERNEL_STEP) {
            void *code = symbol(handle, step_name[d]);
            memcpy(&jit->step[d], &code, sizeof code);
        }
    }
}

/* What a step kernel's code depends on, as numbers: two strategies (of
 * the same or another model) with the same signature share one kernel. */
static size_t *
step_signature(const struct ns_model *m, size_t d, size_t *n_out)
{
    const struct ns_model_priv *p = m->priv;
    size_t S = m->n_states, E = p->n_exprs, n = 0, cap = 8 + 2 * S;
    for (size_t s = 0; s < S; s++)
        cap += 4 + 3 * p->rows[d * S + s].n;
    cap += 4 * p->n_tvalues;
    size_t *sig = malloc(cap * sizeof *sig);
    if (!sig)
        return NULL;
    double tol = m->row_sum_tolerance;
    sig[n] = 0;
    memcpy(&sig[n++], &tol, sizeof tol < sizeof *sig ? sizeof tol
                                                     : sizeof *sig);
    sig[n++] = S;
    sig[n++] = m->n_streams;
    sig[n++] = p->n_expanded;
    for (size_t s = 0; s < S; s++) {
        const struct ns_row *row = &p->rows[d * S + s];
        sig[n++] = p->n_slots[s];
        sig[n++] = p->first_x[s];
        sig[n++] = row->n;
        sig[n++] = (size_t)row->complement;
        for (size_t i = 0; i < row->n; i++) {
            sig[n++] = row->entries[i].to;
            sig[n++] = row->entries[i].def;
            sig[n++] = p->expr_dep[d * E + row->entries[i].def] != 0;
        }
    }
    sig[n++] = p->n_tvalues;
    for (size_t i = 0; i < p->n_tvalues; i++) {
        sig[n++] = p->tvalues[i].from;
        sig[n++] = p->tvalues[i].to;
        sig[n++] = p->tvalues[i].stream;
        sig[n++] = p->tvalues[i].def;
    }
    *n_out = n;
    return sig;
}

/* The step kernels decided on so far, by signature. */
struct steps_made {
    size_t **sig, *n_sig;
    const char **name;
    size_t n;
};

static void
steps_made_free(struct steps_made *sm)
{
    for (size_t i = 0; i < sm->n; i++)
        free(sm->sig[i]);
    free(sm->sig);
    free(sm->n_sig);
    free(sm->name);
}

/* The name of a kernel already decided on with this signature, or NULL. */
static const char *
step_made(const struct steps_made *sm, const size_t *sig, size_t n)
{
    for (size_t i = 0; i < sm->n; i++)
        if (sm->n_sig[i] == n && memcmp(sm->sig[i], sig, n * sizeof *sig) == 0)
            return sm->name[i];
    return NULL;
}

/* Whether strategy d's step can have a kernel (no row per tunnel slot). */
static bool
step_possible(const struct ns_model *m, size_t d)
{
    unsigned char *timed = calloc(m->n_states + 1, 1);
    bool ok = timed && step_fits(m, d) && step_rows(m, d, timed);
    free(timed);
    return ok;
}

/* Everything of ns_models_jit that allocates, in one place to free. */
struct job {
    struct plan plan;
    struct ns_jit **jits;
    unsigned char **kernels;   /* [model][strategy] KERNEL_* */
    char (**step_name)[48];    /* [model][strategy] */
    struct steps_made steps;
    struct ns_jit_code *code;
    size_t n_models;
};

/* Decides which kernels model i gets, sharing step kernels between
 * strategies with the same signature. */
static bool
decide_kernels(struct job *jb, struct ns_model *const *models, size_t i)
{
    const struct ns_model *m = models[i];
    struct steps_made *sm = &jb->steps;
    for (size_t d = 0; d < m->n_strategies; d++) {
        unsigned char *k = &jb->kernels[i][d];
        char *name = jb->step_name[i][d];
        *k = settled_fits(m, d) ? KERNEL_SETTLED : 0;
        if (!step_possible(m, d))
            continue;
        size_t n_sig = 0;
        size_t *sig = step_signature(m, d, &n_sig);
        if (!sig)
            return false;
        const char *made = step_made(sm, sig, n_sig);
        if (made) {
            snprintf(name, 48, "%s", made);
            *k |= KERNEL_STEP;
            free(sig);
            continue;
        }
        snprintf(name, 48, "m%zu_t%zu", i, d);
        *k |= KERNEL_STEP | KERNEL_STEP_NEW;
        sm->sig[sm->n] = sig;
        sm->n_sig[sm->n] = n_sig;
        sm->name[sm->n++] = name;
    }
    return true;
}

static void
job_free(struct job *jb)
{
    size_t n = jb->n_models;
    plan_free(&jb->plan, n);
    for (size_t i = 0; jb->jits && i < n; i++)
        ns_jit_free(jb->jits[i]);
    free(jb->jits);
    for (size_t i = 0; jb->kernels && i < n; i++)
        free(jb->kernels[i]);
    free(jb->kernels);
    steps_made_free(&jb->steps);
    for (size_t i = 0; jb->step_name && i < n; i++)
        free(jb->step_name[i]);
    free(jb->step_name);
    if (jb->code) {
        if (jb->code->handle)
            dlclose(jb->code->handle);
        free(jb->code);
    }
}

static bool
job_alloc(struct job *jb, struct ns_model *const *models, size_t n_models,
          unsigned uses)
{
    size_t n_strategies = 0;
    for (size_t i = 0; i < n_models; i++)
        n_strategies += models[i]->n_strategies;
    jb->n_models = n_models;
    jb->jits = calloc(n_models, sizeof *jb->jits);
    jb->kernels = calloc(n_models, sizeof *jb->kernels);
    jb->step_name = calloc(n_models, sizeof *jb->step_name);
    jb->steps.sig = calloc(n_strategies + 1, sizeof *jb->steps.sig);
    jb->steps.n_sig = calloc(n_strategies + 1, sizeof *jb->steps.n_sig);
    jb->steps.name = calloc(n_strategies + 1, sizeof *jb->steps.name);
    jb->code = calloc(1, sizeof *jb->code);
    if (!jb->jits || !jb->kernels || !jb->step_name || !jb->steps.sig ||
        !jb->steps.n_sig || !jb->steps.name || !jb->code ||
        !plan_build(&jb->plan, models, n_models))
        return false;
    for (size_t i = 0; i < n_models; i++) {
        jb->jits[i] = calloc(1, sizeof *jb->jits[i]);
        jb->kernels[i] = calloc(models[i]->n_strategies + 1, 1);
        jb->step_name[i] = calloc(models[i]->n_strategies + 1,
                                  sizeof *jb->step_name[i]);
        if (!jb->jits[i] || !jb->kernels[i] || !jb->step_name[i] ||
            !entries_alloc(jb->jits[i], models[i]))
            return false;
        if ((uses & NS_JIT_FOR_LANES) && !decide_kernels(jb, models, i))
            return false;
    }
    return true;
}

/* Emits everything the job decided on into c; returns the number of
 * functions. */
static size_t
emit_all(gcc_jit_context *c, const struct job *jb,
         struct ns_model *const *models, unsigned uses)
{
    struct gen g;
    gen_init(&g, c);
    size_t n = 0;
    if (uses & NS_JIT_FOR_LANES)
        n += gen_programs(&g, &jb->plan, NS_JIT_LANES, "lanes");
    if (uses & NS_JIT_FOR_ONE)
        n += gen_programs(&g, &jb->plan, 1, "one");
    char name[48];
    for (size_t i = 0; i < jb->n_models; i++)
        for (size_t d = 0; d < models[i]->n_strategies; d++) {
            unsigned char k = jb->kernels[i][d];
            if (k & KERNEL_SETTLED) {
                snprintf(name, sizeof name, "m%zu_s%zu", i, d);
                gen_settled(&g, models[i], d, name);
                n++;
            }
            if (k & KERNEL_STEP_NEW) {
                gen_step(&g, models[i], d, jb->step_name[i][d]);
                n++;
            }
        }
    return n;
}

/* In the child: builds and compiles the code into the shared object at
 * path; never returns. libgccjit runs GCC inside the process, and GCC
 * ends the process on a fatal error (a full disk, a file-size limit):
 * in a child, that ends only the compilation, and its memory goes with
 * it. */
static _Noreturn void
compile_child(const struct job *jb, struct ns_model *const *models,
              unsigned uses, const char *isa, const char *path)
{
    gcc_jit_context *c = gcc_jit_context_acquire();
    if (!c)
        _exit(3);
    set_options(c, isa);
    emit_all(c, jb, models, uses);
    gcc_jit_context_compile_to_file(c, GCC_JIT_OUTPUT_KIND_DYNAMIC_LIBRARY,
                                    path);
    const char *err = gcc_jit_context_get_first_error(c);
    if (err)
        fprintf(stderr, "%s\n", err);
    _exit(err ? 2 : 0);
}

/* Runs compile_child in a child process; returns its status, and fills
 * why with the first line it wrote to stderr (if any). */
static int
compile_in_child(const struct job *jb, struct ns_model *const *models,
                 unsigned uses, const char *isa, const char *dir,
                 const char *path, const atomic_int *cancel, char *why,
                 size_t why_size)
{
    int fd[2];
    if (pipe(fd) != 0) {
        snprintf(why, why_size, "cannot start the code generator: %s",
                 strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* A compilation nobody waits for any more stops; GCC's own
         * temporary files go in our folder, which the parent removes
         * however the child ends. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        setenv("TMPDIR", dir, 1);
        close(fd[0]);
        dup2(fd[1], STDERR_FILENO);
        close(fd[1]);
        compile_child(jb, models, uses, isa, path);
    }
    close(fd[1]);
    char text[512];
    size_t got = 0;
    ssize_t r;
    bool stopped = false;
    while ((r = read(fd[0], text + got, sizeof text - 1 - got)) > 0 ||
           (r < 0 && errno == EINTR)) {
        got += r > 0 ? (size_t)r : 0;
        if (cancel && atomic_load(cancel) && pid > 0 && !stopped) {
            kill(pid, SIGKILL);
            stopped = true;
        }
    }
    text[got] = '\0';
    close(fd[0]);
    int status = 0;
    pid_t waited = pid;
    while (pid > 0 && (waited = waitpid(pid, &status, 0)) < 0 &&
           errno == EINTR)
        ;
    if (pid < 0 || waited < 0) {
        snprintf(why, why_size, "cannot start the code generator");
        return -1;
    }
    text[strcspn(text, "\n")] = '\0';
    if (stopped) {
        snprintf(why, why_size, "stopped");
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        snprintf(why, why_size, "the code generator was stopped by signal "
                 "%d%s%s", WTERMSIG(status), text[0] ? ": " : "", text);
    else
        snprintf(why, why_size, "the code generator failed%s%s",
                 text[0] ? ": " : "", text[0] ? text : "");
    return -1;
}

static int
remove_entry(const char *path, const struct stat *st, int flag,
             struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Removes dir and everything in it (what a stopped compilation left). */
static void
remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A folder of our own for the shared object: TMPDIR or /tmp. */
static bool
make_folder(char *dir, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, size, "%s/netsave-jit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(dir) != NULL;
}

/* Compiles and loads; false with why filled. */
static bool
compile_and_load(struct job *jb, struct ns_model *const *models,
                 unsigned uses, const char *isa, const atomic_int *cancel,
                 char *why, size_t why_size)
{
    char dir[512], path[600];
    if (!make_folder(dir, sizeof dir)) {
        snprintf(why, why_size, "cannot make a temporary folder: %s",
                 strerror(errno));
        return false;
    }
    snprintf(path, sizeof path, "%s/models.so", dir);
    bool ok = compile_in_child(jb, models, uses, isa, dir, path, cancel, why,
                               why_size) == 0;
    if (ok) {
        jb->code->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!jb->code->handle) {
            const char *e = dlerror();
            snprintf(why, why_size, "cannot load the compiled code: %s",
                     e ? e : "unknown error");
            ok = false;
        }
    }
    remove_tree(dir);
    return ok;
}

enum ns_status
ns_models_jit(struct ns_model *const *models, size_t n_models,
              const struct ns_jit_options *opt, struct ns_jit_report *report,
              char *why, size_t why_size)
{
    const char *isa = opt && opt->isa ? opt->isa : ns_jit_host_isa();
    unsigned uses = opt && opt->uses ? opt->uses
                                     : NS_JIT_FOR_LANES | NS_JIT_FOR_ONE;
    if (!valid_isa(isa)) {
        snprintf(why, why_size, "unknown instruction set '%s' (x86-64, "
                 "x86-64-v2, x86-64-v3 or x86-64-v4)", isa);
        return NS_EMODEL;
    }
    double t0 = now_seconds(), c0 = children_cpu_seconds();
    struct job jb = {0};
    if (!job_alloc(&jb, models, n_models, uses)) {
        job_free(&jb);
        return NS_ENOMEM;
    }
    if (!compile_and_load(&jb, models, uses, isa, opt ? opt->cancel : NULL,
                          why, why_size)) {
        job_free(&jb);
        return NS_EMODEL;
    }
    for (size_t i = 0; i < n_models; i++) {
        attach(jb.jits[i], jb.code->handle, &jb.plan, i, models[i], uses,
               jb.kernels[i], jb.step_name[i]);
        jb.jits[i]->code = jb.code;
        jb.code->refs++;
        ns_jit_free(models[i]->priv->jit);
        models[i]->priv->jit = jb.jits[i];
        jb.jits[i] = NULL;
    }
    size_t n_fns = 0;
    for (size_t i = 0; i < n_models; i++)
        for (size_t d = 0; d < models[i]->n_strategies; d++)
            n_fns += ((jb.kernels[i][d] & KERNEL_SETTLED) != 0) +
                     ((jb.kernels[i][d] & KERNEL_STEP_NEW) != 0);
    size_t chunks = (jb.plan.n_progs + NS_JIT_CHUNK - 1) / NS_JIT_CHUNK;
    n_fns += chunks * (((uses & NS_JIT_FOR_LANES) != 0) +
                       ((uses & NS_JIT_FOR_ONE) != 0));
    if (report) {
        report->seconds = now_seconds() - t0;
        report->cpu_seconds = children_cpu_seconds() - c0;
        report->n_functions = n_fns;
        report->n_programs = jb.plan.n_progs;
        snprintf(report->isa, sizeof report->isa, "%s", isa);
    }
    jb.code = NULL; /* owned by the models now */
    job_free(&jb);
    return NS_OK;
}

double
ns_jit_estimate_seconds(struct ns_model *const *models, size_t n,
                        unsigned uses)
{
    struct job jb = {0};
    double seconds = 0.2; /* the assembler and linker, whatever the size */
    if (n > 0 && job_alloc(&jb, models, n, uses)) {
        double progs = (double)jb.plan.n_progs;
        seconds += (uses & NS_JIT_FOR_LANES ? 0.007 : 0.0) * progs +
                   (uses & NS_JIT_FOR_ONE ? 0.0012 : 0.0) * progs;
        for (size_t i = 0; i < n; i++)
            for (size_t d = 0; d < models[i]->n_strategies; d++) {
                unsigned char k = jb.kernels[i][d];
                if (k & KERNEL_SETTLED)
                    seconds += 0.1;
                if (k & KERNEL_STEP_NEW)
                    seconds += 0.005 * (double)step_ops(models[i], d);
            }
    }
    job_free(&jb);
    return seconds;
}

enum ns_status
ns_model_jit(struct ns_model *m, const struct ns_jit_options *opt,
             struct ns_jit_report *report, char *why, size_t why_size)
{
    return ns_models_jit(&m, 1, opt, report, why, why_size);
}

bool
ns_model_is_jit(const struct ns_model *m)
{
    return m->priv->jit != NULL;
}

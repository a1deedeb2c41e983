/* netsave: expression programs as native code (model/jit_gen.h): each
 * program's stack machine becomes locals and blocks, inside a loop over
 * lanes whose body is the scalar code of one run. */
#include "model/jit_gen.h"

#include <stdlib.h>
#include <string.h>

#include "model/expr_code.h"

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
    eg.lane = nsj_new_local(g, fn, g->t_int);
    eg.bad = nsj_new_local(g, fn, g->t_int);
    long max_depth = 0;
    for (size_t pc = 0; pc <= n; pc++)
        if (eg.depth[pc] + 1 > max_depth)
            max_depth = eg.depth[pc] + 1;
    for (long i = 0; i < max_depth && i < NS_EXPR_MAX_DEPTH; i++)
        eg.stack[i] = nsj_new_local(g, fn, g->t_double);
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
void
nsj_gen_chunk(struct gen *g, const struct ns_expr *const *progs, size_t n,
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

/* netsave: the code generator's shared builders (model/jit_gen.h). */
#include "model/jit_gen.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/expr_code.h"

/* A local variable with a name of its own. */
gcc_jit_lvalue *
nsj_new_local(struct gen *g, gcc_jit_function *fn, gcc_jit_type *t)
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

void
nsj_gen_init(struct gen *g, gcc_jit_context *c)
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

gcc_jit_rvalue *
nsj_lane_ix(struct gen *g, gcc_jit_lvalue *lane, size_t index, size_t L)
{
    return binop(g, GCC_JIT_BINARY_OP_PLUS, g->t_long,
                 integer(g, (long)(index * L)),
                 gcc_jit_context_new_cast(g->c, NULL, rv(lane), g->t_long));
}

gcc_jit_block *
nsj_copy_loop(struct gen *g, gcc_jit_function *fn, gcc_jit_block *b,
              gcc_jit_rvalue *dst, gcc_jit_rvalue *src, size_t n)
{
    gcc_jit_lvalue *i = nsj_new_local(g, fn, g->t_long);
    gcc_jit_block *loop = gcc_jit_function_new_block(fn, NULL);
    gcc_jit_block *after = gcc_jit_function_new_block(fn, NULL);
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

/* netsave: the code generator's shared builders (model/jit_gen.h). */
#include "model/jit_gen.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/expr_code.h"
#include "model/jit_priv.h"

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
    g->t_vec = gcc_jit_type_get_vector(g->t_double, NS_JIT_LANES);
    g->t_uvec = gcc_jit_type_get_aligned(g->t_vec, sizeof(double));
    g->t_uvecp = gcc_jit_type_get_pointer(g->t_uvec);
    g->t_ll = gcc_jit_context_get_type(c, GCC_JIT_TYPE_LONG_LONG);
    g->t_ivec = gcc_jit_type_get_vector(g->t_ll, NS_JIT_LANES);
}

gcc_jit_lvalue *
nsj_vat(struct gen *g, gcc_jit_rvalue *ptr, gcc_jit_rvalue *index)
{
    return at(g, gcc_jit_context_new_cast(g->c, NULL, ptr, g->t_uvecp), index);
}

/* Memory is read and written as t_uvec (any double's alignment) and
 * computed on as t_vec: libgccjit converts between them only by bitcast. */
gcc_jit_rvalue *
nsj_vget(struct gen *g, gcc_jit_rvalue *ptr, gcc_jit_rvalue *index)
{
    return gcc_jit_context_new_bitcast(g->c, NULL, rv(nsj_vat(g, ptr, index)),
                                       g->t_vec);
}

void
nsj_vput(struct gen *g, gcc_jit_block *b, gcc_jit_rvalue *ptr,
         gcc_jit_rvalue *index, gcc_jit_rvalue *x)
{
    gcc_jit_block_add_assignment(
        b, NULL, nsj_vat(g, ptr, index),
        gcc_jit_context_new_bitcast(g->c, NULL, x, g->t_uvec));
}

gcc_jit_rvalue *
nsj_vsplat(struct gen *g, gcc_jit_rvalue *x)
{
    gcc_jit_rvalue *e[NS_JIT_LANES];
    for (size_t l = 0; l < NS_JIT_LANES; l++)
        e[l] = x;
    return gcc_jit_context_new_rvalue_from_vector(g->c, NULL, g->t_vec,
                                                  NS_JIT_LANES, e);
}

gcc_jit_rvalue *
nsj_vzero(struct gen *g)
{
    return nsj_vsplat(g, g->zero);
}

/* The lanes' halves OR-ed together, and again, until two 64-bit
 * integers are left to OR and test: libgccjit 12 has no vector shuffle,
 * but halves read through a pointer become GCC's extracts, a few
 * instructions where a lane at a time took three each. */
gcc_jit_rvalue *
nsj_any_sign(struct gen *g, gcc_jit_function *fn, gcc_jit_block *b,
             gcc_jit_lvalue *bad)
{
    gcc_jit_lvalue *v = bad;
    for (size_t n = NS_JIT_LANES / 2; n >= 1; n /= 2) {
        gcc_jit_type *half =
            n > 1 ? gcc_jit_type_get_vector(g->t_ll, n) : g->t_ll;
        gcc_jit_rvalue *p = gcc_jit_context_new_cast(
            g->c, NULL, gcc_jit_lvalue_get_address(v, NULL),
            gcc_jit_type_get_pointer(half));
        gcc_jit_lvalue *h = nsj_new_local(g, fn, half);
        gcc_jit_block_add_assignment(
            b, NULL, h,
            binop(g, GCC_JIT_BINARY_OP_BITWISE_OR, half,
                  rv(at(g, p, integer(g, 0))), rv(at(g, p, integer(g, 1)))));
        v = h;
    }
    return gcc_jit_context_new_cast(
        g->c, NULL,
        cmp(g, GCC_JIT_COMPARISON_LT, rv(v),
            gcc_jit_context_zero(g->c, g->t_ll)),
        g->t_int);
}

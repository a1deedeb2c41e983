/* netsave: what the parts of the code generator share (model/jit.c, the
 * driver; jit_expr.c, expressions; jit_kernel.c, the settled and step
 * kernels): the types and libm functions of one libgccjit context, and
 * small builders of its expressions. Private to model/. */
#ifndef NS_MODEL_JIT_GEN_H
#define NS_MODEL_JIT_GEN_H

#include <libgccjit.h>
#include <stdbool.h>
#include <stddef.h>

#include "model/compiled.h"
#include "model/expr.h"
#include "model/jit_priv.h"

/* A function holding up to NS_JIT_CHUNK expressions, one per case of a
 * switch on its first argument: libgccjit's cost is mostly per function,
 * so a model's hundreds of small expressions are compiled in a few. */
#define NS_JIT_CHUNK 64

struct gen {
    gcc_jit_context *c;
    gcc_jit_type *t_double, *t_int, *t_long, *t_bool, *t_void;
    gcc_jit_type *t_dp, *t_cdp, *t_tables;
    /* libm's functions, called through pointers to the very functions the
     * interpreter calls, so that GCC can neither fold nor replace them. */
    gcc_jit_rvalue *f_exp, *f_log, *f_pow, *f_expm1, *f_log1p, *f_table;
    gcc_jit_function *b_floor, *b_ceil, *b_sqrt;
    gcc_jit_rvalue *dbl_max, *zero, *one;
    /* The lanes of a value side by side (NS_JIT_LANES doubles), for
     * arithmetic and locals; t_uvec the same, aligned only as a double,
     * for memory the caller allocated; t_uvecp a pointer to it. */
    gcc_jit_type *t_vec, *t_uvec, *t_uvecp;
    gcc_jit_type *t_ll, *t_ivec; /* long long; NS_JIT_LANES of them */
    unsigned long n_locals; /* for local names, which libgccjit requires */
};

void nsj_gen_init(struct gen *g, gcc_jit_context *c);

/* A local variable with a name of its own (libgccjit requires one). */
gcc_jit_lvalue *nsj_new_local(struct gen *g, gcc_jit_function *fn,
                              gcc_jit_type *t);

static inline gcc_jit_rvalue *
rv(gcc_jit_lvalue *lv)
{
    return gcc_jit_lvalue_as_rvalue(lv);
}

static inline gcc_jit_rvalue *
num(struct gen *g, double x)
{
    return gcc_jit_context_new_rvalue_from_double(g->c, g->t_double, x);
}

static inline gcc_jit_rvalue *
integer(struct gen *g, long x)
{
    return gcc_jit_context_new_rvalue_from_long(g->c, g->t_long, x);
}

static inline gcc_jit_rvalue *
binop(struct gen *g, enum gcc_jit_binary_op op, gcc_jit_type *t,
      gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
    return gcc_jit_context_new_binary_op(g->c, NULL, op, t, a, b);
}

static inline gcc_jit_rvalue *
cmp(struct gen *g, enum gcc_jit_comparison op, gcc_jit_rvalue *a,
    gcc_jit_rvalue *b)
{
    return gcc_jit_context_new_comparison(g->c, NULL, op, a, b);
}

static inline gcc_jit_rvalue *
not(struct gen *g, gcc_jit_rvalue *b)
{
    return gcc_jit_context_new_unary_op(g->c, NULL,
                                        GCC_JIT_UNARY_OP_LOGICAL_NEGATE,
                                        g->t_bool, b);
}

static inline gcc_jit_rvalue *
or(struct gen *g, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
    return binop(g, GCC_JIT_BINARY_OP_LOGICAL_OR, g->t_bool, a, b);
}

/* 1.0 or 0.0 from a truth value. */
static inline gcc_jit_rvalue *
bool_to_double(struct gen *g, gcc_jit_rvalue *b)
{
    return gcc_jit_context_new_cast(
        g->c, NULL, gcc_jit_context_new_cast(g->c, NULL, b, g->t_int),
        g->t_double);
}

/* x < 0 || x > 0: the interpreter's truth of a value. */
static inline gcc_jit_rvalue *
truthy(struct gen *g, gcc_jit_rvalue *x)
{
    return or(g, cmp(g, GCC_JIT_COMPARISON_LT, x, g->zero),
              cmp(g, GCC_JIT_COMPARISON_GT, x, g->zero));
}

static inline gcc_jit_rvalue *
finite(struct gen *g, gcc_jit_rvalue *x)
{
    gcc_jit_rvalue *a = gcc_jit_context_new_unary_op(
        g->c, NULL, GCC_JIT_UNARY_OP_ABS, g->t_double, x);
    return cmp(g, GCC_JIT_COMPARISON_LE, a, g->dbl_max);
}

static inline gcc_jit_rvalue *
call1(struct gen *g, gcc_jit_rvalue *fp, gcc_jit_rvalue *a)
{
    return gcc_jit_context_new_call_through_ptr(g->c, NULL, fp, 1, &a);
}

static inline gcc_jit_rvalue *
call2(struct gen *g, gcc_jit_rvalue *fp, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
    gcc_jit_rvalue *args[] = {a, b};
    return gcc_jit_context_new_call_through_ptr(g->c, NULL, fp, 2, args);
}

static inline gcc_jit_rvalue *
builtin1(struct gen *g, gcc_jit_function *f, gcc_jit_rvalue *a)
{
    return gcc_jit_context_new_call(g->c, NULL, f, 1, &a);
}

static inline gcc_jit_lvalue *
at(struct gen *g, gcc_jit_rvalue *base, gcc_jit_rvalue *index)
{
    return gcc_jit_context_new_array_access(g->c, NULL, base, index);
}

/* Vectors of lanes: element 'index' of an array of lanes side by side
 * (ptr: a pointer to doubles, index * NS_JIT_LANES its first), as an
 * lvalue of t_uvec; read with nsj_vget, written with nsj_vput. */
gcc_jit_lvalue *nsj_vat(struct gen *g, gcc_jit_rvalue *ptr,
                        gcc_jit_rvalue *index);
gcc_jit_rvalue *nsj_vget(struct gen *g, gcc_jit_rvalue *ptr,
                         gcc_jit_rvalue *index);
void nsj_vput(struct gen *g, gcc_jit_block *b, gcc_jit_rvalue *ptr,
              gcc_jit_rvalue *index, gcc_jit_rvalue *x);
/* x in every lane; 0 in every lane. */
gcc_jit_rvalue *nsj_vsplat(struct gen *g, gcc_jit_rvalue *x);
gcc_jit_rvalue *nsj_vzero(struct gen *g);
/* 1 when some lane of bad (a local of t_ivec) has its sign bit set, as
 * an int; else 0 (computed in block b of fn). */
gcc_jit_rvalue *nsj_any_sign(struct gen *g, gcc_jit_function *fn,
                             gcc_jit_block *b, gcc_jit_lvalue *bad);

/* libgccjit 12 has no comparison of vectors, so checks and clamps on
 * vectors of lanes are computed on the bits of their doubles, as vectors
 * of 64-bit integers: a test's answer in a lane is the sign bit of a
 * double or of an integer, made into a mask of all ones by an arithmetic
 * shift. */
static inline gcc_jit_rvalue *
bits(struct gen *g, gcc_jit_rvalue *x)
{
    return gcc_jit_context_new_bitcast(g->c, NULL, x, g->t_ivec);
}

static inline gcc_jit_rvalue *
dbl(struct gen *g, gcc_jit_rvalue *i)
{
    return gcc_jit_context_new_bitcast(g->c, NULL, i, g->t_vec);
}

static inline gcc_jit_rvalue *
isplat(struct gen *g, long long x)
{
    gcc_jit_rvalue *e[NS_JIT_LANES];
    for (size_t l = 0; l < NS_JIT_LANES; l++)
        e[l] = gcc_jit_context_new_rvalue_from_long(g->c, g->t_ll, x);
    return gcc_jit_context_new_rvalue_from_vector(g->c, NULL, g->t_ivec,
                                                  NS_JIT_LANES, e);
}

static inline gcc_jit_rvalue *
vnum(struct gen *g, double x)
{
    return nsj_vsplat(g, num(g, x));
}

static inline gcc_jit_rvalue *
ibin(struct gen *g, enum gcc_jit_binary_op op, gcc_jit_rvalue *a,
     gcc_jit_rvalue *b)
{
    return binop(g, op, g->t_ivec, a, b);
}

static inline gcc_jit_rvalue *
vbin(struct gen *g, enum gcc_jit_binary_op op, gcc_jit_rvalue *a,
     gcc_jit_rvalue *b)
{
    return binop(g, op, g->t_vec, a, b);
}

/* All ones where i's sign bit is set, else 0. */
static inline gcc_jit_rvalue *
sign_mask(struct gen *g, gcc_jit_rvalue *i)
{
    return ibin(g, GCC_JIT_BINARY_OP_RSHIFT, i, isplat(g, 63));
}

/* |x|'s bits. */
static inline gcc_jit_rvalue *
magnitude(struct gen *g, gcc_jit_rvalue *x)
{
    return ibin(g, GCC_JIT_BINARY_OP_BITWISE_AND, bits(g, x),
                isplat(g, 0x7fffffffffffffffLL));
}

/* jit_expr.c: expression programs. */
bool nsj_program_ok(const struct ns_expr *e);
bool nsj_program_vector(const struct ns_expr *e);
void nsj_gen_chunk(struct gen *g, const struct ns_expr *const *progs,
                   size_t n, size_t L, const char *name, bool *ok);
bool nsj_same_program(const struct ns_expr *a, const struct ns_expr *b);
unsigned long long nsj_program_hash(const struct ns_expr *e);

/* jit_kernel.c: settled and step kernels of strategy d. A step kernel's
 * rows: known (computed once, in row_probs), computed every cycle (from
 * the known values), or per tunnel slot (from slot_vals). */
enum { STEP_ROW_KNOWN = 0, STEP_ROW_TIMED, STEP_ROW_PER_SLOT };
void nsj_gen_settled(struct gen *g, const struct ns_model *m, size_t d,
                     const char *name);
bool nsj_gen_step(struct gen *g, const struct ns_model *m, size_t d,
                  const char *name);
bool nsj_settled_fits(const struct ns_model *m, size_t d);
bool nsj_step_fits(const struct ns_model *m, size_t d);
bool nsj_step_rows(const struct ns_model *m, size_t d, unsigned char *kind);
size_t nsj_step_ops(const struct ns_model *m, size_t d);

#endif

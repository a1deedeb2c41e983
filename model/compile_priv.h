/* netsave: the model compiler's private side, shared by compile.c (the
 * driver, names, settings, payers), compile_params.c (parameters and
 * expressions), compile_rows.c (transitions and values) and
 * compile_uncertainty.c (what the analyses vary). Not a public header.
 *
 * Every pass records each problem it finds as a diagnostic and goes on
 * (an analyst wants the whole list); the driver stops only when memory
 * runs out. Functions shared between the files are prefixed nsc_ (the
 * compiler's) so that they cannot clash with a program's own names. */
#ifndef NS_MODEL_COMPILE_PRIV_H
#define NS_MODEL_COMPILE_PRIV_H

#include "model/compiled.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct compiler {
    const struct ns_model_def *def;
    struct ns_model *m;
    struct ns_model_priv *p;
    struct ns_diags *diags;
    bool failed;      /* an input problem was recorded */
    bool out_of_mem;
    long weight_expr; /* the counting weight's expression, or -1 */
};

static inline char *
copy_str(struct compiler *c, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (!d) {
        c->out_of_mem = true;
        return NULL;
    }
    memcpy(d, s, n);
    return d;
}

static inline void *
alloc_array(struct compiler *c, size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        c->out_of_mem = true;
    return p;
}


#define ERROR_AT(c, at, ...)                                                 \
    do {                                                                     \
        ns_diags_add_at((c)->diags, (at), __VA_ARGS__);                      \
        (c)->failed = true;                                                  \
    } while (0)

/* Every name the compiler looks up is found through an index (model/
 * names.h): -1 when it is not there. */
static inline long
nsc_find(const struct ns_name_index *ix, const char *name)
{
    return ns_name_index_find(ix, name, strlen(name));
}

/* compile.c: an index of the name field, at offset, of n items of size
 * stride, each under its position; NULL (out of memory noted) on failure. */
struct ns_name_index *nsc_index_names(struct compiler *c, const void *items,
                                      size_t n, size_t stride, size_t offset);

/* compile.c: a state or strategy by name, reporting an unknown one with
 * a suggestion under context; -1 when unknown. A NULL strategy means
 * every strategy (-2). */
long nsc_lookup_state(struct compiler *c, const char *name,
                      struct ns_origin at, const char *context);
long nsc_lookup_strategy(struct compiler *c, const char *name,
                         struct ns_origin at, const char *context);

/* compile_params.c */
/* Records a description such as "transition a -> b" for messages, with
 * " (strategy s)" appended when strategy is not NULL. */
const char *nsc_describe(struct compiler *c, const char *strategy,
                         const char *fmt, ...) NS_PRINTF(3, 4);
/* Compiles text into a new entry of priv->exprs and returns its index
 * (programs that fail to compile are stored as NULL and reported). */
size_t nsc_add_expr(struct compiler *c, const char *text, struct ns_origin at,
                    const char *what, bool is_complement);
/* The index of parameter name, or -1. */
long nsc_find_param(const struct ns_model_priv *p, const char *name);
void nsc_collect_params(struct compiler *c);
void nsc_compile_params(struct compiler *c);
void nsc_order_params(struct compiler *c);
void nsc_expression_deps(struct compiler *c);
void nsc_compute_needs(struct compiler *c);

/* compile_rows.c */
void nsc_compile_transitions(struct compiler *c);
void nsc_compile_initial(struct compiler *c);
void nsc_compile_values(struct compiler *c);
void nsc_compile_transition_values(struct compiler *c);
void nsc_check_state_time(struct compiler *c);

/* compile_counting.c: the counting weights and the settings that choose
 * them (after the parameters are compiled, since a weight expression may
 * read them), and the weights of such an expression (after they are
 * ordered) */
void nsc_compile_counting(struct compiler *c);
void nsc_finish_counting(struct compiler *c);

/* compile_uncertainty.c */
void nsc_compile_param_info(struct compiler *c);
void nsc_compile_free_params(struct compiler *c);
void nsc_compile_uncertainty(struct compiler *c);
void nsc_compile_expansion(struct compiler *c);
void nsc_compile_benchmark(struct compiler *c);
void nsc_compile_correlation(struct compiler *c);
void nsc_compile_dirichlet(struct compiler *c);
void nsc_compile_param_groups(struct compiler *c);

#endif

/* netsave: arithmetic expressions, compiled once and evaluated many times.
 *
 * A parameter, a transition probability or a state value is an expression
 * such as "p_base * rr_treatment" or "if(age < 65, 0.01, lifetable(age))".
 * ns_expr_compile() parses the text once, resolves every name to a slot in
 * a caller-defined array of doubles (or to a look-up table), and produces
 * a flat postfix program. ns_expr_eval() then runs that program without
 * allocating, so the engine can evaluate a model millions of times.
 *
 * Grammar, lowest precedence first (all binary operators are left
 * associative except ^, which is right associative):
 *   expr     := or
 *   or       := and { "||" and }
 *   and      := cmp { "&&" cmp }
 *   cmp      := sum [ ("<" | "<=" | ">" | ">=" | "==" | "!=") sum ]
 *   sum      := product { ("+" | "-") product }
 *   product  := unary { ("*" | "/") unary }
 *   unary    := ("-" | "+" | "!") unary | power
 *   power    := primary [ "^" unary ]
 *   primary  := number | name | name "(" args ")" | "(" expr ")"
 * So -2^2 is -4 and 2^-1 is 0.5. Comparisons and logic give 1 or 0, and
 * any non-zero value is true. Numbers are decimal with an optional
 * exponent (1.5, .5, 2e-3); hexadecimal, "inf" and "nan" are not numbers.
 * Names are [A-Za-z_][A-Za-z0-9_]*.
 *
 * Functions: exp(x), log(x) (natural), sqrt(x), abs(x), floor(x), ceil(x),
 * min(a, b, ...), max(a, b, ...), if(condition, then, else) (only the
 * branch taken is evaluated, so if(x > 0, log(x), 0) is safe),
 * rate_to_prob(rate, t) = 1 - exp(-rate * t), prob_to_rate(p, t) =
 * -log(1 - p) / t, and any look-up table the resolver knows, called with
 * one argument: table(x) is the value of the last row whose key is <= x. */
#ifndef NS_MODEL_EXPR_H
#define NS_MODEL_EXPR_H

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "model/netsave.h"

/* Deepest evaluation stack an expression may need; deeper ones are
 * rejected when compiled. Analysts' expressions need fewer than ten. */
#define NS_EXPR_MAX_DEPTH 64
/* Whether all n values are finite: an integer AND of comparisons, with no
 * branch, so that loops over lanes vectorise. */
static inline bool
ns_all_finite(const double *x, size_t n)
{
    unsigned ok = 1;
    for (size_t i = 0; i < n; i++)
        ok &= fabs(x[i]) <= DBL_MAX;
    return ok != 0;
}

/* Most lanes ns_expr_eval_lanes evaluates at once, and the number of
 * lanes it has loops of known length for (which the compiler vectorises):
 * the number to use when there is a choice (model/psa.c does). */
#define NS_EXPR_MAX_LANES 16
#define NS_EXPR_FAST_LANES 16

/* A step-function look-up table: keys strictly increasing. */
struct ns_table {
    const char *name; /* for messages; may be NULL */
    size_t n;        /* number of rows, >= 1 */
    const double *x; /* keys, strictly increasing */
    const double *y; /* values */
    bool exact;      /* only a key equal to the argument matches */
};

/* How names are resolved while compiling. Names are passed as a pointer
 * and a length (not NUL-terminated). */
struct ns_expr_resolver {
    void *ctx;
    /* Returns the variable slot (>= 0) of a name, or -1 if it is unknown. */
    long (*variable)(void *ctx, const char *name, size_t len);
    /* Returns the index (>= 0) of a look-up table, or -1. May be NULL. */
    long (*table)(void *ctx, const char *name, size_t len);
    /* Returns the known name nearest to an unknown one, or NULL. May be
     * NULL. The string must stay valid until the compile call returns. */
    const char *(*suggest)(void *ctx, const char *name, size_t len);
};

/* What went wrong while evaluating. */
enum ns_fault_kind {
    NS_FAULT_NONE = 0,
    NS_FAULT_DIV_ZERO,    /* division by zero */
    NS_FAULT_DOMAIN,      /* log or sqrt of a value outside its domain,
                             prob_to_rate of p >= 1, rate_to_prob/prob_to_rate
                             with t <= 0 for prob_to_rate */
    NS_FAULT_TABLE_RANGE, /* table argument below the first key, or NaN */
    NS_FAULT_NOT_FINITE   /* an intermediate or the result is NaN or inf */
};

struct ns_expr_fault {
    enum ns_fault_kind kind;
    size_t column;    /* 1-based column in the source text of the operator
                         or function call that failed */
    char detail[128]; /* e.g. "division by zero", "log of -0.5",
                         "table lifetable has no row for 12.5 (first key 15)" */
};

struct ns_expr;

/* Compiles text. On success stores a new program in *out (free it with
 * ns_expr_free) and returns NS_OK. On a syntax error, an unknown name, a
 * wrong number of arguments or too deep nesting, returns NS_EPARAM, leaves
 * *out NULL and writes one line into err (size err_size, always
 * NUL-terminated when err_size > 0), without file or line, for example:
 *   "unexpected character '%' at column 3"
 *   "malformed number '1,250' at column 1: use a dot for decimals and no
 *    thousands separators"
 *   "undefined name 'p_sik' at column 1; did you mean 'p_sick'?"
 *   "expected ')' at column 12, got end of expression"
 *   "empty expression"
 *   "function min needs at least 2 arguments, got 1"
 * Returns NS_ENOMEM if memory runs out. Constant sub-expressions may be
 * folded at compile time, but a constant expression that faults (1/0) is
 * still reported by ns_expr_eval, not by the compiler. */
enum ns_status ns_expr_compile(const char *text,
                               const struct ns_expr_resolver *resolver,
                               struct ns_expr **out, char *err,
                               size_t err_size);

void ns_expr_free(struct ns_expr *expr);

/* The distinct variable slots the expression reads, in increasing order,
 * and table indices it calls (for dependency analysis). */
size_t ns_expr_n_variables(const struct ns_expr *expr);
long ns_expr_variable(const struct ns_expr *expr, size_t i);
size_t ns_expr_n_tables(const struct ns_expr *expr);
long ns_expr_table(const struct ns_expr *expr, size_t i);

/* True, with the value in *value, if the expression reads no variable and
 * no table and evaluates without fault. */
bool ns_expr_is_constant(const struct ns_expr *expr, double *value);

/* Evaluates with variables[slot] for each variable and tables[index] for
 * each table. Returns NS_OK and the value in *result, or NS_EMODEL with
 * *fault filled in (fault may be NULL). Never allocates. Safe to call
 * from several threads on the same expression. */
enum ns_status ns_expr_eval(const struct ns_expr *expr, const double *variables,
                            const struct ns_table *tables, double *result,
                            struct ns_expr_fault *fault);

/* ns_expr_eval for several sets of variables at once (lanes, at most
 * NS_EXPR_MAX_LANES): variable v of lane l is variables[v * lanes + l],
 * and result[l] receives lane l's value, bit-identical to ns_expr_eval's.
 * Every variable must be finite: unlike ns_expr_eval, loads are not
 * checked (they are the commonest operation; the engine checks each
 * variable once, when it is set). Returns NS_OK, or NS_EMODEL when any
 * lane faults (ns_expr_eval on that lane says why). Never allocates;
 * thread-safe as ns_expr_eval. */
enum ns_status ns_expr_eval_lanes(const struct ns_expr *expr,
                                  const double *variables, size_t lanes,
                                  const struct ns_table *tables,
                                  double *result);

/* A read-only view of an expression's program, for code that rebuilds the
 * expression in another language (output/formula.c writes spreadsheet
 * formulas from it). The program is postfix: operands are pushed, an
 * operation replaces its operands by its result. The control steps are
 * laid out as the compiler emits them:
 *   if(c, a, b): c JUMP_IF_FALSE(L1) a JUMP(L2) L1: b L2:
 *   a && b:      a AND_JUMP(L) b BOOL L:   (gives 1 or 0)
 *   a || b:      a OR_JUMP(L) b BOOL L:    (gives 1 or 0)
 *   min(a, b, c): a b MIN c MIN   (and so for max)
 * where a jump's target is the index of a step (n_steps: the end). */
enum ns_expr_step_kind {
    NS_STEP_CONST,         /* push value */
    NS_STEP_VARIABLE,      /* push variable 'index' */
    NS_STEP_TABLE,         /* top := table 'index'(top) */
    NS_STEP_NEG, NS_STEP_NOT, NS_STEP_BOOL,
    NS_STEP_ADD, NS_STEP_SUB, NS_STEP_MUL, NS_STEP_DIV, NS_STEP_POW,
    NS_STEP_LT, NS_STEP_LE, NS_STEP_GT, NS_STEP_GE, NS_STEP_EQ, NS_STEP_NE,
    NS_STEP_MIN, NS_STEP_MAX,
    NS_STEP_EXP, NS_STEP_LOG, NS_STEP_SQRT, NS_STEP_ABS, NS_STEP_FLOOR,
    NS_STEP_CEIL, NS_STEP_RATE_TO_PROB, NS_STEP_PROB_TO_RATE,
    NS_STEP_JUMP, NS_STEP_JUMP_IF_FALSE, NS_STEP_AND_JUMP, NS_STEP_OR_JUMP
};

struct ns_expr_step {
    enum ns_expr_step_kind kind;
    double value;  /* NS_STEP_CONST */
    size_t index;  /* variable slot, table index or jump target */
    size_t column; /* 1-based column in the source text */
};

size_t ns_expr_n_steps(const struct ns_expr *expr);
/* Step i (< ns_expr_n_steps) of the program. */
struct ns_expr_step ns_expr_step(const struct ns_expr *expr, size_t i);

#endif

/* netsave: the compiled form of an expression, shared by expr.c (which
 * produces it) and expr_eval.c (which runs it). Private to model/: the
 * public interface is model/expr.h. */
#ifndef NS_MODEL_EXPR_CODE_H
#define NS_MODEL_EXPR_CODE_H

#include <stddef.h>

enum opcode {
    OP_CONST,          /* push u.value */
    OP_LOAD,           /* push variables[u.index] */
    OP_TABLE,          /* replace top with tables[u.index](top) */
    OP_NEG,
    OP_NOT,
    OP_BOOL,           /* replace top with 1 if non-zero, else 0 */
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_POW,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_EQ,
    OP_NE,
    OP_MIN,
    OP_MAX,
    OP_EXP,
    OP_LOG,
    OP_SQRT,
    OP_ABS,
    OP_FLOOR,
    OP_CEIL,
    OP_RATE_TO_PROB,
    OP_PROB_TO_RATE,
    OP_JUMP,           /* go to u.index */
    OP_JUMP_IF_FALSE,  /* pop; go to u.index if it was zero */
    OP_AND_JUMP,       /* if top is zero, go to u.index keeping 0; else pop */
    OP_OR_JUMP         /* if top is non-zero, set it to 1 and go to u.index;
                          else pop */
};

struct instr {
    enum opcode op;
    size_t column; /* 1-based column reported if this instruction faults */
    union {
        double value;
        size_t index;
    } u;
};

struct ns_expr {
    struct instr *code;
    size_t n_code;
    long *variables; /* distinct slots read, ascending */
    size_t n_variables;
    long *tables;    /* distinct table indices called, ascending */
    size_t n_tables;
};

/* The value of table *(const struct ns_table *)table at arg, or NaN when
 * it has no row for arg: table look-ups for native code (model/jit.c),
 * which passes the table's address as bytes. */
double ns_expr_table_value_at(const char *table, double arg);

#endif

/* netsave: runs a compiled expression (model/expr_code.h), one set of
 * variables at a time or several lanes at once.
 *
 * The compiler has checked the stack depth against NS_EXPR_MAX_DEPTH, so
 * the evaluator uses a fixed array on the C stack with no bounds checks in
 * the loop. Every value produced is checked for finiteness, so the operands
 * of every instruction are finite and a fault is reported at the first
 * instruction that goes wrong, with the column of its operator or function
 * name. */
#include "model/expr.h"
#include "model/expr_code.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Returns true for non-zero, the truth of a value; written with < and >
 * because -Wfloat-equal rightly flags == on doubles elsewhere. */
static bool
truthy(double x)
{
    return x < 0.0 || x > 0.0;
}

/* Fills in the fault, if the caller wants it, and returns NS_EMODEL. */
static enum ns_status
fault_at(struct ns_expr_fault *fault, enum ns_fault_kind kind, size_t column,
         const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum ns_status
fault_at(struct ns_expr_fault *fault, enum ns_fault_kind kind, size_t column,
         const char *fmt, ...)
{
    if (fault != NULL) {
        va_list ap;
        fault->kind = kind;
        fault->column = column;
        va_start(ap, fmt);
        vsnprintf(fault->detail, sizeof fault->detail, fmt, ap);
        va_end(ap);
    }
    return NS_EMODEL;
}

/* Returns the name of a binary operator for fault details. */
static const char *
op_symbol(enum opcode op)
{
    switch (op) {
    case OP_ADD: return "+";
    case OP_SUB: return "-";
    case OP_MUL: return "*";
    case OP_DIV: return "/";
    case OP_POW: return "^";
    case OP_RATE_TO_PROB: return "rate_to_prob";
    case OP_PROB_TO_RATE: return "prob_to_rate";
    default: return "operation";
    }
}

/* Looks up the value of the last row whose key is <= arg (of the row whose
 * key equals arg, for an exact table), or returns false when there is
 * none. */
static bool
table_lookup(const struct ns_table *t, double arg, double *value)
{
    if (t->n == 0 || !(arg >= t->x[0]))
        return false;
    size_t lo = 0, hi = t->n; /* x[lo] <= arg, and arg < x[hi] if hi < n */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->x[mid] <= arg)
            lo = mid;
        else
            hi = mid;
    }
    if (t->exact && t->x[lo] < arg) /* x[lo] <= arg already */
        return false;
    *value = t->y[lo];
    return true;
}

double
ns_expr_table_value_at(const char *table, double arg)
{
    const struct ns_table *t = (const struct ns_table *)(const void *)table;
    double r = 0.0;
    return table_lookup(t, arg, &r) ? r : (double)NAN;
}

enum ns_status
ns_expr_eval(const struct ns_expr *expr, const double *variables,
             const struct ns_table *tables, double *result,
             struct ns_expr_fault *fault)
{
    assert(expr && result);
    assert(expr->n_variables == 0 || variables);
    assert(expr->n_tables == 0 || tables);
    double stack[NS_EXPR_MAX_DEPTH];
    size_t sp = 0; /* stack[sp - 1] is the top */
    const struct instr *code = expr->code;

    if (fault != NULL) {
        fault->kind = NS_FAULT_NONE;
        fault->column = 0;
        fault->detail[0] = '\0';
    }
    for (size_t pc = 0; pc < expr->n_code; pc++) {
        const struct instr *in = &code[pc];
        double a = 0.0, b = 0.0, r;

        switch (in->op) {
        case OP_CONST:
            stack[sp++] = in->u.value;
            continue;
        case OP_LOAD:
            r = variables[in->u.index];
            if (!isfinite(r))
                return fault_at(fault, NS_FAULT_NOT_FINITE, in->column,
                                "variable is %s",
                                isnan(r) ? "nan" : r > 0.0 ? "inf" : "-inf");
            stack[sp++] = r;
            continue;
        case OP_TABLE: {
            const struct ns_table *t = &tables[in->u.index];
            a = stack[sp - 1];
            if (!table_lookup(t, a, &r)) {
                const char *name = t->name ? t->name : "";
                const char *space = t->name ? " " : "";
                if (t->n == 0)
                    return fault_at(fault, NS_FAULT_TABLE_RANGE, in->column,
                                    "table%s%s has no rows", space, name);
                if (isnan(a))
                    return fault_at(fault, NS_FAULT_TABLE_RANGE, in->column,
                                    "table%s%s has no row for nan", space,
                                    name);
                if (t->exact)
                    return fault_at(fault, NS_FAULT_TABLE_RANGE, in->column,
                                    "table%s%s has no row for %g (it covers "
                                    "%g to %g)",
                                    space, name, a, t->x[0], t->x[t->n - 1]);
                return fault_at(fault, NS_FAULT_TABLE_RANGE, in->column,
                                "table%s%s has no row for %g (first key %g)",
                                space, name, a, t->x[0]);
            }
            break;
        }
        case OP_NEG:
            stack[sp - 1] = -stack[sp - 1];
            continue;
        case OP_NOT:
            stack[sp - 1] = truthy(stack[sp - 1]) ? 0.0 : 1.0;
            continue;
        case OP_BOOL:
            stack[sp - 1] = truthy(stack[sp - 1]) ? 1.0 : 0.0;
            continue;
        case OP_JUMP:
            pc = in->u.index - 1;
            continue;
        case OP_JUMP_IF_FALSE:
            if (!truthy(stack[--sp]))
                pc = in->u.index - 1;
            continue;
        case OP_AND_JUMP:
            if (!truthy(stack[sp - 1])) {
                stack[sp - 1] = 0.0;
                pc = in->u.index - 1;
            } else {
                sp--;
            }
            continue;
        case OP_OR_JUMP:
            if (truthy(stack[sp - 1])) {
                stack[sp - 1] = 1.0;
                pc = in->u.index - 1;
            } else {
                sp--;
            }
            continue;
        case OP_EXP:
            a = stack[sp - 1];
            r = exp(a);
            break;
        case OP_LOG:
            a = stack[sp - 1];
            if (!(a > 0.0))
                return fault_at(fault, NS_FAULT_DOMAIN, in->column,
                                "log of %g", a);
            r = log(a);
            break;
        case OP_SQRT:
            a = stack[sp - 1];
            if (a < 0.0)
                return fault_at(fault, NS_FAULT_DOMAIN, in->column,
                                "sqrt of %g", a);
            r = sqrt(a);
            break;
        case OP_ABS:
            stack[sp - 1] = fabs(stack[sp - 1]);
            continue;
        case OP_FLOOR:
            stack[sp - 1] = floor(stack[sp - 1]);
            continue;
        case OP_CEIL:
            stack[sp - 1] = ceil(stack[sp - 1]);
            continue;
        default:
            /* Binary operations: pop b, replace a with the result. */
            b = stack[--sp];
            a = stack[sp - 1];
            switch (in->op) {
            case OP_ADD: r = a + b; break;
            case OP_SUB: r = a - b; break;
            case OP_MUL: r = a * b; break;
            case OP_DIV:
                if (!truthy(b))
                    return fault_at(fault, NS_FAULT_DIV_ZERO, in->column,
                                    "division by zero");
                r = a / b;
                break;
            case OP_POW:
                if (a < 0.0 && floor(b) < b)
                    return fault_at(fault, NS_FAULT_DOMAIN, in->column,
                                    "negative base %g to the non-integer "
                                    "power %g",
                                    a, b);
                r = pow(a, b);
                break;
            case OP_LT: r = a < b; break;
            case OP_LE: r = a <= b; break;
            case OP_GT: r = a > b; break;
            case OP_GE: r = a >= b; break;
            case OP_EQ: r = !(a < b || a > b); break;
            case OP_NE: r = a < b || a > b; break;
            case OP_MIN: r = b < a ? b : a; break;
            case OP_MAX: r = b > a ? b : a; break;
            case OP_RATE_TO_PROB:
                /* expm1 keeps the digits of small rates: 1 - exp(-1e-9)
                 * loses half of them to cancellation. */
                r = -expm1(-a * b);
                break;
            case OP_PROB_TO_RATE:
                if (!(a < 1.0))
                    return fault_at(fault, NS_FAULT_DOMAIN, in->column,
                                    "prob_to_rate of probability %g "
                                    "(must be below 1)",
                                    a);
                if (!(b > 0.0))
                    return fault_at(fault, NS_FAULT_DOMAIN, in->column,
                                    "prob_to_rate over time %g (must be "
                                    "positive)",
                                    b);
                r = -log1p(-a) / b;
                break;
            default:
                /* Unreachable: the compiler emits no other opcode. */
                return fault_at(fault, NS_FAULT_DOMAIN, in->column,
                                "internal error: bad opcode %d", (int)in->op);
            }
            break;
        }
        /* Operations that can overflow or produce NaN end up here. */
        if (!isfinite(r)) {
            if (in->op == OP_TABLE)
                return fault_at(fault, NS_FAULT_NOT_FINITE, in->column,
                                "table value is not finite");
            if (in->op == OP_EXP)
                return fault_at(fault, NS_FAULT_NOT_FINITE, in->column,
                                "result of exp(%g) is not finite", a);
            return fault_at(fault, NS_FAULT_NOT_FINITE, in->column,
                            "result of %g %s %g is not finite", a,
                            op_symbol(in->op), b);
        }
        stack[sp - 1] = r;
    }
    /* The compiler never produces an empty program, and every program
     * leaves exactly one value. */
    *result = stack[0];
    return NS_OK;
}

static enum ns_status eval_lanes(const struct ns_expr *expr,
                                 const double *vars, size_t stride,
                                 size_t lane0, size_t n,
                                 const struct ns_table *tables,
                                 double *result);

/* ns_expr_eval_lanes on lanes lane0 .. lane0 + n - 1 (n at most
 * NS_EXPR_MAX_LANES). Each lane does exactly ns_expr_eval's operations;
 * where lanes take different branches, each lane is run on its own.
 *
 * ns_expr_eval faults on the first value that is not finite. Here a value
 * is checked only where it could stop showing it: + - * (and negation,
 * abs, floor, ceil, log, sqrt) turn inf or NaN into inf or NaN, so their
 * results go unchecked, and the operands of every other operation (x/inf
 * is 0, exp(-inf) is 0, a comparison is 0 or 1) and the final value are
 * checked instead. So the lanes fail exactly when some lane would fault,
 * for a fraction of the checks.
 * Always inlined, so that a call with a constant n (the usual number of
 * lanes) gets loops of known length, which the compiler vectorises. */
static inline __attribute__((always_inline)) enum ns_status
eval_lanes_body(const struct ns_expr *expr, const double *vars,
                size_t stride, size_t lane0, const size_t n,
                const struct ns_table *tables, double *result)
{
    double stack[NS_EXPR_MAX_DEPTH][NS_EXPR_MAX_LANES];
    size_t sp = 0; /* stack[sp - 1] is the top */
    bool bad = false;
    for (size_t pc = 0; pc < expr->n_code; pc++) {
        const struct instr *in = &expr->code[pc];
        double *top = stack[sp > 0 ? sp - 1 : 0], *b = top;
        switch (in->op) {
        case OP_CONST:
            for (size_t i = 0; i < n; i++)
                stack[sp][i] = in->u.value;
            sp++;
            continue;
        case OP_LOAD: {
            /* Variables are finite (see ns_expr_eval_lanes): no check. */
            const double *v = &vars[in->u.index * stride + lane0];
            for (size_t i = 0; i < n; i++)
                stack[sp][i] = v[i];
            sp++;
            continue;
        }
        case OP_TABLE:
            bad |= !ns_all_finite(top, n);
            for (size_t i = 0; i < n; i++) {
                double r = 0.0;
                bad |= !table_lookup(&tables[in->u.index], top[i], &r);
                top[i] = r;
            }
            bad |= !ns_all_finite(top, n);
            break;
        case OP_NEG:
            for (size_t i = 0; i < n; i++)
                top[i] = -top[i];
            continue;
        case OP_NOT:
            bad |= !ns_all_finite(top, n);
            for (size_t i = 0; i < n; i++)
                top[i] = truthy(top[i]) ? 0.0 : 1.0;
            break;
        case OP_BOOL:
            bad |= !ns_all_finite(top, n);
            for (size_t i = 0; i < n; i++)
                top[i] = truthy(top[i]) ? 1.0 : 0.0;
            break;
        case OP_JUMP:
            pc = in->u.index - 1;
            continue;
        case OP_JUMP_IF_FALSE:
        case OP_AND_JUMP:
        case OP_OR_JUMP: {
            if (bad || !ns_all_finite(top, n))
                return NS_EMODEL;
            bool first = truthy(top[0]), same = true;
            for (size_t i = 1; i < n; i++)
                same &= truthy(top[i]) == first;
            if (!same)
                goto one_by_one;
            bool jump = in->op == OP_OR_JUMP ? first : !first;
            if (in->op == OP_JUMP_IF_FALSE || !jump) {
                sp--;
            } else {
                for (size_t i = 0; i < n; i++)
                    top[i] = in->op == OP_OR_JUMP ? 1.0 : 0.0;
            }
            if (jump)
                pc = in->u.index - 1;
            continue;
        }
        case OP_EXP:
            bad |= !ns_all_finite(top, n);
            for (size_t i = 0; i < n; i++)
                top[i] = exp(top[i]);
            break;
        case OP_LOG:
            for (size_t i = 0; i < n; i++) {
                bad |= !(top[i] > 0.0);
                top[i] = log(top[i]);
            }
            break;
        case OP_SQRT:
            for (size_t i = 0; i < n; i++) {
                bad |= top[i] < 0.0;
                top[i] = sqrt(top[i]);
            }
            break;
        case OP_ABS:
            for (size_t i = 0; i < n; i++)
                top[i] = fabs(top[i]);
            continue;
        case OP_FLOOR:
            for (size_t i = 0; i < n; i++)
                top[i] = floor(top[i]);
            continue;
        case OP_CEIL:
            for (size_t i = 0; i < n; i++)
                top[i] = ceil(top[i]);
            continue;
        default:
            /* Binary operations: pop b, replace a with the result. */
            sp--;
            top = stack[sp - 1];
            if (in->op == OP_DIV)
                bad |= !ns_all_finite(b, n); /* x / inf is 0 */
            else if (in->op != OP_ADD && in->op != OP_SUB && in->op != OP_MUL)
                bad |= !ns_all_finite(top, n) || !ns_all_finite(b, n);
            switch (in->op) {
            case OP_ADD:
                for (size_t i = 0; i < n; i++)
                    top[i] = top[i] + b[i];
                break;
            case OP_SUB:
                for (size_t i = 0; i < n; i++)
                    top[i] = top[i] - b[i];
                break;
            case OP_MUL:
                for (size_t i = 0; i < n; i++)
                    top[i] = top[i] * b[i];
                break;
            case OP_DIV:
                for (size_t i = 0; i < n; i++) {
                    bad |= !truthy(b[i]);
                    top[i] = top[i] / b[i];
                }
                break;
            case OP_POW:
                for (size_t i = 0; i < n; i++) {
                    bad |= top[i] < 0.0 && floor(b[i]) < b[i];
                    top[i] = pow(top[i], b[i]);
                }
                break;
            case OP_LT:
                for (size_t i = 0; i < n; i++)
                    top[i] = top[i] < b[i];
                break;
            case OP_LE:
                for (size_t i = 0; i < n; i++)
                    top[i] = top[i] <= b[i];
                break;
            case OP_GT:
                for (size_t i = 0; i < n; i++)
                    top[i] = top[i] > b[i];
                break;
            case OP_GE:
                for (size_t i = 0; i < n; i++)
                    top[i] = top[i] >= b[i];
                break;
            case OP_EQ:
                for (size_t i = 0; i < n; i++)
                    top[i] = !(top[i] < b[i] || top[i] > b[i]);
                break;
            case OP_NE:
                for (size_t i = 0; i < n; i++)
                    top[i] = top[i] < b[i] || top[i] > b[i];
                break;
            case OP_MIN:
                for (size_t i = 0; i < n; i++)
                    top[i] = b[i] < top[i] ? b[i] : top[i];
                break;
            case OP_MAX:
                for (size_t i = 0; i < n; i++)
                    top[i] = b[i] > top[i] ? b[i] : top[i];
                break;
            case OP_RATE_TO_PROB:
                for (size_t i = 0; i < n; i++)
                    top[i] = -expm1(-top[i] * b[i]);
                break;
            case OP_PROB_TO_RATE:
                for (size_t i = 0; i < n; i++) {
                    bad |= !(top[i] < 1.0) || !(b[i] > 0.0);
                    top[i] = -log1p(-top[i]) / b[i];
                }
                break;
            default:
                return NS_EMODEL;
            }
            break;
        }
        if (bad)
            return NS_EMODEL;
    }
    if (!ns_all_finite(stack[0], n))
        return NS_EMODEL;
    for (size_t i = 0; i < n; i++)
        result[i] = stack[0][i];
    return NS_OK;

one_by_one:
    for (size_t i = 0; i < n; i++)
        if (eval_lanes(expr, vars, stride, lane0 + i, 1, tables,
                       &result[i]) != NS_OK)
            return NS_EMODEL;
    return NS_OK;
}

static enum ns_status
eval_lanes(const struct ns_expr *expr, const double *vars, size_t stride,
           size_t lane0, size_t n, const struct ns_table *tables,
           double *result)
{
    return eval_lanes_body(expr, vars, stride, lane0, n, tables, result);
}

/* NS_EXPR_FAST_LANES lanes, with loops of known length. */
static enum ns_status
eval_fast_lanes(const struct ns_expr *expr, const double *vars,
                const struct ns_table *tables, double *result)
{
    return eval_lanes_body(expr, vars, NS_EXPR_FAST_LANES, 0,
                           NS_EXPR_FAST_LANES, tables, result);
}

enum ns_status
ns_expr_eval_lanes(const struct ns_expr *expr, const double *variables,
                   size_t lanes, const struct ns_table *tables,
                   double *result)
{
    assert(expr && result);
    assert(expr->n_variables == 0 || variables);
    assert(expr->n_tables == 0 || tables);
    if (lanes == 0 || lanes > NS_EXPR_MAX_LANES)
        return NS_EMODEL;
    if (lanes == NS_EXPR_FAST_LANES)
        return eval_fast_lanes(expr, variables, tables, result);
    return eval_lanes(expr, variables, lanes, 0, lanes, tables, result);
}


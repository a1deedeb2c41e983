/* netsave: expressions as spreadsheet formulas (output/formula.h).
 *
 * The program is postfix with jumps (model/expr.h lays them out), so it
 * is rebuilt into text with a stack of partial formulas: each step pops
 * its operands' texts and pushes its own. A control step (if, &&, ||)
 * translates the stretch of steps up to its jump target on its own, which
 * leaves exactly one text, and continues after the target. */
#include "output/formula.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* How tightly a text binds, to decide where parentheses are needed. */
enum {
    PREC_CMP = 1,
    PREC_SUM = 3,
    PREC_PRODUCT = 4,
    PREC_POWER = 5,
    PREC_UNARY = 6,
    PREC_ATOM = 9
};

struct node {
    char *text;
    int prec;
    enum ns_expr_step_kind fn; /* NS_STEP_MIN/MAX for a MIN(...)/MAX(...)
                                  that may take more arguments, else CONST */
};

struct translator {
    const struct ns_expr *expr;
    const struct ns_formula_names *names;
    struct node stack[NS_EXPR_MAX_DEPTH];
    size_t sp;
    enum ns_status status;
    char *err;
    size_t err_size;
};

static void fail(struct translator *t, enum ns_status status, const char *fmt,
                 ...) __attribute__((format(printf, 3, 4)));

static void
fail(struct translator *t, enum ns_status status, const char *fmt, ...)
{
    if (t->status != NS_OK)
        return;
    t->status = status;
    if (t->err != NULL && t->err_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->err, t->err_size, fmt, ap);
        va_end(ap);
    }
}

static char *format_text(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* A new string from a format, or NULL when memory runs out. */
static char *
format_text(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void
ns_formula_number(double x, char *buf, size_t size)
{
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, size, "%.*G", digits, x);
        double back = strtod(buf, NULL);
        if (!(back < x || back > x))
            return;
    }
}

static bool
push(struct translator *t, char *text, int prec, enum ns_expr_step_kind fn)
{
    if (text == NULL) {
        fail(t, NS_ENOMEM, "out of memory");
        return false;
    }
    t->stack[t->sp++] = (struct node){text, prec, fn};
    return true;
}

/* The text of n, in parentheses when it binds less tightly than min. */
static char *
operand(const struct node *n, int min)
{
    if (n->prec >= min)
        return format_text("%s", n->text);
    return format_text("(%s)", n->text);
}

static void
drop(struct node *n)
{
    free(n->text);
    n->text = NULL;
}

/* Pushes "a op b". The right operand is parenthesised at equal binding
 * too, so that a+(b+c) is not regrouped: floating point is not
 * associative. A right operand starting with '-' is parenthesised so
 * no "--" or "*-" reaches the spreadsheet's parser. */
static bool
binary_infix(struct translator *t, const char *op, int prec)
{
    struct node b = t->stack[--t->sp], a = t->stack[--t->sp];
    char *ta = operand(&a, prec);
    char *tb = b.prec > prec && b.text[0] != '-' ? format_text("%s", b.text)
                                                 : format_text("(%s)", b.text);
    char *r = ta && tb ? format_text("%s%s%s", ta, op, tb) : NULL;
    free(ta);
    free(tb);
    drop(&a);
    drop(&b);
    return push(t, r, prec, NS_STEP_CONST);
}

static bool
is_constant_text(const struct node *n, double *value)
{
    char *end;
    if (n->prec < PREC_UNARY || n->text[0] == '\0')
        return false;
    *value = strtod(n->text, &end);
    return *end == '\0';
}

/* a^b, written IF(b=0,1,a^b) unless a or b is a non-zero constant:
 * C's pow(0, 0) is 1, Excel's 0^0 an error. */
static bool
power(struct translator *t)
{
    struct node b = t->stack[--t->sp], a = t->stack[--t->sp];
    char *ta = operand(&a, PREC_ATOM), *tb = operand(&b, PREC_ATOM);
    double ca, cb;
    bool plain = (is_constant_text(&a, &ca) && (ca < 0.0 || ca > 0.0)) ||
                 (is_constant_text(&b, &cb) && (cb < 0.0 || cb > 0.0));
    char *r = NULL;
    if (ta && tb)
        r = plain ? format_text("%s^%s", ta, tb)
                  : format_text("IF(%s=0,1,%s^%s)", tb, ta, tb);
    free(ta);
    free(tb);
    drop(&a);
    drop(&b);
    return push(t, r, plain ? PREC_POWER : PREC_ATOM, NS_STEP_CONST);
}

static bool
comparison(struct translator *t, const char *op)
{
    struct node b = t->stack[--t->sp], a = t->stack[--t->sp];
    char *ta = operand(&a, PREC_SUM), *tb = operand(&b, PREC_SUM);
    char *r = ta && tb ? format_text("IF(%s%s%s,1,0)", ta, op, tb) : NULL;
    free(ta);
    free(tb);
    drop(&a);
    drop(&b);
    return push(t, r, PREC_ATOM, NS_STEP_CONST);
}

/* MIN(a,b) or MAX(a,b); min(a, b, c) compiles to MIN(MIN(a,b),c), which
 * is written MIN(a,b,c): the same comparisons in the same order. */
static bool
min_max(struct translator *t, enum ns_expr_step_kind kind)
{
    const char *fn = kind == NS_STEP_MIN ? "MIN" : "MAX";
    struct node b = t->stack[--t->sp], a = t->stack[--t->sp];
    char *r;
    if (a.fn == kind) /* drop a's closing parenthesis */
        r = format_text("%.*s,%s)", (int)strlen(a.text) - 1, a.text, b.text);
    else
        r = format_text("%s(%s,%s)", fn, a.text, b.text);
    drop(&a);
    drop(&b);
    return push(t, r, PREC_ATOM, kind);
}

/* A one-argument function: before, x, after ("LN(", x, ")"). */
static bool
unary_call(struct translator *t, const char *before, const char *after,
           int prec)
{
    struct node a = t->stack[--t->sp];
    char *r = format_text("%s%s%s", before, a.text, after);
    drop(&a);
    return push(t, r, prec, NS_STEP_CONST);
}

static bool
negate(struct translator *t)
{
    struct node a = t->stack[--t->sp];
    char *ta = operand(&a, PREC_ATOM);
    char *r = ta ? format_text("-%s", ta) : NULL;
    free(ta);
    drop(&a);
    return push(t, r, PREC_UNARY, NS_STEP_CONST);
}

/* rate_to_prob(r, t) and prob_to_rate(p, t). */
static bool
conversion(struct translator *t, bool to_prob)
{
    struct node b = t->stack[--t->sp], a = t->stack[--t->sp];
    char *ta = operand(&a, PREC_ATOM), *tb = operand(&b, PREC_ATOM);
    char *r = NULL;
    if (ta && tb)
        r = to_prob ? format_text("1-EXP(-(%s*%s))", ta, tb)
                    : format_text("-LN(1-%s)/%s", ta, tb);
    free(ta);
    free(tb);
    drop(&a);
    drop(&b);
    return push(t, r, to_prob ? PREC_SUM : PREC_PRODUCT, NS_STEP_CONST);
}

static bool
variable(struct translator *t, long slot)
{
    char why[160] = "";
    const char *text = t->names->variable(t->names->ctx, slot, why,
                                          sizeof why);
    if (text == NULL) {
        fail(t, NS_EPARAM, "%s", why[0] ? why : "a variable has no cell");
        return false;
    }
    return push(t, format_text("%s", text), PREC_ATOM, NS_STEP_CONST);
}

static bool
table(struct translator *t, long index)
{
    char why[160] = "";
    const char *keys = NULL, *values = NULL;
    bool exact = false;
    if (t->names->table == NULL ||
        !t->names->table(t->names->ctx, index, &keys, &values, &exact, why,
                         sizeof why)) {
        fail(t, NS_EPARAM, "%s", why[0] ? why : "a table has no range");
        return false;
    }
    struct node a = t->stack[--t->sp];
    char *r = format_text("INDEX(%s,MATCH(%s,%s,%d))", values, a.text, keys,
                          exact ? 0 : 1);
    drop(&a);
    return push(t, r, PREC_ATOM, NS_STEP_CONST);
}

static bool translate_range(struct translator *t, size_t from, size_t to);

/* Translates steps [from, to) on their own: they leave one text, popped
 * into *out. */
static bool
sub_range(struct translator *t, size_t from, size_t to, struct node *out)
{
    size_t sp = t->sp;
    if (!translate_range(t, from, to))
        return false;
    if (t->sp != sp + 1) {
        fail(t, NS_EPARAM, "internal error: unexpected program layout");
        return false;
    }
    *out = t->stack[--t->sp];
    return true;
}

/* if(c, a, b) at step i (JUMP_IF_FALSE); returns the step after it. */
static bool
branch(struct translator *t, size_t i, size_t *next)
{
    size_t else_at = ns_expr_step(t->expr, i).index;
    if (else_at <= i + 1 ||
        ns_expr_step(t->expr, else_at - 1).kind != NS_STEP_JUMP) {
        fail(t, NS_EPARAM, "internal error: unexpected if() layout");
        return false;
    }
    size_t end = ns_expr_step(t->expr, else_at - 1).index;
    struct node c = t->stack[--t->sp], a = {0}, b = {0};
    char *r = NULL;
    if (sub_range(t, i + 1, else_at - 1, &a) && sub_range(t, else_at, end, &b))
        r = format_text("IF(%s<>0,%s,%s)", c.text, a.text, b.text);
    drop(&a);
    drop(&b);
    drop(&c);
    *next = end;
    return t->status == NS_OK && push(t, r, PREC_ATOM, NS_STEP_CONST);
}

/* a && b or a || b at step i; returns the step after it. */
static bool
logic(struct translator *t, size_t i, bool is_and, size_t *next)
{
    size_t end = ns_expr_step(t->expr, i).index;
    if (end <= i + 1 || ns_expr_step(t->expr, end - 1).kind != NS_STEP_BOOL) {
        fail(t, NS_EPARAM, "internal error: unexpected && or || layout");
        return false;
    }
    struct node a = t->stack[--t->sp], b = {0};
    char *ta = operand(&a, PREC_SUM), *r = NULL;
    if (ta && sub_range(t, i + 1, end - 1, &b)) {
        char *tb = operand(&b, PREC_SUM);
        if (tb)
            r = is_and ? format_text("IF(%s<>0,IF(%s<>0,1,0),0)", ta, tb)
                       : format_text("IF(%s<>0,1,IF(%s<>0,1,0))", ta, tb);
        free(tb);
    }
    free(ta);
    drop(&a);
    drop(&b);
    *next = end;
    return t->status == NS_OK && push(t, r, PREC_ATOM, NS_STEP_CONST);
}

static bool
step(struct translator *t, size_t i, size_t *next)
{
    struct ns_expr_step s = ns_expr_step(t->expr, i);
    char num[40];
    *next = i + 1;
    switch (s.kind) {
    case NS_STEP_CONST:
        ns_formula_number(s.value, num, sizeof num);
        return push(t, format_text("%s", num),
                    s.value < 0.0 ? PREC_UNARY : PREC_ATOM, NS_STEP_CONST);
    case NS_STEP_VARIABLE: return variable(t, (long)s.index);
    case NS_STEP_TABLE: return table(t, (long)s.index);
    case NS_STEP_NEG: return negate(t);
    case NS_STEP_NOT: return unary_call(t, "IF(", "<>0,0,1)", PREC_ATOM);
    case NS_STEP_BOOL: return unary_call(t, "IF(", "<>0,1,0)", PREC_ATOM);
    case NS_STEP_ADD: return binary_infix(t, "+", PREC_SUM);
    case NS_STEP_SUB: return binary_infix(t, "-", PREC_SUM);
    case NS_STEP_MUL: return binary_infix(t, "*", PREC_PRODUCT);
    case NS_STEP_DIV: return binary_infix(t, "/", PREC_PRODUCT);
    case NS_STEP_POW: return power(t);
    case NS_STEP_LT: return comparison(t, "<");
    case NS_STEP_LE: return comparison(t, "<=");
    case NS_STEP_GT: return comparison(t, ">");
    case NS_STEP_GE: return comparison(t, ">=");
    case NS_STEP_EQ: return comparison(t, "=");
    case NS_STEP_NE: return comparison(t, "<>");
    case NS_STEP_MIN:
    case NS_STEP_MAX: return min_max(t, s.kind);
    case NS_STEP_EXP: return unary_call(t, "EXP(", ")", PREC_ATOM);
    case NS_STEP_LOG: return unary_call(t, "LN(", ")", PREC_ATOM);
    case NS_STEP_SQRT: return unary_call(t, "SQRT(", ")", PREC_ATOM);
    case NS_STEP_ABS: return unary_call(t, "ABS(", ")", PREC_ATOM);
    case NS_STEP_FLOOR: return unary_call(t, "INT(", ")", PREC_ATOM);
    case NS_STEP_CEIL: return unary_call(t, "-INT(-(", "))", PREC_UNARY);
    case NS_STEP_RATE_TO_PROB: return conversion(t, true);
    case NS_STEP_PROB_TO_RATE: return conversion(t, false);
    case NS_STEP_JUMP_IF_FALSE: return branch(t, i, next);
    case NS_STEP_AND_JUMP: return logic(t, i, true, next);
    case NS_STEP_OR_JUMP: return logic(t, i, false, next);
    case NS_STEP_JUMP: break;
    }
    fail(t, NS_EPARAM, "internal error: a jump outside if()");
    return false;
}

static bool
translate_range(struct translator *t, size_t from, size_t to)
{
    size_t i = from;
    while (i < to) {
        if (!step(t, i, &i))
            return false;
    }
    return true;
}

enum ns_status
ns_formula_translate(const struct ns_expr *expr,
                     const struct ns_formula_names *names, char **out,
                     char *err, size_t err_size)
{
    struct translator t = {.expr = expr, .names = names, .status = NS_OK,
                           .err = err, .err_size = err_size};
    *out = NULL;
    if (err != NULL && err_size > 0)
        err[0] = '\0';
    bool ok = translate_range(&t, 0, ns_expr_n_steps(expr));
    if (ok && t.sp != 1)
        fail(&t, NS_EPARAM, "internal error: the program left %zu values",
             t.sp);
    if (t.status == NS_OK)
        *out = t.stack[0].text;
    else
        for (size_t i = 0; i < t.sp; i++)
            free(t.stack[i].text);
    return t.status;
}

static bool
is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Letters then at least one digit, nothing else: A1 style. */
static bool
looks_a1(const char *s)
{
    size_t i = 0;
    while (is_alpha(s[i]))
        i++;
    if (i == 0 || i > 3 || !is_digit(s[i]))
        return false;
    while (is_digit(s[i]))
        i++;
    return s[i] == '\0';
}

/* R[digits][C[digits]] or C[digits]: R1C1 style, any case. */
static bool
looks_r1c1(const char *s)
{
    size_t i = 0;
    if (s[i] == 'r' || s[i] == 'R') {
        i++;
        while (is_digit(s[i]))
            i++;
    }
    if (s[i] == 'c' || s[i] == 'C') {
        i++;
        while (is_digit(s[i]))
            i++;
    }
    return i > 0 && s[i] == '\0';
}

bool
ns_formula_name_ok(const char *name)
{
    if (!is_alpha(name[0]) && name[0] != '_')
        return false;
    for (const char *c = name; *c; c++)
        if (!is_alpha(*c) && !is_digit(*c) && *c != '_' && *c != '.')
            return false;
    if (strlen(name) > 255 || looks_a1(name) || looks_r1c1(name))
        return false;
    return strcasecmp(name, "TRUE") != 0 && strcasecmp(name, "FALSE") != 0;
}

void
ns_formula_name(const char *name, char *buf, size_t size)
{
    if (size == 0)
        return;
    size_t n = 0;
    if (!is_alpha(name[0]) && name[0] != '_' && n + 1 < size)
        buf[n++] = '_';
    for (const char *c = name; *c && n + 2 < size; c++)
        buf[n++] = is_alpha(*c) || is_digit(*c) || *c == '.' ? *c : '_';
    buf[n] = '\0';
    if (!ns_formula_name_ok(buf) && n + 1 < size) {
        buf[n++] = '_';
        buf[n] = '\0';
    }
}

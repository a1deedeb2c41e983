/* netsave: compiles expression text to a postfix program (run by
 * model/expr_eval.c).
 *
 * The compiler is a recursive-descent parser that emits code as it goes:
 * each grammar rule leaves exactly one value on the evaluation stack, so
 * the stack depth is known at every instruction and the deepest point is
 * checked against NS_EXPR_MAX_DEPTH once, at compile time. That lets the
 * evaluator use a fixed array on the C stack with no bounds checks in the
 * loop. if(), && and || compile to forward jumps, so an untaken branch is
 * never evaluated and cannot fault. min() and max() of n arguments compile
 * to n - 1 pairwise steps so a long argument list does not deepen the
 * stack. Every value produced is checked for finiteness, so the operands
 * of every instruction are finite and faults are reported at the first
 * instruction that goes wrong, with the column of its operator or
 * function name. Columns count bytes; they equal characters because the
 * first byte outside printable ASCII is itself an error. */
#include "model/expr.h"
#include "model/expr_code.h"

#include <errno.h>
#include <limits.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parser recursion is bounded separately from the evaluation stack:
 * "((((x))))" needs one stack slot but one C stack frame per level, and
 * expressions come from files that anyone may write. */
#define MAX_NESTING 128

/* Longest name or lexeme quoted in an error message; the rest is elided
 * so one absurd token cannot push the column out of a short buffer. */
#define MAX_QUOTED 64

enum token_kind {
    TOK_END,
    TOK_NUMBER,
    TOK_NAME,
    TOK_PLUS,
    TOK_MINUS,
    TOK_STAR,
    TOK_SLASH,
    TOK_CARET,
    TOK_LPAREN,
    TOK_RPAREN,
    TOK_COMMA,
    TOK_LT,
    TOK_LE,
    TOK_GT,
    TOK_GE,
    TOK_EQ,
    TOK_NE,
    TOK_AND,
    TOK_OR,
    TOK_NOT
};

struct token {
    enum token_kind kind;
    size_t start; /* byte offset in the text */
    size_t len;
    double value; /* TOK_NUMBER only */
};

enum builtin {
    FN_EXP,
    FN_LOG,
    FN_SQRT,
    FN_ABS,
    FN_FLOOR,
    FN_CEIL,
    FN_MIN,
    FN_MAX,
    FN_IF,
    FN_RATE_TO_PROB,
    FN_PROB_TO_RATE,
    FN_COUNT
};

static const struct {
    const char *name;
    size_t arity; /* 0 for min and max: two or more */
    enum opcode op;
} builtins[FN_COUNT] = {
    [FN_EXP] = {"exp", 1, OP_EXP},
    [FN_LOG] = {"log", 1, OP_LOG},
    [FN_SQRT] = {"sqrt", 1, OP_SQRT},
    [FN_ABS] = {"abs", 1, OP_ABS},
    [FN_FLOOR] = {"floor", 1, OP_FLOOR},
    [FN_CEIL] = {"ceil", 1, OP_CEIL},
    [FN_MIN] = {"min", 0, OP_MIN},
    [FN_MAX] = {"max", 0, OP_MAX},
    [FN_IF] = {"if", 3, OP_JUMP},
    [FN_RATE_TO_PROB] = {"rate_to_prob", 2, OP_RATE_TO_PROB},
    [FN_PROB_TO_RATE] = {"prob_to_rate", 2, OP_PROB_TO_RATE},
};

struct parser {
    const char *text;
    size_t text_len;
    const struct ns_expr_resolver *resolver;
    struct token tok;  /* current token */
    struct token prev; /* token before it, for the thousands-separator hint */
    size_t nesting;

    struct instr *code;
    size_t n_code, cap_code;
    size_t depth, max_depth; /* evaluation stack at the end of code */

    enum ns_status status; /* first failure; NS_OK while parsing goes on */
    char *err;
    size_t err_size;
};

/* Records the first failure with a formatted message; later ones are
 * consequences of it and are dropped. */
static void fail(struct parser *p, enum ns_status status, const char *fmt,
                 ...) __attribute__((format(printf, 3, 4)));

static void
fail(struct parser *p, enum ns_status status, const char *fmt, ...)
{
    if (p->status != NS_OK)
        return;
    p->status = status;
    if (p->err != NULL && p->err_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err, p->err_size, fmt, ap);
        va_end(ap);
    }
}

/* Returns a length fit for "%.*s" in a message, capped at MAX_QUOTED. */
static int
quoted_len(size_t len)
{
    return len > MAX_QUOTED ? MAX_QUOTED : (int)len;
}

/* Returns true for the characters that may start a name. */
static bool
is_name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* Returns true for a decimal digit, whatever the locale. */
static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Returns true for the characters that may continue a name. */
static bool
is_name_char(char c)
{
    return is_name_start(c) || is_digit(c);
}

/* Returns true for blanks between tokens; a value read from a file may
 * carry a stray tab or carriage return. */
static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
           c == '\v';
}

/* Returns the length of the valid UTF-8 sequence at s (at most avail
 * bytes), or 0 if there is none, so a stray '×' is quoted whole. */
static size_t
utf8_len(const unsigned char *s, size_t avail)
{
    size_t n;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4;
    else
        return 0;
    if (n > avail)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* Reports the character at offset pos as unexpected, with a hint for the
 * mistakes analysts make most: percentages and single '=', '&', '|'. */
static void
fail_character(struct parser *p, size_t pos)
{
    const char *s = p->text + pos;
    size_t col = pos + 1;
    unsigned char c = (unsigned char)*s;

    if (c == '%')
        fail(p, NS_EPARAM,
             "unexpected character '%%' at column %zu; write percentages "
             "as fractions, e.g. 0.12",
             col);
    else if (c == '=')
        fail(p, NS_EPARAM,
             "unexpected character '=' at column %zu; write '==' to compare",
             col);
    else if (c == '&' || c == '|')
        fail(p, NS_EPARAM,
             "unexpected character '%c' at column %zu; write '%c%c' for "
             "logical %s",
             c, col, c, c, c == '&' ? "and" : "or");
    else if (c > 0x20 && c < 0x7f)
        fail(p, NS_EPARAM, "unexpected character '%c' at column %zu", c, col);
    else {
        size_t n = utf8_len((const unsigned char *)s, p->text_len - pos);
        if (n > 0)
            fail(p, NS_EPARAM, "unexpected character '%.*s' at column %zu",
                 (int)n, s, col);
        else
            fail(p, NS_EPARAM, "unexpected byte 0x%02x at column %zu", c,
                 col);
    }
}

/* Returns the end of the run of characters that a malformed number
 * visibly consists of ("0x1p3", "1.2.3", "3abc"), starting at end. */
static size_t
number_junk_end(const char *text, size_t end)
{
    while (is_name_char(text[end]) || text[end] == '.')
        end++;
    return end;
}

/* Scans the number at offset start into t; on a malformed lexeme fails.
 * The lexeme is checked by hand before strtod sees it because strtod also
 * accepts hexadecimal, "inf" and "nan", which are not numbers here. */
static bool
lex_number(struct parser *p, size_t start, struct token *t)
{
    const char *s = p->text;
    size_t i = start;
    size_t digits = 0;

    while (is_digit(s[i])) {
        i++;
        digits++;
    }
    if (s[i] == '.') {
        i++;
        while (is_digit(s[i])) {
            i++;
            digits++;
        }
    }
    bool ok = digits > 0;
    if (ok && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (s[j] == '+' || s[j] == '-')
            j++;
        if (is_digit(s[j])) {
            while (is_digit(s[j]))
                j++;
            i = j;
        } else {
            ok = false;
            i = j;
        }
    }
    if (!ok || is_name_char(s[i]) || s[i] == '.') {
        size_t end = number_junk_end(s, i);
        fail(p, NS_EPARAM, "malformed number '%.*s' at column %zu",
             quoted_len(end - start), s + start, start + 1);
        return false;
    }

    /* The lexeme is plain decimal, so strtod reads exactly it, unless a
     * caller has set a locale whose decimal point is not '.'. */
    char *stop;
    errno = 0;
    double v = strtod(s + start, &stop);
    if (stop != s + i) {
        fail(p, NS_EPARAM,
             "malformed number '%.*s' at column %zu (the C library's "
             "locale does not use '.' for decimals)",
             quoted_len(i - start), s + start, start + 1);
        return false;
    }
    /* Underflow to a denormal or to zero is harmless; overflow is not. */
    if (errno == ERANGE && fabs(v) > 1.0) {
        fail(p, NS_EPARAM, "number out of range '%.*s' at column %zu",
             quoted_len(i - start), s + start, start + 1);
        return false;
    }
    t->kind = TOK_NUMBER;
    t->start = start;
    t->len = i - start;
    t->value = v;
    return true;
}

/* Moves to the next token; fails on a character that starts none. */
static bool
advance(struct parser *p)
{
    const char *s = p->text;
    size_t i = p->tok.start + p->tok.len;

    while (is_space(s[i]))
        i++;
    p->prev = p->tok;
    struct token *t = &p->tok;
    t->start = i;
    t->len = 1;
    t->value = 0.0;

    char c = s[i];
    char next = c != '\0' ? s[i + 1] : '\0';
    if (c == '\0') {
        t->kind = TOK_END;
        t->len = 0;
        return true;
    }
    if (is_digit(c) || (c == '.' && is_digit(next)))
        return lex_number(p, i, t);
    if (is_name_start(c)) {
        size_t j = i;
        while (is_name_char(s[j]))
            j++;
        t->kind = TOK_NAME;
        t->len = j - i;
        return true;
    }
    switch (c) {
    case '+': t->kind = TOK_PLUS; return true;
    case '-': t->kind = TOK_MINUS; return true;
    case '*': t->kind = TOK_STAR; return true;
    case '/': t->kind = TOK_SLASH; return true;
    case '^': t->kind = TOK_CARET; return true;
    case '(': t->kind = TOK_LPAREN; return true;
    case ')': t->kind = TOK_RPAREN; return true;
    case ',': t->kind = TOK_COMMA; return true;
    default: break;
    }
    bool two = true;
    if (c == '<' && next == '=')
        t->kind = TOK_LE;
    else if (c == '>' && next == '=')
        t->kind = TOK_GE;
    else if (c == '=' && next == '=')
        t->kind = TOK_EQ;
    else if (c == '!' && next == '=')
        t->kind = TOK_NE;
    else if (c == '&' && next == '&')
        t->kind = TOK_AND;
    else if (c == '|' && next == '|')
        t->kind = TOK_OR;
    else
        two = false;
    if (two) {
        t->len = 2;
        return true;
    }
    if (c == '<')
        t->kind = TOK_LT;
    else if (c == '>')
        t->kind = TOK_GT;
    else if (c == '!')
        t->kind = TOK_NOT;
    else {
        fail_character(p, i);
        return false;
    }
    return true;
}

/* Reports that the current token is not what the grammar needs here,
 * described as 'what'. A comma glued between digits is diagnosed as a
 * number written with a thousands separator or a decimal comma, since
 * that is what the analyst meant far more often than a syntax slip. */
static void
fail_expected(struct parser *p, const char *what)
{
    const char *s = p->text;
    const struct token *t = &p->tok;

    if (t->kind == TOK_COMMA && p->prev.kind == TOK_NUMBER &&
        p->prev.start + p->prev.len == t->start && is_digit(s[t->start + 1])) {
        size_t start = p->prev.start;
        size_t end = t->start;
        for (;;) {
            if (is_digit(s[end]) || s[end] == '.')
                end++;
            else if (s[end] == ',' && is_digit(s[end + 1]))
                end++;
            else
                break;
        }
        fail(p, NS_EPARAM,
             "malformed number '%.*s' at column %zu: use a dot for decimals "
             "and no thousands separators",
             quoted_len(end - start), s + start, start + 1);
        return;
    }
    if (t->kind == TOK_END)
        fail(p, NS_EPARAM, "expected %s at column %zu, got end of expression",
             what, t->start + 1);
    else
        fail(p, NS_EPARAM, "expected %s at column %zu, got '%.*s'", what,
             t->start + 1, quoted_len(t->len), s + t->start);
}

/* Appends an instruction whose stack effect is delta, tracking depth. */
static bool
emit(struct parser *p, enum opcode op, size_t column, int delta)
{
    if (p->n_code == p->cap_code) {
        size_t cap = p->cap_code ? 2 * p->cap_code : 16;
        if (cap > SIZE_MAX / sizeof *p->code) {
            fail(p, NS_ENOMEM, "out of memory");
            return false;
        }
        struct instr *code = realloc(p->code, cap * sizeof *code);
        if (code == NULL) {
            fail(p, NS_ENOMEM, "out of memory");
            return false;
        }
        p->code = code;
        p->cap_code = cap;
    }
    struct instr *in = &p->code[p->n_code++];
    memset(in, 0, sizeof *in);
    in->op = op;
    in->column = column;
    if (delta >= 0)
        p->depth += (size_t)delta;
    else
        p->depth -= (size_t)-delta;
    if (p->depth > p->max_depth)
        p->max_depth = p->depth;
    return true;
}

/* Points the jump at index 'at' to the next instruction to be emitted. */
static void
patch(struct parser *p, size_t at)
{
    p->code[at].u.index = p->n_code;
}

static bool parse_expr(struct parser *p);
static bool parse_unary(struct parser *p);

/* Returns the built-in function named by the token, or FN_COUNT. */
static enum builtin
find_builtin(const struct parser *p, const struct token *name)
{
    for (int f = 0; f < FN_COUNT; f++)
        if (strlen(builtins[f].name) == name->len &&
            memcmp(builtins[f].name, p->text + name->start, name->len) == 0)
            return (enum builtin)f;
    return FN_COUNT;
}

/* Returns the slot of a variable name, or -1 when the resolver has none. */
static long
resolve_variable(const struct parser *p, const struct token *name)
{
    const struct ns_expr_resolver *r = p->resolver;
    if (r == NULL || r->variable == NULL)
        return -1;
    long slot = r->variable(r->ctx, p->text + name->start, name->len);
    return slot >= 0 ? slot : -1;
}

/* Returns the index of a table name, or -1 when the resolver has none. */
static long
resolve_table(const struct parser *p, const struct token *name)
{
    const struct ns_expr_resolver *r = p->resolver;
    if (r == NULL || r->table == NULL)
        return -1;
    long index = r->table(r->ctx, p->text + name->start, name->len);
    return index >= 0 ? index : -1;
}

/* Compiles the arguments of a call whose name has been consumed and whose
 * '(' is the current token, leaving one value for the call's result. */
static bool
parse_call(struct parser *p, const struct token *name)
{
    const char *fname = p->text + name->start;
    int flen = quoted_len(name->len);
    size_t column = name->start + 1;
    enum builtin fn = find_builtin(p, name);
    long table = -1;

    if (fn == FN_COUNT) {
        table = resolve_table(p, name);
        if (table < 0) {
            if (resolve_variable(p, name) >= 0)
                fail(p, NS_EPARAM,
                     "'%.*s' at column %zu is a variable, not a function",
                     flen, fname, column);
            else
                fail(p, NS_EPARAM, "unknown function '%.*s' at column %zu",
                     flen, fname, column);
            return false;
        }
    }
    if (!advance(p))
        return false;

    size_t argc = 0;
    size_t if_false = 0, if_end = 0; /* jumps of if(), to patch */
    size_t depth_before = p->depth;
    if (p->tok.kind != TOK_RPAREN) {
        for (;;) {
            if (fn == FN_IF && argc == 1) {
                if_false = p->n_code;
                if (!emit(p, OP_JUMP_IF_FALSE, column, -1))
                    return false;
            } else if (fn == FN_IF && argc == 2) {
                if_end = p->n_code;
                if (!emit(p, OP_JUMP, column, 0))
                    return false;
                patch(p, if_false);
                p->depth--; /* the else branch starts without the then value */
            }
            if (!parse_expr(p))
                return false;
            argc++;
            if ((fn == FN_MIN || fn == FN_MAX) && argc >= 2 &&
                !emit(p, builtins[fn].op, column, -1))
                return false;
            if (p->tok.kind != TOK_COMMA)
                break;
            if (!advance(p))
                return false;
        }
    }
    if (p->tok.kind != TOK_RPAREN) {
        fail_expected(p, p->tok.kind == TOK_END ? "')'" : "',' or ')'");
        return false;
    }

    if (fn == FN_COUNT) {
        if (argc != 1) {
            fail(p, NS_EPARAM, "table %.*s needs 1 argument, got %zu", flen,
                 fname, argc);
            return false;
        }
        if (!emit(p, OP_TABLE, column, 0))
            return false;
        p->code[p->n_code - 1].u.index = (size_t)table;
    } else if (builtins[fn].arity == 0) {
        if (argc < 2) {
            fail(p, NS_EPARAM,
                 "function %s needs at least 2 arguments, got %zu",
                 builtins[fn].name, argc);
            return false;
        }
    } else if (argc != builtins[fn].arity) {
        fail(p, NS_EPARAM, "function %s needs %zu argument%s, got %zu",
             builtins[fn].name, builtins[fn].arity,
             builtins[fn].arity == 1 ? "" : "s", argc);
        return false;
    } else if (fn == FN_IF) {
        patch(p, if_end);
    } else if (!emit(p, builtins[fn].op, column,
                     1 - (int)builtins[fn].arity)) {
        return false;
    }
    /* Whatever the function, the call leaves exactly one value. */
    if (p->depth != depth_before + 1) {
        fail(p, NS_EPARAM, "internal error: stack depth after %.*s",
             flen, fname);
        return false;
    }
    return advance(p);
}

/* Compiles a name that is not followed by '(': a variable read. */
static bool
parse_variable(struct parser *p, const struct token *name)
{
    const char *s = p->text + name->start;
    int len = quoted_len(name->len);
    size_t column = name->start + 1;
    long slot = resolve_variable(p, name);

    if (slot >= 0) {
        if (!emit(p, OP_LOAD, column, 1))
            return false;
        p->code[p->n_code - 1].u.index = (size_t)slot;
        return true;
    }
    if (find_builtin(p, name) != FN_COUNT || resolve_table(p, name) >= 0) {
        fail(p, NS_EPARAM,
             "'%.*s' at column %zu is a function: write %.*s(...)", len, s,
             column, len, s);
        return false;
    }
    const struct ns_expr_resolver *r = p->resolver;
    const char *near = NULL;
    if (r != NULL && r->suggest != NULL)
        near = r->suggest(r->ctx, s, name->len);
    if (near != NULL)
        fail(p, NS_EPARAM,
             "undefined name '%.*s' at column %zu; did you mean '%s'?", len, s,
             column, near);
    else
        fail(p, NS_EPARAM, "undefined name '%.*s' at column %zu", len, s,
             column);
    return false;
}

/* primary := number | name | name "(" args ")" | "(" expr ")" */
static bool
parse_primary(struct parser *p)
{
    struct token t = p->tok;

    switch (t.kind) {
    case TOK_NUMBER:
        if (!emit(p, OP_CONST, t.start + 1, 1))
            return false;
        p->code[p->n_code - 1].u.value = t.value;
        return advance(p);
    case TOK_NAME:
        if (!advance(p))
            return false;
        if (p->tok.kind == TOK_LPAREN)
            return parse_call(p, &t);
        return parse_variable(p, &t);
    case TOK_LPAREN:
        if (!advance(p) || !parse_expr(p))
            return false;
        if (p->tok.kind != TOK_RPAREN) {
            fail_expected(p, "')'");
            return false;
        }
        return advance(p);
    default:
        fail_expected(p, "a number, a name or '('");
        return false;
    }
}

/* power := primary [ "^" unary ] */
static bool
parse_power(struct parser *p)
{
    if (!parse_primary(p))
        return false;
    if (p->tok.kind != TOK_CARET)
        return true;
    size_t column = p->tok.start + 1;
    return advance(p) && parse_unary(p) && emit(p, OP_POW, column, -1);
}

/* Compiles the operand and the operator of a prefix operator whose token
 * is current. */
static bool
parse_prefix(struct parser *p)
{
    enum token_kind k = p->tok.kind;
    size_t column = p->tok.start + 1;

    if (!advance(p) || !parse_unary(p))
        return false;
    if (k == TOK_MINUS)
        return emit(p, OP_NEG, column, 0);
    if (k == TOK_NOT)
        return emit(p, OP_NOT, column, 0);
    return true;
}

/* unary := ("-" | "+" | "!") unary | power. Every recursive path of the
 * grammar (parentheses, arguments, prefix operators, "^") passes through
 * here, so this is where nesting is bounded. */
static bool
parse_unary(struct parser *p)
{
    if (p->nesting >= MAX_NESTING) {
        fail(p, NS_EPARAM,
             "expression nested too deeply at column %zu (at most %d levels)",
             p->tok.start + 1, MAX_NESTING);
        return false;
    }
    enum token_kind k = p->tok.kind;
    p->nesting++;
    bool ok = k == TOK_MINUS || k == TOK_PLUS || k == TOK_NOT
                  ? parse_prefix(p)
                  : parse_power(p);
    p->nesting--;
    return ok;
}

/* product := unary { ("*" | "/") unary } */
static bool
parse_product(struct parser *p)
{
    if (!parse_unary(p))
        return false;
    while (p->tok.kind == TOK_STAR || p->tok.kind == TOK_SLASH) {
        enum opcode op = p->tok.kind == TOK_STAR ? OP_MUL : OP_DIV;
        size_t column = p->tok.start + 1;
        if (!advance(p) || !parse_unary(p) || !emit(p, op, column, -1))
            return false;
    }
    return true;
}

/* sum := product { ("+" | "-") product } */
static bool
parse_sum(struct parser *p)
{
    if (!parse_product(p))
        return false;
    while (p->tok.kind == TOK_PLUS || p->tok.kind == TOK_MINUS) {
        enum opcode op = p->tok.kind == TOK_PLUS ? OP_ADD : OP_SUB;
        size_t column = p->tok.start + 1;
        if (!advance(p) || !parse_product(p) || !emit(p, op, column, -1))
            return false;
    }
    return true;
}

/* Returns the comparison opcode of a token kind, or OP_CONST for none. */
static enum opcode
comparison_op(enum token_kind k)
{
    switch (k) {
    case TOK_LT: return OP_LT;
    case TOK_LE: return OP_LE;
    case TOK_GT: return OP_GT;
    case TOK_GE: return OP_GE;
    case TOK_EQ: return OP_EQ;
    case TOK_NE: return OP_NE;
    default: return OP_CONST;
    }
}

/* cmp := sum [ ("<" | "<=" | ">" | ">=" | "==" | "!=") sum ]. A second
 * comparison gets its own message: "a < b < c" is a common slip and
 * would otherwise read as a baffling "expected an operator". */
static bool
parse_cmp(struct parser *p)
{
    if (!parse_sum(p))
        return false;
    enum opcode op = comparison_op(p->tok.kind);
    if (op == OP_CONST)
        return true;
    size_t column = p->tok.start + 1;
    if (!advance(p) || !parse_sum(p) || !emit(p, op, column, -1))
        return false;
    if (comparison_op(p->tok.kind) != OP_CONST) {
        fail(p, NS_EPARAM,
             "comparisons cannot be chained at column %zu; combine them "
             "with && (a < b && b < c)",
             p->tok.start + 1);
        return false;
    }
    return true;
}

/* and := cmp { "&&" cmp } */
static bool
parse_and(struct parser *p)
{
    if (!parse_cmp(p))
        return false;
    while (p->tok.kind == TOK_AND) {
        size_t column = p->tok.start + 1;
        size_t jump = p->n_code;
        if (!emit(p, OP_AND_JUMP, column, -1) || !advance(p) ||
            !parse_cmp(p) || !emit(p, OP_BOOL, column, 0))
            return false;
        patch(p, jump);
    }
    return true;
}

/* or := and { "||" and } */
static bool
parse_or(struct parser *p)
{
    if (!parse_and(p))
        return false;
    while (p->tok.kind == TOK_OR) {
        size_t column = p->tok.start + 1;
        size_t jump = p->n_code;
        if (!emit(p, OP_OR_JUMP, column, -1) || !advance(p) ||
            !parse_and(p) || !emit(p, OP_BOOL, column, 0))
            return false;
        patch(p, jump);
    }
    return true;
}

/* expr := or */
static bool
parse_expr(struct parser *p)
{
    return parse_or(p);
}

/* Compares two longs for qsort. */
static int
compare_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* Collects the distinct operands of the instructions with opcode op into
 * a new ascending array; returns false only when memory runs out. */
static bool
collect_indices(const struct instr *code, size_t n_code, enum opcode op,
                long **out, size_t *n_out)
{
    size_t n = 0;
    *out = NULL;
    *n_out = 0;
    for (size_t i = 0; i < n_code; i++)
        if (code[i].op == op)
            n++;
    if (n == 0)
        return true;
    long *v = malloc(n * sizeof *v);
    if (v == NULL)
        return false;
    n = 0;
    for (size_t i = 0; i < n_code; i++)
        if (code[i].op == op)
            v[n++] = (long)code[i].u.index;
    qsort(v, n, sizeof *v, compare_long);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[k - 1])
            v[k++] = v[i];
    *out = v;
    *n_out = k;
    return true;
}

enum ns_status
ns_expr_compile(const char *text, const struct ns_expr_resolver *resolver,
                struct ns_expr **out, char *err, size_t err_size)
{
    struct parser p = {0};

    *out = NULL;
    if (err != NULL && err_size > 0)
        err[0] = '\0';
    p.text = text != NULL ? text : "";
    p.text_len = strlen(p.text);
    p.resolver = resolver;
    p.err = err;
    p.err_size = err_size;
    p.status = NS_OK;

    /* Prime the lexer: a zero-length token at offset 0. */
    p.tok.kind = TOK_END;
    if (!advance(&p))
        goto fail;
    if (p.tok.kind == TOK_END) {
        fail(&p, NS_EPARAM, "empty expression");
        goto fail;
    }
    if (!parse_expr(&p))
        goto fail;
    if (p.tok.kind != TOK_END) {
        if (p.tok.kind == TOK_RPAREN)
            fail(&p, NS_EPARAM, "unmatched ')' at column %zu",
                 p.tok.start + 1);
        else
            fail_expected(&p, "an operator");
        goto fail;
    }
    if (p.max_depth > NS_EXPR_MAX_DEPTH) {
        fail(&p, NS_EPARAM,
             "expression nested too deeply: it needs %zu evaluation stack "
             "slots, at most %d",
             p.max_depth, NS_EXPR_MAX_DEPTH);
        goto fail;
    }

    struct ns_expr *e = calloc(1, sizeof *e);
    if (e == NULL) {
        fail(&p, NS_ENOMEM, "out of memory");
        goto fail;
    }
    e->code = p.code;
    e->n_code = p.n_code;
    p.code = NULL;
    if (!collect_indices(e->code, e->n_code, OP_LOAD, &e->variables,
                         &e->n_variables) ||
        !collect_indices(e->code, e->n_code, OP_TABLE, &e->tables,
                         &e->n_tables)) {
        ns_expr_free(e);
        fail(&p, NS_ENOMEM, "out of memory");
        goto fail;
    }
    *out = e;
    return NS_OK;

fail:
    free(p.code);
    return p.status;
}

void
ns_expr_free(struct ns_expr *expr)
{
    if (expr == NULL)
        return;
    free(expr->code);
    free(expr->variables);
    free(expr->tables);
    free(expr);
}

size_t
ns_expr_n_variables(const struct ns_expr *expr)
{
    return expr->n_variables;
}

long
ns_expr_variable(const struct ns_expr *expr, size_t i)
{
    return i < expr->n_variables ? expr->variables[i] : -1;
}

size_t
ns_expr_n_tables(const struct ns_expr *expr)
{
    return expr->n_tables;
}

long
ns_expr_table(const struct ns_expr *expr, size_t i)
{
    return i < expr->n_tables ? expr->tables[i] : -1;
}

bool
ns_expr_is_constant(const struct ns_expr *expr, double *value)
{
    if (expr->n_variables > 0 || expr->n_tables > 0)
        return false;
    double v;
    if (ns_expr_eval(expr, NULL, NULL, &v, NULL) != NS_OK)
        return false;
    if (value != NULL)
        *value = v;
    return true;
}

size_t
ns_expr_n_steps(const struct ns_expr *expr)
{
    return expr->n_code;
}

/* The public step kinds name the private opcodes one for one, in order. */
_Static_assert((int)NS_STEP_OR_JUMP == (int)OP_OR_JUMP &&
                   (int)NS_STEP_CONST == (int)OP_CONST &&
                   (int)NS_STEP_JUMP == (int)OP_JUMP &&
                   (int)NS_STEP_RATE_TO_PROB == (int)OP_RATE_TO_PROB,
               "ns_expr_step_kind must follow enum opcode");

struct ns_expr_step
ns_expr_step(const struct ns_expr *expr, size_t i)
{
    const struct instr *in = &expr->code[i];
    struct ns_expr_step s = {(enum ns_expr_step_kind)in->op, 0.0, 0,
                             in->column};
    if (in->op == OP_CONST)
        s.value = in->u.value;
    else
        s.index = in->u.index;
    return s;
}

/* netsave: compiles expression text to a postfix program and runs it.
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

enum ns_status
ns_expr_eval(const struct ns_expr *expr, const double *variables,
             const struct ns_table *tables, double *result,
             struct ns_expr_fault *fault)
{
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
    if (lanes == 0 || lanes > NS_EXPR_MAX_LANES)
        return NS_EMODEL;
    if (lanes == NS_EXPR_FAST_LANES)
        return eval_fast_lanes(expr, variables, tables, result);
    return eval_lanes(expr, variables, lanes, 0, lanes, tables, result);
}

/* netsave: expressions as spreadsheet formulas.
 *
 * ns_formula_translate() rebuilds a compiled expression (its read-only
 * program, model/expr.h) as the text of an Excel formula that computes the
 * same value for every input where the engine computes one. The caller
 * says what text stands for each variable (a defined name such as
 * p_relapse, or a cell such as $C12 for a value that varies by cycle) and
 * which ranges hold each look-up table.
 *
 * Faithful means: the same operations in the same order, so the same
 * double up to the spreadsheet's own rounding of its arithmetic. The
 * translation therefore parenthesises every operand whose grouping the
 * spreadsheet could read differently (Excel's unary minus binds tighter
 * than ^, and its ^ is left associative; the engine's is neither), turns
 * comparisons and logic into numbers (IF(a<b,1,0)) since Excel's TRUE and
 * FALSE are not numbers everywhere, keeps && and || lazy with nested IFs
 * (the engine does not evaluate the right side when the left decides),
 * writes floor as INT and ceil as -INT(-x) (Excel's FLOOR and CEILING
 * want a significance and reject mixed signs), and 0^0 as 1 as C's pow
 * does. rate_to_prob(r, t) becomes 1-EXP(-(r*t)) and prob_to_rate(p, t)
 * -LN(1-p)/t: the engine's expm1/log1p differ from these by a few units
 * in the last place of the argument, so for |r*t| or p near 1e-7 the
 * relative difference is about 1e-9 (docs/outputs.md). */
#ifndef NS_OUTPUT_FORMULA_H
#define NS_OUTPUT_FORMULA_H

#include <stdbool.h>
#include <stddef.h>

#include "model/expr.h"
#include "model/netsave.h"

struct ns_formula_names {
    void *ctx;
    /* The text for variable slot in this formula (a name or a cell), or
     * NULL with a reason in why when it has none here. */
    const char *(*variable)(void *ctx, long slot, char *why, size_t why_size);
    /* The ranges of table index's keys and values (*exact: only an equal
     * key matches), or false with a reason in why. May be NULL: no
     * tables. */
    bool (*table)(void *ctx, long index, const char **keys,
                  const char **values, bool *exact, char *why,
                  size_t why_size);
};

/* Translates expr. On success returns NS_OK and a new string in *out
 * (without the leading '='; free it). Returns NS_EPARAM with *out NULL
 * and one line in err when some part has no faithful translation, or
 * NS_ENOMEM. */
enum ns_status ns_formula_translate(const struct ns_expr *expr,
                                    const struct ns_formula_names *names,
                                    char **out, char *err, size_t err_size);

/* Writes x as the shortest decimal text that reads back as the same
 * double (at most 17 significant digits) into buf. */
void ns_formula_number(double x, char *buf, size_t size);

/* Whether name can be an Excel defined name as it is: it starts with a
 * letter or '_', has only letters, digits, '_' and '.', and cannot be
 * read as a cell in A1 style (letters then digits: "tx1", "ab12") or R1C1
 * style ("r", "c", "r2", "rc3", "r1c1"), nor is TRUE or FALSE. */
bool ns_formula_name_ok(const char *name);

/* The defined name for name: name itself when ns_formula_name_ok, else
 * name with '_' appended ("c" -> "c_", "tx1" -> "tx1_"), and invalid
 * characters replaced by '_'. The caller makes the result unique
 * (case-insensitively, as spreadsheets compare names). */
void ns_formula_name(const char *name, char *buf, size_t size);

#endif

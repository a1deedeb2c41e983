/* netsave: numbers as analysts write them. */
#ifndef NS_MODEL_NUMBER_H
#define NS_MODEL_NUMBER_H

/* Reads text (surrounding blanks allowed) as a decimal number: digits,
 * sign, point and exponent only (no hexadecimal, inf or nan). Returns 0
 * with *value set, -1 for empty text, -2 for text that is not such a
 * number, -3 for a number out of range. */
int ns_parse_number(const char *text, double *value);

#endif

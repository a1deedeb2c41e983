/* netsave: the one strict parser of numbers the analyst types, for every
 * layer: the engine core (correlations, Dirichlet counts, target weights)
 * and params/ (INI values, CSV tables) refuse the same texts. */
#ifndef NS_MODEL_NUMBER_H
#define NS_MODEL_NUMBER_H

/* Parses a whole decimal number (no thousands separators, no '%', finite;
 * blanks around it are allowed). strtod also takes hexadecimal, "inf"
 * and "nan", none of which is a number an analyst means, so only decimal
 * digits, sign, point and exponent are. Returns 0 with the number in
 * *value, or a negative code leaving *value alone: -1 empty, -2 not a
 * number, -3 out of range or not finite. */
int ns_parse_number(const char *text, double *value);

#endif

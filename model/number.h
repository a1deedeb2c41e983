/* netsave: the one strict parser of numbers the analyst types, for every
 * layer: the engine core (correlations, Dirichlet counts, target weights)
 * and params/ (INI values, CSV tables) refuse the same texts. */
#ifndef NS_MODEL_NUMBER_H
#define NS_MODEL_NUMBER_H

#include "model/netsave.h"

/* Parses a whole decimal number (no thousands separators, no '%', finite;
 * blanks around it are allowed). strtod also takes hexadecimal, "inf"
 * and "nan", none of which is a number an analyst means, so only decimal
 * digits, sign, point and exponent are. Returns NS_OK with the number in
 * *value, or NS_EPARAM leaving *value alone (empty, not a number, out of
 * range); the caller says what was expected, as only it knows. */
enum ns_status ns_parse_number(const char *text, double *value);

#endif

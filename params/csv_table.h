/* netsave: numeric look-up tables from CSV files. Internal to params/. */
#ifndef NS_PARAMS_CSV_TABLE_H
#define NS_PARAMS_CSV_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "model/diag.h"
#include "model/netsave.h"

/* Parses CSV text (a header row, then rows of fields separated by commas,
 * fields optionally in double quotes) named file in messages, and extracts
 * the columns named key_column and value_column as numbers. On success
 * *x and *y are malloc'd arrays of *n rows. A leading byte order mark is
 * skipped. Every problem (a NUL byte, a column named twice, missing
 * column, ragged row, non-numeric cell, keys not increasing) is recorded
 * with the file, row and column; returns NS_EPARAM then, or NS_ENOMEM. */
enum ns_status ns_csv_table_parse(const char *file, const char *text,
                                  size_t len, const char *key_column,
                                  const char *value_column, double **x,
                                  double **y, size_t *n,
                                  struct ns_diags *diags);

/* Calls row(ctx, line, fields, n) for every non-blank record of CSV text
 * (the header included), fields trimmed and unquoted; stops early when row
 * returns false. A leading byte order mark is skipped. A NUL byte, a
 * header naming a column twice, an unterminated quote or more than 256
 * fields is recorded against file:line. Returns NS_OK, NS_EPARAM or
 * NS_ENOMEM. */
enum ns_status ns_csv_each_row(const char *file, const char *text,
                               size_t len,
                               bool (*row)(void *ctx, int line, char **fields,
                                           int n),
                               void *ctx, struct ns_diags *diags);

/* Removes blanks (spaces, tabs, line ends) at both ends of s, in place;
 * returns the first character kept. */
char *ns_trim(char *s);

/* ns_parse_number, the strict number parser, lives in the engine core so
 * that both layers refuse the same texts. */
#include "model/number.h"

#endif

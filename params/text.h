/* netsave: input text that can be written out as it was read.
 *
 * Labels, names and notes from INI and CSV files reach workbooks (XML,
 * which must be UTF-8 without control characters), CSV files and the
 * terminal. A '£' saved by a Windows editor as Latin-1 is one byte, 0xA3,
 * that is not UTF-8; an escape character could drive the terminal.
 * Such text is refused where it is read, with its file and line. */
#ifndef NS_PARAMS_TEXT_H
#define NS_PARAMS_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "model/diag.h"

/* The offset of the first byte of s[0..n) that is not valid UTF-8 or
 * starts a control character other than tab (C0, DEL, C1), or n when
 * there is none. */
size_t ns_text_bad_at(const char *s, size_t n);

/* Whether s[0..n), line `line` of file, is good text; if not, records
 * "file:line: ..." naming the byte, its column and the remedy. */
bool ns_text_check_line(const char *file, int line, const char *s, size_t n,
                        struct ns_diags *diags);

#endif

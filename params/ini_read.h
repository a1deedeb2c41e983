/* netsave: reading INI text into a list of (section, key, value, line).
 *
 * inih does the parsing; this layer feeds it one physical line at a time
 * so that line numbers are exact (Debian's inih does not pass them to the
 * handler), rejects what inih would silently mangle (over-long lines,
 * indented continuation lines, text files with NUL bytes), and reports
 * every syntax error instead of only the first. Internal to params/. */
#ifndef NS_PARAMS_INI_READ_H
#define NS_PARAMS_INI_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "model/diag.h"
#include "model/netsave.h"

struct ns_ini_entry {
    char *section; /* owned, as written (case kept) */
    char *key;     /* owned */
    char *value;   /* owned, inline comment removed, trimmed */
    int line;      /* 1-based */
};

struct ns_ini {
    struct ns_ini_entry *entries;
    size_t n, cap;
    char **sections;  /* owned; every section header seen, even empty ones */
    int *section_lines;
    size_t n_sections;
    bool is_partial;  /* a line or the file was rejected: parts are missing */
};

/* Parses text (len bytes) named file in messages. Syntax problems and
 * duplicate keys go to diags; entries hold everything that parsed.
 * Returns NS_OK, NS_EPARAM or NS_ENOMEM. */
enum ns_status ns_ini_parse(const char *file, const char *text, size_t len,
                            struct ns_ini *ini, struct ns_diags *diags);
void ns_ini_clear(struct ns_ini *ini);

/* Reads a whole file into a NUL-terminated buffer (free it). On failure
 * writes the reason ("cannot open: No such file or directory", "is a
 * directory, not a file") into why and returns NS_EIO (or NS_ENOMEM). A
 * directory, a FIFO or a device is refused. */
enum ns_status ns_read_file(const char *path, char **text, size_t *len,
                            char *why, size_t why_size);

#endif

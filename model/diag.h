/* netsave: diagnostics, a caller-owned list of messages about the input.
 *
 * Every problem found in an analyst's files is recorded here rather than
 * printed, so that a run reports all of them at once and the library
 * stays free of I/O. A zero-initialised struct ns_diags is a valid empty
 * list. */
#ifndef NS_MODEL_DIAG_H
#define NS_MODEL_DIAG_H

#include <stdbool.h>
#include <stddef.h>

#if defined(__GNUC__)
#define NS_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define NS_PRINTF(fmt, args)
#endif

/* Where a definition came from: a file and a 1-based line (0 = the file as
 * a whole). */
struct ns_origin {
    /* Borrowed, never copied: it points into whoever loaded the file
     * (params/ keeps its file names in struct ns_params, params->files),
     * and compiled models, their populations and their diagnostics'
     * sources keep the pointer. The loader's copy must therefore outlive
     * every model and population built from it: free a population before
     * the ns_params it was built from. */
    const char *file;
    int line;
};

struct ns_diag {
    char *file; /* owned; the path as the user typed it, or NULL */
    int line;   /* 1-based; 0 = the file as a whole */
    char *text; /* owned; one line, no trailing newline */
};

struct ns_diags {
    struct ns_diag *items;
    size_t count, capacity;
    bool lost_some; /* memory ran out while recording; say so at the end */
};

/* Appends a message about file:line. */
void ns_diags_addf(struct ns_diags *d, const char *file, int line,
                   const char *fmt, ...) NS_PRINTF(4, 5);

/* Appends a message about an origin. */
void ns_diags_add_at(struct ns_diags *d, struct ns_origin at, const char *fmt,
                     ...) NS_PRINTF(3, 4);

/* Formats diagnostic i as "file:line: text" ("file: text" when line is 0,
 * "text" alone without a file) into buf of size n. */
void ns_diag_format(const struct ns_diag *diag, char *buf, size_t n);

/* Names at for a message about here: "line 12" in the same file,
 * "file:12" in another or on the command line ("--set:2"); written into
 * buf of size n, which is returned. */
const char *ns_origin_beside(char *buf, size_t n, struct ns_origin at,
                             struct ns_origin here);

/* Sorts the diagnostics by file order of appearance, then line, keeping
 * the order of messages on the same line. */
void ns_diags_sort(struct ns_diags *d);

/* Frees every message and leaves an empty list. */
void ns_diags_clear(struct ns_diags *d);

#endif

/* netsave: output files written atomically.
 *
 * A commissioner's good workbook must never be replaced by half a file.
 * Every output is written to a temporary file in the destination's own
 * folder (so the final rename cannot cross file systems), flushed to disk,
 * and renamed over the destination only when complete. A destination that
 * exists but is not a regular file (a folder, a FIFO, a device) is refused,
 * never replaced. A new file gets mode 0666 less the umask (the old file's
 * permissions are not kept), and a symbolic link at the destination is
 * replaced by a regular file, not followed. */
#ifndef NS_OUTPUT_ATOMIC_H
#define NS_OUTPUT_ATOMIC_H

#include <stddef.h>
#include <stdio.h>

#include "model/netsave.h"

struct ns_atomic {
    char *path;     /* owned; the destination */
    char *tmp_path; /* owned; the temporary file beside it */
    char *dir;      /* owned; the folder of both ("." for a bare name), for
                       libraries that want scratch space beside them */
    FILE *fp;       /* open on tmp_path for stdio writers, or NULL */
};

/* Checks the destination and creates a unique temporary file beside it
 * ("<dir>/.<name>.tmp-<pid>-XXXXXX"), first removing any such file left
 * by a process that no longer exists. When want_stream is true, a->fp is
 * open on it for writing; otherwise the file exists but is closed, for
 * libraries that write by name. Returns NS_OK, or NS_EIO with a one-line reason in
 * err ("<path> is a directory", "cannot create a file in <dir>: Permission
 * denied"). On failure nothing is left behind. */
enum ns_status ns_atomic_begin(struct ns_atomic *a, const char *path,
                               int want_stream, char *err, size_t err_size);

/* Flushes and syncs the temporary file and renames it over the
 * destination. On failure (a full disk, a file-size limit) removes the
 * temporary file, leaves any existing destination untouched, and returns
 * NS_EIO with a reason. Frees a's strings in every case. */
enum ns_status ns_atomic_commit(struct ns_atomic *a, char *err,
                                size_t err_size);

/* Checks, before any work is done, that path could be written: begins
 * and aborts, so the folder must exist and take a new file and the
 * destination must not be a folder, FIFO or device. Returns NS_OK, or
 * NS_EIO with ns_atomic_begin's reason. Nothing is left behind. */
enum ns_status ns_atomic_probe(const char *path, char *err, size_t err_size);

/* Removes the temporary file and frees a's strings. Safe on a zeroed
 * struct and after commit. */
void ns_atomic_abort(struct ns_atomic *a);

#endif

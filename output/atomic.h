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

/* ---- a run's files replaced together ----
 *
 * Files begun into a set are written as usual but renamed over their
 * destinations only in ns_atomic_set_commit, once every one of them is
 * complete and on disk: a full disk or a size limit found while writing
 * or syncing any of them replaces none. Only the renames themselves come
 * one after another (rename fails in a folder only if it is removed, made
 * read-only or a destination turned into a folder meanwhile), so the set
 * is as atomic as POSIX allows without a folder swap. */
struct ns_atomic_set {
    struct ns_atomic **files; /* owned, [n] */
    size_t n, cap;
};

/* Begins path (as ns_atomic_begin) as one more file of set, which must
 * start zeroed; *out is the file to write to (its fp, or its tmp_path by
 * name), owned by the set until commit or abort. Do not commit or abort
 * it alone. On failure the set is unchanged: the caller decides whether to
 * abort the rest. */
enum ns_status ns_atomic_set_begin(struct ns_atomic_set *set, const char *path,
                                   int want_stream, struct ns_atomic **out,
                                   char *err, size_t err_size);

/* Flushes and syncs every file, then, only if all succeeded, renames each
 * over its destination. Returns NS_OK, or NS_EIO with the first reason:
 * a failure before the renames leaves every destination untouched. The
 * set is emptied and its memory freed in every case. */
enum ns_status ns_atomic_set_commit(struct ns_atomic_set *set, char *err,
                                    size_t err_size);

/* Removes every temporary file of set and frees it. Safe on a zeroed set
 * and after commit. */
void ns_atomic_set_abort(struct ns_atomic_set *set);

/* Takes file a (begun in set) out of set and removes its temporary file:
 * a writer that gave up on it (the live workbook falling back to the
 * static one) may begin the same path again. */
void ns_atomic_set_drop(struct ns_atomic_set *set, struct ns_atomic *a);

/* ---- a destination locked for the length of a run ----
 *
 * Each file is replaced atomically, but two runs writing to the same
 * destination at once would leave a mixture of both. A run therefore
 * holds a lock on each destination while it writes: an advisory flock(2)
 * on "<folder>/.<name>.netsave.lock" beside it, taken without waiting. A
 * destination is a file (a workbook) or a folder (of CSV files), which
 * need not exist yet: the lock sits beside it, not in it, so a run that
 * fails creates nothing; for a folder to be made with its parents
 * ("a/b/out" with a/b missing) the lock sits beside the first folder
 * missing (".b.netsave.lock" in a), so that creating them is covered
 * too. The kernel drops the lock when its holder exits,
 * however it exits, so a killed run never leaves a destination locked;
 * the file itself is removed on unlock. Two spellings of one destination
 * ("out", "./out/", "/abs/out") share a lock; "." and its absolute path
 * do not. */
struct ns_atomic_lock;

/* Locks the destination dest for this run. *lock is NULL for the first;
 * passing the same *lock again adds another destination to the set it
 * holds, and one already held is not locked twice. Returns NS_OK, or
 * NS_EIO with a reason in err: "another netsave run is writing to DEST;
 * try again when it has finished" when another process (or another lock
 * set in this one) holds it, or "cannot lock DEST: ..." when the folder
 * it is in is missing or takes no new file. On failure, destinations
 * locked earlier stay locked until ns_atomic_unlock. */
enum ns_status ns_atomic_lock(const char *dest, struct ns_atomic_lock **lock,
                              char *err, size_t err_size);

/* Releases every destination in lock, removes the lock files, and frees
 * it. Safe on NULL. */
void ns_atomic_unlock(struct ns_atomic_lock *lock);

#endif

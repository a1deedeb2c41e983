/* netsave: output files written atomically.
 *
 * The sequence is the classic one: mkstemp() beside the destination,
 * write, fflush + fsync + fclose, then rename(2) over the destination.
 * rename is atomic within one file system, so a reader (or a crash) sees
 * the old file or the new one, never a mixture; the temporary file lives in
 * the destination's folder so the rename never crosses file systems. Its
 * name starts with a dot so that a file left by a killed process does not
 * look like a result. Every failure removes the temporary file and leaves
 * the destination alone. */
#include "output/atomic.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/diag.h"

/* "<dir>/.<name>.tmp-<pid>-XXXXXX": the pid lets a later run tell the
 * leftovers of a killed process from a file another run is still
 * writing. */
#define TMP_MARK ".tmp-"
#define TMP_RANDOM "-XXXXXX"

/* The longest file name a folder takes (NAME_MAX on Linux). */
#define NAME_BYTES 255

/* How many bytes of a destination's name len fit in a name of our own
 * that adds extra bytes around it: a legal 250-byte name must not fail
 * because its temporary or lock file would be longer than any name. The
 * cut is a prefix: two names alike for that long share their files'
 * prefix, which the pid, the random part and the lock take care of. */
static size_t
name_room(size_t len, size_t extra)
{
    size_t room = extra < NAME_BYTES ? NAME_BYTES - extra : 0;
    return len < room ? len : room;
}

/* Formats a one-line reason into err (when there is room) and returns
 * NS_EIO, so failure paths read "return fail(...)". */
static enum ns_status NS_PRINTF(3, 4)
    fail(char *err, size_t err_size, const char *fmt, ...)
{
    if (err && err_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return NS_EIO;
}

/* Returns a malloc'd copy of the folder part of path: "." for a bare name,
 * "/" for a file at the root. NULL if memory runs out. */
static char *
folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (!dir)
        return NULL;
    memcpy(dir, path, n);
    dir[n] = '\0';
    return dir;
}

/* Returns the process's file-creation mask. mkstemp() creates files that
 * only their owner can read, but results are meant to be shared like any
 * file the user creates, so the temporary file gets 0666 less the mask.
 * Linux shows the mask in /proc/self/status, which reads it without
 * changing it; elsewhere umask() has to set it to read it, which is only
 * safe while no other thread is creating files. */
static mode_t
current_umask(void)
{
    FILE *fp = fopen("/proc/self/status", "r");
    if (fp) {
        char line[256];
        while (fgets(line, sizeof line, fp)) {
            if (strncmp(line, "Umask:", 6) != 0)
                continue;
            char *end;
            errno = 0;
            unsigned long mask = strtoul(line + 6, &end, 8);
            if (errno == 0 && end != line + 6 && mask <= 0777) {
                fclose(fp);
                return (mode_t)mask;
            }
            break;
        }
        fclose(fp);
    }
    mode_t mask = umask(022);
    umask(mask);
    return mask;
}

/* Removes the temporary files that earlier runs writing base in dir left
 * when they were killed (SIGKILL, a power cut): those whose process no
 * longer exists. A process on another machine sharing the folder cannot
 * be asked, so a shared folder is assumed to be written from one
 * machine at a time. Best effort: a file that cannot be removed stays. */
static void
remove_stale(const char *dir, const char *base, size_t base_len)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    size_t dir_len = strlen(dir), mark_len = strlen(TMP_MARK);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if (n[0] != '.' || strncmp(n + 1, base, base_len) != 0 ||
            strncmp(n + 1 + base_len, TMP_MARK, mark_len) != 0)
            continue;
        char *end;
        errno = 0;
        long pid = strtol(n + 1 + base_len + mark_len, &end, 10);
        if (errno || pid <= 0 || *end != '-' || strlen(end) != 7 ||
            (pid_t)pid == getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        size_t size = dir_len + 1 + strlen(n) + 1;
        char *path = malloc(size);
        if (!path)
            break;
        snprintf(path, size, "%s/%s", dir, n);
        (void)unlink(path);
        free(path);
    }
    closedir(d);
}

enum ns_status
ns_atomic_begin(struct ns_atomic *a, const char *path, int want_stream,
                char *err, size_t err_size)
{
    *a = (struct ns_atomic){0};

    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return fail(err, err_size, "%s is a directory", path);
        if (!S_ISREG(st.st_mode))
            return fail(err, err_size, "%s exists and is not a regular file",
                        path);
    } else if (errno != ENOENT) {
        return fail(err, err_size, "cannot write %s: %s", path,
                    strerror(errno));
    }
    if (*base == '\0')
        return fail(err, err_size, "cannot write %s: not a file name", path);

    /* The folder part of path is kept as typed so the temporary file is
     * created exactly where the destination is. */
    size_t dir_len = (size_t)(base - path);
    size_t base_len = strlen(base);
    char pid[24];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    size_t tmp_size = dir_len + 1 + base_len + strlen(TMP_MARK) +
                      strlen(pid) + sizeof TMP_RANDOM;
    a->path = strdup(path);
    a->tmp_path = malloc(tmp_size);
    a->dir = folder_of(path);
    const char *dir = a->dir;
    if (!a->path || !a->tmp_path || !dir) {
        ns_atomic_abort(a);
        return fail(err, err_size, "cannot write %s: %s", path,
                    strerror(ENOMEM));
    }
    base_len = name_room(base_len, 1 + strlen(TMP_MARK) + strlen(pid) +
                                       strlen(TMP_RANDOM));
    remove_stale(dir, base, base_len);
    snprintf(a->tmp_path, tmp_size, "%.*s.%.*s%s%s%s", (int)dir_len, path,
             (int)base_len, base, TMP_MARK, pid, TMP_RANDOM);

    int fd = mkstemp(a->tmp_path);
    if (fd < 0) {
        int e = errno;
        fail(err, err_size, "cannot create a file in %s: %s", dir,
             strerror(e));
        /* Nothing was created: forget the name rather than unlink a file
         * that may belong to someone else. */
        free(a->tmp_path);
        a->tmp_path = NULL;
        ns_atomic_abort(a);
        return NS_EIO;
    }
    if (fchmod(fd, 0666 & ~current_umask()) != 0) {
        int e = errno;
        close(fd);
        ns_atomic_abort(a);
        return fail(err, err_size, "cannot write %s: %s", path, strerror(e));
    }
    if (!want_stream) {
        if (close(fd) != 0) {
            int e = errno;
            ns_atomic_abort(a);
            return fail(err, err_size, "cannot write %s: %s", path,
                        strerror(e));
        }
        return NS_OK;
    }
    a->fp = fdopen(fd, "w");
    if (!a->fp) {
        int e = errno;
        close(fd);
        ns_atomic_abort(a);
        return fail(err, err_size, "cannot write %s: %s", path, strerror(e));
    }
    return NS_OK;
}

/* Flushes the temporary file to disk and closes it. Returns 0 or the
 * errno of the first step that failed. A stream whose error indicator is
 * set lost data in an earlier write even if the last flush succeeded. */
static int
flush_to_disk(struct ns_atomic *a)
{
    int e = 0;
    if (a->fp) {
        FILE *fp = a->fp;
        a->fp = NULL;
        errno = 0;
        if (fflush(fp) != 0)
            e = errno ? errno : EIO;
        else if (ferror(fp))
            e = EIO;
        if (e == 0 && fsync(fileno(fp)) != 0)
            e = errno;
        if (fclose(fp) != 0 && e == 0)
            e = errno;
        return e;
    }
    /* A library wrote the file by name and closed it; open it again only
     * to sync it. */
    int fd = open(a->tmp_path, O_RDONLY);
    if (fd < 0)
        return errno;
    if (fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && e == 0)
        e = errno;
    return e;
}

/* Syncs the folder so that the rename itself survives a crash. The new
 * file is already in place, so a failure here is not worth failing the
 * write for: the worst case is the old file after a power cut. */
static void
sync_folder(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* Renames a's flushed temporary file over its destination and frees a's
 * strings; on failure removes the temporary file and returns NS_EIO with
 * a reason. */
static enum ns_status
rename_into_place(struct ns_atomic *a, char *err, size_t err_size)
{
    if (rename(a->tmp_path, a->path) != 0) {
        fail(err, err_size, "cannot write %s: %s", a->path, strerror(errno));
        ns_atomic_abort(a);
        return NS_EIO;
    }
    sync_folder(a->dir);
    /* The temporary name is now the destination's: do not unlink it. */
    free(a->tmp_path);
    a->tmp_path = NULL;
    ns_atomic_abort(a);
    return NS_OK;
}

enum ns_status
ns_atomic_commit(struct ns_atomic *a, char *err, size_t err_size)
{
    if (!a->path || !a->tmp_path) {
        ns_atomic_abort(a);
        return fail(err, err_size, "cannot write: no file was begun");
    }
    int e = flush_to_disk(a);
    if (e != 0) {
        fail(err, err_size, "cannot write %s: %s", a->path, strerror(e));
        ns_atomic_abort(a);
        return NS_EIO;
    }
    return rename_into_place(a, err, err_size);
}

enum ns_status
ns_atomic_probe(const char *path, char *err, size_t err_size)
{
    struct ns_atomic a;
    enum ns_status st = ns_atomic_begin(&a, path, 0, err, err_size);
    if (st == NS_OK)
        ns_atomic_abort(&a);
    return st;
}

void
ns_atomic_abort(struct ns_atomic *a)
{
    if (a->fp)
        fclose(a->fp);
    if (a->tmp_path)
        unlink(a->tmp_path);
    free(a->path);
    free(a->tmp_path);
    free(a->dir);
    *a = (struct ns_atomic){0};
}

/* ---- a run's files replaced together ---- */

enum ns_status
ns_atomic_set_begin(struct ns_atomic_set *set, const char *path,
                    int want_stream, struct ns_atomic **out, char *err,
                    size_t err_size)
{
    *out = NULL;
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->files[i]->path, path) == 0)
            return fail(err, err_size, "cannot write %s twice in one run",
                        path);
    if (set->n == set->cap) {
        size_t cap = set->cap ? 2 * set->cap : 8;
        struct ns_atomic **files = realloc(set->files, cap * sizeof *files);
        if (!files)
            return fail(err, err_size, "cannot write %s: %s", path,
                        strerror(ENOMEM));
        set->files = files;
        set->cap = cap;
    }
    struct ns_atomic *a = malloc(sizeof *a);
    if (!a)
        return fail(err, err_size, "cannot write %s: %s", path,
                    strerror(ENOMEM));
    enum ns_status st = ns_atomic_begin(a, path, want_stream, err, err_size);
    if (st != NS_OK) {
        free(a);
        return st;
    }
    set->files[set->n++] = a;
    *out = a;
    return NS_OK;
}

enum ns_status
ns_atomic_set_commit(struct ns_atomic_set *set, char *err, size_t err_size)
{
    enum ns_status st = NS_OK;
    for (size_t i = 0; i < set->n && st == NS_OK; i++) {
        int e = flush_to_disk(set->files[i]);
        if (e != 0)
            st = fail(err, err_size, "cannot write %s: %s",
                      set->files[i]->path, strerror(e));
    }
    if (st != NS_OK) {
        ns_atomic_set_abort(set);
        return st;
    }
    /* Every file is complete and on disk: only now is any replaced. A
     * failed rename is reported and the rest still go into place, the
     * newest set being better than one mixed further. */
    for (size_t i = 0; i < set->n; i++) {
        char e[512];
        if (rename_into_place(set->files[i], e, sizeof e) != NS_OK &&
            st == NS_OK)
            st = fail(err, err_size, "%s", e);
    }
    ns_atomic_set_abort(set);
    return st;
}

void
ns_atomic_set_abort(struct ns_atomic_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        ns_atomic_abort(set->files[i]);
        free(set->files[i]);
    }
    free(set->files);
    *set = (struct ns_atomic_set){0};
}

void
ns_atomic_set_drop(struct ns_atomic_set *set, struct ns_atomic *a)
{
    for (size_t i = 0; i < set->n; i++) {
        if (set->files[i] != a)
            continue;
        ns_atomic_abort(a);
        free(a);
        set->files[i] = set->files[--set->n];
        return;
    }
}

/* ---- the destination lock ---- */

#define LOCK_SUFFIX ".netsave.lock"

/* One locked destination; a run's set of them is a list. */
struct ns_atomic_lock {
    int fd;                      /* open on the lock file, flock'd */
    char *path;                  /* owned; the lock file */
    dev_t dev;                   /* the lock file's identity, so that a */
    ino_t ino;                   /* destination is not locked twice */
    struct ns_atomic_lock *next; /* owned */
};

/* "<folder>/.<name>.netsave.lock" for the destination dest, a file or a
 * folder, with trailing slashes ignored ("out/" is "out"); malloc'd, or
 * NULL if memory runs out. */
static char *
lock_path_alloc(const char *dest)
{
    char *d = strdup(dest);
    if (!d)
        return NULL;
    for (size_t n = strlen(d); n > 1 && d[n - 1] == '/'; n--)
        d[n - 1] = '\0';
    char *dir = folder_of(d);
    const char *base = strrchr(d, '/');
    base = base ? base + 1 : d;
    size_t size = (dir ? strlen(dir) : 0) + strlen(base) + sizeof LOCK_SUFFIX +
                  3;
    char *path = dir ? malloc(size) : NULL;
    if (path)
        snprintf(path, size, "%s/.%.*s%s", dir,
                 (int)name_room(strlen(base), 1 + strlen(LOCK_SUFFIX)), base,
                 LOCK_SUFFIX);
    free(dir);
    free(d);
    return path;
}

/* Whether fd is still the file at path: the holder before us may have
 * removed the file between our open and our flock, and a lock on a
 * removed file would keep out nobody. */
static int
is_current(int fd, const char *path)
{
    struct stat held, named;
    return fstat(fd, &held) == 0 && stat(path, &named) == 0 &&
           held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

/* Whether lock already holds the file open on fd. */
static int
already_held(const struct ns_atomic_lock *lock, int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return 0;
    for (; lock; lock = lock->next)
        if (lock->dev == st.st_dev && lock->ino == st.st_ino)
            return 1;
    return 0;
}

/* Opens and flocks path into l->fd. Returns 0, 1 when lock already holds
 * it, or -1 with errno (EWOULDBLOCK when another holds it). */
static int
take_lock(const char *path, const struct ns_atomic_lock *lock,
          struct ns_atomic_lock *l)
{
    for (;;) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
        if (fd < 0)
            return -1;
        if (already_held(lock, fd)) {
            close(fd);
            return 1;
        }
        struct stat st;
        if (flock(fd, LOCK_EX | LOCK_NB) != 0 || fstat(fd, &st) != 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (is_current(fd, path)) {
            l->fd = fd;
            l->dev = st.st_dev;
            l->ino = st.st_ino;
            return 0;
        }
        close(fd); /* removed by the holder we waited on: try again */
    }
}

/* The lock file of dest when its folder does not exist yet: beside the
 * deepest folder that does, named after the rest of dest with '/' as '%'
 * (and '%' as "%%", so that two paths never share a name). */
static char *
lock_path_below_existing(const char *dest)
{
    char *base = folder_of(dest);
    struct stat st;
    while (base && stat(base, &st) != 0 && strcmp(base, ".") != 0 &&
           strcmp(base, "/") != 0) {
        char *up = folder_of(base);
        free(base);
        base = up;
    }
    if (!base)
        return NULL;
    size_t skip = strcmp(base, ".") == 0 && strncmp(dest, "./", 2) != 0
                      ? 0
                      : strlen(base) + (strcmp(base, "/") != 0);
    const char *rest = dest + skip;
    size_t n = strlen(rest), size = strlen(base) + 2 * n + sizeof LOCK_SUFFIX + 3;
    char *path = malloc(size), *name = malloc(2 * n + 1), *o = name;
    for (const char *c = rest; name && *c; c++) {
        if (*c == '/' || *c == '%')
            *o++ = '%';
        *o++ = *c == '/' ? ' ' : *c;
    }
    if (path && name) {
        *o = '\0';
        /* Trailing slashes are not part of the name. */
        while (o > name + 1 && o[-1] == ' ' && o[-2] == '%')
            *(o -= 2) = '\0';
        snprintf(path, size, "%s/.%.*s%s", base,
                 (int)name_room(strlen(name), 1 + strlen(LOCK_SUFFIX)), name,
                 LOCK_SUFFIX);
    } else {
        free(path);
        path = NULL;
    }
    free(name);
    free(base);
    return path;
}

enum ns_status
ns_atomic_lock(const char *dest, struct ns_atomic_lock **lock, char *err,
               size_t err_size)
{
    struct ns_atomic_lock *l = calloc(1, sizeof *l);
    char *path = lock_path_alloc(dest);
    if (!l || !path) {
        free(l);
        free(path);
        return fail(err, err_size, "cannot lock %s: %s", dest,
                    strerror(ENOMEM));
    }
    int got = take_lock(path, *lock, l);
    int e = errno;
    /* A folder to be made with its parents ("a/b/out" where a/b is
     * missing): the lock goes beside the deepest folder that exists,
     * named after the whole path below it ("a/.b%out.netsave.lock"), so
     * runs to different new folders under one missing parent do not
     * refuse each other. */
    if (got < 0 && e == ENOENT) {
        free(path);
        path = lock_path_below_existing(dest);
        got = path ? take_lock(path, *lock, l) : -1;
        e = path ? errno : ENOMEM;
    }
    if (got != 0) {
        free(l);
        free(path);
        if (got == 1)
            return NS_OK;
        if (e == EWOULDBLOCK)
            return fail(err, err_size,
                        "another netsave run is writing to %s; try again "
                        "when it has finished",
                        dest);
        return fail(err, err_size, "cannot lock %s: %s", dest, strerror(e));
    }
    l->path = path;
    l->next = *lock;
    *lock = l;
    return NS_OK;
}

void
ns_atomic_unlock(struct ns_atomic_lock *lock)
{
    while (lock) {
        struct ns_atomic_lock *next = lock->next;
        /* Removed while still held, so a run that opened it meanwhile
         * sees it is gone (is_current) and makes a new one. */
        (void)unlink(lock->path);
        close(lock->fd);
        free(lock->path);
        free(lock);
        lock = next;
    }
}

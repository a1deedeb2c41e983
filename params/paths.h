/* netsave: file paths named inside input files, and the identity of the
 * files read. */
#ifndef NS_PARAMS_PATHS_H
#define NS_PARAMS_PATHS_H

#include <stdbool.h>

/* A path an input file names, relative to that file's folder base_dir:
 * base_dir/path, or path itself when it is absolute or base_dir is NULL
 * or empty. Owned by the caller; NULL if memory runs out. */
char *ns_path_resolve(const char *base_dir, const char *path);

/* The folder of the file path names, to resolve the paths that file
 * names: "d" for "d/x" (and "d//x"), "/" for "/x", and NULL for a bare
 * name "x" (the current folder, so that such paths are shown as
 * written). Sets *folder (owned by the caller); false if memory runs
 * out. */
bool ns_path_folder(const char *path, char **folder);

/* Which file a path reaches, whatever its spelling: "./x", "../d/x", a
 * symbolic link and a hard link to x all have x's device and inode. A
 * file held in memory (the built-in model) has on_disk false and is the
 * same as no file on disk. */
struct ns_file_id {
    unsigned long long dev, ino;
    bool on_disk;
};

/* The identity of the file path reaches, following symbolic links; false
 * (and on_disk false) when there is no such file. */
bool ns_file_id_of(const char *path, struct ns_file_id *id);

/* Whether a and b are one file on disk. */
bool ns_file_id_same(const struct ns_file_id *a, const struct ns_file_id *b);

#endif

/* netsave: file paths named inside input files. */
#ifndef NS_PARAMS_PATHS_H
#define NS_PARAMS_PATHS_H

/* A path an input file names, relative to that file's folder base_dir:
 * base_dir/path, or path itself when it is absolute or base_dir is NULL
 * or empty. Owned by the caller; NULL if memory runs out. */
char *ns_path_resolve(const char *base_dir, const char *path);

#endif

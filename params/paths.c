/* netsave: file paths named inside input files (see paths.h). */
#include "params/paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *
ns_path_resolve(const char *base_dir, const char *path)
{
    if (path[0] == '/' || !base_dir || !*base_dir)
        return strdup(path);
    size_t n = strlen(base_dir) + strlen(path) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", base_dir, path);
    return out;
}

bool
ns_path_folder(const char *path, char **folder)
{
    *folder = NULL;
    const char *slash = strrchr(path, '/');
    if (!slash)
        return true;
    size_t n = (size_t)(slash - path);
    while (n > 0 && path[n - 1] == '/')
        n--;
    *folder = n ? strndup(path, n) : strdup("/");
    return *folder != NULL;
}

bool
ns_file_id_of(const char *path, struct ns_file_id *id)
{
    struct stat st;
    *id = (struct ns_file_id){0};
    if (!path || !*path || stat(path, &st) != 0)
        return false;
    *id = (struct ns_file_id){(unsigned long long)st.st_dev,
                              (unsigned long long)st.st_ino, true};
    return true;
}

bool
ns_file_id_same(const struct ns_file_id *a, const struct ns_file_id *b)
{
    return a->on_disk && b->on_disk && a->dev == b->dev && a->ino == b->ino;
}

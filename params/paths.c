/* netsave: file paths named inside input files (see paths.h). */
#include "params/paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

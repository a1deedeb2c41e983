/* netsave init: the built-in model's files, written out to edit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/default_model.h"
#include "output/atomic.h"

/* Writes one file, atomically, never over an existing one. */
static int
write_file(const char *dir, const struct ns_memory_file *f)
{
    size_t n = strlen(dir) + strlen(f->name) + 2;
    char *path = malloc(n);
    if (!path) {
        fprintf(stderr, "netsave: out of memory\n");
        return NS_EXIT_FAILURE;
    }
    snprintf(path, n, "%s/%s", dir, f->name);
    struct stat st;
    if (lstat(path, &st) == 0) {
        fprintf(stderr, "netsave: %s exists; not overwriting it\n", path);
        free(path);
        return NS_EXIT_FAILURE;
    }
    struct ns_atomic a = {0};
    char err[512];
    enum ns_status rc = ns_atomic_begin(&a, path, 1, err, sizeof err);
    if (rc == NS_OK && fwrite(f->text, 1, f->len, a.fp) != f->len) {
        snprintf(err, sizeof err, "cannot write %s: %s", path,
                 strerror(errno));
        ns_atomic_abort(&a);
        rc = NS_EIO;
    } else if (rc == NS_OK) {
        rc = ns_atomic_commit(&a, err, sizeof err);
    }
    if (rc == NS_OK)
        printf("wrote %s\n", path);
    else
        fprintf(stderr, "netsave: %s\n", err);
    free(path);
    return rc == NS_OK ? NS_EXIT_OK : NS_EXIT_FAILURE;
}

int
ns_cli_init(const struct ns_cli_args *a)
{
    if (a->files.n != 1) {
        ns_cli_print_help(a->command, stderr);
        return NS_EXIT_BAD_INPUT;
    }
    const char *dir = a->files.items[0];
    if (!ns_cli_ensure_dir(dir))
        return NS_EXIT_FAILURE;
    for (size_t i = 0; i < ns_default_model_n_files; i++) {
        int rc = write_file(dir, &ns_default_model_files[i]);
        if (rc != NS_EXIT_OK)
            return rc;
    }
    return NS_EXIT_OK;
}

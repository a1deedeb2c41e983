/* netsave init: the built-in model's files, written out to edit, or an
 * [area] template for a model. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/default_model.h"
#include "model/population.h"
#include "output/atomic.h"
#include "output/output.h"
#include "params/params.h"

/* dir/name, malloc'd, when no file is there; NULL after a message. */
static char *
new_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    if (!path) {
        fprintf(stderr, "netsave: out of memory\n");
        return NULL;
    }
    snprintf(path, n, "%s/%s", dir, name);
    struct stat st;
    if (lstat(path, &st) == 0) {
        fprintf(stderr, "netsave: %s exists; not overwriting it\n", path);
        free(path);
        return NULL;
    }
    return path;
}

/* Writes one file, atomically, never over an existing one. */
static int
write_file(const char *dir, const struct ns_memory_file *f)
{
    char *path = new_path(dir, f->name);
    if (!path)
        return NS_EXIT_FAILURE;
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

/* The longest area name the template takes: its line must stay within
 * the INI reader's limit. */
#define AREA_NAME_MAX (NS_INI_MAX_LINE - sizeof "name = " + 1)

/* Whether name can be the value of [area] name as it is: text the INI
 * reader gives back unchanged (no comment mark, no leading or trailing
 * space, no control character, one line). */
static bool
area_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > AREA_NAME_MAX || isspace((unsigned char)name[0]) ||
        isspace((unsigned char)name[n - 1]))
        return false;
    for (const char *c = name; *c; c++)
        if (*c == ';' || *c == '#' || iscntrl((unsigned char)*c))
            return false;
    return true;
}

/* The files the template is run on top of, joined by spaces, for its
 * comment (malloc'd; NULL without memory). */
static char *
model_files(const struct ns_cli_args *a, const char *dir)
{
    size_t n = 1;
    for (size_t i = 0; i < a->bases.n; i++)
        n += strlen(a->bases.items[i]) + 1;
    if (a->bases.n == 0)
        n += strlen(dir) + strlen(ns_default_model_files[0].name) + 2;
    char *s = malloc(n);
    if (!s)
        return NULL;
    s[0] = '\0';
    if (a->bases.n == 0)
        snprintf(s, n, "%s/%s", dir, ns_default_model_files[0].name);
    for (size_t i = 0; i < a->bases.n; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, a->bases.items[i]);
    }
    return s;
}

/* init --area NAME: DIR/area.ini for the model of --base (or built-in). */
static int
write_area_template(const struct ns_cli_args *a, const char *dir)
{
    if (!area_name_ok(a->area_name)) {
        fprintf(stderr,
                "netsave init: --area expected a name of 1 to %zu characters "
                "on one line, without ';' or '#' and without spaces at its "
                "ends, found '%s'\n",
                (size_t)AREA_NAME_MAX, a->area_name);
        return NS_EXIT_BAD_INPUT;
    }
    struct ns_params *params = NULL;
    struct ns_population *pop = NULL;
    struct ns_diags diags = {0};
    int rc = ns_cli_model_build(a, a->bases.items, a->bases.n, false,
                                &params, &pop, &diags);
    char *path = NULL, *files = NULL;
    if (rc == NS_EXIT_OK && ns_cli_ensure_dir(dir) &&
        (path = new_path(dir, "area.ini")) != NULL) {
        files = model_files(a, dir);
        struct ns_area_template t = {NS_VERSION, a->area_name,
                                     files ? files : "MODEL.ini",
                                     a->bases.n ? NULL : dir};
        char err[512];
        if (ns_overlay_write_area(path, pop->models[0], &t, err,
                                  sizeof err) == NS_OK) {
            printf("wrote %s\n", path);
        } else {
            fprintf(stderr, "netsave: %s\n", err);
            rc = NS_EXIT_FAILURE;
        }
    } else if (rc == NS_EXIT_OK) {
        rc = NS_EXIT_FAILURE;
    }
    free(files);
    free(path);
    ns_population_free(pop);
    ns_params_free(params);
    ns_diags_clear(&diags);
    return rc;
}

int
ns_cli_init(const struct ns_cli_args *a)
{
    if (a->files.n != 1 || (a->bases.n && !a->area_name)) {
        ns_cli_print_help(a->command, stderr);
        return NS_EXIT_BAD_INPUT;
    }
    const char *dir = a->files.items[0];
    if (a->area_name)
        return write_area_template(a, dir);
    if (!ns_cli_ensure_dir(dir))
        return NS_EXIT_FAILURE;
    for (size_t i = 0; i < ns_default_model_n_files; i++) {
        int rc = write_file(dir, &ns_default_model_files[i]);
        if (rc != NS_EXIT_OK)
            return rc;
    }
    return NS_EXIT_OK;
}

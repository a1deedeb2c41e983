/* netsave: what the parts of the model loader share. Internal to params/.
 *
 * loader.c holds the entry points (params.h): loading files and text,
 * --set, subgroups, and the checks once everything is read. sections.c
 * turns one INI entry into the definition (model/def.h), by section.
 * data_files.c reads the files an entry names (CSV tables, targets) and
 * keeps the list of every file read, with its hash. */
#ifndef NS_PARAMS_LOADER_H
#define NS_PARAMS_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include "model/diag.h"
#include "model/netsave.h"
#include "params/ini_read.h"
#include "params/params.h"

/* One pass over one file, --set assignment or subgroup. */
struct loader {
    struct ns_params *params;
    struct ns_diags *diags;
    const char *file;     /* stable copy owned by params->files */
    const char *base_dir; /* for CSV tables; NULL: current folder */
    bool failed, out_of_mem;
};

#define FAIL(ld, line, ...)                                                  \
    do {                                                                     \
        ns_diags_addf((ld)->diags, (ld)->file, (line), __VA_ARGS__);         \
        (ld)->failed = true;                                                 \
    } while (0)

/* Notes a definition builder's status: only running out of memory stops
 * the load; its other problems are in the diagnostics already. */
static inline void
check(struct loader *ld, enum ns_status st)
{
    if (st == NS_ENOMEM)
        ld->out_of_mem = true;
}

/* [table.NAME] sections, gathered while the INI is read and loaded after
 * it, since a table's keys may come in any order. */
struct table_spec {
    char *name, *file, *key_column, *value_column, *lookup;
    int line;      /* the section's first key */
    int file_line; /* the file key */
};

struct pending_tables {
    struct table_spec *items;
    size_t n;
};

/* sections.c */

/* Returns rest if section is "prefix.rest" (rest not empty), else NULL. */
const char *ns_section_suffix(const char *section, const char *prefix);

/* Whether s is a section a model file may have. */
bool ns_section_known(const char *s);

/* "; did you mean '[x]'?" for the known section nearest to section, or
 * "" (written into buf). */
const char *ns_section_hint(char *buf, size_t n, const char *section);

/* Splits "from -> to" into trimmed parts (written into buf, n bytes);
 * false unless both are there. */
bool ns_split_arrow(const char *key, char *buf, size_t n, const char **from,
                    const char **to);

/* Applies one entry of a known section to ld->params; [table.NAME] keys
 * are gathered into pt, for ns_loader_load_tables. */
void ns_loader_apply_entry(struct loader *ld, struct pending_tables *pt,
                           const struct ns_ini_entry *e);

/* data_files.c */

/* Lists the file read, with its hash and, when on_disk, its identity;
 * returns the stable copy of path, or NULL if memory runs out. */
const char *ns_loader_remember_file(struct loader *ld, const char *path,
                                    const char *text, size_t len,
                                    bool on_disk);

/* [validation] targets = FILE: reads the targets file. */
void ns_loader_load_targets(struct loader *ld, const struct ns_ini_entry *e);

/* Reads the tables pt describes into the definition and frees pt. */
void ns_loader_load_tables(struct loader *ld, struct pending_tables *pt);

#endif

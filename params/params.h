/* netsave: model files (INI, with CSV tables) to a model definition.
 *
 * A model is one or more INI files applied in order: later files override
 * earlier ones key by key, and --set assignments override them all. Every
 * problem in every file is recorded as a diagnostic "file:line: message"
 * naming the section and key, what was expected and what was found; no
 * loading stops at the first problem. The format is documented in
 * docs/model-format.md. This is the only module that includes <ini.h>. */
#ifndef NS_PARAMS_PARAMS_H
#define NS_PARAMS_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "model/def.h"
#include "model/diag.h"
#include "model/netsave.h"
#include "params/paths.h"

/* The longest line the INI reader accepts, in characters without the
 * newline: Debian's inih is built with a 200-byte buffer. */
#define NS_INI_MAX_LINE 198

/* One override of a subgroup: "SECTION.KEY = value" in [subgroup.NAME]. */
struct ns_subgroup_entry {
    char *section, *key, *value; /* owned */
    struct ns_origin at;
};

struct ns_subgroup {
    char *name;       /* owned */
    double weight;    /* share of the population, from [subgroups] */
    struct ns_origin at;
    bool has_weight;  /* listed in [subgroups] */
    struct ns_subgroup_entry *entries; /* owned, in order */
    size_t n_entries;
};

/* A file held in memory (the built-in model and its tables). */
struct ns_memory_file {
    const char *name; /* as the INI file names it */
    const char *text;
    size_t len;
};

struct ns_params {
    struct ns_model_def def; /* what the files say, overlays applied */
    char **files;            /* owned; every file read (INI and CSV), in
                                order: the origins in def point here */
    size_t n_files;
    unsigned char (*hashes)[32]; /* SHA-256 of each file's bytes */
    struct ns_file_id *file_ids; /* [n_files]: which file on disk each
                                    was read from (on_disk false: a
                                    built-in file), so that no output
                                    replaces one */
    size_t n_sets;           /* --set assignments applied so far */
    double horizon_years;    /* [model] horizon when given, else -1 */
    struct ns_origin horizon_at;    /* [model] horizon; file NULL: not
                                       given (or replaced by a later
                                       file's n_cycles) */
    struct ns_origin n_cycles_key_at; /* [model] n_cycles, likewise */
    struct ns_subgroup *subgroups; /* owned; [n_subgroups] */
    struct ns_params **kept;  /* owned; the parameters each subgroup's model
                                 was compiled from, kept alive because the
                                 models' origins point into them */
    size_t n_kept;
    size_t n_subgroups;
    const struct ns_memory_file *memory_files; /* borrowed: tables are
                                                  looked up here first */
    size_t n_memory_files;
    bool is_partial;         /* a file, a section or a table could not be
                                read whole: what is missing would only
                                cause more (misleading) messages, so
                                ns_params_finish stops there */
};

/* Creates an empty set of parameters with the model defaults. NULL if
 * memory runs out. Free with ns_params_free(), which accepts NULL. */
struct ns_params *ns_params_alloc(void);
void ns_params_free(struct ns_params *params);

/* Reads one INI model file (and the CSV tables it names, relative to its
 * folder) as an overlay. Returns NS_OK, NS_EPARAM with diagnostics, or
 * NS_ENOMEM. Later calls override earlier ones. */
enum ns_status ns_params_load_file(struct ns_params *params, const char *path,
                                   struct ns_diags *diags);

/* The same for INI text held in memory (the built-in model); name is used
 * in messages, and CSV tables are resolved against base_dir (NULL: the
 * current folder). */
enum ns_status ns_params_load_text(struct ns_params *params, const char *name,
                                   const char *text, size_t len,
                                   const char *base_dir,
                                   struct ns_diags *diags);

/* Applies "section.key=value" (the key is what follows the last '.'
 * before '='), as if it were the last line of the last file. */
enum ns_status ns_params_set(struct ns_params *params, const char *assignment,
                             struct ns_diags *diags);
/* The same, naming the assignment "--set:index" in messages. */
enum ns_status ns_params_set_at(struct ns_params *params,
                                const char *assignment, size_t index,
                                struct ns_diags *diags);

/* Applies the overrides of subgroup g (after the files, before --set),
 * each of which must override something the files define. */
enum ns_status ns_params_apply_subgroup(struct ns_params *params, size_t g,
                                        struct ns_diags *diags);

/* Checks what only the whole set of overlays can show: required settings
 * present. Call after the last load/set and before compiling. Returns
 * NS_EPARAM without further messages when is_partial: a model with entry
 * problems only (a bad value, an unknown key) can still be compiled to
 * find the rest; one with a missing part cannot. */
enum ns_status ns_params_finish(struct ns_params *params,
                                struct ns_diags *diags);

/* Where a model comes from: files applied in order (or, with none, the
 * built-in text), then --set assignments. */
struct ns_model_source {
    const char *const *files;
    size_t n_files;
    const struct ns_memory_file *builtin; /* the INI file, then its tables */
    size_t n_builtin;
    const char *const *sets;
    size_t n_sets;
    bool builtin_then_files; /* load the built-in model, then the files on
                                top of it (netsave compare's scenarios) */
};

struct ns_population;

/* Loads, checks and compiles a model and each of its subgroups into a
 * population (model/population.h): a model without [subgroups] is one
 * subgroup, "all". *params_out receives the base model's parameters (the
 * files read and their hashes), to free with ns_params_free, and only
 * after the population: its models' origins point into it (struct
 * ns_origin). Every problem found goes into diags. Returns NS_OK, NS_EPARAM or NS_ENOMEM;
 * on failure both outputs are NULL. */
enum ns_status ns_params_build(const struct ns_model_source *src,
                               struct ns_params **params_out,
                               struct ns_population **pop_out,
                               struct ns_diags *diags);

/* What the scenario's files change against the base's: one line per
 * parameter definition ("parameter NAME: old -> new", every definition,
 * shared and per strategy, in full), [model] cycles, and subgroup weight
 * and entry that differs. Returns NS_OK with *changes[*n] (free with
 * ns_params_changes_free), or NS_ENOMEM. */
enum ns_status ns_params_changes(const struct ns_params *base,
                                 const struct ns_params *scenario,
                                 char ***changes, size_t *n);

void ns_params_changes_free(char **changes, size_t n);

#endif

/* netsave anchors: the model side by side with the published studies.
 *
 * Command-line glue, like main.c: reads the anchors file (params/
 * anchors.h), runs the model once as it is and once with each distinct
 * scenario the anchors name (as netsave compare applies scenarios: the
 * model files, or the built-in model, then the scenario, then --set),
 * resolves each anchor against the model it ran and computes its figures
 * (model/anchors.h), and prints the table. main.c writes the files
 * (output/), as for every command. */
#ifndef NS_CLI_ANCHORS_H
#define NS_CLI_ANCHORS_H

#include <stddef.h>

#include "model/analysis/anchors.h"
#include "model/diag.h"
#include "model/netsave.h"
#include "output/output.h"
#include "params/anchors.h"
#include "params/params.h"

struct ns_cli_anchors_request {
    const char *const *files; /* model files; none: the built-in model */
    size_t n_files;
    const char *const *sets;  /* --set assignments */
    size_t n_sets;
    const char *anchors_file; /* --anchors, or NULL for the default:
                                 anchors.csv in the first model file's
                                 folder, params/anchors.csv for the
                                 built-in model */
};

/* One run of the model: as it is (the base), or with a scenario. */
struct ns_cli_anchor_run {
    const char *scenario;      /* borrowed from the anchors; NULL: base */
    struct ns_params *params;  /* owned */
    struct ns_population *pop; /* owned, run; NULL when it failed */
};

struct ns_cli_anchors {
    char *path;                       /* owned; the anchors file read */
    struct ns_anchor_defs *defs;      /* owned */
    struct ns_cli_anchor_run *runs;   /* owned; [n_runs], runs[0] the base */
    size_t n_runs;
    struct ns_anchor_spec *specs;     /* owned; [defs->n] */
    struct ns_anchor_figure *arms;    /* owned; every anchor's arms in turn */
    struct ns_anchor_report *reports; /* owned; [defs->n], for output/ */
};

/* The anchors file a request reads when it names none: anchors.csv in the
 * first model file's folder, params/anchors.csv for the built-in model.
 * Owned by the caller; NULL if memory runs out. */
char *ns_cli_anchors_default_path(const struct ns_cli_anchors_request *req);

/* Does everything but print and write. Returns NS_OK with *out set (free
 * with ns_cli_anchors_free), or NS_EPARAM / NS_EMODEL / NS_EIO (bad input:
 * every problem found, in the anchors file, the model files, the
 * scenarios and the names the anchors use, is in diags) or NS_ENOMEM, with
 * *out NULL. */
enum ns_status ns_cli_anchors_prepare(const struct ns_cli_anchors_request *req,
                                      struct ns_cli_anchors **out,
                                      struct ns_diags *diags);

/* Prints the table of anchors, then each anchor's arms, on stdout. */
void ns_cli_anchors_print(const struct ns_cli_anchors *a);

void ns_cli_anchors_free(struct ns_cli_anchors *a);

#endif

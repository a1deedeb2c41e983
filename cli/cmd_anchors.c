/* netsave anchors (cli/anchors.h): the table, then the files asked for;
 * the workbook is the model's as it is, plus the Anchors sheet. */
#include <stdio.h>

#include "cli/anchors.h"
#include "cli/cli.h"

bool
ns_cli_anchor_runs_spared(const struct ns_cli_args *a,
                          const struct ns_cli_anchors *anchors)
{
    bool spared = true;
    for (size_t r = 0; anchors && r < anchors->n_runs; r++)
        if (anchors->runs[r].params &&
            !ns_cli_params_spared(a, anchors->runs[r].params))
            spared = false;
    return spared;
}

static int
write_files(const struct ns_cli_args *a, const struct ns_cli_anchors *an,
            struct ns_diags *diags)
{
    char err[512];
    if (a->csv_dir) {
        if (!ns_cli_ensure_dir(a->csv_dir))
            return NS_EXIT_FAILURE;
        if (ns_csv_write_anchors(a->csv_dir, an->reports, an->defs->n, a->set,
                                 err,
                                 sizeof err) != NS_OK) {
            fprintf(stderr, "netsave: %s\n", err);
            return NS_EXIT_FAILURE;
        }
    }
    if (!a->output)
        return NS_EXIT_OK;
    struct ns_run_info extra = {.anchors = an->reports,
                                .n_anchors = an->defs->n};
    return ns_cli_write_base_workbook(a, an->runs[0].params, an->runs[0].pop,
                                      &extra, diags);
}

int
ns_cli_anchors(const struct ns_cli_args *a)
{
    struct ns_cli_anchors_request req = {a->files.items, a->files.n,
                                         a->sets.items, a->sets.n,
                                         a->anchors_file};
    struct ns_cli_anchors *an = NULL;
    struct ns_diags diags = {0};
    enum ns_status st = ns_cli_anchors_prepare(&req, &an, &diags);
    ns_diags_sort(&diags);
    ns_cli_print_diags(&diags);
    if (st == NS_ENOMEM)
        fprintf(stderr, "netsave: out of memory\n");
    int rc = st == NS_OK       ? NS_EXIT_OK
             : st == NS_ENOMEM ? NS_EXIT_FAILURE
                               : NS_EXIT_BAD_INPUT;
    if (rc == NS_EXIT_OK && !ns_cli_anchor_runs_spared(a, an))
        rc = NS_EXIT_BAD_INPUT;
    if (rc == NS_EXIT_OK) {
        ns_cli_anchors_print(an);
        rc = write_files(a, an, &diags);
    }
    ns_cli_anchors_free(an);
    ns_diags_clear(&diags);
    return rc;
}

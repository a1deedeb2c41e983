/* netsave: no command writes over a file it reads (see outputs.h). */
#include "cli/outputs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/output.h"

/* Prints and counts each of the n inputs that path, an output, is: the
 * workbook (csv_dir NULL) or a file of the CSV folder csv_dir. */
static size_t
clashes(const char *path, const char *csv_dir, const char *const *names,
        const struct ns_file_id *ids, size_t n)
{
    struct ns_file_id out;
    if (!ns_file_id_of(path, &out))
        return 0; /* not there yet, so no input */
    for (size_t i = 0; i < n; i++) {
        struct ns_file_id in;
        if (ids)
            in = ids[i];
        else
            ns_file_id_of(names[i], &in);
        if (!ns_file_id_same(&out, &in))
            continue;
        if (csv_dir)
            fprintf(stderr,
                    "netsave: --csv %s would replace the input %s with "
                    "its output %s (choose another folder)\n",
                    csv_dir, names[i], strrchr(path, '/') + 1);
        else
            fprintf(stderr,
                    "netsave: -o %s would replace the input %s (choose "
                    "another file)\n",
                    path, names[i]);
        return 1;
    }
    return 0;
}

bool
ns_cli_outputs_spare(const struct ns_cli_outputs *out,
                     const char *const *names, const struct ns_file_id *ids,
                     size_t n)
{
    size_t found = 0;
    if (out->xlsx)
        found += clashes(out->xlsx, NULL, names, ids, n);
    if (!out->csv_dir)
        return found == 0;
    for (size_t f = 0; f < ns_csv_n_names; f++) {
        char *path = ns_path_resolve(out->csv_dir, ns_csv_names[f]);
        if (!path) {
            fprintf(stderr, "netsave: out of memory\n");
            return false;
        }
        found += clashes(path, out->csv_dir, names, ids, n);
        free(path);
    }
    return found == 0;
}

bool
ns_cli_outputs_spare_params(const struct ns_cli_outputs *out,
                            const struct ns_params *params)
{
    return ns_cli_outputs_spare(out, (const char *const *)params->files,
                                params->file_ids, params->n_files);
}

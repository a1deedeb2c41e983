/* netsave: no command writes over a file it reads.
 *
 * A workbook (-o), a calibrated overlay (calibrate -o) or a CSV file
 * (--csv DIR) that is one of the command's inputs, however the path is
 * spelled (./, .., a symbolic or hard link), would replace the model with
 * results. The commands check twice, both times before any model runs:
 * the files named on the command line first, then every file the loader
 * read (the CSV tables and targets the INI files name). */
#ifndef NS_CLI_OUTPUTS_H
#define NS_CLI_OUTPUTS_H

#include <stdbool.h>
#include <stddef.h>

#include "params/params.h"
#include "params/paths.h"

/* What a command writes: either may be NULL. */
struct ns_cli_outputs {
    const char *xlsx;    /* -o */
    const char *csv_dir; /* --csv: ns_csv_names in that folder */
};

/* Whether no output is one of the n files named (ids NULL: found from
 * the names now; else ids[i] is the file names[i] was read from). Each
 * clash is printed on stderr as "netsave: ...". */
bool ns_cli_outputs_spare(const struct ns_cli_outputs *out,
                          const char *const *names,
                          const struct ns_file_id *ids, size_t n);

/* The same for every file params was loaded from. */
bool ns_cli_outputs_spare_params(const struct ns_cli_outputs *out,
                                 const struct ns_params *params);

#endif

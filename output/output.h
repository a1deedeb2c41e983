/* netsave: results to files for people and programs.
 *
 * CSV for economists (tidy, one observation per row, column names are a
 * contract documented in docs/outputs.md) and an xlsx workbook for
 * commissioners. Every file is written atomically (output/atomic.h). */
#ifndef NS_OUTPUT_OUTPUT_H
#define NS_OUTPUT_OUTPUT_H

#include <stddef.h>

#include "model/model.h"
#include "model/netsave.h"
#include "model/results.h"

/* What the About sheet records about a run. Strings are borrowed. */
struct ns_run_info {
    const char *version;      /* netsave version */
    const char *command_line; /* as typed, arguments joined by spaces */
    const char *run_time;     /* ISO 8601 local time of the run */
    const char *const *input_files; /* files read, in order */
    const char *const *input_hashes; /* a hash of each, same order */
    size_t n_inputs;
};

/* Writes trace.csv, values.csv, summary.csv and incremental.csv into dir,
 * which must exist. Returns NS_OK, NS_EOUTPUT when results were not made
 * for this model, or NS_EIO with a one-line reason in err naming the file;
 * files already completed stay, the failed one is not left half-written. */
enum ns_status ns_csv_write_results(const char *dir,
                                    const struct ns_model *model,
                                    const struct ns_results *results,
                                    char *err, size_t err_size);

/* Writes the workbook at path. Returns NS_OK, or NS_EIO / NS_EOUTPUT with
 * a one-line reason in err; on failure any existing file at path is left
 * untouched and no temporary file remains. */
enum ns_status ns_xlsx_write_results(const char *path,
                                     const struct ns_model *model,
                                     const struct ns_results *results,
                                     const struct ns_run_info *info,
                                     char *err, size_t err_size);

#endif

/* netsave validate: the targets against the model, as a table.
 *
 * Command-line glue, like main.c: the fit targets, then the holdout
 * targets (kept out of calibration), each with its summary by arms, and
 * each missed holdout target in words with what might explain it. */
#ifndef NS_CLI_VALIDATION_H
#define NS_CLI_VALIDATION_H

#include "model/diag.h"
#include "model/population.h"

/* What validation found: every binding target (graded A or B) met, one
 * missed, or a target that could not be computed (its problem in
 * diags). */
enum ns_cli_validation {
    NS_VALIDATION_MET,
    NS_VALIDATION_MISSED,
    NS_VALIDATION_ERROR
};

/* Prints the fit and the holdout targets of pop's model on stdout; the
 * problems of targets that could not be computed go to diags. */
enum ns_cli_validation ns_cli_validation_print(const struct ns_population *pop,
                                               struct ns_diags *diags);

#endif

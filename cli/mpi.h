/* netsave under MPI: one analysis shared by the processes (ranks) that
 * mpirun or srun starts (docs/distributed.md). Built with -DNS_MPI=ON
 * (cli/mpi.c); otherwise cli/mpi_none.c, where there is never more than
 * one process and every function here is a no-op.
 *
 * Only rank 0 reads the command line's outputs, prints and writes; the
 * other ranks run their share of the work and hand it to rank 0, which
 * assembles it in the order one process would, so every figure and file
 * is the same bytes. Commands that do not share their work (all but psa,
 * compare and areas) run on rank 0 alone; the other ranks exit at once.
 *
 * The ranks meet once per run (ns_cli_mpi_begin, or ns_cli_mpi_finish
 * for a rank that failed before it): a rank that cannot load the model
 * makes every rank stop there. After a shared analysis, rank 0 tells the
 * others whether it went on (ns_cli_mpi_end). */
#ifndef NS_CLI_MPI_H
#define NS_CLI_MPI_H

#include <stdbool.h>
#include <stddef.h>

#include "model/analysis/compare.h"
#include "model/analysis/psa.h"

struct ns_cli_mpi;

/* Starts MPI when the process was launched by mpirun or srun (Open MPI's
 * or PMI's variables are set), silencing the standard output and error of
 * ranks above 0. *mpi is NULL otherwise, and for a build without MPI.
 * False after a message when MPI would not start. */
bool ns_cli_mpi_start(int *argc, char ***argv, struct ns_cli_mpi **mpi);

/* Ends MPI: a rank that never reached ns_cli_mpi_begin meets the others
 * there, failed. Returns the exit status: rc on rank 0; on the others, 0
 * unless they failed on their own (rank 0 reports the run's failures). */
int ns_cli_mpi_finish(struct ns_cli_mpi *mpi, int rc);

/* Whether this process prints and writes: rank 0, or no MPI. */
bool ns_cli_mpi_root(const struct ns_cli_mpi *mpi);

/* Meets the other ranks before a shared analysis. False when a rank could
 * not get this far (rank 0 says which): the run fails. */
bool ns_cli_mpi_begin(struct ns_cli_mpi *mpi);

/* The PSA's share (model/analysis/psa.h) over MPI; NULL with one process.
 * Valid until ns_cli_mpi_end. */
const struct ns_psa_share *ns_cli_mpi_psa_share(struct ns_cli_mpi *mpi);

/* The runs' share (model/analysis/compare.h) over MPI; NULL with one
 * process. */
const struct ns_run_share *ns_cli_mpi_run_share(struct ns_cli_mpi *mpi);

/* Ends a shared analysis. Rank 0 tells the others whether it succeeded
 * (ok) and takes what they still send; the others say they are done and
 * return whether rank 0 succeeded. */
bool ns_cli_mpi_end(struct ns_cli_mpi *mpi, bool ok);

#endif

/* netsave without MPI (cli/mpi.h): one process, which does everything. */
#include "cli/mpi.h"

bool
ns_cli_mpi_start(int *argc, char ***argv, struct ns_cli_mpi **mpi)
{
    (void)argc;
    (void)argv;
    *mpi = NULL;
    return true;
}

int
ns_cli_mpi_finish(struct ns_cli_mpi *mpi, int rc)
{
    (void)mpi;
    return rc;
}

bool
ns_cli_mpi_root(const struct ns_cli_mpi *mpi)
{
    (void)mpi;
    return true;
}

bool
ns_cli_mpi_begin(struct ns_cli_mpi *mpi)
{
    (void)mpi;
    return true;
}

const struct ns_psa_share *
ns_cli_mpi_psa_share(struct ns_cli_mpi *mpi)
{
    (void)mpi;
    return NULL;
}

const struct ns_run_share *
ns_cli_mpi_run_share(struct ns_cli_mpi *mpi)
{
    (void)mpi;
    return NULL;
}

bool
ns_cli_mpi_end(struct ns_cli_mpi *mpi, bool ok)
{
    (void)mpi;
    return ok;
}

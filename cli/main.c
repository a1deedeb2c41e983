/* netsave: the program. Finds the command in the table (cli/commands.c),
 * parses its options (cli/options.c), checks before any work that no
 * output would replace an input and that the workbook can be written,
 * then runs it (cli/cmd_*.c). */
#include <errno.h>
#include <fcntl.h>
#include <gsl/gsl_errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/anchors.h"
#include "cli/cli.h"
#include "model/jit.h"
#include "cli/mpi.h"
#include "cli/outputs.h"
#include "output/atomic.h"
#include "params/text.h"

/* The first check that no output replaces an input: the files the
 * command line names, and the anchors file the command reads, before
 * anything is read. */
static bool
named_inputs_spared(const struct ns_cli_args *a)
{
    size_t n = 0;
    const char **names = calloc(a->files.n + a->bases.n + 2, sizeof *names);
    if (!names) {
        fprintf(stderr, "netsave: out of memory\n");
        return false;
    }
    for (size_t i = 0; i < a->files.n; i++)
        names[n++] = a->files.items[i];
    for (size_t i = 0; i < a->bases.n; i++)
        names[n++] = a->bases.items[i];
    char *anchors = NULL;
    if (a->command->reads_anchors) {
        struct ns_cli_anchors_request req = {a->files.items, a->files.n,
                                             a->sets.items, a->sets.n,
                                             a->anchors_file};
        anchors = a->anchors_file ? NULL : ns_cli_anchors_default_path(&req);
        if (a->anchors_file || anchors)
            names[n++] = a->anchors_file ? a->anchors_file : anchors;
    }
    struct ns_cli_outputs out = {a->output, a->csv_dir};
    bool spared = ns_cli_outputs_spare(&out, names, NULL, n);
    free(anchors);
    free(names);
    return spared;
}

/* What is checked before the command runs. */
static int
preflight(const struct ns_cli_args *a)
{
    if (!a->command->writes_only_operands && !named_inputs_spared(a))
        return NS_EXIT_BAD_INPUT;
    /* A workbook that cannot be written is found out before the analysis
     * runs (a long PSA would otherwise be lost), and before any CSV is
     * written, so the run writes nothing at all. */
    char err[512];
    if (a->output && ns_atomic_probe(a->output, err, sizeof err) != NS_OK) {
        fprintf(stderr, "netsave: %s\n", err);
        return NS_EXIT_FAILURE;
    }
    return NS_EXIT_OK;
}

/* Arguments reach the terminal and the workbook's About sheet, which
 * must be text: a file name in Latin-1 would make the XML malformed. */
static bool
arguments_are_text(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (ns_text_bad_at(argv[i], n) != n) {
            fprintf(stderr,
                    "netsave: argument %d is not UTF-8 text or holds a "
                    "control character; rename the file or retype it\n",
                    i);
            return false;
        }
    }
    return true;
}

/* Two runs writing to the same CSV folder or workbook would interleave
 * their files: the second is refused while the first holds the lock
 * (output/atomic.h; the kernel drops it if a run dies). */
static int
lock_outputs(const struct ns_cli_args *a, struct ns_atomic_lock **lock)
{
    char err[512];
    if ((a->csv_dir &&
         ns_atomic_lock(a->csv_dir, lock, err, sizeof err) != NS_OK) ||
        (a->output &&
         ns_atomic_lock(a->output, lock, err, sizeof err) != NS_OK)) {
        fprintf(stderr, "netsave: %s\n", err);
        return NS_EXIT_FAILURE;
    }
    return NS_EXIT_OK;
}

/* A rank above 0 of an MPI run (cli/mpi.h): runs its share of a command
 * that shares its work, and reads, prints and writes nothing else. */
static int
run_share(const struct ns_cli_command *c, int argc, char **argv,
          struct ns_cli_mpi *mpi)
{
    if (!c->shares_work)
        return NS_EXIT_OK;
    struct ns_cli_args a;
    int rc = ns_cli_parse(c, argc, argv, &a);
    a.mpi = mpi;
    a.output = NULL;
    a.csv_dir = NULL;
    a.write_draws = false;
    a.evppi = false;
    if (rc == NS_EXIT_OK && !a.help)
        rc = c->run(&a);
    ns_cli_args_clear(&a);
    return rc;
}

static int
run_command(const struct ns_cli_command *c, int argc, char **argv,
            struct ns_cli_mpi *mpi)
{
    if (!ns_cli_mpi_root(mpi))
        return run_share(c, argc, argv, mpi);
    struct ns_cli_args a;
    int rc = ns_cli_parse(c, argc, argv, &a);
    a.mpi = mpi;
    if (rc == NS_EXIT_OK && a.help) {
        ns_cli_print_help(c, stdout);
    } else if (rc == NS_EXIT_OK && (rc = preflight(&a)) == NS_EXIT_OK) {
        struct ns_atomic_lock *lock = NULL;
        struct ns_atomic_set set = {0};
        a.set = &set;
        if ((rc = lock_outputs(&a, &lock)) == NS_EXIT_OK)
            rc = c->run(&a);
        /* A run's outputs are a set (ns_cli_commit_outputs): renamed
         * into place when the command succeeded, else all removed. */
        if (rc == NS_EXIT_OK)
            rc = ns_cli_commit_outputs(&a);
        ns_atomic_set_abort(&set);
        ns_atomic_unlock(lock);
    }
    ns_cli_args_clear(&a);
    return rc;
}

static int
dispatch(int argc, char **argv, struct ns_cli_mpi *mpi)
{
    if (argc < 2) {
        ns_cli_print_main_help(stderr);
        return NS_EXIT_BAD_INPUT;
    }
    if (!arguments_are_text(argc, argv))
        return NS_EXIT_BAD_INPUT;
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
        strcmp(name, "help") == 0) {
        ns_cli_print_main_help(stdout);
        return NS_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("netsave %s\n", NS_VERSION);
        return NS_EXIT_OK;
    }
    if (strcmp(name, "--features") == 0) {
        printf("netsave %s\n", NS_VERSION);
        if (ns_jit_built())
            printf("code generator: libgccjit, for %s (this host's widest)\n",
                   ns_jit_host_isa());
        else
            printf("code generator: none (models run interpreted)\n");
        return NS_EXIT_OK;
    }
    const struct ns_cli_command *c = ns_cli_command_find(name);
    if (!c) {
        fprintf(stderr, "netsave: unknown command '%s'\n\n", name);
        ns_cli_print_main_help(stderr);
        return NS_EXIT_BAD_INPUT;
    }
    return run_command(c, argc, argv, mpi);
}

/* A standard descriptor the caller closed (`netsave run >&-`) would be
 * the next file opened, and the summary or the messages would land in an
 * output. Hold each closed one with /dev/null opened read-only: the
 * lowest free descriptor is taken, and writes to it still fail (EBADF),
 * which stdout_written reports. */
static void
hold_closed_std_fds(void)
{
    for (int fd = 0; fd <= 2; fd++)
        if (fcntl(fd, F_GETFD) == -1 && errno == EBADF &&
            open("/dev/null", O_RDONLY) != fd)
            return;
}

/* The summary is the result of most commands: if it could not be written
 * (stdout closed, a full disk, /dev/full) the run failed. Keeps rc when it
 * is already a failure. */
static int
stdout_written(int rc)
{
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return rc;
    int e = errno;
    fprintf(stderr, "netsave: cannot write the summary to standard output: "
                    "%s\n",
            e ? strerror(e) : "a write failed");
    return rc == NS_EXIT_OK ? NS_EXIT_FAILURE : rc;
}

int
main(int argc, char **argv)
{
    hold_closed_std_fds();
    /* GSL's default handler aborts; the libraries check every status. */
    gsl_set_error_handler_off();
    /* Past a file-size limit (ulimit -f) a write should fail with EFBIG,
     * which the writers report and clean up after, rather than kill the
     * process and leave a temporary file behind. */
    signal(SIGXFSZ, SIG_IGN);
    struct ns_cli_mpi *mpi = NULL;
    if (!ns_cli_mpi_start(&argc, &argv, &mpi))
        return NS_EXIT_FAILURE;
    int rc = stdout_written(dispatch(argc, argv, mpi));
    return ns_cli_mpi_finish(mpi, rc);
}

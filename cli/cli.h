/* netsave: the command-line interface, a thin layer over the libraries.
 *
 * A command is an entry of a table (cli/commands.c): its name, its help
 * and the options it accepts, and the function that runs it (one file
 * per command, cli/cmd_*.c). Options are declared once (cli/options.c),
 * parsed into struct ns_cli_args, and printed in each command's help with
 * the defaults the analyses define. Only cli/ prints. Exit statuses: 0
 * success, 1 any other failure (a file that cannot be written), 2 bad
 * input or usage (every problem with the model's files is listed on
 * stderr, and nothing is written). */
#ifndef NS_CLI_CLI_H
#define NS_CLI_CLI_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "model/diag.h"
#include "model/model.h"
#include "model/population.h"
#include "model/verify.h"
#include "output/output.h"
#include "params/params.h"

enum { NS_EXIT_OK = 0, NS_EXIT_FAILURE = 1, NS_EXIT_BAD_INPUT = 2 };

/* A numeric default as text, for help that prints the named constant. */
#define NS_STR_(x) #x
#define NS_STR(x) NS_STR_(x)

/* Every option of every command, each declared once (cli/options.c). */
enum ns_cli_option_id {
    NS_OPT_HELP,
    NS_OPT_SET,
    NS_OPT_OUTPUT,
    NS_OPT_CSV,
    NS_OPT_PERSPECTIVE,
    NS_OPT_VERIFY,
    NS_OPT_STARTS,
    NS_OPT_SEED,
    NS_OPT_ALL_TARGETS,
    NS_OPT_DRAWS,
    NS_OPT_THREADS,
    NS_OPT_WRITE_DRAWS,
    NS_OPT_PARAM,
    NS_OPT_TWO_WAY,
    NS_OPT_GRID,
    NS_OPT_RANGE,
    NS_OPT_TARGET,
    NS_OPT_BASE,
    NS_OPT_ANCHORS,
    NS_OPT_PLACES,
    NS_OPT_DELTA,
    NS_OPT_TIPPING,
    NS_OPT_NORMS,
    NS_OPT_OVERDISPERSION,
    NS_OPT_WTP,
    NS_OPT_AREA,
    NS_OPT_EVPPI,
    NS_OPT_FORMULAS,
    NS_OPT_COUNT,
    NS_OPT_END = NS_OPT_COUNT /* ends a command's list of options */
};

/* Values given more than once accumulate (--set, --param, ...). */
struct ns_cli_list {
    const char **items; /* borrowed from argv; owned array */
    size_t n;
};

/* The command line, parsed. Strings are borrowed from argv. */
struct ns_atomic_set;
struct ns_cli_mpi;

struct ns_cli_args {
    const struct ns_cli_command *command;
    int argc;
    char **argv;
    bool given[NS_OPT_COUNT]; /* which options the command line gave */
    struct ns_cli_list files; /* the operands: model files, scenarios, DIR */
    struct ns_cli_list sets, params, bases, places;
    const char *output;       /* -o: the workbook (calibrate: the overlay) */
    const char *csv_dir;
    const char *perspective;
    const char *two_way;
    const char *anchors_file;
    const char *target;
    const char *norms_file;
    const char *overdispersion;
    const char *area_name;    /* init --area */
    unsigned long starts, seed, n_draws, threads, grid;
    double delta;
    double wtp;               /* --wtp, when given[NS_OPT_WTP] */
    double range[2];
    bool help, verify, all_targets, write_draws, tipping, formulas;
    bool evppi;
    /* The run's output files (output/atomic.h): writers begin theirs in
     * it, and main renames them all into place only when the command
     * succeeded, or removes them all. */
    struct ns_atomic_set *set;
    /* The MPI processes sharing the run (cli/mpi.h), or NULL. */
    struct ns_cli_mpi *mpi;
};

/* An option a command accepts, with help of its own where the option
 * means something particular there (NULL: the option's own help). */
struct ns_cli_accepts {
    enum ns_cli_option_id id;
    const char *help;
    const char *arg; /* the value's name there, or NULL: the option's */
};

/* A command: one entry of the table. */
struct ns_cli_command {
    const char *name;
    const char *summary;   /* one line, for netsave --help */
    const char *synopsis;  /* after "usage: netsave NAME " */
    const char *about;     /* what it does, for NAME --help */
    const struct ns_cli_accepts *options; /* ends with NS_OPT_END */
    const char *exit_status;
    const char *operand;   /* what an operand names, for messages:
                              "a file", "a folder" */
    bool reads_anchors;    /* reads the anchors file by default */
    bool writes_only_operands; /* init: nothing is read, so there is no
                                  input to spare */
    int (*run)(const struct ns_cli_args *a);
    bool shares_work;      /* under MPI, every rank runs it (cli/mpi.h) */
};

extern const struct ns_cli_command ns_cli_commands[];
extern const size_t ns_cli_n_commands;

const struct ns_cli_command *ns_cli_command_find(const char *name);

/* Prints netsave --help (to out) and a command's --help. */
void ns_cli_print_main_help(FILE *out);
void ns_cli_print_help(const struct ns_cli_command *c, FILE *out);

/* Parses argv[2..] for command c into a (allocating its lists; free with
 * ns_cli_args_clear). Returns NS_EXIT_OK, or NS_EXIT_BAD_INPUT after
 * saying what is wrong, or NS_EXIT_FAILURE when memory ran out. */
int ns_cli_parse(const struct ns_cli_command *c, int argc, char **argv,
                 struct ns_cli_args *a);
void ns_cli_args_clear(struct ns_cli_args *a);

/* cli/common.c: what several commands share. */

/* Prints diagnostics, folding repeats across strategies and subgroups. */
void ns_cli_print_diags(const struct ns_diags *diags);

/* The perspective -perspective names (NS_ALL_PAYERS for "all_payers"),
 * the model's first by default; false after a message for an unknown
 * name. */
bool ns_cli_perspective(const struct ns_cli_args *a, const struct ns_model *m,
                        long *view);

/* "all payers" or the perspective's name. */
const char *ns_cli_perspective_name(const struct ns_model *m, long view);

/* A data file that goes with a model: name in the folder of the first
 * model file, or builtin (a path in the source tree) for the built-in
 * model. malloc'd; NULL without memory. */
char *ns_cli_beside_model(const char *const *files, size_t n_files,
                          const char *name, const char *builtin);

/* Creates dir and any missing parents; false after a message. */
bool ns_cli_ensure_dir(const char *dir);

/* A model loaded from the command line's files and --set, and run. */
struct ns_cli_model {
    struct ns_params *params;
    struct ns_population *pop;
    struct ns_diags diags;
};

/* Builds (from a->files, or the built-in model), checks that no output
 * would replace an input it read, and runs the model. Returns NS_EXIT_OK
 * or the exit status after printing why. Clear with
 * ns_cli_model_clear in every case. */
int ns_cli_model_load(const struct ns_cli_args *a, struct ns_cli_model *m);
void ns_cli_model_clear(struct ns_cli_model *m);

/* ns_cli_model_load, then the models compiled to machine code
 * (ns_cli_compile_native): for the commands that run a model many times
 * (psa, dsa, threshold, calibrate, attrition). */
int ns_cli_model_load_native(const struct ns_cli_args *a,
                             struct ns_cli_model *m, unsigned uses,
                             double runs);

/* How many times the interpreted work must exceed the estimated time to
 * compile before compiling is chosen (docs/performance.md, the machine
 * measured): runs in lanes (a PSA) compiled take about two thirds of
 * their interpreted time, so five times the compilation's cost in
 * interpreted work leaves a clear gain; runs of one lane (DSA, threshold,
 * calibration) about nine tenths, so they need ten. */
#define NS_JIT_PAYBACK 10.0
#define NS_JIT_PAYBACK_LANES 5.0

/* About how many runs of the model each command makes (they decide only
 * whether compiling pays): a one-way DSA two per range, a threshold's
 * root finding some tens, a calibration some hundreds per start, a
 * benchmark draw two per service below par. */
#define NS_CLI_RUNS_DSA 100.0
#define NS_CLI_RUNS_THRESHOLD 60.0
#define NS_CLI_RUNS_CALIBRATE_START 500.0
#define NS_CLI_RUNS_ATTRITION 50.0
#define NS_CLI_RUNS_BENCHMARK_DRAW 20.0

/* Compiles every subgroup's model to machine code (model/jit.h) for the
 * runs uses says (NS_JIT_FOR_*), when about 'runs' runs make it pay
 * (NS_JIT_PAYBACK) or NS_JIT=1 is set, unless
 * the environment says NS_JIT=0; NS_JIT_ISA=x86-64-v3 (or another
 * -march=) compiles for an instruction set other than the host's widest.
 * Where it cannot, prints one line saying why, and the models run
 * interpreted, with the same results. Setting *cancel (if not NULL)
 * stops a compilation under way, silently. */
void ns_cli_compile_native(struct ns_population *pop, unsigned uses,
                           double runs, const atomic_int *cancel);

/* Builds the model from files (none: the built-in one, or with
 * use_default the built-in one under the files) without running it, and
 * checks no output replaces what it read. */
int ns_cli_model_build(const struct ns_cli_args *a, const char *const *files,
                       size_t n_files, bool use_default,
                       struct ns_params **params, struct ns_population **pop,
                       struct ns_diags *diags);

/* The second check that no output replaces an input: every file the
 * loader read (tables and targets). */
bool ns_cli_params_spared(const struct ns_cli_args *a,
                          const struct ns_params *params);

/* Runs the verification checks on every subgroup; on any failure prints
 * what failed and returns false. */
bool ns_cli_verify(const struct ns_population *pop, struct ns_checks *checks,
                   struct ns_diags *diags);

/* The command line joined by spaces (malloc'd; NULL without memory). */
char *ns_cli_command_line(const struct ns_cli_args *a);

/* Writes what run writes (the population's CSV files into --csv, the
 * workbook to -o) with the command's own sheets in extra (or NULL). With
 * workbook_only, the CSV files are left to the command. */
int ns_cli_write_outputs(const struct ns_cli_args *a,
                         const struct ns_params *params,
                         const struct ns_population *pop,
                         const struct ns_checks *checks,
                         const struct ns_run_info *extra, bool workbook_only);

/* The workbook of a command that runs the model several times (compare,
 * anchors): the base model's, verified, plus the command's sheet. */
int ns_cli_write_base_workbook(const struct ns_cli_args *a,
                               const struct ns_params *params,
                               const struct ns_population *pop,
                               const struct ns_run_info *extra,
                               struct ns_diags *diags);

/* Renames every output the command has written (a->set) into place
 * together: each is complete and on disk first, so a failure replaces
 * none (output/atomic.h). ns_cli_write_outputs calls it once the workbook
 * is written, main after a command that succeeded; a command that fails
 * before either leaves its files to main, which removes them all.
 * Returns NS_EXIT_OK, or NS_EXIT_FAILURE with the reason printed. */
int ns_cli_commit_outputs(const struct ns_cli_args *a);

/* Prints a failed analysis's diagnostics and its status; returns the exit
 * status it means (bad input for NS_EPARAM and bad_input_too). */
int ns_cli_failed(const char *what, enum ns_status st,
                  const struct ns_diags *diags, enum ns_status bad_input_too);

struct ns_cli_anchors;

/* The check that no output replaces an input, for each model netsave
 * anchors ran (its scenarios too). */
bool ns_cli_anchor_runs_spared(const struct ns_cli_args *a,
                               const struct ns_cli_anchors *anchors);

/* The commands. */
int ns_cli_run(const struct ns_cli_args *a);
int ns_cli_check(const struct ns_cli_args *a);
int ns_cli_validate(const struct ns_cli_args *a);
int ns_cli_calibrate(const struct ns_cli_args *a);
int ns_cli_threshold(const struct ns_cli_args *a);
int ns_cli_psa(const struct ns_cli_args *a);
int ns_cli_dsa(const struct ns_cli_args *a);
int ns_cli_compare(const struct ns_cli_args *a);
int ns_cli_areas(const struct ns_cli_args *a);
int ns_cli_anchors(const struct ns_cli_args *a);
int ns_cli_expand(const struct ns_cli_args *a);
int ns_cli_attrition(const struct ns_cli_args *a);
int ns_cli_init(const struct ns_cli_args *a);
int ns_cli_benchmark(const struct ns_cli_args *a);

#endif

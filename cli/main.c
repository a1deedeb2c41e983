/* netsave: the command-line interface, a thin layer over the libraries.
 *
 * Wiring only: parse arguments, load and compile the model (params/,
 * model/), run it, print a summary, write files (output/). Only this file
 * prints. Exit statuses: 0 success, 1 any other failure (a file that
 * cannot be written), 2 bad input or usage (every problem with the
 * model's files is listed on stderr, and nothing is written). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/anchors.h"
#include "cli/default_model.h"
#include "cli/outputs.h"
#include "cli/validation.h"
#include "model/engine.h"
#include "model/analysis/attrition.h"
#include "model/analysis/calibrate.h"
#include "model/analysis/dsa.h"
#include "model/analysis/expansion.h"
#include "model/ledger.h"
#include "model/analysis/psa.h"
#include "model/analysis/threshold.h"
#include "model/measures.h"
#include "model/verify.h"
#include "model/model.h"
#include "model/population.h"
#include "model/results.h"
#include "output/atomic.h"
#include "output/output.h"
#include "params/text.h"
#include "params/params.h"

enum { EXIT_OK = 0, EXIT_FAILURE_RUN = 1, EXIT_BAD_INPUT = 2 };

static const char usage_main[] =
    "usage: netsave COMMAND [OPTIONS] [MODEL.ini ...]\n"
    "\n"
    "What does a treatment place save society, net of what it costs?\n"
    "\n"
    "Commands:\n"
    "  run     run a model, print a summary, write a workbook and CSV files\n"
    "  check   load and validate a model without writing anything\n"
    "  validate  compare the model with the targets it names (e.g. NTORS)\n"
    "  calibrate fit the model's free parameters to its targets\n"
    "  threshold the value of a parameter at which net savings reach zero\n"
    "  psa     probabilistic sensitivity analysis: how sure are we?\n"
    "  dsa     one-way (tornado) and two-way sensitivity analysis\n"
    "  compare run scenario overlays against a base model\n"
    "  anchors the model side by side with published studies\n"
    "  expand  budget impact of funding more places, year by year\n"
    "  attrition net savings under assumptions about clients lost to\n"
    "            follow-up, refitting the model each time\n"
    "  init    write the built-in model's files into a folder, to edit\n"
    "\n"
    "Options:\n"
    "  --help      show this help (netsave COMMAND --help for a command)\n"
    "  --version   show the version\n"
    "\n"
    "Exit status: 0 success, 1 failure (e.g. a file cannot be written),\n"
    "2 bad input or usage (the problems are listed on stderr).\n";

static const char usage_run[] =
    "usage: netsave run [MODEL.ini ...] [--set SECTION.KEY=VALUE]...\n"
    "                   [-o FILE.xlsx] [--csv DIR]\n"
    "\n"
    "Runs a model. Several files are overlays applied in order: a later\n"
    "file overrides an earlier one key by key, and --set overrides them all.\n"
    "With no file, runs the built-in default model.\n"
    "\n"
    "  --set SECTION.KEY=VALUE  override one key, e.g. --set model.n_cycles=10\n"
    "  -o, --output FILE.xlsx   write the workbook (written atomically)\n"
    "  --csv DIR                write trace.csv, values.csv, summary.csv and\n"
    "                           incremental.csv into DIR (created if needed)\n"
    "\n"
    "Exit status: 0 success, 1 an output could not be written, 2 bad input.\n";

static const char usage_validate[] =
    "usage: netsave validate [MODEL.ini ...] [--set SECTION.KEY=VALUE]...\n"
    "                        [-o FILE.xlsx] [--csv DIR]\n"
    "\n"
    "Runs the model and compares it with every target of its targets file\n"
    "([validation] targets = FILE.csv): observed, predicted, difference,\n"
    "tolerance and whether it is met. With no file, validates the built-in\n"
    "England model against NTORS. -o and --csv write what run writes; the\n"
    "workbook has a Validation sheet and DIR a validation.csv.\n"
    "\n"
    "Fit targets (those calibrate fits to) and holdout targets (role\n"
    "holdout in the targets file: never fitted) are shown as two tables,\n"
    "each with a summary per mix of arms; missed holdout targets are\n"
    "listed with their notes.\n"
    "\n"
    "Exit status: 0 every target graded A or B, fit and holdout, is within\n"
    "its tolerance, 1 one is not (or an output could not be written), 2 bad\n"
    "input (including a target that cannot be computed).\n";

static const char usage_calibrate[] =
    "usage: netsave calibrate [MODEL.ini ...] -o CALIBRATED.ini\n"
    "                         [--set SECTION.KEY=VALUE]... [--starts N]\n"
    "                         [--seed S] [--all-targets]\n"
    "\n"
    "Fits the parameters listed in the model's [calibrate] section (each\n"
    "with its bounds) to the model's fit targets graded A or B\n"
    "(--all-targets: every fit target, of any grade), minimising the sum of\n"
    "squared differences divided by\n"
    "each target's tolerance, with GSL's Nelder-Mead simplex from N starting\n"
    "points (default 3: the current values, then random ones from seed S,\n"
    "default 1). Writes an INI overlay with the fitted values and, as\n"
    "comments, the fit to every fit target; run it on top of the model:\n"
    "  netsave run MODEL.ini CALIBRATED.ini\n"
    "Progress is shown on a terminal. Holdout targets (role holdout in the\n"
    "targets file) are never fitted, nor evaluated: with no fit target to\n"
    "use, calibrate refuses.\n"
    "\n"
    "Exit status: 0 written, 1 failure, 2 bad input or usage.\n";

static const char usage_threshold[] =
    "usage: netsave threshold [MODEL.ini ...] --param NAME --range LOW,HIGH\n"
    "                         [--target net_savings|best_modality]\n"
    "                         [--set SECTION.KEY=VALUE]...\n"
    "\n"
    "For every strategy with a comparator, finds the value of parameter\n"
    "NAME (set for every strategy and subgroup) between LOW and HIGH at\n"
    "which discounted net savings reach zero, for the model's first\n"
    "perspective (all payers when it names none), with GSL's Brent solver;\n"
    "says 'none in range' when net savings keep one sign. For example, how\n"
    "much of the treatment effect may be lost before treatment stops paying:\n"
    "  netsave threshold --param effect_shrinkage --range 0,1\n"
    "--target best_modality finds instead where the strategy with the\n"
    "highest net savings changes (a scan of 21 points, then Brent).\n"
    "\n"
    "Exit status: 0 done, 1 failure, 2 bad input or usage.\n";

static const char usage_attrition[] =
    "usage: netsave attrition [MODEL.ini ...] [--delta D] [--tipping]\n"
    "                         [--set SECTION.KEY=VALUE]... [--csv DIR]\n"
    "\n"
    "A study's values come from the clients it followed up (NTORS at five\n"
    "years: 63%). Under three assumptions about the others (they did as\n"
    "those followed up; they were back at intake levels; they did worse by\n"
    "D, default 0.1), the targets are reweighted, the model's [calibrate]\n"
    "parameters refitted, and net savings per strategy reported (discounted,\n"
    "the model's first perspective). --tipping also finds, per strategy, the\n"
    "D in [0, 1] at which net savings reach zero (slow: a fit per step).\n"
    "  netsave attrition params/england.ini params/england-calibration.ini\n"
    "\n"
    "Exit status: 0 done, 1 failure, 2 bad input or usage.\n";

static const char usage_psa[] =
    "usage: netsave psa [MODEL.ini ...] -n DRAWS --seed S [-j THREADS]\n"
    "                   [--set SECTION.KEY=VALUE]... [-o FILE.xlsx]\n"
    "                   [--csv DIR] [--draws]\n"
    "\n"
    "Samples every parameter with a distribution ([uncertainty] in the\n"
    "model) DRAWS times and runs the model for each draw. Draw i's random\n"
    "numbers come from (S, i) alone, so the results are identical for any\n"
    "number of threads (-j; by default one per processor online). Prints,\n"
    "per strategy, the mean net savings with a 95% interval and the chance\n"
    "that net savings are positive; --csv writes psa_summary.csv and\n"
    "ceac.csv (and psa_draws.csv with --draws); -o writes the workbook with\n"
    "a PSA sheet (histogram, cost-effectiveness plane and acceptability\n"
    "curve).\n"
    "Ctrl-C stops cleanly and writes nothing.\n"
    "\n"
    "Exit status: 0 done, 1 failure or stopped, 2 bad input or usage.\n";

static const char usage_dsa[] =
    "usage: netsave dsa [MODEL.ini ...] [--param NAME]... [--two-way A,B]\n"
    "                   [--grid N] [--set SECTION.KEY=VALUE]...\n"
    "                   [-o FILE.xlsx] [--csv DIR]\n"
    "\n"
    "One-way: every parameter with a range ([ranges], or the 2.5% and 97.5%\n"
    "points of its [uncertainty] distribution), or only those named with\n"
    "--param, set to each end in turn: net savings per strategy at each end,\n"
    "widest swing first (a tornado), printed (top 10) and in tornado.csv.\n"
    "--two-way A,B: a grid of N x N values (--grid N, 2 to 101; default 5)\n"
    "over the ranges of A and B, in two_way.csv. Net savings are\n"
    "discounted, for the model's first perspective.\n"
    "\n"
    "Exit status: 0 done, 1 failure, 2 bad input or usage.\n";

static const char usage_compare[] =
    "usage: netsave compare [--base MODEL.ini]... SCENARIO.ini ...\n"
    "                       [--set SECTION.KEY=VALUE]... [-o FILE.xlsx]\n"
    "                       [--csv DIR]\n"
    "\n"
    "Runs the base model (default: the built-in England model) and each\n"
    "scenario (an overlay with a [scenario] name and description, applied to\n"
    "the base), prints net savings per client for each strategy against the\n"
    "base, and lists exactly which parameters and settings each scenario\n"
    "changes (old -> new). --csv writes scenarios.csv and\n"
    "scenario_changes.csv. The shipped scenarios are in params/scenarios/.\n"
    "\n"
    "Exit status: 0 done, 1 failure, 2 bad input or usage.\n";

static const char usage_expand[] =
    "usage: netsave expand [MODEL.ini ...] --places STRATEGY=PLACES...\n"
    "                      [--set SECTION.KEY=VALUE]... [--csv DIR]\n"
    "\n"
    "Budget impact of funding PLACES extra treatment places of STRATEGY\n"
    "(without --places: those the model's [expansion] section names)\n"
    "(a number, or an expression of time in years, e.g. 'rehab=50*min(time+1,2)'\n"
    "for 50 places in year 1 and 100 after): places become clients starting\n"
    "treatment through the model's place-years per client, a new cohort\n"
    "enters every cycle, and every cohort costs and saves what the model's\n"
    "does. Prints, per year, places, starts, extra treatment spending,\n"
    "savings and net savings (discounted, the model's first perspective),\n"
    "the net present value and the year the expansion pays back; --csv\n"
    "writes expansion.csv and expansion_payers.csv.\n"
    "\n"
    "Exit status: 0 done, 1 failure, 2 bad input or usage.\n";

static const char usage_init[] =
    "usage: netsave init DIR\n"
    "\n"
    "Writes the built-in model's files (the INI file, with every comment and\n"
    "source, and the CSV tables it names) into DIR, created if needed, for\n"
    "an analyst to edit. Running on them gives the built-in model's results:\n"
    "  netsave run DIR/<model>.ini\n"
    "Existing files are never overwritten.\n"
    "\n"
    "Exit status: 0 written, 1 a file could not be written or exists, 2 usage.\n";

static const char usage_check[] =
    "usage: netsave check [MODEL.ini ...] [--set SECTION.KEY=VALUE]...\n"
    "                     [--verify]\n"
    "\n"
    "Loads, validates and runs a model without writing anything, and lists\n"
    "every problem found as FILE:LINE: message. With no file, checks the\n"
    "built-in default model. --verify also runs the verification checks\n"
    "that every run makes (mass conserved, absorbing states, identical\n"
    "strategies, discounting, streams independent, repeatable).\n"
    "\n"
    "Exit status: 0 valid, 1 a verification check failed, 2 problems found\n"
    "(listed on stderr).\n";

struct options {
    const char *command;
    const char **files;
    size_t n_files;
    const char **sets;
    size_t n_sets;
    const char *xlsx;
    const char *csv_dir;
    bool help;
    unsigned long starts, seed;
    bool all_targets;
    bool verify; /* check --verify */
    unsigned long n_draws, threads; /* psa -n, -j */
    const char *perspective; /* --perspective NAME (psa, dsa, threshold,
                                expand, attrition); default the model's
                                first */
    bool has_seed, has_draws, write_draws;
    const char **places;     /* expand --places, [n_places] */
    size_t n_places;
    const char **bases;      /* compare --base, [n_bases] */
    size_t n_bases;
    const char *anchors_file; /* anchors --anchors */
    const char **dsa_params; /* dsa --param, [n_dsa_params] */
    size_t n_dsa_params;
    unsigned long grid;      /* dsa --grid: two-way values per parameter */
    const char *two_way;     /* dsa --two-way A,B */
    double delta;      /* attrition --delta */
    bool tipping;      /* attrition --tipping */
    const char *param; /* threshold --param */
    double low, high;  /* threshold --range */
    bool has_range;
    bool best_modality; /* threshold --target best_modality */
};

/* How many diagnostics after i say what diagnostic i says about the same
 * line, but for another strategy or subgroup ("..., in strategy mmt,
 * ..."): a run-time fault in a parameter every strategy shares would
 * otherwise be printed once per strategy and subgroup. */
static size_t
same_fault_elsewhere(const struct ns_diags *diags, size_t i)
{
    static const char where[] = ", in strategy ";
    const struct ns_diag *d = &diags->items[i];
    const char *cut = d->text ? strstr(d->text, where) : NULL;
    if (!cut)
        return 0;
    size_t len = (size_t)(cut - d->text) + sizeof where - 1, n = 0;
    for (size_t j = i + 1; j < diags->count; j++, n++) {
        const struct ns_diag *e = &diags->items[j];
        bool same_place = e->line == d->line &&
                          ((!e->file && !d->file) ||
                           (e->file && d->file && strcmp(e->file, d->file) == 0));
        if (!same_place || !e->text || strncmp(e->text, d->text, len) != 0)
            break;
    }
    return n;
}

static void
print_diags(const struct ns_diags *diags)
{
    char line[1400];
    for (size_t i = 0; i < diags->count;) {
        ns_diag_format(&diags->items[i], line, sizeof line);
        fprintf(stderr, "%s\n", line);
        size_t alike = same_fault_elsewhere(diags, i);
        if (alike)
            fprintf(stderr, "  (the same in %zu more strateg%s or subgroup%s)\n",
                    alike, alike == 1 ? "y" : "ies", alike == 1 ? "" : "s");
        i += 1 + alike;
    }
    if (diags->lost_some)
        fprintf(stderr, "netsave: memory ran out; some problems are not "
                        "listed\n");
}

/* The perspective the options name (NS_ALL_PAYERS for "all_payers"), the
 * model's first by default; -2 with a message for an unknown name. */
static long
chosen_perspective(const struct options *o, const struct ns_model *m)
{
    if (!o->perspective)
        return m->n_perspectives ? 0 : NS_ALL_PAYERS;
    if (strcmp(o->perspective, "all_payers") == 0)
        return NS_ALL_PAYERS;
    for (size_t i = 0; i < m->n_perspectives; i++)
        if (strcmp(m->perspectives[i].name, o->perspective) == 0)
            return (long)i;
    fprintf(stderr, "netsave %s: the model has no perspective %s\n",
            o->command, o->perspective);
    return -2;
}

/* Parses arguments after the command; returns 0 or EXIT_BAD_INPUT. */
/* The default number of PSA threads: one per processor online (results
 * are the same for any number), at most 256 as -j allows. */
static unsigned long
online_processors(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (unsigned long)n;
}

/* An empty path names no file (and "" + "/x" would be "/x"): refused. */
static bool
paths_named(const struct options *o)
{
    const char *what = NULL;
    for (size_t i = 0; i < o->n_files && !what; i++)
        if (!o->files[i][0])
            what = strcmp(o->command, "init") == 0 ? "a folder" : "a file";
    for (size_t i = 0; i < o->n_bases && !what; i++)
        if (!o->bases[i][0])
            what = "--base";
    if (o->xlsx && !o->xlsx[0])
        what = "-o";
    if (o->csv_dir && !o->csv_dir[0])
        what = "--csv";
    if (o->anchors_file && !o->anchors_file[0])
        what = "--anchors";
    if (what)
        fprintf(stderr, "netsave %s: %s needs a path, got an empty one\n",
                o->command, what);
    return !what;
}

static int
parse_options(int argc, char **argv, struct options *o)
{
    o->files = calloc((size_t)argc, sizeof *o->files);
    o->sets = calloc((size_t)argc, sizeof *o->sets);
    o->dsa_params = calloc((size_t)argc, sizeof *o->dsa_params);
    o->bases = calloc((size_t)argc, sizeof *o->bases);
    o->places = calloc((size_t)argc, sizeof *o->places);
    if (!o->files || !o->sets || !o->dsa_params || !o->bases || !o->places)
        return EXIT_FAILURE_RUN;
    bool is_calibrate = strcmp(o->command, "calibrate") == 0;
    bool is_run = strcmp(o->command, "run") == 0 ||
                  strcmp(o->command, "validate") == 0 || is_calibrate ||
                  strcmp(o->command, "attrition") == 0 ||
                  strcmp(o->command, "psa") == 0 ||
                  strcmp(o->command, "dsa") == 0 ||
                  strcmp(o->command, "compare") == 0 ||
                  strcmp(o->command, "anchors") == 0 ||
                  strcmp(o->command, "expand") == 0;
    o->starts = 3;
    o->seed = 1;
    o->delta = 0.1;
    o->threads = online_processors();
    o->grid = 5;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *value = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            o->help = true;
            continue;
        }
        if (strcmp(o->command, "expand") == 0 && strcmp(a, "--places") == 0) {
            if (i + 1 >= argc || !strchr(argv[i + 1], '=')) {
                fprintf(stderr, "netsave expand: --places needs "
                                "STRATEGY=PLACES\n");
                return EXIT_BAD_INPUT;
            }
            o->places[o->n_places++] = argv[++i];
            continue;
        }
        if (strcmp(o->command, "compare") == 0 && strcmp(a, "--base") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "netsave compare: --base needs a file\n");
                return EXIT_BAD_INPUT;
            }
            o->bases[o->n_bases++] = argv[++i];
            continue;
        }
        if (strcmp(o->command, "anchors") == 0 &&
            strcmp(a, "--anchors") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "netsave anchors: --anchors needs a file\n");
                return EXIT_BAD_INPUT;
            }
            o->anchors_file = argv[++i];
            continue;
        }
        if (strcmp(o->command, "dsa") == 0 && strcmp(a, "--grid") == 0) {
            char *end = NULL;
            errno = 0;
            unsigned long v =
                i + 1 < argc ? strtoul(argv[i + 1], &end, 10) : 0;
            if (i + 1 >= argc || !end || end == argv[i + 1] || *end ||
                argv[i + 1][0] == '-' || errno || v < 2 || v > 101) {
                fprintf(stderr, "netsave dsa: --grid needs a whole number "
                                "from 2 to 101, got '%s'\n",
                        i + 1 < argc ? argv[i + 1] : "");
                return EXIT_BAD_INPUT;
            }
            o->grid = v;
            i++;
            continue;
        }
        if (strcmp(o->command, "dsa") == 0 &&
            (strcmp(a, "--param") == 0 || strcmp(a, "--two-way") == 0)) {
            if (i + 1 >= argc) {
                fprintf(stderr, "netsave dsa: %s needs a value\n", a);
                return EXIT_BAD_INPUT;
            }
            if (a[2] == 'p')
                o->dsa_params[o->n_dsa_params++] = argv[++i];
            else
                o->two_way = argv[++i];
            continue;
        }
        if (strcmp(a, "--perspective") == 0 &&
            (strcmp(o->command, "psa") == 0 ||
             strcmp(o->command, "dsa") == 0 ||
             strcmp(o->command, "threshold") == 0 ||
             strcmp(o->command, "expand") == 0 ||
             strcmp(o->command, "attrition") == 0)) {
            if (i + 1 >= argc) {
                fprintf(stderr, "netsave %s: --perspective needs a name\n",
                        o->command);
                return EXIT_BAD_INPUT;
            }
            o->perspective = argv[++i];
            continue;
        }
        if (strcmp(o->command, "psa") == 0 && strcmp(a, "--draws") == 0) {
            o->write_draws = true;
            continue;
        }
        if (strcmp(o->command, "psa") == 0 &&
            (strcmp(a, "-n") == 0 || strcmp(a, "-j") == 0 ||
             strcmp(a, "--seed") == 0)) {
            char *end = NULL;
            unsigned long v = 0;
            if (i + 1 < argc) {
                errno = 0;
                v = strtoul(argv[i + 1], &end, 10);
            }
            bool is_seed = a[1] == '-';
            unsigned long max = a[1] == 'j' ? 256 : is_seed ? ULONG_MAX
                                                            : 100000000;
            if (i + 1 >= argc || !end || end == argv[i + 1] || *end ||
                argv[i + 1][0] == '-' || errno ||
                (!is_seed && (v < 1 || v > max))) {
                fprintf(stderr,
                        "netsave psa: %s needs a whole number%s, got '%s'\n",
                        a,
                        is_seed      ? ""
                        : a[1] == 'j' ? " from 1 to 256"
                                      : " from 1 to 100000000",
                        i + 1 < argc ? argv[i + 1] : "");
                return EXIT_BAD_INPUT;
            }
            if (a[1] == 'n') {
                o->n_draws = v;
                o->has_draws = true;
            } else if (a[1] == 'j') {
                o->threads = v;
            } else {
                o->seed = v;
                o->has_seed = true;
            }
            i++;
            continue;
        }
        if (strcmp(o->command, "attrition") == 0 &&
            strcmp(a, "--tipping") == 0) {
            o->tipping = true;
            continue;
        }
        if (strcmp(o->command, "attrition") == 0 &&
            strcmp(a, "--delta") == 0) {
            char *end = NULL;
            if (i + 1 < argc)
                o->delta = strtod(argv[i + 1], &end);
            if (i + 1 >= argc || end == argv[i + 1] || *end ||
                !(o->delta >= 0.0 && o->delta <= 1.0)) {
                fprintf(stderr, "netsave attrition: --delta needs a share "
                                "from 0 to 1\n");
                return EXIT_BAD_INPUT;
            }
            i++;
            continue;
        }
        if (strcmp(o->command, "threshold") == 0 &&
            strcmp(a, "--target") == 0) {
            const char *v = i + 1 < argc ? argv[++i] : "";
            if (strcmp(v, "best_modality") == 0)
                o->best_modality = true;
            else if (strcmp(v, "net_savings") != 0) {
                fprintf(stderr, "netsave threshold: --target must be "
                                "net_savings or best_modality, got '%s'\n",
                        v);
                return EXIT_BAD_INPUT;
            }
            continue;
        }
        if (strcmp(o->command, "threshold") == 0 &&
            (strcmp(a, "--param") == 0 || strcmp(a, "--range") == 0)) {
            if (i + 1 >= argc) {
                fprintf(stderr, "netsave threshold: %s needs a value\n", a);
                return EXIT_BAD_INPUT;
            }
            const char *v = argv[++i];
            if (a[2] == 'p') {
                o->param = v;
                continue;
            }
            char *end;
            o->low = strtod(v, &end);
            bool ok = end != v && *end == ',';
            const char *second = ok ? end + 1 : end;
            o->high = strtod(second, &end);
            if (!ok || end == second || *end || !(o->low < o->high) ||
                !isfinite(o->low) || !isfinite(o->high)) {
                fprintf(stderr,
                        "netsave threshold: --range must be LOW,HIGH with "
                        "LOW < HIGH, got '%s'\n",
                        v);
                return EXIT_BAD_INPUT;
            }
            o->has_range = true;
            continue;
        }
        if (strcmp(o->command, "check") == 0 && strcmp(a, "--verify") == 0) {
            o->verify = true;
            continue;
        }
        if (is_calibrate && strcmp(a, "--all-targets") == 0) {
            o->all_targets = true;
            continue;
        }
        if (is_calibrate &&
            (strcmp(a, "--starts") == 0 || strcmp(a, "--seed") == 0)) {
            char *end = NULL;
            unsigned long v = 0;
            if (i + 1 < argc) {
                errno = 0;
                v = strtoul(argv[i + 1], &end, 10);
            }
            if (i + 1 >= argc || !end || *end || argv[i + 1][0] == '-' ||
                errno || (a[2] == 's' && a[3] == 't' && (v < 1 || v > 100))) {
                fprintf(stderr,
                        "netsave calibrate: %s needs a whole number%s, got "
                        "'%s'\n",
                        a, a[3] == 't' ? " from 1 to 100" : "",
                        i + 1 < argc ? argv[i + 1] : "");
                return EXIT_BAD_INPUT;
            }
            if (a[3] == 't')
                o->starts = v;
            else
                o->seed = v;
            i++;
            continue;
        }
        bool takes_value = strcmp(a, "--set") == 0 ||
                           (is_run && (strcmp(a, "-o") == 0 ||
                                       strcmp(a, "--output") == 0 ||
                                       (strcmp(a, "--csv") == 0 &&
                                        !is_calibrate)));
        if (takes_value) {
            if (i + 1 >= argc) {
                fprintf(stderr, "netsave %s: option %s needs a value\n",
                        o->command, a);
                return EXIT_BAD_INPUT;
            }
            value = argv[++i];
            if (strcmp(a, "--set") == 0)
                o->sets[o->n_sets++] = value;
            else if (strcmp(a, "--csv") == 0)
                o->csv_dir = value;
            else
                o->xlsx = value;
        } else if (strncmp(a, "--set=", 6) == 0) {
            o->sets[o->n_sets++] = a + 6;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr,
                    "netsave %s: unknown option '%s' (see netsave %s "
                    "--help)\n",
                    o->command, a, o->command);
            return EXIT_BAD_INPUT;
        } else {
            o->files[o->n_files++] = a;
        }
    }
    /* Accepted since the first release, so scripts that pass it keep
     * working; but a workbook the user asked for and does not get must be
     * said. */
    if (o->xlsx && strcmp(o->command, "expand") == 0)
        fprintf(stderr, "netsave expand: -o is ignored: expand writes no "
                        "workbook yet (use --csv DIR)\n");
    return paths_named(o) ? 0 : EXIT_BAD_INPUT;
}

/* Width of the strategy column: the longest strategy name. */
static int
name_width(const struct ns_model *m)
{
    size_t w = strlen("strategy");
    for (size_t k = 0; k < m->n_strategies; k++)
        if (strlen(m->strategies[k].name) > w)
            w = strlen(m->strategies[k].name);
    return (int)w;
}

/* Net savings per strategy and perspective, for models whose cost
 * streams name payers. */
static void
print_net_savings(const struct ns_model *m, const struct ns_results *r)
{
    if (m->n_payers == 0 || m->cost_outcome < 0)
        return;
    int w = name_width(m);
    size_t n_views = m->n_perspectives ? m->n_perspectives : 1;
    for (size_t v = 0; v < n_views; v++) {
        long view = m->n_perspectives ? (long)v : NS_ALL_PAYERS;
        printf("\nNet savings per client, discounted, perspective: %s\n",
               view == NS_ALL_PAYERS ? "all payers" : m->perspectives[v].name);
        printf("%-*s %-*s %14s %14s %14s %10s  %s\n", w, "strategy", w,
               "compared with", "treatment cost", "savings", "net savings",
               "per GBP 1", "payback");
        for (size_t k = 0; k < m->n_strategies; k++) {
            struct ns_ledger l;
            ns_ledger_compute(m, r, k, view, true, &l, NULL);
            if (!l.valid)
                continue;
            printf("%-*s %-*s %14.2f %14.2f %14.2f ", w,
                   m->strategies[k].name, w,
                   m->strategies[l.comparator].name, l.treatment_cost,
                   l.savings, l.net_savings);
            /* No extra treatment spend: a ratio would mean nothing. */
            if (isnan(l.benefit_cost_ratio))
                printf("%10s  ", "n/a");
            else
                printf("%10.2f  ", l.benefit_cost_ratio);
            if (isnan(l.payback_year))
                printf("not within %g years\n",
                       (double)m->n_cycles * m->cycle_length_years);
            else
                printf("year %.0f\n", l.payback_year);
        }
    }
}

/* Prints the outcomes the model puts in its ICER, or all of them when it
 * names none, for every strategy, then the comparison and net savings. */
static void
print_summary(const struct ns_model *m, const struct ns_results *r)
{
    bool icer = m->cost_outcome >= 0 && m->health_outcome >= 0;
    size_t shown[2] = {(size_t)m->cost_outcome, (size_t)m->health_outcome};
    size_t n_shown = icer ? 2 : m->n_outcomes;
    int w = name_width(m);
    printf("%s\n", m->name);
    printf("%zu cycles of %g years; discounted totals per member of the "
           "starting cohort\n\n",
           m->n_cycles, m->cycle_length_years);
    printf("%-*s", w, "strategy");
    for (size_t i = 0; i < n_shown; i++)
        printf(" %14s", m->outcomes[icer ? shown[i] : i].name);
    if (icer)
        printf(" %14s %14s  %s", "incr. cost", "incr. health", "ICER");
    printf("\n");
    for (size_t k = 0; k < m->n_strategies; k++) {
        printf("%-*s", w, m->strategies[k].name);
        for (size_t i = 0; i < n_shown; i++)
            printf(" %14.4f",
                   ns_results_outcome(r, k, icer ? shown[i] : i, true));
        struct ns_incremental inc;
        ns_results_incremental(m, r, k, true, &inc);
        if (icer && inc.has_comparator) {
            printf(" %14.4f %14.6f  ", inc.delta_cost, inc.delta_health);
            if (inc.dominance == NS_DOM_NONE)
                printf("%.4f", inc.icer);
            else
                printf("%s", ns_dominance_name(inc.dominance));
            printf(" (vs %s)", m->strategies[inc.comparator].name);
        } else if (icer) {
            printf(" %14s %14s  %s", "", "", "(comparator)");
        }
        printf("\n");
    }
    print_net_savings(m, r);
}

/* Creates dir, and any missing parents, if it does not exist. */
static bool
ensure_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return true;
        fprintf(stderr, "netsave: %s exists and is not a directory\n", dir);
        return false;
    }
    char *path = strdup(dir);
    if (!path)
        return false;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (stat(path, &st) != 0 && mkdir(path, 0777) != 0 &&
            errno != EEXIST) {
            fprintf(stderr, "netsave: cannot create directory %s: %s\n",
                    path, strerror(errno));
            free(path);
            return false;
        }
        *p = '/';
    }
    free(path);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "netsave: cannot create directory %s: %s\n", dir,
                strerror(errno));
        return false;
    }
    return true;
}

static char *
join_args(int argc, char **argv)
{
    size_t n = 1;
    for (int i = 0; i < argc; i++)
        n += strlen(argv[i]) + 1;
    char *s = malloc(n);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0; i < argc; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

/* Writes the CSV files and the workbook asked for. extra, when not NULL,
 * carries the sheets of a particular command (attrition, PSA, tornado,
 * scenarios). */
static int
write_outputs(const struct options *o, const struct ns_params *params,
              const struct ns_population *pop,
              const struct ns_checks *checks, const struct ns_run_info *extra,
              int argc, char **argv)
{
    const struct ns_attrition_table *attrition =
        extra ? extra->attrition : NULL;
    char err[512];
    if (o->csv_dir) {
        if (!ensure_dir(o->csv_dir))
            return EXIT_FAILURE_RUN;
        if (ns_csv_write_population(o->csv_dir, pop, err, sizeof err) !=
                NS_OK ||
            ns_csv_write_checks(o->csv_dir, checks, err, sizeof err) !=
                NS_OK ||
            (attrition &&
             ns_csv_write_attrition(o->csv_dir, pop->models[0], attrition,
                                    err, sizeof err) != NS_OK)) {
            fprintf(stderr, "netsave: %s\n", err);
            return EXIT_FAILURE_RUN;
        }
    }
    if (!o->xlsx)
        return EXIT_OK;
    time_t now = time(NULL);
    char *cmd = join_args(argc, argv);
    char **hex = calloc(params->n_files + 1, sizeof *hex);
    int rc = EXIT_OK;
    for (size_t i = 0; hex && i < params->n_files; i++) {
        hex[i] = malloc(65);
        for (size_t b = 0; hex[i] && b < 32; b++)
            snprintf(hex[i] + 2 * b, 3, "%02x", params->hashes[i][b]);
    }
    /* The command's own sheets come from extra; what every run records
     * is filled in here. */
    struct ns_run_info info = extra ? *extra : (struct ns_run_info){0};
    info.version = NS_VERSION;
    info.command_line = cmd;
    info.run_time = &now;
    info.input_files = (const char *const *)params->files;
    info.input_hashes = (const char *const *)hex;
    info.n_inputs = hex ? params->n_files : 0;
    info.checks = checks;
    info.attrition = attrition;
    if (ns_xlsx_write_population(o->xlsx, pop, &info, err, sizeof err) !=
        NS_OK) {
        fprintf(stderr, "netsave: %s\n", err);
        rc = EXIT_FAILURE_RUN;
    }
    for (size_t i = 0; hex && i < params->n_files; i++)
        free(hex[i]);
    free(hex);
    free(cmd);
    return rc;
}

static struct ns_cli_outputs
outputs_of(const struct options *o)
{
    return (struct ns_cli_outputs){o->xlsx, o->csv_dir};
}

/* The first check that no output replaces an input: the files the
 * command line names, and the anchors file run, validate and anchors
 * read, before anything is read. */
static bool
named_inputs_spared(const struct options *o)
{
    size_t n = 0;
    const char **names = calloc(o->n_files + o->n_bases + 2, sizeof *names);
    if (!names) {
        fprintf(stderr, "netsave: out of memory\n");
        return false;
    }
    for (size_t i = 0; i < o->n_files; i++)
        names[n++] = o->files[i];
    for (size_t i = 0; i < o->n_bases; i++)
        names[n++] = o->bases[i];
    char *anchors = NULL;
    if (strcmp(o->command, "run") == 0 || strcmp(o->command, "validate") == 0 ||
        strcmp(o->command, "anchors") == 0) {
        struct ns_cli_anchors_request req = {o->files, o->n_files, o->sets,
                                             o->n_sets, o->anchors_file};
        anchors = o->anchors_file ? NULL : ns_cli_anchors_default_path(&req);
        if (o->anchors_file || anchors)
            names[n++] = o->anchors_file ? o->anchors_file : anchors;
    }
    struct ns_cli_outputs out = outputs_of(o);
    bool spared = ns_cli_outputs_spare(&out, names, NULL, n);
    free(anchors);
    free(names);
    return spared;
}

/* The second check: every file the loader read (tables and targets). */
static bool
params_spared(const struct options *o, const struct ns_params *params)
{
    struct ns_cli_outputs out = outputs_of(o);
    return ns_cli_outputs_spare_params(&out, params);
}

/* The same for each model netsave anchors ran (its scenarios too). */
static bool
anchor_runs_spared(const struct options *o, const struct ns_cli_anchors *a)
{
    bool spared = true;
    for (size_t r = 0; a && r < a->n_runs; r++)
        if (a->runs[r].params && !params_spared(o, a->runs[r].params))
            spared = false;
    return spared;
}

/* Writes the embedded default model's files into o->files[0]. */
static int
init_command(const struct options *o)
{
    if (o->n_files != 1 || o->n_sets || o->xlsx || o->csv_dir) {
        fputs(usage_init, stderr);
        return EXIT_BAD_INPUT;
    }
    const char *dir = o->files[0];
    if (!ensure_dir(dir))
        return EXIT_FAILURE_RUN;
    for (size_t i = 0; i < ns_default_model_n_files; i++) {
        const struct ns_memory_file *f = &ns_default_model_files[i];
        size_t n = strlen(dir) + strlen(f->name) + 2;
        char *path = malloc(n);
        if (!path)
            return EXIT_FAILURE_RUN;
        snprintf(path, n, "%s/%s", dir, f->name);
        struct stat st;
        if (lstat(path, &st) == 0) {
            fprintf(stderr, "netsave: %s exists; not overwriting it\n", path);
            free(path);
            return EXIT_FAILURE_RUN;
        }
        struct ns_atomic a = {0};
        char err[512];
        enum ns_status rc = ns_atomic_begin(&a, path, 1, err, sizeof err);
        if (rc == NS_OK && fwrite(f->text, 1, f->len, a.fp) != f->len) {
            snprintf(err, sizeof err, "cannot write %s: %s", path,
                     strerror(errno));
            ns_atomic_abort(&a);
            rc = NS_EIO;
        } else if (rc == NS_OK) {
            rc = ns_atomic_commit(&a, err, sizeof err);
        }
        if (rc != NS_OK) {
            fprintf(stderr, "netsave: %s\n", err);
            free(path);
            return EXIT_FAILURE_RUN;
        }
        printf("wrote %s\n", path);
        free(path);
    }
    return EXIT_OK;
}

static void
show_progress(void *ctx, size_t start, size_t iteration, double objective)
{
    const struct options *o = ctx;
    if (iteration % 20 == 0)
        fprintf(stderr, "\rstart %zu of %lu, iteration %zu: %.6g   ",
                start + 1, o->starts, iteration, objective);
}

/* Writes the calibrated overlay atomically: fitted values as
 * [parameters], and how they were obtained as comments. */
static int
write_overlay(const struct options *o, const struct ns_model *m,
              const struct ns_calibration_result *cal, const double *before,
              const struct ns_target_result *res, int argc, char **argv)
{
    struct ns_atomic a = {0};
    char err[512];
    if (ns_atomic_begin(&a, o->xlsx, 1, err, sizeof err) != NS_OK) {
        fprintf(stderr, "netsave: %s\n", err);
        return EXIT_FAILURE_RUN;
    }
    char *cmd = join_args(argc, argv);
    FILE *fp = a.fp;
    fprintf(fp, "; Calibrated by netsave %s: %s\n", NS_VERSION,
            cmd ? cmd : "");
    fprintf(fp, "; Model: %s\n", m->name);
    fprintf(fp,
            "; Method: GSL Nelder-Mead simplex (nmsimplex2) on logit-"
            "transformed parameters within their bounds, %lu starting "
            "points (the model's values, then random from seed %lu).\n",
            o->starts, o->seed);
    fprintf(fp,
            "; Objective: sum over %zu targets of ((predicted - observed) / "
            "tolerance)^2: %.6g at the model's values, %.6g fitted (start "
            "%zu, %s), %zu model runs.\n",
            cal->n_targets_used, cal->start_objective, cal->objective,
            cal->best_start + 1,
            cal->converged ? "converged" : "iteration limit reached",
            cal->n_evaluations);
    if (m->lost_toward_intake > 0.0)
        fprintf(fp, "; Targets with followed_up below 1 were fitted to their "
                    "whole sample's value (observed -> whole), those lost "
                    "to follow-up taken %g of the way back to intake "
                    "([validation] lost_toward_intake).\n",
                m->lost_toward_intake);
    fprintf(fp, "; Fit per fit target (years, arms, measure: observed, "
                "predicted, tolerance):\n");
    for (size_t t = 0; t < m->n_targets; t++) {
        const struct ns_target_info *ti = &m->targets[t];
        if (ti->role == NS_ROLE_HOLDOUT)
            continue;
        fprintf(fp, ";   %g, %s, %s: %.4f", ti->time_years, ti->arms,
                m->measures[ti->measure].name, ti->observed);
        if (res[t].whole < ti->observed || res[t].whole > ti->observed)
            fprintf(fp, " -> %.4f", res[t].whole);
        fprintf(fp, ", %.4f, %.4f %s (grade %c)\n", res[t].predicted,
                ti->tolerance, res[t].within ? "within" : "OUTSIDE",
                ti->grade);
    }
    if (cal->n_holdout)
        fprintf(fp,
                "; %zu holdout targets were neither fitted nor looked at "
                "(netsave validate compares the fitted model with them).\n",
                cal->n_holdout);
    fprintf(fp, "\n[parameters]\n");
    for (size_t i = 0; i < m->n_free_params; i++) {
        const struct ns_free_param *f = &m->free_params[i];
        fprintf(fp, "%s = %.10g ; was %.10g; bounds %g to %g\n",
                m->params[f->param].name, cal->fitted[i], before[i], f->low,
                f->high);
    }
    free(cmd);
    if (ferror(fp)) {
        ns_atomic_abort(&a);
        fprintf(stderr, "netsave: cannot write %s\n", o->xlsx);
        return EXIT_FAILURE_RUN;
    }
    if (ns_atomic_commit(&a, err, sizeof err) != NS_OK) {
        fprintf(stderr, "netsave: %s\n", err);
        return EXIT_FAILURE_RUN;
    }
    return EXIT_OK;
}

static int
calibrate(const struct options *o, struct ns_population *pop,
          struct ns_diags *diags, int argc, char **argv)
{
    const struct ns_model *m = pop->models[0];
    struct ns_calibration_options copt = {
        .all_targets = o->all_targets,
        .n_starts = o->starts,
        .seed = o->seed,
        .max_iterations = 2000,
        .size_tolerance = 1e-4,
        .progress = isatty(STDERR_FILENO) ? show_progress : NULL,
        .progress_ctx = (void *)o,
    };
    double *fitted = calloc(m->n_free_params + 1, sizeof *fitted);
    double *before = calloc(m->n_free_params + 1, sizeof *before);
    struct ns_target_result *res = calloc(m->n_targets + 1, sizeof *res);
    /* Holdout targets are not even evaluated: the fit is reported on the
     * fit targets alone. */
    bool *fit = calloc(m->n_targets + 1, sizeof *fit);
    for (size_t i = 0; fit && i < m->n_targets; i++)
        fit[i] = m->targets[i].role == NS_ROLE_FIT;
    for (size_t i = 0; before && i < m->n_free_params; i++)
        before[i] = pop->results[0]->param_values[m->free_params[i].param];
    struct ns_calibration_result cal = {.fitted = fitted};
    int rc = EXIT_FAILURE_RUN;
    enum ns_status st = fitted && before && res && fit
                            ? ns_calibrate(pop, &copt, &cal, diags)
                            : NS_ENOMEM;
    if (copt.progress)
        fputc('\n', stderr);
    if (st == NS_OK)
        st = ns_targets_evaluate(pop, fit, res, diags);
    if (st == NS_EPARAM) {
        print_diags(diags);
        rc = EXIT_BAD_INPUT;
    } else if (st != NS_OK) {
        print_diags(diags);
        fprintf(stderr, "netsave calibrate: %s\n", ns_strerror(st));
    } else {
        printf("calibrated %zu parameters to %zu targets: objective %.6g "
               "(was %.6g), %zu model runs\n",
               m->n_free_params, cal.n_targets_used, cal.objective,
               cal.start_objective, cal.n_evaluations);
        if (cal.n_holdout)
            printf("%zu holdout targets left out (netsave validate reports "
                   "them)\n",
                   cal.n_holdout);
        for (size_t i = 0; i < m->n_free_params; i++)
            printf("  %s = %.6g\n", m->params[m->free_params[i].param].name,
                   fitted[i]);
        rc = write_overlay(o, m, &cal, before, res, argc, argv);
    }
    free(before);
    free(fitted);
    free(res);
    free(fit);
    return rc;
}

/* Runs the verification checks on every subgroup; on any failure prints
 * what failed and returns false. */
static bool
verify(const struct ns_population *pop, struct ns_checks *checks,
       struct ns_diags *diags)
{
    enum ns_status st = ns_verify_population(pop, checks, diags);
    if (st == NS_ENOMEM) {
        fprintf(stderr, "netsave: out of memory\n");
        return false;
    }
    if (st != NS_OK)
        print_diags(diags);
    bool ok = st == NS_OK && ns_checks_all_passed(checks);
    for (size_t i = 0; i < checks->n; i++) {
        const struct ns_check *k = &checks->items[i];
        if (!k->passed)
            fprintf(stderr, "netsave: verification failed: %s%s%s: %s\n",
                    k->group, k->group[0] ? ", " : "", k->name, k->detail);
    }
    return ok;
}

static int
threshold(const struct options *o, struct ns_population *pop,
          struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    long pi = -1;
    for (size_t i = 0; i < m->n_params; i++)
        if (strcmp(m->params[i].name, o->param) == 0)
            pi = (long)i;
    if (pi < 0) {
        fprintf(stderr, "netsave threshold: the model has no parameter %s\n",
                o->param);
        return EXIT_BAD_INPUT;
    }
    long view = chosen_perspective(o, m);
    if (view == -2)
        return EXIT_BAD_INPUT;
    if (o->best_modality) {
        struct ns_best_switch sw;
        enum ns_status st = ns_threshold_best(pop, (size_t)pi, o->low,
                                              o->high, view, 21, &sw, diags);
        if (st != NS_OK) {
            print_diags(diags);
            fprintf(stderr, "netsave threshold: %s\n", ns_strerror(st));
            return st == NS_EMODEL ? EXIT_BAD_INPUT : EXIT_FAILURE_RUN;
        }
        if (sw.found)
            printf("The strategy with the highest net savings changes from "
                   "%s to %s at %s = %.6g\n",
                   m->strategies[sw.from].name, m->strategies[sw.to].name,
                   o->param, sw.value);
        else
            printf("The strategy with the highest net savings does not "
                   "change for %s from %g to %g: none in range\n",
                   o->param, o->low, o->high);
        return EXIT_OK;
    }
    printf("Where net savings (discounted, %s) reach zero as %s goes from "
           "%g to %g:\n",
           view == NS_ALL_PAYERS ? "all payers" : m->perspectives[view].name,
           o->param, o->low, o->high);
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        struct ns_threshold t;
        enum ns_status st = ns_threshold_net_savings(
            pop, (size_t)pi, o->low, o->high, k, view, &t, diags);
        if (st != NS_OK) {
            print_diags(diags);
            fprintf(stderr, "netsave threshold: %s: %s\n",
                    m->strategies[k].name, ns_strerror(st));
            return st == NS_EMODEL ? EXIT_BAD_INPUT : EXIT_FAILURE_RUN;
        }
        printf("  %-16s vs %-16s ", m->strategies[k].name,
               m->strategies[m->comparator[k]].name);
        if (t.found)
            printf("%s = %.6g", o->param, t.value);
        else
            printf("none in range");
        printf("  (net savings %.2f at %g, %.2f at %g)\n", t.at_low, o->low,
               t.at_high, o->high);
    }
    return EXIT_OK;
}

static int
attrition(const struct options *o, struct ns_population *pop,
          struct ns_diags *diags, struct ns_attrition_table *table)
{
    const struct ns_model *m = pop->models[0];
    if (m->n_free_params == 0 || m->n_targets == 0) {
        fprintf(stderr, "netsave attrition: the model needs targets and "
                        "[calibrate] parameters to refit (see netsave "
                        "attrition --help)\n");
        return EXIT_BAD_INPUT;
    }
    long view = chosen_perspective(o, m);
    if (view == -2)
        return EXIT_BAD_INPUT;
    struct ns_calibration_options copt = {.n_starts = 1,
                                          .seed = 1,
                                          .max_iterations = 500,
                                          .size_tolerance = 1e-3};
    size_t K = m->n_strategies;
    double *net = calloc(3 * K + 1, sizeof *net);
    double *tipping = calloc(K + 1, sizeof *tipping);
    double *fitted = calloc(m->n_free_params + 1, sizeof *fitted);
    int rc = EXIT_OK;
    for (size_t k = 0; tipping && k < K; k++)
        tipping[k] = NS_NAN;
    enum ns_status st = net && tipping && fitted ? NS_OK : NS_ENOMEM;
    for (int a = 0; a < 3 && st == NS_OK; a++)
        st = ns_attrition_net_savings(pop, &copt, (enum ns_lost)a, o->delta,
                                      view, &net[(size_t)a * K], fitted,
                                      diags);
    if (st == NS_OK) {
        printf("Net savings per client (discounted, %s) after refitting to "
               "the targets, by what the clients lost to follow-up did:\n",
               view == NS_ALL_PAYERS ? "all payers"
                                     : m->perspectives[view].name);
        printf("%-16s %16s %16s %16s\n", "strategy", "as observed",
               "back at intake", "worse by delta");
        for (size_t k = 0; k < K; k++) {
            if (m->comparator[k] < 0)
                continue;
            printf("%-16s %16.2f %16.2f %16.2f\n", m->strategies[k].name,
                   net[k], net[K + k], net[2 * K + k]);
        }
        printf("(delta %g; shares followed up as in the targets file)\n",
               o->delta);
    }
    for (size_t k = 0; st == NS_OK && o->tipping && k < K; k++) {
        if (m->comparator[k] < 0)
            continue;
        double delta;
        bool found;
        st = ns_attrition_tipping(pop, &copt, k, view, 1.0, &delta, &found,
                                  diags);
        if (st != NS_OK)
            break;
        if (found)
            tipping[k] = delta;
        if (found)
            printf("tipping point: %s reaches zero net savings when the lost "
                   "did worse by %.4f\n",
                   m->strategies[k].name, delta);
        else
            printf("tipping point: %s: none for delta in [0, 1]\n",
                   m->strategies[k].name);
    }
    if (st != NS_OK) {
        print_diags(diags);
        fprintf(stderr, "netsave attrition: %s\n", ns_strerror(st));
        rc = st == NS_EPARAM ? EXIT_BAD_INPUT : EXIT_FAILURE_RUN;
    }
    free(fitted);
    if (rc != EXIT_OK) {
        free(net);
        free(tipping);
        return rc;
    }
    *table = (struct ns_attrition_table){view, o->delta, net,
                                         o->tipping ? tipping : NULL};
    if (!o->tipping)
        free(tipping);
    return rc;
}

/* Index into model->uncertain of the parameter called name, or -1. */
static long
uncertain_index(const struct ns_model *m, const char *name, size_t len)
{
    for (size_t i = 0; i < m->n_uncertain; i++) {
        const char *pn = m->params[m->uncertain[i].param].name;
        if (strlen(pn) == len && strncmp(pn, name, len) == 0)
            return (long)i;
    }
    return -1;
}

static int
dsa(const struct options *o, const struct ns_params *params,
    struct ns_population *pop, struct ns_checks *checks,
    struct ns_diags *diags, int argc, char **argv)
{
    const struct ns_model *m = pop->models[0];
    long view = chosen_perspective(o, m);
    if (view == -2)
        return EXIT_BAD_INPUT;
    size_t K = m->n_strategies, U = m->n_uncertain;
    size_t *only = calloc(o->n_dsa_params + 1, sizeof *only);
    struct ns_tornado_bar *bars = calloc(K * (U + 1), sizeof *bars);
    double *base = calloc(K + 1, sizeof *base);
    double *grid = calloc(o->grid * o->grid * K + 1, sizeof *grid);
    double *by_payer = calloc(K * U * 2 * m->n_payers + 1, sizeof *by_payer);
    int rc = EXIT_OK;
    if (!only || !bars || !base || !grid || !by_payer) {
        rc = EXIT_FAILURE_RUN;
        goto out;
    }
    if (U == 0) {
        fprintf(stderr, "netsave dsa: no parameter has a range: add "
                        "[ranges] or [uncertainty] to the model\n");
        rc = EXIT_BAD_INPUT;
        goto out;
    }
    for (size_t i = 0; i < o->n_dsa_params; i++) {
        long u = uncertain_index(m, o->dsa_params[i],
                                 strlen(o->dsa_params[i]));
        if (u < 0) {
            fprintf(stderr,
                    "netsave dsa: parameter %s has no range or "
                    "distribution\n",
                    o->dsa_params[i]);
            rc = EXIT_BAD_INPUT;
            goto out;
        }
        only[i] = (size_t)u;
    }
    long ta = -1, tb = -1;
    if (o->two_way) {
        const char *comma = strchr(o->two_way, ',');
        if (comma) {
            ta = uncertain_index(m, o->two_way,
                                 (size_t)(comma - o->two_way));
            tb = uncertain_index(m, comma + 1, strlen(comma + 1));
        }
        if (ta < 0 || tb < 0 || ta == tb) {
            fprintf(stderr,
                    "netsave dsa: --two-way needs two different parameters "
                    "with ranges, as A,B; got '%s'\n",
                    o->two_way);
            rc = EXIT_BAD_INPUT;
            goto out;
        }
    }
    size_t n_bars;
    enum ns_status st = ns_dsa_one_way(pop, view, only, o->n_dsa_params,
                                       bars, &n_bars, base, by_payer, diags);
    if (st == NS_OK && o->two_way)
        st = ns_dsa_two_way(pop, view, (size_t)ta, (size_t)tb, o->grid, grid,
                            diags);
    if (st != NS_OK) {
        print_diags(diags);
        fprintf(stderr, "netsave dsa: %s\n", ns_strerror(st));
        rc = st == NS_EMODEL ? EXIT_BAD_INPUT : EXIT_FAILURE_RUN;
        goto out;
    }
    printf("One-way sensitivity: net savings per client, discounted, %s, "
           "at the low and high end of each range (widest first)\n",
           view == NS_ALL_PAYERS ? "all payers" : m->perspectives[view].name);
    for (size_t k = 0; k < K; k++) {
        if (m->comparator[k] < 0)
            continue;
        printf("%s (base %.2f):\n", m->strategies[k].name, base[k]);
        for (size_t i = 0; i < n_bars && i < 10; i++) {
            const struct ns_tornado_bar *b = &bars[k * n_bars + i];
            printf("  %-28s %12.6g .. %-12.6g %12.2f .. %-12.2f\n",
                   m->params[m->uncertain[b->uncertain].param].name, b->low,
                   b->high, b->net_low, b->net_high);
        }
    }
    if (o->csv_dir) {
        char err[512];
        if (!ensure_dir(o->csv_dir)) {
            rc = EXIT_FAILURE_RUN;
        } else if (ns_csv_write_tornado(o->csv_dir, m, view, bars, n_bars,
                                        base, by_payer, err,
                                        sizeof err) != NS_OK ||
                   (o->two_way &&
                    ns_csv_write_two_way(o->csv_dir, m, view, (size_t)ta,
                                         (size_t)tb, o->grid, grid, err,
                                         sizeof err) != NS_OK)) {
            fprintf(stderr, "netsave: %s\n", err);
            rc = EXIT_FAILURE_RUN;
        }
    }
    if (rc == EXIT_OK && o->xlsx) {
        struct options only_xlsx = *o;
        only_xlsx.csv_dir = NULL;
        struct ns_run_info extra = {.tornado = bars,
                                    .n_tornado_bars = n_bars,
                                    .tornado_base = base,
                                    .tornado_by_payer = by_payer};
        if (!verify(pop, checks, diags))
            rc = EXIT_FAILURE_RUN;
        else
            rc = write_outputs(&only_xlsx, params, pop, checks, &extra, argc,
                               argv);
    }
out:
    free(only);
    free(bars);
    free(base);
    free(grid);
    free(by_payer);
    return rc;
}

/* Appends "name: old -> new" for every parameter definition, setting and
 * subgroup weight the scenario changes. */
static bool
add_change(char ***changes, size_t *n, const char *fmt, ...) NS_PRINTF(3, 4);

static bool
add_change(char ***changes, size_t *n, const char *fmt, ...)
{
    char buf[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **c = realloc(*changes, (*n + 1) * sizeof *c);
    if (!c)
        return false;
    *changes = c;
    c[*n] = strdup(buf);
    if (!c[*n])
        return false;
    (*n)++;
    return true;
}

/* Definitions of a parameter, shared and per strategy, as "text" or
 * "strategy: text" lines joined by "; ". */
static void
describe_param(const struct ns_model_def *d, const char *name, char *out,
               size_t n)
{
    out[0] = '\0';
    size_t len = 0;
    for (size_t i = 0; i < d->n_params && len < n; i++) {
        const struct ns_def_expr *e = &d->params[i];
        if (strcmp(e->name, name) != 0)
            continue;
        len += (size_t)snprintf(out + len, n - len, "%s%s%s%s",
                                len ? "; " : "", e->strategy ? e->strategy : "",
                                e->strategy ? ": " : "", e->text);
    }
}

static bool
scenario_changes(const struct ns_params *base, const struct ns_params *sc,
                 char ***changes, size_t *n)
{
    const struct ns_model_def *b = &base->def, *s = &sc->def;
    char was[300], now[300];
    bool ok = true;
    for (size_t i = 0; ok && i < s->n_params; i++) {
        const char *name = s->params[i].name;
        bool first = true;
        for (size_t j = 0; j < i; j++)
            first &= strcmp(s->params[j].name, name) != 0;
        if (!first)
            continue;
        describe_param(b, name, was, sizeof was);
        describe_param(s, name, now, sizeof now);
        if (strcmp(was, now) != 0)
            ok = add_change(changes, n, "parameter %s: %s -> %s", name,
                            *was ? was : "(none)", now);
    }
    if (ok && b->n_cycles != s->n_cycles)
        ok = add_change(changes, n, "[model] cycles: %zu -> %zu", b->n_cycles,
                        s->n_cycles);
    for (size_t g = 0; ok && g < sc->n_subgroups; g++) {
        double was_w = NS_NAN;
        for (size_t h = 0; h < base->n_subgroups; h++)
            if (strcmp(base->subgroups[h].name, sc->subgroups[g].name) == 0)
                was_w = base->subgroups[h].weight;
        if (isnan(was_w))
            ok = add_change(changes, n, "subgroup %s weight: (none) -> %g",
                            sc->subgroups[g].name, sc->subgroups[g].weight);
        else if (!(fabs(was_w - sc->subgroups[g].weight) <= 0.0))
            ok = add_change(changes, n, "subgroup %s weight: %g -> %g",
                            sc->subgroups[g].name, was_w,
                            sc->subgroups[g].weight);
        for (size_t e = 0; ok && e < sc->subgroups[g].n_entries; e++) {
            const struct ns_subgroup_entry *se = &sc->subgroups[g].entries[e];
            const char *old = "(none)";
            for (size_t h = 0; h < base->n_subgroups; h++)
                if (strcmp(base->subgroups[h].name, sc->subgroups[g].name) ==
                    0)
                    for (size_t q = 0; q < base->subgroups[h].n_entries; q++) {
                        const struct ns_subgroup_entry *be =
                            &base->subgroups[h].entries[q];
                        if (strcmp(be->section, se->section) == 0 &&
                            strcmp(be->key, se->key) == 0)
                            old = be->value;
                    }
            if (strcmp(old, se->value) != 0)
                ok = add_change(changes, n, "subgroup %s %s.%s: %s -> %s",
                                sc->subgroups[g].name, se->section, se->key,
                                old, se->value);
        }
    }
    return ok;
}

/* The workbook of a command that runs the model several times (compare,
 * anchors): the base model's, with the command's own sheet in extra. Its
 * CSV files are the command's own, so none of run's are written. */
static int
write_base_workbook(const struct options *o, const struct ns_params *params,
                    const struct ns_population *pop,
                    const struct ns_run_info *extra, struct ns_diags *diags,
                    int argc, char **argv)
{
    struct ns_checks checks = {0};
    struct options only_xlsx = *o;
    only_xlsx.csv_dir = NULL;
    int rc = verify(pop, &checks, diags)
                 ? write_outputs(&only_xlsx, params, pop, &checks, extra,
                                 argc, argv)
                 : EXIT_FAILURE_RUN;
    ns_checks_clear(&checks);
    return rc;
}

static int
compare(const struct options *o, int argc, char **argv)
{
    if (o->n_files == 0) {
        fputs(usage_compare, stderr);
        return EXIT_BAD_INPUT;
    }
    size_t n = o->n_files + 1;
    struct ns_params **params = calloc(n, sizeof *params);
    struct ns_population **pops = calloc(n, sizeof *pops);
    struct ns_scenario_result *res = calloc(n, sizeof *res);
    char ***changes = calloc(n, sizeof *changes);
    const char **files = calloc(o->n_bases + 2, sizeof *files);
    struct ns_diags diags = {0};
    int rc = EXIT_OK;
    if (!params || !pops || !res || !changes || !files) {
        rc = EXIT_FAILURE_RUN;
        goto out;
    }
    for (size_t i = 0; i < n && rc == EXIT_OK; i++) {
        /* The base files (or the built-in model), then the scenario. */
        size_t n_files = 0;
        for (size_t b = 0; b < o->n_bases; b++)
            files[n_files++] = o->bases[b];
        if (i > 0)
            files[n_files++] = o->files[i - 1];
        struct ns_model_source src = {files,
                                      n_files,
                                      ns_default_model_files,
                                      ns_default_model_n_files,
                                      o->sets,
                                      o->n_sets,
                                      o->n_bases == 0};
        enum ns_status st = ns_params_build(&src, &params[i], &pops[i], &diags);
        if (st == NS_OK && !params_spared(o, params[i])) {
            rc = EXIT_BAD_INPUT;
            break;
        }
        if (st == NS_OK)
            st = ns_population_run(pops[i], &diags);
        if (st != NS_OK) {
            ns_diags_sort(&diags);
            print_diags(&diags);
            rc = st == NS_ENOMEM ? EXIT_FAILURE_RUN : EXIT_BAD_INPUT;
            break;
        }
        res[i] = (struct ns_scenario_result){
            i ? o->files[i - 1] : NULL,
            i ? (params[i]->def.scenario_name ? params[i]->def.scenario_name
                                              : o->files[i - 1])
              : "base",
            pops[i]->models[0], pops[i]->pooled, NULL, 0};
        if (i > 0 && !scenario_changes(params[0], params[i], &changes[i],
                                       &res[i].n_changes))
            rc = EXIT_FAILURE_RUN;
        res[i].changes = (const char *const *)changes[i];
    }
    if (rc == EXIT_OK) {
        const struct ns_model *m0 = res[0].model;
        long view = m0->n_perspectives ? 0 : NS_ALL_PAYERS;
        printf("Net savings per client, discounted, %s: each scenario against "
               "the base\n",
               view == NS_ALL_PAYERS ? "all payers" : m0->perspectives[0].name);
        for (size_t i = 0; i < n; i++) {
            const struct ns_model *m = res[i].model;
            printf("\n%s%s%s\n", res[i].name, i ? "" : " model",
                   i && params[i]->def.scenario_description ? ":" : "");
            if (i && params[i]->def.scenario_description)
                printf("  %s\n", params[i]->def.scenario_description);
            for (size_t c = 0; c < res[i].n_changes; c++)
                printf("  changes %s\n", res[i].changes[c]);
            for (size_t k = 0; k < m->n_strategies; k++) {
                if (m->comparator[k] < 0)
                    continue;
                struct ns_ledger l, b;
                ns_ledger_compute(m, res[i].results, k, view, true, &l, NULL);
                ns_ledger_compute(m0, res[0].results, k, view, true, &b, NULL);
                printf("  %-16s %14.2f", m->strategies[k].name,
                       l.net_savings);
                if (i)
                    printf("  (%+.2f)", l.net_savings - b.net_savings);
                printf("\n");
            }
        }
        char err[512];
        if (o->csv_dir) {
            if (!ensure_dir(o->csv_dir)) {
                rc = EXIT_FAILURE_RUN;
            } else if (ns_csv_write_scenarios(o->csv_dir, res, n, err,
                                              sizeof err) != NS_OK) {
                fprintf(stderr, "netsave: %s\n", err);
                rc = EXIT_FAILURE_RUN;
            }
        }
        /* The workbook: the base model, plus the Scenarios sheet. */
        if (rc == EXIT_OK && o->xlsx) {
            struct ns_run_info extra = {.scenarios = res, .n_scenarios = n};
            rc = write_base_workbook(o, params[0], pops[0], &extra, &diags,
                                     argc, argv);
        }
    }
out:
    for (size_t i = 0; changes && i < n; i++) {
        for (size_t c = 0; res && c < res[i].n_changes; c++)
            free(changes[i][c]);
        free(changes[i]);
    }
    for (size_t i = 0; pops && i < n; i++)
        ns_population_free(pops[i]);
    for (size_t i = 0; params && i < n; i++)
        ns_params_free(params[i]);
    free(changes);
    free(pops);
    free(params);
    free(res);
    free(files);
    ns_diags_clear(&diags);
    return rc;
}

/* netsave anchors (cli/anchors.h): the table, then the files asked for;
 * the workbook is the model's as it is, plus the Anchors sheet. */
static int
anchors_command(const struct options *o, int argc, char **argv)
{
    struct ns_cli_anchors_request req = {o->files, o->n_files, o->sets,
                                         o->n_sets, o->anchors_file};
    struct ns_cli_anchors *a = NULL;
    struct ns_diags diags = {0};
    enum ns_status st = ns_cli_anchors_prepare(&req, &a, &diags);
    ns_diags_sort(&diags);
    print_diags(&diags);
    if (st == NS_ENOMEM)
        fprintf(stderr, "netsave: out of memory\n");
    int rc = st == NS_OK       ? EXIT_OK
             : st == NS_ENOMEM ? EXIT_FAILURE_RUN
                               : EXIT_BAD_INPUT;
    if (rc == EXIT_OK && !anchor_runs_spared(o, a))
        rc = EXIT_BAD_INPUT;
    if (rc == EXIT_OK)
        ns_cli_anchors_print(a);
    char err[512];
    if (rc == EXIT_OK && o->csv_dir) {
        if (!ensure_dir(o->csv_dir)) {
            rc = EXIT_FAILURE_RUN;
        } else if (ns_csv_write_anchors(o->csv_dir, a->reports, a->defs->n,
                                        err, sizeof err) != NS_OK) {
            fprintf(stderr, "netsave: %s\n", err);
            rc = EXIT_FAILURE_RUN;
        }
    }
    if (rc == EXIT_OK && o->xlsx) {
        struct ns_run_info extra = {.anchors = a->reports,
                                    .n_anchors = a->defs->n};
        rc = write_base_workbook(o, a->runs[0].params, a->runs[0].pop,
                                 &extra, &diags, argc, argv);
    }
    ns_cli_anchors_free(a);
    ns_diags_clear(&diags);
    return rc;
}

static int
expand(const struct options *o, struct ns_population *pop,
       struct ns_diags *diags)
{
    const struct ns_model *m = pop->models[0];
    /* Without --places, the places the model's [expansion] names. */
    char **from_model = NULL;
    struct options local = *o;
    if (o->n_places == 0 && m->n_expansion > 0) {
        from_model = calloc(m->n_expansion, sizeof *from_model);
        if (!from_model)
            return EXIT_FAILURE_RUN;
        for (size_t i = 0; i < m->n_expansion; i++) {
            const char *name = m->strategies[m->expansion_strategy[i]].name;
            size_t n = strlen(name) + strlen(m->expansion_places[i]) + 2;
            from_model[i] = malloc(n);
            if (from_model[i])
                snprintf(from_model[i], n, "%s=%s", name,
                         m->expansion_places[i]);
        }
        local.places = (const char **)from_model;
        local.n_places = m->n_expansion;
        o = &local;
    }
    if (o->n_places == 0) {
        fputs(usage_expand, stderr);
        return EXIT_BAD_INPUT;
    }
    long view = chosen_perspective(o, m);
    if (view == -2)
        return EXIT_BAD_INPUT;
    struct ns_expansion **e = calloc(o->n_places, sizeof *e);
    size_t *strategy = calloc(o->n_places, sizeof *strategy);
    const char **places = calloc(o->n_places, sizeof *places);
    int rc = e && strategy && places ? EXIT_OK : EXIT_FAILURE_RUN;
    size_t done = 0;
    for (size_t i = 0; rc == EXIT_OK && i < o->n_places; i++) {
        const char *eq = strchr(o->places[i], '=');
        long k = -1;
        for (size_t s = 0; s < m->n_strategies; s++)
            if (strlen(m->strategies[s].name) ==
                    (size_t)(eq - o->places[i]) &&
                strncmp(m->strategies[s].name, o->places[i],
                        (size_t)(eq - o->places[i])) == 0)
                k = (long)s;
        if (k < 0) {
            fprintf(stderr, "netsave expand: unknown strategy in '%s'\n",
                    o->places[i]);
            rc = EXIT_BAD_INPUT;
            break;
        }
        strategy[i] = (size_t)k;
        places[i] = eq + 1;
        enum ns_status st = ns_expansion_run(m, pop->pooled, (size_t)k,
                                             eq + 1, view, &e[i], diags);
        if (st != NS_OK) {
            print_diags(diags);
            rc = st == NS_EPARAM ? EXIT_BAD_INPUT : EXIT_FAILURE_RUN;
            break;
        }
        done++;
        printf("%s: %s extra places (%.3g place-years per client); "
               "discounted, %s\n",
               m->strategies[k].name, eq + 1, e[i]->place_years_per_client,
               view == NS_ALL_PAYERS ? "all payers" : m->perspectives[view].name);
        printf("%6s %10s %10s %16s %16s %16s %16s\n", "year", "places",
               "starts", "treatment cost", "savings", "net savings",
               "cumulative");
        for (size_t y = 0; y < e[i]->n_years; y++) {
            const struct ns_expansion_year *yr = &e[i]->years[y];
            printf("%6zu %10.1f %10.1f %16.0f %16.0f %16.0f %16.0f\n", y + 1,
                   yr->places, yr->starts, yr->treatment_cost, yr->savings,
                   yr->net_savings, yr->cumulative);
        }
        printf("net present value %.0f; ", e[i]->npv);
        if (isnan(e[i]->payback_year))
            printf("does not pay back within the horizon\n\n");
        else
            printf("pays back in year %.0f\n\n", e[i]->payback_year);
    }
    if (rc == EXIT_OK && o->csv_dir) {
        char err[512];
        if (!ensure_dir(o->csv_dir)) {
            rc = EXIT_FAILURE_RUN;
        } else if (ns_csv_write_expansion(
                       o->csv_dir, m, view,
                       (const struct ns_expansion *const *)e, strategy,
                       places, done, err, sizeof err) != NS_OK) {
            fprintf(stderr, "netsave: %s\n", err);
            rc = EXIT_FAILURE_RUN;
        }
    }
    for (size_t i = 0; e && i < done; i++)
        ns_expansion_free(e[i]);
    free(e);
    free(strategy);
    free(places);
    for (size_t i = 0; from_model && i < m->n_expansion; i++)
        free(from_model[i]);
    free(from_model);
    return rc;
}

/* Set by the SIGINT handler: the PSA stops at the next draw. A signal
 * handler can only reach a file-scope object. */
static volatile sig_atomic_t interrupted;

static void
on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

struct progress {
    time_t start;
};

static void
show_psa_progress(void *ctx, size_t done, size_t total)
{
    const struct progress *p = ctx;
    double elapsed = difftime(time(NULL), p->start);
    double left = done ? elapsed * (double)(total - done) / (double)done : 0;
    int width = 30, filled = (int)((double)width * (double)done /
                                   (double)total);
    fprintf(stderr, "\r[%.*s%*s] %zu/%zu draws, %.0f s left   ", filled,
            "##############################", width - filled, "", done, total,
            left);
}

/* ns_psa_draws_fn: streams a block of draws into psa_draws.csv. */
static enum ns_status
write_draws(void *ctx, const struct ns_psa *psa, size_t first, size_t n,
            const double *params)
{
    return ns_csv_draws_write(ctx, psa, first, n, params);
}

static int
psa(const struct options *o, const struct ns_params *params,
    struct ns_population *pop, struct ns_checks *checks,
    struct ns_diags *diags, int argc, char **argv)
{
    const struct ns_model *m = pop->models[0];
    if (!o->has_draws || !o->has_seed) {
        fputs(usage_psa, stderr);
        return EXIT_BAD_INPUT;
    }
    long view = chosen_perspective(o, m);
    if (view == -2)
        return EXIT_BAD_INPUT;
    struct progress prog = {time(NULL)};
    /* Ctrl-C is caught from before the draws file is created, so an
     * interrupt can never leave its temporary file behind. */
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_interrupt;
    sigaction(SIGINT, &sa, &old);
    struct ns_csv_draws *draws = NULL;
    if (o->csv_dir && o->write_draws) {
        char err[512] = ""; /* ensure_dir says what went wrong itself */
        if (!ensure_dir(o->csv_dir) ||
            ns_csv_draws_begin(o->csv_dir, m, &draws, err, sizeof err) !=
                NS_OK) {
            if (err[0])
                fprintf(stderr, "netsave: %s\n", err);
            sigaction(SIGINT, &old, NULL);
            return EXIT_FAILURE_RUN;
        }
    }
    struct ns_psa_options popt = {
        .n_draws = o->n_draws,
        .seed = o->seed,
        .n_threads = o->threads,
        .perspective = view,
        .cancel = &interrupted,
        .progress = isatty(STDERR_FILENO) ? show_psa_progress : NULL,
        .progress_ctx = &prog,
        .on_draws = draws ? write_draws : NULL,
        .draws_ctx = draws,
    };
    struct ns_psa *result = NULL;
    enum ns_status st = ns_psa_run(pop, &popt, &result, diags);
    sigaction(SIGINT, &old, NULL);
    if (popt.progress)
        fputc('\n', stderr);
    if (st != NS_OK) {
        ns_csv_draws_abort(draws);
        print_diags(diags);
        if (st == NS_EPARAM)
            return EXIT_BAD_INPUT;
        fprintf(stderr, "netsave psa: %s\n",
                interrupted ? "stopped: nothing written" : ns_strerror(st));
        return EXIT_FAILURE_RUN;
    }
    size_t K = m->n_strategies;
    printf("Probabilistic analysis: %lu draws, seed %lu; net savings per "
           "client, discounted, %s\n",
           o->n_draws, o->seed,
           view == NS_ALL_PAYERS ? "all payers" : m->perspectives[view].name);
    printf("%-16s %14s %14s %14s %12s\n", "strategy", "mean", "2.5%",
           "97.5%", "P(net > 0)");
    for (size_t k = 0; k < K; k++) {
        if (m->comparator[k] < 0)
            continue;
        struct ns_psa_stat stat;
        /* Out of memory leaves only the interval NaN, which prints. */
        (void)ns_psa_stat(result, k, NS_PSA_NET, &stat);
        printf("%-16s %14.2f %14.2f %14.2f %12.4f\n", m->strategies[k].name,
               stat.mean, stat.low, stat.high, stat.prob_positive);
    }
    int rc = EXIT_OK;
    if (o->csv_dir) {
        char err[512];
        if (!ensure_dir(o->csv_dir)) {
            rc = EXIT_FAILURE_RUN;
        } else if (ns_csv_write_psa(o->csv_dir, m, result, view,
                                    m->report_cohort, err,
                                    sizeof err) != NS_OK) {
            fprintf(stderr, "netsave: %s\n", err);
            rc = EXIT_FAILURE_RUN;
        }
        /* Committed last, so a failure above leaves no draws file. */
        if (draws && rc == EXIT_OK &&
            ns_csv_draws_commit(draws, err, sizeof err) != NS_OK) {
            fprintf(stderr, "netsave: %s\n", err);
            rc = EXIT_FAILURE_RUN;
        } else if (draws && rc != EXIT_OK) {
            ns_csv_draws_abort(draws);
        }
        draws = NULL; /* freed by commit or abort */
    }
    /* The workbook: the model as written, plus the PSA sheet. */
    if (rc == EXIT_OK && o->xlsx) {
        struct options only_xlsx = *o;
        only_xlsx.csv_dir = NULL;
        if (!verify(pop, checks, diags))
            rc = EXIT_FAILURE_RUN;
        else
        {
            struct ns_run_info extra = {.psa = result,
                                        .psa_perspective = view};
            rc = write_outputs(&only_xlsx, params, pop, checks, &extra, argc,
                               argv);
        }
    }
    ns_psa_free(result);
    return rc;
}

/* The Anchors sheet of run's and validate's workbook: when the anchors
 * file netsave anchors would read exists (params/anchors.csv next to the
 * England model), the workbook puts netsave beside the published studies
 * for commissioners too. A file that exists but is bad is bad input. */
static bool
workbook_anchors(const struct options *o, struct ns_cli_anchors **out,
                 struct ns_diags *diags)
{
    struct ns_cli_anchors_request req = {o->files, o->n_files, o->sets,
                                         o->n_sets, NULL};
    char *path = ns_cli_anchors_default_path(&req);
    bool present = path && access(path, R_OK) == 0;
    free(path);
    *out = NULL;
    if (!present)
        return true;
    if (ns_cli_anchors_prepare(&req, out, diags) != NS_OK)
        return false;
    if (anchor_runs_spared(o, *out))
        return true;
    ns_cli_anchors_free(*out);
    *out = NULL;
    return false;
}

static int
run_command(const struct options *o, int argc, char **argv)
{
    struct ns_diags diags = {0};
    struct ns_params *params = NULL;
    struct ns_population *pop = NULL;
    struct ns_model_source src = {o->files,
                                  o->n_files,
                                  ns_default_model_files,
                                  ns_default_model_n_files,
                                  o->sets,
                                  o->n_sets,
                                  false};
    int rc = EXIT_BAD_INPUT;
    struct ns_checks checks = {0};
    enum ns_status st = ns_params_build(&src, &params, &pop, &diags);
    if (st == NS_OK && !params_spared(o, params))
        goto done;
    if (st == NS_OK)
        st = ns_population_run(pop, &diags);
    if (st == NS_ENOMEM) {
        fprintf(stderr, "netsave: out of memory\n");
        rc = EXIT_FAILURE_RUN;
        goto done;
    }
    if (st != NS_OK) {
        ns_diags_sort(&diags);
        print_diags(&diags);
        goto done;
    }
    const struct ns_model *model = pop->models[0];
    if (strcmp(o->command, "check") == 0 && o->verify &&
        !verify(pop, &checks, &diags)) {
        rc = EXIT_FAILURE_RUN;
        goto done;
    }
    if (strcmp(o->command, "check") == 0) {
        printf("%s: valid (%zu states, %zu strategies, %zu cycles",
               model->name, model->n_states, model->n_strategies,
               model->n_cycles);
        if (pop->n_groups > 1)
            printf(", %zu subgroups", pop->n_groups);
        printf(")\n");
        if (o->verify)
            printf("verification: %zu of %zu checks passed\n", checks.n,
                   checks.n);
        rc = EXIT_OK;
        goto done;
    }
    if (strcmp(o->command, "psa") == 0) {
        rc = psa(o, params, pop, &checks, &diags, argc, argv);
        goto done;
    }
    if (strcmp(o->command, "dsa") == 0) {
        rc = dsa(o, params, pop, &checks, &diags, argc, argv);
        goto done;
    }
    if (strcmp(o->command, "expand") == 0) {
        rc = expand(o, pop, &diags);
        goto done;
    }
    if (strcmp(o->command, "attrition") == 0) {
        struct ns_attrition_table table = {0};
        rc = attrition(o, pop, &diags, &table);
        /* The outputs describe the model as written, plus the table. */
        if (rc == EXIT_OK && (o->xlsx || o->csv_dir)) {
            if (ns_population_run(pop, &diags) != NS_OK ||
                !verify(pop, &checks, &diags))
                rc = EXIT_FAILURE_RUN;
            else
            {
                struct ns_run_info extra = {.attrition = &table};
                rc = write_outputs(o, params, pop, &checks, &extra, argc,
                                   argv);
            }
        }
        free((double *)table.net);
        free((double *)table.tipping);
        goto done;
    }
    if (strcmp(o->command, "threshold") == 0) {
        if (!o->param || !o->has_range) {
            fputs(usage_threshold, stderr);
            goto done;
        }
        rc = threshold(o, pop, &diags);
        goto done;
    }
    if (strcmp(o->command, "calibrate") == 0) {
        if (!o->xlsx) {
            fputs(usage_calibrate, stderr);
            goto done;
        }
        rc = calibrate(o, pop, &diags, argc, argv);
        goto done;
    }
    bool validating = strcmp(o->command, "validate") == 0;
    if (validating && model->n_targets == 0) {
        fprintf(stderr, "netsave validate: the model names no targets; add "
                        "[validation] targets = FILE.csv\n");
        goto done;
    }
    if (!verify(pop, &checks, &diags)) {
        rc = EXIT_FAILURE_RUN;
        goto done;
    }
    print_summary(model, pop->pooled);
    printf("\nVerification: %zu of %zu checks passed%s\n", checks.n,
           checks.n, pop->n_groups > 1 ? " (all subgroups)" : "");
    enum ns_cli_validation found = NS_VALIDATION_MET;
    if (model->n_targets) {
        struct ns_diags problems = {0};
        found = ns_cli_validation_print(pop, &problems);
        ns_diags_sort(&problems);
        print_diags(&problems);
        /* An error with nothing to say is memory running out. */
        if (found == NS_VALIDATION_ERROR && problems.count == 0)
            fprintf(stderr, "netsave: out of memory\n");
        ns_diags_clear(&problems);
    }
    /* A target that cannot be computed is bad input to validate, which
     * then writes nothing; run only reports it. */
    if (validating && found == NS_VALIDATION_ERROR)
        goto done;
    struct ns_cli_anchors *anchors = NULL;
    if (o->xlsx && !workbook_anchors(o, &anchors, &diags)) {
        ns_diags_sort(&diags);
        print_diags(&diags);
        rc = EXIT_BAD_INPUT;
        goto done;
    }
    struct ns_run_info extra = {0};
    if (anchors)
        extra = (struct ns_run_info){.anchors = anchors->reports,
                                     .n_anchors = anchors->defs->n};
    rc = write_outputs(o, params, pop, &checks, anchors ? &extra : NULL, argc,
                       argv);
    ns_cli_anchors_free(anchors);
    if (validating && rc == EXIT_OK && found != NS_VALIDATION_MET)
        rc = EXIT_FAILURE_RUN;
done:
    ns_checks_clear(&checks);
    ns_population_free(pop);
    ns_params_free(params);
    ns_diags_clear(&diags);
    return rc;
}

/* Runs the command the options name, or prints its help. */
static int
dispatch(const struct options *o, int argc, char **argv)
{
    const char *cmd = o->command;
    if (o->help) {
        fputs(strcmp(cmd, "run") == 0        ? usage_run
              : strcmp(cmd, "init") == 0     ? usage_init
              : strcmp(cmd, "validate") == 0 ? usage_validate
              : strcmp(cmd, "calibrate") == 0 ? usage_calibrate
              : strcmp(cmd, "threshold") == 0 ? usage_threshold
              : strcmp(cmd, "attrition") == 0 ? usage_attrition
              : strcmp(cmd, "psa") == 0 ? usage_psa
              : strcmp(cmd, "dsa") == 0 ? usage_dsa
              : strcmp(cmd, "compare") == 0 ? usage_compare
              : strcmp(cmd, "anchors") == 0 ? ns_cli_usage_anchors
              : strcmp(cmd, "expand") == 0 ? usage_expand
                                             : usage_check,
              stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "init") == 0)
        return init_command(o);
    if (strcmp(cmd, "compare") == 0)
        return compare(o, argc, argv);
    if (strcmp(cmd, "anchors") == 0)
        return anchors_command(o, argc, argv);
    return run_command(o, argc, argv);
}

int
main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    /* Past a file-size limit (ulimit -f) a write should fail with EFBIG,
     * which the writers report and clean up after, rather than kill the
     * process and leave a temporary file behind. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        fputs(usage_main, stderr);
        return EXIT_BAD_INPUT;
    }
    /* Arguments reach the terminal and the workbook's About sheet, which
     * must be text: a file name in Latin-1 would make the XML malformed. */
    for (int i = 1; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (ns_text_bad_at(argv[i], n) != n) {
            fprintf(stderr,
                    "netsave: argument %d is not UTF-8 text or holds a "
                    "control character; rename the file or retype it\n",
                    i);
            return EXIT_BAD_INPUT;
        }
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("netsave %s\n", NS_VERSION);
        return EXIT_OK;
    }
    if (strcmp(cmd, "run") != 0 && strcmp(cmd, "check") != 0 &&
        strcmp(cmd, "init") != 0 && strcmp(cmd, "validate") != 0 &&
        strcmp(cmd, "calibrate") != 0 && strcmp(cmd, "threshold") != 0 &&
        strcmp(cmd, "attrition") != 0 && strcmp(cmd, "psa") != 0 &&
        strcmp(cmd, "dsa") != 0 && strcmp(cmd, "compare") != 0 &&
        strcmp(cmd, "anchors") != 0 && strcmp(cmd, "expand") != 0) {
        fprintf(stderr, "netsave: unknown command '%s'\n\n%s", cmd,
                usage_main);
        return EXIT_BAD_INPUT;
    }
    struct options o = {.command = cmd};
    int rc = parse_options(argc, argv, &o);
    if (rc == 0 && !o.help && strcmp(cmd, "init") != 0 &&
        !named_inputs_spared(&o))
        rc = EXIT_BAD_INPUT;
    char err[512];
    /* A workbook that cannot be written is found out before the analysis
     * runs (a long PSA would otherwise be lost), and before any CSV is
     * written, so the run writes nothing at all. */
    if (rc == 0 && !o.help && o.xlsx &&
        ns_atomic_probe(o.xlsx, err, sizeof err) != NS_OK) {
        fprintf(stderr, "netsave: %s\n", err);
        rc = EXIT_FAILURE_RUN;
    }
    if (rc == 0)
        rc = dispatch(&o, argc, argv);
    free(o.files);
    free(o.sets);
    free(o.dsa_params);
    free(o.bases);
    free(o.places);
    return rc;
}

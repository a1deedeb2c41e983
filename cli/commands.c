/* netsave: the commands, as a table: name, help, options, and the
 * function that runs each (cli/cmd_*.c). Adding a command is adding an
 * entry here and its file. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "model/analysis/threshold.h"


/* An option a command accepts: its help there (NULL: the option's own),
 * and with ARG the name its value goes by there. */
#define OPT(id, help) {id, help, NULL}
#define ARG(id, help, arg) {id, help, arg}
#define MODEL_FILES "[MODEL.ini ...]"
#define SET_OPTION OPT(NS_OPT_SET, NULL)
#define OUTPUTS OPT(NS_OPT_OUTPUT, NULL), OPT(NS_OPT_CSV, NULL)
#define PERSPECTIVE OPT(NS_OPT_PERSPECTIVE, NULL)
#define END OPT(NS_OPT_END, NULL)

static const char done_status[] = "0 done, 1 failure, 2 bad input or usage.";

static const struct ns_cli_accepts run_options[] = {
    SET_OPTION, OPT(NS_OPT_OUTPUT, NULL),
    OPT(NS_OPT_CSV, "write trace.csv, values.csv, summary.csv, "
                 "incremental.csv, validation.csv, net_savings.csv, "
                 "payers.csv, net_savings_by_year.csv, outcomes.csv, "
                 "frontier.csv, area.csv, area_payers.csv and checks.csv "
                 "into DIR (created if needed; columns in docs/outputs.md)"),
    OPT(NS_OPT_WTP, NULL),
    OPT(NS_OPT_CSV, "write trace.csv, values.csv, summary.csv and "
                 "incremental.csv (and the rest listed in docs/outputs.md) "
                 "into DIR (created if needed)"),
    OPT(NS_OPT_FORMULAS, NULL),
    END};

static const struct ns_cli_accepts check_options[] = {
    SET_OPTION, OPT(NS_OPT_VERIFY, NULL), END};

static const struct ns_cli_accepts validate_options[] = {
    SET_OPTION, OUTPUTS, END};

static const struct ns_cli_accepts calibrate_options[] = {
    ARG(NS_OPT_OUTPUT, "write the calibrated overlay (required; written "
                    "atomically)", "CALIBRATED.ini"),
    SET_OPTION,
    OPT(NS_OPT_STARTS, NULL),
    OPT(NS_OPT_SEED, "seed of the random starting points (default " NS_STR(
                      NS_CALIBRATE_SEED_DEFAULT) ")"),
    OPT(NS_OPT_ALL_TARGETS, NULL),
    END};

static const struct ns_cli_accepts threshold_options[] = {
    OPT(NS_OPT_PARAM, "the parameter searched (required)"),
    OPT(NS_OPT_RANGE, NULL),
    OPT(NS_OPT_TARGET, NULL),
    PERSPECTIVE,
    SET_OPTION,
    END};

static const struct ns_cli_accepts psa_options[] = {
    OPT(NS_OPT_DRAWS, NULL),
    OPT(NS_OPT_SEED, "seed of the random numbers (required)"),
    OPT(NS_OPT_THREADS, NULL),
    PERSPECTIVE,
    SET_OPTION,
    OPT(NS_OPT_OUTPUT, "write the workbook with a PSA sheet"),
    OPT(NS_OPT_CSV, "write psa_summary.csv, ceac.csv and ceaf.csv (and "
                 "evppi.csv) into DIR"),
    OPT(NS_OPT_WRITE_DRAWS, NULL),
    OPT(NS_OPT_WTP, "willingness to pay per unit of health at which the "
                    "printed table gives expected net monetary benefits and "
                    "chances of being optimal, added to the curves' points "
                    "(replaces the model's [model] wtp)"),
    OPT(NS_OPT_EVPPI, NULL),
    END};

static const struct ns_cli_accepts dsa_options[] = {
    OPT(NS_OPT_PARAM, "only this parameter (repeat for more); default: every "
                   "parameter with a range"),
    OPT(NS_OPT_TWO_WAY, NULL),
    OPT(NS_OPT_GRID, NULL),
    PERSPECTIVE,
    SET_OPTION,
    OPT(NS_OPT_OUTPUT, "write the workbook with a Tornado sheet"),
    OPT(NS_OPT_CSV, "write tornado.csv, tornado_by_payer.csv (and two_way.csv) "
                 "into DIR"),
    END};

static const struct ns_cli_accepts compare_options[] = {
    OPT(NS_OPT_BASE, NULL),
    SET_OPTION,
    OPT(NS_OPT_OUTPUT, "write the base model's workbook with a Scenarios sheet"),
    OPT(NS_OPT_CSV, "write scenarios.csv and scenario_changes.csv into DIR"),
    END};

static const struct ns_cli_accepts areas_options[] = {
    OPT(NS_OPT_BASE, NULL),
    SET_OPTION,
    OPT(NS_OPT_OUTPUT, "write the base model's workbook with an Areas sheet"),
    OPT(NS_OPT_CSV, "write area.csv and area_payers.csv, every area's rows, "
                    "into DIR"),
    END};

static const struct ns_cli_accepts anchors_options[] = {
    OPT(NS_OPT_ANCHORS, "the anchors file (default: anchors.csv beside the "
                     "first model file, or params/anchors.csv for the "
                     "built-in model)"),
    SET_OPTION,
    OPT(NS_OPT_OUTPUT, "write the model's workbook with an Anchors sheet"),
    OPT(NS_OPT_CSV, "write anchors.csv and anchors_arms.csv into DIR"),
    END};

static const struct ns_cli_accepts expand_options[] = {
    OPT(NS_OPT_PLACES, NULL),
    PERSPECTIVE,
    SET_OPTION,
    OPT(NS_OPT_OUTPUT, "ignored: expand writes no workbook yet"),
    OPT(NS_OPT_CSV, "write expansion.csv and expansion_payers.csv into DIR"),
    END};

static const struct ns_cli_accepts attrition_options[] = {
    OPT(NS_OPT_DELTA, NULL),
    OPT(NS_OPT_TIPPING, NULL),
    PERSPECTIVE,
    SET_OPTION,
    OPT(NS_OPT_OUTPUT, "write the workbook with an Attrition sheet"),
    OPT(NS_OPT_CSV, "write what run writes, and attrition.csv, into DIR"),
    END};

static const struct ns_cli_accepts benchmark_options[] = {
    OPT(NS_OPT_NORMS, NULL),
    OPT(NS_OPT_OVERDISPERSION, NULL),
    OPT(NS_OPT_DRAWS, "PSA draws of the model's [uncertainty] for the total "
                      "gain's 95% interval (default: none)"),
    OPT(NS_OPT_SEED, "seed of the draws: the same draws as psa --seed S "
                     "(default " NS_STR(NS_CALIBRATE_SEED_DEFAULT) ")"),
    PERSPECTIVE,
    SET_OPTION,
    OPT(NS_OPT_OUTPUT, "write the model's workbook with a Benchmark sheet "
                       "and a funnel plot per measure"),
    OPT(NS_OPT_CSV, "write benchmark.csv, benchmark_groups.csv and, with "
                    "-n, benchmark_total.csv into DIR"),
    END};

static const struct ns_cli_accepts init_options[] = {
    OPT(NS_OPT_AREA, NULL),
    OPT(NS_OPT_BASE, "with --area, the model's files (default: the "
                     "built-in model)"),
    END};

const struct ns_cli_command ns_cli_commands[] = {
    {"run", "run a model, print a summary, write a workbook and CSV files",
     MODEL_FILES " [--set SECTION.KEY=VALUE]...\n"
     "                   [-o FILE.xlsx] [--csv DIR]",
     "Runs a model. Several files are overlays applied in order: a later\n"
     "file overrides an earlier one key by key, and --set overrides them all.\n"
     "With no file, runs the built-in default model.\n",
     run_options,
     "0 success, 1 an output could not be written, 2 bad input.",
     "a file", true, false, ns_cli_run, false},
    {"check", "load and validate a model without writing anything",
     MODEL_FILES " [--set SECTION.KEY=VALUE]...\n"
     "                     [--verify]",
     "Loads, validates and runs a model without writing anything, and lists\n"
     "every problem found as FILE:LINE: message. With no file, checks the\n"
     "built-in default model. --verify also runs the verification checks\n"
     "that every run makes (mass conserved, absorbing states, identical\n"
     "strategies, discounting, streams independent, repeatable).\n",
     check_options,
     "0 valid, 1 a verification check failed, 2 problems found\n"
     "(listed on stderr).",
     "a file", false, false, ns_cli_check, false},
    {"validate", "compare the model with the targets it names (e.g. NTORS)",
     MODEL_FILES " [--set SECTION.KEY=VALUE]...\n"
     "                        [-o FILE.xlsx] [--csv DIR]",
     "Runs the model and compares it with every target of its targets file\n"
     "([validation] targets = FILE.csv): observed, predicted, difference,\n"
     "tolerance and whether it is met. With no file, validates the built-in\n"
     "England model against NTORS. -o and --csv write what run writes; the\n"
     "workbook has a Validation sheet and DIR a validation.csv.\n"
     "\n"
     "Fit targets (those calibrate fits to) and holdout targets (role\n"
     "holdout in the targets file: never fitted) are shown as two tables,\n"
     "each with a summary per mix of arms; missed holdout targets are\n"
     "listed with their notes.\n",
     validate_options,
     "0 every target graded A or B, fit and holdout, is within\n"
     "its tolerance, 1 one is not (or an output could not be written), 2 bad\n"
     "input (including a target that cannot be computed).",
     "a file", true, false, ns_cli_validate, false},
    {"calibrate", "fit the model's free parameters to its targets",
     MODEL_FILES " -o CALIBRATED.ini\n"
     "                         [--set SECTION.KEY=VALUE]... [--starts N]\n"
     "                         [--seed S] [--all-targets]",
     "Fits the parameters listed in the model's [calibrate] section (each\n"
     "with its bounds) to the model's fit targets graded A or B\n"
     "(--all-targets: every fit target, of any grade), minimising the sum of\n"
     "squared differences divided by each target's tolerance, with GSL's\n"
     "Nelder-Mead simplex from N starting points (the current values, then\n"
     "random ones from seed S). Writes an INI overlay with the fitted values\n"
     "and, as comments, the fit to every fit target; run it on top of the\n"
     "model:\n"
     "  netsave run MODEL.ini CALIBRATED.ini\n"
     "Progress is shown on a terminal. Holdout targets (role holdout in the\n"
     "targets file) are never fitted, nor evaluated: with no fit target to\n"
     "use, calibrate refuses. The shipped England calibration is\n"
     "params/england-calibration.ini.\n",
     calibrate_options, "0 written, 1 failure, 2 bad input or usage.",
     "a file", false, false, ns_cli_calibrate, false},
    {"threshold",
     "the value of a parameter at which net savings reach zero",
     MODEL_FILES " --param NAME --range LOW,HIGH\n"
     "                         [--target net_savings|best_modality]\n"
     "                         [--set SECTION.KEY=VALUE]...",
     "For every strategy with a comparator, finds the value of parameter\n"
     "NAME (set for every strategy and subgroup) between LOW and HIGH at\n"
     "which discounted net savings reach zero, for the model's first\n"
     "perspective (all payers when it names none), with GSL's Brent solver;\n"
     "says 'none in range' when net savings keep one sign. For example, how\n"
     "much of the treatment effect may be lost before treatment stops paying:\n"
     "  netsave threshold --param effect_shrinkage --range 0,1\n"
     "--target best_modality finds instead where the strategy with the\n"
     "highest net savings changes (a scan of " NS_STR(
         NS_THRESHOLD_SCAN_POINTS) " points, then Brent).\n",
     threshold_options, done_status, "a file", false, false,
     ns_cli_threshold, false},
    {"psa", "probabilistic sensitivity analysis: how sure are we?",
     MODEL_FILES " -n DRAWS --seed S [-j THREADS]\n"
     "                   [--set SECTION.KEY=VALUE]... [-o FILE.xlsx]\n"
     "                   [--csv DIR] [--draws] [--evppi]",
     "Samples every parameter with a distribution ([uncertainty] in the\n"
     "model) DRAWS times and runs the model for each draw. Draw i's random\n"
     "numbers come from (S, i) alone, so the results are identical for any\n"
     "number of threads. Prints, per strategy, the mean net savings with a\n"
     "95% interval and the chance that net savings are positive; -o writes\n"
     "the workbook with a PSA sheet (histogram, cost-effectiveness plane and\n"
     "acceptability curve).\n"
     "--evppi adds the expected value of partial perfect information of\n"
     "each parameter with a distribution and each [parameter_groups] group,\n"
     "by regression on the draws the PSA keeps exactly (docs/analyses.md):\n"
     "a table of the groups and the top parameters, evppi.csv and an EVPPI\n"
     "sheet.\n"
     "Ctrl-C stops cleanly and writes nothing.\n",
     psa_options, "0 done, 1 failure or stopped, 2 bad input or usage.",
     "a file", false, false, ns_cli_psa, true},
    {"dsa", "one-way (tornado) and two-way sensitivity analysis",
     MODEL_FILES " [--param NAME]... [--two-way A,B]\n"
     "                   [--grid N] [--set SECTION.KEY=VALUE]...\n"
     "                   [-o FILE.xlsx] [--csv DIR]",
     "One-way: every parameter with a range ([ranges], or the 2.5% and 97.5%\n"
     "points of its [uncertainty] distribution), or only those named with\n"
     "--param, set to each end in turn: net savings per strategy at each end,\n"
     "widest swing first (a tornado), printed (top " NS_STR(
         NS_DSA_BARS_SHOWN) ") and in tornado.csv.\n"
     "--two-way A,B: a grid of N x N values over the ranges of A and B, in\n"
     "two_way.csv. Net savings are discounted, for the model's first\n"
     "perspective.\n",
     dsa_options, done_status, "a file", false, false, ns_cli_dsa, false},
    {"compare", "run scenario overlays against a base model",
     "[--base MODEL.ini]... SCENARIO.ini ...\n"
     "                       [--set SECTION.KEY=VALUE]... [-o FILE.xlsx]\n"
     "                       [--csv DIR]",
     "Runs the base model (default: the built-in England model) and each\n"
     "scenario (an overlay with a [scenario] name and description, applied to\n"
     "the base), prints net savings per client for each strategy against the\n"
     "base, and lists exactly which parameters and settings each scenario\n"
     "changes (old -> new). The shipped scenarios are in params/scenarios/.\n",
     compare_options, done_status, "a file", false, false, ns_cli_compare,
     true},
    {"areas", "run area overlays on a base model, one run per area",
     "[--base MODEL.ini]... AREA.ini ...\n"
     "                       [--set SECTION.KEY=VALUE]... [-o FILE.xlsx]\n"
     "                       [--csv DIR]",
     "Runs the base model (default: the built-in England model) with each\n"
     "area overlay on it (an [area] section: the clients starting each\n"
     "treated strategy each year; netsave init DIR --area NAME writes one),\n"
     "and prints each area's clients, treatment cost, savings and net\n"
     "savings over all its years, discounted, for the model's first\n"
     "perspective. area.csv and area_payers.csv hold every area's rows, with\n"
     "the columns netsave run writes for one area.\n",
     areas_options, done_status, "a file", false, false, ns_cli_areas, true},
    {"anchors", "the model side by side with published studies",
     MODEL_FILES " [--anchors FILE.csv]\n"
     "                       [--set SECTION.KEY=VALUE]... [-o FILE.xlsx]\n"
     "                       [--csv DIR]",
     "Sets the model side by side with published studies. Each row of the\n"
     "anchors file names a study, its design as a scenario overlay (applied\n"
     "to the model as compare applies it), its clients (arms: 'rehab:286 +\n"
     "mmt:458'), whose savings it counts (a perspective, or payers: 'victims\n"
     "police cjs nhs'), the share of the treatment cost its ratio divides\n"
     "by, and the published ratio. Prints, per study, the model's savings\n"
     "per GBP 1 of treatment (discounted, pooled over subgroups and over the\n"
     "arms by weight) beside the published figure, then each arm's own; a\n"
     "ratio that cannot be formed is reported as not computable, with the\n"
     "reason. The Anchors sheet has the table and a chart.\n",
     anchors_options, done_status, "a file", true, false, ns_cli_anchors, false},
    {"expand", "budget impact of funding more places, year by year",
     MODEL_FILES " --places STRATEGY=PLACES...\n"
     "                      [--set SECTION.KEY=VALUE]... [--csv DIR]",
     "Budget impact of funding PLACES extra treatment places of STRATEGY\n"
     "(without --places: those the model's [expansion] section names)\n"
     "(a number, or an expression of time in years, e.g. 'rehab=50*min(time+1,2)'\n"
     "for 50 places in year 1 and 100 after): places become clients starting\n"
     "treatment through the model's place-years per client, a new cohort\n"
     "enters every cycle, and every cohort costs and saves what the model's\n"
     "does. Prints, per year, places, starts, extra treatment spending,\n"
     "savings and net savings (discounted, the model's first perspective),\n"
     "the net present value and the year the expansion pays back.\n",
     expand_options, done_status, "a file", false, false, ns_cli_expand, false},
    {"attrition",
     "net savings under assumptions about clients lost to follow-up",
     MODEL_FILES " [--delta D] [--tipping]\n"
     "                         [--set SECTION.KEY=VALUE]... [--csv DIR]",
     "A study's values come from the clients it followed up (NTORS at five\n"
     "years: 63%). Under three assumptions about the others (they did as\n"
     "those followed up; they were back at intake levels; they did worse by\n"
     "D), the targets are reweighted, the model's [calibrate] parameters\n"
     "refitted, and net savings per strategy reported (discounted, the\n"
     "model's first perspective). --tipping also finds, per strategy, the D\n"
     "in [0, 1] at which net savings reach zero.\n"
     "  netsave attrition params/england.ini params/england-calibration.ini\n",
     attrition_options, done_status, "a file", false, false,
     ns_cli_attrition, false},
    {"benchmark",
     "services against norms: funnel plots, and what the norm is worth",
     "SERVICES.csv [MODEL.ini ...] [--norms FILE.csv]\n"
     "                         [--overdispersion HOW] [-o FILE.xlsx] "
     "[--csv DIR]",
     "Sets each service of SERVICES.csv (one row per service and period:\n"
     "clients starting a modality, retained to its threshold, and outcomes\n"
     "at follow-up; docs/benchmarking.md) against its modality's norm, on a\n"
     "funnel plot: the proportion against the number of clients, with 95%\n"
     "and 99.8% control limits from the exact binomial distribution, widened\n"
     "for overdispersion. Each service is within, below or above them.\n"
     "Retention is priced through the model ([benchmark] names the\n"
     "parameter it sets): net savings per client at the service's retention\n"
     "and at the norm, and what bringing every service below the 95% limit\n"
     "up to the norm would gain. params/example-services.csv is an\n"
     "illustrative example:\n"
     "  netsave benchmark params/example-services.csv\n",
     benchmark_options, done_status, "a file", false, false,
     ns_cli_benchmark, false},
    {"init", "write the built-in model's files into a folder, to edit",
     "DIR [--area NAME [--base MODEL.ini]...]",
     "Writes the built-in model's files (the INI file, with every comment and\n"
     "source, and the CSV tables it names) into DIR, created if needed, for\n"
     "an analyst to edit. Running on them gives the built-in model's results:\n"
     "  netsave run DIR/<model>.ini\n"
     "With --area NAME, writes only DIR/area.ini: a commented [area] section\n"
     "for the model (--base files, or the built-in one) listing every treated\n"
     "strategy with 0 clients starting, to fill in and run on top of it:\n"
     "  netsave run MODEL.ini DIR/area.ini\n"
     "Existing files are never overwritten.\n",
     init_options,
     "0 written, 1 a file could not be written or exists, 2 usage or bad\n"
     "input (a model with errors, or an area name that cannot be an INI value).",
     "a folder", false, true, ns_cli_init, false},
};

const size_t ns_cli_n_commands =
    sizeof ns_cli_commands / sizeof *ns_cli_commands;

const struct ns_cli_command *
ns_cli_command_find(const char *name)
{
    for (size_t i = 0; i < ns_cli_n_commands; i++)
        if (strcmp(ns_cli_commands[i].name, name) == 0)
            return &ns_cli_commands[i];
    return NULL;
}

void
ns_cli_print_main_help(FILE *out)
{
    fputs("usage: netsave COMMAND [OPTIONS] [MODEL.ini ...]\n"
          "\n"
          "What does a treatment place save society, net of what it costs?\n"
          "\n"
          "Commands:\n",
          out);
    int width = 0;
    for (size_t i = 0; i < ns_cli_n_commands; i++)
        if ((int)strlen(ns_cli_commands[i].name) > width)
            width = (int)strlen(ns_cli_commands[i].name);
    for (size_t i = 0; i < ns_cli_n_commands; i++)
        fprintf(out, "  %-*s  %s\n", width, ns_cli_commands[i].name,
                ns_cli_commands[i].summary);
    fputs("\n"
          "Options:\n"
          "  -h, --help  show this help (netsave COMMAND --help for a "
          "command)\n"
          "  --version   show the version\n"
          "  --features  show the version and whether models are compiled "
          "to machine code\n"
          "\n"
          "Exit status: 0 success, 1 failure (e.g. a file cannot be "
          "written),\n"
          "2 bad input or usage (the problems are listed on stderr).\n",
          out);
}

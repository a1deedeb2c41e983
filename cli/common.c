/* netsave: what several commands share (see cli.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"

#include "model/jit.h"
#include "cli/default_model.h"
#include "cli/outputs.h"
#include "model/ledger.h"
#include "output/live.h"

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

void
ns_cli_print_diags(const struct ns_diags *diags)
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

bool
ns_cli_perspective(const struct ns_cli_args *a, const struct ns_model *m,
                   long *view)
{
    *view = ns_model_find_perspective(m, a->perspective);
    if (*view != NS_NO_PERSPECTIVE)
        return true;
    fprintf(stderr, "netsave %s: the model has no perspective %s\n",
            a->command->name, a->perspective);
    return false;
}

const char *
ns_cli_perspective_name(const struct ns_model *m, long view)
{
    return view == NS_ALL_PAYERS ? "all payers" : m->perspectives[view].name;
}

char *
ns_cli_beside_model(const char *const *files, size_t n_files,
                    const char *name, const char *builtin)
{
    if (n_files == 0)
        return strdup(builtin);
    const char *slash = strrchr(files[0], '/');
    size_t dir = slash ? (size_t)(slash - files[0]) + 1 : 0;
    char *path = malloc(dir + strlen(name) + 1);
    if (path) {
        memcpy(path, files[0], dir);
        strcpy(path + dir, name);
    }
    return path;
}

bool
ns_cli_ensure_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return true;
        fprintf(stderr, "netsave: %s exists and is not a directory\n", dir);
        return false;
    }
    char *path = strdup(dir);
    if (!path) {
        fprintf(stderr, "netsave: out of memory\n");
        return false;
    }
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

bool
ns_cli_params_spared(const struct ns_cli_args *a,
                     const struct ns_params *params)
{
    struct ns_cli_outputs out = {a->output, a->csv_dir};
    return ns_cli_outputs_spare_params(&out, params);
}

int
ns_cli_model_build(const struct ns_cli_args *a, const char *const *files,
                   size_t n_files, bool use_default,
                   struct ns_params **params, struct ns_population **pop,
                   struct ns_diags *diags)
{
    struct ns_model_source src = {files,
                                  n_files,
                                  ns_default_model_files,
                                  ns_default_model_n_files,
                                  a->sets.items,
                                  a->sets.n,
                                  use_default};
    enum ns_status st = ns_params_build(&src, params, pop, diags);
    if (st == NS_ENOMEM) {
        fprintf(stderr, "netsave: out of memory\n");
        return NS_EXIT_FAILURE;
    }
    if (st != NS_OK) {
        ns_diags_sort(diags);
        ns_cli_print_diags(diags);
        return NS_EXIT_BAD_INPUT;
    }
    /* --wtp stands for the model's [model] wtp in every subgroup. */
    for (size_t g = 0; a->given[NS_OPT_WTP] && g < (*pop)->n_groups; g++)
        (*pop)->models[g]->wtp = a->wtp;
    return ns_cli_params_spared(a, *params) ? NS_EXIT_OK : NS_EXIT_BAD_INPUT;
}

int
ns_cli_model_load(const struct ns_cli_args *a, struct ns_cli_model *m)
{
    *m = (struct ns_cli_model){0};
    int rc = ns_cli_model_build(a, a->files.items, a->files.n, false,
                                &m->params, &m->pop, &m->diags);
    if (rc != NS_EXIT_OK)
        return rc;
    enum ns_status st = ns_population_run(m->pop, &m->diags);
    if (st == NS_ENOMEM) {
        fprintf(stderr, "netsave: out of memory\n");
        return NS_EXIT_FAILURE;
    }
    if (st != NS_OK) {
        ns_diags_sort(&m->diags);
        ns_cli_print_diags(&m->diags);
        return NS_EXIT_BAD_INPUT;
    }
    return NS_EXIT_OK;
}

static double
seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Whether compiling pays for 'runs' runs of the population: their
 * interpreted time, estimated from one run timed now (a PSA's lanes run
 * a draw about six times faster than a run alone), against
 * NS_JIT_PAYBACK times the compilation's. Either way the results are the
 * same; only the time differs. */
static bool
compile_pays(struct ns_population *pop, unsigned uses, double runs)
{
    struct ns_diags diags = {0};
    double t0 = seconds_now();
    enum ns_status st = ns_population_run(pop, &diags);
    double one = seconds_now() - t0;
    ns_diags_clear(&diags);
    if (st != NS_OK)
        return false;
    double work = runs * one / (uses == NS_JIT_FOR_LANES ? 6.0 : 1.0);
    double payback =
        uses == NS_JIT_FOR_LANES ? NS_JIT_PAYBACK_LANES : NS_JIT_PAYBACK;
    return work >= payback * ns_jit_estimate_seconds(pop->models,
                                                     pop->n_groups, uses);
}

void
ns_cli_compile_native(struct ns_population *pop, unsigned uses, double runs,
                      const atomic_int *cancel)
{
    /* NS_JIT=0: the interpreter; NS_JIT=1: compile whatever the size. */
    const char *env = getenv("NS_JIT");
    if (env && strcmp(env, "0") == 0)
        return;
    if (!(env && strcmp(env, "1") == 0) && ns_jit_built() &&
        !compile_pays(pop, uses, runs))
        return;
    struct ns_jit_options opt = {uses, getenv("NS_JIT_ISA"), cancel};
    if (opt.isa && !*opt.isa)
        opt.isa = NULL;
    char why[256];
    struct ns_jit_report rep;
    enum ns_status st = ns_models_jit(pop->models, pop->n_groups, &opt, &rep,
                                      why, sizeof why);
    if (st == NS_ENOMEM)
        snprintf(why, sizeof why, "out of memory");
    if (st != NS_OK && !(cancel && atomic_load(cancel)))
        fprintf(stderr, "netsave: running interpreted: %s\n", why);
    else if (st == NS_OK && getenv("NS_JIT_VERBOSE"))
        fprintf(stderr,
                "netsave: compiled %zu expression programs and %zu "
                "functions for %s in %.3f s (%.3f s of processor time, "
                "%zu %s)\n",
                rep.n_programs, rep.n_functions, rep.isa, rep.seconds,
                rep.cpu_seconds, rep.n_processes,
                rep.n_processes == 1 ? "process" : "processes at once");
}

int
ns_cli_model_load_native(const struct ns_cli_args *a, struct ns_cli_model *m,
                         unsigned uses, double runs)
{
    int rc = ns_cli_model_load(a, m);
    if (rc == NS_EXIT_OK)
        ns_cli_compile_native(m->pop, uses, runs, NULL);
    return rc;
}

void
ns_cli_model_clear(struct ns_cli_model *m)
{
    ns_population_free(m->pop);
    ns_params_free(m->params);
    ns_diags_clear(&m->diags);
    *m = (struct ns_cli_model){0};
}

bool
ns_cli_verify(const struct ns_population *pop, struct ns_checks *checks,
              struct ns_diags *diags)
{
    enum ns_status st = ns_verify_population(pop, checks, diags);
    if (st == NS_ENOMEM) {
        fprintf(stderr, "netsave: out of memory\n");
        return false;
    }
    if (st != NS_OK)
        ns_cli_print_diags(diags);
    bool ok = st == NS_OK && ns_checks_all_passed(checks);
    for (size_t i = 0; i < checks->n; i++) {
        const struct ns_check *k = &checks->items[i];
        if (!k->passed)
            fprintf(stderr, "netsave: verification failed: %s%s%s: %s\n",
                    k->group, k->group[0] ? ", " : "", k->name, k->detail);
    }
    return ok;
}

char *
ns_cli_command_line(const struct ns_cli_args *a)
{
    size_t n = 1;
    for (int i = 0; i < a->argc; i++)
        n += strlen(a->argv[i]) + 1;
    char *s = malloc(n);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0; i < a->argc; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, a->argv[i]);
    }
    return s;
}

static int
write_csv(const struct ns_cli_args *a, const struct ns_population *pop,
          const struct ns_checks *checks,
          const struct ns_attrition_table *attrition)
{
    char err[512];
    if (!ns_cli_ensure_dir(a->csv_dir))
        return NS_EXIT_FAILURE;
    if (ns_csv_write_population(a->csv_dir, pop, a->set,
                                err, sizeof err) != NS_OK ||
        ns_csv_write_checks(a->csv_dir, checks, a->set,
                            err, sizeof err) != NS_OK ||
        (attrition && ns_csv_write_attrition(a->csv_dir, pop->models[0],
                                             attrition, a->set, err,
                                             sizeof err) != NS_OK)) {
        fprintf(stderr, "netsave: %s\n", err);
        return NS_EXIT_FAILURE;
    }
    return NS_EXIT_OK;
}

/* The inputs' SHA-256 hashes as hex text, for the workbook's About
 * sheet; NULL without memory. */
static char **
hashes_hex(const struct ns_params *params)
{
    char **hex = calloc(params->n_files + 1, sizeof *hex);
    for (size_t i = 0; hex && i < params->n_files; i++) {
        hex[i] = malloc(65);
        if (!hex[i]) {
            for (size_t j = 0; j < i; j++)
                free(hex[j]);
            free(hex);
            return NULL;
        }
        for (size_t b = 0; b < 32; b++)
            snprintf(hex[i] + 2 * b, 3, "%02x", params->hashes[i][b]);
    }
    return hex;
}

/* The workbook: live with --formulas, unless the model has something
 * without a faithful formula, which one line names; then, and without
 * --formulas, the static one. */
static enum ns_status
write_workbook(const struct ns_cli_args *a, const struct ns_population *pop,
               const struct ns_run_info *info, char *err, size_t err_size)
{
    if (a->formulas) {
        const struct ns_model *m = pop->models[0];
        double *starts =
            calloc(m->n_strategies * ns_ledger_n_years(m) + 1, sizeof *starts);
        if (!starts) {
            snprintf(err, err_size, "out of memory");
            return NS_ENOMEM;
        }
        struct ns_live_area area;
        ns_live_default_area(m, pop->pooled, starts, &area);
        enum ns_status st =
            ns_xlsx_write_live(a->output, pop, &area, info, err, err_size);
        free(starts);
        if (st != NS_EPARAM)
            return st;
        fprintf(stderr,
                "netsave: the workbook is static (no formulas): %s\n", err);
    }
    return ns_xlsx_write_population(a->output, pop, info, err, err_size);
}

int
ns_cli_write_outputs(const struct ns_cli_args *a,
                     const struct ns_params *params,
                     const struct ns_population *pop,
                     const struct ns_checks *checks,
                     const struct ns_run_info *extra, bool workbook_only)
{
    const struct ns_attrition_table *attrition =
        extra ? extra->attrition : NULL;
    if (a->csv_dir && !workbook_only &&
        write_csv(a, pop, checks, attrition) != NS_EXIT_OK)
        return NS_EXIT_FAILURE;
    if (!a->output)
        return ns_cli_commit_outputs(a);
    time_t now = time(NULL);
    char *cmd = ns_cli_command_line(a);
    char **hex = hashes_hex(params);
    if (!cmd || !hex) {
        free(cmd);
        free(hex);
        fprintf(stderr, "netsave: out of memory\n");
        return NS_EXIT_FAILURE;
    }
    /* The command's own sheets come from extra; what every run records
     * is filled in here. */
    struct ns_run_info info = extra ? *extra : (struct ns_run_info){0};
    info.version = NS_VERSION;
    info.command_line = cmd;
    info.run_time = &now;
    info.input_files = (const char *const *)params->files;
    info.input_hashes = (const char *const *)hex;
    info.n_inputs = params->n_files;
    info.checks = checks;
    info.attrition = attrition;
    info.set = a->set;
    char err[512];
    int rc = NS_EXIT_OK;
    if (write_workbook(a, pop, &info, err, sizeof err) != NS_OK) {
        fprintf(stderr, "netsave: %s\n", err);
        rc = NS_EXIT_FAILURE;
    }
    for (size_t i = 0; i < params->n_files; i++)
        free(hex[i]);
    free(hex);
    free(cmd);
    /* Every file is written: validate goes on to fail on a missed
     * target, but its outputs stand. */
    return rc == NS_EXIT_OK ? ns_cli_commit_outputs(a) : rc;
}

int
ns_cli_commit_outputs(const struct ns_cli_args *a)
{
    char err[512];
    if (ns_atomic_set_commit(a->set, err, sizeof err) != NS_OK) {
        fprintf(stderr, "netsave: %s\n", err);
        return NS_EXIT_FAILURE;
    }
    return NS_EXIT_OK;
}

int
ns_cli_write_base_workbook(const struct ns_cli_args *a,
                           const struct ns_params *params,
                           const struct ns_population *pop,
                           const struct ns_run_info *extra,
                           struct ns_diags *diags)
{
    struct ns_checks checks = {0};
    int rc = ns_cli_verify(pop, &checks, diags)
                 ? ns_cli_write_outputs(a, params, pop, &checks, extra, true)
                 : NS_EXIT_FAILURE;
    ns_checks_clear(&checks);
    return rc;
}

int
ns_cli_failed(const char *what, enum ns_status st,
              const struct ns_diags *diags, enum ns_status bad_input_too)
{
    ns_cli_print_diags(diags);
    if (st == NS_EPARAM)
        return NS_EXIT_BAD_INPUT;
    fprintf(stderr, "netsave %s: %s\n", what, ns_strerror(st));
    return st == bad_input_too ? NS_EXIT_BAD_INPUT : NS_EXIT_FAILURE;
}

/* netsave calibrate: fit the free parameters, write the overlay. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"
#include "model/jit.h"
#include "model/analysis/calibrate.h"

static void
show_progress(void *ctx, size_t start, size_t iteration, double objective)
{
    const struct ns_cli_args *a = ctx;
    if (iteration % 20 == 0)
        fprintf(stderr, "\rstart %zu of %lu, iteration %zu: %.6g   ",
                start + 1, a->starts, iteration, objective);
}

static void
print_fit(const struct ns_model *m, const struct ns_calibration *cal)
{
    const struct ns_calibration_result *fit = &cal->fit;
    printf("calibrated %zu parameters to %zu targets: objective %.6g "
           "(was %.6g), %zu model runs\n",
           m->n_free_params, fit->n_targets_used, fit->objective,
           fit->start_objective, fit->n_evaluations);
    if (fit->n_holdout)
        printf("%zu holdout targets left out (netsave validate reports "
               "them)\n",
               fit->n_holdout);
    for (size_t i = 0; i < m->n_free_params; i++)
        printf("  %s = %.6g\n", m->params[m->free_params[i].param].name,
               fit->fitted[i]);
}

static int
write_overlay(const struct ns_cli_args *a, const struct ns_model *m,
              const struct ns_calibration *cal)
{
    char *cmd = ns_cli_command_line(a);
    struct ns_overlay_info info = {NS_VERSION, cmd, a->starts, a->seed};
    char err[512];
    enum ns_status st = cmd ? ns_overlay_write_calibration(a->output, m, cal,
                                                           &info, err,
                                                           sizeof err)
                            : NS_ENOMEM;
    free(cmd);
    if (st == NS_OK)
        return NS_EXIT_OK;
    fprintf(stderr, "netsave: %s\n", st == NS_ENOMEM ? "out of memory" : err);
    return NS_EXIT_FAILURE;
}

int
ns_cli_calibrate(const struct ns_cli_args *a)
{
    if (!a->output) {
        ns_cli_print_help(a->command, stderr);
        return NS_EXIT_BAD_INPUT;
    }
    struct ns_cli_model m;
    int rc = ns_cli_model_load_native(a, &m, NS_JIT_FOR_ONE, NS_CLI_RUNS_CALIBRATE_START * (double)a->starts);
    if (rc != NS_EXIT_OK) {
        ns_cli_model_clear(&m);
        return rc;
    }
    const struct ns_model *model = m.pop->models[0];
    struct ns_calibration_options opt = {
        .all_targets = a->all_targets,
        .n_starts = a->starts,
        .seed = a->seed,
        .max_iterations = NS_CALIBRATE_MAX_ITERATIONS,
        .size_tolerance = NS_CALIBRATE_SIZE_TOLERANCE,
        .progress = isatty(STDERR_FILENO) ? show_progress : NULL,
        .progress_ctx = (void *)a,
    };
    struct ns_calibration *cal = NULL;
    enum ns_status st = ns_calibration_run(m.pop, &opt, &cal, &m.diags);
    if (opt.progress)
        fputc('\n', stderr);
    if (st != NS_OK) {
        rc = ns_cli_failed("calibrate", st, &m.diags, NS_EPARAM);
    } else {
        print_fit(model, cal);
        rc = write_overlay(a, model, cal);
    }
    ns_calibration_free(cal);
    ns_cli_model_clear(&m);
    return rc;
}

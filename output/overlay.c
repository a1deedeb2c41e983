/* netsave: the calibrated overlay, an INI file (see output.h). */
#include <stdio.h>

#include "output/atomic.h"
#include "output/output.h"

static void
write_method(FILE *fp, const struct ns_model *m,
             const struct ns_overlay_info *info,
             const struct ns_calibration *cal)
{
    const struct ns_calibration_result *fit = &cal->fit;
    fprintf(fp, "; Calibrated by netsave %s: %s\n", info->version,
            info->command_line ? info->command_line : "");
    fprintf(fp, "; Model: %s\n", m->name);
    fprintf(fp,
            "; Method: GSL Nelder-Mead simplex (nmsimplex2) on logit-"
            "transformed parameters within their bounds, %zu starting "
            "points (the model's values, then random from seed %lu).\n",
            info->n_starts, info->seed);
    fprintf(fp,
            "; Objective: sum over %zu targets of ((predicted - observed) / "
            "tolerance)^2: %.6g at the model's values, %.6g fitted (start "
            "%zu, %s), %zu model runs.\n",
            fit->n_targets_used, fit->start_objective, fit->objective,
            fit->best_start + 1,
            fit->converged ? "converged" : "iteration limit reached",
            fit->n_evaluations);
    if (m->lost_toward_intake > 0.0)
        fprintf(fp, "; Targets with followed_up below 1 were fitted to their "
                    "whole sample's value (observed -> whole), those lost "
                    "to follow-up taken %g of the way back to intake "
                    "([validation] lost_toward_intake).\n",
                m->lost_toward_intake);
}

static void
write_fit(FILE *fp, const struct ns_model *m, const struct ns_calibration *cal)
{
    fprintf(fp, "; Fit per fit target (years, arms, measure: observed, "
                "predicted, tolerance):\n");
    for (size_t t = 0; t < m->n_targets; t++) {
        const struct ns_target_info *ti = &m->targets[t];
        const struct ns_target_result *res = &cal->targets[t];
        if (ti->role == NS_ROLE_HOLDOUT)
            continue;
        fprintf(fp, ";   %g, %s, %s: %.4f", ti->time_years, ti->arms,
                m->measures[ti->measure].name, ti->observed);
        if (res->whole < ti->observed || res->whole > ti->observed)
            fprintf(fp, " -> %.4f", res->whole);
        fprintf(fp, ", %.4f, %.4f %s (grade %c)\n", res->predicted,
                ti->tolerance, res->within ? "within" : "OUTSIDE", ti->grade);
    }
    if (cal->fit.n_holdout)
        fprintf(fp,
                "; %zu holdout targets were neither fitted nor looked at "
                "(netsave validate compares the fitted model with them).\n",
                cal->fit.n_holdout);
}

enum ns_status
ns_overlay_write_calibration(const char *path, const struct ns_model *m,
                             const struct ns_calibration *cal,
                             const struct ns_overlay_info *info, char *err,
                             size_t err_size)
{
    struct ns_atomic a = {0};
    enum ns_status st = ns_atomic_begin(&a, path, 1, err, err_size);
    if (st != NS_OK)
        return st;
    FILE *fp = a.fp;
    write_method(fp, m, info, cal);
    write_fit(fp, m, cal);
    fprintf(fp, "\n[parameters]\n");
    for (size_t i = 0; i < m->n_free_params; i++) {
        const struct ns_free_param *f = &m->free_params[i];
        fprintf(fp, "%s = %.10g ; was %.10g; bounds %g to %g\n",
                m->params[f->param].name, cal->fit.fitted[i], cal->before[i],
                f->low, f->high);
    }
    if (ferror(fp)) {
        ns_atomic_abort(&a);
        snprintf(err, err_size, "cannot write %s", path);
        return NS_EIO;
    }
    return ns_atomic_commit(&a, err, err_size);
}

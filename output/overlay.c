/* netsave: the calibrated overlay, an INI file (see output.h). */
#include <stdio.h>
#include <string.h>

#include "model/ledger.h"
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

/* Commits an overlay written to a, or removes it when a write failed. */
static enum ns_status
finish(struct ns_atomic *a, const char *path, char *err, size_t err_size)
{
    if (ferror(a->fp)) {
        ns_atomic_abort(a);
        snprintf(err, err_size, "cannot write %s", path);
        return NS_EIO;
    }
    return ns_atomic_commit(a, err, err_size);
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
    return finish(&a, path, err, err_size);
}

/* Writes s, or as many of its first max bytes as end on a whole UTF-8
 * character: a template comment line must stay within the INI reader's
 * line limit and be UTF-8, or the template would not load. */
static void
put_cut(FILE *fp, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    fwrite(s, 1, n, fp);
}

/* The comment lines above [area]: what the file is and how to run it. */
static void
write_area_intro(FILE *fp, const struct ns_model *m,
                 const struct ns_area_template *t, const char *path)
{
    fprintf(fp, "; netsave area: clients starting treatment in one area, "
                "year by year (docs/model-format.md, [area]).\n"
                "; Written by netsave %s init --area for the model: ",
            t->version);
    put_cut(fp, m->name, 100);
    fprintf(fp, "\n; Fill in the starts, then run it on top of the model's "
                "files:\n;   netsave run ");
    put_cut(fp, t->model_files, 90);
    fputc(' ', fp);
    put_cut(fp, path, 90);
    if (t->builtin_dir) {
        fprintf(fp, "\n;   (netsave init ");
        put_cut(fp, t->builtin_dir, 120);
        fprintf(fp, " writes the built-in model's files there)");
    }
    fprintf(fp, "\n; netsave run then prints the area's totals per year and "
                "perspective, and writes them to area.csv and\n; "
                "area_payers.csv (--csv) and to the Area sheet (-o).\n\n");
}

enum ns_status
ns_overlay_write_area(const char *path, const struct ns_model *m,
                      const struct ns_area_template *t, char *err,
                      size_t err_size)
{
    struct ns_atomic a = {0};
    enum ns_status st = ns_atomic_begin(&a, path, 1, err, err_size);
    if (st != NS_OK)
        return st;
    FILE *fp = a.fp;
    size_t horizon = ns_ledger_n_years(m);
    write_area_intro(fp, m, t, path);
    fprintf(fp, "[area]\n; The area's name, shown in the printed table, "
                "area.csv and the Area sheet.\nname = %s\n", t->name);
    fprintf(fp, "; Years in which clients start (a whole number from 1 to "
                "1000). Each year's clients start at its\n; beginning and "
                "are followed for the model's %zu year%s, so the area's "
                "totals run to year years + %zu.\nyears = %zu\n",
            horizon, horizon == 1 ? "" : "s", horizon - 1, horizon);
    fprintf(fp, "; Clients starting each treated strategy: one number for "
                "every year (e.g. 300), or one per year\n; separated by "
                "commas, as many as years (e.g. 300, 320, 340). A strategy "
                "left out starts none;\n; comparators (strategies without "
                "a comparator of their own) take none.\n");
    for (size_t k = 0; k < m->n_strategies; k++) {
        if (m->comparator[k] < 0)
            continue;
        fprintf(fp, "; ");
        put_cut(fp, m->strategies[k].label ? m->strategies[k].label
                                           : m->strategies[k].name,
                100);
        fprintf(fp, ", compared with %s\n%s = 0\n",
                m->strategies[m->comparator[k]].name, m->strategies[k].name);
    }
    return finish(&a, path, err, err_size);
}

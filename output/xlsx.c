/* netsave: results as an xlsx workbook for commissioners.
 *
 * The workbook of one model (ns_xlsx_write_results) has these sheets, in
 * order: "Summary" (discounted totals per strategy, incremental results
 * and a chart of the cost outcome), "Values" (each stream's totals and
 * differences from the comparator), one "Trace <strategy>" sheet per
 * strategy (the cohort over time, with a line chart) and "About" (what
 * was run, when, and from which files); a population's sheets are listed
 * in output.h. The model never rounds: full doubles go into the cells and
 * number formats do the rounding on screen.
 *
 * libxlsxwriter (Debian 12 ships 1.1.4) prints warnings on stderr by
 * itself when given input Excel would reject, so everything it could
 * object to is checked here first: sheet names are made valid and unique
 * before any sheet is added, sizes are checked against Excel's grid,
 * non-finite numbers are written as text, and charts always have series.
 * Every lxw_error is checked; the first one stops the writing and becomes
 * NS_EOUTPUT. The workbook is written to a temporary file beside the
 * destination (output/atomic.h), with libxlsxwriter's own scratch files in
 * that same folder, and renamed over the destination only when complete.
 *
 * With the document's creation time taken from ns_run_info.run_time, the
 * same results and run information give a byte-identical file.
 *
 * This file opens, fills and closes the workbook; the sheets are written
 * by xlsx_results.c, xlsx_population.c and xlsx_analysis.c on the
 * scaffolding of xlsx_book.c. */
#include "output/output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/area.h"
#include "model/ledger.h"
#include "output/atomic.h"
#include "output/xlsx_book.h"

/* Sets the document properties. The creation time is the run's, so that
 * the file depends only on the results and the run information. */
static void
set_properties(struct book *b, const struct ns_run_info *info)
{
    char title[] = "netsave results";
    char comments[] = "Written by netsave; see the About sheet.";
    lxw_doc_properties props = {.title = title, .comments = comments};
    if (info && info->run_time)
        props.created = *info->run_time;
    if (!b->error)
        xl_note(b, workbook_set_properties(b->wb, &props));
}

/* Checks that every sheet fits Excel's grid, before libxlsxwriter would
 * refuse a cell half-way. Returns a reason, or NULL. */
static const char *
check_grid(const struct ns_model *m, const struct ns_results *r)
{
    if (r->n_points + 1 > LXW_ROW_MAX)
        return "the trace has more time points than an Excel sheet has rows";
    if (r->n_strategies * r->n_streams + 1 > LXW_ROW_MAX)
        return "there are more strategies and streams than an Excel sheet "
               "has rows";
    if (r->n_states + 1 > LXW_COL_MAX || m->n_outcomes + 6 > LXW_COL_MAX)
        return "there are more states or outcomes than an Excel sheet has "
               "columns";
    return NULL;
}

/* Whether the file at path ends with a zip end-of-central-directory
 * record, as every workbook libxlsxwriter completes does (it writes no
 * archive comment). libxlsxwriter has been seen to report success on a
 * truncated workbook when its scratch files hit a full disk; a workbook
 * cut short ends elsewhere, and is refused rather than put in place. */
static bool
ends_as_a_zip(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return false;
    unsigned char eocd[22];
    bool ok = fseek(fp, -(long)sizeof eocd, SEEK_END) == 0 &&
              fread(eocd, 1, sizeof eocd, fp) == sizeof eocd &&
              memcmp(eocd, "PK\x05\x06", 4) == 0;
    fclose(fp);
    return ok;
}

/* Writes the workbook at path atomically with fill, from b's model and
 * results (b->wb is set here). See ns_xlsx_write_results for the rest. */
enum ns_status
xl_write_book(const char *path, struct book *b, xl_fill_fn *fill,
           const struct ns_run_info *info, char *err, size_t err_size)
{
    /* In a set (info->set), the workbook is only begun and written here:
     * the set renames it with the run's other files, or removes it. */
    struct ns_atomic own, *fa = &own;
    struct ns_atomic_set *set = info ? info->set : NULL;
    enum ns_status st =
        set ? ns_atomic_set_begin(set, path, 0, &fa, err, err_size)
            : ns_atomic_begin(&own, path, 0, err, err_size);
    if (st != NS_OK)
        return st;

    /* libxlsxwriter's scratch files go beside the destination too: the
     * destination's folder is known to be writable, /tmp may be small. */
    lxw_workbook_options options = {
        .constant_memory = LXW_FALSE,
        .tmpdir = fa->dir,
        .use_zip64 = LXW_FALSE};
    b->wb = workbook_new_opt(fa->tmp_path, &options);
    if (!b->wb) {
        b->error = LXW_ERROR_MEMORY_MALLOC_FAILED;
    } else {
        xl_add_formats(b);
        set_properties(b, info);
        fill(b, info);
        if (b->error)
            /* Free without writing: a partial workbook is of no use, and
             * workbook_close() would spend time zipping it. */
            lxw_workbook_free(b->wb);
        else
            b->error = workbook_close(b->wb);
    }
    if (b->error) {
        snprintf(err, err_size, "cannot write %s: %s", path,
                 lxw_strerror(b->error));
        if (set)
            ns_atomic_set_drop(set, fa);
        else
            ns_atomic_abort(&own);
        return NS_EOUTPUT;
    }
    if (!ends_as_a_zip(fa->tmp_path)) {
        snprintf(err, err_size,
                 "cannot write %s: the workbook came out incomplete (is the "
                 "disk full?)",
                 path);
        if (set)
            ns_atomic_set_drop(set, fa);
        else
            ns_atomic_abort(&own);
        return NS_EOUTPUT;
    }
    return set ? NS_OK : ns_atomic_commit(&own, err, err_size);
}

/* The single-model workbook's sheets. */
static void
fill_results(struct book *b, const struct ns_run_info *info)
{
    xl_write_summary(b);
    xl_write_values(b);
    for (size_t k = 0; k < b->results->n_strategies; k++)
        xl_write_trace(b, k);
    xl_write_about(b, info);
}

enum ns_status
ns_xlsx_write_results(const char *path, const struct ns_model *model,
                      const struct ns_results *results,
                      const struct ns_run_info *info, char *err,
                      size_t err_size)
{
    if (!ns_results_match(model, results)) {
        snprintf(err, err_size,
                 "cannot write %s: results do not match the model", path);
        return NS_EOUTPUT;
    }
    const char *too_big = check_grid(model, results);
    if (too_big) {
        snprintf(err, err_size, "cannot write %s: %s", path, too_big);
        return NS_EOUTPUT;
    }
    struct book b = {.model = model, .results = results};
    return xl_write_book(path, &b, fill_results, info, err, err_size);
}

/* Checks that every population sheet fits Excel's grid. Returns a reason,
 * or NULL. */
static const char *
check_population_grid(const struct ns_population *pop)
{
    const struct ns_model *m = pop->models[0];
    const char *why = check_grid(m, pop->pooled);
    if (why)
        return why;
    size_t rows = m->n_strategies * (pop->n_groups + 1);
    if (m->n_strategies * m->n_outcomes > rows)
        rows = m->n_strategies * m->n_outcomes;
    if (m->n_params > rows)
        rows = m->n_params;
    if (ns_ledger_n_years(m) > rows)
        rows = ns_ledger_n_years(m);
    if (ns_area_n_years(m) > rows)
        rows = ns_area_n_years(m);
    if (rows + m->n_perspectives + 2 * FIRST_ROW + 10 > LXW_ROW_MAX)
        return "there are more rows of results than an Excel sheet has";
    if (m->n_payers + 4 > LXW_COL_MAX || m->n_strategies + 1 > LXW_COL_MAX ||
        (m->area && 2 * m->n_strategies + 6 > LXW_COL_MAX))
        return "there are more payers or strategies than an Excel sheet has "
               "columns";
    return NULL;
}

/* The population workbook's sheets. */
static void
fill_population(struct book *b, const struct ns_run_info *info)
{
    xl_add_population_formats(b);
    xl_write_headline(b);
    xl_write_who_pays(b);
    xl_write_year_by_year(b);
    xl_write_area_sheet(b);
    xl_write_outcomes_sheet(b);
    xl_write_frontier_sheet(b);
    xl_write_subgroups(b);
    for (size_t k = 0; k < b->results->n_strategies; k++)
        xl_write_trace(b, k);
    xl_write_validation_sheet(b);
    xl_write_attrition_sheet(b, info);
    xl_write_psa_sheet(b, info);
    xl_write_ceaf_sheet(b, info);
    xl_write_evppi_sheet(b, info);
    xl_write_tornado_sheet(b, info);
    xl_write_scenarios_sheet(b, info);
    xl_write_areas_sheet(b, info);
    xl_write_anchors_sheet(b, info);
    xl_write_benchmark_sheets(b, info);
    xl_write_checks_sheet(b, info);
    xl_write_inputs(b);
    xl_write_about(b, info);
}

enum ns_status
ns_xlsx_write_population(const char *path, const struct ns_population *pop,
                         const struct ns_run_info *info, char *err,
                         size_t err_size)
{
    const char *why = ns_population_check(pop);
    if (!why)
        why = check_population_grid(pop);
    if (why) {
        snprintf(err, err_size, "cannot write %s: %s", path, why);
        return NS_EOUTPUT;
    }
    const struct ns_model *m = pop->models[0];
    struct book b = {
        .model = m,
        .results = pop->pooled,
        .pop = pop,
        .headline = m->n_perspectives > 0 ? 0 : NS_ALL_PAYERS,
        .years = calloc(ns_ledger_n_years(m), sizeof(double)),
    };
    if (!b.years) {
        snprintf(err, err_size, "cannot write %s: %s", path, strerror(ENOMEM));
        return NS_EOUTPUT;
    }
    enum ns_status st =
        xl_write_book(path, &b, fill_population, info, err, err_size);
    free(b.years);
    return st;
}

/* netsave: results to files for people and programs.
 *
 * CSV for economists (tidy, one observation per row, column names are a
 * contract documented in docs/outputs.md) and an xlsx workbook for
 * commissioners. Every file is written atomically (output/atomic.h).
 *
 * Each writer takes a set (struct ns_atomic_set *set; for the workbook,
 * ns_run_info's set): NULL writes its files on their own, each renamed
 * into place when complete; a set only begins and writes them, and the
 * caller's ns_atomic_set_commit renames all of a run's files together
 * once every one is complete, or ns_atomic_set_abort removes them all,
 * so a run that fails part-way replaces none of its destinations. */
#ifndef NS_OUTPUT_OUTPUT_H
#define NS_OUTPUT_OUTPUT_H

#include <stddef.h>
#include <time.h>

#include "model/analysis/anchors.h"
#include "model/analysis/attrition.h"
#include "model/analysis/benchmark.h"
#include "model/analysis/calibrate.h"
#include "model/analysis/compare.h"
#include "model/model.h"
#include "model/netsave.h"
#include "model/results.h"
#include "output/atomic.h"

/* An anchor's ratio as people read it, the same on screen and in the
 * workbook: "2.31:1", or "not computable: " and why. */
void ns_anchor_ratio_text(const struct ns_anchor_figure *f, char *out,
                          size_t n);

struct ns_psa;

/* Writes the probabilistic analysis into dir, atomically, with rows for
 * each strategy that has a comparator:
 *   psa_summary.csv: strategy, comparator, perspective, measure, mean,
 *     p2_5, p97_5, prob_positive. Measures: net_savings, savings,
 *     treatment_cost (over the perspective), savings_<payer> (each payer;
 *     perspective all_payers), delta_cost and delta_health (the ICER's
 *     outcomes; all_payers; left out without a health outcome), and
 *     evpi_per_person (mean only: the expected value of perfect
 *     information about treating or not, per person) and evpi_population
 *     (times population, when above 0).
 *   ceac.csv: strategy, comparator, wtp, prob_cost_effective, at
 *     willingness to pay 0, wtp_step, 2 wtp_step, ... up to wtp_max per
 *     unit of health (the model's [model] keys; ns_psa_ceac_points);
 *     prob_cost_effective is empty when no draw has both increments. Only
 *     the header when the model sets no grid or lacks a cost or health
 *     outcome.
 * Values are discounted. Returns NS_OK, NS_ENOMEM or NS_EIO with a reason. */
enum ns_status ns_csv_write_psa(const char *dir, const struct ns_model *model,
                                const struct ns_psa *psa, long perspective,
                                double population, struct ns_atomic_set *set,
                                char *err,
                                size_t err_size);

struct ns_evppi;

/* Writes evppi.csv into dir, atomically: strategy, comparator,
 * perspective, measure, wtp, kind, name, n_parameters, draws,
 * evppi_per_person, evppi_population, evpi_per_person. One row per
 * strategy with a comparator and subject (kind group, then parameter) on
 * net_savings (over the perspective; wtp empty), then, when the model has
 * a cost and a health outcome and an acceptability grid, on
 * net_monetary_benefit at each wtp of the grid (perspective all_payers).
 * evppi_population is evppi_per_person times population (empty when
 * population is 0); evpi_per_person is the EVPI over the same draws.
 * EVPPI is empty for a subject with too few draws for its regression.
 * Discounted. Returns NS_OK or NS_EIO with a reason. */
enum ns_status ns_csv_write_evppi(const char *dir,
                                  const struct ns_model *model,
                                  const struct ns_evppi *evppi,
                                  long perspective, double population,
                                  struct ns_atomic_set *set, char *err,
                                  size_t err_size);

/* psa_draws.csv, streamed while the draws run (an ns_psa_draws_fn can call
 * ns_csv_draws_write), so memory does not grow with it: draw, strategy,
 * net_savings, delta_cost, delta_health, then one column per uncertain
 * parameter (its sampled value); draws count from 1, with a row per
 * strategy that has a comparator. Written to a temporary file; commit
 * renames it into place, abort removes it, and either frees d. */
struct ns_csv_draws;
enum ns_status ns_csv_draws_begin(const char *dir,
                                  const struct ns_model *model,
                                  struct ns_csv_draws **out,
                                  struct ns_atomic_set *set, char *err,
                                  size_t err_size);
enum ns_status ns_csv_draws_write(struct ns_csv_draws *d,
                                  const struct ns_psa *psa, size_t first,
                                  size_t n, const double *params);
enum ns_status ns_csv_draws_commit(struct ns_csv_draws *d, char *err,
                                   size_t err_size);
void ns_csv_draws_abort(struct ns_csv_draws *d);

struct ns_tornado_bar;

/* Writes tornado.csv: strategy, comparator, perspective, rank, parameter,
 * low, high, base_net_savings, net_savings_low, net_savings_high, width,
 * benefit_cost_ratio_low, benefit_cost_ratio_high; one row per strategy
 * with a comparator and parameter, widest swing first (rank 1). With
 * by_payer (laid out as ns_dsa_one_way fills it), also
 * tornado_by_payer.csv: strategy, comparator, perspective, rank,
 * parameter, payer, savings_low, savings_high, width; one row per bar and
 * payer of the perspective, savings net of any treatment cost the payer
 * bears. */
enum ns_status ns_csv_write_tornado(const char *dir,
                                    const struct ns_model *model,
                                    long perspective,
                                    const struct ns_tornado_bar *bars,
                                    size_t n_bars, const double *base,
                                    const double *by_payer,
                                    struct ns_atomic_set *set, char *err,
                                    size_t err_size);

/* Writes two_way.csv: strategy, comparator, perspective, parameter_a,
 * value_a, parameter_b, value_b, net_savings (grid of n x n points). */
enum ns_status ns_csv_write_two_way(const char *dir,
                                    const struct ns_model *model,
                                    long perspective, size_t a, size_t b,
                                    size_t n, const double *net,
                                    struct ns_atomic_set *set, char *err,
                                    size_t err_size);

/* Writes area.csv and area_payers.csv (the columns `netsave run` writes
 * for a model with an [area]) into dir, every area's rows in turn: the
 * sweep of netsave areas. Each of areas[0..n) has a model with an area
 * and its pooled results. */
enum ns_status ns_csv_write_areas(const char *dir,
                                  const struct ns_scenario_result *areas,
                                  size_t n, struct ns_atomic_set *set,
                                  char *err, size_t err_size);

/* Writes scenarios.csv (scenario, strategy, comparator, perspective,
 * net_savings, benefit_cost_ratio, payback_year, base_net_savings,
 * difference) and scenario_changes.csv (scenario, change) into dir.
 * s[0] is the base. Net savings are discounted, per client, for the
 * base model's first perspective (all payers when it names none). */
enum ns_status ns_csv_write_scenarios(const char *dir,
                                      const struct ns_scenario_result *s,
                                      size_t n, struct ns_atomic_set *set,
                                      char *err, size_t err_size);

/* Writes anchors.csv (anchor, study, arms, benefits, cost_share,
 * netsave_ratio, published, published_text, savings, treatment_cost,
 * source, explanation, not_computable) and anchors_arms.csv (anchor,
 * strategy, comparator, savings, treatment_cost, ratio, weight,
 * not_computable) into dir: one row per anchor, then per anchor and arm.
 * Money is per client, discounted; a ratio that cannot be formed is
 * empty, and not_computable says why (empty for a ratio). */
enum ns_status ns_csv_write_anchors(const char *dir,
                                    const struct ns_anchor_report *a,
                                    size_t n, struct ns_atomic_set *set,
                                    char *err, size_t err_size);

struct ns_expansion;

/* Writes expansion.csv (strategy, places_funded, perspective, year,
 * places, starts, treatment_cost, savings, net_savings,
 * cumulative_net_savings; discounted) and expansion_payers.csv (strategy,
 * year, payer, savings) for each expansion e[i] of strategy[i] with the
 * places expression places[i]. */
enum ns_status ns_csv_write_expansion(const char *dir,
                                      const struct ns_model *model,
                                      long perspective,
                                      const struct ns_expansion *const *e,
                                      const size_t *strategy,
                                      const char *const *places, size_t n,
                                      struct ns_atomic_set *set,
                                      char *err, size_t err_size);

/* What the About sheet records about a run. Strings are borrowed. */
struct ns_run_info {
    const char *version;      /* netsave version */
    const char *command_line; /* as typed, arguments joined by spaces */
    const time_t *run_time;   /* when the run started, or NULL: not
                                 recorded. The About sheet shows it in
                                 local time (ISO 8601, with the offset);
                                 it is also the document's creation time */
    const char *const *input_files; /* files read, in order */
    const char *const *input_hashes; /* a hash of each, same order */
    size_t n_inputs;
    const struct ns_checks *checks; /* verification checks run, or NULL:
                                       written as a Checks sheet */
    const struct ns_attrition_table *attrition; /* or NULL: an Attrition
                                                    sheet when given */
    const struct ns_psa *psa;       /* or NULL: a PSA sheet (summary,
                                       histogram, CE plane, CEAC) */
    long psa_perspective;
    const struct ns_evppi *evppi;   /* or NULL: an EVPPI sheet (needs psa) */
    const struct ns_tornado_bar *tornado; /* or NULL: a Tornado sheet */
    size_t n_tornado_bars;          /* per strategy */
    const double *tornado_base;     /* [n_strategies] */
    const double *tornado_by_payer; /* or NULL; as ns_dsa_one_way fills it */
    const struct ns_scenario_result *scenarios; /* or NULL: a Scenarios
                                                   sheet (s[0] the base) */
    size_t n_scenarios;
    const struct ns_scenario_result *areas; /* or NULL: an Areas sheet
                                               (netsave areas) */
    size_t n_areas;
    const struct ns_benchmark *benchmark; /* or NULL: a Benchmark sheet and
                                             a funnel sheet per measure */
    const struct ns_services *services;   /* the benchmark's services */
    const struct ns_anchor_report *anchors; /* or NULL: an Anchors sheet
                                               (published studies beside
                                               the model) */
    size_t n_anchors;
    struct ns_atomic_set *set; /* or NULL: the workbook is one file of the
                                  run's set (output/atomic.h), renamed into
                                  place with the others by the caller's
                                  ns_atomic_set_commit; NULL: on its own */
};

/* Writes attrition.csv (strategy, comparator, perspective, assumption,
 * delta, net_savings) into dir, atomically: per strategy with a
 * comparator, the rows "as observed", "back at intake" and "worse by
 * delta" (delta empty but for the last), then, when sought, a "tipping
 * point" row with the delta found and net_savings 0 (both empty for
 * none). */
enum ns_status ns_csv_write_attrition(const char *dir,
                                      const struct ns_model *model,
                                      const struct ns_attrition_table *t,
                                      struct ns_atomic_set *set,
                                      char *err, size_t err_size);

struct ns_checks;

/* Writes checks.csv (group, check, passed, detail) into dir, atomically.
 * Returns NS_OK or NS_EIO with a reason in err. */
enum ns_status ns_csv_write_checks(const char *dir,
                                   const struct ns_checks *checks,
                                   struct ns_atomic_set *set,
                                   char *err, size_t err_size);

/* Writes trace.csv, values.csv, summary.csv and incremental.csv into dir,
 * which must exist. Returns NS_OK, NS_EOUTPUT when results were not made
 * for this model, or NS_EIO with a one-line reason in err naming the file;
 * files already completed stay, the failed one is not left half-written. */
enum ns_status ns_csv_write_results(const char *dir,
                                    const struct ns_model *model,
                                    const struct ns_results *results,
                                    struct ns_atomic_set *set,
                                    char *err, size_t err_size);

/* Writes the workbook at path. Returns NS_OK, or NS_EIO / NS_EOUTPUT with
 * a one-line reason in err; on failure any existing file at path is left
 * untouched and no temporary file remains. */
enum ns_status ns_xlsx_write_results(const char *path,
                                     const struct ns_model *model,
                                     const struct ns_results *results,
                                     const struct ns_run_info *info,
                                     char *err, size_t err_size);

/* The name of every file the CSV writers below write into their folder:
 * a command checks, before any work, that none of them in its --csv
 * folder is a file it reads. */
extern const char *const ns_csv_names[];
extern const size_t ns_csv_n_names;

/* The population versions write what the single-model versions write, for
 * the pooled results (so trace.csv, values.csv, summary.csv and
 * incremental.csv keep their columns), plus validation.csv (each target
 * against the model: time_years, arms, measure, note, observed,
 * predicted, difference, tolerance, within_tolerance, grade, binding,
 * source, role, subgroup, relative_to, period_years; header only without
 * targets) and the cost-benefit files and sheets driven by the ledger
 * (model/ledger.h), one row per strategy that has a comparator, per
 * subgroup when there are several and for the pooled population
 * (subgroup "all"), and per perspective (the model's, plus "all_payers"):
 *   net_savings.csv: strategy, comparator, subgroup, perspective,
 *     discounted, treatment_cost, savings, net_savings,
 *     benefit_cost_ratio, payback_year, net_savings_per_place_year,
 *     net_savings_for_cohort (net savings per client times the model's
 *     report_cohort; empty without one)
 *   payers.csv: strategy, comparator, subgroup, discounted, payer, savings
 *   net_savings_by_year.csv: strategy, comparator, subgroup, perspective,
 *     discounted, year, net_savings, cumulative_net_savings
 *   outcomes.csv: strategy, comparator, subgroup, outcome, total,
 *     comparator_total, difference (undiscounted; natural units)
 * The cost-benefit files are header only when the model names no cost
 * outcome (outcomes.csv excepted). payback_year is the first year (1, 2,
 * ...) from whose end the cumulative net savings of the row (discounted
 * or not) stay above 0 to the horizon, empty when there is none
 * (ns_ledger_payback); net_savings_per_place_year is empty without a
 * place outcome or extra places (ns_ledger_per_place_year).
 * The workbook adds, for commissioners: Summary (headline per strategy and
 * a chart), Who pays, who saves (per payer, with a chart), Year by year
 * (cumulative net savings chart), Outcomes (natural units), Subgroups
 * (when there are several), a Trace sheet per strategy (with a chart),
 * Validation (when the model has targets), the sheets of the analyses
 * info carries (Attrition, PSA, Tornado, Scenarios, Anchors, Checks),
 * Inputs (every parameter: value, unit, price year, source, grade, file
 * and line; grade U flagged as an assumption) and About. */
struct ns_population;
enum ns_status ns_csv_write_population(const char *dir,
                                       const struct ns_population *pop,
                                       struct ns_atomic_set *set,
                                       char *err, size_t err_size);
enum ns_status ns_xlsx_write_population(const char *path,
                                        const struct ns_population *pop,
                                        const struct ns_run_info *info,
                                        char *err, size_t err_size);

/* How a calibration was run, for the overlay's comments. */
struct ns_overlay_info {
    const char *version;      /* netsave version */
    const char *command_line; /* as typed */
    size_t n_starts;
    unsigned long seed;
};

/* Writes the calibrated overlay to path, atomically: the fitted values as
 * [parameters] (each with the value it replaces and its bounds), and how
 * they were obtained, with the fit to every fit target, as comments, so
 * `netsave run MODEL.ini path` runs the fitted model. Returns NS_OK, or
 * NS_EIO with a reason in err. */
enum ns_status ns_overlay_write_calibration(const char *path,
                                            const struct ns_model *m,
                                            const struct ns_calibration *cal,
                                            const struct ns_overlay_info *info,
                                            char *err, size_t err_size);

/* What the [area] template (netsave init --area) says beyond the model. */
struct ns_area_template {
    const char *version;     /* netsave version */
    const char *name;        /* the area's name, as the INI value */
    const char *model_files; /* the files to run it on top of, as typed */
    const char *builtin_dir; /* for the built-in model, the folder netsave
                                init writes its files to; else NULL */
};

/* Writes a commented [area] section to path, atomically: the area's
 * name, years = the model's horizon in whole years, and 0 clients
 * starting for every treated strategy (a strategy with a comparator),
 * with comments saying what each key means and how to run the file on
 * top of the model. Returns NS_OK, or NS_EIO with a reason in err. */
enum ns_status ns_overlay_write_area(const char *path,
                                     const struct ns_model *m,
                                     const struct ns_area_template *t,
                                     char *err, size_t err_size);

/* Writes benchmark.csv (service_id, service_name, period, modality,
 * measure, count, denominator, proportion, norm, limit_low_99_8,
 * limit_low_95, limit_high_95, limit_high_99_8, z, place, perspective,
 * net_savings_at_service, net_savings_at_norm, gain: one row per service
 * and measure it reports; the money on retention rows only, empty
 * elsewhere) and benchmark_groups.csv (modality, measure, norm,
 * threshold_weeks, services, overdispersion, phi, tau2, winsor: one row
 * per modality and measure) and benchmark_total.csv (perspective,
 * services_below, total_gain, draws, seed, mean, p2_5, p97_5,
 * prob_positive: one row; the draws' columns empty without them) into dir,
 * atomically. */
enum ns_status ns_csv_write_benchmark(const char *dir,
                                      const struct ns_model *model,
                                      const struct ns_services *services,
                                      const struct ns_benchmark *b,
                                      struct ns_atomic_set *set, char *err,
                                      size_t err_size);

/* "none", "multiplicative" or "additive". */
const char *ns_od_method_name(enum ns_od_method m);

#endif

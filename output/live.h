/* netsave: the live workbook: the model as formulas.
 *
 * ns_xlsx_write_live() writes a workbook in which every number the model
 * computes is a formula over named inputs, each carrying the engine's
 * value as its cached result (docs/outputs.md lists the sheets):
 *   Summary    net savings, savings per GBP 1, per client, per cohort and
 *              for the area, by perspective, with a chart of those cells;
 *   Your area  the area's name and its clients starting each strategy per
 *              year (input cells), the area's net savings per year, and
 *              each payer's savings;
 *   Inputs     every parameter as a named cell (input cells filled and
 *              unlocked; the sheet protected without a password);
 *   Tables     the look-up tables, read with INDEX/MATCH;
 *   Totals     each strategy's stream totals, pooled over subgroups;
 *   Payback    cumulative net savings by year and the payback year;
 *   one sheet per subgroup and strategy: parameters that differ there,
 *              then cycle by cycle the time, the counting weight, the
 *              discount factors, parameters that vary with time, the
 *              cohort trace (by tunnel slot where time in state is
 *              tracked), each transition's probability and each
 *              stream's value, undiscounted and discounted, with totals;
 *   About      what was run.
 * A model with something that has no faithful formula (a formula longer
 * than Excel's 8,192 characters, a table that differs between subgroups)
 * gets NS_EPARAM and one line in err naming it; the caller then writes the
 * static workbook. */
#ifndef NS_OUTPUT_LIVE_H
#define NS_OUTPUT_LIVE_H

#include <stddef.h>

#include "model/netsave.h"
#include "model/population.h"
#include "output/output.h"

/* The area a commissioner plans for: clients starting each strategy in
 * each year. A strategy with no comparator (a counterfactual) has no
 * starts. */
struct ns_live_area {
    const char *name;
    size_t n_years;
    const double *starts; /* [n_strategies * n_years], strategy-major */
};

/* The model's [area] (model/area.h; starts then points into it), or
 * when it has none: "Example area", every year of the
 * horizon (ns_ledger_n_years), each treated strategy starting the model's
 * report_cohort clients a year, or, when the model sets none, as many as
 * its cohort (cohort: the initial occupancy of strategy k summed, from
 * results). starts must hold n_strategies * ns_ledger_n_years(m) numbers. */
void ns_live_default_area(const struct ns_model *m,
                          const struct ns_results *results, double *starts,
                          struct ns_live_area *area);

enum ns_status ns_xlsx_write_live(const char *path,
                                  const struct ns_population *pop,
                                  const struct ns_live_area *area,
                                  const struct ns_run_info *info, char *err,
                                  size_t err_size);

#endif

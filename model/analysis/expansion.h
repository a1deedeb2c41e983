/* netsave: expansion and budget impact.
 *
 * Funding extra treatment places brings a new cohort of clients into
 * treatment every cycle. The model is linear in its cohort, so the cohort
 * entering at cycle c costs and saves exactly what the model's cohort
 * does, shifted by c cycles (when the model's parameters depend on time
 * since entry, as cohort models do): budget impact is a convolution of
 * the inflow with the per-client difference between a strategy and its
 * comparator at each time point, then discounted by calendar time.
 *
 * Places become starts through length of stay: a place filled for a year
 * treats 1 / (place-years per client) clients, the place-years per client
 * being the model's place outcome (strategy minus comparator). The
 * places funded may change over time: an expression of `time` (years). */
#ifndef NS_ANALYSIS_EXPANSION_H
#define NS_ANALYSIS_EXPANSION_H

#include <stddef.h>

#include "model/diag.h"
#include "model/model.h"
#include "model/netsave.h"
#include "model/results.h"

struct ns_expansion_year {
    double places;         /* extra places funded (mean over the year) */
    double starts;         /* clients starting treatment in the year */
    double treatment_cost; /* extra intervention spending (discounted) */
    double savings;        /* savings over the perspective (discounted) */
    double net_savings;    /* savings - treatment_cost */
    double cumulative;     /* net savings so far */
};

struct ns_expansion {
    size_t n_years;
    struct ns_expansion_year *years; /* [n_years] */
    double *payer_savings; /* [n_years * n_payers] discounted, by payer */
    size_t n_payers;
    double npv;            /* discounted net savings over the horizon */
    double payback_year;   /* first year from which cumulative net savings
                              stay above 0 to the horizon, or NaN */
    double place_years_per_client;
};

/* Budget impact of funding places(time) extra places of strategy k (an
 * expression over `time`, e.g. "100" or "50 * min(time, 2)"), over the
 * model's horizon, against k's comparator, over perspective. Returns
 * NS_OK with *out allocated (free with ns_expansion_free), NS_EPARAM when
 * the model has no place outcome, k no comparator or the expression is
 * invalid (diagnostics say why), or NS_ENOMEM. */
enum ns_status ns_expansion_run(const struct ns_model *m,
                                const struct ns_results *r, size_t k,
                                const char *places, long perspective,
                                struct ns_expansion **out,
                                struct ns_diags *diags);
void ns_expansion_free(struct ns_expansion *e);

#endif

/* netsave: services against norms (netsave benchmark; docs/benchmarking.md).
 *
 * A commissioner's services report, per period, how many clients started
 * a modality, how many were retained to the modality's threshold, and
 * perhaps outcomes at follow-up. Each proportion is set against a norm
 * (NTORS's, or newer) on a funnel plot (model/analysis/funnel.h), and a
 * service's retention is turned into money through the model: net
 * savings per client at the service's retention against at the norm. */
#ifndef NS_ANALYSIS_BENCHMARK_H
#define NS_ANALYSIS_BENCHMARK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "model/analysis/funnel.h"
#include "model/diag.h"
#include "model/netsave.h"
#include "model/population.h"

/* What a service reports, each a proportion of a denominator. */
enum ns_bench_measure {
    NS_BENCH_RETENTION,    /* retained to the threshold / starting */
    NS_BENCH_ABSTINENT,    /* of those followed up */
    NS_BENCH_DAILY_OPIATE, /* daily opiate use, of those followed up */
    NS_BENCH_INJECTING,
    NS_BENCH_SHARING,
    NS_BENCH_CRIME,        /* acquisitive crime, of those followed up */
    NS_BENCH_N_MEASURES
};

/* The measure's name, as in CSV headers and the norms file:
 * "retention", "abstinent", "daily_opiate_use", "injecting", "sharing",
 * "acquisitive_crime". */
const char *ns_bench_measure_name(enum ns_bench_measure m);

/* True when a higher proportion is better (retention, abstinence). */
bool ns_bench_higher_is_better(enum ns_bench_measure m);

/* Not reported (an empty cell). */
#define NS_BENCH_NONE (-1L)

/* One service in one period. */
struct ns_service {
    char *id, *name, *period; /* owned */
    size_t strategy;          /* the modality: an index into the model's
                                 strategies */
    long starting;            /* clients starting */
    long followed_up;         /* or NS_BENCH_NONE */
    long count[NS_BENCH_N_MEASURES]; /* numerator of each measure, or
                                        NS_BENCH_NONE; the denominator is
                                        starting for retention, followed_up
                                        for the others */
    struct ns_origin at;      /* its row, for messages */
};

struct ns_services {
    struct ns_service *items; /* owned */
    size_t n;
    char *file;               /* owned: the file read */
};

void ns_services_free(struct ns_services *s);

/* A norm: the proportion a modality's services are expected to reach. */
struct ns_bench_norm {
    size_t strategy;             /* index into the model's strategies */
    enum ns_bench_measure measure;
    double norm;                 /* a proportion in [0, 1] */
    double threshold_weeks;      /* retention: the threshold; else 0 */
    char grade;                  /* A, B, C or U */
    char *source;                /* owned: where it was read */
    struct ns_origin at;
};

struct ns_bench_norms {
    struct ns_bench_norm *items; /* owned */
    size_t n;
    char *file;                  /* owned */
};

void ns_bench_norms_free(struct ns_bench_norms *n);

/* Weeks in a year: a unit conversion (the mean Gregorian year), not a
 * model input, for thresholds in weeks against cycles in years. */
#define NS_WEEKS_PER_YEAR (365.2425 / 7.0)

/* How the analysis is run. */
struct ns_benchmark_options {
    long perspective;             /* of net savings, or NS_ALL_PAYERS */
    enum ns_od_method od_method;  /* overdispersion (funnel.h) */
    double winsor;                /* winsorising fraction for it */
    /* The total gain's uncertainty: n_draws PSA draws (0: none) of the
     * model's [uncertainty], the same draws as netsave psa with this seed
     * (model/analysis/psa.h). cancel, when set nonzero, stops them. */
    size_t n_draws;
    unsigned long seed;
    const atomic_int *cancel;
};

/* The total gain over PSA draws. */
struct ns_bench_total_psa {
    size_t n_draws;               /* 0: not run */
    unsigned long seed;
    double mean, low95, high95;   /* 2.5% and 97.5% points */
    double p_positive;            /* share of draws with a gain above 0 */
};

/* netsave benchmark's defaults: overdispersion multiplicative, from
 * z-scores winsorised at 10% in each tail (Spiegelhalter 2005). */
#define NS_BENCH_WINSOR_DEFAULT 0.1

/* One service and measure against its norm. */
struct ns_bench_row {
    size_t service;               /* index into the services */
    enum ns_bench_measure measure;
    double count, denominator;    /* the proportion's parts */
    double proportion, norm;
    struct ns_funnel_limits limits;
    double z;                     /* against the norm, overdispersed */
    enum ns_funnel_place place;
    /* Retention only (NaN otherwise): net savings per client (discounted,
     * over the perspective) with the modality's leaving probability set
     * from the service's retention and from the norm, and what bringing
     * the service to the norm would gain for its clients:
     * (at_norm - at_service) x clients starting. A share r retained to a
     * threshold of w weeks becomes the probability of leaving within the
     * model's first cycle of c weeks, 1 - r^(c / w): leaving at a constant
     * rate until then (ns_bench_leaving). */
    double net_at_service, net_at_norm, gain;
};

/* The overdispersion of one modality's services on one measure. */
struct ns_bench_group {
    size_t strategy;
    enum ns_bench_measure measure;
    double norm;
    double threshold_weeks;       /* retention: the norm's threshold */
    struct ns_overdispersion od;
    size_t n_services;
};

/* A benchmark, owning its arrays. */
struct ns_benchmark {
    struct ns_benchmark_options options;
    struct ns_bench_row *rows;    /* by service, then measure */
    size_t n_rows;
    struct ns_bench_group *groups; /* each modality and measure with data */
    size_t n_groups;
    size_t n_below;               /* services below the 95% limit on
                                     retention: below par */
    double total_gain;            /* the gain of bringing each of them to
                                     the norm, summed */
    struct ns_bench_total_psa total_psa; /* its uncertainty, if asked */
};

/* Sets every service against the norm of its modality for each measure
 * it reports, on a funnel plot, and prices retention through the model
 * ([benchmark] names the parameter it sets). A measure without a norm
 * for the modality is skipped; retention of a modality without a
 * [benchmark] parameter is compared but not priced (NaN money). Returns
 * NS_OK with *out set (free with ns_benchmark_free), NS_EPARAM (a
 * service's modality has no retention norm, or draws were asked of a
 * model without uncertainty; diagnostics say which), NS_EMODEL (a draw
 * gave no finite gain, or the draws were cancelled), or what a run
 * returned. The population is left run as written. */
enum ns_status ns_benchmark_run(struct ns_population *pop,
                                const struct ns_services *services,
                                const struct ns_bench_norms *norms,
                                const struct ns_benchmark_options *opt,
                                struct ns_benchmark **out,
                                struct ns_diags *diags);

void ns_benchmark_free(struct ns_benchmark *b);

/* The probability of leaving within a cycle of cycle_weeks when a share
 * retained of clients stay to threshold_weeks, at a constant rate. */
double ns_bench_leaving(double retained, double threshold_weeks,
                        double cycle_weeks);

#endif

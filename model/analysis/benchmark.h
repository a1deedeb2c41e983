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

#include <stdbool.h>
#include <stddef.h>

#include "model/diag.h"

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

#endif

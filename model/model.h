/* netsave: a compiled Markov cohort model, ready to run many times.
 *
 * A model is described as text (struct ns_model_def, model/def.h), then
 * compiled once by ns_model_compile(): names are resolved, expressions
 * parsed into programs, parameters ordered so each is computed after what
 * it reads, and states with time-in-state expanded into tunnel states.
 * The compiled model is immutable; ns_model_run() (model/engine.h) may run
 * it any number of times, from several threads with separate results.
 *
 * The fields below are the public, read-only description that writers and
 * the CLI need; the programs live behind 'priv'. */
#ifndef NS_MODEL_MODEL_H
#define NS_MODEL_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "model/def.h"
#include "model/diag.h"
#include "model/netsave.h"
#include "model/uncertainty.h"

struct ns_named {
    char *name;  /* owned; identifier used in INI, CSV and code */
    char *label; /* owned; what people read in workbooks */
};

struct ns_stream_info {
    char *name;        /* owned */
    char *label;       /* owned */
    size_t outcome;    /* index into ns_model.outcomes */
    char **tags;       /* owned; free tags such as "payer:nhs" */
    size_t n_tags;
    long payer;        /* index into ns_model.payers from a "payer:NAME"
                          tag, or -1 */
    bool is_intervention; /* tagged "intervention": the cost of the
                             intervention itself, not a saving */
};

/* A parameter as defined (shared definition) with its provenance. */
struct ns_param_info {
    char *name;          /* owned */
    char *text;          /* owned; the shared definition's expression */
    struct ns_origin at; /* where the shared definition is */
    char *unit, *price_year, *grade, *source; /* owned; NULL without a
                                                 sources entry */
    struct ns_origin source_at;
    bool is_overridden;  /* some strategy overrides it */
};

struct ns_perspective_info {
    char *name;          /* owned, e.g. "public_sector" */
    bool *has_payer;     /* owned; [n_payers] */
};

struct ns_outcome_info {
    char *name;           /* owned, e.g. "costs", "qalys" */
    double discount_rate; /* per year */
};

/* A measure: an expression over the occupancy of states and groups. */
struct ns_measure_info {
    char *name;          /* owned */
    char *text;          /* owned */
    struct ns_origin at;
};

/* An observed value the model should reproduce (model/measures.h). */
struct ns_target_info {
    double time_years;
    size_t point;        /* the time point at time_years */
    bool in_horizon;     /* false: time_years (or the relative_to time) is
                            beyond the model's horizon (a shortened run):
                            not evaluated */
    enum ns_target_role role; /* fit: calibration may use it; holdout:
                                 validation only */
    double period_years; /* 0: at point; else averaged over the period */
    size_t start_point;  /* the period's first time point (point if 0) */
    bool has_relative_to;
    double relative_to;  /* years; divides by the measure at that time */
    size_t relative_point;
    char *subgroup;      /* owned; NULL: pooled over subgroups */
    size_t n_arms;       /* strategies mixed, with weights summing to 1 */
    size_t *arm_strategy; /* owned */
    double *arm_weight;  /* owned */
    char *arms;          /* owned; as written */
    size_t measure;      /* index into measures */
    double observed, tolerance;
    char grade;          /* 'A', 'B', 'C' or 'U' */
    char *source, *note; /* owned */
    char *if_missed;     /* owned; what might explain a miss, or "" */
    double followed_up;  /* share of the sample observed, in (0, 1] */
    int worse;           /* +1: higher is worse, -1: lower is worse, 0:
                            not known (attrition leaves the target as is) */
    struct ns_origin at;
};

/* A parameter calibration may change, within bounds. */
struct ns_free_param {
    size_t param;        /* index into params */
    double low, high;
    struct ns_origin at;
};

/* Parameters drawn together from a Dirichlet distribution, as the
 * shares of a multinomial row (their draws sum to 1). */
struct ns_dirichlet_group {
    char *name;          /* owned */
    size_t n;
    size_t *param;       /* owned; [n] indices into params */
    double *alpha;       /* owned; [n] counts */
};

/* A named group of parameters with distributions, whose EVPPI is
 * reported together ([parameter_groups]). */
struct ns_param_group {
    char *name;          /* owned */
    size_t n;
    size_t *uncertain;   /* owned; [n] indices into uncertain */
};

/* An uncertain parameter: its distribution and its one-way range. */
struct ns_uncertain_param {
    size_t param;        /* index into params */
    bool has_dist;
    struct ns_dist dist;
    double low, high;    /* one-way range: [ranges], else the 2.5% and
                            97.5% points of the distribution */
    struct ns_origin at;
};

struct ns_model_priv;
struct ns_measures_priv;
struct ns_area;

struct ns_model {
    char *name;                /* owned */
    double cycle_length_years; /* years per cycle */
    size_t n_cycles;           /* T: the trace has time points 0..T */
    bool has_start_age;
    double start_age_years;
    enum ns_counting counting;
    double *weights;           /* [n_cycles + 1] counting weights, time 0 rule
                                  already applied */
    enum ns_discount_origin discount_origin;
    enum ns_discount_timing discount_timing;
    double *cycle_share;       /* NS_DISCOUNT_CYCLES only: [2 * (n_cycles +
                                  1)]: cycle c counts cycle_share[2c] x the
                                  occupancy at its start and cycle_share[2c
                                  + 1] x that at its end (entry 0 unused) */
    enum ns_transition_weight transition_weight;
    double row_sum_tolerance;

    struct ns_named *states;   /* [n_states] as defined, without tunnels */
    size_t n_states;
    struct ns_named *strategies;
    size_t n_strategies;
    long *comparator;          /* [n_strategies] index, or -1 for none */
    struct ns_stream_info *streams;
    size_t n_streams;
    struct ns_outcome_info *outcomes;
    size_t n_outcomes;
    struct ns_param_info *params; /* [n_params] in definition order */
    size_t n_params;
    char **payers;             /* owned; every payer named by a stream tag,
                                  in order of first appearance */
    size_t n_payers;
    struct ns_perspective_info *perspectives;
    size_t n_perspectives;
    long cost_outcome;         /* index of the outcome ICERs put on top, or -1 */
    long health_outcome;       /* index of the outcome below the line, or -1 */
    double report_cohort;      /* clients to report net savings for as a
                                  cohort (e.g. a year's intake), or 0 */
    double lost_toward_intake; /* what the model assumes of clients a study
                                  lost to follow-up: they went this share
                                  of the way back to their intake level (0:
                                  they did as those followed up). Targets
                                  are compared with the whole sample's
                                  value under it (model/measures.h). */
    double wtp_max, wtp_step;  /* willingness to pay per unit of health at
                                  which the acceptability curve is drawn:
                                  0, wtp_step, ... up to wtp_max; 0 for no
                                  curve */
    double wtp;                /* willingness to pay per unit of health at
                                  which net monetary and net health
                                  benefits are reported; 0 for none */
    long place_outcome;        /* index of the outcome counting treatment
                                  place-years (undiscounted), or -1 */

    struct ns_measure_info *measures;
    size_t n_measures;
    struct ns_target_info *targets;
    size_t n_targets;
    struct ns_free_param *free_params;
    size_t n_free_params;
    long *benchmark_param;        /* [n_strategies]: the parameter a
                                     service's retention to the threshold
                                     sets ([benchmark]; its value is the
                                     probability of leaving before it), or
                                     -1 */
    size_t *expansion_strategy;   /* [expansion] entries: strategy, */
    char **expansion_places;      /* and places expression (owned) */
    size_t n_expansion;
    struct ns_uncertain_param *uncertain; /* parameters with a distribution
                                             or a range, in that order */
    size_t n_uncertain;
    double *correlation;  /* [n_uncertain^2] correlation of the draws
                             (Gaussian copula), or NULL when independent */
    struct ns_dirichlet_group *dirichlet; /* parameters drawn together */
    size_t n_dirichlet;
    struct ns_param_group *param_groups; /* for EVPPI, in the file's order */
    size_t n_param_groups;
    struct ns_area *area; /* [area]: clients starting each treated
                             strategy year by year (model/area.h), or
                             NULL without one */

    struct ns_model_priv *priv;
    struct ns_measures_priv *measures_priv;
};

/* Compiles a definition. Every problem is recorded in diags with the
 * origin of the offending definition, and all problems are found in one
 * call. Returns NS_OK with *out set (free with ns_model_free), NS_EPARAM
 * with *out NULL when the definition is invalid, or NS_ENOMEM. The
 * definition may be freed after the call, but the origin file names it
 * points to must outlive the model (run-time errors name them). */
enum ns_status ns_model_compile(const struct ns_model_def *def,
                                struct ns_model **out, struct ns_diags *diags);

void ns_model_free(struct ns_model *model);

/* Index of a named state/strategy/stream/outcome, or -1. */
long ns_model_find_state(const struct ns_model *m, const char *name);
long ns_model_find_strategy(const struct ns_model *m, const char *name);
long ns_model_find_stream(const struct ns_model *m, const char *name);
long ns_model_find_outcome(const struct ns_model *m, const char *name);
/* Index of a named parameter, or -1. */
long ns_model_find_param(const struct ns_model *m, const char *name);
/* Index into m->uncertain of the parameter called name, or -1. */
long ns_model_find_uncertain(const struct ns_model *m, const char *name);

/* A perspective nobody defined (ns_model_find_perspective). */
#define NS_NO_PERSPECTIVE (-2L)

/* Index of the perspective called name; "all_payers" is NS_ALL_PAYERS;
 * NULL names the model's first (NS_ALL_PAYERS when it has none); an
 * unknown name gives NS_NO_PERSPECTIVE. */
long ns_model_find_perspective(const struct ns_model *m, const char *name);

/* Discount factor of time point t (0..n_cycles) for an outcome: of the
 * values counted at t, or with discount_timing = cycle, of cycle t's. */
double ns_model_discount_factor(const struct ns_model *m, size_t outcome,
                                size_t t);

/* The weight of the state values a result's entry t holds: the counting
 * weight of time point t, or with discount_timing = cycle, cycle t's
 * shares of the occupancy at its start and end (0 for t = 0). Dividing a
 * stream's entry by it (and the cycle length) gives its annual rate. */
double ns_model_entry_weight(const struct ns_model *m, size_t t);

#endif

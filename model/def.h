/* netsave: a model as its author wrote it, before compilation.
 *
 * Everything here is text plus the origin (file, line) it came from, so
 * that model/ can check names and expressions and report errors against
 * the analyst's own files without knowing anything about INI or CSV. The
 * loader in params/ fills a definition; ns_model_compile() checks it.
 * Later definitions of the same thing replace earlier ones (overlays), so
 * adders replace an entry with the same key rather than appending. */
#ifndef NS_MODEL_DEF_H
#define NS_MODEL_DEF_H

#include <stdbool.h>
#include <stddef.h>

#include "model/diag.h"
#include "model/netsave.h"

/* The name of the complement (the remainder of a row) in transitions. */
#define NS_COMPLEMENT "C"

/* How the trace is counted over time points 0..T (within-cycle correction). */
enum ns_counting {
    NS_COUNT_START,      /* points 0..T-1 count fully: start of each cycle */
    NS_COUNT_END,        /* points 1..T count fully: end of each cycle */
    NS_COUNT_LIFE_TABLE, /* 1/2 at 0 and T, 1 between: trapezoid rule */
    NS_COUNT_SIMPSON,    /* Simpson's 1/3 rule: 1/3, 4/3, 2/3, ..., 4/3, 1/3;
                            T must be even */
    NS_COUNT_WEIGHTS     /* an explicit list of T + 1 weights */
};

/* Where discounting time starts: the factor of time point t is
 * 1 / (1 + r)^(years), with years = t * cycle length (from the model's
 * start) or max(t - 1, 0) * cycle length (from the end of the first cycle,
 * so the first cycle is not discounted). */
enum ns_discount_origin {
    NS_DISCOUNT_FROM_START,
    NS_DISCOUNT_FROM_FIRST_CYCLE_END
};

/* What is counted and discounted: time points (each point's value times
 * its counting weight, discounted with the point's factor), or cycles
 * (the occupancy averaged over each cycle as the counting says, times the
 * values of the cycle, discounted once per cycle at 1 / (1 + r)^((c - 1)
 * x cycle length): heemod's way). */
enum ns_discount_timing {
    NS_DISCOUNT_POINTS,
    NS_DISCOUNT_CYCLES
};

/* Whether a value booked on a transition of cycle c is multiplied by the
 * counting weight of time point c (the convention is a choice: heemod
 * corrects its entry values, TreeAge and DARTH's code book them in full). */
enum ns_transition_weight {
    NS_TRANSITION_IN_FULL,
    NS_TRANSITION_WEIGHTED
};

struct ns_def_entity {   /* a state or a strategy */
    char *name;
    char *label;
    struct ns_origin at;
};

struct ns_def_tunnel {   /* a state whose members' time in it matters */
    char *state;
    size_t n_slots;      /* time in state is tracked as 0..n_slots-1 cycles;
                            the last slot holds everyone who stayed longer */
    struct ns_origin at;
};

struct ns_def_expr {     /* parameters, initial values */
    char *strategy;      /* NULL: every strategy */
    char *name;          /* parameter or state name */
    char *text;          /* expression */
    struct ns_origin at;
};

struct ns_def_transition {
    char *strategy;      /* NULL: every strategy */
    char *from, *to;
    char *text;          /* expression, or NS_COMPLEMENT */
    struct ns_origin at;
};

struct ns_def_stream {
    char *name;
    char *label;         /* NULL: use the name */
    char *outcome;       /* which discount rate applies */
    char **tags;
    size_t n_tags;
    struct ns_origin at;
};

struct ns_def_state_value {
    char *stream;
    char *state;         /* a state name, or NULL for every state not named */
    char *text;
    struct ns_origin at;
};

struct ns_def_transition_value {
    char *stream;
    char *from, *to;
    char *text;
    struct ns_origin at;
};

/* How a table is read: the last row whose key is <= the argument (a step
 * function, as life tables are), or only a row whose key equals it (a
 * series such as a price index, where a year past its end must not quietly
 * take the last year's value). */
enum ns_table_lookup { NS_TABLE_STEP = 0, NS_TABLE_EXACT };

struct ns_def_table {
    char *name;
    double *x, *y;       /* owned; keys strictly increasing */
    size_t n;
    enum ns_table_lookup lookup;
    struct ns_origin at;
};

struct ns_def_outcome {
    char *name;
    double discount_rate; /* per year */
    struct ns_origin at;
};

struct ns_def_comparator {
    char *strategy;      /* NULL: every strategy except the comparator */
    char *comparator;
    struct ns_origin at;
};

struct ns_def_source {   /* where a parameter's number comes from */
    char *param;
    char *unit;          /* e.g. "GBP per week" */
    char *price_year;    /* e.g. "2015/16", or "-" */
    char *grade;         /* A, B, C or U (unconfirmed: an assumption) */
    char *source;        /* citation */
    struct ns_origin at;
};

struct ns_def_perspective { /* a named set of payers */
    char *name;
    char **payers;
    size_t n_payers;
    struct ns_origin at;
};

struct ns_def_group {    /* a named sum of states, for measures */
    char *name;
    char **members;      /* state names or '*' patterns */
    size_t n_members;
    struct ns_origin at;
};

struct ns_def_measure {  /* an expression over state and group occupancy */
    char *name;
    char *text;
    struct ns_origin at;
};

/* What a target is for: calibration fits the model to fit targets only;
 * holdout targets are kept out of every fit, so that validation against
 * them is out of sample. */
enum ns_target_role { NS_ROLE_FIT = 0, NS_ROLE_HOLDOUT };

struct ns_def_target {   /* an observed value the model should reproduce */
    double time_years;   /* when, from the start */
    char *arms;          /* "rehab" or a weighted mix "rehab:286 + inpatient:122" */
    char *measure;
    double observed;
    double tolerance;    /* the half-width within which it counts as met */
    char *grade;         /* A, B, C or U */
    char *source;
    char *note;          /* what the target is, in words */
    double followed_up;  /* share of the sample the value comes from (1:
                            everyone; NTORS five-year: 0.63) */
    char *worse;         /* "higher" or "lower": which way is worse, for
                            attrition analysis; NULL or "" when unknown */
    enum ns_target_role role;
    bool has_relative_to;
    double relative_to;  /* years: the value is the measure at time_years
                            divided by the measure at relative_to */
    double period_years; /* 0: at time_years; above 0: averaged over
                            [time_years - period_years, time_years] */
    char *subgroup;      /* NULL or "": pooled over subgroups */
    char *if_missed;     /* what might explain a miss; NULL or "" */
    struct ns_origin at;
};

struct ns_def_free_param { /* a parameter calibration may change */
    char *param;
    double low, high;    /* bounds, low < high */
    struct ns_origin at;
};

struct ns_def_uncertain { /* [uncertainty] param = distribution */
    char *param;
    char *text;
    struct ns_origin at;
};

#define NS_DEF_ARRAY(type, field) \
    type *field;                  \
    size_t n_##field, cap_##field

struct ns_model_def {
    char *name;
    struct ns_origin name_at;         /* file 0 of the first file when the
                                         name is not given */
    double cycle_length_years;
    struct ns_origin cycle_length_at; /* line 0 and file NULL: not given */
    size_t n_cycles;
    struct ns_origin n_cycles_at;
    bool has_start_age;
    double start_age_years;
    enum ns_counting counting;
    double *weights;                  /* NS_COUNT_WEIGHTS only: a list */
    size_t n_weights;
    char *weight_text;                /* NS_COUNT_WEIGHTS only: or an
                                         expression of cycle, time, age and
                                         parameters (time point) */
    struct ns_origin counting_at;     /* `counting`; file NULL: not given */
    struct ns_origin weights_at;      /* `weights`; file NULL: not given */
    struct ns_origin weight_at;       /* `weight`; file NULL: not given */
    bool count_time_zero;             /* false: weight of point 0 is 0 */
    struct ns_origin count_time_zero_at; /* file NULL: not given */
    enum ns_discount_origin discount_origin;
    struct ns_origin discount_origin_at; /* file NULL: not given */
    enum ns_discount_timing discount_timing;
    struct ns_origin discount_timing_at; /* file NULL: not given */
    enum ns_transition_weight transition_weight;
    double row_sum_tolerance;
    char *cost_outcome, *health_outcome; /* NULL: none */
    struct ns_origin cost_outcome_at, health_outcome_at;
    double report_cohort;             /* clients to report net savings for,
                                         or 0 */
    double lost_toward_intake;        /* [validation]: how far back towards
                                         intake those lost to follow-up went
                                         (0 = as those followed up, 1 = back
                                         at intake) */
    double wtp_max, wtp_step;         /* acceptability curve's grid, or 0 */
    double wtp;                       /* willingness to pay for the net
                                         benefits, or 0: none */
    struct ns_origin wtp_step_at;     /* where wtp_step was set */
    bool settings_rejected;           /* a loader rejected a setting and
                                         said so: compile stays quiet */
    char *scenario_name;              /* [scenario] name, or NULL */
    char *scenario_description;       /* [scenario] description, or NULL */
    char *place_outcome;              /* treatment place-years, or NULL */
    struct ns_origin place_outcome_at;

    NS_DEF_ARRAY(struct ns_def_entity, states);
    NS_DEF_ARRAY(struct ns_def_entity, strategies);
    NS_DEF_ARRAY(struct ns_def_tunnel, tunnels);
    NS_DEF_ARRAY(struct ns_def_expr, params);
    NS_DEF_ARRAY(struct ns_def_expr, initial);
    NS_DEF_ARRAY(struct ns_def_transition, transitions);
    NS_DEF_ARRAY(struct ns_def_stream, streams);
    NS_DEF_ARRAY(struct ns_def_state_value, state_values);
    NS_DEF_ARRAY(struct ns_def_transition_value, transition_values);
    NS_DEF_ARRAY(struct ns_def_table, tables);
    NS_DEF_ARRAY(struct ns_def_outcome, outcomes);
    NS_DEF_ARRAY(struct ns_def_comparator, comparators);
    NS_DEF_ARRAY(struct ns_def_source, sources);
    NS_DEF_ARRAY(struct ns_def_perspective, perspectives);
    NS_DEF_ARRAY(struct ns_def_group, groups);
    NS_DEF_ARRAY(struct ns_def_measure, measures);
    NS_DEF_ARRAY(struct ns_def_target, targets);
    NS_DEF_ARRAY(struct ns_def_free_param, free_params);
    NS_DEF_ARRAY(struct ns_def_uncertain, uncertain);
    NS_DEF_ARRAY(struct ns_def_free_param, ranges); /* [ranges] low, high */
    NS_DEF_ARRAY(struct ns_def_expr, correlations); /* [correlation]
                                                       "a ~ b" = rho: name is
                                                       "a ~ b", text rho */
    NS_DEF_ARRAY(struct ns_def_expr, dirichlet);    /* [dirichlet.GROUP]
                                                       param = alpha: strategy
                                                       holds GROUP */
    NS_DEF_ARRAY(struct ns_def_group, param_groups); /* [parameter_groups]
                                                        name = parameters */
    NS_DEF_ARRAY(struct ns_def_expr, benchmark);    /* [benchmark] strategy =
                                                       the parameter a
                                                       service's retention
                                                       sets (text) */
    NS_DEF_ARRAY(struct ns_def_expr, expansion);    /* [expansion] strategy =
                                                       places expression */
    NS_DEF_ARRAY(struct ns_def_expr, area);         /* [area] key = value as
                                                       written (name, years,
                                                       or a strategy's
                                                       starts: model/area.h
                                                       reads them) */
    /* Where each list's entries are, by key, so that adding tens of
     * thousands of parameters is not quadratic (owned; private to def.c).
     * A definition is never copied by value: the index would be shared. */
    struct ns_def_index *index;
};

/* Sets the defaults of every [model] setting that has one: life-table
 * counting, time 0 counted, discounting from the start, the default row
 * tolerance. Cycle length and number of cycles have no default. */
void ns_model_def_init(struct ns_model_def *def);
void ns_model_def_clear(struct ns_model_def *def);

/* Adders copy every string. An entry with the same key as an existing one
 * (same name, or same strategy + name, or same strategy + from + to)
 * replaces it. Return NS_OK or NS_ENOMEM. Strings that may be NULL are
 * marked above. */
enum ns_status ns_def_add_state(struct ns_model_def *def, const char *name,
                                const char *label, struct ns_origin at);
enum ns_status ns_def_add_strategy(struct ns_model_def *def, const char *name,
                                   const char *label, struct ns_origin at);
enum ns_status ns_def_add_tunnel(struct ns_model_def *def, const char *state,
                                 size_t n_slots, struct ns_origin at);
enum ns_status ns_def_add_param(struct ns_model_def *def, const char *strategy,
                                const char *name, const char *text,
                                struct ns_origin at);
enum ns_status ns_def_add_initial(struct ns_model_def *def,
                                  const char *strategy, const char *state,
                                  const char *text, struct ns_origin at);
enum ns_status ns_def_add_transition(struct ns_model_def *def,
                                     const char *strategy, const char *from,
                                     const char *to, const char *text,
                                     struct ns_origin at);
enum ns_status ns_def_add_stream(struct ns_model_def *def, const char *name,
                                 const char *label, const char *outcome,
                                 const char *const *tags, size_t n_tags,
                                 struct ns_origin at);
enum ns_status ns_def_add_state_value(struct ns_model_def *def,
                                      const char *stream, const char *state,
                                      const char *text, struct ns_origin at);
enum ns_status ns_def_add_transition_value(struct ns_model_def *def,
                                           const char *stream,
                                           const char *from, const char *to,
                                           const char *text,
                                           struct ns_origin at);
/* Takes ownership of x and y (allocated with malloc) in every case. */
enum ns_status ns_def_add_table(struct ns_model_def *def, const char *name,
                                double *x, double *y, size_t n,
                                enum ns_table_lookup lookup,
                                struct ns_origin at);
enum ns_status ns_def_add_outcome(struct ns_model_def *def, const char *name,
                                  double discount_rate, struct ns_origin at);
enum ns_status ns_def_add_comparator(struct ns_model_def *def,
                                     const char *strategy,
                                     const char *comparator,
                                     struct ns_origin at);
enum ns_status ns_def_add_source(struct ns_model_def *def, const char *param,
                                 const char *unit, const char *price_year,
                                 const char *grade, const char *source,
                                 struct ns_origin at);
enum ns_status ns_def_add_perspective(struct ns_model_def *def,
                                      const char *name,
                                      const char *const *payers,
                                      size_t n_payers, struct ns_origin at);
enum ns_status ns_def_add_group(struct ns_model_def *def, const char *name,
                                const char *const *members, size_t n,
                                struct ns_origin at);
enum ns_status ns_def_add_measure(struct ns_model_def *def, const char *name,
                                  const char *text, struct ns_origin at);
/* Copies the strings of *target; appends (targets have no key). */
enum ns_status ns_def_add_target(struct ns_model_def *def,
                                 const struct ns_def_target *target);
enum ns_status ns_def_add_free_param(struct ns_model_def *def,
                                     const char *param, double low,
                                     double high, struct ns_origin at);
enum ns_status ns_def_add_uncertain(struct ns_model_def *def,
                                    const char *param, const char *text,
                                    struct ns_origin at);
enum ns_status ns_def_add_range(struct ns_model_def *def, const char *param,
                                double low, double high, struct ns_origin at);
enum ns_status ns_def_add_correlation(struct ns_model_def *def,
                                      const char *pair, const char *rho,
                                      struct ns_origin at);
enum ns_status ns_def_add_dirichlet(struct ns_model_def *def,
                                    const char *group, const char *param,
                                    const char *alpha, struct ns_origin at);
enum ns_status ns_def_add_param_group(struct ns_model_def *def,
                                      const char *name,
                                      const char *const *params, size_t n,
                                      struct ns_origin at);
enum ns_status ns_def_add_benchmark(struct ns_model_def *def,
                                    const char *strategy, const char *param,
                                    struct ns_origin at);
enum ns_status ns_def_add_expansion(struct ns_model_def *def,
                                    const char *strategy, const char *text,
                                    struct ns_origin at);
enum ns_status ns_def_add_area(struct ns_model_def *def, const char *key,
                               const char *value, struct ns_origin at);
/* Replaces a string field of the definition (name, cost_outcome...) with
 * a copy of value (NULL allowed). */
enum ns_status ns_def_set_string(char **field, const char *value);

#endif

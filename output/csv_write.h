/* netsave: the CSV writers' private side, shared by csv_write.c (fields,
 * file names, atomic files), csv_results.c and csv_analysis.c. Not a
 * public header of ns_output.
 *
 * Every writer takes the file and does nothing once c->err is set, so a
 * file is written as a plain sequence of calls and checked once, when it
 * is committed. */
#ifndef NS_OUTPUT_CSV_WRITE_H
#define NS_OUTPUT_CSV_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "model/model.h"
#include "model/netsave.h"
#include "model/results.h"
#include "output/output.h"

struct csv {
    FILE *fp;
    int err; /* errno of the first write that failed, 0 while all succeed */
};

/* What a file is written from: one model's results, or a population
 * (pop set, m and r its first model and pooled results). */
struct source {
    struct ns_atomic_set *set; /* the run's files, renamed together; or
                                  NULL: each file on its own */
    const struct ns_model *m;
    const struct ns_results *r;
    const struct ns_population *pop;
    const struct ns_checks *checks; /* for checks.csv only */
    const struct ns_attrition_table *attrition; /* for attrition.csv only */
    const struct ns_psa *psa;                   /* for the PSA files */
    const struct ns_evppi *evppi;               /* for evppi.csv */
    const struct ns_tornado_bar *bars;          /* for tornado.csv */
    size_t n_bars, a, b, n_grid;
    const double *values;                       /* base, or the grid */
    const double *payer_values;                 /* tornado by payer */
    const struct ns_scenario_result *scenarios; /* for scenarios.csv */
    size_t n_scenarios;
    const struct ns_expansion *const *expansions; /* for expansion.csv */
    const size_t *expansion_strategy;
    const char *const *expansion_places;
    const struct ns_services *services;         /* for benchmark.csv */
    const struct ns_benchmark *benchmark;
    const struct ns_anchor_report *anchors;     /* for anchors.csv */
    size_t n_anchors;
    long perspective;
    double population;
};

/* Writes one whole file: its header row, then its rows. */
typedef void write_fn(struct csv *c, const struct source *src);

/* Fields: each is written as it is (raw), quoted as RFC 4180 asks (text;
 * NULL is an empty field), so that it reads back as the same double
 * (number), or empty when it is not finite (optional). */
void csv_put_raw(struct csv *c, const char *s);
void csv_put_text(struct csv *c, const char *s);
void csv_put_number(struct csv *c, double v);
void csv_put_optional(struct csv *c, double v);
void csv_put_count(struct csv *c, size_t n);
/* Strategy k and its comparator, each followed by a separator: the
 * first two fields of every per-strategy row. */
void csv_put_pair(struct csv *c, const struct ns_model *m, size_t k);
/* A perspective's name in CSV files: the model's, or "all_payers". */
const char *csv_view_name(const struct ns_model *m, long perspective);
void csv_put_sep(struct csv *c);
void csv_put_numbers(struct csv *c, const double *v, size_t n);
void csv_put_texts(struct csv *c, const char *const *v, size_t n);
void csv_end_row(struct csv *c);

/* The net benefit columns of summary.csv and frontier.csv: a separator,
 * then wtp, net_monetary_benefit and net_health_benefit of strategy k at
 * the model's wtp, from its discounted cost and health outcome totals; all
 * three empty without a wtp or either outcome. */
void csv_put_net_benefits(struct csv *c, const struct ns_model *m,
                          const struct ns_results *r, size_t k);

/* frontier.csv (csv_frontier.c), from src->pop. */
void csv_write_frontier(struct csv *c, const struct source *src);

/* ceaf.csv (csv_frontier.c), from src->psa. */
void csv_write_ceaf(struct csv *c, const struct source *src);

/* Writes finite v into out (of at least CSV_NUMBER_SIZE bytes) in the
 * fewest significant digits (15, 16 or 17) that strtod() reads back as
 * the very same double. */
enum { CSV_NUMBER_SIZE = 40 };
void csv_format_number(double v, char *out, size_t out_size);

/* Whether name is in ns_csv_names; if not, says so in err. */
bool csv_listed(const char *name, char *err, size_t err_size);

/* Writes dir/name atomically with write. Returns NS_OK, or NS_EIO with a
 * reason naming the file. */
enum ns_status csv_write_file(const char *dir, const char *name,
                              write_fn *write, const struct source *src,
                              char *err, size_t err_size);

#endif

/* netsave: the files of netsave benchmark, services and their norms
 * (docs/benchmarking.md).
 *
 * Both are CSV (RFC 4180 quoting, one record a line, a UTF-8 byte order
 * mark allowed), a header row naming the columns exactly and in order,
 * then one record a row. Every field of every row is checked, and every
 * problem recorded as "file:line: column N (name): what is wrong"; nothing
 * stops at the first.
 *
 * A services file (one row per service and period):
 *   service_id         the service's id; (service_id, period) is unique
 *   service_name       its name, for tables and charts
 *   period             the period reported ("2024-25", "2025-Q1")
 *   modality           one of the model's strategies ("rehab", "mmt")
 *   clients_starting   clients who started the modality: a whole number,
 *                      at least 1 (a proportion of no one is not a point
 *                      on a funnel plot)
 *   clients_retained   of those, retained to the modality's threshold:
 *                      0 to clients_starting
 *   followed_up        of those starting, interviewed at follow-up: 0 to
 *                      clients_starting; may be empty (no outcomes)
 *   abstinent, daily_opiate_use, injecting, sharing, acquisitive_crime
 *                      of those followed up, how many: 0 to followed_up;
 *                      each may be empty, none given without followed_up
 *
 * A norms file (one row per modality and measure):
 *   modality           one of the model's strategies
 *   measure            a measure's name (ns_bench_measure_name)
 *   norm               the proportion expected, 0 to 1
 *   threshold_weeks    retention: the weeks retained counts, above 0;
 *                      empty for the other measures
 *   grade              A, B, C or U (the evidence grades of the model)
 *   source             where the norm was read; not empty
 * (modality, measure) is unique. */
#ifndef NS_PARAMS_SERVICES_H
#define NS_PARAMS_SERVICES_H

#include <stddef.h>

#include "model/analysis/benchmark.h"
#include "model/diag.h"
#include "model/netsave.h"

/* Reads a services file at path; strategies[0..n_strategies) are the
 * model's strategy names, which the modality column must name. On NS_OK
 * *out is the services (free with ns_services_free); on NS_EPARAM every
 * problem is in diags and *out is NULL; NS_EIO (the file cannot be read,
 * said in diags) or NS_ENOMEM. */
enum ns_status ns_services_load(const char *path,
                                const char *const *strategies,
                                size_t n_strategies,
                                struct ns_services **out,
                                struct ns_diags *diags);

/* Reads a norms file (params/benchmark-norms.csv is one), the same way;
 * free *out with ns_bench_norms_free. */
enum ns_status ns_bench_norms_load(const char *path,
                                   const char *const *strategies,
                                   size_t n_strategies,
                                   struct ns_bench_norms **out,
                                   struct ns_diags *diags);

#endif

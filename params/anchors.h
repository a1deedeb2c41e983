/* netsave: anchors files, the published studies to set the model beside.
 *
 * An anchors file is CSV (RFC 4180 quoting, one record a line), a header
 * row naming the columns in any order, then one study a row:
 *   anchor          an id: letters, digits, '_', '-', '.'; unique
 *   study           the study, as cited
 *   design          what the study did (its comparison, horizon)
 *   scenario        an overlay INI file, relative to the anchors file's
 *                   folder, applied on top of the model files (as netsave
 *                   compare applies scenarios); empty: the model as it is
 *   arms            the clients: strategies with weights, "rehab:286 +
 *                   mmt:458", or one strategy, "mmt"
 *   benefits        whose savings count: one perspective of the model
 *                   ("society", or "all_payers"), or payers separated by
 *                   spaces ("victims police cjs nhs")
 *   cost_share      the share of the treatment cost the study's
 *                   denominator counts, above 0 and at most 1 (1: gross)
 *   published       the published ratio, a number (2.5 for 2.5:1)
 *   published_text  the figure as printed ("18:1 to 9.5:1"); may be empty
 *   source          where the figure was read
 *   explanation     why the figures differ; may be empty
 * Every field of every row is checked, and every problem recorded as
 * "file:line: column (number) must be what was expected, got what was
 * found"; nothing stops at the first. Names in arms and benefits are
 * checked against a model by ns_anchor_resolve, as each anchor may run a
 * model of its own (its scenario). */
#ifndef NS_PARAMS_ANCHORS_H
#define NS_PARAMS_ANCHORS_H

#include <stdbool.h>
#include <stddef.h>

#include "model/analysis/anchors.h"
#include "model/diag.h"
#include "model/model.h"
#include "model/netsave.h"

/* One row, as written and checked. */
struct ns_anchor_def {
    char *anchor, *study, *design, *arms, *benefits; /* owned, as written */
    char *published_text, *source, *explanation;     /* owned, as written */
    char *scenario;       /* owned; the overlay's path, resolved against the
                             anchors file's folder; NULL for none */
    bool scenario_ok;     /* scenario is empty or a readable file */
    double cost_share, published;
    size_t n_arms;        /* 0 when arms is malformed */
    char **arm_names;     /* owned; [n_arms] */
    double *arm_weights;  /* owned; [n_arms], summing to 1 */
    size_t n_benefits;    /* 0 when benefits is malformed */
    char **benefit_names; /* owned; [n_benefits], the words of benefits */
    int arms_column, benefits_column; /* positions in the file (1-based),
                                         for messages */
    struct ns_origin at;  /* the anchors file and the row's line */
    bool valid;           /* every field passed */
};

struct ns_anchor_defs {
    char *file;                  /* owned; the path as given (origins
                                    point here) */
    struct ns_anchor_def *items; /* owned; [n], in file order */
    size_t n;
};

/* Reads and checks the anchors file at path. Returns NS_OK, NS_EPARAM with
 * every problem in diags, NS_EIO when the file cannot be read (also in
 * diags), or NS_ENOMEM. *out is set whenever the file could be read, even
 * with problems (the rows with problems are not valid), so that the rest
 * can still be checked against a model; free with ns_anchor_defs_free,
 * which accepts NULL. */
enum ns_status ns_anchors_load(const char *path, struct ns_anchor_defs **out,
                               struct ns_diags *diags);
void ns_anchor_defs_free(struct ns_anchor_defs *defs);

/* Resolves def's arms and benefits against model m, the model the anchor
 * runs (the base with the anchor's scenario): every arm must be a
 * strategy with a comparator, benefits one perspective of m (or
 * "all_payers") or payers of m, and m must have a cost outcome. Names that
 * def could not parse are skipped. Every problem is recorded against def's
 * row. Returns NS_OK with spec filled (free with ns_anchor_spec_clear),
 * NS_EPARAM (spec left empty) or NS_ENOMEM. */
enum ns_status ns_anchor_resolve(const struct ns_anchor_def *def,
                                 const struct ns_model *m,
                                 struct ns_anchor_spec *spec,
                                 struct ns_diags *diags);

#endif

/* netsave tests: the population writers (ns_csv_write_population and
 * ns_xlsx_write_population), end to end from INI text.
 *
 * The model has two states, offending and desisted (absorbing), with a
 * constant probability p of desisting per half-year cycle, 8 cycles (4
 * years), counting at the end of each cycle (weights 0, 1, ..., 1) and
 * costs discounted at 3.5% a year from the start. Starting with one client
 * offending, the cohort offending at point t is q^t (q = 1 - p), so a
 * stream worth a per cycle while offending and b while desisted totals
 *   sum_{t=1..8} d^t (a q^t + b (1 - q^t)) = (a - b) G(q d) + b G(d),
 *   G(x) = x (1 - x^8) / (1 - x),  d = 1.035^-0.5 (1 when undiscounted).
 * Expected values below come from these closed forms; year-by-year values
 * from summing points t = 2y - 1 and 2y into year y by hand (half-year
 * cycles), which is how ledger.h says points fall into years. Two
 * subgroups differ in the comparator's p (0.0731 and 0.0917); the pooled
 * expectations are the weighted sums of the subgroups', and ratios are
 * taken from the pooled sums, never averaged.
 *
 * Payers are tagged as a commissioner's model would tag them: the
 * treatment budget pays for treatment (the "intervention"), police, NHS
 * and victims bear the costs of offending, and one cost stream names no
 * payer, so it counts only in the all-payers view. The numbers are chosen
 * so that the public sector never breaks even within 4 years while
 * society does in year 3 or 4: both the payback year and its absence are
 * checked. */
#define _GNU_SOURCE /* feenableexcept */

#include <dirent.h>
#include <errno.h>
#include <fenv.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/test_support.h"

#include "model/ledger.h"
#include "model/model.h"
#include "model/population.h"
#include "model/results.h"
#include "output/output.h"
#include "params/params.h"

/* Values pass through exact arithmetic in another order, then through
 * the CSV writer's spelling (reads back exactly) and strtod. */
#define TOL 1e-11

/* An expectation of "not applicable" (an empty cell). */
#define NA ((double)NAN)

/* ---- the model ---- */

#define N_CYCLES     8
#define N_YEARS      4
#define CYCLE_YEARS  0.5
#define COST_RATE    0.035
#define P_NONE_A     0.0731 /* subgroup no_crack, comparator's p */
#define P_NONE_B     0.0917 /* subgroup crack */
#define P_TREAT      0.2143
#define W_A          0.6281
#define W_B          0.3719
#define COST_TREAT   1873.4 /* per cycle offending, treat only */
#define C_POLICE     1231.9
#define C_NHS        297.3
#define C_NHS_DESIST 113.1
#define C_VICTIM     2047.6
#define C_OTHER      57.7 /* no payer tag */
#define OFFENCES     3.17
#define PLACE        0.5 /* place-years per cycle in treatment */

static const char model_text[] =
    "[model]\n"
    "name = Population test\n"
    "cycle_length = 0.5\n"
    "n_cycles = 8\n"
    "counting = end\n"
    "comparator = none\n"
    "cost_outcome = costs\n"
    "place_outcome = places\n"
    "\n"
    "[discount]\n"
    "costs = 0.035\n"
    "places = 0\n"
    "offences = 0\n"
    "\n"
    "[states]\n"
    "offending = Offending\n"
    "desisted = Desisted\n"
    "\n"
    "[strategies]\n"
    "none = No treatment\n"
    "treat = Residential rehabilitation\n"
    "\n"
    "[initial]\n"
    "offending = 1\n"
    "\n"
    "[parameters]\n"
    "p_desist = 0.0731\n"
    "cost_treat = 0\n"
    "in_treatment = 0\n"
    "c_police = 1231.9\n"
    "c_nhs = 297.3\n"
    "c_nhs_desisted = 113.1\n"
    "c_victim = 2047.6\n"
    "c_other = 57.7\n"
    "offences_per_cycle = 3.17\n"
    "place_per_cycle = 0.5\n"
    "\n"
    "[parameters.treat]\n"
    "p_desist = 0.2143\n"
    "cost_treat = 1873.4\n"
    "in_treatment = 1\n"
    "\n"
    "[sources]\n"
    "p_desist = probability per cycle | - | B | NTORS after five years\n"
    "c_police = GBP per cycle | 2019 | U | team estimate\n"
    "\n"
    "[perspectives]\n"
    "public_sector = treatment_budget, police, nhs\n"
    "society = treatment_budget, police, nhs, victims\n"
    "\n"
    "[transitions]\n"
    "offending -> offending = C\n"
    "offending -> desisted = p_desist\n"
    "desisted -> desisted = 1\n"
    "\n"
    "[stream.cost_treatment]\n"
    "label = Treatment\n"
    "outcome = costs\n"
    "tags = payer:treatment_budget, intervention\n"
    "offending = cost_treat\n"
    "desisted = 0\n"
    "\n"
    "[stream.cost_police]\n"
    "outcome = costs\n"
    "tags = payer:police\n"
    "offending = c_police\n"
    "desisted = 0\n"
    "\n"
    "[stream.cost_nhs]\n"
    "outcome = costs\n"
    "tags = payer:nhs\n"
    "offending = c_nhs\n"
    "desisted = c_nhs_desisted\n"
    "\n"
    "[stream.cost_victims]\n"
    "outcome = costs\n"
    "tags = payer:victims\n"
    "offending = c_victim\n"
    "desisted = 0\n"
    "\n"
    "[stream.cost_other]\n"
    "outcome = costs\n"
    "offending = c_other\n"
    "desisted = 0\n"
    "\n"
    "[stream.place_years]\n"
    "outcome = places\n"
    "offending = in_treatment * place_per_cycle\n"
    "desisted = 0\n"
    "\n"
    "[stream.offences]\n"
    "outcome = offences\n"
    "offending = offences_per_cycle\n"
    "desisted = 0\n";

/* The files the population writers make, in order. */
static const char *const csv_names[] = {
    "trace.csv",
    "values.csv",
    "summary.csv",
    "incremental.csv",
    "net_savings.csv",
    "payers.csv",
    "net_savings_by_year.csv",
    "outcomes.csv",
    "validation.csv",
    "frontier.csv",
    "area.csv",
    "area_payers.csv",
};
#define N_CSV (sizeof csv_names / sizeof csv_names[0])

/* ---- fixture ---- */

struct fx {
    struct ns_params *params[2]; /* must outlive the models (origins) */
    struct ns_population *pop;
    struct ns_diags diags;
    char dir[64];
    char err[512];
};

static void
print_diags(const struct fx *f)
{
    char buf[1024];
    for (size_t i = 0; i < f->diags.count; i++) {
        ns_diag_format(&f->diags.items[i], buf, sizeof buf);
        print_error("diagnostic: %s\n", buf);
    }
}

/* Loads the model text, applies the assignments (NULL-terminated) and
 * compiles; fails the test on any diagnostic. */
static struct ns_model *
compile_with(struct fx *f, size_t slot, const char *const *sets)
{
    struct ns_params *p = ns_params_alloc();
    assert_non_null(p);
    f->params[slot] = p;
    enum ns_status st = ns_params_load_text(
        p, "test.ini", model_text, strlen(model_text), NULL, &f->diags);
    for (size_t i = 0; st == NS_OK && sets && sets[i]; i++)
        st = ns_params_set(p, sets[i], &f->diags);
    if (st == NS_OK)
        st = ns_params_finish(p, &f->diags);
    struct ns_model *m = NULL;
    if (st == NS_OK)
        st = ns_model_compile(&p->def, &m, &f->diags);
    if (st != NS_OK) {
        print_diags(f);
        fail_msg("building the model failed: %s", ns_strerror(st));
    }
    return m;
}

/* Builds and runs a population of the given subgroups: group 0 is the
 * model as written (p = 0.0731), group 1 sets the comparator's p to 0.0917
 * plus any extra assignment. */
static void
build(struct fx *f, size_t n_groups, const char *extra)
{
    const char *sets_b[] = {"parameters.p_desist=0.0917", extra, NULL};
    struct ns_model *models[2];
    models[0] = compile_with(f, 0, NULL);
    if (n_groups > 1)
        models[1] = compile_with(f, 1, sets_b);
    const char *names[] = {"no_crack", "crack"};
    const double one = 1.0;
    const double weights[] = {W_A, W_B};
    enum ns_status st =
        ns_population_alloc(models, names, n_groups > 1 ? weights : &one,
                            n_groups, &f->pop, &f->diags);
    if (st == NS_OK)
        st = ns_population_run(f->pop, &f->diags);
    if (st != NS_OK) {
        print_diags(f);
        fail_msg("running the population failed: %s", ns_strerror(st));
    }
}

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/ns_population_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

/* Removes every file in the folder (the writers make no subfolders). */
static void
empty_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char path[512];
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    ns_population_free(f->pop);
    ns_params_free(f->params[0]);
    ns_params_free(f->params[1]);
    ns_diags_clear(&f->diags);
    empty_dir(f->dir);
    rmdir(f->dir);
    free(f);
    return 0;
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The names in dir, sorted, joined by spaces, into out. */
static void
list_dir(const char *dir, char *out, size_t out_size)
{
    char names[32][256];
    size_t n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        assert_true(n < 32);
        snprintf(names[n++], sizeof names[0], "%s", e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], compare_names);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strncat(out, i ? " " : "", out_size - strlen(out) - 1);
        strncat(out, names[i], out_size - strlen(out) - 1);
    }
}

/* ---- a small RFC 4180 reader ---- */

struct table {
    char *header; /* owned; the first line as written */
    size_t n_cols, n_rows;
    char **cells; /* owned; [n_rows * n_cols], each owned */
};

static char *
read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        fail_msg("cannot open %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, fp)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    fclose(fp);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Parses one field at *p (quoted or not); leaves *p on the separator or
 * line end that follows it. */
static char *
parse_field(const char **p)
{
    const char *s = *p;
    size_t cap = strlen(s) + 1;
    char *out = malloc(cap);
    assert_non_null(out);
    size_t n = 0;
    if (*s == '"') {
        s++;
        for (;;) {
            assert_true(*s != '\0'); /* an unclosed quote */
            if (*s == '"' && s[1] == '"') {
                out[n++] = '"';
                s += 2;
            } else if (*s == '"') {
                s++;
                break;
            } else {
                out[n++] = *s++;
            }
        }
    } else {
        while (*s && *s != ',' && *s != '\n') {
            assert_true(*s != '"' && *s != '\r');
            out[n++] = *s++;
        }
    }
    out[n] = '\0';
    *p = s;
    return out;
}

static void
table_free(struct table *t)
{
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->header);
}

/* Reads dir/name; every line must end with '\n' and have as many fields as
 * the header. */
static void
table_read(struct table *t, const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t len;
    char *text = read_file(path, &len);
    assert_true(len > 0 && text[len - 1] == '\n');
    const char *eol = strchr(text, '\n');
    *t = (struct table){0};
    t->header = strndup(text, (size_t)(eol - text));
    t->n_cols = 1;
    for (const char *c = text; c < eol; c++)
        t->n_cols += *c == ',';
    size_t cap = 64;
    t->cells = malloc(cap * t->n_cols * sizeof *t->cells);
    assert_non_null(t->cells);
    for (const char *p = eol + 1; *p;) {
        if (t->n_rows == cap) {
            cap *= 2;
            t->cells = realloc(t->cells, cap * t->n_cols * sizeof *t->cells);
            assert_non_null(t->cells);
        }
        for (size_t c = 0; c < t->n_cols; c++) {
            t->cells[t->n_rows * t->n_cols + c] = parse_field(&p);
            assert_int_equal(*p, c + 1 < t->n_cols ? ',' : '\n');
            p++;
        }
        t->n_rows++;
    }
    free(text);
}

static size_t
col_of(const struct table *t, const char *name)
{
    size_t col = 0;
    const char *h = t->header;
    size_t len = strlen(name);
    for (;;) {
        if (strncmp(h, name, len) == 0 && (h[len] == ',' || h[len] == '\0'))
            return col;
        h = strchr(h, ',');
        if (!h)
            fail_msg("no column %s in %s", name, t->header);
        h++;
        col++;
    }
}

static const char *
cell(const struct table *t, size_t row, const char *col)
{
    return t->cells[row * t->n_cols + col_of(t, col)];
}

/* The number in a cell; NaN for an empty cell ("not applicable"). */
static double
num(const struct table *t, size_t row, const char *col)
{
    const char *s = cell(t, row, col);
    if (!*s)
        return NA;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno || !isfinite(v))
        fail_msg("%s is not a finite number in column %s", s, col);
    return v;
}

/* The one row whose first n_keys fields, joined by commas, are key. */
static size_t
row_of(const struct table *t, size_t n_keys, const char *key)
{
    size_t found = (size_t)-1;
    char joined[512];
    for (size_t r = 0; r < t->n_rows; r++) {
        joined[0] = '\0';
        for (size_t c = 0; c < n_keys; c++) {
            strncat(joined, c ? "," : "", sizeof joined - strlen(joined) - 1);
            strncat(joined, t->cells[r * t->n_cols + c],
                    sizeof joined - strlen(joined) - 1);
        }
        if (strcmp(joined, key) == 0) {
            if (found != (size_t)-1)
                fail_msg("two rows %s", key);
            found = r;
        }
    }
    if (found == (size_t)-1)
        fail_msg("no row %s", key);
    return found;
}

/* Asserts a cell against an expectation, NaN meaning an empty cell. */
static void
check_cell(const struct table *t, size_t row, const char *col, double want)
{
    double got = num(t, row, col);
    if (isnan(want)) {
        if (!isnan(got))
            fail_msg("%s in row %zu is %.17g, expected empty", col, row, got);
        return;
    }
    if (isnan(got))
        fail_msg("%s in row %zu is empty, expected %.17g", col, row, want);
    assert_close(got, want, TOL);
}

/* ---- expectations, from the closed forms in the file comment ---- */

enum { PUBLIC_SECTOR, SOCIETY, ALL_PAYERS, N_PERSPECTIVES };
static const char *const perspective_names[] = {"public_sector", "society",
                                                "all_payers"};
/* Payers in the order streams first name them. */
enum { TREATMENT_BUDGET, POLICE, NHS, VICTIMS, N_PAYERS };
static const char *const payer_names[] = {"treatment_budget", "police", "nhs",
                                          "victims"};

struct expected {
    double treatment_cost, savings, net_savings, ratio, per_place_year;
    double place_years; /* extra, undiscounted */
    size_t payback;     /* 0: not within the horizon */
    double year[N_YEARS];
    double payer[N_PAYERS]; /* all payers counted */
    double other;           /* savings on the untagged stream */
};

/* G(x) = x + x^2 + ... + x^8. */
static double
geometric(double x)
{
    if (fabs(1.0 - x) < 1e-15)
        return N_CYCLES;
    return x * (1.0 - pow(x, N_CYCLES)) / (1.0 - x);
}

/* Total of a stream worth a per cycle offending and b desisted, for a
 * cohort with q = 1 - p, with discount factor d per cycle. */
static double
stream_total(double a, double b, double q, double d)
{
    return (a - b) * geometric(q * d) + b * geometric(d);
}

/* The same counted at point t only. */
static double
stream_at(double a, double b, double q, double d, int t)
{
    return pow(d, t) * (a * pow(q, t) + b * (1.0 - pow(q, t)));
}

/* Ratios and the payback year from the (linear) sums. */
static void
finish(struct expected *e)
{
    e->ratio = e->treatment_cost > 0 ? e->savings / e->treatment_cost : NA;
    e->per_place_year =
        e->place_years > 0 ? e->net_savings / e->place_years : NA;
    e->payback = 0;
    double cumulative = 0;
    for (size_t y = 0; y < N_YEARS && !e->payback; y++) {
        cumulative += e->year[y];
        if (cumulative > 0)
            e->payback = y + 1;
    }
}

/* Treat against none for a subgroup whose comparator has p_none. */
static void
expect_group(double p_none, int perspective, bool discounted,
             struct expected *e)
{
    double qn = 1.0 - p_none, qt = 1.0 - P_TREAT;
    double d = discounted ? pow(1.0 + COST_RATE, -CYCLE_YEARS) : 1.0;
    *e = (struct expected){0};
    e->treatment_cost = stream_total(COST_TREAT, 0, qt, d);
    e->payer[TREATMENT_BUDGET] = -e->treatment_cost;
    e->payer[POLICE] =
        stream_total(C_POLICE, 0, qn, d) - stream_total(C_POLICE, 0, qt, d);
    e->payer[NHS] = stream_total(C_NHS, C_NHS_DESIST, qn, d) -
                    stream_total(C_NHS, C_NHS_DESIST, qt, d);
    e->payer[VICTIMS] =
        stream_total(C_VICTIM, 0, qn, d) - stream_total(C_VICTIM, 0, qt, d);
    e->other =
        stream_total(C_OTHER, 0, qn, d) - stream_total(C_OTHER, 0, qt, d);
    e->savings = e->payer[POLICE] + e->payer[NHS];
    if (perspective != PUBLIC_SECTOR)
        e->savings += e->payer[VICTIMS];
    if (perspective == ALL_PAYERS)
        e->savings += e->other;
    e->net_savings = e->savings - e->treatment_cost;
    e->place_years = PLACE * geometric(qt);

    /* Points 2y - 1 and 2y make year y; point 0 counts nothing (counting
     * at the end of each cycle). */
    for (int t = 1; t <= N_CYCLES; t++) {
        double s = stream_at(C_POLICE, 0, qn, d, t) -
                   stream_at(C_POLICE, 0, qt, d, t) +
                   stream_at(C_NHS, C_NHS_DESIST, qn, d, t) -
                   stream_at(C_NHS, C_NHS_DESIST, qt, d, t) -
                   stream_at(COST_TREAT, 0, qt, d, t);
        if (perspective != PUBLIC_SECTOR)
            s += stream_at(C_VICTIM, 0, qn, d, t) -
                 stream_at(C_VICTIM, 0, qt, d, t);
        if (perspective == ALL_PAYERS)
            s += stream_at(C_OTHER, 0, qn, d, t) -
                 stream_at(C_OTHER, 0, qt, d, t);
        e->year[(t - 1) / 2] += s;
    }
    finish(e);
}

/* Subgroup "no_crack", "crack" or "all" (the weighted sum). */
static void
expect(const char *group, int perspective, bool discounted, struct expected *e)
{
    if (strcmp(group, "no_crack") == 0) {
        expect_group(P_NONE_A, perspective, discounted, e);
        return;
    }
    if (strcmp(group, "crack") == 0) {
        expect_group(P_NONE_B, perspective, discounted, e);
        return;
    }
    struct expected a, b;
    expect_group(P_NONE_A, perspective, discounted, &a);
    expect_group(P_NONE_B, perspective, discounted, &b);
    *e = (struct expected){0};
#define POOL(field) e->field = W_A * a.field + W_B * b.field
    POOL(treatment_cost);
    POOL(savings);
    POOL(net_savings);
    POOL(place_years);
    POOL(other);
    for (size_t y = 0; y < N_YEARS; y++)
        POOL(year[y]);
    for (size_t p = 0; p < N_PAYERS; p++)
        POOL(payer[p]);
#undef POOL
    finish(e);
}

static const char *const groups[] = {"no_crack", "crack", "all"};

/* ---- tests ---- */

static void
csv_files_have_exact_headers(void **state)
{
    struct fx *f = *state;
    build(f, 2, NULL);
    assert_int_equal(
        ns_csv_write_population(f->dir, f->pop, NULL,
                                f->err, sizeof f->err), NS_OK);
    static const char *const headers[N_CSV] = {
        "strategy,cycle,state,occupancy",
        "strategy,cycle,stream,undiscounted,discounted",
        "strategy,stream,outcome,total,discounted_total,comparator,"
        "difference,discounted_difference,wtp,net_monetary_benefit,"
        "net_health_benefit",
        "strategy,comparator,delta_cost,delta_health,icer,dominance,"
        "discounted",
        "strategy,comparator,subgroup,perspective,discounted,treatment_cost,"
        "savings,net_savings,benefit_cost_ratio,payback_year,"
        "net_savings_per_place_year,net_savings_for_cohort",
        "strategy,comparator,subgroup,discounted,payer,savings",
        "strategy,comparator,subgroup,perspective,discounted,year,"
        "net_savings,cumulative_net_savings",
        "strategy,comparator,subgroup,outcome,total,comparator_total,"
        "difference",
        "time_years,arms,measure,note,observed,predicted,difference,"
        "tolerance,within_tolerance,grade,binding,source,role,subgroup,"
        "relative_to,period_years",
        "subgroup,strategy,cost,health,delta_cost,delta_health,icer,status,"
        "previous_on_frontier,wtp,net_monetary_benefit,net_health_benefit",
        "area,strategy,comparator,perspective,discounted,year,starts,"
        "treatment_cost,savings,net_savings,cumulative_net_savings",
        "area,strategy,comparator,discounted,year,payer,savings",
    };
    for (size_t i = 0; i < N_CSV; i++) {
        struct table t;
        table_read(&t, f->dir, csv_names[i]);
        assert_string_equal(t.header, headers[i]);
        table_free(&t);
    }
    char listing[1024];
    list_dir(f->dir, listing, sizeof listing);
    assert_string_equal(listing,
                        "area.csv area_payers.csv frontier.csv "
                        "incremental.csv net_savings.csv "
                        "net_savings_by_year.csv outcomes.csv payers.csv "
                        "summary.csv trace.csv validation.csv values.csv");
}

static void
csv_net_savings_match_closed_forms(void **state)
{
    struct fx *f = *state;
    build(f, 2, NULL);
    assert_int_equal(
        ns_csv_write_population(f->dir, f->pop, NULL,
                                f->err, sizeof f->err), NS_OK);
    struct table t;
    table_read(&t, f->dir, "net_savings.csv");
    /* One strategy with a comparator x 3 subgroup rows x 3 perspectives x
     * 2 bases, nested in that order, undiscounted first. */
    assert_int_equal(t.n_rows, 3 * N_PERSPECTIVES * 2);
    size_t row = 0;
    for (size_t g = 0; g < 3; g++)
        for (int p = 0; p < N_PERSPECTIVES; p++)
            for (int disc = 0; disc <= 1; disc++, row++) {
                char key[128];
                snprintf(key, sizeof key, "treat,none,%s,%s,%d", groups[g],
                         perspective_names[p], disc);
                assert_int_equal(row_of(&t, 5, key), row);
                struct expected e;
                expect(groups[g], p, disc, &e);
                check_cell(&t, row, "treatment_cost", e.treatment_cost);
                check_cell(&t, row, "savings", e.savings);
                check_cell(&t, row, "net_savings", e.net_savings);
                check_cell(&t, row, "benefit_cost_ratio", e.ratio);
                check_cell(&t, row, "payback_year",
                           e.payback ? (double)e.payback : NA);
                check_cell(&t, row, "net_savings_per_place_year",
                           e.per_place_year);
            }
    /* The cases the numbers were chosen for (see the file comment). */
    size_t r = row_of(&t, 5, "treat,none,all,public_sector,1");
    assert_string_equal(cell(&t, r, "payback_year"), "");
    r = row_of(&t, 5, "treat,none,no_crack,society,1");
    assert_string_equal(cell(&t, r, "payback_year"), "3");
    r = row_of(&t, 5, "treat,none,crack,society,1");
    assert_string_equal(cell(&t, r, "payback_year"), "4");
    table_free(&t);
}

static void
csv_pooled_is_weighted_sum_of_subgroups(void **state)
{
    struct fx *f = *state;
    build(f, 2, NULL);
    assert_int_equal(
        ns_csv_write_population(f->dir, f->pop, NULL,
                                f->err, sizeof f->err), NS_OK);
    static const char *const linear[] = {"treatment_cost", "savings",
                                         "net_savings"};
    struct table t;
    table_read(&t, f->dir, "net_savings.csv");
    char key[128];
    for (int p = 0; p < N_PERSPECTIVES; p++)
        for (int disc = 0; disc <= 1; disc++) {
            size_t r[3];
            for (size_t g = 0; g < 3; g++) {
                snprintf(key, sizeof key, "treat,none,%s,%s,%d", groups[g],
                         perspective_names[p], disc);
                r[g] = row_of(&t, 5, key);
            }
            for (size_t i = 0; i < 3; i++)
                assert_close(num(&t, r[2], linear[i]),
                             W_A * num(&t, r[0], linear[i]) +
                                 W_B * num(&t, r[1], linear[i]),
                             TOL);
            /* A ratio of pooled sums, not a weighted mean of ratios. */
            assert_close(num(&t, r[2], "benefit_cost_ratio"),
                         num(&t, r[2], "savings") /
                             num(&t, r[2], "treatment_cost"),
                         TOL);
        }
    table_free(&t);

    table_read(&t, f->dir, "payers.csv");
    for (int disc = 0; disc <= 1; disc++)
        for (size_t p = 0; p < N_PAYERS; p++) {
            size_t r[3];
            for (size_t g = 0; g < 3; g++) {
                snprintf(key, sizeof key, "treat,none,%s,%d,%s", groups[g],
                         disc, payer_names[p]);
                r[g] = row_of(&t, 5, key);
            }
            assert_close(num(&t, r[2], "savings"),
                         W_A * num(&t, r[0], "savings") +
                             W_B * num(&t, r[1], "savings"),
                         TOL);
        }
    table_free(&t);

    /* The pooled trace.csv is the weighted sum of the subgroups' traces. */
    table_read(&t, f->dir, "trace.csv");
    assert_int_equal(t.n_rows, 2 * (N_CYCLES + 1) * 2);
    const struct ns_results *ra = f->pop->results[0];
    const struct ns_results *rb = f->pop->results[1];
    for (size_t k = 0; k < 2; k++)
        for (size_t c = 0; c <= N_CYCLES; c++)
            for (size_t s = 0; s < 2; s++) {
                size_t row = (k * (N_CYCLES + 1) + c) * 2 + s;
                assert_close(num(&t, row, "occupancy"),
                             W_A * ns_results_trace(ra, k, c, s) +
                                 W_B * ns_results_trace(rb, k, c, s),
                             TOL);
            }
    /* And the subgroups' traces are the closed form q^t. */
    double qb = 1.0 - P_NONE_B;
    assert_close(ns_results_trace(rb, 0, 5, 0), pow(qb, 5), TOL);
    table_free(&t);
}

static void
csv_payers_split_the_savings(void **state)
{
    struct fx *f = *state;
    build(f, 2, NULL);
    assert_int_equal(
        ns_csv_write_population(f->dir, f->pop, NULL,
                                f->err, sizeof f->err), NS_OK);
    struct table t, ns;
    table_read(&t, f->dir, "payers.csv");
    table_read(&ns, f->dir, "net_savings.csv");
    assert_int_equal(t.n_rows, 3 * 2 * N_PAYERS);
    size_t row = 0;
    char key[128];
    for (size_t g = 0; g < 3; g++)
        for (int disc = 0; disc <= 1; disc++) {
            struct expected e;
            expect(groups[g], ALL_PAYERS, disc, &e);
            double sum = 0;
            for (size_t p = 0; p < N_PAYERS; p++, row++) {
                /* Payers in the order the streams first name them. */
                assert_string_equal(cell(&t, row, "payer"), payer_names[p]);
                snprintf(key, sizeof key, "treat,none,%s,%d,%s", groups[g],
                         disc, payer_names[p]);
                assert_int_equal(row_of(&t, 5, key), row);
                check_cell(&t, row, "savings", e.payer[p]);
                sum += num(&t, row, "savings");
            }
            /* The payers plus the untagged stream are every payer's net
             * savings; the treatment budget carries the treatment. */
            snprintf(key, sizeof key, "treat,none,%s,all_payers,%d", groups[g],
                     disc);
            size_t r = row_of(&ns, 5, key);
            assert_close(sum + e.other, num(&ns, r, "net_savings"), TOL);
            assert_close(-e.payer[TREATMENT_BUDGET],
                         num(&ns, r, "treatment_cost"), TOL);
        }
    table_free(&ns);
    table_free(&t);
}

static void
csv_by_year_adds_up_to_the_total(void **state)
{
    struct fx *f = *state;
    build(f, 2, NULL);
    assert_int_equal(
        ns_csv_write_population(f->dir, f->pop, NULL,
                                f->err, sizeof f->err), NS_OK);
    struct table t, ns;
    table_read(&t, f->dir, "net_savings_by_year.csv");
    table_read(&ns, f->dir, "net_savings.csv");
    assert_int_equal(t.n_rows, 3 * N_PERSPECTIVES * 2 * N_YEARS);
    char key[128];
    size_t row = 0;
    for (size_t g = 0; g < 3; g++)
        for (int p = 0; p < N_PERSPECTIVES; p++)
            for (int disc = 0; disc <= 1; disc++) {
                struct expected e;
                expect(groups[g], p, disc, &e);
                double cumulative = 0;
                size_t first_positive = 0;
                for (size_t y = 0; y < N_YEARS; y++, row++) {
                    snprintf(key, sizeof key, "treat,none,%s,%s,%d,%zu",
                             groups[g], perspective_names[p], disc, y + 1);
                    assert_int_equal(row_of(&t, 6, key), row);
                    cumulative += e.year[y];
                    check_cell(&t, row, "net_savings", e.year[y]);
                    check_cell(&t, row, "cumulative_net_savings", cumulative);
                    if (!first_positive &&
                        num(&t, row, "cumulative_net_savings") > 0)
                        first_positive = y + 1;
                }
                /* The last cumulative value is the total, and the payback
                 * year is where the cumulative column turns positive. */
                snprintf(key, sizeof key, "treat,none,%s,%s,%d", groups[g],
                         perspective_names[p], disc);
                size_t r = row_of(&ns, 5, key);
                assert_close(cumulative, num(&ns, r, "net_savings"), TOL);
                check_cell(&ns, r, "payback_year",
                           first_positive ? (double)first_positive : NA);
            }
    table_free(&ns);
    table_free(&t);
}

static void
csv_outcomes_are_in_natural_units(void **state)
{
    struct fx *f = *state;
    build(f, 2, NULL);
    assert_int_equal(
        ns_csv_write_population(f->dir, f->pop, NULL,
                                f->err, sizeof f->err), NS_OK);
    struct table t;
    table_read(&t, f->dir, "outcomes.csv");
    assert_int_equal(t.n_rows, 3 * 3);
    static const char *const outcomes[] = {"costs", "places", "offences"};
    size_t row = 0;
    for (size_t g = 0; g < 3; g++) {
        double qt = 1.0 - P_TREAT;
        double q[2] = {1.0 - P_NONE_A, 1.0 - P_NONE_B};
        double w[2] = {g == 1   ? 0.0
                       : g == 0 ? 1.0
                                : W_A,
                       g == 0   ? 0.0
                       : g == 1 ? 1.0
                                : W_B};
        /* Undiscounted totals of each outcome, treat and none. */
        double want[3][2] = {{0}};
        for (size_t i = 0; i < 2; i++) {
            double cost_none = stream_total(C_POLICE, 0, q[i], 1) +
                               stream_total(C_NHS, C_NHS_DESIST, q[i], 1) +
                               stream_total(C_VICTIM, 0, q[i], 1) +
                               stream_total(C_OTHER, 0, q[i], 1);
            double cost_treat = stream_total(COST_TREAT, 0, qt, 1) +
                                stream_total(C_POLICE, 0, qt, 1) +
                                stream_total(C_NHS, C_NHS_DESIST, qt, 1) +
                                stream_total(C_VICTIM, 0, qt, 1) +
                                stream_total(C_OTHER, 0, qt, 1);
            want[0][0] += w[i] * cost_treat;
            want[0][1] += w[i] * cost_none;
            want[1][0] += w[i] * PLACE * geometric(qt);
            want[2][0] += w[i] * OFFENCES * geometric(qt);
            want[2][1] += w[i] * OFFENCES * geometric(q[i]);
        }
        for (size_t o = 0; o < 3; o++, row++) {
            char key[128];
            snprintf(key, sizeof key, "treat,none,%s,%s", groups[g],
                     outcomes[o]);
            assert_int_equal(row_of(&t, 4, key), row);
            check_cell(&t, row, "total", want[o][0]);
            check_cell(&t, row, "comparator_total", want[o][1]);
            check_cell(&t, row, "difference", want[o][0] - want[o][1]);
        }
    }
    table_free(&t);
}

static void
csv_single_subgroup_has_pooled_rows_only(void **state)
{
    struct fx *f = *state;
    build(f, 1, NULL);
    assert_int_equal(
        ns_csv_write_population(f->dir, f->pop, NULL,
                                f->err, sizeof f->err), NS_OK);
    struct table t;
    table_read(&t, f->dir, "net_savings.csv");
    assert_int_equal(t.n_rows, N_PERSPECTIVES * 2);
    for (size_t r = 0; r < t.n_rows; r++)
        assert_string_equal(cell(&t, r, "subgroup"), "all");
    size_t r = row_of(&t, 5, "treat,none,all,society,1");
    struct expected e;
    expect_group(P_NONE_A, SOCIETY, true, &e);
    check_cell(&t, r, "net_savings", e.net_savings);
    table_free(&t);
}

static void
csv_refuses_subgroups_that_count_payers_differently(void **state)
{
    struct fx *f = *state;
    /* The second subgroup's public sector leaves out the NHS: pooling its
     * net savings with the first's would add unlike things, so the
     * population is refused before anything could be written. */
    const char *sets_b[] = {"parameters.p_desist=0.0917",
                            "perspectives.public_sector=treatment_budget, "
                            "police",
                            NULL};
    struct ns_model *models[2] = {compile_with(f, 0, NULL),
                                  compile_with(f, 1, sets_b)};
    const char *names[] = {"no_crack", "crack"};
    const double weights[] = {W_A, W_B};
    assert_int_equal(ns_population_alloc(models, names, weights, 2, &f->pop,
                                         &f->diags),
                     NS_EPARAM);
    assert_null(f->pop);
    assert_int_equal(f->diags.count, 1);
    assert_string_equal(
        f->diags.items[0].text,
        "subgroup crack changes the model's structure (states, strategies, "
        "comparators, streams and their tags, outcomes, perspectives, "
        "cycles); a subgroup may only change values");
    char listing[256];
    list_dir(f->dir, listing, sizeof listing);
    assert_string_equal(listing, "");
}

/* The model core's figures the writers format: whether results belong to
 * a model, the cohort, the payback year as a count and net savings per
 * place-year (model/results.h, model/ledger.h). */
static void
results_and_ledger_figures_for_the_writers(void **state)
{
    struct fx *f = *state;
    build(f, 2, NULL);
    const struct ns_model *m = f->pop->models[0];
    const struct ns_results *r = f->pop->results[0];
    assert_true(ns_results_match(m, r));
    assert_false(ns_results_match(m, NULL));
    struct ns_results bad;
    size_t *dims[] = {&bad.n_strategies, &bad.n_points,  &bad.n_states,
                      &bad.n_streams,    &bad.n_outcomes, &bad.n_params};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        bad = *r;
        (*dims[i])++;
        assert_false(ns_results_match(m, &bad));
    }

    /* One client starts offending in every strategy. */
    assert_true(fabs(ns_results_cohort(r, 0) - 1.0) < TOL);
    assert_true(fabs(ns_results_cohort(r, 1) - 1.0) < TOL);

    struct ns_ledger led;
    ns_ledger_compute(m, r, 1, NS_ALL_PAYERS, true, &led, NULL);
    assert_true(led.valid);
    /* A place-year per cycle in treatment is PLACE, undiscounted. */
    double extra = PLACE * geometric(1.0 - P_TREAT);
    assert_true(fabs(ns_ledger_per_place_year(m, r, 1, &led) -
                     led.net_savings / extra) < TOL * fabs(led.net_savings));
    struct ns_model no_places = *m;
    no_places.place_outcome = -1;
    assert_true(isnan(ns_ledger_per_place_year(&no_places, r, 1, &led)));

    /* Society breaks even within the horizon, the payback year is the
     * ledger's, as a count; none is 0. */
    assert_false(isnan(led.payback_year));
    assert_int_equal(ns_ledger_payback(&led), (size_t)led.payback_year);
    assert_true(ns_ledger_payback(&led) >= 1 &&
                ns_ledger_payback(&led) <= N_YEARS);
    led.payback_year = NA;
    assert_int_equal(ns_ledger_payback(&led), 0);

    /* Strategy 0 has no comparator: no ledger, no figures. */
    ns_ledger_compute(m, r, 0, NS_ALL_PAYERS, true, &led, NULL);
    assert_false(led.valid);
    assert_int_equal(ns_ledger_payback(&led), 0);
    assert_true(isnan(ns_ledger_per_place_year(m, r, 0, &led)));
}

/* ns_population_check refuses what the writers cannot index: results of
 * another size, subgroups whose ledgers read differently. */
static void
population_check_refuses_what_writers_cannot_index(void **state)
{
    struct fx *f = *state;
    build(f, 2, NULL);
    assert_null(ns_population_check(f->pop));
    f->pop->results[1]->n_params++;
    assert_string_equal(ns_population_check(f->pop),
                        "results do not match the model");
    assert_int_equal(
        ns_csv_write_population(f->dir, f->pop, NULL, f->err, sizeof f->err),
        NS_EOUTPUT);
    f->pop->results[1]->n_params--;
    double cycle = f->pop->models[1]->cycle_length_years;
    f->pop->models[1]->cycle_length_years = 2.0 * cycle;
    assert_non_null(strstr(ns_population_check(f->pop), "cycle length"));
    f->pop->models[1]->cycle_length_years = cycle;
    assert_null(ns_population_check(f->pop));
    char listing[256];
    list_dir(f->dir, listing, sizeof listing);
    assert_string_equal(listing, "");
}

/* Reads a whole file; fails when it does not exist. */
static char *
slurp(const char *path, size_t *len)
{
    return read_file(path, len);
}

static void
xlsx_workbook_is_written_reproducibly(void **state)
{
    struct fx *f = *state;
    build(f, 2, NULL);
    const char *files[] = {"test.ini"};
    const char *hashes[] = {"0123abcd"};
    const time_t when = 1714572202; /* 2024-05-01T14:03:22Z */
    struct ns_run_info info = {.version = NS_VERSION,
                               .command_line = "netsave run test.ini",
                               .run_time = &when,
                               .input_files = files,
                               .input_hashes = hashes,
                               .n_inputs = 1};
    char path[256];
    snprintf(path, sizeof path, "%s/results.xlsx", f->dir);
    assert_int_equal(
        ns_xlsx_write_population(path, f->pop, &info, f->err, sizeof f->err),
        NS_OK);
    size_t len1, len2;
    char *first = slurp(path, &len1);
    assert_true(len1 > 4);
    assert_memory_equal(first, "PK\x03\x04", 4);

    /* Writing again replaces the file with the very same bytes and leaves
     * nothing else in the folder. */
    assert_int_equal(
        ns_xlsx_write_population(path, f->pop, &info, f->err, sizeof f->err),
        NS_OK);
    char *second = slurp(path, &len2);
    assert_int_equal(len1, len2);
    assert_memory_equal(first, second, len1);
    free(first);
    free(second);
    char listing[256];
    list_dir(f->dir, listing, sizeof listing);
    assert_string_equal(listing, "results.xlsx");
}

static void
xlsx_single_subgroup_and_bad_destination(void **state)
{
    struct fx *f = *state;
    build(f, 1, NULL);
    char path[256];
    /* A destination that is a folder is refused and left alone. */
    snprintf(path, sizeof path, "%s/book.xlsx", f->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(
        ns_xlsx_write_population(path, f->pop, NULL, f->err, sizeof f->err),
        NS_EIO);
    assert_non_null(strstr(f->err, "is a directory"));
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(
        ns_xlsx_write_population(path, f->pop, NULL, f->err, sizeof f->err),
        NS_OK);
    char listing[256];
    list_dir(f->dir, listing, sizeof listing);
    assert_string_equal(listing, "book.xlsx");
}

int
main(void)
{
    feenableexcept(FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW);
    const struct CMUnitTest tests[] = {
#define T_(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T_(csv_files_have_exact_headers),
        T_(csv_net_savings_match_closed_forms),
        T_(csv_pooled_is_weighted_sum_of_subgroups),
        T_(csv_payers_split_the_savings),
        T_(csv_by_year_adds_up_to_the_total),
        T_(csv_outcomes_are_in_natural_units),
        T_(csv_single_subgroup_has_pooled_rows_only),
        T_(csv_refuses_subgroups_that_count_payers_differently),
        T_(results_and_ledger_figures_for_the_writers),
        T_(population_check_refuses_what_writers_cannot_index),
        T_(xlsx_workbook_is_written_reproducibly),
        T_(xlsx_single_subgroup_and_bad_destination),
#undef T_
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

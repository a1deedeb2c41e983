/* netsave: every command-line option, declared once, and the parser.
 *
 * An option is a name (and perhaps a one-letter alias), the kind of value
 * it takes, the limits of that value and where the parser stores it. A
 * command lists the options it accepts (cli/commands.c); the parser
 * refuses the others, and --help prints the accepted ones from here, so
 * the help, the limits and the checks cannot drift apart. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "model/analysis/attrition.h"
#include "model/analysis/calibrate.h"
#include "model/analysis/dsa.h"
#include "model/analysis/psa.h"
#include "model/number.h"

/* Stringifies a numeric default for the help text. */

enum kind {
    FLAG,   /* bool */
    TEXT,   /* const char *; the last one given wins */
    LIST,   /* struct ns_cli_list; each one is kept */
    COUNT,  /* unsigned long within [min, max] */
    SHARE,  /* double within [0, 1] */
    RANGE,  /* double[2]: LOW,HIGH with LOW < HIGH */
    AMOUNT, /* double within [min, max] */
    CHOICE  /* const char *, one of the words in choices */
};

struct option {
    const char *name;   /* "--grid" */
    const char *alias;  /* "-o", or NULL */
    const char *arg;    /* the value's name in help ("N"), NULL for FLAG */
    enum kind kind;
    size_t offset;      /* of the value in struct ns_cli_args */
    unsigned long min, max; /* COUNT */
    const char *choices;    /* CHOICE: words separated by '|' */
    bool path;          /* a file or folder: an empty value is refused */
    const char *needs;  /* what a bad value is told it needs */
    const char *help;
};

#define AT(field) offsetof(struct ns_cli_args, field)

static const struct option options[NS_OPT_COUNT] = {
    [NS_OPT_HELP] = {"--help", "-h", NULL, FLAG, AT(help), 0, 0, NULL, false,
                     NULL, "show this help"},
    [NS_OPT_SET] = {"--set", NULL, "SECTION.KEY=VALUE", LIST, AT(sets), 0, 0,
                    NULL, false, "a value",
                    "override one key, e.g. --set model.n_cycles=10"},
    [NS_OPT_OUTPUT] = {"--output", "-o", "FILE.xlsx", TEXT, AT(output), 0, 0,
                       NULL, true, "a value",
                       "write the workbook (written atomically)"},
    [NS_OPT_CSV] = {"--csv", NULL, "DIR", TEXT, AT(csv_dir), 0, 0, NULL, true,
                    "a value",
                    "write the CSV files into DIR (created if needed)"},
    [NS_OPT_PERSPECTIVE] = {"--perspective", NULL, "NAME", TEXT,
                            AT(perspective), 0, 0, NULL, false, "a name",
                            "whose savings count (a perspective of the "
                            "model, or all_payers); default the model's "
                            "first"},
    [NS_OPT_VERIFY] = {"--verify", NULL, NULL, FLAG, AT(verify), 0, 0, NULL,
                       false, NULL, "also run the verification checks"},
    [NS_OPT_STARTS] = {"--starts", NULL, "N", COUNT, AT(starts), 1,
                       NS_CALIBRATE_STARTS_MAX, NULL, false,
                       "a whole number from 1 to " NS_STR(
                           NS_CALIBRATE_STARTS_MAX),
                       "starting points of the simplex (default " NS_STR(
                           NS_CALIBRATE_STARTS_DEFAULT) ")"},
    [NS_OPT_SEED] = {"--seed", NULL, "S", COUNT, AT(seed), 0, ULONG_MAX, NULL,
                     false, "a whole number", "seed of the random numbers"},
    [NS_OPT_ALL_TARGETS] = {"--all-targets", NULL, NULL, FLAG,
                            AT(all_targets), 0, 0, NULL, false, NULL,
                            "fit every fit target, of any grade"},
    [NS_OPT_DRAWS] = {"-n", NULL, "DRAWS", COUNT, AT(n_draws), 1,
                      NS_PSA_MAX_DRAWS, NULL, false,
                      "a whole number from 1 to " NS_STR(NS_PSA_MAX_DRAWS),
                      "draws to run (required)"},
    [NS_OPT_THREADS] = {"-j", NULL, "THREADS", COUNT, AT(threads), 1,
                        NS_PSA_MAX_THREADS, NULL, false,
                        "a whole number from 1 to " NS_STR(
                            NS_PSA_MAX_THREADS),
                        "threads (default: one per processor online; the "
                        "results do not depend on it)"},
    [NS_OPT_WRITE_DRAWS] = {"--draws", NULL, NULL, FLAG, AT(write_draws), 0,
                            0, NULL, false, NULL,
                            "with --csv, also write psa_draws.csv"},
    [NS_OPT_EVPPI] = {"--evppi", NULL, NULL, FLAG, AT(evppi), 0, 0, NULL,
                      false, NULL,
                      "also the expected value of partial perfect "
                      "information per parameter and [parameter_groups] "
                      "group: printed, evppi.csv with --csv, an EVPPI "
                      "sheet with -o"},
    [NS_OPT_PARAM] = {"--param", NULL, "NAME", LIST, AT(params), 0, 0, NULL,
                      false, "a value", "the parameter"},
    [NS_OPT_TWO_WAY] = {"--two-way", NULL, "A,B", TEXT, AT(two_way), 0, 0,
                        NULL, false, "a value",
                        "a two-way grid over the ranges of A and B"},
    [NS_OPT_GRID] = {"--grid", NULL, "N", COUNT, AT(grid), NS_DSA_GRID_MIN,
                     NS_DSA_GRID_MAX, NULL, false,
                     "a whole number from " NS_STR(
                         NS_DSA_GRID_MIN) " to " NS_STR(NS_DSA_GRID_MAX),
                     "values per parameter of the two-way grid (default " NS_STR(
                         NS_DSA_GRID_DEFAULT) ")"},
    [NS_OPT_RANGE] = {"--range", NULL, "LOW,HIGH", RANGE, AT(range), 0, 0,
                      NULL, false, "LOW,HIGH with LOW < HIGH",
                      "the range searched (required)"},
    [NS_OPT_TARGET] = {"--target", NULL, "WHAT", CHOICE, AT(target), 0, 0,
                       "net_savings|best_modality", false,
                       "net_savings or best_modality",
                       "net_savings (default): where each strategy's net "
                       "savings reach zero; best_modality: where the "
                       "strategy with the highest net savings changes"},
    [NS_OPT_BASE] = {"--base", NULL, "MODEL.ini", LIST, AT(bases), 0, 0, NULL,
                     true, "a file",
                     "the base model's files (default: the built-in "
                     "England model)"},
    [NS_OPT_ANCHORS] = {"--anchors", NULL, "FILE.csv", TEXT,
                        AT(anchors_file), 0, 0, NULL, true, "a file",
                        "the anchors file"},
    [NS_OPT_PLACES] = {"--places", NULL, "STRATEGY=PLACES", LIST, AT(places),
                       0, 0, NULL, false, "STRATEGY=PLACES",
                       "extra places of a strategy: a number, or an "
                       "expression of time in years"},
    [NS_OPT_DELTA] = {"--delta", NULL, "D", SHARE, AT(delta), 0, 0, NULL,
                      false, "a share from 0 to 1",
                      "how much worse the lost did (default " NS_STR(
                          NS_ATTRITION_DELTA_DEFAULT) ")"},
    [NS_OPT_NORMS] = {"--norms", NULL, "FILE.csv", TEXT, AT(norms_file), 0,
                      0, NULL, true, "a file",
                      "the norms (default: benchmark-norms.csv beside the "
                      "first model file, or params/benchmark-norms.csv for "
                      "the built-in model)"},
    [NS_OPT_OVERDISPERSION] = {"--overdispersion", NULL, "HOW", CHOICE,
                               AT(overdispersion), 0, 0,
                               "multiplicative|additive|none", false,
                               "multiplicative, additive or none",
                               "how limits widen when services vary more "
                               "than chance allows (Spiegelhalter 2005): "
                               "multiplicative (default), additive (random "
                               "effects) or none"},
    [NS_OPT_WTP] = {"--wtp", NULL, "AMOUNT", AMOUNT, AT(wtp), 1, 1000000000,
                    NULL, false, "a willingness to pay from 1 to 1e9",
                    "willingness to pay per unit of health for the net "
                    "monetary and net health benefits (replaces the "
                    "model's [model] wtp)"},
    [NS_OPT_AREA] = {"--area", NULL, "NAME", TEXT, AT(area_name), 0, 0, NULL,
                     false, "a name",
                     "write DIR/area.ini instead: a commented [area] "
                     "section for the model (--base, or the built-in one) "
                     "naming the area NAME, to fill in with clients "
                     "starting each year and run on top of the model"},
    [NS_OPT_TIPPING] = {"--tipping", NULL, NULL, FLAG, AT(tipping), 0, 0,
                        NULL, false, NULL,
                        "also find each strategy's tipping point (slow: a "
                        "fit per step)"},
};

static void *
field(struct ns_cli_args *a, const struct option *o)
{
    return (char *)a + o->offset;
}

static bool
accepts(const struct ns_cli_command *c, enum ns_cli_option_id id)
{
    if (id == NS_OPT_HELP)
        return true;
    for (const struct ns_cli_accepts *p = c->options; p->id != NS_OPT_END;
         p++)
        if (p->id == id)
            return true;
    return false;
}

/* The option arg names: its name or alias, with "=VALUE" cut off into
 * *inline_value. */
static long
option_named(const struct ns_cli_command *c, const char *arg,
             const char **inline_value)
{
    *inline_value = NULL;
    for (size_t i = 0; i < NS_OPT_COUNT; i++) {
        const struct option *o = &options[i];
        size_t n = strlen(o->name);
        bool exact = strcmp(arg, o->name) == 0 ||
                     (o->alias && strcmp(arg, o->alias) == 0);
        bool with_value = o->kind != FLAG && o->name[1] == '-' &&
                          strncmp(arg, o->name, n) == 0 && arg[n] == '=';
        if (!exact && !with_value)
            continue;
        if (!accepts(c, (enum ns_cli_option_id)i))
            return -1;
        if (with_value)
            *inline_value = arg + n + 1;
        return (long)i;
    }
    return -1;
}

static bool
parse_count(const struct option *o, const char *v, unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (end == v || *end || v[0] == '-' || v[0] == '+' || errno ||
        n < o->min || n > o->max)
        return false;
    *out = n;
    return true;
}

static bool
parse_range(const char *v, double *range)
{
    const char *comma = strchr(v, ',');
    if (!comma || comma == v)
        return false;
    char low[64];
    size_t n = (size_t)(comma - v);
    if (n >= sizeof low)
        return false;
    memcpy(low, v, n);
    low[n] = '\0';
    return ns_parse_number(low, &range[0]) == 0 &&
           ns_parse_number(comma + 1, &range[1]) == 0 && range[0] < range[1];
}

static bool
one_of(const char *choices, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0)
            return true;
        p += len + (bar ? 1 : 0);
    }
    return false;
}

/* Stores value v of option o; false when it is not a value o takes. */
static bool
store(struct ns_cli_args *a, const struct option *o, const char *v)
{
    void *f = field(a, o);
    double share;
    switch (o->kind) {
    case FLAG:
        *(bool *)f = true;
        return true;
    case TEXT:
        *(const char **)f = v;
        return true;
    case LIST: {
        struct ns_cli_list *l = f;
        if (o == &options[NS_OPT_PLACES] && !strchr(v, '='))
            return false;
        l->items[l->n++] = v;
        return true;
    }
    case COUNT:
        return parse_count(o, v, f);
    case SHARE:
        if (ns_parse_number(v, &share) != 0 || !(share >= 0.0 && share <= 1.0))
            return false;
        *(double *)f = share;
        return true;
    case RANGE:
        return parse_range(v, f);
    case AMOUNT:
        if (ns_parse_number(v, &share) != 0 || !(share >= (double)o->min &&
                                                  share <= (double)o->max))
            return false;
        *(double *)f = share;
        return true;
    case CHOICE:
        *(const char **)f = v;
        return one_of(o->choices, v);
    }
    return false;
}

static int
bad_value(const struct ns_cli_command *c, const struct option *o,
          const char *v)
{
    if (v)
        fprintf(stderr, "netsave %s: %s needs %s, got '%s'\n", c->name,
                o->name, o->needs, v);
    else
        fprintf(stderr, "netsave %s: %s needs %s\n", c->name, o->name,
                o->needs);
    return NS_EXIT_BAD_INPUT;
}

/* An empty path names no file (and "" + "/x" would be "/x"): refused. */
static bool
paths_named(const struct ns_cli_args *a)
{
    const char *what = NULL;
    for (size_t i = 0; i < a->files.n && !what; i++)
        if (!a->files.items[i][0])
            what = a->command->operand;
    for (size_t i = 0; i < NS_OPT_COUNT && !what; i++) {
        const struct option *o = &options[i];
        if (!o->path || !a->given[i])
            continue;
        void *f = field((struct ns_cli_args *)a, o);
        if (o->kind == TEXT && !(*(const char **)f)[0])
            what = o->alias ? o->alias : o->name;
        for (size_t j = 0; o->kind == LIST && j < ((struct ns_cli_list *)f)->n;
             j++)
            if (!((struct ns_cli_list *)f)->items[j][0])
                what = o->name;
    }
    if (what)
        fprintf(stderr, "netsave %s: %s needs a path, got an empty one\n",
                a->command->name, what);
    return !what;
}

/* The default number of PSA threads: one per processor online (results
 * are the same for any number), at most what -j allows. */
static unsigned long
online_processors(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > NS_PSA_MAX_THREADS ? NS_PSA_MAX_THREADS
                                              : (unsigned long)n;
}

static bool
lists_alloc(struct ns_cli_args *a, int argc)
{
    struct ns_cli_list *lists[] = {&a->files, &a->sets, &a->params,
                                   &a->bases, &a->places};
    bool ok = true;
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
        lists[i]->items = calloc((size_t)argc + 1, sizeof *lists[i]->items);
        ok = ok && lists[i]->items;
    }
    return ok;
}

int
ns_cli_parse(const struct ns_cli_command *c, int argc, char **argv,
             struct ns_cli_args *a)
{
    *a = (struct ns_cli_args){.command = c,
                              .argc = argc,
                              .argv = argv,
                              .starts = NS_CALIBRATE_STARTS_DEFAULT,
                              .seed = NS_CALIBRATE_SEED_DEFAULT,
                              .threads = online_processors(),
                              .grid = NS_DSA_GRID_DEFAULT,
                              .delta = NS_ATTRITION_DELTA_DEFAULT};
    if (!lists_alloc(a, argc)) {
        fprintf(stderr, "netsave: out of memory\n");
        return NS_EXIT_FAILURE;
    }
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i], *v;
        if (arg[0] != '-' || arg[1] == '\0') {
            a->files.items[a->files.n++] = arg;
            continue;
        }
        long id = option_named(c, arg, &v);
        if (id < 0) {
            fprintf(stderr,
                    "netsave %s: unknown option '%s' (see netsave %s "
                    "--help)\n",
                    c->name, arg, c->name);
            return NS_EXIT_BAD_INPUT;
        }
        const struct option *o = &options[id];
        /* A second value would silently replace the first: which one the
         * user meant is not for netsave to guess. */
        if (a->given[id] && o->kind != LIST && o->kind != FLAG) {
            fprintf(stderr, "netsave %s: %.*s is given twice\n", c->name,
                    (int)strcspn(arg, "="), arg);
            return NS_EXIT_BAD_INPUT;
        }
        if (o->kind != FLAG && !v) {
            if (i + 1 >= argc)
                return bad_value(c, o, NULL);
            v = argv[++i];
        }
        if (!store(a, o, v))
            return bad_value(c, o, v);
        a->given[id] = true;
    }
    return paths_named(a) ? NS_EXIT_OK : NS_EXIT_BAD_INPUT;
}

void
ns_cli_args_clear(struct ns_cli_args *a)
{
    free(a->files.items);
    free(a->sets.items);
    free(a->params.items);
    free(a->bases.items);
    free(a->places.items);
}

/* "  -o, --output FILE.xlsx" */
static int
option_label(const struct option *o, const char *arg, char *out, size_t n)
{
    return snprintf(out, n, "  %s%s%s%s%s", o->alias ? o->alias : "",
                    o->alias ? ", " : "", o->name, arg ? " " : "",
                    arg ? arg : "");
}

/* Prints text wrapped at width columns, every line after the first
 * indented by indent. */
static void
print_wrapped(FILE *out, const char *text, int indent, int width)
{
    int col = indent;
    for (const char *p = text; *p;) {
        size_t word = strcspn(p, " ");
        if (col > indent && col + 1 + (int)word > width) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', out);
            col++;
        }
        fprintf(out, "%.*s", (int)word, p);
        col += (int)word;
        p += word;
        while (*p == ' ')
            p++;
    }
    fputc('\n', out);
}

void
ns_cli_print_help(const struct ns_cli_command *c, FILE *out)
{
    fprintf(out, "usage: netsave %s %s\n\n%s\nOptions:\n", c->name,
            c->synopsis, c->about);
    enum { LABEL = 27, WIDTH = 78 };
    char label[96];
    for (const struct ns_cli_accepts *p = c->options;; p++) {
        enum ns_cli_option_id id = p->id == NS_OPT_END ? NS_OPT_HELP : p->id;
        const struct option *o = &options[id];
        int n = option_label(o, p->id != NS_OPT_END && p->arg ? p->arg : o->arg,
                             label, sizeof label);
        /* A label too long for its column gets a line of its own. */
        if (n < LABEL)
            fprintf(out, "%s%*s", label, LABEL - n, "");
        else
            fprintf(out, "%s\n%*s", label, LABEL, "");
        print_wrapped(out, p->id != NS_OPT_END && p->help ? p->help : o->help,
                      LABEL, WIDTH);
        if (p->id == NS_OPT_END)
            break;
    }
    fprintf(out, "\nExit status: %s\n", c->exit_status);
}

/* netsave tests: '*' patterns in the state names of value streams.
 *
 * A three-state model (a, b, dead) with constant probabilities, so every
 * expected value is a closed form: occupancy after one cycle from
 * everyone in a is (1 - p_ab - p_ad, p_ab, p_ad). Counting at the end of
 * one yearly cycle, no discounting: a stream's total is the value of the
 * states at point 1 plus transition values booked on cycle 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"

#include "model/engine.h"
#include "params/params.h"

static const double p_ab = 0.1873, p_ad = 0.0419;

static const char base[] =
    "[model]\n"
    "cycle_length = 1\n"
    "n_cycles = 1\n"
    "counting = end\n"
    "[discount]\n"
    "costs = 0\n"
    "[states]\n"
    "in_a = A\n"
    "in_b = B\n"
    "dead = Dead\n"
    "[strategies]\n"
    "only = Only\n"
    "[initial]\n"
    "in_a = 1\n"
    "[transitions]\n"
    "in_a -> in_a = C\n"
    "in_a -> in_b = 0.1873\n"
    "in_a -> dead = 0.0419\n"
    "in_b -> in_b = 1\n"
    "dead -> dead = 1\n"
    "[stream.x]\n"
    "outcome = costs\n";

struct run {
    struct ns_params *params;
    struct ns_model *model;
    struct ns_results *r;
    struct ns_diags diags;
    enum ns_status status;
};

/* Loads the base with stream_lines, then overlay (a second file) if not
 * NULL, and runs it. */
static void
run_overlaid(struct run *out, const char *stream_lines, const char *overlay)
{
    char text[2048];
    snprintf(text, sizeof text, "%s%s", base, stream_lines);
    *out = (struct run){.params = ns_params_alloc()};
    assert_non_null(out->params);
    out->status = ns_params_load_text(out->params, "p.ini", text,
                                      strlen(text), NULL, &out->diags);
    if (out->status == NS_OK && overlay)
        out->status = ns_params_load_text(out->params, "o.ini", overlay,
                                          strlen(overlay), NULL, &out->diags);
    if (out->status == NS_OK)
        out->status = ns_params_finish(out->params, &out->diags);
    if (out->status == NS_OK)
        out->status =
            ns_model_compile(&out->params->def, &out->model, &out->diags);
    if (out->status != NS_OK)
        return;
    out->r = ns_results_alloc(out->model);
    struct ns_workspace *ws = ns_workspace_alloc(out->model);
    out->status = ns_model_run(out->model, ws, out->r, &out->diags);
    ns_workspace_free(ws);
}

static void
run_text(struct run *out, const char *stream_lines)
{
    run_overlaid(out, stream_lines, NULL);
}

static void
run_clear(struct run *r)
{
    ns_results_free(r->r);
    ns_model_free(r->model);
    ns_params_free(r->params);
    ns_diags_clear(&r->diags);
}

static const char *
diag(const struct run *r, size_t i, char *buf, size_t n)
{
    assert_true(i < r->diags.count);
    ns_diag_format(&r->diags.items[i], buf, n);
    return buf;
}

/* A pattern values the states it matches; a name beats it; default the
 * rest. */
static void
pattern_name_and_default(void **state)
{
    (void)state;
    struct run r;
    run_text(&r, "in_* = 11.5\nin_b = 200.25\ndefault = 3000\n");
    assert_int_equal(r.status, NS_OK);
    double a1 = 1 - p_ab - p_ad;
    assert_close(ns_results_total(r.r, 0, 0, false),
                 11.5 * a1 + 200.25 * p_ab + 3000 * p_ad, 1e-12);
    run_clear(&r);
}

/* Transition values: a pattern pair books on every existing transition it
 * matches, except a state's transition to itself, and a named pair beats
 * it. */
static void
transition_patterns(void **state)
{
    (void)state;
    struct run r;
    run_text(&r, "default = 0\n"
                 "in_* -> * = 7.25\n"
                 "in_a -> dead = 1000\n");
    assert_int_equal(r.status, NS_OK);
    /* in_a -> in_b at 7.25; in_a -> dead at 1000; in_a -> in_a is staying,
     * which 'in_* -> *' does not say (it booked 7.25 x (1 - p_ab - p_ad)
     * more before issue 16). */
    double expect = 7.25 * p_ab + 1000 * p_ad;
    assert_close(ns_results_total(r.r, 0, 0, false), expect, 1e-12);
    run_clear(&r);
}

/* '* -> dead' is a value on entering dead: the quarter of the cohort
 * already dead at the start is not charged again for staying dead. A key
 * that names dead -> dead, or the same pattern on both sides, books
 * staying. */
static void
pattern_skips_staying(void **state)
{
    (void)state;
    static const char start_dead[] = "[initial]\nin_a = 0.75\ndead = 0.25\n";
    struct run r;
    run_overlaid(&r, "default = 0\n* -> dead = 100\n", start_dead);
    assert_int_equal(r.status, NS_OK);
    /* Only in_a -> dead enters dead: 0.75 x p_ad x 100 (not + 0.25 x 100,
     * the dead staying dead, as before issue 16). */
    assert_close(ns_results_total(r.r, 0, 0, false), 0.75 * p_ad * 100,
                 1e-12);
    run_clear(&r);
    run_overlaid(&r, "default = 0\n* -> dead = 100\ndead -> dead = 3\n",
                 start_dead);
    assert_int_equal(r.status, NS_OK);
    assert_close(ns_results_total(r.r, 0, 0, false),
                 0.75 * p_ad * 100 + 0.25 * 3, 1e-12);
    run_clear(&r);
    /* in_* -> in_*: in_a -> in_a (0.75 (1 - p_ab - p_ad)) and in_a -> in_b
     * (0.75 p_ab) at 10; in_b -> in_b carries nobody in cycle 1. */
    run_overlaid(&r, "default = 0\nin_* -> in_* = 10\n", start_dead);
    assert_int_equal(r.status, NS_OK);
    assert_close(ns_results_total(r.r, 0, 0, false), 10 * 0.75 * (1 - p_ad),
                 1e-12);
    run_clear(&r);
}

static void
overlapping_patterns_are_an_error(void **state)
{
    (void)state;
    struct run r;
    char buf[512];
    run_text(&r, "in_* = 1\n*_b = 2\ndefault = 0\n");
    assert_int_equal(r.status, NS_EPARAM);
    assert_int_equal(r.diags.count, 1);
    assert_string_equal(diag(&r, 0, buf, sizeof buf),
                        "p.ini:24: stream x: state in_b matches both 'in_*' "
                        "(line 23) and '*_b'; name it to say which applies");
    run_clear(&r);
}

static void
pattern_matching_nothing_is_an_error(void **state)
{
    (void)state;
    struct run r;
    char buf[512];
    run_text(&r, "out_* = 1\ndefault = 0\nout_* -> dead = 5\n");
    assert_int_equal(r.status, NS_EPARAM);
    assert_int_equal(r.diags.count, 2);
    assert_string_equal(diag(&r, 0, buf, sizeof buf),
                        "p.ini:23: stream x: pattern 'out_*' matches no state");
    assert_string_equal(diag(&r, 1, buf, sizeof buf),
                        "p.ini:25: stream x, transition out_* -> dead: no "
                        "strategy has a transition out_* -> dead to book it "
                        "on");
    run_clear(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pattern_name_and_default),
        cmocka_unit_test(transition_patterns),
        cmocka_unit_test(pattern_skips_staying),
        cmocka_unit_test(overlapping_patterns_are_an_error),
        cmocka_unit_test(pattern_matching_nothing_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

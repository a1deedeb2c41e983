/* netsave tests: the conventions of issue 16 section 2, end to end from
 * INI text: each discount timing, transition values with and without the
 * counting weight, counting weights that read parameters, age and time,
 * and the settings that contradict each other.
 *
 * The model: alive -> dead with p = 0.1 per yearly cycle, 3 cycles,
 * everyone alive at the start, 1000 per cycle alive, costs discounted at
 * r = 0.035. Alive at points 0..3: a = 1, 0.9, 0.81, 0.729. Discount
 * factors d^k with d = 1/1.035: d = 0.966183574879227, d^2 =
 * 0.933510700366403, d^3 = 0.901942705668022. Every expected number below
 * is worked out by hand from these in the comment beside it. */
#include "tests/engine_fixture.h"

#define D1 (1.0 / 1.035)
#define D2 (D1 * D1)
#define D3 (D2 * D1)

/* Arguments: extra [model] lines, the alive state value, extra lines for
 * the cost stream. */
#define CONV_FMT                                                             \
    "[model]\n"                                                              \
    "cycle_length = 1\n"                                                     \
    "n_cycles = 3\n"                                                         \
    "%s"                                                                     \
    "[discount]\n"                                                           \
    "costs = 0.035\n"                                                        \
    "[states]\n"                                                             \
    "alive = Alive\n"                                                        \
    "dead = Dead\n"                                                          \
    "[strategies]\n"                                                         \
    "base = Base\n"                                                          \
    "[initial]\n"                                                            \
    "alive = 1\n"                                                            \
    "[parameters]\n"                                                         \
    "half = 0.5\n"                                                           \
    "[transitions]\n"                                                        \
    "alive -> dead = 0.1\n"                                                  \
    "alive -> alive = C\n"                                                   \
    "dead -> dead = 1\n"                                                     \
    "[stream.cost]\n"                                                        \
    "outcome = costs\n"                                                      \
    "alive = %s\n"                                                           \
    "dead = 0\n"                                                             \
    "%s"

static const char *
conv_model(const char *model_extra, const char *alive, const char *stream)
{
    int n = snprintf(text_buf, sizeof text_buf, CONV_FMT, model_extra, alive,
                     stream);
    assert_true(n > 0 && (size_t)n < sizeof text_buf);
    return text_buf;
}

static double
cost_total(const struct fx *f, bool discounted)
{
    return ns_results_total(f->r, 0, stream_ix(f, "cost"), discounted);
}

static double
cost_entry(const struct fx *f, size_t t)
{
    return ns_results_value(f->r, 0, t, stream_ix(f, "cost"), true);
}

/* ---- discount timings ---- */

/* discount_timing = point (the default), life-table weights 1/2, 1, 1,
 * 1/2, factor of point t = d^t:
 * 1000 (1/2 + 0.9 d + 0.81 d^2 + 0.3645 d^3)
 * = 1000 (0.5 + 0.869565217391304 + 0.756143667296786 + 0.328758116215994)
 * = 2454.467000904084. */
static void
test_timing_point_from_start(void **state)
{
    struct fx *f = *state;
    fx_run_ok(f, conv_model("", "1000", ""), NULL);
    assert_close(cost_total(f, true), 2454.467000904084, TOL);
    assert_close(cost_entry(f, 3), 0.5 * 729.0 * D3, TOL);
}

/* Points, discounted from the end of the first cycle: factors 1, 1, d,
 * d^2: 1000 (0.5 + 0.9 + 0.81 d + 0.3645 d^2)
 * = 1000 (1.4 + 0.782608695652174 + 0.340264650283554)
 * = 2522.873345935728. This is not heemod's figure (below): the first
 * cycle's second half and the last half cycle are discounted as points. */
static void
test_timing_point_from_end_of_first_cycle(void **state)
{
    struct fx *f = *state;
    fx_run_ok(f, conv_model("discount_origin = end_of_first_cycle\n", "1000",
                            ""),
              NULL);
    assert_close(cost_total(f, true), 2522.873345935728, TOL);
}

/* discount_timing = cycle with life-table counting (heemod's default:
 * counts averaged over each cycle, discount(x, r) with first = FALSE).
 * Cycle-averaged alive: (1 + 0.9)/2 = 0.95, (0.9 + 0.81)/2 = 0.855,
 * (0.81 + 0.729)/2 = 0.7695; discounted once per cycle at d^(c - 1):
 * 1000 (0.95 + 0.855 d + 0.7695 d^2)
 * = 1000 (0.95 + 0.826086956521739 + 0.718336483931947)
 * = 2494.423440453686. Undiscounted it is the same 2574.5 as life-table
 * points (0.5 + 0.9 + 0.81 + 0.3645 = 0.95 + 0.855 + 0.7695). */
static void
test_timing_cycle_life_table(void **state)
{
    struct fx *f = *state;
    fx_run_ok(f, conv_model("discount_timing = cycle\n", "1000", ""), NULL);
    assert_close(cost_total(f, true), 2494.423440453686, TOL);
    assert_close(cost_total(f, false), 2574.5, TOL);
    /* Entry c holds cycle c; entry 0 holds nothing. */
    assert_close(cost_entry(f, 0), 0.0, 0.0);
    assert_close(cost_entry(f, 1), 950.0, TOL);
    assert_close(cost_entry(f, 2), 855.0 * D1, TOL);
    assert_close(cost_entry(f, 3), 769.5 * D2, TOL);
    /* The trace is still the cohort at each time point. */
    assert_close(ns_results_trace(f->r, 0, 3, state_ix(f, "alive")), 0.729,
                 TOL);
}

/* Cycle timing with end counting (heemod's method "end"): cycle c counts
 * the cohort at its end: 1000 (0.9 + 0.81 d + 0.729 d^2)
 * = 1000 (0.9 + 0.782608695652174 + 0.680529300567108)
 * = 2363.137996219282. With start counting ("beginning"):
 * 1000 (1 + 0.9 d + 0.81 d^2) = 1000 (1 + 0.869565217391304 +
 * 0.756143667296786) = 2625.70888468809. */
static void
test_timing_cycle_end_and_start(void **state)
{
    struct fx *f = *state;
    fx_run_ok(f, conv_model("discount_timing = cycle\ncounting = end\n",
                            "1000", ""),
              NULL);
    assert_close(cost_total(f, true), 2363.137996219282, TOL);
    fx_teardown(state);
    fx_setup(state);
    f = *state;
    fx_run_ok(f, conv_model("discount_timing = cycle\ncounting = start\n",
                            "1000", ""),
              NULL);
    assert_close(cost_total(f, true), 2625.70888468809, TOL);
}

/* In cycle timing the values of cycle c are evaluated as its transitions
 * are: cycle = c, time = (c - 1) years. 1000 x cycle and 1000 x (time + 1)
 * are then 1000, 2000, 3000 in cycles 1..3:
 * 0.95 x 1000 + 0.855 x 2000 d + 0.7695 x 3000 d^2
 * = 950 + 1652.173913043478 + 2155.009451795841 = 4757.183364839319. */
static void
test_timing_cycle_values_see_the_cycle(void **state)
{
    struct fx *f = *state;
    fx_run_ok(f, conv_model("discount_timing = cycle\n", "1000 * cycle", ""),
              NULL);
    assert_close(cost_total(f, true), 4757.183364839319, TOL);
    fx_teardown(state);
    fx_setup(state);
    f = *state;
    fx_run_ok(f, conv_model("discount_timing = cycle\n", "1000 * (time + 1)",
                            ""),
              NULL);
    assert_close(cost_total(f, true), 4757.183364839319, TOL);
}

/* ---- transition values and the counting weight ---- */

/* 500 on alive -> dead; the flows are 0.1, 0.09, 0.081 in cycles 1..3.
 * In full (the default), booked at point c with d^c:
 * 500 (0.1 d + 0.09 d^2 + 0.081 d^3)
 * = 48.309178743961 + 42.007981516488 + 36.528679579555
 * = 126.845839840004. Weighted, times the life-table weight of point c
 * (1, 1, 1/2): 48.309178743961 + 42.007981516488 + 18.264339789778
 * = 108.581500050227. */
static void
test_transition_value_counting(void **state)
{
    struct fx *f = *state;
    fx_run_ok(f, conv_model("", "0", "alive -> dead = 500\n"), NULL);
    assert_close(cost_total(f, true), 126.845839840004, TOL);
    fx_teardown(state);
    fx_setup(state);
    f = *state;
    fx_run_ok(f, conv_model("transition_value_counting = in_full\n", "0",
                            "alive -> dead = 500\n"),
              NULL);
    assert_close(cost_total(f, true), 126.845839840004, TOL);
    fx_teardown(state);
    fx_setup(state);
    f = *state;
    fx_run_ok(f, conv_model("transition_value_counting = weighted\n", "0",
                            "alive -> dead = 500\n"),
              NULL);
    assert_close(cost_total(f, true), 108.581500050227, TOL);
}

/* Weighted with start counting: point 3's weight is 0, so the deaths of
 * the last cycle cost nothing: 48.309178743961 + 42.007981516488 =
 * 90.317160260449. In cycle timing, in full, cycle c's factor is
 * d^(c - 1): 50 + 45 d + 40.5 d^2 = 50 + 43.478260869565 +
 * 37.807183364839 = 131.285444234404. */
static void
test_transition_values_start_and_cycle(void **state)
{
    struct fx *f = *state;
    fx_run_ok(f, conv_model("counting = start\n"
                            "transition_value_counting = weighted\n",
                            "0", "alive -> dead = 500\n"),
              NULL);
    assert_close(cost_total(f, true), 90.317160260449, TOL);
    fx_teardown(state);
    fx_setup(state);
    f = *state;
    fx_run_ok(f, conv_model("discount_timing = cycle\n", "0",
                            "alive -> dead = 500\n"),
              NULL);
    assert_close(cost_total(f, true), 131.285444234404, TOL);
}

/* ---- counting weights from an expression ---- */

/* start_age 40: the weight if(age < 41, half, 1) * if(time > 2.5, 0, 1)
 * is 0.5, 1, 1, 0 at points 0..3 (ages 40..43, times 0..3), so the
 * undiscounted total is 1000 (0.5 + 0.9 + 0.81) = 2210. */
static void
test_weight_reads_parameter_age_time(void **state)
{
    struct fx *f = *state;
    fx_run_ok(f, conv_model("start_age = 40\ncounting = weights\n"
                            "weight = if(age < 41, half, 1) * "
                            "if(time > 2.5, 0, 1)\n",
                            "1000", ""),
              NULL);
    const double expect[4] = {0.5, 1.0, 1.0, 0.0};
    for (size_t t = 0; t < 4; t++)
        assert_close(f->model->weights[t], expect[t], 0.0);
    assert_close(cost_total(f, false), 2210.0, TOL);
}

/* A weight may not read what changes between strategies or runs: the
 * weights are computed once. */
static void
test_weight_parameter_must_be_fixed(void **state)
{
    struct fx *f = *state;
    const char *text = conv_model("counting = weights\nweight = half\n",
                                  "1000",
                                  "[uncertainty]\nhalf = beta(0.5, 0.05)\n");
    assert_int_equal(fx_compile(f, text, NULL), NS_EPARAM);
    assert_int_equal(f->diags.count, 1);
    char want[512];
    snprintf(want, sizeof want,
             "test.ini:%d: [model] key weight reads parameter half, which "
             "[uncertainty] or [ranges] varies it: expected parameters that "
             "are the same in every strategy and run (the counting weights "
             "are computed once), found half",
             line_of(text, "weight = half"));
    assert_string_equal(diag_text(f, 0), want);
}

/* ---- overlays: one setting, two keys ---- */

/* A later file's horizon replaces an earlier file's n_cycles (and a later
 * counting drops an earlier file's weights); in one file they must
 * agree. */
static void
test_overlay_replaces_other_spelling(void **state)
{
    struct fx *f = *state;
    const char *base = conv_model("counting = weights\n"
                                  "weights = 1, 1, 1, 1\n",
                                  "1000", "");
    f->params = ns_params_alloc();
    assert_non_null(f->params);
    static const char overlay[] =
        "[model]\nhorizon = 2\ncounting = life_table\n";
    assert_int_equal(ns_params_load_text(f->params, "base.ini", base,
                                         strlen(base), NULL, &f->diags),
                     NS_OK);
    assert_int_equal(ns_params_load_text(f->params, "overlay.ini", overlay,
                                         strlen(overlay), NULL, &f->diags),
                     NS_OK);
    assert_int_equal(ns_params_finish(f->params, &f->diags), NS_OK);
    assert_int_equal(ns_model_compile(&f->params->def, &f->model, &f->diags),
                     NS_OK);
    assert_int_equal(f->model->n_cycles, 2);
    assert_close(f->model->weights[0], 0.5, 0.0);
    assert_close(f->model->weights[2], 0.5, 0.0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T_(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
        T_(test_timing_point_from_start),
        T_(test_timing_point_from_end_of_first_cycle),
        T_(test_timing_cycle_life_table),
        T_(test_timing_cycle_end_and_start),
        T_(test_timing_cycle_values_see_the_cycle),
        T_(test_transition_value_counting),
        T_(test_transition_values_start_and_cycle),
        T_(test_weight_reads_parameter_age_time),
        T_(test_weight_parameter_must_be_fixed),
        T_(test_overlay_replaces_other_spelling),
#undef T_
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

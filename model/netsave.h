/* netsave: status codes and named tolerances shared by every module.
 *
 * The library never prints and never exits. It reports errors in two ways
 * only:
 * - An operation that can fail returns enum ns_status. Where the caller
 *   needs to know why, it also takes char *err, size_t err_size and writes
 *   one line there (ns_expr_compile, ns_dist_parse), or fills a struct
 *   the caller passes (ns_expr_eval's struct ns_expr_fault). A check whose
 *   message only the caller can word returns the status alone
 *   (ns_parse_number: NS_EPARAM).
 * - Problems in the analyst's input found while compiling, running or
 *   verifying a model are recorded in a struct ns_diags (model/diag.h),
 *   each with the file and line it came from, and the function returns
 *   NS_EPARAM (NS_EMODEL at run time); all of them, not the first.
 * These are not errors, so they are not statuses: an _alloc returns NULL
 * when memory runs out (or its arguments break its documented limits,
 * such as a lane count); a look-up by name returns -1 (an index) when the
 * name is not there; a predicate returns bool.
 *
 * GSL: the library never calls gsl_set_error_handler (the handler is
 * process-wide, and switching it around a call is a race between the
 * threads of a PSA). It is written to be safe under any handler,
 * including GSL's default, which aborts: GSL is only given what it
 * accepts without calling the handler. Inputs are checked first where a
 * GSL failure would answer a question about them (correlations that
 * cannot hold together, a gamma too narrow for GSL's incomplete gamma
 * function, a root search whose ends bracket no root, a function value
 * that is not finite); routines whose failure no check can foresee are
 * not called (GSL's beta and gamma inverse CDFs, which fail to converge
 * for small shapes: quantiles are solved on the CDF instead), and the
 * results are checked (NaN is an error with a message, never a result).
 * tests/test_gsl_safety.c runs such cases under the default handler.
 * What is left is GSL running out of memory in its own allocations,
 * which aborts under the default handler: a program should still call
 * gsl_set_error_handler_off() once at start, before any thread, as
 * cli/main.c does, so that this too comes back as NS_ENOMEM. */
#ifndef NS_MODEL_NETSAVE_H
#define NS_MODEL_NETSAVE_H

/* NS_VERSION is defined by the build, from CMakeLists.txt's project(). */

enum ns_status {
    NS_OK = 0,
    NS_ENOMEM,  /* an allocation failed */
    NS_EIO,     /* a file could not be read or written; errno is kept */
    NS_EPARAM,  /* input rejected; the diagnostics say why */
    NS_EMODEL,  /* a model invariant broke at run time; diagnostics say where */
    NS_EGSL,    /* a GSL routine reported failure */
    NS_EOUTPUT, /* an output file could not be produced */
    NS_STATUS_COUNT
};

/* Returns a static, human-readable description of a status code. */
const char *ns_strerror(enum ns_status status);

/* Probabilities leaving a state must sum to 1 within this. Rows are
 * computed in double precision from a handful of terms, so honest rows
 * are off by at most a few ulps; 1e-9 catches every real mistake (a
 * probability typed with a missing digit is off by 1e-3 or more) while
 * never flagging rounding. A model may set its own in [model]. */
#define NS_DEFAULT_ROW_SUM_TOLERANCE 1e-9

/* A probability may stray outside [0, 1] by this much from rounding
 * (a complement computed as 1 - 0.3 - 0.7, say) before it is an error;
 * such values are clamped into [0, 1]. */
#define NS_PROBABILITY_SLACK 1e-12

/* Most points of the acceptability curve (wtp_max / wtp_step). */
#define NS_MAX_WTP_POINTS 10000

/* The most states a model may define. The compiler and the engine keep
 * tables with an entry per pair of states and strategy (transition
 * owners, row probabilities), so memory grows with the square of the
 * number of states: at this limit about 32 MB per table and strategy.
 * Cohort models have tens of states; thousands mean a microsimulation. */
#define NS_MAX_STATES 2000

/* A double NaN: <math.h>'s NAN is a float, which clang's
 * -Wdouble-promotion flags wherever it meets a double. */
#define NS_NAN ((double)NAN)

#endif

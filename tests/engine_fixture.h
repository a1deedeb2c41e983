/* netsave tests: the engine tests' fixture (test_engine.c and
 * test_engine_checks.c): one model from INI text through params/,
 * compilation and ns_model_run(), with its diagnostics. */
#ifndef NS_TESTS_ENGINE_FIXTURE_H
#define NS_TESTS_ENGINE_FIXTURE_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/test_support.h"

#include "model/engine.h"
#include "model/model.h"
#include "model/results.h"
#include "params/params.h"

/* Relative tolerance for values computed by a different but exact route
 * (sums in another order, pow instead of repeated products). */
#define TOL 1e-11

/* ---- fixture: one model from text to results ---- */

struct fx {
    struct ns_params *params;
    struct ns_model *model;
    struct ns_results *r;
    struct ns_workspace *ws;
    struct ns_diags diags;
    char dir[64];       /* temporary folder for CSV tables, or "" */
    char files[4][128]; /* files written into dir */
    size_t n_files;
};

static inline int
fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    *state = f;
    return 0;
}

static inline int
fx_teardown(void **state)
{
    struct fx *f = *state;
    ns_workspace_free(f->ws);
    ns_results_free(f->r);
    ns_model_free(f->model);
    ns_params_free(f->params);
    ns_diags_clear(&f->diags);
    for (size_t i = 0; i < f->n_files; i++)
        unlink(f->files[i]);
    if (f->dir[0])
        rmdir(f->dir);
    free(f);
    return 0;
}

/* Diagnostic i as "file:line: message". */
static inline const char *
diag_text(const struct fx *f, size_t i)
{
    static char buf[1024];
    assert_true(i < f->diags.count);
    ns_diag_format(&f->diags.items[i], buf, sizeof buf);
    return buf;
}

static inline void
print_diags(const struct fx *f)
{
    for (size_t i = 0; i < f->diags.count; i++)
        print_error("diagnostic: %s\n", diag_text(f, i));
}

/* The 1-based line of text holding needle (which must occur once). */
static inline int
line_of(const char *text, const char *needle)
{
    const char *hit = strstr(text, needle);
    if (!hit)
        fail_msg("'%s' not in the model text", needle);
    assert_null(strstr(hit + 1, needle));
    int line = 1;
    for (const char *c = text; c < hit; c++)
        line += *c == '\n';
    return line;
}

/* Loads text as "test.ini" and compiles it; returns the compile status.
 * Loading itself must succeed. */
static inline enum ns_status
fx_compile(struct fx *f, const char *text, const char *base_dir)
{
    f->params = ns_params_alloc();
    assert_non_null(f->params);
    enum ns_status st = ns_params_load_text(f->params, "test.ini", text,
                                            strlen(text), base_dir,
                                            &f->diags);
    if (st == NS_OK)
        st = ns_params_finish(f->params, &f->diags);
    if (st != NS_OK) {
        print_diags(f);
        fail_msg("loading the model failed: %s", ns_strerror(st));
    }
    return ns_model_compile(&f->params->def, &f->model, &f->diags);
}

/* Compiles (which must succeed) and runs; returns the run status. */
static inline enum ns_status
fx_run(struct fx *f, const char *text, const char *base_dir)
{
    enum ns_status st = fx_compile(f, text, base_dir);
    if (st != NS_OK) {
        print_diags(f);
        fail_msg("compiling the model failed: %s", ns_strerror(st));
    }
    f->r = ns_results_alloc(f->model);
    f->ws = ns_workspace_alloc(f->model);
    assert_non_null(f->r);
    assert_non_null(f->ws);
    return ns_model_run(f->model, f->ws, f->r, &f->diags);
}

/* Compiles and runs, both of which must succeed without diagnostics. */
static inline void
fx_run_ok(struct fx *f, const char *text, const char *base_dir)
{
    enum ns_status st = fx_run(f, text, base_dir);
    if (st != NS_OK) {
        print_diags(f);
        fail_msg("running the model failed: %s", ns_strerror(st));
    }
    assert_int_equal(f->diags.count, 0);
}

static inline size_t
state_ix(const struct fx *f, const char *name)
{
    long s = ns_model_find_state(f->model, name);
    if (s < 0)
        fail_msg("no state %s", name);
    return (size_t)s;
}

static inline size_t
strategy_ix(const struct fx *f, const char *name)
{
    long k = ns_model_find_strategy(f->model, name);
    if (k < 0)
        fail_msg("no strategy %s", name);
    return (size_t)k;
}

static inline size_t
stream_ix(const struct fx *f, const char *name)
{
    long j = ns_model_find_stream(f->model, name);
    if (j < 0)
        fail_msg("no stream %s", name);
    return (size_t)j;
}

static inline size_t
outcome_ix(const struct fx *f, const char *name)
{
    long o = ns_model_find_outcome(f->model, name);
    if (o < 0)
        fail_msg("no outcome %s", name);
    return (size_t)o;
}

/* Writes a file into the fixture's temporary folder (made on first use). */
static inline void
fx_write_file(struct fx *f, const char *name, const char *content)
{
    if (!f->dir[0]) {
        snprintf(f->dir, sizeof f->dir, "/tmp/ns_test_engine_XXXXXX");
        assert_non_null(mkdtemp(f->dir));
    }
    assert_true(f->n_files < sizeof f->files / sizeof f->files[0]);
    char *path = f->files[f->n_files];
    snprintf(path, sizeof f->files[0], "%s/%s", f->dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    f->n_files++;
    assert_true(fputs(content, fp) >= 0);
    assert_int_equal(fclose(fp), 0);
}

/* Room for a model text built from a format. */
static char text_buf[8192];

#endif

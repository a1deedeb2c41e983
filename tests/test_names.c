/* netsave tests: the name index (model/names.h) the compiler finds every
 * name through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/names.h"

/* Enough names to make the index grow several times past its first size,
 * each found under its position, and words that are not names not found. */
static void
test_index_finds_every_name(void **state)
{
    (void)state;
    enum { N = 5000 };
    char (*names)[16] = malloc(N * sizeof *names);
    const char **ptrs = malloc(N * sizeof *ptrs);
    assert_non_null(names);
    assert_non_null(ptrs);
    for (size_t i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "p%zu", i);
        ptrs[i] = names[i];
    }
    struct ns_name_index *ix = ns_name_index_build(ptrs, N);
    assert_non_null(ix);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(ns_name_index_find(ix, names[i], strlen(names[i])),
                         (long)i);
    assert_int_equal(ns_name_index_find(ix, "p5000", 5), -1);
    assert_int_equal(ns_name_index_find(ix, "q1", 2), -1);
    assert_int_equal(ns_name_index_find(ix, "", 0), -1);
    ns_name_index_free(ix);
    free(ptrs);
    free(names);
}

/* A word is its first len characters (as the expression parser passes
 * names); a name given twice keeps its first position, as a search from
 * the start finds; NULL names are skipped and a NULL index finds nothing. */
static void
test_index_lengths_duplicates_null(void **state)
{
    (void)state;
    const char *names[] = {"age", "cost", NULL, "age", "co"};
    struct ns_name_index *ix = ns_name_index_build(names, 5);
    assert_non_null(ix);
    assert_int_equal(ns_name_index_find(ix, "cost * 2", 4), 1);
    assert_int_equal(ns_name_index_find(ix, "cost * 2", 2), 4);
    assert_int_equal(ns_name_index_find(ix, "cost * 2", 3), -1);
    assert_int_equal(ns_name_index_find(ix, "age", 3), 0);
    assert_int_equal(ns_name_index_add(ix, "cost", 7), NS_OK);
    assert_int_equal(ns_name_index_find(ix, "cost", 4), 1);
    assert_int_equal(ns_name_index_find(NULL, "cost", 4), -1);
    ns_name_index_free(ix);
    ns_name_index_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_finds_every_name),
        cmocka_unit_test(test_index_lengths_duplicates_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

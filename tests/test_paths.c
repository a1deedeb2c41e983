/* netsave tests: the paths input files name (params/paths.h). A model
 * names its CSV tables, and a scenario list its overlays, relative to its
 * own folder; a bare name stays as written, so that messages show it. */
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"

#include "params/paths.h"

/* The folder of path, "(none)" for a bare name. */
static void
assert_folder(const char *path, const char *expected)
{
    char *folder = (char *)"unset";
    assert_true(ns_path_folder(path, &folder));
    assert_string_equal(folder ? folder : "(none)", expected);
    free(folder);
}

static void
test_folder_of_a_path(void **state)
{
    (void)state;
    assert_folder("model.ini", "(none)");
    assert_folder("d/model.ini", "d");
    assert_folder("a/b/model.ini", "a/b");
    assert_folder("../model.ini", "..");
    assert_folder("d//model.ini", "d");
    assert_folder("/model.ini", "/");
    assert_folder("//model.ini", "/");
}

static void
assert_resolved(const char *base, const char *path, const char *expected)
{
    char *out = ns_path_resolve(base, path);
    assert_non_null(out);
    assert_string_equal(out, expected);
    free(out);
}

static void
test_resolved_against_the_folder(void **state)
{
    (void)state;
    assert_resolved(NULL, "t.csv", "t.csv");
    assert_resolved("", "t.csv", "t.csv");
    assert_resolved("d", "t.csv", "d/t.csv");
    assert_resolved("d", "/abs/t.csv", "/abs/t.csv");
    /* The two together: a file's folder, then the path it names. */
    char *folder;
    assert_true(ns_path_folder("models/base.ini", &folder));
    assert_resolved(folder, "tables/life.csv", "models/tables/life.csv");
    free(folder);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_folder_of_a_path),
        cmocka_unit_test(test_resolved_against_the_folder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

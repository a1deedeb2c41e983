/* netsave tests: which input text is refused (params/text.h). The
 * expected offsets come from the UTF-8 definition (RFC 3629): the byte
 * where each string stops being well-formed UTF-8 without controls. */
#include <string.h>

#include "tests/test_support.h"

#include "params/text.h"

#define BAD_AT(s) ns_text_bad_at((s), sizeof(s) - 1)

static void
test_good_text_passes(void **state)
{
    (void)state;
    assert_int_equal(BAD_AT(""), 0);
    assert_int_equal(BAD_AT("plain\ttext"), 10);
    assert_int_equal(BAD_AT("\xC2\xA3 12"), 5);         /* £ */
    assert_int_equal(BAD_AT("caf\xC3\xA9"), 5);         /* é */
    assert_int_equal(BAD_AT("\xE2\x82\xAC"), 3);        /* € */
    assert_int_equal(BAD_AT("\xF0\x9F\x98\x80"), 4);    /* U+1F600 */
    assert_int_equal(BAD_AT("\xEF\xBB\xBFx"), 4);       /* BOM, U+FEFF */
    assert_int_equal(BAD_AT("\xF4\x8F\xBF\xBF"), 4);    /* U+10FFFF */
}

static void
test_latin1_and_malformed_refused(void **state)
{
    (void)state;
    assert_int_equal(BAD_AT("ab\xA3"), 2);              /* Latin-1 £ */
    assert_int_equal(BAD_AT("caf\xE9!"), 3);            /* Latin-1 é */
    assert_int_equal(BAD_AT("x\xC3"), 1);               /* cut short */
    assert_int_equal(BAD_AT("\xC0\xAF"), 0);            /* overlong / */
    assert_int_equal(BAD_AT("\xE0\x80\xAF"), 0);        /* overlong / */
    assert_int_equal(BAD_AT("\xED\xA0\x80"), 0);        /* surrogate */
    assert_int_equal(BAD_AT("\xF4\x90\x80\x80"), 0);    /* past U+10FFFF */
    assert_int_equal(BAD_AT("\xF5\x80\x80\x80"), 0);
    assert_int_equal(BAD_AT("ok\x80"), 2);              /* lone continuation */
}

static void
test_controls_refused(void **state)
{
    (void)state;
    assert_int_equal(BAD_AT("a\x1B[31m"), 1);           /* ESC */
    assert_int_equal(BAD_AT("ab\x01"), 2);
    assert_int_equal(BAD_AT("ab\r"), 2);
    assert_int_equal(BAD_AT("del\x7F"), 3);
    assert_int_equal(BAD_AT("c1\xC2\x9B"), 2);          /* U+009B CSI */
    assert_int_equal(BAD_AT("nbsp\xC2\xA0"), 6);        /* U+00A0 is text */
}

static void
test_message_names_line_column_and_remedy(void **state)
{
    (void)state;
    struct ns_diags d = {0};
    const char latin1[] = "old = Usual care (\xA3)";
    assert_false(ns_text_check_line("m.ini", 7, latin1, sizeof latin1 - 1, &d));
    const char esc[] = "x = \x1B";
    assert_false(ns_text_check_line("m.ini", 8, esc, sizeof esc - 1, &d));
    const char good[] = "y = \xC2\xA3";
    assert_true(ns_text_check_line("m.ini", 9, good, sizeof good - 1, &d));
    assert_int_equal(d.count, 2);
    assert_string_equal(d.items[0].file, "m.ini");
    assert_int_equal(d.items[0].line, 7);
    assert_non_null(strstr(d.items[0].text, "byte 0xA3 at column 19"));
    assert_non_null(strstr(d.items[0].text, "save the file as UTF-8"));
    assert_int_equal(d.items[1].line, 8);
    assert_non_null(strstr(d.items[1].text, "control character 0x1B at column 5"));
    ns_diags_clear(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_text_passes),
        cmocka_unit_test(test_latin1_and_malformed_refused),
        cmocka_unit_test(test_controls_refused),
        cmocka_unit_test(test_message_names_line_column_and_remedy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

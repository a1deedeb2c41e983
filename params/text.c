/* netsave: input text that can be written out as it was read (text.h). */
#include "params/text.h"

/* The length of the UTF-8 sequence at s (at most n bytes), 0 if invalid:
 * no overlong forms, no surrogates, nothing past U+10FFFF. */
static size_t
utf8_length(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned long cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return 0;
    if (cp >= 0x80 && cp <= 0x9F) /* C1 controls */
        return 0;
    return len;
}

size_t
ns_text_bad_at(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7F)
            return i;
        size_t len = utf8_length(u + i, n - i);
        if (len == 0)
            return i;
        i += len;
    }
    return n;
}

bool
ns_text_check_line(const char *file, int line, const char *s, size_t n,
                   struct ns_diags *diags)
{
    size_t at = ns_text_bad_at(s, n);
    if (at == n)
        return true;
    unsigned char c = (unsigned char)s[at];
    if (c == 0xC2 && at + 1 < n && (unsigned char)s[at + 1] >= 0x80 &&
        (unsigned char)s[at + 1] <= 0x9F)
        ns_diags_addf(diags, file, line,
                      "control character U+%04X at column %zu: remove it",
                      (unsigned char)s[at + 1], at + 1);
    else if (c < 0x20 || c == 0x7F)
        ns_diags_addf(diags, file, line,
                      "control character 0x%02X at column %zu: remove it",
                      c, at + 1);
    else
        ns_diags_addf(diags, file, line,
                      "byte 0x%02X at column %zu is not UTF-8 text (a '£' or "
                      "'é' saved as Latin-1 or Windows-1252?): save the file "
                      "as UTF-8",
                      c, at + 1);
    return false;
}

/* netsave: INI reading with exact line numbers, on top of inih.
 *
 * The reader hands inih one physical line per call. A line longer than
 * inih's buffer would be split and its tail parsed as a line of its own,
 * so such lines are reported and replaced by an empty line. Leading
 * blanks are removed, because inih would take an indented line as the
 * continuation of the previous value. */
#include "params/ini_read.h"
#include "params/text.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/names.h"
#include "params/csv_table.h"
#include "params/params.h"

struct line_source {
    const char *file;
    const char *text;
    size_t len, pos;
    int line;              /* the line inih is working on, from 1 */
    struct ns_ini *ini;
    struct ns_diags *diags;
    bool failed, out_of_mem;
    bool bad_line;         /* the current line has a syntax error */
    bool in_bad_section;   /* after a malformed section header: its keys
                              would be filed under the previous section */
    /* The current section's keys (entries from keys_from on), for the
     * duplicate check: a section may hold tens of thousands of keys, and
     * comparing each with every one before made loading quadratic. */
    struct ns_name_index *keys;
    size_t keys_from;
};

static char *
copy_n(const char *s, size_t n)
{
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

/* Records a syntax problem of the current line. */
static void syntax_error(struct line_source *src, const char *fmt, ...)
    NS_PRINTF(2, 3);

static void
syntax_error(struct line_source *src, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ns_diags_addf(src->diags, src->file, src->line, "%s", buf);
    src->failed = true;
    src->bad_line = true;
    src->ini->is_partial = true;
}

static bool remember_section(struct line_source *src, const char *section,
                             size_t n);

/* Checks the shape of one line: blank, comment, [section] or key=value. */
static void
check_line(struct line_source *src, const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    if (n == 0 || s[0] == ';' || s[0] == '#')
        return;
    char shown[80];
    snprintf(shown, sizeof shown, "%.*s", n > 60 ? 60 : (int)n, s);
    if (s[0] == '[') {
        /* Until a valid header, keys belong to no known section. */
        src->in_bad_section = true;
        const char *close = memchr(s, ']', n);
        if (!close)
            syntax_error(src, "unclosed section header '%s': expected ']'",
                         shown);
        else if (close == s + 1)
            syntax_error(src, "empty section name in '%s'", shown);
        else {
            const char *after = close + 1;
            while (after < s + n && isspace((unsigned char)*after))
                after++;
            if (after < s + n && *after != ';')
                syntax_error(src,
                             "unexpected text after the section header in "
                             "'%s'",
                             shown);
            else if (!remember_section(src, s + 1, (size_t)(close - s - 1)))
                src->out_of_mem = true;
            else
                src->in_bad_section = false;
        }
        return;
    }
    const char *eq = memchr(s, '=', n);
    const char *colon = memchr(s, ':', n);
    if (!eq && !colon) {
        syntax_error(src, "expected 'key = value', '[section]' or a comment, "
                          "got '%s'",
                     shown);
        return;
    }
    if (colon && (!eq || colon < eq)) {
        syntax_error(src,
                     "use '=' between key and value, got ':' in '%s'", shown);
        return;
    }
    const char *k = s;
    while (k < eq && isspace((unsigned char)*k))
        k++;
    if (k == eq)
        syntax_error(src, "missing key before '=' in '%s'", shown);
}

static char *
read_line(char *buf, int size, void *stream)
{
    struct line_source *src = stream;
    if (src->pos >= src->len)
        return NULL;
    const char *start = src->text + src->pos;
    const char *nl = memchr(start, '\n', src->len - src->pos);
    size_t n = nl ? (size_t)(nl - start) : src->len - src->pos;
    src->pos += n + (nl ? 1 : 0);
    src->line++;
    size_t skip = 0;
    while (skip < n && (start[skip] == ' ' || start[skip] == '\t'))
        skip++;
    /* A UTF-8 byte order mark on the first line is not content. */
    if (src->line == 1 && n - skip >= 3 &&
        memcmp(start + skip, "\xEF\xBB\xBF", 3) == 0)
        skip += 3;
    size_t body = n - skip;
    if (body > 0 && start[skip + body - 1] == '\r')
        body--;
    if (body > (size_t)size - 2 || body > NS_INI_MAX_LINE) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "line is %zu characters long, more than the %d the INI "
                 "reader accepts; shorten it (long expressions can be split "
                 "into intermediate parameters)",
                 body, NS_INI_MAX_LINE);
        ns_diags_addf(src->diags, src->file, src->line, "%s", msg);
        src->failed = true;
        src->ini->is_partial = true;
        body = 0;
    }
    if (!ns_text_check_line(src->file, src->line, start + skip, body,
                            src->diags)) {
        src->failed = true;
        src->ini->is_partial = true;
        body = 0;
    }
    src->bad_line = false;
    check_line(src, start + skip, body);
    /* inih never sees a line we rejected, so it records nothing from it. */
    if (src->bad_line)
        body = 0;
    memcpy(buf, start + skip, body);
    buf[body] = '\n';
    buf[body + 1] = '\0';
    return buf;
}

/* Records a section header (trimmed) with its line. */
static bool
remember_section(struct line_source *src, const char *section, size_t n)
{
    struct ns_ini *ini = src->ini;
    while (n > 0 && isspace((unsigned char)*section)) {
        section++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)section[n - 1]))
        n--;
    /* inih would quietly continue a repeated section; in a model file a
     * repeat is more likely a pasted block whose keys now clash or shadow
     * each other unseen, so it is an error. Overlays, being other files,
     * may of course repeat the base's sections. */
    for (size_t i = 0; i < ini->n_sections; i++)
        if (strlen(ini->sections[i]) == n &&
            strncmp(ini->sections[i], section, n) == 0) {
            syntax_error(src,
                         "section [%.*s] appears twice; it was opened at "
                         "line %d: put its keys in one place",
                         (int)n, section, ini->section_lines[i]);
            break;
        }
    char **s = realloc(ini->sections, (ini->n_sections + 1) * sizeof *s);
    if (!s)
        return false;
    ini->sections = s;
    int *l = realloc(ini->section_lines,
                     (ini->n_sections + 1) * sizeof *l);
    if (!l)
        return false;
    ini->section_lines = l;
    s[ini->n_sections] = copy_n(section, n);
    if (!s[ini->n_sections])
        return false;
    l[ini->n_sections++] = src->line;
    return true;
}

/* Makes src->keys index the keys of section (those of the last entries,
 * when they are in it; a fresh index when the section changes). False
 * when memory runs out. */
static bool
same_section_keys(struct line_source *src, const char *section)
{
    const struct ns_ini *ini = src->ini;
    bool same = src->keys && ini->n > src->keys_from &&
                strcmp(ini->entries[ini->n - 1].section, section) == 0;
    if (same)
        return true;
    ns_name_index_free(src->keys);
    src->keys = ns_name_index_alloc();
    src->keys_from = ini->n;
    return src->keys != NULL;
}

/* inih callback: returns nonzero to continue (inih's convention). */
static int
on_entry(void *user, const char *section, const char *name, const char *value)
{
    struct line_source *src = user;
    struct ns_ini *ini = src->ini;
    if (src->in_bad_section)
        return 1;
    char *section_copy = copy_n(section, strlen(section));
    if (!section_copy) {
        src->out_of_mem = true;
        return 0;
    }
    char *sect = ns_trim(section_copy);
    char *key_copy = copy_n(name, strlen(name));
    if (!key_copy) {
        free(section_copy);
        src->out_of_mem = true;
        return 0;
    }
    char *key = ns_trim(key_copy);
    const char *section_name = sect;
    /* A section's keys are consecutive (a repeated section is an error of
     * its own), so only the current section's keys are indexed. */
    if (!same_section_keys(src, section_name)) {
        free(key_copy);
        free(section_copy);
        src->out_of_mem = true;
        return 0;
    }
    long seen = ns_name_index_find(src->keys, key, strlen(key));
    if (seen >= 0) {
        const struct ns_ini_entry *e = &ini->entries[seen];
        ns_diags_addf(src->diags, src->file, src->line,
                      "duplicate key '%s' in [%s]; it was already given "
                      "at line %d",
                      key, section_name, e->line);
        src->failed = true;
        free(key_copy);
        free(section_copy);
        return 1;
    }
    if (ini->n == ini->cap) {
        size_t cap = ini->cap ? 2 * ini->cap : 32;
        struct ns_ini_entry *items = realloc(ini->entries, cap * sizeof *items);
        if (!items) {
            free(key_copy);
            free(section_copy);
            src->out_of_mem = true;
            return 0;
        }
        ini->entries = items;
        ini->cap = cap;
    }
    struct ns_ini_entry e = {copy_n(section_name, strlen(section_name)),
                             copy_n(key, strlen(key)),
                             copy_n(value, strlen(value)), src->line};
    free(key_copy);
    free(section_copy);
    if (!e.section || !e.key || !e.value) {
        free(e.section);
        free(e.key);
        free(e.value);
        src->out_of_mem = true;
        return 0;
    }
    ini->entries[ini->n++] = e;
    if (ns_name_index_add(src->keys, ini->entries[ini->n - 1].key,
                          (long)(ini->n - 1)) != NS_OK) {
        src->out_of_mem = true;
        return 0;
    }
    return 1;
}

enum ns_status
ns_ini_parse(const char *file, const char *text, size_t len,
             struct ns_ini *ini, struct ns_diags *diags)
{
    struct line_source src = {file, text, len, 0, 0, ini, diags,
                              false, false, false, false, NULL, 0};
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        int line = 1;
        const char *line_start = text;
        for (const char *c = text; c < nul; c++) {
            if (*c == '\n') {
                line++;
                line_start = c + 1;
            }
        }
        ns_diags_addf(diags, file, line,
                      "not a text file: it contains a NUL byte at column %zu",
                      (size_t)(nul - line_start) + 1);
        ini->is_partial = true;
        return NS_EPARAM;
    }
    /* Section headers are recorded by the reader, because headers of
     * sections with no keys never reach the callback. */
    int rc = ini_parse_stream(read_line, &src, on_entry, &src);
    ns_name_index_free(src.keys);
    if (src.out_of_mem || rc == -2)
        return NS_ENOMEM;
    if (rc != 0 && !src.failed) {
        ns_diags_addf(diags, file, rc, "the INI reader rejected this line");
        src.failed = true;
    }
    return src.failed ? NS_EPARAM : NS_OK;
}

void
ns_ini_clear(struct ns_ini *ini)
{
    for (size_t i = 0; i < ini->n; i++) {
        free(ini->entries[i].section);
        free(ini->entries[i].key);
        free(ini->entries[i].value);
    }
    free(ini->entries);
    for (size_t i = 0; i < ini->n_sections; i++)
        free(ini->sections[i]);
    free(ini->sections);
    free(ini->section_lines);
    *ini = (struct ns_ini){0};
}

enum ns_status
ns_read_file(const char *path, char **text, size_t *len, char *why,
             size_t why_size)
{
    *text = NULL;
    *len = 0;
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(why, why_size, "cannot open %s: %s", path, strerror(errno));
        return NS_EIO;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(why, why_size, "%s is a directory, not a file", path);
        return NS_EIO;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, why_size, "%s is not a regular file", path);
        return NS_EIO;
    }
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(why, why_size, "cannot open %s: %s", path, strerror(errno));
        return NS_EIO;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(fp);
        return NS_ENOMEM;
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *bigger = realloc(buf, 2 * cap);
            if (!bigger) {
                free(buf);
                fclose(fp);
                return NS_ENOMEM;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (got == 0)
            break;
    }
    bool bad = ferror(fp);
    int saved = errno;
    fclose(fp);
    if (bad) {
        free(buf);
        snprintf(why, why_size, "cannot read %s: %s", path, strerror(saved));
        return NS_EIO;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return NS_OK;
}

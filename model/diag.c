/* netsave: the diagnostics list.
 *
 * Recording must not fail loudly: if memory runs out the message is
 * dropped and lost_some is set, so the caller can still report the
 * messages it has and say that some are missing. */
#include "model/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
copy_string(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c)
        memcpy(c, s, n);
    return c;
}

static void add_v(struct ns_diags *d, const char *file, int line,
                  const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void
add_v(struct ns_diags *d, const char *file, int line, const char *fmt,
      va_list ap)
{
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    if (d->count == d->capacity) {
        size_t cap = d->capacity ? 2 * d->capacity : 16;
        struct ns_diag *items = realloc(d->items, cap * sizeof *items);
        if (!items) {
            d->lost_some = true;
            return;
        }
        d->items = items;
        d->capacity = cap;
    }
    struct ns_diag *item = &d->items[d->count];
    item->file = copy_string(file);
    item->line = line;
    item->text = copy_string(buf);
    if (!item->text || (file && !item->file)) {
        free(item->file);
        free(item->text);
        d->lost_some = true;
        return;
    }
    d->count++;
}

void
ns_diags_addf(struct ns_diags *d, const char *file, int line, const char *fmt,
              ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_v(d, file, line, fmt, ap);
    va_end(ap);
}

void
ns_diags_add_at(struct ns_diags *d, struct ns_origin at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_v(d, at.file, at.line, fmt, ap);
    va_end(ap);
}

void
ns_diag_format(const struct ns_diag *diag, char *buf, size_t n)
{
    if (diag->file && diag->line > 0)
        snprintf(buf, n, "%s:%d: %s", diag->file, diag->line, diag->text);
    else if (diag->file)
        snprintf(buf, n, "%s: %s", diag->file, diag->text);
    else
        snprintf(buf, n, "%s", diag->text);
}

/* Orders by the first appearance of each file, then by line; stable. */
void
ns_diags_sort(struct ns_diags *d)
{
    /* Insertion sort: lists are short and stability matters. */
    for (size_t i = 1; i < d->count; i++) {
        struct ns_diag item = d->items[i];
        size_t j = i;
        while (j > 0) {
            const struct ns_diag *prev = &d->items[j - 1];
            bool same_file = (prev->file == NULL && item.file == NULL) ||
                             (prev->file && item.file &&
                              strcmp(prev->file, item.file) == 0);
            if (!same_file || prev->line <= item.line)
                break;
            d->items[j] = d->items[j - 1];
            j--;
        }
        d->items[j] = item;
    }
}

void
ns_diags_clear(struct ns_diags *d)
{
    for (size_t i = 0; i < d->count; i++) {
        free(d->items[i].file);
        free(d->items[i].text);
    }
    free(d->items);
    *d = (struct ns_diags){0};
}

const char *
ns_origin_beside(char *buf, size_t n, struct ns_origin at,
                 struct ns_origin here)
{
    /* Command-line origins ("--set") number assignments, not lines. */
    bool command_line = at.file && strncmp(at.file, "--", 2) == 0;
    if ((at.file == here.file && !command_line) || !at.file)
        snprintf(buf, n, "line %d", at.line);
    else
        snprintf(buf, n, "%s:%d", at.file, at.line);
    return buf;
}

/* netsave: names and suggestions for misspelt ones. */
#include "model/names.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
ns_is_identifier(const char *s)
{
    if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

/* Levenshtein distance; names longer than 63 characters count as far. */
static size_t
edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    enum { MAX = 64 };
    if (la >= MAX || lb >= MAX)
        return MAX;
    size_t prev[MAX + 1], cur[MAX + 1];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t best = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            cur[j] = best;
        }
        memcpy(prev, cur, (lb + 1) * sizeof *prev);
    }
    return prev[lb];
}

const char *
ns_nearest_name(const char *word, size_t len, const char *const *names,
                size_t n)
{
    const char *best = NULL;
    size_t best_d = len / 3 + 1;
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            continue;
        size_t d = edit_distance(word, len, names[i], strlen(names[i]));
        if (d <= best_d && d < strlen(names[i])) {
            best = names[i];
            best_d = d;
        }
    }
    return best;
}

const char *
ns_did_you_mean(char *buf, size_t size, const char *word,
                const char *const *names, size_t n)
{
    const char *near = ns_nearest_name(word, strlen(word), names, n);
    if (near)
        snprintf(buf, size, "; did you mean '%s'?", near);
    else if (size > 0)
        buf[0] = '\0';
    return buf;
}

/* Open addressing with linear probing, kept at most half full so that a
 * probe sequence stays short; the slot count is a power of two. */
struct name_slot {
    const char *name; /* NULL: empty */
    size_t len;
    long value;
};

struct ns_name_index {
    struct name_slot *slots;
    size_t cap, count;
};

/* FNV-1a: simple, and good enough for short names. */
static uint64_t
hash_name(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211u;
    }
    return h;
}

/* The slot holding word, or the empty slot where it would go. */
static struct name_slot *
probe(const struct ns_name_index *ix, const char *word, size_t len)
{
    size_t mask = ix->cap - 1, i = (size_t)hash_name(word, len) & mask;
    while (ix->slots[i].name &&
           !(ix->slots[i].len == len &&
             memcmp(ix->slots[i].name, word, len) == 0))
        i = (i + 1) & mask;
    return &ix->slots[i];
}

static bool
rehash(struct ns_name_index *ix, size_t cap)
{
    struct name_slot *old = ix->slots;
    size_t old_cap = ix->cap;
    ix->slots = calloc(cap, sizeof *ix->slots);
    if (!ix->slots) {
        ix->slots = old;
        return false;
    }
    ix->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].name)
            *probe(ix, old[i].name, old[i].len) = old[i];
    free(old);
    return true;
}

struct ns_name_index *
ns_name_index_alloc(void)
{
    struct ns_name_index *ix = calloc(1, sizeof *ix);
    if (ix && !rehash(ix, 16)) {
        free(ix);
        return NULL;
    }
    return ix;
}

void
ns_name_index_free(struct ns_name_index *ix)
{
    if (!ix)
        return;
    free(ix->slots);
    free(ix);
}

enum ns_status
ns_name_index_add(struct ns_name_index *ix, const char *name, long value)
{
    if (!name)
        return NS_OK;
    if (2 * (ix->count + 1) > ix->cap && !rehash(ix, 2 * ix->cap))
        return NS_ENOMEM;
    size_t len = strlen(name);
    struct name_slot *s = probe(ix, name, len);
    if (!s->name) {
        *s = (struct name_slot){name, len, value};
        ix->count++;
    }
    return NS_OK;
}

struct ns_name_index *
ns_name_index_build(const char *const *names, size_t n)
{
    struct ns_name_index *ix = ns_name_index_alloc();
    for (size_t i = 0; ix && i < n; i++) {
        if (ns_name_index_add(ix, names[i], (long)i) != NS_OK) {
            ns_name_index_free(ix);
            return NULL;
        }
    }
    return ix;
}

long
ns_name_index_find(const struct ns_name_index *ix, const char *word,
                   size_t len)
{
    if (!ix)
        return -1;
    const struct name_slot *s = probe(ix, word, len);
    return s->name ? s->value : -1;
}

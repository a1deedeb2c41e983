/* netsave: names and suggestions for misspelt ones. */
#include "model/names.h"

#include <ctype.h>
#include <stdio.h>
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

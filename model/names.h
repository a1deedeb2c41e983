/* netsave: names of things in models, and "did you mean" suggestions. */
#ifndef NS_MODEL_NAMES_H
#define NS_MODEL_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* True when s is a name: a letter or '_', then letters, digits and '_'. */
bool ns_is_identifier(const char *s);

/* The name among names[0..n) nearest to word[0..len), if near enough to
 * be a typo of it (edit distance at most a third of its length, plus
 * one); NULL otherwise. NULL entries of names are skipped. */
const char *ns_nearest_name(const char *word, size_t len,
                            const char *const *names, size_t n);

/* Writes "; did you mean 'x'?" into buf when a name is near word, else
 * an empty string; returns buf. */
const char *ns_did_you_mean(char *buf, size_t size, const char *word,
                            const char *const *names, size_t n);

#endif

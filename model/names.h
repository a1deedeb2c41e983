/* netsave: names of things in models, and "did you mean" suggestions. */
#ifndef NS_MODEL_NAMES_H
#define NS_MODEL_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "model/netsave.h"

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

/* An index of names for look-ups in constant time: a model may have tens
 * of thousands of parameters, each read by name while compiling, and a
 * search from the start for every read made checking such a model
 * quadratic. The names are not copied: they must outlive the index. */
struct ns_name_index;

struct ns_name_index *ns_name_index_alloc(void);
void ns_name_index_free(struct ns_name_index *ix);

/* Files name under value (>= 0). A name already there keeps its first
 * value, as a search from the start would find it; a NULL name is
 * skipped. Returns NS_OK or NS_ENOMEM. */
enum ns_status ns_name_index_add(struct ns_name_index *ix, const char *name,
                                 long value);

/* An index of names[0..n), each under its position (NULL on NS_ENOMEM). */
struct ns_name_index *ns_name_index_build(const char *const *names, size_t n);

/* The value of word[0..len) (not NUL-terminated), or -1 when it is not in
 * the index or ix is NULL. */
long ns_name_index_find(const struct ns_name_index *ix, const char *word,
                        size_t len);

#endif

/* netsave: services against norms (see benchmark.h). */
#include "model/analysis/benchmark.h"

#include <stdlib.h>

static const char *const measure_names[NS_BENCH_N_MEASURES] = {
    "retention", "abstinent", "daily_opiate_use",
    "injecting", "sharing",   "acquisitive_crime"};

const char *
ns_bench_measure_name(enum ns_bench_measure m)
{
    return m < NS_BENCH_N_MEASURES ? measure_names[m] : "?";
}

bool
ns_bench_higher_is_better(enum ns_bench_measure m)
{
    return m == NS_BENCH_RETENTION || m == NS_BENCH_ABSTINENT;
}

void
ns_services_free(struct ns_services *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->items[i].id);
        free(s->items[i].name);
        free(s->items[i].period);
    }
    free(s->items);
    free(s->file);
    free(s);
}

void
ns_bench_norms_free(struct ns_bench_norms *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        free(n->items[i].source);
    free(n->items);
    free(n->file);
    free(n);
}

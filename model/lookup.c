/* netsave: names of a compiled model's parts, looked up (see model.h).
 *
 * The analyses and the CLI name parameters, uncertain parameters and
 * perspectives; one look-up each, here, rather than a loop in each
 * caller. */
#include <string.h>

#include "model/ledger.h"
#include "model/model.h"

long
ns_model_find_param(const struct ns_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_params; i++)
        if (strcmp(m->params[i].name, name) == 0)
            return (long)i;
    return -1;
}

long
ns_model_find_uncertain(const struct ns_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_uncertain; i++)
        if (strcmp(m->params[m->uncertain[i].param].name, name) == 0)
            return (long)i;
    return -1;
}

long
ns_model_find_perspective(const struct ns_model *m, const char *name)
{
    if (!name)
        return m->n_perspectives ? 0 : NS_ALL_PAYERS;
    if (strcmp(name, "all_payers") == 0)
        return NS_ALL_PAYERS;
    for (size_t i = 0; i < m->n_perspectives; i++)
        if (strcmp(m->perspectives[i].name, name) == 0)
            return (long)i;
    return NS_NO_PERSPECTIVE;
}

/* netsave: texts of the status codes. */
#include "model/netsave.h"

static const char *const status_text[] = {
    [NS_OK] = "success",
    [NS_ENOMEM] = "out of memory",
    [NS_EIO] = "input/output error",
    [NS_EPARAM] = "input rejected",
    [NS_EMODEL] = "model error at run time",
    [NS_EGSL] = "numerical library error",
    [NS_EOUTPUT] = "output could not be written",
};
_Static_assert(sizeof status_text / sizeof status_text[0] == NS_STATUS_COUNT,
               "every ns_status needs a message");

const char *
ns_strerror(enum ns_status status)
{
    if ((unsigned)status >= NS_STATUS_COUNT)
        return "unknown status";
    return status_text[status];
}

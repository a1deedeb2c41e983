/* netsave: the strict number parser (model/number.h). */
#include "model/number.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum ns_status
ns_parse_number(const char *text, double *value)
{
    while (isspace((unsigned char)*text))
        text++;
    if (*text == '\0')
        return NS_EPARAM;
    for (const char *c = text; *c; c++)
        if (!(isdigit((unsigned char)*c) || strchr("+-.eE", *c) ||
              isspace((unsigned char)*c)))
            return NS_EPARAM;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text)
        return NS_EPARAM;
    while (isspace((unsigned char)*end))
        end++;
    if (*end != '\0')
        return NS_EPARAM;
    if (errno == ERANGE && fabs(v) > 1.0)
        return NS_EPARAM;
    if (!isfinite(v))
        return NS_EPARAM;
    *value = v;
    return NS_OK;
}

/* netsave: the strict number parser (model/number.h). */
#include "model/number.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int
ns_parse_number(const char *text, double *value)
{
    while (isspace((unsigned char)*text))
        text++;
    if (*text == '\0')
        return -1;
    for (const char *c = text; *c; c++)
        if (!(isdigit((unsigned char)*c) || strchr("+-.eE", *c) ||
              isspace((unsigned char)*c)))
            return -2;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text)
        return -2;
    while (isspace((unsigned char)*end))
        end++;
    if (*end != '\0')
        return -2;
    if (errno == ERANGE && fabs(v) > 1.0)
        return -3;
    if (!isfinite(v))
        return -3;
    *value = v;
    return 0;
}

/* csv_close: compares two CSV files field by field: text fields must be
 * equal, numeric fields equal within a relative tolerance. Used by the
 * golden-file test of the England headline (tests/golden/README.md).
 *
 *   csv_close EXPECTED ACTUAL TOLERANCE
 *
 * Prints every difference as "row R, column NAME: expected X, got Y" and
 * exits 1 when there is one, 0 when there is none, 2 on bad usage or an
 * unreadable file. Fields are split at commas; quoted fields (which the
 * net_savings.csv header and rows never hold) are compared as text. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 65536
#define MAX_FIELDS 256

/* Splits line at commas in place; returns the number of fields. */
static size_t
split(char *line, char **fields)
{
    size_t n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < MAX_FIELDS;) {
        fields[n++] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

static bool
number(const char *s, double *x)
{
    if (!*s)
        return false;
    char *end;
    errno = 0;
    *x = strtod(s, &end);
    return *end == '\0' && errno == 0;
}

/* Equal within tol relative to the larger magnitude (absolute below 1). */
static bool
close_enough(double a, double b, double tol)
{
    double scale = fmax(1.0, fmax(fabs(a), fabs(b)));
    return fabs(a - b) <= tol * scale;
}

int
main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: csv_close EXPECTED ACTUAL TOLERANCE\n");
        return 2;
    }
    double tol;
    if (!number(argv[3], &tol) || !(tol >= 0.0)) {
        fprintf(stderr, "csv_close: tolerance must be a number >= 0\n");
        return 2;
    }
    FILE *fe = fopen(argv[1], "r"), *fa = fopen(argv[2], "r");
    if (!fe || !fa) {
        fprintf(stderr, "csv_close: cannot open %s\n", !fe ? argv[1] : argv[2]);
        if (fe)
            fclose(fe);
        if (fa)
            fclose(fa);
        return 2;
    }
    static char le[MAX_LINE], la[MAX_LINE], header[MAX_LINE];
    char *fields_e[MAX_FIELDS], *fields_a[MAX_FIELDS], *names[MAX_FIELDS];
    size_t n_names = 0, row = 0, differences = 0;
    for (;;) {
        bool got_e = fgets(le, sizeof le, fe) != NULL;
        bool got_a = fgets(la, sizeof la, fa) != NULL;
        if (!got_e && !got_a)
            break;
        if (got_e != got_a) {
            printf("%s has %s rows than %s\n", argv[2],
                   got_e ? "fewer" : "more", argv[1]);
            differences++;
            break;
        }
        if (row == 0) {
            memcpy(header, le, sizeof header);
            n_names = split(header, names);
        }
        size_t ne = split(le, fields_e), na = split(la, fields_a);
        if (ne != na) {
            printf("row %zu: %zu fields expected, %zu found\n", row, ne, na);
            differences++;
        }
        for (size_t c = 0; c < ne && c < na; c++) {
            double x, y;
            bool same = number(fields_e[c], &x) && number(fields_a[c], &y)
                            ? close_enough(x, y, tol)
                            : strcmp(fields_e[c], fields_a[c]) == 0;
            if (same)
                continue;
            printf("row %zu, column %s: expected %s, got %s\n", row,
                   c < n_names ? names[c] : "?", fields_e[c], fields_a[c]);
            differences++;
        }
        row++;
    }
    fclose(fe);
    fclose(fa);
    if (differences)
        printf("%zu differences (relative tolerance %g)\n", differences, tol);
    return differences ? 1 : 0;
}

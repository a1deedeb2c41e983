#!/usr/bin/env bash
# Under MPI (-DNS_MPI=ON), `mpirun -np NP netsave ...` gives the same
# results as one process, byte for byte (issue 18): standard output, every
# CSV file and every part of the workbook (the XML inside the .xlsx; only
# the run's date and time may differ, and are masked). Each command runs
# twice from folders at the same depth, so the About sheet's command line
# is the same: once alone (the binary, not started by mpirun, runs as one
# process) and once under mpirun. The England model's PSA (with --draws
# and --evppi), Sick-Sicker's past NS_PSA_KEPT draws (the P-square
# quantiles), compare over three scenarios and areas over three areas.
# Usage: mpi_identical.sh NETSAVE SOURCE_DIR SCRATCH MPIEXEC NP
. "$(dirname "$0")/script_start.sh"
mpiexec=$4
np=$5
# Open MPI refuses root without these (CI runs as root).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# same_xlsx A B: the same parts, the same bytes but for the run's time.
same_xlsx() {
    python3 - "$1" "$2" <<'PY' || fail "$1 and $2 differ"
import re, sys, zipfile
a, b = (zipfile.ZipFile(p) for p in sys.argv[1:3])
if a.namelist() != b.namelist():
    sys.exit("parts differ: %s / %s" % (a.namelist(), b.namelist()))
when = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d{4})")
for n in a.namelist():
    x, y = a.read(n), b.read(n)
    if when.sub(b"T", x) != when.sub(b"T", y):
        sys.exit("part %s differs" % n)
if len(a.namelist()) < 10:
    sys.exit("too few parts: %s" % a.namelist())
PY
}

# same NAME ARGS...: netsave ARGS alone and under mpirun, compared.
same() {
    local name=$1
    shift
    mkdir -p "$name/one" "$name/mpi"
    (cd "$name/one" && "$netsave" "$@" >stdout 2>stderr) ||
        fail "$name alone: $(tail -3 "$name/one/stderr")"
    (cd "$name/mpi" &&
        "$mpiexec" --oversubscribe -np "$np" "$netsave" "$@" >stdout 2>stderr) ||
        fail "$name under mpirun -np $np: $(tail -5 "$name/mpi/stderr")"
    cmp "$name/one/stdout" "$name/mpi/stdout" ||
        fail "$name: standard output differs"
    [ -s "$name/one/stdout" ] || fail "$name: no standard output"
    local n=0
    for f in "$name"/one/out/*.csv; do
        cmp "$f" "$name/mpi/out/$(basename "$f")" ||
            fail "$name: $(basename "$f") differs"
        n=$((n + 1))
    done
    [ "$n" -ge 2 ] || fail "$name: only $n CSV files"
    [ "$(ls "$name/one/out")" = "$(ls "$name/mpi/out")" ] ||
        fail "$name: not the same files"
    same_xlsx "$name/one/out.xlsx" "$name/mpi/out.xlsx"
    echo "$name: identical under mpirun -np $np ($n CSV files, workbook)"
}

same england_psa psa -n 2500 --seed 11 -j 2 --draws --evppi --csv out \
    -o out.xlsx
grep -q "EVPPI" england_psa/one/stdout || fail "no EVPPI table"
same sick_sicker_psa psa "$src/bench/sick_sicker_psa.ini" -n 20500 --seed 5 \
    -j 2 --draws --csv out -o out.xlsx
scen=$src/params/scenarios
same compare compare "$scen/capped-residential-stay.ini" \
    "$scen/improved-retention.ini" "$scen/more-places.ini" --csv out -o out.xlsx
mkdir areas_in
"$netsave" init tpl --area Anytown >/dev/null || fail "init --area"
sed -e 's/^rehab = 0/rehab = 40/' -e 's/^mmt = 0/mmt = 300/' tpl/area.ini \
    >areas_in/anytown.ini
sed -e 's/^name = Anytown/name = Otherville/' -e 's/^years = 5/years = 3/' \
    -e 's/^mr = 0/mr = 120/' tpl/area.ini >areas_in/otherville.ini
sed -e 's/^name = Anytown/name = Thirdshire/' -e 's/^inpatient = 0/inpatient = 9/' \
    tpl/area.ini >areas_in/thirdshire.ini
same areas areas "$scratch/areas_in/anytown.ini" \
    "$scratch/areas_in/otherville.ini" "$scratch/areas_in/thirdshire.ini" \
    --csv out -o out.xlsx

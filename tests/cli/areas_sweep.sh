#!/usr/bin/env bash
# netsave areas: one run per area overlay, gathered. Each area's rows of
# area.csv and area_payers.csv are byte for byte those `netsave run` writes
# for that area alone, in input order; the printed net savings are each
# area's cumulative net savings (all strategies, discounted, society) of
# run's area.csv; the workbook has an Areas sheet; a file without [area]
# is refused (exit 2) before anything is written.
# Usage: areas_sweep.sh NETSAVE SOURCE_DIR SCRATCH
. "$(dirname "$0")/script_start.sh"

"$netsave" init tpl --area Anytown >/dev/null || fail "init --area"
"$netsave" init m >/dev/null || fail "init"
mkdir in
sed -e 's/^rehab = 0/rehab = 40/' -e 's/^mmt = 0/mmt = 300/' tpl/area.ini \
    >in/anytown.ini
sed -e 's/^name = Anytown/name = Otherville/' -e 's/^years = 5/years = 3/' \
    -e 's/^mr = 0/mr = 120/' tpl/area.ini >in/otherville.ini
names=(Anytown Otherville)
"$netsave" areas in/anytown.ini in/otherville.ini --csv out -o out.xlsx \
    >stdout 2>stderr || fail "areas: $(cat stderr)"
for i in 0 1; do
    f=in/$(echo "${names[$i]}" | tr 'A-Z' 'a-z').ini
    # The built-in model (the sweep's base) as init writes it, plus f.
    "$netsave" run m/england.ini "$f" --csv "run$i" >/dev/null 2>&1 ||
        fail "run $f"
    for csv in area.csv area_payers.csv; do
        [ "$(head -1 out/$csv)" = "$(head -1 "run$i/$csv")" ] ||
            fail "$csv: header differs from run's"
        grep "^${names[$i]}," "out/$csv" | cmp - <(tail -n +2 "run$i/$csv") ||
            fail "$csv: ${names[$i]}'s rows differ from run's"
    done
    # area,strategy,comparator,perspective,discounted,year,...,cumulative
    want=$(awk -F, '$2 == "all" && $4 == "society" && $5 == 1 {v = $11}
                    END {printf "%.2f", v}' "run$i/area.csv")
    got=$(awk -v a="${names[$i]}" '$1 == a {print $5}' stdout)
    [ -n "$want" ] && [ "$got" = "$want" ] ||
        fail "${names[$i]}: printed net savings $got, run's area.csv $want"
done
[ "$(grep -c . out/area.csv)" -eq $(( $(grep -c . run0/area.csv) +
                                      $(grep -c . run1/area.csv) - 1 )) ] ||
    fail "area.csv holds other rows"
python3 -c "import zipfile, sys
z = zipfile.ZipFile('out.xlsx')
sys.exit(0 if any(b'name=\"Areas\"' in z.read(n) for n in z.namelist()
                  if n == 'xl/workbook.xml') else 1)" ||
    fail "the workbook has no Areas sheet"
echo "areas: each area's rows as run writes them, totals printed"

"$netsave" areas in/anytown.ini "$src/params/scenarios/more-places.ini" \
    --csv refused -o refused.xlsx >/dev/null 2>err
rc=$?
[ "$rc" -eq 2 ] || fail "a file without [area]: exit status $rc, expected 2"
grep -q "more-places.ini has no \[area\] section" err ||
    fail "no message naming the file: $(cat err)"
[ -z "$(ls -A refused 2>/dev/null)" ] && [ ! -e refused.xlsx ] ||
    fail "something was written for a refused sweep"
echo "areas: a file without [area] is refused, nothing written"

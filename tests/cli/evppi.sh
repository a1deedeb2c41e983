#!/usr/bin/env bash
# netsave psa --evppi on a small model with [parameter_groups]
# (tests/cli/cases/psa_evppi/model.ini): evppi.csv has its documented
# shape (a row per strategy, measure and subject), every EVPPI lies
# between 0 and the EVPI of the same draws, a group's EVPPI is at least
# each of its members' (Strong et al.'s regressions are not exact, so
# within 1% of the EVPI), the population EVPPI is report_cohort times
# the per-person one, a group with too few draws for its regression is
# left empty and named, a stated willingness to pay off the grid gets its
# rows and a table, and without --evppi nothing of it is written.
# Usage: evppi.sh NETSAVE SOURCE_DIR SCRATCH
. "$(dirname "$0")/script_start.sh"
model=$src/tests/cli/cases/psa_evppi/model.ini

"$netsave" psa "$model" -n 2000 --seed 7 --evppi --csv out >stdout 2>err ||
    fail "psa --evppi failed: $(cat err)"
[ -s out/evppi.csv ] || fail "no evppi.csv"
header=$(head -1 out/evppi.csv)
[ "$header" = "strategy,comparator,perspective,measure,wtp,kind,name,n_parameters,draws,evppi_per_person,evppi_population,evpi_per_person" ] ||
    fail "header: $header"
# 1 strategy x 8 subjects (2 groups, 6 parameters) x (net savings + 3
# points of the acceptability grid).
rows=$(($(wc -l <out/evppi.csv) - 1))
[ "$rows" -eq 32 ] || fail "expected 32 rows, found $rows"

awk -F, -v groups="effect=rr_new,p_sick;costs=cost_sick,cost_new" '
    NR == 1 { next }
    {
        key = $4 "|" $5
        v = $10; evpi = $12
        if (v == "" || evpi == "") { print "empty EVPPI: " $0; bad = 1; next }
        if (v < 0) { print "negative: " $0; bad = 1 }
        if (v > evpi * 1.01 + 1e-9) { print "above the EVPI: " $0; bad = 1 }
        if ($9 != 2000) { print "draws: " $0; bad = 1 }
        if ($11 == "" || ($11 - 1000 * v) ^ 2 > (1e-9 * $11) ^ 2) {
            print "population: " $0; bad = 1
        }
        value[key "|" $7] = v; limit[key] = evpi
        if ($6 == "group") n_group++
        if ($1 != "new" || $2 != "old") { print "strategy: " $0; bad = 1 }
    }
    END {
        n = split(groups, gs, ";")
        for (key in limit)
            for (i = 1; i <= n; i++) {
                split(gs[i], gm, "=")
                m = split(gm[2], members, ",")
                for (j = 1; j <= m; j++)
                    if (value[key "|" gm[1]] + 0.01 * limit[key] < value[key "|" members[j]]) {
                        print "group " gm[1] " below " members[j] " at " key
                        bad = 1
                    }
            }
        if (n_group != 8) { print "group rows: " n_group; bad = 1 }
        exit bad
    }
' out/evppi.csv >problems || fail "$(cat problems)"

# The groups are informative here: each is worth more than nothing.
awk -F, '$4 == "net_savings" && $6 == "group" && !($10 > 1) { exit 1 }' \
    out/evppi.csv || fail "a group's EVPPI on net savings is not above 1"

# 30 draws carry each parameter's regression (20 needed) but not a pair's
# (2 x 20 columns): the groups are left empty, and the table says why.
"$netsave" psa "$model" -n 30 --seed 7 --evppi --csv few >stdout 2>err ||
    fail "psa --evppi -n 30 failed: $(cat err)"
grep -q "^effect: needs 40 draws" stdout || fail "no note of too few draws: $(cat stdout)"
awk -F, '$6 == "group" && $10 != "" { exit 1 }' few/evppi.csv ||
    fail "a group with too few draws has a value"
awk -F, '$6 == "parameter" && $10 == "" { exit 1 }' few/evppi.csv ||
    fail "a parameter with enough draws has no value"

# At a stated willingness to pay off the grid (--wtp, as [model] wtp):
# its rows among the grid's in order, and a second table at it.
"$netsave" psa "$model" -n 2000 --seed 7 --evppi --wtp 12345 --csv at \
    >stdout 2>err || fail "psa --evppi --wtp failed: $(cat err)"
order=$(awk -F, '$6 == "group" && $7 == "effect" { printf "%s;", $5 }' at/evppi.csv)
[ "$order" = ";0;10000;12345;20000;" ] || fail "wtp rows: $order"
grep -q "^EVPPI on net monetary benefit per client at a willingness to pay of 12345 per unit of qalys" stdout ||
    fail "no table at the stated wtp: $(cat stdout)"

# Without --evppi: no evppi.csv, no table.
"$netsave" psa "$model" -n 50 --seed 7 --csv plain >stdout 2>err ||
    fail "psa failed: $(cat err)"
[ ! -e plain/evppi.csv ] || fail "evppi.csv written without --evppi"
! grep -q EVPPI stdout || fail "EVPPI printed without --evppi"
exit 0

#!/usr/bin/env bash
# A chain of parameters as long as the model has parameters (a0 = a1,
# a1 = a2, ..., issue 13 item 3) is followed without recursion: with a
# 128 KiB stack, 6,000 links (the recursive walk, one C frame a link,
# overflowed it; 20,000 overflowed 1 MiB) check, run to the same results
# as the chain's end written directly, and a loop through the whole chain
# is reported, not a crash.
# Usage: deep_chain.sh NETSAVE SOURCE_DIR SCRATCH
. "$(dirname "$0")/script_start.sh"

n=6000
base="$src/tests/cli/cases/table_valid/model.ini"
chain() { # the model with p_die = a0 = ... = a$n = $1
    sed -e '/^\[table.mort\]/,/^value_column/d' -e 's/^p_die = mort(cycle)$/p_die = a0/' "$base" |
        awk -v n="$n" -v end="$1" '
            { print }
            /^\[parameters\]$/ {
                for (i = 0; i < n; i++) printf "a%d = a%d\n", i, i + 1
                printf "a%d = %s\n", n, end
            }'
}
chain 0.02 >chain.ini
sed -e '/^\[table.mort\]/,/^value_column/d' -e 's/^p_die = mort(cycle)$/p_die = 0.02/' "$base" >direct.ini
chain a0 >loop.ini

(ulimit -s 128; exec "$netsave" check chain.ini) >check.out 2>&1 ||
    fail "check of the chain failed: $(tail -3 check.out)"
grep -q "valid" check.out || fail "check said: $(cat check.out)"
(ulimit -s 128; exec "$netsave" run chain.ini --csv chain) >/dev/null 2>err ||
    fail "run of the chain failed: $(tail -3 err)"
"$netsave" run direct.ini --csv direct >/dev/null 2>err ||
    fail "run of the direct model failed: $(cat err)"
cmp -s chain/summary.csv direct/summary.csv ||
    fail "the chain's results differ from the direct model's"
(ulimit -s 128; exec "$netsave" check loop.ini) >/dev/null 2>loop.err
rc=$?
[ "$rc" -eq 2 ] || fail "the loop: exit $rc, expected 2 ($(head -c 300 loop.err))"
grep -q "circular definition: a0 -> a1 -> a2" loop.err ||
    fail "the loop was not reported: $(head -c 300 loop.err)"
echo "deep_chain: passed"

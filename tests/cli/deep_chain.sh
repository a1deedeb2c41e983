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
# Memory grows with the square of the number of states, so there is a
# stated limit (NS_MAX_STATES, 2000): one more is refused with that
# message, not an allocation of gigabytes.
{
  printf '[model]\nname = Many states\ncycle_length = 1\nn_cycles = 2\n[discount]\nly = 0\n[stream.ly]\noutcome = ly\ndefault = 1\n'
  printf '[states]\n'
  for i in $(seq 0 2000); do printf 's%d = State %d\n' "$i" "$i"; done
  printf '[strategies]\nbase = Base\n[initial]\ns0 = 1\n[transitions]\n'
  for i in $(seq 0 2000); do printf 's%d -> s%d = 1\n' "$i" "$i"; done
} >states.ini
"$netsave" check states.ini >states.out 2>&1
rc=$?
[ "$rc" -eq 2 ] || fail "2,001 states: exit $rc, expected 2"
grep -q "the model defines 2001 states; netsave takes at most 2000" states.out ||
  fail "2,001 states: $(head -3 states.out)"

echo "deep_chain: passed"

#!/usr/bin/env bash
# Ctrl-C during `netsave psa` stops the run cleanly: exit status 1, a
# "stopped" message, and nothing written: no CSV, no workbook, and no
# temporary file left beside them (psa_draws.csv is being streamed to one
# when the signal arrives).
# Usage: psa_interrupt.sh NETSAVE SCRATCH
set -u
netsave=$1
scratch=$2
rm -rf "$scratch"
mkdir -p "$scratch"
fail() { echo "psa_interrupt: $*" >&2; exit 1; }

"$netsave" psa -n 1000000 --seed 1 --csv "$scratch/out" --draws \
    -o "$scratch/out.xlsx" >"$scratch/stdout" 2>"$scratch/stderr" &
pid=$!
# Wait until the run is under way: the draws file's temporary exists.
for _ in $(seq 300); do
    compgen -G "$scratch/out/.psa_draws.csv.tmp-*" >/dev/null && break
    sleep 0.1
done
compgen -G "$scratch/out/.psa_draws.csv.tmp-*" >/dev/null ||
    fail "the run never started streaming draws"
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 1 ] || fail "exit status $rc, expected 1"
grep -q "stopped: nothing written" "$scratch/stderr" ||
    fail "no 'stopped' message: $(cat "$scratch/stderr")"
left=$(ls -A "$scratch/out")
[ -z "$left" ] || fail "files left behind: $left"
[ ! -e "$scratch/out.xlsx" ] || fail "a workbook was written"
echo "psa_interrupt: stopped cleanly, nothing written"

#!/usr/bin/env bash
# Two runs writing to the same destination do not interleave (issue 13,
# item 8): while another process holds a destination's lock (flock(1) on
# the lock file beside it, the lock netsave itself takes), a run to it
# fails with exit 1 and "another netsave run is writing to DEST; try again
# when it has finished", and writes nothing; once the holder has gone it
# runs, and leaves no lock file behind. Both the CSV folder and the
# workbook are locked. Needs the lock wired into the CLI (cli/main.c).
# Usage: concurrent_runs.sh NETSAVE SOURCE_DIR SCRATCH
. "$(dirname "$0")/script_start.sh"
command -v flock >/dev/null || { echo "concurrent_runs: no flock(1); skipped"; exit 0; }

mkdir book
# Holds the lock file $1 until the file hold.release is made.
hold() {
    flock "$1" sh -c "touch hold.held; while [ ! -e hold.release ]; do sleep 0.1; done" &
    holder=$!
    for _ in $(seq 100); do [ -e hold.held ] && return 0; sleep 0.1; done
    fail "the lock $1 was not taken"
}
release() {
    touch hold.release
    wait "$holder"
    rm -f hold.held hold.release "$1"
}
refused() {
    local dest=$1; shift
    "$netsave" run "$@" >/dev/null 2>err
    local rc=$?
    [ "$rc" -eq 1 ] || fail "netsave run $* while $dest was locked: exit $rc: $(cat err)"
    grep -qx "netsave: another netsave run is writing to $dest; try again when it has finished" err ||
        fail "netsave run $*: unexpected message: $(cat err)"
    [ -e csv ] && fail "a refused run created csv"
    [ -n "$(find book -type f ! -name '.*.netsave.lock')" ] && fail "a refused run wrote a workbook"
    return 0
}

hold .csv.netsave.lock
refused csv --csv csv -o book/out.xlsx
release .csv.netsave.lock
hold book/.out.xlsx.netsave.lock
refused book/out.xlsx --csv csv -o book/out.xlsx
release book/.out.xlsx.netsave.lock

"$netsave" run --csv csv -o book/out.xlsx >/dev/null 2>err ||
    fail "the run after the lock was released failed: $(cat err)"
[ -s csv/net_savings.csv ] && [ -s book/out.xlsx ] || fail "nothing was written"
[ -n "$(find . -name '*.netsave.lock')" ] && fail "a lock file was left: $(find . -name '*.netsave.lock')"
exit 0

#!/usr/bin/env bash
# A summary that cannot be written to standard output is a failed run
# (issue 13, item 10): with stdout closed, or full, netsave exits 1 and
# says so on stderr. A closed stdout must not capture an output file
# either: the summary never lands in a CSV.
# Usage: stdout_fails.sh NETSAVE SOURCE_DIR SCRATCH
. "$(dirname "$0")/script_start.sh"
msg="netsave: cannot write the summary to standard output:"

"$netsave" check >&- 2>stderr
rc=$?
[ "$rc" -eq 1 ] || fail "check >&-: exit status $rc, expected 1"
grep -q "^$msg Bad file descriptor" stderr ||
    fail "check >&-: no message: $(cat stderr)"

"$netsave" run --csv out >&- 2>stderr
rc=$?
[ "$rc" -eq 1 ] || fail "run >&-: exit status $rc, expected 1"
grep -q "^$msg" stderr || fail "run >&-: no message: $(cat stderr)"
! grep -rq "net savings per client\|dominant (vs" out ||
    fail "run >&-: the summary went into an output file"

if [ -w /dev/full ]; then
    "$netsave" run >/dev/full 2>stderr
    rc=$?
    [ "$rc" -eq 1 ] || fail "run >/dev/full: exit status $rc, expected 1"
    grep -q "^$msg No space left on device" stderr ||
        fail "run >/dev/full: no message: $(cat stderr)"
fi

# Written in full, the same runs succeed.
"$netsave" check >/dev/null || fail "check >/dev/null failed"
echo "stdout_fails: a lost summary is a failure"

#!/usr/bin/env bash
# A PSA whose draws file grows past the file-size limit (ulimit -f, or a
# full disk) fails naming the file and why, not a bare "input/output
# error", and leaves no temporary file (issue 13, item 11).
# Usage: psa_file_limit.sh NETSAVE SOURCE_DIR SCRATCH
. "$(dirname "$0")/script_start.sh"

# 200 KiB: the draws of the England model pass it within a few hundred.
(ulimit -f 200 && exec "$netsave" psa -n 20000 --seed 1 --csv out --draws) \
    >stdout 2>stderr
rc=$?
[ "$rc" -eq 1 ] || fail "exit status $rc, expected 1: $(cat stderr)"
grep -q "^netsave psa: cannot write out/psa_draws.csv: File too large$" \
    stderr || fail "the file is not named: $(cat stderr)"
left=$(ls -A out 2>/dev/null)
[ -z "$left" ] || fail "files left behind: $left"
echo "psa_file_limit: the draws file is named"

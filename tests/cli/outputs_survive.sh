#!/usr/bin/env bash
# A good workbook survives a run that is killed or cannot finish writing:
#  1. SIGKILL in the middle of a long PSA leaves the existing workbook and
#     CSV byte for byte as they were; the temporary file the killed run was
#     streaming is removed by the next run, which leaves no temporary file.
#  2. A run that hits a file-size limit (ulimit -f) part-way through the
#     workbook fails with exit 1 and "File too large", and leaves the old
#     workbook as it was and no temporary file.
#  3. A destination that is a FIFO or a device is refused (exit 1, a clear
#     message) and left as it was, never replaced.
# Usage: outputs_survive.sh NETSAVE SCRATCH
set -u
netsave=$1
scratch=$2
rm -rf "$scratch"
mkdir -p "$scratch"
cd "$scratch" || exit 1
fail() { echo "outputs_survive: $*" >&2; exit 1; }
temporaries() { find . -name '.*.tmp-*' | sort; }

"$netsave" psa -n 30 --seed 1 -o out.xlsx --csv out --draws >/dev/null \
    2>first.err || fail "the first run failed: $(cat first.err)"
cp out.xlsx good.xlsx
cp out/psa_draws.csv good_draws.csv

# 1. SIGKILL mid-run.
"$netsave" psa -n 1000000 --seed 2 -o out.xlsx --csv out --draws \
    >/dev/null 2>&1 &
pid=$!
# However this script ends, the long run must not outlive it.
trap 'kill -KILL "$pid" 2>/dev/null' EXIT
# Under sanitizers on a busy machine, loading the model before the draws
# file is begun can take a while: wait up to three minutes for it.
for _ in $(seq 1800); do
    [ -n "$(temporaries)" ] && break
    sleep 0.1
done
[ -n "$(temporaries)" ] || fail "the long run never started writing"
sleep 0.5
kill -KILL "$pid"
wait "$pid" 2>/dev/null
cmp -s out.xlsx good.xlsx || fail "the workbook changed under SIGKILL"
cmp -s out/psa_draws.csv good_draws.csv ||
    fail "psa_draws.csv changed under SIGKILL"
[ -n "$(temporaries)" ] || fail "expected the killed run's temporary file"
"$netsave" psa -n 30 --seed 3 -o out.xlsx --csv out --draws >/dev/null \
    2>next.err || fail "the run after the kill failed: $(cat next.err)"
left=$(temporaries)
[ -z "$left" ] || fail "temporary files left after the next run: $left"
cmp -s out.xlsx good.xlsx && fail "the next run did not replace the workbook"
[ "$(head -c 2 out.xlsx)" = "PK" ] || fail "the new workbook is not a zip"

# 2. A file-size limit part-way through the workbook (60 KiB of ~120).
cp out.xlsx good.xlsx
(
    ulimit -f 60
    exec "$netsave" run --set parameters.cost_week_rehab=999 -o out.xlsx \
        >/dev/null 2>stderr
)
rc=$?
[ "$rc" -eq 1 ] || fail "exit status $rc under ulimit -f, expected 1"
grep -q "cannot write out.xlsx" stderr || fail "no clear message: $(cat stderr)"
grep -q "File too large" stderr || fail "the reason is not given: $(cat stderr)"
cmp -s out.xlsx good.xlsx || fail "the workbook changed under ulimit -f"
left=$(temporaries)
[ -z "$left" ] || fail "temporary files left under ulimit -f: $left"

# 3. A FIFO and a device as destinations.
mkfifo pipe.xlsx
"$netsave" run -o pipe.xlsx >/dev/null 2>stderr
rc=$?
[ "$rc" -eq 1 ] || fail "exit status $rc for a FIFO, expected 1"
grep -qx "netsave: pipe.xlsx exists and is not a regular file" stderr ||
    fail "unclear message for a FIFO: $(cat stderr)"
[ -p pipe.xlsx ] || fail "the FIFO was replaced"
"$netsave" run -o /dev/null >/dev/null 2>stderr
rc=$?
[ "$rc" -eq 1 ] || fail "exit status $rc for /dev/null, expected 1"
grep -qx "netsave: /dev/null exists and is not a regular file" stderr ||
    fail "unclear message for a device: $(cat stderr)"
[ -c /dev/null ] || fail "/dev/null is no longer a device"
left=$(temporaries)
[ -z "$left" ] || fail "temporary files left: $left"
echo "outputs_survive: SIGKILL, ulimit -f, FIFO and device leave outputs intact"

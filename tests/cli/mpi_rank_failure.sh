#!/usr/bin/env bash
# Under MPI, a draw that fails on a rank other than 0 fails the whole run
# as it fails one process: exit status 1, the same message naming the same
# draw, and nothing written (no CSV, no workbook, no temporary file). The
# model's first failing draw with --seed 5 is draw 1349, in the second
# block of NS_PSA_BLOCK (1024) draws, which rank 1 runs for -np 2 and 3;
# the check below that the one-process message names it keeps that true.
# A rank that cannot read the model stops them all. Then SIGINT to
# mpirun (Open MPI passes it on to every rank as SIGTERM)
# stops every rank cleanly: exit status 1, "stopped: nothing written",
# nothing left behind.
# Usage: mpi_rank_failure.sh NETSAVE SOURCE_DIR SCRATCH MPIEXEC
. "$(dirname "$0")/script_start.sh"
mpiexec=$4
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
model=$src/tests/cli/mpi/draw_fails.ini
args=(psa "$model" -n 6000 --seed 5 -j 2 --draws --csv out -o out.xlsx)

# nothing_written DIR: no CSV, no temporary, no workbook.
nothing_written() {
    [ -z "$(ls -A "$1/out" 2>/dev/null)" ] ||
        fail "$1: files left behind: $(ls -A "$1/out")"
    [ ! -e "$1/out.xlsx" ] || fail "$1: a workbook was written"
}

mkdir one
(cd one && "$netsave" "${args[@]}" >stdout 2>stderr)
rc=$?
[ "$rc" -eq 1 ] || fail "alone: exit status $rc, expected 1"
grep -q "in draw 1349$" one/stderr ||
    fail "alone: the failing draw is no longer 1349: $(cat one/stderr)"
nothing_written one
for np in 2 3; do
    mkdir "np$np"
    (cd "np$np" &&
        "$mpiexec" --oversubscribe -np "$np" "$netsave" "${args[@]}" \
            >stdout 2>stderr)
    rc=$?
    [ "$rc" -eq 1 ] || fail "-np $np: exit status $rc, expected 1"
    # mpirun adds lines of its own (the exit status, any warning of its
    # own): netsave's must all be there, in order, and no other of them.
    grep -Fx -f one/stderr "np$np/stderr" | cmp - one/stderr ||
        fail "-np $np: not the one-process message: $(cat "np$np/stderr")"
    [ ! -s "np$np/stdout" ] || fail "-np $np: printed results"
    nothing_written "np$np"
    echo "-np $np: draw 1349 named, exit status 1, nothing written"
done

# A rank that cannot read the model (a file missing on its node) stops
# every rank, rank 1's reported by rank 0, rank 0's as alone; neither
# waits for ever (timeout).
cat >on_rank.sh <<'SH'
#!/usr/bin/env bash
# on_rank.sh R NETSAVE ARGS...: rank R reads a model that is not there.
r=$1 netsave=$2
shift 2
[ "$OMPI_COMM_WORLD_RANK" = "$r" ] && exec "$netsave" psa missing.ini "$@"
exec "$netsave" psa "$@"
SH
for r in 0 1; do
    mkdir "missing$r"
    (cd "missing$r" &&
        timeout 120 "$mpiexec" --oversubscribe -np 2 bash ../on_rank.sh "$r" \
            "$netsave" -n 3000 --seed 1 --csv out >stdout 2>stderr)
    rc=$?
    want=$((r == 0 ? 2 : 1))
    [ "$rc" -eq "$want" ] ||
        fail "rank $r without the model: exit status $rc, expected $want"
    msg="MPI rank 1 could not begin the analysis"
    [ "$r" -eq 0 ] && msg="missing.ini: cannot open"
    grep -q "$msg" "missing$r/stderr" ||
        fail "rank $r without the model: $(head -3 "missing$r/stderr")"
    nothing_written "missing$r"
    echo "rank $r without the model: every rank stopped, exit status $rc"
done

mkdir int
cd int || exit 1
"$mpiexec" --oversubscribe -np 2 "$netsave" psa -n 1000000 --seed 1 \
    --draws --csv out -o out.xlsx >stdout 2>stderr &
pid=$!
for _ in $(seq 600); do
    compgen -G "out/.psa_draws.csv.tmp-*" >/dev/null && break
    sleep 0.1
done
compgen -G "out/.psa_draws.csv.tmp-*" >/dev/null ||
    fail "interrupt: the run never started streaming draws"
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 1 ] || fail "interrupt: exit status $rc, expected 1"
grep -q "stopped: nothing written" stderr ||
    fail "interrupt: no 'stopped' message: $(cat stderr)"
cd .. || exit 1
nothing_written int
echo "interrupt: every rank stopped, exit status 1, nothing written"

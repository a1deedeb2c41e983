#!/usr/bin/env bash
# Ctrl-C (SIGINT) or SIGTERM (what `timeout` and batch schedulers send)
# during `netsave psa` stops the run cleanly: exit status 1, a "stopped"
# message, and nothing written: no CSV, no workbook, and no temporary file
# left beside them (psa_draws.csv is being streamed to one when the signal
# arrives).
# Usage: psa_interrupt.sh NETSAVE SCRATCH
set -u
netsave=$1
scratch=$2
fail() { echo "psa_interrupt: $*" >&2; exit 1; }

# stop SIGNAL: starts a long PSA, sends SIGNAL once draws are streaming.
stop() {
    local sig=$1 dir=$scratch/$1
    rm -rf "$dir"
    mkdir -p "$dir"
    # Interpreted: compiling the model first would only delay the draws
    # (stop_compiling below interrupts a compilation).
    NS_JIT=0 "$netsave" psa -n 1000000 --seed 1 --csv "$dir/out" --draws \
        -o "$dir/out.xlsx" >"$dir/stdout" 2>"$dir/stderr" &
    local pid=$!
    # Wait until the run is under way: the draws file's temporary exists.
    for _ in $(seq 300); do
        compgen -G "$dir/out/.psa_draws.csv.tmp-*" >/dev/null && break
        sleep 0.1
    done
    compgen -G "$dir/out/.psa_draws.csv.tmp-*" >/dev/null ||
        fail "$sig: the run never started streaming draws"
    kill -"$sig" "$pid"
    wait "$pid"
    local rc=$?
    [ "$rc" -eq 1 ] || fail "$sig: exit status $rc, expected 1"
    grep -q "stopped: nothing written" "$dir/stderr" ||
        fail "$sig: no 'stopped' message: $(cat "$dir/stderr")"
    local left
    left=$(ls -A "$dir/out")
    [ -z "$left" ] || fail "$sig: files left behind: $left"
    [ ! -e "$dir/out.xlsx" ] || fail "$sig: a workbook was written"
    echo "psa_interrupt: $sig stopped cleanly, nothing written"
}

# stop_compiling: SIGINT while the model is being compiled to machine code
# (NS_JIT=1 compiles whatever the size) stops the run as cleanly, and
# leaves no compilation behind.
stop_compiling() {
    local dir=$scratch/compiling
    rm -rf "$dir"
    mkdir -p "$dir"
    NS_JIT=1 TMPDIR="$dir" "$netsave" psa -n 1000000 --seed 1 \
        --csv "$dir/out" -o "$dir/out.xlsx" >"$dir/stdout" 2>"$dir/stderr" &
    local pid=$!
    for _ in $(seq 300); do
        compgen -G "$dir/netsave-jit-*" >/dev/null && break
        sleep 0.1
    done
    if ! compgen -G "$dir/netsave-jit-*" >/dev/null; then
        kill "$pid"; wait "$pid"
        # Only a build without the code generator may skip this case.
        ! "$netsave" --features | grep -q libgccjit ||
            fail "compiling: no compilation seen in 30 s"
        echo "psa_interrupt: no code generator in this build; skipped"
        return
    fi
    kill -INT "$pid"
    wait "$pid"
    local rc=$?
    [ "$rc" -eq 1 ] || fail "compiling: exit status $rc, expected 1"
    grep -q "stopped: nothing written" "$dir/stderr" ||
        fail "compiling: no 'stopped' message: $(cat "$dir/stderr")"
    [ ! -e "$dir/out" ] && [ ! -e "$dir/out.xlsx" ] ||
        fail "compiling: something was written"
    sleep 1
    ! compgen -G "$dir/netsave-jit-*" >/dev/null ||
        fail "compiling: the compilation's folder was left behind"
    echo "psa_interrupt: stopped cleanly while compiling, nothing written"
}

rm -rf "$scratch"
stop INT
stop TERM
stop_compiling

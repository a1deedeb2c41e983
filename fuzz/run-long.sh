#!/usr/bin/env bash
# The long run of the model fuzzer (issue 13 item 9: 10 million inputs
# without a finding). One process under nice -n 10, as the machine is
# shared; the corpus it grows stays in build-fuzz/corpus-long, so running
# this again resumes from it (give the inputs still to do as RUNS). A
# crash, leak, sanitizer report, lanes difference or GSL error handler
# (left as GSL's default, which aborts: fuzz/fuzz_model.c) stops it, exit
# non-zero, with the input in build-fuzz/findings-long/ to be kept in
# fuzz/regressions/. libFuzzer's last lines give the inputs run
# (stat::number_of_executed_units) and the rate. With NS_FUZZ_JIT=1 in
# the environment every model that runs is also compiled to machine code
# and compared (fuzz/fuzz_model.c): some inputs a second rather than
# thousands, so give it fewer RUNS, and the timeout is 60 s; its last
# line says how many models were compiled.
# Usage: [NS_FUZZ_JIT=1] fuzz/run-long.sh [RUNS]   (default 10000000)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10000000}
CC=clang cmake -S . -B build-fuzz -DNS_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
cmake --build build-fuzz -j2 --target fuzz_model >/dev/null
fuzz/seed-corpus.sh build-fuzz/corpus-long
mkdir -p build-fuzz/findings-long
timeout=10
[ "${NS_FUZZ_JIT:-}" = 1 ] && timeout=60 # a compilation takes seconds
exec nice -n 10 build-fuzz/fuzz/fuzz_model -runs="$runs" -max_len=20000 -timeout="$timeout" \
    -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix=build-fuzz/findings-long/ build-fuzz/corpus-long

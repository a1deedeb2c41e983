#!/usr/bin/env bash
# Builds the fuzzers with clang and runs each for a short fixed time,
# seeded with the shipped models and the CLI test cases. A crash, leak or
# sanitizer report fails (exit non-zero) and leaves the input in
# build-fuzz/findings/ to be kept as a regression case in fuzz/regressions/.
# Usage: fuzz/run-short.sh [SECONDS]   (default 20 per fuzzer)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
CC=clang cmake -S . -B build-fuzz -DNS_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
cmake --build build-fuzz -j2 >/dev/null
corpus=build-fuzz/corpus
rm -rf "$corpus" build-fuzz/findings
mkdir -p "$corpus/model" "$corpus/expr" build-fuzz/findings
fuzz/seed-corpus.sh "$corpus/model"
for f in fuzz/regressions/*.expr; do [ -f "$f" ] && cp "$f" "$corpus/expr/"; done
printf 'if(cycle <= 2, lt(a), max(a, b, 3) ^ -2)' > "$corpus/expr/seed1"
printf 'rate_to_prob(p_quit, 0.25) / (1 - a) && !b || log(3)' > "$corpus/expr/seed2"
build-fuzz/fuzz/fuzz_model -max_total_time="$seconds" -max_len=20000 -timeout=10 \
    -artifact_prefix=build-fuzz/findings/ "$corpus/model"
build-fuzz/fuzz/fuzz_expr -max_total_time="$seconds" -max_len=512 \
    -artifact_prefix=build-fuzz/findings/ "$corpus/expr"

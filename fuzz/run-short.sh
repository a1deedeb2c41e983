#!/usr/bin/env bash
# Builds the fuzzers with clang and runs each for a short fixed time,
# seeded with the shipped models and the CLI test cases, then each again
# with NS_FUZZ_JIT=1 (every model that runs, and every expression made
# into a model, is also compiled to machine code and compared bit for bit
# with the interpreter: fuzz/fuzz_jit.h), the model fuzzer seeded with
# the small seeds only, as a compilation takes 50 to 300 ms. A crash,
# leak, sanitizer report or difference fails (exit non-zero) and leaves
# the input in build-fuzz/findings/ to be kept as a regression case in
# fuzz/regressions/.
# Usage: fuzz/run-short.sh [SECONDS]   (default 20 per pass)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
CC=clang cmake -S . -B build-fuzz -DNS_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
cmake --build build-fuzz -j2 >/dev/null
corpus=build-fuzz/corpus
rm -rf "$corpus" build-fuzz/findings
mkdir -p "$corpus/model" "$corpus/expr" "$corpus/jit" build-fuzz/findings
fuzz/seed-corpus.sh "$corpus/model"
for f in fuzz/regressions/*.expr; do [ -f "$f" ] && cp "$f" "$corpus/expr/"; done
printf 'if(cycle <= 2, lt(a), max(a, b, 3) ^ -2)' > "$corpus/expr/seed1"
printf 'rate_to_prob(p_quit, 0.25) / (1 - a) && !b || log(3)' > "$corpus/expr/seed2"
build-fuzz/fuzz/fuzz_model -max_total_time="$seconds" -max_len=20000 -timeout=10 \
    -artifact_prefix=build-fuzz/findings/ "$corpus/model"
build-fuzz/fuzz/fuzz_expr -max_total_time="$seconds" -max_len=512 \
    -artifact_prefix=build-fuzz/findings/ "$corpus/expr"
# The JIT pass's seeds, which libFuzzer runs first whatever the time
# given, are kept to the valid models under 8 KB (about 20): models that
# run, each compiled, rather than the bad inputs.
find validation docs/examples tests/cli/cases bench -name '*.ini' -type f -size -8k \
    -exec sh -c 'cp "$1" "$2/$(printf %s "$1" | md5sum | cut -c1-12).ini"' _ {} "$corpus/jit" \;
# A compiled input takes seconds under the sanitizers on a loaded
# machine, so the timeout is a minute.
NS_FUZZ_JIT=1 build-fuzz/fuzz/fuzz_model -max_total_time="$seconds" -max_len=20000 \
    -timeout=60 -artifact_prefix=build-fuzz/findings/ "$corpus/jit"
NS_FUZZ_JIT=1 build-fuzz/fuzz/fuzz_expr -max_total_time="$seconds" -max_len=512 \
    -timeout=60 -artifact_prefix=build-fuzz/findings/ "$corpus/expr"

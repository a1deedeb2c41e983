#!/usr/bin/env bash
# Copies the seed inputs of the model fuzzer (every shipped model, CLI
# case, bad input and kept regression, each under a name of its own) into
# the folder $1, made if missing; files already there are kept, so a long
# run resumes from the corpus it grew.
# Usage: fuzz/seed-corpus.sh CORPUS_DIR   (from the source tree's root)
set -euo pipefail
mkdir -p "$1"
find params validation docs/examples tests/cli/cases tests/bad-inputs fuzz/regressions -name '*.ini' -type f \
    -exec sh -c 'cp "$1" "$2/$(printf %s "$1" | md5sum | cut -c1-12).ini"' _ {} "$1" \;

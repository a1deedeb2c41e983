#!/usr/bin/env bash
# Configures netsave on a machine without cmocka, simulated by a
# pkg-config search path holding every .pc file of this machine except
# cmocka.pc (pkg-config then finds no cmocka, as where libcmocka-dev is
# not installed):
#   - a plain configure succeeds, says once that the unit tests are
#     skipped, registers the CLI tests and no unit test;
#   - with -DNS_REQUIRE_TESTS=ON (as CI configures) it fails.
# With --build, netsave is also built in the first configuration.
#
# Usage: without_cmocka.sh SOURCE_DIR SCRATCH_DIR [--build]
set -euo pipefail
src=$1 scratch=$2 build=${3:-}
rm -rf "$scratch"
mkdir -p "$scratch/pc"
IFS=: read -r -a dirs <<<"$(pkg-config --variable pc_path pkg-config)"
for d in "${dirs[@]}"; do
  [ -d "$d" ] || continue
  for pc in "$d"/*.pc; do
    name=$(basename "$pc")
    [ -e "$pc" ] && [ "$name" != cmocka.pc ] && [ ! -e "$scratch/pc/$name" ] &&
      ln -s "$pc" "$scratch/pc/$name"
  done
done
export PKG_CONFIG_LIBDIR=$scratch/pc
unset PKG_CONFIG_PATH
if pkg-config --exists cmocka; then
  echo "FAIL: cmocka still visible to pkg-config" >&2
  exit 1
fi

fail() { echo "FAIL: $*" >&2; exit 1; }

if ! cmake -S "$src" -B "$scratch/plain" >"$scratch/plain.log" 2>&1; then
  cat "$scratch/plain.log" >&2
  fail "a plain configure without cmocka failed"
fi
n=$(grep -c "cmocka not found" "$scratch/plain.log" || true)
[ "$n" = 1 ] || fail "expected one 'cmocka not found' message, got $n"
ctest --test-dir "$scratch/plain" -N >"$scratch/tests.txt"
grep -q " cli_" "$scratch/tests.txt" ||
  fail "no CLI test registered without cmocka"
if grep -q " test_expr$" "$scratch/tests.txt"; then
  fail "unit test test_expr registered without cmocka"
fi
echo "plain configure without cmocka: ok ($(grep -c ' cli_' "$scratch/tests.txt") CLI tests, unit tests skipped)"

if cmake -S "$src" -B "$scratch/required" -DNS_REQUIRE_TESTS=ON \
     >"$scratch/required.log" 2>&1; then
  fail "-DNS_REQUIRE_TESTS=ON configured without cmocka"
fi
grep -q "NS_REQUIRE_TESTS is ON" "$scratch/required.log" ||
  fail "-DNS_REQUIRE_TESTS=ON failed, but not for want of cmocka"
echo "configure with -DNS_REQUIRE_TESTS=ON without cmocka: fails, as it must"

if [ "$build" = --build ]; then
  cmake --build "$scratch/plain" -j2 --target netsave >"$scratch/build.log" 2>&1 ||
    { tail -20 "$scratch/build.log" >&2; fail "netsave did not build without cmocka"; }
  "$scratch/plain/netsave" --version
  echo "netsave built without cmocka: ok"
fi

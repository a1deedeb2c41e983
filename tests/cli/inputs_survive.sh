#!/usr/bin/env bash
# No command writes over a file it reads, however the output's path is
# spelled (issue 13, item 1), and an empty path is a usage error (item 2).
# Each refused command must exit 2 with a message naming the input, print
# nothing on stdout (the check comes before any work) and leave every
# input byte for byte as it was. The last cases show the check refuses
# nothing it should not.
# Usage: inputs_survive.sh NETSAVE SOURCE_DIR SCRATCH
. "$(dirname "$0")/script_start.sh"

# A small model whose table is called trace.csv, an output's name.
mkdir m
cp "$src/tests/cli/cases/table_valid/model.ini" m/model.ini
cp "$src/tests/cli/cases/table_valid/mortality.csv" m/trace.csv
sed -i 's/^file = mortality.csv/file = trace.csv/' m/model.ini
mkdir e
cp "$src/params/england.ini" "$src/params/england-calibration.ini" \
   "$src/params/gdp_deflator.csv" "$src/params/ntors-targets.csv" \
   "$src/params/anchors.csv" e/
ln -s model.ini m/link.ini
ln m/model.ini m/hard.ini
ln e/england.ini e/hard.ini
mkdir good
cp -r m e good/

# refused EXPECTED_MESSAGE_PART -- ARGS...: exit 2, the message, no
# stdout, every input unchanged.
refused() {
    local want=$1
    shift 2
    "$netsave" "$@" >stdout 2>stderr
    local rc=$?
    [ "$rc" -eq 2 ] || fail "netsave $*: exit $rc, expected 2 ($(cat stderr))"
    grep -qF -- "$want" stderr ||
        fail "netsave $*: expected '$want' on stderr, got: $(cat stderr)"
    [ -s stdout ] && fail "netsave $*: work was done before refusing: $(head -3 stdout)"
    diff -r good/m m >/dev/null || fail "netsave $*: changed the small model's files"
    diff -r good/e e >/dev/null || fail "netsave $*: changed the England model's files"
    [ -z "$(find . -name '.*.tmp-*')" ] || fail "netsave $*: left a temporary file"
}

# Item 1: the output is a file named on the command line.
refused "-o m/model.ini would replace the input m/model.ini" -- \
    run m/model.ini -o m/model.ini
refused "-o ./m/model.ini would replace the input m/model.ini" -- \
    run m/model.ini -o ./m/model.ini
refused "-o m/../m/model.ini would replace" -- \
    validate m/model.ini -o m/../m/model.ini
refused "-o m/link.ini would replace the input m/model.ini" -- \
    psa m/model.ini -n 5 --seed 1 -o m/link.ini
refused "-o m/hard.ini would replace the input m/model.ini" -- \
    dsa m/model.ini -o m/hard.ini
refused "-o e/hard.ini would replace the input e/england.ini" -- \
    calibrate e/england.ini e/england-calibration.ini -o e/hard.ini
refused "-o e/england.ini would replace the input e/england.ini" -- \
    calibrate e/england.ini e/england-calibration.ini -o e/england.ini
refused "-o m/model.ini would replace the input m/" -- \
    compare --base m/model.ini m/link.ini -o m/model.ini
# The anchors file run, validate and anchors read.
refused "--csv e would replace the input e/anchors.csv with its output anchors.csv" -- \
    anchors e/england.ini --csv e
refused "-o e/anchors.csv would replace the input e/anchors.csv" -- \
    run e/england.ini -o e/anchors.csv

# Item 1: the output is a file the model names (a table), found once the
# files are read and before the model runs.
refused "--csv m would replace the input m/trace.csv with its output trace.csv" -- \
    run m/model.ini --csv m
refused "--csv ./m/ would replace the input m/trace.csv" -- \
    psa m/model.ini -n 5 --seed 1 --csv ./m/
refused "-o m/trace.csv would replace the input m/trace.csv" -- \
    run m/model.ini -o m/trace.csv
refused "-o m/trace.csv would replace the input m/trace.csv" -- \
    compare --base m/model.ini m/model.ini -o m/trace.csv
refused "-o e/ntors-targets.csv would replace the input e/ntors-targets.csv" -- \
    validate e/england.ini -o e/ntors-targets.csv

# Item 2: an empty path is a usage error.
refused "--csv needs a path, got an empty one" -- run m/model.ini --csv ''
refused "-o needs a path, got an empty one" -- run m/model.ini -o ''
refused "a folder needs a path, got an empty one" -- init ''
refused "a file needs a path, got an empty one" -- run ''
refused "--base needs a path, got an empty one" -- compare --base '' m/model.ini

# What is not an input may be written: beside the inputs, and over a
# file that only shares a name with a built-in file (the built-in model
# reads its tables from memory, not from this folder).
"$netsave" run m/model.ini -o m/out.xlsx --csv m/out >/dev/null 2>stderr ||
    fail "a run beside its inputs was refused: $(cat stderr)"
[ -s m/out/trace.csv ] && [ -s m/out.xlsx ] || fail "the good run wrote nothing"
cp e/gdp_deflator.csv gdp_deflator.csv
"$netsave" run -o gdp_deflator.csv >/dev/null 2>stderr ||
    fail "the built-in model refused a file it does not read: $(cat stderr)"
[ "$(head -c 2 gdp_deflator.csv)" = "PK" ] || fail "no workbook was written"
echo "inputs_survive: all cases passed"

#!/usr/bin/env bash
# Every part of every workbook netsave writes is well-formed XML (issue
# 13, item 4): each command that writes a workbook, on the England model
# and on a small model whose labels are non-ASCII text and XML's own
# characters, then every .xml, .rels and .vml part parsed by Python's XML
# parser. Text that is not UTF-8 or holds control characters, from a file,
# --set or the command line, is refused (exit 2) before it can reach one.
# Usage: workbooks_xml.sh NETSAVE SOURCE_DIR SCRATCH
. "$(dirname "$0")/script_start.sh"
ok() { "$netsave" "$@" >/dev/null 2>err || fail "netsave $*: $(tail -3 err)"; }

mkdir m
cp "$src/tests/cli/cases/table_valid/mortality.csv" m/
sed -e 's/^name = Small$/name = Small <\&> "model" £ é — 😀/' \
    -e 's/^old = Usual care$/old = Usual care (£ per week) <a \& b>/' \
    -e "s/^new = New treatment\$/new = Nouvelle thérapie «ü» 'x'/" \
    "$src/tests/cli/cases/table_valid/model.ini" >m/model.ini
grep -q "thérapie" m/model.ini || fail "the labels were not set"

scenarios="$src/params/scenarios"
ok run m/model.ini -o small.xlsx
ok run -o run.xlsx
ok psa -n 20 --seed 1 -o psa.xlsx
ok dsa -o dsa.xlsx
ok compare "$scenarios/capped-residential-stay.ini" -o compare.xlsx
ok anchors --anchors "$src/params/anchors.csv" -o anchors.xlsx
ok attrition "$src/tests/cli/cases/attrition_small/model.ini" --tipping -o attrition.xlsx
ok benchmark "$src/params/example-services.csv" --norms "$src/params/benchmark-norms.csv" -n 2 -o benchmark.xlsx
"$netsave" validate -o validate.xlsx >/dev/null 2>&1 # exit 1: misses
[ -s validate.xlsx ] || fail "validate wrote no workbook"

python3 - *.xlsx <<'PY' || fail "a workbook part is not well-formed XML"
import sys, zipfile
import xml.etree.ElementTree as ET
parts = 0
for path in sys.argv[1:]:
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith((".xml", ".rels", ".vml")):
                try:
                    ET.fromstring(z.read(name))
                except ET.ParseError as e:
                    print(f"{path}: {name}: {e}", file=sys.stderr)
                    sys.exit(1)
                parts += 1
    if path == "small.xlsx":
        text = zipfile.ZipFile(path).read("xl/sharedStrings.xml").decode()
        for label in ("Nouvelle thérapie «ü» 'x'", "Usual care (£ per week)"):
            if label.replace("'", "&apos;") not in text and label not in text:
                print(f"{path}: label {label!r} not in sharedStrings", file=sys.stderr)
                sys.exit(1)
print(f"{len(sys.argv) - 1} workbooks, {parts} XML parts, all well-formed")
PY

# Bad text never reaches a workbook: refused, exit 2, nothing written.
refused() {
    "$netsave" "$@" -o bad.xlsx >/dev/null 2>err
    local rc=$?
    [ "$rc" -eq 2 ] || fail "netsave (bad text): exit $rc, expected 2: $(cat err)"
    [ -e bad.xlsx ] && fail "a workbook was written from bad text"
    return 0
}
refused run --set "$(printf 'strategies.old=Usual \033[31mcare')"
refused run --set "$(printf 'strategies.old=Usual care \243')"
cp m/model.ini "$(printf 'm/caf\351.ini')"
refused run "$(printf 'm/caf\351.ini')"
grep -q "argument 2 is not UTF-8 text" err || fail "the argument was not named: $(cat err)"
echo "workbooks_xml: passed"

#!/usr/bin/env bash
# Text longer than an Excel cell holds (32,767 characters) is valid input
# and never fails the run (issue 13, item 7): a --set expression of 40,000
# characters reaches the Inputs sheet and the About sheet's command line;
# both are cut with a visible mark and the workbook is written, whole and
# well-formed. Before the fix the run stopped with exit 1 after the CSV
# files were written.
# Usage: long_text.sh NETSAVE SOURCE_DIR SCRATCH
. "$(dirname "$0")/script_start.sh"

# 260.5 is the shipped n_total: the long expression changes no result.
long=$(python3 -c "print('260.5' + '+0' * 20000)")
[ "${#long}" -gt 40000 ] || fail "the expression is not long enough"
"$netsave" run --set "parameters.n_total=$long" -o long.xlsx --csv csv \
    >/dev/null 2>err || fail "netsave run: exit $?: $(tail -3 err)"
[ -s long.xlsx ] || fail "no workbook was written"
[ -s err ] && fail "netsave printed on stderr: $(head -3 err)"

python3 - long.xlsx <<'PY' || fail "the workbook is not whole"
import sys, zipfile
import xml.etree.ElementTree as ET
ns = {"s": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in z.namelist():
        if name.endswith((".xml", ".rels", ".vml")):
            ET.fromstring(z.read(name))
    sst = ET.fromstring(z.read("xl/sharedStrings.xml"))
texts = ["".join(t.text or "" for t in si.iter(f"{{{ns['s']}}}t"))
         for si in sst.findall("s:si", ns)]
cut = [t for t in texts if " [... cut: " in t]
if len(cut) < 2:
    sys.exit(f"{len(cut)} cut cells, expected the expression and the command line")
for t in cut:
    if len(t) > 32767:
        sys.exit(f"a cell of {len(t)} characters")
    if not t.endswith(" more characters]"):
        sys.exit(f"the mark is not at the end: {t[-60:]!r}")
if not any(t.startswith("260.5+0+0") for t in cut):
    sys.exit("the expression's start is not kept")
if not any("netsave" in t[:200] and "run" in t[:200] for t in cut):
    sys.exit("the command line's start is not kept")
PY

# Long names: a legal 250-byte file name (and folder name) is written; the
# temporary and lock files beside it, which add to the name, must not be
# what makes the run fail ("File name too long").
name=$(printf 'n%.0s' $(seq 245))
"$netsave" run -o "$name.xlsx" --csv "$name" >/dev/null 2>long_name.err ||
    { echo "long_text: a 250-byte name failed: $(cat long_name.err)" >&2; exit 1; }
[ -f "$name.xlsx" ] && [ -f "$name/summary.csv" ] ||
    { echo "long_text: the files of a 250-byte name are missing" >&2; exit 1; }
ls -a | grep -q 'netsave.lock\|\.tmp-' &&
    { echo "long_text: a lock or temporary file was left" >&2; exit 1; }
exit 0

#!/usr/bin/env bash
# Every part of every workbook netsave writes is well-formed XML and opens
# in real clients (issue 13, item 4). Every command that writes a workbook
# (run, validate, psa, psa --evppi, dsa, dsa --two-way, compare, anchors,
# attrition, benchmark; expand and threshold write none, calibrate an INI
# file) runs
# on the England model with labels that are non-ASCII text and XML's own
# characters (--set: the model's name and two strategies, which reach the
# sheets, the chart titles and the About sheet), and run on a small model
# whose file holds such labels. Then every .xml, .rels and .vml part is
# parsed by Python's XML parser, the labels are found in the shared
# strings, openpyxl reads every cell of every sheet, and LibreOffice
# (headless; skipped with a message where it is not installed) converts
# every sheet of every workbook. Text that is not UTF-8 or holds control
# characters, from a file (named with its line), --set or the command
# line, is refused (exit 2) before it can reach one.
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
odd=(--set "model.name=England <&> \"model\" £ é — 😀 ]]> &amp;"
     --set "strategies.rehab=Réhabilitation résidentielle «ü» 'x' <a & b>"
     --set "strategies.mmt=Méthadone (£ per week) ‘quoted’")
ok run m/model.ini -o small.xlsx
ok run "${odd[@]}" -o run.xlsx
ok psa -n 20 --seed 1 "${odd[@]}" -o psa.xlsx
ok psa -n 30 --seed 1 --evppi "${odd[@]}" -o psa_evppi.xlsx
ok dsa "${odd[@]}" -o dsa.xlsx
ok dsa --two-way nh_rem,ref_rel --grid 2 "${odd[@]}" -o dsa_two_way.xlsx
ok compare "$scenarios/capped-residential-stay.ini" "${odd[@]}" -o compare.xlsx
ok anchors --anchors "$src/params/anchors.csv" "${odd[@]}" -o anchors.xlsx
ok attrition "$src/tests/cli/cases/attrition_small/model.ini" --tipping \
    --set "model.name=Attrition «é» <&> £" -o attrition.xlsx
ok benchmark "$src/params/example-services.csv" --norms "$src/params/benchmark-norms.csv" -n 2 \
    "${odd[@]}" -o benchmark.xlsx
"$netsave" validate "${odd[@]}" -o validate.xlsx >/dev/null 2>&1 # exit 1: misses
[ -s validate.xlsx ] || fail "validate wrote no workbook"
[ "$(ls *.xlsx | wc -l)" -eq 11 ] || fail "expected 11 workbooks: $(ls *.xlsx)"

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
    labels = {"small.xlsx": ("Nouvelle thérapie «ü» 'x'", "Usual care (£ per week) <a & b>"),
              "attrition.xlsx": ("Attrition «é» <&> £",)}.get(
        path, ("Réhabilitation résidentielle «ü» 'x' <a & b>",
               "England <&> \"model\" £ é — 😀 ]]> &amp;"))
    with zipfile.ZipFile(path) as z:
        strings = [t.text or "" for t in ET.fromstring(z.read("xl/sharedStrings.xml")).iter()
                   if t.tag.endswith("}t")]
    for label in labels:
        if not any(label in t for t in strings):
            print(f"{path}: label {label!r} not in sharedStrings", file=sys.stderr)
            sys.exit(1)
    # The strategy's label reaches chart titles and series too.
    if path not in ("small.xlsx", "attrition.xlsx"):
        with zipfile.ZipFile(path) as z:
            charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
            if not any("Réhabilitation résidentielle «ü»" in z.read(n).decode()
                       for n in charts):
                print(f"{path}: the label reaches none of {len(charts)} charts", file=sys.stderr)
                sys.exit(1)
print(f"{len(sys.argv) - 1} workbooks, {parts} XML parts, all well-formed")
PY

# Real clients: openpyxl reads every cell; LibreOffice converts every
# sheet (one CSV per sheet, as many as openpyxl sees). Debian's own
# python3 first: python3-openpyxl serves that one.
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
"$py" - *.xlsx <<'PY' || fail "a client could not read a workbook"
import glob, os, shutil, subprocess, sys
try:
    import openpyxl
except ImportError:
    print("workbooks_xml: no python3-openpyxl; clients skipped")
    sys.exit(0)
sheets = {}
for path in sys.argv[1:]:
    wb = openpyxl.load_workbook(path)
    cells = sum(1 for ws in wb.worksheets for row in ws.iter_rows() for c in row
                if c.value is not None)
    sheets[path] = len(wb.sheetnames)
    print(f"openpyxl: {path}: {len(wb.sheetnames)} sheets, {cells} cells")
soffice = shutil.which("soffice")
if not soffice:
    print("workbooks_xml: no soffice (libreoffice-calc-nogui); LibreOffice skipped")
    sys.exit(0)
lo = os.path.abspath("lo")
os.makedirs(lo, exist_ok=True)
filt = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
r = subprocess.run([soffice, "--headless", "--norestore",
                    f"-env:UserInstallation=file://{lo}/profile",
                    "--convert-to", filt, "--outdir", lo] + sys.argv[1:],
                   capture_output=True, text=True, timeout=600)
if r.returncode != 0:
    sys.exit(f"LibreOffice failed ({r.returncode}): {r.stderr}")
for path, n in sheets.items():
    stem = os.path.splitext(path)[0]
    got = len(glob.glob(os.path.join(lo, stem + "-*.csv")))
    if got != n:
        sys.exit(f"LibreOffice converted {got} of the {n} sheets of {path}: {r.stdout} {r.stderr}")
    print(f"LibreOffice: {path}: {got} sheets converted")
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
# In a model file: Latin-1 (a Windows editor's £, byte 0xA3) and an ESC
# sequence in a label, each named with its file and line.
line=$(grep -n "^old = " m/model.ini | cut -d: -f1)
sed "s/^old = Usual care.*/old = Usual care $(printf '\243') per week/" m/model.ini >m/latin1.ini
refused run m/latin1.ini
grep -q "m/latin1.ini:$line" err || fail "the Latin-1 line is not named: $(cat err)"
sed "s/^old = Usual care.*/old = Usual $(printf '\033')[31mcare/" m/model.ini >m/escape.ini
refused run m/escape.ini
grep -q "m/escape.ini:$line" err || fail "the ESC line is not named: $(cat err)"
grep -q "$(printf '\033')" err && fail "the ESC byte reached the terminal: $(cat -v err)"
cp m/model.ini "$(printf 'm/caf\351.ini')"
refused run "$(printf 'm/caf\351.ini')"
grep -q "argument 2 is not UTF-8 text" err || fail "the argument was not named: $(cat err)"
echo "workbooks_xml: passed"

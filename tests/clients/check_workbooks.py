#!/usr/bin/env python3
"""Real spreadsheet clients read netsave's workbooks, with the same numbers.

For one workbook from each of `run`, `validate`, `compare` and `psa`:
  1. the file is a sound zip whose every XML part is well formed;
  2. openpyxl opens it and reads every cell of every sheet;
  3. LibreOffice (headless) converts every sheet to CSV without error, and
     reads the same number in every numeric cell as openpyxl does;
  4. the headline numbers netsave wrote to its CSV files appear in the
     sheet LibreOffice read (to 1e-9, relative): net savings per client on
     Summary, the trace on each Trace sheet, the model's values on
     Validation, the scenarios on Scenarios, the PSA means on PSA, the
     EVPPI on net savings (psa --evppi) on EVPPI.

Usage: check_workbooks.py NETSAVE SOFFICE SCRATCH
"""
import csv
import glob
import math
import os
import shutil
import subprocess
import sys
import zipfile
import xml.etree.ElementTree as ET

NETSAVE, SOFFICE, SCRATCH = sys.argv[1:4]
SKIP = 77  # CTest's SKIP_RETURN_CODE for this test
try:
    import openpyxl
except ImportError:
    print("skipped: install python3-openpyxl (and libreoffice-calc-nogui)")
    sys.exit(SKIP)
if not shutil.which(SOFFICE):
    print("skipped: install libreoffice-calc-nogui")
    sys.exit(SKIP)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def run(name, args):
    out = os.path.join(SCRATCH, name)
    os.makedirs(out)
    cmd = [NETSAVE] + args + ["-o", os.path.join(out, "book.xlsx"),
                              "--csv", os.path.join(out, "csv")]
    # From the source tree, as the README runs it: params/anchors.csv is then
    # found, and run's workbook carries the Anchors sheet.
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if r.returncode not in (0, 1) or not os.path.exists(os.path.join(out, "book.xlsx")):
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr}")
    return out


def check_zip(path):
    with zipfile.ZipFile(path) as z:
        bad = z.testzip()
        if bad:
            fail(f"{path}: corrupt member {bad}")
        for n in z.namelist():
            if n.endswith(".xml") or n.endswith(".rels"):
                try:
                    ET.fromstring(z.read(n))
                except ET.ParseError as e:
                    fail(f"{path}: {n} is not well-formed XML: {e}")


def as_number(text):
    # LibreOffice writes a percentage with its sign even when asked for raw
    # values ("33%" for 0.33).
    scale = 1.0
    if isinstance(text, str) and text.endswith("%"):
        text, scale = text[:-1], 0.01
    try:
        v = float(text) * scale
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def libreoffice_sheets(book, out):
    """Every sheet as a list of rows of strings, by sheet name."""
    lo = os.path.join(out, "lo")
    os.makedirs(lo)
    # 44 = ',', 34 = '"', 76 = UTF-8; token 8 false: raw values, not as
    # shown; the last token -1: every sheet to its own file.
    filt = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    r = subprocess.run([SOFFICE, "--headless", "--norestore",
                        f"-env:UserInstallation=file://{lo}/profile",
                        "--convert-to", filt, "--outdir", lo, book],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        fail(f"LibreOffice could not convert {book}: {r.stderr}")
        return {}
    sheets = {}
    stem = os.path.splitext(os.path.basename(book))[0]
    for f in glob.glob(os.path.join(lo, stem + "-*.csv")):
        name = os.path.basename(f)[len(stem) + 1:-4]
        with open(f, newline="", encoding="utf-8") as fp:
            sheets[name] = list(csv.reader(fp))
    return sheets


def compare_clients(book, lo_sheets):
    wb = openpyxl.load_workbook(book, data_only=True)
    if sorted(wb.sheetnames) != sorted(lo_sheets):
        fail(f"{book}: openpyxl sees {wb.sheetnames}, LibreOffice {sorted(lo_sheets)}")
    cells = 0
    for ws in wb.worksheets:
        rows = lo_sheets.get(ws.title, [])
        for row in ws.iter_rows():
            for cell in row:
                if not isinstance(cell.value, (int, float)) or isinstance(cell.value, bool):
                    continue
                cells += 1
                r, c = cell.row - 1, cell.column - 1
                lo = as_number(rows[r][c]) if r < len(rows) and c < len(rows[r]) else None
                if lo is None or not close(lo, cell.value):
                    fail(f"{book} {ws.title}!{cell.coordinate}: openpyxl {cell.value}, LibreOffice {lo}")
                    return cells
    return cells


def close(a, b, rel=1e-9):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def numbers_in(rows):
    return [v for row in rows for v in map(as_number, row) if v is not None]


def expect_in_sheet(label, sheet_rows, values):
    have = sorted(numbers_in(sheet_rows))
    missing = [v for v in values if not any(close(v, h) for h in have)]
    if not values:
        fail(f"{label}: nothing to compare")
    elif missing:
        fail(f"{label}: {len(missing)} of {len(values)} CSV values not in the sheet, e.g. {missing[:3]}")
    return len(values)


def read_csv(path):
    with open(path, newline="") as fp:
        return list(csv.DictReader(fp))


def main():
    shutil.rmtree(SCRATCH, ignore_errors=True)
    os.makedirs(SCRATCH)
    scenarios = sorted(glob.glob(os.path.join(ROOT, "params", "scenarios", "*.ini")))[:2]
    books = {
        "run": run("run", ["run"]),
        "validate": run("validate", ["validate"]),
        "compare": run("compare", ["compare"] + scenarios),
        "psa": run("psa", ["psa", "-n", "400", "--seed", "1", "--evppi"]),
        "anchors": run("anchors", ["anchors"]),
    }
    for cmd, out in books.items():
        book = os.path.join(out, "book.xlsx")
        check_zip(book)
        sheets = libreoffice_sheets(book, out)
        cells = compare_clients(book, sheets)
        d = os.path.join(out, "csv")
        n = 0
        if cmd == "run":
            rows = read_csv(os.path.join(d, "net_savings.csv"))
            n += expect_in_sheet("run Summary", sheets.get("Summary", []),
                                 [float(r["net_savings"]) for r in rows
                                  if r["subgroup"] == "all" and r["perspective"] == "society"
                                  and r["discounted"] == "1"])
            if "Anchors" not in sheets:
                fail("run: the workbook has no Anchors sheet, though params/anchors.csv exists")
            trace = read_csv(os.path.join(d, "trace.csv"))
            for s in sorted({r["strategy"] for r in trace}):
                n += expect_in_sheet(f"run Trace {s}", sheets.get(f"Trace {s}", []),
                                     [float(r["occupancy"]) for r in trace
                                      if r["strategy"] == s and float(r["occupancy"]) != 0])
        elif cmd == "validate":
            rows = read_csv(os.path.join(d, "validation.csv"))
            n += expect_in_sheet("validate Validation", sheets.get("Validation", []),
                                 [float(r["predicted"]) for r in rows])
        elif cmd == "compare":
            rows = read_csv(os.path.join(d, "scenarios.csv"))
            col = "net_savings_per_client" if rows and "net_savings_per_client" in rows[0] else "net_savings"
            n += expect_in_sheet("compare Scenarios", sheets.get("Scenarios", []),
                                 [float(r[col]) for r in rows if r[col] not in ("", "NA")])
        elif cmd == "anchors":
            rows = read_csv(os.path.join(d, "anchors.csv"))
            n += expect_in_sheet("anchors Anchors", sheets.get("Anchors", []),
                                 [float(r["netsave_ratio"]) for r in rows
                                  if r["netsave_ratio"] not in ("", "NA")])
        elif cmd == "psa":
            rows = read_csv(os.path.join(d, "psa_summary.csv"))
            n += expect_in_sheet("psa PSA", sheets.get("PSA", []),
                                 [float(r["mean"]) for r in rows
                                  if r["measure"] == "net_savings" and r["mean"] not in ("", "NA")])
            rows = read_csv(os.path.join(d, "evppi.csv"))
            n += expect_in_sheet("psa EVPPI", sheets.get("EVPPI", []),
                                 [float(r["evppi_per_person"]) for r in rows
                                  if r["measure"] == "net_savings"
                                  and r["evppi_per_person"] != ""])
        print(f"{cmd}: {len(sheets)} sheets; {cells} numeric cells agree between "
              f"openpyxl and LibreOffice; {n} CSV values found in the sheets")
    if failures:
        sys.exit(1)


main()

#!/usr/bin/env python3
"""LibreOffice recalculates netsave's formulas to netsave's numbers.

  1. formula_book's workbook: hundreds of expressions translated to
     formulas (output/formula.h), whose cached values are deliberately
     wrong; LibreOffice recalculates them on load, and each must equal
     netsave's own value of the expression to 1e-9, relative.
  2. (live model workbooks, when written) every formula cell, recalculated,
     against the engine's CSV.

LibreOffice recalculates an .xlsx on load only when told to: a fresh
profile is made with Calc's "recalculation on file load" set to always
(OOXMLRecalcMode 0), and every workbook is converted in one start.

Usage: check_live.py FORMULA_BOOK NETSAVE SOFFICE SCRATCH
"""
import csv
import glob
import math
import os
import shutil
import subprocess
import sys

FORMULA_BOOK, NETSAVE, SOFFICE, SCRATCH = sys.argv[1:5]
SKIP = 77
try:
    import openpyxl  # noqa: F401  (the input changes need it)
except ImportError:
    print("skipped: install python3-openpyxl (and libreoffice-calc-nogui)")
    sys.exit(SKIP)
if not shutil.which(SOFFICE):
    print("skipped: install libreoffice-calc-nogui")
    sys.exit(SKIP)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
failures = []

RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def close(a, b, rel=1e-9):
    return abs(a - b) <= rel * max(1e-12, abs(a), abs(b))


def recalculated_sheets(books, out):
    """Each book recalculated by LibreOffice (one start for all), as
    {book: {sheet: rows of strings}}."""
    lo = os.path.join(out, "lo")
    os.makedirs(os.path.join(lo, "profile", "user"), exist_ok=True)
    with open(os.path.join(lo, "profile", "user", "registrymodifications.xcu"), "w") as fp:
        fp.write(RECALC_ALWAYS)
    # 44 = ',', 34 = '"', 76 = UTF-8; token 8 false: raw values, not as
    # shown; the last token -1: every sheet to its own file.
    filt = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    r = subprocess.run([SOFFICE, "--headless", "--norestore",
                        f"-env:UserInstallation=file://{lo}/profile",
                        "--convert-to", filt, "--outdir", lo] + books,
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise SystemExit(f"LibreOffice could not convert: {r.stderr}")
    result = {}
    for book in books:
        stem = os.path.splitext(os.path.basename(book))[0]
        sheets = {}
        for f in glob.glob(os.path.join(lo, stem + "-*.csv")):
            name = os.path.basename(f)[len(stem) + 1:-4]
            with open(f, newline="", encoding="utf-8") as fp:
                sheets[name] = list(csv.reader(fp))
        result[book] = sheets
    return result


def as_number(text):
    try:
        v = float(text)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def check_formula_book(sheets):
    rows = sheets.get("F", [])
    worst, n = 0.0, 0
    for r in rows[1:]:
        got, want = as_number(r[1]), as_number(r[2])
        if got is None or want is None or not close(got, want):
            fail(f"formula book: {r[0]}: LibreOffice {r[1]}, netsave {r[2]}")
            continue
        n += 1
        worst = max(worst, abs(got - want) / max(1e-300, abs(want)) if want else abs(got))
    if n < 300:
        fail(f"formula book: only {n} expressions compared")
    print(f"formula book: {n} expressions, largest relative difference {worst:.3g}")


def main():
    shutil.rmtree(SCRATCH, ignore_errors=True)
    os.makedirs(SCRATCH)
    fbook = os.path.join(SCRATCH, "formulas.xlsx")
    r = subprocess.run([FORMULA_BOOK, fbook], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"formula_book failed: {r.stderr}")
    books = [fbook]
    sheets = recalculated_sheets(books, SCRATCH)
    check_formula_book(sheets[fbook])
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)


main()

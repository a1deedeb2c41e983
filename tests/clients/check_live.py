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
import math
import os
import shutil
import subprocess
import sys

FORMULA_BOOK, NETSAVE, SOFFICE, SCRATCH = sys.argv[1:5]
SKIP = 77
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
    {book: {sheet: rows of values}}. LibreOffice saves the recalculated
    book as .xlsx, whose cached values keep every digit (its CSV export
    writes small numbers with fewer), and openpyxl reads them."""
    lo = os.path.join(out, "lo")
    os.makedirs(os.path.join(lo, "profile", "user"), exist_ok=True)
    with open(os.path.join(lo, "profile", "user", "registrymodifications.xcu"), "w") as fp:
        fp.write(RECALC_ALWAYS)
    r = subprocess.run([SOFFICE, "--headless", "--norestore",
                        f"-env:UserInstallation=file://{lo}/profile",
                        "--convert-to", "xlsx", "--outdir", lo] + books,
                       capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        raise SystemExit(f"LibreOffice could not convert: {r.stderr}")
    result = {}
    for book in books:
        path = os.path.join(lo, os.path.basename(book))
        if not os.path.exists(path):
            raise SystemExit(f"LibreOffice wrote no {path}: {r.stderr}")
        wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
        result[book] = {ws.title: [["" if v is None else v for v in row]
                                   for row in ws.iter_rows(values_only=True)]
                        for ws in wb.worksheets}
        wb.close()
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
        if len(r) < 3:
            continue
        got, want = as_number(r[1]), as_number(r[2])
        if got is None or want is None or not close(got, want):
            fail(f"formula book: {r[0]}: LibreOffice {r[1]}, netsave {r[2]}")
            continue
        n += 1
        worst = max(worst, abs(got - want) / max(1e-300, abs(want)) if want else abs(got))
    if n < 300:
        fail(f"formula book: only {n} expressions compared")
    print(f"formula book: {n} expressions, largest relative difference {worst:.3g}")



def read_csv(path):
    with open(path, newline="") as fp:
        return list(csv.DictReader(fp))


def run_netsave(name, args, book=True):
    """netsave run ARGS --formulas: the live book (unless book is False:
    the CSV files only) and the CSV files."""
    out = os.path.join(SCRATCH, name)
    os.makedirs(out)
    book = os.path.join(out, name + ".xlsx") if book else None
    cmd = [NETSAVE, "run"] + args + ["--csv", os.path.join(out, "csv")]
    if book:
        cmd += ["--formulas", "-o", book]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0 or (book and not os.path.exists(book)):
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr}")
    if "static" in r.stderr:
        fail(f"{name}: the workbook came out static: {r.stderr.strip()}")
    return book, os.path.join(out, "csv")


class Book:
    """A live book as written (formulas and cached values) and as
    LibreOffice recalculated it."""

    def __init__(self, path):
        self.path = path
        self.lo = None

    def value(self, sheet, row, col):
        rows = self.lo.get(sheet, [])
        if row - 1 < len(rows) and col - 1 < len(rows[row - 1]):
            return as_number(rows[row - 1][col - 1])
        return None

    def formula_cells(self):
        """(sheet, row, column, formula, cached value) of every formula
        cell, both read in openpyxl's fast read-only mode."""
        formulas = openpyxl.load_workbook(self.path, read_only=True)
        cached = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        for ws in formulas.worksheets:
            values = cached[ws.title].iter_rows(values_only=True)
            for r, (frow, vrow) in enumerate(zip(ws.iter_rows(values_only=True), values), 1):
                for c, (f, v) in enumerate(zip(frow, vrow), 1):
                    if isinstance(f, str) and f.startswith("="):
                        yield ws.title, r, c, f, v
        formulas.close()
        cached.close()


def check_cached(book, label):
    """Every formula cell, recalculated, equals the engine's value that
    netsave cached in it."""
    n, worst = 0, 0.0
    for sheet, row, col, formula, want in book.formula_cells():
        if not isinstance(want, (int, float)):
            continue
        got = book.value(sheet, row, col)
        n += 1
        if got is None or not close(got, want):
            fail(f"{label} {sheet} row {row} column {col}: LibreOffice {got}, netsave {want} ({formula[:120]})")
            if len(failures) > 20:
                raise SystemExit("too many failures")
            continue
        if want:
            worst = max(worst, abs(got - want) / abs(want))
    print(f"{label}: {n} formula cells recalculated, largest relative difference {worst:.3g}")
    if n == 0:
        fail(f"{label}: no formula cells")
    return n, worst


def totals_rows(book):
    """{(strategy, stream): (total, discounted)} from Totals, recalculated."""
    rows = book.lo.get("Totals", [])
    out = {}
    for r in rows[2:]:
        if len(r) > 5 and r[1] and as_number(r[4]) is not None:
            out[(r[0], r[1])] = (as_number(r[4]), as_number(r[5]))
    return out


def check_against_csv(book, csvdir, label):
    """Totals and Summary, recalculated, against the engine's CSV."""
    have = totals_rows(book)
    n = 0
    for r in read_csv(os.path.join(csvdir, "summary.csv")):
        key = (r["strategy"], r["stream"])
        if key not in have:
            fail(f"{label}: Totals has no row {key}")
            continue
        for got, want in zip(have[key], (float(r["total"]), float(r["discounted_total"]))):
            n += 1
            if got is None or not close(got, want):
                fail(f"{label}: Totals {key}: LibreOffice {got}, engine {want}")
    summary = book.lo.get("Summary", [])
    cohort = {r[0]: as_number(r[4]) for r in book.lo.get("Totals", []) if len(r) > 4}
    blocks = {}
    persp = None
    for r in summary:
        if r and isinstance(r[0], str) and r[0].startswith("Perspective: "):
            persp = r[0][len("Perspective: "):].replace("all payers", "all_payers")
        elif persp and len(r) > 8 and as_number(r[4]) is not None:
            blocks[(persp, r[0])] = (as_number(r[4]), as_number(r[8]))
    for r in read_csv(os.path.join(csvdir, "net_savings.csv")):
        if r["subgroup"] not in ("all", "") or r["discounted"] != "1":
            continue
        key = (r["perspective"], r["strategy"])
        want = float(r["net_savings"])
        got, payback = blocks.get(key, (None, None))
        c = cohort.get(r["strategy"])
        n += 2
        if got is None or c is None or not close(got * c, want):
            fail(f"{label}: Summary net savings {key}: LibreOffice {got} x cohort {c}, engine {want}")
        want_payback = float(r["payback_year"]) if r["payback_year"] else 0.0
        if payback != want_payback:
            fail(f"{label}: Summary payback year {key}: LibreOffice {payback}, engine {want_payback}")
    print(f"{label}: {n} Totals and Summary figures match the engine's CSV")
    return n


def changed_copy(book, changes, suffix):
    """A copy of the book with inputs changed by openpyxl: changes maps an
    input's name (or 'Your area'!B5) to its new value."""
    wb = openpyxl.load_workbook(book.path)
    for name, value in changes.items():
        if "!" in name:
            sheet, cell = name.split("!")
            wb[sheet.strip("'")][cell].value = value
            continue
        for row in wb["Inputs"].iter_rows():
            if row[0].value == name:
                row[1].value = value
                break
        else:
            raise SystemExit(f"{book.path}: no input named {name}")
    path = book.path.replace(".xlsx", f"-{suffix}.xlsx")
    wb.save(path)
    return path


CASES = [
    # name, model args, input changes, the same as --set
    ("worked", ["docs/examples/worked_example.ini"],
     {"cost_treatment_treat": 750.0, "p_relapse": 0.2, "discount_costs": 0.05},
     ["--set", "parameters.treat.cost_treatment=750", "--set", "parameters.p_relapse=0.2",
      "--set", "discount.costs=0.05"]),
    # The England model: two subgroups, eight strategies; a unit cost, the
    # probability of re-entering treatment, the discount rate and the
    # area's starts of residential rehabilitation in year 1.
    ("england", ["params/england.ini", "tests/clients/live_models/area.ini"],
     {"uc_dburg": 2800.0, "p_reenter": 0.2, "discount_costs": 0.05,
      "'Your area'!B5": 300.0},
     ["--set", "parameters.uc_dburg=2800", "--set", "parameters.p_reenter=0.2",
      "--set", "discount.costs=0.05"]),
    # Sick-Sicker (validation/): counting weights from an expression.
    ("sick_sicker", ["validation/models/sick_sicker.ini"],
     {"c_S1": 5000.0, "r_HS1": 0.2, "discount_costs": 0.05},
     ["--set", "parameters.c_S1=5000", "--set", "parameters.r_HS1=0.2",
      "--set", "discount.costs=0.05"]),
]
# The ageing test model (an age table, parameters of age, time and cycle,
# a cost at time 0 only, a transition value, overrides, payers) under
# each counting convention, time 0 not counted, and discounting from the
# end of the first cycle.
AGEING = "tests/clients/live_models/ageing.ini"
AGEING_CHANGES = ({"cost_assess_treat": 500.0, "p_relapse0": 0.25, "discount_costs": 0.05},
                  ["--set", "parameters.treat.cost_assess=500", "--set", "parameters.p_relapse0=0.25",
                   "--set", "discount.costs=0.05"])
for counting in ("start", "end", "life_table", "simpson"):
    CASES.append((f"ageing_{counting}", [AGEING, "--set", f"model.counting={counting}"]) + AGEING_CHANGES)
CASES.append(("ageing_no_time_zero", [AGEING, "--set", "model.count_time_zero=no"]) + AGEING_CHANGES)
CASES.append(("ageing_discount_end", [AGEING, "--set", "model.discount_origin=end_of_first_cycle"]) + AGEING_CHANGES)
# Time in state: relapse read from state_time, abstinent expanded into
# tunnel states (a column per slot), with the age table.
CASES.append(("tunnels", ["tests/clients/live_models/tunnels.ini"]) + AGEING_CHANGES)


def check_area(book, csvdir, label):
    """Your area (model/area.h's conventions): the starters of area year s
    count (1 + r)^-(s - 1) of what they save per client, r the cost
    discount rate on Inputs. Year 1's net savings of each strategy is its
    starts that year times the engine's net savings per client (headline
    perspective, pooled, discounted); each payer's savings of all years'
    starters is the discounted starts times the engine's per client."""
    rows = book.lo.get("Your area", [])
    inputs = {r[0]: as_number(r[1]) for r in book.lo.get("Inputs", []) if len(r) > 1}
    rate = inputs.get("discount_costs") or 0.0
    starts, factors = {}, []
    for r in rows[4:]:
        if not r or not r[0]:
            break
        if isinstance(r[0], str) and r[0].startswith("discount factor"):
            factors = [as_number(v) for v in r[1:] if as_number(v) is not None]
            break
        starts[r[0]] = [as_number(v) for v in r[1:] if as_number(v) is not None]
    n = 0
    for y, f in enumerate(factors):
        n += 1
        if not close(f, (1 + rate) ** -y):
            fail(f"{label}: Your area discount factor of year {y + 1}: {f}, expected {(1 + rate) ** -y}")
    cohort = {r[0]: as_number(r[4]) for r in book.lo.get("Totals", []) if len(r) > 4}
    net_block = None
    for i, r in enumerate(rows):
        if r and isinstance(r[0], str) and r[0].startswith("net savings of each year"):
            net_block = i + 1
    if net_block is None or not factors:
        fail(f"{label}: Your area has no net savings block or no discount factors")
        return 0
    persp = None
    for r in read_csv(os.path.join(csvdir, "net_savings.csv")):
        if persp is None:
            persp = r["perspective"]
        if r["perspective"] != persp or r["subgroup"] not in ("all", "") or r["discounted"] != "1":
            continue
        for row in rows[net_block:]:
            if row and row[0] == r["strategy"]:
                want = starts[r["strategy"]][0] * float(r["net_savings"]) / cohort[r["strategy"]]
                got = as_number(row[1])
                n += 1
                if got is None or not close(got, want):
                    fail(f"{label}: Your area {r['strategy']} year 1: LibreOffice {got}, engine x starts {want}")
                break  # the first row of that name: the net savings block
    head = None
    for i, r in enumerate(rows):
        if r and isinstance(r[0], str) and r[0].startswith("savings by payer"):
            head = i + 1
    payers = [p for p in rows[head][1:] if p] if head else []
    for r in read_csv(os.path.join(csvdir, "payers.csv")):
        if r["subgroup"] not in ("all", "") or r["discounted"] != "1" or r["payer"] not in payers:
            continue
        col = 1 + payers.index(r["payer"])
        weighted = sum(s * (1 + rate) ** -y for y, s in enumerate(starts[r["strategy"]]))
        for row in rows[head + 1:]:
            if row and row[0] == r["strategy"]:
                want = weighted * float(r["savings"]) / cohort[r["strategy"]]
                got = as_number(row[col])
                n += 1
                if got is None or not close(got, want):
                    fail(f"{label}: Your area {r['strategy']} payer {r['payer']}: LibreOffice {got}, engine {want}")
                break
    print(f"{label}: {n} area figures match starts x the engine's figures per client")
    return n


def check_area_csv(book, csvdir, label):
    """Summary's net savings for the area against area.csv: the area's
    years summed (model/area.h: they equal starts x discount x per
    client, summed over start years)."""
    path = os.path.join(csvdir, "area.csv")
    rows = read_csv(path) if os.path.exists(path) else []
    want = {}
    for r in rows:
        if r["discounted"] == "1":
            key = (r["perspective"], r["strategy"])
            want[key] = want.get(key, 0.0) + float(r["net_savings"])
    persp, n = None, 0
    for r in book.lo.get("Summary", []):
        if r and isinstance(r[0], str) and r[0].startswith("Perspective: "):
            persp = r[0][len("Perspective: "):].replace("all payers", "all_payers")
        elif persp and len(r) > 7 and (persp, r[0]) in want:
            got = as_number(r[7])
            n += 1
            if got is None or not close(got, want[(persp, r[0])]):
                fail(f"{label}: Summary area net savings {persp} {r[0]}: LibreOffice {got}, area.csv {want[(persp, r[0])]}")
    if rows and not n:
        fail(f"{label}: no Summary area figure to compare with area.csv")
    if n:
        print(f"{label}: {n} area totals match area.csv")


def check_static_fallback():
    """A model the live workbook cannot copy (here a formula longer than
    Excel's 8,192 characters) gets the static workbook and one line naming
    what and why, and run succeeds."""
    out = os.path.join(SCRATCH, "static")
    os.makedirs(out)
    book = os.path.join(out, "static.xlsx")
    long = "0.15" + "+0*quarter" * 1000
    r = subprocess.run([NETSAVE, "run", "docs/examples/worked_example.ini",
                        "--set", f"parameters.p_relapse={long}",
                        "--formulas", "-o", book], capture_output=True, text=True, cwd=ROOT)
    lines = [l for l in r.stderr.splitlines() if "static" in l]
    if r.returncode != 0 or len(lines) != 1 or "8192" not in lines[0]:
        fail(f"a long formula --formulas: exit {r.returncode}, stderr {r.stderr!r}")
        return
    wb = openpyxl.load_workbook(book)
    formulas = sum(1 for ws in wb.worksheets for row in ws.iter_rows()
                   for c in row if isinstance(c.value, str) and c.value.startswith("="))
    if formulas or "Inputs" not in wb.sheetnames:
        fail(f"a long formula --formulas: expected the static workbook, got {wb.sheetnames} with {formulas} formulas")
    print("a formula too long for Excel: static workbook and one line:", lines[0][:100])


def main():
    shutil.rmtree(SCRATCH, ignore_errors=True)
    os.makedirs(SCRATCH)
    fbook = os.path.join(SCRATCH, "formulas.xlsx")
    r = subprocess.run([FORMULA_BOOK, fbook], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"formula_book failed: {r.stderr}")
    books = [fbook]
    plan = []
    for name, args, changes, sets in CASES:
        path, csvdir = run_netsave(name, args)
        book = Book(path)
        changed = changed_copy(book, changes, "changed")
        _, csv_changed = run_netsave(name + "_set", args + sets, book=False)
        books += [path, changed]
        plan.append((name, book, csvdir, Book(changed), csv_changed))
    check_static_fallback()
    sheets = recalculated_sheets(books, SCRATCH)
    check_formula_book(sheets[fbook])
    for name, book, csvdir, changed, csv_changed in plan:
        book.lo = sheets[book.path]
        changed.lo = sheets[changed.path]
        check_cached(book, name)
        check_against_csv(book, csvdir, name)
        check_area_csv(book, csvdir, name)
        check_against_csv(changed, csv_changed, name + " with inputs changed")
        check_area(changed, csv_changed, name + " with inputs changed")
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)


main()

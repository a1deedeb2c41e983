#!/usr/bin/env bash
# netsave init --area writes an [area] template for the built-in model that
# runs on top of it; filled in, netsave run writes area.csv whose totals
# are the clients starting times the per-client net savings of
# net_savings_by_year.csv (divided by the cohort at time 0 in trace.csv),
# each year's clients shifted by their start year and discounted by an
# additional (1 + r)^-(start year - 1), computed here independently; the
# discount rate is set on the command line so that the test knows it.
# area_payers.csv's payers add up to the all-payers net savings, and the
# printed table shows the area.
# Usage: area_totals.sh NETSAVE SOURCE_DIR SCRATCH
. "$(dirname "$0")/script_start.sh"

"$netsave" init model >/dev/null || fail "init wrote no model"
"$netsave" init model --area Testville >out 2>err || fail "init --area: $(cat err)"
[ -s model/area.ini ] || fail "init --area wrote no model/area.ini"
for k in rehab inpatient mmt mr; do
    grep -q "^$k = 0$" model/area.ini || fail "the template does not list $k"
done
grep -q "^name = Testville$" model/area.ini || fail "the template does not name the area"
grep -q "_none = " model/area.ini && fail "the template lists a comparator"
"$netsave" init model --area Testville >/dev/null 2>&1 && fail "init --area wrote over area.ini"

# The template as written runs (every start 0), then filled in.
"$netsave" run model/england.ini model/area.ini >/dev/null 2>err ||
    fail "the template does not run: $(cat err)"
sed -i 's/^mmt = 0$/mmt = 300/; s/^rehab = 0$/rehab = 100, 110, 120, 130, 140/' model/area.ini
"$netsave" run model/england.ini model/area.ini --set discount.costs=0.04 \
    --csv csv -o area.xlsx >printed 2>err || fail "run with the area: $(cat err)"
grep -q "^Area Testville, discounted, perspective: society$" printed ||
    fail "the area table is not printed"

python3 - csv <<'PY' || fail "area.csv disagrees with the per-client results"
import csv, sys
d = sys.argv[1]
rate = 0.04
starts = {"mmt": [300.0] * 5, "rehab": [100.0, 110.0, 120.0, 130.0, 140.0],
          "inpatient": [0.0] * 5, "mr": [0.0] * 5}
cohort = {}
for row in csv.DictReader(open(f"{d}/trace.csv")):
    if row["cycle"] == "0":
        cohort[row["strategy"]] = cohort.get(row["strategy"], 0.0) + float(row["occupancy"])
by_year = {}
for row in csv.DictReader(open(f"{d}/net_savings_by_year.csv")):
    if row["subgroup"] == "all":
        key = (row["strategy"], row["perspective"], row["discounted"])
        by_year.setdefault(key, {})[int(row["year"])] = float(row["net_savings"])
totals = {}
for row in csv.DictReader(open(f"{d}/net_savings.csv")):
    if row["subgroup"] == "all":
        totals[(row["strategy"], row["perspective"], row["discounted"])] = float(row["net_savings"])
area = {}
for row in csv.DictReader(open(f"{d}/area.csv")):
    assert row["area"] == "Testville", row
    area[(row["strategy"], row["perspective"], row["discounted"], int(row["year"]))] = row
H = 5
n_years = len(starts["mmt"]) + H - 1
assert len({k[3] for k in area}) == n_years, "area years"
worst = 0.0
checked = 0
for (k, view, disc), years in by_year.items():
    shift = (lambda s: (1 + rate) ** -s) if disc == "1" else (lambda s: 1.0)
    total = 0.0
    for a in range(1, n_years + 1):
        expected = sum(starts[k][s] * shift(s) * years[a - s] / cohort[k]
                       for s in range(len(starts[k])) if 1 <= a - s <= H)
        got = area[(k, view, disc, a)]
        got_net = float(got["net_savings"])
        assert abs(got_net - expected) <= 1e-9 * max(abs(expected), 1.0), (k, view, disc, a, got_net, expected)
        assert float(got["net_savings"]) == float(got["savings"]) - float(got["treatment_cost"]) or \
            abs(float(got["savings"]) - float(got["treatment_cost"]) - got_net) <= 1e-9 * abs(got_net)
        s_expected = starts[k][a - 1] if a <= len(starts[k]) else 0.0
        assert float(got["starts"]) == s_expected, (k, a, got["starts"])
        total += expected
        checked += 1
    # Over all years: starts x per-client net savings x discount.
    whole = sum(starts[k][s] * shift(s) for s in range(5)) * totals[(k, view, disc)] / cohort[k]
    cum = float(area[(k, view, disc, n_years)]["cumulative_net_savings"])
    assert abs(cum - whole) <= 1e-9 * max(abs(whole), 1.0), (k, view, disc, cum, whole)
# 'all' is the sum of the strategies.
for view in {k[1] for k in area}:
    for disc in ("0", "1"):
        for a in range(1, n_years + 1):
            s = sum(float(area[(k, view, disc, a)]["net_savings"]) for k in starts)
            al = float(area[("all", view, disc, a)]["net_savings"])
            assert abs(s - al) <= 1e-9 * max(abs(al), 1.0), (view, disc, a)
# Each payer's savings add up to the all-payers net savings.
payers = {}
for row in csv.DictReader(open(f"{d}/area_payers.csv")):
    key = (row["strategy"], row["discounted"], int(row["year"]))
    payers[key] = payers.get(key, 0.0) + float(row["savings"])
for (k, disc, a), s in payers.items():
    net = float(area[(k, "all_payers", disc, a)]["net_savings"])
    assert abs(s - net) <= 1e-9 * max(abs(net), 1.0), (k, disc, a, s, net)
assert checked == 4 * 3 * 2 * n_years, checked
PY

# The workbook's Area sheet: its net savings per year are area.csv's for
# the headline perspective (society), and a chart draws them.
python3 - area.xlsx csv/area.csv <<'PY' || fail "the Area sheet is wrong"
import csv, re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
book = z.read("xl/workbook.xml").decode()
names = re.findall(r'<sheet name="([^"]+)" sheetId="\d+" r:id="(rId\d+)"', book)
assert "Area" in [n for n, _ in names], names
rels = z.read("xl/_rels/workbook.xml.rels").decode()
rid = dict(names)["Area"]
target = re.search(r'Id="%s"[^>]*Target="([^"]+)"' % rid, rels) or \
    re.search(r'Target="([^"]+)"[^>]*Id="%s"' % rid, rels)
sheet = z.read("xl/" + target.group(1)).decode()
cells = dict(re.findall(r'<c r="E(\d+)"[^>]*><v>([^<]+)</v>', sheet))
rows = [r for r in csv.DictReader(open(sys.argv[2]))
        if r["strategy"] == "all" and r["perspective"] == "society"
        and r["discounted"] == "1"]
assert len(rows) == 9, len(rows)
for r in rows:
    got = float(cells[str(4 + int(r["year"]))])
    assert abs(got - float(r["net_savings"])) <= 1e-9 * abs(got), (r, got)
charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
assert any("Area!$E$5:$E$13" in z.read(n).decode() for n in charts), charts
PY
exit 0

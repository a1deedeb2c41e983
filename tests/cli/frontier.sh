#!/usr/bin/env bash
# The frontier over all strategies on a four-strategy model (the
# Sick-Sicker tutorial: standard of care, A, B, AB), checked against
# numbers computed here by another method from the run's own summary.csv:
#   - frontier.csv against a frontier built by "next lowest ICER" from the
#     cheapest strategy (the textbook walk along the convex hull, not
#     dampack's removal passes that netsave follows), with NMB and NHB;
#   - the published tutorial's table: A dominated, B at USD 72,988 per
#     QALY against standard of care, AB at USD 125,764 against B
#     (Alarid-Escudero et al. 2023; validation/models/sick_sicker.expected.csv);
#   - summary.csv's net benefit columns;
#   - psa's ceaf.csv: the chance each strategy is optimal recounted from
#     psa_draws.csv's increments, and the acceptability frontier.
# Usage: frontier.sh NETSAVE SOURCE_DIR SCRATCH
. "$(dirname "$0")/script_start.sh"
model=$src/validation/models/sick_sicker.ini

"$netsave" run "$model" --wtp 100000 --csv run -o run.xlsx >stdout 2>err ||
    fail "run failed: $(cat err)"
grep -q "^AB .* ND  *B " stdout || fail "the printed frontier lacks AB against B"

python3 - run/summary.csv run/frontier.csv <<'PY' || fail "frontier.csv disagrees"
import csv, sys
summary = list(csv.DictReader(open(sys.argv[1])))
frontier = list(csv.DictReader(open(sys.argv[2])))
order = []
cost, qaly = {}, {}
for r in summary:
    s = r["strategy"]
    if s not in order:
        order.append(s)
    d = cost if r["outcome"] == "costs" else qaly
    d[s] = d.get(s, 0.0) + float(r["discounted_total"])

def close(a, b, tol=1e-9):
    return abs(a - b) <= tol * max(1.0, abs(b))

def check(ok, what):
    if not ok:
        sys.exit("frontier.sh: " + what)

# Strongly dominated: another no dearer and at least as effective, one of
# the two strictly (or an exact twin listed earlier).
def dominated(j):
    for i in order:
        if i == j:
            continue
        if cost[i] <= cost[j] and qaly[i] >= qaly[j]:
            if cost[i] < cost[j] or qaly[i] > qaly[j] or order.index(i) < order.index(j):
                return True
    return False

# The walk: from the cheapest undominated strategy, go to the one with the
# lowest ICER among those more effective; what is never reached and not D
# is ED.
nd = [s for s in order if not dominated(s)]
start = min(nd, key=lambda s: (cost[s], -qaly[s]))
walk, icer = [start], {}
while True:
    here = walk[-1]
    ahead = [s for s in nd if qaly[s] > qaly[here]]
    if not ahead:
        break
    nxt = min(ahead, key=lambda s: ((cost[s] - cost[here]) / (qaly[s] - qaly[here]), cost[s]))
    icer[nxt] = (cost[nxt] - cost[here]) / (qaly[nxt] - qaly[here])
    walk.append(nxt)
status = {s: "ND" if s in walk else ("D" if dominated(s) else "ED") for s in order}

check(len(frontier) == len(order), "one row per strategy")
check([r["strategy"] for r in frontier if r["status"] == "ND"] == walk,
      "frontier order %s, expected %s" % ([r["strategy"] for r in frontier], walk))
for r in frontier:
    s = r["strategy"]
    check(r["subgroup"] == "all", "subgroup all")
    check(r["status"] == status[s], "%s status %s, expected %s" % (s, r["status"], status[s]))
    check(close(float(r["cost"]), cost[s]) and close(float(r["health"]), qaly[s]), s + " totals")
    if s in icer:
        check(close(float(r["icer"]), icer[s]), "%s ICER %s, expected %r" % (s, r["icer"], icer[s]))
        prev = walk[walk.index(s) - 1]
        check(r["previous_on_frontier"] == prev, s + " compared with " + prev)
        check(close(float(r["delta_cost"]), cost[s] - cost[prev]), s + " delta_cost")
    else:
        check(r["icer"] == "" and r["delta_cost"] == "" and r["previous_on_frontier"] == "",
              s + " has no increments")
    check(float(r["wtp"]) == 100000.0, "wtp")
    check(close(float(r["net_monetary_benefit"]), 100000 * qaly[s] - cost[s]), s + " NMB")
    check(close(float(r["net_health_benefit"]), qaly[s] - cost[s] / 100000), s + " NHB")
for r in summary:
    s = r["strategy"]
    check(close(float(r["net_monetary_benefit"]), 100000 * qaly[s] - cost[s]), s + " NMB in summary.csv")

# The published table, to the dollar it printed.
check(status == {"soc": "ND", "A": "D", "B": "ND", "AB": "ND"}, "published statuses")
check(abs(icer["B"] - 72988) < 0.5 and abs(icer["AB"] - 125764) < 0.5,
      "published ICERs 72988 and 125764, got %r" % icer)
PY

# The PSA over all strategies: uncertainty added by an overlay.
cat >uncertain.ini <<'INI'
[uncertainty]
r_HS1 = gamma(0.15, 0.02)
r_S1S2 = gamma(0.105, 0.015)
hr_S1S2_trtB = lognormal(0.6, 0.1)
INI
"$netsave" psa "$model" uncertain.ini -n 300 --seed 7 -j 2 --wtp 110000 \
    --csv psa --draws >psa.out 2>err || fail "psa failed: $(cat err)"
grep -q "willingness to pay of 110000" psa.out || fail "no table at --wtp 110000"
python3 - psa/psa_draws.csv psa/ceaf.csv <<'PY' || fail "ceaf.csv disagrees"
import csv, sys
from collections import defaultdict
draws = defaultdict(dict)
for r in csv.DictReader(open(sys.argv[1])):
    draws[int(r["draw"])][r["strategy"]] = (float(r["delta_cost"]), float(r["delta_health"]))
ceaf = list(csv.DictReader(open(sys.argv[2])))
order = ["soc", "A", "B", "AB"]
points = sorted({float(r["wtp"]) for r in ceaf})
# The grid (none in this model) plus --wtp.
if points != [110000.0]:
    sys.exit("frontier.sh: points %r" % points)
def rel(d, w):
    """Each strategy's NMB minus standard of care's: A and B are compared
    with soc, AB with B."""
    nb = lambda s: w * d[s][1] - d[s][0]
    return {"soc": 0.0, "A": nb("A"), "B": nb("B"), "AB": nb("AB") + nb("B")}
for w in points:
    wins = dict.fromkeys(order, 0)
    sums = dict.fromkeys(order, 0.0)
    for d in draws.values():
        v = rel(d, w)
        best = max(order, key=lambda s: (v[s], -order.index(s)))
        wins[best] += 1
        for s in order:
            sums[s] += v[s]
    rows = {r["strategy"]: r for r in ceaf if float(r["wtp"]) == w}
    for s in order:
        p = float(rows[s]["prob_optimal"])
        if abs(p - wins[s] / len(draws)) > 1e-12:
            sys.exit("frontier.sh: %s optimal in %r of draws, expected %r" % (s, p, wins[s] / len(draws)))
    # Expected NMB differences from soc, and the frontier's strategy.
    for s in order:
        got = float(rows[s]["expected_net_monetary_benefit"]) - float(rows["soc"]["expected_net_monetary_benefit"])
        want = sums[s] / len(draws)
        if abs(got - want) > 1e-6 * max(1.0, abs(want)):
            sys.exit("frontier.sh: %s expected NMB over soc %r, expected %r" % (s, got, want))
    best = max(order, key=lambda s: (sums[s], -order.index(s)))
    marked = [s for s in order if rows[s]["on_acceptability_frontier"] == "1"]
    if marked != [best]:
        sys.exit("frontier.sh: frontier marks %r, expected %r" % (marked, best))
PY
echo "frontier.sh: ok"

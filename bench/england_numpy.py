#!/usr/bin/env python3
"""The England model (params/england.ini) in NumPy, vectorised over PSA
draws: the way an economist would write it without netsave. A reference
for bench/run and a check on the engine: its deterministic base case must
give netsave's numbers (`--check`).

  england_numpy.py [--draws N] [--seed S]   PSA: mean society net savings
                                            per modality (discounted,
                                            pooled over the subgroups)
  england_numpy.py --base [--full]          the deterministic base case
                                            (also --draws 0)
  england_numpy.py --check DIR              compare the base case with
                                            `netsave run --csv DIR`

Exit status 3: the file's model is not the one translated here (other
states, or subgroup overrides that are not plain numbers).

What is hand-written and what is read from england.ini. The model's
structure is translated by hand from england.ini: the 13 states, the
factorised transitions (survival x stay/leave x next use x next
offending), every derived parameter's expression, every stream's state and
transition values, the strategies' parameter choices. The numbers are read
from the files: [parameters] keys whose value is a plain number,
[subgroups] and their numeric overrides, [discount], [perspectives], the
streams' outcome and payer tags, [uncertainty], [model] cycle_length,
horizon and report_cohort, and gdp_deflator.csv.

netsave's conventions, from model/engine.c and docs/model-format.md:
  - transitions of cycle c are evaluated at time (c - 1) x cycle length;
  - state values counted at point t at time t x cycle length, weighted by
    the life-table weights 1/2, 1, ..., 1, 1/2;
  - a transition value of cycle c counts at point c in full (no weight);
  - the value at point t is discounted by (1 + r)^-(t x cycle length)
    (discount_origin = start);
  - subgroups are run separately and pooled by weight; PSA draws override
    the parameter for every strategy and subgroup.
"""
import argparse
import csv
import math
import os
import re
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INI = os.path.join(ROOT, "params", "england.ini")

USES = ("abst", "nondaily", "daily")     # index u: 0 ab, 1 nd, 2 dl
U = ("ab", "nd", "dl")                   # the parameters' abbreviations
# States in england.ini's order: in_<use>_<crime|nocrime>, out_..., dead.
STATES = ([f"in_{u}_{o}" for u in USES for o in ("crime", "nocrime")] +
          [f"out_{u}_{o}" for u in USES for o in ("crime", "nocrime")] +
          ["dead"])
S = len(STATES)
IN, OUT, DEAD = slice(0, 6), slice(6, 12), 12
MODALITIES = ("rehab", "inpatient", "mmt", "mr")
STRATEGIES = MODALITIES + tuple(m + "_none" for m in MODALITIES)
CRIME = {  # offence type: (uprating year of its unit cost, components)
    "shop": (1999, ("ant", "con", "pol", "cjs")),
    "dburg": (1999, ("ant", "con", "pol", "cjs")),
    "cburg": (1999, ("ant", "con", "pol", "cjs")),
    "theft": (1999, ("ant", "con", "pol", "cjs")),
    "rob": (2015, ("ant", "con", "hlt", "pol", "cjs")),
    "tfv": (2015, ("ant", "con", "pol", "cjs")),
    "tov": (2015, ("ant", "con", "pol", "cjs")),
    "fraud": (2015, ("ant", "con", "pol", "cjs")),
}


# ---------------------------------------------------------------- inputs

def read_ini(path):
    """{section: {key: value}} in file order; comments stripped."""
    sections, cur = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            s = line.strip()
            if not s or s[0] in ";#":
                continue
            if s.startswith("["):
                cur = s[1:s.index("]")]
                sections.setdefault(cur, {})
                continue
            key, _, val = s.partition("=")
            sections[cur][key.strip()] = re.split(r"\s;", val)[0].strip()
    return sections


def out_of_date(what):
    """Stops with status 3: the file holds a model other than the one
    translated here (bench/run then leaves this reference out), which
    compared as it stands would only mislead."""
    print(f"england_numpy: {what}: the model has moved on from this "
          f"translation", file=sys.stderr)
    sys.exit(3)


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


class Model:
    """What is read from the files."""

    def __init__(self, path=INI):
        ini = read_ini(path)
        if list(ini.get("states", {})) != STATES:
            out_of_date(f"{path} has {len(ini.get('states', {}))} states, "
                        f"not the {S} translated here")
        self.cycle = float(ini["model"]["cycle_length"])
        self.T = int(round(float(ini["model"]["horizon"]) / self.cycle))
        self.report_cohort = float(ini["model"].get("report_cohort", "nan"))
        self.params = {k: number(v) for k, v in ini["parameters"].items()
                       if number(v) is not None}
        self.discount = {k: float(v) for k, v in ini["discount"].items()}
        self.perspectives = {k: [p.strip() for p in v.split(",")]
                             for k, v in ini["perspectives"].items()}
        # Streams in model order: outcome, payer, intervention.
        self.streams = []
        for sec, kv in ini.items():
            if not sec.startswith("stream."):
                continue
            tags = [t.strip() for t in kv.get("tags", "").split(",") if t.strip()]
            payer = next((t[6:] for t in tags if t.startswith("payer:")), None)
            self.streams.append((sec[7:], kv["outcome"], payer,
                                 "intervention" in tags))
        self.col = {s[0]: j for j, s in enumerate(self.streams)}
        self.cost_outcome = ini["model"]["cost_outcome"]
        self.place_outcome = ini["model"].get("place_outcome")
        # Payers in the order streams first name them.
        self.payers = []
        for _, _, p, _ in self.streams:
            if p and p not in self.payers:
                self.payers.append(p)
        self.subgroups = [(g, float(w)) for g, w in ini.get("subgroups", {}).items()]
        if not self.subgroups:
            self.subgroups = [("all", 1.0)]
        self.sub_over = {}
        for g, _ in self.subgroups:
            over = {}
            for k, v in ini.get("subgroup." + g, {}).items():
                sec, _, name = k.partition(".")
                if sec != "parameters" or number(v) is None:
                    out_of_date(f"subgroup {g}: cannot apply {k} = {v}")
                over[name] = number(v)
            self.sub_over[g] = over
        self.uncertain = []
        for name, text in ini.get("uncertainty", {}).items():
            m = re.fullmatch(r"(\w+)\s*(?:\((.*)\))?", text)
            args = [float(a) for a in m.group(2).split(",")] if m.group(2) else []
            self.uncertain.append((name, m.group(1), args))
        t = ini["table.gdp_deflator"]
        with open(os.path.join(os.path.dirname(path), t["file"]), encoding="utf-8") as f:
            rows = [(float(r[t["key_column"]]), float(r[t["value_column"]]))
                    for r in csv.DictReader(f)]
        self.deflator = rows

    def gdp_deflator(self, year):
        """The index of the last row whose year is <= year (a step function)."""
        value = None
        for key, index in self.deflator:
            if key <= year:
                value = index
        if value is None:
            sys.exit(f"england_numpy: gdp_deflator({year}) is before the table")
        return value

    def weights(self):
        """Life-table counting weights of points 0..T."""
        w = np.ones(self.T + 1)
        w[0] = w[-1] = 0.5
        return w

    def discount_factors(self):
        """[K, T+1]: each stream's outcome's factor at each point."""
        years = np.arange(self.T + 1) * self.cycle
        return np.array([(1.0 + self.discount[o]) ** -years
                         for _, o, _, _ in self.streams])


def sample(model, n, seed):
    """Draws of every [uncertainty] parameter, netsave's parameterisation
    by mean and standard error (method of moments, model/uncertainty.c)."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, kind, a in model.uncertain:
        if kind == "gamma":
            m, s = a
            out[name] = rng.gamma(m * m / (s * s), s * s / m, n)
        elif kind == "beta":
            m, s = a
            k = m * (1 - m) / (s * s) - 1
            out[name] = rng.beta(m * k, (1 - m) * k, n)
        elif kind == "lognormal":
            m, s = a
            sigma = math.sqrt(math.log(1 + s * s / (m * m)))
            out[name] = rng.lognormal(math.log(m) - 0.5 * sigma * sigma, sigma, n)
        elif kind == "normal":
            out[name] = rng.normal(a[0], a[1], n)
        elif kind == "uniform":
            out[name] = rng.uniform(a[0], a[1], n)
        elif kind == "triangular":
            out[name] = rng.triangular(a[0], a[1], a[2], n)
        elif kind != "fixed":
            sys.exit(f"england_numpy: unknown distribution {kind} for {name}")
    return out


# ---------------------------------------------------------------- the model

def strategy_parameters(q, s):
    """[parameters.STRATEGY] of england.ini: each strategy picks its
    modality's values; comparators keep the base values (no treatment, no
    lasting effect) but take their modality's intake profile."""
    q = dict(q)
    mod = s[:-5] if s.endswith("_none") else s
    res = mod in ("rehab", "inpatient")
    q["p0_daily"] = q["p0_daily_res"] if res else q["p0_daily_meth"]
    q["p0_abst"] = q["p0_abst_res"] if res else q["p0_abst_meth"]
    if s.endswith("_none"):
        for a, b in (("dl", "nd"), ("dl", "ab"), ("nd", "dl"), ("nd", "ab"),
                     ("ab", "nd"), ("ab", "dl")):
            q[f"tx_{a}_{b}_mod"] = q[f"nh_{a}_{b}"]
        return q
    q["start_tx"] = 1.0
    if mod == "rehab":
        q["rr_worse_post"] = q["rr_worse_post_rehab"]
        q["rr_better_post"] = q["rr_better_post_rehab"]
    elif mod == "inpatient":
        q["rr_worse_post"] = q["rr_worse_post_rehab"] * q["ratio_worse_post_inpatient"]
        q["rr_better_post"] = q["rr_better_post_rehab"] * q["ratio_better_post_inpatient"]
    elif mod == "mmt":
        q["rr_worse_post"] = q["rr_worse_post_mmt"]
        q["rr_better_post"] = q["rr_better_post_mmt"]
    else:
        q["rr_worse_post"] = q["rr_worse_post_mmt"] * q["ratio_worse_post_mr"]
        q["rr_better_post"] = q["rr_better_post_mmt"] * q["ratio_better_post_mr"]
    for k in ("leave_q1", "leave_q2", "leave_y1", "leave_later", "wk_leave_q1", "wk_leave"):
        q[k] = q[f"{k}_{mod}"]
    q["rr_die_tx"] = q["rr_die_res"] if res else q["rr_die_meth"]
    q["p_exd"] = q["exd_res"] if res else q["exd_meth"]
    q["cost_week"] = q["cost_week_" + (mod if res else "meth")]
    q["util_gain"] = q["util_tx_gain"]
    q["client_week"] = 0.0 if res else q["client_week_meth"]
    for a, b in (("dl", "nd"), ("dl", "ab"), ("nd", "dl"), ("nd", "ab"),
                 ("ab", "nd"), ("ab", "dl")):
        v = q[f"tx_{a}_{b}_{mod}"]
        if not res and (a, b) in (("dl", "nd"), ("dl", "ab"), ("nd", "ab")):
            v = v * q["meth_eff"]
        q[f"tx_{a}_{b}_mod"] = v
    if res:
        q["share_aftercare"] = q["share_aftercare_" + mod]
    return q


def blocks(A, O):
    """(D, 6, 6) transitions between (use, offending) pairs from use
    transitions A[d, u, v] and offending transitions given the next use
    O[d, v, o, o']: A[u, v] x O[v][o, o'], states ordered u * 2 + o."""
    D = A.shape[0]
    return (A[:, :, None, :, None] * O.transpose(0, 2, 1, 3)[:, None]).reshape(D, 6, 6)


def run_strategy(model, q, D):
    """One strategy of one subgroup, for D draws of the parameters q (each
    a float or an array of D). Returns values[t, d, j]: what stream j
    counts at point t (weighted, undiscounted), and trace[t, d, s]."""
    M, cyc, T, col = model, model.cycle, model.T, model.col
    K = len(M.streams)
    one = np.ones(D)
    g = lambda name: np.asarray(q[name], float) * one
    up = lambda year: M.gdp_deflator(q["price_year"]) / M.gdp_deflator(year)
    pc = q["cyc"]                                  # the cycle in the formulas
    wk_cyc = q["wk_year"] * pc
    shrink = q["effect_shrinkage"]

    # Initial state: the modality's intake mix, in treatment or not.
    start_tx = q["start_tx"]
    p_ab, p_dl = g("p0_abst"), g("p0_daily")
    p_use = (p_ab, 1 - p_ab - p_dl, p_dl)
    c0 = (g("c0_ab"), g("c0_nd"), g("c0_dl"))
    m = np.zeros((D, S))
    for u in range(3):
        m[:, 2 * u] = start_tx * p_use[u] * c0[u]
        m[:, 2 * u + 1] = start_tx * p_use[u] * (1 - c0[u])
        m[:, 6 + 2 * u] = (1 - start_tx) * p_use[u] * c0[u]
        m[:, 6 + 2 * u + 1] = (1 - start_tx) * p_use[u] * (1 - c0[u])

    # Use transitions in treatment (constant), TX[d, u, v].
    tx = {}
    for a, b in (("dl", "nd"), ("dl", "ab"), ("nd", "dl"), ("nd", "ab"),
                 ("ab", "nd"), ("ab", "dl")):
        nh = g(f"nh_{a}_{b}")
        tx[a, b] = nh + (1 - shrink) * (g(f"tx_{a}_{b}_mod") - nh)
    tx["dl", "dl"] = 1 - tx["dl", "nd"] - tx["dl", "ab"]
    tx["nd", "nd"] = 1 - tx["nd", "dl"] - tx["nd", "ab"]
    tx["ab", "ab"] = 1 - tx["ab", "dl"] - tx["ab", "nd"]
    TX = np.stack([np.stack([tx[a, b] for b in U], 1) for a in U], 1)

    def out_use(tau):
        """Use transitions out of treatment at time tau, OU[d, u, v]."""
        decay = np.exp(-q["post_decay"] * tau)
        worse = 1 + (1 - shrink) * (g("rr_worse_post") - 1) * decay
        better = 1 + (1 - shrink) * (g("rr_better_post") - 1) * decay
        o = {("dl", "nd"): g("nh_dl_nd") * better, ("dl", "ab"): g("nh_dl_ab") * better,
             ("nd", "dl"): g("nh_nd_dl") * worse, ("nd", "ab"): g("nh_nd_ab") * better,
             ("ab", "nd"): g("nh_ab_nd") * worse, ("ab", "dl"): g("nh_ab_dl") * worse}
        o["dl", "dl"] = 1 - o["dl", "nd"] - o["dl", "ab"]
        o["nd", "nd"] = 1 - o["nd", "dl"] - o["nd", "ab"]
        o["ab", "ab"] = 1 - o["ab", "dl"] - o["ab", "nd"]
        return np.stack([np.stack([o[a, b] for b in U], 1) for a in U], 1)

    # Offending given the next use level, O[d, v, o, o'] (o: 0 crime, 1 not).
    O = np.stack([np.stack([np.stack([1 - g(f"stop_{v}"), g(f"stop_{v}")], 1),
                            np.stack([g(f"start_{v}"), 1 - g(f"start_{v}")], 1)], 1)
                  for v in U], 1)

    alc_mult = 1 + q["heavy_share"] * (q["rr_die_alc"] - 1)
    smr = np.stack([g("smr_ab"), g("smr_nd"), g("smr_dl")], 1)

    def mortality(tau):
        """(pd_in, pd_out)[d, u]: death probabilities per cycle at time tau."""
        mort_now = q["mort_gp"] * np.exp(q["gompertz"] * (tau - 2)) * alc_mult
        pd_out = -np.expm1(-(mort_now * smr) * pc)
        pd_in = -np.expm1(-(mort_now * smr * g("rr_die_tx")[:, None]) * pc)
        return pd_in * one[:, None], pd_out * one[:, None]

    def p_leave(tau):
        return (q["leave_q1"] if tau < 0.25 else q["leave_q2"] if tau < 0.5
                else q["leave_y1"] if tau < 1 else q["leave_later"])

    def wk_leave_now(tau):
        return q["wk_leave_q1"] if tau < 0.25 else q["wk_leave"]

    # Unit values.
    od_share = q["od_share"]
    od_care_gbp = (q["p_amb_od"] * (g("uc_amb") + g("uc_ae_adm")) * up(2013)
                   + q["p_adm_od"] * g("uc_adm") * up(2016))
    od_fatal_gbp = g("uc_amb") * up(2013)
    tx_week_gbp = g("cost_week") * up(2011)
    aftercare_gbp = q["share_aftercare"] * q["aftercare_weeks"] * g("cost_week_meth") * up(2011)
    client_gbp = q["client_week"] * up(2015)
    funeral_gbp = q["uc_funeral"] * up(2015)
    wk_year = q["wk_year"]

    def state_vector(in_u, out_u, crime_only=False):
        """(D, S) state values from per-use values in and out of treatment."""
        V = np.zeros((D, S))
        for u in range(3):
            for o in ((0,) if crime_only else (0, 1)):
                V[:, 2 * u + o] = in_u[u]
                V[:, 6 + 2 * u + o] = out_u[u]
        return V

    # State values that do not change over time, SV[d, s, j].
    SV = np.zeros((D, S, K))
    done = set()

    def put(name, V):
        SV[:, :, col[name]] = V
        done.add(name)

    V = np.zeros((D, S))
    V[:, :DEAD] = g("other_tx_cycle")[:, None]
    put("treatment_other", V)
    intensity = (q["int_ab"], q["int_nd"], q["int_dl"])
    crime_mult = q["crime_mult"]
    for x, (year, comps) in CRIME.items():
        n = g("n_" + x) * crime_mult * pc
        gbp = g("n_" + x) * crime_mult * g("uc_" + x) * up(year) * pc
        rsp = 1 - q[f"sh_{x}_ant"] - q[f"sh_{x}_con"]
        pol = q[f"pol_{x}"]
        value = {"ant": gbp * q[f"sh_{x}_ant"], "con": gbp * q[f"sh_{x}_con"],
                 "pol": gbp * rsp * pol, "cjs": gbp * rsp * (1 - pol)}
        if x == "rob":
            value["con"] = gbp * (q["sh_rob_con"] - q["sh_rob_hlt"])
            value["hlt"] = gbp * q["sh_rob_hlt"]
        per_use = [n * i for i in intensity]
        put("offences_" + x, state_vector(per_use, per_use, True))
        for c in comps:
            per_use = [value[c] * i for i in intensity]
            put(f"crime_{x}_{c}", state_vector(per_use, per_use, True))
    sell_n = g("n_sell") * crime_mult * pc
    sell = {"n": sell_n,
            "pol": sell_n * q["p_arrest_sale"] * q["uc_police_drug"] * up(2007),
            "cjs": sell_n * q["p_arrest_sale"] * q["p_convict"]
            * (g("uc_court") + q["p_custody"] * q["custody_years"] * g("uc_prison_year") * up(2016))}
    for name, key in (("offences_sell", "n"), ("crime_sell_pol", "pol"), ("crime_sell_cjs", "cjs")):
        per_use = [sell[key] * i for i in intensity]
        put(name, state_vector(per_use, per_use, True))
    ae = [q[f"ae_{u}"] * g("uc_ae") * up(2013) * pc for u in U]
    adm = [q[f"adm_{u}"] * g("uc_adm") * up(2016) * pc for u in U]
    hcv = [q[f"share_{u}"] * q["hcv_susc"] * q["hcv_inc"] * pc * one for u in U]
    hiv = [q[f"share_{u}"] * q["hiv_inc"] * pc * one for u in U]
    put("health_emergency", state_vector(ae, ae))
    put("health_inpatient", state_vector(adm, adm))
    put("health_hcv", state_vector(*[[h * g("uc_hcv") * up(2016) for h in hcv]] * 2))
    put("health_hiv", state_vector(*[[h * g("uc_hiv") * up(2013) for h in hiv]] * 2))
    put("infections_hcv", state_vector(hcv, hcv))
    put("infections_hiv", state_vector(hiv, hiv))
    alc_in = q["heavy_share"] * q["alc_cost_year"] * q["rr_alc_tx"] * pc
    alc_out = q["heavy_share"] * q["alc_cost_year"] * pc
    put("health_alcohol", state_vector([alc_in * one] * 3, [alc_out * one] * 3))
    util = [g("util_ab"), g("util_nd"), g("util_dl")]
    put("qalys", state_vector([(x + q["util_gain"]) * pc for x in util], [x * pc for x in util]))
    put("life_years", state_vector([pc * one] * 3, [pc * one] * 3))
    spend_cyc = q["spend_month"] * 12 * pc * q["spend_mult"] * up(2017)
    spend = [0 * one, spend_cyc * q["spend_nd"] * one, spend_cyc * one]
    put("drug_spend", state_vector(spend, spend))
    # Streams with time-dependent state values or transition values only.
    timed = ("health_overdose", "overdoses_nonfatal")
    booked = ("treatment", "treatment_weeks", "place_years", "aftercare",
              "clients_treatment", "clients_funeral", "health_overdose",
              "deaths", "overdoses_fatal")
    done.update(timed, booked)
    missing = set(col) - done
    if missing:
        sys.exit(f"england_numpy: streams not translated: {sorted(missing)}")
    j_od, j_nfod = col["health_overdose"], col["overdoses_nonfatal"]

    weights = M.weights()
    values = np.zeros((T + 1, D, K))
    trace = np.zeros((T + 1, D, S))
    for t in range(T + 1):
        trace[t] = m
        # Point t: state values (time t x cycle), weighted.
        tau = t * cyc
        v = np.einsum("ds,dsj->dj", m, SV)
        pd_in, pd_out = mortality(tau)
        nfod_in, nfod_out = q["nf_ratio"] * pd_in * od_share, q["nf_ratio"] * pd_out * od_share
        nfod = state_vector(nfod_in.T, nfod_out.T)
        v[:, j_nfod] = np.einsum("ds,ds->d", m, nfod)
        v[:, j_od] = np.einsum("ds,ds->d", m, nfod * od_care_gbp[:, None])
        values[t] += weights[t] * v
        if t == T:
            break
        # Cycle t + 1 (time t x cycle): the transition matrix P[d, from, to].
        pl = (np.asarray(p_leave(tau), float) * one)[:, None]
        p_exd = g("p_exd")[:, None]
        stay = (1 - pd_in) * (1 - pl)
        go = (1 - pd_in) * pl * (1 - p_exd)
        die_in = pd_in + (1 - pd_in) * pl * p_exd
        fod_in = (pd_in * od_share + (1 - pd_in) * pl * p_exd) / die_in
        P = np.zeros((D, S, S))
        P[:, IN, IN] = blocks(stay[:, :, None] * TX, O)
        P[:, IN, OUT] = blocks(go[:, :, None] * TX, O)
        P[:, IN, DEAD] = np.repeat(die_in, 2, axis=1)
        P[:, OUT, OUT] = blocks((1 - pd_out)[:, :, None] * out_use(tau), O)
        P[:, OUT, DEAD] = np.repeat(pd_out, 2, axis=1)
        P[:, DEAD, DEAD] = 1
        # Transition values of cycle t + 1 count at point t + 1, in full.
        flow = m[:, :, None] * P
        in_in = flow[:, IN, IN].sum((1, 2))
        in_out = flow[:, IN, OUT].sum((1, 2))
        in_dead = flow[:, IN, DEAD].reshape(D, 3, 2).sum(2)        # by use
        out_dead = flow[:, OUT, DEAD].sum(1)
        leave = in_out + in_dead.sum(1)                             # leave or die
        wkl = wk_leave_now(tau)
        b = values[t + 1]
        b[:, col["treatment"]] += tx_week_gbp * wk_cyc * in_in + tx_week_gbp * wkl * leave
        b[:, col["treatment_weeks"]] += wk_cyc * in_in + wkl * leave
        b[:, col["place_years"]] += wk_cyc / wk_year * in_in + wkl / wk_year * leave
        b[:, col["aftercare"]] += aftercare_gbp * in_out
        b[:, col["clients_treatment"]] += client_gbp * wk_cyc * in_in + client_gbp * wkl * leave
        b[:, col["clients_funeral"]] += funeral_gbp * (in_dead.sum(1) + out_dead)
        b[:, j_od] += ((fod_in * od_fatal_gbp[:, None] * in_dead).sum(1)
                       + od_share * od_fatal_gbp * out_dead)
        b[:, col["deaths"]] += in_dead.sum(1) + out_dead
        b[:, col["overdoses_fatal"]] += (fod_in * in_dead).sum(1) + od_share * out_dead
        m = np.einsum("ds,dst->dt", m, P)                            # the cohort moves on
    return values, trace


def run(model, D=1, draws=None):
    """Every subgroup and strategy. Returns {subgroup: {strategy: values}},
    with the pooled population as subgroup 'all' (and, with traces, the
    pooled trace per strategy in out['trace'])."""
    draws = draws or {}
    out, pooled, traces = {}, {}, {}
    for g, w in model.subgroups:
        q = dict(model.params)
        q.update(model.sub_over[g])
        q.update(draws)                       # draws win, as in netsave psa
        out[g] = {}
        for s in STRATEGIES:
            v, trace = run_strategy(model, strategy_parameters(q, s), D)
            out[g][s] = v
            pooled[s] = pooled.get(s, 0) + w * v
            traces[s] = traces.get(s, 0) + w * trace
    out["all"] = pooled
    out["trace"] = traces
    return out


# ---------------------------------------------------------------- results

def counted(model, perspective):
    """Indices of the cost streams borne within the perspective."""
    return [j for j, (_, o, p, _) in enumerate(model.streams)
            if o == model.cost_outcome
            and (perspective == "all_payers" or p in model.perspectives[perspective])]


def ledger(model, vk, vc, perspective, disc):
    """treatment cost, savings, net savings, payback year of strategy
    values vk against comparator values vc ([t, d, j]), netsave's ledger."""
    f = model.discount_factors().T[:, None, :] if disc else 1.0
    saving = (vc - vk) * f                                  # [t, d, j]
    js = counted(model, perspective)
    interv = [j for j in js if model.streams[j][3]]
    other = [j for j in js if not model.streams[j][3]]
    treatment = -saving[:, :, interv].sum((0, 2))
    savings = saving[:, :, other].sum((0, 2))
    net = savings - treatment
    # Payback: the first year whose cumulative net savings are above 0.
    n_years = math.ceil(model.T * model.cycle - 1e-9)
    year = [0 if t == 0 else min(math.ceil(t * model.cycle - 1e-9) - 1, n_years - 1)
            for t in range(model.T + 1)]
    by_point = saving[:, :, js].sum(2)                      # [t, d]
    by_year = np.zeros((n_years, by_point.shape[1]))
    for t, y in enumerate(year):
        by_year[y] += by_point[t]
    cum = np.cumsum(by_year, 0)
    payback = np.where((cum > 0).any(0), (cum > 0).argmax(0) + 1.0, np.nan)
    return treatment, savings, net, payback, by_year, cum


def base_case(model):
    return run(model, 1)


def psa(model, n, seed, block=500):
    """Mean discounted net savings per modality over n draws, for the
    model's first perspective (society), and their Monte Carlo standard
    errors."""
    drawn = sample(model, n, seed)
    f = model.discount_factors().T[:, None, :]
    persp = next(iter(model.perspectives))             # the first: society
    js = counted(model, persp)
    nets = {s: [] for s in MODALITIES}
    for start in range(0, n, block):
        d = {k: v[start:start + block] for k, v in drawn.items()}
        D = min(block, n - start)
        res = run(model, D, d)["all"]
        for s in MODALITIES:
            net = ((res[s + "_none"] - res[s]) * f)[:, :, js].sum((0, 2))
            nets[s].append(net)
    nets = {s: np.concatenate(v) for s, v in nets.items()}
    return ({s: v.mean() for s, v in nets.items()},
            {s: v.std(ddof=1) / math.sqrt(n) if n > 1 else math.nan for s, v in nets.items()})


def check(model, csv_dir):
    """Compares the base case with netsave's CSV files; returns max rel diff."""
    res = base_case(model)
    f = model.discount_factors().T[:, None, :]
    names = [s[0] for s in model.streams]
    worst = [0.0, ""]
    counts = {}

    def cmp(what, mine, theirs, file):
        if theirs == "" or theirs is None:
            ok = mine is None or (isinstance(mine, float) and math.isnan(mine))
            rel = 0.0 if ok else math.inf
        elif mine is None:
            rel = math.inf
        else:
            theirs = float(theirs)
            mine = float(mine)
            scale = max(abs(mine), abs(theirs))
            rel = 0.0 if scale == 0 else abs(mine - theirs) / scale
            if math.isnan(mine):
                rel = math.inf
        counts[file] = counts.get(file, 0) + 1
        if rel > worst[0]:
            worst[0], worst[1] = rel, f"{file}: {what}: mine {mine!r}, netsave {theirs!r}"
        return rel

    with open(os.path.join(csv_dir, "summary.csv")) as fh:
        for r in csv.DictReader(fh):
            j = names.index(r["stream"])
            v = res["all"][r["strategy"]][:, 0, j]
            cmp(f"{r['strategy']} {r['stream']} total", v.sum(), r["total"], "summary.csv")
            cmp(f"{r['strategy']} {r['stream']} discounted_total",
                (v * f[:, 0, j]).sum(), r["discounted_total"], "summary.csv")
    headline = []
    with open(os.path.join(csv_dir, "net_savings.csv")) as fh:
        for r in csv.DictReader(fh):
            vk, vc = res[r["subgroup"]][r["strategy"]], res[r["subgroup"]][r["comparator"]]
            disc = r["discounted"] == "1"
            tc, sv, net, pb, _, _ = ledger(model, vk, vc, r["perspective"], disc)
            tag = f"{r['strategy']} {r['subgroup']} {r['perspective']} disc={r['discounted']}"
            cmp(tag + " treatment_cost", tc[0], r["treatment_cost"], "net_savings.csv")
            cmp(tag + " savings", sv[0], r["savings"], "net_savings.csv")
            rel = cmp(tag + " net_savings", net[0], r["net_savings"], "net_savings.csv")
            cmp(tag + " benefit_cost_ratio", sv[0] / tc[0] if tc[0] > 0 else None,
                r["benefit_cost_ratio"], "net_savings.csv")
            cmp(tag + " payback_year", pb[0], r["payback_year"], "net_savings.csv")
            extra = (vk - vc)[:, 0, [jj for jj, s in enumerate(model.streams)
                                     if s[1] == model.place_outcome]].sum()
            cmp(tag + " net_savings_per_place_year", net[0] / extra if extra != 0 else None,
                r["net_savings_per_place_year"], "net_savings.csv")
            if r["subgroup"] == "all" and disc and r["perspective"] != "all_payers":
                headline.append((r["strategy"], r["perspective"], float(r["net_savings"]),
                                 net[0], rel))
    with open(os.path.join(csv_dir, "payers.csv")) as fh:
        for r in csv.DictReader(fh):
            vk, vc = res[r["subgroup"]][r["strategy"]], res[r["subgroup"]][r["comparator"]]
            s = (vc - vk) * (f if r["discounted"] == "1" else 1.0)
            js = [j for j, st in enumerate(model.streams)
                  if st[1] == model.cost_outcome and st[2] == r["payer"]]
            cmp(f"{r['strategy']} {r['subgroup']} disc={r['discounted']} {r['payer']}",
                s[:, 0, js].sum(), r["savings"], "payers.csv")
    with open(os.path.join(csv_dir, "net_savings_by_year.csv")) as fh:
        cache = {}
        for r in csv.DictReader(fh):
            key = (r["strategy"], r["comparator"], r["subgroup"], r["perspective"], r["discounted"])
            if key not in cache:
                cache[key] = ledger(model, res[key[2]][key[0]], res[key[2]][key[1]],
                                    key[3], key[4] == "1")
            by_year, cum = cache[key][4], cache[key][5]
            y = int(r["year"]) - 1
            tag = " ".join(key) + f" year {r['year']}"
            cmp(tag + " net_savings", by_year[y, 0], r["net_savings"], "net_savings_by_year.csv")
            cmp(tag + " cumulative", cum[y, 0], r["cumulative_net_savings"], "net_savings_by_year.csv")
    with open(os.path.join(csv_dir, "trace.csv")) as fh:
        for r in csv.DictReader(fh):
            cmp(f"{r['strategy']} point {r['cycle']} {r['state']}",
                res["trace"][r["strategy"]][int(r["cycle"]), 0, STATES.index(r["state"])],
                r["occupancy"], "trace.csv")
    with open(os.path.join(csv_dir, "outcomes.csv")) as fh:
        for r in csv.DictReader(fh):
            js = [j for j, st in enumerate(model.streams) if st[1] == r["outcome"]]
            mine = res[r["subgroup"]][r["strategy"]][:, 0, js].sum()
            cmp(f"{r['strategy']} {r['subgroup']} {r['outcome']} total", mine, r["total"],
                "outcomes.csv")
            cmp(f"{r['strategy']} {r['subgroup']} {r['outcome']} difference",
                mine - res[r["subgroup"]][r["comparator"]][:, 0, js].sum(), r["difference"],
                "outcomes.csv")
    print("England model, base case: this script against netsave "
          f"(discounted, pooled over {', '.join(g for g, _ in model.subgroups)})")
    print(f"{'strategy':<10} {'perspective':<14} {'netsave':>20} {'england_numpy':>20} {'rel. diff':>10}")
    for s, p, theirs, mine, rel in headline:
        print(f"{s:<10} {p:<14} {theirs:>20.10f} {mine:>20.10f} {rel:>10.1e}")
    print("compared: " + ", ".join(f"{k} {v} values" for k, v in counts.items()))
    print(f"largest relative difference: {worst[0]:.3g} ({worst[1]})")
    return worst[0]


def print_base(model, full):
    res = base_case(model)
    persp = next(iter(model.perspectives))
    for s in MODALITIES:
        _, _, net, _, _, _ = ledger(model, res["all"][s], res["all"][s + "_none"], persp, True)
        print(f"{s} {net[0]:.17g}")
    if not full:
        return
    f = model.discount_factors().T[:, None, :]
    outcomes = list(dict.fromkeys(o for _, o, _, _ in model.streams))
    print("\nDiscounted totals per outcome (pooled):")
    print("strategy        " + " ".join(f"{o:>20}" for o in outcomes))
    for s in STRATEGIES:
        v = (res["all"][s] * f).sum((0, 1))
        tot = [sum(v[j] for j, st in enumerate(model.streams) if st[1] == o) for o in outcomes]
        print(f"{s:<15} " + " ".join(f"{x:>20.12g}" for x in tot))
    for p in list(model.perspectives) + ["all_payers"]:
        print(f"\nPerspective {p} (discounted, pooled): treatment cost, savings, net savings, payback year")
        for s in MODALITIES:
            tc, sv, net, pb, _, _ = ledger(model, res["all"][s], res["all"][s + "_none"], p, True)
            print(f"{s:<10} {tc[0]:.17g} {sv[0]:.17g} {net[0]:.17g} {pb[0]:g}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--base", action="store_true")
    ap.add_argument("--full", action="store_true", help="with the base case: more detail")
    ap.add_argument("--check", metavar="DIR")
    ap.add_argument("--ini", default=INI)
    ap.add_argument("--block", type=int, default=500, help="draws run at once (memory)")
    a = ap.parse_args()
    model = Model(a.ini)
    if a.check:
        worst = check(model, a.check)
        if worst > 1e-6:
            print("FAIL: a relative difference is above 1e-6")
            sys.exit(1)
        print("OK: every value within 1e-6")
        return
    if a.base or not a.draws:
        print_base(model, a.full)
        return
    start = time.perf_counter()
    means, se = psa(model, a.draws, a.seed, a.block)
    wall = time.perf_counter() - start
    for s in MODALITIES:
        print(f"{s} {means[s]:.6f}")
    sys.stdout.flush()
    print(f"{a.draws} draws in {wall:.3f} s: {a.draws / wall:.1f} draws/s; Monte Carlo "
          "standard errors: " + ", ".join(f"{s} {se[s]:.2f}" for s in MODALITIES),
          file=sys.stderr)


if __name__ == "__main__":
    main()

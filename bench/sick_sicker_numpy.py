#!/usr/bin/env python3
"""Sick-Sicker PSA in NumPy, vectorised over draws: the way an economist
would write it without netsave. Same model, conventions and distributions
as bench/sick_sicker_psa.ini (the tutorial's weights, discounting from the
start, 3% a year). Prints the mean discounted cost and QALYs per strategy.

Usage: sick_sicker_numpy.py DRAWS SEED
"""
import sys

import numpy as np

n, seed = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(seed)
r_HD = rng.gamma(20, 1 / 10000, n)
r_HS1 = rng.gamma(30, 1 / 200, n)
r_S1H = rng.gamma(60, 1 / 120, n)
r_S1S2 = rng.gamma(84, 1 / 800, n)
hr_S1 = rng.lognormal(np.log(3), 0.01, n)
hr_S2 = rng.lognormal(np.log(10), 0.02, n)
hr_B = rng.lognormal(np.log(0.6), 0.02, n)
c_H = rng.gamma(100, 20, n)
c_S1 = rng.gamma(177.8, 22.5, n)
c_S2 = rng.gamma(225, 66.7, n)
c_A = rng.gamma(73.5, 163.3, n)
c_B = rng.gamma(86.2, 150.8, n)
u_H = rng.beta(200, 3, n)
u_S1 = rng.beta(130, 45, n)
u_S2 = rng.beta(230, 230, n)
u_A = rng.beta(300, 15, n)

def prob(r):
    return 1 - np.exp(-r)

p_HD, p_HS1, p_S1H = prob(r_HD), prob(r_HS1), prob(r_S1H)
p_S1D, p_S2D = prob(r_HD * hr_S1), prob(r_HD * hr_S2)

def matrices(p_S1S2):
    """Transition matrices, [draw, from, to]."""
    P = np.zeros((n, 4, 4))
    P[:, 0, 0] = (1 - p_HD) * (1 - p_HS1)
    P[:, 0, 1] = (1 - p_HD) * p_HS1
    P[:, 0, 3] = p_HD
    P[:, 1, 0] = (1 - p_S1D) * p_S1H
    P[:, 1, 1] = (1 - p_S1D) * (1 - (p_S1H + p_S1S2))
    P[:, 1, 2] = (1 - p_S1D) * p_S1S2
    P[:, 1, 3] = p_S1D
    P[:, 2, 2] = 1 - p_S2D
    P[:, 2, 3] = p_S2D
    P[:, 3, 3] = 1
    return P

T = 75
t = np.arange(T + 1)
wcc = np.where((t == 0) | (t == T), 1 / 3, np.where(t % 2 == 1, 2 / 3, 4 / 3))
disc = wcc / 1.03 ** t
zero = np.zeros(n)
strategies = {  # transition matrices, state costs, state QALYs
    "soc": (matrices(prob(r_S1S2)), (c_H, c_S1, c_S2, zero), (u_H, u_S1, u_S2, zero)),
    "A": (matrices(prob(r_S1S2)), (c_H, c_S1 + c_A, c_S2 + c_A, zero), (u_H, u_A, u_S2, zero)),
    "B": (matrices(prob(r_S1S2 * hr_B)), (c_H, c_S1 + c_B, c_S2 + c_B, zero), (u_H, u_S1, u_S2, zero)),
    "AB": (matrices(prob(r_S1S2 * hr_B)), (c_H, c_S1 + c_A + c_B, c_S2 + c_A + c_B, zero), (u_H, u_A, u_S2, zero)),
}
for name, (P, cost, qaly) in strategies.items():
    m = np.zeros((n, 4))
    m[:, 0] = 1
    c_state, q_state = np.stack(cost, 1), np.stack(qaly, 1)
    tot_c, tot_q = np.zeros(n), np.zeros(n)
    for k in range(T + 1):
        tot_c += disc[k] * np.einsum("ds,ds->d", m, c_state)
        tot_q += disc[k] * np.einsum("ds,ds->d", m, q_state)
        m = np.einsum("ds,dst->dt", m, P)
    print(f"{name},{tot_c.mean():.6f},{tot_q.mean():.6f}")

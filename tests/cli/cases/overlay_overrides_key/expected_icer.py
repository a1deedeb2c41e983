# Independent re-implementation of validation/models/hiv_chancellor.ini
# (Briggs et al. 2006 exercise 2.5): 4 states, 20 yearly cycles, counted at
# the end of each cycle, costs discounted at 6% from t = 1, life years not.
import sys
def run(rr, lam):
    nA, nB, nC = 1734, 1258, 1749
    occ = [1.0, 0.0, 0.0, 0.0]
    cost = ly = 0.0
    for cycle in range(1, 21):
        r = rr if cycle <= 2 else 1.0
        l = lam if cycle <= 2 else 0.0
        pAB, pAC, pAD = 350/nA*r, 116/nA*r, 17/nA*r
        pBC, pBD = 512/nB*r, 15/nB*r
        pCD = 437/nC*r
        A, B, C, D = occ
        occ = [A*(1-pAB-pAC-pAD),
               A*pAB + B*(1-pBC-pBD),
               A*pAC + B*pBC + C*(1-pCD),
               A*pAD + B*pBD + C*pCD + D]
        drug = 2278 + l
        c = occ[0]*(1701+1055+drug) + occ[1]*(1774+1278+drug) + occ[2]*(6948+2059+drug)
        cost += c / 1.06**cycle
        ly += occ[0] + occ[1] + occ[2]
    return cost, ly
m = run(1.0, 0.0)
for rr in (0.509, float(sys.argv[1]) if len(sys.argv) > 1 else 0.6):
    c = run(rr, 2086.5)
    print(f"rr={rr}: mono cost {m[0]:.4f} ly {m[1]:.6f}; comb cost {c[0]:.4f} ly {c[1]:.6f}; ICER {(c[0]-m[0])/(c[1]-m[1]):.4f}")

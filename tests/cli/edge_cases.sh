#!/usr/bin/env bash
# Numerical edge cases run to correct, finite results: probabilities of
# exactly 0 and 1, zero costs, a one-cycle and a 1,000-cycle horizon, a
# 200-state model, a cohort entirely dead at time 0, and 0% and 100%
# discount rates. Every run must exit 0 and no CSV may hold NaN or Inf;
# where the answer is known exactly, it is checked.
# Usage: edge_cases.sh NETSAVE BASE_INI SCRATCH
set -u
netsave=$1
base=$2
scratch=$3
rm -rf "$scratch"
mkdir -p "$scratch"
cd "$scratch" || exit 1
failed=0
fail() { echo "edge_cases: $*" >&2; failed=1; }

# Runs the base model edited by sed expressions; name is the case.
case_run() {
    local name=$1
    shift
    sed "$@" "$base" >"$name.ini"
    if ! "$netsave" run "$name.ini" --csv "$name" -o "$name.xlsx" \
        >"$name.out" 2>"$name.err"; then
        fail "$name: exit status $?: $(cat "$name.err")"
        return
    fi
    # A whole field that is NaN or Inf, in any spelling netsave might use.
    if grep -Eiq '(^|,)[+-]?(nan|inf|infinity)(,|$)' "$name"/*.csv; then
        fail "$name: NaN or Inf in $(grep -Eil '(^|,)[+-]?(nan|inf|infinity)(,|$)' "$name"/*.csv)"
    fi
}

# The discounted incremental cost of new against old, from incremental.csv.
delta_cost() {
    awk -F, '$1 == "new" && $7 == "1" { print $3 }' "$1/incremental.csv"
}

case_run p_zero -e 's/^p_die = 0.1/p_die = 0/'
case_run p_one -e 's/^p_die = 0.1/p_die = 1/'
case_run zero_cost -e 's/^cost_well = 100/cost_well = 0/' \
    -e 's/^cost_well = 300/cost_well = 0/'
[ "$(delta_cost zero_cost)" = "0" ] || fail "zero_cost: delta_cost $(delta_cost zero_cost), expected 0"
case_run one_cycle -e 's/^n_cycles = 5/n_cycles = 1/'
case_run thousand_cycles -e 's/^n_cycles = 5/n_cycles = 1000/'
case_run discount_zero -e 's/^costs = 0.035/costs = 0/' -e 's/^qalys = 0.035/qalys = 0/'
case_run discount_full -e 's/^costs = 0.035/costs = 1/' -e 's/^qalys = 0.035/qalys = 1/'
case_run all_dead -e '/^\[initial\]/,/^\[parameters\]/ s/^well = 1$/dead = 1/'
grep -q '^new,old,0,0,,equal,1$' all_dead/incremental.csv ||
    fail "all_dead: expected no difference between strategies: $(cat all_dead/incremental.csv)"

# 200 states in a chain, each moving on with probability p.
{
    printf '[model]\nname = Chain\ncycle_length = 1\nn_cycles = 50\n'
    printf 'comparator = old\ncost_outcome = costs\nhealth_outcome = qalys\n'
    printf '[discount]\ncosts = 0.035\nqalys = 0.035\n[states]\n'
    for i in $(seq 0 199); do printf 's%d = State %d\n' "$i" "$i"; done
    printf '[strategies]\nold = Old\nnew = New\n[initial]\ns0 = 1\n'
    printf '[parameters]\np = 0.3\n[parameters.new]\np = 0.2\n[transitions]\n'
    for i in $(seq 0 198); do
        printf 's%d -> s%d = C\ns%d -> s%d = p\n' "$i" "$i" "$i" $((i + 1))
    done
    printf 's199 -> s199 = 1\n'
    printf '[stream.cost]\noutcome = costs\n* = 10\n'
    printf '[stream.qaly]\noutcome = qalys\n* = 1\n'
} >chain.ini
if "$netsave" run chain.ini --csv chain >/dev/null 2>chain.err; then
    # Every state costs the same, so the strategies cost the same.
    awk -v d="$(delta_cost chain)" 'BEGIN { exit !(d < 1e-9 && d > -1e-9) }' ||
        fail "chain: delta_cost $(delta_cost chain), expected 0 (to 1e-9)"
else
    fail "chain: $(cat chain.err)"
fi
[ "$failed" -eq 0 ] && echo "edge_cases: all finite and as expected"
exit "$failed"

#!/usr/bin/env bash
# A run's outputs are one set (issue 13, item 8):
#  1. A run whose LAST file fails (the workbook, past a file-size limit,
#     after every CSV file was written) replaces none of its destinations:
#     every CSV file and the workbook are byte for byte the earlier run's,
#     and no temporary file is left. The new run's CSV files would differ
#     (checked), so the test can fail: before the set, they were replaced.
#  2. Two real runs started together on one destination, with different
#     seeds, never leave a mixture: each time, psa_summary.csv and the
#     workbook's About sheet (its command line) come from the same run.
# Usage: outputs_set.sh NETSAVE SOURCE_DIR SCRATCH
. "$(dirname "$0")/script_start.sh"
temporaries() { find . -name '.*.tmp-*' | sort; }
psa() { "$netsave" psa -n 30 "$@"; }
# The seed of the run that wrote the workbook $1, from its About sheet.
book_seed() {
    python3 - "$1" <<'PY'
import re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
text = z.read("xl/sharedStrings.xml").decode()
seeds = set(re.findall(r"--seed (\d+)", text))
print(",".join(sorted(seeds)))
PY
}

# 1. The workbook (written last, about 200 KiB) fails past 100 KiB; the
#    CSV files (under 10 KiB each) are complete by then.
psa --seed 1 --csv out -o out.xlsx >/dev/null 2>err || fail "seed 1: $(cat err)"
mkdir old && cp -p out/* out.xlsx old/
psa --seed 2 --csv new >/dev/null 2>err || fail "seed 2 alone: $(cat err)"
cmp -s new/psa_summary.csv old/psa_summary.csv &&
    fail "seeds 1 and 2 give the same psa_summary.csv: the test cannot tell"
(ulimit -f 100 && exec "$netsave" psa -n 30 --seed 2 --csv out -o out.xlsx) \
    >/dev/null 2>err
rc=$?
[ "$rc" -eq 1 ] || fail "a run past the size limit: exit $rc, expected 1: $(cat err)"
grep -q "cannot write out.xlsx" err || fail "the workbook is not named: $(cat err)"
for f in old/*; do
    name=$(basename "$f")
    dest=out/$name
    [ "$name" = out.xlsx ] && dest=out.xlsx
    cmp -s "$f" "$dest" || fail "$dest was replaced though the run failed"
done
[ "$(ls out | wc -l)" -eq "$(ls old | grep -vc '^out.xlsx$')" ] ||
    fail "the failed run added files: $(ls out)"
[ -z "$(temporaries)" ] || fail "temporary files left: $(temporaries)"

# 2. Two runs at once, five times: the lock lets one write (the other is
#    refused, or runs after it); what is left is one run's, whole.
psa --seed 3 --csv ref3 >/dev/null 2>err || fail "seed 3: $(cat err)"
psa --seed 4 --csv ref4 >/dev/null 2>err || fail "seed 4: $(cat err)"
for try in 1 2 3 4 5; do
    rm -rf both both.xlsx
    psa --seed 3 --csv both -o both.xlsx >/dev/null 2>err3 &
    a=$!
    psa --seed 4 --csv both -o both.xlsx >/dev/null 2>err4 &
    b=$!
    wait "$a"; ra=$?
    wait "$b"; rb=$?
    [ "$ra" -eq 0 ] || [ "$rb" -eq 0 ] || fail "try $try: both runs failed: $(cat err3 err4)"
    for r in "$ra:err3" "$rb:err4"; do
        [ "${r%%:*}" -eq 0 ] || grep -q "another netsave run is writing to" "${r#*:}" ||
            fail "try $try: a run failed for another reason: $(cat "${r#*:}")"
    done
    seed=$(book_seed both.xlsx)
    case $seed in
    3 | 4) ;;
    *) fail "try $try: the workbook names seeds '$seed'" ;;
    esac
    cmp -s both/psa_summary.csv "ref$seed/psa_summary.csv" ||
        fail "try $try: the workbook is seed $seed's but psa_summary.csv is not"
done
[ -z "$(temporaries)" ] || fail "temporary files left: $(temporaries)"
echo "outputs_set: a failed last file replaces nothing; concurrent runs leave one run's set"

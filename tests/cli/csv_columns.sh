#!/usr/bin/env bash
# docs/outputs.md lists every column of every CSV file netsave writes:
# runs every command that writes CSV files (run, validate, psa --draws
# --evppi, dsa, dsa --two-way, compare, anchors, expand, attrition --tipping on a
# small model) and fails when a file's header and the table of the
# file's section in the docs disagree: a column the docs do not list, a
# column they list that the file lacks, or the two in another order (the
# order is part of the contract). Also fails when a file is written that
# the docs have no section for, or a section names a file no command
# wrote here. A table row whose column is in angle brackets (`<parameter>`)
# stands for any number of columns named by the model, at that place.
# Usage: csv_columns.sh NETSAVE SOURCE_DIR SCRATCH [DOCS]
. "$(dirname "$0")/script_start.sh"
docs=${4:-$src/docs/outputs.md}
[ -r "$docs" ] || fail "cannot read $docs"

# Commands, each into its own folder; validate exits 1 when targets are
# missed, which is not the point here.
ok() {
    local dir=$1 rc
    shift
    "$netsave" "$@" --csv "$dir" >/dev/null 2>err
    rc=$?
    [ $rc -le 1 ] || fail "netsave $* exited $rc: $(tail -3 err)"
    ls "$dir"/*.csv >/dev/null 2>&1 || fail "netsave $* wrote no CSV file"
}
england=$src/params/england.ini
ok run run
ok validate validate
ok psa psa -n 20 --seed 1 -j 2 --draws --evppi
ok dsa dsa
ok two_way dsa --two-way nh_rem,ref_rel --grid 2
ok compare compare "$src/params/scenarios/adequate-methadone-dose.ini"
ok anchors anchors "$england"
ok expand expand --places rehab=100
ok benchmark benchmark "$src/params/example-services.csv" --norms "$src/params/benchmark-norms.csv"
ok attrition attrition "$src/tests/cli/cases/attrition_small/model.ini" --tipping

# The documented columns: "file col col ..." per section whose heading
# names a .csv file, from the first cell of its table's rows.
awk '
    /^#+ / {
        if (file != "") print file cols
        file = ""; cols = ""
        if (match($0, /^#+ [a-z_0-9]+\.csv$/)) { file = $2 }
        next
    }
    file != "" && /^\| *`[^`]+` *\|/ {
        split($0, cell, "`")
        cols = cols " " cell[2]
    }
    END { if (file != "") print file cols }
' "$docs" >documented
[ -s documented ] || fail "no CSV file sections found in $docs"
dup=$(cut -d' ' -f1 documented | sort | uniq -d)
[ -z "$dup" ] || fail "$docs has more than one section for: $dup"

# Compares a header (comma-separated, names have no commas or quotes) with
# the documented list; prints what differs.
compare_header() {
    local file=$1 header=$2
    local -a want got
    read -r -a want <<<"$(grep "^$file " documented | cut -d' ' -f2-)"
    IFS=, read -r -a got <<<"$header"
    local i=0 j=0
    while [ $i -lt ${#want[@]} ]; do
        local w=${want[$i]}
        if [[ $w == \<*\> ]]; then
            # Model-named columns: as many as are left before the columns
            # documented after the placeholder.
            local after=$((${#want[@]} - i - 1))
            local n=$((${#got[@]} - j - after))
            [ $n -ge 0 ] || { echo "too few columns for $w"; return 1; }
            j=$((j + n))
        elif [ $j -ge ${#got[@]} ]; then
            echo "the docs list column '$w', the file has no such column"
            return 1
        elif [ "$w" != "${got[$j]}" ]; then
            if printf '%s\n' "${want[@]}" | grep -qx -- "${got[$j]}"; then
                echo "column '${got[$j]}' where the docs list '$w'"
            elif printf '%s\n' "${got[@]}" | grep -qx -- "$w"; then
                echo "column '${got[$j]}' is not in the docs"
            else
                echo "column '${got[$j]}' is not in the docs, and the file lacks '$w'"
            fi
            return 1
        else
            j=$((j + 1))
        fi
        i=$((i + 1))
    done
    if [ $j -lt ${#got[@]} ]; then
        echo "column '${got[$j]}' is not in the docs"
        return 1
    fi
}

bad=0
: >written
for f in */*.csv; do
    name=$(basename "$f")
    echo "$name" >>written
    if ! grep -q "^$name " documented; then
        echo "csv_columns: $f: no section for $name in $(basename "$docs")" >&2
        bad=1
        continue
    fi
    why=$(compare_header "$name" "$(head -1 "$f")") || {
        echo "csv_columns: $f: $why" >&2
        bad=1
    }
done
for name in $(cut -d' ' -f1 documented); do
    grep -qx "$name" written || {
        echo "csv_columns: $(basename "$docs") documents $name, which no command wrote" >&2
        bad=1
    }
done
[ $bad = 0 ] || exit 1
echo "csv_columns: $(sort -u written | wc -l) files, every column documented"

#!/usr/bin/env bash
# Checks the man page against the help texts of the built netsave, by
# meaning rather than wording:
#   - every command `netsave --help` lists has a subsection (.SS NAME)
#     under COMMANDS, and the man page has no other command;
#   - every option `netsave CMD --help` shows (in its usage or its text)
#     is in CMD's subsection, and that subsection has no option CMD's
#     help lacks; --help and --version (netsave --help's own options)
#     are in OPTIONS, and may be shown by any command;
#   - no option anywhere in the man page is unknown to every help text.
# Prints every problem; exit status 1 if there is one.
#
# Usage: man_page.sh NETSAVE MAN_PAGE [SCRATCH_DIR]
set -euo pipefail
ns=$1 man=$2
work=${3:-$(mktemp -d)}
rm -rf "$work"
mkdir -p "$work/help" "$work/man"

# Options in a text: -x or --word, at the start of a word or after one of
# [ ( | , " (as in usages: [-o FILE], (-j; ...), a|b).
options() {
  { grep -oE '(^|[][[:space:]("|,])--?[A-Za-z][A-Za-z0-9-]*' || true; } |
    sed -E 's/^[^-]*//' | sort -u
}

"$ns" --help >"$work/help/netsave.txt"
commands=$(awk '/^Commands:/ {on = 1; next} /^[^ ]/ {on = 0}
                on && /^  [a-z]+ / {print $1}' "$work/help/netsave.txt")
if [ -z "$commands" ]; then
  echo "FAIL: no command found under 'Commands:' in netsave --help" >&2
  exit 1
fi
options <"$work/help/netsave.txt" >"$work/help/netsave.opts"
for c in $commands; do
  "$ns" "$c" --help >"$work/help/$c.txt"
  options <"$work/help/$c.txt" >"$work/help/$c.opts"
done
cat "$work"/help/*.opts | sort -u >"$work/help/all.opts"

# The man page as text: comments dropped, \- as -, fonts removed; one file
# per command subsection, one for OPTIONS, one for the whole page.
sed -e '/^\.\\"/d' -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(em/ /g' \
  "$man" >"$work/man/page.txt"
awk -v dir="$work/man" '
  /^\.SH/ { sh = $2; gsub(/"/, "", sh); ss = ""; next }
  /^\.SS/ && sh == "COMMANDS" { ss = $2; gsub(/"/, "", ss)
                                print ss > (dir "/commands.list"); next }
  sh == "COMMANDS" && ss != "" { print > (dir "/cmd-" ss ".txt") }
  sh == "OPTIONS" { print > (dir "/options.txt") }
' "$work/man/page.txt"
touch "$work/man/commands.list" "$work/man/options.txt"

problems=0
problem() { echo "$*"; problems=$((problems + 1)); }

for c in $commands; do
  grep -qx "$c" "$work/man/commands.list" ||
    problem "command $c: no subsection '.SS $c' under COMMANDS"
done
while read -r c; do
  grep -qw "$c" <<<"$commands" ||
    problem "man page documents command $c, which netsave --help does not list"
done <"$work/man/commands.list"

options <"$work/man/options.txt" >"$work/man/global.opts"
comm -23 "$work/help/netsave.opts" "$work/man/global.opts" | while read -r o; do
  echo "option $o of netsave --help: not in the man page's OPTIONS"
done | tee -a "$work/problems"
comm -13 "$work/help/netsave.opts" "$work/man/global.opts" | while read -r o; do
  echo "option $o in the man page's OPTIONS: netsave --help has no such option"
done | tee -a "$work/problems"

for c in $commands; do
  [ -f "$work/man/cmd-$c.txt" ] || continue
  options <"$work/man/cmd-$c.txt" >"$work/man/$c.opts"
  # What CMD's help shows, less the global options documented in OPTIONS.
  comm -23 "$work/help/$c.opts" "$work/man/global.opts" |
    comm -23 - "$work/man/$c.opts" | while read -r o; do
      echo "command $c: option $o (in netsave $c --help) is not in its man section"
    done | tee -a "$work/problems"
  comm -13 "$work/help/$c.opts" "$work/man/$c.opts" | while read -r o; do
    echo "command $c: option $o in its man section is not in netsave $c --help"
  done | tee -a "$work/problems"
done

options <"$work/man/page.txt" | comm -13 "$work/help/all.opts" - | while read -r o; do
  echo "option $o in the man page: no help text shows it"
done | tee -a "$work/problems"

touch "$work/problems"
problems=$((problems + $(wc -l <"$work/problems")))
if [ "$problems" != 0 ]; then
  echo "man page: $problems problem(s)"
  exit 1
fi
n=$(cat "$work"/help/*.opts | wc -l)
echo "man page: $(wc -w <<<"$commands") commands, $n options of the help texts, all documented, none extra"

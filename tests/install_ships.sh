#!/usr/bin/env bash
# Installs the build into a staging folder (DESTDIR, prefix /usr) and
# checks that every data file a help text names is installed: each
# params/... path in `netsave --help`, `netsave COMMAND --help` (every
# command that lists) and the installed man page must be under
# share/netsave/ (params/X -> share/netsave/X; a folder must hold .ini
# files, a pattern must match one). Then the installed netsave runs on the
# installed files: check, anchors (its scenarios found beside the model)
# and compare with a shipped scenario.
#
# Usage: install_ships.sh BUILD_DIR SCRATCH_DIR [--without REL]
#   --without REL removes share/netsave/REL after installing, to show that
#   a file left out of the install is caught (the check must then fail).
set -euo pipefail
build=$1 scratch=$2
rm -rf "$scratch"
mkdir -p "$scratch"
DESTDIR=$scratch/stage cmake --install "$build" --prefix /usr >"$scratch/install.log"
root=$scratch/stage/usr
ns=$root/bin/netsave
share=$root/share/netsave
if [ "${3:-}" = --without ]; then
  rm -rf "${share:?}/$4"
fi

problems=0
problem() { echo "FAIL: $*" >&2; problems=$((problems + 1)); }

[ -x "$ns" ] || { echo "FAIL: no bin/netsave installed" >&2; exit 1; }
man=$root/share/man/man1/netsave.1
[ -f "$man" ] || problem "no share/man/man1/netsave.1 installed"

commands=$("$ns" --help | awk '/^Commands:/ {on = 1; next} /^[^ ]/ {on = 0}
                               on && /^  [a-z]+ / {print $1}')
[ -n "$commands" ] || { echo "FAIL: no command listed by netsave --help" >&2; exit 1; }
{
  "$ns" --help
  for c in $commands; do "$ns" "$c" --help; done
  [ -f "$man" ] && sed 's/\\-/-/g; s/\\f[BIRP]//g' "$man"
} >"$scratch/texts.txt" 2>&1
# Paths as written in the texts, without the sentence's full stop.
grep -o 'params/[A-Za-z0-9_.*/-]*' "$scratch/texts.txt" |
  sed 's/[.,]*$//' | sort -u >"$scratch/named.txt"
n=$(wc -l <"$scratch/named.txt")
[ "$n" -ge 3 ] || problem "only $n params/ paths found in the help texts"
while read -r p; do
  rel=${p#params/}
  case $rel in
  "" | */)
    ls "$share/$rel"*.ini >/dev/null 2>&1 || problem "$p: no share/netsave/$rel*.ini" ;;
  *'*'*)
    # shellcheck disable=SC2086
    ls $share/$rel >/dev/null 2>&1 || problem "$p: nothing installed matches" ;;
  *)
    [ -f "$share/$rel" ] || problem "$p: share/netsave/$rel not installed" ;;
  esac
done <"$scratch/named.txt"
echo "$n params/ paths named in the help texts and the man page: $(tr '\n' ' ' <"$scratch/named.txt")"

# The installed files work together, from any folder.
cd "$scratch"
"$ns" check "$share/england.ini" >/dev/null 2>&1 ||
  problem "netsave check share/netsave/england.ini failed"
"$ns" anchors "$share/england.ini" >"$scratch/anchors.txt" 2>&1 ||
  problem "netsave anchors share/netsave/england.ini failed: $(head -3 "$scratch/anchors.txt")"
"$ns" compare --base "$share/england.ini" "$share/scenarios/more-places.ini" \
  >"$scratch/compare.txt" 2>&1 ||
  problem "netsave compare with share/netsave/scenarios/more-places.ini failed"

[ "$problems" = 0 ] || exit 1
echo "installed: every file named is there, and they run"

#!/bin/bash
# The layers, as includes: fails on an include that crosses a layer the
# wrong way. Usage: tests/layers.sh SOURCE_DIR
#   model/ (the engine core)  -> model/ only
#   model/analysis/           -> model/, model/analysis/
#   params/                   -> model/, model/analysis/, params/
#   output/                   -> model/, model/analysis/, output/
#   cli/                      -> any layer's public headers
# A header a layer keeps private (not in the PUBLIC_HEADERS of its
# folder's ns_library) is included from that folder only.
set -u
cd "${1:-.}" || exit 2
bad=0

# The public headers, from each layer's CMakeLists.txt, as folder/name.
public=$(for d in model model/analysis params output; do
  awk '/PUBLIC_HEADERS/ {on = 1} on {print} on && /\)/ {exit}' "$d/CMakeLists.txt" |
    tr ' ()' '\n\n\n' | grep '\.h$' | sed "s#^#$d/#"
done)
is_private() { # an included path whose folder is a layer's
  local dir=${1%/*}
  case $dir in model | model/analysis | params | output) ;; *) return 1 ;; esac
  ! grep -qx "$1" <<<"$public"
}
allowed() { # folder of the including file, included path
  case $1 in
    model) [[ $2 =~ ^model/[^/]+$ ]] ;;
    model/analysis) [[ $2 =~ ^model/ ]] ;;
    params) [[ $2 =~ ^(model|params)/ ]] ;;
    output) [[ $2 =~ ^(model|output)/ ]] ;;
    cli) [[ $2 =~ ^(model|params|output|cli)/ ]] ;;
    *) return 1 ;;
  esac
}
for f in model/*.[ch] model/analysis/*.[ch] params/*.[ch] output/*.[ch] cli/*.[ch]; do
  dir=$(dirname "$f")
  while IFS=: read -r line inc; do
    if ! allowed "$dir" "$inc"; then
      echo "$f:$line: includes \"$inc\": not allowed from $dir/"
      bad=1
    elif is_private "$inc" && [[ $(dirname "$inc") != "$dir" ]]; then
      echo "$f:$line: includes \"$inc\", private to $(dirname "$inc")/"
      bad=1
    fi
  done < <(grep -n '^#include "' "$f" | sed -E 's/^([0-9]+):#include "([^"]+)".*/\1:\2/' | grep '/')
done
[ $bad = 0 ] && echo "layers: every include is allowed"
exit $bad

#!/usr/bin/env bash
# tests/man_page.sh can fail: on copies of the man page with an option
# left out, an option no help text has, and a command's section removed,
# it must fail, naming the problem.
#
# Usage: man_page_detects.sh NETSAVE MAN_PAGE SCRATCH_DIR
set -euo pipefail
ns=$1 man=$2 work=$3
here=$(dirname "$0")
rm -rf "$work"
mkdir -p "$work"
bad=0
# expect NAME SED_SCRIPT MESSAGE: the mutated page fails, saying MESSAGE.
expect() {
  sed -e "$2" "$man" >"$work/$1.1"
  cmp -s "$man" "$work/$1.1" && { echo "FAIL: $1: the page did not change"; bad=1; return; }
  if bash "$here/man_page.sh" "$ns" "$work/$1.1" "$work/$1" >"$work/$1.out" 2>&1; then
    echo "FAIL: $1: man_page.sh passed"; bad=1
  elif ! grep -qF -- "$3" "$work/$1.out"; then
    echo "FAIL: $1: no '$3' in:"; cat "$work/$1.out"; bad=1
  else
    echo "ok: $1: $3"
  fi
}
expect option_left_out '/\\-\\-starts/d' \
  "command calibrate: option --starts (in netsave calibrate --help) is not in its man section"
expect option_unknown 's/^Write the workbook\.$/Write the workbook (\\-\\-frobnicate)./' \
  "option --frobnicate in the man page: no help text shows it"
expect option_of_another_command '/^\.SS init/a .B \\-\\-draws' \
  "command init: option --draws in its man section is not in netsave init --help"
expect command_left_out '/^\.SS expand/d' \
  "command expand: no subsection '.SS expand' under COMMANDS"
expect global_option_left_out '/^\.B \\-\\-version$/d' \
  "option --version of netsave --help: not in the man page's OPTIONS"
exit $bad

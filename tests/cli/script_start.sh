# Sourced by the CLI test scripts that take NETSAVE SOURCE_DIR SCRATCH:
# sets netsave, src and scratch, starts in an empty scratch folder, and
# defines fail, which names the script.
set -u
netsave=$1
src=$2
scratch=$3
rm -rf "$scratch"
mkdir -p "$scratch"
cd "$scratch" || exit 1
fail() { echo "$(basename "$0" .sh): $*" >&2; exit 1; }

#!/bin/bash
# Runs the bats suites (all, or the files named) against HULL_BIN; as root.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export HULL_BIN=${HULL_BIN:-$here/../../build/src/cli/hull}
files=()
if [ $# -eq 0 ]; then
    files=("$here"/*.bats)
else
    for f in "$@"; do files+=("$here/$f"); done
fi
exec bats --tap "${files[@]}"

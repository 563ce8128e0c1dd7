#!/bin/bash
# Runs the integration suites (all, or the .bats files named) as root against a runc-compatible
# runtime and exits non-zero when a test fails.
#   RUNTIME=/usr/sbin/runc tests/integration/run.sh          # any runtime
#   HULL_BIN=build-x/src/cli/hull tests/integration/run.sh   # a given hull build (the default
#                                                            # runtime is build/src/cli/hull)
#   FORMAT=pretty tests/integration/run.sh lifecycle.bats    # pretty instead of TAP output
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export HULL_BIN=${HULL_BIN:-$here/../../build/src/cli/hull}
export RUNTIME=${RUNTIME:-$HULL_BIN}
if [ ! -x "$RUNTIME" ]; then
    echo "run.sh: runtime $RUNTIME is not an executable (build hull or set RUNTIME/HULL_BIN)" >&2
    exit 2
fi
if [ "$(id -u)" != 0 ]; then
    echo "run.sh: the integration tests need root" >&2
    exit 2
fi
command -v bats >/dev/null || { echo "run.sh: bats is not installed (apt-get install bats)" >&2; exit 2; }
files=()
if [ $# -eq 0 ]; then
    files=("$here"/*.bats)
else
    for f in "$@"; do
        case $f in
            /*) files+=("$f") ;;
            *) files+=("$here/${f##*/}") ;;
        esac
    done
fi
format=--tap
[ "${FORMAT:-tap}" = pretty ] && format=--pretty
echo "# runtime: $RUNTIME ($("$RUNTIME" --version 2>/dev/null | head -1))"
bats "$format" "${files[@]}"

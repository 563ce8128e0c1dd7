#!/bin/bash
# The opencontainers/runtime-tools validation suite against hull (or RUNTIME), from a source tree
# you fetched (it is third-party code: never vendored here). Prints one line per program and the
# totals.
#   tests/conformance/runtime-tools.sh SRC [REV]
# SRC: a runtime-tools checkout, or a bare git repository of it (then REV, default c2dadba^, the
# last commit whose go.mod Debian 12's Go 1.19 builds, is exported to a temporary tree).
# Needs: root, go (apt-get install golang), make, git for a bare SRC.
set -uo pipefail
[ $# -ge 1 ] || { sed -n '2,9p' "$0" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
src=$1
rev=${2:-c2dadba^}
runtime=${RUNTIME:-$here/../../build/src/cli/hull}
for tool in go make; do command -v $tool >/dev/null || { echo "runtime-tools.sh: $tool is not installed" >&2; exit 2; }; done
[ "$(id -u)" = 0 ] || { echo "runtime-tools.sh: the validation programs need root" >&2; exit 2; }
[ -x "$runtime" ] || { echo "runtime-tools.sh: runtime $runtime is not an executable" >&2; exit 2; }
work=$(mktemp -d /tmp/hull-runtime-tools.XXXXXX)
trap 'rm -rf "$work"' EXIT
if [ -f "$src/Makefile" ]; then
    tree=$src
else
    command -v git >/dev/null || { echo "runtime-tools.sh: git is not installed" >&2; exit 2; }
    tree=$work/src
    mkdir -p "$tree"
    git --git-dir="$src" archive "$rev" | tar -x -C "$tree" || { echo "runtime-tools.sh: cannot export $rev from $src" >&2; exit 2; }
fi
export GOPATH=$work/gopath GOCACHE=$work/gocache GOFLAGS=-mod=vendor
(cd "$tree" && make runtimetest validation-executables >"$work/build.log" 2>&1) || {
    tail -20 "$work/build.log" >&2
    echo "runtime-tools.sh: building the suite failed" >&2
    exit 2
}
passed=0 failed=0 oks=0 not_oks=0
cd "$tree"
for program in validation/*/*.t; do
    name=${program#validation/}
    name=${name%/*}
    out=$(RUNTIME=$runtime timeout 300 "$program" 2>&1)
    status=$?
    ok=$(grep -c '^ok ' <<<"$out")
    not_ok=$(grep -c '^not ok ' <<<"$out")
    oks=$((oks + ok))
    not_oks=$((not_oks + not_ok))
    if [ "$status" -eq 0 ] && [ "$not_ok" -eq 0 ]; then
        passed=$((passed + 1))
        printf '%-36s pass  %4d ok\n' "$name" "$ok"
    else
        failed=$((failed + 1))
        printf '%-36s FAIL  %4d ok %3d not ok (exit %d)\n' "$name" "$ok" "$not_ok" "$status"
    fi
done
echo "runtime-tools: $passed of $((passed + failed)) programs pass; $oks ok, $not_oks not ok ($(basename "$runtime"))"
[ "$failed" -eq 0 ]

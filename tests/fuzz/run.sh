#!/bin/bash
# Builds the libFuzzer target (meson -Dfuzz=true in a clang build dir, Debian's clang +
# libclang-rt-14-dev) and runs it for a bounded time (default 60 s) from the seed corpus, plus a
# 50 MB junk file. Exits non-zero on a crash.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$here/../..
seconds=${1:-60}
build=${FUZZ_BUILD_DIR:-$top/build-fuzz}
command -v clang++ >/dev/null || { echo "fuzz: clang++ is not installed (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
[ -f "$build/build.ninja" ] || CXX=clang++ meson setup "$build" "$top" -Dfuzz=true >/dev/null
ninja -C "$build" tests/fuzz/fuzz-parsers >/dev/null
work=$(mktemp -d /tmp/hull-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
cp "$here"/corpus/* "$top"/tests/unit/fixtures/*.json "$work/corpus/"
head -c 50000000 /dev/urandom > "$work/junk.bin"
"$build/tests/fuzz/fuzz-parsers" -rss_limit_mb=2048 "$work/junk.bin"
"$build/tests/fuzz/fuzz-parsers" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -timeout=10 "$work/corpus" 2>&1 | tail -5

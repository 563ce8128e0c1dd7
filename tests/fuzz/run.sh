#!/bin/bash
# Builds the libFuzzer target with clang (Debian's clang + libclang-rt-14-dev) and runs it for a
# bounded time (default 60 s) from the seed corpus, plus a 50 MB junk file. Exits non-zero on a crash.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$here/../..
seconds=${1:-60}
work=$(mktemp -d /tmp/hull-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$top/oci-spec/include" -I"$top/include" \
    -DSPDLOG_SHARED_LIB -DSPDLOG_COMPILED_LIB -DSPDLOG_FMT_EXTERNAL \
    "$here/fuzz_parsers.cpp" "$top"/oci-spec/src/*.cpp "$top/src/rootfs/mount_options.cpp" "$top/src/common/log.cpp" \
    "$top/src/common/error.cpp" -lspdlog -lfmt -o "$work/fuzz_parsers"
mkdir -p "$work/corpus"
cp "$here"/corpus/* "$top"/tests/unit/fixtures/*.json "$work/corpus/"
head -c 50000000 /dev/urandom > "$work/junk.bin"
"$work/fuzz_parsers" -rss_limit_mb=2048 "$work/junk.bin"
"$work/fuzz_parsers" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -timeout=10 "$work/corpus" 2>&1 | tail -5

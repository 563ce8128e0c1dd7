#!/bin/sh
# Configures (once) and builds hull into ${BUILD_DIR:-build}.
set -eu
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
ninja -C "$build" >/dev/null
echo "built $build/src/cli/hull"

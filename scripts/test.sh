#!/bin/bash
# One command from a fresh Debian 12 (as root): install what is missing, build, and run every
# test: unit (gtest), integration (bats) on this host as it is, and the cgroup checks again in a
# pure cgroup2 view. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1
BUILD_DIR=${BUILD_DIR:-build} scripts/build.sh || exit 1
export HULL_BIN=$PWD/${BUILD_DIR:-build}/src/cli/hull

passed=0
failed=0
count() {  # name, status
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "== $1: ok"; else failed=$((failed + 1)); echo "== $1: FAILED"; fi
}

echo "== unit tests"
"${BUILD_DIR:-build}/tests/unit/hull-unit" --gtest_brief=1
count unit $?

echo "== integration tests (this host: $(stat -fc %T /sys/fs/cgroup) at /sys/fs/cgroup)"
tests/integration/run.sh
count integration $?

echo "== integration tests in a pure cgroup2 view"
unshare -m --propagation private sh -c 'umount -l /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' x \
    tests/integration/run.sh lifecycle.bats cgroups.bats
count integration-cgroup2 $?

echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

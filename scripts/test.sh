#!/bin/bash
# One command from a fresh Debian 12 (as root): install what is missing, build, and run every
# test: unit (gtest), integration (bats) on this host as it is, the cgroup checks again in a pure
# cgroup2 view, and the VM lanes (tests/vm: cgroup v2 limits, checkpoint, systemd). Ends with "N passed, N failed", counting individual tests.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1
BUILD_DIR=${BUILD_DIR:-build} scripts/build.sh || exit 1
export HULL_BIN=$PWD/${BUILD_DIR:-build}/src/cli/hull
log=$(mktemp /tmp/hull-test-log.XXXXXX)
trap 'rm -f "$log"' EXIT

passed=0
failed=0
skipped=0
suite_failed=0

echo "== unit tests (gtest)"
"${BUILD_DIR:-build}/tests/unit/hull-unit" --gtest_brief=1 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || suite_failed=1
passed=$((passed + $(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)))
failed=$((failed + $(grep -c '^\[  FAILED  \] [A-Za-z]' "$log" || true)))

echo "== the parser fuzz target over its seed corpus (fuzz-replay)"
if "${BUILD_DIR:-build}/tests/fuzz/fuzz-replay" tests/fuzz/corpus/* tests/unit/fixtures/*.json; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
fi

run_bats() {  # title, run.sh arguments...
    local title=$1
    shift
    echo "== $title"
    "$@" 2>&1 | tee "$log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || suite_failed=1
    passed=$((passed + $(grep '^ok ' "$log" | grep -vc ' # skip' || true)))
    skipped=$((skipped + $(grep -c '^ok .* # skip' "$log" || true)))
    failed=$((failed + $(grep -c '^not ok ' "$log" || true)))
}

run_bats "integration tests (this host: $(stat -fc %T /sys/fs/cgroup) at /sys/fs/cgroup)" tests/integration/run.sh
run_bats "lifecycle tests again in a pure cgroup2 view" \
    unshare -m --propagation private sh -c 'umount -l /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' x \
    tests/integration/run.sh lifecycle.bats exec.bats
run_bats "cgroup v2 lane: structure, freeze, kill, eBPF device filter, removal, missing controllers (pure cgroup2 view)" \
    unshare -m --propagation private sh -c 'umount -l /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' x \
    tests/integration/run.sh cgroups-v2.bats

# Lane 3: a QEMU guest (TCG) with a pure cgroup v2 hierarchy and every controller; about 1-2 min
# with boot. It counts as one failure, with the reason, when the VM cannot boot.
run_bats "end-to-end: podman, containerd and Kubernetes CRI (containerd's CRI plugin) with hull as their runtime" tests/e2e/run.sh
run_bats "cgroup v2 VM lane (pure cgroup2, every controller, limits enforced)" tests/vm/cgroup-v2.sh
# Lane 4: checkpoint/restore with criu in the same kind of guest (Debian's kernel, where criu check
# passes; the workplace's kernel fails it). About 3-5 min with boot.
run_bats "checkpoint VM lane (criu dump/restore on Debian's kernel)" tests/vm/checkpoint.sh
# Lane 5: --systemd-cgroup against a real systemd (Debian's, pid 1 of the same kind of guest, with
# the system bus): the scopes as systemd reports them, update, delete, limits hit. About 2-4 min.
run_bats "systemd VM lane (systemd as pid 1, hull --systemd-cgroup)" tests/vm/systemd.sh

echo "== bench smoke run (bench/bench.sh --smoke: hull, crun and runc in one view; not timed)"
if bench/bench.sh --smoke 2>&1 | tee "$log" && grep -q '^bench smoke run: every operation ran' "$log"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
fi

echo "== fuzzing the parsers (libFuzzer, 45 s)"
if tests/fuzz/run.sh 45; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
fi

echo "tests: $passed passed, $failed failed ($skipped skipped)"
[ "$failed" -eq 0 ] && [ "$suite_failed" -eq 0 ]

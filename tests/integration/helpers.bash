# Shared setup for the bats suites. They run against any runc-compatible runtime:
#   RUNTIME   the runtime binary (default: HULL_BIN)
#   HULL_BIN  the built hull (default: build/src/cli/hull of this checkout)
# Every test gets a fresh busybox bundle, a private --root state dir and a unique id, all under
# one temp dir; teardown force-deletes containers and undoes what the test set up, even on failure.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HULL_BIN=${HULL_BIN:-${BATS_TEST_DIRNAME:-$HERE}/../../build/src/cli/hull}
RUNTIME=${RUNTIME:-$HULL_BIN}
export HULL_BIN RUNTIME
bats_require_minimum_version 1.5.0

setup() {
    TEST_DIR=$(mktemp -d /tmp/rt-bats.XXXXXX)
    chmod 755 "$TEST_DIR"
    BUNDLE=$TEST_DIR/bundle
    ROOT=$TEST_DIR/state
    ID="bats${BATS_TEST_NUMBER}-$$-$RANDOM"
    # A known cgroup path, so tests can check that it exists and that it is removed.
    CGROUP_PARENT=rt-bats
    CGROUP_PATH=/$CGROUP_PARENT/$ID
    CLEANUP_PIDS=()
    CLEANUP_NETNS=()
    mkdir -p "$BUNDLE"
    cp -a "$(template_bundle)/." "$BUNDLE/"
    config "linux.cgroupsPath=\"$CGROUP_PATH\"" root.readonly=false
}

teardown() {
    local id pid ns mnt
    for id in $(rt list -q 2>/dev/null); do
        rt delete --force "$id" >/dev/null 2>&1 || true
    done
    for pid in "${CLEANUP_PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    for ns in "${CLEANUP_NETNS[@]}"; do
        ip netns delete "$ns" 2>/dev/null || true
    done
    # Host mounts a test made under its temp dir, deepest first.
    for mnt in $(awk -v d="$TEST_DIR/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
        umount -l "$mnt" 2>/dev/null || true
    done
    # Only this test's cgroups: another suite running at the same time has its own under the parent.
    rmdir /sys/fs/cgroup/*/"$CGROUP_PARENT/$ID"* /sys/fs/cgroup/"$CGROUP_PARENT/$ID"* 2>/dev/null || true
    rmdir /sys/fs/cgroup/*/"$CGROUP_PARENT" /sys/fs/cgroup/"$CGROUP_PARENT" 2>/dev/null || true
    rm -rf "$TEST_DIR"
}

# One template bundle per suite run, copied per test (copying is cheaper than building).
template_bundle() {
    local template=${BATS_RUN_TMPDIR:-/tmp}/rt-template-bundle
    if [ ! -f "$template/config.json" ]; then
        "$HERE/make-bundle.sh" "$template" >/dev/null
    fi
    echo "$template"
}

rt() { "$RUNTIME" --root "$ROOT" "$@"; }

# A parent cgroup of this test's own in the v1 CONTROLLER hierarchy, as a pod's (teardown removes
# $CGROUP_PARENT): the container's cgroupsPath goes below it; POD is its directory.
own_parent_cgroup() {
    CGROUP_PARENT=rt-bats-pod-$ID
    CGROUP_PATH=/$CGROUP_PARENT/$ID
    POD=/sys/fs/cgroup/$1/$CGROUP_PARENT
    mkdir "$POD"
    config "linux.cgroupsPath=\"$CGROUP_PATH\""
}

runtime_is_runc() { [[ "$("$RUNTIME" --version 2>/dev/null | head -1)" == runc* ]]; }

# skip_if_runc REASON: for the places where runc 1.1.5 and the OCI spec differ.
skip_if_runc() {
    if runtime_is_runc; then skip "runc differs from the spec here: $1"; fi
}

# config EDIT...: edits the test bundle's config.json (see edit-config.py).
config() { python3 "$HERE/edit-config.py" "$BUNDLE/config.json" "$@"; }

# set_cmd 'shell command': the container runs sh -c 'shell command'.
set_cmd() { config "process.args=$(python3 -c 'import json,sys; print(json.dumps(["sh","-c",sys.argv[1]]))' "$1")"; }

# set_namespaces pid mount network...: replaces linux.namespaces with new ones of these types.
set_namespaces() {
    config "linux.namespaces=$(python3 -c 'import json,sys; print(json.dumps([{"type": t} for t in sys.argv[1:]]))' "$@")"
}

# drop_mount DEST: removes the mount at DEST from the config.
drop_mount() { config "@c['mounts'] = [m for m in c['mounts'] if m['destination'] != '$1']"; }

state_field() {
    rt state "$1" | python3 -c "import json,sys; v=json.load(sys.stdin).get('$2'); print('' if v is None else v)"
}

# assert_failed REGEX: the last `run` exited non-zero with a message matching REGEX
# (extended, case-insensitive) that names the problem.
assert_failed() {
    if [ "$status" -eq 0 ]; then
        echo "expected a failure, got exit 0; output: $output"
        return 1
    fi
    if ! grep -qiE -- "$1" <<<"$output"; then
        echo "exit $status; the message does not match /$1/: $output"
        return 1
    fi
}

# assert_nothing_left ID: no state for the id in --root and no cgroup in any hierarchy.
assert_nothing_left() {
    local id=$1 d
    if [ -e "$ROOT/$id" ]; then echo "state dir $ROOT/$id left"; return 1; fi
    if rt state "$id" >/dev/null 2>&1; then echo "state of $id still readable"; return 1; fi
    for d in /sys/fs/cgroup/*/"$CGROUP_PARENT/$id" /sys/fs/cgroup/"$CGROUP_PARENT/$id"; do
        if [ -e "$d" ]; then echo "cgroup $d left"; return 1; fi
    done
}

# assert_root_empty: the --root dir holds no container.
assert_root_empty() {
    local left
    left=$(ls -A "$ROOT" 2>/dev/null | grep -v '^\.' || true)
    if [ -n "$left" ]; then echo "--root dir holds: $left"; return 1; fi
}

wait_for_status() {  # ID STATUS
    local i
    for i in $(seq 100); do
        [ "$(state_field "$1" status 2>/dev/null)" = "$2" ] && return 0
        sleep 0.05
    done
    echo "status of $1 is $(state_field "$1" status), wanted $2"
    return 1
}

wait_for_file() {  # PATH
    local i
    for i in $(seq 100); do
        [ -s "$1" ] && return 0
        sleep 0.05
    done
    echo "$1 did not appear"
    return 1
}

# no_deny_all_window CHECK...: the container opens /dev/null in a loop while `update` switches its
# device rules back and forth 20 times (kmsg allowed, denied); not one open may fail (a deny-all
# moment would fail it). `CHECK... allow` runs after the 10th allow, `CHECK... deny` at the end.
no_deny_all_window() {
    config 'linux.devices=[{"path":"/dev/kmsg","type":"c","major":1,"minor":11}]' \
        'linux.resources.devices=[{"allow":false,"access":"rwm"}]'
    set_cmd 'n=0; fails=0; echo on >/tmp/looping
        while [ ! -e /tmp/stop ]; do { : </dev/null; } 2>/dev/null || fails=$((fails + 1)); n=$((n + 1)); done
        echo "$n $fails" >/tmp/result; sleep 100'
    rt run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    wait_for_file "$BUNDLE/rootfs/tmp/looping"
    echo '{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":11,"access":"rw"}]}' >"$TEST_DIR/allow.json"
    echo '{"devices":[{"allow":false,"access":"rwm"}]}' >"$TEST_DIR/deny.json"
    local i
    for i in $(seq 20); do
        rt update -r "$TEST_DIR/allow.json" "$ID"
        [ "$i" != 10 ] || "$@" allow
        rt update -r "$TEST_DIR/deny.json" "$ID"
    done
    "$@" deny
    touch "$BUNDLE/rootfs/tmp/stop"
    wait_for_file "$BUNDLE/rootfs/tmp/result"
    read -r opens fails <"$BUNDLE/rootfs/tmp/result"
    echo "opens of /dev/null during the updates: $opens, failed: $fails"
    [ "$opens" -gt 100 ]
    [ "$fails" = 0 ]
}

# Shared setup for the bats suites: a fresh busybox bundle, a private state root and a unique id
# per test; teardown force-deletes whatever the test left and removes the temp dirs.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HULL_BIN=${HULL_BIN:-$HERE/../../build/src/cli/hull}
export HULL_BIN

setup() {
    TEST_DIR=$(mktemp -d /tmp/hull-bats.XXXXXX)
    BUNDLE=$TEST_DIR/bundle
    ROOT=$TEST_DIR/state
    ID="t$$-${BATS_TEST_NUMBER}"
    mkdir -p "$BUNDLE"
    cp -a "$(template_bundle)/." "$BUNDLE/"
}

teardown() {
    for id in $("$HULL_BIN" --root "$ROOT" list -q 2>/dev/null); do
        "$HULL_BIN" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 || true
    done
    rm -rf "$TEST_DIR"
}

# One rootfs per suite run, copied per test (copying is cheaper than building).
template_bundle() {
    local template=${BATS_RUN_TMPDIR:-/tmp}/hull-template-bundle
    if [ ! -f "$template/config.json" ]; then
        "$HERE/make-bundle.sh" "$template" >/dev/null
    fi
    echo "$template"
}

hull() { "$HULL_BIN" --root "$ROOT" "$@"; }

# config KEY=JSON...: edit the test bundle's config.json.
config() { python3 "$HERE/edit-config.py" "$BUNDLE/config.json" "$@"; }

# run_in_container 'shell command': sets the process args.
set_cmd() { config "process.args=$(python3 -c 'import json,sys; print(json.dumps(["sh","-c",sys.argv[1]]))' "$1")"; }

state_field() { hull state "$1" | python3 -c "import json,sys; print(json.load(sys.stdin).get('$2',''))"; }

# Leaves nothing behind: no state dir for the id, no cgroup, no process.
assert_nothing_left() {
    local id=$1
    [ ! -e "$ROOT/$id" ] || { echo "state dir $ROOT/$id left"; return 1; }
    for d in /sys/fs/cgroup/*/hull/"$id" /sys/fs/cgroup/hull/"$id"; do
        [ ! -e "$d" ] || { echo "cgroup $d left"; return 1; }
    done
}

wait_for_status() {  # id status
    for _ in $(seq 50); do
        [ "$(state_field "$1" status 2>/dev/null)" = "$2" ] && return 0
        sleep 0.1
    done
    echo "status of $1 is $(state_field "$1" status), wanted $2"
    return 1
}

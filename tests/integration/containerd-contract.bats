#!/usr/bin/env bats
# The calls containerd 1.6's runc v2 shim makes, with the flags and in the order it makes them,
# and the error wording it matches (cmd/containerd-shim-runc-v2/process: checkKillError, delete,
# getLastRuntimeError). tests/e2e/containerd.bats runs the real shim; these pin each contract.
load helpers

# shim_rt ARGS...: the runtime as the shim runs it: cwd the bundle, --root, a JSON --log there.
shim_rt() {
    (cd "$BUNDLE" && "$RUNTIME" --root "$ROOT" --log "$BUNDLE/log.json" --log-format json "$@")
}

# last_log_error: the msg of the last "error" line of the bundle's log.json, read the way the
# shim reads it (a stream of JSON objects; any other line would be an error).
last_log_error() {
    python3 - "$BUNDLE/log.json" <<'EOF'
import json, sys
text, msg, pos = open(sys.argv[1]).read(), "", 0
decoder = json.JSONDecoder()
while pos < len(text):
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos == len(text):
        break
    entry, pos = decoder.raw_decode(text, pos)
    if entry.get("level") == "error":
        msg = entry["msg"].strip()
print(msg)
EOF
}

# pids_max: the container's pids.max (v1 pids hierarchy or cgroup2).
pids_max() {
    local f
    for f in "/sys/fs/cgroup/pids$CGROUP_PATH/pids.max" "/sys/fs/cgroup$CGROUP_PATH/pids.max"; do
        [ -f "$f" ] && { cat "$f"; return; }
    done
    echo "no pids.max for $CGROUP_PATH" >&2
    return 1
}

@test "shim sequence: create (relative root.path, --pid-file), start, exec, ps --format json, kill --all, delete, delete --force" {
    set_cmd 'sleep 1000'
    [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["root"]["path"])' "$BUNDLE/config.json")" = rootfs ]
    shim_rt create --bundle "$BUNDLE" --pid-file "$BUNDLE/init.pid" "$ID"
    [ "$(cat "$BUNDLE/init.pid")" = "$(state_field "$ID" pid)" ]
    shim_rt start "$ID"
    # The process.json containerd writes for `ctr task exec` (it prints exec-ok and exits).
    shim_rt exec --process "$HERE/fixtures/containerd-exec-process.json" --detach \
        --pid-file "$BUNDLE/exec1.pid" "$ID"
    [ "$(cat "$BUNDLE/exec1.pid")" -gt 0 ]
    shim_rt exec --detach --pid-file "$BUNDLE/exec2.pid" "$ID" sleep 999
    local init_pid exec_pid
    init_pid=$(cat "$BUNDLE/init.pid")
    exec_pid=$(cat "$BUNDLE/exec2.pid")
    # ps --format json: a JSON list of host pids (go-runc decodes []int).
    run shim_rt ps --format json "$ID"
    [ "$status" -eq 0 ]
    python3 -c 'import json,sys; p=json.loads(sys.argv[1]); assert isinstance(p, list) and all(isinstance(x, int) for x in p), p; assert int(sys.argv[2]) in p and int(sys.argv[3]) in p, p' \
        "$output" "$init_pid" "$exec_pid"
    # kill --all ID 9 (the shim's KillAll), then the init is gone and the state says stopped.
    shim_rt kill --all "$ID" 9
    wait_for_status "$ID" stopped
    # delete, then delete --force (the shim's cleanup) of a container that is already gone.
    shim_rt delete "$ID"
    run shim_rt delete --force "$ID"
    [ "$status" -eq 0 ]
    assert_nothing_left "$ID"
    [ -z "$(last_log_error)" ]
}

@test "kill of a stopped container says \"container not running\" (the shim's process-already-finished)" {
    set_cmd 'true'
    shim_rt create --bundle "$BUNDLE" --pid-file "$BUNDLE/init.pid" "$ID"
    shim_rt start "$ID"
    wait_for_status "$ID" stopped
    run --separate-stderr shim_rt kill "$ID" 15
    [ "$status" -ne 0 ]
    # go-runc puts stderr in the error the shim matches; the log keeps it for runtimeError.
    [[ "$stderr" == *"container not running"* ]]
    [[ "$(last_log_error)" == *"container not running"* ]]
    # kill --all of a stopped container whose cgroup is empty succeeds, like runc.
    shim_rt kill --all "$ID" 9
}

@test "kill and delete of a missing container say \"does not exist\"" {
    run --separate-stderr shim_rt kill "$ID" 9
    [ "$status" -ne 0 ]
    [[ "$stderr" == *"does not exist"* ]]
    [[ "$(last_log_error)" == *"does not exist"* ]]
    run --separate-stderr shim_rt delete "$ID"
    [ "$status" -ne 0 ]
    [[ "$stderr" == *"does not exist"* ]]
}

@test "delete --force of a missing container succeeds and removes a create's leftover dir" {
    run shim_rt delete --force "$ID"
    [ "$status" -eq 0 ]
    # A create killed before it saved its state leaves a bare dir under --root.
    mkdir -p "$ROOT/$ID"
    run shim_rt delete --force "$ID"
    [ "$status" -eq 0 ]
    [ ! -e "$ROOT/$ID" ]
    mkdir -p "$ROOT/$ID"
    run shim_rt delete "$ID"
    [ "$status" -ne 0 ]
    [ ! -e "$ROOT/$ID" ]
    # Only one error line: podman parses a failure's log as one JSON object.
    [ "$(grep -c . "$BUNDLE/log.json")" -eq 1 ]
}

@test "update --resources=- reads the resources from stdin (the shim's Update)" {
    set_cmd 'sleep 1000'
    shim_rt create --bundle "$BUNDLE" --pid-file "$BUNDLE/init.pid" "$ID"
    # What Go's encoding/json makes of specs.LinuxResources{Pids: &LinuxPids{Limit: 42}}.
    echo '{"pids":{"limit":42}}' | shim_rt update --resources=- "$ID"
    [ "$(pids_max)" = 42 ]
    echo '{"pids":{"limit":43}}' | shim_rt update --resources - "$ID"
    [ "$(pids_max)" = 43 ]
}

@test "events --stats prints one stats event in runc's shape" {
    set_cmd 'sleep 1000'
    shim_rt run --detach --bundle "$BUNDLE" "$ID"
    run shim_rt events --stats "$ID"
    [ "$status" -eq 0 ]
    [[ "$output" == "{\"type\":\"stats\",\"id\":\"$ID\",\"data\":{"* ]]
    python3 - "$output" "$ID" <<'EOF'
import json, sys
e = json.loads(sys.argv[1])
assert e["type"] == "stats" and e["id"] == sys.argv[2], e
d = e["data"]
for key in ("cpu", "memory", "pids", "blkio", "hugetlb"):
    assert key in d, (key, d)
assert isinstance(d["hugetlb"], dict), d["hugetlb"]
# runc's types.Memory: usage, swap, kernel, kernelTCP, raw; no "swap_usage".
assert "swap_usage" not in d["memory"], d["memory"]
for key in ("usage", "swap"):
    assert key in d["memory"], (key, d["memory"])
    assert set(d["memory"][key]) >= {"limit", "failcnt"}, d["memory"][key]
# types.CpuUsage: kernel, user, total, percpu (not percpu_usage).
assert set(d["cpu"]["usage"]) >= {"kernel", "user", "total"}, d["cpu"]
assert "percpu_usage" not in d["cpu"]["usage"], d["cpu"]
assert d["cpu"]["usage"]["total"] > 0, d["cpu"]
if "percpu" in d["cpu"]["usage"]:
    assert sum(d["cpu"]["usage"]["percpu"]) > 0, d["cpu"]
assert isinstance(d["cpu"]["throttling"], dict), d["cpu"]
assert d["memory"]["usage"]["usage"] > 0, d["memory"]
EOF
}

@test "SIGKILL of a paused container kills it (kill ID 9 and kill --all ID 9 thaw it, as runc does)" {
    set_cmd 'sleep 1000'
    shim_rt run --detach --bundle "$BUNDLE" "$ID"
    shim_rt pause "$ID"
    [ "$(state_field "$ID" status)" = paused ]
    shim_rt kill "$ID" 9
    wait_for_status "$ID" stopped
    shim_rt delete "$ID"
    assert_nothing_left "$ID"
    shim_rt run --detach --bundle "$BUNDLE" "$ID"
    rt exec --detach "$ID" sleep 999
    shim_rt pause "$ID"
    shim_rt kill --all "$ID" 9
    wait_for_status "$ID" stopped
    shim_rt delete "$ID"
    assert_nothing_left "$ID"
}

@test "a missing process.cwd is created, also under root.readonly (runc does; containerd's --cwd and Kubernetes' workingDir need it)" {
    config 'process.cwd="/made/by/runtime"' root.readonly=true
    set_cmd 'pwd; stat -c "%a %u" /made/by'
    run shim_rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = /made/by/runtime ]
    [ "${lines[1]}" = "755 0" ]
    # A cwd that is a file is still an error that names process.cwd.
    config 'process.cwd="/etc/passwd"'
    run shim_rt run --bundle "$BUNDLE" "$ID-2"
    assert_failed 'not a directory'
}

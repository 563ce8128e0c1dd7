#!/usr/bin/env bats
# The OCI lifecycle through the runc CLI: create, start, state, kill, delete, run, list.
load helpers

@test "create, start, kill, delete walk through created, running, stopped and gone" {
    set_cmd 'sleep 100'
    rt create --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$ID"
    [ "$(state_field "$ID" status)" = created ]
    [ "$(state_field "$ID" id)" = "$ID" ]
    [ "$(state_field "$ID" bundle)" = "$BUNDLE" ]
    [[ "$(state_field "$ID" ociVersion)" =~ ^1\.[0-9]+\.[0-9]+ ]]
    pid=$(state_field "$ID" pid)
    [ "$pid" -gt 0 ]
    [ "$pid" = "$(cat "$TEST_DIR/pid")" ]
    kill -0 "$pid"
    # Created: the process exists but has not executed the user program yet.
    ! grep -q 'sleep' "/proc/$pid/cmdline"

    rt start "$ID"
    [ "$(state_field "$ID" status)" = running ]
    [ "$(state_field "$ID" pid)" = "$pid" ]
    grep -q 'sleep' "/proc/$pid/cmdline"

    rt kill "$ID" KILL
    wait_for_status "$ID" stopped
    ! kill -0 "$pid" 2>/dev/null

    rt delete "$ID"
    run rt state "$ID"
    assert_failed 'not exist'
    assert_nothing_left "$ID"
}

@test "run in the foreground prints the container's output and returns its exit code" {
    set_cmd 'echo inside; echo to-stderr >&2; exit 3'
    run --separate-stderr rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 3 ]
    [ "$output" = inside ]
    [ "$stderr" = to-stderr ]
    assert_nothing_left "$ID"
}

@test "run returns 128+N when the container process is killed by signal N" {
    set_cmd 'sleep 100'
    rt run --bundle "$BUNDLE" "$ID" &
    runner=$!
    CLEANUP_PIDS+=("$runner")
    wait_for_status "$ID" running
    rt kill "$ID" KILL
    code=0
    wait "$runner" || code=$?
    [ "$code" -eq 137 ]
    assert_nothing_left "$ID"
}

@test "run --detach leaves the container running and returns at once" {
    set_cmd 'sleep 100'
    SECONDS=0
    rt run --detach --bundle "$BUNDLE" "$ID"
    [ "$SECONDS" -lt 10 ]
    [ "$(state_field "$ID" status)" = running ]
    grep -q sleep "/proc/$(state_field "$ID" pid)/cmdline"
}

@test "list, list -q and list --format json" {
    set_cmd 'sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID"
    config "linux.cgroupsPath=\"$CGROUP_PATH-b\""  # each container needs a cgroup of its own
    rt create --bundle "$BUNDLE" "$ID-b"
    run rt list -q
    [ "$status" -eq 0 ]
    [ "$(sort <<<"$output" | tr '\n' ' ')" = "$ID $ID-b " ]
    run rt list
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == ID*PID*STATUS*BUNDLE*CREATED*OWNER ]]
    grep -E "^$ID +[0-9]+ +running +$BUNDLE " <<<"$output"
    grep -E "^$ID-b +[0-9]+ +created +$BUNDLE " <<<"$output"
    rt list --format json | python3 -c "
import json, sys
by_id = {c['id']: c for c in json.load(sys.stdin)}
assert sorted(by_id) == ['$ID', '$ID-b'], by_id
assert by_id['$ID']['status'] == 'running' and by_id['$ID']['pid'] > 0, by_id
assert by_id['$ID-b']['status'] == 'created', by_id
assert by_id['$ID']['bundle'] == '$BUNDLE' and by_id['$ID']['owner'] == 'root', by_id
assert by_id['$ID']['rootfs'] == '$BUNDLE/rootfs', by_id
# runc's object: these keys in this order (callers match raw prefixes).
assert list(by_id['$ID']) == ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'owner'], by_id"
    # The raw text too, compact as runc prints it: callers match prefixes.
    [[ "$(rt list --format json)" =~ ^\[\{\"ociVersion\":\"[^\"]+\",\"id\":\"$ID(-b)?\",\"pid\":[0-9]+,\"status\":\"(running|created)\",\"bundle\":\"$BUNDLE\",\"rootfs\":\" ]]
}

@test "state prints runc's object: runc's keys in runc's order, annotations when any, pid 0 once stopped" {
    set_cmd 'sleep 100'
    config 'annotations={"org.example.a":"b"}'
    rt create --bundle "$BUNDLE" "$ID"
    rt state "$ID" | python3 -c "
import json, sys
s = json.load(sys.stdin)
# runc 1.1.5's state: these keys in this order; owner is empty (only list names it).
assert list(s) == ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'annotations', 'owner'], s
assert s['status'] == 'created' and s['pid'] > 0 and s['owner'] == '', s
assert s['rootfs'] == '$BUNDLE/rootfs' and s['annotations'] == {'org.example.a': 'b'}, s
assert s['created'].endswith('Z') and 'T' in s['created'], s"
    rt list --format json | python3 -c "
import json, sys
c = json.load(sys.stdin)[0]
assert list(c)[-2:] == ['annotations', 'owner'] and c['owner'] == 'root', c"
    rt kill "$ID" KILL
    wait_for_status "$ID" stopped
    [ "$(state_field "$ID" pid)" = 0 ]
    rt delete "$ID"
}

@test "list of many containers reports each one's own status and pid, as state does" {
    # Four of each status, interleaved in id order, each in a cgroup of its own.
    set_cmd 'sleep 100'
    declare -A want
    for i in $(seq 10 25); do
        cid=$ID-$i
        config "linux.cgroupsPath=\"$CGROUP_PATH-$i\""
        case $((i % 4)) in
            0) rt create --bundle "$BUNDLE" "$cid"; want[$cid]=created ;;
            1) rt run --detach --bundle "$BUNDLE" "$cid"; want[$cid]=running ;;
            2) rt run --detach --bundle "$BUNDLE" "$cid"; rt pause "$cid"; want[$cid]=paused ;;
            3) rt run --detach --bundle "$BUNDLE" "$cid"; rt kill "$cid" KILL; wait_for_status "$cid" stopped; want[$cid]=stopped ;;
        esac
    done
    for cid in "${!want[@]}"; do
        echo "$cid ${want[$cid]} $(rt state "$cid" | tr -d '\n')"
    done >"$TEST_DIR/expected"
    rt list --format json >"$TEST_DIR/list.json"
    rt list >"$TEST_DIR/table"
    python3 - "$TEST_DIR" <<'EOF2'
import json, re, sys
d = sys.argv[1]
expected = {}
for line in open(f"{d}/expected"):
    cid, status, state = line.split(" ", 2)
    expected[cid] = (status, json.loads(state))
listed = {c["id"]: c for c in json.load(open(f"{d}/list.json"))}
assert sorted(listed) == sorted(expected), (sorted(listed), sorted(expected))
for cid, (status, state) in expected.items():
    c = listed[cid]
    assert c["status"] == status == state["status"], (cid, status, c, state)
    # runc lists a stopped container with pid 0; its state has none
    assert c["pid"] == (0 if status == "stopped" else state["pid"]), (cid, c, state)
    assert status == "stopped" or c["pid"] > 0, (cid, c)
    assert c["bundle"] == state["bundle"], (cid, c, state)
rows = {}
for line in open(f"{d}/table").read().splitlines()[1:]:
    fields = re.split(r" {3,}", line)
    rows[fields[0]] = fields
for cid, (status, state) in expected.items():
    assert rows[cid][1] == str(listed[cid]["pid"]) and rows[cid][2] == status, (cid, rows[cid])
EOF2
}

@test "a record written before the config had a file of its own still states, lists, updates and deletes" {
    if runtime_is_runc; then skip "the layout of hull's own state directory"; fi
    set_cmd 'sleep 100'
    config 'annotations={"org.example/kept": "yes"}'
    rt run --detach --bundle "$BUNDLE" "$ID"
    before=$(rt state "$ID")
    [[ "$before" == *org.example/kept* ]]
    # The old layout: the config inside state.json, no annotations of the record's own.
    python3 - "$ROOT/$ID" <<'EOF2'
import json, os, sys
d = sys.argv[1]
record = json.load(open(f"{d}/state.json"))
record["config"] = json.load(open(f"{d}/config.json"))
del record["annotations"]
json.dump(record, open(f"{d}/state.json", "w"))
os.unlink(f"{d}/config.json")
EOF2
    [ "$(rt state "$ID")" = "$before" ]
    grep -E "^$ID +[0-9]+ +running " <(rt list)
    rt pause "$ID"
    [ "$(state_field "$ID" status)" = paused ]
    rt resume "$ID"
    # A pids limit where the view has the controller (the pure cgroup2 view of this host lacks it).
    local limit=77
    if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && ! grep -qw pids /sys/fs/cgroup/cgroup.controllers; then limit=; fi
    if [ -n "$limit" ]; then echo "{\"pids\": {\"limit\": $limit}}"; else echo '{}'; fi >"$TEST_DIR/resources.json"
    rt update --resources "$TEST_DIR/resources.json" "$ID"
    # update moved the config out of the record
    python3 -c "
import json, sys
assert 'config' not in json.load(open('$ROOT/$ID/state.json'))
config = json.load(open('$ROOT/$ID/config.json'))
assert '$limit' == '' or config['linux']['resources']['pids']['limit'] == 77"
    [ "$(rt state "$ID")" = "$before" ]
    rt delete --force "$ID"
    assert_nothing_left "$ID"
}

@test "pause and resume of a created container, as runc: paused, then created again, and start still runs it" {
    set_cmd 'echo started >/tmp/started; sleep 100'
    rt create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    rt pause "$ID"
    [ "$(state_field "$ID" status)" = paused ]
    grep -Eq 'FROZEN|1' <(cat /sys/fs/cgroup/freezer$CGROUP_PATH/freezer.state 2>/dev/null || cat /sys/fs/cgroup$CGROUP_PATH/cgroup.freeze)
    rt resume "$ID"
    [ "$(state_field "$ID" status)" = created ]
    rt start "$ID"
    [ "$(state_field "$ID" status)" = running ]
    rt delete --force "$ID"
    assert_nothing_left "$ID"
}

@test "an empty --root lists nothing" {
    run rt list -q
    [ "$status" -eq 0 ]
    [ -z "$output" ]
}

@test "kill takes KILL, SIGKILL and 9" {
    for sig in KILL SIGKILL 9; do
        set_cmd 'sleep 100'
        rt run --detach --bundle "$BUNDLE" "$ID-$sig"
        rt kill "$ID-$sig" "$sig"
        wait_for_status "$ID-$sig" stopped
        rt delete "$ID-$sig"
        assert_nothing_left "$ID-$sig"
    done
}

@test "kill sends TERM by default, and other named signals reach the process" {
    # pid 1 of a pid namespace only gets signals it has a handler for: trap them.
    set_cmd 'trap "echo term > /tmp/sig; exit 7" TERM; trap "echo usr1 >> /tmp/got" USR1; while true; do sleep 0.05; done'
    rt run --detach --bundle "$BUNDLE" "$ID"
    rt kill "$ID" USR1
    wait_for_file "$BUNDLE/rootfs/tmp/got"
    [ "$(cat "$BUNDLE/rootfs/tmp/got")" = usr1 ]
    rt kill "$ID"
    wait_for_status "$ID" stopped
    [ "$(cat "$BUNDLE/rootfs/tmp/sig")" = term ]
}

@test "kill with an unknown signal name or number fails in runc's words" {
    set_cmd 'sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID"
    run rt kill "$ID" NOSUCHSIG
    assert_failed 'unknown signal [\]?"NOSUCHSIG'
    run rt kill "$ID" SIGRTMIN+40
    assert_failed 'unknown signal [\]?"SIGRTMIN\+40'
    run rt kill "$ID" 99
    assert_failed 'unable to signal init: invalid argument'
    [ "$(state_field "$ID" status)" = running ]
}

@test "delete --force kills and removes a running container" {
    set_cmd 'sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID"
    pid=$(state_field "$ID" pid)
    rt delete --force "$ID"
    ! kill -0 "$pid" 2>/dev/null
    assert_nothing_left "$ID"
}

@test "delete of a created container kills its waiting process" {
    rt create --bundle "$BUNDLE" "$ID"
    pid=$(state_field "$ID" pid)
    rt delete "$ID"
    ! kill -0 "$pid" 2>/dev/null
    assert_nothing_left "$ID"
}

@test "start twice is an error" {
    set_cmd 'sleep 100'
    rt create --bundle "$BUNDLE" "$ID"
    rt start "$ID"
    run rt start "$ID"
    assert_failed 'running'
    [ "$(state_field "$ID" status)" = running ]
}

@test "delete of a running container without --force is an error" {
    set_cmd 'sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID"
    run rt delete "$ID"
    assert_failed 'running|not stopped'
    [ "$(state_field "$ID" status)" = running ]
}

@test "state, start, kill and delete of an unknown id are errors" {
    for verb in state start kill delete; do
        run rt "$verb" nosuch
        [ "$status" -eq 1 ]
        assert_failed 'not exist'
    done
    assert_root_empty
}

@test "a duplicate id is refused and the first container is untouched" {
    set_cmd 'sleep 100'
    rt create --bundle "$BUNDLE" "$ID"
    pid=$(state_field "$ID" pid)
    run rt create --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    assert_failed 'already exists'
    [ "$(state_field "$ID" status)" = created ]
    [ "$(state_field "$ID" pid)" = "$pid" ]
    [ "$(ls -A "$ROOT")" = "$ID" ]
}

@test "invalid ids are refused and leave nothing in --root" {
    long=$(printf 'x%.0s' $(seq 1000))
    for bad in "../x" "a/b" "$long" ".." ""; do
        run rt create --bundle "$BUNDLE" "$bad"
        [ "$status" -ne 0 ]
        assert_failed 'id|too long|name'
    done
    assert_root_empty
    [ ! -e "$TEST_DIR/x" ]
}

@test "a missing rootfs fails create naming it, and leaves nothing behind" {
    rmdir "$BUNDLE/rootfs/proc" && mv "$BUNDLE/rootfs" "$BUNDLE/elsewhere"
    run rt create --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    assert_failed 'rootfs|root\.path'
    assert_nothing_left "$ID"
    assert_root_empty
}

@test "a missing config.json fails create naming it" {
    rm "$BUNDLE/config.json"
    run rt create --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    assert_failed 'config\.json'
    assert_root_empty
}

@test "a config.json that is not valid JSON fails create" {
    echo '{"ociVersion": "1.0.0", "process": {' > "$BUNDLE/config.json"
    run rt create --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    # runc says only "unexpected EOF"; hull names config.json and the JSON error.
    assert_failed 'json|EOF'
    assert_root_empty
}

@test "a config field of the wrong type fails create" {
    config 'process.user.uid="zero"'
    run rt create --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    assert_failed 'uid|json'
    assert_root_empty
}

@test "a missing executable fails create or run naming it, and leaves nothing behind" {
    config 'process.args=["/no/such/binary"]'
    run rt create --bundle "$BUNDLE" "$ID"
    assert_failed '/no/such/binary'
    assert_nothing_left "$ID"
    config 'process.args=["nosuchcmd"]'
    run rt run --bundle "$BUNDLE" "$ID"
    assert_failed 'nosuchcmd'
    assert_nothing_left "$ID"
}

@test "--version names the runtime and the spec version" {
    run "$RUNTIME" --version
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == *" version "* ]]
    grep -qE '^spec: 1\.[0-9]+\.[0-9]+' <<<"$output"
}

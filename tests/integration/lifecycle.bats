#!/usr/bin/env bats
load helpers

@test "run prints the container's output and returns its exit code" {
    set_cmd 'echo inside; exit 3'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 3 ]
    [ "$output" = "inside" ]
    assert_nothing_left "$ID"
}

@test "run returns 128+N when the process is killed by a signal" {
    set_cmd 'sleep 100'
    hull run --bundle "$BUNDLE" "$ID" &
    runner=$!
    wait_for_status "$ID" running
    hull kill "$ID" KILL
    status=0
    wait "$runner" || status=$?
    [ "$status" -eq 137 ]
    assert_nothing_left "$ID"
}

@test "create, state, start, kill, delete follow the OCI lifecycle" {
    set_cmd 'sleep 100'
    hull create --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$ID"
    [ "$(state_field "$ID" status)" = created ]
    pid=$(state_field "$ID" pid)
    [ "$pid" = "$(cat "$TEST_DIR/pid")" ]
    [ "$(state_field "$ID" bundle)" = "$BUNDLE" ]
    [ "$(state_field "$ID" ociVersion)" = "1.3.0" ]
    # The process exists but has not run the user program yet.
    [ "$(readlink /proc/$pid/exe)" = "$(readlink -f "$HULL_BIN")" ]
    hull start "$ID"
    [ "$(state_field "$ID" status)" = running ]
    [[ "$(readlink /proc/$pid/exe)" == */bin/busybox ]]
    hull kill "$ID" KILL
    wait_for_status "$ID" stopped
    hull delete "$ID"
    run hull state "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"container \"$ID\" does not exist"* ]]
    assert_nothing_left "$ID"
}

@test "kill accepts SIGKILL, KILL and 9, and defaults to TERM" {
    set_cmd 'trap "exit 7" TERM; while true; do sleep 0.1; done'
    hull run --detach --bundle "$BUNDLE" "$ID"
    hull kill "$ID"
    wait_for_status "$ID" stopped
    hull delete "$ID"
    for sig in SIGKILL KILL 9; do
        set_cmd 'sleep 100'
        hull run --detach --bundle "$BUNDLE" "$ID-$sig"
        hull kill "$ID-$sig" "$sig"
        wait_for_status "$ID-$sig" stopped
        hull delete "$ID-$sig"
    done
    run hull kill "$ID" NOSUCHSIG
    [ "$status" -eq 1 ]
}

@test "start twice, delete of a running container and unknown ids are errors" {
    set_cmd 'sleep 100'
    hull create --bundle "$BUNDLE" "$ID"
    hull start "$ID"
    run hull start "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"cannot start container \"$ID\": it is running"* ]]
    run hull delete "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"it is running"* ]]
    hull delete --force "$ID"
    assert_nothing_left "$ID"
    for verb in state start delete; do
        run hull "$verb" nosuch
        [ "$status" -eq 1 ]
        [[ "$output" == *'container "nosuch" does not exist'* ]]
    done
    run hull kill nosuch KILL
    [ "$status" -eq 1 ]
}

@test "duplicate and invalid ids are rejected and leave nothing behind" {
    set_cmd 'sleep 100'
    hull create --bundle "$BUNDLE" "$ID"
    run hull create --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"container \"$ID\" already exists"* ]]
    [ "$(state_field "$ID" status)" = created ]
    for bad in "../x" "a/b" "$(printf 'x%.0s' $(seq 300))"; do
        run hull create --bundle "$BUNDLE" "$bad"
        [ "$status" -eq 1 ]
        [[ "$output" == *"invalid container id"* ]]
    done
    [ "$(ls "$ROOT")" = "$ID" ]
}

@test "delete of a created container kills its waiting process" {
    hull create --bundle "$BUNDLE" "$ID"
    pid=$(state_field "$ID" pid)
    hull delete "$ID"
    ! kill -0 "$pid" 2>/dev/null
    assert_nothing_left "$ID"
}

@test "run --detach and list in table, json and quiet form" {
    set_cmd 'sleep 100'
    hull run --detach --bundle "$BUNDLE" "$ID"
    run hull list -q
    [ "$output" = "$ID" ]
    run hull list
    [[ "${lines[0]}" == ID*PID*STATUS*BUNDLE*CREATED*OWNER ]]
    [[ "${lines[1]}" == "$ID"*running*"$BUNDLE"*root ]]
    hull list --format json | python3 -c "
import json,sys
c=json.load(sys.stdin)[0]
assert c['id']=='$ID' and c['status']=='running' and c['pid']>0 and c['owner']=='root', c"
}

@test "missing rootfs, missing config and bad JSON fail cleanly" {
    mv "$BUNDLE/rootfs" "$BUNDLE/elsewhere"
    run hull create --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"root.path"*"No such file or directory"* ]]
    mv "$BUNDLE/elsewhere" "$BUNDLE/rootfs"
    echo '{"ociVersion": "1.0.0", "process": {' > "$TEST_DIR/bad.json"
    cp "$BUNDLE/config.json" "$TEST_DIR/good.json"
    cp "$TEST_DIR/bad.json" "$BUNDLE/config.json"
    run hull create --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"config.json"*"invalid JSON"* ]]
    cp "$TEST_DIR/good.json" "$BUNDLE/config.json"
    config 'process.user.uid="zero"'
    run hull create --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"config.json: process.user.uid: expected unsigned integer, got string"* ]]
    rm "$BUNDLE/config.json"
    run hull create --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"config.json"*"No such file or directory"* ]]
    [ -z "$(ls "$ROOT" 2>/dev/null)" ]
    assert_nothing_left "$ID"
}

@test "a failing container process setup leaves nothing behind" {
    set_cmd 'true'
    config 'process.args=["/no/such/binary"]'
    run hull create --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *'exec: "/no/such/binary": No such file or directory'* ]]
    assert_nothing_left "$ID"
    config 'process.args=["nosuchcmd"]'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *'executable file not found in $PATH'* ]]
    assert_nothing_left "$ID"
}

@test "version, spec and features" {
    run "$HULL_BIN" --version
    [[ "${lines[0]}" == "hull version "* ]]
    [[ "${lines[1]}" == "commit: "* ]]
    [ "${lines[2]}" = "spec: 1.3.0" ]
    mkdir "$TEST_DIR/s"
    hull spec --bundle "$TEST_DIR/s"
    python3 -c "import json; d=json.load(open('$TEST_DIR/s/config.json')); assert d['ociVersion']=='1.3.0' and d['root']['path']=='rootfs'"
    run hull spec --bundle "$TEST_DIR/s"
    [ "$status" -eq 1 ]
    [[ "$output" == *"already exists"* ]]
    mkdir "$TEST_DIR/r"
    hull spec --rootless --bundle "$TEST_DIR/r"
    python3 -c "import json; d=json.load(open('$TEST_DIR/r/config.json')); assert 'user' in [n['type'] for n in d['linux']['namespaces']] and d['linux']['uidMappings'][0]['hostID']==0"
    hull features | python3 -c "
import json,sys
f=json.load(sys.stdin)
assert f['ociVersionMax']=='1.3.0' and 'poststop' in f['hooks'] and 'rro' in f['mountOptions']
assert sorted(f['linux']['namespaces'])==['cgroup','ipc','mount','network','pid','time','user','uts']
assert 'CAP_SYS_ADMIN' in f['linux']['capabilities'] and f['linux']['seccomp']['enabled']"
}

@test "json log: one error line per failure, and the message on stderr" {
    run hull --log "$TEST_DIR/log.json" --log-format json state nosuch
    [ "$status" -eq 1 ]
    [[ "$output" == *'container "nosuch" does not exist'* ]]
    [ "$(wc -l < "$TEST_DIR/log.json")" -eq 1 ]
    python3 -c "
import json
e=json.load(open('$TEST_DIR/log.json'))
assert e['level']=='error' and e['msg']=='container \"nosuch\" does not exist' and e['time'].endswith('Z'), e"
    run hull --log "$TEST_DIR/log.txt" state nosuch
    grep -q 'level=error msg="container \\"nosuch\\" does not exist"' "$TEST_DIR/log.txt"
}

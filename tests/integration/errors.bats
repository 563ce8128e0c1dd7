#!/usr/bin/env bats
# Error reporting: exit status 1, the message on stderr, and --log / --log-format json.
load helpers

# check_json_log FILE REGEX: FILE holds exactly one error record whose msg matches REGEX.
check_json_log() {
    python3 - "$1" "$2" <<'PY'
import json, re, sys
lines = [l for l in open(sys.argv[1]).read().splitlines() if l.strip()]
errors = [json.loads(l) for l in lines]
errors = [e for e in errors if e.get("level") == "error"]
assert len(errors) == 1, lines
e = errors[0]
assert set(e) >= {"level", "msg", "time"}, e
assert re.search(sys.argv[2], e["msg"], re.I), e
assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", e["time"]), e
PY
}

@test "without --log the error goes to stderr, nothing to stdout, exit 1" {
    run --separate-stderr rt state nosuch
    [ "$status" -eq 1 ]
    [ -z "$output" ]
    grep -qi 'not exist' <<<"$stderr"
}

@test "--log-format json without --log writes the JSON error record to stderr, as runc does" {
    run --separate-stderr rt --log-format json state nosuch
    [ "$status" -eq 1 ]
    [ -z "$output" ]
    [ "$(grep -c . <<<"$stderr")" -eq 1 ]
    python3 -c 'import json, sys; e = json.loads(sys.argv[1]); assert e["level"] == "error" and "not exist" in e["msg"] and e["time"], e' "$stderr"
}

@test "--log FILE --log-format json writes one error record for a failed state" {
    run --separate-stderr rt --log "$TEST_DIR/log.json" --log-format json state nosuch
    [ "$status" -eq 1 ]
    check_json_log "$TEST_DIR/log.json" 'not exist'
}

@test "--log FILE --log-format json writes one error record for a failed create" {
    rmdir "$BUNDLE/rootfs/proc" && mv "$BUNDLE/rootfs" "$BUNDLE/gone"
    run --separate-stderr rt --log "$TEST_DIR/log.json" --log-format json create --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    check_json_log "$TEST_DIR/log.json" 'rootfs|root\.path'
    assert_root_empty
}

@test "--log FILE in text format has level=error and msg" {
    run rt --log "$TEST_DIR/log.txt" state nosuch
    [ "$status" -eq 1 ]
    grep -E 'level=error' "$TEST_DIR/log.txt" | grep -qiE 'msg=.*not exist'
}

@test "--log appends: two failures give two records" {
    rt --log "$TEST_DIR/log.json" --log-format json state nosuch1 2>/dev/null || true
    rt --log "$TEST_DIR/log.json" --log-format json state nosuch2 2>/dev/null || true
    [ "$(grep -c '"level":"error"' "$TEST_DIR/log.json")" -eq 2 ]
}

@test "an unknown flag or a missing id is a usage error with exit 1, an unknown command exits 3 (as runc)" {
    run rt no-such-verb
    [ "$status" -eq 3 ]
    grep -q "No help topic for 'no-such-verb'" <<<"$output"
    run rt help no-such-verb
    [ "$status" -eq 3 ]
    run rt create --no-such-flag --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    run rt start
    [ "$status" -eq 1 ]
    run rt state a b
    [ "$status" -eq 1 ]
    run rt --help
    [ "$status" -eq 0 ]
    assert_root_empty
}

@test "-h, COMMAND -h, help COMMAND and no command print runc's layout on stdout and exit 0" {
    run --separate-stderr rt -h
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    # NAME, USAGE, COMMANDS and GLOBAL OPTIONS, in this order, each line below a title indented.
    [ "$(grep -E '^[A-Z ]+:$' <<<"$output" | grep -vx 'VERSION:' | tr '\n' ' ')" = "NAME: USAGE: COMMANDS: GLOBAL OPTIONS: " ]
    grep -qE '^   [a-z]+ - ' <<<"$output"
    grep -qE '^   [a-z]+ \[global options\] command \[command options\] \[arguments\.\.\.\]$' <<<"$output"
    grep -qE '^   kill +[a-z]' <<<"$output"
    grep -qE '^   help, h +[A-Za-z]' <<<"$output"
    grep -qE '^   --root value +.*\(default: "[^"]+"\)$' <<<"$output"
    grep -qE '^   --debug +[a-z]' <<<"$output"
    grep -qE '^   --help, -h +[a-z]' <<<"$output"
    top=$output
    run --separate-stderr rt
    [ "$status" -eq 0 ]
    [ "$output" = "$top" ]
    run --separate-stderr rt help
    [ "$status" -eq 0 ]
    [ "$output" = "$top" ]

    run --separate-stderr rt kill -h
    [ "$status" -eq 0 ]
    # runc adds an EXAMPLE or DESCRIPTION before OPTIONS for some commands.
    [[ "$(grep -E '^[A-Z ]+:$' <<<"$output" | tr '\n' ' ')" == "NAME: USAGE: "*"OPTIONS: " ]]
    grep -qE '^   [a-z]+ kill - ' <<<"$output"
    grep -qE '^   [a-z]+ kill \[command options\] <container-id> \[signal\]$' <<<"$output"
    grep -qE '^   --all, -a +[a-z]' <<<"$output"
    kill_help=$output
    run --separate-stderr rt help kill
    [ "$status" -eq 0 ]
    [ "$output" = "$kill_help" ]
    run --separate-stderr rt create --help
    [ "$status" -eq 0 ]
    grep -qE '^   --bundle value, -b value +[a-z]' <<<"$output"
    grep -qE '^   --no-pivot +[a-z]' <<<"$output"
    assert_root_empty
}

@test "runc's words callers match: exec in a paused container; unified resources on a cgroup v1 host" {
    set_cmd 'sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID"
    rt pause "$ID"
    run rt exec "$ID" true
    assert_failed 'cannot exec in a paused container'
    rt resume "$ID"
    rt delete --force "$ID"
    if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then return 0; fi  # unified is valid there
    config 'linux.resources.unified={"pids.max":"10"}' 'process.args=["true"]'
    run rt run --bundle "$BUNDLE" "$ID"
    assert_failed 'invalid configuration.*unified'
    assert_nothing_left "$ID"
}

@test "runc's words for a verb in the wrong state (start, pause, resume, exec, delete), hull's detail after; exec into a created container works" {
    set_cmd 'sleep 100'
    rt create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    # runc execs into a created container: its init waits for start in namespaces that exist.
    run rt exec "$ID" echo in-created
    [ "$status" -eq 0 ]
    [ "$output" = in-created ]
    [ "$(state_field "$ID" status)" = created ]
    rt start "$ID"
    run rt start "$ID"
    assert_failed 'cannot start an already running container'
    run rt resume "$ID"
    assert_failed 'container not paused'
    run rt delete "$ID"
    assert_failed "cannot delete container $ID that is not stopped: running"
    rt kill "$ID" KILL
    wait_for_status "$ID" stopped
    run rt start "$ID"
    assert_failed 'cannot start a container that has stopped'
    run rt exec "$ID" true
    assert_failed 'cannot exec in a stopped container'
    run rt pause "$ID"
    assert_failed 'container not running'
}

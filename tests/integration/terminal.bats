#!/usr/bin/env bats
load helpers

RECEIVER=${RECEIVER:-$HERE/../../build/tests/console-receiver}

start_receiver() {  # socket path; the receiver's output goes to $TEST_DIR/console.out
    "$RECEIVER" "$1" > "$TEST_DIR/console.out" 2> "$TEST_DIR/console.err" < "${2:-/dev/null}" &
    CLEANUP_PIDS+=($!)
    RECEIVER_PID=$!
    for _ in $(seq 50); do [ -S "$1" ] && return 0; sleep 0.05; done
    return 1
}

@test "terminal: the pty master goes over --console-socket; the process has a controlling tty of the configured size" {
    config 'process.terminal=true' 'process.consoleSize={"height":30,"width":100}'
    set_cmd '[ -t 0 ] && echo stdin-is-a-tty; stty size; ls -l /dev/console | cut -c1; echo done'
    start_receiver "$TEST_DIR/console.sock"
    rt create --console-socket "$TEST_DIR/console.sock" --bundle "$BUNDLE" "$ID"
    rt start "$ID"
    wait "$RECEIVER_PID" || true
    cat "$TEST_DIR/console.out" "$TEST_DIR/console.err"
    grep -q 'stdin-is-a-tty' "$TEST_DIR/console.out"
    grep -q '^30 100' "$TEST_DIR/console.out"
    grep -q '^c' "$TEST_DIR/console.out"   # /dev/console is the pty (a character device)
    grep -q 'received terminal /dev/console' "$TEST_DIR/console.err"
}

@test "terminal: input typed on the master reaches the process" {
    config 'process.terminal=true'
    set_cmd 'read line; echo "got:$line"'
    echo typed-text > "$TEST_DIR/input"
    start_receiver "$TEST_DIR/console.sock" "$TEST_DIR/input"
    rt run --detach --console-socket "$TEST_DIR/console.sock" --bundle "$BUNDLE" "$ID"
    wait "$RECEIVER_PID" || true
    grep -q 'got:typed-text' "$TEST_DIR/console.out"
}

@test "terminal: exec --tty with a console socket" {
    set_cmd 'sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID"
    start_receiver "$TEST_DIR/exec.sock"
    rt exec --tty --console-socket "$TEST_DIR/exec.sock" "$ID" sh -c '[ -t 1 ] && echo exec-tty'
    wait "$RECEIVER_PID" || true
    grep -q exec-tty "$TEST_DIR/console.out"
}

@test "terminal true without --console-socket is a clear error and leaves nothing behind" {
    config 'process.terminal=true'
    run rt create --bundle "$BUNDLE" "$ID"
    assert_failed 'console-socket'
    assert_nothing_left "$ID"
}

@test "terminal: the pty belongs to process.user.uid (run and exec, as runc's); exec -p gets its consoleSize" {
    config 'process.terminal=true' 'process.user={"uid":1000,"gid":1000}'
    set_cmd 'sleep 100'
    start_receiver "$TEST_DIR/console.sock"
    rt run --detach --console-socket "$TEST_DIR/console.sock" --bundle "$BUNDLE" "$ID"
    # /dev/console is the init's pty.
    [ "$(rt exec "$ID" stat -c %u /dev/console)" = 1000 ]
    cat > "$TEST_DIR/process.json" <<'JSON'
{"terminal":true,"consoleSize":{"height":27,"width":91},"user":{"uid":1001,"gid":1001},"cwd":"/",
 "env":["PATH=/bin:/usr/bin"],"args":["sh","-c","stat -c owner=%u $(tty); stty size"]}
JSON
    start_receiver "$TEST_DIR/exec.sock"
    rt exec --tty --detach -p "$TEST_DIR/process.json" --console-socket "$TEST_DIR/exec.sock" "$ID"
    wait "$RECEIVER_PID" || true
    cat "$TEST_DIR/console.out"
    grep -q '^owner=1001' "$TEST_DIR/console.out"
    grep -q '^27 91' "$TEST_DIR/console.out"
}

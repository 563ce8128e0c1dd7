#!/usr/bin/env bats
# run and exec with process.terminal and no --console-socket, in the foreground: hull holds the
# pty master and relays it to its own terminal. pty-driver.py plays the user at that terminal.
load helpers

drive() { python3 "$HERE/pty-driver.py" "$@"; }

setup_terminal() {  # SHELL-COMMAND
    config process.terminal=true
    set_cmd "$1"
}

@test "tty relay: run puts the caller's terminal in raw mode, relays both ways, sets the size and exits with the status" {
    setup_terminal 'stty size; echo ready; read line; echo "got:$line"; exit 3'
    run drive --rows 33 --cols 101 'expect:ready' raw 'send:hello world\r' 'expect:got:hello world' \
        -- "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
    echo "$output"
    [ "$status" -eq 0 ]
    grep -qx '33 101' <<<"$output"
    grep -qx 'exit: 3' <<<"$output"
    grep -qx 'termios: restored' <<<"$output"
    assert_nothing_left "$ID"
}

@test "tty relay: a window size change reaches the container as SIGWINCH with the new size" {
    setup_terminal 'trap "stty size; exit 0" WINCH; echo ready; while :; do sleep 0.05; done'
    run drive --rows 24 --cols 80 'expect:ready' 'resize:50x132' 'expect:50 132' \
        -- "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
    echo "$output"
    [ "$status" -eq 0 ]
    grep -qx 'exit: 0' <<<"$output"
    grep -qx 'termios: restored' <<<"$output"
}

@test "tty relay: ^C goes through the container's terminal as SIGINT; signals to hull are forwarded" {
    setup_terminal 'trap "echo interrupted; exit 7" INT; echo ready; while :; do sleep 0.05; done'
    run drive 'expect:ready' 'send:\x03' 'expect:interrupted' -- "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
    echo "$output"
    grep -qx 'exit: 7' <<<"$output"
    setup_terminal 'trap "echo terminated; exit 9" TERM; echo ready; while :; do sleep 0.05; done'
    run drive 'expect:ready' 'signal:TERM' 'expect:terminated' -- "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
    echo "$output"
    grep -qx 'exit: 9' <<<"$output"
    grep -qx 'termios: restored' <<<"$output"
    assert_nothing_left "$ID"
}

@test "tty relay: the container's exit by a signal is 128+N and the terminal is restored" {
    config process.terminal=true 'process.args=["sleep","100"]'
    # Kills the container once it runs (its pid in the state, the status running).
    (
        for _ in $(seq 200); do
            if [ "$(state_field "$ID" status 2>/dev/null)" = running ]; then
                kill -KILL "$(state_field "$ID" pid)"
                exit 0
            fi
            sleep 0.1
        done
    ) >"$TEST_DIR/killer.log" 2>&1 &
    CLEANUP_PIDS+=($!)
    run drive -- "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
    echo "$output"
    cat "$TEST_DIR/killer.log"
    grep -qx 'exit: 137' <<<"$output"
    grep -qx 'termios: restored' <<<"$output"
    assert_nothing_left "$ID"
}

@test "tty relay: exec -t without a console socket relays the new process's terminal" {
    set_cmd 'sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    run drive --rows 41 --cols 91 'expect:ready' raw 'send:ping\r' 'expect:got:ping' \
        -- "$RUNTIME" --root "$ROOT" exec -t "$ID" sh -c 'tty; stty size; echo ready; read x; echo "got:$x"; exit 5'
    echo "$output"
    [ "$status" -eq 0 ]
    grep -qx '/dev/pts/[0-9]*' <<<"$output"
    grep -qx '41 91' <<<"$output"
    grep -qx 'exit: 5' <<<"$output"
    grep -qx 'termios: restored' <<<"$output"
    rt delete --force "$ID"
}

@test "tty relay: exec -t sets the size and clears ONLCR before the program runs (no race with its first call)" {
    set_cmd 'sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    # The program's first act reads the pty: a relay that set the terminal up after execve lost
    # this race under load (CI saw "stty: standard input" errors and no size).
    for i in $(seq 1 15); do
        run drive --rows 23 --cols 77 -- "$RUNTIME" --root "$ROOT" exec -t "$ID" stty size
        [ "$status" -eq 0 ] || { echo "round $i: $output"; false; }
        grep -qx '23 77' <<<"$output" || { echo "round $i: $output"; false; }
        run drive -- "$RUNTIME" --root "$ROOT" exec -t "$ID" stty -a
        grep -q -- '-onlcr' <<<"$output" || { echo "round $i: $output"; false; }
    done
    rt delete --force "$ID"
}

@test "tty relay: without a terminal on stdin the output is still relayed" {
    setup_terminal 'tty; echo plain-output; exit 4'
    run rt run --bundle "$BUNDLE" "$ID" </dev/null
    [ "$status" -eq 4 ]
    grep -q 'plain-output' <<<"$output"
    grep -q '^/dev/pts/[0-9]' <<<"$output"
    assert_nothing_left "$ID"
}

@test "tty relay: output comes as written, without a \\r added or a stray NUL (ONLCR cleared, as runc does)" {
    skip_if_runc "runc 1.1.5 needs a controlling terminal for a foreground terminal run (open /dev/tty)"
    setup_terminal 'printf "one\ntwo\n"'
    rt run --bundle "$BUNDLE" "$ID" </dev/null > "$TEST_DIR/out"
    od -c "$TEST_DIR/out"
    [ "$(od -An -c "$TEST_DIR/out" | tr -s ' ')" = " o n e \n t w o \n" ]
}

@test "tty relay: detached run or exec with a terminal needs --console-socket" {
    setup_terminal 'true'
    run rt run --detach --bundle "$BUNDLE" "$ID"
    assert_failed 'console-socket'
    assert_nothing_left "$ID"
    config process.terminal=false
    set_cmd 'sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    run rt exec -t -d "$ID" true
    # runc's words, which callers match.
    assert_failed 'cannot allocate tty if .* will detach without setting console socket'
    rt delete --force "$ID"
}

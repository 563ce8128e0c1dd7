#!/usr/bin/env bats
# Lifecycle hooks (runtime.md "Lifecycle", config.md "POSIX-platform Hooks"): the moment and
# order each kind runs, the state on stdin, args, env, timeout, and which failures abort what.
load helpers

# The hook script and its log live in $HOOKS, bind-mounted into the container at the same path,
# so one path works for hooks run on the host and in the container (startContainer runs after
# pivot_root and resolves its path in the container).
setup_hooks() {
    HOOKS=$TEST_DIR/hooks
    mkdir -p "$HOOKS"
    cat > "$HOOKS/hook.sh" <<'HOOK'
#!/bin/sh
# hook.sh KIND ARG: logs "KIND status=S id=I pid=P arg=ARG foo=$FOO mnt=NS" from the state on stdin.
state=$(tr -d '\n')
field() { echo "$state" | sed -n "s/.*\"$1\" *: *\"*\([^\",}]*\).*/\1/p"; }
echo "$1 status=$(field status) id=$(field id) pid=$(field pid) arg=$2 foo=$FOO mnt=$(readlink /proc/self/ns/mnt)" >> "${0%/*}/hooks.log"
HOOK
    chmod +x "$HOOKS/hook.sh"
    config "mounts+={\"destination\":\"$HOOKS\",\"type\":\"bind\",\"source\":\"$HOOKS\",\"options\":[\"bind\"]}"
}

hook() {  # KIND [EXTRA-JSON-FIELDS]
    echo "{\"path\":\"$HOOKS/hook.sh\",\"args\":[\"hook.sh\",\"$1\",\"a1\"],\"env\":[\"FOO=bar\",\"PATH=/usr/bin:/bin\"]${2:+,$2}}"
}

log_kinds() { cut -d' ' -f1 "$HOOKS/hooks.log" | tr '\n' ' '; }
log_line() { grep "^$1 " "$HOOKS/hooks.log"; }

# A hook script that fails: writes to stderr and exits 3.
failing_hook() {
    printf '#!/bin/sh\necho "hook says no" >&2\nexit 3\n' > "$TEST_DIR/fail.sh"
    chmod +x "$TEST_DIR/fail.sh"
    echo "{\"path\":\"$TEST_DIR/fail.sh\"}"
}

@test "all six hooks run at their step, in order, with state, args and env" {
    skip_if_runc "runc 1.1.5 runs poststart hooks during create (status created) and passes createContainer hooks the pid seen in the container"
    setup_hooks
    config "hooks={\"prestart\":[$(hook prestart)],\"createRuntime\":[$(hook createRuntime)],\"createContainer\":[$(hook createContainer)],\"startContainer\":[$(hook startContainer)],\"poststart\":[$(hook poststart)],\"poststop\":[$(hook poststop)]}"
    set_cmd 'sleep 100'
    host_mnt=$(readlink /proc/self/ns/mnt)

    rt create --bundle "$BUNDLE" "$ID"
    pid=$(state_field "$ID" pid)
    container_mnt=$(readlink "/proc/$pid/ns/mnt")
    [ "$(log_kinds)" = "prestart createRuntime createContainer " ]

    # poststart runs before start returns (runtime.md lifecycle step 9).
    rt start "$ID"
    [ "$(log_kinds)" = "prestart createRuntime createContainer startContainer poststart " ]

    rt kill "$ID" KILL
    wait_for_status "$ID" stopped
    [ "$(log_kinds)" = "prestart createRuntime createContainer startContainer poststart " ]
    rt delete "$ID"
    [ "$(log_kinds)" = "prestart createRuntime createContainer startContainer poststart poststop " ]

    for kind in prestart createRuntime createContainer startContainer poststart poststop; do
        [[ "$(log_line $kind)" == "$kind status="*" id=$ID "*" arg=a1 foo=bar "* ]]
    done
    # The state's pid is the container process as seen by the host, for every hook but poststop.
    for kind in prestart createRuntime createContainer startContainer poststart; do
        [[ "$(log_line $kind)" == *" pid=$pid "* ]]
    done
    # runtime.md: prestart, createRuntime and createContainer run after the environment is
    # created (lifecycle step 2): "created", as crun says and runtime-tools' hooks_stdin expects.
    [[ "$(log_line prestart)" == *" status=created "* ]]
    [[ "$(log_line createRuntime)" == *" status=created "* ]]
    [[ "$(log_line createContainer)" == *" status=created "* ]]
    [[ "$(log_line startContainer)" == *" status=created "* ]]
    [[ "$(log_line poststart)" == *" status=running "* ]]
    [[ "$(log_line poststop)" == *" status=stopped "* ]]
    # prestart, createRuntime, poststart and poststop run in the runtime namespace;
    # createContainer and startContainer in the container's.
    for kind in prestart createRuntime poststart poststop; do
        [[ "$(log_line $kind)" == *" mnt=$host_mnt" ]]
    done
    for kind in createContainer startContainer; do
        [[ "$(log_line $kind)" == *" mnt=$container_mnt" ]]
    done
}

@test "create runs prestart, createRuntime, createContainer in order, in their namespaces" {
    setup_hooks
    config "hooks={\"prestart\":[$(hook prestart)],\"createRuntime\":[$(hook createRuntime)],\"createContainer\":[$(hook createContainer)],\"startContainer\":[$(hook startContainer)],\"poststop\":[$(hook poststop)]}"
    set_cmd 'sleep 100'
    rt create --bundle "$BUNDLE" "$ID"
    pid=$(state_field "$ID" pid)
    [ "$(log_kinds)" = "prestart createRuntime createContainer " ]
    for kind in prestart createRuntime createContainer; do
        [[ "$(log_line $kind)" == "$kind status=created id=$ID pid="*" arg=a1 foo=bar "* ]]
    done
    [[ "$(log_line createRuntime)" == *" pid=$pid "* ]]
    [[ "$(log_line createRuntime)" == *" mnt=$(readlink /proc/self/ns/mnt)" ]]
    [[ "$(log_line createContainer)" == *" mnt=$(readlink "/proc/$pid/ns/mnt")" ]]
    rt start "$ID"
    wait_for_status "$ID" running
    [ "$(log_kinds)" = "prestart createRuntime createContainer startContainer " ]
    [[ "$(log_line startContainer)" == "startContainer status=created id=$ID "*" mnt=$(readlink "/proc/$pid/ns/mnt")" ]]
    rt delete --force "$ID"
    [ "$(log_kinds)" = "prestart createRuntime createContainer startContainer poststop " ]
    [[ "$(log_line poststop)" == "poststop status=stopped id=$ID "* ]]
}

@test "hooks of one kind run in the order listed" {
    setup_hooks
    config "hooks={\"createRuntime\":[$(hook first),$(hook second),$(hook third)]}"
    rt run --bundle "$BUNDLE" "$ID" >/dev/null
    [ "$(log_kinds)" = "first second third " ]
}

@test "a failing createRuntime hook fails create and leaves nothing behind" {
    config "hooks={\"createRuntime\":[$(failing_hook)]}"
    set_cmd 'sleep 100'
    run rt create --bundle "$BUNDLE" "$ID"
    assert_failed 'hook|exit status 3'
    assert_nothing_left "$ID"
    assert_root_empty
}

@test "a failing prestart or createContainer hook fails create and leaves nothing behind" {
    for kind in prestart createContainer; do
        config "hooks={\"$kind\":[$(failing_hook)]}"
        run rt create --bundle "$BUNDLE" "$ID"
        assert_failed 'hook|exit status 3'
        assert_nothing_left "$ID"
    done
    assert_root_empty
}

@test "a failing startContainer hook fails start and stops the container" {
    setup_hooks
    cp "$(failing_hook | sed 's/.*"path":"\([^"]*\)".*/\1/')" "$HOOKS/fail.sh"
    config "hooks={\"startContainer\":[{\"path\":\"$HOOKS/fail.sh\"}]}"
    set_cmd 'touch /tmp/user-program-ran; sleep 100'
    rt create --bundle "$BUNDLE" "$ID"
    pid=$(state_field "$ID" pid)
    run rt start "$ID"
    # runtime.md: the runtime MUST generate an error and stop the container. runc 1.1.5's
    # start returns 0 before the hook runs; its init reports the error on the container's stderr.
    if ! runtime_is_runc; then
        assert_failed 'hook|exit status 3|says no'
    fi
    # The user program never ran and the container process is gone.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    ! kill -0 "$pid" 2>/dev/null
    [ ! -e "$BUNDLE/rootfs/tmp/user-program-ran" ]
    rt delete --force "$ID" 2>/dev/null || true
    assert_nothing_left "$ID"
}

@test "a hook running past its timeout is killed and fails the step" {
    printf '#!/bin/sh\nexec sleep 30\n' > "$TEST_DIR/slow.sh"
    chmod +x "$TEST_DIR/slow.sh"
    config "hooks={\"createRuntime\":[{\"path\":\"$TEST_DIR/slow.sh\",\"timeout\":1}]}"
    SECONDS=0
    run rt create --bundle "$BUNDLE" "$ID"
    assert_failed 'timeout|timed out'
    [ "$SECONDS" -lt 10 ]
    assert_nothing_left "$ID"
    ! pgrep -f "$TEST_DIR/slow.sh"
}

@test "a hook finishing within its timeout succeeds" {
    setup_hooks
    config "hooks={\"createRuntime\":[$(hook quick '"timeout":5')]}"
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$(log_kinds)" = "quick " ]
}

@test "a failing poststart hook is a warning: the container keeps running" {
    # runtime.md: "If any poststart hook fails, the runtime MUST log a warning, but the
    # remaining hooks and lifecycle continue as if the hook had succeeded."
    skip_if_runc "runc 1.1.5 fails start and kills the container when a poststart hook fails"
    setup_hooks
    config "hooks={\"poststart\":[$(failing_hook),$(hook after)]}"
    set_cmd 'echo ran; exit 4'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 4 ]
    grep -qx ran <<<"$output"
    grep -qi warn <<<"$output"
    [ "$(log_kinds)" = "after " ]
    assert_nothing_left "$ID"
}

@test "a failing poststop hook is a warning: delete succeeds and leaves nothing behind" {
    config "hooks={\"poststop\":[$(failing_hook)]}"
    set_cmd 'true'
    rt create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    rt start "$ID"
    wait_for_status "$ID" stopped
    run rt delete "$ID"
    [ "$status" -eq 0 ]
    assert_nothing_left "$ID"
}

@test "after a failing poststop hook the remaining poststop hooks still run" {
    # runtime.md: "the remaining hooks and lifecycle continue as if the hook had succeeded".
    skip_if_runc "runc 1.1.5 stops at the first failing poststop hook"
    setup_hooks
    config "hooks={\"poststop\":[$(failing_hook),$(hook after)]}"
    set_cmd 'true'
    rt create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    rt start "$ID"
    wait_for_status "$ID" stopped
    run rt delete "$ID"
    [ "$status" -eq 0 ]
    [ "$(log_kinds)" = "after " ]
    assert_nothing_left "$ID"
}

@test "a relative hook path is refused" {
    config 'hooks={"createRuntime":[{"path":"relative/hook"}]}'
    run rt create --bundle "$BUNDLE" "$ID"
    [ "$status" -ne 0 ]
    assert_nothing_left "$ID"
}

@test "startContainer hooks run as the process runs: its user, capabilities and no_new_privs (runc's order)" {
    config 'process.user={"uid":65534,"gid":65534}' 'process.noNewPrivileges=true'
    config 'hooks={"startContainer":[{"path":"/bin/sh","args":["sh","-c","grep -E \"^(Uid|CapEff|NoNewPrivs):\" /proc/self/status > /tmp/hook-status"]}]}'
    set_cmd 'true'
    run timeout -k 5 30 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
    [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || { echo "run hung"; false; }
    [ "$status" -eq 0 ]
    cat "$BUNDLE/rootfs/tmp/hook-status"
    grep -qE '^Uid:\s+65534\s+65534' "$BUNDLE/rootfs/tmp/hook-status"
    grep -qE '^CapEff:\s+0+$' "$BUNDLE/rootfs/tmp/hook-status"
    grep -qE '^NoNewPrivs:\s+1' "$BUNDLE/rootfs/tmp/hook-status"
}

@test "hooks run with the bundle as their working directory, wherever the runtime is called from" {
    # runc runs every hook with the bundle as its working directory (issue 17).
    printf '#!/bin/sh\necho "$1 $(pwd)" >> %s/cwd.log\n' "$TEST_DIR" > "$TEST_DIR/cwd.sh"
    chmod +x "$TEST_DIR/cwd.sh"
    cwd_hook() { echo "{\"path\":\"$TEST_DIR/cwd.sh\",\"args\":[\"cwd.sh\",\"$1\"]}"; }
    config "hooks={\"prestart\":[$(cwd_hook prestart)],\"createRuntime\":[$(cwd_hook createRuntime)],\"poststart\":[$(cwd_hook poststart)],\"poststop\":[$(cwd_hook poststop)]}"
    set_cmd 'sleep 100'
    cd /
    rt create --bundle "$BUNDLE" "$ID"
    rt start "$ID"
    rt delete --force "$ID"
    kinds="prestart createRuntime poststart"
    runtime_is_runc || kinds+=" poststop"
    for kind in $kinds; do
        grep -qx "$kind $BUNDLE" "$TEST_DIR/cwd.log"
    done
}

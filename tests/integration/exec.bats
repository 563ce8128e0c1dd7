#!/usr/bin/env bats
load helpers

# A sleeping container with every namespace, a cgroup namespace too (not in the default spec).
start_sleeper() {
    config 'linux.namespaces+={"type":"cgroup"}'
    set_cmd 'sleep 1000'
    rt run --detach --bundle "$BUNDLE" "$ID"
}

@test "exec joins every namespace of the container and returns the exit status" {
    start_sleeper
    pid=$(state_field "$ID" pid)
    run rt exec "$ID" sh -c 'for n in pid mnt net ipc uts cgroup; do readlink /proc/self/ns/$n; done; exit 5'
    [ "$status" -eq 5 ]
    i=0
    for n in pid mnt net ipc uts cgroup; do
        [ "${lines[$i]}" = "$(readlink /proc/$pid/ns/$n)" ]
        i=$((i + 1))
    done
}

@test "exec sees the container's processes and filesystem, and is in its cgroup" {
    start_sleeper
    echo marker > "$BUNDLE/rootfs/root/marker"
    run rt exec "$ID" sh -c 'ps -o pid,args | grep -c "[s]leep 1000"; cat /root/marker; grep memory /proc/self/cgroup'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 1 ]
    [ "${lines[1]}" = marker ]
    # In the container's cgroup namespace its own cgroup is "/", for init and exec alike.
    [[ "${lines[2]}" == *":memory:/" ]]
    rt exec --detach --pid-file "$TEST_DIR/p" "$ID" sleep 50 >/dev/null 2>&1
    exec_pid=$(cat "$TEST_DIR/p")
    init_pid=$(state_field "$ID" pid)
    [ "$(grep memory "/proc/$exec_pid/cgroup")" = "$(grep memory "/proc/$init_pid/cgroup")" ]
    # Every hierarchy, v1 controllers and the unified tree alike, not only memory.
    [ "$(cat "/proc/$exec_pid/cgroup")" = "$(cat "/proc/$init_pid/cgroup")" ]
    [ "$(wc -l < "/proc/$exec_pid/cgroup")" -gt 2 ]
}

@test "exec --cgroup must name a path below the container's cgroup" {
    start_sleeper
    for bad in .. ../escape a/../../b /abs; do
        run rt exec --cgroup "$bad" "$ID" true
        [ "$status" -ne 0 ]
        [[ "$output" == *"--cgroup \"$bad\""* ]]
    done
    # Nothing ran: no process but the sleeper.
    [ "$(rt ps "$ID" | wc -l)" -eq 2 ]
}

@test "exec flags: --env, --cwd, --user, --additional-gids, --cap" {
    start_sleeper
    run rt exec -e FOO=bar --cwd /tmp -u 1000:1000 -g 10 "$ID" sh -c 'echo "$FOO"; pwd; id -u; id -g; id -G; grep CapBnd /proc/self/status'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = bar ]
    [ "${lines[1]}" = /tmp ]
    [ "${lines[2]}" = 1000 ]
    [ "${lines[3]}" = 1000 ]
    [[ "${lines[4]}" == *10* ]]
    run rt exec --cap CAP_SYS_ADMIN "$ID" sh -c 'grep CapEff /proc/self/status'
    [ "$status" -eq 0 ]
    mask=$(echo "${lines[0]}" | awk '{print $2}')
    [ $(( 0x$mask & (1 << 21) )) -ne 0 ]
}

@test "exec --process with the real podman and containerd process.json" {
    start_sleeper
    for f in podman containerd; do
        run rt exec --process "$HERE/fixtures/$f-exec-process.json" "$ID"
        [ "$status" -eq 0 ]
        [ "$output" = exec-ok ]
    done
}

@test "exec --detach --pid-file, and the process is in the container's pid namespace" {
    start_sleeper
    rt exec --detach --pid-file "$TEST_DIR/exec.pid" "$ID" sleep 500
    pid=$(cat "$TEST_DIR/exec.pid")
    [ "$(readlink /proc/$pid/ns/pid)" = "$(readlink /proc/$(state_field "$ID" pid)/ns/pid)" ]
    grep -q "sleep" /proc/$pid/cmdline
}

@test "exec into a stopped or unknown container, or of a missing binary, is a clear error" {
    set_cmd 'true'
    rt create --bundle "$BUNDLE" "$ID"
    # exec is not in the OCI spec; runc allows exec into a created container, so no check here.

    rt start "$ID"
    wait_for_status "$ID" stopped
    run rt exec "$ID" true
    assert_failed 'stopped|not running'

    run rt exec nosuch true
    assert_failed 'not exist'

    rt delete "$ID"
    start_sleeper
    run rt exec "$ID" /no/such/thing
    [ "$status" -eq 255 ]
    assert_failed '/no/such/thing'

}

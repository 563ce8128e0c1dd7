#!/usr/bin/env bats
# Churn: many lifecycles in a row and at once, kill/delete races on one id, and hull killed in
# the middle of create. Afterwards nothing may be left: state dirs, mounts, cgroups, processes.
load helpers

# Other suites' teardowns rmdir every empty cgroup under rt-bats, which races with 20 creates at
# once: these tests use a cgroup parent of their own.
eval "shared_$(declare -f setup)"
setup() {
    shared_setup
    CGROUP_PARENT=rt-churn-$$
    CGROUP_PATH=/$CGROUP_PARENT/$ID
    config "linux.cgroupsPath=\"$CGROUP_PATH\""
}

# The host's mounts that involve this test's dir (its bundles and rootfs): where a mount leaked
# by hull would show. Other suites running at the same time change the rest of the table.
mount_points() {
    grep -F "$TEST_DIR" /proc/self/mountinfo | awk '{ print $4, $5 }' | sort
}

# container_bundle NAME: a bundle dir with its own config.json (cgroup /rt-bats/$ID-NAME) that
# shares the test bundle's rootfs; prints its path.
container_bundle() {
    local dir=$TEST_DIR/b-$1
    mkdir -p "$dir"
    cp "$BUNDLE/config.json" "$dir/config.json"
    python3 "$HERE/edit-config.py" "$dir/config.json" "root.path=\"$BUNDLE/rootfs\"" \
        "linux.cgroupsPath=\"/$CGROUP_PARENT/$ID-$1\""
    echo "$dir"
}

# lifecycle NAME: create, start, wait for the process to exit, delete; quiet unless it fails.
lifecycle() {
    local name=$1 dir=$TEST_DIR/b-$1 id=$ID-$1 pid
    rt create --bundle "$dir" --pid-file "$dir/pid" "$id" || return 1
    pid=$(cat "$dir/pid")
    rt start "$id" || return 1
    # Exited: gone or a zombie (whoever it was reparented to may reap it late).
    while [ -r "/proc/$pid/stat" ] && [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ]; do sleep 0.01; done
    rt delete "$id"
}

# assert_no_leaks MOUNTS_BEFORE: no state dir, cgroup, mount or process of this test is left.
assert_no_leaks() {
    assert_root_empty
    local left
    left=$(ls -d /sys/fs/cgroup/*/"$CGROUP_PARENT/$ID"* /sys/fs/cgroup/"$CGROUP_PARENT/$ID"* 2>/dev/null || true)
    if [ -n "$left" ]; then echo "cgroups left: $left"; return 1; fi
    local after
    after=$(mount_points)
    if [ "$after" != "$1" ]; then
        echo "mounts changed:"
        diff <(echo "$1") <(echo "$after") || true
        return 1
    fi
    left=$(pgrep -f -- "$TEST_DIR" || true)
    if [ -n "$left" ]; then echo "processes left:"; ps -o pid,args -p "${left//$'\n'/,}"; return 1; fi
}

@test "200 sequential create/start/wait/delete lifecycles leave nothing behind" {
    config 'process.args=["true"]'
    container_bundle seq >/dev/null
    local before i
    before=$(mount_points)
    for i in $(seq 200); do
        lifecycle seq || { echo "lifecycle $i failed"; return 1; }
    done
    assert_no_leaks "$before"
}

@test "20 parallel lifecycles leave nothing behind" {
    config 'process.args=["true"]'
    local before i pids=() failed=0
    for i in $(seq 20); do container_bundle "p$i" >/dev/null; done
    before=$(mount_points)
    for i in $(seq 20); do
        lifecycle "p$i" 3>&- &
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || failed=$((failed + 1)); done
    [ "$failed" -eq 0 ]
    assert_no_leaks "$before"
}

@test "a running container has only stdio open: no fd of hull or its caller leaks in" {
    set_cmd 'exec sleep 100'
    exec 7</etc/hostname 8>"$TEST_DIR/caller-fd"
    rt run --detach --bundle "$BUNDLE" "$ID"
    exec 7<&- 8>&-
    pid=$(state_field "$ID" pid)
    [ "$(ls "/proc/$pid/fd" | sort -n | tr '\n' ' ')" = "0 1 2 " ]
    rt delete --force "$ID"
    assert_nothing_left "$ID"
}

# race ROUND: kill, delete --force and state at once on one running container.
race() {
    local id=$ID-r$1 i pids=() code out
    rt run --detach --bundle "$TEST_DIR/b-r" "$id" || return 1
    for i in 1 2 3 4; do
        rt kill "$id" KILL 2>"$TEST_DIR/race.kill$i" &
        pids+=($!)
        rt delete --force "$id" 2>"$TEST_DIR/race.delete$i" &
        pids+=($!)
        rt state "$id" >/dev/null 2>"$TEST_DIR/race.state$i" &
        pids+=($!)
    done
    for i in "${pids[@]}"; do
        code=0
        wait "$i" || code=$?
        # A crash (signal, abort) or a usage error is a bug; exit 1 with a message is fine.
        if [ "$code" -gt 1 ]; then echo "a racing command exited $code"; return 1; fi
    done
    # Whoever lost says why, in one line: the container was gone or no longer running.
    for out in "$TEST_DIR"/race.*; do
        if [ -s "$out" ] && ! grep -qE 'does not exist|not running|is stopped' "$out"; then
            echo "$out: $(cat "$out")"
            return 1
        fi
        [ "$(grep -c . "$out")" -le 1 ] || { echo "$out: more than one line"; return 1; }
    done
    if rt state "$id" >/dev/null 2>&1; then rt delete --force "$id"; fi
    run rt state "$id"
    [ "$status" -ne 0 ]
}

@test "concurrent kill, delete --force and state on one id" {
    set_cmd 'exec sleep 100'
    mkdir "$TEST_DIR/b-r"
    cp "$BUNDLE/config.json" "$TEST_DIR/b-r/"
    python3 "$HERE/edit-config.py" "$TEST_DIR/b-r/config.json" "root.path=\"$BUNDLE/rootfs\""
    local before round
    before=$(mount_points)
    for round in 1 2 3 4 5; do
        python3 "$HERE/edit-config.py" "$TEST_DIR/b-r/config.json" "linux.cgroupsPath=\"/$CGROUP_PARENT/$ID-r$round\""
        race "$round" 3>&-
    done
    assert_no_leaks "$before"
}

@test "create and delete --force racing on one id end with the container gone or whole" {
    set_cmd 'exec sleep 100'
    local before round status_now
    before=$(mount_points)
    for round in 1 2 3 4 5; do
        rt create --bundle "$BUNDLE" "$ID" 3>&- 2>/dev/null &
        creator=$!
        rt delete --force "$ID" 2>/dev/null 3>&- || true
        wait "$creator" || true
        # Either delete came first (create then made a whole container) or it removed it.
        if rt state "$ID" >/dev/null 2>&1; then
            status_now=$(state_field "$ID" status)
            [ "$status_now" = created ]
            rt delete --force "$ID"
        fi
    done
    assert_no_leaks "$before"
}

@test "kill -9 of hull in a createRuntime hook, then delete --force cleans up everything" {
    cat > "$TEST_DIR/slow-hook" <<EOF
#!/bin/sh
echo \$\$ > "$TEST_DIR/hook.pid"
exec sleep 30
EOF
    chmod +x "$TEST_DIR/slow-hook"
    config "hooks.createRuntime=[{\"path\":\"$TEST_DIR/slow-hook\"}]"
    set_cmd 'exec sleep 100'
    local before init
    before=$(mount_points)
    # hull itself, not a subshell running the rt function: $! must be hull's pid.
    "$RUNTIME" --root "$ROOT" create --bundle "$BUNDLE" "$ID" 3>&- &
    hull_pid=$!
    CLEANUP_PIDS+=("$hull_pid")
    wait_for_file "$TEST_DIR/hook.pid"
    hook=$(cat "$TEST_DIR/hook.pid")
    CLEANUP_PIDS+=("$hook")
    # The container process exists (it waits for the hooks) and is in the container's cgroup.
    init=$(cat /sys/fs/cgroup/{unified,pids,}"$CGROUP_PATH"/cgroup.procs 2>/dev/null | head -1)
    [ -n "$init" ]
    kill -9 "$hull_pid"
    wait "$hull_pid" || true
    kill "$hook"
    # hull died with the state dir half-written: it reads as "creating".
    [ -d "$ROOT/$ID" ]
    [ "$(state_field "$ID" status)" = creating ]
    run rt start "$ID"
    assert_failed 'creating'
    rt delete --force "$ID"
    assert_nothing_left "$ID"
    ! kill -0 "$init" 2>/dev/null
    assert_no_leaks "$before"
}

@test "delete without --force also removes an interrupted create" {
    cat > "$TEST_DIR/slow-hook" <<EOF
#!/bin/sh
echo \$\$ > "$TEST_DIR/hook.pid"
exec sleep 30
EOF
    chmod +x "$TEST_DIR/slow-hook"
    config "hooks.prestart=[{\"path\":\"$TEST_DIR/slow-hook\"}]"
    # hull itself, not a subshell running the rt function: $! must be hull's pid.
    "$RUNTIME" --root "$ROOT" create --bundle "$BUNDLE" "$ID" 3>&- &
    hull_pid=$!
    CLEANUP_PIDS+=("$hull_pid")
    wait_for_file "$TEST_DIR/hook.pid"
    CLEANUP_PIDS+=("$(cat "$TEST_DIR/hook.pid")")
    kill -9 "$hull_pid"
    wait "$hull_pid" || true
    rt list | grep -E "^$ID +[0-9]+ +creating "
    rt delete "$ID"
    assert_nothing_left "$ID"
}

#!/usr/bin/env bats
# runc's flag spellings and defaults that callers and scripts use (issue 17), read back from the
# cgroup files and from inside the container. Runs against runc too (RUNTIME=/usr/sbin/runc).
load helpers

v1_file() { cat "/sys/fs/cgroup/$1$CGROUP_PATH/$2"; }

@test "update: sizes with unit suffixes (50M, 512k, 1g) and -1, as runc takes them" {
    [ -d /sys/fs/cgroup/memory ] || skip "needs the v1 memory controller"
    set_cmd 'sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID"
    rt update --memory 50M "$ID"
    [ "$(v1_file memory memory.limit_in_bytes)" = 52428800 ]
    rt update --memory-reservation 512k "$ID"
    [ "$(v1_file memory memory.soft_limit_in_bytes)" = 524288 ]
    rt update --memory 1g "$ID"
    [ "$(v1_file memory memory.limit_in_bytes)" = 1073741824 ]
    rt update --memory -1 "$ID"
    [ "$(v1_file memory memory.limit_in_bytes)" -gt 1073741824 ]
    run rt update --memory 12parsecs "$ID"
    assert_failed 'memory.*12parsecs'
}

@test "update: --cpu-share (runc's spelling) and --cpu-shares" {
    [ -d /sys/fs/cgroup/cpu ] || skip "needs the v1 cpu controller"
    set_cmd 'sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID"
    rt update --cpu-share 512 "$ID"
    [ "$(v1_file cpu cpu.shares)" = 512 ]
    runtime_is_runc && return  # runc knows only --cpu-share
    rt update --cpu-shares 256 "$ID"
    [ "$(v1_file cpu cpu.shares)" = 256 ]
}

@test "update: --cpu-rt-period and --cpu-rt-runtime reach the cgroup (or the kernel's refusal is reported)" {
    [ -d /sys/fs/cgroup/cpu ] || skip "needs the v1 cpu controller"
    set_cmd 'sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID"
    if [ ! -e "/sys/fs/cgroup/cpu$CGROUP_PATH/cpu.rt_period_us" ]; then
        run rt update --cpu-rt-period 900000 "$ID"
        assert_failed 'rt_period'
        return
    fi
    rt update --cpu-rt-period 900000 --cpu-rt-runtime 0 "$ID"
    [ "$(v1_file cpu cpu.rt_period_us)" = 900000 ]
    [ "$(v1_file cpu cpu.rt_runtime_us)" = 0 ]
}

@test "exec -p: a process.json without user runs as 0:0" {
    set_cmd 'sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID"
    echo '{"args":["id","-u"],"cwd":"/","env":["PATH=/bin"]}' > "$TEST_DIR/process.json"
    run rt exec --process "$TEST_DIR/process.json" "$ID"
    [ "$status" -eq 0 ]
    [ "$output" = 0 ]
    # A user it does give is applied, and a malformed one refused naming it.
    echo '{"args":["sh","-c","echo $(id -u):$(id -g)"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":1000,"gid":1001}}' > "$TEST_DIR/process.json"
    run rt exec --process "$TEST_DIR/process.json" "$ID"
    [ "$status" -eq 0 ]
    [ "$output" = 1000:1001 ]
    echo '{"args":["true"],"cwd":"/","user":{"uid":"root"}}' > "$TEST_DIR/process.json"
    run rt exec --process "$TEST_DIR/process.json" "$ID"
    [ "$status" -ne 0 ]
    [[ "$output" == *user.uid* ]]
}

@test "kill ID 0 checks that the container's process is alive, and signals nothing" {
    set_cmd 'trap "echo got-a-signal > /tmp/mark" USR1 TERM HUP; sleep 100 & wait'
    rt run --detach --bundle "$BUNDLE" "$ID"
    rt kill "$ID" 0
    [ "$(state_field "$ID" status)" = running ]
    rt exec "$ID" sh -c '[ ! -e /tmp/mark ]'
    rt kill "$ID" KILL
    for _ in $(seq 50); do [ "$(state_field "$ID" status)" = stopped ] && break; sleep 0.1; done
    run rt kill "$ID" 0
    [ "$status" -ne 0 ]
}

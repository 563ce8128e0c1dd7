#!/usr/bin/env bats
# Config fields read back from their effect (the truth rule: applied, or refused at create; the
# refusals are in bad-input.bats): memoryPolicy, execCPUAffinity, personality on exec,
# pids.limit 0, cpu.idle, memory.useHierarchy, memory.checkBeforeUpdate.
load helpers

# run_detached: create + start with stdio off bats' pipes.
run_detached() {
    rt create --bundle "$BUNDLE" "$ID" >"$TEST_DIR/create.out" 2>&1 </dev/null || {
        cat "$TEST_DIR/create.out"
        return 1
    }
    rt start "$ID"
}

v1_dir() { echo "/sys/fs/cgroup/$1$CGROUP_PATH"; }

@test "linux.memoryPolicy: the init and an exec'd process run under set_mempolicy (numa_maps)" {
    config 'linux.memoryPolicy={"mode":"MPOL_INTERLEAVE","nodes":"0"}'
    config 'process.args=["grep","-m1","-o","interleave[:=][^ ]*","/proc/self/numa_maps"]'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$output" = "interleave:0" ]
    config 'linux.memoryPolicy={"mode":"MPOL_BIND","nodes":"0","flags":["MPOL_F_STATIC_NODES"]}'
    set_cmd 'grep -q "bind=static:0" /proc/self/numa_maps && exec sleep 100'
    run_detached
    wait_for_status "$ID" running
    run rt exec "$ID" grep -m1 -o 'bind=static:0' /proc/self/numa_maps
    [ "$status" -eq 0 ]
    [ "$output" = "bind=static:0" ]
}

@test "process.execCPUAffinity: final for the init and exec; initial alone leaves every CPU of the cgroup" {
    [ "$(nproc --all)" -ge 2 ] || skip "needs 2 CPUs"
    config 'process.execCPUAffinity={"initial":"0","final":"1"}'
    config 'process.args=["grep","Cpus_allowed_list","/proc/self/status"]'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [[ "$output" =~ Cpus_allowed_list:[[:space:]]+1$ ]]
    config 'process.execCPUAffinity={"initial":"1"}'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [[ "$output" =~ Cpus_allowed_list:[[:space:]]+0-1$ ]]
    set_cmd 'sleep 100'
    config -process.execCPUAffinity
    run_detached
    cat > "$TEST_DIR/process.json" <<'JSON'
{"user": {"uid": 0, "gid": 0}, "cwd": "/", "args": ["grep", "Cpus_allowed_list", "/proc/self/status"],
 "env": ["PATH=/bin:/usr/bin"], "execCPUAffinity": {"initial": "1", "final": "0"}}
JSON
    run rt exec --process "$TEST_DIR/process.json" "$ID"
    [ "$status" -eq 0 ]
    [[ "$output" =~ Cpus_allowed_list:[[:space:]]+0$ ]]
}

@test "linux.personality applies to exec'd processes too" {
    [ "$(uname -m)" = x86_64 ] || skip "LINUX32 check is for x86_64"
    config 'linux.personality={"domain":"LINUX32"}'
    set_cmd 'uname -m > /tmp/init-arch; exec sleep 100'
    run_detached
    run rt exec "$ID" cat /tmp/init-arch
    [ "$output" = i686 ]
    run rt exec "$ID" uname -m
    [ "$status" -eq 0 ]
    [ "$output" = i686 ]
}

@test "pids.limit 0 is a limit of zero tasks (runtime-spec 1.3), -1 is max" {
    config 'linux.resources.pids={"limit":0}'
    # Builtins only: the container can start no other process.
    set_cmd 'read max < /sys/fs/cgroup/pids/pids.max; echo "$max"; if (true); then echo forked; fi'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "${lines[0]}" = 0 ]
    ! grep -qx forked <<<"$output"
    config 'linux.resources.pids={"limit":-1}'
    set_cmd 'sleep 100'
    run_detached
    [ "$(cat "$(v1_dir pids)/pids.max")" = max ]
}

@test "cpu.idle and memory.useHierarchy on cgroup v1" {
    [ -e /sys/fs/cgroup/cpu/cpu.idle ] || skip "this kernel has no cpu.idle on v1"
    config 'linux.resources.cpu={"idle":1}' 'linux.resources.memory={"useHierarchy":true}'
    set_cmd 'sleep 100'
    run_detached
    [ "$(cat "$(v1_dir cpu)/cpu.idle")" = 1 ]
    [ "$(cat "$(v1_dir memory)/memory.use_hierarchy")" = 1 ]
}

@test "memory.checkBeforeUpdate: an update below the current usage is refused, the limit kept" {
    config 'linux.resources.memory={"limit":268435456}'
    set_cmd 'sleep 100'
    run_detached
    echo '{"memory": {"limit": 8192, "checkBeforeUpdate": true}}' > "$TEST_DIR/r.json"
    run rt update --resources "$TEST_DIR/r.json" "$ID"
    assert_failed 'linux\.resources\.memory\.limit: 8192 is below the current usage [0-9]+ .*checkBeforeUpdate'
    [ "$(cat "$(v1_dir memory)/memory.limit_in_bytes")" = 268435456 ]
    echo '{"memory": {"limit": 134217728, "checkBeforeUpdate": true}}' > "$TEST_DIR/r.json"
    rt update --resources "$TEST_DIR/r.json" "$ID"
    [ "$(cat "$(v1_dir memory)/memory.limit_in_bytes")" = 134217728 ]
}

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

@test "update: cpu period and quota change together in either order inside a pod cgroup with a limit" {
    [ -d /sys/fs/cgroup/cpu ] || skip "needs the v1 cpu controller"
    # A pod cgroup allowing half a CPU: a new period written before the quota that goes with it
    # breaks that ratio, and the kernel says EINVAL.
    own_parent_cgroup cpu
    echo 100000 > "$POD/cpu.cfs_period_us"
    echo 50000 > "$POD/cpu.cfs_quota_us"
    config 'linux.resources={"cpu":{"quota":50000,"period":100000}}'
    set_cmd 'sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID"
    rt update --cpu-period 10000 --cpu-quota 5000 "$ID"
    [ "$(v1_file cpu cpu.cfs_period_us)" = 10000 ]
    [ "$(v1_file cpu cpu.cfs_quota_us)" = 5000 ]
    rt update --cpu-quota 50000 --cpu-period 100000 "$ID"
    [ "$(v1_file cpu cpu.cfs_period_us)" = 100000 ]
    [ "$(v1_file cpu cpu.cfs_quota_us)" = 50000 ]
}

@test "update: memory and memory+swap raised above the old memory+swap limit, then lowered (cgroup v1)" {
    [ -e "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes" ] || skip "needs v1 memory with swap accounting"
    # containerd's CRI plugin sends both when it resizes a container; memory.limit_in_bytes above
    # the current memory.memsw.limit_in_bytes is EINVAL, so raising needs memsw written first.
    config 'linux.resources={"memory":{"limit":67108864,"swap":67108864}}'
    set_cmd 'sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID"
    rt update --memory 96M --memory-swap 96M "$ID"
    [ "$(v1_file memory memory.limit_in_bytes)" = 100663296 ]
    [ "$(v1_file memory memory.memsw.limit_in_bytes)" = 100663296 ]
    rt update --memory 32M --memory-swap 32M "$ID"
    [ "$(v1_file memory memory.limit_in_bytes)" = 33554432 ]
    [ "$(v1_file memory memory.memsw.limit_in_bytes)" = 33554432 ]
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

# --debug (issue 17): runc's `time="..." level=debug msg="..."` lines on stderr, or
# {"level":"debug",...} records in --log with --log-format json; nothing of it without --debug.
# A line that is not a debug line of that shape (or a runc warning) fails the check.
assert_debug_text_lines() {
    local lines
    lines=$(grep -c . <<<"$1" || true)
    [ "$lines" -gt 0 ] || { echo "no debug lines on stderr"; return 1; }
    if grep -vE '^time="[^"]+" level=(debug|warning) msg="' <<<"$1"; then
        echo "lines above are not runc-shaped log lines"
        return 1
    fi
    grep -qE '^time="[^"]+" level=debug msg="' <<<"$1"
}

# refute_match REGEX TEXT: no line of TEXT matches.
refute_match() {
    if grep -E -- "$1" <<<"$2"; then
        echo "unexpected lines above (matching /$1/)"
        return 1
    fi
}

@test "--debug run: level=debug lines on stderr naming the mounts and the cgroup; none without --debug" {
    set_cmd 'true'
    run --separate-stderr rt --debug run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    assert_debug_text_lines "$stderr"
    run --separate-stderr rt run --bundle "$BUNDLE" "$ID"
    echo "$stderr"
    [ "$status" -eq 0 ]
    refute_match 'debug' "$stderr"
    rt --debug run --bundle "$BUNDLE" "$ID" 2>"$TEST_DIR/stderr"
    runtime_is_runc && return  # runc's lines name its nsexec stages instead
    stderr=$(cat "$TEST_DIR/stderr")
    grep -E 'level=debug msg="config loaded: .*config.json' <<<"$stderr"
    grep -E 'level=debug msg="cgroup: driver cgroupfs, path '"$CGROUP_PATH"'"' <<<"$stderr"
    grep -E 'level=debug msg="namespaces: created .*pid' <<<"$stderr"
    grep -E 'level=debug msg="mounted /proc \(type proc, source proc\)"' <<<"$stderr"
    grep -E 'level=debug msg="mounted /dev \(type tmpfs' <<<"$stderr"
    grep -E 'level=debug msg="exec /bin/sh \(args\[0\] sh\)"' <<<"$stderr"
}

@test "--debug --log F --log-format json run: every line of F is a JSON record, debug ones among them" {
    set_cmd 'true'
    config 'hooks={"prestart":[{"path":"/bin/true"}],"startContainer":[{"path":"/bin/true"}]}' \
        'linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mknod"],"action":"SCMP_ACT_ERRNO"}]}'
    run --separate-stderr rt --debug --log "$TEST_DIR/log.json" --log-format json run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    refute_match 'debug' "$stderr"  # into the file, not on stderr
    python3 - "$TEST_DIR/log.json" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
records = [json.loads(line) for line in lines]  # each line on its own is valid JSON
assert any(r["level"] == "debug" for r in records), "no debug records in %s" % lines
assert all(isinstance(r["msg"], str) and r["time"] for r in records), records
PY
    # Without --debug, no debug record.
    rt --log "$TEST_DIR/quiet.json" --log-format json run --bundle "$BUNDLE" "$ID"
    [ ! -e "$TEST_DIR/quiet.json" ] || refute_match '"level":"debug"' "$(cat "$TEST_DIR/quiet.json")"
    # A failure after debug records is still the last line: containerd keeps the last error.
    config 'process.args=["/no/such/program"]'
    run rt --debug --log "$TEST_DIR/failed.json" --log-format json run --bundle "$BUNDLE" "$ID"
    [ "$status" -ne 0 ]
    python3 - "$TEST_DIR/failed.json" <<'PY'
import json, sys
records = [json.loads(line) for line in open(sys.argv[1])]
assert any(r["level"] == "debug" for r in records), records
assert records[-1]["level"] == "error" and "/no/such/program" in records[-1]["msg"], records[-1]
PY
    runtime_is_runc && return
    python3 - "$TEST_DIR/log.json" "$CGROUP_PATH" <<'PY'
import json, sys
msgs = [json.loads(line)["msg"] for line in open(sys.argv[1])]
for wanted in ("cgroup: driver cgroupfs, path " + sys.argv[2], "mounted /proc (type proc, source proc)",
               "running hook prestart[0]: /bin/true", "running hook startContainer[0]: /bin/true",
               "seccomp filter loaded", "exec /bin/sh (args[0] sh)"):
    assert wanted in msgs, "%r not in %s" % (wanted, msgs)
assert any(m.startswith("process: uid 0, gid 0") for m in msgs), msgs
PY
}

@test "--debug exec: level=debug lines on stderr, the process's own output untouched; none without --debug" {
    set_cmd 'sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID"
    run --separate-stderr rt --debug exec "$ID" echo from-exec
    [ "$status" -eq 0 ]
    [ "$output" = from-exec ]
    assert_debug_text_lines "$stderr"
    run --separate-stderr rt exec "$ID" echo from-exec
    [ "$status" -eq 0 ]
    [ "$output" = from-exec ]
    refute_match 'debug' "$stderr"
    rt --debug exec "$ID" true 2>"$TEST_DIR/stderr"
    runtime_is_runc && return
    stderr=$(cat "$TEST_DIR/stderr")
    grep -E 'level=debug msg="exec in container '"$ID"' \(pid [0-9]+\): joining .*pid.*; cgroup driver cgroupfs, path '"$CGROUP_PATH"'"' <<<"$stderr"
    grep -E 'level=debug msg="exec /bin/true \(args\[0\] true\)"' <<<"$stderr"
}

@test "--debug create, then --debug start: create logs the setup, start the container process's last steps" {
    set_cmd 'true'
    config 'hooks={"startContainer":[{"path":"/bin/true"}]}'
    rt --debug create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$TEST_DIR/create.err"
    assert_debug_text_lines "$(cat "$TEST_DIR/create.err")"
    run --separate-stderr rt --debug start "$ID"
    [ "$status" -eq 0 ]
    runtime_is_runc && return  # runc's start logs nothing
    grep -E 'level=debug msg="mounted /proc \(type proc' "$TEST_DIR/create.err"
    grep -E 'level=debug msg="container process [0-9]+ is ready and waits for start"' "$TEST_DIR/create.err"
    refute_match 'exec /bin/sh' "$(cat "$TEST_DIR/create.err")"
    assert_debug_text_lines "$stderr"
    grep -E 'level=debug msg="running hook startContainer\[0\]: /bin/true"' <<<"$stderr"
    grep -E 'level=debug msg="exec /bin/sh \(args\[0\] sh\)"' <<<"$stderr"
    # The records travel with the container process's reply: start without --debug shows none.
    wait_for_status "$ID" stopped
    rt delete "$ID"
    rt --debug create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    run --separate-stderr rt start "$ID"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
}

@test "events --stats: the data in runc's struct order, zero omitempty fields left out (callers match raw prefixes)" {
    set_cmd 'sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID" </dev/null
    run rt events --stats "$ID"
    [ "$status" -eq 0 ]
    [[ "$output" == "{\"type\":\"stats\",\"id\":\"$ID\",\"data\":{\"cpu\":{\"usage\":{\"total\":"* ]]
    python3 - "$output" <<'EOF'
import json, sys
data = json.loads(sys.argv[1])["data"]  # dicts keep the order of the text

def in_order(obj, order, required=()):
    keys = list(obj)
    assert all(k in order for k in keys), (keys, order)
    assert keys == sorted(keys, key=order.index), (keys, order)
    assert all(k in keys for k in required), (keys, required)

assert list(data) == ["cpu", "cpuset", "memory", "pids", "blkio", "hugetlb", "intel_rdt", "network_interfaces"], list(data)
assert list(data["cpu"]) == ["usage", "throttling"], data["cpu"]
in_order(data["cpu"]["usage"], ["total", "percpu", "percpu_kernel", "percpu_user", "kernel", "user"], ["total", "kernel", "user"])
in_order(data["cpu"]["throttling"], ["periods", "throttledPeriods", "throttledTime"])
in_order(data["cpuset"], ["cpus", "cpu_exclusive", "mems", "mem_hardwall", "mem_exclusive", "memory_migrate",
                          "memory_spread_page", "memory_spread_slab", "memory_pressure", "sched_load_balance",
                          "sched_relax_domain_level"], ["cpu_exclusive", "sched_relax_domain_level"])
in_order(data["memory"], ["cache", "usage", "swap", "kernel", "kernelTCP", "raw"], ["usage", "swap", "kernel", "kernelTCP"])
for entry in ("usage", "swap", "kernel", "kernelTCP"):
    in_order(data["memory"][entry], ["limit", "usage", "max", "failcnt"], ["limit", "failcnt"])
assert data["memory"]["usage"]["usage"] > 0, data["memory"]
in_order(data["pids"], ["current", "limit"], ["current"])
assert data["network_interfaces"] is None, data
EOF
}

#!/usr/bin/env bats
# cgroups on this hybrid host (v1 controllers plus a cgroup2 tree at /sys/fs/cgroup/unified) and
# in a pure cgroup2 view made in a private mount namespace.
load helpers

# in_cgroup2 CMD...: runs CMD where /sys/fs/cgroup is a pure cgroup2 mount (host mounts untouched).
in_cgroup2() {
    unshare -m --propagation private sh -c 'umount -l /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' x "$@"
}

is_hybrid() { [ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] && [ -d /sys/fs/cgroup/unified ]; }

@test "hybrid host: the process is in cgroupsPath in every hierarchy; delete removes it" {
    is_hybrid || skip "the host is not a hybrid cgroup host"
    set_cmd 'sleep 100'
    rt create --bundle "$BUNDLE" "$ID"
    pid=$(state_field "$ID" pid)
    cat "/proc/$pid/cgroup"
    grep -q ":memory:$CGROUP_PATH\$" "/proc/$pid/cgroup"
    grep -q ":pids:$CGROUP_PATH\$" "/proc/$pid/cgroup"
    grep -q ":freezer:$CGROUP_PATH\$" "/proc/$pid/cgroup"
    grep -q ":devices:$CGROUP_PATH\$" "/proc/$pid/cgroup"
    grep -q "^0::$CGROUP_PATH\$" "/proc/$pid/cgroup"
    grep -qx "$pid" "/sys/fs/cgroup/memory$CGROUP_PATH/cgroup.procs"
    grep -qx "$pid" "/sys/fs/cgroup/unified$CGROUP_PATH/cgroup.procs"
    rt start "$ID"
    rt kill "$ID" KILL
    wait_for_status "$ID" stopped
    rt delete "$ID"
    for h in memory pids freezer devices cpu unified; do
        [ ! -e "/sys/fs/cgroup/$h$CGROUP_PATH" ]
    done
    assert_nothing_left "$ID"
}

@test "hybrid host: resources are written to the v1 controllers" {
    is_hybrid || skip "the host is not a hybrid cgroup host"
    config 'linux.resources.memory={"limit":67108864}' 'linux.resources.pids={"limit":42}' \
        'linux.resources.cpu={"shares":512}'
    set_cmd 'sleep 100'
    rt create --bundle "$BUNDLE" "$ID"
    [ "$(cat "/sys/fs/cgroup/memory$CGROUP_PATH/memory.limit_in_bytes")" = 67108864 ]
    [ "$(cat "/sys/fs/cgroup/pids$CGROUP_PATH/pids.max")" = 42 ]
    [ "$(cat "/sys/fs/cgroup/cpu$CGROUP_PATH/cpu.shares")" = 512 ]
}

@test "update -r with some limits keeps the others: the recorded resources are merged, as runc merges them" {
    is_hybrid || skip "the host is not a hybrid cgroup host"
    config 'linux.resources.memory={"limit":67108864}' 'linux.resources.pids={"limit":42}'
    set_cmd 'sleep 100'
    rt create --bundle "$BUNDLE" "$ID"
    echo '{"pids":{"limit":50}}' >"$TEST_DIR/r.json"
    rt update -r "$TEST_DIR/r.json" "$ID"
    rt update --cpu-share 256 "$ID"
    [ "$(cat "/sys/fs/cgroup/pids$CGROUP_PATH/pids.max")" = 50 ]
    [ "$(cat "/sys/fs/cgroup/cpu$CGROUP_PATH/cpu.shares")" = 256 ]
    [ "$(cat "/sys/fs/cgroup/memory$CGROUP_PATH/memory.limit_in_bytes")" = 67108864 ]
    runtime_is_runc && { rt delete --force "$ID"; return; }
    # The record (what checkpoint/restore and later updates start from) keeps the memory limit.
    python3 - "$ROOT/$ID/config.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["linux"]["resources"]
assert r["memory"]["limit"] == 67108864 and r["pids"]["limit"] == 50 and r["cpu"]["shares"] == 256, r
PY
    rt delete --force "$ID"
}

@test "hybrid host with a tmpfs over the cgroup2 tree: cgroup2 is told by its magic, v1 limits work" {
    is_hybrid || skip "needs the hybrid layout"
    config 'linux.resources.memory={"limit":67108864}' 'process.args=["cat","/sys/fs/cgroup/memory/memory.limit_in_bytes"]'
    run unshare -m --propagation private sh -c 'mount -t tmpfs none /sys/fs/cgroup/unified && exec "$@"' x \
        "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$output" = 67108864 ]
}

@test "the pids limit is enforced inside the container" {
    config 'linux.resources.pids={"limit":5}'
    set_cmd 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; echo started; ps -o pid | wc -l'
    run rt run --bundle "$BUNDLE" "$ID"
    grep -qi 'resource temporarily unavailable\|can.t fork' <<<"$output"
}

@test "hybrid host: the container sees its cgroups through a cgroup namespace" {
    is_hybrid || skip "the host is not a hybrid cgroup host"
    config 'linux.namespaces+={"type":"cgroup"}'
    set_cmd 'cat /proc/self/cgroup; ls /sys/fs/cgroup'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    grep -qx '[0-9]*:memory:/' <<<"$output"
    grep -qx '[0-9]*:pids:/' <<<"$output"
    grep -qx memory <<<"$output"
    grep -qx pids <<<"$output"
}

@test "pure cgroup2: born in cgroupsPath, running, removed on delete" {
    set_cmd 'sleep 100'
    cat > "$TEST_DIR/v2.sh" <<SCRIPT
set -e
r() { "$RUNTIME" --root "$ROOT" "\$@"; }
r create --bundle "$BUNDLE" "$ID"
pid=\$(r state "$ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
echo "pid=\$pid"
echo "cgroup=\$(grep ^0:: /proc/\$pid/cgroup)"
r start "$ID"
echo "status=\$(r state "$ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')"
echo "procs=\$(cat /sys/fs/cgroup$CGROUP_PATH/cgroup.procs)"
r kill "$ID" KILL
for i in \$(seq 100); do kill -0 \$pid 2>/dev/null || break; sleep 0.05; done
r delete "$ID"
[ -e /sys/fs/cgroup$CGROUP_PATH ] && echo left || echo removed
rmdir /sys/fs/cgroup/$CGROUP_PARENT 2>/dev/null || true
SCRIPT
    run in_cgroup2 sh "$TEST_DIR/v2.sh"
    echo "$output"
    [ "$status" -eq 0 ]
    pid=${lines[0]#pid=}
    [ "${lines[1]}" = "cgroup=0::$CGROUP_PATH" ]
    [ "${lines[2]}" = "status=running" ]
    [ "${lines[3]}" = "procs=$pid" ]
    [ "${lines[4]}" = removed ]
}

@test "pure cgroup2 view of this host: a memory limit the tree cannot apply fails create" {
    # The host binds memory to its v1 hierarchy, so the cgroup2 tree has no memory controller:
    # the runtime cannot create the environment config.json asks for and MUST fail.
    ! grep -qw memory /sys/fs/cgroup/unified/cgroup.controllers || skip "cgroup2 has a memory controller here"
    config 'linux.resources.memory={"limit":67108864}'
    run in_cgroup2 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
    assert_failed 'memory'
    [ -z "$(ls -A "$ROOT" 2>/dev/null)" ]
    # The cgroup2 tree of the view is the host's /sys/fs/cgroup/unified.
    [ ! -e "/sys/fs/cgroup/unified$CGROUP_PATH" ]
}

@test "pure cgroup2: the container mounts cgroup2 and sees its own cgroup as /" {
    config 'linux.namespaces+={"type":"cgroup"}'
    set_cmd 'grep ^0:: /proc/self/cgroup; awk "\$5 == \"/sys/fs/cgroup\"" /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1'
    run in_cgroup2 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "0::/" ]
    [ "${lines[1]}" = cgroup2 ]
}

@test "a cgroupsPath with .. is refused and leaves nothing behind" {
    config 'linux.cgroupsPath="/a/../../etc"'
    # A created container holds its stdio until start: keep it off bats' output pipe.
    status=0
    rt create --bundle "$BUNDLE" "$ID" >"$TEST_DIR/out" 2>&1 </dev/null || status=$?
    output=$(cat "$TEST_DIR/out")
    # runc cleans the path into its cgroup root; either refusing or staying inside is safe.
    if [ "$status" -ne 0 ]; then
        assert_failed 'cgroupsPath|\.\.'
        assert_nothing_left "$ID"
    fi
    [ ! -e /sys/fs/cgroup/memory/../etc ]
    [ ! -e /sys/fs/etc ]
}

@test "ps: json is the container's pids; the table is ps output filtered to them, args passed verbatim" {
    set_cmd 'sleep 100 & sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID"
    init=$(state_field "$ID" pid)
    for i in $(seq 50); do [ "$(rt ps --format json "$ID" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] && break; sleep 0.1; done
    run rt ps --format json "$ID"
    [ "$status" -eq 0 ]
    python3 -c 'import json,sys; pids=json.loads(sys.argv[1]); assert len(pids) == 2 and int(sys.argv[2]) in pids, pids' "$output" "$init"
    run rt ps "$ID" -o "pid,args=it's args"
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == *"it's"* ]]
    [ "${#lines[@]}" -eq 3 ]
    [[ "$output" == *"sleep 100"* ]]
    [[ "$output" != *"bats"* ]]
}

@test "hybrid host: the v1 devices controller denies a listed but not allowed device; defaults work under deny-all" {
    is_hybrid || skip "the host is not a hybrid cgroup host"
    config 'linux.devices=[{"path":"/dev/kmsg","type":"c","major":1,"minor":11},{"path":"/dev/hullmem","type":"c","major":1,"minor":1}]' \
        'linux.resources.devices=[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":11,"access":"w"}]'
    set_cmd 'for d in /dev/null /dev/zero /dev/kmsg /dev/hullmem; do if err=$( (exec 3>"$d") 2>&1); then echo "$d open"; else echo "$d denied: $err"; fi; done
        cat /sys/fs/cgroup/devices/devices.list'
    run rt run --bundle "$BUNDLE" "$ID"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "/dev/null open" ]
    [ "${lines[1]}" = "/dev/zero open" ]
    [ "${lines[2]}" = "/dev/kmsg open" ]
    [[ "${lines[3]}" == "/dev/hullmem denied: "*"Operation not permitted"* ]]
    grep -qx 'c 1:11 w' <<<"$output"
    ! grep -qx 'a \*:\* rwm' <<<"$output"
}

@test "hybrid host: a config without device rules still gets deny-all plus the defaults" {
    is_hybrid || skip "the host is not a hybrid cgroup host"
    config '@c["linux"]["resources"].pop("devices", None)' 'linux.devices=[{"path":"/dev/hullmem","type":"c","major":1,"minor":1}]'
    set_cmd '(exec 3>/dev/hullmem) 2>&1; echo x >/dev/null && echo null-ok'
    run rt run --bundle "$BUNDLE" "$ID"
    echo "$output"
    [[ "${lines[0]}" == *"Operation not permitted"* ]]
    [ "${lines[1]}" = null-ok ]
}

# v1_list_is allow|deny: devices.list is exactly deny-all plus the defaults (and kmsg rw for allow).
v1_list_is() {
    local expected='b *:* m
c *:* m
c 1:3 rwm
c 1:5 rwm
c 1:7 rwm
c 1:8 rwm
c 1:9 rwm
c 10:200 rwm
c 136:* rwm
c 5:0 rwm
c 5:2 rwm'
    [ "$1" = deny ] || expected=$(printf '%s\nc 1:11 rw' "$expected")
    diff <(sort <<<"$expected") <(sort "/sys/fs/cgroup/devices$CGROUP_PATH/devices.list")
}

@test "hybrid host: update moves the v1 device rules without a deny-all moment; devices.list is the target after" {
    is_hybrid || skip "the host is not a hybrid cgroup host"
    no_deny_all_window v1_list_is
}

@test "device access letters other than r, w, m are ignored with a warning, as runc ignores them (rwa is rw); none of them is refused" {
    is_hybrid || skip "the host is not a hybrid cgroup host"
    config 'linux.devices=[{"path":"/dev/kmsg","type":"c","major":1,"minor":11}]' \
        'linux.resources.devices=[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":11,"access":"rwa"}]'
    set_cmd 'sleep 100'
    rt run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$TEST_DIR/err"
    cat "$TEST_DIR/err"
    list=/sys/fs/cgroup/devices$CGROUP_PATH/devices.list
    grep -qx 'c 1:11 rw' "$list"
    runtime_is_runc && return  # runc says nothing; its update ignores device rules
    [[ "$(cat "$TEST_DIR/err")" == *'linux.resources.devices[1].access "rwa": only the letters r, w, m'*'ignored'* ]]
    echo '{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":11,"access":"wa"}]}' >"$TEST_DIR/r.json"
    rt update -r "$TEST_DIR/r.json" "$ID"
    grep -qx 'c 1:11 w' "$list"
    echo '{"devices":[{"allow":true,"type":"c","major":1,"minor":11,"access":"a"}]}' >"$TEST_DIR/bad.json"
    run rt update -r "$TEST_DIR/bad.json" "$ID"
    assert_failed 'devices\[0\]\.access: invalid access "a" \(none of the letters r, w, m\)'
    grep -qx 'c 1:11 w' "$list"
}

# bad_resources EDIT REGEX: create with EDIT fails with a message matching REGEX and leaves nothing.
bad_resources() {
    cp "$(template_bundle)/config.json" "$BUNDLE/config.json"
    config "linux.cgroupsPath=\"$CGROUP_PATH\"" "$1"
    status=0
    rt create --bundle "$BUNDLE" "$ID" >"$TEST_DIR/out" 2>&1 </dev/null || status=$?
    output=$(cat "$TEST_DIR/out")
    echo "$1 -> $output"
    assert_failed "$2"
    assert_nothing_left "$ID"
}

@test "negative or absurd resource values are refused by field and leave nothing" {
    bad_resources 'linux.resources.memory={"limit":-5}' 'memory.limit: -5 is negative'
    bad_resources 'linux.resources.pids={"limit":-7}' 'pids.limit'
    bad_resources 'linux.resources.cpu={"period":10,"quota":5}' 'cpu.period: 10 is out of range'
    bad_resources 'linux.resources.cpu={"quota":999999999999,"period":100000000}' 'cpu.period'
    bad_resources 'linux.resources.cpu={"shares":123456789}' 'cpu.shares'
    bad_resources 'linux.resources.blockIO={"weight":5000}' 'blockIO.weight'
    bad_resources 'linux.resources.hugepageLimits=[{"pageSize":"../../../etc/x","limit":1}]' 'pageSize'
    # runc 1.1.5 takes the size as the file infix too: "2mb" has no file (hugetlb.2mb.max: ENOENT)
    bad_resources 'linux.resources.hugepageLimits=[{"pageSize":"2mb","limit":2097152}]' 'hugepageLimits\[0\]\.pageSize: "2mb"'
    bad_resources 'linux.resources.devices=[{"allow":true,"type":"c","major":70000,"minor":1,"access":"r"}]' 'devices\[0\]\.major'
}

@test "unknown unified keys and controllers the host lacks are clear errors and leave nothing" {
    bad_resources 'linux.resources.unified={"memory.bogus":"1"}' 'unified'
    bad_resources 'linux.resources.unified={"../x.max":"1"}' 'unified'
    if ! grep -qw rdma /proc/self/mountinfo; then
        bad_resources 'linux.resources.rdma={"mlx5_0":{"hcaHandles":3}}' 'rdma'
    fi
}

@test "--systemd-cgroup where systemd is not running fails naming the flag, with no fallback and nothing left" {
    [ ! -d /run/systemd/system ] || skip "systemd runs here"
    config 'linux.cgroupsPath="machine.slice:hull:'"$ID"'"'
    run "$RUNTIME" --systemd-cgroup --root "$ROOT" run --bundle "$BUNDLE" "$ID"
    assert_failed '--systemd-cgroup: systemd is not running.*/run/systemd/system'
    assert_nothing_left "$ID"
    [ ! -e /sys/fs/cgroup/unified/machine.slice/hull-"$ID".scope ]
    [ ! -e /sys/fs/cgroup/memory/machine.slice/hull-"$ID".scope ]
}

@test "--systemd-cgroup: a cgroupsPath not of the form slice:prefix:name is refused before anything else" {
    for path in "/$CGROUP_PARENT/$ID" "machine.slice:$ID" "machine:hull:$ID" "machine.slice:hull:../$ID" "a--b.slice:hull:$ID" "machine.slice::$ID"; do
        config "linux.cgroupsPath=\"$path\""
        run "$RUNTIME" --systemd-cgroup --root "$ROOT" run --bundle "$BUNDLE" "$ID"
        echo "$path -> $output"
        assert_failed "linux.cgroupsPath \"[^\"]*\": "
        ! grep -q 'systemd is not running' <<<"$output"
        assert_nothing_left "$ID"
    done
}

@test "a slice:prefix:name cgroupsPath without --systemd-cgroup is refused" {
    config "linux.cgroupsPath=\"machine.slice:hull:$ID\""
    run rt run --bundle "$BUNDLE" "$ID"
    assert_failed 'needs --systemd-cgroup'
    assert_nothing_left "$ID"
}

@test "create into a frozen cgroup is refused at once (no hang), leaving nothing" {
    frozen=/sys/fs/cgroup/freezer/rt-bats-frozen-$$
    [ -d /sys/fs/cgroup/freezer ] || skip "no v1 freezer here (the cgroup v2 lane covers cgroup.freeze)"
    mkdir -p "$frozen"
    echo FROZEN > "$frozen/freezer.state"
    config "linux.cgroupsPath=\"/${frozen##*/}/$ID\""
    run timeout -k 5 20 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
    echo THAWED > "$frozen/freezer.state"
    [ "$status" -ne 124 ] || { echo "hung"; false; }
    assert_failed 'cannot create container in a frozen cgroup'
    [ ! -e "$frozen/$ID" ]
    rmdir "$frozen" /sys/fs/cgroup/*/"${frozen##*/}" /sys/fs/cgroup/unified/"${frozen##*/}" 2>/dev/null || true
    [ ! -e "$frozen" ]
    assert_nothing_left "$ID"
}

@test "hybrid host: delete --force removes the cgroups the container made below its own, and their processes" {
    [ -d /sys/fs/cgroup/memory ] || skip "needs the v1 memory controller"
    set_cmd 'sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID"
    rt exec --detach "$ID" sleep 200
    init=$(state_field "$ID" pid)
    sleeper=$(grep -vx "$init" "/sys/fs/cgroup/memory$CGROUP_PATH/cgroup.procs" | head -1)
    [ -n "$sleeper" ]
    CLEANUP_PIDS+=("$sleeper")
    mkdir -p "/sys/fs/cgroup/memory$CGROUP_PATH/sub/deeper" "/sys/fs/cgroup/pids$CGROUP_PATH/sub"
    echo "$sleeper" > "/sys/fs/cgroup/memory$CGROUP_PATH/sub/deeper/cgroup.procs"
    rt delete --force "$ID"
    [ ! -e "/sys/fs/cgroup/memory$CGROUP_PATH" ]
    [ ! -e "/sys/fs/cgroup/pids$CGROUP_PATH" ]
    ! kill -0 "$sleeper" 2>/dev/null
    assert_nothing_left "$ID"
}

@test "hybrid host: a v1 cpuset cgroup under a pod cgroup without cpus/mems gets them from above, as runc's" {
    [ -d /sys/fs/cgroup/cpuset ] || skip "needs the v1 cpuset controller"
    # A pod cgroup with its cpus and mems emptied.
    own_parent_cgroup cpuset
    echo > "$POD/cpuset.cpus"
    echo > "$POD/cpuset.mems"
    [ -z "$(cat "$POD/cpuset.cpus")" ]
    set_cmd 'echo ran'
    run rt run --bundle "$BUNDLE" "$ID"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$output" = ran ]
    [ "$(cat "$POD/cpuset.cpus")" = "$(cat /sys/fs/cgroup/cpuset/cpuset.cpus)" ]
}

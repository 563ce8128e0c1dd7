#!/usr/bin/env bats
# Lane 2: cgroups in a pure cgroup2 view. scripts/test.sh runs this file inside a private mount
# namespace where /sys/fs/cgroup is a cgroup2 mount (on this host: the same tree as
# /sys/fs/cgroup/unified, whose only controller is hugetlb; memory, cpu and pids are bound to v1).
# Run by hand:
#   unshare -m --propagation private sh -c 'umount -l /sys/fs/cgroup &&
#       mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' x tests/integration/run.sh cgroups-v2.bats
load helpers

eval "helpers_$(declare -f setup)"
eval "helpers_$(declare -f teardown)"

setup() {
    [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || skip "needs /sys/fs/cgroup to be a pure cgroup2 mount (see the header)"
    helpers_setup
    CG=/sys/fs/cgroup$CGROUP_PATH
}

teardown() {
    [ -n "${TEST_DIR:-}" ] || return 0
    local id d
    for id in $(rt list -q 2>/dev/null); do rt delete --force "$id" >/dev/null 2>&1 || true; done
    # cgroups a test made for itself: /cgv2-$ID/...
    for d in $(find "/sys/fs/cgroup/cgv2-$ID" -depth -type d 2>/dev/null); do rmdir "$d" 2>/dev/null || true; done
    helpers_teardown
}

# create_detached: `rt create` with stdio off bats' pipes (a created container holds them).
create_detached() {
    rt create --bundle "$BUNDLE" "$ID" >"$TEST_DIR/create.out" 2>&1 </dev/null || {
        cat "$TEST_DIR/create.out"
        return 1
    }
}

@test "v2: the container cgroup is cgroupsPath, cgroup.procs holds the init pid, delete removes it" {
    set_cmd 'sleep 100'
    create_detached
    pid=$(state_field "$ID" pid)
    [ -d "$CG" ]
    grep -qx "0::$CGROUP_PATH" "/proc/$pid/cgroup"
    [ "$(cat "$CG/cgroup.procs")" = "$pid" ]
    rt start "$ID"
    [ "$(state_field "$ID" status)" = running ]
    rt kill "$ID" KILL
    wait_for_status "$ID" stopped
    rt delete "$ID"
    [ ! -e "$CG" ]
    assert_nothing_left "$ID"
}

@test "v2: pause and resume write cgroup.freeze and the kernel reports the cgroup frozen" {
    set_cmd 'while :; do sleep 0.1; done'
    create_detached
    rt start "$ID"
    rt pause "$ID"
    [ "$(cat "$CG/cgroup.freeze")" = 1 ]
    grep -qx 'frozen 1' "$CG/cgroup.events"
    [ "$(state_field "$ID" status)" = paused ]
    rt resume "$ID"
    [ "$(cat "$CG/cgroup.freeze")" = 0 ]
    grep -qx 'frozen 0' "$CG/cgroup.events"
    [ "$(state_field "$ID" status)" = running ]
}

@test "v2: kill --all KILL empties the cgroup (cgroup.kill), even without a pid namespace" {
    # Without a pid namespace the children outlive their parent: only a cgroup-wide kill gets them.
    set_namespaces mount
    config '@c.pop("hostname", None)'
    set_cmd 'sleep 100 & sleep 100 & sleep 100 & wait'
    create_detached
    rt start "$ID"
    for i in $(seq 50); do [ "$(wc -l <"$CG/cgroup.procs")" -ge 4 ] && break; sleep 0.05; done
    [ "$(wc -l <"$CG/cgroup.procs")" -ge 4 ]
    pids=$(cat "$CG/cgroup.procs")
    rt kill --all "$ID" KILL
    for i in $(seq 100); do [ -z "$(cat "$CG/cgroup.procs")" ] && break; sleep 0.05; done
    [ -z "$(cat "$CG/cgroup.procs")" ]
    for pid in $pids; do ! kill -0 "$pid" 2>/dev/null; done
    grep -qx 'populated 0' "$CG/cgroup.events"
}

# $device_probe, run with nodes as "$@": prints "NODE open" or "NODE denied: <error>" for a
# write-only open (kmsg needs no capability for that, and nothing is written).
device_probe='for d in "$@"; do if err=$( (exec 3>"$d") 2>&1); then echo "$d open"; else echo "$d denied: $err"; fi; done'

@test "v2: the eBPF device filter denies a listed but not allowed device, allows an allowed one and the defaults" {
    # /dev/kmsg (c 1:11) and /dev/hullmem (c 1:1, /dev/mem's numbers) are created from
    # linux.devices; the rules allow kmsg for writing only, after podman's deny-all.
    config 'linux.devices=[{"path":"/dev/kmsg","type":"c","major":1,"minor":11},{"path":"/dev/hullmem","type":"c","major":1,"minor":1}]' \
        'linux.resources.devices=[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":11,"access":"w"}]' \
        '@[c["process"]["capabilities"][s].append("CAP_MKNOD") for s in ("bounding", "effective", "permitted")]'
    set_cmd "set -- /dev/null /dev/zero /dev/full /dev/kmsg /dev/hullmem; $device_probe"'
        head -c 3 /dev/zero | wc -c; (exec 3</dev/kmsg) 2>&1 | grep -o "Operation not permitted"
        mknod /tmp/mem2 c 1 1 && echo mknod-ok; (exec 3</tmp/mem2) 2>&1 | grep -o "Operation not permitted"'
    run rt run --bundle "$BUNDLE" "$ID"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "/dev/null open" ]
    [ "${lines[1]}" = "/dev/zero open" ]
    [ "${lines[2]}" = "/dev/full open" ]
    [ "${lines[3]}" = "/dev/kmsg open" ]                   # allowed for w
    [[ "${lines[4]}" == "/dev/hullmem denied: "*"Operation not permitted"* ]]
    [ "${lines[5]}" = 3 ]
    [ "${lines[6]}" = "Operation not permitted" ]          # kmsg is not allowed for r
    [ "${lines[7]}" = mknod-ok ]                           # mknod of any node is a default
    [ "${lines[8]}" = "Operation not permitted" ]          # but opening it is not
}

@test "v2: with only podman's deny-all rule the standard devices work and others are denied" {
    config 'linux.devices=[{"path":"/dev/kmsg","type":"c","major":1,"minor":11}]' \
        'linux.resources.devices=[{"allow":false,"access":"rwm"}]'
    set_cmd "set -- /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/ptmx /dev/kmsg; $device_probe; echo x >/dev/null && echo null-ok"
    run rt run --bundle "$BUNDLE" "$ID"
    echo "$output"
    [ "$status" -eq 0 ]
    for i in 0 1 2 3 4 5; do [[ "${lines[$i]}" == *" open" ]]; done
    [[ "${lines[6]}" == "/dev/kmsg denied: "*"Operation not permitted"* ]]
    [ "${lines[7]}" = null-ok ]
}

@test "v2: update replaces the device program (the old one is detached)" {
    config 'linux.devices=[{"path":"/dev/kmsg","type":"c","major":1,"minor":11}]' \
        'linux.resources.devices=[{"allow":false,"access":"rwm"}]'
    set_cmd 'sleep 100'
    create_detached
    rt start "$ID"
    probe() { rt exec "$ID" sh -c "set -- /dev/kmsg; $device_probe" </dev/null; }
    run probe
    [[ "$output" == "/dev/kmsg denied: "*"Operation not permitted"* ]]
    # Allowing only works if the old deny program is gone: attached programs must all allow.
    echo '{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":11,"access":"w"}]}' >"$TEST_DIR/allow.json"
    rt update --resources "$TEST_DIR/allow.json" "$ID"
    run probe
    [ "$output" = "/dev/kmsg open" ]
    echo '{"devices":[{"allow":false,"access":"rwm"}]}' >"$TEST_DIR/deny.json"
    rt update --resources "$TEST_DIR/deny.json" "$ID"
    run probe
    [[ "$output" == "/dev/kmsg denied: "*"Operation not permitted"* ]]
    # an update without device rules keeps the filter
    echo '{}' >"$TEST_DIR/none.json"
    rt update --resources "$TEST_DIR/none.json" "$ID"
    run probe
    [[ "$output" == "/dev/kmsg denied: "*"Operation not permitted"* ]]
}

# kmsg_is allow|deny: whether the container may open /dev/kmsg for writing.
kmsg_is() {
    run rt exec "$ID" sh -c "set -- /dev/kmsg; $device_probe" </dev/null
    if [ "$1" = allow ]; then [ "$output" = "/dev/kmsg open" ]; else [[ "$output" == "/dev/kmsg denied: "*"Operation not permitted"* ]]; fi
}

@test "v2: update attaches the new device program before detaching the old: no deny-all moment" {
    no_deny_all_window kmsg_is
}

@test "v2: delete removes the nested parents hull created, and keeps those it found" {
    # A top-level parent of our own: other suites' teardowns sweep empty cgroups under rt-bats.
    top=cgv2-$ID
    parent=/sys/fs/cgroup/$top
    mkdir -p "$parent/kept"
    config "linux.cgroupsPath=\"/$top/made/a/b/c\""
    set_cmd 'true'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ ! -e "$parent/made" ]
    [ -d "$parent/kept" ]
    config "linux.cgroupsPath=\"/$top/kept/a/c\""
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ ! -e "$parent/kept/a" ]
    [ -d "$parent/kept" ]
    # a parent another cgroup moved into meanwhile stays
    config "linux.cgroupsPath=\"/$top/shared/c\""
    set_cmd 'sleep 100'
    create_detached
    mkdir "$parent/shared/other"
    rt delete --force "$ID"
    [ ! -e "$parent/shared/c" ]
    [ -d "$parent/shared/other" ]
    assert_nothing_left "$ID"
}

@test "v2: limits for controllers this view lacks fail create clearly and leave nothing" {
    ! grep -qw memory /sys/fs/cgroup/cgroup.controllers || skip "this cgroup2 tree has a memory controller"
    for edit in 'linux.resources.memory={"limit":67108864}' 'linux.resources.pids={"limit":10}' \
        'linux.resources.cpu={"quota":50000,"period":100000}' 'linux.resources.unified={"memory.high":"100000000"}'; do
        cp "$(template_bundle)/config.json" "$BUNDLE/config.json"
        config "linux.cgroupsPath=\"$CGROUP_PATH\"" "$edit"
        run rt run --bundle "$BUNDLE" "$ID"
        echo "$edit -> $output"
        assert_failed 'controller is not available|not a file of an enabled controller'
        assert_nothing_left "$ID"
        [ ! -e "$CG" ]
    done
}

@test "v2: an unknown unified key and a refused one are errors naming the key; nothing left" {
    config 'linux.resources.unified={"hugetlb.bogus":"1"}'
    run rt run --bundle "$BUNDLE" "$ID"
    assert_failed 'unified\["hugetlb.bogus"\].*does not exist'
    assert_nothing_left "$ID"
    config 'linux.resources.unified={"cgroup.procs":"1"}'
    run rt run --bundle "$BUNDLE" "$ID"
    assert_failed 'unified\["cgroup.procs"\]'
    assert_nothing_left "$ID"
}

@test "v2: a hugetlb limit (the controller this view has) is written to hugetlb.<size>.max" {
    grep -qw hugetlb /sys/fs/cgroup/cgroup.controllers || skip "no hugetlb controller"
    size=$(ls /sys/kernel/mm/hugepages 2>/dev/null | sed -n 's/hugepages-\([0-9]*\)kB/\1/p' | head -1)
    [ -n "$size" ] || skip "no huge page sizes"
    if [ "$size" -ge 1048576 ]; then name=$((size / 1048576))GB; elif [ "$size" -ge 1024 ]; then name=$((size / 1024))MB; else name=${size}KB; fi
    config "linux.resources.hugepageLimits=[{\"pageSize\":\"$name\",\"limit\":$((size * 1024 * 4))}]"
    set_cmd 'sleep 100'
    create_detached
    [ "$(cat "$CG/hugetlb.$name.max")" = $((size * 1024 * 4)) ]
}

@test "v2: what cgroup v2 cannot apply is refused at create, naming the field, nothing left" {
    local edit regex
    while IFS='|' read -r edit regex; do
        cp "$(template_bundle)/config.json" "$BUNDLE/config.json"
        config "linux.cgroupsPath=\"$CGROUP_PATH\"" "$edit"
        run rt create --bundle "$BUNDLE" "$ID"
        assert_failed "$regex"
        [ "$(grep -c . <<<"$output")" -eq 1 ]
        assert_nothing_left "$ID"
    done <<'EDITS'
linux.resources.memory={"swappiness":10}|linux\.resources\.memory\.swappiness: cgroup v2 has no per-cgroup swappiness
linux.resources.memory={"kernelTCP":1048576}|linux\.resources\.memory\.kernelTCP: cgroup v2 has no separate TCP memory limit
linux.resources.network={"classID":1048577}|linux\.resources\.network\.classID: cgroup v2 has no net_cls
linux.resources.network={"priorities":[{"name":"eth0","priority":5}]}|linux\.resources\.network\.priorities: cgroup v2
linux.resources.memory={"useHierarchy":false}|linux\.resources\.memory\.useHierarchy: cgroup v2 is always hierarchical
linux.resources.blockIO={"weightDevice":[{"major":8,"minor":0,"leafWeight":100}]}|blockIO\.weightDevice\[0\]\.leafWeight: cgroup v2 has no leaf weight
EDITS
}

#!/usr/bin/env bats
load helpers

# Runs a command in a private mount namespace whose /sys/fs/cgroup is a pure cgroup2 mount.
in_cgroup2() {
    unshare -m --propagation private sh -c 'umount -l /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' x "$@"
}

@test "hybrid host: the process is born in its cgroup in every hierarchy, delete removes it" {
    [ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] || skip "host is not hybrid/v1"
    set_cmd 'sleep 100'
    config "linux.cgroupsPath=\"/hull-test/$ID\""
    hull create --bundle "$BUNDLE" "$ID"
    pid=$(state_field "$ID" pid)
    grep -q ":memory:/hull-test/$ID\$" /proc/$pid/cgroup
    grep -q ":pids:/hull-test/$ID\$" /proc/$pid/cgroup
    grep -q ":freezer:/hull-test/$ID\$" /proc/$pid/cgroup
    grep -q "^0::/hull-test/$ID\$" /proc/$pid/cgroup
    [ -d "/sys/fs/cgroup/memory/hull-test/$ID" ]
    # The container sees its own cgroup as the root of its cgroup namespace.
    hull start "$ID"
    hull delete --force "$ID"
    [ ! -e "/sys/fs/cgroup/memory/hull-test/$ID" ]
    [ ! -e "/sys/fs/cgroup/unified/hull-test/$ID" ]
    [ ! -e "/sys/fs/cgroup/pids/hull-test/$ID" ]
    rmdir /sys/fs/cgroup/*/hull-test 2>/dev/null || true
}

@test "hybrid host: default cgroup path and the container's view of /sys/fs/cgroup" {
    set_cmd 'cat /proc/self/cgroup; ls /sys/fs/cgroup'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [[ "$output" == *"0::/"* ]]
    echo "$output" | grep -qx memory
    echo "$output" | grep -qx pids
    [ ! -e "/sys/fs/cgroup/memory/hull/$ID" ]
}

@test "a cgroupsPath with .. or the systemd form is refused, nothing left" {
    config 'linux.cgroupsPath="/a/../../etc"'
    run hull create --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *'linux.cgroupsPath: must not contain ".."'* ]]
    config 'linux.cgroupsPath="system.slice:hull:x"'
    run hull create --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"needs --systemd-cgroup"* ]]
    run hull --systemd-cgroup create --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"--systemd-cgroup"*"systemd"* ]]
    assert_nothing_left "$ID"
}

@test "pure cgroup2: born in its cgroup, cgroup namespace root, removed on delete" {
    set_cmd 'sleep 100'
    config "linux.cgroupsPath=\"/hull-v2test/$ID\""
    cat > "$TEST_DIR/v2.sh" <<SCRIPT
set -e
h() { "$HULL_BIN" --root "$ROOT" "\$@"; }
h create --bundle "$BUNDLE" "$ID"
pid=\$(h state "$ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
echo "cgroup=\$(grep ^0:: /proc/\$pid/cgroup)"
h start "$ID"
echo "procs=\$(cat /sys/fs/cgroup/hull-v2test/$ID/cgroup.procs)"
echo "pid=\$pid"
h delete --force "$ID"
[ -e /sys/fs/cgroup/hull-v2test/$ID ] && echo left || echo removed
rmdir /sys/fs/cgroup/hull-v2test
SCRIPT
    run in_cgroup2 sh "$TEST_DIR/v2.sh"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "cgroup=0::/hull-v2test/$ID" ]
    pid=${lines[2]#pid=}
    [ "${lines[1]}" = "procs=$pid" ]
    [ "${lines[3]}" = removed ]
}

@test "pure cgroup2: the container mounts cgroup2 and sees its own cgroup as /" {
    set_cmd 'grep ^0:: /proc/self/cgroup; grep " /sys/fs/cgroup " /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1'
    run in_cgroup2 "$HULL_BIN" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "0::/" ]
    [ "${lines[1]}" = cgroup2 ]
}

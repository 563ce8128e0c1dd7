#!/usr/bin/env bats
# Namespaces: new ones, joined ones, user and time namespaces, hostname, sysctl.
load helpers

@test "every configured namespace is new, and the process is pid 1" {
    set_namespaces pid mount network ipc uts cgroup
    set_cmd 'echo pid=$$; for n in pid mnt net ipc uts cgroup; do echo "$n $(readlink /proc/self/ns/$n)"; done'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "pid=1" ]
    for n in pid mnt net ipc uts cgroup; do
        inside=$(awk -v n="$n" '$1 == n {print $2}' <<<"$output")
        [[ "$inside" == "$n:["*"]" ]]
        [ "$inside" != "$(readlink /proc/self/ns/$n)" ]
    done
}

@test "a namespace left out of the config is the host's" {
    set_namespaces pid mount
    config '-hostname'
    set_cmd 'readlink /proc/self/ns/net; readlink /proc/self/ns/uts'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "$(readlink /proc/self/ns/net)" ]
    [ "${lines[1]}" = "$(readlink /proc/self/ns/uts)" ]
}

@test "hostname comes from the config" {
    config 'hostname="box1"'
    set_cmd 'hostname'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$output" = box1 ]
    [ "$(hostname)" != box1 ]
}

@test "domainname comes from the config" {
    skip_if_runc "runc 1.1.5 ignores config.md domainname (supported from runc 1.2)"
    config 'domainname="example.test"'
    set_cmd 'cat /proc/sys/kernel/domainname'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$output" = example.test ]
    [ "$(cat /proc/sys/kernel/domainname)" != example.test ]
}

@test "a hostname is set in a uts namespace joined by path" {
    unshare --uts sleep 100 &
    holder=$!
    CLEANUP_PIDS+=("$holder")
    for i in $(seq 50); do [ "$(readlink /proc/$holder/ns/uts)" != "$(readlink /proc/self/ns/uts)" ] && break; sleep 0.05; done
    config "@c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'uts'] + [{'type': 'uts', 'path': '/proc/$holder/ns/uts'}]"
    config 'hostname="joined-uts"'
    set_cmd 'hostname; readlink /proc/self/ns/uts'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = joined-uts ]
    [ "${lines[1]}" = "$(readlink /proc/$holder/ns/uts)" ]
    [ "$(hostname)" != joined-uts ]
}

@test "a hostname without a uts namespace is an error" {
    set_namespaces pid mount
    config 'hostname="x"'
    run rt run --bundle "$BUNDLE" "$ID"
    assert_failed 'hostname|uts'
    assert_nothing_left "$ID"
}

@test "a network namespace joined by path (ip netns) is the one the container uses" {
    ns=bats-$ID
    ip netns add "$ns"
    CLEANUP_NETNS+=("$ns")
    config "@c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network'] + [{'type': 'network', 'path': '/var/run/netns/$ns'}]"
    set_cmd 'readlink /proc/self/ns/net; echo pid=$$'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "net:[$(stat -Lc %i "/var/run/netns/$ns")]" ]
    [ "${lines[1]}" = pid=1 ]
}

@test "a network namespace joined through /proc/PID/ns/net of another process" {
    unshare --net sleep 100 &
    holder=$!
    CLEANUP_PIDS+=("$holder")
    for _ in $(seq 50); do
        [ "$(readlink /proc/$holder/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
        sleep 0.05
    done
    want=$(readlink /proc/$holder/ns/net)
    [ "$want" != "$(readlink /proc/self/ns/net)" ]
    config "@c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network'] + [{'type': 'network', 'path': '/proc/$holder/ns/net'}]"
    set_cmd 'readlink /proc/self/ns/net'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$output" = "$want" ]
}

@test "a pid namespace joined by path shares the other container's processes" {
    set_cmd 'sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID-a"
    pid=$(state_field "$ID-a" pid)
    config "linux.namespaces=[{\"type\":\"pid\",\"path\":\"/proc/$pid/ns/pid\"},{\"type\":\"mount\"}]" '-hostname' \
        "linux.cgroupsPath=\"/$CGROUP_PARENT/$ID-b\""
    set_cmd 'readlink /proc/self/ns/pid; ps -o pid,args | grep -c "[s]leep 100"'
    run rt run --bundle "$BUNDLE" "$ID-b"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "$(readlink /proc/$pid/ns/pid)" ]
    [ "${lines[1]}" -eq 1 ]
}

@test "joining a namespace path that is not a namespace fails" {
    touch "$TEST_DIR/notans"
    config "@c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network'] + [{'type': 'network', 'path': '$TEST_DIR/notans'}]"
    run rt run --bundle "$BUNDLE" "$ID"
    assert_failed 'notans|namespace|invalid argument'
    assert_nothing_left "$ID"
}

# Root in a user namespace mapped to host uid/gid 100000, a rootfs it owns.
userns_bundle() {
    set_namespaces pid mount network ipc uts user
    config 'linux.uidMappings=[{"containerID":0,"hostID":100000,"size":65536}]' \
        'linux.gidMappings=[{"containerID":0,"hostID":100000,"size":65536}]' \
        '-linux.resources'
    # A cgroup v1 mount needs a cgroup namespace owned by the user namespace: leave it out.
    drop_mount /sys/fs/cgroup
    chown -R 100000:100000 "$BUNDLE/rootfs"
}

@test "user namespace: a bind source the container's root cannot reach is opened by the runtime, as runc does" {
    userns_bundle
    # Only the host's root may enter private/: the container's root (uid 100000) may not.
    mkdir -p "$TEST_DIR/private/shared"
    chmod 0700 "$TEST_DIR/private"
    echo reached > "$TEST_DIR/private/shared/file"
    config "mounts+={\"destination\":\"/mnt\",\"type\":\"bind\",\"source\":\"$TEST_DIR/private/shared\",\"options\":[\"bind\",\"ro\"]}"
    set_cmd 'cat /mnt/file; touch /mnt/new 2>/dev/null || echo read-only'
    run rt run --bundle "$BUNDLE" "$ID"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = reached ]
    [ "${lines[1]}" = read-only ]
}

@test "user namespace: uid/gid maps and root inside" {
    userns_bundle
    set_cmd 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; stat -c %u /bin/busybox; readlink /proc/self/ns/user'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$(echo ${lines[0]})" = "0 100000 65536" ]
    [ "$(echo ${lines[1]})" = "0 100000 65536" ]
    [ "${lines[2]}" = 0 ]
    [ "${lines[3]}" = 0 ]
    [ "${lines[4]}" = 0 ]
    [ "${lines[5]}" != "$(readlink /proc/self/ns/user)" ]
}

@test "time namespace: timeOffsets shift the monotonic and boottime clocks" {
    skip_if_runc "runc 1.1.5 has no time namespace (config.md linux.timeOffsets; added in runc 1.2)"
    config 'linux.namespaces+={"type":"time"}' \
        'linux.timeOffsets={"monotonic":{"secs":86400,"nanosecs":0},"boottime":{"secs":172800,"nanosecs":0}}'
    set_cmd 'cut -d. -f1 /proc/uptime; readlink /proc/self/ns/time'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    host=$(cut -d. -f1 /proc/uptime)
    [ "${lines[0]}" -gt 86400 ]
    [ "${lines[0]}" -ge $((host + 172800 - 5)) ]
    [ "${lines[1]}" != "$(readlink /proc/self/ns/time)" ]
}

@test "sysctl is applied inside the container's namespaces only" {
    config 'linux.sysctl={"net.ipv4.ip_forward":"1","kernel.msgmax":"4242"}'
    set_cmd 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 1 ]
    [ "${lines[1]}" = 4242 ]
    [ "$(cat /proc/sys/kernel/msgmax)" != 4242 ]
}

@test "a sysctl of a namespace the container does not own is refused" {
    set_namespaces pid mount ipc uts
    config 'linux.sysctl={"net.ipv4.ip_forward":"1"}'
    before=$(cat /proc/sys/net/ipv4/ip_forward)
    run rt run --bundle "$BUNDLE" "$ID"
    assert_failed 'sysctl|net\.ipv4\.ip_forward|network'
    [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$before" ]
    assert_nothing_left "$ID"
}

@test "a user namespace joined by path, as root, with the default mounts: the init is root there" {
    unshare -U sleep 300 &
    local holder=$!
    CLEANUP_PIDS+=("$holder")
    for i in $(seq 50); do [ "$(readlink /proc/$holder/ns/user)" != "$(readlink /proc/self/ns/user)" ] && break; sleep 0.05; done
    echo "0 100000 65536" > "/proc/$holder/uid_map"
    echo "0 100000 65536" > "/proc/$holder/gid_map"
    chown -R 100000:100000 "$BUNDLE/rootfs"
    config "@c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'user'] + [{'type': 'user', 'path': '/proc/$holder/ns/user'}]" \
        -linux.uidMappings -linux.gidMappings
    set_cmd 'id -u; stat -c %u /dev/pts; cat /proc/self/uid_map'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 0 ]
    [ "${lines[1]}" = 0 ]
    [[ "${lines[2]}" =~ ^\ +0\ +100000\ +65536$ ]]
}

@test "no mount namespace in the config: the runtime's is inherited, the process is chrooted, delete unmounts what it made" {
    config "@c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'mount']"
    set_cmd 'readlink /proc/self/ns/mnt; ls /bin/busybox; stat -c %t:%T /dev/null; exec sleep 100'
    rt create --bundle "$BUNDLE" "$ID" >"$TEST_DIR/out" 2>&1 </dev/null
    rt start "$ID"
    wait_for_file "$TEST_DIR/out"
    sleep 0.2
    [ "$(sed -n 1p "$TEST_DIR/out")" = "$(readlink /proc/self/ns/mnt)" ]
    [ "$(sed -n 2p "$TEST_DIR/out")" = /bin/busybox ]
    [ "$(sed -n 3p "$TEST_DIR/out")" = 1:3 ]
    grep -q " $BUNDLE/rootfs/proc " /proc/self/mountinfo  # made in the runtime's namespace
    run rt exec "$ID" sh -c 'readlink /proc/self/ns/mnt; ls /bin/busybox'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "$(readlink /proc/self/ns/mnt)" ]
    [ "${lines[1]}" = /bin/busybox ]
    rt delete --force "$ID"
    ! grep -q " $BUNDLE/rootfs/" /proc/self/mountinfo
    assert_nothing_left "$ID"
}

@test "no mount namespace: a create that fails after the mounts takes them down" {
    config "@c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'mount']" 'hooks.createRuntime=[{"path":"/bin/false"}]'
    run rt create --bundle "$BUNDLE" "$ID"
    [ "$status" -ne 0 ]
    ! grep -q " $BUNDLE/rootfs/" /proc/self/mountinfo
    assert_nothing_left "$ID"
}

@test "a new network namespace has lo up and 127.0.0.1 reachable, as runc's" {
    set_namespaces pid mount network uts
    # (busybox nc -l quits when its stdin ends: the server's stays open; pid 1's exit ends it)
    set_cmd 'ip link show lo; sleep 30 | nc -l -p 5000 & for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.3; echo over-lo | nc 127.0.0.1 5000 && break; done; sleep 0.5'
    run timeout -k 5 20 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == *"<LOOPBACK,UP"* ]]
    [[ "$output" == *over-lo* ]]
}

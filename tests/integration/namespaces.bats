#!/usr/bin/env bats
load helpers

@test "every namespace of the config is new, and pid 1 is the process" {
    set_cmd 'echo pid=$$; for n in pid mnt net ipc uts cgroup; do echo "$n $(readlink /proc/self/ns/$n)"; done'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "pid=1" ]
    for n in pid mnt net ipc uts cgroup; do
        inside=$(printf '%s\n' "$output" | awk -v n="$n" '$1==n {print $2}')
        [ -n "$inside" ]
        [ "$inside" != "$(readlink /proc/self/ns/$n)" ]
    done
}

@test "hostname and domainname come from the config" {
    config 'hostname="box1"' 'domainname="example.test"'
    set_cmd 'hostname; cat /proc/sys/kernel/domainname'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = box1 ]
    [ "${lines[1]}" = example.test ]
}

@test "hostname without a new uts namespace is a config error" {
    config 'linux.namespaces=[{"type":"pid"},{"type":"mount"}]' 'hostname="x"'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"hostname: setting the hostname requires a new uts namespace"* ]]
}

@test "a network namespace joined by path is the one the container uses" {
    unshare --net sleep 100 &
    holder=$!
    sleep 0.2
    config "linux.namespaces=[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"uts\"},{\"type\":\"network\",\"path\":\"/proc/$holder/ns/net\"}]"
    set_cmd 'readlink /proc/self/ns/net; echo pid=$$'
    run hull run --bundle "$BUNDLE" "$ID"
    want=$(readlink /proc/$holder/ns/net)
    kill "$holder"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "$want" ]
    [ "${lines[1]}" = "pid=1" ]
}

@test "a pid namespace joined by path: the process joins the other container" {
    set_cmd 'sleep 100'
    hull run --detach --bundle "$BUNDLE" "$ID-a"
    pid=$(state_field "$ID-a" pid)
    config "linux.namespaces=[{\"type\":\"pid\",\"path\":\"/proc/$pid/ns/pid\"},{\"type\":\"mount\"}]" '-hostname'
    set_cmd 'readlink /proc/self/ns/pid; ps -o pid,args | grep -c "sleep 100"'
    run hull run --bundle "$BUNDLE" "$ID-b"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "$(readlink /proc/$pid/ns/pid)" ]
    [ "${lines[1]}" -ge 1 ]
}

@test "user namespace with uid/gid mappings" {
    config 'linux.namespaces+={"type":"user"}' \
        'linux.uidMappings=[{"containerID":0,"hostID":100000,"size":65536}]' \
        'linux.gidMappings=[{"containerID":0,"hostID":100000,"size":65536}]' \
        '-linux.resources' 'mounts.6.options=["rbind","nosuid","noexec","nodev","ro"]' 'mounts.6.type="none"' 'mounts.6.source="/sys"'
    chmod 755 "$TEST_DIR"
    chown -R 100000:100000 "$BUNDLE/rootfs"
    set_cmd 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; ls -ln /bin/busybox | awk "{print \$3}"'
    run hull run --bundle "$BUNDLE" "$ID"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(echo ${lines[0]})" = "0 100000 65536" ]
    [ "$(echo ${lines[1]})" = "0 100000 65536" ]
    [ "${lines[2]}" = 0 ]
    [ "${lines[3]}" = 0 ]
    [ "${lines[4]}" = 0 ]
}

@test "time namespace offsets shift the monotonic and boot clocks" {
    config 'linux.namespaces+={"type":"time"}' 'linux.timeOffsets={"monotonic":{"secs":86400,"nanosecs":0},"boottime":{"secs":172800,"nanosecs":0}}'
    set_cmd 'cut -d. -f1 /proc/uptime'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    host=$(cut -d. -f1 /proc/uptime)
    [ "$output" -ge $((host + 172800 - 5)) ]
}

@test "sysctl is applied inside the container's namespaces" {
    config 'linux.sysctl={"net.ipv4.ip_forward":"1","kernel.msgmax":"4242"}'
    set_cmd 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax'
    run hull run --bundle "$BUNDLE" "$ID"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 1 ]
    [ "${lines[1]}" = 4242 ]
    [ "$(cat /proc/sys/kernel/msgmax)" != 4242 ]
}

@test "an unknown namespace type and a duplicate namespace are config errors" {
    config 'linux.namespaces+={"type":"bogus"}'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *'linux.namespaces[6].type: invalid value "bogus"'* ]]
    config 'linux.namespaces.6={"type":"pid"}'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *'duplicate namespace "pid"'* ]]
    assert_nothing_left "$ID"
}

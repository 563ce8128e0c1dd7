#!/usr/bin/env bats
# linux.netDevices: a host interface (one end of a veth pair here; this kernel has no dummy) moved into the container's network
# namespace under its new name, and given back under its host name on delete, even after the
# container's process has exited.
load helpers

eval "helpers_$(declare -f setup)"
eval "helpers_$(declare -f teardown)"

setup() {
    helpers_setup
    DEV=hv$$$RANDOM
    DEV=${DEV:0:13}
    # A veth end dies with a namespace that ends: it comes back only if hull gives it back.
    ip link add "$DEV" type veth peer name "${DEV}p"
}

teardown() {
    helpers_teardown
    ip link del "$DEV" 2>/dev/null || true
}

@test "netDevices: moved in renamed, back under the host name on delete (also after the process exited)" {
    config "linux.netDevices={\"$DEV\":{\"name\":\"eth9\"}}"
    set_cmd 'ls /sys/class/net; exec sleep 100'
    rt create --bundle "$BUNDLE" "$ID" >/dev/null 2>&1 </dev/null
    ! ip link show "$DEV" 2>/dev/null
    pid=$(state_field "$ID" pid)
    nsenter -t "$pid" -n ip link show eth9
    rt start "$ID"
    rt kill "$ID" KILL
    wait_for_status "$ID" stopped
    rt delete "$ID"
    ip link show "$DEV"
    assert_nothing_left "$ID"
    # run: create, start, exit, delete in one.
    config "process.args=[\"ls\",\"/sys/class/net\"]"
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    grep -qx eth9 <<<"$output"
    ip link show "$DEV"
}

@test "netDevices: refused without the container's own network namespace, or for a missing device; nothing moved or left" {
    config "linux.netDevices={\"$DEV\":{}}" "@c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network']"
    run rt create --bundle "$BUNDLE" "$ID"
    assert_failed "linux\.netDevices\[\"$DEV\"\]: the container has no network namespace of its own"
    ip link show "$DEV"
    assert_nothing_left "$ID"
    config 'linux.netDevices={"nosuchdev0":{}}' 'linux.namespaces+={"type":"network"}'
    run rt create --bundle "$BUNDLE" "$ID"
    assert_failed 'linux\.netDevices\["nosuchdev0"\]: no such network interface'
    assert_nothing_left "$ID"
    config "linux.netDevices={\"$DEV\":{\"name\":\"bad/name\"}}"
    run rt create --bundle "$BUNDLE" "$ID"
    assert_failed 'name: "bad/name" is not an interface name'
}

@test "netDevices: a create that fails after the move gives the device back" {
    config "linux.netDevices={\"$DEV\":{\"name\":\"eth9\"}}" 'hooks.createRuntime=[{"path":"/bin/false"}]'
    run rt create --bundle "$BUNDLE" "$ID"
    [ "$status" -ne 0 ]
    ip link show "$DEV"
    assert_nothing_left "$ID"
}

#!/usr/bin/env bats
# hull-net, the CNI hook: bridge + host-local + portmap + firewall from containernetworking-plugins.
# Everything runs in a network namespace the test makes (hull, its hooks, the bridge, the
# iptables rules and the containers' namespaces hang off it); nothing reaches the host's network.
load helpers
# This file's setup wraps the helpers' one.
eval "helpers_setup() $(declare -f setup | tail -n +2)"

HULL_NET=${HULL_NET:-$(dirname "$HULL_BIN")/../../contrib/hull-net/hull-net}
CNI_PATH=${CNI_PATH:-/usr/lib/cni}
SUBNET_PREFIX=10.89.0

setup() {
    # A missing tool fails the suite by name (scripts/install-deps.sh installs them), never skips.
    [ -x "$CNI_PATH/bridge" ] || { echo "containernetworking-plugins is not installed ($CNI_PATH/bridge)" >&2; return 1; }
    command -v iptables-save >/dev/null || { echo "iptables is not installed (iptables-save)" >&2; return 1; }
    [ -x "$HULL_NET" ] || { echo "hull-net is not built ($HULL_NET)" >&2; return 1; }
    helpers_setup
    NETNS=hullnet-test-$$-${BATS_TEST_NUMBER}
    ip netns add "$NETNS"
    CLEANUP_NETNS+=("$NETNS")
    NETSTATE=$TEST_DIR/hull-net
    IPAM=$TEST_DIR/ipam
    CONF=$TEST_DIR/net.conflist
    write_conf "$(plugin_bridge)" '{"type":"portmap","capabilities":{"portMappings":true}}' '{"type":"firewall","backend":"iptables"}'
    config 'process.capabilities.bounding+="CAP_NET_RAW"' 'process.capabilities.effective+="CAP_NET_RAW"' \
        'process.capabilities.permitted+="CAP_NET_RAW"'
    use_hooks "$CONF"
}

# hull (and so its hooks) runs in the test's network namespace; the rest of the host is shared.
rt() { nsenter --net="/run/netns/$NETNS" "$RUNTIME" --root "$ROOT" "$@"; }
in_netns() { nsenter --net="/run/netns/$NETNS" "$@"; }

plugin_bridge() {
    echo '{"type":"bridge","bridge":"hull0","isGateway":true,"ipMasq":true,"hairpinMode":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"'$SUBNET_PREFIX'.0/24","gateway":"'$SUBNET_PREFIX'.1"}]],"routes":[{"dst":"0.0.0.0/0"}],"dataDir":"'"$IPAM"'"}}'
}

write_conf() {  # PLUGIN_JSON...
    local IFS=,
    echo "{\"cniVersion\":\"1.0.0\",\"name\":\"hullnet-test\",\"plugins\":[$*]}" > "$CONF"
}

use_hooks() {  # CONF
    config "hooks={\"createRuntime\":[{\"path\":\"$HULL_NET\",\"args\":[\"hull-net\",\"add\",\"--conf\",\"$1\",\"--cni-path\",\"$CNI_PATH\",\"--state-dir\",\"$NETSTATE\"]}],\"poststop\":[{\"path\":\"$HULL_NET\",\"args\":[\"hull-net\",\"del\",\"--state-dir\",\"$NETSTATE\"]}]}"
}

# The address hull-net recorded for a container (from the ADD result).
container_ip() {
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["result"]; print(r["ips"][0]["address"].split("/")[0])' \
        "$NETSTATE/$1/network.json"
}

# run rt create, its output in a file: if create wrongly succeeds, the waiting container must
# not hold bats' output pipe open.
try_create() {
    set_cmd 'sleep 100'
    status=0
    rt create --bundle "$BUNDLE" "$ID" >"$TEST_DIR/create.out" 2>&1 </dev/null || status=$?
    output=$(cat "$TEST_DIR/create.out")
}

start_container() {  # ID
    config "linux.cgroupsPath=\"/$CGROUP_PARENT/$1\""
    set_cmd 'sleep 100'
    rt create --bundle "$BUNDLE" "$1"
    rt start "$1"
}

# Nothing of the network is left: no veth, no IP reserved, no rule naming the containers or
# their addresses, no pinned namespace, no attachment record.
assert_network_clean() {  # ID/IP...
    local word links rules
    links=$(ip -n "$NETNS" -o link show type veth)
    if [ -n "$links" ]; then echo "veths left: $links"; return 1; fi
    if ls "$IPAM/hullnet-test" 2>/dev/null | grep -E '^[0-9]+\.'; then echo "IP allocations left in $IPAM"; return 1; fi
    rules=$(in_netns iptables-save)
    for word in "$@"; do
        if grep -F -- "$word" <<<"$rules"; then echo "iptables rules for $word left"; return 1; fi
    done
    if [ -n "$(ls -A "$NETSTATE" 2>/dev/null)" ]; then echo "hull-net state left: $(ls -A "$NETSTATE")"; return 1; fi
    if grep -qF " $TEST_DIR/" /proc/self/mountinfo; then echo "mounts left under $TEST_DIR"; return 1; fi
}

@test "network: two containers on one bridge reach each other, the gateway and lo; delete leaves nothing" {
    start_container "$ID-a"
    start_container "$ID-b"
    ip_a=$(container_ip "$ID-a")
    ip_b=$(container_ip "$ID-b")
    [[ "$ip_a" == $SUBNET_PREFIX.* && "$ip_b" == $SUBNET_PREFIX.* && "$ip_a" != "$ip_b" ]]
    # The container sees the address on eth0 and the default route through the bridge.
    run rt exec "$ID-a" ip -o -4 addr show eth0
    [[ "$output" == *"inet $ip_a/24"* ]]
    run rt exec "$ID-a" ip route
    [[ "$output" == *"default via $SUBNET_PREFIX.1"* ]]
    rt exec "$ID-a" ping -c 1 -W 3 "$ip_b"
    rt exec "$ID-b" ping -c 1 -W 3 "$ip_a"
    rt exec "$ID-a" ping -c 1 -W 3 "$SUBNET_PREFIX.1"
    rt exec "$ID-b" ping -c 1 -W 3 127.0.0.1
    # TCP between them: a one-shot listener in a, a client in b.
    rt exec -d "$ID-a" sh -c 'echo hello-from-a | nc -l -p 8000'
    for _ in $(seq 50); do
        out=$(rt exec "$ID-b" nc -w 2 "$ip_a" 8000 2>/dev/null) && [ -n "$out" ] && break
        sleep 0.1
    done
    [ "$out" = hello-from-a ]
    # The bridge plugin's masquerade rules name the container.
    in_netns iptables-save -t nat | grep -F -- "$ID-a" | grep -qF "$ip_a"
    rt delete --force "$ID-a"
    rt delete --force "$ID-b"
    assert_network_clean "$ID-a" "$ID-b" "$ip_a" "$ip_b"
    assert_nothing_left "$ID-a"
    assert_nothing_left "$ID-b"
}

@test "network: port mappings from the run.oci.hull.net.ports annotation go through portmap" {
    config 'annotations={"run.oci.hull.net.ports":"8080:8000/tcp"}'
    start_container "$ID"
    ip=$(container_ip "$ID")
    in_netns iptables-save -t nat | grep -E -- "--to-destination $ip:8000"
    # From the "host" (the test's namespace) through the DNAT to the container's listener.
    rt exec -d "$ID" sh -c 'echo hello-through-8080 | nc -l -p 8000'
    for _ in $(seq 50); do
        out=$(in_netns busybox nc -w 2 "$SUBNET_PREFIX.1" 8080 2>/dev/null) && [ -n "$out" ] && break
        sleep 0.1
    done
    [ "$out" = hello-through-8080 ]
    rt delete --force "$ID"
    assert_network_clean "$ID" "$ip"
}

@test "network: a container that exits is detached by the poststop hook of run and of delete" {
    set_cmd 'ip -o -4 addr show eth0'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [[ "$output" == *"inet $SUBNET_PREFIX."* ]]
    assert_network_clean "$ID"
    set_cmd 'true'
    rt create --bundle "$BUNDLE" "$ID"
    ip=$(container_ip "$ID")
    rt start "$ID"
    wait_for_status "$ID" stopped
    # The process is gone but its namespace stays pinned until DEL has torn the network down.
    [ -n "$(ip -n "$NETNS" -o link show type veth)" ]
    rt delete "$ID"
    assert_network_clean "$ID" "$ip"
    assert_nothing_left "$ID"
}

@test "network: delete --force of a created container runs the teardown" {
    set_cmd 'sleep 100'
    rt create --bundle "$BUNDLE" "$ID"
    ip=$(container_ip "$ID")
    [ -f "$IPAM/hullnet-test/$ip" ]
    rt delete --force "$ID"
    assert_network_clean "$ID" "$ip"
    assert_nothing_left "$ID"
}

@test "network: a missing CNI plugin fails create with a clear hook error and leaves nothing" {
    write_conf "$(plugin_bridge)" '{"type":"no-such-plugin"}'
    try_create
    assert_failed 'createRuntime.*hull-net add: CNI plugin "no-such-plugin" not found'
    assert_nothing_left "$ID"
    assert_network_clean "$ID"
    [ -z "$(ip -n "$NETNS" -o link show type bridge)" ]
}

@test "network: a plugin error (CNI error JSON) fails create clearly; what earlier plugins set up is undone" {
    # bridge and portmap succeed, then tuning refuses in the third plugin of the chain.
    write_conf "$(plugin_bridge)" '{"type":"portmap","capabilities":{"portMappings":true}}' \
        '{"type":"tuning","sysctl":{"net.ipv4.conf.eth0.no_such_knob":"1"}}'
    try_create
    assert_failed 'hull-net add: plugin "tuning" ADD failed: .*no_such_knob: no such file or directory \[CNI error 999\]'
    assert_nothing_left "$ID"
    assert_network_clean "$ID" "$SUBNET_PREFIX.2"
}

@test "network: when a later hook fails create, the poststop hook tears the network down" {
    config '@c["hooks"]["createContainer"] = [{"path": "/bin/false"}]'
    try_create
    assert_failed 'createContainer'
    assert_nothing_left "$ID"
    assert_network_clean "$ID" "$SUBNET_PREFIX.2"
}

@test "network: bad configurations fail create with a clear error and leave nothing" {
    echo '{"cniVersion":"1.0.0","name":"hullnet-test","plugins":[' > "$CONF"
    try_create
    assert_failed "hull-net add: $CONF: invalid JSON"
    assert_nothing_left "$ID"
    write_conf '{"bridge":"hull0"}'
    try_create
    assert_failed "plugins\[0\]: \"type\" is required"
    assert_nothing_left "$ID"
    write_conf '{"type":"bridge","bridge":"hull0","ipam":{"type":"host-local","ranges":[[{"subnet":"not-a-subnet"}]],"dataDir":"'"$IPAM"'"}}'
    try_create
    assert_failed 'plugin "bridge" ADD failed: .*not-a-subnet'
    assert_nothing_left "$ID"
    use_hooks "$TEST_DIR/missing.conflist"
    try_create
    assert_failed "missing.conflist: No such file"
    assert_nothing_left "$ID"
    config 'annotations={"run.oci.hull.net.ports":"80"}'
    use_hooks "$CONF"
    write_conf "$(plugin_bridge)"
    try_create
    assert_failed 'run.oci.hull.net.ports: port mapping "80"'
    assert_nothing_left "$ID"
    assert_network_clean "$ID"
}

@test "network: a container without its own network namespace is refused" {
    config '@c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]'
    try_create
    assert_failed "shares the runtime's network namespace"
    assert_nothing_left "$ID"
    assert_network_clean "$ID"
}

@test "network: hull-net del of an unknown container is a no-op; add twice for one id is refused" {
    echo "{\"ociVersion\":\"1.3.0\",\"id\":\"$ID-none\",\"status\":\"stopped\",\"bundle\":\"$BUNDLE\"}" |
        in_netns "$HULL_NET" del --state-dir "$NETSTATE"
    set_cmd 'sleep 100'
    rt create --bundle "$BUNDLE" "$ID"
    pid=$(state_field "$ID" pid)
    run bash -c "echo '{\"ociVersion\":\"1.3.0\",\"id\":\"$ID\",\"status\":\"created\",\"pid\":$pid,\"bundle\":\"$BUNDLE\"}' |
        nsenter --net=/run/netns/$NETNS $HULL_NET add --conf $CONF --cni-path $CNI_PATH --state-dir $NETSTATE"
    assert_failed "already attached"
    rt delete --force "$ID"
    assert_network_clean "$ID"
}

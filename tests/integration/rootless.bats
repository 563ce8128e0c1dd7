#!/usr/bin/env bats
# hull run by an unprivileged user: a user the suite makes (with subuid/subgid ranges, removed
# afterwards) runs hull with its own XDG_RUNTIME_DIR and the default root $XDG_RUNTIME_DIR/hull.
# This host is cgroup hybrid (no delegation to users): containers run without a cgroup.
load helpers
# This file's setup wraps the helpers' one.
eval "helpers_setup() $(declare -f setup | tail -n +2)"
eval "helpers_teardown() $(declare -f teardown | tail -n +2)"

# A range no system user gets from useradd's defaults (100000..).
SUB_START=1300000
SUB_COUNT=65536

setup_file() {
    command -v newuidmap >/dev/null || { echo "newuidmap is missing: install the uidmap package (scripts/install-deps.sh)" >&2; return 1; }
    command -v setpriv >/dev/null || { echo "setpriv is missing: install util-linux" >&2; return 1; }
    export RL_USER=hullrl$$
    useradd -M -d /nonexistent -s /usr/sbin/nologin "$RL_USER"
    usermod --add-subuids "$SUB_START-$((SUB_START + SUB_COUNT - 1))" \
        --add-subgids "$SUB_START-$((SUB_START + SUB_COUNT - 1))" "$RL_USER"
    RL_UID=$(id -u "$RL_USER")
    RL_GID=$(id -g "$RL_USER")
    # The user runs its own copy of hull: the build dir may be one it cannot reach.
    RL_BIN_DIR=$(mktemp -d /tmp/hull-rootless-bin.XXXXXX)
    chmod 755 "$RL_BIN_DIR"
    cp "$RUNTIME" "$RL_BIN_DIR/hull"
    export RL_UID RL_GID RL_BIN_DIR
}

teardown_file() {
    local pid
    for pid in $(ps -o pid= -u "$RL_UID" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    userdel "$RL_USER" 2>/dev/null || true
    sed -i "/^$RL_USER:/d" /etc/subuid /etc/subgid
    rm -rf "$RL_BIN_DIR"
}

setup() {
    helpers_setup
    chown -R "$RL_UID:$RL_GID" "$BUNDLE"
    export XDG_RUN=$TEST_DIR/xdg
    mkdir -m 700 "$XDG_RUN"
    chown "$RL_UID:$RL_GID" "$XDG_RUN"
    config -linux.cgroupsPath
}

teardown() {
    local id pid
    for id in $(urt list -q 2>/dev/null); do urt delete --force "$id" >/dev/null 2>&1 || true; done
    for pid in $(ps -o pid= -u "$RL_UID" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    helpers_teardown
}

# as_user CMD...: runs CMD as the test user, in the bundle, with its own runtime dir.
as_user() {
    (cd "$BUNDLE" && setpriv --reuid="$RL_UID" --regid="$RL_GID" --clear-groups \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/nonexistent XDG_RUNTIME_DIR="$XDG_RUN" "$@")
}
# hull as the test user, with its default root.
urt() { as_user "$RL_BIN_DIR/hull" "$@"; }

# rootless_config: what `hull spec --rootless` writes, with the bundle's rootfs, no terminal.
rootless_config() {
    rm "$BUNDLE/config.json"
    urt spec --rootless
    config process.terminal=false
}

# The test user's live processes (a zombie waits for the host's init to reap it).
user_processes() { ps -o pid=,stat=,args= -u "$RL_UID" | awk '$2 !~ /^Z/' || true; }

# assert_nothing_left_rootless: no state, no process of the user, no mount of the test dir.
assert_nothing_left_rootless() {
    local left
    left=$(ls -A "$XDG_RUN/hull" 2>/dev/null || true)
    if [ -n "$left" ]; then echo "state left in $XDG_RUN/hull: $left"; return 1; fi
    left=$(user_processes)
    if [ -n "$left" ]; then echo "processes of $RL_USER left: $left"; return 1; fi
    if grep -q " $TEST_DIR/" /proc/self/mountinfo; then echo "mounts left under $TEST_DIR"; return 1; fi
}

@test "rootless: spec --rootless && run, as is (a terminal, sh): uid 0 inside, the user's uid in uid_map, nothing left" {
    rm "$BUNDLE/config.json"
    # A pseudo-terminal for the foreground run (script(1)); the shell reads its commands from it.
    run as_user script -qec "$RL_BIN_DIR/hull spec --rootless && $RL_BIN_DIR/hull run r1" /dev/null \
        <<<'id -u; cat /proc/self/uid_map; cat /proc/self/setgroups; stat -c %u /; exit'
    [ "$status" -eq 0 ]
    output=$(tr -d '\r' <<<"$output")
    [[ "$output" == *$'\n0\n'* ]]
    grep -Eq "^ +0 +$RL_UID +1\$" <<<"$output"
    [[ "$output" == *$'\ndeny\n'* ]]  # a single own-id mapping is written by the user itself
    [ -d "$XDG_RUN/hull" ]   # the default root
    assert_nothing_left_rootless
}

@test "rootless: every verb: create, start, state, list, ps, exec, kill, delete; pause and resume refused clearly" {
    rootless_config
    config 'process.args=["sleep","100"]'
    # Not under `run`: the container process holds the stdout it inherits until it exits.
    urt create c1 >/dev/null 2>&1
    [ "$(urt state c1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = created ]
    urt start c1
    [ "$(urt state c1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = running ]
    run urt list -q
    [ "$output" = c1 ]
    run urt exec c1 sh -c 'id -u; sleep 60 >/dev/null 2>&1 & echo started'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 0 ]
    # ps finds the container's processes through its pid namespace (there is no cgroup).
    run urt ps c1 -o pid,args
    [ "$status" -eq 0 ]
    [[ "$output" == *"sleep 100"* ]]
    [[ "$output" == *"sleep 60"* ]]
    run urt pause c1
    assert_failed 'pause "c1": the container has no cgroup'
    run urt resume c1
    assert_failed 'not paused'
    run urt update --pids-limit 10 c1
    assert_failed 'update "c1": the container has no cgroup'
    run urt events --stats c1
    assert_failed 'events "c1": the container has no cgroup'
    urt kill --all c1 KILL
    for _ in $(seq 50); do [ -z "$(user_processes)" ] && break; sleep 0.1; done
    [ -z "$(user_processes)" ]  # kill --all reached the exec'd sleep too
    urt delete c1
    assert_nothing_left_rootless
}

@test "rootless: several ranges go through newuidmap/newgidmap (subuid ranges), setgroups stays allowed" {
    rootless_config
    config "linux.uidMappings=[{\"containerID\":0,\"hostID\":$RL_UID,\"size\":1},{\"containerID\":1,\"hostID\":$SUB_START,\"size\":$SUB_COUNT}]" \
        "linux.gidMappings=[{\"containerID\":0,\"hostID\":$RL_GID,\"size\":1},{\"containerID\":1,\"hostID\":$SUB_START,\"size\":$SUB_COUNT}]" \
        'process.user.additionalGids=[5]'
    set_cmd 'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; id -G'
    run urt run r2
    [ "$status" -eq 0 ]
    [ "$(echo ${lines[1]})" = "1 $SUB_START $SUB_COUNT" ]
    [ "$(echo ${lines[3]})" = "1 $SUB_START $SUB_COUNT" ]
    [ "${lines[4]}" = allow ]
    [[ "${lines[5]}" == *5* ]]
    assert_nothing_left_rootless
}

@test "rootless: a range outside the user's subuid ranges is a clear error, and nothing is left" {
    rootless_config
    config "linux.uidMappings=[{\"containerID\":0,\"hostID\":$RL_UID,\"size\":1},{\"containerID\":1,\"hostID\":2000000,\"size\":10}]"
    run urt run r3
    assert_failed 'linux.uidMappings: newuidmap .*failed.*/etc/subuid'
    assert_nothing_left_rootless
}

@test "rootless: resource limits are refused (no cgroup), the device rules skipped with a warning" {
    rootless_config
    config 'linux.resources={"memory":{"limit":67108864}}'
    run urt run r4
    assert_failed 'linux.resources.memory: needs the container.s cgroup, and there is none \(rootless on a cgroup (hybrid|v1) host'
    assert_nothing_left_rootless
    config 'linux.resources={"devices":[{"allow":false,"access":"rwm"}]}'
    set_cmd 'echo ran'
    run urt run r4
    [ "$status" -eq 0 ]
    [[ "$output" == *"linux.resources.devices: not applied"* ]]
    [[ "$output" == *ran* ]]
    assert_nothing_left_rootless
}

@test "rootless: sysfs without a network namespace of its own is the host's /sys bound read-only; devices are bound" {
    rootless_config
    config '@[m.update(type="sysfs", source="sysfs", options=["nosuid","noexec","nodev","ro"]) for m in c["mounts"] if m["destination"] == "/sys"]'
    set_cmd 'ls /sys/kernel >/dev/null && echo sys-ok; grep " /sys " /proc/self/mountinfo | grep -vc " ro,"; echo x > /dev/null && echo null-ok; grep -c " /dev/null " /proc/self/mountinfo'
    run urt run r5
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = sys-ok ]
    [ "${lines[1]}" = 0 ]  # every mount at /sys is read-only
    [ "${lines[2]}" = null-ok ]
    [ "${lines[3]}" = 1 ]  # a bind of the host's /dev/null, not a node we could not mknod
}

@test "rootless: an idmapped mount of a host directory is refused by the kernel, and hull says why" {
    rootless_config
    mkdir -p "$TEST_DIR/src"
    chown "$RL_UID:$RL_GID" "$TEST_DIR/src"
    config "mounts+={\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$TEST_DIR/src\",\"options\":[\"bind\",\"idmap\"]}"
    run urt run r6
    assert_failed 'mounts\[[0-9]+\]\): an idmapped mount needs root.*never rootless'
    assert_nothing_left_rootless
}

@test "rootless: joining the user namespace of another container by path" {
    rootless_config
    config 'process.args=["sleep","100"]'
    urt run -d first >/dev/null 2>&1
    local pid
    pid=$(urt state first | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
    cp "$BUNDLE/config.json" "$TEST_DIR/first.json"
    config "@c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'user'] + [{'type': 'user', 'path': '/proc/$pid/ns/user'}]" \
        -linux.uidMappings -linux.gidMappings
    set_cmd 'id -u; cat /proc/self/uid_map'
    run urt run second
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 0 ]
    [ "$(echo ${lines[1]})" = "0 $RL_UID 1" ]
    [ "$(as_user readlink /proc/self/ns/user)" != "$(as_user readlink /proc/$pid/ns/user)" ]
    urt delete --force first
    assert_nothing_left_rootless
}

# in_delegated_view SUBTREE 'SHELL COMMANDS': runs the commands as the test user (in the bundle,
# $H being hull) in a pure cgroup2 view of this host where /sys/fs/cgroup/SUBTREE is the user's
# (as systemd's Delegate=yes makes it) and the user's shell sits in a leaf of it. The subtree is
# removed afterwards; "LEFT" is printed when the container's cgroup (c1) was not.
in_delegated_view() {
    unshare -m --propagation private bash -c '
        umount -l /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup || exit 99
        d=/sys/fs/cgroup/$1
        mkdir -p "$d/shell" && chown -R "$2" "$d" || exit 98
        sh -c "echo \$\$ > $d/shell/cgroup.procs && exec \"\$@\"" x "${@:3}"
        rc=$?
        [ -d "$d/c1" ] && echo LEFT
        rmdir "$d/shell" "$d"
        exit $rc' x "$1" "$RL_UID:$RL_GID" \
        setpriv --reuid="$RL_UID" --regid="$RL_GID" --clear-groups env -i PATH=/usr/bin:/bin XDG_RUNTIME_DIR="$XDG_RUN" \
        H="$RL_BIN_DIR/hull" sh -c "cd '$BUNDLE' && $2"
}

@test "rootless on cgroup v2 with a delegated subtree: the container's cgroup is made there, with its limits" {
    # hugetlb is the one controller this host's cgroup2 tree has.
    local deleg=hullrl-deleg-$$
    rootless_config
    config "linux.cgroupsPath=\"/$deleg/c1\"" \
        'linux.resources={"hugepageLimits":[{"pageSize":"2MB","limit":2097152}]}'
    python3 -c "import json, sys; sys.exit('cgroup' in [n['type'] for n in json.load(open(sys.argv[1]))['linux']['namespaces']])" \
        "$BUNDLE/config.json" || { echo "the config has a cgroup namespace"; return 1; }
    # The delegated tree is read through the host's /sys bound read-only, not a cgroup mount.
    drop_mount /sys/fs/cgroup
    set_cmd "grep '^0::' /proc/self/cgroup; cat /sys/fs/cgroup/$deleg/c1/hugetlb.2MB.max"
    run in_delegated_view "$deleg" '$H run r9'
    [ "$status" -eq 0 ]
    [[ "$output" == *"0::/$deleg/c1"* ]]
    [[ "$output" == *2097152* ]]
    [[ "$output" != *LEFT* ]]
    assert_nothing_left_rootless
}

@test "rootless on cgroup v2 with a delegated subtree: pause and resume through its freezer" {
    local deleg=hullrl-deleg-$$
    rootless_config
    config "linux.cgroupsPath=\"/$deleg/c1\"" 'process.args=["sleep","100"]'
    run in_delegated_view "$deleg" '$H run -d r10 >/dev/null 2>&1 && $H pause r10 && $H state r10 | grep status &&
        grep -E "^(state|frozen) " /sys/fs/cgroup/'"$deleg"'/c1/cgroup.events; $H resume r10 && $H state r10 | grep status;
        $H delete --force r10'
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == *'"paused"'* ]]
    [ "${lines[1]}" = "frozen 1" ]
    [[ "${lines[2]}" == *'"running"'* ]]
    [[ "$output" != *LEFT* ]]
    assert_nothing_left_rootless
}

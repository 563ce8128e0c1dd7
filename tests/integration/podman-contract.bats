#!/usr/bin/env bats
# What podman 4.3 / conmon rely on, found by the e2e suite (tests/e2e/podman.bats): each test
# here pins one hull fix at the runtime level, without podman.
load helpers

@test "delete --force of a container that does not exist succeeds (podman cleans up after a failed create)" {
    run rt delete --force "$ID-never-created"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    # Without --force it is still an error.
    run rt delete "$ID-never-created"
    assert_failed 'does not exist'
}

@test "tmpcopyup: a tmpfs starts with a copy of the directory it covers (podman --read-only)" {
    mkdir -p "$BUNDLE/rootfs/data/sub"
    echo original > "$BUNDLE/rootfs/data/sub/file"
    echo private > "$BUNDLE/rootfs/data/sub/owned"
    chmod 640 "$BUNDLE/rootfs/data/sub/owned"
    chown 65534:65534 "$BUNDLE/rootfs/data/sub/owned"
    ln -s sub/file "$BUNDLE/rootfs/data/link"
    mkfifo "$BUNDLE/rootfs/data/fifo"
    config "@c['mounts'].append({'destination': '/data', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup']})" \
        root.readonly=true
    set_cmd 'grep " /data " /proc/mounts | cut -d" " -f3; cat /data/link; stat -c "%a %u:%g %F" /data/sub/owned /data/fifo; echo new > /data/sub/file && cat /data/sub/file; touch /x 2>/dev/null || echo root-ro'
    run rt run --bundle "$BUNDLE" "$ID"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = tmpfs ]
    [ "${lines[1]}" = original ]
    [ "${lines[2]}" = "640 65534:65534 regular file" ]
    [ "${lines[3]}" = "644 0:0 fifo" ]
    [ "${lines[4]}" = new ]
    [ "${lines[5]}" = root-ro ]
    # The copy is private to the tmpfs: the rootfs keeps its file.
    [ "$(cat "$BUNDLE/rootfs/data/sub/file")" = original ]
}

@test "tmpcopyup on a missing directory creates it empty; on a non-tmpfs mount it is an error" {
    config "@c['mounts'].append({'destination': '/fresh', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['tmpcopyup']})"
    set_cmd 'ls -A /fresh | wc -l'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$output" = 0 ]
    config "@c['mounts'][-1] = {'destination': '/fresh', 'type': 'proc', 'source': 'proc', 'options': ['tmpcopyup']}"
    run rt run --bundle "$BUNDLE" "$ID-2"
    assert_failed 'tmpcopyup is only for tmpfs'
    assert_nothing_left "$ID-2"
}

@test "an init that joins a network namespace by path is in every hierarchy of cgroupsPath (conmon's attached run)" {
    local ns="podman-contract-$$-$RANDOM" i pid
    ip netns add "$ns"
    CLEANUP_NETNS+=("$ns")
    config "@c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network'] + [{'type': 'network', 'path': '/var/run/netns/$ns'}]"
    set_cmd 'sleep 100'
    # The intermediate process forks the init right away: repeat to catch the race.
    for i in 1 2 3 4 5; do
        rt create --bundle "$BUNDLE" "$ID-$i"
        pid=$(state_field "$ID-$i" pid)
        run grep -v ":$CGROUP_PATH\$" "/proc/$pid/cgroup"
        echo "$output"
        [ "$status" -ne 0 ]
        rt delete --force "$ID-$i"
        assert_nothing_left "$ID-$i"
    done
}

#!/usr/bin/env bats
# Idmapped bind mounts: the idmap/ridmap options and mounts[].uidMappings/gidMappings
# (mount_setattr MOUNT_ATTR_IDMAP on a detached open_tree clone, made by the runtime).
load helpers

# A host directory owned by 1000:1000, with a file.
make_source() {
    mkdir -p "$TEST_DIR/src"
    echo data > "$TEST_DIR/src/f"
    chown -R 1000:1000 "$TEST_DIR/src"
}

# user_namespace: the container gets a user namespace mapping 0..65535 to 100000..165535.
user_namespace() {
    chown -R 100000:100000 "$BUNDLE/rootfs"
    config 'linux.namespaces+={"type":"user"}' \
        'linux.uidMappings=[{"containerID":0,"hostID":100000,"size":65536}]' \
        'linux.gidMappings=[{"containerID":0,"hostID":100000,"size":65536}]'
}

@test "idmap: a host dir owned by 1000 appears owned by 0 (root, no user namespace); writes land as 1000" {
    skip_if_runc "runc 1.1.5 has no idmapped mounts (runc 1.2)"
    make_source
    config "mounts+={\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$TEST_DIR/src\",\"options\":[\"bind\",\"idmap\"],
        \"uidMappings\":[{\"containerID\":1000,\"hostID\":0,\"size\":1}],\"gidMappings\":[{\"containerID\":1000,\"hostID\":0,\"size\":1}]}"
    set_cmd 'stat -c "%u:%g" /data /data/f; echo new > /data/new; grep " /data " /proc/self/mountinfo'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 0:0 ]
    [ "${lines[1]}" = 0:0 ]
    [[ "${lines[2]}" == *idmapped* ]]
    [ "$(stat -c %u:%g "$TEST_DIR/src/new")" = 1000:1000 ]
    [ "$(stat -c %u:%g "$TEST_DIR/src/f")" = 1000:1000 ]  # the source itself is not chowned
    assert_nothing_left "$ID"
}

@test "idmap in a user namespace: the mount's own mappings, and the container's when it has none" {
    skip_if_runc "runc 1.1.5 has no idmapped mounts (runc 1.2)"
    make_source
    mkdir -p "$TEST_DIR/src2"
    touch "$TEST_DIR/src2/five"
    chown 5:5 "$TEST_DIR/src2/five"
    user_namespace
    config "mounts+={\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$TEST_DIR/src\",\"options\":[\"bind\"],
        \"uidMappings\":[{\"containerID\":1000,\"hostID\":100000,\"size\":1}],\"gidMappings\":[{\"containerID\":1000,\"hostID\":100000,\"size\":1}]}" \
        "mounts+={\"destination\":\"/mine\",\"type\":\"bind\",\"source\":\"$TEST_DIR/src2\",\"options\":[\"rbind\",\"idmap\",\"ro\"]}"
    set_cmd 'stat -c "%u:%g" /data/f /mine/five; id -u; touch /data/byroot; touch /mine/x 2>&1 || true'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 0:0 ]
    # Without mappings of its own the mount maps as the container does: on-disk 5 is host 100005,
    # which is 5 inside.
    [ "${lines[1]}" = 5:5 ]
    [ "${lines[2]}" = 0 ]
    [[ "${lines[3]}" == *"Read-only file system"* ]]  # the options apply to an idmapped tree too
    [ "$(stat -c %u:%g "$TEST_DIR/src/byroot")" = 1000:1000 ]
    assert_nothing_left "$ID"
}

@test "ridmap maps the submounts of an rbind, idmap only its top" {
    skip_if_runc "runc 1.1.5 has no idmapped mounts (runc 1.2)"
    make_source
    mkdir -p "$TEST_DIR/src/sub"
    mount -t tmpfs -o size=1m none "$TEST_DIR/src/sub"
    touch "$TEST_DIR/src/sub/g"
    chown 1000:1000 "$TEST_DIR/src/sub/g"
    local maps='"uidMappings":[{"containerID":1000,"hostID":0,"size":1}],"gidMappings":[{"containerID":1000,"hostID":0,"size":1}]'
    config "mounts+={\"destination\":\"/top\",\"type\":\"bind\",\"source\":\"$TEST_DIR/src\",\"options\":[\"rbind\",\"idmap\"],$maps}" \
        "mounts+={\"destination\":\"/all\",\"type\":\"bind\",\"source\":\"$TEST_DIR/src\",\"options\":[\"rbind\",\"ridmap\"],$maps}"
    set_cmd 'stat -c %u /top/f /top/sub/g /all/f /all/sub/g'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[*]}" = "0 1000 0 0" ]
}

@test "a filesystem that cannot be idmapped is a clear error, and nothing is left" {
    skip_if_runc "runc 1.1.5 has no idmapped mounts (runc 1.2)"
    config 'mounts+={"destination":"/k","type":"bind","source":"/sys/kernel","options":["bind","idmap"],
        "uidMappings":[{"containerID":0,"hostID":1000,"size":1}],"gidMappings":[{"containerID":0,"hostID":1000,"size":1}]}'
    run rt run --bundle "$BUNDLE" "$ID"
    assert_failed 'mounts\[[0-9]+\].*/sys/kernel.*\(sysfs\) does not support idmapped mounts'
    assert_nothing_left "$ID"
}

@test "idmap is refused on a mount that is not a bind, and without any mapping to take" {
    skip_if_runc "runc 1.1.5 has no idmapped mounts (runc 1.2)"
    config 'mounts+={"destination":"/t","type":"tmpfs","source":"tmpfs","options":["idmap"]}'
    run rt run --bundle "$BUNDLE" "$ID"
    assert_failed 'mounts\[[0-9]+\]: idmapped mounts .* are bind mounts; .*"tmpfs"'
    drop_mount /t
    config "mounts+={\"destination\":\"/d\",\"type\":\"bind\",\"source\":\"$TEST_DIR\",\"options\":[\"bind\",\"ridmap\"]}"
    run rt run --bundle "$BUNDLE" "$ID"
    assert_failed 'mounts\[[0-9]+\]\.options: "ridmap" without .*no user namespace'
    assert_nothing_left "$ID"
}

@test "features: idmap enabled, idmap and ridmap listed" {
    skip_if_runc "runc 1.1.5 has no features verb"
    run "$RUNTIME" features
    [ "$status" -eq 0 ]
    python3 -c 'import json,sys; f=json.loads(sys.argv[1]); assert f["linux"]["mountExtensions"]["idmap"]["enabled"] is True; assert {"idmap","ridmap"} <= set(f["mountOptions"])' "$output"
}

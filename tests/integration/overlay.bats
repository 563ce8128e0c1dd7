#!/usr/bin/env bats
load helpers

tree_digest() { (cd "$1" && find . -printf '%p %y %m %s\n' | sort && find . -type f -exec md5sum {} + | sort) | md5sum; }

@test "overlay rootfs: two containers from one bundle each see their own writes; the bundle is unchanged" {
    config 'annotations={"run.oci.hull.overlay":"true"}' 'root.readonly=false' '-linux.cgroupsPath'
    before=$(tree_digest "$BUNDLE/rootfs")
    set_cmd 'echo "$0" > /etc/shared-name; rm /etc/passwd; sleep 100'
    config 'process.args=["sh","-c","echo first > /etc/shared-name; rm /etc/passwd; sleep 100"]'
    rt run --detach --bundle "$BUNDLE" "$ID-a"
    config 'process.args=["sh","-c","echo second > /etc/shared-name; sleep 100"]'
    rt run --detach --bundle "$BUNDLE" "$ID-b"
    sleep 0.3
    run rt exec "$ID-a" sh -c 'cat /etc/shared-name; [ -e /etc/passwd ] && echo passwd || echo no-passwd'
    [ "${lines[0]}" = first ]
    [ "${lines[1]}" = no-passwd ]
    run rt exec "$ID-b" sh -c 'cat /etc/shared-name; [ -e /etc/passwd ] && echo passwd || echo no-passwd'
    [ "${lines[0]}" = second ]
    [ "${lines[1]}" = passwd ]
    [ ! -e "$BUNDLE/rootfs/etc/shared-name" ]
    rt delete --force "$ID-a"
    rt delete --force "$ID-b"
    [ "$(tree_digest "$BUNDLE/rootfs")" = "$before" ]
    [ -z "$(ls -A "$ROOT")" ]
}

@test "overlay rootfs: an upperdir annotation keeps the changes after delete" {
    config "annotations={\"run.oci.hull.overlay\":\"true\",\"run.oci.hull.overlay.upperdir\":\"$TEST_DIR/keep\"}" 'root.readonly=false'
    set_cmd 'echo kept > /root/result'
    rt run --bundle "$BUNDLE" "$ID"
    [ "$(cat "$TEST_DIR/keep/root/result")" = kept ]
    [ ! -e "$BUNDLE/rootfs/root/result" ]
    assert_nothing_left "$ID"
}

@test "overlay rootfs: a relative upperdir is refused" {
    config 'annotations={"run.oci.hull.overlay":"true","run.oci.hull.overlay.upperdir":"keep"}'
    run rt create --bundle "$BUNDLE" "$ID"
    assert_failed 'run.oci.hull.overlay.upperdir.*absolute'
    assert_nothing_left "$ID"
}

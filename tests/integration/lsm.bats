#!/usr/bin/env bats
# AppArmor and SELinux labels on a host without the LSM: refused up front (as runc 1.1 refuses
# them, see include/hull/lsm.hpp), in one line naming the field, leaving nothing behind.
load helpers

lsm_enabled() {
    [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] && return 0
    [ -d /sys/fs/selinux ] && [ -e /sys/fs/selinux/enforce ]
}

setup_file() {
    if lsm_enabled; then skip "AppArmor or SELinux is enabled here: these tests are for a host without"; fi
}

@test "process.apparmorProfile without AppArmor: create fails naming the field" {
    config 'process.apparmorProfile="hull-test-profile"'
    run --separate-stderr rt create --bundle "$BUNDLE" "$ID"
    [ "$status" -ne 0 ]
    [ "$(grep -c . <<<"$stderr")" -eq 1 ]
    grep -q 'process.apparmorProfile "hull-test-profile": AppArmor is not enabled' <<<"$stderr"
    assert_nothing_left "$ID"
}

@test "process.selinuxLabel without SELinux: create fails naming the field" {
    config 'process.selinuxLabel="system_u:system_r:container_t:s0:c1,c2"'
    run --separate-stderr rt create --bundle "$BUNDLE" "$ID"
    [ "$status" -ne 0 ]
    grep -q 'process.selinuxLabel .*SELinux is disabled or not supported' <<<"$stderr"
    assert_nothing_left "$ID"
}

@test "linux.mountLabel without SELinux: create fails naming the field" {
    config 'linux.mountLabel="system_u:object_r:container_file_t:s0"'
    run --separate-stderr rt create --bundle "$BUNDLE" "$ID"
    [ "$status" -ne 0 ]
    grep -q 'linux.mountLabel .*SELinux is disabled or not supported' <<<"$stderr"
    assert_nothing_left "$ID"
}

@test "empty labels are unset and the container runs" {
    config 'process.apparmorProfile=""' 'process.selinuxLabel=""' 'linux.mountLabel=""'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$output" = hello ]
}

@test "exec --apparmor and --process-label without the LSM fail, the container keeps running" {
    set_cmd 'exec sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID"
    run --separate-stderr rt exec --apparmor hull-test-profile "$ID" true
    [ "$status" -ne 0 ]
    grep -q 'process.apparmorProfile "hull-test-profile": AppArmor is not enabled' <<<"$stderr"
    run --separate-stderr rt exec --process-label system_u:system_r:container_t:s0 "$ID" true
    [ "$status" -ne 0 ]
    grep -q 'process.selinuxLabel' <<<"$stderr"
    [ "$(state_field "$ID" status)" = running ]
    rt exec "$ID" true
}

#!/usr/bin/env bats
# Regression tests for runc/crun CVE classes not covered in rootfs.bats / process.bats, each in
# the shape of the real exploit. Either outcome is acceptable where noted (refused with a clear
# error, or harmless); the host must be untouched either way.
load helpers

RECEIVER=${RECEIVER:-$HERE/../../build/tests/console-receiver}

# A private copy of hull is the runtime, so an overwrite would show and harm nothing else.
use_hull_copy() {
    cp "$HULL_BIN" "$TEST_DIR/hull-copy"
    RUNTIME=$TEST_DIR/hull-copy
    COPY_SUM=$(sha256sum < "$RUNTIME")
}

assert_copy_unchanged() {
    [ "$(sha256sum < "$RUNTIME")" = "$COPY_SUM" ] || { echo "the hull binary was modified"; return 1; }
}

# An "image" script that, if it ever runs inside the hull binary's process image, keeps the
# binary open and overwrites it once hull has exited (the CVE-2019-5736 payload, in shell).
write_payload() {
    cat > "$BUNDLE/rootfs/payload" <<'EOF'
#!/bin/sh
exec 3< /proc/self/exe
(for i in $(seq 100); do
    if echo pwned >> /proc/self/fd/3 2>/dev/null; then echo overwritten > /tmp/result; exit; fi
    sleep 0.05
done) &
EOF
    chmod +x "$BUNDLE/rootfs/payload"
}

@test "CVE-2019-5736 shape: a #!/proc/self/exe entrypoint does not run (or reach) the hull binary" {
    use_hull_copy
    printf '#!/proc/self/exe\n' > "$BUNDLE/rootfs/entrypoint"
    chmod +x "$BUNDLE/rootfs/entrypoint"
    config 'process.args=["/entrypoint"]'
    run --separate-stderr rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -ne 0 ]
    grep -q 'is the hull binary' <<<"$stderr"
    assert_nothing_left "$ID"
    assert_copy_unchanged
}

@test "CVE-2019-5736 shape: process.args /proc/self/exe, and a chain of scripts ending in it" {
    use_hull_copy
    config 'process.args=["/proc/self/exe","--version"]'
    run --separate-stderr rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -ne 0 ]
    grep -q 'CVE-2019-5736' <<<"$stderr"
    printf '#!/proc/self/exe\n' > "$BUNDLE/rootfs/inner"
    printf '#!/inner\n' > "$BUNDLE/rootfs/outer"
    chmod +x "$BUNDLE/rootfs/inner" "$BUNDLE/rootfs/outer"
    config 'process.args=["/outer"]'
    run --separate-stderr rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -ne 0 ]
    grep -q 'interpreter /proc/self/exe' <<<"$stderr"
    assert_nothing_left "$ID"
    assert_copy_unchanged
}

@test "CVE-2019-5736 shape: exec of /proc/self/exe (docker exec into a trapped image) is refused" {
    use_hull_copy
    write_payload
    set_cmd 'exec sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID"
    printf '#!/proc/self/exe\n' > "$BUNDLE/rootfs/bin/trapped"
    chmod +x "$BUNDLE/rootfs/bin/trapped"
    run --separate-stderr rt exec "$ID" /bin/trapped
    [ "$status" -ne 0 ]
    grep -q 'is the hull binary' <<<"$stderr"
    # The container's own processes: the payload cannot get at the binary either.
    rt exec "$ID" /payload
    sleep 1
    [ ! -e "$BUNDLE/rootfs/tmp/result" ]
    [ "$(state_field "$ID" status)" = running ]
    rt delete --force "$ID"
    assert_copy_unchanged
}

@test "CVE-2019-5736 shape: the waiting container process is not dumpable (its /proc files stay the host root's)" {
    use_hull_copy
    # In a user namespace, /proc/PID/status of a dumpable process belongs to its (host) uid 100000; of a
    # non-dumpable one to the host's root, so no process of the container can open its exe, fd/,
    # cwd or root (the hull binary and host fds until execve).
    config 'linux.namespaces+={"type":"user"}' \
        'linux.uidMappings=[{"containerID":0,"hostID":100000,"size":65536}]' \
        'linux.gidMappings=[{"containerID":0,"hostID":100000,"size":65536}]'
    drop_mount /sys/fs/cgroup
    set_cmd 'exec sleep 100'
    rt create --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$ID"
    pid=$(cat "$TEST_DIR/pid")
    grep -q '^Uid:[[:space:]]*100000' "/proc/$pid/status"
    [ "$(stat -c %u "/proc/$pid/status")" = 0 ]
    rt start "$ID"
    # After execve the program is dumpable again: the same check now sees the mapped uid.
    [ "$(stat -c %u "/proc/$pid/status")" = 100000 ]
    rt delete --force "$ID"
    assert_copy_unchanged
}

@test "CVE-2026-41579 shape: a rootfs /dev that is a symlink to a host path gets nothing created outside" {
    mkdir "$TEST_DIR/hostdev"
    rm -rf "$BUNDLE/rootfs/dev"
    ln -s "$TEST_DIR/hostdev" "$BUNDLE/rootfs/dev"
    set_cmd 'ls /dev/null >/dev/null && echo ok'
    run rt run --bundle "$BUNDLE" "$ID"
    if [ "$status" -eq 0 ]; then [ "$output" = ok ]; else assert_failed 'dev'; fi
    [ -z "$(ls -A "$TEST_DIR/hostdev")" ]
    ! grep -qF "$TEST_DIR/hostdev" /proc/self/mountinfo
    assert_nothing_left "$ID"
}

@test "CVE-2026-41579 shape: a /dev symlink without a /dev mount in the config (devices made in the image's /dev)" {
    mkdir "$TEST_DIR/hostdev"
    rm -rf "$BUNDLE/rootfs/dev"
    ln -s ../../../../../../../.."$TEST_DIR/hostdev" "$BUNDLE/rootfs/dev"
    for m in /dev /dev/pts /dev/shm /dev/mqueue; do drop_mount "$m"; done
    config 'linux.devices=[{"path":"/dev/hulltest","type":"c","major":1,"minor":3}]'
    run rt run --bundle "$BUNDLE" "$ID"
    [ -z "$(ls -A "$TEST_DIR/hostdev")" ]
    ! grep -qF "$TEST_DIR/hostdev" /proc/self/mountinfo
    assert_nothing_left "$ID"
}

@test "CVE-2025-52565 shape: an image /dev/pts that is a symlink to a host dir gets no devpts mounted on it" {
    mkdir "$TEST_DIR/hostpts"
    drop_mount /dev
    drop_mount /dev/shm
    drop_mount /dev/mqueue
    rmdir "$BUNDLE/rootfs/dev/pts" 2>/dev/null || true
    ln -s "$TEST_DIR/hostpts" "$BUNDLE/rootfs/dev/pts"
    set_cmd 'echo ran'
    run rt run --bundle "$BUNDLE" "$ID"
    [ -z "$(ls -A "$TEST_DIR/hostpts")" ]
    ! grep -qF "$TEST_DIR/hostpts" /proc/self/mountinfo
    assert_nothing_left "$ID"
}

@test "CVE-2025-52565 shape: an image /dev/console symlinked to a host file is not bind-mounted over" {
    echo secret > "$TEST_DIR/hostconsole"
    drop_mount /dev
    ln -s "$TEST_DIR/hostconsole" "$BUNDLE/rootfs/dev/console"
    config 'process.terminal=true'
    set_cmd 'echo overwritten > /dev/console; echo done'
    "$RECEIVER" "$TEST_DIR/console.sock" > "$TEST_DIR/console.out" 2>&1 < /dev/null &
    CLEANUP_PIDS+=($!)
    for _ in $(seq 50); do [ -S "$TEST_DIR/console.sock" ] && break; sleep 0.05; done
    run rt run --console-socket "$TEST_DIR/console.sock" --bundle "$BUNDLE" "$ID"
    [ "$(cat "$TEST_DIR/hostconsole")" = secret ]
    ! grep -qF "$TEST_DIR/hostconsole" /proc/self/mountinfo
    rt delete --force "$ID" 2>/dev/null || true
    assert_nothing_left "$ID"
}

@test "CVE-2023-27561 shape: a rootfs /proc that is a regular file is refused" {
    rmdir "$BUNDLE/rootfs/proc"
    echo fake > "$BUNDLE/rootfs/proc"
    run --separate-stderr rt create --bundle "$BUNDLE" "$ID"
    [ "$status" -ne 0 ]
    grep -qi 'proc.*must be mounted on ordinary directory' <<<"$stderr"
    [ "$(cat "$BUNDLE/rootfs/proc")" = fake ]
    assert_nothing_left "$ID"
}

@test "CVE-2022-29162 shape: the inheritable set is the config's, never widened by exec --cap" {
    config 'process.capabilities.inheritable=["CAP_NET_RAW","CAP_SYS_ADMIN"]' \
        'process.capabilities.bounding+="CAP_NET_RAW"' 'process.capabilities.permitted+="CAP_NET_RAW"'
    set_cmd 'grep CapInh /proc/self/status; exec sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID" > "$TEST_DIR/run.out" 2> "$TEST_DIR/run.err"
    wait_for_file "$TEST_DIR/run.out"
    # CAP_NET_RAW (13) only: CAP_SYS_ADMIN is outside the bounding set, so it is warned about.
    [ "$(cat "$TEST_DIR/run.out")" = "CapInh:	0000000000002000" ]
    grep -q 'inheritable: CAP_SYS_ADMIN is not in the bounding set' "$TEST_DIR/run.err"
    run rt exec --cap CAP_SYS_ADMIN "$ID" grep CapInh /proc/self/status
    [ "$status" -eq 0 ]
    [ "$output" = "CapInh:	0000000000002000" ]
}

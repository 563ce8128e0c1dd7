#!/usr/bin/env bats
load helpers

mountinfo_opts() {  # prints "mount-options super-options" of the mount at $1 from a mountinfo on stdin
    awk -v d="$1" '$5==d { for (i=7;i<=NF;i++) if ($i=="-") break; print $6, $(i+3) }'
}

@test "config mounts appear with their flags" {
    config 'mounts.0.options=["nosuid","noexec","nodev"]'
    set_cmd 'cat /proc/self/mountinfo'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [[ "$(echo "$output" | mountinfo_opts /proc)" == *nosuid,nodev,noexec* ]]
    [[ "$(echo "$output" | mountinfo_opts /sys)" == ro,* ]]
    [[ "$(echo "$output" | mountinfo_opts /dev)" == *nosuid* ]]
    [[ "$(echo "$output" | mountinfo_opts /dev/shm)" == *nodev,noexec* ]]
    echo "$output" | awk '$5=="/dev/pts"' | grep -q devpts
    echo "$output" | awk '$5=="/dev/mqueue"' | grep -q mqueue
    [[ "$(echo "$output" | mountinfo_opts /)" == ro,* ]]
}

@test "bind mounts: a host directory, a file, ro and rro" {
    mkdir -p "$TEST_DIR/host/sub"
    echo data > "$TEST_DIR/host/file"
    mount -t tmpfs none "$TEST_DIR/host/sub"
    config "mounts+={\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$TEST_DIR/host\",\"options\":[\"rbind\",\"rro\"]}" \
        "mounts+={\"destination\":\"/etc/file\",\"type\":\"bind\",\"source\":\"$TEST_DIR/host/file\",\"options\":[\"bind\",\"ro\"]}" \
        "mounts+={\"destination\":\"/rw\",\"type\":\"bind\",\"source\":\"$TEST_DIR/host\",\"options\":[\"bind\"]}"
    set_cmd 'cat /data/file /etc/file; touch /data/x 2>&1; touch /data/sub/x 2>&1; touch /rw/written && echo rw-ok'
    run hull run --bundle "$BUNDLE" "$ID"
    umount "$TEST_DIR/host/sub"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = data ]
    [ "${lines[1]}" = data ]
    [[ "${lines[2]}" == *"Read-only file system"* ]]
    [[ "${lines[3]}" == *"Read-only file system"* ]]
    [ "${lines[4]}" = rw-ok ]
    [ -f "$TEST_DIR/host/written" ]
}

@test "tmpfs with size and mode" {
    config 'mounts+={"destination":"/scratch","type":"tmpfs","source":"tmpfs","options":["size=1m","mode=700","noexec"]}'
    set_cmd 'stat -c %a /scratch; df -k /scratch | tail -1 | awk "{print \$2}"; grep " /scratch " /proc/self/mountinfo'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 700 ]
    [ "${lines[1]}" = 1024 ]
    [[ "${lines[2]}" == *noexec* ]]
}

@test "masked paths are empty, read-only paths give EROFS, root.readonly holds" {
    mkdir -p "$BUNDLE/rootfs/root/secret"
    touch "$BUNDLE/rootfs/root/secret/a"
    config 'linux.maskedPaths+="/etc/passwd"' 'linux.maskedPaths+="/root/secret"' 'linux.readonlyPaths+="/tmp"'
    set_cmd 'wc -c < /etc/passwd; wc -c < /proc/timer_list; ls /root/secret | wc -l; echo 1 > /proc/sys/kernel/msgmax 2>&1; touch /tmp/x 2>&1; touch /x 2>&1; echo done'
    run hull run --bundle "$BUNDLE" "$ID"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 0 ]
    [ "${lines[1]}" = 0 ]
    [ "${lines[2]}" = 0 ]
    [[ "${lines[3]}" == *"Read-only file system"* ]]
    [[ "${lines[4]}" == *"Read-only file system"* ]]
    [[ "${lines[5]}" == *"Read-only file system"* ]]
}

@test "/dev has the default devices, symlinks, pts and linux.devices" {
    config 'linux.devices=[{"path":"/dev/hulltest","type":"c","major":1,"minor":3,"fileMode":432,"uid":5,"gid":6}]'
    set_cmd 'for d in null zero full random urandom tty hulltest; do stat -c "%n %F %t:%T %a %u:%g" /dev/$d; done; for l in fd stdin ptmx; do readlink /dev/$l; done; echo x > /dev/null && echo null-ok'
    run hull run --bundle "$BUNDLE" "$ID"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "/dev/null character special file 1:3 666 0:0" ]
    [ "${lines[1]}" = "/dev/zero character special file 1:5 666 0:0" ]
    [ "${lines[5]}" = "/dev/tty character special file 5:0 666 0:0" ]
    [ "${lines[6]}" = "/dev/hulltest character special file 1:3 660 5:6" ]
    [ "${lines[7]}" = /proc/self/fd ]
    [ "${lines[8]}" = /proc/self/fd/0 ]
    [ "${lines[9]}" = pts/ptmx ]
    [ "${lines[10]}" = null-ok ]
}

@test "cwd is honoured and created paths stay inside the rootfs" {
    mkdir -p "$BUNDLE/rootfs/work/dir"
    config 'process.cwd="/work/dir"'
    set_cmd 'pwd'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$output" = /work/dir ]
}

@test "CVE-2021-30465 shape: a mount destination symlinked outside the rootfs stays inside" {
    mkdir -p "$TEST_DIR/outside"
    ln -s "$TEST_DIR/outside" "$BUNDLE/rootfs/escape"
    config 'mounts+={"destination":"/escape","type":"tmpfs","source":"tmpfs","options":["size=1m"]}'
    set_cmd 'touch /escape/marker && echo written'
    run hull run --bundle "$BUNDLE" "$ID"
    # Either outcome is safe: the mount lands inside the rootfs, or create fails naming it.
    if [ "$status" -eq 0 ]; then
        [ "$output" = written ]
    else
        [[ "$output" == *"mount tmpfs on /escape (mounts[7])"* ]]
        assert_nothing_left "$ID"
    fi
    [ -z "$(ls -A "$TEST_DIR/outside")" ]
    ! grep -q "$TEST_DIR/outside" /proc/self/mountinfo
}

@test "CVE-2019-19921 shape: /proc as a symlink is refused" {
    rmdir "$BUNDLE/rootfs/proc"
    mkdir "$BUNDLE/rootfs/fakeproc"
    ln -s /fakeproc "$BUNDLE/rootfs/proc"
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"/proc must be a directory, not a symlink"* ]]
    assert_nothing_left "$ID"
}

@test "CVE-2025-31133 shape: /dev/null symlinked to a host file is not used for masking" {
    echo secret > "$TEST_DIR/hostfile"
    config '-mounts.1'   # no /dev tmpfs: the image's /dev is used
    config '-mounts.1' '-mounts.1'  # drop /dev/pts and /dev/shm which live under /dev
    ln -s "$TEST_DIR/hostfile" "$BUNDLE/rootfs/dev/null"
    run hull run --bundle "$BUNDLE" "$ID"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"/dev/null"* ]]
    [ "$(cat "$TEST_DIR/hostfile")" = secret ]
    assert_nothing_left "$ID"
}

@test "no-pivot runs the container with MS_MOVE and chroot" {
    set_cmd 'ls / | wc -l; echo ok'
    run hull run --no-pivot --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[1]}" = ok ]
}

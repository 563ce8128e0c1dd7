#!/usr/bin/env bats
# The container's filesystem: mounts and their flags, masked and read-only paths, /dev, and
# the symlink attacks runtimes have had CVEs for.
load helpers

# mount_opts DEST: "per-mount-options super-options" of DEST in a mountinfo on stdin.
mount_opts() {
    awk -v d="$1" '$5 == d { for (i = 7; i <= NF; i++) if ($i == "-") break; print $6, $(i + 3) }' | tail -1
}

@test "config mounts appear in mountinfo with their flags" {
    config "@[m.update(options=['nosuid', 'noexec', 'nodev']) for m in c['mounts'] if m['destination'] == '/proc']"
    set_cmd 'cat /proc/self/mountinfo'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [[ "$(mount_opts /proc <<<"$output")" == *nosuid,nodev,noexec* ]]
    [[ "$(mount_opts /sys <<<"$output")" == ro,* ]]
    [[ "$(mount_opts /dev <<<"$output")" == *nosuid* ]]
    [[ "$(mount_opts /dev/shm <<<"$output")" == *nosuid,nodev,noexec* ]]
    awk '$5 == "/dev/pts"' <<<"$output" | grep -q ' - devpts '
    awk '$5 == "/dev/mqueue"' <<<"$output" | grep -q ' - mqueue '
    awk '$5 == "/proc"' <<<"$output" | grep -q ' - proc '
    awk '$5 == "/sys"' <<<"$output" | grep -q ' - sysfs '
}

@test "bind mounts of a host directory and a file, ro and rw" {
    mkdir -p "$TEST_DIR/host"
    echo data > "$TEST_DIR/host/file"
    config "mounts+={\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$TEST_DIR/host\",\"options\":[\"bind\",\"ro\"]}" \
        "mounts+={\"destination\":\"/etc/file\",\"type\":\"bind\",\"source\":\"$TEST_DIR/host/file\",\"options\":[\"bind\",\"ro\"]}" \
        "mounts+={\"destination\":\"/rw\",\"type\":\"bind\",\"source\":\"$TEST_DIR/host\",\"options\":[\"bind\"]}"
    set_cmd 'cat /data/file /etc/file; touch /data/x 2>&1; touch /rw/written && echo rw-ok'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = data ]
    [ "${lines[1]}" = data ]
    [[ "${lines[2]}" == *"Read-only file system"* ]]
    [ "${lines[3]}" = rw-ok ]
    [ -f "$TEST_DIR/host/written" ]
    [ ! -e "$TEST_DIR/host/x" ]
}

@test "rbind carries submounts, bind does not" {
    mkdir -p "$TEST_DIR/host/sub"
    mount -t tmpfs -o size=1m none "$TEST_DIR/host/sub"
    echo in-sub > "$TEST_DIR/host/sub/f"
    config "mounts+={\"destination\":\"/r\",\"type\":\"bind\",\"source\":\"$TEST_DIR/host\",\"options\":[\"rbind\"]}" \
        "mounts+={\"destination\":\"/b\",\"type\":\"bind\",\"source\":\"$TEST_DIR/host\",\"options\":[\"bind\"]}"
    set_cmd 'cat /r/sub/f; ls /b/sub | wc -l'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = in-sub ]
    [ "${lines[1]}" = 0 ]
}

@test "rro makes a recursive bind read-only down to its submounts" {
    skip_if_runc "runc 1.1.5 has no rro (config.md mount options; added in runc 1.2)"
    mkdir -p "$TEST_DIR/host/sub"
    mount -t tmpfs -o size=1m none "$TEST_DIR/host/sub"
    config "mounts+={\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$TEST_DIR/host\",\"options\":[\"rbind\",\"rro\"]}"
    set_cmd 'touch /data/x 2>&1; touch /data/sub/x 2>&1; echo done'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == *"Read-only file system"* ]]
    [[ "${lines[1]}" == *"Read-only file system"* ]]
    [ ! -e "$TEST_DIR/host/sub/x" ]
}

@test "tmpfs with size, mode and noexec" {
    config 'mounts+={"destination":"/scratch","type":"tmpfs","source":"tmpfs","options":["size=1m","mode=700","noexec"]}'
    set_cmd 'stat -c %a /scratch; df -k /scratch | tail -1 | awk "{print \$2}"; grep " /scratch " /proc/self/mountinfo'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 700 ]
    [ "${lines[1]}" = 1024 ]
    [[ "${lines[2]}" == *noexec* ]]
    [[ "${lines[2]}" == *" - tmpfs "* ]]
}

@test "tmpfs without mode= on an existing directory takes that directory's mode, as runc's does" {
    mkdir "$BUNDLE/rootfs/private"
    chmod 0750 "$BUNDLE/rootfs/private"
    config 'mounts+={"destination":"/private","type":"tmpfs","source":"tmpfs","options":["nosuid"]}' \
        'mounts+={"destination":"/fresh","type":"tmpfs","source":"tmpfs","options":["nosuid"]}'
    set_cmd 'stat -c %a /private /fresh; grep " /private " /proc/self/mountinfo'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 750 ]
    [ "${lines[1]}" = 1777 ]   # a directory the runtime made: tmpfs's own default
    [[ "${lines[2]}" == *" - tmpfs "* ]]
}

@test "a read-only /dev mount gets its devices and submounts, then is read-only, as runc's" {
    config '@for m in c["mounts"]:
    if m["destination"] == "/dev": m["options"].append("ro")'
    set_cmd 'echo x > /dev/null && echo null-works; [ -c /dev/zero ] && echo zero; [ -L /dev/stdout ] && echo links; grep -q " /dev/pts " /proc/self/mountinfo && echo pts; grep " /dev " /proc/self/mountinfo | cut -d" " -f6; touch /dev/new 2>/dev/null || echo refused'
    run rt run --bundle "$BUNDLE" "$ID"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = null-works ] && [ "${lines[1]}" = zero ] && [ "${lines[2]}" = links ] && [ "${lines[3]}" = pts ]
    [[ "${lines[4]}" == ro,* ]]
    [ "${lines[5]}" = refused ]
}

@test "maskedPaths: files read empty, directories are empty" {
    mkdir -p "$BUNDLE/rootfs/root/secret"
    touch "$BUNDLE/rootfs/root/secret/a"
    # /proc/kcore is masked by default but this kernel has none: /proc/timer_list stands in.
    [ "$(wc -c < /proc/timer_list)" -gt 0 ]
    config 'linux.maskedPaths+="/etc/passwd"' 'linux.maskedPaths+="/root/secret"' 'linux.maskedPaths+="/proc/timer_list"'
    set_cmd 'wc -c < /etc/passwd; wc -c < /proc/timer_list; ls -A /root/secret | wc -l; (echo x > /root/secret/b) 2>&1 || echo no-write'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 0 ]
    [ "${lines[1]}" = 0 ]
    [ "${lines[2]}" = 0 ]
    [[ "${lines[3]}" == *"Read-only file system"* ]]
    [ "${lines[4]}" = no-write ]
    [ -f "$BUNDLE/rootfs/root/secret/a" ]
}

@test "readonlyPaths give EROFS on write" {
    config 'linux.readonlyPaths+="/tmp"' 'linux.readonlyPaths+="/proc/sys"'
    set_cmd 'touch /tmp/x 2>&1; (echo 1 > /proc/sys/kernel/msgmax) 2>&1; echo done'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == *"Read-only file system"* ]]
    [[ "${lines[1]}" == *"Read-only file system"* ]]
    [ ! -e "$BUNDLE/rootfs/tmp/x" ]
}

@test "root.readonly makes / read-only while mounts stay writable" {
    config 'root.readonly=true'
    set_cmd 'touch /x 2>&1; touch /dev/shm/ok && echo shm-ok'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == *"Read-only file system"* ]]
    [ "${lines[1]}" = shm-ok ]
    [ ! -e "$BUNDLE/rootfs/x" ]
}

@test "/dev has the default devices, fd symlinks, pts and ptmx" {
    set_cmd 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T" /dev/$d; done
             for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done
             stat -c "%F" /dev/pts/ptmx; echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | wc -c'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "/dev/null character special file 1:3" ]
    [ "${lines[1]}" = "/dev/zero character special file 1:5" ]
    [ "${lines[2]}" = "/dev/full character special file 1:7" ]
    [ "${lines[3]}" = "/dev/random character special file 1:8" ]
    [ "${lines[4]}" = "/dev/urandom character special file 1:9" ]
    [ "${lines[5]}" = "/dev/tty character special file 5:0" ]
    [ "${lines[6]}" = "fd -> /proc/self/fd" ]
    [ "${lines[7]}" = "stdin -> /proc/self/fd/0" ]
    [ "${lines[8]}" = "stdout -> /proc/self/fd/1" ]
    [ "${lines[9]}" = "stderr -> /proc/self/fd/2" ]
    [ "${lines[10]}" = "ptmx -> pts/ptmx" ]
    [ "${lines[11]}" = "character special file" ]
    [ "${lines[12]}" = null-ok ]
    [ "${lines[13]}" = 4 ]
}

@test "linux.devices entries are created with type, numbers, mode, uid and gid" {
    config 'linux.devices=[{"path":"/dev/hulltest","type":"c","major":1,"minor":3,"fileMode":432,"uid":5,"gid":6},{"path":"/dev/fuse","type":"c","major":10,"minor":229,"fileMode":438,"uid":0,"gid":0}]'
    set_cmd 'stat -c "%n %F %t:%T %a %u:%g" /dev/hulltest /dev/fuse'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "/dev/hulltest character special file 1:3 660 5:6" ]
    [ "${lines[1]}" = "/dev/fuse character special file a:e5 666 0:0" ]
}

@test "process.cwd is honoured" {
    mkdir -p "$BUNDLE/rootfs/work/dir"
    config 'process.cwd="/work/dir"'
    set_cmd 'pwd'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$output" = /work/dir ]
}

@test "CVE-2021-30465 shape: a mount destination symlinked outside the rootfs does not touch the host" {
    mkdir -p "$TEST_DIR/outside"
    ln -s "$TEST_DIR/outside" "$BUNDLE/rootfs/escape"
    config 'mounts+={"destination":"/escape","type":"tmpfs","source":"tmpfs","options":["size=1m"]}'
    set_cmd 'touch /escape/marker && echo written'
    run rt run --bundle "$BUNDLE" "$ID"
    # Either outcome is safe: the mount lands inside the rootfs, or create fails naming it.
    if [ "$status" -eq 0 ]; then
        [ "$output" = written ]
    else
        assert_failed 'escape|symlink'
        assert_nothing_left "$ID"
    fi
    [ -z "$(ls -A "$TEST_DIR/outside")" ]
    ! grep -qF "$TEST_DIR/outside" /proc/self/mountinfo
}

@test "CVE-2019-19921 shape: a rootfs /proc that is a symlink is refused" {
    rmdir "$BUNDLE/rootfs/proc"
    mkdir "$BUNDLE/rootfs/fakeproc"
    ln -s /fakeproc "$BUNDLE/rootfs/proc"
    run rt create --bundle "$BUNDLE" "$ID"
    # runc's words, which callers match.
    assert_failed 'proc.*must be mounted on ordinary directory'
    assert_nothing_left "$ID"
    [ -z "$(ls -A "$BUNDLE/rootfs/fakeproc")" ]
}

@test "CVE-2025-31133 shape: an image /dev/null symlinked to a host file is not used for masking" {
    skip_if_runc "runc 1.1.5 predates the CVE-2025-31133 fix"
    echo secret > "$TEST_DIR/hostfile"
    drop_mount /dev
    drop_mount /dev/pts
    drop_mount /dev/shm
    drop_mount /dev/mqueue
    ln -s "$TEST_DIR/hostfile" "$BUNDLE/rootfs/dev/null"
    # The default devices replace what the image has at their paths (the symlink is not followed).
    set_cmd 'stat -c "%F %t:%T" /dev/null; echo x > /dev/null; stat -c "%t:%T" /proc/timer_list'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "character special file 1:3" ]
    [ "${lines[1]}" = 1:3 ]  # masked with it
    [ "$(cat "$TEST_DIR/hostfile")" = secret ]
    assert_nothing_left "$ID"
}

@test "Default Devices: a rootfs without /dev/null and no /dev mount in the config gets them" {
    drop_mount /dev
    drop_mount /dev/pts
    drop_mount /dev/shm
    drop_mount /dev/mqueue
    rm -rf "$BUNDLE/rootfs/dev"
    mkdir "$BUNDLE/rootfs/dev"
    mknod -m 600 "$BUNDLE/rootfs/dev/keep" c 1 3  # the image's own nodes stay
    set_cmd 'for d in null zero full random urandom tty; do stat -c "%n %t:%T" /dev/$d; done; ls /dev/keep'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "/dev/null 1:3" ]
    [ "${lines[5]}" = "/dev/tty 5:0" ]
    [ "${lines[6]}" = /dev/keep ]
}

@test "--no-pivot runs the container with its rootfs as /" {
    set_cmd 'ls /bin/busybox; cat /proc/self/mountinfo | wc -l'
    run rt run --no-pivot --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = /bin/busybox ]
}

@test "--no-pivot exposes no whole /proc: a user namespace inside cannot mount a fresh one (runc's 'mount: permission denied')" {
    config 'process.capabilities.bounding+="CAP_SETFCAP"' 'process.capabilities.permitted+="CAP_SETFCAP"' \
        'process.args=["unshare","-mrpf","sh","-euxc","mount -t proc none /proc && echo h > /proc/sysrq-trigger"]'
    run rt run --no-pivot --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"mount: permission denied"* ]]
    # The runtime's own /proc is untouched.
    [ -r /proc/self/mountinfo ]
}

@test "rootfsPropagation applies to the container's / (private, slave, shared, unbindable)" {
    # mountinfo's optional fields of / inside: shared:N, master:N, unbindable, or none (private).
    set_cmd 'awk '\''$5 == "/" {for (i = 7; $i != "-"; i++) printf "%s ", $i; print "end"}'\'' /proc/self/mountinfo'
    for mode in private slave shared unbindable; do
        config "linux.rootfsPropagation=\"$mode\""
        run rt run --bundle "$BUNDLE" "$ID-$mode"
        echo "$mode: $output"
        [ "$status" -eq 0 ]
        case $mode in
            private) [ "$output" = end ] ;;
            slave) [[ "$output" == *master:* ]] && [[ "$output" != *shared:* ]] ;;
            shared) [[ "$output" == *shared:* ]] ;;
            unbindable) [[ "$output" == *unbindable* ]] ;;
        esac
    done
}

@test "rshared bind: a mount made inside the container appears on the host (Bidirectional); rslave does not send back" {
    mkdir -p "$TEST_DIR/shared" "$TEST_DIR/slave"
    # Kubernetes makes the host path a shared mount; this host's / is private.
    for d in shared slave; do
        mount --bind "$TEST_DIR/$d" "$TEST_DIR/$d"
        mount --make-shared "$TEST_DIR/$d"
    done
    config "mounts+={\"destination\":\"/mnt/shared\",\"type\":\"bind\",\"source\":\"$TEST_DIR/shared\",\"options\":[\"rbind\",\"rshared\"]}" \
        "mounts+={\"destination\":\"/mnt/slave\",\"type\":\"bind\",\"source\":\"$TEST_DIR/slave\",\"options\":[\"rbind\",\"rslave\"]}" \
        'process.capabilities={"bounding":["CAP_SYS_ADMIN"],"effective":["CAP_SYS_ADMIN"],"permitted":["CAP_SYS_ADMIN"]}'
    set_cmd 'mkdir -p /mnt/shared/sub /mnt/slave/sub && mount -t tmpfs in /mnt/shared/sub && echo hi > /mnt/shared/sub/f &&
             mount -t tmpfs in /mnt/slave/sub && grep -c " /mnt/shared " /proc/self/mountinfo'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$output" = 1 ]  # the bind itself is there once, and did not propagate back to the host
    [ "$(cat "$TEST_DIR/shared/sub/f")" = hi ]
    grep -q " $TEST_DIR/shared/sub " /proc/self/mountinfo
    ! grep -q " $TEST_DIR/slave/sub " /proc/self/mountinfo
    ! grep -q " $BUNDLE/rootfs" /proc/self/mountinfo
}

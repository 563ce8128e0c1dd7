#!/usr/bin/env bats
# e2e-packages: podman conmon uidmap slirp4netns fuse-overlayfs util-linux
# e2e-views: host
# Rootless podman 4.3 on hull: a user the suite makes (subuid/subgid ranges, removed afterwards)
# runs `podman --runtime hull` with its own XDG_RUNTIME_DIR, cgroupfs and the file events
# logger (no systemd here), the overlay storage driver. podman runs hull as root of its own user namespace; on this hybrid
# host containers have no cgroup. Networking is --network none: slirp4netns needs /dev/net/tun,
# which this host does not give an unprivileged user.
bats_require_minimum_version 1.5.0
HERE=${BATS_TEST_DIRNAME:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
HULL_BIN=${HULL_BIN:-$HERE/../../build/src/cli/hull}
IMAGE=localhost/hull-e2e-busybox:latest

setup_file() {
    command -v podman >/dev/null || { echo "podman is not installed (tests/e2e/run.sh installs it)" >&2; return 1; }
    command -v newuidmap >/dev/null || { echo "newuidmap is not installed (package uidmap)" >&2; return 1; }
    PMR_DIR=$(mktemp -d /tmp/hull-e2e-podman-rootless.XXXXXX)
    chmod 755 "$PMR_DIR"
    PMR_USER=hullpmr$$
    useradd -m -d "$PMR_DIR/home" -s /bin/sh "$PMR_USER"
    usermod --add-subuids 1500000-1565535 --add-subgids 1500000-1565535 "$PMR_USER"
    PMR_UID=$(id -u "$PMR_USER")
    export PMR_DIR PMR_USER PMR_UID
    mkdir -m 700 "$PMR_DIR/xdg" "$PMR_DIR/root" "$PMR_DIR/runroot"
    cp "$HULL_BIN" "$PMR_DIR/hull"
    chmod 755 "$PMR_DIR/hull"
    cat >"$PMR_DIR/containers.conf" <<EOC
[containers]
default_ulimits = ["nofile=1024:1024"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PMR_DIR/xdg/events.log"
runtime = "hull"
runtime_supports_json = ["crun", "runc", "hull"]

[engine.runtimes]
hull = ["$PMR_DIR/hull"]
EOC
    "$HERE/../integration/make-bundle.sh" "$PMR_DIR/image" >/dev/null
    tar -C "$PMR_DIR/image/rootfs" -cf "$PMR_DIR/image.tar" .
    rm -rf "$PMR_DIR/image"
    mkdir -p "$PMR_DIR/vol"
    echo volume-data >"$PMR_DIR/vol/f"
    chown -R "$PMR_USER:$PMR_USER" "$PMR_DIR/xdg" "$PMR_DIR/root" "$PMR_DIR/runroot" "$PMR_DIR/vol" "$PMR_DIR/containers.conf" "$PMR_DIR/image.tar"
    pm import --quiet "$PMR_DIR/image.tar" "$IMAGE" >/dev/null
}

teardown_file() {
    [ -n "${PMR_DIR:-}" ] && [ -d "$PMR_DIR" ] || return 0
    pm rm --all --force --time 0 >/dev/null 2>&1 || true
    local pid mnt
    for pid in $(ps -o pid= -u "$PMR_UID" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    sleep 0.2
    for mnt in $(awk -v d="$PMR_DIR/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
        umount -l "$mnt" 2>/dev/null || true
    done
    userdel "$PMR_USER" 2>/dev/null || true
    sed -i "/^$PMR_USER:/d" /etc/subuid /etc/subgid
    # podman's vfs layers hold files of the user's subordinate ids.
    rm -rf "$PMR_DIR"
}

teardown() { pm rm --all --force --time 0 >/dev/null 2>&1 || true; }

# pm ARGS...: podman as the test user, rootless, on hull (in its home: conmon writes to its cwd).
pm() {
    (cd "$PMR_DIR/home" && setpriv --reuid="$PMR_UID" --regid="$PMR_UID" --init-groups \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$PMR_DIR/home" XDG_RUNTIME_DIR="$PMR_DIR/xdg" \
        CONTAINERS_CONF="$PMR_DIR/containers.conf" podman --root "$PMR_DIR/root" --runroot "$PMR_DIR/runroot" \
        --storage-driver overlay --cgroup-manager cgroupfs --events-backend file --runtime "$PMR_DIR/hull" "$@")
}

@test "rootless podman: run --rm returns the exit code; uid 0 inside is the user outside; nothing left" {
    run --separate-stderr pm run --rm --network none "$IMAGE" sh -c 'id -u; cat /proc/self/uid_map; exit 7'
    [ "$status" -eq 7 ]
    [ "${lines[0]}" = 0 ]
    [ "$(echo ${lines[1]})" = "0 $PMR_UID 1" ]
    [ -z "$(pm ps -aq)" ]
    # hull's state went with it, in the user's default root.
    [ -z "$(ls -A "$PMR_DIR/xdg/hull" 2>/dev/null)" ]
}

@test "rootless podman: run -d, exec, logs, stop, rm" {
    pm run -d --name bg --network none "$IMAGE" sh -c 'trap "exit 0" TERM; echo started; while :; do sleep 0.1; done'
    run pm exec bg sh -c 'echo in-exec; id -u'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = in-exec ]
    [ "${lines[1]}" = 0 ]
    run pm logs bg
    [ "$output" = started ]
    pm stop -t 5 bg
    [ "$(pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' bg)" = "exited 0" ]
    pm rm bg
    [ -z "$(pm ps -aq)" ]
    [ -z "$(ls -A "$PMR_DIR/xdg/hull" 2>/dev/null)" ]
}

@test "rootless podman: --userns=keep-id runs as the user's own uid, mapped through newuidmap" {
    run pm run --rm --network none --userns=keep-id "$IMAGE" sh -c 'id -u; cat /proc/self/uid_map'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "$PMR_UID" ]
    [[ "$output" == *"$PMR_UID"*0*1* ]]
}

@test "rootless podman: a volume (the user's directory is root's inside)" {
    run pm run --rm --network none -v "$PMR_DIR/vol:/data" "$IMAGE" sh -c 'cat /data/f; stat -c %u /data/f; echo w > /data/new'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = volume-data ]
    [ "${lines[1]}" = 0 ]
    [ "$(stat -c %u "$PMR_DIR/vol/new")" = "$PMR_UID" ]
}

@test "rootless podman: -v SRC:DST:idmap is refused with the reason (the kernel idmaps host filesystems for root only)" {
    run pm run --rm --network none --userns=keep-id -v "$PMR_DIR/vol:/data:idmap" "$IMAGE" cat /data/f
    [ "$status" -ne 0 ]
    [[ "$output" == *"an idmapped mount needs root"* ]]
}

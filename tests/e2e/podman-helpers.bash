# Shared setup for tests/e2e/podman.bats: podman 4.3 (CNI networking, conmon) running its
# containers on the hull under test (HULL_BIN), with private storage, state, config, network
# config and IPAM dirs under one temp dir per suite run. Nothing global is changed except what
# podman itself makes per container (netns under /run/netns, cgroups under libpod_parent), which
# is removed with the containers, and one bridge (hullpm<N>) deleted in teardown_file.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HULL_BIN=${HULL_BIN:-$HERE/../../build/src/cli/hull}
HULL_BIN=$(cd "$(dirname "$HULL_BIN")" && pwd)/$(basename "$HULL_BIN")
export HULL_BIN
bats_require_minimum_version 1.5.0

IMAGE=localhost/hull-e2e-busybox:latest

# The suite's private world, made once per file run (the image import is the slow part).
podman_setup_file() {
    [ -x "$HULL_BIN" ] || { echo "HULL_BIN=$HULL_BIN is not an executable" >&2; return 1; }
    command -v podman >/dev/null || { echo "podman is not installed (tests/e2e/run.sh installs it)" >&2; return 1; }
    PODMAN_DIR=$(mktemp -d /tmp/hull-e2e-podman.XXXXXX)
    chmod 755 "$PODMAN_DIR"
    # A bridge name and a /24 of our own, so parallel runs do not meet (15 chars max for a link).
    local n=$(( $$ % 250 + 3 ))
    PODMAN_BRIDGE=hullpm$$
    PODMAN_BRIDGE=${PODMAN_BRIDGE:0:15}
    PODMAN_SUBNET=10.231.$n
    export PODMAN_DIR PODMAN_BRIDGE PODMAN_SUBNET
    export CONTAINERS_CONF=$PODMAN_DIR/containers.conf
    mkdir -p "$PODMAN_DIR/cni" "$PODMAN_DIR/ipam" "$PODMAN_DIR/tmp"
    # podman's default pids limit needs the pids controller, which the cgroup2 view of this
    # hybrid host lacks (it is bound to v1).
    local default_pids_limit=2048
    if is_cgroup2_view && ! v2_has_controller pids; then default_pids_limit=0; fi
    # The rlimits podman asks for by default (nofile/nproc 1048576) need CAP_SYS_RESOURCE, which
    # this host (and CI) lacks: ask for values below every hard limit instead.
    cat >"$CONTAINERS_CONF" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
pids_limit = $default_pids_limit

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PODMAN_DIR/events.log"
runtime = "hull"
runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "hull"]
static_dir = "$PODMAN_DIR/root/libpod"
tmp_dir = "$PODMAN_DIR/tmp"
volume_path = "$PODMAN_DIR/volumes"

[engine.runtimes]
hull = ["$HULL_BIN"]

[network]
network_backend = "cni"
cni_plugin_dirs = ["/usr/lib/cni"]
network_config_dir = "$PODMAN_DIR/cni"
default_network = "podman"
EOF
    # The default network ("podman"), with our bridge, our subnet and IPAM state in our dir;
    # no ipMasq/firewall/portmap plugins, so no iptables rules are made.
    cat >"$PODMAN_DIR/cni/hull-e2e.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "podman",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$PODMAN_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$PODMAN_DIR/ipam",
        "routes": [{ "dst": "0.0.0.0/0" }],
        "ranges": [[{ "subnet": "$PODMAN_SUBNET.0/24", "gateway": "$PODMAN_SUBNET.1" }]]
      }
    }
  ]
}
EOF
    # The image: busybox-static with its applets, root and nobody, a page for httpd.
    "$HERE/../integration/make-bundle.sh" "$PODMAN_DIR/image" >/dev/null
    mkdir -p "$PODMAN_DIR/image/rootfs/var/tmp" "$PODMAN_DIR/image/rootfs/www"
    echo "hello from hull" >"$PODMAN_DIR/image/rootfs/www/index.html"
    tar -C "$PODMAN_DIR/image/rootfs" -cf "$PODMAN_DIR/image.tar" .
    pm import --quiet "$PODMAN_DIR/image.tar" "$IMAGE" >/dev/null
    rm -rf "$PODMAN_DIR/image" "$PODMAN_DIR/image.tar"
}

podman_teardown_file() {
    [ -n "${PODMAN_DIR:-}" ] && [ -d "$PODMAN_DIR" ] || return 0
    pm rm --all --force --time 0 >/dev/null 2>&1 || true
    local mnt
    for mnt in $(awk -v d="$PODMAN_DIR/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
        umount -l "$mnt" 2>/dev/null || true
    done
    ip link delete "$PODMAN_BRIDGE" 2>/dev/null || true
    # podman's cgroupfs parent, when no other podman container uses it.
    rmdir /sys/fs/cgroup/*/libpod_parent/conmon /sys/fs/cgroup/libpod_parent/conmon 2>/dev/null || true
    rmdir /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/libpod_parent 2>/dev/null || true
    rm -rf "$PODMAN_DIR"
}

# Every test leaves no container behind, even when it fails.
podman_teardown() {
    pm rm --all --force --time 0 >/dev/null 2>&1 || true
}

# pm ARGS...: podman on hull with the suite's private storage and state. It runs in the suite's
# dir because conmon drops files in its working directory (an "oom" marker after an OOM kill).
pm() {
    (cd "$PODMAN_DIR" && CONTAINERS_CONF=$PODMAN_DIR/containers.conf podman --root "$PODMAN_DIR/root" \
        --runroot "$PODMAN_DIR/runroot" --storage-driver vfs --cgroup-manager cgroupfs --events-backend file \
        --runtime "$HULL_BIN" "$@")
}

# pm_tty 'ARGS...': podman with a pseudo-terminal as stdin/stdout (script(1)); CR removed.
pm_tty() {
    local command="CONTAINERS_CONF=$PODMAN_DIR/containers.conf podman --root $PODMAN_DIR/root --runroot $PODMAN_DIR/runroot"
    command+=" --storage-driver vfs --cgroup-manager cgroupfs --events-backend file --runtime $HULL_BIN $1"
    local rc=0
    (cd "$PODMAN_DIR" && script -qec "$command" /dev/null </dev/null >"$PODMAN_DIR/tty.out") || rc=$?
    # The tty echoes the NUL podman's attach sends first as "^@".
    tr -d '\r\000' <"$PODMAN_DIR/tty.out" | sed 's/^\^@//'
    return "$rc"
}

# field CONTAINER GO-TEMPLATE
field() { pm inspect --format "$2" "$1"; }

wait_for_status() {  # CONTAINER STATUS
    local i
    for i in $(seq 100); do
        [ "$(field "$1" '{{.State.Status}}' 2>/dev/null)" = "$2" ] && return 0
        sleep 0.1
    done
    echo "status of $1 is $(field "$1" '{{.State.Status}}'), wanted $2"
    return 1
}

wait_for_log() {  # CONTAINER TEXT
    local i
    for i in $(seq 100); do
        pm logs "$1" 2>&1 | grep -qF -- "$2" && return 0
        sleep 0.1
    done
    echo "no \"$2\" in the logs of $1: $(pm logs "$1" 2>&1)"
    return 1
}

# cgroup_dir CONTAINER CONTROLLER: the host directory of the container's cgroup for a v1
# controller, or the cgroup2 directory when the host has no v1 hierarchy for it.
cgroup_dir() {
    local pid path
    pid=$(field "$1" '{{.State.Pid}}')
    path=$(awk -F: -v c="$2" '{n = split($2, cs, ","); for (i = 1; i <= n; i++) if (cs[i] == c) print $3}' "/proc/$pid/cgroup")
    if [ -n "$path" ] && [ -d "/sys/fs/cgroup/$2$path" ]; then
        echo "/sys/fs/cgroup/$2$path"
        return
    fi
    path=$(awk -F: '$1 == "0" {print $3}' "/proc/$pid/cgroup")
    local root=/sys/fs/cgroup
    [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || root=/sys/fs/cgroup/unified
    echo "$root$path"
}

# Whether the host's cgroup2 tree can limit CONTROLLER (false on this hybrid host's v2 view,
# where memory/pids/cpu stay bound to v1 hierarchies).
v2_has_controller() { grep -qw "$1" /sys/fs/cgroup/cgroup.controllers 2>/dev/null; }
is_cgroup2_view() { [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; }

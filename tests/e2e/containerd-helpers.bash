# Shared setup for containerd.bats: a private containerd daemon (own root, state, sockets and
# namespace under one temp dir) whose runc v2 shim runs the hull under test, and a busybox-static
# image built locally as an OCI archive and imported with `ctr images import`.
#   HULL_BIN        the hull to test (default: build/src/cli/hull of this checkout)
# Two daemons: "hybrid" sees the host's cgroups; "cgroup2" runs (with its shims and hull) in a
# private mount namespace that sees a pure cgroup2 hierarchy at /sys/fs/cgroup. On this host
# cgroup2 has no cpu/memory/pids controllers (they are bound to v1), so there ctr runs with
# --cpu-shares 0 (ctr's default 1024 asks for cpu.weight).
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HULL_BIN=${HULL_BIN:-$E2E_DIR/../../build/src/cli/hull}
HULL_BIN=$(cd "$(dirname "$HULL_BIN")" && pwd)/$(basename "$HULL_BIN")
export HULL_BIN
bats_require_minimum_version 1.5.0

IMAGE=docker.io/library/hull-e2e-busybox:latest

# ensure_containerd: installs containerd (and with it the runc v2 shim) with apt-get if missing.
ensure_containerd() {
    command -v containerd >/dev/null && command -v ctr >/dev/null &&
        command -v containerd-shim-runc-v2 >/dev/null && return 0
    DEBIAN_FRONTEND=noninteractive apt-get install -o DPkg::Lock::Timeout=600 -y -qq \
        --no-install-recommends containerd >/dev/null
}

# build_image_archive DIR OUT.tar: writes an OCI image archive of a busybox-static rootfs ($IMAGE).
build_image_archive() { "$E2E_DIR/make-image.sh" busybox "$IMAGE" "$2"; }

# start_containerd MODE [CRI_CONFIG]: writes the config and starts the daemon (MODE hybrid or
# cgroup2) in the background; sets CTRD_* and saves them in $CTRD_DIR/env for use_daemon. Without
# CRI_CONFIG the CRI plugin is disabled; with it, it runs in the namespace k8s.io, configured by
# the TOML tables the function CRI_CONFIG prints (called once CTRD_DIR is made), and the shims'
# runc root is the one that TOML gives the hull runtime: $CTRD_DIR/hull-root.
start_containerd() {
    CTRD_MODE=$1
    local cri_config=${2:-}
    CTRD_DIR=$(mktemp -d /tmp/hull-ctrd.XXXXXX)
    chmod 755 "$CTRD_DIR"
    CTRD_SOCK=$CTRD_DIR/containerd.sock
    CTRD_NS=hull-e2e-$CTRD_MODE-$$
    CTRD_RUNC_ROOT=$CTRD_DIR/runc
    if [ -n "$cri_config" ]; then
        CTRD_NS=k8s.io
        CTRD_RUNC_ROOT=$CTRD_DIR/hull-root
    fi
    mkdir -p "$CTRD_DIR"/{root,state,opt,fifo} "$CTRD_RUNC_ROOT"
    {
        echo "version = 2"
        echo "root = \"$CTRD_DIR/root\""
        echo "state = \"$CTRD_DIR/state\""
        [ -n "$cri_config" ] || echo 'disabled_plugins = ["io.containerd.grpc.v1.cri"]'
        cat <<EOF
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$CTRD_SOCK.ttrpc"
[debug]
  address = "$CTRD_DIR/debug.sock"
  level = "debug"
[plugins."io.containerd.internal.v1.opt"]
  path = "$CTRD_DIR/opt"
EOF
        [ -z "$cri_config" ] || "$cri_config"
    } >"$CTRD_DIR/config.toml" || return 1
    local cmd=(containerd --config "$CTRD_DIR/config.toml")
    if [ "$CTRD_MODE" = cgroup2 ]; then
        # Only this daemon and its children (shims, hull) see the pure cgroup2 tree.
        cmd=(unshare -m --propagation private sh -c \
            'umount -l /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' x "${cmd[@]}")
    fi
    "${cmd[@]}" >"$CTRD_DIR/containerd.log" 2>&1 &
    CTRD_PID=$!
    echo "$CTRD_PID" >"$CTRD_DIR/containerd.pid"
    local i
    for i in $(seq 100); do
        ctr_ version >/dev/null 2>&1 && break
        kill -0 "$CTRD_PID" 2>/dev/null || { cat "$CTRD_DIR/containerd.log" >&2; return 1; }
        sleep 0.1
    done
    ctr_ version >/dev/null || { tail -20 "$CTRD_DIR/containerd.log" >&2; return 1; }
    declare -p CTRD_MODE CTRD_DIR CTRD_SOCK CTRD_NS CTRD_RUNC_ROOT CTRD_PID | sed 's/^declare -- //' \
        >"$CTRD_DIR/env"
}

# use_daemon MODE: points ctr_ and the other helpers at the daemon setup_file started for MODE.
use_daemon() {
    local env_var=CTRD_ENV_$1
    [ -f "${!env_var:-}" ] || { echo "no $1 containerd was started" >&2; return 1; }
    # shellcheck disable=SC1090
    source "${!env_var}"
    CTRD_ENV=${!env_var}
}

# stop_containerd: removes what is left in our namespace, stops the shims this daemon started and
# the daemon (by PID), removes the cgroups, mounts and the temp dir.
stop_containerd() {
    [ -n "${CTRD_DIR:-}" ] || return 0
    local id pid mnt
    if [ -n "${CTRD_PID:-}" ] && kill -0 "$CTRD_PID" 2>/dev/null; then
        for id in $(ctr_ task ls -q 2>/dev/null); do
            remove_container "$id"
        done
        for id in $(ctr_ container ls -q 2>/dev/null); do
            ctr_ container delete "$id" >/dev/null 2>&1 || true
        done
    fi
    # Shims outlive the daemon; ours are the ones given our socket address. A killed shim leaves
    # its socket (under /run/containerd/s), named in its bundle's address file.
    local sockets
    sockets=$(sed -n 's|^unix://||p' "$CTRD_DIR"/state/io.containerd.runtime.v2.task/"$CTRD_NS"/*/address 2>/dev/null)
    for pid in $(pgrep -f -- "-address $CTRD_SOCK( |$)" 2>/dev/null); do
        kill -KILL "$pid" 2>/dev/null || true
    done
    for mnt in $sockets; do
        [ -S "$mnt" ] && rm -f "$mnt"
    done
    if [ -n "${CTRD_PID:-}" ]; then
        kill -TERM "$CTRD_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$CTRD_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$CTRD_PID" 2>/dev/null || true
        wait "$CTRD_PID" 2>/dev/null || true
    fi
    for mnt in $(awk -v d="$CTRD_DIR/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
        umount -l "$mnt" 2>/dev/null || true
    done
    # ctr's default cgroup path is /<namespace>/<id>.
    rmdir /sys/fs/cgroup/*/"$CTRD_NS"/* 2>/dev/null || true
    rmdir /sys/fs/cgroup/*/"$CTRD_NS" 2>/dev/null || true
    # The 1.6 shim makes /run/containerd/runc/<namespace> whatever --runc-root says, and its
    # socket's dir /run/containerd/s; removed when no other daemon's shim uses them.
    rmdir "/run/containerd/runc/$CTRD_NS" /run/containerd/runc /run/containerd/s /run/containerd 2>/dev/null || true
    rm -rf "$CTRD_DIR"
}

ctr_() { ctr --address "$CTRD_SOCK" --namespace "$CTRD_NS" "$@"; }

# ctr_run ARGS...: `ctr run` with the shim pointed at hull and our private runc root.
ctr_run() {
    local extra=()
    [ "$CTRD_MODE" = cgroup2 ] && extra=(--cpu-shares 0)
    ctr_ run --runc-binary "$HULL_BIN" --runc-root "$CTRD_RUNC_ROOT" --fifo-dir "$CTRD_DIR/fifo" \
        "${extra[@]}" "$@"
}

# ctr_exec ARGS...: `ctr task exec` with its fifos in our temp dir.
ctr_exec() { ctr_ task exec --fifo-dir "$CTRD_DIR/fifo" "$@"; }

# cgroup_dir CONTROLLER ID: the host path of the container's cgroup for a v1 controller (hybrid)
# or of its cgroup2 dir (cgroup2: the view's root is the host's unified hierarchy).
cgroup_dir() {
    if [ "$CTRD_MODE" = cgroup2 ]; then
        echo "/sys/fs/cgroup/unified/$CTRD_NS/$2"
    else
        echo "/sys/fs/cgroup/$1/$CTRD_NS/$2"
    fi
}

# new_id: a unique container id for this test.
new_id() { echo "hull-e2e-${BATS_TEST_NUMBER}-$RANDOM"; }

# run_detached ID CMD...: starts a long-running container and waits until its task runs.
run_detached() {
    local id=$1
    shift
    ctr_run -d "$IMAGE" "$id" "$@" >/dev/null
    wait_task_status "$id" RUNNING
}

# task_status ID: RUNNING, PAUSED, STOPPED... from `ctr task ls`.
task_status() { ctr_ task ls | awk -v id="$1" '$1 == id {print $3}'; }

# wait_task_status ID STATUS: polls for up to 5 s.
wait_task_status() {
    local i
    for i in $(seq 50); do
        [ "$(task_status "$1")" = "$2" ] && return 0
        sleep 0.1
    done
    echo "task $1 is $(task_status "$1"), not $2" >&2
    return 1
}

# remove_container ID: kills, deletes the task and the container (for teardown).
remove_container() {
    # Resumed first: a frozen cgroup v1 task cannot die.
    [ "$(task_status "$1")" = PAUSED ] && { ctr_ task resume "$1" >/dev/null 2>&1 || true; }
    ctr_ task kill -s KILL "$1" >/dev/null 2>&1 || true
    for _ in $(seq 30); do
        [ "$(task_status "$1")" = RUNNING ] || break
        sleep 0.1
    done
    timeout 30 ctr --address "$CTRD_SOCK" --namespace "$CTRD_NS" task delete --force "$1" >/dev/null 2>&1 || true
    ctr_ container delete "$1" >/dev/null 2>&1 || true
}

# hull_ ARGS...: hull with the shim's root for our namespace, in the daemon's mount namespace
# (so it sees the same cgroup hierarchy as the shim).
hull_() {
    timeout -k 5 60 nsenter --mount="/proc/$CTRD_PID/ns/mnt" -- "$HULL_BIN" --root "$CTRD_RUNC_ROOT/$CTRD_NS" "$@"
}

# hull_state ID FIELD: a field of `hull state`.
hull_state() {
    hull_ state "$1" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}

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

# build_image_archive DIR OUT.tar: writes an OCI image archive of a busybox-static rootfs.
build_image_archive() {
    local dir=$1 out=$2 busybox applet
    busybox=$(command -v busybox)
    local rootfs=$dir/rootfs layout=$dir/layout
    rm -rf "$rootfs" "$layout"
    mkdir -p "$rootfs"/{bin,etc,proc,sys,dev,tmp,root} "$layout/blobs/sha256"
    cp "$busybox" "$rootfs/bin/busybox"
    for applet in $("$rootfs/bin/busybox" --list); do
        [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
        >"$rootfs/etc/passwd"
    printf 'root:x:0:\nnobody:x:65534:\n' >"$rootfs/etc/group"
    chmod 1777 "$rootfs/tmp"
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$rootfs" -cf "$dir/layer.tar" .
    python3 - "$dir/layer.tar" "$layout" "$IMAGE" <<'EOF'
import hashlib, json, os, shutil, sys
layer, layout, name = sys.argv[1:]
blobs = os.path.join(layout, "blobs", "sha256")
def put(data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest, len(data)
with open(layer, "rb") as f:
    layer_digest, layer_size = put(f.read())
config = {"architecture": "amd64", "os": "linux",
          "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                     "Cmd": ["sh"], "WorkingDir": "/"},
          "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
          "history": [{"created_by": "hull e2e: busybox-static"}]}
config_digest, config_size = put(json.dumps(config).encode())
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": config_digest, "size": config_size},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": layer_digest, "size": layer_size}]}
manifest_digest, manifest_size = put(json.dumps(manifest).encode())
index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
         "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": manifest_digest, "size": manifest_size,
                        "platform": {"architecture": "amd64", "os": "linux"},
                        "annotations": {"io.containerd.image.name": name,
                                        "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1]}}]}
with open(os.path.join(layout, "index.json"), "w") as f:
    json.dump(index, f)
with open(os.path.join(layout, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
EOF
    tar -C "$layout" -cf "$out" oci-layout index.json blobs
}

# start_containerd MODE: writes the config and starts the daemon (MODE hybrid or cgroup2) in the
# background; sets CTRD_* and saves them in $CTRD_DIR/env for use_daemon.
start_containerd() {
    CTRD_MODE=$1
    CTRD_DIR=$(mktemp -d /tmp/hull-ctrd.XXXXXX)
    chmod 755 "$CTRD_DIR"
    CTRD_SOCK=$CTRD_DIR/containerd.sock
    CTRD_NS=hull-e2e-$CTRD_MODE-$$
    CTRD_RUNC_ROOT=$CTRD_DIR/runc
    mkdir -p "$CTRD_DIR"/{root,state,opt,fifo} "$CTRD_RUNC_ROOT"
    cat >"$CTRD_DIR/config.toml" <<EOF
version = 2
root = "$CTRD_DIR/root"
state = "$CTRD_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
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
    # Shims outlive the daemon; ours are the ones given our socket address.
    for pid in $(pgrep -f -- "-address $CTRD_SOCK( |$)" 2>/dev/null); do
        kill -KILL "$pid" 2>/dev/null || true
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
    # The 1.6 shim makes /run/containerd/runc/<namespace> whatever --runc-root says.
    rmdir "/run/containerd/runc/$CTRD_NS" 2>/dev/null || true
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
    nsenter --mount="/proc/$CTRD_PID/ns/mnt" -- "$HULL_BIN" --root "$CTRD_RUNC_ROOT/$CTRD_NS" "$@"
}

# hull_state ID FIELD: a field of `hull state`.
hull_state() {
    hull_ state "$1" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}

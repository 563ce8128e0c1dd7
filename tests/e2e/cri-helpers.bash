# Shared setup for cri.bats: a private containerd 1.6 with its CRI plugin configured by
# contrib/containerd/config.toml (the runtime handler hull: runc v2 shim, BinaryName hull), a
# pause image built from Debian's catatonit, a busybox-static workload image, a private CNI
# bridge network, and tests/e2e/cri/cri.py, a CRI runtime.v1 gRPC client, to drive it.
#   HULL_BIN   the hull to test (default: build/src/cli/hull of this checkout)
# Pods get the cgroup parent /$CRI_CGROUP_PARENT (cgroupfs driver), as the kubelet's pod cgroups.
# shellcheck source=containerd-helpers.bash
source "$(dirname "${BASH_SOURCE[0]}")/containerd-helpers.bash"

CRI_PYTHON=/usr/bin/python3 # Debian's, which has python3-grpcio and python3-grpc-tools
CRI_CLIENT=$E2E_DIR/cri/cri.py
CRI_CONTRIB=$E2E_DIR/../../contrib/containerd/config.toml
PAUSE_IMAGE=docker.io/library/hull-e2e-pause:catatonit
CRI_HANDLER=hull

# cri_check_tools: fails naming what is missing (scripts/install-deps.sh installs all of it).
cri_check_tools() {
    local tool
    for tool in containerd ctr containerd-shim-runc-v2 /usr/bin/catatonit /usr/lib/cni/bridge \
        /usr/lib/cni/host-local /usr/lib/cni/loopback "$CRI_PYTHON"; do
        command -v "$tool" >/dev/null || { echo "missing $tool (scripts/install-deps.sh)" >&2; return 1; }
    done
    "$CRI_PYTHON" -c 'import grpc, grpc_tools.protoc' ||
        { echo "$CRI_PYTHON lacks grpc or grpc_tools (apt python3-grpcio python3-grpc-tools)" >&2; return 1; }
}

# cri_config: the CRI plugin's TOML for start_containerd: our settings, then the contrib file as
# it is but for the two lines that name host paths (BinaryName: the hull under test; Root: under
# $CTRD_DIR). Fails when the contrib file no longer has exactly those lines.
cri_config() {
    cat <<EOF
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # The network namespaces' bind mounts under our state dir, not /var/run/netns.
  netns_mounts_under_state_dir = true
  # The sandbox's oom_score_adj (-998) clamped to ours: root here lacks CAP_SYS_RESOURCE.
  restrict_oom_score_adj = true
[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "$CTRD_DIR/net.d"
EOF
    [ "$(grep -cE '^[[:space:]]*(BinaryName|Root) = ' "$CRI_CONTRIB")" = 2 ] ||
        { echo "$CRI_CONTRIB: expected one BinaryName and one Root line" >&2; return 1; }
    sed -e '/^version = /d' \
        -e "s|^\([[:space:]]*BinaryName = \).*|\1\"$HULL_BIN\"|" \
        -e "s|^\([[:space:]]*Root = \).*|\1\"$CTRD_DIR/hull-root\"|" "$CRI_CONTRIB"
}

# cri_network: a CNI bridge of our own on a private /24 (no gateway, no masquerading: nothing on
# the host's routes or firewall), host-local addresses kept under $CTRD_DIR. Sets CRI_BRIDGE,
# CRI_NETWORK and CRI_SUBNET_PREFIX (the first three octets).
cri_network() {
    CRI_BRIDGE=hcri$$
    CRI_NETWORK=hull-cri-$$
    CRI_SUBNET_PREFIX=10.188.$(($$ % 250))
    mkdir -p "$CTRD_DIR/net.d"
    cat >"$CTRD_DIR/net.d/10-hull-cri.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$CRI_NETWORK",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$CRI_BRIDGE",
      "isGateway": false,
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$CRI_SUBNET_PREFIX.0/24"}]],
        "dataDir": "$CTRD_DIR/ipam"
      }
    }
  ]
}
EOF
}

# start_cri: images, the daemon with its CRI plugin, the network, the client's stubs. Saves the
# variables in $CTRD_DIR/cri-env (bats tests run in subshells of setup_file's process).
start_cri() {
    CRI_CGROUP_PARENT=hull-cri-$$
    # libcni's result cache is host-wide (/var/lib/cni); remove it after if we made it.
    CRI_MADE_VAR_LIB_CNI=1
    [ -e /var/lib/cni ] && CRI_MADE_VAR_LIB_CNI=0
    local images
    images=$(mktemp -d /tmp/hull-cri-images.XXXXXX)
    "$E2E_DIR/make-image.sh" pause "$PAUSE_IMAGE" "$images/pause.tar" &&
        "$E2E_DIR/make-image.sh" busybox "$IMAGE" "$images/busybox.tar" || { rm -rf "$images"; return 1; }
    start_containerd hybrid cri_config_and_network || { rm -rf "$images"; return 1; }
    CRI_STUBS=$CTRD_DIR/stubs
    local rc=0
    local tar
    for tar in pause busybox; do
        timeout -k 5 120 ctr --address "$CTRD_SOCK" --namespace "$CTRD_NS" images import "$images/$tar.tar" >/dev/null || rc=1
    done
    rm -rf "$images"
    [ "$rc" = 0 ] || return 1
    declare -p CRI_CGROUP_PARENT CRI_MADE_VAR_LIB_CNI CRI_STUBS CRI_BRIDGE CRI_NETWORK CRI_SUBNET_PREFIX |
        sed 's/^declare -- //' >"$CTRD_DIR/cri-env"
    cat "$CTRD_DIR/env" >>"$CTRD_DIR/cri-env"
    # The CRI plugin is ready (runtime and network) once the CNI config is loaded.
    local i
    for i in $(seq 50); do
        cri_ call Status --field status.conditions 2>/dev/null | grep -c '"status": true' | grep -qx 2 && return 0
        sleep 0.2
    done
    cri_ call Status >&2
    grep -E 'level=(error|fatal)|failed to load plugin' "$CTRD_DIR/containerd.log" | tail -5 >&2
    return 1
}

cri_config_and_network() {
    cri_network && cri_config
}

# use_cri: loads what start_cri saved (for each test).
use_cri() {
    # shellcheck disable=SC1091
    source "$CRI_ENV"
}

# stop_cri: removes every pod through the CRI (as the kubelet would); when that could not be done
# (the daemon died, a call failed) deletes what hull still has, which kills the processes the
# shims would orphan; stops the daemon and its shims (stop_containerd), then removes what the
# pods left on the host: the cgroup parent, the bridge, libcni's cache if we made it.
stop_cri() {
    [ -n "${CTRD_DIR:-}" ] || return 0
    if [ -n "${CTRD_PID:-}" ] && kill -0 "$CTRD_PID" 2>/dev/null; then
        cri_ remove-pods >/dev/null 2>&1 || true
    fi
    local id hull=(timeout -k 5 60 "$HULL_BIN" --root "$CTRD_RUNC_ROOT/$CTRD_NS")
    for id in $("${hull[@]}" list -q 2>/dev/null); do
        "${hull[@]}" delete --force "$id" >/dev/null 2>&1 || true
    done
    stop_containerd
    local dir
    if [ -n "${CRI_CGROUP_PARENT:-}" ]; then
        for dir in /sys/fs/cgroup/*/"$CRI_CGROUP_PARENT" /sys/fs/cgroup/unified/"$CRI_CGROUP_PARENT"; do
            [ -d "$dir" ] || continue
            find "$dir" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
            rmdir "$dir" 2>/dev/null || true
        done
    fi
    [ -n "${CRI_BRIDGE:-}" ] && ip link del "$CRI_BRIDGE" 2>/dev/null
    # libcni's cached results of pods whose network was never torn down (the daemon died).
    local result cached=/var/lib/cni/results
    for result in "$cached/${CRI_NETWORK:-none}"-*-eth0; do
        [ -e "$result" ] || continue
        id=${result#"$cached/$CRI_NETWORK"-}
        rm -f "$result" "$cached/cni-loopback-${id%-eth0}-lo"
    done
    [ "${CRI_MADE_VAR_LIB_CNI:-0}" = 1 ] && find /var/lib/cni -depth -type d -empty -delete 2>/dev/null
    true
}

# cri_ ARGS...: the CRI client on our daemon's socket, with a deadline on each call and on all.
cri_() {
    timeout -k 5 120 "$CRI_PYTHON" "$CRI_CLIENT" --socket "$CTRD_SOCK" --timeout 60 --stubs "$CRI_STUBS" "$@"
}

# json_list ARGS...: the arguments as a JSON array.
json_list() { python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@"; }

# pod_config NAME [SYSCTLS_JSON]: a PodSandboxConfig as the kubelet sends it for a pod NAME.
pod_config() {
    local sysctls=${2:-'{}'}
    cat <<EOF
{
  "metadata": {"name": "$1", "uid": "uid-$1-$$", "namespace": "hull-e2e"},
  "hostname": "$1",
  "log_directory": "$CTRD_DIR/logs/$1",
  "linux": {
    "cgroup_parent": "/$CRI_CGROUP_PARENT",
    "sysctls": $sysctls,
    "security_context": {"namespace_options": {"network": "POD", "pid": "CONTAINER", "ipc": "POD"}}
  }
}
EOF
}

# run_pod NAME [SYSCTLS_JSON]: RunPodSandbox with the handler hull; sets POD (the sandbox id) and
# keeps the config in $BATS_TEST_TMPDIR/NAME.pod.json for create_container.
run_pod() {
    local file=$BATS_TEST_TMPDIR/$1.pod.json
    pod_config "$@" >"$file"
    POD=$(cri_ call RunPodSandbox "{\"config\": $(cat "$file"), \"runtime_handler\": \"$CRI_HANDLER\"}" \
        --field pod_sandbox_id)
}

# create_container POD_NAME NAME RESOURCES_JSON CMD...: CreateContainer from the busybox image in
# the pod run_pod started as POD_NAME ($POD), its own pid namespace; sets CID.
create_container() {
    local pod=$1 name=$2 resources=$3
    shift 3
    CID=$(cri_ call CreateContainer "{
        \"pod_sandbox_id\": \"$POD\",
        \"config\": {
            \"metadata\": {\"name\": \"$name\"},
            \"image\": {\"image\": \"$IMAGE\"},
            \"command\": $(json_list "$@"),
            \"log_path\": \"$name.log\",
            \"linux\": {
                \"resources\": $resources,
                \"security_context\": {\"namespace_options\": {\"network\": \"POD\", \"pid\": \"CONTAINER\", \"ipc\": \"POD\"}}
            }
        },
        \"sandbox_config\": $(cat "$BATS_TEST_TMPDIR/$pod.pod.json")
    }" --field container_id)
}

# start_container ID: StartContainer.
start_container() { cri_ call StartContainer "{\"container_id\": \"$1\"}" >/dev/null; }

# container_field ID PATH: a field of ContainerStatus (status.state, status.exit_code...).
container_field() { cri_ call ContainerStatus "{\"container_id\": \"$1\"}" --field "$2"; }

# pod_field ID PATH: a field of PodSandboxStatus.
pod_field() { cri_ call PodSandboxStatus "{\"pod_sandbox_id\": \"$1\"}" --field "$2"; }

# hull_pid ID: the pid hull's state records for the container (the pause process for a pod).
hull_pid() { hull_state "$1" pid; }

# cgroup_of PID CONTROLLER: the v1 cgroup path of PID for CONTROLLER (from /proc/PID/cgroup).
cgroup_of() { awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup"; }

# cgroup_file CONTROLLER ID FILE: a file of container ID's cgroup under the pod's cgroup parent.
cgroup_file() { cat "/sys/fs/cgroup/$1/$CRI_CGROUP_PARENT/$2/$3"; }

# lane.bash — what the VM lanes share besides TAP (tap.bash), sourced.
# Host side: lane_prepare makes the lane's work dir with the probe bundle. Guest side: reading the
# probe's KEY=VALUE output (load, get, field, has), phase timing, `hull state` status, and a
# podman configured to run hull (podman_setup).

# lane_prepare LANE: checks HULL_BIN (default: this checkout's build), makes $work (removed on
# exit) with a busybox bundle at $work/base whose rootfs has /probe.sh. Exits 2 on failure.
lane_prepare() {
    local vm_dir project
    vm_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    project=$(cd "$vm_dir/../.." && pwd)
    export HULL_BIN=${HULL_BIN:-$project/build/src/cli/hull}
    [ -x "$HULL_BIN" ] || { echo "$1: no hull binary at $HULL_BIN (build first)" >&2; exit 2; }
    HULL_BIN=$(realpath "$HULL_BIN")
    work=$(mktemp -d "/tmp/hull-$1.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    "$project/tests/integration/make-bundle.sh" "$work/base" >/dev/null || { echo "$1: make-bundle.sh failed" >&2; exit 2; }
    cp "$vm_dir/probe.sh" "$work/base/rootfs/probe.sh"
    chmod 755 "$work/base/rootfs/probe.sh"
}

# load FILE: the probe's KEY=VALUE lines into the array v
declare -A v
load() {
    v=()
    local key value
    while IFS='=' read -r key value; do v[$key]=$value; done <"$1"
}
# get KEY: v[KEY], empty when the probe did not print it
get() { printf '%s' "${v[$1]-}"; }
# field TEXT KEY: the number after KEY in "k1 v1 k2 v2" text (memory.events, pids.events) -> $f
field() {
    local text=" $1 "
    f=${text#* $2 }
    [ "$f" != "$text" ] && f=${f%% *} || f=
}
# has LIST WORD...: the WORDs that the space-separated LIST contains -> $found
has() {
    local list=" $1 " word
    shift
    found=
    for word; do [[ $list == *" $word "* ]] && found="${found:+$found }$word"; done
}
# phase NAME: how long the previous phase took, in guest seconds (TCG is slow: keep this short)
read -r phase_start _ </proc/uptime
phase() {
    local now
    read -r now _ </proc/uptime
    echo "# $1 (previous phase: $(awk -v a="$phase_start" -v b="$now" 'BEGIN { printf "%.1f", b - a }') s)"
    phase_start=$now
}
# state_status ID: the status in `hull state` (the lane's rt function runs hull)
state_status() { rt state "$1" 2>/dev/null | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p'; }
# run_probe BUNDLE ID DESCRIPTION: `rt run` of a probe container (output in $out/ID), checked to
# exit 0 (its output is the diagnostic otherwise), its KEY=VALUE lines loaded.
run_probe() {
    rt run -b "$1" "$2" >"$out/$2" 2>&1
    local status=$?
    check "$3" 0 "$status"
    [ "$status" = 0 ] || sed 's/^/#   container: /' "$out/$2"
    load "$out/$2"
}

# podman_setup DIR CGROUP_MANAGER: a containers.conf in DIR whose runtime is $hull, and pm, podman
# with its storage in DIR.
podman_setup() {
    pmd=$1
    mkdir -p "$pmd/tmp" "$pmd/cni"
    cat >"$pmd/containers.conf" <<EOC
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
cgroup_manager = "$2"
events_logger = "file"
events_logfile_path = "$pmd/events.log"
runtime = "hull"
runtime_supports_json = ["hull"]
static_dir = "$pmd/root/libpod"
tmp_dir = "$pmd/tmp"
volume_path = "$pmd/volumes"
[engine.runtimes]
hull = ["$hull"]
[network]
network_backend = "cni"
network_config_dir = "$pmd/cni"
EOC
}
pm() { CONTAINERS_CONF=$pmd/containers.conf timeout -k 5 180 podman --root "$pmd/storage" --runroot "$pmd/run" --storage-driver vfs "$@"; }

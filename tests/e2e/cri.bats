#!/usr/bin/env bats
# Kubernetes through the CRI: containerd 1.6's CRI plugin runs pods on hull as the runtime
# handler "hull" that contrib/containerd/config.toml registers, driven through the CRI gRPC API
# (runtime.v1) by tests/e2e/cri/cri.py as the kubelet would, on this host's cgroups with the
# cgroupfs driver. Every check reads the effect: hull's state, /proc, the cgroup files.
#   tests/e2e/run.sh cri.bats        (as root; HULL_BIN names the hull, see the helpers)
# e2e-packages: containerd python3-grpcio python3-grpc-tools catatonit containernetworking-plugins
# e2e-views: host
load cri-helpers

setup_file() {
    [ "$(id -u)" = 0 ] || { echo "the CRI suite needs root" >&2; return 1; }
    [ -x "$HULL_BIN" ] || { echo "HULL_BIN $HULL_BIN is not an executable" >&2; return 1; }
    cri_check_tools || return 1
    export CRI_MOUNTS_BEFORE
    CRI_MOUNTS_BEFORE=$(grep -cE 'cgroup|sysfs|proc ' /proc/self/mounts)
    start_cri || { stop_cri; return 1; }
    export CRI_ENV=$CTRD_DIR/cri-env
}

teardown_file() {
    [ -n "${CRI_ENV:-}" ] && [ -f "$CRI_ENV" ] && use_cri && stop_cri
    true
}

setup() {
    use_cri
}

teardown() {
    # Each test leaves no pod behind, even when it failed half-way.
    cri_ remove-pods >/dev/null || true
}

# in_pod_subnet IP: the address is one of our bridge network's.
in_pod_subnet() { [[ "$1" == "$CRI_SUBNET_PREFIX".* ]]; }

# wait_container_state ID STATE: polls ContainerStatus for up to 10 s.
wait_container_state() {
    local i state
    for i in $(seq 50); do
        state=$(container_field "$1" status.state)
        [ "$state" = "$2" ] && return 0
        sleep 0.2
    done
    echo "container $1 is $state, not $2" >&2
    return 1
}

@test "containerd runs contrib/containerd/config.toml: handler hull is the runc v2 shim with BinaryName hull" {
    # The binary under test is hull (the suite's other checks pass with runc there too, but for
    # hull's own error text).
    [[ "$("$HULL_BIN" --version)" == "hull version "* ]]
    # The daemon's config is the contrib file with only BinaryName and Root pointed at this run.
    diff <(sed '/^version = /d' "$CRI_CONTRIB") <(sed -n '/^# Registers hull/,$p' "$CTRD_DIR/config.toml") |
        grep '^[<>]' >"$BATS_TEST_TMPDIR/diff" || true
    cat "$BATS_TEST_TMPDIR/diff"
    [ "$(grep -c '^<' "$BATS_TEST_TMPDIR/diff")" = 2 ]
    [ "$(grep -c '^>' "$BATS_TEST_TMPDIR/diff")" = 2 ]
    grep -q "^>[[:space:]]*BinaryName = \"$HULL_BIN\"$" "$BATS_TEST_TMPDIR/diff"
    grep -q "^>[[:space:]]*Root = \"$CTRD_RUNC_ROOT\"$" "$BATS_TEST_TMPDIR/diff"
    # What the CRI plugin parsed from it (CRI Status, verbose): the runtime and the pause image.
    cri_ call Status '{"verbose": true}' --field info.config >"$BATS_TEST_TMPDIR/config.json"
    run python3 - "$BATS_TEST_TMPDIR/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
r = c["containerd"]["runtimes"]["hull"]
print(r["runtimeType"], r["options"]["BinaryName"], r["options"]["Root"], c["sandboxImage"])
EOF
    [ "$status" -eq 0 ]
    [ "$output" = "io.containerd.runc.v2 $HULL_BIN $CTRD_RUNC_ROOT $PAUSE_IMAGE" ]
    # The API is runtime.v1, and both images are the CRI's.
    [ "$(cri_ call Version --field runtime_api_version)" = v1 ]
    [ "$(cri_ call ImageStatus "{\"image\": {\"image\": \"$PAUSE_IMAGE\"}}" --field image.repo_tags.0)" = "$PAUSE_IMAGE" ]
    [ "$(cri_ call ImageStatus "{\"image\": {\"image\": \"$IMAGE\"}}" --field image.repo_tags.0)" = "$IMAGE" ]
}

@test "RunPodSandbox: the pause container (catatonit) runs on hull in the pod's own network namespace" {
    run_pod web
    [ "$(pod_field "$POD" status.state)" = SANDBOX_READY ]
    [ "$(pod_field "$POD" status.runtime_handler)" = hull ]
    local ip pid
    ip=$(pod_field "$POD" status.network.ip)
    in_pod_subnet "$ip"
    # hull made it: its state under the handler's Root, running, with the pause process's pid.
    [[ " $(hull_ list -q | xargs) " == *" $POD "* ]]
    [ "$(hull_state "$POD" status)" = running ]
    pid=$(hull_pid "$POD")
    [ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "/catatonit -P " ]
    # not runc's: nothing under the shim's default runc root
    [ ! -e "/run/containerd/runc/k8s.io/$POD" ]
    # the pod's cgroup, under the parent the pod config gave (cgroupfs)
    [ "$(cgroup_of "$pid" memory)" = "/$CRI_CGROUP_PARENT/$POD" ]
    [ "$(cgroup_of "$pid" pids)" = "/$CRI_CGROUP_PARENT/$POD" ]
    # a network namespace of its own, where CNI gave eth0 the pod's address
    [ "$(readlink "/proc/$pid/ns/net")" != "$(readlink /proc/self/ns/net)" ]
    run nsenter --net="/proc/$pid/ns/net" ip -4 -o addr show eth0
    [ "$status" -eq 0 ]
    [[ "$output" == *" $ip/24 "* ]]
    [ "$(cat "/proc/$pid/oom_score_adj")" = "$(cat /proc/self/oom_score_adj)" ]
}

@test "CreateContainer, StartContainer, ContainerStatus, StopContainer, RemoveContainer on hull" {
    run_pod app
    create_container app main '{}' sh -c 'trap "exit 7" TERM; echo hello-from-hull; while :; do sleep 0.1; done'
    [ "$(container_field "$CID" status.state)" = CONTAINER_CREATED ]
    # containerd makes the task (hull create + start) at StartContainer
    [[ " $(hull_ list -q | xargs) " != *" $CID "* ]]
    start_container "$CID"
    [ "$(container_field "$CID" status.state)" = CONTAINER_RUNNING ]
    [ "$(container_field "$CID" status.started_at)" -gt 0 ]
    [ "$(hull_state "$CID" status)" = running ]
    local pid
    pid=$(hull_pid "$CID")
    [ "$(cgroup_of "$pid" memory)" = "/$CRI_CGROUP_PARENT/$CID" ]
    # its stdout reaches the CRI log file
    local i
    for i in $(seq 25); do grep -q 'stdout F hello-from-hull' "$CTRD_DIR/logs/app/main.log" && break; sleep 0.2; done
    grep 'stdout F hello-from-hull' "$CTRD_DIR/logs/app/main.log"
    # StopContainer sends SIGTERM: the trap's exit code is the status's
    cri_ call StopContainer "{\"container_id\": \"$CID\", \"timeout\": 10}" >/dev/null
    [ "$(container_field "$CID" status.state)" = CONTAINER_EXITED ]
    [ "$(container_field "$CID" status.exit_code)" = 7 ]
    [ "$(container_field "$CID" status.finished_at)" -gt 0 ]
    [ ! -e "/proc/$pid" ] || [ "$(awk '/^State:/ {print $2}' "/proc/$pid/status")" = Z ]
    cri_ call RemoveContainer "{\"container_id\": \"$CID\"}" >/dev/null
    run cri_ call ContainerStatus "{\"container_id\": \"$CID\"}"
    [ "$status" -eq 125 ]
    [[ "$output" == *NOT_FOUND* ]]
    [[ " $(hull_ list -q | xargs) " != *" $CID "* ]]
    [ ! -d "/sys/fs/cgroup/memory/$CRI_CGROUP_PARENT/$CID" ]
    # the pod is still up
    [ "$(pod_field "$POD" status.state)" = SANDBOX_READY ]
}

@test "ExecSync runs in the container: its output, exit code, namespaces; hull's exec error and the timeout" {
    run_pod shell
    create_container shell main '{}' sleep 3600
    start_container "$CID"
    run --separate-stderr cri_ exec "$CID" sh -c 'echo out-$((6 * 7)); echo err >&2; exit 3'
    [ "$status" -eq 3 ]
    [ "$output" = out-42 ]
    [ "$stderr" = err ]
    # in the container's mount and pid namespaces: its pid 1 is the container's command
    local pid
    pid=$(hull_pid "$CID")
    run cri_ exec "$CID" sh -c 'readlink /proc/self/ns/mnt; tr "\0" " " </proc/1/cmdline'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "$(readlink "/proc/$pid/ns/mnt")" ]
    [ "${lines[1]}" = "sleep 3600 " ]
    # a program that is not there: hull exec's error comes back through the CRI
    run cri_ exec "$CID" /no/such/binary
    [ "$status" -eq 125 ]
    [[ "$output" == *'exec: "/no/such/binary"'* ]]
    [[ "$output" == *"no such file or directory"* || "$output" == *"No such file or directory"* ]]
    # ExecSync's timeout
    run cri_ exec --timeout 1 "$CID" sleep 20
    [ "$status" -eq 125 ]
    [[ "$output" == *DEADLINE_EXCEEDED* || "$output" == *timeout* ]]
    [ "$(container_field "$CID" status.state)" = CONTAINER_RUNNING ]
}

@test "LinuxContainerResources given at CreateContainer reach the container's cgroup" {
    run_pod limited
    create_container limited main '{"memory_limit_in_bytes": 67108864, "cpu_shares": 512,
        "cpu_period": 100000, "cpu_quota": 25000, "cpuset_cpus": "0", "oom_score_adj": 500}' sleep 3600
    start_container "$CID"
    local pid
    pid=$(hull_pid "$CID")
    [ "$(cgroup_of "$pid" memory)" = "/$CRI_CGROUP_PARENT/$CID" ]
    [ "$(cgroup_of "$pid" cpu)" = "/$CRI_CGROUP_PARENT/$CID" ]
    [ "$(cgroup_file memory "$CID" memory.limit_in_bytes)" = 67108864 ]
    [ "$(cgroup_file cpu "$CID" cpu.shares)" = 512 ]
    [ "$(cgroup_file cpu "$CID" cpu.cfs_period_us)" = 100000 ]
    [ "$(cgroup_file cpu "$CID" cpu.cfs_quota_us)" = 25000 ]
    [ "$(cgroup_file cpuset "$CID" cpuset.cpus)" = 0 ]
    [ "$(cat "/proc/$pid/oom_score_adj")" = 500 ]
    # The memory limit holds: a process that needs more is killed in the container's cgroup.
    run cri_ exec "$CID" sh -c 'head -c 100m /dev/zero | tail >/dev/null && echo survived'
    [ "$status" -ne 0 ]
    [[ "$output" != *survived* ]]
    [ "$(cgroup_file memory "$CID" memory.oom_control | awk '$1 == "oom_kill" {print $2}')" -gt 0 ]
}

@test "UpdateContainerResources: the new limits are in the container's cgroup files" {
    run_pod resized
    create_container resized main '{"memory_limit_in_bytes": 67108864, "cpu_shares": 512,
        "cpu_period": 100000, "cpu_quota": 25000}' sleep 3600
    start_container "$CID"
    [ "$(cgroup_file memory "$CID" memory.limit_in_bytes)" = 67108864 ]
    cri_ call UpdateContainerResources "{\"container_id\": \"$CID\", \"linux\": {
        \"memory_limit_in_bytes\": 100663296, \"cpu_shares\": 256, \"cpu_period\": 50000,
        \"cpu_quota\": 40000}}" >/dev/null
    [ "$(cgroup_file memory "$CID" memory.limit_in_bytes)" = 100663296 ]
    [ "$(cgroup_file cpu "$CID" cpu.shares)" = 256 ]
    [ "$(cgroup_file cpu "$CID" cpu.cfs_period_us)" = 50000 ]
    [ "$(cgroup_file cpu "$CID" cpu.cfs_quota_us)" = 40000 ]
    # The container runs on, still in that cgroup.
    [ "$(container_field "$CID" status.state)" = CONTAINER_RUNNING ]
    [ "$(cgroup_of "$(hull_pid "$CID")" memory)" = "/$CRI_CGROUP_PARENT/$CID" ]
}

@test "ContainerStats: CPU time and memory use, as the container's cgroup counts them" {
    run_pod busy
    # Some CPU work, and 8 MB in the pod's /dev/shm (tmpfs pages are charged to the writer's
    # cgroup and count in its working set), then sleep.
    create_container busy main '{}' sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i + 1)); done; head -c 8000000 /dev/zero >/dev/shm/fill; echo ready; sleep 3600'
    start_container "$CID"
    local i
    for i in $(seq 100); do grep -q 'stdout F ready' "$CTRD_DIR/logs/busy/main.log" 2>/dev/null && break; sleep 0.2; done
    grep -q 'stdout F ready' "$CTRD_DIR/logs/busy/main.log"
    cri_ call ContainerStats "{\"container_id\": \"$CID\"}" >"$BATS_TEST_TMPDIR/stats.json"
    local cpuacct usage
    cpuacct=$(cgroup_file cpuacct "$CID" cpuacct.usage)
    usage=$(cgroup_file memory "$CID" memory.usage_in_bytes)
    run python3 - "$BATS_TEST_TMPDIR/stats.json" "$CID" "$cpuacct" "$usage" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["stats"]
cid, cpuacct, usage = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
cpu = int(s["cpu"]["usage_core_nano_seconds"]["value"])
mem = int(s["memory"]["usage_bytes"]["value"])
ws = int(s["memory"]["working_set_bytes"]["value"])
print("cpu", cpu, "cpuacct", cpuacct, "memory", mem, "working set", ws, "usage_in_bytes", usage)
assert s["attributes"]["id"] == cid
assert 50_000_000 <= cpu <= cpuacct          # the loop ran; no more than the cgroup counted
assert 8_000_000 < ws <= mem                 # the 8 MB in /dev/shm are in the working set
assert abs(mem - usage) < 4 << 20            # the cgroup's count, read a moment apart
EOF
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "a pod's two containers share its network, IPC and UTS namespaces, not mount and PID" {
    run_pod pair
    local ip pause a b
    ip=$(pod_field "$POD" status.network.ip)
    pause=$(hull_pid "$POD")
    create_container pair first '{}' sleep 3600
    a=$CID
    create_container pair second '{}' sleep 3600
    b=$CID
    start_container "$a"
    start_container "$b"
    local probe='for n in net ipc uts mnt pid; do echo "$n $(readlink /proc/self/ns/$n)"; done; hostname; ip -4 -o addr show eth0'
    cri_ exec "$a" sh -c "$probe" >"$BATS_TEST_TMPDIR/a"
    cri_ exec "$b" sh -c "$probe" >"$BATS_TEST_TMPDIR/b"
    cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
    ns_of() { awk -v n="$2" '$1 == n {print $2}' "$BATS_TEST_TMPDIR/$1"; }
    local n
    for n in net ipc uts; do
        # the same as each other and as the pause process's, which hull created
        [ "$(ns_of a $n)" = "$(ns_of b $n)" ]
        [ "$(ns_of a $n)" = "$(readlink "/proc/$pause/ns/$n")" ]
        [ "$(ns_of a $n)" != "$(readlink "/proc/self/ns/$n")" ]
    done
    for n in mnt pid; do
        [ "$(ns_of a $n)" != "$(ns_of b $n)" ]
        [ "$(ns_of a $n)" != "$(readlink "/proc/$pause/ns/$n")" ]
    done
    # the pod's hostname and address in both
    [ "$(sed -n 6p "$BATS_TEST_TMPDIR/a")" = pair ]
    [ "$(sed -n 6p "$BATS_TEST_TMPDIR/b")" = pair ]
    in_pod_subnet "$ip"
    grep -q " $ip/24 " "$BATS_TEST_TMPDIR/a"
    grep -q " $ip/24 " "$BATS_TEST_TMPDIR/b"
    # IPC really shared: a POSIX shared memory file one container writes, the other reads
    cri_ exec "$a" sh -c 'echo from-first >/dev/shm/hull-e2e'
    [ "$(cri_ exec "$b" cat /dev/shm/hull-e2e)" = from-first ]
}

@test "a create hull refuses: hull's error text is in the CRI error response and nothing is left" {
    local before
    before=$(hull_ list -q | wc -l)
    # A sysctl that is not namespaced: hull refuses the pause container at create.
    run run_pod refused '{"kernel.panic_on_oops": "0"}'
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *'RunPodSandbox: UNKNOWN:'* ]]
    [[ "$output" == *'linux.sysctl["kernel.panic_on_oops"]: not a namespaced sysctl; it would change the host'* ]]
    [ "$(cri_ call ListPodSandbox --field items)" = "[]" ]
    [ "$(hull_ list -q | wc -l)" = "$before" ]
    [ -z "$(find "/sys/fs/cgroup/memory/$CRI_CGROUP_PARENT" -mindepth 1 -type d 2>/dev/null)" ]
    # A container whose program is not in the image: StartContainer fails with hull's error.
    run_pod noprog
    create_container noprog main '{}' no-such-program
    run cri_ call StartContainer "{\"container_id\": \"$CID\"}"
    echo "$output"
    [ "$status" -eq 125 ]
    [[ "$output" == *'exec: "no-such-program": executable file not found in $PATH'* ]]
    [ "$(container_field "$CID" status.state)" != CONTAINER_RUNNING ]
    [[ " $(hull_ list -q | xargs) " != *" $CID "* ]]
}

@test "StopPodSandbox then RemovePodSandbox: containers stopped, then no state, cgroup, netns or shim left" {
    run_pod finished
    create_container finished main '{}' sleep 3600
    start_container "$CID"
    local pause cpid netns
    pause=$(hull_pid "$POD")
    cpid=$(hull_pid "$CID")
    netns=$(awk -v d="$CTRD_DIR/" 'index($5, d) == 1 && $5 ~ /netns/ {print $5}' /proc/self/mountinfo)
    [ -n "$netns" ]
    pgrep -f -- "-id $POD( |$)" >/dev/null
    cri_ call StopPodSandbox "{\"pod_sandbox_id\": \"$POD\"}" >/dev/null
    [ "$(pod_field "$POD" status.state)" = SANDBOX_NOTREADY ]
    [ "$(container_field "$CID" status.state)" = CONTAINER_EXITED ]
    [ ! -e "/proc/$pause" ] || [ "$(awk '/^State:/ {print $2}' "/proc/$pause/status")" = Z ]
    [ ! -e "/proc/$cpid" ] || [ "$(awk '/^State:/ {print $2}' "/proc/$cpid/status")" = Z ]
    cri_ call RemovePodSandbox "{\"pod_sandbox_id\": \"$POD\"}" >/dev/null
    run cri_ call PodSandboxStatus "{\"pod_sandbox_id\": \"$POD\"}"
    [ "$status" -eq 125 ]
    [[ "$output" == *NOT_FOUND* ]]
    [ -z "$(hull_ list -q)" ]
    local ctrl
    for ctrl in memory cpu pids cpuset; do
        [ ! -d "/sys/fs/cgroup/$ctrl/$CRI_CGROUP_PARENT/$POD" ]
        [ ! -d "/sys/fs/cgroup/$ctrl/$CRI_CGROUP_PARENT/$CID" ]
    done
    ! grep -q "$netns" /proc/self/mountinfo
    local i
    for i in $(seq 25); do pgrep -f -- "-id $POD( |$)" >/dev/null || break; sleep 0.2; done
    ! pgrep -f -- "-id $POD( |$)"
}

@test "after the suite's pods: no hull state, shim, netns mount or cgroup left; host mounts unchanged" {
    [ "$(cri_ call ListPodSandbox --field items)" = "[]" ]
    [ -z "$(hull_ list -q)" ]
    local i
    for i in $(seq 25); do pgrep -f -- "-address $CTRD_SOCK( |$)" >/dev/null || break; sleep 0.2; done
    [ -z "$(pgrep -f -- "-address $CTRD_SOCK( |$)")" ]
    [ -z "$(awk -v d="$CTRD_DIR/" 'index($5, d) == 1 && $5 ~ /netns/' /proc/self/mountinfo)" ]
    [ -z "$(find /sys/fs/cgroup/*/"$CRI_CGROUP_PARENT" -mindepth 1 -type d 2>/dev/null)" ]
    [ "$(grep -cE 'cgroup|sysfs|proc ' /proc/self/mounts)" = "$CRI_MOUNTS_BEFORE" ]
}

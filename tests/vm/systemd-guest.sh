#!/bin/bash
# systemd-guest.sh WORK — the checks of test lane 5, run INSIDE the systemd VM (a service of
# systemd, pid 1) by tests/vm/systemd.sh. WORK holds the bundles that script prepared. Every check
# reads the effect: what systemd reports for hull's scope (systemctl show), the cgroup files, what
# the kernel enforced. Prints TAP, then the counts; exits 1 when a check failed.
set -u
source "$(dirname "$0")/tap.bash"
source "$(dirname "$0")/lane.bash"
work=$1
hull=${HULL_BIN:?HULL_BIN names the hull binary}
state=/run/hull-sdlane
cg=/sys/fs/cgroup
out=/run/sdlane-out
mkdir -p "$out"

rt() { timeout -k 5 180 "$hull" --systemd-cgroup --root "$state" "$@"; }
# props UNIT PROPERTY...: systemctl show's values into the array p (p[LoadState] etc.)
declare -A p
props() {
    local unit=$1 key value args=()
    shift
    for key; do args+=(-p "$key"); done
    p=()
    while IFS='=' read -r key value; do p[$key]=$value; done < <(systemctl show "${args[@]}" "$unit" 2>&1)
}
# joined PROPERTY...: "NAME=value NAME=value" from p, in the order asked
joined() {
    local key text=
    for key; do text="${text:+$text }$key=${p[$key]-}"; done
    printf '%s' "$text"
}
files() {  # DIR FILE...: "FILE=content|..." (first lines)
    local dir=$1 file line text=
    shift
    for file; do
        line="(missing)"
        [ -r "$dir/$file" ] && read -r line <"$dir/$file"
        text="${text:+$text|}$file=$line"
    done
    printf '%s' "$text"
}
# --- 0. the guest: systemd is pid 1, on the system bus, on a pure cgroup v2 hierarchy.
read -r booted _ </proc/uptime
for _ in $(seq 120); do
    busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s org.freedesktop.systemd1 \
        2>/dev/null | grep -q true && break
    sleep 0.5
done
read -r comm </proc/1/comm
echo "# guest: kernel $(uname -r), $(nproc) CPUs, $(systemctl --version | head -1), up ${booted} s when the checks began"
check "systemd is pid 1, with /run/systemd/system" "systemd yes" "$comm $([ -d /run/systemd/system ] && echo yes)"
check "/sys/fs/cgroup is cgroup2, no v1 hierarchy mounted" "cgroup2fs 0" "$(stat -fc %T $cg) $(grep -c '^cgroup ' /proc/mounts)"
ok_if "systemd is on the system bus (org.freedesktop.systemd1)" \
    busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s org.freedesktop.systemd1
echo "# root cgroup.controllers: $(cat $cg/cgroup.controllers); subtree_control: $(cat $cg/cgroup.subtree_control)"

# --- 1. a detached container with every limit systemd has a property for, in a nested slice.
phase "limits container"
id=sd-limits
unit=hull-$id.scope
dir=$cg/machine.slice/machine-hull.slice/$unit
if rt create -b "$work/limits" $id >"$out/create" 2>&1 && rt start $id >>"$out/create" 2>&1; then
    pass "create + start with machine-hull.slice:hull:$id"
else
    fail "create + start with machine-hull.slice:hull:$id" "$(tr '\n' ' ' <"$out/create")"
fi
state_json=$(rt state $id 2>&1)
[[ $state_json =~ \"pid\":\ *([0-9]+) ]] && init_pid=${BASH_REMATCH[1]} || init_pid="(no pid in state: $state_json)"
props $unit LoadState ActiveState Transient Slice ControlGroup Delegate
check "the scope is a running transient unit in machine-hull.slice, at the cgroup hull reports" \
    "LoadState=loaded ActiveState=active Transient=yes Slice=machine-hull.slice ControlGroup=/machine.slice/machine-hull.slice/$unit" \
    "$(joined LoadState ActiveState Transient Slice ControlGroup)"
check "Delegate=yes" yes "${p[Delegate]-}"
procs=
read -r procs <"$dir/cgroup.procs"
check "the container's init is in the scope's cgroup" "$init_pid" "$procs"
props $unit MemoryMax MemorySwapMax MemoryLow TasksMax
check "systemctl show: MemoryMax MemorySwapMax MemoryLow TasksMax" \
    "MemoryMax=67108864 MemorySwapMax=33554432 MemoryLow=16777216 TasksMax=16" \
    "$(joined MemoryMax MemorySwapMax MemoryLow TasksMax)"
props $unit CPUWeight CPUQuotaPerSecUSec CPUQuotaPeriodUSec AllowedCPUs AllowedMemoryNodes
check "systemctl show: CPUWeight CPUQuotaPerSecUSec CPUQuotaPeriodUSec" \
    "CPUWeight=39 CPUQuotaPerSecUSec=500ms CPUQuotaPeriodUSec=100ms" "$(joined CPUWeight CPUQuotaPerSecUSec CPUQuotaPeriodUSec)"
check "systemctl show: AllowedCPUs AllowedMemoryNodes" "AllowedCPUs=1 AllowedMemoryNodes=0" \
    "$(joined AllowedCPUs AllowedMemoryNodes)"
props $unit IOWeight IOReadBandwidthMax IOWriteIOPSMax
check "systemctl show: IOWeight IOReadBandwidthMax IOWriteIOPSMax" \
    "IOWeight=4950 IOReadBandwidthMax=/dev/vda 524288 IOWriteIOPSMax=/dev/vda 1000" \
    "$(joined IOWeight IOReadBandwidthMax IOWriteIOPSMax)"
expected_files="memory.max=67108864|memory.swap.max=33554432|memory.low=16777216|pids.max=16|cpu.max=50000 100000|cpu.weight=39|cpuset.cpus=1|cpuset.mems=0|io.max=254:0 rbps=524288 wbps=max riops=max wiops=1000|io.weight=default 4950"
check "the scope's cgroup files hold the limits" "$expected_files" \
    "$(files "$dir" memory.max memory.swap.max memory.low pids.max cpu.max cpu.weight cpuset.cpus cpuset.mems io.max io.weight)"
systemctl daemon-reload
check "the limits survive systemctl daemon-reload (systemd rewrites the files from its properties)" "$expected_files" \
    "$(files "$dir" memory.max memory.swap.max memory.low pids.max cpu.max cpu.weight cpuset.cpus cpuset.mems io.max io.weight)"

# --- 2. a second scope with the same name: systemd refuses it; hull says so and leaves nothing.
phase "twin container"
rt create -b "$work/twin" sd-twin >"$out/twin" 2>&1
status=$?
msg=$(tr '\n' ' ' <"$out/twin")
check_test "create of a scope that exists fails, naming the unit and systemd's reason" "status $status: $msg" \
    "$status" != 0 -a -n "$(grep -o "start $unit: org.freedesktop.systemd1.UnitExists: Unit $unit was already loaded" "$out/twin")"
check_test "... and leaves no container record behind" "$(rt state sd-twin 2>&1)" -z "$(rt list -q 2>/dev/null | grep -x sd-twin)"
read -r procs <"$dir/cgroup.procs"
check "... and the first container's scope is untouched" "$init_pid active" "$procs $(systemctl show -p ActiveState --value $unit)"

# --- 3. pause / resume / update / kill / delete
phase "lifecycle"
rt pause $id >"$out/pause" 2>&1
check "pause: the scope's cgroup.freeze=1, state paused" "1 paused" \
    "$(cat "$dir/cgroup.freeze") $(state_status $id)$(tr '\n' ' ' <"$out/pause")"
rt resume $id >"$out/resume" 2>&1
check "resume: cgroup.freeze=0, state running" "0 running" \
    "$(cat "$dir/cgroup.freeze") $(state_status $id)$(tr '\n' ' ' <"$out/resume")"
echo '{"memory": {"limit": 50331648, "swap": 83886080}, "cpu": {"quota": 30000, "period": 60000}, "pids": {"limit": 20}}' |
    rt update --resources - $id >"$out/update" 2>&1
check "update: exits 0" "0" "$?$(tr '\n' ' ' <"$out/update")"
props $unit MemoryMax MemorySwapMax TasksMax CPUQuotaPerSecUSec CPUQuotaPeriodUSec
check "update sends the new values to systemd (systemctl show)" \
    "MemoryMax=50331648 MemorySwapMax=33554432 TasksMax=20 CPUQuotaPerSecUSec=500ms CPUQuotaPeriodUSec=60ms" \
    "$(joined MemoryMax MemorySwapMax TasksMax CPUQuotaPerSecUSec CPUQuotaPeriodUSec)"
updated_files="memory.max=50331648|memory.swap.max=33554432|pids.max=20|cpu.max=30000 60000"
check "update writes the files" "$updated_files" "$(files "$dir" memory.max memory.swap.max pids.max cpu.max)"
systemctl daemon-reload
check "the updated limits survive systemctl daemon-reload" "$updated_files" "$(files "$dir" memory.max memory.swap.max pids.max cpu.max)"
rt kill $id KILL >"$out/kill" 2>&1
for _ in $(seq 50); do [ "$(state_status $id)" = stopped ] && break; sleep 0.2; done
check "kill KILL: the container stops" "stopped" "$(state_status $id)$(tr '\n' ' ' <"$out/kill")"
rt delete $id >"$out/delete" 2>&1
check "delete: exits 0" "0" "$?$(tr '\n' ' ' <"$out/delete")"
for _ in $(seq 25); do [ "$(systemctl show -p LoadState --value $unit)" = not-found ] && break; sleep 0.2; done
check "delete leaves no unit and no cgroup" "LoadState=not-found cgroup=gone" \
    "LoadState=$(systemctl show -p LoadState --value $unit) cgroup=$([ -e "$dir" ] && echo present || echo gone)"

# --- 4. limits hit: an OOM kill under MemoryMax, fork failure under TasksMax
phase "OOM container"
run_probe "$work/oom" sd-oom "run: the OOM container exits 0 (its init survives the OOM kill of its child)"
check "the container sees memory.max and memory.swap.max 0" "67108864 0" "$(get memory.max) $(get memory.swap.max)"
check "memory.max enforced: the allocating process is OOM-killed (status 137)" 137 "$(get oom.status)"
field "$(get memory.events)" oom_kill
check_test "memory.events counts the OOM kill (oom_kill=$f)" "memory.events: $(get memory.events)" "${f:-0}" -ge 1
check "run leaves no unit" not-found "$(systemctl show -p LoadState --value hull-sd-oom.scope)"

phase "forks container"
run_probe "$work/forks" sd-forks "run: the forks container (cgroupsPath \"\": system.slice:hull:sd-forks) exits 0"
field "$(get pids.events)" max
check_test "TasksMax=8 enforced: fork fails (forked $(get pids.started) of 16, pids.max $(get pids.max))" \
    "pids.events: $(get pids.events)" "$(get pids.max)" = 8 -a "$(get pids.started)" -lt 8 -a "${f:-0}" -gt 0
check "run leaves no unit" not-found "$(systemctl show -p LoadState --value hull-sd-forks.scope)"

# --- 5. podman with cgroup_manager = "systemd" runs its container on hull: podman passes
# machine.slice:libpod:<id>, hull makes the scope, podman's limits reach systemd.
phase "podman"
podman_setup /run/sdlane-podman systemd
tar -C "$work/base/rootfs" -cf "$pmd/rootfs.tar" .
if pm import "$pmd/rootfs.tar" localhost/sdlane:latest >/dev/null 2>"$pmd/err"; then
    if pm run -d --name pmsd --network none --memory 48m --pids-limit 30 localhost/sdlane:latest sleep 600 >"$pmd/id" 2>"$pmd/err"; then
        pass "podman run -d (cgroup_manager = systemd, runtime hull)"
    else
        fail "podman run -d (cgroup_manager = systemd, runtime hull)" "$(tr '\n' ' ' <"$pmd/err")"
    fi
    read -r pm_id <"$pmd/id"
    props "libpod-$pm_id.scope" ActiveState Slice Delegate MemoryMax TasksMax
    check "the container's scope libpod-<id>.scope is active in machine.slice with podman's limits" \
        "ActiveState=active Slice=machine.slice Delegate=yes MemoryMax=50331648 TasksMax=30" \
        "$(joined ActiveState Slice Delegate MemoryMax TasksMax)"
    pm rm -f -t 0 pmsd >/dev/null 2>"$pmd/rm"
    for _ in $(seq 25); do [ "$(systemctl show -p LoadState --value "libpod-$pm_id.scope")" = not-found ] && break; sleep 0.2; done
    check "podman rm -f: the scope is gone" "not-found" "$(systemctl show -p LoadState --value "libpod-$pm_id.scope")$(tr '\n' ' ' <"$pmd/rm")"
else
    fail "podman imports the test image" "$(cat "$pmd/err")"
fi

# --- 6. containerd with the runc v2 shim's SystemdCgroup (ctr run --runc-systemd-cgroup) on hull
phase "containerd"
bats_require_minimum_version() { :; }
source "$(dirname "$0")/../e2e/containerd-helpers.bash"
# (the helpers' daemon lives in /tmp, where its overlayfs snapshots cannot have their upper dirs
# on the guest's overlayfs root: a tmpfs there, after the image is copied out of $work)
cp "$work/ctrd-image/busybox.tar" /run/sdlane-image.tar
mount -t tmpfs -o mode=1777 tmp /tmp
if start_containerd systemd 2>"$out/ctrd" && ctr_ images import /run/sdlane-image.tar >/dev/null 2>"$out/ctrd"; then
    ctr_run -d --runc-systemd-cgroup --cgroup machine.slice:ctrd:sd-ctr --memory-limit 41943040 "$IMAGE" sd-ctr \
        sleep 600 >/dev/null 2>"$out/ctrd"
    wait_task_status sd-ctr RUNNING 2>>"$out/ctrd"
    props ctrd-sd-ctr.scope ActiveState Slice Delegate MemoryMax
    check "ctr run (SystemdCgroup): the scope ctrd-sd-ctr.scope is active in machine.slice with MemoryMax" \
        "ActiveState=active Slice=machine.slice Delegate=yes MemoryMax=41943040" \
        "$(joined ActiveState Slice Delegate MemoryMax)$(tr '\n' ' ' <"$out/ctrd")"
    remove_container sd-ctr
    for _ in $(seq 25); do [ "$(systemctl show -p LoadState --value ctrd-sd-ctr.scope)" = not-found ] && break; sleep 0.2; done
    check "containerd deletes the task: the scope is gone" not-found "$(systemctl show -p LoadState --value ctrd-sd-ctr.scope)"
else
    fail "containerd starts and imports the image" "$(tr '\n' ' ' <"$out/ctrd")"
fi
stop_containerd

phase "done"
tap_done "systemd VM lane"

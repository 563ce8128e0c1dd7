#!/bin/bash
# cgroup-v2-guest.sh WORK — the checks of test lane 3, run INSIDE the cgroup v2 VM by
# tests/vm/cgroup-v2.sh. WORK holds the bundles that script prepared (one rootfs, a config per
# container). Prints TAP ("ok N - ...", "not ok N - ..." with "#" diagnostics), then the counts;
# exits 1 when a check failed. Forks are expensive under TCG, so values are parsed with bash
# builtins.
set -u
source "$(dirname "$0")/tap.bash"
source "$(dirname "$0")/lane.bash"
work=$1
hull=${HULL_BIN:?HULL_BIN names the hull binary}
state=/run/hull-vmlane
cg=/sys/fs/cgroup
out=/run/vmlane-out
mkdir -p "$out"

rt() { timeout 180 "$hull" --root "$state" "$@"; }
read -r root_controllers <$cg/cgroup.subtree_control
echo "# guest: kernel $(uname -r), $(nproc) CPUs; root cgroup.subtree_control: $root_controllers"

# --- 1. one container with (nearly) every limit; the probe reads them back through its cgroup
# namespace and pushes against them (fork, CPU, direct I/O).
phase "limits container"
run_probe "$work/limits" vmlane-limits "run: the limits container exits 0"
check "cgroup namespace: /proc/self/cgroup is 0::/" "0::/" "$(get proc.cgroup)"
has "$(get cgroup.controllers)" cpuset cpu io memory hugetlb pids
check "the parents delegate what the limits need (the container's cgroup.controllers)" \
    "cpuset cpu io memory hugetlb pids" "$found"
check "memory.max = limit" 67108864 "$(get memory.max)"
check "memory.swap.max = swap - limit" 33554432 "$(get memory.swap.max)"
check "memory.low = reservation" 16777216 "$(get memory.low)"
check "pids.max" 8 "$(get pids.max)"
check "cpu.max from quota/period" "80000 100000" "$(get cpu.max)"
check "cpu.weight from shares 1024" 39 "$(get cpu.weight)"
check "cpuset.cpus" 1 "$(get cpuset.cpus)"
check "cpuset.mems" 0 "$(get cpuset.mems)"
check "cpuset enforced: cpuset.cpus.effective and Cpus_allowed_list" "1 1" \
    "$(get cpuset.cpus.effective) $(get cpus_allowed)"
check "io.max for /dev/vda (254:0)" "254:0 rbps=524288 wbps=max riops=max wiops=1000" "$(get io.max)"
check "io.weight from blkio weight 500" "default 4950" "$(get io.weight)"
if [[ " $root_controllers " == *" hugetlb "* ]]; then
    check "hugetlb.2MB.max" 4194304 "$(get hugetlb.2MB.max)"
else
    pass "hugetlb.2MB.max # skip the guest kernel has no hugetlb controller"
fi
field "$(get pids.events)" max
check_test "pids.max enforced: fork fails beyond 8 (forked $(get pids.started) of 16, pids.current $(get pids.current))" \
    "pids.events: $(get pids.events)" "$(get pids.started)" -lt 8 -a "${f:-0}" -gt 0
throttled=$(get cpu.nr_throttled)
check_test "cpu.max enforced: a busy loop is throttled (in $throttled of $(get cpu.nr_periods) periods)" \
    "cpu.stat nr_throttled=$throttled" "${throttled:-0}" -gt 0
io_ms=$(get io.read.ms)
check_test "io.max enforced: 1 MiB read at 512 KiB/s took ${io_ms} ms (>= 1000)" "dd status $(get io.read.status)" \
    "$(get io.read.status)" = 0 -a "${io_ms:-0}" -ge 1000
check_test "run removed the container's cgroup" "$cg/vmlane/limits still exists" ! -e $cg/vmlane/limits

# --- 2. memory.max enforced (its own container: no cpu.max slowing the reclaim down).
phase "OOM container"
run_probe "$work/oom" vmlane-oom "run: the OOM container exits 0 (its init survives the OOM kill)"
check "memory.max and memory.swap.max (swap = limit: 0)" "67108864 0" "$(get memory.max) $(get memory.swap.max)"
check "memory.max enforced: the allocating process is OOM-killed (status 137)" 137 "$(get oom.status)"
field "$(get memory.events)" oom_kill
check_test "memory.events counts the OOM kill (oom_kill=$f)" "memory.events: $(get memory.events)" "${f:-0}" -ge 1
check_test "run removed the container's cgroup" "$cg/vmlane/oom still exists" ! -e $cg/vmlane/oom
rmdir $cg/vmlane 2>/dev/null

# --- 3. a detached container in hull's default cgroup: parents, pause/resume, update, events,
# ps, kill --all, delete.
phase "detached container"
id=vmlane-sleep
dir=$cg/hull/$id
if rt create -b "$work/sleep" $id >"$out/sleep" 2>&1 && rt start $id >>"$out/sleep" 2>&1; then
    pass "create + start a detached container"
else
    fail "create + start a detached container" "$(tr '\n' ' ' <"$out/sleep")"
fi
state_json=$(rt state $id 2>&1)
[[ $state_json =~ \"pid\":\ *([0-9]+) ]] && init_pid=${BASH_REMATCH[1]} || init_pid="(no pid in state: $state_json)"
[[ $state_json =~ \"status\":\ *\"([a-z]+)\" ]] && status=${BASH_REMATCH[1]} || status=
check "state: running" running "$status"
read -r procs <$dir/cgroup.procs
check "the init process was born in hull/$id (cgroup.procs)" "$init_pid" "$procs"
read -r hull_subtree <$cg/hull/cgroup.subtree_control
has "$hull_subtree" cpu io memory pids
check "hull/ delegates every controller, not only the limited ones" "cpu io memory pids" "$found"
rt pause $id >"$out/pause" 2>&1
read -r freeze <$dir/cgroup.freeze
check "pause: cgroup.freeze=1, cgroup.events frozen 1, state paused" "1 frozen 1 paused" \
    "$freeze $(grep frozen $dir/cgroup.events) $(state_status $id)$(tr '\n' ' ' <"$out/pause")"
rt resume $id >"$out/resume" 2>&1
read -r freeze <$dir/cgroup.freeze
check "resume: cgroup.freeze=0, cgroup.events frozen 0, state running" "0 frozen 0 running" \
    "$freeze $(grep frozen $dir/cgroup.events) $(state_status $id)$(tr '\n' ' ' <"$out/resume")"
echo '{"memory": {"limit": 50331648}, "cpu": {"quota": 30000, "period": 60000}, "pids": {"limit": 20}}' |
    rt update --resources - $id >"$out/update" 2>&1
read -r memory_max <$dir/memory.max
read -r cpu_max <$dir/cpu.max
read -r pids_max <$dir/pids.max
check "update --resources: memory.max, cpu.max, pids.max rewritten" "50331648|30000 60000|20" \
    "$memory_max|$cpu_max|$pids_max$(tr '\n' ' ' <"$out/update")"
stats=$(rt events --stats $id 2>&1)
check_test "events --stats reports memory usage and pids" "$stats" \
    -n "$(echo "$stats" | grep -o '"usage": *{[^}]*"usage": *[1-9]')" -a \
    -n "$(echo "$stats" | grep -o '"pids": *{ *"current": *[1-9]')"
ps_json=$(rt ps --format json $id 2>&1)
check "ps --format json lists the init process" "[$init_pid]" "${ps_json//[[:space:]]/}"
rt kill --all $id KILL >"$out/kill" 2>&1
for _ in {1..50}; do
    procs=
    read -r procs <$dir/cgroup.procs
    [ -z "$procs" ] && break
    sleep 0.2
done
check "kill --all KILL empties the cgroup (cgroup.kill)" "" "$procs$(tr '\n' ' ' <"$out/kill")"
rt delete --force $id >"$out/delete" 2>&1
check_test "delete --force removes hull/$id and the emptied hull/ parent" "$(ls -d $cg/hull $dir 2>&1 | tr '\n' ' ')" \
    ! -e $dir -a ! -e $cg/hull

# --- 4. devices: podman's deny-all rule still leaves the standard devices usable; with the eBPF
# device filter, a device node the rules do not allow cannot be opened.
phase "devices container"
run_probe "$work/devices" vmlane-devices "run: the devices container exits 0"
has "$(get cgroup.controllers)" memory pids
check "a container without limits still gets memory and pids (stats, OOM events)" "memory pids" "$found"
check "devices (deny-all config): /dev/null /dev/zero /dev/full /dev/random /dev/urandom open" \
    "ok ok ok ok ok ok" \
    "$(get dev.null.read) $(get dev.zero.read) $(get dev.full.read) $(get dev.random.read) $(get dev.urandom.read) $(get dev.null.write)"
if compgen -G "$(dirname "$0")/../../src/cgroups/device_filter*" >/dev/null; then
    check "eBPF device filter: /dev/vda (present, not allowed) cannot be opened" denied "$(get dev.vda.read)"
else
    pass "eBPF device filter # skip this tree has no src/cgroups/device_filter* yet"
fi

phase "done"
tap_done "cgroup v2 VM lane"

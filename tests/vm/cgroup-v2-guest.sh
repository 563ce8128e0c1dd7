#!/bin/bash
# cgroup-v2-guest.sh WORK — the checks of test lane 3, run INSIDE the cgroup v2 VM by
# tests/vm/cgroup-v2.sh. WORK holds the bundles that script prepared (one rootfs, a config per
# container). Prints TAP ("ok N - ...", "not ok N - ..." with "#" diagnostics), then the counts;
# exits 1 when a check failed.
set -u
work=$1
hull=${HULL_BIN:?HULL_BIN names the hull binary}
state=/run/hull-vmlane
cg=/sys/fs/cgroup
n=0
failed=0
out=/run/vmlane-out
mkdir -p "$out"

rt() { timeout 180 "$hull" --root "$state" "$@"; }
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
    shift
    for line in "$@"; do echo "#   $line"; done
}
# check DESCRIPTION EXPECTED ACTUAL
check() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected: $2" "actual:   $3"; fi
}
# check_test DESCRIPTION DETAIL TEST-ARGS... (a [ ] test)
check_test() {
    local description=$1 detail=$2
    shift 2
    if [ "$@" ]; then pass "$description"; else fail "$description" "$detail"; fi
}
# value FILE KEY: the value of a KEY=VALUE line the probe printed
value() { sed -n "s/^$2=//p" "$1" | head -1; }
# field TEXT KEY: the number after KEY in "k1 v1 k2 v2" text (memory.events, pids.events)
field() { echo "$1" | tr ' ' '\n' | sed -n "/^$2\$/{n;p;q}"; }
# phase NAME: how long the previous phase took, in guest seconds (TCG is slow: keep this lane short)
phase_start=$(cut -d' ' -f1 /proc/uptime)
phase() {
    local now
    now=$(cut -d' ' -f1 /proc/uptime)
    echo "# $1 (previous phase: $(awk -v a="$phase_start" -v b="$now" 'BEGIN { printf "%.1f", b - a }') s)"
    phase_start=$now
}
state_status() { rt state "$1" 2>/dev/null | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p'; }

echo "# guest: kernel $(uname -r), $(nproc) CPUs; root cgroup.subtree_control: $(cat $cg/cgroup.subtree_control)"

# --- 1. one container with every limit; the probe reads them back through its cgroup namespace
# and pushes against them (fork, CPU, direct I/O, memory).
phase "limits container"
rt run -b "$work/limits" vmlane-limits >"$out/limits" 2>&1
status=$?
check "run: the limits container exits 0" 0 "$status"
[ "$status" = 0 ] || sed 's/^/#   container: /' "$out/limits"
o=$out/limits
check "cgroup namespace: /proc/self/cgroup is 0::/" "0::/" "$(value "$o" proc.cgroup)"
controllers=" $(value "$o" cgroup.controllers) "
missing=
for c in cpuset cpu io memory hugetlb pids; do
    case $controllers in *" $c "*) ;; *) missing="$missing $c" ;; esac
done
check "parents delegate cpuset cpu io memory hugetlb pids (the container's cgroup.controllers)" "" "${missing# }"
check "memory.max = limit" 67108864 "$(value "$o" memory.max)"
check "memory.swap.max = swap - limit" 33554432 "$(value "$o" memory.swap.max)"
check "memory.low = reservation" 16777216 "$(value "$o" memory.low)"
check "pids.max" 32 "$(value "$o" pids.max)"
check "cpu.max from quota/period" "80000 100000" "$(value "$o" cpu.max)"
check "cpu.weight from shares 1024" 39 "$(value "$o" cpu.weight)"
check "cpuset.cpus" 1 "$(value "$o" cpuset.cpus)"
check "cpuset.mems" 0 "$(value "$o" cpuset.mems)"
check "cpuset enforced: cpuset.cpus.effective and Cpus_allowed_list" "1 1" \
    "$(value "$o" cpuset.cpus.effective) $(value "$o" cpus_allowed)"
check "io.max for /dev/vda (254:0)" "254:0 rbps=524288 wbps=max riops=max wiops=1000" "$(value "$o" io.max)"
check "io.weight from blkio weight 500" "default 4950" "$(value "$o" io.weight)"
if [ -e $cg/hugetlb.2MB.max ] || grep -qw hugetlb $cg/cgroup.controllers; then
    check "hugetlb.2MB.max" 4194304 "$(value "$o" hugetlb.2MB.max)"
else
    pass "hugetlb.2MB.max # skip the guest kernel has no hugetlb controller"
fi
started=$(value "$o" pids.started)
pids_max_events=$(field "$(value "$o" pids.events)" max)
check_test "pids.max enforced: fork fails beyond 32 (forked $started of 60, pids.current $(value "$o" pids.current))" \
    "pids.events: $(value "$o" pids.events)" "${started:-60}" -lt 32 -a "${pids_max_events:-0}" -gt 0
throttled=$(value "$o" cpu.nr_throttled)
check_test "cpu.max enforced: a busy loop is throttled (throttled in $throttled of $(value "$o" cpu.nr_periods) periods)" "cpu.stat nr_throttled=$throttled" \
    "${throttled:-0}" -gt 0
io_ms=$(value "$o" io.read.ms)
check_test "io.max enforced: 1 MiB read at 512 KiB/s took ${io_ms} ms (>= 1000)" "dd status $(value "$o" io.read.status)" \
    "$(value "$o" io.read.status)" = 0 -a "${io_ms:-0}" -ge 1000
check_test "run removed the container's cgroup" "$cg/vmlane/limits still exists" ! -e $cg/vmlane/limits

phase "OOM container"
rt run -b "$work/oom" vmlane-oom >"$out/oom" 2>&1
status=$?
o=$out/oom
check "run: the OOM container exits 0 (its init survives the OOM kill)" 0 "$status"
[ "$status" = 0 ] || sed 's/^/#   container: /' "$o"
check "memory.max and memory.swap.max (swap = limit: 0)" "67108864 0" "$(value "$o" memory.max) $(value "$o" memory.swap.max)"
check "memory.max enforced: the allocating process is OOM-killed (status 137)" 137 "$(value "$o" oom.status)"
oom_kills=$(field "$(value "$o" memory.events)" oom_kill)
check_test "memory.events counts the OOM kill (oom_kill=$oom_kills)" "memory.events: $(value "$o" memory.events)" \
    "${oom_kills:-0}" -ge 1
check_test "run removed the container's cgroup" "$cg/vmlane/oom still exists" ! -e $cg/vmlane/oom
rmdir $cg/vmlane 2>/dev/null

# --- 2. a detached container in hull's default cgroup: parents, pause/resume, update, delete.
phase "detached container"
id=vmlane-sleep
if rt create -b "$work/sleep" $id >"$out/sleep" 2>&1 && rt start $id >>"$out/sleep" 2>&1; then
    pass "create + start a detached container"
else
    fail "create + start a detached container" "$(tr '\n' ' ' <"$out/sleep")"
fi
dir=$cg/hull/$id
check "state: running" running "$(state_status $id)"
check "its cgroup is hull/$id (cgroup.procs has the init pid)" \
    "$(rt state $id | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')" "$(cat $dir/cgroup.procs 2>&1)"
check "hull/ delegates memory and pids (cgroup.subtree_control)" "memory pids" \
    "$(grep -ow -e memory -e pids $cg/hull/cgroup.subtree_control 2>&1 | tr '\n' ' ' | sed 's/ $//')"
rt pause $id >"$out/pause" 2>&1
check "pause: cgroup.freeze=1, cgroup.events frozen 1, state paused" "1 1 paused" \
    "$(cat $dir/cgroup.freeze) $(sed -n 's/^frozen //p' $dir/cgroup.events) $(state_status $id)"
rt resume $id >"$out/resume" 2>&1
check "resume: cgroup.freeze=0, cgroup.events frozen 0, state running" "0 0 running" \
    "$(cat $dir/cgroup.freeze) $(sed -n 's/^frozen //p' $dir/cgroup.events) $(state_status $id)"
echo '{"memory": {"limit": 50331648}, "cpu": {"quota": 30000, "period": 60000}, "pids": {"limit": 20}}' |
    rt update --resources - $id >"$out/update" 2>&1
check "update --resources: memory.max, cpu.max, pids.max rewritten" "50331648|30000 60000|20" \
    "$(cat $dir/memory.max)|$(cat $dir/cpu.max)|$(cat $dir/pids.max)$(tr '\n' ' ' <"$out/update")"
stats=$(rt events --stats $id 2>&1)
check_test "events --stats reports memory usage and pids" "$stats" \
    -n "$(echo "$stats" | grep -o '"usage": *{[^}]*"usage": *[1-9]')" -a \
    -n "$(echo "$stats" | grep -o '"pids": *{ *"current": *[1-9]')"
rt kill $id KILL >/dev/null 2>&1
for _ in $(seq 50); do [ "$(state_status $id)" = stopped ] && break; sleep 0.1; done
rt delete $id >"$out/delete" 2>&1
check_test "delete removes hull/$id and the emptied hull/ parent" "$(ls -d $cg/hull $dir 2>&1 | tr '\n' ' ')" \
    ! -e $dir -a ! -e $cg/hull

# --- 3. devices: podman's deny-all rule still leaves the standard devices usable; with the eBPF
# device filter, a device node the rules do not allow cannot be opened.
phase "devices container"
rt run -b "$work/devices" vmlane-devices >"$out/devices" 2>&1
o=$out/devices
controllers=" $(value "$o" cgroup.controllers) "
check "a container without limits still gets memory and pids delegated (stats, OOM events)" "memory pids" \
    "$(for c in memory pids; do case $controllers in *" $c "*) echo $c ;; esac; done | tr '\n' ' ' | sed 's/ $//')"
check "devices (deny-all config): /dev/null /dev/zero /dev/full /dev/random /dev/urandom usable" \
    "ok ok ok ok ok ok" \
    "$(for k in null.read zero.read full.read random.read urandom.read null.write; do value "$o" dev.$k; done | tr '\n' ' ' | sed 's/ $//')"
if ls "$(dirname "$0")"/../../src/cgroups/device_filter* >/dev/null 2>&1; then
    check "eBPF device filter: /dev/vda (present, not allowed) cannot be read" denied "$(value "$o" dev.vda)"
else
    pass "eBPF device filter # skip this tree has no src/cgroups/device_filter* yet"
fi

phase "done"
echo "1..$n"
echo "# cgroup v2 VM lane: $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]

#!/bin/sh
# probe.sh MODE — runs INSIDE a container (busybox sh) in the cgroup v2 VM and prints KEY=VALUE
# lines that tests/vm/cgroup-v2-guest.sh checks. MODE: limits, oom, devices, sleep.
cg=/sys/fs/cgroup
show() {
    for f; do
        echo "$f=$(tr '\n' ' ' <"$cg/$f" 2>&1 | sed 's/ *$//')"
    done
}
uptime_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

case $1 in
sleep)
    exec sleep 600
    ;;
limits)
    echo "proc.cgroup=$(cat /proc/self/cgroup)"
    show cgroup.controllers memory.max memory.swap.max memory.low pids.max cpu.max cpu.weight \
        cpuset.cpus cpuset.mems cpuset.cpus.effective io.max io.weight hugetlb.2MB.max
    echo "cpus_allowed=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)"

    # pids.max: fork sleepers until fork fails; every "started" line is one successful fork.
    started=$( (for i in $(seq 60); do sleep 60 & echo started; done) 2>/dev/null | grep -c started)
    echo "pids.started=$started"
    show pids.current pids.events
    killall sleep 2>/dev/null
    wait

    # cpu.max: a busy loop for one second gets throttled.
    timeout 1 sh -c 'while :; do :; done'
    echo "cpu.nr_throttled=$(sed -n 's/^nr_throttled //p' $cg/cpu.stat)"
    echo "cpu.nr_periods=$(sed -n 's/^nr_periods //p' $cg/cpu.stat)"

    # io.max: a direct read of 1 MiB from /dev/vda at rbps=512KiB/s takes about two seconds.
    start=$(uptime_ms)
    dd if=/dev/vda of=/dev/null bs=64k count=16 iflag=direct 2>/dev/null
    echo "io.read.status=$?"
    echo "io.read.ms=$(($(uptime_ms) - start))"

    ;;
oom)
    # memory.max: allocating 200 MB gets the allocating process OOM-killed (status 137). (A
    # container of its own: under cpu.max the reclaim before the OOM kill is slow under TCG.)
    show memory.max memory.swap.max
    awk 'BEGIN { s = "x"; while (length(s) < 200000000) s = s s; print "allocated", length(s) }'
    echo "oom.status=$?"
    show memory.events
    ;;
devices)
    show cgroup.controllers
    for d in null zero full random urandom; do
        if head -c 1 /dev/$d >/dev/null 2>&1; then echo "dev.$d.read=ok"; else echo "dev.$d.read=denied"; fi
    done
    if { echo x >/dev/null; } 2>/dev/null; then echo "dev.null.write=ok"; else echo "dev.null.write=denied"; fi
    if dd if=/dev/vda of=/dev/null bs=512 count=1 2>/dev/null; then echo "dev.vda=ok"; else echo "dev.vda=denied"; fi
    ;;
*)
    echo "probe.sh: unknown mode $1" >&2
    exit 2
    ;;
esac

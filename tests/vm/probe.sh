#!/bin/sh
# probe.sh MODE — runs INSIDE a container (busybox sh) in the cgroup v2 VM and prints KEY=VALUE
# lines that tests/vm/cgroup-v2-guest.sh and systemd-guest.sh check. MODE: limits, forks, oom,
# devices, sleep.
# Shell builtins wherever possible: under TCG on a busy host every fork+exec costs up to a second.
cg=/sys/fs/cgroup

# show FILE...: FILE=its lines joined by spaces ("(missing)" when it cannot be read)
show() {
    for f; do
        v="(missing)"
        if [ -r "$cg/$f" ]; then
            v=
            while IFS= read -r line; do v="${v:+$v }$line"; done <"$cg/$f"
        fi
        echo "$f=$v"
    done
}
# keyed FILE KEY: the value of the "KEY value" line of FILE
keyed() {
    while read -r k value; do
        [ "$k" = "$2" ] && echo "$value" && return
    done <"$1"
}
# now_ms: guest uptime in ms (/proc/uptime has two decimals)
now_ms() {
    read -r up _ </proc/uptime
    echo $((${up%.*} * 1000 + 1${up#*.}0 - 1000))
}

# forks: fork sleepers until fork fails (the subshell then exits); one "x" per fork.
forks() {
    forks=$( (i=0; while [ $i -lt 16 ]; do sleep 60 >/dev/null & echo -n x; i=$((i + 1)); done) 2>/dev/null)
    echo "pids.started=${#forks}"
    show pids.current pids.events
}

case $1 in
sleep)
    exec sleep 600
    ;;
limits)
    read -r line </proc/self/cgroup
    echo "proc.cgroup=$line"
    show cgroup.controllers memory.max memory.swap.max memory.low pids.max cpu.max cpu.weight \
        cpuset.cpus cpuset.mems cpuset.cpus.effective io.max io.weight hugetlb.2MB.max
    while read -r k value; do
        [ "$k" = Cpus_allowed_list: ] && echo "cpus_allowed=$value"
    done </proc/self/status

    # cpu.max: a busy loop for one second gets throttled.
    (while :; do :; done) &
    busy=$!
    sleep 1
    kill $busy
    wait $busy 2>/dev/null
    echo "cpu.nr_periods=$(keyed $cg/cpu.stat nr_periods)"
    echo "cpu.nr_throttled=$(keyed $cg/cpu.stat nr_throttled)"

    # io.max: a direct read of 1 MiB from /dev/vda at rbps=512KiB/s takes about two seconds.
    start=$(now_ms)
    dd if=/dev/vda of=/dev/null bs=64k count=16 iflag=direct 2>/dev/null
    echo "io.read.status=$?"
    echo "io.read.ms=$(($(now_ms) - start))"

    # pids.max, last (the sleepers stay until the container ends)
    forks
    ;;
forks)
    show pids.max
    forks
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
    # Opening is what the device cgroup decides. (true, not ":": a failed redirection of a
    # special builtin ends the shell.)
    show cgroup.controllers
    for d in null zero full random urandom vda; do
        if { true </dev/$d; } 2>/dev/null; then echo "dev.$d.read=ok"; else echo "dev.$d.read=denied"; fi
    done
    if { true >/dev/null; } 2>/dev/null; then echo "dev.null.write=ok"; else echo "dev.null.write=denied"; fi
    ;;
*)
    echo "probe.sh: unknown mode $1" >&2
    exit 2
    ;;
esac

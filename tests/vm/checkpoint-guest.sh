#!/bin/bash
# checkpoint-guest.sh WORK — the checks of test lane 4, run INSIDE the VM by tests/vm/checkpoint.sh.
# WORK holds the bundles; their rootfs and /data directories live in the guest's /run/criulane.
# Prints TAP, then the counts; exits 1 when a check failed.
set -u
source "$(dirname "$0")/tap.bash"
source "$(dirname "$0")/lane.bash"
work=$1
hull=${HULL_BIN:?HULL_BIN names the hull binary}
state=/run/hull-criulane
g=/run/criulane

rt() { timeout -k 5 120 "$hull" --root "$state" "$@"; }
# The criu log of a failed verb, for the diagnostics.
criu_log() { grep -m1 -B25 "Error" "$1" 2>/dev/null | sed "s/^/criu: /"; }
# consecutive FILE: the counter's log is 0, 1, 2, ... with no gap or restart; prints its length.
consecutive() {
    local expect=0 line
    while read -r line; do
        [ "$line" = "$expect" ] || { echo "line $((expect + 1)) is '$line', not $expect"; return 1; }
        expect=$((expect + 1))
    done <"$1"
    echo "$expect"
}
lines() { local count=0; while read -r _; do count=$((count + 1)); done <"$1" 2>/dev/null; echo "$count"; }
# wait_lines FILE N: until FILE has at least N lines (10 s)
wait_lines() {
    local i
    for i in $(seq 50); do [ "$(lines "$1")" -ge "$2" ] && return 0; sleep 0.2; done
    return 1
}
# step DESCRIPTION LOG ARGS...: `hull ARGS` (stdin /dev/null) passes when it succeeds; otherwise its
# error and the head of criu's LOG are the diagnostics.
step() {
    local description=$1 log=$2
    shift 2
    if rt "$@" </dev/null >/dev/null 2>"$g/err"; then
        pass "$description"
    else
        fail "$description" "$(cat "$g/err")" "$(criu_log "$log")"
    fi
}
first_line() { local line=; read -r line <"$1" 2>/dev/null; echo "$line"; }
pid_of() { rt state "$1" 2>/dev/null | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p'; }
status_of() { rt state "$1" 2>/dev/null | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p'; }

mkdir -p "$g" "$state"
cp -a "$work/base/rootfs" "$g/rootfs"
for b in counter leave copy paused fg tmpfs tcp term; do mkdir -p "$g/$b"; done
chmod 777 "$g/term"  # its process runs as uid 1000

if out=$(criu check 2>&1); then
    pass "criu check passes in the guest ($(uname -r))"
else
    fail "criu check passes in the guest ($(uname -r))" "$out"
    tap_done "checkpoint VM lane"
    exit 1
fi

# --- a counter checkpointed and restored keeps counting from where it was
rt run -d --bundle "$work/counter" c1 </dev/null >/dev/null 2>&1
wait_lines "$g/counter/log" 5
step "checkpoint of a running container" "$g/img1/dump.log" checkpoint --image-path "$g/img1" c1
before=$(lines "$g/counter/log")
ok_if "the checkpointed container is gone (runc: deleted after the dump)" sh -c "! $hull --root $state state c1"
sleep 1
check_still=$(lines "$g/counter/log")
ok_if "nothing counts while it is checkpointed" [ "$check_still" = "$before" ]
step "restore -d under the same id" "$g/img1/restore.log" restore -d --bundle "$work/counter" --image-path "$g/img1" c1
wait_lines "$g/counter/log" $((before + 5))
ok_if "the restored counter continued from $before without a restart" consecutive "$g/counter/log"
ok_if "the restored counter grew past $before" [ "$(lines "$g/counter/log")" -gt "$before" ]
ok_if "state says running" [ "$(status_of c1)" = running ]
restored_cgroup=$(grep -l c1 "/proc/$(pid_of c1)/cgroup" 2>/dev/null)
ok_if "exec into the restored container" rt exec c1 cat /data/log
ok_if "kill and delete the restored container" sh -c "$hull --root $state kill c1 KILL && sleep 0.5 && $hull --root $state delete c1"

ok_if "the restored process was in the container's cgroup" test -n "$restored_cgroup"

# --- --leave-running, and the image restored under a new id with another bundle's /data
rt run -d --bundle "$work/leave" c2 </dev/null >/dev/null 2>&1
wait_lines "$g/leave/log" 5
ok_if "checkpoint --leave-running" rt checkpoint --leave-running --image-path "$g/img2" c2
at_dump=$(lines "$g/leave/log")
wait_lines "$g/leave/log" $((at_dump + 3))
ok_if "the container left running keeps running and counting" test "$(status_of c2)" = running -a "$(lines "$g/leave/log")" -gt "$at_dump"
step "restore under a new id (c3) beside the original" "$g/img2/restore.log" restore -d --bundle "$work/copy" --image-path "$g/img2" c3
wait_lines "$g/copy/log" 3
start=$(first_line "$g/copy/log")
ok_if "the copy counts on from the dump ($start, not 0) in its own /data" test -n "$start" -a "${start:-0}" -gt 0
ok_if "both run: c2 and c3" test "$(status_of c2)" = running -a "$(status_of c3)" = running
rt delete -f c2 >/dev/null 2>&1
rt delete -f c3 >/dev/null 2>&1

# --- pre-dump, then a dump on top of it; a tmpfs and a bind mount come back
rt run -d --bundle "$work/tmpfs" c4 </dev/null >/dev/null 2>&1
wait_lines "$g/tmpfs/log" 5
ok_if "checkpoint --pre-dump" rt checkpoint --pre-dump --image-path "$g/pre" c4
ok_if "the container still runs after the pre-dump" test "$(status_of c4)" = running
step "checkpoint --parent-path ../pre (the dump on top of the pre-dump)" "$g/final/dump.log" checkpoint --image-path "$g/final" --parent-path ../pre c4
ok_if "the dump used the pre-dump as its parent" test -L "$g/final/parent"
before=$(lines "$g/tmpfs/log")
step "restore of the incremental dump" "$g/final/restore.log" restore -d --bundle "$work/tmpfs" --image-path "$g/final" c4
wait_lines "$g/tmpfs/log" $((before + 3))
ok_if "the restored counter continued" consecutive "$g/tmpfs/log"
ok_if "the tmpfs kept its file across checkpoint/restore" test "$(rt exec c4 cat /scratch/note 2>&1)" = kept
ok_if "/scratch is still a tmpfs and /data still the bind mount" sh -c "$hull --root $state exec c4 cat /proc/self/mountinfo | grep -q ' /scratch .* - tmpfs ' && $hull --root $state exec c4 cat /proc/self/mountinfo | grep -q ' /data '"
rt delete -f c4 >/dev/null 2>&1

# --- an established TCP connection (server and client in the container, over lo)
rt run -d --bundle "$work/tcp" c5 </dev/null >/dev/null 2>&1
# established: state 01 in /proc/net/tcp (the two ends of the connection)
for i in $(seq 50); do
    [ "$(rt exec c5 cat /proc/net/tcp 2>/dev/null | grep -c ': 0100007F:[0-9A-F]* 01 ')" -ge 1 ] && break
    sleep 0.2
done
ok_if "the connection is established" sh -c "$hull --root $state exec c5 cat /proc/net/tcp | grep -q ' 01 '"
ok_if "checkpoint without --tcp-established refuses an open connection" sh -c "! $hull --root $state checkpoint --image-path $g/tcp-refused c5"
ok_if "... and the container still runs" test "$(status_of c5)" = running
step "checkpoint --tcp-established" "$g/tcp-img/dump.log" checkpoint --tcp-established --image-path "$g/tcp-img" c5
step "restore --tcp-established" "$g/tcp-img/restore.log" restore -d --tcp-established --bundle "$work/tcp" --image-path "$g/tcp-img" c5
touch "$g/tcp/go"
for i in $(seq 50); do grep -q after-restore "$g/tcp/received" 2>/dev/null && break; sleep 0.2; done
ok_if "data sent after the restore arrives over the restored connection" grep -q after-restore "$g/tcp/received"
rt delete -f c5 >/dev/null 2>&1

# --- a paused container
rt run -d --bundle "$work/paused" c6 </dev/null >/dev/null 2>&1
wait_lines "$g/paused/log" 5
rt pause c6
step "checkpoint of a paused container" "$g/img6/dump.log" checkpoint --image-path "$g/img6" c6
before=$(lines "$g/paused/log")
rt restore -d --bundle "$work/paused" --image-path "$g/img6" c6 </dev/null >/dev/null 2>"$g/err" || cat "$g/err"
[ "$(status_of c6)" = paused ] && rt resume c6
wait_lines "$g/paused/log" $((before + 3))
ok_if "the paused container, restored (and resumed), counts on" consecutive "$g/paused/log"
rt delete -f c6 >/dev/null 2>&1

# --- restore in the foreground: waits for the container like run, then deletes it
rt run -d --bundle "$work/fg" c7 </dev/null >/dev/null 2>&1
wait_lines "$g/fg/log" 3
rt checkpoint --image-path "$g/img7" c7
(rt restore --bundle "$work/fg" --image-path "$g/img7" c7 </dev/null >/dev/null 2>&1; echo $? >"$g/fg-status") &
for i in $(seq 50); do [ "$(status_of c7)" = running ] && break; sleep 0.2; done
ok_if "a foreground restore runs the container" test "$(status_of c7)" = running
rt kill c7 KILL
wait
ok_if "... and returns its exit status (137) when it ends" test "$(cat "$g/fg-status")" = 137
ok_if "... and deletes it" sh -c "! $hull --root $state state c7"

# --- a failed restore leaves nothing behind
mkdir -p "$g/empty"
ok_if "restore from an empty image directory fails, naming criu's error" sh -c "$hull --root $state restore -d --bundle $work/counter --image-path $g/empty c8 2>&1 | grep -q 'criu restore failed'"
ok_if "... and leaves no state directory" test ! -e "$state/c8"
ok_if "... and no cgroup" sh -c "! find /sys/fs/cgroup -name '*c8*' | grep -q ."
ok_if "restore from a missing image directory names it" sh -c "$hull --root $state restore -d --bundle $work/counter --image-path $g/missing c8 2>&1 | grep -q '$g/missing'"

# --- a container with a terminal: dumped as an external tty; restore gives a new pty's master
# to its --console-socket (tests/tools/console-receiver plays containerd's end)
receiver=$(dirname "$hull")/../../tests/console-receiver
# listen SOCKET OUT: a console receiver in the background, ready when this returns
listen() {
    "$receiver" "$1" >"$2" 2>&1 &
    local i
    for i in $(seq 50); do [ -S "$1" ] && return 0; sleep 0.1; done
}
listen "$g/console1.sock" "$g/term-out1"
rt run -d --console-socket "$g/console1.sock" --bundle "$work/term" c9 2>"$g/err" || cat "$g/err"
wait_lines "$g/term/log" 5
step "checkpoint of a container with a terminal" "$g/img9/dump.log" checkpoint --image-path "$g/img9" c9
before=$(lines "$g/term/log")
listen "$g/console2.sock" "$g/term-out2"
step "restore --console-socket of a container with a terminal" "$g/img9/restore.log" restore -d --console-socket "$g/console2.sock" --bundle "$work/term" --image-path "$g/img9" c9
wait_lines "$g/term/log" $((before + 5))
ok_if "the restored counter continued" consecutive "$g/term/log"
ok_if "its terminal output reaches the new console socket (tick$before or later)" grep -qE "tick([0-9]+)" "$g/term-out2"
last=$(grep -oE "tick[0-9]+" "$g/term-out2" | tail -1)
ok_if "... counting on from the dump ($last >= tick$before)" test "${last#tick}" -ge "$before"
ok_if "the restored process's stdout is a terminal" sh -c "$hull --root $state exec c9 readlink /proc/1/fd/1 | grep -q '^/dev/pts/'"
ok_if "the restored terminal belongs to process.user.uid (1000), as at run" test "$(stat -L -c %u "/proc/$(pid_of c9)/fd/1")" = 1000
rt delete -f c9 >/dev/null 2>&1

# --- podman container checkpoint / restore with hull as its runtime (conmon, a local image)
podman_setup /run/criulane-podman cgroupfs
pm_status() { pm inspect --format '{{.State.Status}}' "$1" 2>/dev/null; }
tar -C "$g/rootfs" -cf "$pmd/rootfs.tar" .
if pm import "$pmd/rootfs.tar" localhost/criulane:latest >/dev/null 2>"$pmd/err"; then
    pm run -d --name pmck --network none localhost/criulane:latest sh -c 'i=0; while :; do echo $i; i=$((i+1)); sleep 0.2; done' >/dev/null 2>"$pmd/err"
    sleep 2
    ok_if "podman container checkpoint (hull checkpoint underneath)" pm container checkpoint pmck
    ok_if "... the podman container is exited" test "$(pm_status pmck)" = exited
    ok_if "podman container restore" pm container restore pmck
    ok_if "... the podman container runs again" test "$(pm_status pmck)" = running
    sleep 2
    pm logs pmck >"$pmd/log" 2>&1
    ok_if "... and its output counts on without a restart ($(lines "$pmd/log") lines)" consecutive "$pmd/log"
    pm rm -f pmck >/dev/null 2>&1
else
    fail "podman imports the test image" "$(cat "$pmd/err")"
fi

tap_done "checkpoint VM lane"

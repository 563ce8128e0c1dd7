#!/bin/bash
# checkpoint-guest.sh WORK — the checks of test lane 4, run INSIDE the VM by tests/vm/checkpoint.sh.
# WORK holds the bundles; their rootfs and /data directories live in the guest's /run/criulane.
# Prints TAP, then the counts; exits 1 when a check failed.
set -u
work=$1
hull=${HULL_BIN:?HULL_BIN names the hull binary}
state=/run/hull-criulane
g=/run/criulane
n=0
failed=0

rt() { timeout -k 5 120 "$hull" --root "$state" "$@"; }
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
    shift
    for line in "$@"; do echo "#   $line"; done
}
# ok_if DESCRIPTION COMMAND...: passes when the command succeeds; its output is the diagnostic.
ok_if() {
    local description=$1 output
    shift
    if output=$("$@" 2>&1); then pass "$description"; else fail "$description" "$@" "$output"; fi
}
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
status_of() { rt state "$1" 2>/dev/null | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p'; }

mkdir -p "$g" "$state"
cp -a "$work/base/rootfs" "$g/rootfs"
for b in counter copy tmpfs tcp; do mkdir -p "$g/$b"; done

if out=$(criu check 2>&1); then
    pass "criu check passes in the guest ($(uname -r))"
else
    fail "criu check passes in the guest ($(uname -r))" "$out"
    echo "# $n tests, $failed failed"
    exit 1
fi

# --- a counter checkpointed and restored keeps counting from where it was
rt run -d --bundle "$work/counter" c1 </dev/null >/dev/null 2>&1
wait_lines "$g/counter/log" 5
if rt checkpoint --image-path "$g/img1" c1 2>"$g/err"; then
    pass "checkpoint of a running container"
else
    fail "checkpoint of a running container" "$(cat "$g/err")" "$(criu_log "$g/img1/dump.log")"
fi
before=$(lines "$g/counter/log")
ok_if "the checkpointed container is gone (runc: deleted after the dump)" sh -c "! $hull --root $state state c1"
sleep 1
check_still=$(lines "$g/counter/log")
ok_if "nothing counts while it is checkpointed" [ "$check_still" = "$before" ]
if rt restore -d --bundle "$work/counter" --image-path "$g/img1" c1 </dev/null >/dev/null 2>"$g/err"; then
    pass "restore -d under the same id"
else
    fail "restore -d under the same id" "$(cat "$g/err")" "$(criu_log "$g/img1/restore.log")"
fi
wait_lines "$g/counter/log" $((before + 5))
ok_if "the restored counter continued from $before without a restart" consecutive "$g/counter/log"
ok_if "the restored counter grew past $before" [ "$(lines "$g/counter/log")" -gt "$before" ]
ok_if "state says running" [ "$(status_of c1)" = running ]
ok_if "exec into the restored container" rt exec c1 cat /data/log
ok_if "kill and delete the restored container" sh -c "$hull --root $state kill c1 KILL && sleep 0.5 && $hull --root $state delete c1"

echo "# $n tests, $failed failed"
[ "$failed" = 0 ]

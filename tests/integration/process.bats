#!/usr/bin/env bats
# The container process: args, env, cwd, user, umask, capabilities, rlimits, noNewPrivileges,
# oomScoreAdj, file descriptors and stdio.
load helpers

# caps_mask NAME...: the hex mask /proc/self/status prints for these capabilities.
caps_mask() {
    python3 - "$@" <<'PY'
import sys
numbers = {"CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_FOWNER": 3, "CAP_KILL": 5, "CAP_SETGID": 6,
           "CAP_SETUID": 7, "CAP_SETPCAP": 8, "CAP_NET_BIND_SERVICE": 10, "CAP_NET_RAW": 13,
           "CAP_SYS_CHROOT": 18, "CAP_SYS_ADMIN": 21, "CAP_MKNOD": 27, "CAP_AUDIT_WRITE": 29}
mask = 0
for name in sys.argv[1:]:
    mask |= 1 << numbers[name]
print("%016x" % mask)
PY
}

# status_field NAME: the value of NAME: in a /proc/self/status held in $output.
status_field() { awk -v f="$1:" '$1 == f {print $2}' <<<"$output"; }

set_caps() {  # JSON object for process.capabilities
    config "process.capabilities=$1"
}

@test "args are looked up in the container's PATH; env and cwd are set" {
    config 'process.env=["PATH=/usr/bin:/bin","FOO=bar baz","EMPTY="]' 'process.cwd="/tmp"'
    config 'process.args=["env"]'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    grep -qx 'FOO=bar baz' <<<"$output"
    grep -qx 'EMPTY=' <<<"$output"
    grep -qx 'PATH=/usr/bin:/bin' <<<"$output"
    set_cmd 'echo "$FOO"; pwd; which sh; echo "$0"'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "bar baz" ]
    [ "${lines[1]}" = /tmp ]
    [ "${lines[2]}" = /bin/sh ]
    [ "${lines[3]}" = sh ]
}

@test "args are passed verbatim, including spaces and empty strings" {
    config 'process.args=["sh","-c","printf \"[%s]\" \"$@\"","zero","a b","","$HOME"]'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$output" = '[a b][][$HOME]' ]
}

@test "user uid, gid and additionalGids" {
    config 'process.user={"uid":1000,"gid":1001,"additionalGids":[10,20]}'
    set_cmd 'id -u; id -g; id -G; grep ^Groups /proc/self/status'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 1000 ]
    [ "${lines[1]}" = 1001 ]
    [[ " ${lines[2]} " == *" 10 "* && " ${lines[2]} " == *" 20 "* ]]
    [ "$(echo ${lines[3]})" = "Groups: 10 20" ]
}

@test "umask applies to files the process creates" {
    config 'process.user={"uid":0,"gid":0,"umask":63}'
    set_cmd 'umask; touch /tmp/f; stat -c %a /tmp/f'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 0077 ]
    [ "${lines[1]}" = 600 ]
}

@test "root's capability sets match the config; inheritable is empty when not requested" {
    set_caps '{"bounding":["CAP_CHOWN","CAP_KILL","CAP_NET_BIND_SERVICE"],"effective":["CAP_CHOWN","CAP_KILL","CAP_NET_BIND_SERVICE"],"permitted":["CAP_CHOWN","CAP_KILL","CAP_NET_BIND_SERVICE"]}'
    set_cmd 'grep ^Cap /proc/self/status'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    want=$(caps_mask CAP_CHOWN CAP_KILL CAP_NET_BIND_SERVICE)
    [ "$(status_field CapBnd)" = "$want" ]
    [ "$(status_field CapPrm)" = "$want" ]
    [ "$(status_field CapEff)" = "$want" ]
    [ "$(status_field CapInh)" = 0000000000000000 ]
    [ "$(status_field CapAmb)" = 0000000000000000 ]
}

@test "inheritable and ambient capabilities are set as configured" {
    set_caps '{"bounding":["CAP_CHOWN","CAP_KILL","CAP_NET_RAW","CAP_NET_BIND_SERVICE"],"effective":["CAP_CHOWN","CAP_KILL"],"permitted":["CAP_CHOWN","CAP_KILL","CAP_NET_BIND_SERVICE"],"inheritable":["CAP_NET_BIND_SERVICE"],"ambient":["CAP_NET_BIND_SERVICE"]}'
    set_cmd 'grep ^Cap /proc/self/status'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$(status_field CapBnd)" = "$(caps_mask CAP_CHOWN CAP_KILL CAP_NET_RAW CAP_NET_BIND_SERVICE)" ]
    [ "$(status_field CapInh)" = "$(caps_mask CAP_NET_BIND_SERVICE)" ]
    [ "$(status_field CapAmb)" = "$(caps_mask CAP_NET_BIND_SERVICE)" ]
}

@test "a non-root user gets exactly its ambient capabilities as effective" {
    config 'process.user={"uid":1000,"gid":1000}'
    set_caps '{"bounding":["CAP_KILL","CAP_SETUID","CAP_NET_BIND_SERVICE"],"effective":["CAP_KILL","CAP_NET_BIND_SERVICE"],"permitted":["CAP_KILL","CAP_NET_BIND_SERVICE"],"inheritable":["CAP_NET_BIND_SERVICE"],"ambient":["CAP_NET_BIND_SERVICE"]}'
    set_cmd 'grep ^Cap /proc/self/status'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    # execve by a non-root user without file capabilities: permitted = effective = ambient.
    [ "$(status_field CapEff)" = "$(caps_mask CAP_NET_BIND_SERVICE)" ]
    [ "$(status_field CapPrm)" = "$(caps_mask CAP_NET_BIND_SERVICE)" ]
    [ "$(status_field CapAmb)" = "$(caps_mask CAP_NET_BIND_SERVICE)" ]
    [ "$(status_field CapBnd)" = "$(caps_mask CAP_KILL CAP_SETUID CAP_NET_BIND_SERVICE)" ]
}

@test "an unknown capability is logged as a warning naming it, and the container runs" {
    # config.md: a capability that cannot be mapped to a kernel interface MUST be logged as a
    # warning; runtimes SHOULD NOT fail for capabilities that cannot be granted.
    config 'process.capabilities.bounding+="CAP_NOT_A_THING"'
    set_cmd 'echo ran'
    run --separate-stderr rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$output" = ran ]
    grep -qi 'warn' <<<"$stderr"
    grep -q 'CAP_NOT_A_THING' <<<"$stderr"
    assert_nothing_left "$ID"
}

@test "capabilities the runtime does not hold are warnings, and the rest are granted" {
    # This host runs us without CAP_SYS_RESOURCE; asking for every capability must still work,
    # with exactly the runtime's bounding set (runtime-tools process_capabilities does this).
    all=$("$RUNTIME" features | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["linux"]["capabilities"]))')
    for set in bounding effective permitted; do config "process.capabilities.$set=$all"; done
    set_cmd 'grep -E "^Cap(Bnd|Eff)" /proc/self/status'
    run --separate-stderr rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    own=$(awk '/^CapBnd/ {print $2}' /proc/self/status)
    [ "$(echo $output)" = "CapEff: $own CapBnd: $own" ]
    if [ "$own" != 000001ffffffffff ]; then grep -qi 'not in the runtime.s bounding set' <<<"$stderr"; fi
}

@test "rlimits: NOFILE 512/1024 and CORE 0/0" {
    config 'process.rlimits=[{"type":"RLIMIT_NOFILE","soft":512,"hard":1024},{"type":"RLIMIT_CORE","soft":0,"hard":0}]'
    set_cmd 'ulimit -n; ulimit -Hn; grep "open files" /proc/self/limits; grep "core file" /proc/self/limits'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 512 ]
    [ "${lines[1]}" = 1024 ]
    [ "$(echo ${lines[2]})" = "Max open files 512 1024 files" ]
    [ "$(echo ${lines[3]})" = "Max core file size 0 0 bytes" ]
}

@test "an rlimit above the runtime's own hard limit fails" {
    hard=$(ulimit -Hn)
    config "process.rlimits=[{\"type\":\"RLIMIT_NOFILE\",\"soft\":$((hard + 1)),\"hard\":$((hard + 1))}]"
    run rt run --bundle "$BUNDLE" "$ID"
    assert_failed 'rlimit|operation not permitted'
    assert_nothing_left "$ID"
}

@test "noNewPrivileges sets NoNewPrivs, and it is off by default" {
    set_cmd 'grep ^NoNewPrivs /proc/self/status'
    config 'process.noNewPrivileges=false'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$(echo $output)" = "NoNewPrivs: 0" ]
    config 'process.noNewPrivileges=true'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$(echo $output)" = "NoNewPrivs: 1" ]
}

@test "oomScoreAdj is applied" {
    config 'process.oomScoreAdj=500'
    set_cmd 'cat /proc/self/oom_score_adj'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$output" = 500 ]
}

@test "no runtime fd leaks into the container" {
    set_cmd 'ls /proc/self/fd | tr "\n" " "'
    run rt run --bundle "$BUNDLE" "$ID" 7>/dev/null 8>"$TEST_DIR/x"
    [ "$status" -eq 0 ]
    [ "$output" = "0 1 2 3 " ]   # 3 is ls's own directory fd
}

@test "--preserve-fds 1 passes fd 3 into the container" {
    echo passed-through > "$TEST_DIR/fd3"
    set_cmd 'cat <&3; ls /proc/self/fd | tr "\n" " "'
    run rt run --preserve-fds 1 --bundle "$BUNDLE" "$ID" 3<"$TEST_DIR/fd3" 4</dev/null
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = passed-through ]
    [ "${lines[1]}" = "0 1 2 3 4 " ]   # 4 is ls's directory fd: the caller's fd 4 was not passed
}

@test "socket activation: LISTEN_FDS/LISTEN_PID for the runtime pass the fds and set LISTEN_FDS" {
    echo socket-activated > "$TEST_DIR/fd3"
    set_cmd 'cat <&3; echo "LISTEN_FDS=$LISTEN_FDS"'
    # The sd_listen_fds protocol: LISTEN_PID names the process the fds are meant for.
    run sh -c 'export LISTEN_FDS=1 LISTEN_PID=$$; exec "$@"' x "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID" 3<"$TEST_DIR/fd3"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = socket-activated ]
    [ "${lines[1]}" = LISTEN_FDS=1 ]
}

@test "stdin, stdout and stderr are passed through when terminal is false" {
    set_cmd 'read line; echo "got $line"; echo "err $line" >&2'
    echo hello > "$TEST_DIR/in"
    rt run --bundle "$BUNDLE" "$ID" <"$TEST_DIR/in" >"$TEST_DIR/out" 2>"$TEST_DIR/err"
    [ "$(cat "$TEST_DIR/out")" = "got hello" ]
    [ "$(cat "$TEST_DIR/err")" = "err hello" ]
}

@test "CVE-2024-21626 shape: a cwd through an inherited fd is refused or harmless" {
    skip_if_runc "runc 1.1.5 predates the CVE-2024-21626 fix"
    config 'process.cwd="/proc/self/fd/5"'
    set_cmd 'pwd; ls ..'
    run rt run --bundle "$BUNDLE" "$ID" 5</
    if [ "$status" -eq 0 ]; then
        # Whatever the cwd became, it is inside the container.
        ! grep -q "$TEST_DIR" <<<"$output"
        ! grep -qx work <<<"$output"
    fi
    assert_nothing_left "$ID"
}

#!/usr/bin/env bats
load helpers

caps_mask() {  # capability names → hex mask as /proc/self/status prints it
    python3 - "$@" <<'PY'
import sys
numbers = {"CAP_CHOWN":0,"CAP_DAC_OVERRIDE":1,"CAP_KILL":5,"CAP_SETGID":6,"CAP_SETUID":7,"CAP_NET_BIND_SERVICE":10,"CAP_NET_RAW":13,"CAP_SYS_ADMIN":21,"CAP_AUDIT_WRITE":29}
mask = 0
for name in sys.argv[1:]:
    mask |= 1 << numbers[name]
print("%016x" % mask)
PY
}

status_field() { echo "$output" | awk -v f="$1:" '$1==f {print $2}'; }

@test "args use PATH inside the container, env and cwd are set" {
    config 'process.env=["PATH=/usr/bin:/bin","FOO=bar baz"]' 'process.cwd="/tmp"'
    set_cmd 'echo "$FOO"; pwd; which sh'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "bar baz" ]
    [ "${lines[1]}" = /tmp ]
    [ "${lines[2]}" = /bin/sh ]
}

@test "user uid, gid, additionalGids and umask" {
    config 'process.user={"uid":1000,"gid":1001,"additionalGids":[10,20],"umask":63}' \
        'mounts+={"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["mode=1777"]}'
    set_cmd 'id -u; id -g; id -G; umask; touch /tmp/f; stat -c %a /tmp/f'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 1000 ]
    [ "${lines[1]}" = 1001 ]
    [ "${lines[2]}" = "1001 10 20" ] || [ "${lines[2]}" = "10 20" ]
    [ "${lines[3]}" = 0077 ]
    [ "${lines[4]}" = 600 ]
}

@test "the five capability sets: configured masks, no inheritable without ambient" {
    config 'process.capabilities={"bounding":["CAP_CHOWN","CAP_KILL","CAP_NET_RAW","CAP_NET_BIND_SERVICE"],"effective":["CAP_CHOWN","CAP_KILL"],"permitted":["CAP_CHOWN","CAP_KILL","CAP_NET_BIND_SERVICE"],"inheritable":["CAP_CHOWN","CAP_KILL","CAP_NET_BIND_SERVICE"],"ambient":["CAP_NET_BIND_SERVICE"]}'
    set_cmd 'grep ^Cap /proc/self/status'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    # sh exec'd with ambient NET_BIND_SERVICE: permitted/effective = ambient after execve for root? no: root keeps its sets.
    [ "$(status_field CapBnd)" = "$(caps_mask CAP_CHOWN CAP_KILL CAP_NET_RAW CAP_NET_BIND_SERVICE)" ]
    [ "$(status_field CapInh)" = "$(caps_mask CAP_NET_BIND_SERVICE)" ]
    [ "$(status_field CapAmb)" = "$(caps_mask CAP_NET_BIND_SERVICE)" ]
}

@test "a non-root user keeps exactly the configured capabilities" {
    config 'process.user={"uid":1000,"gid":1000}' \
        'process.capabilities={"bounding":["CAP_KILL","CAP_SETUID"],"effective":["CAP_KILL"],"permitted":["CAP_KILL"]}'
    set_cmd 'grep ^Cap /proc/self/status'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$(status_field CapInh)" = 0000000000000000 ]
    [ "$(status_field CapAmb)" = 0000000000000000 ]
    [ "$(status_field CapBnd)" = "$(caps_mask CAP_KILL CAP_SETUID)" ]
    # execve as non-root without file caps clears permitted/effective unless ambient: the kernel rule.
    [ "$(status_field CapEff)" = 0000000000000000 ]
}

@test "an unknown capability is an error naming the field" {
    config 'process.capabilities.bounding+="CAP_NOT_A_THING"'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *'process.capabilities.bounding[3]: unknown capability "CAP_NOT_A_THING"'* ]]
    assert_nothing_left "$ID"
}

@test "rlimits, noNewPrivileges and oomScoreAdj" {
    config 'process.rlimits=[{"type":"RLIMIT_NOFILE","soft":512,"hard":1024},{"type":"RLIMIT_CORE","soft":0,"hard":0}]' \
        'process.noNewPrivileges=true' 'process.oomScoreAdj=500'
    set_cmd 'ulimit -n; ulimit -Hn; grep NoNewPrivs /proc/self/status | awk "{print \$2}"; cat /proc/self/oom_score_adj'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 512 ]
    [ "${lines[1]}" = 1024 ]
    [ "${lines[2]}" = 1 ]
    [ "${lines[3]}" = 500 ]
}

@test "an rlimit above the hard limit fails with the errno text; soft > hard is a config error" {
    hard=$(ulimit -Hn)
    config "process.rlimits=[{\"type\":\"RLIMIT_NOFILE\",\"soft\":$((hard + 1)),\"hard\":$((hard + 1))}]"
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"RLIMIT_NOFILE: setrlimit"*"Operation not permitted"* ]]
    config 'process.rlimits=[{"type":"RLIMIT_NOFILE","soft":20,"hard":10}]'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"process.rlimits[0]: soft limit 20 is greater than hard limit 10"* ]]
    assert_nothing_left "$ID"
}

@test "no host fd leaks into the container; --preserve-fds passes fds 3.. with LISTEN_FDS" {
    set_cmd 'ls /proc/self/fd | tr "\n" " "'
    run hull run --bundle "$BUNDLE" "$ID" 7>/dev/null
    [ "$status" -eq 0 ]
    [ "$output" = "0 1 2 3 " ]   # 3 is ls's own directory fd
    set_cmd 'cat <&3; echo "LISTEN_FDS=$LISTEN_FDS"'
    echo passed-through > "$TEST_DIR/fd3"
    run hull run --preserve-fds 1 --bundle "$BUNDLE" "$ID" 3<"$TEST_DIR/fd3"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = passed-through ]
    run env LISTEN_FDS=1 "$HULL_BIN" --root "$ROOT" run --bundle "$BUNDLE" "$ID" 3<"$TEST_DIR/fd3"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = passed-through ]
    [ "${lines[1]}" = LISTEN_FDS=1 ]
    run hull run --preserve-fds 2 --bundle "$BUNDLE" "$ID" 3<&- 4<&-
    [ "$status" -eq 1 ]
    [[ "$output" == *"--preserve-fds: fd 3 is not open"* ]]
}

@test "CVE-2024-21626 shape: a cwd through a leaked fd is refused" {
    config 'process.cwd="/proc/self/fd/5"'
    run hull run --bundle "$BUNDLE" "$ID" 5</
    [ "$status" -ne 0 ]
    assert_nothing_left "$ID"
}

@test "stdin is passed through when terminal is false" {
    set_cmd 'read line; echo "got $line"'
    run bash -c "echo hello | '$HULL_BIN' --root '$ROOT' run --bundle '$BUNDLE' '$ID'"
    [ "$status" -eq 0 ]
    [ "$output" = "got hello" ]
}

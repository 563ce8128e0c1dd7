#!/usr/bin/env bats
# Security, second round (issue 16): each test is the shape of an attack from outside the
# container, or of a config that would widen what the container gets. The host must be untouched.
load helpers

RECEIVER=${RECEIVER:-$HERE/../../build/tests/console-receiver}

# The real value of a sysctl in the network namespace of process PID.
netns_sysctl() { nsenter --net="/proc/$1/ns/net" cat "/proc/sys/$2"; }

@test "CVE-2025-52881 class: a sysctl whose /proc/sys file is bind-mounted over goes to the real sysctl, not the host file" {
    printf 'original\n' > "$TEST_DIR/decoy"
    config "mounts+={\"destination\":\"/proc/sys/net/ipv4/ip_forward\",\"type\":\"bind\",\"source\":\"$TEST_DIR/decoy\",\"options\":[\"bind\"]}" \
        'linux.sysctl={"net.ipv4.ip_forward":"1"}'
    set_cmd 'sleep 100'
    rt create --bundle "$BUNDLE" "$ID"
    pid=$(state_field "$ID" pid)
    [ "$(cat "$TEST_DIR/decoy")" = original ]
    [ "$(netns_sysctl "$pid" net/ipv4/ip_forward)" = 1 ]
    rt delete --force "$ID"
    assert_nothing_left "$ID"
}

@test "CVE-2025-52881 class: oom_score_adj and the id maps are written through a private procfs" {
    config 'process.oomScoreAdj=123'
    set_cmd 'cat /proc/self/oom_score_adj'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$output" = 123 ]
}

@test "namespaced sysctls: a network namespace joined by path that is the runtime's own is refused" {
    current=$(cat /proc/sys/net/ipv4/tcp_syncookies)
    config "@c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network'] + [{'type': 'network', 'path': '/proc/$$/ns/net'}]" \
        "linux.sysctl={\"net.ipv4.tcp_syncookies\":\"$current\"}"
    run rt run --bundle "$BUNDLE" "$ID"
    assert_failed 'linux\.sysctl\["net\.ipv4\.tcp_syncookies"\]: the network namespace joined at /proc/[0-9]+/ns/net is the runtime.s own'
    [ "$(wc -l <<<"$output")" -eq 1 ]
    assert_nothing_left "$ID"
}

@test "namespaced sysctls: an ipc namespace joined by path that is the runtime's own is refused" {
    current=$(cat /proc/sys/kernel/shmmni)
    config "@c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'ipc'] + [{'type': 'ipc', 'path': '/proc/$$/ns/ipc'}]" \
        "linux.sysctl={\"kernel.shmmni\":\"$current\"}"
    run rt run --bundle "$BUNDLE" "$ID"
    assert_failed 'linux\.sysctl\["kernel\.shmmni"\]: the ipc namespace joined at .* is the runtime.s own'
    assert_nothing_left "$ID"
}

@test "CVE-2024-21626 class: a stale LISTEN_FDS (LISTEN_PID not ours) passes no fd and no variable on" {
    mkdir "$TEST_DIR/hostdir"
    set_cmd 'if [ -e /proc/self/fd/3 ]; then echo leaked; else echo clean; fi; echo "fds=${LISTEN_FDS:-none}"'
    run env LISTEN_FDS=1 LISTEN_PID=1 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID" 3<"$TEST_DIR/hostdir"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = clean ]
    [ "${lines[1]}" = fds=none ]
    # The real thing still works: LISTEN_PID is the runtime's own pid.
    run env RUNTIME="$RUNTIME" ROOT="$ROOT" BUNDLE="$BUNDLE" ID="$ID-2" sh -c \
        'export LISTEN_FDS=1 LISTEN_PID=$$; exec "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"' 3<"$TEST_DIR/hostdir"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = leaked ]
    [ "${lines[1]}" = fds=1 ]
}

@test "pid files: a symlink planted at the temporary name or the pid file itself is never followed (create and exec)" {
    printf 'keep\n' > "$TEST_DIR/victim"
    for name in pid.hull-tmp .pid.hull-tmp pid exec.pid.hull-tmp .exec.pid.hull-tmp exec.pid; do
        ln -s "$TEST_DIR/victim" "$TEST_DIR/$name"
    done
    set_cmd 'sleep 100'
    rt create --pid-file "$TEST_DIR/pid" --bundle "$BUNDLE" "$ID"
    [ "$(cat "$TEST_DIR/victim")" = keep ]
    [ ! -L "$TEST_DIR/pid" ]
    [ "$(cat "$TEST_DIR/pid")" = "$(state_field "$ID" pid)" ]
    rt start "$ID"
    rt exec --detach --pid-file "$TEST_DIR/exec.pid" "$ID" sleep 50
    [ "$(cat "$TEST_DIR/victim")" = keep ]
    [ ! -L "$TEST_DIR/exec.pid" ]
    grep -qE '^[0-9]+$' "$TEST_DIR/exec.pid"
}

@test "an execve failure after start is reported by start and by run, in one line, not lost" {
    printf '\001\002\003\004garbage' > "$BUNDLE/rootfs/notabinary"
    chmod 755 "$BUNDLE/rootfs/notabinary"
    config 'process.args=["/notabinary"]'
    rt create --bundle "$BUNDLE" "$ID"
    run --separate-stderr rt start "$ID"
    [ "$status" -ne 0 ]
    grep -qi 'exec.*/notabinary.*exec format error' <<<"$stderr"
    ! grep -q ': 0exec' <<<"$stderr"
    [ "$(wc -l <<<"$stderr")" -eq 1 ]
    rt delete --force "$ID"
    run --separate-stderr rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -ne 0 ]
    grep -qi 'exec format error' <<<"$stderr"
    assert_nothing_left "$ID"
}

@test "CVE-2022-27650/29162 class: ambient capabilities without inheritable ones give a non-root process nothing" {
    config 'process.user={"uid":1000,"gid":1000}' \
        'process.capabilities.ambient=["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"]' \
        'process.capabilities.inheritable=[]'
    set_cmd 'grep -E "^Cap(Inh|Prm|Eff|Amb)" /proc/self/status; exec sleep 100'
    rt run --detach --bundle "$BUNDLE" "$ID" > "$TEST_DIR/run.out" 2> "$TEST_DIR/run.err"
    wait_for_file "$TEST_DIR/run.out"
    for _ in $(seq 50); do [ "$(wc -l < "$TEST_DIR/run.out")" -ge 4 ] && break; sleep 0.05; done
    cat "$TEST_DIR/run.out"
    [ "$(grep -c ':	0000000000000000$' "$TEST_DIR/run.out")" -eq 4 ]
    grep -q 'process.capabilities.ambient: CAP_KILL is not in both the inheritable and the permitted set' "$TEST_DIR/run.err"
    run rt exec --user 1000:1000 --cap CAP_NET_RAW "$ID" grep -E '^Cap(Inh|Prm|Eff|Amb)' /proc/self/status
    [ "$status" -eq 0 ]
    [ "$(grep -c ':	0000000000000000$' <<<"$output")" -eq 4 ]
}

@test "ambient capabilities that are inheritable and permitted are still raised" {
    config 'process.user={"uid":1000,"gid":1000}' \
        'process.capabilities.ambient=["CAP_KILL"]' 'process.capabilities.inheritable=["CAP_KILL"]'
    set_cmd 'grep -E "^CapAmb" /proc/self/status'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$output" = "CapAmb:	0000000000000020" ]
}

@test "a terminal with the image's /dev and a read-only root: /dev/console is made before the root is read-only" {
    drop_mount /dev
    drop_mount /dev/shm
    drop_mount /dev/mqueue
    drop_mount /dev/pts
    config 'root.readonly=true' 'process.terminal=true'
    mkdir -p "$BUNDLE/rootfs/dev/pts"
    ln -sf pts/ptmx "$BUNDLE/rootfs/dev/ptmx"
    config 'mounts+={"destination":"/dev/pts","type":"devpts","source":"devpts","options":["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620"]}'
    set_cmd '[ -t 1 ] && echo tty-ok; touch /x 2>/dev/null || echo root-ro'
    "$RECEIVER" "$TEST_DIR/console.sock" > "$TEST_DIR/console.out" 2>&1 < /dev/null &
    CLEANUP_PIDS+=($!)
    receiver=$!
    for _ in $(seq 50); do [ -S "$TEST_DIR/console.sock" ] && break; sleep 0.05; done
    run rt run --console-socket "$TEST_DIR/console.sock" --bundle "$BUNDLE" "$ID"
    echo "$output"
    [ "$status" -eq 0 ]
    wait "$receiver" || true
    grep -q tty-ok "$TEST_DIR/console.out"
    grep -q root-ro "$TEST_DIR/console.out"
}

@test "argument and environment sizes past execve's limits are refused at create, naming the field" {
    config '@c["process"]["args"] = ["echo", "a" * 140000]'
    run rt create --bundle "$BUNDLE" "$ID"
    assert_failed '^.*process\.args\[1\]: 140001 bytes, more than execve takes in one string'
    assert_nothing_left "$ID"
    python3 - "$BUNDLE/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["echo", "x"]
c["process"]["env"] = ["V%d=%s" % (i, "b" * 100000) for i in range(10)]
c["process"]["rlimits"] = [r for r in c["process"].get("rlimits", []) if r["type"] != "RLIMIT_STACK"] + \
    [{"type": "RLIMIT_STACK", "soft": 1048576, "hard": 1048576}]
json.dump(c, open(sys.argv[1], "w"))
PY
    run rt create --bundle "$BUNDLE" "$ID"
    assert_failed 'process\.args and process\.env: [0-9]+ bytes, more than execve takes'
    assert_nothing_left "$ID"
}

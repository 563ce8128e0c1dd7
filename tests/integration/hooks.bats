#!/usr/bin/env bats
load helpers

# A hook that appends "<kind> <status> <pid-present> <id> <args...> <env FOO>" and the namespace it ran in.
write_hook() {
    cat > "$TEST_DIR/hook.sh" <<'HOOK'
#!/bin/sh
state=$(cat)
kind=$1; shift
status=$(echo "$state" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["status"], "pid" in s and s["pid"] > 0, s["id"])' 2>/dev/null || echo "$state" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')
echo "$kind $status $* FOO=$FOO mnt=$(readlink /proc/self/ns/mnt)" >> "$HOOK_LOG"
HOOK
    chmod +x "$TEST_DIR/hook.sh"
}

hook_json() {  # kind
    echo "{\"path\":\"$TEST_DIR/hook.sh\",\"args\":[\"hook.sh\",\"$1\",\"a1\"],\"env\":[\"FOO=bar\",\"HOOK_LOG=$TEST_DIR/hooks.log\",\"PATH=/usr/bin:/bin\"]}"
}

@test "all six hooks run in order with the state on stdin, args and env" {
    write_hook
    cp /usr/bin/python3 "$BUNDLE/rootfs/bin/" 2>/dev/null || true
    config "hooks={\"prestart\":[$(hook_json prestart)],\"createRuntime\":[$(hook_json createRuntime)],\"poststart\":[$(hook_json poststart)],\"poststop\":[$(hook_json poststop)]}"
    set_cmd 'sleep 100'
    hull create --bundle "$BUNDLE" "$ID"
    hull start "$ID"
    hull delete --force "$ID"
    cat "$TEST_DIR/hooks.log"
    run cut -d' ' -f1-6 "$TEST_DIR/hooks.log"
    [ "${lines[0]}" = "prestart creating True $ID a1 FOO=bar" ]
    [ "${lines[1]}" = "createRuntime creating True $ID a1 FOO=bar" ]
    [ "${lines[2]}" = "poststart running True $ID a1 FOO=bar" ]
    [ "${lines[3]}" = "poststop stopped False $ID a1 FOO=bar" ]
    # Runtime-namespace hooks run in the host's mount namespace.
    grep -qF "mnt=$(readlink /proc/self/ns/mnt)" <(head -1 "$TEST_DIR/hooks.log")
}

@test "createContainer and startContainer hooks run in the container's mount namespace" {
    cat > "$TEST_DIR/inhook.sh" <<HOOK
#!/bin/sh
echo "\$1 \$(readlink /proc/self/ns/mnt) \$(cat | grep -o '"status":"[a-z]*"')" >> $TEST_DIR/in.log
HOOK
    chmod +x "$TEST_DIR/inhook.sh"
    # startContainer runs after pivot_root: its path resolves inside the container.
    cp "$TEST_DIR/inhook.sh" "$BUNDLE/rootfs/bin/inhook.sh"
    sed -i "s|$TEST_DIR/in.log|/tmp/in.log|" "$BUNDLE/rootfs/bin/inhook.sh"
    config "hooks={\"createContainer\":[{\"path\":\"$TEST_DIR/inhook.sh\",\"args\":[\"inhook.sh\",\"createContainer\"]}],\"startContainer\":[{\"path\":\"/bin/inhook.sh\",\"args\":[\"inhook.sh\",\"startContainer\"]}]}" \
        'mounts+={"destination":"/tmp","type":"tmpfs","source":"tmpfs"}'
    set_cmd 'readlink /proc/self/ns/mnt; cat /tmp/in.log'
    run hull run --bundle "$BUNDLE" "$ID"
    echo "$output"; cat "$TEST_DIR/in.log"
    [ "$status" -eq 0 ]
    container_mnt=${lines[0]}
    [ "$container_mnt" != "$(readlink /proc/self/ns/mnt)" ]
    grep -qxF "createContainer $container_mnt \"status\":\"creating\"" "$TEST_DIR/in.log"
    [[ "${lines[1]}" == "startContainer $container_mnt \"status\":\"created\"" ]]
}

@test "a failing createRuntime hook fails create with its output and leaves nothing behind" {
    printf '#!/bin/sh\necho "no network for you" >&2\nexit 3\n' > "$TEST_DIR/fail.sh"
    chmod +x "$TEST_DIR/fail.sh"
    config "hooks={\"createRuntime\":[{\"path\":\"$TEST_DIR/fail.sh\"}]}"
    run hull create --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"hook createRuntime[0] $TEST_DIR/fail.sh: exit status 3: no network for you"* ]]
    assert_nothing_left "$ID"
}

@test "a hook past its timeout is killed and fails the step" {
    printf '#!/bin/sh\nsleep 30\n' > "$TEST_DIR/slow.sh"
    chmod +x "$TEST_DIR/slow.sh"
    config "hooks={\"prestart\":[{\"path\":\"$TEST_DIR/slow.sh\",\"timeout\":1}]}"
    start=$(date +%s)
    run hull create --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"hook prestart[0] $TEST_DIR/slow.sh: timed out after 1s"* ]]
    [ $(( $(date +%s) - start )) -lt 10 ]
    assert_nothing_left "$ID"
}

@test "a failing poststart or poststop hook is a warning, not a failure" {
    printf '#!/bin/sh\nexit 1\n' > "$TEST_DIR/fail.sh"
    chmod +x "$TEST_DIR/fail.sh"
    config "hooks={\"poststart\":[{\"path\":\"$TEST_DIR/fail.sh\"}],\"poststop\":[{\"path\":\"$TEST_DIR/fail.sh\"}]}"
    set_cmd 'true'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: hook poststart[0]"*"exit status 1"* ]]
    assert_nothing_left "$ID"
}

@test "a hook path that is not absolute is a config error" {
    config 'hooks={"prestart":[{"path":"relative/hook"}]}'
    run hull create --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *'hooks.prestart[0].path: must be an absolute path'* ]]
}

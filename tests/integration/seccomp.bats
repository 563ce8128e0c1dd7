#!/usr/bin/env bats
load helpers

AGENT=${AGENT:-$HERE/../../build/tests/seccomp-agent}
PROBE=${PROBE:-$HERE/../../build/tests/seccomp-probe}

@test "seccomp: a blocked syscall returns the configured errno, others work" {
    config 'linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}'
    set_cmd 'mkdir /tmp/x 2>&1; echo still-running'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == *"Permission denied"* ]]
    [ "${lines[1]}" = still-running ]
}

@test "seccomp: a filter does not turn on no_new_privs unless process.noNewPrivileges asks" {
    config 'linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}'
    config 'process.noNewPrivileges=false'
    set_cmd 'grep ^NoNewPrivs /proc/self/status'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$(echo $output)" = "NoNewPrivs: 0" ]
    config 'process.noNewPrivileges=true'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "$(echo $output)" = "NoNewPrivs: 1" ]
}

@test "seccomp: the real podman default profile lets busybox run" {
    profile=$(python3 -c "import json; print(json.dumps(json.load(open('$HERE/../unit/fixtures/podman-config.json'))['linux']['seccomp']))")
    config "linux.seccomp=$profile"
    set_cmd 'echo ok; ls / >/dev/null && echo ls-ok'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = ok ]
    [ "${lines[1]}" = ls-ok ]
}

@test "seccomp: SCMP_ACT_NOTIFY sends the listener and the process state to listenerPath" {
    "$AGENT" "$TEST_DIR/agent.sock" > "$TEST_DIR/agent.out" 2>&1 &
    CLEANUP_PIDS+=($!)
    for _ in $(seq 50); do [ -S "$TEST_DIR/agent.sock" ] && break; sleep 0.05; done
    config "linux.seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"$TEST_DIR/agent.sock\",\"listenerMetadata\":\"meta-1\",\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}"
    set_cmd 'mkdir /tmp/made && echo mkdir-said-yes; [ -d /tmp/made ] || echo but-nothing-was-made'
    run rt run --bundle "$BUNDLE" "$ID"
    cat "$TEST_DIR/agent.out"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = mkdir-said-yes ]
    [ "${lines[1]}" = but-nothing-was-made ]
    grep -q '"metadata":"meta-1"' "$TEST_DIR/agent.out"
    grep -q '"fds":\["seccompFd"\]' "$TEST_DIR/agent.out"
    grep -q "\"id\":\"$ID\"" "$TEST_DIR/agent.out"
    grep -q '^notified: mkdir' "$TEST_DIR/agent.out"
}

@test "seccomp: unknown actions and a NOTIFY rule without listenerPath are config errors" {
    config 'linux.seccomp={"defaultAction":"SCMP_ACT_BOGUS"}'
    run rt create --bundle "$BUNDLE" "$ID"
    assert_failed 'linux.seccomp.defaultAction: unknown action "SCMP_ACT_BOGUS"'
    config 'linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}]}'
    run rt create --bundle "$BUNDLE" "$ID"
    assert_failed 'listenerPath'
    assert_nothing_left "$ID"
}

@test "seccomp: NOTIFY on the calls the runtime itself makes after the load (capabilities, user, signals, files, execve) does not hang" {
    # With noNewPrivileges false the filter is loaded before the user and capabilities are set, so
    # the runtime's own capset/prctl/openat there are notified too: they reach the agent.
    for nnp in true false; do
        "$AGENT" "$TEST_DIR/agent.sock" --continue > "$TEST_DIR/agent.out" 2>&1 &
        CLEANUP_PIDS+=($!)
        for _ in $(seq 50); do [ -S "$TEST_DIR/agent.sock" ] && break; sleep 0.05; done
        config "process.noNewPrivileges=$nnp" "linux.seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"$TEST_DIR/agent.sock\",\"syscalls\":[{\"names\":[\"execve\",\"openat\",\"open\",\"read\",\"close\",\"capset\",\"capget\",\"prctl\",\"setresuid\",\"setresgid\",\"setgroups\",\"umask\",\"rt_sigaction\",\"rt_sigprocmask\",\"fcntl\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}"
        set_cmd 'echo survived'
        run timeout -k 5 30 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID-$nnp"
        cat "$TEST_DIR/agent.out"
        [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || { echo "hull hung (noNewPrivileges $nnp)"; false; }
        [ "$status" -eq 0 ]
        [ "${lines[-1]}" = survived ]
        grep -q '^notified: execve' "$TEST_DIR/agent.out"
        grep -q '^notified: rt_sigaction' "$TEST_DIR/agent.out"
        if [ "$nnp" = false ]; then grep -q '^notified: capset' "$TEST_DIR/agent.out"; fi
        rm -f "$TEST_DIR/agent.sock"
    done
}

@test "seccomp: the runtime closes the agent connection once the notify fd is sent (an agent reading to EOF gets its message)" {
    skip_if_runc "runc 1.1.5 keeps the agent connection open until it exits: an agent reading to EOF deadlocks with it"
    for nnp in true false; do
        "$AGENT" "$TEST_DIR/agent.sock" --wait-eof --continue > "$TEST_DIR/agent.out" 2>&1 &
        CLEANUP_PIDS+=($!)
        for _ in $(seq 50); do [ -S "$TEST_DIR/agent.sock" ] && break; sleep 0.05; done
        config "process.noNewPrivileges=$nnp" "linux.seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"$TEST_DIR/agent.sock\",\"syscalls\":[{\"names\":[\"execve\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}"
        set_cmd 'echo survived'
        run timeout -k 5 30 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID-$nnp"
        cat "$TEST_DIR/agent.out"
        [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || { echo "run hung (noNewPrivileges $nnp)"; false; }
        [ "$status" -eq 0 ]
        [ "${lines[-1]}" = survived ]
        grep -q '^eof$' "$TEST_DIR/agent.out"
        grep -q '^notified: execve' "$TEST_DIR/agent.out"
        rm -f "$TEST_DIR/agent.sock"
    done
}

@test "seccomp: exec into a container with a NOTIFY profile hands its own notify fd over and closes the connection" {
    skip_if_runc "runc 1.1.5 keeps the agent connection open until it exits: an agent reading to EOF deadlocks with it"
    start_agent() {
        rm -f "$TEST_DIR/agent.sock"
        "$AGENT" "$TEST_DIR/agent.sock" --wait-eof --continue > "$TEST_DIR/$1.out" 2>&1 &
        CLEANUP_PIDS+=($!)
        for _ in $(seq 50); do [ -S "$TEST_DIR/agent.sock" ] && break; sleep 0.05; done
    }
    start_agent init
    config "linux.seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"$TEST_DIR/agent.sock\",\"syscalls\":[{\"names\":[\"execve\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}"
    set_cmd 'sleep 100'
    timeout -k 5 30 "$RUNTIME" --root "$ROOT" create --bundle "$BUNDLE" "$ID"
    timeout -k 5 30 "$RUNTIME" --root "$ROOT" start "$ID"
    start_agent exec
    run timeout -k 5 30 "$RUNTIME" --root "$ROOT" exec "$ID" sh -c 'echo exec-survived'
    cat "$TEST_DIR/exec.out"
    [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || { echo "exec hung"; false; }
    [ "$status" -eq 0 ]
    [ "${lines[-1]}" = exec-survived ]
    grep -q '^eof$' "$TEST_DIR/exec.out"
    grep -q '^notified: execve' "$TEST_DIR/exec.out"
}

@test "seccomp: exec with no agent at listenerPath any more fails in runc's words and runs nothing" {
    "$AGENT" "$TEST_DIR/agent.sock" --continue > "$TEST_DIR/agent.out" 2>&1 &
    CLEANUP_PIDS+=($!)
    for _ in $(seq 50); do [ -S "$TEST_DIR/agent.sock" ] && break; sleep 0.05; done
    config "linux.seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"$TEST_DIR/agent.sock\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}"
    set_cmd 'sleep 100'
    timeout -k 5 30 "$RUNTIME" --root "$ROOT" run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    rm -f "$TEST_DIR/agent.sock"  # the agent took its one connection; now nobody listens there
    run timeout -k 5 30 "$RUNTIME" --root "$ROOT" exec "$ID" touch /tmp/exec-ran
    [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || { echo "exec hung"; false; }
    assert_failed "failed to connect with seccomp agent specified in the seccomp profile: .*agent.sock.*No such file or directory"
    [ ! -e "$BUNDLE/rootfs/tmp/exec-ran" ]
    [ "$(rt ps "$ID" | wc -l)" -eq 2 ]  # the header and the init: no exec'd process left
}

@test "seccomp: create loads the filter, sets the user, capabilities and no_new_privs (runc's order); the agent has its fd before start" {
    "$AGENT" "$TEST_DIR/agent.sock" --continue > "$TEST_DIR/agent.out" 2>&1 &
    CLEANUP_PIDS+=($!)
    for _ in $(seq 50); do [ -S "$TEST_DIR/agent.sock" ] && break; sleep 0.05; done
    config 'process.user={"uid":65534,"gid":65534}' 'process.noNewPrivileges=true' \
        "linux.seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"$TEST_DIR/agent.sock\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}"
    set_cmd 'echo started'
    # The container keeps stdio until it runs: not bats' output pipe.
    timeout -k 5 30 "$RUNTIME" --root "$ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_DIR/out" 2>&1
    pid=$(state_field "$ID" pid)
    grep -E '^(Uid|CapEff|NoNewPrivs|Seccomp):' "/proc/$pid/status"
    grep -qE '^Uid:\s+65534\s+65534' "/proc/$pid/status"
    grep -qE '^NoNewPrivs:\s+1' "/proc/$pid/status"
    grep -qE '^Seccomp:\s+2' "/proc/$pid/status"
    wait_for_file "$TEST_DIR/agent.out"
    grep -q '^state: .*"status":"creating"' "$TEST_DIR/agent.out"
    timeout -k 5 30 "$RUNTIME" --root "$ROOT" start "$ID"
    wait_for_status "$ID" stopped
    [ "$(cat "$TEST_DIR/out")" = started ]
}

@test "seccomp: an agent that goes away once it has the notify fd leaves no one waiting: notified calls fail with ENOSYS" {
    for nnp in true false; do
        "$AGENT" "$TEST_DIR/agent.sock" --quit > "$TEST_DIR/agent.out" 2>&1 &
        CLEANUP_PIDS+=($!)
        for _ in $(seq 50); do [ -S "$TEST_DIR/agent.sock" ] && break; sleep 0.05; done
        config "process.noNewPrivileges=$nnp" "linux.seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"$TEST_DIR/agent.sock\",\"syscalls\":[{\"names\":[\"execve\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}"
        set_cmd 'echo never'
        run timeout -k 5 30 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID-$nnp"
        cat "$TEST_DIR/agent.out"
        [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || { echo "run hung (noNewPrivileges $nnp)"; false; }
        grep -q '^state: ' "$TEST_DIR/agent.out"
        assert_failed 'exec.*Function not implemented'
        rm -f "$TEST_DIR/agent.sock"
    done
}

@test "seccomp: NOTIFY with no agent at listenerPath fails in runc's words, then hull's detail, and leaves nothing" {
    config "linux.seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"$TEST_DIR/nobody.sock\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}"
    run timeout -k 5 30 "$RUNTIME" --root "$ROOT" create --bundle "$BUNDLE" "$ID"
    [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || { echo "create hung"; false; }
    assert_failed "failed to connect with seccomp agent specified in the seccomp profile: .*$TEST_DIR/nobody.sock.*No such file or directory"
    assert_nothing_left "$ID"
    assert_root_empty
}

@test "seccomp: NOTIFY on write or sendmsg (the runtime's own calls before the agent has the fd) is refused at create, naming the field" {
    skip_if_runc "runc 1.1.5 refuses NOTIFY on write only, in words that name no field"
    for call in write sendmsg; do
        config "linux.seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"$TEST_DIR/agent.sock\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"},{\"names\":[\"mkdir\",\"$call\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}"
        run timeout -k 5 30 "$RUNTIME" --root "$ROOT" create --bundle "$BUNDLE" "$ID"
        [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || { echo "create hung"; false; }
        assert_failed "linux\.seccomp\.syscalls\[1\]\.names\[1\]: SCMP_ACT_NOTIFY cannot be used for the $call syscall"
        [ "${#lines[@]}" -eq 1 ]
        assert_nothing_left "$ID"
    done
}

@test "seccomp: startContainer hooks run under the container's filter (a denied call fails the hook and start), as in runc" {
    config 'linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}'
    set_cmd 'ls -d /hook-* 2>&1; echo program-ran'
    # An allowed call works in the hook: it still runs, in the container.
    config 'hooks={"startContainer":[{"path":"/bin/sh","args":["sh","-c","touch /hook-touched"]}]}'
    run timeout -k 5 30 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
    [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || { echo "run hung"; false; }
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = /hook-touched ]
    [ "${lines[1]}" = program-ran ]
    rm -f "$BUNDLE/rootfs/hook-touched"
    # A call the profile denies fails in the hook as it would in the program.
    config 'hooks={"startContainer":[{"path":"/bin/sh","args":["sh","-c","mkdir /hook-made"]}]}'
    rt create --bundle "$BUNDLE" "$ID"
    pid=$(state_field "$ID" pid)
    run timeout -k 5 30 "$RUNTIME" --root "$ROOT" start "$ID"
    [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || { echo "start hung"; false; }
    if ! runtime_is_runc; then  # runc's start returns 0 before the hook runs (hooks.bats)
        assert_failed 'startContainer.*Operation not permitted'
    fi
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    ! kill -0 "$pid" 2>/dev/null
    [ ! -e "$BUNDLE/rootfs/hook-made" ]
    rt delete --force "$ID"
    assert_nothing_left "$ID"
}

@test "seccomp: with a denying default, syscalls newer than the profile get ENOSYS (glibc falls back from clone3), older unnamed ones the default" {
    [ -x "$PROBE" ] || { echo "missing $PROBE: build hull's tests"; false; }
    cp "$PROBE" "$BUNDLE/rootfs/seccomp-probe"
    # What busybox sh, a fork and the static probe call, and hull or runc after loading the filter; not
    # clone3 (435), nor mkdir. The highest named is rseq (334 on x86_64).
    allowed='"arch_prctl","brk","clone","close","dup","dup2","dup3","epoll_ctl","epoll_pwait","execve","exit","exit_group","fcntl","fstat","fstatfs","futex",
        "getcwd","getdents64","getegid","geteuid","getgid","getpgrp","getpid","getppid","getrandom","getuid","ioctl","lseek","madvise",
        "mmap","mprotect","munmap","nanosleep","newfstatat","openat","pipe2","prctl","prlimit64","read","readlink","rseq",
        "rt_sigaction","rt_sigprocmask","rt_sigreturn","sched_yield","sendto","tgkill","gettid","set_robust_list","set_tid_address","sigaltstack","uname","wait4","write"'
    set_cmd 'echo $(echo forked); /seccomp-probe thread 1000 435; mkdir /made 2>&1; true'
    for arches in '' '"architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],'; do
        # runc 1.1.5 stubs only the architectures listed; hull takes none listed as the native one.
        if [ -z "$arches" ] && runtime_is_runc; then continue; fi
        config 'process.noNewPrivileges=true' \
            "linux.seccomp={\"defaultAction\":\"SCMP_ACT_ERRNO\",$arches\"syscalls\":[{\"names\":[$allowed],\"action\":\"SCMP_ACT_ALLOW\"}]}"
        run timeout -k 5 30 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
        [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || { echo "run hung"; false; }
        echo "architectures: ${arches:-none}; $output"
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = forked ]
        [ "${lines[1]}" = "thread: ok" ]
        [ "${lines[2]}" = "syscall 1000: ENOSYS" ]
        [ "${lines[3]}" = "syscall 435: ENOSYS" ]
        [[ "${lines[4]}" == *"Operation not permitted" ]]
        [ ! -e "$BUNDLE/rootfs/made" ]
    done
}

@test "seccomp: every flag features lists as supported loads, with a NOTIFY listener and without" {
    skip_if_runc "runc 1.1.5 has no features verb"
    flags=$(rt features | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["linux"]["seccomp"]["supportedFlags"]))')
    [[ "$flags" == *SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV* ]]
    set_cmd 'mkdir /tmp/made 2>&1; echo still-running'
    config "linux.seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":$flags,\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\"}]}"
    run timeout -k 5 30 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
    [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || { echo "run hung"; false; }
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == *"Operation not permitted" ]]
    "$AGENT" "$TEST_DIR/agent.sock" > "$TEST_DIR/agent.out" 2>&1 &
    CLEANUP_PIDS+=($!)
    for _ in $(seq 50); do [ -S "$TEST_DIR/agent.sock" ] && break; sleep 0.05; done
    config "linux.seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":$flags,\"listenerPath\":\"$TEST_DIR/agent.sock\",\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}"
    run timeout -k 5 30 "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
    [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || { echo "run hung"; false; }
    cat "$TEST_DIR/agent.out"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = still-running ]
    grep -q '^notified: mkdir' "$TEST_DIR/agent.out"
}

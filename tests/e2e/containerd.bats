#!/usr/bin/env bats
# containerd 1.6 with its runc v2 shim pointed at hull (`ctr run --runc-binary`), on a private
# daemon; every check runs twice: on the host's hybrid cgroups and in a pure cgroup2 view.
#   bats tests/e2e/containerd.bats        (as root; HULL_BIN names the hull, see the helpers)
# e2e-packages: containerd
# e2e-views: host
load containerd-helpers

setup_file() {
    [ "$(id -u)" = 0 ] || skip "containerd e2e needs root"
    [ -x "$HULL_BIN" ] || { echo "HULL_BIN $HULL_BIN is not an executable" >&2; return 1; }
    ensure_containerd
    IMAGE_DIR=$(mktemp -d /tmp/hull-ctrd-image.XXXXXX)
    export IMAGE_DIR
    build_image_archive "$IMAGE_DIR" "$IMAGE_DIR/busybox.tar"
    local mode
    for mode in hybrid cgroup2; do
        start_containerd "$mode" || { stop_containerd; return 1; }
        export "CTRD_ENV_$mode=$CTRD_DIR/env"
        ctr_ images import "$IMAGE_DIR/busybox.tar" >/dev/null
    done
}

teardown_file() {
    local mode
    for mode in hybrid cgroup2; do
        use_daemon "$mode" 2>/dev/null && stop_containerd
    done
    [ -n "${IMAGE_DIR:-}" ] && rm -rf "$IMAGE_DIR"
    true
}

setup() {
    IDS=()
}

teardown() {
    local id
    for id in "${IDS[@]}"; do
        remove_container "$id"
    done
}

# id_for_test: a new container id, removed by teardown.
id_for_test() {
    ID=$(new_id)
    IDS+=("$ID")
}

# --- the checks, each run by one @test per daemon below ---

check_run_rm() {
    id_for_test
    run ctr_run --rm "$IMAGE" "$ID" sh -c 'echo out-$((6 * 7)); echo err >&2'
    [ "$status" -eq 0 ]
    [[ "$output" == *out-42* ]]
    [[ "$output" == *err* ]]
    run ctr_run --rm "$IMAGE" "$ID" sh -c 'exit 3'
    [ "$status" -eq 3 ]
    # --rm removed the container, the task and hull's state.
    run ctr_ container info "$ID"
    [ "$status" -ne 0 ]
    [ -z "$(hull_ list -q)" ]
}

check_run_detached_is_hull() {
    id_for_test
    run_detached "$ID" sleep 1000
    # The shim called hull: hull's state for the container, with the task's pid.
    [ "$(hull_state "$ID" status)" = running ]
    local pid
    pid=$(ctr_ task ls | awk -v id="$ID" '$1 == id {print $2}')
    [ "$(hull_state "$ID" pid)" = "$pid" ]
    # The bundle is the shim's, with the relative root.path "rootfs".
    local bundle=$CTRD_DIR/state/io.containerd.runtime.v2.task/$CTRD_NS/$ID
    [ "$(hull_state "$ID" bundle)" = "$bundle" ]
    grep -q '"path":"rootfs"' "$bundle/config.json"
}

check_exec() {
    id_for_test
    run_detached "$ID" sleep 1000
    run ctr_exec --exec-id e1 "$ID" sh -c 'echo exec-$((2 + 3)); cat /etc/hostname 2>/dev/null; exit 0'
    [ "$status" -eq 0 ]
    [[ "$output" == *exec-5* ]]
    run ctr_exec --exec-id e2 "$ID" sh -c 'exit 5'
    [ "$status" -eq 5 ]
    # stdin reaches the exec'd process.
    run bash -c 'echo piped-in | "$@"' x ctr --address "$CTRD_SOCK" --namespace "$CTRD_NS" \
        task exec --fifo-dir "$CTRD_DIR/fifo" --exec-id e3 "$ID" cat
    [ "$status" -eq 0 ]
    [[ "$output" == *piped-in* ]]
    # A missing binary: the error hull logged reaches ctr.
    run ctr_exec --exec-id e4 "$ID" /no/such/binary
    [ "$status" -ne 0 ]
    [[ "$output" == */no/such/binary* ]]
    [[ "$output" == *"no such file or directory"* || "$output" == *"No such file or directory"* ]]
    # The container is still running after all that.
    [ "$(task_status "$ID")" = RUNNING ]
}

check_exec_tty() {
    id_for_test
    run_detached "$ID" sleep 1000
    # ctr needs a terminal on its stdin for --tty: script(1) gives it one.
    run script -qec "ctr --address $CTRD_SOCK --namespace $CTRD_NS task exec --fifo-dir $CTRD_DIR/fifo --tty --exec-id t1 $ID \
        sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo both-ttys; stty size'" /dev/null
    [ "$status" -eq 0 ]
    [[ "$output" == */dev/pts/* ]]
    [[ "$output" == *both-ttys* ]]
    run script -qec "ctr --address $CTRD_SOCK --namespace $CTRD_NS task exec --fifo-dir $CTRD_DIR/fifo --tty --exec-id t2 $ID \
        sh -c 'exit 4'" /dev/null
    [ "$status" -eq 4 ]
}

check_run_tty() {
    id_for_test
    run script -qec "ctr --address $CTRD_SOCK --namespace $CTRD_NS run --runc-binary $HULL_BIN \
        --runc-root $CTRD_RUNC_ROOT --fifo-dir $CTRD_DIR/fifo $( [ "$CTRD_MODE" = cgroup2 ] && echo --cpu-shares 0) --rm --tty \
        $IMAGE $ID sh -c 'tty; echo tty-run'" /dev/null
    [ "$status" -eq 0 ]
    [[ "$output" == */dev/pts/0* ]]
    [[ "$output" == *tty-run* ]]
}

check_kill_delete() {
    id_for_test
    ctr_run -d "$IMAGE" "$ID" sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done' >/dev/null
    wait_task_status "$ID" RUNNING
    sleep 0.3 # the trap is set
    ctr_ task kill "$ID"
    wait_task_status "$ID" STOPPED
    run ctr_ task delete "$ID"
    [ "$status" -eq 0 ]
    [[ "$output" == *"exit code 7"* ]]
    run ctr_ task ls -q
    [[ "$output" != *"$ID"* ]]
    [ -z "$(hull_ list -q)" ]
    [ ! -d "$(cgroup_dir pids "$ID")" ]
    ctr_ container delete "$ID"
    # Kill by signal number and name, and delete --force of a running task.
    id_for_test
    run_detached "$ID" sleep 1000
    ctr_ task kill -s SIGKILL "$ID"
    wait_task_status "$ID" STOPPED
    run ctr_ task delete "$ID"
    [[ "$output" == *"exit code 137"* ]]
    ctr_ container delete "$ID"
    id_for_test
    run_detached "$ID" sleep 1000
    ctr_ task delete --force "$ID"
    run ctr_ task ls -q
    [[ "$output" != *"$ID"* ]]
    [ -z "$(hull_ list -q)" ]
}

check_kill_all() {
    id_for_test
    run_detached "$ID" sleep 1000
    ctr_exec -d --exec-id k1 "$ID" sleep 1001
    ctr_exec -d --exec-id k2 "$ID" sleep 1002
    local pids
    pids=$(ctr_ task ps "$ID" | awk 'NR > 1 {print $1}')
    [ "$(echo "$pids" | wc -l)" -eq 3 ]
    ctr_ task kill --all -s KILL "$ID"
    wait_task_status "$ID" STOPPED
    local pid
    for pid in $pids; do
        for _ in $(seq 30); do [ -e /proc/"$pid" ] || break; sleep 0.1; done
        [ ! -e /proc/"$pid" ] || grep -q '^State:.*Z' /proc/"$pid"/status
    done
}

check_pause_resume() {
    id_for_test
    run_detached "$ID" sh -c 'i=0; while :; do i=$((i + 1)); echo $i > /tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.05; done'
    local pid a b
    pid=$(ctr_ task ls | awk -v id="$ID" '$1 == id {print $2}')
    # Counting before the pause (a loaded machine may take a while to get there).
    for _ in $(seq 100); do [ -s /proc/"$pid"/root/tmp/count ] && break; sleep 0.1; done
    ctr_ task pause "$ID"
    [ "$(task_status "$ID")" = PAUSED ]
    [ "$(hull_state "$ID" status)" = paused ]
    a=$(cat /proc/"$pid"/root/tmp/count)
    sleep 0.3
    b=$(cat /proc/"$pid"/root/tmp/count)
    [ "$a" = "$b" ]
    run ctr_exec --exec-id p1 "$ID" true
    [ "$status" -ne 0 ]
    [[ "$output" == *paused* ]]
    ctr_ task resume "$ID"
    [ "$(task_status "$ID")" = RUNNING ]
    [ "$(hull_state "$ID" status)" = running ]
    for _ in $(seq 100); do
        b=$(cat /proc/"$pid"/root/tmp/count)
        [ "$b" -gt "$a" ] && break
        sleep 0.1
    done
    [ "$b" -gt "$a" ]
}

check_paused_kill() {
    # task kill -s KILL and task delete --force of a paused task (cgroup v1 freezer: the tasks
    # can only die once thawed).
    id_for_test
    run_detached "$ID" sleep 1000
    ctr_ task pause "$ID"
    ctr_ task kill -s KILL "$ID"
    wait_task_status "$ID" STOPPED
    run ctr_ task delete "$ID"
    [[ "$output" == *"exit code 137"* ]]
    id_for_test
    run_detached "$ID" sleep 1000
    ctr_exec -d --exec-id x1 "$ID" sleep 1001
    ctr_ task pause "$ID"
    run timeout 20 ctr --address "$CTRD_SOCK" --namespace "$CTRD_NS" task delete --force "$ID"
    [ "$status" -eq 0 ]
    run ctr_ task ls -q
    [[ "$output" != *"$ID"* ]]
    [ -z "$(hull_ list -q)" ]
}

check_metrics() {
    id_for_test
    run_detached "$ID" sh -c 'sleep 1000 & sleep 1001 & wait'
    run ctr_ task metrics --format json "$ID"
    [ "$status" -eq 0 ]
    echo "$output" >"$BATS_TEST_TMPDIR/metrics.json"
    if [ "$CTRD_MODE" = hybrid ]; then
        # cgroup v1 metrics: pids, memory and cpu of the container's cgroups.
        python3 - "$BATS_TEST_TMPDIR/metrics.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
data = m["Data"] if "Data" in m else m
assert data["pids"]["current"] == 3, data["pids"]
assert data["memory"]["usage"]["usage"] > 0, data["memory"]
assert data["cpu"]["usage"]["total"] > 0, data["cpu"]
EOF
    else
        # cgroup2 here has only the hugetlb controller (the others are bound to v1): the shim
        # reports the limits of the container's cgroup2 dir.
        python3 - "$BATS_TEST_TMPDIR/metrics.json" "$(cgroup_dir unified "$ID")" <<'EOF'
import json, os, sys
m = json.load(open(sys.argv[1]))
data = m["Data"] if "Data" in m else m
sizes = {h["pagesize"]: h for h in data["hugetlb"]}
assert sizes, data
for size, h in sizes.items():
    limit = open(os.path.join(sys.argv[2], "hugetlb.%s.max" % size)).read().strip()
    assert str(h["max"]) == limit or (limit == "max" and h["max"] > 2**62), (h, limit)
EOF
    fi
}

check_ps() {
    id_for_test
    run_detached "$ID" sleep 1000
    ctr_exec -d --exec-id p1 "$ID" sleep 1001
    local init_pid
    init_pid=$(ctr_ task ls | awk -v id="$ID" '$1 == id {print $2}')
    run ctr_ task ps "$ID"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 3 ]
    [[ "${lines[0]}" == PID* ]]
    local line found_init=0 found_exec=0
    for line in "${lines[@]:1}"; do
        set -- $line
        [ "$1" = "$init_pid" ] && found_init=1
        grep -q 1001 /proc/"$1"/cmdline && found_exec=1
    done
    [ "$found_init" = 1 ]
    [ "$found_exec" = 1 ]
}

check_create_fails() {
    id_for_test
    run ctr_run --rm "$IMAGE" "$ID" /no/such/binary
    [ "$status" -ne 0 ]
    # The shim passes hull's last error log line on to ctr.
    [[ "$output" == *"OCI runtime create failed"* ]]
    [[ "$output" == */no/such/binary* ]]
    [[ "$output" == *"no such file or directory"* || "$output" == *"No such file or directory"* ]]
    run ctr_ task ls -q
    [[ "$output" != *"$ID"* ]]
    [ -z "$(hull_ list -q)" ]
}

check_spec_options() {
    id_for_test
    # ctr's own spec options, as containerd writes them into config.json (the missing --cwd is
    # created, as runc does).
    run ctr_run --rm --read-only --seccomp --cwd /work/dir --env E2E=yes --cap-drop CAP_CHOWN \
        --mount type=bind,src="$E2E_DIR",dst=/e2e,options=rbind:ro "$IMAGE" "$ID" sh -c '
            echo "cwd=$(pwd) env=$E2E"
            grep "^Seccomp:" /proc/self/status
            touch /x 2>/dev/null || echo rootfs-ro
            touch /e2e/x 2>/dev/null || echo bind-ro
            [ -f /e2e/containerd.bats ] && echo bind-ok
            chown 1 /tmp 2>/dev/null || echo no-chown
            mknod /dev/e2e-kmsg c 1 11 && { head -c1 /dev/e2e-kmsg >/dev/null 2>&1 || echo device-denied; }'
    [ "$status" -eq 0 ]
    [[ "$output" == *"cwd=/work/dir env=yes"* ]]
    [[ "$output" =~ Seccomp:[[:space:]]+2 ]]
    [[ "$output" == *rootfs-ro* ]]
    [[ "$output" == *bind-ro* ]]
    [[ "$output" == *bind-ok* ]]
    [[ "$output" == *no-chown* ]]
    [[ "$output" == *device-denied* ]]
}

check_user_namespace() {
    id_for_test
    run ctr_run --rm --uidmap 0:200000:65536 --gidmap 0:200000:65536 "$IMAGE" "$ID" sh -c \
        'cat /proc/self/uid_map /proc/self/gid_map; id -u; touch /x && echo rootfs-writable'
    [ "$status" -eq 0 ]
    [[ "$(echo "$output" | head -1)" =~ ^[[:space:]]*0[[:space:]]+200000[[:space:]]+65536 ]]
    [[ "$output" == *rootfs-writable* ]]
}

check_memory_limit() {
    id_for_test
    ctr_run -d --memory-limit 67108864 "$IMAGE" "$ID" sleep 1000 >/dev/null
    wait_task_status "$ID" RUNNING
    [ "$(cat "$(cgroup_dir memory "$ID")/memory.limit_in_bytes")" = 67108864 ]
}

# --- hybrid host ---

@test "hybrid: ctr run --rm prints output and returns the exit code" { use_daemon hybrid; check_run_rm; }
@test "hybrid: ctr run -d runs the container on hull" { use_daemon hybrid; check_run_detached_is_hull; }
@test "hybrid: ctr run --tty" { use_daemon hybrid; check_run_tty; }
@test "hybrid: task exec output, exit code, stdin, missing binary" { use_daemon hybrid; check_exec; }
@test "hybrid: task exec --tty" { use_daemon hybrid; check_exec_tty; }
@test "hybrid: task kill and task delete" { use_daemon hybrid; check_kill_delete; }
@test "hybrid: task kill --all" { use_daemon hybrid; check_kill_all; }
@test "hybrid: task pause and resume" { use_daemon hybrid; check_pause_resume; }
@test "hybrid: kill and delete --force of a paused task" { use_daemon hybrid; check_paused_kill; }
@test "hybrid: task metrics" { use_daemon hybrid; check_metrics; }
@test "hybrid: task ps" { use_daemon hybrid; check_ps; }
@test "hybrid: a failing create shows hull's error" { use_daemon hybrid; check_create_fails; }
@test "hybrid: run --memory-limit sets the v1 memory limit" { use_daemon hybrid; check_memory_limit; }
@test "hybrid: read-only, seccomp, cwd, env, cap-drop, bind mount, device cgroup" { use_daemon hybrid; check_spec_options; }
@test "hybrid: user namespace (--uidmap/--gidmap)" { use_daemon hybrid; check_user_namespace; }

# --- pure cgroup2 view ---

@test "cgroup2: ctr run --rm prints output and returns the exit code" { use_daemon cgroup2; check_run_rm; }
@test "cgroup2: ctr run -d runs the container on hull" { use_daemon cgroup2; check_run_detached_is_hull; }
@test "cgroup2: ctr run --tty" { use_daemon cgroup2; check_run_tty; }
@test "cgroup2: task exec output, exit code, stdin, missing binary" { use_daemon cgroup2; check_exec; }
@test "cgroup2: task exec --tty" { use_daemon cgroup2; check_exec_tty; }
@test "cgroup2: task kill and task delete" { use_daemon cgroup2; check_kill_delete; }
@test "cgroup2: task kill --all" { use_daemon cgroup2; check_kill_all; }
@test "cgroup2: task pause and resume" { use_daemon cgroup2; check_pause_resume; }
@test "cgroup2: kill and delete --force of a paused task" { use_daemon cgroup2; check_paused_kill; }
@test "cgroup2: task metrics" { use_daemon cgroup2; check_metrics; }
@test "cgroup2: task ps" { use_daemon cgroup2; check_ps; }
@test "cgroup2: a failing create shows hull's error" { use_daemon cgroup2; check_create_fails; }
@test "cgroup2: read-only, seccomp, cwd, env, cap-drop, bind mount, device cgroup" { use_daemon cgroup2; check_spec_options; }
@test "cgroup2: user namespace (--uidmap/--gidmap)" { use_daemon cgroup2; check_user_namespace; }


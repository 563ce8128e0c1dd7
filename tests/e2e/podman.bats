#!/usr/bin/env bats
# e2e-packages: podman conmon containernetworking-plugins uidmap iptables
# e2e-views: host cgroup2
# podman 4.3 + conmon running containers on hull (podman --runtime HULL_BIN): what a podman user
# does daily. Private storage/state/config (see podman-helpers.bash); a local busybox image.
load podman-helpers

setup_file() { podman_setup_file; }
teardown_file() { podman_teardown_file; }
teardown() { podman_teardown; }

@test "run --rm prints the output and returns the exit code, and removes the container" {
    run --separate-stderr pm run --rm "$IMAGE" sh -c 'echo out; echo err >&2; exit 7'
    [ "$status" -eq 7 ]
    [ "$output" = out ]
    [ "$stderr" = err ]
    run pm run --rm --cidfile "$PODMAN_DIR/cid" "$IMAGE" true
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    [ -z "$(pm ps -aq)" ]
    # hull's own state went with it (podman calls hull without --root: the default, /run/hull).
    local id
    id=$(cat "$PODMAN_DIR/cid")
    rm -f "$PODMAN_DIR/cid"
    [ ${#id} -eq 64 ]
    [ ! -e "/run/hull/$id" ]
    run "$HULL_BIN" state "$id"
    [[ "$output" == *"does not exist"* ]]
}

@test "run: 127 for a missing binary, 126 for a file that is not executable" {
    run -127 pm run --rm "$IMAGE" /no/such/binary
    [[ "$output" == *"/no/such/binary"* ]]
    run -127 pm run --rm "$IMAGE" nosuchcommand
    [[ "$output" == *"executable file not found"* ]]
    run -126 pm run --rm "$IMAGE" /etc/passwd
    [[ "$output" == *"ermission denied"* ]]
    [ -z "$(pm ps -aq)" ]
}

@test "run -d, then exec with stdin, --user, -e, -w and exit codes" {
    pm run -d --name e2e-exec "$IMAGE" sleep 1000
    [ "$(field e2e-exec '{{.State.Status}}')" = running ]
    run pm exec -i e2e-exec cat <<<"through stdin"
    [ "$status" -eq 0 ]
    [ "$output" = "through stdin" ]
    run pm exec --user 65534:65534 e2e-exec id -u
    [ "$output" = 65534 ]
    run pm exec -e E2E_VAR=value e2e-exec sh -c 'echo $E2E_VAR'
    [ "$output" = value ]
    run pm exec -w /www e2e-exec pwd
    [ "$output" = /www ]
    run pm exec e2e-exec sh -c 'exit 5'
    [ "$status" -eq 5 ]
    run -127 pm exec e2e-exec /no/such/binary
    # The exec'd process is in the container's namespaces: it sees sleep as pid 1.
    run pm exec e2e-exec cat /proc/1/cmdline
    [[ "$output" == sleep* ]]
}

@test "exec -it and run -it get a pseudo-terminal" {
    pm run -d --name e2e-tty "$IMAGE" sleep 1000
    run pm_tty "exec -it e2e-tty sh -c 'tty; test -t 0 && test -t 1 && echo both-tty'"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == /dev/pts/* ]]
    [ "${lines[1]}" = both-tty ]
    # The short pause: once in ~10 loaded runs the output of a container that exits at once never
    # reached podman's terminal (conmon); kept as a known flake to investigate, not hidden.
    run pm_tty "run --rm -it $IMAGE sh -c 'tty; test -t 0 && echo stdin-tty; sleep 0.3; exit 4'"
    echo "$output"
    [ "$status" -eq 4 ]
    [[ "${lines[0]}" == /dev/pts/* ]]
    [ "${lines[1]}" = stdin-tty ]
    # Without -t there is no terminal.
    run pm exec e2e-tty sh -c 'tty'
    [ "$status" -ne 0 ]
}

@test "top lists the container's processes and logs has its output" {
    pm run -d --name e2e-top "$IMAGE" sh -c 'echo first line; echo second line >&2; exec sleep 1000'
    wait_for_log e2e-top "second line"
    run pm logs e2e-top
    [[ "$output" == *"first line"* ]]
    [[ "$output" == *"second line"* ]]
    run pm top e2e-top pid args
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "${lines[1]}" =~ ^1\ +sleep\ 1000 ]]
}

@test "stop: TERM first; KILL after the timeout when TERM is ignored" {
    pm run -d --name e2e-term "$IMAGE" sh -c 'trap "echo got-term; exit 3" TERM; echo ready; while true; do sleep 0.1; done'
    wait_for_log e2e-term ready
    pm stop --time 10 e2e-term
    [ "$(field e2e-term '{{.State.Status}}')" = exited ]
    [ "$(field e2e-term '{{.State.ExitCode}}')" = 3 ]
    run pm logs e2e-term
    [[ "$output" == *got-term* ]]

    # sleep as pid 1 of its namespace ignores TERM: podman escalates to KILL.
    pm run -d --name e2e-kill "$IMAGE" sleep 1000
    local start=$SECONDS
    pm stop --time 1 e2e-kill
    [ "$(field e2e-kill '{{.State.Status}}')" = exited ]
    [ "$(field e2e-kill '{{.State.ExitCode}}')" = 137 ]
    [ $((SECONDS - start)) -ge 1 ]
}

@test "kill delivers the signal asked for" {
    pm run -d --name e2e-sig "$IMAGE" sh -c 'trap "echo got-usr1" USR1; trap "echo got-hup" HUP; echo ready; while true; do sleep 0.1; done'
    wait_for_log e2e-sig ready
    pm kill --signal USR1 e2e-sig
    wait_for_log e2e-sig got-usr1
    pm kill --signal 1 e2e-sig
    wait_for_log e2e-sig got-hup
    [ "$(field e2e-sig '{{.State.Status}}')" = running ]
    pm kill e2e-sig
    wait_for_status e2e-sig exited
    [ "$(field e2e-sig '{{.State.ExitCode}}')" = 137 ]
}

@test "pause freezes the container and unpause thaws it" {
    pm run -d --name e2e-pause "$IMAGE" sh -c 'i=0; while true; do i=$((i+1)); echo $i > /tmp/next; mv /tmp/next /tmp/count; sleep 0.05; done'
    sleep 0.3
    pm pause e2e-pause
    [ "$(field e2e-pause '{{.State.Status}}')" = paused ]
    local dir
    dir=$(cgroup_dir e2e-pause freezer)
    if [ -f "$dir/freezer.state" ]; then
        [ "$(cat "$dir/freezer.state")" = FROZEN ]
    else
        [ "$(cat "$dir/cgroup.freeze")" = 1 ]
    fi
    local pid before
    pid=$(field e2e-pause '{{.State.Pid}}')
    before=$(cat "/proc/$pid/root/tmp/count")
    [ -n "$before" ]
    sleep 0.4
    [ "$(cat "/proc/$pid/root/tmp/count")" = "$before" ]
    # Commands fail on a paused container instead of hanging.
    run pm exec e2e-pause true
    [ "$status" -ne 0 ]
    pm unpause e2e-pause
    [ "$(field e2e-pause '{{.State.Status}}')" = running ]
    local i now=
    for i in $(seq 50); do
        now=$(cat "/proc/$pid/root/tmp/count")
        [ "$now" -gt "$before" ] && break
        sleep 0.1
    done
    [ "$now" -gt "$before" ]
}

@test "restart runs the container again, running or exited" {
    pm run -d --name e2e-restart "$IMAGE" sh -c 'echo run; trap "exit 0" TERM; while true; do sleep 0.1; done'
    local first
    first=$(field e2e-restart '{{.State.Pid}}')
    pm restart --time 5 e2e-restart
    [ "$(field e2e-restart '{{.State.Status}}')" = running ]
    [ "$(field e2e-restart '{{.State.Pid}}')" != "$first" ]
    pm stop --time 5 e2e-restart
    pm restart e2e-restart
    [ "$(field e2e-restart '{{.State.Status}}')" = running ]
    [ "$(pm logs e2e-restart | grep -c '^run$')" -eq 3 ]
}

@test "rm -f removes a running container and every trace of it in hull" {
    local id pid
    id=$(pm run -d "$IMAGE" sleep 1000)
    pid=$(field "$id" '{{.State.Pid}}')
    "$HULL_BIN" state "$id" | grep -q '"status": *"running"'
    pm rm --force --time 0 "$id"
    [ -z "$(pm ps -aq)" ]
    run "$HULL_BIN" state "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *"does not exist"* ]]
    ! kill -0 "$pid" 2>/dev/null
    [ ! -e "/sys/fs/cgroup/memory/libpod_parent/libpod-$id" ]
    [ ! -e "/sys/fs/cgroup/libpod_parent/libpod-$id" ]
}

@test "--memory, --pids-limit, --cpus reach the cgroup files, and podman update changes them" {
    if is_cgroup2_view && ! v2_has_controller memory; then
        skip "this host's cgroup2 tree has no memory/pids/cpu controllers (they are bound to v1)"
    fi
    pm run -d --name e2e-res --memory 64m --pids-limit 50 --cpus 0.5 "$IMAGE" sleep 1000
    local mem pids cpu
    mem=$(cgroup_dir e2e-res memory)
    pids=$(cgroup_dir e2e-res pids)
    cpu=$(cgroup_dir e2e-res cpu)
    if [ -f "$mem/memory.limit_in_bytes" ]; then
        [ "$(cat "$mem/memory.limit_in_bytes")" = 67108864 ]
        [ "$(cat "$cpu/cpu.cfs_quota_us")" = 50000 ]
        [ "$(cat "$cpu/cpu.cfs_period_us")" = 100000 ]
    else
        [ "$(cat "$mem/memory.max")" = 67108864 ]
        [ "$(cat "$cpu/cpu.max")" = "50000 100000" ]
    fi
    [ "$(cat "$pids/pids.max")" = 50 ]

    pm update --memory 128m --cpus 1.5 e2e-res
    if [ -f "$mem/memory.limit_in_bytes" ]; then
        [ "$(cat "$mem/memory.limit_in_bytes")" = 134217728 ]
        [ "$(cat "$cpu/cpu.cfs_quota_us")" = 150000 ]
    else
        [ "$(cat "$mem/memory.max")" = 134217728 ]
        [ "$(cat "$cpu/cpu.max")" = "150000 100000" ]
    fi
    # The pids limit bites: the 60th process cannot start.
    run pm exec e2e-res sh -c 'for i in $(seq 60); do sleep 5 & done 2>&1; wait'
    [[ "$output" == *"esource temporarily unavailable"* || "$output" == *"an't fork"* ]]
}

@test "--read-only, --user, --hostname, --cap-drop all" {
    run pm run --rm --read-only "$IMAGE" sh -c 'touch /file 2>/dev/null || echo root-ro; touch /tmp/file && echo tmp-rw; ls /www'
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = root-ro ]
    [ "${lines[1]}" = tmp-rw ]
    [ "${lines[2]}" = index.html ]

    run pm run --rm --user 65534:65534 --hostname e2e-host "$IMAGE" sh -c 'id -u; id -g; hostname'
    [ "$output" = "$(printf '65534\n65534\ne2e-host')" ]

    run pm run --rm --cap-drop all "$IMAGE" sh -c 'grep -E "^Cap(Eff|Prm|Bnd)" /proc/self/status; chown 65534 /tmp 2>/dev/null || echo chown-denied'
    echo "$output"
    [ "${lines[0]}" = "$(printf 'CapPrm:\t0000000000000000')" ]
    [ "${lines[1]}" = "$(printf 'CapEff:\t0000000000000000')" ]
    [ "${lines[2]}" = "$(printf 'CapBnd:\t0000000000000000')" ]
    [ "${lines[3]}" = chown-denied ]
}

@test "-v bind volumes, read-write and read-only" {
    local vol=$PODMAN_DIR/vol-$BATS_TEST_NUMBER
    mkdir -p "$vol"
    echo from-host >"$vol/in"
    run pm run --rm -v "$vol:/data" -v "$vol:/ro:ro" "$IMAGE" sh -c 'cat /data/in; echo from-container > /data/out; touch /ro/x 2>/dev/null || echo ro-denied'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = from-host ]
    [ "${lines[1]}" = ro-denied ]
    [ "$(cat "$vol/out")" = from-container ]
    [ ! -e "$vol/x" ]
}

@test "the default bridge network: an address in the subnet, reachable from the host and other containers" {
    pm run -d --name e2e-web "$IMAGE" httpd -f -p 8080 -h /www
    local ip
    ip=$(field e2e-web '{{.NetworkSettings.IPAddress}}')
    [[ "$ip" == "$PODMAN_SUBNET".* ]]
    run pm exec e2e-web ip -4 -o addr show eth0
    [[ "$output" == *"inet $ip/24"* ]]
    local netns
    netns=$(pm inspect --format '{{.NetworkSettings.SandboxKey}}' e2e-web)
    [ -e "$netns" ]
    local i
    for i in $(seq 50); do
        python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' \
            "http://$ip:8080/index.html" >"$PODMAN_DIR/page" 2>/dev/null && break
        sleep 0.1
    done
    [ "$(cat "$PODMAN_DIR/page")" = "hello from hull" ]
    # (busybox-static's wget crashes in getaddrinfo; nc speaks the HTTP request.)
    run pm run --rm "$IMAGE" sh -c "printf 'GET /index.html HTTP/1.0\r\n\r\n' | nc -w 5 $ip 8080"
    [[ "$output" == *"200 OK"* ]]
    [ "${lines[-1]}" = "hello from hull" ]
    pm rm --force --time 0 e2e-web
    # podman's CNI teardown removed the namespace and the address.
    [ ! -e "$netns" ]
    [ -z "$(ls "$PODMAN_DIR/ipam/podman" 2>/dev/null | grep -F "$ip" || true)" ]
}

@test "--tmpfs, --shm-size, --ulimit, --sysctl, --network none, the default seccomp profile, no-new-privileges" {
    run pm run --rm --tmpfs /scratch:size=1m --shm-size 2m --ulimit nofile=100:200 --ulimit nproc=500:500 \
        --sysctl net.ipv4.ip_forward=1 --network none --security-opt no-new-privileges "$IMAGE" sh -c \
        'grep -oE " /scratch tmpfs [^ ]*size=1024k| /dev/shm tmpfs [^ ]*size=2048k" /proc/mounts | cut -d" " -f2
         echo "$(ulimit -n) $(ulimit -Hn) $(ulimit -u)"; cat /proc/sys/net/ipv4/ip_forward
         ls /sys/class/net; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status | tr -d "\t"'
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf '/scratch\n/dev/shm\n100 200 500\n1\nlo\nNoNewPrivs:1\nSeccomp:2')" ]
    run pm run --rm --security-opt seccomp=unconfined "$IMAGE" grep -E "^Seccomp:" /proc/self/status
    [ "$output" = "$(printf 'Seccomp:\t0')" ]
}

@test "create then start -a returns the exit code; exec -d; a user namespace from --uidmap" {
    pm create --name e2e-created "$IMAGE" sh -c 'echo created-then-started; exit 9'
    [ "$(field e2e-created '{{.State.Status}}')" = created ]
    run pm start --attach e2e-created
    [ "$status" -eq 9 ]
    [ "$output" = created-then-started ]

    pm run -d --name e2e-detached "$IMAGE" sleep 1000
    pm exec -d e2e-detached sh -c 'echo from-detached-exec > /tmp/mark'
    local i
    for i in $(seq 50); do
        [ "$(pm exec e2e-detached cat /tmp/mark 2>/dev/null)" = from-detached-exec ] && break
        sleep 0.1
    done
    [ "$(pm exec e2e-detached cat /tmp/mark)" = from-detached-exec ]

    run pm run --rm --uidmap 0:200000:65536 --gidmap 0:200000:65536 "$IMAGE" sh -c 'id -u; cat /proc/self/uid_map'
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 0 ]
    [[ "${lines[1]}" =~ ^\ *0\ +200000\ +65536$ ]]
}

@test "--memory: a container over its limit is OOM-killed (137)" {
    if is_cgroup2_view && ! v2_has_controller memory; then
        skip "this host's cgroup2 tree has no memory controller (it is bound to v1)"
    fi
    run pm run --name e2e-oom --memory 32m --memory-swap 32m "$IMAGE" sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived'
    [ "$status" -eq 137 ]
    [[ "$output" != *survived* ]]
}

@test "-v SRC:DST:idmap in a user namespace: the host's owners are seen as they are, writes land unshifted" {
    local vol=$PODMAN_DIR/vol-$BATS_TEST_NUMBER
    mkdir -p "$vol"
    echo from-host >"$vol/in"
    chown 1000:1000 "$vol/in"
    run pm run --rm --uidmap 0:200000:65536 --gidmap 0:200000:65536 -v "$vol:/data:idmap" "$IMAGE" \
        sh -c 'stat -c %u:%g /data/in; cat /data/in; echo w > /data/out; grep " /data " /proc/self/mountinfo'
    [ "$status" -eq 0 ]
    # Without idmap host 1000 would be unmapped (nobody) in a namespace starting at 200000.
    [ "${lines[0]}" = 1000:1000 ]
    [ "${lines[1]}" = from-host ]
    [[ "${lines[2]}" == *idmapped* ]]
    [ "$(stat -c %u "$vol/out")" = 0 ]  # container root writes as host root through the idmap
}

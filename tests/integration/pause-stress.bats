#!/usr/bin/env bats
# pause/resume against the v1 freezer's transient FREEZING state: hundreds of cycles on a
# fork-heavy container while the host is loaded; each must end in the state asked for.
load helpers

@test "300 pause/resume cycles of a forking container under load: every one succeeds, it ends running" {
    set_cmd 'while :; do /bin/true; done'
    rt create --bundle "$BUNDLE" "$ID" >/dev/null 2>&1 </dev/null
    rt start "$ID"
    local i
    for i in 1 2; do
        sh -c 'while :; do :; done' &
        CLEANUP_PIDS+=("$!")
    done
    # A second client reading the state meanwhile, as podman's does.
    (while :; do rt state "$ID" >/dev/null 2>&1; done) &
    CLEANUP_PIDS+=("$!")
    local start=$SECONDS
    for i in $(seq 300); do
        rt pause "$ID" || { echo "pause $i failed"; return 1; }
        rt state "$ID" | grep -q '"status": *"paused"' || { echo "cycle $i: not paused"; return 1; }
        rt resume "$ID" || { echo "resume $i failed"; return 1; }
        rt state "$ID" | grep -q '"status": *"running"' || { echo "cycle $i: not running after resume"; return 1; }
    done
    [ "$(state_field "$ID" status)" = running ]
    echo "300 cycles in $((SECONDS - start)) s"
    [ $((SECONDS - start)) -lt 60 ]
}

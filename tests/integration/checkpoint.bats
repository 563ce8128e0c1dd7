#!/usr/bin/env bats
# checkpoint and restore on this host. Where `criu check` fails (this workplace's kernel: the vDSO
# check), both verbs fail at once with criu's reason and touch nothing; features and --help say
# so. What checkpoint/restore do where criu works is tested in the VM lane (tests/vm/checkpoint.sh).
load helpers

criu_works() { criu check >/dev/null 2>&1; }

setup_file() {
    command -v criu >/dev/null || { echo "criu is not installed (scripts/install-deps.sh installs it)" >&2; return 1; }
}

@test "checkpoint/restore where criu check fails: both fail at once with its reason and leave nothing" {
    if criu_works; then
        # Then the verbs work (the VM lane's checks); the claim must be in features instead.
        run rt features
        [[ "$output" == *'"org.opencontainers.runc.checkpoint.enabled": "true"'* ]]
        return
    fi
    set_cmd 'sleep 100'
    rt run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    run rt checkpoint --image-path "$TEST_DIR/img" "$ID"
    assert_failed "^.*checkpoint: checkpoint/restore is not available here: criu check failed \(exit status [0-9]+\): .+"
    [ "$(state_field "$ID" status)" = running ]
    [ ! -e "$TEST_DIR/img" ]
    mkdir "$TEST_DIR/img"
    run rt restore -d --bundle "$BUNDLE" --image-path "$TEST_DIR/img" "${ID}r"
    assert_failed "restore: checkpoint/restore is not available here: criu check failed"
    assert_nothing_left "${ID}r"
}

@test "features claims checkpoint only where criu check passes; --help says which and why" {
    run rt features
    [ "$status" -eq 0 ]
    if criu_works; then
        [[ "$output" == *'"org.opencontainers.runc.checkpoint.enabled": "true"'* ]]
    else
        [[ "$output" != *checkpoint.enabled* ]]
    fi
    run rt checkpoint --help
    if criu_works; then
        [[ "$output" == *"checkpoint/restore: available (criu "* ]]
    else
        [[ "$output" == *"checkpoint/restore: not available here: criu check failed"* ]]
    fi
    run rt restore --help
    [[ "$output" == *"checkpoint/restore: "* ]]
}

@test "checkpoint and restore refuse, by name, the runc flags hull does not drive" {
    run rt checkpoint --lazy-pages "$ID"
    assert_failed "checkpoint --lazy-pages: not supported"
    run rt restore --lazy-pages "$ID"
    assert_failed "restore --lazy-pages: not supported"
    run rt checkpoint --page-server 127.0.0.1:9999 "$ID"
    assert_failed "checkpoint --page-server: not supported"
    run rt checkpoint --status-fd 5 "$ID"
    assert_failed "checkpoint --status-fd: not supported"
    run rt checkpoint --manage-cgroups-mode sometimes "$ID"
    assert_failed "--manage-cgroups-mode sometimes: not one of soft, full, strict, ignore"
    run rt restore --empty-ns pid "$ID"
    assert_failed "restore --empty-ns pid: only network"
    run rt restore --lsm-profile apparmor:x "$ID"
    assert_failed "restore --lsm-profile: not supported"
    assert_nothing_left "$ID"
}

@test "checkpoint --parent-path is checked first, in runc's words: relative, an existing directory; nothing made" {
    set_cmd 'sleep 100'
    rt run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    run rt checkpoint --image-path "$TEST_DIR/img" --parent-path "$TEST_DIR/pre" "$ID"
    assert_failed '--parent-path must be relative'
    run rt checkpoint --image-path "$TEST_DIR/img" --parent-path ../pre "$ID"
    assert_failed 'invalid --parent-path: stat .*/pre: no such file or directory'
    runtime_is_runc || [ ! -e "$TEST_DIR/img" ]  # (runc makes the image directory first)
    mkdir -p "$TEST_DIR/img"
    touch "$TEST_DIR/pre"
    run rt checkpoint --image-path "$TEST_DIR/img" --parent-path ../pre "$ID"
    assert_failed 'invalid --parent-path: .*/pre: not a directory'
    [ "$(state_field "$ID" status)" = running ]
}

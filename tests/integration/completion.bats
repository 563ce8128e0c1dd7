#!/usr/bin/env bats
# The bash completion in contrib/completion/bash/hull: sourced, then _hull is called with
# COMP_WORDS/COMP_CWORD set as bash sets them, and COMPREPLY is checked.
load helpers
load help-output

COMPLETION=$BATS_TEST_DIRNAME/../../contrib/completion/bash/hull

# complete WORD...: runs the completion for a command line whose last word holds the cursor.
complete_line() {
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _hull
}

# assert_reply WORD...: COMPREPLY holds exactly these words (in any order).
assert_reply() {
    local got want
    got=$(printf '%s\n' "${COMPREPLY[@]}" | sort)
    want=$(printf '%s\n' "$@" | sort)
    if [ "$got" != "$want" ]; then
        echo "COMPREPLY: ${COMPREPLY[*]}"
        echo "wanted:    $*"
        return 1
    fi
}

# assert_has WORD...: COMPREPLY holds at least these words.
assert_has() {
    local word
    for word in "$@"; do
        if ! printf '%s\n' "${COMPREPLY[@]}" | grep -qxF -- "$word"; then
            echo "COMPREPLY lacks $word: ${COMPREPLY[*]}"
            return 1
        fi
    done
}

@test "completion: commands, global options and their values" {
    if runtime_is_runc; then skip "hull's completion"; fi
    source "$COMPLETION"
    [ "$(complete -p hull)" = "complete -F _hull hull" ]
    complete_line hull ""
    assert_reply create start state kill delete run list ls spec features exec pause resume ps update events checkpoint restore
    complete_line hull st
    assert_reply start state
    complete_line hull --
    assert_reply --root --log --log-format --debug --systemd-cgroup --rootless --version --help
    complete_line hull --log-format ""
    assert_reply text json
    # After a global option's value, commands again.
    complete_line hull --root /tmp --debug de
    assert_reply delete
}

@test "completion: each command's options, and their values" {
    if runtime_is_runc; then skip "hull's completion"; fi
    source "$COMPLETION"
    complete_line hull create --
    assert_reply --bundle --pid-file --console-socket --no-pivot --no-new-keyring --preserve-fds --help
    complete_line hull run --
    assert_has --bundle --detach --keep
    complete_line hull exec --
    assert_has --process --tty --console-socket --detach --pid-file --cwd --env --user --additional-gids \
        --cap --no-new-privs --preserve-fds --cgroup --ignore-paused
    complete_line hull exec --b
    assert_reply
    complete_line hull delete -
    assert_reply --force -f --help -h
    complete_line hull update --memory
    assert_reply --memory --memory-swap --memory-reservation
    complete_line hull list --format ""
    assert_reply table json
    # -f is --format for ps but a flag (--force) for delete: no value to complete there.
    complete_line hull ps -f j
    assert_reply json
    mkdir -p "$TEST_DIR/bundles/one" "$TEST_DIR/bundles/two"
    touch "$TEST_DIR/bundles/file"
    complete_line hull run --bundle "$TEST_DIR/bundles/"
    assert_reply "$TEST_DIR/bundles/one" "$TEST_DIR/bundles/two"
    complete_line "$HULL_BIN" exec --cap CAP_NET_A
    assert_reply CAP_NET_ADMIN
}

@test "completion: container ids from list -q under the --root given, and signals for kill" {
    if runtime_is_runc; then skip "hull's completion"; fi
    source "$COMPLETION"
    set_cmd 'sleep 100'
    rt create --bundle "$BUNDLE" "$ID-a"
    config "linux.cgroupsPath=\"$CGROUP_PATH-b\""
    rt create --bundle "$BUNDLE" "$ID-b"
    complete_line "$HULL_BIN" --root "$ROOT" kill ""
    assert_reply "$ID-a" "$ID-b"
    complete_line "$HULL_BIN" --root "$ROOT" delete --force "$ID-b"
    assert_reply "$ID-b"
    # --root=DIR: bash splits the words at "=".
    complete_line "$HULL_BIN" --root = "$ROOT" state "$ID-a"
    assert_reply "$ID-a"
    complete_line "$HULL_BIN" --root "$ROOT" kill "$ID-a" SIGK
    assert_reply
    complete_line "$HULL_BIN" --root "$ROOT" kill "$ID-a" KI
    assert_reply KILL
    # New ids (create, run) and the words after exec's id are not completed from the list.
    complete_line "$HULL_BIN" --root "$ROOT" create --bundle "$BUNDLE" ""
    assert_reply
    complete_line "$HULL_BIN" --root "$ROOT" exec "$ID-a" ""
    assert_reply
    complete_line "$HULL_BIN" --root "$ROOT" exec "$ID-a" sh -
    assert_reply
    # Another root holds none of them.
    mkdir "$TEST_DIR/other-root"
    complete_line "$HULL_BIN" --root "$TEST_DIR/other-root" start ""
    assert_reply
}

@test "completion: every command and option of --help is completed" {
    source "$COMPLETION"
    local c flag missing="" commands
    commands=$(help_commands "$HULL_BIN")
    [ -n "$commands" ]
    for c in $commands; do
        complete_line hull "$c"
        printf '%s\n' "${COMPREPLY[@]}" | grep -qx "$c" || missing+=" command:$c"
        for flag in $(help_flags "$HULL_BIN" "$c"); do
            complete_line hull "$c" "$flag"
            printf '%s\n' "${COMPREPLY[@]}" | grep -qxF -- "$flag" || missing+=" $c:$flag"
        done
    done
    for flag in $(help_flags "$HULL_BIN"); do
        complete_line hull "$flag"
        printf '%s\n' "${COMPREPLY[@]}" | grep -qxF -- "$flag" || missing+=" global:$flag"
    done
    if [ -n "$missing" ]; then
        echo "not completed by contrib/completion/bash/hull:$missing"
        return 1
    fi
}

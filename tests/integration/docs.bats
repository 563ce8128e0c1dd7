#!/usr/bin/env bats
# The manual pages and the completions follow the command line: every command and option that
# `hull --help` and `hull COMMAND --help` list is documented in man/ and completed by the bash and
# zsh completions in contrib/. A new option fails here until it is documented.

SRC=$BATS_TEST_DIRNAME/../..
HULL=${HULL_BIN:-$SRC/build/src/cli/hull}

load help-output

# hull_commands: the commands of `hull --help`, one per line (aliases left out).
hull_commands() { help_commands "$HULL"; }

# hull_flags [COMMAND]: the options of `hull [COMMAND] --help`, one per line (-b and --bundle
# separately), without --help/-h (which every command has).
hull_flags() { help_flags "$HULL" "$@" | grep -vxE -- '-h|--help'; }

@test "docs: hull --help lists the commands the pages and completions know" {
    run hull_commands
    [ "$status" -eq 0 ]
    # A sanity check of the parsing above, so the tests below do not pass on an empty list.
    for c in create start state kill delete run list exec update events; do
        grep -qx "$c" <<<"$output" || { echo "hull --help has no $c: $output"; return 1; }
    done
    run hull_flags create
    grep -qx -- --bundle <<<"$output" && grep -qx -- -b <<<"$output"
}

@test "docs: every command has a manual page in man/meson.build, with every option" {
    local c flag missing=""
    for c in $(hull_commands); do
        page=$SRC/man/hull-$c.8.scd
        if [ ! -f "$page" ]; then missing+=" hull-$c.8.scd(missing)"; continue; fi
        grep -q "'hull-$c.8'" "$SRC/man/meson.build" || missing+=" hull-$c.8(not in man/meson.build)"
        grep -q "\*hull-$c\*(8)" "$SRC/man/hull.8.scd" || missing+=" hull-$c(8)(not named in hull.8)"
        for flag in $(hull_flags "$c"); do
            grep -qF -- "*$flag*" "$page" || missing+=" hull-$c:$flag"
        done
    done
    for flag in $(hull_flags); do
        grep -qF -- "*$flag*" "$SRC/man/hull.8.scd" || missing+=" hull:$flag"
    done
    if [ -n "$missing" ]; then
        echo "not documented:$missing"
        return 1
    fi
}

@test "docs: the zsh completion knows every command and option" {
    local c flag missing=""
    local zsh_file=$SRC/contrib/completion/zsh/_hull
    for c in $(hull_commands); do
        grep -q "'$c:" "$zsh_file" || missing+=" command:$c"
        for flag in $(hull_flags "$c"); do
            grep -qE -- "(^|[^a-z-])$flag([^a-z-]|\$)" "$zsh_file" || missing+=" $c:$flag"
        done
    done
    for flag in $(hull_flags); do
        grep -qE -- "(^|[^a-z-])$flag([^a-z-]|\$)" "$zsh_file" || missing+=" global:$flag"
    done
    if [ -n "$missing" ]; then
        echo "not in contrib/completion/zsh/_hull:$missing"
        return 1
    fi
    if command -v zsh >/dev/null; then zsh -n "$zsh_file"; fi
}

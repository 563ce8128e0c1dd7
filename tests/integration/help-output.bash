# Parsers of a runtime's --help in runc's layout (NAME, USAGE, COMMANDS, GLOBAL OPTIONS / OPTIONS),
# for the suites that check the manual pages and the completions against the command line.

# help_commands BIN: the commands of `BIN --help`, one per line; aliases and `help` left out.
help_commands() {
    "$1" --help | awk '/^COMMANDS:/ {on = 1; next} /^[A-Z]/ {on = 0} on && NF {sub(",", "", $1); if ($1 != "help") print $1}'
}

# help_flags BIN [COMMAND]: the options of `BIN [COMMAND] --help`, one per line (--bundle and -b
# separately, "value" left out; a footer after the table is not an option).
help_flags() {
    local bin=$1
    shift
    "$bin" "$@" --help | awk '/^(GLOBAL )?OPTIONS:/ {on = 1; next} /^[A-Z]/ {on = 0}
        on && /^   -/ {sub(/^ +/, ""); sub(/  .*/, ""); n = split($0, names, ", ")
                  for (i = 1; i <= n; i++) {split(names[i], words, " "); print words[1]}}'
}

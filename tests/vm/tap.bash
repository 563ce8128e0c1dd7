# tap.bash — the TAP helpers of the VM lanes (sourced). In the guest scripts: pass / fail / check /
# check_test / ok_if print "ok N - ..." or "not ok N - ..." with "#" diagnostics, tap_done prints
# the plan and the counts and returns 1 when a check failed. On the host: vm_lane_status turns
# run-in-vm.sh's "the VM did not run" statuses into a failed test with the reason.
n=0
failed=0

pass() { n=$((n + 1)); echo "ok $n - $1"; }
# fail DESCRIPTION [DIAGNOSTIC-LINE...]
fail() {
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
    shift
    for line in "$@"; do echo "#   $line"; done
}
# check DESCRIPTION EXPECTED ACTUAL
check() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected: $2" "actual:   $3"; fi
}
# check_test DESCRIPTION DETAIL TEST-ARGS... (a [ ] test)
check_test() {
    local description=$1 detail=$2
    shift 2
    if [ "$@" ]; then pass "$description"; else fail "$description" "$detail"; fi
}
# ok_if DESCRIPTION COMMAND...: passes when the command succeeds; its output is the diagnostic.
ok_if() {
    local description=$1 output
    shift
    if output=$("$@" 2>&1); then pass "$description"; else fail "$description" "$*" "$output"; fi
}
# tap_done LANE: the plan and the counts; status 1 when a check failed.
tap_done() {
    echo "1..$n"
    echo "# $1: $((n - failed)) passed, $failed failed"
    [ "$failed" = 0 ]
}

# vm_lane_status LANE STATUS (host side, after run-in-vm.sh): 124 and 125 mean the guest's checks
# never ran, which counts as a failure with the reason (not a TAP "# SKIP"). Returns STATUS
# otherwise, 1 for those two.
vm_lane_status() {
    local why
    case $2 in
        124) why="the VM timed out" ;;
        125) why="the VM could not boot" ;;
        *) return "$2" ;;
    esac
    echo "not ok 1 - $1 did not run: $why (run-in-vm.sh status $2, reason above)"
    return 1
}

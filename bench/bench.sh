#!/bin/bash
# bench/bench.sh [--smoke] — start-up time and footprint of hull, crun and runc, measured fairly:
#  - every runtime runs in ONE view: this script re-enters itself once in a private mount namespace
#    where the host's cgroup2 tree (/sys/fs/cgroup/unified) is hidden under a tmpfs, so crun 1.8
#    (which refuses hybrid hosts) runs, and hull and runc run in the very same view, with no
#    wrapper around any single call;
#  - the runtimes are interleaved: each round runs every operation for every runtime, in an order
#    rotated from round to round; ROUNDS rounds (>= 5); the table gives the median of the round
#    means, the spread (min..max of the round means) and the ratio to crun and to hull.
# Operations: `run` of /bin/true; create+start+wait+delete; `exec` of /bin/true in a running
# container; `state`. Peak RSS (GNU time %M) of run, exec, state and list. The smallest memory
# limit (v1 memory cgroup) under which `echo` runs. The cost of state, list and create with 1, 100
# and 1000 containers in the root (created, not started; every runtime's root filled to each size,
# then the rounds interleaved as above; each cell the median of the round means and their range).
# Environment: RUNTIMES="hull crun runc", HULL_BIN (default build/src/cli/hull), N (operations per
# round, default 20), ROUNDS (default 5), SCALE ("1 100 1000"). --smoke: N=2, ROUNDS=1, SCALE="1 3",
# the check that the bench works (the test command runs it); its figures mean nothing.
# --scaling: only the containers-in-the-root curve (about 6 minutes with the defaults).
# Needs root, /usr/bin/time, runc and crun (scripts/install-deps.sh installs them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
case "${1:-}" in
    --smoke) export N=2 ROUNDS=1 SCALE="1 3" SMOKE=1 ;;
    --scaling) export SCALING_ONLY=1 ;;
esac
if [ -z "${HULL_BENCH_VIEW:-}" ]; then
    export HULL_BENCH_VIEW=1
    exec unshare -m --propagation private sh -c \
        'if [ -d /sys/fs/cgroup/unified ]; then mount -t tmpfs none /sys/fs/cgroup/unified; fi; exec "$@"' x "$0" "$@"
fi
export HULL_BIN=${HULL_BIN:-$here/../build/src/cli/hull}
[ -x /usr/bin/time ] || { echo "bench.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
exec python3 "$here/bench.py"

#!/bin/bash
# End-to-end suites: real engines (podman, containerd) running their containers on hull.
#   tests/e2e/run.sh                       # every tests/e2e/*.bats
#   tests/e2e/run.sh podman.bats           # the files named
#   HULL_BIN=build-x/src/cli/hull tests/e2e/run.sh   # the hull to test (default build/src/cli/hull)
#   E2E_VIEWS=host tests/e2e/run.sh        # only the host view (default: each file's views)
# Needs root. Installs what the suites need with apt-get (only what is missing). A suite file
# declares in its header comments:
#   # e2e-packages: pkg...     Debian packages it needs
#   # e2e-views: host cgroup2  where it runs: on the host as it is (hybrid cgroups here), and/or
#                              in a private mount namespace whose /sys/fs/cgroup is cgroup2 only
# (default: host). The output is TAP per file and view, then a last line "N passed, N failed";
# the exit status is non-zero when a test failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
HULL_BIN=${HULL_BIN:-$here/../../build/src/cli/hull}
if [ ! -x "$HULL_BIN" ]; then
    echo "run.sh: HULL_BIN=$HULL_BIN is not an executable (build hull: ninja -C build)" >&2
    exit 2
fi
HULL_BIN=$(cd "$(dirname "$HULL_BIN")" && pwd)/$(basename "$HULL_BIN")
export HULL_BIN
if [ "$(id -u)" != 0 ]; then
    echo "run.sh: the e2e tests need root" >&2
    exit 2
fi

files=()
if [ $# -eq 0 ]; then
    files=("$here"/*.bats)
else
    for f in "$@"; do
        case $f in
            /*) files+=("$f") ;;
            *) [ -f "$f" ] && files+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")") || files+=("$here/${f##*/}") ;;
        esac
    done
fi
for f in "${files[@]}"; do
    [ -f "$f" ] || { echo "run.sh: no suite $f" >&2; exit 2; }
done

header_field() {  # FILE NAME: the words after "# NAME:" in the file's leading comments
    awk -v key="# $2:" 'NR > 1 && !/^#/ {exit} index($0, key) == 1 {sub(key, ""); print}' "$1"
}

# Packages: the runner's own, then each suite's.
packages="bats busybox-static bsdutils util-linux iproute2"
for f in "${files[@]}"; do
    packages="$packages $(header_field "$f" e2e-packages)"
    case ${f##*/} in containerd*) packages="$packages containerd" ;; esac
done
missing=""
for p in $packages; do
    case " $missing " in *" $p "*) continue ;; esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "# installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    # shellcheck disable=SC2086
    if ! apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >/dev/null; then
        echo "run.sh: apt-get install$missing failed" >&2
        exit 2
    fi
fi

echo "# hull: $HULL_BIN ($("$HULL_BIN" --version 2>/dev/null | head -1))"
passed=0 failed=0 skipped=0
out=$(mktemp /tmp/hull-e2e-tap.XXXXXX)
trap 'rm -f "$out"' EXIT
for f in "${files[@]}"; do
    views=$(header_field "$f" e2e-views)
    [ -n "$views" ] || views=host
    for view in $views; do
        case " ${E2E_VIEWS:-host cgroup2} " in *" $view "*) ;; *) continue ;; esac
        echo "# ${f##*/} [$view]"
        export HULL_E2E_VIEW=$view
        case $view in
            host)
                timeout "${E2E_TIMEOUT:-1200}" bats --tap "$f" | tee "$out"
                ;;
            cgroup2)
                # The v1 tree is unmounted in a private mount namespace only; the host keeps it.
                timeout "${E2E_TIMEOUT:-1200}" unshare -m --propagation private sh -c \
                    'umount -l /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' \
                    x bats --tap "$f" | tee "$out"
                ;;
            *)
                echo "run.sh: ${f##*/}: unknown view \"$view\"" >&2
                failed=$((failed + 1))
                continue
                ;;
        esac
        rc=${PIPESTATUS[0]}
        ok=$(grep -cE '^ok ' "$out")
        skip=$(grep -cE '^ok .* # skip' "$out")
        bad=$(grep -cE '^not ok ' "$out")
        planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out" | head -1)
        # A suite that died (setup_file failed, timeout) without reporting every test.
        if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
            echo "# ${f##*/} [$view]: bats exited $rc without a failing test; counted as one failure"
            bad=1
        elif [ -n "$planned" ] && [ $((ok + bad)) -lt "$planned" ]; then
            echo "# ${f##*/} [$view]: only $((ok + bad)) of $planned tests reported; the rest count as failed"
            bad=$((bad + planned - ok - bad))
        fi
        passed=$((passed + ok - skip))
        skipped=$((skipped + skip))
        failed=$((failed + bad))
    done
done
[ "$skipped" -gt 0 ] && echo "# $skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

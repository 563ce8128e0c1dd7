#!/bin/bash
# Times N sequential `run /bin/true` and N create+start+delete cycles with hull, crun and runc on
# the same busybox bundle, in one run, and prints ms per operation, ratios to hull and peak RSS.
# crun 1.8 refuses hybrid cgroups: it runs where the cgroup2 tree is hidden (pure v1 view).
# Usage: bench/bench.sh [N]   (RUNTIMES="hull crun runc" by default; HULL_BIN to pick a build)
set -euo pipefail
N=${1:-50}
here=$(cd "$(dirname "$0")" && pwd)
HULL_BIN=${HULL_BIN:-$here/../build/src/cli/hull}
RUNTIMES=${RUNTIMES:-hull crun runc}
work=$(mktemp -d /tmp/hull-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

HULL_BIN=$HULL_BIN "$here/../tests/integration/make-bundle.sh" "$work/bundle" >/dev/null
# ociVersion 1.0.2: crun 1.8 refuses newer versions.
python3 "$here/../tests/integration/edit-config.py" "$work/bundle/config.json" 'process.args=["/bin/true"]' 'ociVersion="1.0.2"'

runtime_cmd() {  # name → command prefix
    case $1 in
        hull) echo "$HULL_BIN --root $work/root-hull" ;;
        runc) echo "/usr/sbin/runc --root $work/root-runc" ;;
        crun) echo "$work/crun-v1 --root $work/root-crun" ;;
    esac
}

# crun runs in a private mount namespace with the cgroup2 tree hidden.
cat > "$work/crun-v1" <<SCRIPT
#!/bin/sh
exec unshare -m --propagation private sh -c 'mount -t tmpfs none /sys/fs/cgroup/unified && exec crun "\$@"' x "\$@"
SCRIPT
chmod +x "$work/crun-v1"

now_ns() { date +%s%N; }

bench_run() {  # runtime → mean ms of `run`
    local cmd start end
    cmd=$(runtime_cmd "$1")
    start=$(now_ns)
    for i in $(seq "$N"); do
        $cmd run --bundle "$work/bundle" "b-$1-$i" >/dev/null 2>&1 </dev/null
        $cmd delete --force "b-$1-$i" >/dev/null 2>&1 || true
    done
    end=$(now_ns)
    echo $(( (end - start) / N / 1000 ))
}

bench_lifecycle() {  # runtime → mean ms of create + start + delete
    local cmd start end
    cmd=$(runtime_cmd "$1")
    start=$(now_ns)
    for i in $(seq "$N"); do
        $cmd create --bundle "$work/bundle" "l-$1-$i" >/dev/null 2>&1 </dev/null
        $cmd start "l-$1-$i" >/dev/null 2>&1
        local tries=0
        until $cmd state "l-$1-$i" 2>/dev/null | grep -q '"status": *"stopped"'; do
            tries=$((tries + 1))
            [ "$tries" -lt 2000 ] || { echo "$1: l-$1-$i never stopped" >&2; exit 1; }
        done
        $cmd delete "l-$1-$i" >/dev/null 2>&1
    done
    end=$(now_ns)
    echo $(( (end - start) / N / 1000 ))
}

peak_rss() {  # runtime → peak RSS (KiB) of the runtime process for one `run`
    local cmd
    cmd=$(runtime_cmd "$1")
    python3 - "$work" $cmd run --bundle "$work/bundle" "rss-$1" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
    $cmd delete --force "rss-$1" >/dev/null 2>&1 || true
}

declare -A run_us life_us rss
for r in $RUNTIMES; do
    run_us[$r]=$(bench_run "$r")
    life_us[$r]=$(bench_lifecycle "$r")
    rss[$r]=$(peak_rss "$r")
done

ref=hull
printf '%-6s %14s %10s %22s %10s %14s\n' runtime "run ms" "vs hull" "create+start+delete ms" "vs hull" "peak RSS KiB"
for r in $RUNTIMES; do
    awk -v r="$r" -v a="${run_us[$r]}" -v ra="${run_us[$ref]}" -v b="${life_us[$r]}" -v rb="${life_us[$ref]}" -v m="${rss[$r]}" \
        'BEGIN { printf "%-6s %14.2f %9.2fx %22.2f %9.2fx %14d\n", r, a/1000, a/ra, b/1000, b/rb, m }'
done
echo "N=$N; ratios are each runtime's time divided by hull's (above 1.00x: slower than hull)."

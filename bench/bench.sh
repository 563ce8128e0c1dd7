#!/bin/bash
# bench/bench.sh [N]: times N sequential `run` of /bin/true (fresh id each, foreground) and N
# create+start+wait-for-exit+delete cycles with each runtime on the same busybox bundle, in one
# run, and prints mean ms per operation, each runtime's ratio to hull, and the peak RSS of the
# runtime for one `run`.
#   RUNTIMES="hull crun runc"  the runtimes to compare (default; hull is skipped if not built)
#   HULL_BIN=path              the hull binary (default: build/src/cli/hull of this checkout)
# crun 1.8 refuses this hybrid cgroup host, so its commands run in a private mount namespace
# where the cgroup2 tree is hidden under a tmpfs (a pure cgroup v1 view).
# Each runtime gets its own --root in a temp dir; everything is cleaned up on exit. Needs root.
set -euo pipefail
N=${1:-50}
here=$(cd "$(dirname "$0")" && pwd)
HULL_BIN=${HULL_BIN:-$here/../build/src/cli/hull}
RUNTIMES=${RUNTIMES:-hull crun runc}
work=$(mktemp -d /tmp/hull-bench.XXXXXX)

runtime_cmd() {  # NAME → the runtime command (without --root)
    case $1 in
        hull) echo "$HULL_BIN" ;;
        runc) command -v runc || echo /usr/sbin/runc ;;
        crun) echo "$work/crun-v1" ;;
        *) echo "bench.sh: unknown runtime $1 (hull, crun, runc)" >&2; return 1 ;;
    esac
}

cleanup() {
    local r cmd id
    for r in $RUNTIMES; do
        cmd=$(runtime_cmd "$r" 2>/dev/null) || continue
        [ -d "$work/root-$r" ] || continue
        for id in $("$cmd" --root "$work/root-$r" list -q 2>/dev/null); do
            "$cmd" --root "$work/root-$r" delete --force "$id" >/dev/null 2>&1 || true
        done
    done
    rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/crun-v1" <<'SCRIPT'
#!/bin/sh
exec unshare -m --propagation private sh -c 'mount -t tmpfs none /sys/fs/cgroup/unified && exec crun "$@"' crun "$@"
SCRIPT
chmod +x "$work/crun-v1"

available=()
for r in $RUNTIMES; do
    case $r in
        hull) [ -x "$HULL_BIN" ] || { echo "# skipping hull: $HULL_BIN is not built" >&2; continue; } ;;
        crun) command -v crun >/dev/null || { echo "# skipping crun: not installed" >&2; continue; } ;;
        runc) [ -x "$(runtime_cmd runc)" ] || { echo "# skipping runc: not installed" >&2; continue; } ;;
    esac
    available+=("$r")
done
[ ${#available[@]} -gt 0 ] || { echo "bench.sh: no runtime to run" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

# One bundle for all, from runc's spec (the runc CLI contract every runtime here accepts).
RUNTIME=$(runtime_cmd runc) "$here/../tests/integration/make-bundle.sh" "$work/bundle" /bin/true >/dev/null

specs=()
for r in "${available[@]}"; do
    mkdir -p "$work/root-$r"
    specs+=("$r=$(runtime_cmd "$r")")
done

python3 - "$N" "$work/bundle" "$work" "${specs[@]}" <<'PY'
import os, resource, subprocess, sys, time

n, bundle, work = int(sys.argv[1]), sys.argv[2], sys.argv[3]
runtimes = [spec.split("=", 1) for spec in sys.argv[4:]]
# Not a pipe: a created container holds the runtime's stdio until it starts.
errors = open(os.path.join(work, "errors.log"), "w+b")


def call(cmd, *args, check=True):
    errors.seek(0)
    errors.truncate()
    proc = subprocess.run([*cmd, *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=errors)
    if check and proc.returncode != 0:
        errors.seek(0)
        sys.exit(f"bench.sh: {' '.join([*cmd, *args])}: exit {proc.returncode}: "
                 + errors.read().decode(errors="replace").strip())
    return proc


def container_pid(cmd, cid):
    import json
    out = subprocess.run([*cmd, "state", cid], stdout=subprocess.PIPE, stderr=errors,
                         check=True).stdout
    return json.loads(out)["pid"]


def wait_exit(pid):
    while True:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return
        except FileNotFoundError:
            return
        time.sleep(0.0005)


def bench_run(name, cmd):
    total = 0.0
    for i in range(n):
        cid = f"run-{name}-{i}"
        start = time.perf_counter()
        call(cmd, "run", "--bundle", bundle, cid)
        total += time.perf_counter() - start
        call(cmd, "delete", "--force", cid, check=False)  # normally gone already: not timed
    return total / n * 1000


def bench_lifecycle(name, cmd):
    total = 0.0
    for i in range(n):
        cid = f"life-{name}-{i}"
        start = time.perf_counter()
        call(cmd, "create", "--bundle", bundle, cid)
        total += time.perf_counter() - start
        pid = container_pid(cmd, cid)  # bookkeeping of the bench: not timed
        start = time.perf_counter()
        call(cmd, "start", cid)
        wait_exit(pid)
        call(cmd, "delete", cid)
        total += time.perf_counter() - start
    return total / n * 1000


def peak_rss_kib(name, cmd):
    # GNU time's %M: the largest process of the runtime's tree (for crun that includes the
    # unshare/sh wrapper, which is far smaller than crun). Not getrusage from Python: a forked
    # Python child counts its own pre-exec RSS.
    report = os.path.join(work, "rss")
    subprocess.run(["/usr/bin/time", "-o", report, "-f", "%M", *cmd, "run", "--bundle", bundle,
                    f"rss-{name}"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=errors, check=True)
    call(cmd, "delete", "--force", f"rss-{name}", check=False)
    with open(report) as f:
        return int(f.read().split()[-1])


results = {}
for name, path in runtimes:
    cmd = [path, "--root", f"{work}/root-{name}"]
    call(cmd, "run", "--bundle", bundle, f"warm-{name}")  # warm the page cache
    results[name] = (bench_run(name, cmd), bench_lifecycle(name, cmd), peak_rss_kib(name, cmd))

ref = "hull" if "hull" in results else runtimes[0][0]
print(f"{'runtime':<8} {'run ms':>9} {'vs ' + ref:>9} {'create+start+delete ms':>23} "
      f"{'vs ' + ref:>9} {'peak RSS KiB':>13}")
for name, (run_ms, life_ms, rss) in results.items():
    print(f"{name:<8} {run_ms:9.2f} {run_ms / results[ref][0]:8.2f}x {life_ms:23.2f} "
          f"{life_ms / results[ref][1]:8.2f}x {rss:13d}")
print(f"N={n}; mean wall time per operation; 'vs {ref}' is the runtime's time divided by "
      f"{ref}'s (e.g. {runtimes[-1][0]}/{ref} = 1.70x means 1.7 times slower).")
PY

"""The bench driver; run it through bench.sh, which sets up the shared view (see there)."""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
N = int(os.environ.get("N", "20"))
ROUNDS = int(os.environ.get("ROUNDS", "5"))
SCALE = [int(x) for x in os.environ.get("SCALE", "1 100 1000").split()]
SMOKE = os.environ.get("SMOKE") == "1"
SCALING_ONLY = os.environ.get("SCALING_ONLY") == "1"
PATHS = {"hull": os.environ["HULL_BIN"], "crun": shutil.which("crun") or "/usr/bin/crun",
         "runc": shutil.which("runc") or "/usr/sbin/runc"}
RUNTIMES = [r for r in os.environ.get("RUNTIMES", "hull crun runc").split()]
for r in RUNTIMES:
    if r not in PATHS or not os.access(PATHS[r], os.X_OK):
        sys.exit(f"bench.sh: runtime {r} not found ({PATHS.get(r)}): install it (scripts/install-deps.sh --bench)")

work = tempfile.mkdtemp(prefix="hull-bench.")
errors = open(os.path.join(work, "errors.log"), "w+b")  # not a pipe: created containers hold stdio


def cmd(name):
    return [PATHS[name], "--root", f"{work}/root-{name}"]


def call(args, check=True, stdout=subprocess.DEVNULL):
    errors.seek(0)
    errors.truncate()
    proc = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=stdout, stderr=errors)
    if check and proc.returncode != 0:
        errors.seek(0)
        raise RuntimeError(f"{' '.join(args)}: exit {proc.returncode}: " + errors.read().decode(errors="replace").strip())
    return proc


def make_bundle(path, *argv, edit=None):
    env = dict(os.environ, RUNTIME=PATHS["runc"] if "runc" in RUNTIMES else PATHS[RUNTIMES[0]])
    subprocess.run([f"{HERE}/../tests/integration/make-bundle.sh", path, *argv], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    if edit:
        with open(f"{path}/config.json") as f:
            config = json.load(f)
        edit(config)
        with open(f"{path}/config.json", "w") as f:
            json.dump(config, f)
    return path


def state_pid(name, cid):
    return json.loads(call(cmd(name) + ["state", cid], stdout=subprocess.PIPE).stdout)["pid"]


def wait_exit(pid):
    while True:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return
        except FileNotFoundError:
            return
        time.sleep(0.0002)


def delete_all(name):
    out = call(cmd(name) + ["list", "-q"], check=False, stdout=subprocess.PIPE).stdout or b""
    for cid in out.decode().split():
        call(cmd(name) + ["delete", "--force", cid], check=False)


true_bundle = make_bundle(f"{work}/true", "/bin/true")
sleep_bundle = make_bundle(f"{work}/sleep", "sleep", "100000")
counter = [0]


def fresh_id(prefix):
    counter[0] += 1
    return f"{prefix}-{counter[0]}"


# Each operation: (setup per round, one timed operation, teardown per round).
def op_run(name, ctx):
    call(cmd(name) + ["run", "--bundle", true_bundle, fresh_id("run")])


def op_lifecycle(name, ctx):
    cid = fresh_id("life")
    t0 = time.perf_counter()
    call(cmd(name) + ["create", "--bundle", true_bundle, cid])
    t1 = time.perf_counter()
    pid = state_pid(name, cid)  # the bench's own bookkeeping: not timed
    t2 = time.perf_counter()
    call(cmd(name) + ["start", cid])
    wait_exit(pid)
    call(cmd(name) + ["delete", cid])
    return (t1 - t0) + (time.perf_counter() - t2)


def op_exec(name, ctx):
    call(cmd(name) + ["exec", ctx["sleeper"], "/bin/true"])


def op_state(name, ctx):
    call(cmd(name) + ["state", ctx["sleeper"]])


def with_sleeper(name):
    cid = fresh_id("sleeper")
    call(cmd(name) + ["run", "--detach", "--bundle", sleep_bundle, cid])
    return {"sleeper": cid}


OPS = [("run /bin/true", op_run, None), ("create+start+delete", op_lifecycle, None),
       ("exec /bin/true", op_exec, with_sleeper), ("state", op_state, with_sleeper)]


def timed(fn, name, ctx):
    t0 = time.perf_counter()
    inner = fn(name, ctx)
    return inner if isinstance(inner, float) else time.perf_counter() - t0


def bench_times():
    rounds = {(op, r): [] for op, _, _ in OPS for r in RUNTIMES}
    for k in range(ROUNDS):
        order = RUNTIMES[k % len(RUNTIMES):] + RUNTIMES[:k % len(RUNTIMES)]
        for op, fn, setup in OPS:
            for name in order:
                ctx = setup(name) if setup else {}
                fn(name, ctx)  # warm-up, not counted
                samples = [timed(fn, name, ctx) for _ in range(N)]
                rounds[(op, name)].append(statistics.mean(samples) * 1000)
                delete_all(name)
    return rounds


def peak_rss(name, args):
    report = os.path.join(work, "rss")
    subprocess.run(["/usr/bin/time", "-o", report, "-f", "%M", *cmd(name), *args], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=errors, check=True)
    with open(report) as f:
        return int(f.read().split()[-1])


def bench_rss():
    result = {}
    for name in RUNTIMES:
        ctx = with_sleeper(name)
        result[name] = {
            "run": peak_rss(name, ["run", "--bundle", true_bundle, fresh_id("rss")]),
            "exec": peak_rss(name, ["exec", ctx["sleeper"], "/bin/true"]),
            "state": peak_rss(name, ["state", ctx["sleeper"]]),
            "list": peak_rss(name, ["list"]),
        }
        delete_all(name)
    return result


LIMITS_KIB = [64, 96, 128, 192, 256, 384, 512, 1024, 2048, 4096, 8192]


def smallest_memory_limit(name):
    """The smallest v1 memory limit (KiB) under which `echo ok` prints ok, or None."""
    if not os.path.isdir("/sys/fs/cgroup/memory"):
        return None
    for kib in LIMITS_KIB:
        def limit(config, kib=kib):
            config["linux"]["cgroupsPath"] = f"/hull-bench-mem/{name}-{kib}"
            config["linux"].setdefault("resources", {})["memory"] = {"limit": kib * 1024, "swap": kib * 1024}
        bundle = make_bundle(f"{work}/mem-{name}-{kib}", "echo", "ok", edit=limit)
        cid = fresh_id("mem")
        proc = call(cmd(name) + ["run", "--bundle", bundle, cid], check=False, stdout=subprocess.PIPE)
        call(cmd(name) + ["delete", "--force", cid], check=False)
        for ctrl in os.listdir("/sys/fs/cgroup"):
            try:
                os.rmdir(f"/sys/fs/cgroup/{ctrl}/hull-bench-mem/{name}-{kib}")
            except OSError:
                pass
        if proc.returncode == 0 and proc.stdout.strip() == b"ok":
            return kib
    return None


def fill(name, size):
    """Creates (not starts) containers fill-0.. until the root holds `size` of them."""
    have = len(call(cmd(name) + ["list", "-q"], stdout=subprocess.PIPE).stdout.split())
    for k in range(have, size):
        call(cmd(name) + ["create", "--bundle", sleep_bundle, f"fill-{k}"])


def create_delete(name, ctx):
    cid = fresh_id("probe")
    t0 = time.perf_counter()
    call(cmd(name) + ["create", "--bundle", sleep_bundle, cid])
    elapsed = time.perf_counter() - t0
    call(cmd(name) + ["delete", "--force", cid])
    return elapsed


SCALE_OPS = [("state", lambda n, c: call(cmd(n) + ["state", "fill-0"])),
             ("list", lambda n, c: call(cmd(n) + ["list"])),
             ("create", create_delete)]


def bench_scaling():
    """Every runtime's root filled to each size in turn, then ROUNDS interleaved rounds of
    state/list/create (N_SCALE calls each, their mean per round): {(name, size, op): [round means ms]}."""
    reps = max(1, N // 4)
    curve = {}
    for size in SCALE:
        for name in RUNTIMES:
            fill(name, size)
        for k in range(ROUNDS):
            order = RUNTIMES[k % len(RUNTIMES):] + RUNTIMES[:k % len(RUNTIMES)]
            for name in order:
                for op, fn in SCALE_OPS:
                    samples = [timed(fn, name, {}) for _ in range(reps)]
                    curve.setdefault((name, size, op), []).append(statistics.mean(samples) * 1000)
    return curve  # the filled roots are emptied on the way out (crun deletes slowly: print first)


def print_scaling(curve):
    print(f"\n| containers in the root | runtime | state ms | list ms | create ms |")
    print("|---|---|---|---|---|")
    for size in SCALE:
        for name in RUNTIMES:
            cells = []
            for op, _ in SCALE_OPS:
                values = curve[(name, size, op)]
                cells.append(f"{statistics.median(values):.2f} ({min(values):.1f}..{max(values):.1f})")
            print(f"| {size} | {name} | " + " | ".join(cells) + " |")


def header():
    load = open("/proc/loadavg").read().split()[:3]
    print(f"# {os.uname().release}, {os.cpu_count()} CPUs, load {' '.join(load)}; one private mount namespace "
          f"with the cgroup2 tree hidden (all runtimes); N={N} per round, {ROUNDS} rounds, interleaved")


def main():
    for name in RUNTIMES:
        os.makedirs(f"{work}/root-{name}", exist_ok=True)
    if SCALING_ONLY:
        curve = bench_scaling()
        header()
        print_scaling(curve)
        sys.stdout.flush()
        return
    rounds = bench_times()
    rss = bench_rss()
    limits = {name: smallest_memory_limit(name) for name in RUNTIMES}
    curve = bench_scaling()

    header()
    ref = "crun" if "crun" in RUNTIMES else RUNTIMES[0]
    print(f"\n| operation | runtime | median ms | spread ms | vs {ref} | vs hull |")
    print("|---|---|---|---|---|---|")
    for op, _, _ in OPS:
        base = statistics.median(rounds[(op, ref)])
        own = statistics.median(rounds[(op, "hull")]) if "hull" in RUNTIMES else None
        for name in RUNTIMES:
            values = rounds[(op, name)]
            med = statistics.median(values)
            vs_hull = f"{med / own:.2f}x" if own else "-"
            print(f"| {op} | {name} | {med:.2f} | {min(values):.2f}..{max(values):.2f} | {med / base:.2f}x | {vs_hull} |")
    print(f"\n| peak RSS KiB | " + " | ".join(RUNTIMES) + " |")
    print("|---|" + "---|" * len(RUNTIMES))
    for verb in ["run", "exec", "state", "list"]:
        print(f"| {verb} | " + " | ".join(str(rss[n][verb]) for n in RUNTIMES) + " |")
    print("\n| smallest memory limit for `echo` | " + " | ".join(RUNTIMES) + " |")
    print("|---|" + "---|" * len(RUNTIMES))
    print("| KiB | " + " | ".join(str(limits[n]) if limits[n] else f">{LIMITS_KIB[-1]}" for n in RUNTIMES) + " |")
    print_scaling(curve)
    if SMOKE:
        print("\nbench smoke run: every operation ran for every runtime (figures not meaningful)")
    sys.stdout.flush()


try:
    main()
except RuntimeError as e:
    sys.exit(f"bench.sh: {e}")
finally:
    for name in RUNTIMES:
        delete_all(name)
    for ctrl in os.listdir("/sys/fs/cgroup"):
        try:
            os.rmdir(f"/sys/fs/cgroup/{ctrl}/hull-bench-mem")
        except OSError:
            pass
    shutil.rmtree(work, ignore_errors=True)

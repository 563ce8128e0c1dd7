#!/bin/bash
# Test lane 3: hull's cgroup v2 resources on a pure cgroup v2 host with every controller, in a
# QEMU guest (tests/vm/run-in-vm.sh). Prepares the bundles here on the host (the guest sees the
# host's / read-only), boots the VM, runs tests/vm/cgroup-v2-guest.sh there, and prints its TAP
# and counts. Exit status 0 only if every check passed; when the VM cannot boot the lane prints
# why as a failed test and exits 1.
#   tests/vm/cgroup-v2.sh                  # HULL_BIN selects the hull build (default build/)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
export HULL_BIN=${HULL_BIN:-$project/build/src/cli/hull}
[ -x "$HULL_BIN" ] || { echo "cgroup-v2.sh: no hull binary at $HULL_BIN (build first)" >&2; exit 2; }
HULL_BIN=$(realpath "$HULL_BIN")

work=$(mktemp -d /tmp/hull-vmlane.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$project/tests/integration/make-bundle.sh" "$work/base" >/dev/null || { echo "cgroup-v2.sh: make-bundle.sh failed" >&2; exit 2; }
cp "$here/probe.sh" "$work/base/rootfs/probe.sh"
chmod 755 "$work/base/rootfs/probe.sh"

# One config per container, all on the same (read-only) rootfs.
python3 - "$work" <<'EOF' || { echo "cgroup-v2.sh: writing the configs failed" >&2; exit 2; }
import copy, json, os, sys
work = sys.argv[1]
base = json.load(open(os.path.join(work, "base", "config.json")))
base["root"] = {"path": os.path.join(work, "base", "rootfs"), "readonly": True}
# The checks read /proc/self/cgroup as 0::/: a cgroup namespace of the container's own (the
# default spec, like runc's, has none).
if not any(n["type"] == "cgroup" for n in base["linux"]["namespaces"]):
    base["linux"]["namespaces"].append({"type": "cgroup"})
vda = {"path": "/dev/vda", "type": "b", "major": 254, "minor": 0, "fileMode": 0o600, "uid": 0, "gid": 0}

def write(name, args, resources, cgroups_path=None, devices=()):
    c = copy.deepcopy(base)
    c["process"]["args"] = args
    c["linux"]["resources"] = resources
    if cgroups_path:
        c["linux"]["cgroupsPath"] = cgroups_path
    c["linux"]["devices"] = list(devices)
    os.makedirs(os.path.join(work, name))
    with open(os.path.join(work, name, "config.json"), "w") as f:
        json.dump(c, f, indent=1)

mib = 1024 * 1024
write("limits", ["/bin/sh", "/probe.sh", "limits"], {
    "devices": [{"allow": False, "access": "rwm"},
                {"allow": True, "type": "b", "major": 254, "minor": 0, "access": "r"}],
    "memory": {"limit": 64 * mib, "swap": 96 * mib, "reservation": 16 * mib},
    "cpu": {"shares": 1024, "quota": 80000, "period": 100000, "cpus": "1", "mems": "0"},
    "pids": {"limit": 8},
    "blockIO": {"weight": 500,
                "throttleReadBpsDevice": [{"major": 254, "minor": 0, "rate": 512 * 1024}],
                "throttleWriteIOPSDevice": [{"major": 254, "minor": 0, "rate": 1000}]},
    "hugepageLimits": [{"pageSize": "2MB", "limit": 4 * mib}],
}, cgroups_path="/vmlane/limits", devices=[vda])
write("oom", ["/bin/sh", "/probe.sh", "oom"], {
    "memory": {"limit": 64 * mib, "swap": 64 * mib}}, cgroups_path="/vmlane/oom")
write("sleep", ["/bin/sh", "/probe.sh", "sleep"], {
    "memory": {"limit": 32 * mib}, "pids": {"limit": 10}})
# What podman sends: a single deny-all device rule.
write("devices", ["/bin/sh", "/probe.sh", "devices"], {
    "devices": [{"allow": False, "access": "rwm"}]}, devices=[vda])
EOF

echo "# booting the cgroup v2 VM (qemu TCG, -smp 2)"
start=$(date +%s)
# The guest sees the project and $work through the read-only root share; run from $work so that
# nothing of the guest's is written back (HULL_VM_RW: the project only).
(cd "$work" && HULL_VM_RW="$project" HULL_VM_ENV="HULL_BIN" HULL_VM_TIMEOUT=${HULL_VM_TIMEOUT:-600} \
    "$here/run-in-vm.sh" "$here/cgroup-v2-guest.sh" "$work")
status=$?
echo "# cgroup v2 VM lane: $(($(date +%s) - start)) s wall (boot included)"
if [ "$status" = 124 ] || [ "$status" = 125 ]; then
    # Not a TAP "# SKIP" directive: a lane that could not run counts as a failure.
    if [ "$status" = 124 ]; then why="the VM timed out"; else why="the VM could not boot"; fi
    echo "not ok 1 - cgroup v2 VM lane skipped: $why (run-in-vm.sh status $status, reason above)"
    exit 1
fi
exit "$status"

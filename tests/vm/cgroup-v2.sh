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
source "$here/tap.bash"
source "$here/lane.bash"
lane_prepare vmlane

# One config per container, all on the same (read-only) rootfs.
python3 - "$work" "$here" <<'EOF' || { echo "cgroup-v2.sh: writing the configs failed" >&2; exit 2; }
import sys
sys.path.insert(0, sys.argv[2])
from bundles import Bundles, MIB as mib, VDA as vda
write = Bundles(sys.argv[1]).write
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
vm_lane_status "cgroup v2 VM lane" "$status"

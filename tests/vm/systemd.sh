#!/bin/bash
# Test lane 5: hull --systemd-cgroup against a real systemd. A QEMU guest (tests/vm/run-in-vm.sh
# with HULL_VM_INIT=systemd) boots Debian's systemd as pid 1 on a pure cgroup v2 hierarchy, with
# the system bus; tests/vm/systemd-guest.sh runs there as a service and checks what systemd made of
# hull's transient scopes (systemctl show) and what the kernel enforces. Prepares the bundles here
# (the guest sees the host's / read-only). Exit status 0 only if every check passed; a VM that
# cannot boot is a failed test with the reason.
#   tests/vm/systemd.sh                    # HULL_BIN selects the hull build (default build/)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
source "$here/tap.bash"
source "$here/lane.bash"
lane_prepare sdlane

python3 - "$work" "$here" <<'EOF' || { echo "systemd.sh: writing the configs failed" >&2; exit 2; }
import sys
sys.path.insert(0, sys.argv[2])
from bundles import Bundles, MIB as mib, VDA as vda
write = Bundles(sys.argv[1]).write
# Every limit systemd has a property for, in a nested slice (machine-hull.slice is
# /machine.slice/machine-hull.slice).
write("limits", ["/bin/sh", "/probe.sh", "sleep"], {
    "memory": {"limit": 64 * mib, "swap": 96 * mib, "reservation": 16 * mib},
    "cpu": {"shares": 1024, "quota": 50000, "period": 100000, "cpus": "1", "mems": "0"},
    "pids": {"limit": 16},
    "blockIO": {"weight": 500,
                "throttleReadBpsDevice": [{"major": 254, "minor": 0, "rate": 512 * 1024}],
                "throttleWriteIOPSDevice": [{"major": 254, "minor": 0, "rate": 1000}]},
}, cgroups_path="machine-hull.slice:hull:sd-limits", devices=[vda])
# The same scope name again, while the first one runs: systemd refuses the second scope.
write("twin", ["/bin/sh", "/probe.sh", "sleep"], {}, cgroups_path="machine-hull.slice:hull:sd-limits")
write("oom", ["/bin/sh", "/probe.sh", "oom"], {"memory": {"limit": 64 * mib, "swap": 64 * mib}},
      cgroups_path="machine.slice:hull:sd-oom")
write("forks", ["/bin/sh", "/probe.sh", "forks"], {"pids": {"limit": 8}}, cgroups_path="")
EOF

# containerd's image for the guest, an OCI archive built as the containerd e2e suite builds it.
bats_require_minimum_version() { :; }
source "$project/tests/e2e/containerd-helpers.bash"
mkdir "$work/ctrd-image"
build_image_archive "$work/ctrd-image" "$work/ctrd-image/busybox.tar" ||
    { echo "systemd.sh: building containerd's image failed" >&2; exit 2; }

echo "# booting the systemd VM (qemu TCG, -smp 2, systemd as pid 1)"
start=$(date +%s)
(cd "$work" && HULL_VM_INIT=systemd HULL_VM_RW="$project" HULL_VM_ENV="HULL_BIN" HULL_VM_TIMEOUT=${HULL_VM_TIMEOUT:-600} \
    "$here/run-in-vm.sh" "$here/systemd-guest.sh" "$work")
status=$?
echo "# systemd VM lane: $(($(date +%s) - start)) s wall (boot included)"
vm_lane_status "systemd VM lane" "$status"

#!/bin/bash
# Test lane 4: hull checkpoint / restore with criu, in the QEMU guest of tests/vm/run-in-vm.sh
# (Debian's stock kernel, where `criu check` passes; on the workplace's own kernel it fails on the
# vDSO, which tests/integration/checkpoint.bats covers). Prepares the bundles here, boots the VM,
# runs tests/vm/checkpoint-guest.sh there and prints its TAP. Exit status 0 only if every check
# passed; a VM that cannot boot, or a guest where `criu check` fails, is a failed test with the
# reason.
#   tests/vm/checkpoint.sh                 # HULL_BIN selects the hull build (default build/)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
source "$here/tap.bash"
export HULL_BIN=${HULL_BIN:-$project/build/src/cli/hull}
[ -x "$HULL_BIN" ] || { echo "checkpoint.sh: no hull binary at $HULL_BIN (build first)" >&2; exit 2; }
HULL_BIN=$(realpath "$HULL_BIN")
# criu, and podman with conmon for its checkpoint/restore on hull (installed here when missing).
missing=()
for tool in criu podman conmon; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >&2 ||
        { echo "not ok 1 - checkpoint VM lane: apt-get install ${missing[*]} failed"; exit 1; }
fi

work=$(mktemp -d /tmp/hull-criulane.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$project/tests/integration/make-bundle.sh" "$work/base" >/dev/null || { echo "checkpoint.sh: make-bundle.sh failed" >&2; exit 2; }

# One bundle per container, all on one rootfs that the guest copies into its tmpfs at /run/criulane
# (criu dumps what a process maps by path: a tmpfs is simpler ground than the 9p share). /data is
# a bind mount of a per-bundle directory there, where the container writes what the checks read.
python3 - "$work" <<'PY' || { echo "checkpoint.sh: writing the configs failed" >&2; exit 2; }
import copy, json, os, sys
work = sys.argv[1]
base = json.load(open(os.path.join(work, "base", "config.json")))
guest = "/run/criulane"
base["root"] = {"path": guest + "/rootfs", "readonly": False}
counter = "i=0; while :; do echo $i >>/data/log; i=$((i+1)); sleep 0.2; done"
# (busybox nc quits when its stdin ends: the server's never does)
tcp = ("sleep 100000 | nc -l -p 5000 >/data/received & "
       "sleep 1; (echo connected >/data/client; while [ ! -e /data/go ]; do sleep 0.2; done; echo after-restore) | nc 127.0.0.1 5000 & "
       "wait")

def write(name, script, extra_mounts=(), terminal=False, uid=0):
    c = copy.deepcopy(base)
    c["process"]["args"] = ["/bin/sh", "-c", script]
    c["process"]["terminal"] = terminal
    c["process"]["user"] = {"uid": uid, "gid": uid}
    os.makedirs(os.path.join(work, name))
    c["mounts"].append({"destination": "/data", "type": "bind", "source": guest + "/" + name,
                        "options": ["rbind", "rw"]})
    c["mounts"].extend(extra_mounts)
    with open(os.path.join(work, name, "config.json"), "w") as f:
        json.dump(c, f, indent=1)

for name in ("counter", "leave", "paused", "fg"):
    write(name, counter)
write("copy", counter)        # leave's image restored under a new id, with its own /data
write("tmpfs", "echo kept >/scratch/note; " + counter,
      [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "size=1m"]}])
write("tcp", tcp)
write("term", "i=0; while :; do echo tick$i; echo $i >>/data/log; i=$((i+1)); sleep 0.2; done", terminal=True, uid=1000)
PY

echo "# booting the checkpoint VM (qemu TCG, -smp 2)"
start=$(date +%s)
(cd "$work" && HULL_VM_RW="$project" HULL_VM_ENV="HULL_BIN" HULL_VM_TIMEOUT=${HULL_VM_TIMEOUT:-900} \
    "$here/run-in-vm.sh" ${HULL_LANE_GUEST:-$here/checkpoint-guest.sh} "$work")
status=$?
echo "# checkpoint VM lane: $(($(date +%s) - start)) s wall (boot included)"
vm_lane_status "checkpoint VM lane" "$status"

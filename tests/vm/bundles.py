# The probe bundles of the VM lanes: one config per container on the read-only rootfs that
# lane_prepare (lane.bash) made in WORK/base, each running /probe.sh.
#   sys.path.insert(0, "tests/vm"); from bundles import Bundles, VDA
import copy
import json
import os

# The guest's scratch disk (run-in-vm.sh), as a linux.devices entry.
VDA = {"path": "/dev/vda", "type": "b", "major": 254, "minor": 0, "fileMode": 0o600, "uid": 0, "gid": 0}
MIB = 1024 * 1024


class Bundles:
    def __init__(self, work):
        self.work = work
        with open(os.path.join(work, "base", "config.json")) as f:
            self.base = json.load(f)
        self.base["root"] = {"path": os.path.join(work, "base", "rootfs"), "readonly": True}
        # The checks read /proc/self/cgroup as 0::/: a cgroup namespace of the container's own
        # (the default spec, like runc's, has none).
        if not any(n["type"] == "cgroup" for n in self.base["linux"]["namespaces"]):
            self.base["linux"]["namespaces"].append({"type": "cgroup"})

    def write(self, name, args, resources, cgroups_path=None, devices=()):
        c = copy.deepcopy(self.base)
        c["process"]["args"] = args
        c["linux"]["resources"] = resources
        if cgroups_path is not None:
            c["linux"]["cgroupsPath"] = cgroups_path
        c["linux"]["devices"] = list(devices)
        os.makedirs(os.path.join(self.work, name))
        with open(os.path.join(self.work, name, "config.json"), "w") as f:
            json.dump(c, f, indent=1)

#!/bin/sh
# One command from a fresh Debian 12 (as root): install, build, and run a container from the
# built-in busybox demo bundle. It prints what shows the container is isolated.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
hull=$PWD/build/src/cli/hull
demo=$(mktemp -d /tmp/hull-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
tests/integration/make-bundle.sh "$demo" >/dev/null
python3 tests/integration/edit-config.py "$demo/config.json" \
    process.args='["sh","-c","echo \"hostname: $(hostname)\"; echo \"my pid: $$\"; echo \"processes I can see:\"; ps -o pid,args; echo \"my namespaces:\"; for n in pid mnt net ipc uts cgroup; do echo \"  $n -> $(readlink /proc/self/ns/$n)\"; done; echo \"root filesystem:\"; ls /"]' \
    hostname='"hull-demo"'
echo "host namespaces for comparison:"
for n in pid mnt net; do echo "  $n -> $(readlink /proc/self/ns/$n)"; done
echo "--- inside the container ---"
"$hull" --root "$demo/state" run --bundle "$demo" "hull-demo-$$"

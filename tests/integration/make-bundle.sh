#!/bin/sh
# make-bundle.sh DIR [CMD ARG...]
# Creates an OCI bundle: DIR/rootfs (busybox-static with applet symlinks, /etc/passwd and
# /etc/group with root and nobody, empty /proc /sys /dev /tmp) and DIR/config.json from
# `"$RUNTIME" spec`, made non-terminal and running CMD (default: sh -c 'echo hello').
# RUNTIME names the runtime whose `spec` is used (default: HULL_BIN, else the built hull).
set -eu
[ $# -ge 1 ] || { echo "usage: $0 DIR [CMD ARG...]" >&2; exit 2; }
dir=$(mkdir -p "$1" && cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)
runtime=${RUNTIME:-${HULL_BIN:-$here/../../build/src/cli/hull}}
busybox=/bin/busybox
[ -x "$busybox" ] || busybox=$(command -v busybox)

rm -rf "$dir/rootfs"
mkdir -p "$dir/rootfs"
cd "$dir/rootfs"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root
cp "$busybox" bin/busybox
for applet in $(bin/busybox --list); do
    [ -e "bin/$applet" ] || ln -s busybox "bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > etc/passwd
printf 'root:x:0:\nnobody:x:65534:\n' > etc/group
chmod 1777 tmp

cd "$dir"
rm -f config.json
"$runtime" spec --bundle "$dir"
if [ $# -eq 0 ]; then
    set -- sh -c 'echo hello'
fi
args=$(python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@")
python3 "$here/edit-config.py" config.json process.terminal=false "process.args=$args"
echo "$dir"

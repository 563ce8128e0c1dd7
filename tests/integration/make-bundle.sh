#!/bin/sh
# make-bundle.sh DIR: a busybox-static bundle (DIR/rootfs + DIR/config.json from `hull spec`,
# made non-interactive). HULL_BIN names the runtime whose `spec` is used (default: built hull).
set -eu
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
runtime=${HULL_BIN:-$here/../../build/src/cli/hull}
busybox=$(command -v busybox || echo /bin/busybox)
mkdir -p "$dir/rootfs"
cd "$dir/rootfs"
mkdir -p bin etc proc sys dev tmp root usr/bin sbin
cp "$busybox" bin/busybox
for applet in $(bin/busybox --list); do
    [ -e "bin/$applet" ] || ln -s busybox "bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > etc/passwd
printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' > etc/group
chmod 1777 tmp
cd "$dir"
rm -f config.json
"$runtime" spec --bundle "$dir"
python3 "$here/edit-config.py" config.json process.terminal=false 'process.args=["sh","-c","echo hello from hull"]'
echo "$dir"

#!/bin/bash
# run-in-vm.sh [--] COMMAND [ARG...]
# Runs COMMAND as root in a throwaway QEMU guest whose only cgroup hierarchy is cgroup v2, mounted
# at /sys/fs/cgroup with every controller enabled in the root's cgroup.subtree_control. The host
# has to keep its own (hybrid) cgroup mounts, so the pure v2 lane lives in a VM.
#
# The guest runs a stock Debian kernel (apt-get download, cached, never installed), boots with
# qemu TCG (KVM is not usable on our machines), and sees the host's / read-only over 9p below a
# tmpfs overlay, so host binaries run unchanged and writes stay in guest RAM. The directories in
# HULL_VM_RW (default: the project checkout) are shared read-write at the same path. There is no
# network. The guest has a small scratch virtio disk (/dev/vda, HULL_VM_DISK_MB) for io.* tests.
# COMMAND runs in the guest's root cgroup, in $PWD, with stdin from /dev/null; its stdout and
# stderr come back on our stdout.
#
# Exit status: COMMAND's; 124 when HULL_VM_TIMEOUT expired; 125 when the VM did not produce a
# result (it could not be set up or did not boot; the reason and the console tail go to stderr).
#
# Environment: HULL_VM_CACHE (kernel cache, default ${TMPDIR:-/tmp}/hull-vm-cache),
# HULL_VM_TIMEOUT (seconds, default 600), HULL_VM_MEM (default 1G), HULL_VM_CPUS (default 2),
# HULL_VM_RW, HULL_VM_DISK_MB (default 16; 0 = no disk), HULL_VM_ENV (names of variables to pass),
# HULL_VM_KERNEL_PKG (default: what linux-image-amd64 depends on), HULL_VM_DEBUG=1 (console log),
# HULL_VM_INIT=systemd (the host's systemd boots as pid 1 and runs COMMAND as a service once the
# system bus is up; without it the guest has no init and systemd mounts nothing).
set -euo pipefail

fail() { echo "run-in-vm: $*" >&2; exit 125; }
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || fail "usage: run-in-vm.sh [--] COMMAND [ARG...]"
[ "$(id -u)" = 0 ] || fail "needs root (apt-get, and qemu exports / over 9p)"
project=$(cd "$(dirname "$0")/../.." && pwd)
cache=${HULL_VM_CACHE:-${TMPDIR:-/tmp}/hull-vm-cache}
read -r -a rw_dirs <<<"${HULL_VM_RW-$project}"

# Host tools, from apt (scripts/install-deps.sh installs them too).
missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
[ -e /usr/share/seabios/bios-256k.bin ] || missing+=(seabios)
{ [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || missing+=(busybox-static)
command -v modprobe >/dev/null || missing+=(kmod)
command -v xz >/dev/null || missing+=(xz-utils)
if [ "${HULL_VM_INIT:-}" = systemd ]; then
    [ -x /lib/systemd/systemd ] || missing+=(systemd)
    command -v dbus-daemon >/dev/null || missing+=(dbus)
fi
if [ ${#missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends \
        "${missing[@]}" >&2 || fail "apt-get install ${missing[*]} failed"
fi

# The kernel and the few modules the guest needs, cached per kernel package and module list. Only
# the modules are kept (the package unpacks to ~440 MB). Beyond the 9p root: what `criu check`
# needs (netfilter for the network lock, the *_diag sockets it dumps through, tun and veth).
modules="virtio_pci virtio_blk 9pnet_virtio 9p overlay nf_tables nft_ct nf_conntrack nf_conntrack_netlink nft_compat unix_diag inet_diag tcp_diag udp_diag netlink_diag af_packet_diag tun veth"
mkdir -p "$cache"
pkg=${HULL_VM_KERNEL_PKG:-}
if [ -z "$pkg" ] && [ -e "$cache/current/ready" ]; then
    pkg=$(readlink "$cache/current")
elif [ -z "$pkg" ]; then
    apt-get update -qq >&2 || true
    pkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -1)
    [ -n "$pkg" ] || fail "apt-cache found no kernel package that linux-image-amd64 depends on"
fi
kdir=$cache/$pkg.$(echo "$modules" | md5sum | cut -c1-8)
(
    flock 9
    [ -e "$kdir/ready" ] && exit 0
    tmp=$(mktemp -d "$cache/.new.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg") >&2 ||
        { echo "run-in-vm: apt-get download $pkg failed" >&2; exit 1; }
    dpkg -x "$tmp"/*.deb "$tmp/pkg"
    kver=$(ls "$tmp/pkg/lib/modules")
    depmod -b "$tmp/pkg" "$kver"
    mkdir "$tmp/out" "$tmp/out/modules"
    for m in $modules; do
        modprobe -d "$tmp/pkg" -S "$kver" --show-depends "$m"
    done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r ko; do
        cp "$ko" "$tmp/out/modules/" && basename "$ko" >>"$tmp/out/modules/order"
    done
    # An uncompressed ELF vmlinux boots through PVH: no firmware, no in-guest decompression (the
    # bzImage takes seconds longer under TCG). The bzImage is the fallback.
    image=$tmp/pkg/boot/vmlinuz-$kver
    offset=$(LC_ALL=C grep -obUaP -m1 '\xfd7zXZ\x00' "$image" | head -1 | cut -d: -f1) || true
    # (xz stops after the first stream: tail's SIGPIPE is expected, the ELF magic decides.)
    [ -z "$offset" ] || tail -c +$((offset + 1)) "$image" | xz -dc --single-stream >"$tmp/out/vmlinux" 2>/dev/null || true
    if [ -s "$tmp/out/vmlinux" ] && [ "$(head -c4 "$tmp/out/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
        ln -s vmlinux "$tmp/out/kernel"
    else
        rm -f "$tmp/out/vmlinux"
        cp "$image" "$tmp/out/vmlinuz" && ln -s vmlinuz "$tmp/out/kernel"
    fi
    echo "$kver" >"$tmp/out/kver"
    touch "$tmp/out/ready"
    rm -rf "$kdir" && mv "$tmp/out" "$kdir"
) 9>"$cache/.lock" || fail "could not prepare kernel $pkg"
[ -n "${HULL_VM_KERNEL_PKG:-}" ] || ln -sfn "$pkg" "$cache/current"

# Per-run directory: the initramfs, the control share (command, exit status) and the disk.
run=$(mktemp -d "${TMPDIR:-/tmp}/hull-vm.XXXXXX")
qemu_pid=
cleanup() {
    [ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null || true
    rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$run/ctl" "$run/initrd/bin" "$run/initrd/modules" "$run/initrd/proc" "$run/initrd/sys" "$run/initrd/dev"
cp /bin/busybox "$run/initrd/bin/busybox"
cp "$kdir/modules/"* "$run/initrd/modules/"

cat >"$run/initrd/init" <<'EOF'
#!/bin/busybox sh
# Stage 1 (pid 1 of the initramfs): root = host / (9p, read-only) under a tmpfs overlay, then
# cgroup2 with every controller, then switch_root. Stage 2 (pid 1 of the new root): the command.
# With HULL_VM_INIT=systemd, stage 2 is systemd, which starts the command as a service (run).
if [ "$1" = stage2 ] || [ "$1" = run ]; then
    bb=/run/hull-vm/busybox
    $bb stty -F /dev/ttyS1 raw -echo
    /bin/bash /run/hull-vm/ctl/command </dev/null >/dev/ttyS1 2>&1
    echo $? >/run/hull-vm/ctl/status
    $bb sync
    $bb poweroff -f
fi
/bin/busybox --install -s /bin
export PATH=/bin
set -e
trap 'echo "hull-vm init: failed at line $LINENO"; poweroff -f' EXIT
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules/order); do insmod /modules/$m; done
p9=trans=virtio,version=9p2000.L,msize=262144
mkdir -p /ctl /lower /mem /root
mount -t 9p -o $p9 hullctl /ctl
mount -t 9p -o $p9,ro,cache=loose hullroot /lower
mount -t tmpfs -o mode=755 mem /mem
mkdir /mem/upper /mem/work
mount -t overlay -o lowerdir=/lower,upperdir=/mem/upper,workdir=/mem/work root /root
r=/root
mount -t proc proc $r/proc
mount -t sysfs sysfs $r/sys
mount -t tmpfs -o mode=755,nosuid,nodev run $r/run
if [ -s /ctl/init ]; then
    # systemd mounts cgroup2 itself and enables the controllers it manages (as on a real host).
    mkdir -p $r/run/systemd/system
    cp -r /ctl/units/. $r/run/systemd/system/
else
    mount -t cgroup2 -o nsdelegate cgroup2 $r/sys/fs/cgroup
    for c in $(cat $r/sys/fs/cgroup/cgroup.controllers); do
        echo "+$c" >$r/sys/fs/cgroup/cgroup.subtree_control || echo "hull-vm: cannot enable the $c controller"
    done
fi
mount --move /dev $r/dev
mkdir -p $r/dev/pts $r/dev/shm $r/dev/mqueue
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $r/dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev shm $r/dev/shm
mount -t mqueue mqueue $r/dev/mqueue
i=0
while read -r dir; do
    mkdir -p "$r$dir" && mount -t 9p -o $p9,cache=mmap "hullrw$i" "$r$dir"
    i=$((i + 1))
done </ctl/rw
mkdir -p $r/run/hull-vm/ctl
cp /bin/busybox /init $r/run/hull-vm/
mount --move /ctl $r/run/hull-vm/ctl
hostname hull-vm
ip link set lo up
umount /proc /sys
trap - EXIT
[ ! -s $r/run/hull-vm/ctl/init ] || exec switch_root $r $(cat $r/run/hull-vm/ctl/init)
exec switch_root $r /run/hull-vm/busybox sh /run/hull-vm/init stage2
EOF
chmod 755 "$run/initrd/init"
(cd "$run/initrd" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$run/initrd.gz"

shares=(-fsdev "local,id=root,path=/,security_model=none,readonly=on,multidevs=remap"
    -device virtio-9p-pci,fsdev=root,mount_tag=hullroot
    -fsdev "local,id=ctl,path=${run//,/,,}/ctl,security_model=none"
    -device virtio-9p-pci,fsdev=ctl,mount_tag=hullctl)
: >"$run/ctl/rw"
i=0
for dir in "${rw_dirs[@]}"; do
    dir=$(realpath -e "$dir") || fail "HULL_VM_RW: no directory $dir"
    [ "$dir" != / ] || fail "HULL_VM_RW: / cannot be shared read-write"
    echo "$dir" >>"$run/ctl/rw"
    shares+=(-fsdev "local,id=rw$i,path=${dir//,/,,},security_model=none,multidevs=remap"
        -device "virtio-9p-pci,fsdev=rw$i,mount_tag=hullrw$i")
    i=$((i + 1))
done
disk=()
if [ "${HULL_VM_DISK_MB:-16}" -gt 0 ]; then
    truncate -s "${HULL_VM_DISK_MB:-16}M" "$run/disk.img"
    disk=(-drive "if=none,id=scratch,format=raw,file=$run/disk.img" -device virtio-blk-pci,drive=scratch)
fi
{
    printf 'cd -- %q || exit 125\n' "$PWD"
    for name in PATH HOME LANG ${HULL_VM_ENV:-}; do
        [ -z "${!name+set}" ] || printf 'export %s=%q\n' "$name" "${!name}"
    done
    printf 'exec'
    printf ' %q' "$@"
    printf '\n'
} >"$run/ctl/command"

if [ "${HULL_VM_INIT:-}" = systemd ]; then
    # systemd as pid 1, booting only what the command needs: the system bus (its units'
    # sysinit.target dependencies dropped) and the command as a service that powers off at its end.
    echo "/lib/systemd/systemd --unit=hull-vm.target" >"$run/ctl/init"
    mkdir -p "$run/ctl/units/dbus.socket.d" "$run/ctl/units/dbus.service.d"
    printf '[Unit]\nDefaultDependencies=no\n' >"$run/ctl/units/dbus.socket.d/hull-vm.conf"
    printf '[Unit]\nDefaultDependencies=no\n' >"$run/ctl/units/dbus.service.d/hull-vm.conf"
    cat >"$run/ctl/units/hull-vm.target" <<'EOF'
[Unit]
Description=hull VM: the command under systemd
Requires=hull-vm.service
After=hull-vm.service
EOF
    cat >"$run/ctl/units/hull-vm.service" <<'EOF'
[Unit]
Description=hull VM: the command
DefaultDependencies=no
Requires=dbus.service
After=dbus.service
[Service]
Type=simple
ExecStart=/run/hull-vm/busybox sh /run/hull-vm/init run
EOF
elif [ -n "${HULL_VM_INIT:-}" ]; then
    fail "HULL_VM_INIT: \"$HULL_VM_INIT\" is not an init this script knows (systemd)"
fi

# ttyS0: kernel console -> console.log; ttyS1: the command's output -> our stdout.
timeout -k 5 "${HULL_VM_TIMEOUT:-600}" qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot \
    -accel tcg -cpu max -m "${HULL_VM_MEM:-1G}" -smp "${HULL_VM_CPUS:-2}" \
    -kernel "$kdir/kernel" -initrd "$run/initrd.gz" \
    -append "console=ttyS0 panic=-1 ${HULL_VM_DEBUG:+ignore_loglevel} ${HULL_VM_DEBUG-quiet} cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1" \
    -serial "file:$run/console.log" -chardev stdio,id=out,signal=off -serial chardev:out \
    "${shares[@]}" "${disk[@]}" </dev/null &
qemu_pid=$!
qemu_status=0
wait "$qemu_pid" || qemu_status=$?
qemu_pid=

[ -z "${HULL_VM_DEBUG:-}" ] || cat "$run/console.log" >&2
[ ! -s "$run/ctl/status" ] || exit "$(cat "$run/ctl/status")"
if [ "$qemu_status" = 124 ]; then
    echo "run-in-vm: timed out after ${HULL_VM_TIMEOUT:-600} s; console tail:" >&2
    tail -20 "$run/console.log" >&2
    exit 124
fi
echo "run-in-vm: the VM ended without a result (qemu exit status $qemu_status); console tail:" >&2
tail -40 "$run/console.log" >&2
exit 125

#!/bin/sh
# Installs, with apt-get, what building and testing hull needs on Debian 12. Idempotent and quiet
# when everything is already there.
set -eu
packages="meson ninja-build g++ pkg-config nlohmann-json3-dev libcli11-dev libspdlog-dev libseccomp-dev
libcap-dev libgtest-dev googletest bats busybox-static python3 iproute2 util-linux clang libclang-rt-14-dev scdoc
containernetworking-plugins iptables runc crun time qemu-system-x86 seabios kmod xz-utils uidmap criu
containerd catatonit python3-grpcio python3-grpc-tools systemd dbus"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

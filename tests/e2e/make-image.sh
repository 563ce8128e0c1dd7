#!/bin/bash
# Writes an OCI image archive (for `ctr images import`) built from Debian packages, no registry:
#   tests/e2e/make-image.sh busybox NAME OUT.tar   busybox-static with its applets; Cmd sh
#   tests/e2e/make-image.sh pause NAME OUT.tar     catatonit (static) alone; Entrypoint
#                                                  /catatonit -P: a pod sandbox's pause process
# NAME is the full reference (docker.io/library/x:tag); the archive has one uncompressed layer.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 busybox|pause NAME OUT.tar" >&2; exit 2; }
kind=$1 name=$2 out=$3
work=$(mktemp -d /tmp/hull-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
mkdir -p "$rootfs"/{proc,sys,dev,tmp,etc} "$work/layout/blobs/sha256"
chmod 1777 "$rootfs/tmp"
case $kind in
    busybox)
        busybox=$(command -v busybox) || { echo "$0: busybox is not installed (busybox-static)" >&2; exit 1; }
        mkdir -p "$rootfs"/{bin,root}
        cp "$busybox" "$rootfs/bin/busybox"
        for applet in $("$rootfs/bin/busybox" --list); do
            [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
        done
        printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
            >"$rootfs/etc/passwd"
        printf 'root:x:0:\nnobody:x:65534:\n' >"$rootfs/etc/group"
        image_config='{"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                       "Cmd": ["sh"], "WorkingDir": "/"}'
        ;;
    pause)
        catatonit=/usr/bin/catatonit
        [ -x "$catatonit" ] || { echo "$0: $catatonit is missing (apt package catatonit)" >&2; exit 1; }
        # Debian builds it static; a dynamic one would need its libraries in the image.
        if ldd "$catatonit" >/dev/null 2>&1; then
            echo "$0: $catatonit is dynamically linked; the pause image needs a static one" >&2
            exit 1
        fi
        cp "$catatonit" "$rootfs/catatonit"
        image_config='{"Entrypoint": ["/catatonit", "-P"], "WorkingDir": "/", "User": "0:0"}'
        ;;
    *)
        echo "$0: unknown image kind \"$kind\" (busybox or pause)" >&2
        exit 2
        ;;
esac
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$rootfs" -cf "$work/layer.tar" .
python3 - "$work/layer.tar" "$work/layout" "$name" "$image_config" "$kind" <<'EOF'
import hashlib, json, os, sys
layer, layout, name, image_config, kind = sys.argv[1:]
blobs = os.path.join(layout, "blobs", "sha256")
def put(data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest, len(data)
with open(layer, "rb") as f:
    layer_digest, layer_size = put(f.read())
config = {"architecture": "amd64", "os": "linux", "config": json.loads(image_config),
          "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
          "history": [{"created_by": "hull tests/e2e/make-image.sh " + kind}]}
config_digest, config_size = put(json.dumps(config).encode())
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": config_digest, "size": config_size},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": layer_digest, "size": layer_size}]}
manifest_digest, manifest_size = put(json.dumps(manifest).encode())
index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
         "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": manifest_digest, "size": manifest_size,
                        "platform": {"architecture": "amd64", "os": "linux"},
                        "annotations": {"io.containerd.image.name": name,
                                        "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1]}}]}
with open(os.path.join(layout, "index.json"), "w") as f:
    json.dump(index, f)
with open(os.path.join(layout, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
EOF
tar -C "$work/layout" -cf "$out" oci-layout index.json blobs

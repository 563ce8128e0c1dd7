#!/usr/bin/env bats
# contrib/kubernetes and contrib/containerd agree and containerd 1.6 accepts them: the
# RuntimeClass's handler is a runtime the containerd config registers, of type
# io.containerd.runc.v2, with hull as its BinaryName (read back from `containerd config dump`,
# which parses the file as the daemon does, without starting one).
#   bats tests/e2e/kubernetes-contrib.bats
# e2e-packages: containerd
# e2e-views: host

setup() {
    command -v containerd >/dev/null || { echo "containerd is not installed (scripts/install-deps.sh)" >&2; return 1; }
    CONTRIB="$BATS_TEST_DIRNAME/../../contrib"
    WORK=$(mktemp -d /tmp/hull-k8s-contrib.XXXXXX)
}

teardown() {
    rm -rf "$WORK"
}

@test "RuntimeClass handler is the containerd runtime hull (runc v2 shim, BinaryName hull)" {
    local handler name
    handler=$(sed -n 's/^handler:[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$CONTRIB/kubernetes/runtimeclass.yaml")
    name=$(sed -n 's/^  name:[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$CONTRIB/kubernetes/runtimeclass.yaml")
    [ "$handler" = hull ]
    [ "$name" = hull ]
    grep -qx 'apiVersion: node.k8s.io/v1' "$CONTRIB/kubernetes/runtimeclass.yaml"
    grep -qx 'kind: RuntimeClass' "$CONTRIB/kubernetes/runtimeclass.yaml"

    cp "$CONTRIB/containerd/config.toml" "$WORK/config.toml"
    run timeout 60 containerd --config "$WORK/config.toml" config dump
    [ "$status" -eq 0 ] || { echo "$output" >&2; false; }
    # the runtime table named by the handler, up to the next table header that is not its options
    local section
    section=$(awk -v h="$handler" '
        $0 ~ "runtimes\\." h "\\]" { on = 1; next }
        on && /^[[:space:]]*\[/ && $0 !~ "runtimes\\." h "\\.options\\]" { exit }
        on { print }' <<<"$output")
    echo "$section"
    grep -q 'runtime_type = "io.containerd.runc.v2"' <<<"$section"
    grep -Eq 'BinaryName = ".*/hull"' <<<"$section"
}

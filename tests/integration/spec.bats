#!/usr/bin/env bats
# `spec` and `features`.
load helpers

@test "spec writes a valid config.json into --bundle and refuses to overwrite it" {
    mkdir "$TEST_DIR/s"
    rt spec --bundle "$TEST_DIR/s"
    python3 -c "
import json
c = json.load(open('$TEST_DIR/s/config.json'))
assert c['ociVersion'].startswith('1.'), c['ociVersion']
assert c['root']['path'] == 'rootfs', c['root']
assert c['process']['args'] and c['process']['cwd'] == '/', c['process']
types = [n['type'] for n in c['linux']['namespaces']]
assert {'pid', 'mount', 'ipc', 'uts', 'network'} <= set(types), types
assert any(m['destination'] == '/proc' and m['type'] == 'proc' for m in c['mounts'])"
    echo keep > "$TEST_DIR/s/config.json"
    run rt spec --bundle "$TEST_DIR/s"
    assert_failed 'config\.json|exists'
    [ "$(cat "$TEST_DIR/s/config.json")" = keep ]
}

@test "spec without --bundle writes into the current directory" {
    mkdir "$TEST_DIR/cwd"
    cd "$TEST_DIR/cwd"
    rt spec
    python3 -c "import json; json.load(open('config.json'))"
}

@test "spec --rootless has a user namespace with mappings and no network namespace" {
    mkdir "$TEST_DIR/r"
    rt spec --rootless --bundle "$TEST_DIR/r"
    python3 -c "
import json
c = json.load(open('$TEST_DIR/r/config.json'))
types = [n['type'] for n in c['linux']['namespaces']]
assert 'user' in types and 'network' not in types, types
assert c['linux']['uidMappings'][0]['containerID'] == 0 and c['linux']['uidMappings'][0]['size'] >= 1
assert c['linux']['gidMappings'][0]['containerID'] == 0"
}

@test "the spec output runs as is once made non-terminal" {
    rt run --bundle "$BUNDLE" "$ID" >"$TEST_DIR/out"
    [ "$(cat "$TEST_DIR/out")" = hello ]
}

@test "features is valid JSON with versions, hooks, mount options and namespaces" {
    run --separate-stderr rt features
    [ "$status" -eq 0 ]
    python3 -c "
import json, sys
f = json.loads(sys.argv[1])
assert f['ociVersionMin'].startswith('1.') and f['ociVersionMax'].startswith('1.'), f
assert set(f['hooks']) == {'prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'}, f['hooks']
assert {'bind', 'rbind', 'ro', 'nosuid', 'nodev', 'noexec'} <= set(f['mountOptions']), f['mountOptions']
assert {'pid', 'mount', 'network', 'ipc', 'uts', 'user', 'cgroup'} <= set(f['linux']['namespaces']), f['linux']['namespaces']
assert 'CAP_SYS_ADMIN' in f['linux']['capabilities']" "$output"
}

@test "features lists exactly the mount options hull applies, and its unsafe annotations" {
    run --separate-stderr rt features
    [ "$status" -eq 0 ]
    python3 -c "
import json, sys
f = json.loads(sys.argv[1])
opts = set(f['mountOptions'])
assert {'iversion', 'noiversion', 'symfollow', 'rsymfollow', 'rnostrictatime', 'rrelatime', 'tmpcopyup'} <= opts, opts
assert 'remount' not in opts, opts
assert f['potentiallyUnsafeConfigAnnotations'] == ['run.oci.hull.overlay', 'run.oci.hull.overlay.upperdir'], f
assert f['linux']['intelRdt']['enabled'] and f['linux']['memoryPolicy']['enabled'], f['linux']" "$output"
    # Each listed option is applied: a tmpfs and a bind take every per-mount one.
    config 'mounts+={"destination":"/t","type":"tmpfs","source":"tmpfs","options":["nosuid","noiversion","symfollow","strictatime","nodiratime","lazytime"]}' \
        'mounts+={"destination":"/b","type":"bind","source":"/tmp","options":["rbind","ro","rnostrictatime","rsymfollow","relatime"]}' \
        'process.args=["grep","-E"," /(t|b) ","/proc/self/mountinfo"]'
    run rt run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ]
    grep -E ' /t .*nosuid.*nodiratime' <<<"$output"
    grep -E ' /b ro,.*relatime' <<<"$output"
    ! grep -E ' /b .*strictatime' <<<"$output"
}

# spec_differs_from_runc [--rootless]: the differences between this runtime's `spec` and runc
# 1.1.5's (fixtures/runc-1.1.5-spec*.json), as JSON path: runc's value | ours, one per line; the
# README's deliberate differences (ociVersion, hostname, capabilities.ambient) left out.
spec_differs_from_runc() {
    local suffix=""
    [ "${1:-}" = --rootless ] && suffix=-rootless
    mkdir -p "$TEST_DIR/spec$suffix"
    rt spec "$@" --bundle "$TEST_DIR/spec$suffix"
    python3 - "$HERE/fixtures/runc-1.1.5-spec$suffix.json" "$TEST_DIR/spec$suffix/config.json" <<'PY'
import json, sys
def flat(value, path=""):
    if isinstance(value, dict):
        for key, item in value.items(): yield from flat(item, path + "/" + key)
    elif isinstance(value, list):
        for index, item in enumerate(value): yield from flat(item, path + "/" + str(index))
    else:
        yield path, value
deliberate = ("/ociVersion", "/hostname", "/process/capabilities/ambient")
runc, ours = (dict(flat(json.load(open(f)))) for f in sys.argv[1:])
for path in sorted(set(runc) | set(ours)):
    if path.startswith(deliberate): continue
    if runc.get(path, "<none>") != ours.get(path, "<none>"):
        print(path, runc.get(path, "<none>"), "|", ours.get(path, "<none>"))
PY
}

@test "spec gives runc's default config: namespaces (no cgroup namespace), mounts, capabilities, masked and read-only paths, rlimits, terminal" {
    run spec_differs_from_runc
    [ "$status" -eq 0 ]
    if [ -n "$output" ]; then echo "differs from runc spec (runc | ours):"; echo "$output"; return 1; fi
    run spec_differs_from_runc --rootless
    [ "$status" -eq 0 ]
    if [ -n "$output" ]; then echo "differs from runc spec --rootless (runc | ours):"; echo "$output"; return 1; fi
}

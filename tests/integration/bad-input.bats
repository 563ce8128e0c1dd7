#!/usr/bin/env bats
# Malformed and hostile configs and invocations. Each case: the command fails (non-zero), prints
# exactly ONE line on stderr (nothing on stdout) that names the field or path and the reason, and
# leaves nothing behind: no state dir, no cgroup, no mount under the test dir, no process.
# One line per case:
#   bad_config REGEX EDIT...   `create` of the bundle with config.json edited (edit-config.py)
#   bad_create REGEX ARGS...   `create ARGS... $ID` of the unmodified bundle
#   bad_cmd REGEX ARGS...      `hull --root $ROOT ARGS...`
load helpers

# check_one_line REGEX: the last `run --separate-stderr` failed with one stderr line matching REGEX.
check_one_line() {
    if [ "$status" -eq 0 ]; then
        echo "expected a failure, got exit 0; stdout: $output; stderr: $stderr"
        return 1
    fi
    if [ -n "$output" ]; then
        echo "exit $status; stdout is not empty: $output"
        return 1
    fi
    if [ "$(grep -c . <<<"$stderr")" -ne 1 ]; then
        echo "exit $status; expected one line on stderr, got:"
        echo "$stderr"
        return 1
    fi
    if ! grep -qiE -- "$1" <<<"$stderr"; then
        echo "exit $status; the message does not match /$1/: $stderr"
        return 1
    fi
}

# assert_clean: nothing of this test is left: state, cgroup, mounts, processes.
assert_clean() {
    assert_nothing_left "$ID"
    assert_root_empty
    if grep -qF "$TEST_DIR" /proc/self/mountinfo; then
        echo "mounts left:"
        grep -F "$TEST_DIR" /proc/self/mountinfo
        return 1
    fi
    local pids
    pids=$(pgrep -f -- "$TEST_DIR" || true)
    if [ -n "$pids" ]; then
        echo "processes left:"
        ps -o pid,args -p "${pids//$'\n'/,}" || true
        return 1
    fi
}

bad_cmd() {
    local regex=$1
    shift
    run --separate-stderr rt "$@"
    check_one_line "$regex"
    assert_clean
}

# BAD_ID, when set, is the id passed instead of $ID (which the leftover checks still use).
bad_create() {
    local regex=$1
    shift
    bad_cmd "$regex" create --bundle "$BUNDLE" "$@" "${BAD_ID-$ID}"
}

bad_config() {
    local regex=$1
    shift
    config "$@"
    bad_create "$regex"
}

# bad_json REGEX TEXT: config.json is replaced by TEXT.
bad_json() {
    printf '%s' "$2" > "$BUNDLE/config.json"
    bad_create "$1"
}

# --- the document itself
@test "config.json is not JSON" { bad_json 'config.json.*(parse|json)' '{"ociVersion": '; }
@test "config.json is empty" { bad_json 'config.json' ''; }
@test "config.json is a JSON array" { bad_json 'config.json.*object' '[1,2,3]'; }
@test "config.json nests a million arrays" { bad_json 'config.json' "$(head -c 1000000 /dev/zero | tr '\0' '[')"; }
@test "config.json is missing" { rm "$BUNDLE/config.json"; bad_create 'config.json.*no such file'; }
@test "config.json is a directory" { rm "$BUNDLE/config.json"; mkdir "$BUNDLE/config.json"; bad_create 'config.json.*directory'; }
@test "ociVersion is missing" { bad_config 'ociVersion.*(required|missing)' -ociVersion; }
@test "ociVersion is garbage" { bad_config 'ociVersion: "banana" is not a version' 'ociVersion="banana"'; }
@test "ociVersion of a major hull does not know" { bad_config 'ociVersion: version 2\.0\.0 is not supported' 'ociVersion="2.0.0"'; }
@test "config.json is larger than 4 MiB" {
    python3 -c 'import json; print(json.dumps({"ociVersion": "1.3.0", "annotations": {"a": "x" * (5 << 20)}}))' > "$BUNDLE/config.json"
    bad_create 'config.json.*larger than the 4194304 bytes'
}
@test "config.json of 50 MB nested arrays fails fast in bounded memory" {
    head -c 50000000 /dev/zero | tr '\0' '[' > "$BUNDLE/config.json"
    # 64 MiB of address space beyond what hull maps before reading (about 20 MiB here) would fail
    # an unbounded parser with bad_alloc; the limits fail it first.
    ( ulimit -v 98304; run --separate-stderr rt create --bundle "$BUNDLE" "$ID"; check_one_line 'config.json.*larger than' )
    assert_clean
}
@test "config.json nests 100 levels deep" {
    python3 -c 'print("{\"ociVersion\": \"1.3.0\", \"annotations\": " + "[" * 100 + "]" * 100 + "}")' > "$BUNDLE/config.json"
    bad_create 'config.json.*nested deeper than 64 levels'
}

# --- wrong types and absurd numbers
@test "process.args is a string" { bad_config 'process\.args.*array' 'process.args="sh"'; }
@test "process.args is empty" { bad_config 'process\.args.*at least one' 'process.args=[]'; }
@test "process.commandLine without args" { bad_config '^[^_]*process\.args: at least one argument is required \(process\.commandLine is for Windows only\)' -process.args 'process.commandLine="sh -c true"'; }
@test "process.execCPUAffinity names a CPU the host lacks" { bad_config 'execCPUAffinity\.final "0,4095": 4095 does not exist' 'process.execCPUAffinity={"final":"0,4095"}'; }
@test "process.execCPUAffinity is not a CPU list" { bad_config 'execCPUAffinity\.initial "x"' 'process.execCPUAffinity={"initial":"x"}'; }
@test "process.user.uid is a string" { bad_config 'process\.user\.uid.*(integer|number)' 'process.user.uid="root"'; }
@test "process.user.uid is negative" { bad_config 'process\.user\.uid' 'process.user.uid=-1'; }
@test "process.user.uid does not fit 32 bits" { bad_config 'process\.user\.uid' 'process.user.uid=4294967296'; }
@test "process.user.uid is a float" { bad_config 'process\.user\.uid' 'process.user.uid=1.5'; }
@test "process.terminal is a string" { bad_config 'process\.terminal.*bool' 'process.terminal="yes"'; }
@test "process.oomScoreAdj is out of range" { bad_config 'oomScoreAdj.*-1000' 'process.oomScoreAdj=5000'; }
@test "process.cwd is relative" { bad_config 'process\.cwd.*absolute' 'process.cwd="tmp"'; }
@test "process.env is an object" { bad_config 'process\.env.*array' 'process.env={"A":"1"}'; }
@test "annotations hold a number" { bad_config 'annotations.*string' 'annotations={"a":1}'; }
@test "process.user.additionalGids has 70000 groups" {
    bad_config 'additionalGids.*setgroups' '@c["process"]["user"]["additionalGids"] = list(range(70000))'
}
@test "linux.resources.memory.limit is a string" { bad_config 'memory\.limit.*integer' 'linux.resources.memory.limit="1g"'; }
@test "linux.resources.memory.swappiness is 200" { bad_config 'swappiness.*100' 'linux.resources.memory.swappiness=200'; }
@test "blockIO leafWeight where the v1 blkio controller has no leaf weights (no BFQ/CFQ)" {
    [ -d /sys/fs/cgroup/blkio ] && [ ! -e /sys/fs/cgroup/blkio/blkio.leaf_weight_device ] || skip "this host's blkio has leaf weights, or no v1 blkio"
    bad_config 'blkio\.leaf_weight_device: No such file' 'linux.resources.blockIO={"weightDevice":[{"major":8,"minor":0,"leafWeight":300}]}'
}
@test "hostname longer than the kernel allows" { bad_config 'hostname' "hostname=\"$(head -c 300 /dev/zero | tr '\0' h)\""; }

# --- duplicates, unknown names
@test "duplicate namespace type" { bad_config 'namespaces.*duplicate namespace "pid"' 'linux.namespaces+={"type":"pid"}'; }
@test "unknown namespace type" { bad_config 'namespaces.*"foo"' 'linux.namespaces+={"type":"foo"}'; }
@test "no mount namespace with root.readonly" { bad_config "root\.readonly: needs a mount namespace of the container's own" '@c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "mount"]' root.readonly=true; }
@test "no mount namespace with rootfsPropagation" { bad_config 'linux\.rootfsPropagation: needs a mount namespace' '@c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "mount"]' 'linux.rootfsPropagation="private"'; }
@test "namespace path does not exist" { bad_config 'namespaces.*/nonexistent/ns.*no such file' '@c["linux"]["namespaces"][1]["path"] = "/nonexistent/ns"'; }
@test "namespace path is not a namespace" { bad_config 'namespaces.*/etc/hostname' '@c["linux"]["namespaces"][1]["path"] = "/etc/hostname"'; }
@test "duplicate rlimit" { bad_config 'rlimits.*duplicate' 'process.rlimits=[{"type":"RLIMIT_NOFILE","soft":10,"hard":10},{"type":"RLIMIT_NOFILE","soft":5,"hard":5}]'; }
@test "unknown rlimit type" { bad_config 'rlimits.*RLIMIT_FOO' 'process.rlimits=[{"type":"RLIMIT_FOO","soft":1,"hard":1}]'; }
@test "rlimit soft > hard" { bad_config 'rlimits.*soft limit 20 is greater than hard limit 10' 'process.rlimits=[{"type":"RLIMIT_NOFILE","soft":20,"hard":10}]'; }
@test "rlimit above the host's hard limit" { bad_config 'RLIMIT_NOFILE' 'process.rlimits=[{"type":"RLIMIT_NOFILE","soft":18446744073709551615,"hard":18446744073709551615}]'; }
@test "malformed capability name" { bad_config 'capabilities\.bounding.*"chown"' 'process.capabilities.bounding=["chown"]'; }
@test "unknown seccomp action" { bad_config 'seccomp.*SCMP_ACT_FOO' 'linux.seccomp={"defaultAction":"SCMP_ACT_FOO"}'; }
@test "unknown seccomp architecture" { bad_config 'seccomp.*SCMP_ARCH_PDP11' 'linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_PDP11"]}'; }
@test "seccomp notify without listenerPath" { bad_config 'listenerPath' 'linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}]}'; }
@test "rootfsPropagation is unknown" { bad_config 'rootfsPropagation.*sideways' 'linux.rootfsPropagation="sideways"'; }
@test "personality domain is unknown" { bad_config 'personality.*LINUX99' 'linux.personality={"domain":"LINUX99"}'; }
@test "personality flags (none is defined)" { bad_config 'linux\.personality\.flags: "FOO" is not supported' 'linux.personality={"domain":"LINUX","flags":["FOO"]}'; }
@test "memoryPolicy on a NUMA node the host lacks" { bad_config 'linux\.memoryPolicy\.nodes "7": node 7 is not an online NUMA node' 'linux.memoryPolicy={"mode":"MPOL_BIND","nodes":"7"}'; }
@test "memoryPolicy with an unknown flag" { bad_config 'linux\.memoryPolicy\.flags\[0\]: unknown flag "MPOL_F_FOO"' 'linux.memoryPolicy={"mode":"MPOL_BIND","nodes":"0","flags":["MPOL_F_FOO"]}'; }
@test "memoryPolicy MPOL_DEFAULT with nodes" { bad_config 'linux\.memoryPolicy\.nodes: MPOL_DEFAULT takes no nodes' 'linux.memoryPolicy={"mode":"MPOL_DEFAULT","nodes":"0"}'; }
@test "netDevices names an interface the host lacks" { bad_config 'linux\.netDevices\["nosuchdev0"\]: no such network interface' 'linux.netDevices={"nosuchdev0":{"name":"eth1"}}'; }
@test "intelRdt without a mounted resctrl" {
    ! grep -q ' - resctrl ' /proc/self/mountinfo || skip "this host has resctrl mounted"
    bad_config 'linux\.intelRdt: no resctrl filesystem is mounted' 'linux.intelRdt={"l3CacheSchema":"L3:0=f"}'
}
@test "sysctl that is not namespaced" { bad_config 'sysctl.*kernel\.panic' 'linux.sysctl={"kernel.panic":"1"}'; }
@test "device with an unknown type" { bad_config 'devices.*"x"' 'linux.devices=[{"path":"/dev/foo","type":"x","major":1,"minor":3}]'; }

# --- paths
@test "root.path does not exist" { bad_config 'root\.path.*no such file' 'root.path="nosuchdir"'; }
@test "root.path is a file" { touch "$BUNDLE/afile"; bad_config 'root\.path.*not a directory' 'root.path="afile"'; }
@test "root is missing" { bad_config '\broot\b.*required' -root; }
@test "mount destination is relative" { bad_config 'mounts.*destination.*absolute' 'mounts+={"destination":"tmp/x","type":"tmpfs","source":"tmpfs"}'; }
@test "bind mount source does not exist" { bad_config 'mounts\[7\].*/nonexistent/src.*no such file' 'mounts+={"destination":"/mnt","type":"bind","source":"/nonexistent/src","options":["bind"]}'; }
@test "mount of an unknown filesystem type" { bad_config 'mounts\[7\].*(no such device|unknown filesystem)' 'mounts+={"destination":"/mnt","type":"nosuchfs","source":"x"}'; }
@test "bind mount with an unknown option" { bad_config 'mounts\[7\]\.options: "rdonly" is not a mount option hull knows \(a bind mount' 'mounts+={"destination":"/mnt","type":"bind","source":"/tmp","options":["rbind","rdonly"]}'; }
@test "bind mount with a superblock flag" { bad_config 'mounts\[7\]\.options: "sync" is a filesystem \(superblock\) flag' 'mounts+={"destination":"/mnt","type":"bind","source":"/tmp","options":["rbind","sync"]}'; }
@test "tmpfs with an option tmpfs does not know" { bad_config 'mounts\[7\].*tmpfs refused the options "bogusopt".*invalid argument' 'mounts+={"destination":"/mnt","type":"tmpfs","source":"tmpfs","options":["nosuid","bogusopt"]}'; }
@test "cgroup mount with an option" { bad_config 'mounts\[7\]\.options: "memory" is not a mount option hull knows' 'mounts+={"destination":"/mnt","type":"cgroup","source":"cgroup","options":["memory"]}'; }
@test "mount gidMappings without uidMappings" { bad_config 'mounts\[7\]\.uidMappings: uidMappings and gidMappings go together' 'mounts+={"destination":"/mnt","type":"bind","source":"/tmp","options":["rbind"],"gidMappings":[{"containerID":0,"hostID":1000,"size":1}]}'; }
@test "mount with a bad option" { bad_config 'mounts\[7\].*invalid argument' 'mounts+={"destination":"/mnt","type":"tmpfs","source":"tmpfs","options":["nosuchoption=1"]}'; }
@test "maskedPaths entry is relative" { bad_config 'maskedPaths.*absolute' 'linux.maskedPaths+="proc/kcore"'; }
@test "cgroupsPath with .." { bad_config 'cgroupsPath.*\.\.' "linux.cgroupsPath=\"/$CGROUP_PARENT/../../escape\""; }
@test "uidMappings without a user namespace" { bad_config 'uidMappings.*user namespace' 'linux.uidMappings=[{"containerID":0,"hostID":100000,"size":65536}]' 'linux.gidMappings=[{"containerID":0,"hostID":100000,"size":65536}]'; }
@test "overlapping uid mappings" {
    bad_config 'uid_map|uidMappings' 'linux.namespaces+={"type":"user"}' 'linux.uidMappings=[{"containerID":0,"hostID":100000,"size":10},{"containerID":5,"hostID":200000,"size":10}]' 'linux.gidMappings=[{"containerID":0,"hostID":100000,"size":65536}]'
}
@test "hook path is relative" { bad_config 'hooks\.createRuntime.*absolute' 'hooks.createRuntime=[{"path":"true"}]'; }
@test "createRuntime hook does not exist" { bad_config 'createRuntime.*/nonexistent/hook' 'hooks.createRuntime=[{"path":"/nonexistent/hook"}]'; }
@test "prestart hook fails" { bad_config 'prestart.*/bin/false.*(exit|status)' 'hooks.prestart=[{"path":"/bin/false"}]'; }
@test "process.args[0] is not in the rootfs" { bad_config 'nosuchbinary.*not found' 'process.args=["nosuchbinary"]'; }

# --- ids and invocations
@test "id with a slash" { BAD_ID=a/b; bad_create 'container id "a/b"'; }
@test "id ..: the state root's parent" { BAD_ID=..; bad_create 'container id "\.\."'; }
@test "id is empty" { BAD_ID=; bad_create 'container id.*empty'; }
@test "id is 300 characters" { BAD_ID=$(head -c 300 /dev/zero | tr '\0' a); bad_create 'container id.*255'; }
@test "id already exists" {
    rt create --bundle "$BUNDLE" "$ID"
    run --separate-stderr rt create --bundle "$BUNDLE" "$ID"
    check_one_line "container with given ID already exists: $ID"  # runc's words, then the id
    [ "$(state_field "$ID" status)" = created ]
    rt delete --force "$ID"
    assert_clean
}
@test "--bundle does not exist" { bad_cmd "bundle $TEST_DIR/nobundle.*no such file" create --bundle "$TEST_DIR/nobundle" "$ID"; }
@test "--bundle has no rootfs" { rm -rf "$BUNDLE/rootfs"; bad_create "root\.path $BUNDLE/rootfs.*no such file"; }
@test "--pid-file in a missing directory fails after setup and undoes it" { bad_create 'pid-file.*/nonexistent/dir' --pid-file /nonexistent/dir/pid; }
@test "--console-socket is not a socket" { touch "$TEST_DIR/notsock"; config process.terminal=true; bad_create 'console-socket.*notsock' --console-socket "$TEST_DIR/notsock"; }
@test "terminal without --console-socket" { bad_config 'console-socket' 'process.terminal=true'; }
@test "--preserve-fds names fds that are not open" { bad_create 'preserve-fds.*not open' --preserve-fds 40; }
@test "--preserve-fds is not a number" { bad_create 'preserve-fds' --preserve-fds abc; }
@test "--log-format xml" { bad_cmd 'log-format.*xml' --log-format xml state "$ID"; }
@test "unknown verb" { bad_cmd 'frobnicate' frobnicate "$ID"; }
@test "unknown flag" { bad_create 'no-such-flag' --no-such-flag; }
@test "kill with a bad signal name" { bad_cmd 'signal "SIGFOO"' kill "$ID" SIGFOO; }
@test "kill with signal 99 or -1" { bad_cmd 'signal "99"' kill "$ID" 99; bad_cmd 'signal "-1"' kill "$ID" -- -1; }
@test "kill of a container that does not exist" { bad_cmd "\"$ID\" does not exist" kill "$ID" KILL; }
@test "start, delete and exec of a container that does not exist" {
    bad_cmd "\"$ID\" does not exist" start "$ID"
    bad_cmd "\"$ID\" does not exist" delete "$ID"
    bad_cmd "\"$ID\" does not exist" exec "$ID" true
}
@test "--root is a file" {
    touch "$TEST_DIR/rootfile"
    run --separate-stderr "$RUNTIME" --root "$TEST_DIR/rootfile" create --bundle "$BUNDLE" "$ID"
    check_one_line 'rootfile.*not a directory'
    assert_clean
}

#!/bin/sh
# Spawn benchmark: org.freedesktop.portal.Flatpak.Spawn(["true"]) from inside
# a sandbox of the demo app, burrow-flatpak-portal vs Debian's flatpak-portal,
# same app (same repository), same client, same run. Per call: call → reply
# and call → SpawnExited, in milliseconds; plain and with flag SANDBOX (4).
#
#   bench/spawn.sh [CALLS]      (default 20 calls per measurement, after 2 warm-up calls)
#
# burrow is built as scripts/setup.sh installs it, the Swift runtime static
# (SWIFT_BUILD_FLAGS replaces --static-swift-stdlib, e.g. SWIFT_BUILD_FLAGS=
# for the shared runtime).
#
# Both portals identify their caller through /proc/PID/root/.flatpak-info,
# so the caller (bench/spawn-client.c, compiled here against sd-bus) runs in
# a bwrap sandbox with the /.flatpak-info that each launcher itself writes
# for org.example.Hello, bound read-only with --ro-bind-data, as launchers do.
# Each implementation has its own private session bus, HOME, XDG_RUNTIME_DIR
# and installation under a temporary directory; nothing of the user's own
# session or installations is touched.
set -eu
calls=${1:-20}
[ "$calls" -ge 2 ] 2>/dev/null || { echo "usage: bench/spawn.sh [CALLS >= 2]" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
upstream=/usr/libexec/flatpak-portal
for tool in bwrap flatpak gcc pkg-config python3; do
    command -v $tool >/dev/null || { echo "bench: $tool missing" >&2; exit 1; }
done
[ -x "$upstream" ] || { echo "bench: $upstream missing (apt-get install flatpak)" >&2; exit 1; }
pkg-config --exists libsystemd || { echo "bench: libsystemd-dev missing" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "bench: hyperfine missing (apt-get install hyperfine)" >&2; exit 1; }

work=$(mktemp -d /tmp/burrow-bench-spawn.XXXXXX)
chmod 755 "$work"
# Every process we start directly; each runs in a session of its own
# (setsid), so what it starts in turn — activated services, launchers,
# sandboxes — is found through its process group or, for what left that
# group (bwrap --new-session, setsid), through the process tree.
pids=""
descendants() {
    ps -eo pid=,ppid= | awk -v roots="$*" '
        BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }
        { parent[$1] = $2 }
        END { do { added = 0; for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; added = 1 } } while (added)
              for (p in keep) print p }'
}
cleanup() {
    status=$?
    trap - EXIT INT TERM
    if [ -n "$pids" ]; then
        tree=$(descendants $pids)
        for pid in $pids; do kill -TERM -- "-$pid" 2>/dev/null || true; done
        for pid in $tree; do kill -TERM "$pid" 2>/dev/null || true; done
        sleep 0.5
        for pid in $pids; do kill -KILL -- "-$pid" 2>/dev/null || true; done
        for pid in $tree; do kill -KILL "$pid" 2>/dev/null || true; done
    fi
    # What re-parented itself to init in a session of its own (flatpak's
    # p11-kit server) is found by the temporary directory, unique to this
    # run, on its command line.
    for proc in /proc/[0-9]*; do
        case $(tr '\0' ' ' 2>/dev/null <"$proc/cmdline") in
            *"$work/"*) kill -KILL "${proc#/proc/}" 2>/dev/null || true ;;
        esac
    done
    # FUSE mounts of activated document portals, deepest first.
    awk -v w="$work" 'index($2, w "/") == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r mount; do
        fusermount3 -u -z "$mount" 2>/dev/null || umount -l "$mount" 2>/dev/null || true
    done
    rm -rf --one-file-system "$work"
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Built one product at a time (as the other bench scripts do); the log is
# shown only if the build fails.
for product in burrow-flatpak-portal burrow burrow-cli; do
    swift build -c release ${SWIFT_BUILD_FLAGS---static-swift-stdlib} --product $product >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
done
bin=$(swift build -c release ${SWIFT_BUILD_FLAGS---static-swift-stdlib} --show-bin-path)

# The caller: a small sd-bus program, run inside the app's sandbox.
gcc -O2 -Wall -o "$work/spawn-client" bench/spawn-client.c $(pkg-config --cflags --libs libsystemd)

# The demo app and its runtime, one repository for both launchers.
examples/hello/make-build-dirs.sh "$work/build" stable >/dev/null
"$bin/burrow" build-export --runtime "$work/repo" "$work/build/runtime" stable >/dev/null
"$bin/burrow" build-export "$work/repo" "$work/build/app" stable >/dev/null

# prepare NAME: HOME, XDG_RUNTIME_DIR (0700) and a private session bus for
# one implementation; its address lands in $work/NAME/bus.addr. The bus
# directory holds only the socket: it is what the caller's sandbox sees.
prepare() {
    mkdir -p "$work/$1/home" "$work/$1/run" "$work/$1/bus"
    chmod 700 "$work/$1/run"
    # A tmpfs, as /run/user/UID is (see bench/launch.sh); as root only.
    mount -t tmpfs -o mode=0700 burrow-bench-run "$work/$1/run" 2>/dev/null || true
    HOME="$work/$1/home" XDG_RUNTIME_DIR="$work/$1/run" \
        setsid dbus-daemon --session --nofork --print-address=1 --address="unix:path=$work/$1/bus/bus" \
        >"$work/$1/bus.addr" 2>"$work/$1/bus.log" &
    pids="$pids $!"
    while [ ! -s "$work/$1/bus.addr" ]; do sleep 0.01; done
}

# as NAME COMMAND...: runs COMMAND in NAME's environment only.
as() {
    name=$1; shift
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        HOME="$work/$name/home" XDG_RUNTIME_DIR="$work/$name/run" \
        DBUS_SESSION_BUS_ADDRESS="$(head -n1 "$work/$name/bus.addr")" \
        BURROW_USER_DIR="$work/burrow/user" FLATPAK_USER_DIR="$work/flatpak/user" \
        "$@"
}

prepare burrow
as burrow "$bin/burrow" remote-add --no-gpg-verify demo "file://$work/repo"
as burrow "$bin/burrow" install --noninteractive demo org.example.Hello >/dev/null
as burrow "$bin/burrow" run --command=cat org.example.Hello /.flatpak-info >"$work/burrow/flatpak-info"

prepare flatpak
as flatpak flatpak --user remote-add --no-gpg-verify demo "file://$work/repo"
as flatpak flatpak --user install -y --noninteractive demo org.example.Hello >/dev/null
as flatpak flatpak run --command=cat org.example.Hello /.flatpak-info >"$work/flatpak/flatpak-info"

# start_portal NAME COMMAND...: the portal on NAME's bus, waited for by name
# (not activated: the bus's service files would start Debian's portal).
start_portal() {
    name=$1; shift
    as "$name" setsid "$@" >"$work/$name/portal.log" 2>&1 &
    portal_pid=$!
    pids="$pids $portal_pid"
    i=0
    until as "$name" dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
            org.freedesktop.DBus.GetNameOwner string:org.freedesktop.portal.Flatpak >/dev/null 2>&1; do
        i=$((i + 1))
        if [ $i -ge 1000 ] || ! kill -0 "$portal_pid" 2>/dev/null; then
            echo "bench: $name's portal did not start; its log:" >&2
            cat "$work/$name/portal.log" >&2
            exit 1
        fi
        sleep 0.01
    done
}
start_portal burrow "$bin/burrow-flatpak-portal"
start_portal flatpak "$upstream" --no-idle-exit

# measure NAME FLAGS: CALLS Spawns from inside NAME's sandbox of the app.
# The sandbox: the host's /usr read-only, the bus directory at /run/bus,
# the client, and the launcher's /.flatpak-info as a read-only file of its
# own, passed as fd 9 exactly as the launchers pass it.
measure() {
    out="$work/$1-$2.tsv"
    if ! as "$1" sh -c 'exec 9<"$0" && exec "$@"' "$work/$1/flatpak-info" \
        bwrap --unshare-all --die-with-parent --new-session \
            --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
            --symlink usr/bin /bin --symlink usr/sbin /sbin \
            --proc /proc --dev /dev --tmpfs /tmp \
            --bind "$work/$1/bus" /run/bus \
            --ro-bind "$work/spawn-client" /run/spawn-client \
            --ro-bind-data 9 /.flatpak-info \
            /run/spawn-client unix:path=/run/bus/bus "$calls" "$2" 2 >"$out" 2>"$out.err"; then
        echo "bench: Spawn from $1's sandbox (flags $2) failed:" >&2
        cat "$out.err" >&2
        echo "--- $1's portal log:" >&2
        cat "$work/$1/portal.log" >&2
        exit 1
    fi
    bad=$(awk -F'\t' '$3 != 0' "$out" | wc -l)
    [ "$bad" -eq 0 ] || { echo "bench: $bad of $1's spawns (flags $2) did not exit 0; portal log:" >&2; cat "$work/$1/portal.log" >&2; exit 1; }
}
# Interleaved, so that a slow phase of the machine hits both alike.
for flags in 0 4; do
    measure flatpak $flags
    measure burrow $flags
done

# The floor: each launcher started directly with the same command, no
# portal, no bus call (hyperfine, from the same environment).
as burrow hyperfine -N --runs "$calls" --warmup 2 --style none --export-json "$work/direct-burrow.json" \
    -n 0 "$bin/burrow run --command=true org.example.Hello" \
    -n 4 "$bin/burrow run --sandbox --command=true org.example.Hello" >/dev/null
as flatpak hyperfine -N --runs "$calls" --warmup 2 --style none --export-json "$work/direct-flatpak.json" \
    -n 0 "/usr/bin/flatpak run --command=true org.example.Hello" \
    -n 4 "/usr/bin/flatpak run --sandbox --command=true org.example.Hello" >/dev/null

echo "Spawn([\"true\"]) from inside the app's sandbox, $calls sequential calls each after 2 warm-up calls, ms ($(nproc) cores, $(uname -r))"
python3 - "$work" "$calls" <<'PY'
import json, statistics, sys
work, calls = sys.argv[1], int(sys.argv[2])

def load(name, flags):
    rows = [line.split("\t") for line in open(f"{work}/{name}-{flags}.tsv") if line.strip()]
    assert len(rows) == calls, f"{name} flags {flags}: {len(rows)} rows"
    return [float(r[0]) for r in rows], [float(r[1]) for r in rows]

def direct(name, flags):
    runs = {r["command"]: r["times"] for r in json.load(open(f"{work}/direct-{name}.json"))["results"]}
    return [t * 1000 for t in runs[str(flags)]]

def p90(values):
    return statistics.quantiles(values, n=10, method="inclusive")[-1]

def row(label, b, d):
    bm, dm, b9, d9 = statistics.median(b), statistics.median(d), p90(b), p90(d)
    print(f"{label:<28} {bm:>10.1f} {b9:>10.1f} {dm:>10.1f} {d9:>10.1f} {bm / dm:>8.2f}x {b9 / d9:>8.2f}x")

print(f"{'measurement':<28} {'burrow-p50':>10} {'burrow-p90':>10} {'debian-p50':>10} {'debian-p90':>10} {'ratio-p50':>9} {'ratio-p90':>9}")
for flags, label in ((0, "Spawn"), (4, "Spawn SANDBOX")):
    ours, theirs = load("burrow", flags), load("flatpak", flags)
    for index, what in ((0, "reply"), (1, "SpawnExited")):
        b, d = ours[index], theirs[index]
        row(f"{label}, {what}", b, d)
for flags, label in ((0, "run"), (4, "run --sandbox")):
    row(f"{label}, no portal", direct("burrow", flags), direct("flatpak", flags))
PY
echo "(ratio = burrow-flatpak-portal / Debian flatpak-portal $(dpkg-query -W -f='${Version}' flatpak 2>/dev/null); below 1 means burrow is faster." \
     "Issue target: SpawnExited <= 0.5x. The 'no portal' lines are \`burrow run\` / \`flatpak run\` of the same command started directly: the launcher's own share.)"

#!/bin/sh
# Launch benchmark: `burrow run org.example.Hello` vs `flatpak run` of the
# same app (same repository, same runtime) vs a bare bwrap of the runtime,
# hyperfine, one run. Both get the same private session bus, so both start
# their xdg-dbus-proxy, and both install their seccomp filter.
#
#   bench/launch.sh [RUNS]     (default 30)
set -eu
runs=${1:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
swift build -c release --static-swift-stdlib --product burrow >/dev/null
swift build -c release --static-swift-stdlib --product burrow-cli >/dev/null
burrow=$(swift build -c release --static-swift-stdlib --show-bin-path)/burrow

work=$(mktemp -d /tmp/burrow-bench-launch.XXXXXX)
trap 'umount -l "$work/run" 2>/dev/null || true; rm -rf --one-file-system "$work"' EXIT INT TERM
examples/hello/make-build-dirs.sh "$work/build" stable >/dev/null
# The app just exits: the launch is what is measured, not the greeting.
printf '#!/bin/sh\nexit 0\n' >"$work/build/app/files/bin/hello"
"$burrow" build-export --runtime "$work/repo" "$work/build/runtime" stable >/dev/null
"$burrow" build-export "$work/repo" "$work/build/app" stable >/dev/null

export BURROW_USER_DIR="$work/burrow-user" FLATPAK_USER_DIR="$work/flatpak-user"
export HOME="$work/home" XDG_RUNTIME_DIR="$work/run"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
# A tmpfs, as /run/user/UID is on a systemd system: both launchers write
# their instance records there at every start, and on this machine's
# journal-less ext4 the bench's own churn of freed inodes would otherwise
# slow each file they create (see bench/install.sh).
if mount -t tmpfs -o mode=0700 burrow-bench-run "$XDG_RUNTIME_DIR" 2>/dev/null; then
    runtime_fs=tmpfs
else
    runtime_fs="$(stat -f -c %T "$XDG_RUNTIME_DIR") (mounting a tmpfs needs root)"
fi
# In a process group of its own: what it activates (flatpak's session
# helper, portals, the accessibility bus) is stopped with it, as a group.
setsid dbus-daemon --session --nofork --print-address=1 --address="unix:path=$XDG_RUNTIME_DIR/bus" >"$work/bus.addr" 2>/dev/null &
bus_pid=$!
# Every step may fail (set -e would end the trap there): || true.
trap 'kill -TERM -$bus_pid 2>/dev/null || true; sleep 0.2; kill -KILL -$bus_pid 2>/dev/null || true
      umount -l "$XDG_RUNTIME_DIR/doc" 2>/dev/null || true; umount -l "$XDG_RUNTIME_DIR" 2>/dev/null || true
      rm -rf --one-file-system "$work"' EXIT INT TERM
while [ ! -s "$work/bus.addr" ]; do sleep 0.01; done
export DBUS_SESSION_BUS_ADDRESS="$(head -n1 "$work/bus.addr")"
"$burrow" remote-add --no-gpg-verify demo "file://$work/repo"
"$burrow" install --noninteractive demo org.example.Hello
flatpak --user remote-add --no-gpg-verify demo "file://$work/repo"
flatpak --user install -y --noninteractive demo org.example.Hello >/dev/null
runtime_files="$BURROW_USER_DIR/runtime/org.example.Platform/$(uname -m)/stable/active/files"

echo "XDG_RUNTIME_DIR on $runtime_fs"
hyperfine --runs "$runs" --warmup 3 --style basic -N --export-json "$work/launch.json" \
    -n burrow "$burrow run org.example.Hello" \
    -n flatpak "flatpak run org.example.Hello" \
    -n bwrap "bwrap --unshare-all --die-with-parent --ro-bind $runtime_files /usr --symlink usr/bin /bin --proc /proc --dev /dev /bin/sh -c true"
python3 - "$work/launch.json" <<'PY'
import json, statistics, sys
r = {x["command"]: statistics.median(x["times"]) * 1000 for x in json.load(open(sys.argv[1]))["results"]}
print(f"median: burrow {r['burrow']:.1f} ms, flatpak {r['flatpak']:.1f} ms, bare bwrap {r['bwrap']:.1f} ms; "
      f"burrow/flatpak {r['burrow'] / r['flatpak']:.2f}x")
PY

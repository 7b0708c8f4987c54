#!/bin/sh
# Side-by-side benchmark of burrow against Debian's portal stack, same work,
# same run, same client. Prints p50/p99 per call and burrow/Debian ratios.
#
#   bench/run.sh [CALLS]        (default 5000 calls per measurement)
#
# Each implementation gets its own private dbus-daemon and a fresh database
# in a temporary directory; nothing of the user's session is touched.
set -eu
calls=${1:-5000}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# Linked as scripts/setup.sh installs it: the Swift runtime static.
swift build -c release --static-swift-stdlib --product burrow-permission-store >/dev/null
swift build -c release --static-swift-stdlib --product burrow-bench >/dev/null
bin=$(swift build -c release --static-swift-stdlib --show-bin-path)
upstream=/usr/libexec/xdg-permission-store
[ -x "$upstream" ] || { echo "bench: $upstream missing (apt-get install xdg-desktop-portal)" >&2; exit 1; }

work=$(mktemp -d /tmp/burrow-bench.XXXXXX)
pids=""
cleanup() {
    for pid in $pids; do kill "$pid" 2>/dev/null || true; done
    for pid in $pids; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

. "$root/bench/lib.sh"

start_bus burrow; ours=$(head -n1 "$work/burrow.addr")
DBUS_SESSION_BUS_ADDRESS=$ours BURROW_PERMISSION_DB=$work/burrow.sqlite "$bin/burrow-permission-store" 2>/dev/null &
pids="$pids $!"
wait_for_name "$ours" org.freedesktop.impl.portal.PermissionStore "store"

start_bus debian; theirs=$(head -n1 "$work/debian.addr")
mkdir -p "$work/debian-data"
DBUS_SESSION_BUS_ADDRESS=$theirs XDG_DATA_HOME=$work/debian-data "$upstream" 2>/dev/null &
pids="$pids $!"
wait_for_name "$theirs" org.freedesktop.impl.portal.PermissionStore "store"

start_bus floor; floor=$(head -n1 "$work/floor.addr")
"$bin/burrow-bench" bus "$floor" "$calls" >"$work/floor.txt"
"$bin/burrow-bench" store "$theirs" "$calls" >"$work/debian.txt"
"$bin/burrow-bench" store "$ours" "$calls" >"$work/burrow.txt"

echo "Permission store, $calls sequential calls each, latency in microseconds ($(nproc) cores, $(uname -r))"
printf '%-24s %10s %10s %10s %10s %9s %9s\n' measurement burrow-p50 burrow-p99 debian-p50 debian-p99 ratio-p50 ratio-p99
paste "$work/burrow.txt" "$work/debian.txt" | awk -F'\t' '{
    printf "%-24s %10.1f %10.1f %10.1f %10.1f %8.2fx %8.2fx\n", $1, $2, $3, $6, $7, $2 / $6, $3 / $7
}'
awk -F'\t' '{ printf "%-24s %10.1f %10.1f   (a bus with no store on it)\n", "bus GetId, idle bus", $2, $3 }' "$work/floor.txt"
echo "(ratio = burrow / Debian xdg-permission-store 1.16; below 1 means burrow is faster. The GetId line is the bus's own floor.)"

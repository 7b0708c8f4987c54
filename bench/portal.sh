#!/bin/sh
# Desktop portal benchmark: burrow-desktop-portal against Debian's
# xdg-desktop-portal 1.16, same work, same run, same client and the same
# instant backend (found by both through a .portal file in
# $XDG_DESKTOP_PORTAL_DIR). Prints p50/p99 per call and burrow/Debian ratios.
#
#   bench/portal.sh [CALLS] [COLD_RUNS]     (defaults 5000 and 30)
#
# Each implementation gets its own private dbus-daemon; nothing of the
# user's session is touched.
set -eu
calls=${1:-5000}
runs=${2:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# As installed (scripts/setup.sh): release, Swift runtime linked statically.
swift build -c release --static-swift-stdlib --product burrow-desktop-portal >/dev/null
swift build -c release --static-swift-stdlib --product burrow-bench >/dev/null
bin=$(swift build -c release --static-swift-stdlib --show-bin-path)
upstream=/usr/libexec/xdg-desktop-portal
[ -x "$upstream" ] || { echo "bench: $upstream missing (apt-get install xdg-desktop-portal)" >&2; exit 1; }

work=$(mktemp -d /tmp/burrow-bench-portal.XXXXXX)
pids=""
cleanup() {
    for pid in $pids; do kill "$pid" 2>/dev/null || true; done
    for pid in $pids; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

mkdir -p "$work/portals" "$work/home"
cat >"$work/portals/bench.portal" <<'PORTAL'
[portal]
DBusName=org.burrow.bench.Backend
Interfaces=org.freedesktop.impl.portal.FileChooser;
UseIn=bench
PORTAL
# Both daemons see the same, minimal environment.
export XDG_DESKTOP_PORTAL_DIR="$work/portals" XDG_CURRENT_DESKTOP=bench HOME="$work/home"
export XDG_DATA_HOME="$work/home/data" XDG_CONFIG_HOME="$work/home/config" GIO_USE_VFS=local

. "$root/bench/lib.sh"

# measure NAME PROGRAM: latency of PROGRAM as the portal on a bus of its own.
measure() {
    start_bus "$1"; address=$(head -n1 "$work/$1.addr")
    "$bin/burrow-bench" backend "$address" org.burrow.bench.Backend &
    pids="$pids $!"
    DBUS_SESSION_BUS_ADDRESS=$address "$2" 2>/dev/null &
    pids="$pids $!"
    wait_for_name "$address" org.freedesktop.portal.Desktop "the portal"
    "$bin/burrow-bench" portal "$address" "$calls" >"$work/$1.txt"
    start_bus "$1-cold"; address=$(head -n1 "$work/$1-cold.addr")
    DBUS_SESSION_BUS_ADDRESS=$address "$bin/burrow-bench" coldstart "$address" "$runs" "$2" >>"$work/$1.txt"
}

measure burrow "$bin/burrow-desktop-portal"
measure debian "$upstream"

echo "Desktop portal, $calls sequential calls each ($runs cold starts), microseconds ($(nproc) cores, $(uname -r))"
printf '%-26s %10s %10s %10s %10s %9s %9s\n' measurement burrow-p50 burrow-p99 debian-p50 debian-p99 ratio-p50 ratio-p99
paste "$work/burrow.txt" "$work/debian.txt" | awk -F'\t' '{
    printf "%-26s %10.1f %10.1f %10.1f %10.1f %8.2fx %8.2fx\n", $1, $2, $3, $6, $7, $2 / $6, $3 / $7
}'
start_bus floor; floor=$(head -n1 "$work/floor.addr")
"$bin/burrow-bench" bus "$floor" "$calls" | awk -F'\t' '{ printf "%-26s %10.1f %10.1f   (a bus with nothing on it)\n", "bus GetId, idle bus", $2, $3 }'
echo "(ratio = burrow / Debian xdg-desktop-portal 1.16; below 1 means burrow is faster."
echo " Request round trip = FileChooser.OpenFile with an instant backend, until its Response.)"

#!/bin/sh
# Document store benchmark: burrow-document-portal against Debian's
# xdg-document-portal 1.16, same files, same client, same run, with the
# native path as the floor. Through each path (native, each portal's
# /ID/NAME, each portal's /by-app/APP/ID/NAME view after GrantPermissions):
#   - sequential read of one big file, cold (caches dropped) and warm
#     (median of 5), GB/s;
#   - stat, and open+read+close, of many 4 KiB files, each its own
#     document: µs per file, cold (first pass) and warm (median of 5 more);
# and for each portal the p50/p99 of GetMountPoint, Info and Lookup. The
# stat table also shows an empty FUSE daemon's (bench/fuse-floor.c): the
# kernel's round trips alone, the floor under any FUSE document store.
#
#   bench/documents.sh              (512 MiB, 1000 files, 2000 calls; under a minute once built)
#   QUICK=1 bench/documents.sh      (64 MiB, 200 files, 300 calls)
#   LOGS=DIR bench/documents.sh     (also keep the daemons' logs in DIR)
#
# Each portal runs in turn on its own private dbus-daemon, with its own fresh
# XDG_RUNTIME_DIR (so its own mount at $XDG_RUNTIME_DIR/doc) and
# XDG_DATA_HOME. The buses have no service directories: every daemon is
# started here and checked to own its name, because on a stock session bus
# a missing name gets activated (a dead burrow portal would be replaced by
# Debian's, and Debian's portal would get whichever permission store
# /usr/local/share/dbus-1/services names). Run as root, for the FUSE mounts
# and drop_caches. The file client is C, compiled here (source at the end).
set -eu
if [ "${QUICK:-0}" = 1 ]; then size_mib=64 files=200 calls=300; else size_mib=512 files=1000 calls=2000; fi
passes=5           # warm reads, and warm passes over the small files
app=org.example.Bench
script=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# Quiet unless it fails (SwiftPM warns about pkg-config's -pthread on every build).
# Linked as scripts/setup.sh installs them: the Swift runtime static.
build() {
    output=$(swift build -c release --static-swift-stdlib --product "$1" 2>&1) || { echo "$output" >&2; exit 1; }
}
build burrow-document-portal
build burrow-bench
bin=$(swift build -c release --static-swift-stdlib --show-bin-path)
upstream=/usr/libexec/xdg-document-portal
upstream_store=/usr/libexec/xdg-permission-store
for tool in "$upstream" "$upstream_store"; do
    [ -x "$tool" ] || { echo "bench: $tool missing (apt-get install xdg-desktop-portal)" >&2; exit 1; }
done
command -v gcc >/dev/null && pkg-config --exists libsystemd fuse3 ||
    { echo "bench: needs gcc, libsystemd-dev and libfuse3-dev" >&2; exit 1; }
[ "$(id -u)" = 0 ] || echo "bench: not root: FUSE goes through fusermount3 and caches cannot be dropped" >&2

work=$(mktemp -d /tmp/burrow-bench-documents.XXXXXX)
pids=""            # process groups still running: each daemon and each bus is one
problems=""        # wrong answers, crashes, leftover mounts; reported at the end

problem() {
    problems="$problems
  - $*"
}

# alive PID: running, and not a zombie waiting for `wait`.
alive() {
    case $(ps -o stat= -p "$1" 2>/dev/null) in ""|Z*) return 1 ;; esac
}

# start LOG COMMAND...: a daemon in a process group of its own (what it
# spawns goes with it); its pid, which is the group's, lands in $started.
start() {
    log=$1
    shift
    : >"$log"          # exists before the child opens it, for whoever polls it
    setsid "$@" >"$log" 2>&1 &
    started=$!
    pids="$pids $started"
}

# stop PID: SIGTERM to its group (the portals' graceful path: release the
# name, unmount), SIGKILL after 5 s. Leaves the exit status in $status.
stop() {
    kill -TERM -"$1" 2>/dev/null || true
    i=0
    while alive "$1"; do
        i=$((i + 1))
        if [ $i -ge 500 ]; then
            problem "pid $1 ($(ps -o comm= -p "$1")) ignored SIGTERM for 5 s and was killed"
            kill -KILL -"$1" 2>/dev/null || true
            break
        fi
        sleep 0.01
    done
    status=0
    wait "$1" 2>/dev/null || status=$?
    pids=$(echo " $pids " | sed "s/ $1 / /")
}

# unmount_under DIR: lazily unmount every mount below DIR, deepest first.
unmount_under() {
    awk -v dir="$1/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | sort -r | while read -r mount; do
        umount -l "$mount" 2>/dev/null || fusermount3 -u -z "$mount" 2>/dev/null || true
    done
}

cleanup() {
    rc=$?
    if [ $rc != 0 ]; then
        for log in "$work"/*/*.log; do
            case $log in */bus.log) continue ;; esac
            [ -s "$log" ] || continue
            echo "bench: failed ($rc); the last lines of ${log#"$work"/}:" >&2
            tail -n 20 "$log" | sed 's/^/  | /' >&2
        done
    fi
    for pid in $pids; do stop "$pid"; done
    unmount_under "$work"
    if [ -n "${LOGS:-}" ] && mkdir -p "$LOGS"; then
        for log in "$work"/*/*.log; do
            portal=${log%/*}
            [ ! -e "$log" ] || cp "$log" "$LOGS/${portal##*/}-${log##*/}"
        done
    fi
    # --one-file-system: should a mount have survived, never delete through it.
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
# Signals run the EXIT trap too (dash skips it on an untrapped signal).
trap 'exit 130' INT TERM HUP PIPE

# wait_for_name NAME PID LOG: until NAME on the current bus is owned by PID.
wait_for_name() {
    i=0
    until owner=$(dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
                    org.freedesktop.DBus.GetConnectionUnixProcessID "string:$1" 2>/dev/null); do
        if ! alive "$2" || [ $i -ge 1000 ]; then
            echo "bench: $1 did not appear on the bus (pid $2); its log:" >&2
            cat "$3" >&2
            exit 1
        fi
        i=$((i + 1))
        sleep 0.01
    done
    owner=$(echo "$owner" | awk '{ print $NF }')
    [ "$owner" = "$2" ] || { echo "bench: $1 is owned by pid $owner, not by the daemon started, pid $2" >&2; exit 1; }
}

# Page cache and dentry/inode caches, so that cold is cold everywhere: the
# disk, the host files behind a portal, the FUSE inodes (the kernel forgets
# them, so the daemon sees fresh LOOKUPs).
if sync && (echo 3 >/proc/sys/vm/drop_caches) 2>/dev/null; then drops=yes; else drops=no; fi
drop_caches() {
    if [ $drops = yes ]; then sync; echo 3 >/proc/sys/vm/drop_caches; fi
}

median() {
    sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# record COLUMN METRIC VALUE, for the report at the end.
record() {
    [ -n "$3" ] || { problem "$1: no value for $2 (the measurement failed; see above)"; return 0; }
    printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$work/results"
}

# measure_files COLUMN BIG_FILE SMALL_LIST: the file metrics through one path.
measure_files() {
    drop_caches
    read_result=$("$work/docbench" read "$2")
    bytes=$(echo "$read_result" | cut -f2)
    [ "$bytes" = $((size_mib * 1048576)) ] || problem "$1: read $bytes bytes from $2, not $((size_mib * 1048576))"
    record "$1" read_cold "$(echo "$read_result" | cut -f1)"
    for _ in $(seq "$passes"); do "$work/docbench" read "$2"; done | cut -f1 >"$work/reads"
    record "$1" read_warm "$(median <"$work/reads")"

    drop_caches
    "$work/docbench" stat $((passes + 1)) <"$3" >"$work/passes"
    record "$1" stat_cold "$(head -n1 "$work/passes")"
    record "$1" stat_warm "$(tail -n +2 "$work/passes" | median)"

    drop_caches
    "$work/docbench" open $((passes + 1)) 4096 <"$3" >"$work/passes"
    record "$1" open_cold "$(head -n1 "$work/passes")"
    record "$1" open_warm "$(tail -n +2 "$work/passes" | median)"
}

# measure_floor: stat through an empty FUSE daemon (bench/fuse-floor.c) in
# the /ID/NAME shape: what the kernel's FUSE round trips alone cost here,
# the floor under any FUSE document store's cold stat.
measure_floor() {
    mkdir -p "$work/floor/mnt"
    start "$work/floor/floor.log" "$work/fuse-floor" "$work/floor/mnt" 8
    floor=$started
    until grep -q " $work/floor/mnt fuse" /proc/mounts; do
        alive "$floor" || { problem "floor: fuse-floor did not mount"; return 0; }
        sleep 0.01
    done
    awk -v dir="$work/floor/mnt" '{ n = split($0, part, "/"); print dir "/d" NR "/" part[n] }' \
        "$work/small.list" >"$work/floor/paths"
    drop_caches
    "$work/docbench" stat $((passes + 1)) <"$work/floor/paths" >"$work/passes"
    record floor stat_cold "$(head -n1 "$work/passes")"
    record floor stat_warm "$(tail -n +2 "$work/passes" | median)"
    stop "$floor"
}

# time_method COLUMN MEMBER [TYPE:VALUE]: one Documents method, $calls times.
time_method() {
    column=$1 member=$2
    shift 2
    "$bin/burrow-bench" call "$DBUS_SESSION_BUS_ADDRESS" "$calls" org.freedesktop.portal.Documents \
        /org/freedesktop/portal/documents "org.freedesktop.portal.Documents.$member" "$@" \
        >>"$work/methods" 2>"$work/method.err" || problem "$column: timing $member failed: $(cat "$work/method.err")"
}

# measure_methods COLUMN DOC_ID HOST_PATH: the portal's D-Bus latency, and
# the bus's own floor for comparison.
measure_methods() {
    : >"$work/methods"
    time_method "$1" GetMountPoint
    time_method "$1" Info "s:$2"
    time_method "$1" Lookup "ay:$3"
    "$bin/burrow-bench" bus "$DBUS_SESSION_BUS_ADDRESS" "$calls" >>"$work/methods"
    awk -F'\t' -v c="$1" '{ n = $1 ~ /GetId/ ? "GetId" : $1
                           printf "%s\t%s_p50\t%s\n%s\t%s_p99\t%s\n", c, n, $2, c, n, $3 }' "$work/methods" >>"$work/results"
}

# documents METHOD ARGS...: one call with gdbus, for checking answers.
documents() {
    method=$1
    shift
    gdbus call --session -d org.freedesktop.portal.Documents -o /org/freedesktop/portal/documents \
        -m "org.freedesktop.portal.Documents.$method" "$@" 2>&1 || true
}

# portal NAME: NAME's stack on a bus of its own; measure; stop it.
portal() {
    dir=$work/$1
    mkdir -p "$dir/run" "$dir/data"
    chmod 700 "$dir/run"
    export XDG_RUNTIME_DIR="$dir/run" XDG_DATA_HOME="$dir/data"
    start "$dir/bus.log" dbus-daemon --config-file="$work/bus.conf" --nofork --print-address=1 --address="unix:path=$dir/bus"
    bus=$started
    until [ -n "$(sed -n '/^unix:/p' "$dir/bus.log")" ]; do alive "$bus" || { cat "$dir/bus.log" >&2; exit 1; }; sleep 0.01; done
    DBUS_SESSION_BUS_ADDRESS=$(sed -n '/^unix:/{p;q}' "$dir/bus.log")
    export DBUS_SESSION_BUS_ADDRESS
    store=""
    if [ "$1" = upstream ]; then
        # On the same bus, for its permission checks and document table.
        start "$dir/permission-store.log" "$upstream_store"
        store=$started
        wait_for_name org.freedesktop.impl.portal.PermissionStore "$store" "$dir/permission-store.log"
        start "$dir/$1.log" "$upstream"
    else
        start "$dir/$1.log" "$bin/burrow-document-portal"
    fi
    daemon=$started
    wait_for_name org.freedesktop.portal.Documents "$daemon" "$dir/$1.log"
    until grep -q " $dir/run/doc fuse" /proc/mounts; do sleep 0.01; done

    # gdbus cannot pass fds inside an array (AddFull's `ah`), and one gdbus
    # per file would take longer than the measurements: docbench does it.
    "$work/docbench" export "$app" <"$work/all.list" >"$dir/ids"
    [ "$(wc -l <"$dir/ids")" = $((files + 1)) ] || problem "$1: AddFull returned $(wc -l <"$dir/ids") ids for $((files + 1)) files"
    paste "$dir/ids" "$work/all.list" | awk -F'\t' -v doc="$dir/run/doc" -v app="$app" -v dir="$dir" '{
        n = split($2, part, "/")
        print doc "/" $1 "/" part[n] >(dir "/doc.list")
        print doc "/by-app/" app "/" $1 "/" part[n] >(dir "/app.list") }'
    tail -n +2 "$dir/doc.list" >"$dir/doc-small.list"
    tail -n +2 "$dir/app.list" >"$dir/app-small.list"

    measure_files "$1" "$(head -n1 "$dir/doc.list")" "$dir/doc-small.list"
    measure_files "$1-app" "$(head -n1 "$dir/app.list")" "$dir/app-small.list"

    # The answers, checked once, outside the timing.
    id=$(paste "$dir/ids" "$work/all.list" | awk -F'\t' -v p="$probe" '$2 == p { print $1 }')
    answer=$(documents Info "$id")
    [ "$answer" = "(b'$probe', {'$app': ['read']})" ] || problem "$1: Info $id answered $answer"
    answer=$(documents Lookup "b'$probe'")
    [ "$answer" = "('$id',)" ] || problem "$1: Lookup $probe answered $answer, not ('$id',)"
    answer=$(documents GetMountPoint)
    [ "$answer" = "(b'$dir/run/doc',)" ] || problem "$1: GetMountPoint answered $answer"
    measure_methods "$1" "$id" "$probe"

    for view in doc app; do
        cmp -s "$work/files/big.bin" "$(head -n1 "$dir/$view.list")" ||
            problem "$1: $(head -n1 "$dir/$view.list") differs from the exported file"
        "$work/docbench" verify "$work/small.list" "$dir/$view-small.list" 2>>"$dir/verify.log" ||
            problem "$1: small files read through the $view view differ from the originals: $(tail -n1 "$dir/verify.log")"
    done

    if alive "$daemon"; then
        stop "$daemon"
        [ "$status" = 0 ] || problem "$1: the portal exited with status $status on SIGTERM"
    else
        stop "$daemon"
        problem "$1: the portal died during the run, exit status $status (see its log)"
    fi
    if grep -q " $dir/run/doc fuse" /proc/mounts; then
        problem "$1: $dir/run/doc was still mounted after the portal exited"
        unmount_under "$dir"
    fi
    if [ -n "$store" ]; then stop "$store"; fi
    stop "$bus"
    unset DBUS_SESSION_BUS_ADDRESS
}

# The files: one big, many small. Every file is its own document.
unset DBUS_SESSION_BUS_ADDRESS
mkdir -p "$work/files/small"
dd if=/dev/urandom of="$work/files/big.bin" bs=1M count="$size_mib" status=none
cp "$(dirname "$script")/documents-client.c" "$work/docbench.c"
# shellcheck disable=SC2046 # pkg-config's flags are words
gcc -O2 -Wall -o "$work/docbench" "$work/docbench.c" $(pkg-config --cflags --libs libsystemd)
# shellcheck disable=SC2046
gcc -O2 -Wall -o "$work/fuse-floor" "$(dirname "$script")/fuse-floor.c" $(pkg-config --cflags --libs fuse3)
"$work/docbench" mkfiles "$work/files/small" "$files" 4096 >"$work/small.list"
{ echo "$work/files/big.bin"; cat "$work/small.list"; } >"$work/all.list"
probe=$(sed -n "$((files / 2))p" "$work/small.list")     # the file Info and Lookup ask about
cat >"$work/bus.conf" <<'EOF'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

measure_files native "$work/files/big.bin" "$work/small.list"
measure_floor
portal upstream
portal burrow

echo "Document store: burrow-document-portal vs Debian xdg-document-portal $(dpkg-query -W -f='${Version}' xdg-desktop-portal) vs native files"
echo "burrow $(git rev-parse --short HEAD)$([ -z "$(git status --porcelain Sources)" ] || echo ' + uncommitted changes in Sources/')," \
     "$(nproc) cores, $(uname -r), load average $load_before before and $(cut -d' ' -f1-3 /proc/loadavg) after"
echo "APP = $app, granted read with GrantPermissions after the Add"
# Only the load before the run counts: the run itself keeps a core busy.
busy=$(echo "$load_before" | awk -v cores="$(nproc)" '{ print ($1 > cores / 2) }')
[ "$busy" = 0 ] || echo "WARNING: the machine was busy before the run (1-minute load above half the cores): other work skews these numbers"
if [ $drops = yes ]; then
    echo "cold = after 'echo 3 > /proc/sys/vm/drop_caches' (page, dentry and inode caches dropped)"
else
    echo "cold: dropping caches is NOT permitted here, so 'cold' is only the first access after export (page cache warm)"
fi
python3 "$root/bench/documents-report.py" "$work/results" "$size_mib" "$files" "$calls" "$passes" "$app"

log=$work/burrow/burrow.log
echo
echo "burrow-document-portal log: $(wc -l <"$log") lines, $(grep -c -E -i ' (warning|error|critical) ' "$log" || true) warnings or errors; the last 20:"
tail -n 20 "$log" | sed 's/^/  | /'
echo "xdg-document-portal log: $(wc -l <"$work/upstream/upstream.log") lines; the last 5:"
tail -n 5 "$work/upstream/upstream.log" | sed 's/^/  | /'
if [ -n "$problems" ]; then
    echo "PROBLEMS:$problems"
    exit 1
fi
echo "No problems: every byte read back matched the originals, Info, Lookup and GetMountPoint answered as expected," \
     "and both portals unmounted and exited 0 on SIGTERM."
exit 0

# The file client, extracted by the sed near the top; a here-document, so
# this file stays valid shell.

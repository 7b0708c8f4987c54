#!/bin/sh
# Install benchmark: the demo app + its busybox runtime from a local
# repository, burrow vs Debian's flatpak, same repository, same run,
# uninstalling between runs. Also the disk used by two apps sharing the
# runtime.
#
#   bench/install.sh [RUNS]     (default 20)
#
# Measured twice: with both installations on a tmpfs, and on the disk
# (under /tmp). Why the tmpfs: on an ext4 without a journal (this machine's
# root), inodes freed in the last 5-35 s are skipped one by one by every
# allocation (find_inode_bit -> recently_deleted). Right after an uninstall
# each of the runtime's 269 symlinks then costs 0.1-1 ms to create, more
# with every run and depending on which block group the new directories
# land in: up to 55% of an install in a perf profile, and the two tools'
# times swap places between runs. That is the benchmark's own churn and the
# disk's history, not the installers' work; on a tmpfs only their work is
# timed. The disk line is kept for reference.
set -eu
runs=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
swift build -c release --static-swift-stdlib --product burrow >/dev/null
swift build -c release --static-swift-stdlib --product burrow-cli >/dev/null
burrow=$(swift build -c release --static-swift-stdlib --show-bin-path)/burrow
command -v hyperfine >/dev/null || { echo "bench: hyperfine missing (apt-get install hyperfine)" >&2; exit 1; }

work=$(mktemp -d /tmp/burrow-bench-install.XXXXXX)
trap 'umount "$work/tmpfs" 2>/dev/null || true; rm -rf --one-file-system "$work"' EXIT INT TERM
examples/hello/make-build-dirs.sh "$work/build" stable >/dev/null
"$burrow" build-export --runtime "$work/repo" "$work/build/runtime" stable >/dev/null
"$burrow" build-export "$work/repo" "$work/build/app" stable >/dev/null
export HOME="$work/home" XDG_RUNTIME_DIR="$work/run"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

# measure LABEL DIR: both tools' installations under DIR, RUNS installs each.
measure() {
    export BURROW_USER_DIR="$2/burrow-user" FLATPAK_USER_DIR="$2/flatpak-user"
    "$burrow" remote-add --no-gpg-verify demo "file://$work/repo"
    flatpak --user remote-add --no-gpg-verify demo "file://$work/repo"
    hyperfine --runs "$runs" --warmup 2 --style basic --export-json "$work/install.json" \
        --prepare "$burrow uninstall --noninteractive org.example.Hello org.example.Platform >/dev/null 2>&1 || true" \
        -n burrow "$burrow install --noninteractive demo org.example.Hello" \
        --prepare "flatpak --user uninstall -y --noninteractive org.example.Hello org.example.Platform >/dev/null 2>&1 || true" \
        -n flatpak "flatpak --user install -y --noninteractive demo org.example.Hello" >"$work/hyperfine.out"
    python3 - "$1" "$work/install.json" <<'PY'
import json, statistics, sys
r = {x["command"]: x["times"] for x in json.load(open(sys.argv[2]))["results"]}
b, f = (statistics.median(r[n]) * 1000 for n in ("burrow", "flatpak"))
bs, fs = (statistics.stdev(r[n]) * 1000 for n in ("burrow", "flatpak"))
print(f"  {sys.argv[1]:20} median: burrow {b:6.1f} ms (sd {bs:4.1f}), flatpak {f:6.1f} ms (sd {fs:4.1f}), ratio {b / f:.2f}x")
PY
}

echo "Install org.example.Hello + org.example.Platform (busybox, $(du -sh "$work/build/runtime/files" | cut -f1))" \
     "from a local repository, $runs runs each, uninstalling both before each run"
mkdir -p "$work/tmpfs"
# Sized above both tools' default min-free-space (500 MB); only what is
# written takes memory.
if mount -t tmpfs -o size=2g,mode=0755 burrow-bench "$work/tmpfs" 2>/dev/null; then
    measure "on a tmpfs" "$work/tmpfs"
else
    echo "  on a tmpfs: not measured (mounting a tmpfs needs root)"
fi
measure "on the disk (/tmp)" "$work/disk"

# Disk: a second app on the same runtime shares the runtime's files.
sed -e 's/org.example.Hello/org.example.Hello2/' "$work/build/app/metadata" >"$work/meta2"
cp -a "$work/build/app" "$work/build/app2" && mv "$work/meta2" "$work/build/app2/metadata"
"$burrow" build-export "$work/repo" "$work/build/app2" stable >/dev/null
"$burrow" install --noninteractive demo org.example.Hello2 2>/dev/null || true
echo "disk used by the burrow installation with two apps sharing one runtime: $(du -sh "$BURROW_USER_DIR" | cut -f1)" \
     "(runtime files alone: $(du -sh "$work/build/runtime/files" | cut -f1))"

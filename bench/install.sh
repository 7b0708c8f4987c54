#!/bin/sh
# Install benchmark: the demo app + its busybox runtime from a local
# repository, burrow vs Debian's flatpak, same repository, same run,
# uninstalling between runs. Also the disk used by two apps sharing the
# runtime.
#
#   bench/install.sh [RUNS]     (default 20)
set -eu
runs=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
swift build -c release --static-swift-stdlib --product burrow >/dev/null
swift build -c release --static-swift-stdlib --product burrow-cli >/dev/null
burrow=$(swift build -c release --static-swift-stdlib --show-bin-path)/burrow
command -v hyperfine >/dev/null || { echo "bench: hyperfine missing (apt-get install hyperfine)" >&2; exit 1; }

work=$(mktemp -d /tmp/burrow-bench-install.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
examples/hello/make-build-dirs.sh "$work/build" stable >/dev/null
"$burrow" build-export --runtime "$work/repo" "$work/build/runtime" stable >/dev/null
"$burrow" build-export "$work/repo" "$work/build/app" stable >/dev/null

export BURROW_USER_DIR="$work/burrow-user" FLATPAK_USER_DIR="$work/flatpak-user"
export HOME="$work/home" XDG_RUNTIME_DIR="$work/run"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
"$burrow" remote-add --no-gpg-verify demo "file://$work/repo"
flatpak --user remote-add --no-gpg-verify demo "file://$work/repo"

echo "Install org.example.Hello + org.example.Platform (busybox, $(du -sh "$work/build/runtime/files" | cut -f1)) from a local repository"
hyperfine --runs "$runs" --warmup 2 --style basic --export-json "$work/install.json" \
    --prepare "$burrow uninstall --noninteractive org.example.Hello org.example.Platform >/dev/null 2>&1 || true" \
    -n burrow "$burrow install --noninteractive demo org.example.Hello" \
    --prepare "flatpak --user uninstall -y --noninteractive org.example.Hello org.example.Platform >/dev/null 2>&1 || true" \
    -n flatpak "flatpak --user install -y --noninteractive demo org.example.Hello"
python3 - "$work/install.json" <<'PY'
import json, statistics, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
b, f = statistics.median(r["burrow"]["times"]), statistics.median(r["flatpak"]["times"])
print(f"median: burrow {b*1000:.1f} ms, flatpak {f*1000:.1f} ms, ratio {b/f:.2f}x")
PY

# Disk: a second app on the same runtime shares the runtime's files.
sed -e 's/org.example.Hello/org.example.Hello2/' "$work/build/app/metadata" >"$work/meta2"
cp -a "$work/build/app" "$work/build/app2" && mv "$work/meta2" "$work/build/app2/metadata"
"$burrow" build-export "$work/repo" "$work/build/app2" stable >/dev/null
"$burrow" install --noninteractive demo org.example.Hello2 2>/dev/null || true
echo "disk used by the burrow installation with two apps sharing one runtime: $(du -sh "$BURROW_USER_DIR" | cut -f1)" \
     "(runtime files alone: $(du -sh "$work/build/runtime/files" | cut -f1))"

#!/bin/sh
# Sets burrow up on a fresh Debian 12: installs the packages it needs,
# builds it in release mode, installs it under $PREFIX (default /usr/local)
# with its D-Bus service files, then runs the main job.
set -eu
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
scripts/deps.sh
swift build -c release --static-swift-stdlib --product burrow
swift build -c release --static-swift-stdlib --product burrow-cli
swift build -c release --static-swift-stdlib --product burrow-permission-store
swift build -c release --static-swift-stdlib --product burrow-document-portal
swift build -c release --static-swift-stdlib --product burrow-flatpak-portal
swift build -c release --static-swift-stdlib --product burrow-desktop-portal
bin=$(swift build -c release --static-swift-stdlib --show-bin-path)

install -d "$PREFIX/bin" "$PREFIX/libexec" "$PREFIX/share/dbus-1/services" "$PREFIX/share/xdg-desktop-portal/portals"
install -m 0755 "$bin/burrow" "$PREFIX/bin/burrow"
# Every verb but run/ps/kill/enter: `burrow` hands them over (see
# Sources/BurrowEntry), so starting an app never loads libostree.
install -m 0755 "$bin/burrow-cli" "$PREFIX/libexec/burrow-cli"
install -m 0755 "$bin/burrow-permission-store" "$PREFIX/libexec/burrow-permission-store"
install -m 0755 "$bin/burrow-document-portal" "$PREFIX/libexec/burrow-document-portal"
install -m 0755 "$bin/burrow-flatpak-portal" "$PREFIX/libexec/burrow-flatpak-portal"
install -m 0755 "$bin/burrow-desktop-portal" "$PREFIX/libexec/burrow-desktop-portal"
# The terminal backend's description, found by the desktop portal (and by
# xdg-desktop-portal) in $XDG_DATA_DIRS/xdg-desktop-portal/portals.
install -m 0644 data/portals/burrow.portal "$PREFIX/share/xdg-desktop-portal/portals/burrow.portal"
for template in data/dbus-1/services/*.service.in; do
    service=$(basename "$template" .in)
    sed "s|@libexecdir@|$PREFIX/libexec|g" "$template" >"$PREFIX/share/dbus-1/services/$service"
done
echo "burrow: installed into $PREFIX"

# The main job: build the demo runtime (busybox-static) and app, export both
# into a local repository, add it as a remote and install the app (its
# runtime comes along) into the user installation, then show what is there.
demo=${BURROW_DEMO_DIR:-${TMPDIR:-/tmp}/burrow-demo}
rm -rf "$demo"
mkdir -p "$demo"
examples/hello/make-build-dirs.sh "$demo" stable >/dev/null
burrow build-export --runtime "$demo/repo" "$demo/runtime" stable
burrow build-export "$demo/repo" "$demo/app" stable
burrow remote-add --if-not-exists --no-gpg-verify burrow-demo "file://$demo/repo"
if burrow info org.example.Hello >/dev/null 2>&1; then
    burrow update -y org.example.Hello
else
    burrow install -y burrow-demo org.example.Hello
fi
burrow info org.example.Hello

# Run it in its sandbox. The runtime directory may not exist on a machine
# without a login session; create it as a session would (0700, ours).
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
    export XDG_RUNTIME_DIR="/run/user/$(id -u)"
    [ -d "$XDG_RUNTIME_DIR" ] || install -d -m 0700 "$XDG_RUNTIME_DIR"
fi
burrow run org.example.Hello

# The permission store, started by D-Bus activation from the installed
# service file in a session bus of its own, with a grant set and listed.
export BURROW_PERMISSION_DB="$demo/permissions.sqlite"
dbus-run-session -- sh -c '
    set -e
    dbus-update-activation-environment BURROW_PERMISSION_DB
    burrow permission-set devices camera org.example.Hello yes
    burrow permission-show org.example.Hello
' 2>/dev/null

# A file shared with the app through the document portal: the portal is
# D-Bus-activated, the file is exported and granted to org.example.Hello,
# and the app reads it inside its sandbox at /run/flatpak/doc/ID/NAME —
# the only file of the host it can see.
echo "A note for org.example.Hello, shared by the document portal." >"$demo/shared-note.txt"
dbus-run-session -- sh -c '
    set -e
    dbus-update-activation-environment BURROW_PERMISSION_DB XDG_RUNTIME_DIR
    documents="-d org.freedesktop.portal.Documents -o /org/freedesktop/portal/documents"
    id=$(gdbus call --session $documents -m org.freedesktop.portal.Documents.Add 3 true false 3<"$0" | tr -d "(),'\''")
    gdbus call --session $documents -m org.freedesktop.portal.Documents.GrantPermissions "$id" org.example.Hello "[\"read\"]" >/dev/null
    burrow run --command=cat org.example.Hello "/run/flatpak/doc/$id/shared-note.txt"
' "$demo/shared-note.txt" 2>/dev/null

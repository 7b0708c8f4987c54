#!/bin/sh
# Sets burrow up on a fresh Debian 12: installs the packages it needs,
# builds it in release mode, installs it under $PREFIX (default /usr/local)
# with its D-Bus service files, then runs the main job.
set -eu
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
scripts/deps.sh
swift build -c release --product burrow
swift build -c release --product burrow-permission-store
bin=$(swift build -c release --show-bin-path)

install -d "$PREFIX/bin" "$PREFIX/libexec" "$PREFIX/share/dbus-1/services"
install -m 0755 "$bin/burrow" "$PREFIX/bin/burrow"
install -m 0755 "$bin/burrow-permission-store" "$PREFIX/libexec/burrow-permission-store"
for template in data/dbus-1/services/*.service.in; do
    service=$(basename "$template" .in)
    sed "s|@libexecdir@|$PREFIX/libexec|g" "$template" >"$PREFIX/share/dbus-1/services/$service"
done
echo "burrow: installed into $PREFIX"

# The main job, as far as burrow goes today: a session bus of its own, the
# permission store started by D-Bus activation from the installed service
# file, a grant written and read back through the `burrow` command.
export BURROW_PERMISSION_DB="${TMPDIR:-/tmp}/burrow-demo-permissions.sqlite"
rm -f "$BURROW_PERMISSION_DB" "$BURROW_PERMISSION_DB-wal" "$BURROW_PERMISSION_DB-shm"
dbus-run-session -- sh -c '
    set -e
    dbus-update-activation-environment BURROW_PERMISSION_DB
    burrow permission-set devices camera org.burrow.Demo yes
    burrow permission-set notifications notification org.burrow.Demo yes
    burrow permissions
    burrow permission-show org.burrow.Demo
'

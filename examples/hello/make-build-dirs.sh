#!/bin/sh
# Creates Flatpak-layout build directories for the demo:
#   OUT/runtime  org.example.Platform  (busybox-static with its applets as /usr/bin)
#   OUT/app      org.example.Hello     (a shell script that greets and shows its sandbox)
# Both are plain `metadata` + tree directories, exactly what `flatpak build-export`
# and `burrow build-export` take.
#
#   examples/hello/make-build-dirs.sh OUT [BRANCH]
set -eu
out=${1:?usage: make-build-dirs.sh OUT [BRANCH]}
branch=${2:-stable}
arch=$(uname -m)
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "make-build-dirs: $busybox missing (apt-get install busybox-static)" >&2; exit 1; }

rm -rf "$out/runtime" "$out/app"
mkdir -p "$out/runtime/files/bin" "$out/runtime/files/etc" "$out/app/files/bin" "$out/app/export"

# Runtime: files/ becomes /usr in the sandbox. (flatpak build-export takes a
# runtime's tree from usr/ by default; give it --files=files for this layout.)
cp "$busybox" "$out/runtime/files/bin/busybox"
for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$out/runtime/files/bin/$applet"
done
printf 'NAME="burrow demo runtime"\nID=org.example.Platform\n' >"$out/runtime/files/etc/os-release"
cat >"$out/runtime/metadata" <<META
[Runtime]
name=org.example.Platform
runtime=org.example.Platform/$arch/$branch
sdk=org.example.Platform/$arch/$branch
META

# App: files/ becomes /app; an (empty) export/ marks the build as finished,
# as `flatpak build-finish` would.
cat >"$out/app/files/bin/hello" <<'HELLO'
#!/bin/sh
echo "Hello from $FLATPAK_ID inside the sandbox."
echo "I am uid $(id -u) and see:"
grep -E '^(name|instance-id)=' /.flatpak-info | sed 's/^/  /'
if touch /app/probe 2>/dev/null; then echo "  /app is WRITABLE (unexpected)"; else echo "  /app is read-only"; fi
HELLO
chmod 0755 "$out/app/files/bin/hello"
cat >"$out/app/metadata" <<META
[Application]
name=org.example.Hello
runtime=org.example.Platform/$arch/$branch
sdk=org.example.Platform/$arch/$branch
command=hello

[Context]
shared=ipc;
sockets=wayland;
META
echo "$out/runtime"
echo "$out/app"

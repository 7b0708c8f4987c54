#!/bin/sh
# Installs every Debian 12 package burrow's build, tests and benchmarks use.
# Idempotent; skips apt entirely when everything is already installed.
set -eu
packages="
  pkg-config libsystemd-dev libglib2.0-dev libostree-dev libfuse3-dev libseccomp-dev libsqlite3-dev
  libsodium-dev libcurl4-gnutls-dev openssl
  bubblewrap xdg-dbus-proxy fuse3 dbus-daemon dbus-bin ostree busybox-static cups-client cups-daemon
  libglib2.0-bin util-linux procps gpg gpg-agent gpgconf gcc libc6-dev hyperfine
  flatpak xdg-desktop-portal xdg-desktop-portal-dev python3 tmux
"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
as_root=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then
        as_root="sudo"
    else
        echo "burrow: these packages are missing:$missing" >&2
        echo "burrow: run this script as root (or with sudo) to install them" >&2
        exit 1
    fi
fi
echo "burrow: installing with apt-get:$missing" >&2
# shellcheck disable=SC2086
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null

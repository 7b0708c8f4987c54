#!/bin/sh
# Runs burrow's whole test suite: unit tests and integration tests against a
# private dbus-daemon, real bwrap sandboxes run as nobody, and Debian's
# xdg-permission-store for side-by-side behaviour checks.
# Needs root: sandboxes are started as an unprivileged user via setpriv.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
swift build --build-tests
swift test --skip-build "$@"

# Shared by bench/run.sh and bench/portal.sh (sourced; they set $work and
# $pids, the list their cleanup stops).

# start_bus NAME: a private session bus whose address lands in $work/NAME.addr.
# (Not in a $(...) subshell: the pid must reach the cleanup list.)
start_bus() {
    dbus-daemon --session --nofork --print-address=1 --address="unix:path=$work/$1.bus" >"$work/$1.addr" 2>/dev/null &
    pids="$pids $!"
    while [ ! -s "$work/$1.addr" ]; do sleep 0.01; done
}

# wait_for_name ADDRESS NAME WHAT: until NAME has an owner on the bus at
# ADDRESS (5 s at most; then "bench: WHAT did not start").
wait_for_name() {
    i=0
    until DBUS_SESSION_BUS_ADDRESS=$1 dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
            org.freedesktop.DBus.GetNameOwner string:"$2" >/dev/null 2>&1; do
        i=$((i + 1)); [ $i -lt 500 ] || { echo "bench: $3 did not start" >&2; exit 1; }
        sleep 0.01
    done
}

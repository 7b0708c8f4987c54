#!/usr/bin/env python3
"""The report of bench/documents.sh: its results file (COLUMN<TAB>METRIC<TAB>VALUE
lines) as tables of burrow vs upstream vs native, and the issue's targets.

    documents-report.py RESULTS SIZE_MIB FILES CALLS PASSES APP
"""
import sys
r = {}
for line in open(sys.argv[1]):
    column, metric, value = line.rstrip("\n").split("\t")
    r[column, metric] = float(value)
size, files, calls, passes, app = sys.argv[2:]

def ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b else "-"

def number(x, width, digits=2):
    return f"{x:{width}.{digits}f}" if x is not None else f"{'-':>{width}}"

views = (("", "/ID/NAME"), ("-app", "/by-app/APP/ID/NAME"))

def files_table(title, metric):
    print(f"\n{title}")
    print(f"  {'':40}{'native':>8}{'upstream':>10}{'burrow':>9}{'burrow/upstream':>17}{'burrow/native':>15}")
    for when, label in (("cold", "cold"), ("warm", f"warm (median of {passes})")):
        for suffix, view in views:
            n, u, b = (r.get((c, f"{metric}_{when}")) for c in ("native", "upstream" + suffix, "burrow" + suffix))
            print(f"  {label + ', ' + view:40}{number(n, 8)}{number(u, 10)}{number(b, 9)}{ratio(b, u):>17}{ratio(b, n):>15}")

files_table(f"Sequential read of one {size} MiB file, 1 MiB read(2)s, GB/s (10^9 bytes/s; higher is better)", "read")
files_table(f"stat(2) of {files} files of 4 KiB, each its own document, microseconds per file (lower is better)", "stat")
fc, fw, uc = r.get(("floor", "stat_cold")), r.get(("floor", "stat_warm")), r.get(("upstream", "stat_cold"))
if fc is not None:
    print(f"  FUSE floor, /dN/NAME through an empty daemon (bench/fuse-floor.c): cold {fc:.2f}, warm {fw:.2f}"
          + (f"; 0.2x upstream's cold /ID/NAME would be {0.2 * uc:.2f}" if uc else ""))
files_table(f"open + read 4 KiB + close of the same {files} files, microseconds per file (lower is better)", "open")

print(f"\nD-Bus method latency, {calls} sequential calls each after 100 unmeasured, microseconds (lower is better)")
print(f"  {'':30}{'upstream p50':>13}{'p99':>8}{'burrow p50':>12}{'p99':>8}{'ratio p50':>11}{'ratio p99':>11}")
for method, label in (("GetMountPoint", "GetMountPoint"), ("Info", "Info(id)"), ("Lookup", "Lookup(path)"),
                      ("GetId", "bus GetId (the bus's floor)")):
    u50, u99, b50, b99 = (r.get((c, f"{method}_{p}")) for c in ("upstream", "burrow") for p in ("p50", "p99"))
    print(f"  {label:30}{number(u50, 13, 1)}{number(u99, 8, 1)}{number(b50, 12, 1)}{number(b99, 8, 1)}"
          f"{ratio(b50, u50):>11}{ratio(b99, u99):>11}")
print("  (ratio = burrow / upstream xdg-document-portal; below 1 means burrow is faster)")
# Both buses are the same dbus-daemon and the same client, so their floors
# should match; when they do not, the machine changed speed between phases.
floor = r.get(("burrow", "GetId_p50")), r.get(("upstream", "GetId_p50"))
if None not in floor and not 0.8 <= floor[0] / floor[1] <= 1.25:
    print(f"  WARNING: the two buses' floors differ ({floor[0] / floor[1]:.2f}x): the machine's speed changed between"
          " the two phases, so the method ratios are skewed by about as much; rerun")

print("\nTargets (burrow / upstream)")
def target(label, burrow, upstream, ok):
    if burrow is None or not upstream:
        print(f"  {label:48}{'-':>7}  not measured")
        return
    x = burrow / upstream
    print(f"  {label:48}{x:6.2f}x  {'met' if ok(x) else 'MISSED'}")
for suffix, view in views:
    target(f"warm sequential read >= 3x, {view}", r.get(("burrow" + suffix, "read_warm")),
           r.get(("upstream" + suffix, "read_warm")), lambda x: x >= 3)
for when in ("cold", "warm"):
    for suffix, view in views:
        target(f"stat <= 0.2x, {when}, {view}", r.get(("burrow" + suffix, f"stat_{when}")),
               r.get(("upstream" + suffix, f"stat_{when}")), lambda x: x <= 0.2)
for method in ("GetMountPoint", "Info", "Lookup"):
    target(f"method p50 <= 0.6x, {method}", r.get(("burrow", f"{method}_p50")),
           r.get(("upstream", f"{method}_p50")), lambda x: x <= 0.6)

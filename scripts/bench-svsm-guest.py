#!/usr/bin/env python3
"""The guest's side of `make bench-svsm`: SVSM call round trips per second as
husk's test guest sees them on the svm platform under QEMU TCG.

husk-svm.igvm boots with `guest.mode=bench`; the guest (guest/bench.c) times
N calls of each kind with RDTSC, using the TSC frequency husk puts in the
information page, and prints `bench NAME CALLS CALLS_PER_SECOND CYCLES_PER_CALL`
on COM2.  A round trip is the whole path: VMMCALL, #VMEXIT, husk's request
loop and lib/svsm, VMRUN back.  Under TCG nearly all of it is QEMU emulating
the world switch, so these numbers show trends between husk versions on one
machine; they are not a prediction for hardware."""
import argparse
import os
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--smp", default="2")
    args = ap.parse_args()
    launcher = os.path.join(args.build, "host", "tools", "husk-launch")
    image = os.path.join(args.build, "husk-svm.igvm")
    with tempfile.TemporaryDirectory() as d:
        com2 = os.path.join(d, "com2.txt")
        p = subprocess.run([launcher, "--timeout", "300", "--smp", args.smp, "--serial2", "file:" + com2,
                            "--cmdline", "guest.mode=bench", image],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = open(com2, errors="replace").read() if os.path.exists(com2) else ""
    rows = [line.split() for line in out.splitlines() if line.startswith("bench ")]
    if p.returncode != 0 or not rows:
        sys.exit("bench-svsm: the guest's benchmark failed (launcher exit %d)\n%s\n%s" %
                 (p.returncode, p.stdout.decode("utf-8", "replace"), out))
    print("SVSM call round trips seen by the guest (svm platform, QEMU TCG, %s vCPUs; trend only):" % args.smp)
    print("  %-22s %10s %14s %16s" % ("call", "calls", "calls/s", "TSC cycles/call"))
    for _, name, calls, cps, cycles in (r[:5] for r in rows if len(r) >= 5):
        print("  %-22s %10s %14s %16s" % (name, calls, cps, cycles))


if __name__ == "__main__":
    main()

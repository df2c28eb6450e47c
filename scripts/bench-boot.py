#!/usr/bin/env python3
"""make bench-boot: husk's image size, memory in use after boot and boot time
(first instruction at the reset vector to "ready", by the TSC), over several
boots of the production image under QEMU TCG.  TCG timings are for the record
and for trends, not a performance claim about hardware."""
import argparse
import os
import re
import statistics
import subprocess


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--smp", type=int, default=4)
    args = ap.parse_args()
    image = os.path.join(args.build, "husk-native.igvm")
    launcher = os.path.join(args.build, "host", "tools", "husk-launch")
    elf = os.path.join(args.build, "kernel", "husk.elf")
    size = subprocess.run(["size", "-A", elf], stdout=subprocess.PIPE, check=True).stdout.decode()
    sections = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\.\S+)\s+(\d+)", size, re.M)}
    ready, tcg_wall, region = [], [], None
    for _ in range(args.runs):
        import time
        t0 = time.time()
        p = subprocess.run([launcher, "--smp", str(args.smp), image], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=300)
        tcg_wall.append(time.time() - t0)
        out = p.stdout.decode("utf-8", "replace")
        if p.returncode != 0:
            print(out)
            raise SystemExit("boot failed")
        ready.append(float(re.search(r"ready: ([\d.]+) ms after the reset vector", out).group(1)) * 1000)
        region = re.search(r"husk region .*after boot: (.*)", out).group(1)
        selftest = re.search(r"\[\s*([\d.]+)\] crypto self-test", out)
        vcpus = re.search(r"\[\s*([\d.]+)\] vCPUs:", out)
    print("husk boot benchmark (native platform, QEMU TCG, %d vCPUs, %d runs)" % (args.smp, args.runs))
    print("  IGVM file            %8d bytes" % os.path.getsize(image))
    print("  kernel image         %8d bytes text, %d rodata, %d data, %d bss, %d bytes of symbol table"
          % (sections.get(".text", 0), sections.get(".rodata", 0), sections.get(".data", 0),
             sections.get(".bss", 0), sections.get(".ksyms", 0)))
    print("  region use at ready  %s" % region)
    print("  reset -> ready       median %.1f ms (min %.1f, max %.1f)"
          % (statistics.median(ready) / 1000, min(ready) / 1000, max(ready) / 1000))
    print("    of which vCPUs up at %s s, crypto self-tests done at %s s (last run)"
          % (vcpus.group(1), selftest.group(1)))
    print("  whole QEMU process   median %.2f s" % statistics.median(tcg_wall))


if __name__ == "__main__":
    main()

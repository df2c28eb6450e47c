#!/usr/bin/env python3
"""make bench-svsm-host: instructions per SVSM call of husk's part (lib/svsm),
counted by callgrind on the host, for each kind of call.

How the counting works
  * build/host/tools/husk-svsm-bench (tools/svsm-bench/bench.c, host build,
    -O2) runs one kind of call N times through svsm_call against the model
    platform of the unit tests (tests/common/svsm_model.c).  Whatever the
    guest does between calls (rewriting its PVALIDATE list, the page put
    back in the other state) happens outside svsm_call.
  * It runs under `valgrind --tool=callgrind --collect-atstart=no
    --toggle-collect=svsm_call`: only instructions executed while svsm_call
    is on the stack are counted, i.e. svsm_call and everything it calls.
    That total, divided by N, is the "with ops" column.
  * `callgrind_annotate --inclusive=yes` gives each function's inclusive
    count; the platform's ops are the model's functions named
    svsm_model_op_* (read, write, zero, guest_ram, pvalidate, vcpu_start,
    vcpu_stop, vtpm_send: each a separate, non-inlined function, reached
    only through the ops table).  Their inclusive sum, divided by N, is the
    "ops" column, and "husk" = "with ops" - "ops": lib/svsm's own
    instructions per call, the number the target applies to.  "RMP" is the
    inclusive count of svsm_rmp_pvalidate (lib/svsm's RMP model, which the
    svm platform's pvalidate op uses), part of "ops".
  * Each kind runs once before the timed loop (first-use effects, e.g. the
    RMP model's first bitmap block, lazy symbol binding) and the count is
    over all N calls, so one-off costs are spread over N.
  * "host ns" is wall-clock nanoseconds per iteration of the same loop run
    natively (guest-side work between calls included): for trends only.
Limits: these are host (-O2, x86-64 SysV, glibc memcpy/memset) numbers.
The kernel build of lib/svsm uses the same compiler and -O2 but
-mcmodel=kernel, no SSE and lib/libc's byte-loop memcpy/explicit_bzero, so
VTPM_CMD (which wipes the command and response it handled) costs about
three instructions more per wiped byte there; the guest-side numbers (VMEXIT
to VMRUN) are measured separately by the lead's `bench-svsm` target."""
import argparse
import os
import re
import subprocess
import sys
import tempfile

TARGET = 2000  # instructions of husk's part per core-protocol call
CORE_KINDS = {"query", "remap_same", "pval4k_validate", "pval4k_rescind",
              "pval2m_validate", "pval2m_rescind", "spurious"}
QUICK_ITERS = {"pval2m_validate": 20}
LINE_RE = re.compile(r"^\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?(\S.*?):(\S+?)(?:\s+\[.*\])?\s*$")


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.decode("utf-8", "replace")
    if p.returncode != 0:
        sys.exit("bench-svsm: %s failed (exit %d):\n%s" % (" ".join(cmd), p.returncode, out))
    return out


def kinds(bench):
    return [line.split("\t") for line in run([bench, "--list"]).splitlines() if line.strip()]


def parse_calls(out, kind):
    m = re.search(r"^%s\s+calls=(\d+)\s+ns_per_call=([\d.]+)" % re.escape(kind), out, re.M)
    if not m:
        sys.exit("bench-svsm: no result for %s in:\n%s" % (kind, out))
    return int(m.group(1)), float(m.group(2))


def inclusive(cg_out):
    """{function name: inclusive Ir} (the largest entry when a function's
    lines come from several files) and the program total."""
    ann = run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", cg_out])
    total, funcs = None, {}
    for line in ann.splitlines():
        if "PROGRAM TOTALS" in line:
            total = int(line.split()[0].replace(",", ""))
            continue
        m = LINE_RE.match(line)
        if m:
            name, ir = m.group(3), int(m.group(1).replace(",", ""))
            funcs[name] = max(funcs.get(name, 0), ir)
    if total is None:
        sys.exit("bench-svsm: no PROGRAM TOTALS in callgrind_annotate output:\n" + ann)
    return total, funcs


def measure(bench, kind, iters):
    with tempfile.TemporaryDirectory() as tmp:
        cg = os.path.join(tmp, "callgrind.out")
        cmd = ["valgrind", "--tool=callgrind", "--collect-atstart=no",
               "--toggle-collect=svsm_call", "--callgrind-out-file=" + cg, bench, "--kind", kind]
        if iters:
            cmd += ["--iters", str(iters)]
        out = run(cmd)
        calls, _ = parse_calls(out, kind)
        total, funcs = inclusive(cg)
    ops = sum(v for k, v in funcs.items() if k.startswith("svsm_model_op_"))
    rmp = funcs.get("svsm_rmp_pvalidate", 0)
    if "svsm_call" not in funcs:
        sys.exit("bench-svsm: callgrind saw no svsm_call for %s" % kind)
    return calls, total / calls, ops / calls, rmp / calls


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", default="build/host/tools/husk-svsm-bench")
    ap.add_argument("--quick", action="store_true", help="fewer calls per kind")
    ap.add_argument("--kind", action="append", help="only these kinds (repeatable)")
    args = ap.parse_args()
    for tool in ("valgrind", "callgrind_annotate"):
        if subprocess.run(["sh", "-c", "command -v " + tool], stdout=subprocess.DEVNULL).returncode:
            sys.exit("bench-svsm: %s not found (Debian package valgrind; scripts/deps.sh)" % tool)

    native = run([args.bench] + (["--iters", "2000"] if args.quick else []))
    rows, failed = [], []
    for kind, what in kinds(args.bench):
        if args.kind and kind not in args.kind:
            continue
        iters = QUICK_ITERS.get(kind, 1000) if args.quick else None
        calls, with_ops, ops, rmp = measure(args.bench, kind, iters)
        husk = with_ops - ops
        _, ns = parse_calls(native, kind)
        core = kind in CORE_KINDS
        ok = husk < TARGET if core else None
        if ok is False:
            failed.append(kind)
        rows.append((what, calls, husk, ops, rmp, with_ops, ns,
                     ("yes" if ok else "NO") if core else "-"))

    print("husk SVSM calls: instructions per call (callgrind, host -O2 build, model platform)")
    print("target: husk's part of a core-protocol call < %d instructions" % TARGET)
    print()
    hdr = ("call", "calls", "husk", "ops", "(RMP)", "with ops", "host ns", "< target")
    fmt = "%-38s %6s %8s %9s %7s %10s %8s %9s"
    print(fmt % hdr)
    print(fmt % tuple("-" * len(h) for h in hdr))
    for what, calls, husk, ops, rmp, with_ops, ns, ok in rows:
        print(fmt % (what, calls, "%.0f" % husk, "%.0f" % ops, "%.0f" % rmp if rmp else "-",
                     "%.0f" % with_ops, "%.0f" % ns, ok))
    print()
    print("husk = svsm_call and all it calls minus the platform's ops (svsm_model_op_*);")
    print("ops include the model's guest-memory copies (4 KiB for VTPM_CMD's buffer) and zeroing")
    print("(2 MiB for a 2 MiB validate); RMP = the svm platform's RMP model inside the pvalidate op.")
    if failed:
        sys.exit("bench-svsm: over the target: " + ", ".join(failed))


if __name__ == "__main__":
    main()

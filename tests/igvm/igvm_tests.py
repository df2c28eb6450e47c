#!/usr/bin/env python3
"""The `igvm` test level: husk-igvm against independent checks.

  digest/...   husk-igvm measure and tests/igvm/snp_digest.py (a separate
               implementation) agree: husk's images with 1 and 4 vCPUs and
               other launch options, and synthetic files that exercise every
               measurement pitfall (written by this script's own writer)
  tdx/...      the same for the TDX MRTD
  sign/...     ID block: signed by husk-igvm, verified by husk-igvm and by
               snp_digest.py's pure-Python ECDSA, key checked against openssl
  check/...    a corpus of broken files, each rejected with its message
  repro/...    building twice gives the same bytes and digest
  build/...    the builder refuses bad target descriptions; payloads
  dump/...     text and JSON dumps are complete
  boot/...     the three-platform file boots its native part (husk-launch)

Prints PASS/FAIL lines (tests/run.py's record_lines reads them).  With
--write-corpus DIR it also writes the synthetic files as fuzzer seeds."""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import snp_digest  # noqa: E402  (the independent implementation)

FAILED = []


def report(name, ok, detail=""):
    print("%s %s" % ("PASS" if ok else "FAIL", name), flush=True)
    if not ok:
        FAILED.append(name)
        for line in str(detail).rstrip().splitlines()[-30:]:
            print("    " + line)


def run(cmd, timeout=120):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


# ------------------------------------------------ a small IGVM writer of its own

SNP, NATIVE, TDX = 0x1, 0x2, 0x4
PAGE = 4096


class Writer:
    """Headers in the order added; file data after them (no dedup)."""

    def __init__(self):
        self.headers = []   # (type, body bytes, data bytes or None, offset field position)

    def raw(self, htype, body, data=None, off_field=None):
        self.headers.append((htype, bytes(body), data, off_field))
        return self

    def platform(self, mask, ptype, version=1):
        return self.raw(0x001, struct.pack("<IBBHQ", mask, 0, ptype, version, 0))

    def policy(self, policy, mask):
        return self.raw(0x101, struct.pack("<QII", policy, mask, 0))

    def area(self, index, size):
        return self.raw(0x301, struct.pack("<QII", size, index, 0))

    def param(self, htype, index, offset):
        return self.raw(htype, struct.pack("<II", index, offset))

    def insert(self, gpa, mask, index):
        return self.raw(0x303, struct.pack("<QII", gpa, mask, index))

    def page(self, gpa, mask, data=None, flags=0, dtype=0, reserved=0):
        body = struct.pack("<QIIIHH", gpa, mask, 0, flags, dtype, reserved)
        if data is not None:
            size = 0x200000 if flags & 1 else PAGE
            data = bytes(data) + bytes(size - len(data))
        return self.raw(0x302, body, data, 12)

    def vp(self, gpa, mask, vp_index, vmsa):
        body = struct.pack("<QIIHH", gpa, mask, 0, vp_index, 0)
        return self.raw(0x304, body, bytes(vmsa) + bytes(PAGE - len(vmsa)), 12)

    def required(self, gpa, mask, size):
        return self.raw(0x305, struct.pack("<QIIII", gpa, mask, size, 0, 0))

    def build(self, version=1):
        fixed = 24 if version == 1 else 32
        hsize = sum(8 + ((len(b) + 7) & ~7) for (_t, b, _d, _o) in self.headers)
        data_at = fixed + hsize
        out, blobs = bytearray(), bytearray()
        for htype, body, data, off_field in self.headers:
            body = bytearray(body)
            if data is not None:
                struct.pack_into("<I", body, off_field, data_at + len(blobs))
                blobs += data
            out += struct.pack("<II", htype, len(body)) + body + bytes(-len(body) % 8)
        total = data_at + len(blobs)
        head = struct.pack("<6I", 0x4D564749, version, fixed, hsize, total, 0)
        if version == 2:
            head += struct.pack("<II", 0, PAGE)
        crc = zlib.crc32(head + out) & 0xFFFFFFFF
        head = head[:20] + struct.pack("<I", crc) + head[24:]
        return bytes(head + out + blobs)


def refresh_crc(f):
    f = bytearray(f)
    hoff, hsize = struct.unpack_from("<II", f, 8)
    f[20:24] = b"\0\0\0\0"
    crc = zlib.crc32(bytes(f[:24]) + bytes(f[hoff:hoff + hsize])) & 0xFFFFFFFF
    f[20:24] = struct.pack("<I", crc)
    return bytes(f)


def header_offsets(f):
    hoff, hsize = struct.unpack_from("<II", f, 8)
    pos, offs = hoff, []
    while pos < hoff + hsize:
        _t, n = struct.unpack_from("<II", f, pos)
        offs.append(pos)
        pos += 8 + ((n + 7) & ~7)
    return offs


# VMSA images built here field by field (offsets from the reference table).
def vmsa(**fields):
    v = bytearray(PAGE)
    segs = ["es", "cs", "ss", "ds", "fs", "gs", "gdtr", "ldtr", "idtr", "tr"]
    regs = dict(snp_digest.OFF)
    for name, val in fields.items():
        if name in segs:
            struct.pack_into("<HHIQ", v, 16 * segs.index(name), *val)
        elif name == "mxcsr":
            struct.pack_into("<I", v, 0x408, val)
        elif name == "x87_fcw":
            struct.pack_into("<H", v, 0x410, val)
        elif name == "cr2":
            struct.pack_into("<Q", v, 0x240, val)
        else:
            struct.pack_into("<Q", v, regs[name], val)
    return bytes(v)


def long_mode_vmsa(**extra):
    base = dict(cs=(0x18, 0xA9B, 0xFFFFFFFF, 0), ss=(0x10, 0xC93, 0xFFFFFFFF, 0),
                ds=(0x10, 0xC93, 0xFFFFFFFF, 0), es=(0x10, 0xC93, 0xFFFFFFFF, 0),
                cr0=0x80010011, cr3=0x100000, cr4=0x60, efer=0x1D00, rflags=2,
                rip=0xFFFFFFFF80001000, dr6=0xFFFF0FF0, dr7=0x400, g_pat=0x0007040600070406,
                xcr0=1, mxcsr=0x1F80, x87_fcw=0x37F, sev_features=1)
    base.update(extra)
    return vmsa(**base)


def pattern(seed, n=PAGE):
    return bytes((i * 31 + seed * 7 + (i >> 8)) & 0xFF for i in range(n))


# ---------------------------------------------------------- synthetic files

def file_pitfalls():
    """Every measurement pitfall at once, for an SNP+NATIVE file."""
    w = Writer().platform(SNP, 2).platform(NATIVE, 0).policy(0x30000, SNP)
    w.area(0, 3 * PAGE).param(0x307, 0, 0).area(1, PAGE).param(0x30C, 1, 0)
    w.insert(0x80000, SNP | NATIVE, 1)                 # before any page data
    w.page(0x100000, SNP | NATIVE, pattern(1))
    w.page(0x101000, SNP | NATIVE, pattern(2, 100))   # short data, zero-padded
    w.insert(0x90000, SNP, 0)                          # pitfall 3: after page data
    w.page(0x102000, NATIVE, pattern(3))               # other platform: breaks the run
    w.page(0x103000, SNP)                              # pitfall 1: zero page
    w.page(0x104000, SNP)
    w.page(0x105000, SNP, pattern(4), flags=2)         # unmeasured
    w.page(0x106000, SNP, pattern(5), flags=4)         # pitfall 7: shared, measured
    w.page(0x200000, SNP, None, flags=1)               # pitfall 8: 2 MiB of zeros
    w.page(0x400000, SNP, dtype=1)                     # secrets
    w.page(0x401000, SNP, pattern(6, 64), dtype=2)     # CPUID (contents not hashed)
    w.page(0x402000, SNP, pattern(7, 64), dtype=3)     # CPUID_XF
    # pitfall 5: a VMSA KVM rewrites (ET, CD/NW, RFLAGS, SVME, GDTR selector
    # and attributes, TR base from LDTR, CPL from SS.DPL, attribute bits 15:12)
    bsp = long_mode_vmsa(cr0=0xE0010001, rflags=0, efer=0xD00,
                         gdtr=(0x77, 0x12, 0x1FFFF, 0x5000), ldtr=(0, 0x82, 0xFFFF, 0x3000),
                         tr=(0x28, 0xF08B, 0x67, 0x9000), ss=(0x10, 0xCF3, 0xFFFFFFFF, 0),
                         sev_features=0x29)
    ap2 = long_mode_vmsa(rip=0xFFFFFFFF80002000, rdi=2, sev_features=0x1)
    w.vp(0xFFFFFFFFF000, SNP, 0, bsp)
    w.vp(0xFFFFFFFFF000, SNP, 2, ap2)                  # vCPU 1 gets the reset state
    w.page(0x500000, SNP, pattern(8))                  # page data after the VMSAs
    return w.build()


def file_plain():
    """The simplest SNP file: policy, one page, one VMSA, at the end."""
    w = Writer().platform(SNP, 2).policy(0x30000, SNP)
    w.page(0x1000, SNP, pattern(9)).vp(0xFFFFFFFFF000, SNP, 0, long_mode_vmsa())
    return w.build()


def file_v2_no_vmsa():
    """Format version 2, no VP_CONTEXT (every vCPU from the reset state)."""
    w = Writer().platform(SNP, 2).policy(0x30000, SNP)
    for i in range(5):
        w.page(0x10000 + i * PAGE, SNP, pattern(10 + i) if i % 2 else None)
    return w.build(version=2)


def file_tdx():
    w = Writer().platform(TDX, 3).platform(NATIVE, 0)
    w.area(0, 2 * PAGE).param(0x307, 0, 0)
    w.page(0x1000, TDX | NATIVE, pattern(11))
    w.page(0x2000, TDX, pattern(12), flags=2)          # added, not extended
    w.page(0x3000, TDX, pattern(13), flags=4)          # shared: skipped
    w.insert(0x8000, TDX, 0)                           # two pages added
    w.page(0x200000, TDX, None, flags=1)               # 512 zero pages
    w.page(0xFFFFF000, TDX | NATIVE, pattern(14))
    return w.build()


def good_base():
    """A valid file the broken-file corpus mutates."""
    w = Writer().platform(SNP, 2).platform(NATIVE, 0).policy(0x30000, SNP)
    w.area(0, PAGE).param(0x307, 0, 0).insert(0x9000, SNP | NATIVE, 0)
    w.page(0x1000, SNP | NATIVE, pattern(20))          # header #6
    w.page(0x2000, SNP, None)                          # header #7
    w.vp(0xFFFFFFFFF000, SNP, 0, long_mode_vmsa())     # header #8
    return w.build()


def broken_corpus():
    """(name, bytes, expected message substring) - each must be rejected."""
    base = good_base()
    h = header_offsets(base)
    out = []

    def mutate(name, fn, want, crc=True):
        f = bytearray(base)
        fn(f)
        f = refresh_crc(f) if crc else bytes(f)
        out.append((name, bytes(f), want))

    def built(name, w, want, version=1):
        out.append((name, w.build(version), want))

    mutate("bad_magic", lambda f: f.__setitem__(0, ord("H")), "bad magic 0x4d564748", crc=False)
    mutate("bad_version", lambda f: struct.pack_into("<I", f, 4, 3),
           "unsupported format version 3", crc=False)
    mutate("bad_checksum", lambda f: struct.pack_into("<I", f, 20,
                                                      struct.unpack_from("<I", f, 20)[0] ^ 1),
           "bad checksum", crc=False)
    out.append(("truncated", base[:-1], "does not match the file size"))
    out.append(("empty", b"", "too small for the 24-byte fixed header"))
    mutate("header_offset_misaligned", lambda f: struct.pack_into("<I", f, 8, 28),
           "is not 8-byte aligned", crc=False)
    mutate("header_section_beyond_end", lambda f: struct.pack_into("<I", f, 12, len(base)),
           "beyond end of file", crc=False)
    mutate("tlv_overruns_section", lambda f: struct.pack_into("<I", f, h[7] + 4, 0x10000),
           "TLV overruns the variable header section")
    mutate("padding_not_zero", lambda f: f.__setitem__(h[8] + 8 + 21, 1),
           "padding byte at offset")
    mutate("data_beyond_end", lambda f: struct.pack_into("<I", f, h[6] + 8 + 12, len(base) - 100),
           "beyond end of file (size")
    mutate("data_inside_headers", lambda f: struct.pack_into("<I", f, h[6] + 8 + 12, 24),
           "starts inside the headers")
    mutate("gpa_misaligned", lambda f: struct.pack_into("<Q", f, h[7] + 8, 0x2800),
           "GPA 0x2800 is not 4 KiB aligned")
    mutate("unknown_mandatory_type", lambda f: struct.pack_into("<I", f, h[7], 0x3FF),
           "unknown header type 0x3ff is not marked optional")
    mutate("mask_undeclared_platform", lambda f: struct.pack_into("<I", f, h[7] + 8 + 8, SNP | 0x10),
           "names undeclared platforms 0x10")
    mutate("mask_zero", lambda f: struct.pack_into("<I", f, h[7] + 8 + 8, 0), "compatibility mask is 0")
    mutate("page_data_flags", lambda f: struct.pack_into("<I", f, h[7] + 8 + 16, 8),
           "unknown flags 0x8")
    mutate("page_data_reserved", lambda f: f.__setitem__(h[7] + 8 + 0x16, 1),
           "reserved field is 0x1")
    mutate("platform_mask_two_bits", lambda f: struct.pack_into("<I", f, h[0] + 8, 3),
           "must have exactly one bit set")
    mutate("insert_undeclared_area", lambda f: struct.pack_into("<I", f, h[5] + 8 + 12, 5),
           "parameter area 5 is not declared")
    mutate("page_twice_same_platform", lambda f: struct.pack_into("<Q", f, h[7] + 8, 0x1000),
           "GPA 0x1000 of platform SEV_SNP (mask 0x1) is already loaded by header #6 (PAGE_DATA)")
    mutate("vmsa_over_page", lambda f: struct.pack_into("<Q", f, h[8] + 8, 0x2000),
           "header #8 (VP_CONTEXT)")

    built("no_platform", Writer().raw(0x302, struct.pack("<QIIIHH", 0x1000, 1, 0, 0, 0, 0)),
          "names undeclared platforms")
    built("no_headers", Writer(), "no SUPPORTED_PLATFORM header")
    built("platform_after_directive",
          Writer().platform(SNP, 2).page(0x1000, SNP).platform(NATIVE, 0),
          "platform header after the directive section")
    built("policy_after_directive",
          Writer().platform(SNP, 2).page(0x1000, SNP).policy(0x30000, SNP),
          "initialization header after the directive section")
    built("platform_type_twice", Writer().platform(SNP, 2).platform(NATIVE, 2),
          "SEV_SNP declared twice")
    built("vp_context_tdx", Writer().platform(TDX, 3).vp(0, TDX, 0, b"\1"),
          "not allowed for TDX")
    built("secrets_for_native", Writer().platform(NATIVE, 0).page(0x1000, NATIVE, dtype=1),
          "SECRETS/CPUID page data for platform NATIVE")
    built("two_contexts_one_vcpu",
          Writer().platform(SNP, 2).vp(0xFFFFFFFFF000, SNP, 0, long_mode_vmsa())
          .vp(0xFFFFFFFFE000, SNP, 0, long_mode_vmsa()),
          "second context for vCPU 0 of platform SEV_SNP")
    built("two_policies", Writer().platform(SNP, 2).policy(0x30000, SNP).policy(0x30000, SNP),
          "second GUEST_POLICY for platform SEV_SNP")
    built("policy_for_native", Writer().platform(NATIVE, 0).policy(0x30000, NATIVE),
          "guest policy for platform NATIVE")
    built("parameter_after_insert",
          Writer().platform(SNP, 2).area(0, PAGE).insert(0x1000, SNP, 0).param(0x307, 0, 0),
          "is used after its PARAMETER_INSERT")
    built("parameter_outside_area", Writer().platform(SNP, 2).area(0, PAGE).param(0x307, 0, PAGE - 2),
          "beyond parameter area 0")
    built("area_not_page_multiple", Writer().platform(SNP, 2).area(0, 100),
          "is not a non-zero multiple of 4 KiB")
    built("area_too_large", Writer().platform(SNP, 2).area(0, 1 << 40),
          "larger than husk's limit")
    built("area_declared_twice", Writer().platform(SNP, 2).area(0, PAGE).area(0, PAGE),
          "parameter area 0 declared twice")
    built("insert_twice", Writer().platform(SNP, 2).area(0, PAGE).insert(0x1000, SNP, 0)
          .insert(0x3000, SNP, 0), "parameter area 0 was already inserted")
    built("platform_version", Writer().platform(SNP, 2, version=2), "platform version 2")
    return out


def synthetic_valid():
    """Valid files: must pass check (and are fuzzer seeds)."""
    opt = Writer().platform(NATIVE, 0).raw(0x800003FE, b"\1\2\3").page(0x1000, NATIVE)
    return [("pitfalls.igvm", file_pitfalls()), ("plain.igvm", file_plain()),
            ("v2_no_vmsa.igvm", file_v2_no_vmsa()), ("tdx.igvm", file_tdx()),
            ("good_base.igvm", good_base()), ("optional_unknown.igvm", opt.build())]


# ----------------------------------------------------------------- the tests

class Ctx:
    pass


def c_digest(ctx, path, opts, tdx=False):
    cmd = [ctx.tool, "measure", "--quiet"] + (["--tdx"] if tdx else []) + opts + [path]
    rc, out, err = run(cmd)
    return (out.strip() if rc == 0 else None), err


def py_digest(path, opts, tdx=False):
    cmd = [sys.executable, os.path.join(HERE, "snp_digest.py")] + (["--tdx"] if tdx else []) + opts + [path]
    rc, out, err = run(cmd)
    return (out.strip() if rc == 0 else None), err


def compare(ctx, name, path, opts, tdx=False):
    c, cerr = c_digest(ctx, path, opts, tdx)
    p, perr = py_digest(path, opts, tdx)
    ok = c is not None and c == p and len(c) == 96
    report(name, ok, "husk-igvm: %s %s\nsnp_digest.py: %s %s" % (c, cerr, p, perr))
    return c


def test_digests(ctx):
    snp = os.path.join(ctx.build, "husk-snp.igvm")
    multi = os.path.join(ctx.build, "husk-multi.igvm")
    d1 = compare(ctx, "digest/husk-snp/1-vcpu", snp, ["--vcpus", "1"])
    d4 = compare(ctx, "digest/husk-snp/4-vcpus", snp, ["--vcpus", "4"])
    report("digest/husk-snp/1-and-4-differ", d1 is not None and d1 != d4)
    compare(ctx, "digest/husk-snp/4-vcpus-milan", snp, ["--vcpus", "4", "--vcpu-sig", "0xa00f11"])
    compare(ctx, "digest/husk-snp/4-vcpus-no-ap-vmsa", snp, ["--vcpus", "4", "--ap-vmsa", "none"])
    compare(ctx, "digest/husk-snp/sev-features-0x29", snp, ["--vcpus", "2", "--sev-features", "0x29"])
    compare(ctx, "digest/husk-snp/no-host-mce", snp, ["--no-host-mce"])
    compare(ctx, "digest/husk-multi/1-vcpu", multi, ["--vcpus", "1"])
    compare(ctx, "digest/husk-multi/2-vcpus", multi, ["--vcpus", "2"])
    rc, out, err = run([ctx.tool, "measure", "--check-kvm", "--quiet", "--vcpus", "4", snp])
    report("digest/husk-snp/check-kvm-clean", rc == 0 and not err.strip(), out + err)
    # --vcpu-type names map to their signatures.
    a, _ = c_digest(ctx, snp, ["--vcpus", "2", "--vcpu-type", "EPYC-Milan-v2"])
    b, _ = c_digest(ctx, snp, ["--vcpus", "2", "--vcpu-sig", "0xa00f11"])
    report("digest/vcpu-type-name", a is not None and a == b, "%s %s" % (a, b))

    files = dict(synthetic_valid())
    for name in ("pitfalls.igvm", "plain.igvm", "v2_no_vmsa.igvm"):
        path = os.path.join(ctx.tmp, name)
        with open(path, "wb") as f:
            f.write(files[name])
    pit = os.path.join(ctx.tmp, "pitfalls.igvm")
    compare(ctx, "digest/pitfalls/3-vcpus", pit, ["--vcpus", "3"])
    compare(ctx, "digest/pitfalls/3-vcpus-features-1", pit, ["--vcpus", "3", "--sev-features", "1"])
    compare(ctx, "digest/pitfalls/5-vcpus-no-ap", pit, ["--vcpus", "5", "--ap-vmsa", "none"])
    compare(ctx, "digest/plain/1-vcpu", os.path.join(ctx.tmp, "plain.igvm"), [])
    compare(ctx, "digest/v2-no-vmsa/2-vcpus", os.path.join(ctx.tmp, "v2_no_vmsa.igvm"), ["--vcpus", "2"])
    # The pitfall file is exactly what --check-kvm is for.
    rc, out, err = run([ctx.tool, "measure", "--check-kvm", "--vcpus", "3", pit])
    want = ["PARAMETER_INSERT right after page data", "SHARED page data", "2 MiB page data",
            "KVM measures a different VMSA", "page data after a VP_CONTEXT", "has 3 pages"]
    missing = [s for s in want if s not in err]
    report("digest/pitfalls/check-kvm-flags-each", rc == 1 and not missing,
           "exit %d, missing %s\n%s" % (rc, missing, err))
    # A context for a vCPU the launch does not have is refused by both.
    rc, _, err = run([ctx.tool, "measure", "--vcpus", "2", pit])
    report("digest/pitfalls/vcpu-out-of-range", rc == 1 and "VP context for vCPU 2" in err, err)


def test_tdx(ctx):
    path = os.path.join(ctx.tmp, "tdx.igvm")
    with open(path, "wb") as f:
        f.write(file_tdx())
    compare(ctx, "tdx/synthetic", path, [], tdx=True)
    compare(ctx, "tdx/husk-tdx", os.path.join(ctx.build, "husk-tdx.igvm"), [], tdx=True)
    compare(ctx, "tdx/husk-multi", os.path.join(ctx.build, "husk-multi.igvm"), [], tdx=True)


def openssl_pub(key):
    """X and Y of a PEM key's public point, via openssl (big-endian)."""
    p = subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode or len(p.stdout) < 97:
        return None
    point = p.stdout[-97:]
    return point[1:49], point[49:97]


def test_sign(ctx):
    snp = os.path.join(ctx.build, "husk-snp.igvm")
    idk, ak = os.path.join(ctx.tmp, "id.pem"), os.path.join(ctx.tmp, "author.pem")
    rc1, _, e1 = run(["openssl", "ecparam", "-name", "secp384r1", "-genkey", "-out", idk])
    rc2, _, e2 = run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                      "ec_paramgen_curve:P-384", "-out", ak])
    if rc1 or rc2:
        report("sign/openssl-keys", False, e1 + e2)
        return
    signed = os.path.join(ctx.tmp, "signed.igvm")
    args = ["--key", idk, "--author-key", ak, "--family-id", "00112233445566778899aabbccddeeff",
            "--image-id", "ffeeddccbbaa99887766554433221100", "--guest-svn", "7", "--vcpus", "4"]
    rc, out, err = run([ctx.tool, "sign"] + args + ["-o", signed, snp])
    report("sign/sign", rc == 0, out + err)
    if rc:
        return
    again = os.path.join(ctx.tmp, "signed2.igvm")
    run([ctx.tool, "sign"] + args + ["-o", again, snp])
    report("sign/deterministic", open(signed, "rb").read() == open(again, "rb").read())
    rc, out, err = run([ctx.tool, "measure", "--vcpus", "4", signed])
    report("sign/measure-verifies", rc == 0 and "ID block: verified" in out, out + err)
    rc, out, err = run([ctx.tool, "measure", "--vcpus", "1", signed])
    report("sign/measure-rejects-other-vcpu-count",
           rc == 1 and "launch digest differs from the measurement" in err, out + err)
    a, _ = c_digest(ctx, snp, ["--vcpus", "4"])
    b, _ = c_digest(ctx, signed, ["--vcpus", "4"])
    report("sign/digest-unchanged", a is not None and a == b)
    rc, out, err = run([sys.executable, os.path.join(HERE, "snp_digest.py"), "--json",
                        "--vcpus", "4", signed])
    try:
        res = json.loads(out)["id_block"]
        ok = res["ld_matches"] and res["signature_valid"] and res["author_signature_valid"]
    except (ValueError, KeyError) as e:
        ok, res = False, "%s %s" % (e, err)
    report("sign/python-ecdsa-verifies", ok, res)
    # The key in the file is the key openssl derives from the PEM.
    with open(signed, "rb") as f:
        data = f.read()
    ig = snp_digest.Igvm(data)
    body = [h for h in ig.headers if h.type == 0x30B][0].body
    qx, qy = body[0x100:0x100 + 48], body[0x100 + 72:0x100 + 120]
    pub = openssl_pub(idk)
    report("sign/id-key-matches-openssl", pub is not None and pub == (qx[::-1], qy[::-1]))
    # A tampered signature is caught by both implementations.
    bad = bytearray(data)
    sig_at = data.index(body) + 0x68
    bad[sig_at] ^= 1
    badp = os.path.join(ctx.tmp, "bad-sig.igvm")
    with open(badp, "wb") as f:
        f.write(refresh_crc(bad))
    rc, out, err = run([ctx.tool, "measure", "--vcpus", "4", badp])
    rcp, outp, _ = run([sys.executable, os.path.join(HERE, "snp_digest.py"), "--json",
                        "--vcpus", "4", badp])
    pyres = json.loads(outp)["id_block"] if rcp == 0 else {}
    report("sign/tampered-signature-rejected",
           rc == 1 and "signature does not verify" in err and not pyres.get("signature_valid", True),
           out + err)
    rc, out, err = run([ctx.tool, "check", signed])
    report("sign/signed-file-checks", rc == 0, out + err)
    # Keys the tool must refuse.
    p256 = os.path.join(ctx.tmp, "p256.pem")
    run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-out", p256])
    rc, out, err = run([ctx.tool, "sign", "--key", p256, "-o", again, snp])
    report("sign/refuses-p256", rc != 0 and "P-384" in err, out + err)


def test_check(ctx):
    for name, data, want in broken_corpus():
        path = os.path.join(ctx.tmp, "broken-" + name + ".igvm")
        with open(path, "wb") as f:
            f.write(data)
        rc, out, err = run([ctx.tool, "check", path])
        ok = rc == 1 and want in err and err.startswith(path + ": ")
        report("check/" + name, ok, "exit %d, want '%s'\n%s%s" % (rc, want, out, err))
    for name, data in synthetic_valid():
        path = os.path.join(ctx.tmp, "valid-" + name)
        with open(path, "wb") as f:
            f.write(data)
        rc, out, err = run([ctx.tool, "check", path])
        report("check/valid-" + name, rc == 0 and ": ok (" in out, out + err)
    for t in ctx.targets:
        path = os.path.join(ctx.build, "husk-%s.igvm" % t)
        rc, out, err = run([ctx.tool, "check", path])
        report("check/husk-%s" % t, rc == 0, out + err)


def build_target(ctx, conf, out):
    return run([ctx.tool, "build", "--config", conf, "--kernel", ctx.kernel,
                "--version", ctx.version, "-o", out])


def test_repro(ctx):
    for t in ("snp", "multi"):
        ref = os.path.join(ctx.build, "husk-%s.igvm" % t)
        outs = []
        for i in range(2):
            out = os.path.join(ctx.tmp, "repro-%s-%d.igvm" % (t, i))
            rc, o, e = build_target(ctx, os.path.join("configs", t + ".conf"), out)
            outs.append(open(out, "rb").read() if rc == 0 else None)
        same = outs[0] is not None and outs[0] == outs[1] == open(ref, "rb").read()
        report("repro/husk-%s-bytes" % t, same)
        d = [c_digest(ctx, os.path.join(ctx.tmp, "repro-%s-%d.igvm" % (t, i)), ["--vcpus", "4"])[0]
             for i in range(2)]
        report("repro/husk-%s-digest" % t, d[0] is not None and d[0] == d[1])


def test_build(ctx):
    bad = {
        "native_and_svm": ("platforms = native, svm\n", "cannot share a file"),
        "unknown_platform": ("platforms = sgx\n", "unknown platform 'sgx'"),
        "policy_bit17": ("platforms = snp\nsnp.policy = 0x10000\nsnp.cpuid_gpa = 0xffe000\n"
                         "snp.secrets_gpa = 0xfff000\n", "bit 17 must be 1"),
        "features_no_snp": ("platforms = snp\nsnp.sev_features = 0x20\nsnp.cpuid_gpa = 0xffe000\n"
                            "snp.secrets_gpa = 0xfff000\n", "SNPActive"),
        "secrets_in_region": ("platforms = snp\nsnp.cpuid_gpa = 0xffe000\n"
                              "snp.secrets_gpa = 0x1000000\n", "outside husk's region"),
        "unknown_key": ("platforms = native\nfoo = 1\n", "unknown key 'foo'"),
    }
    head = "name = t\nregion_base = 0x1000000\nregion_size = 0x800000\n"
    for name, (text, want) in bad.items():
        conf = os.path.join(ctx.tmp, name + ".conf")
        with open(conf, "w") as f:
            f.write(head + text)
        rc, out, err = build_target(ctx, conf, os.path.join(ctx.tmp, name + ".igvm"))
        report("build/refuses-" + name, rc != 0 and want in err, out + err)
    # A payload: loaded for every platform, measured, and in place.
    payload = os.path.join(ctx.tmp, "payload.bin")
    with open(payload, "wb") as f:
        f.write(pattern(42, 3 * PAGE + 10))
    conf = os.path.join(ctx.tmp, "payload.conf")
    with open(conf, "w") as f:
        f.write(head + "platforms = snp, native\ncommand_line = no\nsnp.cpuid_gpa = 0xffe000\n"
                "snp.secrets_gpa = 0xfff000\npayload = payload.bin\npayload_gpa = 0x2000000\n")
    out = os.path.join(ctx.tmp, "payload.igvm")
    rc, o, e = build_target(ctx, conf, out)
    ok = rc == 0
    if ok:
        ig = snp_digest.Igvm(open(out, "rb").read())
        pages = {}
        for h in ig.headers:
            if h.type == 0x302:
                gpa, mask, foff, _fl, _dt = snp_digest.page_data(h)
                if 0x2000000 <= gpa < 0x2004000:
                    pages[gpa] = (mask, ig.blob(foff, PAGE))
        want = pattern(42, 3 * PAGE + 10) + bytes(PAGE - 10)
        ok = (sorted(pages) == [0x2000000 + i * PAGE for i in range(4)] and
              all(m == SNP | NATIVE for m, _ in pages.values()) and
              b"".join(pages[g][1] for g in sorted(pages)) == want)
    report("build/payload-pages", ok, o + e)
    if rc == 0:
        compare(ctx, "build/payload-digest", out, ["--vcpus", "2"])


def test_dump(ctx):
    path = os.path.join(ctx.build, "husk-multi.igvm")
    ig = snp_digest.Igvm(open(path, "rb").read())
    rc, out, err = run([ctx.tool, "dump", "--json", path])
    try:
        doc = json.loads(out)
        ok = (rc == 0 and len(doc["headers"]) == len(ig.headers) == doc["header_count"] and
              [h["raw_type"] for h in doc["headers"]] ==
              ["0x%x" % h.type for h in ig.headers])
        vps = [h for h in doc["headers"] if h["type"] == "VP_CONTEXT"]
        ok = ok and len(vps) == 1 and vps[0]["vmsa"]["efer"] == "0x1d00"
    except (ValueError, KeyError) as e:
        ok, err = False, "%s\n%s" % (e, err)
    report("dump/json-every-header", ok, err)
    rc, out, err = run([ctx.tool, "dump", path])
    lines = [l for l in out.splitlines() if l.startswith("#")]
    report("dump/text-every-header", rc == 0 and len(lines) == len(ig.headers), err)
    rc, out, err = run([ctx.tool, "dump", os.path.join(ctx.tmp, "broken-bad_magic.igvm")])
    report("dump/refuses-invalid", rc == 1 and "bad magic" in err, out + err)


def test_boot(ctx):
    rc, out, err = run([ctx.launcher, "--smp", "2", "--timeout", "120",
                        os.path.join(ctx.build, "husk-multi.igvm")], timeout=200)
    text = out + err
    ok = rc == 0 and "booting on platform native" in text and " multi'" in text
    report("boot/multi-platform-file-native-part", ok, text)


def write_corpus(d):
    os.makedirs(d, exist_ok=True)
    for name, data in synthetic_valid():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--write-corpus", help="write the synthetic files here and exit")
    ap.add_argument("--no-boot", action="store_true")
    args = ap.parse_args()
    if args.write_corpus:
        write_corpus(args.write_corpus)
        return 0
    ctx = Ctx()
    ctx.build = args.build
    ctx.tool = os.path.join(args.build, "host", "tools", "husk-igvm")
    ctx.launcher = os.path.join(args.build, "host", "tools", "husk-launch")
    ctx.kernel = os.path.join(args.build, "kernel", "husk.elf")
    ctx.targets = ("native", "svm", "snp", "tdx", "multi")
    with open(os.path.join(args.build, "version.txt")) as f:
        ctx.version = f.read().strip()
    ctx.tmp = tempfile.mkdtemp(prefix="husk-igvm-tests.")
    try:
        test_check(ctx)
        test_digests(ctx)
        test_tdx(ctx)
        test_sign(ctx)
        test_repro(ctx)
        test_build(ctx)
        test_dump(ctx)
        if not args.no_boot:
            test_boot(ctx)
    finally:
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())

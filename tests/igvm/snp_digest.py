#!/usr/bin/env python3
"""Independent SEV-SNP launch digest (and TDX MRTD) of an IGVM file.

A second implementation of what `husk-igvm measure` computes, written
separately from the reference notes (svsm-snp-igvm.md sections 6.3, 7, 8, 9
and snp-measurement-pitfalls.md) and sharing no code with the C tool: its own
IGVM parser, its own PAGE_INFO chain, its own VMSA model, and a pure-Python
ECDSA P-384 verifier for the SNP ID block.  Standard library only.

The host model (KVM/QEMU loading the file):
  * directives in file order, only those whose mask has the SEV_SNP bit;
  * consecutive PAGE_DATA headers with equal flags/type/mask, contiguous GPAs
    and all-with or all-without data form one run, handed over lazily: a
    PARAMETER_INSERT is measured before a run still pending;
  * PAGE_DATA: NORMAL (data, or a page of zeros), UNMEASURED flag ->
    UNMEASURED, SECRETS, CPUID (both types); SHARED is ignored; 2 MiB = 512
    pages of 4 KiB;
  * PARAMETER_INSERT: every page of the area UNMEASURED;
  * after everything: one VMSA per vCPU at GPA 0xFFFFFFFFF000, the file's
    (rebuilt the way KVM rebuilds it) or the x86 reset state;
  * SEV_FEATURES of vCPU 0 for every vCPU.

Usage: snp_digest.py FILE [--vcpus N] [--sev-features X] [--vcpu-sig X]
                          [--ap-vmsa reset|none] [--no-host-mce] [--tdx]
                          [--trace] [--json]
"""
import argparse
import hashlib
import json
import struct
import sys
import zlib

PAGE = 4096
VMSA_GPA = 0xFFFFFFFFF000

# PAGE_INFO page types
NORMAL, VMSA, ZERO, UNMEASURED, SECRETS, CPUID = 1, 2, 3, 4, 5, 6
TYPE_NAMES = {1: "NORMAL", 2: "VMSA", 3: "ZERO", 4: "UNMEASURED", 5: "SECRETS", 6: "CPUID"}

# IGVM header types used here
T_PLATFORM, T_POLICY = 0x001, 0x101
T_PARAM_AREA, T_PAGE_DATA, T_PARAM_INSERT, T_VP_CONTEXT = 0x301, 0x302, 0x303, 0x304
T_ID_BLOCK = 0x30B
PLAT_SNP, PLAT_TDX = 2, 3
F_2MB, F_UNMEASURED, F_SHARED = 1, 2, 4
D_NORMAL, D_SECRETS, D_CPUID, D_CPUID_XF = 0, 1, 2, 3


class IgvmError(Exception):
    pass


# ----------------------------------------------------------------- parser

class Header:
    def __init__(self, index, htype, body):
        self.index = index
        self.type = htype & 0x7FFFFFFF
        self.body = body


class Igvm:
    """Just enough of the format to measure: framing, checksum, headers."""

    def __init__(self, data):
        if len(data) < 24:
            raise IgvmError("shorter than the fixed header")
        magic, version, hoff, hsize, total, crc = struct.unpack_from("<6I", data, 0)
        if magic != 0x4D564749:
            raise IgvmError("bad magic")
        if version not in (1, 2):
            raise IgvmError("unknown format version %d" % version)
        fixed = 24 if version == 1 else 32
        if total != len(data) or hoff + hsize > len(data) or hoff < fixed:
            raise IgvmError("sizes do not match the file")
        head = bytearray(data[:fixed])
        head[20:24] = b"\0\0\0\0"
        if zlib.crc32(bytes(head) + data[hoff:hoff + hsize]) & 0xFFFFFFFF != crc:
            raise IgvmError("checksum mismatch")
        self.data = data
        self.headers = []
        pos, end = hoff, hoff + hsize
        while pos < end:
            htype, hlen = struct.unpack_from("<II", data, pos)
            if pos + 8 + hlen > end:
                raise IgvmError("header overruns the header section")
            self.headers.append(Header(len(self.headers), htype, data[pos + 8:pos + 8 + hlen]))
            pos += 8 + ((hlen + 7) & ~7)
        self.platforms = {}  # mask -> platform type
        for h in self.headers:
            if h.type == T_PLATFORM:
                mask, _vtl, ptype = struct.unpack_from("<IBB", h.body, 0)
                self.platforms[mask] = ptype
        self.areas = {}
        for h in self.headers:
            if h.type == T_PARAM_AREA:
                size, idx, _off = struct.unpack_from("<QII", h.body, 0)
                self.areas[idx] = size

    def mask_of(self, ptype):
        for mask, t in self.platforms.items():
            if t == ptype:
                return mask
        raise IgvmError("no platform of type %d in the file" % ptype)

    def blob(self, offset, size):
        if offset == 0:
            return None
        if offset + size > len(self.data):
            raise IgvmError("file data beyond the end")
        return self.data[offset:offset + size]


def page_data(h):
    gpa, mask, foff, flags, dtype = struct.unpack_from("<QIIIH", h.body, 0)
    return gpa, mask, foff, flags, dtype


# ------------------------------------------------------------ SNP digest

def sha384(b):
    return hashlib.sha384(b).digest()


class Chain:
    def __init__(self, trace=False):
        self.ld = bytes(48)
        self.trace = trace
        self.count = {}

    def add(self, ptype, gpa, page=None):
        if ptype in (NORMAL, VMSA):
            contents = sha384(page if page is not None else bytes(PAGE))
        else:
            contents = bytes(48)
        # PAGE_INFO: digest_cur, contents, length 0x70, type, imi 0,
        # four zero permission/reserved bytes, GPA.
        info = self.ld + contents + struct.pack("<HBB4xQ", 0x70, ptype, 0, gpa)
        assert len(info) == 0x70
        self.ld = sha384(info)
        self.count[ptype] = self.count.get(ptype, 0) + 1
        if self.trace:
            sys.stderr.write("%-10s gpa 0x%012x contents %s digest %s\n"
                             % (TYPE_NAMES[ptype], gpa, contents.hex(), self.ld.hex()))


# VMSA offsets (APM save area, reference section 6.3)
SEGS = ["es", "cs", "ss", "ds", "fs", "gs", "gdtr", "ldtr", "idtr", "tr"]
OFF = {
    "efer": 0xD0, "cr4": 0x148, "cr3": 0x150, "cr0": 0x158, "dr7": 0x160, "dr6": 0x168,
    "rflags": 0x170, "rip": 0x178, "rsp": 0x1D8, "rax": 0x1F8, "g_pat": 0x268,
    "rcx": 0x308, "rdx": 0x310, "rbx": 0x318, "rbp": 0x328, "rsi": 0x330, "rdi": 0x338,
    "r8": 0x340, "r9": 0x348, "r10": 0x350, "r11": 0x358, "r12": 0x360, "r13": 0x368,
    "r14": 0x370, "r15": 0x378, "sev_features": 0x3B0, "xcr0": 0x3E8,
}
CPL_OFF = 0xCB
MXCSR_OFF, FCW_OFF = 0x408, 0x410


def u64(b, off):
    return struct.unpack_from("<Q", b, off)[0]


def seg_get(b, i):
    return struct.unpack_from("<HHIQ", b, 16 * i)


def seg_put(b, i, sel, attr, limit, base):
    struct.pack_into("<HHIQ", b, 16 * i, sel, attr, limit, base)


def qemu_fields():
    """Byte ranges QEMU copies from an IGVM VMSA into the vCPU."""
    ranges = [(0, 0xA0)]  # the ten segment registers
    ranges += [(o, 8) for o in OFF.values()]
    ranges += [(MXCSR_OFF, 4), (FCW_OFF, 2)]
    return ranges


def kvm_vmsa(src, features, host_mce):
    """What KVM measures for a vCPU QEMU set up from VMSA src."""
    covered = bytearray(PAGE)
    for off, n in qemu_fields():
        covered[off:off + n] = b"\1" * n
    for i in range(PAGE):
        if src[i] and not covered[i]:
            raise IgvmError("VMSA byte 0x%x is set but QEMU cannot pass it on" % i)
    get = lambda name: u64(src, OFF[name])
    if get("dr7") & ~0x400:
        raise IgvmError("DR7 with debug bits")
    if not get("xcr0") & 1:
        raise IgvmError("XCR0 without x87")
    out = bytearray(PAGE)
    for i, name in enumerate(SEGS):
        sel, attr, limit, base = seg_get(src, i)
        if name in ("gdtr", "idtr"):
            seg_put(out, i, 0, 0, limit & 0xFFFF, base)  # KVM keeps base and limit only
        elif name == "tr":
            ldtr_base = seg_get(src, SEGS.index("ldtr"))[3]
            seg_put(out, i, sel, attr & 0xFFF, limit, ldtr_base)  # QEMU: TR base := LDTR base
        else:
            seg_put(out, i, sel, attr & 0xFFF, limit, base)
    ss_attr = seg_get(src, SEGS.index("ss"))[1]
    out[CPL_OFF] = (ss_attr >> 5) & 3
    for name, off in OFF.items():
        struct.pack_into("<Q", out, off, get(name))
    put = lambda name, v: struct.pack_into("<Q", out, OFF[name], v)
    put("efer", get("efer") | 0x1000)                       # SVME
    put("cr0", (get("cr0") | 0x10) & ~(0x60000000))         # +ET, -CD -NW
    put("cr4", get("cr4") | (0x40 if host_mce else 0))      # host MCE
    put("rflags", get("rflags") | 2)
    put("sev_features", features)
    out[MXCSR_OFF:MXCSR_OFF + 4] = src[MXCSR_OFF:MXCSR_OFF + 4]
    out[FCW_OFF:FCW_OFF + 2] = src[FCW_OFF:FCW_OFF + 2]
    return bytes(out)


def reset_vmsa(sig, features, host_mce):
    """x86 reset state, as QEMU sets it and KVM encrypts it."""
    v = bytearray(PAGE)
    for i, name in enumerate(SEGS):
        if name == "cs":
            seg_put(v, i, 0xF000, 0x9B, 0xFFFF, 0xFFFF0000)
        elif name in ("gdtr", "idtr"):
            seg_put(v, i, 0, 0, 0xFFFF, 0)
        elif name == "ldtr":
            seg_put(v, i, 0, 0x82, 0xFFFF, 0)
        elif name == "tr":
            seg_put(v, i, 0, 0x8B, 0xFFFF, 0)
        else:
            seg_put(v, i, 0, 0x93, 0xFFFF, 0)
    vals = {"efer": 0x1000, "cr4": 0x40 if host_mce else 0, "cr0": 0x10, "dr7": 0x400,
            "dr6": 0xFFFF0FF0, "rflags": 2, "rip": 0xFFF0, "g_pat": 0x0007040600070406,
            "rdx": sig, "sev_features": features, "xcr0": 1}
    for name, val in vals.items():
        struct.pack_into("<Q", v, OFF[name], val)
    struct.pack_into("<I", v, MXCSR_OFF, 0x1F80)
    struct.pack_into("<H", v, FCW_OFF, 0x37F)
    return bytes(v)


def snp_digest(ig, vcpus=1, sev_features=None, vcpu_sig=0x800F12, ap_vmsa="reset",
               host_mce=True, trace=False):
    mask = ig.mask_of(PLAT_SNP)
    chain = Chain(trace)
    pending = []      # (header index, gpa, flags, dtype, mask, data) of the open run
    contexts = {}
    policy = None
    id_block = None

    def run_type(flags, dtype):
        if dtype == D_SECRETS:
            return SECRETS
        if dtype in (D_CPUID, D_CPUID_XF):
            return CPUID
        return UNMEASURED if flags & F_UNMEASURED else NORMAL

    def flush():
        for (_i, gpa, flags, dtype, _m, data) in pending:
            size = 0x200000 if flags & F_2MB else PAGE
            for off in range(0, size, PAGE):
                chain.add(run_type(flags, dtype), gpa + off,
                          None if data is None else data[off:off + PAGE])
        pending.clear()

    for h in ig.headers:
        if h.type == T_POLICY:
            pol, pmask = struct.unpack_from("<QI", h.body, 0)
            if pmask & mask:
                policy = pol
        elif h.type == T_PAGE_DATA:
            gpa, pmask, foff, flags, dtype = page_data(h)
            if not pmask & mask:
                continue
            size = 0x200000 if flags & F_2MB else PAGE
            data = ig.blob(foff, size)
            if pending:
                li, lgpa, lflags, ltype, lmask, ldata = pending[-1]
                lsize = 0x200000 if lflags & F_2MB else PAGE
                same = (li + 1 == h.index and lflags == flags and ltype == dtype and
                        lmask == pmask and (ldata is None) == (data is None) and
                        lgpa + lsize == gpa)
                if not same:
                    flush()
            pending.append((h.index, gpa, flags, dtype, pmask, data))
        elif h.type == T_PARAM_INSERT:
            gpa, pmask, idx = struct.unpack_from("<QII", h.body, 0)
            if not pmask & mask:
                continue
            for off in range(0, ig.areas[idx], PAGE):
                chain.add(UNMEASURED, gpa + off)
        elif h.type == T_VP_CONTEXT:
            gpa, pmask, foff, vp = struct.unpack_from("<QIIH", h.body, 0)
            if not pmask & mask:
                continue
            if vp >= vcpus:
                raise IgvmError("context for vCPU %d of %d" % (vp, vcpus))
            contexts[vp] = ig.blob(foff, PAGE)
        elif h.type == T_ID_BLOCK:
            if struct.unpack_from("<I", h.body, 0)[0] & mask:
                id_block = h.body
    flush()

    features = 1
    if 0 in contexts:
        features = u64(contexts[0], OFF["sev_features"])
    if sev_features is not None:
        features = sev_features
    for cpu in range(vcpus):
        if cpu in contexts:
            chain.add(VMSA, VMSA_GPA, kvm_vmsa(contexts[cpu], features, host_mce))
        elif ap_vmsa == "reset":
            chain.add(VMSA, VMSA_GPA, reset_vmsa(vcpu_sig, features, host_mce))
    return chain, policy, id_block


# ------------------------------------------------------------ TDX MRTD

def tdx_mrtd(ig):
    mask = ig.mask_of(PLAT_TDX)
    h384 = hashlib.sha384()

    def record(tag, gpa):
        return tag.ljust(16, b"\0") + struct.pack("<Q", gpa) + bytes(104)

    def add(gpa, page, measured):
        h384.update(record(b"MEM.PAGE.ADD", gpa))
        if measured:
            page = page if page is not None else bytes(PAGE)
            for off in range(0, PAGE, 256):
                h384.update(record(b"MR.EXTEND", gpa + off))
                h384.update(page[off:off + 256])

    for h in ig.headers:
        if h.type == T_PAGE_DATA:
            gpa, pmask, foff, flags, _dtype = page_data(h)
            if not pmask & mask or flags & F_SHARED:
                continue
            size = 0x200000 if flags & F_2MB else PAGE
            data = ig.blob(foff, size)
            for off in range(0, size, PAGE):
                add(gpa + off, None if data is None else data[off:off + PAGE],
                    not flags & F_UNMEASURED)
        elif h.type == T_PARAM_INSERT:
            gpa, pmask, idx = struct.unpack_from("<QII", h.body, 0)
            if pmask & mask:
                for off in range(0, ig.areas[idx], PAGE):
                    add(gpa + off, None, False)
    return h384.digest()


# ------------------------------------------------- ECDSA P-384 (verify only)

P = 2**384 - 2**128 - 2**96 + 2**32 - 1
N = 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973
B = 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef
G = (0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7,
     0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f)


def on_curve(pt):
    x, y = pt
    return (y * y - (x * x * x - 3 * x + B)) % P == 0


def ec_add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0]:
        if (a[1] + b[1]) % P == 0:
            return None
        lam = (3 * a[0] * a[0] - 3) * pow(2 * a[1], -1, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], -1, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return (x, (lam * (a[0] - x) - a[1]) % P)


def ec_mul(k, pt):
    acc = None
    while k:
        if k & 1:
            acc = ec_add(acc, pt)
        pt = ec_add(pt, pt)
        k >>= 1
    return acc


def ecdsa_verify(qx, qy, msg, r, s):
    q = (qx, qy)
    if not (0 < qx < P and 0 < qy < P and on_curve(q)):
        return False
    if not (0 < r < N and 0 < s < N):
        return False
    e = int.from_bytes(sha384(msg), "big")
    w = pow(s, -1, N)
    pt = ec_add(ec_mul(e * w % N, G), ec_mul(r * w % N, q))
    return pt is not None and pt[0] % N == r


def le(b):
    return int.from_bytes(b, "little")


def check_id_block(body, policy, digest):
    """Verifies an IGVM SNP_ID_BLOCK body; returns a dict of findings."""
    author_en = body[4]
    ld = body[8:56]
    family, image = body[56:72], body[72:88]
    _ver, svn, id_alg, auth_alg = struct.unpack_from("<4I", body, 0x58)
    sig_r, sig_s = le(body[0x68:0x68 + 72]), le(body[0x68 + 72:0x68 + 144])
    curve = struct.unpack_from("<I", body, 0xF8)[0]
    qx, qy = body[0x100:0x100 + 72], body[0x100 + 72:0x100 + 144]
    # The firmware's ID block: version is always 1 as QEMU passes it.
    fw_block = ld + family + image + struct.pack("<IIQ", 1, svn, policy)
    fw_key = struct.pack("<I", curve) + qx + qy
    fw_key += bytes(0x404 - len(fw_key))
    out = {
        "ld_matches": ld == digest,
        "id_key_algorithm": id_alg,
        "signature_valid": curve == 2 and ecdsa_verify(le(qx), le(qy), fw_block, sig_r, sig_s),
        "id_key_digest": sha384(fw_key).hex(),
    }
    if author_en:
        a_r, a_s = le(body[0x190:0x190 + 72]), le(body[0x190 + 72:0x190 + 144])
        a_curve = struct.unpack_from("<I", body, 0x220)[0]
        ax, ay = body[0x228:0x228 + 72], body[0x228 + 72:0x228 + 144]
        a_key = struct.pack("<I", a_curve) + ax + ay
        a_key += bytes(0x404 - len(a_key))
        out["author_key_algorithm"] = auth_alg
        out["author_signature_valid"] = a_curve == 2 and ecdsa_verify(le(ax), le(ay), fw_key,
                                                                     a_r, a_s)
        out["author_key_digest"] = sha384(a_key).hex()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--vcpus", type=int, default=1)
    ap.add_argument("--sev-features", type=lambda s: int(s, 0))
    ap.add_argument("--vcpu-sig", type=lambda s: int(s, 0), default=0x800F12)
    ap.add_argument("--ap-vmsa", choices=("reset", "none"), default="reset")
    ap.add_argument("--no-host-mce", action="store_true")
    ap.add_argument("--tdx", action="store_true")
    ap.add_argument("--trace", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with open(args.file, "rb") as f:
        data = f.read()
    try:
        ig = Igvm(data)
        if args.tdx:
            print(tdx_mrtd(ig).hex())
            return 0
        chain, policy, id_block = snp_digest(ig, args.vcpus, args.sev_features, args.vcpu_sig,
                                             args.ap_vmsa, not args.no_host_mce, args.trace)
    except IgvmError as e:
        print("%s: %s" % (args.file, e), file=sys.stderr)
        return 1
    result = {"digest": chain.ld.hex(), "pages": {TYPE_NAMES[k]: v for k, v in chain.count.items()}}
    if policy is not None:
        result["policy"] = policy
    if id_block is not None:
        result["id_block"] = check_id_block(id_block, policy or 0, chain.ld)
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        print(chain.ld.hex())
    return 0


if __name__ == "__main__":
    sys.exit(main())

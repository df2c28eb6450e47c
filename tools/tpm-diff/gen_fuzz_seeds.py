#!/usr/bin/env python3
"""Writes the command-sequence seeds of the fuzz_tpm libFuzzer target
(tests/fuzz/fuzz_tpm.c) into tests/fuzz/corpus/fuzz_tpm/.

Each seed: a mode byte, then records of (u16 length | flags, command).  The
NV-state seeds (modes 3 and 7) come from the state unit test:
  HUSK_WRITE_FUZZ_SEEDS=tests/fuzz/corpus/fuzz_tpm build/hostsan/tests/test_tpm_state
Run from the repository root."""
import os
import struct
import sys

OUT = "tests/fuzz/corpus/fuzz_tpm"

RH_OWNER, RH_NULL, RS_PW = 0x40000001, 0x40000007, 0x40000009
SHA256, ECC, NULL = 0x000B, 0x0023, 0x0010


def u8(v): return struct.pack(">B", v)
def u16(v): return struct.pack(">H", v)
def u32(v): return struct.pack(">I", v)
def b2(data): return u16(len(data)) + data


def cmd(cc, handles=(), pw=None, params=b""):
    body = b"".join(u32(h) for h in handles)
    if pw is not None:
        sess = u32(RS_PW) + b2(b"") + u8(1) + b2(pw)
        body += u32(len(sess)) + sess
    body += params
    tag = 0x8002 if pw is not None else 0x8001
    return u16(tag) + u32(10 + len(body)) + u32(cc) + body


def seed(mode, *cmds, patch=False, locality=0):
    out = u8(mode)
    for c in cmds:
        out += u16(len(c) | (locality << 12) | (0x8000 if patch else 0)) + c
    return out


ECC_TEMPLATE = (u16(ECC) + u16(SHA256) + u32(0x00040472) + b2(b"") + u16(NULL) +
                u16(0x0018) + u16(SHA256) + u16(0x0003) + u16(NULL) + b2(b"") + b2(b""))
P256_GX = bytes.fromhex("6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296")
P256_GY = bytes.fromhex("4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5")
ECC_PUBLIC = (u16(ECC) + u16(SHA256) + u32(0x00040040) + b2(b"") + u16(NULL) +
              u16(0x0018) + u16(SHA256) + u16(0x0003) + u16(NULL) + b2(P256_GX) + b2(P256_GY))
NV_PUBLIC = u32(0x01000001) + u16(SHA256) + u32(0x00040004) + b2(b"") + u16(32)
PCR_SEL0 = u32(1) + u16(SHA256) + u8(3) + bytes([1, 0, 0])

GET_RANDOM = cmd(0x17B, params=u16(16))
SEEDS = {
    "getrandom": seed(0, GET_RANDOM),
    "readclock_selftest": seed(1, cmd(0x181), cmd(0x143, params=u8(1)), cmd(0x17C)),
    "pcr_extend_read": seed(0, cmd(0x182, [0], b"", u32(1) + u16(SHA256) + b"\xaa" * 32),
                            cmd(0x17E, params=PCR_SEL0)),
    "pcr_event": seed(0, cmd(0x13C, [16], b"", b2(b"event data"))),
    "createprimary_ecc": seed(0, cmd(0x131, [RH_OWNER], b"",
                                     b2(b2(b"") + b2(b"")) + b2(ECC_TEMPLATE) + b2(b"") + u32(0))),
    "loadexternal_readpublic": seed(0, cmd(0x167, params=u16(0) + b2(ECC_PUBLIC) + u32(RH_NULL)),
                                    cmd(0x173, [0x80000000])),
    "nv_define_write_read": seed(2, cmd(0x12A, [RH_OWNER], b"", b2(b"") + b2(NV_PUBLIC)),
                                 cmd(0x137, [0x01000001, 0x01000001], b"", b2(b"12345678") + u16(0)),
                                 cmd(0x14E, [0x01000001, 0x01000001], b"", u16(8) + u16(0)),
                                 cmd(0x169, [0x01000001])),
    "hash_sequence": seed(0, cmd(0x17D, params=b2(b"abc") + u16(SHA256) + u32(RH_NULL)),
                          cmd(0x186, params=b2(b"") + u16(SHA256)),
                          cmd(0x15C, [0x80000000], b"", b2(b"a" * 100)),
                          cmd(0x13E, [0x80000000], b"", b2(b"tail") + u32(RH_NULL))),
    "policy_trial": seed(0, cmd(0x176, [RH_NULL, RH_NULL],
                                params=b2(bytes(range(16))) + b2(b"") + u8(3) + u16(NULL) + u16(SHA256)),
                         cmd(0x16C, [0x03000000], params=u32(0x15B)),
                         cmd(0x16B, [0x03000000]),
                         cmd(0x189, [0x03000000])),
    "shutdown_state_roundtrip": seed(2, cmd(0x145, params=u16(1))),
    "header_errors": seed(0, b"\x80\x01\x00", u16(0x00C1) + u32(10) + u32(0x144),
                          u16(0x8001) + u32(11) + u32(0x17B) + u16(1)),
    "size_patched": seed(0, u16(0x8001) + u32(0) + u32(0x17B) + u16(8), patch=True),
    "session_errors": seed(0, cmd(0x17B, pw=b"x", params=u16(4)),
                           u16(0x8002) + u32(25) + u32(0x17B) + u32(9) + u32(0x02000005) +
                           u16(0) + u8(1) + u16(0) + u16(4)),
    "getcapability": seed(1, cmd(0x17A, params=u32(0) + u32(0) + u32(64)),
                          cmd(0x17A, params=u32(6) + u32(0x100) + u32(64)), locality=3),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(SEEDS), OUT))


if __name__ == "__main__":
    sys.exit(main())

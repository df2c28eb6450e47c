"""Server-side building blocks of husk's KBS-protocol test server and tampering
proxy: strict JSON, base64 variants, RFC 8785 JCS, semver, the SNP attestation
report layout and its verification, JWE encryption (Trustee's algorithms) and
ES256 JWTs.  See docs/kbs-server.md.

Standard library plus python3-cryptography (Debian 12: version 38) only.  The
self-test (test_kbs_server.py) deliberately does NOT use this module for its
client side: it has its own JCS, report encoder and JWE decryption, so that a
bug here cannot hide behind the same bug there."""
import base64
import binascii
import hashlib
import json
import os
import re
import struct

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (decode_dss_signature,
                                                            encode_dss_signature)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

PROTOCOL_VERSION = (0, 4, 0)

# kbs-types `Tee` serde names (reference §3.1).  "nvidiadpu" is Trustee 0.18's
# NvidiaDpu; its wire name was not checked upstream, so it is a guess.
TEE_NAMES = ("az-snp-vtpm", "az-tdx-vtpm", "nvidia", "sgx", "snp", "tdx", "cca", "csv",
             "se", "hygondcu", "tpm", "sample", "sampledevice", "nvidiadpu")

ERROR_TYPE_PREFIX = "https://github.com/confidential-containers/kbs/errors/"


class KbsError(Exception):
    """An error with a Trustee error variant (the RFC 7807 `type` suffix), the
    `detail` Trustee would send, and the real reason (for logs only)."""

    def __init__(self, variant, detail, reason=None):
        super().__init__(detail)
        self.variant = variant
        self.detail = detail
        self.reason = reason or detail


class Invalid(Exception):
    """A check failed; the message says which (logged, never sent verbatim)."""


# ------------------------------------------------------------------ JSON


def _no_dup_pairs(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise Invalid("duplicate member %r" % k)
        obj[k] = v
    return obj


def _no_constants(name):
    raise Invalid("%s is not JSON" % name)


def _check_strings(v):
    if isinstance(v, str):
        if any(0xD800 <= ord(c) <= 0xDFFF for c in v):
            raise Invalid("lone surrogate in a string")
    elif isinstance(v, list):
        for x in v:
            _check_strings(x)
    elif isinstance(v, dict):
        for k, x in v.items():
            _check_strings(k)
            _check_strings(x)


def loads_strict(data):
    """Parses JSON as serde_json would for a typed message: UTF-8 only, no
    NaN/Infinity, no lone surrogates, and no duplicate members."""
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as e:
            raise Invalid("body is not UTF-8: %s" % e)
    try:
        v = json.loads(data, object_pairs_hook=_no_dup_pairs, parse_constant=_no_constants)
    except (ValueError, RecursionError) as e:
        raise Invalid("not JSON: %s" % e)
    _check_strings(v)
    return v


def dumps_compact(v):
    """serde_json::to_string for values whose key order we give explicitly."""
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


# ------------------------------------------------------------------ base64


def b64std(b):
    return base64.b64encode(b).decode("ascii")


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


_STD_RE = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
_URL_RE = re.compile(r"^[A-Za-z0-9_-]*$")


def b64std_decode(s):
    """base64 crate STANDARD: padding required, canonical trailing bits."""
    if not isinstance(s, str) or not _STD_RE.match(s) or len(s) % 4:
        raise Invalid("not padded standard base64")
    try:
        b = base64.b64decode(s, validate=True)
    except binascii.Error as e:
        raise Invalid("bad base64: %s" % e)
    if b64std(b) != s:
        raise Invalid("non-canonical base64")
    return b


def b64url_decode(s):
    """base64 crate URL_SAFE_NO_PAD: no '=' allowed, canonical trailing bits."""
    if not isinstance(s, str) or not _URL_RE.match(s) or len(s) % 4 == 1:
        raise Invalid("not unpadded base64url")
    b = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    if b64url(b) != s:
        raise Invalid("non-canonical base64url")
    return b


# ------------------------------------------------------------------ JCS


def _jcs_number(n):
    if isinstance(n, bool):
        raise TypeError
    if isinstance(n, int):
        return str(n)
    if n != n or n in (float("inf"), float("-inf")):
        raise Invalid("JCS: NaN/Infinity")
    if n == 0:
        return "0"
    if n.is_integer() and abs(n) < 1e21:
        return str(int(n))
    # ES6 Number.prototype.toString: shortest round-trip digits.
    r = repr(n)
    if "e" in r:
        mant, exp = r.split("e")
        exp = int(exp)
        return "%se%s%d" % (mant, "+" if exp > 0 else "-", abs(exp))
    return r


def _jcs_string(s):
    out = ['"']
    for c in s:
        o = ord(c)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif o < 0x20:
            out.append({8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}.get(o, "\\u%04x" % o))
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _utf16_key(s):
    return s.encode("utf-16-be")


def jcs(v):
    """RFC 8785 canonical JSON text of v, as UTF-8 bytes."""
    def ser(x):
        if x is None:
            return "null"
        if x is True:
            return "true"
        if x is False:
            return "false"
        if isinstance(x, (int, float)):
            return _jcs_number(x)
        if isinstance(x, str):
            return _jcs_string(x)
        if isinstance(x, (list, tuple)):
            return "[" + ",".join(ser(i) for i in x) + "]"
        if isinstance(x, dict):
            keys = sorted(x, key=_utf16_key)
            return "{" + ",".join(_jcs_string(k) + ":" + ser(x[k]) for k in keys) + "}"
        raise Invalid("JCS: unsupported type %s" % type(x).__name__)
    return ser(v).encode("utf-8")


# ------------------------------------------------------------------ semver

_NUM = r"(0|[1-9][0-9]*)"
_IDENT = r"[0-9A-Za-z-]+"
_SEMVER_RE = re.compile(r"^%s\.%s\.%s(?:-(%s(?:\.%s)*))?(?:\+(%s(?:\.%s)*))?$" %
                        (_NUM, _NUM, _NUM, _IDENT, _IDENT, _IDENT, _IDENT))


def parse_semver(s):
    """Returns (major, minor, patch, pre, build) or raises Invalid."""
    m = _SEMVER_RE.match(s) if isinstance(s, str) else None
    if not m:
        raise Invalid("not a semantic version: %r" % (s,))
    pre = m.group(4)
    if pre and any(p.isdigit() and len(p) > 1 and p[0] == "0" for p in pre.split(".")):
        raise Invalid("leading zero in pre-release: %r" % s)
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), pre, m.group(5)


def version_matches(s):
    """semver `=0.4.0`: the exact version, build metadata ignored, no pre-release."""
    major, minor, patch, pre, _ = parse_semver(s)
    return (major, minor, patch) == PROTOCOL_VERSION and not pre


# ------------------------------------------------------------------ TeePubKey


def parse_tee_pubkey(v):
    """kbs-types TeePubKey (serde tag `kty`): returns the re-serialised key,
    keeping only the known members, or raises Invalid."""
    if not isinstance(v, dict):
        raise Invalid("tee-pubkey is not an object")
    kty = v.get("kty")
    if kty == "EC":
        members = ("crv", "alg", "x", "y")
    elif kty == "RSA":
        members = ("alg", "n", "e")
    else:
        raise Invalid("tee-pubkey: unknown kty %r" % (kty,))
    out = {"kty": kty}
    for m in members:
        if not isinstance(v.get(m), str):
            raise Invalid("tee-pubkey: member %r missing or not a string" % m)
        out[m] = v[m]
    return out


# ------------------------------------------------------------------ JWE (Trustee kbs/src/jwe)

EC_CURVES = {"P-256": (ec.SECP256R1, 32), "P-521": (ec.SECP521R1, 66)}
ECDH_ES_A256KW = "ECDH-ES+A256KW"


def concat_kdf_a256kw(z):
    """RFC 7518 §4.6 Concat KDF, SHA-256, one round, 256 bits, alg ECDH-ES+A256KW."""
    alg = ECDH_ES_A256KW.encode()
    return hashlib.sha256(struct.pack(">I", 1) + z + struct.pack(">I", len(alg)) + alg +
                          struct.pack(">III", 0, 0, 256)).digest()


def jwe_encrypt(tee_pubkey, payload):
    """Trustee's jwe(): returns the flattened JWE JSON text for `payload`
    encrypted to the TeePubKey dict; raises Invalid when Trustee would fail."""
    cek = os.urandom(32)
    iv = os.urandom(12)
    kty = tee_pubkey.get("kty")
    if kty == "RSA":
        alg = tee_pubkey["alg"]
        if alg == "RSA-OAEP-256":
            pad = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
        elif alg == "RSA1_5":
            pad = padding.PKCS1v15()
        else:
            raise Invalid("algorithm %s is not supported" % alg)
        n = int.from_bytes(b64url_decode(tee_pubkey["n"]), "big")
        e = int.from_bytes(b64url_decode(tee_pubkey["e"]), "big")
        if n.bit_length() > 4096:
            raise Invalid("RSA modulus larger than 4096 bits")
        try:
            pub = rsa.RSAPublicNumbers(e, n).public_key()
            encrypted_key = pub.encrypt(cek, pad)
        except ValueError as err:
            raise Invalid("RSA encrypt sym key failed: %s" % err)
        header = '{"alg":"%s","enc":"A256GCM"}' % alg
    elif kty == "EC":
        crv, alg = tee_pubkey["crv"], tee_pubkey["alg"]
        if crv not in EC_CURVES or alg != ECDH_ES_A256KW:
            raise Invalid("curve %s and algorithm %s is not supported" % (crv, alg))
        curve, size = EC_CURVES[crv]
        x = b64url_decode(tee_pubkey["x"])
        y = b64url_decode(tee_pubkey["y"])
        if len(x) != size or len(y) != size:
            raise Invalid("invalid bytes length of coordinates")
        try:
            peer = ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"),
                                                 curve()).public_key()
        except ValueError:
            raise Invalid("invalid TEE public key")
        eph = ec.generate_private_key(curve())
        z = eph.exchange(ec.ECDH(), peer)
        encrypted_key = aes_key_wrap(concat_kdf_a256kw(z), cek)
        nums = eph.public_key().public_numbers()
        header = ('{"alg":"ECDH-ES+A256KW","enc":"A256GCM","epk":{"crv":"%s","kty":"EC","x":"%s","y":"%s"}}' %
                  (crv, b64url(nums.x.to_bytes(size, "big")), b64url(nums.y.to_bytes(size, "big"))))
    else:
        raise Invalid("key type %r is not supported" % (kty,))
    protected = b64url(header.encode())
    sealed = AESGCM(cek).encrypt(iv, payload, protected.encode("ascii"))
    return dumps_compact({"protected": protected, "encrypted_key": b64url(encrypted_key),
                          "iv": b64url(iv), "ciphertext": b64url(sealed[:-16]), "tag": b64url(sealed[-16:])})


# ------------------------------------------------------------------ JWT ES256


class TokenSigner:
    """The attestation service's token key: an ephemeral P-256 key, as the
    CoCo AS uses when no [..signer] is configured."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        nums = self.key.public_key().public_numbers()
        self.jwk = {"kty": "EC", "crv": "P-256", "alg": "ES256",
                    "x": b64url(nums.x.to_bytes(32, "big")), "y": b64url(nums.y.to_bytes(32, "big"))}

    def sign(self, claims):
        header = {"typ": "JWT", "alg": "ES256", "jwk": self.jwk}
        signing_input = (b64url(dumps_compact(header).encode()) + "." +
                         b64url(dumps_compact(claims).encode())).encode("ascii")
        r, s = decode_dss_signature(self.key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return signing_input.decode("ascii") + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def jwt_verify_es256(token, trusted_jwk, insecure_header_jwk, now, leeway=60):
    """Verifies an ES256 JWT: signature by the trusted key (or, as Trustee's
    `insecure_header_jwk`, by the key in its own header) and `exp`.  Returns
    the claims or raises Invalid."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise Invalid("token is not a JWS compact serialisation")
    h64, c64, s64 = token.split(".")
    header = loads_strict(b64url_decode(h64))
    claims = loads_strict(b64url_decode(c64))
    sig = b64url_decode(s64)
    if not isinstance(header, dict) or header.get("alg") != "ES256":
        raise Invalid("token alg is not ES256")
    jwk = header.get("jwk") if insecure_header_jwk else trusted_jwk
    if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise Invalid("no usable token verification key")
    if len(sig) != 64:
        raise Invalid("bad ES256 signature length")
    try:
        pub = ec.EllipticCurvePublicNumbers(int.from_bytes(b64url_decode(jwk["x"]), "big"),
                                            int.from_bytes(b64url_decode(jwk["y"]), "big"),
                                            ec.SECP256R1()).public_key()
        pub.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
                   (h64 + "." + c64).encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, KeyError, TypeError):
        raise Invalid("token signature does not verify")
    if not isinstance(claims, dict):
        raise Invalid("token claims are not an object")
    exp = claims.get("exp")
    if not isinstance(exp, int) or isinstance(exp, bool) or exp + leeway < now:
        raise Invalid("token expired or without exp")
    return claims


# TeePubKey pointers KBS tries, in order (trustee kbs/src/token/mod.rs).
TEE_PUBKEY_POINTERS = (
    ("attester_runtime_data", "tee-pubkey"),
    ("customized_claims", "runtime_data", "tee-pubkey"),
    ("submods", "cpu0", "ear.veraison.annotated-evidence", "runtime_data_claims", "tee-pubkey"),
    ("tee-pubkey",),
)


def extract_tee_pubkey(claims):
    for ptr in TEE_PUBKEY_POINTERS:
        v = claims
        for k in ptr:
            v = v.get(k) if isinstance(v, dict) else None
        if v is not None:
            return parse_tee_pubkey(v)
    raise Invalid("Tee public key not found in Attestation Token")


# ------------------------------------------------------------------ SNP report
#
# The AMD SEV-SNP ATTESTATION_REPORT (1184 bytes) and its JSON form as the
# `sev` crate (7.x) serialises it (reference §3.3).  Fields not listed are
# reserved and are zero in the bytes rebuilt from JSON, as in `sev`.

REPORT_SIZE = 0x4A0
SIGNED_SIZE = 0x2A0
# (name, offset, kind, size): kind "u" = little-endian unsigned int,
# "b" = byte array, "tcb" = TCB_VERSION, "u8opt" = u8 that is null in v2,
# "u64opt" = u64 that is null before v5, "ver" = {major,minor,build}.
REPORT_FIELDS = [
    ("version", 0x00, "u", 4), ("guest_svn", 0x04, "u", 4), ("policy", 0x08, "u", 8),
    ("family_id", 0x10, "b", 16), ("image_id", 0x20, "b", 16), ("vmpl", 0x30, "u", 4),
    ("sig_algo", 0x34, "u", 4), ("current_tcb", 0x38, "tcb", 8), ("plat_info", 0x40, "u", 8),
    ("key_info", 0x48, "u", 4), ("report_data", 0x50, "b", 64), ("measurement", 0x90, "b", 48),
    ("host_data", 0xC0, "b", 32), ("id_key_digest", 0xE0, "b", 48), ("author_key_digest", 0x110, "b", 48),
    ("report_id", 0x140, "b", 32), ("report_id_ma", 0x160, "b", 32), ("reported_tcb", 0x180, "tcb", 8),
    ("cpuid_fam_id", 0x188, "u8opt", 1), ("cpuid_mod_id", 0x189, "u8opt", 1), ("cpuid_step", 0x18A, "u8opt", 1),
    ("chip_id", 0x1A0, "b", 64), ("committed_tcb", 0x1E0, "tcb", 8), ("current", 0x1E8, "ver", 3),
    ("committed", 0x1EC, "ver", 3), ("launch_tcb", 0x1F0, "tcb", 8),
    ("launch_mit_vector", 0x1F8, "u64opt", 8), ("current_mit_vector", 0x200, "u64opt", 8),
]
OPTIONAL_FIELDS = ("cpuid_fam_id", "cpuid_mod_id", "cpuid_step", "launch_mit_vector", "current_mit_vector")


def _uint(v, bits, what):
    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < (1 << bits):
        raise Invalid("report: %s is not a u%d" % (what, bits))
    return v


def _bytes_field(v, n, what):
    if not isinstance(v, list) or len(v) != n:
        raise Invalid("report: %s is not an array of %d bytes" % (what, n))
    return bytes(_uint(x, 8, what) for x in v)


def _tcb_bytes(t, what):
    if not isinstance(t, dict):
        raise Invalid("report: %s is not a TCB object" % what)
    vals = {k: _uint(t.get(k), 8, what + "." + k) for k in ("bootloader", "tee", "snp", "microcode")}
    fmc = t.get("fmc")
    if fmc is None:   # Milan, Genoa: BOOT_LOADER, TEE, 4 reserved, SNP, MICROCODE
        return bytes([vals["bootloader"], vals["tee"], 0, 0, 0, 0, vals["snp"], vals["microcode"]])
    _uint(fmc, 8, what + ".fmc")  # Turin: FMC, BOOT_LOADER, TEE, SNP, 3 reserved, MICROCODE
    return bytes([fmc, vals["bootloader"], vals["tee"], vals["snp"], 0, 0, 0, vals["microcode"]])


def report_to_bytes(rep):
    """Rebuilds the 1184 report bytes from the sev-serde JSON object."""
    if not isinstance(rep, dict):
        raise Invalid("attestation_report is not an object")
    buf = bytearray(REPORT_SIZE)
    for name, off, kind, size in REPORT_FIELDS:
        if name not in rep and name not in OPTIONAL_FIELDS:
            raise Invalid("report: missing field %s" % name)
        v = rep.get(name)
        if kind == "u":
            buf[off:off + size] = _uint(v, size * 8, name).to_bytes(size, "little")
        elif kind == "b":
            buf[off:off + size] = _bytes_field(v, size, name)
        elif kind == "tcb":
            buf[off:off + size] = _tcb_bytes(v, name)
        elif kind in ("u8opt", "u64opt"):
            if v is not None:
                buf[off:off + size] = _uint(v, size * 8, name).to_bytes(size, "little")
        elif kind == "ver":
            if not isinstance(v, dict):
                raise Invalid("report: %s is not a version object" % name)
            buf[off:off + 3] = bytes([_uint(v.get("build"), 8, name), _uint(v.get("minor"), 8, name),
                                      _uint(v.get("major"), 8, name)])
    sig = rep.get("signature")
    if not isinstance(sig, dict):
        raise Invalid("report: signature is not an object")
    buf[0x2A0:0x2E8] = _bytes_field(sig.get("r"), 72, "signature.r")
    buf[0x2E8:0x330] = _bytes_field(sig.get("s"), 72, "signature.s")
    return bytes(buf)


def processor_generation(rep):
    fam, mod = rep.get("cpuid_fam_id"), rep.get("cpuid_mod_id")
    if fam is None or mod is None:
        raise Invalid("Attestation report version 3+ is missing CPU family/model ID")
    if fam == 0x19 and 0x00 <= mod <= 0x0F:
        return "Milan"
    if fam == 0x19 and (0x10 <= mod <= 0x1F or 0xA0 <= mod <= 0xAF):
        return "Genoa"
    if fam == 0x1A and 0x00 <= mod <= 0x11:
        return "Turin"
    raise Invalid("unknown processor generation (family 0x%x, model 0x%x)" % (fam, mod))


def report_signature_ok(report_bytes, vek_public_key):
    """ECDSA P-384/SHA-384 over bytes 0..0x29F; r and s little-endian."""
    r = int.from_bytes(report_bytes[0x2A0:0x2E8], "little")
    s = int.from_bytes(report_bytes[0x2E8:0x330], "little")
    if not isinstance(vek_public_key, ec.EllipticCurvePublicKey) or vek_public_key.curve.name != "secp384r1":
        return False
    try:
        vek_public_key.verify(encode_dss_signature(r, s), report_bytes[:SIGNED_SIZE], ec.ECDSA(hashes.SHA384()))
        return True
    except (InvalidSignature, ValueError):
        return False


def cert_signed_by(cert, issuer):
    """True if `cert` carries a valid signature by `issuer`'s key (RSA-PSS as
    AMD uses, RSA PKCS#1 v1.5 or ECDSA, as a test chain may use)."""
    pub = issuer.public_key()
    oid = cert.signature_algorithm_oid.dotted_string
    try:
        if oid == "1.2.840.113549.1.1.10":   # RSASSA-PSS: AMD uses SHA-384, salt 48
            for h in (hashes.SHA384(), hashes.SHA256(), hashes.SHA512()):
                try:
                    pub.verify(cert.signature, cert.tbs_certificate_bytes,
                               padding.PSS(mgf=padding.MGF1(h), salt_length=padding.PSS.AUTO), h)
                    return True
                except InvalidSignature:
                    continue
            return False
        h = cert.signature_hash_algorithm
        if isinstance(pub, rsa.RSAPublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), h)
        elif isinstance(pub, ec.EllipticCurvePublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(h))
        else:
            return False
        return True
    except Exception:   # noqa: BLE001 -- any failure is "not signed"
        return False


def load_pem_certs(path):
    data = open(path, "rb").read()
    return [x509.load_pem_x509_certificate(m) for m in
            re.findall(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", data, re.S)]


def _der_value(b, tag):
    if len(b) < 2 or b[0] != tag:
        raise Invalid("unexpected DER tag")
    n, i = b[1], 2
    if n & 0x80:
        k = n & 0x7F
        n, i = int.from_bytes(b[2:2 + k], "big"), 2 + k
    if i + n != len(b):
        raise Invalid("bad DER length")
    return b[i:i + n]


def _ext_bytes(cert, oid):
    try:
        ext = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(oid))
    except x509.ExtensionNotFound:
        raise Invalid("VEK certificate has no extension %s" % oid)
    return ext.value.value


def vek_ext_int(cert, oid):
    v = int.from_bytes(_der_value(_ext_bytes(cert, oid), 0x02), "big", signed=True)
    if not 0 <= v <= 255:
        raise Invalid("VEK extension %s out of range" % oid)
    return v


def vek_hwid(cert):
    raw = _ext_bytes(cert, "1.3.6.1.4.1.3704.1.4")
    if len(raw) in (64, 8):          # legacy VCEKs: the raw hwID
        return raw
    return _der_value(raw, 0x04)     # DER OCTET STRING


SPL_OIDS = (("bootloader", "1.3.6.1.4.1.3704.1.3.1"), ("tee", "1.3.6.1.4.1.3704.1.3.2"),
            ("snp", "1.3.6.1.4.1.3704.1.3.3"), ("microcode", "1.3.6.1.4.1.3704.1.3.8"))


class VendorChain:
    """Trusted AMD (or test) roots: ARK, ASK and optionally ASVK."""

    def __init__(self, ark, ask, asvk=None):
        self.ark, self.ask, self.asvk = ark, ask, asvk

    @classmethod
    def from_trustee_pem(cls, path):
        """A Trustee/AMD `*_ask_ark_asvk.pem`: ASK, ARK[, ASVK] in that order."""
        certs = load_pem_certs(path)
        if len(certs) not in (2, 3):
            raise ValueError("%s: expected ASK, ARK[, ASVK]" % path)
        return cls(certs[1], certs[0], certs[2] if len(certs) == 3 else None)

    @classmethod
    def from_files(cls, ark, ask, asvk=None):
        one = lambda p: load_pem_certs(p)[0] if p else None  # noqa: E731
        return cls(one(ark), one(ask), one(asvk))


def snp_regularize(data, size):
    return (data + bytes(size))[:size]


def verify_snp_evidence(evidence, expected_report_data, expected_init_data_hash, cfg):
    """Trustee's SNP verifier (reference §3.3) over the SnpEvidence JSON value.
    cfg: dict with "chains" ({generation or "any": VendorChain}),
    "min_version", "max_version", "vcek_store" (dir or None).
    Returns (claims, report dict) or raises Invalid."""
    if not isinstance(evidence, dict) or "attestation_report" not in evidence:
        raise Invalid("Deserialize SNP evidence failed: no attestation_report")
    rep = evidence["attestation_report"]
    chain = evidence.get("cert_chain")
    report = report_to_bytes(rep)
    version = rep["version"]
    if version < cfg.get("min_version", 3):
        raise Invalid("Attestation Report version %d is too old" % version)
    if version > cfg.get("max_version", 5):
        raise Invalid("Unexpected attestation report version %d" % version)
    gen = processor_generation(rep)
    vendor = cfg.get("chains", {}).get(gen) or cfg.get("chains", {}).get("any")
    if vendor is None:
        raise Invalid("no trusted vendor certificates for %s" % gen)

    vek, vek_type = None, None
    if chain is not None:
        if not isinstance(chain, list):
            raise Invalid("cert_chain is not an array")
        for entry in chain:
            if not isinstance(entry, dict):
                raise Invalid("cert_chain entry is not an object")
            ctype = entry.get("cert_type")
            raw = entry.get("data")
            if not isinstance(raw, list):
                raise Invalid("cert_chain.data is not an array of bytes")
            data = _bytes_field(raw, len(raw), "cert_chain.data")
            if ctype == "ARK":
                if data != vendor.ark.public_bytes(serialization.Encoding.DER):
                    raise Invalid("ARK in cert_chain is not the trusted ARK")
            elif ctype in ("VCEK", "VLEK") and vek is None:
                try:
                    vek, vek_type = x509.load_der_x509_certificate(data), ctype
                except ValueError as e:
                    raise Invalid("Failed to decode endorsement key: %s" % e)
    if vek is None and cfg.get("vcek_store"):
        path = os.path.join(cfg["vcek_store"], "vcek", bytes(rep["chip_id"]).hex(), "vcek.der")
        if os.path.exists(path):
            vek, vek_type = x509.load_der_x509_certificate(open(path, "rb").read()), "VCEK"
    if vek is None:
        raise Invalid("Could not find either VCEK or VLEK (no cert_chain, not in the offline store; "
                      "the test server never contacts AMD KDS)")

    if not cert_signed_by(vendor.ark, vendor.ark):
        raise Invalid("Invalid ARK signature")
    mid = vendor.ask if vek_type == "VCEK" else vendor.asvk
    if mid is None or not cert_signed_by(mid, vendor.ark):
        raise Invalid("Invalid %s signature" % ("ASK" if vek_type == "VCEK" else "ASVK"))
    if not cert_signed_by(vek, mid):
        raise Invalid("Invalid %s signature" % vek_type)
    if not report_signature_ok(report, vek.public_key()):
        raise Invalid("Signature validation failed.")
    tcb = rep["reported_tcb"]
    for field, oid in SPL_OIDS:
        if vek_ext_int(vek, oid) != tcb[field]:
            raise Invalid("%s version mismatch between VEK and reported_tcb" % field)
    if vek_type == "VCEK":
        hwid = vek_hwid(vek)
        if hwid != bytes(rep["chip_id"])[:len(hwid)]:
            raise Invalid("Chip ID mismatch")
    if rep["vmpl"] != 0:
        raise Invalid("VMPL Check Failed")
    if expected_report_data is not None and snp_regularize(expected_report_data, 64) != bytes(rep["report_data"]):
        raise Invalid("Report Data Mismatch")
    if expected_init_data_hash is not None and \
            snp_regularize(expected_init_data_hash, 32) != bytes(rep["host_data"]):
        raise Invalid("Host Data Mismatch")

    pol, plat = rep["policy"], rep["plat_info"]
    claims = {
        "policy_abi_major": (pol >> 8) & 0xFF, "policy_abi_minor": pol & 0xFF,
        "policy_smt_allowed": bool(pol >> 16 & 1), "policy_migrate_ma": bool(pol >> 18 & 1),
        "policy_debug_allowed": bool(pol >> 19 & 1), "policy_single_socket": bool(pol >> 20 & 1),
        "reported_tcb_bootloader": tcb["bootloader"], "reported_tcb_tee": tcb["tee"],
        "reported_tcb_snp": tcb["snp"], "reported_tcb_microcode": tcb["microcode"],
        "platform_tsme_enabled": bool(plat >> 1 & 1), "platform_smt_enabled": bool(plat & 1),
        "measurement": bytes(rep["measurement"]).hex(), "report_data": bytes(rep["report_data"]).hex(),
        "init_data": bytes(rep["host_data"]).hex(), "chip_id": bytes(rep["chip_id"]).hex(),
    }
    return claims, rep

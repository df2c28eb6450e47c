#!/usr/bin/python3
"""Self-test of husk's KBS-protocol test server (kbs_server.py) and tampering
proxy (tamper_proxy.py), with a client written here independently of the
server's helpers: its own JCS, SHA-384 binding, sample and SNP evidence (a
test ARK/ASK/VCEK chain made on the fly) and JWE decryption from
cryptography's primitives (ECDH, Concat KDF, AES-KW, AES-GCM, RSA-OAEP).

Prints `PASS name` / `FAIL name` per case and exits non-zero on any failure.
    /usr/bin/python3 tests/kbs/test_kbs_server.py [--verbose] [-k SUBSTRING]"""
import argparse
import base64
import datetime
import hashlib
import http.client
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import kbs_common as kc  # noqa: E402  (server side: used only to drive and inspect the server)
import kbs_server  # noqa: E402
import tamper_proxy  # noqa: E402

PY = "/usr/bin/python3"
# Upstream test data (Trustee's SNP reports, VCEK/VLEK, AMD roots; kbs-types
# strings): the repository's copy in tests/data (READMEs there say where each
# file comes from), else $HUSK_SHARED_TESTDATA, else the team's shared folder.
SHARED = next((d for d in (os.path.join(HERE, "..", "data"), os.environ.get("HUSK_SHARED_TESTDATA"),
                           "/work/shared/testdata") if d and os.path.isdir(os.path.join(d, "snp"))),
              "/work/shared/testdata")


def shared_file(*parts):
    """A file of the upstream test data; runtime-data-hash.json sits in kbs/
    in the repository's copy and in snp/ in the shared folder."""
    p = os.path.join(SHARED, *parts)
    if not os.path.exists(p) and parts[-1] == "runtime-data-hash.json":
        p = os.path.join(SHARED, "kbs", parts[-1])
    return p
RESULTS = []
ERROR_PREFIX = "https://github.com/confidential-containers/kbs/errors/"
M_GOOD = "aa" * 48
M_BAD = "bb" * 48


# ------------------------------------------------------------------ the independent client


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64u_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def canon(v):
    """JCS for what the KBS protocol hashes (ASCII keys): sorted keys, no spaces,
    JSON string escaping as RFC 8785 (Python's, with ensure_ascii off)."""
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def make_key(kind):
    if kind in ("p256", "p521", "p384"):
        curve, size, crv = {"p256": (ec.SECP256R1, 32, "P-256"), "p521": (ec.SECP521R1, 66, "P-521"),
                            "p384": (ec.SECP384R1, 48, "P-384")}[kind]
        priv = ec.generate_private_key(curve())
        n = priv.public_key().public_numbers()
        return priv, {"kty": "EC", "crv": crv, "alg": "ECDH-ES+A256KW",
                      "x": b64u(n.x.to_bytes(size, "big")), "y": b64u(n.y.to_bytes(size, "big"))}
    priv = rsa.generate_private_key(65537, 2048)
    n = priv.public_key().public_numbers()
    alg = "RSA1_5" if kind == "rsa1_5" else "RSA-OAEP-256"
    return priv, {"kty": "RSA", "alg": alg, "n": b64u(n.n.to_bytes(256, "big")), "e": b64u(b"\x01\x00\x01")}


def binding_digest(nonce, jwk, additional=""):
    return hashlib.sha384(canon({"tee-pubkey": jwk, "nonce": nonce, "additional-evidence": additional})).digest()


def sample_evidence(digest, measurement=None):
    ev = {"svn": "1", "report_data": base64.b64encode(digest).decode()}
    if measurement is not None:
        ev["husk-measurement"] = measurement
    return ev


def decrypt_jwe(text, priv):
    """RFC 7516 flattened JSON, A256GCM; ECDH-ES+A256KW or RSA-OAEP-256/RSA1_5.
    The AAD is the received `protected` string, verbatim."""
    j = json.loads(text)
    prot = j["protected"]
    hdr = json.loads(b64u_dec(prot))
    if hdr.get("enc") != "A256GCM":
        raise ValueError("enc %r" % hdr.get("enc"))
    ek = b64u_dec(j["encrypted_key"])
    if hdr["alg"] == "ECDH-ES+A256KW":
        epk = hdr["epk"]
        curve = {"P-256": ec.SECP256R1, "P-521": ec.SECP521R1}[epk["crv"]]
        if priv.curve.name != curve.name:
            raise ValueError("epk curve is not ours")
        peer = ec.EllipticCurvePublicNumbers(int.from_bytes(b64u_dec(epk["x"]), "big"),
                                             int.from_bytes(b64u_dec(epk["y"]), "big"), curve()).public_key()
        z = priv.exchange(ec.ECDH(), peer)
        alg = b"ECDH-ES+A256KW"
        kek = hashlib.sha256(b"\x00\x00\x00\x01" + z + len(alg).to_bytes(4, "big") + alg +
                             bytes(8) + (256).to_bytes(4, "big")).digest()
        cek = aes_key_unwrap(kek, ek)
    elif hdr["alg"] == "RSA-OAEP-256":
        cek = priv.decrypt(ek, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                                            label=None))
    elif hdr["alg"] == "RSA1_5":
        cek = priv.decrypt(ek, padding.PKCS1v15())
    else:
        raise ValueError("alg %r" % hdr["alg"])
    iv = b64u_dec(j["iv"])
    if len(iv) != 12 or len(b64u_dec(j["tag"])) != 16:
        raise ValueError("iv/tag length")
    return AESGCM(cek).decrypt(iv, b64u_dec(j["ciphertext"]) + b64u_dec(j["tag"]), prot.encode("ascii"))


class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    @property
    def error_type(self):
        try:
            t = self.json().get("type", "")
            return t[len(ERROR_PREFIX):] if t.startswith(ERROR_PREFIX) else t
        except (ValueError, AttributeError):
            return None

    @property
    def reason(self):
        return self.headers.get("x-husk-kbs-reason", "")

    def __repr__(self):
        return "HTTP %d %s %s" % (self.status, self.body[:300], self.reason)


class Client:
    """Keeps the cookie like husk's attestation proxy does."""

    def __init__(self, base):
        host, port = base.rsplit("/", 1)[-1].split(":")
        self.host, self.port = host, int(port)
        self.cookie = None
        self.set_cookie = None

    def req(self, method, path, body=None, headers=None, cookie=True):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        h = dict(headers or {})
        if cookie and self.cookie:
            h["Cookie"] = "kbs-session-id=" + self.cookie
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        conn.close()
        sc = hdrs.get("set-cookie")
        if sc:
            self.set_cookie = sc
            m = re.match(r"kbs-session-id=([^;]*)", sc)
            if m:
                self.cookie = m.group(1)
        return Reply(r.status, hdrs, data)

    def auth(self, tee="sample", version="0.4.0", extra=""):
        return self.req("POST", "/kbs/v0/auth", {"version": version, "tee": tee, "extra-params": extra})

    def attest(self, nonce, jwk, primary, additional="", init_data=None):
        att = {"runtime-data": {"nonce": nonce, "tee-pubkey": jwk},
               "tee-evidence": {"primary_evidence": primary, "additional_evidence": additional}}
        if init_data is not None:
            att["init-data"] = init_data
        return self.req("POST", "/kbs/v0/attest", att)

    def resource(self, path="default/sample/test", bearer=None, cookie=True):
        h = {"Authorization": "Bearer " + bearer} if bearer else {}
        return self.req("GET", "/kbs/v0/resource/" + path, headers=h, cookie=cookie)


class Failed(Exception):
    def __init__(self, step, reply):
        super().__init__("%s: %r" % (step, reply))
        self.step, self.reply = step, reply


def exchange(base, kind="p256", tee="sample", path="default/sample/test", measurement=None, snp=None):
    """The whole RCAR exchange plus decryption; returns (secret, client, token)."""
    c = Client(base)
    r = c.auth(tee)
    if r.status != 200:
        raise Failed("auth", r)
    nonce = r.json()["nonce"]
    priv, jwk = make_key(kind)
    digest = binding_digest(nonce, jwk)
    ev = snp.evidence(digest) if tee == "snp" else sample_evidence(digest, measurement)
    r = c.attest(nonce, jwk, ev)
    if r.status != 200:
        raise Failed("attest", r)
    token = r.json()["token"]
    r = c.resource(path)
    if r.status != 200:
        raise Failed("resource", r)
    return decrypt_jwe(r.body, priv), c, token


def token_claims(token):
    return json.loads(b64u_dec(token.split(".")[1]))


# ------------------------------------------------------------------ SNP test chain and reports


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _der_int(v):
    return b"\x02\x01" + bytes([v]) if v < 0x80 else b"\x02\x02\x00" + bytes([v])


class SnpModel:
    """A test ARK -> ASK -> VCEK chain (P-384 keys, which keeps key generation
    fast; AMD's real ARK/ASK are RSA-4096 with PSS) and reports signed by it."""

    TCB = {"bootloader": 4, "tee": 0, "snp": 22, "microcode": 213}

    def __init__(self, tmp=None, chip_id=None):
        self.chip_id = chip_id or os.urandom(64)
        now = datetime.datetime.utcnow()

        def cert(subject, issuer, pub, signer, exts=()):
            b = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
                 .public_key(pub).serial_number(x509.random_serial_number())
                 .not_valid_before(now - datetime.timedelta(days=1))
                 .not_valid_after(now + datetime.timedelta(days=30)))
            for e in exts:
                b = b.add_extension(e, critical=False)
            return b.sign(signer, hashes.SHA384())
        self.ark_key = ec.generate_private_key(ec.SECP384R1())
        self.ask_key = ec.generate_private_key(ec.SECP384R1())
        self.vcek_key = ec.generate_private_key(ec.SECP384R1())
        self.ark = cert("ARK-Test", "ARK-Test", self.ark_key.public_key(), self.ark_key)
        self.ask = cert("SEV-Test", "ARK-Test", self.ask_key.public_key(), self.ark_key)
        ext = [x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), _der_int(self.TCB[f]))
               for f, oid in (("bootloader", "1.3.6.1.4.1.3704.1.3.1"), ("tee", "1.3.6.1.4.1.3704.1.3.2"),
                              ("snp", "1.3.6.1.4.1.3704.1.3.3"), ("microcode", "1.3.6.1.4.1.3704.1.3.8"))]
        ext.append(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.3704.1.4"),
                                              b"\x04\x40" + self.chip_id))
        self.vcek = cert("SEV-VCEK", "SEV-Test", self.vcek_key.public_key(), self.ask_key, ext)
        if tmp:
            self.ark_pem = os.path.join(tmp, "test-ark.pem")
            self.ask_pem = os.path.join(tmp, "test-ask.pem")
            for path, c in ((self.ark_pem, self.ark), (self.ask_pem, self.ask)):
                with open(path, "wb") as f:
                    f.write(c.public_bytes(serialization.Encoding.PEM))
        self.measurement = bytes.fromhex(M_GOOD)

    def report(self, report_data, vmpl=0, version=3, measurement=None, key=None, tcb=None):
        b = bytearray(0x4A0)
        t = dict(self.TCB, **(tcb or {}))
        tcb = bytes([t["bootloader"], t["tee"], 0, 0, 0, 0, t["snp"], t["microcode"]])
        struct.pack_into("<IIQ", b, 0, version, 1, 0x30000)
        struct.pack_into("<II", b, 0x30, vmpl, 1)
        for off in (0x38, 0x180, 0x1E0, 0x1F0):
            b[off:off + 8] = tcb
        struct.pack_into("<Q", b, 0x40, 1)
        b[0x50:0x90] = (report_data + bytes(64))[:64]
        b[0x90:0xC0] = measurement or self.measurement
        b[0x140:0x160] = os.urandom(32)
        b[0x160:0x180] = b"\xff" * 32
        if version >= 3:
            b[0x188:0x18B] = bytes([0x19, 0x01, 0x01])   # Milan
        b[0x1A0:0x1E0] = self.chip_id
        b[0x1E8:0x1EB] = bytes([21, 55, 1])
        b[0x1EC:0x1EF] = bytes([21, 55, 1])
        r, s = decode_dss_signature((key or self.vcek_key).sign(bytes(b[:0x2A0]), ec.ECDSA(hashes.SHA384())))
        b[0x2A0:0x2E8] = r.to_bytes(72, "little")
        b[0x2E8:0x330] = s.to_bytes(72, "little")
        return bytes(b)

    def evidence(self, digest, **kw):
        return {"attestation_report": report_json(self.report(digest, **kw)),
                "cert_chain": [{"cert_type": "VCEK", "data": list(self.vcek.public_bytes(serialization.Encoding.DER))}]}


def report_json(b):
    """The sev crate's serde form of a raw report (written here independently)."""
    u = lambda off, n: int.from_bytes(b[off:off + n], "little")  # noqa: E731
    arr = lambda off, n: list(b[off:off + n])  # noqa: E731

    def tcb(off):
        return {"fmc": None, "bootloader": b[off], "tee": b[off + 1], "snp": b[off + 6], "microcode": b[off + 7]}
    v = u(0, 4)
    rep = {"version": v, "guest_svn": u(4, 4), "policy": u(8, 8), "family_id": arr(0x10, 16),
           "image_id": arr(0x20, 16), "vmpl": u(0x30, 4), "sig_algo": u(0x34, 4), "current_tcb": tcb(0x38),
           "plat_info": u(0x40, 8), "key_info": u(0x48, 4), "report_data": arr(0x50, 64),
           "measurement": arr(0x90, 48), "host_data": arr(0xC0, 32), "id_key_digest": arr(0xE0, 48),
           "author_key_digest": arr(0x110, 48), "report_id": arr(0x140, 32), "report_id_ma": arr(0x160, 32),
           "reported_tcb": tcb(0x180),
           "cpuid_fam_id": b[0x188] if v >= 3 else None, "cpuid_mod_id": b[0x189] if v >= 3 else None,
           "cpuid_step": b[0x18A] if v >= 3 else None, "chip_id": arr(0x1A0, 64), "committed_tcb": tcb(0x1E0),
           "current": {"major": b[0x1EA], "minor": b[0x1E9], "build": b[0x1E8]},
           "committed": {"major": b[0x1EE], "minor": b[0x1ED], "build": b[0x1EC]}, "launch_tcb": tcb(0x1F0),
           "signature": {"r": arr(0x2A0, 72), "s": arr(0x2E8, 72)}}
    if v >= 5:
        rep["launch_mit_vector"], rep["current_mit_vector"] = u(0x1F8, 8), u(0x200, 8)
    return rep


# ------------------------------------------------------------------ harness


def case(name):
    def deco(fn):
        fn.case_name = name
        CASES.append(fn)
        return fn
    return deco


CASES = []


def expect(cond, msg="check failed"):
    if not cond:
        raise AssertionError(msg)


def expect_error(reply, status, variant, reason_re=None):
    expect(reply.status == status and reply.error_type == variant,
           "expected %d %s, got %r" % (status, variant, reply))
    if reason_re:
        expect(re.search(reason_re, reply.reason), "reason %r does not match %r" % (reply.reason, reason_re))


def start_inproc(cfg):
    cfg.quiet = not VERBOSE
    srv = kbs_server.make_server(cfg)
    threading.Thread(target=srv.serve_forever, args=(0.02,), daemon=True).start()
    SERVERS.append(srv)
    return "http://127.0.0.1:%d" % srv.server_address[1], srv


def start_proxy(upstream, mode, **kw):
    p = tamper_proxy.Proxy(upstream, tamper_proxy.Tamperer(mode, **kw), quiet=not VERBOSE)
    threading.Thread(target=p.serve_forever, args=(0.02,), daemon=True).start()
    SERVERS.append(p)
    return "http://127.0.0.1:%d" % p.server_address[1], p


def spawn(args, tmp, name):
    """Starts a script as a subprocess; waits for its port file."""
    port_file = os.path.join(tmp, name + ".port")
    log = open(os.path.join(tmp, name + ".log"), "w")
    p = subprocess.Popen([PY] + args + ["--port-file", port_file], stdout=subprocess.PIPE,
                         stderr=log, text=True)
    PROCS.append(p)
    deadline = time.time() + 10
    while time.time() < deadline:
        if os.path.exists(port_file):
            line = p.stdout.readline()
            expect(line.startswith("listening on 127.0.0.1:"), "first line: %r" % line)
            port = int(open(port_file).read())
            expect(line.strip().endswith(":%d" % port), "printed port differs from port file")
            return "http://127.0.0.1:%d" % port
        if p.poll() is not None:
            break
        time.sleep(0.02)
    raise AssertionError("%s did not start: %s" % (name, open(log.name).read()))


SERVERS, PROCS = [], []
VERBOSE = False
ENV = {}


def setup(tmp):
    snp = SnpModel(tmp)
    secret = os.urandom(32)
    ca_key = os.urandom(48)

    def base_cfg():
        cfg = kbs_server.Config()
        cfg.resources = {"default/sample/test": secret, "default/ca/key": ca_key, "default/empty/x": b""}
        cfg.resource_policies = [("default/ca/*", kbs_server.Policy("measurement", [M_GOOD]))]
        cfg.add_chain("any", kc.VendorChain.from_files(snp.ark_pem, snp.ask_pem))
        return cfg
    cfg = base_cfg()
    cfg.policy = kbs_server.Policy("allow-all")
    ENV["allow"], ENV["allow_srv"] = start_inproc(cfg)
    ENV["default"], _ = start_inproc(base_cfg())          # deny-sample, Trustee's default
    cfg = base_cfg()
    cfg.policy = kbs_server.Policy("allow-all")
    cfg.session_timeout = 1.0
    ENV["short"], _ = start_inproc(cfg)
    ENV.update(snp=snp, secret=secret, ca_key=ca_key, tmp=tmp)


# ------------------------------------------------------------------ cases: vectors


@case("vector/jcs_upstream_runtime_data_hash")
def _():
    v = json.load(open(shared_file("snp", "runtime-data-hash.json")))
    for impl in (canon, kc.jcs):
        text = impl(v["input_json"])
        expect(text == v["canonical_form_hashed"].encode(), "canonical text %r" % text)
        expect(hashlib.sha384(text).hexdigest() == v["expected_digest_hex"], "digest")


@case("vector/jcs_escaping_and_key_order")
def _():
    v = {"b": "\u00e9\n\x01\"\\", "a": [1, True, None], "\u00e9": 0, "A": {"z": 1, "y": 2}}
    expect(kc.jcs(v) == '{"A":{"y":2,"z":1},"a":[1,true,null],"b":"\u00e9\\n\\u0001\\"\\\\","\u00e9":0}'.encode(),
           kc.jcs(v))
    expect(kc.jcs({"\U0001F600": 1, "\uFFFD": 2}) == '{"\U0001F600":1,"\uFFFD":2}'.encode(), "UTF-16 key order")


@case("vector/kbs_types_protected_header_aad")
def _():
    v = json.load(open(os.path.join(SHARED, "kbs", "kbs-types-vectors.json")))
    g = v["protected_header_generate_aad"]
    expect(b64u(kc.dumps_compact(g["input_header"]).encode()) == g["expect_aad_ascii"], "aad")
    expect(kc.b64url_decode(v["parse_response"]["input"]["encrypted_key"]) == b"fakekey", "b64url")


@case("vector/semver_exact_0_4_0")
def _():
    expect(kc.version_matches("0.4.0") and kc.version_matches("0.4.0+build.5"), "0.4.0 accepted")
    for bad in ("0.4.1", "0.3.0", "1.0.0", "0.4.0-rc1"):
        expect(not kc.version_matches(bad), bad)
    for unparsable in ("v0.4.0", "0.4", "00.4.0", "0.4.0 ", ""):
        try:
            kc.version_matches(unparsable)
            raise AssertionError("parsed %r" % unparsable)
        except kc.Invalid:
            pass


# ------------------------------------------------------------------ cases: the happy path


def happy(kind):
    secret, c, token = exchange(ENV["allow"], kind)
    expect(secret == ENV["secret"], "secret differs")
    return c, token


@case("happy/sample_p256")
def _():
    happy("p256")


@case("happy/sample_p521")
def _():
    happy("p521")


@case("happy/sample_rsa_oaep_256")
def _():
    happy("rsa")


@case("happy/sample_rsa1_5_deprecated")
def _():
    happy("rsa1_5")


@case("happy/empty_resource")
def _():
    secret, _, _ = exchange(ENV["allow"], "p256", path="default/empty/x")
    expect(secret == b"", "empty")


@case("wire/challenge_and_cookie_shape")
def _():
    c = Client(ENV["allow"])
    r = c.auth("sample", extra={"supported-hash-algorithms": ["sha384"]})
    expect(r.status == 200 and r.headers.get("content-type") == "application/json", repr(r))
    expect(r.body.decode() == '{"nonce":"%s","extra-params":""}' % r.json()["nonce"], r.body)
    nonce = r.json()["nonce"]
    expect(len(nonce) == 44 and len(base64.b64decode(nonce, validate=True)) == 32, nonce)
    expect(re.fullmatch(r"kbs-session-id=[0-9a-f]{32}; Expires=\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT",
                        c.set_cookie), c.set_cookie)
    expect(c.cookie[12] == "4", "UUIDv4")


@case("wire/jwe_protected_header_exact_p256_p521_rsa")
def _():
    for kind, crv in (("p256", "P-256"), ("p521", "P-521"), ("rsa", None)):
        c = Client(ENV["allow"])
        nonce = c.auth().json()["nonce"]
        priv, jwk = make_key(kind)
        expect(c.attest(nonce, jwk, sample_evidence(binding_digest(nonce, jwk))).status == 200, "attest")
        r = c.resource()
        j = r.json()
        expect(list(j) == ["protected", "encrypted_key", "iv", "ciphertext", "tag"], list(j))
        expect(all(re.fullmatch(r"[A-Za-z0-9_-]*", v) for v in j.values()), "unpadded base64url")
        hdr = b64u_dec(j["protected"]).decode()
        if crv:
            size = 32 if crv == "P-256" else 66
            h = json.loads(hdr)
            expect(hdr == '{"alg":"ECDH-ES+A256KW","enc":"A256GCM","epk":{"crv":"%s","kty":"EC","x":"%s","y":"%s"}}'
                   % (crv, h["epk"]["x"], h["epk"]["y"]), hdr)
            expect(len(b64u_dec(h["epk"]["x"])) == size and len(b64u_dec(j["encrypted_key"])) == 40, "sizes")
        else:
            expect(hdr == '{"alg":"RSA-OAEP-256","enc":"A256GCM"}', hdr)
        expect(decrypt_jwe(r.body, priv) == ENV["secret"], "decrypt")


@case("token/ear_shape_and_tee_pubkey_claim")
def _():
    c, token = happy("p256")
    h = json.loads(b64u_dec(token.split(".")[0]))
    expect(h["alg"] == "ES256" and h["jwk"]["crv"] == "P-256", h)
    cl = token_claims(token)
    ae = cl["submods"]["cpu0"]["ear.veraison.annotated-evidence"]
    expect(cl["eat_profile"] == "tag:github.com,2023:veraison/ear" and cl["exp"] > cl["iat"], cl)
    expect(ae["runtime_data_claims"]["tee-pubkey"]["kty"] == "EC" and "sample" in ae, ae)
    expect(cl["submods"]["cpu0"]["ear.status"] in ("affirming", "warning", "contraindicated"), "status")
    # ES256 signature by the key in the header, checked here independently.
    x, y = (int.from_bytes(b64u_dec(h["jwk"][k]), "big") for k in ("x", "y"))
    sig = b64u_dec(token.split(".")[2])
    ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key().verify(
        encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
        token.rsplit(".", 1)[0].encode(), ec.ECDSA(hashes.SHA256()))


@case("token/bearer_without_cookie")
def _():
    _, _, token = exchange(ENV["allow"])
    r = Client(ENV["allow"]).resource(bearer=token)
    expect(r.status == 200, repr(r))


@case("token/bearer_tampered_refused")
def _():
    _, _, token = exchange(ENV["allow"])
    head, claims, sig = token.split(".")
    cl = json.loads(b64u_dec(claims))
    cl["exp"] += 3600
    forged = head + "." + b64u(json.dumps(cl).encode()) + "." + sig
    expect_error(Client(ENV["allow"]).resource(bearer=forged), 401, "TokenVerifierError", "signature")


@case("token/bearer_self_signed_refused")
def _():
    # A token signed by a key of the attacker, announced in its own header:
    # refused unless the server runs with insecure_header_jwk (Trustee's test setting).
    _, _, token = exchange(ENV["allow"])
    signer = kc.TokenSigner()
    forged = signer.sign(token_claims(token))
    expect_error(Client(ENV["allow"]).resource(bearer=forged), 401, "TokenVerifierError")


@case("attest/already_attested_returns_same_token")
def _():
    _, c, token = exchange(ENV["allow"])
    priv, jwk = make_key("p256")
    r = c.attest("whatever", jwk, {"svn": "1", "report_data": ""})
    expect(r.status == 200 and r.json()["token"] == token, repr(r))


@case("attest/init_data_recorded_for_sample")
def _():
    c = Client(ENV["allow"])
    nonce = c.auth().json()["nonce"]
    priv, jwk = make_key("p256")
    body = 'version = "0.1.0"\nalgorithm = "sha384"\n[data]\n"policy.rego" = "x"\n'
    r = c.attest(nonce, jwk, sample_evidence(binding_digest(nonce, jwk)), init_data={"format": "toml", "body": body})
    expect(r.status == 200, repr(r))
    ae = token_claims(r.json()["token"])["submods"]["cpu0"]["ear.veraison.annotated-evidence"]
    expect(ae["init_data"] == base64.b64encode(hashlib.sha384(body.encode()).digest()).decode(), ae)
    expect(ae["init_data_claims"] == {"policy.rego": "x"}, ae)


# ------------------------------------------------------------------ cases: refusals


@case("auth/version_mismatch_0_3_0")
def _():
    r = Client(ENV["allow"]).auth(version="0.3.0")
    expect_error(r, 401, "AttestationError")
    expect("KBS Client Protocol Version Mismatch" in r.json()["detail"], r.json()["detail"])


@case("auth/version_unparsable")
def _():
    r = Client(ENV["allow"]).auth(version="v0.4.0")
    expect_error(r, 401, "AttestationError", "failed to parse KBS version")


@case("auth/version_build_metadata_accepted")
def _():
    expect(Client(ENV["allow"]).auth(version="0.4.0+husk").status == 200, "semver =0.4.0 ignores build metadata")


@case("auth/missing_member_and_unknown_tee")
def _():
    c = Client(ENV["allow"])
    for body in ({"version": "0.4.0", "tee": "sample"}, {"version": "0.4.0", "tee": "sev", "extra-params": ""},
                 {"version": "0.4.0", "tee": "azsnpvtpm", "extra-params": ""}, b"{not json", b"[]",
                 b'{"version":"0.4.0","version":"0.4.0","tee":"sample","extra-params":""}'):
        expect_error(c.req("POST", "/kbs/v0/auth", body), 401, "AttestationError", "deserialize Request")


@case("attest/missing_cookie")
def _():
    c = Client(ENV["allow"])
    nonce = c.auth().json()["nonce"]
    priv, jwk = make_key("p256")
    c.cookie = None
    expect_error(c.attest(nonce, jwk, sample_evidence(binding_digest(nonce, jwk))), 401, "AttestationError",
                 "cookie not found")


@case("attest/unknown_cookie")
def _():
    c = Client(ENV["allow"])
    nonce = c.auth().json()["nonce"]
    priv, jwk = make_key("p256")
    c.cookie = "0" * 32
    expect_error(c.attest(nonce, jwk, sample_evidence(binding_digest(nonce, jwk))), 401, "AttestationError",
                 "unknown session")


@case("attest/expired_cookie_and_resource_after_expiry")
def _():
    c = Client(ENV["short"])
    nonce = c.auth().json()["nonce"]
    priv, jwk = make_key("p256")
    ev = sample_evidence(binding_digest(nonce, jwk))
    c2 = Client(ENV["short"])
    n2 = c2.auth().json()["nonce"]
    r = c2.attest(n2, jwk, sample_evidence(binding_digest(n2, jwk)))
    expect(r.status == 200, "attest c2: %r" % r)
    token = r.json()["token"]
    time.sleep(1.15)
    expect_error(c.attest(nonce, jwk, ev), 401, "AttestationError", "session expired")
    expect_error(c2.resource(), 401, "TokenNotFound")
    # The token itself lives longer than the session: Bearer still works.
    r = c2.resource(bearer=token, cookie=False)
    expect(r.status == 200 and decrypt_jwe(r.body, priv) == ENV["secret"], repr(r))


@case("attest/wrong_nonce")
def _():
    c = Client(ENV["allow"])
    nonce = c.auth().json()["nonce"]
    other = base64.b64encode(os.urandom(32)).decode()
    priv, jwk = make_key("p256")
    expect_error(c.attest(other, jwk, sample_evidence(binding_digest(other, jwk))), 401, "AttestationError",
                 "nonce in the handshake session is different")
    # The nonce must be byte-identical: the same bytes without padding fail too.
    expect_error(c.attest(nonce.rstrip("="), jwk, sample_evidence(binding_digest(nonce.rstrip("="), jwk))),
                 401, "AttestationError", "nonce")
    # A failed /attest leaves the session usable, as in Trustee.
    expect(c.attest(nonce, jwk, sample_evidence(binding_digest(nonce, jwk))).status == 200, "retry")


@case("attest/binding_key_altered_after_hashing")
def _():
    c = Client(ENV["allow"])
    nonce = c.auth().json()["nonce"]
    priv, jwk = make_key("p256")
    _, other = make_key("p256")
    expect_error(c.attest(nonce, other, sample_evidence(binding_digest(nonce, jwk))), 401, "AttestationError",
                 "report_data is not the SHA-384")


@case("attest/binding_extra_jwk_member")
def _():
    c = Client(ENV["allow"])
    nonce = c.auth().json()["nonce"]
    priv, jwk = make_key("p256")
    with_kid = dict(jwk, kid="k1", use="enc")
    # Hashing the extra members fails: the server re-serialises the key without them.
    expect_error(c.attest(nonce, with_kid, sample_evidence(binding_digest(nonce, with_kid))), 401,
                 "AttestationError", "report_data")
    # Sending them but hashing only the known members passes (and the JWE still comes).
    expect(c.attest(nonce, with_kid, sample_evidence(binding_digest(nonce, jwk))).status == 200, "known only")
    expect(decrypt_jwe(c.resource().body, priv) == ENV["secret"], "secret")


@case("attest/binding_additional_evidence_hashed")
def _():
    c = Client(ENV["allow"])
    nonce = c.auth().json()["nonce"]
    priv, jwk = make_key("p256")
    # additional_evidence is part of the hash; a client hashing "" but sending
    # something else fails before any device evidence is looked at.
    r = c.attest(nonce, jwk, sample_evidence(binding_digest(nonce, jwk)), additional='{"sample":{}}')
    expect_error(r, 401, "AttestationError", "report_data")


@case("attest/sample_digest_padded_to_64_refused")
def _():
    c = Client(ENV["allow"])
    nonce = c.auth().json()["nonce"]
    priv, jwk = make_key("p256")
    ev = sample_evidence(binding_digest(nonce, jwk) + bytes(16))
    expect_error(c.attest(nonce, jwk, ev), 401, "AttestationError", "report_data")


@case("attest/malformed_attestation_refused")
def _():
    c = Client(ENV["allow"])
    nonce = c.auth().json()["nonce"]
    priv, jwk = make_key("p256")
    ev = sample_evidence(binding_digest(nonce, jwk))
    bad = [
        {"runtime-data": {"nonce": nonce, "tee-pubkey": jwk}, "tee-evidence": {"primary_evidence": ev}},
        {"runtime-data": {"nonce": nonce, "tee-pubkey": jwk},
         "tee-evidence": {"primary_evidence": ev, "additional_evidence": {}}},
        {"runtime-data": {"nonce": nonce, "tee-pubkey": dict(jwk, kty="OKP")},
         "tee-evidence": {"primary_evidence": ev, "additional_evidence": ""}},
        {"runtime-data": {"nonce": nonce, "tee-pubkey": jwk},
         "tee-evidence": {"primary_evidence": {"report_data": ev["report_data"]}, "additional_evidence": ""}},
    ]
    for att in bad:
        expect_error(c.req("POST", "/kbs/v0/attest", att), 401, "AttestationError")
    expect(c.attest(nonce, jwk, ev).status == 200, "the good one afterwards")


@case("resource/unsupported_key_p384_jwe_error")
def _():
    c = Client(ENV["allow"])
    nonce = c.auth().json()["nonce"]
    priv, jwk = make_key("p384")
    expect(c.attest(nonce, jwk, sample_evidence(binding_digest(nonce, jwk))).status == 200, "attest accepts P-384")
    expect_error(c.resource(), 401, "JweError", "not supported")


@case("resource/not_found_plugin_internal_error")
def _():
    _, c, _ = exchange(ENV["allow"])
    expect_error(c.resource("default/sample/nosuch"), 401, "PluginInternalError", "not found")


@case("resource/bad_paths")
def _():
    _, c, _ = exchange(ENV["allow"])
    expect_error(c.req("GET", "/kbs/v0/nosuchplugin/a/b/c"), 404, "PluginNotFound")
    expect_error(c.req("GET", "/kbs/v0/auth"), 404, "PluginNotFound")      # GET on a POST-only endpoint
    expect_error(c.resource("default/sample/.test"), 401, "PluginInternalError", "ResourceDesc")
    expect_error(c.resource("default/sample/test/extra"), 401, "PluginInternalError", "ResourceDesc")
    expect_error(c.resource("default/sample%2Ftest/x"), 401, "PluginInternalError", "ResourceDesc")
    expect(c.req("GET", "/nothing").status == 404, "outside /kbs/v0")
    expect(c.req("PUT", "/kbs/v0/resource/default/sample/test").status == 405, "PUT")


@case("resource/no_token")
def _():
    expect_error(Client(ENV["allow"]).resource(), 401, "TokenNotFound")
    c = Client(ENV["allow"])
    c.auth()                                       # authed, not attested
    expect_error(c.resource(), 401, "TokenNotFound")


@case("resource/admin_api_denied")
def _():
    c = Client(ENV["allow"])
    expect_error(c.req("POST", "/kbs/v0/resource/default/sample/test", b"evil"), 401, "AdminAuth")
    expect_error(c.req("POST", "/kbs/v0/resource-policy", {"policy": ""}), 401, "AdminAuth")
    expect(exchange(ENV["allow"])[0] == ENV["secret"], "secret unchanged")


@case("http/healthz_metrics_body_limit")
def _():
    c = Client(ENV["allow"])
    expect(c.req("GET", "/healthz").status == 200, "healthz")
    expect(b"husk_kbs_auth_total" in c.req("GET", "/metrics").body, "metrics")
    r = c.req("POST", "/kbs/v0/auth", b" " * (2 * 1024 * 1024 + 1))
    expect(r.status == 413, repr(r))
    r = c.req("POST", "/kbs/v0/auth", json.dumps({"version": "0.4.0", "tee": "sample", "extra-params":
                                                  "x" * (2 * 1024 * 1024 - 100)}).encode())
    expect(r.status == 200, "just under 2 MiB: %r" % r)


# ------------------------------------------------------------------ cases: policies


@case("policy/deny_sample_default")
def _():
    try:
        exchange(ENV["default"])
        raise AssertionError("sample released under the default policy")
    except Failed as f:
        expect(f.step == "resource", f)
        expect_error(f.reply, 401, "PolicyDeny")


@case("policy/deny_sample_allows_snp")
def _():
    secret, _, _ = exchange(ENV["default"], tee="snp", snp=ENV["snp"])
    expect(secret == ENV["secret"], "secret")


@case("policy/measurement_per_resource_match")
def _():
    secret, _, _ = exchange(ENV["allow"], path="default/ca/key", measurement=M_GOOD)
    expect(secret == ENV["ca_key"], "ca key")
    secret, _, _ = exchange(ENV["allow"], path="default/ca/key", measurement=M_GOOD.upper())
    expect(secret == ENV["ca_key"], "hex case")


@case("policy/measurement_per_resource_mismatch_or_absent")
def _():
    for m in (M_BAD, None, "zz", 12):
        try:
            exchange(ENV["allow"], path="default/ca/key", measurement=m)
            raise AssertionError("released to measurement %r" % m)
        except Failed as f:
            expect_error(f.reply, 401, "PolicyDeny")
    # The other resources of the same server stay allow-all.
    expect(exchange(ENV["allow"], measurement=M_BAD)[0] == ENV["secret"], "allow-all resource")


@case("policy/measurement_snp")
def _():
    secret, _, token = exchange(ENV["allow"], tee="snp", path="default/ca/key", snp=ENV["snp"])
    expect(secret == ENV["ca_key"], "secret")
    snp_claims = token_claims(token)["submods"]["cpu0"]["ear.veraison.annotated-evidence"]["snp"]
    expect(snp_claims["measurement"] == M_GOOD, snp_claims)


# ------------------------------------------------------------------ cases: SNP


@case("snp/upstream_report_signature_vcek")
def _():
    raw = open(os.path.join(SHARED, "snp", "snp-test-report-vcek.bin"), "rb").read()
    vcek = x509.load_der_x509_certificate(open(os.path.join(SHARED, "snp", "snp-test-vcek.der"), "rb").read())
    r, s = int.from_bytes(raw[0x2A0:0x2E8], "little"), int.from_bytes(raw[0x2E8:0x330], "little")
    vcek.public_key().verify(encode_dss_signature(r, s), raw[:0x2A0], ec.ECDSA(hashes.SHA384()))
    expect(kc.report_signature_ok(raw, vcek.public_key()), "server-side check")
    bad = bytearray(raw)
    bad[0x50] ^= 1
    expect(not kc.report_signature_ok(bytes(bad), vcek.public_key()), "corrupted")
    expect(struct.unpack_from("<I", raw)[0] == 2, "it is a v2 report")
    # raw -> JSON (here) -> raw (server): the two encoders agree on the layout.
    expect(kc.report_to_bytes(report_json(raw)) == raw, "layout round trip")


@case("snp/upstream_report_signature_vlek")
def _():
    raw = open(os.path.join(SHARED, "snp", "snp-test-report-vlek.bin"), "rb").read()
    vlek = x509.load_der_x509_certificate(open(os.path.join(SHARED, "snp", "snp-test-vlek.der"), "rb").read())
    expect(kc.report_signature_ok(raw, vlek.public_key()), "VLEK signature")


@case("snp/upstream_e2e_evidence_full_check_with_amd_roots")
def _():
    ev = json.load(open(os.path.join(SHARED, "snp", "snp-evidence-e2e.json")))
    rep = ev["attestation_report"]
    expect(rep["version"] == 3 and ev["cert_chain"][0]["cert_type"] == "VCEK", "shape")
    cfg = {"chains": {g: kc.VendorChain.from_trustee_pem(os.path.join(SHARED, "snp", "amd-%s-ask-ark-asvk.pem" %
                                                                      g.lower()))
                      for g in ("Milan", "Genoa", "Turin")}}
    claims, _ = kc.verify_snp_evidence(ev, bytes(rep["report_data"]), None, cfg)
    expect(claims["measurement"] == bytes(rep["measurement"]).hex(), claims)
    try:
        kc.verify_snp_evidence(ev, os.urandom(48), None, cfg)
        raise AssertionError("accepted with another REPORT_DATA")
    except kc.Invalid as e:
        expect("Report Data Mismatch" in str(e), e)
    cfg["chains"] = {"Genoa": cfg["chains"]["Milan"]}
    try:
        kc.verify_snp_evidence(ev, bytes(rep["report_data"]), None, cfg)
        raise AssertionError("accepted with the wrong roots")
    except kc.Invalid as e:
        expect("signature" in str(e), e)


def snp_attest(mutate=None, **kw):
    c = Client(ENV["allow"])
    nonce = c.auth("snp").json()["nonce"]
    priv, jwk = make_key("p521")
    ev = ENV["snp"].evidence(binding_digest(nonce, jwk), **kw)
    if mutate:
        mutate(ev)
    return c, priv, c.attest(nonce, jwk, ev)


@case("snp/test_chain_accepted")
def _():
    c, priv, r = snp_attest()
    expect(r.status == 200, repr(r))
    expect(decrypt_jwe(c.resource().body, priv) == ENV["secret"], "secret")


@case("snp/corrupted_report_refused")
def _():
    def corrupt(ev):
        ev["attestation_report"]["measurement"][0] ^= 1
    expect_error(snp_attest(corrupt)[2], 401, "AttestationError", "Signature validation failed")

    def corrupt_sig(ev):
        ev["attestation_report"]["signature"]["r"][0] ^= 1
    expect_error(snp_attest(corrupt_sig)[2], 401, "AttestationError", "Signature validation failed")


@case("snp/refusals_vmpl_version_chain_binding")
def _():
    expect_error(snp_attest(vmpl=1)[2], 401, "AttestationError", "VMPL")
    expect_error(snp_attest(version=2)[2], 401, "AttestationError", "version")
    expect_error(snp_attest(version=6)[2], 401, "AttestationError", "version")
    expect_error(snp_attest(key=ec.generate_private_key(ec.SECP384R1()))[2], 401, "AttestationError", "Signature")

    def no_chain(ev):
        ev["cert_chain"] = None
    expect_error(snp_attest(no_chain)[2], 401, "AttestationError", "VCEK")

    def other_vcek(ev):   # a VCEK signed by another ASK
        other = SnpModel(chip_id=ENV["snp"].chip_id)
        ev["cert_chain"][0]["data"] = list(other.vcek.public_bytes(serialization.Encoding.DER))
    expect_error(snp_attest(other_vcek)[2], 401, "AttestationError", "Invalid VCEK signature")

    expect_error(snp_attest(tcb={"microcode": 1})[2], 401, "AttestationError", "microcode version mismatch")
    c = Client(ENV["allow"])
    nonce = c.auth("snp").json()["nonce"]
    priv, jwk = make_key("p521")
    expect_error(c.attest(nonce, jwk, ENV["snp"].evidence(binding_digest(nonce, jwk, "x"))), 401,
                 "AttestationError", "Report Data Mismatch")
    # The sample evidence is no SNP evidence: the TEE of /auth decides the verifier.
    expect_error(c.attest(nonce, jwk, sample_evidence(binding_digest(nonce, jwk))), 401, "AttestationError")


@case("snp/chip_id_mismatch_refused")
def _():
    model = ENV["snp"]
    c = Client(ENV["allow"])
    nonce = c.auth("snp").json()["nonce"]
    priv, jwk = make_key("p256")
    saved = model.chip_id
    model.chip_id = os.urandom(64)
    try:
        ev = model.evidence(binding_digest(nonce, jwk))
    finally:
        model.chip_id = saved
    expect_error(c.attest(nonce, jwk, ev), 401, "AttestationError", "Chip ID mismatch")


# ------------------------------------------------------------------ cases: the tampering proxy


def tamper_outcome(mode, tee="sample", path="default/sample/test", measurement=None, proxy_measurement=None,
                   **kw):
    """Runs one exchange through the proxy: returns ("ok", secret) or ("failed", step)."""
    base, proxy = start_proxy(ENV["allow"], mode, measurement=proxy_measurement, **kw)
    try:
        secret, _, _ = exchange(base, "p256", tee=tee, path=path, measurement=measurement, snp=ENV["snp"])
        result = ("ok", secret)
    except Failed as f:
        result = ("failed", f.step)
    except Exception as e:   # noqa: BLE001 -- the client refused (decryption, parsing)
        result = ("failed", "client: " + type(e).__name__)
    proxy.shutdown()
    proxy.server_close()
    return result, proxy.tamperer.stats


# Covered by their own cases below: attest-token (the cookie path does not use
# the client's copy of the token), attest-measurement (sample carries no
# hardware trust), jwe-substitute (the protocol's known limitation).
SPECIAL = ("attest-token", "attest-measurement", "jwe-substitute")
MUST_FAIL = [m for m in tamper_proxy.MODES if m not in tamper_proxy.BENIGN + SPECIAL]


def make_tamper_case(mode):
    @case("tamper/%s_fails_secret_intact" % mode)
    def _():
        for tee in ("sample", "snp") if mode.startswith("attest-") else ("sample",):
            (outcome, detail), stats = tamper_outcome(mode, tee=tee)
            expect(stats["tampered"] >= 1, "%s/%s: nothing was altered: %s" % (mode, tee, stats))
            expect(outcome == "failed", "%s/%s: exchange succeeded, secret %s" % (
                mode, tee, "intact" if detail == ENV["secret"] else "ALTERED"))


for _mode in MUST_FAIL:
    if _mode != "none":
        make_tamper_case(_mode)


@case("tamper/benign_alterations_keep_the_secret")
def _():
    for mode in tamper_proxy.BENIGN:
        (outcome, detail), stats = tamper_outcome(mode)
        expect(outcome == "ok" and detail == ENV["secret"], "%s: %s %s" % (mode, outcome, detail))
        expect(mode == "none" or stats["tampered"] >= 1, "%s altered nothing" % mode)


@case("tamper/jwe_substitute_undetectable_known_limitation")
def _():
    # Trustee's JWE is not authenticated by the KBS: whoever sees the
    # tee-pubkey can encrypt a secret of its choice to it (reference §5.4).
    (outcome, detail), stats = tamper_outcome("jwe-substitute", substitute_secret=b"\x41" * 32)
    expect(outcome == "ok" and detail == b"\x41" * 32, "%s %r" % (outcome, detail))


@case("tamper/sample_measurement_forgeable_no_hw_trust")
def _():
    # husk-measurement is not bound into report_data: a proxy can rewrite it.
    (outcome, detail), _ = tamper_outcome("attest-measurement", path="default/ca/key", measurement=M_BAD,
                                          proxy_measurement=M_GOOD)
    expect(outcome == "ok" and detail == ENV["ca_key"], "%s %r" % (outcome, detail))
    # ...whereas SNP's MEASUREMENT is signed.
    (outcome, _), _ = tamper_outcome("attest-measurement", tee="snp", path="default/ca/key", measurement=M_GOOD)
    expect(outcome == "failed", outcome)


@case("tamper/attest_token_cookie_path_unaffected_bearer_refused")
def _():
    # The KBS keeps the token in the session: an altered copy on the way back
    # does not matter to a client that uses the cookie (husk's proxy does)...
    (outcome, detail), stats = tamper_outcome("attest-token")
    expect(stats["tampered"] == 1 and outcome == "ok" and detail == ENV["secret"], "%s %s" % (outcome, stats))
    # ...and a client that presents the altered token as Bearer is refused.
    base, proxy = start_proxy(ENV["allow"], "attest-token")
    c = Client(base)
    nonce = c.auth().json()["nonce"]
    priv, jwk = make_key("p256")
    token = c.attest(nonce, jwk, sample_evidence(binding_digest(nonce, jwk))).json()["token"]
    expect_error(Client(ENV["allow"]).resource(bearer=token), 401, "TokenVerifierError")


# ------------------------------------------------------------------ cases: the command lines


@case("cli/server_flags_measurement_policy")
def _():
    m_file = os.path.join(ENV["tmp"], "secret.bin")
    with open(m_file, "wb") as f:
        f.write(b"from-a-file")
    base = spawn([os.path.join(HERE, "kbs_server.py"), "--port", "0", "--policy", "measurement",
                  "--measurement", M_GOOD, "--resource", "default/sample/test=file:" + m_file,
                  "--resource", "default/hex/x=hex:00ff", "--snp-ark", ENV["snp"].ark_pem,
                  "--snp-ask", ENV["snp"].ask_pem], ENV["tmp"], "cli-server")
    expect(exchange(base, measurement=M_GOOD)[0] == b"from-a-file", "match")
    expect(exchange(base, "p521", path="default/hex/x", measurement=M_GOOD)[0] == b"\x00\xff", "hex")
    try:
        exchange(base, measurement=M_BAD)
        raise AssertionError("released to a wrong measurement")
    except Failed as f:
        expect_error(f.reply, 401, "PolicyDeny")
    expect(exchange(base, tee="snp", snp=ENV["snp"])[0] == b"from-a-file", "snp measurement")
    ENV["cli_base"] = base


@case("cli/server_toml_and_json_config")
def _():
    tmp = ENV["tmp"]
    with open(os.path.join(tmp, "key.bin"), "wb") as f:
        f.write(b"toml-secret")
    toml = os.path.join(tmp, "kbs.toml")
    with open(toml, "w") as f:
        f.write('policy = "allow-all"\nsession_timeout_s = 30\n'
                '[resources]\n"default/sample/test" = "file:key.bin"\n"default/ca/key" = "text:ca"\n'
                '[resource_policies]\n"default/ca/key" = "measurement:%s"\n'
                '[snp]\nreport_versions = [3, 5]\n'
                '[[snp.vendor_certs]]\ngeneration = "any"\nark = "%s"\nask = "%s"\n'
                % (M_GOOD, ENV["snp"].ark_pem, ENV["snp"].ask_pem))
    base = spawn([os.path.join(HERE, "kbs_server.py"), "--config", toml], tmp, "toml-server")
    expect(exchange(base)[0] == b"toml-secret", "toml resource")
    expect(exchange(base, path="default/ca/key", measurement=M_GOOD)[0] == b"ca", "per-resource policy")
    try:
        exchange(base, path="default/ca/key", measurement=M_BAD)
        raise AssertionError("per-resource policy ignored")
    except Failed:
        pass
    js = os.path.join(tmp, "kbs.json")
    with open(js, "w") as f:
        json.dump({"policy": {"policy": "measurement", "measurements": [M_GOOD]},
                   "resources": {"default/a/b": {"hex": "0102"}}, "session_timeout_s": 5}, f)
    cfg = kbs_server.Config()
    cfg.load_file(js)
    expect(cfg.resources == {"default/a/b": b"\x01\x02"} and cfg.policy.name == "measurement", "json")
    for bad in ({"resources": {"a/b": "hex:00"}}, {"policy": "bogus"}, {"nonsense": 1}):
        try:
            kbs_server.Config().apply(bad)
            raise AssertionError("accepted %r" % bad)
        except ValueError:
            pass


@case("cli/tamper_proxy_process")
def _():
    out = subprocess.run([PY, os.path.join(HERE, "tamper_proxy.py"), "--list"], capture_output=True, text=True)
    expect(out.returncode == 0 and "jwe-tag" in out.stdout, out.stderr)
    base = ENV.get("cli_base") or ENV["allow"]
    proxy = spawn([os.path.join(HERE, "tamper_proxy.py"), "--upstream", base, "--tamper", "challenge-nonce",
                   "--once"], ENV["tmp"], "cli-proxy")
    try:
        exchange(proxy, measurement=M_GOOD)
        raise AssertionError("exchange succeeded through challenge-nonce")
    except Failed as f:
        expect(f.step == "attest", f)
    stats = Client(proxy).req("GET", "/_tamper/stats").json()
    expect(stats["tampered"] == 1 and stats["mode"] == "challenge-nonce", stats)
    expect(exchange(proxy, measurement=M_GOOD)[0], "--once: the second exchange passes")


# ------------------------------------------------------------------ main


def main():
    global VERBOSE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verbose", action="store_true", help="show the servers' request logs")
    ap.add_argument("-k", default="", help="run only cases whose name contains this")
    args = ap.parse_args()
    VERBOSE = args.verbose
    t0 = time.time()
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        try:
            setup(tmp)
        except Exception:  # noqa: BLE001
            print("FAIL setup")
            traceback.print_exc(file=sys.stdout)
            return 1
        for fn in CASES:
            if args.k not in fn.case_name:
                continue
            try:
                fn()
                print("PASS %s" % fn.case_name, flush=True)
            except Exception as e:  # noqa: BLE001
                failed += 1
                print("FAIL %s" % fn.case_name, flush=True)
                print("    | %s: %s" % (type(e).__name__, e))
                if VERBOSE:
                    traceback.print_exc(file=sys.stdout)
        for p in PROCS:
            p.terminate()
        for p in PROCS:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        for s in SERVERS:
            s.shutdown()
            s.server_close()
    print("%d cases, %d failed (%.1f s)" % (len([c for c in CASES if args.k in c.case_name]), failed,
                                            time.time() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""husk's KBS-protocol test server: Trustee's KBS (protocol 0.4.0, built-in
CoCo attestation service) as far as husk's tests need it, reproduced from
Trustee's source behaviour.  What it does and where it differs from Trustee:
docs/kbs-server.md.

    /usr/bin/python3 tests/kbs/kbs_server.py [--config FILE] [--port N]
        [--port-file F] [--resource PATH=hex:..|file:..|text:..] [--policy P] ...

Prints `listening on 127.0.0.1:PORT` once it accepts connections, then one
line on stderr per request with the decision.  Standard library plus Debian's
python3-cryptography only."""
import argparse
import email.utils
import fnmatch
import hashlib
import http.server
import json
import os
import sys
import threading
import time
import tomllib
import urllib.parse
import uuid

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kbs_common as kc  # noqa: E402
from kbs_common import Invalid, KbsError  # noqa: E402

POLICIES = ("allow-all", "deny-all", "deny-sample", "measurement", "affirming")
EAR_PROFILE = "tag:github.com,2023:veraison/ear"


# ------------------------------------------------------------------ configuration


class Policy:
    """A resource policy: one of POLICIES; `measurements` for "measurement"."""

    def __init__(self, name, measurements=()):
        if name not in POLICIES:
            raise ValueError("unknown policy %r (one of %s)" % (name, ", ".join(POLICIES)))
        self.name = name
        self.measurements = {m.lower() for m in measurements}
        for m in self.measurements:
            bytes.fromhex(m)
        if name == "measurement" and not self.measurements:
            raise ValueError("policy measurement needs at least one expected measurement")

    @classmethod
    def parse(cls, spec, default_measurements=()):
        """"allow-all", "measurement:HEX[,HEX]", or {"policy":..,"measurements":[..]}."""
        if isinstance(spec, dict):
            return cls(spec.get("policy", "measurement"), spec.get("measurements", default_measurements))
        name, _, ms = spec.partition(":")
        return cls(name, [m for m in ms.split(",") if m] or default_measurements)

    def __str__(self):
        return self.name + (":" + ",".join(sorted(self.measurements)) if self.name == "measurement" else "")


class Config:
    def __init__(self):
        self.host = "127.0.0.1"
        self.port = 0
        self.resources = {}             # "repo/type/tag" -> bytes
        self.policy = Policy("deny-sample")   # Trustee's default.rego behaviour
        self.resource_policies = []     # [(pattern, Policy)], first match wins
        self.session_timeout = 300.0    # seconds (Trustee: attestation_service.timeout, 5 min)
        self.token_duration = 300.0     # seconds (attestation_token_broker.duration_min, 5 min)
        self.payload_limit = 2 * 1024 * 1024
        self.snp_chains = {}            # generation or "any" -> VendorChain
        self.snp_min_version, self.snp_max_version = 3, 5
        self.snp_vcek_store = None
        self.insecure_header_jwk = False
        self.policy_deny_status = 401
        self.admin = "deny-all"
        self.reason_header = True
        self.quiet = False

    # A resource value: "hex:..", "file:..", "text:..", or {"hex"|"file"|"text": ..}.
    @staticmethod
    def resource_value(spec, base):
        if isinstance(spec, dict) and len(spec) == 1:
            (kind, val), = spec.items()
        elif isinstance(spec, str) and ":" in spec:
            kind, _, val = spec.partition(":")
        else:
            raise ValueError("resource value %r: use hex:, file: or text:" % (spec,))
        if kind == "hex":
            return bytes.fromhex(val)
        if kind == "file":
            with open(os.path.join(base, val), "rb") as f:
                return f.read()
        if kind == "text":
            return val.encode()
        raise ValueError("resource value kind %r: use hex, file or text" % kind)

    @staticmethod
    def check_path(path):
        parts = path.split("/")
        if len(parts) != 3 or not all(kc_segment_ok(p) for p in parts):
            raise ValueError("resource path %r is not <repository>/<type>/<tag>" % path)

    def add_chain(self, gen, chain):
        if gen not in ("Milan", "Genoa", "Turin", "any"):
            raise ValueError("SNP generation %r: Milan, Genoa, Turin or any" % gen)
        self.snp_chains[gen] = chain

    def load_file(self, path):
        base = os.path.dirname(os.path.abspath(path))
        with open(path, "rb") as f:
            data = tomllib.load(f) if path.endswith(".toml") else json.load(f)
        self.apply(data, base)

    def apply(self, d, base="."):
        known = {"host", "port", "resources", "policy", "measurements", "resource_policies",
                 "session_timeout_s", "token_duration_s", "payload_limit_mib", "snp",
                 "insecure_header_jwk", "policy_deny_status", "admin", "reason_header", "quiet"}
        unknown = set(d) - known
        if unknown:
            raise ValueError("unknown configuration keys: %s" % ", ".join(sorted(unknown)))
        self.host = d.get("host", self.host)
        self.port = int(d.get("port", self.port))
        for path, spec in d.get("resources", {}).items():
            self.check_path(path)
            self.resources[path] = self.resource_value(spec, base)
        ms = d.get("measurements", [])
        if "policy" in d:
            self.policy = Policy.parse(d["policy"], ms)
        elif ms:
            self.policy = Policy("measurement", ms)
        for pattern, spec in d.get("resource_policies", {}).items():
            self.resource_policies.append((pattern, Policy.parse(spec)))
        if "session_timeout_s" in d:
            self.session_timeout = float(d["session_timeout_s"])
        if "token_duration_s" in d:
            self.token_duration = float(d["token_duration_s"])
        if "payload_limit_mib" in d:
            self.payload_limit = int(float(d["payload_limit_mib"]) * 1024 * 1024)
        snp = d.get("snp", {})
        for entry in snp.get("vendor_certs", []):
            gen = entry.get("generation", "any")
            if "pem" in entry:
                chain = kc.VendorChain.from_trustee_pem(os.path.join(base, entry["pem"]))
            else:
                opt = lambda k: os.path.join(base, entry[k]) if entry.get(k) else None  # noqa: E731
                chain = kc.VendorChain.from_files(opt("ark"), opt("ask"), opt("asvk"))
            self.add_chain(gen, chain)
        if "report_versions" in snp:
            self.snp_min_version, self.snp_max_version = (int(v) for v in snp["report_versions"])
        if snp.get("vcek_store"):
            self.snp_vcek_store = os.path.join(base, snp["vcek_store"])
        for key in ("insecure_header_jwk", "reason_header", "quiet"):
            if key in d:
                setattr(self, key, bool(d[key]))
        if "policy_deny_status" in d:
            self.policy_deny_status = int(d["policy_deny_status"])
        if "admin" in d:
            if d["admin"] not in ("allow-all", "deny-all"):
                raise ValueError("admin: allow-all or deny-all")
            self.admin = d["admin"]

    def policy_for(self, path):
        for pattern, pol in self.resource_policies:
            if pattern == path:
                return pol
        for pattern, pol in self.resource_policies:
            if fnmatch.fnmatchcase(path, pattern):
                return pol
        return self.policy


def kc_segment_ok(seg):
    """trustee resource/backend.rs: [a-zA-Z0-9_-]+[a-zA-Z0-9_.-]* per segment."""
    return bool(seg) and (seg[0].isascii() and (seg[0].isalnum() or seg[0] in "_-")) and \
        all(c.isascii() and (c.isalnum() or c in "_-.") for c in seg)


# ------------------------------------------------------------------ the KBS


class Session:
    def __init__(self, tee, nonce, timeout):
        self.id = uuid.uuid4().hex          # Uuid::new_v4().as_simple()
        self.tee = tee
        self.nonce = nonce
        self.expires = time.time() + timeout
        self.token = None                   # set once Attested

    def expired(self, now=None):
        return self.expires < (now or time.time())

    def cookie(self):
        return "kbs-session-id=%s; Expires=%s" % (self.id, email.utils.formatdate(self.expires, usegmt=True))


class Response:
    def __init__(self, status, body=b"", content_type=None, headers=(), log=""):
        self.status = status
        self.body = body.encode() if isinstance(body, str) else body
        self.content_type = content_type
        self.headers = list(headers)
        self.log = log


class Kbs:
    def __init__(self, config):
        self.cfg = config
        self.signer = kc.TokenSigner()
        self.sessions = {}
        self.lock = threading.Lock()
        self.last_purge = time.time()
        self.counters = {"auth": 0, "attest_ok": 0, "attest_fail": 0, "resource_ok": 0, "resource_fail": 0}

    # -------------------------------------------------------------- sessions

    def _purge(self, now):
        if now - self.last_purge >= 60:     # Trustee's background task runs every 60 s
            self.last_purge = now
            for sid in [s for s, v in self.sessions.items() if v.expired(now)]:
                del self.sessions[sid]

    @staticmethod
    def cookie_value(headers):
        for raw in headers.get_all("Cookie") or []:
            for part in raw.split(";"):
                name, eq, value = part.strip().partition("=")
                if eq and name == "kbs-session-id":
                    return value.strip('"')
        return None

    # -------------------------------------------------------------- /auth

    def auth(self, body):
        try:
            try:
                req = kc.loads_strict(body)
                if not isinstance(req, dict) or not all(k in req for k in ("version", "tee", "extra-params")):
                    raise Invalid("missing member")
                if not isinstance(req["version"], str) or req["tee"] not in kc.TEE_NAMES:
                    raise Invalid("bad version or unknown tee %r" % (req.get("tee"),))
            except Invalid as e:
                raise Invalid("deserialize Request", ) from e
            try:
                ok = kc.version_matches(req["version"])
            except Invalid as e:
                raise Invalid("failed to parse KBS version") from e
            if not ok:
                raise Invalid("KBS Client Protocol Version Mismatch: expect =0.4.0 while the request is %s" %
                              req["version"])
        except Invalid as e:
            reason = str(e) + (" (%s)" % e.__cause__ if e.__cause__ else "")
            raise KbsError("AttestationError", "Attestation error: RCAR handshake Auth failed: %s" % e, reason)
        nonce = kc.b64std(os.urandom(32))
        s = Session(req["tee"], nonce, self.cfg.session_timeout)
        with self.lock:
            self._purge(time.time())
            self.sessions[s.id] = s
            self.counters["auth"] += 1
        body = kc.dumps_compact({"nonce": nonce, "extra-params": ""})
        return Response(200, body, "application/json", [("Set-Cookie", s.cookie())],
                        "session %s tee %s" % (s.id, s.tee))

    # -------------------------------------------------------------- /attest

    def attest(self, body, headers):
        try:
            return self._attest(body, headers)
        except Invalid as e:
            with self.lock:
                self.counters["attest_fail"] += 1
            raise KbsError("AttestationError", "Attestation error: RCAR handshake Attest failed", str(e))

    def _attest(self, body, headers):
        sid = self.cookie_value(headers)
        if sid is None:
            raise Invalid("cookie not found")
        att = kc.loads_strict(body)
        runtime, evidence = self._parse_attestation(att)
        with self.lock:
            s = self.sessions.get(sid)
            if s is None:
                raise Invalid("No cookie found (unknown session %s)" % sid)
            if s.expired():
                raise Invalid("session expired.")
            if s.token is not None:
                return Response(200, kc.dumps_compact({"token": s.token}), "application/json",
                                [("Set-Cookie", s.cookie())], "session %s already attested: same token" % s.id)
            tee, nonce = s.tee, s.nonce
        if runtime["nonce"] != nonce:
            raise Invalid("the nonce in the handshake session is different from the client side "
                          "in KBS protocol's Attestation message")
        tee_pubkey = kc.parse_tee_pubkey(runtime["tee-pubkey"])
        additional = evidence["additional_evidence"]
        runtime_data = {"tee-pubkey": tee_pubkey, "nonce": nonce, "additional-evidence": additional}
        submods = [self._appraise(tee, evidence["primary_evidence"], runtime_data, att.get("init-data"))]
        if additional:
            devices = kc.loads_strict(additional)
            if not isinstance(devices, dict) or any(t not in kc.TEE_NAMES for t in devices):
                raise Invalid("additional_evidence is not a map of TEE name to evidence")
            for dtee, dev in devices.items():
                submods.append(self._appraise(dtee, dev, {"tee-pubkey": tee_pubkey, "nonce": nonce}, None))
        token = self._issue_token(submods)
        with self.lock:
            s = self.sessions.get(sid)
            if s is None:
                raise Invalid("session not found")
            if s.token is None:
                s.token = token
            self.counters["attest_ok"] += 1
            token = s.token
        m = submods[0][1].get(tee, {})
        meas = m.get("measurement") or m.get("husk-measurement")
        return Response(200, kc.dumps_compact({"token": token}), "application/json",
                        [("Set-Cookie", s.cookie())],
                        "session %s tee %s attested%s" % (s.id, tee, ", measurement " + meas if meas else ""))

    @staticmethod
    def _parse_attestation(att):
        """kbs-types Attestation (protocol 0.4.0)."""
        if not isinstance(att, dict):
            raise Invalid("deserialize Attestation: not an object")
        runtime, evidence = att.get("runtime-data"), att.get("tee-evidence")
        if not isinstance(runtime, dict) or not isinstance(runtime.get("nonce"), str) or \
                "tee-pubkey" not in runtime:
            raise Invalid("deserialize Attestation: runtime-data")
        kc.parse_tee_pubkey(runtime["tee-pubkey"])
        if not isinstance(evidence, dict) or "primary_evidence" not in evidence or \
                not isinstance(evidence.get("additional_evidence"), str):
            raise Invalid("deserialize Attestation: tee-evidence needs primary_evidence and a string "
                          "additional_evidence")
        init = att.get("init-data")
        if init is not None and (not isinstance(init, dict) or not isinstance(init.get("format"), str)
                                 or not isinstance(init.get("body"), str)):
            raise Invalid("deserialize Attestation: init-data")
        return runtime, evidence

    # The built-in attestation service: verify, then build the EAR appraisal.

    def _init_data(self, init):
        if init is None:
            return None, None
        if init["format"] != "toml":
            raise Invalid("init-data format %r is not supported (toml only)" % init["format"])
        try:
            doc = tomllib.loads(init["body"])
        except tomllib.TOMLDecodeError as e:
            raise Invalid("init-data TOML: %s" % e)
        alg = doc.get("algorithm")
        if alg not in ("sha256", "sha384", "sha512"):
            raise Invalid("init-data algorithm %r" % (alg,))
        data = doc.get("data", {})
        return hashlib.new(alg, init["body"].encode()).digest(), data if isinstance(data, dict) else {}

    def _appraise(self, tee, evidence, runtime_data, init):
        digest = hashlib.sha384(kc.jcs(runtime_data)).digest()
        init_hash, init_claims = self._init_data(init)
        if tee == "sample":
            claims = self._verify_sample(evidence, digest, init_hash)
        elif tee == "snp":
            claims, _ = kc.verify_snp_evidence(evidence, digest, init_hash, {
                "chains": self.cfg.snp_chains, "min_version": self.cfg.snp_min_version,
                "max_version": self.cfg.snp_max_version, "vcek_store": self.cfg.snp_vcek_store})
        else:
            raise Invalid("the husk test server has no verifier for TEE %r" % tee)
        # transform_claims(): report_data and init_data move beside the TEE's claims.
        annotated = {}
        if "init_data" in claims:
            annotated["init_data"] = claims.pop("init_data")
            annotated["init_data_claims"] = init_claims
        if "report_data" in claims:
            annotated["report_data"] = claims.pop("report_data")
            annotated["runtime_data_claims"] = runtime_data
        annotated[tee] = claims
        return tee, annotated, self._trust_vector(tee, claims)

    @staticmethod
    def _verify_sample(ev, digest, init_hash):
        """trustee deps/verifier sample: no signature; report_data must be the digest."""
        if not isinstance(ev, dict) or not isinstance(ev.get("svn"), str):
            raise Invalid("sample evidence: svn missing or not a string")
        rd = ev.get("report_data", "")
        if not isinstance(rd, str):
            raise Invalid("sample evidence: report_data is not a string")
        if kc.b64std_decode(rd) != digest:
            raise Invalid("sample evidence: report_data is not the SHA-384 of the runtime data")
        claims = {"svn": ev["svn"], "report_data": rd, "launch_digest": "abcde",
                  "platform_version": {"major": 1, "minor": 4}, "debug": False}
        if init_hash is not None:
            claims["init_data"] = kc.b64std(init_hash)
        hm = ev.get("husk-measurement")
        if isinstance(hm, str):
            try:
                bytes.fromhex(hm)
                claims["husk-measurement"] = hm.lower()
            except ValueError:
                pass
        return claims

    def _trust_vector(self, tee, claims):
        """An approximation of the CoCo AS's default_cpu EAR policy without
        reference values (Trustee's resource policy, not this, decides release)."""
        tv = {"instance-identity": 0, "configuration": 36, "executables": 33, "file-system": 0,
              "hardware": 97, "runtime-opaque": 0, "storage-opaque": 0, "sourced-data": 0}
        if tee == "sample" and claims.get("debug") is False:
            tv["configuration"] = 2
        if tee == "snp" and not claims["policy_debug_allowed"] and not claims["policy_migrate_ma"]:
            tv["configuration"] = 3
        return tv

    @staticmethod
    def _status(tv):
        worst = max(tv.values())
        return "contraindicated" if worst >= 96 else "warning" if worst >= 32 else \
            "affirming" if worst >= 2 else "none"

    def _issue_token(self, submods):
        now = int(time.time())
        out, index = {}, {}
        for tee, annotated, tv in submods:
            cls = "gpu" if tee in ("nvidia", "nvidiadpu", "hygondcu", "sampledevice") else "cpu"
            index[cls] = index.get(cls, -1) + 1
            out["%s%d" % (cls, index[cls])] = {
                "ear.status": self._status(tv), "ear.trustworthiness-vector": tv,
                "ear.veraison.annotated-evidence": annotated, "ear.appraisal-policy-id": "default"}
        claims = {"eat_profile": EAR_PROFILE, "iat": now,
                  "ear.verifier-id": {"build": "husk kbs test server", "developer": "https://github.com/husk"},
                  "submods": out, "exp": now + int(self.cfg.token_duration)}
        return self.signer.sign(claims)

    # -------------------------------------------------------------- plugins

    def token_for(self, headers):
        sid = self.cookie_value(headers)
        if sid is not None:
            with self.lock:
                s = self.sessions.get(sid)
                if s is not None and not s.expired() and s.token is not None:
                    return s.token, "session " + s.id
        auth = headers.get("Authorization")
        if auth and auth.startswith("Bearer ") and auth[7:].strip():
            return auth[7:].strip(), "bearer token"
        raise KbsError("TokenNotFound", "Attestation Token not found",
                       "no attested, unexpired session cookie and no Authorization: Bearer")

    def policy_allows(self, pol, claims, plugin, path):
        if plugin != "resource" or pol.name == "deny-all":
            return False
        if pol.name == "allow-all":
            return True
        subs = claims.get("submods") if isinstance(claims.get("submods"), dict) else {}
        evid = [s.get("ear.veraison.annotated-evidence", {}) for s in subs.values() if isinstance(s, dict)]
        if pol.name == "deny-sample":
            return not any(isinstance(e, dict) and "sample" in e for e in evid)
        if pol.name == "affirming":
            return bool(subs) and all(s.get("ear.status") == "affirming" for s in subs.values())
        cpu0 = subs.get("cpu0", {}).get("ear.veraison.annotated-evidence", {})
        m = (cpu0.get("snp") or {}).get("measurement") or (cpu0.get("sample") or {}).get("husk-measurement")
        return isinstance(m, str) and m.lower() in pol.measurements

    def plugin(self, method, parts, query, body, headers):
        plugin, rest = parts[0], parts[1:]
        if plugin != "resource":
            raise KbsError("PluginNotFound", "Plugin %s not found" % plugin, "no plugin %r" % plugin)
        path = "/".join(rest)
        if method in ("POST", "DELETE") or (method == "GET" and not rest):
            return self.admin_resource(method, rest, body, headers)
        token, source = self.token_for(headers)
        try:
            claims = kc.jwt_verify_es256(token, self.signer.jwk, self.cfg.insecure_header_jwk, time.time())
        except Invalid as e:
            raise KbsError("TokenVerifierError", "Token Verifier error", "%s (%s)" % (e, source))
        pol = self.cfg.policy_for(path)
        if not self.policy_allows(pol, claims, plugin, path):
            raise KbsError("PolicyDeny", "Access denied by policy", "policy %s denies %s" % (pol, path))
        if len(rest) != 3 or not all(kc_segment_ok(p) for p in rest):
            raise KbsError("PluginInternalError", "Plugin internal error", "illegal ResourceDesc format.")
        if path not in self.cfg.resources:
            raise KbsError("PluginInternalError", "Plugin internal error", "resource %s not found" % path)
        try:
            key = kc.extract_tee_pubkey(claims)
        except Invalid as e:
            raise KbsError("TokenVerifierError", "Token Verifier error", str(e))
        try:
            jwe = kc.jwe_encrypt(key, self.cfg.resources[path])
        except (Invalid, ValueError, KeyError) as e:
            raise KbsError("JweError", "JWE failed", str(e))
        desc = key["kty"] + ("/" + key["crv"] if key["kty"] == "EC" else "") + " " + key["alg"]
        return Response(200, jwe, "application/json",
                        log="released %s (%d bytes) to %s, policy %s, JWE %s" %
                        (path, len(self.cfg.resources[path]), source, pol, desc))

    def admin_resource(self, method, rest, body, headers):
        if self.cfg.admin != "allow-all":
            raise KbsError("AdminAuth", "Admin auth error: admin access denied (admin = deny-all)",
                           "admin endpoint %s /resource/%s" % (method, "/".join(rest)))
        if method == "GET":
            return Response(200, kc.dumps_compact(sorted(self.cfg.resources)), "application/json",
                            log="admin: listed resources")
        path = "/".join(rest)
        if len(rest) != 3 or not all(kc_segment_ok(p) for p in rest):
            raise KbsError("PluginInternalError", "Plugin internal error", "illegal ResourceDesc format.")
        with self.lock:
            if method == "POST":
                self.cfg.resources[path] = bytes(body)
            elif self.cfg.resources.pop(path, None) is None:
                raise KbsError("PluginInternalError", "Plugin internal error", "resource %s not found" % path)
        return Response(200, log="admin: %s resource %s" % ("set" if method == "POST" else "deleted", path))

    # -------------------------------------------------------------- dispatch

    def handle(self, method, target, headers, body):
        url = urllib.parse.urlsplit(target)
        path = url.path
        if path == "/healthz" and method == "GET":
            return Response(200, log="health")
        if path == "/metrics" and method == "GET":
            with self.lock:
                text = "".join("husk_kbs_%s_total %d\n" % kv for kv in sorted(self.counters.items()))
            return Response(200, text, "text/plain; version=0.0.4")
        if not path.startswith("/kbs/v0/"):
            return Response(404, log="no route")
        if method not in ("GET", "POST", "DELETE"):
            return Response(405, log="method not allowed")
        parts = [urllib.parse.unquote(p) for p in path[len("/kbs/v0/"):].split("/")]
        query = dict(urllib.parse.parse_qsl(url.query))
        try:
            if parts[0] == "auth" and method == "POST":
                return self.auth(body)
            if parts[0] == "attest" and method == "POST":
                return self.attest(body, headers)
            if parts[0] in ("attestation-policy", "resource-policy", "reference-value"):
                raise KbsError("AdminAuth", "Admin auth error: the husk test server has no %s API" % parts[0],
                               "unsupported admin API %s" % parts[0])
            resp = self.plugin(method, parts, query, body, headers)
            with self.lock:
                self.counters["resource_ok"] += 1
            return resp
        except KbsError as e:
            if parts[0] not in ("auth", "attest"):
                with self.lock:
                    self.counters["resource_fail"] += 1
            status = 404 if e.variant in ("InvalidRequestPath", "PluginNotFound") else \
                self.cfg.policy_deny_status if e.variant == "PolicyDeny" else 401
            body = kc.dumps_compact({"type": kc.ERROR_TYPE_PREFIX + e.variant, "detail": e.detail})
            hdrs = [("X-Husk-Kbs-Reason", e.reason.encode("ascii", "replace").decode()[:300])] \
                if self.cfg.reason_header else []
            return Response(status, body, None, hdrs, "%s: %s" % (e.variant, e.reason))


# ------------------------------------------------------------------ HTTP


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "husk-kbs-test-server"

    def log_message(self, fmt, *args):   # one line per request is ours, in _serve
        pass

    DRAIN_MAX = 64 * 1024 * 1024

    def _read_body(self):
        """The body, or None when it is over the limit (read and dropped up to
        DRAIN_MAX first, so that a client still sending gets the 413)."""
        limit = self.server.kbs.cfg.payload_limit
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return b"".join(chunks) if total <= limit else None
                total += size
                if total > self.DRAIN_MAX:
                    return None
                data = self.rfile.read(size)
                if total <= limit:
                    chunks.append(data)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        if length > limit:
            left = min(length, self.DRAIN_MAX)
            while left > 0:
                got = self.rfile.read(min(left, 1 << 16))
                if not got:
                    break
                left -= len(got)
            return None
        return self.rfile.read(length)

    def _serve(self):
        kbs = self.server.kbs
        t0 = time.time()
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            resp = Response(400, "bad request framing", log="bad framing")
            body = b""
        else:
            if body is None:
                self.close_connection = True
                resp = Response(413, "A payload reached size limit.", "text/plain; charset=utf-8",
                                log="body over %d bytes" % kbs.cfg.payload_limit)
            else:
                resp = kbs.handle(self.command, self.path, self.headers, body)
        self.send_response(resp.status)
        if resp.content_type:
            self.send_header("Content-Type", resp.content_type)
        for k, v in resp.headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(resp.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(resp.body)
        if not kbs.cfg.quiet:
            sys.stderr.write("kbs-server: %s %s %s -> %d %s (%.0f ms)\n" % (
                self.client_address[0], self.command, self.path[:200], resp.status, resp.log,
                (time.time() - t0) * 1000))
            sys.stderr.flush()

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, config):
        self.kbs = Kbs(config)
        super().__init__((config.host, config.port), Handler)


def make_server(config):
    """Creates (not starts) the server; serve it with serve_forever()."""
    return Server(config)


# ------------------------------------------------------------------ CLI


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", help="JSON or TOML (.toml) configuration file")
    ap.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    ap.add_argument("--port", type=int, help="port, 0 = any free one (default)")
    ap.add_argument("--port-file", help="write the port number here once listening")
    ap.add_argument("--resource", action="append", default=[], metavar="PATH=hex:..|file:..|text:..")
    ap.add_argument("--policy", help="resource policy: " + ", ".join(POLICIES) + " (default deny-sample)")
    ap.add_argument("--measurement", action="append", default=[], metavar="HEX",
                    help="expected measurement for --policy measurement (repeatable)")
    ap.add_argument("--resource-policy", action="append", default=[], metavar="PATH=POLICY[:HEX,..]",
                    help="policy for one resource path (glob allowed), e.g. default/ca/key=measurement:ab..")
    ap.add_argument("--session-timeout", type=float, metavar="SECONDS")
    ap.add_argument("--token-duration", type=float, metavar="SECONDS")
    ap.add_argument("--snp-vendor-pem", action="append", default=[], metavar="[GEN=]PEM",
                    help="trusted ASK,ARK[,ASVK] PEM (Trustee order) for Milan/Genoa/Turin/any")
    ap.add_argument("--snp-ark", help="trusted ARK PEM (with --snp-ask: a chain for any generation)")
    ap.add_argument("--snp-ask", help="trusted ASK PEM")
    ap.add_argument("--snp-asvk", help="trusted ASVK PEM (VLEK chains)")
    ap.add_argument("--snp-report-versions", metavar="MIN-MAX", help="accepted report versions (default 3-5)")
    ap.add_argument("--snp-vcek-store", metavar="DIR", help="offline store: DIR/vcek/<hwid hex>/vcek.der")
    ap.add_argument("--insecure-header-jwk", action="store_true", default=None,
                    help="verify tokens with the JWK in their own header (Trustee test setting)")
    ap.add_argument("--policy-deny-status", type=int, help="HTTP status of PolicyDeny (default 401)")
    ap.add_argument("--admin", choices=("allow-all", "deny-all"), help="admin resource API (default deny-all)")
    ap.add_argument("--no-reason-header", action="store_true", help="omit X-Husk-Kbs-Reason on errors")
    ap.add_argument("--quiet", action="store_true", help="no per-request log lines")
    return ap.parse_args(argv)


def config_from_args(args):
    cfg = Config()
    if args.config:
        cfg.load_file(args.config)
    if args.host:
        cfg.host = args.host
    if args.port is not None:
        cfg.port = args.port
    for spec in args.resource:
        path, eq, val = spec.partition("=")
        if not eq:
            raise ValueError("--resource %r: PATH=VALUE" % spec)
        Config.check_path(path)
        cfg.resources[path] = Config.resource_value(val, ".")
    if args.policy:
        cfg.policy = Policy.parse(args.policy, args.measurement)
    elif args.measurement:
        cfg.policy = Policy("measurement", args.measurement)
    for spec in args.resource_policy:
        path, eq, val = spec.partition("=")
        if not eq:
            raise ValueError("--resource-policy %r: PATH=POLICY" % spec)
        cfg.resource_policies.append((path, Policy.parse(val)))
    if args.session_timeout is not None:
        cfg.session_timeout = args.session_timeout
    if args.token_duration is not None:
        cfg.token_duration = args.token_duration
    for spec in args.snp_vendor_pem:
        gen, eq, path = spec.partition("=")
        if not eq:
            gen, path = "any", spec
        cfg.add_chain(gen, kc.VendorChain.from_trustee_pem(path))
    if args.snp_ark or args.snp_ask:
        if not (args.snp_ark and args.snp_ask):
            raise ValueError("--snp-ark and --snp-ask go together")
        cfg.add_chain("any", kc.VendorChain.from_files(args.snp_ark, args.snp_ask, args.snp_asvk))
    if args.snp_report_versions:
        lo, _, hi = args.snp_report_versions.partition("-")
        cfg.snp_min_version, cfg.snp_max_version = int(lo), int(hi or lo)
    if args.snp_vcek_store:
        cfg.snp_vcek_store = args.snp_vcek_store
    if args.insecure_header_jwk:
        cfg.insecure_header_jwk = True
    if args.policy_deny_status is not None:
        cfg.policy_deny_status = args.policy_deny_status
    if args.admin:
        cfg.admin = args.admin
    if args.no_reason_header:
        cfg.reason_header = False
    if args.quiet:
        cfg.quiet = True
    return cfg


def main(argv=None):
    args = parse_args(argv)
    try:
        cfg = config_from_args(args)
    except (ValueError, OSError, KeyError, tomllib.TOMLDecodeError, json.JSONDecodeError) as e:
        sys.stderr.write("kbs-server: configuration error: %s\n" % e)
        return 2
    srv = make_server(cfg)
    host, port = srv.server_address[:2]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    print("listening on %s:%d" % (host, port), flush=True)
    sys.stderr.write("kbs-server: policy %s; resources %s; per-resource %s; session %gs; SNP roots %s\n" % (
        cfg.policy, ", ".join(sorted(cfg.resources)) or "none",
        ", ".join("%s=%s" % (p, pol) for p, pol in cfg.resource_policies) or "none",
        cfg.session_timeout, ", ".join(sorted(cfg.snp_chains)) or "none"))
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

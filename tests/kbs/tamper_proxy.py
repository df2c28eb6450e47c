#!/usr/bin/python3
"""A tampering HTTP man-in-the-middle for KBS-protocol tests: forwards
HTTP/1.1 between a client (husk's attestation proxy) and a KBS, and alters one
chosen kind of message, so that a test can show the exchange fails and the
secret is never altered.  See docs/kbs-server.md for how husk's tests use it.

    /usr/bin/python3 tests/kbs/tamper_proxy.py --upstream http://127.0.0.1:PORT
        --tamper MODE [--once] [--port N] [--port-file F]

`--list` prints the modes.  Prints `listening on 127.0.0.1:PORT`, then one line
on stderr per request forwarded (and what it altered).  GET /_tamper/stats on
the proxy itself answers {"mode", "forwarded", "tampered", "untouched"} so a
test can check the alteration really happened.  Standard library plus Debian's
python3-cryptography only."""
import argparse
import base64
import http.client
import http.server
import json
import os
import sys
import threading
import urllib.parse

from cryptography.hazmat.primitives.asymmetric import ec, rsa

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kbs_common as kc  # noqa: E402

# mode -> (message it alters, what it does).  "benign" modes alter the bytes
# without changing the meaning for a correct client: the exchange must succeed
# with the right secret.  jwe-substitute is the known limitation of the
# protocol (the JWE is not authenticated by the KBS): a correct client cannot
# detect it.
MODES = {
    "none": ("-", "forward everything unchanged"),
    "auth-version": ("auth request", "Request.version set to \"0.3.0\""),
    "auth-tee": ("auth request", "Request.tee swapped (sample <-> snp)"),
    "auth-status": ("auth response", "status set to --status-code"),
    "challenge-nonce": ("auth response", "Challenge.nonce replaced by another 32-byte nonce"),
    "auth-cookie": ("auth response", "session id in Set-Cookie replaced by another"),
    "auth-drop-cookie": ("auth response", "Set-Cookie removed"),
    "attest-nonce": ("attest request", "runtime-data.nonce replaced by another nonce"),
    "attest-tee-pubkey": ("attest request", "tee-pubkey replaced by a key of the proxy (same kty/crv)"),
    "attest-tee-pubkey-extra": ("attest request", "benign: a \"kid\" member added to tee-pubkey "
                                "(Trustee drops unknown members before hashing)"),
    "attest-report-data": ("attest request", "one bit of the evidence's report data flipped"),
    "attest-measurement": ("attest request", "evidence measurement changed (sample: husk-measurement, "
                           "snp: MEASUREMENT), to --measurement if given"),
    "attest-cookie": ("attest request", "session id in the Cookie header replaced"),
    "attest-status": ("attest response", "status set to --status-code"),
    "attest-token": ("attest response", "one character of the token's signature changed"),
    "resource-cookie": ("resource request", "session id in the Cookie header replaced"),
    "resource-status": ("resource response", "status set to --status-code"),
    "jwe-protected": ("resource response", "protected header re-serialised in another member order "
                      "(same meaning, different AAD bytes)"),
    "jwe-epk": ("resource response", "epk replaced by a fresh point on the same curve"),
    "jwe-encrypted_key": ("resource response", "one bit of encrypted_key flipped"),
    "jwe-iv": ("resource response", "one bit of iv flipped"),
    "jwe-ciphertext": ("resource response", "one bit of ciphertext flipped"),
    "jwe-tag": ("resource response", "one bit of tag flipped"),
    "jwe-aad": ("resource response", "benign for clients that ignore it: an \"aad\" member added"),
    "jwe-truncate": ("resource response", "body cut in half"),
    "jwe-substitute": ("resource response", "JWE replaced by one the proxy encrypts to the client's "
                       "tee-pubkey (seen at /attest) carrying --substitute-secret: undetectable"),
}
BENIGN = ("none", "attest-tee-pubkey-extra", "jwe-aad")
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
       "proxy-authorization", "proxy-authenticate", "content-length", "host"}


def flip_b64url(s, last=False):
    b = bytearray(kc.b64url_decode(s))
    if not b:
        return kc.b64url(b"\x00")
    b[-1 if last else 0] ^= 0x01
    return kc.b64url(bytes(b))


def other_session_id(cookie_value):
    return "0" * 32 if cookie_value != "0" * 32 else "1" * 32


def replace_cookie(header_value):
    out = []
    for part in header_value.split(";"):
        name, eq, val = part.strip().partition("=")
        out.append("%s=%s" % (name, other_session_id(val)) if eq and name == "kbs-session-id" else part.strip())
    return "; ".join(out)


class Tamperer:
    def __init__(self, mode, once=False, status_code=500, substitute_secret=b"A" * 32, measurement=None):
        if mode not in MODES:
            raise ValueError("unknown mode %r (see --list)" % mode)
        self.mode, self.once = mode, once
        self.status_code = status_code
        self.substitute_secret = substitute_secret
        self.measurement = measurement
        self.lock = threading.Lock()
        self.stats = {"mode": mode, "forwarded": 0, "tampered": 0, "untouched": 0}
        self.last_tee_pubkey = None

    def kind(self, method, path):
        p = urllib.parse.urlsplit(path).path
        if method == "POST" and p == "/kbs/v0/auth":
            return "auth"
        if method == "POST" and p == "/kbs/v0/attest":
            return "attest"
        if method == "GET" and p.startswith("/kbs/v0/resource/"):
            return "resource"
        return None

    def _take(self):
        """True if this message is to be altered (respects --once)."""
        with self.lock:
            if self.once and self.stats["tampered"]:
                return False
            return True

    def _did(self, note):
        with self.lock:
            self.stats["tampered"] += 1
        return note

    # Each hook returns a note (str) when it altered something, else None.

    def request(self, kind, headers, body):
        """headers: list of [name, value] (mutable); returns (body, note)."""
        m = self.mode
        if kind == "attest":
            try:
                att = json.loads(body)
                key = att["runtime-data"]["tee-pubkey"]
                self.last_tee_pubkey = kc.parse_tee_pubkey(key)
            except (ValueError, KeyError, TypeError, kc.Invalid):
                att = None
        if not self._take():
            return body, None
        if m in ("auth-version", "auth-tee") and kind == "auth":
            try:
                req = json.loads(body)
                if m == "auth-version":
                    old, req["version"] = req.get("version"), "0.3.0"
                else:
                    old = req.get("tee")
                    req["tee"] = "snp" if old != "snp" else "sample"
                return json.dumps(req).encode(), self._did("%s %r -> %r" % (m, old, req.get(m[5:])))
            except (ValueError, AttributeError):
                return body, None
        if m in ("attest-cookie", "resource-cookie") and kind == m.split("-")[0]:
            for h in headers:
                if h[0].lower() == "cookie" and "kbs-session-id=" in h[1]:
                    h[1] = replace_cookie(h[1])
                    return body, self._did("Cookie -> %s" % h[1])
            return body, None
        if kind != "attest" or att is None or not m.startswith("attest-") or m in ("attest-status", "attest-token"):
            return body, None
        rd = att["runtime-data"]
        ev = (att.get("tee-evidence") or {}).get("primary_evidence")
        note = None
        if m == "attest-nonce":
            rd["nonce"] = kc.b64std(os.urandom(32))
            note = "nonce -> " + rd["nonce"]
        elif m == "attest-tee-pubkey":
            key = rd["tee-pubkey"]
            if key.get("kty") == "EC":
                curve, size = kc.EC_CURVES.get(key.get("crv"), (ec.SECP256R1, 32))
                n = ec.generate_private_key(curve()).public_key().public_numbers()
                key["x"], key["y"] = kc.b64url(n.x.to_bytes(size, "big")), kc.b64url(n.y.to_bytes(size, "big"))
            else:
                bits = len(kc.b64url_decode(key.get("n", ""))) * 8 or 2048
                n = rsa.generate_private_key(65537, bits).public_key().public_numbers()
                key["n"], key["e"] = kc.b64url(n.n.to_bytes(bits // 8, "big")), kc.b64url(b"\x01\x00\x01")
            note = "tee-pubkey replaced by the proxy's own key"
        elif m == "attest-tee-pubkey-extra":
            rd["tee-pubkey"]["kid"] = "tamper-proxy"
            note = "kid added to tee-pubkey"
        elif m == "attest-report-data" and isinstance(ev, dict):
            if isinstance(ev.get("report_data"), str):
                b = bytearray(base64.b64decode(ev["report_data"]) or b"\x00")
                b[0] ^= 1
                ev["report_data"] = kc.b64std(bytes(b))
                note = "sample report_data bit flipped"
            elif isinstance(ev.get("attestation_report"), dict):
                ev["attestation_report"]["report_data"][0] ^= 1
                note = "SNP REPORT_DATA bit flipped"
        elif m == "attest-measurement" and isinstance(ev, dict):
            if isinstance(ev.get("attestation_report"), dict):
                meas = ev["attestation_report"]["measurement"]
                if self.measurement:
                    meas[:] = list(bytes.fromhex(self.measurement))
                else:
                    meas[0] ^= 1
                note = "SNP MEASUREMENT -> " + bytes(meas).hex()
            else:
                old = ev.get("husk-measurement", "00" * 48)
                new = self.measurement or ("%02x" % (int(old[:2] or "0", 16) ^ 1) + old[2:])
                ev["husk-measurement"] = new
                note = "husk-measurement -> " + new
        if note is None:
            return body, None
        return json.dumps(att).encode(), self._did(note)

    def response(self, kind, status, headers, body):
        """headers: list of [name, value]; returns (status, headers, body, note)."""
        m = self.mode
        if kind is None or not self._take():
            return status, headers, body, None
        if m == kind + "-status":
            return self.status_code, headers, body, self._did("status %d -> %d" % (status, self.status_code))
        if kind == "auth" and m in ("challenge-nonce", "auth-cookie", "auth-drop-cookie") and status == 200:
            if m == "challenge-nonce":
                try:
                    ch = json.loads(body)
                    ch["nonce"] = kc.b64std(os.urandom(32))
                    return status, headers, kc.dumps_compact(ch).encode(), self._did("nonce -> " + ch["nonce"])
                except (ValueError, TypeError):
                    return status, headers, body, None
            cookies = [h for h in headers if h[0].lower() == "set-cookie"]
            if not cookies:
                return status, headers, body, None
            if m == "auth-drop-cookie":
                return status, [h for h in headers if h[0].lower() != "set-cookie"], body, \
                    self._did("Set-Cookie removed")
            for h in cookies:
                h[1] = replace_cookie(h[1])
            return status, headers, body, self._did("Set-Cookie -> " + cookies[0][1])
        if kind == "attest" and m == "attest-token" and status == 200:
            try:
                doc = json.loads(body)
                tok = doc["token"]
                last = tok[-2]
                doc["token"] = tok[:-2] + ("A" if last != "A" else "B") + tok[-1]
                return status, headers, kc.dumps_compact(doc).encode(), self._did("token signature altered")
            except (ValueError, KeyError, TypeError, IndexError):
                return status, headers, body, None
        if kind == "resource" and m.startswith("jwe-") and status == 200:
            return (status, headers) + self._jwe(body)
        return status, headers, body, None

    def _jwe(self, body):
        m = self.mode
        if m == "jwe-truncate":
            return body[:len(body) // 2], self._did("body truncated to %d bytes" % (len(body) // 2))
        if m == "jwe-substitute":
            if self.last_tee_pubkey is None:
                return body, None
            fake = kc.jwe_encrypt(self.last_tee_pubkey, self.substitute_secret)
            return fake.encode(), self._did("JWE replaced: %d-byte secret of the proxy" % len(self.substitute_secret))
        try:
            jwe = json.loads(body)
            if m == "jwe-protected":
                hdr = json.loads(kc.b64url_decode(jwe["protected"]))
                rev = {k: (dict(reversed(list(v.items()))) if isinstance(v, dict) else v)
                       for k, v in reversed(list(hdr.items()))}
                jwe["protected"] = kc.b64url(kc.dumps_compact(rev).encode())
                note = "protected header reordered"
            elif m == "jwe-epk":
                hdr = json.loads(kc.b64url_decode(jwe["protected"]))
                curve, size = kc.EC_CURVES[hdr["epk"]["crv"]]
                n = ec.generate_private_key(curve()).public_key().public_numbers()
                hdr["epk"]["x"] = kc.b64url(n.x.to_bytes(size, "big"))
                hdr["epk"]["y"] = kc.b64url(n.y.to_bytes(size, "big"))
                jwe["protected"] = kc.b64url(kc.dumps_compact(hdr).encode())
                note = "epk replaced"
            elif m == "jwe-aad":
                jwe["aad"] = kc.b64url(b"tamper")
                note = "aad member added"
            else:
                member = m[4:]
                jwe[member] = flip_b64url(jwe[member], last=(member == "tag"))
                note = member + " bit flipped"
        except (ValueError, KeyError, TypeError, kc.Invalid):
            return body, None
        return kc.dumps_compact(jwe).encode(), self._did(note)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "husk-tamper-proxy"

    def log_message(self, fmt, *args):
        pass

    def _body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, status, headers, body, reason=None):
        self.send_response(status, reason)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _serve(self):
        t = self.server.tamperer
        body = self._body()
        if urllib.parse.urlsplit(self.path).path == "/_tamper/stats":
            with t.lock:
                stats = kc.dumps_compact(t.stats).encode()
            return self._send(200, [("Content-Type", "application/json")], stats)
        kind = t.kind(self.command, self.path)
        headers = [[k, v] for k, v in self.headers.items() if k.lower() not in HOP]
        body, note_req = t.request(kind, headers, body)
        up = self.server.upstream
        conn = http.client.HTTPConnection(up.hostname, up.port or 80, timeout=60)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", "%s:%d" % (up.hostname, up.port or 80))
            for k, v in headers:
                conn.putheader(k, v)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            r = conn.getresponse()
            rbody = r.read()
            status, reason = r.status, r.reason
            rheaders = [[k, v] for k, v in r.getheaders() if k.lower() not in HOP]
        except OSError as e:
            self._send(502, [("Content-Type", "text/plain")], ("upstream error: %s" % e).encode())
            sys.stderr.write("tamper-proxy: %s %s -> 502 upstream error %s\n" % (self.command, self.path, e))
            return
        finally:
            conn.close()
        status2, rheaders, rbody, note_resp = t.response(kind, status, rheaders, rbody)
        with t.lock:
            t.stats["forwarded"] += 1
            if not (note_req or note_resp):
                t.stats["untouched"] += 1
        self._send(status2, rheaders, rbody, reason if status2 == status else None)
        notes = "; ".join(n for n in (note_req, note_resp) if n)
        if self.server.quiet:
            return
        sys.stderr.write("tamper-proxy: %s %s -> %d%s\n" % (
            self.command, self.path[:200], status2, " [%s: %s]" % (t.mode, notes) if notes else ""))
        sys.stderr.flush()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve


class Proxy(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream, tamperer, host="127.0.0.1", port=0, quiet=False):
        self.upstream = urllib.parse.urlsplit(upstream)
        self.quiet = quiet
        if self.upstream.scheme != "http":
            raise ValueError("upstream must be http://HOST:PORT")
        self.tamperer = tamperer
        super().__init__((host, port), Handler)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--upstream", help="the KBS, http://HOST:PORT")
    ap.add_argument("--tamper", default="none", help="what to alter (see --list)")
    ap.add_argument("--once", action="store_true", help="alter only the first matching message")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--status-code", type=int, default=500, help="for the *-status modes (default 500)")
    ap.add_argument("--substitute-secret", default="41" * 32, metavar="HEX", help="for jwe-substitute")
    ap.add_argument("--measurement", metavar="HEX", help="for attest-measurement: the value to put in")
    ap.add_argument("--list", action="store_true", help="list the modes and exit")
    args = ap.parse_args(argv)
    if args.list:
        for name, (msg, what) in MODES.items():
            print("%-24s %-18s %s" % (name, msg, what))
        return 0
    if not args.upstream:
        ap.error("--upstream is required")
    try:
        t = Tamperer(args.tamper, args.once, args.status_code, bytes.fromhex(args.substitute_secret),
                     args.measurement)
        srv = Proxy(args.upstream, t, port=args.port)
    except ValueError as e:
        sys.stderr.write("tamper-proxy: %s\n" % e)
        return 2
    port = srv.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.replace(args.port_file + ".tmp", args.port_file)
    print("listening on 127.0.0.1:%d" % port, flush=True)
    sys.stderr.write("tamper-proxy: mode %s (%s) -> %s\n" % (t.mode, MODES[t.mode][1], args.upstream))
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Integration test of husk-kbs-proxy: a small HTTP server on loopback plays
the KBS, the proxy forwards to it, and this script plays husk, talking frames
over the proxy's UNIX socket with its own codec (proxy_frames.py, written from
docs/proxy.md).  Prints PASS/FAIL per check and exits non-zero on a failure.

    /usr/bin/python3 tests/kbs/test_proxy.py --proxy build/host/tools/husk-kbs-proxy
"""

import argparse
import hashlib
import http.server
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import proxy_frames as pf  # noqa: E402

RESULTS = []


def check(name, ok, detail=""):
    RESULTS.append((name, bool(ok)))
    print("%s %s%s" % ("PASS" if ok else "FAIL", name, "" if ok or not detail else ": " + detail),
          flush=True)


# ---------------------------------------------------------------- the KBS stand-in

class KbsState:
    def __init__(self):
        self.lock = threading.Lock()
        self.next_id = 1
        self.hits = {}
        self.last = {}


STATE = KbsState()
STATUS_BODY = b"status body \x00\x01\xfe\xff"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def cookie(self):
        m = re.search(r"kbs-session-id=(\w+)", self.headers.get("Cookie") or "")
        return m.group(1) if m else None

    def handle_any(self, method):
        body = self.body()
        path = self.path
        with STATE.lock:
            STATE.hits[path] = STATE.hits.get(path, 0) + 1
            STATE.last = {"method": method, "path": path, "body": body,
                          "ctype": self.headers.get("Content-Type")}
        if path == "/kbs/v0/auth" and method == "POST":
            with STATE.lock:
                sid = "s%d" % STATE.next_id
                STATE.next_id += 1
            return self.reply(200, b'{"nonce":"abc","extra-params":""}',
                              [("Set-Cookie", "kbs-session-id=%s" % sid),
                               ("Content-Type", "application/json")])
        if path == "/kbs/v0/attest" and method == "POST":
            sid = self.cookie()
            if not sid:
                return self.reply(401, b'{"type":"TokenNotFound","detail":"no session"}')
            return self.reply(200, ('{"token":"token-%s"}' % sid).encode())
        if path == "/kbs/v0/cookie":  # under the auth path: the cookie has no Path attribute
            return self.reply(200, (self.headers.get("Cookie") or "").encode())
        if path == "/echo":
            return self.reply(200, method.encode() + b" " + body)
        if path == "/digest":
            return self.reply(200, hashlib.sha256(body).hexdigest().encode())
        if path.startswith("/status/"):
            code = int(path.split("/")[2])
            extra = [("Location", "/kbs/v0/cookie")] if 300 <= code < 400 else []
            return self.reply(code, STATUS_BODY + path.encode(), extra)
        if path.startswith("/size/"):
            n = int(path.split("/")[2])
            return self.reply(200, bytes((i * 31) & 0xff for i in range(n)))
        if path.startswith("/chunked/"):
            n = int(path.split("/")[2])
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            data = bytes((i * 7) & 0xff for i in range(n))
            for i in range(0, n, 4096):
                part = data[i:i + 4096]
                self.wfile.write(b"%x\r\n" % len(part) + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return None
        if path.startswith("/slow/"):
            time.sleep(int(path.split("/")[2]) / 1000.0)
            return self.reply(200, b"slow")
        if path == "/drop":
            self.close_connection = True
            return None
        if path.startswith("/counted/"):
            return self.reply(200, b"counted")
        if path.startswith("/path/"):
            return self.reply(200, path.encode())
        return self.reply(404, b"not found: " + path.encode())

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # the proxy hanging up on a slow or oversized answer is expected here
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


# ---------------------------------------------------------------- husk's side

SESSION = random.getrandbits(64) | 1


class Link:
    """One connection to the proxy's socket, speaking frames."""

    def __init__(self, path, session=SESSION, connect=True):
        self.session = session
        self.seq = 0
        self.dec = pf.Decoder()
        self.frames = []
        self.sock = None
        if connect:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(path)

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None

    def send(self, data):
        self.sock.sendall(data)

    def next_seq(self):
        self.seq += 1
        return self.seq

    def recv_frame(self, timeout=5.0):
        """The next frame, or None after timeout (or at end of stream)."""
        deadline = time.time() + timeout
        while not self.frames:
            left = deadline - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return None
            data = self.sock.recv(1 << 16)
            if not data:
                return None
            self.frames += self.dec.feed(data)
        return self.frames.pop(0)

    def answer_to(self, seq, timeout=5.0):
        """The frame answering seq in our session; others are dropped, as husk does."""
        deadline = time.time() + timeout
        while True:
            f = self.recv_frame(max(0.0, deadline - time.time()))
            if f is None or (f.session == self.session and f.seq == seq):
                return f

    def hello(self):
        seq = self.next_seq()
        self.send(pf.hello(self.session, seq))
        return self.answer_to(seq)

    def request(self, method, path, body=b"", timeout=5.0):
        seq = self.next_seq()
        self.send(pf.request(self.session, seq, method, path, body))
        return self.answer_to(seq, timeout)


def expect_response(f):
    if f is None or f.type != pf.RESPONSE:
        raise AssertionError("wanted RESPONSE, got %r" % (f,))
    return pf.parse_response(f.payload)


def expect_error(f):
    if f is None or f.type != pf.ERROR:
        raise AssertionError("wanted ERROR, got %r" % (f,))
    return pf.parse_error(f.payload)


# ---------------------------------------------------------------- the proxy process

class Proxy:
    def __init__(self, exe, sock, url, extra=()):
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        self.sock = sock
        self.proc = subprocess.Popen([exe, "--socket", sock, "--url", url, "--timeout", "2",
                                      "--frame-timeout", "300", "-v"] + list(extra),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=env)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line.decode(errors="replace").rstrip("\n"))

    def wait_socket(self, timeout=5.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if os.path.exists(self.sock):
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.02)
        return False

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def log_tail(self, n=15):
        return "\n".join(self.lines[-n:])


def run_check(name, fn, proxy=None):
    try:
        fn()
        ok, detail = True, ""
    except AssertionError as e:
        ok, detail = False, str(e) or "assertion failed"
    except (OSError, ValueError, KeyError) as e:
        ok, detail = False, "%s: %s" % (type(e).__name__, e)
    if not ok and proxy is not None:
        detail += "\nproxy log:\n" + proxy.log_tail()
    check(name, ok, detail)


# ---------------------------------------------------------------- the checks

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy", default="build/host/tools/husk-kbs-proxy")
    args = ap.parse_args()
    if not os.access(args.proxy, os.X_OK):
        check("proxy_binary_present", False, args.proxy)
        return 1

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/" % server.server_address[1]  # trailing '/' is dropped

    tmp = tempfile.mkdtemp(prefix="husk-proxy-test-")
    sock = os.path.join(tmp, "kbs.sock")
    proxy = Proxy(args.proxy, sock, url)
    try:
        if not proxy.wait_socket():
            check("proxy_starts", False, proxy.log_tail())
            return 1
        check("proxy_starts", True)
        checks(proxy, sock, url, args.proxy, tmp)
    finally:
        rc = proxy.stop()
        server.shutdown()
    check("sigterm_clean_exit", rc == 0, "exit code %d" % rc)
    check("socket_removed_at_exit", not os.path.exists(sock))
    shutil.rmtree(tmp, ignore_errors=True)
    failed = [n for n, ok in RESULTS if not ok]
    print("%d passed, %d failed" % (len(RESULTS) - len(failed), len(failed)))
    return 1 if failed else 0


def checks(proxy, sock, url, exe, tmp):
    link = Link(sock)
    P = lambda name, fn: run_check(name, fn, proxy)  # noqa: E731

    def request_before_hello():
        code, text = expect_error(link.request(pf.GET, "/kbs/v0/cookie"))
        assert code == pf.E_NO_SESSION, code
        assert text, "empty error text"
    P("request_before_hello_is_no_session", request_before_hello)

    def hello_ack():
        f = link.hello()
        assert f is not None and f.type == pf.HELLO_ACK, f
        assert f.session == SESSION and f.seq == link.seq and f.payload == b""
    P("hello_ack_echoes_session_and_seq", hello_ack)

    def statuses():
        for code in (200, 201, 202, 302, 400, 401, 403, 404, 418, 500, 503):
            status, body = expect_response(link.request(pf.GET, "/status/%d" % code))
            assert status == code, (code, status)
            assert body == STATUS_BODY + b"/status/%d" % code, (code, body)
    P("status_and_body_pass_through_unchanged", statuses)

    def post_body():
        payload = bytes(range(256)) * 8
        status, body = expect_response(link.request(pf.POST, "/echo", payload))
        assert status == 200 and body == b"POST " + payload, len(body)
        assert STATE.last["ctype"] == "application/json", STATE.last["ctype"]
        status, body = expect_response(link.request(pf.POST, "/echo", b""))
        assert status == 200 and body == b"POST ", body
        assert STATE.last["ctype"] == "application/json", STATE.last["ctype"]
    P("post_body_binary_exact_and_json_content_type", post_body)

    def get_with_body():
        status, body = expect_response(link.request(pf.GET, "/echo", b'{"wrapped":"x"}'))
        assert status == 200 and body == b'GET {"wrapped":"x"}', body
        assert STATE.last["method"] == "GET"
    P("get_with_body_stays_get", get_with_body)

    def request_limits():
        big = bytes(random.getrandbits(8) for _ in range(pf.BODY_MAX))
        status, body = expect_response(link.request(pf.POST, "/digest", big))
        assert status == 200 and body == hashlib.sha256(big).hexdigest().encode(), body
        path = "/path/" + "a" * (pf.PATH_MAX - 6)
        assert len(path) == pf.PATH_MAX
        status, body = expect_response(link.request(pf.GET, path))
        assert status == 200 and body == path.encode(), body[:40]
    P("largest_request_body_and_path", request_limits)

    def kbs_flow_cookie():
        status, _ = expect_response(link.request(pf.POST, "/kbs/v0/auth", b'{"version":"0.4.0"}'))
        assert status == 200
        status, body = expect_response(link.request(pf.POST, "/kbs/v0/attest", b"{}"))
        assert status == 200 and body.startswith(b'{"token":"token-s'), body
        status, body = expect_response(link.request(pf.GET, "/kbs/v0/cookie"))
        assert body.startswith(b"kbs-session-id=s"), body
        kbs_flow_cookie.sid = body
    P("cookie_persists_within_session", kbs_flow_cookie)

    def rehello_same_session():
        f = link.hello()
        assert f is not None and f.type == pf.HELLO_ACK, f
        status, body = expect_response(link.request(pf.GET, "/kbs/v0/cookie"))
        assert body == b"", body
        status, _ = expect_response(link.request(pf.POST, "/kbs/v0/attest", b"{}"))
        assert status == 401, status
    P("new_hello_same_session_empties_jar", rehello_same_session)

    def new_session():
        expect_response(link.request(pf.POST, "/kbs/v0/auth", b"{}"))
        status, body = expect_response(link.request(pf.GET, "/kbs/v0/cookie"))
        assert body.startswith(b"kbs-session-id="), body
        # husk rebooted: new session number, new HELLO
        link.session = random.getrandbits(64) | 1
        link.seq = 0
        f = link.hello()
        assert f is not None and f.type == pf.HELLO_ACK and f.session == link.session, f
        status, body = expect_response(link.request(pf.GET, "/kbs/v0/cookie"))
        assert body == b"", body
    P("new_session_hello_empties_jar", new_session)

    def old_session_request():
        seq = 77
        link.send(pf.request(SESSION, seq, pf.GET, "/kbs/v0/cookie"))  # SESSION is the old one now
        f = link.recv_frame()
        assert f is not None and f.type == pf.ERROR and f.session == SESSION and f.seq == seq, f
        assert pf.parse_error(f.payload)[0] == pf.E_NO_SESSION
        # the current session is untouched
        expect_response(link.request(pf.POST, "/kbs/v0/auth", b"{}"))
        status, body = expect_response(link.request(pf.GET, "/kbs/v0/cookie"))
        assert body.startswith(b"kbs-session-id="), body
    P("request_of_previous_boot_gets_no_session", old_session_request)

    def response_limits():
        for n in (0, 1, pf.BODY_MAX):
            status, body = expect_response(link.request(pf.GET, "/size/%d" % n))
            assert status == 200 and len(body) == n and body == bytes((i * 31) & 0xff
                                                                      for i in range(n)), n
        code, text = expect_error(link.request(pf.GET, "/size/%d" % (pf.BODY_MAX + 1)))
        assert code == pf.E_TOO_LARGE, (code, text)
        status, body = expect_response(link.request(pf.GET, "/chunked/%d" % pf.BODY_MAX))
        assert len(body) == pf.BODY_MAX
        code, text = expect_error(link.request(pf.GET, "/chunked/%d" % (pf.BODY_MAX + 1)))
        assert code == pf.E_TOO_LARGE, (code, text)
        code, text = expect_error(link.request(pf.GET, "/chunked/%d" % (3 * pf.BODY_MAX)))
        assert code == pf.E_TOO_LARGE, (code, text)
    P("response_over_64k_is_error_not_truncated", response_limits)

    def transport_errors():
        code, text = expect_error(link.request(pf.GET, "/drop"))
        assert code == pf.E_TRANSPORT and text, (code, text)
        t0 = time.time()
        code, text = expect_error(link.request(pf.GET, "/slow/3500", timeout=8))
        assert code == pf.E_TRANSPORT and text, (code, text)
        assert time.time() - t0 < 3.4, "timeout not applied"
        status, _ = expect_response(link.request(pf.GET, "/status/200"))
        assert status == 200
    P("transport_failure_is_error_with_text", transport_errors)

    def duplicate():
        seq = link.next_seq()
        frame = pf.request(link.session, seq, pf.GET, "/counted/dup")
        link.send(frame)
        a = link.answer_to(seq)
        link.send(frame)  # husk retransmits: same sequence number
        b = link.answer_to(seq)
        assert a is not None and b is not None and a.payload == b.payload and a.type == b.type
        assert STATE.hits["/counted/dup"] == 1, STATE.hits["/counted/dup"]
    P("retransmitted_request_answered_from_cache", duplicate)

    def stale_seq():
        link.send(pf.request(link.session, link.seq - 1, pf.GET, "/counted/stale"))
        f = link.recv_frame(timeout=0.5)
        assert f is None, f
        assert "/counted/stale" not in STATE.hits
        status, _ = expect_response(link.request(pf.GET, "/status/200"))
        assert status == 200
    P("older_sequence_number_dropped", stale_seq)

    def garbage():
        junk = bytes(random.getrandbits(8) for _ in range(5000)).replace(b"H", b"h")
        bad_crc = bytearray(pf.request(link.session, link.seq + 1, pf.GET, "/counted/badcrc"))
        bad_crc[-1] ^= 1
        huge = pf.encode(pf.REQUEST, link.session, link.seq + 1, b"\x01\x01/", check=False)
        huge = bytearray(huge)
        huge[20:24] = (0x7fffffff).to_bytes(4, "little")  # length over the limit
        huge[28:32] = pf.crc32(bytes(huge[:28])).to_bytes(4, "little")
        link.send(junk + b"HKP" + b"HKPX\x01\x00" + bytes(bad_crc) + bytes(huge) + b"HK")
        link.send(pf.hello(link.session, link.seq + 1)[:17])  # cut off
        status, body = expect_response(link.request(pf.POST, "/echo", b"after garbage"))
        assert body == b"POST after garbage", body
        assert "/counted/badcrc" not in STATE.hits
    P("garbage_bad_crc_and_oversized_length_skipped", garbage)

    def bad_payload():
        seq = link.next_seq()
        link.send(pf.request(link.session, seq, pf.GET, "noslash", check=False))
        code, _ = expect_error(link.answer_to(seq))
        assert code == pf.E_BAD_REQUEST, code
        seq = link.next_seq()
        link.send(pf.request(link.session, seq, pf.GET, "/a b\r\nX: y", check=False))
        code, _ = expect_error(link.answer_to(seq))
        assert code == pf.E_BAD_REQUEST, code
        seq = link.next_seq()
        link.send(pf.encode(pf.REQUEST, link.session, seq, bytes([9, 2]) + b"/a"))
        code, _ = expect_error(link.answer_to(seq))
        assert code == pf.E_BAD_REQUEST, code
    P("malformed_request_payload_is_bad_request", bad_payload)

    def wrong_direction():
        link.send(pf.response(link.session, link.seq + 1, 200, b"x") + pf.hello_ack(link.session, 1)
                  + pf.error(link.session, 2, 3, b"x"))
        assert link.recv_frame(timeout=0.5) is None
        status, _ = expect_response(link.request(pf.GET, "/status/200"))
        assert status == 200
    P("frames_of_the_other_direction_ignored", wrong_direction)

    def partial_then_silence():
        frame = pf.request(link.session, link.seq + 1, pf.POST, "/echo", b"x" * 1000)
        link.send(frame[:500])
        time.sleep(0.7)  # > --frame-timeout 300
        f = link.hello()
        assert f is not None and f.type == pf.HELLO_ACK, f
    P("partial_frame_dropped_after_silence", partial_then_silence)

    def byte_by_byte():
        seq = link.next_seq()
        frame = pf.request(link.session, seq, pf.POST, "/echo", b"slowly")
        for i in range(len(frame)):
            link.send(frame[i:i + 1])
        status, body = expect_response(link.answer_to(seq))
        assert body == b"POST slowly", body
    P("frame_sent_byte_by_byte", byte_by_byte)

    def disconnect_mid_frame():
        frame = pf.request(link.session, link.seq + 1, pf.POST, "/counted/cut", b"y" * 3000)
        link.send(frame[:1200])
        link.close()
        time.sleep(0.2)
        assert proxy.alive(), "proxy died"
        link.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        link.sock.connect(sock)
        link.dec = pf.Decoder()
        link.frames = []
        # the session outlives the connection; the cut frame does not
        expect_response(link.request(pf.POST, "/kbs/v0/auth", b"{}"))
        status, body = expect_response(link.request(pf.GET, "/kbs/v0/cookie"))
        assert body.startswith(b"kbs-session-id="), body
        assert "/counted/cut" not in STATE.hits
    P("survives_disconnect_mid_frame", disconnect_mid_frame)

    def replaced():
        other = Link(sock, session=link.session)
        other.seq = link.seq
        time.sleep(0.2)
        f = other.request(pf.GET, "/status/200")
        assert expect_response(f)[0] == 200
        # the old connection was closed by the proxy
        r, _, _ = select.select([link.sock], [], [], 2)
        assert r and link.sock.recv(10) == b"", "old connection still open"
        link.close()
        link.sock, other.sock = other.sock, None
        link.seq = other.seq
        link.dec, link.frames = other.dec, other.frames
    P("new_connection_replaces_old", replaced)

    def many_reconnects():
        for i in range(5):
            link.close()
            link.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            link.sock.connect(sock)
            link.dec, link.frames = pf.Decoder(), []
            link.session = random.getrandbits(64) | 1
            link.seq = 0
            f = link.hello()
            assert f is not None and f.type == pf.HELLO_ACK, (i, f)
            assert expect_response(link.request(pf.GET, "/status/200"))[0] == 200
    P("husk_reboots_and_reconnects", many_reconnects)

    def log_lines():
        time.sleep(0.1)
        text = "\n".join(proxy.lines)
        assert re.search(r"POST /echo -> 200, \d+ bytes, \d+ ms", text), "no exchange line"
        assert re.search(r"GET /size/65537 -> ERROR too-large .*, \d+ ms", text), "no error line"
        assert re.search(r"HELLO session [0-9a-f]{16} seq \d+: new cookie jar", text)
    P("one_log_line_per_exchange", log_lines)

    check("proxy_alive_after_all", proxy.alive(), proxy.log_tail())
    link.close()

    # --- the other wiring: QEMU listens, the proxy connects (and reconnects)
    def connect_mode():
        path = os.path.join(tmp, "qemu.sock")
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(path)
        lsock.listen(1)
        lsock.settimeout(5)
        p2 = Proxy(exe, path, url, ["--connect"])
        try:
            for round_ in range(2):
                conn, _ = lsock.accept()
                lk = Link(path, session=random.getrandbits(64) | 1, connect=False)
                lk.sock = conn
                f = lk.hello()
                assert f is not None and f.type == pf.HELLO_ACK, (round_, f)
                status, body = expect_response(lk.request(pf.POST, "/echo", b"r%d" % round_))
                assert body == b"POST r%d" % round_, body
                lk.close()  # QEMU went away; the proxy must come back
            assert p2.alive()
        finally:
            rc = p2.stop()
            lsock.close()
        assert rc == 0, rc
        # the proxy never removes a socket it did not create
        assert os.path.exists(path)
    run_check("connect_mode_reconnects", connect_mode)

    def refuses_other_files():
        path = os.path.join(tmp, "regular")
        with open(path, "w") as f:
            f.write("keep me")
        r = subprocess.run([exe, "--socket", path, "--url", url], stderr=subprocess.PIPE,
                           timeout=5)
        assert r.returncode != 0 and open(path).read() == "keep me", r.returncode
        r = subprocess.run([exe, "--socket", sock, "--url", url], stderr=subprocess.PIPE,
                           timeout=5)  # in use by the running proxy
        assert r.returncode != 0 and b"in use" in r.stderr, r.stderr
        r = subprocess.run([exe, "--socket", path + "2", "--url", "ftp://x"],
                           stderr=subprocess.PIPE, timeout=5)
        assert r.returncode == 2, r.returncode
    run_check("refuses_busy_or_foreign_paths_and_bad_url", refuses_other_files)


if __name__ == "__main__":
    sys.exit(main())

"""The husk <-> husk-kbs-proxy framing in Python, written from docs/proxy.md
(not from lib/proxy) so that the integration test checks the C code against
the document: encoders, a resynchronising decoder and payload parsers.
Also writes the fuzzer's seed corpus (python3 proxy_frames.py --seeds DIR)."""

import os
import struct
import sys
import zlib

MAGIC = b"HKPX"
VERSION = 1
HEADER = struct.Struct("<4sHHQIIII")  # magic version type session seq length payload_crc header_crc
HDR_SIZE = 32
assert HEADER.size == HDR_SIZE

HELLO, HELLO_ACK, REQUEST, RESPONSE, ERROR = 1, 2, 3, 4, 5
GET, POST = 1, 2
E_NO_SESSION, E_BAD_REQUEST, E_TRANSPORT, E_TOO_LARGE = 1, 2, 3, 4
TYPE_NAMES = {HELLO: "HELLO", HELLO_ACK: "HELLO_ACK", REQUEST: "REQUEST",
              RESPONSE: "RESPONSE", ERROR: "ERROR"}

PATH_MAX = 255
BODY_MAX = 65536
ERROR_TEXT_MAX = 255
LIMITS = {  # payload length range per type
    HELLO: (0, 0),
    HELLO_ACK: (0, 0),
    REQUEST: (3, 2 + PATH_MAX + BODY_MAX),
    RESPONSE: (2, 2 + BODY_MAX),
    ERROR: (2, 2 + ERROR_TEXT_MAX),
}
FRAME_MAX = HDR_SIZE + 2 + PATH_MAX + BODY_MAX


def crc32(b):
    return zlib.crc32(b) & 0xffffffff


def encode(ftype, session, seq, payload=b"", version=VERSION, check=True):
    """One frame.  check=False builds frames the rules forbid (for tests)."""
    if check:
        lo, hi = LIMITS[ftype]
        assert lo <= len(payload) <= hi and session != 0
    head = struct.pack("<4sHHQIII", MAGIC, version, ftype, session, seq, len(payload),
                       crc32(payload))
    return head + struct.pack("<I", crc32(head)) + payload


def hello(session, seq):
    return encode(HELLO, session, seq)


def hello_ack(session, seq):
    return encode(HELLO_ACK, session, seq)


def request(session, seq, method, path, body=b"", check=True):
    if isinstance(path, str):
        path = path.encode()
    return encode(REQUEST, session, seq, bytes([method, len(path) & 0xff]) + path + body,
                  check=check)


def response(session, seq, status, body=b""):
    return encode(RESPONSE, session, seq, struct.pack("<H", status) + body)


def error(session, seq, code, text=b""):
    return encode(ERROR, session, seq, struct.pack("<H", code) + text)


class Frame:
    def __init__(self, ftype, session, seq, payload):
        self.type, self.session, self.seq, self.payload = ftype, session, seq, payload

    def __repr__(self):
        return "Frame(%s, session=%#x, seq=%d, %d bytes)" % (
            TYPE_NAMES.get(self.type, self.type), self.session, self.seq, len(self.payload))


def _header_ok(h):
    magic, version, ftype, session, seq, length, pcrc, hcrc = HEADER.unpack(h)
    if magic != MAGIC or version != VERSION or session == 0 or ftype not in LIMITS:
        return None
    lo, hi = LIMITS[ftype]
    if not lo <= length <= hi or hcrc != crc32(h[:28]):
        return None
    return ftype, session, seq, length, pcrc


class Decoder:
    """Finds valid frames in a byte stream with garbage: scan for the magic,
    check the header, wait for the payload, check its CRC; on any failure
    resume one byte after the rejected magic."""

    def __init__(self):
        self.buf = b""
        self.garbage = 0

    def feed(self, data):
        self.buf += data
        frames = []
        while True:
            i = self.buf.find(MAGIC)
            if i < 0:
                # keep a tail that may be the start of a magic
                keep = 0
                for k in (3, 2, 1):
                    if self.buf.endswith(MAGIC[:k]):
                        keep = k
                        break
                self.garbage += len(self.buf) - keep
                self.buf = self.buf[len(self.buf) - keep:]
                return frames
            self.garbage += i
            self.buf = self.buf[i:]
            if len(self.buf) < HDR_SIZE:
                return frames
            h = _header_ok(self.buf[:HDR_SIZE])
            if h is None:
                self.buf = self.buf[1:]
                self.garbage += 1
                continue
            ftype, session, seq, length, pcrc = h
            if len(self.buf) < HDR_SIZE + length:
                return frames
            payload = self.buf[HDR_SIZE:HDR_SIZE + length]
            if crc32(payload) != pcrc:
                self.buf = self.buf[1:]
                self.garbage += 1
                continue
            frames.append(Frame(ftype, session, seq, payload))
            self.buf = self.buf[HDR_SIZE + length:]


def parse_request(payload):
    method, plen = payload[0], payload[1]
    path = payload[2:2 + plen]
    if method not in (GET, POST) or plen == 0 or len(path) != plen or path[:1] != b"/" \
            or any(c < 0x21 or c > 0x7e for c in path) or len(payload) - 2 - plen > BODY_MAX:
        raise ValueError("bad request payload")
    return method, path.decode(), payload[2 + plen:]


def parse_response(payload):
    (status,) = struct.unpack_from("<H", payload)
    if not 100 <= status <= 599 or len(payload) - 2 > BODY_MAX:
        raise ValueError("bad response payload")
    return status, payload[2:]


def parse_error(payload):
    (code,) = struct.unpack_from("<H", payload)
    text = payload[2:]
    if code == 0 or len(text) > ERROR_TEXT_MAX or any(c < 0x20 or c > 0x7e for c in text):
        raise ValueError("bad error payload")
    return code, text.decode()


def _self_test():
    s = 0x0123456789abcdef
    # the vector tests/unit/test_proxy_frame.c also checks
    assert hello(s, 1).hex() == ("484b505801000100" "efcdab8967452301" "0100000000000000"
                                 "00000000d1e4cbc3")
    d = Decoder()
    stream = b"junkHKP" + hello(s, 1) + b"HKPX" + request(s, 2, POST, "/a", b"{}") + b"H"
    got = []
    for i in range(len(stream)):
        got += d.feed(stream[i:i + 1])
    assert [(f.type, f.seq) for f in got] == [(HELLO, 1), (REQUEST, 2)], got
    assert parse_request(got[1].payload) == (POST, "/a", b"{}")


def write_seeds(directory):
    """Valid conversations for both modes of tests/fuzz/fuzz_proxy_frame.c
    (first byte = mode; docs in that file)."""
    s = 0x1122334455667788
    os.makedirs(directory, exist_ok=True)
    whole = 63 << 2
    seeds = {
        # proxy side: what husk sends
        "proxy_hello_request": bytes([whole]) + hello(s, 1) + request(s, 2, POST, "/kbs/v0/auth",
                                                                      b'{"version":"0.4.0"}'),
        "proxy_get_bytewise": bytes([0]) + request(s, 3, GET, "/kbs/v0/resource/default/key/1"),
        "proxy_garbage": bytes([whole | 2]) + b"\x00HKPHKPX" + hello(s, 9)[:20] + hello(s, 10),
        "proxy_answers": bytes([(7 << 2)]) + hello_ack(s, 1) + response(s, 2, 200, b"{}")
        + error(s, 3, E_TRANSPORT, b"timeout"),
        "proxy_nested": bytes([whole | 2]) + response(s, 4, 200, hello(s, 5) + b"xx"),
        # husk side: what the proxy answers (chunk 32: one ACK per read)
        "husk_ok": bytes([(31 << 2) | 1]) + hello_ack(s, 1) + response(s, 2, 200, b'{"nonce":"x"}'),
        "husk_ok_crcfix": bytes([(31 << 2) | 3]) + hello_ack(s, 1) + response(s, 2, 401, b"denied"),
        "husk_error": bytes([(31 << 2) | 1]) + hello_ack(s, 1) + error(s, 2, E_TOO_LARGE, b"big"),
        "husk_stale": bytes([(31 << 2) | 1]) + hello_ack(s + 1, 1) + hello_ack(s, 1)
        + response(s, 1, 200) + response(s, 2, 204),
        "husk_bytewise": bytes([1]) + hello_ack(s, 1) + response(s, 2, 200, b"ok"),
    }
    for name, data in seeds.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    _self_test()
    if len(sys.argv) == 3 and sys.argv[1] == "--seeds":
        write_seeds(sys.argv[2])
    print("proxy_frames: self-test ok")

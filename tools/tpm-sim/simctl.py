#!/usr/bin/env python3
"""Client helper for husk-tpm-sim tests (used by smoke.sh).

  simctl.py free-port                      a port P with P and P+1 free on 127.0.0.1
  simctl.py wait-port PORT [SECONDS]       wait until 127.0.0.1:PORT accepts
  simctl.py mssim PLATFORM_PORT SIGNAL...  send MS-simulator platform signals
                                           (power-on power-off reset restart nv-on
                                           nv-off cancel-on cancel-off pp-on pp-off
                                           sizes stop), check each acknowledgement
  simctl.py swtpm-ctrl CTRL_PORT CMD...    send swtpm control commands (caps init
                                           stop shutdown established locality0
                                           config buffersize info)
  simctl.py hostile swtpm|mssim PORT PORT2 hostile-client checks; PASS/FAIL lines

Exit status 0 if everything went as expected.
"""
import os
import socket
import struct
import sys
import time

HOST = "127.0.0.1"
GETRANDOM8 = bytes.fromhex("80010000000c0000017b0008")

MSSIM_SIGNALS = {
    "power-on": 1, "power-off": 2, "pp-on": 3, "pp-off": 4, "cancel-on": 9,
    "cancel-off": 10, "nv-on": 11, "nv-off": 12, "reset": 17, "restart": 18,
    "session-end": 20, "stop": 21, "sizes": 25,
}


def connect(port, timeout=5.0):
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def closed_by_peer(s, timeout=2.0):
    """True if the server closes s (EOF or reset) within timeout."""
    s.settimeout(timeout)
    try:
        while True:
            if not s.recv(4096):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def free_port():
    for _ in range(200):
        a = socket.socket()
        a.bind((HOST, 0))
        port = a.getsockname()[1]
        b = socket.socket()
        try:
            if port < 65535:
                b.bind((HOST, port + 1))
                a.close()
                b.close()
                return port
        except OSError:
            pass
        a.close()
        b.close()
    raise SystemExit("no free port pair")


def wait_port(port, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            connect(port, 0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def mssim_framed(cmd, locality=0):
    return struct.pack(">IBI", 8, locality, len(cmd)) + cmd


def mssim_send(s, cmd, locality=0):
    """TPM_SEND_COMMAND on s; returns the response (acknowledgement checked)."""
    s.sendall(mssim_framed(cmd, locality))
    (n,) = struct.unpack(">I", recv_exact(s, 4))
    rsp = recv_exact(s, n)
    (ack,) = struct.unpack(">I", recv_exact(s, 4))
    if ack != 0:
        raise ValueError("acknowledgement %d" % ack)
    return rsp


def rc_of(rsp):
    return struct.unpack(">I", rsp[6:10])[0]


def mssim_signals(port, names):
    s = connect(port)
    for name in names:
        code = MSSIM_SIGNALS[name]
        s.sendall(struct.pack(">I", code))
        if name in ("stop", "session-end"):
            if not closed_by_peer(s):
                raise SystemExit("%s: connection not closed" % name)
            print("%s: closed" % name)
            return 0
        if name == "sizes":
            (n,) = struct.unpack(">I", recv_exact(s, 4))
            data = recv_exact(s, n)
            print("sizes: %s" % data.hex())
        (ack,) = struct.unpack(">I", recv_exact(s, 4))
        print("%s: ack %d" % (name, ack))
        if ack != 0:
            return 1
    s.sendall(struct.pack(">I", 20))  # TPM_SESSION_END
    s.close()
    return 0


SWTPM_CMDS = {
    # name: (request, reply length or None for GET_INFO)
    "caps": (struct.pack(">I", 1), 8),
    "init": (struct.pack(">II", 2, 0), 4),
    "shutdown": (struct.pack(">I", 3), 4),
    "established": (struct.pack(">I", 4), 8),
    "locality0": (struct.pack(">IB", 5, 0), 4),
    "stop": (struct.pack(">I", 14), 4),
    "config": (struct.pack(">I", 15), 8),
    "buffersize": (struct.pack(">II", 17, 0), 16),
    "info": (struct.pack(">IQII", 18, 3, 0, 0), None),
}


def swtpm_ctrl(port, names):
    status = 0
    for name in names:
        req, n = SWTPM_CMDS[name]
        s = connect(port)
        s.sendall(req)
        if n is None:
            head = recv_exact(s, 12)
            res, total, length = struct.unpack(">III", head)
            data = recv_exact(s, length)
            print("%s: res %d total %d %s" % (name, res, total, data.rstrip(b"\0").decode()))
        else:
            data = recv_exact(s, n)
            res = struct.unpack(">I", data[:4])[0]
            print("%s: %s" % (name, data.hex()))
            if name != "caps" and res != 0:
                status = 1
        s.close()
    return status


class Checks:
    def __init__(self, prefix):
        self.prefix = prefix
        self.failed = 0

    def check(self, name, fn):
        try:
            detail = fn()
            print("PASS %s/%s%s" % (self.prefix, name, (": " + detail) if detail else ""))
        except Exception as e:  # any failure of a check is reported, not raised
            self.failed += 1
            print("FAIL %s/%s: %s: %s" % (self.prefix, name, type(e).__name__, e))


def hostile(proto, port, port2):
    c = Checks("hostile-" + proto)

    def alive():
        s = connect(port)
        rsp = mssim_send(s, GETRANDOM8)  # both data ports take MS-sim framing
        s.close()
        if rc_of(rsp) != 0 or len(rsp) != 20:
            raise ValueError("GetRandom answered %s" % rsp.hex())

    def expect_close(data, p=None, what="closed"):
        s = connect(p or port)
        s.sendall(data)
        if not closed_by_peer(s):
            raise ValueError("connection still open")
        s.close()
        alive()
        return what

    def garbage():
        s = connect(port)
        try:
            s.sendall(os.urandom(3000) + b"\xff" * 8)
        except OSError:
            pass
        closed_by_peer(s, 1.0)
        s.close()
        alive()

    def truncated_raw():
        s = connect(port)
        s.sendall(GETRANDOM8[:7])
        s.close()
        alive()

    def truncated_framed():
        s = connect(port)
        s.sendall(struct.pack(">IBI", 8, 0, 100) + b"\x80\x01" * 5)
        s.close()
        alive()

    def oversized_framed():
        return expect_close(struct.pack(">IBI", 8, 0, 0xFFFFFFFF))

    def oversized_framed_4097():
        return expect_close(struct.pack(">IBI", 8, 0, 4097))

    def raw_bad_size():
        if proto != "swtpm":
            return "n/a (mssim command port has no raw commands)"
        expect_close(bytes.fromhex("8001ffffffff0000017b0008"))
        return expect_close(bytes.fromhex("800100000003"))

    def bad_locality():
        s = connect(port)
        rsp = mssim_send(s, GETRANDOM8, locality=7)
        s.close()
        if rc_of(rsp) != 0x907:
            raise ValueError("rc 0x%x, expected TPM_RC_LOCALITY" % rc_of(rsp))

    def short_command():
        s = connect(port)
        rsp = mssim_send(s, b"\x80\x01\x00")
        s.close()
        if len(rsp) < 10:
            raise ValueError("response %s" % rsp.hex())
        return "rc 0x%x" % rc_of(rsp)

    def idle_does_not_block():
        idle = connect(port)
        idle2 = connect(port2)
        t = time.time()
        alive()
        idle.close()
        idle2.close()
        return "served in %.0f ms beside idle clients" % ((time.time() - t) * 1000)

    def partial_frame_times_out():
        s = connect(port)
        s.sendall(struct.pack(">IBI", 8, 0, 12) + GETRANDOM8[:4])
        alive()  # another client is served meanwhile
        t = time.time()
        if not closed_by_peer(s, 8.0):
            raise ValueError("stalled partial frame kept open")
        s.close()
        return "closed after %.1f s" % (time.time() - t)

    def many_connections():
        conns = [connect(port) for _ in range(24)]
        alive()
        for s in conns:
            s.close()
        return "24 idle connections"

    def ctrl_garbage():
        s = connect(port2)
        if proto == "swtpm":
            s.sendall(struct.pack(">I", 0x7777))  # unknown CMD_
            res = struct.unpack(">I", recv_exact(s, 4))[0]
            if res != 0x0A:
                raise ValueError("unknown command answered %d, not TPM_BAD_ORDINAL" % res)
            s.sendall(struct.pack(">IB", 5, 9))  # locality 9
            res = struct.unpack(">I", recv_exact(s, 4))[0]
            if res != 0x3D:
                raise ValueError("locality 9 answered %d, not TPM_BAD_LOCALITY" % res)
            s.sendall(os.urandom(500))
        else:
            s.sendall(struct.pack(">I", 0x7777))  # unknown signal
            res = struct.unpack(">I", recv_exact(s, 4))[0]
            if res != 1 or not closed_by_peer(s):
                raise ValueError("unknown signal: answer %d / not closed" % res)
        s.close()
        s = connect(port2)
        s.sendall(b"\x00\x00")  # truncated request
        s.close()
        alive()

    c.check("garbage", garbage)
    c.check("truncated-raw-header", truncated_raw)
    c.check("truncated-framed-command", truncated_framed)
    c.check("oversized-length-0xffffffff", oversized_framed)
    c.check("oversized-length-4097", oversized_framed_4097)
    c.check("raw-bad-size-field", raw_bad_size)
    c.check("locality-7", bad_locality)
    c.check("3-byte-command", short_command)
    c.check("control-port-garbage", ctrl_garbage)
    c.check("idle-clients-do-not-block", idle_does_not_block)
    c.check("more-connections-than-slots", many_connections)
    c.check("stalled-partial-frame-times-out", partial_frame_times_out)
    return 1 if c.failed else 0


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd = argv[1]
    if cmd == "free-port":
        print(free_port())
        return 0
    if cmd == "wait-port":
        return 0 if wait_port(int(argv[2]), float(argv[3]) if len(argv) > 3 else 5.0) else 1
    if cmd == "mssim":
        return mssim_signals(int(argv[2]), argv[3:])
    if cmd == "swtpm-ctrl":
        return swtpm_ctrl(int(argv[2]), argv[3:])
    if cmd == "hostile":
        return hostile(argv[2], int(argv[3]), int(argv[4]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

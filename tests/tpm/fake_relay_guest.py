#!/usr/bin/env python3
"""Stands in for husk's test guest in relay mode (docs/guest.md), so that
husk-tpm-sim's relay backend and `scenarios.sh --relay-fake` can be tested
without QEMU: it serves the guest's COM2 as QEMU would (a unix socket, server
side, output dropped while no client is connected) and carries each frame to
a TPM served by another husk-tpm-sim on 127.0.0.1 (swtpm data port), the way
the guest carries it to husk's vTPM with VTPM_CMD.

  fake_relay_guest.py --socket PATH --tpm-port N [--boot-delay SEC]

Like husk, it refuses a power cycle (frame length 0: answer UNSUPPORTED_CALL,
the TPM behind it untouched).  A frame length of 0xffffffff ends it with
exit status 0.
"""
import argparse
import os
import select
import socket
import struct
import sys
import time

BANNER = b"HUSKRELAY1\n"
CMD_MAX = 4087
SVSM_SUCCESS = 0
SVSM_ERR_UNSUPPORTED_CALL = 0x80000002
SVSM_ERR_INVALID_PARAMETER = 0x80000005
SVSM_ERR_INVALID_ADDRESS = 0x80000003


def log(msg):
    print("fake-relay-guest: %s" % msg, file=sys.stderr, flush=True)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("TPM connection closed")
        buf += chunk
    return buf


class Tpm:
    """The TPM behind the guest: raw commands on a swtpm data port."""

    def __init__(self, port):
        self.port = port
        self.s = None

    def send(self, cmd):
        for attempt in (1, 2):
            try:
                if self.s is None:
                    self.s = socket.create_connection(("127.0.0.1", self.port), timeout=300)
                self.s.sendall(cmd)
                head = recv_exact(self.s, 10)
                (size,) = struct.unpack(">I", head[2:6])
                return head + recv_exact(self.s, size - 10)
            except (OSError, EOFError):
                if self.s is not None:
                    self.s.close()
                self.s = None
                if attempt == 2:
                    raise
        return b""


class Guest:
    def __init__(self, args):
        self.tpm = Tpm(args.tpm_port)
        self.rx = b""
        self.heard_host = False
        self.discard = 0  # bytes of an oversized frame still to drop
        self.discard_reply = False
        self.conn = None
        self.commands = 0

    def send(self, data):
        # QEMU with wait=off: output while nobody listens is lost.
        if self.conn is None:
            return
        try:
            self.conn.sendall(data)
        except OSError:
            self.drop_conn()

    def drop_conn(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None
        log("host disconnected")

    def reply(self, result, data=b""):
        self.send(struct.pack(">II", result, len(data)) + data)

    def frames(self):
        """Handles every complete frame in self.rx; True when told to end."""
        while True:
            if self.discard:
                n = min(self.discard, len(self.rx))
                self.rx = self.rx[n:]
                self.discard -= n
                if self.discard:
                    return False
                self.reply(SVSM_ERR_INVALID_PARAMETER)
            if len(self.rx) < 4:
                return False
            (n,) = struct.unpack(">I", self.rx[:4])
            if n == 0xFFFFFFFF:
                log("end of relay mode after %d commands" % self.commands)
                return True
            if n == 0:
                self.rx = self.rx[4:]
                log("power cycle requested: refused (UNSUPPORTED_CALL), as husk does")
                self.reply(SVSM_ERR_UNSUPPORTED_CALL)
                continue
            if n > CMD_MAX:
                self.rx = self.rx[4:]
                self.discard = n
                continue
            if len(self.rx) < 4 + n:
                return False
            cmd, self.rx = self.rx[4:4 + n], self.rx[4 + n:]
            try:
                rsp = self.tpm.send(cmd)
            except (OSError, EOFError) as e:
                log("the TPM behind the guest failed: %s" % e)
                self.reply(SVSM_ERR_INVALID_ADDRESS)
                continue
            self.commands += 1
            self.reply(SVSM_SUCCESS, rsp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--socket", required=True)
    ap.add_argument("--tpm-port", type=int, required=True)
    ap.add_argument("--boot-delay", type=float, default=0.5,
                    help="seconds before the banner, as a booting VM would take")
    args = ap.parse_args()

    if os.path.exists(args.socket):
        os.unlink(args.socket)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(args.socket)
    listener.listen(1)
    g = Guest(args)
    banner_at = time.time() + args.boot_delay
    log("listening on %s; TPM on port %d" % (args.socket, args.tpm_port))
    while True:
        now = time.time()
        if not g.heard_host and now >= banner_at:
            g.send(BANNER)
            banner_at = now + 1.0
        fds = [listener] + ([g.conn] if g.conn is not None else [])
        timeout = max(0.0, banner_at - now) if not g.heard_host else None
        readable, _, _ = select.select(fds, [], [], timeout)
        if listener in readable:
            conn, _ = listener.accept()
            if g.conn is not None:
                conn.close()  # QEMU serves one client at a time
            else:
                g.conn = conn
                log("host connected")
        if g.conn is not None and g.conn in readable:
            try:
                data = g.conn.recv(65536)
            except OSError:
                data = b""
            if not data:
                g.drop_conn()
                continue
            g.heard_host = True
            g.rx += data
            if g.frames():
                return 0


if __name__ == "__main__":
    sys.exit(main())

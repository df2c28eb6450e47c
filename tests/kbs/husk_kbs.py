#!/usr/bin/env python3
"""husk attesting to the KBS test server through husk-kbs-proxy, for real:
husk on svm (QEMU TCG) with the test guest in demo mode, the proxy on a
UNIX socket wired to husk's COM3, the Trustee-faithful test server, and in
some cases the tampering proxy between husk-kbs-proxy and the server.

Each case prints `PASS name` or `FAIL name` (with the logs after a
failure); exit status 1 if any failed.

  /usr/bin/python3 tests/kbs/husk_kbs.py --build build [-k substr] [-v]

What is checked (docs/kbs.md, "Tests"):
  released          husk attests, gets the storage key, the CA key and
                    certificate, writes the EK certificates; the guest reads
                    the RSA EK certificate from NV; openssl verifies it
                    against the CA; its key is the EK in the attestation
                    manifest
  wrong_measurement the server expects another measurement: every secret
                    refused (401), no certificate, husk still serves
  no_proxy          COM3 without a proxy behind it: husk stops, saying why
  tamper/<mode>     the tampering proxy alters one kind of message: the
                    exchange fails or the message had no effect; never a
                    certificate that does not verify against the real CA
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PY = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# One mode per kind of message (tamper_proxy.py --list has them all), and
# what husk must end up with: "stop" (attestation fails, husk stops the
# boot), "none" (attested, but no secret released or accepted: no
# certificate, husk serves), "ok" (the change does not matter).
TAMPER = [
    ("auth-version", "stop"), ("challenge-nonce", "stop"), ("auth-cookie", "stop"),
    ("attest-nonce", "stop"), ("attest-tee-pubkey", "stop"), ("attest-report-data", "stop"),
    ("attest-measurement", "none"), ("attest-status", "stop"), ("attest-token", "ok"),
    ("attest-tee-pubkey-extra", "ok"), ("resource-status", "none"), ("jwe-protected", "none"),
    ("jwe-epk", "none"), ("jwe-encrypted_key", "none"), ("jwe-iv", "none"),
    ("jwe-ciphertext", "none"), ("jwe-tag", "none"), ("jwe-truncate", "none"), ("jwe-aad", "ok"),
    ("jwe-substitute", "foreign"),
]

RESULTS = []


def record(name, ok, detail=""):
    RESULTS.append((name, ok))
    print("%s %s" % ("PASS" if ok else "FAIL", name), flush=True)
    if not ok and detail:
        for line in detail.rstrip().splitlines()[-80:]:
            print("    | " + line)


def wait_file(path, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            return open(path).read().strip()
        time.sleep(0.05)
    raise RuntimeError("%s did not appear" % path)


class Setup:
    """A CA, a storage key, and the server/proxies of one case."""

    def __init__(self, args, work):
        self.args, self.work = args, work
        self.procs = []
        self.ca_key = os.path.join(work, "ca.key")
        self.ca_pem = os.path.join(work, "ca.pem")
        subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
                        "-out", self.ca_key], check=True, capture_output=True)
        subprocess.run(["openssl", "req", "-x509", "-new", "-key", self.ca_key, "-subj",
                        "/CN=husk test EK CA", "-days", "3650", "-addext",
                        "basicConstraints=critical,CA:TRUE", "-addext",
                        "keyUsage=critical,keyCertSign,cRLSign", "-out", self.ca_pem],
                       check=True, capture_output=True)
        with open(os.path.join(work, "storage.key"), "wb") as f:
            f.write(os.urandom(32))
        self.measurement = open(os.path.join(args.build, "husk-svm.measurement")).read().strip()

    def start(self, argv, name, port_file=None):
        log = open(os.path.join(self.work, name + ".log"), "w")
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(p)
        if port_file:
            return wait_file(port_file)
        return None

    def server(self, measurement):
        pf = os.path.join(self.work, "server.port")
        if os.path.exists(pf):
            os.unlink(pf)
        return self.start([PY, os.path.join(HERE, "kbs_server.py"), "--port-file", pf,
                           "--policy", "measurement", "--measurement", measurement,
                           "--resource", "husk/vtpm/storage-key=file:" + os.path.join(self.work, "storage.key"),
                           "--resource", "husk/ek-ca/key=file:" + self.ca_key,
                           "--resource", "husk/ek-ca/cert=file:" + self.ca_pem], "server", pf)

    def tamper(self, upstream_port, mode):
        pf = os.path.join(self.work, "tamper.port")
        if os.path.exists(pf):
            os.unlink(pf)
        return self.start([PY, os.path.join(HERE, "tamper_proxy.py"), "--upstream",
                           "http://127.0.0.1:%s" % upstream_port, "--tamper", mode,
                           "--substitute-secret", "00" * 32, "--port-file", pf], "tamper", pf)

    def proxy(self, port):
        sock = os.path.join(self.work, "kbs.sock")
        self.start([os.path.join(self.args.build, "host", "tools", "husk-kbs-proxy"), "--socket",
                    sock, "--url", "http://127.0.0.1:%s" % port], "proxy")
        end = time.time() + 10
        while not os.path.exists(sock) and time.time() < end:
            time.sleep(0.05)
        return sock

    def husk(self, sock):
        com2 = os.path.join(self.work, "com2.txt")
        if os.path.exists(com2):
            os.unlink(com2)
        argv = [os.path.join(self.args.build, "host", "tools", "husk-launch"), "--smp", "2",
                "--timeout", "180", "--serial2", "file:" + com2, "--cmdline", "guest.mode=demo"]
        if sock:
            argv += ["--kbs-socket", sock]
        r = subprocess.run(argv + [os.path.join(self.args.build, "husk-svm.igvm")],
                           capture_output=True, text=True, timeout=240)
        guest = open(com2, errors="replace").read() if os.path.exists(com2) else ""
        return r.returncode, r.stdout + r.stderr, guest

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
        self.procs = []

    def logs(self):
        out = []
        for n in ("server", "proxy", "tamper"):
            p = os.path.join(self.work, n + ".log")
            if os.path.exists(p):
                out.append("--- %s\n%s" % (n, open(p, errors="replace").read()[-3000:]))
        return "\n".join(out)


def guest_cert(work, guest):
    """The EK certificate the guest printed, and the attested EK's modulus
    hash; (None, None) if it printed none."""
    hexs = "".join(re.findall(r"ekcert: ([0-9a-f]+)", guest))
    att = re.search(r"attested EK modulus sha256 ([0-9a-f]{64})", guest)
    if not hexs:
        return None, att.group(1) if att else None
    der = os.path.join(work, "ek.der")
    with open(der, "wb") as f:
        f.write(bytes.fromhex(hexs))
    return der, att.group(1) if att else None


def cert_verifies(work, der, ca_pem):
    pem = os.path.join(work, "ek.pem")
    r = subprocess.run(["openssl", "x509", "-inform", "der", "-in", der, "-out", pem],
                       capture_output=True, text=True)
    if r.returncode:
        return False, r.stderr
    r = subprocess.run(["openssl", "verify", "-CAfile", ca_pem, pem], capture_output=True, text=True)
    return r.returncode == 0, r.stdout + r.stderr


def modulus_sha256(der):
    import hashlib
    r = subprocess.run(["openssl", "x509", "-inform", "der", "-in", der, "-noout", "-modulus"],
                       capture_output=True, text=True)
    m = r.stdout.strip().split("=", 1)[-1]
    return hashlib.sha256(bytes.fromhex(m)).hexdigest() if m else None


def case_released(args, s):
    port = s.server(s.measurement)
    rc, out, guest = s.husk(s.proxy(port))
    der, attested = guest_cert(s.work, guest)
    ok = (rc == 0 and "kbs: attested" in out and "vTPM storage key released" in out and
          "EK certificates (RSA 2048 at 0x01c00002, ECC P-256 at 0x01c0000a) issued and written" in out
          and der is not None)
    why = ""
    if ok:
        ok, why = cert_verifies(s.work, der, s.ca_pem)
        ok = ok and modulus_sha256(der) == attested
    return ok, "exit %d\n%s\n--- husk\n%s\n--- guest\n%s\n%s" % (rc, why, out, guest, s.logs())


def case_wrong_measurement(args, s):
    port = s.server("00" * 48)
    rc, out, guest = s.husk(s.proxy(port))
    ok = (rc == 0 and "kbs: attested" in out and " released" not in out and
          re.search(r"kbs: no vTPM storage key \(husk/vtpm/storage-key\): kbs: .*401", out) is not None
          and "no EK CA from the KBS" in out and "EK certificate at NV 0x1c00002: none" in guest
          and "demo done" in guest)
    return ok, "exit %d\n--- husk\n%s\n--- guest\n%s\n%s" % (rc, out, guest, s.logs())


def case_no_proxy(args, s):
    # COM3 is wired to a socket nobody answers on.
    sock = os.path.join(s.work, "nobody.sock")
    import socket
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock)
    srv.listen(1)
    try:
        rc, out, guest = s.husk(sock)
    finally:
        srv.close()
    ok = (rc != 0 and "kbs: attestation failed" in out and
          "husk: stopping: the KBS step failed" in out and "demo" not in guest)
    return ok, "exit %d\n--- husk\n%s\n--- guest\n%s" % (rc, out, guest)


def case_tamper(args, s, mode, want):
    port = s.server(s.measurement)
    tport = s.tamper(port, mode)
    rc, out, guest = s.husk(s.proxy(tport))
    der, attested = guest_cert(s.work, guest)
    verifies = der is not None and cert_verifies(s.work, der, s.ca_pem)[0]
    stopped = rc != 0 and "husk: stopping: the KBS step failed" in out and "demo" not in guest
    served = rc == 0 and "demo done" in guest
    if want == "stop":
        ok = stopped
    elif want == "none":
        ok = served and der is None and "issued and written" not in out
    elif want == "foreign":
        # Undetectable by the protocol: the proxy encrypts its own secret to
        # husk's key.  husk must not end up with a certificate the real CA
        # vouches for (here: the substituted "CA" is garbage, so husk stops).
        ok = (stopped or served) and not verifies
    else:
        ok = served and verifies and modulus_sha256(der) == attested
    # The proxy logs each alteration as "[MODE: what]".
    tampered = re.search(r"\[%s: " % re.escape(mode), open(os.path.join(s.work, "tamper.log")).read())
    ok = ok and tampered is not None
    return ok, "want %s; exit %d\n--- husk\n%s\n--- guest\n%s\n%s" % (want, rc, out, guest, s.logs())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", default="", help="only cases whose name contains this")
    args = ap.parse_args()
    cases = [("released", case_released), ("wrong_measurement", case_wrong_measurement),
             ("no_proxy", case_no_proxy)]
    cases += [("tamper/" + m, (lambda m, w: lambda a, s: case_tamper(a, s, m, w))(m, w))
              for m, w in TAMPER]
    for name, fn in cases:
        if args.k not in name:
            continue
        work = tempfile.mkdtemp(prefix="husk-kbs.")
        s = None
        try:
            s = Setup(args, work)
            ok, detail = fn(args, s)
        except Exception as e:  # a harness failure is a failed case
            ok, detail = False, "harness: %r\n%s" % (e, s.logs() if s else "")
        finally:
            if s:
                s.stop()
        record(name, ok, detail)
        shutil.rmtree(work, ignore_errors=True)
    failed = sum(1 for _, ok in RESULTS if not ok)
    print("%d passed, %d failed" % (len(RESULTS) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

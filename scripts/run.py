#!/usr/bin/env python3
"""`make run`: husk on the svm platform with its test guest, attesting to a
KBS through its proxy, with a disk for the vTPM's state.

Starts the KBS test server (tests/kbs/kbs_server.py, Trustee's protocol)
holding a storage key and an EK CA that it releases only to husk's
measurement, and husk-kbs-proxy on a UNIX socket; then boots husk
(husk-launch) with COM3 wired to the proxy and the state disk attached.
husk's console and the guest's share the terminal; the server's and the
proxy's logs go to files in the run directory.

The run directory ($BUILD/run) keeps the CA, the storage key and the disk
between runs, so a second `make run` loads the same vTPM: same EK, same
certificate, NV and persistent objects.  RUN_RESET=1 starts afresh.

  /usr/bin/python3 scripts/run.py --build build [--smp N] [--mode demo]
        [--cmdline "..."] [--reset] [--no-kbs] [-- extra husk-launch args]
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import time

PY = "/usr/bin/python3"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DISK_BYTES = 4 << 20


def make_state(run_dir):
    """The CA, the storage key and the disk, made once per run directory."""
    ca_key, ca_pem = os.path.join(run_dir, "ek-ca.key"), os.path.join(run_dir, "ek-ca.pem")
    if not os.path.exists(ca_pem):
        subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
                        "-out", ca_key], check=True, capture_output=True)
        subprocess.run(["openssl", "req", "-x509", "-new", "-key", ca_key, "-subj",
                        "/O=husk/CN=husk make-run EK CA", "-days", "3650", "-addext",
                        "basicConstraints=critical,CA:TRUE", "-addext",
                        "keyUsage=critical,keyCertSign,cRLSign", "-out", ca_pem],
                       check=True, capture_output=True)
    key = os.path.join(run_dir, "storage.key")
    if not os.path.exists(key):
        with open(key, "wb") as f:
            f.write(os.urandom(32))
    disk = os.path.join(run_dir, "vtpm-state.img")
    if not os.path.exists(disk):
        with open(disk, "wb") as f:
            f.truncate(DISK_BYTES)
    return ca_key, ca_pem, key, disk


def wait_for(path, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            return open(path).read().strip()
        time.sleep(0.05)
    sys.exit("run: %s did not appear (see the logs in %s)" % (path, os.path.dirname(path)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--smp", default="4")
    ap.add_argument("--mode", default="demo")
    ap.add_argument("--cmdline", default="")
    ap.add_argument("--reset", action="store_true")
    ap.add_argument("--no-kbs", action="store_true", help="no KBS, no disk: an ephemeral vTPM")
    ap.add_argument("extra", nargs="*")
    args = ap.parse_args()

    build = args.build
    image = os.path.join(build, "husk-svm.igvm")
    launch = os.path.join(build, "host", "tools", "husk-launch")
    argv = [launch, "--smp", args.smp, "--serial2", "stdio",
            "--cmdline", ("guest.mode=%s %s" % (args.mode, args.cmdline)).strip()]
    procs = []
    if not args.no_kbs:
        run_dir = os.path.join(build, "run")
        if args.reset:
            shutil.rmtree(run_dir, ignore_errors=True)
        os.makedirs(run_dir, exist_ok=True)
        ca_key, ca_pem, key, disk = make_state(run_dir)
        measurement = open(os.path.join(build, "husk-svm.measurement")).read().strip()
        port_file = os.path.join(run_dir, "kbs.port")
        sock = os.path.join(run_dir, "kbs.sock")
        for p in (port_file, sock):
            if os.path.exists(p):
                os.unlink(p)
        slog = open(os.path.join(run_dir, "kbs-server.log"), "w")
        procs.append(subprocess.Popen(
            [PY, os.path.join(ROOT, "tests", "kbs", "kbs_server.py"), "--port-file", port_file,
             "--policy", "measurement", "--measurement", measurement,
             "--resource", "husk/vtpm/storage-key=file:" + key,
             "--resource", "husk/ek-ca/key=file:" + ca_key,
             "--resource", "husk/ek-ca/cert=file:" + ca_pem],
            stdout=slog, stderr=subprocess.STDOUT))
        port = wait_for(port_file)
        plog = open(os.path.join(run_dir, "kbs-proxy.log"), "w")
        procs.append(subprocess.Popen(
            [os.path.join(build, "host", "tools", "husk-kbs-proxy"), "--socket", sock, "--url",
             "http://127.0.0.1:%s" % port], stdout=plog, stderr=subprocess.STDOUT))
        end = time.time() + 10
        while not os.path.exists(sock) and time.time() < end:
            time.sleep(0.05)
        print("run: KBS test server on 127.0.0.1:%s releasing the storage key and the EK CA to "
              "measurement %s...; husk-kbs-proxy on %s; state disk %s (logs and keys in %s)"
              % (port, measurement[:16], sock, disk, run_dir), flush=True)
        argv += ["--kbs-socket", sock, "--disk", disk]
    argv += args.extra + [image]
    try:
        rc = subprocess.call(argv)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
    return rc


if __name__ == "__main__":
    sys.exit(main())

"""Fixtures that run the real supd on a temp config, socket and status segment.

Every supd is started in its own temp dir; at teardown it is stopped with SIGTERM
(bounded wait, then SIGKILL), and every process it ever reported is killed by pid.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import time

import pytest

BUILD = os.environ.get("SUP_BUILD_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build")
SUPD = os.path.join(BUILD, "bin", "supd")
SUPCTL = os.path.join(BUILD, "bin", "supctl")
WORKER = os.path.join(BUILD, "tests", "fake_worker")


def wait_until(predicate, timeout=10.0, interval=0.02, what="condition"):
    """Polls predicate until it returns a truthy value; fails the test after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def alive(pid):
    """True while pid runs (a zombie, waiting for its parent to reap it, is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def fd_table(pid):
    """(size of the process's fd table, descriptors it holds open), from /proc."""
    with open(f"/proc/{pid}/status") as f:
        size = next(int(line.split()[1]) for line in f if line.startswith("FDSize:"))
    return size, len(os.listdir(f"/proc/{pid}/fd"))


class Supd:
    """One supd process under test."""

    def __init__(self, workdir):
        self.dir = workdir
        self.sock = os.path.join(workdir, "sup.sock")
        self.shm = f"/sup-test-{os.getpid()}-{os.path.basename(workdir)}"
        self.proc = None
        self.seen_pids = set()
        self.config_path = os.path.join(workdir, "sup.toml")

    def write_config(self, body, supervisor_extra=""):
        text = textwrap.dedent(f"""\
            [supervisor]
            socket = "{self.sock}"
            status_shm = "{self.shm}"
            logs_dir = "{self.dir}/logs"
            shutdown_timeout = "20s"
            {supervisor_extra}
            """) + textwrap.dedent(body)
        with open(self.config_path, "w") as f:
            f.write(text)
        return self.config_path

    def start(self, body=None, args=(), env=None, wait=True, supervisor_extra=""):
        if body is not None:
            self.write_config(body, supervisor_extra)
        e = dict(os.environ)
        e.update(env or {})
        e["WORKER"] = WORKER
        self.stdout = open(os.path.join(self.dir, "supd.out"), "wb")
        self.stderr = open(os.path.join(self.dir, "supd.err"), "wb")
        self.proc = subprocess.Popen([SUPD, "-c", self.config_path, *args],
                                     stdout=self.stdout, stderr=self.stderr, env=e)
        if wait:
            wait_until(self._connectable, 10, what=f"supd socket {self.sock}")
        return self

    def _connectable(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"supd exited early with {self.proc.returncode}: {self.log()}")
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(self.sock)
            s.close()
            return True
        except OSError:
            return False

    def log(self):
        out = open(os.path.join(self.dir, "supd.out"), errors="replace").read()
        err = open(os.path.join(self.dir, "supd.err"), errors="replace").read()
        return f"--- stdout ---\n{out}\n--- stderr ---\n{err}"

    def stdout_text(self):
        return open(os.path.join(self.dir, "supd.out"), errors="replace").read()

    def ctl(self, *args, timeout=60, env=None):
        e = dict(os.environ)
        e.update(env or {})
        r = subprocess.run([SUPCTL, "-s", self.sock, *args], capture_output=True,
                           text=True, timeout=timeout, env=e)
        return r

    def request(self, cmd, args=None, rid=1, timeout=10):
        """One request over the raw socket; returns the list of reply lines (dicts)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(self.sock)
        s.sendall((json.dumps({"id": rid, "cmd": cmd, "args": args or {}}) + "\n").encode())
        buf, replies = b"", []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                msg = json.loads(line)
                replies.append(msg)
                if not msg.get("ok") or "result" in msg and not _is_stream(cmd, args) \
                        or msg.get("end"):
                    s.close()
                    return replies
        s.close()
        return replies

    def status(self, *select):
        r = self.request("status", {"select": list(select)})
        assert r and r[-1]["ok"], r
        insts = r[-1]["result"]["instances"]
        for i in insts:
            if i.get("pid"):
                self.seen_pids.add(i["pid"])
        return {i["name"]: i for i in insts}

    def instance(self, name):
        return self.status(name)[name]

    def wait_state(self, name, state, timeout=15):
        return wait_until(lambda: self.instance(name)["state"] == state and self.instance(name),
                          timeout, what=f"{name} to be {state}")

    def stop(self, timeout=25):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        try:
            self.status()
        except Exception:
            pass
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.proc.returncode

    def cleanup(self):
        self.stop()
        for pid in self.seen_pids:
            for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
                try:
                    kill()
                except OSError:
                    pass
        try:
            os.unlink("/dev/shm" + self.shm)
        except OSError:
            pass


def _is_stream(cmd, args):
    args = args or {}
    if cmd in ("events", "logs"):
        return True
    if cmd in ("start", "stop", "restart", "reload") and args.get("wait", False):
        return cmd != "reload"
    return cmd == "wait"


@pytest.fixture
def supd():
    workdir = tempfile.mkdtemp(prefix="sup-", dir="/tmp")
    d = Supd(workdir)
    yield d
    d.cleanup()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def worker():
    return WORKER

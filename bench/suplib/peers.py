"""The peers a user would pick instead of sup, set up for the benchmarks where installed: runit
(runsvdir, runsv, sv, svlogd), s6 (s6-svscan, s6-supervise, s6-svstat, s6-log) and supervisord
(supervisorctl). Each tree lives in a temp dir of its own (scan dir or config, control socket,
logs). close() brings it down the way its documentation says, waits a bounded time, then
SIGKILLs by pid its root, its supervisor processes and every program pid it was told about.

The rows drive every peer through one interface: add() programs, start() (returns the time just
before the root's spawn), stop_all() / start_all(), status_argv(), tree_pids() (the peer's own
processes, never its programs), shutdown(). s6 and runit share a layout (SCAN/NAME/run, and
SCAN/NAME/supervise/control, a FIFO that takes one letter per command: u up, d down, o once)
so one class serves both; only the root program and the logger differ.
"""
import http.client
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import xmlrpc.client

from .harness import (BenchError, children_of, kill_and_reap, read_stamps, wait_gone,
                      wait_until)


def installed():
    """The peer classes whose programs are all on PATH, in report order."""
    return [cls for cls in (Runit, S6, Supervisord) if all(shutil.which(p) for p in cls.NEEDS)]


def missing(tools):
    """The peers this run cannot measure, by name (not installed)."""
    absent = [cls.NAME for cls in (Runit, S6, Supervisord) if cls not in installed()]
    return absent + ([] if tools.dumb_init else ["dumb-init"])


def write_script(path, argv):
    """A `#!/bin/sh` + exec run script, as the s6 and runit documentation writes them."""
    with open(path, "w") as f:
        f.write("#!/bin/sh\nexec " + shlex.join(argv) + "\n")
    os.chmod(path, 0o755)


class Tree:
    """One peer's supervision tree in its own temp dir."""
    NAME = ""
    NEEDS = ()
    OWN_CHILDREN = True  # the root's children are the peer's own supervisors, not programs

    def __init__(self, tag, parent=None):
        self.dir = tempfile.mkdtemp(prefix=f"sup-bench-{self.NAME}-{tag}-", dir=parent or "/tmp")
        self.proc = None
        self.names = []
        self.program_pids = set()
        self.seen_pids = set()
        self.stamps = self.path("stamps")  # where the probes the rows give it write their pids

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def spawn(self, argv):
        self.out = open(self.path("peer.out"), "wb")
        started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT, cwd=self.dir)
        return started

    def check_running(self):
        if self.proc.poll() is not None:
            self.out.flush()
            with open(self.path("peer.out"), "rb") as f:
                tail = f.read()[-500:].decode(errors="replace")
            raise BenchError(f"{self.NAME} exited early with {self.proc.returncode}: {tail}")

    def tree_pids(self):
        """The root and, for s6 and runit, its per-service supervisors (not the programs).
        Every pid seen is remembered, so close() can reap supervisors the root left behind."""
        if self.proc is None or self.proc.poll() is not None:
            return []
        pids = [self.proc.pid, *(children_of(self.proc.pid) if self.OWN_CHILDREN else [])]
        self.seen_pids.update(pids)
        return pids

    def shutdown(self, timeout=60):
        """Sends the documented 'stop everything and exit' signal; returns once the root, its
        supervisors and every known program are gone (the time of that), or raises."""
        pids = self.tree_pids() + list(self.program_pids)
        watchdog = threading.Timer(timeout, self.proc.kill)
        watchdog.start()
        self.proc.send_signal(self.SHUTDOWN_SIGNAL)
        self.proc.wait()
        killed = not watchdog.is_alive()
        watchdog.cancel()
        if killed:
            raise BenchError(f"{self.NAME} did not exit within {timeout}s of its shutdown signal")
        wait_gone(pids, timeout, what=f"{self.NAME}'s processes to be gone")
        return time.monotonic()

    def close(self):
        self.tree_pids()
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.shutdown(timeout=30)
        except BenchError:
            pass
        finally:
            kill_and_reap(self.seen_pids | self.program_pids |
                          {s[0] for s in read_stamps(self.stamps)})
            if hasattr(self, "out"):
                self.out.close()
            shutil.rmtree(self.dir, ignore_errors=True)


class ScanTree(Tree):
    """s6 and runit: a scan dir of service dirs, one supervisor process per service."""

    def add(self, name, argv, restart=True, log_dir=None):
        """A service running argv; without restart it is started once (`o`) by start(). With
        log_dir its stdout goes through the peer's logger into that directory."""
        service = self.path("scan", name)
        os.makedirs(service)
        write_script(os.path.join(service, "run"), argv)
        if not restart:
            open(os.path.join(service, "down"), "w").close()
        if log_dir:
            os.makedirs(os.path.join(service, "log"))
            os.makedirs(log_dir, exist_ok=True)
            write_script(os.path.join(service, "log", "run"), self.logger(log_dir))
        self.names.append((name, restart))

    def start(self, wait=True, timeout=120):
        """Spawns the root; with wait, returns once every supervisor reads its control FIFO
        (and the run-once services were started). Returns the time just before the spawn."""
        started = self.spawn([*self.ROOT, self.path("scan")])
        if wait:
            self.wait_ready(timeout)
            self.control([n for n, restart in self.names if not restart], b"o")
        return started

    def wait_ready(self, timeout=120):
        wait_until(self.ready, timeout, what=f"{self.NAME}'s supervisors")

    def fifo(self, name):
        return self.path("scan", name, "supervise", "control")

    def ready(self):
        self.check_running()
        for name, _ in self.names:
            try:
                os.close(os.open(self.fifo(name), os.O_WRONLY | os.O_NONBLOCK))
            except OSError:  # not created yet, or no supervisor reading it yet (ENXIO)
                return False
        return True

    def control(self, names, letter):
        for name in names:
            fd = os.open(self.fifo(name), os.O_WRONLY | os.O_NONBLOCK)
            try:
                os.write(fd, letter)
            finally:
                os.close(fd)

    def stop_all(self):
        self.control([n for n, _ in self.names], b"d")

    def start_all(self):
        self.control([n for n, _ in self.names], b"u")

    def log_bytes(self, log_dir):
        """Bytes the logger has written so far, over the current file and rotated ones."""
        total = 0
        for entry in os.scandir(log_dir):
            if entry.name == "current" or entry.name.startswith("@"):
                total += entry.stat().st_size
        return total


class Runit(ScanTree):
    NAME = "runit"
    NEEDS = ("runsvdir", "runsv", "sv", "svlogd")
    ROOT = ("runsvdir",)
    SHUTDOWN_SIGNAL = signal.SIGHUP  # runsvdir(8): TERM to every runsv, which takes its service down

    def logger(self, log_dir):
        with open(os.path.join(log_dir, "config"), "w") as f:
            f.write("s0\n")  # svlogd(8): size 0, never rotate (as supd's max_size = 0)
        return ["svlogd", log_dir]

    def status_argv(self):
        return [shutil.which("sv"), "status", *(self.path("scan", n) for n, _ in self.names)]


class S6(ScanTree):
    NAME = "s6"
    NEEDS = ("s6-svscan", "s6-supervise", "s6-svstat", "s6-log")
    ROOT = ("s6-svscan",)
    SHUTDOWN_SIGNAL = signal.SIGTERM  # s6-svscan: as `s6-svscanctl -t`, services brought down

    def logger(self, log_dir):
        # s6-log caps a file at 256 MiB and then rotates: keep up to 100 archives (none lost).
        return ["s6-log", "n100", "s268435455", log_dir]

    def status_argv(self):
        # s6-svstat reads one service: a status of all of them is one call per service.
        calls = "; ".join(shlex.join(["s6-svstat", self.path("scan", n)]) for n, _ in self.names)
        return ["/bin/sh", "-c", calls]


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class _UnixTransport(xmlrpc.client.Transport):
    """XML-RPC over supervisord's unix socket: what supervisorctl speaks, without its start-up."""

    def __init__(self, path, timeout):
        super().__init__()
        self.unix_path, self.timeout = path, timeout

    def make_connection(self, host):
        return _UnixHTTPConnection(self.unix_path, self.timeout)


SUPERVISORD_HEAD = """[supervisord]
nodaemon = true
logfile = {dir}/supervisord.log
pidfile = {dir}/supervisord.pid
childlogdir = {dir}

[unix_http_server]
file = {sock}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl = unix://{sock}
"""


class Supervisord(Tree):
    NAME = "supervisord"
    NEEDS = ("supervisord", "supervisorctl")
    OWN_CHILDREN = False  # its programs are its children: the tree is the one Python process
    SHUTDOWN_SIGNAL = signal.SIGTERM  # stops every program, then exits

    def __init__(self, tag, parent=None):
        super().__init__(tag, parent)
        # A unix socket path has ~100 bytes: the socket gets a short dir of its own in /tmp.
        self.sock_dir = tempfile.mkdtemp(prefix="sup-bench-sv-", dir="/tmp")
        self.conf, self.sock = self.path("supervisord.conf"), os.path.join(self.sock_dir, "s.sock")
        self.programs = []

    def add(self, name, argv, restart=True, log_dir=None):
        """A [program:NAME]; startsecs = 0 as supd's start_seconds = 0. The stdout log is
        supervisord's default (a file in childlogdir) unless log_dir is given."""
        command = shlex.join(argv).replace("%", "%%")  # % starts an expansion in its config
        text = (f"\n[program:{name}]\ncommand = {command}\nautostart = true\n"
                f"autorestart = {'true' if restart else 'false'}\nstartsecs = 0\n"
                "startretries = 1000000\n")
        if log_dir:
            os.makedirs(log_dir, exist_ok=True)
            text += (f"stdout_logfile = {os.path.join(log_dir, 'current')}\n"
                     "stdout_logfile_maxbytes = 0\nstdout_logfile_backups = 0\n")
        self.programs.append(text)
        self.names.append((name, restart))

    def start(self, wait=True, timeout=120):
        with open(self.conf, "w") as f:
            f.write(SUPERVISORD_HEAD.format(dir=self.dir, sock=self.sock) + "".join(self.programs))
        started = self.spawn([shutil.which("supervisord"), "-n", "-c", self.conf])
        if wait:
            self.wait_ready(timeout)
        return started

    def wait_ready(self, timeout=120):
        wait_until(self.ready, timeout, interval=0.05, what="supervisord's socket")

    def close(self):
        super().close()
        shutil.rmtree(self.sock_dir, ignore_errors=True)

    def rpc(self, timeout=120):
        return xmlrpc.client.ServerProxy("http://localhost",
                                         transport=_UnixTransport(self.sock, timeout))

    def ready(self):
        self.check_running()
        try:
            return self.rpc(5).supervisor.getState()["statename"] == "RUNNING"
        except (OSError, xmlrpc.client.Error):
            return False

    def stop_all(self):
        self.rpc().supervisor.stopAllProcesses(True)

    def start_all(self):
        self.rpc().supervisor.startAllProcesses(True)

    def status_argv(self):
        return [shutil.which("supervisorctl"), "-c", self.conf, "status"]

    def log_bytes(self, log_dir):
        try:
            return os.stat(os.path.join(log_dir, "current")).st_size
        except FileNotFoundError:
            return 0

"""Running the real supd for a benchmark, and reading what the kernel says about processes.

A Supd owns one temp dir (config, socket, logs), one status segment name and the supd process;
close() stops it (SIGTERM, bounded wait, SIGKILL) and kills by pid every program it knew of.
Programs of the benchmarks are `stamp` probes, whose stamp files name their pids.
"""
import ctypes
import glob
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

PR_SET_CHILD_SUBREAPER = 36


class BenchError(Exception):
    """A benchmark could not run (as opposed to a target being missed)."""


def become_subreaper():
    """Orphans of the shell baselines are re-parented to us, so we can reap them by pid."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise BenchError("prctl(PR_SET_CHILD_SUBREAPER): " + os.strerror(ctypes.get_errno()))


def wait_until(predicate, timeout, interval=0.01, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def wait_gone(pids, timeout, what="processes to be gone"):
    """Blocks until every pid has exited (zombies count as gone), without polling: a pidfd is
    readable once its process has exited. Raises BenchError after timeout seconds."""
    poller, fds = select.poll(), []
    try:
        for pid in pids:
            try:
                fds.append(os.pidfd_open(pid))
            except ProcessLookupError:
                continue  # already reaped
            poller.register(fds[-1], select.POLLIN)
        deadline, left = time.monotonic() + timeout, len(fds)
        while left:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BenchError(f"timed out after {timeout:.0f}s waiting for {what}")
            for fd, _ in poller.poll(remaining * 1000):
                poller.unregister(fd)
                left -= 1
    finally:
        for fd in fds:
            os.close(fd)


def kill_and_reap(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for pid in pids:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass  # not ours (supd reaped it, or it was never re-parented to us)


def read_stamps(path):
    """[(pid, start_ns, end_ns)] in file order; [] if the file does not exist yet."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    rows = []
    for line in data.splitlines():
        parts = line.split()
        if len(parts) == 3:
            rows.append((int(parts[0]), int(parts[1]), int(parts[2])))
    return rows


def restart_gaps(stamps, skip):
    """Program died (END of run i) -> next run's first instruction (START of run i+1), in ms."""
    runs = sorted(stamps, key=lambda s: s[1])[skip:]
    return [(b[1] - a[2]) / 1e6 for a, b in zip(runs, runs[1:])]


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def proc_memory(pid):
    """{'Pss': bytes, 'Rss': bytes, ...} from /proc/PID/smaps_rollup."""
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                values[parts[0].rstrip(":")] = int(parts[1]) * 1024
    return values


def thread_switches(pid):
    """{tid: (name, voluntary, involuntary)} for every thread of pid."""
    threads = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        fields = {}
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for text in f:
                    key, _, value = text.partition(":")
                    fields[key] = value.strip()
        except OSError:
            continue
        threads[int(tid)] = (fields.get("Name", "?"), int(fields.get("voluntary_ctxt_switches", 0)),
                             int(fields.get("nonvoluntary_ctxt_switches", 0)))
    return threads


def blocked_in(pid, tid):
    """What thread tid is blocked in now: its wchan and /proc/.../syscall (number and args)."""
    try:
        with open(f"/proc/{pid}/task/{tid}/wchan") as f:
            wchan = f.read().strip()
        with open(f"/proc/{pid}/task/{tid}/syscall") as f:
            syscall = f.read().split()
    except OSError:
        return "?"
    return f"{wchan} (syscall {' '.join(syscall[:6])})"


def children_of(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def load_average():
    return os.getloadavg()[0]


def toml_str(text):
    return json.dumps(str(text))


def toml_list(items):
    return "[" + ", ".join(toml_str(i) for i in items) + "]"


class Supd:
    """One supd under benchmark, in its own temp dir."""

    def __init__(self, tools, workdir_parent=None, tag="bench"):
        self.tools = tools
        self.dir = tempfile.mkdtemp(prefix=f"sup-bench-{tag}-", dir=workdir_parent or "/tmp")
        self.sock = os.path.join(self.dir, "sup.sock")
        self.shm = f"/sup-bench-{os.getpid()}-{os.path.basename(self.dir)}"
        self.config = os.path.join(self.dir, "sup.toml")
        self.proc = None
        self.known_pids = set()
        self.exited_at = None

    def path(self, name):
        return os.path.join(self.dir, name)

    def write_config(self, programs_toml, supervisor_extra=""):
        with open(self.config, "w") as f:
            f.write("[supervisor]\n"
                    f"socket = {toml_str(self.sock)}\n"
                    f"status_shm = {toml_str(self.shm)}\n"
                    f"logs_dir = {toml_str(self.path('logs'))}\n"
                    f"shutdown_timeout = \"60s\"\n{supervisor_extra}\n")
            f.write(programs_toml)

    def start(self, argv_prefix=(), wait_socket=True, timeout=120):
        """Starts supd; returns the CLOCK_MONOTONIC time just before the spawn."""
        self.out = open(self.path("supd.out"), "wb")
        self.err = open(self.path("supd.err"), "wb")
        started = time.monotonic()
        self.proc = subprocess.Popen([*argv_prefix, self.tools.supd, "-c", self.config],
                                     stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.err)
        if wait_socket:
            wait_until(self._connectable, timeout, what=f"supd socket {self.sock}")
        return started

    def _connectable(self):
        if self.proc.poll() is not None:
            raise BenchError(f"supd exited early with {self.proc.returncode}: {self.log_tail()}")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(self.sock)
            return True
        except OSError:
            return False

    def log_tail(self, size=2000):
        try:
            with open(self.path("supd.err"), "rb") as f:
                return f.read()[-size:].decode(errors="replace")
        except OSError:
            return ""

    def request(self, cmd, args=None, timeout=120):
        """Sends one request and returns its reply lines (a stream: up to its end line)."""
        replies = []
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(self.sock)
            s.sendall((json.dumps({"id": 1, "cmd": cmd, "args": args or {}}) + "\n").encode())
            buf = b""
            stream = cmd in ("wait", "events", "logs") or bool((args or {}).get("wait"))
            while True:
                chunk = s.recv(1 << 20)
                if not chunk:
                    return replies
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    reply = json.loads(line)
                    replies.append(reply)
                    if not reply.get("ok") or reply.get("end") or not stream:
                        return replies

    def instances(self):
        replies = self.request("status", {"select": []})
        if not replies or not replies[-1].get("ok"):
            raise BenchError(f"status failed: {replies}")
        items = replies[-1]["result"]["instances"]
        for item in items:
            if item.get("pid"):
                self.known_pids.add(item["pid"])
        return items

    def wait_all(self, state, count, timeout=120):
        def done():
            items = self.instances()
            return len(items) == count and all(i["state"] == state for i in items) and items
        return wait_until(done, timeout, interval=0.1, what=f"{count} instances {state}")

    def terminate(self, timeout=120):
        """SIGTERM, then waits (blocking waitpid) for supd to exit; returns its exit time."""
        return self.signal_and_wait(signal.SIGTERM, timeout)

    def signal_and_wait(self, sig, timeout):
        if self.proc is None or self.proc.poll() is not None:
            return None
        watchdog = threading.Timer(timeout, self.proc.kill)
        watchdog.start()
        self.proc.send_signal(sig)
        self.proc.wait()
        self.exited_at = time.monotonic()
        killed = not watchdog.is_alive()
        watchdog.cancel()
        if killed:
            raise BenchError(f"supd did not exit within {timeout}s of signal {sig}")
        return self.exited_at

    def stopped_count(self):
        """Instances that supd's log shows reaching STOPPED (for a shutdown cut short)."""
        try:
            with open(self.path("supd.err"), "rb") as f:
                return f.read().count(b"-> STOPPED")
        except OSError:
            return 0

    def close(self, extra_pids=()):
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.terminate(timeout=60)
        except BenchError:
            pass
        finally:
            kill_and_reap(set(self.known_pids) | set(extra_pids))
            for f in ("out", "err"):
                if hasattr(self, f):
                    getattr(self, f).close()
            # The status segment, and the counter pages ("<shm>.<pid>.<n>") that a supd killed
            # mid-shutdown could not unlink itself.
            for path in ["/dev/shm" + self.shm, *glob.glob(f"/dev/shm{self.shm}.*")]:
                try:
                    os.unlink(path)
                except OSError:
                    pass
            shutil.rmtree(self.dir, ignore_errors=True)

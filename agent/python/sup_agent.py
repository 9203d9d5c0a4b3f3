"""sup_agent: what a Python worker uses to talk to the supd that runs it (standard library only).

Two channels, as with libsupagent (agent/include/sup/agent.h):

* sd_notify datagrams to $NOTIFY_SOCKET (a path, or an abstract name starting with '@'):
  readiness, a status line, watchdog pings, stopping/reloading, and a barrier. Programs written
  for systemd's sd_notify work unchanged under sup, and the other way round.
* the instance's counter page, handed over by supd as the open descriptor $SUP_COUNTERS_FD and
  laid out as agent/include/sup/status_shm.h says: up to 64 named counters and gauges, and a
  heartbeat that feeds `watchdog` like WATCHDOG=1 does. `supctl status`, `supctl top` and
  /metrics read it; updating it makes no system call.

Outside supd (no $NOTIFY_SOCKET, no valid page) every call is a harmless no-op: notify_*()
return False, counter() and gauge() return inactive objects whose add() and set() do nothing.

Usage:
    import sup_agent
    requests = sup_agent.counter("requests_total")
    queue = sup_agent.gauge("queue_depth")
    sup_agent.notify_ready()
    while serving:
        requests.add()
        queue.set(len(backlog))
        sup_agent.heartbeat()

Atomicity, and why it is enough. libsupagent updates values with atomic fetch-add; Python has
no atomic read-modify-write on shared memory. Here each value is one aligned 8-byte word, read
and written through a memoryview cast to 'Q', so a reader (supd, supctl) never sees a torn
value; add() is a read-modify-write under a lock of this process, so threads of one process
never lose an update. Two processes adding to the same counter could lose updates: keep one
writer process per counter (a page belongs to one instance, so this only matters when a worker
forks children that share its page: give each child its own counter names, or use gauges).
Registration takes the same thread lock plus an fcntl lock on the page, so Python processes
sharing a page never register a name twice; mixing a C writer (which claims entries with a CAS)
and a Python writer registering at the same moment is not supported. Python issues no memory
barriers: entries are published in the order libsupagent uses, which x86-64 keeps; readers
validate every entry anyway (the page is untrusted input to them).
"""

import array
import contextlib
import fcntl
import mmap
import os
import select
import socket
import stat
import struct
import threading
import time

__all__ = [
    "notify", "notify_ready", "notify_status", "notify_watchdog", "notify_stopping",
    "notify_reloading", "notify_barrier", "watchdog_interval",
    "counter", "gauge", "heartbeat", "has_counters", "Counter",
]

# The counter page, from agent/include/sup/status_shm.h (native-endian, naturally aligned).
_MAGIC = 0x31524E5443505553      # SUP_COUNTERS_MAGIC, "SUPCNTR1"
_VERSION = 1                      # SUP_COUNTERS_VERSION
_NAME_MAX = 47                    # SUP_COUNTER_NAME_MAX, NUL not included
_CAPACITY = 64                    # SUP_COUNTERS_PER_PAGE
_HEADER_SIZE = 64                 # sizeof(sup_counter_page_header)
_ENTRY_SIZE = 64                  # sizeof(sup_counter_entry)
_PAGE_SIZE = _HEADER_SIZE + _CAPACITY * _ENTRY_SIZE
# Header fields: magic u64 @0, version u32 @8, header_size u32 @12, entry_size u32 @16,
# capacity u32 @20, count u32 @24 (atomic), heartbeat_ns u64 @32 (atomic).
# Entry fields: state u32 @0 (atomic), kind u32 @4, name char[48] @8, value u64 @56 (atomic).
_PUBLISHED = 2                    # SUP_COUNTER_PUBLISHED
_KIND_COUNTER = 1                 # SUP_COUNTER_KIND_COUNTER
_KIND_GAUGE = 2                   # SUP_COUNTER_KIND_GAUGE
_MASK = (1 << 64) - 1

_MAX_DATAGRAM = 4096              # supd drops longer datagrams


# --- sd_notify -------------------------------------------------------------------------------

def _notify_address():
    path = os.environ.get("NOTIFY_SOCKET", "")
    if path.startswith("@"):
        return "\0" + path[1:]        # abstract namespace: the length, not a NUL, ends the name
    if path.startswith("/"):
        return path
    return None


def _send(data, fds=()):
    address = _notify_address()
    if address is None or len(data) > _MAX_DATAGRAM:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            if fds:
                rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))]
                sock.sendmsg([data], rights, 0, address)
            else:
                sock.sendto(data, address)
        return True
    except OSError:
        return False


def notify(*messages):
    """Sends KEY=VALUE lines ("READY=1", "STATUS=busy") as one datagram to $NOTIFY_SOCKET.

    True when sent; False when not supervised or when sending failed. Never raises."""
    return _send("\n".join(messages).encode("utf-8", "surrogateescape"))


def notify_ready():
    """READY=1: with ready = "notify", the instance becomes RUNNING and ready."""
    return notify("READY=1")


def notify_status(text):
    """STATUS=text: the one-line status `supctl status` shows (supd keeps 256 bytes)."""
    data = text.encode("utf-8", "surrogateescape")[:_MAX_DATAGRAM - len("STATUS=")]
    return _send(b"STATUS=" + data.decode("utf-8", "ignore").encode("utf-8"))


def notify_watchdog():
    """WATCHDOG=1: resets the instance's `watchdog` timer."""
    return notify("WATCHDOG=1")


def notify_stopping():
    """STOPPING=1: the worker is shutting down on its own."""
    return notify("STOPPING=1")


def notify_reloading():
    """RELOADING=1: not ready until the next READY=1."""
    return notify("RELOADING=1")


def notify_barrier(timeout=5.0):
    """BARRIER=1: returns True once supd has read every message sent before this one.

    False when not supervised, on a send error, or after `timeout` seconds (None waits forever)."""
    if _notify_address() is None:
        return False
    read_end, write_end = os.pipe()
    try:
        try:
            sent = _send(b"BARRIER=1", (write_end,))
        finally:
            os.close(write_end)             # now only supd's copy keeps the pipe open
        if not sent:
            return False
        poller = select.poll()
        poller.register(read_end, 0)        # POLLHUP is reported whatever is asked for
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait_ms = None if deadline is None else max(0, int((deadline - time.monotonic()) * 1000))
            if poller.poll(wait_ms):
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
    finally:
        os.close(read_end)


def watchdog_interval():
    """The `watchdog` period in seconds when supd watches this process, else None.

    Ping (notify_watchdog() or heartbeat()) at least twice per period."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 1e6


# --- the counter page ------------------------------------------------------------------------

class _Page:
    """This process's mapping of its counter page: mapped once, never unmapped."""

    def __init__(self, fd, region):
        self.fd = fd                                   # for fcntl locks; None if dup failed
        self.region = region
        self.words = memoryview(region).cast("Q")     # 8-byte words: values, heartbeat
        self.halves = memoryview(region).cast("I")    # 4-byte words: count, state, kind
        self.lock = threading.Lock()

    def entry_name(self, index):
        start = _HEADER_SIZE + index * _ENTRY_SIZE + 8
        raw = bytes(self.region[start:start + _NAME_MAX + 1])
        return raw.split(b"\0", 1)[0]

    def state(self, index):
        return self.halves[(_HEADER_SIZE + index * _ENTRY_SIZE) // 4]

    def kind(self, index):
        return self.halves[(_HEADER_SIZE + index * _ENTRY_SIZE) // 4 + 1]

    @staticmethod
    def value_word(index):
        return (_HEADER_SIZE + index * _ENTRY_SIZE + 56) // 8

    def register(self, name, kind):
        """The index of `name`'s entry (registered now if new); None when the page is full or
        the name is registered with the other kind."""
        encoded = name.encode("ascii")
        with self.lock, self._file_lock():
            count = min(self.halves[24 // 4], _CAPACITY)
            for index in range(count):
                if self.state(index) == _PUBLISHED and self.entry_name(index) == encoded:
                    return index if self.kind(index) == kind else None
            if count >= _CAPACITY:
                return None
            base = _HEADER_SIZE + count * _ENTRY_SIZE
            self.halves[24 // 4] = count + 1                 # claim entry `count`
            self.region[base + 8:base + 56] = encoded.ljust(_NAME_MAX + 1, b"\0")
            self.halves[base // 4 + 1] = kind
            self.words[self.value_word(count)] = 0
            self.halves[base // 4] = _PUBLISHED              # last: readers may now use it
            return count

    @contextlib.contextmanager
    def _file_lock(self):
        """An fcntl lock on the page: excludes other Python processes registering on it."""
        locked = False
        if self.fd is not None:
            try:
                fcntl.lockf(self.fd, fcntl.LOCK_EX)
                locked = True
            except OSError:
                pass
        try:
            yield
        finally:
            if locked:
                fcntl.lockf(self.fd, fcntl.LOCK_UN)


def _map_page():
    text = os.environ.get("SUP_COUNTERS_FD", "")
    if not text.isdigit():
        return None
    fd = int(text)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size < _PAGE_SIZE:
            return None
        region = mmap.mmap(fd, _PAGE_SIZE, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    except (OSError, ValueError):
        return None
    magic, version, header_size, entry_size, capacity = struct.unpack_from("=QIIII", region, 0)
    if (magic, version, header_size, entry_size, capacity) != (
            _MAGIC, _VERSION, _HEADER_SIZE, _ENTRY_SIZE, _CAPACITY):
        region.close()
        return None
    try:
        lock_fd = os.dup(fd)        # our own descriptor for fcntl locks (non-inheritable)
    except OSError:
        lock_fd = None
    return _Page(lock_fd, region)


class _Agent:
    """The process's one page, looked up on first use (from any thread)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.looked = False
        self.page = None

    def get(self):
        if not self.looked:
            with self.lock:
                if not self.looked:
                    self.page = _map_page()
                    self.looked = True
        return self.page

    def after_fork(self):
        # A fork in the middle of register() would leave the locks held in the child.
        self.lock = threading.Lock()
        if self.page is not None:
            self.page.lock = threading.Lock()


_agent = _Agent()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_agent.after_fork)


def _valid_name(name):
    if not isinstance(name, str) or not 0 < len(name) <= _NAME_MAX or not name.isascii():
        return False
    first = name[0]
    if not (first.isalpha() or first in "_:"):
        return False
    return all(c.isalnum() or c in "_:" for c in name)


class Counter:
    """A counter or gauge on this instance's page; inactive (every call a no-op) without one."""

    __slots__ = ("name", "kind", "_page", "_word")

    def __init__(self, name, kind, page=None, index=None):
        self.name = name
        self.kind = kind
        self._page = page if index is not None else None
        self._word = _Page.value_word(index) if index is not None else None

    @property
    def active(self):
        """True when updates reach supd's page."""
        return self._page is not None

    def add(self, delta=1):
        """value += delta (modulo 2**64)."""
        page = self._page
        if page is None:
            return
        with page.lock:
            page.words[self._word] = (page.words[self._word] + delta) & _MASK

    def set(self, value):
        """value = value (a gauge's signed value; on a counter, resets it)."""
        page = self._page
        if page is None:
            return
        with page.lock:
            page.words[self._word] = value & _MASK

    @property
    def value(self):
        """The current value as stored (signed for a gauge); 0 when inactive."""
        if self._page is None:
            return 0
        raw = self._page.words[self._word]
        return raw - (1 << 64) if self.kind == "gauge" and raw >= 1 << 63 else raw

    def __repr__(self):
        return "Counter(%r, %s, %s)" % (self.name, self.kind, "active" if self.active else "inactive")


def _register(name, kind, kind_code):
    if not _valid_name(name):
        raise ValueError("bad counter name %r: 1 to %d characters of [a-zA-Z_:][a-zA-Z0-9_:]*"
                         % (name, _NAME_MAX))
    page = _agent.get()
    index = page.register(name, kind_code) if page is not None else None
    return Counter(name, kind, page, index)


def counter(name):
    """The monotonic counter `name` (registered once per page; later calls return the same
    entry, and a page outlives restarts of its instance). Raises ValueError for a bad name;
    inactive when there is no page, the page holds 64 names, or `name` is a gauge."""
    return _register(name, "counter", _KIND_COUNTER)


def gauge(name):
    """As counter(), for a value that goes up and down (set() it)."""
    return _register(name, "gauge", _KIND_GAUGE)


def heartbeat():
    """Stores CLOCK_MONOTONIC now in the page: feeds `watchdog` as WATCHDOG=1 does."""
    page = _agent.get()
    if page is not None:
        page.words[32 // 8] = time.monotonic_ns()


def has_counters():
    """True when a valid counter page is mapped (counters are visible to supd)."""
    return _agent.get() is not None

"""SPEC §9.1 and §9.2: accounting reads only the selection, and a large one off the event loop.
supd is traced with strace (-f -y: every thread, descriptors shown with their paths) while
`status a` runs beside programs b (one instance) and many (40): in cgroup mode nothing of b nor
a scan of /proc happens for `status a` (a selection this small is read on the loop: the pool's
hand-offs would cost more), and `status many` reads its instances on thread-pool threads, not
supd's main thread, which runs the loop. With cgroup = "off" a scan is the only way to find a
process group's members: it happens, off the loop, even for `status a`."""
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import wait_until
from test_resources import cgroup2_writable

SLEEPERS = """
    [program.a]
    command = ["sleep", "1000"]
    start_seconds = "0"

    [program.b]
    command = ["sleep", "1000"]
    start_seconds = "0"

    [program.many]
    command = ["sleep", "1000"]
    start_seconds = "0"
    instances = 40
    """

MANY = 40  # above usage_reads.h's kReadHereAtMost (32)

# "TID syscall(args" as strace -f prints it.
LINE = re.compile(r"^(\d+)\s+(\w+)\((.*)$")


def traced_status(supd, pids, selection):
    """Every openat/pread64/read/getdents64 of supd's threads while `status SELECTION` runs
    (its first instance's pid in pids["first"]), as (tid, syscall, args) tuples."""
    out = os.path.join(supd.dir, "strace.out")
    tids = os.listdir(f"/proc/{supd.proc.pid}/task")
    argv = ["strace", "-f", "-y", "-qq", "-o", out, "-e", "trace=openat,open,pread64,read,getdents64,newfstatat,fstat"]
    for tid in tids:
        argv += ["-p", tid]
    tracer = subprocess.Popen(argv, stderr=subprocess.DEVNULL)
    try:
        # Attached once a status shows up in the trace (bounded): then the traced one.
        marker = f"/proc/{pids['first']}/"
        def seen():
            supd.status(selection)
            return os.path.exists(out) and marker in open(out).read()
        wait_until(seen, 15, interval=0.2, what="strace to attach to supd")
        os.truncate(out, 0)
        time.sleep(0.2)  # what the previous status still wrote lands before the truncation
        os.truncate(out, 0)
        for _ in range(3):
            assert all(i["cpu_s"] is not None for i in supd.status(selection).values())
        time.sleep(0.3)
    finally:
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=10)
    calls = []
    for line in open(out).read().splitlines():
        m = LINE.match(line)
        if m:
            calls.append((int(m.group(1)), m.group(2), m.group(3)))
    return calls


def reads_of(calls, pid):
    return [c for c in calls if f"/proc/{pid}/stat" in c[2]]


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
@pytest.mark.parametrize("mode", ["auto", "off"])
def test_status_reads_only_the_selection_off_the_loop(supd, mode):
    if mode == "auto" and not cgroup2_writable():
        pytest.skip("no writable cgroup v2 hierarchy on this host")
    supd.start(SLEEPERS, supervisor_extra=f'cgroup = "{mode}"')
    pids = {n: supd.wait_state(n, "RUNNING")["pid"] for n in ("a", "b")}
    loop = supd.proc.pid
    calls = traced_status(supd, {"first": pids["a"]}, "a")
    of_a = reads_of(calls, pids["a"])
    assert of_a, calls[:50]
    scans = [c for c in calls if c[1] == "getdents64" and "</proc>" in c[2]]
    of_b = [c for c in calls if f"/proc/{pids['b']}/" in c[2]]
    if mode == "auto":
        assert not scans, scans
        assert not of_b, of_b
    else:  # the scan, and so the whole read, is on the pool even for one instance
        assert scans, calls[:50]
        off_loop = scans + of_b + of_a
        assert all(tid != loop for tid, _, _ in off_loop), [c for c in off_loop if c[0] == loop]
        return
    for n in range(MANY):
        supd.wait_state(f"many:{n}", "RUNNING")
    many = [i["pid"] for i in supd.status("many").values()]
    assert len(many) == MANY
    calls = traced_status(supd, {"first": many[0]}, "many")
    of_many = [c for pid in many for c in reads_of(calls, pid)]
    assert {c[2] for c in of_many}, calls[:50]
    assert all(tid != loop for tid, _, _ in of_many), [c for c in of_many if c[0] == loop]
    assert not reads_of(calls, pids["a"])


def test_the_pool_has_a_thread_per_cpu_and_leaves_programs_environment_alone(supd):
    """usage_reads.cpp's StartPool sizes libuv's pool to the CPUs (at most 4) through
    UV_THREADPOOL_SIZE, and takes the variable out again before any program starts."""
    out = os.path.join(supd.dir, "env.out")
    supd.start(f"""
        [program.env]
        command = ["sh", "-c", "env > {out}.tmp && mv {out}.tmp {out} && exec sleep 1000"]
        start_seconds = "0"
        """)
    wait_until(lambda: os.path.exists(out), 10, what="the program's environment")
    assert "UV_THREADPOOL_SIZE" not in open(out).read()
    # The loop, the log writer, the pool (and at most one output writer).
    threads = len(os.listdir(f"/proc/{supd.proc.pid}/task"))
    assert threads <= 3 + min(os.cpu_count() or 1, 4), threads

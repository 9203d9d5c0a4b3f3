"""SPEC §9.2's cost: `status` with 1000 instances with per-program accounting (cpu_s, cpu_pct,
rss_bytes, fds, threads: each instance's held /proc and cgroup descriptors read on supd's
thread pool) against the same request without it ("resources": false). Target: at most 1.5×
the figure without."""
import json
import socket
import time

from .figures import figure, line, ratio_of
from .harness import BenchError, Supd, count_lines, wait_until
from .programs import stamp_programs

COUNT = 1000


def status_ms(supd, resources):
    """One `status` over the raw socket, send → the whole reply line received."""
    request = {"id": 1, "cmd": "status", "args": {"resources": resources}}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(supd.sock)
        began = time.monotonic()
        s.sendall((json.dumps(request) + "\n").encode())
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                raise BenchError("supd closed the connection during status")
            if chunk.endswith(b"\n"):
                return (time.monotonic() - began) * 1e3


def accounting(ctx):
    t = ctx.tools
    ctx.log(f"resources: supd with {COUNT} programs, status with and without accounting")
    supd = Supd(t, tag="resources")
    try:
        path = supd.path("stamps")
        supd.write_config(stamp_programs(t, COUNT, path))
        supd.start(wait_socket=False)
        wait_until(lambda: count_lines(path) >= COUNT, 300, interval=0.5, what=f"supd spawning {COUNT}")
        supd.wait_all("RUNNING", COUNT, timeout=300)
        runs = ctx.reps(30, 10)
        with_, without = [], []
        for _ in range(2):  # warm-up
            status_ms(supd, True), status_ms(supd, False)
        for _ in range(runs):  # interleaved: load on the machine falls on both alike
            with_.append(status_ms(supd, True))
            without.append(status_ms(supd, False))
    finally:
        supd.close()
    value, baseline = figure(with_), figure(without)
    ratio = ratio_of(value, baseline)
    return [line("resources1k", f"{COUNT} programs: `status` with accounting (raw socket round trip)",
                 "≤ 1.5× without", "ms", value, ratio is not None and ratio <= 1.5,
                 baseline=baseline, baseline_name="the same `status` with \"resources\": false",
                 ratio=ratio, note=f"{runs} runs each, interleaved; accounting preads each instance's "
                                   "held /proc/<pid>/stat and cgroup.procs and fstats its "
                                   "/proc/<pid>/fd, on supd's thread pool")]

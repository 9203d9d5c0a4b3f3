"""SPEC §9.2 against the real supd: per-instance CPU and memory in `status --json`, the table,
`top` and /metrics; memory_max restarts a program that keeps growing; cgroup v2 containment ends
a setsid'd descendant on `stop` (and with cgroup = "off" it outlives it, the documented
difference)."""
import json
import os
import signal
import socket
import subprocess
import urllib.request

import pytest

from conftest import SUPCTL, alive, wait_until

MiB = 1 << 20

# Burns 0.8 s of CPU, touches 60 MiB (written, so resident), then waits.
BURN = ("import time\\n"
        "b = bytearray(b'x' * (60 << 20))\\n"
        "while time.process_time() < 0.8: pass\\n"
        "time.sleep(1000)\\n")

# Grows by 8 MiB every 50 ms, to 1 GiB at most.
GROW = ("import time\\n"
        "chunks = []\\n"
        "while len(chunks) < 128:\\n"
        "    chunks.append(bytearray(b'x' * (8 << 20)))\\n"
        "    time.sleep(0.05)\\n"
        "time.sleep(1000)\\n")


def python_program(name, code, extra=""):
    return f"""
        [program.{name}]
        command = ["python3", "-c", "{code}"]
        start_seconds = "0"
        {extra}
        """


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cgroup2_writable():
    """Whether this host gives supd a cgroup v2 directory it can make children in."""
    try:
        path = next(line[3:].strip() for line in open("/proc/self/cgroup") if line.startswith("0::"))
        for line in open("/proc/self/mountinfo"):
            fields = line.split()
            sep = fields.index("-")
            if fields[sep + 1] == "cgroup2" and fields[3] == "/" and "rw" in fields[5].split(","):
                return os.access(fields[4] + (path if path != "/" else ""), os.W_OK)
    except (OSError, StopIteration, ValueError):
        pass
    return False


def test_status_shows_cpu_memory_fds_and_threads(supd):
    port = free_port()
    supd.start(python_program("burn", BURN), supervisor_extra=f'http = "127.0.0.1:{port}"')
    inst = wait_until(lambda: (lambda i: i["cpu_s"] is not None and i["cpu_s"] >= 0.6 and i)(
        supd.instance("burn")), 20, interval=0.2, what="burn to use 0.6 s of CPU")
    assert inst["rss_bytes"] >= 50 * MiB, inst
    assert inst["fds"] >= 3 and inst["threads"] >= 1, inst
    assert inst["cpu_pct"] is not None and inst["cpu_pct"] >= 0, inst

    table = supd.ctl("status")
    header, row = table.stdout.splitlines()[0], table.stdout.splitlines()[1]
    assert header.split()[:5] == ["NAME", "STATE", "PID", "CPU%", "MEM"], table.stdout
    assert row.split()[4].endswith("MiB") and float(row.split()[4][:-3]) >= 50, table.stdout

    top = supd.ctl("top", "--once")
    assert "CPU%" in top.stdout and "MiB" in top.stdout, top.stdout + top.stderr

    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    cpu = [l for l in body.splitlines() if l.startswith("sup_instance_cpu_seconds_total{")]
    mem = [l for l in body.splitlines() if l.startswith("sup_instance_memory_bytes{")]
    assert cpu and cpu[0].startswith('sup_instance_cpu_seconds_total{program="burn",instance="0"} ')
    assert float(cpu[0].split()[-1]) >= 0.6
    assert float(mem[0].split()[-1]) >= 50 * MiB
    assert "# TYPE sup_instance_cpu_seconds_total counter" in body

    # Without a process the figures are null, not stale.
    supd.ctl("stop", "burn")
    stopped = supd.wait_state("burn", "STOPPED")
    assert stopped["cpu_s"] is None and stopped["rss_bytes"] is None and stopped["fds"] is None


def test_memory_max_restarts_a_growing_program_with_the_reason(supd):
    supd.start(python_program("grow", GROW, 'memory_max = "64MiB"\nmemory_check_interval = "100ms"\n'
                                            'backoff = { initial = "100ms" }'),
               supervisor_extra='cgroup = "off"')
    events = subprocess.Popen([SUPCTL, "-s", supd.sock, "events", "--json"], stdout=subprocess.PIPE, text=True)
    try:
        inst = wait_until(lambda: (lambda i: i["exits"] and i)(supd.instance("grow")), 20, interval=0.1,
                          what="grow to be restarted")
        reason = inst["exits"][0]["reason"]
        assert reason.startswith("memory limit 64MiB exceeded (used "), inst
        assert reason.endswith("MiB)")
        wait_until(lambda: supd.instance("grow")["restarts"] >= 1, 10, what="a restart")
        assert "memory limit 64MiB exceeded" in supd.log()
    finally:
        events.terminate()
        out = events.communicate(timeout=10)[0]
    lines = [json.loads(l) for l in out.splitlines() if l.strip()]
    stopping = [e for e in lines if e.get("to") == "STOPPING"]
    assert stopping and stopping[0]["reason"].startswith("memory limit 64MiB exceeded"), lines
    exits = [e["exit"] for e in lines if e.get("exit")]
    assert exits and exits[0]["reason"].startswith("memory limit 64MiB exceeded (used "), lines


def setsid_program():
    # The main process leaves a descendant in a session (and process group) of its own.
    return """
        [program.escape]
        command = "setsid sleep 1000 & echo $! > escaped.pid; exec sleep 1000"
        shell = true
        directory = "{dir}"
        start_seconds = "0"
        stop_timeout = "2s"
        """


def start_escape(supd, mode):
    supd.start(setsid_program().format(dir=supd.dir), supervisor_extra=f'cgroup = "{mode}"')
    supd.wait_state("escape", "RUNNING")
    path = os.path.join(supd.dir, "escaped.pid")
    pid = wait_until(lambda: os.path.exists(path) and open(path).read().strip() and int(open(path).read()),
                     10, what="the escaped pid")
    supd.seen_pids.add(pid)
    assert os.getsid(pid) == pid  # out of the instance's session and group
    return pid


@pytest.mark.skipif(not cgroup2_writable(), reason="no writable cgroup v2 hierarchy on this host")
def test_cgroup_mode_stop_ends_a_setsid_descendant(supd):
    pid = start_escape(supd, "auto")
    assert "cgroup: /" in supd.log() and "/sup" in supd.log(), supd.log()
    cgroup = open(f"/proc/{pid}/cgroup").read()
    assert "/sup" in cgroup and "/escape" in cgroup, cgroup
    r = supd.ctl("stop", "escape")
    assert r.returncode == 0, r.stderr
    supd.wait_state("escape", "STOPPED")
    wait_until(lambda: not alive(pid), 10, what="the setsid'd descendant to end")


def test_cgroup_off_lets_a_setsid_descendant_outlive_stop(supd):
    pid = start_escape(supd, "off")
    assert "cgroup: none (process groups)" in supd.log(), supd.log()
    supd.ctl("stop", "escape")
    supd.wait_state("escape", "STOPPED")
    try:
        assert alive(pid)
    finally:
        os.kill(pid, signal.SIGKILL)


def test_cpu_max_without_cgroup_is_a_warning(supd):
    supd.start(python_program("capped", "import time\\ntime.sleep(1000)\\n", 'cpu_max = "50%"'),
               supervisor_extra='cgroup = "off"')
    supd.wait_state("capped", "RUNNING")
    assert "cpu_max of [program.capped] not enforced: no cgroup v2" in supd.log(), supd.log()

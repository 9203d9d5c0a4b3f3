"""agent/python/sup_agent.py: a real Python worker under a real supd, and the module on its own."""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap
import time

from conftest import SUPCTL, wait_until

AGENT_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "agent", "python")
sys.path.insert(0, AGENT_DIR)

WORKER = textwrap.dedent(f"""\
    import signal, sys, time
    sys.path.insert(0, {os.path.abspath(AGENT_DIR)!r})
    import sup_agent

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    requests = sup_agent.counter("requests_total")
    depth = sup_agent.gauge("queue_depth")
    assert requests.active and sup_agent.has_counters(), "no counter page"
    sup_agent.notify_status("warming up")
    assert sup_agent.notify_barrier(10), "barrier"
    assert sup_agent.notify_ready()
    sup_agent.notify_status("serving")
    i = 0
    while not stop:
        requests.add()
        depth.set(-(i % 5) - 1)      # a gauge is signed
        if "--heartbeat" in sys.argv:
            sup_agent.heartbeat()    # the only watchdog ping this worker sends
        i += 1
        time.sleep(0.05)
    sup_agent.notify_stopping()
    """)


def write_worker(supd):
    path = os.path.join(supd.dir, "worker.py")
    with open(path, "w") as f:
        f.write(WORKER)
    return path


def test_a_python_worker_reports_readiness_status_and_counters_to_status_and_top(supd):
    worker = write_worker(supd)
    supd.start(f'[program.py]\ncommand = ["{sys.executable}", "{worker}"]\nready = "notify"\n'
               'start_timeout = "60s"\n')
    supd.wait_state("py", "RUNNING", timeout=60)
    inst = wait_until(lambda: (i := supd.instance("py"))["counters"].get("requests_total", 0) >= 3 and i,
                      30, what="requests_total to move")
    assert inst["ready"] is True
    assert inst["status_text"] == "serving"
    assert -5 <= inst["counters"]["queue_depth"] <= -1
    status = supd.ctl("status", "py", "--json")
    assert status.returncode == 0, status.stderr
    assert "requests_total" in status.stdout
    top = subprocess.run([SUPCTL, "-s", supd.sock, "top", "--once"], capture_output=True, text=True, timeout=30)
    assert top.returncode == 0, top.stderr
    assert "py" in top.stdout and "requests_total" in top.stdout and "queue_depth" in top.stdout
    # A graceful stop: the worker sends STOPPING=1 and exits 0 on TERM.
    stop = supd.ctl("stop", "py")
    assert stop.returncode == 0, stop.stdout + stop.stderr
    assert supd.instance("py")["state"] == "STOPPED"


def test_python_heartbeats_alone_satisfy_the_watchdog_that_restarts_a_silent_program(supd):
    worker = write_worker(supd)
    supd.start(f'[program.py]\ncommand = ["{sys.executable}", "{worker}", "--heartbeat"]\nready = "notify"\n'
               'start_timeout = "60s"\nwatchdog = "3s"\n'
               '[program.silent]\ncommand = ["${WORKER}", "forever"]\nstart_seconds = "0s"\nwatchdog = "3s"\n')
    first = supd.wait_state("py", "RUNNING", timeout=60)
    running_since = time.monotonic()
    # The program that never pings is restarted by the watchdog: the check is live...
    wait_until(lambda: supd.instance("silent")["restarts"] >= 1, 60, what="the silent program's restart")
    # ...and over more than two watchdog periods of RUNNING, the heartbeats kept the worker up.
    wait_until(lambda: time.monotonic() - running_since >= 7, 30, what="two watchdog periods")
    inst = supd.instance("py")
    assert inst["pid"] == first["pid"] and inst["restarts"] == 0, inst


def test_outside_supd_every_call_is_a_no_op():
    code = textwrap.dedent(f"""\
        import sys
        sys.path.insert(0, {os.path.abspath(AGENT_DIR)!r})
        import sup_agent as a
        assert a.notify_ready() is False and a.notify_status("x") is False
        assert a.notify_barrier(0.1) is False and a.watchdog_interval() is None
        c = a.counter("requests_total")
        c.add(5)
        c.set(3)
        assert not c.active and c.value == 0 and not a.has_counters()
        a.heartbeat()
        try:
            a.counter("9starts_with_a_digit")
        except ValueError:
            print("ok")
        """)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for extra in ({}, {"SUP_COUNTERS_FD": "0", "NOTIFY_SOCKET": "relative/path"}, {"SUP_COUNTERS_FD": "x"}):
        r = subprocess.run([sys.executable, "-c", code], env={**env, **extra}, capture_output=True, text=True,
                           timeout=60, stdin=subprocess.DEVNULL)
        assert r.returncode == 0 and r.stdout == "ok\n", (extra, r.stdout, r.stderr)


def test_notify_reaches_an_abstract_socket_and_the_barrier_waits_for_the_reader():
    name = f"sup-test-agent-{os.getpid()}"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind("\0" + name)
    server.settimeout(30)
    code = textwrap.dedent(f"""\
        import sys
        sys.path.insert(0, {os.path.abspath(AGENT_DIR)!r})
        import sup_agent as a
        assert a.notify_ready() and a.notify_status("s" * 10000)
        print("barrier", a.notify_barrier(30))
        """)
    child = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "NOTIFY_SOCKET": "@" + name},
                             stdout=subprocess.PIPE, text=True)
    try:
        assert server.recv(8192) == b"READY=1"
        status = server.recv(8192)
        assert status.startswith(b"STATUS=sss") and len(status) == 4096  # cut to supd's limit
        msg, ancdata, _, _ = server.recvmsg(64, socket.CMSG_SPACE(4))
        assert msg == b"BARRIER=1"
        fds = [struct.unpack("i", data[:4])[0] for level, kind, data in ancdata
               if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS]
        assert len(fds) == 1
        os.close(fds[0])  # as supd does once it has read what came before
        out, _ = child.communicate(timeout=30)
        assert out == "barrier True\n"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        server.close()


def make_page(path):
    """A counter page as supd creates it (sup/status_shm.h), in a plain file."""
    header = struct.pack("=QIIIIIIQ", 0x31524E5443505553, 1, 64, 64, 64, 0, 0, 0) + bytes(24)
    with open(path, "wb") as f:
        f.write(header + bytes(64 * 64))


def test_counters_land_in_the_page_where_status_shm_h_puts_them():
    with tempfile.TemporaryDirectory(prefix="sup-agent-") as tmp:
        page = os.path.join(tmp, "page")
        make_page(page)
        fd = os.open(page, os.O_RDWR)
        code = textwrap.dedent(f"""\
            import os, sys
            sys.path.insert(0, {os.path.abspath(AGENT_DIR)!r})
            import sup_agent as a
            c = a.counter("requests_total")
            c.add(2)
            g = a.gauge("temp")
            g.set(-7)
            assert a.gauge("requests_total").active is False   # registered as a counter
            if os.fork() == 0:                 # a forked child shares the page: same entry
                a.counter("requests_total").add(40)
                os._exit(0)
            os.wait()
            c.add()
            a.heartbeat()
            print(c.value, g.value)
            """)
        try:
            r = subprocess.run([sys.executable, "-c", code], env={**os.environ, "SUP_COUNTERS_FD": str(fd)},
                               pass_fds=(fd,), capture_output=True, text=True, timeout=60)
        finally:
            os.close(fd)
        assert r.returncode == 0, r.stderr
        assert r.stdout == "43 -7\n"
        with open(page, "rb") as f:
            data = f.read()
        count, = struct.unpack_from("=I", data, 24)
        heartbeat, = struct.unpack_from("=Q", data, 32)
        assert count == 2 and heartbeat > 0
        entries = []
        for i in range(count):
            state, kind = struct.unpack_from("=II", data, 64 + 64 * i)
            name = data[64 + 64 * i + 8:64 + 64 * i + 56].split(b"\0")[0].decode()
            value, = struct.unpack_from("=q", data, 64 + 64 * i + 56)
            entries.append((state, kind, name, value))
        assert entries == [(2, 1, "requests_total", 43), (2, 2, "temp", -7)]


def test_a_page_that_is_not_a_counter_page_is_ignored():
    with tempfile.TemporaryDirectory(prefix="sup-agent-") as tmp:
        page = os.path.join(tmp, "page")
        with open(page, "wb") as f:
            f.write(b"\xff" * 8192)
        fd = os.open(page, os.O_RDWR)
        code = textwrap.dedent(f"""\
            import sys
            sys.path.insert(0, {os.path.abspath(AGENT_DIR)!r})
            import sup_agent as a
            c = a.counter("x")
            c.add(1)
            print(a.has_counters(), c.active)
            """)
        try:
            r = subprocess.run([sys.executable, "-c", code], env={**os.environ, "SUP_COUNTERS_FD": str(fd)},
                               pass_fds=(fd,), capture_output=True, text=True, timeout=60)
        finally:
            os.close(fd)
        assert r.stdout == "False False\n", r.stderr
        with open(page, "rb") as f:
            assert f.read() == b"\xff" * 8192

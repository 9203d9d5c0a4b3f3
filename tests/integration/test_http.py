"""supd's HTTP endpoint (SPEC §6, §7) and its own sd_notify to systemd, against the real supd.

Each supd binds its endpoint on port 0 and the test reads the port from supd's log, so tests
never race each other for a port. /metrics is checked with prometheus_client's own parser.
"""
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import BUILD, SUPD, wait_until

EXAMPLE = os.path.join(BUILD, "bin", "example_worker")
SERVING = re.compile(r"http: serving /metrics, /healthz and /readyz on (\S+):(\d+)")


def http_port(supd):
    """The port supd bound, from its start-up log line."""
    match = wait_until(lambda: SERVING.search(open(os.path.join(supd.dir, "supd.err")).read()),
                       10, what="the http start-up line")
    return int(match.group(2))


def get(port, path, method="GET", headers=None):
    """(status, headers dict, body text) of one request."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode()
    finally:
        conn.close()


def raw(port, data, read=65536):
    """Sends raw bytes, returns what comes back until the server closes (or resets)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        try:
            s.sendall(data)
        except OSError:
            pass  # a server that already answered and closed: read what it said
        out = b""
        while len(out) < read:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()


def families(port):
    status, headers, body = get(port, "/metrics")
    assert status == 200
    assert headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {f.name: f for f in text_string_to_metric_families(body)}


def sample(fams, family, metric, **labels):
    """The sample's value, or None while the family is not exported yet (a worker's counter
    family appears only once the worker has registered it)."""
    if family not in fams:
        return None
    for s in fams[family].samples:
        if s.name == metric and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


HTTP = 'http = "127.0.0.1:0"'


def test_metrics_parse_as_prometheus_text_with_agent_counters_and_instance_figures(supd):
    supd.start(f"""
        [program.ex]
        command = ["{EXAMPLE}", "0"]
        ready = "notify"

        [program.sleeper]
        command = ["${{WORKER}}", "forever"]
        instances = 2
        start_seconds = "0s"
        """, supervisor_extra=HTTP)
    port = http_port(supd)
    supd.wait_state("ex", "RUNNING")
    fams = wait_until(lambda: (f := families(port)) and
                      (sample(f, "requests", "requests_total", program="ex") or 0) >= 3 and f,
                      15, what="agent counters in /metrics")
    # A worker's counters under their own names, with program and instance labels (SPEC §9.4).
    assert fams["requests"].type == "counter"
    assert fams["queue_depth"].type == "gauge"
    assert sample(fams, "bytes", "bytes_total", program="ex", instance="0") >= 512
    assert sample(fams, "queue_depth", "queue_depth", program="ex", instance="0") is not None
    assert not any(name.startswith("sup_agent") for name in fams)
    for index in ("0", "1"):
        assert sample(fams, "sup_instance_state", "sup_instance_state", program="sleeper",
                      index=index, state="RUNNING") == 1
        assert sample(fams, "sup_instance_state", "sup_instance_state", program="sleeper",
                      index=index, state="FATAL") == 0
    assert sample(fams, "sup_instance_ready", "sup_instance_ready", program="ex") == 1
    assert fams["sup_instance_restarts"].type == "counter"
    assert sample(fams, "sup_instance_uptime_seconds", "sup_instance_uptime_seconds", program="ex") >= 0
    assert sample(fams, "sup_instance_health", "sup_instance_health", program="ex", health="unknown") == 1
    assert sample(fams, "process_resident_memory_bytes", "process_resident_memory_bytes") > 0
    assert sample(fams, "process_open_fds", "process_open_fds") > 3
    assert fams["process_cpu_seconds"].type == "counter"
    assert sample(fams, "sup_http_clients", "sup_http_clients") >= 1
    assert sample(fams, "sup_loop_lag_seconds", "sup_loop_lag_seconds") >= 0
    versions = [s.labels["version"] for s in fams["sup_info"].samples]
    assert versions and versions[0]


def test_last_exit_restarts_and_captured_output_appear_after_a_crash(supd, tmp_path):
    flag = tmp_path / "crashed"
    supd.start(f"""
        [program.crashy]
        command = ["/bin/sh", "-c", "echo hello; if [ -e {flag} ]; then exec sleep 1000; fi; touch {flag}; exit 3"]
        start_seconds = "0s"
        backoff = {{ initial = "0s" }}
        """, supervisor_extra=HTTP)
    port = http_port(supd)
    wait_until(lambda: supd.instance("crashy")["restarts"] == 1 and supd.instance("crashy")["state"] == "RUNNING",
               15, what="one restart")
    fams = families(port)
    assert sample(fams, "sup_instance_restarts", "sup_instance_restarts_total", program="crashy") == 1
    assert sample(fams, "sup_instance_last_exit_code", "sup_instance_last_exit_code", program="crashy") == 3
    assert sample(fams, "sup_instance_last_exit_signal", "sup_instance_last_exit_signal", program="crashy") == 0
    assert sample(fams, "sup_instance_last_exit_timestamp_seconds",
                  "sup_instance_last_exit_timestamp_seconds", program="crashy") > 1e9
    # The first run's "hello\n" is captured before its exit is handled (SPEC §4).
    assert sample(fams, "sup_instance_captured_bytes", "sup_instance_captured_bytes_total",
                  program="crashy") >= 6


def test_counters_of_anonymous_pages_keep_their_kinds_without_a_status_segment(supd):
    with open(supd.config_path, "w") as f:
        f.write(f'[supervisor]\nsocket = "{supd.sock}"\nstatus_shm = ""\nlogs_dir = "{supd.dir}/logs"\n'
                f'{HTTP}\n[program.ex]\ncommand = ["{EXAMPLE}", "0"]\nready = "notify"\n')
    supd.start()
    port = http_port(supd)
    fams = wait_until(lambda: (f := families(port)) and
                      (sample(f, "requests", "requests_total") or 0) >= 1
                      and sample(f, "queue_depth", "queue_depth") is not None and f,
                      15, what="counters from an anonymous page")
    assert fams["requests"].type == "counter"
    assert fams["queue_depth"].type == "gauge"


def test_metrics_pass_promtool_check_metrics_with_no_warning(supd):
    """Prometheus' own linter (SPEC §9.4): names, units, _total on counters, HELP and TYPE."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: scripts/setup.sh installs Debian's prometheus package"
    supd.start(f"""
        [program.ex]
        command = ["{EXAMPLE}", "0"]
        ready = "notify"

        [program.crashy]
        command = ["/bin/sh", "-c", "exit 3"]
        start_seconds = "0s"
        restart = "never"
        """, supervisor_extra=HTTP)
    port = http_port(supd)
    wait_until(lambda: (f := families(port)) and (sample(f, "requests", "requests_total") or 0) >= 1
               and supd.instance("crashy")["state"] == "EXITED", 15, what="counters and an exit")
    status, _, body = get(port, "/metrics")
    assert status == 200
    check = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, text=True, timeout=30)
    assert (check.returncode, check.stdout + check.stderr) == (0, "")


def test_readyz_is_503_listing_what_is_not_ready_then_200_once_everything_is(supd, tmp_path):
    go, healthy = tmp_path / "go", tmp_path / "healthy"
    supd.start(f"""
        [program.waiter]
        command = ["/bin/sh", "-c", "while [ ! -e {go} ]; do sleep 0.05; done; exec \\"$WORKER\\" notify:READY=1 forever"]
        ready = "notify"

        [program.checked]
        command = ["${{WORKER}}", "forever"]
        start_seconds = "0s"
        [program.checked.health]
        exec = ["test", "-e", "{healthy}"]
        interval = "100ms"
        retries = 1
        on_unhealthy = "mark"

        [program.oneshot]
        command = ["${{WORKER}}", "exit:0"]
        restart = "never"

        [program.manual]
        command = ["${{WORKER}}", "forever"]
        autostart = false
        """, supervisor_extra=HTTP)
    port = http_port(supd)
    assert get(port, "/healthz")[0] == 200
    wait_until(lambda: supd.instance("oneshot")["state"] == "EXITED", 15, what="the one-shot to complete")
    status, _, body = get(port, "/readyz")
    assert status == 503
    lines = body.splitlines()
    assert lines[0] == "not ready:"
    assert any(l.startswith("waiter STARTING") for l in lines), body
    assert any(l.startswith("checked RUNNING") for l in lines), body
    assert not any(l.startswith("oneshot") for l in lines), body  # EXITED completed counts
    assert not any(l.startswith("manual") for l in lines), body   # wanted down: not counted

    go.touch()
    wait_until(lambda: "checked" in get(port, "/readyz")[2] and "waiter" not in get(port, "/readyz")[2],
               15, what="waiter ready")
    healthy.touch()
    status, _, body = wait_until(lambda: (r := get(port, "/readyz"))[0] == 200 and r, 15,
                                 what="/readyz 200")
    assert body == "ready\n"

    # Stopped by an operator: wanted down, no longer counted. Started: counted once ready.
    assert supd.ctl("stop", "waiter").returncode == 0
    assert get(port, "/readyz")[0] == 200
    assert supd.ctl("start", "manual").returncode == 0
    assert get(port, "/readyz")[0] == 200


def test_readyz_is_503_and_healthz_200_while_a_shutdown_is_in_progress(supd):
    supd.start('[program.stubborn]\ncommand = ["${WORKER}", "ignore:TERM", "print:ignoring", "forever"]\n'
               'start_seconds = "0s"\nstop_timeout = "60s"\n', supervisor_extra=HTTP)
    port = http_port(supd)
    supd.wait_state("stubborn", "RUNNING")
    wait_until(lambda: "ignoring" in supd.ctl("logs", "stubborn").stdout, 10, what="TERM ignored")
    assert get(port, "/readyz")[0] == 200
    supd.proc.send_signal(signal.SIGTERM)
    supd.wait_state("stubborn", "STOPPING")
    status, _, body = get(port, "/readyz")
    assert status == 503
    assert body.splitlines()[1] == "supd is shutting down"
    assert get(port, "/healthz")[0] == 200
    supd.proc.send_signal(signal.SIGTERM)  # the second one: SIGKILL to what is left
    assert supd.proc.wait(20) == 1


def test_only_get_and_head_on_the_three_paths(supd):
    supd.start('[program.a]\ncommand = ["${WORKER}", "forever"]\n', supervisor_extra=HTTP)
    port = http_port(supd)
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        status, headers, _ = get(port, "/metrics", method=method)
        assert status == 405, method
        assert headers["allow"] == "GET, HEAD"
    assert get(port, "/nope")[0] == 404
    assert get(port, "/")[0] == 404
    assert get(port, "/metrics?debug=1")[0] == 200
    status, headers, body = get(port, "/healthz", method="HEAD")
    assert status == 200 and body == "" and headers["content-length"] == "3"
    assert supd.instance("a")["state"] in ("STARTING", "RUNNING")  # nothing changed


def test_bad_and_huge_requests_get_4xx_and_supervision_goes_on(supd):
    supd.start('[program.a]\ncommand = ["${WORKER}", "forever"]\nstart_seconds = "0s"\n',
               supervisor_extra=HTTP)
    port = http_port(supd)
    pid = supd.wait_state("a", "RUNNING")["pid"]
    big_head = b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"
    assert raw(port, big_head).startswith(b"HTTP/1.1 431 ")
    assert raw(port, b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 414 ")
    assert raw(port, b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03").startswith(b"HTTP/1.1 400 ")
    reply = raw(port, b"POST /metrics HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n" + b"x" * 200000)
    assert reply == b"" or reply.startswith(b"HTTP/1.1 405 ")
    # A flood of idle connections: some are refused, none disturbs supd.
    idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(100)]
    try:
        assert supd.instance("a")["pid"] == pid
    finally:
        for s in idle:
            s.close()
    assert get(port, "/healthz")[0] == 200
    assert supd.ctl("restart", "a").returncode == 0
    assert supd.instance("a")["state"] == "RUNNING"
    assert supd.proc.poll() is None


def test_a_non_loopback_address_warns_at_start_up(supd):
    supd.start('[program.a]\ncommand = ["${WORKER}", "forever"]\n', supervisor_extra='http = "0.0.0.0:0"')
    port = http_port(supd)
    log = open(os.path.join(supd.dir, "supd.err")).read()
    assert "which is not a loopback address" in log
    assert get(port, "/healthz")[0] == 200


def test_a_loopback_address_starts_without_a_warning(supd):
    supd.start('[program.a]\ncommand = ["${WORKER}", "forever"]\n', supervisor_extra=HTTP)
    http_port(supd)
    assert "not a loopback address" not in open(os.path.join(supd.dir, "supd.err")).read()


def test_without_http_nothing_listens(supd):
    supd.start('[program.a]\ncommand = ["${WORKER}", "forever"]\n')
    supd.wait_state("a", "RUNNING")
    assert "http: serving" not in open(os.path.join(supd.dir, "supd.err")).read()


def test_a_port_in_use_fails_start_up_with_exit_2(supd):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        port = busy.getsockname()[1]
        supd.write_config('[program.a]\ncommand = ["/bin/sleep", "1000"]\n',
                          supervisor_extra=f'http = "127.0.0.1:{port}"')
        r = subprocess.run([SUPD, "-c", supd.config_path], capture_output=True, text=True, timeout=20)
        assert r.returncode == 2
        assert f"http 127.0.0.1:{port}: bind: address already in use" in r.stderr
    finally:
        busy.close()


def test_reload_reports_a_changed_http_as_not_applied(supd):
    supd.start('[program.a]\ncommand = ["${WORKER}", "forever"]\n', supervisor_extra=HTTP)
    port = http_port(supd)
    supd.write_config('[program.a]\ncommand = ["${WORKER}", "forever"]\n',
                      supervisor_extra='http = "127.0.0.1:1"')
    r = supd.request("reload", {"dry_run": True})
    assert r[-1]["ok"], r
    assert "supervisor.http" in r[-1]["result"]["not_applied"]
    assert get(port, "/healthz")[0] == 200


class FakeSystemd:
    """A datagram socket standing in for systemd's NOTIFY_SOCKET."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)

    def next(self, timeout=15):
        self.sock.settimeout(timeout)
        return self.sock.recv(8192).decode()

    def pending(self):
        self.sock.setblocking(False)
        try:
            return self.sock.recv(8192).decode()
        except BlockingIOError:
            return None

    def close(self):
        self.sock.close()


@pytest.fixture
def systemd(supd):
    fake = FakeSystemd(os.path.join(supd.dir, "systemd-notify"))
    yield fake
    fake.close()


def test_ready_1_goes_to_systemd_once_every_autostart_program_is_ready(supd, systemd, tmp_path):
    go = tmp_path / "go"
    supd.start(f"""
        [program.slow]
        command = ["/bin/sh", "-c", "while [ ! -e {go} ]; do sleep 0.05; done; exec \\"$WORKER\\" notify:READY=1 env:NOTIFY_SOCKET forever"]
        ready = "notify"

        [program.fast]
        command = ["${{WORKER}}", "forever"]
        start_seconds = "0s"
        """, env={"NOTIFY_SOCKET": systemd.path})
    supd.wait_state("fast", "RUNNING")
    assert systemd.pending() is None  # slow is not ready yet
    go.touch()
    message = systemd.next()
    assert message.splitlines()[0] == "READY=1"
    assert "STATUS=2 of 2 instances ready" in message.splitlines()
    # The children never see supd's own NOTIFY_SOCKET: they get supd's notify socket.
    wait_until(lambda: "NOTIFY_SOCKET=" in supd.stdout_text(), 10, what="the env line")
    line = [l for l in supd.stdout_text().splitlines() if "NOTIFY_SOCKET=" in l][0]
    assert systemd.path not in line
    assert line.endswith(os.path.join(os.path.dirname(supd.sock), "notify"))
    supd.proc.send_signal(signal.SIGTERM)
    stopping = systemd.next()
    assert stopping.splitlines()[0] == "STOPPING=1"
    assert "SIGTERM" in stopping
    assert supd.proc.wait(20) == 0


def test_ready_1_at_once_without_programs_and_naming_a_fatal_program(supd, systemd):
    supd.start("""
        [program.broken]
        command = ["${WORKER}", "exit:1"]
        start_retries = 0
        backoff = { initial = "0s" }

        [program.manual]
        command = ["${WORKER}", "forever"]
        autostart = false
        """, env={"NOTIFY_SOCKET": systemd.path})
    message = systemd.next()
    assert message.splitlines()[0] == "READY=1"
    status = [l for l in message.splitlines() if l.startswith("STATUS=")][0]
    assert status.startswith("STATUS=0 of 1 instances ready; not ready: broken")
    assert supd.instance("broken")["state"] == "FATAL"
    assert supd.ctl("shutdown").returncode == 0
    assert systemd.next().startswith("STOPPING=1")


def test_ready_1_at_once_when_nothing_is_to_start(supd, systemd):
    supd.start('[program.manual]\ncommand = ["${WORKER}", "forever"]\nautostart = false\n',
               env={"NOTIFY_SOCKET": systemd.path})
    assert systemd.next() == "READY=1\nSTATUS=no program to start"

"""Health checks (SPEC §3 [program.X.health], §4 ready = "health")."""
import os
import socket
import sys

from conftest import wait_until
from test_core import prog


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_server(name, port, extra=""):
    return (f'[program.{name}]\ncommand = ["{sys.executable}", "-m", "http.server", "{port}", '
            f'"--bind", "127.0.0.1"]\n{extra}\n')


def test_ready_health_waits_for_the_first_passing_http_check(supd):
    port = free_port()
    supd.start(http_server("web", port, f'ready = "health"\n[program.web.health]\n'
                           f'http = "http://127.0.0.1:{port}/"\ninterval = "200ms"\ntimeout = "1s"'))
    inst = supd.wait_state("web", "RUNNING", timeout=20)
    assert inst["ready"] and inst["health"] == "healthy"


def test_a_tcp_check_marks_health_and_a_closed_port_is_unhealthy(supd):
    port, closed = free_port(), free_port()
    supd.start(http_server("up", port, f'start_seconds = "0s"\n[program.up.health]\n'
                           f'tcp = "127.0.0.1:{port}"\ninterval = "200ms"') +
               prog("down", ["forever"], f'start_seconds = "0s"\n[program.down.health]\n'
                    f'tcp = "127.0.0.1:{closed}"\ninterval = "100ms"\nretries = 2\non_unhealthy = "mark"'))
    wait_until(lambda: supd.instance("up")["health"] == "healthy", 20, what="up healthy")
    down = wait_until(lambda: (i := supd.instance("down"))["health"] == "unhealthy" and i, 20,
                      what="down unhealthy")
    assert down["state"] == "RUNNING" and down["restarts"] == 0  # mark only marks
    assert supd.ctl("status", "down").returncode == 3


def test_an_exec_check_that_starts_failing_restarts_the_program(supd):
    flag = os.path.join(supd.dir, "healthy")
    open(flag, "w").close()
    supd.start(prog("svc", ["forever"], f'start_seconds = "0s"\nbackoff = {{ initial = "100ms" }}\n'
                    f'[program.svc.health]\nexec = ["/bin/test", "-f", "{flag}"]\n'
                    'interval = "100ms"\nretries = 2\non_unhealthy = "restart"'))
    first = wait_until(lambda: (i := supd.instance("svc"))["health"] == "healthy" and i, 20)
    os.unlink(flag)
    wait_until(lambda: supd.instance("svc")["restarts"] >= 1, 20, what="restart on unhealthy")
    open(flag, "w").close()
    again = wait_until(lambda: (i := supd.instance("svc"))["health"] == "healthy" and i, 20)
    assert again["pid"] != first["pid"]

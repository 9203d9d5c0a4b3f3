"""sd_notify readiness, status text and watchdog (SPEC §4 Watchdog, §6 sd_notify)."""
import json
import os
import socket
import time

from conftest import SUPCTL, wait_until
from test_core import prog


def test_ready_notify_stays_starting_until_ready_1(supd):
    supd.start(prog("svc", ["ready-after:700", "forever"], 'ready = "notify"'))
    inst = supd.instance("svc")
    assert inst["state"] == "STARTING" and inst["pid"]
    supd.wait_state("svc", "RUNNING")
    assert supd.instance("svc")["ready"]


def test_status_text_and_readiness_from_a_shell_worker_via_supctl_notify(supd):
    script = f"{SUPCTL} notify STATUS=warming; sleep 0.3; {SUPCTL} notify READY=1 STATUS=serving; exec sleep 1000"
    supd.start(f'[program.sh]\ncommand = ["/bin/sh", "-c", "{script}"]\nready = "notify"\n')
    wait_until(lambda: supd.instance("sh")["status_text"] == "warming", 10, what="STATUS=warming")
    inst = supd.wait_state("sh", "RUNNING")
    wait_until(lambda: supd.instance("sh")["status_text"] == "serving", 10, what="STATUS=serving")


def test_start_timeout_fails_a_start_that_never_gets_ready(supd):
    supd.start(prog("slow", ["forever"], 'ready = "notify"\nstart_timeout = "400ms"\nstart_retries = 0\n'
                    'stop_timeout = "300ms"'))
    inst = supd.wait_state("slow", "FATAL")
    assert "start_timeout" in inst["error"] or "ready" in inst["error"], inst["error"]


def test_watchdog_restarts_a_program_that_stops_pinging(supd):
    supd.start(prog("hung", ["env:WATCHDOG_USEC", "forever"], 'start_seconds = "0s"\nwatchdog = "500ms"\n'
                    'backoff = { initial = "100ms" }'))
    wait_until(lambda: supd.instance("hung")["restarts"] >= 1, 15, what="watchdog restart")
    assert "WATCHDOG_USEC=500000" in supd.stdout_text()


def test_watchdog_pings_keep_a_program_alive(supd):
    script = f"while :; do {SUPCTL} notify --no-block WATCHDOG=1; sleep 0.1; done"
    supd.start(f'[program.pinger]\ncommand = ["/bin/sh", "-c", "{script}"]\nstart_seconds = "0s"\n'
               'watchdog = "1s"\n')
    pid = supd.wait_state("pinger", "RUNNING")["pid"]
    time.sleep(2.5)
    inst = supd.instance("pinger")
    assert inst["pid"] == pid and inst["restarts"] == 0


def test_messages_from_strangers_are_rejected_and_counted(supd):
    supd.start(prog("svc", ["forever"], 'ready = "notify"'))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(b"READY=1", os.path.join(supd.dir, "notify"))
    s.close()
    wait_until(lambda: json.loads(supd.ctl("--json", "status").stdout)["supd"]["notify_rejected"] >= 1,
               10, what="the rejection counted")
    assert supd.instance("svc")["state"] == "STARTING"


def test_mainpid_from_the_main_process_moves_the_tracked_pid(supd):
    # A daemonising program: forks its real server, announces it, and exits.
    script = ("import os,socket,subprocess;"
              "p=subprocess.Popen(['/bin/sleep','1000']);"
              "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM);"
              "s.sendto(('MAINPID=%d\\\\nREADY=1' % p.pid).encode(),os.environ['NOTIFY_SOCKET']);"
              "import time; time.sleep(0.3); os._exit(0)")
    supd.start(f'[program.daemonish]\ncommand = ["/usr/bin/python3", "-c", "{script}"]\nready = "notify"\n')
    first = supd.wait_state("daemonish", "RUNNING")
    wait_until(lambda: open(f"/proc/{supd.instance('daemonish')['pid']}/comm").read().strip() == "sleep",
               10, what="the pid to be the sleep")
    time.sleep(0.8)  # the python parent has exited by now: the instance lives on as the sleep
    inst = supd.instance("daemonish")
    assert inst["state"] == "RUNNING" and inst["restarts"] == 0
    assert open(f"/proc/{inst['pid']}/comm").read().strip() == "sleep"
    assert supd.ctl("stop", "daemonish").returncode == 0
    assert not os.path.exists(f"/proc/{inst['pid']}") or \
        open(f"/proc/{inst['pid']}/stat").read().split()[2] == "Z"

"""Status segment, counter pages and the agent (SPEC §6), seen through supd and supctl top."""
import json
import os
import signal
import subprocess
import time

from conftest import BUILD, SUPCTL, wait_until

EXAMPLE = os.path.join(BUILD, "bin", "example_worker")


def test_agent_counters_and_readiness_show_in_status_and_top(supd):
    supd.start(f'[program.worker]\ncommand = ["{EXAMPLE}", "0"]\nready = "notify"\n')
    supd.wait_state("worker", "RUNNING")
    inst = wait_until(lambda: (i := supd.instance("worker"))["counters"].get("requests_total", 0) >= 3 and i,
                      10, what="counters moving")
    # Two counters updated one after the other: read at one moment they differ by one step.
    assert abs(inst["counters"]["bytes_total"] - 512 * inst["counters"]["requests_total"]) <= 512
    assert "queue_depth" in inst["counters"]
    assert inst["status_text"] == "serving"
    top = subprocess.run([SUPCTL, "-s", supd.sock, "top", "--once"], capture_output=True, text=True)
    assert top.returncode == 0, top.stderr
    assert "worker" in top.stdout and "RUNNING" in top.stdout and "requests_total" in top.stdout
    # top also reads the segment without any socket at all.
    direct = subprocess.run([SUPCTL, "-s", "/nonexistent.sock", "top", "--once", "--shm", supd.shm],
                            capture_output=True, text=True)
    assert direct.returncode == 0 and "worker" in direct.stdout


def test_heartbeats_alone_keep_the_watchdog_satisfied(supd):
    supd.start(f'[program.worker]\ncommand = ["{EXAMPLE}", "0"]\nstart_seconds = "0s"\nwatchdog = "700ms"\n')
    pid = supd.wait_state("worker", "RUNNING")["pid"]
    time.sleep(2.5)  # several watchdog periods
    inst = supd.instance("worker")
    assert inst["pid"] == pid and inst["restarts"] == 0


def test_the_segment_exists_while_supd_runs_and_is_unlinked_after_sigterm(supd):
    supd.start('[program.a]\ncommand = ["${WORKER}", "forever"]\nstart_seconds = "0s"\n')
    supd.wait_state("a", "RUNNING")
    path = "/dev/shm" + supd.shm
    assert os.path.exists(path)
    assert oct(os.stat(path).st_mode & 0o777) == "0o640"
    pages = [p for p in os.listdir("/dev/shm") if p.startswith(supd.shm[1:] + ".")]
    assert pages, "a counter page per spawned instance"
    supd.proc.send_signal(signal.SIGTERM)
    assert supd.proc.wait(20) == 0
    assert not os.path.exists(path)
    assert not [p for p in os.listdir("/dev/shm") if p.startswith(supd.shm[1:] + ".")]


def test_a_second_supd_on_the_same_segment_refuses_to_start(supd, tmp_path):
    supd.start('[program.a]\ncommand = ["${WORKER}", "forever"]\n')
    other = tmp_path / "other.toml"
    other.write_text(f'[supervisor]\nsocket = "{supd.dir}/other.sock"\nstatus_shm = "{supd.shm}"\n'
                     f'logs_dir = "{supd.dir}/logs2"\n[program.b]\ncommand = ["/bin/true"]\n')
    r = subprocess.run([os.path.join(BUILD, "bin", "supd"), "-c", str(other)], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 2
    assert f"in use by supd pid {supd.proc.pid}" in r.stderr

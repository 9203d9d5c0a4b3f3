"""supctl wait and events (SPEC §5)."""
import json
import subprocess
import time

from conftest import SUPCTL, wait_until
from test_core import prog


def test_wait_for_ready_succeeds_once_the_program_is_ready(supd):
    supd.start(prog("svc", ["ready-after:500", "forever"], 'ready = "notify"'))
    r = supd.ctl("wait", "svc", "--for", "ready", "--timeout", "10s")
    assert r.returncode == 0, r.stdout + r.stderr
    assert supd.instance("svc")["ready"]


def test_wait_times_out_with_exit_3_and_names_what_it_waits_for(supd):
    supd.start(prog("svc", ["forever"], 'ready = "notify"'))
    r = supd.ctl("wait", "svc", "--for", "ready", "--timeout", "300ms")
    assert r.returncode == 3
    assert "svc" in r.stdout + r.stderr


def test_wait_fails_at_once_when_the_condition_can_no_longer_hold(supd):
    supd.start(prog("job", ["exit:4"], 'restart = "never"'))
    supd.wait_state("job", "EXITED")
    started = time.monotonic()
    r = supd.ctl("wait", "job", "--for", "completed", "--timeout", "30s")
    assert r.returncode == 1
    assert time.monotonic() - started < 10


def start_and_watch(supd, name, until):
    """`supctl events NAME` while `supctl start NAME`; the events up to the first `to == until`."""
    events = subprocess.Popen([SUPCTL, "-s", supd.sock, "events", name], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)  # let the subscription land before acting
        assert supd.ctl("start", name).returncode == 0
        seen = []
        while not any(e.get("to") == until for e in seen):
            seen.append(json.loads(events.stdout.readline()))
        return seen
    finally:
        events.terminate()
        events.wait(5)


def test_events_stream_state_changes_as_json_lines(supd):
    supd.start(prog("svc", ["forever"], 'start_seconds = "0s"\nautostart = false'))
    first = start_and_watch(supd, "svc", "RUNNING")[0]
    assert first["name"] == "svc" and first["program"] == "svc" and first["instance"] == 0
    assert first["from"] == "STOPPED" and first["to"] == "STARTING"
    assert {"time", "pid", "reason", "exit"} <= set(first)


def test_an_exit_event_carries_the_exit_record(supd):
    supd.start(prog("job", ["exit:4"], 'start_seconds = "0s"\nrestart = "never"\nautostart = false'))
    seen = start_and_watch(supd, "job", "EXITED")
    assert all(e["exit"] is None for e in seen[:-1])
    exited = seen[-1]
    assert exited["exit"]["code"] == 4 and exited["exit"]["signal"] is None
    assert exited["exit"]["core_dumped"] is False and isinstance(exited["exit"]["run_s"], float)
    assert exited["exit"] == supd.instance("job")["last_exit"]

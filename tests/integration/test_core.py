"""supd + supctl end to end: lifecycle, restarts, stops, selectors, exit codes (SPEC §4, §5)."""
import json
import os
import re
import signal
import subprocess
import time

from conftest import SUPCTL, SUPD, fd_table, wait_until


def prog(name, actions, extra=""):
    args = ", ".join(f'"{a}"' for a in actions)
    return f'[program.{name}]\ncommand = ["${{WORKER}}", {args}]\n{extra}\n'


def wait_until_ignoring(supd, name):
    """RUNNING comes at exec (start_seconds 0): the worker ignores TERM a moment later."""
    wait_until(lambda: "ignoring" in supd.ctl("logs", name).stdout, 10, what=f"{name} to ignore TERM")


def test_autostart_starts_wanted_programs_and_leaves_the_others_stopped(supd):
    supd.start(prog("a", ["forever"], 'start_seconds = "100ms"') +
               prog("b", ["forever"], "autostart = false"))
    supd.wait_state("a", "RUNNING")
    assert supd.instance("b")["state"] == "STOPPED"
    r = supd.ctl("--json", "status")
    doc = json.loads(r.stdout)
    assert doc["supd"]["pid"] == supd.proc.pid
    assert {i["name"] for i in doc["instances"]} == {"a", "b"}
    assert r.returncode == 0  # wanted-down instances do not count for a bare status


def test_status_document_has_spec_fields_with_their_types(supd):
    """SPEC §6's `status` shape, field by field (supd writes it as text, not via a JSON DOM)."""
    supd.start(prog("up", ["forever"], 'start_seconds = "0s"') +
               prog("done", ["exit:3"], 'restart = "never"\nstart_seconds = "0s"') +
               prog("off", ["forever"], "autostart = false"))
    supd.wait_state("up", "RUNNING")
    supd.wait_state("done", "EXITED")
    doc = supd.request("status")[-1]["result"]
    assert set(doc) == {"supd", "instances", "groups"} and doc["groups"] == {}
    assert {"pid", "version", "uptime_s", "rss_bytes", "cpu_s"} <= set(doc["supd"])
    with open(f"/proc/{supd.proc.pid}/statm") as statm:  # supd's own resident set, as it reads it
        resident = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    assert resident / 2 <= doc["supd"]["rss_bytes"] <= resident * 2
    by_name = {i["name"]: i for i in doc["instances"]}
    assert set(by_name) == {"up", "done", "off"}
    spec_fields = {"name": str, "program": str, "instance": int, "state": str, "ready": bool,
                   "health": str, "uptime_s": float, "restarts": int, "exits": list,
                   "status_text": str, "waiting_for": str, "error": str, "captured_bytes": int,
                   "dropped_lines": int, "counters": dict}
    for inst in by_name.values():
        for field, kind in spec_fields.items():
            assert isinstance(inst[field], kind), (inst["name"], field, inst[field])
        assert "pid" in inst and "last_exit" in inst
    up, done, off = by_name["up"], by_name["done"], by_name["off"]
    assert isinstance(up["pid"], int) and up["pid"] > 0 and up["last_exit"] is None
    assert off["pid"] is None and off["state"] == "STOPPED" and off["uptime_s"] == 0.0
    assert done["pid"] is None and done["state"] == "EXITED"
    last = done["last_exit"]
    assert last == done["exits"][0]
    assert last["code"] == 3 and last["signal"] is None and last["core_dumped"] is False
    assert isinstance(last["run_s"], float) and re.match(r"\d{4}-\d\d-\d\dT", last["at"])
    # supctl prints the same document.
    printed = json.loads(supd.ctl("--json", "status").stdout)
    assert {i["name"] for i in printed["instances"]} == set(by_name)


def test_a_failing_program_is_restarted_and_a_successful_one_is_not(supd):
    supd.start(prog("bad", ["sleep:300", "exit:1"], 'start_seconds = "100ms"\nbackoff = { initial = "50ms" }') +
               prog("good", ["sleep:300", "exit:0"], 'start_seconds = "100ms"'))
    wait_until(lambda: supd.instance("bad")["restarts"] >= 2, 15, what="bad restarted twice")
    supd.wait_state("good", "EXITED")
    good = supd.instance("good")
    assert good["completed"] and good["restarts"] == 0
    assert good["last_exit"]["code"] == 0


def test_restart_always_restarts_after_a_clean_exit(supd):
    supd.start(prog("loop", ["sleep:200", "exit:0"],
                    'restart = "always"\nstart_seconds = "100ms"\nbackoff = { initial = "50ms" }'))
    wait_until(lambda: supd.instance("loop")["restarts"] >= 2, 15, what="loop restarted")


def test_a_program_that_keeps_failing_to_start_goes_fatal_with_the_reason(supd):
    supd.start(prog("crash", ["exit:3"], 'start_retries = 2\nbackoff = { initial = "50ms" }'))
    inst = supd.wait_state("crash", "FATAL")
    assert inst["error"] == "failed to start 3 times: exited with code 3"
    r = supd.ctl("status", "crash")
    assert r.returncode == 3


def test_a_missing_executable_is_reported_with_the_os_error_never_as_exit_127(supd):
    supd.start('[program.nope]\ncommand = ["/nonexistent/prog"]\nstart_retries = 0\n')
    inst = supd.wait_state("nope", "FATAL")
    assert "exec /nonexistent/prog: No such file or directory" in inst["error"]
    assert "127" not in inst["error"]
    r = supd.ctl("start", "nope")
    assert r.returncode == 1
    assert "No such file or directory" in r.stdout + r.stderr


def test_stop_escalates_to_sigkill_for_a_child_that_ignores_sigterm(supd):
    supd.start(prog("stubborn", ["ignore:TERM", "print:ignoring", "forever"],
                    'start_seconds = "0s"\nstop_timeout = "500ms"'))
    pid = supd.wait_state("stubborn", "RUNNING")["pid"]
    wait_until_ignoring(supd, "stubborn")
    r = supd.ctl("stop", "stubborn")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SIGKILL" in r.stdout
    assert supd.instance("stubborn")["state"] == "STOPPED"
    assert not os.path.exists(f"/proc/{pid}") or "Z" in open(f"/proc/{pid}/stat").read().split()[2]


def test_kill_group_reaches_grandchildren(supd):
    supd.start(prog("family", ["grandchild", "forever"], 'start_seconds = "0s"'))
    supd.wait_state("family", "RUNNING")
    m = wait_until(lambda: re.search(r"grandchild=(\d+)", supd.stdout_text()), 10, what="grandchild pid")
    grandchild = int(m.group(1))
    supd.seen_pids.add(grandchild)
    assert os.path.exists(f"/proc/{grandchild}")
    assert supd.ctl("stop", "family").returncode == 0
    wait_until(lambda: not os.path.exists(f"/proc/{grandchild}"), 10, what="grandchild gone")


def test_a_child_sees_only_fds_0_to_2_and_its_counter_page(supd):
    supd.start(prog("fds", ["fds", "env:SUP_COUNTERS_FD", "forever"], 'start_seconds = "0s"'))
    m = wait_until(lambda: re.search(r"fds: ([0-9 ]+)", supd.stdout_text()), 10, what="fds line")
    counters = wait_until(lambda: re.search(r"SUP_COUNTERS_FD=(\d+)", supd.stdout_text()), 10)
    assert m.group(1).split() == ["0", "1", "2", counters.group(1)]


def test_selectors_pick_instances_programs_and_groups(supd):
    supd.start(prog("web", ["forever"], 'instances = 3\nstart_seconds = "0s"') +
               prog("db", ["forever"], 'start_seconds = "0s"') +
               '[group.backend]\nprograms = ["db"]\n')
    wait_until(lambda: all(i["state"] == "RUNNING" for i in supd.status().values()), 10)
    names = lambda *sel: [i["name"] for i in json.loads(supd.ctl("--json", "status", *sel).stdout)["instances"]]
    assert names("web:1") == ["web:1"]
    assert names("backend") == ["db"]
    assert names("web") == ["web:0", "web:1", "web:2"]
    assert names("all") == ["web:0", "web:1", "web:2", "db"]
    r = supd.ctl("status", "wbe")
    assert r.returncode == 1
    assert "did you mean 'web'" in r.stdout + r.stderr
    assert supd.ctl("stop", "web:2").returncode == 0
    assert supd.instance("web:2")["state"] == "STOPPED"
    assert supd.instance("web:1")["state"] == "RUNNING"


def test_supctl_exit_codes(supd):
    supd.start(prog("up", ["forever"], 'start_seconds = "0s"') +
               prog("down", ["forever"], "autostart = false"))
    supd.wait_state("up", "RUNNING")
    assert supd.ctl("status", "up").returncode == 0
    assert supd.ctl("status", "down").returncode == 3
    assert supd.ctl("frobnicate").returncode == 2
    missing = subprocess.run([SUPCTL, "-s", supd.dir + "/absent.sock", "status"],
                             capture_output=True, text=True)
    assert missing.returncode == 4
    assert "absent.sock" in missing.stdout + missing.stderr
    # An unprivileged peer that cannot even reach the socket: EACCES on connect.
    denied = subprocess.run(["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups",
                             SUPCTL, "-s", supd.sock, "status"], capture_output=True, text=True)
    assert denied.returncode == 5, denied.stdout + denied.stderr


def test_an_unprivileged_peer_may_read_but_not_control(supd):
    supd.start(prog("up", ["forever"], 'start_seconds = "0s"'), supervisor_extra='socket_mode = "0666"')
    os.chmod(supd.dir, 0o711)
    supd.wait_state("up", "RUNNING")
    as_nobody = ["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups", SUPCTL, "-s", supd.sock]
    assert subprocess.run(as_nobody + ["status"], capture_output=True).returncode == 0
    r = subprocess.run(as_nobody + ["stop", "up"], capture_output=True, text=True)
    assert r.returncode == 5, r.stdout + r.stderr
    assert supd.instance("up")["state"] == "RUNNING"


def test_sigterm_shuts_down_gracefully_with_exit_code_0(supd):
    supd.start(prog("a", ["forever"], 'start_seconds = "0s"') + prog("b", ["forever"], 'start_seconds = "0s"'))
    supd.wait_state("b", "RUNNING")
    pids = [i["pid"] for i in supd.status().values()]
    supd.proc.send_signal(signal.SIGTERM)
    assert supd.proc.wait(20) == 0
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}")


def test_a_shutdown_that_needed_sigkill_exits_1(supd):
    supd.start(prog("stubborn", ["ignore:TERM", "print:ignoring", "forever"],
                    'start_seconds = "0s"\nstop_timeout = "300ms"'))
    supd.wait_state("stubborn", "RUNNING")
    wait_until_ignoring(supd, "stubborn")
    supd.proc.send_signal(signal.SIGTERM)
    assert supd.proc.wait(20) == 1


def test_supctl_shutdown_stops_everything(supd):
    supd.start(prog("a", ["forever"], 'start_seconds = "0s"'))
    supd.wait_state("a", "RUNNING")
    assert supd.ctl("shutdown").returncode == 0
    assert supd.proc.wait(20) == 0


def test_an_unknown_log_level_or_a_bad_config_stops_supd_with_2_before_it_serves(tmp_path):
    sock = tmp_path / "sup.sock"
    good = tmp_path / "good.toml"
    good.write_text(f'[supervisor]\nsocket = "{sock}"\n[program.web]\ncommand = ["/bin/true"]\n')
    r = subprocess.run([SUPD, "--log-level", "chatty", "-c", str(good)],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 2
    assert "unknown --log-level 'chatty'" in r.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text(f'[supervisor]\nsocket = "{sock}"\n[program.web]\ncommand = ["/bin/true"]\n'
                   'restat = "always"\n')
    r = subprocess.run([SUPD, "-c", str(bad)], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2
    assert "bad.toml:5:" in r.stderr and "1 error(s) in" in r.stderr
    assert not sock.exists()


def test_check_reports_every_error_and_exits_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[program.web]\ncommand = ["/bin/true"]\nrestat = "always"\n'
                   '[program.db]\ncommand = ["/bin/true"]\nstop_timeout = "ten seconds"\n')
    r = subprocess.run([SUPD, "--check", "-c", str(bad)], capture_output=True, text=True)
    assert r.returncode == 2
    assert "bad.toml:3:" in r.stderr and "did you mean" in r.stderr
    assert "bad.toml:6:" in r.stderr
    r2 = subprocess.run([SUPCTL, "check", str(bad)], capture_output=True, text=True)
    assert r2.returncode == 2 and r2.stderr == r.stderr
    good = tmp_path / "good.toml"
    good.write_text('[program.web]\ncommand = ["/bin/true"]\n')
    assert subprocess.run([SUPD, "--check", "-c", str(good)], capture_output=True).returncode == 0


def test_a_main_command_runs_beside_the_config_and_its_status_ends_supd(supd, worker):
    supd.start(prog("side", ["forever"], 'start_seconds = "0s"'),
               args=("--", worker, "sleep:700", "print:main-done", "exit:7"))
    assert supd.proc.wait(20) == 7
    assert "main | main-done" in supd.stdout_text()


def test_sigterm_with_a_main_command_exits_with_main_status(supd, worker):
    supd.start(prog("side", ["forever"], 'start_seconds = "0s"'), args=("--", worker, "forever"))
    wait_until(lambda: supd.status().get("main", {}).get("state") == "RUNNING", 10)
    supd.proc.send_signal(signal.SIGTERM)
    assert supd.proc.wait(20) == 128 + signal.SIGTERM


def test_signals_supd_does_not_handle_reach_programs_with_forward_signals(supd):
    got = supd.dir + "/got"
    def trapper(name, forward):
        script = f"trap 'echo {name} >> {got}' USR2; while :; do sleep 0.05; done"
        return (f'[program.{name}]\ncommand = ["/bin/sh", "-c", "{script}"]\nstart_seconds = "0s"\n'
                f'forward_signals = {"true" if forward else "false"}\n')
    supd.start(trapper("fwd", True) + trapper("plain", False))
    wait_until(lambda: all(i["state"] == "RUNNING" for i in supd.status().values()), 10)
    time.sleep(0.2)  # let the shells install their traps
    supd.proc.send_signal(signal.SIGUSR2)
    wait_until(lambda: os.path.exists(got) and "fwd" in open(got).read(), 10, what="USR2 forwarded")
    time.sleep(0.3)
    assert open(got).read().split() == ["fwd"]


def test_supd_sizes_its_fd_table_for_every_program_before_starting_any(supd):
    """The fd table is grown once, before supd has threads (process/fd_table.h): with 300
    programs that are not started, supd holds a few dozen fds but a table for all of them."""
    supd.start("".join(prog(f"p{i:03d}", ["forever"], "autostart = false") for i in range(300)))
    fd_size, held = fd_table(supd.proc.pid)
    assert held < 100
    assert fd_size >= 300 * 3  # at least each program's two pipes and counter page


def test_an_idle_supd_never_wakes_up(supd):
    """SPEC §8: idle means zero wake-ups, summed over every thread of supd (counted, not timed)."""
    supd.start(prog("a", ["forever"], 'start_seconds = "0s"') +
               prog("b", ["forever"], 'start_seconds = "0s"') +
               prog("c", ["forever"], 'start_seconds = "0s"'))
    for name in ("a", "b", "c"):
        supd.wait_state(name, "RUNNING")
    task_dir = f"/proc/{supd.proc.pid}/task"

    def switches():
        total = 0
        for tid in os.listdir(task_dir):
            with open(f"{task_dir}/{tid}/status") as f:
                total += sum(int(line.split()[1]) for line in f if line.startswith("voluntary_ctxt"))
        return total

    time.sleep(1)  # the last status request's connection is closed and handled
    before = switches()
    time.sleep(3)
    assert switches() == before

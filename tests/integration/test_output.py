"""Output capture end to end (SPEC §3 stdout/stderr keys, §4 drain before exit, §6/§7 forwarding)."""
import json
import os
import re
import shutil
import signal
import subprocess
import time

from conftest import SUPCTL, SUPD, WORKER, wait_until
from test_core import prog


def read_all(paths):
    lines = []
    for p in paths:
        with open(p) as f:
            lines.extend(f.read().splitlines())
    return lines


def test_every_line_written_before_exit_reaches_the_file_once_in_order(supd):
    supd.start(prog("count", ["lines:200000:n", "exit:0"],
                    'restart = "never"\nstdout = { file = "count.log", max_size = 0, forward = false }'))
    supd.wait_state("count", "EXITED", timeout=60)
    # Captured before the exit is handled; written to disk by the writer thread just after.
    path = supd.dir + "/logs/count.log"
    wait_until(lambda: len(read_all([path])) >= 200000, 30, interval=0.1, what="200000 lines on disk")
    lines = read_all([path])
    assert len(lines) == 200000
    assert lines[0] == "n000001" and lines[-1] == "n200000"
    assert lines == [f"n{i:06d}" for i in range(1, 200001)]


def test_lines_written_just_before_a_fatal_signal_are_captured(supd):
    supd.start(prog("doomed", ["lines:50000:d", "kill:KILL"],
                    'restart = "never"\nstdout = { file = "doomed.log", forward = false }'))
    inst = supd.wait_state("doomed", "EXITED", timeout=60)
    assert inst["last_exit"]["signal"] == "KILL"
    path = supd.dir + "/logs/doomed.log"
    wait_until(lambda: len(read_all([path])) >= 50000, 30, interval=0.1, what="50000 lines on disk")
    lines = read_all([path])
    assert lines == [f"d{i:06d}" for i in range(1, 50001)]


def test_two_fast_programs_forwarded_never_mix_bytes_within_a_line(supd):
    supd.start(prog("alpha", ["lines:20000:alpha-", "forever"], 'start_seconds = "0s"') +
               prog("beta", ["lines:20000:beta-", "forever"], 'start_seconds = "0s"'))
    def counts():
        out = supd.stdout_text().splitlines()
        return (sum(1 for l in out if l.startswith("alpha | alpha-")),
                sum(1 for l in out if l.startswith("beta  | beta-")))
    wait_until(lambda: counts() == (20000, 20000), 60, interval=0.2, what="40000 forwarded lines")
    for line in supd.stdout_text().splitlines():
        if "alpha-" in line or "beta-" in line:
            assert re.fullmatch(r"(alpha \| alpha-\d{6}|beta  \| beta-\d{6})", line), line


def test_rotation_keeps_backups_and_loses_no_line(supd):
    supd.start(prog("rot", ["lines:30000:r", "exit:0"],
                    'restart = "never"\nstdout = { file = "rot.log", max_size = "64KiB", backups = 50, forward = false }'))
    supd.wait_state("rot", "EXITED", timeout=60)
    base = supd.dir + "/logs/rot.log"
    wait_until(lambda: os.path.exists(base) and open(base).read().endswith("r030000\n"), 30,
               what="the last line on disk")
    backups = sorted((p for p in os.listdir(supd.dir + "/logs") if p.startswith("rot.log.")),
                     key=lambda p: -int(p.rsplit(".", 1)[1]))
    assert len(backups) >= 3
    for p in backups:
        assert os.path.getsize(supd.dir + "/logs/" + p) <= 64 * 1024
    lines = read_all([supd.dir + "/logs/" + p for p in backups] + [base])
    assert lines == [f"r{i:06d}" for i in range(1, 30001)]


def test_rotation_keeps_only_the_configured_number_of_backups(supd):
    supd.start(prog("few", ["lines:30000:f", "exit:0"],
                    'restart = "never"\nstdout = { file = "few.log", max_size = "16KiB", backups = 2, forward = false }'))
    supd.wait_state("few", "EXITED", timeout=60)
    base = supd.dir + "/logs/few.log"
    wait_until(lambda: os.path.exists(base) and open(base).read().endswith("f030000\n"), 30,
               what="the last line on disk")
    names = sorted(p for p in os.listdir(supd.dir + "/logs") if p.startswith("few.log"))
    assert names == ["few.log", "few.log.1", "few.log.2"]


def test_sigusr1_reopens_a_file_that_was_moved_away(supd):
    supd.start(prog("talk", ["print:before", "sleep:1500", "print:after", "forever"],
                    'start_seconds = "0s"\nstdout = { file = "talk.log", forward = false }'))
    path = supd.dir + "/logs/talk.log"
    wait_until(lambda: os.path.exists(path) and "before" in open(path).read(), 10, what="first line")
    os.rename(path, path + ".old")
    supd.proc.send_signal(signal.SIGUSR1)
    wait_until(lambda: os.path.exists(path) and "after" in open(path).read(), 10, what="line in new file")
    assert open(path + ".old").read() == "before\n"


def test_supctl_logs_shows_the_tail_and_follows(supd):
    # Two pipes have no common order: pauses keep the lines apart in time.
    supd.start(prog("chat", ["print:one", "sleep:100", "eprint:two", "sleep:100", "print:three",
                             "sleep:1500", "print:four", "forever"], 'start_seconds = "0s"'))
    text = lambda r: [re.split(r" [|!] ", l, 1)[-1] for l in r.stdout.splitlines()]
    wait_until(lambda: "three" in supd.ctl("logs", "chat").stdout, 10, what="three in logs")
    assert text(supd.ctl("logs", "chat", "-n", "2")) == ["two", "three"]
    assert text(supd.ctl("logs", "chat", "--stderr")) == ["two"]
    assert text(supd.ctl("logs", "chat", "--stdout")) == ["one", "three"]
    follow = subprocess.Popen([SUPCTL, "-s", supd.sock, "logs", "-f", "-n", "0", "chat"],
                              stdout=subprocess.PIPE, text=True)
    try:
        line = follow.stdout.readline()
        assert line.rstrip().endswith("four")
    finally:
        follow.terminate()
        follow.wait(5)


def test_a_follower_gets_every_line_of_a_burst_that_goes_only_to_a_file(supd):
    # A file-only program's reads skip the line-by-line path unless someone follows it.
    supd.start(prog("burst", ["sleep:2500", "lines:5000:b", "forever"],
                    'start_seconds = "0s"\nstdout = { file = "burst.log", forward = false }'))
    # Bounded: a follower that is never fed ends at the timeout, and the comparison fails.
    follow = subprocess.Popen(["timeout", "20", SUPCTL, "-s", supd.sock, "logs", "-f", "-n", "0",
                               "burst"], stdout=subprocess.PIPE, text=True)
    try:
        got = [follow.stdout.readline().rstrip().rsplit(" ", 1)[-1] for _ in range(5000)]
    finally:
        follow.terminate()
        follow.wait(5)
    assert got == [f"b{i:06d}" for i in range(1, 5001)]
    path = supd.dir + "/logs/burst.log"
    wait_until(lambda: len(read_all([path])) >= 5000, 10, what="5000 lines on disk")
    assert read_all([path]) == got


def test_an_unwritable_log_directory_fails_the_start_with_the_error_and_supd_carries_on(supd):
    supd.start(prog("blocked", ["forever"], 'start_retries = 0\nstdout = { file = "/proc/no-such-dir/x.log" }') +
               prog("fine", ["forever"], 'start_seconds = "0s"'))
    inst = supd.wait_state("blocked", "FATAL")
    assert "/proc/no-such-dir/x.log" in inst["error"]
    assert supd.instance("fine")["state"] == "RUNNING"


def test_merged_stderr_and_timestamps_and_json_forwarding(supd):
    supd.start(prog("mix", ["print:out-line", "eprint:err-line", "forever"],
                    'start_seconds = "0s"\n'
                    'stdout = { file = "mix.log", timestamps = true, forward_format = "json" }\n'
                    'stderr = { merge = true }'))
    path = supd.dir + "/logs/mix.log"
    wait_until(lambda: os.path.exists(path) and "err-line" in open(path).read(), 10)
    for line in open(path).read().splitlines():
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ", line), line
    objs = [json.loads(l) for l in supd.stdout_text().splitlines() if l.startswith("{")]
    assert {o["line"].split(" ", 1)[-1] for o in objs} >= {"out-line", "err-line"}
    assert all(o["program"] == "mix" and o["instance"] == 0 for o in objs)


def test_a_closed_supd_stdout_stops_forwarding_but_not_the_programs(supd):
    supd.write_config(prog("chatty", ["lines:50000:c", "forever"],
                           'start_seconds = "0s"\nstdout = { file = "chatty.log" }'))
    r, w = os.pipe()
    os.close(r)  # nobody will ever read supd's stdout: every forward write is EPIPE
    env = dict(os.environ, WORKER=WORKER)
    supd.proc = subprocess.Popen([SUPD, "-c", supd.config_path], stdout=w,
                                 stderr=open(supd.dir + "/supd.err", "wb"), env=env)
    os.close(w)
    open(supd.dir + "/supd.out", "w").close()
    wait_until(supd._connectable, 10, what="supd socket")
    path = supd.dir + "/logs/chatty.log"
    wait_until(lambda: os.path.exists(path) and len(read_all([path])) == 50000, 30, interval=0.1,
               what="every line in the file although forwarding failed")
    doc = json.loads(supd.ctl("--json", "status").stdout)
    assert doc["supd"]["forward_errors"] >= 1
    assert doc["instances"][0]["state"] == "RUNNING"
    assert supd.proc.poll() is None


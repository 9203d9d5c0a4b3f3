"""SPEC §9.1 "Crash of supd": after `kill -9 supd` the next supd with the same status segment
stops the programs the dead one left running before it starts anything, so no program runs
twice; a pid reused by an unrelated process is never signalled."""
import os
import signal
import struct
import subprocess

from conftest import SUPD, WORKER, Supd, alive, wait_until

STATUS_MAGIC = 0x3154415453505553  # "SUPSTAT1"


def start_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def live_pids(path):
    with open(path) as f:
        return [int(p) for p in f.read().split() if alive(int(p))]


def test_after_kill_9_the_next_supd_stops_what_the_first_left_before_starting_its_own(supd):
    pids = os.path.join(supd.dir, "pids")
    grandchildren = os.path.join(supd.dir, "grandchildren")
    # Each start records its pid; the grandchild shares the process group (kill_group).
    supd.write_config(f'''
        [program.web]
        command = ["/bin/sh", "-c", "echo $$$$ >> {pids}; exec {WORKER} grandchild forever"]
        instances = 2
        [program.stubborn]
        command = ["/bin/sh", "-c", "echo $$$$ >> {pids}.stubborn; exec {WORKER} ignore:TERM forever"]
        stop_timeout = "1s"
        ''')
    supd.start()
    first = supd.proc
    old = {n: supd.wait_state(n, "RUNNING")["pid"] for n in ("web:0", "web:1", "stubborn")}
    wait_until(lambda: supd.stdout_text().count("grandchild=") == 2, 10, what="grandchildren")
    helpers = [int(line.split("=")[1]) for line in supd.stdout_text().split()
               if line.startswith("grandchild=")]
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert all(alive(p) for p in list(old.values()) + helpers), "kill -9 leaves them running"

    second = Supd(supd.dir)
    second.shm = supd.shm
    second.start()  # same config, socket and segment
    try:
        for n in ("web:0", "web:1", "stubborn"):
            second.wait_state(n, "RUNNING")
        # None of the first supd's processes is left, and each instance runs exactly once.
        assert [p for p in list(old.values()) + helpers if alive(p)] == []
        assert len(live_pids(pids)) == 2, open(pids).read()
        assert len(live_pids(pids + ".stubborn")) == 1
        err = open(os.path.join(supd.dir, "supd.err")).read()
        assert f"stopping 3 programs left by supd pid {first.pid}" in err, second.log()
        assert "stubborn" in err and "stop_timeout (1s) expired: SIGKILL" in err, second.log()
    finally:
        second.cleanup()
        for p in list(old.values()) + helpers:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass


def plant_segment(name, supd_pid, slots):
    """A status segment (sup/status_shm.h, version 2) as a dead supd would leave it."""
    header = struct.pack("<QIIIIqQQIIQQ7Q", STATUS_MAGIC, 2, 128, 272, len(slots), supd_pid,
                         1, 1, 0, len(slots), 1, 0, *([0] * 7))
    out = header
    for name_, pid, ticks in slots:
        data = struct.pack("<IIIIqQQQiiIIQQQQ80s64sQIIQ", 1, 2, 1, 0, pid, 1, 1, 0, -1, 0, 0,
                           0, 0, 0, 0, 0, name_.encode().ljust(80, b"\0"), b"\0" * 64, ticks,
                           signal.SIGTERM, 1, 1000)
        assert len(data) == 264
        out += struct.pack("<Q", 2) + data
    fd = os.open("/dev/shm" + name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.write(fd, out)
    os.close(fd)


def dead_pid():
    p = subprocess.Popen(["/bin/true"])
    p.wait()
    return p.pid


def test_a_recorded_pid_now_used_by_another_process_is_never_signalled(supd):
    # Two unrelated sleepers: one recorded with its real start time (the dead supd's program,
    # stopped), one recorded with another (its pid reused since: left alone).
    left = subprocess.Popen(["sleep", "300"], start_new_session=True)
    reused = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        plant_segment(supd.shm, dead_pid(), [("old", left.pid, start_ticks(left.pid)),
                                             ("other", reused.pid, start_ticks(reused.pid) + 1)])
        supd.start('[program.a]\ncommand = ["${WORKER}", "forever"]\n')
        assert left.wait(10) == -signal.SIGTERM
        assert reused.poll() is None, "a process that is not the recorded one was signalled"
        assert "stopping 1 programs left by supd pid" in supd.log()
    finally:
        for p in (left, reused):
            p.kill()
            p.wait()

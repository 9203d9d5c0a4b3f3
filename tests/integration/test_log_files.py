"""Log files are regular files, and a line is whole or absent (SPEC §9.1).

A device node, FIFO, socket or directory named as a log file is a config error; a log file
swapped for a FIFO at run time is refused without blocking supd; on a full disk (a small tmpfs
mounted here) nothing is lost in block mode and the dropped lines are counted in drop mode.
"""
import os
import signal
import socket
import stat
import subprocess
import time

import pytest

from conftest import SUPCTL, SUPD, wait_until
from test_core import prog

IN_CI = os.environ.get("CI") == "true"


def cannot(what):
    """Skips with the reason, or fails in CI, where the machine must be able to do it."""
    if IN_CI:
        pytest.fail(f"CI=true but {what}")
    pytest.skip(what)


def check(config):
    return subprocess.run([SUPD, "--check", "-c", str(config)], capture_output=True, text=True)


def config_with_log(tmp_path, path):
    config = tmp_path / "sup.toml"
    config.write_text('[program.web]\ncommand = ["/bin/true"]\n'
                      f'stdout = {{ file = "{path}", max_size = 100, backups = 2 }}\n')
    return config


HINT = 'not a regular file (file = "" discards output)'


def test_a_char_device_as_log_file_is_a_config_error_naming_path_and_type(tmp_path):
    dev = tmp_path / "null"
    try:
        os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a /dev/null of our own
    except OSError as e:
        cannot(f"mknod a character device: {e}")
    config = config_with_log(tmp_path, dev)
    r = check(config)
    assert r.returncode == 2, r.stderr
    assert f"sup.toml:3:" in r.stderr
    assert f"{dev} is a character device, {HINT}" in r.stderr
    r2 = subprocess.run([SUPCTL, "check", str(config)], capture_output=True, text=True)
    assert r2.returncode == 2 and r2.stderr == r.stderr
    assert stat.S_ISCHR(os.lstat(dev).st_mode)  # left where it was


def test_a_fifo_a_socket_or_a_directory_as_log_file_is_a_config_error(tmp_path):
    fifo = tmp_path / "fifo.log"
    os.mkfifo(fifo)
    r = check(config_with_log(tmp_path, fifo))
    assert r.returncode == 2 and f"{fifo} is a FIFO, {HINT}" in r.stderr, r.stderr
    sock_path = tmp_path / "sock.log"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(sock_path))
    s.close()
    r = check(config_with_log(tmp_path, sock_path))
    assert r.returncode == 2 and f"{sock_path} is a socket, {HINT}" in r.stderr, r.stderr
    r = check(config_with_log(tmp_path, tmp_path))
    assert r.returncode == 2 and f"{tmp_path} is a directory, {HINT}" in r.stderr, r.stderr
    plain = tmp_path / "plain.log"
    assert check(config_with_log(tmp_path, plain)).returncode == 0  # not there yet: fine
    plain.write_text("old\n")
    assert check(config_with_log(tmp_path, plain)).returncode == 0  # a regular file: fine


def python_program(name, script, extra):
    """A [program] running `script` with python3 (a TOML literal string: no escapes)."""
    literal = "'" * 3
    return (f"[program.{name}]\n" + 'command = ["python3", "-c", ' + literal + script + literal +
            f']\nstart_seconds = "0s"\n{extra}\n')


def ticker(name, path, extra=""):
    script = ("import sys, time\n"
              "i = 0\n"
              "while True:\n"
              "    i += 1\n"
              "    print(f'tick {i}', flush=True)\n"
              "    time.sleep(0.02)\n")
    return python_program(name, script, f'stdout = {{ file = "{path}" }}\n{extra}')


def test_a_log_file_swapped_for_a_fifo_and_reopened_is_refused_and_supd_keeps_answering(supd):
    path = os.path.join(supd.dir, "tick.log")
    supd.start(ticker("tick", path))
    wait_until(lambda: os.path.exists(path) and "tick 3\n" in open(path).read(), 10,
               what="ticks in the log file")
    os.unlink(path)
    os.mkfifo(path)  # nobody reads it: a blocking open for writing would wait for ever
    os.kill(supd.proc.pid, signal.SIGUSR1)
    # The request times out (and the test fails) if supd's loop is blocked.
    inst = wait_until(lambda: (lambda i: "is a FIFO" in i["output_error"] and i)(
        supd.instance("tick")), 10, what="the FIFO refused in status")
    assert inst["output_error"] == f"open {path}: {path} is a FIFO, {HINT}"
    assert inst["state"] == "RUNNING"
    r = supd.ctl("status", "tick", timeout=10)
    assert f"output: open {path}: {path} is a FIFO" in r.stdout
    # Output still goes to the other sinks: forwarded to supd's stdout.
    seen = supd.stdout_text().count("tick | tick ")
    wait_until(lambda: supd.stdout_text().count("tick | tick ") > seen + 3, 10,
               what="forwarding to go on")
    assert stat.S_ISFIFO(os.lstat(path).st_mode)
    supd.proc.send_signal(signal.SIGTERM)
    assert supd.proc.wait(10) == 0  # a stuck writer would hold the exit for its flush timeout


def test_a_fifo_created_before_a_start_fails_that_start_and_blocks_nothing(supd):
    path = os.path.join(supd.dir, "late.log")
    supd.start(ticker("late", path, 'autostart = false\nstart_retries = 0'))
    os.mkfifo(path)  # after the config was checked
    supd.ctl("start", "late", timeout=10)
    inst = supd.wait_state("late", "FATAL")
    assert f"{path} is a FIFO, {HINT}" in inst["error"]
    assert supd.ctl("status", timeout=10).returncode in (0, 3)


# --- a full disk -----------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        cannot(f"cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): {r.stderr.strip()}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def fill(disk):
    """Writes a filler file until the disk is full; returns its path."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as f:
        block = b"\0" * 65536
        while True:
            try:
                f.write(block)
            except OSError:
                break
        for size in (4096, 512, 64, 1):  # the last scraps, down to the byte
            while True:
                try:
                    f.write(b"\0" * size)
                except OSError:
                    break
    return filler


# 100-byte numbered lines in three phases, each waiting for the test's go-ahead file: 500
# before the disk fills, PHASE2 while it is full (more than supd's queue, pipe and read buffer
# together, so that in block mode the program has to be paused), then 500 after space returns.
PHASE2 = 30_000
TOTAL = 500 + PHASE2 + 500


def phased_writer(name, log, ctl_dir, backpressure):
    script = (
        "import os, sys, time\n"
        f"d = '{ctl_dir}'\n"
        "def wait(f):\n"
        "    while not os.path.exists(os.path.join(d, f)): time.sleep(0.01)\n"
        "n = 0\n"
        "def lines(k):\n"
        "    global n\n"
        "    for _ in range(k):\n"
        "        n += 1\n"
        "        sys.stdout.write(f'line {n:08d} '.ljust(99, 'x') + '\\n')\n"
        "    sys.stdout.flush()\n"
        "lines(500); wait('go')\n"
        f"lines({PHASE2}); open(os.path.join(d, 'phase2-done'), 'w').close(); wait('go2')\n"
        "lines(500)\n")
    return python_program(name, script, 'restart = "never"\n'
                          f'stdout = {{ file = "{log}", forward = false, backpressure = "{backpressure}" }}')


def expected_line(n):
    return f"line {n:08d} ".ljust(99, "x")


def file_lines(log):
    with open(log, "rb") as f:
        return f.read().decode(errors="replace").split("\n")


def run_phases(supd, small_disk, backpressure):
    ctl_dir = os.path.join(supd.dir, "ctl")
    os.mkdir(ctl_dir)
    log = small_disk / "w.log"
    supd.start(phased_writer("w", log, ctl_dir, backpressure))
    wait_until(lambda: os.path.exists(log) and os.path.getsize(log) >= 500 * 100, 10,
               what="phase 1 on disk")
    filler = fill(small_disk)
    open(os.path.join(ctl_dir, "go"), "w").close()
    inst = wait_until(lambda: (lambda i: "No space left on device" in i["output_error"] and i)(
        supd.instance("w")), 15, what="ENOSPC in status")
    assert inst["output_error"] == f"write {log}: No space left on device"
    table = supd.ctl("status", "w", timeout=10).stdout
    return log, ctl_dir, filler, table


def wait_for_last_line(log):
    wait_until(lambda: file_lines(log)[-2:] == [expected_line(TOTAL), ""], 15,
               what="the last line on disk")


def test_full_disk_in_block_mode_pauses_the_program_and_loses_nothing(supd, small_disk):
    log, ctl_dir, filler, table = run_phases(supd, small_disk, "block")
    # While the disk is full, supd stops reading the program: it cannot get through phase 2.
    time.sleep(2)
    paused = not os.path.exists(os.path.join(ctl_dir, "phase2-done"))
    assert supd.instance("w")["state"] == "RUNNING"
    os.unlink(filler)  # space returns: writing resumes by itself
    wait_until(lambda: os.path.exists(os.path.join(ctl_dir, "phase2-done")), 30,
               what="the program to be read again")
    open(os.path.join(ctl_dir, "go2"), "w").close()
    supd.wait_state("w", "EXITED", 30)
    wait_for_last_line(log)
    got = file_lines(log)[:-1]
    want = [expected_line(n) for n in range(1, TOTAL + 1)]
    torn = [l for l in got if len(l) != 99]
    missing = len(set(want) - set(got))
    duplicated = len(got) - len(set(got))
    assert (missing, duplicated, len(torn)) == (0, 0, 0), \
        f"{missing} lines lost, {duplicated} duplicated, {len(torn)} torn of {TOTAL}"
    assert got == want
    assert paused, "the program was read on while the disk was full"
    assert f"output: write {log}: No space left on device" in table
    inst = supd.instance("w")
    assert inst["output_error"] == "" and inst["dropped_lines"] == 0


def test_full_disk_in_drop_mode_counts_the_dropped_lines_and_tears_none(supd, small_disk):
    log, ctl_dir, filler, table = run_phases(supd, small_disk, "drop")
    wait_until(lambda: os.path.exists(os.path.join(ctl_dir, "phase2-done")), 30,
               what="phase 2 written (drop mode never pauses)")
    wait_until(lambda: supd.instance("w")["dropped_lines"] > 0, 10, what="dropped lines counted")
    os.unlink(filler)
    open(os.path.join(ctl_dir, "go2"), "w").close()
    supd.wait_state("w", "EXITED", 30)
    wait_for_last_line(log)  # the last phase lands once space is back (and clears the error)
    inst = supd.instance("w")
    got = file_lines(log)[:-1]
    torn = [l for l in got if len(l) != 99]
    assert not torn, f"{len(torn)} torn lines, {len(got) - len(torn)} whole, " \
                     f"dropped_lines {inst['dropped_lines']}, of {TOTAL}"
    assert inst["output_error"] == ""
    assert f"output: write {log}: No space left on device" in table
    numbers = [int(l.split()[1]) for l in got]
    assert numbers == sorted(set(numbers))  # in order, none twice
    assert all(expected_line(n) == l for n, l in zip(numbers, got))
    assert len(got) + inst["dropped_lines"] == TOTAL
    assert inst["dropped_lines"] > 0

"""The command-line conventions of SPEC §9.3: --version on both binaries, NO_COLOR, did-you-mean
for unknown commands and options, supd --help naming itself, the status table cut (never
wrapped) to the terminal's width, what a waiting instance waits for, and supd logging every
escalation to SIGKILL with the program and the timeout."""
import fcntl
import os
import pty
import re
import struct
import subprocess
import termios

from conftest import SUPCTL, SUPD, wait_until


def run(*cmd, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=30, env=e)


def on_terminal(cmd, columns, env=None):
    """Runs cmd with stdout on a pseudo-terminal `columns` wide; returns (exit code, output)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    e = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS")}
    e.update(env or {})
    proc = subprocess.Popen(cmd, stdout=slave, stderr=subprocess.PIPE, env=e)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    proc.wait(timeout=30)
    return proc.returncode, out.decode(errors="replace").replace("\r\n", "\n")


def test_both_binaries_print_their_version_and_exit_0():
    for binary, name in ((SUPD, "supd"), (SUPCTL, "supctl")):
        r = run(binary, "--version")
        assert r.returncode == 0, r.stderr
        assert re.fullmatch(rf"{name} \d+\.\d+\.\d+\n", r.stdout), r.stdout


def test_supd_help_names_the_program():
    r = run(SUPD, "--help")
    assert r.returncode == 0
    assert "Usage: supd " in r.stdout or "Usage: " + SUPD in r.stdout, r.stdout


def test_unknown_commands_and_options_get_a_did_you_mean():
    r = run(SUPCTL, "stauts")
    assert r.returncode == 2
    assert "unknown command 'stauts' (did you mean 'status'?)" in r.stderr
    r = run(SUPCTL, "status", "--jsno")
    assert r.returncode == 2
    assert "(did you mean '--json'?)" in r.stderr
    r = run(SUPCTL, "logs", "--folow")
    assert r.returncode == 2 and "(did you mean '--follow'?)" in r.stderr
    r = run(SUPD, "--chek")
    assert r.returncode == 2
    assert "unknown option '--chek' (did you mean '--check'?)" in r.stderr


WIDE = """
[program.web]
command = ["sleep", "infinity"]
instances = 2

[program.a_program_with_a_rather_long_name_indeed]
command = ["sh", "-c", "echo STATUS=starting the long one up > /dev/null; sleep infinity"]
ready = "notify"
start_timeout = "0"
"""


def test_status_fits_the_terminal_and_no_color_turns_colour_off(supd):
    supd.start(WIDE)
    supd.wait_state("web:1", "RUNNING")
    for columns in (60, 200):
        code, out = on_terminal([SUPCTL, "-s", supd.sock, "status"], columns)
        assert code == 3, out  # the notify program is not ready
        lines = out.splitlines()
        assert len(lines) == 4, out  # header + 3 instances: nothing wrapped
        plain = [re.sub(r"\x1b\[[0-9;]*m", "", l) for l in lines]
        assert max(len(l) for l in plain) <= columns, out
        assert "\x1b[32mRUNNING" in out  # colour on a terminal
        if columns == 200:
            assert "waiting for READY=1" in out  # the whole note fits
        else:
            assert "waiting for READY=1" not in out  # the last column is cut, not wrapped
    code, out = on_terminal([SUPCTL, "-s", supd.sock, "status"], 200, env={"NO_COLOR": ""})
    assert "\x1b[" not in out and "RUNNING" in out, out
    code, out = on_terminal([SUPCTL, "-s", supd.sock, "top", "--once"], 60, env={"NO_COLOR": "1"})
    assert code == 0 and "\x1b[" not in out and "web:1" in out
    assert max(len(l) for l in out.splitlines()) <= 60, out


def test_a_waiting_instance_says_what_it_waits_for(supd):
    supd.start("""
        [program.db]
        command = ["sleep", "infinity"]
        ready = "notify"
        start_timeout = "0"

        [program.api]
        command = ["sleep", "infinity"]
        depends_on = ["db"]

        [program.checked]
        command = ["sleep", "infinity"]
        health = { exec = ["false"], interval = "100ms", retries = 1000, on_unhealthy = "mark" }

        [program.plain]
        command = ["sleep", "infinity"]
        """)
    supd.wait_state("plain", "RUNNING")
    status = lambda: run(SUPCTL, "-s", supd.sock, "status").stdout
    out = wait_until(lambda: (s := status()) and re.search(r"unhealthy \d+/1000", s) and s, 10,
                     what="unhealthy N/1000 in status")
    rows = {l.split()[0]: l for l in out.splitlines()[1:]}
    assert rows["db"].rstrip().endswith("waiting for READY=1"), out
    assert rows["api"].rstrip().endswith("waiting for db: ready"), out
    assert re.search(r"unhealthy \d+/1000$", rows["checked"].rstrip()), out
    # No health check: "-", never "unknown", in status and top.
    assert "unknown" not in out
    assert re.search(r"^plain\s+RUNNING\s+\d+\s+[\d.]+\s+\S+iB\s+\S+\s+0\s+ready\s+-\s*$", rows["plain"]), out
    top = run(SUPCTL, "-s", supd.sock, "top", "--once").stdout
    assert "unknown" not in top and "plain" in top
    # A starting instance has its pid in top too (the segment is republished after the fork).
    assert re.search(rf"^db\s+STARTING\s+{supd.instance('db')['pid']}\s", top, re.M), top


def test_supd_logs_each_escalation_to_sigkill_with_the_program_and_the_timeout(supd):
    supd.start("""
        [program.stubborn]
        command = ["sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"]
        stop_timeout = "300ms"
        """)
    supd.wait_state("stubborn", "RUNNING")
    r = run(SUPCTL, "-s", supd.sock, "stop", "stubborn")
    assert r.returncode == 0, r.stderr
    wait_until(lambda: re.search(r"stubborn: stop_timeout \(300ms\) expired: SIGKILL", supd.log()), 10,
               what="the SIGKILL log line")


def test_a_forced_shutdown_logs_the_sigkill_of_each_program(supd):
    supd.start("""
        [program.stubborn]
        command = ["sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"]
        stop_timeout = "60s"
        """)
    supd.wait_state("stubborn", "RUNNING")
    supd.proc.send_signal(15)
    wait_until(lambda: "shutting down" in supd.log(), 10, what="the shutdown")
    supd.proc.send_signal(15)
    supd.proc.wait(timeout=10)
    assert re.search(r"stubborn: SIGTERM during shutdown: SIGKILL to process group \d+", supd.log()), supd.log()

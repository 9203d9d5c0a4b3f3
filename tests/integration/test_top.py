"""`supctl top` driven for real on a terminal (SPEC §9.3): tmux runs it in a pane, send-keys
types, capture-pane reads the screen. Filter, stop from the keyboard, the log view, quitting by
q / Ctrl-C / SIGTERM / supd gone, a denial in the status line, and the terminal left exactly as
it was found (stty settings, alternate screen, cursor)."""
import os
import pwd
import shutil
import signal
import subprocess

import pytest

from conftest import SUPCTL, wait_until

# tmux comes with scripts/setup.sh --dev, which the test command runs: missing is a failure.
assert shutil.which("tmux"), "tmux is needed: scripts/setup.sh installs it"

PROGRAMS = """
[program.web]
command = ["/bin/sh", "-c", "i=0; while :; do i=$((i+1)); echo web line $i; sleep 0.2; done"]
instances = 2

[program.worker]
command = ["sleep", "infinity"]

[program.db]
command = ["sleep", "infinity"]
ready = "notify"
start_timeout = "0"
"""


class Pane:
    """One tmux server on its own socket, one pane running `command` (then recording its exit
    code and `stty -a` in the work dir, and staying open so the screen can be read)."""

    def __init__(self, workdir, command, columns=110, rows=16):
        self.dir = workdir
        self.sock = os.path.join(workdir, "tmux.sock")
        script = os.path.join(workdir, "pane.sh")
        # The pane's shell must run `top` in the foreground group to get the keyboard.
        with open(script, "w") as f:
            f.write(f"""stty -a > {workdir}/stty.before
echo $$ > {workdir}/top.pid
{command}
echo $? > {workdir}/top.rc
stty -a > {workdir}/stty.after
exec sleep 600
""")
        self.tmux("new-session", "-d", "-x", str(columns), "-y", str(rows), f"exec sh -c 'exec sh {script}'")
        self.server_pid = int(self.tmux("display-message", "-p", "#{pid}").strip())

    def tmux(self, *args):
        r = subprocess.run(["tmux", "-S", self.sock, "-f", "/dev/null", *args], capture_output=True,
                           text=True, timeout=10)
        assert r.returncode == 0, f"tmux {args}: {r.stderr}"
        return r.stdout

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "0", *keys)

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "0")

    def flag(self, name):
        return self.tmux("display-message", "-p", "-t", "0", "#{" + name + "}").strip()

    def wait_screen(self, predicate, what, timeout=10):
        """The first screen for which predicate holds."""
        seen = []

        def check():
            seen[:] = [self.screen()]
            return predicate(seen[0])
        try:
            wait_until(check, timeout, 0.05, what)
        except AssertionError as e:
            raise AssertionError(f"{e}; the screen:\n{seen[0] if seen else ''}") from None
        return seen[0]

    def exit_code(self, timeout=10):
        path = os.path.join(self.dir, "top.rc")
        wait_until(lambda: os.path.exists(path) and open(path).read().strip(), timeout, 0.05,
                   "top to exit:\n" + self.screen())
        return int(open(path).read())

    def top_pid(self):
        # top.pid holds the shell's pid; supctl runs as its child in the foreground.
        shell = int(open(os.path.join(self.dir, "top.pid")).read())
        def child():
            out = subprocess.run(["pgrep", "-P", str(shell), "-x", "supctl"], capture_output=True, text=True).stdout
            return int(out.split()[0]) if out.split() else None
        return wait_until(child, 10, 0.05, "supctl in the pane")

    def assert_terminal_restored(self):
        before = open(os.path.join(self.dir, "stty.before")).read()
        wait_until(lambda: os.path.exists(os.path.join(self.dir, "stty.after")), 10, 0.05, "stty after")
        wait_until(lambda: open(os.path.join(self.dir, "stty.after")).read(), 10, 0.05, "stty after")
        assert open(os.path.join(self.dir, "stty.after")).read() == before
        assert self.flag("alternate_on") == "0", "still on the alternate screen"
        assert self.flag("cursor_flag") == "1", "cursor left hidden"

    def close(self):
        try:
            os.kill(self.server_pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def pane_for(supd):
    panes = []

    def make(command=None, **kw):
        p = Pane(supd.dir, command or f"{SUPCTL} -s {supd.sock} top", **kw)
        panes.append(p)
        return p
    yield make
    for p in panes:
        p.close()


def started(supd):
    supd.start(PROGRAMS)
    for name in ("web:0", "web:1", "worker"):
        supd.wait_state(name, "RUNNING")
    return supd


def test_filter_stop_log_view_and_quit_leave_the_terminal_as_it_was(supd, pane_for):
    started(supd)
    pane = pane_for()
    screen = pane.wait_screen(lambda s: "worker" in s and "RUNNING" in s, "the table")
    assert pane.flag("alternate_on") == "1"
    for column in ("NAME", "STATE", "PID", "CPU%", "MEM", "UPTIME", "RESTARTS", "READY", "COUNTERS"):
        assert column in screen
    assert "unknown" not in screen  # no health check: "-", not "unknown"

    # Filter by name: only the web instances are left.
    pane.keys("/", "w", "e", "b", "Enter")
    screen = pane.wait_screen(lambda s: "filter: web" in s and "worker" not in s, "the filtered table")
    assert "web:0" in screen and "web:1" in screen

    # Stop from the keyboard: clear the filter, filter to worker, x.
    pane.keys("Escape", "/", "w", "o", "r", "k", "Enter")
    pane.wait_screen(lambda s: "filter: work" in s and "web:0" not in s, "worker alone")
    pane.keys("x")
    pane.wait_screen(lambda s: "worker: stop requested" in s, "the stop's status line")
    wait_until(lambda: supd.instance("worker")["state"] == "STOPPED", 10, what="worker stopped")
    pane.wait_screen(lambda s: any("worker" in l and "STOPPED" in l for l in s.splitlines()), "worker STOPPED")

    # The log view of web:0 follows its output until Esc.
    pane.keys("Escape", "/", "w", "e", "b", ":", "0", "Enter", "l")
    first = pane.wait_screen(lambda s: "log of web:0" in s and "web line" in s, "the log view")
    last = lambda s: max(int(l.split("web line ")[1].split()[0]) for l in s.splitlines() if "web line " in l)
    pane.wait_screen(lambda s: last(s) > last(first), "new lines in the log view")
    pane.keys("Escape")
    pane.wait_screen(lambda s: "NAME" in s and "log of" not in s, "back to the table")

    pane.keys("q")
    assert pane.exit_code() == 0
    pane.assert_terminal_restored()


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm", "supd-gone"])
def test_every_way_out_restores_the_terminal(supd, pane_for, how):
    started(supd)
    pane = pane_for()
    pane.wait_screen(lambda s: "worker" in s, "the table")
    if how == "ctrl-c":
        pane.keys("C-c")
        assert pane.exit_code() == 0
    elif how == "sigterm":
        os.kill(pane.top_pid(), signal.SIGTERM)
        assert pane.exit_code() == 0
    else:
        supd.stop()
        assert pane.exit_code() == 4  # supd not reachable
    pane.assert_terminal_restored()


def test_the_terminal_size_is_followed(supd, pane_for):
    started(supd)
    pane = pane_for(columns=120)
    pane.wait_screen(lambda s: "COUNTERS" in s, "the wide table")
    pane.tmux("resize-window", "-t", "0", "-x", "40", "-y", "16")
    screen = pane.wait_screen(lambda s: "COUNTERS" not in s and "NAME" in s, "the table cut to 40 columns")
    assert max(len(l) for l in screen.splitlines()) <= 40
    pane.keys("q")
    assert pane.exit_code() == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run supctl as another user")
def test_an_action_refused_by_supd_shows_in_the_status_line(supd, pane_for):
    supd.start(PROGRAMS, supervisor_extra='socket_mode = "0666"\nshm_mode = "0644"')
    supd.wait_state("worker", "RUNNING")
    os.chmod(supd.dir, 0o711)  # nobody may reach the socket, and supd may not act for it
    nobody = pwd.getpwnam("nobody")
    pane = pane_for(f"setpriv --reuid={nobody.pw_uid} --regid={nobody.pw_gid} --clear-groups "
                    f"{SUPCTL} -s {supd.sock} top")
    pane.wait_screen(lambda s: "worker" in s, "the table")
    pane.keys("/", "w", "o", "r", "k", "Enter", "x")
    pane.wait_screen(lambda s: "permission denied" in s, "the denial in the status line")
    assert supd.instance("worker")["state"] == "RUNNING"
    pane.keys("q")
    assert pane.exit_code() == 0
    pane.assert_terminal_restored()

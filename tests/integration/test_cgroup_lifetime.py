"""SPEC §9.2 cgroup containment against the real supd: an instance's program runs in its own
cgroup from its first instruction (it is born there), and that cgroup is the same directory
across the instance's restarts (made once per instance, not again at every spawn)."""
import os

import pytest

from conftest import wait_until
from test_resources import cgroup2_writable

pytestmark = pytest.mark.skipif(not cgroup2_writable(), reason="no writable cgroup v2 hierarchy on this host")


def cgroup2_root():
    """The mount point of the whole cgroup v2 hierarchy (its root "/")."""
    for line in open("/proc/self/mountinfo"):
        fields = line.split()
        sep = fields.index("-")
        if fields[sep + 1] == "cgroup2" and fields[3] == "/":
            return fields[4]
    raise AssertionError("no cgroup2 mount")


def cgroup_lines(supd):
    """The `0::` lines the program printed: one per run."""
    path = os.path.join(supd.dir, "logs", "restarts.log")
    text = open(path).read() if os.path.exists(path) else ""
    return [line for line in text.splitlines() if line.startswith("0::")]


def cgroup_inode(directory):
    """The cgroup directory's inode (kernfs gives a new cgroup a new one), once it exists."""
    return wait_until(lambda: os.path.isdir(directory) and os.stat(directory).st_ino, 10,
                      what=f"{directory} to exist")


def start_restarting_cat(supd, backoff):
    """`restarts`: `cat /proc/self/cgroup` into restarts.log, run again `backoff` after each exit."""
    supd.start(f"""
        [program.restarts]
        command = ["cat", "/proc/self/cgroup"]
        stdout = {{ file = "restarts.log", forward = false }}
        restart = "always"
        start_seconds = "0"
        backoff = {{ initial = "{backoff}", max = "{backoff}", factor = 1.0, jitter = 0.0 }}
        start_limit = {{ burst = 0 }}
        """)


def test_instance_cgroup_is_kept_across_restarts_and_holds_the_first_instruction(supd):
    start_restarting_cat(supd, "0.1s")
    # `cat` itself (the exec'd program, not a child of it) reports the instance's cgroup.
    first = wait_until(lambda: cgroup_lines(supd)[:1], 10, what="the first run's cgroup")[0]
    assert first.startswith("0::/") and first.split("/")[-2].startswith("sup") and \
        first.endswith("/restarts"), first
    directory = cgroup2_root() + first[3:]
    before = cgroup_inode(directory)
    lines = wait_until(lambda: len(cgroup_lines(supd)) >= 4 and cgroup_lines(supd), 20,
                       what="three restarts")
    assert set(lines) == {first}, lines
    assert cgroup_inode(directory) == before, "the instance's cgroup was made again at a restart"
    supd.stop()
    assert not os.path.exists(directory), "supd left the instance's cgroup behind"


def test_a_cgroup_removed_between_runs_is_made_again(supd):
    start_restarting_cat(supd, "1s")
    first = wait_until(lambda: cgroup_lines(supd)[:1], 10, what="the first run's cgroup")[0]
    directory = cgroup2_root() + first[3:]
    # Between two runs (BACKOFF: nothing lives in it) an operator removes the directory.
    wait_until(lambda: supd.instance("restarts")["state"] == "BACKOFF", 10, what="BACKOFF")
    os.rmdir(directory)
    runs = len(cgroup_lines(supd))
    lines = wait_until(lambda: len(cgroup_lines(supd)) > runs and cgroup_lines(supd), 10,
                       what="the next run")
    assert lines[-1] == first, lines
    assert supd.instance("restarts")["state"] != "FATAL", supd.log()

"""The benchmark suite's peer trees (bench/suplib/peers.py) against the real runit, s6 and
supervisord: each runs its programs, stops and restarts them on command, counts only its own
processes as its tree, and leaves no process and no file behind; and the report's ratio to the
best peer. A peer that is not installed is skipped (scripts/setup.sh --dev installs them)."""
import os
import sys

import pytest

from conftest import wait_until

sys.dont_write_bytecode = True  # keep bench/ free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
from suplib import peers  # noqa: E402
from suplib.figures import figure, line, with_peers  # noqa: E402
from suplib.harness import alive, read_stamps, wait_gone  # noqa: E402

ALL = [peers.Runit, peers.S6, peers.Supervisord]


def started_tree(cls, tag, count):
    """A tree of `count` programs that record their pid in the stamp format, then wait; '$$'
    and the quotes check that argv reaches the program unmangled by run scripts and
    supervisord's parser. Returns (tree, program pids)."""
    if cls not in peers.installed():
        pytest.skip(f"{cls.NAME} is not installed (scripts/setup.sh --dev)")
    tree = cls(tag)
    try:
        for i in range(count):
            tree.add(f"p{i}", ["/bin/sh", "-c", f"echo \"$$ 0 0\" >> '{tree.stamps}'; "
                               "exec sleep infinity"])
        tree.start()
        return tree, running_pids(tree, count)
    except BaseException:
        tree.close()
        raise


def running_pids(tree, count):
    def ready():
        pids = [s[0] for s in read_stamps(tree.stamps) if alive(s[0])]
        return pids if len(pids) == count else None
    return wait_until(ready, 30, 0.05, f"{count} programs running under {tree.NAME}")


@pytest.mark.parametrize("cls", ALL, ids=[c.NAME for c in ALL])
def test_tree_runs_stops_restarts_and_leaves_nothing(cls):
    tree, first = started_tree(cls, "test", 3)
    second = []
    try:
        own = tree.tree_pids()
        assert own and not set(own) & set(first)  # the tree is the peer's processes only
        tree.stop_all()
        wait_gone(first, 30)
        tree.start_all()
        second = running_pids(tree, 3)
        assert not set(second) & set(first)
    finally:
        directory = tree.dir
        tree.close()
    for pid in set(own) | set(first) | set(second):
        assert not alive(pid), f"{cls.NAME}: pid {pid} left running"
    assert not os.path.exists(directory)


@pytest.mark.parametrize("cls", ALL, ids=[c.NAME for c in ALL])
def test_shutdown_waits_for_every_process(cls):
    tree, programs = started_tree(cls, "test-shutdown", 2)
    try:
        own = tree.tree_pids()
        tree.program_pids.update(programs)
        tree.shutdown(timeout=30)
        assert not any(alive(p) for p in own + programs)
    finally:
        tree.close()


def test_ratio_to_the_best_peer():
    def timed(value):
        return line("r", "time", "", "ms", figure([value]), None)

    l = with_peers(timed(2.0), {"runit": [1.0], "s6": [4.0], "supervisord": []})
    assert l["best_peer"] == "runit" and l["peer_ratio"] == 2.0
    assert "supervisord" not in l["peers"]  # no samples: not measured
    fast = with_peers(line("c", "throughput", "", "MB/s", figure([300.0]), None,
                           higher_is_better=True), {"s6": [100.0], "supervisord": [600.0]})
    assert fast["best_peer"] == "supervisord" and fast["peer_ratio"] == 0.5
    zero = with_peers(timed(0.0), {"s6": [0.0], "runit": [2.0]})
    assert zero["best_peer"] == "s6" and zero["peer_ratio"] is None
    failed = with_peers(timed(1.0), {"s6": None, "runit": [2.0]}, "how")
    assert failed["best_peer"] == "runit" and "s6: could not run" in failed["peer_note"]

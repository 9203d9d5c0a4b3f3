"""SPEC §8 rows measured on the peers (peers.py) in the same run as sup, and the same way wherever
the peer can do what the row asks: the same probe programs, the same clocks, the same counts.
One function per row; each runs every installed peer and returns {peer name: samples} for
figures.with_peers. A peer that waits about a second before each restart gets fewer restarts
(see restart)."""
import time

from . import peers
from .harness import (BenchError, alive, count_lines, proc_memory, read_stamps, restart_gaps,
                      thread_switches, wait_gone, wait_until)


def close_all(trees):
    for tree in trees:
        tree.close()


def each_peer(ctx, tag, measure, parent=None):
    """{peer name: measure(tree)} over the installed peers, each in a fresh tree closed after.
    A peer that cannot run (BenchError) is logged and gets None: sup's row still stands."""
    results = {}
    for cls in peers.installed():
        tree = cls(tag, parent=parent)
        try:
            results[cls.NAME] = measure(tree)
        except BenchError as e:
            ctx.log(f"{cls.NAME} could not run the {tag} row: {e}")
            results[cls.NAME] = None
        finally:
            tree.close()
    return results


def probe_trees(ctx, tag, count, argv_of):
    """Every installed peer running `count` programs argv_of(tree) (names p00..), started and
    ready. The caller closes them (close_all)."""
    trees = []
    try:
        for cls in peers.installed():
            tree = cls(tag)
            trees.append(tree)
            for i in range(count):
                tree.add(f"p{i:03d}", argv_of(tree))
            tree.start()
        return trees
    except BaseException:
        close_all(trees)
        raise


def pause_probes(ctx, tag, count):
    """probe_trees of `stamp FILE pause`, returned once every probe has run."""
    trees = probe_trees(ctx, tag, count, lambda tree: [ctx.tools.stamp, tree.stamps, "pause"])
    try:
        for tree in trees:
            wait_until(lambda: count_lines(tree.stamps) >= count, 120,
                       what=f"{tree.NAME} starting {count} probes")
        return trees
    except BaseException:
        close_all(trees)
        raise


# ---- restart after a crash --------------------------------------------------------------------

def restart(ctx, count, skip):
    """Restart gaps (ms) of `stamp FILE exit 1` under each peer. runsv and s6-supervise wait a
    second before restarting a ./run that died at once, supervisord's loop wakes once a second:
    count stays small so that the row fits the time budget."""
    def one(tree):
        tree.add("crash", [ctx.tools.stamp, tree.stamps, "exit", "1"])
        tree.start()
        wait_until(lambda: count_lines(tree.stamps) >= count, 3 * count + 60, interval=0.05,
                   what=f"{tree.NAME} restarting {count} times")
        return restart_gaps(read_stamps(tree.stamps), skip)
    return each_peer(ctx, "restart", one)


# ---- stdout capture ---------------------------------------------------------------------------

def capture(ctx, workdir, count, line_bytes):
    """One run per peer of the line writer, its stdout into the peer's log (svlogd, s6-log,
    supervisord's stdout_logfile), unrotated or rotated without loss; MB/s from the writer's
    first instruction until the log holds every byte."""
    def one(tree):
        logs = tree.path("log")
        tree.add("writer", [ctx.tools.line_writer, tree.stamps, str(count)], restart=False,
                 log_dir=logs)
        tree.start()
        expected = count * line_bytes
        wait_until(lambda: tree.log_bytes(logs) >= expected, 600, interval=0.001,
                   what=f"{tree.NAME}'s log to hold {expected} bytes")
        done = time.monotonic()
        start_ns = read_stamps(tree.stamps)[0][1]
        return [expected / 1e6 / (done - start_ns / 1e9)]
    return each_peer(ctx, "capture", one, parent=workdir)


# ---- idle -------------------------------------------------------------------------------------

def idle_trees(ctx, count):
    """Every installed peer running `count` × `sleep infinity`, started and ready."""
    return probe_trees(ctx, "idle", count, lambda tree: ["/bin/sleep", "infinity"])


def tree_switches(tree):
    """Voluntary context switches so far, summed over every thread of the peer's own processes."""
    return sum(v for pid in tree.tree_pids() for _, v, _ in thread_switches(pid).values())


def tree_pss(tree):
    """PSS in MiB summed over the peer's own processes (its root and per-service supervisors)."""
    return sum(proc_memory(pid)["Pss"] for pid in tree.tree_pids()) / 2**20


# ---- spawning N and shutting down -------------------------------------------------------------

def spawn_and_shutdown(ctx, count, measure_shutdown):
    """{peer: (spawn ms, shutdown ms or None)}: from spawning the root to the last probe's first
    instruction, then from the shutdown signal until the root, its supervisors and every probe
    are gone."""
    def one(tree):
        for i in range(count):
            tree.add(f"p{i:04d}", [ctx.tools.stamp, tree.stamps, "pause"])
        started = tree.start(wait=False)
        wait_until(lambda: count_lines(tree.stamps) >= count, 180,
                   what=f"{tree.NAME} spawning {count}")
        stamps = read_stamps(tree.stamps)
        spawn_ms = (max(s[1] for s in stamps) / 1e9 - started) * 1e3
        if not measure_shutdown:
            return spawn_ms, None
        tree.wait_ready()
        tree.program_pids.update(s[0] for s in stamps)
        time.sleep(0.5)
        signalled = time.monotonic()
        return spawn_ms, (tree.shutdown() - signalled) * 1e3
    return each_peer(ctx, f"spawn{count}", one)


# ---- stopping N -------------------------------------------------------------------------------

def running_probes(tree, count):
    """The pids of the probes now running, once `count` of them are."""
    def probes():
        pids = [s[0] for s in read_stamps(tree.stamps) if alive(s[0])]
        return pids if len(pids) == count else None
    return wait_until(probes, 60, interval=0.05, what=f"{count} probes running under {tree.NAME}")


def stop(ctx, count, reps):
    """{peer: [ms]}: from the stop command (control FIFO letter `d` to every supervisor, or
    supervisord's stopAllProcesses over its socket, as sup's row uses the raw socket) until
    every probe is gone (pidfds: no polling)."""
    def one(tree):
        for i in range(count):
            tree.add(f"p{i:03d}", [ctx.tools.stamp, tree.stamps, "pause"])
        tree.start()
        runs = []
        for _ in range(reps):
            pids = running_probes(tree, count)
            time.sleep(0.3)
            began = time.monotonic()
            tree.stop_all()
            wait_gone(pids, 60, what=f"{tree.NAME}'s stopped probes to be gone")
            runs.append((time.monotonic() - began) * 1e3)
            tree.start_all()
        return runs
    return each_peer(ctx, "stop", one)

"""SPEC §8 rows on supd's steady state: stdout capture throughput into a log file on disk and on
tmpfs (vs the same writer piped into `cat > file`; `> file` for reference; the peers) with
lost lines counted, and 100 idle programs (supd's PSS and its voluntary context switches over
30 s, from /proc)."""
import os
import subprocess
import tempfile
import time

from . import peer_rows, peers
from .figures import figure, line, ratio_of, with_peers
from .harness import (BenchError, Supd, blocked_in, proc_memory, read_stamps,
                      thread_switches, wait_until)
from .programs import program

LINE_BYTES = 100


def verify_lines(path, count):
    """(lost, bad): numbered 100-byte lines missing from the file, and lines that are torn,
    duplicated or foreign."""
    seen = bytearray(count + 1)
    valid = bad = 0
    with open(path, "rb") as f:
        for text in f:
            if len(text) == LINE_BYTES and text[10:11] == b" " and text[:10].isdigit():
                n = int(text[:10])
                if 1 <= n <= count and not seen[n]:
                    seen[n] = 1
                    valid += 1
                    continue
            bad += 1
    return count - valid, bad


def capture_shell(ctx, workdir, count, through_cat=True):
    """The writer's stdout into the file through `| cat` (the baseline) or straight (`> file`,
    for reference: what the filesystem takes)."""
    t = ctx.tools
    stamp, out = os.path.join(workdir, "shell.stamp"), os.path.join(workdir, "shell.out")
    into = f'| cat > "{out}"' if through_cat else f'> "{out}"'
    subprocess.run([t.sh, "-c", f'"{t.line_writer}" "{stamp}" {count} {into}'],
                   check=True, timeout=300)
    done = time.monotonic()
    start_ns = read_stamps(stamp)[0][1]
    lost, bad = verify_lines(out, count)
    os.unlink(stamp)
    os.unlink(out)
    return count * LINE_BYTES / 1e6 / (done - start_ns / 1e9), lost + bad


def file_complete(path, expected):
    try:
        return os.stat(path).st_size >= expected
    except FileNotFoundError:
        return False


def capture_supd(ctx, workdir, count):
    t = ctx.tools
    supd = Supd(t, workdir_parent=workdir, tag="capture")
    try:
        stamp, out = supd.path("writer.stamp"), supd.path("writer.out")
        supd.write_config(program("writer", [t.line_writer, stamp, str(count)],
                                  restart='"never"') +
                          "[program.writer.stdout]\n"
                          f'file = "{out}"\nmax_size = 0\nforward = false\nbackpressure = "block"\n')
        supd.start(wait_socket=False)
        expected = count * LINE_BYTES
        try:
            wait_until(lambda: file_complete(out, expected), 300, interval=0.001,
                       what="the captured file to be complete")
            done = time.monotonic()
        except BenchError:
            done = None  # lines were lost: counted below
        start_ns = read_stamps(stamp)[0][1]
        lost, bad = verify_lines(out, count)
        dropped = sum(i.get("dropped_lines", 0) for i in supd.instances())
        if done is None:
            raise BenchError(f"supd captured {os.stat(out).st_size} of {expected} bytes "
                             f"({lost} lines lost, {dropped} counted as dropped)")
        return count * LINE_BYTES / 1e6 / (done - start_ns / 1e9), lost + bad
    finally:
        supd.close()


def filesystem_type(path):
    r = subprocess.run(["stat", "-f", "-c", "%T", path], capture_output=True, text=True)
    return r.stdout.strip() or "?"


# Where the files go: the root filesystem, as a deployment's /var/log (page cache, then the
# disk; tmpfs hides the cost of fresh pages and writeback), and tmpfs (the pipe and the
# capture alone).
def capture_places(ctx):
    disk = os.path.join(ctx.tools.build, "bench")
    os.makedirs(disk, exist_ok=True)
    return [("disk", disk), ("tmpfs", "/dev/shm")]


def capture(ctx):
    reps, count = ctx.reps(3, 2), ctx.reps(5_000_000, 1_000_000)
    installed = [cls.NAME for cls in peers.installed()]
    ctx.log(f"stdout capture: {reps} runs × {count} lines of 100 bytes on disk and tmpfs: "
            f"`> file`, `| cat > file`, supd, interleaved; one run of each peer "
            f"({', '.join(installed) or 'none installed'})")
    lines = []
    lost = 0
    for place, parent in capture_places(ctx):
        direct, shell, sup, peer_rates = [], [], [], {}
        with tempfile.TemporaryDirectory(prefix="sup-bench-capture-", dir=parent) as workdir:
            fs = filesystem_type(workdir)
            for rep in range(reps):
                direct.append(capture_shell(ctx, workdir, count, through_cat=False)[0])
                shell.append(capture_shell(ctx, workdir, count)[0])
                mbps, lost_here = capture_supd(ctx, workdir, count)
                sup.append(mbps)
                lost += lost_here
                if rep == 0:  # svlogd takes seconds per run: one run of each peer per place
                    peer_rates = peer_rows.capture(ctx, workdir, count, LINE_BYTES)
        base, value = figure(shell), figure(sup)
        ratio = ratio_of(value, base)
        others = [f"`writer > file` {fmt(figure(direct))}"]
        beaten = peer_rates.get("supervisord")
        met = ratio >= 0.8 and (not beaten or value["median"] > beaten[0])
        lines.append(with_peers(
            line("capture", f"stdout capture into a log file on {place} ({fs}): "
                 "throughput", "≥ 0.8×", "MB/s", value, met, base,
                 "`writer | cat > file`", ratio, higher_is_better=True,
                 note=f"{place}: {reps} runs each, interleaved, {count} lines "
                      f"({count * LINE_BYTES / 1e6:.0f} MB) per run, written 1000 "
                      "lines per write(); from the writer's first instruction to the "
                      "last byte in the file; for reference " + "; ".join(others)),
            peer_rates, "one run per peer and place (the time budget): the same writer as a "
                        "run-once service, its stdout into svlogd (`s0`: no rotation), s6-log "
                        "(`n100 s268435455`: rotated at 256 MiB, nothing dropped) or "
                        "supervisord's `stdout_logfile` (maxbytes 0), until the log holds every "
                        "byte; lines are not checked one by one for the peers"))
    lines.append(line("capture", "stdout capture: lines lost (all runs)", "0 lost", "lines",
                      figure([lost]), lost == 0, note="every line numbered and checked: missing, "
                      "torn or duplicated lines count as lost"))
    return lines


def fmt(fig):
    return f"{fig['median']:,.0f} MB/s ({fig['min']:,.0f}–{fig['max']:,.0f})"


# ---- idle ------------------------------------------------------------------------------------

def woken_threads(pid, before, after):
    """Which threads switched during the window, and where each sleeps now: the evidence for a
    wake-up (a timer shows as epoll_wait with a timeout argument other than -1)."""
    woken = []
    for tid, (name, voluntary, _) in sorted(after.items()):
        delta = voluntary - before.get(tid, (name, 0, 0))[1]
        if delta:
            role = "main thread" if tid == pid else f"thread {tid}"
            woken.append(f"{role} '{name}' ×{delta}, now in {blocked_in(pid, tid)}")
    return "; ".join(woken)


def idle(ctx):
    t = ctx.tools
    seconds = ctx.reps(30, 10)
    ctx.log(f"idle with 100 `sleep infinity` under supd and each peer, side by side: PSS and "
            f"context switches over {seconds} s")
    supd = Supd(t, tag="idle")
    trees = []
    try:
        trees = peer_rows.idle_trees(ctx, 100)
        supd.write_config("".join(program(f"s{i:03d}", ["/bin/sleep", "infinity"])
                                  for i in range(100)))
        supd.start()
        supd.wait_all("RUNNING", 100, timeout=60)
        time.sleep(3)  # let the last replies and timers settle
        pid = supd.proc.pid
        before = thread_switches(pid)
        peers_before = {tree.NAME: peer_rows.tree_switches(tree) for tree in trees}
        time.sleep(seconds)
        after = thread_switches(pid)
        peer_switches = {tree.NAME: [peer_rows.tree_switches(tree) - peers_before[tree.NAME]]
                         for tree in trees}
        peer_pss = {tree.NAME: [peer_rows.tree_pss(tree)] for tree in trees}
        processes = ", ".join(f"{tree.NAME} {len(tree.tree_pids())}" for tree in trees)
        memory = proc_memory(pid)
        voluntary = sum(v for _, v, _ in after.values()) - sum(v for _, v, _ in before.values())
        involuntary = sum(i for _, _, i in after.values()) - sum(i for _, _, i in before.values())
        evidence = woken_threads(pid, before, after)
    finally:
        peer_rows.close_all(trees)
        supd.close()
    pss = memory["Pss"] / 2**20
    note = (f"one {seconds} s window; {len(after)} threads; Rss {memory['Rss'] / 2**20:.1f} MiB, "
            f"Private_Dirty {memory.get('Private_Dirty', 0) / 2**20:.1f} MiB; involuntary "
            f"switches {involuntary}")
    peer_note = (f"the same {seconds} s window, each peer with 100 `sleep infinity` of its own; "
                 "summed over the peer's own processes, never its programs (runsvdir and its "
                 "runsv, s6-svscan and its s6-supervise, the supervisord process): "
                 f"{processes or 'no peer installed'}")
    return [with_peers(line("idle100", "idle, 100 programs: supd PSS", "≤ 8 MiB", "MiB",
                            figure([pss]), pss <= 8, note=note), peer_pss, peer_note),
            with_peers(line("idle100", f"idle, 100 programs: voluntary context switches in "
                            f"{seconds} s, all threads", "0", "switches", figure([voluntary]),
                            voluntary == 0, note=(evidence + "; " if evidence else "") + note),
                       peer_switches, peer_note)]

"""SPEC §8 rows on supd's steady state: stdout capture throughput into a log file (vs the same
writer piped into `cat > file`) with lost lines counted, and 100 idle programs (supd's PSS and
its voluntary context switches over 30 s, from /proc)."""
import os
import subprocess
import tempfile
import time

from .figures import figure, line, ratio_of
from .harness import (BenchError, Supd, blocked_in, proc_memory, read_stamps, thread_switches,
                      wait_until)
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


def capture_shell(ctx, workdir, count):
    t = ctx.tools
    stamp, out = os.path.join(workdir, "shell.stamp"), os.path.join(workdir, "shell.out")
    subprocess.run([t.sh, "-c", f'"{t.line_writer}" "{stamp}" {count} | cat > "{out}"'],
                   check=True, timeout=300)
    done = time.monotonic()
    start_ns = read_stamps(stamp)[0][1]
    lost, bad = verify_lines(out, count)
    os.unlink(stamp)
    os.unlink(out)
    return count * LINE_BYTES / 1e6 / (done - start_ns / 1e9), lost + bad


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

        def complete():
            try:
                return os.stat(out).st_size >= expected
            except FileNotFoundError:
                return False
        try:
            wait_until(complete, 300, interval=0.001, what="the captured file to be complete")
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


def capture(ctx):
    reps, count = ctx.reps(5, 3), ctx.reps(1_000_000, 300_000)
    ctx.log(f"stdout capture: {reps} runs × {count} lines of 100 bytes, `| cat > file` and supd")
    shell, sup, lost = [], [], 0
    # tmpfs: what is compared is the pipe and the capture, not the disk.
    with tempfile.TemporaryDirectory(prefix="sup-bench-capture-", dir="/dev/shm") as workdir:
        for _ in range(reps):
            mbps, _ = capture_shell(ctx, workdir, count)
            shell.append(mbps)
            mbps, lost_here = capture_supd(ctx, workdir, count)
            sup.append(mbps)
            lost += lost_here
    base, value = figure(shell), figure(sup)
    ratio = ratio_of(value, base)
    return [line("capture", "stdout capture into a log file: throughput", "≥ 0.8×", "MB/s", value,
                 ratio >= 0.8, base, "`writer | cat > file`", ratio, higher_is_better=True,
                 note=f"{reps} runs each, {count} lines ({count * LINE_BYTES / 1e6:.0f} MB) per run, "
                      "files on tmpfs; from the writer's first instruction to the last byte in the "
                      "file"),
            line("capture", "stdout capture: lines lost (all runs)", "0 lost", "lines",
                 figure([lost]), lost == 0, note="every line numbered and checked: missing, torn "
                 "or duplicated lines count as lost")]


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
    ctx.log(f"idle with 100 `sleep infinity`: PSS and context switches over {seconds} s")
    supd = Supd(t, tag="idle")
    try:
        supd.write_config("".join(program(f"s{i:03d}", ["/bin/sleep", "infinity"])
                                  for i in range(100)))
        supd.start()
        supd.wait_all("RUNNING", 100, timeout=60)
        time.sleep(3)  # let the last replies and timers settle
        pid = supd.proc.pid
        before = thread_switches(pid)
        time.sleep(seconds)
        after = thread_switches(pid)
        memory = proc_memory(pid)
        voluntary = sum(v for _, v, _ in after.values()) - sum(v for _, v, _ in before.values())
        involuntary = sum(i for _, _, i in after.values()) - sum(i for _, _, i in before.values())
        evidence = woken_threads(pid, before, after)
    finally:
        supd.close()
    pss = memory["Pss"] / 2**20
    note = (f"one {seconds} s window; {len(after)} threads; Rss {memory['Rss'] / 2**20:.1f} MiB, "
            f"Private_Dirty {memory.get('Private_Dirty', 0) / 2**20:.1f} MiB; involuntary "
            f"switches {involuntary}")
    return [line("idle100", "idle, 100 programs: supd PSS", "≤ 8 MiB", "MiB", figure([pss]),
                 pss <= 8, note=note),
            line("idle100", f"idle, 100 programs: voluntary context switches in {seconds} s, all "
                 "threads", "0", "switches", figure([voluntary]), voluntary == 0,
                 note=(evidence + "; " if evidence else "") + note)]

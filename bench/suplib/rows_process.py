"""SPEC §8 rows on processes: restart latency, spawning 200 and 1000 programs, stopping 100,
a full shutdown with 200, and SIGTERM → exit as PID 1. Times come from CLOCK_MONOTONIC stamps
that the probe writes at its first instruction, or from this driver's own monotonic clock."""
import os
import signal
import subprocess
import tempfile
import threading
import time

from . import peer_rows
from .figures import figure, line, ratio_of, with_peers
from .harness import (BenchError, Supd, alive, children_of, count_lines, kill_and_reap,
                      read_stamps, restart_gaps, wait_until)
from .programs import program, stamp_programs


# ---- restart latency ------------------------------------------------------------------------

def restart_shell(ctx, workdir, count):
    t = ctx.tools
    path = os.path.join(workdir, "shell.stamps")
    shell = subprocess.Popen([t.sh, "-c", f'while :; do "{t.stamp}" "{path}" exit 1; done'])
    try:
        wait_until(lambda: count_lines(path) >= count, 120, what="shell restart loop")
    finally:
        shell.kill()
        shell.wait()
        kill_and_reap([s[0] for s in read_stamps(path)])
    return read_stamps(path)


def restart_supd(ctx, count):
    t = ctx.tools
    supd = Supd(t, tag="restart")
    try:
        path = supd.path("stamps")
        supd.write_config(program("crash", [t.stamp, path, "exit", "1"], restart='"always"',
                                  start_seconds='"0s"',
                                  backoff='{ initial = "0s", max = "0s", factor = 1.0, jitter = 0.0 }',
                                  start_limit="{ burst = 0 }"))
        supd.start()
        wait_until(lambda: count_lines(path) >= count, 120, what="supd restarts")
        stamps = read_stamps(path)
        supd.known_pids.update(s[0] for s in stamps)
        return stamps
    finally:
        supd.close()


def restart(ctx):
    rounds, count = ctx.reps(2, 1), ctx.reps(160, 80)
    skip = 10
    ctx.log(f"restart latency: {rounds} round(s) × {count} restarts, shell loop and supd")
    shell, sup = [], []
    with tempfile.TemporaryDirectory(prefix="sup-bench-restart-") as workdir:
        for _ in range(rounds):
            shell += restart_gaps(restart_shell(ctx, workdir, count), skip)
            os.unlink(os.path.join(workdir, "shell.stamps"))
            sup += restart_gaps(restart_supd(ctx, count), skip)
    peer_count = ctx.reps(7, 4)
    ctx.log(f"restart latency of the peers: {peer_count} restarts each (about 1 s apart)")
    peers = peer_rows.restart(ctx, peer_count, 1)
    base, value = figure(shell), figure(sup)
    ratio = ratio_of(value, base)
    return [with_peers(
        line("restart", "restart latency: program dies → next run's first instruction",
             "≤ 1.5×", "ms", value, ratio <= 1.5, base, "`while :; do prog; done` (sh)", ratio,
             note=f"{len(sup)} restarts (supd), {len(shell)} (shell); backoff 0, start_limit "
                  f"off, start_seconds 0; probe exits 1 at once"),
        peers, f"{peer_count - 2} gaps per peer (the first restart dropped): each waits about a "
               "second by design and none documents an option to shorten it: runsv waits a "
               "second before restarting a ./run that exited at once (runsv(8)), s6-supervise "
               "likewise spaces respawns of a ./run that died at once by a second, supervisord "
               "restarts from its main loop, which wakes once a second; run scripts are "
               "`#!/bin/sh` + `exec prog`, supervisord has `startsecs = 0`")]


# ---- spawning N programs, and the full shutdown that follows --------------------------------

def spawn_shell(ctx, workdir, count):
    t = ctx.tools
    path = os.path.join(workdir, f"shell{count}.stamps")
    script = (f'i=0; while [ $i -lt {count} ]; do "{t.stamp}" "{path}" pause & '
              f'i=$((i+1)); done')
    started = time.monotonic()
    shell = subprocess.Popen([t.sh, "-c", script])
    try:
        wait_until(lambda: count_lines(path) >= count, 120, what=f"shell spawning {count}")
        stamps = read_stamps(path)
        return (max(s[1] for s in stamps) / 1e9 - started) * 1e3
    finally:
        shell.wait()
        kill_and_reap([s[0] for s in read_stamps(path)])
        os.unlink(path)


def spawn_supd(ctx, count, measure_shutdown, supervisor_extra=""):
    """Returns (spawn ms, shutdown ms or None)."""
    t = ctx.tools
    supd = Supd(t, tag=f"spawn{count}")
    try:
        path = supd.path("stamps")
        supd.write_config(stamp_programs(t, count, path), supervisor_extra)
        started = supd.start(wait_socket=False)
        wait_until(lambda: count_lines(path) >= count, 180, what=f"supd spawning {count}")
        stamps = read_stamps(path)
        pids = [s[0] for s in stamps]
        supd.known_pids.update(pids)
        spawn_ms = (max(s[1] for s in stamps) / 1e9 - started) * 1e3
        if not measure_shutdown:
            return spawn_ms, None
        supd.wait_all("RUNNING", count, timeout=60)
        time.sleep(0.5)
        signalled = time.monotonic()
        exited = supd.terminate(timeout=60)
        left = [p for p in pids if alive(p)]
        if left:
            wait_until(lambda: not any(alive(p) for p in left), 30,
                       what=f"{len(left)} programs left after supd exited")
            exited = time.monotonic()
        if supd.proc.returncode != 0:
            raise BenchError(f"supd exited {supd.proc.returncode} on SIGTERM: {supd.log_tail(500)}")
        return spawn_ms, (exited - signalled) * 1e3
    finally:
        supd.close()


def spawn_and_shutdown(ctx):
    lines = []
    with tempfile.TemporaryDirectory(prefix="sup-bench-spawn-") as workdir:
        for count, reps in ((200, ctx.reps(5, 3)), (1000, ctx.reps(3, 1))):
            peer_reps = ctx.reps(3, 1) if count == 200 else 0  # the peers take seconds each
            ctx.log(f"spawn {count}: {reps} run(s) each of a shell loop and supd"
                    f"{f', {peer_reps} of each peer' if peer_reps else ''}")
            shell, sup, sup_off, shutdown = [], [], [], []
            peer_spawn, peer_shutdown = {}, {}
            for rep in range(reps):
                shell.append(spawn_shell(ctx, workdir, count))
                spawn_ms, shutdown_ms = spawn_supd(ctx, count, measure_shutdown=count == 200)
                sup.append(spawn_ms)
                # The same without cgroup containment (SPEC §9.2): what a cgroup per instance
                # costs where supd can make them (a mkdir, a write to cgroup.procs).
                sup_off.append(spawn_supd(ctx, count, False, 'cgroup = "off"')[0])
                if shutdown_ms is not None:
                    shutdown.append(shutdown_ms)
                if rep < peer_reps:
                    for name, result in peer_rows.spawn_and_shutdown(
                            ctx, count, measure_shutdown=True).items():
                        spawned, stopped = result or (None, None)
                        peer_spawn.setdefault(name, []).extend([spawned] if spawned else [])
                        peer_shutdown.setdefault(name, []).extend([stopped] if stopped else [])
            base, value, off = figure(shell), figure(sup), figure(sup_off)
            ratio, off_ratio = ratio_of(value, base), ratio_of(off, base)
            lines.append(line(f"spawn{count}off", f"spawn {count}, `cgroup = \"off\"` (process "
                              "groups only), for reference", "(≤ 1.2×)", "ms", off,
                              off_ratio <= 1.2, base, "sh loop, `prog &` ×" + str(count),
                              off_ratio, note=f"{reps} run(s), interleaved with the row above"))
            lines.append(with_peers(
                line(f"spawn{count}", f"spawn {count} programs until each ran its first "
                     "instruction (`start_seconds = 0`)", "≤ 1.2×", "ms", value,
                     ratio <= 1.2, base, "sh loop, `prog &` ×" + str(count), ratio,
                     note=f"{reps} run(s) each; supd's figure includes its own exec and "
                          "config load (from `supd` spawn to the last probe's stamp); "
                          "`cgroup` as detected (\"auto\": a cgroup per instance where "
                          "supd can make them)"),
                peer_spawn, f"{peer_reps} run(s) per peer: from spawning runsvdir, s6-svscan or "
                            "supervisord to the last probe's stamp; s6 and runit start each "
                            "probe through a `#!/bin/sh` run script, as their users do"))
            if shutdown:
                fig = figure(shutdown)
                lines.append(with_peers(
                    line("shutdown200", "full shutdown of supd with 200 programs → all "
                         "gone (SIGTERM → supd exited)", "≤ 500 ms", "ms", fig,
                         fig["median"] <= 500, note=f"{len(shutdown)} runs; probes exit on SIGTERM"),
                    peer_shutdown, "after each peer's spawn run: from the documented stop-all "
                                   "signal (SIGHUP to runsvdir, SIGTERM to s6-svscan and to "
                                   "supervisord) until the root, its supervisors and every probe "
                                   "are gone"))
    return lines


# ---- stopping 100 programs ------------------------------------------------------------------

def stop100(ctx):
    t = ctx.tools
    reps = ctx.reps(7, 3)
    ctx.log(f"stop 100 programs: {reps} runs")
    supd = Supd(t, tag="stop")
    samples = []
    try:
        supd.write_config(stamp_programs(t, 100, supd.path("stamps")))
        supd.start()
        for _ in range(reps):
            items = supd.wait_all("RUNNING", 100, timeout=60)
            pids = [i["pid"] for i in items]
            time.sleep(0.3)
            began = time.monotonic()
            replies = supd.request("stop", {"select": ["all"], "wait": True})
            done = time.monotonic()
            failed = [r for r in replies if not r.get("ok") or
                      r.get("result", {}).get("outcome", "ok") != "ok"]
            if failed or not replies[-1].get("end"):
                raise BenchError(f"stop all failed: {failed[:3] or replies[-1:]}")
            if any(alive(p) for p in pids):
                wait_until(lambda: not any(alive(p) for p in pids), 30, interval=0.001,
                           what="stopped programs to be gone")
                done = time.monotonic()
            samples.append((done - began) * 1e3)
            supd.request("start", {"select": ["all"], "wait": True})
    finally:
        supd.close()
    peer_reps = ctx.reps(5, 2)
    ctx.log(f"stop 100 programs under each peer: {peer_reps} runs")
    peers = peer_rows.stop(ctx, 100, peer_reps)
    fig = figure(samples)
    return [with_peers(
        line("stop100", "stop 100 programs that exit on SIGTERM → all gone", "≤ 100 ms", "ms",
             fig, fig["median"] <= 100,
             note=f"{reps} runs of `stop all` with `wait` over the raw socket, until its end "
                  "line and every pid gone"),
        peers, f"{peer_reps} runs per peer, without the client's start-up as for supd: `d` written "
               "to each service's supervise/control FIFO (what `sv down` and `s6-svc -d` write) "
               "or supervisord's `stopAllProcesses` over its socket (what `supervisorctl stop "
               "all` sends), until every probe is gone (pidfds)")]


# ---- SIGTERM -> exit as PID 1 ---------------------------------------------------------------

def pid1_once(ctx, kind, workdir):
    """One PID-1 run under unshare; returns ms from SIGTERM to the namespace's init exiting."""
    t = ctx.tools
    ns = [t.unshare, "--pid", "--fork", "--mount-proc"]
    supd = proc = None
    path = os.path.join(workdir, f"{kind}.stamps")
    try:
        if kind in ("tini", "dumb-init"):
            init = [t.tini, "--"] if kind == "tini" else [t.dumb_init]
            proc = subprocess.Popen([*ns, *init, t.stamp, path, "pause"], stdin=subprocess.DEVNULL)
        elif kind == "supd-init":
            proc = subprocess.Popen([*ns, t.supd, "--", t.stamp, path, "pause"],
                                    stdin=subprocess.DEVNULL)
        else:
            supd = Supd(t, tag="pid1")
            supd.write_config(program("prog", [t.stamp, path, "pause"], start_seconds='"0s"'),
                              'cgroup = "off"' if kind == "supd-off" else "")
            supd.start(argv_prefix=ns)
            proc = supd.proc
        wait_until(lambda: count_lines(path) >= 1 or proc.poll() is not None, 30,
                   what=f"{kind} to start its program")
        if proc.poll() is not None:
            raise BenchError(f"{kind} under unshare exited early with {proc.returncode}")
        time.sleep(0.2)
        init = children_of(proc.pid)
        if len(init) != 1:
            raise BenchError(f"unshare has {len(init)} children, expected 1")
        watchdog = threading.Timer(60, proc.kill)
        watchdog.start()
        began = time.monotonic()
        os.kill(init[0], signal.SIGTERM)
        proc.wait()
        done = time.monotonic()
        watchdog.cancel()
        return (done - began) * 1e3
    finally:
        program_pids = [s[0] for s in read_stamps(path)]
        if supd is not None:
            supd.close(program_pids)
        elif proc is not None:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            kill_and_reap(program_pids)
        if os.path.exists(path):
            os.unlink(path)


def pid1(ctx):
    reps = ctx.reps(7, 3)
    kinds = ["tini", "supd", "supd-off", "supd-init"] + (["dumb-init"] if ctx.tools.dumb_init else [])
    ctx.log(f"PID 1 SIGTERM → exit: {reps} runs each of {', '.join(kinds)}")
    samples = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory(prefix="sup-bench-pid1-") as workdir:
        for rep in range(reps):
            for kind in (kinds if rep % 2 == 0 else kinds[::-1]):
                samples[kind].append(pid1_once(ctx, kind, workdir))
    base = figure(samples["tini"])
    value, init = figure(samples["supd"]), figure(samples["supd-init"])
    off = figure(samples["supd-off"])
    ratio, init_ratio, off_ratio = ratio_of(value, base), ratio_of(init, base), ratio_of(off, base)
    note = (f"{reps} runs each, interleaved, under `unshare --pid --fork --mount-proc`; time from "
            "kill(SIGTERM) to unshare reaping the namespace's init")
    peers = {k: samples[k] for k in ("tini", "dumb-init") if k in samples}
    peer_note = ("the same runs: tini and dumb-init (`dumb-init prog`, its default "
                 "process-group mode) as the namespace's init" +
                 ("" if ctx.tools.dumb_init else "; dumb-init not installed"))
    # SPEC §9.5: `supd -c` with one program ≤ 1.5× tini, init mode ≤ 1.2× tini.
    return [with_peers(line("pid1", "as PID 1: SIGTERM → supd exited (`supd -c`, one program "
                            "exiting on TERM)", "≤ 1.5×", "ms", value, ratio <= 1.5, base, "tini",
                            ratio, note=note), peers, peer_note),
            line("pid1off", "as PID 1, `supd -c` with `cgroup = \"off\"` (process groups only), "
                 "for reference", "(≤ 1.5×)", "ms", off, off_ratio <= 1.5, base, "tini", off_ratio,
                 note=note),
            with_peers(line("pid1", "as PID 1, init mode (`supd -- prog`)",
                            "≤ 1.2×", "ms", init, init_ratio <= 1.2, base, "tini", init_ratio,
                            note=note), peers, peer_note)]

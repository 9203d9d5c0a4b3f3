"""SPEC §8 rows on the control plane, all against one supd running 10 programs:
`supctl status` wall time vs /bin/true, the one-client round trip, and 100 clients for 10 s."""
import statistics

from . import peer_rows
from .figures import figure, line, ratio_of, scaled, with_peers
from .harness import BenchError, Supd
from .programs import stamp_programs


def run(ctx):
    t = ctx.tools
    supd = Supd(t, tag="control")
    trees = []
    try:
        supd.write_config(stamp_programs(t, 10, supd.path("stamps")))
        supd.start()
        supd.wait_all("RUNNING", 10, timeout=60)
        trees = peer_rows.pause_probes(ctx, "status", 10)
        lines = status_wall_time(ctx, supd, trees)
        peer_rows.close_all(trees)  # idle trees, but supervisord wakes every second
        lines += round_trip(ctx, supd)
        lines += many_clients(ctx, supd)
        return lines
    finally:
        peer_rows.close_all(trees)
        supd.close()


def status_wall_time(ctx, supd, trees):
    """supctl status against /bin/true and, interleaved in the same exec_timer run, each peer's
    status command over its own 10 probes."""
    t = ctx.tools
    runs = ctx.reps(60, 20)
    ctx.log(f"supctl status (10 programs) vs /bin/true and {len(trees)} peers: {runs} "
            "interleaved runs each")
    argv = [t.exec_timer, "--runs", str(runs), "--warmup", "5",
            "--", t.true, "--", t.supctl, "-s", supd.sock, "status",
            "--", t.status_floor, supd.sock]
    for tree in trees:
        argv += ["--", *tree.status_argv()]
    out = ctx.run_json(argv, timeout=900)
    true_cmd, status_cmd, floor_cmd, *peer_cmds = out["commands"]
    bad = {c: n for c, n in status_cmd["exit_codes"].items() if c not in ("0", "3")}
    if bad:
        raise BenchError(f"supctl status exited with {bad}: {supd.log_tail(500)}")
    if set(floor_cmd["exit_codes"]) - {"0"}:
        raise BenchError(f"status_floor exited with {floor_cmd['exit_codes']}")
    base = scaled(figure(true_cmd["samples_ns"]), 1e-6)
    value = scaled(figure(status_cmd["samples_ns"]), 1e-6)
    ratio = ratio_of(value, base)
    floor = scaled(figure(floor_cmd["samples_ns"]), 1e-6)
    floor_ratio = ratio_of(floor, base)
    peers, failed = {}, []
    for tree, cmd in zip(trees, peer_cmds):
        if set(cmd["exit_codes"]) - {"0"}:
            failed.append(f"{tree.NAME} exited {cmd['exit_codes']}")
        else:
            peers[tree.NAME] = [s * 1e-6 for s in cmd["samples_ns"]]
    note = ("`sv status DIR…` (one call, runit), `s6-svstat DIR` once per service from one "
            "`sh -c` (s6 has no all-services status), `supervisorctl -c CONF status` "
            "(supervisord); each over 10 `stamp pause` probes of its own, in the same "
            "exec_timer run")
    note = "; ".join([note, *failed])
    return [with_peers(line("status10", "`supctl status`, 10 programs (wall time)", "≤ 1.2×",
                            "ms", value, ratio <= 1.2, base, "`/bin/true`", ratio,
                            note=f"{runs} runs each, interleaved; posix_spawn → waitpid"),
                       peers, note),
            line("status10floor", "the same `status` from a minimal C client (connect, one "
                 "request, the raw reply to stdout), for reference: the row's floor", "(≤ 1.2×)",
                 "ms", floor, floor_ratio <= 1.2, base, "`/bin/true`", floor_ratio,
                 note="bench/status_floor.c, in the same exec_timer run: what is left with no "
                      "C++ start-up, no parsing and no table")]


def round_trip(ctx, supd):
    t = ctx.tools
    runs, requests = ctx.reps(5, 3), ctx.reps(20000, 5000)
    ctx.log(f"control round trip, one client: {runs} runs × {requests} `version` requests")
    results = [ctx.run_json([t.rtt_client, "--socket", supd.sock, "--clients", "1",
                             "--requests", str(requests), "--warmup", "2000"])
               for _ in range(runs)]
    for r in results:
        if r["errors"]:
            raise BenchError(f"{r['errors']} `version` requests failed")
    p50 = figure(r["p50_us"] for r in results)
    p99 = figure(r["p99_us"] for r in results)
    note = f"{runs} runs × {requests} requests back to back on one connection (C++ client)"
    return [line("rtt", "control round trip (`version`), one client: p50", "p50 ≤ 50 µs", "µs",
                 p50, p50["median"] <= 50, note=note),
            line("rtt", "control round trip (`version`), one client: p99", "p99 ≤ 200 µs", "µs",
                 p99, p99["median"] <= 200, note=note)]


def many_clients(ctx, supd):
    t = ctx.tools
    runs, seconds = ctx.reps(1, 1), ctx.reps(10, 5)
    ctx.log(f"100 clients × {seconds} s of `version`, {runs} run(s)")
    results = [ctx.run_json([t.rtt_client, "--socket", supd.sock, "--clients", "100",
                             "--seconds", str(seconds), "--warmup", "50"], timeout=seconds + 120)
               for _ in range(runs)]
    for r in results:
        if r["errors"]:
            raise BenchError(f"{r['errors']} `version` requests failed under 100 clients")
    rps = figure(r["rps"] for r in results)
    p99 = figure(r["p99_us"] / 1000 for r in results)
    spreads = [max(r["client_medians_us"]) / r["p50_us"] for r in results]
    spread = figure(spreads)
    medians = results[-1]["client_medians_us"]
    note = (f"{runs} run(s) of {seconds} s (10-minute budget); {results[-1]['requests']} requests; "
            f"overall p50 {results[-1]['p50_us']:.0f} µs; client medians "
            f"{min(medians):.0f}–{max(medians):.0f} µs (stdev "
            f"{statistics.pstdev(medians):.0f}); the 100 client threads share the 2 cores with supd")
    return [line("clients100", "100 clients, `version` back to back: throughput", "≥ 20 000 req/s",
                 "req/s", rps, rps["median"] >= 20000, note=note, higher_is_better=True),
            line("clients100", "100 clients: p99 round trip", "p99 ≤ 10 ms", "ms", p99,
                 p99["median"] <= 10, note=note),
            line("clients100", "100 clients: slowest client's median / overall median",
                 "≤ 2×", "×", spread, spread["median"] <= 2, note=note)]

#!/usr/bin/env python3
"""Runs every benchmark of SPEC §8 against a build of sup and rewrites BENCHMARKS.md.

    python3 bench/run.py --build build            # all rows, under 10 minutes on 2 cores
    python3 bench/run.py --build build --only capture,pid1   # rerun some rows, keep the others

Standard library only. Needs the build's supd/supctl and bench programs (built on demand with
`cmake --build BUILD --target sup_bench supd supctl`), tini and unshare for the PID 1 row,
the peers where installed (runit, s6, supervisord, dumb-init: see suplib/peers.py),
strace for the system-call evidence, and root for the 10 000-program row's limits and for
unshare. Raw results go to BUILD/bench/results.json. Exits 0 when every benchmark ran (whether
or not it met its target), 1 when one could not run, 2 on a usage error.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import traceback

sys.dont_write_bytecode = True  # keep bench/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from suplib import peers, report, rows_control, rows_output, rows_process, rows_resources, rows_scale  # noqa: E402
from suplib.context import Context, Tools, raise_limits  # noqa: E402
from suplib.harness import BenchError, become_subreaper, load_average  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Row groups in the order they run; each returns table lines for one or more SPEC §8 rows.
GROUPS = [
    ("control", ["status10", "status10floor", "rtt", "clients100"], rows_control.run),
    ("restart", ["restart"], rows_process.restart),
    ("capture", ["capture"], rows_output.capture),
    ("spawn", ["spawn200", "spawn200off", "spawn1000", "spawn1000off", "shutdown200"], rows_process.spawn_and_shutdown),
    ("stop", ["stop100"], rows_process.stop100),
    ("pid1", ["pid1", "pid1off"], rows_process.pid1),
    ("agent", ["agent"], rows_scale.agent_counter),
    ("idle", ["idle100"], rows_output.idle),
    ("scale", ["scale10k"], rows_scale.scale),
    ("resources", ["resources1k"], rows_resources.accounting),
]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build", help="the CMake build dir (default: build)")
    p.add_argument("--only", default="", help="comma-separated groups to run: " +
                   ", ".join(g[0] for g in GROUPS) + " (the other rows are kept from results.json)")
    p.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    p.add_argument("--output", default=os.path.join(REPO, "BENCHMARKS.md"),
                   help="the report to rewrite (default: BENCHMARKS.md at the repository root)")
    args = p.parse_args()
    args.only = [g for g in args.only.split(",") if g]
    unknown = set(args.only) - {g[0] for g in GROUPS}
    if unknown:
        p.error(f"unknown group(s): {', '.join(sorted(unknown))}")
    return args


def build_type(build):
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for text in f:
                if text.startswith("CMAKE_BUILD_TYPE:"):
                    return text.split("=", 1)[1].strip() or "(none)"
    except OSError:
        pass
    return "?"


def ensure_built(tools, ctx):
    if not tools.missing():
        return
    ctx.log("building the bench programs: cmake --build " + tools.build)
    r = subprocess.run(["cmake", "--build", tools.build, "-j2", "--target", "sup_bench", "supd",
                        "supctl"], capture_output=True, text=True)
    if r.returncode != 0 or tools.missing():
        raise BenchError("could not build " + ", ".join(tools.missing() or ["the bench targets"]) +
                         ": " + r.stdout[-1500:] + r.stderr[-1500:])


def main():
    args = parse_args()
    tools = Tools(args.build)
    ctx = Context(tools, quick=args.quick)
    results_path = os.path.join(tools.build, "bench", "results.json")
    try:
        ensure_built(tools, ctx)
        become_subreaper()
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    if build_type(tools.build) not in ("Release", "RelWithDebInfo"):
        ctx.log(f"warning: {tools.build} is a {build_type(tools.build)} build; figures will be "
                "pessimistic (configure with -DCMAKE_BUILD_TYPE=RelWithDebInfo)")
    raise_limits(4096)

    previous = {}
    if args.only and os.path.exists(results_path):
        with open(results_path) as f:
            previous = json.load(f)
    began, load_start = time.monotonic(), load_average()
    lines, errors, loads = [], [], dict(previous.get("loads", {}))
    for name, rows, run in GROUPS:
        if args.only and name not in args.only:
            lines += [l for l in previous.get("lines", []) if l["row"] in rows]
            errors += [e for e in previous.get("errors", []) if e["row"] in rows]
            continue
        before = load_average()
        try:
            lines += run(ctx)
        except Exception as e:  # one row failing must not stop the others
            detail = str(e) if isinstance(e, BenchError) else traceback.format_exc(limit=3)
            ctx.log(f"{name}: could not run: {detail}")
            errors.append({"row": name, "error": " ".join(detail.split())})
        after = load_average()
        for row in rows:
            loads[row] = (before, after)

    results = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "build_type": build_type(tools.build),
               "peers_missing": peers.missing(tools),
               "quick": args.quick, "load_start": load_start, "load_end": load_average(),
               "seconds": time.monotonic() - began, "lines": lines, "errors": errors,
               "loads": loads}
    if args.only and previous:
        results["seconds"] = previous.get("seconds", 0)
        results["quick"] = args.quick or previous.get("quick", False)
        results["date"] += f" (rows {', '.join(args.only)} rerun)"
    os.makedirs(os.path.dirname(results_path), exist_ok=True)
    with open(results_path, "w") as f:
        json.dump(results, f, indent=1)
    report.render(results, args.output, REPO)
    ctx.log(f"wrote {args.output} ({len(lines)} figures, {len(errors)} could not run) in "
            f"{time.monotonic() - began:.0f} s")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

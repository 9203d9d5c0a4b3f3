"""BENCHMARKS.md: the run's header (date, machine, load), one table line per figure of SPEC §8,
the notes of each line, and the hand-written analysis kept from the previous file between the
ANALYSIS markers (a rerun rewrites everything else)."""
import os
import platform
import subprocess

BEGIN, END = "<!-- analysis:begin -->", "<!-- analysis:end -->"

ROW_ORDER = ["status10", "status10floor", "rtt", "clients100", "restart", "capture", "idle100", "spawn200",
             "spawn200off", "spawn1000", "spawn1000off", "stop100", "shutdown200", "pid1", "pid1off", "scale10k", "resources1k", "agent"]


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            mem_kb = int(f.readline().split()[1])
    except OSError:
        mem_kb = 0
    return (f"{os.cpu_count()} CPUs ({model or platform.processor()}), {mem_kb / 2**20:.0f} GiB RAM, "
            f"Linux {platform.release()}")


def git_commit(repo):
    try:
        return subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def number(value, unit):
    if value is None:
        return "—"
    if unit == "req/s":
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value != int(value) else f"{value:.0f}"


def cells(line):
    unit = line["unit"]
    value = line["value"]
    measured = f"{number(value['median'], unit)} {unit}" if value else "—"
    spread = f"{number(value['min'], unit)}–{number(value['max'], unit)}" if value and value["n"] > 1 else "(1 run)"
    base = line["baseline"]
    baseline = (f"{line['baseline_name']}: {number(base['median'], unit)} {unit} "
                f"({number(base['min'], unit)}–{number(base['max'], unit)})") if base else "—"
    ratio = f"{line['ratio']:.2f}×" if line["ratio"] is not None else "—"
    met = {True: "**met**", False: "**missed**", None: "—"}[line["met"]]
    return [line["what"], line["target"], measured, spread, baseline, ratio, met]


PEER_ORDER = ["runit", "s6", "supervisord", "tini", "dumb-init"]


def short(fig, unit):
    if not fig:
        return "—"
    spread = f" ({number(fig['min'], unit)}–{number(fig['max'], unit)})" if fig["n"] > 1 else ""
    return f"{number(fig['median'], unit)} {unit}{spread}"


def peers_table(lines, results):
    """Row by row: sup's figure, each peer's (same run) and sup over the best peer."""
    with_peers = [l for l in lines if l.get("peers")]
    names = [n for n in PEER_ORDER if any(n in l["peers"] for l in with_peers)]
    missing = results.get("peers_missing", [])
    out = ["", "## Against the peers, same run", "",
           "Where installed, the peers a user would pick instead ran the same rows in the same "
           "run, the same way as sup wherever they can (see docs/benchmarks.md and the notes "
           "below). sup ÷ best peer: for times, memory and wake-ups below 1× means sup is ahead; "
           "for throughput (MB/s), above 1×." +
           (f" Not installed, so not measured: {', '.join(missing)}." if missing else ""), ""]
    if not with_peers:
        return out + ["(no peer measured)"]
    out += ["| what | sup | " + " | ".join(names) + " | sup ÷ best peer |",
            "|---|---|" + "---|" * len(names) + "---|"]
    for l in with_peers:
        ratio = "—"
        if l.get("peer_ratio") is not None:
            r = l["peer_ratio"]
            ratio = f"{r:.2f}× ({l['best_peer']})" if r >= 0.1 else f"{r:.2g}× ({l['best_peer']})"
        elif l.get("best_peer"):
            ratio = f"— ({l['best_peer']}: 0)"
        cells = [l["what"], short(l["value"], l["unit"]),
                 *(short(l["peers"].get(n), l["unit"]) for n in names), ratio]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    out += ["", "How the peers were measured:", ""]
    seen = set()
    for l in with_peers:
        if l.get("peer_note") and (l["row"], l["peer_note"]) not in seen:
            seen.add((l["row"], l["peer_note"]))
            out.append(f"- **{l['row']}**: {l['peer_note']}.")
    return out


def previous_analysis(path):
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return None
    if BEGIN in text and END in text:
        return text[text.index(BEGIN) + len(BEGIN):text.index(END)].strip("\n")
    return None


def render(results, path, repo):
    lines = sorted(results["lines"], key=lambda l: ROW_ORDER.index(l["row"])
                   if l["row"] in ROW_ORDER else len(ROW_ORDER))
    out = ["# sup benchmarks", "",
           "Written by `python3 bench/run.py --build build` (see docs/benchmarks.md); rerun it to "
           "refresh every figure below. SPEC §8 asks for ratios against a baseline measured in "
           "the same run: on this shared, slow-to-fork machine only those compare across runs.", "",
           f"- Date: {results['date']}; commit {git_commit(repo)}; build type "
           f"{results.get('build_type', '?')}",
           f"- Machine: {machine()}",
           f"- Load average (1 min) at start {results['load_start']:.2f}, at end "
           f"{results['load_end']:.2f}. The benchmarks themselves keep about one core busy; a load "
           f"well above 2 means other jobs were running (per-row loads are listed below).",
           f"- Whole run: {results['seconds']:.0f} s" +
           (" (`--quick`: fewer repetitions)" if results.get("quick") else ""), "",
           "Measured: the median over the runs of the row, min–max over those runs, and the "
           "baseline measured in the same run. Ratio = sup / baseline (for throughput, higher "
           "is better; for times, lower is better).", "",
           "| what | target | sup (median) | min–max | baseline, same run (median, min–max) | ratio | verdict |",
           "|---|---|---|---|---|---|---|"]
    for l in lines:
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells(l)) + " |")
    for err in results.get("errors", []):
        out.append(f"| {err['row']}: **could not run** | | | | | | {err['error'][:200]} |")
    out += ["", "## How each figure was taken", ""]
    seen = set()
    for l in lines:
        key = (l["row"], l["note"])
        if key in seen or not l["note"]:
            continue
        seen.add(key)
        load = results.get("loads", {}).get(l["row"])
        load_text = f" Load {load[0]:.1f} → {load[1]:.1f}." if load else ""
        out.append(f"- **{l['row']}**: {l['note']}.{load_text}")
    out += peers_table(lines, results)
    analysis = previous_analysis(path)
    out += ["", "## Analysis", "", BEGIN,
            analysis if analysis is not None else "(no analysis written yet)", END, ""]
    with open(path, "w") as f:
        f.write("\n".join(out))

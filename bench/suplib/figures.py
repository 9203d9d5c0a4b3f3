"""Figures of one benchmark line: samples -> median/min/max, the ratio to a same-run baseline,
and the verdict against SPEC §8's target. A Line is a plain dict so that results.json can
hold it and a later partial run (--only) can merge with it."""
import statistics


def figure(samples):
    samples = list(samples)
    if not samples:
        return None
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "n": len(samples)}


def line(row, what, target, unit, value, met, baseline=None, baseline_name="", ratio=None,
         note="", higher_is_better=False):
    """One table line. value/baseline are figures (see figure()); ratio is sup over baseline."""
    return {"row": row, "what": what, "target": target, "unit": unit, "value": value,
            "baseline": baseline, "baseline_name": baseline_name, "ratio": ratio, "met": met,
            "note": note, "higher_is_better": higher_is_better}


def ratio_of(value, baseline):
    if not value or not baseline or not baseline["median"]:
        return None
    return value["median"] / baseline["median"]


def scaled(fig, factor):
    """A figure with every statistic multiplied by factor (e.g. ns -> ms)."""
    if fig is None:
        return None
    return {k: (v * factor if k != "n" else v) for k, v in fig.items()}


def percentile(sorted_samples, fraction):
    if not sorted_samples:
        return 0.0
    index = min(len(sorted_samples) - 1, int(fraction * len(sorted_samples)))
    return sorted_samples[index]


def with_peers(l, samples, note=""):
    """Adds to line l the peers' figures of the same run ({name: samples}; a peer without
    samples is left out) and sup's ratio to the best of them (the highest for throughput, the
    lowest otherwise; none when the best is 0, as for wake-ups)."""
    peers = {name: figure(s) for name, s in samples.items() if s}
    failed = [name for name, s in samples.items() if not s]
    if failed:
        note += ("; " if note else "") + f"{', '.join(failed)}: could not run (see the run's log)"
    l["peers"], l["peer_note"] = peers, note
    l["best_peer"], l["peer_ratio"] = None, None
    if peers:
        pick = max if l["higher_is_better"] else min
        l["best_peer"] = pick(peers, key=lambda name: peers[name]["median"])
        l["peer_ratio"] = ratio_of(l["value"], peers[l["best_peer"]])
    return l

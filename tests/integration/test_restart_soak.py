"""10 000 quick restarts leave supd's fds and RSS flat (no leak per spawn)."""
import os
import time

from conftest import wait_until
from test_core import prog


def test_ten_thousand_quick_restarts_leave_fds_and_rss_flat(supd):
    supd.start(prog("flap", ["exit:1"], 'restart = "always"\nstart_seconds = "0s"\n'
                    'backoff = { initial = "0s", jitter = 0.0 }\nstart_limit = { burst = 0 }'))
    proc = f"/proc/{supd.proc.pid}"

    def sample():
        fds = len(os.listdir(proc + "/fd"))
        rss = int(open(proc + "/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        return fds, rss

    def figures():
        # The lowest of a few samples: a single one may land while an instance's pipes are
        # open (a few fds more than between runs); a leak raises the floor itself.
        samples = []
        for _ in range(20):
            samples.append(sample())
            time.sleep(0.01)
        return min(f for f, _ in samples), min(r for _, r in samples)

    wait_until(lambda: supd.instance("flap")["restarts"] >= 1000, 120, interval=0.5, what="1000 restarts")
    fds_before, rss_before = figures()
    wait_until(lambda: supd.instance("flap")["restarts"] >= 10000, 280, interval=1, what="10000 restarts")
    fds_after, rss_after = figures()
    assert fds_after <= fds_before + 2, (fds_before, fds_after)
    assert rss_after <= rss_before + 2 * 1024 * 1024, (rss_before, rss_after)

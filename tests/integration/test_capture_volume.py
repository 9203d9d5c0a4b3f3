"""Capture at volume (issue 23): 500 MB written flat out by one program reach its log file with
every line whole, in order and none lost or doubled. The batches travel from the loop to the
writer thread in reused buffers (output/buffer_pool.h) handed over without a wake-up while the
writer is busy: this is what would show a buffer given back while still being written, or
reused before its bytes were out."""
import os

from conftest import wait_until
from test_core import prog

COUNT = 5_000_000
PREFIX = "x" * 92  # + a 6- or 7-digit number + '\n': 99-100 bytes a line, ~500 MB in all


def expected_size():
    """Bytes of lines 1..COUNT: the prefix, the number ("%06d": 6 digits, 7 from 1 000 000), '\n'."""
    size, low = COUNT * (len(PREFIX) + 1), 1
    while low <= COUNT:
        high = min(COUNT, 10 ** len(str(low)) - 1)
        size += max(6, len(str(low))) * (high - low + 1)
        low = high + 1
    return size


def test_500_mb_flat_out_reach_the_file_whole_in_order_none_lost(supd):
    supd.start(prog("flood", [f"lines:{COUNT}:{PREFIX}", "exit:0"],
                    'restart = "never"\n'
                    'stdout = { file = "flood.log", max_size = 0, forward = false }'))
    path = os.path.join(supd.dir, "logs", "flood.log")
    size = expected_size()

    def written():
        try:
            return os.stat(path).st_size >= size
        except FileNotFoundError:
            return False
    # ~2 s on a quiet 2-core machine; the bound is only a safety net.
    wait_until(written, 240, interval=0.1, what=f"{size} bytes in {path}")
    supd.wait_state("flood", "EXITED", timeout=30)
    assert os.stat(path).st_size == size
    expect = 1
    with open(path, "rb") as f:
        prefix = PREFIX.encode()
        for line in f:
            assert line == prefix + b"%06d\n" % expect, f"line {expect}: {line[:120]!r}"
            expect += 1
    assert expect - 1 == COUNT
    assert supd.instance("flood").get("dropped_lines", 0) == 0

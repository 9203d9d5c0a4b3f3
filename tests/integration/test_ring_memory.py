"""SPEC §9.1 "Bounded memory": a ring is at most 64MiB an instance (a config error above), and
a ring that cannot be allocated costs only the ring: every line still reaches the log file and
supd's output, and `status` says the ring is off."""
import os
import re
import resource
import subprocess

import pytest

from conftest import SUPCTL, SUPD, WORKER, wait_until

MIB = 1 << 20


def test_a_ring_above_64mib_is_a_config_error_naming_file_line_and_key(tmp_path):
    conf = tmp_path / "sup.toml"
    conf.write_text('[program.big]\ncommand = ["/bin/true"]\n[program.big.stdout]\nring = "1000GiB"\n')
    supd = subprocess.run([SUPD, "--check", "-c", str(conf)], capture_output=True, text=True, timeout=30)
    assert supd.returncode == 2, supd
    assert (f"{conf}:4:8: `ring` in [program.big.stdout] is too large: an instance's ring "
            "(stdout.ring + stderr.ring, here 1073741824000 + 65536 bytes) may hold at most 64MiB "
            "(67108864 bytes)") in supd.stderr, supd.stderr
    ctl = subprocess.run([SUPCTL, "check", str(conf)], capture_output=True, text=True, timeout=30)
    assert (ctl.returncode, ctl.stdout, ctl.stderr) == (supd.returncode, supd.stdout, supd.stderr)


def vm_size(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))


def log_lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


# Sanitizers reserve terabytes of address space: an address-space limit near what supd uses
# cannot be set under them.
@pytest.mark.skipif(bool(os.environ.get("SUP_SANITIZER")), reason="address-space limit under a sanitizer")
def test_rings_that_cannot_be_allocated_lose_no_line_and_status_says_the_ring_is_off(supd):
    n, lines = 8, 3000
    body = """
        [program.warm]
        command = ["${WORKER}", "lines:100:warm-", "forever"]
        stdout = { file = "warm.log" }
        """
    for i in range(n):
        # 63MiB + the default 64KiB of stderr: just under the bound.
        body += f"""
        [program.r{i}]
        command = ["${{WORKER}}", "lines:{lines}:r{i}-", "forever"]
        autostart = false
        stdout = {{ file = "r{i}.log", ring = "63MiB" }}
        """
    supd.start(body)
    logs = os.path.join(supd.dir, "logs")
    # The writer threads and their memory exist before the limit.
    wait_until(lambda: len(log_lines(os.path.join(logs, "warm.log"))) == 100, 10, what="warm.log")
    pid = supd.proc.pid
    # Room for one ring and what the rest of the test needs, not for eight: the first ring
    # to see output is allocated, the others fail (children inherit the limit, they need far less).
    limit = vm_size(pid) + 100 * MIB
    hard = resource.prlimit(pid, resource.RLIMIT_AS)[1]
    resource.prlimit(pid, resource.RLIMIT_AS, (limit, hard))
    r = supd.ctl("start", *[f"r{i}" for i in range(n)])
    assert r.returncode == 0, (r.stdout, r.stderr, supd.log())

    want = {i: [f"r{i}-{k:06d}" for k in range(1, lines + 1)] for i in range(n)}
    for i in range(n):
        path = os.path.join(logs, f"r{i}.log")
        wait_until(lambda: len(log_lines(path)) >= lines, 15,
                   what=f"r{i}.log to have {lines} lines (has {len(log_lines(path))})")
        assert log_lines(path) == want[i]

    def forwarded(i):
        return [m.group(1) for m in re.finditer(rf"^r{i} *\| (.*)$", supd.stdout_text(), re.M)]
    for i in range(n):
        wait_until(lambda: len(forwarded(i)) >= lines, 15, what=f"r{i}'s lines on supd's stdout")
        assert forwarded(i) == want[i]

    status = supd.status(*[f"r{i}" for i in range(n)])
    off = {name for name, inst in status.items()
           if inst["output_error"] == "ring off: cannot allocate 66125824 bytes"}
    assert off, status
    assert all(s["dropped_lines"] == 0 for s in status.values())
    # The instances whose ring was allocated keep their lines for `supctl logs`; those whose
    # ring is off have none, and say why in status.
    for name in status:
        tail = supd.ctl("logs", name, "-n", "1")
        assert tail.returncode == 0, tail
        if name in off:
            assert tail.stdout.strip() == "", tail.stdout
        else:
            assert tail.stdout.rstrip().endswith(f"{name}-{lines:06d}"), tail.stdout
    assert len(off) < n, "no ring could be allocated: the limit left no room for one"
    assert "ring off: cannot allocate 66125824 bytes (output still goes to" in supd.log()

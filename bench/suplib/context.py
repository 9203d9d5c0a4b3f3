"""What every benchmark row needs: the paths of the programs, the repetition counts (fewer with
--quick), a progress log on stderr, and a way to run a helper that prints JSON."""
import json
import os
import resource
import shutil
import subprocess
import sys
import time

from .harness import BenchError


class Tools:
    def __init__(self, build):
        self.build = os.path.abspath(build)
        self.supd = os.path.join(self.build, "bin", "supd")
        self.supctl = os.path.join(self.build, "bin", "supctl")
        bench = os.path.join(self.build, "bench")
        self.stamp = os.path.join(bench, "bench_stamp")
        self.line_writer = os.path.join(bench, "bench_line_writer")
        self.exec_timer = os.path.join(bench, "bench_exec_timer")
        self.rtt_client = os.path.join(bench, "bench_rtt_client")
        self.status_floor = os.path.join(bench, "bench_status_floor")
        self.agent_counter_bench = os.path.join(bench, "agent_counter_bench")
        self.tini = shutil.which("tini") or "/usr/bin/tini"
        self.unshare = shutil.which("unshare") or "/usr/bin/unshare"
        self.strace = shutil.which("strace")
        self.dumb_init = shutil.which("dumb-init")  # a PID 1 peer, where installed
        self.sh = "/bin/sh"
        self.true = "/bin/true"

    def required(self):
        return [self.supd, self.supctl, self.stamp, self.line_writer, self.exec_timer,
                self.rtt_client, self.status_floor]

    def missing(self):
        return [p for p in self.required() if not os.access(p, os.X_OK)]


class Context:
    def __init__(self, tools, quick=False):
        self.tools = tools
        self.quick = quick

    def reps(self, full, quick):
        return quick if self.quick else full

    def log(self, message):
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    def run_json(self, argv, timeout=600):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BenchError(f"{os.path.basename(argv[0])} did not finish within {timeout}s")
        if r.returncode != 0:
            raise BenchError(f"{' '.join(argv[:3])}… exited {r.returncode}: {r.stderr.strip()[-500:]}"
                             f" {r.stdout.strip()[-300:]}")
        try:
            return json.loads(r.stdout)
        except json.JSONDecodeError as e:
            raise BenchError(f"{os.path.basename(argv[0])} printed no JSON ({e}): {r.stdout[:300]}")


def raise_limits(nofile):
    """Raises RLIMIT_NOFILE to at least `nofile` and RLIMIT_NPROC to unlimited for this process
    and what it starts. Past the hard limits this needs CAP_SYS_RESOURCE (root); where it is
    refused the soft limit goes up to the hard one. Returns (nofile, nproc) as now set."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < nofile:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, max(hard, nofile)))
        except (ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    unlimited = resource.RLIM_INFINITY
    try:
        resource.setrlimit(resource.RLIMIT_NPROC, (unlimited, unlimited))
    except (ValueError, OSError):
        hard_nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
        resource.setrlimit(resource.RLIMIT_NPROC, (hard_nproc, hard_nproc))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0], resource.getrlimit(resource.RLIMIT_NPROC)[0]

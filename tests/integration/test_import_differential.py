"""SPEC §9.4: real supervisord and supd, run side by side on the same configs, keep the same
programs running, exited and fatal, with the same number of runs (±1).

Each config of import_corpus/ (written for this test; stand-in programs in standin.sh) is copied
twice, converted with `supctl import supervisord` and checked with `supd --check`, then run for
RUN_SECONDS under supervisord in one copy and under supd in the other, a quarter of the cases
at a time (the whole test takes about 4 x RUN_SECONDS). Every daemon and every stand-in is killed by
pid at the end.
"""
import concurrent.futures
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import SUPCTL, SUPD

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "import_corpus")
CASES = sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(CORPUS, "*.conf")))
RUN_SECONDS = 10
SUPERVISORD = shutil.which("supervisord")
SUPERVISORCTL = shutil.which("supervisorctl")

# What both daemons are given around each case: their own socket, log and pid files.
HEADER = """\
[supervisord]
nodaemon = true
logfile = %(here)s/supervisord.log
pidfile = %(here)s/supervisord.pid
childlogdir = %(here)s/logs

[unix_http_server]
file = %(here)s/s.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl = unix://%(here)s/s.sock

"""

# A program that restarts, or waits to, is "up" whatever moment of its cycle the sample catches.
UP = {"RUNNING", "STARTING", "BACKOFF"}


def prepare(case, root, side):
    d = os.path.join(root, side)
    os.makedirs(os.path.join(d, "runs"))
    os.makedirs(os.path.join(d, "logs"))
    for script in ("standin.sh", "listener_kill.sh", "listener_idle.sh"):
        shutil.copy(os.path.join(CORPUS, script), d)
    extra = os.path.join(CORPUS, case + ".d")
    if os.path.isdir(extra):
        shutil.copytree(extra, os.path.join(d, "conf.d"))
    with open(os.path.join(CORPUS, case + ".conf")) as f:
        body = f.read()
    with open(os.path.join(d, "supervisord.conf"), "w") as f:
        f.write(HEADER + body)
    return d


def stop(proc):
    """SIGTERM (both daemons stop their programs on it), then SIGKILL by pid if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def kill_leftovers(d):
    """Every stand-in of this copy, by the pids it recorded, in case a daemon left one."""
    for path in glob.glob(os.path.join(d, "runs", "*")):
        for line in open(path).read().split():
            try:
                os.kill(int(line), signal.SIGKILL)
            except (ValueError, ProcessLookupError):
                pass


def runs(d):
    return {os.path.basename(p): len(open(p).read().split()) for p in glob.glob(os.path.join(d, "runs", "*"))
            if not p.endswith(".pids")}


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def serving_times(predicates, timeout=30):
    """For each predicate, the monotonic time at which it first held, watched together
    (bounded: a daemon that never serves fails the case through its states)."""
    times = [None] * len(predicates)
    deadline = time.monotonic() + timeout
    while None in times and time.monotonic() < deadline:
        for k, predicate in enumerate(predicates):
            if times[k] is None and predicate():
                times[k] = time.monotonic()
        time.sleep(0.05)
    return [t if t is not None else time.monotonic() for t in times]


def category(state):
    return "UP" if state in UP else state


def supervisord_states(d):
    out = subprocess.run([SUPERVISORCTL, "-c", os.path.join(d, "supervisord.conf"), "status"],
                         capture_output=True, text=True, timeout=30).stdout
    states = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 2 and not fields[0].startswith("listener_"):  # listeners are no programs
            states.append(category(fields[1]))
    return sorted(states)


def supd_states(sock):
    out = subprocess.run([SUPCTL, "-s", sock, "status", "--json"], capture_output=True, text=True, timeout=30)
    return sorted(category(i["state"]) for i in json.loads(out.stdout)["instances"])


def run_case(case, root, env_a, env_b):
    a, b = prepare(case, root, "supervisord"), prepare(case, root, "supd")
    result = {"case": case}
    imported = subprocess.run([SUPCTL, "import", "supervisord", os.path.join(b, "supervisord.conf")],
                              capture_output=True, text=True, timeout=60, env=env_b)
    result["import"] = (imported.returncode, imported.stderr)
    if imported.returncode != 0:
        return result
    toml = os.path.join(b, "sup.toml")
    with open(toml, "w") as f:
        # Its own status segment, as it has its own socket (the cases run at once).
        f.write(imported.stdout.replace("\n[supervisor]\n", "\n[supervisor]\nstatus_shm = \"\"\n", 1))
    result["toml"] = imported.stdout
    check = subprocess.run([SUPD, "--check", "-c", toml], capture_output=True, text=True, timeout=60, env=env_b)
    result["check"] = (check.returncode, check.stdout + check.stderr)
    if check.returncode != 0:
        return result
    sock = re.search(r'^socket = "(.*)"$', imported.stdout, re.M).group(1)
    daemons = []
    try:
        with open(os.path.join(a, "daemon.out"), "w") as out_a, open(os.path.join(b, "daemon.out"), "w") as out_b:
            daemons.append(subprocess.Popen([SUPERVISORD, "-n", "-c", os.path.join(a, "supervisord.conf")],
                                            stdout=out_a, stderr=subprocess.STDOUT, env=env_a))
            daemons.append(subprocess.Popen([SUPD, "-c", toml], stdout=out_b, stderr=subprocess.STDOUT, env=env_b))
            # Each daemon's RUN_SECONDS start when it serves: supervisord (Python) takes longer
            # to start, more so with every case starting at once.
            ready = serving_times([lambda: "supervisord started" in read(os.path.join(a, "supervisord.log")),
                                   lambda: " serving " in read(os.path.join(b, "daemon.out"))])
            states, counts = [None, None], [None, None]
            for index in sorted((0, 1), key=lambda k: ready[k]):
                time.sleep(max(0.0, ready[index] + RUN_SECONDS - time.monotonic()))
                alive = daemons[index].poll() is None
                counts[index] = runs(a if index == 0 else b)
                states[index] = (supervisord_states(a) if index == 0 else supd_states(sock)) if alive else "ended"
            if "ended" in states:  # the other one may be on its way out (an event listener's kill)
                for index, d in enumerate(daemons):
                    try:
                        d.wait(10)
                        states[index] = "ended"
                    except subprocess.TimeoutExpired:
                        pass
            result["states"] = tuple(states)
            result["runs"] = tuple(counts)
    finally:
        for d in daemons:
            stop(d)
        kill_leftovers(a)
        kill_leftovers(b)
    result["supd_exit"] = daemons[1].returncode if len(daemons) > 1 else None
    return result


def run_in_own_dir(root, case):
    """%(ENV_STANDIN)s names each side's own stand-in, read from the environment each daemon
    starts with (the import sees the supd side's and must not freeze it)."""
    case_root = os.path.join(root, case)
    os.makedirs(case_root)
    env_a = dict(os.environ, STANDIN=os.path.join(case_root, "supervisord", "standin.sh"))
    env_b = dict(os.environ, STANDIN=os.path.join(case_root, "supd", "standin.sh"))
    return run_case(case, case_root, env_a, env_b)


@pytest.fixture(scope="module")
def results():
    assert SUPERVISORD and SUPERVISORCTL, "supervisord is missing: scripts/setup.sh installs Debian's supervisor"
    root = tempfile.mkdtemp(prefix="supdiff")
    try:
        # A quarter of the cases at a time: 2 cores start 7 supervisord at once in well under a
        # second, so their 1 s ticks stay on time; the whole test takes about 4 x RUN_SECONDS.
        with concurrent.futures.ThreadPoolExecutor(max_workers=(len(CASES) + 3) // 4) as pool:
            futures = {case: pool.submit(run_in_own_dir, root, case) for case in CASES}
            yield {case: f.result() for case, f in futures.items()}
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("case", CASES)
def test_supervisord_and_supd_agree(results, case):
    r = results[case]
    assert r["import"][0] == 0, r["import"][1]
    assert r["check"][0] == 0, r["check"][1]
    context = f"{case}\n{r['toml']}"
    supervisord_states_, supd_states_ = r["states"]
    assert supd_states_ == supervisord_states_, context
    if supervisord_states_ == "ended":
        assert r["supd_exit"] == 3, context  # on_fatal = "shutdown"
        return
    runs_a, runs_b = r["runs"]
    assert sorted(runs_a) == sorted(runs_b), context
    for name in runs_a:
        assert abs(runs_a[name] - runs_b[name]) <= 1, f"{name}: {runs_a[name]} runs under supervisord, " \
                                                       f"{runs_b[name]} under supd\n{context}"


def test_the_corpus_covers_what_real_configs_use():
    text = "".join(open(os.path.join(CORPUS, c + ".conf")).read() for c in CASES)
    assert len(CASES) >= 25
    for feature in ("numprocs", "%(process_num)", "%(here)s", "%(ENV_", "[group:", "[include]",
                    "environment", "redirect_stderr", "stopasgroup", "killasgroup", "priority",
                    "autorestart = true", "autorestart = false", "autorestart = unexpected", "exitcodes",
                    "startsecs", "startretries", "/dev/null", "NONE", "AUTO", "[eventlistener:"):
        assert feature in text, feature

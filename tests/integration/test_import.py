"""`supctl import supervisord`: a supervisord config converted, checked, and run by a real supd."""
import glob
import os
import subprocess
import textwrap

from conftest import SUPCTL, WORKER, wait_until

SAMPLES = os.path.join(os.path.dirname(__file__), "..", "ctl", "import", "samples")


def run(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([SUPCTL, *args], capture_output=True, text=True, timeout=60, env=e)


def test_a_converted_supervisord_config_runs_under_supd(supd):
    logs = os.path.join(supd.dir, "logs")
    conf = os.path.join(supd.dir, "supervisord.conf")
    with open(conf, "w") as f:
        f.write(textwrap.dedent(f"""\
            [supervisord]
            nodaemon = true
            environment = SHARED="from supervisord"

            [program:web]
            command = %(ENV_WORKER)s print:port=90%(process_num)d env:SHARED env:MODE forever
            process_name = %(program_name)s_%(process_num)d
            numprocs = 2
            environment = MODE=prod
            stdout_logfile = {logs}/web-%(process_num)d.log
            startsecs = 0
            stopasgroup = true

            [program:job]
            command = %(ENV_WORKER)s print:done eprint:also exit:0   ; a one-shot
            autorestart = false
            startsecs = 0
            redirect_stderr = true
            stdout_logfile = {logs}/job.log

            [group:svc]
            programs = web,job
            """))
    r = run("import", "supervisord", conf, env={"WORKER": WORKER})
    assert r.returncode == 0, r.stderr
    assert f"warning: {conf}:7: process_name: sup names the 2 processes web:0" in r.stderr
    assert r.stderr.rstrip().endswith("converted, 2 warnings")
    converted = os.path.join(supd.dir, "converted.toml")
    with open(converted, "w") as f:
        f.write(r.stdout)
    check = run("check", converted, env={"WORKER": WORKER})
    assert check.returncode == 0, check.stderr

    supd.start(r.stdout)  # no [supervisor] table in it: the fixture's own socket and segment
    supd.wait_state("web:0", "RUNNING")
    supd.wait_state("web:1", "RUNNING")
    supd.wait_state("job", "EXITED")
    wait_until(lambda: os.path.exists(f"{logs}/web-1.log") and "MODE=prod" in open(f"{logs}/web-1.log").read(),
               15, what="web:1's log")
    assert open(f"{logs}/web-1.log").read() == "port=901\nSHARED=from supervisord\nMODE=prod\n"
    wait_until(lambda: "also" in open(f"{logs}/job.log").read(), 15, what="job's merged stderr")
    assert "done\n" in open(f"{logs}/job.log").read()
    status = supd.ctl("status", "svc")  # the group works as a selector
    assert "web:0" in status.stdout and "web:1" in status.stdout and "job" in status.stdout


def test_every_committed_sample_converts_and_passes_check(tmp_path):
    samples = sorted(glob.glob(os.path.join(SAMPLES, "*", "*.conf")))
    assert len(samples) > 20
    for sample in samples:
        r = run("import", "supervisord", sample)
        assert r.returncode == 0, (sample, r.stderr)
        out = tmp_path / (os.path.basename(sample) + ".toml")
        out.write_text(r.stdout)
        check = run("check", str(out))
        assert check.returncode == 0, (sample, check.stderr)


def test_the_warnings_are_also_comments_in_the_output():
    r = run("import", "supervisord", os.path.join(SAMPLES, "debian", "supervisord.conf"))
    assert r.returncode == 0
    assert "# 5 things were not carried over as written:" in r.stdout
    assert "supervisord.conf:9: pidfile: supd writes no pid file" in r.stdout
    assert "supctl import: warning: " in r.stderr and "supervisord.conf:9: pidfile" in r.stderr


def test_an_unreadable_or_malformed_file_exits_2_with_nothing_on_stdout(tmp_path):
    missing = run("import", "supervisord", str(tmp_path / "nope.conf"))
    assert missing.returncode == 2 and missing.stdout == ""
    assert "cannot read" in missing.stderr
    bad = tmp_path / "bad.conf"
    bad.write_text("[program:a]\ncommand /bin/a\n")
    r = run("import", "supervisord", str(bad))
    assert r.returncode == 2 and r.stdout == ""
    assert f"{bad}:2: not a `key = value` line" in r.stderr
    usage = run("import", "nginx", str(bad))
    assert usage.returncode == 2

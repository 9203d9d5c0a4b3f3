"""Dependencies (SPEC §4): start order by condition, failures propagate, stop waves."""
import json
import os
import time

from conftest import wait_until
from test_core import prog


def test_a_dependant_waits_for_a_completed_one_shot_and_says_so(supd):
    supd.start(prog("migrate", ["sleep:800", "exit:0"], 'restart = "never"') +
               prog("app", ["forever"], 'start_seconds = "0s"\ndepends_on = { migrate = "completed" }'))
    app = supd.instance("app")
    assert app["state"] == "STARTING" and app["pid"] is None
    assert app["waiting_for"] == "migrate: completed"
    supd.wait_state("app", "RUNNING")
    assert supd.instance("migrate")["state"] == "EXITED"


def test_a_ready_condition_waits_for_start_seconds(supd):
    supd.start(prog("db", ["forever"], 'start_seconds = "700ms"') +
               prog("api", ["forever"], 'start_seconds = "0s"\ndepends_on = ["db"]'))
    assert supd.instance("api")["waiting_for"] == "db: ready"
    supd.wait_state("api", "RUNNING")
    db = supd.instance("db")
    assert db["state"] == "RUNNING" and db["ready"]


def test_a_failed_dependency_makes_the_waiting_dependant_fatal(supd):
    supd.start(prog("migrate", ["exit:3"], 'restart = "never"') +
               prog("app", ["forever"], 'depends_on = { migrate = "completed" }'))
    app = supd.wait_state("app", "FATAL")
    assert app["error"] == "dependency migrate failed: exit 3"
    r = supd.ctl("start", "app")
    assert r.returncode == 1
    assert "dependency migrate failed" in r.stdout + r.stderr


def test_starting_a_program_starts_its_stopped_dependencies(supd):
    supd.start(prog("db", ["forever"], 'start_seconds = "0s"\nautostart = false') +
               prog("api", ["forever"], 'start_seconds = "0s"\nautostart = false\ndepends_on = ["db"]'))
    r = supd.ctl("start", "api")
    assert r.returncode == 0, r.stdout + r.stderr
    assert supd.instance("db")["state"] == "RUNNING"


def test_restart_with_dependants_restarts_them_and_plain_restart_does_not(supd):
    supd.start(prog("db", ["forever"], 'start_seconds = "0s"') +
               prog("api", ["forever"], 'start_seconds = "0s"\ndepends_on = ["db"]'))
    wait_until(lambda: supd.instance("api")["state"] == "RUNNING", 10)
    api_pid = supd.instance("api")["pid"]
    assert supd.ctl("restart", "db").returncode == 0
    assert supd.instance("api")["pid"] == api_pid
    assert supd.ctl("restart", "--with-dependants", "db").returncode == 0
    wait_until(lambda: supd.instance("api")["state"] == "RUNNING", 10)
    assert supd.instance("api")["pid"] != api_pid


def test_stop_all_goes_in_waves_dependants_first(supd):
    order = supd.dir + "/order"
    def p(name, deps):  # a shell program that records the moment it gets SIGTERM
        # It says it is up only once its trap is set: a TERM before that would kill the shell
        # without a line (RUNNING at start_seconds = 0 can come before the trap).
        script = (f"trap 'echo {name} >> {order}; exit 0' TERM; touch {supd.dir}/{name}.up; "
                  f"while :; do sleep 0.05; done")
        return (f'[program.{name}]\ncommand = ["/bin/sh", "-c", "{script}"]\n'
                f'start_seconds = "0s"\ndepends_on = {json.dumps(deps)}\n')
    supd.start(p("db", []) + p("api", ["db"]) + p("web", ["api"]))
    wait_until(lambda: all(os.path.exists(f"{supd.dir}/{n}.up") for n in ("db", "api", "web")),
               10, what="the three traps set")
    r = supd.ctl("stop", "all")
    assert r.returncode == 0, r.stdout + r.stderr
    assert open(order).read().split() == ["web", "api", "db"]


def test_stop_warns_about_running_dependants(supd):
    supd.start(prog("db", ["forever"], 'start_seconds = "0s"') +
               prog("api", ["forever"], 'start_seconds = "0s"\ndepends_on = ["db"]'))
    wait_until(lambda: supd.instance("api")["state"] == "RUNNING", 10)
    r = supd.ctl("stop", "db")
    assert r.returncode == 0
    assert "api" in r.stdout + r.stderr
    assert supd.instance("api")["state"] == "RUNNING"

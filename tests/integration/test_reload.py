"""Reload (SPEC §6): validate first, then add, remove, restart, update in place, resize."""
import json
import os
import signal

from conftest import fd_table, wait_until
from test_core import prog

BASE = (prog("keep", ["forever"], 'start_seconds = "0s"') +
        prog("change", ["forever"], 'start_seconds = "0s"') +
        prog("tune", ["forever"], 'start_seconds = "0s"\nstop_timeout = "10s"') +
        prog("gone", ["forever"], 'start_seconds = "0s"') +
        prog("web", ["forever"], 'start_seconds = "0s"'))


def running(supd):
    return wait_until(lambda: all(i["state"] == "RUNNING" for i in supd.status().values()) and supd.status(),
                      15, what="everything RUNNING")


def test_reload_applies_the_plan_key_by_key(supd):
    supd.start(BASE)
    before = running(supd)
    supd.write_config(prog("keep", ["forever"], 'start_seconds = "0s"') +
                      prog("change", ["print:v2", "forever"], 'start_seconds = "0s"') +
                      prog("tune", ["forever"], 'start_seconds = "0s"\nstop_timeout = "3s"') +
                      prog("web", ["forever"], 'start_seconds = "0s"\ninstances = 3') +
                      prog("fresh", ["forever"], 'start_seconds = "0s"'))
    dry = supd.ctl("--json", "reload", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    plan = json.loads(dry.stdout)
    assert plan["added"] == ["fresh"] and plan["removed"] == ["gone"]
    assert [c["name"] for c in plan["restarted"]] == ["change"]
    assert {c["name"] for c in plan["updated"]} == {"tune", "web"}
    assert "keep" in plan["untouched"]
    assert supd.status()["change"]["pid"] == before["change"]["pid"]  # dry run changed nothing

    r = supd.ctl("--json", "reload")
    assert r.returncode == 0, r.stdout + r.stderr
    # reload waits like restart: what it started or restarted is up when it returns.
    assert supd.instance("change")["state"] == "RUNNING"
    assert supd.instance("change")["pid"] != before["change"]["pid"]
    assert supd.instance("fresh")["state"] == "RUNNING"
    assert {i["name"] for i in json.loads(r.stdout)["instances"]} >= {"change", "fresh"}
    after = wait_until(lambda: (s := supd.status()) and "gone" not in s and len(s) == 7 and
                       all(i["state"] == "RUNNING" for i in s.values()) and s, 20,
                       what="reload applied")
    assert after["keep"]["pid"] == before["keep"]["pid"]
    assert after["tune"]["pid"] == before["tune"]["pid"]
    assert after["change"]["pid"] != before["change"]["pid"]
    assert after["web:0"]["pid"] == before["web"]["pid"]  # growing from 1 keeps the pid
    assert {"web:0", "web:1", "web:2", "fresh"} <= set(after)
    assert not os.path.exists(f"/proc/{before['gone']['pid']}")


def test_a_reload_that_adds_programs_sizes_the_fd_table_for_them(supd):
    supd.start(prog("one", ["forever"], "autostart = false"))
    supd.write_config("".join(prog(f"p{i:03d}", ["forever"], "autostart = false") for i in range(400)))
    r = supd.ctl("reload")
    assert r.returncode == 0, r.stdout + r.stderr
    fd_size, held = fd_table(supd.proc.pid)
    assert held < 100
    assert fd_size >= 400 * 3  # at least each program's two pipes and counter page


def test_shrinking_instances_stops_the_highest_indices(supd):
    supd.start(prog("pool", ["forever"], 'start_seconds = "0s"\ninstances = 4'))
    before = running(supd)
    supd.write_config(prog("pool", ["forever"], 'start_seconds = "0s"\ninstances = 2'))
    assert supd.ctl("reload").returncode == 0
    after = wait_until(lambda: (s := supd.status()) and len(s) == 2 and s, 15, what="two instances left")
    assert after["pool:0"]["pid"] == before["pool:0"]["pid"]
    assert after["pool:1"]["pid"] == before["pool:1"]["pid"]
    for gone in ("pool:2", "pool:3"):
        wait_until(lambda: not os.path.exists(f"/proc/{before[gone]['pid']}"), 10, what=f"{gone} gone")


def test_a_broken_config_is_refused_and_nothing_changes(supd):
    supd.start(BASE)
    before = running(supd)
    supd.write_config(BASE + '[program.bad]\ncommand = ["/bin/true"]\nrestat = "always"\n')
    r = supd.ctl("reload")
    assert r.returncode == 2
    assert "restat" in r.stdout + r.stderr
    after = supd.status()
    assert {n: i["pid"] for n, i in after.items()} == {n: i["pid"] for n, i in before.items()}


def test_sighup_reloads(supd):
    supd.start(prog("one", ["forever"], 'start_seconds = "0s"'))
    running(supd)
    supd.write_config(prog("one", ["forever"], 'start_seconds = "0s"') +
                      prog("two", ["forever"], 'start_seconds = "0s"'))
    supd.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: supd.status().get("two", {}).get("state") == "RUNNING", 15, what="two started by HUP")


def test_a_fatal_program_whose_config_changed_starts_afresh(supd):
    supd.start('[program.fix]\ncommand = ["/nonexistent"]\nstart_retries = 0\n')
    supd.wait_state("fix", "FATAL")
    supd.write_config(prog("fix", ["forever"], 'start_seconds = "0s"'))
    assert supd.ctl("reload").returncode == 0
    supd.wait_state("fix", "RUNNING")

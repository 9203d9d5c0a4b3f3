"""`supctl completion bash|zsh`: the scripts sourced in a real shell, completing against a real supd."""
import os
import shlex
import shutil
import subprocess

import pytest

from conftest import SUPCTL

BASH_DRIVER = r"""
source "$1"
shift
for line in "$@"; do
  COMP_LINE="$line"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  _supctl
  printf '%s\n' "${COMPREPLY[*]}"
done
"""


def bash_complete(tmp_path, *lines, env=None):
    """What bash offers for each command line (the cursor at its end), one string per line."""
    script = tmp_path / "supctl.bash"
    script.write_text(subprocess.run([SUPCTL, "completion", "bash"], capture_output=True, text=True,
                                     check=True, timeout=30).stdout)
    e = dict(os.environ)
    e.update(env or {})
    r = subprocess.run(["bash", "-c", BASH_DRIVER, "driver", str(script), *lines], capture_output=True,
                       text=True, timeout=60, env=e)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return r.stdout.split("\n")[:-1]


def test_bash_completes_commands_options_and_values(tmp_path):
    got = bash_complete(tmp_path, f"{SUPCTL} re", f"{SUPCTL} --j", f"{SUPCTL} logs --f",
                        f"{SUPCTL} wait web --for r", f"{SUPCTL} import ", f"{SUPCTL} completion ",
                        f"{SUPCTL} signal H", f"{SUPCTL} restart --timeout ")
    assert got == ["restart reload", "--json", "--follow", "running ready", "supervisord", "bash zsh fish", "HUP", ""]


def test_bash_completes_files_for_check_and_import(tmp_path):
    (tmp_path / "site.conf").write_text("")
    got = bash_complete(tmp_path, f"{SUPCTL} check {tmp_path}/site", f"{SUPCTL} import supervisord {tmp_path}/si")
    assert got == [f"{tmp_path}/site.conf", f"{tmp_path}/site.conf"]


def test_bash_asks_supd_for_program_and_instance_names(supd, tmp_path):
    supd.start('[program.web]\ncommand = ["${WORKER}", "forever"]\ninstances = 2\n'
               '[program.db]\ncommand = ["${WORKER}", "forever"]\n')
    got = bash_complete(tmp_path, f"{SUPCTL} -s {supd.sock} restart ", f"{SUPCTL} -s {supd.sock} stop web:",
                        f"{SUPCTL} signal HUP d", f"{SUPCTL} logs -n 5 w",
                        env={"SUP_SOCKET": supd.sock})
    assert got[0].split() == ["all", "web", "web:0", "web:1", "db"]
    assert got[1].split() == ["0", "1"]  # bash splits words at ':', so it gets what follows it
    assert got[2] == "db"
    assert got[3].split() == ["web", "web:0", "web:1"]


def test_bash_completion_without_supd_offers_all_and_prints_nothing(tmp_path):
    got = bash_complete(tmp_path, f"{SUPCTL} -s {tmp_path}/none.sock status ")
    assert got == ["all"]
    r = subprocess.run([SUPCTL, "-s", str(tmp_path / "none.sock"), "__complete-names"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 4 and r.stdout == "" and r.stderr == ""


ZSH_DRIVER = r"""
compdef() { :; }
compadd() { while [[ $1 == -* && $1 != -- ]]; do shift; done; [[ $1 == -- ]] && shift; print -r -- "$*"; }
_describe() { local -a items; items=("${(@P)4}"); print -r -- "${(@)items%%:*}"; }
_files() { print -r -- "(files)"; }
source "$1"
shift
for line in "$@"; do
  words=("${(@z)line}")
  [[ $line == *' ' ]] && words+=("")
  CURRENT=${#words}
  _supctl
done
"""


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_completes_commands_values_and_names(supd, tmp_path):
    supd.start('[program.web]\ncommand = ["${WORKER}", "forever"]\n')
    script = tmp_path / "_supctl"
    script.write_text(subprocess.run([SUPCTL, "completion", "zsh"], capture_output=True, text=True,
                                     check=True, timeout=30).stdout)
    r = subprocess.run(["zsh", "-f", "-c", ZSH_DRIVER, "driver", str(script), f"{SUPCTL} ",
                        f"{SUPCTL} wait web --for ", f"{SUPCTL} -s {supd.sock} stop ", f"{SUPCTL} check x"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split("\n")
    assert lines[0].split()[:3] == ["status", "start", "stop"]
    assert lines[1] == "running ready healthy stopped completed"
    assert lines[2] == "all web"
    assert lines[3] == "(files)"


GROUPED = ('[program.web]\ncommand = ["${WORKER}", "forever"]\ninstances = 2\n'
           '[program.db]\ncommand = ["${WORKER}", "forever"]\n'
           '[group.backend]\nprograms = ["web", "db"]\n')


def test_bash_offers_group_names_too(supd, tmp_path):
    supd.start(GROUPED)
    got = bash_complete(tmp_path, f"{SUPCTL} -s {supd.sock} restart ", f"{SUPCTL} -s {supd.sock} stop b")
    assert got[0].split() == ["all", "web", "web:0", "web:1", "db", "backend"]
    assert got[1] == "backend"


def fish_complete(tmp_path, *lines, path_dir=None):
    """What fish's own completion machinery (complete -C) offers for each line, one list each."""
    assert shutil.which("fish"), "fish is needed: scripts/setup.sh installs it"
    script = tmp_path / "supctl.fish"
    script.write_text(subprocess.run([SUPCTL, "completion", "fish"], capture_output=True, text=True,
                                     check=True, timeout=30).stdout)
    driver = f"source {script}\n" + "".join(
        f"complete -C {shlex.quote(line)} | cut -f1 | string join ' '\n" for line in lines)
    env = dict(os.environ, PATH=f"{os.path.dirname(SUPCTL)}:{os.environ['PATH']}",
               XDG_CONFIG_HOME=str(tmp_path / "cfg"), XDG_DATA_HOME=str(tmp_path / "data"))
    r = subprocess.run(["fish", "--no-config", "-c", driver], capture_output=True, text=True, timeout=60,
                       env=env)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return r.stdout.split("\n")[:-1]


def test_fish_completes_commands_options_values_and_files(tmp_path):
    (tmp_path / "site.conf").write_text("")
    got = fish_complete(tmp_path, "supctl re", "supctl --j", "supctl logs --fo", "supctl wait web --for r",
                        "supctl import ", f"supctl import supervisord {tmp_path}/si", "supctl completion ",
                        "supctl signal H", "supctl notify RE")
    assert got[0].split() == ["reload", "restart"]
    assert got[1] == "--json"
    assert got[2] == "--follow"
    assert got[3].split() == ["ready", "running"]
    assert got[4] == "supervisord"
    assert got[5] == f"{tmp_path}/site.conf"
    assert got[6].split() == ["bash", "fish", "zsh"]
    assert got[7] == "HUP"
    assert got[8].split() == ["READY=1", "RELOADING=1"]


def test_fish_asks_supd_for_program_instance_and_group_names(supd, tmp_path):
    supd.start(GROUPED)
    got = fish_complete(tmp_path, f"supctl -s {supd.sock} restart ", f"supctl -s {supd.sock} stop web:",
                        f"supctl -s {supd.sock} signal HUP b", f"supctl -s {supd.sock} status web db ")
    assert sorted(got[0].split()) == sorted(["all", "web", "web:0", "web:1", "db", "backend"])
    assert got[1].split() == ["web:0", "web:1"]
    assert got[2] == "backend"
    assert "db" in got[3].split()  # SEL... repeats

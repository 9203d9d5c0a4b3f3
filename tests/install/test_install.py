"""`cmake --install` lays out bin/, lib/, include/sup/ and share/, and what it installs is usable
from there: a C worker built with pkg-config and one built with find_package(supagent) (shared
and static) run, the Python agent imports from share/, the completion scripts parse, and the
installed supd accepts the installed example config."""
import os
import shutil
import sys
import subprocess
import textwrap

import pytest

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("SUP_BUILD_DIR") or os.path.join(ROOT, "build")

# A worker against the public C API. Outside supd every call is a no-op and must say so.
WORKER_C = textwrap.dedent("""\
    #include <stdio.h>
    #include "sup/agent.h"
    int main(void) {
      sup_counter_t* served = sup_counter("served_total");
      sup_counter_add(served, 1);
      sup_heartbeat();
      if (sup_agent_has_counters() != 0) return 3;
      if (sup_notify_ready() != 0) return 4;  /* no NOTIFY_SOCKET: nothing sent, not an error */
      puts("worker ok");
      return 0;
    }
""")


def run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)
    assert proc.returncode == 0, f"{cmd} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    root = tmp_path_factory.mktemp("prefix")
    run(["cmake", "--install", BUILD, "--prefix", str(root)])
    return root


def worker_env(prefix):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NOTIFY_SOCKET", "SUP_"))}
    env["LD_LIBRARY_PATH"] = str(prefix / "lib")
    return env


def test_layout(prefix):
    for rel in ["bin/supd", "bin/supctl",
                "lib/libsupagent.so", "lib/libsupagent.a",
                "include/sup/agent.h", "include/sup/agent.hpp", "include/sup/status_shm.h",
                "lib/pkgconfig/supagent.pc", "lib/cmake/supagent/supagentConfig.cmake",
                "share/sup/python/sup_agent.py", "share/sup/examples/demo.toml",
                "share/bash-completion/completions/supctl",
                "share/zsh/vendor-completions/_supctl",
                "share/fish/vendor_completions.d/supctl.fish",
                "share/doc/sup/README.md", "share/doc/sup/protocol.md"]:
        assert (prefix / rel).exists(), f"{rel} missing from the install"
    for binary in ["bin/supd", "bin/supctl"]:
        assert os.access(prefix / binary, os.X_OK)


def test_installed_binaries_check_the_installed_example(prefix):
    demo = prefix / "share/sup/examples/demo.toml"
    run([str(prefix / "bin/supd"), "--check", "-c", str(demo)])
    run([str(prefix / "bin/supctl"), "check", str(demo)])


def test_pkg_config_worker(prefix, tmp_path):
    if not shutil.which("pkg-config") or not shutil.which("cc"):
        pytest.fail("pkg-config and cc are set-up dependencies (scripts/setup.sh)")
    env = dict(os.environ, PKG_CONFIG_PATH=str(prefix / "lib/pkgconfig"))
    flags = run(["pkg-config", "--cflags", "--libs", "supagent"], env=env).stdout.split()
    includes = [f[2:] for f in flags if f.startswith("-I")]
    assert any(os.path.samefile(d, prefix / "include") for d in includes), flags
    source = tmp_path / "worker.c"
    source.write_text(WORKER_C)
    binary = tmp_path / "worker"
    run(["cc", "-std=c11", "-Wall", "-Werror", str(source), "-o", str(binary), *flags])
    out = run([str(binary)], env=worker_env(prefix)).stdout
    assert out == "worker ok\n"


@pytest.mark.parametrize("target", ["supagent::supagent", "supagent::supagent_static"])
def test_cmake_package_worker(prefix, tmp_path, target):
    (tmp_path / "worker.c").write_text(WORKER_C)
    (tmp_path / "CMakeLists.txt").write_text(textwrap.dedent(f"""\
        cmake_minimum_required(VERSION 3.16)
        project(consumer LANGUAGES C CXX)
        find_package(supagent 0.1 REQUIRED)
        add_executable(worker worker.c)
        target_link_libraries(worker PRIVATE {target})
    """))
    build = tmp_path / "build"
    run(["cmake", "-S", str(tmp_path), "-B", str(build), f"-DCMAKE_PREFIX_PATH={prefix}"])
    run(["cmake", "--build", str(build)])
    out = run([str(build / "worker")], env=worker_env(prefix)).stdout
    assert out == "worker ok\n"


def test_python_agent_from_share(prefix):
    env = worker_env(prefix)
    env["PYTHONPATH"] = str(prefix / "share/sup/python")
    code = ("import sup_agent, os; "
            "assert sup_agent.__file__.startswith(os.environ['PYTHONPATH']); "
            "c = sup_agent.counter('served_total'); c.add(1); sup_agent.heartbeat(); "
            "assert not sup_agent.has_counters(); print('agent ok')")
    assert run([sys.executable, "-c", code], env=env).stdout == "agent ok\n"


def test_completion_scripts_parse(prefix):
    run(["bash", "-n", str(prefix / "share/bash-completion/completions/supctl")])
    script = (prefix / "share/bash-completion/completions/supctl").read_text()
    assert "complete " in script and "supctl" in script
    zsh = (prefix / "share/zsh/vendor-completions/_supctl").read_text()
    assert zsh.startswith("#compdef supctl")
    if shutil.which("zsh"):
        run(["zsh", "-n", str(prefix / "share/zsh/vendor-completions/_supctl")])
    run(["fish", "--no-execute", str(prefix / "share/fish/vendor_completions.d/supctl.fish")])

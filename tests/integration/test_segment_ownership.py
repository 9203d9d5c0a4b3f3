"""SPEC §9.1 "Status segment ownership": an object under the segment's name is trusted only when
it belongs to supd's uid and nobody else may write it; anything else is replaced (and logged with
its owner), so no local user keeps supd from starting. Without `status_shm`, the name is derived
from the socket path, so two supd with different sockets both start, and supctl finds each."""
import os
import pwd
import shutil
import struct
import subprocess
import tempfile
import textwrap

import pytest

from conftest import SUPCTL, Supd, wait_until

STATUS_MAGIC = 0x3154415453505553

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (a root supd, setpriv)")


def forged_header(supd_pid):
    """A version-1 header (the layout every supd before this one wrote) naming `supd_pid`."""
    return struct.pack("<QIIIIqQQIIQ8Q", STATUS_MAGIC, 1, 128, 256, 0, supd_pid, 1, 1, 0, 0, 1,
                       *([0] * 8))


def forged_header_v2(supd_pid):
    return struct.pack("<QIIIIqQQIIQQ7Q", STATUS_MAGIC, 2, 128, 272, 0, supd_pid, 1, 1, 0, 0,
                       1, 0, *([0] * 7))


def plant_as_nobody(path, data):
    nobody = pwd.getpwnam("nobody")
    code = ("import os,sys; fd=os.open(sys.argv[1], os.O_CREAT|os.O_EXCL|os.O_WRONLY, 0o644); "
            "os.write(fd, bytes.fromhex(sys.argv[2])); os.close(fd)")
    subprocess.run(["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                    "--clear-groups", "/usr/bin/python3", "-c", code, path, data.hex()],
                   check=True)
    assert os.stat(path).st_uid == nobody.pw_uid


@pytest.mark.parametrize("forge", [forged_header, forged_header_v2])
def test_an_object_planted_by_another_user_is_replaced_and_its_owner_logged(supd, forge):
    # Pid 1 is alive: trusted, this header would make supd refuse to start (exit 2).
    plant_as_nobody("/dev/shm" + supd.shm, forge(1))
    supd.start('[program.a]\ncommand = ["${WORKER}", "forever"]\n')
    supd.wait_state("a", "RUNNING")
    st = os.stat("/dev/shm" + supd.shm)
    assert st.st_uid == 0 and st.st_mode & 0o777 == 0o640
    assert "replaced an object of uid 65534 (nobody)" in supd.log()
    top = supd.ctl("top", "--once")
    assert top.returncode == 0 and "RUNNING" in top.stdout, top.stderr


def test_a_root_owned_but_world_writable_object_is_replaced_too(supd):
    fd = os.open("/dev/shm" + supd.shm, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.write(fd, forged_header(1))  # pid 1: trusted, "in use by supd pid 1", exit 2
    os.fchmod(fd, 0o666)
    os.close(fd)
    supd.start('[program.a]\ncommand = ["${WORKER}", "forever"]\n')
    supd.wait_state("a", "RUNNING")
    assert os.stat("/dev/shm" + supd.shm).st_mode & 0o777 == 0o640
    assert "replaced an object of uid 0 (root), mode 0666" in supd.log()


def fnv1a_name(socket_path):
    """docs/protocol.md: the default segment name for a socket that is not /run/sup/sup.sock."""
    h = 2166136261
    for c in os.path.normpath(os.path.abspath(socket_path)).encode():
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return "/sup-%08x" % h


class DefaultNameSupd(Supd):
    """A supd whose config names no status_shm."""

    def __init__(self, workdir):
        super().__init__(workdir)
        self.shm = fnv1a_name(self.sock)

    def write_config(self, body, supervisor_extra=""):
        text = textwrap.dedent(f"""\
            [supervisor]
            socket = "{self.sock}"
            logs_dir = "{self.dir}/logs"
            {supervisor_extra}
            """) + textwrap.dedent(body)
        with open(self.config_path, "w") as f:
            f.write(text)
        return self.config_path


@pytest.fixture
def two():
    dirs = [tempfile.mkdtemp(prefix="sup-", dir="/tmp") for _ in range(2)]
    ds = [DefaultNameSupd(d) for d in dirs]
    yield ds
    for d in ds:
        d.cleanup()
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)


def test_two_supd_that_differ_only_in_their_socket_both_start_and_top_finds_each(two):
    for d, name in zip(two, ("alpha", "beta")):
        d.start(f'[program.{name}]\ncommand = ["${{WORKER}}", "forever"]\n')
    for d, name, other in zip(two, ("alpha", "beta"), ("beta", "alpha")):
        d.wait_state(name, "RUNNING")
        assert os.path.exists("/dev/shm" + d.shm), d.log()
        top = d.ctl("top", "--once")
        assert top.returncode == 0, top.stderr
        assert name in top.stdout and other not in top.stdout


def test_top_derives_the_segment_name_when_it_may_not_use_the_socket(two):
    d = two[0]
    d.start('[program.alpha]\ncommand = ["${WORKER}", "forever"]\n',
            supervisor_extra='shm_mode = "0644"')
    d.wait_state("alpha", "RUNNING")
    nobody = pwd.getpwnam("nobody")
    # The socket's directory is 0700: nobody cannot connect, but may read a 0644 segment.
    r = subprocess.run(["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                        "--clear-groups", SUPCTL, "-s", d.sock, "top", "--once"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "alpha" in r.stdout

"""Access control and hostile input on the control socket, privilege drop (SPEC §6 Access,
Limits; §4 Child process), against the real supd. docs/security.md maps each boundary here.

Runs as root (as CI does): unprivileged peers are `nobody` through setpriv.
"""
import grp
import json
import os
import pwd
import re
import socket
import stat
import subprocess
import sys
import time

import pytest

from conftest import SUPCTL, SUPD, Supd, wait_until
from test_core import prog

NOBODY = pwd.getpwnam("nobody")
AS_NOBODY = ["setpriv", f"--reuid={NOBODY.pw_uid}", f"--regid={NOBODY.pw_gid}", "--clear-groups"]

# A raw protocol client run as another user: sends each request line given in argv[2],
# reads until every id has its last line (an error, an end line, or the result of a
# request not named in argv[3] as a stream), prints {"pid", "replies"} as JSON.
RAW_CLIENT = r"""
import json, os, socket, sys
requests = json.loads(sys.argv[2])
streams = set(json.loads(sys.argv[3]))
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(sys.argv[1])
s.sendall("".join(json.dumps(r) + "\n" for r in requests).encode())
pending = {r["id"] for r in requests}
replies, buf = [], b""
while pending:
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        msg = json.loads(line)
        replies.append(msg)
        if not msg["ok"] or msg.get("end") or ("result" in msg and msg["id"] not in streams):
            pending.discard(msg["id"])
print(json.dumps({"pid": os.getpid(), "replies": replies}))
"""


def raw_as(user_cmd, sock, requests, streams=()):
    r = subprocess.run(user_cmd + [sys.executable, "-c", RAW_CLIENT, sock, json.dumps(requests),
                                   json.dumps(list(streams))], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def final_reply(replies, rid):
    """The line that ended request `rid`: its error, its end line or its single result."""
    mine = [m for m in replies if m["id"] == rid]
    assert mine, (rid, replies)
    return mine[-1]


def reachable_by_others(supd):
    """The temp dir is 0700: others need to traverse it to reach the socket."""
    os.chmod(supd.dir, 0o711)


def supctl_as(user_cmd, supd, *args):
    """Runs supctl as another user; returns (completed process, its pid)."""
    p = subprocess.Popen(user_cmd + [SUPCTL, "-s", supd.sock, *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=60)
    return subprocess.CompletedProcess(p.args, p.returncode, out, err), p.pid


def stderr_text(supd):
    return open(os.path.join(supd.dir, "supd.err"), errors="replace").read()


def wait_logged(supd, pattern, timeout=20):
    """supd writes its log from a thread of its own: a line may land after the reply."""
    return wait_until(lambda: re.search(pattern, stderr_text(supd)), timeout, interval=0.05,
                      what=f"supd to log {pattern!r}")


def connect(path, timeout=20):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


class LineReader:
    """Reads newline-delimited JSON replies from one connection."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def next(self):
        """The next reply, or None at EOF."""
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def call(self, request):
        self.sock.sendall(request if isinstance(request, bytes) else (json.dumps(request) + "\n").encode())
        return self.next()


def wait_eof(sock, timeout=20):
    """True once the peer closed (reads and discards whatever comes first)."""
    sock.settimeout(timeout)
    try:
        while sock.recv(65536):
            pass
        return True
    except ConnectionResetError:
        return True


def rss(pid):
    return int(open(f"/proc/{pid}/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


# --- Access: SO_PEERCRED decides what a peer may do ------------------------------------------

READ_ONLY = [
    ("status", {"select": ["up"]}),
    ("version", {}),
    ("pid", {}),
    ("shm", {}),
    ("wait", {"select": ["up"], "for": "running", "timeout_ms": 10000}),
]
PRIVILEGED = [
    ("start", {"select": ["up"]}),
    ("stop", {"select": ["up"]}),
    ("restart", {"select": ["up"]}),
    ("signal", {"signal": "HUP", "select": ["up"]}),
    ("logs", {"select": ["up"]}),
    ("reload", {"dry_run": True}),
    ("shutdown", {}),
]


def test_an_unprivileged_peer_gets_the_read_only_verbs_and_permission_denied_for_the_rest(supd):
    supd.start(prog("up", ["forever"], 'start_seconds = "0s"'), supervisor_extra='socket_mode = "0666"')
    reachable_by_others(supd)
    pid = supd.wait_state("up", "RUNNING")["pid"]
    requests = [{"id": i, "cmd": cmd, "args": args} for i, (cmd, args) in enumerate(READ_ONLY + PRIVILEGED)]
    # events is a stream: cancelling it proves it was accepted (its end line comes back).
    events_id, cancel_id = len(requests), len(requests) + 1
    requests += [{"id": events_id, "cmd": "events", "args": {}},
                 {"id": cancel_id, "cmd": "cancel", "args": {"id": events_id}}]
    out = raw_as(AS_NOBODY, supd.sock, requests, streams=[4, events_id])
    replies = out["replies"]
    for i, (cmd, _) in enumerate(READ_ONLY):
        assert final_reply(replies, i)["ok"], (cmd, replies)
    assert final_reply(replies, 0)["result"]["instances"][0]["pid"] == pid
    assert final_reply(replies, events_id) == {"id": events_id, "ok": True, "end": True}
    assert final_reply(replies, cancel_id)["ok"]
    for i, (cmd, _) in enumerate(PRIVILEGED, start=len(READ_ONLY)):
        reply = final_reply(replies, i)
        assert not reply["ok"] and reply["error"]["code"] == "permission_denied", (cmd, reply)
    # Nothing happened: same process, and supd still up (shutdown was refused).
    assert supd.instance("up")["pid"] == pid and supd.proc.poll() is None
    # Each denial is logged with the peer's uid and pid.
    for cmd, _ in PRIVILEGED:
        wait_logged(supd, rf"permission denied: '{cmd}' from uid {NOBODY.pw_uid} pid {out['pid']}\b")


def test_supctl_as_an_unprivileged_user_exits_5_for_every_control_verb(supd):
    supd.start(prog("up", ["forever"], 'start_seconds = "0s"'),
               supervisor_extra='socket_mode = "0666"\nshm_mode = "0644"')
    reachable_by_others(supd)
    pid = supd.wait_state("up", "RUNNING")["pid"]
    for args in (["status", "up"], ["version"], ["pid", "up"], ["wait", "up", "--for", "running"],
                 ["top", "--once"]):
        r, _ = supctl_as(AS_NOBODY, supd, *args)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
    for args in (["start", "up"], ["stop", "up"], ["restart", "up"], ["signal", "HUP", "up"],
                 ["logs", "up"], ["reload"], ["shutdown"]):
        r, client_pid = supctl_as(AS_NOBODY, supd, *args)
        assert r.returncode == 5, (args, r.stdout, r.stderr)
        assert f"'{args[0]}' needs root" in r.stderr, (args, r.stdout, r.stderr)
        wait_logged(supd, rf"permission denied: '{args[0]}' from uid {NOBODY.pw_uid} pid {client_pid}\b")
    assert supd.instance("up")["pid"] == pid and supd.proc.poll() is None


def write_access_config(supd, access):
    supd.write_config(prog("up", ["forever"], 'start_seconds = "0s"'), access)


def test_allow_users_and_allow_groups_grant_control_and_a_reload_takes_it_back(supd):
    write_access_config(supd, 'allow_users = ["nobody"]')
    supd.start()
    reachable_by_others(supd)
    supd.wait_state("up", "RUNNING")
    # allow_users alone makes the socket 0666 (SPEC §3): nobody can connect and control.
    assert stat.S_IMODE(os.stat(supd.sock).st_mode) == 0o666
    for args in (["stop", "up"], ["start", "up"], ["logs", "up"]):
        r, _ = supctl_as(AS_NOBODY, supd, *args)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
    write_access_config(supd, 'socket_mode = "0666"')
    assert supd.ctl("reload").returncode == 0
    r, _ = supctl_as(AS_NOBODY, supd, "stop", "up")
    assert r.returncode == 5, r.stdout + r.stderr
    assert supd.instance("up")["state"] == "RUNNING"
    write_access_config(supd, f'allow_groups = ["{grp.getgrgid(NOBODY.pw_gid).gr_name}"]')
    assert supd.ctl("reload").returncode == 0
    r, _ = supctl_as(AS_NOBODY, supd, "stop", "up")
    assert r.returncode == 0, r.stdout + r.stderr
    assert supd.instance("up")["state"] == "STOPPED"


def test_socket_mode_and_group_decide_who_may_connect_and_a_missing_directory_is_created_0711(supd):
    run = os.path.join(supd.dir, "run")
    supd.sock = os.path.join(run, "sup.sock")
    group = grp.getgrgid(NOBODY.pw_gid)
    supd.start(prog("up", ["forever"], 'start_seconds = "0s"'),
               supervisor_extra=f'socket_mode = "0660"\nsocket_group = "{group.gr_name}"')
    reachable_by_others(supd)
    st = os.stat(run)
    assert (stat.S_IMODE(st.st_mode), st.st_uid) == (0o711, os.geteuid())
    st = os.stat(supd.sock)
    assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o660, group.gr_gid)
    supd.wait_state("up", "RUNNING")
    # In the socket's group: may connect (and read). Outside it: EACCES on connect -> exit 5.
    r, _ = supctl_as(AS_NOBODY, supd, "status")
    assert r.returncode == 0, r.stdout + r.stderr
    other_gid = next(g.gr_gid for g in grp.getgrall() if g.gr_gid not in (0, group.gr_gid))
    outsider = ["setpriv", f"--reuid={NOBODY.pw_uid}", f"--regid={other_gid}", "--clear-groups"]
    r, _ = supctl_as(outsider, supd, "status")
    assert r.returncode == 5, r.stdout + r.stderr


@pytest.mark.parametrize("unsafe", ["world-writable", "owned by nobody"])
def test_an_unsafe_socket_directory_stops_start_up_with_exit_2(supd, unsafe):
    run = os.path.join(supd.dir, "run")
    os.mkdir(run)
    if unsafe == "world-writable":
        os.chmod(run, 0o777)
        expected = "group- or world-writable"
    else:
        os.chown(run, NOBODY.pw_uid, NOBODY.pw_gid)
        expected = f"owned by uid {NOBODY.pw_uid}"
    supd.sock = os.path.join(run, "sup.sock")
    supd.start(prog("up", ["forever"]), wait=False)
    assert supd.proc.wait(20) == 2
    assert expected in stderr_text(supd), supd.log()
    assert os.listdir(run) == []


def make_stale_socket(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.close()  # bound, never listening: what a killed supd leaves behind


def second_supd_on(first, workdir):
    """A second supd (own dir, own segment) configured on `first`'s socket path."""
    other = Supd(workdir)
    other.sock = first.sock
    other.write_config(prog("other", ["forever"]))
    return other


def test_a_stale_socket_is_replaced_and_a_live_supd_is_never_displaced(supd, tmp_path):
    make_stale_socket(supd.sock)
    supd.start(prog("up", ["forever"], 'start_seconds = "0s"'))
    supd.wait_state("up", "RUNNING")
    wait_logged(supd, "removed stale socket")
    other = second_supd_on(supd, str(tmp_path))
    try:
        other.start(wait=False)
        assert other.proc.wait(20) == 2
        assert f"another supd (pid {supd.proc.pid}) serves {supd.sock}" in other.log()
    finally:
        other.cleanup()
    # The first one never noticed.
    assert supd.instance("up")["state"] == "RUNNING"
    assert supd.ctl("status").returncode == 0


def test_a_file_that_is_not_a_socket_at_the_socket_path_is_never_removed(supd):
    with open(supd.sock, "w") as f:
        f.write("precious\n")
    supd.start(prog("up", ["forever"]), wait=False)
    assert supd.proc.wait(20) == 2
    assert "not a socket" in stderr_text(supd), supd.log()
    assert open(supd.sock).read() == "precious\n"


# --- Privilege drop ----------------------------------------------------------------------------

def proc_ids(pid):
    fields = {}
    for line in open(f"/proc/{pid}/status"):
        key, _, value = line.partition(":")
        if key in ("Uid", "Gid", "Groups"):
            fields[key] = [int(v) for v in value.split()]
    return fields


def user_with_supplementary_groups():
    for g in grp.getgrall():
        for member in g.gr_mem:
            try:
                pw = pwd.getpwnam(member)
            except KeyError:
                continue
            if g.gr_gid != pw.pw_gid:
                return pw
    return None


def test_a_program_with_user_nobody_runs_with_exactly_nobodys_ids_and_groups(supd):
    daemon_group = grp.getgrnam("daemon")
    supd.start(prog("drop", ["forever"], 'start_seconds = "0s"\nuser = "nobody"') +
               prog("regroup", ["forever"], f'start_seconds = "0s"\nuser = "nobody"\ngroup = "{daemon_group.gr_name}"'))
    pid = supd.wait_state("drop", "RUNNING")["pid"]
    ids = proc_ids(pid)
    assert ids["Uid"] == [NOBODY.pw_uid] * 4  # real, effective, saved, filesystem
    assert ids["Gid"] == [NOBODY.pw_gid] * 4
    assert sorted(ids["Groups"]) == sorted(set(os.getgrouplist("nobody", NOBODY.pw_gid)))
    assert 0 not in ids["Groups"]
    pid = supd.wait_state("regroup", "RUNNING")["pid"]
    ids = proc_ids(pid)
    assert ids["Uid"] == [NOBODY.pw_uid] * 4
    assert ids["Gid"] == [daemon_group.gr_gid] * 4
    assert sorted(ids["Groups"]) == sorted(set(os.getgrouplist("nobody", daemon_group.gr_gid)))


def test_a_program_user_gets_its_supplementary_groups_from_the_group_database(supd):
    user = user_with_supplementary_groups()
    if user is None:
        pytest.skip("no user on this system is listed as a member of a group other than its own")
    supd.start(prog("drop", ["forever"], f'start_seconds = "0s"\nuser = "{user.pw_name}"'))
    ids = proc_ids(supd.wait_state("drop", "RUNNING")["pid"])
    assert ids["Uid"] == [user.pw_uid] * 4 and ids["Gid"] == [user.pw_gid] * 4
    expected = set(os.getgrouplist(user.pw_name, user.pw_gid))
    assert len(expected) > 1
    assert sorted(ids["Groups"]) == sorted(expected)


def test_a_config_that_asks_for_user_while_supd_is_not_root_is_refused_at_load_time(supd):
    reachable_by_others(supd)
    config = supd.write_config(prog("drop", ["forever"], 'user = "daemon"'))
    os.chmod(config, 0o644)
    check = subprocess.run(AS_NOBODY + [SUPD, "--check", "-c", config], capture_output=True, text=True)
    assert check.returncode == 2, check.stdout + check.stderr
    assert "root" in check.stderr and "user" in check.stderr, check.stderr
    run = subprocess.run(AS_NOBODY + [SUPD, "-c", config], capture_output=True, text=True, timeout=20)
    assert run.returncode == 2, run.stdout + run.stderr
    assert check.stderr.strip().splitlines()[-1] in run.stderr
    assert not os.path.exists(supd.sock)


# --- Hostile input on the socket ----------------------------------------------------------------

def test_bad_input_gets_an_error_or_a_close_and_never_disturbs_another_client(supd):
    supd.start(prog("up", ["forever"], 'start_seconds = "0s"'))
    up_pid = supd.wait_state("up", "RUNNING")["pid"]
    bystander = LineReader(connect(supd.sock))

    def bystander_served(rid):
        reply = bystander.call({"id": rid, "cmd": "status", "args": {"select": ["up"]}})
        assert reply["id"] == rid and reply["ok"], reply
        assert reply["result"]["instances"][0]["pid"] == up_pid

    # (line sent, expected code, expected id); the connection stays usable after each.
    cases = [
        (b'{"id":1,"cmd":', "bad_request", None),
        (b'[1,2,3]', "bad_request", None),
        (b'"status"', "bad_request", None),
        (b'42', "bad_request", None),
        (b'{"cmd":"status"}', "bad_request", None),
        (b'{"id":[1],"cmd":"status"}', "bad_request", None),
        (b'{"id":1.5,"cmd":"status"}', "bad_request", None),
        (b'{"id":true,"cmd":"status"}', "bad_request", None),
        (b'{"id":{"a":1},"cmd":"status"}', "bad_request", None),
        (b'{"id":184467440737095516160000,"cmd":"status"}', "bad_request", None),
        (b'{"id":2,"cmd":7}', "bad_request", 2),
        (b'{"id":3}', "bad_request", 3),
        (b'{"id":4,"cmd":"status","args":"all"}', "bad_request", 4),
        (b'{"id":5,"cmd":"status","args":[1]}', "bad_request", 5),
        (b'{"id":6,"cmd":"frobnicate"}', "unknown_command", 6),
        (b'{"id":7,"cmd":"sta\\u0000tus"}', "unknown_command", 7),
        (b'{"id":8,\x00"cmd":"status"}', "bad_request", None),
        (b'{"id":9,"cmd":"sta\x00tus"}', "bad_request", None),
        (b'{"id":10,"cmd":"\xff\xfe"}', "bad_request", None),
        (b'{"id":11,"cmd":"\\ud800"}', "bad_request", None),
        (b'{"id":12,"cmd":"status","args":{"select":5}}', None, 12),
        (b'{"id":13,"cmd":"status","args":{"select":[5, null, {}]}}', None, 13),
        (b'{"id":14,"cmd":"wait","args":{"select":["up"],"for":42,"timeout_ms":"soon"}}', None, 14),
        (b'{"id":15,"cmd":"signal","args":{"signal":["HUP"],"select":["up"]}}', None, 15),
        (b'{"id":16,"cmd":"logs","args":{"select":["up"],"lines":-1,"stream":7}}', None, 16),
        (b'{"id":17,"cmd":"start","args":{"select":["up"],"wait":"yes","timeout_ms":-5}}', None, 17),
        (b'{"id":18,"cmd":"cancel","args":{"id":[1]}}', "bad_request", 18),
        (b'{"id":19,"cmd":"reload","args":{"dry_run":"no"}}', None, 19),
        (b'[' * 200000 + b']' * 200000, "bad_request", None),
        (b'{"id":20,"cmd":"status","args":{"x":' + b'[' * 200000 + b']' * 200000 + b'}}', "ok", 20),
        (b'{"id":21,"cmd":"status","args":{"select":["' + b'x' * 100000 + b'"]}}', "not_found", 21),
        (b'{"id":22,"cmd":"logs","args":{"select":["up"],"lines":1e300}}', "bad_request", 22),
        (b'{"id":23,"cmd":"signal","args":{"signal":"-9","select":["up"]}}', "bad_request", 23),
        (b'{"id":24,"cmd":"status","args":{"select":["up:99999999999999999999"]}}', "not_found", 24),
    ]
    client = LineReader(connect(supd.sock))
    for n, (line, code, rid) in enumerate(cases):
        reply = client.call(line + b"\n")
        assert reply is not None, f"supd closed the connection on {line[:80]!r}"
        assert reply["id"] == rid, (line[:80], reply)
        if code == "ok":  # unknown args are ignored; deep nesting costs nothing
            assert reply["ok"] and reply["result"]["instances"][0]["pid"] == up_pid, reply
        elif code is None:
            # Wrong argument types: a clear error naming the argument, never a crash.
            assert not reply["ok"] and reply["error"]["code"] == "bad_request", (line[:80], reply)
            assert "args" in reply["error"]["message"], reply
        else:
            assert not reply["ok"] and reply["error"]["code"] == code, (line[:80], reply)
        assert reply["ok"] or reply["error"]["message"]
        ok = client.call({"id": f"after-{n}", "cmd": "version"})
        assert ok == {"id": f"after-{n}", "ok": True, "result": ok["result"]} and ok["result"]["protocol"] == 1
        bystander_served(n)
    # Two requests in flight with the same id: the second is refused, the first unharmed.
    wait = b'{"id":"w","cmd":"wait","args":{"select":["up"],"for":"stopped","timeout_ms":60000}}\n'
    client.sock.sendall(wait + wait)
    dup = client.next()
    assert dup["id"] == "w" and dup["error"]["code"] == "bad_request" and "in use" in dup["error"]["message"], dup
    # Over 1 MiB without a newline: bad_request with a null id, then the connection closes.
    big = connect(supd.sock)
    payload = b'{"id":1,"cmd":"status","args":{"x":"' + b"a" * (1 << 20) + b'"}}\n'
    try:
        big.sendall(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass  # supd may close before the rest arrives; the reply is already queued
    reply = LineReader(big).next()
    assert reply["id"] is None and reply["error"]["code"] == "bad_request", reply
    assert "1048576" in reply["error"]["message"]
    assert wait_eof(big)
    bystander_served(1000)
    # Garbage and a half-sent request, then a hang-up: nothing left behind.
    for junk in (os.urandom(65536), b'{"id":1,"cmd":"sta'):
        s = connect(supd.sock)
        s.sendall(junk)
        s.close()
    bystander_served(1001)
    assert supd.proc.poll() is None
    assert supd.instance("up")["pid"] == up_pid


def test_the_257th_client_is_told_busy_and_closed_and_a_freed_slot_serves_again(supd):
    supd.start(prog("up", ["forever"], 'start_seconds = "0s"'))
    supd.wait_state("up", "RUNNING")
    held = []
    try:
        for i in range(256):
            c = LineReader(connect(supd.sock))
            reply = c.call({"id": i, "cmd": "version"})  # a reply proves supd counts this client
            assert reply and reply["ok"], (i, reply)
            held.append(c)
        extra = connect(supd.sock)
        reply = LineReader(extra).next()
        assert reply is not None and reply["id"] is None and reply["error"]["code"] == "busy", reply
        assert wait_eof(extra)
        extra.close()
        # The connected ones are still served.
        assert held[100].call({"id": "still", "cmd": "status"})["ok"]
        wait_logged(supd, "refused a client")
        held.pop().sock.close()
        wait_until(lambda: supd.ctl("status").returncode == 0, 20, interval=0.1, what="a freed slot")
    finally:
        for c in held:
            c.sock.close()
    wait_until(lambda: supd.ctl("status").returncode == 0, 20, interval=0.1, what="supd serving")


# As `nobody`: connects (each proven admitted by a version round trip) until supd refuses one,
# prints how many it holds and the refusal, then holds them until its stdin closes.
HOARDER = r"""
import json, socket, sys
held = []
while True:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(sys.argv[1])
    try:
        s.sendall(b'{"id":1,"cmd":"version"}\n')
    except OSError:
        pass  # refused and closed already: the busy line is still there to read
    reply = json.loads(s.makefile("rb").readline())
    if not reply["ok"]:
        break
    held.append(s)
print(json.dumps({"held": len(held), "refusal": reply}), flush=True)
sys.stdin.read()
"""


def test_unprivileged_peers_can_never_take_the_places_kept_for_root(supd):
    supd.start(prog("up", ["forever"], 'start_seconds = "0s"'), supervisor_extra='socket_mode = "0666"')
    reachable_by_others(supd)
    supd.wait_state("up", "RUNNING")
    hoarder = subprocess.Popen(AS_NOBODY + [sys.executable, "-c", HOARDER, supd.sock], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    held = []
    try:
        report = json.loads(hoarder.stdout.readline())
        assert report["held"] == 240, report
        assert report["refusal"]["error"]["code"] == "busy", report
        assert "places are kept for privileged users" in report["refusal"]["error"]["message"]
        # Root still gets in: supctl, then every one of the 16 kept places, and no more.
        assert supd.ctl("stop", "up").returncode == 0
        for i in range(16):
            c = LineReader(connect(supd.sock))
            assert c.call({"id": i, "cmd": "version"})["ok"]
            held.append(c)
        extra = LineReader(connect(supd.sock))
        refusal = extra.next()
        assert refusal["error"]["message"] == "too many clients (256 connected)", refusal
    finally:
        for c in held:
            c.sock.close()
        hoarder.stdin.close()
        hoarder.wait(30)


def test_supctl_told_busy_exits_1_with_the_reason(supd):
    supd.start(prog("up", ["forever"], 'start_seconds = "0s"'))
    held = []
    try:
        for i in range(256):
            c = LineReader(connect(supd.sock))
            assert c.call({"id": i, "cmd": "version"})["ok"]
            held.append(c)
        for _ in range(20):
            r = supd.ctl("status")
            assert r.returncode == 1 and "too many clients (256 connected)" in r.stderr, r.stdout + r.stderr
    finally:
        for c in held:
            c.sock.close()


# A client that stops reading its replies: test_connection_limits.py.


def supd_cpu_s(supd):
    return supd.request("status", {"select": ["up"]})[-1]["result"]["supd"]["cpu_s"]


# A client run as another user: sends stdin to the socket, prints the replies as a JSON list
# once a reply with id "last" came (or EOF).
PIPELINE_CLIENT = r"""
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(120)
s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read())
buf, replies = b"", []
while not replies or replies[-1]["id"] != "last":
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
    lines = buf.split(b"\n")
    buf = lines.pop()
    replies += [json.loads(l) for l in lines]
print(json.dumps(replies))
"""


def pipeline_as(user_cmd, sock, requests):
    text = "".join(json.dumps(r) + "\n" for r in requests)
    r = subprocess.run(user_cmd + [sys.executable, "-c", PIPELINE_CLIENT, sock], input=text,
                       capture_output=True, text=True, timeout=150)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_an_unprivileged_peer_cannot_pile_up_requests_in_flight(supd):
    supd.start(prog("up", ["forever"], 'start_seconds = "0s"'), supervisor_extra='socket_mode = "0666"')
    reachable_by_others(supd)
    supd.wait_state("up", "RUNNING")
    pid = supd.proc.pid
    rss_before = rss(pid)
    # 4000 streams that never end on one connection: the first 256 are kept, every other
    # one is refused at once with busy and its own id; a version request still gets through.
    requests = [{"id": i, "cmd": "events" if i % 2 else "wait",
                 "args": {} if i % 2 else {"select": ["up"], "for": "stopped", "timeout_ms": 0}}
                for i in range(4000)] + [{"id": "last", "cmd": "version"}]
    replies = pipeline_as(AS_NOBODY, supd.sock, requests)
    busy = [m for m in replies if not m["ok"] and m["error"]["code"] == "busy"]
    assert {m["id"] for m in busy} == set(range(256, 4000))
    assert busy[0]["error"]["message"] == "too many requests in flight on this connection (256)"
    assert replies[-1]["id"] == "last" and replies[-1]["ok"]
    assert len(replies) == len(busy) + 1
    assert rss(pid) - rss_before < 16 * 1024 * 1024
    assert supd.ctl("status").returncode == 0


# The next two measure supd's own CPU time (status reports it) for one peer's requests: a
# count of work, not a timing of the machine. The fixed code needs milliseconds; the bound is
# far above that and far below what the bugs cost (tens of seconds on the dev machine).

def test_a_huge_selector_from_an_unprivileged_peer_costs_supd_next_to_nothing(supd):
    body = "".join(f'[program.service_number_{i:04d}]\ncommand = ["${{WORKER}}", "forever"]\n'
                   f'autostart = false\n' for i in range(200))
    supd.start(prog("up", ["forever"], 'start_seconds = "0s"') + body,
               supervisor_extra='socket_mode = "0666"')
    reachable_by_others(supd)
    supd.wait_state("up", "RUNNING")
    before = supd_cpu_s(supd)
    replies = pipeline_as(AS_NOBODY, supd.sock,
                          [{"id": "last", "cmd": "status", "args": {"select": ["x" * 1_000_000]}}])
    assert replies[-1]["error"]["code"] == "not_found"
    assert supd_cpu_s(supd) - before < 2.0


def test_many_waits_from_an_unprivileged_peer_cost_supd_linear_time(supd):
    supd.start(prog("up", ["forever"], 'start_seconds = "0s"'), supervisor_extra='socket_mode = "0666"')
    reachable_by_others(supd)
    supd.wait_state("up", "RUNNING")
    before = supd_cpu_s(supd)
    # 128 connections x 256 waits (the per-connection bound) = 32 768 waiters: about 8 s of
    # CPU on the dev machine as things are, well under a second in linear time.
    wait = {"cmd": "wait", "args": {"select": ["up"], "for": "stopped", "timeout_ms": 0}}
    conns = []
    try:
        for c in range(128):
            s = connect(supd.sock, timeout=120)
            s.sendall("".join(json.dumps({"id": i, **wait}) + "\n" for i in range(256)).encode())
            conns.append(s)
        reply = LineReader(conns[-1]).call({"id": "last", "cmd": "version"})
        assert reply["ok"], reply
        assert supd_cpu_s(supd) - before < 2.5
    finally:
        for s in conns:
            s.close()

"""No client's requests hold supd's loop (SPEC §9.1 Connections): the requests of one read are
handled a few milliseconds per loop iteration, other clients are answered in between, and a
state change reaches every waiter that watches the instance (they are indexed by instance).

No timing is asserted: the test checks who is answered first, and that nothing is lost.
"""
import select

from test_connection_limits import many_instances
from test_security import LineReader, connect

WAITS = 256
INSTANCES = 10_000


def has_data(sock):
    return bool(select.select([sock], [], [], 0)[0])


def test_pipelined_waits_on_many_instances_let_another_client_in_and_all_get_replies(supd):
    supd.start(many_instances(INSTANCES) + '\n[program.one]\ncommand = ["${WORKER}", "forever"]\n'
               'autostart = false\nstart_seconds = "0s"\n')
    other = connect(supd.sock, timeout=60)
    other_reader = LineReader(other)
    other.sendall(b'{"id":"warm","cmd":"version"}\n')
    assert other_reader.next()["id"] == "warm"

    # A version, 256 waits, each on every instance (none will run), and a version, in one write.
    heavy = connect(supd.sock, timeout=120)
    reader = LineReader(heavy)
    waits = b"".join(b'{"id":%d,"cmd":"wait","args":{"select":["pool","one"],"for":"running"}}\n' % i
                     for i in range(WAITS))
    heavy.sendall(b'{"id":"first","cmd":"version"}\n' + waits + b'{"id":"last","cmd":"version"}\n')
    assert reader.next()["id"] == "first"  # supd is on this client's requests now
    # Another client asks while those are being handled: it is answered before supd has got
    # through them (with every request of a read handled in one go, "last" came first).
    other.sendall(b'{"id":"between","cmd":"version"}\n')
    assert other_reader.next()["id"] == "between"
    assert not has_data(heavy), "every pipelined request was handled before the other client's"

    last = reader.next()
    assert last["id"] == "last" and last["ok"], last
    # One state change reaches every waiter watching that instance: one line per wait.
    other.sendall(b'{"id":"start","cmd":"start","args":{"select":["one"],"wait":false}}\n')
    assert other_reader.next()["ok"]
    lines = [reader.next() for _ in range(WAITS)]
    assert sorted(r["id"] for r in lines) == list(range(WAITS))
    assert all(r["result"]["name"] == "one" and r["result"]["outcome"] == "ok" for r in lines), lines[:3]
    # Every wait is still in flight for the pool: cancelling each ends each.
    heavy.sendall(b"".join(b'{"id":"c%d","cmd":"cancel","args":{"id":%d}}\n' % (i, i)
                           for i in range(WAITS)))
    rest = [reader.next() for _ in range(2 * WAITS)]
    ends = sorted(r["id"] for r in rest if r.get("end"))
    cancels = [r for r in rest if isinstance(r["id"], str)]
    assert ends == list(range(WAITS)) and len(cancels) == WAITS and all(r["ok"] for r in cancels)
    heavy.close()
    other.close()
    assert supd.ctl("stop", "one").returncode == 0


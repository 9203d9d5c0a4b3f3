#!/usr/bin/env python3
"""Writes the generated seeds of tests/fuzz/corpus/: the binary fuzz_counters seeds from the
public layout in agent/include/sup/status_shm.h (native little-endian, x86-64/aarch64), and the
fuzz_protocol seeds (request lines of docs/protocol.md, replies, broken lines), whose first two
bytes are the framer's bound and chunk size (see fuzz_protocol.cpp). The fuzz_http seeds are request heads
after one chunk-size byte (see fuzz_http.cpp). The fuzz_config seeds are plain TOML files kept
by hand. Rerun after a layout or protocol change:
  python3 tests/fuzz/make_seeds.py"""
import os
import struct

COUNTERS_MAGIC = 0x31524E5443505553  # "SUPCNTR1"
STATUS_MAGIC = 0x3154415453505553    # "SUPSTAT1"
PER_PAGE = 64
PUBLISHED, CLAIMED = 2, 1
COUNTER, GAUGE = 1, 2


def counter_header(count, heartbeat=0, capacity=PER_PAGE):
    # magic, version, header_size, entry_size, capacity, count, reserved0, heartbeat, reserved[3]
    return struct.pack("<QIIIIIIQ3Q", COUNTERS_MAGIC, 1, 64, 64, capacity, count, 0, heartbeat,
                       0, 0, 0)


def entry(state, kind, name, value):
    raw = name.encode() if isinstance(name, str) else name
    return struct.pack("<II48sQ", state, kind, raw[:48].ljust(48, b"\0"), value & (2**64 - 1))


def page(entries, count=None, heartbeat=0):
    body = b"".join(entries)
    body += b"\0" * (64 * PER_PAGE - len(body))
    return counter_header(len(entries) if count is None else count, heartbeat) + body


def status_segment(slots, capacity=4, header_size=128, slot_size=272, slots_used=None,
                   retired=0):
    # A later version may grow the header and the slots: readers step by the sizes given.
    header = struct.pack("<QIIIIqQQIIQQ7Q", STATUS_MAGIC, 2, header_size, slot_size, capacity,
                         4242, 1_700_000_000_000_000_000, 1, retired,
                         len(slots) if slots_used is None else slots_used, 123_456_789,
                         987_654, *([0] * 7))
    assert len(header) == 128
    out = header + b"\0" * (header_size - 128)
    for seq, name, state, page_name in slots:
        data = struct.pack("<IIIIqQQQiiIIQQQQ80s64sQIIQ", 1, state, 1, 1, 1000 + seq,
                           1_700_000_000_000_000_000, 5_000_000_000, 3, 1, 0, 1, 0,
                           1_700_000_001_000_000_000, 2_000_000_000, 4096, 0,
                           name.encode()[:80].ljust(80, b"\0"),
                           page_name.encode()[:64].ljust(64, b"\0"), 123_456 + seq, 15, 1,
                           10_000)
        assert len(data) == 264
        out += (struct.pack("<Q", seq) + data).ljust(slot_size, b"\0")
    out += b"\0" * (slot_size * (capacity - len(slots)))
    return out


# Protocol seeds: (bound byte, chunk byte, lines). The framer's bound is 1 + byte 0 (so 0xFF
# lets lines of up to 256 bytes through) and its chunk size 1 + byte 1 % 64.
def protocol_seed(bound, chunk, lines, eol=b"\n"):
    return bytes([bound, chunk]) + b"".join(
        (line.encode() if isinstance(line, str) else line) + eol for line in lines)


PROTOCOL_SEEDS = {
    # Hand-written first, kept byte for byte.
    "cancel_events": protocol_seed(0xFF, 0x3F, [
        '{"id":7,"cmd":"events","args":{"select":["*"]}}',
        '{"id":8,"cmd":"cancel","args":{"id":7}}']),
    "malformed": protocol_seed(0x20, 0x03, [
        '{"id":1,"cmd":', '[1,2,3]', '"str"', '{"cmd":"status"}', '{"id":1.5,"cmd":"x"}',
        '{"id":1,"cmd":5}', '{"id":1,"cmd":"x","args":[]}']),
    "nested": protocol_seed(0xFF, 0x40, [
        '{"id":1,"cmd":"status","args":{"select":[[[[[[[[{"a":[1e400,-0,18446744073709551616]}]]]]]]]]}}']),
    "oversize": protocol_seed(0x08, 0x05, [
        '{"id":1,"cmd":"status","args":{"select":["a","b","c"]}}', '{"id":2}']),
    "replies": protocol_seed(0xFF, 0x40, [
        '{"id":1,"ok":true,"result":{"version":"0.1.0","protocol":1}}',
        '{"id":1,"ok":false,"error":{"code":"not_found","message":"no program"}}',
        '{"id":1,"ok":true,"end":true}']),
    "status": protocol_seed(0xFF, 0x40, ['{"id":1,"cmd":"status","args":{"select":["web"]}}']),
    "unicode": protocol_seed(0xFF, 0x10, [
        '{"id":"\\u00e9\\ud83d\\ude00","cmd":"logs","args":{"name":"w\\u0000b","lines":-1}}',
        b"\xff\xfe"]),
    "version_string_id": protocol_seed(0xFF, 0x07, ['{"id":"abc","cmd":"version"}']) +
                         b'{"id":2,"cmd":"pid","args":null}\r\n',
    # Every command of docs/protocol.md with the arguments it documents.
    "commands": protocol_seed(0xFF, 0x3F, [
        '{"id":1,"cmd":"version"}',
        '{"id":2,"cmd":"status","args":{"select":["all"]}}',
        '{"id":3,"cmd":"pid","args":{"select":["web:0","frontend"]}}',
        '{"id":"s1","cmd":"start","args":{"select":["web"],"wait":true,"timeout_ms":30000}}',
        '{"id":5,"cmd":"stop","args":{"select":[],"wait":false,"timeout_ms":0}}',
        '{"id":6,"cmd":"restart","args":{"select":["db"],"wait":true,"with_dependants":true}}',
        '{"id":7,"cmd":"signal","args":{"signal":"HUP","select":["web"],"group":false}}',
        '{"id":8,"cmd":"signal","args":{"signal":"15"}}',
        '{"id":9,"cmd":"signal","args":{"signal":"reload","select":["all"]}}',
        '{"id":10,"cmd":"wait","args":{"select":["web"],"for":"healthy","timeout_ms":5000}}',
        '{"id":11,"cmd":"events","args":{"select":["web"]}}',
        '{"id":12,"cmd":"logs","args":{"select":["web"],"lines":20,"follow":true,"stream":"stderr"}}',
        '{"id":13,"cmd":"reload","args":{"dry_run":true,"wait":true,"timeout_ms":60000}}',
        '{"id":14,"cmd":"shutdown","args":{}}',
        '{"id":15,"cmd":"shm"}',
        '{"id":16,"cmd":"cancel","args":{"id":"s1"}}',
        '{"id":17,"cmd":"stats"}']),
    # Ids: the edges of integer and string, and what is neither.
    "ids": protocol_seed(0xFF, 0x20, [
        '{"id":0,"cmd":"version"}', '{"id":-1,"cmd":"version"}',
        '{"id":9223372036854775807,"cmd":"version"}', '{"id":-9223372036854775808,"cmd":"version"}',
        '{"id":18446744073709551615,"cmd":"version"}', '{"id":1e3,"cmd":"version"}',
        '{"id":"","cmd":"version"}', '{"id":"1","cmd":"version"}', '{"id":null,"cmd":"version"}',
        '{"id":true,"cmd":"version"}', '{"id":[1],"cmd":"version"}', '{"id":{},"cmd":"version"}',
        '{"id":1,"id":2,"cmd":"version"}', '{"cmd":"version","id":3,"extra":"ignored"}']),
    # Broken lines: bad JSON, bad fields, blank lines, CRLF, bytes that are not UTF-8.
    "broken": protocol_seed(0xFF, 0x0B, [
        '', '   ', '{', '}', '{"id":1,"cmd":"status",}', '{"id":1 "cmd":"status"}',
        "{'id':1}", '{"id":1,"cmd":""}', '{"id":1,"cmd":null}', '{"id":1,"cmd":"status","args":"x"}',
        '{"id":1,"cmd":"status","args":{"select":"web"}}', '{"id":1,"cmd":"st\\u0000atus"}',
        b'{"id":1,"cmd":"\xc3\x28"}', b'\x00\x00', 'null', '1', 'NaN', '{"id":1,"cmd":"status"} trailing',
        '{"id":1,"cmd":"status"}\r', '\r']),
    # Framing alone: a line cut at every byte (chunk 1), and one over a small bound.
    "bytewise": protocol_seed(0x30, 0x00, ['{"id":1,"cmd":"pid"}', 'x' * 80, '{"id":2,"cmd":"pid"}']),
    "stream_replies": protocol_seed(0xFF, 0x40, [
        '{"id":7,"ok":true,"result":{"name":"worker","outcome":"ok","state":"STOPPED",'
        '"message":"stopped (SIGKILL after 10s)","killed":true}}',
        '{"id":7,"ok":true,"end":true}',
        '{"error":{"code":"unknown_command","message":"unknown command \'stats\'"},"id":3,"ok":false}',
        '{"error":{"code":"config_error","message":"2 errors","errors":["a:1:1: x"]},"id":4,"ok":false}',
        '{"id":5,"ok":false,"error":"not an object"}', '{"id":6,"ok":"yes"}']),
}


HTTP_SEEDS = {
    "get_metrics": b"\x00GET /metrics HTTP/1.1\r\nHost: localhost:9100\r\nAccept: */*\r\n\r\n",
    "readyz_query_bytewise": b"\x00GET /readyz?verbose=1#x HTTP/1.0\r\n\r\n",
    "absolute_form": b"\x07GET http://127.0.0.1:9100/healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    "head_with_body": b"\xffPOST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
    "options_star": b"\x10OPTIONS * HTTP/1.1\r\n\r\n",
    "connect": b"\x10CONNECT example.com:443 HTTP/1.1\r\n\r\n",
    "pipelined": b"\x20GET /healthz HTTP/1.1\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n",
    "long_url": b"\x40GET /" + b"a" * 3000 + b" HTTP/1.1\r\n\r\n",
    "long_header": b"\x40GET / HTTP/1.1\r\nX-Long: " + b"b" * 9000 + b"\r\n\r\n",
    "garbage": b"\x03\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    "cut_short": b"\x05GET /metr",
    "lf_only": b"\x01GET /healthz HTTP/1.1\nHost: a\n\n",
}


def write_all(out_dir, seeds):
    os.makedirs(out_dir, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)


def main():
    corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    write_all(os.path.join(corpus, "fuzz_protocol"), PROTOCOL_SEEDS)
    write_all(os.path.join(corpus, "fuzz_http"), HTTP_SEEDS)
    seeds = {
        "page_valid": page([entry(PUBLISHED, COUNTER, "requests_total", 12345),
                            entry(PUBLISHED, GAUGE, "queue_depth", -7),
                            entry(PUBLISHED, COUNTER, "http:errors_5xx", 3)], heartbeat=987654321),
        "page_empty": page([]),
        "page_claimed_and_bad": page([entry(CLAIMED, COUNTER, "half_done", 1),
                                      entry(PUBLISHED, 9, "bad_kind", 1),
                                      entry(PUBLISHED, COUNTER, "9starts_with_digit", 1),
                                      entry(PUBLISHED, COUNTER, b"x" * 48, 1),
                                      entry(PUBLISHED, COUNTER, "dup", 1),
                                      entry(PUBLISHED, COUNTER, "dup", 2)]),
        "page_count_overflow": page([entry(PUBLISHED, COUNTER, "a", 1)], count=0xFFFFFFFF),
        "page_full": page([entry(PUBLISHED, COUNTER, f"c{i}", i) for i in range(PER_PAGE)]),
        "page_short": page([entry(PUBLISHED, COUNTER, "cut", 1)])[:100],
        "segment_two_slots": status_segment([(2, "web", 2, "/sup-page-1"),
                                             (4, "worker:0", 3, "")]),
        "segment_mid_write": status_segment([(3, "torn", 2, "")], capacity=1),
        "segment_grown_sizes": status_segment([(2, "db", 2, "/sup-page-7"), (6, "db:1", 6, "")],
                                              capacity=3, header_size=192, slot_size=336),
        "segment_used_over_capacity": status_segment([(2, "a", 2, ""), (2, "b" * 80, 9, "c" * 64)],
                                                     capacity=2, slots_used=0xFFFFFFFF),
        "segment_retired": status_segment([(2, "old", 4, "")], capacity=2, retired=1),
        "segment_too_short": status_segment([(2, "cut", 2, "")], capacity=4)[:600],
        "page_bad_header": counter_header(1)[:8] + struct.pack("<IIII", 2, 64, 72, 64) +
                           page([entry(PUBLISHED, COUNTER, "v2", 1)])[24:],
    }
    write_all(os.path.join(corpus, "fuzz_counters"), seeds)


if __name__ == "__main__":
    main()

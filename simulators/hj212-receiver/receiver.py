#!/usr/bin/env python3
"""A small HJ 212-2017 platform for tests and the demo: it receives a station's frames, checks them, answers
9014 to those that ask for acknowledgement, logs every frame as a JSON line, and can send requests.

Standard library only, and independent of Levee's Swift code on purpose (its own CRC and parser), so that a test
against it checks Levee against a second reading of the standard.

    python3 receiver.py --port 0 --mn 010000A8900016F000169DC0 --pw 123456 \
        --request 'CN=1011' --request 'CN=2051;BeginTime=20250301080000;EndTime=20250301090000'

The first line on stdout is {"event": "listening", "host": ..., "port": ...} (with --port 0 the port is
ephemeral). See README.md.
"""

import argparse
import asyncio
import datetime
import json
import os
import signal
import sys

CHINA = datetime.timezone(datetime.timedelta(hours=8))


def crc16(data: bytes) -> int:
    """The HJ 212 CRC: reg = (reg >> 8) ^ byte, then 8 shifts with 0xA001 (not the Modbus CRC)."""
    reg = 0xFFFF
    for byte in data:
        reg = (reg >> 8) ^ byte
        for _ in range(8):
            carry = reg & 1
            reg >>= 1
            if carry:
                reg ^= 0xA001
    return reg


def frame(segment: str) -> bytes:
    data = segment.encode("ascii")
    return b"##%04d" % len(data) + data + b"%04X\r\n" % crc16(data)


def parse_segment(segment: str):
    """Returns (header fields, CP groups as lists of [key, value]) or raises ValueError with a reason."""
    marker = segment.find("CP=&&")
    if marker < 0 or (marker > 0 and segment[marker - 1] != ";"):
        raise ValueError("no CP=&& data area")
    if not segment.endswith("&&") or len(segment) < marker + 7:
        raise ValueError("data area does not end with &&")
    header = {}
    for item in segment[:marker].split(";")[:-1] if marker > 0 else []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError("header field %r is not key=value" % item)
        if key in header:
            raise ValueError("%s appears twice" % key)
        header[key] = value
    for required in ("ST", "CN", "PW", "MN"):
        if required not in header:
            raise ValueError("missing " + required)
    content = segment[marker + 5 : -2]
    groups = []
    if content:
        for group in content.split(";"):
            fields = []
            for field in group.split(","):
                key, sep, value = field.partition("=")
                if not sep or not key:
                    raise ValueError("CP field %r is not key=value" % field)
                fields.append([key, value])
            groups.append(fields)
    return header, groups


def check(raw: bytes):
    """Checks one frame (## to CR LF). Returns a dict for the log: crc_ok, reason, and the fields when it parsed."""
    entry = {"raw": raw.decode("ascii", "replace"), "crc_ok": False}
    if not raw.startswith(b"##") or not raw.endswith(b"\r\n") or len(raw) < 12:
        entry["reason"] = "not ## ... CR LF"
        return entry
    digits = raw[2:6]
    if not digits.isdigit():
        entry["reason"] = "bad length digits %r" % digits.decode("ascii", "replace")
        return entry
    segment = raw[6:-6]
    if int(digits) != len(segment):
        entry["reason"] = "length mismatch: declared %d, actual %d" % (int(digits), len(segment))
        return entry
    try:
        got = int(raw[-6:-2], 16)
    except ValueError:
        entry["reason"] = "bad CRC digits"
        return entry
    expected = crc16(segment)
    if got != expected:
        entry["reason"] = "CRC mismatch: expected %04X, got %04X" % (expected, got)
        return entry
    entry["crc_ok"] = True
    try:
        text = segment.decode("ascii")
        header, groups = parse_segment(text)
    except (UnicodeDecodeError, ValueError) as error:
        entry["reason"] = str(error)
        return entry
    flag = int(header["Flag"]) if header.get("Flag", "").isdigit() else None
    entry.update(
        {
            "qn": header.get("QN"),
            "st": header["ST"],
            "cn": header["CN"],
            "pw": header["PW"],
            "mn": header["MN"],
            "flag": flag,
            "pnum": int(header["PNUM"]) if "PNUM" in header else None,
            "pno": int(header["PNO"]) if "PNO" in header else None,
            "cp": groups,
        }
    )
    return entry


class Platform:
    def __init__(self, args):
        self.args = args
        self.log_file = open(args.log, "a", buffering=1) if args.log and args.log != "-" else sys.stdout
        self.writers = set()
        self.request_number = 0

    def log(self, entry):
        print(json.dumps(entry, sort_keys=True), file=self.log_file, flush=True)

    def request_frame(self, spec: str, mn: str, pw: str) -> bytes:
        """`CN=1011` or `CN=2051;BeginTime=...;EndTime=...`: the CN, then the data area's fields."""
        fields = [part for part in spec.split(";") if part]
        cn = fields[0].partition("=")[2] if fields and fields[0].startswith("CN=") else fields[0]
        cp = ";".join(fields[1:])
        self.request_number += 1
        now = datetime.datetime.now(CHINA)
        qn = now.strftime("%Y%m%d%H%M%S") + "%03d" % (now.microsecond // 1000)
        return frame("QN=%s;ST=32;CN=%s;PW=%s;MN=%s;Flag=5;CP=&&%s&&" % (qn, cn, pw, mn, cp))

    async def send_raw(self, writer):
        for text in self.args.send_raw:
            data = text.encode("ascii").decode("unicode_escape").encode("latin-1")
            writer.write(data)
            await writer.drain()
            self.log({"event": "raw-sent", "raw": data.decode("latin-1")})

    async def send_requests(self, writer, mn, pw, specs):
        for spec in specs:
            data = self.request_frame(spec, mn, pw)
            writer.write(data)
            await writer.drain()
            self.log({"event": "request-sent", "raw": data.decode("ascii")})

    async def handle(self, reader, writer):
        peer = writer.get_extra_info("peername")
        self.writers.add(writer)
        self.log({"event": "connected", "peer": str(peer)})
        requests_sent = False
        if self.args.mn and (self.args.request or self.args.send_raw):
            await self.send_raw(writer)
            await self.send_requests(writer, self.args.mn, self.args.pw or "123456", self.args.request)
            requests_sent = True
        buffer = b""
        try:
            while True:
                chunk = await reader.read(4096)
                if not chunk:
                    break
                buffer += chunk
                while True:
                    start = buffer.find(b"##")
                    if start < 0:
                        if len(buffer.strip(b"\r\n")) > 1:
                            self.log({"event": "garbage", "raw": buffer[:-1].decode("ascii", "replace")})
                        buffer = buffer[-1:] if buffer.endswith(b"#") else b""
                        break
                    if start > 0:
                        garbage = buffer[:start]
                        if garbage.strip(b"\r\n"):
                            self.log({"event": "garbage", "raw": garbage.decode("ascii", "replace")})
                        buffer = buffer[start:]
                    end = buffer.find(b"\r\n")
                    if end < 0:
                        if len(buffer) > 10100:
                            self.log({"event": "rejected", "reason": "no CR LF", "crc_ok": False})
                            buffer = buffer[2:]
                            continue
                        break
                    raw, buffer = buffer[: end + 2], buffer[end + 2 :]
                    entry = check(raw)
                    entry["event"] = "frame" if "reason" not in entry else "rejected"
                    if "mn" in entry:
                        if self.args.mn and entry["mn"] != self.args.mn:
                            entry["event"], entry["reason"] = "rejected", "wrong MN %s" % entry["mn"]
                        elif self.args.pw and entry["pw"] != self.args.pw:
                            entry["event"], entry["reason"] = "rejected", "wrong PW"
                    self.log(entry)
                    if entry["event"] != "frame":
                        continue
                    if entry["flag"] is not None and entry["flag"] & 1 and not self.args.no_ack:
                        qn = "QN=%s;" % entry["qn"] if entry["qn"] else ""
                        writer.write(frame("%sST=91;CN=9014;PW=%s;MN=%s;Flag=4;CP=&&&&" % (qn, entry["pw"], entry["mn"])))
                        await writer.drain()
                    if not requests_sent and (self.args.request or self.args.send_raw):
                        requests_sent = True
                        await self.send_raw(writer)
                        await self.send_requests(writer, entry["mn"], self.args.pw or entry["pw"], self.args.request)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.writers.discard(writer)
            self.log({"event": "disconnected", "peer": str(peer)})
            writer.close()

    async def watch_control(self, path):
        """Sends each new line of the control file as a request to every connected station."""
        offset = os.path.getsize(path) if os.path.exists(path) else 0
        while True:
            await asyncio.sleep(0.5)
            if not os.path.exists(path):
                continue
            size = os.path.getsize(path)
            if size < offset:
                offset = 0
            if size == offset:
                continue
            with open(path) as handle:
                handle.seek(offset)
                text = handle.read()
                offset = handle.tell()
            for line in text.splitlines():
                line = line.strip()
                if not line:
                    continue
                for writer in list(self.writers):
                    await self.send_requests(writer, self.args.mn or "", self.args.pw or "123456", [line])


async def main():
    parser = argparse.ArgumentParser(description="A test HJ 212-2017 platform.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: an ephemeral port, printed on the first line")
    parser.add_argument("--mn", help="the station's MN: frames with another are rejected; also used in requests")
    parser.add_argument("--pw", help="the station's PW: frames with another are rejected; also used in requests")
    parser.add_argument("--log", help="append the JSON lines to this file instead of stdout")
    parser.add_argument(
        "--request", action="append", default=[],
        help="a request to send after connect, such as 'CN=1011' or 'CN=1062;RtdInterval=60' (repeatable)",
    )
    parser.add_argument("--control", help="a file polled for new lines, each a request as for --request")
    parser.add_argument(
        "--send-raw", action="append", default=[],
        help="bytes to send as they are after connect (Python escapes such as \\r\\n), to test the station's rejections",
    )
    parser.add_argument("--no-ack", action="store_true", help="never answer 9014 (to watch the station retry)")
    args = parser.parse_args()
    platform = Platform(args)
    server = await asyncio.start_server(platform.handle, args.host, args.port)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"event": "listening", "host": args.host, "port": port}), flush=True)
    if args.control:
        asyncio.ensure_future(platform.watch_control(args.control))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    # A parent may have blocked these (a test runner's threads often do), and a child inherits the mask: without
    # this, the receiver could not be stopped.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass

#!/usr/bin/env python3
"""A Modbus server that misbehaves on purpose, written from the Modbus specs with the standard library only.

It shares no code with Levee or levee-sim. Several units sit behind one endpoint, as behind a gateway; every unit
answers correctly except the faulty one, whose replies break one rule of the Modbus Application Protocol v1.1b3 and
the Modbus Messaging on TCP/IP Implementation Guide v1.0b (or, on RTU, the serial line spec v1.02).

Values are distinct per unit, so that a reply delivered to the wrong request shows: holding register A of unit U
holds U * 1000 + A, input register A holds U * 1000 + 500 + A. Coils start at 0 and take writes (FC05); holding
registers take writes (FC06).

Usage:
  misbehaving_modbus.py tcp MODE FAULTY_UNIT [DELAY_MS]     prints "ready PORT" (bound to port 0 on 127.0.0.1)
  misbehaving_modbus.py rtu MODE FAULTY_UNIT [DELAY_MS] LINK   prints "ready LINK" (a pty, LINK a symlink to it)

TCP modes (applied to the faulty unit's replies only):
  late          answer DELAY_MS after the request (after the client's timeout)
  twice         answer, then the same reply again 30 ms later
  late-write    answer writes (only) DELAY_MS late; reads are answered at once
  twice-write   answer writes (only) twice
  tid           answer with transaction id + 1000
  unit          answer with unit id + 100
  protocol      answer with MBAP protocol id 7
  length-long   MBAP length 3 more than the frame
  length-short  MBAP length 2 less than the frame
  count         a read answered with 4 registers (or bits) more than asked, byte count and length to match
  short-count   a read answered with 1 item fewer than asked, byte count and length to match
  function      a read answered with the function code of the other register table (FC03 <-> FC04, FC01 <-> FC02)
  truncated     only the first half of the reply, then nothing
  stray         a well-formed frame with transaction id 0xBEEF and other values sent before each reply
  close         close the connection instead of answering
  none          no fault
RTU modes: late, address (reply from address + 100), crc (a reply with a wrong CRC), none.
"""
import asyncio
import os
import pty
import struct
import sys
import tty

HOLD, INPUT, COIL, DI = 3, 4, 1, 2


class Units:
    def __init__(self):
        self.coils = {}
        self.holding = {}

    def register(self, unit, table, address):
        if table == HOLD and (unit, address) in self.holding:
            return self.holding[(unit, address)]
        return (unit * 1000 + (500 if table == INPUT else 0) + address) & 0xFFFF

    def bit(self, unit, table, address):
        return self.coils.get((unit, address), 0) if table == COIL else (unit + address) % 2

    def answer(self, unit, pdu, mode, faulty):
        """The reply PDU to a request PDU, with the mode's PDU-level fault if this is the faulty unit."""
        fc = pdu[0]
        if fc in (1, 2, 3, 4):
            address, count = struct.unpack(">HH", pdu[1:5])
            reply_fc = fc
            if faulty and mode == "count":
                count += 4
            elif faulty and mode == "short-count":
                count -= 1
            if faulty and mode == "function":
                reply_fc = {1: 2, 2: 1, 3: 4, 4: 3}[fc]
            if fc in (3, 4):
                values = [self.register(unit, fc, address + i) for i in range(count)]
                return bytes([reply_fc, 2 * count]) + b"".join(struct.pack(">H", v) for v in values)
            bits = [self.bit(unit, fc, address + i) for i in range(count)]
            packed = bytearray((count + 7) // 8)
            for i, b in enumerate(bits):
                if b:
                    packed[i // 8] |= 1 << (i % 8)
            return bytes([reply_fc, len(packed)]) + bytes(packed)
        if fc == 5:
            address, value = struct.unpack(">HH", pdu[1:5])
            self.coils[(unit, address)] = 1 if value == 0xFF00 else 0
            return bytes(pdu[:5])
        if fc == 6:
            address, value = struct.unpack(">HH", pdu[1:5])
            self.holding[(unit, address)] = value
            return bytes(pdu[:5])
        return bytes([fc | 0x80, 1])


def mbap(tid, unit, pdu, protocol=0, extra_length=0):
    return struct.pack(">HHHB", tid, protocol, len(pdu) + 1 + extra_length, unit) + pdu


async def serve_tcp(mode, faulty, delay, units):
    async def client(reader, writer):
        loop = asyncio.get_running_loop()
        try:
            while True:
                header = await reader.readexactly(7)
                tid, _protocol, length, unit = struct.unpack(">HHHB", header)
                pdu = await reader.readexactly(length - 1)
                is_faulty = unit == faulty
                is_write = pdu[0] in (5, 6)
                reply = units.answer(unit, pdu, mode, is_faulty)
                frame = mbap(tid, unit, reply)
                if not is_faulty or mode == "none":
                    writer.write(frame)
                elif mode == "late" or (mode == "late-write" and is_write):
                    loop.call_later(delay / 1000, writer.write, frame)
                elif mode == "twice" or (mode == "twice-write" and is_write):
                    writer.write(frame)
                    loop.call_later(0.03, writer.write, frame)
                elif mode == "tid":
                    writer.write(mbap((tid + 1000) & 0xFFFF, unit, reply))
                elif mode == "unit":
                    writer.write(mbap(tid, (unit + 100) & 0xFF, reply))
                elif mode == "protocol":
                    writer.write(mbap(tid, unit, reply, protocol=7))
                elif mode == "length-long":
                    writer.write(mbap(tid, unit, reply, extra_length=3))
                elif mode == "length-short":
                    writer.write(mbap(tid, unit, reply, extra_length=-2))
                elif mode == "truncated":
                    writer.write(frame[: len(frame) // 2])
                elif mode == "stray":
                    stray = bytes([pdu[0], 4]) + struct.pack(">HH", 9999, 9999)
                    writer.write(mbap(0xBEEF, unit, stray) + frame)
                elif mode == "close":
                    writer.close()
                    return
                else:
                    writer.write(frame)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"ready {port}", flush=True)
    async with server:
        await server.serve_forever()


def crc16(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def rtu(unit, pdu, bad_crc=False):
    body = bytes([unit]) + pdu
    crc = crc16(body) ^ (0x5555 if bad_crc else 0)
    return body + struct.pack("<H", crc)


async def serve_rtu(mode, faulty, delay, units, link):
    master, slave = pty.openpty()
    tty.setraw(slave)
    slave_name = os.ttyname(slave)
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(slave_name, link)
    os.set_blocking(master, False)
    loop = asyncio.get_running_loop()
    buffer = bytearray()

    def send(frame):
        os.write(master, frame)

    def on_readable():
        try:
            buffer.extend(os.read(master, 512))
        except (BlockingIOError, OSError):
            return
        while len(buffer) >= 8:
            # Requests Levee sends (FC01-06) are all 8 bytes: unit, function, two words, CRC.
            frame, rest = bytes(buffer[:8]), buffer[8:]
            buffer[:] = rest
            if crc16(frame[:6]) != struct.unpack("<H", frame[6:8])[0]:
                buffer.clear()  # a real slave drops a bad frame and waits for silence
                return
            unit, pdu = frame[0], frame[1:6]
            is_faulty = unit == faulty
            reply = units.answer(unit, pdu, mode, is_faulty)
            if not is_faulty or mode == "none":
                send(rtu(unit, reply))
            elif mode == "late":
                loop.call_later(delay / 1000, send, rtu(unit, reply))
            elif mode == "address":
                send(rtu((unit + 100) & 0xFF, reply))
            elif mode == "crc":
                send(rtu(unit, reply, bad_crc=True))
            else:
                send(rtu(unit, reply))

    loop.add_reader(master, on_readable)
    print(f"ready {link}", flush=True)
    await asyncio.Event().wait()


def main():
    args = sys.argv[1:]
    if len(args) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    transport, mode, faulty = args[0], args[1], int(args[2])
    delay = int(args[3]) if len(args) > 3 and args[3].isdigit() else 800
    units = Units()
    if transport == "tcp":
        asyncio.run(serve_tcp(mode, faulty, delay, units))
    else:
        asyncio.run(serve_rtu(mode, faulty, delay, units, args[-1]))


if __name__ == "__main__":
    main()

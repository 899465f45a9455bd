#!/usr/bin/env python3
"""An independent Modbus TCP server (pymodbus) with values laid out by the Modbus spec, byte by byte.

The poller's tests read it to prove that addressing, word order and scaling follow the spec rather than only
agreeing with Levee's own simulator. Layouts are computed here with Python's struct module, not with any Levee code.

Pinned to pymodbus 3.8 (scripts/setup-debian.sh installs it): its datastore API changed in 3.9+.

Usage: pymodbus_peer.py PORT   (PORT 0: any free port; prints "ready PORT" with the bound port once listening,
                                exits 1 if it cannot listen; runs until killed)
"""
import asyncio
import struct
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import ModbusTcpServer

ORDERS = ["ABCD", "CDAB", "BADC", "DCBA"]


def words(raw4: bytes, order: str):
    """Two registers for the big-endian bytes A B C D, placed on the wire in the named order."""
    a, b, c, d = raw4
    byte = {"A": a, "B": b, "C": c, "D": d}
    seq = [byte[ch] for ch in order]
    return [(seq[0] << 8) | seq[1], (seq[2] << 8) | seq[3]]


def layout():
    hr = [0] * 300
    hr[0] = struct.unpack(">H", struct.pack(">h", -1234))[0]  # int16 -1234
    hr[1] = 54321  # uint16
    for i, order in enumerate(ORDERS):
        hr[2 + 2 * i: 4 + 2 * i] = words(struct.pack(">i", -123456789), order)  # int32 at 2,4,6,8
        hr[10 + 2 * i: 12 + 2 * i] = words(struct.pack(">I", 3000000000), order)  # uint32 at 10,12,14,16
        hr[18 + 2 * i: 20 + 2 * i] = words(struct.pack(">f", -273.15), order)  # float32 at 18,20,22,24
    hr[26] = 0b1010_0000_0000_0101  # bits 0, 2, 13, 15 set
    hr[27] = 4000  # uint16, read with scale 0.01 offset -10 -> 30.0
    ir = [0] * 300
    ir[0:2] = words(struct.pack(">f", 123.456), "ABCD")
    ir[2] = 65535  # an out-of-range raw value for a 0..1000 point
    coils = [True, False, True, True, False, False, True, False] + [False] * 292
    discrete = [False, True, True, False, True, False, False, True] + [False] * 292
    return hr, ir, coils, discrete


async def main():
    port = int(sys.argv[1])
    hr, ir, coils, discrete = layout()
    # pymodbus 3.8's slave context adds one to every request address before it looks up the block, so each block
    # starts at 1 to make wire address 0 the first value (the test reads address 0 with mbpoll to prove it).
    device = ModbusSlaveContext(
        co=ModbusSequentialDataBlock(1, coils),
        di=ModbusSequentialDataBlock(1, discrete),
        hr=ModbusSequentialDataBlock(1, hr),
        ir=ModbusSequentialDataBlock(1, ir),
    )
    context = ModbusServerContext(slaves={1: device}, single=False)
    server = ModbusTcpServer(context=context, address=("127.0.0.1", port))
    # "ready" only once the socket listens, with the port it really got: a test never races for a port.
    if not await server.listen():
        print(f"cannot listen on 127.0.0.1:{port}", file=sys.stderr, flush=True)
        sys.exit(1)
    print(f"ready {server.transport.sockets[0].getsockname()[1]}", flush=True)
    await server.serving


if __name__ == "__main__":
    asyncio.run(main())

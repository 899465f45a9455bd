#!/usr/bin/env python3
"""A GSM modem on a pseudo-terminal, for levee-notify's SMS tests. Standard library only.

It prints "ready <slave pty path>" and then answers AT commands on that pty as a real modem does: echo until
ATE0, OK/ERROR, +CME ERROR for SIM trouble (AT+CMEE=1 numeric form), +CREG registration, PDU mode (AT+CMGF=0),
AT+CMGS=<len> with the "> " prompt and Ctrl-Z, +CMS ERROR on a failed send, and stored incoming messages listed by
AT+CMGL=4 and deleted by AT+CMGD. Every SMS it is asked to send is printed as one JSON line
{"to", "ref", "part", "parts", "text", "at"} (the Unix time it was received).

Behaviour changes while running through lines appended to the --control file (each is printed back as
"applied <line>" once in force):
  sim ready|missing          network home|none          cms <code> <count> (the next <count> sends fail)
  sms <number> <text...>     (a message arrives from <number>; the text is sent to us in UCS2)
"""
import argparse
import json
import os
import select
import sys
import time
import tty


def swap_digits(octets, count):
    digits = ""
    for b in octets:
        for n in (b & 0x0F, b >> 4):
            if n < 10:
                digits += str(n)
    return digits[:count]


def decode_submit(hexpdu):
    b = bytes.fromhex(hexpdu)
    i = 1 + b[0]                       # skip the SMSC part
    first = b[i]; i += 1
    i += 1                             # message reference
    n = b[i]; t = b[i + 1]; i += 2
    number = swap_digits(b[i:i + (n + 1) // 2], n); i += (n + 1) // 2
    if t == 0x91:
        number = "+" + number
    i += 1                             # PID
    dcs = b[i]; i += 1
    if (first >> 3) & 3 == 2:
        i += 1                         # relative validity period
    udl = b[i]; i += 1
    ud = b[i:i + udl]
    ref, part, parts = None, 1, 1
    if first & 0x40:
        h = ud[0]
        head = ud[1:1 + h]
        if head[0] == 0 and head[1] == 3:
            ref, parts, part = head[2], head[3], head[4]
        ud = ud[1 + h:]
    if dcs != 0x08:
        raise ValueError("not UCS2")
    return {"to": number, "ref": ref, "part": part, "parts": parts, "text": ud.decode("utf-16-be")}


def encode_deliver(sender, text):
    international = sender.startswith("+")
    digits = sender.lstrip("+")
    addr = bytes([len(digits), 0x91 if international else 0x81])
    padded = digits + ("F" if len(digits) % 2 else "")
    addr += bytes(int(padded[k + 1] + padded[k], 16) for k in range(0, len(padded), 2))
    ud = text.encode("utf-16-be")
    tpdu = bytes([0x04]) + addr + bytes([0x00, 0x08]) + bytes.fromhex("62211170000000") + bytes([len(ud)]) + ud
    return "00" + tpdu.hex().upper()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--control", required=True)
    args = p.parse_args()
    master, slave = os.openpty()
    tty.setraw(slave)
    print("ready " + os.ttyname(slave), flush=True)
    state = {"sim": "ready", "network": "home", "cms": None, "cms_left": 0, "echo": True, "pdu": False}
    inbox = {}
    next_index = [1]
    control_offset = 0
    buf = b""
    pending_cmgs = None  # expected TPDU length while waiting for the PDU after the prompt

    def write(s):
        os.write(master, s.encode())

    def final(ok=True, text=None):
        write("\r\n" + (text if text else ("OK" if ok else "ERROR")) + "\r\n")

    def registered():
        return state["network"] == "home" and state["sim"] == "ready"

    while True:
        if os.path.exists(args.control):
            with open(args.control, encoding="utf-8") as f:
                f.seek(control_offset)
                data = f.read()
                control_offset = f.tell()
            for line in data.splitlines():
                words = line.split(" ")
                if words[0] == "sim":
                    state["sim"] = words[1]
                elif words[0] == "network":
                    state["network"] = words[1]
                elif words[0] == "cms":
                    state["cms"], state["cms_left"] = words[1], int(words[2])
                elif words[0] == "sms":
                    inbox[next_index[0]] = encode_deliver(words[1], " ".join(words[2:]))
                    write("\r\n+CMTI: \"SM\",%d\r\n" % next_index[0])
                    next_index[0] += 1
                print("applied " + line, flush=True)
        r, _, _ = select.select([master], [], [], 0.05)
        if not r:
            continue
        try:
            chunk = os.read(master, 4096)
        except OSError:
            time.sleep(0.05)
            continue
        buf += chunk
        while True:
            if pending_cmgs is not None:
                if b"\x1a" not in buf and b"\x1b" not in buf:
                    break
                cut = min(k for k in (buf.find(b"\x1a"), buf.find(b"\x1b")) if k >= 0)
                pdu, terminator, buf = buf[:cut].decode().strip(), buf[cut:cut + 1], buf[cut + 1:]
                expected, pending_cmgs = pending_cmgs, None
                if terminator == b"\x1b":
                    final(True)
                    continue
                if not registered():
                    final(text="+CMS ERROR: 331")  # no network service
                    continue
                if state["cms_left"] > 0:
                    state["cms_left"] -= 1
                    final(text="+CMS ERROR: " + state["cms"])
                    continue
                try:
                    sms = decode_submit(pdu)
                    if len(bytes.fromhex(pdu)) - 1 - bytes.fromhex(pdu)[0] != expected:
                        raise ValueError("length")
                except Exception:
                    final(text="+CMS ERROR: 304")  # invalid PDU mode parameter
                    continue
                sms["at"] = time.time()
                print(json.dumps(sms, ensure_ascii=False), flush=True)
                write("\r\n+CMGS: %d\r\n" % (next_index[0] % 256))
                final(True)
                continue
            if b"\r" not in buf:
                break
            line, buf = buf.split(b"\r", 1)
            line = line.decode(errors="replace").strip()
            if buf.startswith(b"\n"):
                buf = buf[1:]
            if not line:
                continue
            if state["echo"]:
                write(line + "\r")
            cmd = line.upper()
            if cmd == "AT":
                final()
            elif cmd == "ATE0":
                state["echo"] = False
                final()
            elif cmd.startswith("AT+CMEE="):
                final()
            elif cmd == "AT+CPIN?":
                if state["sim"] == "ready":
                    write("\r\n+CPIN: READY\r\n")
                    final()
                else:
                    final(text="+CME ERROR: 10")  # SIM not inserted
            elif cmd == "AT+CREG?":
                write("\r\n+CREG: 0,%d\r\n" % (1 if registered() else 0))
                final()
            elif cmd == "AT+CMGF=0":
                state["pdu"] = True
                final()
            elif cmd.startswith("AT+CMGS="):
                if not state["pdu"] or state["sim"] != "ready":
                    final(text="+CMS ERROR: 310" if state["sim"] != "ready" else "+CMS ERROR: 302")
                    continue
                pending_cmgs = int(cmd.split("=")[1])
                write("\r\n> ")
            elif cmd == "AT+CMGL=4":
                for index, pdu in sorted(inbox.items()):
                    write("\r\n+CMGL: %d,0,,%d\r\n%s" % (index, len(bytes.fromhex(pdu)) - 1, pdu))
                final()
            elif cmd.startswith("AT+CMGD="):
                inbox.pop(int(cmd.split("=")[1].split(",")[0]), None)
                final()
            else:
                final(False)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)

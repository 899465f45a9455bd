#!/usr/bin/env python3
"""A tiny stand-in for levee-web's HTTP API, for working on the dashboard without the daemon and the simulated plant.

It serves the dashboard directory, Debian's Chart.js at /vendor/chart.js, and /api/v1 with canned but moving data
in the exact JSON shapes of Sources/ControlAPI (Status.swift, Defence.swift): a small plant like config/demo.toml
whose valves take a few seconds to stroke, a one-key shutoff that steps through its plan, alarms that can be
acknowledged and shelved, a journal, history, drills, and the Server-Sent Events stream. Like Swift's JSONEncoder,
it leaves out keys whose value is nil. Every response carries the CSP the real API will send
(default-src 'self'), so an inline script or style in the dashboard shows up as a violation in the browser.

Tokens: operator-token (operator), admin-token (admin), viewer-token (viewer, read-only); anything else is 401.

`--shapes issue` (the default) answers as the dashboard's issue describes: GET /alarms, /drills and /drills/check
wrapped in a ControlResponse, history samples with `readAt`. `--shapes api` answers as Sources/WebAPI does so
far: the bare array or DrillCheck, and history samples with `time`. The dashboard reads both.

    python3 Tests/browser/fake_api.py --port 8765          # then open http://127.0.0.1:8765/

Developer aids under /fake (no token): POST /fake/stream?mode=ok|fail|silent|down makes the stream work, answer
503, or go quiet (to watch the dashboard fall back to polling), or takes the whole API down (503 everywhere, to see
the "values are not current" banner); POST /fake/alarm raises a new critical alarm.

The plant's status carries `links` (Links.swift): its MQTT link to the park and its HJ 212 uplink to the bureau.

`--park` serves a park (园区) instance instead: the status gains `park` (ParkSummary in Links.swift) with three
plants in two catchments (plant-a online, latched, its outlets closed and good, and escalated; plant-b stale, its
outlets stale; plant-c offline by its last will, its outlets' last report still "closed", "good"), an escalation of
catchment east-river waiting for confirmation, and a few commands already answered (done, no answer, refused,
accepted). POST /api/v1/control {"op": "park-confirm", "catchment", "reason"} (operator or admin) takes the
catchment's pending confirmation and sends each of its plants a shutoff: an online plant accepts it and reports it
done a few seconds later, a stale or offline one gives no answer. POST /fake/park-escalate?catchment=east-river
raises the escalation again (to run the park test's confirmation once more).

    python3 Tests/browser/fake_api.py --park --port 8766

Standard library only. Not part of the product; it only has to be faithful to the shapes.
"""

import argparse
import json
import math
import os
import random
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "Sources" / "WebAPI" / "Resources" / "dashboard"
CHART_JS = Path("/usr/share/javascript/chart.js/chart.js")
CSP = "default-src 'self'"

TOKENS = {
    "operator-token": {"user": "zhang.wei", "role": "operator"},
    "admin-token": {"user": "admin", "role": "admin"},
    "viewer-token": {"user": "bureau-viewer", "role": "viewer"},
}


def iso(ts):
    """ISO 8601 with milliseconds in UTC, as ControlDates.format writes it."""
    d = datetime.fromtimestamp(ts, timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


# The part of leveed's message catalogue (GET /api/v1/messages) the fake's texts use, as Sources/Messages has it.
MESSAGES = {
    "zh-CN": {
        "join": "{first}；{rest}",
        "alarm.comm-fail": "通讯故障：{subject}",
        "next.comm-fail": "派人到 {subject} 现场检查设备和线路；探测器失效期间，用便携式检测仪在现场检测。",
        "status.devices-answering": "{answering}/{total} 台设备应答",
        "status.down": "离线：{devices}",
        "status.local-mode": "就地模式：{valves}",
        "status.historian-ok": "历史库正常",
        "status.alarms": "{count} 条报警（{unacknowledged} 条未确认）",
        "next.local": "派人到 {subject} 现场：将选择开关切回远程，或就地手动操作阀门。",
    },
    "en": {
        "join": "{first}; {rest}",
        "alarm.comm-fail": "Comm failure: {subject}",
        "next.comm-fail": "Send someone to {subject} to check the device and its wiring; while a detector is dead, "
                          "measure on site with a portable detector.",
        "status.devices-answering": "{answering}/{total} {total|device|devices} answering",
        "status.down": "down: {devices}",
        "status.local-mode": "local mode: {valves}",
        "status.historian-ok": "historian ok",
        "status.alarms": "{count} {count|alarm|alarms} ({unacknowledged} unacknowledged)",
        "next.local": "Send someone to {subject}: switch the selector back to remote, or operate the valve by hand.",
    },
}


def summary_text(parts):
    """The summary as leveed sends it: parts joined by `join` messages."""
    messages = [{"id": i, "args": a} for i, a in parts]
    result = messages[-1]
    for m in reversed(messages[:-1]):
        result = {"id": "join", "args": {"first": m, "rest": result}}
    return result


def compact(value):
    """Drops None values from dicts, as Swift's synthesized Codable does for nil optionals."""
    if isinstance(value, dict):
        return {k: compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [compact(v) for v in value]
    return value


def parse_relative(text, now):
    """'-2h', '-30m', '-7d', '' (now) or an ISO time, as the history and events endpoints take them."""
    if not text:
        return now
    if text.startswith("-") and text[-1] in "smhd":
        n = float(text[1:-1])
        return now - n * {"s": 1, "m": 60, "h": 3600, "d": 86400}[text[-1]]
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# Valve stroke times are shortened so a whole plan runs in seconds. role decides what the plant-wide plan does.
VALVES = [
    ("valve-a-rain", "罐区A围堰雨水阀", "risk-unit", "bund-to-rain", 3.0, "open", "remote"),
    ("valve-a-accident", "罐区A围堰事故水阀", "risk-unit", "bund-to-accident", 3.0, "closed", "remote"),
    ("valve-b-rain", "仓库B围堰雨水阀", "risk-unit", "bund-to-rain", 3.0, "open", "local"),
    ("valve-b-accident", "仓库B围堰事故水阀", "risk-unit", "bund-to-accident", 3.0, "closed", "remote"),
    ("pool-inlet", "事故池进水阀", "network-pool", "pool-inlet", 5.0, "closed", "remote"),
    ("pool-bypass", "事故池旁路阀", "network-pool", "pool-bypass", 4.0, "open", "remote"),
    ("rain-outlet-1", "1号雨水排口阀", "boundary", "rain-outlet", 6.0, "open", "remote"),
    ("rain-outlet-2", "2号雨水排口阀", "boundary", "rain-outlet", 6.0, "open", "remote"),
    ("sewage-outlet", "污水排口阀", "boundary", "sewage-outlet", 5.0, "open", "remote"),
]
PLAN_ACTION = {"bund-to-rain": "closed", "bund-to-accident": "open", "pool-inlet": "open", "pool-bypass": "closed",
               "rain-outlet": "closed", "sewage-outlet": "closed"}


class Plant:
    """The fake plant's state; every request first advances it to the present."""

    def __init__(self):
        self.lock = threading.RLock()
        self.t0 = time.time()
        self.valves = {}
        for vid, name, line, role, stroke, pos, mode in VALVES:
            self.valves[vid] = {"id": vid, "name": name, "line": line, "role": role, "stroke": stroke,
                                "position": pos, "mode": mode, "target": None, "moveEnd": 0.0, "lastStroke": None}
        self.pumps = {"pump-1": False, "pump-2": False}
        self.pool_volume = 820.0
        self.journal = []
        self.next_event = 1
        self.alarms = {}
        self.defence = {"latched": False, "drill": False, "plan": None, "trips": [], "steps": [], "escalated": False,
                        "escalations": [], "bypasses": [], "activeDrill": None,
                        "interlocks": [
                            {"id": "tank-farm-a-gas", "point": "gas-a1.concentration", "plan": "group:tank-farm-A",
                             "active": False, "description": "罐区A可燃气体二级报警：罐区A截流、导流"},
                            {"id": "warehouse-b-gas", "point": "gas-b1.concentration", "plan": "group:warehouse-B",
                             "active": False, "description": "仓库B可燃气体二级报警：仓库B截流、导流"}]}
        self.drills = [{"id": "20261101-093000", "plan": "plant-wide", "live": True,
                        "startedAt": iso(self.t0 - 22 * 86400), "finishedAt": iso(self.t0 - 22 * 86400 + 95),
                        "startedBy": "li.na"}]
        self.stream_mode = "ok"
        self.last_event_ids = []  # Last-Event-ID headers the stream was asked to resume from
        self.critical_raised = False
        now = time.time()
        self.bypass_until = now + 3 * 3600
        self.defence["bypasses"].append({"interlock": "warehouse-b-gas", "by": "admin", "reason": "探测器标定",
                                         "until": iso(self.bypass_until)})
        self.raise_alarm("gas-a1.concentration.H", "gas-a1.concentration", "high", "罐区A可燃气体一级报警 (≥ 25 %LEL)",
                         value=27.4, group="tank-farm-A", first_out=True, at=now - 140)
        # A health alarm as leveed sends it: English text, its catalogue message and what to do next.
        self.raise_alarm("gas-b1.comm-fail", "gas-b1", "high", "Comm failure: gas-b1", at=now - 900,
                         state="acknowledged", user="li.na", reason="已通知仪表班",
                         text={"id": "alarm.comm-fail", "args": {"subject": "gas-b1"}},
                         next_action={"id": "next.comm-fail", "args": {"subject": "gas-b1"}})
        self.raise_alarm("valve-b-rain.local", "valve-b-rain", "medium", "仓库B围堰雨水阀处于就地模式",
                         at=now - 3000, state="acknowledged", user="li.na", reason="检修")
        self.raise_alarm("h2s-b1.stale", "h2s-b1.concentration", "low", "仓库B硫化氢探测器数据未刷新", at=now - 400)
        self.event("config-load", "leveed", "配置已加载 config/demo.toml", now - 3600)

    # ---------------------------------------------------------------------------------------------- journal

    def event(self, kind, source, message, at=None, drill=False):
        with self.lock:
            e = {"id": self.next_event, "at": iso(at or time.time()), "kind": kind, "source": source,
                 "message": message, "drill": drill}
            self.next_event += 1
            self.journal.append(e)
            return e

    def raise_alarm(self, aid, point, priority, message, value=None, group=None, first_out=False, at=None,
                    state="unacknowledged", user=None, reason=None, text=None, next_action=None):
        at = at or time.time()
        self.alarms[aid] = {"id": aid, "point": point, "priority": priority, "state": state, "conditionActive": True,
                            "value": value, "message": message, "group": group, "firstOut": first_out,
                            "since": iso(at), "shelvedUntil": None, "user": user, "reason": reason,
                            "text": text, "nextAction": next_action}
        self.event("alarm", point, f"{priority} {aid}: {message}", at)

    # ---------------------------------------------------------------------------------------------- physics

    def advance(self):
        with self.lock:
            now = time.time()
            for v in self.valves.values():
                if v["target"] and now >= v["moveEnd"]:
                    v["position"] = v["target"]
                    v["lastStroke"] = v["stroke"]
                    v["target"] = None
                    self.event("valve", v["id"], f"{v['name']} {v['position']} ({v['stroke']:.1f} s)",
                               drill=self.defence["drill"])
            for s in self.defence["steps"]:
                if s["phase"] != "commanded":
                    continue
                if s["operation"] in ("close-valve", "open-valve"):
                    v = self.valves[s["device"]]
                    want = "closed" if s["operation"] == "close-valve" else "open"
                    if v["position"] == want and not v["target"]:
                        s["phase"] = "confirmed"
                        s["confirmedAt"] = iso(now)
                        s["seconds"] = round(now - s["_commanded"], 1)
                elif s["operation"] == "start-pump" and now - s["_commanded"] > 2:
                    self.pumps[s["device"]] = True
                    s["phase"] = "confirmed"
                    s["confirmedAt"] = iso(now)
                    s["seconds"] = round(now - s["_commanded"], 1)
            if self.defence["activeDrill"] and all(s["phase"] != "commanded" for s in self.defence["steps"]):
                for d in self.drills:
                    if d["id"] == self.defence["activeDrill"]:
                        d["finishedAt"] = iso(now)
                self.event("drill", "leveed", f"演练 {self.defence['activeDrill']} 步骤已完成", drill=True)
                self.defence["activeDrill"] = None
            # The pool fills while the inlet is open and the pumps are off.
            inlet_open = self.valves["pool-inlet"]["position"] == "open"
            rate = (360.0 if inlet_open else 12.0) - (150.0 if any(self.pumps.values()) else 0.0)
            dt = now - getattr(self, "_last", now)
            self._last = now
            self.pool_volume = max(0.0, min(5000.0, self.pool_volume + rate * dt / 3600))
            self.pool_rate = rate
            # Six seconds in, a level-2 gas alarm: the new critical alarm the sound is for.
            if not self.critical_raised and now - self.t0 > 6:
                self.critical_raised = True
                self.raise_alarm("gas-a1.concentration.HH", "gas-a1.concentration", "critical",
                                 "罐区A可燃气体二级报警 (≥ 50 %LEL)", value=51.2, group="tank-farm-A")

    # ----------------------------------------------------------------------------------------------- status

    def point(self, name, value, unit="", quality="good", age=0.4):
        return {"name": name, "value": value, "unit": unit, "quality": quality,
                "readAt": iso(time.time() - age) if quality != "initial" else None}

    def device(self, did, name, kind, line, bus, points, answering=True, last_error=None, valve=None, pool=None):
        return {"id": did, "name": name, "kind": kind, "line": line, "bus": bus, "answering": answering,
                "lastError": last_error, "points": points, "valve": valve, "pool": pool}

    def valve_device(self, v):
        now = time.time()
        pos = "travelling" if v["target"] else v["position"]
        opening = {"open": 100.0, "closed": 0.0}.get(v["position"], 50.0)
        if v["target"]:
            frac = 1 - max(0.0, v["moveEnd"] - now) / v["stroke"]
            opening = 100 * (frac if v["target"] == "open" else 1 - frac)
        points = [self.point("open_limit", 1.0 if pos == "open" else 0.0),
                  self.point("closed_limit", 1.0 if pos == "closed" else 0.0),
                  self.point("remote", 1.0 if v["mode"] == "remote" else 0.0),
                  self.point("fault", 0.0),
                  self.point("position", round(opening, 1), "%")]
        bus = "rtu0" if v["id"] == "pool-inlet" else "plc"
        return self.device(v["id"], v["name"], "valve", v["line"], bus, points,
                           valve={"position": pos, "mode": v["mode"], "faultBit": False,
                                  "pending": v["target"], "movementFault": None, "lastStrokeSeconds": v["lastStroke"]})

    def status(self):
        with self.lock:
            self.advance()
            now = time.time()
            el = now - self.t0
            gas = 27 + 3 * math.sin(el / 20) + random.uniform(-0.3, 0.3)
            level = self.pool_volume / 1000.0
            devices = [
                self.device("gas-a1", "罐区A可燃气体探测器", "gas", "risk-unit", "plc", [
                    self.point("concentration", round(gas, 2), "%LEL"), self.point("fault", 0.0),
                    self.point("alarm1", 1.0), self.point("alarm2", 1.0 if self.critical_raised else 0.0)]),
                self.device("h2s-a1", "罐区A硫化氢探测器", "gas", "risk-unit", "plc", [
                    self.point("concentration", round(1.2 + 0.2 * math.sin(el / 9), 1), "ppm"),
                    self.point("fault", 0.0), self.point("alarm1", 0.0), self.point("alarm2", 0.0)]),
                self.valve_device(self.valves["valve-a-rain"]),
                self.valve_device(self.valves["valve-a-accident"]),
                self.device("gas-b1", "仓库B可燃气体探测器", "gas", "risk-unit", "gateway-b", [
                    self.point("concentration", 3.1, "%LEL", "comm-fail", age=900), self.point("fault", 0.0,
                                                                                           quality="comm-fail", age=900)],
                    answering=False, last_error="gateway-b unit 1: exception 0x0B gateway target failed to respond"),
                self.device("h2s-b1", "仓库B硫化氢探测器", "gas", "risk-unit", "gateway-b", [
                    self.point("concentration", 0.4, "ppm", "stale", age=45), self.point("fault", 0.0, age=45)]),
                self.valve_device(self.valves["valve-b-rain"]),
                self.valve_device(self.valves["valve-b-accident"]),
                self.device("dust-1", "粉尘车间除尘器监测仪", "dust", "risk-unit", "plc", [
                    self.point("concentration", round(2.4 + 0.1 * math.sin(el / 7), 2), "mg/m3"),
                    self.point("pressure_diff", round(780 + 20 * math.sin(el / 30)), "Pa"),
                    self.point("hopper_temp", None, "°C", "initial"),
                    self.point("fault", 0.0), self.point("fan_running", 1.0)]),
                self.valve_device(self.valves["pool-inlet"]),
                self.valve_device(self.valves["pool-bypass"]),
                self.device("pool-level", "事故池液位计", "level", "network-pool", "rtu0", [
                    self.point("level", round(level, 3), "m"), self.point("fault", 0.0)],
                    pool={"volume": round(self.pool_volume, 1), "capacity": 5000.0,
                          "freeVolume": round(5000.0 - self.pool_volume, 1), "fillRate": round(self.pool_rate, 1),
                          "secondsUntilFull": (5000.0 - self.pool_volume) / self.pool_rate * 3600
                          if self.pool_rate > 0 else None}),
                self.device("pump-1", "1号转输泵", "pump", "network-pool", "plc", [
                    self.point("running", 1.0 if self.pumps["pump-1"] else 0.0), self.point("fault", 0.0),
                    self.point("remote", 1.0)]),
                self.device("pump-2", "2号转输泵", "pump", "network-pool", "plc", [
                    self.point("running", 1.0 if self.pumps["pump-2"] else 0.0), self.point("fault", 0.0),
                    self.point("remote", 1.0)]),
                self.device("rain-contact", "降雨检测触点", "digital-input", "network-pool", "io", [
                    self.point("state", 0.0)]),
                self.valve_device(self.valves["rain-outlet-1"]),
                self.valve_device(self.valves["rain-outlet-2"]),
                self.valve_device(self.valves["sewage-outlet"]),
                self.device("wq-outlet-1", "1号雨水排口水质分析仪", "water-quality", "boundary", "rtu0", [
                    self.point("ph", round(7.2 + 0.05 * math.sin(el / 11), 2)),
                    self.point("cod", round(38 + 2 * math.sin(el / 13), 1), "mg/L"),
                    self.point("conductivity", 65535.0, "uS/cm", "out-of-range"),
                    self.point("fault", 0.0)]),
                self.device("estop", "一键关断按钮", "digital-input", "boundary", "io", [self.point("state", 0.0)]),
                self.device("siren", "声光报警器警笛", "digital-output", "boundary", "io", [
                    self.point("state", 1.0 if self.critical_raised else 0.0)]),
            ]
            alarms = sorted(self.alarms.values(), key=lambda a: (
                ["critical", "high", "medium", "low"].index(a["priority"]),
                0 if a["state"] in ("unacknowledged", "returned-unacknowledged") else 1, a["since"]))
            unacked = sum(a["state"] in ("unacknowledged", "returned-unacknowledged") for a in alarms)
            defence = {k: v for k, v in self.defence.items()}
            defence["steps"] = [{k: v for k, v in s.items() if not k.startswith("_")} for s in self.defence["steps"]]
            return compact({
                "version": 1, "site": "demo-plant", "siteName": "演示化工厂", "timeZone": "Asia/Shanghai",
                "generatedAt": iso(now),
                "summary": f"20/21 devices answering; down: gas-b1; local mode: valve-b-rain; historian ok; "
                           f"{len(alarms)} alarms ({unacked} unacknowledged)",
                "summaryText": summary_text([
                    ("status.devices-answering", {"answering": "20", "total": "21"}),
                    ("status.down", {"devices": "gas-b1"}), ("status.local-mode", {"valves": "valve-b-rain"}),
                    ("status.historian-ok", {}),
                    ("status.alarms", {"count": str(len(alarms)), "unacknowledged": str(unacked)})]),
                "devices": devices,
                "historian": {"healthy": True, "path": "/tmp/levee-demo/levee.db", "bufferedReadings": 0,
                              "droppedReadings": 0},
                "alarms": alarms, "alarmRate": len(alarms), "defence": defence, "links": self.links(now),
            })

    def links(self, now):
        """LinksSummary: the MQTT link to the park, and the HJ 212 uplink acknowledged a few seconds past each minute."""
        ack = now - (now % 60) + 3
        if ack > now:
            ack -= 60
        return {"mqtt": {"broker": "park-broker.demo:8883", "state": "connected", "lastError": None, "queued": 0,
                         "dropped": 0, "acceptsCommands": True, "parks": ["demo-park"]},
                "uplink": {"server": "hj212.bureau.demo:9001", "connected": True, "lastError": None,
                           "lastAcknowledged": iso(ack), "backlog": 0}}

    # --------------------------------------------------------------------------------------------- commands

    def command_valve(self, vid, target, now):
        v = self.valves[vid]
        if v["mode"] == "local":
            return False
        if v["position"] != target or v["target"]:
            v["target"] = target
            v["moveEnd"] = now + v["stroke"]
        return True

    def run_plan(self, plan, who, reason, drill=False, restore=False):
        now = time.time()
        steps = []
        if restore:
            # Undo the valve steps of the last plan, each the other way round.
            undo = {"close-valve": "open-valve", "open-valve": "close-valve"}
            steps = [(undo[s["operation"]], s["device"]) for s in self.defence["steps"] if s["operation"] in undo]
        else:
            for v in self.valves.values():
                if plan == "plant-wide" or (plan == "outlet-1-divert" and v["id"] in ("pool-inlet", "rain-outlet-1")):
                    op = "close-valve" if PLAN_ACTION[v["role"]] == "closed" else "open-valve"
                    steps.append((op, v["id"]))
            if plan == "plant-wide":
                steps += [("start-pump", "pump-1"), ("start-pump", "pump-2")]
        self.defence["steps"] = []
        for i, (op, dev) in enumerate(steps):
            step = {"id": f"{plan}.{i + 1}", "device": dev, "operation": op, "phase": "commanded", "attempts": 1,
                    "seconds": None, "failedReason": None, "commandedAt": iso(now), "confirmedAt": None,
                    "lastError": None, "_commanded": now}
            if op.endswith("-valve"):
                if not self.command_valve(dev, "closed" if op == "close-valve" else "open", now):
                    step["phase"] = "manualActionNeeded"
                    step["attempts"] = 0
                    step["failedReason"] = f"{self.valves[dev]['name']} 处于就地模式，需到现场手动操作"
                    self.raise_alarm(f"{dev}.manual-action", dev, "critical",
                                     f"需人工操作：{self.valves[dev]['name']}（就地模式）")
            self.defence["steps"].append(step)
        self.defence["plan"] = "restore" if restore else plan
        self.defence["drill"] = drill
        if not restore:
            self.defence["latched"] = True
            self.defence["trips"] = [f"{who} from web: {reason}"]


class Park(Plant):
    """A park instance: the same little plant of its own (the park's pool and gates stand in for it), plus the
    park's view of its plants over MQTT and the commands it sent them."""

    def __init__(self):
        super().__init__()
        now = self.t0

        def outlet(device, name, line, position, quality, mode="remote"):
            return {"device": device, "name": name, "line": line, "position": position, "mode": mode,
                    "quality": quality}

        self.plants = [
            {"id": "plant-a", "name": "演示化工厂A", "catchment": "east-river", "link": "online", "_seen": 1.0,
             "latched": True, "plan": "plant-wide", "drill": False, "escalated": True,
             "escalationReason": "事故池将满（92%），请求启用园区公共事故池",
             "summary": "21/21 devices answering; latched plant-wide; 9/9 steps confirmed",
             "outlets": [outlet("rain-outlet-1", "1号雨水排口阀", "boundary", "closed", "good"),
                         outlet("rain-outlet-2", "2号雨水排口阀", "boundary", "closed", "good"),
                         outlet("sewage-outlet", "污水排口阀", "boundary", "closed", "good")]},
            # Silent for 5 minutes: ParkLink marks every outlet stale.
            {"id": "plant-b", "name": "东河精细化工", "catchment": "east-river", "link": "stale", "_seenAt": now - 300,
             "latched": False, "plan": None, "drill": False, "escalated": False, "escalationReason": None,
             "summary": "12/12 devices answering; not latched",
             "outlets": [outlet("rain-outlet", "雨水排口阀", "boundary", "closed", "stale"),
                         outlet("sewage-outlet", "污水排口阀", "boundary", "open", "stale")]},
            # Gone by its last will 20 minutes ago; the last report said closed and good, which is no longer current.
            {"id": "plant-c", "name": "西渠新材料", "catchment": "west-canal", "link": "offline", "_seenAt": now - 1200,
             "latched": False, "plan": None, "drill": False, "escalated": False, "escalationReason": None,
             "summary": "8/9 devices answering; down: gas-2",
             "outlets": [outlet("rain-outlet", "雨水排口阀", "boundary", "closed", "good"),
                         outlet("bund-rain", "罐区围堰雨水阀", "risk-unit", "open", "comm-fail", "local")]},
        ]
        self.pending = [{"catchment": "east-river", "plan": "catchment:east-river", "plant": "plant-a",
                         "reason": "plant-a 上报二级响应：事故池将满，请求启用园区公共事故池", "at": iso(now - 75)}]
        self.commands = [  # newest first
            {"id": "cmd-0004", "plant": "plant-a", "op": "drill-check", "plan": "plant-wide", "sentAt": iso(now - 600),
             "result": "accepted", "message": None},
            {"id": "cmd-0003", "plant": "plant-c", "op": "shutoff", "plan": "plant-wide", "sentAt": iso(now - 1800),
             "result": "refused", "message": "signature: the park's key is not accepted by this plant"},
            {"id": "cmd-0002", "plant": "plant-b", "op": "drill-check", "plan": "plant-wide",
             "sentAt": iso(now - 3600), "result": "no answer", "message": "no reply within 30 s"},
            {"id": "cmd-0001", "plant": "plant-a", "op": "shutoff", "plan": "plant-wide", "sentAt": iso(now - 7200),
             "result": "done", "message": "9/9 steps confirmed"},
        ]
        self.next_command = 5

    def advance(self):
        super().advance()
        with self.lock:
            now = time.time()
            for c in self.commands:
                due = c.get("_due")
                while due and now >= due[0][0]:
                    _, result, message = due.pop(0)
                    c["result"] = result
                    c["message"] = message
                    self.event("park", "park", f"{c['id']} {c['op']} → {c['plant']}: {result}")
                    if result == "done":
                        plant = next(p for p in self.plants if p["id"] == c["plant"])
                        plant.update(latched=True, plan=c["plan"])

    def confirm(self, catchment, who, reason):
        """park-confirm: the catchment's pending confirmation becomes a shutoff sent to each of its plants."""
        items = [x for x in self.pending if x["catchment"] == catchment]
        if not items:
            return None
        self.pending = [x for x in self.pending if x["catchment"] != catchment]
        now = time.time()
        sent = []
        for p in (p for p in self.plants if p["catchment"] == catchment):
            cid = f"cmd-{self.next_command:04d}"
            self.next_command += 1
            c = {"id": cid, "plant": p["id"], "op": "shutoff", "plan": items[0]["plan"], "sentAt": iso(now),
                 "result": "sent", "message": None}
            if p["link"] == "online":
                c["_due"] = [(now + 1.5, "accepted", None), (now + 5, "done", "steps confirmed")]
            else:
                c["_due"] = [(now + 6, "no answer", f"no reply within 6 s (plant {p['link']})")]
            self.commands.insert(0, c)
            sent.append(p["id"])
        self.event("park", "web", f"{who} confirmed {catchment} ({items[0]['plan']}): {reason}")
        return sent

    def escalate(self, catchment):
        plant = next((p for p in self.plants if p["catchment"] == catchment), None)
        if plant and not any(x["catchment"] == catchment for x in self.pending):
            self.pending.append({"catchment": catchment, "plan": f"catchment:{catchment}", "plant": plant["id"],
                                 "reason": f"{plant['id']} 上报二级响应（测试）", "at": iso(time.time())})

    def status(self):
        with self.lock:
            s = super().status()
            now = time.time()
            plants = []
            for p in self.plants:
                seen = now - p["_seen"] if "_seen" in p else p.get("_seenAt")
                plants.append({k: v for k, v in p.items() if not k.startswith("_")} | {
                    "lastSeen": iso(seen) if seen else None})
            online = sum(p["link"] == "online" for p in plants)
            s.update(site="demo-park", siteName="演示化工园区",
                     summary=f"park: {online}/{len(plants)} plants online; {len(self.pending)} awaiting confirmation")
            s["park"] = compact({"plants": plants, "pendingConfirmations": self.pending,
                                 "commands": [{k: v for k, v in c.items() if not k.startswith("_")}
                                              for c in self.commands]})
            return s

    def links(self, now):
        # A park reaches its plants through its own broker; it takes commands from no one, and has no uplink here.
        return {"mqtt": {"broker": "127.0.0.1:1883", "state": "connected", "queued": 0, "dropped": 0,
                         "acceptsCommands": False, "parks": []}}


PLANT = None


class Handler(BaseHTTPRequestHandler):
    server_version = "levee-fake/1"

    def log_message(self, fmt, *args):
        if os.environ.get("FAKE_API_LOG"):
            super().log_message(fmt, *args)

    # ------------------------------------------------------------------------------------------------ replies

    def send(self, code, body, content_type="application/json", extra=None):
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def error(self, code, message):
        self.send(code, {"error": message})

    def user(self):
        auth = self.headers.get("Authorization", "")
        return TOKENS.get(auth[7:]) if auth.startswith("Bearer ") else None

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if not n:
            return {}
        return json.loads(self.rfile.read(n) or b"{}")

    # ---------------------------------------------------------------------------------------------- routing

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/api/v1/messages":  # public, as on leveed: words, no plant data
            lang = parse_qs(url.query).get("lang", ["zh-CN"])[0]
            if lang not in MESSAGES:
                return self.error(400, f'lang: "{lang}" is not a language; use zh-CN or en')
            return self.send(200, {"language": lang, "messages": MESSAGES[lang]})
        if url.path.startswith("/api/"):
            return self.api("GET", url)
        if url.path == "/vendor/chart.js":
            if not CHART_JS.exists() or self.server.no_chart:
                return self.send(404, b"not found", "text/plain")
            return self.send(200, CHART_JS.read_bytes(), "text/javascript")
        rel = url.path.lstrip("/") or "index.html"
        path = (DASHBOARD / rel).resolve()
        if DASHBOARD.resolve() not in path.parents or not path.is_file():
            return self.send(404, b"not found", "text/plain")
        types = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css",
                 ".svg": "image/svg+xml"}
        self.send(200, path.read_bytes(), types.get(path.suffix, "application/octet-stream"))

    def do_POST(self):
        url = urlparse(self.path)
        if url.path.startswith("/fake/"):
            return self.fake(url)
        if url.path.startswith("/api/"):
            return self.api("POST", url)
        self.error(404, "not found")

    def fake(self, url):
        q = parse_qs(url.query)
        with PLANT.lock:
            if url.path == "/fake/stream":
                PLANT.stream_mode = q.get("mode", ["ok"])[0]
            elif url.path == "/fake/alarm":
                n = len(PLANT.alarms)
                PLANT.raise_alarm(f"test.critical.{n}", "gas-a1.concentration", "critical", f"测试紧急报警 {n}")
            elif url.path == "/fake/park-escalate" and isinstance(PLANT, Park):
                PLANT.escalate(q.get("catchment", ["east-river"])[0])
        self.send(200, {"ok": True})

    def api(self, method, url):
        if PLANT.stream_mode == "down":
            return self.error(503, "API down (fake)")
        who = self.user()
        if who is None:
            return self.error(401, "missing or unknown token")
        q = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        parts = url.path.split("/")[3:]  # after /api/v1
        route = "/".join(parts)
        if method == "GET":
            if route == "whoami":
                return self.send(200, who)
            if route == "status":
                return self.send(200, PLANT.status())
            if route == "stream":
                return self.stream()
            if who["role"] == "viewer" and route not in ("drills", "history") and not route.startswith("drills/"):
                return self.error(403, "viewer may only read status, history and drills")
            if route == "alarms":
                PLANT.status()
                alarms = compact(list(PLANT.alarms.values()))
                return self.send(200, alarms if self.server.shapes == "api" else {"ok": True, "alarms": alarms})
            if route == "history":
                return self.history(q)
            if route == "events":
                now = time.time()
                since = parse_relative(q.get("from", "-1h"), now)
                limit = int(q.get("limit", "200"))
                with PLANT.lock:
                    events = [e for e in PLANT.journal
                              if datetime.fromisoformat(e["at"].replace("Z", "+00:00")).timestamp() >= since]
                return self.send(200, events[-limit:])
            if route == "drills":
                with PLANT.lock:
                    drills = compact(list(reversed(PLANT.drills)))
                return self.send(200, drills if self.server.shapes == "api" else {"ok": True, "drills": drills})
            if route == "drills/check":
                check = compact(self.drill_check(q.get("plan", "plant-wide")))
                return self.send(200, check if self.server.shapes == "api" else {"ok": True, "drillCheck": check})
            if len(parts) == 2 and parts[0] == "drills":
                return self.report(parts[1], q.get("format", "json"))
            return self.error(404, f"no such endpoint: {route}")

        # POST: commands. A viewer may do none of them.
        if who["role"] == "viewer":
            return self.error(403, "viewer may not command")
        body = self.body()
        reason = (body.get("reason") or "").strip()
        dry_run = route == "restore" and body.get("dryRun") is True
        if route != "alarms/silence" and not reason and not dry_run:
            return self.error(400, "reason is required")
        now = time.time()
        with PLANT.lock:
            PLANT.advance()
            d = PLANT.defence
            if route == "shutoff":
                plan = body.get("plan") or "plant-wide"
                if plan not in ("plant-wide", "outlet-1-divert"):
                    return self.error(400, f"unknown plan {plan!r}")
                PLANT.run_plan(plan, who["user"], reason)
                PLANT.event("trip", "web", f"{who['user']} 一键关断 {plan}: {reason}")
                return self.send(200, {"ok": True, "message": f"shutoff {plan} latched; {len(d['steps'])} steps"})
            if route == "reset":
                if not d["latched"]:
                    return self.error(409, "not latched")
                d["latched"] = False
                d["escalated"] = False
                d["escalations"] = []
                PLANT.event("reset", "web", f"{who['user']} 复位: {reason}")
                return self.send(200, {"ok": True, "message": "latch cleared; nothing was reopened"})
            if route == "restore":
                if d["latched"]:
                    return self.error(409, "reset the latch first")
                if not any(s["operation"] == "close-valve" for s in d["steps"]):
                    return self.error(409, "nothing to restore")
                if dry_run:
                    # As the daemon answers it: per device, the state it returns to (the command), and the verdict.
                    items = []
                    for s in d["steps"]:
                        dev = s["device"]
                        if s["operation"] in ("close-valve", "open-valve"):
                            target = "open" if s["operation"] == "close-valve" else "closed"
                            now_at = PLANT.valves[dev]["position"]
                        else:
                            target, now_at = "stopped", "running"
                        items.append({"device": dev, "now": now_at, "target": target,
                                      "action": "already-there" if now_at == target else "move", "reasons": []})
                    return self.send(200, {"ok": True, "message": f"dry run: nothing moved; {len(items)} devices",
                                           "restore": {"plan": d["plan"], "items": items}})
                PLANT.run_plan("restore", who["user"], reason, restore=True)
                return self.send(200, {"ok": True, "message": f"restoring {len(d['steps'])} steps"})
            if route == "escalate":
                d["escalated"] = True
                d["escalations"].append(f"{who['user']} from web: {reason}")
                PLANT.raise_alarm("park.escalated", "park", "critical", "已上报园区")
                return self.send(200, {"ok": True, "message": "escalated to the park"})
            if route == "alarms/silence":
                return self.send(200, {"ok": True, "message": "annunciation silenced"})
            if route == "control":
                # Only park-confirm here; the daemon answers a refusal as a ControlResponse with 409.
                if body.get("op") != "park-confirm":
                    return self.error(400, f"op: {body.get('op')!r} is not served by the fake")
                if not isinstance(PLANT, Park):
                    return self.send(409, {"ok": False, "error": "park-confirm: this instance is not a park"})
                catchment = body.get("catchment") or ""
                sent = PLANT.confirm(catchment, who["user"], reason)
                if sent is None:
                    return self.send(409, {"ok": False, "error": f"catchment {catchment!r}: nothing to confirm"})
                return self.send(200, {"ok": True, "message": f"catchment {catchment}: plan confirmed; shutoff sent "
                                                              f"to {', '.join(sent) or 'no plant'}"})
            if len(parts) == 3 and parts[0] == "alarms":
                a = PLANT.alarms.get(parts[1])
                if not a:
                    return self.error(400, f"no alarm {parts[1]}")
                if parts[2] == "ack":
                    if a["state"] not in ("unacknowledged", "returned-unacknowledged"):
                        return self.error(409, f"{a['id']} is {a['state']}")
                    a.update(state="acknowledged", user=who["user"], reason=reason)
                elif parts[2] == "shelve":
                    secs = float(body.get("seconds") or 0)
                    if secs <= 0 or secs > 8 * 3600:
                        return self.error(400, "seconds must be within 0...28800")
                    a.update(state="shelved", user=who["user"], reason=reason, shelvedUntil=iso(now + secs))
                else:
                    return self.error(404, "unknown alarm action")
                PLANT.event("alarm", a["point"], f"{a['id']} {a['state']} by {who['user']}: {reason}")
                return self.send(200, {"ok": True, "message": f"{a['id']} {a['state']}"})
            if len(parts) == 3 and parts[0] == "valves":
                v = PLANT.valves.get(parts[1])
                if not v or parts[2] not in ("open", "close"):
                    return self.error(400, "unknown valve or command")
                if not PLANT.command_valve(v["id"], "open" if parts[2] == "open" else "closed", now):
                    return self.error(409, f"{v['name']} is in local mode and cannot be commanded remotely")
                return self.send(200, {"ok": True, "message": f"{v['id']}: {parts[2]} commanded"})
            if route == "drills":
                if body.get("live") is not True:
                    return self.error(400, "a drill needs live: true")
                if d["latched"]:
                    return self.error(409, "a plan is latched; reset first")
                plan = body.get("plan") or "plant-wide"
                did = datetime.fromtimestamp(now).strftime("%Y%m%d-%H%M%S")
                PLANT.drills.append({"id": did, "plan": plan, "live": True, "startedAt": iso(now),
                                     "finishedAt": None, "startedBy": who["user"]})
                PLANT.run_plan(plan, who["user"], reason, drill=True)
                d["activeDrill"] = did
                PLANT.event("drill", "web", f"演练 {did} 开始: {reason}", drill=True)
                return self.send(200, {"ok": True, "message": f"drill {did} started"})
        return self.error(404, f"no such endpoint: {route}")

    # ------------------------------------------------------------------------------------------ endpoints

    def history(self, q):
        point = q.get("point", "")
        now = time.time()
        start = parse_relative(q.get("from", "-1h"), now)
        end = parse_relative(q.get("to", ""), now)
        step = float(q.get("step") or 10)
        n = int((end - start) / step)
        out = []
        seed = sum(map(ord, point)) % 17
        for i in range(max(0, n - 2000), n + 1):
            ts = start + i * step
            base = 20 + seed + 6 * math.sin(ts / 900 + seed) + 2 * math.sin(ts / 97)
            sample = {"time" if self.server.shapes == "api" else "readAt": iso(ts), "value": round(base, 2),
                      "quality": "good"}
            if step >= 60:
                sample["min"] = round(base - 1.5, 2)
                sample["max"] = round(base + 1.5, 2)
            # A comm-fail stretch in the middle, as a real history has.
            if 0.62 < (i / max(1, n)) < 0.66:
                sample.update(quality="comm-fail")
                sample.pop("min", None)
                sample.pop("max", None)
            out.append(sample)
        self.send(200, out)

    def drill_check(self, plan):
        items = []
        with PLANT.lock:
            for v in PLANT.valves.values():
                if plan != "plant-wide" and v["id"] not in ("pool-inlet", "rain-outlet-1"):
                    continue
                target = PLAN_ACTION[v["role"]]
                problems, notes = [], []
                if v["mode"] == "local":
                    problems.append(f"{v['name']} 处于就地模式，不能远程操作")
                if v["position"] == target:
                    notes.append(f"已在目标位置 {target}：会立即确认，不能证明动作")
                items.append({"step": f"{plan}.{len(items) + 1}", "device": v["id"],
                              "operation": "close-valve" if target == "closed" else "open-valve",
                              "location": v["name"], "reachable": True, "mode": v["mode"], "position": v["position"],
                              "faultFree": True, "problems": problems, "notes": notes})
        return {"plan": plan, "checkedAt": iso(time.time()), "items": items}

    def report(self, did, fmt):
        with PLANT.lock:
            drill = next((d for d in PLANT.drills if d["id"] == did), None)
        if not drill:
            return self.error(404, f"no drill {did}")
        if fmt != "html":
            return self.send(200, compact({"ok": True, "report": json.dumps(drill)}))
        # Shaped like DrillReportRenderer+HTML: its own meta CSP and an inline <style>.
        html = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>验证演练报告 {did}</title>
<style>body {{ font-family: sans-serif; margin: 2em; }} .banner {{ background: rgb(255, 214, 10); padding: 4px; }}</style>
</head><body><p class="banner">演练 DRILL — 非真实事故 not a real incident</p>
<h1 id="report-title">验证演练报告 {did}</h1><p>plan {drill['plan']}, started by {drill['startedBy']}</p>
</body></html>"""
        self.send(200, html.encode(), "text/html; charset=utf-8")

    def stream(self):
        """SSE: a status every 2 s, journal events as they are written (resuming after Last-Event-ID)."""
        if PLANT.stream_mode in ("fail", "down"):
            return self.error(503, "stream disabled by /fake/stream")
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", CSP)
        self.end_headers()
        last = int(self.headers.get("Last-Event-ID") or 0) or None
        if last is not None:
            PLANT.last_event_ids.append(last)
        if last is None:
            with PLANT.lock:
                last = PLANT.next_event - 1  # a new client loads the past through /events
        next_status = 0.0
        try:
            self.wfile.write(b"retry: 1000\n: levee fake stream\n\n")
            while True:
                if PLANT.stream_mode != "ok":
                    time.sleep(0.5)
                    if PLANT.stream_mode in ("fail", "down"):
                        return
                    continue  # "silent": keep the socket open and send nothing
                with PLANT.lock:
                    fresh = [e for e in PLANT.journal if e["id"] > last]
                for e in fresh:
                    data = json.dumps(e, ensure_ascii=False)
                    # CRLF line ends and a split write, to keep the dashboard's parser honest.
                    self.wfile.write(f"event: journal\r\nid: {e['id']}\r\n".encode())
                    self.wfile.flush()
                    self.wfile.write(f"data: {data}\r\n\r\n".encode())
                    last = e["id"]
                if time.time() >= next_status:
                    data = json.dumps(PLANT.status(), ensure_ascii=False)
                    self.wfile.write(f"event: status\ndata: {data}\n\n".encode())
                    next_status = time.time() + 2
                self.wfile.flush()
                time.sleep(0.25)
        except (BrokenPipeError, ConnectionResetError):
            return


def serve(port=0, host="127.0.0.1", no_chart=False, shapes="issue", park=False):
    """Starts the fake API in a background thread; returns the server (server.server_address has the port)."""
    global PLANT
    PLANT = Park() if park else Plant()
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer((host, port), Handler)
    server.no_chart = no_chart
    server.shapes = shapes
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--no-chart", action="store_true", help="answer 404 for /vendor/chart.js")
    parser.add_argument("--shapes", choices=["issue", "api"], default="issue",
                        help="JSON shapes of /alarms, /drills, /drills/check and /history (see above)")
    parser.add_argument("--park", action="store_true", help="serve a park (园区) instance with its plants (see above)")
    args = parser.parse_args()
    server = serve(args.port, args.host, args.no_chart, args.shapes, args.park)
    print(f"fake levee {'park ' if args.park else ''}API on http://{args.host}:{server.server_address[1]}/  (tokens: {', '.join(TOKENS)})",
          flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""End-to-end test of the Levee web dashboard in a real browser: Debian's Chromium, headless, driven over the
Chrome DevTools Protocol (CDP) with the `websocket-client` package.

Against a running leveed (the demo plant):

    LEVEE_URL=http://127.0.0.1:8080/ LEVEE_TOKEN=... .venv/bin/python Tests/browser/dashboard_test.py

Against the fake API in Tests/browser/fake_api.py, started in-process (no daemon needed):

    .venv/bin/python Tests/browser/dashboard_test.py --fake

It loads the page, logs in with the token, waits for a good-quality value, presses the one-key shutoff, gives a
reason, confirms, waits until every boundary valve shows "closed" (from its limit switches), and takes screenshots
of the main view, the plan progress, the alarms, trends, drill and bureau views (and a phone-sized main view)
into LEVEE_SCREENSHOTS (default docs/screenshots under the repository). It also checks the things a person would
notice: no script errors, no Content-Security-Policy violations, both languages complete, values that are not
good never shown as plain numbers, touch targets on a phone.

Environment:
    LEVEE_URL            where the dashboard is served (required unless --fake)
    LEVEE_TOKEN          an operator or admin token (required unless --fake)
    LEVEE_VIEWER_TOKEN   optional: a viewer token; checks that it sees only the bureau view and no commands
    LEVEE_SCREENSHOTS    screenshot directory (default: docs/screenshots in the repository)
    LEVEE_TIMEOUT        seconds to wait for the boundary valves to close (default 120)
    LEVEE_RESTORE=1      afterwards reset the latch and restore the plan through the dashboard (default on with --fake)
    LEVEE_ACK=1          acknowledge one alarm through the dashboard (default on with --fake)
    LEVEE_FAKE_SHAPES    with --fake: "issue" (default) or "api", the JSON shapes the fake answers (fake_api.py)
    CHROMIUM             the browser binary (default: chromium from PATH)

Exit status 0 when every check passed; 1 with a "FAIL:" line naming the check otherwise; 2 when the test cannot
start (no browser, no websocket-client, missing settings).
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

try:
    import websocket  # the websocket-client package
except ImportError:
    print("dashboard_test: needs the websocket-client package: .venv/bin/pip install websocket-client",
          file=sys.stderr)
    sys.exit(2)

REPO = Path(__file__).resolve().parents[2]


class Failure(Exception):
    """A check that did not hold; the message says which and what was seen."""


# ------------------------------------------------------------------------------------------------- the browser


class Browser:
    """A headless Chromium and one CDP session to its page."""

    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="levee-chromium-")
        self.log = open(os.path.join(self.profile, "chromium.log"), "w")
        args = [binary, "--headless=new", "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
                "--no-first-run", "--no-default-browser-check", "--disable-gpu", "--disable-extensions",
                "--disable-background-networking", "--remote-allow-origins=*", "--window-size=1920,1080",
                "--lang=zh-CN", "--hide-scrollbars", "about:blank"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        self.port = self._devtools_port()
        self.errors = []       # uncaught exceptions and CSP violations, reported at the end
        self.console = []
        self.next_id = 0
        self.ws = self._connect_page()
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    def _devtools_port(self):
        # With --remote-debugging-port=0 Chromium picks a free port and writes it to DevToolsActivePort.
        path = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise Failure(f"chromium exited with {self.proc.returncode}; log: {self.log.name}")
            try:
                with open(path) as f:
                    return int(f.readline())
            except (FileNotFoundError, ValueError):
                time.sleep(0.1)
        raise Failure("chromium did not open its DevTools port within 30 s")

    def targets(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=10) as r:
            return json.load(r)

    def _connect_page(self):
        page = next(t for t in self.targets() if t["type"] == "page")
        self.page_id = page["id"]
        return websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    # -------------------------------------------------------------------------------------------- protocol

    def call(self, method, params=None, ws=None):
        ws = ws or self.ws
        self.next_id += 1
        my_id = self.next_id
        ws.send(json.dumps({"id": my_id, "method": method, "params": params or {}}))
        while True:
            msg = json.loads(ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise Failure(f"CDP {method}: {msg['error'].get('message')}")
                return msg.get("result", {})
            if ws is self.ws:
                self._event(msg)

    def _event(self, msg):
        method, params = msg.get("method"), msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = params["exceptionDetails"]
            text = d.get("exception", {}).get("description") or d.get("text")
            self.errors.append(f"uncaught exception: {text}")
        elif method == "Log.entryAdded":
            e = params["entry"]
            if "Content Security Policy" in e.get("text", ""):
                self.errors.append(f"CSP violation: {e['text']}")
            self.console.append(f"[{e.get('level')}] {e.get('text')}")
        elif method == "Runtime.consoleAPICalled":
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            self.console.append(f"[console.{params.get('type')}] {args}")

    def evaluate(self, expression, await_promise=False):
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": await_promise})
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise Failure(f"script failed: {d.get('exception', {}).get('description') or d.get('text')}\n"
                          f"  in: {expression[:200]}")
        return r["result"].get("value")

    def wait_for(self, expression, what, timeout=20.0, interval=0.25):
        """Polls a JavaScript expression until it is truthy; returns its value."""
        deadline = time.time() + timeout
        # An element cannot be returned by value (it would arrive as {}): count it as true.
        # Nor can a class instance such as a Chart (too deep): any object that is not plain data counts as true.
        wrapped = (f"(() => {{ const v = ({expression}); return v !== null && typeof v === 'object' && "
                   f"!Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype ? true : v; }})()")
        while True:
            value = self.evaluate(wrapped)
            if value:
                return value
            if time.time() > deadline:
                raise Failure(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(interval)

    def navigate(self, url):
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise Failure(f"cannot load {url}: {result['errorText']}")
        self.wait_for("document.readyState === 'complete'", f"{url} to load")

    def click(self, selector):
        """A real mouse click at the element's centre (user activation, and it fails if something covers it)."""
        box = self.evaluate(f"""(() => {{
            const el = document.querySelector({json.dumps(selector)});
            if (!el) return null;
            el.scrollIntoView({{block: 'center', inline: 'center'}});
            const r = el.getBoundingClientRect();
            const x = r.left + r.width / 2, y = r.top + r.height / 2;
            const hit = document.elementFromPoint(x, y);
            return {{x, y, w: r.width, h: r.height, covered: !(hit === el || el.contains(hit)),
                     disabled: !!el.disabled}};
        }})()""")
        if not box:
            raise Failure(f"no element {selector} to click")
        if box["w"] == 0 or box["h"] == 0:
            raise Failure(f"{selector} is not visible")
        if box["covered"]:
            raise Failure(f"{selector} is covered by another element")
        if box["disabled"]:
            raise Failure(f"{selector} is disabled")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": box["x"], "y": box["y"], "button": "left",
                                                   "clickCount": 1})

    def type_into(self, selector, text):
        self.evaluate(f"""(() => {{ const el = document.querySelector({json.dumps(selector)});
            if (!el) throw new Error('no element {selector}'); el.focus(); el.select?.(); }})()""")
        self.call("Input.insertText", {"text": text})

    def viewport(self, width, height, mobile=False):
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1,
                                                         "mobile": mobile})
        if mobile:
            self.call("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
        else:
            self.call("Emulation.setTouchEmulationEnabled", {"enabled": False})

    def screenshot(self, path, selector=None):
        params = {"format": "png"}
        if selector:
            r = self.evaluate(f"""(() => {{ const el = document.querySelector({json.dumps(selector)});
                if (!el) return null; el.scrollIntoView({{block: 'start'}});
                const r = el.getBoundingClientRect();
                return {{x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height}};
            }})()""")
            if not r:
                raise Failure(f"no element {selector} to photograph")
            params["clip"] = {**r, "scale": 1}
            params["captureBeyondViewport"] = True
        data = self.call("Page.captureScreenshot", params)["data"]
        path.write_bytes(base64.b64decode(data))


# ------------------------------------------------------------------------------------------------------ the test


class DashboardTest:
    def __init__(self, browser, url, token, shots, timeout, fake=None, restore=False, ack=False, viewer_token=None):
        self.b = browser
        self.url = url
        self.token = token
        self.shots = shots
        self.timeout = timeout
        self.fake = fake                  # (base url, the fake_api module) when running against the fake API
        self.restore = restore
        self.ack = ack
        self.viewer_token = viewer_token
        self.passed = 0

    def ok(self, what):
        self.passed += 1
        print(f"ok: {what}", flush=True)

    def shot(self, name, selector=None):
        path = self.shots / name
        if not selector:
            self.b.evaluate("window.scrollTo(0, 0); true")
        self.b.screenshot(path, selector)
        print(f"     screenshot {path}", flush=True)

    def fake_post(self, path):
        req = urllib.request.Request(self.fake[0].rstrip("/") + path, method="POST", data=b"")
        urllib.request.urlopen(req, timeout=5).read()

    def goto(self, route, ready, what):
        self.b.click(f'#nav a[data-route="{route}"]')
        self.b.wait_for(ready, what)

    def run(self):
        b = self.b
        b.viewport(1920, 1080)
        b.navigate(self.url)
        # Start as a new operator would: no token in this tab, the default language.
        b.evaluate("sessionStorage.clear(); localStorage.removeItem('levee.lang'); true")
        b.navigate(self.url)
        self.login()
        self.check_units()
        self.main_view()
        self.dcs_link()
        self.shutoff()
        self.alarms_view()
        self.trends_view()
        self.drill_view()
        self.bureau_view()
        self.language()
        self.phone()
        if self.fake:
            self.live_feed_fallback()
        if self.restore:
            self.reset_and_restore()
        if self.viewer_token:
            self.viewer()
        if b.errors:
            raise Failure("the page reported errors:\n  " + "\n  ".join(b.errors[:20]))
        self.ok("no uncaught exceptions and no Content-Security-Policy violations")

    # ------------------------------------------------------------------------------------------------ steps

    def login(self):
        b = self.b
        b.wait_for("!document.getElementById('login').hidden && document.getElementById('login-token')",
                   "the login form")
        b.type_into("#login-token", "not-a-valid-token")
        b.click("#login-submit")
        text = b.wait_for("(() => { const t = document.getElementById('login-error').textContent;"
                          " return /令牌无效|登录已失效/.test(t) && t; })()", "a wrong token to be refused")
        self.ok(f"a wrong token is refused ({text})")
        b.type_into("#login-token", self.token)
        b.click("#login-submit")
        b.wait_for("!document.getElementById('app').hidden && document.querySelector('.view-main, .view-bureau')",
                   "the dashboard after login")
        if b.evaluate("!!document.querySelector('.view-bureau') && !document.querySelector('#shutoff-button')"):
            raise Failure("LEVEE_TOKEN logged in as a viewer (only the bureau view): the test needs an operator "
                          "or admin token")
        if b.evaluate("sessionStorage.getItem('levee.token')") != self.token:
            raise Failure("the token is not kept in sessionStorage")
        self.ok("logged in; token kept in sessionStorage; role " + str(b.evaluate(
            "document.getElementById('user').textContent")))

    def check_units(self):
        """Small checks of the page's own modules, run in the page: the dictionary and the SSE parser."""
        b = self.b
        missing = b.evaluate("import('./i18n.js').then((m) => m.missingKeys())", await_promise=True)
        if missing:
            raise Failure(f"i18n: keys missing in one language: {missing}")
        self.ok("i18n: Chinese and English dictionaries have the same keys")
        events = b.evaluate("""import('./api.js').then(({ SSEParser }) => {
            const p = new SSEParser();
            const out = [];
            // comment, CRLF split across chunks, multi-line data, id, an event with no data, unknown field
            for (const chunk of [': hi\\r', '\\nevent: status\\r\\nid: 7\\r\\ndata: {"a":', '1}\\r\\n\\r',
                                 '\\ndata: x\\ndata: y\\n\\nid: 9\\n\\nfoo: bar\\nevent: journal\\ndata:z\\n\\n'])
                out.push(...p.feed(chunk));
            return { out, last: p.lastEventId };
        })""", await_promise=True)
        expected = [{"event": "status", "data": '{"a":1}', "id": "7"},
                    {"event": "message", "data": "x\ny", "id": "7"},
                    {"event": "journal", "data": "z", "id": "9"}]
        if events["out"] != expected or events["last"] != "9":
            raise Failure(f"SSE parser: got {events}, expected {expected} and last id 9")
        self.ok("SSE parser: comments, CRLF split across chunks, multi-line data, ids")

    def main_view(self):
        b = self.b
        value = b.wait_for("""(() => {
            for (const el of document.querySelectorAll('.view-main .pv[data-quality="good"] .pv-v'))
                if (/^-?\\d/.test(el.textContent)) return el.closest('.point').dataset.point + ' = ' + el.textContent;
            return null; })()""", "a good-quality value in the main view", timeout=30)
        self.ok(f"main view shows a good value ({value})")
        # A value that is not good must show its quality, never a bare number.
        bad = b.evaluate("""[...document.querySelectorAll('.pv')].filter((el) => el.dataset.quality !== 'good')
            .map((el) => ({ q: el.dataset.quality, text: el.querySelector('.pv-v').textContent,
                            hatched: el.classList.contains('q-bad') }))""")
        for v in bad:
            if not v["hatched"] or v["text"][:1].isdigit() or v["text"][:1] == "-":
                raise Failure(f"a {v['q']} value is shown like a current one: {v}")
        self.ok(f"{len(bad)} values that are not good show their quality word, hatched")
        if self.fake:
            gas_b1 = b.evaluate("document.querySelector('[data-point=\"gas-b1.concentration\"] .pv').textContent")
            if "通讯故障" not in gas_b1 or "上次" not in gas_b1:
                raise Failure(f"gas-b1 (comm-fail) shows {gas_b1!r}, expected the quality word and the last value")
            self.ok(f"a comm-fail reading reads {gas_b1!r}")
        label = b.evaluate("document.getElementById('shutoff-button').textContent")
        if "一键关断" not in label:
            raise Failure(f"the one-key button says {label!r}, expected 一键关断")
        lines = b.evaluate("[...document.querySelectorAll('.plant .line h2')].map((h) => h.textContent)")
        if not any("第一道防线" in x for x in lines) or not any("第三道防线" in x for x in lines):
            raise Failure(f"the plant diagram's lines are {lines}")
        self.ok(f"plant diagram: {' → '.join(lines)}")
        b.click("#sound-toggle")
        b.wait_for("document.getElementById('sound-toggle').getAttribute('aria-pressed') === 'true'",
                   "the sound toggle to turn on")
        self.ok("sound turned on (WebAudio)")
        if self.fake:
            before = int(b.evaluate("document.getElementById('sound-toggle').dataset.beeps"))
            self.fake_post("/fake/alarm")
            b.wait_for(f"Number(document.getElementById('sound-toggle').dataset.beeps) > {before}",
                       "a beep for a new critical alarm", timeout=10)
            b.wait_for("document.getElementById('alarm-banner').classList.contains('prio-critical')",
                       "the alarm banner to show the critical alarm")
            self.ok("a new critical alarm beeps and shows in the banner")
        self.shot("01-main.png")

    def api(self, path):
        req = urllib.request.Request(self.url.rstrip("/") + path, headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def dcs_link(self):
        """The DCS chip (issue 19): shown only with a DCS link; a Modbus client the test connects, an independent
        master written here with a plain socket, appears in it with its request."""
        b = self.b
        dcs = self.api("/api/v1/status").get("dcs")
        if not dcs:
            if not b.evaluate("document.getElementById('link-dcs').hidden"):
                raise Failure("a DCS chip is shown, but the status has no DCS link")
            self.ok("no DCS link in the status, no DCS chip")
            return
        host, port = dcs["listen"].rsplit(":", 1)
        with socket.create_connection((host.strip("[]"), int(port)), timeout=10) as master:
            # Read holding register 0 (the layout version), transaction 0x0107, unit 1.
            master.sendall(bytes([0x01, 0x07, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1]))
            reply = master.recv(64)
            if reply[:2] != b"\x01\x07" or len(reply) < 9 or reply[7] != 3:
                raise Failure(f"the DCS link answered {reply.hex()} to a read of register 0")
            shown = b.wait_for("""(() => { const d = document.getElementById('link-dcs');
                return !d.hidden && Number(d.dataset.clients) >= 1 && d.textContent.includes('最近请求')
                    && d.title.includes('127.0.0.1') && d.textContent; })()""",
                               "the DCS chip to show the connected client and its last request", timeout=15)
        self.ok(f"DCS chip with a Modbus client connected: {shown!r}")

    def boundary_valves(self):
        return self.b.evaluate("""[...document.querySelectorAll('.device[data-line="boundary"]')]
            .filter((d) => d.querySelector('.valve-pos'))
            .map((d) => { const p = d.querySelector('.valve-pos');
                return { id: d.dataset.device, position: p.dataset.position, quality: p.dataset.quality,
                         text: p.textContent }; })""")

    def shutoff(self):
        b = self.b
        valves = self.boundary_valves()
        if not valves:
            raise Failure("the main view shows no boundary valves")
        b.click("#shutoff-button")
        b.wait_for("document.querySelector('#shutoff-dialog[open]')", "the shutoff confirmation dialog")
        listed = b.evaluate("document.querySelectorAll('#shutoff-dialog .shutoff-effect li').length")
        if not listed:
            raise Failure("the confirmation dialog lists no valves the plan will command")
        if not b.evaluate("document.querySelector('#shutoff-dialog .dlg-confirm').disabled"):
            raise Failure("the shutoff can be confirmed without a reason")
        b.type_into("#shutoff-dialog textarea", "浏览器测试：一键关断 browser test of the one-key shutoff")
        self.ok(f"confirmation lists {listed} valves and needs a reason")
        self.shot("02-shutoff-confirm.png")
        b.click("#shutoff-dialog .dlg-confirm")
        b.wait_for("!document.querySelector('#shutoff-dialog')", "the dialog to close")
        b.wait_for("document.querySelectorAll('#plan-progress tbody tr').length > 0", "plan steps to appear",
                   timeout=15)
        b.wait_for("document.querySelector('.latch.latched')", "the latch to show", timeout=15)
        self.ok("shutoff accepted: latched, steps listed")
        try:  # the picture is best with a valve on its way; a plant whose valves were already shut has none
            b.wait_for("document.querySelector('.valve-pos[data-position=\"travelling\"]')",
                       "a valve shown travelling", timeout=10)
        except Failure:
            print("     (no valve seen travelling)")
        self.shot("03-plan-running.png")
        deadline = time.time() + self.timeout
        while True:
            valves = self.boundary_valves()
            if all(v["position"] == "closed" and v["quality"] == "good" and ("关" in v["text"] or
                                                                            "closed" in v["text"]) for v in valves):
                break
            if time.time() > deadline:
                raise Failure(f"boundary valves not all closed after {self.timeout} s: " + "; ".join(
                    f"{v['id']} {v['text']!r} ({v['position']}, {v['quality']})" for v in valves))
            time.sleep(0.5)
        self.ok("every boundary valve shows 关 from its limit switch: " + ", ".join(v["id"] for v in valves))
        steps = b.evaluate("""[...document.querySelectorAll('#plan-progress tbody tr')]
            .map((r) => r.dataset.device + ':' + r.dataset.phase)""")
        print(f"     steps: {' '.join(steps)}")
        self.shot("04-main-shut.png")
        self.shot("05-plan-progress.png", ".defence")

    def alarms_view(self):
        b = self.b
        self.goto("alarms", "document.querySelector('.view-alarms') && "
                  "(document.querySelectorAll('#journal-table tbody tr').length > 0 || "
                  "/没有事件|无法读取/.test(document.querySelector('.view-alarms').textContent))",
                  "the alarms view and its journal")
        rows = b.evaluate("document.querySelectorAll('#alarm-table tbody tr').length")
        journal = b.evaluate("document.querySelectorAll('#journal-table tbody tr').length")
        self.ok(f"alarms view: {rows} alarms, {journal} journal events")
        if self.fake:
            # The server's texts in the page's language, from their message ids, with the next action.
            row = 'document.querySelector(\'#alarm-table tr[data-key="gas-b1.comm-fail"]\')'
            b.wait_for(f"{row} && {row}.textContent.includes('通讯故障：gas-b1')",
                       "the comm-fail alarm rendered in Chinese from its message id")
            text = b.evaluate(f"{row}.textContent")
            if "下一步：派人到 gas-b1 现场" not in text or "Comm failure" in text:
                raise Failure(f"the alarm row does not show its Chinese text and next action: {text}")
            b.evaluate("(() => { location.hash = '#/main'; return true; })()")
            b.wait_for("document.querySelector('.site-summary') && "
                       "document.querySelector('.site-summary').textContent.startsWith('20/21 台设备应答；离线：gas-b1')",
                       "the status summary in Chinese")
            self.ok("server texts (alarm, next action, summary) shown in Chinese from their message ids")
            self.goto("alarms", "document.querySelector('.view-alarms')", "the alarms view again")
        if self.ack and b.evaluate("!!document.querySelector('#alarm-table .alarm-ack:not([hidden])')"):
            alarm = b.evaluate("document.querySelector('#alarm-table .alarm-ack:not([hidden])')"
                               ".closest('tr').dataset.key")
            b.click(f'#alarm-table tr[data-key="{alarm}"] .alarm-ack')
            b.wait_for("document.querySelector('dialog.dlg[open] textarea')", "the acknowledge dialog")
            b.type_into("dialog.dlg[open] textarea", "浏览器测试 browser test")
            b.click("dialog.dlg[open] .dlg-confirm")
            b.wait_for(f"""(() => {{ const r = document.querySelector('#alarm-table tr[data-key="{alarm}"]');
                return r && !r.classList.contains('unacked'); }})()""", f"{alarm} to show acknowledged")
            self.ok(f"alarm {alarm} acknowledged through the dashboard")
        self.shot("06-alarms.png")

    def trends_view(self):
        b = self.b
        self.goto("trends", "document.querySelector('.view-trends') && "
                  "(document.querySelector('.chart-box')._chart || "
                  "!document.getElementById('trend-nochart').hidden || "
                  "/无法读取/.test(document.querySelector('.trend-info').textContent))", "the trends view")
        if not b.evaluate("!!document.querySelector('.chart-box')._chart"):
            why = b.evaluate("document.getElementById('trend-nochart').hidden ? "
                             "document.querySelector('.trend-info').textContent : 'Chart.js did not load'")
            raise Failure(f"trends: no chart ({why}); is /vendor/chart.js served?")
        b.wait_for("document.querySelector('.chart-box')._chart.data.datasets.some((d) => d.data.length > 0)",
                   "samples on the chart")
        point = b.evaluate("document.getElementById('trend-point').value")
        b.click('.btn-range[data-range="8h"]')
        # The chart's time axis spans 8 h once the 8 h samples are drawn (the info line's wording is not a signal).
        b.wait_for("location.hash.includes('range=8h') && (() => { const x = document.querySelector('.chart-box')"
                   "._chart.options.scales.x; return Math.abs((x.max - x.min) - 8 * 3600e3) < 60e3; })()",
                   "the 8 h range")
        info = b.evaluate("document.querySelector('.trend-info').textContent")
        self.ok(f"trends: {point} over 8 h drawn ({info})")
        self.shot("07-trends.png")

    def drill_view(self):
        b = self.b
        self.goto("drill", "document.querySelector('.view-drill')", "the drill view")
        b.click("#drill-check")
        b.wait_for("document.querySelector('#drill-check-result table, #drill-check-result .error-line')",
                   "the readiness check")
        result = b.evaluate("document.querySelector('#drill-check-result p').textContent")
        b.wait_for("document.querySelectorAll('#drill-reports tbody tr').length > 0 || "
                   "!/正在读取/.test(document.querySelector('.view-drill').textContent)", "the drill reports")
        reports = b.evaluate("document.querySelectorAll('#drill-reports tbody tr').length")
        if not b.evaluate("document.getElementById('drill-start').disabled"):
            raise Failure("a drill can be started without the live checkbox and a reason")
        self.ok(f"drill view: readiness check ({result}); {reports} stored reports; start needs live + reason")
        if reports:
            self.open_report()
        self.shot("08-drill.png")

    def open_report(self):
        """Opens the newest report (fetched with the token, shown from a blob URL) and looks at the new tab."""
        b = self.b
        before = {t["id"] for t in b.targets()}
        b.click("#drill-reports tbody tr .report-open")
        deadline = time.time() + 15
        tab = None
        while time.time() < deadline and not tab:
            tab = next((t for t in b.targets() if t["type"] == "page" and t["id"] not in before
                        and t["url"].startswith("blob:")), None)
            time.sleep(0.25)
        if not tab:
            raise Failure("opening a drill report did not open a tab with the report")
        ws = websocket.create_connection(tab["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        try:
            def ev(expr):
                return b.call("Runtime.evaluate", {"expression": expr, "returnByValue": True}, ws)["result"].get(
                    "value")
            deadline = time.time() + 10
            title = ""
            while time.time() < deadline and not title:
                title = ev("document.readyState === 'complete' && document.title")
                time.sleep(0.2)
            # The report styles its body (margin 2em); 8 px is the browser's default, i.e. its style was lost.
            styled = False
            while time.time() < deadline and not styled:
                styled = ev("getComputedStyle(document.body).marginTop !== '8px'")
                time.sleep(0.2)
        finally:
            ws.close()
        urllib.request.urlopen(f"http://127.0.0.1:{b.port}/json/close/{tab['id']}", timeout=5).read()
        if not title:
            raise Failure("the report tab stayed empty")
        if not styled:
            raise Failure(f"the drill report {title!r} opened without its style (the blob tab's CSP blocked it)")
        self.ok(f"drill report opens in a new tab with its own style: {title!r}")

    def bureau_view(self):
        b = self.b
        self.goto("bureau", "document.querySelectorAll('#bureau-table tbody tr').length > 0", "the bureau table")
        b.wait_for("!/正在读取/.test(document.getElementById('bureau-drill').textContent)", "the last drill")
        rows = b.evaluate("""[...document.querySelectorAll('#bureau-table tbody tr')].map((r) =>
            [...r.children].map((c) => c.textContent))""")
        outlets = [r for r in rows if "第三道防线" in r[0]]
        if not outlets or not all("关" in r[2] for r in outlets if "阀" in r[1]):
            raise Failure(f"bureau view: boundary rows {outlets}")
        self.ok(f"bureau view lists {len(rows)} valves and outlets; boundary valves closed")
        self.shot("09-bureau.png")

    def language(self):
        b = self.b
        b.click("#lang-toggle")
        b.wait_for("document.documentElement.lang === 'en' && "
                   "document.querySelector('#nav a[data-route=\"bureau\"]').textContent === 'Bureau view'",
                   "English")
        b.navigate(self.url + ("" if "#" in self.url else "#/bureau"))
        b.wait_for("document.querySelectorAll('#bureau-table tbody tr').length > 0", "the bureau view after reload")
        if b.evaluate("document.documentElement.lang") != "en":
            raise Failure("the language choice did not survive a reload")
        self.ok("English switch works and persists across a reload (token kept for the tab)")
        if self.fake:
            b.navigate(self.url.split("#")[0] + "#/main")
            b.wait_for("document.querySelector('.site-summary') && document.querySelector('.site-summary')"
                       ".textContent.startsWith('20/21 devices answering; down: gas-b1')",
                       "the status summary in English")
            self.ok("the status summary follows the language switch")
            b.navigate(self.url.split("#")[0] + "#/bureau")
            b.wait_for("document.querySelectorAll('#bureau-table tbody tr').length > 0", "the bureau view again")
        self.shot("10-bureau-en.png")
        b.click("#lang-toggle")
        b.wait_for("document.documentElement.lang === 'zh-CN'", "Chinese again")

    def phone(self):
        b = self.b
        b.viewport(390, 844, mobile=True)
        b.click('#nav a[data-route="main"]')
        b.wait_for("document.querySelector('.view-main .device')", "the main view on a phone")
        columns = b.evaluate("getComputedStyle(document.querySelector('.plant')).gridTemplateColumns.split(' ')"
                             ".length")
        small = b.evaluate("""[...document.querySelectorAll('button, #nav a, .btn')]
            .filter((el) => el.offsetParent !== null && !el.closest('.sr-only'))
            .map((el) => ({ el, r: el.getBoundingClientRect() }))
            .filter(({ r }) => r.height < 44 || r.width < 44)
            .map(({ el, r }) => `${el.id || el.className || el.tagName}: ${Math.round(r.width)}x${Math.round(r.height)}`)""")
        if columns != 1:
            raise Failure(f"on a phone the plant has {columns} columns, expected one")
        if small:
            raise Failure(f"touch targets smaller than 44 px on a phone: {small[:8]}")
        self.ok("phone (390×844): one column, every button at least 44 px")
        self.shot("11-phone-main.png")
        b.viewport(1920, 1080)

    def live_feed_fallback(self):
        """With the fake API: stream down → polling; all down → 'values not current'; back → live, resuming."""
        b = self.b
        self.fake_post("/fake/stream?mode=fail")
        b.wait_for("document.getElementById('conn').classList.contains('conn-polling')", "polling", timeout=20)
        self.ok("stream down: the page polls /api/v1/status")
        self.fake_post("/fake/stream?mode=down")
        b.wait_for("!document.getElementById('stale-banner').hidden && document.body.classList.contains"
                   "('data-stale')", "the stale-data banner", timeout=25)
        text = b.evaluate("document.getElementById('stale-banner').textContent")
        self.ok(f"API down: values greyed, banner says {text!r}")
        self.shot("12-stale.png")
        self.fake_post("/fake/stream?mode=ok")
        b.wait_for("document.getElementById('conn').classList.contains('conn-live') && "
                   "document.getElementById('stale-banner').hidden", "the stream to come back", timeout=45)
        resumed = self.fake[1].PLANT.last_event_ids
        if not resumed:
            raise Failure("the stream reconnected without Last-Event-ID")
        self.ok(f"stream back: live again, resumed with Last-Event-ID {resumed[-1]}")

    def reset_and_restore(self):
        b = self.b
        b.click('#nav a[data-route="main"]')
        b.wait_for("document.getElementById('reset-button') && !document.getElementById('reset-button').disabled",
                   "the reset button")
        for button, done, what in (
                ("#reset-button", "!document.querySelector('.latch.latched')", "the latch to clear"),
                ("#restore-button", "document.querySelectorAll('#plan-progress tbody tr').length > 0", "restore")):
            b.click(button)
            b.wait_for("document.querySelector('dialog.dlg[open] textarea')", "the reason dialog")
            if button == "#restore-button":
                self.restore_preview()
            b.type_into("dialog.dlg[open] textarea", "浏览器测试结束 browser test done")
            b.click("dialog.dlg[open] .dlg-confirm")
            b.wait_for(f"{done} || document.querySelector('.toast-error')", what, timeout=20)
            error = b.evaluate("document.querySelector('.toast-error')?.textContent")
            if error:
                raise Failure(f"{button}: the daemon refused: {error}")
        b.wait_for("""(() => { const v = [...document.querySelectorAll('.device[data-line="boundary"] .valve-pos')];
            return v.length && v.every((p) => p.dataset.position === 'open'); })()""",
                   "the boundary valves to reopen", timeout=self.timeout)
        self.ok("reset and restore through the dashboard: boundary valves open again")

    def restore_preview(self):
        """The restore dialog shows the dry run before anything moves: per device the command (the state it returns
        to), the verdict, and why a device is held; the targets, not the current positions (the boundary valves
        are closed now, and the dialog says "open")."""
        b = self.b
        rows = b.evaluate("""[...document.querySelectorAll('dialog.dlg[open] #restore-preview tbody tr')].map((r) => ({
            device: r.dataset.device, action: r.dataset.action,
            target: r.querySelector('.restore-target').dataset.target,
            why: r.querySelector('.restore-why').textContent }))""")
        if not rows:
            raise Failure("the restore dialog shows no preview of what restore will do")
        positions = b.evaluate("""Object.fromEntries([...document.querySelectorAll('.device[data-line="boundary"]')]
            .filter((d) => d.querySelector('.valve-pos'))
            .map((d) => [d.dataset.device, d.querySelector('.valve-pos').dataset.position]))""")
        boundary = [r for r in rows if r["device"] in positions]
        if not boundary:
            raise Failure(f"the restore preview lists no boundary valve: {rows}")
        for r in boundary:
            if r["target"] != "open":
                raise Failure(f"restore preview: {r['device']} should show its command (open), shows {r['target']!r}")
            if positions[r["device"]] != "closed":
                raise Failure(f"restore preview: {r['device']} is {positions[r['device']]}, not closed, before restore")
        for r in rows:
            if r["action"] in ("held-closed", "needs-decision") and not r["why"].strip():
                raise Failure(f"restore preview: {r['device']} is {r['action']} without a reason")
        if b.evaluate("document.querySelectorAll('.toast-error').length"):
            raise Failure("the restore dry run was refused")
        self.ok(f"restore dialog previews {len(rows)} devices; boundary valves shown as commanded open")

    def viewer(self):
        b = self.b
        b.click("#logout")
        b.wait_for("!document.getElementById('login').hidden", "the login form after logout")
        b.type_into("#login-token", self.viewer_token)
        b.click("#login-submit")
        b.wait_for("document.querySelectorAll('#bureau-table tbody tr').length > 0", "the viewer's bureau view")
        b.evaluate("location.hash = '#/'; true")
        time.sleep(0.5)
        state = b.evaluate("""({ hash: location.hash,
            nav: [...document.querySelectorAll('#nav a')].filter((a) => !a.hidden).map((a) => a.dataset.route),
            commands: document.querySelectorAll('#view button:not(.report-open), .btn-shutoff, #alarm-banner button,'
                + ' #sound-toggle:not([hidden])').length })""")
        if state["hash"] != "#/bureau" or state["nav"] != ["bureau"]:
            raise Failure(f"a viewer is not kept to the bureau view: {state}")
        buttons = b.evaluate("[...document.querySelectorAll('#view button')].map((x) => x.textContent)")
        if any("关断" in x or "确认" in x or "复位" in x for x in buttons):
            raise Failure(f"a viewer sees command buttons: {buttons}")
        refused = b.evaluate("import('./api.js').then((m) => m.api('/api/v1/alarms/silence', "
                             "{ method: 'POST', body: {} }).then(() => 'accepted', (e) => e.status))",
                             await_promise=True)
        if refused != 403:
            raise Failure(f"a viewer's command was answered {refused}, expected 403")
        self.ok(f"viewer token: only the bureau view, no command buttons ({buttons or 'none'}); "
                "a command sent anyway gets 403")
        self.shot("13-viewer-bureau.png")


# ------------------------------------------------------------------------------------------------------ main


def main():
    fake = "--fake" in sys.argv[1:]
    if any(a not in ("--fake",) for a in sys.argv[1:]):
        print(__doc__)
        return 2
    env = os.environ
    fake_server = None
    if fake:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import fake_api
        fake_server = fake_api.serve(0, shapes=env.get("LEVEE_FAKE_SHAPES", "issue"))
        base = f"http://127.0.0.1:{fake_server.server_address[1]}/"
        url, token = base, "operator-token"
        viewer = env.get("LEVEE_VIEWER_TOKEN", "viewer-token")
        print(f"dashboard_test: fake API on {base}")
    else:
        url, token = env.get("LEVEE_URL"), env.get("LEVEE_TOKEN")
        viewer = env.get("LEVEE_VIEWER_TOKEN")
        if not url or not token:
            print("dashboard_test: set LEVEE_URL and LEVEE_TOKEN (or run with --fake)", file=sys.stderr)
            return 2
    shots = Path(env.get("LEVEE_SCREENSHOTS") or REPO / "docs" / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    binary = env.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which(
        "google-chrome")
    if not binary:
        print("dashboard_test: no Chromium: apt-get install -y chromium fonts-noto-cjk (or set CHROMIUM)",
              file=sys.stderr)
        return 2
    flag = lambda name: env.get(name, "1" if fake else "0") == "1"
    browser = None
    test = None
    try:
        browser = Browser(binary)
        test = DashboardTest(browser, url, token, shots, float(env.get("LEVEE_TIMEOUT", "120")),
                             fake=(url, sys.modules.get("fake_api")) if fake else None,
                             restore=flag("LEVEE_RESTORE"), ack=flag("LEVEE_ACK"), viewer_token=viewer)
        test.run()
    except (Failure, websocket.WebSocketException, OSError) as e:
        print(f"FAIL: {e}", file=sys.stderr)
        if browser and browser.console:
            print("  browser console (last 15):\n    " + "\n    ".join(browser.console[-15:]), file=sys.stderr)
        if browser and test:
            try:
                test.shot("failure.png")
            except Exception:
                pass
        print(f"dashboard_test: {test.passed if test else 0} passed, 1 failed")
        return 1
    finally:
        if browser:
            browser.close()
        if fake_server:
            fake_server.shutdown()
    print(f"dashboard_test: {test.passed} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

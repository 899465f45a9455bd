#!/usr/bin/env python3
"""Browser test of the dashboard on a park (园区) instance: the park view, the bureau's view of the park's plants,
and the link indicators. Headless Chromium over the DevTools protocol, like dashboard_test.py (whose Browser it
uses).

Against a running park instance:

    LEVEE_PARK_URL=http://127.0.0.1:8081/ LEVEE_TOKEN=... LEVEE_VIEWER_TOKEN=... \\
        .venv/bin/python Tests/browser/park_view_test.py

Against the fake API, run on its own (`python3 Tests/browser/fake_api.py --park --port 8766`, tokens
operator-token and viewer-token) or started in-process with --fake:

    .venv/bin/python Tests/browser/park_view_test.py --fake

It knows nothing in advance about the park's plants: it reads GET /api/v1/status with the token and checks the page
against it. The checks: the park tab appears (and only on a park instance); there is one card per plant, in its
catchment, each saying its link state in words, and a plant that is not online greyed and hatched; every outlet of a
plant that is not online, or whose quality is not good, is hatched and never reads as a bare position ("关"); the
latch state of every plant; the commands list with refused, failed and unanswered commands highlighted; a pending
confirmation has its "confirm catchment plan" button for an operator, whose dialog lists the catchment's plants and
needs a reason; the link indicators in the header match `links`; the bureau view shows every plant's outlets and
has no buttons; both languages complete, no missing text; and with LEVEE_VIEWER_TOKEN, a viewer sees the bureau's
view of the plants, no park tab and no confirm button, and is refused (403) a park-confirm sent anyway. It fails on
any uncaught script error or Content-Security-Policy violation.

The confirmation dialog is cancelled unless LEVEE_PARK_CONFIRM=1 (the default with --fake): confirming on a real
park sends its plants a real shutoff. With it, the test confirms, and waits for the pending confirmation to leave
the banner and the new commands to show in the list. (Against a separately started fake, POST
/fake/park-escalate brings the escalation back for another run.)

Environment:
    LEVEE_PARK_URL       where a park instance's dashboard is served, ending in / (required unless --fake)
    LEVEE_TOKEN          an operator or admin token of that instance (required unless --fake)
    LEVEE_VIEWER_TOKEN   optional: a viewer token (with --fake: viewer-token)
    LEVEE_PARK_CONFIRM=1 really confirm a pending catchment plan (default on with --fake only)
    LEVEE_SCREENSHOTS    screenshot directory (default: docs/screenshots in the repository)
    CHROMIUM             the browser binary (default: chromium from PATH)

Exit status 0 when every check passed; 1 with a "FAIL:" line naming the check otherwise; 2 when the test cannot
start. The last line is `park_view_test: N passed, N failed`.
"""

import json
import os
import shutil
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dashboard_test import REPO, Browser, Failure, websocket  # noqa: E402  (exits 2 without websocket-client)

BAD_RESULTS = ("refused", "failed", "no answer")


class ParkViewTest:
    def __init__(self, browser, url, token, shots, viewer_token=None, confirm=False):
        self.b = browser
        self.url = url if url.endswith("/") else url + "/"
        self.token = token
        self.shots = shots
        self.viewer_token = viewer_token
        self.confirm = confirm
        self.passed = 0

    def ok(self, what):
        self.passed += 1
        print(f"ok: {what}", flush=True)

    def note(self, what):
        print(f"     ({what})", flush=True)

    def shot(self, name, selector=None):
        path = self.shots / name
        if not selector:
            self.b.evaluate("window.scrollTo(0, 0); true")
        self.b.screenshot(path, selector)
        print(f"     screenshot {path}", flush=True)

    # --------------------------------------------------------------------------------------------- the API

    def request(self, path, token=None, body=None):
        """(HTTP status, parsed JSON) of one API request with a bearer token."""
        req = urllib.request.Request(self.url + path.lstrip("/"), method="POST" if body is not None else "GET",
                                     data=None if body is None else json.dumps(body).encode())
        req.add_header("Authorization", f"Bearer {token or self.token}")
        req.add_header("Accept", "application/json")
        if body is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=15) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            try:
                return e.code, json.loads(e.read() or b"null")
            except ValueError:
                return e.code, None

    def status(self):
        code, s = self.request("api/v1/status")
        if code != 200 or not isinstance(s, dict):
            raise Failure(f"GET /api/v1/status answered {code}")
        return s

    def t(self, key, params=None):
        """The page's own text for a key, in the language the page shows now."""
        return self.b.evaluate(f"import('./i18n.js').then((m) => m.t({json.dumps(key)}, {json.dumps(params or {})}))",
                               await_promise=True)

    def tor(self, key, fallback):
        return self.b.evaluate(f"import('./i18n.js').then((m) => m.tOr({json.dumps(key)}, {json.dumps(fallback)}))",
                               await_promise=True)

    # ------------------------------------------------------------------------------------------------ run

    def run(self):
        b = self.b
        status = self.status()
        park = status.get("park")
        if not park:
            raise Failure(f"{self.url} is not a park instance: its status has no `park`")
        self.ok(f"{status.get('siteName')} ({status.get('site')}) is a park: {len(park.get('plants', []))} plants, "
                f"{len(park.get('pendingConfirmations', []))} pending confirmations, "
                f"{len(park.get('commands', []))} commands")
        b.viewport(1920, 1080)
        b.navigate(self.url)
        b.evaluate("sessionStorage.clear(); localStorage.removeItem('levee.lang'); true")
        b.navigate(self.url)
        self.login(self.token)
        if b.evaluate("!!document.querySelector('.view-bureau') && !document.querySelector('#shutoff-button')"):
            raise Failure("LEVEE_TOKEN logged in as a viewer: the test needs an operator or admin token")
        missing = b.evaluate("import('./i18n.js').then((m) => m.missingKeys())", await_promise=True)
        if missing:
            raise Failure(f"i18n: keys missing in one language: {missing}")
        self.ok("i18n: both dictionaries have the same keys")

        self.park_tab()
        self.plants()
        self.commands()
        self.links()
        self.pending()
        self.shot("park-01-view.png")
        self.bureau()
        self.english()
        self.phone()
        if self.viewer_token:
            self.viewer()
        untranslated = [c for c in b.console if "levee i18n: no" in c]
        if untranslated:
            raise Failure(f"text missing from a dictionary: {untranslated[:5]}")
        if b.errors:
            raise Failure("the page reported errors:\n  " + "\n  ".join(b.errors[:20]))
        self.ok("no uncaught exceptions, no missing text, no Content-Security-Policy violations")

    def login(self, token):
        b = self.b
        b.wait_for("!document.getElementById('login').hidden && document.getElementById('login-token')",
                   "the login form")
        b.type_into("#login-token", token)
        b.click("#login-submit")
        b.wait_for("!document.getElementById('app').hidden && document.querySelector('.view-main, .view-bureau')",
                   "the dashboard after login")

    # -------------------------------------------------------------------------------------------- checks

    def park_tab(self):
        b = self.b
        b.wait_for("(() => { const a = document.querySelector('#nav a[data-route=\"park\"]');"
                   " return a && !a.hidden && a.offsetParent !== null; })()", "the park tab")
        b.click('#nav a[data-route="park"]')
        b.wait_for("document.querySelector('.view-park') && location.hash === '#/park'", "the park view")
        self.ok(f"the park tab appears and opens the park view ({b.evaluate('document.title')})")

    def cards(self):
        """What the page shows of each plant, by plant id."""
        return self.b.evaluate("""Object.fromEntries([...document.querySelectorAll(
            '.view-park .plant-card, #bureau-park .plant-card')].map((c) => [c.dataset.plant, {
            catchment: c.closest('.catchment')?.dataset.catchment,
            link: c.dataset.link,
            linkText: c.querySelector('.plant-link').textContent,
            linkHatched: getComputedStyle(c.querySelector('.plant-link')).backgroundImage.includes('gradient'),
            cardHatched: getComputedStyle(c).backgroundImage.includes('gradient'),
            latch: c.querySelector('.plant-latch').dataset.latch,
            latchText: c.querySelector('.plant-latch').textContent,
            latchHatched: getComputedStyle(c.querySelector('.plant-latch')).backgroundImage.includes('gradient'),
            escalation: c.querySelector('.plant-escalation').hidden ? null
                : c.querySelector('.plant-escalation').textContent,
            outlets: [...c.querySelectorAll('tr.outlet')].map((r) => {
                const p = r.querySelector('.valve-pos');
                return { device: r.dataset.device, position: p.dataset.position, quality: p.dataset.quality,
                         text: p.textContent, hatched: p.classList.contains('q-bad')
                             && getComputedStyle(p).backgroundImage.includes('gradient') };
            }),
            buttons: c.querySelectorAll('button').length,
        }]))""")

    def expected_latch(self, plant):
        if plant.get("latched") is None and plant.get("drill") is None:
            return "unknown"
        if plant.get("latched"):
            return "drill-latched" if plant.get("drill") else "latched"
        return "drill" if plant.get("drill") else "normal"

    def compare_cards(self, plants, cards):
        """Every difference between the plants in a status and the cards on the page, as sentences."""
        problems = []
        if set(cards) != {p["id"] for p in plants}:
            problems.append(f"cards {sorted(cards)} for plants {sorted(p['id'] for p in plants)}")
        for p in plants:
            c = cards.get(p["id"])
            if not c:
                continue
            pid = p["id"]
            if c["catchment"] != p["catchment"]:
                problems.append(f"{pid}: in catchment {c['catchment']!r}, expected {p['catchment']!r}")
            if c["link"] != p["link"]:
                problems.append(f"{pid}: link {c['link']!r}, status says {p['link']!r}")
            word = self.words["link"].get(p["link"], p["link"])
            if word not in c["linkText"]:
                problems.append(f"{pid}: link reads {c['linkText']!r}, expected {word!r}")
            online = p["link"] == "online"
            if not online and not (c["linkHatched"] and c["cardHatched"]):
                problems.append(f"{pid}: {p['link']} but its card or link state is not greyed and hatched")
            if online and c["cardHatched"]:
                problems.append(f"{pid}: online but its card is hatched")
            latch = self.expected_latch(p)
            if c["latch"] != latch or not c["latchText"].strip():
                problems.append(f"{pid}: latch {c['latch']!r} {c['latchText']!r}, expected {latch!r}")
            if not online and latch != "unknown" and not c["latchHatched"]:
                problems.append(f"{pid}: {p['link']} but its latch state {c['latchText']!r} is not hatched")
            if bool(p.get("escalated")) != (c["escalation"] is not None):
                problems.append(f"{pid}: escalated {p.get('escalated')} but the card shows {c['escalation']!r}")
            elif p.get("escalationReason") and p["escalationReason"] not in (c["escalation"] or ""):
                problems.append(f"{pid}: escalation {c['escalation']!r} does not give the reason")
            if c["buttons"]:
                problems.append(f"{pid}: the plant card has {c['buttons']} buttons (it is read-only)")
            shown = {o["device"]: o for o in c["outlets"]}
            if set(shown) != {o["device"] for o in p.get("outlets", [])}:
                problems.append(f"{pid}: outlets {sorted(shown)}, expected "
                                f"{sorted(o['device'] for o in p.get('outlets', []))}")
            for o in p.get("outlets", []):
                s = shown.get(o["device"])
                if not s:
                    continue
                bare = self.words["position"].get(o["position"], o["position"])
                if s["position"] != o["position"]:
                    problems.append(f"{pid}/{o['device']}: position {s['position']!r}, expected {o['position']!r}")
                if online and o["quality"] == "good":
                    if s["text"] != bare or s["hatched"]:
                        problems.append(f"{pid}/{o['device']}: good and online but reads {s['text']!r}")
                elif s["text"].strip() == bare or not s["hatched"]:
                    problems.append(f"{pid}/{o['device']}: {o['position']} with quality {o['quality']} on a plant "
                                    f"{p['link']} reads {s['text']!r} (hatched: {s['hatched']}): looks current")
        return problems

    def load_words(self):
        self.words = {
            "link": {k: self.tor(f"park.link.{k}", k) for k in ("online", "offline", "stale", "unknown")},
            "position": {k: self.tor(f"position.{k}", k) for k in ("open", "closed", "travelling", "fault",
                                                                     "unknown")},
        }

    def wait_cards_match(self, what, timeout=15):
        """The page against the daemon's status, retried: a plant's state may change between the two reads."""
        deadline = time.time() + timeout
        while True:
            plants = self.status()["park"].get("plants", [])
            problems = self.compare_cards(plants, self.cards())
            if not problems:
                return plants
            if time.time() > deadline:
                raise Failure(f"{what}:\n  " + "\n  ".join(problems[:20]))
            time.sleep(0.5)

    def plants(self):
        b = self.b
        self.load_words()
        n = len(self.status()["park"].get("plants", []))
        b.wait_for(f"document.querySelectorAll('.view-park .plant-card').length === {n}", f"{n} plant cards")
        plants = self.wait_cards_match("the park view does not show the plants as the status has them")
        by_link = {}
        for p in plants:
            by_link.setdefault(p["link"], []).append(p["id"])
        catchments = sorted({p["catchment"] for p in plants})
        self.ok(f"one card per plant in {len(catchments)} catchments ({', '.join(catchments)}), each with its link "
                f"state in words: " + "; ".join(f"{k} {', '.join(v)}" for k, v in sorted(by_link.items())))
        latches = ", ".join(f"{p['id']} {self.expected_latch(p)}" for p in plants)
        self.ok(f"latch state and escalation of every plant as reported ({latches})")
        untrusted = [(p["id"], o["device"], o["position"], o["quality"], p["link"]) for p in plants
                     for o in p.get("outlets", []) if p["link"] != "online" or o["quality"] != "good"]
        of_bad_plants = [u for u in untrusted if u[4] != "online"]
        cards = self.cards()
        if untrusted:
            sample = untrusted[0]
            text = next(o["text"] for o in cards[sample[0]]["outlets"] if o["device"] == sample[1])
            self.ok(f"{len(untrusted)} outlets of plants not online or not good are hatched and never read as a bare "
                    f"position, e.g. {sample[0]}/{sample[1]} ({sample[2]}, {sample[3]}, plant {sample[4]}) reads "
                    f"{text!r}")
        else:
            self.note("every plant is online with good outlets: the not-current outlet check had nothing to check")
        if not of_bad_plants:
            self.note("no plant is stale or offline now: an outlet of such a plant could not be checked")
        trusted = sum(len(p.get("outlets", [])) for p in plants) - len(untrusted)
        if trusted:
            self.ok(f"{trusted} outlets of online plants with good quality read their plain position")
        self.shot("park-02-plants.png", ".view-park .park-plants")

    def commands(self):
        b = self.b
        commands = self.status()["park"].get("commands", [])
        if not commands:
            b.wait_for("document.querySelectorAll('#park-commands tbody tr').length === 0", "an empty command list")
            self.note("no commands sent yet: the list is empty")
            return
        rows = b.wait_for(f"""(() => {{ const r = [...document.querySelectorAll('#park-commands tbody tr')];
            return r.length >= {min(len(commands), 100)} && r.map((x) => ({{ id: x.dataset.command,
                result: x.dataset.result, bad: x.classList.contains('cmd-bad'),
                text: x.querySelector('.cmd-result').textContent }})); }})()""", "the commands list")
        shown = {r["id"]: r for r in rows}
        missing = [c["id"] for c in commands[:100] if c["id"] not in shown]
        if missing:
            raise Failure(f"commands not listed: {missing[:10]}")
        for r in rows:
            if r["bad"] != (r["result"] in BAD_RESULTS):
                raise Failure(f"command {r['id']} ({r['result']}) highlighted: {r['bad']}")
            if not r["text"].strip():
                raise Failure(f"command {r['id']} shows no result")
        bad = [r for r in rows if r["bad"]]
        self.ok(f"{len(rows)} commands listed with their results; {len(bad)} refused, failed or unanswered "
                f"highlighted" + (f" (e.g. {bad[0]['id']}: {bad[0]['text']})" if bad else ""))

    def links(self):
        b = self.b
        links = self.status().get("links") or {}
        shown = b.evaluate("""({ group: !document.getElementById('links').hidden,
            mqtt: !document.getElementById('link-mqtt').hidden && document.getElementById('link-mqtt').textContent,
            mqttState: document.getElementById('link-mqtt').dataset.state,
            uplink: !document.getElementById('link-uplink').hidden
                && document.getElementById('link-uplink').textContent })""")
        if bool(links.get("mqtt")) != bool(shown["mqtt"]) or bool(links.get("uplink")) != bool(shown["uplink"]):
            raise Failure(f"link indicators {shown} for links {links}")
        if links.get("mqtt") and shown["mqttState"] != links["mqtt"]["state"]:
            raise Failure(f"MQTT link shown {shown['mqttState']!r}, status says {links['mqtt']['state']!r}")
        if links.get("uplink") and str(links["uplink"].get("backlog", 0)) not in shown["uplink"]:
            raise Failure(f"the uplink indicator {shown['uplink']!r} does not give the backlog")
        self.ok("link indicators match `links`: " + (" | ".join(x for x in (shown["mqtt"], shown["uplink"]) if x)
                                                      or "none configured, none shown"))

    def pending(self):
        b = self.b
        park = self.status()["park"]
        pending = park.get("pendingConfirmations", [])
        catchments = list(dict.fromkeys(p["catchment"] for p in pending))
        if not catchments:
            b.wait_for("document.getElementById('park-pending').hidden && !document.querySelector('.park-confirm')",
                       "no pending-confirmation banner")
            self.note("nothing waits for confirmation: no banner and no confirm button (the button check needs a "
                      "pending confirmation)")
            return
        got = b.wait_for(f"""(() => {{ const b = document.getElementById('park-pending');
            const c = [...b.querySelectorAll('.park-confirm')].map((x) => x.dataset.catchment);
            return !b.hidden && c.length === {len(catchments)} && c; }})()""", "the pending-confirmation banner")
        if sorted(got) != sorted(catchments):
            raise Failure(f"confirm buttons for {got}, pending catchments {catchments}")
        self.ok(f"pending confirmation banner with a confirm button per catchment: {', '.join(got)}")
        self.shot("park-03-pending.png", "#park-pending")

        catchment = catchments[0]
        b.click(f'.park-confirm[data-catchment="{catchment}"]')
        b.wait_for("document.querySelector('#park-confirm-dialog[open]')", "the confirmation dialog")
        listed = b.evaluate("[...document.querySelectorAll('#park-confirm-dialog .shutoff-effect li')]"
                            ".map((li) => li.textContent)")
        members = [p for p in park.get("plants", []) if p["catchment"] == catchment]
        for p in members:
            if not any(p["id"] in x for x in listed):
                raise Failure(f"the confirmation dialog does not list plant {p['id']} of {catchment}: {listed}")
        if not b.evaluate("document.querySelector('#park-confirm-dialog .dlg-confirm').disabled"):
            raise Failure("the catchment plan can be confirmed without a reason")
        self.ok(f"the confirm dialog for {catchment} lists its {len(members)} plants and needs a reason")
        self.shot("park-04-confirm-dialog.png")
        if not self.confirm:
            b.click("#park-confirm-dialog .dlg-cancel")
            b.wait_for("!document.querySelector('#park-confirm-dialog')", "the dialog to close")
            self.note("dialog cancelled: set LEVEE_PARK_CONFIRM=1 to confirm for real")
            return
        before = {c["id"] for c in park.get("commands", [])}
        b.type_into("#park-confirm-dialog textarea", "浏览器测试：确认流域方案 browser test of park-confirm")
        b.click("#park-confirm-dialog .dlg-confirm")
        b.wait_for("!document.querySelector('#park-confirm-dialog')", "the dialog to close")
        b.wait_for(f"!document.querySelector('.park-confirm[data-catchment=\"{catchment}\"]') || "
                   "document.querySelector('.toast-error')", "the pending confirmation to go", timeout=20)
        error = b.evaluate("document.querySelector('.toast-error')?.textContent")
        if error:
            raise Failure(f"park-confirm was refused: {error}")
        fresh = b.wait_for(f"""(() => {{ const known = new Set({json.dumps(sorted(before))});
            const r = [...document.querySelectorAll('#park-commands tbody tr')].filter((x) =>
                !known.has(x.dataset.command));
            return r.length > 0 && r.map((x) => x.dataset.plant + ':' + x.dataset.result); }})()""",
                           "the new commands in the list", timeout=20)
        self.ok(f"confirmed {catchment} through the dashboard: the banner cleared, commands sent: {', '.join(fresh)}")
        try:  # the plants answer within seconds on the fake; a real park may take longer
            answered = b.wait_for(f"""(() => {{ const known = new Set({json.dumps(sorted(before))});
                const r = [...document.querySelectorAll('#park-commands tbody tr')].filter((x) =>
                    !known.has(x.dataset.command));
                return r.every((x) => x.dataset.result !== 'sent') &&
                    r.map((x) => x.dataset.plant + ':' + x.dataset.result); }})()""", "the plants' answers",
                                  timeout=20)
            self.ok(f"the plants' answers show: {', '.join(answered)}")
        except Failure:
            self.note("not every plant answered within 20 s")
        self.shot("park-05-after-confirm.png")

    def bureau(self):
        b = self.b
        b.click('#nav a[data-route="bureau"]')
        b.wait_for("document.querySelector('.view-bureau') && !document.getElementById('bureau-park').hidden",
                   "the bureau's view of the park")
        n = len(self.status()["park"].get("plants", []))
        b.wait_for(f"document.querySelectorAll('#bureau-park .plant-card').length === {n}",
                   f"{n} plant cards in the bureau view")
        self.wait_cards_match("the bureau view does not show the plants as the status has them")
        outlets = b.evaluate("document.querySelectorAll('#bureau-park tr.outlet').length")
        buttons = b.evaluate("[...document.querySelectorAll('#bureau-park button')].map((x) => x.textContent)")
        if buttons:
            raise Failure(f"the bureau's view of the park has buttons: {buttons}")
        self.ok(f"bureau view: {n} plants with latch state and {outlets} outlets, read-only")
        self.shot("park-06-bureau.png")

    def english(self):
        b = self.b
        b.click("#lang-toggle")
        b.wait_for("document.documentElement.lang === 'en'", "English")
        b.click('#nav a[data-route="park"]')
        b.wait_for("document.querySelector('.view-park .plant-card')", "the park view in English")
        self.load_words()
        self.wait_cards_match("the park view in English")
        self.ok("the park view in English: " + b.evaluate("document.querySelector('.view-park h1').textContent"))
        self.shot("park-07-en.png")
        b.click("#lang-toggle")
        b.wait_for("document.documentElement.lang === 'zh-CN'", "Chinese again")
        self.load_words()

    def phone(self):
        b = self.b
        b.viewport(390, 844, mobile=True)
        b.click('#nav a[data-route="park"]')
        b.wait_for("document.querySelector('.view-park .plant-card')", "the park view on a phone")
        info = b.evaluate("""({
            columns: [...document.querySelectorAll('.plant-grid')].map((g) =>
                getComputedStyle(g).gridTemplateColumns.split(' ').length),
            wide: document.documentElement.scrollWidth > window.innerWidth + 1,
            small: [...document.querySelectorAll('.view-park button, #nav a')]
                .filter((el) => el.offsetParent !== null)
                .map((el) => ({ el, r: el.getBoundingClientRect() }))
                .filter(({ r }) => r.height < 44 || r.width < 44)
                .map(({ el, r }) => `${el.className || el.tagName}: ${Math.round(r.width)}x${Math.round(r.height)}`),
        })""")
        if any(c != 1 for c in info["columns"]):
            raise Failure(f"on a phone the plant cards are in {info['columns']} columns, expected one")
        if info["small"]:
            raise Failure(f"touch targets smaller than 44 px on a phone: {info['small'][:8]}")
        self.ok("phone (390×844): one column of plant cards, buttons at least 44 px"
                + (" (the page scrolls sideways)" if info["wide"] else ""))
        self.shot("park-08-phone.png")
        b.viewport(1920, 1080)

    def viewer(self):
        b = self.b
        b.click("#logout")
        self.login(self.viewer_token)
        b.wait_for("document.querySelector('.view-bureau') && !document.getElementById('bureau-park').hidden",
                   "the viewer's bureau view with the park's plants")
        n = len(self.status()["park"].get("plants", []))
        b.wait_for(f"document.querySelectorAll('#bureau-park .plant-card').length === {n}",
                   f"{n} plant cards for the viewer")
        self.wait_cards_match("the viewer's bureau view")
        b.evaluate("location.hash = '#/park'; true")
        time.sleep(0.5)
        state = b.evaluate("""({ hash: location.hash,
            nav: [...document.querySelectorAll('#nav a')].filter((a) => !a.hidden).map((a) => a.dataset.route),
            confirm: document.querySelectorAll('.park-confirm').length,
            buttons: [...document.querySelectorAll('#view button')].filter((x) => !x.closest('#bureau-drill'))
                .map((x) => x.textContent) })""")
        if state["hash"] != "#/bureau" or "park" in state["nav"] or state["confirm"] or state["buttons"]:
            raise Failure(f"a viewer reaches the park view or a command: {state}")
        # Sent anyway (to a catchment that does not exist, in case the server let it through): refused for the role.
        code, answer = self.request("api/v1/control", token=self.viewer_token, body={
            "op": "park-confirm", "catchment": "levee-browser-test-no-such-catchment",
            "reason": "browser test: a viewer must not confirm"})
        if code != 403:
            raise Failure(f"a viewer's park-confirm was answered {code} {answer}, expected 403")
        self.ok("viewer token: the bureau view shows every plant's outlets; no park tab, no confirm button; "
                "a park-confirm sent anyway gets 403")
        self.shot("park-09-viewer-bureau.png")


def main():
    fake = "--fake" in sys.argv[1:]
    if any(a != "--fake" for a in sys.argv[1:]):
        print(__doc__)
        return 2
    env = os.environ
    fake_server = None
    if fake:
        import fake_api
        fake_server = fake_api.serve(0, park=True)
        url = f"http://127.0.0.1:{fake_server.server_address[1]}/"
        token = "operator-token"
        viewer = env.get("LEVEE_VIEWER_TOKEN", "viewer-token")
        print(f"park_view_test: fake park API on {url}")
    else:
        url, token = env.get("LEVEE_PARK_URL"), env.get("LEVEE_TOKEN")
        viewer = env.get("LEVEE_VIEWER_TOKEN")
        if not url or not token:
            print("park_view_test: set LEVEE_PARK_URL and LEVEE_TOKEN (or run with --fake)", file=sys.stderr)
            return 2
    confirm = env.get("LEVEE_PARK_CONFIRM", "1" if fake else "0") == "1"
    shots = Path(env.get("LEVEE_SCREENSHOTS") or REPO / "docs" / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    binary = env.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which(
        "google-chrome")
    if not binary:
        print("park_view_test: no Chromium: apt-get install -y chromium fonts-noto-cjk (or set CHROMIUM)",
              file=sys.stderr)
        return 2
    browser = None
    test = None
    try:
        browser = Browser(binary)
        test = ParkViewTest(browser, url, token, shots, viewer_token=viewer, confirm=confirm)
        test.run()
    except (Failure, websocket.WebSocketException, OSError) as e:
        print(f"FAIL: {e}", file=sys.stderr)
        if browser and browser.console:
            print("  browser console (last 15):\n    " + "\n    ".join(browser.console[-15:]), file=sys.stderr)
        if browser and test:
            try:
                test.shot("park-failure.png")
            except Exception:
                pass
        print(f"park_view_test: {test.passed if test else 0} passed, 1 failed")
        return 1
    finally:
        if browser:
            browser.close()
        if fake_server:
            fake_server.shutdown()
    print(f"park_view_test: {test.passed} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

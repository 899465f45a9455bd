import ArgumentParser
import ControlAPI
import Foundation
import Messages

/// `leveectl status`: every device with value, unit, quality and read time, and every valve's position and mode;
/// the links to the park and the bureau when configured; on a park instance, its plants and the commands sent them.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the live state of every device, the links to the park and the bureau, and a park's plants.",
        discussion: """
            With --watch the view is redrawn each time leveed publishes the status (once a second and on each \
            change: a trip, an alarm, a valve moving) until Ctrl-C; over --url, every --interval seconds. On a \
            terminal the view fits its width (lines are cut, not wrapped) and the header (site, SHUTOFF LATCHED, \
            devices down) stays on top; written to a file or a pipe, each publication is the full view as plain \
            lines.
            """)

    @OptionGroup var location: DaemonLocation

    @Flag(name: .long, help: "Print the raw status as JSON.")
    var json = false

    @Flag(name: .long, help: "Redraw the view until interrupted.")
    var watch = false

    @Flag(name: .long, help: "List every point of every device, not one line per device.")
    var points = false

    @Option(name: .long, help: "Seconds between redraws with --watch over the HTTP API (--url).")
    var interval: Double = 1

    func run() throws {
        if watch {
            // Ctrl-C ends the view normally (exit 0), leaving the terminal as it was.
            signal(SIGINT) { _ in
                _ = write(STDOUT_FILENO, "\n", 1)
                Glibc.exit(0)
            }
            if try location.api() == nil {
                // Over the control socket: the daemon's own publications, redrawn as they come.
                let socket = try location.socketPath()
                while true {
                    do throws(ControlError) {
                        try ControlClient.watch(socket: socket) { status in
                            Terminal.draw(status, allPoints: points)
                            return true
                        }
                    } catch {
                        Terminal.draw(
                            nil, error: "leveectl: \(error)\nretrying every second; Ctrl-C to stop", allPoints: points)
                        Thread.sleep(forTimeInterval: 1)
                    }
                }
            }
            while true {
                do {
                    Terminal.draw(try fetch(), allPoints: points)
                } catch {
                    let message = "leveectl: \(error)\nretrying every \(interval) s; Ctrl-C to stop"
                    Terminal.draw(nil, error: message, allPoints: points)
                }
                Thread.sleep(forTimeInterval: max(0.2, interval))
            }
        }
        let status: SiteStatus
        do {
            status = try fetch()
        } catch let error as ControlError {
            printError("leveectl: \(error)")
            throw ExitCode(3)
        }
        if json {
            let data = try JSONEncoder.control.encode(status)
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(StatusView.render(status, allPoints: points), terminator: "")
        }
    }

    private func fetch() throws -> SiteStatus {
        switch try location.send(.status, timeout: 5) {
        case .success(.status(let status)):
            return status
        case .success:
            printError("leveectl: daemon refused: no status")
            throw ExitCode(4)
        case .failure(let refusal):
            printError("leveectl: daemon refused: \(said(refusal.text, refusal.message))")
            throw ExitCode(4)
        }
    }
}

/// The terminal view: one block per line of defence, then the valves, with bad qualities marked so a stale or
/// comm-failed value never looks like a current one.
enum StatusView {
    static let lines = ["risk-unit", "network-pool", "boundary", "park"]
    static let lineNames = [
        "risk-unit": "Line 1  risk units 风险单元", "network-pool": "Line 2  network and pool 管网、应急池",
        "boundary": "Line 3  plant boundary 厂界", "park": "Park 园区",
    ]

    static func render(_ s: SiteStatus, allPoints: Bool = false) -> String {
        header(s) + body(s, allPoints: allPoints)
    }

    /// What must stay in sight: the site and its clock, the summary (SHUTOFF LATCHED, devices down) and a
    /// historian fault. `watch` pins these lines on top of the screen.
    static func header(_ s: SiteStatus) -> String {
        let zone = TimeZone(identifier: s.timeZone) ?? .current
        let clock = clockStyle(zone)
        let day = Date.ISO8601FormatStyle(timeZone: zone).year().month().day()
        var out =
            "\(s.siteName) (\(s.site))   \(s.generatedAt.formatted(day)) \(s.generatedAt.formatted(clock)) \(s.timeZone)\n"
        out += said(s.summaryText, s.summary) + "\n"
        if !s.historian.healthy {
            out += "HISTORIAN FAULT: \(s.historian.lastError ?? "unknown") — \(s.historian.bufferedReadings) readings "
            out += "buffered, \(s.historian.droppedReadings) dropped\n"
        }
        return out
    }

    /// Everything below the header: the shutoff, alarms, links, the park, the DCS and the devices by line.
    ///
    /// With a terminal `width`, the device tables fit it: the reading (or name) column gives way and long cells
    /// are cut, so quality and read time, which say whether a value can be trusted, always show; a valve's fault
    /// that its cut reading would hide gets a line of its own.
    static func body(_ s: SiteStatus, allPoints: Bool = false, width: Int? = nil) -> String {
        let zone = TimeZone(identifier: s.timeZone) ?? .current
        let clock = clockStyle(zone)
        var out = ""
        if let d = s.defence {
            if d.latched || !d.steps.isEmpty {
                out += "\nShutoff 一键关断: \(d.latched ? "LATCHED" : "reset")\(d.drill ? " (DRILL)" : "")"
                out += d.plan.map { " — plan \($0)" } ?? ""
                out += "\n"
                for t in d.trips { out += "  trip: \(t)\n" }
                for step in d.steps {
                    let seconds = step.seconds.map { String(format: "%.1f s", $0) } ?? ""
                    let detail = step.failedReason ?? step.lastError ?? ""
                    out +=
                        row([step.operation, step.device, step.phase, seconds, detail], widths: [12, 18, 20, 9]) + "\n"
                }
            }
            // What the last restore left alone, so nobody takes a held outlet for forgotten.
            for item in d.restore?.items ?? [] where !["move", "already-there"].contains(item.action) {
                out += "  restore 恢复: \(item.text)\n"
            }
            if d.escalated {
                for e in d.escalations { out += "  PARK ESCALATION 上报园区: \(e)\n" }
            }
            for b in d.bypasses {
                out += "  BYPASSED 旁路: interlock \(b.interlock) until \(b.until.formatted(clock))"
                out += " by \(b.by): \(b.reason)\n"
            }
            if let drill = d.activeDrill { out += "  drill under way: \(drill)\n" }
        }
        if !s.alarms.isEmpty {
            out += "\nAlarms 报警 (\(s.alarmRate) in the last 10 min\(s.alarmRate > 10 ? ", FLOOD" : ""))\n"
            for a in s.alarms.prefix(12) {
                let state = a.state + (a.firstOut ? " FIRST-OUT" : "")
                out +=
                    row([a.priority.uppercased(), state, a.id, said(a.text, a.message)], widths: [10, 26, 34]) + "\n"
                if let next = a.nextAction { out += "    → \(said(next, ""))\n" }
            }
            if s.alarms.count > 12 { out += "  … \(s.alarms.count - 12) more: leveectl alarms\n" }
        }
        if let links = s.links { out += linksSection(links, now: s.generatedAt, zone: zone) }
        if let park = s.park { out += parkSection(park, now: s.generatedAt, zone: zone) }
        if let dcs = s.dcs { out += dcsSection(dcs, now: s.generatedAt, zone: zone) }
        for line in lines {
            let devices = s.devices.filter { $0.line == line }
            guard !devices.isEmpty else { continue }
            out += "\n\(lineNames[line] ?? line)\n"
            let pointWidths = width.map(Self.pointWidths(for:)) ?? Self.pointWidths
            let deviceWidths = width.map(Self.deviceWidths(for:)) ?? Self.deviceWidths
            let cut = width != nil
            if allPoints {
                out += row(["DEVICE", "NAME", "POINT", "VALUE", "QUALITY", "READ AT"], widths: pointWidths) + "\n"
                for d in devices {
                    for (i, p) in d.points.enumerated() {
                        let read = p.readAt.map { $0.formatted(clock) } ?? "never"
                        out +=
                            row(
                                [i == 0 ? d.id : "", i == 0 ? d.name : "", p.name, value(p), quality(p.quality), read],
                                widths: pointWidths, cut: cut) + "\n"
                    }
                    if !d.answering, let e = d.lastError { out += "    ! \(e)\n" }
                }
            } else {
                out += row(["DEVICE", "NAME", "READING", "QUALITY", "READ AT"], widths: deviceWidths) + "\n"
                for d in devices {
                    // The worst quality of the device's points, and the oldest read time: never flatter a device.
                    let worst = d.points.map(\.quality).max { rank($0) < rank($1) } ?? "initial"
                    let oldest = d.points.compactMap(\.readAt).min()
                    out +=
                        row(
                            [d.id, d.name, headline(d), quality(worst), oldest.map { $0.formatted(clock) } ?? "never"],
                            widths: deviceWidths, cut: cut) + "\n"
                    if !d.answering, let e = d.lastError { out += "    ! \(e)\n" }
                    if cut, let v = d.valve, displayWidth(headline(d)) >= deviceWidths[2] {
                        for fault in [v.movementFault, v.faultBit == true ? "ACTUATOR FAULT" : nil].compactMap({ $0 }) {
                            out += "    ! \(fault)\n"
                        }
                    }
                }
            }
        }
        return out
    }

    /// `16:25:51` in the site's zone: 24-hour whatever the locale (a 12-hour clock without AM/PM would be ambiguous).
    static func clockStyle(_ zone: TimeZone) -> Date.ISO8601FormatStyle {
        Date.ISO8601FormatStyle(timeZone: zone).time(includingFractionalSeconds: false)
    }

    /// What a control-room operator looks at first for each kind of device.
    static func headline(_ d: DeviceStatus) -> String {
        func p(_ name: String) -> PointStatus? { d.points.first { $0.name == name } }
        func show(_ names: [String]) -> String {
            names.compactMap { n in p(n).map { "\(n == "concentration" || n == "level" ? "" : n + " ")\(value($0))" } }
                .joined(separator: "  ")
        }
        if let v = d.valve {
            let position = ["open", "closed"].contains(v.position) ? v.position : v.position.uppercased()
            var text = "\(position), \(v.mode == "remote" ? "remote" : v.mode.uppercased() + " MODE")"
            if let pct = p("position")?.value { text += String(format: " (%.0f %%)", pct) }
            if let pending = v.pending { text += ", moving to \(pending)" }
            if let stroke = v.lastStrokeSeconds { text += String(format: ", last stroke %.1f s", stroke) }
            if let fault = v.movementFault { text += ", \(fault)" }
            if v.faultBit == true { text += ", ACTUATOR FAULT" }
            return text
        }
        switch d.kind {
        case "gas":
            return show(["concentration"])
                + (p("alarm2")?.value == 1 ? "  ALARM 2" : p("alarm1")?.value == 1 ? "  ALARM 1" : "")
        case "level":
            guard let pool = d.pool else { return show(["level"]) }
            var text = show(["level"]) + String(format: "  %.0f m³", pool.volume)
            if let capacity = pool.capacity { text += String(format: " of %.0f", capacity) }
            if let rate = pool.fillRate, abs(rate) >= 0.5 {
                text += String(format: ", %@ %.0f m³/h", rate > 0 ? "filling" : "emptying", abs(rate))
            }
            if let until = pool.secondsUntilFull {
                text += until < 86400 * 2 ? ", full in \(Int(until / 3600)) h \(Int(until) % 3600 / 60) min" : ""
            }
            return text
        case "dust": return show(["concentration", "pressure_diff", "hopper_temp"])
        case "water-quality": return show(["ph", "cod", "conductivity"])
        case "pump": return p("running")?.value == 1 ? "running" : p("running")?.value == 0 ? "stopped" : "?"
        case "digital-input": return p("state")?.value == 1 ? "ACTIVE" : p("state")?.value == 0 ? "normal" : "?"
        case "digital-output": return p("state")?.value == 1 ? "on" : p("state")?.value == 0 ? "off" : "?"
        default: return show(d.points.map(\.name))
        }
    }

    static func value(_ p: PointStatus) -> String {
        p.value.map { format($0) + (p.unit.isEmpty ? "" : " \(p.unit)") } ?? "—"
    }

    /// Anything but good is shouted, so a stale or comm-failed value never passes for a current one.
    static func quality(_ q: String) -> String { q == "good" ? "good" : "*\(q.uppercased())*" }

    static func rank(_ q: String) -> Int {
        ["good": 0, "stale": 1, "out-of-range": 2, "initial": 3, "bad-config": 4, "comm-fail": 5][q] ?? 5
    }

    static func format(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e9 { return String(Int(v)) }
        return String(format: abs(v) >= 100 ? "%.1f" : "%.2f", v)
    }

    static let pointWidths = [18, 22, 15, 16, 16, 10]
    static let deviceWidths = [18, 22, 56, 16, 10]

    /// The device table on a terminal `width` columns wide: the reading column takes what the others leave
    /// (quality 15 columns, wide enough for `*OUT-OF-RANGE*`; the read time 10).
    static func deviceWidths(for width: Int) -> [Int] {
        [18, 22, max(12, min(56, width - 18 - 22 - 15 - 10)), 15, 10]
    }

    /// The point table on a terminal `width` columns wide: the device's name column gives way.
    static func pointWidths(for width: Int) -> [Int] {
        [18, max(8, min(22, width - 18 - 14 - 13 - 15 - 10)), 14, 13, 15, 10]
    }

    /// Pads by display width: a Chinese character takes two terminal columns. With `cut`, a cell longer than its
    /// column is cut (with `…`) rather than pushing the columns after it to the right.
    static func row(_ cells: [String], widths: [Int], cut: Bool = false) -> String {
        zip(cells, widths + [0]).map { cell, width in
            let cell = cut && width > 1 ? fit(cell, width: width - 1) : cell
            let w = displayWidth(cell)
            return width == 0 || w >= width ? cell + " " : cell + String(repeating: " ", count: width - w)
        }.joined()
    }

    static func displayWidth(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { n, c in
            let v = c.value
            let wide =
                (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
                || (0xFFE0...0xFFE6).contains(v)
            return n + (wide ? 2 : 1)
        }
    }

    /// The watch view on a terminal of `width` columns and `height` rows: the header pinned on top, then as much
    /// of the body as fits, every line cut to the width (a wrapped line would push the header off the screen).
    /// A body too long for the screen ends with a line saying how many lines are hidden. At most `height` lines,
    /// for the caller to write without a final newline, so the terminal never scrolls.
    static func screen(_ s: SiteStatus, width: Int, height: Int, allPoints: Bool = false) -> [String] {
        let width = max(width, 20)
        let height = max(height, 4)
        func lines(_ text: String) -> [String] {
            var l = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if l.last == "" { l.removeLast() }
            // Trailing padding is not content: it must not make a line look cut.
            return l.map { line in
                var line = Substring(line)
                while line.last == " " { line.removeLast() }
                return fit(String(line), width: width)
            }
        }
        let header = lines(header(s))
        var body = lines(body(s, allPoints: allPoints, width: width))
        let room = height - header.count
        if body.count > room {
            let hidden = body.count - room + 1
            body =
                Array(body.prefix(room - 1))
                + [fit("… \(hidden) more lines: a taller terminal, or leveectl status", width: width)]
        }
        return Array((header + body).prefix(height))
    }

    /// `line` cut to `width` terminal columns, with `…` where it was cut.
    static func fit(_ line: String, width: Int) -> String {
        guard displayWidth(line) > width else { return line }
        var out = ""
        var used = 0
        for c in line {
            let w = displayWidth(String(c))
            if used + w > width - 1 { break }
            out.append(c)
            used += w
        }
        return out + "…"
    }
}

/// The terminal `watch` draws on.
enum Terminal {
    /// Whether standard output is a terminal: then `watch` redraws one screen in place; otherwise it writes each
    /// publication as plain lines, for a log or a pipe.
    static var isTTY: Bool { isatty(STDOUT_FILENO) == 1 }

    /// Columns and rows: the terminal's own (TIOCGWINSZ), else $COLUMNS and $LINES, else 80×24.
    static func size() -> (width: Int, height: Int) {
        var ws = winsize()
        let asked = ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &ws) == 0
        let env = ProcessInfo.processInfo.environment
        func variable(_ name: String) -> Int? { env[name].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil } }
        let width = asked && ws.ws_col > 0 ? Int(ws.ws_col) : variable("COLUMNS") ?? 80
        let height = asked && ws.ws_row > 0 ? Int(ws.ws_row) : variable("LINES") ?? 24
        return (width, height)
    }

    /// Draws one publication: on a terminal, home, each line with the rest of its row cleared, and the rest of the
    /// screen cleared (no flicker, no scrolling); elsewhere the full view as plain lines and a blank line.
    static func draw(_ status: SiteStatus?, error: String? = nil, allPoints: Bool) {
        let text: String
        if isTTY {
            let (width, height) = size()
            let lines =
                status.map { StatusView.screen($0, width: width, height: height, allPoints: allPoints) }
                ?? (error ?? "").split(separator: "\n").map { StatusView.fit(String($0), width: width) }
            text = "\u{1B}[H" + lines.map { $0 + "\u{1B}[K" }.joined(separator: "\n") + "\u{1B}[J"
        } else {
            text = (status.map { StatusView.render($0, allPoints: allPoints) } ?? error ?? "") + "\n"
        }
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// `leveectl watch`: the live terminal view, the same as `status --watch`.
struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A live terminal view of the plant until Ctrl-C (the same as status --watch).")
    @OptionGroup var location: DaemonLocation
    @Flag(name: .long, help: "Every point of every device.") var points = false
    @Option(name: .long, help: "Seconds between redraws.") var interval: Double = 1

    func run() throws {
        var arguments = ["--watch", "--interval", "\(interval)"]
        if points { arguments.append("--points") }
        if let config = location.config { arguments += ["--config", config] }
        if let socket = location.socket { arguments += ["--socket", socket] }
        if let url = location.url { arguments += ["--url", url] }
        if let tokenFile = location.tokenFile { arguments += ["--token-file", tokenFile] }
        let status = try Status.parse(arguments)
        try status.run()
    }
}

import ControlAPI
import Foundation
import Testing

@testable import leveectl

/// `leveectl watch` on 80- and 100-column terminals: lines are cut, never wrapped, and the header stays on top.
struct WatchScreenTests {
    static let t0 = Date(timeIntervalSince1970: 1_795_000_000)

    /// A latched plant with long alarm texts, a fault message and twenty detectors: more than a 24-row screen holds,
    /// and lines longer than 100 columns.
    static func status() -> SiteStatus {
        var devices: [DeviceStatus] = (1...20).map { i in
            DeviceStatus(
                id: "gas-a\(i)", name: "罐区A可燃气体探测器\(i)号", kind: "gas", line: "risk-unit", bus: "plc",
                answering: i != 7,
                lastError: i == 7 ? "no answer from unit 7 on plc after 3 tries (timeout 300 ms)" : nil,
                points: [
                    PointStatus(
                        name: "concentration", value: i == 7 ? nil : 12.5, unit: "%LEL",
                        quality: i == 7 ? "comm-fail" : "good", readAt: t0)
                ],
                valve: nil)
        }
        devices.append(
            DeviceStatus(
                id: "rain-outlet-1", name: "1号雨水排口阀", kind: "valve", line: "boundary", bus: "plc",
                answering: true, lastError: nil,
                points: [PointStatus(name: "position", value: 40, unit: "%", quality: "good", readAt: t0)],
                valve: ValveSummary(
                    position: "moving", mode: "remote", faultBit: true, pending: "closed",
                    movementFault: "failed to close: no closed limit after 90 s", lastStrokeSeconds: 41.2)))
        var s = SiteStatus(
            site: "plant-a", siteName: "测试化工厂", timeZone: "Asia/Shanghai", generatedAt: t0,
            summary: "SHUTOFF LATCHED; 20/21 devices answering; down: gas-a7", devices: devices,
            historian: HistorianSummary(
                healthy: true, path: "/var/lib/levee/levee.db", lastError: nil, bufferedReadings: 0, droppedReadings: 0)
        )
        s.defence = DefenceSummary(
            latched: true, drill: false, plan: "plant-wide",
            trips: ["levee from gas-a1.concentration: condition concentration > 25 %LEL held 2 s (value 31.5 %LEL)"],
            steps: [
                DefenceStepSummary(
                    id: "close-rain-outlet-1", device: "rain-outlet-1", operation: "close-valve", phase: "failed",
                    attempts: 3, seconds: nil, failedReason: "no closed limit after 90 s; send someone with the key")
            ],
            escalations: [])
        s.alarms = [
            AlarmEntry(
                id: "gas-a1.concentration.hh", point: "gas-a1.concentration", priority: "critical",
                state: "unacked-active", conditionActive: true, value: 31.5,
                message: "罐区A可燃气体探测器1号 concentration very high: 31.5 %LEL above the HH limit of 25 %LEL",
                group: nil, firstOut: true, since: t0, shelvedUntil: nil, user: nil, reason: nil)
        ]
        s.alarmRate = 1
        return s
    }

    /// A line without its trailing padding.
    static func trimmed(_ line: Substring) -> String {
        var line = line
        while line.last == " " { line.removeLast() }
        return String(line)
    }

    @Test(arguments: [80, 100])
    func everyLineFitsTheWidthAndTheHeaderIsPinnedOnTop(width: Int) {
        let s = Self.status()
        let full = StatusView.render(s).split(separator: "\n").map(String.init)
        // The view is wider and taller than the terminal: the test would prove nothing otherwise.
        #expect(full.contains { StatusView.displayWidth($0) > width })
        #expect(full.count > 24)

        let screen = StatusView.screen(s, width: width, height: 24)
        #expect(screen.count == 24)
        for line in screen {
            #expect(StatusView.displayWidth(line) <= width, "\(StatusView.displayWidth(line)) columns: \(line)")
        }
        #expect(screen[0].hasPrefix("测试化工厂 (plant-a)"))
        #expect(screen[1] == "SHUTOFF LATCHED; 20/21 devices answering; down: gas-a7")
        #expect(screen.last?.hasPrefix("… ") == true && screen.last?.contains("more lines") == true)
        // A cut line ends with an ellipsis and keeps its start; a short one is unchanged.
        let trip = try? #require(screen.first { $0.hasPrefix("  trip: levee from gas-a1.concentration") })
        #expect(trip?.hasSuffix("…") == true)
        #expect(screen.contains("Shutoff 一键关断: LATCHED — plan plant-wide"))
    }

    /// Quality and read time say whether a value can be trusted: at 80 columns they show on every device row,
    /// and a valve's fault hidden by its cut reading gets a line of its own.
    @Test(arguments: [80, 100])
    func qualityAndReadTimeAlwaysShowAndAValvesFaultIsNotCutAway(width: Int) {
        let body = StatusView.body(Self.status(), width: width).split(separator: "\n")
            .map(Self.trimmed)
        let rows = body.filter { $0.hasPrefix("gas-a") || $0.hasPrefix("rain-outlet-1") }
        #expect(rows.count == 21)
        for row in rows {
            #expect(StatusView.displayWidth(row) <= width, "\(row)")
            #expect(row.hasSuffix(" 19:06:40"), "no read time: \(row)")
        }
        let dead = try? #require(rows.first { $0.hasPrefix("gas-a7 ") })
        #expect(dead?.contains("*COMM-FAIL*") == true, "\(dead ?? "")")
        let valve = try? #require(body.firstIndex { $0.hasPrefix("rain-outlet-1") })
        let after = valve.map { body[($0 + 1)...].prefix(2).joined(separator: "\n") } ?? ""
        #expect(after.contains("! failed to close: no closed limit after 90 s"), "\(body.joined(separator: "\n"))")
        #expect(after.contains("! ACTUATOR FAULT"))
        // Every point too.
        for row in StatusView.body(Self.status(), allPoints: true, width: width).split(separator: "\n")
        where row.hasPrefix("gas-a") {
            #expect(StatusView.displayWidth(String(row)) <= width, "\(row)")
            #expect(row.contains(" good ") || row.contains("*COMM-FAIL*"), "\(row)")
        }
    }

    @Test func theWiderTerminalShowsMoreOfEachLine() {
        let s = Self.status()
        let narrow = StatusView.screen(s, width: 80, height: 24)
        let wide = StatusView.screen(s, width: 100, height: 24)
        let alarm80 = try? #require(narrow.first { $0.hasPrefix("CRITICAL") })
        let alarm100 = try? #require(wide.first { $0.hasPrefix("CRITICAL") })
        // Cut at the width, or a column short where a two-column character would not fit.
        #expect((79...80).contains(StatusView.displayWidth(alarm80 ?? "")))
        #expect((99...100).contains(StatusView.displayWidth(alarm100 ?? "")))
        #expect(alarm100?.hasPrefix(String((alarm80 ?? "").dropLast())) == true)
    }

    @Test func aViewThatFitsIsShownWhole() {
        var s = Self.status()
        s.devices = Array(s.devices.prefix(2))
        s.alarms = []
        let text = StatusView.header(s) + StatusView.body(s, width: 200)
        let full = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            .map(Self.trimmed)
        let screen = StatusView.screen(s, width: 200, height: 60)
        #expect(screen == full)
    }

    @Test func wideCharactersCountTwoColumnsWhenCut() {
        let cut = StatusView.fit("罐区A可燃气体探测器", width: 10)
        #expect(cut == "罐区A可燃…")
        #expect(StatusView.displayWidth(cut) == 10)
        #expect(StatusView.fit("short", width: 10) == "short")
        #expect(StatusView.fit("exactly 10", width: 10) == "exactly 10")
        #expect(StatusView.fit("eleven cols", width: 10) == "eleven co…")
    }
}

import ControlAPI
import Foundation
import PlantSim
import Testing

/// Issue 14: reasons people type reach status and drill reports escaped as the journal stores them. A
/// right-to-left override would make a reason read otherwise than it was typed, and a newline could forge a
/// second line in `leveectl status`.
@Suite(.serialized)
struct UserTextDaemonTests {
    typealias H = DaemonHarness

    static let hostile = "spill\u{202E}A mraf knat\nSHUTOFF RESET"
    static let escaped = #"spill\u{202E}A mraf knat\u{000A}SHUTOFF RESET"#

    func start() async throws -> H {
        let h = try H(scenario: DefencePlant.scenario)
        try h.write(config: DefencePlant.config(port: h.plant.tcpPort(server: "plc")!, directory: h.directory))
        try h.start()
        #expect(await H.wait { try h.status()?.summary.hasPrefix("8/8 devices answering") == true }, "\(h.log)")
        return h
    }

    static func clean(_ text: String) -> Bool {
        !text.unicodeScalars.contains { $0.value == 0x202E || $0.value == 0x0A }
    }

    @Test func aTripReasonAndAShelveReasonAreEscapedInStatus() async throws {
        let h = try await start()
        defer { h.stop() }
        try h.plant.setValue(30, device: "gas-a1", signal: "value")
        let alarm = "gas-a1.concentration.H"
        #expect(await H.wait { try h.alarm(alarm) != nil }, "\(h.log)")
        let shelved = try h.request(.shelve(alarm: alarm, reason: Self.hostile, seconds: 600))
        #expect(shelved.ok, "\(shelved)")
        let entry = try #require(try h.alarm(alarm))
        #expect(entry.reason == Self.escaped)

        #expect(try h.request(.shutoff(plan: nil, reason: Self.hostile)).ok)
        let defence = try #require(try h.status()?.defence)
        let trip = try #require(defence.trips.first)
        #expect(trip.contains(Self.escaped) && Self.clean(trip), "\(trip)")
        let (code, text) = try await h.leveectl(["status"])
        #expect(code == 0)
        #expect(text.contains(Self.escaped), "\(text)")
        #expect(!text.contains("\u{202E}"))
    }

    @Test func aDrillReportKeepsItsReasonEscaped() async throws {
        let h = try await start()
        defer { h.stop() }
        let started = try h.request(
            .drillStart(plan: "plant-wide", live: true, reason: Self.hostile))
        #expect(started.ok, "\(started)")
        #expect(await H.wait { try h.request(.drills).drills?.isEmpty == false }, "\(h.log)")
        let json = try #require(try h.request(.drillReport(drill: nil, format: "json")).report)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(report["reason"] as? String == Self.escaped)
        let timeline = try #require(report["timeline"] as? [[String: Any]])
        #expect(timeline.compactMap { $0["text"] as? String }.allSatisfy(Self.clean))
        #expect(timeline.contains { ($0["text"] as? String)?.contains(Self.escaped) == true })
        let markdown = try #require(try h.request(.drillReport(drill: nil, format: "md")).report)
        #expect(!markdown.contains("\u{202E}"))
    }
}

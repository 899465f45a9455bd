import ControlAPI
import Foundation
import Historian
import PlantSim
import Testing

/// One ledger per command, in the real daemon: an interlock's trip, an operator's plant-wide trip on top of it and
/// the operator's restore each leave command rows naming their own initiator, reason and action id, the id also in
/// the details of their event row; first flush's commands name it. Read back from the historian's commands and
/// events tables.
///
/// The other initiators have their ledger rows read back where their path is set up: an HTTP token's user and
/// address in `HTTPDaemonTests`, a park command's park, user and id in `MQTTDaemonTests`, and Levee re-asserting
/// steps after a kill -9 (and re-closing a hand-opened outlet) in `ShiftStoryDaemonTests`.
@Suite(.serialized)
struct LedgerDaemonTests {
    typealias H = DaemonHarness

    func defence(_ h: H) throws -> DefenceSummary? { try h.status()?.defence }

    @Test func eachCommandRowNamesTheActionThatCausedIt() async throws {
        let h = try H(scenario: DefencePlant.scenario)
        defer { h.stop() }
        try h.write(
            config: DefencePlant.config(
                port: h.plant.tcpPort(server: "plc")!, directory: h.directory, extra: DefencePlant.gasInterlock))
        try h.start()
        #expect(await H.wait(40) { try h.status()?.summary.hasPrefix("8/8 devices answering") == true }, "\(h.log)")

        // The interlock trips unit A's plan; the operator then trips the plant-wide plan on top of it.
        try h.plant.setValue(62, device: "gas-a1", signal: "value")
        #expect(await H.wait { try defence(h)?.latched == true }, "\(h.log)")
        #expect(try h.request(.shutoff(plan: nil, reason: "operator: whole plant")).ok)
        #expect(
            await H.wait(30) { try defence(h)?.steps.allSatisfy { $0.phase == "confirmed" } == true }, "\(h.log)")
        try h.plant.setValue(0, device: "gas-a1", signal: "value")
        #expect(await H.wait { try h.request(.reset(reason: "gas cleared", override: false)).ok }, "\(h.log)")
        #expect(try h.request(.restore(reason: "back to normal", dryRun: false, open: [])).ok)
        #expect(await H.wait { h.plant.valve("valve-a-rain")?.openLimit == true }, "\(h.log)")
        #expect(
            await H.wait(30) { try defence(h)?.steps.allSatisfy { $0.phase == "confirmed" } == true }, "\(h.log)")

        h.signal(SIGTERM)
        #expect(await h.waitForExit(15) == 0, "\(h.log)")
        let commands = try await h.commands().filter { $0.source.contains("shutoff step") }
        let events = try await h.journal()
        func action(ofEvent kind: String, containing text: String) throws -> String {
            let event = try #require(events.first { $0.kind == kind && $0.message.contains(text) }, "\(events)")
            let details = try #require(event.details?.data(using: .utf8))
            let json = try #require(try JSONSerialization.jsonObject(with: details) as? [String: String])
            return try #require(json["action"])
        }

        // The interlock's own command, under its own name and condition.
        let interlockRow = try #require(commands.first { $0.device == "valve-a-rain" && $0.command == "close" })
        #expect(interlockRow.user == "interlock gas-a-level2", "\(interlockRow)")
        #expect(interlockRow.source.contains("gas-a1.concentration"), "\(interlockRow)")
        let interlockAction = try action(ofEvent: "trip", containing: "tripped plan group:unit-a")
        #expect(interlockRow.source.contains("action \(interlockAction)"), "\(interlockRow)")

        // The operator's later trip: its own user, socket, reason and action id, not the interlock's.
        let operatorRow = try #require(commands.first { $0.device == "rain-outlet-1" && $0.command == "close" })
        #expect(operatorRow.reason == "operator: whole plant", "\(operatorRow)")
        #expect(operatorRow.source.contains("control socket (pid"), "\(operatorRow)")
        #expect(operatorRow.user != "interlock gas-a-level2")
        let operatorAction = try action(ofEvent: "trip", containing: "plan plant-wide added")
        #expect(operatorRow.source.contains("action \(operatorAction)"), "\(operatorRow)")

        // The restore: its own reason, a step name that says what it does, its own action id.
        let restoreRow = try #require(commands.first { $0.device == "valve-a-rain" && $0.command == "open" })
        #expect(restoreRow.reason == "restore: back to normal", "\(restoreRow)")
        #expect(restoreRow.source.contains("shutoff step restore-open-valve-a-rain"), "\(restoreRow)")
        #expect(restoreRow.user == operatorRow.user)
        let restoreAction = try action(ofEvent: "restore", containing: "started by")
        #expect(restoreRow.source.contains("action \(restoreAction)"), "\(restoreRow)")

        // One name for the daemon itself, and no row claims a restart that did not happen.
        #expect(!commands.contains { $0.user == "levee" })
        #expect(!commands.contains { $0.reason.contains("re-asserted after restart") })
    }

    /// First flush closing the outlet when rain starts: its rows name the daemon's one user, first flush as the
    /// source and its own reason.
    @Test func firstFlushNamesItselfInTheLedger() async throws {
        let h = try H(scenario: RestoreDaemonTests.scenario)
        defer { h.stop() }
        try h.write(
            config: DefencePlant.config(
                port: h.plant.tcpPort(server: "plc")!, directory: h.directory, extra: RestoreDaemonTests.extra))
        try h.start()
        #expect(await H.wait(40) { try h.status()?.summary.hasPrefix("9/9 devices answering") == true }, "\(h.log)")
        try h.plant.setLineLevel(line: 1, level: 1)
        #expect(await H.wait { h.plant.valve("rain-outlet-1")?.closedLimit == true }, "\(h.log)")
        h.signal(SIGTERM)
        #expect(await h.waitForExit(15) == 0, "\(h.log)")
        let rows = try await h.commands().filter { $0.device == "rain-outlet-1" && $0.command == "close" }
        #expect(!rows.isEmpty, "\(rows)")
        for row in rows {
            #expect(row.user == "leveed", "\(row)")
            #expect(row.source == "first flush", "\(row)")
            #expect(row.reason.hasPrefix("first flush: rain started"), "\(row)")
            #expect(!row.drill)
        }
    }
}

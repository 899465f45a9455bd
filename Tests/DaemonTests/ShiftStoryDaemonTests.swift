import ControlAPI
import Foundation
import Historian
import LeveeTestSupport
import PlantSim
import Testing

/// Issue 15: a shift as a plant runs it, end to end, with the real leveed against the simulated plant (the
/// `levee-sim` engine, driven as its `ctl` would: a hand at the valve, rain, a COD reading). Results are read only
/// through leveectl (its text and `--json`) and, after the daemon stops, the historian's events and ledger.
///
/// Trip (and a kill -9 before the valves got there), a hand opening the outlet while latched, a second kill -9,
/// reset, restore while it rains with the outlet's COD high (the outlet held, with the reason), and a drill whose
/// report still has its strokes after its reset and restore. Every initiator the shift used has its ledger rows.
@Suite(.serialized)
struct ShiftStoryDaemonTests {
    typealias H = DaemonHarness

    /// Runs leveectl against the daemon; the test fails on a non-zero exit.
    @discardableResult
    func ctl(_ h: H, _ arguments: [String]) async throws -> String {
        let (code, text) = try await h.leveectl(arguments)
        #expect(code == 0, "leveectl \(arguments.joined(separator: " ")): \(text)")
        return text
    }

    /// `leveectl status --json`, decoded; nil while the daemon does not answer.
    func status(_ h: H) throws -> SiteStatus? {
        let (code, text) = try h.leveectl(["status", "--json"])
        guard code == 0 else { return nil }
        return try JSONDecoder.control.decode(SiteStatus.self, from: Data(text.utf8))
    }

    /// `status(h)` off the cooperative pool, for a test's body (the blocking form is for `H.wait`'s conditions).
    func status(_ h: H) async throws -> SiteStatus? {
        try await OffPool.run { try status(h) }
    }

    func defence(_ h: H) throws -> DefenceSummary? { try status(h)?.defence }

    func allConfirmed(_ h: H) throws -> Bool {
        guard let d = try defence(h), !d.steps.isEmpty else { return false }
        return d.steps.allSatisfy { $0.phase == "confirmed" }
    }

    @Test func aShift() async throws {
        let h = try H(scenario: RestoreDaemonTests.scenario)
        defer { h.stop() }
        try h.write(
            config: DefencePlant.config(
                port: h.plant.tcpPort(server: "plc")!, directory: h.directory, extra: RestoreDaemonTests.extra))
        try h.start()
        #expect(await H.wait(40) { try status(h)?.summary.hasPrefix("9/9 devices answering") == true }, "\(h.log)")

        // The normal line-up: the pool inlet open.
        try await ctl(h, ["valve", "open", "pool-inlet", "--reason", "班前：应急池进水阀恢复常开"])
        #expect(
            await H.wait {
                try status(h)?.devices.first { $0.id == "pool-inlet" }?.valve?.position == "open"
            })

        // 1. The night shift trips the plant; leveed dies (kill -9) before the valves have got there.
        // The trip and the kill run on one thread, one right after the other: a turn of the cooperative pool
        // between them can take seconds on a loaded machine.
        let (tripCode, tripText) = try await OffPool.run {
            let answer = try h.leveectl(["shutoff", "--reason", "夜班测试：全厂一键关断"])
            h.signal(SIGKILL)
            return answer
        }
        #expect(tripCode == 0, "\(tripText)")
        await h.killDaemon()
        try h.start()
        #expect(await H.wait(40) { try defence(h)?.latched == true }, "\(h.log)")
        #expect(await H.wait(30) { try allConfirmed(h) }, "\(h.log)")
        #expect(try defence(h)?.plan == "plant-wide")
        #expect(try await ctl(h, ["status"]).contains("LATCHED — plan plant-wide"))
        // A stroke that began before the kill is not timed from the restart: a step's time and a valve's last
        // stroke are either absent or a whole stroke, never less than the simulator's stroke time.
        let afterRestart = try #require(try await status(h))
        // (The pool inlet was already open: its step is confirmed at once, no stroke.)
        for step in afterRestart.defence?.steps ?? [] where step.device != "pool-inlet" {
            guard let seconds = step.seconds, let stroke = DefencePlant.strokes[step.device] else { continue }
            #expect(seconds >= stroke * 0.8, "\(step.device): step time \(seconds) s, stroke \(stroke) s")
        }
        for device in afterRestart.devices {
            guard let seconds = device.valve?.lastStrokeSeconds, let stroke = DefencePlant.strokes[device.id] else {
                continue
            }
            #expect(seconds >= stroke * 0.8, "\(device.id): last stroke \(seconds) s, stroke \(stroke) s")
        }

        // 2. Someone drives the outlet open at its push-buttons (actuator in remote): re-closed and alarmed.
        try h.plant.setValue(100, device: "rain-outlet-1", signal: "position")
        #expect(
            await H.wait {
                try status(h)?.alarms.contains { $0.id == "rain-outlet-1.moved-while-shut-off" } == true
            }, "\(h.log)")
        let moved = try #require(try await status(h)?.alarms.first { $0.id == "rain-outlet-1.moved-while-shut-off" })
        #expect(moved.priority == "critical")
        #expect(await H.wait(30) { try allConfirmed(h) }, "\(h.log)")
        #expect(
            await H.wait {
                try status(h)?.devices.first { $0.id == "rain-outlet-1" }?.valve?.position == "closed"
            })

        // 3. Another kill -9: back latched, on the same plan, everything still confirmed closed.
        await h.killDaemon()
        try h.start()
        #expect(await H.wait(40) { try defence(h)?.latched == true && allConfirmed(h) }, "\(h.log)")
        #expect(try defence(h)?.plan == "plant-wide")

        // 4. It starts raining and the outlet's COD goes over its limit; the shift resets and restores.
        try h.plant.setLineLevel(line: 1, level: 1)
        try h.plant.setValue(140, device: "wq-outlet-1", signal: "cod")
        #expect(
            await H.wait { try status(h)?.alarms.contains { $0.id == "wq-outlet-1.cod.H" } == true }, "\(h.log)")
        try await ctl(h, ["reset", "--reason", "泄漏已控制"])
        #expect(try defence(h)?.latched == false)
        let preview = try await ctl(h, ["restore", "--dry-run"])
        #expect(preview.contains("rain-outlet-1  保持关闭 held closed: raining, wq-outlet-1.cod.H active"), "\(preview)")
        #expect(try defence(h)?.plan == "plant-wide", "a dry run starts nothing")
        try await ctl(h, ["restore", "--reason", "恢复正常排放"])
        #expect(
            await H.wait(30) {
                try status(h)?.devices.first { $0.id == "valve-a-rain" }?.valve?.position == "open"
            }, "\(h.log)")
        #expect(await H.wait(30) { try allConfirmed(h) }, "\(h.log)")
        #expect(try await status(h)?.devices.first { $0.id == "rain-outlet-1" }?.valve?.position == "closed")
        #expect(try await status(h)?.devices.first { $0.id == "pool-inlet" }?.valve?.position == "open")
        #expect(try await ctl(h, ["status"]).contains("held closed: raining, wq-outlet-1.cod.H active"))

        // 5. The rain passes and COD falls; a live drill, then its reset and restore.
        try h.plant.setLineLevel(line: 1, level: 0)
        try h.plant.setValue(25, device: "wq-outlet-1", signal: "cod")
        try await ctl(h, ["drill", "start", "plant-wide", "--live", "--reason", "季度演练"])
        #expect(await H.wait { try defence(h)?.drill == true && defence(h)?.latched == true }, "\(h.log)")
        #expect(await H.wait(30) { try allConfirmed(h) }, "\(h.log)")
        func strokes() throws -> [[String: Any]] {
            // Refused (exit 4) until the report is first stored.
            let (code, text) = try h.leveectl(["drill", "report", "--format", "json"])
            guard code == 0 else { return [] }
            let report = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            return report?["strokes"] as? [[String: Any]] ?? []
        }
        func measured() throws -> Set<String> {
            Set(try strokes().filter { $0["measuredSeconds"] is Double }.compactMap { $0["valve"] as? String })
        }
        // valve-a-rain, valve-b-rain close and the pool inlet stays open: two strokes measured at least.
        #expect(await H.wait { try measured().isSuperset(of: ["valve-a-rain", "valve-b-rain"]) }, "\(h.log)")
        let settled = try measured()
        try await ctl(h, ["reset", "--reason", "演练结束"])
        try await ctl(h, ["restore", "--reason", "演练结束，恢复"])
        #expect(await H.wait(30) { try defence(h)?.activeDrill == nil }, "\(h.log)")
        let final = try await ctl(h, ["drill", "report", "--format", "json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(final.utf8)) as? [String: Any])
        #expect(report["finishedAt"] != nil)
        #expect(try measured().isSuperset(of: settled), "the final report keeps the strokes: \(final)")
        #expect((report["restore"] as? [Any])?.isEmpty == false, "\(final)")
        let markdown = try await ctl(h, ["drill", "report"])
        #expect(!markdown.contains("Valve strokes 0"), "\(markdown)")

        // The historian, once the daemon has stopped: the events and the ledger (电子台账).
        h.signal(SIGTERM)
        #expect(await h.waitForExit(15) == 0, "\(h.log)")
        let events = try await h.journal()
        let commands = try await h.commands()
        // The operator's trip: the socket's Unix user, the reason as typed.
        let trip = commands.filter { $0.reason == "夜班测试：全厂一键关断" && $0.source.contains("shutoff step") }
        #expect(trip.allSatisfy { $0.source.contains("control socket (pid") }, "\(trip)")
        // Levee re-asserting the steps the first kill -9 cut short, under its one name. Which steps the kill cut
        // short is a race with the simulator's acknowledgements (leveed writes every step within milliseconds of
        // its reply), so the trip is in the ledger as the operator's steps, as leveed's re-assertions, or both.
        let reasserted = commands.filter { $0.reason.contains("re-asserted after restart") }
        #expect(!(trip.isEmpty && reasserted.isEmpty), "\(commands)")
        #expect(reasserted.allSatisfy { $0.user == "leveed" }, "\(commands)")
        #expect(reasserted.allSatisfy { $0.reason.contains("夜班测试：全厂一键关断") }, "\(reasserted)")
        // The hand-opened outlet closed again by the latch, saying why.
        let reclosed = commands.filter {
            $0.device == "rain-outlet-1" && $0.command == "close" && $0.reason.contains("moved while shut off")
        }
        #expect(!reclosed.isEmpty && reclosed.allSatisfy { $0.user == "leveed" }, "\(commands)")
        // The restore: the operator's reason; nothing sent to the held outlet.
        let restore = commands.filter { $0.reason == "restore: 恢复正常排放" }
        #expect(!restore.isEmpty && !restore.contains { $0.device == "rain-outlet-1" }, "\(restore)")
        #expect(!commands.contains { $0.user == "levee" })
        // Every command of the drill, its restore included, is drill; and every event between its start and end.
        let drillRows = commands.filter { $0.reason.contains("季度演练") || $0.reason.contains("演练结束") }
        #expect(!drillRows.isEmpty && drillRows.allSatisfy(\.drill), "\(drillRows)")
        let drillStart = try #require(events.first { $0.kind == "trip" && $0.message.contains("季度演练") })
        #expect(drillStart.drill)
        let drillStrokes = events.filter { $0.kind == "stroke" && $0.at >= drillStart.at }
        #expect(!drillStrokes.isEmpty && drillStrokes.allSatisfy(\.drill), "\(drillStrokes)")
        // The alarm the hand-opening raised is in the journal, not drill.
        #expect(
            events.contains { $0.kind == "alarm" && $0.source == "rain-outlet-1.moved-while-shut-off" && !$0.drill })
    }
}

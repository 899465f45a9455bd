import ControlAPI
import Foundation
import Messages
import PlantSim
import Testing

/// The three lines of defence in the real daemon against levee-sim: partial plans, the GPIO button, escalation,
/// manual action, reset rules, bypasses, drills, the readiness check and first flush. Positions are the
/// simulator's limit switches; times are the daemon's measurements against the simulator's stroke times.
@Suite(.serialized)
struct DefenceDaemonTests {
    typealias H = DaemonHarness

    func start(
        extra: String = "", configuredStrokes: [String: Double] = [:], before: (H) throws -> Void = { _ in }
    ) async throws -> H {
        let h = try H(scenario: DefencePlant.scenario)
        try before(h)
        try h.write(
            config: DefencePlant.config(
                port: h.plant.tcpPort(server: "plc")!, directory: h.directory, extra: extra,
                configuredStrokes: configuredStrokes))
        try h.start()
        #expect(await H.wait { try h.status()?.summary.hasPrefix("8/8 devices answering") == true }, "\(h.log)")
        return h
    }

    func defence(_ h: H) throws -> DefenceSummary? { try h.status()?.defence }

    func step(_ h: H, _ device: String) throws -> DefenceStepSummary? {
        try defence(h)?.steps.first { $0.device == device }
    }

    func writes(_ h: H, unit: UInt8) -> [WriteRecord] { h.plant.writeLog(server: "plc").filter { $0.unit == unit } }

    @Test func gasLevelTwoInUnitARunsPlanAOnly() async throws {
        let h = try await start(extra: DefencePlant.gasInterlock)
        defer { h.stop() }
        try h.plant.setValue(62, device: "gas-a1", signal: "value")
        #expect(await H.wait { try defence(h)?.latched == true }, "\(h.log)")
        #expect(try defence(h)?.plan == "group:unit-a")
        #expect(try defence(h)?.trips.first?.contains("gas-a-level2") == true)
        // The trip's words in the operator's language, from the catalogue.
        let trip = try defence(h)?.tripTexts?.first?.render(.zhCN)
        #expect(trip?.contains("联锁条件 gas-a-level2 在 gas-a1.concentration 上成立") == true, "\(String(describing: trip))")
        #expect(await H.wait { h.plant.valve("valve-a-rain")?.closedLimit == true })
        #expect(await H.wait { try step(h, "valve-a-rain")?.phase == "confirmed" })
        // Nothing outside unit A was commanded: unit B, the pool inlet and the outlet were not written to.
        try await Task.sleep(for: .milliseconds(500))
        #expect(try defence(h)?.steps.map(\.device) == ["valve-a-rain"])
        for unit: UInt8 in [3, 4, 5] { #expect(writes(h, unit: unit).isEmpty, "unit \(unit)") }
        #expect(h.plant.valve("valve-b-rain")?.openLimit == true)
        #expect(h.plant.valve("rain-outlet-1")?.openLimit == true)
    }

    @Test func theGPIOButtonRunsThePlantWidePlanAndEveryValveIsConfirmedWithinItsStroke() async throws {
        let h = try await start()
        defer { h.stop() }
        try h.plant.pressButton(line: 0)
        #expect(await H.wait { try defence(h)?.latched == true }, "\(h.log)")
        #expect(try defence(h)?.plan == "plant-wide")
        #expect(try defence(h)?.trips.first?.contains("button estop") == true)
        #expect(
            await H.wait {
                try defence(h)?.steps.count == 4 && defence(h)?.steps.allSatisfy { $0.phase == "confirmed" } == true
            }, "\(h.log)")
        for (valve, stroke) in DefencePlant.strokes {
            let state = try #require(h.plant.valve(valve))
            #expect(valve == "pool-inlet" ? state.openLimit : state.closedLimit, "\(valve)")
            let seconds = try #require(try step(h, valve)?.seconds)
            // Confirmed within the stroke time plus its margin (1.5×) and one poll.
            #expect(seconds >= stroke * 0.8 && seconds <= stroke * 1.5 + 0.3, "\(valve): \(seconds) s")
        }
        #expect(try defence(h)?.escalated == false)
    }

    @Test func aStuckBoundaryValveFailsToCloseAndEscalatesToThePark() async throws {
        let h = try await start { try $0.plant.inject(.stuck, device: "rain-outlet-1") }
        defer { h.stop() }
        #expect(try h.request(.shutoff(plan: nil, reason: "spill at unit A")).ok)
        // 2 s stroke × 1.5 margin, one retry: failed after about 6 s.
        #expect(await H.wait(15) { try step(h, "rain-outlet-1")?.phase == "failed" }, "\(h.log)")
        let failed = try #require(try step(h, "rain-outlet-1"))
        #expect(failed.failedReason?.contains("close rain-outlet-1 not confirmed after") == true, "\(failed)")
        #expect(failed.attempts == 2)
        #expect(try defence(h)?.escalated == true)
        #expect(try defence(h)?.escalations.first?.contains("boundary valve rain-outlet-1 failed to close") == true)
        #expect(try defence(h)?.escalationTexts?.first?.render(.zhCN) == "leveed 上报园区：边界阀门 rain-outlet-1 未能关闭")
        // The critical alarm says what to do now.
        #expect(
            await H.wait {
                try h.alarms().contains {
                    $0.nextAction?.render(.zhCN).contains("派人携带钥匙") == true && $0.id.hasPrefix("rain-outlet-1")
                }
            }, "\(h.log)")
        #expect(try h.status()?.summary.contains("ESCALATED TO PARK") == true)
        // The alarm follows the latch file and the journal entry: wait for it rather than race it.
        #expect(await H.wait { try h.alarm("park.escalated") != nil }, "\(h.log)")
        let alarm = try #require(try h.alarm("park.escalated"))
        #expect(alarm.priority == "critical")
        #expect(try h.alarm("close-rain-outlet-1.step-failed")?.priority == "critical")
        // The escalation output (the relay to the park) is on.
        #expect(await H.wait { h.plant.register(.coil, address: 7, device: "park-relay") == 1 })
        // The other valves still closed: one failure does not stop the rest.
        #expect(h.plant.valve("valve-a-rain")?.closedLimit == true)
    }

    @Test func aValveInLocalModeRaisesManualActionAndEscalates() async throws {
        let h = try await start { try $0.plant.inject(.local, device: "rain-outlet-1") }
        defer { h.stop() }
        #expect(await H.wait { try h.status()?.devices.first { $0.id == "rain-outlet-1" }?.valve?.mode == "local" })
        #expect(try h.request(.shutoff(plan: nil, reason: "spill")).ok)
        #expect(await H.wait { try step(h, "rain-outlet-1")?.phase == "manualActionNeeded" }, "\(h.log)")
        let alarm = try #require(try h.alarm("rain-outlet-1.manual-action"))
        #expect(alarm.priority == "critical")
        #expect(alarm.message.contains("东门1号排口井"), "\(alarm.message)")
        #expect(try defence(h)?.escalations.contains { $0.contains("rain-outlet-1 is in local mode") } == true)
        // Not commanded: a valve in local takes no remote command.
        #expect(writes(h, unit: 5).isEmpty)
        // Someone switches it back to remote: the sequencer closes it itself.
        try h.plant.clear(device: "rain-outlet-1")
        #expect(await H.wait { try step(h, "rain-outlet-1")?.phase == "confirmed" }, "\(h.log)")
        #expect(h.plant.valve("rain-outlet-1")?.closedLimit == true)
    }

    @Test func resetIsRefusedWhileAConditionIsActiveAndNeverReopens() async throws {
        let h = try await start(extra: DefencePlant.gasInterlock)
        defer { h.stop() }
        try h.plant.setValue(62, device: "gas-a1", signal: "value")
        #expect(await H.wait { try step(h, "valve-a-rain")?.phase == "confirmed" }, "\(h.log)")
        let refused = try h.request(.reset(reason: "gas cleared?", override: false))
        #expect(!refused.ok)
        #expect(refused.error?.contains("trip conditions still active: gas-a-level2") == true, "\(refused)")
        #expect(try defence(h)?.latched == true)
        // The button held down is a condition too.
        try h.plant.pressButton(line: 0)
        #expect(await H.wait { try defence(h)?.steps.count == 4 })
        try h.plant.setValue(0, device: "gas-a1", signal: "value")
        #expect(await H.wait { try defence(h)?.interlocks.first?.active == false }, "\(h.log)")
        let stillPressed = try h.request(.reset(reason: "gas cleared", override: false))
        #expect(stillPressed.error?.contains("button estop pressed") == true, "\(stillPressed)")
        try h.plant.releaseButton(line: 0)
        #expect(await H.wait { try h.request(.reset(reason: "gas cleared, button released", override: false)).ok })
        #expect(try defence(h)?.latched == false)
        try await Task.sleep(for: .seconds(1))
        #expect(h.plant.valve("valve-a-rain")?.closedLimit == true, "a reset reopens nothing")
        #expect(writes(h, unit: 2).allSatisfy { $0.address != 0 }, "no open command to valve-a-rain")
        // Restore is the deliberate reopening, each step confirmed.
        #expect(try h.request(.restore(reason: "all clear after inspection", dryRun: false, open: [])).ok)
        #expect(await H.wait { h.plant.valve("valve-a-rain")?.openLimit == true }, "\(h.log)")
        #expect(await H.wait { try defence(h)?.steps.allSatisfy { $0.phase == "confirmed" } == true })
        #expect(try defence(h)?.plan?.hasPrefix("restore:") == true)
    }

    @Test func aBypassHoldsOffTheInterlockUntilItExpiresAndNeverBlocksTheButton() async throws {
        let h = try await start(extra: DefencePlant.gasInterlock)
        defer { h.stop() }
        let noReason = try h.request(.bypass(interlock: "gas-a-level2", reason: "", seconds: nil))
        #expect(noReason.error == "bypass needs a reason")
        let bypass = try h.request(
            .bypass(interlock: "gas-a-level2", reason: "detector calibration", seconds: 3))
        #expect(bypass.ok, "\(bypass)")
        #expect(try defence(h)?.bypasses.first?.interlock == "gas-a-level2")
        #expect(try h.status()?.summary.contains("1 INTERLOCK BYPASSED") == true)
        try h.plant.setValue(62, device: "gas-a1", signal: "value")
        try await Task.sleep(for: .seconds(1))
        #expect(try defence(h)?.latched == false, "bypassed")
        // The bypass expires; the condition is still active, so it trips now.
        #expect(await H.wait(10) { try defence(h)?.latched == true }, "\(h.log)")
        #expect(try defence(h)?.bypasses.isEmpty == true)
        #expect(await H.wait { h.plant.valve("valve-a-rain")?.closedLimit == true })
    }

    @Test func aLiveDrillReportsStrokeTimesThatMatchTheSimulator() async throws {
        let h = try await start()
        defer { h.stop() }
        let refused = try h.request(.drillStart(plan: "plant-wide", live: false, reason: "annual drill"))
        // Worded for every client: the dashboard has no `--live` and no leveectl.
        #expect(refused.errorText?.id == .refusalDrillNotLive, "\(refused)")
        #expect(refused.error?.contains("leveectl") == false, "\(refused)")
        let started = try h.request(
            .drillStart(plan: "plant-wide", live: true, reason: "annual drill 2026"))
        #expect(started.ok, "\(started)")
        #expect(try defence(h)?.drill == true)
        #expect(try h.status()?.summary.hasPrefix("DRILL LATCHED") == true)
        #expect(await H.wait { try defence(h)?.steps.allSatisfy { $0.phase == "confirmed" } == true }, "\(h.log)")
        // The report is stored once every step has settled, and completed as each stroke's record comes in.
        #expect(await H.wait { try h.request(.drills).drills?.isEmpty == false })
        func reportText() throws -> String? { try h.request(.drillReport(drill: nil, format: "json")).report }
        #expect(
            await H.wait {
                let text = try reportText() ?? ""
                let report = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
                let strokes = report?["strokes"] as? [[String: Any]] ?? []
                return strokes.count == 4 && strokes.allSatisfy { $0["measuredSeconds"] is Double }
            })
        let json = try #require(try reportText())
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let strokes = try #require(report["strokes"] as? [[String: Any]])
        #expect(strokes.count == 4)
        for stroke in strokes {
            let valve = try #require(stroke["valve"] as? String)
            let measured = try #require(stroke["measuredSeconds"] as? Double, "\(valve)")
            let configured = try #require(DefencePlant.strokes[valve])
            // The tracker times from command to end limit at 100 ms polls.
            #expect(abs(measured - configured) <= 0.35, "\(valve): \(measured) s against \(configured) s")
        }
        // Reset and restore complete the drill, and the report says so.
        #expect(try h.request(.reset(reason: "drill over", override: false)).ok)
        #expect(try h.request(.restore(reason: "drill over", dryRun: false, open: [])).ok)
        #expect(await H.wait { try defence(h)?.activeDrill == nil }, "\(h.log)")
        #expect(h.plant.valve("rain-outlet-1")?.openLimit == true)
        #expect(h.plant.valve("pool-inlet")?.closedLimit == true)
        let html = try #require(try h.request(.drillReport(drill: nil, format: "html")).report)
        #expect(html.contains("rain-outlet-1") && html.contains("<html"))
        let md = try #require(try h.request(.drillReport(drill: nil, format: "md")).report)
        #expect(md.contains("restore") || md.contains("Restore"))
        let final = try #require(try h.request(.drills).drills?.first)
        #expect(final.finishedAt != nil)
        // The id is in the site's time (Asia/Shanghai), and the list says which zone.
        #expect(final.id.hasSuffix("+0800"), "\(final.id)")
        #expect(final.timeZone == "Asia/Shanghai")
        // Append-only: the final report still has every stroke of the settled one, and the restore's outcomes.
        let finalJSON = try #require(try reportText())
        let finalReport = try #require(try JSONSerialization.jsonObject(with: Data(finalJSON.utf8)) as? [String: Any])
        #expect((finalReport["strokes"] as? [[String: Any]])?.count == 4, "\(finalJSON)")
        #expect((finalReport["restore"] as? [[String: Any]])?.isEmpty == false, "\(finalJSON)")
        #expect(h.plant.valve("valve-a-rain")?.openLimit == true)
        // Every event of the drill is journaled as drill: strokes, reset and restore included.
        h.signal(SIGTERM)
        #expect(await h.waitForExit(15) == 0, "\(h.log)")
        let journal = try await h.journal().filter { $0.at >= final.startedAt.addingTimeInterval(-0.5) }
        let drillKinds = journal.filter { ["stroke", "trip", "reset", "restore"].contains($0.kind) }
        #expect(drillKinds.contains { $0.kind == "stroke" } && drillKinds.contains { $0.kind == "restore" })
        #expect(drillKinds.allSatisfy { $0.drill }, "\(drillKinds.filter { !$0.drill }.map(\.message))")
        // Each valve's start of travel too (its end may be journaled just after the drill closes).
        let travel = journal.filter { $0.kind == "device-state" && $0.message.hasSuffix("→ travelling") }
        #expect(travel.count >= 4, "\(journal.map(\.message))")
        #expect(travel.allSatisfy { $0.drill }, "\(travel.filter { !$0.drill }.map(\.message))")
    }

    @Test func aValveSlowerThanOneAndAHalfTimesItsBaselineRaisesADriftAlarm() async throws {
        // Levee is told 0.5 s (margin 4, so 2 s allowed); the actuator takes 1.5 s. With no history yet, the
        // configured time is the baseline: 3× is a drift.
        let h = try await start(configuredStrokes: ["valve-b-rain": 0.5])
        defer { h.stop() }
        let close = try h.request(
            .command(device: "valve-b-rain", command: "close", reason: "proof test"))
        #expect(close.ok, "\(close)")
        #expect(await H.wait { try h.alarm("valve-b-rain.stroke-drift") != nil }, "\(h.log)")
        let alarm = try #require(try h.alarm("valve-b-rain.stroke-drift"))
        #expect(alarm.priority == "medium")
        #expect(alarm.message.contains("against a baseline of 0.5 s"), "\(alarm.message)")
        // A valve within its baseline raises nothing.
        #expect(
            try h.request(.command(device: "valve-a-rain", command: "close", reason: "proof test"))
                .ok)
        #expect(await H.wait { h.plant.valve("valve-a-rain")?.closedLimit == true })
        try await Task.sleep(for: .milliseconds(500))
        #expect(try h.alarm("valve-a-rain.stroke-drift") == nil)
    }

    @Test func theReadinessCheckFlagsALocalValveAndADeadDevice() async throws {
        let h = try await start()
        defer { h.stop() }
        try h.plant.inject(.local, device: "valve-b-rain")
        try h.plant.inject(.dead, device: "pool-inlet")
        #expect(
            await H.wait {
                try h.status()?.devices.first { $0.id == "pool-inlet" }?.answering == false
                    && h.status()?.devices.first { $0.id == "valve-b-rain" }?.valve?.mode == "local"
            }, "\(h.log)")
        let response = try h.request(.drillCheck(plan: "plant-wide"))
        let check = try #require(response.drillCheck)
        #expect(!check.ready)
        let byDevice = Dictionary(uniqueKeysWithValues: check.items.map { ($0.device, $0) })
        #expect(byDevice["valve-b-rain"]?.problems.first?.contains("in local mode at 仓库B围堰") == true)
        #expect(byDevice["pool-inlet"]?.reachable == false)
        #expect(byDevice["pool-inlet"]?.problems.first?.contains("does not answer") == true)
        #expect(byDevice["valve-a-rain"]?.problems.isEmpty == true)
        #expect(byDevice["rain-outlet-1"]?.problems.isEmpty == true)
        // It commanded nothing.
        #expect(h.plant.writeLog(server: "plc").isEmpty)
        #expect(try defence(h)?.latched == false)
    }

    @Test func firstFlushDivertsOnRainReleasesAfterwardsAndATripOverridesIt() async throws {
        // Short times so that a cycle takes seconds: first flush is over after 6 s of rain, released 3 s later.
        let firstFlush = """

            [[first_flush]]
            outlet = "rain-outlet-1"
            rain = "rain.state"
            raining_min = 0.1
            t1_min = 0.05
            t3_min = 1
            t2_h = 1

            """
        let h = try await start(extra: firstFlush)
        defer { h.stop() }
        try h.plant.setLineLevel(line: 1, level: 1)
        #expect(await H.wait { h.plant.valve("rain-outlet-1")?.closedLimit == true }, "diverted: \(h.log)")
        // After the first flush the outlet is released (no quality alarms configured: time rule only).
        #expect(await H.wait(20) { h.plant.valve("rain-outlet-1")?.openLimit == true }, "released: \(h.log)")
        // A trip while it rains: the outlet closes and first flush never reopens it, not even after the reset.
        #expect(try h.request(.shutoff(plan: nil, reason: "spill during rain")).ok)
        #expect(await H.wait { h.plant.valve("rain-outlet-1")?.closedLimit == true })
        #expect(try h.request(.reset(reason: "spill contained", override: false)).ok)
        try await Task.sleep(for: .seconds(3))
        #expect(h.plant.valve("rain-outlet-1")?.closedLimit == true, "first flush reopened a tripped outlet")
        let opens = writes(h, unit: 5).filter { $0.address == 0 }.count
        #expect(opens == 1, "only first flush's release opened it")
    }
}

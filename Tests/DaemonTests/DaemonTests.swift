import ControlAPI
import Foundation
import Historian
import Logging
import PlantSim
import Testing

/// The `leveed` binary as systemd and operators meet it: notify protocol, SIGTERM, SIGHUP, bad files, and the
/// historian it leaves behind.
@Suite(.serialized)
struct DaemonTests {
    typealias H = DaemonHarness

    @Test func readyStatusWatchdogAndStoppingGoToTheNotifySocket() async throws {
        let h = try H()
        defer { h.stop() }
        let notify = try NotifySocket(directory: h.directory)
        try h.start(environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"])
        var messages: [String] = []
        var statusAtReady: SiteStatus?
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let new = notify.drain()
            if statusAtReady == nil, new.contains("READY=1") { statusAtReady = try? h.status() }
            messages += new
            if messages.contains("READY=1"), messages.filter({ $0 == "WATCHDOG=1" }).count >= 3,
                messages.contains(where: { $0.hasPrefix("STATUS=2/2 devices answering") })
            {
                break
            }
        }
        #expect(messages.contains("READY=1"), "\(messages)\n\(h.log)")
        // READY comes only after the first poll of every device.
        let atReady = try #require(statusAtReady)
        #expect(atReady.devices.allSatisfy { d in d.points.allSatisfy { $0.readAt != nil } })
        #expect(messages.contains("STATUS=2/2 devices answering; historian ok"), "\(messages)")
        #expect(messages.filter { $0 == "WATCHDOG=1" }.count >= 3)

        h.signal(SIGTERM)
        let code = await h.waitForExit(15)
        #expect(code == 0, "\(h.log)")
        #expect(notify.drain().contains("STOPPING=1"))
    }

    @Test func sigtermStopsCleanlyAndTheHistorianKeepsReadingsAndEvents() async throws {
        let h = try H()
        defer { h.stop() }
        try h.start()
        #expect(await H.wait { try h.status()?.summary.hasPrefix("2/2 devices answering") == true }, "\(h.log)")
        try h.plant.inject(.local, device: "rain-outlet-1")
        #expect(await H.wait { try h.status()?.devices.first { $0.id == "rain-outlet-1" }?.valve?.mode == "local" })
        h.signal(SIGTERM)
        #expect(await h.waitForExit(15) == 0, "\(h.log)")
        #expect(h.log.contains("leveed stopped"))
        #expect(!FileManager.default.fileExists(atPath: h.socketPath), "the control socket is removed on the way out")

        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let historian = Historian(configuration: HistorianConfiguration(path: h.databasePath), logger: logger)
        defer { historian.close() }
        let readings = try await historian.readings(
            point: "gas-a1.concentration", from: Date().addingTimeInterval(-600), to: Date().addingTimeInterval(1))
        #expect(!readings.isEmpty)
        #expect(readings.first?.value == 12.5)
        #expect(readings.first?.quality == "good")
        let events = try await historian.events(from: Date().addingTimeInterval(-600), to: Date().addingTimeInterval(1))
        #expect(events.contains { $0.kind == "config-load" && $0.message.hasPrefix("started with") })
        #expect(events.contains { $0.message == "rain-outlet-1 mode remote → local" }, "\(events.map(\.message))")

        // leveectl exports the same readings as CSV for the bureau's paperwork.
        let ctl = try #require(H.binaries).appendingPathComponent("leveectl")
        let p = Process()
        p.executableURL = ctl
        p.arguments = ["history", "export", "--config", h.configPath, "--point", "gas-a1.concentration", "--from=-10m"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        let csv = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 0)
        let lines = csv.split(separator: "\r\n")
        #expect(lines.first == "time,point,value,quality")
        #expect(lines.dropFirst().first?.hasSuffix(",gas-a1.concentration,12.5,good") == true, "\(csv)")
        #expect(lines.dropFirst().first?.contains("+08:00") == true, "times in the site's zone: \(csv)")

        // For Excel: a byte-order mark, the zone in the header, and local times it reads as dates.
        let (excelCode, excel) = try await H.leveectl([
            "history", "export", "--config", h.configPath, "--point", "gas-a1.concentration", "--from=-10m", "--excel",
        ])
        #expect(excelCode == 0, "\(excel)")
        #expect(excel.hasPrefix("\u{FEFF}time (Asia/Shanghai),point,value,quality\r\n"), "\(excel)")
        let excelLines = excel.split(separator: "\r\n")
        let row = try #require(excelLines.dropFirst().first.map(String.init))
        #expect(
            row.range(
                of: #"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,gas-a1\.concentration,12\.5,good$"#, options: .regularExpression)
                != nil, "\(excel)")
        // The same wall clock as the ISO export's first row, without its milliseconds and offset.
        let iso = String(lines.dropFirst().first ?? "")
        #expect(iso.prefix(19).replacingOccurrences(of: "T", with: " ") == row.prefix(19), "\(iso) vs \(row)")

        // A mistyped point is named, with the likely one, and exits 1: no empty CSV.
        let (typoCode, typo) = try await H.leveectl([
            "history", "export", "--config", h.configPath, "--point", "gas-a1.concentraton", "--from=-10m",
        ])
        #expect(typoCode == 1, "\(typo)")
        #expect(typo.contains("no point \"gas-a1.concentraton\""), "\(typo)")
        #expect(typo.contains("did you mean \"gas-a1.concentration\""), "\(typo)")
        #expect(!typo.contains("time,point,value,quality"))
    }

    @Test func sighupWithAChangedValveStrokeIsNotAppliedAtAllAndSaysARestartIsNeeded() async throws {
        let h = try H()
        defer { h.stop() }
        try h.start()
        #expect(await H.wait { try h.status()?.summary.hasPrefix("2/2 devices answering") == true }, "\(h.log)")
        let port = try #require(h.plant.tcpPort(server: "plc"))
        // The valve's stroke time (which its shutoff step is timed by) changes, and a detector is added.
        let changed = H.config(port: port, withH2S: true).replacingOccurrences(
            of: "stroke_s = 1.0", with: "stroke_s = 2.0")
        try h.write(config: changed)
        h.signal(SIGHUP)
        #expect(
            await H.wait {
                h.log.contains("configuration needs a restart; keeping the running one")
                    && h.log.contains(#"device \"rain-outlet-1\" changed, which a safety function uses"#)
            }, "\(h.log)")
        // Nothing of the file was applied: not even the new detector.
        try await Task.sleep(for: .milliseconds(500))
        #expect(try h.status()?.devices.map(\.id) == ["gas-a1", "rain-outlet-1"])
        h.signal(SIGTERM)
        #expect(await h.waitForExit(15) == 0)
        let rejected = try await h.journal().filter { $0.kind == "config-rejected" }
        #expect(rejected.count == 1 && rejected[0].message.contains("restart leveed"), "\(rejected)")
    }

    @Test func sighupAppliesAGoodFileAndKeepsTheRunningOneOnABadFile() async throws {
        let h = try H()
        defer { h.stop() }
        try h.start()
        #expect(await H.wait { try h.status()?.summary.hasPrefix("2/2 devices answering") == true }, "\(h.log)")
        let port = h.plant.tcpPort(server: "plc")!

        // A good file adds h2s-a1; gas-a1 and the valve keep polling.
        try h.write(config: H.config(port: port, withH2S: true))
        h.signal(SIGHUP)
        #expect(
            await H.wait {
                try h.status()?.devices.first { $0.id == "h2s-a1" }?.points.first?.quality == "good"
            }, "\(h.log)")
        let h2s = try #require(try h.status()?.devices.first { $0.id == "h2s-a1" })
        #expect(h2s.points.first?.value == 4.2)
        // The log line may arrive through the pipe just after the status shows the change.
        #expect(
            await H.wait { h.log.contains("configuration applied changes=\"devices added: h2s-a1\"") }, "\(h.log)")
        let before = try #require(try h.status()?.devices.first { $0.id == "gas-a1" }?.points.first?.readAt)
        #expect(
            await H.wait {
                (try h.status()?.devices.first { $0.id == "gas-a1" }?.points.first?.readAt ?? .distantPast) > before
            })

        // A file with mistakes changes nothing and every mistake is logged with its key path.
        try h.write(config: H.config(port: port, withH2S: false, extra: "[[devices]]\nid = \"x\"\ntrvel_s = 3\n"))
        h.signal(SIGHUP)
        #expect(await H.wait { h.log.contains("configuration rejected; keeping the running one") }, "\(h.log)")
        #expect(h.log.contains(#"levee.toml: devices[2] \"x\": unknown key \"trvel_s\""#), "\(h.log)")
        #expect(h.log.contains(#"levee.toml: devices[2] \"x\": name is required"#), "\(h.log)")
        try await Task.sleep(for: .milliseconds(500))
        let status = try #require(try h.status())
        #expect(status.devices.map(\.id) == ["gas-a1", "rain-outlet-1", "h2s-a1"])
        #expect(status.summary.hasPrefix("3/3 devices answering"))

        // A valid file whose shutoff plan could not run (a network-pool pump with no start command) is refused too.
        let pump = """

            [[devices]]
            id = "pump-1"
            name = "1号转输泵"
            type = "pump"
            bus = "plc"
            unit = 4
            line = "network-pool"
            points.running = { function = "coil", address = 0 }
            commands.stop = { function = "coil", address = 1 }

            """
        try h.write(config: H.config(port: port, withH2S: true, extra: pump))
        h.signal(SIGHUP)
        let message = #"plans: plan \"plant-wide\" step \"start-pump-1\": device \"pump-1\" has no \"start\" command"#
        #expect(await H.wait { h.log.contains(message) }, "\(h.log)")
        try await Task.sleep(for: .milliseconds(300))
        #expect(try h.status()?.devices.count == 3)

        h.signal(SIGTERM)
        #expect(await h.waitForExit(15) == 0)
    }

    @Test func aBadFileAtStartStopsTheDaemonWithEveryMistake() async throws {
        let h = try H()
        defer { h.stop() }
        try h.write(
            config: H.config(port: 1, withH2S: false).replacingOccurrences(of: "unit = 2", with: "unit = 0")
                .replacingOccurrences(of: "poll_ms = 200\nstroke_s", with: "poll_ms = 5\nstroke_s"))
        try h.start()
        #expect(await h.waitForExit(15) == 1)
        #expect(
            h.log.contains(
                #"levee.toml: devices[1] "rain-outlet-1": unit 0 is the broadcast address, which gets no reply; use 1...247"#
            ), "\(h.log)")
        #expect(
            h.log.contains(#"levee.toml: devices[1] "rain-outlet-1": poll_ms 5 is outside 10...3600000"#), "\(h.log)")
    }
}

/// The shutoff plans are checked with the configuration.
struct PlanReadinessTests {
    @Test func aPlanStepWithoutItsCommandIsAConfigurationError() throws {
        let dir = try #require(DaemonHarness.binaries)
        let folder = NSTemporaryDirectory() + "levee-plan-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let text =
            DaemonHarness.config(port: 1502, withH2S: false) + """

                [[devices]]
                id = "pump-1"
                name = "1号转输泵"
                type = "pump"
                bus = "plc"
                unit = 9
                line = "network-pool"
                points.running = { function = "discrete-input", address = 0 }

                """
        try text.write(toFile: folder + "/levee.toml", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = dir.appendingPathComponent("leveed")
        p.arguments = ["check-config", folder + "/levee.toml"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 1)
        #expect(message.hasPrefix("levee.toml: plans: plan \"plant-wide\" step \"start-pump-1\""), "\(message)")
        #expect(message.contains(#"device "pump-1" has no "start" command"#), "\(message)")
    }
}

import ControlAPI
import Foundation
import GRDB
import Historian
import Logging
import PlantSim
import Testing

/// The historian is never a precondition for safety: with its database damaged or deleted, the real leveed still
/// polls, alarms and shuts off, raises a critical historian alarm naming the file, and resumes writing by itself.
@Suite(.serialized)
struct HistorianFaultDaemonTests {
    typealias H = DaemonHarness

    @Test func withAGarbledDatabaseLeveedStartsPollsRaisesTheAlarmAndShutsOff() async throws {
        let h = try H()
        defer { h.stop() }
        var generator = SystemRandomNumberGenerator()
        let garbage = Data((0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try garbage.write(to: URL(fileURLWithPath: h.databasePath))
        try h.start()

        #expect(await H.wait(60) { try h.status()?.summary.hasPrefix("2/2 devices answering") == true }, "\(h.log)")
        #expect(await H.wait(60) { try h.alarm("historian.fault") != nil }, "\(h.log)")
        let alarm = try #require(try h.alarm("historian.fault"))
        #expect(alarm.priority == "critical")
        #expect(alarm.message.contains(h.databasePath), "\(alarm.message)")
        #expect(alarm.message.contains("SQLITE_NOTADB"), "\(alarm.message)")
        #expect(alarm.message.contains("moved aside"), "\(alarm.message)")

        // The damaged file is kept, as it was, beside the new database.
        let names = try FileManager.default.contentsOfDirectory(atPath: h.directory)
        let aside = try #require(names.first { $0.hasPrefix("levee.db.damaged-") && !$0.contains("-wal") })
        #expect(try Data(contentsOf: URL(fileURLWithPath: h.directory + "/" + aside)) == garbage)

        let reply = try h.request(.shutoff(plan: nil, reason: "gas leak with a damaged history"))
        #expect(reply.ok, "\(reply)")
        #expect(await H.wait(60) { h.plant.valve("rain-outlet-1")?.closedLimit == true }, "\(h.log)")
        #expect(try h.status()?.defence?.latched == true)

        // The new database takes the history from here on.
        #expect(await H.wait(60) { try h.status()?.historian.healthy == true }, "\(h.log)")
        h.signal(SIGTERM)
        #expect(await h.waitForExit(60) == 0, "\(h.log)")
        let events = try await h.journal()
        #expect(events.contains { $0.kind == "historian-fault" && $0.message.contains(aside) }, "\(events)")
        #expect(events.contains { $0.kind == "historian-recovered" }, "\(events)")
    }

    /// A newer Levee's database is not damaged: leveed leaves it alone and runs without storage, in fault, saying
    /// why in its status and its alarm.
    @Test func withANewerVersionsDatabaseLeveedRunsInFaultAndLeavesTheFileAlone() async throws {
        let h = try H()
        defer { h.stop() }
        Historian(configuration: HistorianConfiguration(path: h.databasePath), logger: .init(label: "t")).close()
        let newer = try DatabaseQueue(path: h.databasePath)
        try await newer.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9')") }
        try await newer.close()
        try h.start()

        #expect(await H.wait(60) { try h.status()?.summary.hasPrefix("2/2 devices answering") == true }, "\(h.log)")
        let summary = try h.status()?.summary ?? ""
        #expect(summary.contains("historian FAULT") && !summary.contains("historian ok"), "\(summary)")
        #expect(await H.wait(60) { try h.alarm("historian.fault")?.conditionActive == true }, "\(h.log)")
        let alarm = try #require(try h.alarm("historian.fault"))
        #expect(alarm.priority == "critical")
        #expect(alarm.message.contains("written by a newer version of Levee"), "\(alarm.message)")
        #expect(try h.request(.shutoff(plan: nil, reason: "gas leak, no history")).ok)
        #expect(await H.wait(60) { h.plant.valve("rain-outlet-1")?.closedLimit == true }, "\(h.log)")
        let names = try FileManager.default.contentsOfDirectory(atPath: h.directory)
        #expect(!names.contains { $0.contains("damaged") }, "\(names)")
        h.signal(SIGTERM)
        #expect(await h.waitForExit(60) != nil)
        let check = try DatabaseQueue(path: h.databasePath)
        let applied = try await check.read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
        }
        let events = try await check.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM events") }
        try await check.close()
        #expect(applied.contains("v9"))
        #expect(events == 0)
    }

    @Test func aDatabaseDeletedWhileRunningIsAFaultAndWritingResumesInANewFile() async throws {
        let h = try H()
        defer { h.stop() }
        try h.start()
        #expect(await H.wait(60) { try h.status()?.summary.hasPrefix("2/2 devices answering") == true }, "\(h.log)")
        #expect(await H.wait(60) { try h.status()?.historian.healthy == true }, "\(h.log)")

        try FileManager.default.removeItem(atPath: h.databasePath)
        #expect(
            await H.wait(60) { try h.status()?.historian.lastError?.contains("deleted while open") == true },
            "\(h.log)")
        let lastError = try h.status()?.historian.lastError ?? ""
        #expect(lastError.hasPrefix(h.databasePath), "\(lastError)")
        #expect(await H.wait(60) { try h.alarm("historian.fault")?.priority == "critical" }, "\(h.log)")
        #expect(
            await H.wait(60) {
                try FileManager.default.fileExists(atPath: h.databasePath) && h.status()?.historian.healthy == true
            }, "\(h.log)")

        // Safety never paused, and what happens now is written to the new file.
        let close = try h.request(
            .command(device: "rain-outlet-1", command: "close", reason: "after the deletion"))
        #expect(close.ok, "\(close)")
        #expect(await H.wait(60) { h.plant.valve("rain-outlet-1")?.closedLimit == true }, "\(h.log)")
        h.signal(SIGTERM)
        #expect(await h.waitForExit(60) == 0, "\(h.log)")
        let events = try await h.journal()
        #expect(
            events.contains { $0.kind == "historian-fault" && $0.message.contains("deleted while open") }, "\(events)")
        #expect(events.contains { $0.kind == "historian-recovered" }, "\(events)")
        let historian = Historian(
            configuration: HistorianConfiguration(path: h.databasePath), logger: .init(label: "t"))
        defer { historian.close() }
        let readings = try await historian.readings(
            point: "gas-a1.concentration", from: .distantPast, to: .distantFuture)
        #expect(!readings.isEmpty)
        let commands = try await historian.commands(from: .distantPast, to: .distantFuture)
        #expect(commands.contains { $0.device == "rain-outlet-1" && $0.reason == "after the deletion" }, "\(commands)")
    }
}

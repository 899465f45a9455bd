import Foundation
import HJ212
import Historian
import Testing

@testable import Uplink

struct BackfillTests {
    enum StoreKind: String, CaseIterable, Sendable {
        case memory, historian
    }

    /// The required scenario: the platform is down for 10 minutes of simulated time, across an hour; when it comes
    /// back, every minute period arrives exactly once, oldest first, with none missing, and the hourly period too.
    @Test(arguments: StoreKind.allCases)
    func backfillAfterTenMinutesDownHasNoDuplicatesAndNoGaps(store kind: StoreKind) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = kind == .historian ? try openHistorian(scratch) : nil
        defer { historian?.close() }
        let store: any UplinkStore = historian.map { HistorianUplinkStore(historian: $0) } ?? MemoryUplinkStore()
        let source = FakeSource(samples: [
            UplinkSample(point: "outfall-1.cod", value: 21.5, quality: "good", at: t0)
        ])
        var harness = Harness(store: store, source: source)

        // 08:50 to 08:55: all well.
        harness.run(until: at("20250301085500"))
        #expect(harness.platform.dataTimes(.minuteData) == minutes(from: "20250301085000", through: "20250301085300"))
        #expect(harness.session.backlog(now: harness.now) == 0)

        // 08:55 to 09:05: the platform is down.
        harness.platform.mode = .down
        harness.run(until: at("20250301090500"))
        #expect(harness.linkUp == false)
        // 08:54 to 09:03 are owed (09:04 is not complete and settled yet), and the hour 08:00.
        #expect(harness.session.backlog(now: harness.now) == 10 + 1)
        let messagesBefore = harness.platform.messages.count

        // It comes back; run until 09:12.
        harness.platform.mode = .up
        harness.run(until: at("20250301091200"))

        let minuteTimes = harness.platform.dataTimes(.minuteData)
        let expected = minutes(from: "20250301085000", through: "20250301091000")
        #expect(minuteTimes == expected, "every minute exactly once, oldest first")
        #expect(Set(minuteTimes).count == minuteTimes.count)
        #expect(harness.platform.dataTimes(.hourlyData) == ["20250301080000"])
        // Oldest first across both: the hour 08:00-09:00 ends with the minute 08:59, so it comes right after it.
        let backfilled = harness.platform.messages[messagesBefore...]
        let order = backfilled.filter { $0.cn != .realTimeData }.map { "\($0.cn.rawValue) \($0.cp["DataTime"]!)" }
        #expect(
            Array(order.prefix(7)) == [
                "2051 20250301085400", "2051 20250301085500", "2051 20250301085600", "2051 20250301085700",
                "2051 20250301085800", "2051 20250301085900", "2061 20250301080000",
            ])
        // Each period's data is its own (the fake source's average is the minute since 08:50).
        for message in harness.platform.messages where message.cn == .minuteData {
            let start = china.date(from: message.cp["DataTime"]!)!
            #expect(message.cp["w01018-Avg"] == HJ212Number.format(start.timeIntervalSince(t0) / 60))
        }
        #expect(harness.session.backlog(now: harness.now) == 0)
        // No real-time data for the time the platform was down: real time is not backfilled.
        let realTimes = harness.platform.messages.filter { $0.cn == .realTimeData }.compactMap {
            china.date(from: $0.cp["DataTime"]!)
        }
        #expect(!realTimes.isEmpty)
        #expect(!realTimes.contains { $0 > at("20250301085500") && $0 < at("20250301090500") })
        // The store knows every minute as acknowledged.
        let settled = try store.settledPeriods(for: .minuteData, from: t0, to: harness.now)
        #expect(Set(settled.map(china.dataTime)) == Set(expected))
    }

    /// A restart of the daemon during the outage: the new session reads what is owed from the store, and still
    /// sends every period once.
    @Test func backfillSurvivesARestartDuringTheOutage() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = try openHistorian(scratch)
        defer { historian.close() }
        let store = HistorianUplinkStore(historian: historian)
        let platform = FakePlatform()
        var first = Harness(store: store, platform: platform)
        first.run(until: at("20250301085530"))
        platform.mode = .down
        first.run(until: at("20250301090000"))

        // leveed restarts at 09:00; the platform comes back at 09:04.
        var second = Harness(store: store, platform: platform, now: first.now)
        second.run(until: at("20250301090400"))
        platform.mode = .up
        second.run(until: at("20250301091000"))

        #expect(platform.dataTimes(.minuteData) == minutes(from: "20250301085000", through: "20250301090800"))
        #expect(platform.dataTimes(.hourlyData) == ["20250301080000"])
    }

    /// Acknowledgements lost on the way back: the same QN goes again, and once acknowledged the period is not sent
    /// again; a platform deduplicating by QN stores each period once.
    @Test func lostAcknowledgementsResendTheSameQNAndNothingElse() {
        let platform = FakePlatform()
        // Every first transmission's 9014 is lost.
        platform.acknowledges = { _, count in count >= 2 }
        var harness = Harness(configuration: testConfiguration(hourlyData: false), platform: platform)
        harness.run(until: at("20250301090000"))
        let minuteFrames = platform.received.filter { $0.cn == .minuteData }
        var byQN: [String: Set<String>] = [:]
        for frame in minuteFrames { byQN[frame.qn!, default: []].insert(frame.cp["DataTime"]!) }
        #expect(byQN.values.allSatisfy { $0.count == 1 })
        let uniqueTimes = Set(byQN.values.flatMap { $0 })
        #expect(uniqueTimes == Set(minutes(from: "20250301085000", through: "20250301085800")))
        #expect(byQN.count == uniqueTimes.count, "one QN per period")
        #expect(harness.failures.isEmpty)
    }

    /// An outage longer than the backfill horizon: what is older is given up, and the journal says so.
    @Test func periodsOlderThanTheHorizonAreGivenUpAndJournalled() {
        var harness = Harness(configuration: testConfiguration(hourlyData: false, backfillHorizonSeconds: 300))
        harness.run(until: at("20250301085200"))
        harness.platform.mode = .down
        harness.run(until: at("20250301091000"))
        harness.platform.mode = .up
        harness.run(until: at("20250301091100"))
        let times = harness.platform.dataTimes(.minuteData)
        // 08:50 was sent while up. The link returns at 09:10:01, when the horizon reaches back to 09:05:01: the
        // periods from 09:06 on are still owed (09:10's own is not complete yet).
        #expect(times == ["20250301085000"] + minutes(from: "20250301090600", through: "20250301090900"))
        let gaveUp = harness.journalled("uplink gave up periods older than the backfill horizon, never acknowledged")
        #expect(!gaveUp.isEmpty)
    }

    @Test func periodsWithoutDataAreSettledUnsentAndRemembered() throws {
        let source = FakeSource()
        source.state.withLock { $0.empty = [at("20250301085100"), at("20250301085200")] }
        let store = MemoryUplinkStore()
        var harness = Harness(configuration: testConfiguration(hourlyData: false), store: store, source: source)
        harness.run(until: at("20250301085500"))
        #expect(harness.platform.dataTimes(.minuteData) == ["20250301085000", "20250301085300"])
        let settled = store.allSettled(.minuteData).map { (china.dataTime($0.start), $0.hadData) }
        #expect(settled.map(\.0) == minutes(from: "20250301085000", through: "20250301085300"))
        #expect(settled.map(\.1) == [true, false, false, true])
        #expect(harness.session.backlog(now: harness.now) == 0)
    }

    @Test func aFailingDataSourceDefersThePeriodWithoutLosingIt() {
        let source = FakeSource()
        var harness = Harness(configuration: testConfiguration(hourlyData: false), source: source)
        source.state.withLock { $0.failing = "historian in fault" }
        harness.run(until: at("20250301085300"))
        #expect(harness.platform.dataTimes(.minuteData).isEmpty)
        #expect(harness.journalled("uplink cannot read the data of a period, trying again later").count == 1)
        source.state.withLock { $0.failing = nil }
        harness.run(until: at("20250301085400"))
        #expect(harness.platform.dataTimes(.minuteData) == minutes(from: "20250301085000", through: "20250301085200"))
        #expect(harness.journalled("uplink can read its data again").count == 1)
    }

    @Test func aFailingStoreIsJournalledOnceAndTheSessionCarriesOn() {
        let store = MemoryUplinkStore()
        store.setFailing("disk I/O error")
        var harness = Harness(configuration: testConfiguration(hourlyData: false), store: store)
        harness.run(until: at("20250301085400"))
        #expect(harness.platform.dataTimes(.minuteData) == minutes(from: "20250301085000", through: "20250301085200"))
        #expect(harness.journalled("uplink cannot use its store, keeping its state in memory").count == 1)
        store.setFailing(nil)
        harness.run(until: at("20250301085500"))
        #expect(harness.journalled("uplink store works again").count == 1)
        #expect(harness.platform.dataTimes(.minuteData).count == 4)
    }
}

import Foundation
import HJ212
import Historian
import Testing

@testable import Uplink

/// Minute statistics from a temporary historian holding store-on-change readings.
struct AggregateTests {
    let period = (from: at("20250301080000"), to: at("20250301080100"))

    func reading(_ point: String, _ value: Double?, _ quality: String = "good", at time: String) -> StoredReading {
        StoredReading(point: point, value: value, quality: quality, readAt: at(time))
    }

    func withSource(
        _ readings: [StoredReading],
        samples: [UplinkSample] = [],
        _ body: (HistorianUplinkSource) throws -> Void
    ) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = try openHistorian(scratch)
        defer { historian.close() }
        historian.record(readings)
        try historian.flush()
        let source = HistorianUplinkSource(historian: historian, holdSeconds: 300)
        source.update(samples)
        try body(source)
    }

    /// 10 holds from before the period until :15, then 20 until :45, then 40: (10·15 + 20·30 + 40·15) / 60 = 22.5.
    @Test func theAverageIsTimeWeightedFromTheValueHeldAtTheStart() throws {
        try withSource([
            reading("cod", 10, at: "20250301075930"),
            reading("cod", 20, at: "20250301080015"),
            reading("cod", 40, at: "20250301080045"),
            reading("cod", 99, at: "20250301080100"),  // the next period's
        ]) { source in
            let result = try source.aggregates(points: ["cod"], from: period.from, to: period.to)
            let cod = try #require(result["cod"])
            #expect(abs(cod.average! - 22.5) < 1e-9)
            #expect(cod.minimum == 10)
            #expect(cod.maximum == 40)
            #expect(cod.flag == .normal)
        }
    }

    @Test func aValueOlderThanTheHoldDoesNotCount() throws {
        try withSource([
            reading("cod", 100, at: "20250301075000"),  // ten minutes before: Levee was not recording since
            reading("cod", 20, at: "20250301080030"),
        ]) { source in
            let cod = try #require(try source.aggregates(points: ["cod"], from: period.from, to: period.to)["cod"])
            #expect(cod.average == 20)
            #expect(cod.minimum == 20 && cod.maximum == 20)
        }
    }

    @Test func aPointWithoutReadingsInOrJustBeforeThePeriodHasNoData() throws {
        try withSource([
            reading("cod", 5, at: "20250301074000"),
            reading("flow", 3, at: "20250301080010"),
        ]) { source in
            let result = try source.aggregates(points: ["cod", "flow", "ph"], from: period.from, to: period.to)
            #expect(Set(result.keys) == ["flow"])
        }
    }

    @Test func theFlagIsTheWorstQualitySeen() throws {
        try withSource([
            reading("a", 1, at: "20250301075950"),
            reading("a", 2, "out-of-range", at: "20250301080020"),
            reading("b", 1, "out-of-range", at: "20250301080000"),
            reading("b", 1, "stale", at: "20250301080010"),
            reading("b", 1, "good", at: "20250301080020"),
            reading("c", 1, "stale", at: "20250301075900"),
            reading("c", nil, "comm-fail", at: "20250301080030"),
            reading("c", 3, "good", at: "20250301080040"),
            // The value held into the period was out of range: that counts.
            reading("d", 9, "out-of-range", at: "20250301075959"),
            reading("d", 5, "good", at: "20250301080001"),
        ]) { source in
            let result = try source.aggregates(points: ["a", "b", "c", "d"], from: period.from, to: period.to)
            #expect(result["a"]?.flag == .overRange)
            #expect(result["b"]?.flag == .fault)
            #expect(result["c"]?.flag == .communicationFault)
            #expect(result["d"]?.flag == .overRange)
            // c: 1 for 30 s, nothing for 10 s (comm-fail), 3 for 20 s: (30 + 60) / 50.
            #expect(abs(result["c"]!.average! - 1.8) < 1e-9)
        }
    }

    @Test func onlyFaultsGiveAFlagWithoutValues() throws {
        try withSource([reading("cod", nil, "comm-fail", at: "20250301075900")]) { source in
            let cod = try #require(try source.aggregates(points: ["cod"], from: period.from, to: period.to)["cod"])
            #expect(cod.average == nil && cod.minimum == nil && cod.maximum == nil)
            #expect(cod.flag == .communicationFault)
        }
    }

    @Test func aBypassDuringThePeriodMakesItMaintenance() throws {
        try withSource(
            [reading("cod", 10, at: "20250301075930"), reading("flow", 3, at: "20250301075930")],
            samples: [
                UplinkSample(point: "cod", value: 10, quality: "good", bypassed: false, at: at("20250301075930")),
                UplinkSample(point: "cod", value: 10, quality: "good", bypassed: true, at: at("20250301080020")),
                UplinkSample(point: "cod", value: 10, quality: "good", bypassed: false, at: at("20250301080030")),
            ]
        ) { source in
            let result = try source.aggregates(points: ["cod", "flow"], from: period.from, to: period.to)
            #expect(result["cod"]?.flag == .maintenance)
            #expect(result["cod"]?.average == 10)
            #expect(result["flow"]?.flag == .normal)
            // The next period saw no bypass.
            let next = try source.aggregates(points: ["cod"], from: period.to, to: period.to.addingTimeInterval(60))
            #expect(next["cod"]?.flag == .normal)
        }
    }

    @Test func currentSamplesAreTheLatestAndGoStaleWhenOld() throws {
        try withSource(
            [],
            samples: [
                UplinkSample(point: "cod", value: 1, quality: "good", at: at("20250301080000")),
                UplinkSample(point: "cod", value: 2, quality: "good", at: at("20250301080010")),
                UplinkSample(point: "ph", value: 7, quality: "good", at: at("20250301075000")),
            ]
        ) { source in
            let samples = source.currentSamples(at: at("20250301080020")).sorted { $0.point < $1.point }
            #expect(samples.map(\.value) == [2, 7])
            #expect(samples.map(\.quality) == ["good", "stale"])
            #expect(samples.map(\.flag) == [.normal, .fault])
        }
    }

    /// The whole path: historian readings, through the session, to a 2051 frame.
    @Test func aMinuteFrameFromHistorianReadings() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = try openHistorian(scratch)
        defer { historian.close() }
        historian.record([
            StoredReading(point: "outfall-1.cod", value: 10, quality: "good", readAt: at("20250301084950")),
            StoredReading(point: "outfall-1.cod", value: 30, quality: "good", readAt: at("20250301085030")),
            StoredReading(point: "outfall-1.ph", value: 7, quality: "out-of-range", readAt: at("20250301085010")),
        ])
        try historian.flush()
        let source = HistorianUplinkSource(historian: historian)
        var harness = Harness(
            configuration: testConfiguration(hourlyData: false), store: HistorianUplinkStore(historian: historian),
            source: source)
        harness.run(until: at("20250301085110"))
        let frame = try #require(harness.platform.messages.first { $0.cn == .minuteData })
        #expect(
            frame.cp.text
                == "DataTime=20250301085000;w01001-Avg=7,w01001-Min=7,w01001-Max=7,w01001-Flag=T;"
                + "w01018-Avg=20,w01018-Min=10,w01018-Max=30,w01018-Flag=N")
    }
}

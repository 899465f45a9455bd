import Foundation
import HJ212
import Historian
import Synchronization

/// The uplink's data: the daemon's live samples for real-time data, and the historian's readings for minute, hourly
/// and daily statistics.
///
/// The daemon hands it every sample of the reported points as they are read (``update(_:)``); it keeps the
/// latest of each, and the times a point went in and out of maintenance bypass.
///
/// **Statistics from store-on-change history.** The historian stores a reading when the value moves, the quality
/// changes, or a heartbeat passes; between two stored readings the value held. So over a period:
/// - the value at the period's start is the last reading before it, looked for at most `holdSeconds` back;
/// - each reading holds until the next one, but never longer than `holdSeconds` (default 300 s, five of the
///   historian's 60 s heartbeats): a longer silence means Levee was not recording, and that time counts as no data;
/// - the average is weighted by how long each value held; the minimum and maximum are over the values that held
///   during the period;
/// - the flag is the worst of the qualities seen (B over D over T over N, ``DataFlag/severity``), and M when the
///   point was bypassed at any time in the period;
/// - a point with no reading in the period nor within `holdSeconds` before it has no data, and is left out.
///
/// Bypass times are kept in memory only (the historian does not store them), for `bypassMemorySeconds`: a period
/// backfilled after a restart of the daemon does not know the bypasses before the restart.
public final class HistorianUplinkSource: UplinkDataSource {
    public let historian: Historian
    public let holdSeconds: Double
    public let bypassMemorySeconds: Double
    private let clock: @Sendable () -> Date

    struct State {
        var samples: [String: UplinkSample] = [:]
        /// Per point: bypass intervals, the last one open (`end` nil) while the bypass lasts.
        var bypasses: [String: [(start: Date, end: Date?)]] = [:]
        /// Readings queued before this time are known written (``Historian/flush()``).
        var flushedThrough = Date.distantPast
    }

    private let state = Mutex(State())

    /// - Parameters:
    ///   - holdSeconds: how long a stored reading holds without another (see the type's documentation).
    ///   - bypassMemorySeconds: how long bypass times are remembered (default 8 days, past the backfill horizon).
    ///   - clock: the time, for flushing the historian before reading a period that just ended.
    public init(
        historian: Historian,
        holdSeconds: Double = 300,
        bypassMemorySeconds: Double = 8 * 86_400,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.historian = historian
        self.holdSeconds = max(1, holdSeconds)
        self.bypassMemorySeconds = bypassMemorySeconds
        self.clock = clock
    }

    /// Takes the latest samples (any points; the uplink reports those in its factor map). Never blocks beyond a
    /// lock held for bookkeeping: call it from the poll loop.
    public func update(_ samples: [UplinkSample]) {
        state.withLock { state in
            for sample in samples {
                let wasBypassed = state.samples[sample.point]?.bypassed ?? false
                state.samples[sample.point] = sample
                guard sample.bypassed != wasBypassed else { continue }
                var intervals = state.bypasses[sample.point, default: []]
                if sample.bypassed {
                    intervals.append((sample.at, nil))
                } else if let last = intervals.indices.last, intervals[last].end == nil {
                    intervals[last].end = sample.at
                }
                let forget = sample.at.addingTimeInterval(-bypassMemorySeconds)
                intervals.removeAll { ($0.end ?? .distantFuture) < forget }
                state.bypasses[sample.point] = intervals
            }
        }
    }

    public func update(_ sample: UplinkSample) { update([sample]) }

    /// The latest sample of each point; one older than `holdSeconds` goes up as `stale` (flag D): its device has
    /// stopped reporting.
    public func currentSamples(at now: Date) -> [UplinkSample] {
        state.withLock { Array($0.samples.values) }.map { sample in
            var sample = sample
            if now.timeIntervalSince(sample.at) > holdSeconds, sample.quality == "good" { sample.quality = "stale" }
            return sample
        }
    }

    /// Whether `point` was bypassed at any time in `from ..< to`.
    public func wasBypassed(_ point: String, from: Date, to: Date) -> Bool {
        state.withLock { state in
            state.bypasses[point, default: []].contains { $0.start < to && ($0.end ?? .distantFuture) > from }
        }
    }

    public func aggregates(points: [String], from: Date, to: Date) throws -> [String: UplinkAggregate] {
        // Readings of a period that just ended may still be queued: write them first (once per period end).
        let needsFlush = state.withLock { to > $0.flushedThrough }
        if needsFlush {
            let now = clock()
            try historian.flush()
            state.withLock { $0.flushedThrough = max($0.flushedThrough, now) }
        }
        var result: [String: UplinkAggregate] = [:]
        for point in points {
            let readings = try historian.readings(point: point, from: from.addingTimeInterval(-holdSeconds), to: to)
            let bypassed = wasBypassed(point, from: from, to: to)
            if let aggregate = Self.aggregate(readings, from: from, to: to, hold: holdSeconds, bypassed: bypassed) {
                result[point] = aggregate
            }
        }
        return result
    }

    /// The statistics of one point over `from ..< to` from its stored readings, oldest first (those before `from`
    /// included; only the last of them counts). See the type's documentation for the rules.
    public static func aggregate(
        _ readings: [StoredReading],
        from: Date,
        to: Date,
        hold: Double,
        bypassed: Bool
    ) -> UplinkAggregate? {
        let firstInside = readings.firstIndex { $0.readAt >= from } ?? readings.endIndex
        let start = max(readings.startIndex, firstInside - 1)
        var covered = 0.0
        var weighted = 0.0
        var minimum: Double?
        var maximum: Double?
        var flags: [DataFlag] = []
        for index in start..<readings.endIndex {
            let reading = readings[index]
            let next = index + 1 < readings.endIndex ? readings[index + 1].readAt : to
            let begin = max(reading.readAt, from)
            let end = min(next, reading.readAt.addingTimeInterval(hold), to)
            let duration = end.timeIntervalSince(begin)
            let inside = reading.readAt >= from && reading.readAt < to
            guard duration > 0 || inside else { continue }
            flags.append(DataFlag(quality: reading.quality))
            guard let value = reading.value, value.isFinite else { continue }
            minimum = min(minimum ?? value, value)
            maximum = max(maximum ?? value, value)
            if duration > 0 {
                covered += duration
                weighted += value * duration
            }
        }
        guard let worst = DataFlag.worst(flags) else { return nil }
        var average: Double?
        if covered > 0 {
            average = weighted / covered
        } else if let minimum, let maximum {
            // Values seen only at instants (a reading replaced in the same millisecond): no time to weigh by.
            average = (minimum + maximum) / 2
        }
        return UplinkAggregate(
            average: average, minimum: minimum, maximum: maximum, flag: bypassed ? .maintenance : worst)
    }
}

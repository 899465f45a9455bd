import Foundation
import HJ212
import Historian
import Synchronization

/// What the uplink must remember across restarts: from when it owes periods, which periods are settled, and the
/// intervals the platform set.
///
/// A period is settled when the platform acknowledged it (9014) or when it had no data to send; a settled period is
/// never sent again. Calls come from the uplink's thread and may block; a throwing call is journalled and the
/// session carries on with what it holds in memory.
public protocol UplinkStore: AnyObject, Sendable {
    /// The start of the first period of `cn` the uplink owes; nil before the first run.
    func startMarker(for cn: CommandCode) throws -> Date?
    func setStartMarker(_ date: Date, for cn: CommandCode) throws
    /// The starts of the settled periods of `cn` with `from <= start < to`.
    func settledPeriods(for cn: CommandCode, from: Date, to: Date) throws -> Set<Date>
    /// Records that the period of `cn` starting at `periodStart` is settled: acknowledged (`hadData`), or empty.
    func recordSettled(_ cn: CommandCode, periodStart: Date, at: Date, hadData: Bool) throws
    /// Forgets the settled periods that started before `date` (past the backfill horizon).
    func forgetSettled(before date: Date) throws
    /// An interval the platform set: `RtdInterval` (seconds) or `MinInterval` (minutes); nil when never set.
    func interval(_ name: String) throws -> Int?
    func setInterval(_ name: String, _ value: Int) throws
}

/// An ``UplinkStore`` in memory, for tests and for running without a historian (state is lost on restart).
public final class MemoryUplinkStore: UplinkStore {
    struct State {
        var markers: [CommandCode: Date] = [:]
        var settled: [CommandCode: [Date: Bool]] = [:]
        var intervals: [String: Int] = [:]
        var failing: String?
    }

    private let state = Mutex(State())

    public init() {}

    /// Makes every call throw `message` (nil: work again), to test how the session copes with a broken store.
    public func setFailing(_ message: String?) { state.withLock { $0.failing = message } }

    /// Every settled period of `cn`, and whether it had data, oldest first.
    public func allSettled(_ cn: CommandCode) -> [(start: Date, hadData: Bool)] {
        state.withLock { $0.settled[cn, default: [:]] }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private func access<T>(_ body: (inout State) -> T) throws -> T {
        try state.withLock { state in
            if let failing = state.failing { throw Failure(description: failing) }
            return body(&state)
        }
    }

    public func startMarker(for cn: CommandCode) throws -> Date? { try access { $0.markers[cn] } }
    public func setStartMarker(_ date: Date, for cn: CommandCode) throws { try access { $0.markers[cn] = date } }

    public func settledPeriods(for cn: CommandCode, from: Date, to: Date) throws -> Set<Date> {
        try access { state in Set(state.settled[cn, default: [:]].keys.filter { $0 >= from && $0 < to }) }
    }

    public func recordSettled(_ cn: CommandCode, periodStart: Date, at: Date, hadData: Bool) throws {
        try access { $0.settled[cn, default: [:]][periodStart] = hadData }
    }

    public func forgetSettled(before date: Date) throws {
        try access { state in
            for cn in state.settled.keys { state.settled[cn] = state.settled[cn]!.filter { $0.key >= date } }
        }
    }

    public func interval(_ name: String) throws -> Int? { try access { $0.intervals[name] } }
    public func setInterval(_ name: String, _ value: Int) throws { try access { $0.intervals[name] = value } }
}

/// An ``UplinkStore`` in the history database (schema v3: `uplink_acks` and `uplink_state`).
public final class HistorianUplinkStore: UplinkStore {
    public let historian: Historian

    public init(historian: Historian) {
        self.historian = historian
    }

    private static func markerKey(_ cn: CommandCode) -> String { "marker.\(cn.rawValue)" }
    private static func intervalKey(_ name: String) -> String { "interval.\(name)" }

    public func startMarker(for cn: CommandCode) throws -> Date? {
        try historian.uplinkValue(forKey: Self.markerKey(cn)).flatMap(Int64.init).map {
            Date(timeIntervalSince1970: Double($0) / 1000)
        }
    }

    public func setStartMarker(_ date: Date, for cn: CommandCode) throws {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        try historian.setUplinkValue(String(milliseconds), forKey: Self.markerKey(cn))
    }

    public func settledPeriods(for cn: CommandCode, from: Date, to: Date) throws -> Set<Date> {
        guard let number = cn.number else { return [] }
        return Set(try historian.uplinkAcknowledgements(cn: number, from: from, to: to).map(\.periodStart))
    }

    public func recordSettled(_ cn: CommandCode, periodStart: Date, at: Date, hadData: Bool) throws {
        guard let number = cn.number else { return }
        try historian.recordUplinkAcknowledgement(cn: number, periodStart: periodStart, at: at, hadData: hadData)
    }

    public func forgetSettled(before date: Date) throws {
        try historian.deleteUplinkAcknowledgements(before: date)
    }

    public func interval(_ name: String) throws -> Int? {
        try historian.uplinkValue(forKey: Self.intervalKey(name)).flatMap { Int($0) }
    }

    public func setInterval(_ name: String, _ value: Int) throws {
        try historian.setUplinkValue(String(value), forKey: Self.intervalKey(name))
    }
}

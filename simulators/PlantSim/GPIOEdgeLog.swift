/// A GPIO edge as the simulated chip saw it, for benchmarks that time "button pressed → frame on the bus".
///
/// The chip's `EVENTS` protocol is polled, so an edge reaches a client only when it next asks. Both instants are
/// kept: when the line changed, and when a client first collected the edge, which is the moment a real chip's
/// blocking event read would have returned.
public struct GPIOEdgeRecord: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    /// The physical level after the edge, 0 or 1.
    public var level: Int
    /// When the line changed (the instant its CLOCK_MONOTONIC stamp in `EVENTS` was taken).
    public var changedAt: ContinuousClock.Instant
    /// When the first `EVENTS` reply carrying the edge was built, under the plant lock just before it is sent;
    /// nil while no client has collected it.
    public var deliveredAt: ContinuousClock.Instant?

    public var description: String {
        "line \(line) → \(level)" + (deliveredAt.map { " delivered after \(changedAt.duration(to: $0))" } ?? "")
    }
}

/// The chip's most recent edges, oldest first. Used under the plant lock, like the chip itself.
struct GPIOEdgeLog {
    /// A rain contact on a repeating pattern makes edges for as long as the plant runs: keep the last ones only.
    static let limit = 4096

    private(set) var records: [GPIOEdgeRecord] = []
    /// The serial number of `records[0]`; serials count every edge since the chip was made.
    private var firstSerial = 0

    /// Logs an edge made now and returns its serial, which the chip keeps with the edge in each client's queue.
    mutating func changed(line: Int, level: UInt8) -> Int {
        let serial = firstSerial + records.count
        records.append(GPIOEdgeRecord(line: line, level: Int(level), changedAt: .now, deliveredAt: nil))
        if records.count > Self.limit {
            let excess = records.count - Self.limit
            records.removeFirst(excess)
            firstSerial += excess
        }
        return serial
    }

    /// Marks edges as collected now, unless an earlier `EVENTS` (of another connection) collected them first.
    mutating func delivered(_ serials: [Int]) {
        let now = ContinuousClock.now
        for serial in serials {
            let i = serial - firstSerial
            guard records.indices.contains(i), records[i].deliveredAt == nil else { continue }
            records[i].deliveredAt = now
        }
    }
}

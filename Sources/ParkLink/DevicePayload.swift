import ControlAPI
import Foundation

/// `<prefix>/<site>/devices/<device>`, retained: one device's points and, for a valve, its measured position.
///
/// A valve's position is only ever what its limit switches said, with the quality of that reading: a commanded
/// but unconfirmed move shows as `pending`, never as a position, and when the reading is not good the position
/// is `unknown`, so a park screen cannot show a valve closed that nobody saw closed.
public struct DevicePayload: Codable, Sendable, Hashable {
    public var version: Int
    public var site: String
    public var device: String
    public var name: String
    /// valve, level, gas, dust, pump, water-quality, digital-input, digital-output.
    public var kind: String
    /// risk-unit, network-pool, boundary (the three lines of defence) or park.
    public var line: String
    /// Whether the device answered its last poll cycle.
    public var answering: Bool
    public var error: String?
    public var points: [PointPayload]
    public var valve: ValvePayload?
    public var pool: PoolPayload?
    public var at: Date

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case site, device, name, kind, line, answering, error, points, valve, pool, at
    }
}

public struct PointPayload: Codable, Sendable, Hashable {
    public var name: String
    /// Absent when never read (or not a finite number); a current measurement only when `quality` is good.
    public var value: Double?
    public var unit: String
    /// good, stale, comm-fail, out-of-range, bad-config or initial.
    public var quality: String
    public var readAt: Date?
}

public struct ValvePayload: Codable, Sendable, Hashable {
    /// open, closed, travelling, fault or unknown: from the limit switches, and unknown unless `quality` is good.
    public var position: String
    /// The quality of the limit-switch readings: comm-fail when the device does not answer.
    public var quality: String
    /// remote, local or unknown: a valve in local mode cannot be commanded from anywhere.
    public var mode: String
    /// The end position a command is waiting for (open or closed): commanded, not yet confirmed.
    public var pending: String?
    public var movementFault: String?
    /// The actuator's own fault or torque-trip bit.
    public var faultBit: Bool?
    /// The last measured stroke, limit switch to limit switch.
    public var lastStrokeSeconds: Double?
}

public struct PoolPayload: Codable, Sendable, Hashable {
    /// m³.
    public var volume: Double
    public var capacity: Double?
    public var freeVolume: Double?
    /// m³ per hour; negative while the pool empties.
    public var fillRate: Double?
    public var secondsUntilFull: Double?
}

extension DevicePayload {
    /// The limit-switch points a valve's position is read from.
    static let limitPoints = ["open_limit", "closed_limit"]

    init(_ d: DeviceStatus, site: String, at: Date) {
        let points = d.points.map {
            PointPayload(
                name: $0.name, value: ParkJSON.finite($0.value), unit: $0.unit, quality: $0.quality, readAt: $0.readAt)
        }
        let valve = d.valve.map { v in
            var quality = "good"
            if !d.answering {
                quality = "comm-fail"
            } else if let bad = d.points.first(where: { Self.limitPoints.contains($0.name) && $0.quality != "good" }) {
                quality = bad.quality
            }
            return ValvePayload(
                position: quality == "good" ? v.position : "unknown", quality: quality, mode: v.mode,
                pending: v.pending, movementFault: v.movementFault, faultBit: v.faultBit,
                lastStrokeSeconds: ParkJSON.finite(v.lastStrokeSeconds))
        }
        let pool = d.pool.map {
            PoolPayload(
                volume: ParkJSON.finite($0.volume) ?? 0, capacity: ParkJSON.finite($0.capacity),
                freeVolume: ParkJSON.finite($0.freeVolume), fillRate: ParkJSON.finite($0.fillRate),
                secondsUntilFull: ParkJSON.finite($0.secondsUntilFull))
        }
        self.init(
            version: ParkJSON.version, site: site, device: d.id, name: d.name, kind: d.kind, line: d.line,
            answering: d.answering, error: d.lastError, points: points, valve: valve, pool: pool, at: at)
    }

    /// What must go out at once when it changes: everything but the measured values and read times, which are
    /// sent at most once a telemetry interval.
    var structure: DevicePayload {
        var copy = withoutReadTimes
        for i in copy.points.indices { copy.points[i].value = nil }
        copy.pool = pool.map { _ in PoolPayload(volume: 0) }
        return copy
    }

    /// Everything but the read times and `at`, which change on every poll.
    var withoutReadTimes: DevicePayload {
        var copy = self
        copy.at = Date(timeIntervalSince1970: 0)
        for i in copy.points.indices { copy.points[i].readAt = nil }
        return copy
    }
}

extension PoolPayload {
    init(volume: Double) {
        self.init(volume: volume, capacity: nil, freeVolume: nil, fillRate: nil, secondsUntilFull: nil)
    }
}

import Foundation

/// How far a value can be trusted. Every value Levee shows or stores carries one.
public enum Quality: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Read from the device on its last poll and inside its valid range.
    case good
    /// Not refreshed for 3 poll periods although no error was seen (e.g. a stalled bus thread).
    case stale
    /// The device did not answer, answered with a transient exception, or the link is down.
    case commFail = "comm-fail"
    /// Read, but outside the configured valid range (a broken 4-20 mA loop, a sensor fault).
    case outOfRange = "out-of-range"
    /// The device rejected the request as impossible (illegal address or function): the register map is wrong.
    case badConfig = "bad-config"
    /// Never read yet since start.
    case initial

    public var description: String { rawValue }

    /// Whether the value is a current measurement a person or an interlock may act on.
    public var isUsable: Bool { self == .good }
}

/// One point's latest value with its quality and times.
///
/// `value` is the last value decoded from the device, kept for context when the quality goes bad; it is a current
/// measurement only while `quality == .good`. `readAt` is when that value was read, so a last good value is never
/// passed off as current.
public struct Reading: Sendable, Hashable {
    public var device: String
    public var point: String
    public var value: Double?
    public var quality: Quality
    /// Wall-clock time the value was read from the device (nil if never).
    public var readAt: Date?
    /// Monotonic time of the last read, for staleness.
    public var readAtInstant: ContinuousClock.Instant?
    /// Wall-clock time the quality last changed or was confirmed.
    public var updatedAt: Date

    public init(
        device: String, point: String, value: Double?, quality: Quality, readAt: Date?,
        readAtInstant: ContinuousClock.Instant?, updatedAt: Date
    ) {
        self.device = device
        self.point = point
        self.value = value
        self.quality = quality
        self.readAt = readAt
        self.readAtInstant = readAtInstant
        self.updatedAt = updatedAt
    }

    /// The state of a digital point, only while the reading is usable.
    public var state: Bool? { quality.isUsable ? value.map { $0 != 0 } : nil }

    /// The reading as seen at `now`: a good value not refreshed within `staleAfter` becomes stale.
    public func aged(at now: ContinuousClock.Instant, staleAfter: Duration) -> Reading {
        guard quality == .good || quality == .outOfRange, let at = readAtInstant, now - at > staleAfter else {
            return self
        }
        var copy = self
        copy.quality = .stale
        return copy
    }
}

/// A batch of readings from one device, published after each poll of it.
public struct DeviceUpdate: Sendable {
    public var device: String
    public var readings: [Reading]
    /// Whether the device answered every request of this cycle.
    public var healthy: Bool
    /// Human-readable reason when not healthy, naming the device and the failing request.
    public var error: String?
    /// For a valve, its status as its tracker derived it from this update's feedback (set by `FieldIO` before
    /// the update is published; nil from the bus and for other devices), so that no consumer of the event asks
    /// the field layer for it.
    public var valve: ValveStatus? = nil
}

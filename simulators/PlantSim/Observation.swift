import ModbusWire

/// A write request as it arrived at the simulator, for tests that measure "command issued → frame arrived".
public struct WriteRecord: Sendable, Hashable, CustomStringConvertible {
    public var server: String
    public var unit: UInt8
    /// The device the unit id addressed, nil if none (or a broadcast).
    public var device: String?
    public var function: UInt8
    public var address: UInt16
    /// Registers written, or coils as 0/1.
    public var values: [UInt16]
    /// When the whole request frame had been read (before any simulated wire or fault delay).
    public var receivedAt: ContinuousClock.Instant

    public var description: String {
        "\(server)/\(unit) fc\(function) @\(address) \(values)" + (device.map { " (\($0))" } ?? "")
    }
}

/// A valve's state as a test checks it.
public struct ValveState: Sendable, Hashable {
    public var positionPercent: Double
    public var openLimit: Bool
    public var closedLimit: Bool
    public var moving: Bool
    public var mode: SelectorMode
    /// Torque trip.
    public var fault: Bool
}

/// A pump's state as a test checks it.
public struct PumpState: Sendable, Hashable {
    public var running: Bool
    public var fault: Bool
    public var mode: SelectorMode
}

/// Key of the request counters.
struct RequestKey: Hashable {
    var server: String
    var unit: UInt8
    var function: UInt8
}

import Config
import Foundation

/// Who asked for a command, from where and why. Every command carries one so that it can be journaled.
public struct CommandOrigin: Sendable, Hashable, CustomStringConvertible {
    public var user: String
    public var source: String
    public var reason: String
    /// Part of a verification drill (验证演练): journaled as DRILL.
    public var drill: Bool

    public init(user: String, source: String, reason: String, drill: Bool = false) {
        self.user = user
        self.source = source
        self.reason = reason
        self.drill = drill
    }

    public var description: String { "\(user)@\(source): \(reason)" }
}

/// A command refused or failed, with a message that names the device and what went wrong.
public struct CommandError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case unknownDevice
        case unknownCommand
        /// The valve's selector is in local (manual) mode: remote commands are refused.
        case localMode
        /// The device did not acknowledge the write (timeout, exception, link down).
        case notAcknowledged
        /// The bus is shutting down.
        case shuttingDown
    }

    public var kind: Kind
    public var device: String
    public var message: String

    public var description: String { message }
}

/// What a bus reports back once a write is on the device.
public struct WriteReceipt: Sendable, Hashable {
    public var device: String
    public var command: String
    /// When the request was handed to the bus.
    public var requestedAt: ContinuousClock.Instant
    /// When the device acknowledged the (first) write.
    public var acknowledgedAt: ContinuousClock.Instant
    public var acknowledgedDate: Date
}

/// A write queued on a bus thread, run ahead of any poll.
struct QueuedWrite: Sendable {
    var device: Device
    var command: Command
    var requestedAt: ContinuousClock.Instant
    /// Called on the bus thread once, with the outcome of the first write.
    var completion: @Sendable (Result<WriteReceipt, CommandError>) -> Void
}

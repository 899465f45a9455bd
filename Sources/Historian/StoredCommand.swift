import Foundation

/// A command a person or a program gave a device, and what came of it: who, from where, why, and the outcome.
public struct StoredCommand: Sendable, Hashable {
    /// The device id, such as `rain-outlet-1`.
    public var device: String
    /// The command, such as `open` or `close`.
    public var command: String
    /// Who asked.
    public var user: String
    /// Where from: an IP address, `leveectl`, `sequencer`, ...
    public var source: String
    /// Why, as the user gave it.
    public var reason: String
    /// When it was asked (stored to the millisecond).
    public var requestedAt: Date
    /// `acknowledged`, `refused`, `failed`, `confirmed`, ...
    public var result: String
    /// Why it failed or was refused, when it did.
    public var error: String?
    /// How long the valve took to reach its end position, when the command moved one.
    public var strokeSeconds: Double?
    /// True for commands given during a drill.
    public var drill: Bool

    public init(
        device: String,
        command: String,
        user: String,
        source: String,
        reason: String,
        requestedAt: Date,
        result: String,
        error: String? = nil,
        strokeSeconds: Double? = nil,
        drill: Bool = false
    ) {
        self.device = device
        self.command = command
        self.user = user
        self.source = source
        self.reason = reason
        self.requestedAt = requestedAt
        self.result = result
        self.error = error
        self.strokeSeconds = strokeSeconds
        self.drill = drill
    }
}

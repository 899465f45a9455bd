import Foundation

/// One confirmed valve movement and how long it took: the history a stroke is judged against for drift.
public struct StoredStroke: Sendable, Hashable {
    /// The valve's device id.
    public var device: String
    /// `open` or `close`.
    public var command: String
    /// From the command to the end-position limit switch.
    public var seconds: Double
    /// When the command was given (stored to the millisecond).
    public var at: Date
    /// True for a movement during a drill.
    public var drill: Bool

    public init(device: String, command: String, seconds: Double, at: Date, drill: Bool = false) {
        self.device = device
        self.command = command
        self.seconds = seconds
        self.at = at
        self.drill = drill
    }
}

import Foundation

/// Something that happened, for the audit trail: a device changing state, a fault, an alarm, a trip, a
/// configuration load, the historian's own faults.
public struct StoredEvent: Sendable, Hashable {
    /// The row's id, increasing in the order events were written: set on events read back, nil on new ones (the
    /// database assigns it). Live feeds resume from it (``Historian/events(afterID:limit:)-(Int64,_)``).
    public var id: Int64?
    /// What kind of event: `device-state`, `fault`, `config-load`, `historian-fault`, `historian-recovered`,
    /// `alarm`, `trip`, ...
    public var kind: String
    /// The device or subsystem it concerns.
    public var source: String
    /// A sentence for people.
    public var message: String
    /// When it happened (stored to the millisecond).
    public var at: Date
    /// Machine-readable details as JSON text, stored as given.
    public var details: String?
    /// True for events raised during a drill, so that reports can leave them out.
    public var drill: Bool

    public init(
        kind: String, source: String, message: String, at: Date, details: String? = nil, drill: Bool = false,
        id: Int64? = nil
    ) {
        self.id = id
        self.kind = kind
        self.source = source
        self.message = message
        self.at = at
        self.details = details
        self.drill = drill
    }
}

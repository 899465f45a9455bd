import Foundation
import Messages

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
    /// A sentence for people, in English: what tools that read the text get, and all an entry stored before
    /// messages had ids has.
    public var message: String
    /// The same sentence as a catalogue message, for each reader to render in its own language; nil on old rows.
    public var text: Message?
    /// When it happened (stored to the millisecond).
    public var at: Date
    /// Machine-readable details as JSON text, stored as given.
    public var details: String?
    /// True for events raised during a drill, so that reports can leave them out.
    public var drill: Bool

    /// An event whose text comes from the catalogue; `message` is its English rendering.
    public init(
        kind: String, source: String, text: Message, at: Date, details: String? = nil, drill: Bool = false
    ) {
        self.init(
            kind: kind, source: source, message: text.render(.en), at: at, details: details, drill: drill, text: text)
    }

    public init(
        kind: String, source: String, message: String, at: Date, details: String? = nil, drill: Bool = false,
        id: Int64? = nil, text: Message? = nil
    ) {
        self.id = id
        self.text = text
        self.kind = kind
        self.source = source
        self.message = message
        self.at = at
        self.details = details
        self.drill = drill
    }
}

import Foundation
import Messages

/// One journal entry as leveed recorded it, carried live on a `watch` with `journal`: the same fields the
/// historian stores and the HTTP API's `journal` events show.
public struct JournalEntry: Codable, Sendable, Hashable {
    /// The entry's row id in the historian: it only grows, so a reader resumes after the last one it has.
    public var id: Int64
    /// When it happened, to the millisecond.
    public var at: Date
    public var kind: String
    public var source: String
    /// The entry's text in English (what an entry stored before messages had ids has); `text` is the same as a
    /// catalogue message, for each client to render in its language.
    public var message: String
    public var text: Message?
    /// Machine-readable details as the JSON text they were stored as.
    public var details: String?
    public var drill: Bool

    public init(
        id: Int64, at: Date, kind: String, source: String, message: String, details: String?, drill: Bool,
        text: Message? = nil
    ) {
        self.text = text
        self.id = id
        self.at = at
        self.kind = kind
        self.source = source
        self.message = message
        self.details = details
        self.drill = drill
    }

    private enum CodingKeys: String, CodingKey {
        case id, at, atMilliseconds, kind, source, message, text, details, drill
    }

    /// The time goes as ISO 8601 (`at`, for people) and as whole milliseconds since 1970 (`atMilliseconds`), read
    /// back exactly as the historian's database gives it (`Date(timeIntervalSince1970: ms / 1000)`): the ISO form
    /// is cut, not rounded, to the millisecond, so an entry that came live would otherwise print one millisecond
    /// off the same entry read from the database.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int64.self, forKey: .id)
        if let ms = try c.decodeIfPresent(Int64.self, forKey: .atMilliseconds) {
            at = Date(timeIntervalSince1970: Double(ms) / 1000)
        } else {
            at = try c.decode(Date.self, forKey: .at)
        }
        kind = try c.decode(String.self, forKey: .kind)
        source = try c.decode(String.self, forKey: .source)
        message = try c.decode(String.self, forKey: .message)
        text = try? c.decodeIfPresent(Message.self, forKey: .text)
        details = try c.decodeIfPresent(String.self, forKey: .details)
        drill = try c.decode(Bool.self, forKey: .drill)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(at, forKey: .at)
        let ms = (at.timeIntervalSince1970 * 1000).rounded()
        try c.encode(ms.isFinite ? Int64(max(min(ms, 9.2e18), -9.2e18)) : 0, forKey: .atMilliseconds)
        try c.encode(kind, forKey: .kind)
        try c.encode(source, forKey: .source)
        try c.encode(message, forKey: .message)
        try c.encodeIfPresent(text, forKey: .text)
        try c.encodeIfPresent(details, forKey: .details)
        try c.encode(drill, forKey: .drill)
    }
}

/// What a `watch` brings: a site status, or journal entries when asked for them.
public enum WatchUpdate: Sendable, Hashable {
    case status(SiteStatus)
    case journal([JournalEntry])
}

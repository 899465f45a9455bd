/// The MQTT topic tree a plant and its park share (docs/mqtt.md): `<prefix>/<site>/…`.
///
/// Ids are validated once, where they enter (a publisher's site, a directory's plants), so that a site id can never
/// widen a subscription (`+`, `#`), add a level (`/`) or be cut short by a NUL on the broker's side.
public struct ParkTopics: Sendable, Hashable {
    public static let defaultPrefix = "levee"
    /// The longest id a topic level may take: keeps every topic far below MQTT's 65 535-byte limit.
    public static let maximumIDLength = 64

    /// One or more topic levels, such as `levee` or `cn/js/levee`.
    public let prefix: String

    /// - Throws: `ParkTopicError.invalidPrefix` when a level is empty or holds `+`, `#` or NUL.
    public init(prefix: String = ParkTopics.defaultPrefix) throws {
        let levels = prefix.split(separator: "/", omittingEmptySubsequences: false)
        for level in levels {
            if let problem = Self.problem(String(level), allowEmpty: false) {
                throw ParkTopicError.invalidPrefix(prefix, problem)
            }
        }
        guard !prefix.hasPrefix("$") else { throw ParkTopicError.invalidPrefix(prefix, "starts with \"$\"") }
        self.prefix = prefix
    }

    /// Checks that `id` may stand as one topic level.
    ///
    /// - Throws: `ParkTopicError.invalidID` naming the id, what it is, and the rule it breaks.
    public static func validate(_ id: String, as what: String = "site id") throws {
        if let problem = problem(id, allowEmpty: false) { throw ParkTopicError.invalidID(what: what, id: id, problem) }
    }

    /// Whether `id` may stand as one topic level.
    public static func isValid(_ id: String) -> Bool { problem(id, allowEmpty: false) == nil }

    static func problem(_ id: String, allowEmpty: Bool) -> String? {
        if id.isEmpty { return allowEmpty ? nil : "is empty" }
        if id.utf8.count > maximumIDLength { return "is longer than \(maximumIDLength) bytes" }
        for scalar in id.unicodeScalars {
            switch scalar {
            case "/": return "contains \"/\" (a topic level separator)"
            case "+": return "contains \"+\" (an MQTT wildcard)"
            case "#": return "contains \"#\" (an MQTT wildcard)"
            case "\u{0}": return "contains NUL"
            default:
                if scalar.properties.generalCategory == .control { return "contains a control character" }
            }
        }
        return nil
    }

    // MARK: Topics of one site

    /// Retained, QoS 1: `online` or `offline`; the offline form is the last will.
    public func online(_ site: String) -> String { "\(prefix)/\(site)/online" }
    /// Retained, QoS 1: the site's summary.
    public func state(_ site: String) -> String { "\(prefix)/\(site)/state" }
    /// Retained, QoS 1: one device's points and valve.
    public func device(_ site: String, _ device: String) -> String { "\(prefix)/\(site)/devices/\(device)" }
    /// Retained, QoS 1: the one-key shutoff.
    public func defence(_ site: String) -> String { "\(prefix)/\(site)/defence" }
    /// Retained, QoS 1: the active alarm list.
    public func alarms(_ site: String) -> String { "\(prefix)/\(site)/alarms" }
    /// Not retained, QoS 1, durable: one message per alarm transition.
    public func alarmEvents(_ site: String) -> String { "\(prefix)/\(site)/alarms/events" }
    /// Retained, QoS 1, durable: whether the site has called the park.
    public func escalation(_ site: String) -> String { "\(prefix)/\(site)/escalation" }
    /// Not retained, QoS 1: signed commands to the site.
    public func command(_ site: String) -> String { "\(prefix)/\(site)/cmd" }
    /// Not retained, QoS 1, durable: the site's answers to commands.
    public func commandAck(_ site: String) -> String { "\(prefix)/\(site)/cmd/ack" }

    // MARK: Subscriptions

    /// What a plant subscribes to: its own command topic, nothing else.
    public func plantSubscriptions(site: String) -> [String] { [command(site)] }

    /// What a park subscribes to for each of its plants, topic by topic, so that a broker ACL can grant a park
    /// exactly its own plants on a shared regional broker.
    public func parkSubscriptions(plants: [String]) -> [String] {
        plants.flatMap { p in
            [
                online(p), state(p), "\(prefix)/\(p)/devices/+", defence(p), escalation(p), alarms(p), alarmEvents(p),
                commandAck(p),
            ]
        }
    }

    /// The same with `+` for the site: fewer subscriptions, but it reads every plant the broker lets it see
    /// (the directory ignores the ones it is not configured for).
    public func parkWildcardSubscriptions() -> [String] {
        parkSubscriptions(plants: ["+"])
    }

    // MARK: Parsing

    /// Which topic of which site `topic` is, or nil for a topic outside the tree.
    public func parse(_ topic: String) -> ParkTopic? {
        guard topic.hasPrefix(prefix + "/") else { return nil }
        let rest = topic.dropFirst(prefix.count + 1).split(separator: "/", omittingEmptySubsequences: false)
        guard rest.count >= 2 else { return nil }
        let site = String(rest[0])
        guard Self.isValid(site) else { return nil }
        switch (rest.count, rest[1]) {
        case (2, "online"): return .online(site: site)
        case (2, "state"): return .state(site: site)
        case (2, "defence"): return .defence(site: site)
        case (2, "alarms"): return .alarms(site: site)
        case (2, "escalation"): return .escalation(site: site)
        case (2, "cmd"): return .command(site: site)
        case (3, "alarms") where rest[2] == "events": return .alarmEvents(site: site)
        case (3, "cmd") where rest[2] == "ack": return .commandAck(site: site)
        case (3, "devices") where Self.isValid(String(rest[2])): return .device(site: site, device: String(rest[2]))
        default: return nil
        }
    }
}

/// One topic of the tree, parsed.
public enum ParkTopic: Sendable, Hashable {
    case online(site: String)
    case state(site: String)
    case device(site: String, device: String)
    case defence(site: String)
    case alarms(site: String)
    case alarmEvents(site: String)
    case escalation(site: String)
    case command(site: String)
    case commandAck(site: String)

    public var site: String {
        switch self {
        case .online(let s), .state(let s), .device(let s, _), .defence(let s), .alarms(let s), .alarmEvents(let s),
            .escalation(let s), .command(let s), .commandAck(let s):
            s
        }
    }
}

/// An id or prefix that cannot stand in a topic.
public enum ParkTopicError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidID(what: String, id: String, String)
    case invalidPrefix(String, String)

    public var description: String {
        switch self {
        case .invalidID(let what, let id, let problem):
            "\(what) \(Self.quoted(id)) cannot be an MQTT topic level: it \(problem)"
        case .invalidPrefix(let prefix, let problem):
            "topic prefix \(Self.quoted(prefix)) is not usable: a level \(problem)"
        }
    }

    static func quoted(_ s: String) -> String {
        "\""
            + s.unicodeScalars.map {
                $0.properties.generalCategory == .control ? $0.escaped(asASCII: true) : String($0)
            }
            .joined() + "\""
    }
}

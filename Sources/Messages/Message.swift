// The Messages module: every text the server makes for people, as a typed id with parameters, rendered in the
// operator's language at the last moment (the dashboard, leveectl, the journal's text column).
//
// - `Message`: an id from `MessageID` and its named arguments (text, or a message of its own).
// - `MessageID.templates`: the catalogue, zh-CN and en side by side; the compiler makes both exist, and
//   `MessagesTests` holds their placeholders equal.
// - `Message.render(_:)`: fills a template. Numbers arrive already written with the point's precision
//   (`Message.number`), so no locale-dependent formatter runs here.

/// A language the catalogue is written in.
public enum Language: String, Sendable, Hashable, Codable, CaseIterable {
    case zhCN = "zh-CN"
    case en

    /// The language for a request or a terminal: "zh", "zh-CN", "zh_CN.UTF-8" and "zh-Hans" are Chinese; any other
    /// named language is English; nothing named is nil (the caller picks its default).
    public init?(tag: String?) {
        guard let raw = tag?.trimmingCharacters(whereIn: " \t"), !raw.isEmpty else { return nil }
        // Accept-Language: the first tag of a list, without its weight.
        let first = raw.split(separator: ",").first.map(String.init) ?? raw
        let lang = (first.split(separator: ";").first.map(String.init) ?? first).lowercased()
        if lang == "c" || lang == "posix" { return nil }
        self = lang.hasPrefix("zh") ? .zhCN : .en
    }
}

/// One text for people: which message, and its arguments by placeholder name.
public struct Message: Sendable, Hashable, Codable {
    public var id: MessageID
    public var args: [String: MessageArg]

    public init(_ id: MessageID, _ args: [String: MessageArg] = [:]) {
        self.id = id
        self.args = args
    }

    private enum CodingKeys: String, CodingKey { case id, args }

    /// An id this version does not know (written by a newer Levee) reads as its raw id and arguments, literally:
    /// a state file or a journal row never fails to load over a word.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let raw = try c.decode(String.self, forKey: .id)
        let args = try c.decodeIfPresent([String: MessageArg].self, forKey: .args) ?? [:]
        if let id = MessageID(rawValue: raw) {
            self.init(id, args)
        } else {
            let shown = args.keys.sorted().map { "\($0)=\(args[$0]!.render(.en))" }.joined(separator: ", ")
            self = .literal(shown.isEmpty ? raw : "\(raw) (\(shown))")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id.rawValue, forKey: .id)
        try c.encode(args, forKey: .args)
    }

    /// Text that is the same in every language: a name, a reason typed by a person, an error from a library.
    public static func literal(_ text: String) -> Message { Message(.literal, ["text": .text(text)]) }

    /// The message in `language`.
    public func render(_ language: Language) -> String { MessageCatalogue.render(self, language) }

    /// A reading as its point writes it: with the point's `decimals` when it has them ("12.3", not
    /// 12.300000000000001); without (a float32 point), in the shortest digits that read back as the same float.
    public static func reading(_ value: Double, decimals: Int?) -> String {
        if let decimals { return number(value, decimals: decimals) }
        guard value.isFinite else { return number(value, decimals: 0) }
        return "\(Float(value))"
    }

    /// `value` with `decimals` digits after the point, rounded half away from zero: "140.0", "45.2", "3". Written
    /// here, not by a formatter, so no locale can change the point or group the digits.
    public static func number(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "—" : (value < 0 ? "-∞" : "∞") }
        let d = max(0, min(decimals, 9))
        var scale = 1.0
        for _ in 0..<d { scale *= 10 }
        let scaled = (abs(value) * scale).rounded(.toNearestOrAwayFromZero)
        guard scaled < 9e18 else { return String(value) }
        let n = UInt64(scaled)
        let whole = n / UInt64(scale)
        let fraction = n % UInt64(scale)
        var text = (value < 0 && n != 0 ? "-" : "") + String(whole)
        if d > 0 {
            let digits = String(fraction)
            text += "." + String(repeating: "0", count: d - digits.count) + digits
        }
        return text
    }
}

/// One argument of a message: plain text, or a message rendered in the same language.
public indirect enum MessageArg: Sendable, Hashable, Codable, ExpressibleByStringLiteral,
    ExpressibleByStringInterpolation
{
    case text(String)
    case message(Message)

    public init(stringLiteral value: String) { self = .text(value) }

    public func render(_ language: Language) -> String {
        switch self {
        case .text(let s): s
        case .message(let m): m.render(language)
        }
    }

    // JSON: a string for text, `{"id": …, "args": {…}}` for a message, so a browser renders either with one
    // recursive function.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) {
            self = .text(s)
        } else {
            self = .message(try c.decode(Message.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .text(let s): try c.encode(s)
        case .message(let m): try c.encode(m)
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(whereIn set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

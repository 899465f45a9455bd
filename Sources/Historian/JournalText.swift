import Messages

/// Makes text safe to keep in the journal: Unicode bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069) and
/// control characters are stored as visible escapes such as `\u{202E}`.
///
/// User names and reasons come from people and from the network. Stored as they are, a right-to-left override
/// would make a reason read differently in the dashboard, the CSV export and a terminal than it was typed, and a
/// newline or an escape sequence could forge a second line in `leveectl` output. Every event and
/// command passes through `Historian.recordDurably`, so this is applied there, once, whatever its source.
public enum JournalText {
    /// True for a scalar that must not be stored as it is.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true  // C0 and C1 controls, DEL
        case 0x202A...0x202E, 0x2066...0x2069: true  // bidi embeddings, overrides and isolates
        default: false
        }
    }

    /// `text` with every unsafe scalar written as `\u{XXXX}`.
    public static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) {
                out.append(contentsOf: visible(scalar.value).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// JSON text whose strings, once decoded, hold the visible escapes `escape` writes.
    ///
    /// Raw unsafe scalars inside strings, and JSON escapes that decode to one (`\n`, `\u202e`), are replaced by
    /// `\\u{XXXX}`; white space between tokens, where JSON allows raw newlines, is left alone.
    public static func escapeJSON(_ json: String) -> String {
        let scalars = Array(json.unicodeScalars)
        guard scalars.contains(where: { isUnsafe($0) || $0 == "\\" }) else { return json }
        var out = String.UnicodeScalarView()
        var inString = false
        var i = 0
        func append(_ s: String) { out.append(contentsOf: s.unicodeScalars) }
        while i < scalars.count {
            let c = scalars[i]
            if !inString {
                if c == "\"" { inString = true }
                out.append(c)
                i += 1
                continue
            }
            switch c {
            case "\"":
                inString = false
                out.append(c)
                i += 1
            case "\\" where i + 1 < scalars.count:
                let next = scalars[i + 1]
                let short: [Unicode.Scalar: UInt32] = ["n": 0x0A, "r": 0x0D, "t": 0x09, "b": 0x08, "f": 0x0C]
                if let code = short[next] {
                    append("\\" + visible(code))
                    i += 2
                } else if next == "u", i + 5 < scalars.count,
                    let code = UInt32(String(String.UnicodeScalarView(scalars[(i + 2)...(i + 5)])), radix: 16),
                    let scalar = Unicode.Scalar(code), isUnsafe(scalar)
                {
                    append("\\" + visible(code))
                    i += 6
                } else {
                    out.append(c)
                    out.append(next)
                    i += 2
                }
            default:
                if isUnsafe(c) { append("\\" + visible(c.value)) } else { out.append(c) }
                i += 1
            }
        }
        return String(out)
    }

    /// Details as stored: JSON has its strings escaped (`escapeJSON`); plain text, such as the list of a rejected
    /// configuration's issues, keeps its lines, each escaped (`escape`).
    public static func escapeDetails(_ details: String) -> String {
        let start = details.first { !$0.isWhitespace }
        if start == "{" || start == "[" { return escapeJSON(details) }
        return details.split(separator: "\n", omittingEmptySubsequences: false).map { escape(String($0)) }
            .joined(separator: "\n")
    }

    /// `message` with every text argument escaped (`escape`), nested messages included.
    public static func escapeMessage(_ message: Message) -> Message {
        var m = message
        for (k, v) in m.args {
            switch v {
            case .text(let s): m.args[k] = .text(escape(s))
            case .message(let inner): m.args[k] = .message(escapeMessage(inner))
            }
        }
        return m
    }

    private static func visible(_ code: UInt32) -> String {
        let hex = String(code, radix: 16, uppercase: true)
        return "\\u{" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + "}"
    }
}

extension PendingRecord {
    /// The record with its people's text escaped (`JournalText`); drills are reports of their own and kept as made.
    var escaped: PendingRecord {
        switch self {
        case .event(var e):
            e.source = JournalText.escape(e.source)
            e.message = JournalText.escape(e.message)
            e.text = e.text.map { JournalText.escapeMessage($0) }
            e.details = e.details.map(JournalText.escapeDetails)
            return .event(e)
        case .command(var c):
            c.device = JournalText.escape(c.device)
            c.command = JournalText.escape(c.command)
            c.user = JournalText.escape(c.user)
            c.source = JournalText.escape(c.source)
            c.reason = JournalText.escape(c.reason)
            c.error = c.error.map(JournalText.escape)
            return .command(c)
        case .drill: return self
        }
    }
}

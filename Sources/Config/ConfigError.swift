/// One mistake in a configuration file: where it is and which rule it breaks.
///
/// A configuration mistake is the commonest field fault, so every issue names the key path a person has to edit,
/// in the form printed by `leveed check-config`:
/// ```
/// devices[3] "rain-outlet-1": points.open_limit.address 70000 is outside 0...65535
/// devices[5] "gas-a1": unknown key "trvel_s" (did you mean "travel_s"?)
/// ```
public struct ConfigIssue: Sendable, Hashable, CustomStringConvertible {
    /// Where the mistake is: a key such as `devices[3] "rain-outlet-1": points.open_limit.address` or, when
    /// `isTableWide`, a table such as `devices[5] "gas-a1"`. Empty for the file as a whole.
    public var keyPath: String
    /// The rule broken. After a key it reads on from the key (`70000 is outside 0...65535`); after a table it is
    /// a sentence of its own (`unknown key "trvel_s"`).
    public var message: String
    /// True when the issue concerns a table as a whole (an unknown key in it, a rule across its keys) rather than
    /// one key's value; the message is then printed after a colon instead of a space.
    public var isTableWide: Bool

    public init(keyPath: String, message: String, isTableWide: Bool = false) {
        self.keyPath = keyPath
        self.message = message
        self.isTableWide = isTableWide
    }

    public var description: String {
        if keyPath.isEmpty { return message }
        return isTableWide ? "\(keyPath): \(message)" : "\(keyPath) \(message)"
    }
}

/// Every mistake found in one configuration file.
///
/// The loader collects all of them in one pass, because a person fixing a file in the field wants the whole list,
/// not one error per restart.
public struct ConfigErrors: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file's base name, as given, which starts each printed line.
    public var file: String
    public var issues: [ConfigIssue]

    public init(file: String, issues: [ConfigIssue]) {
        self.file = file
        self.issues = issues
    }

    /// One line per issue: `<file>: <key path>: <rule broken>`.
    public var description: String {
        issues.map { "\(file): \($0)" }.joined(separator: "\n")
    }

    /// Each issue as printed, one per element; handy for tests and for logging line by line.
    public var lines: [String] { issues.map { "\(file): \($0)" } }
}

/// The configuration file could not be read at all, as opposed to holding mistakes.
///
/// `leveed check-config` exits 2 for this and 1 for `ConfigErrors`, so scripts can tell a missing file from a
/// bad one.
public struct ConfigReadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The path as given.
    public var path: String
    /// The `errno` value of the failing call, or 0 when the bytes were read but are not UTF-8.
    public var code: Int32
    /// The reason in words: `strerror(code)`, or why the content was refused.
    public var reason: String

    public init(path: String, code: Int32, reason: String) {
        self.path = path
        self.code = code
        self.reason = reason
    }

    public var description: String { "cannot read \(path): \(reason)" }
}

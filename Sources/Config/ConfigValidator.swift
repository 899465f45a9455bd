/// Where a key sits, printed as `devices[3] "rain-outlet-1": points.open_limit.address`.
///
/// Devices live in an array, so their index alone would make a person count `[[devices]]` headers; the owner part
/// adds the device id wherever it is known.
struct KeyPath: Sendable, Hashable, CustomStringConvertible {
    /// The table that owns the keys, such as `devices[3] "rain-outlet-1"`; empty for top-level tables.
    var owner: String
    /// Keys below the owner, outermost first.
    var keys: [String]

    init(owner: String = "", keys: [String] = []) {
        self.owner = owner
        self.keys = keys
    }

    func appending(_ key: String) -> KeyPath {
        KeyPath(owner: owner, keys: keys + [KeyPath.bare(key)])
    }

    /// The path with `[index]` added to its last key, for array elements such as `volume_table[2]`.
    func indexed(_ index: Int) -> KeyPath {
        var copy = self
        if copy.keys.isEmpty { copy.owner += "[\(index)]" } else { copy.keys[copy.keys.count - 1] += "[\(index)]" }
        return copy
    }

    var description: String {
        let rest = keys.joined(separator: ".")
        if owner.isEmpty { return rest }
        return rest.isEmpty ? owner : "\(owner): \(rest)"
    }

    /// A key as TOML would need it written: bare when it can be, quoted otherwise.
    static func bare(_ key: String) -> String {
        isIdentifier(key) ? key : quoted(key)
    }
}

/// True for a non-empty string of ASCII letters, digits, `-` and `_`: TOML's bare-key alphabet, which Levee also
/// requires of site, bus and device ids so that they work unquoted in topics, file names and URLs.
func isIdentifier(_ s: String) -> Bool {
    !s.isEmpty
        && s.unicodeScalars.allSatisfy { c in
            c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "-" || c == "_")
        }
}

/// One TOML table together with the path used to report its keys.
struct ConfigTable: Sendable {
    var path: KeyPath
    var entries: [String: TOMLNode]

    subscript(key: String) -> TOMLNode? { entries[key] }
    func has(_ key: String) -> Bool { entries[key] != nil }
}

/// Turns a parsed TOML tree into a `LeveeConfig`, collecting every mistake on the way.
///
/// Validation is pure: it reads only the value tree, so it is tested without files. Readers return nil for a
/// missing or bad value after recording why; callers then fall back to a placeholder, because the config is only
/// returned when `issues` ends up empty.
struct ConfigValidator {
    var issues: [ConfigIssue] = []

    /// The range of engineering values (alarm limits, point ranges, offsets, pool levels, deadbands): wider than
    /// any plant needs, and far enough from `Double`'s and `Float`'s limits that sums and products of them stay
    /// finite.
    static let engineeringValues: ClosedRange<Double> = -1e9...1e9

    /// Records that the value at `path` breaks a rule; `message` reads on from the key.
    mutating func report(_ path: KeyPath, _ message: String) {
        issues.append(ConfigIssue(keyPath: path.description, message: message))
    }

    /// Records that the table at `path` as a whole breaks a rule; `message` is a sentence of its own.
    mutating func reportTable(_ path: KeyPath, _ message: String) {
        issues.append(ConfigIssue(keyPath: path.description, message: message, isTableWide: true))
    }

    // MARK: Unknown keys

    /// Reports every key of `table` that is neither in `allowed` nor explained by `elsewhere`.
    ///
    /// - Parameters:
    ///   - allowed: keys this table takes; a misspelling of one is suggested.
    ///   - elsewhere: keys that belong to another kind of table (another bus type, another device kind), each
    ///     with the message saying so; a plain "unknown key" would hide that the key is right but misplaced.
    mutating func checkKeys(_ table: ConfigTable, allowed: Set<String>, elsewhere: [String: String] = [:]) {
        for key in table.entries.keys.sorted() where !allowed.contains(key) {
            if let message = elsewhere[key] {
                report(table.path.appending(key), message)
            } else {
                reportTable(table.path, "unknown key \(quoted(key))" + Suggestion.hint(for: key, in: allowed))
            }
        }
    }

    // MARK: Typed readers

    /// A string, or nil (recorded) when it is missing and required or is not a string.
    mutating func string(_ table: ConfigTable, _ key: String, required: Bool = false) -> String? {
        guard let node = present(table, key, required: required) else { return nil }
        guard case .string(let s) = node else { return typeMismatch(table, key, "a string", node) }
        return s
    }

    /// A string that must hold something other than white space.
    mutating func nonEmptyString(_ table: ConfigTable, _ key: String, required: Bool = false) -> String? {
        guard let s = string(table, key, required: required) else { return nil }
        if s.allSatisfy(\.isWhitespace) {
            report(table.path.appending(key), "must not be empty")
            return nil
        }
        return s
    }

    /// An integer within `range`. Every integer key has one: a value that passes here must be usable as it is, as an
    /// `Int32`, a port, a count or milliseconds of a `Duration`, without another check downstream.
    mutating func integer(
        _ table: ConfigTable, _ key: String, required: Bool = false, in range: ClosedRange<Int>
    ) -> Int? {
        guard let node = present(table, key, required: required) else { return nil }
        guard case .integer(let n) = node else { return typeMismatch(table, key, "an integer", node) }
        if !range.contains(n) {
            report(table.path.appending(key), "\(n) is outside \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return n
    }

    /// A number within `range`; TOML integers are accepted too (`stroke_s = 30`). NaN and infinities are refused:
    /// no Levee key means anything by them. Every number key has a range, so that a value that passes here cannot
    /// overflow a `Duration` or a product such as stroke time × margin later.
    mutating func number(
        _ table: ConfigTable, _ key: String, required: Bool = false, in range: ClosedRange<Double>
    ) -> Double? {
        guard let d = finiteNumber(table, key, required: required) else { return nil }
        guard range.contains(d) else {
            report(
                table.path.appending(key),
                "\(formatted(d)) is outside \(formatted(range.lowerBound))...\(formatted(range.upperBound))")
            return nil
        }
        return d
    }

    /// A number above 0 and at most `limit`, for quantities such as stroke times where 0 means nothing.
    mutating func positiveNumber(
        _ table: ConfigTable, _ key: String, required: Bool = false, atMost limit: Double
    ) -> Double? {
        guard let d = finiteNumber(table, key, required: required) else { return nil }
        if d <= 0 || d > limit {
            report(table.path.appending(key), "\(formatted(d)) must be > 0 and <= \(formatted(limit))")
            return nil
        }
        return d
    }

    /// Any finite number, integer or float; only the range readers above use it.
    private mutating func finiteNumber(_ table: ConfigTable, _ key: String, required: Bool) -> Double? {
        guard let node = present(table, key, required: required) else { return nil }
        switch node {
        case .integer(let n): return Double(n)
        case .float(let d):
            if !d.isFinite {
                report(table.path.appending(key), "\(d) must be a finite number")
                return nil
            }
            return d
        default: return typeMismatch(table, key, "a number", node)
        }
    }

    mutating func boolean(_ table: ConfigTable, _ key: String, required: Bool = false) -> Bool? {
        guard let node = present(table, key, required: required) else { return nil }
        guard case .boolean(let b) = node else { return typeMismatch(table, key, "true or false", node) }
        return b
    }

    /// A sub-table, written either inline (`x = { ... }`) or as its own `[a.x]` section: TOML makes both the
    /// same table.
    mutating func table(_ table: ConfigTable, _ key: String, required: Bool = false) -> ConfigTable? {
        guard let node = present(table, key, required: required) else { return nil }
        guard case .table(let entries) = node else { return typeMismatch(table, key, "a table", node) }
        return ConfigTable(path: table.path.appending(key), entries: entries)
    }

    mutating func array(_ table: ConfigTable, _ key: String, required: Bool = false) -> [TOMLNode]? {
        guard let node = present(table, key, required: required) else { return nil }
        guard case .array(let items) = node else { return typeMismatch(table, key, "an array", node) }
        return items
    }

    /// One of a fixed set of spellings, with a suggestion for a near miss.
    mutating func choice(
        _ table: ConfigTable, _ key: String, among allowed: [String], required: Bool = false
    ) -> String? {
        guard let s = string(table, key, required: required) else { return nil }
        guard allowed.contains(s) else {
            report(
                table.path.appending(key),
                "\(quoted(s)) must be one of \(allowed.joined(separator: ", "))" + Suggestion.hint(for: s, in: allowed)
            )
            return nil
        }
        return s
    }

    /// A value of a string-backed enum, spelled as its raw value.
    mutating func choice<E: RawRepresentable & CaseIterable>(
        _ table: ConfigTable, _ key: String, _ type: E.Type, required: Bool = false
    ) -> E? where E.RawValue == String {
        choice(table, key, among: E.allCases.map(\.rawValue), required: required).flatMap(E.init(rawValue:))
    }

    /// The node at `key`, or nil; a missing required key is recorded as such.
    private mutating func present(_ table: ConfigTable, _ key: String, required: Bool) -> TOMLNode? {
        guard let node = table[key] else {
            if required { report(table.path.appending(key), "is required") }
            return nil
        }
        return node
    }

    private mutating func typeMismatch<T>(_ table: ConfigTable, _ key: String, _ expected: String, _ node: TOMLNode)
        -> T?
    {
        report(table.path.appending(key), "must be \(expected), got \(node.typeName)")
        return nil
    }
}

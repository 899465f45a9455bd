import Foundation
import LeveeTestSupport
import Testing

@testable import Config

/// Every numeric key, fed values a range check must catch: huge, negative, not finite, wider than an `Int32` and
/// of the wrong type. The keys are found in the shipped configuration files themselves, so a numeric key added to
/// them without a range fails here, as does one whose range `config/levee.example.toml` does not document.
struct RangeFuzzTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The example documents every key; the demo turns on [http], [mqtt] and [uplink], the park example [park].
    static let files = ["config/levee.example.toml", "config/demo.toml", "config/park.example.toml"]

    /// Values no numeric key of Levee takes. TOML spells them all, so each mutated file still parses.
    /// Integers wider than an `Int32` (or a `Duration`'s milliseconds) and floats beyond any range; a string for
    /// the wrong type. Checks are two-sided, so `-1` (added below where it is out of range) covers the low end.
    static let hostile = ["1e300", "9223372036854775807", "-9223372036854775808", "nan", "inf", #""12""#]

    /// Keys that may legitimately be negative: engineering values and their scaling.
    static let signed: Set<String> = ["offset", "limit", "range", "scale", "volume_table", "accident-pool"]

    /// One number in one file: where it is and the key it belongs to.
    struct Site: CustomStringConvertible {
        var file: String
        var line: Int
        var range: Range<String.Index>
        var key: String
        var table: String
        var description: String { "\(file):\(line + 1) \(table) \(key)" }
    }

    /// Every number assigned to a key outside comments, at most two per (table, key) so the test stays quick.
    static func sites(in file: String, text: String, includeComments: Bool = false) -> [Site] {
        var result: [Site] = []
        var seen: [String: Int] = [:]
        var table = ""
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(rawLine)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") {
                // Commented-out settings (`# keepalive_s = 30`) count for the documentation check only.
                let body = trimmed.dropFirst().trimmingCharacters(in: .whitespaces)
                // Only lines that are a setting (`key = value`), not prose that happens to hold an `=`.
                guard includeComments, body.wholeMatch(of: #/[a-z_][A-Za-z0-9_.-]*\s*=\s.*/#) != nil else { continue }
                line = body
            } else if trimmed.hasPrefix("[") {
                table = trimmed
                continue
            }
            for number in numbers(in: line) {
                guard let key = key(before: number.lowerBound, in: line) else { continue }
                let id = "\(file) \(table) \(key)"
                seen[id, default: 0] += 1
                if seen[id]! > 2 { continue }
                result.append(Site(file: file, line: index, range: number, key: key, table: table))
            }
        }
        return result
    }

    /// The ranges of number tokens outside strings and comments.
    static func numbers(in line: String) -> [Range<String.Index>] {
        var result: [Range<String.Index>] = []
        var inString = false
        var i = line.startIndex
        func isWordChar(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "-" || c == "." }
        while i < line.endIndex {
            let c = line[i]
            if c == "\"" {
                inString.toggle()
                i = line.index(after: i)
                continue
            }
            if inString {
                if c == "\\" { i = line.index(after: i) }
                if i < line.endIndex { i = line.index(after: i) }
                continue
            }
            if c == "#" { break }
            let previous = i > line.startIndex ? line[line.index(before: i)] : " "
            if (c.isNumber
                || ((c == "-" || c == "+") && line.index(after: i) < line.endIndex
                    && line[line.index(after: i)].isNumber))
                && !isWordChar(previous)
            {
                var j = line.index(after: i)
                while j < line.endIndex, line[j].isNumber || "._eE+-".contains(line[j]) { j = line.index(after: j) }
                if j == line.endIndex || !(line[j].isLetter || line[j] == ":") {
                    result.append(i..<j)
                }
                i = j
                continue
            }
            i = line.index(after: i)
        }
        return result
    }

    /// The key assigned nearest before `position` (`address` in `{ function = "coil", address = 0 }`).
    static func key(before position: String.Index, in line: String) -> String? {
        let head = line[..<position]
        guard let equals = head.lastIndex(of: "=") else { return nil }
        let name = head[..<equals].trimmingCharacters(in: .whitespaces)
        let key = name.split(whereSeparator: { " {,[".contains($0) }).last.map(String.init) ?? name
        let bare = key.split(separator: ".").last.map(String.init) ?? key
        return bare.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    static func text(_ file: String) throws -> String {
        try String(contentsOf: repository.appendingPathComponent(file), encoding: .utf8)
    }

    /// CPU-bound for tens of seconds: it runs on a thread of its own (`OffPool`), not on the cooperative pool.
    @Test(arguments: files)
    func everyNumericKeyRefusesHostileValuesNamingTheKey(file: String) async throws {
        try await OffPool.run { try Self.refuseHostileValues(file: file) }
    }

    static func refuseHostileValues(file: String) throws {
        let text = try Self.text(file)
        // The file as shipped is valid, so every issue below comes from the one value changed.
        do {
            _ = try ConfigLoader.parse(text, file: file)
        } catch {
            Issue.record("\(file) is not valid as shipped:\n\(error)")
            return
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The other files add only the keys the example leaves commented out, to keep the test quick.
        let example = Self.files[0]
        let covered = file == example ? [] : Set(Self.sites(in: example, text: try Self.text(example)).map(\.key))
        let sites = Self.sites(in: file, text: text).filter { !covered.contains($0.key) }
        #expect(sites.count > (file == example ? 50 : 2), "too few numbers found in \(file): the scanner is broken")
        for site in sites {
            let original = lines[site.line]
            var values = Self.hostile
            // A pool's escalation level is a level too, keyed by the pool's id.
            if !Self.signed.contains(site.key) && !original.contains("pool_high_high") { values.append("-1") }
            for value in values {
                lines[site.line] = original.replacingCharacters(in: site.range, with: value)
                do {
                    _ = try ConfigLoader.parse(lines.joined(separator: "\n"), file: file)
                    Issue.record("\(site) = \(value) was accepted")
                } catch {
                    #expect(
                        error.lines.contains { $0.contains(site.key) }, "\(site) = \(value) gave:\n\(error)")
                }
            }
            lines[site.line] = original
        }
    }

    /// Keys whose numbers sit in an inline table keyed by ids, documented under their parent.
    static let documentedUnder = [
        "readings": "retention_days", "events": "retention_days", "commands": "retention_days",
        "accident-pool": "pool_high_high",
    ]

    /// The documentation of `key` in the example: each comment paragraph that defines or mentions it, from the key
    /// on. A definition (`#   baud   ...`) runs on over its indented continuation lines; a mention in running text
    /// must give the range right after the key.
    /// Definitions come first, since a mention may sit in another key's definition (`raw * scale + offset`).
    static func documentation(of key: String, in lines: [String]) -> [String] {
        var paragraphs: [String] = []
        var mentions: [String] = []
        for (i, line) in lines.enumerated() where line.hasPrefix("#") {
            let words = line.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
            let body = line.dropFirst().trimmingCharacters(in: .whitespaces)
            guard words.contains(Substring(key)), !body.hasPrefix("\(key) ="), let at = line.range(of: key) else {
                continue
            }
            let rest = line[at.upperBound...]
            var paragraph = String(rest.prefix(90))
            let indent = line.dropFirst().prefix { $0 == " " }.count
            guard body.hasPrefix(key + " ") else {
                mentions.append(paragraph)
                continue
            }
            paragraph = String(rest)
            var j = i + 1
            while j < lines.count, lines[j].hasPrefix("#"),
                lines[j].dropFirst().prefix(while: { $0 == " " }).count > indent
            {
                paragraph += lines[j]
                j += 1
            }
            paragraphs.append(paragraph)
        }
        return paragraphs + mentions
    }

    @Test func everyNumericKeyOfTheExampleDocumentsItsRange() async throws {
        try await OffPool.run { try Self.checkEveryKeyDocumentsItsRange() }
    }

    static func checkEveryKeyDocumentsItsRange() throws {
        let file = "config/levee.example.toml"
        let text = try Self.text(file)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let keys = Set(Self.sites(in: file, text: text, includeComments: true).map(\.key))
        #expect(keys.contains("baud") && keys.contains("stroke_margin") && keys.contains("keepalive_s"))
        let marker = try Regex(#"\.\.\.|>=|<=|> 0|one of|0 or 1|7 or 8|1 or 2|divisor"#)
        for key in keys.sorted() {
            let paragraphs = Self.documentation(of: Self.documentedUnder[key] ?? key, in: lines)
            #expect(
                paragraphs.contains { $0.contains(marker) },
                "\(key): config/levee.example.toml documents no range for it")
        }
    }

    /// The documentation and the checks agree: for each key of the example whose documentation gives its range as
    /// `low...high` (or `> 0 and <= high`), the value just outside either end is refused, naming the key.
    @Test func theDocumentedRangesAreTheEnforcedOnes() async throws {
        try await OffPool.run { try Self.checkDocumentedRangesAreEnforced() }
    }

    static func checkDocumentedRangesAreEnforced() throws {
        let file = "config/levee.example.toml"
        let text = try Self.text(file)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let docs = lines
        let span = try Regex(#"(-?[0-9][0-9_]*(?:\.[0-9]+)?)\.\.\.(-?[0-9][0-9_]*(?:\.[0-9]+)?)"#)
        let upTo = try Regex(#"> 0,? and <= ([0-9][0-9_]*(?:\.[0-9]+)?)|> 0, <= ([0-9][0-9_]*(?:\.[0-9]+)?)"#)
        var checked: Set<String> = []
        for site in Self.sites(in: file, text: text) where !checked.contains(site.key) {
            checked.insert(site.key)
            let paragraphs = Self.documentation(of: Self.documentedUnder[site.key] ?? site.key, in: docs)
            var outside: [String] = []
            func number(_ s: Substring?) -> Double? { s.flatMap { Double($0.replacingOccurrences(of: "_", with: "")) } }
            // The first paragraph that gives a range, and in it whichever form comes first.
            for paragraph in paragraphs {
                let a = paragraph.firstMatch(of: span)
                let b = paragraph.firstMatch(of: upTo)
                if let a, b.map({ a.range.lowerBound < $0.range.lowerBound }) ?? true,
                    let low = number(a.output[1].substring), let high = number(a.output[2].substring)
                {
                    outside = [low - 1, high + 1].map(RangeFuzzTests.spell)
                    break
                }
                if let b, let high = number(b.output[1].substring ?? b.output[2].substring) {
                    outside = ["0", RangeFuzzTests.spell(high + 1)]
                    break
                }
            }
            let original = lines[site.line]
            for value in outside {
                lines[site.line] = original.replacingCharacters(in: site.range, with: value)
                do {
                    _ = try ConfigLoader.parse(lines.joined(separator: "\n"), file: file)
                    Issue.record("\(site) = \(value), outside its documented range, was accepted")
                } catch {
                    #expect(error.lines.contains { $0.contains(site.key) }, "\(site) = \(value) gave:\n\(error)")
                }
            }
            lines[site.line] = original
        }
        #expect(checked.count > 40)
    }

    /// A TOML number: whole values as integers (so an integer key gets an integer), others as Swift prints them.
    static func spell(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
    }

    // MARK: The crashes found by the hostile tester

    @Test(arguments: [
        (
            "baud = 9600", "baud = 9223372036854775807",
            "buses.rs485-1.baud 9223372036854775807 is outside 300...4000000"
        ),
        ("baud = 9600", "baud = 2147483648", "buses.rs485-1.baud 2147483648 is outside 300...4000000"),
        ("stroke_margin = 1.5", "stroke_margin = 1e20", #"stroke_margin 1e+20 is outside 1...10"#),
    ])
    func theCrashingValuesAreRefused(original: String, replacement: String, message: String) throws {
        let text = try Self.text("config/levee.example.toml")
        #expect(text.contains(original))
        let mutated = text.replacingOccurrences(of: original, with: replacement)
        do {
            _ = try ConfigLoader.parse(mutated, file: "levee.toml")
            Issue.record("\(replacement) was accepted")
        } catch {
            #expect(error.lines.contains { $0.hasSuffix(message) }, "\(error)")
        }
    }
}

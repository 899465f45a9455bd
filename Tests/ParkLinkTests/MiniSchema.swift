import Foundation

/// A JSON value that keeps booleans apart from numbers (JSONSerialization on Linux does not).
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }
}

/// Just enough of JSON Schema 2020-12 for docs/mqtt-schema.json: local `$ref`, type, const, enum, required,
/// properties, additionalProperties, items, minLength, maxLength, pattern, minimum, anyOf, not, if/then/else.
/// The full check is Python's jsonschema; this one keeps the document and the code from drifting apart.
struct MiniSchema {
    let root: JSONValue

    static func load() throws -> MiniSchema {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/mqtt-schema.json")
        return MiniSchema(root: try JSONValue.parse(Array(try Data(contentsOf: url))))
    }

    /// Problems found validating `bytes` against `#/$defs/<definition>`; empty when valid.
    func validate(_ bytes: [UInt8], as definition: String) throws -> [String] {
        var problems: [String] = []
        check(try JSONValue.parse(bytes), against: .object(["$ref": .string("#/$defs/\(definition)")]), "$", &problems)
        return problems
    }

    private func resolve(_ ref: String) -> JSONValue {
        var node = root
        for part in ref.dropFirst(2).split(separator: "/") {
            guard case .object(let o) = node, let next = o[String(part)] else { fatalError("bad $ref \(ref)") }
            node = next
        }
        return node
    }

    private func check(_ value: JSONValue, against schema: JSONValue, _ path: String, _ problems: inout [String]) {
        guard case .object(let s) = schema else { return }
        if case .string(let ref) = s["$ref"] { check(value, against: resolve(ref), path, &problems) }
        if case .string(let type) = s["type"], !Self.matches(value, type) { problems.append("\(path): not \(type)") }
        if let c = s["const"], c != value { problems.append("\(path): not the constant \(c)") }
        if case .array(let options) = s["enum"], !options.contains(value) {
            problems.append("\(path): \(value) not in enum")
        }
        if case .array(let options) = s["anyOf"] {
            let ok = options.contains { option in
                var p: [String] = []
                check(value, against: option, path, &p)
                return p.isEmpty
            }
            if !ok { problems.append("\(path): matches none of anyOf") }
        }
        if let not = s["not"] {
            var p: [String] = []
            check(value, against: not, path, &p)
            if p.isEmpty { problems.append("\(path): matches a `not`") }
        }
        if let condition = s["if"] {
            var p: [String] = []
            check(value, against: condition, path, &p)
            if p.isEmpty, let then = s["then"] { check(value, against: then, path, &problems) }
            if !p.isEmpty, let otherwise = s["else"] { check(value, against: otherwise, path, &problems) }
        }
        switch value {
        case .object(let o):
            if case .array(let required) = s["required"] {
                for case .string(let k) in required where o[k] == nil { problems.append("\(path): missing \(k)") }
            }
            var declared: [String: JSONValue] = [:]
            if case .object(let props) = s["properties"] { declared = props }
            for (k, v) in o {
                if let sub = declared[k] {
                    check(v, against: sub, "\(path).\(k)", &problems)
                } else if s["additionalProperties"] == .bool(false) {
                    problems.append("\(path): unexpected \(k)")
                }
            }
        case .array(let a):
            if let items = s["items"] {
                for (i, v) in a.enumerated() { check(v, against: items, "\(path)[\(i)]", &problems) }
            }
        case .string(let str):
            if case .number(let n) = s["minLength"], str.count < Int(n) { problems.append("\(path): too short") }
            if case .number(let n) = s["maxLength"], str.count > Int(n) { problems.append("\(path): too long") }
            if case .string(let pattern) = s["pattern"] {
                let regex = try! NSRegularExpression(pattern: pattern)
                if regex.firstMatch(in: str, range: NSRange(str.startIndex..., in: str)) == nil {
                    problems.append("\(path): \"\(str)\" does not match \(pattern)")
                }
            }
        case .number(let n):
            if case .number(let m) = s["minimum"], n < m { problems.append("\(path): below \(m)") }
        default: break
        }
    }

    private static func matches(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
            ("number", .number):
            true
        case ("integer", .number(let n)): n.rounded() == n
        default: false
        }
    }
}

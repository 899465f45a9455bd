import ControlAPI
import Foundation

/// A JSON value as it arrived, so that each field can be checked with a message naming it.
///
/// Decoding straight into a `Decodable` struct would answer a wrong type with a coding path meant for
/// programmers; the control room needs `body: "seconds" must be a number`.
enum JSONValue: Decodable, Sendable, Hashable {
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
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A request body: a JSON object whose fields are read one by one, each mistake naming the field.
struct JSONBody: Sendable {
    let fields: [String: JSONValue]

    /// Parses `data`; an empty body is an empty object, so that routes with only optional fields take none.
    init(_ data: Data) throws(APIError) {
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) {
            fields = [:]
            return
        }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw .badRequest("body: not valid JSON")
        }
        guard case .object(let object) = value else {
            throw .badRequest("body: must be a JSON object, got \(value.typeName)")
        }
        fields = object
    }

    /// A string with something in it other than white space, trimmed.
    func text(_ key: String, required: Bool) throws(APIError) -> String? {
        switch fields[key] {
        case nil, .null?:
            if required { throw .badRequest("body: \"\(key)\" is required") }
            return nil
        case .string(let s)?:
            let trimmed = s.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty {
                if required { throw .badRequest("body: \"\(key)\" must not be empty") }
                return nil
            }
            return trimmed
        case let other?:
            throw .badRequest("body: \"\(key)\" must be a string, got \(other.typeName)")
        }
    }

    /// The reason every action needs: it goes into the journal with the user's name.
    /// A list of non-empty strings (device ids), or nil when absent.
    func texts(_ key: String) throws(APIError) -> [String]? {
        switch fields[key] {
        case nil, .null?: return nil
        case .array(let values)?:
            return try values.map { value throws(APIError) -> String in
                guard case .string(let s) = value, !s.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw .badRequest("body: \"\(key)\" must list non-empty strings, got \(value.typeName)")
                }
                return s.trimmingCharacters(in: .whitespaces)
            }
        case let other?: throw .badRequest("body: \"\(key)\" must be an array of strings, got \(other.typeName)")
        }
    }

    func reason() throws(APIError) -> String {
        try text("reason", required: true)!
    }

    func flag(_ key: String, required: Bool) throws(APIError) -> Bool? {
        switch fields[key] {
        case nil, .null?:
            if required { throw .badRequest("body: \"\(key)\" is required") }
            return nil
        case .bool(let b)?: return b
        case let other?: throw .badRequest("body: \"\(key)\" must be true or false, got \(other.typeName)")
        }
    }

    /// A number of seconds within `range` (one of `RequestLimits`), refused with the field and its range before
    /// anything converts it.
    func seconds(_ key: String, required: Bool, in range: ClosedRange<Double>) throws(APIError) -> Double? {
        switch fields[key] {
        case nil, .null?:
            if required { throw .badRequest("body: \"\(key)\" is required") }
            return nil
        case .number(let d)?:
            switch RequestLimits.check(key, d, in: range) {
            case .success(let seconds): return seconds
            case .failure(let refusal): throw .badRequest("body: \(refusal) seconds")
            }
        case let other?: throw .badRequest("body: \"\(key)\" must be a number of seconds, got \(other.typeName)")
        }
    }

    /// Refuses fields the route does not take, so that a misspelt `overide` is not silently ignored.
    func allowOnly(_ keys: Set<String>) throws(APIError) {
        if let unknown = fields.keys.sorted().first(where: { !keys.contains($0) }) {
            let known = keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            throw .badRequest(
                "body: unknown field \"\(unknown)\" (this request takes \(known.isEmpty ? "none" : known))")
        }
    }
}

import Foundation

/// The JSON conventions of every payload: sorted keys (stable bytes, so unchanged state is recognisable), `ParkTime`
/// for every time, absent keys for absent values (never `null`).
enum ParkJSON {
    /// The only schema version this module writes and reads.
    static let version = 1
    /// A command or payload larger than this is refused before parsing.
    static let maximumPayloadBytes = 256 * 1024

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(ParkTime.format(date))
        }
        return e
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let s = try c.decode(String.self)
            guard let date = ParkTime.parse(s) else {
                throw DecodingError.dataCorruptedError(
                    in: c, debugDescription: "not a time of the form 2024-05-01T08:00:00.123Z: \(s)")
            }
            return date
        }
        return d
    }

    /// Encodes one of this module's payloads. Every Double has been through `finite`, so encoding cannot fail; a
    /// failure is a programming error.
    static func encode<T: Encodable>(_ value: T, with encoder: JSONEncoder) -> [UInt8] {
        do {
            return Array(try encoder.encode(value))
        } catch {
            fatalError("ParkLink: cannot encode \(T.self): \(error)")
        }
    }

    /// A JSON number must be finite: NaN and infinities become absent.
    static func finite(_ x: Double?) -> Double? {
        guard let x, x.isFinite else { return nil }
        return x
    }

    /// Reads `v` and `site` before anything else, so that a payload of a newer version is refused as such rather
    /// than for a field this reader does not know.
    struct Envelope: Decodable {
        var v: Int
        var site: String?
    }

    /// Decodes a payload a peer sent, refusing a version other than 1 and naming the field at fault.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) -> Result<T, PayloadError> {
        guard bytes.count <= maximumPayloadBytes else {
            return .failure(PayloadError(field: nil, "larger than \(maximumPayloadBytes) bytes"))
        }
        let data = Data(bytes)
        let decoder = decoder()
        do {
            let envelope = try decoder.decode(Envelope.self, from: data)
            guard envelope.v == version else {
                return .failure(
                    PayloadError(field: "v", "version \(envelope.v) is not supported (this reader knows 1)"))
            }
            return .success(try decoder.decode(T.self, from: data))
        } catch {
            return .failure(PayloadError(error))
        }
    }
}

/// Why a payload could not be read: the field at fault (a JSON path such as `steps[2].seconds`) and what is wrong.
public struct PayloadError: Error, Hashable, Sendable, CustomStringConvertible {
    public var field: String?
    public var problem: String

    public init(field: String?, _ problem: String) {
        self.field = field
        self.problem = problem
    }

    init(_ error: any Error) {
        guard let error = error as? DecodingError else {
            self.init(field: nil, "not JSON: \(error)")
            return
        }
        func path(_ keys: [any CodingKey]) -> String? {
            var out = ""
            for k in keys {
                if let i = k.intValue {
                    out += "[\(i)]"
                } else {
                    out += out.isEmpty ? k.stringValue : ".\(k.stringValue)"
                }
            }
            return out.isEmpty ? nil : out
        }
        switch error {
        case .keyNotFound(let key, let context):
            self.init(field: path(context.codingPath + [key]), "is missing")
        case .typeMismatch(let type, let context):
            self.init(field: path(context.codingPath), "must be \(Self.jsonType(type))")
        case .valueNotFound(let type, let context):
            self.init(field: path(context.codingPath), "must be \(Self.jsonType(type)), not null")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                self.init(field: nil, "not valid JSON")
            } else {
                self.init(field: path(context.codingPath), context.debugDescription)
            }
        @unknown default:
            self.init(field: nil, "\(error)")
        }
    }

    static func jsonType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is Date.Type: "a time string"
        default: "\(type)".hasPrefix("Array") ? "an array" : "an object"
        }
    }

    public var description: String { field.map { "field \"\($0)\" \(problem)" } ?? problem }
}

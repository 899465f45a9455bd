import TOMLKit

/// A parsed TOML value as a plain Swift value tree.
///
/// TOMLKit's `TOMLTable` is a non-Sendable class over a toml++ pointer. The loader converts it into this tree at
/// once, in one place, so that validation is pure value code that never touches the C++ document.
enum TOMLNode: Sendable, Hashable {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    /// A date, time or date-time, kept as its TOML text: no Levee key takes one, so it is only ever reported.
    case dateTime(String)
    case array([TOMLNode])
    case table([String: TOMLNode])

    /// The type's name as used in "must be ..., got <name>" messages.
    var typeName: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .float: "float"
        case .boolean: "boolean"
        case .dateTime: "date-time"
        case .array: "array"
        case .table: "table"
        }
    }
}

extension TOMLNode {
    /// Parses TOML text into a node tree.
    ///
    /// - Throws: `TOMLSyntaxError` naming the line and column of a syntax error, as toml++ reports it.
    static func parse(_ text: String) throws(TOMLSyntaxError) -> [String: TOMLNode] {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw TOMLSyntaxError(
                issue: ConfigIssue(
                    keyPath: "line \(error.source.begin.line), column \(error.source.begin.column)",
                    message: "TOML syntax error: \(error.description)",
                    isTableWide: true
                )
            )
        } catch {
            throw TOMLSyntaxError(issue: ConfigIssue(keyPath: "", message: "TOML syntax error: \(error)"))
        }
        return convert(table)
    }

    private static func convert(_ table: TOMLTable) -> [String: TOMLNode] {
        var result: [String: TOMLNode] = [:]
        for (key, value) in table {
            result[key] = convert(value)
        }
        return result
    }

    private static func convert(_ value: any TOMLValueConvertible) -> TOMLNode {
        switch value.type {
        case .string: return .string(value.string ?? "")
        case .int: return .integer(value.int ?? 0)
        case .double: return .float(value.double ?? .nan)
        case .bool: return .boolean(value.bool ?? false)
        case .date, .time, .dateTime: return .dateTime(value.debugDescription)
        case .array: return .array(value.array.map { $0.map(convert) } ?? [])
        case .table: return .table(value.table.map(convert) ?? [:])
        }
    }
}

/// A document toml++ could not parse; the issue names the line and column.
struct TOMLSyntaxError: Error {
    var issue: ConfigIssue
}

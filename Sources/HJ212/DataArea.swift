/// One `key=value` field of the data area, such as `w01018-Rtd=1.1`.
public struct DataField: Hashable, Sendable, CustomStringConvertible {
    public var key: String
    public var value: String

    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }

    public var description: String { key + "=" + value }
}

/// The data area, `CP=&&...&&`: ordered groups of ordered fields.
///
/// Groups are separated by `;` and the fields of a group by `,`, so
/// `DataTime=20210305003817;w01018-Rtd=1.1,w01018-Flag=N;w00000-Rtd=3` is three groups: the time, then one group per
/// factor. Order is kept exactly as given, both ways.
public struct DataArea: Hashable, Sendable, CustomStringConvertible {
    public var groups: [[DataField]]

    public init(_ groups: [[DataField]] = []) {
        self.groups = groups
    }

    /// A data area of one field per group, in order: `DataArea(["QnRtn": "1"])`-like calls with an ordered list.
    public init(fields: [(String, String)]) {
        groups = fields.map { [DataField($0.0, $0.1)] }
    }

    /// The value of the first field named `key`, in any group.
    public subscript(key: String) -> String? {
        for group in groups {
            for field in group where field.key == key { return field.value }
        }
        return nil
    }

    /// Every field, group after group.
    public var fields: [DataField] { groups.flatMap { $0 } }

    /// The text between `CP=&&` and the closing `&&`.
    public var text: String {
        groups.map { group in group.map(\.description).joined(separator: ",") }.joined(separator: ";")
    }

    public var description: String { text }

    /// Parses the text between `CP=&&` and `&&`.
    /// - Throws: ``FrameError/badDataArea(_:)`` for an empty group or field, a field without `=`, an empty key, or a
    ///   character a field may not hold.
    public static func parse(_ text: Substring) throws(FrameError) -> DataArea {
        guard !text.isEmpty else { return DataArea() }
        var groups: [[DataField]] = []
        for (g, groupText) in text.split(separator: ";", omittingEmptySubsequences: false).enumerated() {
            guard !groupText.isEmpty else { throw .badDataArea("group \(g + 1) is empty (\";;\" or a stray \";\")") }
            var group: [DataField] = []
            for fieldText in groupText.split(separator: ",", omittingEmptySubsequences: false) {
                guard !fieldText.isEmpty else {
                    throw .badDataArea("group \(g + 1) has an empty field (\",,\" or a stray \",\")")
                }
                guard let equals = fieldText.firstIndex(of: "=") else {
                    throw .badDataArea("field \"\(fieldText)\" has no \"=\"")
                }
                let field = DataField(
                    String(fieldText[..<equals]), String(fieldText[fieldText.index(after: equals)...]))
                try field.validate()
                group.append(field)
            }
            groups.append(group)
        }
        return DataArea(groups)
    }

    func validate() throws(FrameError) {
        for (g, group) in groups.enumerated() {
            guard !group.isEmpty else { throw .badDataArea("group \(g + 1) is empty") }
            for field in group { try field.validate() }
        }
    }
}

extension DataField {
    func validate() throws(FrameError) {
        guard !key.isEmpty else { throw .badDataArea("a field has an empty name (\"=\(value)\")") }
        if let bad = key.utf8.first(where: { !Self.allowed($0) }) {
            throw .badDataArea("field name \"\(key)\" holds \(FrameError.show(bad)), which a field may not hold")
        }
        if let bad = value.utf8.first(where: { !Self.allowed($0) }) {
            throw .badDataArea(
                "field \(key) value \"\(value)\" holds \(FrameError.show(bad)), which a field may not hold")
        }
    }

    /// Printable ASCII except the data area's separators `;`, `,`, `=` and `&`.
    static func allowed(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: ";") && byte != UInt8(ascii: ",")
            && byte != UInt8(ascii: "=") && byte != UInt8(ascii: "&")
    }
}

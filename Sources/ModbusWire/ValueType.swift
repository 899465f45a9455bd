/// How a value is laid out in one or more 16-bit registers, or in one bit.
public enum ValueType: Sendable, Hashable, CustomStringConvertible {
    /// A coil or discrete input.
    case bool
    /// Bit `n` (0 = least significant) of a holding or input register.
    case bit(Int)
    case int16
    case uint16
    case int32
    case uint32
    case float32

    /// Registers the value occupies (1 for a bit table's bool too: one bit).
    public var registerCount: Int {
        switch self {
        case .bool, .bit, .int16, .uint16: 1
        case .int32, .uint32, .float32: 2
        }
    }

    /// Whether the value spans two registers and so needs a word order.
    public var needsWordOrder: Bool { registerCount == 2 }

    public var description: String {
        switch self {
        case .bool: "bool"
        case .bit(let n): "bit \(n)"
        case .int16: "int16"
        case .uint16: "uint16"
        case .int32: "int32"
        case .uint32: "uint32"
        case .float32: "float32"
        }
    }

    /// The configuration spelling of the type name, without the bit number.
    public var name: String {
        switch self {
        case .bool: "bool"
        case .bit: "bit"
        case .int16: "int16"
        case .uint16: "uint16"
        case .int32: "int32"
        case .uint32: "uint32"
        case .float32: "float32"
        }
    }
}

/// Byte order of a 32-bit value across two registers. Letters name the bytes of the big-endian value A B C D
/// (A most significant) in the order they appear on the wire: register N first, high byte first.
///
/// - `ABCD`: big-endian, the Modbus spec's own order (register N = A B, register N+1 = C D).
/// - `CDAB`: word swap, common on PLCs (register N = C D, register N+1 = A B).
/// - `BADC`: byte swap within each word (register N = B A, register N+1 = D C).
/// - `DCBA`: fully little-endian (register N = D C, register N+1 = B A).
public enum WordOrder: String, Sendable, Hashable, CaseIterable, Codable {
    case abcd = "ABCD"
    case cdab = "CDAB"
    case badc = "BADC"
    case dcba = "DCBA"
}

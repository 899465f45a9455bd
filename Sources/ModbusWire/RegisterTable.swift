/// The four Modbus data tables. Addresses in Levee are always the 0-based PDU address that goes on the wire
/// (what the Modbus spec calls the "address"), never the 1-based "register number" such as 40001.
public enum RegisterTable: String, Sendable, Hashable, CaseIterable, Codable {
    case coil = "coil"
    case discreteInput = "discrete-input"
    case holdingRegister = "holding"
    case inputRegister = "input"

    /// True for the single-bit tables (coils and discrete inputs).
    public var isBitTable: Bool { self == .coil || self == .discreteInput }

    /// Whether a master may write this table.
    public var isWritable: Bool { self == .coil || self == .holdingRegister }

    /// The read function code for this table (Modbus Application Protocol v1.1b3, section 6).
    public var readFunction: UInt8 {
        switch self {
        case .coil: 0x01
        case .discreteInput: 0x02
        case .holdingRegister: 0x03
        case .inputRegister: 0x04
        }
    }

    /// The largest quantity one read request may carry: 2000 bits or 125 registers (spec sections 6.1-6.4).
    public var maxReadQuantity: Int { isBitTable ? 2000 : 125 }
}

/// Modbus exception codes (spec section 7).
public enum ModbusExceptionCode: UInt8, Sendable, Hashable, CustomStringConvertible {
    case illegalFunction = 0x01
    case illegalDataAddress = 0x02
    case illegalDataValue = 0x03
    case serverDeviceFailure = 0x04
    case acknowledge = 0x05
    case serverDeviceBusy = 0x06
    case memoryParityError = 0x08
    case gatewayPathUnavailable = 0x0A
    case gatewayTargetFailedToRespond = 0x0B

    public var description: String {
        switch self {
        case .illegalFunction: "illegal function"
        case .illegalDataAddress: "illegal data address"
        case .illegalDataValue: "illegal data value"
        case .serverDeviceFailure: "server device failure"
        case .acknowledge: "acknowledge"
        case .serverDeviceBusy: "server device busy"
        case .memoryParityError: "memory parity error"
        case .gatewayPathUnavailable: "gateway path unavailable"
        case .gatewayTargetFailedToRespond: "gateway target device failed to respond"
        }
    }

    /// True where the reply means "this request can never work" (a register map mistake), rather than a passing fault.
    public var meansBadConfiguration: Bool {
        self == .illegalFunction || self == .illegalDataAddress || self == .illegalDataValue
    }
}

// Request and response PDUs, the Modbus TCP MBAP header and the RTU ADU, for the server side of the protocol.
// Pure byte arithmetic: no I/O. References are to "MODBUS Application Protocol Specification V1.1b3" (the
// application spec), "MODBUS Messaging on TCP/IP Implementation Guide V1.0b" (the TCP guide) and "MODBUS over
// Serial Line Specification and Implementation Guide V1.02" (the serial spec).

/// A server throws the exception code it will send back; the request parser does the same.
extension ModbusExceptionCode: Error {}

/// The function codes Levee speaks (application spec, section 6).
public enum ModbusFunction {
    public static let readCoils: UInt8 = 0x01
    public static let readDiscreteInputs: UInt8 = 0x02
    public static let readHoldingRegisters: UInt8 = 0x03
    public static let readInputRegisters: UInt8 = 0x04
    public static let writeSingleCoil: UInt8 = 0x05
    public static let writeSingleRegister: UInt8 = 0x06
    public static let writeMultipleCoils: UInt8 = 0x0F
    public static let writeMultipleRegisters: UInt8 = 0x10
}

/// One parsed request PDU. Addresses are 0-based PDU addresses.
public enum ModbusRequest: Sendable, Hashable {
    /// A read of `count` items of `table` starting at `address` (function codes 0x01-0x04).
    case read(RegisterTable, address: UInt16, count: UInt16)
    /// Function 0x05; the wire value is 0xFF00 for true and 0x0000 for false.
    case writeSingleCoil(address: UInt16, value: Bool)
    /// Function 0x06.
    case writeSingleRegister(address: UInt16, value: UInt16)
    /// Function 0x0F.
    case writeMultipleCoils(address: UInt16, values: [Bool])
    /// Function 0x10.
    case writeMultipleRegisters(address: UInt16, values: [UInt16])

    /// The largest quantities a request may carry (application spec, sections 6.11 and 6.12).
    public static let maxWriteCoils = 1968
    public static let maxWriteRegisters = 123

    public var functionCode: UInt8 {
        switch self {
        case .read(let table, _, _): table.readFunction
        case .writeSingleCoil: ModbusFunction.writeSingleCoil
        case .writeSingleRegister: ModbusFunction.writeSingleRegister
        case .writeMultipleCoils: ModbusFunction.writeMultipleCoils
        case .writeMultipleRegisters: ModbusFunction.writeMultipleRegisters
        }
    }

    public var isWrite: Bool {
        if case .read = self { return false }
        return true
    }

    /// The table the request touches.
    public var table: RegisterTable {
        switch self {
        case .read(let table, _, _): table
        case .writeSingleCoil, .writeMultipleCoils: .coil
        case .writeSingleRegister, .writeMultipleRegisters: .holdingRegister
        }
    }

    /// The first address the request touches.
    public var address: UInt16 {
        switch self {
        case .read(_, let address, _), .writeSingleCoil(let address, _), .writeSingleRegister(let address, _),
            .writeMultipleCoils(let address, _), .writeMultipleRegisters(let address, _):
            address
        }
    }

    /// Parses a request PDU (function code first, no unit id, no CRC).
    ///
    /// Checks follow the order of the application spec's state diagrams (figures 12-21): an unsupported function
    /// code gives `illegalFunction`; a bad quantity, byte count, coil value or a PDU of the wrong length gives
    /// `illegalDataValue`; a range running past address 65535 gives `illegalDataAddress`. Whether the addresses
    /// exist is the device's business, not the codec's.
    /// - Throws: the `ModbusExceptionCode` a server must answer with.
    public static func parse<C: Collection<UInt8>>(pdu: C) throws(ModbusExceptionCode) -> ModbusRequest {
        let b = Array(pdu)
        guard let function = b.first else { throw .illegalFunction }
        func word(_ i: Int) -> UInt16 { UInt16(b[i]) << 8 | UInt16(b[i + 1]) }
        func checkRange(_ address: UInt16, _ count: Int) throws(ModbusExceptionCode) {
            if Int(address) + count > 0x1_0000 { throw .illegalDataAddress }
        }

        switch function {
        case 0x01...0x04:
            guard b.count == 5 else { throw .illegalDataValue }
            let table: RegisterTable = [.coil, .discreteInput, .holdingRegister, .inputRegister][Int(function) - 1]
            let address = word(1)
            let count = word(3)
            guard (1...table.maxReadQuantity).contains(Int(count)) else { throw .illegalDataValue }
            try checkRange(address, Int(count))
            return .read(table, address: address, count: count)

        case ModbusFunction.writeSingleCoil:
            guard b.count == 5 else { throw .illegalDataValue }
            switch word(3) {
            case 0xFF00: return .writeSingleCoil(address: word(1), value: true)
            case 0x0000: return .writeSingleCoil(address: word(1), value: false)
            default: throw .illegalDataValue
            }

        case ModbusFunction.writeSingleRegister:
            guard b.count == 5 else { throw .illegalDataValue }
            return .writeSingleRegister(address: word(1), value: word(3))

        case ModbusFunction.writeMultipleCoils:
            guard b.count >= 6 else { throw .illegalDataValue }
            let address = word(1)
            let count = Int(word(3))
            let byteCount = Int(b[5])
            guard (1...maxWriteCoils).contains(count), byteCount == (count + 7) / 8, b.count == 6 + byteCount else {
                throw .illegalDataValue
            }
            try checkRange(address, count)
            let values = (0..<count).map { i in (b[6 + i / 8] >> UInt8(i % 8)) & 1 == 1 }
            return .writeMultipleCoils(address: address, values: values)

        case ModbusFunction.writeMultipleRegisters:
            guard b.count >= 6 else { throw .illegalDataValue }
            let address = word(1)
            let count = Int(word(3))
            let byteCount = Int(b[5])
            guard (1...maxWriteRegisters).contains(count), byteCount == count * 2, b.count == 6 + byteCount else {
                throw .illegalDataValue
            }
            try checkRange(address, count)
            return .writeMultipleRegisters(address: address, values: (0..<count).map { word(6 + 2 * $0) })

        default:
            throw .illegalFunction
        }
    }

    /// The request encoded as a PDU; `parse(pdu:)` of the result gives the request back.
    public var pdu: [UInt8] {
        switch self {
        case .read(let table, let address, let count):
            return [table.readFunction] + address.bigEndianBytes + count.bigEndianBytes
        case .writeSingleCoil(let address, let value):
            return [functionCode] + address.bigEndianBytes + (value ? [0xFF, 0x00] : [0x00, 0x00])
        case .writeSingleRegister(let address, let value):
            return [functionCode] + address.bigEndianBytes + value.bigEndianBytes
        case .writeMultipleCoils(let address, let values):
            let packed = ModbusResponse.packBits(values)
            return [functionCode] + address.bigEndianBytes + UInt16(values.count).bigEndianBytes
                + [UInt8(packed.count)] + packed
        case .writeMultipleRegisters(let address, let values):
            return [functionCode] + address.bigEndianBytes + UInt16(values.count).bigEndianBytes
                + [UInt8(values.count * 2)] + values.flatMap(\.bigEndianBytes)
        }
    }
}

/// A response PDU a server sends.
public enum ModbusResponse: Sendable, Hashable {
    /// Reply to a coil or discrete-input read: the bits, packed LSB first (application spec, section 6.1).
    case bits(function: UInt8, [Bool])
    /// Reply to a holding or input register read.
    case registers(function: UInt8, [UInt16])
    /// Echo of a write-single request (0x05 or 0x06): address and the value as sent on the wire.
    case writeSingle(function: UInt8, address: UInt16, value: UInt16)
    /// Reply to a write-multiple request (0x0F or 0x10): address and quantity written.
    case writeMultiple(function: UInt8, address: UInt16, count: UInt16)
    /// Exception reply: function code with bit 7 set, then the exception code (application spec, section 7).
    case exception(function: UInt8, ModbusExceptionCode)

    /// The normal reply to `request`, given the values read (`readValues` is ignored for writes).
    /// Bits are passed as 0 or non-zero words.
    public static func success(to request: ModbusRequest, readValues: [UInt16] = []) -> ModbusResponse {
        switch request {
        case .read(let table, _, _):
            return table.isBitTable
                ? .bits(function: table.readFunction, readValues.map { $0 != 0 })
                : .registers(function: table.readFunction, readValues)
        case .writeSingleCoil(let address, let value):
            return .writeSingle(function: request.functionCode, address: address, value: value ? 0xFF00 : 0)
        case .writeSingleRegister(let address, let value):
            return .writeSingle(function: request.functionCode, address: address, value: value)
        case .writeMultipleCoils(let address, let values):
            return .writeMultiple(function: request.functionCode, address: address, count: UInt16(values.count))
        case .writeMultipleRegisters(let address, let values):
            return .writeMultiple(function: request.functionCode, address: address, count: UInt16(values.count))
        }
    }

    public var pdu: [UInt8] {
        switch self {
        case .bits(let function, let bits):
            let packed = Self.packBits(bits)
            return [function, UInt8(packed.count)] + packed
        case .registers(let function, let registers):
            return [function, UInt8(registers.count * 2)] + registers.flatMap(\.bigEndianBytes)
        case .writeSingle(let function, let address, let value):
            return [function] + address.bigEndianBytes + value.bigEndianBytes
        case .writeMultiple(let function, let address, let count):
            return [function] + address.bigEndianBytes + count.bigEndianBytes
        case .exception(let function, let code):
            return [function | 0x80, code.rawValue]
        }
    }

    /// Packs bits eight to a byte, first bit in the least significant position, the last byte zero-padded.
    public static func packBits(_ bits: [Bool]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: (bits.count + 7) / 8)
        for (i, bit) in bits.enumerated() where bit {
            bytes[i / 8] |= 1 << UInt8(i % 8)
        }
        return bytes
    }
}

/// A frame that cannot be taken apart: the server drops it without a reply.
public enum ModbusFrameError: Error, Sendable, Hashable, CustomStringConvertible {
    case tooShort(Int)
    /// The MBAP protocol identifier was not 0 (TCP guide, section 3.1.3).
    case badProtocol(UInt16)
    /// The MBAP length field is outside 2...254 (unit id plus a PDU of 1...253 bytes).
    case badLength(Int)
    case badCRC(expected: UInt16, received: UInt16)

    public var description: String {
        switch self {
        case .tooShort(let n): "frame too short (\(n) bytes)"
        case .badProtocol(let p): "MBAP protocol identifier \(p), expected 0"
        case .badLength(let n): "MBAP length \(n) outside 2...254"
        case .badCRC(let e, let r):
            "CRC mismatch: computed 0x\(String(e, radix: 16)), received 0x\(String(r, radix: 16))"
        }
    }
}

/// The 7-byte Modbus TCP header (TCP guide, section 3.1.3).
public struct MBAPHeader: Sendable, Hashable {
    public static let size = 7
    /// The largest PDU: 253 bytes, inherited from the 256-byte serial ADU (application spec, section 4.1).
    public static let maxPDUSize = 253

    public var transactionID: UInt16
    public var protocolID: UInt16
    /// Bytes that follow the length field: the unit id plus the PDU.
    public var length: UInt16
    public var unitID: UInt8

    public init(transactionID: UInt16, unitID: UInt8, pduLength: Int) {
        self.transactionID = transactionID
        self.protocolID = 0
        self.length = UInt16(pduLength + 1)
        self.unitID = unitID
    }

    /// Bytes of PDU that follow the header.
    public var pduLength: Int { Int(length) - 1 }

    public var bytes: [UInt8] {
        transactionID.bigEndianBytes + protocolID.bigEndianBytes + length.bigEndianBytes + [unitID]
    }

    /// Parses the first seven bytes of `bytes`.
    /// - Throws: `ModbusFrameError` for a short buffer, a protocol id other than 0, or an impossible length.
    public static func parse<C: Collection<UInt8>>(_ bytes: C) throws(ModbusFrameError) -> MBAPHeader {
        let b = Array(bytes.prefix(size))
        guard b.count == size else { throw .tooShort(b.count) }
        let protocolID = UInt16(b[2]) << 8 | UInt16(b[3])
        guard protocolID == 0 else { throw .badProtocol(protocolID) }
        let length = Int(UInt16(b[4]) << 8 | UInt16(b[5]))
        guard (2...maxPDUSize + 1).contains(length) else { throw .badLength(length) }
        var header = MBAPHeader(transactionID: UInt16(b[0]) << 8 | UInt16(b[1]), unitID: b[6], pduLength: length - 1)
        header.protocolID = protocolID
        return header
    }

    /// A whole TCP ADU: header then PDU.
    public static func frame(transactionID: UInt16, unitID: UInt8, pdu: [UInt8]) -> [UInt8] {
        MBAPHeader(transactionID: transactionID, unitID: unitID, pduLength: pdu.count).bytes + pdu
    }
}

/// The Modbus RTU ADU: unit address, PDU, CRC-16 low byte first (serial spec, section 2.5.1).
public enum RTUFrame {
    /// Address 0 is the broadcast address: every server executes the write and none replies (serial spec 2.2).
    public static let broadcastUnit: UInt8 = 0

    public static func encode(unit: UInt8, pdu: [UInt8]) -> [UInt8] {
        let body = [unit] + pdu
        let crc = CRC16.modbus(body)
        return body + [UInt8(crc & 0xFF), UInt8(crc >> 8)]
    }

    /// Checks the CRC of a whole ADU and splits it.
    /// - Throws: `ModbusFrameError.tooShort` below 4 bytes, `.badCRC` on a mismatch.
    public static func verify<C: Collection<UInt8>>(_ adu: C) throws(ModbusFrameError) -> (unit: UInt8, pdu: [UInt8]) {
        let b = Array(adu)
        guard b.count >= 4 else { throw .tooShort(b.count) }
        let expected = CRC16.modbus(b[..<(b.count - 2)])
        let received = UInt16(b[b.count - 2]) | UInt16(b[b.count - 1]) << 8
        guard expected == received else { throw .badCRC(expected: expected, received: received) }
        return (b[0], Array(b[1..<(b.count - 2)]))
    }

    /// What the bytes received so far on an RTU line say about the length of the request frame they start.
    ///
    /// A real line ends a frame with 3.5 silent character times; a pseudo-terminal has no silence, so a server
    /// on one must frame requests by their function code instead.
    public enum Length: Sendable, Hashable {
        /// Too few bytes to tell the length yet.
        case needMore
        /// The frame is this many bytes long, CRC included (more than may have arrived yet).
        case bytes(Int)
        /// A function code whose request length this codec does not know; fall back to waiting for silence.
        case unknown
    }

    /// The length of the request frame that `received` starts with.
    public static func requestLength<C: Collection<UInt8>>(_ received: C) -> Length {
        let b = Array(received.prefix(7))
        guard b.count >= 2 else { return .needMore }
        switch b[1] {
        case 0x01...0x06:
            return .bytes(8)  // unit, function, address, quantity or value, CRC
        case 0x07, 0x0B, 0x0C, 0x11:
            return .bytes(4)  // unit, function, CRC
        case 0x08:
            return .bytes(8)  // diagnostics: sub-function and one data word
        case 0x0F, 0x10:
            guard b.count >= 7 else { return .needMore }
            return .bytes(9 + Int(b[6]))  // unit, function, address, quantity, byte count, data, CRC
        case 0x16:
            return .bytes(10)  // mask write: address, AND mask, OR mask
        case 0x17:
            let all = Array(received.prefix(11))
            guard all.count >= 11 else { return .needMore }
            return .bytes(13 + Int(all[10]))
        default:
            return .unknown
        }
    }
}

extension UInt16 {
    /// High byte first, as every Modbus field is sent.
    @inlinable public var bigEndianBytes: [UInt8] { [UInt8(self >> 8), UInt8(self & 0xFF)] }
}

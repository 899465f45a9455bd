// The client side of a transaction: what a reply must be before any of it is decoded into a value.
// References as in PDU.swift: the application spec (V1.1b3), the TCP guide (V1.0b), the serial spec (V1.02).

/// A reply that passed every check: the values read, a write's acknowledgement, or a Modbus exception.
public enum ModbusReply: Sendable, Hashable {
    /// A read's items, one word each (0 or 1 for bits), exactly as many as the request asked for.
    case values([UInt16])
    /// A write the server echoed or acknowledged exactly as it was sent.
    case written
    /// An exception reply (application spec, section 7); 0x0A and 0x0B come from a gateway on the unit's behalf.
    case exception(UInt8)
}

/// Why a reply was refused, in the words the log and the device's status show.
public enum ReplyFault: Error, Sendable, Hashable, CustomStringConvertible {
    /// The MBAP transaction id is not the one of the request on the wire (TCP guide, section 3.1.3).
    case transaction(got: UInt16, expected: UInt16)
    /// The MBAP protocol id is not 0, so the frame is not Modbus (TCP guide, section 3.1.3).
    case protocolID(UInt16)
    /// The MBAP length field cannot be a Modbus frame: below 2 or above 254 (unit id plus 1...253 bytes of PDU).
    case impossibleLength(Int)
    /// The MBAP length disagrees with what the PDU itself says its size is (function code, byte count).
    case lengthMismatch(mbap: Int, pdu: Int)
    /// The unit id (TCP) or slave address (RTU) is not the request's.
    case unit(got: UInt8, expected: UInt8)
    /// The function code is neither the request's nor its exception code (request's code + 0x80).
    case function(got: UInt8, expected: UInt8)
    /// A read reply's byte count is not what the request's quantity implies (application spec, sections 6.1-6.4).
    case byteCount(got: Int, quantity: Int, bits: Bool)
    /// A write reply's echo (address, value or quantity) is not what was written (application spec, 6.5-6.12).
    case echo(field: String, got: UInt16, expected: UInt16)
    /// An exception code outside those the application spec defines.
    case unknownException(UInt8)
    /// The frame ended before its header or PDU did.
    case truncated(have: Int, need: Int)
    /// The RTU CRC does not match the frame (serial spec, section 2.5.1.2).
    case crc(computed: UInt16, received: UInt16)
    /// More bytes arrived that do not start a frame than one frame can hold.
    case garbage(Int)
    /// Bytes already on a serial line before a request was sent: a late reply or noise, never this request's answer.
    case stale(Int)

    public var description: String {
        switch self {
        case .transaction(let got, let expected): "reply for transaction \(got) while waiting for \(expected)"
        case .protocolID(let p): "protocol id \(p)"
        case .impossibleLength(let n): "MBAP length \(n) outside 2...254"
        case .lengthMismatch(let mbap, let pdu): "MBAP length \(mbap) for a \(pdu)-byte PDU"
        case .unit(let got, let expected): "unit \(got) answered for unit \(expected)"
        case .function(let got, let expected): "function code \(Self.hex(got)) in reply to \(Self.hex(expected))"
        case .byteCount(let got, let quantity, let bits):
            "byte count \(got) for \(quantity) \(bits ? (quantity == 1 ? "bit" : "bits") : (quantity == 1 ? "register" : "registers"))"
        case .echo(let field, let got, let expected): "write echo \(field) \(got), wrote \(expected)"
        case .unknownException(let code): "exception code \(code), which the Modbus spec does not define"
        case .truncated(let have, let need): "truncated reply: \(have) of \(need) bytes"
        case .crc(let computed, let received):
            "CRC 0x\(String(received, radix: 16)), computed 0x\(String(computed, radix: 16))"
        case .garbage(let n): "\(n) bytes that start no frame"
        case .stale(let n): "\(n) bytes on the line before the request (a late reply or noise)"
        }
    }

    /// True when the fault leaves the byte stream's frame boundaries in doubt, so that the next frame cannot be
    /// found with confidence: the connection must be reopened rather than read on.
    public var breaksFraming: Bool {
        switch self {
        case .impossibleLength, .lengthMismatch, .truncated, .garbage: true
        default: false
        }
    }

    private static func hex(_ b: UInt8) -> String {
        "0x" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
    }
}

extension ModbusRequest {
    /// The size of the normal reply's PDU: function code, byte count and data for a read; the 4-byte echo for a
    /// write (application spec, sections 6.1-6.12).
    public var replyPDULength: Int {
        switch self {
        case .read(let table, _, let count):
            2 + (table.isBitTable ? (Int(count) + 7) / 8 : Int(count) * 2)
        default: 5
        }
    }

    /// Checks a reply PDU (function code first; no unit id, MBAP or CRC) against this request and decodes it.
    ///
    /// Every check runs before any byte is taken as a value: the function code is the request's or its exception
    /// code, an exception PDU is two bytes, a read's byte count is what the quantity implies and the PDU is exactly
    /// that long, a write's echo is what was written.
    /// - Throws: the `ReplyFault` that refuses the reply.
    public func check(reply pdu: [UInt8]) throws(ReplyFault) -> ModbusReply {
        guard let function = pdu.first else { throw .truncated(have: 0, need: replyPDULength) }
        func byte(_ i: Int) -> UInt8 { pdu[i] }
        func word(_ i: Int) -> UInt16 { UInt16(byte(i)) << 8 | UInt16(byte(i + 1)) }

        if function == functionCode | 0x80 {
            guard pdu.count == 2 else { throw .lengthMismatch(mbap: pdu.count + 1, pdu: 2) }
            let code = byte(1)
            guard ModbusExceptionCode(rawValue: code) != nil else { throw .unknownException(code) }
            return .exception(code)
        }
        guard function == functionCode else { throw .function(got: function, expected: functionCode) }

        switch self {
        case .read(let table, _, let count):
            guard pdu.count >= 2 else { throw .truncated(have: pdu.count, need: replyPDULength) }
            let byteCount = Int(byte(1))
            // The byte count frames the data, so a PDU whose size disagrees with it cannot be read at all; a
            // consistent frame with the wrong count is a whole, wrong answer.
            guard pdu.count == 2 + byteCount else { throw .lengthMismatch(mbap: pdu.count + 1, pdu: 2 + byteCount) }
            guard byteCount == replyPDULength - 2 else {
                throw .byteCount(got: byteCount, quantity: Int(count), bits: table.isBitTable)
            }
            if table.isBitTable {
                return .values((0..<Int(count)).map { i in UInt16((byte(2 + i / 8) >> UInt8(i % 8)) & 1) })
            }
            return .values((0..<Int(count)).map { word(2 + 2 * $0) })

        case .writeSingleCoil(let address, let value):
            try checkEcho(pdu, word, address: address, second: ("value", value ? 0xFF00 : 0))
        case .writeSingleRegister(let address, let value):
            try checkEcho(pdu, word, address: address, second: ("value", value))
        case .writeMultipleCoils(let address, let values):
            try checkEcho(pdu, word, address: address, second: ("quantity", UInt16(values.count)))
        case .writeMultipleRegisters(let address, let values):
            try checkEcho(pdu, word, address: address, second: ("quantity", UInt16(values.count)))
        }
        return .written
    }

    private func checkEcho(
        _ pdu: [UInt8], _ word: (Int) -> UInt16, address: UInt16, second: (String, UInt16)
    ) throws(ReplyFault) {
        guard pdu.count == 5 else { throw .lengthMismatch(mbap: pdu.count + 1, pdu: 5) }
        guard word(1) == address else { throw .echo(field: "address", got: word(1), expected: address) }
        guard word(3) == second.1 else { throw .echo(field: second.0, got: word(3), expected: second.1) }
    }
}

/// Takes Modbus TCP frames out of a byte stream by their MBAP length (TCP guide, section 4.3.1.3): the only framing
/// TCP has. Pure: the client feeds it what `recv` returned and asks for frames.
public struct MBAPStream: Sendable {
    public private(set) var buffer: [UInt8] = []
    private var start = 0

    /// One whole frame: its header and PDU.
    public struct Frame: Sendable, Hashable {
        public var transactionID: UInt16
        public var protocolID: UInt16
        public var unitID: UInt8
        public var pdu: [UInt8]
    }

    public init() {}

    /// Bytes received and not yet taken as a frame.
    public var pending: Int { buffer.count - start }

    public mutating func append<C: Collection<UInt8>>(_ bytes: C) {
        if start > 0 && (start == buffer.count || start > 4096) {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The transaction id of the frame at the head of the stream, once two bytes of it are here.
    public var headTransactionID: UInt16? {
        pending >= 2 ? UInt16(buffer[start]) << 8 | UInt16(buffer[start + 1]) : nil
    }

    /// The size of the frame at the head of the stream, header included, once its length field is here.
    public var headFrameSize: Int? {
        pending >= 6 ? 6 + Int(UInt16(buffer[start + 4]) << 8 | UInt16(buffer[start + 5])) : nil
    }

    /// The next whole frame, nil if it has not all arrived.
    /// - Throws: `.impossibleLength` when the header's length field cannot be a Modbus frame, so the stream can no
    ///   longer be framed.
    public mutating func next() throws(ReplyFault) -> Frame? {
        guard pending >= 6 else { return nil }
        let b = buffer
        let length = Int(UInt16(b[start + 4]) << 8 | UInt16(b[start + 5]))
        guard (2...MBAPHeader.maxPDUSize + 1).contains(length) else { throw .impossibleLength(length) }
        guard pending >= 6 + length else { return nil }
        let frame = Frame(
            transactionID: UInt16(b[start]) << 8 | UInt16(b[start + 1]),
            protocolID: UInt16(b[start + 2]) << 8 | UInt16(b[start + 3]),
            unitID: b[start + 6],
            pdu: Array(b[(start + 7)..<(start + 6 + length)]))
        start += 6 + length
        return frame
    }

    /// Drops everything buffered: the connection it came from is being closed.
    public mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
        start = 0
    }
}

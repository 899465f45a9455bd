import Testing

@testable import ModbusWire

struct PDUTests {
    @Test func parsesEveryFunction() throws {
        #expect(try ModbusRequest.parse(pdu: [0x01, 0x00, 0x13, 0x00, 0x13]) == .read(.coil, address: 19, count: 19))
        #expect(
            try ModbusRequest.parse(pdu: [0x02, 0x00, 0xC4, 0x00, 0x16])
                == .read(.discreteInput, address: 196, count: 22))
        #expect(
            try ModbusRequest.parse(pdu: [0x03, 0x00, 0x6B, 0x00, 0x03])
                == .read(.holdingRegister, address: 107, count: 3))
        #expect(
            try ModbusRequest.parse(pdu: [0x04, 0x00, 0x08, 0x00, 0x01]) == .read(.inputRegister, address: 8, count: 1))
        #expect(
            try ModbusRequest.parse(pdu: [0x05, 0x00, 0xAC, 0xFF, 0x00]) == .writeSingleCoil(address: 172, value: true))
        #expect(
            try ModbusRequest.parse(pdu: [0x05, 0x00, 0xAC, 0x00, 0x00]) == .writeSingleCoil(address: 172, value: false)
        )
        #expect(
            try ModbusRequest.parse(pdu: [0x06, 0x00, 0x01, 0x00, 0x03]) == .writeSingleRegister(address: 1, value: 3))
        // Application spec 6.11 example: 10 coils from 19, CD 01.
        #expect(
            try ModbusRequest.parse(pdu: [0x0F, 0x00, 0x13, 0x00, 0x0A, 0x02, 0xCD, 0x01])
                == .writeMultipleCoils(
                    address: 19, values: [true, false, true, true, false, false, true, true, true, false]))
        #expect(
            try ModbusRequest.parse(pdu: [0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A, 0x01, 0x02])
                == .writeMultipleRegisters(address: 1, values: [0x000A, 0x0102]))
    }

    @Test(arguments: [
        ModbusRequest.read(.coil, address: 0, count: 2000),
        .read(.inputRegister, address: 65535, count: 1),
        .writeSingleCoil(address: 3, value: true),
        .writeSingleRegister(address: 9, value: 0xBEEF),
        .writeMultipleCoils(address: 100, values: (0..<1968).map { $0 % 3 == 0 }),
        .writeMultipleRegisters(address: 0, values: Array(0..<123)),
    ])
    func encodeParseRoundTrip(_ request: ModbusRequest) throws {
        #expect(try ModbusRequest.parse(pdu: request.pdu) == request)
    }

    @Test(
        arguments: [
            ([0x07] as [UInt8], ModbusExceptionCode.illegalFunction),
            ([0x2B, 0x0E, 0x01, 0x00], .illegalFunction),
            ([], .illegalFunction),
            ([0x03, 0x00, 0x00, 0x00, 0x00], .illegalDataValue),  // quantity 0
            ([0x03, 0x00, 0x00, 0x00, 0x7E], .illegalDataValue),  // 126 registers
            ([0x04, 0x00, 0x00, 0x00, 0x7D], nil),  // 125 registers is fine
            ([0x01, 0x00, 0x00, 0x07, 0xD1], .illegalDataValue),  // 2001 coils
            ([0x02, 0x00, 0x00, 0x07, 0xD0], nil),  // 2000 inputs is fine
            ([0x03, 0xFF, 0xFF, 0x00, 0x02], .illegalDataAddress),  // runs past 65535
            ([0x03, 0x00, 0x00, 0x00], .illegalDataValue),  // truncated
            ([0x05, 0x00, 0x01, 0x00, 0x01], .illegalDataValue),  // coil value neither FF00 nor 0000
            ([0x05, 0x00, 0x01, 0xFF, 0xFF], .illegalDataValue),
            ([0x0F, 0x00, 0x00, 0x00, 0x0A, 0x01, 0xFF], .illegalDataValue),  // byte count 1 for 10 coils
            ([0x0F, 0x00, 0x00, 0x07, 0xB1, 0xF7] + [UInt8](repeating: 0, count: 247), .illegalDataValue),  // 1969
            ([0x10, 0x00, 0x00, 0x00, 0x7C, 0xF8] + [UInt8](repeating: 0, count: 248), .illegalDataValue),  // 124
            ([0x10, 0x00, 0x00, 0x00, 0x02, 0x04, 0x00, 0x01], .illegalDataValue),  // data short of byte count
            ([0x10, 0xFF, 0xFF, 0x00, 0x02, 0x04, 0x00, 0x01, 0x00, 0x02], .illegalDataAddress),
        ] as [([UInt8], ModbusExceptionCode?)])
    func rejectsWhatTheSpecRejects(pdu: [UInt8], expected: ModbusExceptionCode?) {
        do {
            _ = try ModbusRequest.parse(pdu: pdu)
            #expect(expected == nil, "parsed, expected exception \(String(describing: expected))")
        } catch {
            #expect(error == expected)
        }
    }

    @Test func responses() {
        let coils = ModbusResponse.success(
            to: .read(.coil, address: 19, count: 10),
            readValues: [1, 0, 1, 1, 0, 0, 1, 1, 1, 0])
        #expect(coils.pdu == [0x01, 0x02, 0xCD, 0x01])
        let registers = ModbusResponse.success(
            to: .read(.holdingRegister, address: 0, count: 2), readValues: [0x022B, 0x0000])
        #expect(registers.pdu == [0x03, 0x04, 0x02, 0x2B, 0x00, 0x00])
        #expect(
            ModbusResponse.success(to: .writeSingleCoil(address: 0xAC, value: true)).pdu == [
                0x05, 0x00, 0xAC, 0xFF, 0x00,
            ])
        #expect(
            ModbusResponse.success(to: .writeSingleRegister(address: 1, value: 3)).pdu == [
                0x06, 0x00, 0x01, 0x00, 0x03,
            ])
        #expect(
            ModbusResponse.success(to: .writeMultipleCoils(address: 19, values: Array(repeating: true, count: 10))).pdu
                == [0x0F, 0x00, 0x13, 0x00, 0x0A])
        #expect(
            ModbusResponse.success(to: .writeMultipleRegisters(address: 1, values: [1, 2])).pdu == [
                0x10, 0x00, 0x01, 0x00, 0x02,
            ])
        #expect(ModbusResponse.exception(function: 0x04, .illegalDataAddress).pdu == [0x84, 0x02])
    }

    @Test func mbapRoundTrip() throws {
        let frame = MBAPHeader.frame(transactionID: 0x1234, unitID: 17, pdu: [0x03, 0x00, 0x6B, 0x00, 0x03])
        #expect(frame == [0x12, 0x34, 0x00, 0x00, 0x00, 0x06, 0x11, 0x03, 0x00, 0x6B, 0x00, 0x03])
        let header = try MBAPHeader.parse(frame)
        #expect(header.transactionID == 0x1234)
        #expect(header.unitID == 17)
        #expect(header.pduLength == 5)
        #expect(header.bytes == Array(frame.prefix(7)))
    }

    @Test func mbapRejectsBadHeaders() {
        #expect(throws: ModbusFrameError.badProtocol(1)) { try MBAPHeader.parse([0, 1, 0, 1, 0, 6, 1]) }
        #expect(throws: ModbusFrameError.badLength(1)) { try MBAPHeader.parse([0, 1, 0, 0, 0, 1, 1]) }
        #expect(throws: ModbusFrameError.badLength(300)) { try MBAPHeader.parse([0, 1, 0, 0, 0x01, 0x2C, 1]) }
        #expect(throws: ModbusFrameError.tooShort(3)) { try MBAPHeader.parse([0, 1, 0]) }
    }

    @Test func rtuEncodeAndVerify() throws {
        let adu = RTUFrame.encode(unit: 1, pdu: [0x03, 0x00, 0x00, 0x00, 0x0A])
        #expect(adu == [0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5, 0xCD])
        let (unit, pdu) = try RTUFrame.verify(adu)
        #expect(unit == 1)
        #expect(pdu == [0x03, 0x00, 0x00, 0x00, 0x0A])
        var corrupted = adu
        corrupted[3] ^= 0x01
        #expect(throws: ModbusFrameError.self) { try RTUFrame.verify(corrupted) }
        #expect(throws: ModbusFrameError.tooShort(3)) { try RTUFrame.verify([1, 2, 3]) }
    }

    @Test func rtuRequestLength() {
        let read = RTUFrame.encode(unit: 1, pdu: ModbusRequest.read(.inputRegister, address: 0, count: 2).pdu)
        #expect(RTUFrame.requestLength(read.prefix(1)) == .needMore)
        #expect(RTUFrame.requestLength(read.prefix(2)) == .bytes(8))
        #expect(RTUFrame.requestLength(read) == .bytes(8))
        let write = RTUFrame.encode(
            unit: 5, pdu: ModbusRequest.writeMultipleRegisters(address: 0, values: [1, 2, 3]).pdu)
        #expect(write.count == 15)
        #expect(RTUFrame.requestLength(write.prefix(6)) == .needMore)
        #expect(RTUFrame.requestLength(write.prefix(7)) == .bytes(15))
        let coils = RTUFrame.encode(
            unit: 5, pdu: ModbusRequest.writeMultipleCoils(address: 0, values: Array(repeating: true, count: 9)).pdu)
        #expect(RTUFrame.requestLength(coils) == .bytes(coils.count))
        #expect(RTUFrame.requestLength([0x01, 0x2B, 0x0E]) == .unknown)
        // Two frames back to back: the length covers only the first.
        #expect(RTUFrame.requestLength(read + write) == .bytes(8))
    }
}

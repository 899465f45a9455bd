import Testing

@testable import ModbusWire

/// The checks every reply passes before a byte of it is a value (application spec V1.1b3, section 6 and 7; TCP
/// guide V1.0b, section 3.1.3), with the reasons the log shows.
struct ReplyCheckTests {
    static let readTwo = ModbusRequest.read(.holdingRegister, address: 10, count: 2)

    @Test func aGoodReadReplyDecodes() throws {
        #expect(try Self.readTwo.check(reply: [0x03, 4, 0x12, 0x34, 0xAB, 0xCD]) == .values([0x1234, 0xABCD]))
        let bits = ModbusRequest.read(.coil, address: 0, count: 10)
        #expect(try bits.check(reply: [0x01, 2, 0b0000_0101, 0b10]) == .values([1, 0, 1, 0, 0, 0, 0, 0, 0, 1]))
    }

    @Test(arguments: [
        ([0x03, 12] + [UInt8](repeating: 0, count: 12), "byte count 12 for 2 registers"),
        ([0x03, 2, 0, 1], "byte count 2 for 2 registers"),
        ([0x04, 4, 0, 1, 0, 2], "function code 0x04 in reply to 0x03"),
        ([0x03, 4, 0, 1], "MBAP length 5 for a 6-byte PDU"),
        ([0x83, 2, 0], "MBAP length 4 for a 2-byte PDU"),
        ([0x83, 0x0C], "exception code 12, which the Modbus spec does not define"),
    ])
    func aBadReadReplyIsRefusedWithItsReason(pdu: [UInt8], reason: String) {
        #expect(throws: ReplyFault.self) { try Self.readTwo.check(reply: pdu) }
        do {
            _ = try Self.readTwo.check(reply: pdu)
        } catch {
            #expect(error.description == reason)
        }
    }

    @Test func exceptionsIncludingAGatewaysAreRepliesFromTheUnit() throws {
        #expect(try Self.readTwo.check(reply: [0x83, 0x02]) == .exception(2))
        #expect(try Self.readTwo.check(reply: [0x83, 0x0B]) == .exception(0x0B))
    }

    @Test func aWriteEchoMustMatchWhatWasWritten() throws {
        let on = ModbusRequest.writeSingleCoil(address: 1, value: true)
        #expect(try on.check(reply: [0x05, 0, 1, 0xFF, 0]) == .written)
        #expect(throws: ReplyFault.echo(field: "value", got: 0, expected: 0xFF00)) {
            try on.check(reply: [0x05, 0, 1, 0, 0])
        }
        let set = ModbusRequest.writeSingleRegister(address: 200, value: 7)
        #expect(throws: ReplyFault.echo(field: "address", got: 201, expected: 200)) {
            try set.check(reply: [0x06, 0, 201, 0, 7])
        }
    }

    @Test func theStreamCutsFramesByTheirLengthAndRefusesAnImpossibleOne() throws {
        var stream = MBAPStream()
        let a = MBAPHeader.frame(transactionID: 17, unitID: 3, pdu: [0x03, 2, 0, 9])
        let b = MBAPHeader.frame(transactionID: 18, unitID: 4, pdu: [0x03, 2, 0, 8])
        stream.append(a + b.prefix(5))
        #expect(try stream.next()?.transactionID == 17)
        #expect(try stream.next() == nil)
        #expect(stream.headTransactionID == 18)
        stream.append(b.dropFirst(5))
        let frame = try #require(try stream.next())
        #expect(frame.unitID == 4 && frame.pdu == [0x03, 2, 0, 8])
        #expect(stream.pending == 0)
        stream.append([0, 1, 0, 0, 0x01, 0x2C, 1])
        #expect(throws: ReplyFault.impossibleLength(300)) { try stream.next() }
    }

    @Test func theReasonsReadAsTheLogShowsThem() {
        #expect(
            ReplyFault.transaction(got: 17, expected: 18).description == "reply for transaction 17 while waiting for 18"
        )
        #expect(ReplyFault.protocolID(7).description == "protocol id 7")
        #expect(ReplyFault.unit(got: 7, expected: 3).description == "unit 7 answered for unit 3")
        #expect(ReplyFault.truncated(have: 9, need: 11).breaksFraming)
        #expect(!ReplyFault.byteCount(got: 12, quantity: 2, bits: false).breaksFraming)
    }
}

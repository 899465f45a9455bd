import Testing

@testable import ModbusWire

/// Byte layouts written out by hand from the WordOrder doc comment: for the big-endian value A B C D,
/// ABCD = [AB, CD], CDAB = [CD, AB], BADC = [BA, DC], DCBA = [DC, BA].
struct RegisterCodecTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var type: ValueType
        var value: Double
        var order: WordOrder
        var registers: [UInt16]
        var testDescription: String { "\(type) \(value) \(order.rawValue)" }
    }

    static let cases: [Case] = [
        // float32 123.456 = 0x42F6E979
        Case(type: .float32, value: 123.456, order: .abcd, registers: [0x42F6, 0xE979]),
        Case(type: .float32, value: 123.456, order: .cdab, registers: [0xE979, 0x42F6]),
        Case(type: .float32, value: 123.456, order: .badc, registers: [0xF642, 0x79E9]),
        Case(type: .float32, value: 123.456, order: .dcba, registers: [0x79E9, 0xF642]),
        // uint32 305419896 = 0x12345678
        Case(type: .uint32, value: 305_419_896, order: .abcd, registers: [0x1234, 0x5678]),
        Case(type: .uint32, value: 305_419_896, order: .cdab, registers: [0x5678, 0x1234]),
        Case(type: .uint32, value: 305_419_896, order: .badc, registers: [0x3412, 0x7856]),
        Case(type: .uint32, value: 305_419_896, order: .dcba, registers: [0x7856, 0x3412]),
        // int32 -2 = 0xFFFFFFFE
        Case(type: .int32, value: -2, order: .abcd, registers: [0xFFFF, 0xFFFE]),
        Case(type: .int32, value: -2, order: .cdab, registers: [0xFFFE, 0xFFFF]),
        Case(type: .int32, value: -2, order: .badc, registers: [0xFFFF, 0xFEFF]),
        Case(type: .int32, value: -2, order: .dcba, registers: [0xFEFF, 0xFFFF]),
        // int32 -123456789 = 0xF8A432EB
        Case(type: .int32, value: -123_456_789, order: .abcd, registers: [0xF8A4, 0x32EB]),
        Case(type: .int32, value: -123_456_789, order: .cdab, registers: [0x32EB, 0xF8A4]),
        Case(type: .int32, value: -123_456_789, order: .badc, registers: [0xA4F8, 0xEB32]),
        Case(type: .int32, value: -123_456_789, order: .dcba, registers: [0xEB32, 0xA4F8]),
    ]

    @Test(arguments: cases)
    func encodesToTheHandWrittenLayout(_ c: Case) {
        #expect(RegisterCodec.encodeRaw(c.value, as: c.type, order: c.order) == c.registers)
    }

    @Test(arguments: cases)
    func decodesTheHandWrittenLayout(_ c: Case) throws {
        let decoded = try #require(RegisterCodec.decodeRaw(c.registers[...], as: c.type, order: c.order))
        if c.type == .float32 {
            #expect(decoded == Double(Float(c.value)))
        } else {
            #expect(decoded == c.value)
        }
    }

    @Test func sixteenBitTypes() {
        #expect(RegisterCodec.encodeRaw(-1, as: .int16, order: nil) == [0xFFFF])
        #expect(RegisterCodec.decodeRaw([0x8000], as: .int16, order: nil) == -32768)
        #expect(RegisterCodec.encodeRaw(70000, as: .uint16, order: nil) == [0xFFFF])  // clamped
        #expect(RegisterCodec.decodeRaw([0b1000], as: .bit(3), order: nil) == 1)
        #expect(RegisterCodec.decodeRaw([0x7FC0, 0x0000], as: .float32, order: .abcd) == nil)  // NaN
    }
}

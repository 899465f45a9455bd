import Testing

@testable import HJ212

struct CRCTests {
    @Test func checkValueOfTheStandardTestString() {
        #expect(HJ212CRC.checksum(Array("123456789".utf8)) == 0x2F80)
    }

    /// The domain brief's two frames: the CRC over the data segment is the one they carry (the second in lowercase).
    @Test(arguments: [(Vectors.one, 0x1C80), (Vectors.two, 0x8C41)] as [([UInt8], UInt16)])
    func vectorFramesCarryTheirCRC(frame: [UInt8], crc: UInt16) {
        let segment = frame[6..<(frame.count - 6)]
        #expect(HJ212CRC.checksum(segment) == crc)
        #expect(HJ212CRC.parse(frame[(frame.count - 6)..<(frame.count - 2)]) == crc)
    }

    @Test func itIsNotTheModbusCRC() {
        // CRC-16/MODBUS of "123456789" is 0x4B37.
        #expect(HJ212CRC.checksum(Array("123456789".utf8)) != 0x4B37)
    }

    @Test func textIsFourUppercaseDigitsAndParsingTakesEitherCase() {
        #expect(HJ212CRC.text(0x1C80) == "1C80")
        #expect(HJ212CRC.text(0x000A) == "000A")
        #expect(HJ212CRC.parse(Array("8c41".utf8)) == 0x8C41)
        #expect(HJ212CRC.parse(Array("8C41".utf8)) == 0x8C41)
        #expect(HJ212CRC.parse(Array("8g41".utf8)) == nil)
        #expect(HJ212CRC.parse(Array("8C4".utf8)) == nil)
    }
}

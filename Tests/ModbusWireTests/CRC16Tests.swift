import Testing

@testable import ModbusWire

struct CRC16Tests {
    /// Known frames: the first from the serial spec's usual example, the others captured from mbpoll.
    @Test(arguments: [
        ([0x01, 0x03, 0x00, 0x00, 0x00, 0x0A] as [UInt8], [0xC5, 0xCD] as [UInt8]),
        ([0x01, 0x04, 0x00, 0x00, 0x00, 0x03], [0xB0, 0x0B]),
        ([0x11, 0x03, 0x00, 0x6B, 0x00, 0x03], [0x76, 0x87]),
    ])
    func knownFrames(body: [UInt8], crcBytes: [UInt8]) {
        let crc = CRC16.modbus(body)
        #expect([UInt8(crc & 0xFF), UInt8(crc >> 8)] == crcBytes)
        #expect(RTUFrame.encode(unit: body[0], pdu: Array(body.dropFirst())) == body + crcBytes)
    }

    @Test func checkValueOfTheStandardTestString() {
        // CRC-16/MODBUS catalogue check value for "123456789".
        #expect(CRC16.modbus(Array("123456789".utf8)) == 0x4B37)
    }

    @Test func serialTimingAt9600() {
        let t = SerialTiming(baud: 9600)
        #expect(t.bitsPerCharacter == 10)
        #expect(abs(t.duration(ofBytes: 96) - 0.1) < 1e-12)
        #expect(abs(t.interFrameGap - 3.5 * 10 / 9600) < 1e-12)
        #expect(SerialTiming(baud: 9600, parity: true).bitsPerCharacter == 11)
        #expect(SerialTiming(baud: 115_200).interFrameGap == 0.00175)
    }
}

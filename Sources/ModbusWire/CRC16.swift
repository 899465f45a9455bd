/// The Modbus RTU CRC-16 (polynomial 0xA001 reflected, initial 0xFFFF), sent low byte first.
/// See "MODBUS over Serial Line Specification and Implementation Guide V1.02", section 6.2.2.
public enum CRC16 {
    private static let table: [UInt16] = (0..<256).map { byte -> UInt16 in
        var crc = UInt16(byte)
        for _ in 0..<8 {
            crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xA001 : crc >> 1
        }
        return crc
    }

    public static func modbus<C: Collection>(_ bytes: C) -> UInt16 where C.Element == UInt8 {
        var crc: UInt16 = 0xFFFF
        for b in bytes {
            crc = (crc >> 8) ^ table[Int((crc ^ UInt16(b)) & 0xFF)]
        }
        return crc
    }
}

/// Wire timing of an asynchronous serial line, used by the RTU simulator to pace frames the way a real 9600-baud
/// line would, and by benchmarks to state the theoretical bus time.
public struct SerialTiming: Sendable, Hashable {
    public var baud: Int
    /// Bits per character: start + data + parity + stop (11 for 8E1, 10 for 8N1).
    public var bitsPerCharacter: Int

    public init(baud: Int, dataBits: Int = 8, parity: Bool = false, stopBits: Int = 1) {
        self.baud = baud
        self.bitsPerCharacter = 1 + dataBits + (parity ? 1 : 0) + stopBits
    }

    /// Time to transmit `bytes` characters, in seconds.
    public func duration(ofBytes bytes: Int) -> Double {
        Double(bytes * bitsPerCharacter) / Double(baud)
    }

    /// The silent interval that ends an RTU frame: 3.5 character times, fixed at 1.75 ms above 19200 baud
    /// (serial line spec, section 2.5.1.1).
    public var interFrameGap: Double {
        baud > 19200 ? 0.00175 : 3.5 * Double(bitsPerCharacter) / Double(baud)
    }
}

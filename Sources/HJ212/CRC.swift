/// The HJ 212-2017 frame check: a CRC-16 over the data segment only, printed as four hex digits.
///
/// It is not the Modbus CRC, although it uses the same reflected polynomial 0xA001: HJ 212 XORs each byte into the
/// register *after* shifting it right by 8 (`reg = (reg >> 8) ^ byte`), where Modbus XORs it into the low byte.
/// The standard's check value for the ASCII bytes `123456789` is 0x2F80 (Modbus gives 0x4B37).
public enum HJ212CRC {
    /// The checksum of `bytes`, as the standard's appendix computes it:
    /// 1. start with 0xFFFF;
    /// 2. for each byte, shift the register right by 8 and XOR the byte in;
    /// 3. then eight times: shift right, and XOR 0xA001 when the bit shifted out was 1.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var register: UInt16 = 0xFFFF
        for byte in bytes {
            register = (register >> 8) ^ UInt16(byte)
            for _ in 0..<8 {
                let carry = register & 1
                register >>= 1
                if carry != 0 { register ^= 0xA001 }
            }
        }
        return register
    }

    /// The checksum as the frame carries it: four uppercase hex digits.
    public static func text(_ crc: UInt16) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        let bytes = [12, 8, 4, 0].map { digits[Int((crc >> UInt16($0)) & 0xF)] }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses four hex digits, either case; nil for anything else.
    public static func parse(_ bytes: some Collection<UInt8>) -> UInt16? {
        guard bytes.count == 4 else { return nil }
        var value: UInt16 = 0
        for byte in bytes {
            guard let digit = hexDigit(byte) else { return nil }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

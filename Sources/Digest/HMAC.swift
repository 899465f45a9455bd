/// HMAC-SHA256 (RFC 2104), for signing and checking the commands a park sends a plant over MQTT.
///
/// Checked against RFC 4231's test cases in the tests.
public enum HMACSHA256 {
    private static let blockSize = 64

    /// The 32-byte authentication code of `message` under `key`.
    public static func authenticationCode<Key: Collection<UInt8>, Message: Collection<UInt8>>(
        for message: Message,
        key: Key
    ) -> [UInt8] {
        var block = key.count > blockSize ? SHA256.hash(key) : Array(key)
        block += [UInt8](repeating: 0, count: blockSize - block.count)
        let inner = SHA256.hash(block.map { $0 ^ 0x36 } + Array(message))
        return SHA256.hash(block.map { $0 ^ 0x5c } + inner)
    }

    /// The code as 64 lowercase hex digits.
    public static func hex<Key: Collection<UInt8>, Message: Collection<UInt8>>(
        for message: Message,
        key: Key
    ) -> String {
        authenticationCode(for: message, key: key).hexString
    }

    /// Whether `code` (hex, either case) is the code of `message` under `key`, compared in constant time.
    public static func isValid<Key: Collection<UInt8>, Message: Collection<UInt8>>(
        _ code: String,
        for message: Message,
        key: Key
    ) -> Bool {
        guard let presented = SHA256.bytes(hex: code) else { return false }
        return constantTimeEqual(presented, authenticationCode(for: message, key: key))
    }
}

extension [UInt8] {
    /// Lowercase hex, two digits a byte.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

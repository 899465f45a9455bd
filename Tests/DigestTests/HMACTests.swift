import Digest
import Foundation
import LeveeTestSupport
import Testing

/// RFC 4231's HMAC-SHA256 test cases (1, 2, 3, 4, 6, 7), and the check the park-command verifier uses.
struct HMACTests {
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var digits = hex.makeIterator()
        while let high = digits.next(), let low = digits.next() {
            out.append(UInt8(String([high, low]), radix: 16)!)
        }
        return out
    }

    @Test(arguments: [
        (
            [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        (
            Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ),
        (
            [UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
        ),
        (
            bytes("0102030405060708090a0b0c0d0e0f10111213141516171819"), [UInt8](repeating: 0xcd, count: 50),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
        ),
        (
            [UInt8](repeating: 0xaa, count: 131),
            Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
        (
            [UInt8](repeating: 0xaa, count: 131),
            Array(
                "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."
                    .utf8
            ),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        ),
    ])
    func rfc4231(key: [UInt8], message: [UInt8], expected: String) {
        #expect(HMACSHA256.hex(for: message, key: key) == expected)
        #expect(HMACSHA256.isValid(expected.uppercased(), for: message, key: key))
    }

    @Test func aChangedMessageOrKeyOrCodeFails() {
        let key = Array("park-key".utf8)
        let code = HMACSHA256.hex(for: Array("shutoff".utf8), key: key)
        #expect(!HMACSHA256.isValid(code, for: Array("shutofF".utf8), key: key))
        #expect(!HMACSHA256.isValid(code, for: Array("shutoff".utf8), key: Array("park-kez".utf8)))
        #expect(!HMACSHA256.isValid(String(code.dropLast()), for: Array("shutoff".utf8), key: key))
        #expect(!HMACSHA256.isValid("zz" + code.dropFirst(2), for: Array("shutoff".utf8), key: key))
    }

    /// Random keys (shorter than, equal to and longer than the 64-byte block) and messages against OpenSSL, an
    /// implementation nobody here wrote.
    @Test func agreesWithOpenSSLOnRandomInputs() throws {
        var generator = SystemRandomNumberGenerator()
        for keyLength in [1, 20, 63, 64, 65, 131] {
            let key = (0..<keyLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let message = (0..<Int.random(in: 0...300, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try TestTools.executable("openssl"))
            process.arguments = ["mac", "-digest", "SHA256", "-macopt", "hexkey:" + key.hexString, "HMAC"]
            let input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            input.fileHandleForWriting.write(Data(message))
            try input.fileHandleForWriting.close()
            let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            #expect(
                HMACSHA256.hex(for: message, key: key)
                    == printed.trimmingCharacters(in: .whitespacesAndNewlines)
                    .lowercased(), "key \(key.hexString)")
        }
    }
}

import Digest
import Foundation
import Testing

/// The hash tokens are compared by: NIST's vectors, and `sha256sum` on this machine, which is how an administrator
/// makes a user's `token_sha256`.
struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrst"
                + "nopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
    ])
    func nistVectors(message: String, digest: String) {
        #expect(SHA256.hex(Array(message.utf8)) == digest)
    }

    @Test func aMillionAs() {
        #expect(
            SHA256.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Lengths around the padding boundaries (55, 56, 63, 64 bytes), Chinese text, and a typical token, against
    /// the tool an administrator uses.
    @Test func agreesWithSha256sum() throws {
        let messages = [
            String(repeating: "x", count: 55), String(repeating: "y", count: 56), String(repeating: "z", count: 63),
            String(repeating: "w", count: 64), "宏达化工-控制室-令牌", "tG8s2-Qm_Lr0pXvB7nKe4wYz",
        ]
        for message in messages {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["sha256sum"]
            let input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            input.fileHandleForWriting.write(Data(message.utf8))
            try input.fileHandleForWriting.close()
            let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(SHA256.hex(Array(message.utf8)) == String(printed.prefix(64)), "\(message)")
        }
    }

    @Test func hexDigitsAndComparison() {
        let digest = SHA256.hash(Array("abc".utf8))
        #expect(SHA256.bytes(hex: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == digest)
        #expect(SHA256.bytes(hex: "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD") == digest)
        #expect(SHA256.bytes(hex: "ba7816bf") == nil)
        #expect(SHA256.bytes(hex: String(repeating: "g", count: 64)) == nil)
        #expect(constantTimeEqual(digest, digest))
        var other = digest
        other[31] ^= 1
        #expect(!constantTimeEqual(digest, other))
        #expect(!constantTimeEqual(digest, Array(digest.prefix(31))))
    }
}

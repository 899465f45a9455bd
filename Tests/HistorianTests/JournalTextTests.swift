import Foundation
import Testing

@testable import Historian

/// Bidi overrides and control characters in user names and reasons are journaled as visible escapes, whatever
/// path the text came by, so that the journal reads as it was typed.
struct JournalTextTests {
    let t0 = Date(timeIntervalSince1970: 1_740_787_200.123)

    static let unsafe: [Unicode.Scalar] = {
        let codes: [UInt32] =
            Array(0x202A...0x202E) + Array(0x2066...0x2069) + [0x00, 0x0A, 0x0D, 0x1B, 0x7F, 0x85, 0x9B]
        return codes.map { Unicode.Scalar($0)! }
    }()

    @Test(arguments: unsafe)
    func eachUnsafeScalarBecomesAVisibleEscape(scalar: Unicode.Scalar) {
        let text = "close" + String(Character(scalar)) + "outlet"
        let hex = String(scalar.value, radix: 16, uppercase: true)
        let expected = "close\\u{" + String(repeating: "0", count: 4 - hex.count) + hex + "}outlet"
        #expect(JournalText.escape(text) == expected)
        #expect(!JournalText.escape(text).unicodeScalars.contains(where: JournalText.isUnsafe))
    }

    @Test func ordinaryTextIsKeptAsItIs() {
        for text in ["暴雨前关闭排口", "Zhang Wei", "test, \"quoted\" \\ back", "café ☂︎", ""] {
            #expect(JournalText.escape(text) == text)
            #expect(JournalText.escapeJSON(#"{"reason":"\#(text)"}"#) == #"{"reason":"\#(text)"}"#)
        }
    }

    @Test func jsonDetailsDecodeToTheVisibleEscape() throws {
        let raw = "{\"user\":\"mallory\u{202E}\",\n \"reason\":\"a\\nb \\u202e c \\\\n\"}"
        let escaped = JournalText.escapeJSON(raw)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(escaped.utf8)) as? [String: String])
        #expect(object["user"] == "mallory\\u{202E}")
        #expect(object["reason"] == "a\\u{000A}b \\u{202E} c \\n")
    }

    @Test func plainTextDetailsKeepTheirLines() {
        let issues = "levee.toml: devices[2] \"x\u{202E}\": unknown key\nlevee.toml: devices[2] \"x\": name is required"
        #expect(
            JournalText.escapeDetails(issues)
                == "levee.toml: devices[2] \"x\\u{202E}\": unknown key\nlevee.toml: devices[2] \"x\": name is required")
        #expect(JournalText.escapeDetails(#"{"a":"\u202e"}"#) == #"{"a":"\\u{202E}"}"#)
    }

    @Test func eventsAndCommandsAreStoredEscaped() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = Historian(
            configuration: testConfiguration(scratch.path("h.db")), logger: LogCapture().logger)
        defer { historian.close() }

        try await historian.recordEvent(
            StoredEvent(
                kind: "trip", source: "leveectl (user eve\u{2066})",
                message: "shutoff by eve: test\u{202E}tuo-niar\nFAKE LINE", at: t0,
                details: "{\"reason\":\"test\u{202E}\"}"))
        try await historian.recordCommand(
            StoredCommand(
                device: "rain-outlet-1", command: "close", user: "eve\u{202D}", source: "http 10.0.0.9",
                reason: "why\u{1B}[2J", requestedAt: t0, result: "confirmed"))

        let event = try #require(try await historian.events(from: t0 - 1, to: t0 + 1).first)
        #expect(event.source == "leveectl (user eve\\u{2066})")
        #expect(event.message == "shutoff by eve: test\\u{202E}tuo-niar\\u{000A}FAKE LINE")
        #expect(event.details == #"{"reason":"test\\u{202E}"}"#)
        let command = try #require(try await historian.commands(from: t0 - 1, to: t0 + 1).first)
        #expect(command.user == "eve\\u{202D}")
        #expect(command.reason == "why\\u{001B}[2J")
    }
}

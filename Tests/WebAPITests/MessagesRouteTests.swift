import ControlAPI
import Foundation
import Historian
import Hummingbird
import HummingbirdTesting
import Messages
import Testing

@testable import WebAPI

/// The dashboard renders server texts from message ids: the catalogue it downloads, and the ids the API sends.
struct MessagesRouteTests {
    @Test func theCatalogueIsServedPerLanguageWithoutAToken() async throws {
        let t = try TestServer()
        try await t.test { client in
            let zh = try await client.send(.get, "/api/v1/messages?lang=zh-CN", as: nil)
            #expect(zh.status == .ok)
            #expect(zh.headers[.cacheControl] == "no-store")
            let zhBody = try #require(zh.json as? [String: Any])
            #expect(zhBody["language"] as? String == "zh-CN")
            let zhMessages = try #require(zhBody["messages"] as? [String: String])
            #expect(zhMessages.count == MessageID.allCases.count)
            #expect(zhMessages["alarm.stale"] == "数据未刷新：{subject}")

            let en = try await client.send(.get, "/api/v1/messages?lang=en", as: nil)
            let enMessages = try #require((en.json as? [String: Any])?["messages"] as? [String: String])
            #expect(enMessages["status.devices-answering"] == "{answering}/{total} {total|device|devices} answering")

            // Without lang, Accept-Language picks; Chinese when it names none.
            let none = try await client.send(.get, "/api/v1/messages", as: nil)
            #expect((none.json as? [String: Any])?["language"] as? String == "zh-CN")
            let byHeader = try await client.send(
                .get, "/api/v1/messages", as: nil, headers: [.acceptLanguage: "en-GB,en;q=0.9"])
            #expect((byHeader.json as? [String: Any])?["language"] as? String == "en")

            // "C" names no language: refused, saying which are served.
            let bad = try await client.send(.get, "/api/v1/messages?lang=C", as: nil)
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains("zh-CN or en"))
        }
    }

    /// A journal entry stored with its message id comes out with it, for the page to render; an old one without.
    @Test func eventsCarryTheirMessage() async throws {
        let t = try TestServer()
        let text = Message(.alarmCommFail, ["subject": "gas-a1"])
        try await t.historian.recordEvent(
            StoredEvent(kind: "alarm", source: "gas-a1.comm-fail", text: text, at: FakeBackend.t0))
        try await t.historian.recordEvent(
            StoredEvent(kind: "alarm", source: "old", message: "通讯故障 comm-fail: gas-b1", at: FakeBackend.t0 + 1))
        try await t.test { client in
            let r = try await client.send(
                .get, "/api/v1/events?from=2025-03-01T00:00:00Z&to=2025-03-01T00:01:00Z", as: .viewer)
            let rows = try #require(r.json as? [[String: Any]])
            try #require(rows.count == 2)
            let first = try #require(rows[0]["text"] as? [String: Any])
            #expect(first["id"] as? String == "alarm.comm-fail")
            #expect((first["args"] as? [String: String])?["subject"] == "gas-a1")
            #expect(rows[0]["message"] as? String == "Comm failure: gas-a1")
            #expect(rows[1]["text"] is NSNull)
            #expect(rows[1]["message"] as? String == "通讯故障 comm-fail: gas-b1")
        }
    }
}

import ControlAPI
import Foundation
import Historian
import Hummingbird
import HummingbirdTesting
import Testing

@testable import WebAPI

/// What a viewer reads: status, alarms, history, events, drills.
struct ReadRoutesTests {
    let t0 = FakeBackend.t0

    @Test func statusAndAlarmsComeFromTheDaemon() async throws {
        let t = try TestServer()
        try await t.test { client in
            let status = try await client.send(.get, "/api/v1/status", as: .viewer)
            #expect(status.status == .ok)
            #expect(status.headers[.contentType] == "application/json; charset=utf-8")
            #expect(status.headers[.cacheControl] == "no-store")
            #expect(try status.decode(SiteStatus.self) == FakeBackend.status)
            #expect(status.text.contains(#""generatedAt":"2025-03-01T00:00:00.000Z""#))

            let alarms = try await client.send(.get, "/api/v1/alarms", as: .viewer)
            #expect(try alarms.decode([AlarmEntry].self) == [FakeBackend.alarm])
        }
        #expect(t.backend.requests.map(\.op) == [.status, .alarms])
        #expect(t.backend.callers.map(\.user) == ["eco-bureau", "eco-bureau"])
    }

    // MARK: - History

    private func record(_ t: TestServer) throws {
        let point = "gas-a1.concentration"
        var readings: [StoredReading] = []
        for i in 0..<20 {
            let failed = i == 7
            let value: Double? = failed ? nil : Double(i)
            readings.append(
                StoredReading(
                    point: point, value: value, quality: failed ? "comm-fail" : "good",
                    readAt: t0.addingTimeInterval(Double(i))))
        }
        t.historian.record(readings)
        t.historian.record(StoredReading(point: "pool.level", value: 1, quality: "good", readAt: t0))
        try t.historian.flush()
    }

    @Test func historyReturnsTheReadingsInTheRange() async throws {
        let t = try TestServer()
        try record(t)
        try await t.test { client in
            let r = try await client.send(
                .get,
                "/api/v1/history?point=gas-a1.concentration&from=2025-03-01T00:00:05.000Z&to=2025-03-01T00:00:09.000Z",
                as: .viewer)
            #expect(r.status == .ok)
            let rows = try #require(r.json as? [[String: Any]])
            try #require(rows.count == 4)  // the indexing below would crash the whole run otherwise
            #expect(rows.map { $0["quality"] as? String } == ["good", "good", "comm-fail", "good"])
            #expect(rows.map { $0["value"] as? Double } == [5, 6, nil, 8])
            // A missing value is an explicit null, so a chart shows a gap rather than guessing.
            #expect(rows[2]["value"] is NSNull)
            #expect(rows[0]["readAt"] as? String == "2025-03-01T00:00:05.000Z")
            #expect(rows[0]["min"] == nil)

            // Offsets in the time, `+` percent-encoded or not.
            let local = try await client.send(
                .get,
                "/api/v1/history?point=gas-a1.concentration&from=2025-03-01T08:00:05.000%2B08:00&to=2025-03-01T08:00:06.000+08:00",
                as: .viewer)
            #expect((local.json as? [[String: Any]])?.count == 1)

            // A configured point with nothing stored, and a range with nothing in it: empty, not an error.
            let fresh = try await client.send(.get, "/api/v1/history?point=gas-a1.fresh&from=-1h", as: .viewer)
            #expect(fresh.status == .ok)
            #expect(fresh.text == "[]")
            let empty = try await client.send(
                .get, "/api/v1/history?point=pool.level&from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z",
                as: .viewer)
            #expect(empty.text == "[]")
        }
    }

    @Test func historyWithAStepKeepsTheLastSampleAndTheExtremesPerBucket() async throws {
        let t = try TestServer()
        try record(t)
        try await t.test { client in
            let r = try await client.send(
                .get,
                "/api/v1/history?point=gas-a1.concentration&from=2025-03-01T00:00:00Z&to=2025-03-01T00:00:20Z&step=10",
                as: .viewer)
            #expect(r.status == .ok)
            let rows = try #require(r.json as? [[String: Any]])
            #expect(rows.count == 2)
            #expect(rows.map { $0["value"] as? Double } == [9, 19])
            #expect(rows.map { $0["min"] as? Double } == [0, 10])
            #expect(rows.map { $0["max"] as? Double } == [9, 19])
            #expect(rows.map { $0["count"] as? Int } == [10, 10])
            #expect(
                rows.map { $0["bucketStart"] as? String } == ["2025-03-01T00:00:00.000Z", "2025-03-01T00:00:10.000Z"])
            #expect(rows.map { $0["readAt"] as? String } == ["2025-03-01T00:00:09.000Z", "2025-03-01T00:00:19.000Z"])
        }
    }

    @Test(arguments: [
        ("/api/v1/history", "point: is required, such as point=gas-a1.concentration"),
        ("/api/v1/history?point=gas-a1", #"point: "gas-a1" must be "<device>.<point>", such as gas-a1.concentration"#),
        ("/api/v1/history?point=a.b.c", #"point: "a.b.c" must be "<device>.<point>", such as gas-a1.concentration"#),
        ("/api/v1/history?point=gas-a1.concentraton", #"point: "gas-a1.concentraton" is not a known point"#),
        (
            "/api/v1/history?point=gas-a1.concentration&from=-1h&to=-2h",
            "from: 2025-03-01T23:00:00.000Z is after to (2025-03-01T22:00:00.000Z)"
        ),
        (
            "/api/v1/history?point=gas-a1.concentration&from=yesterday",
            #"from: "yesterday" is neither an ISO 8601 time nor a time before now such as -10m, -2h or -3d"#
        ),
        (
            "/api/v1/history?point=gas-a1.concentration&step=0",
            #"step: "0" must be a number of seconds in 0.001...31622400"#
        ),
        (
            "/api/v1/history?point=gas-a1.concentration&from=-1d&step=1",
            "step: 1 s over this range gives 86400 samples, more than 1000; use a larger step"
        ),
    ])
    func historyMistakesNameTheField(uri: String, message: String) async throws {
        let t = try TestServer("historyMistakes\(abs(uri.hashValue))", dateNow: t0 + 86400)
        try record(t)
        try await t.test { client in
            let r = try await client.send(.get, uri, as: .viewer)
            #expect(r.status == .badRequest)
            #expect(r.error == message)
        }
    }

    @Test func tooManyReadingsWithoutAStepIsRefused() async throws {
        let t = try TestServer(maxHistoryPoints: 10)
        try record(t)
        try await t.test { client in
            let r = try await client.send(
                .get, "/api/v1/history?point=gas-a1.concentration&from=2025-03-01T00:00:00Z&to=2025-03-02T00:00:00Z",
                as: .viewer)
            #expect(r.status == .badRequest)
            #expect(
                r.error
                    == "step: the range holds 20 readings of gas-a1.concentration, more than 10; give a step (seconds) or a shorter range"
            )
            let stepped = try await client.send(
                .get,
                "/api/v1/history?point=gas-a1.concentration&from=2025-03-01T00:00:00Z&to=2025-03-01T00:00:20Z&step=5",
                as: .viewer)
            #expect((stepped.json as? [Any])?.count == 4)
        }
    }

    // MARK: - Events

    @Test func eventsInARangeOldestFirstWithTheirIDs() async throws {
        let t = try TestServer()
        for i in 0..<5 {
            try await t.historian.recordEvent(
                StoredEvent(
                    kind: i == 2 ? "trip" : "alarm", source: "gas-a1", message: "事件 \(i)", at: t0 + Double(i),
                    details: i == 0 ? #"{"value":52}"# : nil, drill: i == 4))
        }
        try await t.test { client in
            let all = try await client.send(
                .get, "/api/v1/events?from=2025-03-01T00:00:00Z&to=2025-03-01T00:01:00Z", as: .viewer)
            let rows = try #require(all.json as? [[String: Any]])
            #expect(rows.map { $0["message"] as? String } == (0..<5).map { "事件 \($0)" })
            let ids = rows.compactMap { $0["id"] as? Int }
            try #require(rows.count == 5)  // the indexing below would crash the whole run otherwise
            #expect(ids.count == 5 && ids == ids.sorted())
            #expect(rows[0]["details"] as? String == #"{"value":52}"#)
            #expect(rows[1]["details"] is NSNull)
            #expect(rows[4]["drill"] as? Bool == true)
            #expect(rows[2]["kind"] as? String == "trip")
            #expect(rows[0]["at"] as? String == "2025-03-01T00:00:00.000Z")

            let limited = try await client.send(
                .get, "/api/v1/events?from=2025-03-01T00:00:00Z&to=2025-03-01T00:01:00Z&limit=2", as: .viewer)
            #expect((limited.json as? [Any])?.count == 2)
            let bad = try await client.send(.get, "/api/v1/events?limit=0", as: .viewer)
            #expect(bad.status == .badRequest)
            #expect(bad.error == #"limit: "0" must be a whole number in 1...10000"#)
            let backwards = try await client.send(.get, "/api/v1/events?from=-1h&to=-2h", as: .viewer)
            #expect(backwards.status == .badRequest)
            #expect(backwards.error?.hasPrefix("from: ") == true)
        }
    }

    // MARK: - Drills

    @Test func drillsListReportsAndCheck() async throws {
        let t = try TestServer()
        try await t.test { client in
            let list = try await client.send(.get, "/api/v1/drills", as: .viewer)
            #expect(try list.decode([DrillEntry].self) == [FakeBackend.drill])

            let json = try await client.send(.get, "/api/v1/drills/d-1", as: .viewer)
            #expect(json.headers[.contentType] == "application/json; charset=utf-8")
            #expect(json.text == #"{"id":"d-1","plan":"plant-wide"}"#)

            let html = try await client.send(.get, "/api/v1/drills/d-1?format=html", as: .viewer)
            #expect(html.status == .ok)
            #expect(html.headers[.contentType] == "text/html; charset=utf-8")
            #expect(html.text.contains("<h1>演练</h1>"))
            // Its inline style is let in; nothing else is, and it cannot be framed.
            #expect(html.headers[.contentSecurityPolicy]?.contains("style-src 'unsafe-inline'") == true)
            #expect(html.headers[.contentSecurityPolicy]?.contains("script") == false)
            #expect(html.headers[.init("X-Frame-Options")!] == "DENY")
            #expect(html.headers[.xContentTypeOptions] == "nosniff")

            let md = try await client.send(.get, "/api/v1/drills/latest?format=md", as: .viewer)
            #expect(md.headers[.contentType] == "text/markdown; charset=utf-8")
            #expect(md.text == "# 验证演练\n")

            // The daemon's refusal keeps its kind: a report that does not exist is 404.
            let unknown = try await client.send(.get, "/api/v1/drills/d-9", as: .viewer)
            #expect(unknown.status == .notFound)
            #expect(unknown.error == #"no drill report "d-9""#)
            let badFormat = try await client.send(.get, "/api/v1/drills/d-1?format=pdf", as: .viewer)
            #expect(badFormat.status == .badRequest)
            #expect(badFormat.error == #"format: "pdf" must be json, html or md"#)

            // `check` is not a drill id: the literal route wins.
            let check = try await client.send(.get, "/api/v1/drills/check?plan=tank-farm-a", as: .viewer)
            #expect(check.status == .ok)
            #expect(try check.decode(DrillCheck.self) == FakeBackend.check("tank-farm-a"))
        }
        #expect(
            t.backend.requests == [
                .drills, .drillReport(drill: "d-1", format: "json"), .drillReport(drill: "d-1", format: "html"),
                .drillReport(drill: "latest", format: "md"), .drillReport(drill: "d-9", format: "json"),
                .drillCheck(plan: "tank-farm-a"),
            ])
    }

    @Test func unknownEndpointsAreJSON404s() async throws {
        let t = try TestServer()
        try await t.test { client in
            let r = try await client.send(.get, "/api/v1/nothing", as: .viewer)
            #expect(r.status == .notFound)
            #expect(r.error == "no such endpoint: GET /api/v1/nothing")
            #expect(r.headers[.cacheControl] == "no-store")
        }
    }
}

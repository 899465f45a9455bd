import ControlAPI
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import WebAPI

/// Actions: each becomes the control request the socket would get, with the caller; bad input is refused before
/// the daemon sees it.
struct ActionRoutesTests {
    @Test func everyActionBecomesItsControlRequest() async throws {
        let t = try TestServer()
        try await t.test { client in
            for action in AuthTests.actions {
                let r = try await client.send(action.method, action.uri, as: .admin, json: action.body)
                #expect(r.status == .ok, "\(action.uri): \(r.text)")
                #expect((r.json as? [String: Any])?["ok"] as? Bool == true)
                #expect(((r.json as? [String: Any])?["message"] as? String)?.hasSuffix(" done") == true)
            }
        }
        let sent = t.backend.actions
        #expect(
            sent == [
                .shutoff(plan: nil, reason: "gas leak at tank farm A"),
                .reset(reason: "leak stopped", override: false),
                .restore(reason: "all clear", dryRun: false, open: []),
                .escalate(reason: "pool filling"),
                .command(device: "rain-outlet-1", command: "open", reason: "rain over"),
                .command(device: "rain-outlet-1", command: "close", reason: "storm"),
                .ack(alarm: "gas-a1.concentration.HH", reason: "seen"),
                .shelve(alarm: "gas-a1.concentration.HH", reason: "sensor swap", seconds: 600),
                .silence(reason: nil),
                .drillStart(plan: "plant-wide", live: true, reason: "quarterly drill"),
                .bypass(interlock: "accident-pool-hh", reason: "level sensor calibration", seconds: nil),
                .unbypass(interlock: "accident-pool-hh"),
            ])
        #expect(Set(t.backend.callers.map(\.user)) == ["safety"])
    }

    @Test func optionalFieldsArePassedOn() async throws {
        let t = try TestServer()
        try await t.test { client in
            try await client.send(
                .post, "/api/v1/shutoff", as: .operator, json: #"{"reason":" 罐区A泄漏 ","plan":"tank-farm-a"}"#)
            try await client.send(
                .post, "/api/v1/interlocks/rain-outlet-cod/bypass", as: .admin,
                json: #"{"reason":"analyser service","seconds":1800}"#)
            try await client.send(.post, "/api/v1/alarms/silence", as: .operator, json: #"{"reason":"heard"}"#)
            // A percent-encoded id arrives decoded.
            try await client.send(
                .post, "/api/v1/alarms/%E6%B6%B2%E4%BD%8D.HH/ack", as: .operator, json: #"{"reason":"ok"}"#)
        }
        #expect(
            t.backend.actions == [
                .shutoff(plan: "tank-farm-a", reason: "罐区A泄漏"),
                .bypass(interlock: "rain-outlet-cod", reason: "analyser service", seconds: 1800),
                .silence(reason: "heard"),
                .ack(alarm: "液位.HH", reason: "ok"),
            ])
    }

    /// A restore's dry run needs no reason; opening a held outlet is for administrators only.
    @Test func restoreDryRunAndHeldOutletOverride() async throws {
        let t = try TestServer()
        try await t.test { client in
            let dry = try await client.send(.post, "/api/v1/restore", as: .operator, json: #"{"dryRun":true}"#)
            #expect(dry.status == .ok, "\(dry.text)")
            let refused = try await client.send(
                .post, "/api/v1/restore", as: .operator, json: #"{"reason":"x","open":["rain-outlet-1"]}"#)
            #expect(refused.status == .forbidden, "\(refused.text)")
            try await client.send(
                .post, "/api/v1/restore", as: .admin, json: #"{"reason":"agreed","open":["rain-outlet-1"]}"#)
        }
        #expect(
            t.backend.actions == [
                .restore(reason: "", dryRun: true, open: []),
                .restore(reason: "agreed", dryRun: false, open: ["rain-outlet-1"]),
            ])
    }

    @Test(arguments: [
        ("/api/v1/shutoff", #"{"reason":"#, "body: not valid JSON"),
        ("/api/v1/shutoff", #"["reason"]"#, "body: must be a JSON object, got an array"),
        ("/api/v1/shutoff", "", #"body: "reason" is required"#),
        ("/api/v1/shutoff", "{}", #"body: "reason" is required"#),
        ("/api/v1/shutoff", #"{"reason":"   "}"#, #"body: "reason" must not be empty"#),
        ("/api/v1/shutoff", #"{"reason":42}"#, #"body: "reason" must be a string, got a number"#),
        ("/api/v1/shutoff", #"{"reason":"x","plan":true}"#, #"body: "plan" must be a string, got a boolean"#),
        (
            "/api/v1/reset", #"{"reason":"x","overide":true}"#,
            #"body: unknown field "overide" (this request takes "override", "reason")"#
        ),
        (
            "/api/v1/reset", #"{"reason":"x","override":"yes"}"#,
            #"body: "override" must be true or false, got a string"#
        ),
        ("/api/v1/alarms/a.b.H/shelve", #"{"reason":"x"}"#, #"body: "seconds" is required"#),
        (
            "/api/v1/alarms/a.b.H/shelve", #"{"reason":"x","seconds":-5}"#,
            #"body: "seconds" -5 is outside 1...2592000 seconds"#
        ),
        (
            "/api/v1/alarms/a.b.H/shelve", #"{"reason":"x","seconds":"600"}"#,
            #"body: "seconds" must be a number of seconds, got a string"#
        ),
        ("/api/v1/drills", #"{"reason":"x"}"#, #"body: "live" is required"#),
        ("/api/v1/valves/v1/close", #"{"why":"x"}"#, #"body: unknown field "why" (this request takes "reason")"#),
    ])
    func badBodiesNameTheField(uri: String, body: String, message: String) async throws {
        let t = try TestServer("badBodies\(abs((uri + body).hashValue))")
        try await t.test { client in
            let r = try await client.send(.post, uri, as: .admin, json: body)
            #expect(r.status == .badRequest)
            #expect(r.error == message)
        }
        #expect(t.backend.requests.isEmpty)
    }

    @Test func aBodyOver64KiBIs413() async throws {
        let t = try TestServer()
        try await t.test { client in
            let reason = String(repeating: "x", count: 70 * 1024)
            let r = try await client.send(.post, "/api/v1/shutoff", as: .operator, json: #"{"reason":"\#(reason)"}"#)
            #expect(r.status == .contentTooLarge)
            #expect(r.error == "body: larger than 64 KiB")
        }
        #expect(t.backend.requests.isEmpty)
    }

    @Test func aRefusalIs409WithTheDaemonsReason() async throws {
        let t = try TestServer()
        try await t.test { client in
            let r = try await client.send(
                .post, "/api/v1/reset", as: .operator, json: #"{"reason":"\#(FakeBackend.refusingReason)"}"#)
            #expect(r.status == .conflict)
            #expect(r.text == #"{"error":"reset refused: button b1 pressed"}"#)
        }
    }

    @Test func aDaemonThatDoesNotAnswerGets504AndTheServerCarriesOn() async throws {
        let t = try TestServer(requestTimeout: .milliseconds(200))
        t.backend.delay.withLock { $0 = .seconds(5) }
        try await t.test { client in
            // (No timing assertion: on a loaded machine the 504 may come late, but it comes before the 5 s
            // backend, which the status proves.)
            let r = try await client.send(.post, "/api/v1/escalate", as: .operator, json: #"{"reason":"pool"}"#)
            #expect(r.status == .gatewayTimeout)
            #expect(r.error == "the daemon did not answer escalate within 200 ms")
            t.backend.delay.withLock { $0 = nil }
            #expect(try await client.send(.get, "/api/v1/alarms", as: .viewer).status == .ok)
        }
    }
}

import ControlAPI
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import WebAPI

/// Tokens, roles and the login limiter, through the router.
struct AuthTests {
    /// Every action, with a body that would be accepted, and the least role allowed.
    static let actions: [(method: HTTPRequest.Method, uri: String, body: String?, role: APIRole)] = [
        (.post, "/api/v1/shutoff", #"{"reason":"gas leak at tank farm A"}"#, .operator),
        (.post, "/api/v1/reset", #"{"reason":"leak stopped"}"#, .operator),
        (.post, "/api/v1/restore", #"{"reason":"all clear"}"#, .operator),
        (.post, "/api/v1/escalate", #"{"reason":"pool filling"}"#, .operator),
        (.post, "/api/v1/valves/rain-outlet-1/open", #"{"reason":"rain over"}"#, .operator),
        (.post, "/api/v1/valves/rain-outlet-1/close", #"{"reason":"storm"}"#, .operator),
        (.post, "/api/v1/alarms/gas-a1.concentration.HH/ack", #"{"reason":"seen"}"#, .operator),
        (.post, "/api/v1/alarms/gas-a1.concentration.HH/shelve", #"{"reason":"sensor swap","seconds":600}"#, .operator),
        (.post, "/api/v1/alarms/silence", nil, .operator),
        (.post, "/api/v1/drills", #"{"plan":"plant-wide","live":true,"reason":"quarterly drill"}"#, .operator),
        (.post, "/api/v1/interlocks/accident-pool-hh/bypass", #"{"reason":"level sensor calibration"}"#, .admin),
        (.delete, "/api/v1/interlocks/accident-pool-hh/bypass", nil, .admin),
    ]

    @Test func aViewerIsRefusedEveryActionAndNothingReachesTheDaemon() async throws {
        let t = try TestServer()
        try await t.test { client in
            for action in Self.actions {
                let response = try await client.send(action.method, action.uri, as: .viewer, json: action.body)
                #expect(response.status == .forbidden, "\(action.uri)")
                #expect(response.text == #"{"error":"forbidden"}"#)
            }
        }
        #expect(t.backend.requests.isEmpty)
    }

    @Test func theRoleMatrix() async throws {
        for role in APIRole.allCases {
            let t = try TestServer("roleMatrix\(role)")
            try await t.test { client in
                for action in Self.actions {
                    let response = try await client.send(action.method, action.uri, as: role, json: action.body)
                    #expect(
                        response.status == (role >= action.role ? .ok : .forbidden),
                        "\(role) \(action.method) \(action.uri): \(response.text)")
                }
            }
            let allowed = Self.actions.filter { role >= $0.role }.count
            #expect(t.backend.actions.count == allowed, "\(role)")
            #expect(t.backend.callers.allSatisfy { $0.role == role })
        }
    }

    @Test func anOperatorMayResetButNotOverride() async throws {
        let t = try TestServer()
        try await t.test { client in
            let refused = try await client.send(
                .post, "/api/v1/reset", as: .operator, json: #"{"reason":"button stuck","override":true}"#)
            #expect(refused.status == .forbidden)
            let plain = try await client.send(
                .post, "/api/v1/reset", as: .operator, json: #"{"reason":"leak stopped","override":false}"#)
            #expect(plain.status == .ok)
            let admin = try await client.send(
                .post, "/api/v1/reset", as: .admin, json: #"{"reason":"button stuck","override":true}"#)
            #expect(admin.status == .ok)
        }
        #expect(
            t.backend.actions == [
                .reset(reason: "leak stopped", override: false), .reset(reason: "button stuck", override: true),
            ])
        #expect(t.backend.callers.map(\.user) == ["control-room", "safety"])
    }

    @Test func noTokenAndAWrongTokenGetTheSameAnswer() async throws {
        let t = try TestServer()
        try await t.test { client in
            let none = try await client.send(.get, "/api/v1/status", as: nil)
            let wrong = try await client.execute(
                uri: "/api/v1/status", method: .get, headers: [.authorization: "Bearer not-a-token"])
            let basic = try await client.execute(
                uri: "/api/v1/status", method: .get, headers: [.authorization: "Basic YWRtaW46YWRtaW4="])
            // A token one character off an existing one's: nothing tells it was close.
            let near = try await client.execute(
                uri: "/api/v1/status", method: .get, headers: [.authorization: "Bearer \(Tokens.admin)x"])
            for response in [none, wrong, basic, near] {
                #expect(response.status == .unauthorized)
                #expect(response.text == #"{"error":"unauthorized"}"#)
                #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="levee""#)
                #expect(response.headers[.cacheControl] == "no-store")
            }
            let shutoff = try await client.execute(
                uri: "/api/v1/shutoff", method: .post, headers: [.authorization: "Bearer nope"],
                body: ByteBuffer(string: #"{"reason":"x"}"#))
            #expect(shutoff.status == .unauthorized)
        }
        #expect(t.backend.requests.isEmpty)
    }

    @Test func tooManyFailuresRefuseFurtherGuessesButNeverAGoodTokenUntilTheWindowPasses() async throws {
        let t = try TestServer(loginFailures: 3)
        let clock = t.clock
        try await t.test { client in
            for _ in 0..<3 {
                let r = try await client.execute(
                    uri: "/api/v1/status", method: .get, headers: [.authorization: "Bearer guess"])
                #expect(r.status == .unauthorized)
                clock.advance(.seconds(10))
            }
            // Three failures at 0, 10 and 20 s; now 30 s: the first leaves the window at 60 s. Another guess from
            // the same address (one NAT) is refused with 429 ...
            let guess = try await client.execute(
                uri: "/api/v1/status", method: .get, headers: [.authorization: "Bearer guess"])
            #expect(guess.status == .tooManyRequests)
            #expect(guess.headers[.retryAfter] == "30")
            // ... but an operator behind the same address is served, reads and trips alike.
            #expect(try await client.send(.get, "/api/v1/status", as: .admin).status == .ok)
            let trip = try await client.send(.post, "/api/v1/shutoff", as: .operator, json: #"{"reason":"x"}"#)
            #expect(trip.status == .ok)
            clock.advance(.seconds(29))
            let later = try await client.execute(
                uri: "/api/v1/status", method: .get, headers: [.authorization: "Bearer guess"])
            #expect(later.status == .tooManyRequests)
            #expect(later.headers[.retryAfter] == "1")
            clock.advance(.seconds(1))
            let afterWindow = try await client.execute(
                uri: "/api/v1/status", method: .get, headers: [.authorization: "Bearer guess"])
            #expect(afterWindow.status == .unauthorized)
            // A missing header is no attempt at a password and is not counted.
            for _ in 0..<5 { _ = try await client.send(.get, "/api/v1/status", as: nil) }
            #expect(try await client.send(.get, "/api/v1/status", as: .viewer).status == .ok)
        }
        #expect(t.backend.actions.map(\.op) == [.shutoff])
    }

    @Test func replacedAccountsTakeEffectAtOnce() async throws {
        let t = try TestServer()
        let server = t.server
        try await t.test { client in
            #expect(try await client.send(.get, "/api/v1/alarms", as: .viewer).status == .ok)
            try server.updateUsers(Tokens.users.filter { $0.role != .viewer })
            #expect(try await client.send(.get, "/api/v1/alarms", as: .viewer).status == .unauthorized)
            #expect(try await client.send(.get, "/api/v1/alarms", as: .operator).status == .ok)
            #expect(throws: WebServerConfigurationError.self) {
                try server.updateUsers([APIUser(name: "x", role: .admin, tokenSHA256: "not hex")])
            }
            // A refused update keeps the accounts in use.
            #expect(try await client.send(.get, "/api/v1/alarms", as: .operator).status == .ok)
        }
    }

    @Test func theCallerCarriesUserRoleAndAddress() async throws {
        let t = try TestServer()
        try await t.test { client in
            _ = try await client.send(.post, "/api/v1/escalate", as: .operator, json: #"{"reason":"pool 90%"}"#)
        }
        // The router test has no socket, so no address.
        #expect(t.backend.callers == [Caller(user: "control-room", role: .operator, address: "unknown")])
    }
}

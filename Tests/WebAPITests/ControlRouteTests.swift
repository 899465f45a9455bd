import ControlAPI
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import WebAPI

/// `POST /api/v1/control` (leveectl over HTTP) and `GET /api/v1/whoami`.
struct ControlRouteTests {
    private func body(_ request: ControlRequest) throws -> String {
        String(decoding: try JSONEncoder.control.encode(request), as: UTF8.self)
    }

    @Test func whoami() async throws {
        let t = try TestServer()
        try await t.test { client in
            for role in APIRole.allCases {
                let r = try await client.send(.get, "/api/v1/whoami", as: role)
                #expect(
                    r.json as? [String: String] == [
                        "user": Tokens.users.first { $0.role == role }!.name, "role": role.rawValue,
                    ])
            }
        }
        #expect(t.backend.requests.isEmpty)
    }

    @Test func eachOpNeedsItsOwnRole() async throws {
        for role in APIRole.allCases {
            let t = try TestServer("controlRoles\(role)")
            let ops = API.opRoles
            try await t.test { client in
                for (op, needed) in ops.sorted(by: { $0.key < $1.key }) {
                    let r = try await client.send(
                        .post, "/api/v1/control", as: role, json: try body(ControlRequest(op: op, reason: "test")))
                    // Allowed ops reach the daemon, which may still refuse (a drill report without an id).
                    #expect((r.status == .forbidden) == (role < needed), "\(role) \(op): \(r.status)")
                }
                // A reset with override is for administrators.
                let override = try await client.send(
                    .post, "/api/v1/control", as: role,
                    json: try body(ControlRequest(op: "reset", reason: "stuck", override: true)))
                #expect(override.status == (role == .admin ? .ok : .forbidden))
            }
            let allowed = ops.values.filter { role >= $0 }.count + (role == .admin ? 1 : 0)
            #expect(t.backend.requests.count == allowed, "\(role)")
        }
    }

    @Test func theDaemonsAnswerComesBackAsItIs() async throws {
        let t = try TestServer()
        try await t.test { client in
            let status = try await client.send(
                .post, "/api/v1/control", as: .viewer, json: try body(ControlRequest(op: "status")))
            #expect(status.status == .ok)
            #expect(try status.decode(ControlResponse.self) == ControlResponse(ok: true, status: FakeBackend.status))

            let refused = try await client.send(
                .post, "/api/v1/control", as: .operator,
                json: try body(ControlRequest(op: "reset", reason: FakeBackend.refusingReason)))
            #expect(refused.status == .conflict)
            #expect(
                try refused.decode(ControlResponse.self)
                    == ControlResponse(ok: false, error: "reset refused: button b1 pressed"))
            #expect(refused.error == "reset refused: button b1 pressed")

            let unknown = try await client.send(.post, "/api/v1/control", as: .admin, json: #"{"op":"format-disk"}"#)
            #expect(unknown.status == .badRequest)
            #expect(
                unknown.error?.hasPrefix(#"op: "format-disk" is not a control op (known: ack, alarms, bypass"#) == true)
            let malformed = try await client.send(.post, "/api/v1/control", as: .admin, json: #"{"reason":"x"}"#)
            #expect(malformed.status == .badRequest)
            #expect(malformed.error == #"body: not a control request (a JSON object with "op" and its fields)"#)
        }
        #expect(t.backend.requests.map(\.op) == ["status", "reset"])
        #expect(t.backend.callers.map(\.user) == ["eco-bureau", "control-room"])
    }
}

import ControlAPI
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import WebAPI

/// `POST /api/v1/control` (leveectl over HTTP) and `GET /api/v1/whoami`.
struct ControlRouteTests {
    private func body(_ command: ControlCommand) throws -> String {
        String(decoding: try JSONEncoder.control.encode(command), as: UTF8.self)
    }

    /// One command of each op, as leveectl would send it, with its least role.
    static let examples: [ControlCommand] = [
        .ping, .status, .alarms, .ack(alarm: "a.b.H", reason: "test"),
        .shelve(alarm: "a.b.H", reason: "test", seconds: 600), .unshelve(alarm: "a.b.H", reason: nil),
        .removeFromService(alarm: "a.b.H", reason: "test"), .returnToService(alarm: "a.b.H", reason: nil),
        .silence(reason: "test"), .command(device: "rain-outlet-1", command: "close", reason: "test"),
        .shutoff(plan: nil, reason: "test"), .reset(reason: "test", override: false),
        .restore(reason: "test", dryRun: false, open: []), .bypass(interlock: "i", reason: "test", seconds: nil),
        .unbypass(interlock: "i"), .escalate(reason: "test"), .drillStart(plan: nil, live: true, reason: "test"),
        .drillCheck(plan: nil), .drills, .drillReport(drill: "latest", format: "md"),
        .parkConfirm(catchment: "river", reason: "test"), .metrics, .watch(journal: false),
    ]

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
            #expect(Set(Self.examples.map(\.op)) == Set(ControlCommand.Op.allCases))
            try await t.test { client in
                for command in Self.examples {
                    let r = try await client.send(.post, "/api/v1/control", as: role, json: try body(command))
                    // Allowed commands reach the daemon, which may still refuse.
                    let needed = command.leastRole
                    #expect((r.status == .forbidden) == (role < needed), "\(role) \(command.op): \(r.status)")
                }
                // A reset with override is for administrators.
                let override = try await client.send(
                    .post, "/api/v1/control", as: role,
                    json: try body(.reset(reason: "stuck", override: true)))
                #expect(override.status == (role == .admin ? .ok : .forbidden))
            }
            // `watch` streams on the control socket only: refused (400) before the daemon.
            let allowed =
                Self.examples.filter { role >= $0.leastRole && $0 != .watch(journal: false) }.count
                + (role == .admin ? 1 : 0)
            #expect(t.backend.requests.count == allowed, "\(role)")
        }
    }

    @Test func theDaemonsAnswerComesBackAsItIs() async throws {
        let t = try TestServer()
        try await t.test { client in
            let status = try await client.send(
                .post, "/api/v1/control", as: .viewer, json: try body(.status))
            #expect(status.status == .ok)
            #expect(try status.decode(ControlResponse.self) == ControlResponse(.success(.status(FakeBackend.status))))

            let refused = try await client.send(
                .post, "/api/v1/control", as: .operator,
                json: try body(.reset(reason: FakeBackend.refusingReason, override: false)))
            #expect(refused.status == .conflict)
            #expect(
                try refused.decode(ControlResponse.self)
                    == ControlResponse(.failure(ControlRefusal(.conflict, "reset refused: button b1 pressed"))))
            #expect(refused.error == "reset refused: button b1 pressed")

            let unknown = try await client.send(.post, "/api/v1/control", as: .admin, json: #"{"op":"format-disk"}"#)
            #expect(unknown.status == .badRequest)
            #expect(
                unknown.error?.hasPrefix(#"op: "format-disk" is not a control op (known: ack, alarms, bypass"#) == true)
            let malformed = try await client.send(.post, "/api/v1/control", as: .admin, json: #"{"reason":"x"}"#)
            #expect(malformed.status == .badRequest)
            #expect(malformed.error == #"body: not a control request (a JSON object with "op" and its fields)"#)
        }
        #expect(t.backend.requests.map(\.op) == [.status, .reset])
        #expect(t.backend.callers.map(\.user) == ["eco-bureau", "control-room"])
    }
}

import ControlAPI
import Foundation
import Hummingbird

/// `POST /api/v1/control`: any control-socket request as JSON, for `leveectl --http`; and `GET /api/v1/whoami`,
/// for the dashboard to show the views a role may use.
extension API {
    /// The least role for each control op. Reading is for viewers; acting on the plant for operators; bypasses,
    /// and taking an alarm out of service (a change to the alarm system itself, ISA-18.2), for administrators. A
    /// `reset` with `override` is for administrators too.
    static let opRoles: [String: APIRole] = [
        "ping": .viewer, "status": .viewer, "alarms": .viewer, "drills": .viewer, "drill-report": .viewer,
        "drill-check": .viewer,
        "ack": .operator, "shelve": .operator, "unshelve": .operator, "silence": .operator, "command": .operator,
        "shutoff": .operator, "reset": .operator, "restore": .operator, "escalate": .operator,
        "drill-start": .operator, "park-confirm": .operator,
        "bypass": .admin, "unbypass": .admin, "remove-from-service": .admin, "return-to-service": .admin,
    ]

    var controlRoutes: [Route] {
        [
            Route(method: .get, path: "/api/v1/whoami", role: .viewer) { _, _, caller in
                try Self.json(["user": caller.user, "role": caller.role.rawValue])
            },
            // Any token may call it; the op's own role is checked once the body is read.
            Route(method: .post, path: "/api/v1/control", role: .viewer, handler: control),
        ]
    }

    /// Answers the daemon's `ControlResponse` as it is: 200 when `ok`, 409 when refused (with `error`).
    @Sendable func control(_ request: Request, _ context: WebContext, _ caller: Caller) async throws -> Response {
        var http = request
        let data: ByteBuffer
        do {
            data = try await http.collectBody(upTo: WebServer.maximumBodySize)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(
                status: .contentTooLarge, message: "body: larger than \(WebServer.maximumBodySize / 1024) KiB")
        }
        let control: ControlRequest
        do {
            control = try JSONDecoder.control.decode(ControlRequest.self, from: Data(data.readableBytesView))
        } catch {
            throw APIError.badRequest("body: not a control request (a JSON object with \"op\" and its fields)")
        }
        guard let role = Self.opRoles[control.op] else {
            let known = Self.opRoles.keys.sorted().joined(separator: ", ")
            throw APIError.badRequest("op: \"\(control.op)\" is not a control op (known: \(known))")
        }
        let needed = control.op == "reset" && control.override == true ? APIRole.admin : role
        guard caller.role >= needed else { throw APIError.forbidden }
        let backend = backend
        guard
            let response = try await withDeadline(
                configuration.requestTimeout,
                {
                    await backend.handle(control, caller: caller)
                })
        else {
            throw APIError(
                status: .gatewayTimeout,
                message: "the daemon did not answer \(control.op) within \(configuration.requestTimeout.spoken)")
        }
        if needed > .viewer {
            logger.info(
                "HTTP action",
                metadata: ["op": "\(control.op)", "user": "\(caller.user)", "address": "\(caller.address)"])
        }
        return try Self.json(response, status: response.ok ? .ok : .conflict)
    }
}

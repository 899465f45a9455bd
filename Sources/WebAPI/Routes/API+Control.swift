import ControlAPI
import Foundation
import Hummingbird

/// `POST /api/v1/control`: any control-socket request as JSON, for `leveectl --http`; and `GET /api/v1/whoami`,
/// for the dashboard to show the views a role may use.
extension API {
    var controlRoutes: [Route] {
        [
            Route(method: .get, path: "/api/v1/whoami", role: .viewer) { _, _, caller in
                try Self.json(["user": caller.user, "role": caller.role.rawValue])
            },
            // Any token may call it; the command's own least role (`ControlCommand.leastRole`) is checked once the
            // body is read.
            Route(method: .post, path: "/api/v1/control", role: .viewer, handler: control),
        ]
    }

    /// Answers the daemon's reply as `ControlResponse`: 200 when done, and when refused the status of the
    /// refusal's kind (400, 403, 404, 409, 503) with `ok: false`, `kind` and `error`.
    @Sendable func control(_ request: Request, _ context: WebContext, _ caller: Caller) async throws -> Response {
        var http = request
        let data: ByteBuffer
        do {
            data = try await http.collectBody(upTo: WebServer.maximumBodySize)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(
                status: .contentTooLarge, message: "body: larger than \(WebServer.maximumBodySize / 1024) KiB")
        }
        let bytes = Data(data.readableBytesView)
        // Who may send it is decided from the op alone, before any other field (a number, say) is looked at.
        let op: ControlCommand.Op
        do {
            let head = try JSONDecoder.control.decode(ControlCommand.Head.self, from: bytes)
            guard let known = ControlCommand.Op(rawValue: head.op) else {
                let names = ControlCommand.Op.allCases.map(\.rawValue).sorted().joined(separator: ", ")
                throw APIError.badRequest("op: \"\(head.op)\" is not a control op (known: \(names))")
            }
            op = known
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.badRequest("body: not a control request (a JSON object with \"op\" and its fields)")
        }
        if op == .bypass && caller.role < .admin { throw APIError.forbidden }
        let command: ControlCommand
        do {
            command = try JSONDecoder.control.decode(ControlCommand.self, from: bytes)
        } catch let refusal as ControlRefusal {
            throw APIError(refusal)
        } catch {
            let why =
                ControlRefusal.fieldProblem(error) ?? "not a control request (a JSON object with \"op\" and its fields)"
            throw APIError.badRequest("body: \(why)")
        }
        guard caller.role >= command.leastRole else { throw APIError.forbidden }
        if case .watch = command {
            throw APIError.badRequest("op: watch streams on the control socket only; GET /api/v1/stream streams here")
        }
        let backend = backend
        guard
            let result = try await withDeadline(
                configuration.requestTimeout,
                {
                    await backend.handle(command, caller: caller)
                })
        else {
            throw APIError(
                status: .gatewayTimeout,
                message:
                    "the daemon did not answer \(op.rawValue) within \(configuration.requestTimeout.spoken)")
        }
        if !command.onlyReads {
            logger.info(
                "HTTP action",
                metadata: ["op": "\(op.rawValue)", "user": "\(caller.user)", "address": "\(caller.address)"])
        }
        let status: HTTPResponse.Status =
            switch result {
            case .success: .ok
            case .failure(let refusal): APIError.status(of: refusal.kind)
            }
        return try Self.json(ControlResponse(result), status: status)
    }
}

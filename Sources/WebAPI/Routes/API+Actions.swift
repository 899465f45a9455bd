import ControlAPI
import Hummingbird

/// What operators and administrators may command. Each action needs a reason, which goes into the journal with
/// the user's name; the role is checked before the body is read, so a refused request never reaches the daemon.
extension API {
    var actionRoutes: [Route] {
        [
            action("/api/v1/shutoff", role: .operator, fields: ["reason", "plan"]) { body, _ in
                ControlRequest(op: "shutoff", reason: try body.reason(), plan: try body.text("plan", required: false))
            },
            Route(method: .post, path: "/api/v1/reset", role: .operator) { request, _, caller in
                let body = try await Self.body(request)
                try body.allowOnly(["reason", "override"])
                let reason = try body.reason()
                let override = try body.flag("override", required: false) ?? false
                // Overriding a reset while its cause is still active is for administrators only.
                if override && caller.role < .admin { throw APIError.forbidden }
                return try await perform(ControlRequest(op: "reset", reason: reason, override: override), caller)
            },
            Route(method: .post, path: "/api/v1/restore", role: .operator) { request, _, caller in
                let body = try await Self.body(request)
                try body.allowOnly(["reason", "dryRun", "open"])
                let dryRun = try body.flag("dryRun", required: false) ?? false
                // A dry run moves nothing, so it asks no reason.
                let reason = try body.text("reason", required: !dryRun)
                let open = try body.texts("open") ?? []
                // Opening a held outlet is for administrators only.
                if !open.isEmpty && caller.role < .admin { throw APIError.forbidden }
                return try await perform(
                    ControlRequest(
                        op: "restore", reason: reason, dryRun: dryRun ? true : nil, open: open.isEmpty ? nil : open),
                    caller)
            },
            action("/api/v1/escalate", role: .operator, fields: ["reason"]) { body, _ in
                ControlRequest(op: "escalate", reason: try body.reason())
            },
            action("/api/v1/valves/{id}/open", role: .operator, fields: ["reason"]) { body, context in
                ControlRequest(
                    op: "command", reason: try body.reason(), device: try Self.parameter(context, "id"), command: "open"
                )
            },
            action("/api/v1/valves/{id}/close", role: .operator, fields: ["reason"]) { body, context in
                ControlRequest(
                    op: "command", reason: try body.reason(), device: try Self.parameter(context, "id"),
                    command: "close")
            },
            action("/api/v1/alarms/silence", role: .operator, fields: ["reason"]) { body, _ in
                ControlRequest(op: "silence", reason: try body.text("reason", required: false))
            },
            action("/api/v1/alarms/{id}/ack", role: .operator, fields: ["reason"]) { body, context in
                ControlRequest(op: "ack", alarm: try Self.parameter(context, "id"), reason: try body.reason())
            },
            action("/api/v1/alarms/{id}/shelve", role: .operator, fields: ["reason", "seconds"]) { body, context in
                ControlRequest(
                    op: "shelve", alarm: try Self.parameter(context, "id"), reason: try body.reason(),
                    seconds: try body.seconds("seconds", required: true, in: RequestLimits.shelveSeconds))
            },
            action("/api/v1/drills", role: .operator, fields: ["plan", "live", "reason"]) { body, _ in
                ControlRequest(
                    op: "drill-start", reason: try body.reason(), plan: try body.text("plan", required: false),
                    live: try body.flag("live", required: true))
            },
            action("/api/v1/interlocks/{id}/bypass", role: .admin, fields: ["reason", "seconds"]) { body, context in
                ControlRequest(
                    op: "bypass", reason: try body.reason(),
                    seconds: try body.seconds("seconds", required: false, in: RequestLimits.bypassSeconds),
                    interlock: try Self.parameter(context, "id"))
            },
            Route(method: .delete, path: "/api/v1/interlocks/{id}/bypass", role: .admin) { _, context, caller in
                try await perform(ControlRequest(op: "unbypass", interlock: try Self.parameter(context, "id")), caller)
            },
        ]
    }

    /// A POST whose JSON body (only `fields`) becomes one control request.
    private func action(
        _ path: String, role: APIRole, fields: Set<String>,
        _ makeRequest: @escaping @Sendable (JSONBody, WebContext) throws -> ControlRequest
    ) -> Route {
        Route(method: .post, path: path, role: role) { request, context, caller in
            let body = try await Self.body(request)
            try body.allowOnly(fields)
            return try await perform(try makeRequest(body, context), caller)
        }
    }

    /// Sends an action to the daemon and answers `{"ok": true, "message": ...}`.
    private func perform(_ request: ControlRequest, _ caller: Caller) async throws -> Response {
        logger.info(
            "HTTP action",
            metadata: ["op": "\(request.op)", "user": "\(caller.user)", "address": "\(caller.address)"])
        return try Self.json(try await call(request, caller))
    }
}

import ControlAPI
import Hummingbird

/// What operators and administrators may command. Each action needs a reason, which goes into the journal with
/// the user's name; the role is checked before the body is read, so a refused request never reaches the daemon.
extension API {
    var actionRoutes: [Route] {
        [
            action("/api/v1/shutoff", role: .operator, fields: ["reason", "plan"]) { body, _ in
                .shutoff(plan: try body.text("plan", required: false), reason: try body.reason())
            },
            Route(method: .post, path: "/api/v1/reset", role: .operator) { request, _, caller in
                let body = try await Self.body(request)
                try body.allowOnly(["reason", "override"])
                let reason = try body.reason()
                let override = try body.flag("override", required: false) ?? false
                // Overriding a reset while its cause is still active is for administrators only.
                if override && caller.role < .admin { throw APIError.forbidden }
                return try await perform(.reset(reason: reason, override: override), caller)
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
                return try await perform(.restore(reason: reason ?? "", dryRun: dryRun, open: open), caller)
            },
            action("/api/v1/escalate", role: .operator, fields: ["reason"]) { body, _ in
                .escalate(reason: try body.reason())
            },
            action("/api/v1/valves/{id}/open", role: .operator, fields: ["reason"]) { body, context in
                .command(device: try Self.parameter(context, "id"), command: "open", reason: try body.reason())
            },
            action("/api/v1/valves/{id}/close", role: .operator, fields: ["reason"]) { body, context in
                .command(device: try Self.parameter(context, "id"), command: "close", reason: try body.reason())
            },
            action("/api/v1/alarms/silence", role: .operator, fields: ["reason"]) { body, _ in
                .silence(reason: try body.text("reason", required: false))
            },
            action("/api/v1/alarms/{id}/ack", role: .operator, fields: ["reason"]) { body, context in
                .ack(alarm: try Self.parameter(context, "id"), reason: try body.reason())
            },
            action("/api/v1/alarms/{id}/shelve", role: .operator, fields: ["reason", "seconds"]) { body, context in
                .shelve(
                    alarm: try Self.parameter(context, "id"), reason: try body.reason(),
                    seconds: try body.seconds("seconds", required: true, in: RequestLimits.shelveSeconds) ?? 3600)
            },
            action("/api/v1/drills", role: .operator, fields: ["plan", "live", "reason"]) { body, _ in
                .drillStart(
                    plan: try body.text("plan", required: false), live: try body.flag("live", required: true) ?? false,
                    reason: try body.reason())
            },
            action("/api/v1/interlocks/{id}/bypass", role: .admin, fields: ["reason", "seconds"]) { body, context in
                .bypass(
                    interlock: try Self.parameter(context, "id"), reason: try body.reason(),
                    seconds: try body.seconds("seconds", required: false, in: RequestLimits.bypassSeconds))
            },
            Route(method: .delete, path: "/api/v1/interlocks/{id}/bypass", role: .admin) { _, context, caller in
                try await perform(.unbypass(interlock: try Self.parameter(context, "id")), caller)
            },
        ]
    }

    /// A POST whose JSON body (only `fields`) becomes one control request.
    private func action(
        _ path: String, role: APIRole, fields: Set<String>,
        _ makeCommand: @escaping @Sendable (JSONBody, WebContext) throws -> ControlCommand
    ) -> Route {
        Route(method: .post, path: path, role: role) { request, context, caller in
            let body = try await Self.body(request)
            try body.allowOnly(fields)
            return try await perform(try makeCommand(body, context), caller)
        }
    }

    /// Sends an action to the daemon and answers `{"ok": true, "message": ...}`.
    private func perform(_ command: ControlCommand, _ caller: Caller) async throws -> Response {
        logger.info(
            "HTTP action",
            metadata: ["op": "\(command.op.rawValue)", "user": "\(caller.user)", "address": "\(caller.address)"])
        return try Self.json(ControlResponse(.success(try await call(command, caller))))
    }
}

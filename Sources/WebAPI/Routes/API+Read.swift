import ControlAPI
import Foundation
import Historian
import Hummingbird

/// What a viewer may read: status, alarms, history, events, drills. None of it commands anything.
extension API {
    var readRoutes: [Route] {
        [
            Route(method: .get, path: "/api/v1/status", role: .viewer) { _, _, caller in
                guard case .status(let status) = try await call(.status, caller) else { throw Self.noPayload("status") }
                return try Self.json(status)
            },
            Route(method: .get, path: "/api/v1/alarms", role: .viewer) { _, _, caller in
                guard case .alarms(let alarms) = try await call(.alarms, caller) else { throw Self.noPayload("alarms") }
                return try Self.json(alarms)
            },
            Route(method: .get, path: "/api/v1/history", role: .viewer, handler: history),
            Route(method: .get, path: "/api/v1/events", role: .viewer, handler: events),
            Route(method: .get, path: "/api/v1/drills", role: .viewer) { _, _, caller in
                guard case .drills(let drills) = try await call(.drills, caller) else { throw Self.noPayload("drills") }
                return try Self.json(drills)
            },
            // Registered before `/api/v1/drills/{id}`; the router prefers the literal segment anyway.
            Route(method: .get, path: "/api/v1/drills/check", role: .viewer) { request, _, caller in
                let plan = request.uri.queryParameters.get("plan").flatMap { $0.isEmpty ? nil : $0 }
                guard case .drillCheck(let check) = try await call(.drillCheck(plan: plan), caller) else {
                    throw Self.noPayload("drill-check")
                }
                return try Self.json(check)
            },
            Route(method: .get, path: "/api/v1/drills/{id}", role: .viewer, handler: drillReport),
            Route(method: .get, path: "/metrics", role: .viewer) { _, _, _ in
                guard let metrics = configuration.metrics else { throw APIError.notFound("metrics are not enabled") }
                guard let text = await metrics() else {
                    throw APIError(status: .serviceUnavailable, message: "the daemon's metrics cannot be read now")
                }
                return Self.text(text, contentType: "text/plain; version=0.0.4; charset=utf-8")
            },
        ]
    }

    static func noPayload(_ op: String) -> APIError {
        APIError(status: .badGateway, message: "the daemon's answer to \(op) was empty")
    }

    // MARK: - History

    /// `GET /api/v1/history?point=&from=&to=&step=`: one point's stored readings, or with `step` one sample per
    /// bucket (the last reading, with the bucket's min and max).
    @Sendable func history(_ request: Request, _ context: WebContext, _ caller: Caller) async throws -> Response {
        let query = request.uri.queryParameters
        guard let point = query.get("point"), !point.isEmpty else {
            throw APIError.badRequest("point: is required, such as point=gas-a1.concentration")
        }
        guard Self.isPointName(point) else {
            throw APIError.badRequest("point: \"\(point)\" must be \"<device>.<point>\", such as gas-a1.concentration")
        }
        let range = try QueryTime.range(
            from: query.get("from"), to: query.get("to"), defaultSpan: 3600, now: clock.date())
        let limit = configuration.maxHistoryPoints
        var step: Double?
        if let text = query.get("step"), !text.isEmpty {
            let steps = RequestLimits.historyStepSeconds
            guard let s = Double(text), s.isFinite, steps.contains(s) else {
                throw APIError.badRequest(
                    "step: \"\(text)\" must be a number of seconds in \(RangeRefusal.spell(steps.lowerBound))..."
                        + RangeRefusal.spell(steps.upperBound))
            }
            let buckets = (range.to.timeIntervalSince(range.from) / s).rounded(.up)
            if buckets > Double(limit) {
                throw APIError.badRequest(
                    "step: \(text) s over this range gives \(Int(buckets)) samples, more than \(limit); use a larger step"
                )
            }
            step = s
        }
        if try await !read("point", { try await $0.knowsPoint(point) }) {
            // A configured point that has stored nothing yet is known; a misspelt one is not.
            guard try await isConfiguredPoint(point, caller) else {
                throw APIError.badRequest("point: \"\(point)\" is not a known point")
            }
            return try Self.json([HistorySample]())
        }
        if let step {
            let buckets = try await read("buckets") {
                try await $0.readingBuckets(point: point, from: range.from, to: range.to, step: step)
            }
            return try Self.json(buckets.map(HistorySample.init))
        }
        let count = try await read("count") { try await $0.readingCount(point: point, from: range.from, to: range.to) }
        if count > limit {
            throw APIError.badRequest(
                "step: the range holds \(count) readings of \(point), more than \(limit); give a step (seconds) or "
                    + "a shorter range")
        }
        let readings = try await read("readings") {
            try await $0.readings(point: point, from: range.from, to: range.to)
        }
        return try Self.json(readings.map(HistorySample.init))
    }

    /// `device.point`, each part an identifier as the configuration requires.
    static func isPointName(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2
            && parts.allSatisfy { part in
                !part.isEmpty
                    && part.unicodeScalars.allSatisfy { c in
                        c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "-" || c == "_")
                    }
            }
    }

    private func isConfiguredPoint(_ point: String, _ caller: Caller) async throws -> Bool {
        guard case .status(let status) = try await call(.status, caller) else { return false }
        return status.devices.contains { device in device.points.contains { "\(device.id).\($0.name)" == point } }
    }

    // MARK: - Events

    /// `GET /api/v1/events?from=&to=&limit=`: the journal, oldest first (default: the last 24 hours, 1000 events).
    @Sendable func events(_ request: Request, _ context: WebContext, _ caller: Caller) async throws -> Response {
        let query = request.uri.queryParameters
        let range = try QueryTime.range(
            from: query.get("from"), to: query.get("to"), defaultSpan: 86400, now: clock.date())
        let limit = try Self.eventLimit(query.get("limit"))
        let events = try await read("events") {
            try await $0.events(from: range.from, to: range.to, limit: limit)
        }
        return try Self.json(events.map(EventPayload.init))
    }

    static let maximumEvents = 10_000

    /// `limit`: 1...10000, default 1000.
    static func eventLimit(_ text: String?) throws(APIError) -> Int {
        guard let text, !text.isEmpty else { return 1000 }
        guard let n = Int(text), (1...maximumEvents).contains(n) else {
            throw .badRequest("limit: \"\(text)\" must be a whole number in 1...\(maximumEvents)")
        }
        return n
    }

    // MARK: - Drills

    /// `GET /api/v1/drills/{id}?format=json|html|md`: a stored drill report ("latest" for the newest).
    @Sendable func drillReport(_ request: Request, _ context: WebContext, _ caller: Caller) async throws -> Response {
        let id = try Self.parameter(context, "id")
        let format = request.uri.queryParameters.get("format").flatMap { $0.isEmpty ? nil : $0 } ?? "json"
        let contentType: String
        switch format {
        case "json": contentType = "application/json; charset=utf-8"
        case "html": contentType = "text/html; charset=utf-8"
        case "md": contentType = "text/markdown; charset=utf-8"
        default: throw APIError.badRequest("format: \"\(format)\" must be json, html or md")
        }
        guard case .report(let report) = try await call(.drillReport(drill: id, format: format), caller) else {
            throw Self.noPayload("drill-report")
        }
        // The report is self-contained HTML with its own <style> and no script: let the style in, nothing else.
        let policy: HTTPFields =
            format == "html"
            ? [
                .contentSecurityPolicy:
                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
            ]
            : [:]
        return Self.text(report, contentType: contentType, headers: policy)
    }
}

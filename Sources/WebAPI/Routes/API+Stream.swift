import ControlAPI
import Hummingbird
import ServiceLifecycle
import Synchronization

extension API {
    /// `GET /api/v1/stream`: Server-Sent Events. `Last-Event-ID: N` first replays every stored event after N.
    @Sendable func stream(_ request: Request, _ context: WebContext, _ caller: Caller) async throws -> Response {
        let start: Int64
        if let header = request.headers[.init("Last-Event-ID")!]?.trimmingCharacters(in: .whitespaces), !header.isEmpty
        {
            guard let id = Int64(header), id >= 0 else {
                throw APIError.badRequest("Last-Event-ID: \"\(header)\" must be an event id (a whole number)")
            }
            start = id
        } else {
            start = try await read("last event") { try await $0.lastEventID() } ?? 0
        }
        let api = self
        let streamer = EventStreamer(
            historian: historian, journal: journal,
            status: {
                let backend = api.backend
                let result = try? await withDeadline(api.configuration.statusInterval * 5) {
                    await backend.handle(.status, caller: caller)
                }
                guard case .success(.status(let status))? = result else { return nil }
                return status
            },
            tickInterval: configuration.streamPollInterval, statusInterval: configuration.statusInterval,
            keepaliveInterval: configuration.keepaliveInterval, now: { ContinuousClock.now },
            isStopping: { Task.isShuttingDownGracefully }, logger: logger)
        let writeTimeout = configuration.streamWriteTimeout
        let close = context.closeConnection
        let now = clock.now
        logger.info("HTTP live stream opened", metadata: ["user": "\(caller.user)", "address": "\(caller.address)"])
        let body = ResponseBody { writer in
            // A client that stops reading leaves a write pending; the watchdog then drops the connection.
            let pendingSince = PendingWrite()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: .milliseconds(500))
                        if let since = pendingSince.since.withLock({ $0 }), now() - since > writeTimeout {
                            close()
                            return
                        }
                    }
                }
                try await streamer.run(after: start) { frame in
                    pendingSince.since.withLock { $0 = now() }
                    defer { pendingSince.since.withLock { $0 = nil } }
                    try await writer.write(ByteBuffer(string: frame))
                }
                group.cancelAll()
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"],
            body: body)
    }
}

/// When the write in progress on a live stream started, or nil between writes.
private final class PendingWrite: Sendable {
    let since = Mutex<ContinuousClock.Instant?>(nil)
}

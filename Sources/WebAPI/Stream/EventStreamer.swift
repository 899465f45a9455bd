import ControlAPI
import Foundation
import Historian
import Logging

/// Feeds one live stream (Server-Sent Events): the journal from the historian in id order, the site status every
/// `statusInterval`, and a keep-alive comment whenever the stream has been quiet for `keepaliveInterval`.
///
/// Each stream polls the historian for events after the last id it sent. That is simple, survives the daemon's
/// restarts, and lets a client that reconnects with `Last-Event-ID` resume exactly where it stopped; nothing is
/// shared between streams, so a slow client holds no lock anyone else needs.
struct EventStreamer: Sendable {
    let historian: any HistoryReading
    /// The site status, or nil when the daemon did not give one in time.
    let status: @Sendable () async -> SiteStatus?
    let pollInterval: Duration
    let statusInterval: Duration
    let keepaliveInterval: Duration
    let now: @Sendable () -> ContinuousClock.Instant
    /// True once the server is shutting down: the stream then ends, so that shutdown does not wait for clients.
    let isStopping: @Sendable () -> Bool
    let logger: Logger

    /// Events read per query while catching up.
    static let batchSize = 500
    /// How long a client waits before reconnecting after the stream drops (the SSE `retry` field).
    static let reconnectMilliseconds = 2000

    /// Runs until the task is cancelled, the server stops or `send` throws (the client went away).
    ///
    /// - Parameters:
    ///   - lastID: the last event id the client has; events after it are sent first.
    ///   - send: writes one frame to the client.
    func run(after lastID: Int64, send: (String) async throws -> Void) async throws {
        var lastID = lastID
        var lastSent = now()
        var nextStatus = now()
        try await send("retry: \(Self.reconnectMilliseconds)\n\n")
        while !Task.isCancelled && !isStopping() {
            do {
                while true {
                    let batch = try await historian.events(afterID: lastID, limit: Self.batchSize)
                    for event in batch {
                        guard let id = event.id else { continue }
                        try await send(Self.journalFrame(event))
                        lastID = id
                        lastSent = now()
                    }
                    if batch.count < Self.batchSize || Task.isCancelled { break }
                }
            } catch let error as HistorianError {
                // A historian fault is already alarmed and journaled; the stream just retries.
                logger.debug("live stream cannot read events", metadata: ["error": "\(error)"])
            }
            if now() >= nextStatus {
                nextStatus = now() + statusInterval
                if let status = await status() {
                    try await send(Self.statusFrame(status))
                    lastSent = now()
                }
            }
            if now() - lastSent >= keepaliveInterval {
                try await send(": keepalive\n\n")
                lastSent = now()
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    static func journalFrame(_ event: StoredEvent) throws -> String {
        let json = String(decoding: try JSONEncoder.control.encode(EventPayload(event)), as: UTF8.self)
        return "id: \(event.id ?? 0)\nevent: journal\ndata: \(json)\n\n"
    }

    static func statusFrame(_ status: SiteStatus) throws -> String {
        // JSON without pretty-printing is one line: a line break inside a string is written as \n.
        "event: status\ndata: \(String(decoding: try JSONEncoder.control.encode(status), as: UTF8.self))\n\n"
    }
}

import ControlAPI
import Foundation
import Historian
import Logging

/// Feeds one live stream (Server-Sent Events): the journal in id order, the site status every `statusInterval`,
/// and a keep-alive comment whenever the stream has been quiet for `keepaliveInterval`.
///
/// The journal comes live from the `JournalHub`, which fans out one feed from leveed to every stream. The
/// historian is read only to catch up: first for what came after the client's `Last-Event-ID`, in batches, and
/// again each time the feed reconnects (for what the stream may have missed while it was away), or when the
/// stream fell too far behind the feed. The stream subscribes before it reads, holds what arrives live meanwhile,
/// and then sends only ids above the last it sent: ids only grow, so there is no gap and no repeat. Nothing is
/// shared between streams but the feed, so a slow client holds no lock anyone else needs.
struct EventStreamer: Sendable {
    let historian: any HistoryReading
    let journal: JournalHub
    /// The site status, or nil when the daemon did not give one in time.
    let status: @Sendable () async -> SiteStatus?
    /// How often the stream looks at the time: for the status, a keep-alive, or the server stopping. The journal
    /// does not wait for it.
    let tickInterval: Duration
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
        // Subscribed before the first read: whatever is recorded from here on is either read or held live.
        let subscription = journal.subscribe()
        defer { subscription.cancel() }
        var lastID = lastID
        var lastSent = now()
        var nextStatus = now()
        var needsCatchUp = true
        try await send("retry: \(Self.reconnectMilliseconds)\n\n")

        /// Sends every stored event after `lastID`, in batches; false when the historian cannot be read now.
        func catchUp() async throws -> Bool {
            do {
                while true {
                    let batch = try await historian.events(afterID: lastID, limit: Self.batchSize)
                    for event in batch {
                        guard let id = event.id, id > lastID else { continue }
                        try await send(Self.journalFrame(event))
                        lastID = id
                        lastSent = now()
                    }
                    if batch.count < Self.batchSize || Task.isCancelled { return true }
                }
            } catch let error as HistorianError {
                // A historian fault is already alarmed and journaled; the stream tries again at its next tick.
                logger.debug("live stream cannot read events", metadata: ["error": "\(error)"])
                return false
            }
        }

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [tickInterval] in
                while !Task.isCancelled {
                    try await Task.sleep(for: tickInterval)
                    subscription.ring()
                }
            }
            // Once now, then on each entry published and each tick.
            subscription.ring()
            for await _ in subscription.wakes {
                if Task.isCancelled || isStopping() { break }
                if needsCatchUp {
                    // Live entries wait in the subscription until the stream has caught up.
                    needsCatchUp = try await !catchUp()
                }
                if !needsCatchUp {
                    items: for item in subscription.take() {
                        switch item {
                        case .entries(let events):
                            for event in events {
                                guard let id = event.id, id > lastID else { continue }
                                try await send(Self.journalFrame(event))
                                lastID = id
                                lastSent = now()
                            }
                        case .catchUp:
                            // Whatever follows in this turn is stored too, so a failed read loses nothing:
                            // the next catch-up reads past it.
                            if try await !catchUp() {
                                needsCatchUp = true
                                break items
                            }
                        }
                    }
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
            }
            group.cancelAll()
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

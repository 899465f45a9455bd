import ControlAPI
import Devices
import Foundation
import Historian
import Logging
import ServiceLifecycle
import Synchronization

/// A nudge that something a status shows has changed: rung by the shutoff and the alarms, read by the publisher.
/// Rings in between reads collapse into one.
final class ChangeSignal: Sendable {
    let changes: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (changes, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func ring() { continuation.yield() }
}

/// The site status, built once per `interval` and again on each relevant change (a trip, a reset, an alarm, a
/// valve moving), and handed to every subscriber: the MQTT link, `leveectl status --watch` and levee-web's live
/// streams over the control socket (`watch`). However many are watching, the status is built once.
///
/// It carries the journal too: each entry the historian commits is handed, with its id, to every journal
/// subscriber (a `watch` with `journal`, which levee-web fans out to its live streams), so no reader polls the
/// events table. Journal entries are never dropped silently: a subscriber that falls `journalBuffer` batches
/// behind is ended, and catches up from the database when it watches again.
final class StatusPublisher: Service, Sendable {
    private let build: @Sendable () -> SiteStatus
    private let interval: Duration
    private let signals: [ChangeSignal]
    private let field: FieldIO
    private let events: AsyncStream<FieldEvent>
    private let state = Mutex<State>(State())
    /// Rung by the services' signals and the field's valve events; read by the building loop.
    private let nudge = ChangeSignal()

    private struct State {
        var latest: SiteStatus?
        var subscribers: [UInt64: AsyncStream<SiteStatus>.Continuation] = [:]
        var journalSubscribers: [UInt64: AsyncStream<[JournalEntry]>.Continuation] = [:]
        var nextID: UInt64 = 0
        var stopped = false
    }

    /// Batches of journal entries a subscriber may have waiting before it is ended as too slow.
    static let journalBuffer = 256

    /// Changes closer together than this are built once.
    static let settle: Duration = .milliseconds(50)

    init(
        field: FieldIO, signals: [ChangeSignal], interval: Duration = .seconds(1),
        build: @escaping @Sendable () -> SiteStatus
    ) {
        self.field = field
        self.signals = signals
        self.interval = interval
        self.build = build
        events = field.events(buffer: 64)
    }

    /// The status last published; before the first, one published now, so no subscriber starts without one.
    func current() -> SiteStatus {
        if let latest = state.withLock({ $0.latest }) { return latest }
        return publish()
    }

    /// Every status published from now on, starting with the latest one. Only the newest waits for a slow reader:
    /// a status replaces the one before it. Ends when the daemon stops.
    func subscribe() -> AsyncStream<SiteStatus> {
        let (stream, continuation) = AsyncStream<SiteStatus>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            s.subscribers[s.nextID] = continuation
            if let latest = s.latest { continuation.yield(latest) }
            return s.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Every journal entry committed from now on, in batches in id order; what was recorded before is in the
    /// database. Ends when the daemon stops, or when the subscriber falls `journalBuffer` batches behind (it has
    /// then missed entries, and must catch up from the database).
    func subscribeJournal() -> AsyncStream<[JournalEntry]> {
        let (stream, continuation) = AsyncStream<[JournalEntry]>.makeStream(
            bufferingPolicy: .bufferingOldest(Self.journalBuffer))
        let id = state.withLock { s -> UInt64? in
            guard !s.stopped else { return nil }
            s.nextID += 1
            s.journalSubscribers[s.nextID] = continuation
            return s.nextID
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.journalSubscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Hands entries the historian has just committed to every journal subscriber. Called on the writing thread,
    /// inside the historian's writer access (`Historian.observeJournal`): it only takes a lock and yields.
    func publishJournal(_ events: [StoredEvent]) {
        let entries = events.compactMap(Self.entry)
        guard !entries.isEmpty else { return }
        let subscribers = state.withLock { $0.journalSubscribers }
        for (id, continuation) in subscribers {
            if case .dropped = continuation.yield(entries) {
                // Behind by a whole buffer: ended, so that it knows to catch up, rather than left with a gap.
                state.withLock { _ = $0.journalSubscribers.removeValue(forKey: id) }
                continuation.finish()
            }
        }
    }

    static func entry(_ event: StoredEvent) -> JournalEntry? {
        guard let id = event.id else { return nil }
        return JournalEntry(
            id: id, at: event.at, kind: event.kind, source: event.source, message: event.message,
            details: event.details, drill: event.drill, text: event.text)
    }

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            for signal in signals {
                group.addTask { [nudge] in
                    for await _ in signal.changes.cancelOnGracefulShutdown() { nudge.ring() }
                }
            }
            group.addTask { [self] in
                for await event in events.cancelOnGracefulShutdown() {
                    if case .valve = event { nudge.ring() }
                }
            }
            // The interval's own build; a change in between rings sooner. Builds happen in one place only.
            group.addTask { [nudge, interval] in
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    nudge.ring()
                    try? await Task.sleep(for: interval)
                }
            }
            group.addTask { [self] in
                for await _ in nudge.changes.cancelOnGracefulShutdown() {
                    publish()
                    // Changes in the next moment are built together.
                    try? await Task.sleep(for: Self.settle)
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        let (subscribers, journal) = state.withLock { s in
            defer {
                s.subscribers.removeAll()
                s.journalSubscribers.removeAll()
                s.stopped = true
            }
            return (Array(s.subscribers.values), Array(s.journalSubscribers.values))
        }
        for continuation in subscribers { continuation.finish() }
        for continuation in journal { continuation.finish() }
    }

    /// Builds the status once and hands it to every subscriber.
    @discardableResult
    func publish() -> SiteStatus {
        let status = build()
        let subscribers = state.withLock { s in
            s.latest = status
            return Array(s.subscribers.values)
        }
        for continuation in subscribers { continuation.yield(status) }
        return status
    }
}

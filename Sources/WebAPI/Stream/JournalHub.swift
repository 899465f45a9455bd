import Foundation
import Historian
import Synchronization

/// The journal as it is recorded, from one feed, fanned out to every live stream: in levee-web the feed is
/// leveed's `watch` with the journal on the control socket, so however many dashboards are open, none of them
/// polls the events table.
///
/// The feed tells the hub three things: `connected()` once its subscription is in place (everything recorded
/// before is in the database, everything after will be published), `publish(_:)` with each batch in id order, and
/// `lost()` when it drops. A stream reads the database only to catch up: when it starts (from `Last-Event-ID` or
/// the latest id) and each time the feed connects again, for what it may have missed while the feed was away.
/// Streams keep their connections meanwhile.
public final class JournalHub: Sendable {
    private struct State {
        var subscribers: [UInt64: JournalSubscription] = [:]
        var nextID: UInt64 = 0
        var connected = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Whether the feed is in place now.
    public var isConnected: Bool { state.withLock { $0.connected } }

    /// The live streams subscribed now.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// The feed's subscription is in place: every stream catches up from the database once, then follows the feed.
    public func connected() {
        let subscribers = state.withLock { s in
            s.connected = true
            return Array(s.subscribers.values)
        }
        for subscriber in subscribers { subscriber.push(.catchUp) }
    }

    /// The feed dropped: streams wait, keeping their connections, until `connected()`.
    public func lost() {
        state.withLock { $0.connected = false }
    }

    /// Entries just recorded, in id order, each with its id.
    public func publish(_ events: [StoredEvent]) {
        guard !events.isEmpty else { return }
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers { subscriber.push(.entries(events)) }
    }

    /// Feeds the hub from a historian in the same process (tests, tools): each batch as it is committed. The
    /// observer only hands the batch on; it never reads the database.
    ///
    /// - Returns: the observer's id, for `Historian.removeJournalObserver(_:)`.
    @discardableResult
    public func follow(_ historian: Historian) -> Int {
        let id = historian.observeJournal { [weak self] events in self?.publish(events) }
        connected()
        return id
    }

    func subscribe() -> JournalSubscription {
        let subscription = JournalSubscription()
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            s.subscribers[s.nextID] = subscription
            return s.nextID
        }
        subscription.onCancel = { [weak self] in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return subscription
    }
}

/// One live stream's share of the feed: what arrived since the stream last looked, and a doorbell rung on each
/// arrival (and by the stream's own ticker). Bounded: a stream that falls `maxPending` entries behind is told to
/// catch up from the database instead.
final class JournalSubscription: Sendable {
    enum Item: Sendable, Equatable {
        case entries([StoredEvent])
        /// Read the database after the last id sent, then go on with what follows.
        case catchUp
    }

    static let maxPending = 10_000

    let wakes: AsyncStream<Void>
    private let doorbell: AsyncStream<Void>.Continuation
    private let pending = Mutex<(items: [Item], count: Int)>(([], 0))
    private let cancelled = Mutex<(@Sendable () -> Void)?>(nil)

    init() {
        (wakes, doorbell) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    var onCancel: (@Sendable () -> Void)? {
        get { cancelled.withLock { $0 } }
        set { cancelled.withLock { $0 = newValue } }
    }

    func push(_ item: Item) {
        pending.withLock { p in
            if case .entries(let events) = item {
                p.count += events.count
                if p.count > Self.maxPending {
                    // Too far behind to hold: what it misses is in the database.
                    p.items = [.catchUp]
                    p.count = 0
                    return
                }
            }
            p.items.append(item)
        }
        doorbell.yield()
    }

    /// Everything that arrived since the last call, in order.
    func take() -> [Item] {
        pending.withLock { p in
            defer { p = ([], 0) }
            return p.items
        }
    }

    func ring() { doorbell.yield() }

    func cancel() {
        doorbell.finish()
        let body = cancelled.withLock { body in
            defer { body = nil }
            return body
        }
        body?()
    }
}

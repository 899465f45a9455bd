import ControlAPI
import Foundation
import Historian
import Logging
import Synchronization
import Testing

@testable import WebAPI

/// The live streams follow the journal through one feed (`JournalHub`), reading the database only to catch up:
/// at the start, after the feed comes back, never while entries arrive live.
struct JournalFeedTests {
    typealias Frames = StreamTests.Frames
    let t0 = FakeBackend.t0

    /// The historian as the streams read it, counting each read of the journal by id; `beforeRead` runs before
    /// each such read (to record events while a stream is catching up).
    final class CountingHistory: HistoryReading {
        let base: Historian
        let journalReads = Atomic<Int>(0)
        let beforeRead: @Sendable (Int) async throws -> Void

        init(_ base: Historian, beforeRead: @escaping @Sendable (Int) async throws -> Void = { _ in }) {
            self.base = base
            self.beforeRead = beforeRead
        }

        var reads: Int { journalReads.load(ordering: .sequentiallyConsistent) }

        func events(afterID id: Int64, limit: Int) async throws -> [StoredEvent] {
            let n = journalReads.add(1, ordering: .sequentiallyConsistent).newValue
            try await beforeRead(n)
            return try await base.events(afterID: id, limit: limit)
        }
        func readings(point: String, from: Date, to: Date) async throws -> [StoredReading] {
            try await base.readings(point: point, from: from, to: to)
        }
        func readingCount(point: String, from: Date, to: Date) async throws -> Int {
            try await base.readingCount(point: point, from: from, to: to)
        }
        func readingBuckets(point: String, from: Date, to: Date, step: Double) async throws -> [ReadingBucket] {
            try await base.readingBuckets(point: point, from: from, to: to, step: step)
        }
        func knowsPoint(_ point: String) async throws -> Bool { try await base.knowsPoint(point) }
        func events(from: Date, to: Date, limit: Int?) async throws -> [StoredEvent] {
            try await base.events(from: from, to: to, limit: limit)
        }
        func lastEventID() async throws -> Int64? { try await base.lastEventID() }
    }

    private func streamer(_ history: any HistoryReading, _ journal: JournalHub) -> EventStreamer {
        EventStreamer(
            historian: history, journal: journal, status: { nil }, tickInterval: .milliseconds(20),
            statusInterval: .seconds(60), keepaliveInterval: .seconds(60), now: { ContinuousClock.now },
            isStopping: { false }, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    private func record(_ historian: Historian, _ messages: [String]) async throws {
        for m in messages {
            try await historian.recordEvent(StoredEvent(kind: "alarm", source: "gas-a1", message: m, at: t0))
        }
    }

    private func storedIDs(_ historian: Historian) async throws -> [Int64] {
        try await historian.events(afterID: 0, limit: 100_000).compactMap(\.id)
    }

    /// Two streams get every live entry in order, and the database is not read once while they arrive; each
    /// live frame is the same to the byte as the one a catch-up would read.
    @Test func liveEntriesReachTwoStreamsWithoutReadingTheDatabase() async throws {
        let t = try TestServer()
        defer { t.remove() }
        try await record(t.historian, ["before 1", "before 2"])
        let history = CountingHistory(t.historian)
        let (a, b) = (Frames(), Frames())
        let streamA = Task { try await streamer(history, t.journal).run(after: 0) { a.append($0) } }
        let streamB = Task { try await streamer(history, t.journal).run(after: 0) { b.append($0) } }
        defer {
            streamA.cancel()
            streamB.cancel()
        }
        try await waitUntil("the backlog") { a.journalIDs.count == 2 && b.journalIDs.count == 2 }
        #expect(t.journal.subscriberCount == 2)
        let readsAfterCatchUp = history.reads
        // One short batch each: nothing more was read to catch up.
        #expect(readsAfterCatchUp == 2)

        // Written at odd milliseconds, so a live time that differed from the stored one in the last digit shows.
        for i in 0..<30 {
            try await t.historian.recordEvent(
                StoredEvent(
                    kind: "alarm", source: "gas-a1", message: "live \(i)", at: t0 + Double(i) * 0.001 + 0.0007,
                    details: #"{"i":\#(i)}"#))
        }
        try await waitUntil("the live entries") { a.journalIDs.count == 32 && b.journalIDs.count == 32 }
        let ids = try await storedIDs(t.historian)
        #expect(a.journalIDs == ids)
        #expect(b.journalIDs == ids)
        #expect(history.reads == readsAfterCatchUp, "live entries were read from the database")
        let stored = try await t.historian.events(afterID: 0, limit: 100)
        #expect(a.all.filter { $0.contains("event: journal") } == (try stored.map(EventStreamer.journalFrame)))
        #expect(b.all.filter { $0.contains("event: journal") } == (try stored.map(EventStreamer.journalFrame)))
    }

    /// A stream catching up from the database holds what arrives live meanwhile, then sends it without a repeat:
    /// events recorded while the backlog is read come once, in id order, none missing.
    @Test func catchingUpThenLiveHasNoGapAndNoRepeat() async throws {
        let t = try TestServer()
        defer { t.remove() }
        let backlog = EventStreamer.batchSize * 2 + 7
        try await record(t.historian, (0..<backlog).map { "backlog \($0)" })
        let historian = t.historian
        // While the first two batches are read, more is recorded: those come live, and some also in a later
        // batch of the catch-up.
        let history = CountingHistory(historian) { read in
            if read <= 2 {
                for i in 0..<5 {
                    try await historian.recordEvent(
                        StoredEvent(kind: "alarm", source: "gas-a1", message: "during \(read).\(i)", at: Date()))
                }
            }
        }
        let frames = Frames()
        let stream = Task { try await streamer(history, t.journal).run(after: 0) { frames.append($0) } }
        defer { stream.cancel() }
        try await waitUntil("the backlog and what came meanwhile") { frames.journalIDs.count >= backlog + 10 }
        try await record(t.historian, ["after"])
        try await waitUntil("the live entry after") { frames.journalIDs.count >= backlog + 11 }
        try await Task.sleep(for: .milliseconds(200))
        let ids = try await storedIDs(t.historian)
        #expect(ids.count == backlog + 11)
        #expect(frames.journalIDs == ids)
        // Caught up once (three full batches and a short one at most), then followed the feed.
        #expect(history.reads <= 4)
    }

    /// `Last-Event-ID` resumes after the id given: the stream reads from there, then follows the feed.
    @Test func resumingAfterALastEventIDReadsOnlyWhatCameAfter() async throws {
        let t = try TestServer()
        defer { t.remove() }
        try await record(t.historian, ["e1", "e2", "e3", "e4"])
        let ids = try await storedIDs(t.historian)
        let history = CountingHistory(t.historian)
        let frames = Frames()
        let stream = Task { try await streamer(history, t.journal).run(after: ids[1]) { frames.append($0) } }
        defer { stream.cancel() }
        try await waitUntil("the replay") { frames.journalIDs.count == 2 }
        try await record(t.historian, ["e5"])
        try await waitUntil("the live entry") { frames.journalIDs.count == 3 }
        #expect(frames.journalIDs == Array(try await storedIDs(t.historian)[2...]))
        #expect(history.reads == 1)
    }

    /// The feed drops: the streams stay open and read nothing; when it comes back, each catches up once for what
    /// was recorded meanwhile, then follows it again, with no gap and no repeat.
    @Test func aLostFeedIsCaughtUpOnceWhenItComesBack() async throws {
        let t = try TestServer()
        defer { t.remove() }
        // A feed of its own, which the test cuts and restores.
        let hub = JournalHub()
        let up = Mutex(true)
        let observer = t.historian.observeJournal { events in
            if up.withLock({ $0 }) { hub.publish(events) }
        }
        defer { t.historian.removeJournalObserver(observer) }
        hub.connected()
        let history = CountingHistory(t.historian)
        let (a, b) = (Frames(), Frames())
        let streamA = Task { try await streamer(history, hub).run(after: 0) { a.append($0) } }
        let streamB = Task { try await streamer(history, hub).run(after: 0) { b.append($0) } }
        defer {
            streamA.cancel()
            streamB.cancel()
        }
        try await waitUntil("both subscribed") { hub.subscriberCount == 2 && history.reads == 2 }
        try await record(t.historian, ["live 1", "live 2"])
        try await waitUntil("the live entries") { a.journalIDs.count == 2 && b.journalIDs.count == 2 }

        up.withLock { $0 = false }
        hub.lost()
        try await record(t.historian, ["missed 1", "missed 2", "missed 3"])
        try await Task.sleep(for: .milliseconds(300))
        #expect(a.journalIDs.count == 2 && b.journalIDs.count == 2)
        #expect(history.reads == 2, "a stream polled the database while the feed was away")
        #expect(!streamA.isCancelled && !streamB.isCancelled)

        up.withLock { $0 = true }
        hub.connected()
        try await record(t.historian, ["after 1"])
        try await waitUntil("the missed and the new") { a.journalIDs.count == 6 && b.journalIDs.count == 6 }
        try await record(t.historian, ["after 2"])
        try await waitUntil("the next live entry") { a.journalIDs.count == 7 && b.journalIDs.count == 7 }
        let ids = try await storedIDs(t.historian)
        #expect(a.journalIDs == ids)
        #expect(b.journalIDs == ids)
        // One catch-up each when the feed came back, and nothing since.
        #expect(history.reads == 4)
    }

    /// A stream too far behind the feed to hold what it has not sent is told to catch up instead, and loses
    /// nothing.
    @Test func aSubscriptionTooFarBehindCatchesUpInstead() {
        let hub = JournalHub()
        let subscription = hub.subscribe()
        defer { subscription.cancel() }
        let event = StoredEvent(kind: "alarm", source: "s", message: "m", at: t0, id: 1)
        hub.publish([event])
        #expect(subscription.take() == [.entries([event])])
        for _ in 0...JournalSubscription.maxPending { hub.publish([event]) }
        #expect(subscription.take() == [.catchUp])
        hub.connected()
        #expect(subscription.take() == [.catchUp])
        subscription.cancel()
        #expect(hub.subscriberCount == 0)
    }
}

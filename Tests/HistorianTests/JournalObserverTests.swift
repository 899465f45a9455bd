import Foundation
import Synchronization
import Testing

@testable import Historian

/// The journal's live feed: each committed batch handed to observers, in id order, exactly as a reader gets it back.
struct JournalObserverTests {
    let t0 = Date(timeIntervalSince1970: 1_740_787_200)

    @Test func observersGetEachCommittedEventAsAReaderGetsItBack() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = Historian(
            configuration: testConfiguration(scratch.path("h.db")), logger: LogCapture().logger)
        defer { historian.close() }
        try await historian.recordEvent(StoredEvent(kind: "config-load", source: "leveed", message: "before", at: t0))
        let seen = Mutex<[StoredEvent]>([])
        let observer = historian.observeJournal { batch in seen.withLock { $0 += batch } }

        // From the blocking path and the async one, from several threads at once, at odd milliseconds, with text
        // the journal escapes.
        let blocking: () throws -> Void = {
            try historian.recordEvent(
                StoredEvent(
                    kind: "alarm", source: "gas-a1", message: "line\nbreak", at: self.t0 + 0.0017, details: "{}"))
        }
        try blocking()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 {
                group.addTask {
                    try await historian.recordEvent(
                        StoredEvent(kind: "alarm", source: "s\(i)", message: "m\(i)", at: Date(), drill: i % 2 == 0))
                }
            }
            try await group.waitForAll()
        }
        historian.removeJournalObserver(observer)
        try await historian.recordEvent(StoredEvent(kind: "alarm", source: "x", message: "after", at: t0))

        let live = seen.withLock { $0 }
        let stored = try await historian.events(afterID: 0, limit: 100)
        #expect(live.count == 21)
        // In id order, and each equal to the row read back: id, time to the millisecond, escaped text, details.
        #expect(live.compactMap(\.id) == live.compactMap(\.id).sorted())
        #expect(live == Array(stored.dropFirst().prefix(21)))
        #expect(!live.contains { $0.message == "before" || $0.message == "after" })
    }
}

import Foundation
import LeveeTestSupport
import Testing

@testable import Notify

/// The durable outbox: recorded before sending, retried with a doubling wait, given up late, kept across a reopen.
struct OutboxTests {
    static let t0 = Date(timeIntervalSince1970: 1_796_608_800)

    static func message(_ n: Int = 1) -> OutgoingMessage {
        OutgoingMessage(
            kind: .alarm, incident: n, person: "王工", channel: "modem", address: "+8613800000001",
            title: "#\(n)", text: "可燃气体二级报警 #\(n)")
    }

    @Test func aRecordedMessageIsDueAndSurvivesAReopen() async throws {
        let dir = try ScratchFolder()
        defer { dir.remove() }
        let path = dir.file("notify.sqlite")
        do {
            let outbox = try Outbox(path: path)
            try await outbox.record(Self.message(1), now: Self.t0)
            try await outbox.record(Self.message(2), now: Self.t0)
            let due = try await outbox.due(now: Self.t0)
            #expect(due.map(\.message.incident) == [1, 2])
            try await outbox.markSent(due[0].id, answer: "+CMGS: 17", now: Self.t0)
        }
        // As after a crash and restart: the unsent one is still there, the sent one is not due.
        let reopened = try Outbox(path: path)
        let due = try await reopened.due(now: Self.t0)
        #expect(due.map(\.message.incident) == [2])
        #expect(due[0].message.text == "可燃气体二级报警 #2")
        let counts = try await reopened.counts()
        #expect(counts[.sent] == 1 && counts[.pending] == 1)
        let sent = try await reopened.recent().first { $0.state == .sent }
        #expect(sent?.answer == "+CMGS: 17")
    }

    @Test func failuresWaitLongerEachTimeThenGiveUp() async throws {
        let dir = try ScratchFolder()
        defer { dir.remove() }
        let outbox = try Outbox(path: dir.file("notify.sqlite"))
        let id = try await outbox.record(Self.message(), now: Self.t0)
        var now = Self.t0
        var waits: [TimeInterval] = []
        for _ in 0..<5 {
            let state = try await outbox.markFailed(
                id, answer: "+CMS ERROR: 38", now: now, retryMin: 5, retryMax: 30, giveUpAfter: 3600)
            #expect(state == .pending)
            let next = try #require(try await outbox.nextDue())
            waits.append(next.timeIntervalSince(now).rounded())
            #expect(try await outbox.due(now: next.addingTimeInterval(-0.5)).isEmpty)
            now = next
        }
        #expect(waits == [5, 10, 20, 30, 30])
        let state = try await outbox.markFailed(
            id, answer: "no network", now: Self.t0.addingTimeInterval(3600), retryMin: 5, retryMax: 30,
            giveUpAfter: 3600)
        #expect(state == .failed)
        #expect(try await outbox.nextDue() == nil)
        let entry = try #require(try await outbox.recent().first)
        #expect(entry.attempts == 6 && entry.answer == "no network")
    }

    @Test func theDispatcherStateIsKept() async throws {
        let dir = try ScratchFolder()
        defer { dir.remove() }
        let outbox = try Outbox(path: dir.file("notify.sqlite"))
        #expect(try await outbox.loadState() == nil)
        var d = DispatcherTests.dispatcher()
        _ = d.event(DispatcherTests.gas(), now: Self.t0)
        try await outbox.saveState(d.state)
        let state = try #require(try await outbox.loadState())
        #expect(state.incidents.map(\.number) == [1])
        #expect(state.nextNumber == 2)
    }
}

import Foundation
import GRDB
import Messages
import Testing

@testable import Historian

/// The journal keeps each entry's message id and arguments (schema v4), so every reader renders it in its own
/// language; an entry stored before, text only, still reads.
struct MessageStorageTests {
    @Test func anEntryWithAMessageReadsBackInBothLanguages() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = Historian(configuration: testConfiguration(scratch.path("h.db")), logger: LogCapture().logger)
        defer { historian.close() }
        let why = Message(.triggerCondition, ["interlock": "gas-a-high", "point": "gas-a1.concentration"])
        let trigger = Message(
            .trigger, ["who": "interlock gas-a-high", "from": "gas-a1.concentration", "why": .message(why)])
        let text = Message(.tripped, ["plan": "tank-farm-a", "trigger": .message(trigger)])
        try historian.recordEvent(StoredEvent(kind: "trip", source: "shutoff", text: text, at: Date()))

        let read = try #require(try historian.events(from: .distantPast, to: .distantFuture).first)
        #expect(read.text == text)
        #expect(read.message == text.render(.en))
        #expect(read.text?.render(.zhCN).hasPrefix("已执行关断方案 tank-farm-a — ") == true)
        #expect(
            read.text?.render(.en)
                == "tripped plan tank-farm-a — interlock gas-a-high from gas-a1.concentration: condition gas-a-high active on gas-a1.concentration"
        )
        // The live feed reads the same columns.
        #expect(try historian.events(afterID: 0, limit: 10).first?.text == text)
    }

    /// A row from before v4 has only its text: it reads with no message, and its text as stored.
    @Test func anOldTextOnlyRowStillReads() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("h.db")
        Historian(configuration: testConfiguration(path), logger: LogCapture().logger).close()
        let db = try DatabaseQueue(path: path)
        try db.write { db in
            try db.execute(
                sql: "INSERT INTO events (at, kind, source, message, details, drill) VALUES (?, ?, ?, ?, NULL, 0)",
                arguments: [1_700_000_000_000, "alarm", "gas-a1.comm-fail", "通讯故障 comm-fail: gas-a1"])
        }
        try db.close()

        let historian = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        defer { historian.close() }
        let read = try #require(try historian.events(from: .distantPast, to: .distantFuture).first)
        #expect(read.text == nil)
        #expect(read.message == "通讯故障 comm-fail: gas-a1")
    }

    /// A person's text inside the arguments is escaped as the text column is: a bidi override stays visible.
    @Test func argumentsAreEscapedLikeTheText() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = Historian(configuration: testConfiguration(scratch.path("h.db")), logger: LogCapture().logger)
        defer { historian.close() }
        let text = Message(.reset, ["by": "ops", "reason": "all clear\u{202E}olleh"])
        try historian.recordEvent(StoredEvent(kind: "reset", source: "shutoff", text: text, at: Date()))
        let read = try #require(try historian.events(from: .distantPast, to: .distantFuture).first)
        #expect(read.text?.render(.en) == "reset by ops: all clear\\u{202E}olleh; nothing reopened")
        #expect(read.message == read.text?.render(.en))
    }
}

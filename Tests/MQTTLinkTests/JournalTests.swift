import Foundation
import Testing

@testable import MQTTLink

/// The persistence journal: its bytes, torn tails, acknowledgements and rewrites.
struct JournalTests {
    func message(_ n: Int) -> OutboxMessage {
        OutboxMessage(
            topic: "plant/alarm/\(n)", payload: Array("alarm \(n)".utf8), qos: .atLeastOnce, retain: n % 2 == 0,
            durable: true)
    }

    @Test func recordsRoundTripAndAcknowledgedMessagesAreGone() throws {
        var bytes = JournalCodec.magic
        for n in 1...3 { bytes += JournalCodec.encode(.message(seq: UInt64(n), message(n))) }
        bytes += JournalCodec.encode(.ack(seq: 2))
        let decoded = try JournalCodec.decode(bytes)
        #expect(decoded.live.map(\.seq) == [1, 3])
        #expect(decoded.live.map(\.message) == [message(1), message(3)])
        #expect(decoded.records == 4 && decoded.acks == 1 && decoded.tornBytes == 0)
    }

    @Test(arguments: [1, 5, 9, 20])
    func tornLastRecordIsCutOff(keep: Int) throws {
        var bytes = JournalCodec.magic + JournalCodec.encode(.message(seq: 1, message(1)))
        let whole = bytes.count
        bytes += JournalCodec.encode(.message(seq: 2, message(2))).prefix(keep)
        let decoded = try JournalCodec.decode(bytes)
        #expect(decoded.live.map(\.seq) == [1])
        #expect(decoded.validLength == whole && decoded.tornBytes == keep)
    }

    @Test func corruptedRecordIsNotBelieved() throws {
        var bytes = JournalCodec.magic + JournalCodec.encode(.message(seq: 1, message(1)))
        bytes[bytes.count - 1] ^= 0xFF
        #expect(try JournalCodec.decode(bytes).live.isEmpty)
    }

    @Test func foreignFileIsRefused() throws {
        #expect(throws: JournalCodec.DecodeError.notAJournal) { try JournalCodec.decode(Array("hello world".utf8)) }
        let dir = try TestSupport.temporaryDirectory("journal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/not-a-journal"
        try "important data".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: MQTTJournalError.self) { _ = try JournalFile.open(path: path) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "important data")
    }

    @Test func fileKeepsUnacknowledgedMessagesAcrossReopenAndCompacts() throws {
        let dir = try TestSupport.temporaryDirectory("journal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/outbox.journal"
        do {
            let (file, loaded) = try JournalFile.open(path: path)
            #expect(loaded.messages.isEmpty)
            for n in 1...200 { try file.append(seq: UInt64(n), message(n)) }
            for n in 1...190 { try file.acknowledge(seq: UInt64(n)) }
            file.close()
        }
        // Rewrites have kept the file near the size of the ten live records.
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        let oneRecord = JournalCodec.encode(.message(seq: 1, message(1))).count
        #expect(size < oneRecord * 80)
        let (file, loaded) = try JournalFile.open(path: path)
        defer { file.close() }
        #expect(loaded.messages.map(\.seq) == Array(191...200))
        #expect(loaded.messages.first?.message == message(191))
    }

    @Test func tornTailOnDiskIsRepairedAtOpen() throws {
        let dir = try TestSupport.temporaryDirectory("journal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/outbox.journal"
        let bytes =
            JournalCodec.magic + JournalCodec.encode(.message(seq: 7, message(7)))
            + JournalCodec.encode(.message(seq: 8, message(8))).prefix(11)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        do {
            let (file, loaded) = try JournalFile.open(path: path)
            #expect(loaded.messages.map(\.seq) == [7] && loaded.tornBytes == 11)
            try file.append(seq: 9, message(9))
            file.close()
        }
        // The record appended after the repair is readable: it was not stranded behind the torn one.
        let (file, loaded) = try JournalFile.open(path: path)
        defer { file.close() }
        #expect(loaded.messages.map(\.seq) == [7, 9])
    }

    /// After kill -9 on a full disk the journal holds acknowledged records and a torn tail; the rewrite that drops
    /// them cannot be written, yet the journal opens with every live message (the tail cut in place).
    @Test func aFullDiskAtOpenKeepsTheJournalAsItIs() async throws {
        guard getuid() == 0 else { try Test.cancel("needs root to mount a tiny tmpfs") }
        let dir = try TestSupport.temporaryDirectory("journal-full")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let mount = try await TestSupport.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir])
        guard mount.status == 0 else { try Test.cancel("cannot mount a tmpfs: \(mount.output)") }
        defer {
            let unmount = Process()
            unmount.executableURL = URL(fileURLWithPath: "/usr/bin/umount")
            unmount.arguments = ["-l", dir]
            try? unmount.run()
            unmount.waitUntilExit()
        }
        let path = dir + "/outbox.journal"
        let whole =
            JournalCodec.magic + JournalCodec.encode(.message(seq: 1, message(1)))
            + JournalCodec.encode(.message(seq: 2, message(2))) + JournalCodec.encode(.ack(seq: 1))
        _ = FileManager.default.createFile(
            atPath: path, contents: Data(whole + JournalCodec.encode(.message(seq: 3, message(3))).prefix(9)))
        // Fill what is left of the filesystem.
        let fd = open(dir + "/filler", O_WRONLY | O_CREAT, 0o600)
        try #require(fd >= 0)
        let chunk = [UInt8](repeating: 0x55, count: 4096)
        while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        close(fd)

        let (file, loaded) = try JournalFile.open(path: path)
        defer { file.close() }
        #expect(loaded.compactionFailure != nil)
        #expect(loaded.messages.map(\.seq) == [2])
        #expect(loaded.tornBytes == 9)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        #expect(size == whole.count)
    }
}

import Foundation
import LeveeTestSupport
import Logging
import Synchronization
import SystemCalls
import Testing

@testable import DurableState

struct SnapshotFileTests {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func theNewestSaveIsReadBackAfterReopening() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let path = scratch.file("latch.json")
        do {
            let file = try SnapshotFile(path: path, slotCapacity: 4096)
            #expect(file.read() == nil)
            for n in 1...5 { try file.write(Data("latch \(n)".utf8)) }
        }
        let again = try SnapshotFile(path: path, slotCapacity: 4096)
        #expect(again.read() == Data("latch 5".utf8))
        // The file is allocated in full when it is created: saves never grow it.
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        #expect(size == 2 * (SnapshotFile.headerSize + 4096))
    }

    @Test func aSaveCutShortByACrashLeavesThePreviousOne() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let path = scratch.file("latch.json")
        do {
            let file = try SnapshotFile(path: path, slotCapacity: 4096)
            try file.write(Data("tripped".utf8))  // slot 0
            try file.write(Data("tripped and bypassed".utf8))  // slot 1
        }
        // A crash halfway through the next save: slot 0 holds part of a newer payload that its CRC does not match.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64(SnapshotFile.headerSize))
        try handle.write(contentsOf: Data("reset!!".utf8))
        try handle.seek(toOffset: 8)
        try handle.write(contentsOf: Data([9, 0, 0, 0, 0, 0, 0, 0]))  // a sequence newer than slot 1's
        try handle.close()
        let file = try SnapshotFile(path: path, slotCapacity: 4096)
        #expect(file.read() == Data("tripped and bypassed".utf8))
        // And the next save goes over the damaged slot, never over the good one.
        try file.write(Data("reset".utf8))
        #expect(try SnapshotFile(path: path, slotCapacity: 4096).read() == Data("reset".utf8))
    }

    @Test func theOldJSONFileIsConvertedWithItsContents() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let path = scratch.file("levee.db.defence.json")
        try Data(#"{"latched":true}"#.utf8).write(to: URL(fileURLWithPath: path))
        let file = try SnapshotFile(path: path, slotCapacity: 4096)
        #expect(file.read() == Data(#"{"latched":true}"#.utf8))
        try file.write(Data(#"{"latched":false}"#.utf8))
        #expect(try SnapshotFile(path: path, slotCapacity: 4096).read() == Data(#"{"latched":false}"#.utf8))
    }

    @Test func aPayloadTooLargeForItsSlotIsRefusedAndTheOldOneKept() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let file = try SnapshotFile(path: scratch.file("s"), slotCapacity: 16)
        try file.write(Data("small".utf8))
        #expect(throws: SystemCallError.self) { try file.write(Data(repeating: 1, count: 17)) }
        #expect(file.read() == Data("small".utf8))
    }

    /// The case the hostile test hit: the disk filled up while leveed ran, then an operator tripped the plant.
    @Test func aFullDiskStillTakesANewLatch() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let filesystem = try TinyFilesystem(in: scratch, kilobytes: 1024)
        defer { filesystem.unmount() }
        let path = filesystem.file("levee.db.defence.json")
        let file = try SnapshotFile(path: path, slotCapacity: 64 * 1024)
        try file.write(Data("normal".utf8))
        try filesystem.fill()
        // Nothing new fits on the disk any more...
        #expect(FileManager.default.createFile(atPath: filesystem.file("probe"), contents: Data(count: 4096)) == false)
        // ...but the latch is saved, twice over, and reads back after a restart.
        let big = Data(repeating: UInt8(ascii: "x"), count: 60 * 1024)
        try file.write(Data("tripped: ".utf8) + big)
        try file.write(Data("tripped, step 2 confirmed: ".utf8) + big)
        #expect(
            try SnapshotFile(path: path, slotCapacity: 64 * 1024).read() == Data("tripped, step 2 confirmed: ".utf8)
                + big)
    }
}

struct SnapshotWriterTests {
    @Test func snapshotsTakenUnderALockLandInTheirOrderAndDurableWaitsForThem() async throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let path = scratch.file("alarms.json")
        let writer = try SnapshotWriter(path: path, logger: SnapshotFileTests.logger)
        // Many tasks change one state and submit it under its lock, as DefenceService does.
        final class State: Sendable { let counter = Mutex(0) }
        let state = State()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    let sequence = state.counter.withLock { n in
                        n += 1
                        return writer.submit(Data("state \(n)".utf8))
                    }
                    try? await writer.durable(sequence)
                }
            }
        }
        writer.close()
        // The newest state is on disk, not whichever write happened to finish last.
        #expect(try SnapshotFile(path: path).read() == Data("state 200".utf8))
    }

    @Test func aSaveReturnsOnlyOnceItIsOnDiskAndTheInitialSnapshotIsRead() async throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let path = scratch.file("latch.json")
        do {
            let writer = try SnapshotWriter(path: path, logger: SnapshotFileTests.logger)
            #expect(writer.initial == nil)
            try await writer.save(Data("latched".utf8))
            // Durable now: a reader that opens the file sees it while the writer is still running.
            #expect(try SnapshotFile(path: path).read() == Data("latched".utf8))
            writer.close()
        }
        let writer = try SnapshotWriter(path: path, logger: SnapshotFileTests.logger)
        defer { writer.close() }
        #expect(writer.initial == Data("latched".utf8))
    }
}

import Foundation
import GRDB
import Synchronization
import Testing

@testable import Historian

#if canImport(Glibc)
    import Glibc
#endif

/// An event `recordEvent` returned for is on disk, even when the process dies the next instant.
struct CrashTests {
    /// `historian-probe`, next to the test bundle after `swift build --build-tests` or
    /// `swift build --product historian-probe`.
    static let probe: URL? = {
        let selfExe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            .map { URL(fileURLWithPath: $0) }
        let directories = [Bundle.main.executableURL, selfExe, URL(fileURLWithPath: CommandLine.arguments[0])]
            .compactMap { $0?.deletingLastPathComponent() }
        let candidates = directories.flatMap { [$0, $0.deletingLastPathComponent()] }
            .map { $0.appendingPathComponent("historian-probe") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// Reads a pipe to its end on a thread of its own, so that the test can poll what has arrived.
    final class PipeReader: Sendable {
        private let data = Mutex(Data())
        private let ended = Mutex(false)

        init(_ handle: FileHandle) {
            Thread { [self] in
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    data.withLock { $0.append(chunk) }
                }
                ended.withLock { $0 = true }
            }.start()
        }

        var isAtEnd: Bool { ended.withLock { $0 } }

        /// The complete lines so far; a line cut by the kill has no newline and is left out.
        var lines: [String] {
            let text = String(decoding: data.withLock { $0 }, as: UTF8.self)
            return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        }

        var committed: [Int] {
            lines.compactMap { line in line.hasPrefix("committed ") ? Int(line.dropFirst(10)) : nil }
        }
    }

    @Test func everyEventReportedCommittedSurvivesSIGKILL() async throws {
        let probe = try #require(
            Self.probe, "historian-probe is not built next to the tests: swift build --build-tests")
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("history.db")

        var committedOverall = Set<Int>()
        // Three runs on the same file, each killed at a different point: the WAL recovered after one kill must
        // take the next run's writes too.
        for (round, killAfter) in [40, 150, 333].enumerated() {
            let process = Process()
            process.executableURL = probe
            process.arguments = [path, "round\(round)"]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let reader = PipeReader(out.fileHandleForReading)

            try await waitUntil("historian-probe to commit \(killAfter) events") {
                if !process.isRunning { throw TimedOut(what: "historian-probe, which exited early") }
                return reader.committed.count >= killAfter
            }
            kill(process.processIdentifier, SIGKILL)
            try await waitUntil("historian-probe to die") { !process.isRunning && reader.isAtEnd }
            #expect(process.terminationReason == .uncaughtSignal)
            #expect(process.terminationStatus == SIGKILL)

            let committed = reader.committed
            // The probe numbers from 0 each run and prints in order.
            #expect(committed == Array(0..<committed.count))
            #expect(committed.count >= killAfter)

            let historian = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
            let stored = try await historian.events(from: .distantPast, to: .distantFuture)
            historian.close()
            let storedThisRound = Set(stored.filter { $0.kind == "probe" }.map(\.message))
            let missing = committed.filter { !storedThisRound.contains("probe round\(round) \($0)") }
            #expect(
                missing.isEmpty, "round \(round): reported committed but not in the database: \(missing.prefix(10))")
            committedOverall.formUnion(committed.map { round * 1_000_000 + $0 })
        }

        let check = try DatabaseQueue(path: path)
        defer { closeQuietly(check) }
        #expect(try await check.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
        #expect(committedOverall.count >= 40 + 150 + 333)
    }
}

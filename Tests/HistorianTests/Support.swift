import Foundation
import GRDB
import Logging
import Synchronization
import Testing

@testable import Historian

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct ScratchDirectory {
    let url: URL

    init(_ name: String = #function) throws {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("levee-historian-\(safe)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ component: String) -> String { url.appendingPathComponent(component).path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Log messages kept in memory, so that a test can check what a person reading the journal would see.
final class LogCapture: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let entries = Mutex<[Entry]>([])

    var all: [Entry] { entries.withLock { $0 } }

    func messages(_ level: Logger.Level) -> [String] { all.filter { $0.level == level }.map(\.message) }

    var logger: Logger {
        Logger(label: "historian-tests") { _ in Handler(capture: self) }
    }

    fileprivate func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append(
                Entry(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" })
            )
        }
    }
}

/// Collects a historian's health changes as they arrive.
final class HealthLog: Sendable {
    private let changes = Mutex<[HistorianHealthChange]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(_ historian: Historian) {
        let stream = historian.healthChanges()
        let collector = Task { [self] in
            for await change in stream { append(change) }
        }
        task.withLock { $0 = collector }
    }

    private func append(_ change: HistorianHealthChange) {
        changes.withLock { $0.append(change) }
    }

    var all: [HistorianHealthChange] { changes.withLock { $0 } }

    var faults: [HistorianError] {
        all.compactMap { if case .fault(let error) = $0 { error } else { nil } }
    }

    var recoveries: [Int] {
        all.compactMap { if case .recovered(let dropped, _) = $0 { dropped } else { nil } }
    }

    func stop() { task.withLock { $0?.cancel() } }
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` until it holds. The deadline is generous on purpose: it only bounds a broken test.
func waitUntil(
    _ what: String,
    timeout: Duration = .seconds(60),
    _ condition: () throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try !condition() {
        guard ContinuousClock.now < deadline else { throw TimedOut(what: what) }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// Runs a tool and returns its exit status and combined output.
@discardableResult
func run(_ tool: String, _ arguments: String...) -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do {
        try process.run()
    } catch {
        return (-1, "\(error)")
    }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Closes a connection from a `defer` in async code, where `close()` would pick GRDB's async overload.
func closeQuietly(_ connection: DatabaseQueue) {
    try? connection.close()
}

/// A configuration for tests: fast batches and retries, short lock waits.
func testConfiguration(_ path: String) -> HistorianConfiguration {
    // The rows these tests write are dated 2025: the writer's own retention, a minute in, would delete them.
    HistorianConfiguration(
        path: path, batchInterval: 0.02, busyTimeout: 0.1, maxRetryInterval: 0.1, prunesAutomatically: false)
}

func reading(
    _ point: String,
    _ value: Double?,
    _ quality: String = "good",
    at seconds: Double,
    deadband: Double = 0
) -> StoredReading {
    StoredReading(
        point: point, value: value, quality: quality, readAt: Date(timeIntervalSince1970: 1_740_787_200 + seconds),
        deadband: deadband
    )
}

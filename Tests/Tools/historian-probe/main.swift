// A writer for the historian's crash test: it records events in a loop and prints "committed N" on stdout after
// recordEvent(N) has returned, until it is killed. The test kills it with SIGKILL mid-write and checks that every
// printed N is in the database. Readings are recorded alongside so that the writer thread is busy too.
//
// Usage: historian-probe <database-path> [tag]   (the tag goes into each event's message: "probe <tag> <N>")
import Foundation
import Historian
import Logging

guard (2...3).contains(CommandLine.arguments.count) else {
    FileHandle.standardError.write(Data("usage: historian-probe <database-path> [tag]\n".utf8))
    exit(2)
}
let tag = CommandLine.arguments.count == 3 ? CommandLine.arguments[2] : "run"

var logger = Logger(label: "historian-probe")
logger.logLevel = .warning
let historian = Historian(
    configuration: HistorianConfiguration(path: CommandLine.arguments[1], batchInterval: 0.01),
    logger: logger
)
if let error = historian.status.lastError {
    FileHandle.standardError.write(Data("historian-probe: \(error)\n".utf8))
    exit(1)
}

/// One unbuffered write per line, so that what the test reads is exactly what was said before the kill.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

say("ready")
for n in 0..<10_000_000 {
    let now = Date()
    historian.record(StoredReading(point: "probe.counter", value: Double(n), quality: "good", readAt: now))
    do {
        try historian.recordEvent(
            StoredEvent(
                kind: "probe", source: "historian-probe", message: "probe \(tag) \(n)", at: now, details: "{\"n\":\(n)}"
            )
        )
    } catch {
        FileHandle.standardError.write(Data("historian-probe: \(error)\n".utf8))
        exit(1)
    }
    say("committed \(n)")
}
historian.close()

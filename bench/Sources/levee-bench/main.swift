import Foundation
import Logging

// levee-bench: the figures bench/run.sh prints. Each is a ratio against a baseline measured in the same run;
// bench/README.md says what each one means. A missed target is reported, never fatal.

let options: Options
do {
    options = try Options(arguments: Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("levee-bench: \(error)\n".utf8))
    exit(2)
}
try FileManager.default.createDirectory(atPath: options.work, withIntermediateDirectories: true)

// Only warnings and worse: a notice per command or per link-up would be noise in the report and cost time.
var logger = Logger(label: "levee-bench") { StreamLogHandler.standardError(label: $0) }
logger.logLevel = .warning

let report = Report()
report.note("Run", "seed \(options.seed) (replay with SEED=\(options.seed) bench/run.sh)")

@MainActor
func attempt(_ part: String, _ body: () async throws -> Void) async {
    guard options.only.contains(part) else { return }
    progress("== \(part)")
    do {
        try await body()
    } catch {
        report.note("Errors", "\(part): \(error)")
    }
}

await attempt("throughput") { try await PollingThroughput(options: options, logger: logger).run(report) }
await attempt("latency") { try await CommandLatency(options: options, logger: logger).run(report) }
await attempt("historian") { try await HistorianThroughput(options: options, logger: logger).run(report) }
await attempt("footprint") { try await Footprint(options: options).run(report) }
await attempt("trigger") { try await TriggerLatency(options: options).run(report) }
await attempt("dcs") { try await DCSLoad(options: options).run(report) }

print(report.markdown, terminator: "")

import ArgumentParser
import Config
import ControlAPI
import Foundation
import Historian
import Logging

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read recorded history.", subcommands: [Export.self])

    /// `leveectl history export`: a point's readings as CSV for the bureau's paperwork (电子台账).
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export a point's readings between two times.",
            discussion: """
                Times are ISO 8601 (2026-11-23T08:00:00+08:00), a local date or date and time in the site's \
                time zone (2026-11-23, 2026-11-23T08:00), "now", or relative to now (--from=-2h, -30m, -7d; write relative times with "=" so they are not taken \
                for options). The CSV has \
                the columns time,point,value,quality, one row per stored reading; values carry the point's own \
                precision (an integer register's scale sets its decimals). With --excel the file starts with a UTF-8 \
                byte-order mark and times are the site's wall clock as 2026-11-23 08:00:00, which Excel (Chinese \
                Windows included) opens without an import step. A point that is neither configured nor recorded is \
                refused (exit 1), not exported as an empty file.
                """)

        @Option(name: .long, help: "The daemon's configuration file (for the database path and time zone).")
        var config: String

        @Option(name: .long, help: "The point, as device.point (e.g. gas-a1.concentration).")
        var point: String

        @Option(name: .long, help: "Start time.")
        var from: String

        @Option(name: .long, help: "End time.")
        var to: String = "now"

        @Option(name: .long, help: "Output format: csv.")
        var format: String = "csv"

        @Option(name: .long, help: "Write to this file instead of standard output.")
        var output: String?

        @Flag(name: .long, help: "For Excel: a UTF-8 byte-order mark, and local times as 2026-11-23 08:00:00.")
        var excel = false

        func run() throws {
            guard format == "csv" else {
                printError("leveectl: --format \(format) is not supported (supported: csv)")
                throw ExitCode(1)
            }
            let settings: LeveeConfig
            do {
                settings = try ConfigLoader.load(path: config)
            } catch {
                for line in error.lines { printError(line) }
                throw ExitCode(1)
            }
            let zone = TimeZone(identifier: settings.site.timeZone) ?? .current
            guard let start = TimeArgument.parse(from, in: zone) else {
                printError("leveectl: --from \"\(from)\" is not a time (try 2026-11-23T08:00, -2h or now)")
                throw ExitCode(1)
            }
            guard let end = TimeArgument.parse(to, in: zone) else {
                printError("leveectl: --to \"\(to)\" is not a time (try 2026-11-23T08:00, -2h or now)")
                throw ExitCode(1)
            }
            guard start <= end else {
                printError("leveectl: --from is after --to")
                throw ExitCode(1)
            }
            var configured: [String: Point] = [:]
            for device in settings.devices {
                for (name, p) in device.points { configured["\(device.id).\(name)"] = p }
            }
            func unknownPoint(recorded: [String]) -> ExitCode {
                let hint = Suggestion.hint(for: point, in: Set(configured.keys).union(recorded))
                printError("leveectl: no point \"\(point)\" in \(config) or in the history\(hint)")
                return ExitCode(1)
            }
            guard FileManager.default.fileExists(atPath: settings.historian.path) else {
                if configured[point] == nil { throw unknownPoint(recorded: []) }
                printError("leveectl: no database at \(settings.historian.path) (has leveed run with \(config)?)")
                throw ExitCode(4)
            }
            var logger = Logger(label: "leveectl")
            logger.logLevel = .error
            let historian = Historian(
                configuration: HistorianConfiguration(
                    path: settings.historian.path, prunesAutomatically: false, setsAsideDamage: false),
                logger: logger)
            defer { historian.close() }
            let csv: String
            do {
                // A point no longer configured keeps its history: it is known if it was ever recorded.
                if configured[point] == nil {
                    let recorded = try historian.pointNames()
                    if !recorded.contains(point) { throw unknownPoint(recorded: recorded) }
                }
                csv = try historian.exportCSV(
                    point: point, from: start, to: end, timeZone: zone,
                    decimals: configured[point]?.decimals.map { [point: $0] } ?? [:], excel: excel)
            } catch let exit as ExitCode {
                throw exit
            } catch {
                printError("leveectl: export failed: \(error)")
                throw ExitCode(4)
            }
            do {
                if let output {
                    try csv.write(toFile: output, atomically: true, encoding: .utf8)
                } else {
                    FileHandle.standardOutput.write(Data(csv.utf8))
                }
            } catch {
                printError("leveectl: cannot write \(output ?? "the export"): \(error.localizedDescription)")
                throw ExitCode(4)
            }
        }
    }
}

/// Times on the command line, read in the site's time zone unless they carry their own offset.
enum TimeArgument {
    static func parse(_ text: String, in zone: TimeZone, now: Date = Date()) -> Date? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t == "now" { return now }
        if t.hasPrefix("-"), let unit = t.last, let n = Double(t.dropFirst().dropLast()) {
            // As on the HTTP API: at most 100 years back, so `-1e300d` is refused, not turned into a date.
            guard let seconds: Double = ["s": 1, "m": 60, "h": 3600, "d": 86400][unit],
                RequestLimits.relativeTimeSeconds.contains(n * seconds)
            else { return nil }
            return now.addingTimeInterval(-n * seconds)
        }
        if let d = ControlDates.parse(t) { return d }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = t.split(whereSeparator: { "-T: ".contains($0) }).map { Int($0) }
        guard parts.count >= 3, parts.allSatisfy({ $0 != nil }) else { return nil }
        let p = parts.map { $0! } + [0, 0, 0]
        return calendar.date(
            from: DateComponents(year: p[0], month: p[1], day: p[2], hour: p[3], minute: p[4], second: p[5]))
    }
}
